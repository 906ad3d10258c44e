// SPDX-License-Identifier: GPL-2.0
/*
 * test_hist_print.c - unit tests of src/lib/hist_print.c: the fold of
 * agg's latency buckets into log2 slots, and bcc's print_log2_hist()
 * layout, byte for byte (the example of docs/report.md).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "hist_print.h"

/* Collects the printed lines, each followed by '\n'. */
struct lines {
	char	buf[8192];
	size_t	len;
	int	n;
};

static void collect(void *ctx, const char *line)
{
	struct lines *l = ctx;

	l->len += snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s\n",
			   line);
	l->n++;
}

static void test_slot_bounds(void **state)
{
	(void)state;
	assert_int_equal(log2_slot_low(0), 0);
	assert_int_equal(log2_slot_high(0), 0);
	assert_int_equal(log2_slot_low(1), 1);
	assert_int_equal(log2_slot_high(1), 1);
	assert_int_equal(log2_slot_low(11), 1024);
	assert_int_equal(log2_slot_high(11), 2047);
	assert_int_equal(log2_slot_low(64), 1ULL << 63);
	assert_true(log2_slot_high(64) == ~0ULL);
}

/* Every value lands in the slot of its power of two, none is lost. */
static void test_fold(void **state)
{
	static const __u64 v[] = { 0, 1, 2, 3, 1023, 1024, 2047, 2048,
				   1000000, ~0ULL };
	struct lat_hist *h = calloc(1, sizeof(*h));
	__u64 slot[LOG2_SLOTS], sum = 0;
	size_t i;
	int s;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		hist_add(h, v[i]);
	log2_slots(h, slot);
	for (s = 0; s < LOG2_SLOTS; s++)
		sum += slot[s];
	assert_int_equal(sum, sizeof(v) / sizeof(v[0]));
	assert_int_equal(slot[0], 1);
	assert_int_equal(slot[1], 1);
	assert_int_equal(slot[2], 2);		/* 2, 3 */
	assert_int_equal(slot[10], 1);		/* 1023 */
	assert_int_equal(slot[11], 2);		/* 1024, 2047 */
	assert_int_equal(slot[12], 1);		/* 2048 */
	assert_int_equal(slot[20], 1);		/* 1000000 < 2^20 */
	assert_int_equal(slot[64], 1);
	free(h);
}

static void test_latency_layout(void **state)
{
	static const char want[] =
"     nsecs               : count     distribution\n"
"      1024 -> 2047       : 91       |*********                               |\n"
"      2048 -> 4095       : 397      |****************************************|\n"
"      4096 -> 8191       : 21       |**                                      |\n"
"      8192 -> 16383      : 282      |****************************            |\n"
"     16384 -> 32767      : 99       |*********                               |\n"
"     32768 -> 65535      : 8        |                                        |\n"
"     65536 -> 131071     : 1        |                                        |\n"
"    131072 -> 262143     : 1        |                                        |\n";
	__u64 slot[LOG2_SLOTS] = {
		[11] = 91, [12] = 397, [13] = 21, [14] = 282, [15] = 99,
		[16] = 8, [17] = 1, [18] = 1,
	};
	struct lines l = {};

	(void)state;
	log2_hist_print("nsecs", slot, LOG2_SLOTS, 0, collect, &l);
	assert_string_equal(l.buf, want);
}

/*
 * Latency: 0 and 1 share a row, as in bcc; retries: 0 has its own, and
 * so has 1 then, in the same one-value layout.
 */
static void test_zero_rows(void **state)
{
	__u64 slot[LOG2_SLOTS] = { [0] = 5, [1] = 3, [3] = 1 };
	struct lines l = {};

	(void)state;
	log2_hist_print("nsecs", slot, LOG2_SLOTS, 0, collect, &l);
	assert_string_equal(l.buf,
"     nsecs               : count     distribution\n"
"         0 -> 1          : 8        |****************************************|\n"
"         2 -> 3          : 0        |                                        |\n"
"         4 -> 7          : 1        |*****                                   |\n");
	memset(&l, 0, sizeof(l));
	log2_hist_print("retries", slot, 33, LOG2_ZERO_ROW, collect, &l);
	assert_string_equal(l.buf,
"     retries             : count     distribution\n"
"         0               : 5        |****************************************|\n"
"         1               : 3        |************************                |\n"
"         2 -> 3          : 0        |                                        |\n"
"         4 -> 7          : 1        |********                                |\n");
}

/* Rows start at the first slot in use; zeros alone still get their row. */
static void test_sparse(void **state)
{
	__u64 zeros[LOG2_SLOTS] = { [0] = 4 }, none[LOG2_SLOTS] = {};
	__u64 retr[33] = { [5] = 2 };
	struct lines l = {};

	(void)state;
	log2_hist_print("nsecs", zeros, LOG2_SLOTS, 0, collect, &l);
	assert_string_equal(l.buf,
"     nsecs               : count     distribution\n"
"         0 -> 1          : 4        |****************************************|\n");
	memset(&l, 0, sizeof(l));
	log2_hist_print("nsecs", none, LOG2_SLOTS, 0, collect, &l);
	assert_int_equal(l.n, 1);
	memset(&l, 0, sizeof(l));
	log2_hist_print("retries", retr, 33, LOG2_ZERO_ROW, collect, &l);
	assert_string_equal(l.buf,
"     retries             : count     distribution\n"
"        16 -> 31         : 2        |****************************************|\n");
}

static void test_file_lines(void **state)
{
	__u64 slot[33] = { [0] = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	log2_hist_print("retries", slot, 33, LOG2_ZERO_ROW, hist_line_file, f);
	fclose(f);
	assert_string_equal(buf,
"     retries             : count     distribution\n"
"         0               : 1        |****************************************|\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_bounds),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_latency_layout),
		cmocka_unit_test(test_zero_rows),
		cmocka_unit_test(test_sparse),
		cmocka_unit_test(test_file_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
