// SPDX-License-Identifier: GPL-2.0
/*
 * diff.c - the rows of `pfnmap diff` and their verdicts (--fail-if is in
 * diff_gate.c).
 *
 * The counters compared are those of reg_counters[] (pfnmap_fields.def)
 * whose diff is RD_RATE or RD_SHOWN; nothing here names one.
 *
 * The unit of every test is the run.  Most of the variance of a rate or
 * a latency is between runs (CPU frequency, caches, neighbours, the
 * guest's scheduling), so the operations of one run are no sample of
 * the kernel: each run gives one value per row (a rate per operation or
 * per second, a percentile, a maximum), and
 *   - with at least two runs on each side, the two sets of values get a
 *     Mann-Whitney U test, exact for the few runs people take; below
 *     stats_runs_needed() runs per side no p can reach alpha, and the
 *     verdict says how many are needed;
 *   - with one run on a side, only counts of events per operation
 *     (errors, errnos, RD_RATE counters) are tested, by nb1 (stats.h):
 *     against run-to-run variation as wide as an exponential, so only
 *     changes of about 40x are called.  Latency, ops/s and the other
 *     values get no verdict: their run-to-run noise is unmeasured.
 * A verdict needs p < alpha, a relative change of the medians of at least
 * min_change, and the test's direction to agree with that change.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diff.h"

#define METRIC(n, l, t)		{ .name = n, .label = l, .type = t }
#define LATENCY(n, p)		{ .name = n, .label = "latency " n, \
				  .type = DM_LAT, .pct = p }

/* DM_COUNTER stands for the rows of every counter of reg_counters[]. */
const struct diff_metric diff_metrics[] = {
	METRIC("count", "count", DM_COUNT),
	{ .name = "ops_per_s", .label = "ops/s", .type = DM_OPS_PER_S,
	  .higher_better = true },
	METRIC("errors", "errors/op", DM_ERRORS),
	METRIC("", "", DM_COUNTER),
	LATENCY("p50", 50),
	LATENCY("p99", 99),
	LATENCY("max", 100),
};
const size_t diff_nr_metrics = sizeof(diff_metrics) / sizeof(diff_metrics[0]);
const struct diff_metric diff_errno_metric = METRIC("errno", "errno", DM_ERRNO);

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
		[DN_UNKNOWN] = "unknown on one side (its attach mode could not see it; see 'pfnmap probe'): not compared",
		[DN_NO_OPS] = "no operations on one side: no value to compare",
		[DN_ELAPSED] = "elapsed time unknown on one side: no rate",
		[DN_PARTIAL] = "known for only part of the operations (mixed attach modes): per op over all of them, a lower bound",
		[DN_ONE_RUN] = "one run on a side: how much this varies from run to run is not measured, so no verdict; give several runs per side (-b FILE -b FILE ... -n FILE -n FILE ...)",
		[DN_NB1] = "one run on a side: counts tested against run-to-run variation as wide as an exponential (nb1), so only changes of about 40x are called; several runs per side test smaller ones",
	};

	return n > DN_NONE && n < DN_MAX_NOTE ? text[n] : "";
}

/* ---- one run's value ------------------------------------------------------ */

/* What one run says about a row. */
struct run_val {
	bool	known;	/* the run's attach mode could see it */
	double	x;	/* the count, sum, maximum or ns */
	double	n;	/* its exposure: operations (that had it), seconds */
	double	v;	/* the run's value: x / n per op, else x; NaN: none */
};

static double per(double x, double n)
{
	return n > 0 ? x / n : NAN;
}

static double counter_double(const struct reg_counter *c, __u64 v)
{
	return c->is_signed ? (double)(__s64)v : (double)v;
}

static __u64 lat_value(const struct diff_kind *k, double pct)
{
	return pct >= 100 ? k->max : pct >= 99 ? k->p99 : k->p50;
}

static void errors_value(const struct diff_row *r, const struct agg_stats *s,
			 struct run_val *rv)
{
	if (r->m->type == DM_ERRORS)
		rv->x = s->errors;
	else
		rv->x = r->err == AGG_ERRNO_MAX ? s->err_other :
			s->err_count[r->err];
	rv->n = s->ops;
	rv->v = per(rv->x, rv->n);
}

