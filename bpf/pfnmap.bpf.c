// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * pfnmap.bpf.c - one record per VFIO pin / userfaultfd fill operation.
 *
 * Data path: an operation's entry probe creates per-task state (map
 * "tasks"), the probes of the functions it calls (follow_pfnmap_start,
 * fixup_user_fault, the uffd retry helpers, the vfio-pci fault handler)
 * bump counters in that state, and the exit probe sends the finished
 * record to the ring buffer.  Nothing is emitted per page.
 *
 * Every hook exists as fentry/fexit and as kprobe/kretprobe; user space
 * picks one per target (see user/targets.c) and binds it to the function
 * that exists on the running kernel.  The kernel-specific knowledge (which
 * argument holds the address, how the length is counted) comes in through
 * .rodata, so the code below is the same everywhere.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pfnmap.h"
#include "pfnmap_bpf.h"

#define EAGAIN	11

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile struct pfnmap_filter filter = {};
/* Per kind: argument layout of the function chosen for it. */
const volatile struct pfnmap_op_layout layout[PFNMAP_K_MAX] = {};
/* follow role: 0: follow_pfnmap_start(args), 1: follow_pte(mm|vma, addr, ...) */
const volatile __u32 follow_style = 0;
/* stack entries to skip to find the caller of a stand-alone leaf */
const volatile __u32 caller_skip = 0;
/* the page-fault handler's text, [lo, hi): its mmap_lock is no retry */
const volatile __u64 fault_lo = 0, fault_hi = 0;
/* kernel variables for telling the shared zero page (0: unknown) */
const volatile __u64 zero_pfn_addr = 0, vmemmap_base_addr = 0;
/* unread bytes in the ring buffer that make a record wake the consumer */
const volatile __u64 wakeup_bytes = 256 << 10;
/* vaddr_get_pfns() takes a struct vfio_batch * (7.x), not struct page ** */
const volatile __u32 vgp_batch = 0;

/* Writable after load: which kinds take the ioctl path, what is valid. */
__u16 kind_valid[PFNMAP_K_MAX] = {};
__u32 ioctl_cmd[PFNMAP_K_MAX] = {};
/*
 * 1: the kind's function is traced and the ioctl view only fills in the
 * ioctls that never reached it (UFFDIO_COPY returns -EAGAIN before
 * mfill_atomic_copy() while mmap_changing is set).
 */
__u8 ioctl_fill[PFNMAP_K_MAX] = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PFNMAP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/*
 * LRU: entries left behind by stand-alone fixup_user_fault() callers
 * (futex, ...) that never follow up are evicted first, never an
 * operation in flight, which touches its entry on every nested call.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct task_state);
} tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} tracked SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_zap);
} zaps SEC(".maps");

/* ioctls of the syscall view in flight, by tid (small: set per ioctl) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, __u32);
	__type(value, struct sys_op);
} sys_ops SEC(".maps");

/* A zeroed template: task_state is too big for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct task_state);
} zero SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/*
 * Waking the consumer costs more than producing the record (an irq_work
 * and a wake-up per record); consumers poll with a timeout anyway, so
 * wake them only when the ring buffer fills up.
 */
