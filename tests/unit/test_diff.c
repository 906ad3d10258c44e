// SPDX-License-Identifier: GPL-2.0
/*
 * test_diff.c - unit tests of `pfnmap diff`: synthetic stat-JSON inputs
 * and captures with known answers.
 *
 * One run per side: equal inputs give no 'better' or 'worse'; counts of
 * events get nb1 (a 50x change is called, a 4x one says how many runs it
 * needs); latency, ops/s and the other values get '~ (need >= 4 runs)'.
 * Several runs per side: every row is a rank test across the runs'
 * values, exact (2/252 for 5 against 5 that do not overlap); fewer than
 * 4 runs per side say so.  --fail-if parses strictly, takes NEW's total,
 * pooled rate, maximum or median over its runs, and the exit status is
 * 0, 1 or 2 as documented; the runs are given as BASE NEW, -b/-n or
 * BASE... -- NEW....  Every counter of the registry that `diff` compares
 * gets its row, and a stat JSON written by stats_json() gives the rows of
 * the capture of the same records.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "capture.h"
#include "cmds.h"
#include "diff.h"
#include "json.h"
#include "json_parse.h"
#include "view.h"

#define XSTR(x)		STR(x)
#define STR(x)		#x
#define ABI		XSTR(PFNMAP_ABI_VERSION)
#define MAX_RUNS	8

/* ---- synthetic stat JSON --------------------------------------------------- */

struct side {
	__u64		ops, eexist, efault;
	const char	*retries;	/* "null" or a count */
	__u64		max_retries;
	__u64		pin_ops;
	const char	*zap_races;	/* vfio_pin: "null" or a count */
	__u64		elapsed_ns;
	__u64		p50, p99, max;
	int		version;	/* 0: PFNMAP_ABI_VERSION */
	bool		watched;	/* stat -p: no command */
};

static const struct side base_side = {
	.ops = 1000, .eexist = 10, .efault = 0, .retries = "100",
	.max_retries = 3, .pin_ops = 1000, .zap_races = "5",
	.elapsed_ns = 1000000000, .p50 = 1000, .p99 = 5000, .max = 9000,
};

static char *stat_json(const struct side *s)
{
	char *buf;

	if (asprintf(&buf,
"{\"version\":%d,\"kernel\":\"6.18.0-test\",\"elapsed_ns\":%llu,\"lost\":0,"
"\"command\":%s,"
"\"mode\":{\"vfio_pin\":\"fentry\",\"uffd_copy\":\"fentry\",\"vfio_zap\":\"none\"},"
"\"vfio_pin\":{\"count\":%llu,\"error_count\":0,\"errors\":{},\"pages\":%llu,"
"\"retries\":0,\"max_retries\":0,\"follow_pfnmap\":{\"calls\":%llu,\"failures\":0},"
"\"fixup_user_fault\":{\"calls\":0,\"failures\":0,\"unlocked\":0},"
"\"zap_races\":%s,\"bar_faults\":0,"
"\"latency_ns\":{\"p50\":2000,\"p99\":4000,\"max\":8000,\"min\":100,\"mean\":2100},"
"\"partial\":[]},"
"\"uffd_copy\":{\"count\":%llu,\"error_count\":%llu,"
"\"errors\":{\"EEXIST\":%llu,\"EFAULT\":%llu},\"pages\":%llu,"
"\"retries\":%s,\"max_retries\":%llu,\"retry_aborts\":0,"
"\"latency_ns\":{\"p50\":%llu,\"p99\":%llu,\"max\":%llu,\"min\":10,\"mean\":%llu},"
"\"partial\":[]}}\n",
		     s->version ? s->version : PFNMAP_ABI_VERSION,
		     (unsigned long long)s->elapsed_ns,
		     s->watched ? "[]" : "[\"stress\",\"-n\",\"1000\"]",
		     (unsigned long long)s->pin_ops, (unsigned long long)s->pin_ops,
		     (unsigned long long)s->pin_ops, s->zap_races,
		     (unsigned long long)s->ops,
		     (unsigned long long)(s->eexist + s->efault),
		     (unsigned long long)s->eexist, (unsigned long long)s->efault,
		     (unsigned long long)s->ops, s->retries,
		     (unsigned long long)s->max_retries,
		     (unsigned long long)s->p50, (unsigned long long)s->p99,
		     (unsigned long long)s->max, (unsigned long long)s->p50) < 0)
		return NULL;
	return buf;
}

static void load_side(struct diff_input *in, const struct side *s)
{
	char err[256], *text = stat_json(s);

	assert_non_null(text);
	memset(in, 0, sizeof(*in));
	in->path = "test";
	if (diff_input_from_buf(in, text, strlen(text), err, sizeof(err))) {
		print_error("%s\n", err);
		fail();
	}
	free(text);
}

struct pair {
	struct diff_input	in[2][MAX_RUNS];
	size_t			n[2];
	struct diff		d;
};

/* BASE's na runs a[] against NEW's nb runs b[]. */
static struct pair *compare_runs(const struct side *a, size_t na,
				 const struct side *b, size_t nb,
				 double min_change)
{
	struct diff_opts o = { .alpha = 0.05, .min_change = min_change };
	struct pair *p = calloc(1, sizeof(*p));
	struct diff_side sa, sb;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < na; i++)
		load_side(&p->in[0][i], &a[i]);
	for (i = 0; i < nb; i++)
		load_side(&p->in[1][i], &b[i]);
	p->n[0] = na;
	p->n[1] = nb;
	sa = (struct diff_side){ p->in[0], na };
	sb = (struct diff_side){ p->in[1], nb };
	assert_int_equal(diff_compute(&p->d, &sa, &sb, &o), 0);
	return p;
}

static struct pair *compare(const struct side *a, const struct side *b,
			    double min_change)
{
	return compare_runs(a, 1, b, 1, min_change);
}

static void pair_free(struct pair *p)
{
	size_t i, s;

	diff_free(&p->d);
	for (s = 0; s < 2; s++)
		for (i = 0; i < p->n[s]; i++)
			diff_input_free(&p->in[s][i]);
	free(p);
}

static const struct diff_row *row(const struct pair *p, int kind,
				  const char *name)
{
	const struct diff_row *r = diff_find(&p->d, kind, name);

	if (!r) {
		print_error("no row %s.%s\n", pfnmap_kind_name(kind), name);
		fail();
	}
	return r;
}

static void expect_verdict(const struct pair *p, int kind, const char *name,
			   enum diff_verdict v, int need)
{
	const struct diff_row *r = row(p, kind, name);

	if (r->verdict != v || r->need_runs != need) {
		print_error("%s.%s: verdict %s need %d (p %g, rel %g), want %s need %d\n",
			    pfnmap_kind_name(kind), name,
			    diff_verdict_name(r->verdict), r->need_runs, r->r.p,
			    r->rel, diff_verdict_name(v), need);
		fail();
	}
}

static void assert_near(double got, double want)
{
	if (fabs(got - want) > 1e-12 * fmax(1, fabs(want))) {
		print_error("got %.17g, want %.17g\n", got, want);
		fail();
	}
}

#define UC	PFNMAP_K_UFFD_COPY
#define VP	PFNMAP_K_VFIO_PIN

/* ---- one run per side ---------------------------------------------------------- */

