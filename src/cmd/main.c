// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - `pfnmap <command>`, perf style.  `pfnmap-top` (argv[0]) is
 * `pfnmap top`.
 */
#include <stdio.h>
#include <string.h>
#include <linux/types.h>
#include "cmds.h"
#include "pfnmap.h"

#ifndef PFNMAP_VERSION
#define PFNMAP_VERSION "0.0-dev"
#endif

struct command {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*help;
};

static const struct command commands[] = {
	{ "probe", cmd_probe, "what can be traced on this kernel, and how" },
	{ "stat", cmd_stat, "run a command, count its operations, retries, errors" },
	{ "record", cmd_record, "write every operation to a capture file (pfnmap.data)" },
	{ "report", cmd_report, "read capture files: totals, errors, retries, latency, exports" },
	{ "top", cmd_top, "live view: rates, retries, errors, latency per process" },
	{ "diff", cmd_diff, "compare two runs (stat JSON or captures): changes, p-values, verdicts" },
	{ NULL },
};

static void usage(FILE *f)
{
	const struct command *c;

	fprintf(f,
"usage: pfnmap [--version] [--help] COMMAND [ARGS]\n"
"\n"
"Trace the retry paths of VFIO PFNMAP pins (vfio_pin_pages_remote,\n"
"follow_pfnmap_start, fixup_user_fault) and userfaultfd fills (UFFDIO_COPY\n"
"and friends): one record per operation with its latency, return code,\n"
"retries and nested calls.\n"
"\n"
"Commands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->help);
	fprintf(f,
"\n"
"'pfnmap COMMAND --help' describes a command.  Needs root (or CAP_BPF and\n"
"CAP_PERFMON) and a kernel with BTF (/sys/kernel/btf/vmlinux).\n");
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int run(const char *name, int argc, char **argv)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c->fn(argc, argv);
	fprintf(stderr, "pfnmap: unknown command '%s' (see 'pfnmap --help')\n",
		name);
	return 2;
}

int main(int argc, char **argv)
{
	const char *self = base_name(argv[0]);

	if (!strncmp(self, "pfnmap-", 7))
		return run(self + 7, argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("pfnmap %s (record ABI %d)\n", PFNMAP_VERSION,
		       PFNMAP_ABI_VERSION);
		return 0;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "pfnmap: unknown option '%s' (see 'pfnmap --help')\n",
			argv[1]);
		return 2;
	}
	return run(argv[1], argc - 1, argv + 1);
}
