// SPDX-License-Identifier: GPL-2.0
/*
 * stress_vfio.c - VFIO scenarios of pfnmap-stress.
 *
 * They DMA-map memory through a VFIO type1 container, which makes the
 * kernel pin it in vfio_pin_pages_remote():
 *  - a PCI BAR mmap (VM_PFNMAP|VM_IO) cannot be pinned with GUP, so type1
 *    looks the PFN up with follow_pfnmap_start(); when the PTE is not
 *    there yet it calls fixup_user_fault() to fault it in and retries the
 *    lookup (vaddr_get_pfn()/follow_fault_pfn()).  vfio-map does this N
 *    times, vfio-race does it while another thread toggles the device's
 *    memory decoding, which zaps the BAR's user PTEs under it;
 *  - vfio-zeropage pins never-written anonymous memory read-only: the
 *    pages are the shared zero page, which older kernels pin as is and
 *    newer ones (6.x) unshare first (a fresh anonymous page each).
 *
 * The device is QEMU's edu (1234:11e8, 1 MiB BAR0), bound to vfio-pci
 * (tests/vm/init.sh does that).  Counting:
 *  maps		VFIO_IOMMU_MAP_DMA calls
 *  ok		MAP_DMA calls that returned 0
 *  errors	failed MAP_DMA calls by errno (ok plus errors is maps)
 *  unmaps	VFIO_IOMMU_UNMAP_DMA calls: one per successful map
 *  unmap_errors	failed UNMAP_DMA calls (or short unmaps, as EOTHER)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "stress.h"

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8
/* Any IOVA clear of the x86 MSI window (0xfee00000) will do. */
#define DMA_IOVA	0x40000000ULL

struct vfio_dev {
	char		bdf[32];
	int		group_id;
	int		container, group, device;
	uint64_t	bar_size, bar_offset;
	uint64_t	cfg_offset;
	void		*bar;		/* BAR0 mmap, or NULL */
	bool		mem_was_off;	/* we set PCI_COMMAND_MEMORY */
};

struct map_counts {
	unsigned long long	maps, ok, unmaps;
	struct errno_counts	errors, unmap_errors;
};

/* ---- device discovery and setup ---- */

