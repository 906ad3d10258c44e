// SPDX-License-Identifier: GPL-2.0
/*
 * test_agg.c - unit tests of user/agg.c: the latency histogram and the
 * grouping of records.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "agg.h"
#include "pfnmap_agg.h"
#include "test_rng.h"

static struct pfnmap_event ev(int kind, __u32 pid, const char *comm)
{
	struct pfnmap_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.source = PFNMAP_S_FENTRY;
	e.pid = pid;
	e.tid = pid;
	strncpy(e.comm, comm, sizeof(e.comm) - 1);
	return e;
}

static struct agg *new_agg(enum agg_by by)
{
	struct agg *a = agg_new(by);

	assert_non_null(a);
	return a;
}

static void add(struct agg *a, const struct pfnmap_event *e)
{
	assert_int_equal(agg_add(a, e), 0);
}

/* Histogram */

static void test_hist_small_exact(void **state)
{
	struct lat_hist h = { 0 };
	__u64 v;

	(void)state;
	for (v = 0; v < 2 * HIST_SUB; v++) {
		assert_int_equal(hist_bucket(v), v);
		assert_int_equal(hist_bucket_low(v), v);
		assert_int_equal(hist_bucket_high(v), v);
	}
	for (v = 0; v < HIST_SUB; v++)
		hist_add(&h, v);
	/* With 16 values, each percentile step of 6.25% is one value. */
	for (v = 0; v < HIST_SUB; v++)
		assert_int_equal(hist_percentile(&h, (v + 1) * 100.0 / HIST_SUB), v);
	assert_int_equal(hist_percentile(&h, 0), 0);
	assert_int_equal(h.min, 0);
	assert_int_equal(h.max, HIST_SUB - 1);
	assert_int_equal(h.count, HIST_SUB);
	assert_int_equal(h.sum, HIST_SUB * (HIST_SUB - 1) / 2);
}

static void test_hist_bucket_bounds(void **state)
{
	__u64 seed = 0x9e3779b97f4a7c15ULL, v, lo, hi;
	unsigned int b;
	int i;

	(void)state;
	/* Buckets tile [0, UINT64_MAX] with no gap and no overlap. */
	for (b = 0; b + 1 < HIST_BUCKETS; b++)
		assert_int_equal(hist_bucket_low(b + 1), hist_bucket_high(b) + 1);
	assert_int_equal(hist_bucket_high(HIST_BUCKETS - 1), UINT64_MAX);
	assert_int_equal(hist_bucket(UINT64_MAX), HIST_BUCKETS - 1);
	for (b = 0; b < HIST_BUCKETS; b++) {
		lo = hist_bucket_low(b);
		hi = hist_bucket_high(b);
		assert_int_equal(hist_bucket(lo), b);
		assert_int_equal(hist_bucket(hi), b);
		/* width <= low / 16: the promised relative error. */
		if (b >= HIST_SUB)
			assert_true((hi - lo + 1) * HIST_SUB <= lo);
	}
	for (i = 0; i < 100000; i++) {
		v = rng_next(&seed) >> (i % 64);
		b = hist_bucket(v);
		assert_true(b < HIST_BUCKETS);
		assert_true(hist_bucket_low(b) <= v && v <= hist_bucket_high(b));
	}
}

static void assert_close(__u64 got, __u64 exact)
{
	/* Upper bound of the bucket: never below, at most 1/16 above. */
	assert_true(got >= exact);
	assert_true((got - exact) * HIST_SUB <= exact);
}

static void test_hist_percentile_uniform(void **state)
{
	static const double ps[] = { 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99 };
	const __u64 n = 100000;
	struct lat_hist *h = calloc(1, sizeof(*h));
	__u64 v, exact;
	size_t i;

	(void)state;
	assert_non_null(h);
	/* Added in a scrambled order: the result must not depend on it. */
	for (v = 0; v < n; v++)
		hist_add(h, (v * 7919) % n + 1);
	for (i = 0; i < sizeof(ps) / sizeof(ps[0]); i++) {
		/* The value of rank ceil(p% of n) among 1..n is that rank. */
		exact = (__u64)(ps[i] * n / 100.0 + 0.999999);
		assert_close(hist_percentile(h, ps[i]), exact);
	}
	assert_int_equal(hist_percentile(h, 100), n);
	assert_int_equal(hist_percentile(h, 150), n);
	assert_int_equal(hist_percentile(h, 0), 1);
	assert_int_equal(hist_percentile(h, -5), 1);
	assert_int_equal(h->min, 1);
	assert_int_equal(h->max, n);
	assert_int_equal(h->count, n);
	assert_int_equal(h->sum, n * (n + 1) / 2);
	free(h);
}

