// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_export.c - `pfnmap export`: trace for as long as it runs and expose
 * the counts since start as Prometheus text, on HTTP (GET /metrics) and/or
 * as a node_exporter textfile rewritten every -d seconds.  Counters are
 * cumulative: Prometheus takes the rates, and a restart is a counter
 * reset it already understands.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include "cmds.h"
#include "errors.h"
#include "export.h"
#include "trace_opts.h"

#define DEFAULT_LISTEN		"127.0.0.1:9435"
#define DEFAULT_SECS		15
#define DEFAULT_MAX_SERIES	100
#define POLL_MS			50

enum { OPT_LISTEN = 0x2000, OPT_TEXTFILE, OPT_BY, OPT_MAX_SERIES };

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap export [OPTIONS]\n"
"\n"
"Trace until stopped (SIGINT, SIGTERM) and expose per kind, counted since\n"
"start, in the Prometheus text format: operations, errors by errno name,\n"
"every summed counter of the registry ('pfnmap list counters': pages,\n"
"retries, zap races, retry aborts, ...) where this kernel can show it, a\n"
"latency histogram (11 buckets from 1 us to 100 ms), lost records and\n"
"pfnmap_info (the attach mode per kind, the kernel release).\n"
"\n"
"      --listen ADDR:PORT  serve GET /metrics over HTTP (ADDR numeric;\n"
"                          [ADDR]:PORT for IPv6; default\n"
"                          " DEFAULT_LISTEN " unless only --textfile is\n"
"                          given)\n"
"      --textfile FILE     write FILE (for node_exporter's textfile\n"
"                          collector) atomically, mode 0644, every -d\n"
"                          seconds and on exit\n"
"  -d, --interval S        textfile period in seconds (default %d)\n"
"      --by comm           add a comm label (per process name); kind\n"
"                          and errno are always labels\n"
"      --max-series N      with --by comm: at most N kind/comm series, the\n"
"                          rest counted as comm=\"other\" (default %d)\n",
		DEFAULT_SECS, DEFAULT_MAX_SERIES);
	trace_opts_help(f);
	fprintf(f,
"\n"
"Operations are counted in the kernel (per-CPU maps, read at each\n"
"scrape): no record per operation is sent, none is lost to a full ring\n"
"buffer.  Lost operations are always exported\n"
"(pfnmap_lost_records_total).  Exit\n"
"status: 0 when stopped by a signal, 1 if tracing or listening failed, 2\n"
"on a usage error.\n");
}

struct export_opts {
	const char	*listen;
	const char	*textfile;
	long long	secs;
	bool		by_comm;
	long long	max_series;
};

struct export_ctx {
	struct export_state	x;
	struct metrics_meta	m;
	struct session		*s;
	struct utsname		u;
};

/* No exemplars are asked for: the ring buffer stays empty. */
static int on_record(void *ctx, const struct pfnmap_event *e)
{
	(void)ctx;
	(void)e;
	return 0;
}

/* The in-kernel aggregates, cumulative, as export groups. */
static int refresh(struct export_ctx *c)
{
	struct agg *tmp = agg_new(c->x.by_comm ? AGG_BY_COMM : AGG_BY_KIND);
	size_t i;
	int err;

	if (!tmp)
		return -ENOMEM;
	export_reset(&c->x);
	err = session_read_aggs(c->s, tmp);
	for (i = 0; !err && i < agg_count(tmp); i++)
		err = export_add_group(&c->x, agg_at(tmp, i));
	agg_free(tmp);
	return err;
}

/* http_body_fn: the aggregates and the lost count, read at each scrape. */
static int write_metrics(FILE *f, void *ctx)
{
	struct export_ctx *c = ctx;
	int err = refresh(c);

	if (err)
		return err;
	c->m.lost = session_drops(c->s);
	return metrics_write(f, &c->x, &c->m);
}

