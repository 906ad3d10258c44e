/* SPDX-License-Identifier: GPL-2.0 */
/*
 * errors.h - how a command says what went wrong: one line on stderr,
 * "pfnmap CMD: what", and under --json also {"error": "what"} where the
 * command's JSON result would have gone, so that a script reading that
 * result reads why there is none.
 *
 * cmd_err() is for failures that leave no result; cmd_warn() for what
 * goes along with a result (damaged input, a file renamed, a summary):
 * stderr only.  The first cmd_err() takes the result's place: later
 * ones go to stderr only, one JSON object stays one.
 */
#ifndef __PFNMAP_ERRORS_H
#define __PFNMAP_ERRORS_H

#include <stdio.h>

#ifndef __printf
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#endif

/* The command the messages are from; NULL: "pfnmap: " alone. */
void cmd_err_init(const char *cmd);
/* --json: errors also go to f as one JSON object; NULL: not (any more). */
void cmd_err_json_to(FILE *f);

void cmd_err(const char *fmt, ...) __printf(1, 2);
void cmd_warn(const char *fmt, ...) __printf(1, 2);
/* Only the JSON object: the line on stderr came from a lower layer. */
void cmd_err_json(const char *fmt, ...) __printf(1, 2);

#endif /* __PFNMAP_ERRORS_H */
