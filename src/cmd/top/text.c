// SPDX-License-Identifier: GPL-2.0
/*
 * text.c - the lines of `pfnmap top` that the screen and batch mode both
 * print: header, column titles and rows.  Where they go is the sink's
 * business (struct top_out), so this file knows nothing of ncurses.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "targets.h"
#include "top.h"
#include "view.h"

bool top_put(struct top_out *o, enum top_attr a, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return o->line(o, a, buf);
}

static void fmt_rate(char *buf, size_t len, double v)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else if (v < 100000)
		snprintf(buf, len, "%.1f", v);
	else
		snprintf(buf, len, "%.0f", v);
}

void top_fmt_cell(char *buf, size_t len, const struct agg_stats *st,
		  const double *v, int c)
{
	int e;

	switch (c) {
	case TOP_C_ERRNO:
		e = agg_top_errno(st);
		if (!st->errors)
			snprintf(buf, len, "-");
		else if (!e)
			snprintf(buf, len, "other");
		else if (errno_name(e))
			snprintf(buf, len, "%s", errno_name(e));
		else
			snprintf(buf, len, "E%d", e);
		return;
	case TOP_C_MAXR:
	case TOP_C_ZAPS:
	case TOP_C_ZAPPER:
		if (isnan(v[c]))
			snprintf(buf, len, "-");
		else
			snprintf(buf, len, "%.0f", v[c]);
		return;
	case TOP_C_P50:
	case TOP_C_P99:
	case TOP_C_LMAX:
		fmt_ns(buf, len, (__u64)v[c]);
		return;
	}
	fmt_rate(buf, len, v[c]);
}

/*
 * Appends one cell; returns the column it starts at.  Never cuts: a number
 * wider than its column shifts the line rather than lose digits.
 */
static int cell(char *buf, size_t len, int *off, int width, const char *s)
{
	int at = *off;

	if ((size_t)*off >= len)
		return at;
	*off += snprintf(buf + *off, len - *off, "%s%*s", *off ? " " : "",
			 width, s);
	if ((size_t)*off > len)
		*off = len;
	return at ? at + 1 : at;
}

#define W_PID	7
#define W_NAME	16	/* comm, kind */
#define W_PATH	32	/* cgroup, caller */

/* The last `width` characters, ".." in front when cut. */
static const char *tail(const char *s, int width, char *buf, size_t len)
{
	size_t n = strlen(s);

	if ((int)n <= width)
		return s;
	snprintf(buf, len, "..%s", s + n - (width - 2));
	return buf;
}

/* The key cells of a row, or their titles when st is NULL. */
static void key_cells(struct top *t, const struct agg_stats *st, char *buf,
		      size_t len, int *off)
{
	const struct agg_key *k = st ? &st->key : NULL;
	char tmp[PATH_MAX], cut[64], pid[16];

	switch (t->m.by) {
	case AGG_BY_PID:
		snprintf(pid, sizeof(pid), "%u", k ? k->pid : 0);
		cell(buf, len, off, W_PID, k ? pid : "PID");
		/* fall through */
	case AGG_BY_COMM:
		cell(buf, len, off, -W_NAME, k ? k->comm : "COMM");
		break;
	case AGG_BY_CGROUP:
		if (k)
			cg_name(&t->cg, k->cgroup_id, tmp, sizeof(tmp));
		cell(buf, len, off, -W_PATH,
		     k ? tail(tmp, W_PATH, cut, sizeof(cut)) : "CGROUP");
		break;
	case AGG_BY_CALLER:
		/* The symbol's start matters more than its offset: cut the end. */
		if (k)
			top_ksym_name(&t->ksyms, k->caller, tmp, W_PATH + 1);
		cell(buf, len, off, -W_PATH, k ? tmp : "CALLER");
		break;
	case AGG_BY_KIND:
	case AGG_BY_ALL:	/* top never shows this grouping */
		break;
	}
	cell(buf, len, off, -W_NAME, k ? pfnmap_kind_name(k->kind) : "KIND");
}

