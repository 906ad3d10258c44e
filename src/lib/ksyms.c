// SPDX-License-Identifier: GPL-2.0
/*
 * ksyms.c - one reader of /proc/kallsyms for the whole tool.
 *
 * The file is read whole into one buffer and parsed in place: names and
 * module names point into it, so 200,000 symbols cost one allocation
 * for the text and two arrays, one sorted by address (what is at this
 * address?), one by name (does this function exist?).
 *
 * Line format: "ffffffff81234560 T name" or "... t name\t[module]".
 *
 * The loader wants a few dozen of those symbols: ksyms_load_some() reads
 * the file a chunk at a time and keeps only them, in the same two arrays.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksyms.h"

struct ksyms {
	char		*text;		/* the file, NUL-terminated fields */
	struct ksym	*syms;		/* by address, then file order */
	const struct ksym **by_name;	/* by name, then file order */
	__u64		*ends;		/* of syms[i], 0 none; part tables */
	size_t		n;
};

/* /proc files have no size: read until EOF. */
static char *read_all(const char *path, size_t *len)
{
	size_t cap = 1 << 20;
	char *buf = malloc(cap), *b;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r = 0;

	*len = 0;
	while (buf && fd >= 0) {
		if (*len + 1 == cap) {
			b = realloc(buf, cap * 2);
			if (!b)
				break;
			buf = b;
			cap *= 2;
		}
		r = read(fd, buf + *len, cap - *len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*len += r;
	}
	if (fd < 0 || r != 0 || !buf) {
		int err = fd < 0 || r < 0 ? errno : ENOMEM;

		if (fd >= 0)
			close(fd);
		free(buf);
		errno = err;
		return NULL;
	}
	close(fd);
	buf[*len] = '\0';
	return buf;
}

static char *skip_blanks(char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * Parses the line at *pos into s and moves *pos to the next line.
 * Returns false for a line that is not a symbol.
 */
static bool parse_line(char **pos, struct ksym *s)
{
	char *p = *pos, *eol = strchr(p, '\n'), *end;

	if (eol)
		*eol = '\0';
	/* a NUL in the file ends the line too: never stop moving */
	*pos = eol ? eol + 1 : p + strlen(p) + 1;
	s->addr = strtoull(p, &end, 16);
	if (end == p || (*end != ' ' && *end != '\t'))
		return false;
	p = skip_blanks(end);
	s->type = *p;
	if (!*p || (p[1] != ' ' && p[1] != '\t'))
		return false;
	s->name = p = skip_blanks(p + 2);
	if (!*p)
		return false;
	p += strcspn(p, " \t");
	if (*p)
		*p++ = '\0';
	p = skip_blanks(p);
	s->module = NULL;
	if (*p == '[') {
		s->module = ++p;
		p[strcspn(p, "]")] = '\0';
	}
	return true;
}

/* Ties keep the file's order: the text buffer is in it. */
static int cmp_addr(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static int cmp_name(const void *a, const void *b)
{
	const struct ksym *x = *(const struct ksym *const *)a;
	const struct ksym *y = *(const struct ksym *const *)b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* by_name, once syms is in address order. */
static int index_names(struct ksyms *k)
{
	size_t i;

	k->by_name = malloc((k->n + 1) * sizeof(*k->by_name));
	if (!k->by_name)
		return -ENOMEM;
	for (i = 0; i < k->n; i++)
		k->by_name[i] = &k->syms[i];
	qsort(k->by_name, k->n, sizeof(*k->by_name), cmp_name);
	return 0;
}

static int parse_all(struct ksyms *k, size_t len)
{
	char *p = k->text, *end = k->text + len;
	/* a kallsyms line is longer than 32 bytes: one allocation, mostly */
	size_t cap = 1 + len / 32;

	k->syms = malloc(cap * sizeof(*k->syms));
	while (k->syms && p < end) {
		if (k->n == cap) {
			struct ksym *s = realloc(k->syms, 2 * cap * sizeof(*s));

			if (!s)
				return -ENOMEM;
			k->syms = s;
			cap *= 2;
		}
		if (parse_line(&p, &k->syms[k->n]))
			k->n++;
	}
	if (!k->syms)
		return -ENOMEM;
	qsort(k->syms, k->n, sizeof(*k->syms), cmp_addr);
	return index_names(k);
}

struct ksyms *ksyms_load(const char *path)
{
	struct ksyms *k = calloc(1, sizeof(*k));
	size_t len;
	int err;

	if (!k)
		return NULL;
	k->text = read_all(path ? path : "/proc/kallsyms", &len);
	err = k->text ? parse_all(k, len) : -errno;
	if (err) {
		ksyms_free(k);
		errno = -err;
		return NULL;
	}
	return k;
}

/* ksyms_load_some() */

/* No kallsyms line is near this long (names end at 512 bytes). */
#define CHUNK		(64U << 10)

struct reader {
	int		fd;
	char		*buf;		/* CHUNK bytes and a NUL */
	size_t		len, pos;	/* bytes in buf, start of next line */
	bool		eof;
	bool		cut;		/* drop the rest of an over-long line */
	int		err;
};

/* Moves the unread bytes to the front and reads behind them. */
static void refill(struct reader *r)
{
	ssize_t n;

	memmove(r->buf, r->buf + r->pos, r->len - r->pos);
	r->len -= r->pos;
	r->pos = 0;
	do
		n = read(r->fd, r->buf + r->len, CHUNK - r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r->err = -errno;
	r->eof = n <= 0;
	r->len += n > 0 ? n : 0;
	r->buf[r->len] = '\0';
}

/*
 * The next line, NUL-terminated, or NULL at the end.  As in parse_line(),
 * a NUL byte ends a line too; a line longer than a chunk is cut there and
 * the rest of it dropped.
 */
static char *next_line(struct reader *r)
{
	for (;;) {
		char *p = r->buf + r->pos;
		size_t end = r->pos + strcspn(p, "\n");
		bool ended = end < r->len;	/* by '\n' or a NUL byte */
		bool over = !ended && !r->pos && r->len == CHUNK;
		bool was_cut = r->cut;

		if (!ended && !over && !r->eof) {
			refill(r);
			continue;
		}
		if (!ended && !over && end == r->pos)
			return NULL;
		/* a line, or the last one without its '\n' */
		r->buf[end] = '\0';
		r->pos = end + ended;
		r->cut = over;
		if (!was_cut)
			return p;
	}
}

/* One kept symbol while reading; names are offsets into a growing text. */
struct part_sym {
	__u64		addr;
	__u64		end;		/* next higher address seen, ~0: none */
	size_t		name, module;	/* module: ~0 for vmlinux */
	char		type;
	bool		want_end;
};

struct part {
	ksyms_keep_fn	keep;
	void		*ctx;
	struct part_sym	*v;
	size_t		n, cap;
	char		*text;
	size_t		len, text_cap;
	__u64		max_addr;	/* highest address read so far */
	bool		again;		/* an end may lie behind us */
};

/* p, grown to hold need elements of size sz; NULL (p kept) if it cannot. */
static void *grow(void *p, size_t *cap, size_t need, size_t sz)
{
	size_t c = *cap ? *cap : 16;

	while (c < need)
		c *= 2;
	if (c == *cap)
		return p;
	p = realloc(p, c * sz);
	if (p)
		*cap = c;
	return p;
}

/* Appends str to the part's text: its offset, or ~0 on failure. */
static size_t add_text(struct part *pt, const char *str)
{
	size_t n = strlen(str) + 1, off = pt->len;
	char *t = grow(pt->text, &pt->text_cap, pt->len + n, 1);

	if (!t)
		return ~(size_t)0;
	pt->text = t;
	memcpy(t + off, str, n);
	pt->len += n;
	return off;
}

static int add_sym(struct part *pt, const struct ksym *s, int flags)
{
	struct part_sym *v = grow(pt->v, &pt->cap, pt->n + 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	pt->v = v;
	v += pt->n;
	v->addr = s->addr;
	v->end = ~0ULL;
	v->type = s->type;
	v->want_end = flags & KSYMS_END;
	v->name = add_text(pt, s->name);
	v->module = s->module ? add_text(pt, s->module) : ~(size_t)0;
	if (v->name == ~(size_t)0 || (s->module && v->module == ~(size_t)0))
		return -ENOMEM;
	/* the file is not in address order (modules): read it again */
	if (v->want_end && pt->max_addr > s->addr)
		pt->again = true;
	pt->n++;
	return 0;
}

/* addr may end a kept symbol below it (a few dozen: a loop will do). */
static void see_addr(struct part *pt, __u64 addr)
{
	size_t i;

	for (i = 0; i < pt->n; i++) {
		struct part_sym *v = &pt->v[i];

		if (v->want_end && addr > v->addr && addr < v->end)
			v->end = addr;
	}
	if (addr > pt->max_addr)
		pt->max_addr = addr;
}

/* One pass over the file; the second one only looks for ends. */
static int read_part(const char *path, struct part *pt, bool again)
{
	struct reader r = { .buf = malloc(CHUNK + 1) };
	struct ksym s;
	char *line;
	int flags, err = 0;

	r.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (r.fd < 0 || !r.buf) {
		err = r.fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	r.buf[0] = '\0';
	while (!err && (line = next_line(&r))) {
		if (!parse_line(&line, &s))
			continue;
		see_addr(pt, s.addr);
		flags = again ? 0 : pt->keep(s.name, pt->ctx);
		if (flags)
			err = add_sym(pt, &s, flags);
	}
	if (!err)
		err = r.err;
out:
	if (r.fd >= 0)
		close(r.fd);
	free(r.buf);
	return err;
}

/* Address order, then file order: the names' offsets are in it. */
static int cmp_part(const void *a, const void *b)
{
	const struct part_sym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->name < y->name ? -1 : x->name > y->name;
}

/* Turns the part into k's arrays; k takes its text. */
static int part_table(struct ksyms *k, struct part *pt)
{
	size_t i;

	if (pt->n)	/* pt->v is NULL then */
		qsort(pt->v, pt->n, sizeof(*pt->v), cmp_part);
	k->text = pt->text;
	pt->text = NULL;
	k->n = pt->n;
	k->syms = malloc((k->n + 1) * sizeof(*k->syms));
	k->ends = malloc((k->n + 1) * sizeof(*k->ends));
	if (!k->syms || !k->ends)
		return -ENOMEM;
	for (i = 0; i < k->n; i++) {
		const struct part_sym *v = &pt->v[i];

		k->syms[i] = (struct ksym) {
			.addr	= v->addr,
			.name	= k->text + v->name,
			.module	= v->module == ~(size_t)0 ? NULL :
				  k->text + v->module,
			.type	= v->type,
		};
		k->ends[i] = v->want_end && v->end != ~0ULL ? v->end : 0;
	}
	return index_names(k);
}

struct ksyms *ksyms_load_some(const char *path, ksyms_keep_fn keep,
			      void *ctx)
{
	struct part pt = { .keep = keep, .ctx = ctx };
	struct ksyms *k = calloc(1, sizeof(*k));
	int err = k ? 0 : -ENOMEM;

	if (!path)
		path = "/proc/kallsyms";
	if (!err)
		err = read_part(path, &pt, false);
	if (!err && pt.again)
		err = read_part(path, &pt, true);
	if (!err)
		err = part_table(k, &pt);
	free(pt.v);
	free(pt.text);
	if (err) {
		ksyms_free(k);
		errno = -err;
		return NULL;
	}
	return k;
}

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
	free(k->ends);
	free(k->by_name);
	free(k->syms);
	free(k->text);
	free(k);
}

size_t ksyms_count(const struct ksyms *k)
{
	return k->n;
}

/* Index in by_name of the first name >= name. */
static size_t name_lower_bound(const struct ksyms *k, const char *name)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(k->by_name[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct ksym *ksyms_by_name(const struct ksyms *k, const char *name)
{
	size_t i = name_lower_bound(k, name);

	return i < k->n && !strcmp(k->by_name[i]->name, name) ?
	       k->by_name[i] : NULL;
}

const struct ksym *ksyms_by_prefix(const struct ksyms *k, const char *prefix)
{
	size_t i = name_lower_bound(k, prefix);

	return i < k->n && !strncmp(k->by_name[i]->name, prefix,
				    strlen(prefix)) ? k->by_name[i] : NULL;
}

/* Index in syms just past the last symbol at or below addr. */
static size_t addr_upper_bound(const struct ksyms *k, __u64 addr)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool is_text(const struct ksym *s)
{
	return s->type == 't' || s->type == 'T';
}

/*
 * Data symbols sit among the functions too: step back over them, but
 * not further than a function can be long.
 */
const struct ksym *ksyms_func(const struct ksyms *k, __u64 addr)
{
	size_t i = addr_upper_bound(k, addr);

	while (i--) {
		const struct ksym *s = &k->syms[i];

		/* address 0: hidden by kptr_restrict, or not code */
		if (!s->addr || addr - s->addr > KSYM_MAX_SIZE)
			return NULL;
		if (is_text(s))
			return s;
	}
	return NULL;
}

bool ksyms_label(const struct ksyms *k, __u64 addr, char *buf, size_t len)
{
	const struct ksym *s = ksyms_func(k, addr);

	if (!s)
		return false;
	snprintf(buf, len, "%s+0x%llx%s%s%s", s->name,
		 (unsigned long long)(addr - s->addr), s->module ? " [" : "",
		 s->module ? s->module : "", s->module ? "]" : "");
	return true;
}

int ksyms_range(const struct ksyms *k, const char *name, __u64 *lo,
		__u64 *hi)
{
	const struct ksym *s = ksyms_by_name(k, name);
	size_t i;

	*lo = s ? s->addr : 0;
	*hi = 0;
	if (!*lo)
		return -ENOENT;
	/* a part table knows ends, not the symbols that make them */
	if (k->ends) {
		*hi = k->ends[s - k->syms];
		return *hi ? 0 : -ENOENT;
	}
	/* the next higher address: aliases share s's */
	i = addr_upper_bound(k, *lo);
	if (i < k->n)
		*hi = k->syms[i].addr;
	return *hi ? 0 : -ENOENT;
}
