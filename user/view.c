// SPDX-License-Identifier: GPL-2.0
/*
 * view.c - formatting shared by stat, top and report.  Unknown counters
 * print as "-" and JSON null: a field the kernel could not show is never
 * reported as zero.
 */
#include <stdio.h>
#include <string.h>
#include "targets.h"
#include "view.h"

void fmt_ns(char *buf, size_t len, __u64 ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%lluns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", ns / 1e6);
	else
		snprintf(buf, len, "%.2fs", ns / 1e9);
}

/* Errnos of a group sorted by count, descending; returns how many. */
static int sorted_errnos(const struct agg_stats *s, int *out, int max)
{
	int n = 0, e, i;

	for (e = 1; e < AGG_ERRNO_MAX; e++) {
		if (!s->err_count[e])
			continue;
		/* full, and not more frequent than the last kept: skip */
		if (n == max && s->err_count[out[max - 1]] >= s->err_count[e])
			continue;
		for (i = n < max ? n : max - 1; i > 0 &&
		     s->err_count[out[i - 1]] < s->err_count[e]; i--)
			out[i] = out[i - 1];
		if (i < max) {
			out[i] = e;
			if (n < max)
				n++;
		}
	}
	return n;
}

static void errno_label(char *buf, size_t len, int e)
{
	const char *name = errno_name(e);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "E%d", e);
}

void fmt_errors(char *buf, size_t len, const struct agg_stats *s,
		int max_items)
{
	int errs[8], n, i;
	size_t off = 0;

	if (max_items > 8)
		max_items = 8;
	n = sorted_errnos(s, errs, max_items);
	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		char name[32];

		errno_label(name, sizeof(name), errs[i]);
		off += snprintf(buf + off, len - off, "%s%s:%llu",
				i ? " " : "", name,
				(unsigned long long)s->err_count[errs[i]]);
	}
	if (s->err_other && off < len)
		off += snprintf(buf + off, len - off, "%sother:%llu",
				n ? " " : "",
				(unsigned long long)s->err_other);
	if (!off)
		snprintf(buf, len, "-");
}

bool field_known(const struct agg_stats *s, enum agg_field f)
{
	return s->known[f] > 0;
}

void fmt_field(char *buf, size_t len, const struct agg_stats *s,
	       enum agg_field f, int which)
{
	const __u64 *v = which == 0 ? s->sum : which == 1 ? s->sum2 : s->sum3;

	if (!field_known(s, f))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v[f]);
}

static void json_errors(struct json *j, const struct agg_stats *s)
{
	int e;

	json_key(j, "errors");
	json_obj_begin(j);
	for (e = 1; e < AGG_ERRNO_MAX; e++) {
		char name[32];

		if (!s->err_count[e])
			continue;
		errno_label(name, sizeof(name), e);
		json_kv_u64(j, name, s->err_count[e]);
	}
	if (s->err_other)
		json_kv_u64(j, "other", s->err_other);
	json_obj_end(j);
}

static void json_field(struct json *j, const struct agg_stats *s,
		       enum agg_field f, const char *key)
{
	json_key(j, key);
	if (field_known(s, f))
		json_u64(j, s->sum[f]);
	else
		json_null(j);
}

static void json_nested(struct json *j, const struct agg_stats *s,
			enum agg_field f, const char *key)
{
	json_key(j, key);
	if (!field_known(s, f)) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_u64(j, "calls", s->sum[f]);
	json_kv_u64(j, "failures", s->sum2[f]);
	if (f == AGG_F_FIXUP)
		json_kv_u64(j, "unlocked", s->sum3[f]);
	json_obj_end(j);
}

static void json_latency(struct json *j, const struct agg_stats *s)
{
	json_key(j, "latency_ns");
	if (!s->lat.count) {
		json_null(j);
		return;
	}
	json_obj_begin(j);
	json_kv_u64(j, "p50", hist_percentile(&s->lat, 50));
	json_kv_u64(j, "p99", hist_percentile(&s->lat, 99));
	json_kv_u64(j, "max", s->lat.max);
	json_kv_u64(j, "min", s->lat.count ? s->lat.min : 0);
	json_kv_u64(j, "mean", s->lat.count ? s->lat.sum / s->lat.count : 0);
	json_obj_end(j);
}

/* Opens "key": {...} if the field is known, else writes null: false. */
static bool json_field_obj(struct json *j, const struct agg_stats *s,
			   enum agg_field f, const char *key)
{
	json_key(j, key);
	if (!field_known(s, f)) {
		json_null(j);
		return false;
	}
	json_obj_begin(j);
	return true;
}