static int read_sysfs_hex(const char *bdf, const char *attr, unsigned long *v)
{
	char path[PATH_MAX], buf[32];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fgets(buf, sizeof(buf), f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	*v = strtoul(buf, NULL, 16);
	return 0;
}

/* First PCI device with the edu IDs, into bdf; -1 if there is none. */
static int find_edu(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	int ret = -1;

	if (!d)
		return -1;
	while ((e = readdir(d))) {
		unsigned long vendor, device;

		if (e->d_name[0] == '.' ||
		    read_sysfs_hex(e->d_name, "vendor", &vendor) ||
		    read_sysfs_hex(e->d_name, "device", &device))
			continue;
		if (vendor == EDU_VENDOR && device == EDU_DEVICE &&
		    strlen(e->d_name) < len) {
			memcpy(bdf, e->d_name, strlen(e->d_name) + 1);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* --dev, else $EDU_BDF, else a sysfs scan.  "00:01.0" gets domain 0000. */
static int pick_device(struct vfio_dev *v, const char *want, const char *who)
{
	if (!want || !*want)
		want = getenv("EDU_BDF");
	if (want && *want) {
		if (strchr(want, ':') == strrchr(want, ':'))
			snprintf(v->bdf, sizeof(v->bdf), "0000:%s", want);
		else
			snprintf(v->bdf, sizeof(v->bdf), "%s", want);
		return 0;
	}
	if (find_edu(v->bdf, sizeof(v->bdf))) {
		errmsg("%s: no edu device (%04x:%04x) found; pass --dev BDF",
		       who, EDU_VENDOR, EDU_DEVICE);
		return -1;
	}
	return 0;
}

static int iommu_group_of(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = 0;
	base = strrchr(target, '/');
	return atoi(base ? base + 1 : target);
}

static int region_info(int device, unsigned int index,
		       struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	return ioctl(device, VFIO_DEVICE_GET_REGION_INFO, ri);
}

static int cfg_read16(struct vfio_dev *v, unsigned int off, uint16_t *val)
{
	uint16_t le;

	if (pread(v->device, &le, 2, v->cfg_offset + off) != 2)
		return -1;
	*val = le16toh(le);
	return 0;
}

static int cfg_write16(struct vfio_dev *v, unsigned int off, uint16_t val)
{
	uint16_t le = htole16(val);

	return pwrite(v->device, &le, 2, v->cfg_offset + off) == 2 ? 0 : -1;
}

static void vfio_close(struct vfio_dev *v)
{
	if (v->bar)
		munmap(v->bar, v->bar_size);
	if (v->device >= 0)
		close(v->device);
	if (v->group >= 0)
		close(v->group);
	if (v->container >= 0)
		close(v->container);
}

/*
 * Container + group + type1v2 IOMMU + device fd; with map_bar, BAR0 is
 * mmapped and memory decoding enabled.  Returns 0, STRESS_EXIT_UNSUPP
 * when VFIO or the device is not there, or STRESS_EXIT_FAIL (after
 * saying why).
 */
static int vfio_open(struct vfio_dev *v, const char *who, bool map_bar)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info ri;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	char path[64];
	uint16_t cmd;

	v->container = v->group = v->device = -1;
	v->bar = NULL;
	/* Pinned pages count against RLIMIT_MEMLOCK; root may lift it. */
	setrlimit(RLIMIT_MEMLOCK, &rl);

	v->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (v->container < 0) {
		errmsg("%s: /dev/vfio/vfio: %s", who, strerror(errno));
		return errno == ENOENT ? STRESS_EXIT_UNSUPP : STRESS_EXIT_FAIL;
	}
	if (ioctl(v->container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(v->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0) {
		errmsg("%s: no VFIO type1v2 IOMMU (is vfio_iommu_type1 loaded?)",
		       who);
		return STRESS_EXIT_UNSUPP;
	}
	v->group_id = iommu_group_of(v->bdf);
	if (v->group_id < 0) {
		errmsg("%s: %s has no IOMMU group (no such device, or no IOMMU)",
		       who, v->bdf);
		return STRESS_EXIT_UNSUPP;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", v->group_id);
	v->group = open(path, O_RDWR | O_CLOEXEC);
	if (v->group < 0) {
		errmsg("%s: %s: %s (is %s bound to vfio-pci?)", who, path,
		       strerror(errno), v->bdf);
		return errno == ENOENT ? STRESS_EXIT_UNSUPP : STRESS_EXIT_FAIL;
	}
	if (ioctl(v->group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errmsg("%s: IOMMU group %d is not viable (every device in it must be bound to vfio-pci)",
		       who, v->group_id);
		return STRESS_EXIT_FAIL;
	}
	if (ioctl(v->group, VFIO_GROUP_SET_CONTAINER, &v->container)) {
		errmsg("%s: VFIO_GROUP_SET_CONTAINER: %s", who, strerror(errno));
		return STRESS_EXIT_FAIL;
	}
	if (ioctl(v->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		errmsg("%s: VFIO_SET_IOMMU(TYPE1v2): %s", who, strerror(errno));
		return STRESS_EXIT_FAIL;
	}
	v->device = ioctl(v->group, VFIO_GROUP_GET_DEVICE_FD, v->bdf);
	if (v->device < 0) {
		errmsg("%s: VFIO_GROUP_GET_DEVICE_FD(%s): %s", who, v->bdf,
		       strerror(errno));
		return STRESS_EXIT_FAIL;
	}
	if (region_info(v->device, VFIO_PCI_CONFIG_REGION_INDEX, &ri)) {
		errmsg("%s: config region info: %s", who, strerror(errno));
		return STRESS_EXIT_FAIL;
	}
	v->cfg_offset = ri.offset;
	if (!map_bar)
		return 0;

	if (region_info(v->device, VFIO_PCI_BAR0_REGION_INDEX, &ri)) {
		errmsg("%s: BAR0 region info: %s", who, strerror(errno));
		return STRESS_EXIT_FAIL;
	}
	if (!ri.size || !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		errmsg("%s: BAR0 of %s is empty or cannot be mmapped", who,
		       v->bdf);
		return STRESS_EXIT_UNSUPP;
	}
	v->bar_size = ri.size;
	v->bar_offset = ri.offset;
	v->bar = mmap(NULL, v->bar_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      v->device, v->bar_offset);
	if (v->bar == MAP_FAILED) {
		v->bar = NULL;
		errmsg("%s: mmap of BAR0: %s", who, strerror(errno));
		return STRESS_EXIT_FAIL;
	}
	/* With decoding off, BAR faults (and so MAP_DMA) fail with EFAULT. */
	if (cfg_read16(v, PCI_COMMAND, &cmd)) {
		errmsg("%s: reading PCI_COMMAND: %s", who, strerror(errno));
		return STRESS_EXIT_FAIL;
	}
	if (!(cmd & PCI_COMMAND_MEMORY)) {
		v->mem_was_off = true;
		if (cfg_write16(v, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY)) {
			errmsg("%s: enabling memory decoding: %s", who,
			       strerror(errno));
			return STRESS_EXIT_FAIL;
		}
	}
	return 0;
}

/* ---- DMA map/unmap ---- */

/* One MAP_DMA (and UNMAP_DMA if it worked); returns 0 or the map errno. */
static int map_unmap(struct vfio_dev *v, void *vaddr, uint64_t size,
		     uint32_t flags, struct map_counts *c)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map), .flags = flags,
		.vaddr = (uintptr_t)vaddr, .iova = DMA_IOVA, .size = size,
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = DMA_IOVA, .size = size,
	};
	int err;

	c->maps++;
	if (ioctl(v->container, VFIO_IOMMU_MAP_DMA, &map)) {
		err = errno;
		errno_counts_add(&c->errors, err);
		return err;
	}
	c->ok++;
	c->unmaps++;
	if (ioctl(v->container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		errno_counts_add(&c->unmap_errors, errno);
	else if (unmap.size != size)
		errno_counts_add(&c->unmap_errors, 0);	/* short: EOTHER */
	return 0;
}

static unsigned long long errors_total(const struct errno_counts *e)
{
	unsigned long long n = 0;
	int i;

	for (i = 0; i < STRESS_ERRNO_MAX; i++)
		n += e->n[i];
	return n;
}

static void out_map_counts(const struct map_counts *c)
{
	out_kv_u64("maps", c->maps);
	out_kv_u64("ok", c->ok);
	out_errors("errors", &c->errors);
	out_kv_u64("unmaps", c->unmaps);
	out_errors("unmap_errors", &c->unmap_errors);
}

static void out_device(const struct vfio_dev *v)
{
	out_kv_str("dev", v->bdf);
	out_kv_i64("group", v->group_id);
	out_kv_str("iommu", "type1v2");
	out_kv_u64("iova", DMA_IOVA);
}

/* ---- vfio-map ---- */

/* Reads one word of every BAR page, so all PTEs exist before MAP_DMA. */
static void touch_bar(struct vfio_dev *v, size_t page_size)
{
	size_t off;

	for (off = 0; off < v->bar_size; off += page_size)
		(void)*(volatile uint32_t *)((char *)v->bar + off);
}

static int run_map(const char *who, const char *dev, unsigned long long n,
		   bool touch)
{
	size_t page_size = sysconf(_SC_PAGESIZE);
	struct map_counts c = { 0 };
	struct vfio_dev v = { 0 };
	unsigned long long i, t0, elapsed;
	int ret;

	if (pick_device(&v, dev, who))
		return STRESS_EXIT_UNSUPP;
	ret = vfio_open(&v, who, true);
	if (ret) {
		vfio_close(&v);
		return ret;
	}
	if (touch)
		touch_bar(&v, page_size);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		map_unmap(&v, v.bar, v.bar_size,
			  VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, &c);
	elapsed = now_ns() - t0;

	report_begin(who);
	out_device(&v);
	out_kv_u64("n", n);
	out_map_counts(&c);
	out_kv_u64("bar_size", v.bar_size);
	out_kv_u64("bar_pages", v.bar_size / page_size);
	out_kv_u64("touched", touch);
	out_kv_str("mem_enable", v.mem_was_off ? "set" : "already");
	out_kv_u64("elapsed_ns", elapsed);
	report_end();
	vfio_close(&v);

	if (c.ok != n || errors_total(&c.unmap_errors)) {
		errmsg("%s: %llu of %llu MAP_DMA calls failed, %llu UNMAP_DMA calls failed",
		       who, n - c.ok, n, errors_total(&c.unmap_errors));
		return STRESS_EXIT_FAIL;
	}
	return STRESS_EXIT_OK;
}

/* ---- vfio-race ---- */

struct race {
	struct vfio_dev		*v;
	unsigned long long	deadline;	/* now_ns() */
	unsigned int		seed;
	unsigned long long	off_us, on_us;	/* max random sleeps */
	int			stop;		/* __atomic */
	struct map_counts	c;
	unsigned long long	toggles;
	struct errno_counts	toggle_errors;
	long			toggler_tid;	/* the zapper, for attribution */
};

static bool race_over(struct race *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_RELAXED) ||
	       now_ns() >= r->deadline;
}

static void *race_mapper(void *arg)
{
	struct race *r = arg;

	while (!race_over(r))
		map_unmap(r->v, r->v->bar, r->v->bar_size,
			  VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			  &r->c);
	return NULL;
}

static void rand_sleep(unsigned int *seed, unsigned long long max_us)
{
	if (max_us)
		usleep(rand_r(seed) % (max_us + 1));
}

/*
 * Clears and sets PCI_COMMAND_MEMORY through the VFIO config region:
 * clearing it makes vfio-pci zap the BAR's user PTEs and refuse faults.
 */
static void *race_toggler(void *arg)
{
	struct race *r = arg;
	unsigned int seed = r->seed;
	uint16_t cmd;

	r->toggler_tid = syscall(SYS_gettid);
	if (cfg_read16(r->v, PCI_COMMAND, &cmd)) {
		errno_counts_add(&r->toggle_errors, errno);
		return NULL;
	}
	while (!race_over(r)) {
		if (cfg_write16(r->v, PCI_COMMAND, cmd & ~PCI_COMMAND_MEMORY))
			errno_counts_add(&r->toggle_errors, errno);
		rand_sleep(&seed, r->off_us);
		if (cfg_write16(r->v, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY))
			errno_counts_add(&r->toggle_errors, errno);
		r->toggles++;
		rand_sleep(&seed, r->on_us);
	}
	return NULL;
}

static int run_race(const char *who, const char *dev,
		    unsigned long long secs, unsigned int seed,
		    unsigned long long off_us, unsigned long long on_us)
{
	struct vfio_dev v = { 0 };
	struct race r = {
		.v = &v, .seed = seed, .off_us = off_us, .on_us = on_us,
	};
	pthread_t mapper, toggler;
	unsigned long long t0, elapsed;
	uint16_t cmd = 0;
	int ret;

	if (pick_device(&v, dev, who))
		return STRESS_EXIT_UNSUPP;
	ret = vfio_open(&v, who, true);
	if (ret) {
		vfio_close(&v);
		return ret;
	}
	t0 = now_ns();
	r.deadline = t0 + secs * 1000000000ULL;
	if (pthread_create(&mapper, NULL, race_mapper, &r)) {
		errmsg("%s: pthread_create failed", who);
		vfio_close(&v);
		return STRESS_EXIT_FAIL;
	}
	if (pthread_create(&toggler, NULL, race_toggler, &r)) {
		__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
		pthread_join(mapper, NULL);
		errmsg("%s: pthread_create failed", who);
		vfio_close(&v);
		return STRESS_EXIT_FAIL;
	}
	pthread_join(toggler, NULL);
	pthread_join(mapper, NULL);
	elapsed = now_ns() - t0;
	/* Leave decoding on, as we found (or made) it. */
	if (!cfg_read16(&v, PCI_COMMAND, &cmd) && !(cmd & PCI_COMMAND_MEMORY))
		cfg_write16(&v, PCI_COMMAND, cmd | PCI_COMMAND_MEMORY);

	report_begin(who);
	out_device(&v);
	out_kv_u64("duration_s", secs);
	out_kv_u64("seed", seed);
	out_kv_u64("off_us", off_us);
	out_kv_u64("on_us", on_us);
	out_map_counts(&r.c);
	out_kv_u64("toggles", r.toggles);
	out_errors("toggle_errors", &r.toggle_errors);
	out_kv_u64("bar_size", v.bar_size);
	out_kv_u64("elapsed_ns", elapsed);
	out_kv_u64("toggler_tid", r.toggler_tid);
	report_end();
	vfio_close(&v);

	/* Failed maps are the point; broken unmaps or toggles are not. */
	if (errors_total(&r.c.unmap_errors) || errors_total(&r.toggle_errors) ||
	    !r.toggles || !r.c.maps) {
		errmsg("%s: race did not run cleanly (%llu maps, %llu toggles, %llu unmap errors, %llu toggle errors)",
		       who, r.c.maps, r.toggles,
		       errors_total(&r.c.unmap_errors),
		       errors_total(&r.toggle_errors));
		return STRESS_EXIT_FAIL;
	}
	return STRESS_EXIT_OK;
}

/* ---- vfio-zeropage ---- */

/* PFN of the page mapped at p (0 if not present); -1 if pagemap is
 * unreadable or hides PFNs (it shows 0 without CAP_SYS_ADMIN). */
static long long pfn_of(int pagemap, const void *p, size_t page_size)
{
	uint64_t e;
	off_t off = (off_t)((uintptr_t)p / page_size * sizeof(e));

	if (pread(pagemap, &e, sizeof(e), off) != sizeof(e))
		return -1;
	if (!(e & (1ULL << 63)))
		return 0;
	e &= (1ULL << 55) - 1;
	return e ? (long long)e : -1;
}

struct pfn_stats {
	unsigned long long	present;	/* pages with a PTE */
	long long		distinct;	/* distinct PFNs; -1 unknown */
	long long		zero_pfn_pages;	/* mapping the zero page; -1 unknown */
};

/*
 * Looks at the PFNs behind [p, p + pages).  The shared zero page's PFN is
 * taken from a fresh read-faulted page.  Kernels that unshare the zero
 * page for R/O long-term pins leave distinct anonymous pages instead.
 */
static void pfn_stats(void *p, unsigned long long pages, size_t page_size,
		      struct pfn_stats *st)
{
	long long *pfn = calloc(pages ? pages : 1, sizeof(*pfn));
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	volatile char *ref = mmap(NULL, page_size, PROT_READ,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long long i, j, n = 0;
	long long zero_pfn = -1;

	*st = (struct pfn_stats){ .distinct = -1, .zero_pfn_pages = -1 };
	if (!pfn || fd < 0)
		goto out;
	if (ref != MAP_FAILED) {
		(void)ref[0];
		zero_pfn = pfn_of(fd, (const void *)ref, page_size);
	}
	for (i = 0; i < pages; i++) {
		long long f = pfn_of(fd, (char *)p + i * page_size, page_size);

		if (f < 0)
			goto out;
		if (f)
			pfn[n++] = f;
	}
	st->present = n;
	st->distinct = 0;
	if (zero_pfn > 0)
		st->zero_pfn_pages = 0;
	/* n is small (a test's page count): quadratic keeps this simple. */
	for (i = 0; i < n; i++) {
		for (j = 0; j < i && pfn[j] != pfn[i]; j++)
			;
		st->distinct += j == i;
		if (zero_pfn > 0 && pfn[i] == zero_pfn)
			st->zero_pfn_pages++;
	}
out:
	if (ref != MAP_FAILED)
		munmap((void *)ref, page_size);
	if (fd >= 0)
		close(fd);
	free(pfn);
}

static int run_zeropage(const char *who, const char *dev,
			unsigned long long pages)
{
	size_t page_size = sysconf(_SC_PAGESIZE);
	unsigned long long len = pages * page_size, i;
	struct map_counts c = { 0 };
	struct vfio_dev v = { 0 };
	struct pfn_stats st;
	bool zero = true;
	char *mem;
	int ret;

	if (pick_device(&v, dev, who))
		return STRESS_EXIT_UNSUPP;
	ret = vfio_open(&v, who, false);
	if (ret) {
		vfio_close(&v);
		return ret;
	}
	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		errmsg("%s: mmap of %llu bytes: %s", who, len, strerror(errno));
		vfio_close(&v);
		return STRESS_EXIT_FAIL;
	}
	/* Never written: a read-only pin maps (and pins) the zero page. */
	map_unmap(&v, mem, len, VFIO_DMA_MAP_FLAG_READ, &c);
	pfn_stats(mem, pages, page_size, &st);
	for (i = 0; i < len && zero; i += page_size)
		zero = !mem[i];

	report_begin(who);
	out_device(&v);
	out_kv_u64("pages", pages);
	out_kv_u64("bytes", len);
	out_map_counts(&c);
	out_kv_u64("pages_present", st.present);
	out_kv_i64("distinct_pfns", st.distinct);
	out_kv_i64("zero_pfn_pages", st.zero_pfn_pages);
	out_kv_u64("reads_zero", zero);
	report_end();
	munmap(mem, len);
	vfio_close(&v);

	if (c.ok != 1 || errors_total(&c.unmap_errors) || !zero) {
		errmsg("%s: read-only MAP_DMA of %llu untouched pages did not map and unmap cleanly",
		       who, pages);
		return STRESS_EXIT_FAIL;
	}
	return STRESS_EXIT_OK;
}

/* ---- command line ---- */

static void usage(FILE *f)
{
	fputs("  vfio-map [-n N] [--touch]\n"
	      "      N times (default 100) VFIO_IOMMU_MAP_DMA of the edu BAR0\n"
	      "      mmap (1 MiB, PFNMAP) + UNMAP_DMA.  The first map faults the\n"
	      "      BAR in through fixup_user_fault(); --touch reads every BAR\n"
	      "      page first, so no map has to fault\n"
	      "  vfio-race -d SECONDS [--seed S] [--off-us U] [--on-us U]\n"
	      "      one thread MAP_DMA/UNMAP_DMAs BAR0 while another toggles\n"
	      "      PCI_COMMAND memory decoding (off for up to --off-us, on for\n"
	      "      up to --on-us random microseconds, default 50 each);\n"
	      "      counts map outcomes by errno and toggles\n"
	      "  vfio-zeropage [-n PAGES]\n"
	      "      read-only MAP_DMA of PAGES (default 256) never-written\n"
	      "      anonymous pages, then unmap.  Older kernels pin the shared\n"
	      "      zero page; newer ones unshare it (distinct_pfns, and\n"
	      "      zero_pfn_pages: pages still on the zero page afterwards)\n"
	      "  vfio options: --dev BDF (default $EDU_BDF, else the first\n"
	      "      1234:11e8 device), bound to vfio-pci; exit 3 without VFIO\n", f);
}

enum { OPT_DEV = 256, OPT_TOUCH, OPT_SEED, OPT_OFF, OPT_ON };

static const struct option long_opts[] = {
	{ "dev",	required_argument, NULL, OPT_DEV },
	{ "touch",	no_argument,	   NULL, OPT_TOUCH },
	{ "seed",	required_argument, NULL, OPT_SEED },
	{ "off-us",	required_argument, NULL, OPT_OFF },
	{ "on-us",	required_argument, NULL, OPT_ON },
	{ "duration",	required_argument, NULL, 'd' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct cmdline {
	const char		*dev;
	unsigned long long	n, secs, seed, off_us, on_us;
	bool			has_n, has_d, has_race, touch;
};

/* Returns 0, 1 for --help, or -1 on a bad option (after saying why). */
static int parse_args(int argc, char **argv, struct cmdline *cl)
{
	const unsigned long long big = 1ULL << 32;
	int opt;

	*cl = (struct cmdline){ .secs = 10, .seed = 1, .off_us = 50,
				.on_us = 50 };
	while ((opt = getopt_long(argc, argv, "n:d:h", long_opts,
				  NULL)) != -1) {
		switch (opt) {
		case 'n':
			cl->has_n = true;
			if (parse_ull("-n", optarg, 1, big, &cl->n))
				return -1;
			break;
		case 'd':
			cl->has_d = true;
			if (parse_ull("-d", optarg, 1, 24 * 3600, &cl->secs))
				return -1;
			break;
		case OPT_DEV:
			cl->dev = optarg;
			break;
		case OPT_TOUCH:
			cl->touch = true;
			break;
		case OPT_SEED:
			cl->has_race = true;
			if (parse_ull("--seed", optarg, 0, UINT_MAX, &cl->seed))
				return -1;
			break;
		case OPT_OFF:
			cl->has_race = true;
			if (parse_ull("--off-us", optarg, 0, 1000000,
				      &cl->off_us))
				return -1;
			break;
		case OPT_ON:
			cl->has_race = true;
			if (parse_ull("--on-us", optarg, 0, 1000000, &cl->on_us))
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

int vfio_main(int argc, char **argv)
{
	const char *s = argv[0];
	struct cmdline cl;
	int ret;

	if (!strcmp(s, "--help")) {
		usage(stdout);
		return STRESS_EXIT_OK;
	}
	ret = parse_args(argc, argv, &cl);
	if (ret > 0) {
		usage(stdout);
		return STRESS_EXIT_OK;
	}
	if (ret < 0)
		return STRESS_EXIT_USAGE;

	if (!strcmp(s, "vfio-map")) {
		if (cl.has_d || cl.has_race)
			goto bad;
		return run_map(s, cl.dev, cl.has_n ? cl.n : 100, cl.touch);
	}
	if (!strcmp(s, "vfio-race")) {
		if (cl.has_n || cl.touch)
			goto bad;
		return run_race(s, cl.dev, cl.secs, cl.seed, cl.off_us,
				cl.on_us);
	}
	if (!strcmp(s, "vfio-zeropage")) {
		if (cl.has_d || cl.has_race || cl.touch)
			goto bad;
		return run_zeropage(s, cl.dev, cl.has_n ? cl.n : 256);
	}
	errmsg("unknown scenario '%s' (try --help)", s);
	return STRESS_EXIT_USAGE;
bad:
	errmsg("%s: option not valid for this scenario (try --help)", s);
	return STRESS_EXIT_USAGE;
}
