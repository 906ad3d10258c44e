// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_top.c - `pfnmap top` (also `pfnmap-top`): a live view, like top or
 * biotop, of the traced operations.  One row per process and operation
 * kind (--by changes the grouping), refreshed every -d seconds, full
 * screen with ncurses, or plain text / JSON snapshots in batch mode.
 *
 * Every record goes into two aggs of the current grouping: `cur`, the
 * interval being collected, and `cum`, everything since the grouping was
 * chosen (for the histogram).  At each refresh the ring buffer is drained,
 * `cur` becomes `shown` and a new interval starts at that same instant.
 * So a rate on screen is exactly the records of the last interval divided
 * by its measured length, and the counts of successive refreshes add up
 * to the total: no record is counted twice or dropped between intervals.
 *
 * The terminal is never left broken: endwin() runs on every way out
 * (normal exit, q, -n, SIGINT/SIGTERM/SIGHUP which only set a flag, an
 * error, atexit), and a fatal signal writes the saved reset sequence and
 * restores the saved termios before dying.
 */
#define _GNU_SOURCE
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/vfs.h>
#include "agg.h"
#include "cmds.h"
#include "json.h"
#include "targets.h"
#include "trace_opts.h"
#include "view.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif
/* The file handle type of kernfs (cgroupfs): the handle is the node id. */
#define FILEID_KERNFS		0xfe

#define NSEC_PER_SEC		1000000000ULL
/* How often keys are read while waiting for records, in ms. */
#define KEY_POLL_MS		50
#define HIST_STARS		40
/* No kernel function is that long: a larger offset is a wrong symbol. */
#define KSYM_MAX_SIZE		0x100000
/* Groups kept for histograms (about 13 KiB each) before starting over. */
#define CUM_MAX_GROUPS		4096

/* Options */

struct top_opts {
	struct session_opts	sess;
	__u64			interval_ns;
	long long		count;		/* -n, 0: forever */
	bool			batch;
	bool			json;
	enum agg_by		by;
	int			sort;		/* enum col */
	const char		*cgroup;	/* --cgroup PATH */
};

/* Columns after the key columns.  Only the sortable ones take part in s, <, >. */
enum col {
	C_OPS = 0,
	C_ERRS,
	C_ERRNO,
	C_RETR,
	C_MAXR,
	C_ZAPS,
	C_ZAPPER,
	C_P50,
	C_P99,
	C_LMAX,
	C_PGOP,
	C_NCOLS,
};

static const struct column {
	const char	*title;
	int		width;		/* negative: left aligned */
	const char	*name;		/* --sort, JSON "sort"; NULL: not sortable */
} columns[C_NCOLS] = {
	[C_OPS]		= { "OPS/s",	9,	"ops" },
	[C_ERRS]	= { "ERR/s",	8,	"errors" },
	[C_ERRNO]	= { "ERRNO",	-9,	NULL },
	[C_RETR]	= { "RETR/s",	8,	"retries" },
	[C_MAXR]	= { "MAXR",	5,	"maxr" },
	[C_ZAPS]	= { "ZAPS",	5,	"zaps" },
	[C_ZAPPER]	= { "ZAPPER",	7,	NULL },
	[C_P50]		= { "P50",	8,	"p50" },
	[C_P99]		= { "P99",	8,	"p99" },
	[C_LMAX]	= { "MAX",	8,	"max" },
	[C_PGOP]	= { "PG/OP",	6,	"pages" },
};

static const char *const by_names[] = {
	[AGG_BY_KIND]	= "kind",
	[AGG_BY_COMM]	= "comm",
	[AGG_BY_PID]	= "pid",
	[AGG_BY_CGROUP]	= "cgroup",
	[AGG_BY_CALLER]	= "caller",
};
#define NR_BY	((int)(sizeof(by_names) / sizeof(by_names[0])))

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap top [OPTIONS]\n"
"       pfnmap-top [OPTIONS]\n"
"\n"
"A live view, like top, of the operations pfnmap traces: VFIO pins of\n"
"PFNMAP memory and userfaultfd fills.  One row per process and kind of\n"
"operation (--by changes that), refreshed every -d seconds with the\n"
"rates of the interval that just ended.  Counters this kernel cannot\n"
"show print as '-' (JSON null), never as 0; 'pfnmap probe' says why.\n"
"Full screen on a terminal; plain text snapshots (batch mode) when stdout\n"
"is not one.\n"
"\n"
"  -d, --delay SECONDS  refresh every SECONDS (default 1; fractions like\n"
"                       0.5 work; from 0.01 to 86400)\n"
"  -n, --iterations N   stop after N refreshes (default: until q, Ctrl-C\n"
"                       or SIGTERM)\n"
"  -b, --batch          print a plain text snapshot per refresh, like\n"
"                       top -b (the first one after one interval)\n"
"  -j, --json           batch mode, one JSON object per refresh and line\n"
"      --by KEY         one row per: pid (default: process, comm and kind),\n"
"                       comm, kind, cgroup, caller (each with the kind)\n"
"  -s, --sort COLUMN    order rows by ops (default), errors, retries, maxr,\n"
"                       zaps, p50, p99, max or pages, largest first\n"
"      --cgroup PATH    only tasks in the cgroup v2 directory PATH or in a\n"
"                       cgroup below it\n"
TRACE_OPTS_HELP
"  -h, --help          this text\n"
"\n"
"Columns (the counts are those of the last interval):\n"
"  PID COMM KIND  the group: process id, task name, operation kind\n"
"  CGROUP         with --by cgroup: path below the cgroup2 mount point\n"
"  CALLER         with --by caller: the kernel function that called a\n"
"                 stand-alone follow_pfnmap/fixup_user_fault, or zapped\n"
"  OPS/s          operations finished, per second\n"
"  ERR/s          operations that failed (returned < 0), per second\n"
"  ERRNO          the most frequent error, '-' if none\n"
"  RETR/s         retries per second: lock drops of UFFDIO_COPY, restarted\n"
"                 lookups of a VFIO pin\n"
"  MAXR           the most retries a single operation needed\n"
"  ZAPS           zap races: the PFNMAP was zapped between fault-in and\n"
"                 lookup\n"
"  ZAPPER         tid of the task whose vfio-pci zap caused the latest\n"
"                 zap race ('pfnmap report --by zapper' has them all)\n"
"  P50 P99 MAX    latency percentiles and maximum\n"
"  PG/OP          pages done per operation\n"
"\n"
"The header gives the interval's measured length, totals, 'drops' (records\n"
"lost because the ring buffer or the per-task table was full, since the\n"
"start and in the last interval: rates undercount when it is not 0), how\n"
"each kind is attached (fentry, kprobe, syscall or missing) and, when a\n"
"kind falls back to the ioctl tracepoints (syscall), what that cannot see.\n"
"\n"
"Keys:\n"
"  q              quit\n"
"  s              sort by the next column (cycles)\n"
"  < >            sort by the column left / right of the current one\n"
"  g              group by the next key: kind, comm, pid, cgroup, caller\n"
"                 (starts a new interval and a new histogram)\n"
"  p              pause the screen (records are still counted)\n"
"  h              log2 latency histogram of the selected row, since the\n"
"                 grouping was chosen\n"
"  Up Down        select a row (also k j, PgUp PgDn, Home End)\n"
"\n"
"JSON: per refresh {\"timestamp\" (Unix time), \"monotonic_ns\",\n"
"\"interval_ns\", \"by\", \"sort\", \"drops\", \"drops_interval\", \"mode\"\n"
"(kind: fentry, kprobe, syscall or none), \"rows\": [{the group's keys\n"
"(\"kind\", \"pid\", \"comm\", \"cgroup_id\", \"cgroup\", \"caller\"), the\n"
"interval's \"count\", \"error_count\", \"errors\", \"pages\", \"retries\",\n"
"\"max_retries\", ..., \"latency_ns\" as in 'pfnmap stat --json', and\n"
"\"ops_per_s\", \"errors_per_s\", \"retries_per_s\", \"top_errno\",\n"
"\"pages_per_op\"}]}.  Rows are the groups active in the interval.\n"
"\n"
"Examples:\n"
"  pfnmap top                            everything, live\n"
"  pfnmap top -p 1234 --by kind -d 0.5   one process, per kind\n"
"  pfnmap top --cgroup /sys/fs/cgroup/machine.slice -s p99\n"
"  pfnmap top --json -n 60 > top.jsonl   a minute of snapshots\n"
"\n"
"Exit status: 0, 1 if tracing failed, 2 on a usage error.\n");
}

