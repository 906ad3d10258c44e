// SPDX-License-Identifier: GPL-2.0
/*
 * test_registry.c - the registry (include/pfnmap_kinds.def,
 * include/pfnmap_fields.def, src/lib/registry.c) against the ABI and
 * against itself: every counter reads a member inside struct
 * pfnmap_event, every member of the record is a counter or listed here
 * as record metadata (the member list below must cover the struct byte
 * for byte, so a member added without deciding what it is fails here);
 * kinds, fields and counters are unique and well formed; the uffd
 * family has retries; PFNMAP_UFFD_KINDS is the uffd family.  Then
 * `pfnmap list` and the --help kind list print what the registry says.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "agg.h"
#include "cmds.h"
#include "json_parse.h"
#include "registry.h"
#include "trace_opts.h"

#define ARRAY_SIZE(x)	(sizeof(x) / sizeof((x)[0]))

/* ---- struct pfnmap_event, member by member ------------------------------------ */

struct member {
	const char	*name;
	size_t		off;
	size_t		size;
	bool		meta;	/* record metadata, not a counter */
};

#define META(m)	{ #m, offsetof(struct pfnmap_event, m), \
		  sizeof(((struct pfnmap_event *)0)->m), true }
#define CNTR(m)	{ #m, offsetof(struct pfnmap_event, m), \
		  sizeof(((struct pfnmap_event *)0)->m), false }

/* In declaration order.  A new member goes here, as META or CNTR. */
static const struct member members[] = {
	META(kind), META(source), META(valid), META(pid), META(tid),
	META(flags), META(cgroup_id), META(start_ns), META(duration_ns),
	META(ret), META(addr), META(len), META(caller),
	CNTR(pages), CNTR(retries), CNTR(follow_calls), CNTR(follow_fails),
	CNTR(fixup_calls), CNTR(fixup_fails), CNTR(fixup_unlocked),
	CNTR(zap_races), CNTR(retry_aborts), CNTR(bar_faults),
	META(comm),
	CNTR(zap_tid), CNTR(zaps_attributed), CNTR(zap_gap_ns), CNTR(retry_ns),
	CNTR(seq_aborts), CNTR(seq_spurious), CNTR(eagain_pte),
	CNTR(eagain_changing), CNTR(zero_pages), CNTR(locked_delta),
	CNTR(nr_switches), CNTR(fatal_signal),
	META(reserved),
};

static const struct member *member_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(members); i++)
		if (!strcmp(members[i].name, name))
			return &members[i];
	return NULL;
}

/* The list covers the record: no hole, no overlap, nothing after it. */
static void test_member_list_covers_record(void **state)
{
	size_t i, end = 0;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(members); i++) {
		if (members[i].off != end)
			fail_msg("struct pfnmap_event: '%s' at offset %zu, expected %zu: "
				 "a member missing from this test's list, or a hole",
				 members[i].name, members[i].off, end);
		end = members[i].off + members[i].size;
	}
	if (end != sizeof(struct pfnmap_event))
		fail_msg("struct pfnmap_event is %zu bytes, the members listed here end at %zu",
			 sizeof(struct pfnmap_event), end);
}

static void test_counters_inside_record(void **state)
{
	const struct reg_counter *c;

	(void)state;
	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++) {
		const struct member *m = member_by_name(c->member);

		assert_non_null(c->member);
		if (c->off + c->size > sizeof(struct pfnmap_event))
			fail_msg("counter %s: member %s at %zu+%u lies outside struct pfnmap_event",
				 c->name, c->member, c->off, c->size);
		if (c->size != 1 && c->size != 2 && c->size != 4 && c->size != 8)
			fail_msg("counter %s: member %s is %u bytes, not a number",
				 c->name, c->member, c->size);
		if (!m)
			fail_msg("counter %s: member %s is not in this test's list",
				 c->name, c->member);
		if (m->off != c->off || m->size != c->size)
			fail_msg("counter %s: offset/size %zu/%u, the struct says %zu/%zu",
				 c->name, c->off, c->size, m->off, m->size);
		if (m->meta)
			fail_msg("counter %s reads %s, which this test lists as metadata",
				 c->name, c->member);
	}
}