static void test_equal_inputs(void **state)
{
	struct pair *p = compare(&base_side, &base_side, DIFF_MIN_CHANGE);
	size_t i, tested = 0;

	(void)state;
	for (i = 0; i < p->d.nrows; i++) {
		const struct diff_row *r = &p->d.rows[i];

		assert_int_not_equal(r->verdict, DV_BETTER);
		assert_int_not_equal(r->verdict, DV_WORSE);
		/* nothing differs: no row asks for more runs */
		assert_int_equal(r->need_runs, 0);
		if (isnan(r->r.p))
			continue;
		assert_int_equal(r->r.test, ST_NB1);
		assert_int_equal(r->verdict, DV_SAME);
		assert_true(r->r.p == 1);
		assert_true(r->delta == 0);
		tested++;
	}
	/* errors, EEXIST, retries, ... of both kinds were tested */
	assert_true(tested >= 10);
	expect_verdict(p, UC, "EEXIST", DV_SAME, 0);
	expect_verdict(p, UC, "count", DV_UNKNOWN, 0);
	assert_int_equal(row(p, UC, "count")->note, DN_COUNT);
	expect_verdict(p, UC, "p50", DV_SAME, 0);
	assert_int_equal(row(p, UC, "p50")->note, DN_ONE_RUN);
	pair_free(p);
}

/* Counts of events: nb1, which calls only large changes. */
static void test_one_run_counts(void **state)
{
	struct side a = base_side, b = base_side;
	const struct diff_row *r;
	struct pair *p;

	(void)state;
	/* 0 of 1000 vs 500 of 1000: uniform split, p = 2 / 501 */
	a.eexist = 0;
	b.eexist = 500;
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	r = row(p, UC, "EEXIST");
	assert_int_equal(r->r.test, ST_NB1);
	assert_int_equal(r->note, DN_NB1);
	assert_near(r->r.p, 2.0 / 501);
	assert_true(isinf(r->rel));
	expect_verdict(p, UC, "EEXIST", DV_WORSE, 0);
	expect_verdict(p, UC, "errors", DV_WORSE, 0);
	pair_free(p);
	p = compare(&b, &a, DIFF_MIN_CHANGE);
	expect_verdict(p, UC, "EEXIST", DV_BETTER, 0);
	pair_free(p);
	/* 0 of 100 vs 50 of 150: p 0.0569 (python, mpmath), not called */
	a.ops = 100;
	b.ops = 150;
	b.eexist = 50;
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	assert_true(fabs(row(p, UC, "EEXIST")->r.p - 0.05691182814750813) < 1e-9);
	expect_verdict(p, UC, "EEXIST", DV_SAME, 4);
	pair_free(p);
	/* 0.1 -> 0.4 retries per op: 4x, p 0.403 from one run each */
	a = b = base_side;
	b.retries = "400";
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	assert_true(fabs(row(p, UC, "retries")->r.p - 0.4031936127744511) < 1e-9);
	expect_verdict(p, UC, "retries", DV_SAME, 4);
	assert_near(row(p, UC, "retries")->shown[1], 0.4);
	pair_free(p);
}

/* Latency, ops/s, maxima: run-to-run noise unmeasured, no verdict. */
static void test_one_run_values(void **state)
{
	struct side a = base_side, b = base_side;
	const struct diff_row *r;
	struct pair *p;

	(void)state;
	b.p50 = 2000;
	b.ops = 2000;
	b.max_retries = 9;
	a.watched = b.watched = true;
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	r = row(p, UC, "p50");
	assert_int_equal(r->note, DN_ONE_RUN);
	assert_int_equal(r->r.test, ST_NONE);
	assert_true(isnan(r->r.p));
	assert_true(r->rel == 1);
	expect_verdict(p, UC, "p50", DV_SAME, 4);
	/* a process watched, twice the operations: still no verdict */
	expect_verdict(p, UC, "ops_per_s", DV_SAME, 4);
	assert_int_equal(row(p, UC, "ops_per_s")->note, DN_ONE_RUN);
	expect_verdict(p, UC, "max_retries", DV_SAME, 4);
	expect_verdict(p, UC, "p99", DV_SAME, 0);
	pair_free(p);
}

static void test_unknown(void **state)
{
	struct side a = base_side, b = base_side;
	struct side ra[4], rb[4];
	const struct diff_row *r;
	struct pair *p;
	int i;

	(void)state;
	b.retries = "null";
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	r = row(p, UC, "retries");
	assert_true(r->known[0]);
	assert_false(r->known[1]);
	assert_int_equal(r->verdict, DV_UNKNOWN);
	assert_int_equal(r->note, DN_UNKNOWN);
	pair_free(p);
	/* one of NEW's runs could not see retries: the other three count */
	for (i = 0; i < 4; i++) {
		ra[i] = rb[i] = base_side;
		rb[i].retries = i ? "900" : "null";
	}
	p = compare_runs(ra, 4, rb, 4, DIFF_MIN_CHANGE);
	r = row(p, UC, "retries");
	assert_int_equal(r->nvals[0], 4);
	assert_int_equal(r->nvals[1], 3);
	assert_true(r->known[1]);
	assert_near(r->value[1], 2700);
	/*
	 * 4 against 3, all tied within a side: of the C(7, 3) = 35 splits
	 * only this one is as far from the mean rank sum (the mirror image
	 * puts 3 of 4 tied values, not 4, on one side): p = 1/35
	 */
	assert_near(r->r.p, 1.0 / 35);
	expect_verdict(p, UC, "retries", DV_WORSE, 0);
	pair_free(p);
}

/* ---- several runs per side -------------------------------------------------------- */

static const char *const base_retries[] = { "100", "110", "90", "100", "120" };
static const char *const new_retries[] = { "200", "190", "210", "205", "195" };

static void runs_of(struct side *s, const struct side *proto,
		    const char *const *retries, __u64 p50, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		s[i] = *proto;
		s[i].retries = retries[i];
		s[i].p50 = p50 + 10 * (i % 3);
		s[i].elapsed_ns = proto->elapsed_ns + 1000000 * i;
	}
}

static void test_runs(void **state)
{
	struct side a[5], b[5];
	const struct diff_row *r;
	struct pair *p;

	(void)state;
	runs_of(a, &base_side, base_retries, 1000, 5);
	runs_of(b, &base_side, new_retries, 2000, 5);
	p = compare_runs(a, 5, b, 5, DIFF_MIN_CHANGE);
	r = row(p, UC, "retries");
	assert_int_equal(r->r.test, ST_U_EXACT);
	assert_near(r->r.p, 2.0 / 252);
	assert_int_equal(r->r.dir, 1);
	expect_verdict(p, UC, "retries", DV_WORSE, 0);
	/* each run's value, sorted; the median and its largest deviation */
	assert_int_equal(r->nvals[0], 5);
	assert_near(r->vals[0][0], 0.09);
	assert_near(r->vals[0][4], 0.12);
	assert_near(r->shown[0], 0.1);
	assert_near(r->spread[0], 0.2);
	assert_near(r->shown[1], 0.2);
	/* --fail-if's: the total over the runs, and per op pooled */
	assert_near(r->value[0], 520);
	assert_near(r->pooled[1], 1000.0 / 5000);
	expect_verdict(p, UC, "p50", DV_WORSE, 0);
	assert_near(row(p, UC, "p50")->r.p, 2.0 / 252);
	/* the same in every run: ties only, p = 1 */
	expect_verdict(p, UC, "EEXIST", DV_SAME, 0);
	assert_true(row(p, UC, "EEXIST")->r.p == 1);
	expect_verdict(p, UC, "count", DV_UNKNOWN, 0);
	/* the elapsed times differ: ops/s is tested too */
	assert_int_equal(row(p, UC, "ops_per_s")->r.test, ST_U_EXACT);
	pair_free(p);
	/* reversed: better */
	p = compare_runs(b, 5, a, 5, DIFF_MIN_CHANGE);
	expect_verdict(p, UC, "retries", DV_BETTER, 0);
	pair_free(p);
}

