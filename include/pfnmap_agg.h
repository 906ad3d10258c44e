/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pfnmap_agg.h - how the BPF side adds one operation to its group of the
 * in-kernel aggregates (struct pfnmap_agg).  Plain C on the two structs,
 * no helper call: the unit tests compile the very same code and hold it
 * to user space's summing of records (agg.c), bucket for bucket.
 * Include after pfnmap.h.
 */
#ifndef __PFNMAP_AGG_H_SHARED
#define __PFNMAP_AGG_H_SHARED

/* floor(log2(v)) for v > 0: no loop, no clz (BPF has neither) */
static inline __attribute__((always_inline)) __u32 pfnmap_log2(__u64 v)
{
	__u32 n = 0;

	if (v >> 32) {
		v >>= 32;
		n += 32;
	}
	if (v >> 16) {
		v >>= 16;
		n += 16;
	}
	if (v >> 8) {
		v >>= 8;
		n += 8;
	}
	if (v >> 4) {
		v >>= 4;
		n += 4;
	}
	if (v >> 2) {
		v >>= 2;
		n += 2;
	}
	if (v >> 1)
		n += 1;
	return n;
}

/* Below 2^SUB_BITS one bucket per value; above, 2^SUB_BITS per octave. */
static inline __attribute__((always_inline)) __u32 pfnmap_lat_bucket(__u64 v)
{
	const __u32 sub = 1U << PFNMAP_HIST_SUB_BITS;
	__u32 shift;

	if (v < sub)
		return (__u32)v;
	if (v >> PFNMAP_AGG_LAT_LOG)
		return PFNMAP_AGG_LAT_BUCKETS - 1;
	shift = pfnmap_log2(v) - PFNMAP_HIST_SUB_BITS;
	return (shift + 1) * sub + (__u32)(v >> shift) - sub;
}

/*
 * The registry's counters, summed as user space sums records (agg.c):
 * SUM adds (sign-extended), MAX keeps the largest, the others are kept
 * from exemplars or records only.  A zero is not added: most counters of
 * an operation are zero, and each add is a load and a store.  AGG_##value
 * pastes "SUM(0)" into "AGG_SUM(0)", which expands to the name of the
 * step for the counter.
 */
#define AGG_SUM(slot)		AGG_STEP_SUM
#define AGG_MAX(m)		AGG_STEP_MAX
#define AGG_CNT(m)		AGG_STEP_NONE
#define AGG_P50(h)		AGG_STEP_NONE
#define AGG_HMAX(h)		AGG_STEP_NONE
#define AGG_RECORD(id, f, m)
#define AGG_STEP_NONE(id, f, m)
#define AGG_STEP_SUM(id, f, m)						\
	if ((e->valid & PFNMAP_V_##f) && e->m)				\
		a->c[PFNMAP_C_##id] += (__u64)e->m;
#define AGG_STEP_MAX(id, f, m)						\
	if ((e->valid & PFNMAP_V_##f) && (__u64)e->m > a->c[PFNMAP_C_##id]) \
		a->c[PFNMAP_C_##id] = e->m;

static inline __attribute__((always_inline))
void pfnmap_agg_counters(struct pfnmap_agg *a, const struct pfnmap_event *e)
{
#define PFNMAP_COUNTER(id, field, member, name, key, value, ...)	\
	AGG_##value(id, field, member)
#include "pfnmap_fields.def"
}

/*
 * The fields an op knows: in one of the group's two mask slots (a load, a
 * compare and an add), per field only for a third mask.
 */
static inline __attribute__((always_inline))
void pfnmap_agg_known(struct pfnmap_agg *a, __u16 valid)
{
	__u32 f;
	int i;

	for (i = 0; i < 2; i++) {
		if (!a->vmask_ops[i])
			a->vmask[i] = valid;
		if (a->vmask[i] == valid) {
			a->vmask_ops[i]++;
			return;
		}
	}
	for (f = 0; f < PFNMAP_F_MAX; f++)
		if (valid & (1U << f))
			a->known[f]++;
}

static inline __attribute__((always_inline))
void pfnmap_agg_fields(struct pfnmap_agg *a, const struct pfnmap_event *e)
{
	__u32 r = e->retries;

	pfnmap_agg_known(a, e->valid);
	if (e->valid & PFNMAP_V_RETRIES)
		a->retry_dist[r ? pfnmap_log2(r) + 1 : 0]++;
	pfnmap_agg_counters(a, e);
}

static inline __attribute__((always_inline))
void pfnmap_agg_errno(struct pfnmap_agg *a, __s64 ret)
{
	__u64 err = 0 - (__u64)ret;

	a->errors++;
	if (err >= PFNMAP_AGG_ERRNOS) {
		a->err_other++;
		return;
	}
	/* a masked index after the test: clang would hoist the address */
	asm volatile("" : "+r"(err));
	a->err[err & (PFNMAP_AGG_ERRNOS - 1)]++;
}

static inline __attribute__((always_inline))
void pfnmap_agg_latency(struct pfnmap_agg *a, __u64 d)
{
	__u32 b = pfnmap_lat_bucket(d);

	if (!a->ops || d < a->lat_min)
		a->lat_min = d;
	if (d > a->lat_max)
		a->lat_max = d;
	a->lat_sum += d;
	if (b < PFNMAP_AGG_LAT_BUCKETS)
		a->lat[b]++;
}

/* One operation into its group (per CPU: no atomics needed). */
static inline __attribute__((always_inline))
void pfnmap_agg_add(struct pfnmap_agg *a, const struct pfnmap_event *e)
{
	pfnmap_agg_latency(a, e->duration_ns);
	if (!a->ops || e->start_ns < a->first_ns)
		a->first_ns = e->start_ns;
	if (e->start_ns > a->last_ns)
		a->last_ns = e->start_ns;
	a->ops++;
	if (e->ret < 0)
		pfnmap_agg_errno(a, e->ret);
	if (e->source < 64)
		a->sources |= 1ULL << e->source;
	pfnmap_agg_fields(a, e);
}

#endif /* __PFNMAP_AGG_H_SHARED */
