// SPDX-License-Identifier: GPL-2.0
/*
 * diff_gate.c - `pfnmap diff --fail-if`: parsing a condition and
 * evaluating it on the rows diff.c built.
 *
 *   KIND.METRIC[/op] CMP NUMBER	about NEW's value
 *   KIND.METRIC:VERDICT		about the row's verdict
 *
 * With several runs NEW's value is one number for all of them: the total
 * of counts and sums (EINVAL>0 holds if any run failed so), the pooled
 * rate for /op, the largest maximum, the median of latency percentiles
 * and ops/s (diff.c's row_combine()).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diff.h"

static int gate_fail(char *err, size_t len, const char *fmt, const char *arg)
{
	snprintf(err, len, fmt, arg);
	return -EINVAL;
}

/* "EEXIST" (any case), "E524" or "other": the errno, 0 if none. */
static int gate_errno(const char *name)
{
	char *end;
	long v;

	if (!strcmp(name, "other"))
		return AGG_ERRNO_MAX;
	if ((name[0] == 'E' || name[0] == 'e') && name[1] >= '1' &&
	    name[1] <= '9') {
		v = strtol(name + 1, &end, 10);
		if (!*end && v < AGG_ERRNO_MAX)
			return (int)v;
	}
	v = errno_parse(name);
	return v > 0 && v < AGG_ERRNO_MAX ? (int)v : 0;
}

/* A counter `diff` compares, by name; NULL if none. */
static const struct reg_counter *gate_counter(const char *name)
{
	int c = reg_counter_parse(name);

	return c >= 0 && diff_compares(&reg_counters[c]) ?
	       &reg_counters[c] : NULL;
}

/* Is name the metric m?  A counter's name for DM_COUNTER: sets g->c. */
static bool metric_named(struct diff_gate *g, const struct diff_metric *m,
			 const char *name)
{
	if (m->type != DM_COUNTER)
		return !strcmp(m->name, name);
	g->c = gate_counter(name);
	return g->c;
}

static int gate_metric(struct diff_gate *g, const char *name, char *err,
		       size_t len)
{
	size_t i;

	for (i = 0; i < diff_nr_metrics; i++)
		if (metric_named(g, &diff_metrics[i], name)) {
			g->m = &diff_metrics[i];
			snprintf(g->name, sizeof(g->name), "%s", name);
			return 0;
		}
	g->err = gate_errno(name);
	if (!g->err)
		return gate_fail(err, len, "unknown metric '%s' (count, ops_per_s, errors, an errno name like EINVAL, p50, p99, max, or a counter: 'pfnmap diff --help' lists them)",
				 name);
	g->m = &diff_errno_metric;
	diff_errno_name(g->name, sizeof(g->name), g->err);
	return 0;
}

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* "unknown kind 'x' (vfio_pin, ...)": every kind of the registry. */
static void gate_unknown_kind(char *err, size_t len, const char *kind)
{
	const char *sep = "";
	size_t off;
	int k;

	off = snprintf(err, len, "unknown kind '%s' (", kind);
	for (k = 0; k < PFNMAP_K_MAX && off < len; k++) {
		if (!reg_kind(k))
			continue;
		off += snprintf(err + off, len - off, "%s%s", sep,
				reg_kind(k)->name);
		sep = ", ";
	}
	if (off < len)
		snprintf(err + off, len - off, ")");
}

