// SPDX-License-Identifier: GPL-2.0
/*
 * test_spawn.c - unit tests of src/lib/spawn.c: the child runs nothing
 * before it is released, never runs if cancelled, and its exit status
 * reads as a shell's $?.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>
#include "errors.h"
#include "spawn.h"

static int run_released(char **cmd, unsigned int flags)
{
	int go_fd, status;
	pid_t pid = spawn_held(cmd, flags, &go_fd);

	assert_true(pid > 0);
	assert_true(go_fd >= 0);
	assert_int_equal(spawn_release(&go_fd), 0);
	assert_int_equal(go_fd, -1);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return spawn_exit_code(status);
}

static bool exists(const char *path)
{
	struct stat sb;

	return !stat(path, &sb);
}

/* Held: the command has not run; released: it has. */
static void test_held_until_released(void **state)
{
	char path[] = "/tmp/test_spawn.XXXXXX";
	char *cmd[] = { "touch", path, NULL };
	int go_fd, status;
	pid_t pid;

	(void)state;
	close(mkstemp(path));
	unlink(path);
	pid = spawn_held(cmd, 0, &go_fd);
	assert_true(pid > 0);
	usleep(100 * 1000);
	assert_false(exists(path));
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0);
	assert_int_equal(spawn_release(&go_fd), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(spawn_exit_code(status), 0);
	assert_true(exists(path));
	unlink(path);
}

static void test_cancel(void **state)
{
	char path[] = "/tmp/test_spawn.XXXXXX";
	char *cmd[] = { "touch", path, NULL };
	int go_fd;
	pid_t pid;

	(void)state;
	close(mkstemp(path));
	unlink(path);
	pid = spawn_held(cmd, 0, &go_fd);
	assert_true(pid > 0);
	spawn_cancel(pid, &go_fd);
	assert_int_equal(go_fd, -1);
	/* reaped: no such child any more */
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	assert_false(exists(path));
	/* nothing to cancel: no pid, no fd */
	spawn_cancel(0, &go_fd);
	spawn_cancel(-1, &go_fd);
}

static void test_exit_codes(void **state)
{
	char *three[] = { "sh", "-c", "exit 3", NULL };
	char *killed[] = { "sh", "-c", "kill -9 $$", NULL };

	(void)state;
	assert_int_equal(run_released(three, 0), 3);
	assert_int_equal(run_released(killed, 0), 128 + 9);
}

/* Exec failure: 127 and one line on stderr with the command's prefix. */
static void test_exec_fails(void **state)
{
	char *cmd[] = { "/nonexistent/no-such-cmd", NULL };
	FILE *err = tmpfile();
	int saved = dup(STDERR_FILENO);
	char buf[256] = "";

	(void)state;
	cmd_err_init("stat");
	dup2(fileno(err), STDERR_FILENO);
	assert_int_equal(run_released(cmd, 0), 127);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(err);
	assert_non_null(fgets(buf, sizeof(buf), err));
	assert_string_equal(buf, "pfnmap stat: cannot run '/nonexistent/no-such-cmd': No such file or directory\n");
	fclose(err);
	cmd_err_init(NULL);
}

/* A capture on stdout: the command's stdout goes to stderr instead. */
static void test_stdout_to_stderr(void **state)
{
	char *cmd[] = { "echo", "hello", NULL };
	FILE *out = tmpfile(), *err = tmpfile();
	int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
	char buf[64] = "";

	(void)state;
	fflush(stdout);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	assert_int_equal(run_released(cmd, SPAWN_STDOUT_TO_STDERR), 0);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	assert_int_equal(ftell(out) + lseek(fileno(out), 0, SEEK_END), 0);
	rewind(err);
	assert_non_null(fgets(buf, sizeof(buf), err));
	assert_string_equal(buf, "hello\n");
	fclose(out);
	fclose(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_held_until_released),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_exec_fails),
		cmocka_unit_test(test_stdout_to_stderr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
