// SPDX-License-Identifier: GPL-2.0
/*
 * diff.c - the rows of `pfnmap diff` and their verdicts, and --fail-if.
 *
 * Each quantity gets the test that matches how it was counted:
 *   - errors (an operation fails at most once): x1 of n1 operations vs
 *     x2 of n2, Fisher's exact test on the 2x2 table;
 *   - counters that can exceed one per operation (retries, zap races,
 *     nested calls): Poisson rates over the operations that had the
 *     counter, exact conditional binomial test;
 *   - operations per second: Poisson rates over the elapsed times, for
 *     runs that watched a system or a process; a command's own count
 *     gets no test (its elapsed time is one sample of unknown noise);
 *   - latency: Mann-Whitney U for p50 and a quantile test for p99 when
 *     both sides are captures (every sample); stat JSON has only
 *     percentiles, so no test ("?");
 *   - counts, maxima: shown, never tested ("?").
 * A verdict needs p < alpha, a relative change of at least min_change,
 * and the test's direction to agree with the shown change.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diff.h"


#define METRIC(n, l, t)		{ .name = n, .label = l, .type = t }
#define COUNTER(n, f, w)	{ .name = n, .label = n "/op", .type = DM_FIELD, \
				  .field = f, .which = w }
#define LATENCY(n, p)		{ .name = n, .label = "latency " n, \
				  .type = DM_LAT, .pct = p }

static const struct diff_metric metrics[] = {
	METRIC("count", "count", DM_COUNT),
	{ .name = "ops_per_s", .label = "ops/s", .type = DM_OPS_PER_S,
	  .higher_better = true },
	METRIC("errors", "errors/op", DM_ERRORS),
	COUNTER("retries", AGG_F_RETRIES, 0),
	{ .name = "max_retries", .label = "max retries",
	  .type = DM_MAX_RETRIES, .field = AGG_F_RETRIES },
	COUNTER("retry_aborts", AGG_F_ABORTS, 0),
	COUNTER("zap_races", AGG_F_ZAP_RACES, 0),
	COUNTER("follow_calls", AGG_F_FOLLOW, 0),
	COUNTER("follow_fails", AGG_F_FOLLOW, 1),
	COUNTER("fixup_calls", AGG_F_FIXUP, 0),
	COUNTER("fixup_fails", AGG_F_FIXUP, 1),
	COUNTER("fixup_unlocked", AGG_F_FIXUP, 2),
	COUNTER("bar_faults", AGG_F_FAULTS, 0),
	LATENCY("p50", 50),
	LATENCY("p99", 99),
	LATENCY("max", 100),
};

static const struct diff_metric errno_metric = METRIC("errno", "errno", DM_ERRNO);

#define NR_METRICS	(sizeof(metrics) / sizeof(metrics[0]))

const char *diff_verdict_name(enum diff_verdict v)
{
	static const char *const names[] = {
		[DV_SAME] = "~", [DV_BETTER] = "better",
		[DV_WORSE] = "worse", [DV_UNKNOWN] = "?",
	};

	return v <= DV_UNKNOWN ? names[v] : "?";
}

const char *diff_note_text(enum diff_note n)
{
	static const char *const text[DN_MAX_NOTE] = {
		[DN_COUNT] = "totals depend on how much the workload did: compare the rates (ops/s, per op)",
		[DN_SUMMARY] = "stat JSON holds latency percentiles, not samples: no test; compare 'pfnmap record' captures for Mann-Whitney (p50) and quantile (p99) tests",
		[DN_MAX] = "a maximum is one extreme value: shown, not tested",
		[DN_UNKNOWN] = "unknown on one side (its attach mode could not see it; see 'pfnmap probe'): not compared",
		[DN_NO_OPS] = "no operations on one side: no rate to compare",
		[DN_ELAPSED] = "elapsed time unknown on one side: no rate",
		[DN_PARTIAL] = "known for only part of the operations (mixed attach modes): per op over all of them, a lower bound",
		[DN_TAIL] = "too few samples above the pooled p99 for any split of them to be significant: about 600 operations in all are needed",
		[DN_CLOSED] = "a command ran: it does a set amount of work, so ops/s measures one run's elapsed time, whose noise one run cannot show: no test (the Poisson test is for stat -p and system-wide records)",
	};

	return n > DN_NONE && n < DN_MAX_NOTE ? text[n] : "";
}

/* ---- rows ----------------------------------------------------------------- */