/* KIND '.' METRIC ['/op']; returns where parsing stopped, NULL on error. */
static const char *gate_subject(struct diff_gate *g, const char *p, char *err,
				size_t len)
{
	char kind[24], name[24];
	size_t n;

	n = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
	if (!n || n >= sizeof(kind) || p[n] != '.') {
		gate_fail(err, len, "%s", "expected KIND.METRIC at the start");
		return NULL;
	}
	memcpy(kind, p, n);
	kind[n] = '\0';
	g->kind = pfnmap_kind_parse(kind);
	if (g->kind < 0) {
		gate_unknown_kind(err, len, kind);
		return NULL;
	}
	p += n + 1;
	n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	if (!n || n >= sizeof(name)) {
		gate_fail(err, len, "%s", "expected a metric after 'KIND.'");
		return NULL;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	if (gate_metric(g, name, err, len))
		return NULL;
	p += n;
	if (!strncmp(p, "/op", 3)) {
		g->per_op = true;
		p += 3;
	}
	return p;
}

static int gate_verdict(struct diff_gate *g, const char *p, char *err,
			size_t len)
{
	enum diff_verdict v;
	size_t n;

	p = skip_blanks(p);
	n = strcspn(p, " \t");
	for (v = DV_SAME; v <= DV_UNKNOWN && !*skip_blanks(p + n); v++)
		if (strlen(diff_verdict_name(v)) == n &&
		    !strncmp(p, diff_verdict_name(v), n)) {
			g->want = v;
			g->is_verdict = true;
			return 0;
		}
	return gate_fail(err, len, "unknown verdict '%s' (better, worse, ~, ?)", p);
}

static int gate_compare(struct diff_gate *g, const char *p, char *err,
			size_t len)
{
	static const struct { const char *op; enum diff_cmp cmp; } ops[] = {
		{ ">=", DC_GE }, { "<=", DC_LE }, { "==", DC_EQ },
		{ "!=", DC_NE }, { ">", DC_GT }, { "<", DC_LT },
	};
	char *end;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(p, ops[i].op, strlen(ops[i].op)))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return gate_fail(err, len, "expected >, >=, <, <=, ==, != or ':' at '%s'", p);
	g->cmp = ops[i].cmp;
	p = skip_blanks(p + strlen(ops[i].op));
	if (!*p || strchr(" \t", *p))
		return gate_fail(err, len, "%s", "a number must follow the comparison");
	g->num = strtod(p, &end);
	/* decimal only: strtod would also take "inf", "nan" and hex */
	if (end == p || *skip_blanks(end) || !isfinite(g->num) ||
	    strspn(p, "0123456789+-.eE") < (size_t)(end - p))
		return gate_fail(err, len, "bad number '%s'", p);
	return 0;
}

/* Errors, errnos and the counters summed over the operations. */
static bool per_op_allowed(const struct diff_gate *g)
{
	if (g->m->type == DM_COUNTER)
		return g->c->value == RV_SUM;
	return g->m->type == DM_ERRORS || g->m->type == DM_ERRNO;
}

int diff_gate_parse(struct diff_gate *g, const char *text, char *err,
		    size_t len)
{
	const char *p;

	memset(g, 0, sizeof(*g));
	g->text = text;
	p = gate_subject(g, skip_blanks(text), err, len);
	if (!p)
		return -EINVAL;
	if (g->per_op && !per_op_allowed(g))
		return gate_fail(err, len, "'/op' does not apply to %s (only to errors, errnos and summed counters)",
				 g->name);
	p = skip_blanks(p);
	if (*p == ':') {
		if (g->per_op)
			return gate_fail(err, len, "%s", "a verdict is per row: drop '/op' before ':'");
		return gate_verdict(g, p + 1, err, len);
	}
	return gate_compare(g, p, err, len);
}

static bool compare(double v, enum diff_cmp c, double num)
{
	switch (c) {
	case DC_GT:
		return v > num;
	case DC_GE:
		return v >= num;
	case DC_LT:
		return v < num;
	case DC_LE:
		return v <= num;
	case DC_EQ:
		return v == num;
	case DC_NE:
		return v != num;
	}
	return false;
}

int diff_gate_eval(const struct diff *d, const struct diff_gate *g,
		   double *value, char *err, size_t len)
{
	const struct diff_row *r = diff_find(d, g->kind, g->name);
	const char *kind = pfnmap_kind_name(g->kind);

	*value = NAN;
	/* an errno neither side saw: none of it, nothing changed */
	if (!r && g->m->type == DM_ERRNO) {
		*value = 0;
		return g->is_verdict ? g->want == DV_SAME : compare(0, g->cmp, g->num);
	}
	if (!r) {
		snprintf(err, len, "%s has no %s", kind, g->name);
		return -EINVAL;
	}
	if (g->is_verdict)
		return r->verdict == g->want;
	if (!r->known[1]) {
		snprintf(err, len, "%s.%s is unknown in NEW: the condition cannot be checked",
			 kind, g->name);
		return -EINVAL;
	}
	*value = g->per_op ? r->pooled[1] : r->value[1];
	/* per op over no operations: none */
	if (isnan(*value))
		*value = 0;
	return compare(*value, g->cmp, g->num);
}
