// SPDX-License-Identifier: GPL-2.0
/*
 * test_stats.c - unit tests of src/lib/stats.c.
 *
 * The expected p-values were computed independently, at development
 * time, in python3: Mann-Whitney by enumerating every split of the
 * pooled values (itertools.combinations, midranks by counting, exact
 * fractions), nb1 by summing the truncated geometric pmf term by term
 * with mpmath at 50 digits (stats.c uses a closed form through expm1).
 *
 * The calibration tests draw from the null models with a fixed
 * pseudo-random sequence and count how often each test rejects: exactly
 * the size the enumeration predicts for the rank test, at most alpha
 * (plus three standard errors) for nb1, whose rate is estimated.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stats.h"

#define ARRAY_SIZE(x)	(sizeof(x) / sizeof((x)[0]))

/* Relative tolerance: the C side sums doubles. */
static void assert_close(double got, double want, double rel)
{
	if (fabs(got - want) > rel * fabs(want)) {
		print_error("got %.17g, want %.17g (rel %g)\n", got, want, rel);
		fail();
	}
}

static void test_normal(void **state)
{
	(void)state;
	assert_close(stats_norm_sf(0), 0.5, 1e-15);
	assert_close(stats_norm_sf(1.959963984540054), 0.025, 1e-12);
	/* far tail: erfc keeps digits 1 - cdf would lose */
	assert_close(stats_norm_sf(10), 7.619853024160593e-24, 1e-10);
}

/* ---- Mann-Whitney U ------------------------------------------------------------ */

struct mwu_case {
	double	a[8], b[8];
	size_t	na, nb;
	double	u, p;
	int	dir;
};

static void test_mwu_exact(void **state)
{
	static const struct mwu_case c[] = {
		/* no overlap: the 2 most extreme of C(10, 5) = 252 splits */
		{ { 1, 2, 3, 4, 5 }, { 6, 7, 8, 9, 10 }, 5, 5,
		  25, 0.007936507936507936, 1 },
		/* ties across samples: the permutation distribution with them */
		{ { 1, 2, 2, 3, 5 }, { 2, 3, 3, 4, 6, 7 }, 5, 6,
		  23, 0.170995670995671, 1 },
		{ { 10, 20, 30 }, { 10, 20, 30 }, 3, 3, 4.5, 1.0, 0 },
		/* one value everywhere: nothing to tell apart */
		{ { 5, 5, 5 }, { 5, 5 }, 3, 2, 3, 1.0, 0 },
		{ { 100, 101, 102, 103, 150 }, { 97, 98, 99, 101 }, 5, 4,
		  1.5, 0.03968253968253968, -1 },
		/* per-run rates, one tie */
		{ { 0.10, 0.11, 0.09, 0.10, 0.12 }, { 0.10, 0.13, 0.14, 0.12, 0.15 },
		  5, 5, 21.5, 0.07936507936507936, 1 },
		/* mostly zeros: runs that never hit the event */
		{ { 0, 0, 0, 0, 1 }, { 0, 0, 1, 2, 3, 4 }, 5, 6,
		  23.5, 0.13203463203463203, 1 },
		{ { 3.5, 1.25, 2.0, 7.0 }, { 3.5, 3.5, 9.0, 0.5, 8.0, 6.0, 2.0 },
		  4, 7, 17.5, 0.5484848484848485, 1 },
	};
	struct stats_result r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		r = stats_mann_whitney(c[i].a, c[i].na, c[i].b, c[i].nb);
		assert_int_equal(r.test, ST_U_EXACT);
		assert_close(r.stat, c[i].u, 1e-12);
		assert_close(r.p, c[i].p, 1e-12);
		assert_int_equal(r.dir, c[i].dir);
		/* the other way round: same p, U mirrored, direction flipped */
		r = stats_mann_whitney(c[i].b, c[i].nb, c[i].a, c[i].na);
		assert_close(r.p, c[i].p, 1e-12);
		assert_close(r.stat, c[i].na * c[i].nb - c[i].u, 1e-12);
		assert_int_equal(r.dir, -c[i].dir);
	}
	r = stats_mann_whitney(c[0].a, 0, c[0].b, 5);
	assert_true(isnan(r.p));
	assert_int_equal(r.test, ST_NONE);
}

/*
 * Every split of 10 distinct values into 5 and 5: exactly the 8 most
 * extreme (U <= 2 or U >= 23: 1 + 1 + 2 arrangements each way) have
 * p < 0.05; the test's size at alpha 0.05 is 8/252, not 0.05.
 */
