// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_record.c - `pfnmap record`: write every record to a capture file
 * (docs/capture-format.md) for `pfnmap report` to read later, maybe on
 * another machine.
 *
 * Made for production hosts: the file is written in checksummed chunks,
 * at least once a second, so that a capture cut short by SIGKILL, power
 * loss or a full disk is still read up to its last whole chunk; its size
 * can be capped; on request (--self-cost) the run time of the BPF programs
 * is measured and printed.
 *
 * Kernel addresses mean something only on the boot that made them, so
 * the capture also names them: each distinct caller (or zapper) address
 * gets its symbol from this machine's kallsyms, and each cgroup id its
 * path, in a names section written before the chunk holding the record.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "agg.h"
#include "capture.h"
#include "cmds.h"
#include "errors.h"
#include "ksyms.h"
#include "registry.h"
#include "spawn.h"
#include "top/cgroups.h"
#include "trace_opts.h"

#define FLUSH_NS	1000000000ULL	/* a chunk at least every second */
#define POLL_MS		100

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t signal_from_tty;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_signal = sig;
	/* The terminal signals the whole process group, CMD included. */
	signal_from_tty = si && si->si_code == SI_KERNEL;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap record [OPTIONS] [-- CMD [ARGS...]]\n"
"\n"
"Write one record per operation to a capture file, for 'pfnmap report'\n"
"to read later, here or on another machine.  With CMD: run it (traced\n"
"from its first instruction, children followed) and record until it\n"
"exits.  Without: record system-wide (or -p PID) until -d, Ctrl-C or\n"
"SIGTERM.\n"
"\n"
"  -o, --output FILE   capture file (default pfnmap.data; '-': stdout).\n"
"                      An existing FILE is renamed to FILE.old\n"
"  -f, --force         overwrite an existing FILE instead\n"
"  -d, --duration S    stop recording after S seconds\n"
"      --max-size N    stop recording before FILE grows past N bytes\n"
"                      (suffixes K, M, G: powers of 1024)\n"
"      --self-cost     measure the run time of pfnmap's BPF programs\n"
"                      (BPF_ENABLE_STATS: slows every BPF program of the\n"
"                      machine a little while record runs)\n"
);
	trace_opts_help(f);
	fprintf(f,
"\n"
"The file is created with mode 0600 and written in checksummed chunks at\n"
"least once a second: if record is killed, at most the last second is\n"
"lost.  SIGINT and SIGTERM end the recording cleanly.  -d, --max-size or\n"
"a signal ending it early leave CMD running: record waits for it, and a\n"
"signal sent to record alone (not from the terminal) is passed on to it.\n"
"At the end record prints what it wrote and the ring-buffer drops (with\n"
"--self-cost: the run time of its BPF programs).\n"
"\n"
"Exit status: CMD's; without CMD 0; 1 if recording failed; 2 usage.\n");
}

struct rec_opts {
	struct session_opts	so;
	const char		*output;
	bool			force;
	long long		secs;
	__u64			max_size;
	char			**cmd;
};

/* Keys already named in the capture (0 is never a key). */
struct key_set {
	__u64		*keys;
	size_t		n, cap;		/* cap: a power of two, half full */
};

struct rec_ctx {
	struct session		*s;
	struct cap_writer	*w;
	int			fd;
	int			err;		/* first writer error */
	__u64			end_ns;		/* -d: when to stop, 0: never */
	__u64			last_flush;
	__u64			per_kind[PFNMAP_K_MAX];
	struct ksyms		*ksyms;		/* read at the first caller */
	bool			ksyms_tried;
	struct cgroups		cg;
	struct key_set		named_addrs, named_cgroups;
};

/* ---- options --------------------------------------------------------- */