void top_title_line(struct top *t, char *buf, size_t len, int *sort_x,
		    int *sort_w)
{
	int off = 0, c, at;

	buf[0] = '\0';
	if (t->tui)
		off = snprintf(buf, len, " ");
	key_cells(t, NULL, buf, len, &off);
	for (c = 0; c < TOP_C_NCOLS; c++) {
		at = cell(buf, len, &off, top_columns[c].width,
			  top_columns[c].title);
		if (c == t->m.sort) {
			*sort_x = at;
			*sort_w = abs(top_columns[c].width);
		}
	}
}

void top_row_line(struct top *t, const struct top_row *r, bool selected,
		  char *buf, size_t len)
{
	char v[32];
	int off = 0, c;

	buf[0] = '\0';
	if (t->tui)
		off = snprintf(buf, len, "%s", selected ? ">" : " ");
	key_cells(t, r->st, buf, len, &off);
	for (c = 0; c < TOP_C_NCOLS; c++) {
		top_fmt_cell(v, sizeof(v), r->st, r->v, c);
		cell(buf, len, &off, top_columns[c].width, v);
	}
}

static bool kind_shown(struct top *t, int k)
{
	__u32 kinds = t->o->sess.kinds;

	return !kinds || (kinds & (1U << k)) || session_mode(t->s, k)->source;
}

/* "vfio_pin(as vfio_map_dma)": a missing kind its ioctl stands in for. */
static const char *stand_in(struct top *t, int k)
{
	const struct ioctl_view *v = ioctl_view_of(k);

	if (!v || v->kind == k ||
	    session_mode(t->s, v->kind)->source != PFNMAP_S_SYSCALL)
		return NULL;
	return pfnmap_kind_name(v->kind);
}

/* "syscall: uffd_copy uffd_zeropage  missing: vfio_pin ..." */
static void mode_line(struct top *t, char *buf, size_t len)
{
	int off = 0, src, k;

	for (src = 1; src <= PFNMAP_S_MAX; src++) {
		int s = src == PFNMAP_S_MAX ? PFNMAP_S_NONE : src;
		bool any = false;

		for (k = 0; k < PFNMAP_K_MAX && off < (int)len; k++) {
			const char *as = stand_in(t, k);

			if (!kind_shown(t, k) ||
			    session_mode(t->s, k)->source != s)
				continue;
			if (!any)
				off += snprintf(buf + off, len - off, "%s%s:",
						off ? "  " : "",
						s ? pfnmap_source_name(s) :
						    "missing");
			any = true;
			off += snprintf(buf + off, len - off, " %s%s%s%s",
					pfnmap_kind_name(k), as ? "(as " : "",
					as ? as : "", as ? ")" : "");
		}
	}
	if (!off)
		snprintf(buf, len, "-");
}

static bool any_syscall(struct top *t)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (kind_shown(t, k) &&
		    session_mode(t->s, k)->source == PFNMAP_S_SYSCALL)
			return true;
	return false;
}

static void filter_line(struct top *t, char *buf, size_t len)
{
	const struct session_opts *so = &t->o->sess;
	const char *sep = " kind ";
	int off = 0, k;

	buf[0] = '\0';
	if (so->tgid)
		off += snprintf(buf + off, len - off, " pid %u", so->tgid);
	if (so->comm)
		off += snprintf(buf + off, len - off, " comm %s", so->comm);
	if (t->o->cgroup)
		off += snprintf(buf + off, len - off, " cgroup %s",
				t->o->cgroup);
	for (k = 0; k < PFNMAP_K_MAX && off < (int)len; k++) {
		if (!(so->kinds & (1U << k)))
			continue;
		off += snprintf(buf + off, len - off, "%s%s", sep,
				pfnmap_kind_name(k));
		sep = ",";
	}
}

