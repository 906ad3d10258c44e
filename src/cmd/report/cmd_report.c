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
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "cmds.h"
#include "errors.h"
#include "report.h"

const char *const report_by_names[BY_MAX] = {
	[BY_KIND] = "kind", [BY_COMM] = "comm", [BY_PID] = "pid",
	[BY_CALLER] = "caller", [BY_ERRNO] = "errno", [BY_ZAPPER] = "zapper",
	[BY_CGROUP] = "cgroup",
};

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap report [OPTIONS] [-i FILE]... [FILE...]\n"
"\n"
"Read captures written by 'pfnmap record' (default pfnmap.data; several\n"
"are merged) and print per kind: operations, errors by errno, retries\n"
"per operation (distribution and max), nested calls, zap races, latency;\n"
"then the callers of stand-alone follow_pfnmap/fixup_user_fault records\n"
"and vfio-pci zaps, as 'func+0x1c [module]': named by the capture itself\n"
"(record stores the symbol of each caller), else by --kallsyms FILE, else\n"
"by /proc/kallsyms if the capture was made on this very boot.  Counters a\n"
"capture could not see print as '-' (JSON null), never as 0.  The filters\n"
"(-p, -c, -k, --cgroup, --time) select records before anything counts or\n"
"exports them.\n"
"\n"
"  -i, --input FILE    a capture to read ('-': stdin); may repeat\n"
"      --by K          also group by kind, comm, pid, caller, errno, cgroup\n"
"                      (its path where the capture names it), or zapper\n"
"                      (zap races by the task whose vfio-pci zap caused\n"
"                      them, with the fault-in to zap gap)\n"
"      --hist          log2 latency histograms per kind\n"
"  -j, --json          the report as one JSON object\n"
"      --csv           one CSV line per operation, with a header line\n"
"      --folded        'comm;kind;caller-or-errno count' lines, for\n"
"                      flamegraph.pl or speedscope\n"
"      --perfetto OUT  write OUT as Chrome trace-event JSON (ui.perfetto.dev,\n"
"                      chrome://tracing), gzip if OUT ends in .gz: a track\n"
"                      per thread, a slice per operation, its counters as\n"
"                      arguments, arrows from each zap to the pins it\n"
"                      raced, ops/s and lost-record counters\n"
"      --kallsyms FILE\n"
"                      name callers with FILE (a /proc/kallsyms of the boot\n"
"                      the capture was made on), for captures that do not\n"
"                      name them\n"
"      --raw-addrs     print kernel addresses too (hex), and those no\n"
"                      symbol names; else they print as [unresolved]\n"
"\n"
"  -p, --pid PID       only operations of process PID\n"
"  -c, --comm COMM     only tasks whose comm is COMM\n"
"  -k, --kind K[,K..]  only these kinds\n"
"      --cgroup PATH   only tasks in cgroup PATH (as --by cgroup prints it)\n"
"                      or below it, or in the cgroup of that id\n"
"      --time START,END\n"
"                      only operations that started in [START, END):\n"
"                      seconds from the capture start, or @EPOCH seconds;\n"
"                      either may be empty\n"
"\n"
"A capture cut short or corrupt is read up to what is intact; one line on\n"
"stderr says what is missing.  Exit status: 0, 1 if an input is damaged\n"
"(the report shows what could be read), 2 on usage or unreadable input.\n");
}

/* ---- options ------------------------------------------------------------ */

enum {
	O_BY = 0x2000, O_HIST, O_CSV, O_FOLDED, O_PERFETTO, O_KALLSYMS,
	O_RAW_ADDRS, O_CGROUP, O_TIME,
};

static int parse_by(struct report *r, const char *arg)
{
	size_t i;

	for (i = 0; i < BY_MAX; i++)
		if (!strcmp(arg, report_by_names[i])) {
			r->by = i;
			return 0;
		}
	cmd_err("bad --by '%s' (kind, comm, pid, caller, errno, zapper, cgroup)",
		arg);
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

static int parse_pid(struct report *r, const char *arg)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (*end || end == arg || !v || v > 0x7fffffff) {
		cmd_err("bad pid '%s'", arg);
		return -1;
	}
	r->f.pid = v;
	return 0;
}

/* The filters; 1 if opt was not one of them, -1 on a bad value. */
static int filter_opt(struct report *r, int opt, const char *arg)
{
	switch (opt) {
	case 'p':
		return parse_pid(r, arg);
	case 'c':
		if (strlen(arg) >= PFNMAP_COMM_LEN) {
			cmd_err("comm '%s' is longer than %d characters", arg,
				PFNMAP_COMM_LEN - 1);
			return -1;
		}
		r->f.comm = arg;
		return 0;
	case 'k':
		return report_parse_kinds(r, arg);
	case O_CGROUP:
		r->f.cgroup = arg;
		return 0;
	case O_TIME:
		r->f.time = arg;
		return 0;
	}
	return 1;
}

