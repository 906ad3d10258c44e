// SPDX-License-Identifier: GPL-2.0
/*
 * targets.c - the kernel-specific knowledge of pfnmap, in one place.
 *
 * For every hook, the functions that play its role across kernel
 * generations, best first.  The loader walks the list and takes the first
 * function that exists and attaches (fentry/fexit, else kprobe/kretprobe);
 * nothing here is keyed on a kernel version number.  docs/kernels.md is
 * generated from `pfnmap probe --json`, not from this table.
 */
#include <stddef.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>
#include "targets.h"

/* Debian 12's UAPI headers predate UFFDIO_POISON (Linux 6.6). */
#ifndef UFFDIO_POISON
struct uffdio_poison {
	struct uffdio_range range;
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON	_IOWR(UFFDIO, 0x08, struct uffdio_poison)
#endif

/* addr_arg, len_arg, len_shift, ret_shift, ret_int */
#define PAGES_OP(a, l)	{ .addr_arg = a, .len_arg = l }
#define BYTES_OP(a, l)	{ .addr_arg = a, .len_arg = l, .len_shift = 12, .ret_shift = 12 }

static const struct candidate vfio_pin_c[] = {
	/* (dma, vaddr, npage, pfn_base, limit, batch): long pages or -errno */
	{ "vfio_pin_pages_remote", "vfio_iommu_type1", PAGES_OP(1, 2) },
	{ NULL },
};

static const struct candidate uffd_copy_c[] = {
	/* 6.4+: (ctx, dst, src, len, flags); <= 6.3: (mm, dst, src, len, ...) */
	{ "mfill_atomic_copy", NULL, BYTES_OP(1, 3) },
	{ "mcopy_atomic", NULL, BYTES_OP(1, 3) },
	{ NULL },
};

static const struct candidate uffd_zeropage_c[] = {
	{ "mfill_atomic_zeropage", NULL, BYTES_OP(1, 2) },
	{ "mfill_zeropage", NULL, BYTES_OP(1, 2) },
	{ NULL },
};

static const struct candidate uffd_continue_c[] = {
	{ "mfill_atomic_continue", NULL, BYTES_OP(1, 2) },
	{ "mcopy_continue", NULL, BYTES_OP(1, 2) },
	{ NULL },
};

static const struct candidate uffd_poison_c[] = {
	{ "mfill_atomic_poison", NULL, BYTES_OP(1, 2) },
	{ NULL },
};

static const struct candidate follow_c[] = {
	/* 6.12+: (struct follow_pfnmap_args *); before: (mm|vma, address, ...) */
	{ "follow_pfnmap_start", NULL, {}, 0 },
	{ "follow_pte", NULL, {}, 1 },
	{ NULL },
};

static const struct candidate fixup_c[] = {
	{ "fixup_user_fault", NULL },
	{ NULL },
};

/* 7.x: called once per lock drop of the UFFDIO_COPY retry path. */
static const struct candidate uffd_retry_c[] = {
	{ "mfill_retry_state_save", NULL },
	{ NULL },
};

static const struct candidate uffd_changed_c[] = {
	{ "mfill_retry_state_changed", NULL },
	{ NULL },
};

/* 6.5-6.x: the dst VMA is (re)locked once per attempt of mfill_atomic(). */
static const struct candidate uffd_relock_c[] = {
	{ "uffd_lock_vma", NULL },
	{ NULL },
};

/* <= 6.3: mcopy_atomic() inlines everything; see the re-locks instead. */
static const struct candidate uffd_mmap_relock_c[] = {
	{ "mmap_lock_start_locking", NULL },
	{ NULL },
};

static const struct candidate bar_fault_c[] = {
	{ "vfio_pci_mmap_huge_fault", "vfio_pci_core" },
	{ "vfio_pci_mmap_fault", "vfio_pci_core" },
	{ NULL },
};

/* 6.12+: -EAGAIN when pte_offset_map_lock() fails */
static const struct candidate uffd_install_c[] = {
	{ "mfill_atomic_install_pte", NULL },
	{ NULL },
};

/* 7.x: -EAGAIN when mmap_changing is set */
static const struct candidate uffd_get_vma_c[] = {
	{ "mfill_get_vma", NULL },
	{ NULL },
};

/* the GUP side of a pin: which pages were pinned (zero page or not) */
static const struct candidate vfio_get_pfns_c[] = {
	{ "vaddr_get_pfns", "vfio_iommu_type1" },
	{ NULL },
};

static const struct candidate zap_c[] = {
	{ "vfio_pci_zap_and_down_write_memory_lock", "vfio_pci_core" },
	{ NULL },
};

#define OP_HOOK(n, k, c, w) \
	{ #n, k, "fe_" #n, "fx_" #n, "kp_" #n, "kr_" #n, NULL, -1, -1, w, c }

const struct hook hooks[H_MAX] = {
	[H_VFIO_PIN] = OP_HOOK(vfio_pin, PFNMAP_K_VFIO_PIN, vfio_pin_c,
			       "one VFIO DMA pin of a contiguous range"),
	[H_UFFD_COPY] = OP_HOOK(uffd_copy, PFNMAP_K_UFFD_COPY, uffd_copy_c,
				"one UFFDIO_COPY"),
	[H_UFFD_ZEROPAGE] = OP_HOOK(uffd_zeropage, PFNMAP_K_UFFD_ZEROPAGE,
				    uffd_zeropage_c, "one UFFDIO_ZEROPAGE"),
	[H_UFFD_CONTINUE] = OP_HOOK(uffd_continue, PFNMAP_K_UFFD_CONTINUE,
				    uffd_continue_c, "one UFFDIO_CONTINUE"),
	[H_UFFD_POISON] = OP_HOOK(uffd_poison, PFNMAP_K_UFFD_POISON,
				  uffd_poison_c, "one UFFDIO_POISON"),
	[H_FOLLOW] = { "follow", -1, "fe_follow", "fx_follow", "kp_follow",
		       "kr_follow", NULL, -1, -1, "PFNMAP lookups and their failures",
		       follow_c },
	[H_FIXUP] = { "fixup", -1, "fe_fixup", "fx_fixup", "kp_fixup",
		      "kr_fixup", NULL, -1, -1, "fault-ins, failures, mmap_lock drops",
		      fixup_c },
	[H_UFFD_RETRY] = { "uffd_retry", -1, "fe_uffd_retry", NULL,
			   "kp_uffd_retry", NULL, NULL, -1, -1,
			   "UFFDIO_COPY lock-drop retries", uffd_retry_c },
	[H_UFFD_CHANGED] = { "uffd_changed", -1, NULL, "fx_uffd_changed",
			     NULL, "kr_uffd_changed", NULL, -1, -1,
			     "retries aborted: VMA changed", uffd_changed_c },
	[H_UFFD_RELOCK] = { "uffd_relock", -1, "fe_uffd_relock", NULL,
			    "kp_uffd_relock", NULL, NULL, H_UFFD_RETRY, -1,
			    "UFFDIO_* retries as VMA re-locks", uffd_relock_c },
	[H_UFFD_MMAP_RELOCK] = { "uffd_mmap_relock", -1, NULL, NULL, NULL,
				 NULL, "rt_uffd_mmap_relock", H_UFFD_RETRY,
				 H_UFFD_RELOCK,
				 "UFFDIO_* retries as mmap_lock re-locks",
				 uffd_mmap_relock_c },
	[H_BAR_FAULT] = { "bar_fault", -1, "fe_bar_fault", NULL,
			  "kp_bar_fault", NULL, NULL, -1, -1,
			  "vfio-pci BAR faults inside a pin", bar_fault_c },
	[H_ZAP] = { "zap", PFNMAP_K_VFIO_ZAP, "fe_zap", "fx_zap", "kp_zap",
		    "kr_zap", NULL, -1, -1, "vfio-pci BAR zaps (who, when)", zap_c },
	[H_UFFD_INSTALL] = { "uffd_install", -1, NULL, "fx_uffd_install",
			     NULL, "kr_uffd_install", NULL, -1, -1,
			     "-EAGAIN: pte_offset_map_lock() failed",
			     uffd_install_c },
	[H_UFFD_GET_VMA] = { "uffd_get_vma", -1, NULL, "fx_uffd_get_vma",
			     NULL, "kr_uffd_get_vma", NULL, -1, -1,
			     "-EAGAIN: mmap_changing", uffd_get_vma_c },
	[H_VFIO_GET_PFNS] = { "vfio_get_pfns", -1, NULL, "fx_vfio_get_pfns",
			      NULL, NULL, NULL, -1, -1,
			      "shared zero pages among pinned pages",
			      vfio_get_pfns_c },
};

/* dst/start first in every UFFDIO_* struct; then len, then the result */
static const struct ioctl_view views[] = {
	{ PFNMAP_K_UFFD_COPY, UFFDIO_COPY,
	  { .uaddr_off = 0, .ulen_off = 16,
	    .udone_off = offsetof(struct uffdio_copy, copy) } },
	{ PFNMAP_K_UFFD_ZEROPAGE, UFFDIO_ZEROPAGE,
	  { .uaddr_off = 0, .ulen_off = 8,
	    .udone_off = offsetof(struct uffdio_zeropage, zeropage) } },
	{ PFNMAP_K_UFFD_CONTINUE, UFFDIO_CONTINUE,
	  { .uaddr_off = 0, .ulen_off = 8,
	    .udone_off = offsetof(struct uffdio_continue, mapped) } },
	{ PFNMAP_K_UFFD_POISON, UFFDIO_POISON,
	  { .uaddr_off = 0, .ulen_off = 8,
	    .udone_off = offsetof(struct uffdio_poison, updated) } },
	/* vfio_pin has no ioctl of its own: MAP_DMA is the nearest view */
	{ PFNMAP_K_VFIO_MAP_DMA, VFIO_IOMMU_MAP_DMA,
	  { .uaddr_off = offsetof(struct vfio_iommu_type1_dma_map, vaddr),
	    .ulen_off = offsetof(struct vfio_iommu_type1_dma_map, size) } },
};

const struct ioctl_view *ioctl_view_of(int kind)
{
	size_t i;

	if (kind == PFNMAP_K_VFIO_PIN)
		kind = PFNMAP_K_VFIO_MAP_DMA;
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (views[i].kind == kind)
			return &views[i];
	return NULL;
}

#define HAS(h)	(attached & (1U << (h)))

static int is_uffd(int kind)
{
	return kind >= PFNMAP_K_UFFD_COPY && kind <= PFNMAP_K_UFFD_POISON;
}

static int op_hook_of(int kind)
{
	int h;

	for (h = 0; h < H_MAX; h++)
		if (hooks[h].kind == kind)
			return h;
	return -1;
}

/*
 * Which fields the records of a kind carry.  A nested counter is known
 * only if the op itself and every hook the counter depends on attached.
 */
static __u16 vfio_pin_fields(__u32 attached, __u32 feats)
{
	__u16 v = PFNMAP_V_PAGES | PFNMAP_V_LOCKED | PFNMAP_V_SCHED;

	if (HAS(H_FOLLOW))
		v |= PFNMAP_V_FOLLOW;
	if (HAS(H_FIXUP))
		v |= PFNMAP_V_FIXUP;
	if (HAS(H_FOLLOW) && HAS(H_FIXUP))
		v |= PFNMAP_V_ZAP_RACES | PFNMAP_V_RETRIES |
		     PFNMAP_V_RETRY_TIME;
	if ((v & PFNMAP_V_ZAP_RACES) && HAS(H_ZAP))
		v |= PFNMAP_V_ZAP_ATTR;
	if (HAS(H_BAR_FAULT))
		v |= PFNMAP_V_FAULTS;
	if (HAS(H_VFIO_GET_PFNS) && (feats & FEAT_ZERO_PFN))
		v |= PFNMAP_V_ZERO_PAGES;
	return v;
}

static __u16 uffd_fields(__u32 attached, __u32 feats)
{
	__u16 v = PFNMAP_V_PAGES | PFNMAP_V_SCHED;

	if (HAS(H_UFFD_RETRY) || HAS(H_UFFD_RELOCK) ||
	    HAS(H_UFFD_MMAP_RELOCK))
		v |= PFNMAP_V_RETRIES | PFNMAP_V_RETRY_TIME;
	if (HAS(H_UFFD_CHANGED))
		v |= PFNMAP_V_ABORTS;
	if (HAS(H_UFFD_RETRY) && HAS(H_UFFD_CHANGED) &&
	    (feats & FEAT_MM_LOCK_SEQ))
		v |= PFNMAP_V_SEQ;
	if (HAS(H_UFFD_INSTALL) && HAS(H_UFFD_GET_VMA))
		v |= PFNMAP_V_EAGAIN_SRC;
	return v;
}

__u16 kind_fields(int kind, __u32 attached, __u32 feats)
{
	int op = op_hook_of(kind);
	__u16 v;

	switch (kind) {
	case PFNMAP_K_VFIO_PIN:
		return HAS(op) ? vfio_pin_fields(attached, feats) : 0;
	case PFNMAP_K_FOLLOW_PFNMAP:
		if (!HAS(H_FOLLOW))
			return 0;
		v = PFNMAP_V_FOLLOW;
		if (HAS(H_FIXUP))
			v |= PFNMAP_V_ZAP_RACES;
		if (HAS(H_FIXUP) && HAS(H_ZAP))
			v |= PFNMAP_V_ZAP_ATTR;
		return v;
	case PFNMAP_K_FIXUP_USER_FAULT:
		return HAS(H_FIXUP) ? PFNMAP_V_FIXUP : 0;
	case PFNMAP_K_VFIO_MAP_DMA:
		return PFNMAP_V_PAGES;
	case PFNMAP_K_VFIO_ZAP:
		return 0;
	}
	if (!is_uffd(kind) || !HAS(op))
		return 0;
	return uffd_fields(attached, feats);
}

const char *field_missing_why(int kind, __u16 field, __u32 attached,
			      __u32 feats)
{
	int op = op_hook_of(kind);

	if (kind_fields(kind, attached, feats) & field)
		return NULL;
	if (op >= 0 && !HAS(op))
		return "operation seen only as an ioctl (syscall view) or not at all";
	switch (field) {
	case PFNMAP_V_FOLLOW:
		return "no follow_pfnmap_start/follow_pte hook";
	case PFNMAP_V_FIXUP:
		return "no fixup_user_fault hook";
	case PFNMAP_V_ZAP_RACES:
		return "needs both the follow and the fixup hooks";
	case PFNMAP_V_RETRIES:
		return is_uffd(kind) ?
			"retry path inlined: no mfill_retry_state_save, uffd_lock_vma or mmap_lock tracepoint" :
			"needs both the follow and the fixup hooks";
	case PFNMAP_V_ABORTS:
		return is_uffd(kind) ? "no mfill_retry_state_changed hook" :
				       "not a field of this kind";
	case PFNMAP_V_FAULTS:
		return kind == PFNMAP_K_VFIO_PIN ? "no vfio-pci fault hook" :
						   "not a field of this kind";
	case PFNMAP_V_ZAP_ATTR:
		return HAS(H_ZAP) ? "needs zap races" :
				    "no vfio-pci zapper hook";
	case PFNMAP_V_RETRY_TIME:
		return "retries not observable";
	case PFNMAP_V_SEQ:
		return !(feats & FEAT_MM_LOCK_SEQ) ?
			"kernel has no mm->mm_lock_seq (per-VMA locks came in 6.4)" :
			"needs mfill_retry_state_save and _changed";
	case PFNMAP_V_EAGAIN_SRC:
		return "needs mfill_atomic_install_pte and mfill_get_vma";
	case PFNMAP_V_ZERO_PAGES:
		return HAS(H_VFIO_GET_PFNS) ?
			"no zero_pfn/vmemmap_base symbols" :
			"no vaddr_get_pfns hook";
	}
	return "not a field of this kind";
}

__u16 kind_field_set(int kind)
{
	switch (kind) {
	case PFNMAP_K_VFIO_PIN:
		return PFNMAP_V_PAGES | PFNMAP_V_RETRIES | PFNMAP_V_FOLLOW |
		       PFNMAP_V_FIXUP | PFNMAP_V_ZAP_RACES | PFNMAP_V_FAULTS |
		       PFNMAP_V_ZAP_ATTR | PFNMAP_V_RETRY_TIME |
		       PFNMAP_V_ZERO_PAGES | PFNMAP_V_LOCKED | PFNMAP_V_SCHED;
	case PFNMAP_K_FOLLOW_PFNMAP:
		return PFNMAP_V_FOLLOW | PFNMAP_V_ZAP_RACES | PFNMAP_V_ZAP_ATTR;
	case PFNMAP_K_FIXUP_USER_FAULT:
		return PFNMAP_V_FIXUP;
	case PFNMAP_K_VFIO_MAP_DMA:
		return PFNMAP_V_PAGES;
	case PFNMAP_K_VFIO_ZAP:
		return 0;
	}
	return is_uffd(kind) ?
	       PFNMAP_V_PAGES | PFNMAP_V_RETRIES | PFNMAP_V_ABORTS |
	       PFNMAP_V_RETRY_TIME | PFNMAP_V_SEQ | PFNMAP_V_EAGAIN_SRC |
	       PFNMAP_V_SCHED : 0;
}

const char *field_name(int bit)
{
	static const char *const names[] = {
		"pages", "retries", "follow_pfnmap", "fixup_user_fault",
		"zap_races", "retry_aborts", "bar_faults", "zap_attribution",
		"retry_time_ns", "seq_what_if", "eagain_sources", "zero_pages",
		"locked_vm", "sched",
	};

	return bit >= 0 && bit < (int)(sizeof(names) / sizeof(names[0])) ?
	       names[bit] : NULL;
}