/* How long a cumulative view has been collecting. */
void top_fmt_secs(char *buf, size_t len, __u64 ns)
{
	snprintf(buf, len, ns < 10 * NSEC_PER_SEC ? "%.1fs" : "%.0fs",
		 ns / 1e9);
}

static void totals_line(struct top *t, char *buf, size_t len)
{
	double secs = t->m.shown_ns / 1e9, ops = 0, errs = 0, retr = 0;
	char a[32], b[32], c[32], d[32];
	bool retr_known = false;
	size_t i;

	for (i = 0; i < t->m.nrows; i++) {
		const struct agg_stats *st = t->m.rows[i].st;

		ops += st->ops;
		errs += st->errors;
		if (field_known(st, AGG_F_RETRIES)) {
			retr += st->sum[AGG_F_RETRIES];
			retr_known = true;
		}
	}
	fmt_rate(a, sizeof(a), secs > 0 ? ops / secs : NAN);
	fmt_rate(b, sizeof(b), secs > 0 ? errs / secs : NAN);
	fmt_rate(c, sizeof(c), secs > 0 && retr_known ? retr / secs : NAN);
	top_fmt_secs(d, sizeof(d), now_ns() - t->m.cum_start);
	snprintf(buf, len, "total  ops/s %s  err/s %s  retr/s %s  rows %zu  ops %llu in %s  drops %llu (+%llu)",
		 a, b, c, t->m.nrows,
		 (unsigned long long)model_cum_ops(&t->m), d,
		 (unsigned long long)t->drops,
		 (unsigned long long)t->drops_shown);
}

void top_header(struct top *t, struct top_out *o)
{
	char buf[1024], when[16];
	struct tm tm;

	localtime_r(&t->m.shown_at, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	if (t->m.shown_ns)
		snprintf(buf, sizeof(buf), "%.3fs", t->m.shown_ns / 1e9);
	else
		snprintf(buf, sizeof(buf), "-");
	top_put(o, TOP_A_BOLD, "pfnmap top  %s  interval %s  by %s  sort %s%s",
		when, buf, model_by_name(t->m.by),
		top_columns[t->m.sort].title,
		t->m.paused ? "  [paused]" : "");
	totals_line(t, buf, sizeof(buf));
	top_put(o, t->drops_shown ? TOP_A_BOLD : TOP_A_NORMAL, "%s", buf);
	mode_line(t, buf, sizeof(buf));
	top_put(o, TOP_A_NORMAL, "mode   %s", buf);
	if (any_syscall(t))
		top_put(o, TOP_A_NORMAL, "note   syscall: only the ioctl is seen, not retries inside the kernel, nested calls or zap races ('-')");
	filter_line(t, buf, sizeof(buf));
	if (buf[0])
		top_put(o, TOP_A_NORMAL, "filter%s", buf);
}


void top_key_desc(struct top *t, const struct agg_key *k, char *buf,
		  size_t len)
{
	char tmp[PATH_MAX];

	switch (t->m.by) {
	case AGG_BY_PID:
		snprintf(buf, len, "pid %u %s %s", k->pid, k->comm,
			 pfnmap_kind_name(k->kind));
		break;
	case AGG_BY_COMM:
		snprintf(buf, len, "comm %s %s", k->comm,
			 pfnmap_kind_name(k->kind));
		break;
	case AGG_BY_CGROUP:
		cg_name(&t->cg, k->cgroup_id, tmp, sizeof(tmp));
		snprintf(buf, len, "cgroup %s %s", tmp,
			 pfnmap_kind_name(k->kind));
		break;
	case AGG_BY_CALLER:
		top_ksym_name(&t->ksyms, k->caller, tmp, sizeof(tmp));
		snprintf(buf, len, "caller %s %s", tmp,
			 pfnmap_kind_name(k->kind));
		break;
	default:
		snprintf(buf, len, "%s", pfnmap_kind_name(k->kind));
	}
}