/* Mostly fast operations and a slow tail: the tail must not leak into p50. */
static void test_hist_percentile_bimodal(void **state)
{
	struct lat_hist h = { 0 };
	int i;

	(void)state;
	for (i = 0; i < 990; i++)
		hist_add(&h, 1000 + i);
	for (i = 0; i < 10; i++)
		hist_add(&h, 1000000007ULL + i);
	assert_close(hist_percentile(&h, 50), 1499);
	assert_close(hist_percentile(&h, 99), 1989);
	assert_close(hist_percentile(&h, 99.5), 1000000011ULL);
	/* Capped at max, which is exact. */
	assert_int_equal(hist_percentile(&h, 99.95), 1000000016ULL);
	assert_int_equal(h.min, 1000);
	assert_int_equal(h.max, 1000000016ULL);
}

static void test_hist_empty(void **state)
{
	struct lat_hist h = { 0 }, e = { 0 };

	(void)state;
	assert_int_equal(hist_percentile(&h, 50), 0);
	assert_int_equal(hist_percentile(&h, 100), 0);
	hist_merge(&h, &e);
	assert_int_equal(h.count, 0);
	assert_int_equal(h.min, 0);
}

static void test_hist_extremes(void **state)
{
	struct lat_hist h = { 0 };

	(void)state;
	hist_add(&h, UINT64_MAX);
	hist_add(&h, 0);
	assert_int_equal(h.min, 0);
	assert_int_equal(h.max, UINT64_MAX);
	assert_int_equal(h.bucket[0], 1);
	assert_int_equal(h.bucket[HIST_BUCKETS - 1], 1);
	assert_int_equal(hist_percentile(&h, 50), 0);
	assert_int_equal(hist_percentile(&h, 100), UINT64_MAX);
}

static void test_hist_merge_equals_add(void **state)
{
	struct lat_hist *all = calloc(4, sizeof(*all));
	struct lat_hist *part = all + 1, *merged = all + 3;
	__u64 seed = 42, v;
	int i;

	(void)state;
	assert_non_null(all);
	for (i = 0; i < 20000; i++) {
		v = rng_next(&seed) >> (20 + i % 40);
		hist_add(all, v);
		hist_add(&part[i % 3 == 0], v);
	}
	/* Into an empty histogram first: its min must not stay 0. */
	hist_merge(merged, &part[0]);
	hist_merge(merged, &part[1]);
	assert_memory_equal(merged, all, sizeof(*all));
	/* Merging is commutative. */
	hist_merge(&part[1], &part[0]);
	assert_memory_equal(&part[1], all, sizeof(*all));
	free(all);
}

/* Grouping */

static void test_group_by_kind(void **state)
{
	struct agg *a = new_agg(AGG_BY_KIND);
	struct pfnmap_event e;
	struct agg_stats *s;

	(void)state;
	e = ev(PFNMAP_K_VFIO_PIN, 10, "qemu");
	e.cgroup_id = 7;
	e.caller = 0xffffffff81000000ULL;
	add(a, &e);
	e = ev(PFNMAP_K_VFIO_PIN, 11, "other");
	add(a, &e);
	e = ev(PFNMAP_K_UFFD_COPY, 10, "qemu");
	add(a, &e);
	assert_int_equal(agg_count(a), 2);
	s = agg_at(a, 0);
	assert_int_equal(s->key.kind, PFNMAP_K_VFIO_PIN);
	assert_int_equal(s->ops, 2);
	/* Fields that are not grouped on stay zero in the key. */
	assert_int_equal(s->key.pid, 0);
	assert_int_equal(s->key.cgroup_id, 0);
	assert_int_equal(s->key.caller, 0);
	assert_string_equal(s->key.comm, "");
	assert_int_equal(agg_at(a, 1)->key.kind, PFNMAP_K_UFFD_COPY);
	assert_null(agg_at(a, 2));
	agg_free(a);
}

