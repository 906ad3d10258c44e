// SPDX-License-Identifier: GPL-2.0
/*
 * test_capture.c - unit tests of the capture format: user/capture_write.c
 * writes, user/capture_read.c must give back exactly what was written,
 * and never more than what is intact when the bytes are cut or damaged.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <cmocka.h>
#include <zlib.h>
#include "agg.h"
#include "capture.h"
#include "test_rng.h"

#define CHUNK	5	/* records per chunk in the small captures */

/* ---- helpers --------------------------------------------------------- */

/* Record i of a deterministic stream with every field used. */
static struct pfnmap_event make_event(int i)
{
	__u64 r = 0x9e3779b97f4a7c15ULL * (i + 1);
	struct pfnmap_event e;

	memset(&e, 0, sizeof(e));
	e.kind = i % PFNMAP_K_MAX;
	e.source = 1 + i % 3;
	e.valid = rng_next(&r) & 0x7f;
	e.pid = 1000 + i % 7;
	e.tid = e.pid + i % 3;
	e.flags = i % 11 == 0 ? PFNMAP_EF_NESTED_LOST : 0;
	e.cgroup_id = 42;
	e.start_ns = 1000000000ULL + i * 1500ULL;
	e.duration_ns = rng_next(&r) % 100000;
	e.ret = i % 4 == 0 ? -17 : (__s64)(i % 9);
	e.addr = 0x7f0000000000ULL + i * 4096ULL;
	e.len = 1 + i % 5;
	e.caller = 0xffffffff81000000ULL + (rng_next(&r) & 0xffff);
	e.pages = i % 9;
	e.retries = i % 3;
	e.follow_calls = rng_next(&r) % 5;
	e.fixup_calls = i % 2;
	e.zap_races = i % 13 == 0;
	e.bar_faults = i % 6;
	snprintf(e.comm, sizeof(e.comm), "task-%d", i % 4);
	return e;
}

static void make_meta(struct cap_meta *m, __u64 id)
{
	static const char cmd[] = "pfnmap\0record\0--\0./w\0";
	int k;

	memset(m, 0, sizeof(*m));
	m->capture_id = id;
	strcpy(m->kernel, "6.18.0-test");
	strcpy(m->host, "host-a");
	strcpy(m->boot_id, "94d940e8-68f6-40da-85fc-47483fd1e23f");
	m->has_clock = true;
	m->clock_mono_ns = 999000000ULL;
	m->clock_real_ns = 1760000000000000000ULL;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		m->modes[k].present = true;
		m->modes[k].source = k == PFNMAP_K_VFIO_ZAP ? PFNMAP_S_NONE :
				     PFNMAP_S_SYSCALL;
		m->modes[k].valid = PFNMAP_V_PAGES;
		snprintf(m->modes[k].why, sizeof(m->modes[k].why),
			 "why of kind %d", k);
	}
	memcpy(m->cmdline, cmd, sizeof(cmd) - 1);
	m->cmdline_len = sizeof(cmd) - 1;
}

struct capture {
	__u8	*buf;
	size_t	len;
};

/* The whole file behind fd, which is closed. */
static struct capture read_back(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	struct capture c = { .len = len, .buf = malloc(len) };

	assert_non_null(c.buf);
	assert_int_equal(pread(fd, c.buf, len, 0), len);
	close(fd);
	return c;
}

/*
 * Writes n records of make_event() in chunks of `chunk`, flushing with
 * drops = chunk number, and a trailer with drops = 99.
 */
static struct capture write_capture(const struct cap_meta *m, int first,
				    int n, int chunk, bool trailer)
{
	struct cap_writer_opts o = { .chunk_records = chunk };
	struct cap_trailer t = {
		.drops = 99, .end_ns = 2000000000ULL, .bpf_run_ns = 123456,
		.bpf_run_cnt = 789, .stop = CAP_STOP_CMD_EXIT,
	};
	struct cap_writer *w;
	int fd = memfd_create("cap", 0), i, flushes = 0;

	assert_true(fd >= 0);
	assert_int_equal(capw_open(&w, fd, m, &o), 0);
	for (i = 0; i < n; i++) {
		struct pfnmap_event e = make_event(first + i);

		if (capw_add(w, &e) == 1)
			assert_int_equal(capw_flush(w, ++flushes), 0);
	}
	if (trailer)
		assert_int_equal(capw_finish(w, &t), 0);
	else
		assert_int_equal(capw_flush(w, ++flushes), 0);
	capw_free(w);
	return read_back(fd);
}

struct got {
	struct pfnmap_event	*e;
	size_t			n, cap;
};

