// SPDX-License-Identifier: GPL-2.0
/*
 * spawn.c - the held child of `pfnmap stat -- CMD` and `pfnmap record --
 * CMD`.  Attaching the probes takes a while; a command started before
 * would run its first operations untraced.  Its pid must exist to be
 * filtered on, so it is forked first and waits on a pipe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "errors.h"
#include "spawn.h"

/* In the child: wait for the go byte, then become cmd. */
static void __attribute__((noreturn)) child(int fd, char **cmd,
					      unsigned int flags)
{
	char go;

	/* EOF: the parent gave up (or died) before releasing us */
	if (read(fd, &go, 1) != 1)
		_exit(127);
	close(fd);
	if (flags & SPAWN_STDOUT_TO_STDERR)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	execvp(cmd[0], cmd);
	/* stderr only: the parent still writes its result, with our 127 */
	cmd_warn("cannot run '%s': %s", cmd[0], strerror(errno));
	_exit(127);
}

pid_t spawn_held(char **cmd, unsigned int flags, int *go_fd)
{
	int p[2];
	pid_t pid;

	*go_fd = -1;
	if (pipe2(p, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		child(p[0], cmd, flags);
	}
	close(p[0]);
	if (pid < 0) {
		int err = errno;

		close(p[1]);
		errno = err;
		return -1;
	}
	*go_fd = p[1];
	return pid;
}

int spawn_release(int *go_fd)
{
	int err = write(*go_fd, "g", 1) == 1 ? 0 : -errno;

	close(*go_fd);
	*go_fd = -1;
	return err;
}

void spawn_cancel(pid_t pid, int *go_fd)
{
	if (*go_fd >= 0)
		close(*go_fd);
	*go_fd = -1;
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int spawn_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	return 128 + WTERMSIG(wstatus);
}