static void test_group_by_comm(void **state)
{
	struct agg *a = new_agg(AGG_BY_COMM);
	struct pfnmap_event e;
	struct agg_key k = { .kind = PFNMAP_K_VFIO_PIN, .comm = "qemu" };
	struct agg_stats *s;

	(void)state;
	e = ev(PFNMAP_K_VFIO_PIN, 10, "qemu");
	add(a, &e);
	e = ev(PFNMAP_K_VFIO_PIN, 11, "qemu");		/* other pid, same comm */
	add(a, &e);
	e = ev(PFNMAP_K_VFIO_PIN, 10, "dpdk");
	add(a, &e);
	e = ev(PFNMAP_K_UFFD_COPY, 10, "qemu");		/* other kind */
	add(a, &e);
	assert_int_equal(agg_count(a), 3);
	s = agg_find(a, &k);
	assert_non_null(s);
	assert_int_equal(s->ops, 2);
	assert_int_equal(s->key.pid, 0);
	assert_ptr_equal(s, agg_at(a, 0));
	strcpy(k.comm, "dpdk");
	assert_ptr_equal(agg_find(a, &k), agg_at(a, 1));
	strcpy(k.comm, "none");
	assert_null(agg_find(a, &k));
	agg_free(a);
}

static void test_group_by_pid(void **state)
{
	struct agg *a = new_agg(AGG_BY_PID);
	struct pfnmap_event e;
	struct agg_key k = { .kind = PFNMAP_K_UFFD_COPY, .pid = 10, .comm = "qemu" };
	struct agg_stats *s;

	(void)state;
	e = ev(PFNMAP_K_UFFD_COPY, 10, "qemu");
	add(a, &e);
	add(a, &e);
	e = ev(PFNMAP_K_UFFD_COPY, 11, "qemu");
	add(a, &e);
	/* Same pid after exec: a new comm is a new group. */
	e = ev(PFNMAP_K_UFFD_COPY, 10, "qemu-new");
	add(a, &e);
	assert_int_equal(agg_count(a), 3);
	s = agg_find(a, &k);
	assert_non_null(s);
	assert_int_equal(s->ops, 2);
	assert_int_equal(s->key.pid, 10);
	assert_string_equal(s->key.comm, "qemu");
	assert_int_equal(agg_at(a, 1)->key.pid, 11);
	assert_string_equal(agg_at(a, 2)->key.comm, "qemu-new");
	agg_free(a);
}

static void test_group_by_cgroup(void **state)
{
	struct agg *a = new_agg(AGG_BY_CGROUP);
	struct pfnmap_event e;
	struct agg_key k = { .kind = PFNMAP_K_VFIO_PIN, .cgroup_id = 200 };
	int i;

	(void)state;
	for (i = 0; i < 6; i++) {
		e = ev(PFNMAP_K_VFIO_PIN, 10 + i, i % 2 ? "a" : "b");
		e.cgroup_id = 100 * (1 + i % 3);
		add(a, &e);
	}
	assert_int_equal(agg_count(a), 3);
	assert_int_equal(agg_find(a, &k)->ops, 2);
	assert_int_equal(agg_at(a, 0)->key.cgroup_id, 100);
	assert_int_equal(agg_at(a, 2)->key.cgroup_id, 300);
	assert_string_equal(agg_at(a, 0)->key.comm, "");
	assert_int_equal(agg_at(a, 0)->key.pid, 0);
	agg_free(a);
}

static void test_group_by_caller(void **state)
{
	struct agg *a = new_agg(AGG_BY_CALLER);
	struct pfnmap_event e;
	struct agg_key k = { .kind = PFNMAP_K_FOLLOW_PFNMAP, .caller = 0x2000 };

	(void)state;
	e = ev(PFNMAP_K_FOLLOW_PFNMAP, 1, "kvm");
	e.caller = 0x1000;
	add(a, &e);
	e.caller = 0x2000;
	add(a, &e);
	add(a, &e);
	e.kind = PFNMAP_K_FIXUP_USER_FAULT;
	add(a, &e);
	assert_int_equal(agg_count(a), 3);
	assert_int_equal(agg_find(a, &k)->ops, 2);
	assert_int_equal(agg_at(a, 0)->key.caller, 0x1000);
	assert_int_equal(agg_at(a, 2)->key.kind, PFNMAP_K_FIXUP_USER_FAULT);
	agg_free(a);
}