static int collect(void *ctx, const struct pfnmap_event *e)
{
	struct got *g = ctx;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->e = realloc(g->e, g->cap * sizeof(*g->e));
		assert_non_null(g->e);
	}
	g->e[g->n++] = *e;
	return 0;
}

/* Reads a copy of exactly len bytes, so ASan sees any overread. */
static int read_bytes(const __u8 *buf, size_t len, struct cap_info *info,
		      struct cap_status *st, struct got *g)
{
	__u8 *copy = malloc(len ? len : 1);
	int err;

	assert_non_null(copy);
	memcpy(copy, buf, len);
	g->n = 0;
	err = cap_read(copy, len, info, st, collect, g);
	free(copy);
	return err;
}

static bool same_event(const struct pfnmap_event *a, int i)
{
	struct pfnmap_event b = make_event(i);

	return !memcmp(a, &b, sizeof(b));
}

/* Offsets where chunk k (0-based) ends, found by walking the chunks. */
static size_t chunk_end(const struct capture *c, int k)
{
	size_t off = get_le32(c->buf + 12);
	int i;

	for (i = 0; i <= k; i++)
		off += CAP_CHUNK_HDR_LEN + get_le32(c->buf + off + 12);
	return off;
}

/* ---- round trip ------------------------------------------------------ */

static void test_roundtrip(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	size_t i;

	(void)state;
	make_meta(&m, 1);
	c = write_capture(&m, 0, 1000, 64, true);
	assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g), 0);
	assert_false(cap_damaged(&st));
	assert_int_equal(g.n, 1000);
	for (i = 0; i < g.n; i++)
		assert_true(same_event(&g.e[i], i));
	assert_int_equal(st.records, 1000);
	assert_int_equal(st.chunks, 16);	/* 15 full + 1 of 40 */
	assert_int_equal(st.last_seq, 15);
	assert_int_equal(st.first_ns, make_event(0).start_ns);
	assert_int_equal(st.last_ns, make_event(999).start_ns);
	free(g.e);
	free(c.buf);
}

/*
 * The reader un-transposes 64 records at a time, and fills a tile that is
 * the same in every record of a chunk once per chunk: chunks of sizes
 * around those blocks, whose records have constant tiles (cgroup,
 * reserved bytes) beside varying ones, must come back exact.
 */
static void test_roundtrip_block_edges(void **state)
{
	static const int chunks[] = { 1, 2, 63, 64, 65, 127, 128, 129, 1000 };
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	size_t i, k;
	int n;

	(void)state;
	make_meta(&m, 1);
	for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		n = 2 * chunks[k] + 3;
		c = write_capture(&m, 7, n, chunks[k], true);
		assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g), 0);
		assert_false(cap_damaged(&st));
		assert_int_equal(g.n, n);
		for (i = 0; i < g.n; i++)
			assert_true(same_event(&g.e[i], 7 + i));
		free(c.buf);
	}
	free(g.e);
}

/* n records of ev in chunks of `chunk`, then the trailer. */
static struct capture write_events(const struct pfnmap_event *ev, int n,
				   int chunk)
{
	struct cap_writer_opts o = { .chunk_records = chunk };
	struct cap_trailer t = { .stop = CAP_STOP_CMD_EXIT };
	struct cap_writer *w;
	struct cap_meta m;
	int fd = memfd_create("cap", 0), i;

	assert_true(fd >= 0);
	make_meta(&m, 3);
	assert_int_equal(capw_open(&w, fd, &m, &o), 0);
	for (i = 0; i < n; i++)
		if (capw_add(w, &ev[i]) == 1)
			assert_int_equal(capw_flush(w, 0), 0);
	assert_int_equal(capw_finish(w, &t), 0);
	capw_free(w);
	return read_back(fd);
}

/*
 * The writer moves only the tiles that vary in a chunk and fills the
 * others from the first record: records that differ in one byte only,
 * for every byte of the record, around the 16-record tiles and the
 * 64-record columns, must come back exact.
 */
static void test_roundtrip_one_varying_byte(void **state)
{
	static const int chunks[] = { 15, 16, 17, 64, 65, 130 };
	struct pfnmap_event *ev;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	size_t b, k, i, n;

	(void)state;
	ev = calloc(2 * 130 + 3, sizeof(*ev));
	assert_non_null(ev);
	for (b = 0; b < sizeof(*ev); b++) {
		/* the reader ends comm with a NUL */
		if (b == offsetof(struct pfnmap_event, comm) + PFNMAP_COMM_LEN - 1)
			continue;
		for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
			n = 2 * chunks[k] + 3;
			for (i = 0; i < n; i++) {
				ev[i] = make_event(5);
				((__u8 *)&ev[i])[b] ^= (__u8)(i * 37 + 1);
				/* the reader skips unknown kinds */
				if (b == offsetof(struct pfnmap_event, kind))
					ev[i].kind = i % PFNMAP_K_MAX;
			}
			c = write_events(ev, n, chunks[k]);
			assert_int_equal(read_bytes(c.buf, c.len, &info, &st,
						    &g), 0);
			assert_false(cap_damaged(&st));
			assert_int_equal(g.n, n);
			for (i = 0; i < n; i++)
				assert_memory_equal(&g.e[i], &ev[i],
						    sizeof(*ev));
			free(c.buf);
		}
	}
	free(ev);
	free(g.e);
}

