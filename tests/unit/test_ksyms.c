// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksyms.c - unit tests of src/lib/ksyms.c on small synthetic
 * kallsyms files: aliases, duplicate names, compiler clones, module
 * symbols, data among functions, kptr_restrict's zero addresses, lines
 * that are not symbols.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "ksyms.h"
#include "test_rng.h"

static const char kallsyms[] =
	"0000000000000000 A fixed_percpu_data\n"
	"ffffffff81000000 T _stext\n"
	"ffffffff81000000 T startup_64\n"
	"ffffffff81001000 t helper\n"
	"ffffffff81002000 T fixup_user_fault\n"
	"ffffffff81002100 T follow_pfnmap_start\n"
	"ffffffff81002200 t follow_pte.constprop.0\n"
	"ffffffff81003000 d some_data\n"
	"not a symbol line\n"
	"ffffffff81004000\n"
	"ffffffff81004000 t dup_name\n"
	"ffffffff81005000 t dup_name\n"
	"ffffffffc0001000 t vfio_pin_pages_remote\t[vfio_iommu_type1]\n"
	"ffffffffc0001400 t vaddr_get_pfns\t[vfio_iommu_type1]\n"
	"ffffffffc0002000 T vfio_pci_zap_and_down_write_memory_lock\t[vfio_pci_core]";

