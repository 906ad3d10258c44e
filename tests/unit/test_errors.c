// SPDX-License-Identifier: GPL-2.0
/*
 * test_errors.c - unit tests of src/lib/errors.c: the "pfnmap CMD: "
 * prefix on stderr, and under --json one {"error": ...} object, once.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "errors.h"

struct captured {
	FILE	*err;		/* what stderr was redirected to */
	int	saved;		/* the real stderr */
	FILE	*json;
	char	*json_buf;
	size_t	json_len;
};

static int setup(void **state)
{
	struct captured *c = calloc(1, sizeof(*c));

	c->err = tmpfile();
	c->saved = dup(STDERR_FILENO);
	dup2(fileno(c->err), STDERR_FILENO);
	c->json = open_memstream(&c->json_buf, &c->json_len);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct captured *c = *state;

	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	fclose(c->err);
	fclose(c->json);
	free(c->json_buf);
	free(c);
	cmd_err_init(NULL);
	return 0;
}

/* stderr so far, from the start. */
static const char *err_text(struct captured *c)
{
	static char buf[4096];
	size_t n;

	fflush(stderr);
	rewind(c->err);
	n = fread(buf, 1, sizeof(buf) - 1, c->err);
	buf[n] = '\0';
	return buf;
}

static const char *json_text(struct captured *c)
{
	fflush(c->json);
	return c->json_buf ? c->json_buf : "";
}

static void test_prefix(void **state)
{
	struct captured *c = *state;

	cmd_err_init(NULL);
	cmd_err("unknown command '%s'", "frob");
	cmd_err_init("stat");
	cmd_err("bad pid '%s'", "abc");
	cmd_warn("%d records", 3);
	assert_string_equal(err_text(c),
			    "pfnmap: unknown command 'frob'\n"
			    "pfnmap stat: bad pid 'abc'\n"
			    "pfnmap stat: 3 records\n");
	assert_string_equal(json_text(c), "");
}

static void test_json_once(void **state)
{
	struct captured *c = *state;

	cmd_err_init("report");
	cmd_err_json_to(c->json);
	cmd_warn("x.data: truncated");
	assert_string_equal(json_text(c), "");
	cmd_err("%s: \"bad\"\tfile", "y.data");
	cmd_err("second");
	assert_string_equal(json_text(c),
			    "{\"error\":\"y.data: \\\"bad\\\"\\u0009file\"}\n");
	assert_string_equal(err_text(c),
			    "pfnmap report: x.data: truncated\n"
			    "pfnmap report: y.data: \"bad\"\tfile\n"
			    "pfnmap report: second\n");
}

/* A lower layer said it on stderr: only the JSON object is added. */
static void test_json_only(void **state)
{
	struct captured *c = *state;

	cmd_err_init("probe");
	cmd_err_json("tracing could not start: %s", "Operation not permitted");
	assert_string_equal(json_text(c), "");
	cmd_err_json_to(c->json);
	cmd_err_json("tracing could not start: %s", "Operation not permitted");
	assert_string_equal(json_text(c),
			    "{\"error\":\"tracing could not start: Operation not permitted\"}\n");
	assert_string_equal(err_text(c), "");
}

/* The result took the place: errors after it go to stderr alone. */
static void test_json_off(void **state)
{
	struct captured *c = *state;

	cmd_err_init("stat");
	cmd_err_json_to(c->json);
	cmd_err_json_to(NULL);
	cmd_err("writing the result failed");
	assert_string_equal(json_text(c), "");
	/* a new command starts without JSON */
	cmd_err_json_to(c->json);
	cmd_err_init("record");
	cmd_err("x");
	assert_string_equal(json_text(c), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prefix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
