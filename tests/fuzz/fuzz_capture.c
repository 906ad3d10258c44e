// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_capture.c - libFuzzer target of the capture reader
 * (src/lib/capture_read.c): any bytes must be read without a crash, a leak
 * or undefined behaviour, and what the reader says must hold together.
 * The records it hands out go through the aggregation, as in `report`.
 *
 *	make fuzz [FUZZ_SECONDS=60]		(tests/fuzz/Makefile.inc)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "agg.h"
#include "capture.h"

struct sink {
	struct agg	*agg;
	__u64		n;
};

static void check(int ok)
{
	if (!ok)
		abort();	/* libFuzzer saves the input as a crash */
}

static int on_record(void *ctx, const struct pfnmap_event *e)
{
	struct sink *s = ctx;

	/* the reader's promises about every record it hands out */
	check(e->kind < PFNMAP_K_MAX);
	check(memchr(e->comm, '\0', sizeof(e->comm)) != NULL);
	check(pfnmap_kind_name(e->kind) != NULL);
	agg_add(s->agg, e);
	s->n++;
	return 0;
}

/* names (format 3): bounded strings, no control characters */
static int on_name(void *ctx, const struct cap_name *n)
{
	const char *p;

	(void)ctx;
	check(n->tag == CAP_N_KSYM || n->tag == CAP_N_CGROUP);
	for (p = n->name; *p; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f);
	for (p = n->module; *p; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f);
	return 0;
}

static void check_strings(const struct cap_info *info)
{
	const struct cap_meta *m = &info->meta;
	int k;

	check(memchr(m->kernel, '\0', sizeof(m->kernel)) != NULL);
	check(memchr(m->host, '\0', sizeof(m->host)) != NULL);
	check(memchr(m->boot_id, '\0', sizeof(m->boot_id)) != NULL);
	check(m->cmdline_len < sizeof(m->cmdline));
	check(!m->cmdline_len || !m->cmdline[m->cmdline_len - 1]);
	for (k = 0; k < PFNMAP_K_MAX; k++)
		check(memchr(m->modes[k].why, '\0', CAP_WHY_LEN) != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sink s = { .agg = agg_new(AGG_BY_PID) };
	const struct cap_info *v[1];
	struct cap_kind_merge km;
	struct cap_status st;
	struct cap_info info, hinfo;
	char msg[512];
	int err, herr, k;

	if (!s.agg)
		return 0;
	herr = cap_read_header(data, size, &hinfo);
	err = cap_read_names(data, size, &info, &st, on_record, on_name, &s);
	check(err == 0 || err == -EINVAL || err == -EPROTONOSUPPORT);
	check((herr < 0) == (err < 0));
	if (err) {
		cap_describe_error(msg, sizeof(msg), err, &info);
		check(s.n == 0);
	} else {
		cap_describe(msg, sizeof(msg), &st);
		check(st.records == s.n);
		check(st.end_offset <= size && st.bytes == size);
		check(cap_damaged(&st) || st.has_trailer);
		check_strings(&info);
		v[0] = &info;
		for (k = 0; k < PFNMAP_K_MAX; k++)
			cap_merge_kind(v, 1, k, &km);
	}
	check(strlen(msg) < sizeof(msg));
	agg_free(s.agg);
	return 0;
}
