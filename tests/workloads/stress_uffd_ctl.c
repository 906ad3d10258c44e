// SPDX-License-Identifier: GPL-2.0
/*
 * stress_uffd_ctl.c - the userfaultfd operations that fill nothing:
 * UFFDIO_MOVE (Linux 6.8+) and UFFDIO_WRITEPROTECT.
 *
 * uffd-move -n N: N one-page moves of written (anonymous, exclusive) pages
 * into a MISSING-registered destination: N ok, N pages moved.
 *   --dst filled   the destination pages are present: N EEXIST
 *   --src pinned   io_uring holds the source pages as fixed buffers
 *                  (FOLL_PIN | FOLL_LONGTERM): N EBUSY
 *   --src shared   a forked child still maps the source pages, so they
 *                  are no longer exclusive to us: N EBUSY
 *   --changing     N rounds: a MOVE while a REMAP event is pending
 *                  (mmap_changing) fails with EAGAIN, then succeeds after
 *                  the event is read: 2N ops, N EAGAIN, N pages
 * uffd-wp -n N [--pages P]: N rounds of UFFDIO_WRITEPROTECT on, then off,
 *   of a WP-registered range of P written pages: 2N ops, 2N x P pages.
 *   --changing     N rounds: "on" during a pending REMAP event (EAGAIN),
 *                  then again after it: 2N ops, N EAGAIN, N x P pages
 *
 * A kernel without UFFDIO_MOVE (UFFD_FEATURE_MOVE not offered) is exit
 * status 3, with the reason on stderr.
 *
 * The JSON line: scenario, pid, kind (the pfnmap kind it exercises),
 * variant, ops (ioctl calls), pages_per_op, done_pages (pages the kernel
 * reports done: uffdio_move.move, or the range of a successful
 * WRITEPROTECT), ok, errors (by errno), expected_eagain_mmap_changing
 * (--changing), elapsed_ns.
 */
#define _GNU_SOURCE	/* mremap() */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include "stress.h"
#include "uffd_compat.h"


enum variant { V_PLAIN, V_FILLED, V_PINNED, V_SHARED, V_CHANGING };

static const char * const variant_names[] = {
	[V_PLAIN] = "plain", [V_FILLED] = "dst-filled",
	[V_PINNED] = "src-pinned", [V_SHARED] = "src-shared",
	[V_CHANGING] = "mmap-changing",
};

struct ctl {
	const char		*scenario;
	bool			move;		/* uffd-move, else uffd-wp */
	enum variant		v;
	unsigned long long	n, pages;
	long			psz;
	int			uffd;
	char			*dst, *src, *spare;
	unsigned long long	ops, ok, done;
	struct errno_counts	errs;
};

/* ---- setup ---------------------------------------------------------- */

