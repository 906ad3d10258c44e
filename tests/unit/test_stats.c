// SPDX-License-Identifier: GPL-2.0
/*
 * test_stats.c - unit tests of user/stats.c.
 *
 * The expected p-values were computed independently, at development
 * time, with python3's fractions and math.comb (exact rational sums of
 * every outcome no more likely than the observed one, R's rule), and for
 * Mann-Whitney with ranks counted by brute force and U cross-checked by
 * counting pairs.  A few are textbook values: binom.test(3, 10) = 0.34375,
 * fisher.test on [3 1; 1 3] = 0.4857.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include "stats.h"

#define ARRAY_SIZE(x)	(sizeof(x) / sizeof((x)[0]))

/* Relative tolerance: the C side sums doubles from lgamma(). */
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
	assert_close(stats_norm_cdf(-1.959963984540054), 0.025, 1e-12);
	/* far tail: erfc keeps digits 1 - cdf would lose */
	assert_close(stats_norm_sf(10), 7.619853024160593e-24, 1e-10);
}

struct binom_case {
	__u64	k, n;
	double	p, want;
};

static void test_binom_known(void **state)
{
	static const struct binom_case c[] = {
		{ 3, 10, 0.5, 0.34375 },
		{ 0, 10, 0.5, 0.001953125 },
		{ 2, 20, 1.0 / 3, 0.0305659234248708 },
		{ 60, 100, 0.4, 5.8878264959417e-05 },
		{ 5, 10, 0.5, 1.0 },
		{ 7, 400, 0.01, 0.12757558750460576 },
	};
	size_t i;
	bool exact;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		assert_close(stats_binom_test(c[i].k, c[i].n, c[i].p, &exact),
			     c[i].want, 1e-9);
		assert_true(exact);
	}
}

static void test_binom_edges(void **state)
{
	(void)state;
	assert_true(isnan(stats_binom_test(11, 10, 0.5, NULL)));
	assert_true(isnan(stats_binom_test(1, 10, 0, NULL)));
	assert_true(isnan(stats_binom_test(1, 10, 1, NULL)));
	assert_close(stats_binom_test(0, 0, 0.5, NULL), 1, 0);
	/* the mass is all there */
	assert_close(exp(stats_binom_logpmf(10, 10, 0.5)), 1.0 / 1024, 1e-12);
}

struct fisher_case {
	__u64	x1, n1, x2, n2;
	double	want, rel;	/* rel 0: 1e-9 */
};

static void test_fisher_known(void **state)
{
	static const struct fisher_case c[] = {
		{ 3, 4, 1, 4, 0.4857142857142857, 0 },
		{ 0, 100, 50, 150, 2.3804083390026653e-13, 0 },
		{ 1, 1000, 9, 1000, 0.02117752939684126, 0 },
		{ 10, 20, 10, 20, 1.0, 0 },
		{ 100, 100, 98, 100, 0.49748743718592964, 0 },
		{ 0, 1000, 20, 1000, 1.732866917218252e-06, 0 },
		/*
		 * Rare events among 10^9 operations: lgamma(10^9) has ~6
		 * digits left for the difference of two terms; plenty next
		 * to alpha.
		 */
		{ 3, 1000000000, 12, 1000000000, 0.03515624933349609, 1e-5 },
	};
	size_t i;
	bool exact;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		assert_close(stats_fisher_test(c[i].x1, c[i].n1, c[i].x2,
					       c[i].n2, &exact),
			     c[i].want, c[i].rel ? c[i].rel : 1e-9);
		assert_true(exact);
	}
	assert_true(isnan(stats_fisher_test(1, 0, 0, 5, NULL)));
	assert_true(isnan(stats_fisher_test(6, 5, 0, 5, NULL)));
}