static int parse_delay(const char *arg, __u64 *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0.01 ||
	    v > 86400) {
		fprintf(stderr, "pfnmap top: bad delay '%s' (seconds, 0.01 to 86400)\n",
			arg);
		return -1;
	}
	*ns = (__u64)(v * NSEC_PER_SEC + 0.5);
	return 0;
}

static int parse_by(const char *arg, enum agg_by *by)
{
	int i;

	for (i = 0; i < NR_BY; i++) {
		if (!strcmp(arg, by_names[i])) {
			*by = i;
			return 0;
		}
	}
	fprintf(stderr, "pfnmap top: bad --by '%s' (pid, comm, kind, cgroup, caller)\n",
		arg);
	return -1;
}

static int parse_sort(const char *arg, int *sort)
{
	int c;

	for (c = 0; c < C_NCOLS; c++) {
		if (columns[c].name && !strcmp(arg, columns[c].name)) {
			*sort = c;
			return 0;
		}
	}
	fprintf(stderr, "pfnmap top: bad --sort '%s' (ops, errors, retries, maxr, zaps, p50, p99, max, pages)\n",
		arg);
	return -1;
}

enum { OPT_BY = 0x2000, OPT_CGROUP };

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct top_opts *o)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "sort", required_argument, NULL, 's' },
		{ "by", required_argument, NULL, OPT_BY },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "help", no_argument, NULL, 'h' },
		TRACE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static char prog[] = "pfnmap top";
	int opt, r = 0;

	/* getopt's own messages start with argv[0]: "top" or "pfnmap-top". */
	argv[0] = prog;
	while ((opt = getopt_long(argc, argv, "d:n:bjs:h" TRACE_SHORTOPTS,
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			r = parse_delay(optarg, &o->interval_ns);
			break;
		case 'n':
			o->count = parse_count(optarg);
			if (o->count <= 0) {
				fprintf(stderr, "pfnmap top: bad count '%s'\n",
					optarg);
				r = -1;
			}
			break;
		case 'b':
			o->batch = true;
			break;
		case 'j':
			o->json = o->batch = true;
			break;
		case 's':
			r = parse_sort(optarg, &o->sort);
			break;
		case OPT_BY:
			r = parse_by(optarg, &o->by);
			break;
		case OPT_CGROUP:
			o->cgroup = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			r = trace_opt(opt, optarg, &o->sess, "top");
			if (!r) {
				fprintf(stderr, "usage: pfnmap top [-b|-j] [-d SECONDS] [-n N] [--by KEY] [-s COLUMN]\n"
					"                  [--cgroup PATH] [-p PID] [-c COMM] [-k KIND] [--mode M]\n"
					"(pfnmap top --help says more)\n");
				return 2;
			}
			r = r < 0 ? -1 : 0;
		}
		if (r)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "pfnmap top: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	/* Else it would wait, silently, for a process that never comes. */
	if (o->sess.tgid && kill(o->sess.tgid, 0) && errno == ESRCH) {
		fprintf(stderr, "pfnmap top: no process %u\n", o->sess.tgid);
		return 2;
	}
	return -1;
}

/* cgroups: id <-> path */

/*
 * A cgroup v2 id is the inode number of its directory and also its kernfs
 * file handle, so open_by_handle_at() turns an id back into a directory
 * whose /proc/self/fd link is the path (as systemd and bpftool do).
 * Ids are never reused, so what we learn about one is cached for good.
 */
struct cg_entry {
	__u64		id;
	bool		inside;		/* matches --cgroup */
	char		*path;		/* absolute, NULL if unknown */
};

struct cgroups {
	int		fd;		/* a directory on the cgroup2 fs, -1: none */
	char		mnt[PATH_MAX];	/* its mount point, "" if unknown */
	__u64		filter_id;	/* --cgroup, 0: no filter */
	char		*filter_path;
	struct cg_entry	*e;
	size_t		n, cap;
	size_t		last;		/* the entry found last */
};

static char *fd_path(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static char *cg_resolve(const struct cgroups *cg, __u64 id)
{
	union {
		struct file_handle	fh;
		char			buf[sizeof(struct file_handle) + 8];
	} h;
	char *path;
	int fd;

	if (cg->fd < 0)
		return NULL;
	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cg->fd, &h.fh, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return NULL;
	path = fd_path(fd);
	close(fd);
	return path;
}

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

static struct cg_entry *cg_lookup(struct cgroups *cg, __u64 id)
{
	struct cg_entry *e;
	size_t i;

	if (cg->n && cg->e[cg->last].id == id)
		return &cg->e[cg->last];
	for (i = 0; i < cg->n; i++)
		if (cg->e[i].id == id)
			return &cg->e[cg->last = i];
	if (cg->n == cg->cap) {
		size_t cap = cg->cap ? cg->cap * 2 : 32;

		e = realloc(cg->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		cg->e = e;
		cg->cap = cap;
	}
	e = &cg->e[cg->n];
	e->id = id;
	e->path = cg_resolve(cg, id);
	/* A cgroup removed before we asked can only match by its id. */
	e->inside = id == cg->filter_id ||
		    (e->path && cg->filter_path &&
		     path_under(e->path, cg->filter_path));
	cg->last = cg->n++;
	return e;
}

/* The first cgroup2 mount of /proc/self/mountinfo, for paths and handles. */
static void cg_find_mount(struct cgroups *cg)
{
	char line[4096], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - cgroup2 ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(cg->mnt, sizeof(cg->mnt), "%s", mnt);
		if (cg->fd < 0)
			cg->fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	}
	if (f)
		fclose(f);
}

static int cg_open_filter(struct cgroups *cg, const char *path)
{
	struct statfs sfs;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "pfnmap top: --cgroup %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC ||
	    fstat(fd, &st)) {
		fprintf(stderr, "pfnmap top: --cgroup %s: not a cgroup v2 directory (%s%s)\n",
			path, cg->mnt[0] ? "cgroup2 is mounted at " :
			"no cgroup2 file system is mounted", cg->mnt);
		close(fd);
		return -1;
	}
	/* Handles resolve against the file system of the filter itself. */
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = fd;
	cg->filter_id = st.st_ino;
	cg->filter_path = fd_path(fd);
	return 0;
}

static int cg_init(struct cgroups *cg, const char *filter)
{
	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
	cg_find_mount(cg);
	if (filter && cg_open_filter(cg, filter))
		return -1;
	return 0;
}

static void cg_free(struct cgroups *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		free(cg->e[i].path);
	free(cg->e);
	free(cg->filter_path);
	if (cg->fd >= 0)
		close(cg->fd);
}

/* "/machine.slice/x.scope": the path below the mount, or "id:N". */
static void cg_name(struct cgroups *cg, __u64 id, char *buf, size_t len)
{
	struct cg_entry *e = cg_lookup(cg, id);
	size_t n = strlen(cg->mnt);

	if (!e || !e->path)
		snprintf(buf, len, "id:%llu", (unsigned long long)id);
	else if (n && path_under(e->path, cg->mnt))
		snprintf(buf, len, "%s", e->path[n] ? e->path + n : "/");
	else
		snprintf(buf, len, "%s", e->path);
}

/* Kernel symbols, for --by caller; loaded the first time one is needed. */

struct ksym {
	__u64		addr;
	char		*name;
};

struct ksyms {
	struct ksym	*s;
	size_t		n;
	bool		tried;
};

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void ksyms_load(struct ksyms *k)
{
	unsigned long long addr;
	char name[256], line[512];
	size_t cap = 0;
	FILE *f;

	k->tried = true;
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f)) {
		struct ksym *s;

		/* Zero addresses: kptr_restrict hides them, nothing to learn. */
		if (sscanf(line, "%llx %*c %255s", &addr, name) != 2 || !addr)
			continue;
		if (k->n == cap) {
			cap = cap ? cap * 2 : 4096;
			s = realloc(k->s, cap * sizeof(*s));
			if (!s)
				break;
			k->s = s;
		}
		k->s[k->n].addr = addr;
		k->s[k->n].name = strdup(name);
		if (k->s[k->n].name)
			k->n++;
	}
	if (f)
		fclose(f);
	qsort(k->s, k->n, sizeof(*k->s), ksym_cmp);
}

