/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * common.h - pfnmap's BPF side builds one record per VFIO pin /
 * userfaultfd fill operation; this is what the programs of every family
 * share: maps, globals, per-task state, records, the HOOK_* macros.
 *
 * Data path: an operation's entry probe finds its task's state (task local
 * storage "tasks"), the probes of the functions it calls (follow_pfnmap_start,
 * fixup_user_fault, the uffd retry helpers, the vfio-pci fault handler)
 * bump counters in that state, and the exit probe sends the finished
 * record to the ring buffer.  Nothing is emitted per page.
 *
 * Every hook exists as fentry/fexit and as kprobe/kretprobe; user space
 * picks one per target (see src/loader/targets.c) and binds it to the
 * function that exists on the running kernel.  The kernel-specific
 * knowledge (which argument holds the address, how the length is counted)
 * comes in through .rodata, so the code is the same everywhere.
 *
 * One .bpf.c per family (common, vfio, uffd, leaf, ioctl), linked into one
 * object and one skeleton by `bpftool gen object`.  The maps and globals
 * below are defined once, in common.bpf.c, and declared extern here; the
 * static linker resolves every extern to that definition (and checks that
 * an extern map's definition is the same), so all files share one map of
 * each and one .rodata/.bss.
 */
#ifndef __PFNMAP_COMMON_H
#define __PFNMAP_COMMON_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "pfnmap.h"
#include "pfnmap_agg.h"

#define EAGAIN	11

/* ---- state private to the BPF programs (never read by user space) ---- */

/*
 * Per-task state (one per thread).  "op" is the operation in flight (one
 * at a time: none of the traced operations nests in another), "leaf" the
 * follow/fixup call in progress, "sys" the ioctl of the syscall view
 * between its enter and exit.  It lives as long as the task: fields are
 * valid only under their *_active/fixup_ok flag, and op_enter() resets
 * what an operation reads.
 */
struct task_state {
	struct pfnmap_event op;
	__u64	leaf_start;		/* fixup, and leaves outside an op */
	__u64	leaf_addr;		/* address, or (leaf_args) where it is */
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
	__u8	sys_active;		/* an ioctl of the syscall view */
	__u8	ioctl_reached;		/* a filled-in kind's function ran */
	__u8	sys_kind;
	__u8	handler_active;		/* a kind seen whole at its handler */
	__u8	leaf_args;		/* leaf_addr: a struct follow_pfnmap_args * */
	__u8	pad[1];
	__u64	sys_start;		/* syscall view and handler view */
	__u64	sys_arg;		/* user pointer of the ioctl's struct */
};

/* The last vfio-pci zap seen (any task): what explains a zap race. */
struct last_zap {
	__u64	start;
	__u64	end;			/* 0 while the zap is in progress */
	__u32	tid;
	__u32	pad;
};

/* ---- globals: set by the loader (defined in common.bpf.c) ------------ */

extern const volatile struct pfnmap_filter filter;
/* Per kind: argument layout of the function chosen for it. */
extern const volatile struct pfnmap_op_layout layout[PFNMAP_K_MAX];
/* follow role: 0: follow_pfnmap_start(args), 1: follow_pte(mm|vma, addr, ...) */
extern const volatile __u32 follow_style;
/* stack entries to skip to find the caller of a stand-alone leaf */
extern const volatile __u32 caller_skip;
/* the page-fault handler's text, [lo, hi): its mmap_lock is no retry */
extern const volatile __u64 fault_lo, fault_hi;
/* kernel variables for telling the shared zero page (0: unknown) */
extern const volatile __u64 zero_pfn_addr, vmemmap_base_addr;
/* unread bytes in the ring buffer that make a record wake the consumer */
extern const volatile __u64 wakeup_bytes;
/* vaddr_get_pfns() takes a struct vfio_batch * (7.x), not struct page ** */
extern const volatile __u32 vgp_batch;
/* bit per _IOC_TYPE of every ioctl any view may want: the first filter */
extern const volatile __u32 ioctl_types[8];

/* Writable after load: which kinds take the ioctl path, what is valid. */
extern __u16 kind_valid[PFNMAP_K_MAX];
extern __u32 ioctl_cmd[PFNMAP_K_MAX];
/*
 * PFNMAP_FILL_*: the kind's function is traced and only the ioctls that
 * never reached it (UFFDIO_COPY returns -EAGAIN before mfill_atomic_copy()
 * while mmap_changing is set) are recorded from the ioctl, by the
 * tracepoints or by the fexit of the userfaultfd ioctl handler.
 */
extern __u8 ioctl_fill[PFNMAP_K_MAX];
/*
 * Bit per _IOC_NR() of the commands of the kinds with PFNMAP_FILL_HANDLER:
 * the handler's entry and exit test it before anything else.
 */
extern __u64 handler_nrs;
/*
 * Ioctls of the syscall view between their enter and exit, machine-wide.
 * While there are none, the exit of every other ioctl on the machine
 * returns after one load: no storage lookup.  Never below the truth
 * (an exit decrements only what its enter counted).
 */
extern __u32 sys_inflight;

/* ---- maps (defined in common.bpf.c, with these types) ---------------- */

struct events_map {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20);
};
extern struct events_map events SEC(".maps");

