// SPDX-License-Identifier: GPL-2.0
/*
 * capture_read.c - reads a capture (docs/capture-format.md) from memory.
 *
 * No I/O and no global state: the input is a byte range, the output the
 * callback's records plus struct cap_info and struct cap_status.  Every
 * length read from the input is checked against the bytes left before it
 * is used, so any input, a fuzzer's included, is safe.
 *
 * Recovery: a chunk whose data fails its checksum is skipped by its
 * length (its header is intact).  A chunk header that fails its checksum
 * gives no trustworthy length, so the reader scans forward for the next
 * chunk or trailer whose own checksum holds.  A capture cut off anywhere
 * yields every chunk before the cut.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include "capture.h"
#include "transpose.h"

#define REC_SIZE	sizeof(struct pfnmap_event)

/*
 * A byte-transposed chunk is un-shuffled BLOCK records at a time into a
 * buffer that stays in L1, and handed out from there: un-shuffled whole
 * first, a 4096-record chunk would be another 768 KiB written and read
 * back, with the 768 KiB it comes from more than L2 holds.  Bytes move
 * TILE x TILE at a time: TILE bytes of each of TILE records.
 */
#define BLOCK		64
#define NR_TILES	(REC_SIZE / TILE)

_Static_assert(REC_SIZE % TILE == 0, "a record is whole tiles");
_Static_assert(NR_TILES <= 16, "a tile mask fits in __u16");

struct reader {
	const __u8		*p;
	size_t			len;
	size_t			off;
	struct cap_info		*info;
	struct cap_status	*st;
	cap_record_cb		cb;
	cap_name_cb		name_cb;
	void			*ctx;
	__u8			*raw;		/* decompressed chunk */
	ZSTD_DCtx		*zd;		/* made at the first zstd chunk */
	size_t			cap;		/* of raw */
	__u32			next_seq;
	/* un-shuffled records of the current block */
	struct pfnmap_event	blk[BLOCK] __attribute__((aligned(64)));
};

/* Result of reading one structure. */
enum step { STEP_NEXT, STEP_END, STEP_RESYNC };

