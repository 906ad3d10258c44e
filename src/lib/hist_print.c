// SPDX-License-Identifier: GPL-2.0
/*
 * hist_print.c - bcc's print_log2_hist() layout for the latency and
 * retry histograms of `pfnmap report --hist` and `pfnmap top`.
 */
#include <stdio.h>
#include <string.h>
#include "hist_print.h"

#define STARS	40

__u64 log2_slot_low(int i)
{
	return i ? 1ULL << (i - 1) : 0;
}

__u64 log2_slot_high(int i)
{
	/* slot 64 ends at 2^64 - 1: the doubling wraps to just that */
	return i ? (1ULL << (i - 1)) * 2 - 1 : 0;
}

/*
 * agg's buckets split each power of two in HIST_SUB parts, so none
 * straddles two log2 slots: the fold is exact.
 */
void log2_slots(const struct lat_hist *h, __u64 slot[LOG2_SLOTS])
{
	unsigned int b;

	memset(slot, 0, LOG2_SLOTS * sizeof(*slot));
	for (b = 0; b < HIST_BUCKETS; b++) {
		__u64 lo = hist_bucket_low(b);

		slot[lo ? 64 - __builtin_clzll(lo) : 0] += h->bucket[b];
	}
}

static void row(__u64 lo, __u64 hi, __u64 n, __u64 max, hist_line_fn line,
		void *ctx)
{
	int stars = max ? (int)(n * STARS / max) : 0;
	char buf[160];
	int len;

	if (lo == hi)
		len = snprintf(buf, sizeof(buf), "%10llu%14s : %-8llu ",
			       (unsigned long long)lo, "",
			       (unsigned long long)n);
	else
		len = snprintf(buf, sizeof(buf), "%10llu -> %-10llu : %-8llu ",
			       (unsigned long long)lo, (unsigned long long)hi,
			       (unsigned long long)n);
	snprintf(buf + len, sizeof(buf) - len, "|%.*s%*s|", stars,
		 "****************************************", STARS - stars, "");
	line(ctx, buf);
}

/*
 * bcc shows 0 and 1 together ("0 -> 1"), fine for latency; a count of
 * retries keeps 0 on its own row (LOG2_ZERO_ROW).  Rows before the first
 * non-empty slot are left out, as bcc does.
 */
void log2_hist_print(const char *unit, const __u64 *slot, int nr,
		     unsigned int flags, hist_line_fn line, void *ctx)
{
	bool zero_row = flags & LOG2_ZERO_ROW;
	__u64 max = 0, one = zero_row ? slot[1] : slot[0] + slot[1];
	int i, first = -1, last = -1;
	char head[64];

	for (i = 0; i < nr; i++) {
		if (slot[i] > max)
			max = slot[i];
		if (slot[i] && first < 0)
			first = i;
		if (slot[i])
			last = i;
	}
	if (!zero_row && one > max)
		max = one;
	/* zeros alone still make the "0 -> 1" row */
	if (!zero_row && last == 0)
		last = 1;
	snprintf(head, sizeof(head), "     %-19s : count     distribution", unit);
	line(ctx, head);
	if (zero_row && first == 0)
		row(0, 0, slot[0], max, line, ctx);
	for (i = first < 1 ? 1 : first; i <= last; i++) {
		if (i == 1)
			row(zero_row ? 1 : 0, 1, one, max, line, ctx);
		else
			row(log2_slot_low(i), log2_slot_high(i), slot[i], max,
			    line, ctx);
	}
}

void hist_line_file(void *ctx, const char *line)
{
	FILE *f = ctx;

	fputs(line, f);
	fputc('\n', f);
}
