// SPDX-License-Identifier: GPL-2.0
/*
 * gen_corpus.c - writes the seed corpus of fuzz_capture, small captures
 * made by the real writer (src/lib/capture_write.c): whole, empty, cut off,
 * corrupt.  Deterministic: the same bytes every time, so regenerating
 * the committed corpus shows no diff unless the format changed.
 *
 *	gen_corpus DIR		(run by tests/fuzz/gen-corpus.sh)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include "capture.h"

static const char *dir;

/* One of each shape of record: pins with retries, callers, uffd errors. */
static struct pfnmap_event event(int i)
{
	static const int kinds[] = {
		PFNMAP_K_VFIO_PIN, PFNMAP_K_FOLLOW_PFNMAP,
		PFNMAP_K_FIXUP_USER_FAULT, PFNMAP_K_UFFD_COPY,
		PFNMAP_K_VFIO_ZAP,
	};
	struct pfnmap_event e;

	memset(&e, 0, sizeof(e));
	e.kind = kinds[i % 5];
	e.source = e.kind == PFNMAP_K_UFFD_COPY ? PFNMAP_S_SYSCALL : PFNMAP_S_FENTRY;
	e.valid = e.source == PFNMAP_S_SYSCALL ? PFNMAP_V_PAGES : 0x7f;
	e.pid = 4000 + i % 2;
	e.tid = e.pid + i % 3;
	e.start_ns = 5000000000ULL + i * 20000ULL;
	e.duration_ns = 800 + i * 310;
	e.ret = e.kind == PFNMAP_K_UFFD_COPY && i % 2 ? -17 : 0;
	e.addr = 0x7f1200000000ULL + i * 0x1000ULL;
	e.len = 1 + i % 4;
	e.pages = e.ret ? 0 : e.len;
	e.retries = i % 4;
	e.follow_calls = 1 + i % 3;
	e.fixup_calls = i % 2;
	e.fixup_unlocked = i % 2;
	e.zap_races = i % 7 == 0;
	if (e.kind != PFNMAP_K_VFIO_PIN && e.kind != PFNMAP_K_UFFD_COPY)
		e.caller = 0xffffffff81234000ULL + (i % 3) * 0x40;
	snprintf(e.comm, sizeof(e.comm), i % 2 ? "qemu-kvm" : "stress");
	return e;
}

static void meta(struct cap_meta *m)
{
	static const char cmd[] = "pfnmap\0record\0-o\0x.data\0";
	int k;

	memset(m, 0, sizeof(*m));
	m->capture_id = 0x5eed5eed5eed5eedULL;
	strcpy(m->kernel, "6.12.0-fuzz");
	strcpy(m->host, "fuzzhost");
	strcpy(m->boot_id, "00000000-0000-4000-8000-000000000000");
	m->has_clock = true;
	m->clock_mono_ns = 4999000000ULL;
	m->clock_real_ns = 1760000000000000000ULL;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		m->modes[k].present = true;
		m->modes[k].source = k == PFNMAP_K_UFFD_COPY ? PFNMAP_S_SYSCALL :
				     PFNMAP_S_FENTRY;
		m->modes[k].valid = k == PFNMAP_K_UFFD_COPY ? PFNMAP_V_PAGES : 0x7f;
		snprintf(m->modes[k].why, sizeof(m->modes[k].why), "seed %d", k);
	}
	memcpy(m->cmdline, cmd, sizeof(cmd) - 1);
	m->cmdline_len = sizeof(cmd) - 1;
}

/* A caller's symbol and a cgroup's path: a names section (format 3). */
static void names(struct cap_writer *w)
{
	const struct cap_name ksym = {
		.tag = CAP_N_KSYM, .key = 0xffffffffc0a01234ULL, .off = 0x113,
		.name = "vfio_basic_config_write", .module = "vfio_pci_core",
	};
	const struct cap_name cg = {
		.tag = CAP_N_CGROUP, .key = 4242, .name = "/machine.slice/vm1",
	};

	if (capw_name(w, &ksym) || capw_name(w, &cg))
		exit(1);
}

/* A capture of n records, 4 per chunk, into memory; named on request. */
static __u8 *capture(int n, bool trailer, bool named, size_t *len)
{
	struct cap_writer_opts o = { .chunk_records = 4 };
	struct cap_trailer t = { .drops = 2, .end_ns = 6000000000ULL,
				 .bpf_run_ns = 5000, .bpf_run_cnt = 40,
				 .stop = CAP_STOP_SIGNAL };
	struct cap_writer *w;
	struct cap_meta m;
	int fd = memfd_create("seed", 0), i;
	__u8 *buf;

	meta(&m);
	if (fd < 0 || capw_open(&w, fd, &m, &o))
		exit(1);
	if (named)
		names(w);
	for (i = 0; i < n; i++) {
		struct pfnmap_event e = event(i);

		if (capw_add(w, &e) == 1 && capw_flush(w, i / 4))
			exit(1);
	}
	if (trailer ? capw_finish(w, &t) : capw_flush(w, 1))
		exit(1);
	capw_free(w);
	*len = lseek(fd, 0, SEEK_END);
	buf = malloc(*len);
	if (!buf || pread(fd, buf, *len, 0) != (ssize_t)*len)
		exit(1);
	close(fd);
	return buf;
}

static void put(const char *name, const __u8 *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "gen_corpus: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	size_t len, hl;
	__u8 *b;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 2;
	}
	dir = argv[1];
	b = capture(10, true, false, &len);
	put("whole.cap", b, len);
	hl = get_le32(b + 12);
	put("cut-in-header.cap", b, hl / 2);
	put("cut-in-chunk.cap", b, hl + CAP_CHUNK_HDR_LEN + 40 + 10);
	put("cut-before-trailer.cap", b, len - CAP_TRAILER_LEN);
	b[hl + CAP_CHUNK_HDR_LEN + 5] ^= 0x40;		/* chunk 0's data */
	put("bad-chunk-data.cap", b, len);
	b[hl + CAP_CHUNK_HDR_LEN + 5] ^= 0x40;
	b[hl + 8] ^= 0x01;				/* chunk 0's count */
	put("bad-chunk-header.cap", b, len);
	b[hl + 8] ^= 0x01;
	b[40] ^= 0x20;					/* the header */
	put("bad-header.cap", b, len);
	free(b);
	b = capture(0, true, false, &len);
	put("empty.cap", b, len);
	free(b);
	b = capture(3, false, false, &len);
	put("no-trailer.cap", b, len);
	free(b);
	b = capture(10, true, true, &len);
	put("names.cap", b, len);
	free(b);
	return 0;
}