/* agg_find() keys: fields outside the grouping and bytes after NUL ignored. */
static void test_find_normalizes_key(void **state)
{
	struct agg *a = new_agg(AGG_BY_COMM);
	struct pfnmap_event e = ev(PFNMAP_K_VFIO_PIN, 10, "qemu");
	struct agg_key k;

	(void)state;
	add(a, &e);
	memset(&k, 0xa5, sizeof(k));
	k.kind = PFNMAP_K_VFIO_PIN;
	memcpy(k.comm, "qemu", 5);
	assert_ptr_equal(agg_find(a, &k), agg_at(a, 0));
	agg_free(a);
}

/* A comm without NUL (not from the kernel, but possible in a file). */
static void test_comm_unterminated(void **state)
{
	struct agg *a = new_agg(AGG_BY_COMM);
	struct pfnmap_event e = ev(PFNMAP_K_VFIO_PIN, 10, "");

	(void)state;
	memset(e.comm, 'x', sizeof(e.comm));
	add(a, &e);
	assert_int_equal(strlen(agg_at(a, 0)->key.comm), PFNMAP_COMM_LEN - 1);
	agg_free(a);
}

static void test_fields_known(void **state)
{
	struct agg *a = new_agg(AGG_BY_KIND);
	struct pfnmap_event e = ev(PFNMAP_K_VFIO_PIN, 1, "t");
	struct agg_stats *s;

	(void)state;
	e.valid = PFNMAP_V_PAGES | PFNMAP_V_FOLLOW | PFNMAP_V_FIXUP |
		  PFNMAP_V_ZAP_RACES | PFNMAP_V_ABORTS | PFNMAP_V_FAULTS;
	e.pages = 512;
	e.retries = 99;		/* not valid: must not be counted */
	e.follow_calls = 3;
	e.follow_fails = 1;
	e.fixup_calls = 2;
	e.fixup_fails = 1;
	e.fixup_unlocked = 1;
	e.zap_races = 4;
	e.retry_aborts = 5;
	e.bar_faults = 6;
	add(a, &e);
	add(a, &e);
	/* The syscall view: nothing is known but pages, and not even that. */
	e.valid = 0;
	e.source = PFNMAP_S_SYSCALL;
	add(a, &e);
	s = agg_at(a, 0);
	assert_int_equal(s->ops, 3);
	assert_int_equal(s->known[AGG_F_RETRIES], 0);
	assert_int_equal(s->sum[AGG_F_RETRIES], 0);
	assert_int_equal(s->max_retries, 0);
	assert_int_equal(s->retry_dist[0], 0);
	assert_int_equal(s->known[AGG_F_PAGES], 2);
	assert_int_equal(s->sum[AGG_F_PAGES], 1024);
	assert_int_equal(s->known[AGG_F_FOLLOW], 2);
	assert_int_equal(s->sum[AGG_F_FOLLOW], 6);
	assert_int_equal(s->sum2[AGG_F_FOLLOW], 2);
	assert_int_equal(s->sum3[AGG_F_FOLLOW], 0);
	assert_int_equal(s->sum[AGG_F_FIXUP], 4);
	assert_int_equal(s->sum2[AGG_F_FIXUP], 2);
	assert_int_equal(s->sum3[AGG_F_FIXUP], 2);
	assert_int_equal(s->sum[AGG_F_ZAP_RACES], 8);
	assert_int_equal(s->sum[AGG_F_ABORTS], 10);
	assert_int_equal(s->sum[AGG_F_FAULTS], 12);
	assert_int_equal(s->known[AGG_F_FAULTS], 2);
	assert_int_equal(s->sources, (1U << PFNMAP_S_FENTRY) | (1U << PFNMAP_S_SYSCALL));
	agg_free(a);
}

static void test_retry_dist(void **state)
{
	static const struct {
		__u32 retries;
		unsigned int bucket;
	} cases[] = {
		{ 0, 0 }, { 1, 1 }, { 2, 2 }, { 3, 2 }, { 4, 3 }, { 7, 3 },
		{ 8, 4 }, { 1000, 10 }, { 1U << 31, 32 }, { UINT32_MAX, 32 },
	};
	struct agg *a = new_agg(AGG_BY_KIND);
	struct pfnmap_event e = ev(PFNMAP_K_UFFD_COPY, 1, "t");
	struct agg_stats *s;
	__u64 sum = 0, dist_total = 0;
	size_t i;

	(void)state;
	e.valid = PFNMAP_V_RETRIES;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct agg *one = new_agg(AGG_BY_KIND);

		e.retries = cases[i].retries;
		sum += e.retries;
		add(one, &e);
		add(a, &e);
		assert_int_equal(agg_at(one, 0)->retry_dist[cases[i].bucket], 1);
		agg_free(one);
	}
	s = agg_at(a, 0);
	assert_int_equal(s->known[AGG_F_RETRIES], i);
	assert_int_equal(s->sum[AGG_F_RETRIES], sum);
	assert_int_equal(s->max_retries, UINT32_MAX);
	for (i = 0; i < 33; i++)
		dist_total += s->retry_dist[i];
	assert_int_equal(dist_total, s->known[AGG_F_RETRIES]);
	assert_int_equal(s->retry_dist[2], 2);
	assert_int_equal(s->retry_dist[32], 2);
	agg_free(a);
}

