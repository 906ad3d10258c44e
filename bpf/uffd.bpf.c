// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uffd.bpf.c - userfaultfd fills (UFFDIO_COPY, _ZEROPAGE, _CONTINUE,
 * _POISON) and what happens inside them: lock drops and retries (7.x:
 * mfill_retry_state_*; 6.5-6.x: VMA re-locks; 6.1: mmap_lock re-locks),
 * and the sources of -EAGAIN.
 */
#include "common.h"

/* Names are the default targets; user space rebinds them per kernel. */
OP_HOOK(uffd_copy, PFNMAP_K_UFFD_COPY)
OP_HOOK(uffd_zeropage, PFNMAP_K_UFFD_ZEROPAGE)
OP_HOOK(uffd_continue, PFNMAP_K_UFFD_CONTINUE)
OP_HOOK(uffd_poison, PFNMAP_K_UFFD_POISON)

/* ---- nested counters of the operation in flight ---------------------- */

/* Kind values stay below 32 (pfnmap.h): PFNMAP_UFFD_KINDS is a bit mask. */
_Static_assert(PFNMAP_K_MAX <= 32, "PFNMAP_UFFD_KINDS is a 32-bit mask");

/* op.kind of an active op is a kind below PFNMAP_K_MAX (op_enter()). */
static __always_inline struct task_state *active_uffd_op(void)
{
	struct task_state *ts = active_op();

	if (!ts || !(PFNMAP_UFFD_KINDS & (1U << ts->op.kind)))
		return NULL;
	return ts;
}

/*
 * mm->mm_lock_seq (6.4+: an int, 6.12+: a seqcount_t whose first member is
 * the sequence): what David Hildenbrand's alternative check would read.
 */
static __always_inline bool mm_seq(__u64 mm, __u32 *seq)
{
	struct mm_struct *m = (void *)mm;

	if (!mm || !bpf_core_field_exists(m->mm_lock_seq))
		return false;
	return !bpf_probe_read_kernel(seq, sizeof(*seq), (void *)mm +
				      bpf_core_field_offset(m->mm_lock_seq));
}

/* mfill_retry_state_save(s, vma): the locks are about to be dropped. */
static __always_inline void uffd_retry(__u64 vma)
{
	struct task_state *ts = active_uffd_op();
	struct vm_area_struct *v = (void *)vma;

	if (!ts)
		return;
	op_retry(ts);
	ts->seq_mm = (__u64)BPF_CORE_READ(v, vm_mm);
	ts->seq_valid = mm_seq(ts->seq_mm, &ts->seq_before);
}

/*
 * mfill_retry_state_changed(): true aborts the retry with -EAGAIN.  Side
 * by side: would a mm_lock_seq check have aborted it, and was that abort
 * spurious (the snapshot check found nothing relevant changed)?
 */
static __always_inline void uffd_retry_checked(__u64 changed)
{
	struct task_state *ts = active_uffd_op();
	__u32 seq;
	bool moved;

	if (!ts)
		return;
	if ((__u8)changed)
		ts->op.retry_aborts++;
	if (!ts->seq_valid || !mm_seq(ts->seq_mm, &seq))
		return;
	moved = seq != ts->seq_before;
	ts->op.seq_aborts += moved;
	ts->op.seq_spurious += moved && !(__u8)changed;
	ts->seq_valid = 0;
}

/*
 * -EAGAIN from mfill_atomic_install_pte(): pte_offset_map_lock() failed.
 * These run once per page: the return value is tested before the task's
 * state is looked up.
 */
static __always_inline void uffd_install_ret(__s32 ret)
{
	struct task_state *ts;

	if (ret != -EAGAIN)
		return;
	ts = active_uffd_op();
	if (ts)
		ts->op.eagain_pte++;
}

/* -EAGAIN from mfill_get_vma(): mmap_changing (non-cooperative events) */
static __always_inline void uffd_get_vma_ret(__s32 ret)
{
	struct task_state *ts;

	if (ret != -EAGAIN)
		return;
	ts = active_uffd_op();
	if (ts)
		ts->op.eagain_changing++;
}

