// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_top.c - `pfnmap top` (also `pfnmap-top`): a live view, like top or
 * biotop, of the traced operations.  One row per process and operation
 * kind (--by changes the grouping), refreshed every -d seconds, full
 * screen with ncurses, or plain text / JSON snapshots in batch mode.
 *
 * This file has the options, the session and the main loop.  The rows,
 * sorting, grouping, selection and keys are the model (model.c, pure);
 * tui.c draws it, batch.c prints it (top.h lists the files).
 *
 * At each refresh the ring buffer is drained and the interval being
 * collected ends at that same instant, so no record is counted twice or
 * dropped between intervals.
 */
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmds.h"
#include "top.h"
#include "trace_opts.h"

/* How often keys are read while waiting for records, in ms. */
#define KEY_POLL_MS		50
/*
 * Groups the kernel keeps (kind, pid, comm, cgroup, caller) before the
 * rest of a kind is counted in its "other" row: what a screen can use.
 */
#define TOP_GROUPS		256

/* Options */

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap top [OPTIONS]\n"
"       pfnmap-top [OPTIONS]\n"
"\n"
"A live view, like top, of the operations pfnmap traces: VFIO pins of\n"
"PFNMAP memory and userfaultfd fills.  One row per process and kind of\n"
"operation (--by changes that), refreshed every -d seconds with the\n"
"rates of the interval that just ended.  Counters this kernel cannot\n"
"show print as '-' (JSON null), never as 0; 'pfnmap probe' says why.\n"
"Full screen on a terminal; plain text snapshots (batch mode) when stdout\n"
"is not one.\n"
"\n"
"  -d, --delay SECONDS  refresh every SECONDS (default 1; fractions like\n"
"                       0.5 work; from 0.01 to 86400)\n"
"  -n, --iterations N   stop after N refreshes (default: until q, Ctrl-C\n"
"                       or SIGTERM)\n"
"  -b, --batch          print a plain text snapshot per refresh, like\n"
"                       top -b (the first one after one interval)\n"
"  -j, --json           batch mode, one JSON object per refresh and line\n"
"      --by KEY         one row per: pid (default: process, comm and kind),\n"
"                       comm, kind, cgroup, caller (each with the kind)\n"
"  -s, --sort COLUMN    order rows by ops (default), errors, retries, maxr,\n"
"                       zaps, p50, p99, max or pages, largest first\n"
"      --cgroup PATH    only tasks in the cgroup v2 directory PATH or in a\n"
"                       cgroup below it\n"
);
	trace_opts_help(f);
	fprintf(f,
"  -h, --help          this text\n"
"\n"
"Columns (the counts are those of the last interval):\n"
"  PID COMM KIND  the group: process id, task name, operation kind\n"
"  CGROUP         with --by cgroup: path below the cgroup2 mount point\n"
"  CALLER         with --by caller: the kernel function that called a\n"
"                 stand-alone follow_pfnmap/fixup_user_fault, or zapped\n"
"  OPS/s          operations finished, per second\n"
"  ERR/s          operations that failed (returned < 0), per second\n"
"  ERRNO          the most frequent error, '-' if none\n"
"  RETR/s         retries per second: lock drops of UFFDIO_COPY, restarted\n"
"                 lookups of a VFIO pin\n"
"  MAXR           the most retries a single operation of the group\n"
"                 needed since the start\n"
"  ZAPS           zap races: the PFNMAP was zapped between fault-in and\n"
"                 lookup\n"
"  ZAPPER         tid of the task whose vfio-pci zap caused the latest\n"
"                 zap race ('pfnmap report --by zapper' has them all)\n"
"  P50 P99 MAX    latency percentiles and maximum (from the histogram:\n"
"                 within 6.25%%)\n"
"  PG/OP          pages done per operation\n"
"\n"
"Operations are counted in the kernel, in per-CPU maps keyed by kind,\n"
"process, task name, cgroup and caller, read at every refresh: a full\n"
"ring buffer loses none.  Past %d such groups the rest of a kind is\n"
"counted in its comm \"other\" row.  Only zap races are sent one by one\n"
"(for ZAPPER).\n"
"\n"
"The header gives the interval's measured length, totals, 'drops'\n"
"(operations not followed for want of per-task state, since the start\n"
"and in the last interval: rates undercount when it is not 0), how\n"
"each kind is attached (fentry, kprobe, syscall or missing) and, when a\n"
"kind falls back to the ioctl tracepoints (syscall), what that cannot see.\n"
"\n"
"Keys:\n"
"  q              quit\n"
"  s              sort by the next column (cycles)\n"
"  < >            sort by the column left / right of the current one\n"
"  g              group by the next key: kind, comm, pid, cgroup, caller\n"
"                 (starts a new interval and a new histogram)\n"
"  p              pause the screen (records are still counted)\n"
"  h              log2 latency histogram of the selected row, since the\n"
"                 grouping was chosen\n"
"  Up Down        select a row (also k j, PgUp PgDn, Home End)\n"
"\n"
"JSON: per refresh {\"timestamp\" (Unix time), \"monotonic_ns\",\n"
"\"interval_ns\", \"by\", \"sort\", \"drops\", \"drops_interval\", \"mode\"\n"
"(kind: fentry, kprobe, syscall or none), \"rows\": [{the group's keys\n"
"(\"kind\", \"pid\", \"comm\", \"cgroup_id\", \"cgroup\", \"caller\"), the\n"
"interval's counters with the keys of 'pfnmap stat --json' (its fields:\n"
"'pfnmap list fields'), and\n"
"\"ops_per_s\", \"errors_per_s\", \"retries_per_s\", \"top_errno\",\n"
"\"pages_per_op\"}]}.  Rows are the groups active in the interval.\n"
"\n"
"Examples:\n"
"  pfnmap top                            everything, live\n"
"  pfnmap top -p 1234 --by kind -d 0.5   one process, per kind\n"
"  pfnmap top --cgroup /sys/fs/cgroup/machine.slice -s p99\n"
"  pfnmap top --json -n 60 > top.jsonl   a minute of snapshots\n"
"\n"
"Exit status: 0, 1 if tracing failed, 2 on a usage error.\n", TOP_GROUPS);
}

