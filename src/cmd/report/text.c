// SPDX-License-Identifier: GPL-2.0
/*
 * text.c - `pfnmap report`'s text: what each input is, then per kind
 * the totals, the --by groups, errors by errno, the distribution of
 * retries with the timeline of the operation that retried most, the
 * callers, and with --hist the latency histograms.
 *
 * '-' is unknown, never 0: a count the capture's mode could not see, or
 * a latency of no operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hist_print.h"
#include "report.h"
#include "view.h"

/* ---- the inputs --------------------------------------------------------- */

void report_fmt_time(char *buf, size_t len, __u64 real_ns)
{
	time_t t = real_ns / 1000000000ULL;
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(buf, len, "%Y-%m-%d %H:%M:%S %z", &tm))
		snprintf(buf, len, "?");
}

static void print_cmdline(const struct cap_meta *m)
{
	char arg[CAP_CMDLINE_LEN];
	__u32 off = 0;

	printf("#   command:");
	while (off < m->cmdline_len) {
		sanitize(arg, sizeof(arg), m->cmdline + off);
		printf(" %s", arg);
		off += strnlen(m->cmdline + off, m->cmdline_len - off) + 1;
	}
	printf("\n");
}

static void print_when(const struct input *in)
{
	const struct cap_meta *m = &in->info.meta;
	const struct cap_status *st = &in->st;
	char when[64], dur[16];
	__u64 end;

	if (!m->has_clock)
		return;
	report_fmt_time(when, sizeof(when), m->clock_real_ns);
	end = st->has_trailer ? st->trailer.end_ns : st->last_ns;
	fmt_ns(dur, sizeof(dur), end > m->clock_mono_ns ? end - m->clock_mono_ns : 0);
	printf("#   recorded %s for %s%s\n", when, st->has_trailer ? "" : "at least ",
	       dur);
}

static void print_trailer(const struct cap_status *st)
{
	const struct cap_trailer *t = &st->trailer;
	char d[32];

	fmt_count(d, sizeof(d), st->drops);
	if (!st->has_trailer) {
		printf("#   lost in the kernel: %s by chunk %u, unknown after\n", d,
		       st->last_seq);
		return;
	}
	printf("#   lost in the kernel: %s; stopped: %s", d, report_stop_name(t->stop));
	if (t->unwritten)
		printf(", %u records not written", t->unwritten);
	if (t->bpf_run_cnt)
		printf("; BPF %llu ns per program run",
		       (unsigned long long)(t->bpf_run_ns / t->bpf_run_cnt));
	printf("\n");
}

static void print_input(const struct input *in)
{
	const struct cap_meta *m = &in->info.meta;
	char recs[32], bytes[32], state[512];

	fmt_count(recs, sizeof(recs), in->st.records);
	fmt_count(bytes, sizeof(bytes), in->len);
	if (cap_damaged(&in->st))
		cap_describe(state, sizeof(state), &in->st);
	else
		snprintf(state, sizeof(state), "complete");
	printf("# %s: %s records, %u chunk%s, %s bytes; %s\n", in->path, recs,
	       in->st.chunks, in->st.chunks == 1 ? "" : "s", bytes, state);
	if (!in->info.header_ok)
		return;
	printf("#   host %s, kernel %s, boot %s\n", m->host, m->kernel, m->boot_id);
	print_when(in);
	print_cmdline(m);
	print_trailer(&in->st);
}

/* ---- tables ------------------------------------------------------------- */

static void row_common(char *out, size_t len, const struct agg_stats *t)
{
	char pages[24], retr[24], p50[16], p99[16], mx[16], errs[96], ops[24];

	snprintf(ops, sizeof(ops), "%llu", (unsigned long long)t->ops);
	fmt_field(pages, sizeof(pages), t, AGG_F_PAGES, 0);
	fmt_field(retr, sizeof(retr), t, AGG_F_RETRIES, 0);
	fmt_errors(errs, sizeof(errs), t, 4);
	/* no operation, no latency: not 0ns */
	strcpy(p50, "-");
	strcpy(p99, "-");
	strcpy(mx, "-");
	if (t->ops) {
		fmt_ns(p50, sizeof(p50), hist_percentile(&t->lat, 50));
		fmt_ns(p99, sizeof(p99), hist_percentile(&t->lat, 99));
		fmt_ns(mx, sizeof(mx), t->lat.max);
	}
	snprintf(out, len, "%10s %9s %8s %9s %9s %9s  %s", ops, pages, retr,
		 p50, p99, mx, errs);
}

