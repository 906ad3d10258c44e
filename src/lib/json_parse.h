/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json_parse.h - a small, strict JSON reader (RFC 8259): the whole text
 * becomes a tree of struct jv.  It is meant for our own output (stat
 * JSON) and for input nobody vouches for, so it refuses rather than
 * guesses: no comments, no trailing commas, no NaN, no leading zeros, no
 * control characters or invalid UTF-8 in strings, nesting at most
 * JP_MAX_DEPTH deep.  Duplicate keys are kept; jv_get() finds the first.
 */
#ifndef __PFNMAP_JSON_PARSE_H
#define __PFNMAP_JSON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define JP_MAX_DEPTH	64

enum jv_type {
	JV_NULL = 0,
	JV_BOOL,
	JV_NUM,
	JV_STR,
	JV_ARR,
	JV_OBJ,
};

struct jv_member;

struct jv {
	enum jv_type		type;
	bool			is_u64;		/* JV_NUM: an integer in [0, 2^64) */
	union {
		bool		b;		/* JV_BOOL */
		struct {			/* JV_NUM */
			double	num;
			__u64	u;		/* exact value when is_u64 */
		};
		struct {			/* JV_STR: NUL-terminated UTF-8 */
			char	*s;
			size_t	len;		/* bytes; an escaped NUL counts */
		};
		struct {			/* JV_ARR, JV_OBJ */
			union {
				struct jv		*items;
				struct jv_member	*members;
			};
			size_t	n;
		};
	};
};

struct jv_member {
	char		*key;
	size_t		key_len;
	struct jv	val;
};

#define JP_ERR_LEN	96

/*
 * Parses buf[0..len) as one JSON value, blanks around it allowed.
 * Returns 0 and *out (free with jv_free()), or -EINVAL with err holding
 * e.g. "offset 17: expected ':' after an object key", or -ENOMEM.
 */
int json_parse(const char *buf, size_t len, struct jv **out, char *err,
	       size_t err_len);
void jv_free(struct jv *v);

/* Member key of an object; NULL if v is not an object or has no such key. */
const struct jv *jv_get(const struct jv *v, const char *key);
/* Typed look-ups: false if absent or of another type (null included). */
bool jv_get_u64(const struct jv *v, const char *key, __u64 *out);
const char *jv_get_str(const struct jv *v, const char *key);
const char *jv_type_name(enum jv_type t);

#endif /* __PFNMAP_JSON_PARSE_H */
