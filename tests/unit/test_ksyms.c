// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksyms.c - unit tests of src/lib/ksyms.c on small synthetic
 * kallsyms files: aliases, duplicate names, compiler clones, module
 * symbols, data among functions, kptr_restrict's zero addresses, lines
 * that are not symbols.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "ksyms.h"

static const char kallsyms[] =
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81001000 t helper\n"
	"ffffffff81002000 T fixup_user_fault\n"
	"ffffffff81002100 T follow_pfnmap_start\n"
	"ffffffff81002200 t follow_pte.constprop.0\n"
	"ffffffff81003000 d some_data\n"
	"not a symbol line\n"
	"ffffffff81004000\n"
	"ffffffff81004000 t dup_name\n"
	"ffffffff81005000 t dup_name\n"
	"ffffffffc0001000 t vfio_pin_pages_remote\t[vfio_iommu_type1]\n"
	"ffffffffc0001400 t vaddr_get_pfns\t[vfio_iommu_type1]\n"
	"ffffffffc0002000 T vfio_pci_zap_and_down_write_memory_lock\t[vfio_pci_core]";

/* Writes text (len bytes) to a temporary file; returns its path. */
static char *write_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/test_ksyms.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static struct ksyms *load_text(const char *text, size_t len)
{
	char *path = write_file(text, len);
	struct ksyms *k = ksyms_load(path);

	unlink(path);
	free(path);
	assert_non_null(k);
	return k;
}

static int setup(void **state)
{
	*state = load_text(kallsyms, sizeof(kallsyms) - 1);
	return 0;
}

static int teardown(void **state)
{
	ksyms_free(*state);
	return 0;
}

static void test_count(void **state)
{
	/* the two lines that are not symbols are skipped */
	assert_int_equal(ksyms_count(*state), 13);
}

static void test_by_name(void **state)
{
	const struct ksyms *k = *state;
	const struct ksym *s;

	s = ksyms_by_name(k, "fixup_user_fault");
	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffff81002000ULL);
	assert_int_equal(s->type, 'T');
	assert_null(s->module);
	s = ksyms_by_name(k, "vaddr_get_pfns");
	assert_non_null(s);
	assert_string_equal(s->module, "vfio_iommu_type1");
	/* the last line had no newline */
	s = ksyms_by_name(k, "vfio_pci_zap_and_down_write_memory_lock");
	assert_non_null(s);
	assert_string_equal(s->module, "vfio_pci_core");
	assert_null(ksyms_by_name(k, "fixup_user"));
	assert_null(ksyms_by_name(k, "fixup_user_fault_"));
	assert_null(ksyms_by_name(k, "follow_pte"));
	assert_null(ksyms_by_name(k, ""));
}

/* Static functions share names: the first in the file wins, as before. */
static void test_duplicate_name(void **state)
{
	const struct ksym *s = ksyms_by_name(*state, "dup_name");

	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffff81004000ULL);
}

static void test_by_prefix(void **state)
{
	const struct ksyms *k = *state;
	const struct ksym *s = ksyms_by_prefix(k, "follow_pte.");

	assert_non_null(s);
	assert_string_equal(s->name, "follow_pte.constprop.0");
	assert_null(ksyms_by_prefix(k, "fixup_user_fault."));
	assert_null(ksyms_by_prefix(k, "zzz"));
	s = ksyms_by_prefix(k, "vfio_p");
	assert_non_null(s);
	assert_string_equal(s->name, "vfio_pci_zap_and_down_write_memory_lock");
}

static void assert_label(const struct ksyms *k, __u64 addr, const char *want)
{
	char buf[128];

	if (!want) {
		assert_false(ksyms_label(k, addr, buf, sizeof(buf)));
		return;
	}
	assert_true(ksyms_label(k, addr, buf, sizeof(buf)));
	assert_string_equal(buf, want);
}

static void test_label(void **state)
{
	const struct ksyms *k = *state;

	assert_label(k, 0xffffffff8100201cULL, "fixup_user_fault+0x1c");
	assert_label(k, 0xffffffff81002100ULL, "follow_pfnmap_start+0x0");
	assert_label(k, 0xffffffffc0001010ULL,
		     "vfio_pin_pages_remote+0x10 [vfio_iommu_type1]");
	/* aliases: the last one in the file, as a stable sort leaves it */
	assert_label(k, 0xffffffff81000010ULL, "startup_64+0x10");
	/* data is no function: the one before it is */
	assert_label(k, 0xffffffff81003010ULL, "follow_pte.constprop.0+0xe10");
	/* nothing below the first address */
	assert_label(k, 0xffffffff80000000ULL, NULL);
	assert_label(k, 0x1000, NULL);
	assert_label(k, 0, NULL);
}

