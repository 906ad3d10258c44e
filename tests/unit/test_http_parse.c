// SPDX-License-Identifier: GPL-2.0
/*
 * test_http_parse.c - the request parser of `pfnmap export`'s HTTP
 * server (src/cmd/export/http.c): what real scrapers send is complete,
 * every prefix of it incomplete, malformed heads bad (as early as they
 * can be told), nothing past len read, and the routing of GET /metrics.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "export/http_parse.h"

/* What Prometheus 2.x sends (its Accept line shortened). */
static const char prom_req[] =
	"GET /metrics HTTP/1.1\r\n"
	"Host: 127.0.0.1:9435\r\n"
	"User-Agent: Prometheus/2.42.0\r\n"
	"Accept: text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n"
	"Accept-Encoding: gzip\r\n"
	"X-Prometheus-Scrape-Timeout-Seconds: 10\r\n"
	"\r\n";

/* Parses a copy of exactly len bytes: ASan sees any read past it. */
static int parse(const char *s, size_t len, struct http_req *r)
{
	char *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, s, len);
	ret = http_parse_request(copy, len, r);
	if (ret == HTTP_PARSE_COMPLETE) {
		/* the pointers into the copy become offsets into s */
		r->method = s + (r->method - copy);
		r->target = s + (r->target - copy);
	}
	free(copy);
	return ret;
}

static int parse_str(const char *s)
{
	struct http_req r;

	return parse(s, strlen(s), &r);
}

static void test_prometheus(void **state)
{
	struct http_req r;

	(void)state;
	assert_int_equal(parse(prom_req, strlen(prom_req), &r),
			 HTTP_PARSE_COMPLETE);
	assert_int_equal(r.method_len, 3);
	assert_memory_equal(r.method, "GET", 3);
	assert_int_equal(r.target_len, 8);
	assert_memory_equal(r.target, "/metrics", 8);
	assert_int_equal(r.minor, 1);
	assert_int_equal(r.head_len, strlen(prom_req));
	assert_null(http_route(&r));
}

static void test_prefixes_incomplete(void **state)
{
	struct http_req r;
	size_t n;

	(void)state;
	for (n = 0; n < strlen(prom_req); n++)
		assert_int_equal(parse(prom_req, n, &r), HTTP_PARSE_INCOMPLETE);
}

static void test_bare_lf_and_body(void **state)
{
	const char req[] = "GET /metrics?name[]=x HTTP/1.0\nHost: a\n\nBODY\0\1";
	struct http_req r;

	(void)state;
	/* a body (even with NULs) after the head is not the parser's */
	assert_int_equal(parse(req, sizeof(req), &r), HTTP_PARSE_COMPLETE);
	assert_int_equal(r.head_len, sizeof(req) - sizeof("BODY\0\1"));
	assert_int_equal(r.minor, 0);
	assert_null(http_route(&r));
	/* no headers at all */
	assert_int_equal(parse_str("GET /metrics HTTP/1.0\r\n\r\n"),
			 HTTP_PARSE_COMPLETE);
}

static void test_header_values(void **state)
{
	(void)state;
	/* tabs, UTF-8 (obs-text) and empty values are fine */
	assert_int_equal(parse_str("GET / HTTP/1.1\r\nX-A:\tv\t\r\n"
				   "User-Agent: \xc3\xa9t\xc3\xa9\r\nX-E:\r\n\r\n"),
			 HTTP_PARSE_COMPLETE);
}

