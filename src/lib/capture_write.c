// SPDX-License-Identifier: GPL-2.0
/*
 * capture_write.c - appends a capture (docs/capture-format.md) to a file
 * descriptor: the header at open, one chunk per capw_flush() (after a
 * names section if names were queued), the trailer at capw_finish().
 *
 * A chunk goes out in a single write() of its header and data, so a kill
 * leaves at most one partial chunk at the end, which the reader reports
 * and skips.  After a failed write the file is cut back to its last whole
 * chunk, so that the trailer can still follow it if there is room.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include <zstd.h>
#include "capture.h"
#include "transpose.h"

/*
 * Level 1 of either codec: the recorder runs on the traced host, its disk
 * use is bounded by --max-size.  zstd (the default) compresses shuffled
 * records at least as well as zlib and decompresses several times faster,
 * which is what bounds `report`; zlib (level 1: about 20% bigger than
 * level 6 at half the CPU) stays for readers older than the zstd flag.
 */
#define CAP_DEFAULT_LEVEL	1

struct cap_writer {
	int			fd;
	struct cap_writer_opts	o;
	struct pfnmap_event	*recs;		/* the pending chunk */
	__u8			*shuf;		/* its byte-transposed form */
	__u8			*out;		/* chunk header + compressed data */
	size_t			out_cap;
	ZSTD_CCtx		*zc;		/* reused: no allocation per chunk */
	__u32			seq;
	__u64			drops;		/* as told by the last chunk */
	__u8			*names;		/* queued names: section + entries */
	size_t			names_len, names_cap;
	__u32			names_n;
	bool			regular;	/* fd is a regular file */
	bool			dead;		/* only capw_finish() now */
	struct capw_stats	st;
};

/* ---- header ---------------------------------------------------------- */

struct hbuf {
	__u8	*p;
	size_t	len, cap;
	bool	overflow;
};

static void hb_put(struct hbuf *h, const void *v, size_t n)
{
	if (h->len + n > h->cap) {
		h->overflow = true;
		return;
	}
	memcpy(h->p + h->len, v, n);
	h->len += n;
}

/* One TLV item; values longer than a u16 length are cut. */
static void hb_item(struct hbuf *h, __u16 tag, const void *v1, size_t n1,
		    const void *v2, size_t n2)
{
	__u8 th[4];

	if (n1 + n2 > 0xffff)
		n2 = n1 < 0xffff ? 0xffff - n1 : 0;
	put_le16(th, tag);
	put_le16(th + 2, n1 + n2);
	hb_put(h, th, 4);
	hb_put(h, v1, n1);
	if (n2)
		hb_put(h, v2, n2);
}

static void hb_str(struct hbuf *h, __u16 tag, const char *s)
{
	hb_item(h, tag, s, strnlen(s, CAP_STR_LEN - 1), NULL, 0);
}

static void hb_modes(struct hbuf *h, const struct cap_meta *m)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct cap_mode *md = &m->modes[k];
		__u8 v[4];

		if (!md->present)
			continue;
		v[0] = k;
		v[1] = md->source;
		put_le16(v + 2, md->valid);
		hb_item(h, CAP_T_MODE, v, 4, md->why,
			strnlen(md->why, CAP_WHY_LEN - 1));
	}
}

static int encode_header(void *buf, size_t len, const struct cap_meta *m,
			 __u16 version)
{
	struct hbuf h = { .p = buf, .cap = len };
	__u8 fixed[CAP_FIXED_LEN] = { 0 }, clk[16], crc[4];

	memcpy(fixed, CAP_MAGIC, 8);
	put_le16(fixed + 8, version);
	put_le32(fixed + 16, PFNMAP_ABI_VERSION);
	put_le32(fixed + 20, sizeof(struct pfnmap_event));
	put_le64(fixed + 24, m->capture_id);
	hb_put(&h, fixed, sizeof(fixed));
	hb_str(&h, CAP_T_KERNEL, m->kernel);
	hb_str(&h, CAP_T_HOST, m->host);
	hb_str(&h, CAP_T_BOOT_ID, m->boot_id);
	if (m->has_clock) {
		put_le64(clk, m->clock_mono_ns);
		put_le64(clk + 8, m->clock_real_ns);
		hb_item(&h, CAP_T_CLOCK, clk, 16, NULL, 0);
	}
	hb_modes(&h, m);
	if (m->cmdline_len)
		hb_item(&h, CAP_T_CMDLINE, m->cmdline,
			m->cmdline_len < CAP_CMDLINE_LEN ? m->cmdline_len :
			CAP_CMDLINE_LEN, NULL, 0);
	if (h.overflow || h.len + 4 > h.cap)
		return -ENOSPC;
	put_le32(h.p + 12, h.len + 4);
	put_le32(crc, crc32(0, h.p, h.len));
	hb_put(&h, crc, 4);
	return h.len;
}

