// SPDX-License-Identifier: GPL-2.0
/*
 * stress_uffd_race.c - userfaultfd reproducers where something else
 * changes the address space while UFFDIO_COPY runs.
 *
 * uffd-mmap-changing -n N: N rounds; in each a helper thread mremap()s a
 * page inside the registered range with UFFD_FEATURE_EVENT_REMAP, which
 * sets the context's mmap_changing and blocks the helper until the event
 * is read.  A UFFDIO_COPY issued then fails with EAGAIN, deterministically;
 * after reading the event it is issued again and succeeds.  So: 2N ops,
 * N EAGAIN, all from mmap_changing.
 *
 * uffd-whatif -n N [--churn]: N one-page UFFDIO_COPYs from a never
 * touched source (one lock-drop retry each).  With --churn, a helper
 * thread mprotect()s an unrelated mapping of the same process in a
 * loop: that bumps mm->mm_lock_seq while the copies drop their locks, so
 * a sequence-count check would abort retries the VMA snapshot check lets
 * through (the design question of the "snapshot VMA state across
 * UFFDIO_COPY retry" thread).  Without --churn nothing takes the mmap
 * write lock: the control.
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
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "stress.h"

struct race {
	int			uffd;
	long			psz;
	char			*dst, *src, *spare;
	unsigned long long	n;
	bool			churn;
	bool			churn_self;	/* flip the dst's uffd mode */
	volatile bool		stop;
	unsigned long long	ops, ok, copied, churns;
	struct errno_counts	errs;
};

static int open_uffd(__u64 features)
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
	return fd;
}

static int register_missing(struct race *r, char *p, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)p, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(r->uffd, UFFDIO_REGISTER, &reg)) {
		errmsg("UFFDIO_REGISTER: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

/* One UFFDIO_COPY of one page; counts it. */
static int copy_page(struct race *r, char *dst, const char *src)
{
	struct uffdio_copy c = {
		.dst = (unsigned long)dst, .src = (unsigned long)src,
		.len = r->psz,
	};
	int err = 0;

	r->ops++;
	if (ioctl(r->uffd, UFFDIO_COPY, &c)) {
		err = errno;
		errno_counts_add(&r->errs, err);
	} else {
		r->ok++;
	}
	if (c.copy > 0)
		r->copied += c.copy / r->psz;
	return err;
}

/* ---- uffd-mmap-changing --------------------------------------------- */

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

/* Waits until the REMAP event is queued: mmap_changing is set then. */
static int wait_event(struct race *r)
{
	struct pollfd p = { .fd = r->uffd, .events = POLLIN };

	if (poll(&p, 1, 5000) != 1) {
		errmsg("no REMAP event within 5 s");
		return -1;
	}
	return 0;
}

static int read_event(struct race *r)
{
	struct uffd_msg msg;

	if (read(r->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_REMAP) {
		errmsg("expected a REMAP event");
		return -1;
	}
	return 0;
}

/* One round: EAGAIN while the remap is pending, success after. */
static int changing_round(struct race *r, unsigned long long i)
{
	char *slot = r->dst + 2 * i * r->psz;
	struct mover m = { .from = slot + r->psz, .to = r->spare + i * r->psz,
			   .psz = r->psz };
	pthread_t t;

	if (pthread_create(&t, NULL, do_mremap, &m))
		return -1;
	if (wait_event(r)) {
		pthread_join(t, NULL);
		return -1;
	}
	if (copy_page(r, slot, r->src) != EAGAIN) {
		errmsg("round %llu: UFFDIO_COPY did not fail with EAGAIN", i);
		read_event(r);
		pthread_join(t, NULL);
		return -1;
	}
	if (read_event(r)) {
		pthread_join(t, NULL);
		return -1;
	}
	pthread_join(t, NULL);
	if (m.err) {
		errmsg("mremap: %s", strerror(m.err));
		return -1;
	}
	return copy_page(r, slot, r->src) ? -1 : 0;
}

static int run_changing(struct race *r)
{
	size_t len = 2 * r->n * r->psz;
	unsigned long long i;

	r->uffd = open_uffd(UFFD_FEATURE_EVENT_REMAP);
	r->dst = map_anon(len);
	r->spare = map_anon(r->n * r->psz);
	r->src = map_anon(r->psz);
	if (r->uffd < 0 || !r->dst || !r->spare || !r->src)
		return STRESS_EXIT_FAIL;
	memset(r->src, 0x5a, r->psz);
	/* the page to move must exist, or mremap has nothing to report */
	for (i = 0; i < r->n; i++)
		r->dst[(2 * i + 1) * r->psz] = 1;
	if (register_missing(r, r->dst, len))
		return STRESS_EXIT_FAIL;
	for (i = 0; i < r->n; i++)
		if (changing_round(r, i))
			return STRESS_EXIT_FAIL;
	return STRESS_EXIT_OK;
}

/* ---- uffd-whatif ----------------------------------------------------- */

/* Flips an unrelated page's protection: each call takes mmap_lock for write. */
static void *churn(void *arg)
{
	struct race *r = arg;

	while (!r->stop) {
		mprotect(r->spare, r->psz, PROT_READ);
		mprotect(r->spare, r->psz, PROT_READ | PROT_WRITE);
		r->churns++;
	}
	return NULL;
}

/* Re-registers the destination with another mode: its uffd flags change. */
static void *churn_self(void *arg)
{
	struct race *r = arg;
	size_t len = r->n * r->psz;
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)r->dst, .len = len },
	};

	/* a MISSING registration does not clear WP: unregister in between */
	while (!r->stop) {
		reg.mode = UFFDIO_REGISTER_MODE_MISSING | UFFDIO_REGISTER_MODE_WP;
		ioctl(r->uffd, UFFDIO_REGISTER, &reg);
		ioctl(r->uffd, UFFDIO_UNREGISTER, &reg.range);
		reg.mode = UFFDIO_REGISTER_MODE_MISSING;
		ioctl(r->uffd, UFFDIO_REGISTER, &reg);
		r->churns++;
	}
	return NULL;
}

