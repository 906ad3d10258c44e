// SPDX-License-Identifier: GPL-2.0
/*
 * test_json.c - unit tests of user/json.c: exact output of the writer,
 * escaping, numbers and comma placement at every nesting level.
 */
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "json.h"

/* A writer on a memory buffer; out_text() closes it and returns the text. */
struct out {
	struct json	j;
	char		*buf;
	size_t		len;
	FILE		*f;
};

static void out_open(struct out *o, bool pretty)
{
	o->buf = NULL;
	o->f = open_memstream(&o->buf, &o->len);
	assert_non_null(o->f);
	json_init(&o->j, o->f, pretty);
}

static void out_expect(struct out *o, const char *want)
{
	assert_int_equal(fclose(o->f), 0);
	assert_string_equal(o->buf, want);
	free(o->buf);
}

/* {"a":1,"b":[1,-2,{"c":null}],"d":{},"e":[],"f":{"g":[[true],false]}} */
static void write_nested(struct json *j)
{
	json_obj_begin(j);
	json_kv_u64(j, "a", 1);
	json_key(j, "b");
	json_arr_begin(j);
	json_u64(j, 1);
	json_i64(j, -2);
	json_obj_begin(j);
	json_key(j, "c");
	json_null(j);
	json_obj_end(j);
	json_arr_end(j);
	json_key(j, "d");
	json_obj_begin(j);
	json_obj_end(j);
	json_key(j, "e");
	json_arr_begin(j);
	json_arr_end(j);
	json_key(j, "f");
	json_obj_begin(j);
	json_key(j, "g");
	json_arr_begin(j);
	json_arr_begin(j);
	json_bool(j, true);
	json_arr_end(j);
	json_bool(j, false);
	json_arr_end(j);
	json_obj_end(j);
	json_obj_end(j);
	json_end_line(j);
}

static void test_nested_compact(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, false);
	write_nested(&o.j);
	out_expect(&o, "{\"a\":1,\"b\":[1,-2,{\"c\":null}],\"d\":{},\"e\":[],"
		       "\"f\":{\"g\":[[true],false]}}\n");
}

static void test_nested_pretty(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, true);
	write_nested(&o.j);
	out_expect(&o,
		"{\n"
		"  \"a\": 1,\n"
		"  \"b\": [\n"
		"    1,\n"
		"    -2,\n"
		"    {\n"
		"      \"c\": null\n"
		"    }\n"
		"  ],\n"
		"  \"d\": {},\n"
		"  \"e\": [],\n"
		"  \"f\": {\n"
		"    \"g\": [\n"
		"      [\n"
		"        true\n"
		"      ],\n"
		"      false\n"
		"    ]\n"
		"  }\n"
		"}\n");
}

/* JSON lines: one top-level value per line, no comma between them. */
static void test_top_level_lines(void **state)
{
	struct out o;
	int i;

	(void)state;
	out_open(&o, false);
	for (i = 1; i <= 2; i++) {
		json_obj_begin(&o.j);
		json_kv_i64(&o.j, "n", i);
		json_obj_end(&o.j);
		json_end_line(&o.j);
	}
	json_u64(&o.j, 3);
	json_end_line(&o.j);
	out_expect(&o, "{\"n\":1}\n{\"n\":2}\n3\n");
}

static void test_string_escaping(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, false);
	json_arr_begin(&o.j);
	json_str(&o.j, "q\"b\\s/");
	json_str(&o.j, "\x01\t\n\r\x1f\x7f");
	json_str(&o.j, "");
	json_str(&o.j, NULL);
	json_arr_end(&o.j);
	out_expect(&o, "[\"q\\\"b\\\\s/\",\"\\u0001\\u0009\\u000a\\u000d\\u001f\x7f\","
		       "\"\",null]");
}

static void test_key_escaping(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, false);
	json_obj_begin(&o.j);
	json_kv_str(&o.j, "a\"b", "v");
	json_kv_str(&o.j, NULL, "w");
	json_obj_end(&o.j);
	out_expect(&o, "{\"a\\\"b\":\"v\",\"\":\"w\"}");
}

/* A comm is whatever bytes the task chose: the output must stay UTF-8. */
static void test_utf8(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, false);
	json_arr_begin(&o.j);
	json_str(&o.j, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");	/* é € 😀: kept */
	json_str(&o.j, "a\xff" "b");			/* never valid */
	json_str(&o.j, "\xc0\xaf");			/* overlong '/' */
	json_str(&o.j, "\xed\xa0\x80");			/* surrogate */
	json_str(&o.j, "\xf4\x90\x80\x80");		/* above U+10FFFF */
	json_str(&o.j, "x\xe2\x82");			/* cut short */
	json_arr_end(&o.j);
	out_expect(&o, "[\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
		       "\"a\\ufffdb\","
		       "\"\\ufffd\\ufffd\","
		       "\"\\ufffd\\ufffd\\ufffd\","
		       "\"\\ufffd\\ufffd\\ufffd\\ufffd\","
		       "\"x\\ufffd\\ufffd\"]");
}

