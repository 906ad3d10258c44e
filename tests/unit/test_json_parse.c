// SPDX-License-Identifier: GPL-2.0
/*
 * test_json_parse.c - unit tests of user/json_parse.c: the values it
 * builds, what strict means (every refusal with its offset), depth and
 * length limits, and that no input, cut anywhere or with any byte
 * changed, makes it crash or leak (run it under ASan to see the latter).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "json_parse.h"
#include "json.h"

static struct jv *parse_ok(const char *text)
{
	char err[JP_ERR_LEN];
	struct jv *v;

	if (json_parse(text, strlen(text), &v, err, sizeof(err))) {
		print_error("'%s': %s\n", text, err);
		fail();
	}
	return v;
}

/* Refused, with an error naming this offset and containing want. */
static void parse_bad(const char *text, size_t len, size_t off,
		      const char *want)
{
	char err[JP_ERR_LEN], prefix[32];
	struct jv *v = (struct jv *)1;

	assert_int_equal(json_parse(text, len, &v, err, sizeof(err)), -EINVAL);
	assert_null(v);
	snprintf(prefix, sizeof(prefix), "offset %zu: ", off);
	if (strncmp(err, prefix, strlen(prefix)) || !strstr(err, want)) {
		print_error("'%.*s': got '%s', want '%s%s'\n", (int)len, text,
			    err, prefix, want);
		fail();
	}
}

#define BAD(text, off, want)	parse_bad(text, sizeof(text) - 1, off, want)

static void test_scalars(void **state)
{
	struct jv *v;

	(void)state;
	v = parse_ok(" null ");
	assert_int_equal(v->type, JV_NULL);
	jv_free(v);
	v = parse_ok("true");
	assert_int_equal(v->type, JV_BOOL);
	assert_true(v->b);
	jv_free(v);
	v = parse_ok("\tfalse\n");
	assert_false(v->b);
	jv_free(v);
	v = parse_ok("-12.5e1");
	assert_int_equal(v->type, JV_NUM);
	assert_true(v->num == -125);
	assert_false(v->is_u64);
	jv_free(v);
	v = parse_ok("0.25");
	assert_true(v->num == 0.25);
	jv_free(v);
}

static void test_u64(void **state)
{
	struct jv *v;

	(void)state;
	/* exact past 2^53, where a double would round */
	v = parse_ok("18446744073709551615");
	assert_true(v->is_u64);
	assert_true(v->u == UINT64_MAX);
	jv_free(v);
	v = parse_ok("9007199254740993");
	assert_true(v->is_u64);
	assert_true(v->u == 9007199254740993ULL);
	jv_free(v);
	/* one past: a number still, not an exact integer */
	v = parse_ok("18446744073709551616");
	assert_false(v->is_u64);
	assert_true(v->num > 1.8e19);
	jv_free(v);
	v = parse_ok("1e3");
	assert_false(v->is_u64);
	jv_free(v);
	v = parse_ok("0");
	assert_true(v->is_u64);
	assert_true(v->u == 0);
	jv_free(v);
}

