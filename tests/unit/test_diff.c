// SPDX-License-Identifier: GPL-2.0
/*
 * test_diff.c - unit tests of `pfnmap diff`: synthetic stat-JSON inputs
 * (and one capture) with known answers.  Equal inputs give no 'better'
 * or 'worse' anywhere; a clear change gives the right one; a change
 * smaller than --min-change is '~'; unknown stays unknown; --fail-if
 * parses strictly and the exit status is 0, 1 or 2 as documented.
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
#include "json_parse.h"

#define XSTR(x)		STR(x)
#define STR(x)		#x
#define ABI		XSTR(PFNMAP_ABI_VERSION)

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
	struct diff_input	in[2];
	struct diff		d;
};

static struct pair *compare(const struct side *a, const struct side *b,
			    double min_change)
{
	struct diff_opts o = { .alpha = 0.05, .min_change = min_change };
	struct pair *p = calloc(1, sizeof(*p));

	assert_non_null(p);
	load_side(&p->in[0], a);
	load_side(&p->in[1], b);
	assert_int_equal(diff_compute(&p->d, &p->in[0], &p->in[1], &o), 0);
	return p;
}

static void pair_free(struct pair *p)
{
	diff_free(&p->d);
	diff_input_free(&p->in[0]);
	diff_input_free(&p->in[1]);
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
			   enum diff_verdict v)
{
	const struct diff_row *r = row(p, kind, name);

	if (r->verdict != v) {
		print_error("%s.%s: verdict %s (p %g, rel %g), want %s\n",
			    pfnmap_kind_name(kind), name,
			    diff_verdict_name(r->verdict), r->r.p, r->rel,
			    diff_verdict_name(v));
		fail();
	}
}

/* ---- rows and verdicts ------------------------------------------------------- */

static void test_equal_inputs(void **state)
{
	struct pair *p = compare(&base_side, &base_side, DIFF_MIN_CHANGE);
	size_t i, tested = 0;

	(void)state;
	for (i = 0; i < p->d.nrows; i++) {
		const struct diff_row *r = &p->d.rows[i];

		assert_int_not_equal(r->verdict, DV_BETTER);
		assert_int_not_equal(r->verdict, DV_WORSE);
		if (isnan(r->r.p))
			continue;
		assert_int_equal(r->verdict, DV_SAME);
		assert_true(r->r.p == 1);
		assert_true(r->delta == 0);
		tested++;
	}
	/* ops/s, errors, EEXIST, retries, ... of both kinds were tested */
	assert_true(tested >= 10);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "EEXIST", DV_SAME);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "count", DV_UNKNOWN);
	assert_int_equal(row(p, PFNMAP_K_UFFD_COPY, "count")->note, DN_COUNT);
	pair_free(p);
}

static void test_errors_worse_and_better(void **state)
{
	struct side a = base_side, b = base_side;
	struct pair *p;

	(void)state;
	a.eexist = 0;
	a.ops = 100;
	b.eexist = 50;
	b.ops = 150;
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "EEXIST", DV_WORSE);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "errors", DV_WORSE);
	assert_int_equal(row(p, PFNMAP_K_UFFD_COPY, "EEXIST")->r.test, ST_FISHER);
	/* 0 of 100 vs 50 of 150: Fisher's exact p (python fractions) */
	assert_true(fabs(row(p, PFNMAP_K_UFFD_COPY, "EEXIST")->r.p -
			 2.3804083390026653e-13) < 1e-20);
	assert_true(isinf(row(p, PFNMAP_K_UFFD_COPY, "EEXIST")->rel));
	pair_free(p);
	p = compare(&b, &a, DIFF_MIN_CHANGE);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "EEXIST", DV_BETTER);
	pair_free(p);
}

static void test_counters(void **state)
{
	struct side a = base_side, b = base_side;
	struct pair *p;

	(void)state;
	a.watched = b.watched = true;
	b.zap_races = "40";		/* 0.005 -> 0.04 per op */
	b.ops = 2000;			/* in the same second: ops/s doubles */
	/* 0.1 -> 0.2 retries per op */
	b.retries = "400";
	b.eexist = 0;
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "retries", DV_WORSE);
	assert_int_equal(row(p, PFNMAP_K_UFFD_COPY, "retries")->r.test, ST_POISSON);
	assert_true(fabs(row(p, PFNMAP_K_UFFD_COPY, "retries")->shown[1] - 0.2) < 1e-12);
	expect_verdict(p, PFNMAP_K_VFIO_PIN, "zap_races", DV_WORSE);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "ops_per_s", DV_BETTER);
	/* 10 EEXIST of 1000, none of 2000: Fisher p = 1.6e-05 */
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "EEXIST", DV_BETTER);
	assert_int_equal(row(p, PFNMAP_K_UFFD_COPY, "ops_per_s")->r.test, ST_POISSON);
	/* max_retries: shown, never tested */
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "max_retries", DV_UNKNOWN);
	assert_int_equal(row(p, PFNMAP_K_UFFD_COPY, "max_retries")->note, DN_MAX);
	pair_free(p);
	/* the same, but each side ran a command: ops/s is not tested */
	a.watched = false;
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "ops_per_s", DV_UNKNOWN);
	assert_int_equal(row(p, PFNMAP_K_UFFD_COPY, "ops_per_s")->note, DN_CLOSED);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "retries", DV_WORSE);
	pair_free(p);
}

