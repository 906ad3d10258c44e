/* SPDX-License-Identifier: GPL-2.0 */
/*
 * session.h - a live tracing session: load and attach the BPF programs
 * (choosing per target fentry/fexit, kprobe or the ioctl tracepoints),
 * then hand each record to a callback.  Every command that traces
 * (stat, top, record) goes through this interface.
 */
#ifndef __PFNMAP_SESSION_H
#define __PFNMAP_SESSION_H

#include <stdbool.h>
#include <linux/types.h>
#include "pfnmap.h"

struct session_opts {
	__u32		tgid;		/* -p: 0 for any */
	bool		follow_children;/* also trace tgids forked from tgid */
	const char	*comm;		/* -c: NULL for any */
	__u32		kinds;		/* -k: bitmask of 1 << enum pfnmap_kind, 0: all */
	bool		force_syscall;	/* --mode syscall: skip fentry/kprobe (testing) */
	bool		no_fentry;	/* --mode kprobe: skip fentry */
	bool		prog_stats;	/* BPF_ENABLE_STATS for session_prog_stats() */
	/*
	 * Aggregate in the kernel (stat, export): operations are summed in
	 * per-CPU groups keyed by kind and agg_by (PFNMAP_AGG_BY_*) and read
	 * with session_read_aggs(); only the exemplars asked for
	 * (PFNMAP_EX_*) reach the callback, flagged PFNMAP_EF_EXEMPLAR.
	 */
	bool		aggregate;
	__u32		agg_by;
	__u32		agg_groups;	/* with agg_by: groups before "other" */
	__u32		exemplars;
	__u64		exemplar_ns;	/* PFNMAP_EX_SLOW: from this long */
	int		verbose;	/* -v: libbpf messages */
};

/* Per kind: how it is observed in this session. */
struct kind_mode {
	int		source;		/* enum pfnmap_source, PFNMAP_S_NONE: missing */
	const char	*why;		/* one line: why not better, or why missing */
	__u16		valid;		/* PFNMAP_V_* this mode can fill in */
};

struct session;

typedef int (*session_cb)(void *ctx, const struct pfnmap_event *e);

/*
 * Loads and attaches.  On failure prints one clear line to stderr and
 * returns a negative errno (-EPERM: not root / no CAP_BPF, -ENOENT: no BTF).
 */
int session_open(struct session **sp, const struct session_opts *o);
/* Waits up to timeout_ms for records and calls cb for each; returns the
 * number consumed or a negative errno.  -EINTR is returned as 0. */
int session_poll(struct session *s, int timeout_ms, session_cb cb, void *ctx);
/* Consumes what is left in the ring buffer without waiting. */
int session_drain(struct session *s, session_cb cb, void *ctx);
/*
 * Operations lost so far (sum over CPUs), never hidden: ring-buffer
 * reserve failures plus operations not followed because the per-task
 * map was full.  The detail gives them apart.  An aggregating session
 * loses no operation to a full ring buffer, only exemplars: those are
 * session_exemplars_lost().
 */
__u64 session_drops(struct session *s);
__u64 session_exemplars_lost(struct session *s);
/*
 * Adds the in-kernel groups of an aggregating session, cumulative since
 * it opened, to a (its agg_by chooses the grouping).  A kind's overflow
 * group (agg_groups reached) has comm "other".  0 or -errno.
 */
struct agg;
int session_read_aggs(struct session *s, struct agg *a);
void session_drops_detail(struct session *s, __u64 *ringbuf, __u64 *task_full);
const struct kind_mode *session_mode(struct session *s, int kind);

/* Per hook: what was chosen and why (for `pfnmap probe`). */
struct hook_report {
	const char	*hook;		/* hook name */
	const char	*func;		/* function attached, NULL if none */
	const char	*where;		/* vmlinux or module */
	int		source;		/* PFNMAP_S_FENTRY, _KPROBE or _NONE */
	const char	*why;		/* why not better; "" if fentry */
};
int session_hook_count(void);
void session_hook_report(struct session *s, int hook, struct hook_report *r);
/* Why a field of a kind is unknown in this session, NULL if known. */
const char *session_field_why(struct session *s, int kind, int field);
/* BPF run time (ns) and run count summed over our programs, if stats on. */
int session_prog_stats(struct session *s, __u64 *run_ns, __u64 *run_cnt);
/* Adds a tgid to the tracked set (for `-- CMD`: the child). */
int session_track_tgid(struct session *s, __u32 tgid);
void session_close(struct session *s);

/* Monotonic now in ns, same clock as pfnmap_event.start_ns. */
__u64 now_ns(void);

#endif /* __PFNMAP_SESSION_H */