static void counter_value(const struct diff_row *r, const struct agg_stats *s,
			  struct run_val *rv)
{
	const struct reg_counter *c = r->c;

	rv->known = agg_known(s, c->field);
	if (!rv->known)
		return;
	rv->x = counter_double(c, agg_counter_value(s, c));
	rv->n = diff_field_ops(s, c->field);
	rv->v = r->per_op ? per(rv->x, rv->n) : rv->x;
}

static struct run_val run_value(const struct diff_row *r,
				const struct diff_input *in)
{
	const struct diff_kind *k = &in->k[r->kind];
	struct run_val rv = { .known = true, .v = NAN };

	switch (r->m->type) {
	case DM_COUNT:
		rv.x = rv.v = k->s.ops;
		break;
	case DM_OPS_PER_S:
		rv.known = in->elapsed_known;
		rv.x = k->s.ops;
		rv.n = in->elapsed_ns / 1e9;
		if (rv.known)
			rv.v = per(rv.x, rv.n);
		break;
	case DM_ERRORS:
	case DM_ERRNO:
		errors_value(r, &k->s, &rv);
		break;
	case DM_COUNTER:
		counter_value(r, &k->s, &rv);
		break;
	case DM_LAT:
		/* every attach mode times its operations */
		rv.x = lat_value(k, r->m->pct);
		if (k->s.ops)
			rv.v = rv.x;
		break;
	}
	return rv;
}

/* ---- one side: the runs' values, median, spread, total ------------------------ */

enum combine { CB_SUM, CB_MAX, CB_MEDIAN };

