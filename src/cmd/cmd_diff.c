// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_diff.c - `pfnmap diff BASE NEW`: compare two runs, benchstat
 * style.  Inputs are `pfnmap stat --json` outputs or `pfnmap record`
 * captures (diff_input.c); the rows, tests and verdicts come from diff.c;
 * this file parses the command line and prints the table or the JSON.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "diff.h"
#include "json.h"
#include "view.h"

#define MAX_GATES	64
#define CELL		48

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap diff [OPTIONS] BASE NEW\n"
"\n"
"Compare two runs, per operation kind and per errno: operations per\n"
"second, errors per operation, retries per operation (and their maximum\n"
"and distribution), zap races and nested calls per operation, latency\n"
"p50/p99/max.  Each row shows BASE, NEW, the change, the p-value of a\n"
"test suited to the quantity and a verdict: 'better', 'worse', '~' (not\n"
"significant, or smaller than --min-change) or '?' (no test applies;\n"
"a footnote says why).\n"
"\n"
"BASE and NEW are 'pfnmap stat --json' outputs or 'pfnmap record'\n"
"captures, in any mix.  Stat JSON holds summaries: its latency rows get\n"
"no test.  Captures hold every record: p50 gets a Mann-Whitney U test,\n"
"p99 a quantile test, and retries their distribution.\n"
"\n"
"Tests: errors and errnos per op: Fisher's exact test (x1 of n1 ops vs\n"
"x2 of n2); retries, zap races, nested calls per op: exact test of two\n"
"Poisson rates (conditional binomial); ops/s: the same over the elapsed\n"
"times, when the runs watched a process or the system (stat -p,\n"
"record without CMD): a command's ops/s is one run's duration, not\n"
"tested.  Lower is better\n"
"for every metric except ops/s (higher is better).  Counts and maxima\n"
"are shown, not tested.\n"
"\n"
"  -j, --json           one JSON object with every row\n"
"  -a, --alpha A        significance level (default %.2f)\n"
"  -m, --min-change P   call changes below P percent '~' (default %.0f)\n"
"  -f, --fail-if EXPR   exit 1 if EXPR holds for NEW (repeatable):\n"
"                         KIND.METRIC[/op] CMP NUMBER   CMP: > >= < <= == !=\n"
"                         KIND.METRIC:VERDICT           better worse ~ ?\n"
"                       METRIC: count ops_per_s errors ERRNO (EINVAL...)\n"
"                       retries max_retries retry_aborts zap_races\n"
"                       follow_calls follow_fails fixup_calls fixup_fails\n"
"                       fixup_unlocked bar_faults p50 p99 max (ns).  /op:\n"
"                       per operation (errors, errnos, counters only).\n"
"                       e.g. 'vfio_pin.EINVAL>0' 'uffd_copy.retries:worse'\n"
"                       'uffd_copy.EEXIST/op>0.5' 'vfio_pin.zap_races>=10'\n"
"\n"
"Exit status: 0 no --fail-if condition holds, 1 one does (the gate\n"
"failed), 2 usage or input error (also: a condition on a value NEW\n"
"does not know).  See docs/diff.md.\n",
		DIFF_ALPHA, DIFF_MIN_CHANGE * 100);
}

struct diff_args {
	bool			json;
	struct diff_opts	o;
	struct diff_gate	gates[MAX_GATES];
	int			nr_gates;
	const char		*path[2];
};

/* ---- command line ----------------------------------------------------------- */

