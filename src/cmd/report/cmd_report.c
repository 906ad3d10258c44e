// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_report.c - `pfnmap report`: read one or more captures of `pfnmap
 * record` and print totals per kind, errors by errno, retries per
 * operation, zap races, latency, callers; or export the records for
 * Perfetto, flame graphs, scripts.
 *
 * Needs no privilege and no BPF: it only reads files.  A damaged capture
 * still gives everything its intact chunks hold; what is missing is said
 * on stderr and in the exit status.  What a capture's header says its
 * kinds could not see stays unknown ('-', null), never 0.
 *
 * This file: options, setup, the Perfetto file, what to print.  The
 * reading is in input.c, the outputs in text.c and json.c (report.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmds.h"
#include "errors.h"
#include "report.h"

const char *const report_by_names[BY_MAX] = {
	[BY_KIND] = "kind", [BY_COMM] = "comm", [BY_PID] = "pid",
	[BY_CALLER] = "caller", [BY_ERRNO] = "errno", [BY_ZAPPER] = "zapper",
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap report [OPTIONS] [-i FILE]... [FILE...]\n"
"\n"
"Read captures written by 'pfnmap record' (default pfnmap.data; several\n"
"are merged) and print per kind: operations, errors by errno, retries\n"
"per operation (distribution and max), nested calls, zap races, latency;\n"
"then the callers of stand-alone follow_pfnmap/fixup_user_fault records,\n"
"resolved through /proc/kallsyms when the capture was made on this very\n"
"boot, in hex otherwise.  Counters a capture could not see print as '-'\n"
"(JSON null), never as 0.\n"
"\n"
"  -i, --input FILE    a capture to read ('-': stdin); may repeat\n"
"      --by K          also group by kind, comm, pid, caller, errno, or\n"
"                      zapper (zap races by the task whose vfio-pci zap\n"
"                      caused them, with the fault-in to zap gap)\n"
"      --hist          log2 latency histograms per kind\n"
"  -j, --json          the report as one JSON object\n"
"      --csv           one CSV line per operation, with a header line\n"
"      --folded        'comm;kind;caller-or-errno count' lines, for\n"
"                      flamegraph.pl or speedscope\n"
"      --perfetto OUT  write OUT as Chrome trace-event JSON (ui.perfetto.dev,\n"
"                      chrome://tracing): a track per thread, a slice per\n"
"                      operation, its counters as arguments\n"
"\n"
"A capture cut short or corrupt is read up to what is intact; one line on\n"
"stderr says what is missing.  Exit status: 0, 1 if an input is damaged\n"
"(the report shows what could be read), 2 on usage or unreadable input.\n");
}

/* ---- options ------------------------------------------------------------ */

static int parse_by(struct report *r, const char *arg)
{
	size_t i;

	for (i = 0; i < BY_MAX; i++)
		if (!strcmp(arg, report_by_names[i])) {
			r->by = i;
			return 0;
		}
	cmd_err("bad --by '%s' (kind, comm, pid, caller, errno, zapper)", arg);
	return -1;
}

static int add_input(struct report *r, const char *path)
{
	r->in[r->nr_in++].path = path;
	return 0;
}

static int check_args(struct report *r)
{
	if (r->json + r->csv + r->folded > 1) {
		cmd_err("--json, --csv and --folded all write stdout: pick one");
		return 2;
	}
	if (!r->nr_in)
		add_input(r, "pfnmap.data");
	return -1;
}

/* -1: go on; else the exit status (usage printed, or an error). */
static int parse_args(int argc, char **argv, struct report *r)
{
	enum { O_BY = 0x2000, O_HIST, O_CSV, O_FOLDED, O_PERFETTO };
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "by", required_argument, NULL, O_BY },
		{ "hist", no_argument, NULL, O_HIST },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, O_CSV },
		{ "folded", no_argument, NULL, O_FOLDED },
		{ "perfetto", required_argument, NULL, O_PERFETTO },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	r->in = calloc(argc + 1, sizeof(*r->in));
	if (!r->in) {
		cmd_err("out of memory");
		return 2;
	}
	while ((opt = getopt_long(argc, argv, "i:jh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			add_input(r, optarg);
			break;
		case O_BY:
			if (parse_by(r, optarg))
				return 2;
			break;
		case O_HIST:
			r->hist = true;
			break;
		case 'j':
			r->json = true;
			break;
		case O_CSV:
			r->csv = true;
			break;
		case O_FOLDED:
			r->folded = true;
			break;
		case O_PERFETTO:
			r->perfetto_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	while (optind < argc)
		add_input(r, argv[optind++]);
	return check_args(r);
}

/* ---- the command -------------------------------------------------------- */

static int setup(struct report *r)
{
	r->kinds = agg_new(AGG_BY_KIND);
	r->callers = agg_new(AGG_BY_CALLER);
	r->labels = strmap_new();
	r->addr_cache = strmap_new();
	r->folded_map = strmap_new();
	if (r->by != BY_KIND)
		r->groups = agg_new(r->by == BY_COMM ? AGG_BY_COMM :
				    r->by == BY_PID ? AGG_BY_PID : AGG_BY_CALLER);
	if (!r->kinds || !r->callers || !r->labels || !r->addr_cache ||
	    !r->folded_map || (r->by != BY_KIND && !r->groups)) {
		cmd_err("out of memory");
		return 2;
	}
	if (!r->perfetto_path)
		return 0;
	r->pf_file = fopen(r->perfetto_path, "w");
	if (r->pf_file)
		r->pf = perfetto_open(r->pf_file, r->base_ns);
	if (!r->pf) {
		cmd_err("cannot write %s: %s", r->perfetto_path,
			strerror(errno));
		return 2;
	}
	return 0;
}

static int close_perfetto(struct report *r)
{
	char base[96], when[64];
	__u64 n;
	int rc;

	if (!r->pf)
		return 0;
	if (r->realtime) {
		report_fmt_time(when, sizeof(when), r->base_ns);
		snprintf(base, sizeof(base), "ts 0 is %s (CLOCK_REALTIME %lld ns)",
			 when, (long long)r->base_ns);
	} else {
		snprintf(base, sizeof(base), "ts 0 is CLOCK_MONOTONIC %lld ns",
			 (long long)r->base_ns);
	}
	n = perfetto_close(r->pf, base);
	r->pf = NULL;
	rc = fclose(r->pf_file);
	r->pf_file = NULL;
	if (rc) {
		cmd_err("writing %s failed: %s", r->perfetto_path,
			strerror(errno));
		return 2;
	}
	cmd_warn("wrote %llu slices to %s", (unsigned long long)n,
		 r->perfetto_path);
	return 0;
}

static void cleanup(struct report *r)
{
	int i;

	if (r->pf)
		perfetto_close(r->pf, "");
	if (r->pf_file)
		fclose(r->pf_file);
	for (i = 0; i < r->nr_in; i++)
		report_free_input(&r->in[i]);
	free(r->in);
	agg_free(r->kinds);
	agg_free(r->groups);
	agg_free(r->callers);
	strmap_free(r->labels);
	strmap_free(r->addr_cache);
	strmap_free(r->folded_map);
	ksyms_free(r->ksyms);
}

static void output(struct report *r)
{
	if (r->json)
		report_print_json(r);
	else if (r->folded)
		folded_print(stdout, r->folded_map);
	else if (!r->csv)
		report_print_text(r);
}

/* Reads the inputs, then writes the exports and the report: 0, 1, 2. */
static int run(struct report *r)
{
	int rc, rc2;

	if (r->csv)
		csv_header(stdout);
	rc = report_read_inputs(r);
	if (rc != 2 && r->err) {
		cmd_err("out of memory");
		rc = 2;
	}
	if (rc == 2)
		return rc;
	/* the report follows, whatever befalls the Perfetto file */
	cmd_err_json_to(NULL);
	rc2 = close_perfetto(r);
	output(r);
	if (fflush(stdout) || ferror(stdout)) {
		cmd_err("writing the report failed");
		rc2 = 2;
	}
	return rc2 ? rc2 : rc;
}

int cmd_report(int argc, char **argv)
{
	struct report r = {};
	int rc;

	rc = parse_args(argc, argv, &r);
	if (rc >= 0)
		goto out;
	/* until the report is written, an error takes its place */
	cmd_err_json_to(r.json ? stdout : NULL);
	rc = report_open_inputs(&r);
	if (!rc) {
		report_time_base(&r);
		rc = setup(&r);
	}
	if (!rc)
		rc = run(&r);
out:
	cleanup(&r);
	return rc;
}
