// SPDX-License-Identifier: GPL-2.0
/*
 * errors.c - the "pfnmap CMD: " prefix and the JSON error object of
 * every command, in one place.
 *
 * Global state on purpose: main() names the command once, the command
 * says once where its JSON goes, and every function below it reports
 * without being handed either.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include "errors.h"
#include "json.h"

static const char *err_cmd;
static FILE *err_json;

void cmd_err_init(const char *cmd)
{
	err_cmd = cmd;
	err_json = NULL;
}

void cmd_err_json_to(FILE *f)
{
	err_json = f;
}

static void to_stderr(const char *fmt, va_list ap)
{
	char *msg;

	/* one write per line (stderr is unbuffered): CMD's output cannot cut it */
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	fprintf(stderr, "pfnmap%s%s: %s\n", err_cmd ? " " : "",
		err_cmd ? err_cmd : "", msg ? msg : fmt);
	free(msg);
}

static void to_json(const char *fmt, va_list ap)
{
	struct json j;
	char *msg;

	if (!err_json)
		return;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	json_init(&j, err_json, false);
	json_obj_begin(&j);
	json_kv_str(&j, "error", msg ? msg : fmt);
	json_obj_end(&j);
	json_end_line(&j);
	free(msg);
	err_json = NULL;
}

void cmd_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	to_stderr(fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	to_json(fmt, ap);
	va_end(ap);
}

void cmd_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	to_stderr(fmt, ap);
	va_end(ap);
}

void cmd_err_json(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	to_json(fmt, ap);
	va_end(ap);
}