struct stats_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PFNMAP_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
};
extern struct stats_map stats SEC(".maps");

/*
 * Task local storage: found from current in a few loads (no hash, no
 * insert or delete per operation), created zeroed on a task's first
 * traced call, freed with the task, never evicted.  State that must
 * outlive a call (a stand-alone fixup_user_fault()'s fault-in, waiting
 * for the lookup after it) simply stays.
 */
struct tasks_map {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_state);
};
extern struct tasks_map tasks SEC(".maps");

struct tracked_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
};
extern struct tracked_map tracked SEC(".maps");

struct zaps_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_zap);
};
extern struct zaps_map zaps SEC(".maps");

/*
 * Aggregating sessions (stat, top, export): groups of in-kernel sums.
 * By kind alone they live in the per-CPU array "agg_kinds" (an inlined
 * lookup); with finer keys in the per-CPU hash "aggs", sized by the
 * loader, whose overflow goes to the kind's entry of "agg_kinds" (the
 * "other" group).
 */
struct agg_kinds_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PFNMAP_K_MAX);
	__type(key, __u32);
	__type(value, struct pfnmap_agg);
};
extern struct agg_kinds_map agg_kinds SEC(".maps");

struct aggs_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, struct pfnmap_agg_key);
	__type(value, struct pfnmap_agg);
};
extern struct aggs_map aggs SEC(".maps");

/* A zeroed group, the value a new "aggs" entry starts from. */
struct agg_zero_map {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pfnmap_agg);
};
extern struct agg_zero_map agg_zero SEC(".maps");

/* Where an aggregating session builds a record that is not sent. */
struct scratch_map {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pfnmap_event);
};
extern struct scratch_map scratch SEC(".maps");

/* ---- records --------------------------------------------------------- */

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		*v += 1;
}

/*
 * comm and cgroup of the current task: read per operation only when a
 * record is sent or the groups are keyed by them.
 */
static __always_inline bool task_ids_needed(void)
{
	return !filter.aggregate ||
	       (filter.agg_by & (PFNMAP_AGG_BY_PID | PFNMAP_AGG_BY_COMM |
				 PFNMAP_AGG_BY_CGROUP));
}

static __always_inline void fill_task_ids(struct pfnmap_event *e)
{
	struct task_struct *t = bpf_get_current_task_btf();

	e->cgroup_id = bpf_get_current_cgroup_id();
	/*
	 * Two loads instead of the helper's string copy: the kernel keeps
	 * comm NUL-padded (__set_task_comm() pads).
	 */
	__builtin_memcpy(e->comm, (void *)t->comm, 8);
	__builtin_memcpy(e->comm + 8, (void *)t->comm + 8, 8);
}