static void test_strings(void **state)
{
	struct jv *v;

	(void)state;
	v = parse_ok("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
	assert_string_equal(v->s, "a\"b\\c/d\b\f\n\r\t");
	jv_free(v);
	v = parse_ok("\"\\u00e9\\u20ac\\ud83d\\ude00\"");
	assert_string_equal(v->s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	jv_free(v);
	/* an escaped NUL is kept, and counted */
	v = parse_ok("\"a\\u0000b\"");
	assert_int_equal(v->len, 3);
	assert_memory_equal(v->s, "a\0b", 3);
	jv_free(v);
	/* raw UTF-8 passes through */
	v = parse_ok("\"h\xc3\xa9\"");
	assert_string_equal(v->s, "h\xc3\xa9");
	jv_free(v);
	v = parse_ok("\"\"");
	assert_int_equal(v->len, 0);
	assert_string_equal(v->s, "");
	jv_free(v);
}

static void test_containers(void **state)
{
	const struct jv *o, *a;
	struct jv *v;
	__u64 u;

	(void)state;
	v = parse_ok("{\"a\": [1, {\"b\": null}, []], \"c\": {}, \"d\": \"x\", \"a\": 2}");
	assert_int_equal(v->type, JV_OBJ);
	assert_int_equal(v->n, 4);
	a = jv_get(v, "a");		/* the first of duplicate keys */
	assert_non_null(a);
	assert_int_equal(a->type, JV_ARR);
	assert_int_equal(a->n, 3);
	assert_int_equal(a->items[1].type, JV_OBJ);
	assert_int_equal(jv_get(&a->items[1], "b")->type, JV_NULL);
	assert_int_equal(a->items[2].n, 0);
	o = jv_get(v, "c");
	assert_int_equal(o->type, JV_OBJ);
	assert_int_equal(o->n, 0);
	assert_string_equal(jv_get_str(v, "d"), "x");
	assert_null(jv_get_str(v, "a"));
	assert_null(jv_get(v, "zz"));
	assert_null(jv_get(a, "a"));		/* not an object */
	assert_false(jv_get_u64(v, "d", &u));
	jv_free(v);
	v = parse_ok("{\"n\": 7}");
	assert_true(jv_get_u64(v, "n", &u));
	assert_true(u == 7);
	jv_free(v);
}

static void test_strict(void **state)
{
	(void)state;
	BAD("", 0, "unexpected end");
	BAD("   ", 3, "unexpected end");
	BAD("[1,]", 3, "unexpected character ']'");
	BAD("{\"a\":1,}", 7, "expected a string key");
	BAD("{\"a\" 1}", 5, "expected ':'");
	BAD("{a:1}", 1, "expected a string key");
	BAD("[1 2]", 3, "expected ',' or ']'");
	BAD("{\"a\":1 \"b\":2}", 7, "expected ',' or '}'");
	BAD("01", 1, "unexpected data after");
	BAD("1.", 0, "bad number");
	BAD(".5", 0, "unexpected character '.'");
	BAD("-", 0, "bad number");
	BAD("+1", 0, "unexpected character '+'");
	BAD("1e", 0, "bad number");
	BAD("NaN", 0, "unexpected character 'N'");
	BAD("Infinity", 0, "unexpected character 'I'");
	BAD("1e999", 0, "out of range");
	BAD("tru", 0, "unknown literal");
	BAD("nul", 0, "unknown literal");
	BAD("\"abc", 4, "unterminated string");
	/* escape errors point at the backslash */
	BAD("\"a\\x\"", 2, "bad escape '\\x'");
	BAD("\"a\\u12\"", 2, "four hex digits");
	BAD("\"a\\u12", 2, "four hex digits");
	BAD("\"\\udc00\"", 1, "lone low surrogate");
	BAD("\"\\ud800\"", 1, "without its low half");
	BAD("\"\\ud800\\u0041\"", 1, "without its low half");
	BAD("\"\\ud800\\", 1, "without its low half");
	BAD("\"a\tb\"", 2, "control character");
	BAD("\"\xc3\"", 1, "invalid UTF-8");
	BAD("\"\xc0\xaf\"", 1, "invalid UTF-8");		/* overlong '/' */
	BAD("\"\xed\xa0\x80\"", 1, "invalid UTF-8");	/* surrogate */
	BAD("\"\xf4\x90\x80\x80\"", 1, "invalid UTF-8");	/* > U+10FFFF */
	BAD("\xef\xbb\xbf{}", 0, "unexpected character");	/* BOM */
	BAD("{} {}", 3, "unexpected data after");
	BAD("// c\n{}", 0, "unexpected character '/'");
	BAD("[1]\0", 3, "unexpected data after");
	BAD("{\"a\":[}", 6, "unexpected character '}'");
}

static void test_limits(void **state)
{
	char deep[2 * JP_MAX_DEPTH + 8], num[100];
	struct jv *v;
	char err[JP_ERR_LEN];
	int i;

	(void)state;
	for (i = 0; i < JP_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[JP_MAX_DEPTH + i] = ']';
	}
	deep[2 * JP_MAX_DEPTH] = '\0';
	v = parse_ok(deep);
	jv_free(v);
	/* one level more */
	memmove(deep + 1, deep, 2 * JP_MAX_DEPTH + 1);
	deep[0] = '[';
	strcat(deep, "]");
	assert_int_equal(json_parse(deep, strlen(deep), &v, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "nested deeper than"));
	memset(num, '1', 80);
	num[80] = '\0';
	assert_int_equal(json_parse(num, 80, &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "longer than"));
	/* no room for the message: still refused, nothing written */
	assert_int_equal(json_parse("[", 1, &v, NULL, 0), -EINVAL);
}

/* Not NUL-terminated: the parser must stop at len, not at a NUL. */
static void test_length_bound(void **state)
{
	char buf[8] = { '[', '1', ',', '2', ']', 'x', 'x', 'x' };
	struct jv *v;

	(void)state;
	assert_int_equal(json_parse(buf, 5, &v, NULL, 0), 0);
	assert_int_equal(v->n, 2);
	jv_free(v);
	assert_int_equal(json_parse(buf, 4, &v, NULL, 0), -EINVAL);
}

/* What json.c writes, json_parse.c reads back. */
static void test_round_trip(void **state)
{
	struct json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jv *v;

	(void)state;
	assert_non_null(f);
	json_init(&j, f, true);
	json_obj_begin(&j);
	json_kv_u64(&j, "big", UINT64_MAX);
	json_kv_i64(&j, "neg", -5);
	json_kv_double(&j, "half", 0.5);
	json_kv_double(&j, "nan", NAN);
	json_kv_str(&j, "s", "q\"\\\n\x01");
	json_obj_end(&j);
	json_end_line(&j);
	fclose(f);
	v = parse_ok(buf);
	assert_true(jv_get(v, "big")->u == UINT64_MAX);
	assert_true(jv_get(v, "neg")->num == -5);
	assert_true(jv_get(v, "half")->num == 0.5);
	assert_int_equal(jv_get(v, "nan")->type, JV_NULL);
	assert_string_equal(jv_get_str(v, "s"), "q\"\\\n\x01");
	jv_free(v);
	free(buf);
}

/*
 * Every prefix and every single-byte change of a valid document: each
 * parses or is refused with a message, never crashes (ASan checks the
 * reads and the frees).
 */
static void test_mutations(void **state)
{
	static const char doc[] =
		"{\"version\":1,\"a\":[1,-2.5e3,true,false,null,\"x\\u00e9\\n\"],"
		"\"b\":{\"c\":{}},\"d\":[]}";
	static const char bytes[] = "\0 \"\\{}[],:-+.0123456789eEtfnu\x80\xc3\xff";
	char buf[sizeof(doc)], err[JP_ERR_LEN];
	size_t i, b;
	struct jv *v;

	(void)state;
	for (i = 0; i <= sizeof(doc) - 1; i++) {
		if (!json_parse(doc, i, &v, err, sizeof(err)))
			jv_free(v);
		else
			assert_true(err[0]);
	}
	for (i = 0; i < sizeof(doc) - 1; i++)
		for (b = 0; b < sizeof(bytes) - 1; b++) {
			memcpy(buf, doc, sizeof(doc));
			buf[i] = bytes[b];
			if (!json_parse(buf, sizeof(doc) - 1, &v, err, sizeof(err)))
				jv_free(v);
			else
				assert_true(err[0]);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_u64),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_containers),
		cmocka_unit_test(test_strict),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_length_bound),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
