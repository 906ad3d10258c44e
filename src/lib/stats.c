// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - significance tests for `pfnmap diff` (stats.h).
 *
 * Why these two.  Within one run, thousands of operations are not
 * independent samples of "the kernel": CPU frequency, caches, the
 * neighbours and the guest's scheduling move a whole run at once, so a
 * test over the operations of one run per side calls that run-to-run
 * noise an effect (14 of 15 A/A pairs of one workload came out
 * "significant").  With several runs per side the unit is the run: a
 * rank test on one value per run, exact for the handful of runs people
 * take (benchstat does the same).  With one run per side the run-to-run
 * noise cannot be measured, only bounded: the nb1 test assumes it is no
 * wider than an exponential distribution and calls only changes larger
 * than that.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include "stats.h"

const char *stats_test_name(enum stats_test t)
{
	static const char *const names[ST_MAX] = {
		[ST_NONE] = "-", [ST_U_EXACT] = "u-test",
		[ST_U_NORMAL] = "u-normal", [ST_NB1] = "nb1",
	};

	return t < ST_MAX ? names[t] : "?";
}

double stats_norm_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

static int sign_cmp(long double a, long double b)
{
	return a > b ? 1 : a < b ? -1 : 0;
}

/* ---- Mann-Whitney U over runs --------------------------------------------- */

struct item {
	double	v;
	int	side;		/* 0: BASE, 1: NEW */
};

static int cmp_item(const void *a, const void *b)
{
	double x = ((const struct item *)a)->v, y = ((const struct item *)b)->v;

	return x < y ? -1 : x > y;
}

/*
 * Twice the midrank of each pooled value: a tie group at positions
 * i + 1 .. j shares the rank (i + 1 + j) / 2, so doubled ranks are
 * integers and rank sums compare exactly.  Returns sum(t^3 - t) over
 * the tie groups, for the normal approximation's variance.
 */
static double doubled_ranks(const struct item *it, size_t n, long *r2)
{
	double ties = 0;
	size_t i = 0, j, k;

	while (i < n) {
		for (j = i + 1; j < n && it[j].v == it[i].v; j++)
			;
		for (k = i; k < j; k++)
			r2[k] = (long)(i + 1 + j);
		ties += (double)(j - i) * (j - i) * (j - i) - (double)(j - i);
		i = j;
	}
	return ties;
}

/*
 * P(|S - E| >= dev) where S is the doubled rank sum of m values drawn
 * without replacement from the n doubled ranks r2 (every choice equally
 * likely under the null), E = m (n + 1).  Counts choices by sum, one
 * value at a time; the counts stay below C(48, 24) < 2^53, exact in a
 * double.  NaN if the table cannot be allocated.
 */
static double exact_tail(const long *r2, size_t n, size_t m, long dev)
{
	size_t smax = n * (n + 1), i, j, s;
	long mean = (long)(m * (n + 1));
	double *cnt, total = 0, tail = 0;

	cnt = calloc((m + 1) * (smax + 1), sizeof(*cnt));
	if (!cnt)
		return NAN;
	cnt[0] = 1;
	for (i = 0; i < n; i++)
		for (j = i + 1 < m ? i + 1 : m; j >= 1; j--)
			for (s = smax; s >= (size_t)r2[i]; s--)
				cnt[j * (smax + 1) + s] +=
					cnt[(j - 1) * (smax + 1) + s - r2[i]];
	for (s = 0; s <= smax; s++) {
		double c = cnt[m * (smax + 1) + s];

		total += c;
		if (labs((long)s - mean) >= dev)
			tail += c;
	}
	free(cnt);
	return fmin(1, tail / total);
}

static double normal_u_p(double u, double na, double nb, double ties)
{
	double N = na + nb, mean = na * nb / 2, var, z;

	var = na * nb / 12 * ((N + 1) - ties / (N * (N - 1)));
	if (!(var > 0))
		return 1;
	z = fmax(0, fabs(u - mean) - 0.5) / sqrt(var);
	return fmin(1, 2 * stats_norm_sf(z));
}

struct stats_result stats_mann_whitney(const double *a, size_t na,
				       const double *b, size_t nb)
{
	struct stats_result r = { .p = NAN, .test = ST_NONE, .stat = NAN };
	size_t n = na + nb, i, m = na < nb ? na : nb;
	long s2 = 0, dev;
	struct item *it;
	double ties;
	long *r2;

	if (!na || !nb)
		return r;
	it = malloc(n * sizeof(*it));
	r2 = malloc(n * sizeof(*r2));
	if (!it || !r2)
		goto out;
	for (i = 0; i < n; i++) {
		it[i].side = i >= na;
		it[i].v = i < na ? a[i] : b[i - na];
	}
	qsort(it, n, sizeof(*it), cmp_item);
	ties = doubled_ranks(it, n, r2);
	/* the smaller side's doubled rank sum: its table is the smaller */
	for (i = 0; i < n; i++)
		if (it[i].side == (na <= nb ? 0 : 1))
			s2 += r2[i];
	dev = labs(s2 - (long)(m * (n + 1)));
	/* NEW's U: its rank sum less the smallest it could be */
	r.stat = (na <= nb ? (double)(n * (n + 1) - s2) : (double)s2) / 2 -
		 (double)nb * (nb + 1) / 2;
	r.dir = sign_cmp(r.stat, (double)na * nb / 2);
	if (n <= STATS_U_EXACT_MAX) {
		r.test = ST_U_EXACT;
		r.p = dev ? exact_tail(r2, n, m, dev) : 1;
	} else {
		r.test = ST_U_NORMAL;
		r.p = normal_u_p(r.stat, na, nb, ties);
	}
out:
	free(it);
	free(r2);
	return r;
}

