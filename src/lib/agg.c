// SPDX-License-Identifier: GPL-2.0
/*
 * agg.c - aggregation of per-operation records: a log-linear latency
 * histogram and a table of groups keyed by kind plus the fields chosen
 * with enum agg_by.
 *
 * Groups are allocated one by one and listed in insertion order in a
 * growable pointer array, so a pointer from agg_at() stays valid while
 * records are added.  An open-addressing index (linear probing, at most
 * half full) maps a key to its position in that array.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"

/* Histogram */

/*
 * Bucket b < HIST_SUB holds the value b.  Above, group g = b / HIST_SUB
 * covers [2^(g+3), 2^(g+4)) split in HIST_SUB buckets of width 2^(g-1):
 * a bucket is never wider than 1/HIST_SUB of the values it holds.
 */
unsigned int hist_bucket(__u64 v)
{
	unsigned int shift;

	if (v < HIST_SUB)
		return (unsigned int)v;
	shift = 63 - __builtin_clzll(v) - HIST_SUB_BITS;
	return (shift + 1) * HIST_SUB + (unsigned int)(v >> shift) - HIST_SUB;
}

static unsigned int bucket_shift(unsigned int b)
{
	return b / HIST_SUB - 1;
}

__u64 hist_bucket_low(unsigned int b)
{
	if (b < HIST_SUB)
		return b;
	if (b >= HIST_BUCKETS)
		return UINT64_MAX;
	return (__u64)(HIST_SUB + b % HIST_SUB) << bucket_shift(b);
}

__u64 hist_bucket_high(unsigned int b)
{
	if (b < HIST_SUB)
		return b;
	if (b >= HIST_BUCKETS)
		return UINT64_MAX;
	/* The last bucket ends at UINT64_MAX: add the width without overflow. */
	return hist_bucket_low(b) + ((1ULL << bucket_shift(b)) - 1);
}

/* Folds count/min/max/sum of n values in [lo, hi] into h. */
static void hist_account(struct lat_hist *h, __u64 n, __u64 sum, __u64 lo, __u64 hi)
{
	if (!n)
		return;
	if (!h->count || lo < h->min)
		h->min = lo;
	if (!h->count || hi > h->max)
		h->max = hi;
	h->count += n;
	h->sum += sum;
}

void hist_add(struct lat_hist *h, __u64 v)
{
	hist_account(h, 1, v, v, v);
	h->bucket[hist_bucket(v)]++;
}

void hist_merge(struct lat_hist *dst, const struct lat_hist *src)
{
	unsigned int b;

	if (!src->count)
		return;
	hist_account(dst, src->count, src->sum, src->min, src->max);
	for (b = 0; b < HIST_BUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
}

/* 1-based rank of percentile p: the smallest r with r >= p% of count. */
static __u64 hist_rank(__u64 count, double p)
{
	double x;
	__u64 r;

	if (!(p > 0))		/* also NaN */
		return 1;
	if (p >= 100)
		return count;
	/* p * count first: exact for integer p, where p / 100 is not. */
	x = p * (double)count / 100.0;
	r = (__u64)x;
	if ((double)r < x)
		r++;
	return r ? r : 1;
}

__u64 hist_percentile(const struct lat_hist *h, double p)
{
	__u64 rank, seen = 0;
	unsigned int b;

	if (!h->count)
		return 0;
	rank = hist_rank(h->count, p);
	for (b = 0; b < HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank)
			break;
	}
	if (b == HIST_BUCKETS || hist_bucket_high(b) > h->max)
		return h->max;
	return hist_bucket_high(b);
}

/* Group table */

/*
 * A counter that records add up (RV_SUM) or keep the largest of (RV_MAX):
 * where agg_add() reads it in the record and where it goes in the group.
 */
struct agg_counter {
	__u16	off;		/* in struct pfnmap_event */
	__u8	size;
	bool	is_signed;
	bool	is_max;
	__u32	aoff;		/* a __u64 of struct agg_stats */
};