static void test_header_trailer_fields(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	int k;

	(void)state;
	make_meta(&m, 0x1122334455667788ULL);
	c = write_capture(&m, 0, 12, CHUNK, true);
	assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g), 0);
	assert_true(info.header_ok);
	assert_int_equal(info.version, CAP_VERSION);
	assert_int_equal(info.abi_version, PFNMAP_ABI_VERSION);
	assert_int_equal(info.record_size, sizeof(struct pfnmap_event));
	assert_int_equal(info.meta.capture_id, 0x1122334455667788ULL);
	assert_string_equal(info.meta.kernel, m.kernel);
	assert_string_equal(info.meta.host, m.host);
	assert_string_equal(info.meta.boot_id, m.boot_id);
	assert_true(info.meta.has_clock);
	assert_int_equal(info.meta.clock_mono_ns, m.clock_mono_ns);
	assert_int_equal(info.meta.clock_real_ns, m.clock_real_ns);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		assert_true(info.meta.modes[k].present);
		assert_int_equal(info.meta.modes[k].source, m.modes[k].source);
		assert_int_equal(info.meta.modes[k].valid, m.modes[k].valid);
		assert_string_equal(info.meta.modes[k].why, m.modes[k].why);
	}
	assert_int_equal(info.meta.cmdline_len, m.cmdline_len);
	assert_memory_equal(info.meta.cmdline, m.cmdline, m.cmdline_len);
	assert_true(st.has_trailer);
	assert_true(st.drops_final);
	assert_int_equal(st.drops, 99);
	assert_int_equal(st.trailer.nr_chunks, 3);
	assert_int_equal(st.trailer.nr_records, 12);
	assert_int_equal(st.trailer.end_ns, 2000000000ULL);
	assert_int_equal(st.trailer.bpf_run_ns, 123456);
	assert_int_equal(st.trailer.bpf_run_cnt, 789);
	assert_int_equal(st.trailer.stop, CAP_STOP_CMD_EXIT);
	assert_int_equal(st.trailer.unwritten, 0);
	/* wall clock: the pair plus the distance from its monotonic half */
	assert_int_equal(cap_wall_ns(&info.meta, 1000000000ULL),
			 m.clock_real_ns + 1000000ULL);
	free(g.e);
	free(c.buf);
}

/* Killed between chunks: every chunk, drops as of the last one. */
static void test_no_trailer(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	char msg[256];

	(void)state;
	make_meta(&m, 2);
	c = write_capture(&m, 0, 13, CHUNK, false);
	assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g), 0);
	assert_true(cap_damaged(&st));
	assert_false(st.has_trailer);
	assert_int_equal(g.n, 13);
	assert_int_equal(st.drops, 3);		/* the third flush's */
	assert_false(st.drops_final);
	cap_describe(msg, sizeof(msg), &st);
	assert_string_equal(msg, "truncated after chunk 2: 13 records read; trailer missing, drops unknown after chunk 2 (3 before)");
	free(g.e);
	free(c.buf);
}

/* ---- cut anywhere ------------------------------------------------------ */

/* Records of the chunks wholly inside the first len bytes. */
static size_t whole_records(const struct capture *c, int nr_chunks,
			    int per_chunk, int total, size_t len)
{
	int k;

	for (k = 0; k < nr_chunks; k++)
		if (chunk_end(c, k) > len)
			break;
	return k * per_chunk < total ? (size_t)k * per_chunk : (size_t)total;
}

static void test_truncate_everywhere(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	size_t len, i;
	char msg[256];

	(void)state;
	make_meta(&m, 3);
	c = write_capture(&m, 0, 13, CHUNK, true);	/* chunks 5, 5, 3 */
	for (len = 0; len < c.len; len++) {
		size_t want = whole_records(&c, 3, CHUNK, 13, len);

		assert_int_equal(read_bytes(c.buf, len, &info, &st, &g), 0);
		assert_true(cap_damaged(&st));
		assert_false(st.has_trailer);
		assert_int_equal(g.n, want);
		for (i = 0; i < g.n; i++)
			assert_true(same_event(&g.e[i], i));
		assert_int_equal(st.nr_errors, 0);	/* cut, not corrupt */
		cap_describe(msg, sizeof(msg), &st);
		assert_non_null(strstr(msg, "truncated"));
		assert_non_null(strstr(msg, "trailer missing"));
	}
	assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g), 0);
	assert_false(cap_damaged(&st));
	free(g.e);
	free(c.buf);
}