/* Writes text (len bytes) to a temporary file; returns its path. */
static char *write_file(const char *text, size_t len)
{
	char *path = strdup("/tmp/test_ksyms.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static struct ksyms *load_text(const char *text, size_t len)
{
	char *path = write_file(text, len);
	struct ksyms *k = ksyms_load(path);

	unlink(path);
	free(path);
	assert_non_null(k);
	return k;
}

static int setup(void **state)
{
	*state = load_text(kallsyms, sizeof(kallsyms) - 1);
	return 0;
}

static int teardown(void **state)
{
	ksyms_free(*state);
	return 0;
}

static void test_count(void **state)
{
	/* the two lines that are not symbols are skipped */
	assert_int_equal(ksyms_count(*state), 13);
}

static void test_by_name(void **state)
{
	const struct ksyms *k = *state;
	const struct ksym *s;

	s = ksyms_by_name(k, "fixup_user_fault");
	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffff81002000ULL);
	assert_int_equal(s->type, 'T');
	assert_null(s->module);
	s = ksyms_by_name(k, "vaddr_get_pfns");
	assert_non_null(s);
	assert_string_equal(s->module, "vfio_iommu_type1");
	/* the last line had no newline */
	s = ksyms_by_name(k, "vfio_pci_zap_and_down_write_memory_lock");
	assert_non_null(s);
	assert_string_equal(s->module, "vfio_pci_core");
	assert_null(ksyms_by_name(k, "fixup_user"));
	assert_null(ksyms_by_name(k, "fixup_user_fault_"));
	assert_null(ksyms_by_name(k, "follow_pte"));
	assert_null(ksyms_by_name(k, ""));
}

/* Static functions share names: the first in the file wins, as before. */
static void test_duplicate_name(void **state)
{
	const struct ksym *s = ksyms_by_name(*state, "dup_name");

	assert_non_null(s);
	assert_int_equal(s->addr, 0xffffffff81004000ULL);
}

static void test_by_prefix(void **state)
{
	const struct ksyms *k = *state;
	const struct ksym *s = ksyms_by_prefix(k, "follow_pte.");

	assert_non_null(s);
	assert_string_equal(s->name, "follow_pte.constprop.0");
	assert_null(ksyms_by_prefix(k, "fixup_user_fault."));
	assert_null(ksyms_by_prefix(k, "zzz"));
	s = ksyms_by_prefix(k, "vfio_p");
	assert_non_null(s);
	assert_string_equal(s->name, "vfio_pci_zap_and_down_write_memory_lock");
}

static void assert_label(const struct ksyms *k, __u64 addr, const char *want)
{
	char buf[128];

	if (!want) {
		assert_false(ksyms_label(k, addr, buf, sizeof(buf)));
		return;
	}
	assert_true(ksyms_label(k, addr, buf, sizeof(buf)));
	assert_string_equal(buf, want);
}

static void test_label(void **state)
{
	const struct ksyms *k = *state;

	assert_label(k, 0xffffffff8100201cULL, "fixup_user_fault+0x1c");
	assert_label(k, 0xffffffff81002100ULL, "follow_pfnmap_start+0x0");
	assert_label(k, 0xffffffffc0001010ULL,
		     "vfio_pin_pages_remote+0x10 [vfio_iommu_type1]");
	/* aliases: the last one in the file, as a stable sort leaves it */
	assert_label(k, 0xffffffff81000010ULL, "startup_64+0x10");
	/* data is no function: the one before it is */
	assert_label(k, 0xffffffff81003010ULL, "follow_pte.constprop.0+0xe10");
	/* nothing below the first address */
	assert_label(k, 0xffffffff80000000ULL, NULL);
	assert_label(k, 0x1000, NULL);
	assert_label(k, 0, NULL);
}

static void test_label_too_far(void **state)
{
	const struct ksyms *k = *state;
	__u64 last = 0xffffffffc0002000ULL;

	assert_label(k, last + KSYM_MAX_SIZE,
		     "vfio_pci_zap_and_down_write_memory_lock+0x100000 [vfio_pci_core]");
	assert_label(k, last + KSYM_MAX_SIZE + 1, NULL);
	assert_null(ksyms_func(k, last + KSYM_MAX_SIZE + 1));
}

/* Stepping back over data stops where a function could not reach. */
static void test_data_far_from_text(void **state)
{
	static const char text[] =
		"ffffffff81000000 T f\n"
		"ffffffff81200000 d data\n";
	struct ksyms *k = load_text(text, sizeof(text) - 1);

	(void)state;
	assert_label(k, 0xffffffff81000010ULL, "f+0x10");
	assert_label(k, 0xffffffff81200010ULL, NULL);
	ksyms_free(k);
}

static void test_label_truncates(void **state)
{
	char buf[8];

	assert_true(ksyms_label(*state, 0xffffffff8100201cULL, buf,
				sizeof(buf)));
	assert_string_equal(buf, "fixup_u");
}

static void test_range(void **state)
{
	const struct ksyms *k = *state;
	__u64 lo, hi;

	assert_int_equal(ksyms_range(k, "fixup_user_fault", &lo, &hi), 0);
	assert_int_equal(lo, 0xffffffff81002000ULL);
	assert_int_equal(hi, 0xffffffff81002100ULL);
	/* an alias at the same address does not end it */
	assert_int_equal(ksyms_range(k, "_stext", &lo, &hi), 0);
	assert_int_equal(lo, 0xffffffff81000000ULL);
	assert_int_equal(hi, 0xffffffff81001000ULL);
	/* the data after a function ends it */
	assert_int_equal(ksyms_range(k, "follow_pte.constprop.0", &lo, &hi), 0);
	assert_int_equal(hi, 0xffffffff81003000ULL);
	/* the last symbol has no end; a missing or zero one no start */
	assert_int_equal(ksyms_range(k, "vfio_pci_zap_and_down_write_memory_lock",
				     &lo, &hi), -ENOENT);
	assert_int_equal(ksyms_range(k, "nope", &lo, &hi), -ENOENT);
	assert_int_equal(lo, 0);
	assert_int_equal(ksyms_range(k, "fixed_percpu_data", &lo, &hi), -ENOENT);
}

/* kptr_restrict: names stay, addresses are all 0. */
static void test_hidden_addresses(void **state)
{
	static const char text[] =
		"0000000000000000 T fixup_user_fault\n"
		"0000000000000000 T follow_pfnmap_start\n"
		"0000000000000000 t vfio_pin_pages_remote\t[vfio_iommu_type1]\n";
	struct ksyms *k = load_text(text, sizeof(text) - 1);
	__u64 lo, hi;

	(void)state;
	assert_int_equal(ksyms_count(k), 3);
	assert_non_null(ksyms_by_name(k, "follow_pfnmap_start"));
	assert_label(k, 0xffffffff81002000ULL, NULL);
	assert_int_equal(ksyms_range(k, "fixup_user_fault", &lo, &hi), -ENOENT);
	ksyms_free(k);
}

static void test_empty_and_missing(void **state)
{
	struct ksyms *k = load_text("", 0);

	(void)state;
	assert_int_equal(ksyms_count(k), 0);
	assert_null(ksyms_by_name(k, "x"));
	assert_null(ksyms_by_prefix(k, "x"));
	assert_label(k, 0xffffffff81000000ULL, NULL);
	ksyms_free(k);
	errno = 0;
	assert_null(ksyms_load("/nonexistent/kallsyms"));
	assert_int_equal(errno, ENOENT);
	ksyms_free(NULL);
}

/* A NUL byte or a name longer than any line buffer must not derail it. */
static void test_odd_bytes(void **state)
{
	static const char text[] =
		"ffffffff81000000 T a\n"
		"ffffffff81000100 T b\0junk\n"
		"ffffffff81000200 T c\n";
	char *big = malloc(4096), name[1100];
	struct ksyms *k = load_text(text, sizeof(text) - 1);
	int n;

	(void)state;
	assert_non_null(ksyms_by_name(k, "a"));
	assert_non_null(ksyms_by_name(k, "b"));
	assert_non_null(ksyms_by_name(k, "c"));
	ksyms_free(k);

	memset(name, 'r', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	n = snprintf(big, 4096, "ffffffff81000000 t %s\t[rust_mod]\n"
		     "ffffffff81000800 t after\n", name);
	k = load_text(big, n);
	assert_int_equal(ksyms_count(k), 2);
	assert_non_null(ksyms_by_name(k, name));
	assert_string_equal(ksyms_by_name(k, name)->module, "rust_mod");
	assert_label(k, 0xffffffff81000804ULL, "after+0x4");
	ksyms_free(k);
	free(big);
}

/*
 * ksyms_load_some(): for the names it keeps, the answers of the whole
 * table (ksyms_load() of the same file), whatever the file looks like.
 */

/* What ksyms_load_some() reads at once (CHUNK in ksyms.c). */
#define PIECE		(64U << 10)

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* xorshift64: random files and names, the same at every run. */
static __u64 rng_state;

static void rng_seed(__u64 seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
}

static __u64 rng(void)
{
	return rng_next(&rng_state);
}

static unsigned int rnd(unsigned int n)
{
	return rng() % n;
}

/* Owned strings and their lengths: a line may hold a NUL byte. */
struct strs {
	char	**v;
	size_t	*len;
	size_t	n, cap;
};

static void strs_add(struct strs *s, const char *str, size_t len)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		s->len = realloc(s->len, s->cap * sizeof(*s->len));
		assert_true(s->v && s->len);
	}
	s->v[s->n] = malloc(len + 1);
	assert_non_null(s->v[s->n]);
	memcpy(s->v[s->n], str, len);
	s->v[s->n][len] = '\0';
	s->len[s->n++] = len;
}