static void ksyms_free(struct ksyms *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->s[i].name);
	free(k->s);
}

/* "vfio_pin_pages_remote+0x1c4", or the address if it is not known. */
static void ksym_name(struct ksyms *k, __u64 addr, char *buf, size_t len)
{
	size_t lo = 0, hi;

	if (!addr) {
		snprintf(buf, len, "-");
		return;
	}
	if (!k->tried)
		ksyms_load(k);
	hi = k->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->s[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Past the end of the last symbol it is no longer its code. */
	if (lo && addr - k->s[lo - 1].addr < KSYM_MAX_SIZE)
		snprintf(buf, len, "%s+0x%llx", k->s[lo - 1].name,
			 (unsigned long long)(addr - k->s[lo - 1].addr));
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}

/* State */

struct row {
	struct agg_stats	*st;
	double			v[C_NCOLS];	/* NAN: unknown */
};

struct top {
	struct top_opts		*o;
	struct session		*s;
	struct cgroups		cg;
	struct ksyms		ksyms;
	enum agg_by		by;
	struct agg		*cur;		/* the interval being collected */
	struct agg		*shown;		/* the last complete interval */
	struct agg		*cum;		/* since cum_start, for histograms */
	__u64			cur_start;
	__u64			shown_ns;	/* length of shown's interval */
	time_t			shown_at;	/* wall clock when it ended */
	__u64			cum_start;
	__u64			drops, drops_shown;
	struct row		*rows;
	size_t			nrows;
	long long		refreshes;
	int			err;		/* first error, -errno */
	const char		*err_what;	/* what failed */
	/* the screen */
	bool			tui;
	bool			paused;
	bool			hist;
	bool			quit;
	int			sel;		/* selected row */
	int			first;		/* first row on screen */
	struct agg_key		sel_key;
	bool			have_sel_key;
	char			msg[160];
};

/* Keeps the first error for the end; returns 0 so that polling goes on. */
static int fail(struct top *t, int err, const char *what)
{
	if (!t->err) {
		t->err = err;
		t->err_what = what;
	}
	return 0;
}

static int on_record(void *ctx, const struct pfnmap_event *e)
{
	struct top *t = ctx;

	/* A kind this build has no name or mode for cannot be shown. */
	if (e->kind >= PFNMAP_K_MAX)
		return 0;
	if (t->cg.filter_id) {
		struct cg_entry *c = cg_lookup(&t->cg, e->cgroup_id);

		if (!c)
			return fail(t, -ENOMEM, "aggregating records");
		if (!c->inside)
			return 0;
	}
	if (agg_add(t->cur, e) || agg_add(t->cum, e))
		return fail(t, -ENOMEM, "aggregating records");
	return 0;
}

static int aggs_new(struct top *t, enum agg_by by)
{
	agg_free(t->cur);
	agg_free(t->shown);
	agg_free(t->cum);
	t->by = by;
	t->cur = agg_new(by);
	t->shown = agg_new(by);
	t->cum = agg_new(by);
	t->nrows = 0;
	t->shown_ns = 0;
	t->cur_start = t->cum_start = now_ns();
	t->shown_at = time(NULL);
	return t->cur && t->shown && t->cum ? 0 : -ENOMEM;
}

/* Rows */

static double col_value(const struct agg_stats *st, int c, double secs)
{
	bool retr = field_known(st, AGG_F_RETRIES);

	switch (c) {
	case C_OPS:
		return st->ops / secs;
	case C_ERRS:
		return st->errors / secs;
	case C_RETR:
		return retr ? st->sum[AGG_F_RETRIES] / secs : NAN;
	case C_MAXR:
		return retr ? st->max_retries : NAN;
	case C_ZAPS:
		return field_known(st, AGG_F_ZAP_RACES) ?
		       (double)st->sum[AGG_F_ZAP_RACES] : NAN;
	case C_ZAPPER:
		return st->last_zap_tid ? (double)st->last_zap_tid : NAN;
	case C_P50:
		return hist_percentile(&st->lat, 50);
	case C_P99:
		return hist_percentile(&st->lat, 99);
	case C_LMAX:
		return st->lat.max;
	case C_PGOP:
		return field_known(st, AGG_F_PAGES) ?
		       (double)st->sum[AGG_F_PAGES] / st->known[AGG_F_PAGES] :
		       NAN;
	}
	return NAN;
}

static int key_cmp(const struct agg_key *a, const struct agg_key *b)
{
	int r;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->cgroup_id != b->cgroup_id)
		return a->cgroup_id < b->cgroup_id ? -1 : 1;
	if (a->caller != b->caller)
		return a->caller < b->caller ? -1 : 1;
	r = strncmp(a->comm, b->comm, sizeof(a->comm));
	return r;
}

