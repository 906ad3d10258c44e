// SPDX-License-Identifier: GPL-2.0
/*
 * export.c - `pfnmap report --perfetto/--folded/--csv`: records in the
 * formats other tools read, and the string map behind them.
 *
 * Every format keeps an unknown counter unknown: null in JSON, an empty
 * cell in CSV, never 0.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "export.h"
#include "json.h"

/* ---- string map --------------------------------------------------------- */

struct strmap {
	char	**keys;		/* insertion order */
	__u64	*vals;
	size_t	count, cap;
	__u32	*slots;		/* index + 1, 0: free; at most half full */
	size_t	nslots;
};

static __u64 str_hash(const char *s)
{
	__u64 h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (*s)
		h = (h ^ (__u8)*s++) * 0x100000001b3ULL;
	return h;
}

static __u32 *str_slot(const struct strmap *m, const char *key)
{
	size_t mask = m->nslots - 1, i = str_hash(key) & mask;

	for (;; i = (i + 1) & mask)
		if (!m->slots[i] || !strcmp(m->keys[m->slots[i] - 1], key))
			return &m->slots[i];
}

struct strmap *strmap_new(void)
{
	struct strmap *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->nslots = 64;
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return NULL;
	}
	return m;
}

void strmap_free(struct strmap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->count; i++)
		free(m->keys[i]);
	free(m->keys);
	free(m->vals);
	free(m->slots);
	free(m);
}

static int strmap_grow(struct strmap *m)
{
	size_t i, cap = m->cap ? m->cap * 2 : 32;
	char **k;
	__u64 *v;
	__u32 *s;

	if (m->count == m->cap) {
		k = realloc(m->keys, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		m->keys = k;
		v = realloc(m->vals, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		m->vals = v;
		m->cap = cap;
	}
	if ((m->count + 1) * 2 <= m->nslots)
		return 0;
	s = calloc(m->nslots * 2, sizeof(*s));
	if (!s || m->count >= UINT32_MAX / 2) {
		free(s);
		return -ENOMEM;
	}
	free(m->slots);
	m->slots = s;
	m->nslots *= 2;
	for (i = 0; i < m->count; i++)
		*str_slot(m, m->keys[i]) = i + 1;
	return 0;
}

long strmap_put(struct strmap *m, const char *key)
{
	__u32 *s = str_slot(m, key);
	char *k;

	if (*s)
		return *s - 1;
	if (strmap_grow(m))
		return -1;
	k = strdup(key);
	if (!k)
		return -1;
	m->keys[m->count] = k;
	m->vals[m->count] = 0;
	m->count++;
	*str_slot(m, key) = m->count;
	return m->count - 1;
}

size_t strmap_count(const struct strmap *m)
{
	return m->count;
}

const char *strmap_key(const struct strmap *m, size_t i)
{
	return i < m->count ? m->keys[i] : NULL;
}

__u64 *strmap_val(struct strmap *m, size_t i)
{
	return i < m->count ? &m->vals[i] : NULL;
}

/* ---- shared --------------------------------------------------------------- */

void sanitize(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < len; i++)
		dst[i] = (__u8)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	if (len)
		dst[i] = '\0';
}

const char *ret_label(char *buf, size_t len, __s64 ret)
{
	const char *name;

	if (ret >= 0)
		return "ok";
	name = ret >= -0x7fffffffLL ? errno_name((int)-ret) : NULL;
	if (name)
		return name;
	snprintf(buf, len, "E%llu", (unsigned long long)(0 - (__u64)ret));
	return buf;
}

/* The record members of the registry, in its order: CSV and Perfetto args. */
#define for_each_member(c)						\
	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++)	\
		if (reg_counter_is_member(c))

/* A counter belongs in the output if the kind has it or the record does. */
static bool counter_shown(const struct pfnmap_event *e,
			  const struct reg_counter *c)
{
	return (reg_kind_fields(e->kind) | e->valid) & (1U << c->field);
}

