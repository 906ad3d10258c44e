// SPDX-License-Identifier: GPL-2.0
/*
 * metrics.c - struct agg_stats groups as Prometheus text (format 0.0.4,
 * which `promtool check metrics` and every scraper read).  Every metric
 * name and help text comes from the registry: a counter added to
 * pfnmap_fields.def is exported without a line here.  Pure code: no
 * libbpf, no sockets.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "export.h"

int export_init(struct export_state *x, bool by_comm, size_t max_series)
{
	memset(x, 0, sizeof(*x));
	x->by_comm = by_comm;
	x->max_series = max_series;
	x->agg = agg_new(by_comm ? AGG_BY_COMM : AGG_BY_KIND);
	return x->agg ? 0 : -ENOMEM;
}

void export_fini(struct export_state *x)
{
	agg_free(x->agg);
	x->agg = NULL;
}

/*
 * A comm label is a series per process name: past max_series groups a
 * new one goes to comm="other", so a fork bomb of names cannot grow
 * the scrape (every series costs storage on every Prometheus).
 */
int export_add(struct export_state *x, const struct pfnmap_event *e)
{
	struct pfnmap_event o;
	struct agg_key k = { .kind = e->kind };

	if (!x->by_comm)
		return agg_add(x->agg, e);
	memcpy(k.comm, e->comm, sizeof(k.comm) - 1);
	if (agg_find(x->agg, &k) || agg_count(x->agg) < x->max_series)
		return agg_add(x->agg, e);
	o = *e;
	memset(o.comm, 0, sizeof(o.comm));
	memcpy(o.comm, EXPORT_OTHER, sizeof(EXPORT_OTHER));
	x->folded++;
	return agg_add(x->agg, &o);
}

void export_reset(struct export_state *x)
{
	agg_reset(x->agg);
	x->folded = 0;
}

/*
 * A group of the in-kernel aggregates, folded as export_add() folds a
 * record.  A kind's overflow group of the kernel is comm="other" too.
 */
int export_add_group(struct export_state *x, const struct agg_stats *st)
{
	struct agg_key k = st->key;

	if (x->by_comm && !strcmp(k.comm, EXPORT_OTHER)) {
		x->folded += st->ops;
	} else if (x->by_comm && !agg_find(x->agg, &k) &&
		   agg_count(x->agg) >= x->max_series) {
		memset(k.comm, 0, sizeof(k.comm));
		memcpy(k.comm, EXPORT_OTHER, sizeof(EXPORT_OTHER));
		x->folded += st->ops;
	}
	return agg_add_group(x->agg, &k, st);
}

/* Latency buckets */

/*
 * Targets on a 1-3-10 scale from 1 us to 100 ms, where these operations
 * live.  Each becomes the last nanosecond of the agg histogram bucket
 * holding it, so a cumulative count is a sum of whole buckets: exact,
 * not interpolated (1 us -> le="1.023e-06").
 */
static const __u64 le_targets[METRICS_LE_MAX] = {
	1000, 3000, 10000, 30000, 100000, 300000,
	1000000, 3000000, 10000000, 30000000, 100000000,
};

__u64 metrics_le_ns[METRICS_LE_MAX];

void metrics_init_buckets(void)
{
	int i;

	for (i = 0; i < METRICS_LE_MAX; i++)
		metrics_le_ns[i] = hist_bucket_high(hist_bucket(le_targets[i]));
}

/* Writing */

struct out {
	FILE				*f;
	const struct metrics_meta	*m;
	bool				by_comm;
	const struct agg_stats		**g;
	size_t				n;
};