static void test_prop_z(void **state)
{
	double z;

	(void)state;
	/* 10% of 1000 vs 15% of 1000: pooled 0.125, se 0.01479 */
	assert_close(stats_prop_z(100, 1000, 150, 1000, &z),
		     0.0007232327164301939, 1e-9);
	assert_close(z, 3.3806170189140663, 1e-9);
	assert_close(stats_prop_z(0, 10, 0, 20, &z), 1, 0);
	assert_close(stats_prop_z(10, 10, 20, 20, &z), 1, 0);
}

struct poisson_case {
	__u64	x1;
	double	t1;
	__u64	x2;
	double	t2, want;
};

static void test_poisson_known(void **state)
{
	static const struct poisson_case c[] = {
		{ 10, 1000, 25, 1000, 0.01667384780012071 },
		{ 0, 100, 5, 100, 0.0625 },
		{ 100, 100, 150, 150, 1.0 },
		{ 30, 200, 12, 50, 0.17618922658370542 },
	};
	struct stats_result r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		r = stats_poisson_rates(c[i].x1, c[i].t1, c[i].x2, c[i].t2);
		assert_close(r.p, c[i].want, 1e-9);
		assert_int_equal(r.test, ST_POISSON);
	}
	r = stats_poisson_rates(1, 0, 1, 10);
	assert_true(isnan(r.p));
	assert_int_equal(r.test, ST_NONE);
}

/* Equal inputs are never significant, whatever the counts. */
static void test_equal_not_significant(void **state)
{
	struct stats_result r;

	(void)state;
	r = stats_poisson_rates(0, 100, 0, 100);
	assert_close(r.p, 1, 0);
	assert_int_equal(r.dir, 0);
	r = stats_poisson_rates(12345, 1e6, 12345, 1e6);
	assert_close(r.p, 1, 0);
	r = stats_proportions(0, 100, 0, 100);
	assert_close(r.p, 1, 0);
	r = stats_proportions(37, 100, 37, 100);
	assert_close(r.p, 1, 0);
	assert_int_equal(r.dir, 0);
	r = stats_proportions(100, 100, 100, 100);
	assert_close(r.p, 1, 0);
}

/* A clear change is significant, in the right direction. */
static void test_clear_change(void **state)
{
	struct stats_result r;

	(void)state;
	r = stats_proportions(0, 100, 50, 150);
	assert_true(r.p < 1e-10);
	assert_int_equal(r.dir, 1);
	r = stats_proportions(50, 150, 0, 100);
	assert_true(r.p < 1e-10);
	assert_int_equal(r.dir, -1);
	r = stats_poisson_rates(200, 100, 100, 100);
	assert_true(r.p < 1e-8);
	assert_int_equal(r.dir, -1);
	/* same counts, twice the time: the rate halved */
	r = stats_poisson_rates(1000, 1, 1000, 2);
	assert_true(r.p < 1e-20);
	assert_int_equal(r.dir, -1);
}

/* Huge counts: exact and still agreeing with the normal approximation. */
static void test_large_counts(void **state)
{
	struct stats_result r;
	bool exact;
	double p;

	(void)state;
	r = stats_poisson_rates(1000000000ULL, 1, 1000100000ULL, 1);
	assert_int_equal(r.test, ST_POISSON);
	assert_close(r.p, 0.025352444695955958, 2e-3);
	assert_int_equal(r.dir, 1);
	/* past the term budget: the normal approximation, flagged */
	p = stats_binom_test(5000000000000000ULL + 400000000ULL,
			     10000000000000000ULL, 0.5, &exact);
	assert_false(exact);
	assert_true(p > 0 && p < 1e-10);
	r = stats_proportions(4000000000000000ULL, 10000000000000000ULL,
			      4000000000000000ULL, 10000000000000000ULL);
	assert_int_equal(r.test, ST_Z_PROP);
	assert_close(r.p, 1, 0);
}

struct mwu_case {
	__u64	a[8], b[8];
	size_t	na, nb;
	double	u, p;
	int	dir;
};

