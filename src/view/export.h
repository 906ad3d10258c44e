/* SPDX-License-Identifier: GPL-2.0 */
/*
 * export.h - records out of `pfnmap report` for other tools: Chrome
 * trace-event JSON (Perfetto, chrome://tracing), folded stacks
 * (flamegraph.pl, speedscope) and CSV.  Plus the string map they and the
 * report use to count by text key.
 */
#ifndef __PFNMAP_EXPORT_H
#define __PFNMAP_EXPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>
#include "pfnmap.h"

/* What the report adds to a record. */
struct export_rec {
	__s64		wall_ns;	/* start, ns since the epoch (see clock) */
	const char	*caller;	/* "func+0x1c", "0xffff...", NULL: none */
	bool		raw_addrs;	/* CSV: kernel addresses in hex too */
	__u64		drops;		/* records lost in the kernel so far */
};

/* ---- string map: insertion-ordered keys, each with a __u64 ------------ */

struct strmap;

struct strmap *strmap_new(void);
void strmap_free(struct strmap *m);
/* Index of key, added (value 0) if new; -1 if out of memory. */
long strmap_put(struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);
const char *strmap_key(const struct strmap *m, size_t i);
__u64 *strmap_val(struct strmap *m, size_t i);

/* ---- Chrome trace-event JSON ------------------------------------------ */

struct perfetto;

/* ts of the slices are microseconds since base_ns (a wall-clock time). */
struct perfetto *perfetto_open(FILE *f, __s64 base_ns);
int perfetto_add(struct perfetto *p, const struct pfnmap_event *e,
		 const struct export_rec *r);
/* Records lost so far, as a capture's trailer says: the counter's end. */
void perfetto_lost(struct perfetto *p, __u64 lost);
/* Writes the track names and closes the JSON; returns slices written. */
__u64 perfetto_close(struct perfetto *p, const char *time_base);

/* ---- folded stacks ---------------------------------------------------- */

/* "comm;kind;caller" or "comm;kind;errno" -> count */
int folded_add(struct strmap *m, const struct pfnmap_event *e,
	       const struct export_rec *r);
void folded_print(FILE *f, const struct strmap *m);

/* ---- CSV, one line per record ------------------------------------------ */

void csv_header(FILE *f);
void csv_row(FILE *f, const struct pfnmap_event *e, const struct export_rec *r);

/* Text safe for a terminal or a delimited format: controls become '?'. */
void sanitize(char *dst, size_t len, const char *src);
/* "EEXIST", "E524", or "ok" for ret >= 0 */
const char *ret_label(char *buf, size_t len, __s64 ret);

#endif /* __PFNMAP_EXPORT_H */
