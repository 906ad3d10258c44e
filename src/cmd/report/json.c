// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - `pfnmap report --json`: one object with the inputs (state,
 * drops, stop reason, host, kernel, boot id, clock, command, the mode
 * of every kind), the record count, per kind the counters of `stat
 * --json` plus mode, pages asked, retry and latency distributions, the
 * --by groups and the callers.  Unknown counters are null, never 0.
 */
#include <stdlib.h>
#include <string.h>
#include "hist_print.h"
#include "json.h"
#include "report.h"
#include "view.h"

static void json_cmdline(struct json *j, const struct cap_meta *m)
{
	__u32 off = 0;

	json_key(j, "command");
	json_arr_begin(j);
	while (off < m->cmdline_len) {
		json_str(j, m->cmdline + off);
		off += strnlen(m->cmdline + off, m->cmdline_len - off) + 1;
	}
	json_arr_end(j);
}

static void json_modes(struct json *j, const struct cap_meta *m)
{
	int k;

	json_key(j, "mode");
	json_obj_begin(j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct cap_mode *md = &m->modes[k];
		const char *src = pfnmap_source_name(md->source);
		int f;

		if (!md->present)
			continue;
		json_key(j, pfnmap_kind_name(k));
		json_obj_begin(j);
		json_kv_str(j, "source", src ? src : "unknown");
		json_key(j, "fields");
		json_arr_begin(j);
		for (f = 0; reg_field_key(f); f++)
			if (md->valid & (1U << f))
				json_str(j, reg_field_key(f));
		json_arr_end(j);
		json_kv_str(j, "why", md->why);
		json_obj_end(j);
	}
	json_obj_end(j);
}

static void json_trailer(struct json *j, const struct cap_status *st)
{
	const struct cap_trailer *t = &st->trailer;

	json_key(j, "drops");
	if (st->has_trailer)
		json_u64(j, st->drops);
	else
		json_null(j);
	json_kv_u64(j, "drops_at_least", st->drops);
	json_kv_bool(j, "has_trailer", st->has_trailer);
	if (!st->has_trailer)
		return;
	json_kv_str(j, "stop", report_stop_name(t->stop));
	json_kv_u64(j, "unwritten", t->unwritten);
	json_kv_u64(j, "end_ns", t->end_ns);
	json_kv_u64(j, "bpf_run_ns", t->bpf_run_ns);
	json_kv_u64(j, "bpf_run_cnt", t->bpf_run_cnt);
}

static void json_input(struct json *j, const struct input *in)
{
	const struct cap_meta *m = &in->info.meta;
	char state[512];

	json_obj_begin(j);
	json_kv_str(j, "file", in->path);
	json_kv_u64(j, "bytes", in->len);
	json_kv_u64(j, "records", in->st.records);
	json_kv_u64(j, "chunks", in->st.chunks);
	json_kv_bool(j, "complete", !cap_damaged(&in->st));
	cap_describe(state, sizeof(state), &in->st);
	json_kv_str(j, "state", state);
	json_trailer(j, &in->st);
	json_kv_bool(j, "header_ok", in->info.header_ok);
	if (in->info.header_ok) {
		json_kv_str(j, "host", m->host);
		json_kv_str(j, "kernel", m->kernel);
		json_kv_str(j, "boot_id", m->boot_id);
		if (m->has_clock) {
			json_kv_u64(j, "start_mono_ns", m->clock_mono_ns);
			json_kv_u64(j, "start_realtime_ns", m->clock_real_ns);
		}
		json_cmdline(j, m);
		json_modes(j, m);
	}
	json_obj_end(j);
}

static void json_log2(struct json *j, const char *key, const __u64 *slot,
		      int nr)
{
	int i;

	json_key(j, key);
	json_arr_begin(j);
	for (i = 0; i < nr; i++) {
		if (!slot[i])
			continue;
		json_obj_begin(j);
		json_kv_u64(j, "low", log2_slot_low(i));
		json_kv_u64(j, "high", log2_slot_high(i));
		json_kv_u64(j, "count", slot[i]);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_kind(struct json *j, const struct report *r, int k,
		      struct agg_stats *t)
{
	__u64 slot[LOG2_SLOTS];
	struct cap_kind_merge v;

	report_kind_total(r, k, t, &v);
	json_key(j, pfnmap_kind_name(k));
	json_obj_begin(j);
	json_kv_str(j, "mode", report_mode_name(&v, t));
	stats_json(j, t, v.can_see);
	json_kv_u64(j, "pages_asked", r->asked[k]);
	if (reg_kind_fields(k) & PFNMAP_V_RETRIES) {
		if (field_known(t, AGG_F_RETRIES) && t->ops)
			json_log2(j, "retry_distribution", t->retry_dist, 33);
		else
			json_kv_str(j, "retry_distribution", NULL);
	}
	log2_slots(&t->lat, slot);
	json_log2(j, "latency_log2_ns", slot, LOG2_SLOTS);
	json_obj_end(j);
}

static void json_groups(struct json *j, const struct report *r,
			const char *key, const struct agg *a)
{
	struct agg_stats **v;
	char label[256];
	size_t n, i;

	if (!a || !(v = report_sorted_groups(a, &n)))
		return;
	json_key(j, key);
	json_arr_begin(j);
	for (i = 0; i < n; i++) {
		json_obj_begin(j);
		json_kv_str(j, "kind", pfnmap_kind_name(v[i]->key.kind));
		if (a == r->callers) {
			json_kv_str(j, "caller", strmap_key(r->labels, v[i]->key.caller - 1));
		} else if (r->by == BY_PID || r->by == BY_COMM) {
			if (r->by == BY_PID)
				json_kv_u64(j, "pid", v[i]->key.pid);
			json_kv_str(j, "comm", v[i]->key.comm);
		} else {
			report_group_label(r, v[i], label, sizeof(label));
			json_kv_str(j, report_by_names[r->by], label);
		}
		stats_json(j, v[i], 0);
		json_obj_end(j);
	}
	json_arr_end(j);
	free(v);
}

void report_print_json(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	__u64 records = 0;
	struct json j;
	int i, k;

	if (!t)
		return;
	json_init(&j, stdout, false);
	json_obj_begin(&j);
	json_key(&j, "inputs");
	json_arr_begin(&j);
	for (i = 0; i < r->nr_in; i++)
		if (!r->in[i].skip) {
			json_input(&j, &r->in[i]);
			records += r->in[i].st.records;
		}
	json_arr_end(&j);
	json_kv_u64(&j, "records", records);
	if (r->f.on) {
		char filt[512];

		report_filter_text(r, filt, sizeof(filt));
		json_key(&j, "filter");
		json_obj_begin(&j);
		json_kv_str(&j, "what", filt);
		json_kv_u64(&j, "matched", r->f.matched);
		json_obj_end(&j);
	}
	json_key(&j, "kinds");
	json_obj_begin(&j);
	for (k = 0; k < PFNMAP_K_MAX; k++)
		json_kind(&j, r, k, t);
	json_obj_end(&j);
	if (r->groups)
		json_kv_str(&j, "by", report_by_names[r->by]);
	json_groups(&j, r, "groups", r->groups);
	json_groups(&j, r, "callers", r->callers);
	json_obj_end(&j);
	json_end_line(&j);
	free(t);
}