static int parse_range(const char *s, const char *what, double lo,
			  double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= lo && v < hi)) {
		fprintf(stderr, "pfnmap diff: bad %s '%s'\n", what, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int add_gate(struct diff_args *a, const char *text)
{
	char err[256];

	if (a->nr_gates == MAX_GATES) {
		fprintf(stderr, "pfnmap diff: more than %d --fail-if\n", MAX_GATES);
		return -EINVAL;
	}
	if (diff_gate_parse(&a->gates[a->nr_gates], text, err, sizeof(err))) {
		fprintf(stderr, "pfnmap diff: bad --fail-if '%s': %s\n", text, err);
		return -EINVAL;
	}
	a->nr_gates++;
	return 0;
}

/* 0 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct diff_args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "min-change", required_argument, NULL, 'm' },
		{ "fail-if", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double pct = DIFF_MIN_CHANGE * 100;
	int opt;

	a->o.alpha = DIFF_ALPHA;
	optind = 0;	/* full getopt reset: callable more than once */
	opterr = 0;	/* one line of our own instead of getopt's two */
	while ((opt = getopt_long(argc, argv, "ja:m:f:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
			a->json = true;
			break;
		case 'a':
			if (parse_range(optarg, "--alpha", 1e-300, 1, &a->o.alpha))
				return 2;
			break;
		case 'm':
			if (parse_range(optarg, "--min-change", 0, 1e9, &pct))
				return 2;
			break;
		case 'f':
			if (add_gate(a, optarg))
				return 2;
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			fprintf(stderr, "pfnmap diff: unknown option or missing value in '%s' (see 'pfnmap diff --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	a->o.min_change = pct / 100;
	if (argc - optind != 2) {
		fprintf(stderr, "pfnmap diff: give two inputs, BASE and NEW (see 'pfnmap diff --help')\n");
		return 2;
	}
	a->path[0] = argv[optind];
	a->path[1] = argv[optind + 1];
	return 0;
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

static void fmt_value(char *buf, size_t len, const struct diff_row *r, int i)
{
	if (!r->known[i] || isnan(r->shown[i])) {
		snprintf(buf, len, "-");
	} else if (r->m->type == DM_LAT) {
		fmt_ns(buf, len, (__u64)r->shown[i]);
	} else if (r->per_op) {
		snprintf(buf, len, "%.4g (%.0f)", r->shown[i], r->value[i]);
	} else if (r->m->type == DM_OPS_PER_S) {
		fmt_si(buf, len, r->shown[i]);
	} else {
		snprintf(buf, len, "%.0f", r->shown[i]);
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
	if (r->m->type == DM_LAT)
		fmt_ns(mag, sizeof(mag), (__u64)fabs(d));
	else if (r->m->type == DM_OPS_PER_S)
		fmt_si(mag, sizeof(mag), fabs(d));
	else if (r->per_op)
		snprintf(mag, sizeof(mag), "%.4g", fabs(d));
	else
		snprintf(mag, sizeof(mag), "%.0f", fabs(d));
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

/* ---- text ---------------------------------------------------------------------- */

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
	snprintf(cell[C_VERDICT], CELL, "%s", diff_verdict_name(r->verdict));
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

static const char *type_name(enum diff_in_type t)
{
	return t == DI_CAPTURE ? "capture" : "stat JSON";
}

static void print_side(const char *label, const struct diff_input *in)
{
	char el[16] = "?";

	if (in->elapsed_known)
		fmt_ns(el, sizeof(el), in->elapsed_ns);
	printf("  %-4s  %s (%s), kernel %s, %s elapsed, %llu lost\n", label,
	       in->path, type_name(in->type), in->kernel[0] ? in->kernel : "?",
	       el, (unsigned long long)in->lost);
	if (in->command[0])
		printf("        command: %s\n", in->command);
	if (in->damage[0])
		printf("        damaged capture: %s\n", in->damage);
}

/* Kinds whose attach modes differ see different fields. */
static void print_mode_changes(const struct diff *d)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const char *a = d->in[0]->k[k].mode, *b = d->in[1]->k[k].mode;

		if (a[0] && b[0] && strcmp(a, b))
			printf("  note: %s traced by %s in BASE, by %s in NEW: the counters seen differ\n",
			       pfnmap_kind_name(k), a, b);
	}
}

static void print_idle(const struct diff *d)
{
	bool any = false;
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		if (d->in[0]->k[k].s.ops || d->in[1]->k[k].s.ops)
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

		if (r->known[0] || r->known[1] ||
		    !(d->in[0]->k[r->kind].s.ops || d->in[1]->k[r->kind].s.ops))
			continue;
		printf("%s%s.%s", any ? " " : "  unknown in both (attach mode could not see them): ",
		       pfnmap_kind_name(r->kind), r->name);
		any = true;
	}
	if (any)
		printf("\n");
}

static void print_header(const struct diff *d)
{
	printf("pfnmap diff: alpha %g, changes under %g%% are '~'; lower is better, except ops/s\n",
	       d->o.alpha, d->o.min_change * 100);
	print_side("BASE", d->in[0]);
	print_side("NEW", d->in[1]);
	if (d->in[0]->lost || d->in[1]->lost)
		printf("  note: records were lost in the kernel: the counts of that side are lower bounds\n");
	print_mode_changes(d);
	print_idle(d);
	print_unknown(d);
	printf("\n");
}

/* "2-3" for bucket 2 (2^(i-1) <= r < 2^i) */
static void bucket_label(char *buf, size_t len, int i)
{
	if (i <= 1)
		snprintf(buf, len, "%d", i);
	else
		snprintf(buf, len, "%llu-%llu", 1ULL << (i - 1), (1ULL << i) - 1);
}

static void print_dist_line(const char *label, const struct diff_kind *k)
{
	char b[48];
	int i;

	printf("  %-17s %-4s", "", label);
	if (!k->has_dist) {
		printf(" -\n");
		return;
	}
	for (i = 0; i < 33; i++) {
		if (!k->s.retry_dist[i])
			continue;
		bucket_label(b, sizeof(b), i);
		printf(" %s:%llu", b, (unsigned long long)k->s.retry_dist[i]);
	}
	printf("\n");
}

/* Captures only: how many operations retried how often. */
static void print_dists(const struct diff *d)
{
	bool title = false;
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct diff_kind *a = &d->in[0]->k[k], *b = &d->in[1]->k[k];

		if (!(a->has_dist && a->s.ops) && !(b->has_dist && b->s.ops))
			continue;
		if (!title)
			printf("\nretries per operation (retries: operations):\n");
		title = true;
		printf("  %s\n", pfnmap_kind_name(k));
		print_dist_line("BASE", a);
		print_dist_line("NEW", b);
	}
}

static int print_text(const struct diff *d)
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

/* ---- JSON ----------------------------------------------------------------------- */

static void json_side(struct json *j, const char *key, const struct diff_input *in)
{
	json_key(j, key);
	json_obj_begin(j);
	json_kv_str(j, "path", in->path);
	json_kv_str(j, "type", in->type == DI_CAPTURE ? "capture" : "stat");
	json_kv_str(j, "kernel", in->kernel);
	json_kv_str(j, "command", in->command);
	json_key(j, "elapsed_ns");
	if (in->elapsed_known)
		json_u64(j, in->elapsed_ns);
	else
		json_null(j);
	json_kv_u64(j, "lost", in->lost);
	if (in->damage[0])
		json_kv_str(j, "damaged", in->damage);
	json_obj_end(j);
}

static void json_maybe(struct json *j, const char *key, bool known, double v)
{
	json_key(j, key);
	if (known && !isnan(v))
		json_double(j, v);
	else
		json_null(j);
}

static void json_row(struct json *j, const struct diff_row *r)
{
	json_obj_begin(j);
	json_kv_str(j, "kind", pfnmap_kind_name(r->kind));
	json_kv_str(j, "metric", r->name);
	json_kv_bool(j, "per_op", r->per_op);
	json_maybe(j, "base", r->known[0], r->shown[0]);
	json_maybe(j, "new", r->known[1], r->shown[1]);
	if (r->per_op) {
		json_maybe(j, "base_count", r->known[0], r->value[0]);
		json_maybe(j, "new_count", r->known[1], r->value[1]);
	}
	json_maybe(j, "delta", true, r->delta);
	json_kv_double(j, "rel_change", r->rel);	/* +-inf: null */
	json_maybe(j, "p_value", true, r->r.p);
	json_kv_str(j, "test", r->r.test ? stats_test_name(r->r.test) : "none");
	json_kv_str(j, "verdict", diff_verdict_name(r->verdict));
	json_key(j, "better");
	if (r->m->type == DM_COUNT)	/* how much the workload did */
		json_null(j);
	else
		json_str(j, r->m->higher_better ? "higher" : "lower");
	json_key(j, "note");
	if (r->note)
		json_str(j, diff_note_text(r->note));
	else
		json_null(j);
	json_obj_end(j);
}

static void json_dists(struct json *j, const struct diff *d)
{
	int k, i, s;

	json_key(j, "retry_dist");
	json_obj_begin(j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		if (!d->in[0]->k[k].has_dist && !d->in[1]->k[k].has_dist)
			continue;
		json_key(j, pfnmap_kind_name(k));
		json_obj_begin(j);
		for (s = 0; s < 2; s++) {
			const struct diff_kind *dk = &d->in[s]->k[k];

			json_key(j, s ? "new" : "base");
			if (!dk->has_dist) {
				json_null(j);
				continue;
			}
			json_arr_begin(j);
			for (i = 0; i < 33; i++)
				json_u64(j, dk->s.retry_dist[i]);
			json_arr_end(j);
		}
		json_obj_end(j);
	}
	json_obj_end(j);
}

struct gate_result {
	int	hit;		/* 1, 0, or -EINVAL */
	double	value;
	char	err[256];
};

static void json_gates(struct json *j, const struct diff_args *a,
		       const struct gate_result *g)
{
	int i;

	json_key(j, "gates");
	json_arr_begin(j);
	for (i = 0; i < a->nr_gates; i++) {
		json_obj_begin(j);
		json_kv_str(j, "expr", a->gates[i].text);
		json_key(j, "result");
		if (g[i].hit < 0)
			json_null(j);
		else
			json_bool(j, g[i].hit);
		json_maybe(j, "new_value", !a->gates[i].is_verdict, g[i].value);
		if (g[i].hit < 0)
			json_kv_str(j, "error", g[i].err);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void print_json(const struct diff *d, const struct diff_args *a,
		       const struct gate_result *g, int rc)
{
	struct json j;
	size_t i;

	json_init(&j, stdout, false);
	json_obj_begin(&j);
	json_side(&j, "base", d->in[0]);
	json_side(&j, "new", d->in[1]);
	json_kv_double(&j, "alpha", d->o.alpha);
	json_kv_double(&j, "min_change", d->o.min_change);
	json_key(&j, "rows");
	json_arr_begin(&j);
	for (i = 0; i < d->nrows; i++)
		if (d->rows[i].show)
			json_row(&j, &d->rows[i]);
	json_arr_end(&j);
	json_dists(&j, d);
	json_gates(&j, a, g);
	json_kv_u64(&j, "exit", rc);
	json_obj_end(&j);
	json_end_line(&j);
}

/* ---- main ------------------------------------------------------------------------ */

/* Every condition, evaluated; the exit status they make. */
static int run_gates(const struct diff *d, const struct diff_args *a,
		     struct gate_result *g)
{
	int i, rc = 0;

	for (i = 0; i < a->nr_gates; i++) {
		g[i].hit = diff_gate_eval(d, &a->gates[i], &g[i].value,
					  g[i].err, sizeof(g[i].err));
		if (g[i].hit < 0)
			rc = 2;
		else if (g[i].hit && !rc)
			rc = 1;
	}
	return rc;
}

/* After the output: the conditions that held or could not be checked. */
static void report_gates(const struct diff_args *a,
			 const struct gate_result *g)
{
	int i;

	for (i = 0; i < a->nr_gates; i++) {
		if (g[i].hit < 0)
			fprintf(stderr, "pfnmap diff: --fail-if '%s': %s\n",
				a->gates[i].text, g[i].err);
		else if (g[i].hit && a->gates[i].is_verdict)
			fprintf(stderr, "pfnmap diff: --fail-if '%s' holds\n",
				a->gates[i].text);
		else if (g[i].hit)
			fprintf(stderr, "pfnmap diff: --fail-if '%s' holds (NEW: %g)\n",
				a->gates[i].text, g[i].value);
	}
}

static int load(struct diff_input *in, const char *label, const char *path)
{
	char err[512];

	if (!diff_input_load(in, path, err, sizeof(err))) {
		/* usable, but the reader had to skip some of it */
		if (in->damage[0])
			fprintf(stderr, "pfnmap diff: warning: %s %s: %s\n",
				label, path, in->damage);
		return 0;
	}
	fprintf(stderr, "pfnmap diff: %s %s: %s\n", label, path, err);
	return -EINVAL;
}

static int compare(struct diff_input *in, struct diff_args *a)
{
	static struct gate_result g[MAX_GATES];
	struct diff d;
	int rc;

	if (diff_compute(&d, &in[0], &in[1], &a->o)) {
		fprintf(stderr, "pfnmap diff: out of memory\n");
		return 2;
	}
	memset(g, 0, sizeof(g));
	rc = run_gates(&d, a, g);
	if (a->json)
		print_json(&d, a, g, rc);
	else if (print_text(&d))
		rc = 2;
	fflush(stdout);
	report_gates(a, g);
	diff_free(&d);
	return rc;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_input *in;
	struct diff_args *a;
	int rc;

	a = calloc(1, sizeof(*a));
	in = calloc(2, sizeof(*in));
	if (!a || !in) {
		fprintf(stderr, "pfnmap diff: out of memory\n");
		free(a);
		free(in);
		return 2;
	}
	rc = parse_args(argc, argv, a);
	if (rc < 0)
		rc = 0;		/* --help */
	else if (!rc)
		rc = load(&in[0], "BASE", a->path[0]) ||
		     load(&in[1], "NEW", a->path[1]) ? 2 : compare(in, a);
	diff_input_free(&in[0]);
	diff_input_free(&in[1]);
	free(a);
	free(in);
	return rc;
}
