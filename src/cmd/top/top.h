/* SPDX-License-Identifier: GPL-2.0 */
/*
 * top.h - what the files of `pfnmap top` share: the options, the running
 * command (session, model, name caches, first error) and the functions
 * one file offers the others.
 *
 *   model.c	rows, sorting, grouping, selection, keys (pure: model.h)
 *   text.c	the lines the screen and batch mode both print
 *   tui.c	the ncurses screen, signals, the terminal's restoring
 *   batch.c	-b text and --json snapshots
 *   cgroups.c, syms.c	cgroup ids and kernel addresses to names
 *   cmd_top.c	options, the session and the main loop
 */
#ifndef __PFNMAP_TOP_H
#define __PFNMAP_TOP_H

#include <stdbool.h>
#include <stdio.h>
#include "cgroups.h"
#include "syms.h"
#include "model.h"
#include "session.h"

#define NSEC_PER_SEC		1000000000ULL

struct top_opts {
	struct session_opts	sess;
	__u64			interval_ns;
	long long		count;		/* -n, 0: forever */
	bool			batch;
	bool			json;
	enum agg_by		by;		/* at start; then the model's */
	int			sort;		/* enum top_col, at start */
	const char		*cgroup;	/* --cgroup PATH */
};

struct top {
	struct top_opts		*o;
	struct session		*s;
	struct cgroups		cg;
	struct top_ksyms	ksyms;
	struct top_model	m;
	struct packed		*snap;		/* the kernel's groups, last read */
	struct agg_stats	*delta;		/* scratch: one group's interval */
	struct agg_stats	*before;	/* scratch: its last reading */
	__u64			drops;		/* lost records, in all */
	__u64			drops_shown;	/* in the shown interval */
	long long		refreshes;
	int			err;		/* first error, -errno */
	const char		*err_what;	/* what failed */
	bool			tui;
};

/* cmd_top.c: keeps the first error for the end; returns 0. */
int top_fail(struct top *t, int err, const char *what);

/* text.c: lines go to a sink, the screen's or a FILE's. */
enum top_attr {
	TOP_A_NORMAL,
	TOP_A_BOLD,
	TOP_A_REVERSE,
};

struct top_out {
	/* Writes one line; false if the screen had no line left for it. */
	bool		(*line)(struct top_out *o, enum top_attr a,
				const char *s);
	FILE		*f;		/* batch */
	int		y, ymax;	/* screen: next line, first not ours */
};

bool top_put(struct top_out *o, enum top_attr a, const char *fmt, ...);
/* Title, totals, attach modes, what syscall mode cannot see, filters. */
void top_header(struct top *t, struct top_out *o);
/* The column titles; *sort_x and *sort_w locate the sort column. */
void top_title_line(struct top *t, char *buf, size_t len, int *sort_x,
		    int *sort_w);
void top_row_line(struct top *t, const struct top_row *r, bool selected,
		  char *buf, size_t len);
/* "pid 1234 qemu vfio_pin": a group in words. */
void top_key_desc(struct top *t, const struct agg_key *k, char *buf,
		  size_t len);
/* Column c of a row as text, "-" when unknown. */
void top_fmt_cell(char *buf, size_t len, const struct agg_stats *st,
		  const double *v, int c);
/* "4.2s", "73s". */
void top_fmt_secs(char *buf, size_t len, __u64 ns);

/* tui.c */
void top_signals_init(void);
/* SIGINT, SIGTERM or SIGHUP came: time to go. */
bool top_signalled(void);
int tui_begin(void);
/* Restores the terminal; safe to call more than once, or without a screen. */
void tui_end(void);
void tui_draw(struct top *t);
/* Applies the keys typed so far; redraws if there were any. */
void tui_read_keys(struct top *t);

/* batch.c: one snapshot on stdout; 0 or -errno if writing failed. */
int batch_print(struct top *t);

#endif /* __PFNMAP_TOP_H */
