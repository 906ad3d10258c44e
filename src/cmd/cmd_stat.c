// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_stat.c - `pfnmap stat -- CMD`: trace CMD (and its children) from
 * its first instruction to its exit, then print per kind the operation
 * count, errors by errno, retries and latency.  Like perf stat, the child
 * is forked first and held on a pipe until the probes are attached, so
 * not one of its operations is missed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "agg.h"
#include "cmds.h"
#include "errors.h"
#include "json.h"
#include "spawn.h"
#include "targets.h"
#include "trace_opts.h"
#include "view.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap stat [OPTIONS] -- CMD [ARGS...]\n"
"       pfnmap stat [OPTIONS] -p PID [-d SECONDS]\n"
"\n"
"Run CMD with every pfnmap probe attached (or watch PID) and print, per\n"
"operation kind, the number of operations, errors by errno name, retries\n"
"(lock drops of UFFDIO_COPY, restarted lookups of a VFIO pin), nested\n"
"follow_pfnmap_start/fixup_user_fault calls, zap races and latency\n"
"p50/p99/max.  Counters this kernel cannot show print as '-' (JSON null),\n"
"never as 0; 'pfnmap probe' says why.  Children of CMD are followed.\n"
"\n"
"  -j, --json          one JSON object: a key per kind (see -k), with its\n"
"                      fields ('pfnmap list fields'), plus \"mode\" and\n"
"                      \"lost\"\n"
"  -d, --duration S    with -p: stop after S seconds (default: Ctrl-C)\n"
"  -o, --output FILE   write the result to FILE instead of stdout\n"
);
	trace_opts_help(f);
	fprintf(f,
"\n"
"Operations are counted in the kernel, in per-CPU maps read at the end:\n"
"none is lost to a full ring buffer.  Only zap races are sent one by one\n"
"(for their attribution); one the ring buffer had no room for is counted\n"
"in 'exemplars_lost', an operation that could not be followed in\n"
"'lost'.  Exit status: CMD's (with -p: 0), 1 if tracing failed, 2 on a\n"
"usage error (also: no process PID).\n");
}

struct stat_ctx {
	struct agg	*agg;
	int		err;
};

static int on_record(void *ctx, const struct pfnmap_event *e)
{
	struct stat_ctx *c = ctx;

	if (agg_add(c->agg, e))
		c->err = -ENOMEM;
	return 0;
}

static void on_child(int sig)
{
	(void)sig;
}

/* SIGCHLD without SA_RESTART interrupts the ring-buffer poll at once. */
static void wake_on_child_exit(void)
{
	struct sigaction sa = { .sa_handler = on_child };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
}

static int wait_child(struct session *s, struct stat_ctx *c, pid_t pid)
{
	int status = 0;

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR)
			return 1;
		/* SIGINT reaches the child too; keep waiting for it */
		if (session_poll(s, 100, on_record, c) < 0)
			return 1;
	}
	return spawn_exit_code(status);
}

static void watch(struct session *s, struct stat_ctx *c, long long secs)
{
	__u64 end = secs > 0 ? now_ns() + secs * 1000000000ULL : 0;

	while (!stop && (!end || now_ns() < end))
		if (session_poll(s, 100, on_record, c) < 0)
			break;
}

static FILE *out;

/* A latency percentile, "-" when there were no operations. */
static void fmt_lat(char *buf, size_t len, const struct lat_hist *h, double p)
{
	if (!h->count)
		snprintf(buf, len, "-");
	else
		fmt_ns(buf, len, p >= 100 ? h->max : hist_percentile(h, p));
}


static void print_text(struct session *s, struct agg *agg, __u64 elapsed)
{
	char errs[96], retr[24], pages[24], p50[16], p99[16], mx[16], el[16];
	struct agg_stats t;
	int k;

	fmt_ns(el, sizeof(el), elapsed);
	fprintf(out, "\n pfnmap stat (%s elapsed, %llu operations lost, %llu zap-race records lost)\n\n",
		el, (unsigned long long)session_drops(s),
		(unsigned long long)session_exemplars_lost(s));
	fprintf(out, "%-17s %-7s %8s %8s %8s %9s %9s %9s  %s\n", "KIND", "MODE",
	       "COUNT", "PAGES", "RETRIES", "P50", "P99", "MAX", "ERRORS");
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct kind_mode *m = session_mode(s, k);

		agg_total_kind(agg, k, &t);
		if (!m->source && !t.ops)
			continue;
		agg_mark_visible(&t, m->valid);
		fmt_field(pages, sizeof(pages), &t, AGG_F_PAGES, 0);
		fmt_field(retr, sizeof(retr), &t, AGG_F_RETRIES, 0);
		fmt_lat(p50, sizeof(p50), &t.lat, 50);
		fmt_lat(p99, sizeof(p99), &t.lat, 99);
		fmt_lat(mx, sizeof(mx), &t.lat, 100);
		fmt_errors(errs, sizeof(errs), &t, 4);
		fprintf(out, "%-17s %-7s %8llu %8s %8s %9s %9s %9s  %s\n",
		       pfnmap_kind_name(k),
		       m->source ? pfnmap_source_name(m->source) : "none",
		       (unsigned long long)t.ops, pages, retr, p50, p99, mx,
		       errs);
		if (t.ops)
			print_nested(out, &t, 18);
	}
}