static const char *common_head(void)
{
	return "     COUNT     PAGES  RETRIES       P50       P99       MAX  ERRORS";
}

static void print_kinds(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	char row[256];
	struct cap_kind_merge v;
	int k;

	if (!t)
		return;
	printf("\n%-17s %-8s%s\n", "KIND", "MODE", common_head());
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		if (!report_kind_total(r, k, t, &v))
			continue;
		row_common(row, sizeof(row), t);
		printf("%-17s %-8s%s\n", pfnmap_kind_name(k), report_mode_name(&v, t),
		       row);
		if (t->ops)
			print_nested(stdout, t, 26);
	}
	free(t);
}

/* Fault-in end to zap start of the races a zapper caused. */
static void print_zap_gap(const struct agg_stats *g)
{
	char p50[16], mx[16];

	fmt_ns(p50, sizeof(p50), hist_percentile(&g->zap_gap, 50));
	fmt_ns(mx, sizeof(mx), g->zap_gap.max);
	printf("%-32s %llu zap races; fault-in end to zap start: p50 %s max %s; %llu zaps began before the fault-in returned\n",
	       "", (unsigned long long)g->sum[AGG_F_ZAP_ATTR], p50, mx,
	       (unsigned long long)g->zap_gap_neg);
}

static void print_groups(const struct report *r)
{
	struct agg_stats **v;
	char label[256], row[256], head[32];
	size_t n, i;

	if (!r->groups || !(v = report_sorted_groups(r->groups, &n)))
		return;
	snprintf(head, sizeof(head), "%s", r->by == BY_PID ? "PID COMM" :
		 r->by == BY_COMM ? "COMM" : r->by == BY_CALLER ? "CALLER" :
		 r->by == BY_ZAPPER ? "ZAPPER TID COMM" :
		 r->by == BY_CGROUP ? "CGROUP" : "ERRNO");
	printf("\n%-32s %-17s%s\n", head, "KIND", common_head());
	for (i = 0; i < n; i++) {
		report_group_label(r, v[i], label, sizeof(label));
		row_common(row, sizeof(row), v[i]);
		printf("%-32s %-17s%s\n", label, pfnmap_kind_name(v[i]->key.kind), row);
		if (r->by == BY_ZAPPER)
			print_zap_gap(v[i]);
	}
	free(v);
}

static void error_row(int kind, const char *name, __u64 n, __u64 ops)
{
	char cnt[32];

	fmt_count(cnt, sizeof(cnt), n);
	printf("%-17s %-16s %10s %8.1f%%\n", pfnmap_kind_name(kind), name, cnt,
	       100.0 * n / ops);
}

/* Every errno of every kind, by errno value. */
static void print_errors(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	bool head = false;
	char buf[24];
	int k, e;

	for (k = 0; t && k < PFNMAP_K_MAX; k++) {
		agg_total_kind(r->kinds, k, t);
		if (!t->errors)
			continue;
		if (!head)
			printf("\n%-17s %-16s %10s %9s\n", "ERRORS", "ERRNO",
			       "COUNT", "OF OPS");
		head = true;
		for (e = 1; e < AGG_ERRNO_MAX; e++)
			if (t->err_count[e])
				error_row(k, ret_label(buf, sizeof(buf), -e),
					  t->err_count[e], t->ops);
		if (t->err_other)
			error_row(k, "other", t->err_other, t->ops);
	}
	free(t);
}

/* ---- retries and latency ------------------------------------------------ */

