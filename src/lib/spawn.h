/* SPDX-License-Identifier: GPL-2.0 */
/*
 * spawn.h - run a command under tracing from its first instruction, as
 * perf does: fork it first, hold it on a pipe until the probes are
 * attached to its pid, then let it exec.
 */
#ifndef __PFNMAP_SPAWN_H
#define __PFNMAP_SPAWN_H

#include <sys/types.h>

/* Our stdout carries data (a capture): the command's goes to stderr. */
#define SPAWN_STDOUT_TO_STDERR	(1U << 0)

/*
 * Forks the child that will run cmd (execvp) once released; *go_fd is
 * the pipe that holds it.  The child's pid, or -1 with errno set.  If the
 * exec fails the child says why and exits 127, as a shell would.
 */
pid_t spawn_held(char **cmd, unsigned int flags, int *go_fd);
/* Lets the child exec; closes *go_fd.  0 or -errno. */
int spawn_release(int *go_fd);
/* Tracing failed: the child never runs cmd; it is killed and reaped. */
void spawn_cancel(pid_t pid, int *go_fd);
/* A wait status as a shell's $?: the exit code, or 128 + the signal. */
int spawn_exit_code(int wstatus);

#endif /* __PFNMAP_SPAWN_H */
