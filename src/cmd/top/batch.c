// SPDX-License-Identifier: GPL-2.0
/*
 * batch.c - the snapshots of `pfnmap top` when it does not own a screen:
 * plain text like `top -b` (the screen's lines, from text.c), or one JSON
 * object per refresh and line (--json).
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <sys/time.h>
#include "json.h"
#include "top.h"
#include "view.h"

/* The sink of text.c's lines: every line, nothing is cut. */
static bool file_line(struct top_out *o, enum top_attr a, const char *s)
{
	(void)a;
	fprintf(o->f, "%s\n", s);
	return true;
}

static void print_text(struct top *t)
{
	struct top_out o = { .line = file_line, .f = stdout };
	char buf[1024];
	int x, w;
	size_t i;

	top_header(t, &o);
	top_put(&o, TOP_A_NORMAL, "");
	top_title_line(t, buf, sizeof(buf), &x, &w);
	top_put(&o, TOP_A_NORMAL, "%s", buf);
	for (i = 0; i < t->m.nrows; i++) {
		top_row_line(t, &t->m.rows[i], false, buf, sizeof(buf));
		top_put(&o, TOP_A_NORMAL, "%s", buf);
	}
	top_put(&o, TOP_A_NORMAL, "");
}

/* JSON */

static void json_rate(struct json *j, const char *key, double v)
{
	json_key(j, key);
	if (isnan(v))
		json_null(j);
	else
		json_double(j, v);
}

/* Only the keys of the grouping: the others are 0 or "" in every row. */
static void json_row_keys(struct top *t, struct json *j,
			  const struct agg_key *k)
{
	char tmp[PATH_MAX];

	json_kv_str(j, "kind", pfnmap_kind_name(k->kind));
	if (t->m.by == AGG_BY_PID)
		json_kv_u64(j, "pid", k->pid);
	if (t->m.by == AGG_BY_PID || t->m.by == AGG_BY_COMM)
		json_kv_str(j, "comm", k->comm);
	if (t->m.by == AGG_BY_CGROUP) {
		json_kv_u64(j, "cgroup_id", k->cgroup_id);
		cg_name(&t->cg, k->cgroup_id, tmp, sizeof(tmp));
		json_kv_str(j, "cgroup", tmp);
	}
	if (t->m.by == AGG_BY_CALLER) {
		json_kv_u64(j, "caller", k->caller);
		top_ksym_name(&t->ksyms, k->caller, tmp, sizeof(tmp));
		json_kv_str(j, "caller_sym", tmp);
	}
}

static void json_row(struct top *t, struct json *j, const struct top_row *r)
{
	const struct agg_stats *st = r->st;
	char err[32];

	json_obj_begin(j);
	json_row_keys(t, j, &st->key);
	stats_json(j, st, session_mode(t->s, st->key.kind)->valid);
	json_rate(j, "ops_per_s", r->v[TOP_C_OPS]);
	json_rate(j, "errors_per_s", r->v[TOP_C_ERRS]);
	json_rate(j, "retries_per_s", r->v[TOP_C_RETR]);
	json_key(j, "top_errno");
	top_fmt_cell(err, sizeof(err), st, r->v, TOP_C_ERRNO);
	if (st->errors)
		json_str(j, err);
	else
		json_null(j);
	json_rate(j, "pages_per_op", r->v[TOP_C_PGOP]);
	json_obj_end(j);
}

/* What a snapshot says besides its rows. */
static void json_head(struct top *t, struct json *j)
{
	struct timeval tv;
	int k;

	gettimeofday(&tv, NULL);
	json_kv_double(j, "timestamp", tv.tv_sec + tv.tv_usec / 1e6);
	json_kv_u64(j, "monotonic_ns", t->m.cur_start);
	json_kv_u64(j, "interval_ns", t->m.shown_ns);
	json_kv_str(j, "by", model_by_name(t->m.by));
	json_kv_str(j, "sort", top_columns[t->m.sort].name);
	json_kv_u64(j, "drops", t->drops);
	json_kv_u64(j, "drops_interval", t->drops_shown);
	json_key(j, "mode");
	json_obj_begin(j);
	for (k = 0; k < PFNMAP_K_MAX; k++)
		json_kv_str(j, pfnmap_kind_name(k),
			    pfnmap_source_name(session_mode(t->s, k)->source));
	json_obj_end(j);
}

static void print_json(struct top *t)
{
	struct json j;
	size_t i;

	json_init(&j, stdout, false);
	json_obj_begin(&j);
	json_head(t, &j);
	json_key(&j, "rows");
	json_arr_begin(&j);
	for (i = 0; i < t->m.nrows; i++)
		json_row(t, &j, &t->m.rows[i]);
	json_arr_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}

int batch_print(struct top *t)
{
	if (t->o->json)
		print_json(t);
	else
		print_text(t);
	if (fflush(stdout) || ferror(stdout))
		return errno ? -errno : -EIO;
	return 0;
}
