// SPDX-License-Identifier: GPL-2.0
/*
 * json_parse.c - the strict recursive-descent JSON reader of json_parse.h.
 *
 * Every read checks the bytes left first and recursion stops at
 * JP_MAX_DEPTH, so any input, a fuzzer's included, ends in a tree or in
 * one error with its offset.  Numbers are converted in the C locale
 * whatever the process's locale is: "0.5" must never read as 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json_parse.h"

#define JP_NUM_MAX	64	/* longest number text accepted */

struct parser {
	const char	*p;
	size_t		len;
	size_t		off;
	int		depth;
	int		err;		/* 0, -EINVAL or -ENOMEM */
	char		*msg;
	size_t		msg_len;
};

static int fail(struct parser *ps, const char *fmt, ...)
{
	char what[JP_ERR_LEN];
	va_list ap;

	if (ps->err)
		return ps->err;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	ps->err = -EINVAL;
	if (ps->msg_len)
		snprintf(ps->msg, ps->msg_len, "offset %zu: %s", ps->off, what);
	return ps->err;
}

static int no_memory(struct parser *ps)
{
	if (!ps->err && ps->msg_len)
		snprintf(ps->msg, ps->msg_len, "out of memory");
	ps->err = -ENOMEM;
	return ps->err;
}

/* The next byte, or -1 at the end. */
static int peek(const struct parser *ps)
{
	return ps->off < ps->len ? (unsigned char)ps->p[ps->off] : -1;
}

static void skip_blanks(struct parser *ps)
{
	while (ps->off < ps->len && strchr(" \t\r\n", ps->p[ps->off]) &&
	       ps->p[ps->off])
		ps->off++;
}

static bool eat(struct parser *ps, char c)
{
	skip_blanks(ps);
	if (peek(ps) != (unsigned char)c)
		return false;
	ps->off++;
	return true;
}

static int parse_value(struct parser *ps, struct jv *v);

/* ---- literals and numbers -------------------------------------------- */

static int parse_word(struct parser *ps, const char *word, struct jv *v,
		      enum jv_type type, bool b)
{
	size_t n = strlen(word);

	if (ps->len - ps->off < n || memcmp(ps->p + ps->off, word, n))
		return fail(ps, "unknown literal (true, false or null expected)");
	ps->off += n;
	v->type = type;
	v->b = b;
	return 0;
}

static size_t skip_digits(const char *p, size_t i, size_t len)
{
	while (i < len && p[i] >= '0' && p[i] <= '9')
		i++;
	return i;
}

/* Length of the number at p (RFC 8259 grammar), 0 if it is not one. */
static size_t number_len(const char *p, size_t len)
{
	size_t i = 0, d;

	if (i < len && p[i] == '-')
		i++;
	if (i < len && p[i] == '0')
		i++;
	else if ((d = skip_digits(p, i, len)) > i)
		i = d;
	else
		return 0;
	if (i < len && p[i] == '.') {
		d = skip_digits(p, i + 1, len);
		if (d == i + 1)
			return 0;
		i = d;
	}
	if (i < len && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < len && (p[i] == '+' || p[i] == '-'))
			i++;
		d = skip_digits(p, i, len);
		if (d == i)
			return 0;
		i = d;
	}
	return i;
}