static void test_few_runs(void **state)
{
	struct side a[5], b[5];
	struct pair *p;

	(void)state;
	runs_of(a, &base_side, base_retries, 1000, 5);
	runs_of(b, &base_side, new_retries, 2000, 5);
	/* 3 against 3 that do not overlap: p = 2/20, no verdict possible */
	p = compare_runs(a, 3, b, 3, DIFF_MIN_CHANGE);
	assert_near(row(p, UC, "retries")->r.p, 0.1);
	expect_verdict(p, UC, "retries", DV_SAME, 4);
	expect_verdict(p, UC, "p50", DV_SAME, 4);
	expect_verdict(p, UC, "EEXIST", DV_SAME, 0);
	pair_free(p);
	/* one run against five: counts by nb1 over the totals */
	p = compare_runs(a, 1, b, 5, DIFF_MIN_CHANGE);
	assert_int_equal(row(p, UC, "retries")->r.test, ST_NB1);
	expect_verdict(p, UC, "p50", DV_SAME, 4);
	pair_free(p);
	/* runs that overlap: an honest '~' */
	b[0].retries = "80";
	b[1].retries = "95";
	b[2].retries = "130";
	b[3].retries = "105";
	b[4].retries = "100";
	p = compare_runs(a, 5, b, 5, DIFF_MIN_CHANGE);
	assert_true(row(p, UC, "retries")->r.p > 0.5);
	expect_verdict(p, UC, "retries", DV_SAME, 0);
	pair_free(p);
}

/* Significant but under --min-change: '~'; with no minimum: called. */
static void test_min_change(void **state)
{
	static const char *const ra[] = { "1000000", "1000100", "999900", "1000050" };
	static const char *const rb[] = { "1005000", "1005100", "1004900", "1005050" };
	struct side a[4], b[4];
	struct pair *p;
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		a[i] = b[i] = base_side;
		a[i].ops = b[i].ops = 1000000;
		a[i].retries = ra[i];
		b[i].retries = rb[i];	/* +0.5% */
	}
	p = compare_runs(a, 4, b, 4, DIFF_MIN_CHANGE);
	assert_near(row(p, UC, "retries")->r.p, 2.0 / 70);
	expect_verdict(p, UC, "retries", DV_SAME, 0);
	pair_free(p);
	p = compare_runs(a, 4, b, 4, 0);
	expect_verdict(p, UC, "retries", DV_WORSE, 0);
	pair_free(p);
}

/* ---- --fail-if ------------------------------------------------------------------ */

static void test_gate_parse(void **state)
{
	static const char *const bad[] = {
		"", "uffd_copy", "uffd_copy.", ".EEXIST>0", "nope.EEXIST>0",
		"uffd_copy.EFOO>0", "uffd_copy.EEXIST", "uffd_copy.EEXIST>",
		"uffd_copy.EEXIST>x", "uffd_copy.EEXIST>1x", "uffd_copy.EEXIST=1",
		"uffd_copy.EEXIST=>1", "uffd_copy.EEXIST>inf",
		"uffd_copy.EEXIST>nan", "uffd_copy.EEXIST>0x10",
		"uffd_copy.retries:bad", "uffd_copy.retries:", "uffd_copy.retries:worse!",
		"uffd_copy.p50/op>1", "uffd_copy.count/op>1", "uffd_copy.EEXIST/op:worse",
		"uffd_copy.EEXIST/pop>0", "UFFD_COPY.EEXIST>0", "uffd_copy.EEXIST>0 1",
	};
	struct diff_gate g;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (diff_gate_parse(&g, bad[i], err, sizeof(err)) != -EINVAL) {
			print_error("'%s' parsed\n", bad[i]);
			fail();
		}
		assert_true(err[0]);
		assert_null(strchr(err, '\n'));
	}
	assert_int_equal(diff_gate_parse(&g, "vfio_pin.EINVAL>0", err, sizeof(err)), 0);
	assert_int_equal(g.kind, PFNMAP_K_VFIO_PIN);
	assert_int_equal(g.err, EINVAL);
	assert_int_equal(g.cmp, DC_GT);
	assert_false(g.per_op);
	assert_int_equal(diff_gate_parse(&g, " uffd_copy.eexist/op >= 0.5 ", err, sizeof(err)), 0);
	assert_string_equal(g.name, "EEXIST");
	assert_true(g.per_op);
	assert_int_equal(g.cmp, DC_GE);
	assert_true(g.num == 0.5);
	assert_int_equal(diff_gate_parse(&g, "uffd_copy.retries:worse", err, sizeof(err)), 0);
	assert_true(g.is_verdict);
	assert_int_equal(g.want, DV_WORSE);
	assert_int_equal(diff_gate_parse(&g, "uffd_copy.p99 : ~", err, sizeof(err)), 0);
	assert_int_equal(g.want, DV_SAME);
	assert_int_equal(diff_gate_parse(&g, "vfio_pin.zap_races!=-1e2", err, sizeof(err)), 0);
	assert_int_equal(g.cmp, DC_NE);
	assert_true(g.num == -100);
	assert_int_equal(diff_gate_parse(&g, "vfio_pin.E524<=3", err, sizeof(err)), 0);
	assert_int_equal(g.err, 524);
	assert_string_equal(g.name, "ENOTSUPP");
}

static int eval(const struct pair *p, const char *expr, double *v)
{
	struct diff_gate g;
	char err[256];

	assert_int_equal(diff_gate_parse(&g, expr, err, sizeof(err)), 0);
	return diff_gate_eval(&p->d, &g, v, err, sizeof(err));
}

static void test_gate_eval(void **state)
{
	struct side a = base_side, b = base_side;
	struct pair *p;
	double v;

	(void)state;
	b.eexist = 600;
	b.retries = "null";
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	assert_int_equal(eval(p, "uffd_copy.EEXIST>0", &v), 1);
	assert_true(v == 600);
	assert_int_equal(eval(p, "uffd_copy.EEXIST/op>0.5", &v), 1);
	assert_true(v == 0.6);
	assert_int_equal(eval(p, "uffd_copy.EEXIST/op>0.7", &v), 0);
	/* 10 vs 600 of 1000 from one run each: nb1 p = 22/611 */
	assert_int_equal(eval(p, "uffd_copy.EEXIST:worse", &v), 1);
	assert_int_equal(eval(p, "uffd_copy.EEXIST:better", &v), 0);
	assert_int_equal(eval(p, "uffd_copy.errors==600", &v), 1);
	/* an errno neither side saw: 0, unchanged */
	assert_int_equal(eval(p, "vfio_pin.EINVAL>0", &v), 0);
	assert_int_equal(eval(p, "vfio_pin.EINVAL==0", &v), 1);
	assert_int_equal(eval(p, "vfio_pin.EINVAL:~", &v), 1);
	assert_int_equal(eval(p, "vfio_pin.zap_races>=5", &v), 1);
	assert_int_equal(eval(p, "vfio_pin.zap_races>=10", &v), 0);
	assert_int_equal(eval(p, "uffd_copy.p99>4999", &v), 1);
	assert_int_equal(eval(p, "uffd_copy.count<1000", &v), 0);
	assert_int_equal(eval(p, "uffd_copy.ops_per_s>999", &v), 1);
	/* no verdict without runs, but a verdict condition can ask */
	assert_int_equal(eval(p, "uffd_copy.p50:~", &v), 1);
	/* unknown in NEW: cannot be told, never silently false */
	assert_int_equal(eval(p, "uffd_copy.retries>0", &v), -EINVAL);
	assert_int_equal(eval(p, "uffd_copy.retries:~", &v), 0);
	assert_int_equal(eval(p, "uffd_copy.retries:?", &v), 1);
	/* a counter this kind does not have */
	assert_int_equal(eval(p, "uffd_copy.zap_races>0", &v), -EINVAL);
	pair_free(p);
}

