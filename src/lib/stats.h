/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stats.h - the significance tests of `pfnmap diff`.  Pure functions: no
 * I/O, no allocation, no global state.
 *
 * Every test compares BASE (sample 1) with NEW (sample 2) and returns a
 * two-sided p-value and a direction: +1 if NEW's rate (or values) is the
 * higher one, -1 if lower, 0 if the same.  A p-value is NaN when no test
 * is possible (an exposure of zero, an empty sample).
 */
#ifndef __PFNMAP_STATS_H
#define __PFNMAP_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

enum stats_test {
	ST_NONE = 0,
	ST_FISHER,	/* Fisher's exact test, two binomial proportions */
	ST_POISSON,	/* exact conditional test, two Poisson rates */
	ST_Z_PROP,	/* two-proportion z-test (Fisher's large-sample stand-in) */
	ST_Z_POISSON,	/* normal approximation of ST_POISSON */
	ST_MWU,		/* Mann-Whitney U, normal approximation, tie-corrected */
	ST_QUANTILE,	/* share above the pooled quantile, Fisher's test */
	ST_MAX,
};

struct stats_result {
	double		p;	/* two-sided; NaN: no test */
	int		dir;	/* sign of NEW - BASE */
	enum stats_test	test;	/* the one that produced p */
	double		stat;	/* z, U (MWU) or the threshold (quantile) */
	double		min_p;	/* quantile: the smallest p these margins allow */
};

/* "fisher", "poisson", "z", "z-poisson", "mann-whitney", "quantile", "-" */
const char *stats_test_name(enum stats_test t);

/* Standard normal: P(Z > z), and P(Z <= z); via erfc, accurate in the tails. */
double stats_norm_sf(double z);
double stats_norm_cdf(double z);

/*
 * Exact two-sided binomial test of k successes in n trials against
 * success probability p (0 < p < 1): the sum of the probabilities of
 * every outcome no more likely than k (R's binom.test).  Log-gamma keeps
 * every term finite for any n.  The normal approximation (with
 * continuity correction) is returned instead, and *exact (if not NULL)
 * set false, past STATS_EXACT_TERMS terms per tail or when n exceeds
 * STATS_EXACT_MAX_N: beyond it lgamma(n) has no digits left for the
 * difference between two outcomes, and the approximation is excellent.
 */
#define STATS_EXACT_TERMS	2000000
#define STATS_EXACT_MAX_N	1099511627776.0		/* 2^40 */
double stats_binom_test(__u64 k, __u64 n, double p, bool *exact);
double stats_binom_logpmf(__u64 k, __u64 n, double p);

/*
 * Fisher's exact test, two-sided (same rule as above) on the table
 * [x1, n1 - x1; x2, n2 - x2]: did x1 of n1 and x2 of n2 happen at the
 * same rate?  For per-operation events that happen at most once per
 * operation (errors).
 */
double stats_fisher_test(__u64 x1, __u64 n1, __u64 x2, __u64 n2, bool *exact);
/* Two-proportion z-test with the pooled proportion; *z = NEW - BASE. */
double stats_prop_z(__u64 x1, __u64 n1, __u64 x2, __u64 n2, double *z);

/* x1 of n1 vs x2 of n2 with x <= n: Fisher, or the z-test past its budget. */
struct stats_result stats_proportions(__u64 x1, __u64 n1, __u64 x2, __u64 n2);

/*
 * Events counted over an exposure (operations or seconds), any number per
 * unit: x1 in t1 vs x2 in t2.  Conditional on x1 + x2 the split is
 * Binomial(x1 + x2, t1 / (t1 + t2)) when the rates are equal: exact,
 * whatever the counts, small ones included.
 */
struct stats_result stats_poisson_rates(__u64 x1, double t1, __u64 x2,
					double t2);

/*
 * Mann-Whitney U on two ascending-sorted samples: U is NEW's statistic
 * (the number of pairs where NEW's value is the larger, ties count 1/2),
 * p from the normal approximation with tie correction and continuity
 * correction.  dir: +1 when NEW's values tend to be larger.
 */
struct stats_result stats_mann_whitney(const __u64 *a, size_t na,
				       const __u64 *b, size_t nb);

/*
 * Do the samples put the same share above the pooled q-quantile
 * (0 < q < 1)?  Mood's median test generalised to q: counts above the
 * threshold, compared with Fisher's test.  Samples sorted ascending.
 * Only about (1 - q) of the pooled sample is above the threshold: with
 * few samples even the most lopsided split is not significant, so
 * min_p says what the test could reach at best.
 */
struct stats_result stats_quantile_test(const __u64 *a, size_t na,
					const __u64 *b, size_t nb, double q);

/*
 * Smallest two-sided p of Fisher's test over every table with k events
 * among n1 + n2: what the data could show at best, whatever the split.
 */
double stats_fisher_min_p(__u64 k, __u64 n1, __u64 n2);

/* Value at percentile p (0..100) of a sorted sample: the smallest value
 * with at least p% of the sample at or below it (as hist_percentile()). */
__u64 stats_sorted_percentile(const __u64 *v, size_t n, double p);

#endif /* __PFNMAP_STATS_H */
