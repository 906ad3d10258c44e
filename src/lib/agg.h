/* SPDX-License-Identifier: GPL-2.0 */
/*
 * agg.h - aggregation of per-operation records.
 *
 * Pure user-space code: no BPF, no I/O.  `stat`, `top` and `report` all
 * feed struct pfnmap_event records into an agg and read groups back.
 */
#ifndef __PFNMAP_AGG_H
#define __PFNMAP_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "pfnmap.h"
#include "registry.h"

/*
 * Log-linear latency histogram: values below 2^HIST_SUB_BITS ns are exact,
 * above that each power of two is split in 2^HIST_SUB_BITS buckets, so a
 * percentile is off by at most 1/2^HIST_SUB_BITS (6.25%) of its value.
 * min and max are exact.
 */
/* the in-kernel aggregates use the same buckets (pfnmap.h) */
#define HIST_SUB_BITS	PFNMAP_HIST_SUB_BITS
#define HIST_SUB	(1U << HIST_SUB_BITS)
#define HIST_BUCKETS	((64 - HIST_SUB_BITS + 1) * HIST_SUB)

struct lat_hist {
	__u64	count;
	__u64	sum;
	__u64	min;
	__u64	max;
	__u64	bucket[HIST_BUCKETS];
};

void hist_add(struct lat_hist *h, __u64 v);
void hist_merge(struct lat_hist *dst, const struct lat_hist *src);
/* p in [0, 100]; returns the upper bound of the bucket holding it, capped at max. */
__u64 hist_percentile(const struct lat_hist *h, double p);
/* bucket index <-> value range, for printing. */
unsigned int hist_bucket(__u64 v);
__u64 hist_bucket_low(unsigned int b);
__u64 hist_bucket_high(unsigned int b);

/* Errnos 1..AGG_ERRNO_MAX-1 are counted one by one, larger ones together. */
#define AGG_ERRNO_MAX	600

/*
 * Counters that may be unknown: one per field of the registry, in PFNMAP_V_*
 * bit order.  sum[i] (and sum2, sum3: the field's other counters, by
 * slot) adds up the field over the records that had it valid, known[i]
 * counts those records: known[i] == 0 means "unknown" (print '-', JSON
 * null), 0 < known[i] < ops means "known for part of the records".
 */
enum agg_field {
#define PFNMAP_FIELD(id, bit, ...)	AGG_F_##id = bit,
#include "pfnmap_fields.def"
	AGG_F_MAX,
};

struct agg_key {
	__u8	kind;
	__u32	pid;		/* 0 unless grouped by pid */
	__u64	cgroup_id;	/* 0 unless grouped by cgroup */
	__u64	caller;		/* 0 unless grouped by caller */
	char	comm[PFNMAP_COMM_LEN];	/* "" unless grouped by comm or pid */
};

struct agg_stats {
	struct agg_key	key;
	__u64		ops;
	__u64		errors;			/* ret < 0 */
	__u64		err_count[AGG_ERRNO_MAX];	/* by -ret */
	__u64		err_other;		/* -ret >= AGG_ERRNO_MAX */
	__u64		known[AGG_F_MAX];
	__u64		sum[AGG_F_MAX];
	__u64		sum2[AGG_F_MAX];
	__u64		sum3[AGG_F_MAX];
	__u64		max_retries;
	__u64		max_retry_ns;		/* longest time spent retrying */
	__u64		zap_gap_neg;		/* zaps that began before the fault-in ended */
	__u32		last_zap_tid;		/* zapper of the latest attributed race */
	struct lat_hist	zap_gap;		/* fault-in end to zap, ns (>= 0) */
	__u64		retry_dist[33];		/* [0]: 0 retries, [i]: 2^(i-1) <= r < 2^i */
	__u32		sources;		/* bit (1 << enum pfnmap_source) seen */
	__u64		first_ns, last_ns;	/* start times seen */
	struct lat_hist	lat;
};

enum agg_by {
	AGG_BY_KIND = 0,
	AGG_BY_COMM,
	AGG_BY_PID,		/* pid + comm */
	AGG_BY_CGROUP,
	AGG_BY_CALLER,
	AGG_BY_ALL,		/* every field of the key: regroups later */
};

struct agg;

struct agg *agg_new(enum agg_by by);
void agg_free(struct agg *a);
/*
 * Adds one record; returns -ENOMEM if a new group could not be made.  An
 * exemplar (PFNMAP_EF_EXEMPLAR) is already counted in the in-kernel
 * aggregates: only what records alone carry is taken from it (the zap
 * attribution of a zap race).
 */
int agg_add(struct agg *a, const struct pfnmap_event *e);
/* Adds a whole group (key normalized for the grouping); -ENOMEM. */
int agg_add_group(struct agg *a, const struct agg_key *k,
		  const struct agg_stats *s);
/*
 * Adds one in-kernel group, its per-CPU values v[0..ncpu), to *s (the
 * key is the caller's): the same sums agg_add() makes of its records.
 */
void agg_stats_add_percpu(struct agg_stats *s, const struct pfnmap_agg *v,
			  int ncpu);
/* Forgets every group (top's per-interval view). */
void agg_reset(struct agg *a);
size_t agg_count(const struct agg *a);
/* Groups in insertion order; i < agg_count(). */
struct agg_stats *agg_at(const struct agg *a, size_t i);
/* Finds the group of a key, NULL if none. */
struct agg_stats *agg_find(const struct agg *a, const struct agg_key *k);
/* Merges all groups of one kind into *out (zeroed first). */
void agg_total_kind(const struct agg *a, int kind, struct agg_stats *out);
/*
 * d = now - before: what a group did between two readings of cumulative
 * aggregates (before may be NULL).  Counts and buckets subtract; the
 * extremes cannot: the latency's come from the buckets the interval
 * filled (within a bucket's width), the largest counters are now's.
 */
void agg_stats_sub(struct agg_stats *d, const struct agg_stats *now,
		   const struct agg_stats *before);
/* Adds src into dst (same key assumed). */
void agg_stats_merge(struct agg_stats *dst, const struct agg_stats *src);
/* Most frequent errno of a group, 0 if none. */
int agg_top_errno(const struct agg_stats *s);
/* A counter of the registry as a group sums it up (see reg_value). */
__u64 agg_counter_value(const struct agg_stats *s, const struct reg_counter *c);
static inline bool agg_known(const struct agg_stats *s, int field)
{
	return s->known[field] > 0;
}
/*
 * An empty group says 0, not unknown, for the fields its source could
 * see (can_see: PFNMAP_V_* set): marks them known.
 */
void agg_mark_visible(struct agg_stats *s, __u16 can_see);

/* Names: "vfio_pin", "uffd_copy", ...; NULL for an unknown value. */
const char *pfnmap_kind_name(int kind);
int pfnmap_kind_parse(const char *name);	/* -1 if unknown */
const char *pfnmap_source_name(int source);	/* "fentry", "kprobe", "syscall" */
/* "EINVAL" for 22; "E524"-style name is never returned: unknown -> NULL. */
const char *errno_name(int err);
int errno_parse(const char *name);		/* -1 if unknown */

#endif /* __PFNMAP_AGG_H */