/* NEW's value over its runs: total, pooled, maximum or median. */
static void test_gate_eval_runs(void **state)
{
	struct side a[5], b[5];
	struct pair *p;
	double v;
	int i;

	(void)state;
	runs_of(a, &base_side, base_retries, 1000, 5);
	runs_of(b, &base_side, new_retries, 2000, 5);
	for (i = 0; i < 5; i++)
		b[i].max_retries = i + 1;
	b[3].eexist = 0;
	p = compare_runs(a, 5, b, 5, DIFF_MIN_CHANGE);
	assert_int_equal(eval(p, "uffd_copy.retries>=1000", &v), 1);
	assert_true(v == 1000);
	assert_int_equal(eval(p, "uffd_copy.retries/op>0.19", &v), 1);
	assert_near(v, 0.2);
	assert_int_equal(eval(p, "uffd_copy.retries/op>0.21", &v), 0);
	assert_int_equal(eval(p, "uffd_copy.max_retries==5", &v), 1);
	assert_int_equal(eval(p, "uffd_copy.max==9000", &v), 1);
	/* p50 of the runs 2000 2010 2020 2000 2010 */
	assert_int_equal(eval(p, "uffd_copy.p50==2010", &v), 1);
	assert_int_equal(eval(p, "uffd_copy.count==5000", &v), 1);
	/* one run without EEXIST: the total still counts the others */
	assert_int_equal(eval(p, "uffd_copy.EEXIST==40", &v), 1);
	assert_int_equal(eval(p, "uffd_copy.retries:worse", &v), 1);
	assert_int_equal(eval(p, "uffd_copy.p50:worse", &v), 1);
	pair_free(p);
}

/* ---- the command: exit status, output ----------------------------------------- */

static char tmpdir[64];

static char *write_file(const char *name, const char *text)
{
	char *path;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	return path;
}

static char *write_side(const char *name, const struct side *s)
{
	char *text = stat_json(s), *path;

	assert_non_null(text);
	path = write_file(name, text);
	free(text);
	return path;
}

/* Runs `pfnmap diff ARGS...` with stdout to out (NULL: /dev/null), stderr dropped. */
static int run(const char *out, ...)
{
	char *argv[32] = { "diff" };
	int argc = 1, rc, save_out, save_err, fd;
	va_list ap;

	va_start(ap, out);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	save_out = dup(1);
	save_err = dup(2);
	fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	dup2(fd, 1);
	close(fd);
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	rc = cmd_diff(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, 1);
	dup2(save_err, 2);
	close(save_out);
	close(save_err);
	return rc;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_exit_codes(void **state)
{
	struct side s = base_side, v9 = base_side;
	char *a, *a2, *b, *b2, *bad, *v, *txt, *out;

	(void)state;
	s.eexist = 900;
	v9.version = 9;
	a = write_side("a.json", &base_side);
	a2 = write_side("a2.json", &base_side);
	b = write_side("b.json", &s);
	b2 = write_side("b2.json", &s);
	v = write_side("v9.json", &v9);
	bad = write_file("bad.json", "{\"version\":");
	txt = write_file("x.txt", "hello\n");
	assert_true(asprintf(&out, "%s/out", tmpdir) > 0);

	assert_int_equal(run(NULL, a, b, NULL), 0);
	assert_int_equal(run(NULL, a, a, "--fail-if", "uffd_copy.EEXIST:worse", NULL), 0);
	assert_int_equal(run(NULL, a, b, "--fail-if", "uffd_copy.EEXIST:worse", NULL), 1);
	assert_int_equal(run(NULL, "-f", "uffd_copy.EEXIST>100", a, b, NULL), 1);
	assert_int_equal(run(NULL, "-f", "uffd_copy.EEXIST>100", b, a, NULL), 0);
	/* one true among several is enough */
	assert_int_equal(run(NULL, "-f", "vfio_pin.EINVAL>0", "-f",
			     "uffd_copy.EEXIST/op>0.2", a, b, NULL), 1);
	/* several runs: -b/-n, or a "--" between the groups */
	assert_int_equal(run(NULL, "-b", a, "-b", a2, "-n", b, "-n", b2, NULL), 0);
	assert_int_equal(run(NULL, "--base", a, "--new", b, "-f",
			     "uffd_copy.EEXIST>1000", "--new", b2, NULL), 1);
	assert_int_equal(run(NULL, a, a2, "--", b, b2, "-f",
			     "uffd_copy.EEXIST>1000", NULL), 1);
	assert_int_equal(run(NULL, a, "--", b, b2, NULL), 0);
	/* usage and input errors */
	assert_int_equal(run(NULL, "-f", "uffd_copy.EEXIST>", a, b, NULL), 2);
	assert_int_equal(run(NULL, a, NULL), 2);
	assert_int_equal(run(NULL, a, b, a, NULL), 2);
	assert_int_equal(run(NULL, "-b", a, NULL), 2);
	assert_int_equal(run(NULL, "-b", a, "-n", b, a2, NULL), 2);
	assert_int_equal(run(NULL, a, b, "--", NULL), 2);
	assert_int_equal(run(NULL, "--", a, b, NULL), 2);
	assert_int_equal(run(NULL, a, "--", b, "--", b2, NULL), 2);
	/* "--" as the value of an option is that value, not a separator */
	assert_int_equal(run(NULL, "-f", "--", a, b, NULL), 2);
	assert_int_equal(run(NULL, "--alpha", "0", a, b, NULL), 2);
	assert_int_equal(run(NULL, "--alpha", "x", a, b, NULL), 2);
	assert_int_equal(run(NULL, "--min-change", "-1", a, b, NULL), 2);
	assert_int_equal(run(NULL, "--frob", a, b, NULL), 2);
	assert_int_equal(run(NULL, a, "/nonexistent/x.json", NULL), 2);
	assert_int_equal(run(NULL, "-b", a, "-b", a2, "-n", b, "-n", "/nonexistent", NULL), 2);
	assert_int_equal(run(NULL, a, bad, NULL), 2);
	assert_int_equal(run(NULL, txt, a, NULL), 2);
	assert_int_equal(run(NULL, a, v, NULL), 2);
	assert_int_equal(run(NULL, a, tmpdir, NULL), 2);
	/* a bad condition is caught before the inputs are read */
	assert_int_equal(run(NULL, "-f", "x", "/nonexistent", a, NULL), 2);
	assert_int_equal(run(out, "--help", NULL), 0);
	free(a);
	free(a2);
	free(b);
	free(b2);
	free(v);
	free(bad);
	free(txt);
	free(out);
}

/* The row of kind.metric in --json's rows. */
static const struct jv *json_row(const struct jv *root, const char *kind,
				 const char *metric)
{
	const struct jv *rows = jv_get(root, "rows");
	size_t i;

	assert_non_null(rows);
	assert_int_equal(rows->type, JV_ARR);
	for (i = 0; i < rows->n; i++)
		if (!strcmp(jv_get_str(&rows->items[i], "kind"), kind) &&
		    !strcmp(jv_get_str(&rows->items[i], "metric"), metric))
			return &rows->items[i];
	print_error("no row %s.%s in the JSON\n", kind, metric);
	fail();
	return NULL;
}

static void test_json_output(void **state)
{
	struct side s = base_side, fast = base_side;
	char *a, *b, *b2, *out, *text;
	const struct jv *r, *vals;
	struct jv *root;
	size_t len;

	(void)state;
	s.eexist = 900;
	fast.p50 = 500;
	a = write_side("ja.json", &base_side);
	b = write_side("jb.json", &s);
	b2 = write_side("jb2.json", &fast);
	assert_true(asprintf(&out, "%s/json.out", tmpdir) > 0);
	assert_int_equal(run(out, "--json", "-f", "uffd_copy.EEXIST>0", a, b, NULL), 1);
	text = slurp(out, &len);
	assert_int_equal(json_parse(text, len, &root, NULL, 0), 0);
	assert_int_equal(jv_get(root, "base")->type, JV_ARR);
	assert_int_equal(jv_get(root, "base")->n, 1);
	assert_true(jv_get(root, "runs_needed")->u == 4);
	r = json_row(root, "uffd_copy", "EEXIST");
	assert_string_equal(jv_get_str(r, "verdict"), "worse");
	assert_string_equal(jv_get_str(r, "test"), "nb1");
	assert_true(jv_get(r, "new")->num == 0.9);
	assert_true(jv_get(r, "base")->num == 0.01);
	assert_true(jv_get(r, "new_value")->num == 900);
	assert_true(jv_get(r, "new_pooled")->num == 0.9);
	/* 10 vs 900 of 1000: 2 * 11 / 911 */
	assert_true(fabs(jv_get(r, "p_value")->num - 22.0 / 911) < 1e-12);
	assert_int_equal(jv_get(r, "need_runs")->type, JV_NULL);
	assert_non_null(jv_get(r, "rel_change"));
	assert_non_null(jv_get(r, "delta"));
	assert_true(jv_get(root, "exit")->u == 1);
	assert_int_equal(jv_get(root, "gates")->n, 1);
	jv_free(root);
	free(text);
	/* two runs a side: each run's value, and what the verdict needs */
	assert_int_equal(run(out, "--json", a, a, "--", b2, b2, NULL), 0);
	text = slurp(out, &len);
	assert_int_equal(json_parse(text, len, &root, NULL, 0), 0);
	assert_int_equal(jv_get(root, "new")->n, 2);
	r = json_row(root, "uffd_copy", "p50");
	vals = jv_get(r, "new_values");
	assert_int_equal(vals->n, 2);
	assert_true(vals->items[0].num == 500);
	assert_string_equal(jv_get_str(r, "verdict"), "~");
	assert_true(jv_get(r, "need_runs")->u == 4);
	assert_string_equal(jv_get_str(r, "test"), "u-test");
	jv_free(root);
	free(text);
	free(a);
	free(b);
	free(b2);
	free(out);
}

/* The verdict column of every uffd_copy line; "need" lines counted. */
static int check_columns(char *text, int *need)
{
	char *line, *save = NULL;
	long verdict_col = -1;
	int lines = 0;

	*need = 0;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *v;

		if (!strncmp(line, "KIND ", 5))
			verdict_col = strstr(line, "VERDICT") - line;
		if (strncmp(line, "uffd_copy ", 10) || verdict_col < 0)
			continue;
		/* every row's verdict starts in the VERDICT column */
		assert_true((long)strlen(line) > verdict_col);
		v = line + verdict_col;
		assert_true(v[-1] == ' ' && v[0] != ' ');
		if (strstr(line, "EEXIST/op"))
			assert_int_equal(strncmp(v, "worse", 5), 0);
		*need += !strncmp(v, "~ (need >= 4 runs)", 18);
		lines++;
	}
	assert_true(verdict_col > 0);
	return lines;
}

