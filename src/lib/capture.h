/* SPDX-License-Identifier: GPL-2.0 */
/*
 * capture.h - the capture file of `pfnmap record`, read by `pfnmap report`.
 * docs/capture-format.md is the byte-exact description; this header is its
 * C form.
 *
 *	file header	magic, versions, TLV metadata, crc32
 *	chunk ...	header (counts, drops so far, crc32s) + zstd or zlib data
 *	names ...	(format 3) symbols of kernel addresses, cgroup paths,
 *			each section before the first chunk that needs it
 *	trailer		totals, final drops, crc32
 *
 * All integers are little-endian, records included.  The writer
 * (capture_write.c) appends to a file descriptor.  The reader
 * (capture_read.c) is a pure function over bytes, with no I/O and no
 * global state, so that it can be fuzzed: whatever the bytes, it returns
 * the records of every intact chunk and says what it could not read.
 */
#ifndef __PFNMAP_CAPTURE_H
#define __PFNMAP_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>
#include "pfnmap.h"

#define CAP_MAGIC		"PFNMAPCF"	/* 8 bytes, no NUL */
/*
 * 2: chunks may be zstd (CAP_CF_ZSTD); 3: names sections (kernel symbols,
 * cgroup paths); 4: start times delta-coded in a chunk
 * (CAP_CF_DELTA_START).  Older formats are read too; an older reader
 * refuses a newer format rather than take what it adds for damage.
 */
#define CAP_VERSION		4
#define CAP_VERSION_NO_NAMES	2
#define CAP_FIXED_LEN		32	/* file header before the TLVs */
#define CAP_HEADER_MAX		(1U << 20)
#define CAP_CHUNK_MAGIC		0x4b434650U	/* "PFCK" */
#define CAP_CHUNK_HDR_LEN	56
#define CAP_TRAILER_MAGIC	0x52544650U	/* "PFTR" */
#define CAP_TRAILER_LEN		64
#define CAP_NAMES_MAGIC		0x4d4e4650U	/* "PFNM" */
#define CAP_NAMES_HDR_LEN	24
#define CAP_NAMES_MAX		(1U << 20)	/* data bytes of one section */
/* The reader refuses larger chunks; the writer makes 4096-record ones. */
#define CAP_CHUNK_MAX_RECORDS	65536
#define CAP_CHUNK_RECORDS	4096

/* Chunk flags */
#define CAP_CF_SHUFFLE		(1U << 0)	/* byte-transposed records */
#define CAP_CF_ZSTD		(1U << 1)	/* a zstd frame, else zlib */
/* start_ns of record i > 0 is its difference from record i - 1's */
#define CAP_CF_DELTA_START	(1U << 2)
#define CAP_CF_KNOWN		(CAP_CF_SHUFFLE | CAP_CF_ZSTD | \
				 CAP_CF_DELTA_START)

/* Header TLV tags; a reader skips tags it does not know. */
enum cap_tag {
	CAP_T_KERNEL = 1,	/* uname -r */
	CAP_T_HOST,		/* uname -n */
	CAP_T_BOOT_ID,		/* /proc/sys/kernel/random/boot_id */
	CAP_T_CLOCK,		/* u64 monotonic ns, u64 realtime ns */
	CAP_T_MODE,		/* u8 kind, u8 source, u16 valid, why */
	CAP_T_CMDLINE,		/* argv, each argument NUL-terminated */
};

/* Entry tags of a names section; a reader skips tags it does not know. */
enum cap_name_tag {
	CAP_N_KSYM = 1,		/* u64 address, u32 offset, name NUL module */
	CAP_N_CGROUP,		/* u64 cgroup id, path */
};

/* One entry of a names section. */
struct cap_name {
	__u16		tag;		/* enum cap_name_tag */
	__u64		key;		/* kernel address, cgroup id */
	__u32		off;		/* CAP_N_KSYM: key - function start */
	const char	*name;		/* function, or cgroup path */
	const char	*module;	/* CAP_N_KSYM: "" for vmlinux */
};

