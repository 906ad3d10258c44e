// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - `pfnmap <command>`, perf style.  `pfnmap-top` (argv[0]) is
 * `pfnmap top`.  `pfnmap help COMMAND` is its manual page, else its
 * --help.  `pfnmap --list-values` (not in --help) is for the generator of
 * the bash completion.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/types.h>
#include "cmds.h"
#include "complete.h"
#include "errors.h"
#include "pfnmap.h"

#ifndef PFNMAP_VERSION
#define PFNMAP_VERSION "0.0-dev"
#endif

struct command {
	const char	*name;
	int		(*fn)(int argc, char **argv);
	const char	*help;
};

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
	{ "probe", cmd_probe, "what can be traced on this kernel, and how" },
	{ "stat", cmd_stat, "run a command, count its operations, retries, errors" },
	{ "record", cmd_record, "write every operation to a capture file (pfnmap.data)" },
	{ "report", cmd_report, "read capture files: totals, errors, retries, latency, exports" },
	{ "top", cmd_top, "live view: rates, retries, errors, latency per process" },
	{ "diff", cmd_diff, "compare runs (stat JSON or captures), several a side: changes, p-values, verdicts" },
	{ "export", cmd_export, "Prometheus metrics on HTTP or as a textfile, for a fleet" },
	{ "list", cmd_list, "the kinds, fields and counters pfnmap knows (its registry)" },
	{ "help", cmd_help, "pfnmap(8) or pfnmap-COMMAND(8); without man pages, the --help" },
	{ NULL },
};

static void usage(FILE *f)
{
	const struct command *c;

	fprintf(f,
"usage: pfnmap [--version] [--help] COMMAND [ARGS]\n"
"       pfnmap help [COMMAND]\n"
"\n"
"Trace the retry paths of VFIO PFNMAP pins (vfio_pin_pages_remote,\n"
"follow_pfnmap_start, fixup_user_fault) and userfaultfd fills (UFFDIO_COPY\n"
"and friends): one record per operation with its latency, return code,\n"
"retries and nested calls.\n"
"\n"
"  -h, --help          this text\n"
"      --version       the version of pfnmap and of its record format\n"
"\n"
"Commands:\n");
	for (c = commands; c->name; c++)
		fprintf(f, "  %-8s %s\n", c->name, c->help);
	fprintf(f,
"\n"
"'pfnmap COMMAND --help' describes a command.  Needs root (or CAP_BPF and\n"
"CAP_PERFMON) and a kernel with BTF (/sys/kernel/btf/vmlinux).\n"
"Exit status: the command's; 2 on an unknown command or option.\n");
}

static const struct command *find(const char *name)
{
	const struct command *c;

	for (c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Does man(1) find manual page `page` of section 8 (MANPATH counts)? */
static int have_man_page(const char *page)
{
	int status, fd;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return 0;
	if (!pid) {
		fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execlp("man", "man", "-w", "8", page, (char *)NULL);
		_exit(127);
	}
	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

/*
 * `pfnmap help [COMMAND]`: pfnmap(8) or pfnmap-COMMAND(8) when man(1) has
 * it (an installed pfnmap), else the --help text (a build tree).
 */
static int cmd_help(int argc, char **argv)
{
	const struct command *c = NULL;
	char page[32] = "pfnmap";
	char *help[] = { NULL, "--help", NULL };

	if (argc > 2) {
		cmd_err("one command at most (see 'pfnmap --help')");
		return 2;
	}
	if (argc == 2) {
		c = find(argv[1]);
		if (!c) {
			cmd_err("unknown command '%s' (see 'pfnmap --help')",
				argv[1]);
			return 2;
		}
		if (c->fn == cmd_help)
			c = NULL;
		else
			snprintf(page, sizeof(page), "pfnmap-%s", c->name);
	}
	if (have_man_page(page)) {
		execlp("man", "man", "8", page, (char *)NULL);
		cmd_err("cannot run man: %s", strerror(errno));
	}
	if (!c) {
		usage(stdout);
		return 0;
	}
	cmd_err_init(c->name);
	help[0] = (char *)c->name;
	return c->fn(2, help);
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

static int run(const char *name, int argc, char **argv)
{
	const struct command *c = find(name);

	if (!c) {
		cmd_err("unknown command '%s' (see 'pfnmap --help')", name);
		return 2;
	}
	/* every message from here on says which command */
	cmd_err_init(c->name);
	return c->fn(argc, argv);
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
	if (!strcmp(argv[1], "--list-values")) {
		list_values(stdout);
		return 0;
	}
	if (argv[1][0] == '-') {
		cmd_err("unknown option '%s' (see 'pfnmap --help')", argv[1]);
		return 2;
	}
	return run(argv[1], argc - 1, argv + 1);
}
