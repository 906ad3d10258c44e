// SPDX-License-Identifier: GPL-2.0
/*
 * test_export_metrics.c - the Prometheus text of `pfnmap export`
 * (src/cmd/export/metrics.c): exact counts from known records, latency
 * buckets on the agg histogram's bucket boundaries, names derived from
 * the registry (one per summed counter, all unique and well formed), no
 * series for a field the kernel cannot see, the comm cap folding into
 * comm="other", label escaping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "export/export.h"

static struct metrics_meta meta(void)
{
	struct metrics_meta m = { .kernel = "6.1.0-test", .lost = 3 };

	m.mode[PFNMAP_K_UFFD_COPY] = "syscall";
	m.valid[PFNMAP_K_UFFD_COPY] = PFNMAP_V_PAGES;
	return m;
}

static struct pfnmap_event ev(int kind, const char *comm, __u64 ns, __s64 ret)
{
	struct pfnmap_event e = {
		.kind = (__u8)kind, .duration_ns = ns, .ret = ret,
		.valid = PFNMAP_V_PAGES, .pages = 2,
	};

	strncpy(e.comm, comm, sizeof(e.comm) - 1);
	return e;
}

/* The exposition of x as one string (caller frees). */
static char *render(const struct export_state *x)
{
	struct metrics_meta m = meta();
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(metrics_write(f, x, &m), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void has_line(const char *text, const char *line)
{
	const char *p = text;
	size_t n = strlen(line);

	while ((p = strstr(p, line))) {
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return;
		p++;
	}
	fail_msg("no line '%s' in:\n%s", line, text);
}

static void test_buckets(void **state)
{
	int i;

	(void)state;
	metrics_init_buckets();
	for (i = 0; i < METRICS_LE_MAX; i++) {
		__u64 le = metrics_le_ns[i];

		/* an inclusive bound ending a bucket: sums of whole buckets */
		assert_int_equal(hist_bucket_high(hist_bucket(le)), le);
		assert_int_equal(hist_bucket_low(hist_bucket(le + 1)), le + 1);
		if (i)
			assert_true(le > metrics_le_ns[i - 1]);
	}
	assert_true(metrics_le_ns[0] >= 900 && metrics_le_ns[0] <= 1100);
	assert_true(metrics_le_ns[METRICS_LE_MAX - 1] >= 100000000ULL);
	assert_true(metrics_le_ns[METRICS_LE_MAX - 1] < 110000000ULL);
}

static void test_exact_counts(void **state)
{
	struct export_state x;
	struct pfnmap_event e;
	char *t;

	(void)state;
	assert_int_equal(export_init(&x, false, 0), 0);
	e = ev(PFNMAP_K_UFFD_COPY, "a", 500, 2);
	assert_int_equal(export_add(&x, &e), 0);
	e = ev(PFNMAP_K_UFFD_COPY, "a", 1023, 2);
	assert_int_equal(export_add(&x, &e), 0);
	e = ev(PFNMAP_K_UFFD_COPY, "b", 1024, -EEXIST);
	assert_int_equal(export_add(&x, &e), 0);
	e = ev(PFNMAP_K_UFFD_COPY, "b", 200000000, -EAGAIN);
	assert_int_equal(export_add(&x, &e), 0);
	t = render(&x);
	has_line(t, "pfnmap_operations_total{kind=\"uffd_copy\"} 4");
	has_line(t, "pfnmap_errors_total{kind=\"uffd_copy\",errno=\"EEXIST\"} 1");
	has_line(t, "pfnmap_errors_total{kind=\"uffd_copy\",errno=\"EAGAIN\"} 1");
	has_line(t, "pfnmap_pages_total{kind=\"uffd_copy\"} 8");
	/* 1023 ns is in the first bucket, 1024 ns is not: le is inclusive */
	has_line(t, "pfnmap_operation_duration_seconds_bucket{kind=\"uffd_copy\",le=\"1.023e-06\"} 2");
	has_line(t, "pfnmap_operation_duration_seconds_bucket{kind=\"uffd_copy\",le=\"3.071e-06\"} 3");
	has_line(t, "pfnmap_operation_duration_seconds_bucket{kind=\"uffd_copy\",le=\"0.100663295\"} 3");
	has_line(t, "pfnmap_operation_duration_seconds_bucket{kind=\"uffd_copy\",le=\"+Inf\"} 4");
	has_line(t, "pfnmap_operation_duration_seconds_count{kind=\"uffd_copy\"} 4");
	has_line(t, "pfnmap_operation_duration_seconds_sum{kind=\"uffd_copy\"} 0.200002547");
	has_line(t, "pfnmap_lost_records_total 3");
	has_line(t, "pfnmap_info{kernel=\"6.1.0-test\",kind=\"uffd_copy\",mode=\"syscall\"} 1");
	has_line(t, "pfnmap_info{kernel=\"6.1.0-test\",kind=\"vfio_pin\",mode=\"none\"} 1");
	/* retries unknown in this mode: no series, not a 0 */
	assert_null(strstr(t, "pfnmap_retries_total{"));
	/* an untraced kind without records has no series either */
	assert_null(strstr(t, "pfnmap_operations_total{kind=\"vfio_pin\"}"));
	/* no comm label by default: bounded cardinality */
	assert_null(strstr(t, "comm="));
	free(t);
	export_fini(&x);
}

static bool name_ok(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:") ==
	       strlen(s);
}

/* Every summed counter of the registry has a family; names are unique. */
static void test_names_from_registry(void **state)
{
	struct export_state x;
	char *t, *line, *save, name[128], seen[64][128];
	const struct reg_counter *c;
	int n = 0, i, sums = 0, types = 0;

	(void)state;
	assert_int_equal(export_init(&x, false, 0), 0);
	t = render(&x);
	for (line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "# TYPE %127s", name) != 1)
			continue;
		assert_true(name_ok(name));
		for (i = 0; i < n; i++)
			assert_string_not_equal(seen[i], name);
		assert_true(n < 64);
		strcpy(seen[n++], name);
		types++;
	}
	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++)
		sums += c->value == RV_SUM;
	/* info, lost, operations, errors, the histogram: 5 of our own */
	assert_int_equal(types, sums + 5);
	free(t);
	export_fini(&x);
}

