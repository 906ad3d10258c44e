// SPDX-License-Identifier: GPL-2.0
/*
 * ioctl_loop.c - the microbenchmark loops of bench/run.sh: one ioctl, many
 * times, timed from inside, so that what a tracer costs at start-up and
 * exit is never in the numbers.  Static: it is copied into the guests.
 *
 *	ioctl_loop MODE [-n OPS] [-t THREADS] [-w WINDOW] [--bar-pages P]
 *
 * MODE (each thread works on its own memory):
 *   uffd-copy	  UFFDIO_COPY of one 4 KiB page (populated source, so no
 *		  lock-drop retry) into a MISSING-registered anonymous window
 *		  of WINDOW pages; the window is emptied again with
 *		  MADV_DONTNEED between batches, outside the timed part
 *   uffd-zeropage UFFDIO_ZEROPAGE of one page, same windows
 *   zeropage-eexist UFFDIO_ZEROPAGE onto a page that is already there:
 *		  a real userfaultfd fill that fails fast (EEXIST); the
 *		  cheapest way to make pfnmap produce one record per syscall
 *   map-dma	  VFIO_IOMMU_MAP_DMA of the first P pages (default: all) of
 *		  the edu BAR0 mmap, then VFIO_IOMMU_UNMAP_DMA; the BAR is
 *		  touched first so no map has to fault.  One op = the pair;
 *		  map_ns_per_op and unmap_ns_per_op split it (clock read
 *		  between the two calls)
 *   fionread	  ioctl(FIONREAD) on an empty pipe: an unrelated, cheap
 *		  ioctl (what a tracer of ioctls costs everybody else)
 *
 * Output: one JSON line on stdout
 *   {"mode":..,"threads":T,"ops":N (per thread),"ns_per_op":X,
 *    "thread_ns_per_op":[..],"wall_ns":..,"errors":E,...}
 * ns_per_op is the mean over threads of (time inside the timed loops /
 * ops), cpu_ns_per_op the same in thread CPU time (CLOCK_THREAD_CPUTIME_ID:
 * what the thread spent, not the time others took the CPU from it; the
 * map-dma CPU time includes its clock reads); wall_ns is from the first
 * thread's start to the last one's end.
 * Exit status: 0, 1 on a failed setup or unexpected errors, 2 usage,
 * 3 not supported here (no userfaultfd, no VFIO/edu).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS	64
#define DMA_IOVA	0x40000000ULL
#define PCI_COMMAND	0x04
#define PCI_COMMAND_MEMORY 0x2

enum mode { M_UFFD_COPY, M_UFFD_ZEROPAGE, M_ZP_EEXIST, M_MAP_DMA, M_FIONREAD };
static const char *const mode_names[] = {
	"uffd-copy", "uffd-zeropage", "zeropage-eexist", "map-dma", "fionread",
};

struct opts {
	enum mode	mode;
	unsigned long	ops, window, bar_pages;
	unsigned int	threads;
};

struct thr {
	pthread_t	th;
	int		idx;
	unsigned long	errors, first_errno;
	unsigned long long ns, map_ns, unmap_ns;
	unsigned long long cpu_ns;	/* thread CPU time in the timed parts */
	unsigned long long start, end;	/* after the barrier, at the end */
	/* uffd */
	char		*dst, *src;
	/* fionread */
	int		pipe[2];
};

static struct opts o = { .ops = 200000, .window = 512, .threads = 1 };
static int page_size;
static int uffd = -1;
static pthread_barrier_t barrier;

/* vfio */
static int container = -1, group = -1, device = -1;
static void *bar;
static unsigned long long bar_size;

static void die(int rc, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int rc, const char *fmt, ...)
{
	va_list ap;

	fputs("ioctl_loop: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(rc);
}

static inline unsigned long long now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* This thread's CPU time: what it cost, whoever else ran meanwhile. */
static inline unsigned long long cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- userfaultfd ------------------------------------------------------ */

static void uffd_setup(void)
{
	struct uffdio_api api = { .api = UFFD_API };

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		uffd = syscall(SYS_userfaultfd,
			       O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	if (uffd < 0)
		die(3, "userfaultfd: %s", strerror(errno));
	if (ioctl(uffd, UFFDIO_API, &api))
		die(1, "UFFDIO_API: %s", strerror(errno));
}

static char *map_anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die(1, "mmap: %s", strerror(errno));
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void uffd_register(char *p, size_t len)
{
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)p, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};

	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		die(1, "UFFDIO_REGISTER: %s", strerror(errno));
}