static void add_ret(struct agg *a, __s64 ret, int times)
{
	struct pfnmap_event e = ev(PFNMAP_K_VFIO_PIN, 1, "t");

	e.ret = ret;
	while (times--)
		add(a, &e);
}

static void test_errno_counting(void **state)
{
	struct agg *a = new_agg(AGG_BY_KIND);
	struct agg_stats *s;

	(void)state;
	add_ret(a, 0, 5);
	add_ret(a, 512, 1);			/* pages done: not an error */
	add_ret(a, -EFAULT, 2);
	add_ret(a, -EINVAL, 3);
	add_ret(a, -(AGG_ERRNO_MAX - 1), 1);
	add_ret(a, -AGG_ERRNO_MAX, 1);
	add_ret(a, -100000, 1);
	add_ret(a, INT64_MIN, 1);
	s = agg_at(a, 0);
	assert_int_equal(s->ops, 15);
	assert_int_equal(s->errors, 9);
	assert_int_equal(s->err_count[EFAULT], 2);
	assert_int_equal(s->err_count[EINVAL], 3);
	assert_int_equal(s->err_count[AGG_ERRNO_MAX - 1], 1);
	assert_int_equal(s->err_count[0], 0);
	assert_int_equal(s->err_other, 3);
	assert_int_equal(agg_top_errno(s), EINVAL);
	agg_free(a);
}

static void test_top_errno(void **state)
{
	struct agg *a = new_agg(AGG_BY_KIND);

	(void)state;
	add_ret(a, 0, 3);
	add_ret(a, -100000, 5);
	/* Only errnos past the table: none to name. */
	assert_int_equal(agg_top_errno(agg_at(a, 0)), 0);
	/* A tie goes to the smaller errno. */
	add_ret(a, -EINVAL, 2);
	add_ret(a, -EFAULT, 2);
	assert_int_equal(agg_top_errno(agg_at(a, 0)), EFAULT);
	add_ret(a, -EINVAL, 1);
	assert_int_equal(agg_top_errno(agg_at(a, 0)), EINVAL);
	agg_free(a);
}

static void test_times_and_latency(void **state)
{
	struct agg *a = new_agg(AGG_BY_KIND);
	struct pfnmap_event e = ev(PFNMAP_K_VFIO_PIN, 1, "t");
	static const __u64 starts[] = { 5000, 1000, 9000, 3000 };
	struct agg_stats *s;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		e.start_ns = starts[i];
		e.duration_ns = 10 * (i + 1);
		add(a, &e);
	}
	s = agg_at(a, 0);
	assert_int_equal(s->first_ns, 1000);
	assert_int_equal(s->last_ns, 9000);
	assert_int_equal(s->lat.count, 4);
	assert_int_equal(s->lat.min, 10);
	assert_int_equal(s->lat.max, 40);
	assert_int_equal(s->lat.sum, 100);
	agg_free(a);
}

static void test_reset(void **state)
{
	struct agg *a = new_agg(AGG_BY_PID);
	struct pfnmap_event e;
	struct agg_key k = { .kind = PFNMAP_K_VFIO_PIN, .pid = 3, .comm = "c" };
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		e = ev(PFNMAP_K_VFIO_PIN, i, "c");
		add(a, &e);
	}
	agg_reset(a);
	assert_int_equal(agg_count(a), 0);
	assert_null(agg_at(a, 0));
	assert_null(agg_find(a, &k));
	e = ev(PFNMAP_K_VFIO_PIN, 3, "c");
	e.ret = -EIO;
	add(a, &e);
	assert_int_equal(agg_count(a), 1);
	assert_ptr_equal(agg_find(a, &k), agg_at(a, 0));
	assert_int_equal(agg_at(a, 0)->ops, 1);
	assert_int_equal(agg_at(a, 0)->err_count[EIO], 1);
	agg_reset(a);
	agg_reset(a);
	assert_int_equal(agg_count(a), 0);
	agg_free(a);
	agg_free(NULL);
}