/* Each is bad whole, and already bad before its last byte. */
static const char *const bad_heads[] = {
	"\r\n\r\n",				/* no request line */
	"\n\n",
	"GET /metrics\r\n\r\n",			/* HTTP/0.9 */
	"GET /metrics HTTP/2.0\r\n\r\n",
	"GET /metrics HTTP/1.x\r\n\r\n",
	"GET /metrics HTTP/1.1 \r\n\r\n",
	"GET  /metrics HTTP/1.1\r\n\r\n",	/* two spaces */
	" GET /metrics HTTP/1.1\r\n\r\n",
	"GET /metrics  HTTP/1.1\r\n\r\n",
	"G(T /metrics HTTP/1.1\r\n\r\n",	/* not a token */
	"GET /met\trics HTTP/1.1\r\n\r\n",
	"GET /met\x7frics HTTP/1.1\r\n\r\n",
	"GET /m\xc3\xa9trics HTTP/1.1\r\n\r\n",	/* raw UTF-8 in the target */
	"GET /metrics HTTP/1.1\rX\r\n\r\n",	/* CR not before LF */
	"GET /metrics HTTP/1.1\r\nHost\r\n\r\n",	/* no colon */
	"GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n",
	"GET /metrics HTTP/1.1\r\n: a\r\n\r\n",
	"GET /metrics HTTP/1.1\r\nA: b\r\n c\r\n\r\n",	/* folding */
	"GET /metrics HTTP/1.1\r\nA: b\x01\r\n\r\n",
	"GET /metrics HTTP/1.1\r\nA: b\x7f\r\n\r\n",
};

static void test_bad(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_heads) / sizeof(bad_heads[0]); i++) {
		struct http_req r;
		size_t n = strlen(bad_heads[i]);

		if (parse(bad_heads[i], n, &r) != HTTP_PARSE_BAD)
			fail_msg("not bad: case %zu", i);
		/* the last CRLF changes nothing: it was bad before */
		if (parse(bad_heads[i], n - 1, &r) != HTTP_PARSE_BAD)
			fail_msg("bad only at the end: case %zu", i);
	}
}

static void test_nul(void **state)
{
	const char req[] = "GET /metrics HTTP/1.1\r\nA: \0b\r\n\r\n";
	struct http_req r;

	(void)state;
	/* a NUL is no end of string to the parser, and no valid byte */
	assert_int_equal(parse(req, sizeof(req) - 1, &r), HTTP_PARSE_BAD);
	assert_int_equal(parse("\0", 1, &r), HTTP_PARSE_BAD);
	assert_int_equal(parse("GET\0", 4, &r), HTTP_PARSE_BAD);
}

static void test_route(void **state)
{
	static const struct {
		const char	*req;
		const char	*status;
	} cases[] = {
		{ "GET /metrics HTTP/1.1\r\n\r\n", NULL },
		{ "GET /metrics? HTTP/1.1\r\n\r\n", NULL },
		{ "GET / HTTP/1.1\r\n\r\n", "404 Not Found" },
		{ "GET /metric HTTP/1.1\r\n\r\n", "404 Not Found" },
		{ "GET /metricsx HTTP/1.1\r\n\r\n", "404 Not Found" },
		{ "GET /metrics/ HTTP/1.1\r\n\r\n", "404 Not Found" },
		{ "GET http://h/metrics HTTP/1.1\r\n\r\n", "404 Not Found" },
		{ "POST /metrics HTTP/1.1\r\n\r\n", "405 Method Not Allowed" },
		{ "HEAD /metrics HTTP/1.1\r\n\r\n", "405 Method Not Allowed" },
		{ "get /metrics HTTP/1.1\r\n\r\n", "405 Method Not Allowed" },
		{ "GETX /metrics HTTP/1.1\r\n\r\n", "405 Method Not Allowed" },
	};
	struct http_req r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *st;

		assert_int_equal(parse(cases[i].req, strlen(cases[i].req), &r),
				 HTTP_PARSE_COMPLETE);
		st = http_route(&r);
		if (!cases[i].status)
			assert_null(st);
		else
			assert_string_equal(st, cases[i].status);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prometheus),
		cmocka_unit_test(test_prefixes_incomplete),
		cmocka_unit_test(test_bare_lf_and_body),
		cmocka_unit_test(test_header_values),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_route),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
