// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - `pfnmap diff`'s text: a header naming the runs and what was
 * tested across what, one aligned line per row, the footnotes, and the
 * distribution of retries per operation (captures).
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "diff_cmd.h"
#include "view.h"

#define CELL		48

const char *diff_input_type_name(enum diff_in_type t)
{
	return t == DI_CAPTURE ? "capture" : "stat JSON";
}

/* ---- cells -------------------------------------------------------------------- */

/* 1234 -> "1234", 12345 -> "12.35k", ... */
static void fmt_si(char *buf, size_t len, double v)
{
	static const char units[] = " kMGTPE";
	int u = 0;

	while (fabs(v) >= 10000 && units[u + 1]) {
		v /= 1000;
		u++;
	}
	if (u)
		snprintf(buf, len, "%.4g%c", v, units[u]);
	else
		snprintf(buf, len, "%.4g", v);
}

/* A duration in ns, rounded: per-op averages and medians have fractions. */
static void fmt_dur(char *buf, size_t len, double ns)
{
	fmt_ns(buf, len, (__u64)llround(ns));
}

/* One number of the row's kind: a duration, ops/s, per op, a count. */
static void fmt_number(char *buf, size_t len, const struct diff_row *r,
		       double v)
{
	if (diff_row_is_ns(r))
		fmt_dur(buf, len, fabs(v));
	else if (r->m->type == DM_OPS_PER_S)
		fmt_si(buf, len, fabs(v));
	else if (r->per_op)
		snprintf(buf, len, "%.4g", fabs(v));
	else
		snprintf(buf, len, "%.0f", fabs(v));
}

/* The count or sum behind a per-op value. */
static void fmt_total(char *buf, size_t len, const struct diff_row *r,
		      double v)
{
	if (diff_row_is_ns(r))
		fmt_dur(buf, len, fabs(v));
	else
		snprintf(buf, len, "%.0f", fabs(v));
}

/*
 * One run: the value, and for a per-op row the count it came from
 * ("0.0004 (50)", "1.2us (3.40ms)").  Several: the median and the
 * largest deviation from it ("0.0004 ±12%").
 */
