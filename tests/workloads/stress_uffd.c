// SPDX-License-Identifier: GPL-2.0
/*
 * stress_uffd.c - userfaultfd scenarios of pfnmap-stress.
 *
 * Each scenario fills never-filled (or deliberately pre-filled) pages of
 * an anonymous private mapping registered with UFFDIO_REGISTER_MODE_MISSING,
 * with UFFDIO_COPY or UFFDIO_ZEROPAGE, and reports what the kernel said.
 * Nothing ever faults on a registered range, so nobody has to serve
 * userfaults: the ioctls are the whole workload.
 *
 * What is designed to happen in the kernel (mfill_atomic()):
 *  - the source page of a UFFDIO_COPY is present: it is copied with page
 *    faults disabled under the mmap/VMA lock, no retry;
 *  - the source page was never touched (no PTE): that copy fails, the
 *    kernel drops its locks, copies with faults enabled (which maps the
 *    zero page at the source) and retakes them: one lock-drop retry per
 *    such page;
 *  - the destination page is already present: the op stops at it with
 *    EEXIST, after the copy (and its retry, if any) of that page.
 *
 * The JSON line (counts are totals over threads):
 *  scenario, pid  see report_begin()
 *  src, dst	 uffd-copy/uffd-zeropage: the kinds of memory used
 *  mix		 uffd-mixed: {"populated","untouched","filled"} ops per thread
 *  threads, pages_per_op   -t and --pages
 *  ops		 ioctl calls: each call is one op, re-issues included
 *  pages	 pages asked for by the logical ops (logical ops x --pages)
 *  copied_pages pages the kernel reported done (uffdio_copy.copy,
 *		 uffdio_zeropage.zeropage, when positive)
 *  ok		 calls that returned 0
 *  errors	 calls that failed, by errno name (EAGAIN included), so ok
 *		 plus all errors is ops
 *  eagain_retries   calls that re-issued the rest of a range after EAGAIN,
 *		 so ops - eagain_retries is the number of logical ops
 *		 (threads x -n, or x the sum of the mix)
 *  expected_retries lock-drop retries the scenario is designed to cause
 *  src_pages_faulted (only with an untouched source) untouched source
 *		 pages present after the run, by mincore(): only the retry
 *		 path faults them in, one PTE each (THP is ruled out at
 *		 setup), so this is the retry count as measured from here
 *  uffd_open	 how the userfaultfd was opened
 *  elapsed_ns	 from the start barrier to the last thread done
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

#define MAX_THREADS	1024
#define MAX_PHASES	3
/* EAGAIN only comes from non-cooperative events we never enable: bound it. */
#define MAX_EAGAIN	1000

#define SRC_FILL	0x5a	/* populated source pages */
#define DST_FILL	0xa5	/* pre-filled destination pages */

enum uffd_op { OP_COPY, OP_ZEROPAGE };
enum src_kind { SRC_NONE, SRC_POPULATED, SRC_UNTOUCHED };
enum dst_kind { DST_EMPTY, DST_FILLED };

static const char * const src_names[] = {
	[SRC_NONE] = "none",
	[SRC_POPULATED] = "populated",
	[SRC_UNTOUCHED] = "untouched",
};
static const char * const dst_names[] = {
	[DST_EMPTY] = "empty",
	[DST_FILLED] = "filled",
};

/* A run of n ops of one kind; each thread does every phase, in order. */
struct phase {
	enum uffd_op		op;
	enum src_kind		src;
	enum dst_kind		dst;
	unsigned long long	n;
};

struct counts {
	unsigned long long	ops;
	unsigned long long	ok;
	unsigned long long	copied_pages;
	unsigned long long	eagain_retries;
	struct errno_counts	errors;
};

/* One thread's memory for one phase: n * pages pages each. */
struct region {
	char	*src;		/* NULL without a source (zeropage) */
	char	*dst;
	size_t	len;
};

struct uffd_run;

struct worker {
	pthread_t		thread;
	struct uffd_run		*run;
	struct region		reg[MAX_PHASES];
	struct counts		cnt[MAX_PHASES];
};