static void uffd_thread_setup(struct thr *t)
{
	size_t len = o.window * page_size;

	if (o.mode == M_ZP_EEXIST) {
		t->dst = map_anon(page_size);
		memset(t->dst, 0x5a, page_size);	/* present: EEXIST */
		uffd_register(t->dst, page_size);
		return;
	}
	t->dst = map_anon(len);
	uffd_register(t->dst, len);
	t->src = map_anon(page_size);
	memset(t->src, 0x5a, page_size);
}

static void count_err(struct thr *t, int err)
{
	if (!t->errors++)
		t->first_errno = err;
}

/* One batch of the window; returns ns spent in the ioctls. */
static unsigned long long uffd_batch(struct thr *t, unsigned long n)
{
	unsigned long long c0 = cpu_now(), t0 = now(), dt;
	unsigned long i;

	for (i = 0; i < n; i++) {
		if (o.mode == M_UFFD_COPY) {
			struct uffdio_copy c = {
				.dst = (uintptr_t)t->dst + i * page_size,
				.src = (uintptr_t)t->src, .len = page_size,
			};

			if (ioctl(uffd, UFFDIO_COPY, &c))
				count_err(t, errno);
		} else {
			struct uffdio_zeropage z = {
				.range = { .start = (uintptr_t)t->dst +
					   i * page_size, .len = page_size },
			};

			if (ioctl(uffd, UFFDIO_ZEROPAGE, &z))
				count_err(t, errno);
		}
	}
	dt = now() - t0;
	t->cpu_ns += cpu_now() - c0;
	madvise(t->dst, n * page_size, MADV_DONTNEED);
	return dt;
}

static void uffd_run(struct thr *t)
{
	unsigned long done = 0, n;

	uffd_batch(t, o.window < 64 ? o.window : 64);	/* warm-up */
	t->errors = 0;
	t->cpu_ns = 0;
	pthread_barrier_wait(&barrier);
	t->start = now();
	while (done < o.ops) {
		n = o.ops - done < o.window ? o.ops - done : o.window;
		t->ns += uffd_batch(t, n);
		done += n;
	}
}

static void eexist_run(struct thr *t)
{
	struct uffdio_zeropage z = {
		.range = { .start = (uintptr_t)t->dst, .len = page_size },
	};
	unsigned long long t0;
	unsigned long i;

	pthread_barrier_wait(&barrier);
	t->start = t0 = now();
	t->cpu_ns = cpu_now();
	for (i = 0; i < o.ops; i++)
		if (ioctl(uffd, UFFDIO_ZEROPAGE, &z) && errno != EEXIST)
			count_err(t, errno);
	t->cpu_ns = cpu_now() - t->cpu_ns;
	t->ns = now() - t0;
}

/* ---- fionread --------------------------------------------------------- */

static void fionread_run(struct thr *t)
{
	unsigned long long t0;
	unsigned long i;
	int n;

	if (pipe(t->pipe))
		die(1, "pipe: %s", strerror(errno));
	pthread_barrier_wait(&barrier);
	t->start = t0 = now();
	t->cpu_ns = cpu_now();
	for (i = 0; i < o.ops; i++)
		if (ioctl(t->pipe[0], FIONREAD, &n))
			count_err(t, errno);
	t->cpu_ns = cpu_now() - t->cpu_ns;
	t->ns = now() - t0;
}

/* ---- vfio ------------------------------------------------------------- */

