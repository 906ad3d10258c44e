/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - the significance tests of `pfnmap diff`.  Pure functions, no
 * I/O, no global state; only the exact rank test allocates (its table).
 *
 * Two tests, for the two situations diff meets:
 *   - several runs per side: Mann-Whitney U on one value per run (a rate,
 *     a percentile), exact for small numbers of runs, ties included;
 *   - one run per side: counts of events, tested against run-to-run
 *     variation as wide as an exponential distribution (nb1).
 * Each compares BASE (sample 1) with NEW (sample 2) and returns a
 * two-sided p-value and a direction: +1 if NEW's values (or rate) are the
 * higher, -1 if lower, 0 if neither.  p is NaN when no test is possible.
 */
#ifndef __PFNMAP_STATS_H
#define __PFNMAP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum stats_test {
	ST_NONE = 0,
	ST_U_EXACT,	/* Mann-Whitney U, exact permutation distribution */
	ST_U_NORMAL,	/* the same, normal approximation (many runs) */
	ST_NB1,		/* counts of one run each, negative binomial shape 1 */
	ST_MAX,
};

struct stats_result {
	double		p;	/* two-sided; NaN: no test */
	int		dir;	/* sign of NEW - BASE */
	enum stats_test	test;	/* the one that produced p */
	double		stat;	/* U (NEW's) for the U tests, else NaN */
};

/* "u-test", "u-normal", "nb1", "-" */
const char *stats_test_name(enum stats_test t);

/* Standard normal: P(Z > z), via erfc, accurate in the tails. */
double stats_norm_sf(double z);

/*
 * Mann-Whitney U on two samples (any order, no NaN): U is NEW's statistic,
 * the number of (BASE, NEW) pairs where NEW's value is the larger, ties
 * counting one half.  The p-value is exact, from the permutation
 * distribution of the rank sum with the ties as they are, up to
 * STATS_U_EXACT_MAX values in all; past that, the normal approximation
 * with tie and continuity corrections.  dir: +1 when NEW's values tend
 * to be larger.  Equal samples (all values tied) give p = 1.
 */
#define STATS_U_EXACT_MAX	48
struct stats_result stats_mann_whitney(const double *a, size_t na,
				       const double *b, size_t nb);

/*
 * The smallest two-sided p the U test can give with na and nb values,
 * none tied: the two most extreme of C(na + nb, na) equally likely
 * arrangements, 2 / C(na + nb, na).  1 when a side is empty.
 */
double stats_u_min_p(size_t na, size_t nb);

/*
 * Runs per side the U test needs before any p can be below alpha:
 * the smallest k with stats_u_min_p(k, k) < alpha (4 at 0.05, 5 at 0.01).
 */
int stats_runs_needed(double alpha);

/*
 * x1 events over exposure t1 (operations) in one run against x2 over t2
 * in another, when the rate itself varies between runs.  Model: each
 * run's count is Poisson with mean rate * t * G, G ~ Exponential(1), a
 * run-to-run coefficient of variation of 1; the count is then negative
 * binomial with shape 1 (geometric).  Conditional on x1 + x2 the split
 * is a truncated geometric whose ratio depends on the unknown rate; p is
 * the largest over the ratios from the rate's estimate (x1 + x2) /
 * (t1 + t2) to the limit of large counts, twice the smaller tail.  With
 * t1 == t2 the split is uniform whatever the rate, p = 2 (min(x1, x2) +
 * 1) / (x1 + x2 + 1): only a ratio of about 40 or more (at alpha 0.05)
 * is called.
 */
struct stats_result stats_nb1_rates(__u64 x1, double t1, __u64 x2,
				    double t2);

/* Value at percentile p (0..100) of a sorted sample: the smallest value
 * with at least p% of the sample at or below it (as hist_percentile()). */
__u64 stats_sorted_percentile(const __u64 *v, size_t n, double p);

#endif /* __PFNMAP_STATS_H */
