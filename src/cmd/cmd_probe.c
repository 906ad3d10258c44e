// SPDX-License-Identifier: GPL-2.0
/*
 * cmd_probe.c - `pfnmap probe`: load and attach everything as a tracing
 * session would, report per hook and per kind what was chosen and why the
 * better mechanisms were not, then detach.
 */
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include "agg.h"
#include "cmds.h"
#include "errors.h"
#include "json.h"
#include "targets.h"
#include "trace_opts.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: pfnmap probe [--json] [--mode M] [-v]\n"
"\n"
"Attach every probe pfnmap knows, then detach, and print for each hook\n"
"the kernel function it found (vmlinux or module BTF), the mechanism\n"
"chosen (fentry, kprobe, none) and why each better one was not used;\n"
"then for each record kind and field, whether this kernel lets pfnmap\n"
"see it.  Nothing is left attached.\n"
"\n"
"  -j, --json          one JSON object\n"
);
	trace_mode_help(f);
	fprintf(f,
"\n"
"Exit status: 0 if probing ran (whatever it found), 1 on error, 2 on a\n"
"usage error.\n");
}

static const char *source_label(int src)
{
	return src ? pfnmap_source_name(src) : "none";
}

/* Why field bit b of kind k is not seen in this session. */
static const char *field_why(struct session *s, int k,
			     const struct kind_mode *m, int b)
{
	if (m->source == PFNMAP_S_NONE)
		return "kind not seen";
	if (m->source == PFNMAP_S_SYSCALL)
		return "syscall view: ioctl tracepoints cannot see inside the kernel";
	return session_field_why(s, k, b);
}

static void print_text(struct session *s, const char *release)
{
	int h, k, b;

	printf("kernel %s\n\n%-17s %-8s %-42s %s\n", release, "HOOK", "MODE",
	       "FUNCTION", "WHY NOT BETTER");
	for (h = 0; h < session_hook_count(); h++) {
		struct hook_report r;
		char fn[128];

		session_hook_report(s, h, &r);
		snprintf(fn, sizeof(fn), "%s%s%s%s", r.func ? r.func : "-",
			 r.where ? " (" : "", r.where ? r.where : "",
			 r.where ? ")" : "");
		printf("%-17s %-8s %-42s %s\n", r.hook, source_label(r.source),
		       fn, r.why[0] ? r.why : "-");
	}
	printf("\n%-17s %-8s %s\n", "KIND", "MODE", "FIELDS (unknown: why)");
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct kind_mode *m = session_mode(s, k);
		__u16 set = reg_kind_fields(k);

		printf("%-17s %-8s", pfnmap_kind_name(k), source_label(m->source));
		for (b = 0; reg_field_key(b); b++) {
			const char *why;

			if (!(set & (1U << b)))
				continue;
			why = (m->valid & (1U << b)) ? NULL :
			      field_why(s, k, m, b);
			printf(" %s%s%s%s", reg_field_key(b), why ? "=unknown(" : "",
			       why ? why : "", why ? ")" : "");
		}
		printf("\n%-17s %-8s %s\n", "", "", m->why[0] ? m->why : "");
	}
}

static void print_json(struct session *s, const char *release)
{
	struct json j;
	int h, k, b;

	json_init(&j, stdout, false);
	json_obj_begin(&j);
	json_kv_u64(&j, "version", PFNMAP_ABI_VERSION);
	json_kv_str(&j, "kernel", release);
	json_key(&j, "hooks");
	json_arr_begin(&j);
	for (h = 0; h < session_hook_count(); h++) {
		struct hook_report r;

		session_hook_report(s, h, &r);
		json_obj_begin(&j);
		json_kv_str(&j, "hook", r.hook);
		json_key(&j, "function");
		r.func ? json_str(&j, r.func) : json_null(&j);
		json_key(&j, "where");
		r.where ? json_str(&j, r.where) : json_null(&j);
		json_kv_str(&j, "mode", source_label(r.source));
		json_kv_str(&j, "why", r.why);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "kinds");
	json_obj_begin(&j);
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct kind_mode *m = session_mode(s, k);
		__u16 set = reg_kind_fields(k);

		json_key(&j, pfnmap_kind_name(k));
		json_obj_begin(&j);
		json_kv_str(&j, "mode", source_label(m->source));
		json_kv_str(&j, "why", m->why);
		json_key(&j, "fields");
		json_obj_begin(&j);
		for (b = 0; reg_field_key(b); b++) {
			if (!(set & (1U << b)))
				continue;
			json_key(&j, reg_field_key(b));
			if (m->valid & (1U << b))
				json_str(&j, source_label(m->source));
			else
				json_null(&j);
		}
		json_obj_end(&j);
		json_key(&j, "unknown_why");
		json_obj_begin(&j);
		for (b = 0; reg_field_key(b); b++)
			if ((set & (1U << b)) && !(m->valid & (1U << b)))
				json_kv_str(&j, reg_field_key(b),
					    field_why(s, k, m, b));
		json_obj_end(&j);
		json_obj_end(&j);
	}
	json_obj_end(&j);
	json_obj_end(&j);
	json_end_line(&j);
}

int cmd_probe(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		TRACE_MODE_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct session_opts o = {};
	struct session *s;
	struct utsname u;
	bool json = false;
	int opt, r, err;

	while ((opt = getopt_long(argc, argv, "jh" TRACE_MODE_SHORTOPTS, longopts,
				  NULL)) != -1) {
		if (opt == 'j') {
			json = true;
		} else if (opt == 'h') {
			usage(stdout);
			return 0;
		} else if ((r = trace_opt(opt, optarg, &o, "probe")) <= 0) {
			if (!r)
				try_help("probe");
			return 2;
		}
	}
	if (optind < argc) {
		cmd_err("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	if (json)
		cmd_err_json_to(stdout);
	err = session_open(&s, &o);
	if (err) {
		/* the loader said why on stderr */
		cmd_err_json("tracing could not start: %s", strerror(-err));
		return 1;
	}
	uname(&u);
	if (json)
		print_json(s, u.release);
	else
		print_text(s, u.release);
	session_close(s);
	return 0;
}