/* A cut inside a chunk whose header made it: say how much is gone. */
static void test_truncate_in_chunk_message(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	char msg[256];

	(void)state;
	make_meta(&m, 4);
	c = write_capture(&m, 0, 13, CHUNK, true);
	read_bytes(c.buf, chunk_end(&c, 0) + CAP_CHUNK_HDR_LEN + 3, &info, &st, &g);
	assert_int_equal(g.n, 5);
	assert_int_equal(st.partial_records, 5);
	cap_describe(msg, sizeof(msg), &st);
	assert_string_equal(msg, "truncated after chunk 0, in chunk 1 (its 5 records lost): 5 records read; trailer missing, drops unknown after chunk 0 (1 before)");
	free(g.e);
	free(c.buf);
}

/* ---- damage ------------------------------------------------------------ */

/* Whatever comes back is an in-order run of intact originals. */
static void assert_intact_subsequence(const struct got *g, int total)
{
	size_t i;
	int next = 0;

	for (i = 0; i < g->n; i++) {
		while (next < total && !same_event(&g->e[i], next))
			next++;
		assert_true(next < total);
		next++;
	}
}

static void test_flip_every_byte(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	size_t off;
	int bit;

	(void)state;
	make_meta(&m, 5);
	c = write_capture(&m, 0, 13, CHUNK, true);
	for (off = 0; off < c.len; off++) {
		for (bit = 0; bit < 8; bit += 3) {
			int err;

			c.buf[off] ^= 1 << bit;
			err = read_bytes(c.buf, c.len, &info, &st, &g);
			c.buf[off] ^= 1 << bit;
			if (off < 24 && err) {
				/* magic or versions: refused, nothing read */
				assert_true(err == -EINVAL || err == -EPROTONOSUPPORT);
				assert_int_equal(g.n, 0);
				continue;
			}
			assert_int_equal(err, 0);
			/* every byte is under a checksum: never unnoticed */
			assert_true(cap_damaged(&st));
			assert_true(st.nr_errors > 0);
			assert_intact_subsequence(&g, 13);
			/* at most the chunk holding the flip is lost */
			assert_true(g.n >= 13 - CHUNK);
		}
	}
	free(g.e);
	free(c.buf);
}

static void test_flip_chunk_data(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	char msg[256];
	size_t i;

	(void)state;
	make_meta(&m, 6);
	c = write_capture(&m, 0, 13, CHUNK, true);
	c.buf[chunk_end(&c, 0) + CAP_CHUNK_HDR_LEN + 2] ^= 0x10;
	assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g), 0);
	assert_int_equal(g.n, 8);
	for (i = 0; i < 5; i++)
		assert_true(same_event(&g.e[i], i));
	for (i = 5; i < 8; i++)
		assert_true(same_event(&g.e[i], i + 5));
	assert_int_equal(st.chunks_bad, 1);
	assert_int_equal(st.records_lost, 5);
	assert_true(st.has_trailer);
	cap_describe(msg, sizeof(msg), &st);
	assert_string_equal(msg, "chunk 1: data checksum mismatch, its 5 records lost: 8 of 13 records read");
	free(g.e);
	free(c.buf);
}

/* A chunk header hit: its length is unusable, the reader resyncs. */
static void test_flip_chunk_header(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	char msg[256];

	(void)state;
	make_meta(&m, 7);
	c = write_capture(&m, 0, 13, CHUNK, true);
	c.buf[chunk_end(&c, 0) + 12] ^= 0x01;	/* chunk 1's comp_len */
	assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g), 0);
	assert_int_equal(g.n, 8);
	assert_true(st.has_trailer);
	assert_true(st.bytes_skipped > 0);
	cap_describe(msg, sizeof(msg), &st);
	assert_non_null(strstr(msg, "chunk header at offset"));
	assert_non_null(strstr(msg, "8 of 13 records read"));
	free(g.e);
	free(c.buf);
}

/* Header damaged: no metadata, every chunk still found. */
static void test_flip_header(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;

	(void)state;
	make_meta(&m, 8);
	c = write_capture(&m, 0, 13, CHUNK, true);
	c.buf[40] ^= 0x20;		/* inside the kernel release */
	assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g), 0);
	assert_false(info.header_ok);
	assert_string_equal(info.meta.kernel, "");
	assert_int_equal(g.n, 13);
	assert_true(st.has_trailer);
	assert_non_null(strstr(st.errors[0], "header checksum mismatch"));
	free(g.e);
	free(c.buf);
}

