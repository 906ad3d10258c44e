// SPDX-License-Identifier: GPL-2.0
/*
 * registry.c - the tables of registry.h, expanded from the .def files.
 * A counter's size, signedness and offset come from struct pfnmap_event
 * itself, so the registry cannot disagree with the ABI about them.
 */
#include <string.h>
#include "agg.h"
#include "registry.h"

const struct reg_family reg_families[PFNMAP_FAM_MAX] = {
#define PFNMAP_FAMILY(id, nm, cat, caller, m) \
	[PFNMAP_FAM_##id] = { .name = nm, .category = cat, \
			      .has_caller = caller, .meaning = m },
#include "pfnmap_kinds.def"
};

const struct reg_kind reg_kinds[PFNMAP_K_MAX] = {
#define PFNMAP_KIND(id, value, nm, fam, sf, m) \
	[value] = { .name = nm, .family = PFNMAP_FAM_##fam, \
		    .stands_for = PFNMAP_K_##sf, .meaning = m },
#include "pfnmap_kinds.def"
};

const struct reg_field reg_fields[PFNMAP_F_MAX] = {
#define PFNMAP_FIELD(id, bit, k, fams, l, m) \
	[bit] = { .key = k, .label = l, .meaning = m, .families = fams },
#include "pfnmap_fields.def"
};

#define MEMBER(m)	(((struct pfnmap_event *)0)->m)
#define IS_SIGNED(x)	_Generic((x), __s8: 1, __s16: 1, __s32: 1, __s64: 1, \
			 default: 0)
#define SUM(s)		.value = RV_SUM, .slot = s
#define MAX(m)		.value = RV_MAX, .aoff = offsetof(struct agg_stats, m)
#define CNT(m)		.value = RV_CNT, .aoff = offsetof(struct agg_stats, m)
#define P50(h)		.value = RV_P50, .aoff = offsetof(struct agg_stats, h)
#define HMAX(h)		.value = RV_HMAX, .aoff = offsetof(struct agg_stats, h)
#define RECORD		.value = RV_RECORD

const struct reg_counter reg_counters[PFNMAP_C_MAX] = {
#define PFNMAP_COUNTER(id, f, m, nm, k, val, d, u, l, mean)		\
	[PFNMAP_C_##id] = {						\
		.field = PFNMAP_F_##f, .member = #m, .name = nm,	\
		.key = k, .label = l, .meaning = mean,			\
		.off = offsetof(struct pfnmap_event, m),		\
		.size = sizeof(MEMBER(m)),				\
		.is_signed = IS_SIGNED(MEMBER(m)),			\
		val, .diff = RD_##d, .unit = RU_##u },
#include "pfnmap_fields.def"
};

const struct reg_kind *reg_kind(int kind)
{
	if (kind < 0 || kind >= PFNMAP_K_MAX || !reg_kinds[kind].name)
		return NULL;
	return &reg_kinds[kind];
}

bool reg_kind_in(int kind, int fam)
{
	const struct reg_kind *k = reg_kind(kind);

	return k && k->family == fam;
}

__u16 reg_kind_fields(int kind)
{
	const struct reg_kind *k = reg_kind(kind);
	__u16 set = 0;
	int f;

	for (f = 0; k && f < PFNMAP_F_MAX; f++)
		if (reg_fields[f].families & (1U << k->family))
			set |= 1U << f;
	return set;
}

bool reg_field_flat(int f)
{
	const struct reg_counter *c;

	reg_for_each_counter(c, f)
		return !strcmp(c->key, reg_fields[f].key);
	return false;
}

__s64 reg_counter_read(const struct pfnmap_event *e,
		       const struct reg_counter *c)
{
	const char *p = (const char *)e + c->off;
	__u8 u8;
	__u16 u16;
	__u32 u32;
	__u64 u64;

	switch (c->size) {
	case 1:
		memcpy(&u8, p, 1);
		return c->is_signed ? (__s8)u8 : u8;
	case 2:
		memcpy(&u16, p, 2);
		return c->is_signed ? (__s16)u16 : u16;
	case 4:
		memcpy(&u32, p, 4);
		return c->is_signed ? (__s64)(__s32)u32 : (__s64)u32;
	default:
		memcpy(&u64, p, 8);
		return (__s64)u64;
	}
}

int reg_counter_parse(const char *name)
{
	int c;

	for (c = 0; name && c < PFNMAP_C_MAX; c++)
		if (!strcmp(reg_counters[c].name, name))
			return c;
	return -1;
}

const char *reg_field_key(int f)
{
	return f >= 0 && f < PFNMAP_F_MAX ? reg_fields[f].key : NULL;
}

int reg_field_parse(const char *key)
{
	int f;

	for (f = 0; key && f < PFNMAP_F_MAX; f++)
		if (!strcmp(reg_fields[f].key, key))
			return f;
	return -1;
}
