// SPDX-License-Identifier: GPL-2.0
/*
 * test_names.c - unit tests of user/names.c: kind, source and errno
 * names both ways.  glibc's strerrorname_np() serves as an independent
 * source for the uapi errno names.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>
#include "agg.h"

static void test_kind_names(void **state)
{
	static const char *const want[PFNMAP_K_MAX] = {
		"vfio_pin", "follow_pfnmap", "fixup_user_fault", "uffd_copy",
		"uffd_zeropage", "uffd_continue", "uffd_poison", "vfio_map_dma",
		"vfio_zap", "uffd_move", "uffd_wp",
	};
	int k;

	(void)state;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		assert_non_null(want[k]);
		assert_string_equal(pfnmap_kind_name(k), want[k]);
		assert_int_equal(pfnmap_kind_parse(want[k]), k);
	}
	assert_null(pfnmap_kind_name(-1));
	assert_null(pfnmap_kind_name(PFNMAP_K_MAX));
	assert_int_equal(pfnmap_kind_parse("vfio"), -1);
	assert_int_equal(pfnmap_kind_parse("vfio_pin "), -1);
	assert_int_equal(pfnmap_kind_parse("VFIO_PIN"), -1);
	assert_int_equal(pfnmap_kind_parse(""), -1);
	assert_int_equal(pfnmap_kind_parse(NULL), -1);
}

static void test_source_names(void **state)
{
	(void)state;
	assert_string_equal(pfnmap_source_name(PFNMAP_S_NONE), "none");
	assert_string_equal(pfnmap_source_name(PFNMAP_S_FENTRY), "fentry");
	assert_string_equal(pfnmap_source_name(PFNMAP_S_KPROBE), "kprobe");
	assert_string_equal(pfnmap_source_name(PFNMAP_S_SYSCALL), "syscall");
	assert_null(pfnmap_source_name(PFNMAP_S_MAX));
	assert_null(pfnmap_source_name(-1));
}

/* Every uapi errno has the name glibc gives it (aliases aside). */
static void test_errno_uapi_vs_glibc(void **state)
{
	int err, named = 0;

	(void)state;
	for (err = 1; err <= EHWPOISON; err++) {
		const char *g = strerrorname_np(err);

		if (!g) {
			assert_null(errno_name(err));
			continue;
		}
		assert_non_null(errno_name(err));
		assert_string_equal(errno_name(err), g);
		named++;
	}
#if EHWPOISON == 133 && EDEADLOCK == EDEADLK
	/* asm-generic: 1..133 but for the alias holes 41 and 58. */
	assert_int_equal(named, 131);
	assert_null(errno_name(41));
	assert_null(errno_name(58));
#endif
}

static void test_errno_kernel_internal(void **state)
{
	static const struct {
		int err;
		const char *name;
	} cases[] = {
		{ 512, "ERESTARTSYS" }, { 513, "ERESTARTNOINTR" },
		{ 514, "ERESTARTNOHAND" }, { 515, "ENOIOCTLCMD" },
		{ 516, "ERESTART_RESTARTBLOCK" }, { 517, "EPROBE_DEFER" },
		{ 518, "EOPENSTALE" }, { 519, "ENOPARAM" },
		{ 521, "EBADHANDLE" }, { 522, "ENOTSYNC" },
		{ 523, "EBADCOOKIE" }, { 524, "ENOTSUPP" },
		{ 525, "ETOOSMALL" }, { 526, "ESERVERFAULT" },
		{ 527, "EBADTYPE" }, { 528, "EJUKEBOX" },
		{ 529, "EIOCBQUEUED" }, { 530, "ERECALLCONFLICT" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(errno_name(cases[i].err), cases[i].name);
		assert_int_equal(errno_parse(cases[i].name), cases[i].err);
	}
	assert_null(errno_name(520));
	assert_null(errno_name(511));
	assert_null(errno_name(531));
}

/* name -> number -> the same name, for every number that has one. */
static void test_errno_round_trip(void **state)
{
	int err, named = 0;

	(void)state;
	assert_null(errno_name(0));
	assert_null(errno_name(-EINVAL));
	assert_null(errno_name(100000));
	for (err = 0; err < 4096; err++) {
		const char *name = errno_name(err);

		if (!name)
			continue;
		assert_int_equal(errno_parse(name), err);
		named++;
	}
#if EHWPOISON == 133 && EDEADLOCK == EDEADLK
	assert_int_equal(named, 131 + 18);
#endif
}

static void test_errno_aliases(void **state)
{
	(void)state;
	assert_int_equal(errno_parse("EWOULDBLOCK"), EAGAIN);
	assert_int_equal(errno_parse("EDEADLOCK"), EDEADLOCK);
	assert_int_equal(errno_parse("ENOTSUP"), EOPNOTSUPP);
	/* The primary name is the one printed. */
	assert_string_equal(errno_name(EWOULDBLOCK), "EAGAIN");
	assert_string_equal(errno_name(EDEADLK), "EDEADLK");
	assert_string_equal(errno_name(EOPNOTSUPP), "EOPNOTSUPP");
	/* ENOTSUP is glibc's, ENOTSUPP the kernel's: not the same errno. */
	assert_int_equal(errno_parse("ENOTSUPP"), 524);
}

static void test_errno_parse_input(void **state)
{
	(void)state;
	assert_int_equal(errno_parse("EINVAL"), EINVAL);
	assert_int_equal(errno_parse("efault"), EFAULT);
	assert_int_equal(errno_parse("eWouldBlock"), EAGAIN);
	assert_int_equal(errno_parse("EINVALX"), -1);
	assert_int_equal(errno_parse("22"), -1);
	assert_int_equal(errno_parse(""), -1);
	assert_int_equal(errno_parse(NULL), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_source_names),
		cmocka_unit_test(test_errno_uapi_vs_glibc),
		cmocka_unit_test(test_errno_kernel_internal),
		cmocka_unit_test(test_errno_round_trip),
		cmocka_unit_test(test_errno_aliases),
		cmocka_unit_test(test_errno_parse_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