struct agg {
	enum agg_by		by;
	struct agg_stats	**groups;	/* insertion order */
	size_t			count;
	size_t			cap;		/* of groups */
	__u32			*slots;		/* index into groups + 1, 0: free */
	size_t			nslots;		/* power of two */
	struct agg_stats	*last;		/* of the previous record */
	/*
	 * The registry's RV_SUM and RV_MAX counters by field: those of
	 * field f are ctr[f ? ctr_end[f - 1] : 0, ctr_end[f]).  A record
	 * is then added in the time of the fields it has valid, not of
	 * every counter of the registry.
	 */
	struct agg_counter	ctr[PFNMAP_C_MAX];
	__u8			ctr_end[AGG_F_MAX];
};

#define AGG_MIN_SLOTS	64

/*
 * Builds the key of a record for a grouping.  The whole key, padding
 * included, is zeroed first so that keys can be compared with memcmp().
 * comm is copied up to its NUL and always terminated.
 */
static void key_init(struct agg_key *k, enum agg_by by, const struct agg_key *src)
{
	memset(k, 0, sizeof(*k));
	k->kind = src->kind;
	switch (by) {
	case AGG_BY_PID:
		k->pid = src->pid;
		/* fall through */
	case AGG_BY_COMM:
		/* Stops at NUL; k->comm is zeroed so it ends terminated. */
		memccpy(k->comm, src->comm, '\0', sizeof(k->comm) - 1);
		break;
	case AGG_BY_CGROUP:
		k->cgroup_id = src->cgroup_id;
		break;
	case AGG_BY_CALLER:
		k->caller = src->caller;
		break;
	case AGG_BY_ALL:
		k->pid = src->pid;
		k->cgroup_id = src->cgroup_id;
		k->caller = src->caller;
		memccpy(k->comm, src->comm, '\0', sizeof(k->comm) - 1);
		break;
	case AGG_BY_KIND:
		break;
	}
}

static void key_of_event(struct agg_key *k, enum agg_by by, const struct pfnmap_event *e)
{
	struct agg_key full = {
		.kind		= e->kind,
		.pid		= e->pid,
		.cgroup_id	= e->cgroup_id,
		.caller		= e->caller,
	};

	/* key_init() takes at most PFNMAP_COMM_LEN - 1 bytes of it. */
	memcpy(full.comm, e->comm, sizeof(full.comm));
	key_init(k, by, &full);
}

