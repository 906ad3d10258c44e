/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hist_print.h - log2 histograms as bcc's print_log2_hist() prints them,
 * the layout kernel developers read at a glance:
 *
 *      nsecs               : count     distribution
 *       1024 -> 2047       : 91       |*********                               |
 *
 * Printed a line at a time through a callback, so that a curses screen
 * can take them as well as a FILE.
 */
#ifndef __PFNMAP_HIST_PRINT_H
#define __PFNMAP_HIST_PRINT_H

#include <linux/types.h>
#include "agg.h"

/* Slot 0 counts zeros, slot i > 0 counts [2^(i-1), 2^i - 1]. */
#define LOG2_SLOTS	65

__u64 log2_slot_low(int i);
__u64 log2_slot_high(int i);
/* Folds a latency histogram of agg into log2 slots, exactly. */
void log2_slots(const struct lat_hist *h, __u64 slot[LOG2_SLOTS]);

/* A count of retries: 0 keeps a row of its own instead of "0 -> 1". */
#define LOG2_ZERO_ROW	(1U << 0)

typedef void (*hist_line_fn)(void *ctx, const char *line);

/* The header line, then a row from the first to the last slot in use. */
void log2_hist_print(const char *unit, const __u64 *slot, int nr,
		     unsigned int flags, hist_line_fn line, void *ctx);
/* A hist_line_fn for a FILE *ctx: the line and a newline. */
void hist_line_file(void *ctx, const char *line);

#endif /* __PFNMAP_HIST_PRINT_H */