/* Significant but under --min-change: '~'; with no minimum: called. */
static void test_min_change(void **state)
{
	struct side a = base_side, b = base_side;
	struct pair *p;

	(void)state;
	a.ops = b.ops = 1000000;
	a.retries = "1000000";
	b.retries = "1005000";		/* +0.5%, z ~ 3.5 */
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	assert_true(row(p, PFNMAP_K_UFFD_COPY, "retries")->r.p < 0.001);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "retries", DV_SAME);
	pair_free(p);
	p = compare(&a, &b, 0);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "retries", DV_WORSE);
	pair_free(p);
}

/* A small change on few operations is not significant. */
static void test_not_significant(void **state)
{
	struct side a = base_side, b = base_side;
	struct pair *p;

	(void)state;
	a.ops = b.ops = 100;
	a.eexist = 2;
	b.eexist = 4;
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	expect_verdict(p, PFNMAP_K_UFFD_COPY, "EEXIST", DV_SAME);
	assert_true(row(p, PFNMAP_K_UFFD_COPY, "EEXIST")->r.p > 0.05);
	pair_free(p);
}

static void test_unknown_and_summary(void **state)
{
	struct side a = base_side, b = base_side;
	const struct diff_row *r;
	struct pair *p;

	(void)state;
	b.retries = "null";
	b.p50 = 2000;
	p = compare(&a, &b, DIFF_MIN_CHANGE);
	r = row(p, PFNMAP_K_UFFD_COPY, "retries");
	assert_true(r->known[0]);
	assert_false(r->known[1]);
	assert_int_equal(r->verdict, DV_UNKNOWN);
	assert_int_equal(r->note, DN_UNKNOWN);
	/* stat JSON: percentiles only, no test however large the change */
	r = row(p, PFNMAP_K_UFFD_COPY, "p50");
	assert_int_equal(r->verdict, DV_UNKNOWN);
	assert_int_equal(r->note, DN_SUMMARY);
	assert_true(r->rel == 1);
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
	/* unknown in NEW: cannot be told, never silently false */
	assert_int_equal(eval(p, "uffd_copy.retries>0", &v), -EINVAL);
	assert_int_equal(eval(p, "uffd_copy.retries:~", &v), 0);
	assert_int_equal(eval(p, "uffd_copy.retries:?", &v), 1);
	/* a counter this kind does not have */
	assert_int_equal(eval(p, "uffd_copy.zap_races>0", &v), -EINVAL);
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
	char *argv[16] = { "diff" };
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
	char *a, *b, *bad, *v, *txt, *out;

	(void)state;
	s.eexist = 300;
	v9.version = 9;
	a = write_side("a.json", &base_side);
	b = write_side("b.json", &s);
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
	/* usage and input errors */
	assert_int_equal(run(NULL, "-f", "uffd_copy.EEXIST>", a, b, NULL), 2);
	assert_int_equal(run(NULL, a, NULL), 2);
	assert_int_equal(run(NULL, a, b, a, NULL), 2);
	assert_int_equal(run(NULL, "--alpha", "0", a, b, NULL), 2);
	assert_int_equal(run(NULL, "--alpha", "x", a, b, NULL), 2);
	assert_int_equal(run(NULL, "--min-change", "-1", a, b, NULL), 2);
	assert_int_equal(run(NULL, "--frob", a, b, NULL), 2);
	assert_int_equal(run(NULL, a, "/nonexistent/x.json", NULL), 2);
	assert_int_equal(run(NULL, a, bad, NULL), 2);
	assert_int_equal(run(NULL, txt, a, NULL), 2);
	assert_int_equal(run(NULL, a, v, NULL), 2);
	assert_int_equal(run(NULL, a, tmpdir, NULL), 2);
	/* a bad condition is caught before the inputs are read */
	assert_int_equal(run(NULL, "-f", "x", "/nonexistent", a, NULL), 2);
	assert_int_equal(run(out, "--help", NULL), 0);
	free(a);
	free(b);
	free(v);
	free(bad);
	free(txt);
	free(out);
}