/* ABI 2 fields: the answers to the threads' questions. */
static void json_v2(struct json *j, const struct agg_stats *s, __u16 set)
{
	if ((set & PFNMAP_V_ZAP_ATTR) &&
	    json_field_obj(j, s, AGG_F_ZAP_ATTR, "zap_attribution")) {
		json_kv_u64(j, "attributed", s->sum[AGG_F_ZAP_ATTR]);
		json_kv_u64(j, "gap_negative", s->zap_gap_neg);
		json_kv_u64(j, "gap_p50_ns", hist_percentile(&s->zap_gap, 50));
		json_kv_u64(j, "gap_max_ns", s->zap_gap.max);
		json_obj_end(j);
	}
	if ((set & PFNMAP_V_RETRY_TIME) &&
	    json_field_obj(j, s, AGG_F_RETRY_TIME, "retry_time_ns")) {
		json_kv_u64(j, "total", s->sum[AGG_F_RETRY_TIME]);
		json_kv_u64(j, "max", s->max_retry_ns);
		json_obj_end(j);
	}
	if ((set & PFNMAP_V_SEQ) &&
	    json_field_obj(j, s, AGG_F_SEQ, "seq_what_if")) {
		json_kv_u64(j, "would_abort", s->sum[AGG_F_SEQ]);
		json_kv_u64(j, "spurious", s->sum2[AGG_F_SEQ]);
		json_obj_end(j);
	}
	if ((set & PFNMAP_V_EAGAIN_SRC) &&
	    json_field_obj(j, s, AGG_F_EAGAIN_SRC, "eagain_sources")) {
		json_kv_u64(j, "pte_offset_map_lock", s->sum[AGG_F_EAGAIN_SRC]);
		json_kv_u64(j, "mmap_changing", s->sum2[AGG_F_EAGAIN_SRC]);
		json_obj_end(j);
	}
	if (set & PFNMAP_V_ZERO_PAGES)
		json_field(j, s, AGG_F_ZERO_PAGES, "zero_pages");
	if ((set & PFNMAP_V_LOCKED) &&
	    json_field_obj(j, s, AGG_F_LOCKED, "locked_vm")) {
		json_kv_i64(j, "delta_pages", (__s64)s->sum[AGG_F_LOCKED]);
		json_obj_end(j);
	}
	if ((set & PFNMAP_V_SCHED) &&
	    json_field_obj(j, s, AGG_F_SCHED, "sched")) {
		json_kv_u64(j, "switches", s->sum[AGG_F_SCHED]);
		json_kv_u64(j, "fatal_signal", s->sum2[AGG_F_SCHED]);
		json_obj_end(j);
	}
}

/* Fields known for only part of the records (mixed attach modes). */
static void json_partial(struct json *j, const struct agg_stats *s)
{
	int f;

	json_key(j, "partial");
	json_arr_begin(j);
	for (f = 0; f < AGG_F_MAX; f++)
		if (s->ops && s->known[f] && s->known[f] < s->ops)
			json_str(j, field_name(f));
	json_arr_end(j);
}

void stats_mark_visible(struct agg_stats *s, __u16 can_see)
{
	int f;

	if (s->ops)
		return;
	for (f = 0; f < AGG_F_MAX; f++)
		if (can_see & (1U << f))
			s->known[f] = 1;
}

void stats_json(struct json *j, const struct agg_stats *in, __u16 can_see)
{
	__u16 set = kind_field_set(in->key.kind);
	struct agg_stats copy;
	const struct agg_stats *s = in;

	if (!in->ops && can_see) {
		copy = *in;
		stats_mark_visible(&copy, can_see);
		s = &copy;
	}

	json_kv_u64(j, "count", s->ops);
	json_kv_u64(j, "error_count", s->errors);
	json_errors(j, s);
	if (set & PFNMAP_V_PAGES)
		json_field(j, s, AGG_F_PAGES, "pages");
	if (set & PFNMAP_V_RETRIES) {
		json_field(j, s, AGG_F_RETRIES, "retries");
		json_key(j, "max_retries");
		if (field_known(s, AGG_F_RETRIES))
			json_u64(j, s->max_retries);
		else
			json_null(j);
	}
	if (set & PFNMAP_V_ABORTS)
		json_field(j, s, AGG_F_ABORTS, "retry_aborts");
	if (set & PFNMAP_V_FOLLOW)
		json_nested(j, s, AGG_F_FOLLOW, "follow_pfnmap");
	if (set & PFNMAP_V_FIXUP)
		json_nested(j, s, AGG_F_FIXUP, "fixup_user_fault");
	if (set & PFNMAP_V_ZAP_RACES)
		json_field(j, s, AGG_F_ZAP_RACES, "zap_races");
	if (set & PFNMAP_V_FAULTS)
		json_field(j, s, AGG_F_FAULTS, "bar_faults");
	json_v2(j, s, set);
	json_latency(j, s);
	json_partial(j, s);
}