/* "100M" -> 104857600; 0 on junk. */
static __u64 parse_size(const char *s)
{
	static const char units[] = "BKMG";
	const char *u;
	char *end;
	unsigned long long v;
	int shift;

	if (!s || *s < '0' || *s > '9')
		return 0;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	if (!*end)
		return v;
	u = strchr(units, end[0] & ~0x20);
	if (!u || !*u || (end[1] && (end[1] & ~0x20) != 'B') ||
	    (end[1] && end[2]))
		return 0;
	shift = (u - units) * 10;
	if (shift && v > (~0ULL >> shift))
		return 0;
	return v << shift;
}

static int parse_args(int argc, char **argv, struct rec_opts *o)
{
	enum { OPT_MAX_SIZE = 0x2000, OPT_SELF_COST };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "duration", required_argument, NULL, 'd' },
		{ "max-size", required_argument, NULL, OPT_MAX_SIZE },
		{ "self-cost", no_argument, NULL, OPT_SELF_COST },
		{ "help", no_argument, NULL, 'h' },
		TRACE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int opt, r;

	o->output = "pfnmap.data";
	while ((opt = getopt_long(argc, argv, "+o:fd:h" TRACE_SHORTOPTS,
				  longopts, NULL)) != -1) {
		if (opt == 'o') {
			o->output = optarg;
		} else if (opt == 'f') {
			o->force = true;
		} else if (opt == 'd') {
			o->secs = parse_count(optarg);
			if (o->secs <= 0) {
				cmd_err("bad duration '%s'", optarg);
				return 2;
			}
		} else if (opt == OPT_MAX_SIZE) {
			o->max_size = parse_size(optarg);
			if (!o->max_size) {
				cmd_err("bad --max-size '%s' (bytes, or with K, M, G)",
					optarg);
				return 2;
			}
		} else if (opt == OPT_SELF_COST) {
			o->so.prog_stats = true;
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else if ((r = trace_opt(opt, optarg, &o->so, "record")) <= 0) {
			if (!r)
				usage(stderr);
			return 2;
		}
	}
	if (optind < argc && o->so.tgid) {
		cmd_err("-p and a command exclude each other");
		return 2;
	}
	o->cmd = optind < argc ? argv + optind : NULL;
	return -1;
}

/* ---- the output file ------------------------------------------------- */

/* perf's way: never lose an earlier capture by accident. */
static int make_room(const char *path, bool force)
{
	char old[4096];
	struct stat sb;

	if (lstat(path, &sb))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISREG(sb.st_mode)) {
		cmd_err("%s exists and is not a regular file", path);
		return -EEXIST;
	}
	if (force || !sb.st_size)
		return unlink(path) ? -errno : 0;
	snprintf(old, sizeof(old), "%s.old", path);
	if (rename(path, old))
		return -errno;
	cmd_warn("renamed the existing %s to %s", path, old);
	return 0;
}

static int open_output(const char *path, bool force)
{
	int fd, err;

	if (!strcmp(path, "-")) {
		if (isatty(STDOUT_FILENO)) {
			cmd_err("not writing a binary capture to a terminal (-o FILE)");
			return -1;
		}
		return STDOUT_FILENO;
	}
	err = make_room(path, force);
	/* O_EXCL|O_NOFOLLOW: root must not follow a link planted meanwhile */
	fd = err ? err : open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			      O_CLOEXEC, 0600);
	if (fd < 0) {
		if (fd != -EEXIST)
			cmd_err("cannot create %s: %s", path,
				strerror(err ? -err : errno));
		return -1;
	}
	fchmod(fd, 0600);	/* whatever the umask */
	return fd;
}

/* ---- the header ------------------------------------------------------ */

/* The pair with the shortest gap between its two monotonic reads. */
static void clock_pair(__u64 *mono, __u64 *real)
{
	__u64 best = ~0ULL;
	int i;

	for (i = 0; i < 5; i++) {
		struct timespec r;
		__u64 m1, m2;

		m1 = now_ns();
		clock_gettime(CLOCK_REALTIME, &r);
		m2 = now_ns();
		if (m2 - m1 >= best)
			continue;
		best = m2 - m1;
		*mono = m1 + best / 2;
		*real = (__u64)r.tv_sec * 1000000000ULL + r.tv_nsec;
	}
}

