// SPDX-License-Identifier: GPL-2.0
/*
 * test_top_model.c - unit tests of src/cmd/top/model.c, the state of
 * `pfnmap top` without a screen: records go in through model_add(), time
 * through a made-up clock, keys through model_key() on a screen whose
 * size the test chooses, and the rows, selection and flags are checked.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "top/model.h"
#include "test_rng.h"

#define SEC	1000000000ULL

/* The clock: only the tests move it. */
static __u64 mono = 1000 * SEC;
static time_t wall = 1700000000;

static __u64 fake_mono(void)
{
	return mono;
}

static time_t fake_wall(void)
{
	return wall;
}

static const struct model_clock fake_clock = {
	.mono_ns	= fake_mono,
	.wall		= fake_wall,
};

static void advance(__u64 ns)
{
	mono += ns;
	wall += ns / SEC;
}

/* A successful one-page UFFDIO_COPY of 1 us seen by fentry. */
static struct pfnmap_event ev(__u32 pid, const char *comm)
{
	struct pfnmap_event e;

	memset(&e, 0, sizeof(e));
	e.kind = PFNMAP_K_UFFD_COPY;
	e.source = PFNMAP_S_FENTRY;
	e.valid = PFNMAP_V_PAGES | PFNMAP_V_RETRIES | PFNMAP_V_ZAP_RACES;
	e.pid = pid;
	e.tid = pid;
	e.duration_ns = 1000;
	e.pages = 1;
	strncpy(e.comm, comm, sizeof(e.comm) - 1);
	return e;
}

static void add_n(struct top_model *m, const struct pfnmap_event *e, int n)
{
	while (n--)
		assert_int_equal(model_add(m, e), 0);
}

/* One op of pid, `n` times. */
static void add_pid(struct top_model *m, __u32 pid, int n)
{
	struct pfnmap_event e = ev(pid, "w");

	add_n(m, &e, n);
}

/* Ends an interval of `ns`. */
static void refresh_after(struct top_model *m, __u64 ns)
{
	advance(ns);
	assert_int_equal(model_refresh(m), 1);
}

static __u32 pid_at(const struct top_model *m, int i)
{
	assert_true(i < (int)m->nrows);
	return m->rows[i].st->key.pid;
}

static __u32 sel_pid(const struct top_model *m)
{
	return pid_at(m, m->sel);
}

/* Rows are exactly these pids, in this order. */
static void assert_pids(const struct top_model *m, const __u32 *pids,
			size_t n)
{
	size_t i;

	assert_int_equal(m->nrows, n);
	for (i = 0; i < n; i++)
		assert_int_equal(pid_at(m, i), pids[i]);
}

static void key(struct top_model *m, int k)
{
	assert_int_equal(model_key(m, k), 0);
}

static int setup(void **state)
{
	struct top_model *m = calloc(1, sizeof(*m));

	if (!m || model_init(m, AGG_BY_PID, TOP_C_OPS, &fake_clock))
		return -1;
	model_resize(m, 24, 80);
	*state = m;
	return 0;
}

static int teardown(void **state)
{
	model_free(*state);
	free(*state);
	return 0;
}

/* Rows and column values */

static void test_refresh_values(void **state)
{
	struct top_model *m = *state;
	struct pfnmap_event e = ev(7, "qemu");
	__u64 start = m->cur_start;

	e.kind = PFNMAP_K_VFIO_PIN;
	e.valid |= PFNMAP_V_ZAP_ATTR;
	e.pages = 3;
	e.retries = 2;
	e.zap_races = 1;
	add_n(m, &e, 3);
	e.ret = -EFAULT;
	e.retries = 5;
	e.pages = 0;
	e.zaps_attributed = 1;
	e.zap_tid = 99;
	e.duration_ns = 800000;
	add_n(m, &e, 1);
	assert_int_equal(m->nrows, 0);
	refresh_after(m, 2 * SEC);

	assert_int_equal(m->nrows, 1);
	assert_int_equal(m->shown_ns, 2 * SEC);
	/* The next interval starts when the shown one ended. */
	assert_int_equal(m->cur_start, start + 2 * SEC);
	assert_int_equal(m->shown_at, wall);
	assert_int_equal(m->rows[0].st->ops, 4);
	assert_float_equal(m->rows[0].v[TOP_C_OPS], 2.0, 1e-9);
	assert_float_equal(m->rows[0].v[TOP_C_ERRS], 0.5, 1e-9);
	assert_float_equal(m->rows[0].v[TOP_C_RETR], 11 / 2.0, 1e-9);
	assert_float_equal(m->rows[0].v[TOP_C_MAXR], 5, 1e-9);
	assert_float_equal(m->rows[0].v[TOP_C_ZAPS], 4, 1e-9);
	assert_float_equal(m->rows[0].v[TOP_C_ZAPPER], 99, 1e-9);
	/* Percentiles: the upper end of their bucket, at most the max. */
	assert_float_equal(m->rows[0].v[TOP_C_P50],
			   hist_bucket_high(hist_bucket(1000)), 1e-9);
	assert_float_equal(m->rows[0].v[TOP_C_P99], 800000, 1e-9);
	assert_float_equal(m->rows[0].v[TOP_C_LMAX], 800000, 1e-9);
	assert_float_equal(m->rows[0].v[TOP_C_PGOP], 9 / 4.0, 1e-9);

	/* Nothing in the next interval: no rows, the histogram data stays. */
	refresh_after(m, SEC);
	assert_int_equal(m->nrows, 0);
	assert_int_equal(m->shown_ns, SEC);
	assert_int_equal(model_cum_ops(m), 4);
}

