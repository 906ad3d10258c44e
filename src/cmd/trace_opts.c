// SPDX-License-Identifier: GPL-2.0
/*
 * trace_opts.c - the options shared by tracing commands: parsing, and
 * their help, whose kind list comes from the registry.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "registry.h"
#include "trace_opts.h"

#define HELP_COL	22	/* where the text of an option starts */
#define HELP_WIDTH	76	/* longest line */

/* --mode: its values, in the order of enum trace_mode. */
enum trace_mode { MODE_AUTO, MODE_KPROBE, MODE_SYSCALL };
const char *const trace_modes[] = { "auto", "kprobe", "syscall", NULL };

void print_wrapped(FILE *f, const char *text, int col, int indent,
		   int width)
{
	bool fresh = !col || col == indent;	/* no word on this line yet */
	const char *p;
	int n;

	for (p = text; *p; p += n) {
		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (!n)
			break;
		if (!fresh && col + 1 + n > width) {
			col = fprintf(f, "\n%*s", indent, "") - 1;
			fresh = true;
		}
		if (!fresh)
			col += fprintf(f, " ");
		col += fprintf(f, "%.*s", n, p);
		fresh = false;
	}
	fputc('\n', f);
}

void trace_opts_help(FILE *f)
{
	char kinds[1024] = "";
	size_t len = 0;
	int k, col;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct reg_kind *r = reg_kind(k);

		if (r && len < sizeof(kinds))
			len += snprintf(kinds + len, sizeof(kinds) - len, "%s%s",
					len ? ", " : "", r->name);
	}
	fprintf(f,
"  -p, --pid PID       only operations of process PID (and its threads)\n"
"  -c, --comm COMM     only tasks whose comm is COMM (max 15 chars)\n");
	col = fprintf(f,
"  -k, --kind K[,K..]  only these kinds ('pfnmap list' says what each is):");
	print_wrapped(f, kinds, col, HELP_COL, HELP_WIDTH);
	trace_mode_help(f);
}

void trace_mode_help(FILE *f)
{
	fprintf(f,
"      --mode M        auto (default): fentry, else kprobe, else ioctl\n"
"                      tracepoints; kprobe: skip fentry; syscall: ioctl\n"
"                      tracepoints only\n"
"  -v, --verbose       libbpf's messages (-vv: debug)\n");
}

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
	__u32 got = 0;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int k = pfnmap_kind_parse(tok);

		if (k < 0) {
			fprintf(stderr, "pfnmap %s: unknown kind '%s' (see --help)\n",
				cmd, tok);
			return -1;
		}
		got |= 1U << k;
	}
	/* an empty mask means every kind: "-k ''" must not ask for that */
	if (!got) {
		fprintf(stderr, "pfnmap %s: no kind in -k '%s' (see --help)\n",
			cmd, arg);
		return -1;
	}
	*mask |= got;
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
		/* EPERM: it exists, it is just not ours to signal */
		if (kill(v, 0) && errno == ESRCH) {
			fprintf(stderr, "pfnmap %s: no such process: pid %lld\n",
				cmd, v);
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
		for (v = 0; trace_modes[v]; v++)
			if (!strcmp(arg, trace_modes[v]))
				break;
		if (v == MODE_KPROBE) {
			o->no_fentry = true;
		} else if (v == MODE_SYSCALL) {
			o->force_syscall = true;
		} else if (v != MODE_AUTO) {
			fprintf(stderr, "pfnmap %s: bad --mode '%s' (%s, %s, %s)\n",
				cmd, arg, trace_modes[MODE_AUTO],
				trace_modes[MODE_KPROBE], trace_modes[MODE_SYSCALL]);
			return -1;
		}
		return 1;
	}
	return 0;
}
