/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probe.h - what the running kernel offers: BTF functions, kallsyms
 * symbols, and whether fentry and kprobes work for a given function.
 */
#ifndef __PFNMAP_PROBE_H
#define __PFNMAP_PROBE_H

#include <stdbool.h>

struct kprobe_env;
struct ksyms;
struct kwant;

struct kenv {
	struct btf	*vmlinux;
	const char	*btf_path;	/* $PFNMAP_BTF, NULL: the kernel's own */
	struct ksyms	*ksyms;		/* /proc/kallsyms: the wanted names */
	struct kwant	*want;		/* those names, sorted */
	size_t		nwant;
	struct ksyms	*all;		/* all of it, read if another is asked */
	bool		all_tried;
	int		fentry_err;	/* 0 untested, 1 ok, <0 -errno refused */
	bool		have_kprobes;
};

/* One line why a function cannot be used in a mode, or NULL if it can. */
struct func_probe {
	bool		found;		/* BTF FUNC or symbol exists */
	const char	*where;		/* "vmlinux", module name */
	char		ksym[128];	/* symbol to kprobe (may be a clone) */
	char		fentry_why[160];/* NULL-string if fentry works */
	char		kprobe_why[160];
};

int kenv_open(struct kenv *k);
void kenv_close(struct kenv *k);
/* Probes func (in module, or vmlinux if NULL), filling *fp. */
void kenv_probe(struct kenv *k, const char *func, const char *module,
		struct func_probe *fp);
bool kenv_has_sym(struct kenv *k, const char *name);
/* Address of a kernel symbol, 0 if none. */
unsigned long long kenv_sym_addr(struct kenv *k, const char *name);
/* Does struct sname have a member mname in the kernel's BTF? */
bool kenv_has_member(struct kenv *k, const char *sname, const char *mname);
/* Is parameter idx of func (in module) a pointer to struct sname? */
bool kenv_param_is(struct kenv *k, const char *func, const char *module,
		   int idx, const char *sname);
/* [lo, hi) of a function: its address to the next symbol's; -ENOENT. */
int kenv_sym_range(struct kenv *k, const char *name, unsigned long long *lo,
		   unsigned long long *hi);

#endif /* __PFNMAP_PROBE_H */