static void test_unknown_values(void **state)
{
	struct top_model *m = *state;
	struct pfnmap_event e = ev(7, "qemu");

	/* The ioctl view sees pages, not retries or zap races. */
	e.source = PFNMAP_S_SYSCALL;
	e.valid = PFNMAP_V_PAGES;
	add_n(m, &e, 2);
	/* A kind this build does not know is not shown. */
	e.kind = PFNMAP_K_MAX;
	add_n(m, &e, 5);
	refresh_after(m, SEC);

	assert_int_equal(m->nrows, 1);
	assert_int_equal(m->rows[0].st->ops, 2);
	assert_true(isnan(m->rows[0].v[TOP_C_RETR]));
	assert_true(isnan(m->rows[0].v[TOP_C_MAXR]));
	assert_true(isnan(m->rows[0].v[TOP_C_ZAPS]));
	assert_true(isnan(m->rows[0].v[TOP_C_ZAPPER]));
	assert_float_equal(m->rows[0].v[TOP_C_PGOP], 1, 1e-9);
	assert_int_equal(model_cum_ops(m), 2);
}

/* Sorting */

/*
 * Four groups whose order differs in every sortable column:
 *   pid  ops  errs  retries(max)  zaps  durations (ns)          pages/op
 *   10     8     0     10 (10)       3  7 x 1000, 1 x 900000         1
 *   20   200   200    600  (3)       0  199 x 50000, 1 x 5000000     0
 *   30     2     1     20 (20)       1  2 x 20000                    4
 *   40     1     1      -  -         -  500000 (ioctl view)          2
 */
static void add_four(struct top_model *m)
{
	struct pfnmap_event e = ev(10, "a");

	e.zap_races = 0;
	add_n(m, &e, 6);
	e.retries = 10;
	add_n(m, &e, 1);
	e.retries = 0;
	e.zap_races = 3;
	e.duration_ns = 900000;
	add_n(m, &e, 1);

	e = ev(20, "b");
	e.ret = -EEXIST;
	e.retries = 3;
	e.pages = 0;
	e.duration_ns = 50000;
	add_n(m, &e, 199);
	e.duration_ns = 5000000;
	add_n(m, &e, 1);

	e = ev(30, "c");
	e.pages = 4;
	e.duration_ns = 20000;
	add_n(m, &e, 1);
	e.ret = -EFAULT;
	e.retries = 20;
	e.zap_races = 1;
	add_n(m, &e, 1);

	e = ev(40, "d");
	e.source = PFNMAP_S_SYSCALL;
	e.valid = PFNMAP_V_PAGES;
	e.ret = -EINVAL;
	e.pages = 2;
	e.duration_ns = 500000;
	add_n(m, &e, 1);
}

static const struct {
	int	col;
	__u32	pids[4];
} four_order[] = {
	{ TOP_C_OPS,	{ 20, 10, 30, 40 } },
	{ TOP_C_ERRS,	{ 20, 30, 40, 10 } },	/* 30, 40 tie: by pid */
	{ TOP_C_RETR,	{ 20, 30, 10, 40 } },	/* 40 unknown: last */
	{ TOP_C_MAXR,	{ 30, 10, 20, 40 } },
	{ TOP_C_ZAPS,	{ 10, 30, 20, 40 } },
	{ TOP_C_P50,	{ 40, 20, 30, 10 } },
	{ TOP_C_P99,	{ 10, 40, 20, 30 } },
	{ TOP_C_LMAX,	{ 20, 10, 40, 30 } },
	{ TOP_C_PGOP,	{ 30, 40, 10, 20 } },
};
#define NR_SORTABLE	((int)(sizeof(four_order) / sizeof(four_order[0])))

static void assert_four_sorted_by(const struct top_model *m, int i)
{
	assert_int_equal(m->sort, four_order[i].col);
	assert_pids(m, four_order[i].pids, 4);
}

