// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_list.c - `pfnmap list`, like `perf list`: the record kinds and
 * their families, the fields and their counters, as the registry
 * (include/pfnmap_kinds.def, include/pfnmap_fields.def, through
 * registry.h) has them.  Text, JSON, or the Markdown tables of
 * docs/fields.md.  Nothing here knows a kind or a field by name.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmds.h"
#include "json.h"
#include "registry.h"
#include "trace_opts.h"

#define WIDTH		76

enum { SHOW_KINDS = 1, SHOW_FIELDS = 2 };
enum format { F_TEXT, F_JSON, F_MARKDOWN };

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap list [kinds|fields] [--json|--markdown]\n"
"\n"
"Print what pfnmap traces and counts, as its registry has it: the record\n"
"kinds (what one record describes, for -k and the JSON keys of stat,\n"
"probe and report) with their family, and the fields of a record with\n"
"their counters: the counter names (CSV columns, 'pfnmap diff' rows and\n"
"--fail-if), their JSON keys in 'pfnmap stat --json', unit, how a group\n"
"of records sums them up, how 'pfnmap diff' compares them, and which\n"
"families carry them.  'kinds' or 'fields' prints that half only.\n"
"\n"
"  -j, --json          one JSON object\n"
"  -m, --markdown      the Markdown tables of docs/fields.md\n"
"  -h, --help          this text\n"
"\n"
"Needs no privileges and no kernel support.  Exit status: 0; 1 if the\n"
"output could not be written; 2 on a usage error.\n");
}

static const char *const value_names[] = {
	[RV_SUM] = "sum", [RV_MAX] = "max", [RV_CNT] = "count",
	[RV_P50] = "p50", [RV_HMAX] = "hist_max", [RV_RECORD] = "record",
};
/* The same, for people. */
static const char *const value_labels[] = {
	[RV_SUM] = "sum", [RV_MAX] = "max", [RV_CNT] = "count",
	[RV_P50] = "p50", [RV_HMAX] = "max", [RV_RECORD] = "record",
};
static const char *const diff_names[] = {
	[RD_RATE] = "rate", [RD_SHOWN] = "shown", [RD_NONE] = "none",
};
static const char *const unit_names[] = {
	[RU_COUNT] = "count", [RU_NS] = "ns", [RU_PAGES] = "pages",
};

/* "pin, uffd, ioctl" */
static const char *family_list(char *buf, size_t len, __u32 set)
{
	size_t n = 0;
	int fam;

	buf[0] = '\0';
	for (fam = 0; fam < PFNMAP_FAM_MAX; fam++)
		if ((set & (1U << fam)) && n < len)
			n += snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				      reg_families[fam].name);
	return buf;
}

/*
 * Where `pfnmap stat --json` prints a counter, below the kind's object:
 * "retries", "follow_pfnmap.calls"; NULL for a per-record counter.
 */
static const char *json_path(char *buf, size_t len,
			     const struct reg_counter *c)
{
	if (c->value == RV_RECORD)
		return NULL;
	if (reg_field_flat(c->field))
		snprintf(buf, len, "%s", c->key);
	else
		snprintf(buf, len, "%s.%s", reg_fields[c->field].key, c->key);
	return buf;
}

/* ---- text ------------------------------------------------------------------ */

static void text_kinds(void)
{
	int k, fam, w = 4;

	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (reg_kind(k) && (int)strlen(reg_kind(k)->name) > w)
			w = strlen(reg_kind(k)->name);
	printf("Kinds: what one record describes (-k KIND; the keys of\n"
	       "'pfnmap stat --json' and 'pfnmap probe --json').\n\n");
	printf("  %-*s  %-7s %s\n", w, "KIND", "FAMILY", "MEANING");
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct reg_kind *r = reg_kind(k);
		char m[512];
		int col;

		if (!r)
			continue;
		if (r->stands_for != k)
			snprintf(m, sizeof(m), "%s (stands for %s)", r->meaning,
				 reg_kinds[r->stands_for].name);
		else
			snprintf(m, sizeof(m), "%s", r->meaning);
		col = printf("  %-*s  %-7s", w, r->name,
			     reg_families[r->family].name);
		print_wrapped(stdout, m, col, w + 12, WIDTH);
	}
	printf("\nFamilies: which fields a kind's records carry.\n\n");
	printf("  %-7s %-9s %-7s %s\n", "FAMILY", "CATEGORY", "CALLER",
	       "MEANING");
	for (fam = 0; fam < PFNMAP_FAM_MAX; fam++) {
		const struct reg_family *f = &reg_families[fam];
		int col = printf("  %-7s %-9s %-7s", f->name, f->category,
				 f->has_caller ? "yes" : "no");

		print_wrapped(stdout, f->meaning, col, 28, WIDTH);
	}
}