/* The table: a header naming the runs, aligned columns. */
static void test_text_output(void **state)
{
	struct side s = base_side;
	char *a, *b, *out, *text;
	size_t len;
	int need;

	(void)state;
	s.eexist = 900;
	s.p50 = 700;
	a = write_side("ta.json", &base_side);
	b = write_side("tb.json", &s);
	assert_true(asprintf(&out, "%s/text.out", tmpdir) > 0);
	assert_int_equal(run(out, a, b, NULL), 0);
	text = slurp(out, &len);
	assert_non_null(strstr(text, "6.18.0-test"));
	assert_non_null(strstr(text, "stress -n 1000"));
	assert_non_null(strstr(text, "tests: one run on a side"));
	assert_true(check_columns(text, &need) > 5);
	/* p50 alone differs among the untested rows: it asks for runs */
	assert_int_equal(need, 1);
	free(text);
	assert_int_equal(run(out, "-b", a, "-b", a, "-b", a, "-b", a, "-n", b,
			     "-n", b, "-n", b, "-n", b, NULL), 0);
	text = slurp(out, &len);
	assert_non_null(strstr(text, "BASE  4 runs, kernel 6.18.0-test"));
	assert_non_null(strstr(text, "tests: across runs"));
	assert_non_null(strstr(text, "0.9 ±0%"));
	assert_true(check_columns(text, &need) > 5);
	assert_int_equal(need, 0);
	free(text);
	free(a);
	free(b);
	free(out);
}

/* ---- inputs -------------------------------------------------------------------- */

static void expect_bad(const char *text, const char *want)
{
	static struct diff_input in;
	char err[256];

	memset(&in, 0, sizeof(in));
	if (diff_input_from_buf(&in, text, strlen(text), err, sizeof(err)) >= 0 ||
	    !strstr(err, want)) {
		print_error("'%s': got '%s', want '%s'\n", text, err, want);
		fail();
	}
	diff_input_free(&in);
}

static void test_bad_inputs(void **state)
{
	(void)state;
	expect_bad("", "empty");
	expect_bad("  \n", "empty");
	expect_bad("hello", "neither");
	expect_bad("[1]", "neither");
	expect_bad("{\"version\":1", "not valid JSON (offset 12");
	expect_bad("{}", "without a \"version\"");
	expect_bad("{\"version\":\"1\"}", "without a \"version\"");
	expect_bad("{\"version\":99}", "version 99");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":[]}", "uffd_copy is an array");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":{\"count\":-1}}", "uffd_copy.count");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":{\"count\":1.5}}", "not a count");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":{\"count\":1}}", "error_count is missing");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":{\"count\":1,\"error_count\":2,"
		   "\"latency_ns\":{\"p50\":1,\"p99\":1,\"max\":1,\"min\":1,\"mean\":1}}}",
		   "error_count exceeds count");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":{\"count\":5,\"error_count\":1,"
		   "\"errors\":{\"EIO\":1,\"other\":1}}}", "add up to more");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":{\"count\":1,\"error_count\":1,"
		   "\"errors\":{\"EFOO\":1}}}", "unknown errno 'EFOO'");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":{\"count\":1,\"error_count\":0,"
		   "\"retries\":\"3\"}}", "uffd_copy.retries is a string");
	expect_bad("{\"version\":" ABI ",\"uffd_copy\":{\"count\":1,\"error_count\":0}}",
		   "latency_ns is missing");
	expect_bad("PFNMAPCF", "capture");
}

