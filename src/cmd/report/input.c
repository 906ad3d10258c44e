// SPDX-License-Identifier: GPL-2.0
/*
 * input.c - `pfnmap report`'s reading: the captures, whole in memory,
 * then one record at a time into the totals per kind, the --by groups,
 * the callers, the worst retry of each kind, the exports.  And what the
 * text and JSON outputs both need to know of them.
 *
 * A caller address means something only on the boot that made it.  It
 * is named, in this order, by the capture itself (record stores the
 * symbol of every caller it writes), by --kallsyms FILE, or by this
 * machine's kallsyms if the capture's boot id and kernel release are this
 * machine's.  Else it is "[unresolved]": kernel addresses are printed
 * only with --raw-addrs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "errors.h"
#include "report.h"
#include "view.h"

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
	/* O_NONBLOCK: opening a FIFO nobody writes to must not hang */
	fd = open(in->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &sb))
		err = -errno;
	else if (!S_ISREG(sb.st_mode))	/* -ESPIPE: say so, not "no magic" */
		err = S_ISDIR(sb.st_mode) ? -EISDIR : -ESPIPE;
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

void report_free_input(struct input *in)
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
		cmd_warn("%s is the same capture as %s: read once",
			 r->in[i].path, r->in[j].path);
		r->in[i].skip = true;
		return;
	}
}

/* Loads every input and reads its header; 0 or 2 (message printed). */
int report_open_inputs(struct report *r)
{
	char msg[256];
	int i, err;

	for (i = 0; i < r->nr_in; i++) {
		struct input *in = &r->in[i];

		err = load_input(in);
		if (err == -ESPIPE) {
			cmd_err("%s: not a regular file (a pipe: -i -)",
				in->path);
			return 2;
		}
		if (!err && !in->len) {
			cmd_err("%s: empty file, no capture", in->path);
			return 2;
		}
		if (!err)
			err = cap_read_header(in->buf, in->len, &in->info);
		if (err) {
			cap_describe_error(msg, sizeof(msg), err, &in->info);
			cmd_err("%s: %s", in->path, msg);
			return 2;
		}
		in->resolve = same_boot(&in->info);
		mark_duplicates(r, i);
	}
	return 0;
}

/* Slices are timed from the earliest capture start, in wall-clock time. */
void report_time_base(struct report *r)
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
	r->time0_ns = r->base_ns;
	if (r->realtime)
		return;
	/* no wall clock: --time counts from the earliest monotonic start */
	any = false;
	for (i = 0; i < r->nr_in; i++) {
		const struct cap_meta *m = &r->in[i].info.meta;

		if (m->has_clock && (!any || (__s64)m->clock_mono_ns < r->time0_ns))
			r->time0_ns = m->clock_mono_ns;
		any |= m->has_clock;
	}
}

/* ---- per record --------------------------------------------------------- */

static void kinds_init(struct report *r)
{
	const struct reg_kind *k;
	int i;

	for (i = 0; i < PFNMAP_K_MAX; i++) {
		k = reg_kind(i);
		r->has_caller[i] = k && reg_families[k->family].has_caller;
		r->is_zap[i] = reg_kind_in(i, PFNMAP_FAM_ZAP);
	}
}

static long label_id(struct report *r, const char *label)
{
	long id = strmap_put(r->labels, label);

	if (id < 0)
		r->err = -ENOMEM;
	return id < 0 ? 0 : id;
}

/* The label the current capture gave addr, or NULL. */
static const char *named_caller(struct report *r, __u64 addr)
{
	char key[48];
	long i;

	snprintf(key, sizeof(key), "%d:k:%llx", r->cur, (unsigned long long)addr);
	i = strmap_put(r->names, key);
	if (i < 0 || !*strmap_val(r->names, i))
		return NULL;
	return strmap_key(r->labels, *strmap_val(r->names, i) - 1);
}

/* This boot's kallsyms is read once, and only if an input is from it. */
static bool symbol_of(struct report *r, __u64 addr, char *buf, size_t len)
{
	const char *named = named_caller(r, addr);

	if (named) {
		snprintf(buf, len, "%s", named);
		return true;
	}
	if (r->kallsyms && ksyms_label(r->kallsyms, addr, buf, len))
		return true;
	if (r->in[r->cur].resolve && !r->ksyms_tried) {
		r->ksyms = ksyms_load(NULL);
		r->ksyms_tried = true;
	}
	return r->in[r->cur].resolve && r->ksyms &&
	       ksyms_label(r->ksyms, addr, buf, len);
}

static void caller_text(struct report *r, __u64 addr, char *buf, size_t len)
{
	char sym[200];
	bool found;

	if (!addr) {
		snprintf(buf, len, "[unknown]");
		return;
	}
	found = symbol_of(r, addr, sym, sizeof(sym));
	if (!found)
		r->in[r->cur].unresolved++;
	if (found && r->raw_addrs)
		snprintf(buf, len, "%s 0x%llx", sym, (unsigned long long)addr);
	else if (found)
		snprintf(buf, len, "%s", sym);
	else if (r->raw_addrs)
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
	else
		snprintf(buf, len, "[unresolved]");
}