static void read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f && fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

static void meta_cmdline(struct cap_meta *m, int argc, char **argv)
{
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, m->cmdline, sizeof(m->cmdline) - 1) : -1;
	int i;

	if (fd >= 0)
		close(fd);
	if (n > 0) {
		m->cmdline_len = n;
		return;
	}
	for (i = 0; i < argc; i++) {
		size_t l = strlen(argv[i]) + 1;

		if (m->cmdline_len + l > sizeof(m->cmdline))
			break;
		memcpy(m->cmdline + m->cmdline_len, argv[i], l);
		m->cmdline_len += l;
	}
}

static void fill_meta(struct cap_meta *m, struct session *s, int argc,
		      char **argv)
{
	struct utsname u;
	int k;

	memset(m, 0, sizeof(*m));
	if (getrandom(&m->capture_id, sizeof(m->capture_id), GRND_NONBLOCK) !=
	    sizeof(m->capture_id))
		m->capture_id = now_ns() ^ ((__u64)getpid() << 32);
	if (!uname(&u)) {
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
		snprintf(m->host, sizeof(m->host), "%s", u.nodename);
	}
	read_small("/proc/sys/kernel/random/boot_id", m->boot_id,
		   sizeof(m->boot_id));
	m->has_clock = true;
	clock_pair(&m->clock_mono_ns, &m->clock_real_ns);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct kind_mode *km = session_mode(s, k);

		m->modes[k].present = true;
		m->modes[k].source = km->source;
		m->modes[k].valid = km->valid;
		snprintf(m->modes[k].why, sizeof(m->modes[k].why), "%s",
			 km->why ? km->why : "");
	}
	meta_cmdline(m, argc, argv);
}

/* ---- the child ------------------------------------------------------- */

/* Recording is over, CMD is not: wait, passing on signals sent to us. */
static int wait_child(pid_t pid)
{
	int status;

	for (;;) {
		got_signal = 0;
		if (waitpid(pid, &status, 0) == pid)
			return spawn_exit_code(status);
		if (errno != EINTR)
			return 1;
		if (got_signal && !signal_from_tty)
			kill(pid, got_signal);
	}
}

/* ---- recording ------------------------------------------------------- */

static void flush(struct rec_ctx *c)
{
	int err = capw_flush(c->w, session_drops(c->s));

	c->last_flush = now_ns();
	if (err && !c->err)
		c->err = err;
}

/* ---- names ---------------------------------------------------------- */

static bool has_caller(int kind)
{
	const struct reg_kind *k = reg_kind(kind);

	return k && reg_families[k->family].has_caller;
}

/*
 * kallsyms is read before recording starts if a kind with callers is
 * traced: read at the first caller, its 100 ms or so would stall the
 * loop that drains the ring buffer just when records arrive.
 */
static void load_ksyms(struct rec_ctx *c)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (has_caller(k) && session_mode(c->s, k)->source != PFNMAP_S_NONE)
			break;
	if (k == PFNMAP_K_MAX)
		return;
	c->ksyms = ksyms_load(NULL);
	c->ksyms_tried = true;
}

/* true if key was not in the set (and now is); false if it was, or no memory */
static bool key_add(struct key_set *s, __u64 key)
{
	size_t i, mask;

	if ((s->n + 1) * 2 > s->cap) {
		struct key_set g = { .cap = s->cap ? s->cap * 2 : 256 };

		g.keys = calloc(g.cap, sizeof(*g.keys));
		if (!g.keys)
			return false;
		for (i = 0; i < s->cap; i++)
			if (s->keys[i])
				key_add(&g, s->keys[i]);
		free(s->keys);
		*s = g;
	}
	mask = s->cap - 1;
	for (i = (key * 0x9e3779b97f4a7c15ULL) >> 32 & mask; s->keys[i];
	     i = (i + 1) & mask)
		if (s->keys[i] == key)
			return false;
	s->keys[i] = key;
	s->n++;
	return true;
}