/* Largest first, unknown last, then by key: the order never flickers. */
static int row_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct row *a = pa, *b = pb;
	int c = *(const int *)ctx;
	double x = a->v[c], y = b->v[c];

	if (isnan(x) != isnan(y))
		return isnan(x) ? 1 : -1;
	if (!isnan(x) && x != y)
		return x > y ? -1 : 1;
	return key_cmp(&a->st->key, &b->st->key);
}

static void rows_sort(struct top *t)
{
	qsort_r(t->rows, t->nrows, sizeof(*t->rows), row_cmp, &t->o->sort);
}

/* Keeps the selection on the same group across refreshes and re-sorts. */
static void select_key(struct top *t)
{
	size_t i;

	if (t->have_sel_key) {
		for (i = 0; i < t->nrows; i++) {
			if (!key_cmp(&t->rows[i].st->key, &t->sel_key)) {
				t->sel = i;
				return;
			}
		}
	}
	if (t->sel >= (int)t->nrows)
		t->sel = t->nrows ? (int)t->nrows - 1 : 0;
	if (t->nrows) {
		t->sel_key = t->rows[t->sel].st->key;
		t->have_sel_key = true;
	}
}

static int rows_build(struct top *t)
{
	size_t n = agg_count(t->shown), i;
	double secs = t->shown_ns / 1e9;
	struct row *r;
	int c;

	r = realloc(t->rows, (n ? n : 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	t->rows = r;
	t->nrows = n;
	for (i = 0; i < n; i++) {
		r[i].st = agg_at(t->shown, i);
		for (c = 0; c < C_NCOLS; c++)
			r[i].v[c] = col_value(r[i].st, c, secs);
	}
	rows_sort(t);
	select_key(t);
	return 0;
}

/*
 * A long run sees many short-lived processes: their groups stay in `cum`
 * for good.  Past a bound it starts over rather than grow without end.
 */
static void cum_bound(struct top *t, __u64 now)
{
	if (agg_count(t->cum) <= CUM_MAX_GROUPS)
		return;
	agg_reset(t->cum);
	t->cum_start = now;
	snprintf(t->msg, sizeof(t->msg),
		 "histograms restarted: more than %d groups since the last start",
		 CUM_MAX_GROUPS);
}

/* Ends the interval being collected: it becomes the one shown. */
static void rotate(struct top *t)
{
	struct agg *a;
	__u64 now, drops;
	int err;

	err = session_drain(t->s, on_record, t);
	if (err < 0) {
		fail(t, err, "reading the ring buffer");
		return;
	}
	now = now_ns();
	a = t->shown;
	t->shown = t->cur;
	t->cur = a;
	agg_reset(t->cur);
	t->shown_ns = now - t->cur_start;
	t->cur_start = now;
	t->shown_at = time(NULL);
	drops = session_drops(t->s);
	t->drops_shown = drops - t->drops;
	t->drops = drops;
	t->msg[0] = '\0';
	cum_bound(t, now);
	if (rows_build(t))
		fail(t, -ENOMEM, "sorting rows");
}

/* Text, shared by the screen and batch mode */

struct out {
	bool		tui;
	int		y, ymax;	/* tui: next line, first line not ours */
	FILE		*f;
};

/* Returns false if the screen had no line left for it. */
static bool put(struct out *o, int attr, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!o->tui) {
		fprintf(o->f, "%s\n", buf);
		return true;
	}
	if (o->y >= o->ymax)
		return false;
	attrset(attr);
	mvaddnstr(o->y++, 0, buf, COLS);
	attrset(A_NORMAL);
	return true;
}

static void fmt_rate(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v < 100000)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

static void fmt_cell(char *buf, size_t len, const struct agg_stats *st,
		     const double *v, int c)
{
	int e;

	switch (c) {
	case C_ERRNO:
		e = agg_top_errno(st);
		if (!st->errors)
			snprintf(buf, len, "-");
		else if (!e)
			snprintf(buf, len, "other");
		else if (errno_name(e))
			snprintf(buf, len, "%s", errno_name(e));
		else
			snprintf(buf, len, "E%d", e);
		return;
	case C_MAXR:
	case C_ZAPS:
	case C_ZAPPER:
		if (isnan(v[c]))
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.0f", v[c]);
		return;
	case C_P50:
	case C_P99:
	case C_LMAX:
		fmt_ns(buf, len, (__u64)v[c]);
		return;
	}
	fmt_rate(buf, len, v[c]);
}

/*
 * Appends one cell; returns the column it starts at.  Never cuts: a number
 * wider than its column shifts the line rather than lose digits.
 */
static int cell(char *buf, size_t len, int *off, int width, const char *s)
{
	int at = *off;

	if ((size_t)*off >= len)
		return at;
	*off += snprintf(buf + *off, len - *off, "%s%*s", *off ? " " : "",
			 width, s);
	if ((size_t)*off > len)
		*off = len;
	return at ? at + 1 : at;
}

#define W_PID	7
#define W_NAME	16	/* comm, kind */
#define W_PATH	32	/* cgroup, caller */

/* The last `width` characters, ".." in front when cut. */
static const char *tail(const char *s, int width, char *buf, size_t len)
{
	size_t n = strlen(s);

	if ((int)n <= width)
		return s;
	snprintf(buf, len, "..%s", s + n - (width - 2));
	return buf;
}

/* The key cells of a row, or their titles when st is NULL. */
static void key_cells(struct top *t, const struct agg_stats *st, char *buf,
		      size_t len, int *off)
{
	const struct agg_key *k = st ? &st->key : NULL;
	char tmp[PATH_MAX], cut[64], pid[16];

	switch (t->by) {
	case AGG_BY_PID:
		snprintf(pid, sizeof(pid), "%u", k ? k->pid : 0);
		cell(buf, len, off, W_PID, k ? pid : "PID");
		/* fall through */
	case AGG_BY_COMM:
		cell(buf, len, off, -W_NAME, k ? k->comm : "COMM");
		break;
	case AGG_BY_CGROUP:
		if (k)
			cg_name(&t->cg, k->cgroup_id, tmp, sizeof(tmp));
		cell(buf, len, off, -W_PATH,
		     k ? tail(tmp, W_PATH, cut, sizeof(cut)) : "CGROUP");
		break;
	case AGG_BY_CALLER:
		/* The symbol's start matters more than its offset: cut the end. */
		if (k)
			ksym_name(&t->ksyms, k->caller, tmp, W_PATH + 1);
		cell(buf, len, off, -W_PATH, k ? tmp : "CALLER");
		break;
	case AGG_BY_KIND:
		break;
	}
	cell(buf, len, off, -W_NAME, k ? pfnmap_kind_name(k->kind) : "KIND");
}

/* The title line; *sort_x and *sort_w locate the sort column in it. */
static void title_line(struct top *t, char *buf, size_t len, int *sort_x,
		       int *sort_w)
{
	int off = 0, c, at;

	buf[0] = '\0';
	if (t->tui)
		off = snprintf(buf, len, " ");
	key_cells(t, NULL, buf, len, &off);
	for (c = 0; c < C_NCOLS; c++) {
		at = cell(buf, len, &off, columns[c].width, columns[c].title);
		if (c == t->o->sort) {
			*sort_x = at;
			*sort_w = abs(columns[c].width);
		}
	}
}

static void row_line(struct top *t, const struct row *r, bool selected,
		     char *buf, size_t len)
{
	char v[32];
	int off = 0, c;

	buf[0] = '\0';
	if (t->tui)
		off = snprintf(buf, len, "%s", selected ? ">" : " ");
	key_cells(t, r->st, buf, len, &off);
	for (c = 0; c < C_NCOLS; c++) {
		fmt_cell(v, sizeof(v), r->st, r->v, c);
		cell(buf, len, &off, columns[c].width, v);
	}
}

static bool kind_shown(struct top *t, int k)
{
	__u32 kinds = t->o->sess.kinds;

	return !kinds || (kinds & (1U << k)) || session_mode(t->s, k)->source;
}

/* "vfio_pin(as vfio_map_dma)": a missing kind its ioctl stands in for. */
static const char *stand_in(struct top *t, int k)
{
	const struct ioctl_view *v = ioctl_view_of(k);

	if (!v || v->kind == k ||
	    session_mode(t->s, v->kind)->source != PFNMAP_S_SYSCALL)
		return NULL;
	return pfnmap_kind_name(v->kind);
}

/* "syscall: uffd_copy uffd_zeropage  missing: vfio_pin ..." */
static void mode_line(struct top *t, char *buf, size_t len)
{
	int off = 0, src, k;

	for (src = 1; src <= PFNMAP_S_MAX; src++) {
		int s = src == PFNMAP_S_MAX ? PFNMAP_S_NONE : src;
		bool any = false;

		for (k = 0; k < PFNMAP_K_MAX && off < (int)len; k++) {
			const char *as = stand_in(t, k);

			if (!kind_shown(t, k) ||
			    session_mode(t->s, k)->source != s)
				continue;
			if (!any)
				off += snprintf(buf + off, len - off, "%s%s:",
						off ? "  " : "",
						s ? pfnmap_source_name(s) :
						    "missing");
			any = true;
			off += snprintf(buf + off, len - off, " %s%s%s%s",
					pfnmap_kind_name(k), as ? "(as " : "",
					as ? as : "", as ? ")" : "");
		}
	}
	if (!off)
		snprintf(buf, len, "-");
}

static bool any_syscall(struct top *t)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (kind_shown(t, k) &&
		    session_mode(t->s, k)->source == PFNMAP_S_SYSCALL)
			return true;
	return false;
}