static __u64 mix64(__u64 h)
{
	/* murmur3 finalizer: spreads every input bit over the low bits. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/*
 * Each part times its own odd constant, the products summed, then one
 * finalizer: the multiplications run side by side, where a finalizer per
 * part would chain five of them.
 */
static __u64 key_hash(const struct agg_key *k)
{
	__u64 comm[2];

	memcpy(comm, k->comm, sizeof(comm));
	return mix64((k->kind ^ ((__u64)k->pid << 8)) * 0x9e3779b97f4a7c15ULL +
		     k->cgroup_id * 0xc2b2ae3d27d4eb4fULL +
		     k->caller * 0x165667b19e3779f9ULL +
		     comm[0] * 0xd6e8feb86659fd93ULL +
		     comm[1] * 0xff51afd7ed558ccdULL);
}

/* The slot holding k, or the free slot where it would go. */
static __u32 *slot_find(const struct agg *a, const struct agg_key *k)
{
	size_t mask = a->nslots - 1;
	size_t i = key_hash(k) & mask;
	__u32 *s;

	for (;; i = (i + 1) & mask) {
		s = &a->slots[i];
		if (!*s || !memcmp(&a->groups[*s - 1]->key, k, sizeof(*k)))
			return s;
	}
}

static int slots_resize(struct agg *a, size_t nslots)
{
	__u32 *old = a->slots;
	size_t i;

	a->slots = calloc(nslots, sizeof(*a->slots));
	if (!a->slots) {
		a->slots = old;
		return -ENOMEM;
	}
	a->nslots = nslots;
	for (i = 0; i < a->count; i++)
		*slot_find(a, &a->groups[i]->key) = (__u32)(i + 1);
	free(old);
	return 0;
}

/* Makes room for one more group in both the array and the index. */
static int agg_reserve(struct agg *a)
{
	struct agg_stats **g;
	size_t cap;

	if (a->count >= UINT32_MAX - 1)
		return -ENOMEM;
	if (a->count == a->cap) {
		cap = a->cap ? a->cap * 2 : AGG_MIN_SLOTS / 2;
		g = realloc(a->groups, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		a->groups = g;
		a->cap = cap;
	}
	/* Keep the index at most half full: probes stay short. */
	if ((a->count + 1) * 2 > a->nslots)
		return slots_resize(a, a->nslots * 2);
	return 0;
}

static void counters_init(struct agg *a)
{
	static const size_t sums[3] = {
		offsetof(struct agg_stats, sum),
		offsetof(struct agg_stats, sum2),
		offsetof(struct agg_stats, sum3),
	};
	const struct reg_counter *c;
	struct agg_counter *d = a->ctr;
	int f;

	for (f = 0; f < AGG_F_MAX; f++) {
		reg_for_each_counter(c, f) {
			if (c->value != RV_SUM && c->value != RV_MAX)
				continue;
			d->off = c->off;
			d->size = c->size;
			d->is_signed = c->is_signed;
			d->is_max = c->value == RV_MAX;
			if (d->is_max)
				d->aoff = c->aoff;
			else
				d->aoff = sums[c->slot] + f * sizeof(__u64);
			d++;
		}
		a->ctr_end[f] = d - a->ctr;
	}
}

struct agg *agg_new(enum agg_by by)
{
	struct agg *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->by = by;
	counters_init(a);
	a->nslots = AGG_MIN_SLOTS;
	a->slots = calloc(a->nslots, sizeof(*a->slots));
	if (!a->slots) {
		free(a);
		return NULL;
	}
	return a;
}

void agg_reset(struct agg *a)
{
	size_t i;

	for (i = 0; i < a->count; i++)
		free(a->groups[i]);
	a->count = 0;
	a->last = NULL;
	memset(a->slots, 0, a->nslots * sizeof(*a->slots));
}

void agg_free(struct agg *a)
{
	if (!a)
		return;
	agg_reset(a);
	free(a->groups);
	free(a->slots);
	free(a);
}

size_t agg_count(const struct agg *a)
{
	return a->count;
}

struct agg_stats *agg_at(const struct agg *a, size_t i)
{
	return i < a->count ? a->groups[i] : NULL;
}

/* The key is normalized for the grouping, as agg_add() would. */
struct agg_stats *agg_find(const struct agg *a, const struct agg_key *k)
{
	struct agg_key nk;
	__u32 *s;

	key_init(&nk, a->by, k);
	s = slot_find(a, &nk);
	return *s ? a->groups[*s - 1] : NULL;
}

static struct agg_stats *agg_get(struct agg *a, const struct agg_key *k)
{
	struct agg_stats *st;
	__u32 *s = slot_find(a, k);

	if (*s)
		return a->last = a->groups[*s - 1];
	if (agg_reserve(a))
		return NULL;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	/* memcpy, not assignment: the padding must stay zero for memcmp(). */
	memcpy(&st->key, k, sizeof(*k));
	a->groups[a->count++] = st;
	/* agg_reserve() may have rehashed: look the free slot up again. */
	*slot_find(a, k) = (__u32)a->count;
	return a->last = st;
}

/* Stats of one record */

static void add_u64s(__u64 *dst, const __u64 *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] += src[i];
}

/* [0]: no retry, [i]: 2^(i-1) <= r < 2^i. */
static unsigned int retry_bucket(__u32 r)
{
	return r ? 32 - __builtin_clz(r) : 0;
}

static void stats_count_errno(struct agg_stats *s, __s64 ret)
{
	/* Negate in unsigned: -INT64_MIN is undefined. */
	__u64 err = 0 - (__u64)ret;

	s->errors++;
	if (err < AGG_ERRNO_MAX)
		s->err_count[err]++;
	else
		s->err_other++;
}

/* A counter of a record, sign-extended as reg_counter_read() does. */
static inline __u64 counter_read(const struct pfnmap_event *e,
				 const struct agg_counter *c)
{
	const char *p = (const char *)e + c->off;
	__u32 u32;
	__u16 u16;
	__u64 u64;

	switch (c->size) {
	case 1:
		return c->is_signed ? (__u64)(__s8)*p : (__u8)*p;
	case 2:
		memcpy(&u16, p, 2);
		return c->is_signed ? (__u64)(__s16)u16 : u16;
	case 4:
		memcpy(&u32, p, 4);
		return c->is_signed ? (__u64)(__s32)u32 : u32;
	default:
		memcpy(&u64, p, 8);
		return u64;
	}
}

/* The counters of field f: summed (RV_SUM) or the largest kept. */
static void stats_count_counters(const struct agg *a, struct agg_stats *s,
				 const struct pfnmap_event *e, int f)
{
	const struct agg_counter *c = a->ctr + (f ? a->ctr_end[f - 1] : 0);
	const struct agg_counter *end = a->ctr + a->ctr_end[f];
	__u64 v, *p;

	for (; c < end; c++) {
		v = counter_read(e, c);
		p = (__u64 *)((char *)s + c->aoff);
		if (!c->is_max)
			*p += v;
		else if (v > *p)
			*p = v;
	}
}

/* The zap of a zap race: who, and when relative to the fault-in. */
static void stats_count_zap(struct agg_stats *s, const struct pfnmap_event *e)
{
	if (!(e->valid & PFNMAP_V_ZAP_ATTR) || !e->zaps_attributed)
		return;
	s->last_zap_tid = e->zap_tid;
	if (e->zap_gap_ns < 0)
		s->zap_gap_neg++;
	else
		hist_add(&s->zap_gap, (__u64)e->zap_gap_ns);
}

/* Only the counters the record vouches for (e->valid) are added. */
static void stats_count_fields(const struct agg *a, struct agg_stats *s,
			       const struct pfnmap_event *e)
{
	unsigned int v = e->valid & ((1U << AGG_F_MAX) - 1);
	int f;

	for (; v; v &= v - 1) {
		f = __builtin_ctz(v);
		s->known[f]++;
		stats_count_counters(a, s, e, f);
	}
	if (e->valid & PFNMAP_V_RETRIES)
		s->retry_dist[retry_bucket(e->retries)]++;
	stats_count_zap(s, e);
}

static void stats_time_range(struct agg_stats *s, __u64 first, __u64 last)
{
	if (!s->ops || first < s->first_ns)
		s->first_ns = first;
	if (!s->ops || last > s->last_ns)
		s->last_ns = last;
}

static void stats_add_event(const struct agg *a, struct agg_stats *s,
			    const struct pfnmap_event *e)
{
	stats_time_range(s, e->start_ns, e->start_ns);
	s->ops++;
	if (e->ret < 0)
		stats_count_errno(s, e->ret);
	stats_count_fields(a, s, e);
	if (e->source < 32)
		s->sources |= 1U << e->source;
	hist_add(&s->lat, e->duration_ns);
}

/*
 * Would key_of_event() give e the key k?  Field by field: a key built on
 * the stack and read back whole with memcmp() would wait for its stores.
 * strncmp(): key_init() keeps comm up to its NUL, at most
 * PFNMAP_COMM_LEN - 1 bytes, the rest zero.
 */
static bool key_matches(const struct agg_key *k, enum agg_by by,
			const struct pfnmap_event *e)
{
	if (k->kind != e->kind)
		return false;
	switch (by) {
	case AGG_BY_KIND:
		return true;
	case AGG_BY_PID:
		return k->pid == e->pid &&
		       !strncmp(k->comm, e->comm, PFNMAP_COMM_LEN - 1);
	case AGG_BY_COMM:
		return !strncmp(k->comm, e->comm, PFNMAP_COMM_LEN - 1);
	case AGG_BY_CGROUP:
		return k->cgroup_id == e->cgroup_id;
	case AGG_BY_CALLER:
		return k->caller == e->caller;
	case AGG_BY_ALL:
		return k->pid == e->pid && k->cgroup_id == e->cgroup_id &&
		       k->caller == e->caller &&
		       !strncmp(k->comm, e->comm, PFNMAP_COMM_LEN - 1);
	}
	return false;
}

int agg_add(struct agg *a, const struct pfnmap_event *e)
{
	struct agg_key k;
	struct agg_stats *s;

	/* records come in runs of one task and kind: no hash for those */
	if (a->last && key_matches(&a->last->key, a->by, e)) {
		s = a->last;
	} else {
		key_of_event(&k, a->by, e);
		s = agg_get(a, &k);
		if (!s)
			return -ENOMEM;
	}
	if (e->flags & PFNMAP_EF_EXEMPLAR)
		stats_count_zap(s, e);
	else
		stats_add_event(a, s, e);
	return 0;
}

int agg_add_group(struct agg *a, const struct agg_key *k,
		  const struct agg_stats *s)
{
	struct agg_key nk;
	struct agg_stats *st;

	key_init(&nk, a->by, k);
	st = agg_get(a, &nk);
	if (!st)
		return -ENOMEM;
	agg_stats_merge(st, s);
	return 0;
}

_Static_assert(PFNMAP_AGG_LAT_BUCKETS <= HIST_BUCKETS, "latency buckets");
_Static_assert(PFNMAP_AGG_ERRNOS <= AGG_ERRNO_MAX, "errno table");
_Static_assert(PFNMAP_AGG_RETRY_DIST ==
	       sizeof(((struct agg_stats *)0)->retry_dist) / sizeof(__u64),
	       "retry distribution");
_Static_assert((int)PFNMAP_F_MAX == (int)AGG_F_MAX, "fields");

/* One CPU's latency buckets: the same layout as struct lat_hist's. */
static void percpu_latency(struct agg_stats *s, const struct pfnmap_agg *v)
{
	unsigned int b;

	hist_account(&s->lat, v->ops, v->lat_sum, v->lat_min, v->lat_max);
	for (b = 0; b < PFNMAP_AGG_LAT_BUCKETS; b++)
		s->lat.bucket[b] += v->lat[b];
}

/* The registry's counters as stats_count_counters() sums records. */
static void percpu_counters(struct agg_stats *s, const struct pfnmap_agg *v)
{
	__u64 *sums[3] = { s->sum, s->sum2, s->sum3 };
	const struct reg_counter *c;
	__u64 *p;
	int i;

	for (i = 0; i < PFNMAP_C_MAX; i++) {
		c = &reg_counters[i];
		if (c->value == RV_SUM) {
			sums[c->slot][c->field] += v->c[i];
		} else if (c->value == RV_MAX) {
			p = (__u64 *)((char *)s + c->aoff);
			if (v->c[i] > *p)
				*p = v->c[i];
		}
	}
}

/* known[] of the ops of the two mask slots, then of all the others. */
static void percpu_known(struct agg_stats *s, const struct pfnmap_agg *v)
{
	int i, f;

	for (i = 0; i < 2; i++)
		for (f = 0; f < PFNMAP_F_MAX; f++)
			if (v->vmask[i] & (1ULL << f))
				s->known[f] += v->vmask_ops[i];
	add_u64s(s->known, v->known, PFNMAP_F_MAX);
}

static void percpu_add(struct agg_stats *s, const struct pfnmap_agg *v)
{
	int i;

	if (!v->ops)
		return;
	stats_time_range(s, v->first_ns, v->last_ns);
	s->ops += v->ops;
	s->errors += v->errors;
	s->err_other += v->err_other;
	for (i = 0; i < PFNMAP_AGG_ERRNOS; i++)
		s->err_count[i] += v->err[i];
	percpu_known(s, v);
	add_u64s(s->retry_dist, v->retry_dist, PFNMAP_AGG_RETRY_DIST);
	s->sources |= (__u32)v->sources;
	percpu_latency(s, v);
	percpu_counters(s, v);
}

void agg_stats_add_percpu(struct agg_stats *s, const struct pfnmap_agg *v,
			  int ncpu)
{
	int cpu;

	for (cpu = 0; cpu < ncpu; cpu++)
		percpu_add(s, &v[cpu]);
}

#define ADD_ARRAY(dst, src, field) \
	add_u64s((dst)->field, (src)->field, sizeof((src)->field) / sizeof(__u64))

void agg_stats_merge(struct agg_stats *dst, const struct agg_stats *src)
{
	if (!src->ops)
		return;
	stats_time_range(dst, src->first_ns, src->last_ns);
	dst->ops += src->ops;
	dst->errors += src->errors;
	dst->err_other += src->err_other;
	ADD_ARRAY(dst, src, err_count);
	ADD_ARRAY(dst, src, known);
	ADD_ARRAY(dst, src, sum);
	ADD_ARRAY(dst, src, sum2);
	ADD_ARRAY(dst, src, sum3);
	ADD_ARRAY(dst, src, retry_dist);
	if (src->max_retries > dst->max_retries)
		dst->max_retries = src->max_retries;
	if (src->max_retry_ns > dst->max_retry_ns)
		dst->max_retry_ns = src->max_retry_ns;
	dst->zap_gap_neg += src->zap_gap_neg;
	if (src->last_zap_tid)
		dst->last_zap_tid = src->last_zap_tid;
	dst->sources |= src->sources;
	hist_merge(&dst->lat, &src->lat);
	hist_merge(&dst->zap_gap, &src->zap_gap);
}

static void sub_u64s(__u64 *dst, const __u64 *src, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] -= src[i];
}