static int find_edu(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int ret = -1;

	while (d && (e = readdir(d))) {
		char path[PATH_MAX], buf[32] = "";
		unsigned long ven = 0, dev = 0;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fgets(buf, sizeof(buf), f))
				ven = strtoul(buf, NULL, 16);
			fclose(f);
		}
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		if ((f = fopen(path, "r"))) {
			if (fgets(buf, sizeof(buf), f))
				dev = strtoul(buf, NULL, 16);
			fclose(f);
		}
		if (ven == 0x1234 && dev == 0x11e8 && strlen(e->d_name) < len) {
			strcpy(bdf, e->d_name);
			ret = 0;
			break;
		}
	}
	if (d)
		closedir(d);
	return ret;
}

static void vfio_setup(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	char bdf[64] = "", path[PATH_MAX], target[PATH_MAX - 64];
	const char *env = getenv("EDU_BDF");
	unsigned long long cfg_off;
	unsigned long long off;
	uint16_t cmd;
	ssize_t n;
	char *base;

	setrlimit(RLIMIT_MEMLOCK, &rl);
	if (env && *env)
		snprintf(bdf, sizeof(bdf), "%s", env);
	else if (find_edu(bdf, sizeof(bdf)))
		die(3, "no edu device (1234:11e8)");
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		die(3, "/dev/vfio/vfio: %s", strerror(errno));
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		die(3, "%s: %s", path, strerror(errno));
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(path, sizeof(path), "/dev/vfio/%s", base ? base + 1 : target);
	group = open(path, O_RDWR | O_CLOEXEC);
	if (group < 0)
		die(3, "%s: %s", path, strerror(errno));
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &st) ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die(1, "group not viable");
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die(1, "container setup: %s", strerror(errno));
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		die(1, "VFIO_GROUP_GET_DEVICE_FD: %s", strerror(errno));
	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri))
		die(1, "config region: %s", strerror(errno));
	cfg_off = ri.offset;
	memset(&ri, 0, sizeof(ri));
	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri) || !ri.size)
		die(1, "BAR0 region: %s", strerror(errno));
	bar_size = ri.size;
	bar = mmap(NULL, bar_size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
		   ri.offset);
	if (bar == MAP_FAILED)
		die(1, "mmap BAR0: %s", strerror(errno));
	if (pread(device, &cmd, 2, cfg_off + PCI_COMMAND) != 2)
		die(1, "PCI_COMMAND: %s", strerror(errno));
	if (!(cmd & PCI_COMMAND_MEMORY)) {
		cmd |= PCI_COMMAND_MEMORY;
		if (pwrite(device, &cmd, 2, cfg_off + PCI_COMMAND) != 2)
			die(1, "PCI_COMMAND: %s", strerror(errno));
	}
	/* every PTE present: no map has to fault (fixup_user_fault) */
	for (off = 0; off < bar_size; off += page_size)
		(void)*(volatile uint32_t *)((char *)bar + off);
	if (!o.bar_pages || o.bar_pages > bar_size / page_size)
		o.bar_pages = bar_size / page_size;
}

static void map_run(struct thr *t)
{
	unsigned long long size = o.bar_pages * page_size;
	unsigned long long iova = DMA_IOVA + t->idx * 0x10000000ULL;
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)bar, .iova = iova, .size = size,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = size,
	};
	unsigned long long t0, t1, t2;
	unsigned long i;

	/* warm-up */
	if (!ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);
	pthread_barrier_wait(&barrier);
	t->start = t0 = now();
	t->cpu_ns = cpu_now();
	for (i = 0; i < o.ops; i++) {
		if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map)) {
			count_err(t, errno);
			t0 = now();
			continue;
		}
		t1 = now();
		unmap.size = size;
		if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
			count_err(t, errno);
		t2 = now();
		t->map_ns += t1 - t0;
		t->unmap_ns += t2 - t1;
		t0 = t2;
	}
	t->cpu_ns = cpu_now() - t->cpu_ns;
	t->ns = t->map_ns + t->unmap_ns;
}

/* ---- driver ----------------------------------------------------------- */

static void *thread_fn(void *arg)
{
	struct thr *t = arg;

	switch (o.mode) {
	case M_UFFD_COPY:
	case M_UFFD_ZEROPAGE:
		uffd_run(t);
		break;
	case M_ZP_EEXIST:
		eexist_run(t);
		break;
	case M_MAP_DMA:
		map_run(t);
		break;
	case M_FIONREAD:
		fionread_run(t);
		break;
	}
	t->end = now();
	return NULL;
}