/* Why recording stopped (trailer). */
enum cap_stop {
	CAP_STOP_UNKNOWN = 0,
	CAP_STOP_CMD_EXIT,	/* -- CMD exited */
	CAP_STOP_DURATION,	/* -d */
	CAP_STOP_SIGNAL,	/* SIGINT/SIGTERM */
	CAP_STOP_MAX_SIZE,	/* --max-size reached */
	CAP_STOP_WRITE_ERROR,	/* disk full, I/O error */
	CAP_STOP_MAX,
};

#define CAP_STR_LEN		72	/* kernel release, host name, boot id */
#define CAP_WHY_LEN		256
#define CAP_CMDLINE_LEN		4096

/* How one kind was observed during the capture. */
struct cap_mode {
	bool		present;	/* the header has a MODE item for it */
	__u8		source;		/* enum pfnmap_source */
	__u16		valid;		/* PFNMAP_V_* the mode can fill in */
	char		why[CAP_WHY_LEN];
};

/* What the file header says, besides versions. */
struct cap_meta {
	__u64		capture_id;	/* random, tells captures apart */
	char		kernel[CAP_STR_LEN];
	char		host[CAP_STR_LEN];
	char		boot_id[CAP_STR_LEN];
	bool		has_clock;
	__u64		clock_mono_ns;	/* read together with ... */
	__u64		clock_real_ns;	/* ... this CLOCK_REALTIME */
	struct cap_mode	modes[PFNMAP_K_MAX];
	char		cmdline[CAP_CMDLINE_LEN];	/* NUL-separated */
	__u32		cmdline_len;	/* bytes used in cmdline */
};

struct cap_trailer {
	__u32		nr_chunks;
	__u64		nr_records;
	__u64		drops;		/* ring-buffer drops, final */
	__u64		end_ns;		/* monotonic, when recording stopped */
	__u64		bpf_run_ns;	/* BPF run time of the session */
	__u64		bpf_run_cnt;
	__u32		stop;		/* enum cap_stop */
	__u32		unwritten;	/* records not written (--max-size) */
};

/* Wall-clock ns of a monotonic ns, with the header's clock pair. */
static inline __s64 cap_wall_ns(const struct cap_meta *m, __u64 mono_ns)
{
	return (__s64)m->clock_real_ns + (__s64)(mono_ns - m->clock_mono_ns);
}

/* ---- writer ---------------------------------------------------------- */

struct cap_writer;

struct cap_writer_opts {
	__u32		chunk_records;	/* 0: CAP_CHUNK_RECORDS */
	int		level;		/* codec level, 0: default of the format */
	bool		zlib;		/* zlib chunks (older readers), not zstd */
	__u64		max_bytes;	/* 0: no limit */
	bool		writeback;	/* start writeback of every chunk */
	/* 0: CAP_VERSION; 2 (no names) or 3 (no deltas): for older readers */
	__u32		format;
};

/*
 * Writes the header to fd (the caller opened and owns it).  Returns 0 or
 * a negative errno: -EFBIG if header and trailer exceed max_bytes.
 */
int capw_open(struct cap_writer **wp, int fd, const struct cap_meta *m,
	      const struct cap_writer_opts *o);
/* Queues one record.  Returns 1 when the chunk is full: call capw_flush(). */
int capw_add(struct cap_writer *w, const struct pfnmap_event *e);
/*
 * Queues a name (a caller's symbol, a cgroup's path): written in a names
 * section just before the next chunk, so that a capture cut short still
 * names what its chunks hold.  -EOPNOTSUPP with no_names, -ENOMEM.
 */
int capw_name(struct cap_writer *w, const struct cap_name *n);
/*
 * Writes the queued records as one chunk that also tells drops so far.
 * With nothing queued, writes an empty chunk only if drops changed.
 * -EFBIG: the chunk did not fit in max_bytes: the longest part of it
 * that fits was written, the rest discarded (capw_stats().unwritten);
 * -ENOSPC/-EIO...: the write failed, and the file was cut back to its
 * last complete chunk.  Either way, only capw_finish() may follow.
 */
