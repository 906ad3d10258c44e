// SPDX-License-Identifier: GPL-2.0
/*
 * view.c - formatting shared by stat, top and report.  Unknown counters
 * print as "-" and JSON null: a field the kernel could not show is never
 * reported as zero.
 */
#include <stdio.h>
#include <string.h>
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


/* A counter's value of a group as text, in its unit. */
static void fmt_counter(char *buf, size_t len, const struct agg_stats *s,
			const struct reg_counter *c)
{
	__u64 v = agg_counter_value(s, c);

	if (!field_known(s, c->field))
		snprintf(buf, len, "-");
	else if (c->unit == RU_NS)
		fmt_ns(buf, len, v);
	else if (c->is_signed)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
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


static void json_counter(struct json *j, const struct agg_stats *s,
			 const struct reg_counter *c)
{
	__u64 v = agg_counter_value(s, c);

	json_key(j, c->key);
	if (!field_known(s, c->field))
		json_null(j);
	else if (c->is_signed)
		json_i64(j, (__s64)v);
	else
		json_u64(j, v);
}

/*
 * One field: a plain number with its other counters as keys next to it
 * ("retries", "max_retries"), or an object of its counters (null when
 * unknown).  Per-record counters (RV_RECORD) are not summed up.
 */
static void json_field(struct json *j, const struct agg_stats *s, int f)
{
	const struct reg_counter *c;
	bool flat = reg_field_flat(f);

	if (!flat) {
		json_key(j, reg_fields[f].key);
		if (!field_known(s, f)) {
			json_null(j);
			return;
		}
		json_obj_begin(j);
	}
	reg_for_each_counter(c, f)
		if (c->value != RV_RECORD)
			json_counter(j, s, c);
	if (!flat)
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

static void json_partial(struct json *j, const struct agg_stats *s)
{
	int f;

	json_key(j, "partial");
	json_arr_begin(j);
	for (f = 0; f < AGG_F_MAX; f++)
		if (s->ops && s->known[f] && s->known[f] < s->ops)
			json_str(j, reg_fields[f].key);
	json_arr_end(j);
}


void stats_json(struct json *j, const struct agg_stats *in, __u16 can_see)
{
	__u16 set = reg_kind_fields(in->key.kind);
	struct agg_stats copy;
	const struct agg_stats *s = in;
	int f;

	if (!in->ops && can_see) {
		copy = *in;
		agg_mark_visible(&copy, can_see);
		s = &copy;
	}

	json_kv_u64(j, "count", s->ops);
	json_kv_u64(j, "error_count", s->errors);
	json_errors(j, s);
	for (f = 0; f < AGG_F_MAX; f++)
		if (set & (1U << f))
			json_field(j, s, f);
	json_latency(j, s);
	json_partial(j, s);
}

/* "label: calls 3, failures 1" or, for a one-number field, "label 3". */
static void print_field(FILE *f, const struct agg_stats *t, int fld, int in)
{
	const struct reg_counter *c;
	char v[24];
	int n = 0;

	fprintf(f, "%*s %s", in, "", reg_fields[fld].label);
	reg_for_each_counter(c, fld) {
		if (c->value == RV_RECORD)
			continue;
		fmt_counter(v, sizeof(v), t, c);
		if (reg_field_flat(fld) && !n)
			fprintf(f, " %s", v);
		else
			fprintf(f, "%s %s %s", n ? "," : ":", c->label, v);
		n++;
	}
	fputc('\n', f);
}

/* Pages and retries are table columns; every other field is a line. */
void print_nested(FILE *f, const struct agg_stats *t, int in)
{
	__u16 set = reg_kind_fields(t->key.kind) &
		    ~(PFNMAP_V_PAGES | PFNMAP_V_RETRIES);
	int fld;

	for (fld = 0; fld < AGG_F_MAX; fld++)
		if (set & (1U << fld))
			print_field(f, t, fld, in);
}
