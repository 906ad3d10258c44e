// SPDX-License-Identifier: GPL-2.0
/*
 * stats.c - significance tests for `pfnmap diff` (stats.h).
 *
 * The exact tests share one routine: a two-sided p-value over a discrete
 * unimodal distribution (binomial, hypergeometric), summing every
 * outcome no more likely than the observed one.  Terms are computed in
 * log space with lgamma(), so a count of 10^12 neither overflows nor
 * loses the tail; each tail is summed outward from where it starts and
 * stops once the terms no longer change the sum.  The work is bounded
 * by STATS_EXACT_TERMS per tail, past which the normal approximation is
 * as good as exact anyway: a crafted input cannot make diff hang.
 */
#include <math.h>
#include <stdint.h>
#include "stats.h"

/* R's binom.test/fisher.test: "no more likely" up to this relative slack. */
#define REL_SLACK	1e-7
/* A tail term this small next to the sum changes nothing in a double. */
#define TAIL_EPS	1e-17

const char *stats_test_name(enum stats_test t)
{
	static const char *const names[ST_MAX] = {
		[ST_NONE] = "-", [ST_FISHER] = "fisher",
		[ST_POISSON] = "poisson", [ST_Z_PROP] = "z",
		[ST_Z_POISSON] = "z-poisson", [ST_MWU] = "mann-whitney",
		[ST_QUANTILE] = "quantile",
	};

	return t < ST_MAX ? names[t] : "?";
}

double stats_norm_sf(double z)
{
	return 0.5 * erfc(z / M_SQRT2);
}

double stats_norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

static double lchoose(double n, double k)
{
	return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1);
}

/* ---- the shared exact two-sided test --------------------------------- */

/* A discrete distribution on [lo, hi], unimodal, given by its log-pmf. */
struct dist {
	double	(*logpmf)(const struct dist *d, __u64 i);
	__u64	lo, hi;
	double	n, p;		/* binomial */
	double	n1, n2, k;	/* hypergeometric: k events among n1 + n2 */
	double	mean, var;	/* for the normal approximation */
};

static double binom_logpmf(const struct dist *d, __u64 i)
{
	double x = (double)i;

	return lchoose(d->n, x) + x * log(d->p) + (d->n - x) * log1p(-d->p);
}

static double hyper_logpmf(const struct dist *d, __u64 i)
{
	double x = (double)i;

	return lchoose(d->n1, x) + lchoose(d->n2, d->k - x) -
	       lchoose(d->n1 + d->n2, d->k);
}

/*
 * The most likely outcome.  mean is within one of it for both
 * distributions; the steps fix the rounding (lgamma is not exact).
 */
static __u64 dist_mode(const struct dist *d)
{
	double m = floor(d->mean);
	__u64 i;
	int step;

	i = m <= (double)d->lo ? d->lo : m >= (double)d->hi ? d->hi : (__u64)m;
	for (step = 0; step < 4 && i < d->hi &&
	     d->logpmf(d, i + 1) > d->logpmf(d, i); step++)
		i++;
	for (step = 0; step < 4 && i > d->lo &&
	     d->logpmf(d, i - 1) > d->logpmf(d, i); step++)
		i--;
	return i;
}

/*
 * First i from `from` towards `to` (the pmf falls along the way) with
 * logpmf(i) <= lim; returns false if there is none.  Binary search.
 */
static bool first_below(const struct dist *d, __u64 from, __u64 to,
			double lim, __u64 *out)
{
	bool up = to >= from;
	__u64 good = to, bad_end;	/* good: satisfies; search [from, good] */

	if (d->logpmf(d, to) > lim)
		return false;
	bad_end = from;
	if (d->logpmf(d, from) <= lim) {
		*out = from;
		return true;
	}
	/* invariant: bad_end fails, good satisfies */
	while (up ? good - bad_end > 1 : bad_end - good > 1) {
		__u64 mid = up ? bad_end + (good - bad_end) / 2 :
				 good + (bad_end - good) / 2;

		if (d->logpmf(d, mid) <= lim)
			good = mid;
		else
			bad_end = mid;
	}
	*out = good;
	return true;
}

/* Sum of the pmf from i outward to end; -1 past the term budget. */
static double tail_sum(const struct dist *d, __u64 i, __u64 end)
{
	int dir = end >= i ? 1 : -1;
	double sum = 0;
	long terms;

	for (terms = 0; terms < STATS_EXACT_TERMS; terms++) {
		double t = exp(d->logpmf(d, i));

		sum += t;
		/* outward from the mode, the terms only get smaller */
		if (i == end || t == 0 || t < sum * TAIL_EPS)
			return sum;
		i += dir;
	}
	return -1;
}

