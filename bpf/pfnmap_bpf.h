/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* pfnmap_bpf.h - state private to the BPF programs (never read by user space). */
#ifndef __PFNMAP_BPF_H
#define __PFNMAP_BPF_H

/*
 * Per-task state, keyed by tid.  "op" is the operation in flight (one at a
 * time: none of the traced operations nests in another), "leaf" the
 * follow/fixup call in progress.
 */
struct task_state {
	struct pfnmap_event op;
	__u64	leaf_start;
	__u64	leaf_addr;
	__u64	leaf_uptr;		/* fixup_user_fault()'s bool *unlocked */
	__u64	fixup_addr;		/* address of the last fault-in */
	__u64	zap_start;
	__u64	fixup_start;		/* the last fault-in's start and end */
	__u64	fixup_end;
	__u64	first_retry;		/* when the op first retried */
	__u64	seq_mm;			/* uffd: mm whose mm_lock_seq was read */
	__u32	seq_before;		/* its mm_lock_seq when the locks dropped */
	__u32	nr_switches;		/* nvcsw + nivcsw at op entry */
	__u64	locked_vm;		/* mm->locked_vm at op entry */
	__u8	op_active;
	__u8	leaf_active;
	__u8	zap_active;
	__u8	fixup_ok;		/* last fixup_user_fault() succeeded */
	__u8	retry_pending;		/* next lookup restarts an address */
	__u8	relocked;		/* uffd: the VMA was locked once */
	__u8	seq_valid;		/* seq_before was read */
	__u8	pfnmap_lookup;		/* vfio: a follow ran since vaddr_get_pfns */
	__u8	pad[6];
};

/* An ioctl of the syscall view between its enter and exit. */
struct sys_op {
	__u64	start;
	__u64	arg;			/* user pointer of the ioctl's struct */
	__u32	kind;
	__u32	saw_op;			/* its traced function ran */
};

/* The last vfio-pci zap seen (any task): what explains a zap race. */
struct last_zap {
	__u64	start;
	__u64	end;			/* 0 while the zap is in progress */
	__u32	tid;
	__u32	pad;
};

#endif /* __PFNMAP_BPF_H */