static void test_mwu_known(void **state)
{
	static const struct mwu_case c[] = {
		/* no overlap: U = n1 * n2, by hand p = 2 * sf(12 / 4.787) */
		{ { 1, 2, 3, 4, 5 }, { 6, 7, 8, 9, 10 }, 5, 5,
		  25, 0.012185780355344818, 1 },
		/* ties across samples */
		{ { 1, 2, 2, 3, 5 }, { 2, 3, 3, 4, 6, 7 }, 5, 6,
		  23, 0.16304505585423731, 1 },
		{ { 10, 20, 30 }, { 10, 20, 30 }, 3, 3, 4.5, 1.0, 0 },
		/* one value everywhere: variance 0, nothing to tell */
		{ { 5, 5, 5 }, { 5, 5 }, 3, 2, 3, 1.0, 0 },
		{ { 100, 101, 102, 103, 150 }, { 97, 98, 99, 101 }, 5, 4,
		  1.5, 0.049090116322607596, -1 },
	};
	struct stats_result r;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(c); i++) {
		r = stats_mann_whitney(c[i].a, c[i].na, c[i].b, c[i].nb);
		assert_int_equal(r.test, ST_MWU);
		assert_close(r.stat, c[i].u, 1e-12);
		assert_close(r.p, c[i].p, 1e-9);
		assert_int_equal(r.dir, c[i].dir);
	}
	r = stats_mann_whitney(c[0].a, 0, c[0].b, 5);
	assert_true(isnan(r.p));
}

static void test_quantile(void **state)
{
	static __u64 a[1000], b[1000];
	struct stats_result r;
	size_t i;

	(void)state;
	for (i = 0; i < 1000; i++)
		a[i] = b[i] = i + 1;
	r = stats_quantile_test(a, 1000, b, 1000, 0.99);
	assert_close(r.p, 1, 0);
	/* NEW's top 5% is 10x slower: pooled p99 is one of those */
	for (i = 950; i < 1000; i++)
		b[i] = 10000 + i;
	r = stats_quantile_test(a, 1000, b, 1000, 0.99);
	assert_int_equal(r.test, ST_QUANTILE);
	assert_close(r.p, 1.732866917218252e-06, 1e-9);	/* 0/1000 vs 20/1000 */
	assert_close(r.min_p, 1.732866917218252e-06, 1e-9);
	assert_int_equal(r.dir, 1);
	/* 200 each: 4 above the pooled p99, at best p = 0.123 */
	r = stats_quantile_test(a, 200, b + 800, 200, 0.99);
	assert_close(r.p, 0.12312266813128539, 1e-9);
	assert_close(r.min_p, 0.12312266813128539, 1e-9);
	assert_close(stats_fisher_min_p(4, 200, 200), 0.12312266813128539, 1e-9);
	assert_close(stats_fisher_min_p(0, 10, 10), 1, 0);
	assert_true(isnan(stats_fisher_min_p(1, 0, 10)));
	assert_int_equal(stats_sorted_percentile(a, 1000, 99), 990);
	assert_int_equal(stats_sorted_percentile(a, 1000, 50), 500);
	assert_int_equal(stats_sorted_percentile(a, 1000, 100), 1000);
	assert_int_equal(stats_sorted_percentile(a, 1, 50), 1);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(stats_test_name(ST_FISHER), "fisher");
	assert_string_equal(stats_test_name(ST_MWU), "mann-whitney");
	assert_string_equal(stats_test_name(ST_NONE), "-");
	assert_string_equal(stats_test_name(ST_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal),
		cmocka_unit_test(test_binom_known),
		cmocka_unit_test(test_binom_edges),
		cmocka_unit_test(test_fisher_known),
		cmocka_unit_test(test_prop_z),
		cmocka_unit_test(test_poisson_known),
		cmocka_unit_test(test_equal_not_significant),
		cmocka_unit_test(test_clear_change),
		cmocka_unit_test(test_large_counts),
		cmocka_unit_test(test_mwu_known),
		cmocka_unit_test(test_quantile),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