static bool counter_valid(const struct pfnmap_event *e,
			  const struct reg_counter *c)
{
	return e->valid & (1U << c->field);
}

static void print_counter(FILE *f, const struct pfnmap_event *e,
			  const struct reg_counter *c)
{
	if (c->is_signed)
		fprintf(f, "%lld", (long long)reg_counter_read(e, c));
	else
		fprintf(f, "%llu", (unsigned long long)reg_counter_read(e, c));
}

static const char *kind_label(int kind)
{
	const char *n = pfnmap_kind_name(kind);

	return n ? n : "unknown";
}

/* ---- Chrome trace-event JSON ---------------------------------------------- */

struct thread {
	__u32	pid, tid;
	char	comm[PFNMAP_COMM_LEN];
};

/* A slice a flow arrow may start or end at. */
struct flow_end {
	__u32	pid, tid;
	__u32	zap_tid;		/* pins: the zapper; zaps: 0 */
	__s64	start, end;		/* ns since base */
};

struct flow_ends {
	struct flow_end	*v;
	size_t		n, cap;
};

/*
 * ops/s: operations per kind in bins of bin_ns from base.  The bins
 * double in width rather than grow past COUNTER_BINS: an hour-long
 * capture costs no more memory than a minute-long one.
 */
#define COUNTER_BIN_NS	10000000LL	/* 10 ms to start with */
#define COUNTER_BINS	(1 << 16)

struct perfetto {
	FILE		*f;
	__s64		base_ns;
	__u64		slices;
	__u64		events;		/* slices and metadata */
	struct strmap	*index;		/* "pid/tid" -> threads[] */
	struct thread	*threads;
	size_t		cap;
	struct flow_ends zaps, pins;	/* for the zap -> pin arrows */
	__u32		(*bins)[PFNMAP_K_MAX];
	__s64		bin_ns;
	size_t		nbins;		/* highest bin used + 1 */
	__u64		drops;		/* lost records, as last said */
	__s64		first_ts, last_ts;	/* ns since base */
	bool		any;
	int		err;
};

struct perfetto *perfetto_open(FILE *f, __s64 base_ns)
{
	struct perfetto *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->f = f;
	p->base_ns = base_ns;
	p->bin_ns = COUNTER_BIN_NS;
	p->index = strmap_new();
	p->bins = calloc(COUNTER_BINS, sizeof(*p->bins));
	if (!p->index || !p->bins) {
		strmap_free(p->index);
		free(p->bins);
		free(p);
		return NULL;
	}
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
	return p;
}

/* Remembers the last comm of each thread, for the track names. */
static int note_thread(struct perfetto *p, const struct pfnmap_event *e)
{
	char key[32];
	long i;

	snprintf(key, sizeof(key), "%u/%u", e->pid, e->tid);
	i = strmap_put(p->index, key);
	if (i < 0)
		return -ENOMEM;
	if ((size_t)i >= p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		struct thread *t = realloc(p->threads, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		p->threads = t;
		p->cap = cap;
	}
	p->threads[i].pid = e->pid;
	p->threads[i].tid = e->tid;
	memcpy(p->threads[i].comm, e->comm, PFNMAP_COMM_LEN);
	p->threads[i].comm[PFNMAP_COMM_LEN - 1] = '\0';
	return 0;
}

static void begin_event(struct perfetto *p, struct json *j)
{
	fputs(p->events++ ? ",\n" : "\n", p->f);
	json_init(j, p->f, false);
	json_obj_begin(j);
}

static const char *category(int kind)
{
	const struct reg_kind *k = reg_kind(kind);

	return k ? reg_families[k->family].category : "unknown";
}

static void slice_args(struct json *j, const struct pfnmap_event *e,
		       const struct export_rec *r)
{
	char buf[24], hex[24];
	const struct reg_counter *c;

	json_key(j, "args");
	json_obj_begin(j);
	json_kv_str(j, "source", pfnmap_source_name(e->source));
	json_kv_i64(j, "ret", e->ret);
	if (e->ret < 0)
		json_kv_str(j, "errno", ret_label(buf, sizeof(buf), e->ret));
	snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)e->addr);
	json_kv_str(j, "addr", hex);
	json_kv_u64(j, "len", e->len);
	for_each_member(c) {
		if (!counter_shown(e, c))
			continue;
		json_key(j, c->name);
		if (!counter_valid(e, c))
			json_null(j);
		else if (c->is_signed)
			json_i64(j, reg_counter_read(e, c));
		else
			json_u64(j, (__u64)reg_counter_read(e, c));
	}
	if (r->caller)
		json_kv_str(j, "caller", r->caller);
	if (e->flags & PFNMAP_EF_NESTED_LOST)
		json_kv_bool(j, "nested_lost", true);
	json_obj_end(j);
}