static void test_mwu_size(void **state)
{
	double v[10], a[5], b[5];
	int mask, called = 0, splits = 0, i, na, nb;

	(void)state;
	for (i = 0; i < 10; i++)
		v[i] = 1.5 * i + 0.25;
	for (mask = 0; mask < 1 << 10; mask++) {
		if (__builtin_popcount(mask) != 5)
			continue;
		for (i = na = nb = 0; i < 10; i++) {
			if (mask & (1 << i))
				a[na++] = v[i];
			else
				b[nb++] = v[i];
		}
		splits++;
		called += stats_mann_whitney(a, 5, b, 5).p < 0.05;
	}
	assert_int_equal(splits, 252);
	assert_int_equal(called, 8);
}

/* Past STATS_U_EXACT_MAX values: the normal approximation, flagged. */
static void test_mwu_normal(void **state)
{
	double a[30], b[30];
	struct stats_result r;
	int i;

	(void)state;
	for (i = 0; i < 30; i++) {
		a[i] = i;
		b[i] = i + 10;
	}
	r = stats_mann_whitney(a, 30, b, 30);
	assert_int_equal(r.test, ST_U_NORMAL);
	/*
	 * U = sum over NEW of (BASE below + half of BASE equal) = 700; 20
	 * pairs of ties: var = 900/12 (61 - 20 * 6 / (60 * 59)); p from
	 * python's math.erfc
	 */
	assert_close(r.stat, 700, 1e-12);
	assert_close(r.p, 0.00022448380595775665, 1e-9);
	assert_int_equal(r.dir, 1);
}

static void test_min_p_and_runs(void **state)
{
	(void)state;
	assert_close(stats_u_min_p(4, 4), 2.0 / 70, 1e-12);
	assert_close(stats_u_min_p(5, 5), 2.0 / 252, 1e-12);
	assert_close(stats_u_min_p(3, 5), 2.0 / 56, 1e-12);
	assert_close(stats_u_min_p(1, 1), 1, 0);
	assert_close(stats_u_min_p(0, 5), 1, 0);
	/* 3 runs per side: 2/20 = 0.1, never below 0.05 */
	assert_int_equal(stats_runs_needed(0.05), 4);
	assert_int_equal(stats_runs_needed(0.01), 5);
	/* not below 0.1 itself: p < alpha is the rule */
	assert_int_equal(stats_runs_needed(0.1), 4);
	assert_int_equal(stats_runs_needed(0.2), 3);
	assert_true(stats_runs_needed(1e-300) > 400);
}

/* ---- nb1 ------------------------------------------------------------------------ */

struct nb1_case {
	__u64	x1;
	double	t1;
	__u64	x2;
	double	t2, want;
	int	dir;
};

static void test_nb1_known(void **state)
{
	static const struct nb1_case c[] = {
		/* equal exposures: uniform split, 2 / 51 */
		{ 0, 150, 50, 150, 0.0392156862745098, 1 },
		{ 0, 100, 50, 150, 0.05691182814750813, 1 },
		/* the 20 s validation pair: EINVAL 50 -> 0, retries 0 -> 62 */
		{ 50, 137748, 0, 185689, 0.0392156862745098, -1 },
		{ 0, 137748, 62, 185689, 0.041947921935138015, 1 },
		/* and the 60 s one: EINVAL 633 -> 0 */
		{ 633, 137748, 0, 185689, 0.0031545741324921135, -1 },
		/* 4x per op: nowhere near a verdict from one run each */
		{ 100, 1000, 400, 1000, 0.4031936127744511, 1 },
		{ 1556, 100000, 0, 100000, 0.0012845215157353885, -1 },
		/* the tails cross between the two ends: a likely split */
		{ 30, 200, 12, 50, 1.0, 1 },
		{ 7, 1000, 700, 1000, 0.022598870056497175, 1 },
		{ 1000, 1, 10, 2, 0.021760633036597428, -1 },
		{ 5, 10, 5, 10, 1.0, 0 },
	};
	struct stats_result r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		r = stats_nb1_rates(c[i].x1, c[i].t1, c[i].x2, c[i].t2);
		assert_int_equal(r.test, ST_NB1);
		assert_close(r.p, c[i].want, 1e-9);
		assert_int_equal(r.dir, c[i].dir);
		/* the sides swapped: the same p */
		r = stats_nb1_rates(c[i].x2, c[i].t2, c[i].x1, c[i].t1);
		assert_close(r.p, c[i].want, 1e-9);
	}
	r = stats_nb1_rates(0, 100, 0, 100);
	assert_close(r.p, 1, 0);
	assert_int_equal(r.dir, 0);
	r = stats_nb1_rates(1, 0, 1, 10);
	assert_true(isnan(r.p));
	assert_int_equal(r.test, ST_NONE);
	/* 10^12 events: the closed form keeps its digits */
	r = stats_nb1_rates(1000000000000ULL, 1e6, 0, 1e6);
	assert_close(r.p, 2.0 / (1e12 + 1), 1e-6);
}