static void strs_addv(struct strs *s, const char *const *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		strs_add(s, v[i], strlen(v[i]));
}

static void strs_free(struct strs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	free(s->len);
	memset(s, 0, sizeof(*s));
}

/* A kallsyms file being made: its lines, the name of each symbol. */
struct gen {
	struct strs	lines;
	struct strs	names;
	unsigned int	fresh;		/* names made so far */
};

static void gen_free(struct gen *g)
{
	strs_free(&g->lines);
	strs_free(&g->names);
}

static void gen_sym(struct gen *g, __u64 addr, char type, const char *name,
		    const char *module)
{
	char line[1024];
	int n = snprintf(line, sizeof(line), "%016llx %c %s%s%s%s\n",
			 (unsigned long long)addr, type, name,
			 module ? "\t[" : "", module ? module : "",
			 module ? "]" : "");

	assert_true(n > 0 && n < (int)sizeof(line));
	strs_add(&g->lines, line, n);
	strs_add(&g->names, name, strlen(name));
}

/* A line that is no symbol, or a symbol's that a NUL byte ends early. */
static void gen_junk(struct gen *g, __u64 addr)
{
	static const char *const junk[] = {
		"not a symbol line\n", "\n", "ffffffff81004000\n",
		"ffffffff81004000 t\n", "zzzz T bad_address\n",
	};
	const char *j = junk[rnd(ARRAY_SIZE(junk))];
	char line[64];
	int n;

	if (rnd(2)) {
		strs_add(&g->lines, j, strlen(j));
		return;
	}
	n = snprintf(line, sizeof(line), "%016llx t nul_%x",
		     (unsigned long long)addr, g->fresh++);
	strs_add(&g->names, line + 19, n - 19);
	memcpy(line + n, "\0junk\n", 6);
	strs_add(&g->lines, line, n + 6);
}

