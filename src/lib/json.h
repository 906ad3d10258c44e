/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - a small streaming JSON writer.  It tracks nesting and commas so
 * callers only say what they mean: begin/end objects and arrays, keys and
 * values.  Output is compact (one line) unless pretty is set.
 */
#ifndef __PFNMAP_JSON_H
#define __PFNMAP_JSON_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#define JSON_MAX_DEPTH	32

struct json {
	FILE	*f;
	int	depth;
	bool	pretty;
	bool	need_comma[JSON_MAX_DEPTH];
	bool	after_key;
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s);	/* escapes ", \, control chars */
void json_u64(struct json *j, __u64 v);
void json_i64(struct json *j, __s64 v);
void json_double(struct json *j, double v);	/* NaN/inf become null */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* Ends the top-level value with a newline and flushes. */
void json_end_line(struct json *j);

/* key + value shorthands */
void json_kv_str(struct json *j, const char *k, const char *v);
void json_kv_u64(struct json *j, const char *k, __u64 v);
void json_kv_i64(struct json *j, const char *k, __s64 v);
void json_kv_double(struct json *j, const char *k, double v);
void json_kv_bool(struct json *j, const char *k, bool v);

#endif /* __PFNMAP_JSON_H */