static __always_inline void rb_submit(void *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* The syscall view only fills in for this traced kind (see ioctl_fill). */
static __always_inline bool ioctl_kind_fill(__u32 kind)
{
	return kind < PFNMAP_K_MAX && ioctl_fill[kind];
}

static __always_inline bool comm_match(void)
{
	char comm[PFNMAP_COMM_LEN];
	int i;

	bpf_get_current_comm(comm, sizeof(comm));
	for (i = 0; i < PFNMAP_COMM_LEN; i++) {
		if (comm[i] != filter.comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

static __always_inline bool wanted(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32;

	if (filter.tgid && tgid != filter.tgid &&
	    !(filter.follow_children && bpf_map_lookup_elem(&tracked, &tgid)))
		return false;
	return !filter.use_comm || comm_match();
}

static __always_inline struct task_state *task_get(__u32 tid)
{
	return bpf_map_lookup_elem(&tasks, &tid);
}

static __always_inline struct task_state *task_get_or_new(__u32 tid)
{
	struct task_state *ts = task_get(tid);
	__u32 zkey = 0;

	if (ts)
		return ts;
	ts = bpf_map_lookup_elem(&zero, &zkey);
	if (!ts)
		return NULL;
	if (bpf_map_update_elem(&tasks, &tid, ts, BPF_NOEXIST) &&
	    !task_get(tid)) {
		stat_inc(PFNMAP_STAT_TASK_FULL);
		return NULL;
	}
	return task_get(tid);
}

/* Drops the task's entry unless it must remember a fault-in. */
static __always_inline void task_put(__u32 tid, struct task_state *ts)
{
	if (!ts->op_active && !ts->leaf_active && !ts->fixup_ok &&
	    !ts->zap_active)
		bpf_map_delete_elem(&tasks, &tid);
}

static __always_inline void fill_common(struct pfnmap_event *e, __u64 pid_tgid,
					__u8 kind, __u8 source, __u64 start)
{
	e->kind = kind;
	e->source = source;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->start_ns = start;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
}

static __always_inline void submit(const struct pfnmap_event *src)
{
	struct pfnmap_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(PFNMAP_STAT_RB_DROPS);
		return;
	}
	__builtin_memcpy(e, src, sizeof(*e));
	rb_submit(e);
}

/* ---- operations: vfio_pin, uffd_* ---------------------------------- */

static __always_inline __u32 task_switches(void)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	return BPF_CORE_READ(t, nvcsw) + BPF_CORE_READ(t, nivcsw);
}

static __always_inline __u64 task_locked_vm(void)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	return BPF_CORE_READ(t, mm, locked_vm);
}

static __always_inline bool fatal_pending(void)
{
	struct task_struct *t = (void *)bpf_get_current_task();

	/* SIGKILL is the only fatal signal that stays pending as such */
	return BPF_CORE_READ(t, pending.signal.sig[0]) & (1UL << 8) ||
	       BPF_CORE_READ(t, signal, shared_pending.signal.sig[0]) &
	       (1UL << 8);
}

/* Counts a retry of the op; the first one starts the retry clock. */
static __always_inline void op_retry(struct task_state *ts)
{
	if (!ts->op.retries++)
		ts->first_retry = bpf_ktime_get_ns();
}

/* The ioctl in flight reached its function: its record says it all. */
static __always_inline void mark_ioctl_saw_op(__u32 tid)
{
	struct sys_op *op = bpf_map_lookup_elem(&sys_ops, &tid);

	if (op)
		op->saw_op = 1;
}

static __always_inline int op_enter(__u32 kind, __u8 source, __u64 addr,
				    __u64 len)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts;

	if (kind >= PFNMAP_K_MAX || !wanted(pid_tgid))
		return 0;
	ts = task_get_or_new((__u32)pid_tgid);
	if (!ts)
		return 0;
	if (ts->op_active)
		ts->op.flags |= PFNMAP_EF_NESTED_LOST;
	if (ioctl_kind_fill(kind))
		mark_ioctl_saw_op((__u32)pid_tgid);
	__builtin_memset(&ts->op, 0, sizeof(ts->op));
	fill_common(&ts->op, pid_tgid, kind, source, bpf_ktime_get_ns());
	ts->op.addr = addr;
	ts->op.len = len >> layout[kind].len_shift;
	ts->op_active = 1;
	ts->retry_pending = 0;
	ts->relocked = 0;
	ts->seq_valid = 0;
	ts->nr_switches = task_switches();
	ts->locked_vm = task_locked_vm();
	return 0;
}

