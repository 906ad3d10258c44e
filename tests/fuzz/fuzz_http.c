// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_http.c - libFuzzer target of the request parser of `pfnmap
 * export`'s HTTP server (src/cmd/export/http.c: http_parse_request(),
 * http_route()).  The bytes are what any local process may send to a
 * daemon holding CAP_BPF: they must be parsed without a crash or
 * undefined behaviour, never read past their length, and the parser's
 * promises must hold:
 *   - a complete head ends at the first empty line, holds no NUL, and
 *     parses the same on its own; one byte less is incomplete;
 *   - what is incomplete stays so on every prefix; what is bad stays
 *     bad whatever follows;
 *   - the route of a complete head is NULL, 404 or 405.
 *
 *	make fuzz FUZZ_TARGETS=http		(tests/fuzz/Makefile.inc)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "export/http_parse.h"

static void check(int ok)
{
	if (!ok)
		abort();	/* libFuzzer saves the input as a crash */
}

/* An oracle apart from the parser: the end of the first empty line. */
static size_t head_end(const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++) {
		if (d[i] != '\n')
			continue;
		if (d[i - 1] == '\n' || (i >= 2 && d[i - 1] == '\r' &&
					 d[i - 2] == '\n'))
			return i + 1;
	}
	return 0;
}

static int within(const char *p, size_t n, const uint8_t *d, size_t len)
{
	return p >= (const char *)d && n <= len &&
	       p - (const char *)d <= (long)(len - n);
}

static void check_complete(const uint8_t *d, size_t size,
			   const struct http_req *r)
{
	struct http_req again;
	const char *st;

	check(r->head_len >= 2 && r->head_len <= size);
	check(r->head_len == head_end(d, size));
	check(!memchr(d, '\0', r->head_len));
	check(r->method_len && within(r->method, r->method_len, d, r->head_len));
	check(r->target_len && within(r->target, r->target_len, d, r->head_len));
	check(r->minor >= 0 && r->minor <= 9);
	memset(&again, 0, sizeof(again));
	check(http_parse_request((const char *)d, r->head_len, &again) ==
	      HTTP_PARSE_COMPLETE);
	check(!memcmp(&again, r, sizeof(again)));
	check(http_parse_request((const char *)d, r->head_len - 1, &again) ==
	      HTTP_PARSE_INCOMPLETE);
	st = http_route(r);
	check(!st || !strcmp(st, "404 Not Found") ||
	      !strcmp(st, "405 Method Not Allowed"));
}

/* Bad stays bad: the input with one more byte, in a buffer of its own. */
static void check_bad_extends(const uint8_t *d, size_t size)
{
	struct http_req r;
	uint8_t *more = malloc(size + 1);

	if (!more)
		return;
	memcpy(more, d, size);
	more[size] = '\n';
	check(http_parse_request((const char *)more, size + 1, &r) ==
	      HTTP_PARSE_BAD);
	free(more);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req r;
	int ret;

	memset(&r, 0, sizeof(r));
	ret = http_parse_request((const char *)data, size, &r);
	switch (ret) {
	case HTTP_PARSE_COMPLETE:
		check_complete(data, size, &r);
		break;
	case HTTP_PARSE_INCOMPLETE:
		if (size)
			check(http_parse_request((const char *)data, size - 1,
						 &r) == HTTP_PARSE_INCOMPLETE);
		break;
	case HTTP_PARSE_BAD:
		check(size > 0);
		check_bad_extends(data, size);
		break;
	default:
		check(0);
	}
	return 0;
}