/* Kinds absent from the JSON are zero operations, not errors. */
static void test_sparse_json(void **state)
{
	static const char text[] = "{\"version\":" ABI ",\"elapsed_ns\":5}";
	static struct diff_input in;
	char err[256];

	(void)state;
	assert_int_equal(diff_input_from_buf(&in, text, strlen(text), err,
					     sizeof(err)), 0);
	assert_true(in.elapsed_known);
	assert_true(in.k[PFNMAP_K_UFFD_COPY].s.ops == 0);
	assert_true(in.k[PFNMAP_K_UFFD_COPY].s.known[AGG_F_RETRIES] == 0);
	diff_input_free(&in);
}

/* ---- captures: exact percentiles per run --------------------------------------- */

static char *write_capture(const char *name, __u64 lat0, int n)
{
	struct cap_writer_opts o = {};
	struct cap_trailer t = {};
	struct cap_writer *w;
	struct cap_meta m;
	char *path;
	int fd, i, k;

	memset(&m, 0, sizeof(m));
	strcpy(m.kernel, "6.18.0-cap");
	m.has_clock = true;
	m.clock_mono_ns = 1000;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		m.modes[k].present = true;
		m.modes[k].source = PFNMAP_S_FENTRY;
		m.modes[k].valid = PFNMAP_V_PAGES | PFNMAP_V_RETRIES |
				   PFNMAP_V_ABORTS;
	}
	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(capw_open(&w, fd, &m, &o), 0);
	for (i = 0; i < n; i++) {
		struct pfnmap_event e;

		memset(&e, 0, sizeof(e));
		e.kind = PFNMAP_K_UFFD_COPY;
		e.source = PFNMAP_S_FENTRY;
		e.valid = PFNMAP_V_PAGES | PFNMAP_V_RETRIES | PFNMAP_V_ABORTS;
		e.start_ns = 2000 + i * 1000ULL;
		e.duration_ns = lat0 + i;
		e.retries = i % 4 == 0;
		e.pages = 1;
		if (capw_add(w, &e) == 1)
			assert_int_equal(capw_flush(w, 0), 0);
	}
	t.end_ns = 1000 + 1000000000ULL;
	assert_int_equal(capw_finish(w, &t), 0);
	capw_free(w);
	close(fd);
	return path;
}

static void load_path(struct diff_input *in, const char *path)
{
	char err[256];

	memset(in, 0, sizeof(*in));
	if (diff_input_load(in, path, err, sizeof(err))) {
		print_error("%s: %s\n", path, err);
		fail();
	}
}

/* Four captures a side, every sample a bit slower in NEW. */
static void test_capture_latency(void **state)
{
	static const __u64 lat0[2][4] = { { 1000, 1003, 997, 1001 },
					  { 1100, 1096, 1104, 1102 } };
	struct diff_opts o = { .alpha = 0.05, .min_change = DIFF_MIN_CHANGE };
	static struct diff_input in[2][4];
	struct diff_side side[2];
	const struct diff_row *r;
	char name[32], *path[2][4];
	struct diff d;
	int s, i;

	(void)state;
	for (s = 0; s < 2; s++)
		for (i = 0; i < 4; i++) {
			snprintf(name, sizeof(name), "c%d%d.data", s, i);
			path[s][i] = write_capture(name, lat0[s][i], 200);
			load_path(&in[s][i], path[s][i]);
		}
	assert_int_equal(in[0][0].type, DI_CAPTURE);
	assert_int_equal(in[0][0].k[UC].nlat, 200);
	assert_true(in[0][0].elapsed_ns == 1000000000ULL);
	/* exact percentiles of 1000..1199: the 100th and 198th values */
	assert_true(in[0][0].k[UC].p50 == 1099);
	assert_true(in[0][0].k[UC].p99 == 1197);
	assert_true(in[0][0].k[UC].has_dist);
	for (s = 0; s < 2; s++)
		side[s] = (struct diff_side){ in[s], 4 };
	assert_int_equal(diff_compute(&d, &side[0], &side[1], &o), 0);
	r = diff_find(&d, UC, "p50");
	assert_int_equal(r->r.test, ST_U_EXACT);
	assert_true(fabs(r->r.p - 2.0 / 70) < 1e-12);
	assert_int_equal(r->verdict, DV_WORSE);
	/* U: every NEW run slower than every BASE run */
	assert_true(r->r.stat == 16);
	/* the medians of the runs' p50s 1096 1099 1100 1102 and 1195 ... 1203 */
	assert_true(r->shown[0] == 1099.5);
	assert_true(r->shown[1] == 1200);
	r = diff_find(&d, UC, "retries");
	assert_int_equal(r->verdict, DV_SAME);
	diff_free(&d);
	/* one capture a side: no latency verdict, however far apart */
	side[0].n = side[1].n = 1;
	assert_int_equal(diff_compute(&d, &side[0], &side[1], &o), 0);
	r = diff_find(&d, UC, "p50");
	assert_int_equal(r->note, DN_ONE_RUN);
	assert_int_equal(r->verdict, DV_SAME);
	assert_int_equal(r->need_runs, 4);
	diff_free(&d);
	assert_int_equal(run(NULL, path[0][0], path[0][1], path[0][2], path[0][3],
			     "--", path[1][0], path[1][1], path[1][2], path[1][3],
			     "-f", "uffd_copy.p50:worse", NULL), 1);
	assert_int_equal(run(NULL, path[0][0], path[1][0], "-f",
			     "uffd_copy.p50:worse", NULL), 0);
	for (s = 0; s < 2; s++)
		for (i = 0; i < 4; i++) {
			diff_input_free(&in[s][i]);
			free(path[s][i]);
		}
}

/* ---- every counter of the registry ------------------------------------------ */

#define OPS		1000ULL
#define ELAPSED_NS	1000000000ULL
#define RUNS		4

/* Counts of events: what nb1 tests from one run. */
static bool counter_counts_events(const struct reg_counter *c)
{
	return c->diff == RD_RATE && c->unit == RU_COUNT && !c->is_signed;
}

static double counter_double(const struct reg_counter *c, __u64 v)
{
	return c->is_signed ? (double)(__s64)v : (double)v;
}

/* --fail-if's value over RUNS equal runs: total, maximum or median. */
static double over_runs(const struct reg_counter *c, double v, int runs)
{
	return c->value == RV_SUM || c->value == RV_CNT ? v * runs : v;
}

/* The first kind whose records carry field f. */
static int kind_with(int f)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (reg_kind_fields(k) & (1U << f))
			return k;
	return -1;
}

/* Puts v where agg.c keeps counter c; a histogram gets one sample. */
static void put_counter(struct agg_stats *s, const struct reg_counter *c,
			__u64 v)
{
	__u64 *sums[3] = { s->sum, s->sum2, s->sum3 };
	char *p = (char *)s + c->aoff;

	if (c->value == RV_SUM)
		sums[c->slot][c->field] = v;
	else if (c->value == RV_MAX || c->value == RV_CNT)
		memcpy(p, &v, sizeof(v));
	else
		hist_add((struct lat_hist *)p, v);
}

/* BASE and NEW, runs each: OPS operations of kind k knowing every field, c = v[i]. */
static void counter_inputs(struct diff_input *in, int runs, int k,
			   const struct reg_counter *c, const __u64 v[2])
{
	int i, f;

	memset(in, 0, 2 * runs * sizeof(*in));
	for (i = 0; i < 2 * runs; i++) {
		struct agg_stats *s = &in[i].k[k].s;

		in[i].path = "synthetic";
		in[i].type = DI_CAPTURE;
		in[i].elapsed_known = true;
		in[i].elapsed_ns = ELAPSED_NS;
		s->key.kind = k;
		s->ops = OPS;
		for (f = 0; f < AGG_F_MAX; f++)
			if (reg_kind_fields(k) & (1U << f))
				s->known[f] = OPS;
		put_counter(s, c, v[i >= runs]);
	}
}

