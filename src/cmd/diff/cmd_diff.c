// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_diff.c - `pfnmap diff`: compare the runs of BASE with the runs of
 * NEW, benchstat style.  Inputs are `pfnmap stat --json` outputs or
 * `pfnmap record` captures (diff_input.c), one run each; the rows, tests
 * and verdicts come from diff.c; this file parses the command line,
 * loads the runs, evaluates --fail-if and hands the result to table.c
 * or json.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "diff_cmd.h"

/* Stands for a "--" between BASE's runs and NEW's while getopt runs. */
static const char group_sep[] = "\x1f--";

/* The counters `diff` compares, wrapped under the --fail-if help. */
static void usage_counters(FILE *f)
{
	const struct reg_counter *c;
	int col = 0;

	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++) {
		if (!diff_compares(c))
			continue;
		if (!col || col + 1 + (int)strlen(c->name) > 72) {
			if (col)
				fputc('\n', f);
			col = fprintf(f, "%22s", "");
		}
		col += fprintf(f, " %s", c->name);
	}
	fputc('\n', f);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap diff [OPTIONS] BASE NEW\n"
"       pfnmap diff [OPTIONS] -b BASE -b BASE ... -n NEW -n NEW ...\n"
"       pfnmap diff [OPTIONS] BASE BASE ... -- NEW NEW ...\n"
"\n"
"Compare runs, per operation kind and per errno: operations per second,\n"
"errors per operation, every counter of the records (per operation, or\n"
"its maximum, median...), latency p50/p99/max.  Each input is one run:\n"
"a 'pfnmap stat --json' output or a 'pfnmap record' capture, in any mix.\n"
"Each row shows BASE, NEW (with several runs: the median over them and\n"
"the largest deviation from it), the change, a p-value and a verdict:\n"
"'better', 'worse', '~' (not significant, or smaller than --min-change;\n"
"'~ (need >= K runs)': too few runs to tell) or '?' (no test applies).\n"
"\n"
"The unit of every test is the run, as most of the noise is between runs.\n"
"Two or more runs per side: each run's value (a rate, a percentile...)\n"
"and a Mann-Whitney U test across them, exact; at alpha 0.05 it needs\n"
"at least 4 runs per side.  One run on a side: only counts of events\n"
"(errors, errnos, retries...) are tested, against run-to-run variation as\n"
"wide as an exponential (nb1: changes of about 40x); latency, ops/s and\n"
"the rest get '~ (need >= K runs)'.  Lower is better for every metric\n"
"except ops/s.\n"
"\n"
"  -b, --base FILE      a run of BASE (repeatable)\n"
"  -n, --new FILE       a run of NEW (repeatable)\n"
"  -j, --json           one JSON object with every row\n"
"  -a, --alpha A        significance level (default %.2f)\n"
"  -m, --min-change P   call changes below P percent '~' (default %.0f)\n"
"  -f, --fail-if EXPR   exit 1 if EXPR holds for NEW (repeatable):\n"
"                         KIND.METRIC[/op] CMP NUMBER   CMP: > >= < <= == !=\n"
"                         KIND.METRIC:VERDICT           better worse ~ ?\n"
"                       METRIC: count ops_per_s errors ERRNO (EINVAL...)\n"
"                       p50 p99 max (ns), and the counters:\n",
		DIFF_ALPHA, DIFF_MIN_CHANGE * 100);
	usage_counters(f);
	fprintf(f,
"                       /op: per operation (errors, errnos, summed\n"
"                       counters only).  NEW's value over its runs: the\n"
"                       total (counts, sums), the pooled rate (/op), the\n"
"                       largest (maxima), else the median.\n"
"                       e.g. 'vfio_pin.EINVAL>0' 'uffd_copy.retries:worse'\n"
"                       'uffd_copy.EEXIST/op>0.5' 'vfio_pin.zap_races>=10'\n"
"\n"
"Exit status: 0 no --fail-if condition holds, 1 one does (the gate\n"
"failed), 2 usage or input error (also: a condition on a value NEW\n"
"does not know).  See docs/diff.md.\n");
}

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

	if (a->nr_gates == DIFF_MAX_GATES) {
		fprintf(stderr, "pfnmap diff: more than %d --fail-if\n",
			DIFF_MAX_GATES);
		return -EINVAL;
	}
	if (diff_gate_parse(&a->gates[a->nr_gates], text, err, sizeof(err))) {
		fprintf(stderr, "pfnmap diff: bad --fail-if '%s': %s\n", text, err);
		return -EINVAL;
	}
	a->nr_gates++;
	return 0;
}

