// SPDX-License-Identifier: GPL-2.0
/*
 * model.c - the state of `pfnmap top` and what keys do to it (model.h).
 *
 * Every record goes into two aggs of the current grouping: `cur`, the
 * interval being collected, and `cum`, everything since the grouping was
 * chosen (for the histogram).  At a refresh `cur` becomes `shown` and a
 * new interval starts at that same instant, so a rate is exactly the
 * records of the last interval divided by its measured length, and the
 * counts of successive refreshes add up to the total.
 *
 * `cum` keeps its groups packed (one per process that ever came by,
 * with many short-lived ones): a group is unpacked whole to change, so
 * it changes exactly as if it had never been packed, and packed again.
 */
#define _GNU_SOURCE		/* qsort_r */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

/* Groups kept for histograms before starting over. */
#define CUM_MAX_GROUPS		4096

const struct top_column top_columns[TOP_C_NCOLS] = {
	[TOP_C_OPS]	= { "OPS/s",	9,	"ops" },
	[TOP_C_ERRS]	= { "ERR/s",	8,	"errors" },
	[TOP_C_ERRNO]	= { "ERRNO",	-9,	NULL },
	[TOP_C_RETR]	= { "RETR/s",	8,	"retries" },
	[TOP_C_MAXR]	= { "MAXR",	5,	"maxr" },
	[TOP_C_ZAPS]	= { "ZAPS",	5,	"zaps" },
	[TOP_C_ZAPPER]	= { "ZAPPER",	7,	NULL },
	[TOP_C_P50]	= { "P50",	8,	"p50" },
	[TOP_C_P99]	= { "P99",	8,	"p99" },
	[TOP_C_LMAX]	= { "MAX",	8,	"max" },
	[TOP_C_PGOP]	= { "PG/OP",	6,	"pages" },
};

static const char *const by_names[TOP_NR_BY] = {
	[AGG_BY_KIND]	= "kind",
	[AGG_BY_COMM]	= "comm",
	[AGG_BY_PID]	= "pid",
	[AGG_BY_CGROUP]	= "cgroup",
	[AGG_BY_CALLER]	= "caller",
};

const char *model_by_name(enum agg_by by)
{
	return (unsigned int)by < TOP_NR_BY ? by_names[by] : NULL;
}

int model_by_parse(const char *name)
{
	int i;

	for (i = 0; i < TOP_NR_BY; i++)
		if (!strcmp(name, by_names[i]))
			return i;
	return -1;
}

int model_sort_parse(const char *name)
{
	int c;

	for (c = 0; c < TOP_C_NCOLS; c++)
		if (top_columns[c].name && !strcmp(name, top_columns[c].name))
			return c;
	return -1;
}

/* Packed groups (model.h) */

/*
 * A group's words as runs: a header word (zero words to skip in its high
 * half, words to copy in its low half), the words to copy, the next
 * header, ... up to the end of struct agg_stats.
 */
#define NWORDS		(sizeof(struct agg_stats) / sizeof(__u64))

_Static_assert(sizeof(struct agg_stats) % sizeof(__u64) == 0,
	       "a group is whole words");

struct packed_group {
	struct agg_key	key;
	__u64		ops;
	__u64		*words;
};

struct packed {
	struct packed_group	*g;		/* sorted by key */
	size_t			n, cap;
};

/* The length of w packed, written to out unless NULL. */
static size_t pack(const __u64 *w, __u64 *out)
{
	size_t i = 0, len = 0, zeros, lits;

	while (i < NWORDS) {
		for (zeros = 0; i + zeros < NWORDS && !w[i + zeros]; zeros++)
			;
		i += zeros;
		for (lits = 0; i + lits < NWORDS && w[i + lits]; lits++)
			;
		if (out) {
			out[len] = (__u64)zeros << 32 | lits;
			memcpy(out + len + 1, w + i, lits * sizeof(*w));
		}
		len += 1 + lits;
		i += lits;
	}
	return len;
}

static void unpack(const __u64 *in, __u64 *w)
{
	size_t i = 0, zeros, lits;

	while (i < NWORDS) {
		zeros = *in >> 32;
		lits = *in++ & 0xffffffff;
		memset(w + i, 0, zeros * sizeof(*w));
		i += zeros;
		memcpy(w + i, in, lits * sizeof(*w));
		in += lits;
		i += lits;
	}
}

struct packed *packed_new(void)
{
	return calloc(1, sizeof(struct packed));
}

void packed_reset(struct packed *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->g[i].words);
	p->n = 0;
}

void packed_free(struct packed *p)
{
	if (!p)
		return;
	packed_reset(p);
	free(p->g);
	free(p);
}