/* The ABI 2 counters, only where records carried them. */
static void print_nested_v2(FILE *f, const struct agg_stats *t, int in)
{
	char a[24], b[24];

	if (field_known(t, AGG_F_RETRY_TIME)) {
		fmt_ns(a, sizeof(a), t->sum[AGG_F_RETRY_TIME]);
		fmt_ns(b, sizeof(b), t->max_retry_ns);
		fprintf(f, "%*s time retrying %s, longest %s\n", in, "", a, b);
	}
	if (field_known(t, AGG_F_ZAP_ATTR)) {
		fmt_ns(a, sizeof(a), hist_percentile(&t->zap_gap, 50));
		fprintf(f, "%*s zaps attributed %llu, fault-in to zap p50 %s (%llu began before)\n",
		       in, "", (unsigned long long)t->sum[AGG_F_ZAP_ATTR],
		       t->zap_gap.count ? a : "-",
		       (unsigned long long)t->zap_gap_neg);
	}
	if (field_known(t, AGG_F_SEQ))
		fprintf(f, "%*s seq-count aborts %llu, spurious %llu\n", in, "",
		       (unsigned long long)t->sum[AGG_F_SEQ],
		       (unsigned long long)t->sum2[AGG_F_SEQ]);
	if (field_known(t, AGG_F_EAGAIN_SRC))
		fprintf(f, "%*s EAGAIN from pte %llu, mmap_changing %llu\n", in, "",
		       (unsigned long long)t->sum[AGG_F_EAGAIN_SRC],
		       (unsigned long long)t->sum2[AGG_F_EAGAIN_SRC]);
	if (field_known(t, AGG_F_ZERO_PAGES))
		fprintf(f, "%*s zero pages pinned %llu\n", in, "",
		       (unsigned long long)t->sum[AGG_F_ZERO_PAGES]);
	if (field_known(t, AGG_F_LOCKED))
		fprintf(f, "%*s locked_vm change %lld pages\n", in, "",
		       (long long)t->sum[AGG_F_LOCKED]);
	if (field_known(t, AGG_F_SCHED))
		fprintf(f, "%*s context switches %llu, ended with a fatal signal %llu\n",
		       in, "", (unsigned long long)t->sum[AGG_F_SCHED],
		       (unsigned long long)t->sum2[AGG_F_SCHED]);
}

void print_nested(FILE *f, const struct agg_stats *t, int in)
{
	__u16 set = kind_field_set(t->key.kind);
	char a[24], b[24], c[24];

	if (set & PFNMAP_V_FOLLOW) {
		fmt_field(a, sizeof(a), t, AGG_F_FOLLOW, 0);
		fmt_field(b, sizeof(b), t, AGG_F_FOLLOW, 1);
		fprintf(f, "%*s follow_pfnmap calls %s failures %s\n", in, "", a, b);
	}
	if (set & PFNMAP_V_FIXUP) {
		fmt_field(a, sizeof(a), t, AGG_F_FIXUP, 0);
		fmt_field(b, sizeof(b), t, AGG_F_FIXUP, 1);
		fmt_field(c, sizeof(c), t, AGG_F_FIXUP, 2);
		fprintf(f, "%*s fixup_user_fault calls %s failures %s unlocked %s\n",
		       in, "", a, b, c);
	}
	if (set & PFNMAP_V_ZAP_RACES) {
		fmt_field(a, sizeof(a), t, AGG_F_ZAP_RACES, 0);
		fprintf(f, "%*s zap races %s\n", in, "", a);
	}
	if (set & PFNMAP_V_FAULTS) {
		fmt_field(a, sizeof(a), t, AGG_F_FAULTS, 0);
		fprintf(f, "%*s vfio-pci BAR faults %s\n", in, "", a);
	}
	if (set & PFNMAP_V_ABORTS) {
		fmt_field(a, sizeof(a), t, AGG_F_ABORTS, 0);
		fprintf(f, "%*s retries aborted (VMA changed) %s\n", in, "", a);
	}
	print_nested_v2(f, t, in);
}
