// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_stat_json.c - libFuzzer target of the JSON reader of `pfnmap diff`:
 * src/lib/json_parse.c, then src/lib/diff_input.c's loader of
 * `pfnmap stat --json` files (they come from other hosts).  Any bytes
 * must be read without a crash, a leak or undefined behaviour, and what
 * the readers hand out must hold together.
 *
 *	make fuzz [FUZZ_SECONDS=60]		(tests/fuzz/Makefile.inc)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "diff_input.h"
#include "json_parse.h"

static void check(int ok)
{
	if (!ok)
		abort();	/* libFuzzer saves the input as a crash */
}

/* The tree's promises: NUL-terminated strings, the depth limit kept. */
static void walk(const struct jv *v, int depth)
{
	size_t i;

	check(depth <= JP_MAX_DEPTH + 1);
	switch (v->type) {
	case JV_NULL:
	case JV_BOOL:
		break;
	case JV_NUM:
		check(!v->is_u64 || v->num >= 0);
		break;
	case JV_STR:
		check(v->s && v->s[v->len] == '\0');
		break;
	case JV_ARR:
		check(!v->n || v->items);
		for (i = 0; i < v->n; i++)
			walk(&v->items[i], depth + 1);
		break;
	case JV_OBJ:
		check(!v->n || v->members);
		for (i = 0; i < v->n; i++) {
			const struct jv_member *m = &v->members[i];

			check(m->key && m->key[m->key_len] == '\0');
			/* jv_get() finds the first of duplicate keys */
			if (strlen(m->key) == m->key_len)
				check(jv_get(v, m->key) != NULL);
			walk(&m->val, depth + 1);
		}
		break;
	default:
		check(0);
	}
}

static void fuzz_parse(const uint8_t *data, size_t size)
{
	char err[JP_ERR_LEN];
	struct jv *root = NULL;
	int ret;

	memset(err, 'x', sizeof(err));
	ret = json_parse((const char *)data, size, &root, err, sizeof(err));
	check(ret == 0 || ret == -EINVAL || ret == -ENOMEM);
	if (ret) {
		check(memchr(err, '\0', sizeof(err)) != NULL);
		return;
	}
	check(root != NULL);
	walk(root, 0);
	jv_free(root);
}

static void fuzz_diff_input(const uint8_t *data, size_t size)
{
	static struct diff_input *in;	/* 230 KiB: once, not per input */
	char err[256];
	int ret, k;

	if (!in && !(in = malloc(sizeof(*in))))
		return;
	memset(in, 0, sizeof(*in));
	memset(err, 'x', sizeof(err));
	ret = diff_input_from_buf(in, data, size, err, sizeof(err));
	check(ret <= 0);
	check(memchr(err, '\0', sizeof(err)) != NULL);
	if (ret) {
		check(err[0] != '\0');	/* a failure always says why */
	} else {
		check(memchr(in->kernel, '\0', sizeof(in->kernel)) != NULL);
		check(memchr(in->command, '\0', sizeof(in->command)) != NULL);
		check(memchr(in->damage, '\0', sizeof(in->damage)) != NULL);
		for (k = 0; k < PFNMAP_K_MAX; k++) {
			const struct diff_kind *dk = &in->k[k];

			check(memchr(dk->mode, '\0', sizeof(dk->mode)) != NULL);
			if (in->type == DI_STAT_JSON)
				check(dk->s.errors <= dk->s.ops);
			diff_field_ops(&dk->s, 0);
		}
	}
	diff_input_free(in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse(data, size);
	fuzz_diff_input(data, size);
	return 0;
}