struct uffd_run {
	const char		*scenario;
	unsigned long long	pages;		/* per ioctl */
	unsigned long long	delay_us;
	unsigned int		threads;
	struct phase		phase[MAX_PHASES];
	int			nr_phases;
	/* uffd-mixed: the per-thread ops of its three phases */
	unsigned long long	mix[MAX_PHASES];
	bool			mixed;

	int			uffd;
	const char		*uffd_via;
	size_t			page_size;
	pthread_barrier_t	start;
	struct worker		*workers;
};

/* ---- userfaultfd setup ---- */

/*
 * The syscall is refused (EPERM) to unprivileged users when
 * vm.unprivileged_userfaultfd is 0, unless only user-mode faults are
 * asked for; that is all we need, since no fault ever hits a registered
 * range.  /dev/userfaultfd is the last resort: it is access-controlled by
 * its file mode instead.
 */
static int uffd_open(const char **via)
{
	int flags = O_CLOEXEC | O_NONBLOCK;
	int dev, fd;

	*via = "syscall";
	fd = syscall(SYS_userfaultfd, flags);
	if (fd >= 0 || errno != EPERM)
		return fd;

	*via = "syscall-user-mode-only";
	fd = syscall(SYS_userfaultfd, flags | UFFD_USER_MODE_ONLY);
	if (fd >= 0 || errno != EPERM)
		return fd;

	*via = "/dev/userfaultfd";
	dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -1;
	fd = ioctl(dev, USERFAULTFD_IOC_NEW, flags);
	close(dev);
	return fd;
}

/*
 * No features: none is needed, and the event ones (fork, remap, remove,
 * unmap) are what makes the kernel answer EAGAIN (mmap_changing).
 */
static int uffd_api(int uffd)
{
	struct uffdio_api api = { .api = UFFD_API, .features = 0 };

	if (ioctl(uffd, UFFDIO_API, &api))
		return -1;
	return 0;
}

static int uffd_setup(struct uffd_run *r)
{
	r->uffd = uffd_open(&r->uffd_via);
	if (r->uffd < 0) {
		int err = errno;

		errmsg("%s: cannot open a userfaultfd (via %s): %s",
		       r->scenario, r->uffd_via, strerror(err));
		if (err == ENOSYS || err == EPERM || err == ENOENT ||
		    err == EACCES)
			return STRESS_EXIT_UNSUPP;
		return STRESS_EXIT_FAIL;
	}
	if (uffd_api(r->uffd)) {
		errmsg("%s: UFFDIO_API: %s", r->scenario, strerror(errno));
		return STRESS_EXIT_FAIL;
	}
	return 0;
}

static int uffd_register(int uffd, char *addr, size_t len, enum uffd_op op)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	__u64 need = op == OP_COPY ? 1ULL << _UFFDIO_COPY :
				     1ULL << _UFFDIO_ZEROPAGE;

	if (ioctl(uffd, UFFDIO_REGISTER, &reg)) {
		errmsg("UFFDIO_REGISTER: %s", strerror(errno));
		return -1;
	}
	if (!(reg.ioctls & need)) {
		errno = EOPNOTSUPP;
		errmsg("UFFDIO_REGISTER: %s not offered on this range",
		       op == OP_COPY ? "UFFDIO_COPY" : "UFFDIO_ZEROPAGE");
		return -1;
	}
	return 0;
}

static void uffd_unregister(int uffd, char *addr, size_t len)
{
	struct uffdio_range range = { .start = (uintptr_t)addr, .len = len };

	ioctl(uffd, UFFDIO_UNREGISTER, &range);
}

/* ---- memory ---- */

/*
 * No THP anywhere: a read fault on a THP-eligible untouched source maps a
 * whole huge (zero) page, so one retry would populate 512 source pages;
 * and a THP destination fails the whole PMD with EEXIST before any copy.
 */
