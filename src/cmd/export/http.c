// SPDX-License-Identifier: GPL-2.0
/*
 * http.c - the smallest HTTP/1.0 server a Prometheus scrape needs: one
 * connection at a time, GET /metrics, nothing else.  Not libmicrohttpd:
 * a root-adjacent daemon holding CAP_BPF should parse as little foreign
 * input as possible, and a scrape every few seconds needs no threads,
 * keep-alive, chunking or TLS (put a proxy in front for those).  A
 * request is bounded in size (HTTP_REQ_MAX) and in time (HTTP_TIMEOUT_MS
 * for the whole exchange), so a slow client cannot stall tracing.
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
	if (!port || getaddrinfo(*host ? host : NULL, port, &hints, &ai)) {
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

/* Reads the request head; its length, or -1 (too big, too slow, closed). */
static ssize_t read_head(int fd, char *buf, const struct timespec *deadline)
{
	size_t len = 0;
	ssize_t r;

	while (len < HTTP_REQ_MAX - 1) {
		if (!wait_fd(fd, POLLIN, deadline))
			return -1;
		r = recv(fd, buf + len, HTTP_REQ_MAX - 1 - len, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n") || strstr(buf, "\n\n"))
			return (ssize_t)len;
	}
	return -1;
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

/* "GET /metrics HTTP/1.x": a query string is allowed, nothing else. */
static const char *route(const char *req)
{
	size_t n = strlen("/metrics");

	if (strncmp(req, "GET ", 4))
		return "405 Method Not Allowed";
	req += 4;
	if (strncmp(req, "/metrics", n) || (req[n] != ' ' && req[n] != '?'))
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
	char req[HTTP_REQ_MAX];
	struct timespec deadline;
	const char *status;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += HTTP_TIMEOUT_MS / 1000;
	if (read_head(fd, req, &deadline) < 0) {
		close(fd);
		return;
	}
	status = route(req);
	if (status)
		error_page(fd, status, &deadline);
	else
		serve_metrics(fd, fn, ctx, &deadline);
	close(fd);
}
