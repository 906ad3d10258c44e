/* SPDX-License-Identifier: GPL-2.0 */
/*
 * targets.h - what to hook on which kernel.  targets.c is the one place
 * that knows kernel function names, their argument layouts and which
 * record fields each hook makes known.
 */
#ifndef __PFNMAP_TARGETS_H
#define __PFNMAP_TARGETS_H

#include <stddef.h>
#include <linux/types.h>
#include "pfnmap.h"

struct candidate {
	const char	*func;
	const char	*module;	/* BTF object, NULL: vmlinux */
	struct pfnmap_op_layout layout;	/* op hooks only */
	__u32		follow_style;	/* follow hook only */
};

enum hook_id {
	H_VFIO_PIN = 0,
	H_UFFD_COPY,
	H_UFFD_ZEROPAGE,
	H_UFFD_CONTINUE,
	H_UFFD_POISON,
	H_FOLLOW,
	H_FIXUP,
	H_UFFD_RETRY,
	H_UFFD_CHANGED,
	H_UFFD_RELOCK,
	H_UFFD_MMAP_RELOCK,
	H_BAR_FAULT,
	H_ZAP,
	H_UFFD_INSTALL,
	H_UFFD_GET_VMA,
	H_VFIO_GET_PFNS,
	H_UFFD_MOVE,
	H_UFFD_WP,
	H_UFFD_IOCTL,
	H_MAX,
};

struct hook {
	const char	*name;		/* for messages and `probe` */
	int		kind;		/* the kind it records, -1: none */
	int		family;		/* whose operations it serves */
	const char	*fe, *fx;	/* program names, NULL if none */
	const char	*kp, *kr;
	const char	*rt;		/* raw tracepoint program, NULL if none */
	int		unless;		/* skip if this hook attached, -1: none */
	int		unless2;
	const char	*what;		/* one line: what it tells */
	const struct candidate *cands;	/* preference order, NULL-terminated */
	int		fentry_only;	/* needs the arguments at exit */
};

extern const struct hook hooks[H_MAX];

/* ioctl view of an op kind: command number and argument layout. */
struct ioctl_view {
	int		kind;		/* record kind it produces */
	__u32		cmd;
	struct pfnmap_op_layout layout;
};

/* Which ioctl stands in for an op kind whose hook is missing; NULL if none. */
const struct ioctl_view *ioctl_view_of(int kind);
/*
 * The hook that records the ioctls of a view that never reached the
 * traced function of its kind (H_UFFD_IOCTL for UFFDIO_*), -1: only the
 * syscall tracepoints can.
 */
int ioctl_fill_hook(const struct ioctl_view *v);

/*
 * A kind whose ioctl not every kernel has: its UAPI struct is in the
 * kernel's BTF when it does (the operation's function may be inlined, so
 * a missing function proves nothing).  Without it the kind is absent: no
 * hook, no ioctl view, and `why` says so.
 */
struct kind_uapi {
	int		kind;
	const char	*type;		/* BTF struct ... */
	const char	*member;	/* ... and one of its members */
	const char	*why;
};

/* What proves that the kernel has a kind's operation; NULL: every kernel. */
const struct kind_uapi *kind_uapi_of(int kind);

/* Kernel symbols and types the loader reads besides the hooks' functions. */
struct kernel_names {
	const char	*fault_handler;		/* page-fault entry: its text range */
	const char	*zero_pfn[3];		/* the zero page's pfn, NULL-ended */
	const char	*vmemmap_base;
	const char	*lock_seq_type;		/* mm_struct.mm_lock_seq */
	const char	*lock_seq_member;
	const char	*batch_func;		/* vaddr_get_pfns(..., batch) */
	const char	*batch_module;
	int		batch_arg;
	const char	*batch_type;
};

extern const struct kernel_names knames;

/* Kernel features some fields need besides their hooks. */
#define FEAT_MM_LOCK_SEQ	(1U << 0)	/* mm_struct.mm_lock_seq */
#define FEAT_ZERO_PFN		(1U << 1)	/* zero_pfn + vmemmap_base found */

/* The operation hook of a kind, -1 if it has none (vfio_map_dma). */
int hook_of_kind(int kind);
/*
 * Fields a kind's records can carry, given the hooks that attached
 * (bit h of attached set for hook h) and the FEAT_* found.
 */
__u16 kind_fields(int kind, __u32 attached, __u32 feats);
/* Why a field (enum pfnmap_field) of a kind is unknown; NULL if known. */
const char *field_missing_why(int kind, int field, __u32 attached,
			      __u32 feats, char *buf, size_t len);
/* The first hook whose absence leaves the field unknown, -1 if none. */
int field_missing_hook(int kind, int field, __u32 attached);

#endif /* __PFNMAP_TARGETS_H */
