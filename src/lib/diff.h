/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff.h - what `pfnmap diff` compares and how it decides: one row per
 * kind and metric with both sides' values, the change, a significance
 * test and a verdict; and the --fail-if conditions.  No I/O: the
 * command (src/cmd/diff/) prints.
 *
 * Each side is one or more runs (inputs).  The unit of every test is the
 * run: with at least two runs on both sides a row is a rank test across
 * the runs' values; with one run on a side only counts of events get a
 * test, and a conservative one (stats.h).
 */
#ifndef __PFNMAP_DIFF_H
#define __PFNMAP_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include "diff_input.h"
#include "stats.h"

enum diff_verdict {
	DV_SAME = 0,		/* "~": not significant, or too small to matter */
	DV_BETTER,
	DV_WORSE,
	DV_UNKNOWN,		/* "?": no test applies */
};

enum diff_mtype {
	DM_COUNT,		/* operations: depends on the workload */
	DM_OPS_PER_S,		/* operations per second of elapsed time */
	DM_ERRORS,		/* failed operations, any errno */
	DM_ERRNO,		/* failed operations with one errno */
	DM_COUNTER,		/* one per counter of reg_counters[] */
	DM_LAT,			/* a latency percentile */
};

/*
 * The fixed metrics (count, ops/s, errors, errnos, latency) and
 * DM_COUNTER: one row per counter of reg_counters[] whose diff is not
 * RD_NONE, named after it (diff.c).
 */
struct diff_metric {
	const char	*name;		/* --fail-if and JSON: "errors" */
	const char	*label;		/* table: "errors/op" */
	enum diff_mtype	type;
	double		pct;		/* DM_LAT: 50, 99, 100 (max) */
	bool		higher_better;	/* else lower is better */
};

/* Why a row has no test, or what to keep in mind reading it. */
enum diff_note {
	DN_NONE = 0,
	DN_COUNT,
	DN_UNKNOWN,
	DN_NO_OPS,
	DN_ELAPSED,
	DN_PARTIAL,
	DN_ONE_RUN,
	DN_NB1,
	DN_FEW_RUNS,
	DN_MAX_NOTE,
};

/* The runs of one side. */
struct diff_side {
	const struct diff_input	*run;
	size_t			n;
};

/*
 * A row.  Per side: the value of each run that has one (vals), their
 * median and spread (what the table shows), and the total or maximum
 * over the runs that --fail-if compares.
 */
struct diff_row {
	int			kind;
	const struct diff_metric *m;
	const struct reg_counter *c;		/* DM_COUNTER */
	int			err;		/* DM_ERRNO: errno, AGG_ERRNO_MAX "other" */
	char			name[24];	/* "EEXIST", a counter's name */
	char			label[32];	/* "EEXIST/op", "NAME/op" */
	bool			per_op;
	bool			known[2];	/* BASE, NEW: some run knows it */
	double			*vals[2];	/* one per run that has a value */
	size_t			nvals[2];
	double			value[2];	/* total (sums), max, or median */
	double			pooled[2];	/* per_op: total / total exposure */
	double			shown[2];	/* median of vals; NaN: none */
	double			spread[2];	/* max |val - median| / |median| */
	__u64			events[2];	/* counts summed over the runs */
	double			exposure[2];	/* and their operations */
	double			delta;		/* shown[1] - shown[0] */
	double			rel;		/* delta / |shown[0]|, +-inf from 0 */
	struct stats_result	r;
	enum diff_verdict	verdict;
	int			need_runs;	/* > 0: "~ (need >= N runs)" */
	enum diff_note		note;
	bool			show;		/* a table line (the kind did something) */
};

struct diff_opts {
	double	alpha;		/* significance level */
	double	min_change;	/* smallest relative change called, 0.01 = 1% */
};

#define DIFF_ALPHA		0.05
#define DIFF_MIN_CHANGE		0.01

struct diff {
	struct diff_side	side[2];
	struct diff_opts	o;
	int			runs_needed;	/* per side, at o.alpha */
	struct diff_row		*rows;
	size_t			nrows;
	size_t			cap;
};

/* Builds every row; 0 or -ENOMEM.  The runs must outlive d. */
int diff_compute(struct diff *d, const struct diff_side *base,
		 const struct diff_side *new, const struct diff_opts *o);
void diff_free(struct diff *d);
const struct diff_row *diff_find(const struct diff *d, int kind,
				 const char *name);

/* Is the row's value a duration (latency, a counter in ns)? */
bool diff_row_is_ns(const struct diff_row *r);
/* A counter `diff` compares (reg_counter.diff is not RD_NONE)? */
static inline bool diff_compares(const struct reg_counter *c)
{
	return c->diff != RD_NONE;
}
/* Does the row compare across runs (at least two on each side)? */
static inline bool diff_row_runs(const struct diff_row *r)
{
	return r->nvals[0] >= 2 && r->nvals[1] >= 2;
}

const char *diff_verdict_name(enum diff_verdict v);	/* "better", "~", ... */
/* "EEXIST", "E524" (no name known) or "other" (AGG_ERRNO_MAX) */
void diff_errno_name(char *name, size_t len, int err);

/* The metrics in row order, and the errno rows' (diff.c, diff_gate.c). */
extern const struct diff_metric diff_metrics[];
extern const size_t diff_nr_metrics;
extern const struct diff_metric diff_errno_metric;
const char *diff_note_text(enum diff_note n);

/* ---- --fail-if ------------------------------------------------------- */

enum diff_cmp { DC_GT, DC_GE, DC_LT, DC_LE, DC_EQ, DC_NE };

struct diff_gate {
	const char		*text;
	int			kind;
	const struct diff_metric *m;
	const struct reg_counter *c;		/* DM_COUNTER */
	int			err;		/* DM_ERRNO */
	char			name[24];	/* as rows name it */
	bool			per_op;
	bool			is_verdict;
	enum diff_verdict	want;
	enum diff_cmp		cmp;
	double			num;
};

/*
 *   KIND.METRIC[/op] CMP NUMBER	CMP: > >= < <= == !=
 *   KIND.METRIC:VERDICT		VERDICT: better worse ~ ?
 * Returns 0, or -EINVAL with err saying what is wrong.
 */
int diff_gate_parse(struct diff_gate *g, const char *text, char *err,
		    size_t err_len);
/*
 * 1 if the condition holds, 0 if not, -EINVAL if it cannot be told (the
 * value is unknown in NEW; err says so).  *value: NEW's value compared:
 * the total over NEW's runs (counts, sums), the pooled rate (/op), the
 * largest (maxima) or the median (latency percentiles, ops/s, medians).
 */
int diff_gate_eval(const struct diff *d, const struct diff_gate *g,
		   double *value, char *err, size_t err_len);

#endif /* __PFNMAP_DIFF_H */
