// SPDX-License-Identifier: GPL-2.0
/* trace_opts.c - parsing of the options shared by tracing commands. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "trace_opts.h"

void try_help(const char *cmd)
{
	fprintf(stderr, "Try 'pfnmap %s --help'.\n", cmd);
}

long long parse_count(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end)
		return -1;
	return v;
}

static int parse_kinds(const char *arg, __u32 *mask, const char *cmd)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int k = pfnmap_kind_parse(tok);

		if (k < 0) {
			fprintf(stderr, "pfnmap %s: unknown kind '%s' (see --help)\n",
				cmd, tok);
			return -1;
		}
		*mask |= 1U << k;
	}
	return 1;
}

int trace_opt(int opt, const char *arg, struct session_opts *o,
	      const char *cmd)
{
	long long v;

	switch (opt) {
	case 'p':
		v = parse_count(arg);
		if (v <= 0 || v > 0x7fffffff) {
			fprintf(stderr, "pfnmap %s: bad pid '%s'\n", cmd, arg);
			return -1;
		}
		o->tgid = v;
		return 1;
	case 'c':
		if (strlen(arg) >= PFNMAP_COMM_LEN) {
			fprintf(stderr, "pfnmap %s: comm '%s' is longer than %d characters\n",
				cmd, arg, PFNMAP_COMM_LEN - 1);
			return -1;
		}
		o->comm = arg;
		return 1;
	case 'k':
		return parse_kinds(arg, &o->kinds, cmd);
	case 'v':
		o->verbose++;
		return 1;
	case OPT_MODE:
		if (!strcmp(arg, "syscall"))
			o->force_syscall = true;
		else if (!strcmp(arg, "kprobe"))
			o->no_fentry = true;
		else if (strcmp(arg, "auto")) {
			fprintf(stderr, "pfnmap %s: bad --mode '%s' (auto, kprobe, syscall)\n",
				cmd, arg);
			return -1;
		}
		return 1;
	}
	return 0;
}