static void print_json(struct session *s, struct agg *agg, __u64 elapsed,
		       char **cmd)
{
	struct agg_stats t;
	struct utsname u;
	struct json j;
	int k;

	uname(&u);
	json_init(&j, out, false);
	json_obj_begin(&j);
	json_kv_u64(&j, "version", PFNMAP_ABI_VERSION);
	json_kv_str(&j, "kernel", u.release);
	json_kv_u64(&j, "elapsed_ns", elapsed);
	json_kv_u64(&j, "lost", session_drops(s));
	json_kv_u64(&j, "exemplars_lost", session_exemplars_lost(s));
	json_key(&j, "command");
	json_arr_begin(&j);
	while (cmd && *cmd)
		json_str(&j, *cmd++);
	json_arr_end(&j);
	json_key(&j, "mode");
	json_obj_begin(&j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		int src = session_mode(s, k)->source;

		json_kv_str(&j, pfnmap_kind_name(k),
			    src ? pfnmap_source_name(src) : "none");
	}
	json_obj_end(&j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		agg_total_kind(agg, k, &t);
		json_key(&j, pfnmap_kind_name(k));
		json_obj_begin(&j);
		stats_json(&j, &t, session_mode(s, k)->valid);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_end_line(&j);
}

static int open_output(const char *path)
{
	out = path ? fopen(path, "w") : stdout;
	if (!out) {
		cmd_err("cannot write %s: %s", path, strerror(errno));
		return 2;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct session_opts *o,
		      bool *json, long long *secs)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		TRACE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const char *output = NULL;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "+jd:o:h" TRACE_SHORTOPTS,
				  longopts, NULL)) != -1) {
		if (opt == 'j') {
			*json = true;
		} else if (opt == 'o') {
			output = optarg;
		} else if (opt == 'd') {
			*secs = parse_count(optarg);
			if (*secs <= 0) {
				cmd_err("bad duration '%s'", optarg);
				return 2;
			}
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else if ((r = trace_opt(opt, optarg, o, "stat")) <= 0) {
			if (!r)
				try_help("stat");
			return 2;
		}
	}
	if (optind >= argc && !o->tgid) {
		cmd_err("give a command (-- CMD) or -p PID");
		return 2;
	}
	if (optind < argc && o->tgid) {
		cmd_err("-p and a command exclude each other");
		return 2;
	}
	/* the options are good: from here on an error is the result */
	if (*json)
		cmd_err_json_to(stdout);
	return open_output(output);
}

static int run_stat(struct session_opts *o, char **cmd, bool json,
		    long long secs)
{
	struct stat_ctx c = { .agg = agg_new(AGG_BY_KIND) };
	struct session *s = NULL;
	int go_fd = -1, rc = 1, err;
	pid_t pid = 0;
	__u64 t0;

	if (!c.agg) {
		cmd_err("out of memory");
		return 1;
	}
	if (cmd) {
		pid = spawn_held(cmd, 0, &go_fd);
		if (pid < 0) {
			cmd_err("fork: %s", strerror(errno));
			goto out;
		}
		o->tgid = pid;
		o->follow_children = true;
	}
	err = session_open(&s, o);
	if (err) {
		/* the loader said why on stderr */
		cmd_err_json("tracing could not start: %s", strerror(-err));
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	wake_on_child_exit();
	t0 = now_ns();
	if (pid > 0) {
		if (spawn_release(&go_fd))
			goto out;
		rc = wait_child(s, &c, pid);
		pid = 0;
	} else {
		watch(s, &c, secs);
		rc = 0;
	}
	session_drain(s, on_record, &c);
	if (!c.err && session_read_aggs(s, c.agg))
		c.err = -ENOMEM;
	if (c.err) {
		cmd_err("aggregating the operations failed");
		rc = 1;
	} else if (json) {
		print_json(s, c.agg, now_ns() - t0, cmd);
	} else {
		print_text(s, c.agg, now_ns() - t0);
	}
out:
	/* pid is still set only if CMD was never let run */
	spawn_cancel(pid, &go_fd);
	session_close(s);
	agg_free(c.agg);
	/* the result, or an error in its place, is written */
	cmd_err_json_to(NULL);
	if (out && out != stdout && fclose(out)) {
		cmd_err("writing the result failed: %s", strerror(errno));
		rc = 1;
	}
	return rc;
}

int cmd_stat(int argc, char **argv)
{
	struct session_opts o = {};
	long long secs = 0;
	bool json = false;
	int r;

	r = parse_args(argc, argv, &o, &json, &secs);
	if (r >= 0)
		return r;
	/* counted in the kernel; zap races still come as records */
	o.aggregate = true;
	o.exemplars = PFNMAP_EX_ZAP_RACE;
	if (json)
		cmd_err_json_to(out);
	return run_stat(&o, optind < argc ? argv + optind : NULL, json, secs);
}