static void test_json_output(void **state)
{
	struct side s = base_side;
	char *a, *b, *out, *text;
	const struct jv *rows, *r;
	struct jv *root;
	size_t len, i;
	bool found = false;

	(void)state;
	s.eexist = 300;
	a = write_side("ja.json", &base_side);
	b = write_side("jb.json", &s);
	assert_true(asprintf(&out, "%s/json.out", tmpdir) > 0);
	assert_int_equal(run(out, "--json", "-f", "uffd_copy.EEXIST>0", a, b, NULL), 1);
	text = slurp(out, &len);
	assert_int_equal(json_parse(text, len, &root, NULL, 0), 0);
	rows = jv_get(root, "rows");
	assert_non_null(rows);
	assert_int_equal(rows->type, JV_ARR);
	for (i = 0; i < rows->n; i++) {
		r = &rows->items[i];
		if (strcmp(jv_get_str(r, "kind"), "uffd_copy") ||
		    strcmp(jv_get_str(r, "metric"), "EEXIST"))
			continue;
		found = true;
		assert_string_equal(jv_get_str(r, "verdict"), "worse");
		assert_string_equal(jv_get_str(r, "test"), "fisher");
		assert_true(jv_get(r, "new")->num == 0.3);
		assert_true(jv_get(r, "base")->num == 0.01);
		assert_true(jv_get(r, "p_value")->num < 1e-10);
		assert_non_null(jv_get(r, "rel_change"));
		assert_non_null(jv_get(r, "delta"));
	}
	assert_true(found);
	assert_true(jv_get(root, "exit")->u == 1);
	assert_int_equal(jv_get(root, "gates")->n, 1);
	jv_free(root);
	free(text);
	free(a);
	free(b);
	free(out);
}

/* The table: a header naming both runs, aligned columns. */
static void test_text_output(void **state)
{
	struct side s = base_side;
	char *a, *b, *out, *text, *line, *save = NULL;
	size_t len;
	long verdict_col = -1;

	(void)state;
	s.eexist = 300;
	a = write_side("ta.json", &base_side);
	b = write_side("tb.json", &s);
	assert_true(asprintf(&out, "%s/text.out", tmpdir) > 0);
	assert_int_equal(run(out, a, b, NULL), 0);
	text = slurp(out, &len);
	assert_non_null(strstr(text, "6.18.0-test"));
	assert_non_null(strstr(text, "stress -n 1000"));
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
	}
	assert_true(verdict_col > 0);
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

/* ---- a capture: every sample, so latency gets tested --------------------------- */

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

static void test_capture_latency(void **state)
{
	struct diff_opts o = { .alpha = 0.05, .min_change = DIFF_MIN_CHANGE };
	static struct diff_input in[2];
	const struct diff_row *r;
	struct diff d;
	char err[256], *a, *b, *j;

	(void)state;
	a = write_capture("a.data", 1000, 200);	/* 1000..1199 ns */
	b = write_capture("b.data", 1100, 200);	/* 1100..1299 ns */
	assert_int_equal(diff_input_load(&in[0], a, err, sizeof(err)), 0);
	assert_int_equal(diff_input_load(&in[1], b, err, sizeof(err)), 0);
	assert_int_equal(in[0].type, DI_CAPTURE);
	assert_int_equal(in[0].k[PFNMAP_K_UFFD_COPY].nlat, 200);
	assert_true(in[0].elapsed_ns == 1000000000ULL);
	assert_true(in[0].k[PFNMAP_K_UFFD_COPY].p50 == 1099);
	assert_true(in[0].k[PFNMAP_K_UFFD_COPY].has_dist);
	assert_int_equal(diff_compute(&d, &in[0], &in[1], &o), 0);
	r = diff_find(&d, PFNMAP_K_UFFD_COPY, "p50");
	assert_non_null(r);
	assert_int_equal(r->r.test, ST_MWU);
	assert_int_equal(r->verdict, DV_WORSE);
	/* U = pairs where NEW is larger: 200*200 - 100*101/2 - ties/2 */
	assert_true(r->r.stat == 40000 - 5050 + 50);
	r = diff_find(&d, PFNMAP_K_UFFD_COPY, "retries");
	assert_int_equal(r->verdict, DV_SAME);
	/* 4 of 400 above the pooled p99: no split could be significant */
	r = diff_find(&d, PFNMAP_K_UFFD_COPY, "p99");
	assert_int_equal(r->r.test, ST_QUANTILE);
	assert_int_equal(r->note, DN_TAIL);
	assert_int_equal(r->verdict, DV_UNKNOWN);
	diff_free(&d);
	/* a stat JSON against a capture: no latency test */
	j = write_side("mix.json", &base_side);
	diff_input_free(&in[1]);
	memset(&in[1], 0, sizeof(in[1]));
	assert_int_equal(diff_input_load(&in[1], j, err, sizeof(err)), 0);
	assert_int_equal(diff_compute(&d, &in[0], &in[1], &o), 0);
	r = diff_find(&d, PFNMAP_K_UFFD_COPY, "p50");
	assert_int_equal(r->verdict, DV_UNKNOWN);
	assert_int_equal(r->note, DN_SUMMARY);
	assert_int_equal(run(NULL, a, b, "-f", "uffd_copy.p50:worse", NULL), 1);
	assert_int_equal(run(NULL, a, a, "-f", "uffd_copy.p50:worse", NULL), 0);
	diff_free(&d);
	diff_input_free(&in[0]);
	diff_input_free(&in[1]);
	free(a);
	free(b);
	free(j);
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
		cmocka_unit_test(test_errors_worse_and_better),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_min_change),
		cmocka_unit_test(test_not_significant),
		cmocka_unit_test(test_unknown_and_summary),
		cmocka_unit_test(test_gate_parse),
		cmocka_unit_test(test_gate_eval),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json_output),
		cmocka_unit_test(test_text_output),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_sparse_json),
		cmocka_unit_test(test_capture_latency),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
