/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff.h - what `pfnmap diff` compares and how it decides: one row per
 * kind and metric with both values, the change, a significance test and
 * a verdict; and the --fail-if conditions.  No I/O: cmd_diff.c prints.
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
	DM_FIELD,		/* a counter of struct pfnmap_event, per op */
	DM_MAX_RETRIES,
	DM_LAT,			/* a latency percentile */
};

struct diff_metric {
	const char	*name;		/* --fail-if and JSON: "retries" */
	const char	*label;		/* table: "retries/op" */
	enum diff_mtype	type;
	enum agg_field	field;		/* DM_FIELD, DM_MAX_RETRIES */
	int		which;		/* DM_FIELD: sum, sum2 or sum3 */
	double		pct;		/* DM_LAT: 50, 99, 100 (max) */
	bool		higher_better;	/* else lower is better */
};

/* Why a row has no test, or what to keep in mind reading it. */
enum diff_note {
	DN_NONE = 0,
	DN_COUNT,
	DN_SUMMARY,
	DN_MAX,
	DN_UNKNOWN,
	DN_NO_OPS,
	DN_ELAPSED,
	DN_PARTIAL,
	DN_CLOSED,
	DN_TAIL,
	DN_MAX_NOTE,
};

struct diff_row {
	int			kind;
	const struct diff_metric *m;
	int			err;		/* DM_ERRNO: errno, AGG_ERRNO_MAX "other" */
	char			name[24];	/* "EEXIST", "retries" */
	char			label[32];	/* "EEXIST/op", "retries/op" */
	bool			per_op;
	bool			known[2];	/* BASE, NEW */
	double			value[2];	/* count, sum, ns or ops/s */
	double			shown[2];	/* per op if per_op; NaN: no ops */
	double			delta;		/* shown[1] - shown[0] */
	double			rel;		/* delta / shown[0], +-inf from 0 */
	struct stats_result	r;
	enum diff_verdict	verdict;
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
	const struct diff_input	*in[2];
	struct diff_opts	o;
	struct diff_row		*rows;
	size_t			nrows;
	size_t			cap;
};

/* Builds every row; 0 or -ENOMEM.  The inputs must outlive d. */
int diff_compute(struct diff *d, const struct diff_input *base,
		 const struct diff_input *new, const struct diff_opts *o);
void diff_free(struct diff *d);
const struct diff_row *diff_find(const struct diff *d, int kind,
				 const char *name);

const char *diff_verdict_name(enum diff_verdict v);	/* "better", "~", ... */
const char *diff_note_text(enum diff_note n);

/* ---- --fail-if ------------------------------------------------------- */

enum diff_cmp { DC_GT, DC_GE, DC_LT, DC_LE, DC_EQ, DC_NE };

struct diff_gate {
	const char		*text;
	int			kind;
	const struct diff_metric *m;
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
 * value is unknown in NEW; err says so).  *value: NEW's value compared.
 */
int diff_gate_eval(const struct diff *d, const struct diff_gate *g,
		   double *value, char *err, size_t err_len);

#endif /* __PFNMAP_DIFF_H */