/* Every member that is not metadata is read by a counter. */
static void test_members_are_counters_or_metadata(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(members); i++) {
		const struct reg_counter *c;
		bool used = false;

		for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++)
			used |= !strcmp(c->member, members[i].name);
		if (!members[i].meta && !used)
			fail_msg("struct pfnmap_event.%s is no counter's member: add its counter to pfnmap_fields.def, or list it as metadata",
				 members[i].name);
	}
}

/* ---- kinds and families ---------------------------------------------------------- */

struct def_kind {
	const char	*id;
	int		value;
	int		enum_value;
	const char	*name;
	int		family;
	int		stands_for;
};

static const struct def_kind def_kinds[] = {
#define PFNMAP_KIND(id, value, nm, fam, sf, m) \
	{ #id, value, PFNMAP_K_##id, nm, PFNMAP_FAM_##fam, PFNMAP_K_##sf },
#include "pfnmap_kinds.def"
};

static void test_kinds(void **state)
{
	size_t i, j;
	int k, n = 0;

	(void)state;
	assert_true(ARRAY_SIZE(def_kinds) > 0);
	for (i = 0; i < ARRAY_SIZE(def_kinds); i++) {
		const struct def_kind *d = &def_kinds[i];
		const struct reg_kind *r = reg_kind(d->value);

		if (d->value < 0 || d->value >= 32)
			fail_msg("kind %s: value %d, not in [0, 32) (kind masks are __u32)",
				 d->id, d->value);
		assert_int_equal(d->enum_value, d->value);
		for (j = 0; j < i; j++) {
			if (def_kinds[j].value == d->value)
				fail_msg("kinds %s and %s share value %d",
					 def_kinds[j].id, d->id, d->value);
			if (!strcmp(def_kinds[j].name, d->name))
				fail_msg("kinds %s and %s share name '%s'",
					 def_kinds[j].id, d->id, d->name);
		}
		assert_non_null(r);
		assert_string_equal(r->name, d->name);
		assert_int_equal(r->family, d->family);
		assert_int_equal(r->stands_for, d->stands_for);
		assert_true(d->family >= 0 && d->family < PFNMAP_FAM_MAX);
		if (!reg_kind(d->stands_for))
			fail_msg("kind %s stands for value %d, no kind",
				 d->id, d->stands_for);
		assert_non_null(r->meaning);
		assert_true(r->meaning[0]);
		assert_int_equal(pfnmap_kind_parse(d->name), d->value);
		assert_string_equal(pfnmap_kind_name(d->value), d->name);
	}
	/* reg_kinds[] holds the .def's kinds and nothing else */
	for (k = 0; k < PFNMAP_K_MAX; k++)
		n += reg_kind(k) != NULL;
	assert_int_equal(n, ARRAY_SIZE(def_kinds));
	assert_null(reg_kind(PFNMAP_K_MAX));
	assert_null(reg_kind(-1));
}

static void test_families(void **state)
{
	int fam, g, k;

	(void)state;
	for (fam = 0; fam < PFNMAP_FAM_MAX; fam++) {
		const struct reg_family *f = &reg_families[fam];
		int kinds = 0;

		assert_non_null(f->name);
		assert_non_null(f->category);
		assert_non_null(f->meaning);
		for (g = 0; g < fam; g++)
			if (!strcmp(reg_families[g].name, f->name))
				fail_msg("families %d and %d share name '%s'", g, fam, f->name);
		for (k = 0; k < PFNMAP_K_MAX; k++)
			kinds += reg_kind_in(k, fam);
		if (!kinds)
			fail_msg("family %s has no kind", f->name);
	}
	assert_true(PFNMAP_FAM_MAX <= 32);
}

/* ---- fields and counters ------------------------------------------------------- */

struct def_field {
	const char	*id;
	int		bit;
	int		enum_bit;
	unsigned int	v;
};

static const struct def_field def_fields[] = {
#define PFNMAP_FIELD(id, bit, ...) \
	{ #id, bit, PFNMAP_F_##id, PFNMAP_V_##id },
#include "pfnmap_fields.def"
};

static void test_fields(void **state)
{
	const __u32 all_families = (1U << PFNMAP_FAM_MAX) - 1;
	size_t i, j;
	int f, g;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(def_fields); i++) {
		const struct def_field *d = &def_fields[i];

		if (d->bit < 0 || d->bit >= 16)
			fail_msg("field %s: bit %d does not fit struct pfnmap_event.valid (__u16)",
				 d->id, d->bit);
		assert_int_equal(d->enum_bit, d->bit);
		assert_int_equal(d->v, 1U << d->bit);
		for (j = 0; j < i; j++)
			if (def_fields[j].bit == d->bit)
				fail_msg("fields %s and %s share bit %d",
					 def_fields[j].id, d->id, d->bit);
	}
	/* valid is a __u16: one bit per field */
	assert_true(PFNMAP_F_MAX <= 8 * sizeof(((struct pfnmap_event *)0)->valid));
	assert_int_equal(ARRAY_SIZE(def_fields), PFNMAP_F_MAX);
	for (f = 0; f < PFNMAP_F_MAX; f++) {
		const struct reg_field *r = &reg_fields[f];
		const struct reg_counter *c;
		int n = 0;

		if (!r->key)
			fail_msg("no field has bit %d (bits must be 0..%d)", f,
				 PFNMAP_F_MAX - 1);
		assert_non_null(r->label);
		assert_non_null(r->meaning);
		if (!r->families || (r->families & ~all_families))
			fail_msg("field %s: families 0x%x, not a non-empty set of the %d families",
				 r->key, r->families, PFNMAP_FAM_MAX);
		for (g = 0; g < f; g++)
			if (!strcmp(reg_fields[g].key, r->key))
				fail_msg("fields %d and %d share key '%s'", g, f, r->key);
		assert_int_equal(reg_field_parse(r->key), f);
		assert_string_equal(reg_field_key(f), r->key);
		reg_for_each_counter(c, f)
			n++;
		if (!n)
			fail_msg("field %s has no counter", r->key);
	}
	assert_null(reg_field_key(PFNMAP_F_MAX));
}

static void test_counters(void **state)
{
	const struct reg_counter *c, *d;

	(void)state;
	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++) {
		assert_non_null(c->name);
		assert_non_null(c->key);
		assert_non_null(c->label);
		assert_non_null(c->meaning);
		assert_true(c->field >= 0 && c->field < PFNMAP_F_MAX);
		if (c->value == RV_SUM && (c->slot < 0 || c->slot > 2))
			fail_msg("counter %s: sum slot %d, not 0-2", c->name, c->slot);
		/* diff's Poisson test counts events: a sum of unsigned counts */
		if (c->diff == RD_RATE &&
		    (c->value != RV_SUM || c->is_signed || c->unit != RU_COUNT))
			fail_msg("counter %s: RATE needs an unsigned count summed up",
				 c->name);
		for (d = reg_counters; d < c; d++) {
			if (!strcmp(d->name, c->name))
				fail_msg("counters share name '%s'", c->name);
			if (d->field == c->field && !strcmp(d->key, c->key))
				fail_msg("counters %s and %s of field %s share key '%s'",
					 d->name, c->name, reg_fields[c->field].key, c->key);
			if (d->field == c->field && d->value == RV_SUM &&
			    c->value == RV_SUM && d->slot == c->slot)
				fail_msg("counters %s and %s share sum slot %d",
					 d->name, c->name, c->slot);
		}
		assert_int_equal(reg_counter_parse(c->name), c - reg_counters);
	}
	assert_int_equal(reg_counter_parse("no_such_counter"), -1);
}

