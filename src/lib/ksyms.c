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

static int parse_all(struct ksyms *k, size_t len)
{
	char *p = k->text, *end = k->text + len;
	/* a kallsyms line is longer than 32 bytes: one allocation, mostly */
	size_t i, cap = 1 + len / 32;

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
	k->by_name = malloc((k->n + 1) * sizeof(*k->by_name));
	if (!k->syms || !k->by_name)
		return -ENOMEM;
	qsort(k->syms, k->n, sizeof(*k->syms), cmp_addr);
	for (i = 0; i < k->n; i++)
		k->by_name[i] = &k->syms[i];
	qsort(k->by_name, k->n, sizeof(*k->by_name), cmp_name);
	return 0;
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

void ksyms_free(struct ksyms *k)
{
	if (!k)
		return;
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
	/* the next higher address: aliases share s's */
	i = addr_upper_bound(k, *lo);
	if (i < k->n)
		*hi = k->syms[i].addr;
	return *hi ? 0 : -ENOENT;
}
