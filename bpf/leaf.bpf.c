// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * leaf.bpf.c - the leaves: follow_pfnmap_start() (or follow_pte()) and
 * fixup_user_fault().  Inside an operation they are nested counters of
 * its record, and their pairing is what shows a zap race; called outside
 * any operation (KVM, futex, generic_access_phys) each call is a record
 * of its own, with its caller.
 */
#include "common.h"

/*
 * A lookup inside an operation runs once per page: its entry keeps only
 * what its exit may need, untimed, and the address as the pointer to it
 * (leaf_args), read at the exit only if it is a zap race (leaf_addr()).
 */
static __always_inline void leaf_enter(__u64 addr, __u8 args, __u64 uptr,
				       bool timed)
{
	struct task_state *ts = task_get();

	if (!ts || !ts->op_active) {
		if (!wanted(bpf_get_current_pid_tgid()))
			return;
		ts = task_get_or_new();
		if (!ts)
			return;
		timed = true;		/* a record of its own */
	}
	if (timed)
		ts->leaf_start = bpf_ktime_get_ns();
	ts->leaf_addr = addr;
	ts->leaf_args = args;
	ts->leaf_uptr = uptr;
	ts->leaf_active = 1;
}

/*
 * The lookup's address: still there at the exit, in the caller's frame.
 * follow_style first: a constant, so that on kernels without struct
 * follow_pfnmap_args the verifier drops the read it cannot relocate.
 */
static __always_inline __u64 leaf_addr(const struct task_state *ts)
{
	struct follow_pfnmap_args *args = (void *)ts->leaf_addr;

	if (!follow_style && ts->leaf_args)
		return BPF_CORE_READ(args, address);
	return ts->leaf_addr;
}

/*
 * A zap race's zap: the last vfio-pci zap, if it was still running when
 * the fault-in began or started later (a zap that ended before cannot
 * have removed the mapping the fault-in made).
 */
static __always_inline void attribute_zap(struct task_state *ts,
					  struct pfnmap_event *e)
{
	__u32 zero = 0;
	struct last_zap *z = bpf_map_lookup_elem(&zaps, &zero);

	if (!z || !z->start || (z->end && z->end < ts->fixup_start))
		return;
	e->zaps_attributed++;
	e->zap_tid = z->tid;
	e->zap_gap_ns = (__s64)(z->start - ts->fixup_end);
}

/* A leaf called outside any operation is an operation of its own. */
static __always_inline void leaf_record(void *ctx, struct task_state *ts,
					__u8 kind, __u8 source, __s64 ret,
					__u32 zap, __u32 unlocked)
{
	struct pfnmap_event *e;

	e = emit_new(bpf_get_current_pid_tgid(), kind, source,
		     &ts->leaf_start);
	if (!e)
		return;
	e->duration_ns = bpf_ktime_get_ns() - ts->leaf_start;
	e->ret = ret;
	e->addr = leaf_addr(ts);
	e->caller = caller_ip(ctx);
	e->valid = kind_valid[kind];
	if (kind == PFNMAP_K_FOLLOW_PFNMAP) {
		e->follow_calls = 1;
		e->follow_fails = ret != 0;
		e->zap_races = zap;
		if (zap)
			attribute_zap(ts, e);
	} else {
		e->fixup_calls = 1;
		e->fixup_fails = ret != 0;
		e->fixup_unlocked = unlocked;
	}
	emit(e);
}

static __always_inline void follow_exit(void *ctx, __u8 source, __s64 ret)
{
	struct task_state *ts = task_get();
	__u32 zap;

	if (!ts || !ts->leaf_active)
		return;
	ts->leaf_active = 0;
	/* same page as the fault-in that just succeeded, yet not present */
	zap = ret && ts->fixup_ok &&
	      (ts->fixup_addr >> 12) == (leaf_addr(ts) >> 12);
	ts->fixup_ok = 0;
	if (ts->op_active) {
		if (ts->retry_pending) {
			op_retry(ts);
			ts->retry_pending = 0;
		}
		ts->op.follow_calls++;
		ts->op.follow_fails += ret != 0;
		ts->pfnmap_lookup = 1;
		ts->op.zap_races += zap;
		if (zap)
			attribute_zap(ts, &ts->op);
		/* a kernel that retries after a zap race restarts the lookup */
		ts->retry_pending = zap;
		return;
	}
	leaf_record(ctx, ts, PFNMAP_K_FOLLOW_PFNMAP, source, ret, zap, 0);
}

static __always_inline void fixup_exit(void *ctx, __u8 source, __s64 ret)
{
	struct task_state *ts = task_get();
	bool unlocked = false;

	if (!ts || !ts->leaf_active)
		return;
	ts->leaf_active = 0;
	if (ts->leaf_uptr)
		bpf_probe_read_kernel(&unlocked, sizeof(unlocked),
				      (void *)ts->leaf_uptr);
	ts->fixup_ok = ret == 0;
	ts->fixup_addr = ts->leaf_addr;
	ts->fixup_start = ts->leaf_start;
	ts->fixup_end = bpf_ktime_get_ns();
	if (ts->op_active) {
		ts->op.fixup_calls++;
		ts->op.fixup_fails += ret != 0;
		ts->op.fixup_unlocked += unlocked;
		/* mmap_lock was dropped: vaddr_get_pfns() starts over */
		if (unlocked)
			ts->retry_pending = 1;
		return;
	}
	leaf_record(ctx, ts, PFNMAP_K_FIXUP_USER_FAULT, source, ret, 0,
		    unlocked);
}

/* 6.12+: follow_pfnmap_start(args); before: follow_pte(mm|vma, addr, ...) */
HOOK(follow, follow_pfnmap_start,
     leaf_enter(follow_style ? ARG(1) : ARG(0), !follow_style, 0, false),
     follow_exit(ctx, src, (int)RET))

/* fixup_user_fault(mm, address, fault_flags, bool *unlocked) */
HOOK(fixup, fixup_user_fault,
     leaf_enter(ARG(1), 0, ARG(3), true),
     fixup_exit(ctx, src, (int)RET))