static void test_sort_right(void **state)
{
	struct top_model *m = *state;
	int i;

	add_four(m);
	refresh_after(m, SEC);
	assert_four_sorted_by(m, 0);
	for (i = 1; i < NR_SORTABLE; i++) {
		key(m, '>');
		assert_four_sorted_by(m, i);
	}
	/* > stops at the last column. */
	key(m, '>');
	assert_four_sorted_by(m, NR_SORTABLE - 1);
}

static void test_sort_left(void **state)
{
	struct top_model *m = *state;
	int i;

	model_free(m);
	assert_int_equal(model_init(m, AGG_BY_PID, TOP_C_PGOP, &fake_clock), 0);
	add_four(m);
	refresh_after(m, SEC);
	assert_four_sorted_by(m, NR_SORTABLE - 1);
	for (i = NR_SORTABLE - 2; i >= 0; i--) {
		key(m, '<');
		assert_four_sorted_by(m, i);
	}
	/* < stops at the first column. */
	key(m, '<');
	assert_four_sorted_by(m, 0);
}

static void test_sort_cycle(void **state)
{
	struct top_model *m = *state;
	int i;

	add_four(m);
	refresh_after(m, SEC);
	/* s skips ERRNO and ZAPPER, which have no order, and wraps. */
	for (i = 1; i <= NR_SORTABLE; i++) {
		key(m, 's');
		assert_four_sorted_by(m, i % NR_SORTABLE);
	}
	/* A refresh keeps the sort column. */
	key(m, 's');
	add_four(m);
	refresh_after(m, SEC);
	assert_four_sorted_by(m, 1);
}

/* Equal values come in key order, whatever order they arrived in. */
static void test_sort_ties(void **state)
{
	struct top_model *m = *state;
	static const __u32 in_key_order[] = { 10, 20, 30 };
	int i;

	add_pid(m, 30, 2);
	add_pid(m, 10, 2);
	add_pid(m, 20, 2);
	refresh_after(m, SEC);
	for (i = 0; i < NR_SORTABLE; i++) {
		assert_pids(m, in_key_order, 3);
		key(m, 's');
	}
	/* Same again after a refresh where they came in another order. */
	add_pid(m, 20, 2);
	add_pid(m, 30, 2);
	add_pid(m, 10, 2);
	refresh_after(m, SEC);
	assert_pids(m, in_key_order, 3);
}

/* Unknown (NAN) sorts after every known value, 0 included. */
static void test_sort_unknown_last(void **state)
{
	struct top_model *m = *state;
	struct pfnmap_event e = ev(10, "a");
	static const __u32 order[] = { 20, 10 };

	e.source = PFNMAP_S_SYSCALL;
	e.valid = PFNMAP_V_PAGES;
	add_n(m, &e, 5);
	e = ev(20, "b");
	add_n(m, &e, 1);
	refresh_after(m, SEC);
	key(m, '>');
	key(m, '>');
	assert_int_equal(m->sort, TOP_C_RETR);
	assert_pids(m, order, 2);
}

/* Grouping */

/* Records that differ in every key: kind, pid, comm, cgroup, caller. */
static void add_mixed(struct top_model *m)
{
	struct pfnmap_event e = ev(1, "x");

	e.cgroup_id = 100;
	e.caller = 0xffff0001;
	add_n(m, &e, 1);
	e.pid = 2;			/* same comm, cgroup and caller */
	add_n(m, &e, 1);
	e.kind = PFNMAP_K_VFIO_PIN;	/* pid 2 again, other kind */
	e.cgroup_id = 200;
	add_n(m, &e, 1);
	e.pid = 3;
	strcpy(e.comm, "y");
	e.caller = 0xffff0002;
	add_n(m, &e, 1);
}

static void test_group_each(void **state)
{
	static const size_t rows_by[TOP_NR_BY] = {
		[AGG_BY_KIND]	= 2,	/* uffd_copy, vfio_pin */
		[AGG_BY_COMM]	= 3,	/* x, x/vfio_pin, y */
		[AGG_BY_PID]	= 4,
		[AGG_BY_CGROUP]	= 2,	/* 100/uffd_copy, 200/vfio_pin */
		[AGG_BY_CALLER]	= 3,
	};
	struct top_model *m = *state;
	size_t i;
	int by;

	for (by = 0; by < TOP_NR_BY; by++) {
		assert_int_equal(model_group(m, by), 0);
		assert_int_equal(m->by, by);
		add_mixed(m);
		refresh_after(m, SEC);
		assert_int_equal(m->nrows, rows_by[by]);
		/* Only the keys of the grouping are set. */
		for (i = 0; i < m->nrows; i++) {
			const struct agg_key *k = &m->rows[i].st->key;

			assert_true(!k->pid || by == AGG_BY_PID);
			assert_true(!k->comm[0] || by == AGG_BY_PID ||
				    by == AGG_BY_COMM);
			assert_true(!k->cgroup_id || by == AGG_BY_CGROUP);
			assert_true(!k->caller || by == AGG_BY_CALLER);
		}
	}
}

