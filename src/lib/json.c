// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - the streaming JSON writer of json.h.
 *
 * need_comma[level] says a value was already written at that level, so
 * the next key or value is preceded by a comma.  Levels deeper than
 * JSON_MAX_DEPTH share the last slot; that stays right because a level is
 * reset when it opens and its parent is marked when it closes.  Whatever
 * the caller passes, the output is valid JSON: strings are escaped and
 * made valid UTF-8, non-finite numbers become null.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

static bool *comma_slot(struct json *j, int level)
{
	return &j->need_comma[level < JSON_MAX_DEPTH ? level : JSON_MAX_DEPTH - 1];
}

static void newline_indent(struct json *j)
{
	int i;

	if (!j->pretty)
		return;
	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/*
 * What goes before any value or key: nothing right after a key or at the
 * top level, else a comma if the level has a value already, then (pretty)
 * a new line.
 */
static void before_item(struct json *j)
{
	bool *comma;

	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	comma = comma_slot(j, j->depth);
	if (*comma)
		fputc(',', j->f);
	*comma = true;
	newline_indent(j);
}

void json_init(struct json *j, FILE *f, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->f = f;
	j->pretty = pretty;
}

static void open_level(struct json *j, char c)
{
	before_item(j);
	fputc(c, j->f);
	j->depth++;
	*comma_slot(j, j->depth) = false;
}

static void close_level(struct json *j, char c)
{
	bool had_items;

	if (j->depth <= 0)		/* unbalanced: writing c would break the output */
		return;
	if (j->after_key)		/* a key without its value */
		json_null(j);
	had_items = *comma_slot(j, j->depth);
	j->depth--;
	if (had_items)
		newline_indent(j);
	fputc(c, j->f);
	/* The container just closed is a value of its parent. */
	if (j->depth > 0)
		*comma_slot(j, j->depth) = true;
}

void json_obj_begin(struct json *j)
{
	open_level(j, '{');
}

void json_obj_end(struct json *j)
{
	close_level(j, '}');
}

void json_arr_begin(struct json *j)
{
	open_level(j, '[');
}

void json_arr_end(struct json *j)
{
	close_level(j, ']');
}

/*
 * Length of the valid UTF-8 sequence at s (1 to 4), 0 if it is not one:
 * no overlong forms, no surrogates, nothing above U+10FFFF.
 */
static int utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	int n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	/* The second byte is the one that rules out the bad ranges. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Writes s quoted; runs of plain bytes go out in one fwrite(). */
static void write_string(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *run = s;
	int n;

	fputc('"', f);
	while (*s) {
		n = utf8_len(s);
		if (n && *s >= 0x20 && *s != '"' && *s != '\\') {
			s += n;
			continue;
		}
		fwrite(run, 1, s - run, f);
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if (n)
			fprintf(f, "\\u%04x", *s);
		else
			fputs("\\ufffd", f);	/* not UTF-8: JSON must be */
		run = ++s;
	}
	fwrite(run, 1, s - run, f);
	fputc('"', f);
}

void json_key(struct json *j, const char *key)
{
	before_item(j);
	write_string(j->f, key ? key : "");
	fputs(j->pretty ? ": " : ":", j->f);
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	if (!s) {
		json_null(j);
		return;
	}
	before_item(j);
	write_string(j->f, s);
}

/* Any value that is one bare word: numbers, true, false, null. */
static void write_atom(struct json *j, const char *text)
{
	before_item(j);
	fputs(text, j->f);
}

void json_u64(struct json *j, __u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	write_atom(j, buf);
}

void json_i64(struct json *j, __s64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	write_atom(j, buf);
}

/*
 * The locale may make the decimal point a comma or a multi-byte
 * character; JSON wants '.'.  %g output holds nothing else but digits,
 * signs and 'e'.
 */
static void fix_decimal_point(char *buf)
{
	char *in = buf, *out = buf;

	while (*in) {
		if (strchr("0123456789+-e", *in)) {
			*out++ = *in++;
			continue;
		}
		*out++ = '.';
		while (*in && !strchr("0123456789+-e", *in))
			in++;
	}
	*out = '\0';
}

/* Shortest of %.15g..%.17g that reads back as v: 0.1, not 0.1000...01. */
static void format_double(char *buf, size_t size, double v)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (prec == 17)
		snprintf(buf, size, "%.17g", v);
	fix_decimal_point(buf);
}

void json_double(struct json *j, double v)
{
	char buf[40];

	if (!isfinite(v)) {
		json_null(j);
		return;
	}
	format_double(buf, sizeof(buf), v);
	write_atom(j, buf);
}

void json_bool(struct json *j, bool v)
{
	write_atom(j, v ? "true" : "false");
}

void json_null(struct json *j)
{
	write_atom(j, "null");
}

void json_end_line(struct json *j)
{
	if (j->after_key)
		json_null(j);
	fputc('\n', j->f);
	fflush(j->f);
	j->need_comma[0] = false;
}

void json_kv_str(struct json *j, const char *k, const char *v)
{
	json_key(j, k);
	json_str(j, v);
}

void json_kv_u64(struct json *j, const char *k, __u64 v)
{
	json_key(j, k);
	json_u64(j, v);
}

void json_kv_i64(struct json *j, const char *k, __s64 v)
{
	json_key(j, k);
	json_i64(j, v);
}

void json_kv_double(struct json *j, const char *k, double v)
{
	json_key(j, k);
	json_double(j, v);
}

void json_kv_bool(struct json *j, const char *k, bool v)
{
	json_key(j, k);
	json_bool(j, v);
}
