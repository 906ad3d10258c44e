// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the smallest HTTP/1.0 server a Prometheus scrape needs: one
 * connection at a time, GET /metrics, nothing else.  Not libmicrohttpd:
 * a root-adjacent daemon holding CAP_BPF should parse as little foreign
 * input as possible, and a scrape every few seconds needs no threads,
 * keep-alive, chunking or TLS (put a proxy in front for those).  A
 * request is bounded in size (HTTP_REQ_MAX) and in time (HTTP_TIMEOUT_MS
 * for the whole exchange), so a slow client cannot stall tracing.  The
 * parser of the request (http_parse_request(), http_route()) touches no
 * socket: the unit test and the fuzzer call it on bytes.
 */
/* accept4() */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "errors.h"
#include "export.h"
#include "http_parse.h"

#define HTTP_REQ_MAX		4096
#define HTTP_TIMEOUT_MS		2000

/* Splits "ADDR:PORT" / "[ADDR]:PORT" in place; NULL port if malformed. */
static char *split_host(char *s, char **port)
{
	char *colon = strrchr(s, ':');

	*port = NULL;
	if (!colon || !colon[1])
		return s;
	*colon = '\0';
	*port = colon + 1;
	if (*s == '[') {
		size_t n = strlen(s);

		if (n < 2 || s[n - 1] != ']') {
			*port = NULL;
			return s;
		}
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

/*
 * 1 to 65535 in decimal: getaddrinfo() takes "99999" as port 34463 and
 * "65536" as 0 (any port), listening where nobody would scrape.
 */
static bool port_ok(const char *port)
{
	unsigned long v = 0;
	const char *p;

	for (p = port; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	return p != port && !*p && v >= 1 && v <= 65535;
}

static int bind_one(const struct addrinfo *ai)
{
	int one = 1, fd;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK,
		    ai->ai_protocol);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 16)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int http_listen(const char *addr_port)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *ai;
	char *dup = strdup(addr_port), *host, *port;
	int fd;

	if (!dup)
		return -ENOMEM;
	host = split_host(dup, &port);
	/* numeric only: no resolver in a long-running privileged process */
	if (!port || !port_ok(port) ||
	    getaddrinfo(*host ? host : NULL, port, &hints, &ai)) {
		free(dup);
		return -EINVAL;
	}
	fd = bind_one(ai);
	freeaddrinfo(ai);
	free(dup);
	return fd;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (deadline->tv_sec - now.tv_sec) * 1000 +
	       (deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Waits for fd within the deadline of the whole exchange. */
static bool wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	long left = ms_left(deadline);

	return left > 0 && poll(&p, 1, (int)left) == 1;
}

/*
 * Reads a request head into buf[HTTP_REQ_MAX]: HTTP_PARSE_COMPLETE (*req
 * set), _BAD as soon as what came is no request, _INCOMPLETE if it is too
 * big, too slow or the client closed.  Parsing the whole buffer again
 * after each read is cheap at 4 KiB and keeps the parser stateless.
 */
static int read_head(int fd, char *buf, struct http_req *req,
		     const struct timespec *deadline)
{
	int ret = HTTP_PARSE_INCOMPLETE;
	size_t len = 0;
	ssize_t r;

	while (ret == HTTP_PARSE_INCOMPLETE && len < HTTP_REQ_MAX) {
		if (!wait_fd(fd, POLLIN, deadline))
			break;
		r = recv(fd, buf + len, HTTP_REQ_MAX - len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		ret = http_parse_request(buf, len, req);
	}
	return ret;
}

static void send_all(int fd, const char *p, size_t len,
		     const struct timespec *deadline)
{
	ssize_t w;

	while (len) {
		if (!wait_fd(fd, POLLOUT, deadline))
			return;
		w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

static void respond(int fd, const char *status, const char *type,
		    const char *body, size_t len, const struct timespec *deadline)
{
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", status, type, len);
	send_all(fd, head, (size_t)n, deadline);
	send_all(fd, body, len, deadline);
}

static void error_page(int fd, const char *status,
		       const struct timespec *deadline)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%s\n", status);

	respond(fd, status, "text/plain; charset=utf-8", body, (size_t)n,
		deadline);
}

/* A token character (RFC 9110 tchar): methods and header names. */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* A byte a line of the head may hold: HT, SP, visible, obs-text. */
static bool is_line_char(unsigned char c)
{
	return c == '\t' || (c >= ' ' && c != 0x7f);
}

/* "METHOD SP TARGET SP HTTP/1.D", its line end cut off. */
static bool parse_request_line(const char *p, size_t n, struct http_req *r)
{
	size_t i = 0, start;

	while (i < n && is_tchar(p[i]))
		i++;
	if (!i || i >= n || p[i] != ' ')
		return false;
	r->method = p;
	r->method_len = i;
	start = ++i;
	while (i < n && (unsigned char)p[i] > ' ' &&
	       (unsigned char)p[i] < 0x7f)
		i++;
	if (i == start || i >= n || p[i] != ' ')
		return false;
	r->target = p + start;
	r->target_len = i - start;
	i++;
	/* HTTP/2 and later never send this; HTTP/0.9 has no head to end */
	if (n - i != 8 || memcmp(p + i, "HTTP/1.", 7) ||
	    p[i + 7] < '0' || p[i + 7] > '9')
		return false;
	r->minor = p[i + 7] - '0';
	return true;
}

/*
 * "NAME: VALUE", its line end cut off.  A line starting with a blank
 * (obsolete folding) has no NAME and is refused, as RFC 9112 allows.
 */
static bool header_line_ok(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && is_tchar(p[i]))
		i++;
	if (!i || i >= n || p[i] != ':')
		return false;
	for (i++; i < n; i++)
		if (!is_line_char(p[i]))
			return false;
	return true;
}

/*
 * Line by line: each whole line is checked as it ends, the bytes of the
 * last, unfinished one one by one with the looser is_line_char() (what a
 * whole line allows), so that what is bad stays bad however much comes.
 */
int http_parse_request(const char *buf, size_t len, struct http_req *out)
{
	struct http_req req = { 0 };
	size_t start = 0, i, n;

	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (c == '\r') {
			/* a CR ends a line only with the LF right after it */
			if (i + 1 < len && buf[i + 1] != '\n')
				return HTTP_PARSE_BAD;
			continue;
		}
		if (c != '\n') {
			if (!is_line_char(c))
				return HTTP_PARSE_BAD;
			continue;
		}
		n = i - start;
		if (n && buf[i - 1] == '\r')
			n--;
		if (!start) {
			if (!parse_request_line(buf, n, &req))
				return HTTP_PARSE_BAD;
		} else if (!n) {
			req.head_len = i + 1;
			*out = req;
			return HTTP_PARSE_COMPLETE;
		} else if (!header_line_ok(buf + start, n)) {
			return HTTP_PARSE_BAD;
		}
		start = i + 1;
	}
	return HTTP_PARSE_INCOMPLETE;
}

/* GET /metrics, a query string allowed (and ignored); nothing else. */
const char *http_route(const struct http_req *req)
{
	static const char path[] = "/metrics";
	size_t n = sizeof(path) - 1;

	if (req->method_len != 3 || memcmp(req->method, "GET", 3))
		return "405 Method Not Allowed";
	if (req->target_len < n || memcmp(req->target, path, n) ||
	    (req->target_len > n && req->target[n] != '?'))
		return "404 Not Found";
	return NULL;
}

static void serve_metrics(int fd, http_body_fn fn, void *ctx,
			  const struct timespec *deadline)
{
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);
	int err;

	if (!f) {
		error_page(fd, "500 Internal Server Error", deadline);
		return;
	}
	err = fn(f, ctx);
	if (fclose(f) || err)
		error_page(fd, "500 Internal Server Error", deadline);
	else
		respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8",
			body, len, deadline);
	free(body);
}

void http_serve_one(int lfd, http_body_fn fn, void *ctx)
{
	char buf[HTTP_REQ_MAX];
	struct timespec deadline;
	struct http_req req;
	const char *status;
	int fd, ret;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += HTTP_TIMEOUT_MS / 1000;
	ret = read_head(fd, buf, &req, &deadline);
	if (ret == HTTP_PARSE_BAD) {
		error_page(fd, "400 Bad Request", &deadline);
	} else if (ret == HTTP_PARSE_COMPLETE) {
		status = http_route(&req);
		if (status)
			error_page(fd, status, &deadline);
		else
			serve_metrics(fd, fn, ctx, &deadline);
	}
	close(fd);
}