/* xorshift64*: the same sequence on every machine */
static uint64_t rng = 88172645463325252ULL;

static double uniform(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return ((rng * 2685821657736338717ULL) >> 11) * 0x1.0p-53 + 0x1.0p-54;
}

/* Poisson with mean mu exponentially mixed: geometric, mean mu. */
static __u64 draw_nb1(double mu)
{
	return (__u64)floor(log(uniform()) / (log(mu) - log1p(mu)));
}

/* Poisson (no run-to-run variation), by multiplying uniforms. */
static __u64 draw_poisson(double mu)
{
	double lim = exp(-mu), prod = uniform();
	__u64 k = 0;

	while (prod > lim) {
		prod *= uniform();
		k++;
	}
	return k;
}

/* Share of n pairs at rates lam * t and lam * ratio * t that nb1 rejects. */
static double reject_rate(__u64 (*draw)(double), double lam, double t1,
			  double t2, double ratio, int n)
{
	int i, called = 0;

	for (i = 0; i < n; i++) {
		__u64 x1 = draw(lam * t1), x2 = draw(lam * ratio * t2);

		called += stats_nb1_rates(x1, t1, x2, t2).p < 0.05;
	}
	return (double)called / n;
}

/*
 * Under its own null (every run's rate drawn around the same mean,
 * coefficient of variation 1) nb1 rejects at most alpha of the time, for
 * rare and common events and exposures from 1:1 to 1:100; with less
 * variation (Poisson) less often; a 100x change about 72% of the time.
 */
static void test_nb1_calibration(void **state)
{
	static const double lam[] = { 0.002, 0.01, 0.05, 0.2, 1, 20 };
	static const double expo[][2] = { { 1000, 1000 }, { 1000, 1350 },
					  { 500, 2000 }, { 100, 10000 } };
	const int n = 20000;
	double bound = 0.05 + 3 * sqrt(0.05 * 0.95 / n), r;
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(lam); i++)
		for (j = 0; j < ARRAY_SIZE(expo); j++) {
			r = reject_rate(draw_nb1, lam[i], expo[j][0], expo[j][1], 1, n);
			if (r > bound) {
				print_error("nb1 null, rate %g, exposures %g/%g: rejects %.4f > %.4f\n",
					    lam[i], expo[j][0], expo[j][1], r, bound);
				fail();
			}
		}
	assert_true(reject_rate(draw_poisson, 0.05, 1000, 1350, 1, n) < 0.05);
	/*
	 * 100x: called when the runs' factors G1 / G2 do not eat up more
	 * than 100 / 39 of it, P = 1 / (1 + 0.39) = 0.72 for large counts
	 */
	r = reject_rate(draw_nb1, 0.05, 1000, 1000, 100, n);
	assert_true(r > 0.68 && r < 0.76);
}

static void test_percentile_and_names(void **state)
{
	static __u64 a[1000];
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		a[i] = i + 1;
	assert_int_equal(stats_sorted_percentile(a, 1000, 99), 990);
	assert_int_equal(stats_sorted_percentile(a, 1000, 50), 500);
	assert_int_equal(stats_sorted_percentile(a, 1000, 100), 1000);
	assert_int_equal(stats_sorted_percentile(a, 1, 50), 1);
	assert_string_equal(stats_test_name(ST_U_EXACT), "u-test");
	assert_string_equal(stats_test_name(ST_NB1), "nb1");
	assert_string_equal(stats_test_name(ST_NONE), "-");
	assert_string_equal(stats_test_name(ST_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_mwu_exact),
		cmocka_unit_test(test_mwu_size),
		cmocka_unit_test(test_mwu_normal),
		cmocka_unit_test(test_min_p_and_runs),
		cmocka_unit_test(test_nb1_known),
		cmocka_unit_test(test_nb1_calibration),
		cmocka_unit_test(test_percentile_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