static int counter_diff(struct diff *d, struct diff_input *in, int runs)
{
	struct diff_opts o = { .alpha = 0.05, .min_change = DIFF_MIN_CHANGE };
	struct diff_side a = { in, runs }, b = { in + runs, runs };

	return diff_compute(d, &a, &b, &o);
}

/* The verdict of c's row: by rank over RUNS runs; from one run, none
 * but nb1's, which a 4x change does not reach. */
static void expect_counter_row(const struct diff *d, int k,
			       const struct reg_counter *c, const __u64 v[2],
			       int runs, enum diff_verdict want)
{
	const struct diff_row *r = diff_find(d, k, c->name);
	int i;

	if (!r) {
		print_error("no row %s.%s\n", pfnmap_kind_name(k), c->name);
		fail();
	}
	assert_ptr_equal(r->c, c);
	assert_true(r->show);
	assert_int_equal(r->per_op, c->value == RV_SUM);
	for (i = 0; i < 2; i++) {
		double x = counter_double(c, v[i]);

		assert_true(r->known[i]);
		assert_int_equal(r->nvals[i], runs);
		assert_true(r->value[i] == over_runs(c, x, runs));
		assert_true(r->shown[i] == (r->per_op ? x / OPS : x));
	}
	if (runs == 1) {
		want = DV_SAME;
		assert_int_equal(r->need_runs, 4);
		assert_int_equal(r->r.test, counter_counts_events(c) ? ST_NB1 : ST_NONE);
		assert_int_equal(r->note, counter_counts_events(c) ? DN_NB1 : DN_ONE_RUN);
	} else {
		assert_int_equal(r->r.test, ST_U_EXACT);
		assert_true(fabs(r->r.p - 2.0 / 70) < 1e-12);
	}
	if (r->verdict != want) {
		print_error("%s.%s: verdict %s, want %s\n", pfnmap_kind_name(k),
			    c->name, diff_verdict_name(r->verdict),
			    diff_verdict_name(want));
		fail();
	}
}

/* --fail-if takes the counter's name, "/op" only for a per-op sum. */
static void expect_counter_gates(const struct diff *d, int k,
				 const struct reg_counter *c, int runs)
{
	char expr[96], err[256];
	struct diff_gate g;
	double v;

	snprintf(expr, sizeof(expr), "%s.%s>=400", pfnmap_kind_name(k), c->name);
	assert_int_equal(diff_gate_parse(&g, expr, err, sizeof(err)), 0);
	assert_int_equal(diff_gate_eval(d, &g, &v, err, sizeof(err)), 1);
	assert_true(v == over_runs(c, 400, runs));
	snprintf(expr, sizeof(expr), "%s.%s/op>0.3", pfnmap_kind_name(k), c->name);
	if (c->value != RV_SUM) {
		assert_int_equal(diff_gate_parse(&g, expr, err, sizeof(err)), -EINVAL);
		return;
	}
	assert_int_equal(diff_gate_parse(&g, expr, err, sizeof(err)), 0);
	assert_int_equal(diff_gate_eval(d, &g, &v, err, sizeof(err)), 1);
	assert_true(v == 0.4);
}

/* Does b read what a was stored in (a sum's slot, a histogram...)? */
static bool same_storage(const struct reg_counter *a,
			 const struct reg_counter *b)
{
	if (a->value == RV_SUM || b->value == RV_SUM)
		return a->value == b->value && a->field == b->field &&
		       a->slot == b->slot;
	return a->aoff == b->aoff;
}

/* Nothing else of the kind changed: every other counter row is 0 vs 0. */
static void expect_counter_rows(const struct diff *d, int k,
				const struct reg_counter *c)
{
	size_t i, n = 0, want = 0;
	const struct reg_counter *o;

	for (o = reg_counters; o < reg_counters + PFNMAP_C_MAX; o++)
		want += diff_compares(o) &&
			(reg_kind_fields(k) & (1U << o->field));
	for (i = 0; i < d->nrows; i++) {
		const struct diff_row *r = &d->rows[i];

		if (r->kind != k || r->m->type != DM_COUNTER)
			continue;
		n++;
		assert_true(diff_compares(r->c));
		if (same_storage(r->c, c))
			continue;	/* read from the same place as c */
		if (r->verdict == DV_WORSE || r->verdict == DV_BETTER) {
			print_error("%s changed with %s\n", r->c->name, c->name);
			fail();
		}
	}
	assert_int_equal(n, want);
}

static void test_every_counter(void **state)
{
	struct diff_input *in = calloc(2 * RUNS, sizeof(*in));
	const struct reg_counter *c;
	struct diff_gate g;
	char expr[96], err[256];
	int compared = 0, k, runs;
	struct diff d;

	(void)state;
	assert_non_null(in);
	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++) {
		__u64 v[2] = { c->is_signed ? (__u64)-100LL : 100, 400 };
		__u64 rev[2] = { v[1], v[0] };

		k = kind_with(c->field);
		assert_true(k >= 0);
		counter_inputs(in, 1, k, c, v);
		assert_int_equal(counter_diff(&d, in, 1), 0);
		snprintf(expr, sizeof(expr), "%s.%s>0", pfnmap_kind_name(k), c->name);
		if (!diff_compares(c)) {
			assert_null(diff_find(&d, k, c->name));
			assert_int_equal(diff_gate_parse(&g, expr, err, sizeof(err)), -EINVAL);
			diff_free(&d);
			continue;
		}
		diff_free(&d);
		compared++;
		for (runs = 1; runs <= RUNS; runs += RUNS - 1) {
			counter_inputs(in, runs, k, c, v);
			assert_int_equal(counter_diff(&d, in, runs), 0);
			expect_counter_row(&d, k, c, v, runs, DV_WORSE);
			expect_counter_gates(&d, k, c, runs);
			expect_counter_rows(&d, k, c);
			diff_free(&d);
			counter_inputs(in, runs, k, c, rev);
			assert_int_equal(counter_diff(&d, in, runs), 0);
			expect_counter_row(&d, k, c, rev, runs, DV_BETTER);
			diff_free(&d);
		}
	}
	/* the ten counters diff knew before the registry, and more */
	assert_true(compared > 10);
	free(in);
}

/* ---- stat JSON and capture of the same records --------------------------------- */

#define NREC		300

/* Writes v into the record member of c, in the member's own width. */
static void set_member(struct pfnmap_event *e, const struct reg_counter *c,
		       __s64 v)
{
	char *p = (char *)e + c->off;
	__u8 u8 = v;
	__u16 u16 = v;
	__u32 u32 = v;
	__u64 u64 = v;

	if (c->size == 1)
		memcpy(p, &u8, 1);
	else if (c->size == 2)
		memcpy(p, &u16, 2);
	else if (c->size == 4)
		memcpy(p, &u32, 4);
	else
		memcpy(p, &u64, 8);
	assert_true(reg_counter_read(e, c) == v);
}

/* Record i of kind k: every field of the kind, every member varying. */
static void make_record(struct pfnmap_event *e, int k, int i, int scale)
{
	const struct reg_counter *c;

	memset(e, 0, sizeof(*e));
	e->kind = k;
	e->source = PFNMAP_S_FENTRY;
	e->valid = reg_kind_fields(k);
	e->start_ns = 2000 + i * 1000ULL;
	e->duration_ns = 1000 + (i * 37) % 500 * scale;
	e->ret = i % (10 / scale) == 0 ? -EEXIST : i % 25 == 1 ? -EFAULT : 0;
	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++) {
		if (!reg_counter_is_member(c))
			continue;
		if (c->is_signed)
			set_member(e, c, ((i * 131) % 1000 - 600) * scale);
		else
			set_member(e, c, (i * 3 + c->off) % (3 + 2 * scale));
	}
}