/* Digits only: the exact value, if it fits in 64 bits. */
static bool digits_u64(const char *p, size_t n, __u64 *out)
{
	__u64 v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned int d = p[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static double strtod_c(const char *s)
{
	static locale_t c_locale;

	if (!c_locale)
		c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	return c_locale ? strtod_l(s, NULL, c_locale) : strtod(s, NULL);
}

static int parse_number(struct parser *ps, struct jv *v)
{
	const char *p = ps->p + ps->off;
	size_t n = number_len(p, ps->len - ps->off);
	char text[JP_NUM_MAX + 1];

	if (!n)
		return fail(ps, "bad number");
	if (n > JP_NUM_MAX)
		return fail(ps, "number longer than %d characters", JP_NUM_MAX);
	memcpy(text, p, n);
	text[n] = '\0';
	v->type = JV_NUM;
	v->num = strtod_c(text);
	if (isinf(v->num))
		return fail(ps, "number out of range");
	v->is_u64 = digits_u64(text, n, &v->u);
	ps->off += n;
	return 0;
}

/* ---- strings ----------------------------------------------------------- */

struct sbuf {
	char	*s;
	size_t	len;
	size_t	cap;
};

static int sbuf_add(struct parser *ps, struct sbuf *b, const char *src,
		    size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 16;
		char *s;

		while (cap < b->len + n + 1)
			cap *= 2;
		s = realloc(b->s, cap);
		if (!s)
			return no_memory(ps);
		b->s = s;
		b->cap = cap;
	}
	memcpy(b->s + b->len, src, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* Four hex digits at ps->off; false (ps->off unchanged) if not. */
static bool hex4(struct parser *ps, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	if (ps->len - ps->off < 4)
		return false;
	for (i = 0; i < 4; i++) {
		char c = ps->p[ps->off + i];
		unsigned int d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			d = (c | 0x20) - 'a' + 10;
		else
			return false;
		v = v << 4 | d;
	}
	ps->off += 4;
	*out = v;
	return true;
}

static size_t utf8_encode(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | cp >> 6;
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | cp >> 12;
		out[1] = 0x80 | (cp >> 6 & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | cp >> 18;
	out[1] = 0x80 | (cp >> 12 & 0x3f);
	out[2] = 0x80 | (cp >> 6 & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

/* The low half of a surrogate pair, "\uDC00".."\uDFFF", at ps->off. */
static bool low_surrogate(struct parser *ps, unsigned int *lo)
{
	if (ps->len - ps->off < 2 || memcmp(ps->p + ps->off, "\\u", 2))
		return false;
	ps->off += 2;
	return hex4(ps, lo) && *lo >= 0xdc00 && *lo <= 0xdfff;
}

/*
 * \uXXXX, ps->off after the 'u', at: its backslash, where errors point.
 * A surrogate must come in a pair.
 */
static int unicode_escape(struct parser *ps, struct sbuf *b, size_t at)
{
	const char *why = NULL;
	unsigned int cp, lo;
	char enc[4];

	if (!hex4(ps, &cp))
		why = "\\u needs four hex digits";
	else if (cp >= 0xdc00 && cp <= 0xdfff)
		why = "lone low surrogate in \\u escape";
	else if (cp >= 0xd800 && cp <= 0xdbff) {
		if (!low_surrogate(ps, &lo))
			why = "high surrogate without its low half";
		else
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (why) {
		ps->off = at;
		return fail(ps, "%s", why);
	}
	return sbuf_add(ps, b, enc, utf8_encode(enc, cp));
}

/* After a backslash. */
static int escape(struct parser *ps, struct sbuf *b)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	size_t at = ps->off - 1;
	const char *in;
	int c = peek(ps);

	if (c < 0)
		return fail(ps, "unterminated string");
	ps->off++;
	if (c == 'u')
		return unicode_escape(ps, b, at);
	in = c ? strchr(from, c) : NULL;
	if (!in) {
		ps->off = at;
		return fail(ps, "bad escape '\\%c'",
			    c >= 0x20 && c < 0x7f ? c : '?');
	}
	return sbuf_add(ps, b, &to[in - from], 1);
}

/*
 * Length of the UTF-8 sequence at p, 0 if invalid: no overlong forms,
 * no surrogates, nothing past U+10FFFF.
 */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	size_t n, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (left < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/* A run of plain characters, up to a quote, a backslash or the end. */
static int plain_run(struct parser *ps, struct sbuf *b)
{
	size_t start = ps->off;

	while (ps->off < ps->len) {
		const unsigned char *p = (const unsigned char *)ps->p + ps->off;
		size_t n;

		if (*p == '"' || *p == '\\')
			break;
		if (*p < 0x20)
			return fail(ps, "control character in a string");
		n = utf8_len(p, ps->len - ps->off);
		if (!n)
			return fail(ps, "invalid UTF-8 in a string");
		ps->off += n;
	}
	return sbuf_add(ps, b, ps->p + start, ps->off - start);
}

/* A string, ps->off on its opening quote. */
static int parse_string_raw(struct parser *ps, char **s, size_t *len)
{
	struct sbuf b = {};

	ps->off++;
	if (sbuf_add(ps, &b, "", 0))
		return ps->err;
	for (;;) {
		int c;

		if (plain_run(ps, &b))
			break;
		c = peek(ps);
		if (c < 0) {
			fail(ps, "unterminated string");
			break;
		}
		ps->off++;
		if (c == '"') {
			*s = b.s;
			*len = b.len;
			return 0;
		}
		if (escape(ps, &b))
			break;
	}
	free(b.s);
	return ps->err;
}

static int parse_string(struct parser *ps, struct jv *v)
{
	if (parse_string_raw(ps, &v->s, &v->len))
		return ps->err;
	v->type = JV_STR;
	return 0;
}

/* ---- arrays and objects ------------------------------------------------ */

/* Room for one more element of size sz in *arr holding n. */
static void *grow(struct parser *ps, void *arr, size_t n, size_t *cap,
		  size_t sz)
{
	void *p;

	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 4;
	p = realloc(arr, *cap * sz);
	if (!p)
		no_memory(ps);
	return p;
}

static int parse_array(struct parser *ps, struct jv *v)
{
	size_t cap = 0;

	ps->off++;
	v->type = JV_ARR;
	if (eat(ps, ']'))
		return 0;
	do {
		struct jv *items = grow(ps, v->items, v->n, &cap, sizeof(*items));

		if (!items)
			return ps->err;
		v->items = items;
		memset(&items[v->n], 0, sizeof(*items));
		/* counted before parsing: jv_free() must see a half-built item */
		v->n++;
		if (parse_value(ps, &items[v->n - 1]))
			return ps->err;
	} while (eat(ps, ','));
	if (!eat(ps, ']'))
		return fail(ps, "expected ',' or ']' in an array");
	return 0;
}

static int parse_member(struct parser *ps, struct jv_member *m)
{
	skip_blanks(ps);
	if (peek(ps) != '"')
		return fail(ps, "expected a string key");
	if (parse_string_raw(ps, &m->key, &m->key_len))
		return ps->err;
	if (!eat(ps, ':'))
		return fail(ps, "expected ':' after an object key");
	return parse_value(ps, &m->val);
}

static int parse_object(struct parser *ps, struct jv *v)
{
	size_t cap = 0;

	ps->off++;
	v->type = JV_OBJ;
	if (eat(ps, '}'))
		return 0;
	do {
		struct jv_member *m = grow(ps, v->members, v->n, &cap, sizeof(*m));

		if (!m)
			return ps->err;
		v->members = m;
		memset(&m[v->n], 0, sizeof(*m));
		v->n++;
		if (parse_member(ps, &m[v->n - 1]))
			return ps->err;
	} while (eat(ps, ','));
	if (!eat(ps, '}'))
		return fail(ps, "expected ',' or '}' in an object");
	return 0;
}

static int parse_value(struct parser *ps, struct jv *v)
{
	int c, err;

	skip_blanks(ps);
	c = peek(ps);
	if (c < 0)
		return fail(ps, "unexpected end of input");
	if (c == '[' || c == '{') {
		if (ps->depth >= JP_MAX_DEPTH)
			return fail(ps, "nested deeper than %d", JP_MAX_DEPTH);
		ps->depth++;
		err = c == '[' ? parse_array(ps, v) : parse_object(ps, v);
		ps->depth--;
		return err;
	}
	if (c == '"')
		return parse_string(ps, v);
	if (c == 't')
		return parse_word(ps, "true", v, JV_BOOL, true);
	if (c == 'f')
		return parse_word(ps, "false", v, JV_BOOL, false);
	if (c == 'n')
		return parse_word(ps, "null", v, JV_NULL, false);
	if (c == '-' || (c >= '0' && c <= '9'))
		return parse_number(ps, v);
	return fail(ps, "unexpected character '%c'",
		    c >= 0x20 && c < 0x7f ? c : '?');
}

static void jv_clear(struct jv *v)
{
	size_t i;

	if (v->type == JV_STR) {
		free(v->s);
	} else if (v->type == JV_ARR) {
		for (i = 0; i < v->n; i++)
			jv_clear(&v->items[i]);
		free(v->items);
	} else if (v->type == JV_OBJ) {
		for (i = 0; i < v->n; i++) {
			free(v->members[i].key);
			jv_clear(&v->members[i].val);
		}
		free(v->members);
	}
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	jv_clear(v);
	free(v);
}

int json_parse(const char *buf, size_t len, struct jv **out, char *err,
	       size_t err_len)
{
	struct parser ps = { .p = buf, .len = len, .msg = err,
			     .msg_len = err_len };
	struct jv *v = calloc(1, sizeof(*v));

	*out = NULL;
	if (err_len)
		err[0] = '\0';
	if (!v)
		return no_memory(&ps);
	if (!parse_value(&ps, v)) {
		skip_blanks(&ps);
		if (ps.off < ps.len)
			fail(&ps, "unexpected data after the JSON value");
	}
	if (ps.err) {
		jv_free(v);
		return ps.err;
	}
	*out = v;
	return 0;
}

/* ---- look-ups ------------------------------------------------------------ */

const struct jv *jv_get(const struct jv *v, const char *key)
{
	size_t i, n = strlen(key);

	if (!v || v->type != JV_OBJ)
		return NULL;
	for (i = 0; i < v->n; i++)
		if (v->members[i].key_len == n &&
		    !memcmp(v->members[i].key, key, n))
			return &v->members[i].val;
	return NULL;
}

bool jv_get_u64(const struct jv *v, const char *key, __u64 *out)
{
	const struct jv *m = jv_get(v, key);

	if (!m || m->type != JV_NUM || !m->is_u64)
		return false;
	*out = m->u;
	return true;
}

const char *jv_get_str(const struct jv *v, const char *key)
{
	const struct jv *m = jv_get(v, key);

	return m && m->type == JV_STR ? m->s : NULL;
}

const char *jv_type_name(enum jv_type t)
{
	static const char *const names[] = {
		[JV_NULL] = "null", [JV_BOOL] = "a boolean",
		[JV_NUM] = "a number", [JV_STR] = "a string",
		[JV_ARR] = "an array", [JV_OBJ] = "an object",
	};

	return t <= JV_OBJ ? names[t] : "?";
}
