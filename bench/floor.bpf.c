// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor.bpf.c - the cheapest tracing there is: empty programs.  bench/floor
 * binds each fentry/fexit slot to one kernel function before load (the
 * unused ones are not loaded) and may attach the two ioctl tracepoints.
 * What a run under these costs over no tracing at all is the floor any
 * tracer of the same functions pays: the trampoline (or tracepoint) and
 * the BPF program call, no work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define SLOT(n)							\
SEC("fentry") int fe##n(void *ctx) { return 0; }		\
SEC("fexit") int fx##n(void *ctx) { return 0; }

SLOT(0) SLOT(1) SLOT(2) SLOT(3) SLOT(4) SLOT(5) SLOT(6) SLOT(7)
SLOT(8) SLOT(9) SLOT(10) SLOT(11) SLOT(12) SLOT(13) SLOT(14) SLOT(15)
SLOT(16) SLOT(17) SLOT(18) SLOT(19) SLOT(20) SLOT(21) SLOT(22) SLOT(23)

SEC("tracepoint/syscalls/sys_enter_ioctl")
int tp_enter(void *ctx) { return 0; }

SEC("tracepoint/syscalls/sys_exit_ioctl")
int tp_exit(void *ctx) { return 0; }

SEC("tracepoint/sched/sched_process_fork")
int tp_fork(void *ctx) { return 0; }