/* g: pid, cgroup, caller, kind, comm, pid; each time from scratch. */
static void test_regroup(void **state)
{
	static const enum agg_by next[] = {
		AGG_BY_CGROUP, AGG_BY_CALLER, AGG_BY_KIND, AGG_BY_COMM,
		AGG_BY_PID,
	};
	struct top_model *m = *state;
	size_t i;

	for (i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		add_mixed(m);
		refresh_after(m, SEC);
		assert_true(m->nrows > 0);
		/* Half an interval that the new grouping must not count. */
		add_mixed(m);
		advance(SEC / 2);
		key(m, 'g');
		assert_int_equal(m->by, next[i]);
		assert_int_equal(m->nrows, 0);
		assert_int_equal(m->shown_ns, 0);
		assert_int_equal(m->cur_start, mono);
		assert_int_equal(m->cum_start, mono);
		assert_int_equal(model_cum_ops(m), 0);
		assert_non_null(strstr(m->msg, model_by_name(next[i])));
		add_pid(m, 5, 3);
		refresh_after(m, SEC);
		assert_int_equal(m->nrows, 1);
		assert_int_equal(m->rows[0].st->ops, 3);
		assert_string_equal(m->msg, "");
	}
}

/* Selection */

static void test_sel_follows_refresh(void **state)
{
	struct top_model *m = *state;
	static const __u32 later[] = { 20, 30, 10 };

	add_pid(m, 10, 3);
	add_pid(m, 20, 2);
	add_pid(m, 30, 1);
	refresh_after(m, SEC);
	assert_int_equal(sel_pid(m), 10);
	key(m, MODEL_KEY_DOWN);
	assert_int_equal(m->sel, 1);
	assert_int_equal(sel_pid(m), 20);

	/* The order changes: the selection goes with pid 20 ... */
	add_pid(m, 10, 1);
	add_pid(m, 20, 3);
	add_pid(m, 30, 2);
	refresh_after(m, SEC);
	assert_pids(m, later, 3);
	assert_int_equal(m->sel, 0);
	assert_int_equal(sel_pid(m), 20);
	/* ... wherever it goes. */
	add_pid(m, 10, 5);
	add_pid(m, 30, 4);
	add_pid(m, 20, 1);
	refresh_after(m, SEC);
	assert_int_equal(m->sel, 2);
	assert_int_equal(sel_pid(m), 20);
}

static void test_sel_follows_sort(void **state)
{
	struct top_model *m = *state;

	add_four(m);
	refresh_after(m, SEC);
	key(m, MODEL_KEY_END);
	assert_int_equal(sel_pid(m), 40);
	key(m, 's');			/* by ERR/s 40 is third */
	assert_int_equal(m->sel, 2);
	assert_int_equal(sel_pid(m), 40);
	key(m, '<');
	assert_int_equal(m->sel, 3);
	assert_int_equal(sel_pid(m), 40);
}

/* A group that is gone leaves the selection on its line, or the last. */
static void test_sel_group_gone(void **state)
{
	struct top_model *m = *state;

	add_pid(m, 10, 3);
	add_pid(m, 20, 2);
	add_pid(m, 30, 1);
	refresh_after(m, SEC);
	key(m, 'j');
	key(m, 'j');
	assert_int_equal(sel_pid(m), 30);
	add_pid(m, 10, 3);
	add_pid(m, 20, 2);
	refresh_after(m, SEC);
	assert_int_equal(m->sel, 1);
	assert_int_equal(sel_pid(m), 20);
	/* Now pid 20 is the one followed, not the line. */
	add_pid(m, 10, 1);
	add_pid(m, 20, 2);
	refresh_after(m, SEC);
	assert_int_equal(m->sel, 0);
	assert_int_equal(sel_pid(m), 20);
	/* An empty interval, then rows again: back to the same group. */
	refresh_after(m, SEC);
	assert_int_equal(m->sel, 0);
	add_pid(m, 10, 5);
	add_pid(m, 20, 1);
	refresh_after(m, SEC);
	assert_int_equal(sel_pid(m), 20);
}

static void test_sel_reset_by_regroup(void **state)
{
	struct top_model *m = *state;

	add_pid(m, 10, 3);
	add_pid(m, 20, 2);
	refresh_after(m, SEC);
	key(m, MODEL_KEY_DOWN);
	assert_int_equal(sel_pid(m), 20);
	key(m, 'g');
	assert_int_equal(m->sel, 0);
	assert_int_equal(m->first, 0);
	assert_false(m->have_sel_key);
	assert_null(model_hist_stats(m));
	add_pid(m, 10, 3);
	refresh_after(m, SEC);
	/* The first row is selected, and followed from now on. */
	assert_int_equal(m->sel, 0);
	assert_true(m->have_sel_key);
}