static void test_many_groups(void **state)
{
	const __u32 n = 10000;
	struct agg *a = new_agg(AGG_BY_PID);
	struct pfnmap_event e;
	struct agg_stats *first;
	struct agg_key k = { .kind = PFNMAP_K_VFIO_PIN, .comm = "w" };
	__u32 i;

	(void)state;
	e = ev(PFNMAP_K_VFIO_PIN, 0, "w");
	add(a, &e);
	first = agg_at(a, 0);
	/* Twice over: the second pass must find every group again. */
	for (i = 0; i < 2 * n; i++) {
		e = ev(PFNMAP_K_VFIO_PIN, i % n, "w");
		e.duration_ns = i;
		add(a, &e);
	}
	assert_int_equal(agg_count(a), n);
	/* Pointers handed out earlier survive growth. */
	assert_ptr_equal(agg_at(a, 0), first);
	assert_int_equal(first->ops, 3);
	for (i = 0; i < n; i++) {
		k.pid = i;
		assert_ptr_equal(agg_find(a, &k), agg_at(a, i));
		assert_int_equal(agg_at(a, i)->key.pid, i);
		assert_int_equal(agg_at(a, i)->ops, i ? 2 : 3);
	}
	k.pid = n;
	assert_null(agg_find(a, &k));
	agg_free(a);
}

/* Merging the groups of a kind gives what grouping by kind gives. */
static void test_total_kind_equals_by_kind(void **state)
{
	struct agg *by_pid = new_agg(AGG_BY_PID);
	struct agg *by_kind = new_agg(AGG_BY_KIND);
	struct agg_stats *total = malloc(sizeof(*total));
	struct pfnmap_event e;
	__u64 seed = 7;
	int i;

	(void)state;
	assert_non_null(total);
	for (i = 0; i < 5000; i++) {
		e = ev(i % 3 ? PFNMAP_K_VFIO_PIN : PFNMAP_K_UFFD_COPY,
		       rng_next(&seed) % 50, i % 7 ? "qemu" : "dpdk");
		e.source = 1 + i % 3;
		e.valid = rng_next(&seed) & 0x7f;
		e.ret = i % 11 ? 0 : -(__s64)(rng_next(&seed) % 700);
		e.start_ns = rng_next(&seed) >> 20;
		e.duration_ns = rng_next(&seed) >> (30 + i % 30);
		e.pages = i;
		e.retries = rng_next(&seed) % 300;
		e.follow_calls = i % 5;
		e.fixup_unlocked = i % 2;
		e.bar_faults = i % 9;
		add(by_pid, &e);
		add(by_kind, &e);
	}
	assert_int_equal(agg_count(by_kind), 2);
	for (i = 0; i < 2; i++) {
		struct agg_stats *want = agg_at(by_kind, i);

		agg_total_kind(by_pid, want->key.kind, total);
		assert_memory_equal(total, want, sizeof(*total));
	}
	/* A kind with no group: all zero but the key. */
	agg_total_kind(by_pid, PFNMAP_K_VFIO_ZAP, total);
	assert_int_equal(total->key.kind, PFNMAP_K_VFIO_ZAP);
	assert_int_equal(total->ops, 0);
	assert_int_equal(total->lat.count, 0);
	free(total);
	agg_free(by_pid);
	agg_free(by_kind);
}

/* In-kernel aggregates (include/pfnmap_agg.h, the BPF side's code) */

static void check_bucket(__u64 v)
{
	__u32 want = v >> PFNMAP_AGG_LAT_LOG ? PFNMAP_AGG_LAT_BUCKETS - 1 :
		     hist_bucket(v);

	if (pfnmap_lat_bucket(v) != want)
		fail_msg("bucket of %llu: BPF %u, histogram %u",
			 (unsigned long long)v, pfnmap_lat_bucket(v), want);
}

static void test_bpf_bucket_is_hist_bucket(void **state)
{
	__u64 seed = 11, v;
	int i, b;

	(void)state;
	for (v = 0; v < 5000; v++)
		check_bucket(v);
	for (b = 1; b < 64; b++) {
		check_bucket((1ULL << b) - 1);
		check_bucket(1ULL << b);
		check_bucket((1ULL << b) + 1);
	}
	for (i = 0; i < 100000; i++)
		check_bucket(rng_next(&seed) >> (i % 64));
	check_bucket(UINT64_MAX);
}