/* -1: go on; else the exit status (usage printed, or an error). */
static int parse_args(int argc, char **argv, struct report *r)
{
	static const struct option longopts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "by", required_argument, NULL, O_BY },
		{ "hist", no_argument, NULL, O_HIST },
		{ "json", no_argument, NULL, 'j' },
		{ "csv", no_argument, NULL, O_CSV },
		{ "folded", no_argument, NULL, O_FOLDED },
		{ "perfetto", required_argument, NULL, O_PERFETTO },
		{ "kallsyms", required_argument, NULL, O_KALLSYMS },
		{ "raw-addrs", no_argument, NULL, O_RAW_ADDRS },
		{ "pid", required_argument, NULL, 'p' },
		{ "comm", required_argument, NULL, 'c' },
		{ "kind", required_argument, NULL, 'k' },
		{ "cgroup", required_argument, NULL, O_CGROUP },
		{ "time", required_argument, NULL, O_TIME },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, rc;

	r->in = calloc(argc + 1, sizeof(*r->in));
	if (!r->in) {
		cmd_err("out of memory");
		return 2;
	}
	while ((opt = getopt_long(argc, argv, "i:jhp:c:k:", longopts,
				  NULL)) != -1) {
		rc = filter_opt(r, opt, optarg);
		if (rc < 0)
			return 2;
		if (!rc)
			continue;
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
		case O_KALLSYMS:
			r->kallsyms_path = optarg;
			break;
		case O_RAW_ADDRS:
			r->raw_addrs = true;
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

/* --kallsyms: read now, so that a bad FILE is said before any output. */
static int load_kallsyms(struct report *r)
{
	if (!r->kallsyms_path)
		return 0;
	r->kallsyms = ksyms_load(r->kallsyms_path);
	if (!r->kallsyms) {
		cmd_err("--kallsyms %s: %s", r->kallsyms_path, strerror(errno));
		return 2;
	}
	if (!ksyms_count(r->kallsyms))
		cmd_warn("--kallsyms %s: no symbols in it", r->kallsyms_path);
	return 0;
}

/* gzip when the name says so: the JSON of a big capture shrinks ~10x. */
static ssize_t gz_write(void *cookie, const char *buf, size_t len)
{
	int n = len ? gzwrite(cookie, buf, len) : 0;

	return n > 0 || !len ? n : -1;
}

static int gz_close(void *cookie)
{
	return gzclose(cookie) == Z_OK ? 0 : EOF;
}

static FILE *open_output(const char *path)
{
	static const cookie_io_functions_t io = {
		.write = gz_write, .close = gz_close,
	};
	size_t n = strlen(path);
	gzFile gz;
	FILE *f;

	if (n < 3 || strcmp(path + n - 3, ".gz"))
		return fopen(path, "w");
	gz = gzopen(path, "wb6");
	if (!gz)
		return NULL;
	f = fopencookie(gz, "w", io);
	if (!f)
		gzclose(gz);
	return f;
}

static int setup(struct report *r)
{
	if (load_kallsyms(r) || report_filter_setup(r))
		return 2;
	r->kinds = agg_new(AGG_BY_KIND);
	r->callers = agg_new(AGG_BY_CALLER);
	r->labels = strmap_new();
	r->addr_cache = strmap_new();
	r->names = strmap_new();
	r->folded_map = strmap_new();
	if (r->by != BY_KIND)
		r->groups = agg_new(r->by == BY_COMM ? AGG_BY_COMM :
				    r->by == BY_PID ? AGG_BY_PID : AGG_BY_CALLER);
	if (!r->kinds || !r->callers || !r->labels || !r->addr_cache ||
	    !r->names || !r->folded_map || (r->by != BY_KIND && !r->groups)) {
		cmd_err("out of memory");
		return 2;
	}
	if (!r->perfetto_path)
		return 0;
	r->pf_file = open_output(r->perfetto_path);
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
	char base[192], when[64];
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
	if (r->f.time) {	/* a window: say which */
		size_t l = strlen(base);

		snprintf(base + l, sizeof(base) - l, "; --time %s", r->f.time);
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
	strmap_free(r->names);
	strmap_free(r->folded_map);
	ksyms_free(r->ksyms);
	ksyms_free(r->kallsyms);
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