/* How NEW's runs make the one value --fail-if compares. */
static enum combine row_combine(const struct diff_row *r)
{
	switch (r->m->type) {
	case DM_COUNT:
	case DM_ERRORS:
	case DM_ERRNO:
		return CB_SUM;
	case DM_OPS_PER_S:
		return CB_MEDIAN;
	case DM_LAT:
		return r->m->pct >= 100 ? CB_MAX : CB_MEDIAN;
	case DM_COUNTER:
		if (r->c->value == RV_SUM || r->c->value == RV_CNT)
			return CB_SUM;
		if (r->c->value == RV_MAX || r->c->value == RV_HMAX)
			return CB_MAX;
		break;
	}
	return CB_MEDIAN;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, size_t n)
{
	if (!n)
		return NAN;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The largest deviation from the median, relative to it. */
static double spread(const double *v, size_t n, double med)
{
	double dev;

	if (n < 2)
		return NAN;
	dev = fmax(med - v[0], v[n - 1] - med);
	if (dev == 0)
		return 0;
	return med != 0 ? dev / fabs(med) : INFINITY;
}

static int side_values(const struct diff *d, struct diff_row *r, int i)
{
	const struct diff_side *sd = &d->side[i];
	double total = 0, max = -INFINITY;
	size_t j;

	r->vals[i] = malloc((sd->n ? sd->n : 1) * sizeof(double));
	if (!r->vals[i])
		return -ENOMEM;
	for (j = 0; j < sd->n; j++) {
		struct run_val rv = run_value(r, &sd->run[j]);

		if (r->m->type == DM_COUNTER &&
		    sd->run[j].k[r->kind].partial & (1U << r->c->field))
			r->note = DN_PARTIAL;
		if (!rv.known)
			continue;
		r->known[i] = true;
		total += rv.x;
		max = fmax(max, rv.x);
		r->exposure[i] += rv.n;
		if (!isnan(rv.v))
			r->vals[i][r->nvals[i]++] = rv.v;
	}
	qsort(r->vals[i], r->nvals[i], sizeof(double), cmp_double);
	r->events[i] = total > 0 ? (__u64)total : 0;
	r->shown[i] = median(r->vals[i], r->nvals[i]);
	r->spread[i] = r->nvals[i] ? spread(r->vals[i], r->nvals[i],
					    r->shown[i]) : NAN;
	r->pooled[i] = per(total, r->exposure[i]);
	switch (row_combine(r)) {
	case CB_SUM:
		r->value[i] = r->known[i] ? total : NAN;
		break;
	case CB_MAX:
		r->value[i] = r->nvals[i] ? max : NAN;
		break;
	case CB_MEDIAN:
		r->value[i] = r->shown[i];
		break;
	}
	return 0;
}

/* ---- tests ----------------------------------------------------------------- */

/* Counts of events per operation: what nb1 can test from one run. */
static bool counts_events(const struct diff_row *r)
{
	if (r->m->type == DM_ERRORS || r->m->type == DM_ERRNO)
		return true;
	return r->m->type == DM_COUNTER && r->c->diff == RD_RATE &&
	       r->c->unit == RU_COUNT && !r->c->is_signed;
}

/* A side with no value: why. */
static enum diff_note missing_note(const struct diff_row *r)
{
	if (r->m->type == DM_OPS_PER_S && (!r->known[0] || !r->known[1]))
		return DN_ELAPSED;
	if (!r->known[0] || !r->known[1])
		return DN_UNKNOWN;
	return DN_NO_OPS;
}

/*
 * The test of a row.  Returns true when the runs are too few for any
 * p below alpha, so that the verdict says how many are needed.
 */
static bool row_test(const struct diff *d, struct diff_row *r)
{
	if (!r->nvals[0] || !r->nvals[1]) {
		r->note = missing_note(r);
		return false;
	}
	if (r->m->type == DM_COUNT) {
		r->note = DN_COUNT;
		return false;
	}
	if (diff_row_runs(r)) {
		r->r = stats_mann_whitney(r->vals[0], r->nvals[0],
					  r->vals[1], r->nvals[1]);
		/* ties can make a lopsided split rarer than 2 / C(n, k) */
		return r->r.p >= d->o.alpha &&
		       stats_u_min_p(r->nvals[0], r->nvals[1]) >= d->o.alpha;
	}
	if (!counts_events(r)) {
		r->note = DN_ONE_RUN;
		return true;
	}
	r->r = stats_nb1_rates(r->events[0], r->exposure[0],
			       r->events[1], r->exposure[1]);
	r->note = DN_NB1;
	return r->r.p >= d->o.alpha;
}

static void row_change(struct diff_row *r)
{
	r->delta = r->shown[1] - r->shown[0];
	/* |BASE|: a signed sum going from -1 to -2 fell by 100% */
	if (r->shown[0] != 0)
		r->rel = r->delta / fabs(r->shown[0]);
	else
		r->rel = r->delta == 0 ? 0 : copysign(INFINITY, r->delta);
}

static enum diff_verdict decide(const struct diff_row *r,
				const struct diff_opts *o)
{
	int dir = r->delta > 0 ? 1 : r->delta < 0 ? -1 : 0;

	if (isnan(r->r.p))
		return DV_UNKNOWN;
	if (r->r.p >= o->alpha || !r->r.dir)
		return DV_SAME;
	/* NaN (nothing to compare) fails this too */
	if (!(fabs(r->rel) >= o->min_change))
		return DV_SAME;
	/* the medians and the ranks can disagree on few runs */
	if (dir != r->r.dir)
		return DV_SAME;
	return (dir > 0) == r->m->higher_better ? DV_BETTER : DV_WORSE;
}

static int row_build(const struct diff *d, struct diff_row *r, bool active)
{
	bool few, partial;

	if (side_values(d, r, 0) || side_values(d, r, 1))
		return -ENOMEM;
	partial = r->note == DN_PARTIAL;
	few = row_test(d, r);
	/* the reading of a lower bound matters more than the test's note */
	if (partial && r->note != DN_UNKNOWN && r->note != DN_NO_OPS)
		r->note = DN_PARTIAL;
	row_change(r);
	r->verdict = decide(r, &d->o);
	if (few) {
		/* '~': nothing shown to differ; else say what would tell */
		r->verdict = DV_SAME;
		r->need_runs = r->delta != 0 ? d->runs_needed : 0;
	}
	r->show = active && (r->known[0] || r->known[1]);
	return 0;
}

/* ---- the rows -------------------------------------------------------------- */

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

/* Did any run of side i see errno err (AGG_ERRNO_MAX: "other")? */
static bool errno_seen(const struct diff *d, int i, int kind, int err)
{
	size_t j;

	for (j = 0; j < d->side[i].n; j++) {
		const struct agg_stats *s = &d->side[i].run[j].k[kind].s;

		if (err == AGG_ERRNO_MAX ? s->err_other : s->err_count[err])
			return true;
	}
	return false;
}

void diff_errno_name(char *name, size_t len, int err)
{
	const char *s = err == AGG_ERRNO_MAX ? "other" : errno_name(err);

	if (s)
		snprintf(name, len, "%s", s);
	else
		snprintf(name, len, "E%d", err);
}

/* One row per errno seen on either side, "other" last. */
static int errno_rows(struct diff *d, int kind, bool active)
{
	struct diff_row *r;
	int err;

	for (err = 1; err <= AGG_ERRNO_MAX; err++) {
		if (!errno_seen(d, 0, kind, err) && !errno_seen(d, 1, kind, err))
			continue;
		r = row_new(d, kind, &diff_errno_metric);
		if (!r)
			return -ENOMEM;
		r->err = err;
		r->per_op = true;
		diff_errno_name(r->name, sizeof(r->name), err);
		snprintf(r->label, sizeof(r->label), "%s/op", r->name);
		if (row_build(d, r, active))
			return -ENOMEM;
	}
	return 0;
}

/* NAME/op for a per-op sum, else NAME with blanks for underscores. */
static void counter_names(struct diff_row *r, const struct reg_counter *c)
{
	char *p;

	r->c = c;
	r->per_op = c->value == RV_SUM;
	snprintf(r->name, sizeof(r->name), "%s", c->name);
	snprintf(r->label, sizeof(r->label), "%s%s", c->name,
		 r->per_op ? "/op" : "");
	for (p = r->label; !r->per_op && *p; p++)
		if (*p == '_')
			*p = ' ';
}

/* One row per counter compared that this kind's records carry. */
static int counter_rows(struct diff *d, int kind,
			const struct diff_metric *m, bool active)
{
	__u16 fields = reg_kind_fields(kind);
	const struct reg_counter *c;
	struct diff_row *r;

	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++) {
		if (!diff_compares(c) || !(fields & (1U << c->field)))
			continue;
		r = row_new(d, kind, m);
		if (!r)
			return -ENOMEM;
		counter_names(r, c);
		if (row_build(d, r, active))
			return -ENOMEM;
	}
	return 0;
}

