/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - `pfnmap top` without a screen: the aggregation of the interval
 * being collected and of the one shown, the rows with their column values,
 * sorting, grouping, the selection, pause, the histogram toggle and what
 * each key does, on a screen whose size is given.
 *
 * Pure: no ncurses, no libbpf, no I/O and no clock of its own (the caller
 * hands one in).  The screen (tui.c) and batch mode (batch.c) only read
 * it; tests/unit/test_top_model.c drives it with records, keys and a
 * made-up clock and screen, as bpftop tests its App apart from its TUI.
 */
#ifndef __PFNMAP_TOP_MODEL_H
#define __PFNMAP_TOP_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include "agg.h"

/*
 * Columns after the key columns, in screen order.  Only those with a
 * name can be sorted by (--sort, s, <, >).
 */
enum top_col {
	TOP_C_OPS = 0,
	TOP_C_ERRS,
	TOP_C_ERRNO,
	TOP_C_RETR,
	TOP_C_MAXR,
	TOP_C_ZAPS,
	TOP_C_ZAPPER,
	TOP_C_P50,
	TOP_C_P99,
	TOP_C_LMAX,
	TOP_C_PGOP,
	TOP_C_NCOLS,
};

struct top_column {
	const char	*title;
	int		width;		/* negative: left aligned */
	const char	*name;		/* --sort, JSON "sort"; NULL: not sortable */
};

extern const struct top_column top_columns[TOP_C_NCOLS];

/* Groupings in the order g cycles through them: enum agg_by. */
#define TOP_NR_BY	(AGG_BY_CALLER + 1)

/*
 * Keys model_key() knows besides printable characters.  The screen maps
 * its own codes (ncurses' KEY_UP, ...) to these.
 */
enum {
	MODEL_KEY_UP = 0x1000,
	MODEL_KEY_DOWN,
	MODEL_KEY_PPAGE,
	MODEL_KEY_NPAGE,
	MODEL_KEY_HOME,
	MODEL_KEY_END,
};

/*
 * Time comes from the caller: CLOCK_MONOTONIC (the clock of the records'
 * start_ns) for interval lengths, the wall clock for the header.
 */
struct model_clock {
	__u64		(*mono_ns)(void);
	time_t		(*wall)(void);
};

/*
 * Groups kept packed.  A group (struct agg_stats, 21 KiB) is mostly
 * zeros, unused errnos and histogram buckets, and top keeps hundreds
 * that it rarely reads: the kernel's groups between two readings, the
 * groups of the histograms.  As runs of zero and other words they take
 * a few hundred bytes each.  Keys must be normalized, as an agg's groups
 * have them: they are compared whole.
 */
struct packed;

struct packed *packed_new(void);
void packed_free(struct packed *p);
void packed_reset(struct packed *p);
/* Keeps a copy of st under its key, replacing one; 0 or -ENOMEM. */
int packed_put(struct packed *p, const struct agg_stats *st);
/* The group of key k, unpacked into *buf; NULL if there is none. */
const struct agg_stats *packed_get(const struct packed *p,
				   const struct agg_key *k,
				   struct agg_stats *buf);
size_t packed_count(const struct packed *p);
/* Operations of every group. */
__u64 packed_ops(const struct packed *p);

/* One group of the shown interval and its column values (NAN: unknown). */
struct top_row {
	const struct agg_stats	*st;
	double			v[TOP_C_NCOLS];
};

/* Readable by anyone; changed only through the functions below. */
struct top_model {
	const struct model_clock *clock;
	enum agg_by		by;
	int			sort;		/* enum top_col, sortable */
	struct agg		*cur;		/* interval being collected */
	struct agg		*shown;		/* the last complete interval */
	struct packed		*cum;		/* since cum_start: histograms */
	struct agg		*cum_one;	/* scratch: a group of cum, whole */
	struct agg_stats	*unpacked;	/* model_hist_stats()'s */
	__u64			cur_start;	/* it began as shown ended */
	__u64			shown_ns;	/* shown's length, 0: none */
	time_t			shown_at;	/* wall clock when it ended */
	__u64			cum_start;
	struct top_row		*rows;		/* shown's groups, sorted */
	size_t			nrows;
	bool			paused;
	bool			hist;		/* histogram of the selection */
	bool			quit;
	int			sel;		/* selected row */
	int			first;		/* first row on screen */
	struct agg_key		sel_key;	/* the selected group ... */
	bool			have_sel_key;	/* ... if one was selected */
	int			lines, cols;	/* the screen */
	char			msg[160];	/* status line, "" if none */
};

/* Grouped by `by`, sorted by `sort`; 0 or -ENOMEM (then model_free()). */
int model_init(struct top_model *m, enum agg_by by, int sort,
	       const struct model_clock *clock);
void model_free(struct top_model *m);

/* One record into the interval being collected; 0 or -ENOMEM. */
int model_add(struct top_model *m, const struct pfnmap_event *e);
/* Adds what one group of the in-kernel aggregates did in the interval. */
int model_add_group(struct top_model *m, const struct agg_stats *st);
/*
 * Ends the interval being collected: it becomes the one shown and the
 * next starts at the same instant.  1 if it did, 0 while paused (the
 * interval then goes on: the refresh after the pause covers all of it),
 * -ENOMEM.
 */
int model_refresh(struct top_model *m);
/* Starts over grouped by `by`, with no rows until the next refresh. */
int model_group(struct top_model *m, enum agg_by by);

/*
 * One key: q quits, s < > sort, g regroups, p pauses, h toggles the
 * histogram, Up/Down/k/j/PgUp/PgDn/Home/End select.  Others are ignored.
 * 0, or -ENOMEM if regrouping failed (the grouping is then unchanged).
 */
int model_key(struct top_model *m, int key);
/* The terminal's size: PgUp/PgDn move by half its lines. */
void model_resize(struct top_model *m, int lines, int cols);
/* Scrolls so that the selected row is among the `rows` lines shown. */
void model_scroll(struct top_model *m, int rows);

/* The selected group since cum_start (for the histogram), or NULL. */
const struct agg_stats *model_hist_stats(const struct top_model *m);
/* Operations since cum_start, over every group. */
__u64 model_cum_ops(const struct top_model *m);

/* Names: "pid", "ops"; parse: -1 if unknown (or not sortable). */
const char *model_by_name(enum agg_by by);
int model_by_parse(const char *name);
int model_sort_parse(const char *name);

#endif /* __PFNMAP_TOP_MODEL_H */
