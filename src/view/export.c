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

struct perfetto {
	FILE		*f;
	__s64		base_ns;
	__u64		slices;
	__u64		events;		/* slices and metadata */
	struct strmap	*index;		/* "pid/tid" -> threads[] */
	struct thread	*threads;
	size_t		cap;
	int		err;
};

struct perfetto *perfetto_open(FILE *f, __s64 base_ns)
{
	struct perfetto *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->f = f;
	p->base_ns = base_ns;
	p->index = strmap_new();
	if (!p->index) {
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

int perfetto_add(struct perfetto *p, const struct pfnmap_event *e,
		 const struct export_rec *r)
{
	char name[48], buf[24];
	struct json j;

	if (note_thread(p, e))
		return p->err = -ENOMEM;
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

__u64 perfetto_close(struct perfetto *p, const char *time_base)
{
	struct json j;
	__u64 n = p->slices;
	size_t i;

	name_processes(p);
	for (i = 0; i < strmap_count(p->index); i++)
		meta_event(p, "thread_name", p->threads[i].pid,
			   p->threads[i].tid, p->threads[i].comm);
	fputs("\n],\n\"otherData\":", p->f);
	json_init(&j, p->f, false);
	json_obj_begin(&j);
	json_kv_str(&j, "producer", "pfnmap report");
	json_kv_str(&j, "time_base", time_base);
	json_obj_end(&j);
	fputs("}\n", p->f);
	strmap_free(p->index);
	free(p->threads);
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
	fputc(',', f);
	if (e->caller)
		fprintf(f, "0x%llx", (unsigned long long)e->caller);
	fputc(',', f);
	if (r->caller)
		csv_str(f, r->caller);
	fprintf(f, ",%llu,%u\n", (unsigned long long)e->cgroup_id, e->flags);
}
