// SPDX-License-Identifier: GPL-2.0
/*
 * syms.c - lazy kallsyms for `--by caller` (syms.h).
 */
#include <stdio.h>
#include "ksyms.h"
#include "syms.h"

void top_ksyms_free(struct top_ksyms *k)
{
	ksyms_free(k->k);
	k->k = NULL;
}

void top_ksym_name(struct top_ksyms *k, __u64 addr, char *buf, size_t len)
{
	if (!addr) {
		snprintf(buf, len, "-");
		return;
	}
	if (!k->tried) {
		k->tried = true;
		k->k = ksyms_load(NULL);
	}
	if (!k->k || !ksyms_label(k->k, addr, buf, len))
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
}