static double normal_two_sided(double x, double mean, double var)
{
	double z;

	if (!(var > 0))
		return 1;
	z = (fabs(x - mean) - 0.5) / sqrt(var);
	return z <= 0 ? 1 : fmin(1, 2 * stats_norm_sf(z));
}

static double exact_two_sided(const struct dist *d, __u64 k, double big,
			      bool *exact)
{
	double lim, left = 0, right = 0;
	__u64 m, a, b;

	if (exact)
		*exact = true;
	if (big > STATS_EXACT_MAX_N) {
		if (exact)
			*exact = false;
		return normal_two_sided((double)k, d->mean, d->var);
	}
	lim = d->logpmf(d, k) + log1p(REL_SLACK);
	m = dist_mode(d);
	if (d->logpmf(d, m) <= lim)	/* k is as likely as it gets */
		return 1;
	if (m > d->lo && first_below(d, m - 1, d->lo, lim, &a))
		left = tail_sum(d, a, d->lo);
	if (m < d->hi && first_below(d, m + 1, d->hi, lim, &b))
		right = tail_sum(d, b, d->hi);
	if (left < 0 || right < 0) {
		if (exact)
			*exact = false;
		return normal_two_sided((double)k, d->mean, d->var);
	}
	return fmin(1, left + right);
}

/* ---- binomial, Fisher, z ------------------------------------------------ */

double stats_binom_logpmf(__u64 k, __u64 n, double p)
{
	struct dist d = { .logpmf = binom_logpmf, .n = (double)n, .p = p };

	if (k > n)
		return -INFINITY;
	return binom_logpmf(&d, k);
}

double stats_binom_test(__u64 k, __u64 n, double p, bool *exact)
{
	struct dist d = {
		.logpmf = binom_logpmf, .lo = 0, .hi = n, .n = (double)n,
		.p = p, .mean = (double)n * p, .var = (double)n * p * (1 - p),
	};

	if (exact)
		*exact = true;
	if (k > n || !(p > 0 && p < 1))
		return NAN;
	if (!n)
		return 1;
	return exact_two_sided(&d, k, d.n, exact);
}

double stats_fisher_test(__u64 x1, __u64 n1, __u64 x2, __u64 n2, bool *exact)
{
	double N = (double)n1 + (double)n2, K = (double)x1 + (double)x2;
	struct dist d = {
		.logpmf = hyper_logpmf, .n1 = (double)n1, .n2 = (double)n2,
		.k = K,
	};
	__u64 k = x1 + x2;

	if (exact)
		*exact = true;
	if (x1 > n1 || x2 > n2 || !n1 || !n2)
		return NAN;
	d.lo = k > n2 ? k - n2 : 0;
	d.hi = k < n1 ? k : n1;
	d.mean = d.n1 * K / N;
	d.var = d.n1 * d.n2 * K * (N - K) / (N * N * (N - 1));
	return exact_two_sided(&d, x1, N, exact);
}

double stats_prop_z(__u64 x1, __u64 n1, __u64 x2, __u64 n2, double *z)
{
	double p1, p2, pool, se;

	*z = 0;
	if (x1 > n1 || x2 > n2 || !n1 || !n2)
		return NAN;
	p1 = (double)x1 / n1;
	p2 = (double)x2 / n2;
	pool = ((double)x1 + x2) / ((double)n1 + n2);
	se = sqrt(pool * (1 - pool) * (1.0 / n1 + 1.0 / n2));
	if (!(se > 0))		/* both none or both all: nothing differs */
		return 1;
	*z = (p2 - p1) / se;
	return fmin(1, 2 * stats_norm_sf(fabs(*z)));
}

static int sign_cmp(long double a, long double b)
{
	return a > b ? 1 : a < b ? -1 : 0;
}

struct stats_result stats_proportions(__u64 x1, __u64 n1, __u64 x2, __u64 n2)
{
	struct stats_result r = { .p = NAN, .test = ST_FISHER, .min_p = NAN };
	bool exact;

	if (x1 > n1 || x2 > n2 || !n1 || !n2) {
		r.test = ST_NONE;
		return r;
	}
	/* x2/n2 vs x1/n1 without dividing: exact for any counts */
	r.dir = sign_cmp((long double)x2 * n1, (long double)x1 * n2);
	r.p = stats_fisher_test(x1, n1, x2, n2, &exact);
	if (!exact) {
		r.test = ST_Z_PROP;
		r.p = stats_prop_z(x1, n1, x2, n2, &r.stat);
	}
	return r;
}