/* Ten rows, pids 1..10, largest first. */
static void add_ten(struct top_model *m)
{
	__u32 pid;

	for (pid = 1; pid <= 10; pid++)
		add_pid(m, pid, 20 - pid);
}

static void test_sel_keys(void **state)
{
	struct top_model *m = *state;

	/* Without rows nothing moves. */
	key(m, MODEL_KEY_DOWN);
	key(m, MODEL_KEY_END);
	assert_int_equal(m->sel, 0);

	add_ten(m);
	refresh_after(m, SEC);
	model_resize(m, 10, 40);	/* pages of 5 */
	key(m, MODEL_KEY_UP);
	assert_int_equal(m->sel, 0);
	key(m, MODEL_KEY_DOWN);
	key(m, 'j');
	assert_int_equal(m->sel, 2);
	key(m, 'k');
	assert_int_equal(m->sel, 1);
	key(m, MODEL_KEY_NPAGE);
	assert_int_equal(m->sel, 6);
	key(m, MODEL_KEY_NPAGE);
	assert_int_equal(m->sel, 9);
	key(m, MODEL_KEY_DOWN);
	assert_int_equal(m->sel, 9);
	key(m, MODEL_KEY_PPAGE);
	assert_int_equal(m->sel, 4);
	key(m, MODEL_KEY_HOME);
	assert_int_equal(m->sel, 0);
	key(m, MODEL_KEY_END);
	assert_int_equal(m->sel, 9);
	assert_int_equal(sel_pid(m), 10);
	/* A screen of 1 or 2 lines still pages by one row. */
	model_resize(m, 2, 40);
	key(m, MODEL_KEY_PPAGE);
	assert_int_equal(m->sel, 8);
}

/* Pause, histogram, scrolling, quitting */

static void test_pause(void **state)
{
	struct top_model *m = *state;
	__u64 start;

	add_pid(m, 10, 4);
	refresh_after(m, SEC);
	start = m->cur_start;
	key(m, 'p');
	assert_true(m->paused);

	/* Refreshes while paused change nothing ... */
	add_pid(m, 10, 6);
	advance(SEC);
	assert_int_equal(model_refresh(m), 0);
	add_pid(m, 20, 1);
	advance(SEC);
	assert_int_equal(model_refresh(m), 0);
	assert_int_equal(m->nrows, 1);
	assert_int_equal(m->rows[0].st->ops, 4);
	assert_int_equal(m->shown_ns, SEC);
	assert_int_equal(m->cur_start, start);

	/* ... but the records are counted: the next covers the pause. */
	key(m, 'p');
	assert_false(m->paused);
	refresh_after(m, SEC);
	assert_int_equal(m->shown_ns, 3 * SEC);
	assert_int_equal(m->nrows, 2);
	assert_int_equal(m->rows[0].st->ops, 6);
	assert_float_equal(m->rows[0].v[TOP_C_OPS], 2.0, 1e-9);
	assert_int_equal(model_cum_ops(m), 11);
}

static void test_hist(void **state)
{
	struct top_model *m = *state;
	const struct agg_stats *st;

	assert_false(m->hist);
	key(m, 'h');
	assert_true(m->hist);
	/* No row selected yet. */
	assert_null(model_hist_stats(m));

	add_pid(m, 10, 3);
	add_pid(m, 20, 2);
	refresh_after(m, SEC);
	st = model_hist_stats(m);
	assert_non_null(st);
	assert_int_equal(st->key.pid, 10);
	assert_int_equal(st->lat.count, 3);
	/* Cumulative: every interval since the grouping was chosen. */
	add_pid(m, 10, 4);
	refresh_after(m, SEC);
	assert_int_equal(model_hist_stats(m)->lat.count, 7);
	/* It follows the selection, and counts what the group had idle. */
	add_pid(m, 10, 1);
	add_pid(m, 20, 1);
	refresh_after(m, SEC);
	key(m, MODEL_KEY_DOWN);
	assert_int_equal(model_hist_stats(m)->key.pid, 20);
	assert_int_equal(model_hist_stats(m)->lat.count, 3);
	add_pid(m, 20, 1);
	add_pid(m, 10, 9);
	refresh_after(m, SEC);
	assert_int_equal(model_hist_stats(m)->key.pid, 20);
	assert_int_equal(model_hist_stats(m)->lat.count, 4);

	key(m, 'h');
	assert_false(m->hist);
}

