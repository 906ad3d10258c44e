/* SPDX-License-Identifier: GPL-2.0 */
/*
 * view.h - formatting shared by every view (stat, top, report): durations,
 * errno lists and the JSON object of one group of records.
 */
#ifndef __PFNMAP_VIEW_H
#define __PFNMAP_VIEW_H

#include <stddef.h>
#include <stdio.h>
#include "agg.h"
#include "json.h"

/* "850ns", "12.3us", "4.50ms", "1.20s" */
void fmt_ns(char *buf, size_t len, __u64 ns);
/* "EEXIST:3 EFAULT:1", most frequent first, at most max_items; "-" if none */
void fmt_errors(char *buf, size_t len, const struct agg_stats *s,
		int max_items);
/* A counter as text: the sum, or "-" when unknown. */
void fmt_field(char *buf, size_t len, const struct agg_stats *s,
	       enum agg_field f, int which);
bool field_known(const struct agg_stats *s, enum agg_field f);
/*
 * The members of one group's JSON object (the caller opens/closes it).
 * can_see: PFNMAP_V_* the source could fill in, so that a group without
 * records still says 0, not unknown, for what would have been seen.
 */
void stats_json(struct json *j, const struct agg_stats *s, __u16 can_see);

/* The nested counters of a group, one line each, indented by in. */
void print_nested(FILE *f, const struct agg_stats *t, int in);

#endif /* __PFNMAP_VIEW_H */