/*
 * A new name, or one already there: static functions share names, the
 * compiler's clones (".constprop.0", ...) a prefix.  Now and then a long
 * one (up to 512 bytes in a kernel): lines of every length meet the
 * pieces' boundaries at every offset.
 */
static void gen_name(struct gen *g, char *buf, size_t len)
{
	static const char *const clone[] = {
		".constprop.0", ".isra.0", ".part.0", ".cold",
	};
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz_0123456789";
	const struct strs *old = &g->names;
	size_t n, tail;

	if (old->n && !rnd(10)) {
		snprintf(buf, len, "%s", old->v[rnd(old->n)]);
		return;
	}
	if (old->n && !rnd(6)) {
		snprintf(buf, len, "%.80s%s", old->v[rnd(old->n)],
			 clone[rnd(ARRAY_SIZE(clone))]);
		return;
	}
	n = snprintf(buf, len, "f%x_", g->fresh++);
	tail = rnd(100) ? rnd(40) : 200 + rnd(300);
	while (tail-- && n < len - 1)
		buf[n++] = chars[rnd(sizeof(chars) - 1)];
	buf[n] = '\0';
}

struct gen_opts {
	unsigned int	nvmlinux, nmods;
	bool		mods_down;	/* later modules lower, as loaded */
	bool		hidden;		/* kptr_restrict: every address 0 */
};

/* A module's symbols, in address order; its name in [brackets]. */
static void gen_module(struct gen *g, const struct gen_opts *o, __u64 addr,
		       const char *mod)
{
	static const char types[] = "tTtTtTdDbBrR";
	char name[600];
	unsigned int i;

	for (i = 5 + rnd(60); i--;) {
		addr += rnd(8) ? 16 + rnd(0x400) : 0;
		gen_name(g, name, sizeof(name));
		gen_sym(g, o->hidden ? 0 : addr, types[rnd(sizeof(types) - 1)],
			name, mod);
	}
}

/* vmlinux's symbols in address order (0 apart: aliases), then modules'. */
static void gen_kernel(struct gen *g, const struct gen_opts *o)
{
	static const char types[] = "tTtTtTdDbBrR";
	__u64 addr = 0xffffffff81000000ULL;
	char name[600], mod[32];
	unsigned int i, m;

	for (i = 0; i < o->nvmlinux; i++) {
		addr += rnd(8) ? 16 + rnd(0x800) : 0;
		if (!rnd(100))
			gen_junk(g, o->hidden ? 0 : addr);
		gen_name(g, name, sizeof(name));
		gen_sym(g, o->hidden ? 0 : addr, types[rnd(sizeof(types) - 1)],
			name, NULL);
	}
	for (m = 0; m < o->nmods; m++) {
		snprintf(mod, sizeof(mod), "mod_%u", m);
		addr = 0xffffffffc0000000ULL +
		       (o->mods_down ? o->nmods - m : m) * 0x100000ULL;
		gen_module(g, o, addr, mod);
	}
}

/* The file, its lines shuffled or not, its last '\n' dropped or not. */
static char *gen_write(struct gen *g, bool shuffle, bool newline,
		       size_t *len)
{
	struct strs *l = &g->lines;
	size_t i, j, tl;
	char *text, *t, *path;

	for (i = l->n; shuffle && i > 1; i--) {
		j = rnd(i);
		t = l->v[i - 1], l->v[i - 1] = l->v[j], l->v[j] = t;
		tl = l->len[i - 1], l->len[i - 1] = l->len[j], l->len[j] = tl;
	}
	for (*len = 0, i = 0; i < l->n; i++)
		*len += l->len[i];
	text = malloc(*len + 1);
	assert_non_null(text);
	for (*len = 0, i = 0; i < l->n; i++) {
		memcpy(text + *len, l->v[i], l->len[i]);
		*len += l->len[i];
	}
	if (!newline && *len && text[*len - 1] == '\n')
		(*len)--;
	path = write_file(text, *len);
	free(text);
	return path;
}