static void name_caller(struct rec_ctx *c, __u64 addr)
{
	const struct ksym *k;
	struct cap_name n = { .tag = CAP_N_KSYM, .key = addr };

	if (!c->ksyms_tried) {
		c->ksyms = ksyms_load(NULL);
		c->ksyms_tried = true;
	}
	k = c->ksyms ? ksyms_func(c->ksyms, addr) : NULL;
	if (!k)
		return;		/* report prints it unresolved */
	n.off = addr - k->addr;
	n.name = k->name;
	n.module = k->module;
	capw_name(c->w, &n);
}

static void name_cgroup(struct rec_ctx *c, __u64 id)
{
	struct cg_entry *e = cg_lookup(&c->cg, id);
	struct cap_name n = { .tag = CAP_N_CGROUP, .key = id };
	char path[PATH_MAX];

	if (!e || !e->path)
		return;		/* gone already: the id stays */
	cg_name(&c->cg, id, path, sizeof(path));
	n.name = path;
	capw_name(c->w, &n);
}


/* Names the record's caller and cgroup, the first time each is seen. */
static void name_record(struct rec_ctx *c, const struct pfnmap_event *e)
{
	if (e->caller && has_caller(e->kind) &&
	    key_add(&c->named_addrs, e->caller))
		name_caller(c, e->caller);
	if (e->cgroup_id && key_add(&c->named_cgroups, e->cgroup_id))
		name_cgroup(c, e->cgroup_id);
}

static void free_names(struct rec_ctx *c)
{
	ksyms_free(c->ksyms);
	cg_free(&c->cg);
	free(c->named_addrs.keys);
	free(c->named_cgroups.keys);
}

static int on_record(void *ctx, const struct pfnmap_event *e)
{
	struct rec_ctx *c = ctx;

	if (e->kind < PFNMAP_K_MAX)
		c->per_kind[e->kind]++;
	name_record(c, e);
	if (capw_add(c->w, e) != 1)
		return 0;
	flush(c);
	/* a stream that never pauses keeps libbpf consuming: stop it here */
	if (c->err || got_signal || (c->end_ns && now_ns() >= c->end_ns))
		return -EINTR;
	return 0;
}

static bool gone(__u32 tgid)
{
	return tgid && kill(tgid, 0) && errno == ESRCH;
}

/* Polls until a reason to stop; returns it (enum cap_stop). */
static int record_loop(struct rec_ctx *c, pid_t *child, int *status,
		       const struct rec_opts *o)
{
	int st;

	c->end_ns = o->secs > 0 ? now_ns() + o->secs * 1000000000ULL : 0;
	c->last_flush = now_ns();
	for (;;) {
		if (*child > 0 && waitpid(*child, &st, WNOHANG) == *child) {
			*status = spawn_exit_code(st);
			*child = 0;
			return CAP_STOP_CMD_EXIT;
		}
		if (!*child && gone(o->so.tgid)) {
			cmd_warn("process %u exited", o->so.tgid);
			return CAP_STOP_CMD_EXIT;
		}
		if (got_signal)
			return CAP_STOP_SIGNAL;
		if (c->end_ns && now_ns() >= c->end_ns)
			return CAP_STOP_DURATION;
		if (session_poll(c->s, POLL_MS, on_record, c) < 0) {
			cmd_err("reading the ring buffer failed");
			return CAP_STOP_WRITE_ERROR;
		}
		if (now_ns() - c->last_flush >= FLUSH_NS)
			flush(c);
		if (c->err)
			return c->err == -EFBIG ? CAP_STOP_MAX_SIZE :
						  CAP_STOP_WRITE_ERROR;
	}
}

/* Last records, trailer, close: the file is whole after this. */
static void finish(struct rec_ctx *c, int stop)
{
	struct cap_trailer t = { .stop = stop };
	int err;

	if (!c->err)
		session_drain(c->s, on_record, c);
	t.drops = session_drops(c->s);
	t.end_ns = now_ns();
	session_prog_stats(c->s, &t.bpf_run_ns, &t.bpf_run_cnt);
	err = capw_finish(c->w, &t);
	if (err && !c->err)
		c->err = err;
	if (c->fd > STDERR_FILENO && close(c->fd) && !c->err)
		c->err = -errno;	/* NFS reports late */
	c->fd = -1;
}