static int textfile_fill(int fd, struct export_ctx *c)
{
	FILE *f = fdopen(fd, "w");
	int err;

	if (!f) {
		close(fd);
		return -errno;
	}
	err = write_metrics(f, c);
	if (!err && (fflush(f) || fsync(fileno(f))))
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/*
 * A temporary file in the same directory, renamed over PATH: the
 * collector reads the old file or the new one, never half of one.  Its
 * name does not end in .prom, so the collector skips it meanwhile.
 */
static int textfile_write(const char *path, struct export_ctx *c)
{
	char tmp[4096];
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	/* mkstemp makes 0600; the collector may run as another user */
	if (fchmod(fd, 0644)) {
		err = -errno;
		close(fd);
	} else {
		err = textfile_fill(fd, c);
	}
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void textfile_tick(const struct export_opts *o, struct export_ctx *c)
{
	int err = textfile_write(o->textfile, c);

	if (err)
		cmd_warn("cannot write %s: %s", o->textfile, strerror(-err));
}

static void serve_pending(int lfd, struct export_ctx *c)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	while (lfd >= 0 && !stop && poll(&p, 1, 0) == 1)
		http_serve_one(lfd, write_metrics, c);
}

static int run_loop(const struct export_opts *o, struct export_ctx *c, int lfd)
{
	__u64 period = (__u64)o->secs * 1000000000ULL, next = now_ns();

	while (!stop) {
		if (o->textfile && now_ns() >= next) {
			textfile_tick(o, c);
			/* late (a slow disk): the next one a period from now */
			next = now_ns() > next + period ? now_ns() + period
							: next + period;
		}
		if (session_poll(c->s, POLL_MS, on_record, c) < 0)
			return 1;
		serve_pending(lfd, c);
	}
	session_drain(c->s, on_record, c);
	if (o->textfile)
		textfile_tick(o, c);
	return 0;
}

static void fill_meta(struct export_ctx *c)
{
	const struct kind_mode *km;
	int k;

	uname(&c->u);
	c->m.kernel = c->u.release;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		km = session_mode(c->s, k);
		if (km && km->source)
			c->m.mode[k] = pfnmap_source_name(km->source);
		c->m.valid[k] = km ? km->valid : 0;
	}
}

static int open_listener(const struct export_opts *o)
{
	int fd;

	if (!o->listen)
		return -1;
	fd = http_listen(o->listen);
	if (fd == -EINVAL)
		cmd_err("bad --listen '%s' (want ADDR:PORT, numeric)", o->listen);
	else if (fd < 0)
		cmd_err("cannot listen on %s: %s", o->listen, strerror(-fd));
	return fd;
}

static int run_export(struct session_opts *so, const struct export_opts *o)
{
	struct export_ctx c = {};
	int lfd = -1, rc = 1, err;

	metrics_init_buckets();
	if (export_init(&c.x, o->by_comm, (size_t)o->max_series)) {
		cmd_err("out of memory");
		return 1;
	}
	/* listen first: a taken port should fail before BPF is loaded */
	if (o->listen && (lfd = open_listener(o)) < 0) {
		if (lfd == -EINVAL)
			rc = 2;		/* a malformed --listen: usage */
		goto out;
	}
	err = session_open(&c.s, so);
	if (err)
		goto out;	/* the loader said why */
	fill_meta(&c);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rc = run_loop(o, &c, lfd);
out:
	if (lfd >= 0)
		close(lfd);
	session_close(c.s);
	export_fini(&c.x);
	return rc;
}

static int parse_num(const char *what, const char *arg, long long *v)
{
	*v = parse_count(arg);
	if (*v > 0 && *v <= 1000000)
		return 0;
	cmd_err("bad %s '%s'", what, arg);
	return 2;
}

static int export_opt(int opt, struct export_opts *o)
{
	switch (opt) {
	case OPT_LISTEN:
		o->listen = optarg;
		return 0;
	case OPT_TEXTFILE:
		o->textfile = optarg;
		return 0;
	case 'd':
		return parse_num("interval", optarg, &o->secs);
	case OPT_MAX_SERIES:
		return parse_num("--max-series", optarg, &o->max_series);
	case OPT_BY:
		if (!strcmp(optarg, "comm")) {
			o->by_comm = true;
			return 0;
		}
		cmd_err("bad --by '%s' (only comm: kind and errno are always labels)",
			optarg);
		return 2;
	}
	return -1;
}

static int parse_args(int argc, char **argv, struct session_opts *so,
		      struct export_opts *o)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "textfile", required_argument, NULL, OPT_TEXTFILE },
		{ "interval", required_argument, NULL, 'd' },
		{ "by", required_argument, NULL, OPT_BY },
		{ "max-series", required_argument, NULL, OPT_MAX_SERIES },
		{ "help", no_argument, NULL, 'h' },
		TRACE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	int opt, r;

	while ((opt = getopt_long(argc, argv, "d:h" TRACE_SHORTOPTS,
				  longopts, NULL)) != -1) {
		if (opt == 'h') {
			usage(stdout);
			return 0;
		}
		r = export_opt(opt, o);
		if (r >= 0) {
			if (r)
				return r;
			continue;
		}
		if ((r = trace_opt(opt, optarg, so, "export")) <= 0) {
			if (!r)
				try_help("export");
			return 2;
		}
	}
	if (optind < argc) {
		cmd_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (!o->textfile && !o->listen)
		o->listen = DEFAULT_LISTEN;
	return -1;
}

int cmd_export(int argc, char **argv)
{
	struct export_opts o = {
		.secs = DEFAULT_SECS,
		.max_series = DEFAULT_MAX_SERIES,
	};
	struct session_opts so = {};
	int r;

	r = parse_args(argc, argv, &so, &o);
	if (r >= 0)
		return r;
	/* counted in the kernel, per kind (and comm): no record is sent */
	so.aggregate = true;
	so.agg_by = o.by_comm ? PFNMAP_AGG_BY_COMM : 0;
	so.agg_groups = (__u32)o.max_series;
	return run_export(&so, &o);
}