struct stats_result stats_poisson_rates(__u64 x1, double t1, __u64 x2,
					double t2)
{
	struct stats_result r = { .p = NAN, .test = ST_POISSON, .min_p = NAN };
	bool exact;

	if (!(t1 > 0 && t2 > 0) || isinf(t1) || isinf(t2) ||
	    x1 > UINT64_MAX - x2) {
		r.test = ST_NONE;
		return r;
	}
	r.dir = sign_cmp((long double)x2 * t1, (long double)x1 * t2);
	r.p = stats_binom_test(x1, x1 + x2, t1 / (t1 + t2), &exact);
	if (!exact)
		r.test = ST_Z_POISSON;
	return r;
}

/* ---- samples ------------------------------------------------------------- */

struct stats_result stats_mann_whitney(const __u64 *a, size_t na,
				       const __u64 *b, size_t nb)
{
	struct stats_result r = { .p = NAN, .test = ST_MWU, .min_p = NAN };
	double n1 = (double)na, n2 = (double)nb, N = n1 + n2;
	double rank_b = 0, ties = 0, u, mean, var, z;
	size_t i = 0, j = 0;

	if (!na || !nb) {
		r.test = ST_NONE;
		return r;
	}
	/* Walk both samples in order, one group of equal values at a time. */
	while (i < na || j < nb) {
		__u64 v = j >= nb || (i < na && a[i] <= b[j]) ? a[i] : b[j];
		double first = (double)(i + j) + 1, t, in_b = 0;

		while (i < na && a[i] == v)
			i++;
		while (j < nb && b[j] == v) {
			j++;
			in_b++;
		}
		t = (double)(i + j) + 1 - first;
		/* every member of the group gets the group's average rank */
		rank_b += in_b * (first + (t - 1) / 2);
		ties += t * t * t - t;
	}
	u = rank_b - n2 * (n2 + 1) / 2;
	mean = n1 * n2 / 2;
	var = n1 * n2 / 12 * ((N + 1) - ties / (N * (N - 1)));
	r.stat = u;
	r.dir = sign_cmp(u, mean);
	if (!(var > 0)) {	/* one value in all: nothing to tell apart */
		r.p = 1;
		return r;
	}
	z = fmax(0, fabs(u - mean) - 0.5) / sqrt(var);
	r.p = fmin(1, 2 * stats_norm_sf(z));
	return r;
}

/* The r-th smallest (1-based) of the two sorted samples together. */
static __u64 merged_rank(const __u64 *a, size_t na, const __u64 *b,
			 size_t nb, size_t r)
{
	size_t i = 0, j = 0;
	__u64 v = 0;

	while (r--) {
		if (j >= nb || (i < na && a[i] <= b[j]))
			v = a[i++];
		else
			v = b[j++];
	}
	return v;
}

/* How many of a sorted sample are above v. */
static size_t count_above(const __u64 *v, size_t n, __u64 x)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] <= x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return n - lo;
}

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

double stats_fisher_min_p(__u64 k, __u64 n1, __u64 n2)
{
	__u64 lo, hi;

	if (!n1 || !n2 || k > n1 + n2)
		return NAN;
	/* the most lopsided tables: as many events as fit on either side */
	lo = k > n2 ? k - n2 : 0;
	hi = k < n1 ? k : n1;
	return fmin(stats_fisher_test(lo, n1, k - lo, n2, NULL),
		    stats_fisher_test(hi, n1, k - hi, n2, NULL));
}

struct stats_result stats_quantile_test(const __u64 *a, size_t na,
					const __u64 *b, size_t nb, double q)
{
	struct stats_result r = { .p = NAN, .test = ST_NONE, .min_p = NAN };
	__u64 t, x1, x2;

	if (!na || !nb || !(q > 0 && q < 1))
		return r;
	t = merged_rank(a, na, b, nb, pct_rank(na + nb, q * 100));
	x1 = count_above(a, na, t);
	x2 = count_above(b, nb, t);
	r = stats_proportions(x1, na, x2, nb);
	if (r.test == ST_FISHER)
		r.test = ST_QUANTILE;
	r.stat = (double)t;
	r.min_p = stats_fisher_min_p(x1 + x2, na, nb);
	return r;
}