static void text_fields(void)
{
	const struct reg_counter *c;
	int f;

	printf("Fields: groups of counters that one validity bit of a record vouches\n"
	       "for; where the kernel cannot show one, its counters print as '-'\n"
	       "(JSON null), never as 0 ('pfnmap probe' says why).  Below each field,\n"
	       "its counters: the name, the JSON key below the kind in 'pfnmap stat\n"
	       "--json' ('-': per record only, in CSV and Perfetto exports), the unit,\n"
	       "how a group of records sums it up, and how 'pfnmap diff' compares\n"
	       "it (rate: per operation, tested; shown: not tested; none).\n\n");
	printf("  %-18s %-34s %-5s %-6s %s\n", "COUNTER", "JSON KEY", "UNIT",
	       "VALUE", "DIFF");
	for (f = 0; f < PFNMAP_F_MAX; f++) {
		const struct reg_field *r = &reg_fields[f];
		char fams[128], m[512];

		if (!r->key)	/* no field has this bit */
			continue;
		snprintf(m, sizeof(m), "%s [%s]: %s", r->key,
			 family_list(fams, sizeof(fams), r->families),
			 r->meaning);
		if (f)
			putchar('\n');
		print_wrapped(stdout, m, 0, 4, WIDTH);
		reg_for_each_counter(c, f) {
			char path[128];
			const char *p = json_path(path, sizeof(path), c);

			printf("  %-18s %-34s %-5s %-6s %s\n", c->name,
			       p ? p : "-", unit_names[c->unit],
			       value_labels[c->value], diff_names[c->diff]);
			print_wrapped(stdout, c->meaning, printf("%6s", ""), 6,
				      WIDTH);
		}
	}
}

/* ---- JSON ------------------------------------------------------------------ */