static int flow_add(struct flow_ends *fe, const struct pfnmap_event *e,
		    __s64 ts, __u32 zap_tid)
{
	if (fe->n == fe->cap) {
		size_t cap = fe->cap ? fe->cap * 2 : 256;
		struct flow_end *v = realloc(fe->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		fe->v = v;
		fe->cap = cap;
	}
	fe->v[fe->n++] = (struct flow_end){
		.pid = e->pid, .tid = e->tid, .zap_tid = zap_tid,
		.start = ts, .end = ts + (__s64)e->duration_ns,
	};
	return 0;
}

/*
 * Zaps, and the operations (pins, stand-alone lookups) whose zap race was
 * attributed to one: paired at the end.
 */
static int note_flow(struct perfetto *p, const struct pfnmap_event *e,
		     __s64 ts)
{
	if (e->kind == PFNMAP_K_VFIO_ZAP)
		return flow_add(&p->zaps, e, ts, 0);
	if ((e->valid & PFNMAP_V_ZAP_ATTR) && e->zaps_attributed && e->zap_tid)
		return flow_add(&p->pins, e, ts, e->zap_tid);
	return 0;
}

/* Halves the resolution: bin i takes bins 2i and 2i+1. */
static void bins_merge(struct perfetto *p)
{
	size_t i;
	int k;

	for (i = 0; i < COUNTER_BINS / 2; i++)
		for (k = 0; k < PFNMAP_K_MAX; k++)
			p->bins[i][k] = p->bins[2 * i][k] + p->bins[2 * i + 1][k];
	memset(p->bins + COUNTER_BINS / 2, 0,
	       COUNTER_BINS / 2 * sizeof(*p->bins));
	p->bin_ns *= 2;
	p->nbins = (p->nbins + 1) / 2;
}

static void count_op(struct perfetto *p, const struct pfnmap_event *e,
		     __s64 ts)
{
	__s64 b = ts < 0 ? 0 : ts / p->bin_ns;

	while (b >= COUNTER_BINS) {
		bins_merge(p);
		b = ts / p->bin_ns;
	}
	p->bins[b][e->kind]++;
	if ((size_t)b >= p->nbins)
		p->nbins = b + 1;
}

/* Counters live in a process of their own, pid 0 (no task has it). */
static void counter_begin(struct perfetto *p, struct json *j,
			  const char *name, __s64 ts)
{
	begin_event(p, j);
	json_kv_str(j, "ph", "C");
	json_kv_str(j, "name", name);
	json_kv_u64(j, "pid", 0);
	json_kv_double(j, "ts", (double)ts / 1000.0);
	json_key(j, "args");
	json_obj_begin(j);
}

static void counter_end(struct json *j)
{
	json_obj_end(j);
	json_obj_end(j);
}

/* A point of the lost-records counter whenever the count moved. */
static void note_drops(struct perfetto *p, __u64 drops, __s64 ts)
{
	struct json j;

	if (p->any && drops == p->drops)
		return;
	p->drops = drops;
	counter_begin(p, &j, "lost records", ts);
	json_kv_u64(&j, "lost", drops);
	counter_end(&j);
}

int perfetto_add(struct perfetto *p, const struct pfnmap_event *e,
		 const struct export_rec *r)
{
	char name[48], buf[24];
	__s64 ts = r->wall_ns - p->base_ns;
	struct json j;

	if (note_thread(p, e) || note_flow(p, e, ts))
		return p->err = -ENOMEM;
	count_op(p, e, ts);
	if (!p->any || ts < p->first_ts)
		p->first_ts = ts;
	if (!p->any || ts > p->last_ts)
		p->last_ts = ts;
	note_drops(p, r->drops, ts);
	p->any = true;
	if (e->ret < 0)
		snprintf(name, sizeof(name), "%s %s", kind_label(e->kind),
			 ret_label(buf, sizeof(buf), e->ret));
	else
		snprintf(name, sizeof(name), "%s", kind_label(e->kind));
	begin_event(p, &j);
	json_kv_str(&j, "ph", "X");
	json_kv_str(&j, "name", name);
	json_kv_str(&j, "cat", category(e->kind));
	json_kv_u64(&j, "pid", e->pid);
	json_kv_u64(&j, "tid", e->tid);
	/* ns / 1000.0 prints back exactly: no rounding of the nanoseconds */
	json_kv_double(&j, "ts", (double)(r->wall_ns - p->base_ns) / 1000.0);
	json_kv_double(&j, "dur", (double)e->duration_ns / 1000.0);
	slice_args(&j, e, r);
	json_obj_end(&j);
	p->slices++;
	return 0;
}

static void meta_event(struct perfetto *p, const char *what, __u32 pid,
		       __u32 tid, const char *name)
{
	struct json j;

	begin_event(p, &j);
	json_kv_str(&j, "ph", "M");
	json_kv_str(&j, "name", what);
	json_kv_u64(&j, "pid", pid);
	json_kv_u64(&j, "tid", tid);
	json_key(&j, "args");
	json_obj_begin(&j);
	json_kv_str(&j, "name", name);
	json_obj_end(&j);
	json_obj_end(&j);
}

/* A process is named after its main thread, else its first thread seen. */
static void name_processes(struct perfetto *p)
{
	struct strmap *procs = strmap_new();
	char key[16];
	size_t i, n = strmap_count(p->index);

	if (!procs)
		return;
	for (i = 0; i < n; i++) {
		const struct thread *t = &p->threads[i];
		long k;

		snprintf(key, sizeof(key), "%u", t->pid);
		k = strmap_put(procs, key);
		if (k < 0)
			break;
		/* value: thread index + 1, a main thread wins */
		if (!*strmap_val(procs, k) || t->tid == t->pid)
			*strmap_val(procs, k) = i + 1;
	}
	for (i = 0; i < strmap_count(procs); i++) {
		const struct thread *t = &p->threads[*strmap_val(procs, i) - 1];

		meta_event(p, "process_name", t->pid, t->pid, t->comm);
	}
	strmap_free(procs);
}

#define COUNTER_POINTS	4000	/* ops/s points at most: a light track */

void perfetto_lost(struct perfetto *p, __u64 lost)
{
	p->drops = lost;
}

/* One ops/s point per kind seen, per step, zeros included: a gap is a 0. */
static void write_ops(struct perfetto *p)
{
	bool seen[PFNMAP_K_MAX] = { false };
	size_t i, b, step = (p->nbins + COUNTER_POINTS - 1) / COUNTER_POINTS;
	double per_s = 1e9 / ((double)p->bin_ns * (step ? step : 1));
	struct json j;
	int k;

	for (i = 0; i < p->nbins; i++)
		for (k = 0; k < PFNMAP_K_MAX; k++)
			seen[k] |= p->bins[i][k] != 0;
	/* from the first operation: a --time window starts late */
	i = p->first_ts > 0 ? p->first_ts / p->bin_ns : 0;
	for (; p->any && i <= p->nbins; i += step ? step : 1) {
		counter_begin(p, &j, "ops/s", (__s64)i * p->bin_ns);
		for (k = 0; k < PFNMAP_K_MAX; k++) {
			__u64 n = 0;

			if (!seen[k])
				continue;
			for (b = i; b < i + step && b < p->nbins; b++)
				n += p->bins[b][k];
			json_kv_double(&j, kind_label(k), n * per_s);
		}
		counter_end(&j);
	}
}

static int cmp_zap(const void *a, const void *b)
{
	const struct flow_end *x = a, *y = b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->start < y->start ? -1 : x->start > y->start;
}

static void flow_event(struct perfetto *p, const struct flow_end *at,
		       const char *ph, __u64 id)
{
	struct json j;

	begin_event(p, &j);
	json_kv_str(&j, "ph", ph);
	json_kv_str(&j, "name", "zap race");
	json_kv_str(&j, "cat", "vfio");
	json_kv_u64(&j, "id", id);
	json_kv_u64(&j, "pid", at->pid);
	json_kv_u64(&j, "tid", at->tid);
	/* the middle of the slice: the arrow binds to the slice around it */
	json_kv_double(&j, "ts", (at->start + (at->end - at->start) / 2) / 1000.0);
	if (ph[0] == 'f')
		json_kv_str(&j, "bp", "e");
	json_obj_end(&j);
}

/*
 * The zap of a pin's race is the zapper's last zap that began before the
 * pin ended and was still running when it began (the record tells its
 * task, not which of its zaps: between fault-in and lookup, both inside
 * the pin).
 */
static const struct flow_end *zap_of(const struct perfetto *p,
				     const struct flow_end *pin)
{
	const struct flow_end *v = p->zaps.v;
	size_t lo = 0, hi = p->zaps.n;

	while (lo < hi) {	/* first zap after (zap_tid, pin end) */
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid].tid < pin->zap_tid ||
		    (v[mid].tid == pin->zap_tid && v[mid].start <= pin->end))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || v[lo - 1].tid != pin->zap_tid || v[lo - 1].end < pin->start)
		return NULL;
	return &v[lo - 1];
}

