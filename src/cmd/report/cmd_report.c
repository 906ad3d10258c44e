// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_report.c - `pfnmap report`: read one or more captures of `pfnmap
 * record` and print totals per kind, errors by errno, retries per
 * operation, zap races, latency, callers; or export the records for
 * Perfetto, flame graphs, scripts.
 *
 * Needs no privilege and no BPF: it only reads files.  A damaged capture
 * still gives everything its intact chunks hold; what is missing is said
 * on stderr and in the exit status.  What a capture's header says its
 * kinds could not see stays unknown ('-', null), never 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "agg.h"
#include "capture.h"
#include "cmds.h"
#include "export.h"
#include "json.h"
#include "targets.h"
#include "view.h"

enum by { BY_KIND, BY_COMM, BY_PID, BY_CALLER, BY_ERRNO, BY_ZAPPER };

static const char *const by_names[] = {
	[BY_KIND] = "kind", [BY_COMM] = "comm", [BY_PID] = "pid",
	[BY_CALLER] = "caller", [BY_ERRNO] = "errno", [BY_ZAPPER] = "zapper",
};

/* Tasks seen zapping vfio-pci BARs (vfio_zap records), for names. */
#define MAX_ZAPPERS	256

struct zapper {
	__u32	tid;
	char	comm[PFNMAP_COMM_LEN];
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap report [OPTIONS] [-i FILE]... [FILE...]\n"
"\n"
"Read captures written by 'pfnmap record' (default pfnmap.data; several\n"
"are merged) and print per kind: operations, errors by errno, retries\n"
"per operation (distribution and max), nested calls, zap races, latency;\n"
"then the callers of stand-alone follow_pfnmap/fixup_user_fault records,\n"
"resolved through /proc/kallsyms when the capture was made on this very\n"
"boot, in hex otherwise.  Counters a capture could not see print as '-'\n"
"(JSON null), never as 0.\n"
"\n"
"  -i, --input FILE    a capture to read ('-': stdin); may repeat\n"
"      --by K          also group by kind, comm, pid, caller, errno, or\n"
"                      zapper (zap races by the task whose vfio-pci zap\n"
"                      caused them, with the fault-in to zap gap)\n"
"      --hist          log2 latency histograms per kind\n"
"  -j, --json          the report as one JSON object\n"
"      --csv           one CSV line per operation, with a header line\n"
"      --folded        'comm;kind;caller-or-errno count' lines, for\n"
"                      flamegraph.pl or speedscope\n"
"      --perfetto OUT  write OUT as Chrome trace-event JSON (ui.perfetto.dev,\n"
"                      chrome://tracing): a track per thread, a slice per\n"
"                      operation, its counters as arguments\n"
"\n"
"A capture cut short or corrupt is read up to what is intact; one line on\n"
"stderr says what is missing.  Exit status: 0, 1 if an input is damaged\n"
"(the report shows what could be read), 2 on usage or unreadable input.\n");
}

struct input {
	const char		*path;
	__u8			*buf;
	size_t			len;
	bool			mapped;
	bool			skip;		/* same capture given twice */
	bool			resolve;	/* this boot: kallsyms applies */
	struct cap_info		info;
	struct cap_status	st;
};

struct ksym {
	__u64	addr;
	size_t	name;		/* offset in ksyms.names */
};

struct ksyms {
	struct ksym	*syms;
	size_t		n, cap;
	char		*names;
	size_t		len, names_cap;
};

struct report {
	enum by			by;
	bool			hist, json, csv, folded;
	const char		*perfetto_path;
	struct input		*in;
	int			nr_in;
	int			cur;		/* input being read */
	struct agg		*kinds;
	struct agg		*groups;	/* --by, NULL for kind */
	struct agg		*callers;	/* key.caller: label id + 1 */
	struct strmap		*labels;	/* caller and errno labels */
	struct strmap		*addr_cache;	/* "input:addr" -> label id + 1 */
	struct strmap		*folded_map;
	struct perfetto		*pf;
	FILE			*pf_file;
	struct ksyms		*ksyms;
	bool			ksyms_tried;
	__u64			asked[PFNMAP_K_MAX];	/* sum of len */
	struct pfnmap_event	worst[PFNMAP_K_MAX];	/* most retries */
	__s64			worst_wall[PFNMAP_K_MAX];
	struct zapper		zappers[MAX_ZAPPERS];
	int			nr_zappers;
	__s64			base_ns;
	bool			realtime;
	int			err;
};

/* ---- options ------------------------------------------------------------ */

static int parse_by(struct report *r, const char *arg)
{
	size_t i;

	for (i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
		if (!strcmp(arg, by_names[i])) {
			r->by = i;
			return 0;
		}
	fprintf(stderr, "pfnmap report: bad --by '%s' (kind, comm, pid, caller, errno, zapper)\n",
		arg);
	return -1;
}

static int add_input(struct report *r, const char *path)
{
	r->in[r->nr_in++].path = path;
	return 0;
}

static int check_args(struct report *r)
{
	if (r->json + r->csv + r->folded > 1) {
		fprintf(stderr, "pfnmap report: --json, --csv and --folded all write stdout: pick one\n");
		return 2;
	}
	if (!r->nr_in)
		add_input(r, "pfnmap.data");
	return -1;
}

static int parse_args(int argc, char **argv, struct report *r)
{
	enum { O_BY = 0x2000, O_HIST, O_CSV, O_FOLDED, O_PERFETTO };
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "by", required_argument, NULL, O_BY },
		{ "hist", no_argument, NULL, O_HIST },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, O_CSV },
		{ "folded", no_argument, NULL, O_FOLDED },
		{ "perfetto", required_argument, NULL, O_PERFETTO },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	r->in = calloc(argc + 1, sizeof(*r->in));
	if (!r->in)
		return 1;
	while ((opt = getopt_long(argc, argv, "i:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			add_input(r, optarg);
			break;
		case O_BY:
			if (parse_by(r, optarg))
				return 2;
			break;
		case O_HIST:
			r->hist = true;
			break;
		case 'j':
			r->json = true;
			break;
		case O_CSV:
			r->csv = true;
			break;
		case O_FOLDED:
			r->folded = true;
			break;
		case O_PERFETTO:
			r->perfetto_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	while (optind < argc)
		add_input(r, argv[optind++]);
	return check_args(r);
}

/* ---- inputs ------------------------------------------------------------- */

static int read_stdin(struct input *in)
{
	size_t cap = 1 << 20;
	ssize_t n;

	in->buf = malloc(cap);
	while (in->buf) {
		if (in->len == cap) {
			__u8 *b = realloc(in->buf, cap * 2);

			if (!b)
				break;
			in->buf = b;
			cap *= 2;
		}
		n = read(STDIN_FILENO, in->buf + in->len, cap - in->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		in->len += n;
	}
	return -ENOMEM;
}

/* The whole file in memory: mapped, the reader wants bytes. */
static int load_input(struct input *in)
{
	struct stat sb;
	int fd, err = 0;

	if (!strcmp(in->path, "-"))
		return read_stdin(in);
	fd = open(in->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb))
		err = -errno;
	else if (!S_ISREG(sb.st_mode))
		err = -EINVAL;
	if (!err && sb.st_size) {
		in->buf = mmap(NULL, sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (in->buf == MAP_FAILED) {
			in->buf = NULL;
			err = -errno;
		} else {
			in->len = sb.st_size;
			in->mapped = true;
		}
	}
	if (fd >= 0)
		close(fd);
	return err;
}

static void free_input(struct input *in)
{
	if (in->mapped)
		munmap(in->buf, in->len);
	else
		free(in->buf);
}

static void boot_id(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");

	buf[0] = '\0';
	if (f && fgets(buf, len, f))
		buf[strcspn(buf, "\n")] = '\0';
	if (f)
		fclose(f);
}

/* Kernel addresses mean something here only on the boot that made them. */
static bool same_boot(const struct cap_info *info)
{
	char id[64];
	struct utsname u;

	if (!info->header_ok || !info->meta.boot_id[0] || uname(&u))
		return false;
	boot_id(id, sizeof(id));
	return !strcmp(id, info->meta.boot_id) &&
	       !strcmp(u.release, info->meta.kernel);
}

static void mark_duplicates(struct report *r, int i)
{
	int j;

	for (j = 0; j < i; j++) {
		if (r->in[j].skip || !r->in[i].info.header_ok ||
		    !r->in[j].info.header_ok ||
		    r->in[i].info.meta.capture_id != r->in[j].info.meta.capture_id)
			continue;
		fprintf(stderr, "pfnmap report: %s is the same capture as %s: read once\n",
			r->in[i].path, r->in[j].path);
		r->in[i].skip = true;
		return;
	}
}

/* Loads every input and reads its header; 0 or 2 (message printed). */
static int open_inputs(struct report *r)
{
	char msg[256];
	int i, err;

	for (i = 0; i < r->nr_in; i++) {
		struct input *in = &r->in[i];

		err = load_input(in);
		if (!err && !in->len) {
			fprintf(stderr, "pfnmap report: %s: empty file, no capture\n",
				in->path);
			return 2;
		}
		if (!err)
			err = cap_read_header(in->buf, in->len, &in->info);
		if (err) {
			cap_describe_error(msg, sizeof(msg), err, &in->info);
			fprintf(stderr, "pfnmap report: %s: %s\n", in->path, msg);
			return 2;
		}
		in->resolve = same_boot(&in->info);
		mark_duplicates(r, i);
	}
	return 0;
}

/* Slices are timed from the earliest capture start, in wall-clock time. */
static void time_base(struct report *r)
{
	bool any = false;
	int i;

	r->realtime = true;
	for (i = 0; i < r->nr_in; i++) {
		const struct cap_meta *m = &r->in[i].info.meta;

		if (!m->has_clock) {
			r->realtime = false;
			continue;
		}
		if (!any || (__s64)m->clock_real_ns < r->base_ns)
			r->base_ns = m->clock_real_ns;
		any = true;
	}
	if (!r->realtime || !any)
		r->base_ns = 0;
}

/* ---- kernel symbols ----------------------------------------------------- */

static int ksym_add(struct ksyms *k, __u64 addr, const char *name,
		    const char *mod)
{
	size_t need = strlen(name) + (mod ? strlen(mod) + 3 : 0) + 1;

	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4096;
		struct ksym *s = realloc(k->syms, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		k->syms = s;
		k->cap = cap;
	}
	if (k->len + need > k->names_cap) {
		size_t cap = k->names_cap ? k->names_cap * 2 : 1 << 20;
		char *b = realloc(k->names, cap);

		if (!b)
			return -ENOMEM;
		k->names = b;
		k->names_cap = cap;
	}
	k->syms[k->n].addr = addr;
	k->syms[k->n++].name = k->len;
	k->len += snprintf(k->names + k->len, need, mod ? "%s [%s]" : "%s",
			   name, mod) + 1;
	return 0;
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->names);
	free(k);
}

/* Text symbols of /proc/kallsyms; NULL if it shows no addresses. */
static struct ksyms *ksyms_load(void)
{
	FILE *f = fopen("/proc/kallsyms", "r");
	struct ksyms *k = calloc(1, sizeof(*k));
	char line[512], name[256], mod[128];
	unsigned long long addr;
	char type;

	while (f && k && fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "%llx %c %255s [%127[^]]]", &addr, &type,
			       name, mod);

		if (n < 3 || !addr || (type != 't' && type != 'T'))
			continue;
		if (ksym_add(k, addr, name, n == 4 ? mod : NULL))
			break;
	}
	if (f)
		fclose(f);
	if (k && !k->n) {
		ksyms_free(k);
		return NULL;
	}
	if (k)
		qsort(k->syms, k->n, sizeof(*k->syms), cmp_ksym);
	return k;
}

/* "func+0x1c [module]", or NULL if addr is in no known function. */
static bool ksym_label(const struct ksyms *k, __u64 addr, char *buf,
		       size_t len)
{
	size_t lo = 0, hi = k->n;
	const char *name;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* lo - 1: the last symbol at or below addr; far past it is no hit */
	if (!lo || addr - k->syms[lo - 1].addr > (1 << 20))
		return false;
	name = k->names + k->syms[lo - 1].name;
	if (strchr(name, ' '))
		snprintf(buf, len, "%.*s+0x%llx%s", (int)strcspn(name, " "),
			 name, (unsigned long long)(addr - k->syms[lo - 1].addr),
			 strchr(name, ' '));
	else
		snprintf(buf, len, "%s+0x%llx", name,
			 (unsigned long long)(addr - k->syms[lo - 1].addr));
	return true;
}

/* ---- per record ----------------------------------------------------------- */

static bool has_caller(int kind)
{
	return kind == PFNMAP_K_FOLLOW_PFNMAP ||
	       kind == PFNMAP_K_FIXUP_USER_FAULT || kind == PFNMAP_K_VFIO_ZAP;
}

static long label_id(struct report *r, const char *label)
{
	long id = strmap_put(r->labels, label);

	if (id < 0)
		r->err = -ENOMEM;
	return id < 0 ? 0 : id;
}

static void caller_text(struct report *r, __u64 addr, char *buf, size_t len)
{
	if (!addr) {
		snprintf(buf, len, "[unknown]");
		return;
	}
	if (r->in[r->cur].resolve && !r->ksyms_tried) {
		r->ksyms = ksyms_load();
		r->ksyms_tried = true;
	}
	if (!r->in[r->cur].resolve || !r->ksyms ||
	    !ksym_label(r->ksyms, addr, buf, len))
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}

/* The label of a caller address, resolved once per input and address. */
static long caller_id(struct report *r, __u64 addr)
{
	char key[40], text[256];
	__u64 *v;
	long i;

	snprintf(key, sizeof(key), "%d:%llx", r->cur, (unsigned long long)addr);
	i = strmap_put(r->addr_cache, key);
	if (i < 0) {
		r->err = -ENOMEM;
		return 0;
	}
	v = strmap_val(r->addr_cache, i);
	if (!*v) {
		caller_text(r, addr, text, sizeof(text));
		*v = label_id(r, text) + 1;
	}
	return *v - 1;
}

static __s64 wall_ns(struct report *r, const struct pfnmap_event *e)
{
	const struct cap_meta *m = &r->in[r->cur].info.meta;

	/* without a clock pair in every header: monotonic time, base 0 */
	return r->realtime ? cap_wall_ns(m, e->start_ns) : (__s64)e->start_ns;
}

/* "Could this loop forever?": keep the operation that retried most. */
static void note_worst(struct report *r, const struct pfnmap_event *e,
		       __s64 wall)
{
	struct pfnmap_event *w = &r->worst[e->kind];

	if (!(e->valid & PFNMAP_V_RETRIES) || !e->retries)
		return;
	if (e->retries < w->retries ||
	    (e->retries == w->retries && e->retry_ns <= w->retry_ns))
		return;
	*w = *e;
	r->worst_wall[e->kind] = wall;
}

static void note_zapper(struct report *r, const struct pfnmap_event *e)
{
	int i;

	for (i = 0; i < r->nr_zappers; i++)
		if (r->zappers[i].tid == e->tid)
			return;
	if (r->nr_zappers == MAX_ZAPPERS)
		return;
	r->zappers[r->nr_zappers].tid = e->tid;
	memcpy(r->zappers[r->nr_zappers].comm, e->comm, PFNMAP_COMM_LEN);
	r->zappers[r->nr_zappers++].comm[PFNMAP_COMM_LEN - 1] = '\0';
}

static const char *zapper_comm(const struct report *r, __u32 tid)
{
	int i;

	for (i = 0; i < r->nr_zappers; i++)
		if (r->zappers[i].tid == tid)
			return r->zappers[i].comm;
	return "?";
}

static void add_group(struct report *r, const struct pfnmap_event *e,
		      long caller)
{
	struct pfnmap_event g = *e;
	char buf[24];

	if (r->by == BY_ZAPPER) {
		/* only zap races whose zap was seen; grouped by the zapper */
		if (!e->zaps_attributed)
			return;
		snprintf(buf, sizeof(buf), "%u", e->zap_tid);
		g.caller = label_id(r, buf) + 1;
	} else if (r->by == BY_CALLER)
		g.caller = (caller >= 0 ? caller : label_id(r, "-")) + 1;
	else if (r->by == BY_ERRNO)
		g.caller = label_id(r, ret_label(buf, sizeof(buf), e->ret)) + 1;
	if (agg_add(r->groups, &g))
		r->err = -ENOMEM;
}

static void export(struct report *r, const struct pfnmap_event *e,
		   const struct export_rec *x)
{
	if (r->pf && perfetto_add(r->pf, e, x))
		r->err = -ENOMEM;
	if (r->folded && folded_add(r->folded_map, e, x))
		r->err = -ENOMEM;
	if (r->csv)
		csv_row(stdout, e, x);
}

static int on_record(void *ctx, const struct pfnmap_event *e)
{
	struct report *r = ctx;
	struct export_rec x = { .wall_ns = wall_ns(r, e) };
	long caller = -1;

	if (agg_add(r->kinds, e))
		r->err = -ENOMEM;
	r->asked[e->kind] += e->len;
	if (e->kind == PFNMAP_K_VFIO_ZAP)
		note_zapper(r, e);
	note_worst(r, e, x.wall_ns);
	if (has_caller(e->kind)) {
		struct pfnmap_event g = *e;

		caller = caller_id(r, e->caller);
		x.caller = strmap_key(r->labels, caller);
		g.caller = caller + 1;
		if (agg_add(r->callers, &g))
			r->err = -ENOMEM;
	}
	if (r->groups)
		add_group(r, e, caller);
	export(r, e, &x);
	return r->err;
}

/* Reads every input; 0, 1 if one is damaged, 2 on a fatal error. */
static int read_inputs(struct report *r)
{
	char msg[512];
	int i, err, rc = 0;

	for (i = 0; i < r->nr_in; i++) {
		struct input *in = &r->in[i];

		if (in->skip)
			continue;
		r->cur = i;
		err = cap_read(in->buf, in->len, &in->info, &in->st, on_record, r);
		if (err) {
			cap_describe_error(msg, sizeof(msg), err, &in->info);
			fprintf(stderr, "pfnmap report: %s: %s\n", in->path, msg);
			return 2;
		}
		if (cap_damaged(&in->st)) {
			cap_describe(msg, sizeof(msg), &in->st);
			fprintf(stderr, "pfnmap report: %s: %s\n", in->path, msg);
			rc = 1;
		}
	}
	return rc;
}

/* ---- what the headers say about each kind --------------------------------- */

static void kind_view(const struct report *r, int k, struct cap_kind_merge *v)
{
	const struct cap_info *infos[r->nr_in + 1];
	int i, n = 0;

	for (i = 0; i < r->nr_in; i++)
		if (!r->in[i].skip)
			infos[n++] = &r->in[i].info;
	cap_merge_kind(infos, n, k, v);
}

static const char *mode_name(const struct cap_kind_merge *v, const struct agg_stats *t)
{
	__u32 s = v->sources | (v->unknown ? t->sources : 0);
	const char *n;

	if (!s)
		return v->unknown ? "?" : "none";
	if (s & (s - 1))
		return "mixed";
	n = pfnmap_source_name(__builtin_ctz(s));
	return n ? n : "?";
}

/* ---- text ------------------------------------------------------------------ */

static void fmt_time(char *buf, size_t len, __u64 real_ns)
{
	time_t t = real_ns / 1000000000ULL;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm))
		snprintf(buf, len, "?");
}

static const char *stop_name(__u32 stop)
{
	static const char *const names[CAP_STOP_MAX] = {
		"unknown", "command exited", "duration over", "signal",
		"max size reached", "write error",
	};

	return stop < CAP_STOP_MAX ? names[stop] : "unknown";
}

static void print_cmdline(const struct cap_meta *m)
{
	char arg[CAP_CMDLINE_LEN];
	__u32 off = 0;

	printf("#   command:");
	while (off < m->cmdline_len) {
		sanitize(arg, sizeof(arg), m->cmdline + off);
		printf(" %s", arg);
		off += strnlen(m->cmdline + off, m->cmdline_len - off) + 1;
	}
	printf("\n");
}

static void print_when(const struct input *in)
{
	const struct cap_meta *m = &in->info.meta;
	const struct cap_status *st = &in->st;
	char when[64], dur[16];
	__u64 end;

	if (!m->has_clock)
		return;
	fmt_time(when, sizeof(when), m->clock_real_ns);
	end = st->has_trailer ? st->trailer.end_ns : st->last_ns;
	fmt_ns(dur, sizeof(dur), end > m->clock_mono_ns ? end - m->clock_mono_ns : 0);
	printf("#   recorded %s for %s%s\n", when, st->has_trailer ? "" : "at least ",
	       dur);
}

static void print_trailer(const struct cap_status *st)
{
	const struct cap_trailer *t = &st->trailer;
	char d[32];

	fmt_count(d, sizeof(d), st->drops);
	if (!st->has_trailer) {
		printf("#   lost in the kernel: %s by chunk %u, unknown after\n", d,
		       st->last_seq);
		return;
	}
	printf("#   lost in the kernel: %s; stopped: %s", d, stop_name(t->stop));
	if (t->unwritten)
		printf(", %u records not written", t->unwritten);
	if (t->bpf_run_cnt)
		printf("; BPF %llu ns per program run",
		       (unsigned long long)(t->bpf_run_ns / t->bpf_run_cnt));
	printf("\n");
}

static void print_input(const struct input *in)
{
	const struct cap_meta *m = &in->info.meta;
	char recs[32], bytes[32], state[512];

	fmt_count(recs, sizeof(recs), in->st.records);
	fmt_count(bytes, sizeof(bytes), in->len);
	if (cap_damaged(&in->st))
		cap_describe(state, sizeof(state), &in->st);
	else
		snprintf(state, sizeof(state), "complete");
	printf("# %s: %s records, %u chunk%s, %s bytes; %s\n", in->path, recs,
	       in->st.chunks, in->st.chunks == 1 ? "" : "s", bytes, state);
	if (!in->info.header_ok)
		return;
	printf("#   host %s, kernel %s, boot %s\n", m->host, m->kernel, m->boot_id);
	print_when(in);
	print_cmdline(m);
	print_trailer(&in->st);
}

static void row_common(char *out, size_t len, const struct agg_stats *t)
{
	char pages[24], retr[24], p50[16], p99[16], mx[16], errs[96], ops[24];

	snprintf(ops, sizeof(ops), "%llu", (unsigned long long)t->ops);
	fmt_field(pages, sizeof(pages), t, AGG_F_PAGES, 0);
	fmt_field(retr, sizeof(retr), t, AGG_F_RETRIES, 0);
	fmt_errors(errs, sizeof(errs), t, 4);
	/* no operation, no latency: not 0ns */
	strcpy(p50, "-");
	strcpy(p99, "-");
	strcpy(mx, "-");
	if (t->ops) {
		fmt_ns(p50, sizeof(p50), hist_percentile(&t->lat, 50));
		fmt_ns(p99, sizeof(p99), hist_percentile(&t->lat, 99));
		fmt_ns(mx, sizeof(mx), t->lat.max);
	}
	snprintf(out, len, "%10s %9s %8s %9s %9s %9s  %s", ops, pages, retr,
		 p50, p99, mx, errs);
}

static const char *common_head(void)
{
	return "     COUNT     PAGES  RETRIES       P50       P99       MAX  ERRORS";
}


/* The kind's totals, with what its source could see marked known. */
static bool kind_total(const struct report *r, int k, struct agg_stats *t,
		       struct cap_kind_merge *v)
{
	agg_total_kind(r->kinds, k, t);
	kind_view(r, k, v);
	agg_mark_visible(t, v->can_see);
	return v->traced || t->ops;
}

static void print_kinds(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	char row[256];
	struct cap_kind_merge v;
	int k;

	if (!t)
		return;
	printf("\n%-17s %-8s%s\n", "KIND", "MODE", common_head());
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		if (!kind_total(r, k, t, &v))
			continue;
		row_common(row, sizeof(row), t);
		printf("%-17s %-8s%s\n", pfnmap_kind_name(k), mode_name(&v, t), row);
		if (t->ops)
			print_nested(stdout, t, 26);
	}
	free(t);
}

static int cmp_ops(const void *a, const void *b)
{
	const struct agg_stats *x = *(const struct agg_stats *const *)a;
	const struct agg_stats *y = *(const struct agg_stats *const *)b;

	if (x->ops != y->ops)
		return x->ops < y->ops ? 1 : -1;
	return x->key.kind - y->key.kind;
}

/* Groups of an agg, most operations first; free() the result. */
static struct agg_stats **sorted_groups(const struct agg *a, size_t *n)
{
	struct agg_stats **v;
	size_t i;

	*n = agg_count(a);
	v = malloc((*n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (i = 0; i < *n; i++)
		v[i] = agg_at(a, i);
	qsort(v, *n, sizeof(*v), cmp_ops);
	return v;
}

static void group_label(const struct report *r, const struct agg_stats *g,
			char *buf, size_t len)
{
	char comm[PFNMAP_COMM_LEN];

	sanitize(comm, sizeof(comm), g->key.comm);
	if (r->by == BY_COMM)
		snprintf(buf, len, "%s", comm);
	else if (r->by == BY_PID)
		snprintf(buf, len, "%u %s", g->key.pid, comm);
	else if (r->by == BY_ZAPPER) {
		const char *tid = strmap_key(r->labels, g->key.caller - 1);

		sanitize(comm, sizeof(comm), zapper_comm(r, strtoul(tid, NULL, 10)));
		snprintf(buf, len, "%s %s", tid, comm);
	} else
		snprintf(buf, len, "%s", strmap_key(r->labels, g->key.caller - 1));
}

/* Fault-in end to zap start of the races a zapper caused. */
static void print_zap_gap(const struct agg_stats *g)
{
	char p50[16], mx[16];

	fmt_ns(p50, sizeof(p50), hist_percentile(&g->zap_gap, 50));
	fmt_ns(mx, sizeof(mx), g->zap_gap.max);
	printf("%-32s %llu zap races; fault-in end to zap start: p50 %s max %s; %llu zaps began before the fault-in returned\n",
	       "", (unsigned long long)g->sum[AGG_F_ZAP_ATTR], p50, mx,
	       (unsigned long long)g->zap_gap_neg);
}

static void print_groups(const struct report *r)
{
	struct agg_stats **v;
	char label[256], row[256], head[32];
	size_t n, i;

	if (!r->groups || !(v = sorted_groups(r->groups, &n)))
		return;
	snprintf(head, sizeof(head), "%s", r->by == BY_PID ? "PID COMM" :
		 r->by == BY_COMM ? "COMM" : r->by == BY_CALLER ? "CALLER" :
		 r->by == BY_ZAPPER ? "ZAPPER TID COMM" : "ERRNO");
	printf("\n%-32s %-17s%s\n", head, "KIND", common_head());
	for (i = 0; i < n; i++) {
		group_label(r, v[i], label, sizeof(label));
		row_common(row, sizeof(row), v[i]);
		printf("%-32s %-17s%s\n", label, pfnmap_kind_name(v[i]->key.kind), row);
		if (r->by == BY_ZAPPER)
			print_zap_gap(v[i]);
	}
	free(v);
}

static void error_row(int kind, const char *name, __u64 n, __u64 ops)
{
	char cnt[32];

	fmt_count(cnt, sizeof(cnt), n);
	printf("%-17s %-16s %10s %8.1f%%\n", pfnmap_kind_name(kind), name, cnt,
	       100.0 * n / ops);
}

/* Every errno of every kind, by errno value. */
static void print_errors(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	bool head = false;
	char buf[24];
	int k, e;

	for (k = 0; t && k < PFNMAP_K_MAX; k++) {
		agg_total_kind(r->kinds, k, t);
		if (!t->errors)
			continue;
		if (!head)
			printf("\n%-17s %-16s %10s %9s\n", "ERRORS", "ERRNO",
			       "COUNT", "OF OPS");
		head = true;
		for (e = 1; e < AGG_ERRNO_MAX; e++)
			if (t->err_count[e])
				error_row(k, ret_label(buf, sizeof(buf), -e),
					  t->err_count[e], t->ops);
		if (t->err_other)
			error_row(k, "other", t->err_other, t->ops);
	}
	free(t);
}

#define STARS	40

static void bar(__u64 v, __u64 max)
{
	int n = max ? (int)(v * STARS / max) : 0;

	printf("|%.*s%*s|\n", n, "****************************************",
	       STARS - n, "");
}

static void log2_row(__u64 lo, __u64 hi, __u64 n, __u64 max)
{
	if (lo == hi)
		printf("%10llu%14s : %-8llu ", (unsigned long long)lo, "",
		       (unsigned long long)n);
	else
		printf("%10llu -> %-10llu : %-8llu ", (unsigned long long)lo,
		       (unsigned long long)hi, (unsigned long long)n);
	bar(n, max);
}

/*
 * bcc's print_log2_hist(): slot i > 0 holds [2^(i-1), 2^i), slot 0 the
 * zeros.  bcc shows 0 and 1 together ("0 -> 1"), fine for latency; a
 * count of retries keeps 0 on its own row (zero_row).  Rows before the
 * first non-empty one are left out.
 */
static void log2_hist(const char *unit, const __u64 *slot, int nr,
		      bool zero_row)
{
	__u64 max = 0, one = zero_row ? slot[1] : slot[0] + slot[1];
	int i, first = -1, last = -1;

	for (i = 0; i < nr; i++) {
		if (slot[i] > max)
			max = slot[i];
		if (slot[i] && first < 0)
			first = i;
		if (slot[i])
			last = i;
	}
	if (!zero_row && one > max)
		max = one;
	printf("     %-19s : count     distribution\n", unit);
	if (zero_row && first == 0)
		log2_row(0, 0, slot[0], max);
	for (i = first < 1 ? 1 : first; i <= last; i++) {
		__u64 lo = 1ULL << (i - 1), hi = lo * 2 - 1;

		if (i == 1)
			log2_row(zero_row ? 1 : 0, 1, one, max);
		else
			log2_row(lo, hi, slot[i], max);
	}
}

/* The worst operation's timeline: start, retrying, end. */
static void print_worst(const struct report *r, int k)
{
	const struct pfnmap_event *w = &r->worst[k];
	char comm[PFNMAP_COMM_LEN], dur[16], rt[16], ret[24], when[48];
	__s64 wall = r->worst_wall[k];
	time_t secs = wall / 1000000000;
	struct tm tm;

	if (!w->retries)
		return;
	if (r->realtime && gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(when, sizeof(when), "%.6f s (monotonic)", wall / 1e9);
	sanitize(comm, sizeof(comm), w->comm);
	fmt_ns(dur, sizeof(dur), w->duration_ns);
	fmt_ns(rt, sizeof(rt), w->retry_ns);
	ret_label(ret, sizeof(ret), w->ret);
	printf("worst: %u retries by %u/%u %s at %s: ran %s, of which %s from the first retry on; returned %s\n",
	       w->retries, w->pid, w->tid, comm, when, dur,
	       (w->valid & PFNMAP_V_RETRY_TIME) ? rt : "?", ret);
	if (w->valid & PFNMAP_V_SCHED)
		printf("       %u context switches during it; fatal signal pending at the end: %s\n",
		       w->nr_switches, w->fatal_signal ? "yes" : "no");
}

static void print_retries(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	struct cap_kind_merge v;
	char known[32];
	int k;

	for (k = 0; t && k < PFNMAP_K_MAX; k++) {
		if (!(reg_kind_fields(k) & PFNMAP_V_RETRIES) || !kind_total(r, k, t, &v))
			continue;
		if (!t->ops)
			continue;
		if (!field_known(t, AGG_F_RETRIES)) {
			const char *why = v.why ? strrchr(v.why, ';') : NULL;

			printf("\n%s: retries unknown (%s)\n", pfnmap_kind_name(k),
			       why ? why + 2 : v.why ? v.why : "not in the records");
			continue;
		}
		fmt_count(known, sizeof(known), t->known[AGG_F_RETRIES]);
		printf("\n%s: retries per operation, max %llu (known for %s of the operations)\n",
		       pfnmap_kind_name(k), (unsigned long long)t->max_retries, known);
		log2_hist("retries", t->retry_dist, 33, true);
		print_worst(r, k);
	}
	free(t);
}

/* agg's log-linear buckets fold into log2 slots: none straddles two. */
static void lat_log2(const struct lat_hist *h, __u64 *slot)
{
	unsigned int b;

	memset(slot, 0, 65 * sizeof(*slot));
	for (b = 0; b < HIST_BUCKETS; b++) {
		__u64 lo = hist_bucket_low(b);

		slot[lo ? 64 - __builtin_clzll(lo) : 0] += h->bucket[b];
	}
}

static void print_hists(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	__u64 slot[65];
	int k;

	for (k = 0; t && k < PFNMAP_K_MAX; k++) {
		agg_total_kind(r->kinds, k, t);
		if (!t->ops)
			continue;
		printf("\n%s: latency\n", pfnmap_kind_name(k));
		lat_log2(&t->lat, slot);
		log2_hist("nsecs", slot, 65, false);
	}
	free(t);
}

static void print_callers(const struct report *r)
{
	struct agg_stats **v;
	char row[256], label[256];
	size_t n, i;

	if (!agg_count(r->callers) || !(v = sorted_groups(r->callers, &n)))
		return;
	printf("\n%-48s %-17s%s\n", "CALLER", "KIND", common_head());
	for (i = 0; i < n; i++) {
		sanitize(label, sizeof(label),
			 strmap_key(r->labels, v[i]->key.caller - 1));
		row_common(row, sizeof(row), v[i]);
		printf("%-48s %-17s%s\n", label, pfnmap_kind_name(v[i]->key.kind), row);
	}
	for (i = 0; i < (size_t)r->nr_in; i++)
		if (!r->in[i].resolve && !r->in[i].skip) {
			printf("(callers of %s in hex: not captured on this boot)\n",
			       r->in[i].path);
		}
	free(v);
}

static void print_text(const struct report *r)
{
	int i;

	for (i = 0; i < r->nr_in; i++)
		if (!r->in[i].skip)
			print_input(&r->in[i]);
	print_kinds(r);
	print_groups(r);
	print_errors(r);
	print_retries(r);
	print_callers(r);
	if (r->hist)
		print_hists(r);
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_cmdline(struct json *j, const struct cap_meta *m)
{
	__u32 off = 0;

	json_key(j, "command");
	json_arr_begin(j);
	while (off < m->cmdline_len) {
		json_str(j, m->cmdline + off);
		off += strnlen(m->cmdline + off, m->cmdline_len - off) + 1;
	}
	json_arr_end(j);
}

static void json_modes(struct json *j, const struct cap_meta *m)
{
	int k;

	json_key(j, "mode");
	json_obj_begin(j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct cap_mode *md = &m->modes[k];
		const char *src = pfnmap_source_name(md->source);
		int f;

		if (!md->present)
			continue;
		json_key(j, pfnmap_kind_name(k));
		json_obj_begin(j);
		json_kv_str(j, "source", src ? src : "unknown");
		json_key(j, "fields");
		json_arr_begin(j);
		for (f = 0; reg_field_key(f); f++)
			if (md->valid & (1U << f))
				json_str(j, reg_field_key(f));
		json_arr_end(j);
		json_kv_str(j, "why", md->why);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_trailer(struct json *j, const struct cap_status *st)
{
	const struct cap_trailer *t = &st->trailer;

	json_key(j, "drops");
	if (st->has_trailer)
		json_u64(j, st->drops);
	else
		json_null(j);
	json_kv_u64(j, "drops_at_least", st->drops);
	json_kv_bool(j, "has_trailer", st->has_trailer);
	if (!st->has_trailer)
		return;
	json_kv_str(j, "stop", stop_name(t->stop));
	json_kv_u64(j, "unwritten", t->unwritten);
	json_kv_u64(j, "end_ns", t->end_ns);
	json_kv_u64(j, "bpf_run_ns", t->bpf_run_ns);
	json_kv_u64(j, "bpf_run_cnt", t->bpf_run_cnt);
}

static void json_input(struct json *j, const struct input *in)
{
	const struct cap_meta *m = &in->info.meta;
	char state[512];

	json_obj_begin(j);
	json_kv_str(j, "file", in->path);
	json_kv_u64(j, "bytes", in->len);
	json_kv_u64(j, "records", in->st.records);
	json_kv_u64(j, "chunks", in->st.chunks);
	json_kv_bool(j, "complete", !cap_damaged(&in->st));
	cap_describe(state, sizeof(state), &in->st);
	json_kv_str(j, "state", state);
	json_trailer(j, &in->st);
	json_kv_bool(j, "header_ok", in->info.header_ok);
	if (in->info.header_ok) {
		json_kv_str(j, "host", m->host);
		json_kv_str(j, "kernel", m->kernel);
		json_kv_str(j, "boot_id", m->boot_id);
		if (m->has_clock) {
			json_kv_u64(j, "start_mono_ns", m->clock_mono_ns);
			json_kv_u64(j, "start_realtime_ns", m->clock_real_ns);
		}
		json_cmdline(j, m);
		json_modes(j, m);
	}
	json_obj_end(j);
}

static void json_log2(struct json *j, const char *key, const __u64 *slot,
		      int nr)
{
	int i;

	json_key(j, key);
	json_arr_begin(j);
	for (i = 0; i < nr; i++) {
		if (!slot[i])
			continue;
		json_obj_begin(j);
		json_kv_u64(j, "low", i ? 1ULL << (i - 1) : 0);
		json_kv_u64(j, "high", i ? (1ULL << (i - 1)) * 2 - 1 : 0);
		json_kv_u64(j, "count", slot[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_kind(struct json *j, const struct report *r, int k,
		      struct agg_stats *t)
{
	__u64 slot[65];
	struct cap_kind_merge v;

	kind_total(r, k, t, &v);
	json_key(j, pfnmap_kind_name(k));
	json_obj_begin(j);
	json_kv_str(j, "mode", mode_name(&v, t));
	stats_json(j, t, v.can_see);
	json_kv_u64(j, "pages_asked", r->asked[k]);
	if (reg_kind_fields(k) & PFNMAP_V_RETRIES) {
		if (field_known(t, AGG_F_RETRIES) && t->ops)
			json_log2(j, "retry_distribution", t->retry_dist, 33);
		else
			json_kv_str(j, "retry_distribution", NULL);
	}
	lat_log2(&t->lat, slot);
	json_log2(j, "latency_log2_ns", slot, 65);
	json_obj_end(j);
}

static void json_groups(struct json *j, const struct report *r,
			const char *key, const struct agg *a)
{
	struct agg_stats **v;
	char label[256];
	size_t n, i;

	if (!a || !(v = sorted_groups(a, &n)))
		return;
	json_key(j, key);
	json_arr_begin(j);
	for (i = 0; i < n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "kind", pfnmap_kind_name(v[i]->key.kind));
		if (a == r->callers) {
			json_kv_str(j, "caller", strmap_key(r->labels, v[i]->key.caller - 1));
		} else if (r->by == BY_PID || r->by == BY_COMM) {
			if (r->by == BY_PID)
				json_kv_u64(j, "pid", v[i]->key.pid);
			json_kv_str(j, "comm", v[i]->key.comm);
		} else {
			group_label(r, v[i], label, sizeof(label));
			json_kv_str(j, by_names[r->by], label);
		}
		stats_json(j, v[i], 0);
		json_obj_end(j);
	}
	json_arr_end(j);
	free(v);
}

static void print_json(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	__u64 records = 0;
	struct json j;
	int i, k;

	if (!t)
		return;
	json_init(&j, stdout, false);
	json_obj_begin(&j);
	json_key(&j, "inputs");
	json_arr_begin(&j);
	for (i = 0; i < r->nr_in; i++)
		if (!r->in[i].skip) {
			json_input(&j, &r->in[i]);
			records += r->in[i].st.records;
		}
	json_arr_end(&j);
	json_kv_u64(&j, "records", records);
	json_key(&j, "kinds");
	json_obj_begin(&j);
	for (k = 0; k < PFNMAP_K_MAX; k++)
		json_kind(&j, r, k, t);
	json_obj_end(&j);
	if (r->groups)
		json_kv_str(&j, "by", by_names[r->by]);
	json_groups(&j, r, "groups", r->groups);
	json_groups(&j, r, "callers", r->callers);
	json_obj_end(&j);
	json_end_line(&j);
	free(t);
}

/* ---- the command -------------------------------------------------------- */

static int setup(struct report *r)
{
	r->kinds = agg_new(AGG_BY_KIND);
	r->callers = agg_new(AGG_BY_CALLER);
	r->labels = strmap_new();
	r->addr_cache = strmap_new();
	r->folded_map = strmap_new();
	if (r->by != BY_KIND)
		r->groups = agg_new(r->by == BY_COMM ? AGG_BY_COMM :
				    r->by == BY_PID ? AGG_BY_PID : AGG_BY_CALLER);
	if (!r->kinds || !r->callers || !r->labels || !r->addr_cache ||
	    !r->folded_map || (r->by != BY_KIND && !r->groups)) {
		fprintf(stderr, "pfnmap report: out of memory\n");
		return 2;
	}
	if (!r->perfetto_path)
		return 0;
	r->pf_file = fopen(r->perfetto_path, "w");
	if (r->pf_file)
		r->pf = perfetto_open(r->pf_file, r->base_ns);
	if (!r->pf) {
		fprintf(stderr, "pfnmap report: cannot write %s: %s\n",
			r->perfetto_path, strerror(errno));
		return 2;
	}
	return 0;
}

static int close_perfetto(struct report *r)
{
	char base[96], when[64];
	__u64 n;
	int rc;

	if (!r->pf)
		return 0;
	if (r->realtime) {
		fmt_time(when, sizeof(when), r->base_ns);
		snprintf(base, sizeof(base), "ts 0 is %s (CLOCK_REALTIME %lld ns)",
			 when, (long long)r->base_ns);
	} else {
		snprintf(base, sizeof(base), "ts 0 is CLOCK_MONOTONIC %lld ns",
			 (long long)r->base_ns);
	}
	n = perfetto_close(r->pf, base);
	r->pf = NULL;
	rc = fclose(r->pf_file);
	r->pf_file = NULL;
	if (rc) {
		fprintf(stderr, "pfnmap report: writing %s failed: %s\n",
			r->perfetto_path, strerror(errno));
		return 2;
	}
	fprintf(stderr, "pfnmap report: wrote %llu slices to %s\n",
		(unsigned long long)n, r->perfetto_path);
	return 0;
}

static void cleanup(struct report *r)
{
	int i;

	if (r->pf)
		perfetto_close(r->pf, "");
	if (r->pf_file)
		fclose(r->pf_file);
	for (i = 0; i < r->nr_in; i++)
		free_input(&r->in[i]);
	free(r->in);
	agg_free(r->kinds);
	agg_free(r->groups);
	agg_free(r->callers);
	strmap_free(r->labels);
	strmap_free(r->addr_cache);
	strmap_free(r->folded_map);
	ksyms_free(r->ksyms);
}

static void output(struct report *r)
{
	if (r->json)
		print_json(r);
	else if (r->folded)
		folded_print(stdout, r->folded_map);
	else if (!r->csv)
		print_text(r);
}

int cmd_report(int argc, char **argv)
{
	struct report r = {};
	int rc, rc2;

	rc = parse_args(argc, argv, &r);
	if (rc < 0)
		rc = open_inputs(&r);
	if (rc)
		goto out;
	time_base(&r);
	rc = setup(&r);
	if (rc)
		goto out;
	if (r.csv)
		csv_header(stdout);
	rc = read_inputs(&r);
	if (rc == 2 || r.err) {
		if (rc != 2)
			fprintf(stderr, "pfnmap report: out of memory\n");
		rc = 2;
		goto out;
	}
	rc2 = close_perfetto(&r);
	output(&r);
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "pfnmap report: writing the report failed\n");
		rc2 = 2;
	}
	rc = rc2 ? rc2 : rc;
out:
	cleanup(&r);
	return rc;
}