static void test_comm_cap(void **state)
{
	static const char *const comms[] = { "a", "b", "c", "d", "c", "a" };
	struct export_state x;
	struct pfnmap_event e;
	size_t i;
	char *t;

	(void)state;
	assert_int_equal(export_init(&x, true, 2), 0);
	for (i = 0; i < sizeof(comms) / sizeof(comms[0]); i++) {
		e = ev(PFNMAP_K_UFFD_COPY, comms[i], 100, 0);
		assert_int_equal(export_add(&x, &e), 0);
	}
	e = ev(PFNMAP_K_UFFD_COPY, "q\"\\\xc3\xa9", 100, 0);
	assert_int_equal(export_add(&x, &e), 0);
	t = render(&x);
	has_line(t, "pfnmap_operations_total{kind=\"uffd_copy\",comm=\"a\"} 2");
	has_line(t, "pfnmap_operations_total{kind=\"uffd_copy\",comm=\"b\"} 1");
	has_line(t, "pfnmap_operations_total{kind=\"uffd_copy\",comm=\"other\"} 4");
	has_line(t, "pfnmap_folded_series_total 4");
	assert_null(strstr(t, "comm=\"c\""));
	free(t);
	export_fini(&x);

	/* escaping: quote and backslash escaped, non-ASCII replaced */
	assert_int_equal(export_init(&x, true, 10), 0);
	assert_int_equal(export_add(&x, &e), 0);
	t = render(&x);
	has_line(t, "pfnmap_operations_total{kind=\"uffd_copy\",comm=\"q\\\"\\\\__\"} 1");
	free(t);
	export_fini(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets),
		cmocka_unit_test(test_exact_counts),
		cmocka_unit_test(test_names_from_registry),
		cmocka_unit_test(test_comm_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