static char *map_region(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		errmsg("mmap %zu bytes: %s", len, strerror(errno));
		return NULL;
	}
	if (madvise(p, len, MADV_NOHUGEPAGE)) {
		errmsg("madvise(MADV_NOHUGEPAGE): %s", strerror(errno));
		munmap(p, len);
		return NULL;
	}
	return p;
}

/* Fills every page and tags it with its own address, to check copies. */
static void fill_pages(char *p, size_t len, int byte, size_t page_size)
{
	size_t off;

	memset(p, byte, len);
	for (off = 0; off < len; off += page_size)
		*(uintptr_t *)(p + off) = (uintptr_t)(p + off);
}

/* Pages of [p, p + len) that have a present PTE. */
static long resident_pages(char *p, size_t len, size_t page_size)
{
	size_t i, n = len / page_size;
	unsigned char *vec = malloc(n);
	long count = 0;

	if (!vec)
		return -1;
	if (mincore(p, len, vec)) {
		free(vec);
		return -1;
	}
	for (i = 0; i < n; i++)
		count += vec[i] & 1;
	free(vec);
	return count;
}

static int region_setup(struct uffd_run *r, const struct phase *ph,
			struct region *reg)
{
	reg->len = ph->n * r->pages * r->page_size;

	reg->dst = map_region(reg->len);
	if (!reg->dst)
		return -1;
	/* Filled before registering, so these writes are plain faults. */
	if (ph->dst == DST_FILLED)
		fill_pages(reg->dst, reg->len, DST_FILL, r->page_size);
	if (uffd_register(r->uffd, reg->dst, reg->len, ph->op))
		return -1;

	if (ph->src == SRC_NONE)
		return 0;
	reg->src = map_region(reg->len);
	if (!reg->src)
		return -1;
	/* An untouched source must stay untouched: never read it here. */
	if (ph->src == SRC_POPULATED)
		fill_pages(reg->src, reg->len, SRC_FILL, r->page_size);
	return 0;
}

/*
 * The retry count rests on the source state: check it before the run
 * rather than report counts that do not match the design.
 */
static int region_check_src(struct uffd_run *r, const struct phase *ph,
			    struct region *reg)
{
	long want = ph->src == SRC_POPULATED ? (long)(reg->len / r->page_size)
					     : 0;
	long have;

	if (ph->src == SRC_NONE)
		return 0;
	have = resident_pages(reg->src, reg->len, r->page_size);
	if (have == want)
		return 0;
	errmsg("%s: %s source has %ld of %ld pages present before the run",
	       r->scenario, src_names[ph->src], have,
	       (long)(reg->len / r->page_size));
	return -1;
}

static bool overlaps(const char *p, size_t len, unsigned long start,
		     unsigned long end)
{
	return p && (uintptr_t)p < end && (uintptr_t)p + len > start;
}

static bool overlaps_any_region(const struct uffd_run *r, unsigned long start,
				unsigned long end)
{
	unsigned int t;
	int i;

	for (t = 0; t < r->threads; t++) {
		for (i = 0; i < r->nr_phases; i++) {
			const struct region *reg = &r->workers[t].reg[i];

			if (overlaps(reg->src, reg->len, start, end) ||
			    overlaps(reg->dst, reg->len, start, end))
				return true;
		}
	}
	return false;
}

/*
 * src_pages_faulted counts retries only if a fault maps one page: check
 * that the kernel honoured MADV_NOHUGEPAGE, with the test it uses for
 * THPeligible in smaps.  Without procfs there is nothing to check with.
 */
static int check_no_thp(const struct uffd_run *r)
{
	unsigned long start = 0, end = 0, a, b;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[4096];
	int eligible, ret = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		/*
		 * A VMA's first line: "start-end perms offset dev inode path".
		 * Field lines may start with hex letters too ("AnonHugePages"):
		 * only a full match moves to the next VMA.
		 */
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			start = a;
			end = b;
			continue;
		}
		if (sscanf(line, "THPeligible: %d", &eligible) != 1 ||
		    !eligible || !overlaps_any_region(r, start, end))
			continue;
		errmsg("%s: THP still allowed on %lx-%lx despite MADV_NOHUGEPAGE",
		       r->scenario, start, end);
		ret = -1;
		break;
	}
	fclose(f);
	return ret;
}

