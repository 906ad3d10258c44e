/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff_input.h - the two sides of `pfnmap diff`, loaded from a
 * `pfnmap stat --json` file or a `pfnmap record` capture into one shape.
 *
 * A stat JSON holds summaries only: counts, sums and latency percentiles.
 * A capture holds every record: the same summaries (through agg), exact
 * latency percentiles and the distribution of retries per operation.
 * `pfnmap diff` takes one or more of either per side, one run each.
 */
#ifndef __PFNMAP_DIFF_INPUT_H
#define __PFNMAP_DIFF_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include "agg.h"

enum diff_in_type {
	DI_STAT_JSON = 1,
	DI_CAPTURE,
};

#define DI_STR_LEN	256
#define DI_MODE_LEN	16
/* A stat JSON is a few KiB; refuse to parse anything much larger. */
#define DI_JSON_MAX	(4U << 20)

struct diff_kind {
	/*
	 * ops, errors, err_count[], known[]/sum*[], max_retries.  known[f]
	 * is 0 when the field is unknown; from a stat JSON it is ops (at
	 * least 1) when the field is known, from a capture the number of
	 * records that had it.
	 */
	struct agg_stats	s;
	bool			has_dist;	/* s.retry_dist is filled in */
	__u16			partial;	/* PFNMAP_V_* known for part of ops */
	__u64			p50, p99, max, min, mean;	/* latency, ns */
	__u64			*lat;		/* captures, while loading: samples */
	size_t			nlat;		/* captures: operations timed */
	size_t			lat_cap;
	char			mode[DI_MODE_LEN];	/* "fentry", "none", "" */
};

struct diff_input {
	const char		*path;
	enum diff_in_type	type;
	char			kernel[DI_STR_LEN];
	char			command[DI_STR_LEN];
	bool			ran_command;	/* stat/record -- CMD, not -p/-a */
	bool			elapsed_known;
	__u64			elapsed_ns;
	__u64			lost;		/* records the kernel dropped */
	char			damage[DI_STR_LEN];	/* captures: "" if whole */
	struct diff_kind	k[PFNMAP_K_MAX];
};

/*
 * Loads path (a capture if it starts with the capture magic, else stat
 * JSON).  Returns 0, or -errno with err holding one line that names the
 * problem (not the path: the caller adds it).
 */
int diff_input_load(struct diff_input *in, const char *path, char *err,
		    size_t err_len);
/* The same from memory; in->path is left alone. */
int diff_input_from_buf(struct diff_input *in, const void *buf, size_t len,
			char *err, size_t err_len);
void diff_input_free(struct diff_input *in);

/* Operations a field's per-op rate is over: those that had it known. */
__u64 diff_field_ops(const struct agg_stats *s, enum agg_field f);

#endif /* __PFNMAP_DIFF_INPUT_H */