int capw_flush(struct cap_writer *w, __u64 drops);
/* Flushes, writes the trailer, fdatasync()s.  Does not close fd. */
int capw_finish(struct cap_writer *w, const struct cap_trailer *t);
void capw_free(struct cap_writer *w);

struct capw_stats {
	__u64		records;	/* written in chunks */
	__u32		chunks;
	__u64		bytes;		/* file size so far */
	__u64		chunk_bytes;	/* of it, the chunks (header + data) */
	__u64		raw_bytes;	/* records before compression */
	__u64		unwritten;	/* discarded: max_bytes or write error */
	__u32		pending;	/* queued, not yet written */
	__u32		names;		/* names written */
	__u32		names_dropped;	/* no room under max_bytes */
};
void capw_stats(const struct cap_writer *w, struct capw_stats *st);

/* Encodes the file header into buf; returns its length, or -ENOSPC. */
int cap_encode_header(void *buf, size_t len, const struct cap_meta *m);

/* ---- reader ---------------------------------------------------------- */

/* The header, as far as it could be read. */
struct cap_info {
	__u16		version;
	__u32		abi_version;
	__u32		record_size;
	bool		header_ok;	/* checksum matched: meta is valid */
	struct cap_meta	meta;
};

#define CAP_MAX_ERRORS		4
#define CAP_ERR_LEN		160

/* What reading found, besides the records. */
struct cap_status {
	__u64		bytes;		/* input size */
	__u32		chunks;		/* chunks read */
	__u32		chunks_bad;	/* checksum or decompression errors */
	__u32		last_seq;	/* of the last chunk read */
	__u64		records;	/* handed to the callback */
	__u64		records_lost;	/* in chunks that failed their checks */
	__u64		records_bad;	/* kind out of range: skipped */
	__u64		bytes_skipped;	/* unreadable bytes passed over */
	__u32		names;		/* names entries read */
	__u64		drops;		/* the trailer's, else the last chunk's */
	bool		drops_final;	/* from the trailer */
	__u64		first_ns, last_ns;	/* start_ns range of records read */
	bool		has_trailer;
	struct cap_trailer trailer;
	bool		truncated;	/* data ends inside a structure */
	__u64		end_offset;	/* end of the last good structure */
	__u32		partial_records;	/* in a cut-off chunk, if known */
	__u32		partial_seq;		/* that chunk's number */
	int		nr_errors;	/* corruption found (all of it) */
	char		errors[CAP_MAX_ERRORS][CAP_ERR_LEN];	/* the first ones */
};

/* Returns non-zero to stop reading; cap_read() then returns that. */
typedef int (*cap_record_cb)(void *ctx, const struct pfnmap_event *e);
/* Same; the strings live until it returns, controls replaced by '?'. */
typedef int (*cap_name_cb)(void *ctx, const struct cap_name *n);

/*
 * Reads a capture from buf.  info and st are always filled in.  Returns
 * 0 when records could be looked for (check cap_damaged(st)), -EINVAL if
 * buf is not a capture, -EPROTONOSUPPORT for a format version or record
 * ABI this reader does not know, -ENOMEM, or the callback's value.
 */
int cap_read(const void *buf, size_t len, struct cap_info *info,
	     struct cap_status *st, cap_record_cb cb, void *ctx);
/* cap_read(), with the names of the capture handed to name_cb too. */
int cap_read_names(const void *buf, size_t len, struct cap_info *info,
		   struct cap_status *st, cap_record_cb cb,
		   cap_name_cb name_cb, void *ctx);