/* Normalized keys, padding zeroed: memcmp() orders them. */
static int key_order(const struct agg_key *a, const struct agg_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

/* Index of the first group whose key is not below k. */
static size_t packed_lower(const struct packed *p, const struct agg_key *k)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (key_order(&p->g[mid].key, k) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Room for a new group at i. */
static int packed_insert(struct packed *p, size_t i)
{
	struct packed_group *g = p->g;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;

		g = realloc(g, cap * sizeof(*g));
		if (!g)
			return -ENOMEM;
		p->g = g;
		p->cap = cap;
	}
	memmove(g + i + 1, g + i, (p->n - i) * sizeof(*g));
	p->n++;
	g[i].words = NULL;
	return 0;
}

int packed_put(struct packed *p, const struct agg_stats *st)
{
	const __u64 *w = (const __u64 *)st;
	__u64 *words = malloc(pack(w, NULL) * sizeof(*w));
	size_t i = packed_lower(p, &st->key);

	if (!words)
		return -ENOMEM;
	if ((i == p->n || key_order(&p->g[i].key, &st->key)) &&
	    packed_insert(p, i)) {
		free(words);
		return -ENOMEM;
	}
	pack(w, words);
	free(p->g[i].words);
	memcpy(&p->g[i].key, &st->key, sizeof(st->key));
	p->g[i].ops = st->ops;
	p->g[i].words = words;
	return 0;
}

const struct agg_stats *packed_get(const struct packed *p,
				   const struct agg_key *k,
				   struct agg_stats *buf)
{
	size_t i = packed_lower(p, k);

	if (i == p->n || key_order(&p->g[i].key, k))
		return NULL;
	unpack(p->g[i].words, (__u64 *)buf);
	return buf;
}

size_t packed_count(const struct packed *p)
{
	return p->n;
}

__u64 packed_ops(const struct packed *p)
{
	__u64 ops = 0;
	size_t i;

	for (i = 0; i < p->n; i++)
		ops += p->g[i].ops;
	return ops;
}

/* Aggregation */

/* All four or none: a failed regroup leaves the old grouping intact. */
static int aggs_new(struct top_model *m, enum agg_by by)
{
	struct agg *cur = agg_new(by), *shown = agg_new(by), *one = agg_new(by);
	struct packed *cum = packed_new();

	if (!cur || !shown || !one || !cum) {
		agg_free(cur);
		agg_free(shown);
		agg_free(one);
		packed_free(cum);
		return -ENOMEM;
	}
	agg_free(m->cur);
	agg_free(m->shown);
	agg_free(m->cum_one);
	packed_free(m->cum);
	m->cur = cur;
	m->shown = shown;
	m->cum_one = one;
	m->cum = cum;
	m->by = by;
	m->nrows = 0;
	m->shown_ns = 0;
	m->cur_start = m->cum_start = m->clock->mono_ns();
	m->shown_at = m->clock->wall();
	return 0;
}

int model_init(struct top_model *m, enum agg_by by, int sort,
	       const struct model_clock *clock)
{
	memset(m, 0, sizeof(*m));
	m->clock = clock;
	m->sort = sort;
	m->unpacked = malloc(sizeof(*m->unpacked));
	return m->unpacked ? aggs_new(m, by) : -ENOMEM;
}

void model_free(struct top_model *m)
{
	agg_free(m->cur);
	agg_free(m->shown);
	agg_free(m->cum_one);
	packed_free(m->cum);
	free(m->unpacked);
	free(m->rows);
	m->cur = m->shown = m->cum_one = NULL;
	m->cum = NULL;
	m->unpacked = NULL;
	m->rows = NULL;
	m->nrows = 0;
}

/*
 * The group of key k (any key: the grouping narrows it) as cum has it,
 * whole, the only group of cum_one: a change to it is then the change
 * cum would have seen unpacked.  NULL if out of memory.
 */
static struct agg_stats *cum_unpack(struct top_model *m,
				    const struct agg_key *k)
{
	static const struct agg_stats no_ops;
	struct agg_stats *g;
	struct agg_key nk;

	agg_reset(m->cum_one);
	/* a group of no operations adds nothing: the new one is empty */
	if (agg_add_group(m->cum_one, k, &no_ops))
		return NULL;
	g = agg_at(m->cum_one, 0);
	memcpy(&nk, &g->key, sizeof(nk));
	packed_get(m->cum, &nk, g);
	return g;
}

/* Every field agg_add() may group a record by. */
static void event_key(struct agg_key *k, const struct pfnmap_event *e)
{
	memset(k, 0, sizeof(*k));
	k->kind = e->kind;
	k->pid = e->pid;
	k->cgroup_id = e->cgroup_id;
	k->caller = e->caller;
	memcpy(k->comm, e->comm, sizeof(k->comm));
}

int model_add(struct top_model *m, const struct pfnmap_event *e)
{
	struct agg_key k;

	/* A kind this build has no name or mode for cannot be shown. */
	if (e->kind >= PFNMAP_K_MAX)
		return 0;
	event_key(&k, e);
	if (agg_add(m->cur, e) || !cum_unpack(m, &k) ||
	    agg_add(m->cum_one, e) || packed_put(m->cum, agg_at(m->cum_one, 0)))
		return -ENOMEM;
	return 0;
}

int model_add_group(struct top_model *m, const struct agg_stats *st)
{
	if (st->key.kind >= PFNMAP_K_MAX)
		return 0;
	if (agg_add_group(m->cur, &st->key, st) ||
	    !cum_unpack(m, &st->key) ||
	    agg_add_group(m->cum_one, &st->key, st) ||
	    packed_put(m->cum, agg_at(m->cum_one, 0)))
		return -ENOMEM;
	return 0;
}

/* Rows */

static double col_value(const struct agg_stats *st, int c, double secs)
{
	bool retr = agg_known(st, AGG_F_RETRIES);

	switch (c) {
	case TOP_C_OPS:
		return st->ops / secs;
	case TOP_C_ERRS:
		return st->errors / secs;
	case TOP_C_RETR:
		return retr ? st->sum[AGG_F_RETRIES] / secs : NAN;
	case TOP_C_MAXR:
		return retr ? st->max_retries : NAN;
	case TOP_C_ZAPS:
		return agg_known(st, AGG_F_ZAP_RACES) ?
		       (double)st->sum[AGG_F_ZAP_RACES] : NAN;
	case TOP_C_ZAPPER:
		return st->last_zap_tid ? (double)st->last_zap_tid : NAN;
	case TOP_C_P50:
		return hist_percentile(&st->lat, 50);
	case TOP_C_P99:
		return hist_percentile(&st->lat, 99);
	case TOP_C_LMAX:
		return st->lat.max;
	case TOP_C_PGOP:
		return agg_known(st, AGG_F_PAGES) ?
		       (double)st->sum[AGG_F_PAGES] / st->known[AGG_F_PAGES] :
		       NAN;
	}
	return NAN;
}

static int key_cmp(const struct agg_key *a, const struct agg_key *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->pid != b->pid)
		return a->pid < b->pid ? -1 : 1;
	if (a->cgroup_id != b->cgroup_id)
		return a->cgroup_id < b->cgroup_id ? -1 : 1;
	if (a->caller != b->caller)
		return a->caller < b->caller ? -1 : 1;
	return strncmp(a->comm, b->comm, sizeof(a->comm));
}