static void filter_line(struct top *t, char *buf, size_t len)
{
	const struct session_opts *so = &t->o->sess;
	const char *sep = " kind ";
	int off = 0, k;

	buf[0] = '\0';
	if (so->tgid)
		off += snprintf(buf + off, len - off, " pid %u", so->tgid);
	if (so->comm)
		off += snprintf(buf + off, len - off, " comm %s", so->comm);
	if (t->o->cgroup)
		off += snprintf(buf + off, len - off, " cgroup %s",
				t->o->cgroup);
	for (k = 0; k < PFNMAP_K_MAX && off < (int)len; k++) {
		if (!(so->kinds & (1U << k)))
			continue;
		off += snprintf(buf + off, len - off, "%s%s", sep,
				pfnmap_kind_name(k));
		sep = ",";
	}
}

/* "4.2s", "73s": how long a cumulative view has been collecting. */
static void fmt_secs(char *buf, size_t len, __u64 ns)
{
	snprintf(buf, len, ns < 10 * NSEC_PER_SEC ? "%.1fs" : "%.0fs",
		 ns / 1e9);
}

static __u64 cum_ops(struct top *t)
{
	__u64 n = 0;
	size_t i;

	for (i = 0; i < agg_count(t->cum); i++)
		n += agg_at(t->cum, i)->ops;
	return n;
}

static void totals_line(struct top *t, char *buf, size_t len)
{
	double secs = t->shown_ns / 1e9, ops = 0, errs = 0, retr = 0;
	char a[32], b[32], c[32], d[32];
	bool retr_known = false;
	size_t i;

	for (i = 0; i < t->nrows; i++) {
		const struct agg_stats *st = t->rows[i].st;

		ops += st->ops;
		errs += st->errors;
		if (field_known(st, AGG_F_RETRIES)) {
			retr += st->sum[AGG_F_RETRIES];
			retr_known = true;
		}
	}
	fmt_rate(a, sizeof(a), secs > 0 ? ops / secs : NAN);
	fmt_rate(b, sizeof(b), secs > 0 ? errs / secs : NAN);
	fmt_rate(c, sizeof(c), secs > 0 && retr_known ? retr / secs : NAN);
	fmt_secs(d, sizeof(d), now_ns() - t->cum_start);
	snprintf(buf, len, "total  ops/s %s  err/s %s  retr/s %s  rows %zu  ops %llu in %s  drops %llu (+%llu)",
		 a, b, c, t->nrows, (unsigned long long)cum_ops(t), d,
		 (unsigned long long)t->drops,
		 (unsigned long long)t->drops_shown);
}