/* A record of every kind of content, zap attribution aside (exemplars). */
static struct pfnmap_event random_record(__u64 *seed, int i)
{
	struct pfnmap_event e = ev(i % PFNMAP_K_MAX, 1, "w");

	e.source = 1 + i % 3;
	e.valid = rng_next(seed) & ~PFNMAP_V_ZAP_ATTR & 0x3fff;
	e.ret = i % 7 ? 0 : -(__s64)(rng_next(seed) % PFNMAP_AGG_ERRNOS);
	e.start_ns = rng_next(seed) >> 20;
	e.duration_ns = rng_next(seed) >> (25 + i % 39);
	e.pages = rng_next(seed) % 1000;
	e.retries = i % 5 ? 0 : rng_next(seed) % 100000;
	e.follow_calls = i % 5;
	e.follow_fails = i % 3;
	e.fixup_unlocked = i % 2;
	e.zap_races = i % 11 == 0;
	e.retry_ns = rng_next(seed) >> 30;
	e.seq_aborts = i % 4;
	e.eagain_changing = i % 6 == 0;
	e.locked_delta = (__s32)(rng_next(seed) % 512) - 256;
	e.nr_switches = i % 13;
	e.fatal_signal = i % 17 == 0;
	return e;
}

/*
 * The BPF side's sums over two CPUs, read back by agg_stats_add_percpu(),
 * are exactly what agg_add() makes of the same records.  nmasks 0: every
 * record has random valid bits (nearly all land in known[]); else one of
 * nmasks masks, the most of them in the groups' two mask slots.
 */
static void percpu_equals_records(int nmasks)
{
	struct pfnmap_agg *cpu = calloc(2 * PFNMAP_K_MAX, sizeof(*cpu));
	struct agg *want = new_agg(AGG_BY_KIND), *got = new_agg(AGG_BY_KIND);
	struct agg_stats *st = malloc(sizeof(*st));
	struct pfnmap_event e;
	__u64 seed = 5, masks[4];
	int i, k;

	assert_non_null(cpu);
	assert_non_null(st);
	for (i = 0; i < 4; i++)
		masks[i] = rng_next(&seed) & ~PFNMAP_V_ZAP_ATTR & 0x3fff;
	for (i = 0; i < 20000; i++) {
		e = random_record(&seed, i);
		if (nmasks)
			e.valid = masks[(i / PFNMAP_K_MAX) % 7 % nmasks];
		add(want, &e);
		pfnmap_agg_add(&cpu[e.kind * 2 + (i % 3 == 0)], &e);
	}
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		struct agg_key key = { .kind = (__u8)k };

		memset(st, 0, sizeof(*st));
		agg_stats_add_percpu(st, &cpu[k * 2], 2);
		assert_int_equal(agg_add_group(got, &key, st), 0);
	}
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		struct agg_key key = { .kind = (__u8)k };
		struct agg_stats *w = agg_find(want, &key);
		struct agg_stats *g = agg_find(got, &key);

		assert_non_null(w);
		assert_non_null(g);
		assert_memory_equal(w, g, sizeof(*w));
	}
	free(st);
	free(cpu);
	agg_free(want);
	agg_free(got);
}

static void test_percpu_equals_records(void **state)
{
	(void)state;
	percpu_equals_records(0);
}

/* Two masks fill the slots; a third and a fourth go to known[]. */
static void test_percpu_equals_records_masks(void **state)
{
	(void)state;
	percpu_equals_records(1);
	percpu_equals_records(2);
	percpu_equals_records(4);
}

