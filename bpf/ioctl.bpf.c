// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ioctl.bpf.c - the syscall view: syscalls:sys_{enter,exit}_ioctl.  The
 * operations as user space sees them (counts, errors, latency; no
 * retries or nested calls), where their functions cannot be traced, and
 * the UFFDIO_* ioctls that never reached a traced function.
 */
#include "common.h"

/*
 * The syscall view keeps what it needs between enter and exit in the
 * task's state, the record is built in the ring buffer.  It runs on
 * every ioctl of the machine: the command is filtered before anything
 * else, and an unrelated ioctl's exit looks at its task's state only
 * while one of ours is in flight somewhere (sys_inflight).
 */
SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_ioctl_enter(struct trace_event_raw_sys_enter *ctx)
{
	int kind = ioctl_kind((__u32)ctx->args[1]);
	struct task_state *ts;

	if (kind < 0 || ioctl_fill[kind] == PFNMAP_FILL_FEXIT ||
	    ioctl_fill[kind] == PFNMAP_FILL_HANDLER ||
	    !wanted(bpf_get_current_pid_tgid()))
		return 0;
	ts = task_get_or_new();
	if (!ts)
		return 0;
	ts->sys_start = bpf_ktime_get_ns();
	ts->sys_arg = ctx->args[2];
	ts->sys_kind = kind;
	ts->ioctl_reached = 0;
	if (!ts->sys_active)
		__sync_fetch_and_add(&sys_inflight, 1);
	ts->sys_active = 1;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_ioctl")
int tp_ioctl_exit(struct trace_event_raw_sys_exit *ctx)
{
	struct task_state *ts;
	struct pfnmap_event *e;
	__u32 kind;

	if (!*(volatile __u32 *)&sys_inflight)
		return 0;
	ts = task_get();
	if (!ts || !ts->sys_active)
		return 0;
	ts->sys_active = 0;
	__sync_fetch_and_add(&sys_inflight, -1);
	kind = ts->sys_kind;
	if (kind >= PFNMAP_K_MAX || (ioctl_kind_fill(kind) && ts->ioctl_reached))
		return 0;
	e = emit_new(bpf_get_current_pid_tgid(), kind, PFNMAP_S_SYSCALL,
		     &ts->sys_start);
	if (!e)
		return 0;
	e->duration_ns = bpf_ktime_get_ns() - ts->sys_start;
	e->ret = ctx->ret;
	e->valid = PFNMAP_V_PAGES;
	ioctl_args(e, kind, ts->sys_arg, ctx->ret);
	if (ioctl_kind_fill(kind))
		fill_in(e, kind, ctx->ret);
	emit(e);
	return 0;
}