/* ---- summary --------------------------------------------------------- */

/* " (seen: uffd_copy 900, ...)", or "" if nothing was seen. */
static void kinds_seen(const struct rec_ctx *c, char *buf, size_t len)
{
	size_t off = 0;
	char n[32];
	int k;

	buf[0] = '\0';
	for (k = 0; k < PFNMAP_K_MAX && off < len; k++) {
		if (!c->per_kind[k])
			continue;
		fmt_count(n, sizeof(n), c->per_kind[k]);
		off += snprintf(buf + off, len - off, "%s%s %s",
				off ? ", " : " (seen: ", pfnmap_kind_name(k), n);
	}
	if (off && off < len)
		snprintf(buf + off, len - off, ")");
}

static void print_run_time(const struct rec_ctx *c,
			   const struct capw_stats *ws)
{
	__u64 run_ns, run_cnt;
	char runs[32], per_rec[48] = "";

	if (session_prog_stats(c->s, &run_ns, &run_cnt) || !run_cnt) {
		cmd_warn("BPF run time not available");
		return;
	}
	fmt_count(runs, sizeof(runs), run_cnt);
	if (ws->records)
		snprintf(per_rec, sizeof(per_rec), ", %llu ns per record",
			 (unsigned long long)(run_ns /
					      (ws->records + ws->unwritten)));
	cmd_warn("BPF run time %llu ns per program run (%s runs, %.1f ms in all)%s",
		 (unsigned long long)(run_ns / run_cnt), runs, run_ns / 1e6,
		 per_rec);
}

/*
 * Bytes per record, and in a short capture, where the header's couple of
 * KiB (kernel, modes, command line) weigh, also the records' own.
 */
static void print_size(const struct capw_stats *ws)
{
	char own[96] = "";

	if (ws->bytes - ws->chunk_bytes > ws->bytes / 10)
		snprintf(own, sizeof(own), " (%.1f in the chunks, the rest is header and names)",
			 (double)ws->chunk_bytes / ws->records);
	cmd_warn("%.1f bytes per record on disk%s, compression %.1fx",
		 (double)ws->bytes / ws->records, own,
		 (double)ws->raw_bytes / (ws->bytes ? ws->bytes : 1));
}

/* What was written and what it cost: not an error, but not a result. */
static void print_summary(const struct rec_ctx *c, const char *path,
			  bool self_cost)
{
	struct capw_stats ws;
	__u64 drops = session_drops(c->s);
	char recs[32], bytes[32], d[32], seen[512];

	capw_stats(c->w, &ws);
	fmt_count(recs, sizeof(recs), ws.records);
	fmt_count(bytes, sizeof(bytes), ws.bytes);
	kinds_seen(c, seen, sizeof(seen));
	cmd_warn("%s records in %u chunk%s, %s bytes to %s%s", recs, ws.chunks,
		 ws.chunks == 1 ? "" : "s", bytes,
		 !strcmp(path, "-") ? "stdout" : path, seen);
	if (ws.records)
		print_size(&ws);
	fmt_count(d, sizeof(d), drops);
	cmd_warn("%s records lost in the kernel (ring buffer full, or no memory for a task's state)%s",
		 d, drops ? ": rerun with fewer kinds (-k) or a filter (-p, -c)" : "");
	if (ws.names || ws.names_dropped)
		cmd_warn("%u names stored (caller symbols, cgroup paths)%s", ws.names,
			 ws.names_dropped ? " (some dropped: --max-size)" : "");
	if (ws.unwritten) {
		fmt_count(d, sizeof(d), ws.unwritten);
		cmd_warn("%s records not written (%s)", d,
			 c->err == -EFBIG ? "--max-size reached" : "write failed");
	}
	/* without --self-cost the kernel did not measure it: say nothing */
	if (self_cost)
		print_run_time(c, &ws);
}