static __always_inline int op_exit(__u32 kind, __s64 ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts = task_get((__u32)pid_tgid);
	__u64 now;

	if (!ts || !ts->op_active || kind >= PFNMAP_K_MAX ||
	    ts->op.kind != kind)
		return 0;
	now = bpf_ktime_get_ns();
	ts->op.duration_ns = now - ts->op.start_ns;
	ts->op.ret = ret;
	if (ret > 0)
		ts->op.pages = ret >> layout[kind].ret_shift;
	if (ts->op.retries)
		ts->op.retry_ns = now - ts->first_retry;
	ts->op.nr_switches = task_switches() - ts->nr_switches;
	ts->op.fatal_signal = fatal_pending();
	ts->op.locked_delta = task_locked_vm() - ts->locked_vm;
	ts->op.valid = kind_valid[kind];
	submit(&ts->op);
	ts->op_active = 0;
	ts->fixup_ok = 0;
	task_put((__u32)pid_tgid, ts);
	return 0;
}

static __always_inline __u64 fentry_arg(void *ctx, __u32 n)
{
	__u64 v = 0;

	bpf_get_func_arg(ctx, n, &v);
	return v;
}

static __always_inline __u64 fexit_ret(void *ctx)
{
	__u64 v = 0;

	bpf_get_func_ret(ctx, &v);
	return v;
}

static __always_inline __u64 kprobe_arg(struct pt_regs *regs, __u32 n)
{
	switch (n) {
	case 0: return PT_REGS_PARM1_CORE(regs);
	case 1: return PT_REGS_PARM2_CORE(regs);
	case 2: return PT_REGS_PARM3_CORE(regs);
	case 3: return PT_REGS_PARM4_CORE(regs);
	case 4: return PT_REGS_PARM5_CORE(regs);
	default: return 0;
	}
}

/*
 * Sign-extends a return value of the width the kernel function declares
 * (int vs long): the fexit/kretprobe context holds the raw register.
 */
static __always_inline __s64 ret_of(__u64 raw, __u32 kind)
{
	if (kind < PFNMAP_K_MAX && layout[kind].ret_int)
		return (__s64)(__s32)raw;
	return (__s64)raw;
}

