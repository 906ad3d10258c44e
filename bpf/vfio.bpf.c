// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * vfio.bpf.c - VFIO: the pin operation (vfio_pin_pages_remote()), the
 * vfio-pci BAR faults and the zero pages inside it, and the vfio-pci zaps
 * that explain the zap races of others.
 */
#include "common.h"

/* Names are the default targets; user space rebinds them per kernel. */
OP_HOOK(vfio_pin, PFNMAP_K_VFIO_PIN)

/* ---- zero pages among the pinned pages: vaddr_get_pfns() ------------- */

/* 7.x passes the GUP results in a struct vfio_batch (a module type). */
struct vfio_batch {
	struct page **pages;
	unsigned int size;
} __attribute__((preserve_access_index));

/* struct page * of a pfn, or 0 if the kernel variables were not found. */
static __always_inline __u64 page_of(__u64 pfn, __u64 *vbase)
{
	if (!vmemmap_base_addr ||
	    bpf_probe_read_kernel(vbase, sizeof(*vbase),
				  (void *)vmemmap_base_addr))
		return 0;
	return *vbase + pfn * bpf_core_type_size(struct page);
}

/*
 * vaddr_get_pfns() exit: of the n pages GUP pinned, how many are the
 * shared zero page.  PFNMAP lookups leave the page array alone; the GUP
 * path is the one where pages[0] is the returned first pfn.
 */
static __always_inline __u32 zero_pages(__u64 pages, long n, __u64 pfnp)
{
	__u64 zpfn = 0, pfn = 0, vbase = 0, p, zpage, first;
	__u32 cnt = 0;
	int i;

	if (n <= 0 || !pages || !zero_pfn_addr ||
	    bpf_probe_read_kernel(&zpfn, sizeof(zpfn), (void *)zero_pfn_addr) ||
	    bpf_probe_read_kernel(&pfn, sizeof(pfn), (void *)pfnp) ||
	    bpf_probe_read_kernel(&p, sizeof(p), (void *)pages))
		return 0;
	first = page_of(pfn, &vbase);
	zpage = page_of(zpfn, &vbase);
	if (!first || p != first)
		return 0;
	for (i = 0; i < 512 && i < n; i++) {
		if (bpf_probe_read_kernel(&p, sizeof(p),
					  (void *)(pages + i * sizeof(p))))
			break;
		cnt += p == zpage;
	}
	return cnt;
}

static __always_inline int vfio_get_pfns_exit(void *ctx)
{
	struct task_state *ts = active_op();
	struct vfio_batch *b;
	__u64 pages, raw = fexit_ret(ctx);
	long n;

	if (!ts || ts->op.kind != PFNMAP_K_VFIO_PIN)
		return 0;
	/* a PFNMAP lookup pinned nothing: skip the page array (per BAR page) */
	if (ts->pfnmap_lookup) {
		ts->pfnmap_lookup = 0;
		return 0;
	}
	pages = fentry_arg(ctx, 5);
	n = vgp_batch ? (long)raw : (int)raw;
	if (vgp_batch) {
		b = (void *)pages;
		pages = (__u64)BPF_CORE_READ(b, pages);
	}
	ts->op.zero_pages += zero_pages(pages, n, fentry_arg(ctx, 4));
	return 0;
}

/*
 * (mm, vaddr, npages, prot, unsigned long *pfn, pages or batch).  fexit
 * only: the page array is an argument, which a kretprobe no longer has.
 */
SEC("fexit/vaddr_get_pfns")
int fx_vfio_get_pfns(void *ctx) { return vfio_get_pfns_exit(ctx); }

/* ---- vfio-pci BAR faults inside a pin -------------------------------- */

/* vfio-pci BAR fault handler: VM_FAULT_* with bits set is a failure. */
static __always_inline void bar_fault(void)
{
	struct task_state *ts = active_op();

	if (ts)
		ts->op.bar_faults++;
}

HOOK_ENTRY(bar_fault, vfio_pci_mmap_huge_fault, bar_fault())

/* ---- the zapper: vfio_pci_zap_and_down_write_memory_lock() ----------- */

static __always_inline void zap_enter(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts = task_get_or_new();
	__u64 now = bpf_ktime_get_ns();
	struct last_zap *z;
	__u32 zero = 0;

	/* zaps are recorded whoever does them: they explain others' races */
	z = bpf_map_lookup_elem(&zaps, &zero);
	if (z) {
		z->start = now;
		z->end = 0;
		z->tid = (__u32)pid_tgid;
	}
	if (ts) {
		ts->zap_start = now;
		ts->zap_active = 1;
	}
}

static __always_inline void zap_exit(void *ctx, __u8 source)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts = task_get();
	struct pfnmap_event *e;
	struct last_zap *z;
	__u32 zero = 0;

	if (!ts || !ts->zap_active)
		return;
	ts->zap_active = 0;
	z = bpf_map_lookup_elem(&zaps, &zero);
	if (z && z->tid == (__u32)pid_tgid)
		z->end = bpf_ktime_get_ns();
	e = emit_new(pid_tgid, PFNMAP_K_VFIO_ZAP, source, &ts->zap_start);
	if (e) {
		e->caller = caller_ip(ctx);
		e->duration_ns = bpf_ktime_get_ns() - ts->zap_start;
		e->valid = kind_valid[PFNMAP_K_VFIO_ZAP];
		emit(e);
	}
}

HOOK(zap, vfio_pci_zap_and_down_write_memory_lock,
     zap_enter(),
     zap_exit(ctx, src))