/* Largest first, unknown last, then by key: the order never flickers. */
static int row_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct top_row *a = pa, *b = pb;
	int c = *(const int *)ctx;
	double x = a->v[c], y = b->v[c];

	if (isnan(x) != isnan(y))
		return isnan(x) ? 1 : -1;
	if (!isnan(x) && x != y)
		return x > y ? -1 : 1;
	return key_cmp(&a->st->key, &b->st->key);
}

static void rows_sort(struct top_model *m)
{
	qsort_r(m->rows, m->nrows, sizeof(*m->rows), row_cmp, &m->sort);
}

static void remember_sel(struct top_model *m)
{
	if (m->nrows) {
		/* bytes, padding too: packed_get() compares keys whole */
		memcpy(&m->sel_key, &m->rows[m->sel].st->key, sizeof(m->sel_key));
		m->have_sel_key = true;
	}
}

/*
 * The selection belongs to a group, not to a line: it follows its group
 * across refreshes and re-sorts, and stays on the same line only when the
 * group is gone.
 */
static void select_key(struct top_model *m)
{
	size_t i;

	if (m->have_sel_key) {
		for (i = 0; i < m->nrows; i++) {
			if (!key_cmp(&m->rows[i].st->key, &m->sel_key)) {
				m->sel = i;
				return;
			}
		}
	}
	if (m->sel >= (int)m->nrows)
		m->sel = m->nrows ? (int)m->nrows - 1 : 0;
	remember_sel(m);
}

static int rows_build(struct top_model *m)
{
	size_t n = agg_count(m->shown), i;
	double secs = m->shown_ns / 1e9;
	struct top_row *r;
	int c;

	r = realloc(m->rows, (n ? n : 1) * sizeof(*r));
	if (!r)
		return -ENOMEM;
	m->rows = r;
	m->nrows = n;
	for (i = 0; i < n; i++) {
		r[i].st = agg_at(m->shown, i);
		for (c = 0; c < TOP_C_NCOLS; c++)
			r[i].v[c] = col_value(r[i].st, c, secs);
	}
	rows_sort(m);
	select_key(m);
	return 0;
}