static __always_inline void fill_common(struct pfnmap_event *e, __u64 pid_tgid,
					__u8 kind, __u8 source, __u64 start)
{
	e->kind = kind;
	e->source = source;
	e->pid = pid_tgid >> 32;
	e->tid = (__u32)pid_tgid;
	e->start_ns = start;
	if (task_ids_needed())
		fill_task_ids(e);
}

/*
 * A record's room: in the ring buffer (a full one is counted in "stats",
 * never silent) or, in an aggregating session, in the per-CPU scratch
 * record that emit() adds to the groups.  filter.aggregate is constant
 * once loaded: the verifier sees one of the two paths only.
 */
static __always_inline struct pfnmap_event *emit_reserve(void)
{
	struct pfnmap_event *e;
	__u32 zero = 0;

	if (filter.aggregate)
		return bpf_map_lookup_elem(&scratch, &zero);
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		stat_inc(PFNMAP_STAT_RB_DROPS);
	return e;
}

/*
 * A record built in place: zeroed, then what every one has.  *start is
 * read only once there is room (nothing is read for a drop).
 */
static __always_inline struct pfnmap_event *emit_new(__u64 pid_tgid,
						     __u8 kind, __u8 source,
						     const __u64 *start)
{
	struct pfnmap_event *e = emit_reserve();

	if (e) {
		__builtin_memset(e, 0, sizeof(*e));
		fill_common(e, pid_tgid, kind, source, *start);
	}
	return e;
}

/*
 * Waking the consumer costs more than producing the record (an irq_work
 * and a wake-up per record); consumers poll with a timeout anyway, so
 * wake them only when the ring buffer fills up.
 */
static __always_inline void submit(struct pfnmap_event *e)
{
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_submit(e, flags);
}

/* The group of a record: see the maps above. */
static __always_inline struct pfnmap_agg *
agg_group(const struct pfnmap_event *e)
{
	struct pfnmap_agg_key k = {};
	struct pfnmap_agg *a;
	__u32 kind = e->kind, zero = 0;
	void *z;

	if (!filter.agg_by)
		return bpf_map_lookup_elem(&agg_kinds, &kind);
	k.kind = e->kind;
	if (filter.agg_by & PFNMAP_AGG_BY_PID)
		k.pid = e->pid;
	if (filter.agg_by & (PFNMAP_AGG_BY_PID | PFNMAP_AGG_BY_COMM))
		__builtin_memcpy(k.comm, e->comm, sizeof(k.comm));
	if (filter.agg_by & PFNMAP_AGG_BY_CGROUP)
		k.cgroup_id = e->cgroup_id;
	if (filter.agg_by & PFNMAP_AGG_BY_CALLER)
		k.caller = e->caller;
	a = bpf_map_lookup_elem(&aggs, &k);
	if (a)
		return a;
	/* another CPU may insert it first (-EEXIST): look it up again */
	z = bpf_map_lookup_elem(&agg_zero, &zero);
	if (z)
		bpf_map_update_elem(&aggs, &k, z, BPF_NOEXIST);
	a = bpf_map_lookup_elem(&aggs, &k);
	if (a)
		return a;
	stat_inc(PFNMAP_STAT_AGG_FULL);
	return bpf_map_lookup_elem(&agg_kinds, &kind);
}

static __always_inline void agg_account(const struct pfnmap_event *e)
{
	struct pfnmap_agg *a = agg_group(e);

	if (a)
		pfnmap_agg_add(a, e);
}

/* What an aggregating session still sends, as filter.exemplars asks. */
static __always_inline bool exemplar(const struct pfnmap_event *e)
{
	__u32 x = filter.exemplars;

	if ((x & PFNMAP_EX_ZAP_RACE) && e->zap_races)
		return true;
	if ((x & PFNMAP_EX_RETRY) &&
	    (e->retries || e->retry_aborts || e->seq_aborts))
		return true;
	if ((x & PFNMAP_EX_ERROR) && e->ret < 0)
		return true;
	return (x & PFNMAP_EX_SLOW) && e->duration_ns >= filter.exemplar_ns;
}