#define SUB_ARRAY(dst, src, field) \
	sub_u64s((dst)->field, (src)->field, sizeof((src)->field) / sizeof(__u64))

/* The latency extremes of an interval: its first and last bucket. */
static void hist_bounds_from_buckets(struct lat_hist *h,
				     const struct lat_hist *now)
{
	unsigned int b, lo = HIST_BUCKETS, hi = 0;

	for (b = 0; b < HIST_BUCKETS; b++) {
		if (!h->bucket[b])
			continue;
		if (lo == HIST_BUCKETS)
			lo = b;
		hi = b;
	}
	if (lo == HIST_BUCKETS)
		return;
	h->min = hist_bucket_low(lo) > now->min ? hist_bucket_low(lo) : now->min;
	h->max = hist_bucket_high(hi) < now->max ? hist_bucket_high(hi) : now->max;
}

void agg_stats_sub(struct agg_stats *d, const struct agg_stats *now,
		   const struct agg_stats *before)
{
	memcpy(d, now, sizeof(*d));
	if (!before || !before->ops)
		return;
	d->ops -= before->ops;
	d->errors -= before->errors;
	d->err_other -= before->err_other;
	SUB_ARRAY(d, before, err_count);
	SUB_ARRAY(d, before, known);
	SUB_ARRAY(d, before, sum);
	SUB_ARRAY(d, before, sum2);
	SUB_ARRAY(d, before, sum3);
	SUB_ARRAY(d, before, retry_dist);
	SUB_ARRAY(d, before, lat.bucket);
	d->lat.count -= before->lat.count;
	d->lat.sum -= before->lat.sum;
	d->zap_gap_neg -= before->zap_gap_neg;
	SUB_ARRAY(d, before, zap_gap.bucket);
	d->zap_gap.count -= before->zap_gap.count;
	d->zap_gap.sum -= before->zap_gap.sum;
	if (d->ops)
		d->first_ns = before->last_ns;
	hist_bounds_from_buckets(&d->lat, &now->lat);
	hist_bounds_from_buckets(&d->zap_gap, &now->zap_gap);
}