static int records(struct agg *a, struct cap_writer *w, int scale)
{
	struct pfnmap_event e;
	int k, i, n = 0;

	for (k = 0; k < PFNMAP_K_MAX; k++)
		for (i = 0; reg_kind(k) && i < NREC; i++, n++) {
			make_record(&e, k, i, scale);
			if (a)
				assert_int_equal(agg_add(a, &e), 0);
			if (w && capw_add(w, &e) == 1)
				assert_int_equal(capw_flush(w, 0), 0);
		}
	return n;
}

/* A capture of the records: every kind seen in fentry mode. */
static char *capture_of(const char *name, int scale)
{
	struct cap_writer_opts o = {};
	struct cap_trailer t = {};
	struct cap_writer *w;
	struct cap_meta m;
	char *path;
	int fd, k;

	memset(&m, 0, sizeof(m));
	strcpy(m.kernel, "synthetic");
	m.has_clock = true;
	m.clock_mono_ns = 1000;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		m.modes[k].present = reg_kind(k);
		m.modes[k].source = PFNMAP_S_FENTRY;
		m.modes[k].valid = reg_kind_fields(k);
	}
	assert_true(asprintf(&path, "%s/%s", tmpdir, name) > 0);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(capw_open(&w, fd, &m, &o), 0);
	records(NULL, w, scale);
	t.end_ns = m.clock_mono_ns + ELAPSED_NS;
	assert_int_equal(capw_finish(w, &t), 0);
	capw_free(w);
	close(fd);
	return path;
}

/* `pfnmap stat --json` of the same records, through stats_json(). */
static char *stat_json_of(int scale, size_t *len)
{
	struct agg_stats *t = calloc(1, sizeof(*t));
	struct agg *a = agg_new(AGG_BY_KIND);
	char *buf = NULL;
	struct json j;
	FILE *f;
	int k;

	assert_non_null(t);
	assert_non_null(a);
	records(a, NULL, scale);
	f = open_memstream(&buf, len);
	assert_non_null(f);
	json_init(&j, f, false);
	json_obj_begin(&j);
	json_kv_u64(&j, "version", PFNMAP_ABI_VERSION);
	json_kv_str(&j, "kernel", "synthetic");
	json_kv_u64(&j, "elapsed_ns", ELAPSED_NS);
	json_kv_u64(&j, "lost", 0);
	json_key(&j, "command");
	json_arr_begin(&j);
	json_arr_end(&j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		if (!reg_kind(k))
			continue;
		agg_total_kind(a, k, t);
		json_key(&j, pfnmap_kind_name(k));
		json_obj_begin(&j);
		stats_json(&j, t, reg_kind_fields(k));
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_end_line(&j);
	assert_int_equal(fclose(f), 0);
	agg_free(a);
	free(t);
	return buf;
}

static bool same_number(double a, double b)
{
	return a == b || (isnan(a) && isnan(b));
}

/* Every row but latency (samples vs percentiles) is the same. */
static void expect_same_rows(const struct diff *a, const struct diff *b)
{
	size_t i;

	assert_int_equal(a->nrows, b->nrows);
	for (i = 0; i < a->nrows; i++) {
		const struct diff_row *x = &a->rows[i], *y = &b->rows[i];

		assert_int_equal(x->kind, y->kind);
		assert_string_equal(x->name, y->name);
		if (x->m->type == DM_LAT)
			continue;
		if (x->known[0] != y->known[0] || x->known[1] != y->known[1] ||
		    !same_number(x->value[0], y->value[0]) ||
		    !same_number(x->value[1], y->value[1]) ||
		    !same_number(x->shown[1], y->shown[1]) ||
		    !same_number(x->r.p, y->r.p) || x->verdict != y->verdict ||
		    x->note != y->note) {
			print_error("%s.%s: capture %g -> %g (%s), stat JSON %g -> %g (%s)\n",
				    pfnmap_kind_name(x->kind), x->name,
				    x->value[0], x->value[1],
				    diff_verdict_name(x->verdict), y->value[0],
				    y->value[1], diff_verdict_name(y->verdict));
			fail();
		}
	}
}

/* Every counter compared is a known row of every kind that has it. */
static void expect_every_counter_known(const struct diff *d)
{
	size_t i, n = 0, want = 0;
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct reg_counter *c;

		for (c = reg_counters; reg_kind(k) && c < reg_counters + PFNMAP_C_MAX; c++)
			want += diff_compares(c) &&
				(reg_kind_fields(k) & (1U << c->field));
	}
	for (i = 0; i < d->nrows; i++) {
		if (d->rows[i].m->type != DM_COUNTER)
			continue;
		assert_true(d->rows[i].known[0] && d->rows[i].known[1]);
		n++;
	}
	assert_int_equal(n, want);
}

static void test_stat_json_as_capture(void **state)
{
	struct diff_opts o = { .alpha = 0.05, .min_change = DIFF_MIN_CHANGE };
	struct diff_input *cap = calloc(2, sizeof(*cap));
	struct diff_input *js = calloc(2, sizeof(*js));
	struct diff dc, dj;
	char err[256], *path, *text;
	size_t len;
	int i;

	(void)state;
	assert_non_null(cap);
	assert_non_null(js);
	for (i = 0; i < 2; i++) {
		path = capture_of(i ? "new.data" : "base.data", i + 1);
		assert_int_equal(diff_input_load(&cap[i], path, err, sizeof(err)), 0);
		free(path);
		text = stat_json_of(i + 1, &len);
		if (diff_input_from_buf(&js[i], text, len, err, sizeof(err))) {
			print_error("stat JSON: %s\n", err);
			fail();
		}
		assert_int_equal(js[i].type, DI_STAT_JSON);
		free(text);
	}
	assert_int_equal(diff_compute(&dc, &(struct diff_side){ &cap[0], 1 },
				      &(struct diff_side){ &cap[1], 1 }, &o), 0);
	assert_int_equal(diff_compute(&dj, &(struct diff_side){ &js[0], 1 },
				      &(struct diff_side){ &js[1], 1 }, &o), 0);
	expect_every_counter_known(&dj);
	expect_same_rows(&dc, &dj);
	diff_free(&dc);
	diff_free(&dj);
	for (i = 0; i < 2; i++) {
		diff_input_free(&cap[i]);
		diff_input_free(&js[i]);
	}
	free(cap);
	free(js);
}

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_diff.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *cmd;

	(void)state;
	if (asprintf(&cmd, "rm -rf '%s'", tmpdir) > 0) {
		if (system(cmd))
			return -1;
		free(cmd);
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_inputs),
		cmocka_unit_test(test_one_run_counts),
		cmocka_unit_test(test_one_run_values),
		cmocka_unit_test(test_unknown),
		cmocka_unit_test(test_runs),
		cmocka_unit_test(test_few_runs),
		cmocka_unit_test(test_min_change),
		cmocka_unit_test(test_gate_parse),
		cmocka_unit_test(test_gate_eval),
		cmocka_unit_test(test_gate_eval_runs),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_output),
		cmocka_unit_test(test_text_output),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_sparse_json),
		cmocka_unit_test(test_capture_latency),
		cmocka_unit_test(test_every_counter),
		cmocka_unit_test(test_stat_json_as_capture),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
