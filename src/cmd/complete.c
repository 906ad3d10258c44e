// SPDX-License-Identifier: GPL-2.0
/*
 * complete.c - the values of options that come from tables (the registry's
 * kinds, --mode, the groupings and sort columns of report and top), for
 * the generated bash completion: the same tables the options are parsed
 * with, so the completion cannot offer what a command refuses.
 */
#include <stdio.h>
#include "complete.h"
#include "registry.h"
#include "report/report.h"
#include "top/model.h"
#include "trace_opts.h"

void list_values(FILE *f)
{
	int i;

	fprintf(f, "* --kind");
	for (i = 0; i < PFNMAP_K_MAX; i++)
		if (reg_kind(i))
			fprintf(f, " %s", reg_kind(i)->name);
	fprintf(f, "\n* --mode");
	for (i = 0; trace_modes[i]; i++)
		fprintf(f, " %s", trace_modes[i]);
	fprintf(f, "\nreport --by");
	for (i = 0; i < BY_MAX; i++)
		fprintf(f, " %s", report_by_names[i]);
	fprintf(f, "\ntop --by");
	for (i = 0; i < TOP_NR_BY; i++)
		fprintf(f, " %s", model_by_name(i));
	fprintf(f, "\nexport --by comm");
	fprintf(f, "\ntop --sort");
	for (i = 0; i < TOP_C_NCOLS; i++)
		if (top_columns[i].name)
			fprintf(f, " %s", top_columns[i].name);
	fputc('\n', f);
}