static void header(struct top *t, struct out *o)
{
	char buf[1024], when[16];
	struct tm tm;

	localtime_r(&t->shown_at, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (t->shown_ns)
		snprintf(buf, sizeof(buf), "%.3fs", t->shown_ns / 1e9);
	else
		snprintf(buf, sizeof(buf), "-");
	put(o, A_BOLD, "pfnmap top  %s  interval %s  by %s  sort %s%s",
	    when, buf, by_names[t->by],
	    columns[t->o->sort].title, t->paused ? "  [paused]" : "");
	totals_line(t, buf, sizeof(buf));
	put(o, t->drops_shown ? A_BOLD : A_NORMAL, "%s", buf);
	mode_line(t, buf, sizeof(buf));
	put(o, A_NORMAL, "mode   %s", buf);
	if (any_syscall(t))
		put(o, A_NORMAL, "note   syscall: only the ioctl is seen, not retries inside the kernel, nested calls or zap races ('-')");
	filter_line(t, buf, sizeof(buf));
	if (buf[0])
		put(o, A_NORMAL, "filter%s", buf);
}

/* Histogram (bcc style, log2 slots of ns) */

struct log2_hist {
	__u64	slot[65];	/* [0]: 0, [i]: [2^(i-1), 2^i - 1] */
	int	lo, hi;		/* first, last slot in use; hi < lo: empty */
};

/* Each log-linear bucket lies within one power of two: this is exact. */
static void log2_of(const struct lat_hist *h, struct log2_hist *l)
{
	unsigned int b;

	memset(l, 0, sizeof(*l));
	l->lo = 65;
	l->hi = -1;
	for (b = 0; b < HIST_BUCKETS; b++) {
		__u64 low = hist_bucket_low(b);
		int i = low ? 64 - __builtin_clzll(low) : 0;

		if (!h->bucket[b])
			continue;
		l->slot[i] += h->bucket[b];
		if (i < l->lo)
			l->lo = i;
		if (i > l->hi)
			l->hi = i;
	}
}

static __u64 slot_low(int i)
{
	return i ? 1ULL << (i - 1) : 0;
}

static __u64 slot_high(int i)
{
	return i == 64 ? ~0ULL : i ? (1ULL << i) - 1 : 0;
}

static void key_desc(struct top *t, const struct agg_key *k, char *buf,
		     size_t len)
{
	char tmp[PATH_MAX];

	switch (t->by) {
	case AGG_BY_PID:
		snprintf(buf, len, "pid %u %s %s", k->pid, k->comm,
			 pfnmap_kind_name(k->kind));
		break;
	case AGG_BY_COMM:
		snprintf(buf, len, "comm %s %s", k->comm,
			 pfnmap_kind_name(k->kind));
		break;
	case AGG_BY_CGROUP:
		cg_name(&t->cg, k->cgroup_id, tmp, sizeof(tmp));
		snprintf(buf, len, "cgroup %s %s", tmp,
			 pfnmap_kind_name(k->kind));
		break;
	case AGG_BY_CALLER:
		ksym_name(&t->ksyms, k->caller, tmp, sizeof(tmp));
		snprintf(buf, len, "caller %s %s", tmp,
			 pfnmap_kind_name(k->kind));
		break;
	default:
		snprintf(buf, len, "%s", pfnmap_kind_name(k->kind));
	}
}

static int hist_lines(struct top *t, struct log2_hist *l)
{
	const struct agg_stats *st = NULL;

	if (t->have_sel_key)
		st = agg_find(t->cum, &t->sel_key);
	if (!st || !st->lat.count) {
		l->hi = -1;
		return 2;
	}
	log2_of(&st->lat, l);
	return 3 + l->hi - l->lo;
}

static void hist_draw(struct top *t, struct out *o, const struct log2_hist *l)
{
	const struct agg_stats *st = NULL;
	char desc[PATH_MAX + 64], p50[16], p99[16], mx[16], secs[32];
	__u64 peak = 0;
	int i, w;

	if (t->have_sel_key)
		st = agg_find(t->cum, &t->sel_key);
	if (!st || l->hi < 0) {
		put(o, A_BOLD, "latency histogram: no row selected (Up/Down select one)");
		put(o, A_NORMAL, "");
		return;
	}
	key_desc(t, &st->key, desc, sizeof(desc));
	fmt_ns(p50, sizeof(p50), hist_percentile(&st->lat, 50));
	fmt_ns(p99, sizeof(p99), hist_percentile(&st->lat, 99));
	fmt_ns(mx, sizeof(mx), st->lat.max);
	fmt_secs(secs, sizeof(secs), now_ns() - t->cum_start);
	put(o, A_BOLD, "latency of %s: %llu ops in %s, p50 %s p99 %s max %s",
	    desc, (unsigned long long)st->lat.count, secs, p50, p99, mx);
	for (i = l->lo; i <= l->hi; i++)
		if (l->slot[i] > peak)
			peak = l->slot[i];
	w = snprintf(NULL, 0, "%llu", (unsigned long long)slot_high(l->hi));
	if (w < 5)
		w = 5;
	/* bcc's layout: the unit centered over the ranges, then the bars. */
	put(o, A_NORMAL, "%*s%-*s : count     distribution", w + 3, "nsecs",
	    w + 2, "");
	for (i = l->lo; i <= l->hi; i++) {
		int stars = (int)(l->slot[i] * HIST_STARS / peak);
		char bar[HIST_STARS + 1];

		memset(bar, '*', stars);
		bar[stars] = '\0';
		put(o, A_NORMAL, "%*llu -> %-*llu : %-9llu |%-*s|", w,
		    (unsigned long long)slot_low(i), w,
		    (unsigned long long)slot_high(i),
		    (unsigned long long)l->slot[i], HIST_STARS, bar);
	}
}

/* Batch output */

static void print_text(struct top *t)
{
	struct out o = { .f = stdout };
	char buf[1024];
	int x, w;
	size_t i;

	header(t, &o);
	put(&o, A_NORMAL, "");
	title_line(t, buf, sizeof(buf), &x, &w);
	put(&o, A_NORMAL, "%s", buf);
	for (i = 0; i < t->nrows; i++) {
		row_line(t, &t->rows[i], false, buf, sizeof(buf));
		put(&o, A_NORMAL, "%s", buf);
	}
	put(&o, A_NORMAL, "");
}

static void json_rate(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (isnan(v))
		json_null(j);
	else
		json_double(j, v);
}

static void json_row_keys(struct top *t, struct json *j,
			  const struct agg_key *k)
{
	char tmp[PATH_MAX];

	json_kv_str(j, "kind", pfnmap_kind_name(k->kind));
	if (t->by == AGG_BY_PID)
		json_kv_u64(j, "pid", k->pid);
	if (t->by == AGG_BY_PID || t->by == AGG_BY_COMM)
		json_kv_str(j, "comm", k->comm);
	if (t->by == AGG_BY_CGROUP) {
		json_kv_u64(j, "cgroup_id", k->cgroup_id);
		cg_name(&t->cg, k->cgroup_id, tmp, sizeof(tmp));
		json_kv_str(j, "cgroup", tmp);
	}
	if (t->by == AGG_BY_CALLER) {
		json_kv_u64(j, "caller", k->caller);
		ksym_name(&t->ksyms, k->caller, tmp, sizeof(tmp));
		json_kv_str(j, "caller_sym", tmp);
	}
}

static void json_row(struct top *t, struct json *j, const struct row *r)
{
	const struct agg_stats *st = r->st;
	char err[32];

	json_obj_begin(j);
	json_row_keys(t, j, &st->key);
	stats_json(j, st, session_mode(t->s, st->key.kind)->valid);
	json_rate(j, "ops_per_s", r->v[C_OPS]);
	json_rate(j, "errors_per_s", r->v[C_ERRS]);
	json_rate(j, "retries_per_s", r->v[C_RETR]);
	json_key(j, "top_errno");
	fmt_cell(err, sizeof(err), st, r->v, C_ERRNO);
	if (st->errors)
		json_str(j, err);
	else
		json_null(j);
	json_rate(j, "pages_per_op", r->v[C_PGOP]);
	json_obj_end(j);
}

static void print_json(struct top *t)
{
	struct timeval tv;
	struct json j;
	size_t i;
	int k;

	gettimeofday(&tv, NULL);
	json_init(&j, stdout, false);
	json_obj_begin(&j);
	json_kv_double(&j, "timestamp", tv.tv_sec + tv.tv_usec / 1e6);
	json_kv_u64(&j, "monotonic_ns", t->cur_start);
	json_kv_u64(&j, "interval_ns", t->shown_ns);
	json_kv_str(&j, "by", by_names[t->by]);
	json_kv_str(&j, "sort", columns[t->o->sort].name);
	json_kv_u64(&j, "drops", t->drops);
	json_kv_u64(&j, "drops_interval", t->drops_shown);
	json_key(&j, "mode");
	json_obj_begin(&j);
	for (k = 0; k < PFNMAP_K_MAX; k++)
		json_kv_str(&j, pfnmap_kind_name(k),
			    pfnmap_source_name(session_mode(t->s, k)->source));
	json_obj_end(&j);
	json_key(&j, "rows");
	json_arr_begin(&j);
	for (i = 0; i < t->nrows; i++)
		json_row(t, &j, &t->rows[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}

/* The screen, and keeping the terminal sane */

static volatile sig_atomic_t stop;
static volatile sig_atomic_t tui_active;
static struct termios saved_tios;
static bool have_tios;
static char reset_seq[256];
static size_t reset_len;
static SCREEN *screen;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void tui_end(void)
{
	if (!tui_active)
		return;
	tui_active = 0;
	endwin();
	fflush(stdout);
	delscreen(screen);
	screen = NULL;
}

/* Async-signal-safe: what endwin() would do, from saved bytes. */
static void on_fatal(int sig)
{
	if (tui_active) {
		if (reset_len && write(STDOUT_FILENO, reset_seq, reset_len) < 0)
			reset_len = 0;
		if (have_tios)
			tcsetattr(STDOUT_FILENO, TCSANOW, &saved_tios);
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void reset_add(const char *cap)
{
	const char *s = tigetstr(cap);
	size_t n;

	if (!s || s == (char *)-1)
		return;
	n = strlen(s);
	if (reset_len + n < sizeof(reset_seq)) {
		memcpy(reset_seq + reset_len, s, n);
		reset_len += n;
	}
}

static void signals_init(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT };
	struct sigaction sa = { .sa_handler = on_signal };
	size_t i;

	/* Before newterm(): ncurses then keeps ours instead of its own. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	/* A closed pipe in batch mode is a write error, handled as such. */
	signal(SIGPIPE, SIG_IGN);
	sa.sa_handler = on_fatal;
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
}

static int tui_begin(void)
{
	const char *term = getenv("TERM");

	have_tios = !tcgetattr(STDOUT_FILENO, &saved_tios);
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		fprintf(stderr, "pfnmap top: cannot drive terminal '%s' (use -b for batch mode)\n",
			term ? term : "");
		return -1;
	}
	tui_active = 1;
	atexit(tui_end);
	if (!tigetstr("cup") || tigetstr("cup") == (char *)-1) {
		tui_end();
		fprintf(stderr, "pfnmap top: terminal '%s' cannot move the cursor (use -b for batch mode)\n",
			term ? term : "");
		return -1;
	}
	reset_add("rmcup");
	reset_add("cnorm");
	reset_add("sgr0");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	return 0;
}

/* Keeps the selected row inside the `rows` lines of the table. */
static void scroll_to_sel(struct top *t, int rows)
{
	if (rows < 1)
		rows = 1;
	if (t->sel < t->first)
		t->first = t->sel;
	if (t->sel >= t->first + rows)
		t->first = t->sel - rows + 1;
	if (t->first > (int)t->nrows - rows)
		t->first = (int)t->nrows - rows;
	if (t->first < 0)
		t->first = 0;
}

static void draw_table(struct top *t, struct out *o, int rows)
{
	char buf[1024];
	int x = 0, w = 0, i;

	title_line(t, buf, sizeof(buf), &x, &w);
	if (put(o, A_REVERSE, "%-*s", COLS, buf))
		mvchgat(o->y - 1, x, w, A_REVERSE | A_BOLD | A_UNDERLINE, 0,
			NULL);
	scroll_to_sel(t, rows);
	for (i = t->first; i < (int)t->nrows && i < t->first + rows; i++) {
		row_line(t, &t->rows[i], i == t->sel, buf, sizeof(buf));
		put(o, i == t->sel ? A_REVERSE : A_NORMAL, "%-*s",
		    i == t->sel ? COLS : 0, buf);
	}
	if (!t->nrows)
		put(o, A_NORMAL, " %s", t->shown_ns ?
		    "no operations in the last interval" :
		    "collecting: rows come with the first refresh");
}

static void draw(struct top *t)
{
	struct out o = { .tui = true, .ymax = LINES - 1 };
	struct log2_hist l;
	int hist = 0;

	erase();
	header(t, &o);
	put(&o, A_BOLD, "%s", t->msg);
	if (t->hist) {
		/* The histogram and a blank line before it; the table keeps half. */
		hist = hist_lines(t, &l) + 1;
		if (hist > (o.ymax - o.y) / 2)
			hist = (o.ymax - o.y) / 2;
	}
	o.ymax -= hist;
	draw_table(t, &o, o.ymax - o.y - 1);
	if (t->hist) {
		o.ymax += hist;
		put(&o, A_NORMAL, "");
		hist_draw(t, &o, &l);
	}
	attrset(A_REVERSE);
	mvaddnstr(LINES - 1, 0, " q quit  s < > sort  g group  p pause  h histogram  Up/Down select", COLS);
	attrset(A_NORMAL);
	refresh();
}

static void cycle_sort(struct top *t, int dir, bool wrap)
{
	int c = t->o->sort;

	do {
		c += dir;
		if (c < 0 || c >= C_NCOLS) {
			if (!wrap)
				return;
			c = c < 0 ? C_NCOLS - 1 : 0;
		}
	} while (!columns[c].name);
	t->o->sort = c;
	rows_sort(t);
	select_key(t);
}

static void regroup(struct top *t)
{
	enum agg_by by = (t->by + 1) % NR_BY;

	if (aggs_new(t, by)) {
		fail(t, -ENOMEM, "regrouping");
		return;
	}
	t->sel = t->first = 0;
	t->have_sel_key = false;
	snprintf(t->msg, sizeof(t->msg),
		 "grouped by %s: a new interval started, rows come with the next refresh",
		 by_names[by]);
}

static void move_sel(struct top *t, int to)
{
	if (to >= (int)t->nrows)
		to = (int)t->nrows - 1;
	if (to < 0)
		to = 0;
	t->sel = to;
	if (t->nrows) {
		t->sel_key = t->rows[to].st->key;
		t->have_sel_key = true;
	}
}

static void key(struct top *t, int ch)
{
	int page = LINES / 2 > 1 ? LINES / 2 : 1;

	switch (ch) {
	case 'q': case 'Q':
		t->quit = true;
		break;
	case 's':
		cycle_sort(t, 1, true);
		break;
	case '>':
		cycle_sort(t, 1, false);
		break;
	case '<':
		cycle_sort(t, -1, false);
		break;
	case 'g':
		regroup(t);
		break;
	case 'p':
		t->paused = !t->paused;
		break;
	case 'h':
		t->hist = !t->hist;
		break;
	case KEY_UP: case 'k':
		move_sel(t, t->sel - 1);
		break;
	case KEY_DOWN: case 'j':
		move_sel(t, t->sel + 1);
		break;
	case KEY_PPAGE:
		move_sel(t, t->sel - page);
		break;
	case KEY_NPAGE:
		move_sel(t, t->sel + page);
		break;
	case KEY_HOME:
		move_sel(t, 0);
		break;
	case KEY_END:
		move_sel(t, (int)t->nrows - 1);
		break;
	}
}

static void read_keys(struct top *t)
{
	bool any = false;
	int ch;

	while ((ch = getch()) != ERR) {
		key(t, ch);
		any = true;
	}
	if (any && !t->quit)
		draw(t);
}

/* The loop */

/* Shows one refresh. */
static void show(struct top *t)
{
	if (t->tui) {
		draw(t);
		return;
	}
	if (t->o->json)
		print_json(t);
	else
		print_text(t);
	if (fflush(stdout) || ferror(stdout))
		fail(t, errno ? -errno : -EIO, "writing the output");
}

static void tick(struct top *t)
{
	if (t->paused)
		return;
	rotate(t);
	if (t->err)
		return;
	t->refreshes++;
	show(t);
}

static int wait_ms(__u64 now, __u64 next, bool tui)
{
	__u64 ms = (next - now + 999999) / 1000000;

	if (tui && ms > KEY_POLL_MS)
		ms = KEY_POLL_MS;
	return ms ? (int)ms : 1;
}

static void run(struct top *t)
{
	__u64 next = t->cur_start + t->o->interval_ns;
	int n;

	if (t->tui)
		draw(t);
	while (!stop && !t->quit && !t->err) {
		__u64 now = now_ns();

		if (now >= next) {
			tick(t);
			if (t->o->count && t->refreshes >= t->o->count)
				break;
			/* Fixed beats; a late one does not make the next early. */
			next += t->o->interval_ns;
			if (next <= now)
				next = now + t->o->interval_ns;
			continue;
		}
		n = session_poll(t->s, wait_ms(now, next, t->tui), on_record, t);
		if (n < 0)
			fail(t, n, "reading the ring buffer");
		if (t->tui && !t->err)
			read_keys(t);
	}
}

static void top_free(struct top *t)
{
	agg_free(t->cur);
	agg_free(t->shown);
	agg_free(t->cum);
	free(t->rows);
	cg_free(&t->cg);
	ksyms_free(&t->ksyms);
	session_close(t->s);
}

/* Says what went wrong, on a terminal that is sane again; the exit status. */
static int report(const struct top *t)
{
	/* The reader of batch output went away: nothing left to do. */
	if (!t->err || t->err == -EPIPE)
		return 0;
	fprintf(stderr, "pfnmap top: %s failed: %s\n", t->err_what,
		strerror(-t->err));
	return 1;
}

int cmd_top(int argc, char **argv)
{
	struct top_opts o = {
		.interval_ns	= NSEC_PER_SEC,
		.by		= AGG_BY_PID,
		.sort		= C_OPS,
	};
	struct top t = { .o = &o };
	int r;

	r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	if (!isatty(STDOUT_FILENO))
		o.batch = true;
	if (cg_init(&t.cg, o.cgroup)) {
		cg_free(&t.cg);
		return 2;
	}
	if (session_open(&t.s, &o.sess)) {
		cg_free(&t.cg);
		return 1;
	}
	signals_init();
	if (aggs_new(&t, o.by))
		fail(&t, -ENOMEM, "allocating");
	if (!t.err && !o.batch) {
		t.tui = true;
		if (tui_begin()) {
			top_free(&t);
			return 1;
		}
	}
	if (!t.err)
		run(&t);
	/* The screen goes first: the error must land on a sane terminal. */
	tui_end();
	r = report(&t);
	top_free(&t);
	return r;
}