static void test_scroll(void **state)
{
	struct top_model *m = *state;

	add_ten(m);
	refresh_after(m, SEC);
	model_scroll(m, 3);
	assert_int_equal(m->first, 0);
	key(m, 'j');
	key(m, 'j');
	model_scroll(m, 3);
	assert_int_equal(m->first, 0);
	key(m, 'j');			/* row 3: one below the screen */
	model_scroll(m, 3);
	assert_int_equal(m->first, 1);
	key(m, MODEL_KEY_END);
	model_scroll(m, 3);
	assert_int_equal(m->first, 7);
	key(m, 'k');
	key(m, 'k');
	model_scroll(m, 3);
	assert_int_equal(m->first, 7);
	key(m, 'k');
	model_scroll(m, 3);
	assert_int_equal(m->first, 6);
	key(m, MODEL_KEY_HOME);
	model_scroll(m, 3);
	assert_int_equal(m->first, 0);
	/* No room at all: the selected row is still the one shown. */
	key(m, MODEL_KEY_END);
	model_scroll(m, 0);
	assert_int_equal(m->first, 9);
}

/* Fewer rows after a refresh: the window moves up, no empty lines. */
static void test_scroll_rows_shrink(void **state)
{
	struct top_model *m = *state;

	add_ten(m);
	refresh_after(m, SEC);
	key(m, MODEL_KEY_END);
	model_scroll(m, 4);
	assert_int_equal(m->first, 6);
	add_pid(m, 1, 5);
	add_pid(m, 2, 4);
	add_pid(m, 3, 3);
	add_pid(m, 4, 2);
	add_pid(m, 5, 1);
	refresh_after(m, SEC);
	assert_int_equal(m->sel, 4);
	model_scroll(m, 4);
	assert_int_equal(m->first, 1);
	model_scroll(m, 8);
	assert_int_equal(m->first, 0);
}

static void test_quit_and_other_keys(void **state)
{
	struct top_model *m = *state;

	add_ten(m);
	refresh_after(m, SEC);
	key(m, 'j');
	key(m, 'x');
	key(m, 0);
	key(m, -1);
	assert_int_equal(m->sel, 1);
	assert_int_equal(m->sort, TOP_C_OPS);
	assert_int_equal(m->by, AGG_BY_PID);
	assert_false(m->paused || m->hist || m->quit);
	key(m, 'q');
	assert_true(m->quit);
	m->quit = false;
	key(m, 'Q');
	assert_true(m->quit);
}

static void test_names(void **state)
{
	int by;

	(void)state;
	for (by = 0; by < TOP_NR_BY; by++)
		assert_int_equal(model_by_parse(model_by_name(by)), by);
	assert_int_equal(model_by_parse("pid"), AGG_BY_PID);
	assert_int_equal(model_by_parse("tid"), -1);
	assert_null(model_by_name(TOP_NR_BY));
	assert_int_equal(model_sort_parse("ops"), TOP_C_OPS);
	assert_int_equal(model_sort_parse("p99"), TOP_C_P99);
	assert_int_equal(model_sort_parse("pages"), TOP_C_PGOP);
	/* Shown, but not an order: */
	assert_int_equal(model_sort_parse("errno"), -1);
	assert_int_equal(model_sort_parse("zapper"), -1);
	assert_int_equal(model_sort_parse("ERR/s"), -1);
}

/*
 * The packed group store: a group comes back byte for byte, however it
 * packs (runs of zero words and of others), among any number of others.
 */

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define GROUP_WORDS	(sizeof(struct agg_stats) / sizeof(__u64))

/* xorshift64: random groups, the same at every run. */
static __u64 rng_state = 88172645463325252ULL;

static __u64 rng(void)
{
	return rng_next(&rng_state);
}

static unsigned int rnd(unsigned int n)
{
	return rng() % n;
}

enum fill {
	FILL_SPARSE,	/* mostly zero, as groups are: a few words set */
	FILL_ALTERNATE,	/* zero, not, zero, ...: runs of one word */
	FILL_DENSE,	/* no zero word: one run of them all */
	FILL_BYTES,	/* random bytes, half of them 0, padding too */
};

/*
 * Group i filled as `how` says; its pid is i + 1, the rest of its key
 * what the filling left there (compared whole: still a key).
 */
static void make_group(struct agg_stats *st, unsigned int i, enum fill how)
{
	__u64 *w = (__u64 *)st;
	size_t j;

	memset(st, 0, sizeof(*st));
	switch (how) {
	case FILL_SPARSE:
		for (j = rnd(50); j--;)
			w[rnd(GROUP_WORDS)] = rng();
		/* the last word in a run of words, not of zeros */
		if (rnd(2))
			w[GROUP_WORDS - 1] = rng() | 1;
		st->ops = 1 + rnd(1000);
		break;
	case FILL_ALTERNATE:
		for (j = (i / 10) & 1; j < GROUP_WORDS; j += 2)
			w[j] = rng() | 1;
		break;
	case FILL_DENSE:
		for (j = 0; j < GROUP_WORDS; j++)
			w[j] = rng() | 1;
		break;
	case FILL_BYTES:
		for (j = 0; j < sizeof(*st); j++)
			((unsigned char *)st)[j] = rnd(2) ? rng() : 0;
		break;
	}
	st->key.pid = i + 1;
}