void fmt_count(char *buf, size_t len, __u64 v)
{
	char digits[24];
	size_t n, i, o = 0;

	n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	for (i = 0; i < n && o + 1 < len; i++) {
		if (i && (n - i) % 3 == 0 && o + 2 < len)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	if (len)
		buf[o < len ? o : len - 1] = '\0';
}

static void add_error(struct cap_status *st, const char *fmt, ...)
{
	va_list ap;

	if (st->nr_errors < CAP_MAX_ERRORS) {
		va_start(ap, fmt);
		vsnprintf(st->errors[st->nr_errors], CAP_ERR_LEN, fmt, ap);
		va_end(ap);
	}
	st->nr_errors++;
}

/* ---- header ---------------------------------------------------------- */

/* A header string: bounded, NUL-terminated, no control characters. */
static void copy_str(char *dst, size_t size, const __u8 *v, size_t n,
		     bool keep_nul)
{
	size_t i;

	if (n > size - 1)
		n = size - 1;
	for (i = 0; i < n; i++) {
		__u8 c = v[i];

		if (c == 0 && keep_nul)
			dst[i] = 0;
		else
			dst[i] = c < 0x20 || c == 0x7f ? '?' : c;
	}
	dst[n] = '\0';
}

static void parse_mode(struct cap_meta *m, const __u8 *v, size_t n)
{
	struct cap_mode *md;

	if (n < 4 || v[0] >= PFNMAP_K_MAX)
		return;		/* a kind this reader does not know */
	md = &m->modes[v[0]];
	md->present = true;
	md->source = v[1];
	md->valid = get_le16(v + 2);
	copy_str(md->why, sizeof(md->why), v + 4, n - 4, false);
}

static void parse_cmdline(struct cap_meta *m, const __u8 *v, size_t n)
{
	copy_str(m->cmdline, sizeof(m->cmdline), v, n, true);
	m->cmdline_len = n < sizeof(m->cmdline) - 1 ? n :
			 sizeof(m->cmdline) - 1;
	/* every argument ends with a NUL, the last one too */
	if (m->cmdline_len && m->cmdline[m->cmdline_len - 1])
		m->cmdline[m->cmdline_len++] = '\0';
}

static void parse_item(struct cap_meta *m, __u16 tag, const __u8 *v,
		       size_t n)
{
	switch (tag) {
	case CAP_T_KERNEL:
		copy_str(m->kernel, sizeof(m->kernel), v, n, false);
		break;
	case CAP_T_HOST:
		copy_str(m->host, sizeof(m->host), v, n, false);
		break;
	case CAP_T_BOOT_ID:
		copy_str(m->boot_id, sizeof(m->boot_id), v, n, false);
		break;
	case CAP_T_CLOCK:
		if (n < 16)
			break;
		m->has_clock = true;
		m->clock_mono_ns = get_le64(v);
		m->clock_real_ns = get_le64(v + 8);
		break;
	case CAP_T_MODE:
		parse_mode(m, v, n);
		break;
	case CAP_T_CMDLINE:
		parse_cmdline(m, v, n);
		break;
	}
}

static void parse_items(struct reader *r, size_t end)
{
	size_t off = CAP_FIXED_LEN;

	while (off < end) {
		size_t n;

		if (end - off < 4) {
			add_error(r->st, "header item at offset %zu is cut off", off);
			return;
		}
		n = get_le16(r->p + off + 2);
		if (n > end - off - 4) {
			add_error(r->st, "header item at offset %zu overruns the header", off);
			return;
		}
		parse_item(&r->info->meta, get_le16(r->p + off), r->p + off + 4, n);
		off += 4 + n;
	}
}

static bool ours(const struct cap_info *info)
{
	return info->version >= 1 && info->version <= CAP_VERSION &&
	       info->abi_version == PFNMAP_ABI_VERSION &&
	       info->record_size == REC_SIZE;
}

/*
 * Returns 0 with r->off at the first chunk, a negative errno, or, when
 * the header cannot be verified, 1 if the input may end inside it and 2
 * if it is damaged.
 */
static int read_header(struct reader *r)
{
	const __u8 *p = r->p;
	size_t hl;

	if (r->len < 8)
		return memcmp(p, CAP_MAGIC, r->len) ? -EINVAL : 1;
	if (memcmp(p, CAP_MAGIC, 8))
		return -EINVAL;
	if (r->len < CAP_FIXED_LEN)
		return 1;
	r->info->version = get_le16(p + 8);
	r->info->abi_version = get_le32(p + 16);
	r->info->record_size = get_le32(p + 20);
	hl = get_le32(p + 12);
	if (hl >= CAP_FIXED_LEN + 4 && hl <= CAP_HEADER_MAX && hl <= r->len &&
	    crc32(0, p, hl - 4) == get_le32(p + hl - 4)) {
		if (!ours(r->info))
			return -EPROTONOSUPPORT;
		r->info->header_ok = true;
		r->info->meta.capture_id = get_le64(p + 24);
		parse_items(r, hl - 4);
		r->off = hl;
		return 0;
	}
	if (!ours(r->info))
		return -EPROTONOSUPPORT;
	return hl > r->len ? 1 : 2;
}

/* ---- chunks ---------------------------------------------------------- */

static bool chunk_hdr_ok(const __u8 *h)
{
	return get_le32(h) == CAP_CHUNK_MAGIC &&
	       crc32(0, h, 52) == get_le32(h + 52);
}

static bool trailer_ok(const __u8 *t)
{
	return get_le32(t) == CAP_TRAILER_MAGIC &&
	       crc32(0, t, 60) == get_le32(t + 60);
}

/* Sane values in a header whose checksum holds (a writer bug otherwise). */
static bool chunk_sane(__u32 n, __u32 clen, __u32 flags)
{
	if (n > CAP_CHUNK_MAX_RECORDS || (flags & ~CAP_CF_KNOWN))
		return false;
	if (!n)
		return clen == 0;
	return clen > 0 && clen <= (flags & CAP_CF_ZSTD ?
				    ZSTD_compressBound(n * REC_SIZE) :
				    compressBound(n * REC_SIZE));
}

static int grow(struct reader *r, size_t need)
{
	__u8 *a;

	if (need <= r->cap)
		return 0;
	a = realloc(r->raw, need);
	if (!a)
		return -ENOMEM;
	r->raw = a;
	r->cap = need;
	return 0;
}

/* Decompresses a chunk's data into r->raw, as stored; NULL if it is bad. */
static __u8 *inflate_chunk(struct reader *r, const __u8 *data, __u32 clen,
			   __u32 n, __u32 flags, int *err)
{
	uLongf dlen = (uLongf)n * REC_SIZE;

	*err = grow(r, dlen);
	if (*err)
		return NULL;
	if (flags & CAP_CF_ZSTD) {
		size_t z;

		if (!r->zd && !(r->zd = ZSTD_createDCtx())) {
			*err = -ENOMEM;
			return NULL;
		}
		z = ZSTD_decompressDCtx(r->zd, r->raw, dlen, data, clen);
		if (ZSTD_isError(z) || z != dlen)
			return NULL;
	} else if (uncompress(r->raw, &dlen, data, clen) != Z_OK ||
		   dlen != (uLongf)n * REC_SIZE) {
		return NULL;
	}
	return r->raw;
}

/*
 * One record to the callback: checked, its comm terminated.  Handed out
 * where it lies in the reader's own buffer, not copied first: terminating
 * comm there is what every later block would do too.  A big-endian host
 * swaps a copy: swapped in place, the bytes fill_tile() set once per
 * chunk would be swapped again by the next block.
 */
static int deliver_one(struct reader *r, struct pfnmap_event *e)
{
	struct cap_status *st = r->st;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	struct pfnmap_event copy = *e;

	cap_event_swap(&copy);
	e = &copy;
#endif
	if (e->kind >= PFNMAP_K_MAX) {
		st->records_bad++;
		return 0;
	}
	e->comm[PFNMAP_COMM_LEN - 1] = '\0';
	if (!st->records || e->start_ns < st->first_ns)
		st->first_ns = e->start_ns;
	if (!st->records || e->start_ns > st->last_ns)
		st->last_ns = e->start_ns;
	st->records++;
	return r->cb ? r->cb(r->ctx, e) : 0;
}

/* Records as they are in r->raw (a chunk not byte-transposed). */
/*
 * CAP_CF_DELTA_START: start_ns as the difference from the record before
 * (little-endian, as stored): back to times, *prev carried from block to
 * block of the chunk.
 */
static void undelta_start(struct pfnmap_event *recs, size_t cnt, __u64 *prev)
{
	size_t i;
	__u8 *p;

	for (i = 0; i < cnt; i++) {
		p = (__u8 *)&recs[i].start_ns;
		*prev += get_le64(p);
		put_le64(p, *prev);
	}
}

static int deliver_flat(struct reader *r, __u8 *raw, __u32 n, bool delta)
{
	struct pfnmap_event *recs = (struct pfnmap_event *)raw;
	__u64 prev = 0;
	__u32 i;
	int ret;

	if (delta)
		undelta_start(recs, n, &prev);
	for (i = 0; i < n; i++)
		if ((ret = deliver_one(r, &recs[i])))
			return ret;
	return 0;
}

/*
 * Tiles whose every row holds one value in the whole chunk: most of a
 * record is the same from one to the next (kind, comm, pid, the high
 * bytes of times, reserved bytes).  They are set once per chunk, not
 * moved for every block.
 */
static __u16 constant_tiles(const __u8 *src, __u32 n)
{
	__u16 mask = 0;
	size_t t, b;

	for (t = 0; t < NR_TILES; t++) {
		for (b = t * TILE; b < (t + 1) * TILE; b++)
			if (memcmp(src + b * n, src + b * n + 1, n - 1))
				break;
		if (b == (t + 1) * TILE)
			mask |= 1U << t;
	}
	return mask;
}

/* Bytes [t * TILE, (t + 1) * TILE) of every record of the block. */
static void fill_tile(struct reader *r, const __u8 *src, __u32 n, size_t t)
{
	__u8 row[TILE];
	size_t b, i;

	for (b = 0; b < TILE; b++)
		row[b] = src[(t * TILE + b) * n];
	for (i = 0; i < BLOCK; i++)
		memcpy((__u8 *)&r->blk[i] + t * TILE, row, TILE);
}

/* Tile t of records [i0, i0 + cnt) of the chunk into the block. */
static void move_tile(struct reader *r, const __u8 *src, __u32 n, size_t t,
		      size_t i0, size_t cnt)
{
	const __u8 *s = src + t * TILE * n + i0;
	__u8 *d = (__u8 *)r->blk + t * TILE;
	size_t i = 0, k;

	for (; i + TILE <= cnt; i += TILE)
		tile_transpose(d + i * REC_SIZE, REC_SIZE, s + i, n);
	for (; i < cnt; i++)
		for (k = 0; k < TILE; k++)
			d[i * REC_SIZE + k] = s[k * n + i];
}

/* The tile holding start_ns, which delta decoding rewrites per block. */
#define START_TILE	(offsetof(struct pfnmap_event, start_ns) / TILE)
_Static_assert(offsetof(struct pfnmap_event, start_ns) % TILE + 8 <= TILE,
	       "start_ns is within one tile");

/* Byte b of record i is at src[b * n + i] (docs/capture-format.md). */
static int deliver_shuffled(struct reader *r, const __u8 *src, __u32 n,
			    bool delta)
{
	__u16 same = constant_tiles(src, n);
	size_t t, i, i0, cnt;
	__u64 prev = 0;
	int ret;

	if (delta)
		same &= ~(1U << START_TILE);
	for (t = 0; t < NR_TILES; t++)
		if (same & (1U << t))
			fill_tile(r, src, n, t);
	for (i0 = 0; i0 < n; i0 += cnt) {
		cnt = n - i0 < BLOCK ? n - i0 : BLOCK;
		for (t = 0; t < NR_TILES; t++)
			if (!(same & (1U << t)))
				move_tile(r, src, n, t, i0, cnt);
		if (delta)
			undelta_start(r->blk, cnt, &prev);
		for (i = 0; i < cnt; i++)
			if ((ret = deliver_one(r, &r->blk[i])))
				return ret;
	}
	return 0;
}

static void check_seq(struct reader *r, __u32 seq)
{
	if (seq == r->next_seq + 1)
		add_error(r->st, "chunk %u missing", r->next_seq);
	else if (seq > r->next_seq)
		add_error(r->st, "chunks %u to %u missing", r->next_seq, seq - 1);
	else if (seq < r->next_seq)
		add_error(r->st, "chunk %u out of order (after chunk %u)", seq,
			  r->next_seq - 1);
	r->next_seq = seq + 1;
}

static void chunk_lost(struct reader *r, __u32 seq, __u32 n, const char *what)
{
	char cnt[32];

	fmt_count(cnt, sizeof(cnt), n);
	add_error(r->st, "chunk %u: %s, its %s records lost", seq, what, cnt);
	r->st->chunks_bad++;
	r->st->records_lost += n;
}

static int read_chunk(struct reader *r, enum step *step)
{
	const __u8 *h = r->p + r->off, *data;
	size_t rem = r->len - r->off;
	__u8 *recs;
	__u32 seq, n, clen, flags;
	int err = 0;

	*step = STEP_END;
	if (rem < CAP_CHUNK_HDR_LEN) {
		r->st->truncated = true;
		return 0;
	}
	*step = STEP_RESYNC;
	if (!chunk_hdr_ok(h)) {
		add_error(r->st, "chunk header at offset %zu corrupt", r->off);
		return 0;
	}
	seq = get_le32(h + 4);
	n = get_le32(h + 8);
	clen = get_le32(h + 12);
	flags = get_le32(h + 16);
	if (!chunk_sane(n, clen, flags)) {
		add_error(r->st, "chunk %u at offset %zu: impossible header", seq, r->off);
		return 0;
	}
	*step = STEP_END;
	if (clen > rem - CAP_CHUNK_HDR_LEN) {
		r->st->truncated = true;
		r->st->partial_records = n;
		r->st->partial_seq = seq;
		return 0;
	}
	*step = STEP_NEXT;
	check_seq(r, seq);
	data = h + CAP_CHUNK_HDR_LEN;
	r->off += CAP_CHUNK_HDR_LEN + clen;
	if (crc32(0, data, clen) != get_le32(h + 20)) {
		chunk_lost(r, seq, n, "data checksum mismatch");
		return 0;
	}
	recs = n ? inflate_chunk(r, data, clen, n, flags, &err) : NULL;
	if (err)
		return err;
	if (n && !recs) {
		chunk_lost(r, seq, n, "data does not decompress");
		return 0;
	}
	r->st->chunks++;
	r->st->last_seq = seq;
	r->st->drops = get_le64(h + 24);
	r->st->end_offset = r->off;
	if (!n)
		return 0;
	if (flags & CAP_CF_SHUFFLE)
		return deliver_shuffled(r, recs, n, flags & CAP_CF_DELTA_START);
	return deliver_flat(r, recs, n, flags & CAP_CF_DELTA_START);
}

/* ---- names ---------------------------------------------------------- */

static bool names_hdr_ok(const __u8 *h)
{
	return get_le32(h) == CAP_NAMES_MAGIC &&
	       crc32(0, h, 20) == get_le32(h + 20);
}

/* One entry's value into n; false if it is too short for its tag. */
static bool parse_name(struct cap_name *n, __u16 tag, const __u8 *v,
		       size_t len, char *text, size_t size)
{
	size_t fixed = tag == CAP_N_KSYM ? 12 : 8, nl, got;

	if (len < fixed)
		return false;
	got = len - fixed < size - 1 ? len - fixed : size - 1;
	n->tag = tag;
	n->key = get_le64(v);
	n->off = tag == CAP_N_KSYM ? get_le32(v + 8) : 0;
	/* keep_nul: the module follows the name's NUL */
	copy_str(text, size, v + fixed, len - fixed, true);
	nl = strnlen(text, got);
	n->name = text;
	n->module = nl < got ? text + nl + 1 : text + nl;
	return true;
}

static int deliver_names(struct reader *r, const __u8 *d, size_t len)
{
	char text[2 * 256 + 2];
	struct cap_name n;
	size_t off = 0;
	int ret;

	while (len - off >= 4) {
		__u16 tag = get_le16(d + off), vl = get_le16(d + off + 2);

		if (vl > len - off - 4)
			break;
		off += 4 + vl;
		if ((tag != CAP_N_KSYM && tag != CAP_N_CGROUP) ||
		    !parse_name(&n, tag, d + off - vl, vl, text, sizeof(text)))
			continue;	/* a tag of a newer writer */
		r->st->names++;
		if (r->name_cb && (ret = r->name_cb(r->ctx, &n)))
			return ret;
	}
	return 0;
}

static int read_names(struct reader *r, enum step *step)
{
	const __u8 *h = r->p + r->off;
	size_t rem = r->len - r->off;
	__u32 len;

	*step = STEP_END;
	if (rem < CAP_NAMES_HDR_LEN) {
		r->st->truncated = true;
		return 0;
	}
	*step = STEP_RESYNC;
	if (!names_hdr_ok(h)) {
		add_error(r->st, "names section at offset %zu corrupt", r->off);
		return 0;
	}
	len = get_le32(h + 8);
	if (len > CAP_NAMES_MAX) {
		add_error(r->st, "names section at offset %zu: impossible header", r->off);
		return 0;
	}
	*step = STEP_END;
	if (len > rem - CAP_NAMES_HDR_LEN) {
		r->st->truncated = true;
		return 0;
	}
	*step = STEP_NEXT;
	r->off += CAP_NAMES_HDR_LEN + len;
	if (crc32(0, h + CAP_NAMES_HDR_LEN, len) != get_le32(h + 12)) {
		add_error(r->st, "names section at offset %zu: data checksum mismatch",
			  r->off - CAP_NAMES_HDR_LEN - len);
		return 0;
	}
	r->st->end_offset = r->off;
	return deliver_names(r, h + CAP_NAMES_HDR_LEN, len);
}

static void trailer_checks(struct reader *r)
{
	struct cap_status *st = r->st;
	__u64 got = st->records + st->records_lost + st->records_bad;
	char a[32], b[32];

	if (st->trailer.nr_records != got && !st->nr_errors) {
		fmt_count(a, sizeof(a), st->trailer.nr_records);
		fmt_count(b, sizeof(b), got);
		add_error(st, "trailer says %s records, the chunks hold %s", a, b);
	}
	if (r->off < r->len) {
		fmt_count(a, sizeof(a), r->len - r->off);
		add_error(st, "%s bytes of junk after the trailer", a);
		st->bytes_skipped += r->len - r->off;
	}
}

static void read_trailer(struct reader *r, enum step *step)
{
	const __u8 *t = r->p + r->off;
	struct cap_trailer *tr = &r->st->trailer;

	*step = STEP_END;
	if (r->len - r->off < CAP_TRAILER_LEN) {
		r->st->truncated = true;
		return;
	}
	*step = STEP_RESYNC;
	if (!trailer_ok(t)) {
		add_error(r->st, "trailer at offset %zu corrupt", r->off);
		return;
	}
	*step = STEP_END;
	tr->nr_chunks = get_le32(t + 4);
	tr->nr_records = get_le64(t + 8);
	tr->drops = get_le64(t + 16);
	tr->end_ns = get_le64(t + 24);
	tr->bpf_run_ns = get_le64(t + 32);
	tr->bpf_run_cnt = get_le64(t + 40);
	tr->stop = get_le32(t + 48);
	tr->unwritten = get_le32(t + 52);
	r->st->has_trailer = true;
	r->st->drops = tr->drops;
	r->st->drops_final = true;
	r->off += CAP_TRAILER_LEN;
	r->st->end_offset = r->off;
	trailer_checks(r);
}

/* Next offset after from holding a chunk or trailer whose checksum holds. */
static size_t resync(const struct reader *r, size_t from)
{
	size_t o;

	for (o = from; o + 4 <= r->len; o++) {
		__u32 m = get_le32(r->p + o);

		if (m == CAP_CHUNK_MAGIC && r->len - o >= CAP_CHUNK_HDR_LEN &&
		    chunk_hdr_ok(r->p + o))
			return o;
		if (m == CAP_TRAILER_MAGIC && r->len - o >= CAP_TRAILER_LEN &&
		    trailer_ok(r->p + o))
			return o;
		if (m == CAP_NAMES_MAGIC && r->len - o >= CAP_NAMES_HDR_LEN &&
		    names_hdr_ok(r->p + o))
			return o;
	}
	return r->len;
}

static int read_body(struct reader *r)
{
	enum step step = STEP_NEXT;
	int err = 0;

	while (!err && step != STEP_END && r->off < r->len) {
		__u32 magic;

		if (r->len - r->off < 4) {
			r->st->truncated = true;
			break;
		}
		magic = get_le32(r->p + r->off);
		if (magic == CAP_CHUNK_MAGIC) {
			err = read_chunk(r, &step);
		} else if (magic == CAP_TRAILER_MAGIC) {
			read_trailer(r, &step);
		} else if (magic == CAP_NAMES_MAGIC) {
			err = read_names(r, &step);
		} else {
			if (step != STEP_RESYNC)	/* one message per bad run */
				add_error(r->st, "unreadable data at offset %zu", r->off);
			step = STEP_RESYNC;
		}
		if (step == STEP_RESYNC) {
			size_t o = resync(r, r->off + 1);

			r->st->bytes_skipped += o - r->off;
			r->off = o;
		}
	}
	return err;
}

int cap_read_names(const void *buf, size_t len, struct cap_info *info,
		   struct cap_status *st, cap_record_cb cb,
		   cap_name_cb name_cb, void *ctx)
{
	struct reader r = {
		.p = buf, .len = len, .info = info, .st = st,
		.cb = cb, .name_cb = name_cb, .ctx = ctx,
	};
	int err;

	memset(info, 0, sizeof(*info));
	memset(st, 0, sizeof(*st));
	st->bytes = len;
	err = read_header(&r);
	if (err < 0)
		return err;
	if (err) {
		/* no trusted header length: look for the first chunk */
		r.off = len < CAP_FIXED_LEN ? len : resync(&r, CAP_FIXED_LEN);
		if (err == 1 && r.off == len) {
			st->truncated = true;	/* cut inside the header */
			return 0;
		}
		add_error(st, "header checksum mismatch: host, kernel and attach modes unknown");
		st->bytes_skipped += r.off;
	} else {
		st->end_offset = r.off;
	}
	err = read_body(&r);
	free(r.raw);
	ZSTD_freeDCtx(r.zd);
	return err;
}

int cap_read(const void *buf, size_t len, struct cap_info *info,
	     struct cap_status *st, cap_record_cb cb, void *ctx)
{
	return cap_read_names(buf, len, info, st, cb, NULL, ctx);
}

int cap_read_header(const void *buf, size_t len, struct cap_info *info)
{
	struct cap_status st;
	struct reader r = { .p = buf, .len = len, .info = info, .st = &st };
	int err;

	memset(info, 0, sizeof(*info));
	memset(&st, 0, sizeof(st));
	err = read_header(&r);
	return err > 0 ? 0 : err;
}

/*
 * A field is known in the merge only if every capture that traced the
 * kind could see it: a group with no records then says 0 only where 0
 * is the truth for all of them.
 */
void cap_merge_kind(const struct cap_info *const *v, int n, int kind,
		    struct cap_kind_merge *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	if (kind < 0 || kind >= PFNMAP_K_MAX)
		return;
	for (i = 0; i < n; i++) {
		const struct cap_mode *md = &v[i]->meta.modes[kind];

		if (!v[i]->header_ok || !md->present) {
			out->unknown = true;
			continue;
		}
		if (md->source == PFNMAP_S_NONE)
			continue;
		out->can_see = out->traced ? out->can_see & md->valid : md->valid;
		if (!out->traced)
			out->why = md->why;
		out->traced = true;
		if (md->source < 32)
			out->sources |= 1U << md->source;
	}
}

/* ---- messages -------------------------------------------------------- */

bool cap_damaged(const struct cap_status *st)
{
	return st->truncated || st->nr_errors || !st->has_trailer;
}

struct line {
	char	*buf;
	size_t	len, off;
};

static void say(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->off >= l->len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->off, l->len - l->off, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->off += n;
}

/* "truncated after chunk 12", "truncated in the header", ... */
static void say_cut(struct line *l, const struct cap_status *st)
{
	char c[32];

	if (!st->end_offset && !st->chunks)
		say(l, "truncated in the header (%llu bytes)",
		    (unsigned long long)st->bytes);
	else if (st->chunks)
		say(l, "truncated after chunk %u", st->last_seq);
	else
		say(l, "truncated before the first chunk");
	if (st->partial_records) {
		fmt_count(c, sizeof(c), st->partial_records);
		say(l, ", in chunk %u (its %s records lost)", st->partial_seq, c);
	}
}

static void say_records(struct line *l, const struct cap_status *st)
{
	__u64 got = st->records + st->records_bad;
	char a[32], b[32];

	fmt_count(a, sizeof(a), st->records);
	if (st->has_trailer && st->trailer.nr_records > got) {
		fmt_count(b, sizeof(b), st->trailer.nr_records);
		say(l, ": %s of %s records read", a, b);
	} else if (st->records_lost) {
		fmt_count(b, sizeof(b), st->records_lost);
		say(l, ": %s records read, %s lost", a, b);
	} else {
		say(l, ": %s records read", a);
	}
	if (st->records_bad) {
		fmt_count(b, sizeof(b), st->records_bad);
		say(l, ", %s of an unknown kind skipped", b);
	}
}

static void say_drops(struct line *l, const struct cap_status *st)
{
	if (st->has_trailer)
		return;
	if (st->chunks)
		say(l, "; trailer missing, drops unknown after chunk %u (%llu before)",
		    st->last_seq, (unsigned long long)st->drops);
	else
		say(l, "; trailer missing, drops unknown");
}

void cap_describe(char *buf, size_t len, const struct cap_status *st)
{
	struct line l = { .buf = buf, .len = len };
	bool cut = st->truncated || !st->has_trailer;

	if (len)
		buf[0] = '\0';
	if (!cap_damaged(st)) {
		say(&l, "complete");
		say_records(&l, st);
		return;
	}
	if (st->nr_errors) {
		say(&l, "%s", st->errors[0]);
		if (st->nr_errors > 1)
			say(&l, " (and %d more problem%s)", st->nr_errors - 1,
			    st->nr_errors > 2 ? "s" : "");
		if (cut)
			say(&l, "; ");
	}
	if (cut)
		say_cut(&l, st);
	say_records(&l, st);
	say_drops(&l, st);
}

void cap_describe_error(char *buf, size_t len, int err,
			const struct cap_info *info)
{
	switch (err) {
	case -EINVAL:
		snprintf(buf, len, "not a pfnmap capture (no %s magic)",
			 CAP_MAGIC);
		break;
	case -EPROTONOSUPPORT:
		snprintf(buf, len,
			 "capture format %u with record ABI %u (%u-byte records); this pfnmap reads formats 1-%d, ABI %d (%zu bytes)",
			 info->version, info->abi_version, info->record_size,
			 CAP_VERSION, PFNMAP_ABI_VERSION, REC_SIZE);
		break;
	default:
		snprintf(buf, len, "%s", strerror(-err));
	}
}