/* Does the word after arg belong to it (an option's value)? */
static bool takes_value(const char *arg)
{
	static const char *const longs[] = {
		"--alpha", "--min-change", "--fail-if", "--base", "--new",
	};
	const char *p;
	size_t i;

	if (arg[0] != '-' || !arg[1])
		return false;
	if (arg[1] == '-') {
		for (i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
			if (!strcmp(arg, longs[i]))
				return true;
		return false;
	}
	/* a cluster of short options: one with a value ends it */
	for (p = arg + 1; *p; p++)
		if (strchr("amfbn", *p))
			return !p[1];
	return false;
}

/*
 * A copy of argv where a "--" that is no option's value becomes
 * group_sep: getopt would take it for the end of the options and drop
 * it, losing where BASE's runs end.
 */
static char **mark_groups(int argc, char **argv, int *nsep)
{
	char **av = calloc(argc + 1, sizeof(*av));
	int i;

	*nsep = 0;
	if (!av)
		return NULL;
	for (i = 0; i < argc; i++) {
		av[i] = argv[i];
		if (i && !strcmp(argv[i], "--") && !takes_value(argv[i - 1])) {
			av[i] = (char *)group_sep;
			(*nsep)++;
		}
	}
	return av;
}

static int add_run(struct diff_args *a, int side, const char *path)
{
	a->path[side][a->npath[side]++] = path;
	return 0;
}

/* The words left after the options: BASE NEW, or BASE... -- NEW... */
static int positional(struct diff_args *a, int n, char **w, int nsep)
{
	int i, side = 0;

	if (n && (a->npath[0] || a->npath[1])) {
		fprintf(stderr, "pfnmap diff: give the runs either with -b/-n or as arguments, not both\n");
		return 2;
	}
	if (!nsep && n == 2) {
		add_run(a, 0, w[0]);
		return add_run(a, 1, w[1]);
	}
	for (i = 0; nsep == 1 && i < n; i++) {
		if (w[i] == group_sep)
			side = 1;
		else
			add_run(a, side, w[i]);
	}
	if (!a->npath[0] || !a->npath[1] || nsep > 1) {
		fprintf(stderr, "pfnmap diff: give BASE NEW, -b BASE... -n NEW..., or BASE... -- NEW... (see 'pfnmap diff --help')\n");
		return 2;
	}
	return 0;
}

static int parse_opt(struct diff_args *a, int opt, double *pct)
{
	switch (opt) {
	case 'j':
		a->json = true;
		return 0;
	case 'a':
		return parse_range(optarg, "--alpha", 1e-300, 1, &a->o.alpha) ? 2 : 0;
	case 'm':
		return parse_range(optarg, "--min-change", 0, 1e9, pct) ? 2 : 0;
	case 'f':
		return add_gate(a, optarg) ? 2 : 0;
	case 'b':
	case 'n':
		return add_run(a, opt == 'n', optarg);
	case 'h':
		usage(stdout);
		return -1;
	}
	return 2;
}

/* 0 to go on, -1 after --help, else the exit status. */
static int parse_args(int argc, char **av, struct diff_args *a, int nsep)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "alpha", required_argument, NULL, 'a' },
		{ "min-change", required_argument, NULL, 'm' },
		{ "fail-if", required_argument, NULL, 'f' },
		{ "base", required_argument, NULL, 'b' },
		{ "new", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	double pct = DIFF_MIN_CHANGE * 100;
	int opt, rc;

	a->o.alpha = DIFF_ALPHA;
	optind = 0;	/* full getopt reset: callable more than once */
	opterr = 0;	/* one line of our own instead of getopt's two */
	while ((opt = getopt_long(argc, av, "ja:m:f:b:n:h", longopts, NULL)) != -1) {
		if (opt == '?' || opt == ':') {
			fprintf(stderr, "pfnmap diff: unknown option or missing value in '%s' (see 'pfnmap diff --help')\n",
				av[optind - 1]);
			return 2;
		}
		rc = parse_opt(a, opt, &pct);
		if (rc)
			return rc;
	}
	a->o.min_change = pct / 100;
	return positional(a, argc - optind, av + optind, nsep);
}