static struct diff_row *row_new(struct diff *d, int kind,
				const struct diff_metric *m)
{
	struct diff_row *r;

	if (d->nrows == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;

		r = realloc(d->rows, cap * sizeof(*r));
		if (!r)
			return NULL;
		d->rows = r;
		d->cap = cap;
	}
	r = &d->rows[d->nrows++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->m = m;
	r->r.p = NAN;
	snprintf(r->name, sizeof(r->name), "%s", m->name);
	snprintf(r->label, sizeof(r->label), "%s", m->label);
	return r;
}

static const struct agg_stats *side(const struct diff *d, int i, int kind)
{
	return &d->in[i]->k[kind].s;
}

static double per(double x, __u64 n)
{
	return n ? x / (double)n : NAN;
}

static void row_count(const struct diff *d, struct diff_row *r)
{
	int i;

	for (i = 0; i < 2; i++) {
		r->known[i] = true;
		r->value[i] = r->shown[i] = side(d, i, r->kind)->ops;
	}
	r->note = DN_COUNT;
}

static void row_ops_per_s(const struct diff *d, struct diff_row *r)
{
	double secs[2];
	int i;

	for (i = 0; i < 2; i++) {
		r->known[i] = d->in[i]->elapsed_known;
		secs[i] = d->in[i]->elapsed_ns / 1e9;
		r->value[i] = r->shown[i] = r->known[i] ?
			side(d, i, r->kind)->ops / secs[i] : NAN;
	}
	if (!r->known[0] || !r->known[1]) {
		r->note = DN_ELAPSED;
		return;
	}
	/*
	 * Operations arriving on their own (a system or a process watched
	 * for a while) are a Poisson count over the elapsed time.  A
	 * command's count is set by the command: only its duration varies,
	 * and one run per side says nothing about how much it varies.
	 */
	if (d->in[0]->ran_command || d->in[1]->ran_command) {
		r->note = DN_CLOSED;
		return;
	}
	r->r = stats_poisson_rates(side(d, 0, r->kind)->ops, secs[0],
				   side(d, 1, r->kind)->ops, secs[1]);
}

/* Failed operations, all errnos (err < 0) or one. */
static void row_errors(const struct diff *d, struct diff_row *r, int err)
{
	__u64 x[2], n[2];
	int i;

	for (i = 0; i < 2; i++) {
		const struct agg_stats *s = side(d, i, r->kind);

		x[i] = err < 0 ? s->errors : err == AGG_ERRNO_MAX ?
		       s->err_other : s->err_count[err];
		n[i] = s->ops;
		r->known[i] = true;
		r->value[i] = x[i];
		r->shown[i] = per(x[i], n[i]);
	}
	r->per_op = true;
	r->r = stats_proportions(x[0], n[0], x[1], n[1]);
	if (isnan(r->r.p))
		r->note = DN_NO_OPS;
}

static __u64 field_sum(const struct agg_stats *s, enum agg_field f, int which)
{
	return which == 0 ? s->sum[f] : which == 1 ? s->sum2[f] : s->sum3[f];
}

static void row_field(const struct diff *d, struct diff_row *r)
{
	enum agg_field f = r->m->field;
	__u64 x[2], n[2];
	int i;

	r->per_op = true;
	for (i = 0; i < 2; i++) {
		const struct agg_stats *s = side(d, i, r->kind);

		r->known[i] = s->known[f] > 0;
		x[i] = field_sum(s, f, r->m->which);
		n[i] = diff_field_ops(s, f);
		r->value[i] = r->known[i] ? x[i] : NAN;
		r->shown[i] = r->known[i] ? per(x[i], n[i]) : NAN;
		if (d->in[i]->k[r->kind].partial & (1U << f))
			r->note = DN_PARTIAL;
	}
	if (!r->known[0] || !r->known[1]) {
		r->note = DN_UNKNOWN;
		return;
	}
	r->r = stats_poisson_rates(x[0], n[0], x[1], n[1]);
	if (isnan(r->r.p))
		r->note = DN_NO_OPS;
}

static void row_max_retries(const struct diff *d, struct diff_row *r)
{
	int i;

	for (i = 0; i < 2; i++) {
		const struct agg_stats *s = side(d, i, r->kind);

		r->known[i] = s->known[AGG_F_RETRIES] > 0;
		r->value[i] = r->shown[i] = r->known[i] ? s->max_retries : NAN;
	}
	r->note = r->known[0] && r->known[1] ? DN_MAX : DN_UNKNOWN;
}

static __u64 lat_value(const struct diff_kind *k, double pct)
{
	return pct >= 100 ? k->max : pct >= 99 ? k->p99 : k->p50;
}

static void lat_test(const struct diff *d, struct diff_row *r)
{
	const struct diff_kind *a = &d->in[0]->k[r->kind];
	const struct diff_kind *b = &d->in[1]->k[r->kind];

	if (r->m->pct >= 100)
		r->note = DN_MAX;
	else if (r->m->pct >= 99)
		r->r = stats_quantile_test(a->lat, a->nlat, b->lat, b->nlat,
					   0.99);
	else
		r->r = stats_mann_whitney(a->lat, a->nlat, b->lat, b->nlat);
	/* '~' would say "no change"; the truth is "cannot tell" */
	if (r->r.min_p >= d->o.alpha)
		r->note = DN_TAIL;
}

static void row_lat(const struct diff *d, struct diff_row *r)
{
	bool samples = true;
	int i;

	for (i = 0; i < 2; i++) {
		const struct diff_kind *k = &d->in[i]->k[r->kind];

		r->known[i] = k->s.ops > 0;
		r->value[i] = r->shown[i] = r->known[i] ?
			lat_value(k, r->m->pct) : NAN;
		samples = samples && k->nlat == k->s.ops &&
			  d->in[i]->type == DI_CAPTURE;
	}
	if (!r->known[0] || !r->known[1])
		r->note = DN_NO_OPS;
	else if (!samples)
		r->note = DN_SUMMARY;
	else
		lat_test(d, r);
}

static void row_change(struct diff_row *r)
{
	r->delta = r->shown[1] - r->shown[0];
	if (r->shown[0] != 0)
		r->rel = r->delta / r->shown[0];
	else
		r->rel = r->delta == 0 ? 0 : copysign(INFINITY, r->delta);
}

static enum diff_verdict decide(const struct diff_row *r,
				const struct diff_opts *o)
{
	int dir = r->delta > 0 ? 1 : r->delta < 0 ? -1 : 0;

	if (isnan(r->r.p) || r->note == DN_TAIL)
		return DV_UNKNOWN;
	if (r->r.p >= o->alpha || !r->r.dir)
		return DV_SAME;
	/* NaN (nothing to compare) fails this too */
	if (!(fabs(r->rel) >= o->min_change))
		return DV_SAME;
	/* a rank test and a percentile can disagree on small samples */
	if (dir != r->r.dir)
		return DV_SAME;
	return (dir > 0) == r->m->higher_better ? DV_BETTER : DV_WORSE;
}

static void row_finish(const struct diff *d, struct diff_row *r, bool active)
{
	row_change(r);
	r->verdict = decide(r, &d->o);
	r->show = active && (r->known[0] || r->known[1]);
}

static void errno_row_name(struct diff_row *r, int err)
{
	const char *name = err == AGG_ERRNO_MAX ? "other" : errno_name(err);

	if (name)
		snprintf(r->name, sizeof(r->name), "%s", name);
	else
		snprintf(r->name, sizeof(r->name), "E%d", err);
	snprintf(r->label, sizeof(r->label), "%s/op", r->name);
}

/* One row per errno seen on either side, "other" last. */
static int errno_rows(struct diff *d, int kind, bool active)
{
	const struct agg_stats *a = side(d, 0, kind), *b = side(d, 1, kind);
	int err;

	for (err = 1; err <= AGG_ERRNO_MAX; err++) {
		struct diff_row *r;
		bool seen = err == AGG_ERRNO_MAX ?
			    a->err_other || b->err_other :
			    a->err_count[err] || b->err_count[err];

		if (!seen)
			continue;
		r = row_new(d, kind, &errno_metric);
		if (!r)
			return -ENOMEM;
		r->err = err;
		errno_row_name(r, err);
		row_errors(d, r, err);
		row_finish(d, r, active);
	}
	return 0;
}

/* Is the metric a part of this kind's records? */
static bool kind_has(int kind, const struct diff_metric *m)
{
	if (m->type != DM_FIELD && m->type != DM_MAX_RETRIES)
		return true;
	return reg_kind_fields(kind) & (1U << m->field);
}

static void row_fill(const struct diff *d, struct diff_row *r)
{
	switch (r->m->type) {
	case DM_COUNT:
		row_count(d, r);
		break;
	case DM_OPS_PER_S:
		row_ops_per_s(d, r);
		break;
	case DM_ERRORS:
	case DM_ERRNO:
		row_errors(d, r, -1);
		break;
	case DM_FIELD:
		row_field(d, r);
		break;
	case DM_MAX_RETRIES:
		row_max_retries(d, r);
		break;
	case DM_LAT:
		row_lat(d, r);
		break;
	}
}

static int kind_rows(struct diff *d, int kind)
{
	bool active = side(d, 0, kind)->ops || side(d, 1, kind)->ops;
	size_t i;

	for (i = 0; i < NR_METRICS; i++) {
		const struct diff_metric *m = &metrics[i];
		struct diff_row *r;

		if (!kind_has(kind, m))
			continue;
		r = row_new(d, kind, m);
		if (!r)
			return -ENOMEM;
		row_fill(d, r);
		row_finish(d, r, active);
		/* the errnos follow their total */
		if (m->type == DM_ERRORS && errno_rows(d, kind, active))
			return -ENOMEM;
	}
	return 0;
}

int diff_compute(struct diff *d, const struct diff_input *base,
		 const struct diff_input *new, const struct diff_opts *o)
{
	int k;

	memset(d, 0, sizeof(*d));
	d->in[0] = base;
	d->in[1] = new;
	d->o = *o;
	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (kind_rows(d, k)) {
			diff_free(d);
			return -ENOMEM;
		}
	return 0;
}

void diff_free(struct diff *d)
{
	free(d->rows);
	d->rows = NULL;
	d->nrows = d->cap = 0;
}

const struct diff_row *diff_find(const struct diff *d, int kind,
				 const char *name)
{
	size_t i;

	for (i = 0; i < d->nrows; i++)
		if (d->rows[i].kind == kind && !strcmp(d->rows[i].name, name))
			return &d->rows[i];
	return NULL;
}

/* ---- --fail-if ------------------------------------------------------------- */

static int gate_fail(char *err, size_t len, const char *fmt, const char *arg)
{
	snprintf(err, len, fmt, arg);
	return -EINVAL;
}

/* "EEXIST" (any case), "E524" or "other": the errno, 0 if none. */
static int gate_errno(const char *name)
{
	char *end;
	long v;

	if (!strcmp(name, "other"))
		return AGG_ERRNO_MAX;
	if ((name[0] == 'E' || name[0] == 'e') && name[1] >= '1' &&
	    name[1] <= '9') {
		v = strtol(name + 1, &end, 10);
		if (!*end && v < AGG_ERRNO_MAX)
			return (int)v;
	}
	v = errno_parse(name);
	return v > 0 && v < AGG_ERRNO_MAX ? (int)v : 0;
}

static int gate_metric(struct diff_gate *g, const char *name, char *err,
		       size_t len)
{
	struct diff_row tmp;
	size_t i;

	for (i = 0; i < NR_METRICS; i++)
		if (!strcmp(metrics[i].name, name)) {
			g->m = &metrics[i];
			snprintf(g->name, sizeof(g->name), "%s", name);
			return 0;
		}
	g->err = gate_errno(name);
	if (!g->err)
		return gate_fail(err, len, "unknown metric '%s' (count, ops_per_s, errors, an errno name like EINVAL, retries, max_retries, retry_aborts, zap_races, follow_fails, fixup_calls, p50, p99, max, ...)",
				 name);
	g->m = &errno_metric;
	errno_row_name(&tmp, g->err);
	memcpy(g->name, tmp.name, sizeof(g->name));
	return 0;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* KIND '.' METRIC ['/op']; returns where parsing stopped, NULL on error. */
static const char *gate_subject(struct diff_gate *g, const char *p, char *err,
				size_t len)
{
	char kind[24], name[24];
	size_t n;

	n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
	if (!n || n >= sizeof(kind) || p[n] != '.') {
		gate_fail(err, len, "%s", "expected KIND.METRIC at the start");
		return NULL;
	}
	memcpy(kind, p, n);
	kind[n] = '\0';
	g->kind = pfnmap_kind_parse(kind);
	if (g->kind < 0) {
		gate_fail(err, len, "unknown kind '%s' (vfio_pin, follow_pfnmap, fixup_user_fault, uffd_copy, uffd_zeropage, uffd_continue, uffd_poison, vfio_map_dma, vfio_zap)",
			  kind);
		return NULL;
	}
	p += n + 1;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	if (!n || n >= sizeof(name)) {
		gate_fail(err, len, "%s", "expected a metric after 'KIND.'");
		return NULL;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	if (gate_metric(g, name, err, len))
		return NULL;
	p += n;
	if (!strncmp(p, "/op", 3)) {
		g->per_op = true;
		p += 3;
	}
	return p;
}

static int gate_verdict(struct diff_gate *g, const char *p, char *err,
			size_t len)
{
	enum diff_verdict v;
	size_t n;

	p = skip_blanks(p);
	n = strcspn(p, " \t");
	for (v = DV_SAME; v <= DV_UNKNOWN && !*skip_blanks(p + n); v++)
		if (strlen(diff_verdict_name(v)) == n &&
		    !strncmp(p, diff_verdict_name(v), n)) {
			g->want = v;
			g->is_verdict = true;
			return 0;
		}
	return gate_fail(err, len, "unknown verdict '%s' (better, worse, ~, ?)", p);
}

static int gate_compare(struct diff_gate *g, const char *p, char *err,
			size_t len)
{
	static const struct { const char *op; enum diff_cmp cmp; } ops[] = {
		{ ">=", DC_GE }, { "<=", DC_LE }, { "==", DC_EQ },
		{ "!=", DC_NE }, { ">", DC_GT }, { "<", DC_LT },
	};
	char *end;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(p, ops[i].op, strlen(ops[i].op)))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return gate_fail(err, len, "expected >, >=, <, <=, ==, != or ':' at '%s'", p);
	g->cmp = ops[i].cmp;
	p = skip_blanks(p + strlen(ops[i].op));
	if (!*p || strchr(" \t", *p))
		return gate_fail(err, len, "%s", "a number must follow the comparison");
	g->num = strtod(p, &end);
	/* decimal only: strtod would also take "inf", "nan" and hex */
	if (end == p || *skip_blanks(end) || !isfinite(g->num) ||
	    strspn(p, "0123456789+-.eE") < (size_t)(end - p))
		return gate_fail(err, len, "bad number '%s'", p);
	return 0;
}

static bool per_op_allowed(const struct diff_metric *m)
{
	return m->type == DM_ERRORS || m->type == DM_ERRNO ||
	       m->type == DM_FIELD;
}

int diff_gate_parse(struct diff_gate *g, const char *text, char *err,
		    size_t len)
{
	const char *p;

	memset(g, 0, sizeof(*g));
	g->text = text;
	p = gate_subject(g, skip_blanks(text), err, len);
	if (!p)
		return -EINVAL;
	if (g->per_op && !per_op_allowed(g->m))
		return gate_fail(err, len, "'/op' does not apply to %s (only to errors, errnos and counters)",
				 g->m->name);
	p = skip_blanks(p);
	if (*p == ':') {
		if (g->per_op)
			return gate_fail(err, len, "%s", "a verdict is per row: drop '/op' before ':'");
		return gate_verdict(g, p + 1, err, len);
	}
	return gate_compare(g, p, err, len);
}

static bool compare(double v, enum diff_cmp c, double num)
{
	switch (c) {
	case DC_GT:
		return v > num;
	case DC_GE:
		return v >= num;
	case DC_LT:
		return v < num;
	case DC_LE:
		return v <= num;
	case DC_EQ:
		return v == num;
	case DC_NE:
		return v != num;
	}
	return false;
}

int diff_gate_eval(const struct diff *d, const struct diff_gate *g,
		   double *value, char *err, size_t len)
{
	const struct diff_row *r = diff_find(d, g->kind, g->name);
	const char *kind = pfnmap_kind_name(g->kind);

	*value = NAN;
	/* an errno neither side saw: none of it, nothing changed */
	if (!r && g->m->type == DM_ERRNO) {
		*value = 0;
		return g->is_verdict ? g->want == DV_SAME : compare(0, g->cmp, g->num);
	}
	if (!r) {
		snprintf(err, len, "%s has no %s", kind, g->name);
		return -EINVAL;
	}
	if (g->is_verdict)
		return r->verdict == g->want;
	if (!r->known[1]) {
		snprintf(err, len, "%s.%s is unknown in NEW: the condition cannot be checked",
			 kind, g->name);
		return -EINVAL;
	}
	*value = g->per_op ? r->shown[1] : r->value[1];
	/* per op over no operations: none */
	if (isnan(*value))
		*value = 0;
	return compare(*value, g->cmp, g->num);
}