/* A copy the churn made fail (EAGAIN, ENOENT) is issued again. */
static int copy_until_done(struct race *r, char *dst, const char *src)
{
	int err, tries = 0;

	do
		err = copy_page(r, dst, src);
	while ((err == EAGAIN || (err == ENOENT && r->churn_self)) &&
	       ++tries < 100000);
	return err;
}

static int run_whatif(struct race *r)
{
	size_t len = r->n * r->psz;
	unsigned long long i;
	pthread_t t;
	int rc = STRESS_EXIT_OK;

	r->uffd = open_uffd(r->churn_self ? UFFD_FEATURE_PAGEFAULT_FLAG_WP : 0);
	r->dst = map_anon(len);
	r->src = map_anon(len);
	r->spare = map_anon(r->psz);
	if (r->uffd < 0 || !r->dst || !r->src || !r->spare ||
	    register_missing(r, r->dst, len))
		return STRESS_EXIT_FAIL;
	if ((r->churn || r->churn_self) &&
	    pthread_create(&t, NULL, r->churn_self ? churn_self : churn, r))
		return STRESS_EXIT_FAIL;
	for (i = 0; i < r->n; i++)
		if (copy_until_done(r, r->dst + i * r->psz, r->src + i * r->psz))
			rc = STRESS_EXIT_FAIL;
	r->stop = true;
	if (r->churn || r->churn_self)
		pthread_join(t, NULL);
	return rc;
}

static void usage(FILE *f)
{
	fputs("  uffd-mmap-changing [-n N]\n"
	      "      N rounds of UFFDIO_COPY during a pending REMAP event:\n"
	      "      N EAGAIN from mmap_changing, then N successful copies\n"
	      "  uffd-whatif [-n N] [--churn | --churn-self]\n"
	      "      N copies from an untouched source (one retry each); with\n"
	      "      --churn another thread mprotect()s an unrelated mapping,\n"
	      "      with --churn-self it flips the destination's uffd mode\n"
	      "      (retries aborted with EAGAIN are issued again)\n", f);
}

int uffd_race_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "churn", no_argument, NULL, 'C' },
		{ "churn-self", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct race r = { .n = 100, .psz = sysconf(_SC_PAGESIZE) };
	bool changing = !strcmp(argv[0], "uffd-mmap-changing");
	unsigned long long t0;
	int opt, rc;

	/* `pfnmap-stress --help` asks every half for its usage this way */
	if (!strcmp(argv[0], "--help")) {
		usage(stdout);
		return STRESS_EXIT_OK;
	}
	while ((opt = getopt_long(argc, argv, "n:h", opts, NULL)) != -1) {
		if (opt == 'n' && !parse_ull("-n", optarg, 1, 100000, &r.n))
			continue;
		if (opt == 'C' && !changing) {
			r.churn = true;
			continue;
		}
		if (opt == 'S' && !changing) {
			r.churn_self = true;
			continue;
		}
		if (opt == 'h') {
			usage(stdout);
			return STRESS_EXIT_OK;
		}
		usage(stderr);
		return STRESS_EXIT_USAGE;
	}
	t0 = now_ns();
	rc = changing ? run_changing(&r) : run_whatif(&r);
	report_begin(argv[0]);
	out_kv_u64("ops", r.ops);
	out_kv_u64("pages_per_op", 1);
	out_kv_u64("copied_pages", r.copied);
	out_kv_u64("ok", r.ok);
	out_errors("errors", &r.errs);
	/* a copy issued again after EAGAIN finds its source present */
	out_kv_u64("expected_retries", changing ? 0 : r.n);
	if (changing)
		out_kv_u64("expected_eagain_mmap_changing", r.n);
	else
		out_kv_u64("churns", r.churns);
	if (r.churn_self)
		out_kv_u64("churn_self", 1);
	out_kv_u64("elapsed_ns", now_ns() - t0);
	report_end();
	return rc;
}