static void json_kinds(struct json *j)
{
	int k, fam;

	json_key(j, "families");
	json_arr_begin(j);
	for (fam = 0; fam < PFNMAP_FAM_MAX; fam++) {
		const struct reg_family *f = &reg_families[fam];

		json_obj_begin(j);
		json_kv_str(j, "name", f->name);
		json_kv_str(j, "category", f->category);
		json_kv_bool(j, "has_caller", f->has_caller);
		json_kv_str(j, "meaning", f->meaning);
		json_key(j, "kinds");
		json_arr_begin(j);
		for (k = 0; k < PFNMAP_K_MAX; k++)
			if (reg_kind_in(k, fam))
				json_str(j, reg_kinds[k].name);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "kinds");
	json_arr_begin(j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct reg_kind *r = reg_kind(k);
		int f;

		if (!r)
			continue;
		json_obj_begin(j);
		json_kv_str(j, "name", r->name);
		json_kv_u64(j, "value", k);
		json_kv_str(j, "family", reg_families[r->family].name);
		json_key(j, "stands_for");
		if (r->stands_for != k)
			json_str(j, reg_kinds[r->stands_for].name);
		else
			json_null(j);
		json_kv_str(j, "meaning", r->meaning);
		json_key(j, "fields");
		json_arr_begin(j);
		for (f = 0; f < PFNMAP_F_MAX; f++)
			if (reg_kind_fields(k) & (1U << f))
				json_str(j, reg_fields[f].key);
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

static void json_fields(struct json *j)
{
	const struct reg_counter *c;
	int f, fam;

	json_key(j, "fields");
	json_arr_begin(j);
	for (f = 0; f < PFNMAP_F_MAX; f++) {
		const struct reg_field *r = &reg_fields[f];

		if (!r->key)	/* no field has this bit */
			continue;
		json_obj_begin(j);
		json_kv_str(j, "key", r->key);
		json_kv_u64(j, "bit", f);
		json_kv_str(j, "label", r->label);
		json_kv_str(j, "meaning", r->meaning);
		json_key(j, "families");
		json_arr_begin(j);
		for (fam = 0; fam < PFNMAP_FAM_MAX; fam++)
			if (r->families & (1U << fam))
				json_str(j, reg_families[fam].name);
		json_arr_end(j);
		json_kv_bool(j, "flat", reg_field_flat(f));
		json_key(j, "counters");
		json_arr_begin(j);
		reg_for_each_counter(c, f) {
			char path[128];
			const char *p = json_path(path, sizeof(path), c);

			json_obj_begin(j);
			json_kv_str(j, "name", c->name);
			json_kv_str(j, "key", c->key);
			json_key(j, "json");
			p ? json_str(j, p) : json_null(j);
			json_kv_str(j, "member", c->member);
			json_kv_u64(j, "offset", c->off);
			json_kv_u64(j, "size", c->size);
			json_kv_bool(j, "signed", c->is_signed);
			json_kv_str(j, "value", value_names[c->value]);
			if (c->value == RV_SUM)
				json_kv_u64(j, "slot", c->slot);
			json_kv_str(j, "unit", unit_names[c->unit]);
			json_kv_str(j, "diff", diff_names[c->diff]);
			json_kv_str(j, "label", c->label);
			json_kv_str(j, "meaning", c->meaning);
			json_obj_end(j);
		}
		json_arr_end(j);
		json_obj_end(j);
	}
	json_arr_end(j);
}

/* ---- Markdown --------------------------------------------------------------- */

/* A table cell: '|' would end it, '*' and '\' would format it. */
static void md(const char *s)
{
	for (; *s; s++) {
		if (strchr("|*\\", *s))
			putchar('\\');
		putchar(*s);
	}
}

static void md_kinds(void)
{
	int k, fam;

	printf("## Kinds\n\n"
	       "What one record describes: `-k KIND`, the keys of `pfnmap stat --json`\n"
	       "and `pfnmap probe --json`.  A kind that *stands for* another is what\n"
	       "pfnmap sees of that one where it cannot be traced.\n\n"
	       "| kind | value | family | stands for | meaning |\n"
	       "|---|---|---|---|---|\n");
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct reg_kind *r = reg_kind(k);

		if (!r)
			continue;
		printf("| `%s` | %d | %s | ", r->name, k,
		       reg_families[r->family].name);
		if (r->stands_for != k)
			printf("`%s`", reg_kinds[r->stands_for].name);
		printf(" | ");
		md(r->meaning);
		printf(" |\n");
	}
	printf("\n## Families\n\n"
	       "Which fields the records of a kind carry.  Category: the Perfetto\n"
	       "category of its records; caller: they carry the calling function.\n\n"
	       "| family | kinds | category | caller | meaning |\n"
	       "|---|---|---|---|---|\n");
	for (fam = 0; fam < PFNMAP_FAM_MAX; fam++) {
		const struct reg_family *f = &reg_families[fam];
		int n = 0;

		printf("| %s | ", f->name);
		for (k = 0; k < PFNMAP_K_MAX; k++)
			if (reg_kind_in(k, fam))
				printf("%s`%s`", n++ ? ", " : "", reg_kinds[k].name);
		printf(" | %s | %s | ", f->category, f->has_caller ? "yes" : "no");
		md(f->meaning);
		printf(" |\n");
	}
}

static void md_fields(void)
{
	const struct reg_counter *c;
	int f;

	printf("## Fields\n\n"
	       "A field is a group of counters that one validity bit of a record\n"
	       "vouches for: where the kernel cannot show it, its counters print as\n"
	       "`-` (JSON `null`), never as 0, and `pfnmap probe` says why.\n\n"
	       "| field | bit | families | counters | meaning |\n"
	       "|---|---|---|---|---|\n");
	for (f = 0; f < PFNMAP_F_MAX; f++) {
		const struct reg_field *r = &reg_fields[f];
		char fams[128];
		int n = 0;

		if (!r->key)	/* no field has this bit */
			continue;
		printf("| `%s` | %d | %s | ", r->key, f,
		       family_list(fams, sizeof(fams), r->families));
		reg_for_each_counter(c, f)
			printf("%s`%s`", n++ ? ", " : "", c->name);
		printf(" | ");
		md(r->meaning);
		printf(" |\n");
	}
	printf("\n## Counters\n\n"
	       "Name: CSV column, `pfnmap diff` row and `--fail-if` metric.  JSON:\n"
	       "the key below the kind in `pfnmap stat --json` (empty: per record\n"
	       "only, in CSV and Perfetto exports).  Value: how a group of records\n"
	       "sums it up (sum; max: of one record; count; p50, max: of a\n"
	       "histogram; record: not summed up).  Diff: how `pfnmap diff` compares\n"
	       "two runs (rate: per operation, tested; shown: not tested; none: not\n"
	       "compared).\n\n"
	       "| counter | field | JSON | unit | value | diff | meaning |\n"
	       "|---|---|---|---|---|---|---|\n");
	for (c = reg_counters; c < reg_counters + PFNMAP_C_MAX; c++) {
		char path[128];
		const char *p = json_path(path, sizeof(path), c);

		printf("| `%s` | `%s` | ", c->name, reg_fields[c->field].key);
		if (p)
			printf("`%s`", p);
		printf(" | %s | %s | %s | ", unit_names[c->unit],
		       value_labels[c->value], diff_names[c->diff]);
		md(c->meaning);
		printf(" |\n");
	}
}

/* ---- the command ------------------------------------------------------------ */

int cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "markdown", no_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum format fmt = F_TEXT;
	int opt, show = SHOW_KINDS | SHOW_FIELDS;

	optind = 0;	/* full getopt reset: callable more than once */
	opterr = 0;	/* one line of our own instead of getopt's two */
	while ((opt = getopt_long(argc, argv, "jmh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'j':
		case 'm':
			if (fmt != F_TEXT) {
				fprintf(stderr, "pfnmap list: give --json or --markdown, not both\n");
				return 2;
			}
			fmt = opt == 'j' ? F_JSON : F_MARKDOWN;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "pfnmap list: unknown option '%s' (see 'pfnmap list --help')\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		if (!strcmp(argv[optind], "kinds"))
			show = SHOW_KINDS;
		else if (!strcmp(argv[optind], "fields"))
			show = SHOW_FIELDS;
		else {
			fprintf(stderr, "pfnmap list: unknown list '%s' (kinds, fields)\n",
				argv[optind]);
			return 2;
		}
		if (++optind < argc) {
			fprintf(stderr, "pfnmap list: unexpected argument '%s' (see 'pfnmap list --help')\n",
				argv[optind]);
			return 2;
		}
	}

	if (fmt == F_JSON) {
		struct json j;

		json_init(&j, stdout, false);
		json_obj_begin(&j);
		json_kv_u64(&j, "version", PFNMAP_ABI_VERSION);
		if (show & SHOW_KINDS)
			json_kinds(&j);
		if (show & SHOW_FIELDS)
			json_fields(&j);
		json_obj_end(&j);
		json_end_line(&j);
	} else if (fmt == F_MARKDOWN) {
		printf("<!-- generated by 'pfnmap list%s --markdown' from "
		       "include/pfnmap_kinds.def and include/pfnmap_fields.def: "
		       "do not edit below this line -->\n\n",
		       show == SHOW_KINDS ? " kinds" :
		       show == SHOW_FIELDS ? " fields" : "");
		if (show & SHOW_KINDS)
			md_kinds();
		if (show == (SHOW_KINDS | SHOW_FIELDS))
			putchar('\n');
		if (show & SHOW_FIELDS)
			md_fields();
	} else {
		if (show & SHOW_KINDS)
			text_kinds();
		if (show == (SHOW_KINDS | SHOW_FIELDS))
			putchar('\n');
		if (show & SHOW_FIELDS)
			text_fields();
	}
	fflush(stdout);
	return ferror(stdout) ? 1 : 0;
}