static void test_not_a_capture(void **state)
{
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	char msg[256];
	__u8 junk[64] = "hello, this is not a capture";
	__u8 head[] = "PFNM";

	(void)state;
	assert_int_equal(read_bytes(junk, sizeof(junk), &info, &st, &g), -EINVAL);
	cap_describe_error(msg, sizeof(msg), -EINVAL, &info);
	assert_string_equal(msg, "not a pfnmap capture (no PFNMAPCF magic)");
	/* a prefix of the magic is a capture cut in its header */
	assert_int_equal(read_bytes(head, 4, &info, &st, &g), 0);
	assert_true(st.truncated);
	free(g.e);
}

static void test_newer_abi_refused(void **state)
{
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct capture c;
	size_t hl;

	(void)state;
	make_meta(&m, 9);
	c = write_capture(&m, 0, 3, CHUNK, true);
	put_le32(c.buf + 16, PFNMAP_ABI_VERSION + 1);
	hl = get_le32(c.buf + 12);
	put_le32(c.buf + hl - 4, crc32(0, c.buf, hl - 4));
	assert_int_equal(read_bytes(c.buf, c.len, &info, &st, &g),
			 -EPROTONOSUPPORT);
	assert_int_equal(g.n, 0);
	free(g.e);
	free(c.buf);
}

/* ---- writer limits ------------------------------------------------------ */

/* Writes until max_bytes stops it; checks the file is whole and bounded. */
static void fill_up_to(__u32 chunk, __u64 max, bool zlib,
		       struct capw_stats *ws)
{
	struct cap_writer_opts o = { .chunk_records = chunk, .max_bytes = max,
				     .zlib = zlib };
	struct cap_trailer t = { .stop = CAP_STOP_MAX_SIZE };
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct cap_writer *w;
	struct cap_meta m;
	int fd = memfd_create("cap", 0), i, err = 0;
	static __u8 buf[1 << 16];
	off_t len;

	make_meta(&m, 10);
	assert_int_equal(capw_open(&w, fd, &m, &o), 0);
	for (i = 0; i < 100000 && err != -EFBIG; i++) {
		struct pfnmap_event e = make_event(i);

		if (capw_add(w, &e) == 1)
			err = capw_flush(w, 0);
	}
	assert_int_equal(err, -EFBIG);
	assert_int_equal(capw_finish(w, &t), 0);
	capw_stats(w, ws);
	capw_free(w);
	len = lseek(fd, 0, SEEK_END);
	assert_true((__u64)len <= max);
	assert_int_equal(pread(fd, buf, len, 0), len);
	close(fd);
	assert_int_equal(read_bytes(buf, len, &info, &st, &g), 0);
	assert_false(cap_damaged(&st));
	assert_int_equal(g.n, ws->records);
	assert_int_equal(st.trailer.unwritten, ws->unwritten);
	assert_int_equal(ws->records + ws->unwritten, i);
	assert_true(ws->unwritten > 0 && ws->unwritten <= chunk);
	assert_int_equal(st.trailer.stop, CAP_STOP_MAX_SIZE);
	free(g.e);
}

static void test_max_bytes(void **state)
{
	struct capw_stats ws;

	(void)state;
	fill_up_to(CHUNK, 1500, false, &ws);
	fill_up_to(CHUNK, 1500, true, &ws);
	/* a big chunk that does not fit is cut to the part that does */
	fill_up_to(64, 6000, true, &ws);
	assert_true(ws.records % 64 != 0);
	assert_true(ws.unwritten < 64);
	/* the same with zstd, at a size where its last chunk is cut */
	fill_up_to(64, 5000, false, &ws);
	assert_true(ws.records % 64 != 0);
	assert_true(ws.unwritten < 64);
}

static void test_disk_full(void **state)
{
	struct cap_writer_opts o = { 0 };
	struct cap_writer *w;
	struct cap_meta m;
	int fd = open("/dev/full", O_WRONLY);

	(void)state;
	if (fd < 0)
		skip();
	make_meta(&m, 11);
	assert_int_equal(capw_open(&w, fd, &m, &o), -ENOSPC);
	close(fd);
}

/*
 * n records of make_event() in one chunk, with o, into buf (size bytes):
 * the capture's length.
 */