static void test_label_too_far(void **state)
{
	const struct ksyms *k = *state;
	__u64 last = 0xffffffffc0002000ULL;

	assert_label(k, last + KSYM_MAX_SIZE,
		     "vfio_pci_zap_and_down_write_memory_lock+0x100000 [vfio_pci_core]");
	assert_label(k, last + KSYM_MAX_SIZE + 1, NULL);
	assert_null(ksyms_func(k, last + KSYM_MAX_SIZE + 1));
}

/* Stepping back over data stops where a function could not reach. */
static void test_data_far_from_text(void **state)
{
	static const char text[] =
		"ffffffff81000000 T f\n"
		"ffffffff81200000 d data\n";
	struct ksyms *k = load_text(text, sizeof(text) - 1);

	(void)state;
	assert_label(k, 0xffffffff81000010ULL, "f+0x10");
	assert_label(k, 0xffffffff81200010ULL, NULL);
	ksyms_free(k);
}

static void test_label_truncates(void **state)
{
	char buf[8];

	assert_true(ksyms_label(*state, 0xffffffff8100201cULL, buf,
				sizeof(buf)));
	assert_string_equal(buf, "fixup_u");
}

static void test_range(void **state)
{
	const struct ksyms *k = *state;
	__u64 lo, hi;

	assert_int_equal(ksyms_range(k, "fixup_user_fault", &lo, &hi), 0);
	assert_int_equal(lo, 0xffffffff81002000ULL);
	assert_int_equal(hi, 0xffffffff81002100ULL);
	/* an alias at the same address does not end it */
	assert_int_equal(ksyms_range(k, "_stext", &lo, &hi), 0);
	assert_int_equal(lo, 0xffffffff81000000ULL);
	assert_int_equal(hi, 0xffffffff81001000ULL);
	/* the data after a function ends it */
	assert_int_equal(ksyms_range(k, "follow_pte.constprop.0", &lo, &hi), 0);
	assert_int_equal(hi, 0xffffffff81003000ULL);
	/* the last symbol has no end; a missing or zero one no start */
	assert_int_equal(ksyms_range(k, "vfio_pci_zap_and_down_write_memory_lock",
				     &lo, &hi), -ENOENT);
	assert_int_equal(ksyms_range(k, "nope", &lo, &hi), -ENOENT);
	assert_int_equal(lo, 0);
	assert_int_equal(ksyms_range(k, "fixed_percpu_data", &lo, &hi), -ENOENT);
}

/* kptr_restrict: names stay, addresses are all 0. */
static void test_hidden_addresses(void **state)
{
	static const char text[] =
		"0000000000000000 T fixup_user_fault\n"
		"0000000000000000 T follow_pfnmap_start\n"
		"0000000000000000 t vfio_pin_pages_remote\t[vfio_iommu_type1]\n";
	struct ksyms *k = load_text(text, sizeof(text) - 1);
	__u64 lo, hi;

	(void)state;
	assert_int_equal(ksyms_count(k), 3);
	assert_non_null(ksyms_by_name(k, "follow_pfnmap_start"));
	assert_label(k, 0xffffffff81002000ULL, NULL);
	assert_int_equal(ksyms_range(k, "fixup_user_fault", &lo, &hi), -ENOENT);
	ksyms_free(k);
}

static void test_empty_and_missing(void **state)
{
	struct ksyms *k = load_text("", 0);

	(void)state;
	assert_int_equal(ksyms_count(k), 0);
	assert_null(ksyms_by_name(k, "x"));
	assert_null(ksyms_by_prefix(k, "x"));
	assert_label(k, 0xffffffff81000000ULL, NULL);
	ksyms_free(k);
	errno = 0;
	assert_null(ksyms_load("/nonexistent/kallsyms"));
	assert_int_equal(errno, ENOENT);
	ksyms_free(NULL);
}

/* A NUL byte or a name longer than any line buffer must not derail it. */
static void test_odd_bytes(void **state)
{
	static const char text[] =
		"ffffffff81000000 T a\n"
		"ffffffff81000100 T b\0junk\n"
		"ffffffff81000200 T c\n";
	char *big = malloc(4096), name[1100];
	struct ksyms *k = load_text(text, sizeof(text) - 1);
	int n;

	(void)state;
	assert_non_null(ksyms_by_name(k, "a"));
	assert_non_null(ksyms_by_name(k, "b"));
	assert_non_null(ksyms_by_name(k, "c"));
	ksyms_free(k);

	memset(name, 'r', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	n = snprintf(big, 4096, "ffffffff81000000 t %s\t[rust_mod]\n"
		     "ffffffff81000800 t after\n", name);
	k = load_text(big, n);
	assert_int_equal(ksyms_count(k), 2);
	assert_non_null(ksyms_by_name(k, name));
	assert_string_equal(ksyms_by_name(k, name)->module, "rust_mod");
	assert_label(k, 0xffffffff81000804ULL, "after+0x4");
	ksyms_free(k);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_too_far, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_truncates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test(test_data_far_from_text),
		cmocka_unit_test(test_hidden_addresses),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_odd_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