static void fmt_value(char *buf, size_t len, const struct diff_row *r, int i)
{
	char num[CELL / 2 - 4], tot[CELL / 2 - 4];
	double v = r->shown[i];

	if (!r->known[i] || isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_number(num, sizeof(num), r, v);
	if (r->nvals[i] >= 2) {
		if (isinf(r->spread[i]))
			snprintf(buf, len, "%s%s ±inf%%", v < 0 ? "-" : "", num);
		else
			snprintf(buf, len, "%s%s ±%.0f%%", v < 0 ? "-" : "",
				 num, r->spread[i] * 100);
	} else if (r->per_op) {
		fmt_total(tot, sizeof(tot), r, r->value[i]);
		snprintf(buf, len, "%s%s (%s%s)", v < 0 ? "-" : "", num,
			 r->value[i] < 0 ? "-" : "", tot);
	} else {
		snprintf(buf, len, "%s%s", v < 0 ? "-" : "", num);
	}
}

static void fmt_delta(char *buf, size_t len, const struct diff_row *r)
{
	char mag[CELL - 1];
	double d = r->delta;

	if (isnan(d)) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_number(mag, sizeof(mag), r, d);
	snprintf(buf, len, "%s%s", d < 0 ? "-" : d > 0 ? "+" : "", mag);
}

static void fmt_rel(char *buf, size_t len, double rel)
{
	if (isnan(rel))
		snprintf(buf, len, "-");
	else if (rel == 0)
		snprintf(buf, len, "0%%");
	else if (isinf(rel))
		snprintf(buf, len, "%cinf%%", rel > 0 ? '+' : '-');
	else
		snprintf(buf, len, "%+.1f%%", rel * 100);
}

static void fmt_p(char *buf, size_t len, double p)
{
	if (isnan(p))
		snprintf(buf, len, "-");
	else if (p < 1e-300)	/* erfc() underflowed: not "certain" */
		snprintf(buf, len, "<1e-300");
	else
		snprintf(buf, len, "%.3g", p);
}

static void fmt_verdict(char *buf, size_t len, const struct diff_row *r)
{
	if (r->need_runs)
		snprintf(buf, len, "%s (need >= %d runs)",
			 diff_verdict_name(r->verdict), r->need_runs);
	else
		snprintf(buf, len, "%s", diff_verdict_name(r->verdict));
}

/* ---- the table ------------------------------------------------------------------ */

enum col { C_KIND, C_METRIC, C_BASE, C_NEW, C_DELTA, C_CHANGE, C_P, C_TEST,
	   C_VERDICT, C_NOTE, C_MAX };

static const char *const col_names[C_MAX] = {
	"KIND", "METRIC", "BASE", "NEW", "DELTA", "CHANGE", "P", "TEST",
	"VERDICT", "NOTE",
};

/* Numbers right-aligned, words left-aligned. */
static const bool col_right[C_MAX] = {
	[C_BASE] = true, [C_NEW] = true, [C_DELTA] = true, [C_CHANGE] = true,
	[C_P] = true,
};

struct table {
	char		(*cell)[C_MAX][CELL];
	size_t		n;
	int		width[C_MAX];
	char		letter[DN_MAX_NOTE];	/* footnote letter of a note */
	char		next_letter;
};

static char note_letter(struct table *t, enum diff_note n)
{
	if (n == DN_NONE)
		return 0;
	if (!t->letter[n])
		t->letter[n] = t->next_letter++;
	return t->letter[n];
}

static void fill_row(struct table *t, char cell[C_MAX][CELL],
		     const struct diff_row *r)
{
	char letter = note_letter(t, r->note);

	snprintf(cell[C_KIND], CELL, "%s", pfnmap_kind_name(r->kind));
	snprintf(cell[C_METRIC], CELL, "%s", r->label);
	fmt_value(cell[C_BASE], CELL, r, 0);
	fmt_value(cell[C_NEW], CELL, r, 1);
	fmt_delta(cell[C_DELTA], CELL, r);
	fmt_rel(cell[C_CHANGE], CELL, r->rel);
	fmt_p(cell[C_P], CELL, r->r.p);
	snprintf(cell[C_TEST], CELL, "%s", stats_test_name(r->r.test));
	fmt_verdict(cell[C_VERDICT], CELL, r);
	snprintf(cell[C_NOTE], CELL, "%c", letter ? letter : ' ');
}

static int table_build(struct table *t, const struct diff *d)
{
	size_t i;
	int c;

	memset(t, 0, sizeof(*t));
	t->next_letter = 'a';
	t->cell = calloc(d->nrows + 1, sizeof(*t->cell));
	if (!t->cell)
		return -ENOMEM;
	for (c = 0; c < C_MAX; c++)
		snprintf(t->cell[0][c], CELL, "%s", col_names[c]);
	t->n = 1;
	for (i = 0; i < d->nrows; i++)
		if (d->rows[i].show)
			fill_row(t, t->cell[t->n++], &d->rows[i]);
	for (i = 0; i < t->n; i++)
		for (c = 0; c < C_MAX; c++)
			if ((int)strlen(t->cell[i][c]) > t->width[c])
				t->width[c] = strlen(t->cell[i][c]);
	return 0;
}

static void table_print(const struct table *t)
{
	size_t i;
	int c;

	for (i = 0; i < t->n; i++) {
		char line[C_MAX * (CELL + 2)];
		size_t off = 0;

		for (c = 0; c < C_MAX; c++)
			off += snprintf(line + off, sizeof(line) - off, "%s%*s",
					c ? "  " : "",
					col_right[c] ? t->width[c] : -t->width[c],
					t->cell[i][c]);
		/* no trailing blanks where the NOTE column is empty */
		while (off && line[off - 1] == ' ')
			line[--off] = '\0';
		printf("%s\n", line);
	}
}

static void print_footnotes(const struct table *t)
{
	enum diff_note n;
	char l;

	for (l = 'a'; l < t->next_letter; l++)
		for (n = DN_NONE + 1; n < DN_MAX_NOTE; n++)
			if (t->letter[n] == l)
				printf("  %c: %s\n", l, diff_note_text(n));
}

/* ---- the header ------------------------------------------------------------------ */

/* Do all runs of the side share the kernel (or command)? */
static bool side_same(const struct diff_side *s, size_t off)
{
	size_t i;

	for (i = 1; i < s->n; i++)
		if (strcmp((const char *)&s->run[i] + off,
			   (const char *)&s->run[0] + off))
			return false;
	return true;
}

static void print_run(const struct diff_input *in, bool kernel, bool command)
{
	char el[16] = "?";

	if (in->elapsed_known)
		fmt_ns(el, sizeof(el), in->elapsed_ns);
	printf("%s (%s)%s%s, %s elapsed, %llu lost\n", in->path,
	       diff_input_type_name(in->type), kernel ? ", kernel " : "",
	       kernel ? (in->kernel[0] ? in->kernel : "?") : "", el,
	       (unsigned long long)in->lost);
	if (command && in->command[0])
		printf("          command: %s\n", in->command);
	if (in->damage[0])
		printf("          damaged capture: %s\n", in->damage);
}

/* One run: one line as ever; several: what they share, then each. */
static void print_side(const char *label, const struct diff_side *s)
{
	const struct diff_input *r0 = &s->run[0];
	bool kernel = side_same(s, offsetof(struct diff_input, kernel));
	bool command = side_same(s, offsetof(struct diff_input, command));
	size_t i;

	if (s->n == 1) {
		printf("  %-4s  ", label);
		print_run(r0, true, true);
		return;
	}
	printf("  %-4s  %zu runs", label, s->n);
	if (kernel)
		printf(", kernel %s", r0->kernel[0] ? r0->kernel : "?");
	if (command && r0->command[0])
		printf(", command: %s", r0->command);
	printf("\n");
	for (i = 0; i < s->n; i++) {
		printf("          ");
		print_run(&s->run[i], !kernel, !command);
	}
}

/* The mode of kind k if every run of the side agrees, "" if none saw it. */
static const char *side_mode(const struct diff_side *s, int k)
{
	const char *m = "";
	size_t i;

	for (i = 0; i < s->n; i++) {
		const char *x = s->run[i].k[k].mode;

		if (!x[0])
			continue;
		if (m[0] && strcmp(m, x))
			return "several modes";
		m = x;
	}
	return m;
}

/* Kinds whose attach modes differ see different fields. */
static void print_mode_changes(const struct diff *d)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const char *a = side_mode(&d->side[0], k);
		const char *b = side_mode(&d->side[1], k);

		if (a[0] && b[0] && strcmp(a, b))
			printf("  note: %s traced by %s in BASE, by %s in NEW: the counters seen differ\n",
			       pfnmap_kind_name(k), a, b);
	}
}