static int setup_memory(struct uffd_run *r)
{
	unsigned int t;
	int i;

	for (t = 0; t < r->threads; t++) {
		struct worker *w = &r->workers[t];

		w->run = r;
		for (i = 0; i < r->nr_phases; i++) {
			if (region_setup(r, &r->phase[i], &w->reg[i]) ||
			    region_check_src(r, &r->phase[i], &w->reg[i]))
				return -1;
		}
	}
	return check_no_thp(r);
}

/* ---- the operations ---- */

/* One ioctl.  Returns 0 or an errno; *done gets the kernel's byte count. */
static int fill_once(int uffd, enum uffd_op op, char *dst, const char *src,
		     size_t len, long long *done)
{
	int ret;

	if (op == OP_COPY) {
		struct uffdio_copy c = {
			.dst = (uintptr_t)dst, .src = (uintptr_t)src,
			.len = len, .mode = 0,
		};

		ret = ioctl(uffd, UFFDIO_COPY, &c);
		*done = c.copy;
	} else {
		struct uffdio_zeropage z = {
			.range = { .start = (uintptr_t)dst, .len = len },
			.mode = 0,
		};

		ret = ioctl(uffd, UFFDIO_ZEROPAGE, &z);
		*done = z.zeropage;
	}
	return ret ? errno : 0;
}

/*
 * One logical op over [dst, dst + len).  EAGAIN means the kernel saw the
 * mappings changing, or stopped part way (then *done is positive): the
 * rest of the range is issued again, as one more op.
 */
static void fill_range(int uffd, enum uffd_op op, char *dst, const char *src,
		       size_t len, size_t page_size, struct counts *c)
{
	int tries;

	for (tries = 0; ; tries++) {
		long long done = 0;
		int err = fill_once(uffd, op, dst, src, len, &done);

		c->ops++;
		if (done > 0)
			c->copied_pages += done / page_size;
		if (!err) {
			c->ok++;
			return;
		}
		errno_counts_add(&c->errors, err);
		if (err != EAGAIN || tries == MAX_EAGAIN)
			return;
		c->eagain_retries++;
		if (done > 0 && (size_t)done < len) {
			dst += done;
			if (src)
				src += done;
			len -= done;
		}
	}
}

