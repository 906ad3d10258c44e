/* SPDX-License-Identifier: GPL-2.0 */
/*
 * export.h - `pfnmap export`: the Prometheus text of the aggregates
 * (metrics.c, pure: no libbpf, no sockets, unit-tested) and the minimal
 * HTTP server that serves it (http.c).
 */
#ifndef __PFNMAP_EXPORT_H
#define __PFNMAP_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "agg.h"

/* The comm label of the groups folded past --max-series. */
#define EXPORT_OTHER	"other"

/* Cumulative aggregates since start, by kind or by kind and comm. */
struct export_state {
	struct agg	*agg;
	bool		by_comm;
	size_t		max_series;	/* by_comm: groups before folding */
	__u64		folded;		/* operations counted under "other" */
};

int export_init(struct export_state *x, bool by_comm, size_t max_series);
void export_fini(struct export_state *x);
/* Adds one record, folding a new comm past the cap; -ENOMEM on failure. */
int export_add(struct export_state *x, const struct pfnmap_event *e);
/* The same for a group of the in-kernel aggregates (export_reset first). */
int export_add_group(struct export_state *x, const struct agg_stats *st);
void export_reset(struct export_state *x);

/* What the session knows, per kind; mode NULL: the kind is not traced. */
struct metrics_meta {
	const char	*kernel;
	__u64		lost;
	const char	*mode[PFNMAP_K_MAX];
	__u16		valid[PFNMAP_K_MAX];
};

/* The latency buckets: the inclusive upper bound (ns) of each. */
#define METRICS_LE_MAX	11
extern __u64 metrics_le_ns[METRICS_LE_MAX];
void metrics_init_buckets(void);

/* The whole exposition, Prometheus text format 0.0.4; -errno on failure. */
int metrics_write(FILE *f, const struct export_state *x,
		  const struct metrics_meta *m);

/* HTTP/1.0, GET /metrics only (http.c). */
typedef int (*http_body_fn)(FILE *f, void *ctx);
/* "ADDR:PORT", "[V6ADDR]:PORT"; a listening socket or -errno. */
int http_listen(const char *addr_port);
/* Serves one waiting connection, if any, within a few seconds. */
void http_serve_one(int lfd, http_body_fn fn, void *ctx);

#endif /* __PFNMAP_EXPORT_H */