static void test_integers(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, false);
	json_arr_begin(&o.j);
	json_u64(&o.j, 0);
	json_u64(&o.j, UINT64_MAX);
	json_i64(&o.j, INT64_MIN);
	json_i64(&o.j, INT64_MAX);
	json_arr_end(&o.j);
	out_expect(&o, "[0,18446744073709551615,-9223372036854775808,"
		       "9223372036854775807]");
}

static void test_doubles(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, false);
	json_arr_begin(&o.j);
	json_double(&o.j, 0.1);
	json_double(&o.j, 1.5);
	json_double(&o.j, -2);
	json_double(&o.j, 1.0 / 3);
	json_double(&o.j, 1e300);
	json_double(&o.j, 0.1 + 0.2);		/* needs all 17 digits */
	json_double(&o.j, 5e-324);
	json_double(&o.j, NAN);
	json_double(&o.j, INFINITY);
	json_double(&o.j, -INFINITY);
	json_arr_end(&o.j);
	out_expect(&o, "[0.1,1.5,-2,0.3333333333333333,1e+300,0.30000000000000004,4.94065645841247e-324,"
		       "null,null,null]");
}

/* Whatever the value, the text reads back as the same double. */
static void test_doubles_round_trip(void **state)
{
	__u64 seed = 88172645463325252ULL, bits;
	char *buf;
	size_t len;
	double v;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++) {
		struct json j;
		FILE *f = open_memstream(&buf, &len);

		assert_non_null(f);
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		bits = seed;
		memcpy(&v, &bits, sizeof(v));
		json_init(&j, f, false);
		json_double(&j, v);
		fclose(f);
		if (isfinite(v))
			assert_true(strtod(buf, NULL) == v);
		else
			assert_string_equal(buf, "null");
		free(buf);
	}
}

static void test_kv_shorthands(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, true);
	json_obj_begin(&o.j);
	json_kv_str(&o.j, "s", "x");
	json_kv_u64(&o.j, "u", 7);
	json_kv_i64(&o.j, "i", -7);
	json_kv_double(&o.j, "d", 0.25);
	json_kv_double(&o.j, "n", NAN);
	json_kv_bool(&o.j, "b", true);
	json_obj_end(&o.j);
	json_end_line(&o.j);
	out_expect(&o, "{\n  \"s\": \"x\",\n  \"u\": 7,\n  \"i\": -7,\n"
		       "  \"d\": 0.25,\n  \"n\": null,\n  \"b\": true\n}\n");
}

/* Caller mistakes still give valid JSON. */
static void test_misuse(void **state)
{
	struct out o;

	(void)state;
	out_open(&o, false);
	json_obj_end(&o.j);			/* nothing open: ignored */
	json_obj_begin(&o.j);
	json_key(&o.j, "dangling");		/* no value: null */
	json_obj_end(&o.j);
	json_arr_end(&o.j);
	json_end_line(&o.j);
	out_expect(&o, "{\"dangling\":null}\n");
}

/* Past JSON_MAX_DEPTH levels share a slot; commas must still be right. */
static void write_deep(struct json *j, int level, int levels)
{
	json_arr_begin(j);
	json_u64(j, level);
	if (level < levels) {
		write_deep(j, level + 1, levels);
		/* An empty array after a full one, then a value. */
		json_arr_begin(j);
		json_arr_end(j);
	}
	json_u64(j, level);
	json_arr_end(j);
}

static void test_deep_nesting(void **state)
{
	const int levels = JSON_MAX_DEPTH + 8;
	char *want = malloc(levels * 32), *p = want;
	struct out o;
	int i;

	(void)state;
	assert_non_null(want);
	for (i = 1; i <= levels; i++)
		p += sprintf(p, "[%d,", i);
	p[-1] = '\0';			/* the last level has no nested array */
	p--;
	for (i = levels; i >= 1; i--)
		p += sprintf(p, i == levels ? ",%d]" : ",[],%d]", i);
	out_open(&o, false);
	write_deep(&o.j, 1, levels);
	out_expect(&o, want);
	free(want);
}

/* JSON needs '.' even where the locale says ','. */
static void test_locale_decimal_point(void **state)
{
	static const char *const locales[] = { "de_DE.UTF-8", "fr_FR.UTF-8", "de_DE", "ru_RU.UTF-8" };
	const char *old = setlocale(LC_NUMERIC, NULL);
	char *saved = strdup(old ? old : "C");
	struct out o;
	size_t i;

	(void)state;
	assert_non_null(saved);
	for (i = 0; i < sizeof(locales) / sizeof(locales[0]); i++)
		if (setlocale(LC_NUMERIC, locales[i]))
			break;
	if (i == sizeof(locales) / sizeof(locales[0])) {
		free(saved);
		skip();
	}
	out_open(&o, false);
	json_double(&o.j, 2.5);
	setlocale(LC_NUMERIC, saved);
	free(saved);
	out_expect(&o, "2.5");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested_compact),
		cmocka_unit_test(test_nested_pretty),
		cmocka_unit_test(test_top_level_lines),
		cmocka_unit_test(test_string_escaping),
		cmocka_unit_test(test_key_escaping),
		cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_doubles_round_trip),
		cmocka_unit_test(test_kv_shorthands),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_locale_decimal_point),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