/* uffd_lock_vma() and friends: one call per attempt, so retries = n - 1. */
static __always_inline void uffd_relock(void)
{
	struct task_state *ts = active_uffd_op();

	if (!ts)
		return;
	if (ts->relocked)
		op_retry(ts);
	ts->relocked = 1;
}

HOOK_ENTRY(uffd_retry, mfill_retry_state_save, uffd_retry(ARG(1)))
HOOK_EXIT(uffd_changed, mfill_retry_state_changed, uffd_retry_checked(RET))
HOOK_ENTRY(uffd_relock, uffd_lock_vma, uffd_relock())
HOOK_EXIT(uffd_install, mfill_atomic_install_pte, uffd_install_ret(RET))
HOOK_EXIT(uffd_get_vma, mfill_get_vma, uffd_get_vma_ret(RET))

/*
 * 6.1 inlines the whole UFFDIO_COPY retry; what is left to see is the
 * retry taking mmap_read_lock again: within one operation every
 * acquisition after the first is a retry, except those of the page fault
 * that the copy outside the lock takes on the source page.
 */
static __always_inline bool in_page_fault(void *ctx)
{
	__u64 ips[8];
	long n;
	int i;

	n = bpf_get_stack(ctx, ips, sizeof(ips), 0);
	for (i = 0; i < 8; i++)
		if (i < n / 8 && ips[i] >= fault_lo && ips[i] < fault_hi)
			return true;
	return false;
}

SEC("raw_tp/mmap_lock_start_locking")
int rt_uffd_mmap_relock(void *ctx)
{
	/* the source page's fault takes mmap_lock (trylock) too */
	if (!active_uffd_op() || in_page_fault(ctx))
		return 0;
	uffd_relock();
	return 0;
}

/* ---- UFFDIO_MOVE and UFFDIO_WRITEPROTECT ------------------------------ */

/*
 * Their own family (pfnmap_kinds.def): active_uffd_op() ignores them, so
 * the fill retry hooks above never count inside them (move_pages() locks
 * its VMAs through uffd_lock_vma() too).
 */
static __always_inline struct task_state *active_kind_op(__u32 kind)
{
	struct task_state *ts = active_op();

	return ts && ts->op.kind == kind ? ts : NULL;
}

/*
 * move_pages() restarts a page itself on the -EAGAINs of its page walk
 * (folio locked, PTE changed, migration entry): the -EAGAIN it returns,
 * with nothing moved, is its mmap_changing check under the locks.
 */
static __always_inline void uffd_move_exit(__s64 ret)
{
	struct task_state *ts = active_kind_op(PFNMAP_K_UFFD_MOVE);

	if (ts && ret == -EAGAIN)
		ts->op.eagain_changing++;
	op_exit(PFNMAP_K_UFFD_MOVE, ret);
}

/*
 * mwriteprotect_range() returns 0, not a byte count: done is the range
 * asked for.  Its only -EAGAIN is the mmap_changing check.
 */
static __always_inline void uffd_wp_exit(__s64 ret)
{
	struct task_state *ts = active_kind_op(PFNMAP_K_UFFD_WP);

	if (ts && !ret)
		ts->op.pages = ts->op.len;
	if (ts && ret == -EAGAIN)
		ts->op.eagain_changing++;
	op_exit(PFNMAP_K_UFFD_WP, ret);
}

/* OP_HOOK()'s entry, and an exit that says where -EAGAIN came from */
#define UFFD_CTL_HOOK(name, func, k, exit)				\
	HOOK(name, func,						\
	     op_enter(k, src, ARG(layout[k].addr_arg),			\
		      ARG(layout[k].len_arg)),				\
	     exit(ret_of(RET, k)))

UFFD_CTL_HOOK(uffd_move, move_pages, PFNMAP_K_UFFD_MOVE, uffd_move_exit)
UFFD_CTL_HOOK(uffd_wp, mwriteprotect_range, PFNMAP_K_UFFD_WP, uffd_wp_exit)

/* ---- the userfaultfd ioctl handler ----------------------------------- */

/*
 * A kind seen whole at the handler (its function is inlined: 7.3's
 * move_pages()): the entry keeps the start and the user struct, the exit
 * makes the record, as the syscall view would but on UFFDIO_* only.
 */