/* "Could this loop forever?": the worst operation's timeline. */
static void print_worst(const struct report *r, int k)
{
	const struct pfnmap_event *w = &r->worst[k];
	char comm[PFNMAP_COMM_LEN], dur[16], rt[16], buf[24], when[48];
	__s64 wall = r->worst_wall[k];
	const char *ret;
	time_t secs = wall / 1000000000;
	struct tm tm;

	if (!w->retries)
		return;
	if (r->realtime && gmtime_r(&secs, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	else
		snprintf(when, sizeof(when), "%.6f s (monotonic)", wall / 1e9);
	sanitize(comm, sizeof(comm), w->comm);
	fmt_ns(dur, sizeof(dur), w->duration_ns);
	fmt_ns(rt, sizeof(rt), w->retry_ns);
	/* "ok" and errno names are not written to buf: use what it returns */
	ret = ret_label(buf, sizeof(buf), w->ret);
	printf("worst: %u retries by %u/%u %s at %s: ran %s, of which %s from the first retry on; returned %s\n",
	       w->retries, w->pid, w->tid, comm, when, dur,
	       (w->valid & PFNMAP_V_RETRY_TIME) ? rt : "?", ret);
	if (w->valid & PFNMAP_V_SCHED)
		printf("       %u context switches during it; fatal signal pending at the end: %s\n",
		       w->nr_switches, w->fatal_signal ? "yes" : "no");
}

static void print_retries(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	struct cap_kind_merge v;
	char known[32];
	int k;

	for (k = 0; t && k < PFNMAP_K_MAX; k++) {
		if (!(reg_kind_fields(k) & PFNMAP_V_RETRIES) ||
		    !report_kind_total(r, k, t, &v))
			continue;
		if (!t->ops)
			continue;
		if (!field_known(t, AGG_F_RETRIES)) {
			const char *why = v.why ? strrchr(v.why, ';') : NULL;

			printf("\n%s: retries unknown (%s)\n", pfnmap_kind_name(k),
			       why ? why + 2 : v.why ? v.why : "not in the records");
			continue;
		}
		fmt_count(known, sizeof(known), t->known[AGG_F_RETRIES]);
		printf("\n%s: retries per operation, max %llu (known for %s of the operations)\n",
		       pfnmap_kind_name(k), (unsigned long long)t->max_retries, known);
		log2_hist_print(reg_fields[PFNMAP_F_RETRIES].key, t->retry_dist, 33, LOG2_ZERO_ROW,
				hist_line_file, stdout);
		print_worst(r, k);
	}
	free(t);
}

static void print_hists(const struct report *r)
{
	struct agg_stats *t = malloc(sizeof(*t));
	__u64 slot[LOG2_SLOTS];
	int k;

	for (k = 0; t && k < PFNMAP_K_MAX; k++) {
		agg_total_kind(r->kinds, k, t);
		if (!t->ops)
			continue;
		printf("\n%s: latency\n", pfnmap_kind_name(k));
		log2_slots(&t->lat, slot);
		log2_hist_print("nsecs", slot, LOG2_SLOTS, 0, hist_line_file,
				stdout);
	}
	free(t);
}

static void print_callers(const struct report *r)
{
	struct agg_stats **v;
	char row[256], label[256];
	size_t n, i;

	if (!agg_count(r->callers) || !(v = report_sorted_groups(r->callers, &n)))
		return;
	printf("\n%-48s %-17s%s\n", "CALLER", "KIND", common_head());
	for (i = 0; i < n; i++) {
		sanitize(label, sizeof(label),
			 strmap_key(r->labels, v[i]->key.caller - 1));
		row_common(row, sizeof(row), v[i]);
		printf("%-48s %-17s%s\n", label, pfnmap_kind_name(v[i]->key.kind), row);
	}
	for (i = 0; i < (size_t)r->nr_in; i++)
		if (r->in[i].unresolved && !r->in[i].skip)
			printf("(%u caller addresses of %s unresolved: the capture does not name them%s; --kallsyms FILE of its boot names them, --raw-addrs prints them)\n",
			       r->in[i].unresolved, r->in[i].path,
			       r->in[i].resolve ? "" : " and it was not made on this boot");
	free(v);
}

void report_print_text(const struct report *r)
{
	int i;

	char filt[512];

	for (i = 0; i < r->nr_in; i++)
		if (!r->in[i].skip)
			print_input(&r->in[i]);
	if (r->f.on) {
		report_filter_text(r, filt, sizeof(filt));
		printf("# filter: %s: %llu records match\n", filt,
		       (unsigned long long)r->f.matched);
	}
	print_kinds(r);
	print_groups(r);
	print_errors(r);
	print_retries(r);
	print_callers(r);
	if (r->hist)
		print_hists(r);
}

