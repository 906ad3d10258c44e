/* SPDX-License-Identifier: GPL-2.0 */
/* complete.h - what shell completion and the man pages need to know. */
#ifndef __PFNMAP_COMPLETE_H
#define __PFNMAP_COMPLETE_H

#include <stdio.h>

/*
 * `pfnmap --list-values`: one line per option whose values are a table
 * of the code, "COMMAND OPTION VALUE..." ('*': every command that has
 * OPTION), read by packaging/gen.py to generate the bash completion.
 */
void list_values(FILE *f);

#endif /* __PFNMAP_COMPLETE_H */
