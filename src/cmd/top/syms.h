/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syms.h - kernel addresses as "symbol+offset" for `pfnmap top --by
 * caller`: the shared kallsyms reader (src/lib/ksyms.h), read the first
 * time a name is needed (most views never need one).
 */
#ifndef __PFNMAP_TOP_SYMS_H
#define __PFNMAP_TOP_SYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct ksyms;

/* Zero it to start. */
struct top_ksyms {
	struct ksyms	*k;
	bool		tried;
};

/* "vfio_pin_pages_remote+0x1c4", "0xffff..." if unknown, "-" for 0. */
void top_ksym_name(struct top_ksyms *k, __u64 addr, char *buf, size_t len);
void top_ksyms_free(struct top_ksyms *k);

#endif /* __PFNMAP_TOP_SYMS_H */