/*
 * The keys `stat --json` prints for a kind (view.c: count, error_count,
 * errors, the fields, latency_ns, partial) never collide: a flat field's
 * counters sit next to the other fields.
 */
static void test_json_keys_unique_per_kind(void **state)
{
	int k, f, n, a, b;

	(void)state;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const char *keys[64] = { "count", "error_count", "errors",
					 "latency_ns", "partial" };
		const struct reg_counter *c;

		if (!reg_kind(k))
			continue;
		n = 5;
		for (f = 0; f < PFNMAP_F_MAX; f++) {
			if (!(reg_kind_fields(k) & (1U << f)))
				continue;
			if (!reg_field_flat(f)) {
				keys[n++] = reg_fields[f].key;
				continue;
			}
			reg_for_each_counter(c, f)
				if (c->value != RV_RECORD && n < 64)
					keys[n++] = c->key;
		}
		for (a = 0; a < n; a++)
			for (b = 0; b < a; b++)
				if (!strcmp(keys[a], keys[b]))
					fail_msg("kind %s: JSON key '%s' twice",
						 reg_kinds[k].name, keys[a]);
	}
}

static void test_uffd_family(void **state)
{
	__u32 set = 0;
	int k;

	(void)state;
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		if (!reg_kind(k) || reg_kinds[k].family != PFNMAP_FAM_UFFD)
			continue;
		set |= 1U << k;
		assert_true(reg_kind_in(k, PFNMAP_FAM_UFFD));
		if (!(reg_kind_fields(k) & PFNMAP_V_RETRIES))
			fail_msg("uffd kind %s has no retries field", reg_kinds[k].name);
	}
	assert_true(set != 0);
	if ((__u32)PFNMAP_UFFD_KINDS != set)
		fail_msg("PFNMAP_UFFD_KINDS is 0x%x, the uffd family is 0x%x",
			 (unsigned int)PFNMAP_UFFD_KINDS, set);
	assert_false(reg_kind_in(PFNMAP_K_MAX, PFNMAP_FAM_UFFD));
	assert_int_equal(reg_kind_fields(PFNMAP_K_MAX), 0);
}

