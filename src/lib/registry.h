/* SPDX-License-Identifier: GPL-2.0 */
/*
 * registry.h - the kinds, families, fields and counters of
 * include/pfnmap_kinds.def and include/pfnmap_fields.def as tables that
 * views, exports, `diff`, --help and the docs generator walk.  Nothing
 * about a kind or a field is written anywhere else.
 */
#ifndef __PFNMAP_REGISTRY_H
#define __PFNMAP_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "pfnmap.h"

/* How a group of records sums a counter up (pfnmap_fields.def: value). */
enum reg_value {
	RV_SUM,			/* agg_stats.sum/sum2/sum3[field], by slot */
	RV_MAX,			/* largest value, a __u64 of agg_stats */
	RV_CNT,			/* a __u64 count of agg_stats */
	RV_P50,			/* median of a struct lat_hist of agg_stats */
	RV_HMAX,		/* maximum of that histogram */
	RV_RECORD,		/* per record only */
};

enum reg_diff { RD_RATE, RD_SHOWN, RD_NONE };
enum reg_unit { RU_COUNT, RU_NS, RU_PAGES };

struct reg_family {
	const char	*name;
	const char	*category;	/* Perfetto category */
	bool		has_caller;	/* records carry their caller */
	const char	*meaning;
};

struct reg_kind {
	const char	*name;		/* NULL: no kind has this value */
	int		family;		/* enum pfnmap_family */
	int		stands_for;	/* the kind it replaces, or itself */
	const char	*meaning;
};

struct reg_field {
	const char	*key;		/* JSON key, `probe` and "partial" */
	const char	*label;		/* text views */
	const char	*meaning;
	__u32		families;	/* PFNMAP_FB() set */
};

struct reg_counter {
	int		field;		/* enum pfnmap_field */
	const char	*member;	/* of struct pfnmap_event */
	const char	*name;		/* unique: CSV, diff, --fail-if */
	const char	*key;		/* JSON key */
	const char	*label;
	const char	*meaning;
	size_t		off;		/* of the member in the record */
	__u8		size;
	bool		is_signed;
	enum reg_value	value;
	int		slot;		/* RV_SUM */
	size_t		aoff;		/* RV_MAX/CNT/P50/HMAX: in agg_stats */
	enum reg_diff	diff;
	enum reg_unit	unit;
};

extern const struct reg_family reg_families[PFNMAP_FAM_MAX];
extern const struct reg_kind reg_kinds[PFNMAP_K_MAX];
extern const struct reg_field reg_fields[PFNMAP_F_MAX];
extern const struct reg_counter reg_counters[PFNMAP_C_MAX];

/* NULL for a value no kind has. */
const struct reg_kind *reg_kind(int kind);
/* Is kind one of family fam?  false for an unknown kind. */
bool reg_kind_in(int kind, int fam);
/* The fields (PFNMAP_V_* set) the records of a kind can carry. */
__u16 reg_kind_fields(int kind);
/* A counter of a record, sign-extended if the member is signed. */
__s64 reg_counter_read(const struct pfnmap_event *e,
		       const struct reg_counter *c);
/* A record member: one CSV column per member, not per aggregate. */
static inline bool reg_counter_is_member(const struct reg_counter *c)
{
	return c->value == RV_SUM || c->value == RV_RECORD;
}
/* The counters of field f, in registry order. */
#define reg_for_each_counter(c, f)					\
	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++)	\
		if (c->field == (f))
/* A field printed as a plain number: its first counter has its key. */
bool reg_field_flat(int f);
/* Counter by name ("follow_fails"); -1 if none. */
int reg_counter_parse(const char *name);
/* A field's JSON key; NULL past the last field (loop bound). */
const char *reg_field_key(int f);
/* Field by JSON key ("zap_races"); -1 if none. */
int reg_field_parse(const char *key);

#endif /* __PFNMAP_REGISTRY_H */