static off_t write_one_chunk(const struct cap_meta *m,
			     const struct cap_writer_opts *o, int n,
			     __u8 *buf, size_t size)
{
	struct cap_trailer t = { .stop = CAP_STOP_CMD_EXIT };
	struct cap_writer *w;
	int fd = memfd_create("cap", 0), i;
	off_t len;

	assert_int_equal(capw_open(&w, fd, m, o), 0);
	for (i = 0; i < n; i++) {
		struct pfnmap_event e = make_event(i);

		assert_int_equal(capw_add(w, &e), 0);
	}
	assert_int_equal(capw_finish(w, &t), 0);
	capw_free(w);
	len = lseek(fd, 0, SEEK_END);
	assert_true(len < (off_t)size);
	assert_int_equal(pread(fd, buf, len, 0), len);
	close(fd);
	return len;
}

/*
 * zstd by default, zlib on request: the chunk flag says which, and the
 * reader reads either, records unchanged.
 */
static void test_codecs(void **state)
{
	struct cap_info info;
	struct cap_status st;
	struct cap_meta m;
	static __u8 buf[1 << 16];
	int z, i;

	(void)state;
	make_meta(&m, 13);
	for (z = 0; z < 2; z++) {
		struct cap_writer_opts o = { .zlib = z };
		struct got g = { 0 };
		off_t len = write_one_chunk(&m, &o, 100, buf, sizeof(buf));
		__u32 flags;

		assert_int_equal(read_bytes(buf, len, &info, &st, &g), 0);
		assert_false(cap_damaged(&st));
		assert_int_equal(g.n, 100);
		for (i = 0; i < 100; i++) {
			struct pfnmap_event e = make_event(i);

			assert_memory_equal(&g.e[i], &e, sizeof(e));
		}
		/* the one chunk follows the header */
		flags = get_le32(buf + get_le32(buf + 12) + 16);
		assert_int_equal(flags, CAP_CF_SHUFFLE | CAP_CF_DELTA_START |
					(z ? 0 : CAP_CF_ZSTD));
		free(g.e);
	}
}

/*
 * Every format the writer can still make for older readers reads back
 * the same records; only format 4 delta-codes start times.
 */
static void test_formats(void **state)
{
	static const __u32 formats[] = { 2, 3, 4 };
	struct cap_info info;
	struct cap_status st;
	struct cap_writer *w;
	struct cap_meta m;
	static __u8 buf[1 << 16];
	size_t f;
	int i;

	(void)state;
	make_meta(&m, 14);
	for (f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		struct cap_writer_opts o = { .format = formats[f] };
		struct got g = { 0 };
		off_t len = write_one_chunk(&m, &o, 300, buf, sizeof(buf));
		__u32 flags;

		assert_int_equal(read_bytes(buf, len, &info, &st, &g), 0);
		assert_int_equal(info.version, formats[f]);
		assert_false(cap_damaged(&st));
		assert_int_equal(g.n, 300);
		for (i = 0; i < 300; i++)
			assert_true(same_event(&g.e[i], i));
		flags = get_le32(buf + get_le32(buf + 12) + 16);
		assert_int_equal(!!(flags & CAP_CF_DELTA_START), formats[f] >= 4);
		free(g.e);
	}
	/* a format this writer does not know */
	{
		struct cap_writer_opts o = { .format = CAP_VERSION + 1 };

		assert_int_equal(capw_open(&w, -1, &m, &o), -EINVAL);
	}
}

/* Drops without records still reach the file, in an empty chunk. */
static void test_empty_chunk_tells_drops(void **state)
{
	struct cap_writer_opts o = { 0 };
	struct cap_info info;
	struct cap_status st;
	struct got g = { 0 };
	struct cap_writer *w;
	struct cap_meta m;
	int fd = memfd_create("cap", 0);
	__u8 buf[4096];
	off_t len;

	(void)state;
	make_meta(&m, 12);
	assert_int_equal(capw_open(&w, fd, &m, &o), 0);
	assert_int_equal(capw_flush(w, 0), 0);		/* nothing: no chunk */
	assert_int_equal(capw_flush(w, 7), 0);		/* drops: a chunk */
	capw_free(w);
	len = lseek(fd, 0, SEEK_END);
	assert_int_equal(pread(fd, buf, len, 0), len);
	close(fd);
	assert_int_equal(read_bytes(buf, len, &info, &st, &g), 0);
	assert_int_equal(st.chunks, 1);
	assert_int_equal(st.drops, 7);
	assert_int_equal(g.n, 0);
	free(g.e);
}

/* ---- merge ---------------------------------------------------------------- */

static int to_agg(void *ctx, const struct pfnmap_event *e)
{
	assert_int_equal(agg_add(ctx, e), 0);
	return 0;
}