/* Which names to keep: every one, or these and their clones. */
struct want {
	bool			all;
	const char *const	*names;
	size_t			n;
};

/* As the loader asks: a name with its end, its clones without. */
static int want_flags(const struct want *w, const char *name)
{
	size_t i, l;

	if (w->all)
		return KSYMS_KEEP | KSYMS_END;
	for (i = 0; i < w->n; i++) {
		l = strlen(w->names[i]);
		if (!strcmp(name, w->names[i]))
			return KSYMS_KEEP | KSYMS_END;
		if (!strncmp(name, w->names[i], l) && name[l] == '.')
			return KSYMS_KEEP;
	}
	return 0;
}

static int keep(const char *name, void *ctx)
{
	return want_flags(ctx, name);
}

/* Both NULL, or the same symbol. */
static bool same_sym(const struct ksym *x, const struct ksym *y)
{
	if (!x || !y)
		return x == y;
	if (!x->module || !y->module) {
		if (x->module != y->module)
			return false;
	} else if (strcmp(x->module, y->module)) {
		return false;
	}
	return x->addr == y->addr && x->type == y->type &&
	       !strcmp(x->name, y->name);
}

static void same_prefix(const struct ksyms *a, const struct ksyms *b,
			const char *prefix)
{
	if (!same_sym(ksyms_by_prefix(a, prefix), ksyms_by_prefix(b, prefix)))
		fail_msg("ksyms_by_prefix(\"%s\") differs", prefix);
}

static void same_range(const struct ksyms *a, const struct ksyms *b,
		       const char *name)
{
	__u64 lo[2], hi[2];
	int r[2];

	r[0] = ksyms_range(a, name, &lo[0], &hi[0]);
	r[1] = ksyms_range(b, name, &lo[1], &hi[1]);
	if (r[0] != r[1] || lo[0] != lo[1] || hi[0] != hi[1])
		fail_msg("ksyms_range(\"%s\"): whole %d [%llx, %llx), part %d [%llx, %llx)",
			 name, r[0], (unsigned long long)lo[0],
			 (unsigned long long)hi[0], r[1],
			 (unsigned long long)lo[1], (unsigned long long)hi[1]);
}

/* A kept name is found as in the whole table; one not kept is not. */
static void compare_name(const struct ksyms *a, const struct ksyms *b,
			 const struct want *w, const char *name)
{
	int flags = want_flags(w, name);
	char prefix[700];
	__u64 lo, hi;

	if (!flags) {
		if (ksyms_by_name(b, name))
			fail_msg("\"%s\" kept, not asked for", name);
		return;
	}
	if (!same_sym(ksyms_by_name(a, name), ksyms_by_name(b, name)))
		fail_msg("ksyms_by_name(\"%s\") differs", name);
	if (flags & KSYMS_END)
		same_range(a, b, name);
	else if (ksyms_range(b, name, &lo, &hi) != -ENOENT)
		fail_msg("ksyms_range(\"%s\") found, kept without its end",
			 name);
	/* every "name.*" was kept with it: the first is the same one */
	snprintf(prefix, sizeof(prefix), "%s.", name);
	same_prefix(a, b, prefix);
}

/*
 * ksyms_load_some() against ksyms_load() on path: as many symbols as the
 * file has of the names kept (file: the name of each of its symbols),
 * and every query the same; with every name kept, any prefix too.
 */