/*
 * A long run sees many short-lived processes: their groups stay in `cum`
 * for good.  Past a bound it starts over rather than grow without end.
 */
static void cum_bound(struct top_model *m, __u64 now)
{
	if (packed_count(m->cum) <= CUM_MAX_GROUPS)
		return;
	packed_reset(m->cum);
	m->cum_start = now;
	snprintf(m->msg, sizeof(m->msg),
		 "histograms restarted: more than %d groups since the last start",
		 CUM_MAX_GROUPS);
}

int model_refresh(struct top_model *m)
{
	__u64 now;
	struct agg *a;

	if (m->paused)
		return 0;
	now = m->clock->mono_ns();
	a = m->shown;
	m->shown = m->cur;
	m->cur = a;
	agg_reset(m->cur);
	m->shown_ns = now - m->cur_start;
	m->cur_start = now;
	m->shown_at = m->clock->wall();
	m->msg[0] = '\0';
	cum_bound(m, now);
	return rows_build(m) ? -ENOMEM : 1;
}

/*
 * The counts of one grouping cannot be turned into another's: a new
 * interval and new histograms start, rows come with the next refresh.
 */
int model_group(struct top_model *m, enum agg_by by)
{
	if (aggs_new(m, by))
		return -ENOMEM;
	m->sel = m->first = 0;
	m->have_sel_key = false;
	snprintf(m->msg, sizeof(m->msg),
		 "grouped by %s: a new interval started, rows come with the next refresh",
		 by_names[by]);
	return 0;
}

/* Keys */

/* s wraps around, < and > stop at the first and last sortable column. */
static void cycle_sort(struct top_model *m, int dir, bool wrap)
{
	int c = m->sort;

	do {
		c += dir;
		if (c < 0 || c >= TOP_C_NCOLS) {
			if (!wrap)
				return;
			c = c < 0 ? TOP_C_NCOLS - 1 : 0;
		}
	} while (!top_columns[c].name);
	m->sort = c;
	rows_sort(m);
	select_key(m);
}

static void move_sel(struct top_model *m, int to)
{
	if (to >= (int)m->nrows)
		to = (int)m->nrows - 1;
	if (to < 0)
		to = 0;
	m->sel = to;
	remember_sel(m);
}

/* Up, Down, ...: any other key does nothing. */
static void key_select(struct top_model *m, int key)
{
	int page = m->lines / 2 > 1 ? m->lines / 2 : 1;

	switch (key) {
	case MODEL_KEY_UP: case 'k':
		move_sel(m, m->sel - 1);
		break;
	case MODEL_KEY_DOWN: case 'j':
		move_sel(m, m->sel + 1);
		break;
	case MODEL_KEY_PPAGE:
		move_sel(m, m->sel - page);
		break;
	case MODEL_KEY_NPAGE:
		move_sel(m, m->sel + page);
		break;
	case MODEL_KEY_HOME:
		move_sel(m, 0);
		break;
	case MODEL_KEY_END:
		move_sel(m, (int)m->nrows - 1);
		break;
	}
}

int model_key(struct top_model *m, int key)
{
	switch (key) {
	case 'q': case 'Q':
		m->quit = true;
		break;
	case 's':
		cycle_sort(m, 1, true);
		break;
	case '>':
		cycle_sort(m, 1, false);
		break;
	case '<':
		cycle_sort(m, -1, false);
		break;
	case 'g':
		return model_group(m, (m->by + 1) % TOP_NR_BY);
	case 'p':
		m->paused = !m->paused;
		break;
	case 'h':
		m->hist = !m->hist;
		break;
	default:
		key_select(m, key);
	}
	return 0;
}

void model_resize(struct top_model *m, int lines, int cols)
{
	m->lines = lines;
	m->cols = cols;
}

void model_scroll(struct top_model *m, int rows)
{
	if (rows < 1)
		rows = 1;
	if (m->sel < m->first)
		m->first = m->sel;
	if (m->sel >= m->first + rows)
		m->first = m->sel - rows + 1;
	if (m->first > (int)m->nrows - rows)
		m->first = (int)m->nrows - rows;
	if (m->first < 0)
		m->first = 0;
}

const struct agg_stats *model_hist_stats(const struct top_model *m)
{
	return m->have_sel_key ?
	       packed_get(m->cum, &m->sel_key, m->unpacked) : NULL;
}

__u64 model_cum_ops(const struct top_model *m)
{
	return packed_ops(m->cum);
}