/* ---- loading ------------------------------------------------------------------ */

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

static void free_side(struct diff_input *in, size_t n)
{
	size_t i;

	for (i = 0; in && i < n; i++)
		diff_input_free(&in[i]);
	free(in);
}

/* The runs of one side, loaded; NULL (said why) on failure. */
static struct diff_input *load_side(const struct diff_args *a, int side)
{
	struct diff_input *in = calloc(a->npath[side], sizeof(*in));
	size_t i;

	if (!in) {
		fprintf(stderr, "pfnmap diff: out of memory\n");
		return NULL;
	}
	for (i = 0; i < a->npath[side]; i++)
		if (load(&in[i], side ? "NEW" : "BASE", a->path[side][i]))
			break;
	if (i == a->npath[side])
		return in;
	free_side(in, i + 1);	/* the one that failed may hold memory */
	return NULL;
}

/* ---- --fail-if and the verdict ---------------------------------------------------- */

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

static int compare(struct diff_input *in[2], const struct diff_args *a)
{
	static struct gate_result g[DIFF_MAX_GATES];
	struct diff_side base = { in[0], a->npath[0] };
	struct diff_side new = { in[1], a->npath[1] };
	struct diff d;
	int rc;

	if (diff_compute(&d, &base, &new, &a->o)) {
		fprintf(stderr, "pfnmap diff: out of memory\n");
		return 2;
	}
	memset(g, 0, sizeof(g));
	rc = run_gates(&d, a, g);
	if (a->json)
		diff_print_json(&d, a, g, rc);
	else if (diff_print_text(&d))
		rc = 2;
	fflush(stdout);
	report_gates(a, g);
	diff_free(&d);
	return rc;
}

static int run(int argc, char **argv, struct diff_args *a)
{
	struct diff_input *in[2] = { NULL, NULL };
	int nsep, rc;
	char **av;

	av = mark_groups(argc, argv, &nsep);
	a->path[0] = calloc(argc, sizeof(char *));
	a->path[1] = calloc(argc, sizeof(char *));
	if (!av || !a->path[0] || !a->path[1]) {
		fprintf(stderr, "pfnmap diff: out of memory\n");
		rc = 2;
		goto out;
	}
	rc = parse_args(argc, av, a, nsep);
	if (rc)
		goto out;
	in[0] = load_side(a, 0);
	in[1] = in[0] ? load_side(a, 1) : NULL;
	rc = in[0] && in[1] ? compare(in, a) : 2;
out:
	free_side(in[0], a->npath[0]);
	free_side(in[1], a->npath[1]);
	free(a->path[0]);
	free(a->path[1]);
	free(av);
	return rc < 0 ? 0 : rc;		/* --help: 0 */
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args *a = calloc(1, sizeof(*a));
	int rc;

	if (!a) {
		fprintf(stderr, "pfnmap diff: out of memory\n");
		return 2;
	}
	rc = run(argc, argv, a);
	free(a);
	return rc;
}