static double lchoose(double n, double k)
{
	return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/* C(n, k): exact while it fits in a double's 53 bits, else lgamma's. */
static double choose(size_t n, size_t k)
{
	double c = 1;
	size_t i;

	if (n > 50)
		return exp(lchoose((double)n, (double)k));
	/* every partial product is itself a binomial coefficient */
	for (i = 1; i <= k; i++)
		c = c * (double)(n - k + i) / (double)i;
	return c;
}

double stats_u_min_p(size_t na, size_t nb)
{
	if (!na || !nb)
		return 1;
	return fmin(1, 2 / choose(na + nb, na));
}

int stats_runs_needed(double alpha)
{
	int k;

	/* 2 / C(2k, k) falls about 4x per run: 1e-300 needs ~500 */
	for (k = 1; k < 1000; k++)
		if (stats_u_min_p(k, k) < alpha)
			return k;
	return k;
}

/* ---- one run per side: negative binomial, shape 1 ---------------------- */

/*
 * Tails of the truncated geometric P(X = x) ~ rho^x on 0..s, for
 * L = log(rho) <= 0, through expm1 so that rho close to 1 (large
 * counts) keeps its digits: P(X <= x) and P(X >= x).
 */
static double geo_le(double x, double s, double L)
{
	if (L == 0)
		return (x + 1) / (s + 1);
	return expm1((x + 1) * L) / expm1((s + 1) * L);
}

static double geo_ge(double x, double s, double L)
{
	if (L == 0)
		return (s - x + 1) / (s + 1);
	return exp(x * L) * expm1((s - x + 1) * L) / expm1((s + 1) * L);
}

/* log(q) for q = mu / (1 + mu), the geometric's ratio of mean mu */
static double log_q(double mu)
{
	return log(mu) - log1p(mu);
}

/* P(X1 <= x1) and P(X1 >= x1) for the split of s at log-ratio L. */
static void split_tails(double x1, double s, double L, double *le,
			double *ge)
{
	/* keep L <= 0: X2 = s - X1 has ratio 1 / rho */
	if (L <= 0) {
		*le = geo_le(x1, s, L);
		*ge = geo_ge(x1, s, L);
	} else {
		*le = geo_ge(s - x1, s, -L);
		*ge = geo_le(s - x1, s, -L);
	}
}

struct stats_result stats_nb1_rates(__u64 x1, double t1, __u64 x2, double t2)
{
	struct stats_result r = { .p = NAN, .test = ST_NB1, .stat = NAN };
	double s = (double)x1 + (double)x2, lambda, L, le[2], ge[2];

	if (!(t1 > 0 && t2 > 0) || isinf(t1) || isinf(t2)) {
		r.test = ST_NONE;
		return r;
	}
	r.dir = sign_cmp((long double)x2 * t1, (long double)x1 * t2);
	if (!s) {
		r.p = 1;
		return r;
	}
	/*
	 * The split's log-ratio L lies between log(t1 / t2) (a tiny rate)
	 * and 0 (large counts), at the rate both runs share if nothing
	 * changed; estimating that rate alone gives too small a p when
	 * the exposures differ (simulated: 8% at alpha 0.05 for 1:4).  So
	 * the largest p over L from the estimate to 0: each tail moves one
	 * way with L, the ends bound it.
	 */
	lambda = s / (t1 + t2);
	L = log_q(lambda * t1) - log_q(lambda * t2);
	split_tails((double)x1, s, L, &le[0], &ge[0]);
	split_tails((double)x1, s, 0, &le[1], &ge[1]);
	/* tails that cross in between: x1 is a likely split, p = 1 */
	if ((le[0] < ge[0]) != (le[1] < ge[1]))
		r.p = 1;
	else
		r.p = fmin(1, 2 * fmax(fmin(le[0], ge[0]), fmin(le[1], ge[1])));
	return r;
}

/* ---- percentiles ---------------------------------------------------------- */

/* 1-based rank of percentile p in n values, as hist_percentile(). */
static size_t pct_rank(size_t n, double p)
{
	double x;
	size_t r;

	if (!(p > 0))
		return 1;
	if (p >= 100)
		return n;
	x = p * (double)n / 100.0;
	r = (size_t)x;
	if ((double)r < x)
		r++;
	return r ? r : 1;
}

__u64 stats_sorted_percentile(const __u64 *v, size_t n, double p)
{
	return n ? v[pct_rank(n, p) - 1] : 0;
}