static bool kind_seen(const struct diff *d, int k)
{
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < d->side[i].n; j++)
			if (d->side[i].run[j].k[k].s.ops)
				return true;
	return false;
}

static void print_idle(const struct diff *d)
{
	bool any = false;
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		if (kind_seen(d, k))
			continue;
		printf("%s%s", any ? " " : "  no operations in either: ",
		       pfnmap_kind_name(k));
		any = true;
	}
	if (any)
		printf("\n");
}

/* Counters neither side could see are no rows: say which, not 0. */
static void print_unknown(const struct diff *d)
{
	bool any = false;
	size_t i;

	for (i = 0; i < d->nrows; i++) {
		const struct diff_row *r = &d->rows[i];

		if (r->known[0] || r->known[1] || !kind_seen(d, r->kind))
			continue;
		printf("%s%s.%s", any ? " " : "  unknown in both (attach mode could not see them): ",
		       pfnmap_kind_name(r->kind), r->name);
		any = true;
	}
	if (any)
		printf("\n");
}

static bool side_lost(const struct diff_side *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->run[i].lost)
			return true;
	return false;
}

/* What is tested across what: the first thing a reviewer needs. */
static void print_method(const struct diff *d)
{
	if (d->side[0].n >= 2 && d->side[1].n >= 2)
		printf("  tests: across runs, one value per run (BASE, NEW: their median ± the largest\n"
		       "         deviation from it), exact Mann-Whitney U; a verdict needs >= %d runs per side\n",
		       d->runs_needed);
	else
		printf("  tests: one run on a side: counts of events only, against run-to-run variation\n"
		       "         of up to an exponential's (nb1); latency, ops/s and the rest need >= %d runs per side\n",
		       d->runs_needed);
}