/* ---- pfnmap list, and the --help kind list ------------------------------------ */

static char out_path[] = "/tmp/test_registry.XXXXXX";

/* `pfnmap list ARGS...`; its stdout in *out (free it), stderr dropped. */
static int run_list(char **out, ...)
{
	char *argv[8] = { "list" };
	int argc = 1, rc, save_out, save_err, fd;
	FILE *f;
	long len;
	va_list ap;

	va_start(ap, out);
	while ((argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	fflush(stdout);
	fflush(stderr);
	save_out = dup(1);
	save_err = dup(2);
	fd = open(out_path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	dup2(fd, 1);
	close(fd);
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, 2);
	close(fd);
	rc = cmd_list(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(save_out, 1);
	dup2(save_err, 2);
	close(save_out);
	close(save_err);

	f = fopen(out_path, "r");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	*out = calloc(1, len + 1);
	assert_non_null(*out);
	assert_int_equal(fread(*out, 1, len, f), len);
	fclose(f);
	return rc;
}

static size_t arr_len(const struct jv *o, const char *key)
{
	const struct jv *a = jv_get(o, key);

	assert_non_null(a);
	assert_int_equal(a->type, JV_ARR);
	return a->n;
}

static void test_list_json(void **state)
{
	char *out, err[JP_ERR_LEN];
	const struct jv *kinds, *fields;
	struct jv *root;
	size_t i, n = 0;
	int k = 0;

	(void)state;
	assert_int_equal(run_list(&out, "--json", NULL), 0);
	if (json_parse(out, strlen(out), &root, err, sizeof(err)))
		fail_msg("list --json: %s", err);
	kinds = jv_get(root, "kinds");
	fields = jv_get(root, "fields");
	assert_non_null(kinds);
	assert_non_null(fields);
	assert_int_equal(arr_len(root, "families"), PFNMAP_FAM_MAX);
	for (i = 0; i < kinds->n; i++, k++) {
		while (!reg_kind(k))
			k++;
		assert_string_equal(jv_get_str(&kinds->items[i], "name"),
				    reg_kinds[k].name);
	}
	assert_int_equal(kinds->n, ARRAY_SIZE(def_kinds));
	assert_int_equal(fields->n, PFNMAP_F_MAX);
	for (i = 0; i < fields->n; i++) {
		assert_string_equal(jv_get_str(&fields->items[i], "key"),
				    reg_fields[i].key);
		n += arr_len(&fields->items[i], "counters");
	}
	assert_int_equal(n, PFNMAP_C_MAX);
	jv_free(root);
	free(out);

	/* one half only */
	assert_int_equal(run_list(&out, "kinds", "--json", NULL), 0);
	assert_int_equal(json_parse(out, strlen(out), &root, err, sizeof(err)), 0);
	assert_non_null(jv_get(root, "kinds"));
	assert_null(jv_get(root, "fields"));
	jv_free(root);
	free(out);
}

static int count_lines(const char *s, const char *prefix)
{
	int n = 0;

	for (; s && *s; s = strchr(s, '\n'), s = s ? s + 1 : NULL)
		n += !strncmp(s, prefix, strlen(prefix));
	return n;
}

static void test_list_markdown(void **state)
{
	char *out;
	int k;

	(void)state;
	assert_int_equal(run_list(&out, "--markdown", NULL), 0);
	assert_true(!strncmp(out, "<!-- generated by 'pfnmap list --markdown'", 42));
	/* a row per kind, field and counter start "| `", a family's "| " */
	assert_int_equal(count_lines(out, "| `"),
			 ARRAY_SIZE(def_kinds) + PFNMAP_F_MAX + PFNMAP_C_MAX);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		char row[64];

		if (!reg_kind(k))
			continue;
		snprintf(row, sizeof(row), "\n| `%s` | %d |", reg_kinds[k].name, k);
		if (!strstr(out, row))
			fail_msg("list --markdown has no row '%s'", row + 1);
	}
	free(out);
	assert_int_equal(run_list(&out, NULL), 0);
	assert_non_null(strstr(out, reg_counters[PFNMAP_C_MAX - 1].name));
	free(out);
}

static void test_list_usage(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(run_list(&out, "--frob", NULL), 2);
	free(out);
	assert_int_equal(run_list(&out, "--json", "--markdown", NULL), 2);
	free(out);
	assert_int_equal(run_list(&out, "nope", NULL), 2);
	free(out);
	assert_int_equal(run_list(&out, "kinds", "fields", NULL), 2);
	free(out);
	assert_int_equal(run_list(&out, "--help", NULL), 0);
	assert_non_null(strstr(out, "usage: pfnmap list"));
	free(out);
}

/* trace_opts_help() names every kind, in lines no longer than the rest. */
static void test_trace_opts_help(void **state)
{
	char *buf = NULL, *line, *save = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int k;

	(void)state;
	assert_non_null(f);
	trace_opts_help(f);
	fclose(f);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		char word[64];

		if (!reg_kind(k))
			continue;
		snprintf(word, sizeof(word), " %s%s", reg_kinds[k].name,
			 k == PFNMAP_K_MAX - 1 ? "\n" : ",");
		if (!strstr(buf, word))
			fail_msg("trace_opts_help() does not list kind %s",
				 reg_kinds[k].name);
	}
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (strlen(line) > 76)
			fail_msg("help line longer than 76: '%s'", line);
	free(buf);
}

static int setup(void **state)
{
	int fd = mkstemp(out_path);

	(void)state;
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(out_path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member_list_covers_record),
		cmocka_unit_test(test_counters_inside_record),
		cmocka_unit_test(test_members_are_counters_or_metadata),
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_families),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_counters),
		cmocka_unit_test(test_json_keys_unique_per_kind),
		cmocka_unit_test(test_uffd_family),
		cmocka_unit_test(test_list_json),
		cmocka_unit_test(test_list_markdown),
		cmocka_unit_test(test_list_usage),
		cmocka_unit_test(test_trace_opts_help),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