static int open_uffd(__u64 features, __u64 *offered)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0) {
		errmsg("userfaultfd: %s", strerror(errno));
		return -1;
	}
	if (ioctl(fd, UFFDIO_API, &api)) {
		errmsg("UFFDIO_API: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (offered)
		*offered = api.features;
	return fd;
}

/* UFFDIO_API can be called once per file: ask a throw-away one. */
static bool kernel_has_move(void)
{
	__u64 offered = 0;
	int fd = open_uffd(0, &offered);

	if (fd < 0)
		return false;
	close(fd);
	return offered & UFFD_FEATURE_MOVE;
}

static char *map_pages(unsigned long long n, long psz, bool write)
{
	char *p = mmap(NULL, n * psz, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long long i;

	if (p == MAP_FAILED) {
		errmsg("mmap: %s", strerror(errno));
		return NULL;
	}
	/* one page, one folio: no THP to split or to move whole */
	madvise(p, n * psz, MADV_NOHUGEPAGE);
	for (i = 0; write && i < n; i++)
		p[i * psz] = 1;
	return p;
}

static int register_range(struct ctl *c, char *p, size_t len, __u64 mode)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = mode,
	};

	if (ioctl(c->uffd, UFFDIO_REGISTER, &reg)) {
		errmsg("UFFDIO_REGISTER: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- one ioctl each, counted ---------------------------------------- */

static int count(struct ctl *c, int ret)
{
	int err = ret ? errno : 0;

	c->ops++;
	if (err)
		errno_counts_add(&c->errs, err);
	else
		c->ok++;
	return err;
}

static int move_page(struct ctl *c, char *dst, char *src)
{
	struct uffdio_move m = {
		.dst = (unsigned long)dst, .src = (unsigned long)src,
		.len = c->psz,
	};
	int err = count(c, ioctl(c->uffd, UFFDIO_MOVE, &m));

	if (m.move > 0)
		c->done += m.move / c->psz;
	return err;
}

static int protect(struct ctl *c, char *p, bool on)
{
	struct uffdio_writeprotect wp = {
		.range = { .start = (unsigned long)p,
			   .len = c->pages * c->psz },
		.mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};
	int err = count(c, ioctl(c->uffd, UFFDIO_WRITEPROTECT, &wp));

	if (!err)
		c->done += c->pages;
	return err;
}

/* ---- mmap_changing: a REMAP event left pending ---------------------- */

struct mover {
	char	*from, *to;
	long	psz;
	int	err;
};

/* Blocks in the kernel until the monitor reads the REMAP event. */
static void *do_mremap(void *arg)
{
	struct mover *m = arg;

	if (mremap(m->from, m->psz, m->psz, MREMAP_MAYMOVE | MREMAP_FIXED,
		   m->to) == MAP_FAILED)
		m->err = errno;
	return NULL;
}

static int read_event(struct ctl *c)
{
	struct pollfd p = { .fd = c->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&p, 1, 5000) != 1) {
		errmsg("no REMAP event within 5 s");
		return -1;
	}
	if (read(c->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_REMAP) {
		errmsg("expected a REMAP event");
		return -1;
	}
	return 0;
}

/* The operation of round i: 0 or an errno. */
static int round_op(struct ctl *c, unsigned long long i)
{
	if (c->move)
		return move_page(c, c->dst + 2 * i * c->psz, c->src + i * c->psz);
	return protect(c, c->dst, true);
}

/*
 * Page 2i + 1 of the destination (present, registered) moves away while
 * the round's operation runs: the mremap waits for its event to be read,
 * with mmap_changing set, so the operation fails with EAGAIN; after the
 * event it succeeds.
 */
static int changing_round(struct ctl *c, char *remap, unsigned long long i)
{
	struct mover m = { .from = remap + (2 * i + 1) * c->psz,
			   .to = c->spare + i * c->psz, .psz = c->psz };
	struct pollfd p = { .fd = c->uffd, .events = POLLIN };
	pthread_t t;
	int err;

	if (pthread_create(&t, NULL, do_mremap, &m))
		return -1;
	if (poll(&p, 1, 5000) != 1) {
		errmsg("no REMAP event within 5 s");
		pthread_join(t, NULL);
		return -1;
	}
	err = round_op(c, i);
	if (read_event(c))
		return -1;	/* the mover stays blocked: we exit anyway */
	pthread_join(t, NULL);
	if (m.err) {
		errmsg("mremap: %s", strerror(m.err));
		return -1;
	}
	if (err != EAGAIN) {
		errmsg("round %llu: expected EAGAIN, got %s", i, strerror(err));
		return -1;
	}
	return round_op(c, i) ? -1 : 0;
}

/* ---- the scenarios -------------------------------------------------- */

/* io_uring fixed buffers: a long-term pin (FOLL_LONGTERM) of the source. */
static int pin_src(struct ctl *c)
{
	struct io_uring_params p = { 0 };
	struct iovec iov = { .iov_base = c->src, .iov_len = c->n * c->psz };
	int ring = syscall(__NR_io_uring_setup, 1, &p);

	if (ring < 0) {
		errmsg("%s --src pinned: io_uring_setup: %s (io_uring unavailable: nothing to pin with)",
		       c->scenario, strerror(errno));
		return STRESS_EXIT_UNSUPP;
	}
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		    &iov, 1)) {
		errmsg("%s --src pinned: IORING_REGISTER_BUFFERS: %s",
		       c->scenario, strerror(errno));
		return STRESS_EXIT_UNSUPP;
	}
	return 0;	/* the ring stays open: the pin lasts until exit */
}

/* A child that maps the source pages too, until the pipe closes. */
static pid_t share_src(int *wr)
{
	int fds[2];
	char b;
	pid_t pid;

	if (pipe(fds))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		while (read(fds[0], &b, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(fds[0]);
	*wr = fds[1];
	return pid;
}

static int setup_move(struct ctl *c)
{
	unsigned long long dpages = c->v == V_CHANGING ? 2 * c->n : c->n;

	c->dst = map_pages(dpages, c->psz, c->v == V_FILLED);
	c->src = map_pages(c->n, c->psz, true);
	c->spare = map_pages(c->n, c->psz, false);
	if (!c->dst || !c->src || !c->spare)
		return STRESS_EXIT_FAIL;
	/* the page each round's mremap moves must exist */
	if (c->v == V_CHANGING) {
		unsigned long long i;

		for (i = 0; i < c->n; i++)
			c->dst[(2 * i + 1) * c->psz] = 1;
	}
	if (register_range(c, c->dst, dpages * c->psz,
			   UFFDIO_REGISTER_MODE_MISSING))
		return STRESS_EXIT_FAIL;
	return c->v == V_PINNED ? pin_src(c) : 0;
}

static int run_move(struct ctl *c)
{
	unsigned long long i;
	pid_t child = -1;
	int wr = -1, rc;

	if (!kernel_has_move()) {
		errmsg("%s: kernel has no UFFDIO_MOVE (UFFD_FEATURE_MOVE not offered: Linux 6.8+)",
		       c->scenario);
		return STRESS_EXIT_UNSUPP;
	}
	c->uffd = open_uffd(UFFD_FEATURE_MOVE | (c->v == V_CHANGING ?
				UFFD_FEATURE_EVENT_REMAP : 0), NULL);
	if (c->uffd < 0)
		return STRESS_EXIT_FAIL;
	rc = setup_move(c);
	if (rc)
		return rc;
	if (c->v == V_SHARED && (child = share_src(&wr)) < 0)
		return STRESS_EXIT_FAIL;
	for (i = 0; i < c->n && !rc; i++) {
		if (c->v == V_CHANGING)
			rc = changing_round(c, c->dst, i) ? STRESS_EXIT_FAIL : 0;
		else
			move_page(c, c->dst + i * c->psz, c->src + i * c->psz);
	}
	if (child > 0) {
		close(wr);
		waitpid(child, NULL, 0);
	}
	return rc;
}

static int run_wp(struct ctl *c)
{
	unsigned long long i;

	c->uffd = open_uffd(UFFD_FEATURE_PAGEFAULT_FLAG_WP |
			    (c->v == V_CHANGING ? UFFD_FEATURE_EVENT_REMAP : 0),
			    NULL);
	c->dst = map_pages(c->pages, c->psz, true);
	c->spare = map_pages(c->n, c->psz, false);
	if (c->uffd < 0 || !c->dst || !c->spare ||
	    register_range(c, c->dst, c->pages * c->psz,
			   UFFDIO_REGISTER_MODE_WP))
		return STRESS_EXIT_FAIL;
	if (c->v == V_CHANGING) {
		/* pages to mremap away, in a registered range of their own */
		char *remap = map_pages(2 * c->n, c->psz, true);

		if (!remap || register_range(c, remap, 2 * c->n * c->psz,
					     UFFDIO_REGISTER_MODE_WP))
			return STRESS_EXIT_FAIL;
		for (i = 0; i < c->n; i++)
			if (changing_round(c, remap, i))
				return STRESS_EXIT_FAIL;
		return 0;
	}
	for (i = 0; i < c->n; i++) {
		protect(c, c->dst, true);
		protect(c, c->dst, false);
	}
	return 0;
}

/* The design: calls, how many succeed, and the errno of the others. */
static void expected(const struct ctl *c, unsigned long long *ops,
		     unsigned long long *ok, int *err)
{
	*ops = c->move && c->v != V_CHANGING ? c->n : 2 * c->n;
	*ok = 0;
	*err = 0;
	switch (c->v) {
	case V_PLAIN:
		*ok = *ops;
		break;
	case V_CHANGING:
		*ok = c->n;
		*err = EAGAIN;
		break;
	case V_FILLED:
		*err = EEXIST;
		break;
	case V_PINNED:
	case V_SHARED:
		*err = EBUSY;
		break;
	}
}

/* Is what happened what the scenario is designed to do? */
static int check(const struct ctl *c)
{
	unsigned long long per = c->move ? 1 : c->pages, ops, ok;
	int err;

	expected(c, &ops, &ok, &err);
	if (c->ops == ops && c->ok == ok && c->done == ok * per &&
	    (!err || c->errs.n[err] == ops - ok))
		return STRESS_EXIT_OK;
	errmsg("%s %s: expected %llu ops, %llu ok (others %s), %llu pages done; got %llu ops, %llu ok, %llu pages done",
	       c->scenario, variant_names[c->v], ops, ok,
	       err ? errno_name(err) : "none", ok * per, c->ops, c->ok,
	       c->done);
	return STRESS_EXIT_FAIL;
}

static void report(const struct ctl *c, unsigned long long t0)
{
	report_begin(c->scenario);
	out_kv_str("kind", c->move ? "uffd_move" : "uffd_wp");
	out_kv_str("variant", variant_names[c->v]);
	out_kv_u64("ops", c->ops);
	out_kv_u64("pages_per_op", c->move ? 1 : c->pages);
	out_kv_u64("done_pages", c->done);
	out_kv_u64("ok", c->ok);
	out_errors("errors", &c->errs);
	if (c->v == V_CHANGING)
		out_kv_u64("expected_eagain_mmap_changing", c->n);
	out_kv_u64("elapsed_ns", now_ns() - t0);
	report_end();
}

static void usage(FILE *f)
{
	fputs("  uffd-move [-n N] [--dst filled | --src pinned|shared | --changing]\n"
	      "      N one-page UFFDIO_MOVEs of written pages (Linux 6.8+):\n"
	      "      N ok; onto present pages: N EEXIST; of pages pinned by\n"
	      "      io_uring or shared with a child: N EBUSY; --changing: a\n"
	      "      pending REMAP makes each fail once with EAGAIN\n"
	      "  uffd-wp [-n N] [--pages P] [--changing]\n"
	      "      N rounds of UFFDIO_WRITEPROTECT on and off over P written\n"
	      "      pages; --changing: on during a pending REMAP (EAGAIN), then\n"
	      "      on again\n", f);
}

static int parse_variant(struct ctl *c, int opt, const char *arg)
{
	if (opt == 'D' && c->move && !strcmp(arg, "filled"))
		c->v = V_FILLED;
	else if (opt == 'S' && c->move && !strcmp(arg, "pinned"))
		c->v = V_PINNED;
	else if (opt == 'S' && c->move && !strcmp(arg, "shared"))
		c->v = V_SHARED;
	else if (opt == 'C')
		c->v = V_CHANGING;
	else
		return -1;
	return 0;
}

static int parse(struct ctl *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dst", required_argument, NULL, 'D' },
		{ "src", required_argument, NULL, 'S' },
		{ "pages", required_argument, NULL, 'P' },
		{ "changing", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		if (opt == 'n' && !parse_ull("-n", optarg, 1, 100000, &c->n))
			continue;
		if (opt == 'P' && !c->move &&
		    !parse_ull("--pages", optarg, 1, 4096, &c->pages))
			continue;
		if (opt == 'h')
			return 1;
		if ((opt == 'D' || opt == 'S' || opt == 'C') &&
		    !parse_variant(c, opt, optarg))
			continue;
		return -1;
	}
	return optind < argc ? -1 : 0;
}

int uffd_ctl_main(int argc, char **argv)
{
	struct ctl c = { .scenario = argv[0], .n = 100, .pages = 1,
			 .psz = sysconf(_SC_PAGESIZE), .uffd = -1,
			 .move = !strcmp(argv[0], "uffd-move") };
	unsigned long long t0;
	int rc;

	if (!strcmp(argv[0], "--help")) {
		usage(stdout);
		return STRESS_EXIT_OK;
	}
	rc = parse(&c, argc, argv);
	if (rc) {
		usage(rc > 0 ? stdout : stderr);
		return rc > 0 ? STRESS_EXIT_OK : STRESS_EXIT_USAGE;
	}
	t0 = now_ns();
	rc = c.move ? run_move(&c) : run_wp(&c);
	if (rc == STRESS_EXIT_UNSUPP)
		return rc;
	report(&c, t0);
	return rc ? rc : check(&c);
}
