/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_opts.h - the options every tracing command shares: the filters
 * -p, -c, -k and the attach options --mode, -v.  Commands put
 * TRACE_LONGOPTS in their getopt_long table, hand unknown short/long
 * options to trace_opt() and print their help with trace_opts_help().
 * A command that filters nothing (probe) takes TRACE_MODE_LONGOPTS and
 * trace_mode_help() only.
 */
#ifndef __PFNMAP_TRACE_OPTS_H
#define __PFNMAP_TRACE_OPTS_H

#include <getopt.h>
#include <stdio.h>
#include "session.h"

#define OPT_MODE	0x1000

#define TRACE_MODE_SHORTOPTS	"v"
#define TRACE_MODE_LONGOPTS						\
	{ "mode", required_argument, NULL, OPT_MODE },			\
	{ "verbose", no_argument, NULL, 'v' }
#define TRACE_SHORTOPTS	"p:c:k:" TRACE_MODE_SHORTOPTS
#define TRACE_LONGOPTS							\
	{ "pid", required_argument, NULL, 'p' },			\
	{ "comm", required_argument, NULL, 'c' },			\
	{ "kind", required_argument, NULL, 'k' },			\
	TRACE_MODE_LONGOPTS

/* The values of --mode, NULL-terminated (also for shell completion). */
extern const char *const trace_modes[];

/*
 * The --help lines of these options, with the kinds of the registry
 * (reg_kinds[]) wrapped to the width of the other lines; of --mode and
 * -v only.
 */
void trace_opts_help(FILE *f);
void trace_mode_help(FILE *f);

/*
 * Prints the blank-separated words of text on a line that has col
 * characters already (a blank goes first unless col is 0 or indent),
 * breaking lines before width and starting each new one at column
 * indent; ends with a newline.
 */
void print_wrapped(FILE *f, const char *text, int col, int indent,
		   int width);

/* 1: handled, 0: not a trace option, -1: bad value (message printed). */
int trace_opt(int opt, const char *arg, struct session_opts *o,
	      const char *cmd);
/* After getopt's own message: one line pointing at --help. */
void try_help(const char *cmd);
/* Strict unsigned parse; -1 on junk. */
long long parse_count(const char *s);

#endif /* __PFNMAP_TRACE_OPTS_H */