/* Did any run of either side have operations of this kind? */
static bool kind_active(const struct diff *d, int kind)
{
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < d->side[i].n; j++)
			if (d->side[i].run[j].k[kind].s.ops)
				return true;
	return false;
}

static int kind_rows(struct diff *d, int kind)
{
	bool active = kind_active(d, kind);
	size_t i;

	for (i = 0; i < diff_nr_metrics; i++) {
		const struct diff_metric *m = &diff_metrics[i];
		struct diff_row *r;

		if (m->type == DM_COUNTER) {
			if (counter_rows(d, kind, m, active))
				return -ENOMEM;
			continue;
		}
		r = row_new(d, kind, m);
		if (!r)
			return -ENOMEM;
		r->per_op = m->type == DM_ERRORS;
		if (row_build(d, r, active))
			return -ENOMEM;
		/* the errnos follow their total */
		if (m->type == DM_ERRORS && errno_rows(d, kind, active))
			return -ENOMEM;
	}
	return 0;
}

int diff_compute(struct diff *d, const struct diff_side *base,
		 const struct diff_side *new, const struct diff_opts *o)
{
	int k;

	memset(d, 0, sizeof(*d));
	d->side[0] = *base;
	d->side[1] = *new;
	d->o = *o;
	d->runs_needed = stats_runs_needed(o->alpha);
	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (kind_rows(d, k)) {
			diff_free(d);
			return -ENOMEM;
		}
	return 0;
}

void diff_free(struct diff *d)
{
	size_t i;

	for (i = 0; i < d->nrows; i++) {
		free(d->rows[i].vals[0]);
		free(d->rows[i].vals[1]);
	}
	free(d->rows);
	d->rows = NULL;
	d->nrows = d->cap = 0;
}

bool diff_row_is_ns(const struct diff_row *r)
{
	return r->m->type == DM_LAT ||
	       (r->m->type == DM_COUNTER && r->c->unit == RU_NS);
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
