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
#include <stdbool.h>
#include <stdio.h>
#include "registry.h"
#include "targets.h"
#include "uffd_compat.h"

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

/*
 * 6.8-6.1x: (ctx, dst, src, len, mode): bytes moved, else -errno.  7.x
 * inlines it into userfaultfd_ioctl(): the ioctl view counts the moves.
 */
static const struct candidate uffd_move_c[] = {
	{ "move_pages", NULL, BYTES_OP(1, 3) },
	{ NULL },
};

/* (ctx, start, len, enable_wp): int 0 or -errno; done is the whole range */
static const struct candidate uffd_wp_c[] = {
	{ "mwriteprotect_range", NULL, { .addr_arg = 1, .len_arg = 2,
					 .len_shift = 12, .ret_int = 1 } },
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

/*
 * The userfaultfd ioctl handler (file, cmd, arg): 6.1, 6.12 and 7.3 all
 * inline userfaultfd_copy() and its siblings into it, so it is the
 * narrowest function that sees a UFFDIO_* returning before the traced
 * mfill_atomic_*() (the early mmap_changing -EAGAIN).
 */
static const struct candidate uffd_ioctl_c[] = {
	{ "userfaultfd_ioctl", NULL },
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

/*
 * Program names follow the hook's name: fe_/fx_ (fentry/fexit), kp_/kr_
 * (kprobe/kretprobe), rt_ (raw tracepoint); bpf/ defines them with the
 * same names (HOOK_* macros of bpf/common.h).
 */
#define PROGS(n, e, x, ke, kx)					\
	.fe = (e) ? "fe_" #n : NULL, .fx = (x) ? "fx_" #n : NULL,	\
	.kp = (ke) ? "kp_" #n : NULL, .kr = (kx) ? "kr_" #n : NULL

/* An operation: entry and exit in both forms; records its kind. */
#define OP_HOOK(n, k, fam, c, w)					\
	{ .name = #n, .kind = k, .family = PFNMAP_FAM_##fam,		\
	  PROGS(n, 1, 1, 1, 1), .unless = -1, .unless2 = -1,		\
	  .what = w, .cands = c }
/* A function called inside operations of family fam. */
#define NESTED(n, fam, e, x, c, w)					\
	{ .name = #n, .kind = -1, .family = PFNMAP_FAM_##fam,		\
	  PROGS(n, e, x, e, x), .unless = -1, .unless2 = -1,	\
	  .what = w, .cands = c }

const struct hook hooks[H_MAX] = {
	[H_VFIO_PIN] = OP_HOOK(vfio_pin, PFNMAP_K_VFIO_PIN, PIN, vfio_pin_c,
			       "one VFIO DMA pin of a contiguous range"),
	[H_UFFD_COPY] = OP_HOOK(uffd_copy, PFNMAP_K_UFFD_COPY, UFFD,
				uffd_copy_c, "one UFFDIO_COPY"),
	[H_UFFD_ZEROPAGE] = OP_HOOK(uffd_zeropage, PFNMAP_K_UFFD_ZEROPAGE, UFFD,
				    uffd_zeropage_c, "one UFFDIO_ZEROPAGE"),
	[H_UFFD_CONTINUE] = OP_HOOK(uffd_continue, PFNMAP_K_UFFD_CONTINUE, UFFD,
				    uffd_continue_c, "one UFFDIO_CONTINUE"),
	[H_UFFD_POISON] = OP_HOOK(uffd_poison, PFNMAP_K_UFFD_POISON, UFFD,
				  uffd_poison_c, "one UFFDIO_POISON"),
	/* nested in a pin, else a record of their own (with the caller) */
	[H_FOLLOW] = OP_HOOK(follow, PFNMAP_K_FOLLOW_PFNMAP, PIN, follow_c,
			     "PFNMAP lookups and their failures"),
	[H_FIXUP] = OP_HOOK(fixup, PFNMAP_K_FIXUP_USER_FAULT, PIN, fixup_c,
			    "fault-ins, failures, mmap_lock drops"),
	[H_UFFD_RETRY] = NESTED(uffd_retry, UFFD, 1, 0, uffd_retry_c,
				"UFFDIO_COPY lock-drop retries"),
	[H_UFFD_CHANGED] = NESTED(uffd_changed, UFFD, 0, 1, uffd_changed_c,
				  "retries aborted: VMA changed"),
	[H_UFFD_RELOCK] = { .name = "uffd_relock", .kind = -1,
			    .family = PFNMAP_FAM_UFFD,
			    PROGS(uffd_relock, 1, 0, 1, 0),
			    .unless = H_UFFD_RETRY, .unless2 = -1,
			    .what = "UFFDIO_* retries as VMA re-locks",
			    .cands = uffd_relock_c },
	[H_UFFD_MMAP_RELOCK] = { .name = "uffd_mmap_relock", .kind = -1,
				 .family = PFNMAP_FAM_UFFD,
				 .rt = "rt_uffd_mmap_relock",
				 .unless = H_UFFD_RETRY,
				 .unless2 = H_UFFD_RELOCK,
				 .what = "UFFDIO_* retries as mmap_lock re-locks",
				 .cands = uffd_mmap_relock_c },
	[H_BAR_FAULT] = NESTED(bar_fault, PIN, 1, 0, bar_fault_c,
			       "vfio-pci BAR faults inside a pin"),
	[H_ZAP] = OP_HOOK(zap, PFNMAP_K_VFIO_ZAP, ZAP, zap_c,
			  "vfio-pci BAR zaps (who, when)"),
	[H_UFFD_INSTALL] = NESTED(uffd_install, UFFD, 0, 1, uffd_install_c,
				  "-EAGAIN: pte_offset_map_lock() failed"),
	[H_UFFD_GET_VMA] = NESTED(uffd_get_vma, UFFD, 0, 1, uffd_get_vma_c,
				  "-EAGAIN: mmap_changing"),
	[H_VFIO_GET_PFNS] = { .name = "vfio_get_pfns", .kind = -1,
			      .family = PFNMAP_FAM_PIN,
			      PROGS(vfio_get_pfns, 0, 1, 0, 0),
			      .unless = -1, .unless2 = -1,
			      .what = "shared zero pages among pinned pages",
			      .cands = vfio_get_pfns_c },
	[H_UFFD_MOVE] = OP_HOOK(uffd_move, PFNMAP_K_UFFD_MOVE, MOVE,
				uffd_move_c, "one UFFDIO_MOVE"),
	[H_UFFD_WP] = OP_HOOK(uffd_wp, PFNMAP_K_UFFD_WP, WP, uffd_wp_c,
			      "one UFFDIO_WRITEPROTECT"),
	/* else the ioctl tracepoints fill in, system-wide */
	[H_UFFD_IOCTL] = { .name = "uffd_ioctl", .kind = -1,
			   .family = PFNMAP_FAM_UFFD,
			   PROGS(uffd_ioctl, 0, 1, 0, 0),
			   .unless = -1, .unless2 = -1, .fentry_only = 1,
			   .what = "UFFDIO_* that never reached their function",
			   .cands = uffd_ioctl_c },
};

static const struct kind_uapi uapis[] = {
	{ PFNMAP_K_UFFD_MOVE, "uffdio_move", "move",
	  "kernel has no UFFDIO_MOVE (no struct uffdio_move in its BTF: Linux 6.8+)" },
	{ PFNMAP_K_UFFD_POISON, "uffdio_poison", "updated",
	  "kernel has no UFFDIO_POISON (no struct uffdio_poison in its BTF: Linux 6.6+)" },
};

const struct kind_uapi *kind_uapi_of(int kind)
{
	size_t i;

	for (i = 0; i < sizeof(uapis) / sizeof(uapis[0]); i++)
		if (uapis[i].kind == kind)
			return &uapis[i];
	return NULL;
}

const struct kernel_names knames = {
	/* 6.1's mmap_lock raw tracepoint: the source fault's own locking */
	.fault_handler = "exc_page_fault",
	/* 7.x renamed zero_pfn to zero_page_pfn */
	.zero_pfn = { "zero_page_pfn", "zero_pfn", NULL },
	.vmemmap_base = "vmemmap_base",
	/* 6.4+: per-VMA locks and the per-mm sequence count */
	.lock_seq_type = "mm_struct",
	.lock_seq_member = "mm_lock_seq",
	/* 7.x passes a struct vfio_batch *, not struct page ** */
	.batch_func = "vaddr_get_pfns",
	.batch_module = "vfio_iommu_type1",
	.batch_arg = 5,
	.batch_type = "vfio_batch",
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
	{ PFNMAP_K_UFFD_MOVE, UFFDIO_MOVE,
	  { .uaddr_off = offsetof(struct uffdio_move, dst),
	    .ulen_off = offsetof(struct uffdio_move, len),
	    .udone_off = offsetof(struct uffdio_move, move) } },
	/* no result member: done is the whole range on success */
	{ PFNMAP_K_UFFD_WP, UFFDIO_WRITEPROTECT,
	  { .uaddr_off = offsetof(struct uffdio_writeprotect, range.start),
	    .ulen_off = offsetof(struct uffdio_writeprotect, range.len) } },
	/* vfio_pin has no ioctl of its own: MAP_DMA is the nearest view */
	{ PFNMAP_K_VFIO_MAP_DMA, VFIO_IOMMU_MAP_DMA,
	  { .uaddr_off = offsetof(struct vfio_iommu_type1_dma_map, vaddr),
	    .ulen_off = offsetof(struct vfio_iommu_type1_dma_map, size) } },
};

/* The BPF side reads these as u64s of an array (ioctl_args()). */
#define ALIGNED8(type, m)	(offsetof(struct type, m) % 8 == 0)
_Static_assert(ALIGNED8(uffdio_copy, copy) &&
	       ALIGNED8(uffdio_zeropage, zeropage) &&
	       ALIGNED8(uffdio_continue, mapped) &&
	       ALIGNED8(uffdio_poison, updated) &&
	       ALIGNED8(uffdio_move, dst) && ALIGNED8(uffdio_move, len) &&
	       ALIGNED8(uffdio_move, move) &&
	       ALIGNED8(uffdio_writeprotect, range.start) &&
	       ALIGNED8(uffdio_writeprotect, range.len) &&
	       ALIGNED8(vfio_iommu_type1_dma_map, vaddr) &&
	       ALIGNED8(vfio_iommu_type1_dma_map, size) &&
	       offsetof(struct uffdio_move, move) < 64,
	       "an ioctl view reads 8-byte aligned fields in its first 64 bytes");

int ioctl_fill_hook(const struct ioctl_view *v)
{
	return v && _IOC_TYPE(v->cmd) == UFFDIO ? H_UFFD_IOCTL : -1;
}

const struct ioctl_view *ioctl_view_of(int kind)
{
	size_t i;

	/* a kind's own ioctl, else the one of the kind standing in for it */
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (views[i].kind == kind)
			return &views[i];
	for (i = 0; i < sizeof(views) / sizeof(views[0]); i++)
		if (reg_kinds[views[i].kind].stands_for == kind)
			return &views[i];
	return NULL;
}

/*
 * What a field of a family needs besides the operation's own hook: every
 * hook of `all`, one hook of `any`, every kernel feature of `feats`.  A
 * field of the registry that a family carries and that is not listed here
 * needs the operation's hook only (pages, locked_vm, ...).
 */
struct field_need {
	int	field;		/* enum pfnmap_field */
	__u32	families;	/* PFNMAP_FB() set */
	__u32	all;		/* hooks, bit per enum hook_id */
	__u32	any;
	__u32	feats;		/* FEAT_* */
};

#define HB(h)		(1U << (h))
#define LOOKUPS		(HB(H_FOLLOW) | HB(H_FIXUP))
#define UFFD_RETRY_HOOKS (HB(H_UFFD_RETRY) | HB(H_UFFD_RELOCK) | \
			  HB(H_UFFD_MMAP_RELOCK))

static const struct field_need needs[] = {
	{ PFNMAP_F_FOLLOW, PFNMAP_FB(PIN), HB(H_FOLLOW) },
	{ PFNMAP_F_FIXUP, PFNMAP_FB(PIN), HB(H_FIXUP) },
	/* a zap race is a lookup failing after a fault-in: both seen */
	{ PFNMAP_F_ZAP_RACES, PFNMAP_FB(PIN) | PFNMAP_FB(FOLLOW), LOOKUPS },
	{ PFNMAP_F_ZAP_ATTR, PFNMAP_FB(PIN) | PFNMAP_FB(FOLLOW),
	  LOOKUPS | HB(H_ZAP) },
	/* vfio: a lookup restarted after *unlocked or a zap race */
	{ PFNMAP_F_RETRIES, PFNMAP_FB(PIN), LOOKUPS },
	{ PFNMAP_F_RETRY_TIME, PFNMAP_FB(PIN), LOOKUPS },
	{ PFNMAP_F_FAULTS, PFNMAP_FB(PIN), HB(H_BAR_FAULT) },
	{ PFNMAP_F_ZERO_PAGES, PFNMAP_FB(PIN), HB(H_VFIO_GET_PFNS), 0,
	  FEAT_ZERO_PFN },
	/* uffd: a lock drop, or a re-lock after the first one */
	{ PFNMAP_F_RETRIES, PFNMAP_FB(UFFD), 0, UFFD_RETRY_HOOKS },
	{ PFNMAP_F_RETRY_TIME, PFNMAP_FB(UFFD), 0, UFFD_RETRY_HOOKS },
	{ PFNMAP_F_ABORTS, PFNMAP_FB(UFFD), HB(H_UFFD_CHANGED) },
	{ PFNMAP_F_SEQ, PFNMAP_FB(UFFD), HB(H_UFFD_RETRY) | HB(H_UFFD_CHANGED),
	  0, FEAT_MM_LOCK_SEQ },
	{ PFNMAP_F_EAGAIN_SRC, PFNMAP_FB(UFFD),
	  HB(H_UFFD_INSTALL) | HB(H_UFFD_GET_VMA) },
};

static const char *const feat_names[] = {
	"mm->mm_lock_seq (per-VMA locks came in 6.4)",
	"the zero_pfn and vmemmap_base symbols",
};

/* The hook that records a kind: its operation hook, -1 if none. */
int hook_of_kind(int kind)
{
	int h;

	for (h = 0; h < H_MAX; h++)
		if (hooks[h].kind == kind)
			return h;
	return -1;
}

static const struct field_need *need_of(int kind, int field)
{
	const struct reg_kind *k = reg_kind(kind);
	size_t i;

	for (i = 0; k && i < sizeof(needs) / sizeof(needs[0]); i++)
		if (needs[i].field == field &&
		    (needs[i].families & (1U << k->family)))
			return &needs[i];
	return NULL;
}

static bool need_met(const struct field_need *n, __u32 attached, __u32 feats)
{
	return !n || ((attached & n->all) == n->all &&
		      (!n->any || (attached & n->any)) &&
		      (feats & n->feats) == n->feats);
}

/*
 * The operation hook of a kind must have attached (the ioctl view makes
 * pages only; vfio_map_dma has no hook and is that view), then each field
 * of its family its needs.
 */
__u16 kind_fields(int kind, __u32 attached, __u32 feats)
{
	__u16 set = reg_kind_fields(kind), v = 0;
	int op = hook_of_kind(kind), f;

	if (op < 0)
		return set & PFNMAP_V_PAGES;
	if (!(attached & HB(op)))
		return 0;
	for (f = 0; f < PFNMAP_F_MAX; f++)
		if ((set & (1U << f)) &&
		    need_met(need_of(kind, f), attached, feats))
			v |= 1U << f;
	return v;
}

int field_missing_hook(int kind, int field, __u32 attached)
{
	const struct field_need *n = need_of(kind, field);
	int h;

	for (h = 0; n && h < H_MAX; h++)
		if (((n->all | n->any) & HB(h)) && !(attached & HB(h)))
			return h;
	return -1;
}

static void hook_list(char *buf, size_t len, __u32 set, const char *sep)
{
	size_t off = 0;
	int h;

	buf[0] = '\0';
	for (h = 0; h < H_MAX && off < len; h++)
		if (set & HB(h))
			off += snprintf(buf + off, len - off, "%s%s",
					off ? sep : "", hooks[h].name);
}

/* Why a field of a kind is unknown; NULL if known.  buf: room for it. */
const char *field_missing_why(int kind, int field, __u32 attached,
			      __u32 feats, char *buf, size_t len)
{
	const struct field_need *n = need_of(kind, field);
	int op = hook_of_kind(kind);
	char list[160];
	size_t i;

	if (kind_fields(kind, attached, feats) & (1U << field))
		return NULL;
	if (!(reg_kind_fields(kind) & (1U << field)))
		return "not a field of this kind";
	if (op < 0 || !(attached & HB(op)))
		return "operation seen only as an ioctl (syscall view) or not at all";
	if (n && (attached & n->all) != n->all) {
		hook_list(list, sizeof(list), n->all & ~attached, ", ");
		snprintf(buf, len, "needs the %s hook%s", list,
			 __builtin_popcount(n->all & ~attached) > 1 ? "s" : "");
		return buf;
	}
	if (n && n->any && !(attached & n->any)) {
		hook_list(list, sizeof(list), n->any, " or ");
		snprintf(buf, len, "needs the %s hook (the path is inlined)",
			 list);
		return buf;
	}
	for (i = 0; n && i < sizeof(feat_names) / sizeof(feat_names[0]); i++)
		if ((n->feats & (1U << i)) && !(feats & (1U << i))) {
			snprintf(buf, len, "kernel has no %s", feat_names[i]);
			return buf;
		}
	return "not known";
}