static void compare_some(const char *path, const struct want *w,
			 const struct strs *file, const struct strs *queries)
{
	struct ksyms *a = ksyms_load(path);
	struct ksyms *b = ksyms_load_some(path, keep, (void *)w);
	size_t i, kept = 0;
	const char *q;
	char prefix[700];

	assert_non_null(a);
	assert_non_null(b);
	for (i = 0; i < file->n; i++)
		kept += !!want_flags(w, file->v[i]);
	assert_int_equal(ksyms_count(b), kept);
	if (w->all)
		assert_int_equal(ksyms_count(b), ksyms_count(a));
	for (i = 0; i < queries->n; i++) {
		q = queries->v[i];
		compare_name(a, b, w, q);
		if (!w->all)
			continue;
		snprintf(prefix, sizeof(prefix), "%.*s",
			 (int)rnd(strlen(q) + 1), q);
		same_prefix(a, b, prefix);
	}
	ksyms_free(a);
	ksyms_free(b);
}

/* n names no file has: beside real ones, and sharing their prefixes. */
static void add_absent(struct strs *q, const struct strs *file,
		       unsigned int n)
{
	char name[700];
	const char *real;

	while (n--) {
		real = file->n ? file->v[rnd(file->n)] : "x";
		switch (rnd(4)) {
		case 0:
			snprintf(name, sizeof(name), "nope_%x", rnd(1 << 20));
			break;
		case 1:
			snprintf(name, sizeof(name), "%s_nope", real);
			break;
		case 2:		/* may be there: then it is compared */
			snprintf(name, sizeof(name), "%.*s",
				 (int)(1 + rnd(strlen(real))), real);
			break;
		default:	/* the same */
			snprintf(name, sizeof(name), "%s.cold", real);
		}
		strs_add(q, name, strlen(name));
	}
}

static void add_random(struct strs *q, const struct strs *file,
		       unsigned int n)
{
	const char *name;

	while (file->n && n--) {
		name = file->v[rnd(file->n)];
		strs_add(q, name, strlen(name));
	}
}

/* A few dozen names of the file and some it lacks, as the loader asks. */
static void compare_subset(const char *path, const struct strs *file)
{
	struct strs asked = { 0 }, q = { 0 };
	struct want w;

	add_random(&asked, file, 1 + rnd(40));
	add_absent(&asked, file, 5);
	w = (struct want){ .names = (const char *const *)asked.v,
			   .n = asked.n };
	/* and as many the file has, most of them not asked for */
	strs_addv(&q, (const char *const *)asked.v, asked.n);
	add_random(&q, file, 40);
	add_absent(&q, file, 10);
	compare_some(path, &w, file, &q);
	strs_free(&q);
	strs_free(&asked);
}

/* Every name kept (every line compared), then random subsets. */
static void compare_rounds(const char *path, const struct strs *file)
{
	struct want all = { .all = true };
	struct strs q = { 0 };
	int round;

	strs_addv(&q, (const char *const *)file->v, file->n);
	add_absent(&q, file, 50);
	compare_some(path, &all, file, &q);
	strs_free(&q);
	for (round = 0; round < 8; round++)
		compare_subset(path, file);
}

/* A random kernel's file, compared; it spans more than min_len bytes. */
static void compare_kernel(const struct gen_opts *o, __u64 seed,
			   bool shuffle, bool newline, size_t min_len)
{
	struct gen g = { 0 };
	size_t len;
	char *path;

	rng_seed(seed);
	gen_kernel(&g, o);
	path = gen_write(&g, shuffle, newline, &len);
	assert_true(len > min_len);
	compare_rounds(path, &g.names);
	unlink(path);
	free(path);
	gen_free(&g);
}

static void test_some_fixture(void **state)
{
	static const char *const names[] = {
		"fixed_percpu_data", "_stext", "startup_64", "helper",
		"fixup_user_fault", "follow_pfnmap_start",
		"follow_pte.constprop.0", "some_data", "dup_name", "dup_name",
		"vfio_pin_pages_remote", "vaddr_get_pfns",
		"vfio_pci_zap_and_down_write_memory_lock",
	};
	/*
	 * A clone's base, an alias, a duplicate, the last (no end), one at
	 * address 0, one not there.
	 */
	static const char *const asked[] = {
		"follow_pte", "_stext", "dup_name", "fixed_percpu_data",
		"vfio_pci_zap_and_down_write_memory_lock", "helper", "nope",
	};
	const struct want w = { .names = asked, .n = ARRAY_SIZE(asked) };
	char *path = write_file(kallsyms, sizeof(kallsyms) - 1);
	struct strs file = { 0 }, q = { 0 };

	(void)state;
	rng_seed(1);
	strs_addv(&file, names, ARRAY_SIZE(names));
	strs_addv(&q, names, ARRAY_SIZE(names));
	strs_addv(&q, asked, ARRAY_SIZE(asked));
	compare_some(path, &w, &file, &q);
	compare_rounds(path, &file);
	strs_free(&q);
	strs_free(&file);
	unlink(path);
	free(path);
}