static __u64 write_flows(struct perfetto *p)
{
	const struct flow_end *z;
	__u64 id = 0;
	size_t i;

	if (!p->zaps.n)
		return 0;
	qsort(p->zaps.v, p->zaps.n, sizeof(*p->zaps.v), cmp_zap);
	for (i = 0; i < p->pins.n; i++) {
		z = zap_of(p, &p->pins.v[i]);
		if (!z)
			continue;
		id++;
		flow_event(p, z, "s", id);
		flow_event(p, &p->pins.v[i], "f", id);
	}
	return id;
}

__u64 perfetto_close(struct perfetto *p, const char *time_base)
{
	struct json j;
	__u64 n = p->slices, flows;
	size_t i;

	flows = write_flows(p);
	write_ops(p);
	if (p->any) {	/* the final count, at the last operation */
		counter_begin(p, &j, "lost records", p->last_ts);
		json_kv_u64(&j, "lost", p->drops);
		counter_end(&j);
	}
	name_processes(p);
	for (i = 0; i < strmap_count(p->index); i++)
		meta_event(p, "thread_name", p->threads[i].pid,
			   p->threads[i].tid, p->threads[i].comm);
	fputs("\n],\n\"otherData\":", p->f);
	json_init(&j, p->f, false);
	json_obj_begin(&j);
	json_kv_str(&j, "producer", "pfnmap report");
	json_kv_str(&j, "time_base", time_base);
	json_kv_u64(&j, "zap_race_arrows", flows);
	json_kv_double(&j, "ops_bin_s", p->bin_ns / 1e9);
	json_obj_end(&j);
	fputs("}\n", p->f);
	strmap_free(p->index);
	free(p->threads);
	free(p->zaps.v);
	free(p->pins.v);
	free(p->bins);
	free(p);
	return n;
}

