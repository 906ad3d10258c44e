/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksyms.h - the kernel's symbol table (/proc/kallsyms, or a file in its
 * format), for the loader (does a function exist, under which name, where
 * does it end) and the views (a caller address as "func+0x1c [module]").
 *
 * One read of the file (two at most for a part of it), no I/O afterwards.
 * Names are kept even when kptr_restrict shows every address as 0:
 * existence checks still work, address lookups then find nothing.
 */
#ifndef __PFNMAP_KSYMS_H
#define __PFNMAP_KSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* No kernel function is longer: an address further past one is not in it. */
#define KSYM_MAX_SIZE	(1ULL << 20)

struct ksym {
	__u64		addr;
	const char	*name;
	const char	*module;	/* NULL: vmlinux */
	char		type;		/* kallsyms' letter: 't', 'T', 'D', ... */
};

struct ksyms;

/* Reads path (NULL: /proc/kallsyms); NULL with errno set on failure. */
struct ksyms *ksyms_load(const char *path);

/* What ksyms_load_some()'s keep() answers for a name: 0, or these. */
#define KSYMS_KEEP	(1 << 0)	/* keep every symbol of this name */
#define KSYMS_END	(1 << 1)	/* and its end, for ksyms_range() */

typedef int (*ksyms_keep_fn)(const char *name, void *ctx);

/*
 * A table of only the symbols keep() asks for, read a piece at a time:
 * for the loader, which asks about a few dozen names, and must not hold
 * the whole table (MiBs) beside the kernel's BTF.  By name and prefix
 * it answers as the whole table would, for the names it kept; so does
 * ksyms_range() for those kept with KSYMS_END (their end is the next
 * higher address in the whole file), and for no other.  ksyms_func()
 * and ksyms_label() only see the symbols kept.
 */
struct ksyms *ksyms_load_some(const char *path, ksyms_keep_fn keep,
			      void *ctx);
void ksyms_free(struct ksyms *k);
size_t ksyms_count(const struct ksyms *k);

/* The first symbol called name, in the file's order; NULL if none. */
const struct ksym *ksyms_by_name(const struct ksyms *k, const char *name);
/* The first symbol, in name order, whose name starts with prefix. */
const struct ksym *ksyms_by_prefix(const struct ksyms *k, const char *prefix);
/* The function (text symbol) addr is in, or NULL. */
const struct ksym *ksyms_func(const struct ksyms *k, __u64 addr);
/* "func+0x1c" or "func+0x1c [module]"; false if addr is in no function. */
bool ksyms_label(const struct ksyms *k, __u64 addr, char *buf, size_t len);
/*
 * [lo, hi) of symbol name: its address up to the next higher symbol's.
 * 0 or -ENOENT (no such symbol, no address, or nothing after it).
 */
int ksyms_range(const struct ksyms *k, const char *name, __u64 *lo,
		__u64 *hi);

#endif /* __PFNMAP_KSYMS_H */