#define OP_FENTRY(name, kind)						\
SEC("fentry/" #name)							\
int fe_##name(void *ctx)						\
{									\
	return op_enter(kind, PFNMAP_S_FENTRY,				\
			fentry_arg(ctx, layout[kind].addr_arg),		\
			fentry_arg(ctx, layout[kind].len_arg));		\
}									\
SEC("fexit/" #name)							\
int fx_##name(void *ctx)						\
{									\
	return op_exit(kind, ret_of(fexit_ret(ctx), kind));		\
}									\
SEC("kprobe/" #name)							\
int kp_##name(struct pt_regs *regs)					\
{									\
	return op_enter(kind, PFNMAP_S_KPROBE,				\
			kprobe_arg(regs, layout[kind].addr_arg),	\
			kprobe_arg(regs, layout[kind].len_arg));	\
}									\
SEC("kretprobe/" #name)							\
int kr_##name(struct pt_regs *regs)					\
{									\
	return op_exit(kind, ret_of(PT_REGS_RC_CORE(regs), kind));	\
}

/* Names are the default targets; user space rebinds them per kernel. */
OP_FENTRY(vfio_pin, PFNMAP_K_VFIO_PIN)
OP_FENTRY(uffd_copy, PFNMAP_K_UFFD_COPY)
OP_FENTRY(uffd_zeropage, PFNMAP_K_UFFD_ZEROPAGE)
OP_FENTRY(uffd_continue, PFNMAP_K_UFFD_CONTINUE)
OP_FENTRY(uffd_poison, PFNMAP_K_UFFD_POISON)

/* ---- leaves: follow_pfnmap_start / fixup_user_fault ----------------- */

static __always_inline void leaf_enter(__u64 addr, __u64 uptr)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts = task_get((__u32)pid_tgid);

	if (!ts || !ts->op_active) {
		if (!wanted(pid_tgid))
			return;
		ts = task_get_or_new((__u32)pid_tgid);
		if (!ts)
			return;
	}
	ts->leaf_start = bpf_ktime_get_ns();
	ts->leaf_addr = addr;
	ts->leaf_uptr = uptr;
	ts->leaf_active = 1;
}

static __always_inline __u64 caller_ip(void *ctx)
{
	__u64 ips[4] = {};
	__u32 skip = caller_skip;

	if (bpf_get_stack(ctx, ips, sizeof(ips), 0) <= 0)
		return 0;
	return skip < 4 ? ips[skip & 3] : 0;
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
					__u64 pid_tgid, __u8 kind,
					__u8 source, __s64 ret, __u32 zap,
					__u32 unlocked)
{
	struct pfnmap_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(PFNMAP_STAT_RB_DROPS);
		return;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_common(e, pid_tgid, kind, source, ts->leaf_start);
	e->duration_ns = bpf_ktime_get_ns() - ts->leaf_start;
	e->ret = ret;
	e->addr = ts->leaf_addr;
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
	rb_submit(e);
}

static __always_inline int follow_exit(void *ctx, __u8 source, __s64 ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts = task_get((__u32)pid_tgid);
	__u32 zap;

	if (!ts || !ts->leaf_active)
		return 0;
	ts->leaf_active = 0;
	/* same page as the fault-in that just succeeded, yet not present */
	zap = ret && ts->fixup_ok &&
	      (ts->fixup_addr >> 12) == (ts->leaf_addr >> 12);
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
		return 0;
	}
	leaf_record(ctx, ts, pid_tgid, PFNMAP_K_FOLLOW_PFNMAP, source, ret,
		    zap, 0);
	task_put((__u32)pid_tgid, ts);
	return 0;
}

static __always_inline int fixup_exit(void *ctx, __u8 source, __s64 ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts = task_get((__u32)pid_tgid);
	bool unlocked = false;

	if (!ts || !ts->leaf_active)
		return 0;
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
		return 0;
	}
	leaf_record(ctx, ts, pid_tgid, PFNMAP_K_FIXUP_USER_FAULT, source, ret,
		    0, unlocked);
	task_put((__u32)pid_tgid, ts);
	return 0;
}

static __always_inline __u64 follow_addr(__u64 a0, __u64 a1)
{
	struct follow_pfnmap_args *args = (void *)a0;

	if (follow_style)
		return a1;
	return BPF_CORE_READ(args, address);
}

SEC("fentry/follow_pfnmap_start")
int fe_follow(void *ctx)
{
	leaf_enter(follow_addr(fentry_arg(ctx, 0), fentry_arg(ctx, 1)), 0);
	return 0;
}

SEC("fexit/follow_pfnmap_start")
int fx_follow(void *ctx)
{
	return follow_exit(ctx, PFNMAP_S_FENTRY, (int)fexit_ret(ctx));
}

SEC("kprobe/follow_pfnmap_start")
int kp_follow(struct pt_regs *regs)
{
	leaf_enter(follow_addr(PT_REGS_PARM1_CORE(regs),
			       PT_REGS_PARM2_CORE(regs)), 0);
	return 0;
}

SEC("kretprobe/follow_pfnmap_start")
int kr_follow(struct pt_regs *regs)
{
	return follow_exit(regs, PFNMAP_S_KPROBE, (int)PT_REGS_RC_CORE(regs));
}

/* fixup_user_fault(mm, address, fault_flags, bool *unlocked) */
SEC("fentry/fixup_user_fault")
int fe_fixup(void *ctx)
{
	leaf_enter(fentry_arg(ctx, 1), fentry_arg(ctx, 3));
	return 0;
}

SEC("fexit/fixup_user_fault")
int fx_fixup(void *ctx)
{
	return fixup_exit(ctx, PFNMAP_S_FENTRY, (int)fexit_ret(ctx));
}

SEC("kprobe/fixup_user_fault")
int kp_fixup(struct pt_regs *regs)
{
	leaf_enter(PT_REGS_PARM2_CORE(regs), PT_REGS_PARM4_CORE(regs));
	return 0;
}

SEC("kretprobe/fixup_user_fault")
int kr_fixup(struct pt_regs *regs)
{
	return fixup_exit(regs, PFNMAP_S_KPROBE, (int)PT_REGS_RC_CORE(regs));
}

/* ---- nested counters of the operation in flight ---------------------- */

static __always_inline struct task_state *active_op(void)
{
	struct task_state *ts = task_get((__u32)bpf_get_current_pid_tgid());

	return ts && ts->op_active ? ts : NULL;
}

static __always_inline struct task_state *active_uffd_op(void)
{
	struct task_state *ts = active_op();

	if (!ts || ts->op.kind < PFNMAP_K_UFFD_COPY ||
	    ts->op.kind > PFNMAP_K_UFFD_POISON)
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
static __always_inline int uffd_retry(__u64 vma)
{
	struct task_state *ts = active_uffd_op();
	struct vm_area_struct *v = (void *)vma;

	if (!ts)
		return 0;
	op_retry(ts);
	ts->seq_mm = (__u64)BPF_CORE_READ(v, vm_mm);
	ts->seq_valid = mm_seq(ts->seq_mm, &ts->seq_before);
	return 0;
}

/*
 * mfill_retry_state_changed(): true aborts the retry with -EAGAIN.  Side
 * by side: would a mm_lock_seq check have aborted it, and was that abort
 * spurious (the snapshot check found nothing relevant changed)?
 */
static __always_inline int uffd_retry_checked(__u64 changed)
{
	struct task_state *ts = active_uffd_op();
	__u32 seq;
	bool moved;

	if (!ts)
		return 0;
	if ((__u8)changed)
		ts->op.retry_aborts++;
	if (!ts->seq_valid || !mm_seq(ts->seq_mm, &seq))
		return 0;
	moved = seq != ts->seq_before;
	ts->op.seq_aborts += moved;
	ts->op.seq_spurious += moved && !(__u8)changed;
	ts->seq_valid = 0;
	return 0;
}

/* -EAGAIN from mfill_atomic_install_pte(): pte_offset_map_lock() failed */
static __always_inline int uffd_install_ret(__s32 ret)
{
	struct task_state *ts = active_uffd_op();

	if (ts && ret == -EAGAIN)
		ts->op.eagain_pte++;
	return 0;
}

/* -EAGAIN from mfill_get_vma(): mmap_changing (non-cooperative events) */
static __always_inline int uffd_get_vma_ret(__s32 ret)
{
	struct task_state *ts = active_uffd_op();

	if (ts && ret == -EAGAIN)
		ts->op.eagain_changing++;
	return 0;
}

/* uffd_lock_vma() and friends: one call per attempt, so retries = n - 1. */
static __always_inline int uffd_relock(void)
{
	struct task_state *ts = active_uffd_op();

	if (!ts)
		return 0;
	if (ts->relocked)
		op_retry(ts);
	ts->relocked = 1;
	return 0;
}

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

/* (mm, vaddr, npages, prot, unsigned long *pfn, pages or batch) */
SEC("fexit/vaddr_get_pfns")
int fx_vfio_get_pfns(void *ctx) { return vfio_get_pfns_exit(ctx); }

/* vfio-pci BAR fault handler: VM_FAULT_* with bits set is a failure. */
static __always_inline int bar_fault(void)
{
	struct task_state *ts = active_op();

	if (ts)
		ts->op.bar_faults++;
	return 0;
}

SEC("fentry/mfill_retry_state_save")
int fe_uffd_retry(void *ctx) { return uffd_retry(fentry_arg(ctx, 1)); }
SEC("kprobe/mfill_retry_state_save")
int kp_uffd_retry(struct pt_regs *regs)
{
	return uffd_retry(PT_REGS_PARM2_CORE(regs));
}

SEC("fexit/mfill_atomic_install_pte")
int fx_uffd_install(void *ctx) { return uffd_install_ret(fexit_ret(ctx)); }
SEC("kretprobe/mfill_atomic_install_pte")
int kr_uffd_install(struct pt_regs *regs)
{
	return uffd_install_ret(PT_REGS_RC_CORE(regs));
}

SEC("fexit/mfill_get_vma")
int fx_uffd_get_vma(void *ctx) { return uffd_get_vma_ret(fexit_ret(ctx)); }
SEC("kretprobe/mfill_get_vma")
int kr_uffd_get_vma(struct pt_regs *regs)
{
	return uffd_get_vma_ret(PT_REGS_RC_CORE(regs));
}

SEC("fexit/mfill_retry_state_changed")
int fx_uffd_changed(void *ctx) { return uffd_retry_checked(fexit_ret(ctx)); }
SEC("kretprobe/mfill_retry_state_changed")
int kr_uffd_changed(struct pt_regs *regs)
{
	return uffd_retry_checked(PT_REGS_RC_CORE(regs));
}

SEC("fentry/uffd_lock_vma")
int fe_uffd_relock(void *ctx) { return uffd_relock(); }
SEC("kprobe/uffd_lock_vma")
int kp_uffd_relock(struct pt_regs *regs) { return uffd_relock(); }

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
	return uffd_relock();
}

SEC("fentry/vfio_pci_mmap_huge_fault")
int fe_bar_fault(void *ctx) { return bar_fault(); }
SEC("kprobe/vfio_pci_mmap_huge_fault")
int kp_bar_fault(struct pt_regs *regs) { return bar_fault(); }

/* ---- the zapper: vfio_pci_zap_and_down_write_memory_lock() ----------- */

static __always_inline int zap_enter(void)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts = task_get_or_new((__u32)pid_tgid);
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
	return 0;
}