/* Several pieces: every line of them compared, and random names. */
static void test_some_large(void **state)
{
	const struct gen_opts o = { .nvmlinux = 5000 };
	__u64 seed;

	(void)state;
	for (seed = 1; seed <= 4; seed++)
		compare_kernel(&o, seed, false, seed & 1, 3 * PIECE);
}

/*
 * Behind filler, the first piece ends cut bytes into the line of a kept
 * symbol (0: just before it); last: that line ends the file, with no
 * '\n'.  Returns the file's path; names: those of the file kept.
 */
static char *boundary_file(size_t cut, bool last, struct strs *names)
{
	static const char prev[] = "ffffffff80ffff00 t prev_fn\n";
	static const char target[] = "ffffffff81000000 T target_fn\t[tmod]\n";
	static const char after[] = "ffffffff81000040 t after_fn\n"
				    "ffffffff81000080 T tail_fn\n";
	size_t start = PIECE - cut - (sizeof(prev) - 1), len = 0, pad;
	char *text = malloc(2 * PIECE), *path;
	unsigned int i;

	assert_non_null(text);
	for (i = 0; start - len >= 100; i++)
		len += sprintf(text + len, "ffffffff80%06x t fill_%09u\n",
			       i, i);
	/* "ffffffff80xxxxxx t pad...x\n": the line of the length left */
	pad = start - len - 20;
	len += sprintf(text + len, "ffffffff80%06x t pad", i);
	memset(text + len, 'x', pad - 3);
	len += pad - 3;
	text[len++] = '\n';
	assert_int_equal(len, start);
	memcpy(text + len, prev, sizeof(prev) - 1);
	len += sizeof(prev) - 1;
	assert_int_equal(len, PIECE - cut);
	memcpy(text + len, target, sizeof(target) - 1 - last);
	len += sizeof(target) - 1 - last;
	if (!last) {
		memcpy(text + len, after, sizeof(after) - 1);
		len += sizeof(after) - 1;
	}
	path = write_file(text, len);
	free(text);
	strs_add(names, "fill_000000007", 14);
	strs_add(names, "prev_fn", 7);
	strs_add(names, "target_fn", 9);
	if (!last)
		strs_add(names, "after_fn", 8);
	return path;
}

static void test_some_piece_boundary(void **state)
{
	static const char *const asked[] = {
		"fill_000000007", "prev_fn", "target_fn", "after_fn",
		"target",
	};
	const struct want w = { .names = asked, .n = ARRAY_SIZE(asked) };
	struct strs q = { 0 }, file;
	size_t cut, tlen = strlen("ffffffff81000000 T target_fn\t[tmod]\n");
	char *path;
	int last;

	(void)state;
	strs_addv(&q, asked, ARRAY_SIZE(asked));
	strs_add(&q, "tail_fn", 7);
	for (cut = 0; cut <= tlen + 1; cut++) {
		for (last = 0; last < 2; last++) {
			memset(&file, 0, sizeof(file));
			path = boundary_file(cut, last, &file);
			compare_some(path, &w, &file, &q);
			unlink(path);
			free(path);
			strs_free(&file);
		}
	}
	strs_free(&q);
}

/*
 * Module symbols, modules in address order (one read), and as a kernel
 * lists them, the last loaded first (a second read for the ends).
 */
static void test_some_modules(void **state)
{
	struct gen_opts o = { .nvmlinux = 1500, .nmods = 12 };
	__u64 seed;

	(void)state;
	for (seed = 1; seed <= 4; seed++) {
		o.mods_down = seed > 2;
		compare_kernel(&o, 100 + seed, false, true, PIECE);
	}
}

