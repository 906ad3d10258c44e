/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_opts.h - the options every tracing command shares: -p, -c, -k,
 * --mode, -v.  Commands put TRACE_LONGOPTS in their getopt_long table
 * and hand unknown short/long options to trace_opt().
 */
#ifndef __PFNMAP_TRACE_OPTS_H
#define __PFNMAP_TRACE_OPTS_H

#include <getopt.h>
#include "session.h"

#define OPT_MODE	0x1000

#define TRACE_SHORTOPTS	"p:c:k:v"
#define TRACE_LONGOPTS							\
	{ "pid", required_argument, NULL, 'p' },			\
	{ "comm", required_argument, NULL, 'c' },			\
	{ "kind", required_argument, NULL, 'k' },			\
	{ "mode", required_argument, NULL, OPT_MODE },			\
	{ "verbose", no_argument, NULL, 'v' }

#define TRACE_OPTS_HELP							\
"  -p, --pid PID       only operations of process PID (and its threads)\n" \
"  -c, --comm COMM     only tasks whose comm is COMM (max 15 chars)\n"	\
"  -k, --kind K[,K..]  only these kinds: vfio_pin, follow_pfnmap,\n"	\
"                      fixup_user_fault, uffd_copy, uffd_zeropage,\n"	\
"                      uffd_continue, uffd_poison, vfio_map_dma, vfio_zap\n" \
"      --mode M        auto (default): fentry, else kprobe, else ioctl\n" \
"                      tracepoints; kprobe: skip fentry; syscall: ioctl\n" \
"                      tracepoints only\n"				\
"  -v, --verbose       libbpf's messages (-vv: debug)\n"

/* 1: handled, 0: not a trace option, -1: bad value (message printed). */
int trace_opt(int opt, const char *arg, struct session_opts *o,
	      const char *cmd);
/* After getopt's own message: one line pointing at --help. */
void try_help(const char *cmd);
/* Strict unsigned parse; -1 on junk. */
long long parse_count(const char *s);

#endif /* __PFNMAP_TRACE_OPTS_H */