/* An exemplar adds its zap attribution only: it is counted already. */
static void test_exemplar_adds_zap_only(void **state)
{
	struct agg *a = new_agg(AGG_BY_KIND);
	struct pfnmap_event e = ev(PFNMAP_K_VFIO_PIN, 1, "w");
	struct agg_key key = { .kind = PFNMAP_K_VFIO_PIN };
	struct agg_stats *s;

	(void)state;
	e.flags = PFNMAP_EF_EXEMPLAR;
	e.valid = PFNMAP_V_ZAP_ATTR | PFNMAP_V_ZAP_RACES | PFNMAP_V_RETRIES;
	e.zap_races = 1;
	e.zaps_attributed = 1;
	e.zap_tid = 42;
	e.zap_gap_ns = -5;
	e.retries = 3;
	e.ret = -14;
	add(a, &e);
	s = agg_find(a, &key);
	assert_non_null(s);
	assert_int_equal(s->ops, 0);
	assert_int_equal(s->errors, 0);
	assert_int_equal(s->sum[AGG_F_ZAP_RACES], 0);
	assert_int_equal(s->retry_dist[2], 0);
	assert_int_equal(s->last_zap_tid, 42);
	assert_int_equal(s->zap_gap_neg, 1);
	agg_free(a);
}

/*
 * top's intervals: cumulative aggregates read twice, subtracted, give
 * the second half's counts exactly; its extremes within a bucket.
 */
static void test_sub_is_second_half(void **state)
{
	struct agg *first = new_agg(AGG_BY_KIND), *all = new_agg(AGG_BY_KIND);
	struct agg *second = new_agg(AGG_BY_KIND);
	struct agg_stats *d = malloc(sizeof(*d));
	struct agg_key key = { .kind = PFNMAP_K_UFFD_COPY };
	struct agg_stats *w, *a, *b;
	struct pfnmap_event e;
	__u64 seed = 3;
	int i;

	(void)state;
	assert_non_null(d);
	for (i = 0; i < 4000; i++) {
		e = random_record(&seed, i);
		e.kind = PFNMAP_K_UFFD_COPY;
		add(all, &e);
		add(i < 1500 ? first : second, &e);
	}
	a = agg_find(all, &key);
	b = agg_find(first, &key);
	w = agg_find(second, &key);
	agg_stats_sub(d, a, b);
	assert_int_equal(d->ops, w->ops);
	assert_int_equal(d->errors, w->errors);
	assert_memory_equal(d->err_count, w->err_count, sizeof(w->err_count));
	assert_memory_equal(d->known, w->known, sizeof(w->known));
	assert_memory_equal(d->sum, w->sum, sizeof(w->sum));
	assert_memory_equal(d->sum2, w->sum2, sizeof(w->sum2));
	assert_memory_equal(d->retry_dist, w->retry_dist, sizeof(w->retry_dist));
	assert_memory_equal(d->lat.bucket, w->lat.bucket, sizeof(w->lat.bucket));
	assert_int_equal(d->lat.count, w->lat.count);
	assert_int_equal(d->lat.sum, w->lat.sum);
	assert_true(d->lat.max >= w->lat.max);
	assert_true(d->lat.max <= hist_bucket_high(hist_bucket(w->lat.max)));
	assert_true(d->lat.min <= w->lat.min);
	assert_true(d->lat.min >= hist_bucket_low(hist_bucket(w->lat.min)));
	/* nothing before: the reading itself */
	agg_stats_sub(d, a, NULL);
	assert_memory_equal(d, a, sizeof(*d));
	free(d);
	agg_free(first);
	agg_free(second);
	agg_free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hist_small_exact),
		cmocka_unit_test(test_hist_bucket_bounds),
		cmocka_unit_test(test_hist_percentile_uniform),
		cmocka_unit_test(test_hist_percentile_bimodal),
		cmocka_unit_test(test_hist_empty),
		cmocka_unit_test(test_hist_extremes),
		cmocka_unit_test(test_hist_merge_equals_add),
		cmocka_unit_test(test_group_by_kind),
		cmocka_unit_test(test_group_by_comm),
		cmocka_unit_test(test_group_by_pid),
		cmocka_unit_test(test_group_by_cgroup),
		cmocka_unit_test(test_group_by_caller),
		cmocka_unit_test(test_find_normalizes_key),
		cmocka_unit_test(test_comm_unterminated),
		cmocka_unit_test(test_fields_known),
		cmocka_unit_test(test_retry_dist),
		cmocka_unit_test(test_errno_counting),
		cmocka_unit_test(test_top_errno),
		cmocka_unit_test(test_times_and_latency),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_many_groups),
		cmocka_unit_test(test_total_kind_equals_by_kind),
		cmocka_unit_test(test_bpf_bucket_is_hist_bucket),
		cmocka_unit_test(test_percpu_equals_records),
		cmocka_unit_test(test_percpu_equals_records_masks),
		cmocka_unit_test(test_exemplar_adds_zap_only),
		cmocka_unit_test(test_sub_is_second_half),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