/* ---- folded stacks ---------------------------------------------------------- */

/* A frame may hold neither the separator ';' nor the count's ' '. */
static void frame(char *dst, size_t len, const char *src)
{
	size_t i;

	sanitize(dst, len, src);
	for (i = 0; dst[i]; i++)
		if (dst[i] == ';' || dst[i] == ' ')
			dst[i] = '_';
}

int folded_add(struct strmap *m, const struct pfnmap_event *e,
	       const struct export_rec *r)
{
	char comm[PFNMAP_COMM_LEN], leaf[128], key[200], buf[24];
	long i;

	frame(comm, sizeof(comm), e->comm);
	frame(leaf, sizeof(leaf), r->caller ? r->caller :
	      ret_label(buf, sizeof(buf), e->ret));
	snprintf(key, sizeof(key), "%s;%s;%s", comm[0] ? comm : "?",
		 kind_label(e->kind), leaf);
	i = strmap_put(m, key);
	if (i < 0)
		return -ENOMEM;
	(*strmap_val(m, i))++;
	return 0;
}

struct folded_line {
	const char	*key;
	__u64		count;
};

static int cmp_lines(const void *a, const void *b)
{
	return strcmp(((const struct folded_line *)a)->key,
		      ((const struct folded_line *)b)->key);
}