static int parse_delay(const char *arg, __u64 *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(v) || v < 0.01 ||
	    v > 86400) {
		fprintf(stderr, "pfnmap top: bad delay '%s' (seconds, 0.01 to 86400)\n",
			arg);
		return -1;
	}
	*ns = (__u64)(v * NSEC_PER_SEC + 0.5);
	return 0;
}

static int parse_by(const char *arg, enum agg_by *by)
{
	int i = model_by_parse(arg);

	if (i < 0) {
		fprintf(stderr, "pfnmap top: bad --by '%s' (pid, comm, kind, cgroup, caller)\n",
			arg);
		return -1;
	}
	*by = i;
	return 0;
}

static int parse_sort(const char *arg, int *sort)
{
	int c = model_sort_parse(arg);

	if (c < 0) {
		fprintf(stderr, "pfnmap top: bad --sort '%s' (ops, errors, retries, maxr, zaps, p50, p99, max, pages)\n",
			arg);
		return -1;
	}
	*sort = c;
	return 0;
}

enum { OPT_BY = 0x2000, OPT_CGROUP };

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, struct top_opts *o)
{
	static const struct option longopts[] = {
		{ "delay", required_argument, NULL, 'd' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "batch", no_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "sort", required_argument, NULL, 's' },
		{ "by", required_argument, NULL, OPT_BY },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "help", no_argument, NULL, 'h' },
		TRACE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static char prog[] = "pfnmap top";
	int opt, r = 0;

	/* getopt's own messages start with argv[0]: "top" or "pfnmap-top". */
	argv[0] = prog;
	while ((opt = getopt_long(argc, argv, "d:n:bjs:h" TRACE_SHORTOPTS,
				  longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			r = parse_delay(optarg, &o->interval_ns);
			break;
		case 'n':
			o->count = parse_count(optarg);
			if (o->count <= 0) {
				fprintf(stderr, "pfnmap top: bad count '%s'\n",
					optarg);
				r = -1;
			}
			break;
		case 'b':
			o->batch = true;
			break;
		case 'j':
			o->json = o->batch = true;
			break;
		case 's':
			r = parse_sort(optarg, &o->sort);
			break;
		case OPT_BY:
			r = parse_by(optarg, &o->by);
			break;
		case OPT_CGROUP:
			o->cgroup = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			r = trace_opt(opt, optarg, &o->sess, "top");
			if (!r) {
				fprintf(stderr, "usage: pfnmap top [-b|-j] [-d SECONDS] [-n N] [--by KEY] [-s COLUMN]\n"
					"                  [--cgroup PATH] [-p PID] [-c COMM] [-k KIND] [--mode M]\n"
					"(pfnmap top --help says more)\n");
				return 2;
			}
			r = r < 0 ? -1 : 0;
		}
		if (r)
			return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "pfnmap top: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	/* Else it would wait, silently, for a process that never comes. */
	if (o->sess.tgid && kill(o->sess.tgid, 0) && errno == ESRCH) {
		fprintf(stderr, "pfnmap top: no process %u\n", o->sess.tgid);
		return 2;
	}
	return -1;
}

/* Records */

int top_fail(struct top *t, int err, const char *what)
{
	/* The first error is the one to report; polling goes on until then. */
	if (!t->err) {
		t->err = err;
		t->err_what = what;
	}
	return 0;
}

static int on_record(void *ctx, const struct pfnmap_event *e)
{
	struct top *t = ctx;

	/* --cgroup: each new cgroup id is resolved once, then cached. */
	if (t->cg.filter_id) {
		struct cg_entry *c = cg_lookup(&t->cg, e->cgroup_id);

		if (!c)
			return top_fail(t, -ENOMEM, "aggregating records");
		if (!c->inside)
			return 0;
	}
	if (model_add(&t->m, e))
		return top_fail(t, -ENOMEM, "aggregating records");
	return 0;
}

/* The loop */

/* A reading is big (every group whole): it waits packed for the next. */
static struct packed *pack_reading(const struct agg *now)
{
	struct packed *p = packed_new();
	size_t i;

	for (i = 0; p && i < agg_count(now); i++) {
		if (packed_put(p, agg_at(now, i))) {
			packed_free(p);
			return NULL;
		}
	}
	return p;
}

/*
 * The kernel's groups are cumulative and keyed by everything top can
 * group by: what each did since the last reading goes into the model,
 * which groups it as the user asks.
 */
static int read_groups(struct top *t)
{
	struct agg *now = agg_new(AGG_BY_ALL);
	const struct agg_stats *g;
	struct packed *snap;
	struct cg_entry *c;
	size_t i;
	int err;

	if (!now)
		return -ENOMEM;
	err = session_read_aggs(t->s, now);
	for (i = 0; !err && i < agg_count(now); i++) {
		g = agg_at(now, i);
		agg_stats_sub(t->delta, g, t->snap ?
			      packed_get(t->snap, &g->key, t->before) : NULL);
		if (!t->delta->ops)
			continue;
		if (t->cg.filter_id) {
			c = cg_lookup(&t->cg, g->key.cgroup_id);
			if (!c)
				err = -ENOMEM;
			if (!c || !c->inside)
				continue;
		}
		err = model_add_group(&t->m, t->delta);
	}
	snap = pack_reading(now);
	agg_free(now);
	if (!snap)
		return -ENOMEM;
	packed_free(t->snap);
	t->snap = snap;
	return err;
}

/* Ends the interval being collected and shows it, unless paused. */
static void tick(struct top *t)
{
	__u64 drops;
	int err;

	if (t->m.paused)
		return;
	err = session_drain(t->s, on_record, t);
	if (err < 0) {
		top_fail(t, err, "reading the ring buffer");
		return;
	}
	err = read_groups(t);
	if (err < 0) {
		top_fail(t, err, "reading the in-kernel aggregates");
		return;
	}
	err = model_refresh(&t->m);
	/*
	 * A reading's groups were freed.  libbpf's freeing of the kernel's
	 * BTF raised glibc's trim threshold to twice its size: the heap
	 * would keep the pages of the biggest reading for good.
	 */
	malloc_trim(0);
	drops = session_drops(t->s);
	t->drops_shown = drops - t->drops;
	t->drops = drops;
	if (err < 0)
		top_fail(t, err, "sorting rows");
	if (t->err)
		return;
	t->refreshes++;
	if (t->tui)
		tui_draw(t);
	else if ((err = batch_print(t)))
		top_fail(t, err, "writing the output");
}

static int wait_ms(__u64 now, __u64 next, bool tui)
{
	__u64 ms = (next - now + 999999) / 1000000;

	if (tui && ms > KEY_POLL_MS)
		ms = KEY_POLL_MS;
	return ms ? (int)ms : 1;
}

static void run(struct top *t)
{
	__u64 next = t->m.cur_start + t->o->interval_ns;
	int n;

	if (t->tui)
		tui_draw(t);
	while (!top_signalled() && !t->m.quit && !t->err) {
		__u64 now = now_ns();

		if (now >= next) {
			tick(t);
			if (t->o->count && t->refreshes >= t->o->count)
				break;
			/* Fixed beats; a late one does not make the next early. */
			next += t->o->interval_ns;
			if (next <= now)
				next = now + t->o->interval_ns;
			continue;
		}
		n = session_poll(t->s, wait_ms(now, next, t->tui), on_record, t);
		if (n < 0)
			top_fail(t, n, "reading the ring buffer");
		if (t->tui && !t->err)
			tui_read_keys(t);
	}
}

static void top_free(struct top *t)
{
	model_free(&t->m);
	packed_free(t->snap);
	free(t->delta);
	free(t->before);
	cg_free(&t->cg);
	top_ksyms_free(&t->ksyms);
	session_close(t->s);
}

/* Says what went wrong, on a terminal that is sane again; the exit status. */
static int report(const struct top *t)
{
	/* The reader of batch output went away: nothing left to do. */
	if (!t->err || t->err == -EPIPE)
		return 0;
	fprintf(stderr, "pfnmap top: %s failed: %s\n", t->err_what,
		strerror(-t->err));
	return 1;
}

static time_t wall_now(void)
{
	return time(NULL);
}

static const struct model_clock clock_real = {
	.mono_ns	= now_ns,
	.wall		= wall_now,
};

int cmd_top(int argc, char **argv)
{
	struct top_opts o = {
		.interval_ns	= NSEC_PER_SEC,
		.by		= AGG_BY_PID,
		.sort		= TOP_C_OPS,
	};
	struct top t = { .o = &o };
	int r;

	r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	if (!isatty(STDOUT_FILENO))
		o.batch = true;
	if (cg_init(&t.cg, o.cgroup)) {
		cg_free(&t.cg);
		return 2;
	}
	/* counted in the kernel at the finest key; zap races as records */
	o.sess.aggregate = true;
	o.sess.agg_by = PFNMAP_AGG_BY_PID | PFNMAP_AGG_BY_COMM |
			PFNMAP_AGG_BY_CGROUP | PFNMAP_AGG_BY_CALLER;
	o.sess.agg_groups = TOP_GROUPS;
	o.sess.exemplars = PFNMAP_EX_ZAP_RACE;
	t.delta = malloc(sizeof(*t.delta));
	t.before = malloc(sizeof(*t.before));
	if (!t.delta || !t.before || session_open(&t.s, &o.sess)) {
		free(t.delta);
		free(t.before);
		cg_free(&t.cg);
		return 1;
	}
	top_signals_init();
	if (model_init(&t.m, o.by, o.sort, &clock_real))
		top_fail(&t, -ENOMEM, "allocating");
	if (!t.err && !o.batch) {
		t.tui = true;
		if (tui_begin()) {
			top_free(&t);
			return 1;
		}
	}
	if (!t.err)
		run(&t);
	/* The screen goes first: the error must land on a sane terminal. */
	tui_end();
	r = report(&t);
	top_free(&t);
	return r;
}
