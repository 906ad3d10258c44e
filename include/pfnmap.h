/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pfnmap.h - the ABI between the BPF programs and user space.
 *
 * This is the only place where the per-operation record is defined.  BPF
 * code includes it after vmlinux.h, user space after <linux/types.h>.
 * Any change to struct pfnmap_event or to the meaning of a field bumps
 * PFNMAP_ABI_VERSION; the capture format embeds that number.
 */
#ifndef __PFNMAP_H
#define __PFNMAP_H

#define PFNMAP_ABI_VERSION	2
#define PFNMAP_COMM_LEN		16

/*
 * What one record describes, and the family of each kind: both from the
 * registry (pfnmap_kinds.def).  An operation is counted once, in the kind
 * that started it: a follow_pfnmap_start() called by vfio_pin_pages_remote()
 * is a nested counter of the vfio_pin record, never a record of its own.
 * Stand-alone calls (KVM, generic_access_phys, futex, ...) are records.
 */
enum pfnmap_family {
#define PFNMAP_FAMILY(id, ...)	PFNMAP_FAM_##id,
#include "pfnmap_kinds.def"
	PFNMAP_FAM_MAX,
};

/* A set of families, as in pfnmap_fields.def. */
#define PFNMAP_FB(fam)		(1U << PFNMAP_FAM_##fam)

enum pfnmap_kind {
#define PFNMAP_KIND(id, value, ...)	PFNMAP_K_##id = value,
#include "pfnmap_kinds.def"
	PFNMAP_K_MAX,
};

