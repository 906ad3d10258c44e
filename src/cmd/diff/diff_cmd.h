/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff_cmd.h - `pfnmap diff`, shared by its parts:
 *
 *	cmd_diff.c	options, loading the runs, --fail-if, dispatch
 *	table.c		the text table, its header and footnotes
 *	json.c		--json
 *
 * The rows, tests and verdicts come from src/lib/diff.c.
 */
#ifndef __PFNMAP_DIFF_CMD_H
#define __PFNMAP_DIFF_CMD_H

#include <stdbool.h>
#include "diff.h"

#define DIFF_MAX_GATES	64

struct diff_args {
	bool			json;
	struct diff_opts	o;
	struct diff_gate	gates[DIFF_MAX_GATES];
	int			nr_gates;
	const char		**path[2];	/* BASE's and NEW's runs */
	size_t			npath[2];
};

/* One --fail-if condition, evaluated. */
struct gate_result {
	int	hit;		/* 1, 0, or -EINVAL */
	double	value;
	char	err[256];
};

/* "capture" or "stat JSON" */
const char *diff_input_type_name(enum diff_in_type t);

/*
 * The retry distribution of kind k (retries per operation, log2
 * buckets), summed over the side's runs; false if no run has one.
 */
bool diff_side_dist(const struct diff_side *s, int k, __u64 dist[33]);

int diff_print_text(const struct diff *d);
void diff_print_json(const struct diff *d, const struct diff_args *a,
		     const struct gate_result *g, int rc);

#endif /* __PFNMAP_DIFF_CMD_H */
