// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - `pfnmap diff --json`: the runs of each side, every row with
 * each run's value, the retry distributions (captures), the --fail-if
 * results and the exit status, in one object on one line.
 */
#include <math.h>
#include <stdio.h>
#include "diff_cmd.h"
#include "json.h"

static void json_run(struct json *j, const struct diff_input *in)
{
	json_obj_begin(j);
	json_kv_str(j, "path", in->path);
	json_kv_str(j, "type", in->type == DI_CAPTURE ? "capture" : "stat");
	json_kv_str(j, "kernel", in->kernel);
	json_kv_str(j, "command", in->command);
	json_key(j, "elapsed_ns");
	if (in->elapsed_known)
		json_u64(j, in->elapsed_ns);
	else
		json_null(j);
	json_kv_u64(j, "lost", in->lost);
	if (in->damage[0])
		json_kv_str(j, "damaged", in->damage);
	json_obj_end(j);
}

/* "base": [run, run, ...] */
static void json_side(struct json *j, const char *key,
		      const struct diff_side *s)
{
	size_t i;

	json_key(j, key);
	json_arr_begin(j);
	for (i = 0; i < s->n; i++)
		json_run(j, &s->run[i]);
	json_arr_end(j);
}

static void json_maybe(struct json *j, const char *key, bool known, double v)
{
	json_key(j, key);
	if (known && isfinite(v))
		json_double(j, v);
	else
		json_null(j);
}

static void json_values(struct json *j, const char *key,
			const struct diff_row *r, int i)
{
	size_t k;

	json_key(j, key);
	json_arr_begin(j);
	for (k = 0; k < r->nvals[i]; k++)
		json_double(j, r->vals[i][k]);
	json_arr_end(j);
}

/*
 * base/new: what the table shows (the median over the runs);
 * base_values/new_values: each run's; base_value/new_value: what
 * --fail-if compares (total, maximum or median), base_pooled/new_pooled
 * for /op.
 */
static void json_sides(struct json *j, const struct diff_row *r)
{
	json_maybe(j, "base", r->known[0], r->shown[0]);
	json_maybe(j, "new", r->known[1], r->shown[1]);
	json_maybe(j, "base_spread", r->known[0], r->spread[0]);
	json_maybe(j, "new_spread", r->known[1], r->spread[1]);
	json_values(j, "base_values", r, 0);
	json_values(j, "new_values", r, 1);
	json_maybe(j, "base_value", r->known[0], r->value[0]);
	json_maybe(j, "new_value", r->known[1], r->value[1]);
	if (r->per_op) {
		json_maybe(j, "base_pooled", r->known[0], r->pooled[0]);
		json_maybe(j, "new_pooled", r->known[1], r->pooled[1]);
	}
}

static void json_row(struct json *j, const struct diff_row *r)
{
	json_obj_begin(j);
	json_kv_str(j, "kind", pfnmap_kind_name(r->kind));
	json_kv_str(j, "metric", r->name);
	json_kv_bool(j, "per_op", r->per_op);
	json_sides(j, r);
	json_maybe(j, "delta", true, r->delta);
	json_kv_double(j, "rel_change", r->rel);	/* +-inf: null */
	json_maybe(j, "p_value", true, r->r.p);
	json_kv_str(j, "test", r->r.test ? stats_test_name(r->r.test) : "none");
	json_kv_str(j, "verdict", diff_verdict_name(r->verdict));
	json_key(j, "need_runs");
	if (r->need_runs)
		json_u64(j, r->need_runs);
	else
		json_null(j);
	json_key(j, "better");
	if (r->m->type == DM_COUNT)	/* how much the workload did */
		json_null(j);
	else
		json_str(j, r->m->higher_better ? "higher" : "lower");
	json_key(j, "note");
	if (r->note)
		json_str(j, diff_note_text(r->note));
	else
		json_null(j);
	json_obj_end(j);
}

static void json_dists(struct json *j, const struct diff *d)
{
	__u64 dist[2][33];
	bool has[2];
	int k, i, s;

	json_key(j, "retry_dist");
	json_obj_begin(j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		for (s = 0; s < 2; s++)
			has[s] = diff_side_dist(&d->side[s], k, dist[s]);
		if (!has[0] && !has[1])
			continue;
		json_key(j, pfnmap_kind_name(k));
		json_obj_begin(j);
		for (s = 0; s < 2; s++) {
			json_key(j, s ? "new" : "base");
			if (!has[s]) {
				json_null(j);
				continue;
			}
			json_arr_begin(j);
			for (i = 0; i < 33; i++)
				json_u64(j, dist[s][i]);
			json_arr_end(j);
		}
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_gates(struct json *j, const struct diff_args *a,
		       const struct gate_result *g)
{
	int i;

	json_key(j, "gates");
	json_arr_begin(j);
	for (i = 0; i < a->nr_gates; i++) {
		json_obj_begin(j);
		json_kv_str(j, "expr", a->gates[i].text);
		json_key(j, "result");
		if (g[i].hit < 0)
			json_null(j);
		else
			json_bool(j, g[i].hit);
		json_maybe(j, "new_value", !a->gates[i].is_verdict, g[i].value);
		if (g[i].hit < 0)
			json_kv_str(j, "error", g[i].err);
		json_obj_end(j);
	}
	json_arr_end(j);
}

void diff_print_json(const struct diff *d, const struct diff_args *a,
		     const struct gate_result *g, int rc)
{
	struct json j;
	size_t i;

	json_init(&j, stdout, false);
	json_obj_begin(&j);
	json_side(&j, "base", &d->side[0]);
	json_side(&j, "new", &d->side[1]);
	json_kv_double(&j, "alpha", d->o.alpha);
	json_kv_double(&j, "min_change", d->o.min_change);
	json_kv_u64(&j, "runs_needed", d->runs_needed);
	json_key(&j, "rows");
	json_arr_begin(&j);
	for (i = 0; i < d->nrows; i++)
		if (d->rows[i].show)
			json_row(&j, &d->rows[i]);
	json_arr_end(&j);
	json_dists(&j, d);
	json_gates(&j, a, g);
	json_kv_u64(&j, "exit", rc);
	json_obj_end(&j);
	json_end_line(&j);
}