/* Counted in the groups; sent as an exemplar when it is one. */
static __always_inline void emit_agg(struct pfnmap_event *src)
{
	struct pfnmap_event *e;

	agg_account(src);
	if (!exemplar(src))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		stat_inc(PFNMAP_STAT_RB_DROPS);
		return;
	}
	__builtin_memcpy(e, src, sizeof(*e));
	if (!task_ids_needed())
		fill_task_ids(e);
	e->flags |= PFNMAP_EF_EXEMPLAR;
	submit(e);
}

/* Sends (or, aggregating, counts) a record made by emit_new(). */
static __always_inline void emit(struct pfnmap_event *e)
{
	if (filter.aggregate)
		emit_agg(e);
	else
		submit(e);
}

/* ---- per-task state -------------------------------------------------- */

/* The syscall view only fills in for this traced kind (see ioctl_fill). */
static __always_inline bool ioctl_kind_fill(__u32 kind)
{
	return kind < PFNMAP_K_MAX && ioctl_fill[kind];
}

/* _IOC_TYPE(), _IOC_NR(): the same bits on every architecture */
#define IOCTL_TYPE(cmd)		(((cmd) >> 8) & 0xff)
#define IOCTL_NR_BIT(cmd)	(1ULL << ((cmd) & 63))

/*
 * The kind of an ioctl command, -1 if none of ours.  The type byte is
 * tested against .rodata first: an unrelated ioctl costs a load and a
 * test, no loop and no map lookup.
 */
static __always_inline int ioctl_kind(__u32 cmd)
{
	__u32 t = IOCTL_TYPE(cmd);
	int k;

	if (!(ioctl_types[t / 32] & (1U << (t % 32))))
		return -1;
	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (ioctl_cmd[k] && ioctl_cmd[k] == cmd)
			return k;
	return -1;
}

/* The u64 at byte off of the ioctl's struct, read whole into u[]. */
static __always_inline __u64 ioctl_u64(const __u64 *u, __u32 off)
{
	return u[(off / 8) & 7];
}

/*
 * Reads the ioctl's user struct: address, length, and what was done.
 * One read of the struct's first bytes, up to its last field we use,
 * rather than one per field (each a fault-safe user access).  Every
 * field we read is 8-byte aligned in its UAPI struct.
 */
static __always_inline void ioctl_args(struct pfnmap_event *e, __u32 kind,
				       __u64 arg, long ret)
{
	const volatile struct pfnmap_op_layout *l = &layout[kind];
	__u32 end = l->uaddr_off;
	__u64 u[8] = {}, addr, len;
	__s64 done = 0;

	if (l->ulen_off > end)
		end = l->ulen_off;
	if (l->udone_off > end)
		end = l->udone_off;
	end = (end & 0x38) + 8;
	bpf_probe_read_user(u, end, (void *)arg);
	addr = ioctl_u64(u, l->uaddr_off);
	len = ioctl_u64(u, l->ulen_off);
	if (l->udone_off)
		done = ioctl_u64(u, l->udone_off);
	else if (ret == 0)
		done = len;
	e->addr = addr;
	e->len = len >> 12;
	e->pages = done > 0 ? done >> 12 : 0;
}

/*
 * When the kind's function is traced, only an ioctl that never reached it
 * is recorded from the ioctl: it did no retry and no lock drop, and its
 * -EAGAIN can only be the early mmap_changing check.
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

static __always_inline struct task_state *task_get(void)
{
	return bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0, 0);
}

/* Fails only without memory or when nested in another storage call. */
static __always_inline struct task_state *task_get_or_new(void)
{
	struct task_state *ts;

	ts = bpf_task_storage_get(&tasks, bpf_get_current_task_btf(), 0,
				  BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!ts)
		stat_inc(PFNMAP_STAT_TASK_FULL);
	return ts;
}

/* The task's operation in flight, if any. */
static __always_inline struct task_state *active_op(void)
{
	struct task_state *ts = task_get();

	return ts && ts->op_active ? ts : NULL;
}