/* Only the header: info, and 0 or cap_read()'s errors; no records. */
int cap_read_header(const void *buf, size_t len, struct cap_info *info);
/* The capture is not whole: truncated, corrupt, or a trailer mismatch. */
bool cap_damaged(const struct cap_status *st);
/*
 * One line saying what is wrong and what was recovered, e.g. "truncated
 * after chunk 12: 3,400 records read; trailer missing, drops unknown
 * after chunk 12 (0 before)".  "complete" if nothing is wrong.
 */
void cap_describe(char *buf, size_t len, const struct cap_status *st);
/* One line for a cap_read() error, e.g. "not a pfnmap capture". */
void cap_describe_error(char *buf, size_t len, int err,
			const struct cap_info *info);

/* How one kind was seen across the captures a report merges. */
struct cap_kind_merge {
	bool		traced;		/* attached in at least one capture */
	bool		unknown;	/* a capture's header does not say */
	__u32		sources;	/* 1 << enum pfnmap_source, of those */
	__u16		can_see;	/* fields all of those could see */
	const char	*why;		/* of the first capture that attached it */
};
void cap_merge_kind(const struct cap_info *const *v, int n, int kind,
		    struct cap_kind_merge *out);

/* "12,345" */
void fmt_count(char *buf, size_t len, __u64 v);

/* ---- byte order ------------------------------------------------------ */

static inline void put_le16(__u8 *p, __u16 v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static inline void put_le32(__u8 *p, __u32 v)
{
	put_le16(p, v);
	put_le16(p + 2, v >> 16);
}

static inline void put_le64(__u8 *p, __u64 v)
{
	put_le32(p, v);
	put_le32(p + 4, v >> 32);
}

static inline __u16 get_le16(const __u8 *p)
{
	return p[0] | (__u16)p[1] << 8;
}

static inline __u32 get_le32(const __u8 *p)
{
	return get_le16(p) | (__u32)get_le16(p + 2) << 16;
}

static inline __u64 get_le64(const __u8 *p)
{
	return get_le32(p) | (__u64)get_le32(p + 4) << 32;
}

/*
 * Records are stored little-endian.  The swap is its own inverse: the
 * writer and the reader both call it, and on little-endian hosts it is
 * nothing.  A new field in struct pfnmap_event needs a line here.
 */
static inline void cap_event_swap(struct pfnmap_event *e)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	__u32 *u32s = &e->pages;
	int i;

	e->valid = __builtin_bswap16(e->valid);
	e->pid = __builtin_bswap32(e->pid);
	e->tid = __builtin_bswap32(e->tid);
	e->flags = __builtin_bswap32(e->flags);
	e->cgroup_id = __builtin_bswap64(e->cgroup_id);
	e->start_ns = __builtin_bswap64(e->start_ns);
	e->duration_ns = __builtin_bswap64(e->duration_ns);
	e->ret = __builtin_bswap64(e->ret);
	e->addr = __builtin_bswap64(e->addr);
	e->len = __builtin_bswap64(e->len);
	e->caller = __builtin_bswap64(e->caller);
	/* pages .. bar_faults: ten __u32 in a row */
	for (i = 0; i < 10; i++)
		u32s[i] = __builtin_bswap32(u32s[i]);
	/* ABI 2 */
	e->zap_tid = __builtin_bswap32(e->zap_tid);
	e->zaps_attributed = __builtin_bswap32(e->zaps_attributed);
	e->zap_gap_ns = __builtin_bswap64(e->zap_gap_ns);
	e->retry_ns = __builtin_bswap64(e->retry_ns);
	e->seq_aborts = __builtin_bswap32(e->seq_aborts);
	e->seq_spurious = __builtin_bswap32(e->seq_spurious);
	e->eagain_pte = __builtin_bswap16(e->eagain_pte);
	e->eagain_changing = __builtin_bswap16(e->eagain_changing);
	e->zero_pages = __builtin_bswap32(e->zero_pages);
	e->locked_delta = __builtin_bswap32(e->locked_delta);
	e->nr_switches = __builtin_bswap32(e->nr_switches);
#else
	(void)e;
#endif
}

#endif /* __PFNMAP_CAPTURE_H */