static __always_inline void uffd_handler_enter(__u32 cmd, __u64 arg)
{
	__u64 pid_tgid;
	struct task_state *ts;
	int kind;

	if (!(handler_nrs & IOCTL_NR_BIT(cmd)))
		return;
	kind = ioctl_kind(cmd);
	pid_tgid = bpf_get_current_pid_tgid();
	if (kind < 0 || kind >= PFNMAP_K_MAX ||
	    ioctl_fill[kind] != PFNMAP_FILL_HANDLER || !wanted(pid_tgid))
		return;
	ts = task_get_or_new();
	if (!ts)
		return;
	ts->sys_start = bpf_ktime_get_ns();
	ts->sys_arg = arg;
	ts->sys_kind = kind;
	ts->handler_active = 1;
}

static __always_inline void uffd_handler_exit(__u32 kind, __s64 ret)
{
	struct task_state *ts = task_get();
	struct pfnmap_event *e;

	if (!ts || !ts->handler_active || ts->sys_kind != kind)
		return;
	ts->handler_active = 0;
	e = emit_new(bpf_get_current_pid_tgid(), kind, PFNMAP_S_FENTRY,
		     &ts->sys_start);
	if (!e)
		return;
	e->duration_ns = bpf_ktime_get_ns() - ts->sys_start;
	e->ret = ret;
	e->valid = kind_valid[kind];
	ioctl_args(e, kind, ts->sys_arg, ret);
	emit(e);
}

/*
 * A filled-in kind whose traced function did not run (UFFDIO_COPY's
 * early -EAGAIN while mmap_changing is set): this is its record.  Such
 * an ioctl did nothing worth timing.  An ioctl that succeeded reached
 * its function, and needs no look at the task: op_exit() flags those
 * that may fail.  (One that did all its work and then failed to write
 * the count back to user space, -EFAULT, would be counted twice.)
 */
static __always_inline void uffd_fill_exit(__u32 kind, __u64 arg, __s64 ret)
{
	struct task_state *ts = task_get();
	struct pfnmap_event *e;
	__u64 now;

	if (ts && ts->ioctl_reached) {
		ts->ioctl_reached = 0;
		return;
	}
	if (!wanted(bpf_get_current_pid_tgid()))
		return;
	now = bpf_ktime_get_ns();
	e = emit_new(bpf_get_current_pid_tgid(), kind, PFNMAP_S_FENTRY, &now);
	if (!e)
		return;
	e->ret = ret;
	ioctl_args(e, kind, arg, ret);
	fill_in(e, kind, ret);
	emit(e);
}

/*
 * Runs on every UFFDIO_*: a successful one returns at the first test
 * unless its kind is seen whole here.
 */
static __always_inline void uffd_ioctl_exit(__u32 cmd, __u64 arg, __s64 ret)
{
	int kind;

	if (ret >= 0 && !(handler_nrs & IOCTL_NR_BIT(cmd)))
		return;
	kind = ioctl_kind(cmd);
	if (kind < 0 || kind >= PFNMAP_K_MAX)
		return;
	if (ioctl_fill[kind] == PFNMAP_FILL_HANDLER)
		uffd_handler_exit(kind, ret);
	else if (ret < 0 && ioctl_fill[kind] == PFNMAP_FILL_FEXIT)
		uffd_fill_exit(kind, arg, ret);
}

/*
 * (file, cmd, arg): fentry/fexit only, a kretprobe no longer has the
 * arguments.  The entry is attached only for kinds seen whole here.
 */
SEC("fentry/userfaultfd_ioctl")
int fe_uffd_ioctl(void *ctx)
{
	uffd_handler_enter((__u32)fentry_arg(ctx, 1), fentry_arg(ctx, 2));
	return 0;
}

SEC("fexit/userfaultfd_ioctl")
int fx_uffd_ioctl(void *ctx)
{
	uffd_ioctl_exit((__u32)fentry_arg(ctx, 1), fentry_arg(ctx, 2),
			(__s64)fexit_ret(ctx));
	return 0;
}