/* A name from the capture: kept per input, its text among the labels. */
static int on_name(void *ctx, const struct cap_name *n)
{
	struct report *r = ctx;
	char key[48], text[600];
	long i;

	/* the keys named_caller() and report_cgroup_path() look up */
	if (n->tag == CAP_N_KSYM) {
		snprintf(key, sizeof(key), "%d:k:%llx", r->cur,
			 (unsigned long long)n->key);
		snprintf(text, sizeof(text), "%s+0x%x%s%s%s", n->name, n->off,
			 n->module[0] ? " [" : "", n->module,
			 n->module[0] ? "]" : "");
	} else {
		snprintf(key, sizeof(key), "%d:c:%llu", r->cur,
			 (unsigned long long)n->key);
		snprintf(text, sizeof(text), "%s", n->name);
	}
	i = strmap_put(r->names, key);
	if (i < 0)
		return r->err = -ENOMEM;
	*strmap_val(r->names, i) = label_id(r, text) + 1;
	return r->err;
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
	char buf[32];

	if (r->by == BY_ZAPPER) {
		/* only zap races whose zap was seen; grouped by the zapper */
		if (!e->zaps_attributed)
			return;
		snprintf(buf, sizeof(buf), "%u", e->zap_tid);
		g.caller = label_id(r, buf) + 1;
	} else if (r->by == BY_CALLER) {
		g.caller = (caller >= 0 ? caller : label_id(r, "-")) + 1;
	} else if (r->by == BY_CGROUP) {
		const char *path = report_cgroup_path(r, e->cgroup_id);

		snprintf(buf, sizeof(buf), "id:%llu",
			 (unsigned long long)e->cgroup_id);
		g.caller = label_id(r, path ? path : buf) + 1;
	}
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
	struct export_rec x = {
		.wall_ns = wall_ns(r, e), .raw_addrs = r->raw_addrs,
		.drops = r->drops_before + r->in[r->cur].st.drops,
	};
	long caller = -1;

	if (r->f.on && !report_keep(r, e, x.wall_ns))
		return 0;
	if (agg_add(r->kinds, e))
		r->err = -ENOMEM;
	r->asked[e->kind] += e->len;
	if (r->is_zap[e->kind])
		note_zapper(r, e);
	note_worst(r, e, x.wall_ns);
	if (r->has_caller[e->kind]) {
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
int report_read_inputs(struct report *r)
{
	char msg[512];
	int i, err, rc = 0;

	kinds_init(r);
	for (i = 0; i < r->nr_in; i++) {
		struct input *in = &r->in[i];

		if (in->skip)
			continue;
		r->cur = i;
		err = cap_read_names(in->buf, in->len, &in->info, &in->st,
				     on_record, on_name, r);
		if (err) {
			cap_describe_error(msg, sizeof(msg), err, &in->info);
			cmd_err("%s: %s", in->path, msg);
			return 2;
		}
		r->drops_before += in->st.drops;
		if (r->pf)
			perfetto_lost(r->pf, r->drops_before);
		/* what could be read is still reported: not an error */
		if (cap_damaged(&in->st)) {
			cap_describe(msg, sizeof(msg), &in->st);
			cmd_warn("%s: %s", in->path, msg);
			rc = 1;
		}
	}
	return rc;
}

/* ---- what text and JSON both print ------------------------------------- */

static void kind_view(const struct report *r, int k, struct cap_kind_merge *v)
{
	const struct cap_info *infos[r->nr_in + 1];
	int i, n = 0;

	for (i = 0; i < r->nr_in; i++)
		if (!r->in[i].skip)
			infos[n++] = &r->in[i].info;
	cap_merge_kind(infos, n, k, v);
}

const char *report_mode_name(const struct cap_kind_merge *v,
			     const struct agg_stats *t)
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

/* The kind's totals, with what its source could see marked known. */
bool report_kind_total(const struct report *r, int k, struct agg_stats *t,
		       struct cap_kind_merge *v)
{
	agg_total_kind(r->kinds, k, t);
	kind_view(r, k, v);
	agg_mark_visible(t, v->can_see);
	return v->traced || t->ops;
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
struct agg_stats **report_sorted_groups(const struct agg *a, size_t *n)
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

void report_group_label(const struct report *r, const struct agg_stats *g,
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

/* Why recording stopped, as the trailer says. */
const char *report_stop_name(__u32 stop)
{
	static const char *const names[CAP_STOP_MAX] = {
		"unknown", "command exited", "duration over", "signal",
		"max size reached", "write error",
	};

	return stop < CAP_STOP_MAX ? names[stop] : "unknown";
}

