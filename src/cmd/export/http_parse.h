/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http_parse.h - the request parser of `pfnmap export`'s HTTP server
 * (http.c), apart from its sockets so that the unit test and the fuzzer
 * (tests/fuzz/fuzz_http.c) can feed it any bytes.
 */
#ifndef __PFNMAP_HTTP_PARSE_H
#define __PFNMAP_HTTP_PARSE_H

#include <stddef.h>

enum http_parse {
	HTTP_PARSE_BAD		= -1,	/* no request: answer 400, close */
	HTTP_PARSE_INCOMPLETE	= 0,	/* valid so far: read more */
	HTTP_PARSE_COMPLETE	= 1,	/* a whole head, in *out */
};

/* A request head; the pointers are into the buffer, not NUL-terminated. */
struct http_req {
	const char	*method;
	size_t		method_len;
	const char	*target;	/* path and query, as sent */
	size_t		target_len;
	int		minor;		/* HTTP/1.minor */
	size_t		head_len;	/* up to and including the empty line */
};

/*
 * Parses the head of an HTTP/1.x request at the start of buf[0..len):
 * the request line, header lines "NAME: VALUE" (names are not
 * interpreted), an empty line.  Lines end in CRLF or LF.  buf need not
 * be NUL-terminated and may hold any bytes; a NUL or control byte in the
 * head makes it bad.  Bad as soon as a prefix is, so a caller can stop
 * reading early; never complete on a prefix of a complete head.  *out is
 * set only when complete.
 */
int http_parse_request(const char *buf, size_t len, struct http_req *out);

/* The error status of a parsed request, or NULL: serve GET /metrics. */
const char *http_route(const struct http_req *req);

#endif /* __PFNMAP_HTTP_PARSE_H */