/* Counts a retry of the op; the first one starts the retry clock. */
static __always_inline void op_retry(struct task_state *ts)
{
	if (!ts->op.retries++)
		ts->first_retry = bpf_ktime_get_ns();
}

/*
 * The caller of the traced function: the stack entry after the traced
 * function's own (its fentry call site, a few bytes into it: what the
 * trampoline returns to).  How many trampoline frames come before that
 * one differs between kernels (6.1 and 6.12 have one more than 7.3), so
 * it is found, not counted; caller_skip is the fallback when it is not
 * there (kretprobe: the function has returned).
 */
static __always_inline __u64 caller_ip(void *ctx)
{
	__u64 ips[6] = {};
	__u64 fn = bpf_get_func_ip(ctx);
	__u32 skip = caller_skip;
	int i;

	if (bpf_get_stack(ctx, ips, sizeof(ips), 0) <= 0)
		return 0;
	for (i = 0; i < 5; i++)
		if (fn && ips[i] >= fn && ips[i] < fn + 16)
			return ips[i + 1];
	return skip < 6 ? ips[skip] : 0;
}

/* ---- operations: vfio_pin, uffd_* ------------------------------------ */

/*
 * The current task's fields are read through its BTF pointer: plain loads
 * (the verifier makes the ones behind another pointer fault-safe), not a
 * bpf_probe_read_kernel() call each.
 */
static __always_inline __u32 task_switches(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return t->nvcsw + t->nivcsw;
}

static __always_inline __u64 task_locked_vm(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	return t->mm ? t->mm->locked_vm : 0;
}

static __always_inline bool fatal_pending(void)
{
	struct task_struct *t = bpf_get_current_task_btf();

	/* SIGKILL is the only fatal signal that stays pending as such */
	return (t->pending.signal.sig[0] & (1UL << 8)) ||
	       (t->signal->shared_pending.signal.sig[0] & (1UL << 8));
}

static __always_inline void op_enter(__u32 kind, __u8 source, __u64 addr,
				     __u64 len)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct task_state *ts;

	if (kind >= PFNMAP_K_MAX || !wanted(pid_tgid))
		return;
	ts = task_get_or_new();
	if (!ts)
		return;
	if (ts->op_active)
		ts->op.flags |= PFNMAP_EF_NESTED_LOST;
	/* the ioctl in flight reached its function: its record says it all */
	if (kind < PFNMAP_K_MAX && ioctl_fill[kind] == PFNMAP_FILL_TP)
		ts->ioctl_reached = 1;
	__builtin_memset(&ts->op, 0, sizeof(ts->op));
	fill_common(&ts->op, pid_tgid, kind, source, bpf_ktime_get_ns());
	ts->op.addr = addr;
	ts->op.len = len >> layout[kind].len_shift;
	ts->op_active = 1;
	ts->retry_pending = 0;
	ts->relocked = 0;
	ts->seq_valid = 0;
	ts->pfnmap_lookup = 0;
	/* task_struct/mm reads only for the kinds that report them */
	if (kind_valid[kind] & PFNMAP_V_SCHED)
		ts->nr_switches = task_switches();
	if (kind_valid[kind] & PFNMAP_V_LOCKED)
		ts->locked_vm = task_locked_vm();
}