/* A group as an agg makes it: a whole key (comm, cgroup, caller). */
static void real_group(struct agg_stats *st, unsigned int i)
{
	struct agg *a = agg_new(AGG_BY_ALL);
	struct pfnmap_event e = ev(i + 1, "qemu-kvm");
	unsigned int n;

	assert_non_null(a);
	e.cgroup_id = 0x1234 + i;
	e.caller = 0xffffffff81234560ULL + i;
	for (n = 1 + rnd(20); n--;) {
		e.duration_ns = 100 + rnd(1000000);
		e.retries = rnd(4);
		e.ret = rnd(4) ? 0 : -(__s64)(1 + rnd(40));
		assert_int_equal(agg_add(a, &e), 0);
	}
	assert_int_equal(agg_count(a), 1);
	memcpy(st, agg_at(a, 0), sizeof(*st));
	agg_free(a);
}

/* The first word that differs, rather than 21 KiB of bytes. */
static void assert_same_group(const struct agg_stats *got,
			      const struct agg_stats *want)
{
	const __u64 *g = (const __u64 *)got, *w = (const __u64 *)want;
	size_t i;

	assert_non_null(got);
	for (i = 0; i < GROUP_WORDS; i++)
		if (g[i] != w[i])
			fail_msg("word %zu of %zu: %llx, not %llx", i,
				 GROUP_WORDS, (unsigned long long)g[i],
				 (unsigned long long)w[i]);
}

/* packed_get() into a buffer of junk: every byte must be written. */
static void assert_get(const struct packed *p, const struct agg_stats *want,
		       struct agg_stats *buf)
{
	memset(buf, 0xa5, sizeof(*buf));
	assert_ptr_equal(packed_get(p, &want->key, buf), buf);
	assert_same_group(buf, want);
}

/* Group 0 all zero, key too; one in ten made by an agg; the rest filled. */
static void make_groups(struct agg_stats *st, unsigned int n)
{
	static const enum fill fills[] = {
		FILL_SPARSE, FILL_SPARSE, FILL_SPARSE, FILL_SPARSE,
		FILL_SPARSE, FILL_SPARSE, FILL_ALTERNATE, FILL_DENSE,
		FILL_BYTES,
	};
	unsigned int i;

	memset(&st[0], 0, sizeof(st[0]));
	for (i = 1; i < n; i++) {
		if (i % 10 == 1)
			real_group(&st[i], i);
		else
			make_group(&st[i], i, fills[i % ARRAY_SIZE(fills)]);
	}
}

static void test_packed_roundtrip(void **state)
{
	enum { N = 300 };
	struct agg_stats *st = calloc(N, sizeof(*st));
	struct agg_stats *buf = malloc(sizeof(*buf));
	struct packed *p = packed_new();
	unsigned int order[N], i, j, t;
	__u64 ops = 0;

	(void)state;
	assert_true(st && buf && p);
	make_groups(st, N);
	/* in no order: each goes in before, between or after others */
	for (i = 0; i < N; i++)
		order[i] = i;
	for (i = N; i > 1; i--) {
		j = rnd(i);
		t = order[i - 1], order[i - 1] = order[j], order[j] = t;
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(packed_put(p, &st[order[i]]), 0);
		assert_get(p, &st[order[i]], buf);
		ops += st[order[i]].ops;
		assert_int_equal(packed_count(p), i + 1);
		assert_int_equal(packed_ops(p), ops);
	}
	/* the ones put after a group did not touch it */
	for (i = 0; i < N; i++)
		assert_get(p, &st[i], buf);
	packed_free(p);
	free(buf);
	free(st);
}