int cap_encode_header(void *buf, size_t len, const struct cap_meta *m)
{
	return encode_header(buf, len, m, CAP_VERSION);
}

/* ---- output ---------------------------------------------------------- */

static int write_all(int fd, const void *buf, size_t len)
{
	const __u8 *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Appends one structure.  On failure a regular file is cut back to what
 * it was, so a partial chunk never stays in front of the trailer.
 */
static int emit(struct cap_writer *w, const void *buf, size_t len)
{
	int err = write_all(w->fd, buf, len);

	if (err) {
		if (w->regular && !ftruncate(w->fd, w->st.bytes))
			lseek(w->fd, w->st.bytes, SEEK_SET);
		return err;
	}
	/*
	 * Start writeback now rather than at the next dirty-page flush: the
	 * data is on disk a moment later, and without blocking us as an
	 * fsync would (see docs/capture-format.md, "Durability").
	 */
	if (w->regular && w->o.writeback)
		sync_file_range(w->fd, w->st.bytes, len, SYNC_FILE_RANGE_WRITE);
	w->st.bytes += len;
	return 0;
}

static bool fits(const struct cap_writer *w, size_t len)
{
	return !w->o.max_bytes ||
	       w->st.bytes + len + CAP_TRAILER_LEN <= w->o.max_bytes;
}

/* The format written: the newest, or one older readers read. */
static __u32 format_of(const struct cap_writer *w)
{
	return w->o.format ? w->o.format : CAP_VERSION;
}

int capw_open(struct cap_writer **wp, int fd, const struct cap_meta *m,
	      const struct cap_writer_opts *o)
{
	size_t raw, hlen = CAP_HEADER_MAX;
	struct cap_writer *w;
	struct stat sb;
	int n, err;

	if (o->format && (o->format < 2 || o->format > CAP_VERSION))
		return -EINVAL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = fd;
	w->o = *o;
	if (!w->o.chunk_records || w->o.chunk_records > CAP_CHUNK_MAX_RECORDS)
		w->o.chunk_records = CAP_CHUNK_RECORDS;
	if (!w->o.level)
		w->o.level = CAP_DEFAULT_LEVEL;
	w->regular = !fstat(fd, &sb) && S_ISREG(sb.st_mode);
	raw = (size_t)w->o.chunk_records * sizeof(struct pfnmap_event);
	w->out_cap = CAP_CHUNK_HDR_LEN + (w->o.zlib ? compressBound(raw) :
					  ZSTD_compressBound(raw));
	if (w->out_cap < hlen)
		w->out_cap = hlen;
	w->recs = malloc(raw);
	w->shuf = malloc(raw);
	w->out = malloc(w->out_cap);
	if (!w->o.zlib)
		w->zc = ZSTD_createCCtx();
	err = -ENOMEM;
	if (!w->recs || !w->shuf || !w->out || (!w->o.zlib && !w->zc))
		goto fail;
	n = encode_header(w->out, hlen, m, format_of(w));
	err = n;
	if (n < 0)
		goto fail;
	err = -EFBIG;
	if (!fits(w, n))
		goto fail;
	err = emit(w, w->out, n);
	if (err)
		goto fail;
	*wp = w;
	return 0;
fail:
	capw_free(w);
	return err;
}

int capw_add(struct cap_writer *w, const struct pfnmap_event *e)
{
	if (w->dead) {
		w->st.unwritten++;
		return 0;
	}
	w->recs[w->st.pending++] = *e;
	return w->st.pending >= w->o.chunk_records;
}

/* ---- names ----------------------------------------------------------- */

static int names_room(struct cap_writer *w, size_t need)
{
	size_t cap = w->names_cap ? w->names_cap : 4096;
	__u8 *p;

	if (w->names_len + need <= w->names_cap)
		return 0;
	while (cap < w->names_len + need)
		cap *= 2;
	p = realloc(w->names, cap);
	if (!p)
		return -ENOMEM;
	w->names = p;
	w->names_cap = cap;
	return 0;
}

/* The section header goes in front when the section is written. */
int capw_name(struct cap_writer *w, const struct cap_name *n)
{
	size_t nl = strnlen(n->name, 255), ml = 0, vlen;
	__u8 *p;

	if (format_of(w) < 3)
		return -EOPNOTSUPP;
	if (n->tag == CAP_N_KSYM)
		ml = strnlen(n->module ? n->module : "", 255);
	vlen = 8 + (n->tag == CAP_N_KSYM ? 4 + nl + 1 + ml : nl);
	if (!w->names_len && names_room(w, CAP_NAMES_HDR_LEN))
		return -ENOMEM;
	if (!w->names_len)
		w->names_len = CAP_NAMES_HDR_LEN;
	if (names_room(w, 4 + vlen))
		return -ENOMEM;
	p = w->names + w->names_len;
	put_le16(p, n->tag);
	put_le16(p + 2, vlen);
	put_le64(p + 4, n->key);
	p += 12;
	if (n->tag == CAP_N_KSYM) {
		put_le32(p, n->off);
		p += 4;
	}
	memcpy(p, n->name, nl);
	if (n->tag == CAP_N_KSYM) {
		p[nl] = '\0';
		memcpy(p + nl + 1, n->module ? n->module : "", ml);
	}
	w->names_len += 4 + vlen;
	w->names_n++;
	return 0;
}

/*
 * Writes the queued names as one section.  Names are a help, not data:
 * a section that does not fit under max_bytes is dropped and counted.
 */
static int write_names(struct cap_writer *w)
{
	__u8 *h = w->names;
	size_t dlen = w->names_len - CAP_NAMES_HDR_LEN;
	int err = 0;

	if (!w->names_n)
		return 0;
	memset(h, 0, CAP_NAMES_HDR_LEN);
	put_le32(h, CAP_NAMES_MAGIC);
	put_le32(h + 4, w->names_n);
	put_le32(h + 8, dlen);
	put_le32(h + 12, crc32(0, h + CAP_NAMES_HDR_LEN, dlen));
	put_le32(h + 20, crc32(0, h, 20));
	if (dlen > CAP_NAMES_MAX || !fits(w, w->names_len))
		w->st.names_dropped += w->names_n;
	else if (!(err = emit(w, h, w->names_len)))
		w->st.names += w->names_n;
	w->names_len = 0;
	w->names_n = 0;
	return err;
}

/*
 * Byte i of every record first, then byte i + 1...: the fields of
 * neighbouring records mostly agree in their high bytes, and the codec
 * finds those long runs where it would not find them 192 bytes apart.
 * Bytes move a TILE x TILE tile at a time (transpose.h), and only for
 * the tiles that vary within the chunk: most of a record (comm, cgroup,
 * the counters a kind does not have) is the same in all of them.
 */
#define REC_SIZE	sizeof(struct pfnmap_event)
#define NR_TILES	(REC_SIZE / TILE)
_Static_assert(REC_SIZE % TILE == 0, "a record is whole tiles");

/* Bit t set: tile t differs between some records of the n. */
static __u32 varying_tiles(const __u8 *src, __u32 n)
{
	__u64 acc[REC_SIZE / 8] = { 0 };
	const __u64 *r0 = (const __u64 *)src, *r;
	__u32 mask = 0, i, k;

	/* no branch per record: or of the xors with the first one */
	for (i = 1; i < n; i++) {
		r = (const __u64 *)(src + i * REC_SIZE);
		for (k = 0; k < REC_SIZE / 8; k++)
			acc[k] |= r[k] ^ r0[k];
	}
	for (k = 0; k < REC_SIZE / 8; k++)
		if (acc[k])
			mask |= 1U << (k * 8 / TILE);
	return mask;
}

/*
 * memset(), in 8-byte stores: glibc fills a plane this long with
 * rep stosb, which an emulator such as QEMU's TCG runs byte by byte.
 */
static void fill_plane(__u8 *p, __u8 v, size_t n)
{
	__u64 v8 = v * 0x0101010101010101ULL;
	size_t i = 0;

	for (; i + 8 <= n; i += 8)
		memcpy(p + i, &v8, 8);
	for (; i < n; i++)
		p[i] = v;
}

static void shuffle(__u8 *dst, const struct pfnmap_event *recs, __u32 n)
{
	const __u8 *src = (const __u8 *)recs;
	__u32 vary = varying_tiles(src, n);
	size_t b, i, i0, end, t;

	for (t = 0; t < NR_TILES; t++) {
		if (vary & (1U << t))
			continue;
		for (b = t * TILE; b < (t + 1) * TILE; b++)
			fill_plane(dst + b * n, src[b], n);
	}
	/*
	 * 64 records at a time, one tile column after the other: the 16
	 * rows a tile writes are n bytes apart, and each of their cache
	 * lines is written whole before the next column.
	 */
	for (i0 = 0; i0 + TILE <= n; i0 = end) {
		end = i0 + 64 <= n ? i0 + 64 : n - n % TILE;
		for (t = 0; t < NR_TILES; t++) {
			if (!(vary & (1U << t)))
				continue;
			b = t * TILE;
			for (i = i0; i < end; i += TILE)
				tile_transpose(dst + b * n + i, n,
					       src + i * REC_SIZE + b, REC_SIZE);
		}
	}
	for (i = i0; i < n; i++)
		for (b = 0; b < REC_SIZE; b++)
			dst[b * n + i] = src[i * REC_SIZE + b];
}

static void time_range(const struct pfnmap_event *recs, __u32 n,
		       __u64 *first, __u64 *last)
{
	__u32 i;

	*first = n ? recs[0].start_ns : 0;
	*last = *first;
	for (i = 1; i < n; i++) {
		if (recs[i].start_ns < *first)
			*first = recs[i].start_ns;
		if (recs[i].start_ns > *last)
			*last = recs[i].start_ns;
	}
}

static __u32 chunk_flags(const struct cap_writer *w, __u32 n)
{
	__u32 f = CAP_CF_SHUFFLE;

	if (!n)
		return 0;
	if (!w->o.zlib)
		f |= CAP_CF_ZSTD;
	if (format_of(w) >= 4)
		f |= CAP_CF_DELTA_START;
	return f;
}

/*
 * Start times as differences from the record before: the low bytes of
 * neighbouring starts differ all over, their differences mostly fit in
 * two or three bytes (15-20% smaller chunks).  Undone after the copy.
 */
static void delta_start(struct pfnmap_event *recs, __u32 n, bool undo)
{
	__u32 i;

	if (undo) {
		for (i = 1; i < n; i++)
			recs[i].start_ns += recs[i - 1].start_ns;
		return;
	}
	for (i = n; i-- > 1;)
		recs[i].start_ns -= recs[i - 1].start_ns;
}

static void chunk_header(__u8 *h, const struct cap_writer *w, __u32 n,
			 __u32 comp_len, __u64 drops)
{
	__u64 first, last;

	time_range(w->recs, n, &first, &last);
	memset(h, 0, CAP_CHUNK_HDR_LEN);
	put_le32(h, CAP_CHUNK_MAGIC);
	put_le32(h + 4, w->seq);
	put_le32(h + 8, n);
	put_le32(h + 12, comp_len);
	put_le32(h + 16, chunk_flags(w, n));
	put_le32(h + 20, crc32(0, h + CAP_CHUNK_HDR_LEN, comp_len));
	put_le64(h + 24, drops);
	put_le64(h + 32, first);
	put_le64(h + 40, last);
	put_le32(h + 52, crc32(0, h, 52));
}

/* The records in the pending chunk, compressed after the chunk header. */
static int compress_pending(struct cap_writer *w, __u32 n, uLongf *clen)
{
	__u32 i;

	*clen = 0;
	if (!n)
		return 0;
	if (chunk_flags(w, n) & CAP_CF_DELTA_START)
		delta_start(w->recs, n, false);
	for (i = 0; i < n; i++)
		cap_event_swap(&w->recs[i]);
	shuffle(w->shuf, w->recs, n);
	for (i = 0; i < n; i++)
		cap_event_swap(&w->recs[i]);
	if (chunk_flags(w, n) & CAP_CF_DELTA_START)
		delta_start(w->recs, n, true);
	*clen = w->out_cap - CAP_CHUNK_HDR_LEN;
	if (!w->o.zlib) {
		size_t z = ZSTD_compressCCtx(w->zc, w->out + CAP_CHUNK_HDR_LEN,
					     *clen, w->shuf,
					     (size_t)n * sizeof(struct pfnmap_event),
					     w->o.level);

		if (ZSTD_isError(z))
			return -ENOMEM;
		*clen = z;
		return 0;
	}
	if (compress2(w->out + CAP_CHUNK_HDR_LEN, clen, w->shuf,
		      (uLong)n * sizeof(struct pfnmap_event),
		      w->o.level) != Z_OK)
		return -ENOMEM;
	return 0;
}

/* Called dead: whatever is queued will not be written. */
static int give_up(struct cap_writer *w, int err)
{
	w->dead = true;
	w->st.unwritten += w->st.pending;
	w->st.pending = 0;
	return err;
}

/* Writes the first n queued records as one chunk. */
static int write_chunk(struct cap_writer *w, __u32 n, uLongf clen, __u64 drops)
{
	size_t len = CAP_CHUNK_HDR_LEN + clen;
	int err;

	chunk_header(w->out, w, n, clen, drops);
	err = emit(w, w->out, len);
	if (err)
		return err;
	w->seq++;
	w->drops = drops;
	w->st.chunks++;
	w->st.chunk_bytes += len;
	w->st.records += n;
	w->st.raw_bytes += (__u64)n * sizeof(struct pfnmap_event);
	w->st.pending -= n;
	return 0;
}

/*
 * The queue does not fit under max_bytes: write the longest prefix of it
 * that does, so that the file fills up to its limit.  A binary search on
 * the prefix length (a dozen compressions, once per capture): halving
 * alone could leave half the room unused.  lo fits (0: nothing does), hi
 * does not.
 */
static int write_what_fits(struct cap_writer *w, __u64 drops)
{
	__u32 lo = 0, hi = w->st.pending, n;
	uLongf clen;
	int err;

	while (hi - lo > 1) {
		n = lo + (hi - lo) / 2;
		err = compress_pending(w, n, &clen);
		if (err)
			return give_up(w, err);
		if (fits(w, CAP_CHUNK_HDR_LEN + clen))
			lo = n;
		else
			hi = n;
	}
	if (lo) {
		/* the buffer holds the last prefix tried: compress lo again */
		err = compress_pending(w, lo, &clen);
		if (!err && !fits(w, CAP_CHUNK_HDR_LEN + clen))
			err = -EFBIG;
		if (!err)
			err = write_chunk(w, lo, clen, drops);
		if (err)
			return give_up(w, err);
	}
	return give_up(w, -EFBIG);
}

int capw_flush(struct cap_writer *w, __u64 drops)
{
	__u32 n = w->st.pending;
	uLongf clen;
	int err;

	if (w->dead)
		return -EBADF;
	err = write_names(w);
	if (err)
		return give_up(w, err);
	if (!n && drops == w->drops)
		return 0;
	err = compress_pending(w, n, &clen);
	if (err)
		return give_up(w, err);
	if (!fits(w, CAP_CHUNK_HDR_LEN + clen))
		return n ? write_what_fits(w, drops) : give_up(w, -EFBIG);
	err = write_chunk(w, n, clen, drops);
	return err ? give_up(w, err) : 0;
}

static void encode_trailer(__u8 *p, const struct cap_writer *w,
			   const struct cap_trailer *t)
{
	__u64 unwritten = w->st.unwritten + t->unwritten;

	memset(p, 0, CAP_TRAILER_LEN);
	put_le32(p, CAP_TRAILER_MAGIC);
	put_le32(p + 4, w->st.chunks);
	put_le64(p + 8, w->st.records);
	put_le64(p + 16, t->drops);
	put_le64(p + 24, t->end_ns);
	put_le64(p + 32, t->bpf_run_ns);
	put_le64(p + 40, t->bpf_run_cnt);
	put_le32(p + 48, t->stop);
	put_le32(p + 52, unwritten > 0xffffffffULL ? 0xffffffffU : unwritten);
	put_le32(p + 60, crc32(0, p, 60));
}

int capw_finish(struct cap_writer *w, const struct cap_trailer *t)
{
	__u8 tr[CAP_TRAILER_LEN];
	int err = 0, e2;

	if (!w->dead)
		err = capw_flush(w, t->drops);
	/* room for the trailer is always kept, even past a failed chunk */
	encode_trailer(tr, w, t);
	e2 = emit(w, tr, sizeof(tr));
	if (!err)
		err = e2;
	if (w->regular && fdatasync(w->fd) && !err)
		err = -errno;
	w->dead = true;
	return err;
}

void capw_stats(const struct cap_writer *w, struct capw_stats *st)
{
	*st = w->st;
}

void capw_free(struct cap_writer *w)
{
	if (!w)
		return;
	free(w->recs);
	free(w->shuf);
	free(w->out);
	free(w->names);
	ZSTD_freeCCtx(w->zc);
	free(w);
}