static __always_inline int zap_exit(void *ctx, __u8 source)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts = task_get((__u32)pid_tgid);
	struct pfnmap_event *e;
	struct last_zap *z;
	__u32 zero = 0;

	if (!ts || !ts->zap_active)
		return 0;
	ts->zap_active = 0;
	z = bpf_map_lookup_elem(&zaps, &zero);
	if (z && z->tid == (__u32)pid_tgid)
		z->end = bpf_ktime_get_ns();
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(PFNMAP_STAT_RB_DROPS);
	} else {
		__builtin_memset(e, 0, sizeof(*e));
		fill_common(e, pid_tgid, PFNMAP_K_VFIO_ZAP, source,
			    ts->zap_start);
		e->caller = caller_ip(ctx);
		e->duration_ns = bpf_ktime_get_ns() - ts->zap_start;
		e->valid = kind_valid[PFNMAP_K_VFIO_ZAP];
		rb_submit(e);
	}
	task_put((__u32)pid_tgid, ts);
	return 0;
}

SEC("fentry/vfio_pci_zap_and_down_write_memory_lock")
int fe_zap(void *ctx) { return zap_enter(); }
SEC("fexit/vfio_pci_zap_and_down_write_memory_lock")
int fx_zap(void *ctx) { return zap_exit(ctx, PFNMAP_S_FENTRY); }
SEC("kprobe/vfio_pci_zap_and_down_write_memory_lock")
int kp_zap(struct pt_regs *regs) { return zap_enter(); }
SEC("kretprobe/vfio_pci_zap_and_down_write_memory_lock")
int kr_zap(struct pt_regs *regs) { return zap_exit(regs, PFNMAP_S_KPROBE); }