static __always_inline void op_exit(__u32 kind, __s64 ret)
{
	struct task_state *ts = task_get();
	struct pfnmap_event *e;
	__u64 now;

	if (!ts || !ts->op_active || kind >= PFNMAP_K_MAX ||
	    ts->op.kind != kind)
		return;
	now = bpf_ktime_get_ns();
	ts->op.duration_ns = now - ts->op.start_ns;
	ts->op.ret = ret;
	if (ret > 0)
		ts->op.pages = ret >> layout[kind].ret_shift;
	if (ts->op.retries)
		ts->op.retry_ns = now - ts->first_retry;
	ts->op.valid = kind_valid[kind];
	if (ts->op.valid & PFNMAP_V_SCHED) {
		ts->op.nr_switches = task_switches() - ts->nr_switches;
		ts->op.fatal_signal = fatal_pending();
	}
	if (ts->op.valid & PFNMAP_V_LOCKED)
		ts->op.locked_delta = task_locked_vm() - ts->locked_vm;
	/*
	 * The handler's fexit looks at its task only when the ioctl failed
	 * (uffd_ioctl_exit()): say "reached" only when it may fail, when the
	 * function failed or did less than asked (the ioctl then returns
	 * -EAGAIN), so that no flag outlives its ioctl.
	 */
	if (ioctl_fill[kind] == PFNMAP_FILL_FEXIT &&
	    (ret < 0 || ts->op.pages < ts->op.len))
		ts->ioctl_reached = 1;
	/* built in the task's state all along: copied out whole */
	if (filter.aggregate) {
		emit_agg(&ts->op);
	} else {
		e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
		if (e) {
			__builtin_memcpy(e, &ts->op, sizeof(*e));
			submit(e);
		} else {
			stat_inc(PFNMAP_STAT_RB_DROPS);
		}
	}
	ts->op_active = 0;
	ts->fixup_ok = 0;
}

/* ---- hooks: one definition, fentry/fexit and kprobe/kretprobe forms --- */

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

/*
 * A hook is written once.  HOOK_ENTRY(name, func, stmt) defines fe_<name>
 * (fentry/func) and kp_<name> (kprobe/func), HOOK_EXIT fx_<name> (fexit)
 * and kr_<name> (kretprobe), HOOK both: the program names the loader
 * expects (PROGS() in src/loader/targets.c).  func is only the default
 * target: the loader binds each program to the function it found.
 *
 * In stmt: ARG(n) is the function's n-th argument, RET its raw return
 * value, src the form's PFNMAP_S_FENTRY or PFNMAP_S_KPROBE and ctx the
 * program's context.  src is a constant in each form, so the other
 * form's side of ARG() and RET is compiled out: each program is exactly
 * what it would be written by hand.
 */
#define ARG(n)	(src == PFNMAP_S_FENTRY ? fentry_arg(ctx, n) :		\
		 kprobe_arg((struct pt_regs *)ctx, n))
#define RET	(src == PFNMAP_S_FENTRY ? fexit_ret(ctx) :		\
		 (__u64)PT_REGS_RC_CORE((struct pt_regs *)ctx))

#define HOOK_FORM(sec, prog, func, ctx_type, form, stmt)		\
SEC(sec "/" #func)							\
int prog(ctx_type ctx)							\
{									\
	const __u8 src = form;						\
									\
	(void)src;							\
	stmt;								\
	return 0;							\
}

#define HOOK_ENTRY(name, func, stmt)					\
	HOOK_FORM("fentry", fe_##name, func, void *,			\
		  PFNMAP_S_FENTRY, stmt)				\
	HOOK_FORM("kprobe", kp_##name, func, struct pt_regs *,		\
		  PFNMAP_S_KPROBE, stmt)

#define HOOK_EXIT(name, func, stmt)					\
	HOOK_FORM("fexit", fx_##name, func, void *,			\
		  PFNMAP_S_FENTRY, stmt)				\
	HOOK_FORM("kretprobe", kr_##name, func, struct pt_regs *,	\
		  PFNMAP_S_KPROBE, stmt)

#define HOOK(name, func, entry_stmt, exit_stmt)				\
	HOOK_ENTRY(name, func, entry_stmt)				\
	HOOK_EXIT(name, func, exit_stmt)

/*
 * An operation of kind k: its record from entry to exit.  The name is
 * the default target too; the layout of the function the loader chose
 * says where its address and length are.
 */
#define OP_HOOK(name, k)						\
	HOOK(name, name,						\
	     op_enter(k, src, ARG(layout[k].addr_arg),			\
		      ARG(layout[k].len_arg)),				\
	     op_exit(k, ret_of(RET, k)))

#endif /* __PFNMAP_COMMON_H */