static void print_header(const struct diff *d)
{
	printf("pfnmap diff: alpha %g, changes under %g%% are '~'; lower is better, except ops/s\n",
	       d->o.alpha, d->o.min_change * 100);
	print_side("BASE", &d->side[0]);
	print_side("NEW", &d->side[1]);
	print_method(d);
	if (side_lost(&d->side[0]) || side_lost(&d->side[1]))
		printf("  note: records were lost in the kernel: the counts of that side are lower bounds\n");
	print_mode_changes(d);
	print_idle(d);
	print_unknown(d);
	printf("\n");
}

/* ---- retries per operation (captures) ----------------------------------------------- */

/* "2-3" for bucket 2 (2^(i-1) <= r < 2^i) */
static void bucket_label(char *buf, size_t len, int i)
{
	if (i <= 1)
		snprintf(buf, len, "%d", i);
	else
		snprintf(buf, len, "%llu-%llu", 1ULL << (i - 1), (1ULL << i) - 1);
}

bool diff_side_dist(const struct diff_side *s, int k, __u64 dist[33])
{
	bool has = false;
	size_t i;
	int b;

	memset(dist, 0, 33 * sizeof(*dist));
	for (i = 0; i < s->n; i++) {
		const struct diff_kind *dk = &s->run[i].k[k];

		if (!dk->has_dist || !dk->s.ops)
			continue;
		has = true;
		for (b = 0; b < 33; b++)
			dist[b] += dk->s.retry_dist[b];
	}
	return has;
}

static void print_dist_line(const char *label, bool has, const __u64 *dist)
{
	char b[48];
	int i;

	printf("  %-17s %-4s", "", label);
	if (!has) {
		printf(" -\n");
		return;
	}
	for (i = 0; i < 33; i++) {
		if (!dist[i])
			continue;
		bucket_label(b, sizeof(b), i);
		printf(" %s:%llu", b, (unsigned long long)dist[i]);
	}
	printf("\n");
}

/* Captures only: how many operations retried how often. */
static void print_dists(const struct diff *d)
{
	__u64 a[33], b[33];
	bool title = false, ha, hb;
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		ha = diff_side_dist(&d->side[0], k, a);
		hb = diff_side_dist(&d->side[1], k, b);
		if (!ha && !hb)
			continue;
		if (!title)
			printf("\nretries per operation (retries: operations, all runs):\n");
		title = true;
		printf("  %s\n", pfnmap_kind_name(k));
		print_dist_line("BASE", ha, a);
		print_dist_line("NEW", hb, b);
	}
}

int diff_print_text(const struct diff *d)
{
	struct table t;

	if (table_build(&t, d))
		return -ENOMEM;
	print_header(d);
	if (t.n > 1)
		table_print(&t);
	else
		printf("no operations in either input\n");
	if (t.next_letter > 'a')
		printf("\n");
	print_footnotes(&t);
	print_dists(d);
	free(t.cell);
	return 0;
}