static void delay(unsigned long long us)
{
	struct timespec ts = {
		.tv_sec = us / 1000000,
		.tv_nsec = (us % 1000000) * 1000,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *worker_fn(void *arg)
{
	struct worker *w = arg;
	struct uffd_run *r = w->run;
	size_t step = r->pages * r->page_size;
	bool first = true;
	unsigned long long k;
	int i;

	pthread_barrier_wait(&r->start);
	for (i = 0; i < r->nr_phases; i++) {
		const struct phase *ph = &r->phase[i];
		struct region *reg = &w->reg[i];

		for (k = 0; k < ph->n; k++) {
			if (r->delay_us && !first)
				delay(r->delay_us);
			first = false;
			fill_range(r->uffd, ph->op, reg->dst + k * step,
				   reg->src ? reg->src + k * step : NULL,
				   step, r->page_size, &w->cnt[i]);
		}
	}
	return NULL;
}

/* Thread 0 is the main thread, so a one-thread run has tid == pid. */
static int run_workers(struct uffd_run *r, unsigned long long *elapsed)
{
	unsigned long long t0;
	unsigned int t, started;
	int err = 0;

	if (pthread_barrier_init(&r->start, NULL, r->threads)) {
		errmsg("pthread_barrier_init failed");
		return -1;
	}
	for (started = 1; started < r->threads; started++) {
		struct worker *w = &r->workers[started];

		err = pthread_create(&w->thread, NULL, worker_fn, w);
		if (err)
			break;
	}
	if (err) {
		/* The others wait on the barrier forever: nothing to save. */
		errmsg("pthread_create: %s", strerror(err));
		exit(STRESS_EXIT_FAIL);
	}
	/* Time from the moment every thread is released by the barrier. */
	t0 = now_ns();
	worker_fn(&r->workers[0]);
	for (t = 1; t < r->threads; t++)
		pthread_join(r->workers[t].thread, NULL);
	*elapsed = now_ns() - t0;
	pthread_barrier_destroy(&r->start);
	return 0;
}

/* ---- results ---- */

static void counts_add(struct counts *to, const struct counts *from)
{
	to->ops += from->ops;
	to->ok += from->ok;
	to->copied_pages += from->copied_pages;
	to->eagain_retries += from->eagain_retries;
	errno_counts_merge(&to->errors, &from->errors);
}

/*
 * Retries the phase is designed to cause, per thread.  A filled
 * destination ends each op at its first page, after that page's copy:
 * one retry per op, not per page.
 */
static unsigned long long phase_expected_retries(const struct uffd_run *r,
						 const struct phase *ph)
{
	if (ph->op != OP_COPY || ph->src != SRC_UNTOUCHED)
		return 0;
	return ph->n * (ph->dst == DST_FILLED ? 1 : r->pages);
}

struct results {
	struct counts		total;
	struct counts		phase[MAX_PHASES];
	unsigned long long	faulted[MAX_PHASES];	/* -1ULL: unknown */
	unsigned long long	expected_retries;
	unsigned long long	faulted_total;
	bool			has_untouched;
	bool			faulted_known;
};

static void collect(struct uffd_run *r, struct results *res)
{
	unsigned int t;
	int i;

	memset(res, 0, sizeof(*res));
	res->faulted_known = true;
	for (i = 0; i < r->nr_phases; i++) {
		const struct phase *ph = &r->phase[i];

		res->expected_retries += phase_expected_retries(r, ph) *
					 r->threads;
		if (ph->src == SRC_UNTOUCHED)
			res->has_untouched = true;
		for (t = 0; t < r->threads; t++) {
			struct worker *w = &r->workers[t];
			long n = 0;

			counts_add(&res->phase[i], &w->cnt[i]);
			if (ph->src == SRC_UNTOUCHED)
				n = resident_pages(w->reg[i].src, w->reg[i].len,
						   r->page_size);
			if (n < 0)
				res->faulted_known = false;
			else
				res->faulted[i] += n;
		}
		counts_add(&res->total, &res->phase[i]);
		res->faulted_total += res->faulted[i];
	}
}

static void report(struct uffd_run *r, const struct results *res,
		   unsigned long long elapsed)
{
	const struct phase *ph = &r->phase[0];
	unsigned long long logical = 0;
	int i;

	for (i = 0; i < r->nr_phases; i++)
		logical += r->phase[i].n * r->threads;

	report_begin(r->scenario);
	if (r->mixed) {
		out_obj_begin("mix");
		out_kv_u64("populated", r->mix[0]);
		out_kv_u64("untouched", r->mix[1]);
		out_kv_u64("filled", r->mix[2]);
		out_obj_end();
	} else {
		if (ph->op == OP_COPY)
			out_kv_str("src", src_names[ph->src]);
		out_kv_str("dst", dst_names[ph->dst]);
	}
	out_kv_u64("threads", r->threads);
	out_kv_u64("pages_per_op", r->pages);
	out_kv_u64("ops", res->total.ops);
	out_kv_u64("pages", logical * r->pages);
	out_kv_u64("copied_pages", res->total.copied_pages);
	out_kv_u64("ok", res->total.ok);
	out_errors("errors", &res->total.errors);
	out_kv_u64("eagain_retries", res->total.eagain_retries);
	out_kv_u64("expected_retries", res->expected_retries);
	if (res->has_untouched && res->faulted_known)
		out_kv_u64("src_pages_faulted", res->faulted_total);
	out_kv_str("uffd_open", r->uffd_via);
	out_kv_u64("elapsed_ns", elapsed);
	report_end();
}

/* Is what one phase did what it was designed to do?  0, or -1 + message. */
static int check_phase(const struct uffd_run *r, int i,
		       const struct results *res)
{
	const struct phase *ph = &r->phase[i];
	const struct counts *c = &res->phase[i];
	unsigned long long n = ph->n * r->threads;
	unsigned long long want_ok = ph->dst == DST_FILLED ? 0 : n;
	unsigned long long want_pages = want_ok * r->pages;
	unsigned long long want_eexist = n - want_ok;
	unsigned long long other = c->ops - c->ok - c->errors.n[EEXIST] -
				   c->errors.n[EAGAIN];
	unsigned long long want_faulted = phase_expected_retries(r, ph) *
					  r->threads;

	if (c->ops - c->eagain_retries != n || c->ok != want_ok ||
	    c->copied_pages != want_pages ||
	    c->errors.n[EEXIST] != want_eexist || other) {
		errmsg("%s: src %s, dst %s: expected %llu ok, %llu EEXIST, %llu pages done of %llu ops; got %llu ok, %llu EEXIST, %llu other errors, %llu pages done of %llu ops",
		       r->scenario, src_names[ph->src], dst_names[ph->dst],
		       want_ok, want_eexist, want_pages, n, c->ok,
		       c->errors.n[EEXIST], other, c->copied_pages,
		       c->ops - c->eagain_retries);
		return -1;
	}
	if (ph->src == SRC_UNTOUCHED && res->faulted_known &&
	    res->faulted[i] != want_faulted) {
		errmsg("%s: %llu untouched source pages faulted in, expected %llu (one per lock-drop retry)",
		       r->scenario, res->faulted[i], want_faulted);
		return -1;
	}
	return 0;
}

/* What each destination page must hold after a run that went as designed. */
static uintptr_t expected_word(const struct phase *ph, const struct region *reg,
			       size_t off, int *byte)
{
	if (ph->dst == DST_FILLED) {
		*byte = DST_FILL;
		return (uintptr_t)(reg->dst + off);
	}
	if (ph->src == SRC_POPULATED) {
		*byte = SRC_FILL;
		return (uintptr_t)(reg->src + off);
	}
	*byte = 0;
	return 0;
}

/*
 * Reads the destinations back.  Only after unregistering: a page the
 * kernel did not fill must not become a userfault nobody serves.
 */
static int verify_data(struct uffd_run *r)
{
	unsigned int t;
	size_t off;
	int i, byte;

	for (t = 0; t < r->threads; t++) {
		struct worker *w = &r->workers[t];

		for (i = 0; i < r->nr_phases; i++) {
			const struct phase *ph = &r->phase[i];
			struct region *reg = &w->reg[i];

			uffd_unregister(r->uffd, reg->dst, reg->len);
			for (off = 0; off < reg->len; off += r->page_size) {
				uintptr_t want = expected_word(ph, reg, off,
							       &byte);
				char *pg = reg->dst + off;

				if (*(uintptr_t *)pg == want &&
				    pg[r->page_size - 1] == (char)byte)
					continue;
				errmsg("%s: thread %u: destination page %zu of phase %d does not hold the expected data",
				       r->scenario, t, off / r->page_size, i);
				return -1;
			}
		}
	}
	return 0;
}

static int check(struct uffd_run *r, const struct results *res)
{
	int i;

	for (i = 0; i < r->nr_phases; i++)
		if (check_phase(r, i, res))
			return STRESS_EXIT_FAIL;
	if (verify_data(r))
		return STRESS_EXIT_FAIL;
	return STRESS_EXIT_OK;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fputs("  uffd-copy [--src populated|untouched] [--dst empty|filled]\n"
	      "      UFFDIO_COPY of --pages pages per op into a MISSING-registered\n"
	      "      anonymous private mapping.  --src populated (default): the\n"
	      "      source was written first, no retry.  --src untouched: never\n"
	      "      touched, one lock-drop retry per page.  --dst filled: the\n"
	      "      destination was written before registering, every op fails\n"
	      "      with EEXIST (after one retry, with an untouched source)\n"
	      "  uffd-zeropage [--dst empty|filled]\n"
	      "      UFFDIO_ZEROPAGE of --pages pages per op, never a retry\n"
	      "  uffd-mixed --populated N1 --untouched N2 --filled N3\n"
	      "      per thread: N1 copies from a populated source, N2 from an\n"
	      "      untouched one, N3 onto filled pages (populated source)\n"
	      "  uffd options: -n N ops per thread (default 100, not with\n"
	      "      uffd-mixed), --pages P per op (1), --delay-us U between ops\n"
	      "      (0), -t T threads (1), each on its own memory; counts are\n"
	      "      totals.  Each ioctl call is one op; expected_retries is the\n"
	      "      design, src_pages_faulted the measured retry count.\n", f);
}

enum {
	OPT_SRC = 256, OPT_DST, OPT_PAGES, OPT_DELAY,
	OPT_POPULATED, OPT_UNTOUCHED, OPT_FILLED,
};

static const struct option long_opts[] = {
	{ "src",	required_argument, NULL, OPT_SRC },
	{ "dst",	required_argument, NULL, OPT_DST },
	{ "pages",	required_argument, NULL, OPT_PAGES },
	{ "delay-us",	required_argument, NULL, OPT_DELAY },
	{ "threads",	required_argument, NULL, 't' },
	{ "populated",	required_argument, NULL, OPT_POPULATED },
	{ "untouched",	required_argument, NULL, OPT_UNTOUCHED },
	{ "filled",	required_argument, NULL, OPT_FILLED },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* uffd-mixed options, in phase order */
static const char * const mix_opts[MAX_PHASES] = {
	"--populated", "--untouched", "--filled",
};

/* What was given on the command line, before it becomes phases. */
struct cmdline {
	unsigned long long	n, pages, delay_us, threads;
	unsigned long long	mix[MAX_PHASES];
	enum src_kind		src;
	enum dst_kind		dst;
	bool			has_n, has_src, has_dst, has_mix;
};

static int parse_kind(const char *what, const char *s,
		      const char * const *names, int first, int last)
{
	int i;

	for (i = first; i <= last; i++)
		if (!strcmp(s, names[i]))
			return i;
	errmsg("%s: '%s' is not one of %s|%s", what, s, names[first],
	       names[last]);
	return -1;
}

/* Returns 0, 1 for --help, or -1 on a bad option (after saying why). */
static int parse_args(int argc, char **argv, struct cmdline *cl)
{
	const unsigned long long big = 1ULL << 32;
	int opt, v;

	*cl = (struct cmdline){ .n = 100, .pages = 1, .threads = 1,
				.src = SRC_POPULATED, .dst = DST_EMPTY };
	while ((opt = getopt_long(argc, argv, "n:t:h", long_opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'n':
			cl->has_n = true;
			if (parse_ull("-n", optarg, 1, big, &cl->n))
				return -1;
			break;
		case 't':
			if (parse_ull("-t", optarg, 1, MAX_THREADS,
				      &cl->threads))
				return -1;
			break;
		case OPT_PAGES:
			if (parse_ull("--pages", optarg, 1, big, &cl->pages))
				return -1;
			break;
		case OPT_DELAY:
			if (parse_ull("--delay-us", optarg, 0, big,
				      &cl->delay_us))
				return -1;
			break;
		case OPT_SRC:
			cl->has_src = true;
			v = parse_kind("--src", optarg, src_names,
				       SRC_POPULATED, SRC_UNTOUCHED);
			if (v < 0)
				return -1;
			cl->src = v;
			break;
		case OPT_DST:
			cl->has_dst = true;
			v = parse_kind("--dst", optarg, dst_names,
				       DST_EMPTY, DST_FILLED);
			if (v < 0)
				return -1;
			cl->dst = v;
			break;
		case OPT_POPULATED:
		case OPT_UNTOUCHED:
		case OPT_FILLED:
			cl->has_mix = true;
			v = opt - OPT_POPULATED;
			if (parse_ull(mix_opts[v], optarg, 0, big, &cl->mix[v]))
				return -1;
			break;
		case 'h':
			return 1;
		default:
			return -1;
		}
	}
	if (optind < argc) {
		errmsg("%s: unexpected argument '%s'", argv[0], argv[optind]);
		return -1;
	}
	return 0;
}

static void add_phase(struct uffd_run *r, enum uffd_op op, enum src_kind src,
		      enum dst_kind dst, unsigned long long n)
{
	if (!n)
		return;
	r->phase[r->nr_phases++] = (struct phase){
		.op = op, .src = src, .dst = dst, .n = n,
	};
}

/* Turns the command line into phases; -1 if it does not fit the scenario. */
static int build_run(struct uffd_run *r, const struct cmdline *cl)
{
	const char *s = r->scenario;

	r->pages = cl->pages;
	r->delay_us = cl->delay_us;
	r->threads = cl->threads;
	if (!strcmp(s, "uffd-copy") || !strcmp(s, "uffd-zeropage")) {
		bool copy = !strcmp(s, "uffd-copy");

		if (cl->has_mix || (!copy && cl->has_src))
			goto bad;
		add_phase(r, copy ? OP_COPY : OP_ZEROPAGE,
			  copy ? cl->src : SRC_NONE, cl->dst, cl->n);
	} else if (!strcmp(s, "uffd-mixed")) {
		if (cl->has_n || cl->has_src || cl->has_dst)
			goto bad;
		r->mixed = true;
		memcpy(r->mix, cl->mix, sizeof(r->mix));
		add_phase(r, OP_COPY, SRC_POPULATED, DST_EMPTY, cl->mix[0]);
		add_phase(r, OP_COPY, SRC_UNTOUCHED, DST_EMPTY, cl->mix[1]);
		add_phase(r, OP_COPY, SRC_POPULATED, DST_FILLED, cl->mix[2]);
		if (!r->nr_phases) {
			errmsg("%s: needs at least one of --populated, --untouched, --filled",
			       s);
			return -1;
		}
	} else {
		errmsg("unknown scenario '%s' (try --help)", s);
		return -1;
	}
	return 0;
bad:
	errmsg("%s: option not valid for this scenario (try --help)", s);
	return -1;
}

/* Region sizes must not overflow size_t, nor the address space. */
static int check_size(const struct uffd_run *r)
{
	unsigned long long max = 1ULL << 46;
	int i;

	for (i = 0; i < r->nr_phases; i++) {
		unsigned long long n = r->phase[i].n;

		if (n > max / r->pages || n * r->pages > max / r->page_size ||
		    n * r->pages * r->page_size > max / r->threads) {
			errmsg("%s: too much memory asked for", r->scenario);
			return -1;
		}
	}
	return 0;
}

int uffd_main(int argc, char **argv)
{
	struct uffd_run run = { .scenario = argv[0], .uffd = -1 };
	struct results res;
	unsigned long long elapsed;
	struct cmdline cl;
	int ret;

	if (!strcmp(argv[0], "--help")) {
		usage(stdout);
		return STRESS_EXIT_OK;
	}
	ret = parse_args(argc, argv, &cl);
	if (ret > 0) {
		usage(stdout);
		return STRESS_EXIT_OK;
	}
	run.page_size = sysconf(_SC_PAGESIZE);
	if (ret < 0 || build_run(&run, &cl) || check_size(&run))
		return STRESS_EXIT_USAGE;

	ret = uffd_setup(&run);
	if (ret)
		return ret;
	run.workers = calloc(run.threads, sizeof(*run.workers));
	if (!run.workers) {
		errmsg("%s: out of memory", run.scenario);
		return STRESS_EXIT_FAIL;
	}
	ret = STRESS_EXIT_FAIL;
	if (setup_memory(&run) || run_workers(&run, &elapsed))
		goto out;

	collect(&run, &res);
	report(&run, &res, elapsed);
	ret = check(&run, &res);
out:
	/* Process exit unmaps the regions and closes the userfaultfd. */
	free(run.workers);
	return ret;
}