/* The kinds of one family, as a bit mask (kind values stay below 32). */
#define PFNMAP_KIND_IN(id, value, name, family, stands_for, meaning) \
	| (PFNMAP_FAM_##family == PFNMAP_FAM_CUR ? 1U << (value) : 0U)
enum {
#define PFNMAP_FAM_CUR		PFNMAP_FAM_UFFD
	PFNMAP_UFFD_KINDS = 0
#define PFNMAP_KIND PFNMAP_KIND_IN
#include "pfnmap_kinds.def"
	,
#undef PFNMAP_FAM_CUR
};
#undef PFNMAP_KIND_IN

/* How a record was observed.  Decides which fields can be known. */
enum pfnmap_source {
	PFNMAP_S_NONE = 0,
	PFNMAP_S_FENTRY,		/* fentry/fexit trampolines */
	PFNMAP_S_KPROBE,		/* kprobe/kretprobe */
	PFNMAP_S_SYSCALL,		/* syscalls:sys_{enter,exit}_ioctl */
	PFNMAP_S_RAW_TP,		/* a raw tracepoint (nested hooks only) */
	PFNMAP_S_MAX,
};

/*
 * Validity of the counters of a record, one bit per field of the registry
 * (pfnmap_fields.def).  A counter whose bit is clear is unknown (the
 * kernel inlined the place it would be counted at, or the record comes
 * from the syscall view); user space reports it as unknown, never as zero.
 */
enum pfnmap_field {
#define PFNMAP_FIELD(id, bit, ...)	PFNMAP_F_##id = bit,
#include "pfnmap_fields.def"
	PFNMAP_F_MAX,
};

enum {
#define PFNMAP_FIELD(id, bit, ...)	PFNMAP_V_##id = 1U << (bit),
#include "pfnmap_fields.def"
};

/*
 * One operation.  All times are CLOCK_MONOTONIC nanoseconds
 * (bpf_ktime_get_ns()).  192 bytes, naturally aligned, no padding holes.
 * What each counter means: pfnmap_fields.def.
 *
 * retries:	vfio_pin: lookups restarted after fixup_user_fault() dropped
 *		mmap_lock (*unlocked) or after a zap race (a patched kernel);
 *		uffd_*: lock drops to copy the source outside mmap_lock
 *		(the -ENOENT retry of mfill_atomic()).
 * zap_races:	follow_pfnmap_start() failed right after a successful
 *		fixup_user_fault() in the same task: the PFNMAP was zapped
 *		between fault-in and lookup.
 * retry_aborts: uffd_*: retries that found the VMA changed (-EAGAIN).
 * caller:	stand-alone follow/fixup records: the calling function's
 *		return address; vfio_zap: the zapping function's address.
 *
 * ABI 2 adds what the threads ask beyond counting (docs/questions.md):
 * zap_tid:	vfio_pin: the task whose vfio-pci zap started between the
 *		fault-in and the failed lookup of the op's last zap race;
 *		zap_gap_ns: from that fault-in's start to the zap's start.
 * retry_ns:	time from the first retry to the end of the operation.
 * seq_aborts:	uffd: retries during which mm->mm_lock_seq moved, i.e. that
 *		a per-mm sequence-count check would have aborted; of those,
 *		seq_spurious: the VMA snapshot check let the retry go on.
 * eagain_pte / eagain_changing: uffd -EAGAIN causes: pte_offset_map_lock()
 *		failed, or mmap_changing was set (VMA changed: retry_aborts).
 * zero_pages:	vfio_pin: pinned pages that are the shared zero page;
 * locked_delta: vfio_pin: change of mm->locked_vm (pages accounted).
 * nr_switches: context switches of the task during the operation;
 *		fatal_signal: a fatal signal was pending when it ended.
 */
struct pfnmap_event {
	__u8	kind;			/* enum pfnmap_kind */
	__u8	source;			/* enum pfnmap_source */
	__u16	valid;			/* PFNMAP_V_* */
	__u32	pid;			/* tgid */
	__u32	tid;
	__u32	flags;			/* PFNMAP_EF_* */
	__u64	cgroup_id;
	__u64	start_ns;
	__u64	duration_ns;
	__s64	ret;			/* return value (-errno on failure) */
	__u64	addr;			/* user address the operation works on */
	__u64	len;			/* pages asked for (0 if not known) */
	__u64	caller;
	__u32	pages;			/* pages done */
	__u32	retries;
	__u32	follow_calls;
	__u32	follow_fails;
	__u32	fixup_calls;
	__u32	fixup_fails;
	__u32	fixup_unlocked;
	__u32	zap_races;
	__u32	retry_aborts;
	__u32	bar_faults;		/* vfio-pci BAR faults inside the op */
	char	comm[PFNMAP_COMM_LEN];
	/* ABI 2 */
	__u32	zap_tid;
	__u32	zaps_attributed;
	__s64	zap_gap_ns;
	__u64	retry_ns;
	__u32	seq_aborts;
	__u32	seq_spurious;
	__u16	eagain_pte;
	__u16	eagain_changing;
	__u32	zero_pages;
	__s32	locked_delta;
	__u32	nr_switches;
	__u8	fatal_signal;
	__u8	reserved[15];	/* zero; room for ABI 3 */
};

/* struct pfnmap_event.flags */
#define PFNMAP_EF_NESTED_LOST	(1U << 0)	/* a nested op was dropped */
/*
 * Aggregating sessions only (never in a capture): the operation is
 * already counted in the in-kernel aggregates; the record is an
 * exemplar, sent for what only a record carries (zap attribution, ...).
 */
#define PFNMAP_EF_EXEMPLAR	(1U << 1)

/* Indexes of the per-CPU counters array (map "stats"). */
enum pfnmap_stat {
	PFNMAP_STAT_RB_DROPS = 0,	/* bpf_ringbuf_reserve() failed */
	PFNMAP_STAT_TASK_FULL,		/* no task state: storage_get failed */
	PFNMAP_STAT_AGG_FULL,		/* group map full: counted in "other" */
	PFNMAP_STAT_MAX,
};

/*
 * In-kernel aggregates (stat, export): per-CPU sums of the records an
 * operation would have sent, one struct pfnmap_agg per group.  This is
 * an ABI between the BPF programs and user space only; captures never
 * hold it.  The counters are indexed by the registry (PFNMAP_C_*).
 */
enum pfnmap_counter {
#define PFNMAP_COUNTER(id, ...)	PFNMAP_C_##id,
#include "pfnmap_fields.def"
	PFNMAP_C_MAX,
};

/* What a group key holds besides the kind (PFNMAP_AGG_BY_* bits). */
enum {
	PFNMAP_AGG_BY_PID	= 1U << 0,	/* pid and comm */
	PFNMAP_AGG_BY_COMM	= 1U << 1,
	PFNMAP_AGG_BY_CGROUP	= 1U << 2,
	PFNMAP_AGG_BY_CALLER	= 1U << 3,
};

/* Which records an aggregating session still sends (exemplars). */
enum {
	PFNMAP_EX_ZAP_RACE	= 1U << 0,	/* zap races: attribution */
	PFNMAP_EX_RETRY		= 1U << 1,	/* retries, aborts, what-if */
	PFNMAP_EX_ERROR		= 1U << 2,	/* every failed operation */
	PFNMAP_EX_SLOW		= 1U << 3,	/* longer than exemplar_ns */
};

struct pfnmap_agg_key {
	__u8	kind;
	__u8	pad[3];
	__u32	pid;
	__u64	cgroup_id;
	__u64	caller;
	char	comm[PFNMAP_COMM_LEN];
};

/*
 * Latency buckets: the log-linear layout of user space's histogram
 * (2^PFNMAP_HIST_SUB_BITS buckets per power of two), up to 2^40 ns
 * (18 minutes); longer durations land in the last bucket, the exact
 * maximum is kept apart.
 */
#define PFNMAP_HIST_SUB_BITS	4
#define PFNMAP_AGG_LAT_LOG	40
#define PFNMAP_AGG_LAT_BUCKETS \
	((PFNMAP_AGG_LAT_LOG - PFNMAP_HIST_SUB_BITS + 1) << PFNMAP_HIST_SUB_BITS)
/* Errnos below this one by one, the others in err_other. */
#define PFNMAP_AGG_ERRNOS	64
#define PFNMAP_AGG_RETRY_DIST	33

struct pfnmap_agg {
	__u64	ops;
	__u64	errors;
	__u64	err_other;
	__u64	sources;		/* bit per enum pfnmap_source seen */
	/*
	 * Ops by validity: nearly every op of a kind has the same valid bits,
	 * so the first two masks a group sees are counted whole, and known[]
	 * holds only the ops of any other mask: user space adds them up.
	 */
	__u64	vmask[2];
	__u64	vmask_ops[2];
	__u64	first_ns;		/* start of the first and last op */
	__u64	last_ns;
	__u64	lat_sum;
	__u64	lat_min;
	__u64	lat_max;
	__u64	known[PFNMAP_F_MAX];	/* ops of other masks, field valid */
	__u64	c[PFNMAP_C_MAX];	/* SUM: sum, MAX: largest; else 0 */
	__u64	err[PFNMAP_AGG_ERRNOS];	/* by -ret */
	__u64	retry_dist[PFNMAP_AGG_RETRY_DIST];	/* as agg_stats */
	__u64	lat[PFNMAP_AGG_LAT_BUCKETS];
};

/*
 * Loader configuration, set in .rodata before load: where the function
 * chosen for a kind keeps its arguments, so one BPF program serves every
 * kernel generation (user/targets.c owns these numbers).
 */
struct pfnmap_op_layout {
	__u8	addr_arg;		/* argument index of the user address */
	__u8	len_arg;		/* argument index of the length */
	__u8	len_shift;		/* length >> len_shift = pages */
	__u8	ret_shift;		/* positive return >> ret_shift = pages */
	__u8	ret_int;		/* the function returns int, not long */
	__u8	uaddr_off;		/* ioctl view: offsets in the UAPI struct */
	__u8	ulen_off;
	__u8	udone_off;		/* 0: none, done = len on success */
};

/*
 * ioctl_fill[kind] (.bss): TP and FEXIT: the kind's function is traced,
 * and the ioctls that never reached it are recorded from the ioctl by the
 * syscall tracepoints, or by the fexit of the userfaultfd ioctl handler.
 * HANDLER: the kind's function cannot be traced (inlined), and its ioctls
 * are recorded whole from that handler's entry and exit.
 */
enum pfnmap_ioctl_fill {
	PFNMAP_FILL_NONE = 0,
	PFNMAP_FILL_TP,
	PFNMAP_FILL_FEXIT,
	PFNMAP_FILL_HANDLER,
};

/* Filters, set in .rodata before load. */
struct pfnmap_filter {
	__u32	tgid;			/* 0: any */
	__u32	follow_children;	/* track tgids in map "tracked" */
	__u32	use_comm;
	char	comm[PFNMAP_COMM_LEN];
	/* aggregating sessions: see enum pfnmap_agg_by, PFNMAP_EX_* */
	__u32	aggregate;		/* 0: every operation is a record */
	__u32	agg_by;
	__u32	exemplars;
	__u32	pad;
	__u64	exemplar_ns;		/* PFNMAP_EX_SLOW threshold */
};

#endif /* __PFNMAP_H */