/* HELP text: backslash and newline escaped. */
static void put_help(FILE *f, const char *name, const char *help,
		     const char *type)
{
	fprintf(f, "# HELP %s ", name);
	for (; *help; help++) {
		if (*help == '\\')
			fputs("\\\\", f);
		else if (*help == '\n')
			fputs("\\n", f);
		else
			fputc(*help, f);
	}
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

/*
 * A label value: quote and backslash escaped; a comm is any bytes, and
 * the format wants UTF-8, so what is not printable ASCII becomes '_'.
 */
static void put_label(FILE *f, const char *name, const char *v)
{
	fprintf(f, "%s=\"", name);
	for (; *v; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fputc('_', f);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* name{kind="..",comm="..",extra=".."} (the value follows). */
static void put_series(const struct out *o, const char *name,
		       const struct agg_stats *s, const char *extra,
		       const char *extra_val)
{
	fprintf(o->f, "%s{", name);
	put_label(o->f, "kind", pfnmap_kind_name(s->key.kind));
	if (o->by_comm) {
		fputc(',', o->f);
		put_label(o->f, "comm", s->key.comm);
	}
	if (extra) {
		fputc(',', o->f);
		put_label(o->f, extra, extra_val);
	}
	fputc('}', o->f);
}

static void put_ops(const struct out *o)
{
	size_t i;

	put_help(o->f, "pfnmap_operations_total",
		 "operations traced, per kind", "counter");
	for (i = 0; i < o->n; i++) {
		put_series(o, "pfnmap_operations_total", o->g[i], NULL, NULL);
		fprintf(o->f, " %llu\n", (unsigned long long)o->g[i]->ops);
	}
}

static void put_errno(const struct out *o, const struct agg_stats *s,
		      const char *name, __u64 n)
{
	if (!n)
		return;
	put_series(o, "pfnmap_errors_total", s, "errno", name);
	fprintf(o->f, " %llu\n", (unsigned long long)n);
}

static void put_errors(const struct out *o)
{
	char buf[16];
	const char *name;
	size_t i;
	int err;

	put_help(o->f, "pfnmap_errors_total",
		 "operations that failed, per kind and errno name", "counter");
	for (i = 0; i < o->n; i++) {
		for (err = 1; err < AGG_ERRNO_MAX; err++) {
			name = errno_name(err);
			if (!name) {
				snprintf(buf, sizeof(buf), "E%d", err);
				name = buf;
			}
			put_errno(o, o->g[i], name, o->g[i]->err_count[err]);
		}
		put_errno(o, o->g[i], "other", o->g[i]->err_other);
	}
}

/*
 * Summed counters only: a maximum or a median of the whole run is no
 * counter, and PromQL takes rates of sums.  Nanoseconds become seconds
 * (Prometheus base unit); a signed member (locked_vm change) can go
 * down, so it is a gauge.
 */
static void counter_name(char *buf, size_t len, const struct reg_counter *c)
{
	size_t n = strlen(c->name);

	if (c->unit == RU_NS && n > 3 && !strcmp(c->name + n - 3, "_ns"))
		snprintf(buf, len, "pfnmap_%.*s_seconds_total", (int)(n - 3),
			 c->name);
	else if (c->is_signed)
		snprintf(buf, len, "pfnmap_%s", c->name);
	else
		snprintf(buf, len, "pfnmap_%s_total", c->name);
}

static void put_counter_value(FILE *f, const struct reg_counter *c, __u64 v)
{
	if (c->unit == RU_NS)
		fprintf(f, " %llu.%09llu\n", (unsigned long long)(v / 1000000000),
			(unsigned long long)(v % 1000000000));
	else if (c->is_signed)
		fprintf(f, " %lld\n", (long long)v);
	else
		fprintf(f, " %llu\n", (unsigned long long)v);
}

static void put_counter(const struct out *o, const struct reg_counter *c)
{
	char name[96];
	size_t i;

	counter_name(name, sizeof(name), c);
	put_help(o->f, name, c->meaning, c->is_signed ? "gauge" : "counter");
	for (i = 0; i < o->n; i++) {
		/* unknown is not 0: no series where the kernel cannot see it */
		if (!agg_known(o->g[i], c->field))
			continue;
		put_series(o, name, o->g[i], NULL, NULL);
		put_counter_value(o->f, c, agg_counter_value(o->g[i], c));
	}
}

static void put_counters(const struct out *o)
{
	const struct reg_counter *c;

	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++)
		if (c->value == RV_SUM)
			put_counter(o, c);
}

static void put_le(const struct out *o, const struct agg_stats *s,
		   const char *le, __u64 n)
{
	put_series(o, "pfnmap_operation_duration_seconds_bucket", s, "le", le);
	fprintf(o->f, " %llu\n", (unsigned long long)n);
}

static void put_hist(const struct out *o, const struct agg_stats *s)
{
	const struct lat_hist *h = &s->lat;
	unsigned int b = 0;
	__u64 cum = 0;
	char le[32];
	int i;

	for (i = 0; i < METRICS_LE_MAX; i++) {
		for (; b < HIST_BUCKETS && hist_bucket_high(b) <= metrics_le_ns[i]; b++)
			cum += h->bucket[b];
		snprintf(le, sizeof(le), "%.9g", metrics_le_ns[i] / 1e9);
		put_le(o, s, le, cum);
	}
	put_le(o, s, "+Inf", h->count);
	put_series(o, "pfnmap_operation_duration_seconds_sum", s, NULL, NULL);
	fprintf(o->f, " %llu.%09llu\n", (unsigned long long)(h->sum / 1000000000),
		(unsigned long long)(h->sum % 1000000000));
	put_series(o, "pfnmap_operation_duration_seconds_count", s, NULL, NULL);
	fprintf(o->f, " %llu\n", (unsigned long long)h->count);
}

static void put_hists(const struct out *o)
{
	size_t i;

	put_help(o->f, "pfnmap_operation_duration_seconds",
		 "latency of the operations, per kind", "histogram");
	for (i = 0; i < o->n; i++)
		put_hist(o, o->g[i]);
}

static void put_info(const struct out *o)
{
	int k;

	put_help(o->f, "pfnmap_info",
		 "how each kind is traced (fentry, kprobe, syscall, none) on which kernel",
		 "gauge");
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		if (!pfnmap_kind_name(k))
			continue;
		fputs("pfnmap_info{", o->f);
		put_label(o->f, "kernel", o->m->kernel);
		fputc(',', o->f);
		put_label(o->f, "kind", pfnmap_kind_name(k));
		fputc(',', o->f);
		put_label(o->f, "mode", o->m->mode[k] ? o->m->mode[k] : "none");
		fputs("} 1\n", o->f);
	}
}

static void put_global(const struct out *o, const struct export_state *x)
{
	put_help(o->f, "pfnmap_lost_records_total",
		 "operations lost: not followed for want of per-task state (counted in the kernel: a full ring buffer loses none)",
		 "counter");
	fprintf(o->f, "pfnmap_lost_records_total %llu\n",
		(unsigned long long)o->m->lost);
	if (!x->by_comm)
		return;
	put_help(o->f, "pfnmap_folded_series_total",
		 "operations counted under comm=\"other\": --max-series was reached",
		 "counter");
	fprintf(o->f, "pfnmap_folded_series_total %llu\n",
		(unsigned long long)x->folded);
}

/*
 * By kind, every traced kind has a series from the first scrape on (0,
 * with its visible fields known), so rate() sees the start; by comm,
 * a group appears with its first record.
 */
static int collect(struct out *o, const struct export_state *x,
		   struct agg_stats **tot)
{
	size_t i;
	int k;

	o->g = calloc(x->by_comm ? agg_count(x->agg) + 1 : PFNMAP_K_MAX,
		      sizeof(*o->g));
	if (!o->g)
		return -ENOMEM;
	if (x->by_comm) {
		for (i = 0; i < agg_count(x->agg); i++)
			o->g[o->n++] = agg_at(x->agg, i);
		return 0;
	}
	*tot = calloc(PFNMAP_K_MAX, sizeof(**tot));
	if (!*tot)
		return -ENOMEM;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		agg_total_kind(x->agg, k, &(*tot)[k]);
		if (!pfnmap_kind_name(k) || (!o->m->mode[k] && !(*tot)[k].ops))
			continue;
		agg_mark_visible(&(*tot)[k], o->m->valid[k]);
		o->g[o->n++] = &(*tot)[k];
	}
	return 0;
}

int metrics_write(FILE *f, const struct export_state *x,
		  const struct metrics_meta *m)
{
	struct out o = { .f = f, .m = m, .by_comm = x->by_comm };
	struct agg_stats *tot = NULL;
	int err;

	if (!metrics_le_ns[0])
		metrics_init_buckets();
	err = collect(&o, x, &tot);
	if (!err) {
		put_info(&o);
		put_global(&o, x);
		put_ops(&o);
		put_errors(&o);
		put_counters(&o);
		put_hists(&o);
		err = ferror(f) ? -EIO : 0;
	}
	free(o.g);
	free(tot);
	return err;
}
