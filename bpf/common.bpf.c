// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * common.bpf.c - the one definition of every shared map and global (what
 * they are for: common.h, which declares them extern for the other
 * files), and following `-- CMD` into its children.
 */
#include "common.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* .rodata: set by the loader before load */
const volatile struct pfnmap_filter filter = {};
const volatile struct pfnmap_op_layout layout[PFNMAP_K_MAX] = {};
const volatile __u32 follow_style = 0;
const volatile __u32 caller_skip = 0;
const volatile __u64 fault_lo = 0, fault_hi = 0;
const volatile __u64 zero_pfn_addr = 0, vmemmap_base_addr = 0;
const volatile __u64 wakeup_bytes = 256 << 10;
const volatile __u32 vgp_batch = 0;
const volatile __u32 ioctl_types[8] = {};

/* .bss: written by the loader after load */
__u16 kind_valid[PFNMAP_K_MAX] = {};
__u32 ioctl_cmd[PFNMAP_K_MAX] = {};
__u8 ioctl_fill[PFNMAP_K_MAX] = {};
__u32 sys_inflight = 0;
__u64 handler_nrs = 0;

struct events_map events SEC(".maps");
struct stats_map stats SEC(".maps");
struct tasks_map tasks SEC(".maps");
struct tracked_map tracked SEC(".maps");
struct zaps_map zaps SEC(".maps");
struct agg_kinds_map agg_kinds SEC(".maps");
struct aggs_map aggs SEC(".maps");
struct agg_zero_map agg_zero SEC(".maps");
struct scratch_map scratch SEC(".maps");

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