static void test_merge_two(void **state)
{
	struct cap_meta ma, mb;
	struct cap_info ia, ib;
	const struct cap_info *v[2] = { &ia, &ib };
	struct cap_status sa, sb;
	struct cap_kind_merge km;
	struct agg_stats t;
	struct capture a, b;
	struct agg *agg = agg_new(AGG_BY_KIND);
	__u64 ops = 0;
	int k;

	(void)state;
	make_meta(&ma, 20);
	make_meta(&mb, 21);
	/* b saw uffd_copy with its retries, a through the ioctl only */
	mb.modes[PFNMAP_K_UFFD_COPY].source = PFNMAP_S_FENTRY;
	mb.modes[PFNMAP_K_UFFD_COPY].valid = PFNMAP_V_PAGES | PFNMAP_V_RETRIES;
	mb.modes[PFNMAP_K_VFIO_ZAP].source = PFNMAP_S_KPROBE;
	a = write_capture(&ma, 0, 40, CHUNK, true);
	b = write_capture(&mb, 40, 60, 16, true);
	assert_int_equal(cap_read(a.buf, a.len, &ia, &sa, to_agg, agg), 0);
	assert_int_equal(cap_read(b.buf, b.len, &ib, &sb, to_agg, agg), 0);
	assert_int_equal(sa.records + sb.records, 100);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		agg_total_kind(agg, k, &t);
		ops += t.ops;
	}
	assert_int_equal(ops, 100);

	cap_merge_kind(v, 2, PFNMAP_K_UFFD_COPY, &km);
	assert_true(km.traced);
	assert_false(km.unknown);
	assert_int_equal(km.sources, (1U << PFNMAP_S_SYSCALL) | (1U << PFNMAP_S_FENTRY));
	assert_int_equal(km.can_see, PFNMAP_V_PAGES);	/* retries: not in a */
	assert_string_equal(km.why, ma.modes[PFNMAP_K_UFFD_COPY].why);

	cap_merge_kind(v, 2, PFNMAP_K_VFIO_ZAP, &km);	/* only b traced it */
	assert_true(km.traced);
	assert_int_equal(km.sources, 1U << PFNMAP_S_KPROBE);

	ia.header_ok = false;				/* a's header lost */
	cap_merge_kind(v, 2, PFNMAP_K_UFFD_COPY, &km);
	assert_true(km.unknown);
	assert_int_equal(km.can_see, PFNMAP_V_PAGES | PFNMAP_V_RETRIES);
	agg_free(agg);
	free(a.buf);
	free(b.buf);
}

static void test_fmt_count(void **state)
{
	char b[32];

	(void)state;
	fmt_count(b, sizeof(b), 0);
	assert_string_equal(b, "0");
	fmt_count(b, sizeof(b), 999);
	assert_string_equal(b, "999");
	fmt_count(b, sizeof(b), 3400);
	assert_string_equal(b, "3,400");
	fmt_count(b, sizeof(b), 18446744073709551615ULL);
	assert_string_equal(b, "18,446,744,073,709,551,615");
	fmt_count(b, 4, 123456);
	assert_string_equal(b, "123");
}

/* ---- names (format 3) ------------------------------------------------- */

struct names_got {
	int	n;
	char	text[8][160];
};

static int collect_name(void *ctx, const struct cap_name *n)
{
	struct names_got *g = ctx;

	if (g->n < 8)
		snprintf(g->text[g->n], sizeof(g->text[0]), "%u %llx %x %s|%s",
			 n->tag, (unsigned long long)n->key, n->off, n->name,
			 n->module ? n->module : "(null)");
	g->n++;
	return 0;
}

static int count_rec(void *ctx, const struct pfnmap_event *e)
{
	(void)e;
	(*(int *)ctx)++;
	return 0;
}

struct both {
	struct names_got	names;
	int			recs;
};

static int both_name(void *ctx, const struct cap_name *n)
{
	return collect_name(&((struct both *)ctx)->names, n);
}

static int both_rec(void *ctx, const struct pfnmap_event *e)
{
	return count_rec(&((struct both *)ctx)->recs, e);
}

/* Names written with chunks come back before their records, and a cut
 * anywhere or a flipped byte never hands out a damaged name. */