static void say_stop(int stop, const struct rec_opts *o, int err)
{
	char sz[32];

	if (stop == CAP_STOP_MAX_SIZE) {
		fmt_count(sz, sizeof(sz), o->max_size);
		cmd_warn("%s reached --max-size (%s bytes): recording stopped",
			 o->output, sz);
	} else if (stop == CAP_STOP_WRITE_ERROR && err) {
		cmd_err("writing %s failed: %s: recording stopped; the file holds every chunk written before",
			o->output, strerror(-err));
	}
}

/* ---- the command ----------------------------------------------------- */

static int start(struct rec_opts *o, struct rec_ctx *c, pid_t *child,
		 int *go_fd, int argc, char **argv)
{
	struct cap_writer_opts wo = {
		.max_bytes = o->max_size,
		.writeback = true,
	};
	struct cap_meta *m;
	int fd, err;

	if (o->cmd) {
		/* a capture on stdout: CMD's output must not mix into it */
		*child = spawn_held(o->cmd, !strcmp(o->output, "-") ?
				    SPAWN_STDOUT_TO_STDERR : 0, go_fd);
		if (*child < 0) {
			cmd_err("fork: %s", strerror(errno));
			return -1;
		}
		o->so.tgid = *child;
		o->so.follow_children = true;
	}
	if (session_open(&c->s, &o->so))
		return -1;
	fd = c->fd = open_output(o->output, o->force);
	if (fd < 0)
		return -1;
	m = malloc(sizeof(*m));
	err = -ENOMEM;
	if (m) {
		fill_meta(m, c->s, argc, argv);
		err = capw_open(&c->w, fd, m, &wo);
	}
	free(m);
	if (err && fd != STDOUT_FILENO)
		unlink(o->output);	/* not even a header: leave nothing */
	if (err == -EFBIG)
		cmd_err("--max-size %llu is too small for even the header",
			(unsigned long long)o->max_size);
	else if (err)
		cmd_err("cannot write %s: %s", o->output, strerror(-err));
	return err ? -1 : 0;
}

static void setup_signals(void)
{
	struct sigaction sa = { .sa_sigaction = on_signal,
				.sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* -o - into a closed pipe: EPIPE */
}

int cmd_record(int argc, char **argv)
{
	struct rec_opts o = {};
	struct rec_ctx c = { .fd = -1 };
	int go_fd = -1, status = 0, rc = 1, stop;
	pid_t child = 0;

	rc = parse_args(argc, argv, &o);
	if (rc >= 0)
		return rc;
	rc = 1;
	cg_init(&c.cg, NULL);
	if (start(&o, &c, &child, &go_fd, argc, argv))
		goto out;
	load_ksyms(&c);
	setup_signals();
	if (child > 0 && spawn_release(&go_fd))
		goto out;
	if (!o.cmd)
		cmd_warn("recording to %s (Ctrl-C to stop)",
			 strcmp(o.output, "-") ? o.output : "stdout");
	stop = record_loop(&c, &child, &status, &o);
	finish(&c, stop);
	if (c.err == -EFBIG)
		stop = CAP_STOP_MAX_SIZE;
	if (got_signal && !signal_from_tty && child > 0)
		kill(child, got_signal);
	say_stop(stop, &o, c.err);
	print_summary(&c, o.output, o.so.prog_stats);
	if (child > 0) {
		cmd_warn("recording over, waiting for '%s' (pid %d) to exit",
			 o.cmd[0], child);
		status = wait_child(child);
	}
	child = 0;
	rc = c.err && c.err != -EFBIG ? 1 : o.cmd ? status : 0;
out:
	/* child is still set only if CMD was never let run */
	spawn_cancel(child, &go_fd);
	if (c.fd > STDERR_FILENO)
		close(c.fd);
	capw_free(c.w);
	free_names(&c);
	session_close(c.s);
	return rc;
}