/* Lines in any order: ends may lie before a symbol, in a second read. */
static void test_some_unordered(void **state)
{
	static const char text[] =
		"ffffffff81000200 T b\n"
		"ffffffff81000100 T a\n"
		"ffffffff81000300 T c\n";
	static const char *const asked[] = { "a" };
	const struct want w = { .names = asked, .n = 1 };
	const struct gen_opts o = { .nvmlinux = 2000, .nmods = 6 };
	char *path = write_file(text, sizeof(text) - 1);
	struct ksyms *k = ksyms_load_some(path, keep, (void *)&w);
	__u64 lo, hi, seed;

	(void)state;
	assert_non_null(k);
	assert_int_equal(ksyms_count(k), 1);
	assert_int_equal(ksyms_range(k, "a", &lo, &hi), 0);
	assert_int_equal(lo, 0xffffffff81000100ULL);
	assert_int_equal(hi, 0xffffffff81000200ULL);
	ksyms_free(k);
	unlink(path);
	free(path);
	for (seed = 1; seed <= 4; seed++)
		compare_kernel(&o, 200 + seed, true, seed & 1, PIECE);
}

/* kptr_restrict: names kept, no address, no range. */
static void test_some_hidden(void **state)
{
	const struct gen_opts o = {
		.nvmlinux = 3000, .nmods = 5, .hidden = true,
	};

	(void)state;
	compare_kernel(&o, 300, false, true, PIECE);
}

static void test_some_empty_and_missing(void **state)
{
	const struct want all = { .all = true };
	char *path = write_file("", 0);
	struct ksyms *k = ksyms_load_some(path, keep, (void *)&all);
	struct strs none = { 0 };
	__u64 lo, hi;

	(void)state;
	assert_non_null(k);
	assert_int_equal(ksyms_count(k), 0);
	assert_null(ksyms_by_name(k, "x"));
	assert_null(ksyms_by_prefix(k, ""));
	assert_int_equal(ksyms_range(k, "x", &lo, &hi), -ENOENT);
	ksyms_free(k);
	rng_seed(400);
	compare_rounds(path, &none);
	unlink(path);
	free(path);
	errno = 0;
	assert_null(ksyms_load_some("/nonexistent/kallsyms", keep,
				    (void *)&all));
	assert_int_equal(errno, ENOENT);
}

/* The last line, without its '\n', still ends the one before it. */
static void test_some_no_newline(void **state)
{
	static const char text[] =
		"ffffffff81000000 T a\n"
		"ffffffff81000010 T b";
	static const char *const asked[] = { "a", "b" };
	const struct want w = { .names = asked, .n = ARRAY_SIZE(asked) };
	char *path = write_file(text, sizeof(text) - 1);
	struct strs file = { 0 };
	struct ksyms *k;
	__u64 lo, hi;

	(void)state;
	k = ksyms_load_some(path, keep, (void *)&w);
	assert_non_null(k);
	assert_int_equal(ksyms_range(k, "a", &lo, &hi), 0);
	assert_int_equal(hi, 0xffffffff81000010ULL);
	assert_non_null(ksyms_by_name(k, "b"));
	ksyms_free(k);
	strs_addv(&file, asked, ARRAY_SIZE(asked));
	compare_some(path, &w, &file, &file);
	strs_free(&file);
	unlink(path);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_too_far, setup, teardown),
		cmocka_unit_test_setup_teardown(test_label_truncates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_range, setup, teardown),
		cmocka_unit_test(test_data_far_from_text),
		cmocka_unit_test(test_hidden_addresses),
		cmocka_unit_test(test_empty_and_missing),
		cmocka_unit_test(test_odd_bytes),
		cmocka_unit_test(test_some_fixture),
		cmocka_unit_test(test_some_large),
		cmocka_unit_test(test_some_piece_boundary),
		cmocka_unit_test(test_some_modules),
		cmocka_unit_test(test_some_unordered),
		cmocka_unit_test(test_some_hidden),
		cmocka_unit_test(test_some_empty_and_missing),
		cmocka_unit_test(test_some_no_newline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