/* A key put again: one copy, the new one, however either packs. */
static void test_packed_replace(void **state)
{
	static const enum fill fills[] = {
		FILL_SPARSE, FILL_DENSE, FILL_ALTERNATE, FILL_BYTES,
		FILL_SPARSE,
	};
	struct agg_stats *st = calloc(3, sizeof(*st));
	struct agg_stats *buf = malloc(sizeof(*buf));
	struct packed *p = packed_new();
	struct agg_key k;
	size_t i;

	(void)state;
	assert_true(st && buf && p);
	/* the groups of pid 1 and 3 beside it must stay as they are */
	make_group(&st[0], 0, FILL_SPARSE);
	make_group(&st[2], 2, FILL_DENSE);
	memset(&st[0].key, 0, sizeof(k));
	memset(&st[2].key, 0, sizeof(k));
	st[0].key.pid = 1;
	st[2].key.pid = 3;
	assert_int_equal(packed_put(p, &st[0]), 0);
	assert_int_equal(packed_put(p, &st[2]), 0);
	memset(&k, 0, sizeof(k));
	k.pid = 2;
	for (i = 0; i <= ARRAY_SIZE(fills); i++) {
		/* the last time: nothing but its key */
		if (i < ARRAY_SIZE(fills))
			make_group(&st[1], 1, fills[i]);
		else
			memset(&st[1], 0, sizeof(st[1]));
		memcpy(&st[1].key, &k, sizeof(k));
		assert_int_equal(packed_put(p, &st[1]), 0);
		assert_int_equal(packed_count(p), 3);
		assert_int_equal(packed_ops(p),
				 st[0].ops + st[1].ops + st[2].ops);
		assert_get(p, &st[1], buf);
		assert_get(p, &st[0], buf);
		assert_get(p, &st[2], buf);
	}
	packed_free(p);
	free(buf);
	free(st);
}

static void test_packed_missing(void **state)
{
	struct agg_stats *st = calloc(3, sizeof(*st));
	struct agg_stats *buf = malloc(sizeof(*buf));
	struct packed *p = packed_new();
	struct agg_key k;
	int i;

	(void)state;
	assert_true(st && buf && p);
	memset(&k, 0, sizeof(k));
	assert_null(packed_get(p, &k, buf));
	for (i = 0; i < 3; i++) {
		real_group(&st[i], 0);
		st[i].key.pid = 10 * (i + 1);
		assert_int_equal(packed_put(p, &st[i]), 0);
	}
	/*
	 * Below them all, between them, above them all.  Keys are copied
	 * with memcpy(): their padding counts, assignment may skip it.
	 */
	for (i = 0; i < 4; i++) {
		memcpy(&k, &st[0].key, sizeof(k));
		k.pid = 5 + 10 * i;
		assert_null(packed_get(p, &k, buf));
	}
	/* any field of the key counts */
	memcpy(&k, &st[1].key, sizeof(k));
	k.comm[strlen(k.comm) - 1]++;
	assert_null(packed_get(p, &k, buf));
	memcpy(&k, &st[1].key, sizeof(k));
	k.cgroup_id++;
	assert_null(packed_get(p, &k, buf));
	memcpy(&k, &st[1].key, sizeof(k));
	k.caller--;
	assert_null(packed_get(p, &k, buf));
	memcpy(&k, &st[1].key, sizeof(k));
	k.kind++;
	assert_null(packed_get(p, &k, buf));
	assert_get(p, &st[1], buf);
	packed_free(p);
	free(buf);
	free(st);
}

static void test_packed_reset(void **state)
{
	enum { N = 50 };
	struct agg_stats *st = calloc(N, sizeof(*st));
	struct agg_stats *buf = malloc(sizeof(*buf));
	struct packed *p = packed_new();
	unsigned int i;

	(void)state;
	assert_true(st && buf && p);
	make_groups(st, N);
	for (i = 0; i < N; i++)
		assert_int_equal(packed_put(p, &st[i]), 0);
	assert_int_equal(packed_count(p), N);
	packed_reset(p);
	assert_int_equal(packed_count(p), 0);
	assert_int_equal(packed_ops(p), 0);
	for (i = 0; i < N; i++)
		assert_null(packed_get(p, &st[i].key, buf));
	/* and it starts over */
	assert_int_equal(packed_put(p, &st[7]), 0);
	assert_int_equal(packed_count(p), 1);
	assert_int_equal(packed_ops(p), st[7].ops);
	assert_get(p, &st[7], buf);
	assert_null(packed_get(p, &st[8].key, buf));
	packed_reset(p);
	packed_reset(p);
	assert_int_equal(packed_count(p), 0);
	packed_free(p);
	packed_free(NULL);
	free(buf);
	free(st);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_refresh_values),
		T(test_unknown_values),
		T(test_sort_right),
		T(test_sort_left),
		T(test_sort_cycle),
		T(test_sort_ties),
		T(test_sort_unknown_last),
		T(test_group_each),
		T(test_regroup),
		T(test_sel_follows_refresh),
		T(test_sel_follows_sort),
		T(test_sel_group_gone),
		T(test_sel_reset_by_regroup),
		T(test_sel_keys),
		T(test_pause),
		T(test_hist),
		T(test_scroll),
		T(test_scroll_rows_shrink),
		T(test_quit_and_other_keys),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_packed_roundtrip),
		cmocka_unit_test(test_packed_replace),
		cmocka_unit_test(test_packed_missing),
		cmocka_unit_test(test_packed_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