static void usage(FILE *f)
{
	fputs("usage: ioctl_loop uffd-copy|uffd-zeropage|zeropage-eexist|map-dma|fionread\n"
	      "       [-n OPS per thread (200000)] [-t THREADS (1)]\n"
	      "       [-w WINDOW pages (512)] [--bar-pages P (all)]\n", f);
}

static unsigned long num(const char *s, unsigned long min, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "ioctl_loop: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "bar-pages", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct thr thr[MAX_THREADS];
	unsigned long long wall, sum = 0, sum_map = 0, sum_unmap = 0, sum_cpu = 0;
	unsigned long errors = 0, first = 0;
	unsigned int i;
	int opt, m;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (m = 0; m <= M_FIONREAD; m++)
		if (!strcmp(argv[1], mode_names[m]))
			break;
	if (m > M_FIONREAD) {
		usage(stderr);
		return 2;
	}
	o.mode = m;
	while ((opt = getopt_long(argc - 1, argv + 1, "n:t:w:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'n': o.ops = num(optarg, 1, 1UL << 40); break;
		case 't': o.threads = num(optarg, 1, MAX_THREADS); break;
		case 'w': o.window = num(optarg, 1, 1 << 20); break;
		case 'b': o.bar_pages = num(optarg, 1, 1 << 20); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	page_size = sysconf(_SC_PAGESIZE);
	memset(thr, 0, sizeof(thr));
	if (o.mode <= M_ZP_EEXIST)
		uffd_setup();
	if (o.mode == M_MAP_DMA)
		vfio_setup();
	for (i = 0; i < o.threads; i++) {
		thr[i].idx = i;
		if (o.mode <= M_ZP_EEXIST)
			uffd_thread_setup(&thr[i]);
	}
	pthread_barrier_init(&barrier, NULL, o.threads + 1);
	for (i = 0; i < o.threads; i++)
		if (pthread_create(&thr[i].th, NULL, thread_fn, &thr[i]))
			die(1, "pthread_create failed");
	pthread_barrier_wait(&barrier);
	for (i = 0; i < o.threads; i++)
		pthread_join(thr[i].th, NULL);
	/* from the first thread's start to the last one's end */
	{
		unsigned long long lo = thr[0].start, hi = thr[0].end;

		for (i = 1; i < o.threads; i++) {
			lo = thr[i].start < lo ? thr[i].start : lo;
			hi = thr[i].end > hi ? thr[i].end : hi;
		}
		wall = hi - lo;
	}

	printf("{\"mode\":\"%s\",\"threads\":%u,\"ops\":%lu", mode_names[o.mode],
	       o.threads, o.ops);
	for (i = 0; i < o.threads; i++) {
		sum += thr[i].ns;
		sum_cpu += thr[i].cpu_ns;
		sum_map += thr[i].map_ns;
		sum_unmap += thr[i].unmap_ns;
		errors += thr[i].errors;
		if (thr[i].errors && !first)
			first = thr[i].first_errno;
	}
	printf(",\"ns_per_op\":%.1f,\"cpu_ns_per_op\":%.1f",
	       (double)sum / o.threads / o.ops,
	       (double)sum_cpu / o.threads / o.ops);
	if (o.mode == M_MAP_DMA)
		printf(",\"map_ns_per_op\":%.1f,\"unmap_ns_per_op\":%.1f,\"bar_pages\":%lu",
		       (double)sum_map / o.threads / o.ops,
		       (double)sum_unmap / o.threads / o.ops, o.bar_pages);
	printf(",\"thread_ns_per_op\":[");
	for (i = 0; i < o.threads; i++)
		printf("%s%.1f", i ? "," : "", (double)thr[i].ns / o.ops);
	printf("],\"wall_ns\":%llu,\"ops_per_s\":%.0f,\"errors\":%lu,\"first_errno\":%lu}\n",
	       wall, (double)o.ops * o.threads * 1e9 / wall, errors, first);
	return errors ? 1 : 0;
}