/* ---- the syscall view: ioctl tracepoints ----------------------------- */

static __always_inline int ioctl_kind(__u32 cmd)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (ioctl_cmd[k] && ioctl_cmd[k] == cmd)
			return k;
	return -1;
}

/*
 * The syscall view keeps only what it needs between enter and exit, in a
 * map of its own: no per-task state, the record is built in the ring
 * buffer.  It runs on every UFFDIO_ and MAP_DMA ioctl: it must be cheap.
 */
SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_ioctl_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	int kind = ioctl_kind((__u32)ctx->args[1]);
	__u32 tid = (__u32)pid_tgid;
	struct sys_op op = {};

	if (kind < 0 || !wanted(pid_tgid))
		return 0;
	op.start = bpf_ktime_get_ns();
	op.arg = ctx->args[2];
	op.kind = kind;
	if (bpf_map_update_elem(&sys_ops, &tid, &op, BPF_ANY))
		stat_inc(PFNMAP_STAT_TASK_FULL);
	return 0;
}

/* Reads the ioctl's user struct: address, length, and what was done. */
static __always_inline void ioctl_args(struct pfnmap_event *e,
				       const struct sys_op *op, long ret)
{
	const volatile struct pfnmap_op_layout *l = &layout[op->kind];
	__u64 addr = 0, len = 0;
	__s64 done = 0;

	bpf_probe_read_user(&addr, sizeof(addr), (void *)(op->arg + l->uaddr_off));
	bpf_probe_read_user(&len, sizeof(len), (void *)(op->arg + l->ulen_off));
	if (l->udone_off)
		bpf_probe_read_user(&done, sizeof(done),
				    (void *)(op->arg + l->udone_off));
	else if (ret == 0)
		done = len;
	e->addr = addr;
	e->len = len >> 12;
	e->pages = done > 0 ? done >> 12 : 0;
}