static void test_names(void **state)
{
	struct cap_name ks = { .tag = CAP_N_KSYM, .key = 0xffffffffc0a1b2c3ULL,
			       .off = 0x113, .name = "vfio_basic_config_write",
			       .module = "vfio_pci_core" };
	struct cap_name vm = { .tag = CAP_N_KSYM, .key = 0xffffffff81000010ULL,
			       .off = 0x10, .name = "follow_pfnmap_start" };
	struct cap_name cg = { .tag = CAP_N_CGROUP, .key = 42,
			       .name = "/machine.slice/vm.scope" };
	struct cap_writer_opts o = { .chunk_records = CHUNK };
	struct cap_trailer t = { .stop = CAP_STOP_CMD_EXIT };
	struct pfnmap_event e = make_event(1);
	struct cap_writer *w;
	struct cap_meta m;
	struct cap_info info;
	struct cap_status st;
	struct both b = { 0 };
	int fd = memfd_create("cap", 0);
	__u8 *buf;
	off_t len, cut;

	(void)state;
	make_meta(&m, 7);
	assert_int_equal(capw_open(&w, fd, &m, &o), 0);
	assert_int_equal(capw_name(w, &ks), 0);
	assert_int_equal(capw_name(w, &cg), 0);
	capw_add(w, &e);
	assert_int_equal(capw_flush(w, 0), 0);
	assert_int_equal(capw_name(w, &vm), 0);
	capw_add(w, &e);
	assert_int_equal(capw_finish(w, &t), 0);
	capw_free(w);
	len = lseek(fd, 0, SEEK_END);
	buf = malloc(len);
	assert_int_equal(pread(fd, buf, len, 0), len);
	close(fd);

	assert_int_equal(cap_read_names(buf, len, &info, &st, both_rec,
					 both_name, &b), 0);
	assert_false(cap_damaged(&st));
	assert_int_equal(info.version, CAP_VERSION);
	assert_int_equal(b.recs, 2);
	assert_int_equal(b.names.n, 3);
	assert_int_equal(st.names, 3);
	assert_string_equal(b.names.text[0],
			    "1 ffffffffc0a1b2c3 113 vfio_basic_config_write|vfio_pci_core");
	assert_string_equal(b.names.text[1], "2 2a 0 /machine.slice/vm.scope|");
	assert_string_equal(b.names.text[2],
			    "1 ffffffff81000010 10 follow_pfnmap_start|");
	/* cap_read() skips them silently */
	b.recs = 0;
	assert_int_equal(cap_read(buf, len, &info, &st, count_rec, &b.recs), 0);
	assert_false(cap_damaged(&st));
	assert_int_equal(b.recs, 2);
	for (cut = 0; cut < len; cut++) {
		__u8 *c = malloc(cut ? cut : 1);

		memcpy(c, buf, cut);
		cap_read_names(c, cut, &info, &st, both_rec, both_name, &b);
		buf[cut] ^= 0x40;
		memset(&b, 0, sizeof(b));
		cap_read_names(buf, len, &info, &st, both_rec, both_name, &b);
		assert_true(b.names.n <= 3);
		buf[cut] ^= 0x40;
		free(c);
	}
	free(buf);
}

/* format 2, which readers before format 3 read: no names. */
static void test_no_names(void **state)
{
	struct cap_name ks = { .tag = CAP_N_KSYM, .key = 1, .name = "f" };
	struct cap_writer_opts o = { .format = CAP_VERSION_NO_NAMES };
	struct cap_trailer t = { .stop = CAP_STOP_CMD_EXIT };
	struct cap_writer *w;
	struct cap_meta m;
	struct cap_info info;
	int fd = memfd_create("cap", 0);
	__u8 buf[4096];
	off_t len;

	(void)state;
	make_meta(&m, 8);
	assert_int_equal(capw_open(&w, fd, &m, &o), 0);
	assert_int_equal(capw_name(w, &ks), -EOPNOTSUPP);
	assert_int_equal(capw_finish(w, &t), 0);
	capw_free(w);
	len = lseek(fd, 0, SEEK_END);
	assert_true(len < (off_t)sizeof(buf));
	assert_int_equal(pread(fd, buf, len, 0), len);
	close(fd);
	assert_int_equal(cap_read_header(buf, len, &info), 0);
	assert_int_equal(info.version, CAP_VERSION_NO_NAMES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_roundtrip_block_edges),
		cmocka_unit_test(test_roundtrip_one_varying_byte),
		cmocka_unit_test(test_header_trailer_fields),
		cmocka_unit_test(test_no_trailer),
		cmocka_unit_test(test_truncate_everywhere),
		cmocka_unit_test(test_truncate_in_chunk_message),
		cmocka_unit_test(test_flip_every_byte),
		cmocka_unit_test(test_flip_chunk_data),
		cmocka_unit_test(test_flip_chunk_header),
		cmocka_unit_test(test_flip_header),
		cmocka_unit_test(test_not_a_capture),
		cmocka_unit_test(test_newer_abi_refused),
		cmocka_unit_test(test_max_bytes),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_codecs),
		cmocka_unit_test(test_formats),
		cmocka_unit_test(test_empty_chunk_tells_drops),
		cmocka_unit_test(test_merge_two),
		cmocka_unit_test(test_fmt_count),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
