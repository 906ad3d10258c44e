/* SPDX-License-Identifier: GPL-2.0 */
/*
 * report.h - the state `pfnmap report` builds while reading its inputs,
 * shared by its parts:
 *
 *	cmd_report.c	options, setup, the Perfetto file, dispatch
 *	input.c		reading the captures, one record at a time, into
 *			totals per kind, groups (--by), callers, exports
 *	filter.c	--pid, --comm, --kind, --cgroup, --time: which
 *			records count at all
 *	text.c		the text tables, histograms, worst-retry timeline
 *	json.c		--json
 */
#ifndef __PFNMAP_REPORT_H
#define __PFNMAP_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "agg.h"
#include "capture.h"
#include "export.h"
#include "ksyms.h"

enum by { BY_KIND, BY_COMM, BY_PID, BY_CALLER, BY_ERRNO, BY_ZAPPER,
	  BY_CGROUP, BY_MAX };

/* --by's names, also the key of a group's label in JSON. */
extern const char *const report_by_names[BY_MAX];

/* Tasks seen zapping vfio-pci BARs (vfio_zap records), for names. */
#define MAX_ZAPPERS	256

struct zapper {
	__u32	tid;
	char	comm[PFNMAP_COMM_LEN];
};

struct input {
	const char		*path;
	__u8			*buf;
	size_t			len;
	bool			mapped;
	bool			skip;		/* same capture given twice */
	bool			resolve;	/* this boot: kallsyms applies */
	__u32			unresolved;	/* caller addresses left unnamed */
	struct cap_info		info;
	struct cap_status	st;
};

/* Which records count: everything the report and the exports see. */
struct report_filter {
	bool		on;		/* any of them given */
	__u32		pid;		/* 0: any */
	const char	*comm;
	__u32		kinds;		/* 1 << kind, 0: any */
	const char	*cgroup;	/* an id, or a path as --by cgroup says */
	__u64		cgroup_id;	/* cgroup as a number, 0: a path */
	const char	*time;		/* --time START,END as given */
	__s64		lo_ns, hi_ns;	/* resolved --time: [lo, hi) */
	__u64		matched;
};

/* The last cgroup id looked up (filter.c). */
struct cg_cache {
	bool		valid;
	int		in;
	__u64		id;
	const char	*path;
};

struct report {
	enum by			by;
	bool			hist, json, csv, folded;
	const char		*perfetto_path;
	struct input		*in;
	int			nr_in;
	int			cur;		/* input being read */
	struct agg		*kinds;
	struct agg		*groups;	/* --by, NULL for kind */
	struct agg		*callers;	/* key.caller: label id + 1 */
	struct strmap		*labels;	/* caller and errno labels */
	struct strmap		*addr_cache;	/* "input:addr" -> label id + 1 */
	struct strmap		*folded_map;
	struct perfetto		*pf;
	FILE			*pf_file;
	struct ksyms		*ksyms;		/* this boot's */
	bool			ksyms_tried;
	const char		*kallsyms_path;	/* --kallsyms */
	struct ksyms		*kallsyms;	/* its table */
	bool			raw_addrs;	/* --raw-addrs */
	struct strmap		*names;		/* "input:k:addr", "input:c:id" ->
						   label id + 1: the captures' */
	struct report_filter	f;
	__s64			time0_ns;	/* --time 0: earliest start */
	__u64			drops_before;	/* of the inputs read so far */
	struct cg_cache		cg_cache;
	__u64			asked[PFNMAP_K_MAX];	/* sum of len */
	struct pfnmap_event	worst[PFNMAP_K_MAX];	/* most retries */
	__s64			worst_wall[PFNMAP_K_MAX];
	struct zapper		zappers[MAX_ZAPPERS];
	int			nr_zappers;
	/* the registry's answers per kind, asked once, not per record */
	bool			has_caller[PFNMAP_K_MAX];
	bool			is_zap[PFNMAP_K_MAX];
	__s64			base_ns;
	bool			realtime;
	int			err;
};

/* input.c: reading */
int report_open_inputs(struct report *r);
void report_time_base(struct report *r);
int report_read_inputs(struct report *r);
void report_free_input(struct input *in);

/* input.c: what text and JSON both print */
bool report_kind_total(const struct report *r, int k, struct agg_stats *t,
		       struct cap_kind_merge *v);
const char *report_mode_name(const struct cap_kind_merge *v,
			     const struct agg_stats *t);
struct agg_stats **report_sorted_groups(const struct agg *a, size_t *n);
void report_group_label(const struct report *r, const struct agg_stats *g,
			char *buf, size_t len);
const char *report_stop_name(__u32 stop);

/* filter.c */
int report_parse_kinds(struct report *r, const char *arg);
int report_filter_setup(struct report *r);
bool report_keep(struct report *r, const struct pfnmap_event *e, __s64 t);
const char *report_cgroup_path(struct report *r, __u64 id);
void report_filter_text(const struct report *r, char *buf, size_t len);

/* text.c */
void report_fmt_time(char *buf, size_t len, __u64 real_ns);
void report_print_text(const struct report *r);

/* json.c */
void report_print_json(const struct report *r);

#endif /* __PFNMAP_REPORT_H */