/*
 * When the kind's function is traced, only an ioctl that never reached it
 * is recorded here: it did no retry and no lock drop, and its -EAGAIN can
 * only be the early mmap_changing check.
 */
static __always_inline void fill_in(struct pfnmap_event *e, __u32 kind,
				    long ret)
{
	__u16 v = kind_valid[kind];

	e->valid = v & (PFNMAP_V_PAGES | PFNMAP_V_RETRIES |
			PFNMAP_V_RETRY_TIME | PFNMAP_V_ABORTS | PFNMAP_V_SEQ |
			PFNMAP_V_EAGAIN_SRC);
	if (v & PFNMAP_V_EAGAIN_SRC)
		e->eagain_changing = ret == -EAGAIN;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int tp_ioctl_exit(struct trace_event_raw_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct pfnmap_event *e;
	struct sys_op *p, op;

	p = bpf_map_lookup_elem(&sys_ops, &tid);
	if (!p)
		return 0;
	op = *p;
	bpf_map_delete_elem(&sys_ops, &tid);
	if (op.kind >= PFNMAP_K_MAX || (ioctl_kind_fill(op.kind) && op.saw_op))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(PFNMAP_STAT_RB_DROPS);
		return 0;
	}
	__builtin_memset(e, 0, sizeof(*e));
	fill_common(e, pid_tgid, op.kind, PFNMAP_S_SYSCALL, op.start);
	e->duration_ns = bpf_ktime_get_ns() - op.start;
	e->ret = ctx->ret;
	e->valid = PFNMAP_V_PAGES;
	ioctl_args(e, &op, ctx->ret);
	if (ioctl_kind_fill(op.kind))
		fill_in(e, op.kind, ctx->ret);
	rb_submit(e);
	return 0;
}

/* ---- following `-- CMD` into its children ---------------------------- */

SEC("tracepoint/sched/sched_process_fork")
int tp_fork(struct trace_event_raw_sched_process_fork *ctx)
{
	__u32 parent = bpf_get_current_pid_tgid() >> 32;
	__u32 child = ctx->child_pid;
	__u8 one = 1;

	if (filter.follow_children && bpf_map_lookup_elem(&tracked, &parent))
		bpf_map_update_elem(&tracked, &child, &one, BPF_ANY);
	return 0;
}