void agg_total_kind(const struct agg *a, int kind, struct agg_stats *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->key.kind = (__u8)kind;
	for (i = 0; i < a->count; i++)
		if (a->groups[i]->key.kind == kind)
			agg_stats_merge(out, a->groups[i]);
}

__u64 agg_counter_value(const struct agg_stats *s, const struct reg_counter *c)
{
	const void *p = (const char *)s + c->aoff;
	const __u64 *sums[3] = { s->sum, s->sum2, s->sum3 };

	switch (c->value) {
	case RV_SUM:
		return sums[c->slot][c->field];
	case RV_MAX:
	case RV_CNT:
		return *(const __u64 *)p;
	case RV_P50:
		return hist_percentile(p, 50);
	case RV_HMAX:
		return ((const struct lat_hist *)p)->max;
	default:
		return 0;
	}
}

void agg_mark_visible(struct agg_stats *s, __u16 can_see)
{
	int f;

	if (s->ops)
		return;
	for (f = 0; f < AGG_F_MAX; f++)
		if (can_see & (1U << f))
			s->known[f] = 1;
}

/* Ties go to the smallest errno; errnos past AGG_ERRNO_MAX never win. */
int agg_top_errno(const struct agg_stats *s)
{
	int err, top = 0;

	for (err = 1; err < AGG_ERRNO_MAX; err++)
		if (s->err_count[err] > s->err_count[top])
			top = err;
	return top;
}