/* Sorted, so that two reports of the same captures diff cleanly. */
void folded_print(FILE *f, const struct strmap *m)
{
	size_t i, n = strmap_count(m);
	struct folded_line *l = malloc(n * sizeof(*l) + 1);

	if (!l)
		return;
	for (i = 0; i < n; i++) {
		l[i].key = m->keys[i];
		l[i].count = m->vals[i];
	}
	qsort(l, n, sizeof(*l), cmp_lines);
	for (i = 0; i < n; i++)
		fprintf(f, "%s %llu\n", l[i].key, (unsigned long long)l[i].count);
	free(l);
}

/* ---- CSV -------------------------------------------------------------------- */

void csv_header(FILE *f)
{
	const struct reg_counter *c;

	fputs("time_ns,start_ns,kind,source,pid,tid,comm,duration_ns,ret,errno,addr,len", f);
	for_each_member(c)
		fprintf(f, ",%s", c->name);
	fputs(",caller,caller_sym,cgroup_id,flags\n", f);
}

/* RFC 4180: quoted if it holds a comma, a quote or a line break. */
static void csv_str(FILE *f, const char *s)
{
	char clean[128];
	const char *p;

	sanitize(clean, sizeof(clean), s);
	if (!strpbrk(clean, ",\"")) {
		fputs(clean, f);
		return;
	}
	fputc('"', f);
	for (p = clean; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	fputc('"', f);
}

void csv_row(FILE *f, const struct pfnmap_event *e, const struct export_rec *r)
{
	const char *src = pfnmap_source_name(e->source);
	char buf[24];
	const struct reg_counter *c;

	fprintf(f, "%lld,%llu,%s,%s,%u,%u,", (long long)r->wall_ns,
		(unsigned long long)e->start_ns, kind_label(e->kind),
		src ? src : "unknown", e->pid, e->tid);
	csv_str(f, e->comm);
	fprintf(f, ",%llu,%lld,%s,0x%llx,%llu", (unsigned long long)e->duration_ns,
		(long long)e->ret, e->ret < 0 ? ret_label(buf, sizeof(buf), e->ret) : "",
		(unsigned long long)e->addr, (unsigned long long)e->len);
	for_each_member(c) {
		fputc(',', f);
		if (counter_valid(e, c))
			print_counter(f, e, c);
	}
	/* a kernel address tells KASLR's offset: only on request */
	fputc(',', f);
	if (e->caller && r->raw_addrs)
		fprintf(f, "0x%llx", (unsigned long long)e->caller);
	fputc(',', f);
	if (r->caller)
		csv_str(f, r->caller);
	fprintf(f, ",%llu,%u\n", (unsigned long long)e->cgroup_id, e->flags);
}
