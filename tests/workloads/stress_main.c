// SPDX-License-Identifier: GPL-2.0
/*
 * stress_main.c - pfnmap-stress: dispatch a scenario to its half, and the
 * helpers both halves share (see stress.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stress.h"

/* ---- JSON report ---- */

/* Per open object: does the next member need a comma? */
static bool json_comma[STRESS_JSON_DEPTH];
static int json_depth = -1;

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static void json_key(const char *key)
{
	if (json_depth < 0)
		return;
	if (json_comma[json_depth])
		putchar(',');
	json_comma[json_depth] = true;
	json_str(key);
	putchar(':');
}

static void json_open(void)
{
	putchar('{');
	/* Deeper nesting is a bug in a scenario: keep the output valid JSON. */
	if (json_depth + 1 < STRESS_JSON_DEPTH)
		json_depth++;
	json_comma[json_depth] = false;
}

void report_begin(const char *scenario)
{
	json_depth = -1;
	json_open();
	out_kv_str("scenario", scenario);
	out_kv_u64("pid", (unsigned long long)getpid());
}

void report_end(void)
{
	while (json_depth >= 0) {
		putchar('}');
		json_depth--;
	}
	putchar('\n');
	fflush(stdout);
}

void out_obj_begin(const char *key)
{
	json_key(key);
	json_open();
}

void out_obj_end(void)
{
	if (json_depth <= 0)
		return;
	putchar('}');
	json_depth--;
}

void out_kv_u64(const char *key, unsigned long long v)
{
	json_key(key);
	printf("%llu", v);
}

void out_kv_i64(const char *key, long long v)
{
	json_key(key);
	printf("%lld", v);
}

void out_kv_str(const char *key, const char *v)
{
	json_key(key);
	json_str(v);
}

/* ---- errno counts ---- */

#define E(x)	[x] = #x
static const char * const errno_names[STRESS_ERRNO_MAX] = {
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO),
	E(EBADF), E(EAGAIN), E(ENOMEM), E(EACCES), E(EFAULT), E(EBUSY),
	E(EEXIST), E(ENODEV), E(EINVAL), E(ENOSPC), E(ERANGE), E(ENOSYS),
	E(ENOTTY), E(EOPNOTSUPP),
};
#undef E

const char *errno_name(int err)
{
	if (err <= 0 || err >= STRESS_ERRNO_MAX)
		return NULL;
	return errno_names[err];
}

/* Slot 0 holds the errnos that do not fit the array. */
void errno_counts_add(struct errno_counts *c, int err)
{
	if (err <= 0 || err >= STRESS_ERRNO_MAX)
		err = 0;
	c->n[err]++;
}

void errno_counts_merge(struct errno_counts *to,
			const struct errno_counts *from)
{
	int i;

	for (i = 0; i < STRESS_ERRNO_MAX; i++)
		to->n[i] += from->n[i];
}

void out_errors(const char *key, const struct errno_counts *c)
{
	char buf[16];
	int i;

	out_obj_begin(key);
	for (i = 1; i < STRESS_ERRNO_MAX; i++) {
		const char *name = errno_name(i);

		if (!c->n[i])
			continue;
		if (!name) {
			snprintf(buf, sizeof(buf), "E%d", i);
			name = buf;
		}
		out_kv_u64(name, c->n[i]);
	}
	if (c->n[0])
		out_kv_u64("EOTHER", c->n[0]);
	out_obj_end();
}

/* ---- small utilities ---- */

void errmsg(const char *fmt, ...)
{
	va_list ap;

	fputs("pfnmap-stress: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int parse_ull(const char *what, const char *s, unsigned long long min,
	      unsigned long long max, unsigned long long *v)
{
	char *end;

	/* strtoull() accepts "-1" and wraps it: only take plain digits. */
	if (!s || *s < '0' || *s > '9')
		goto bad;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || *v < min || *v > max)
		goto bad;
	return 0;
bad:
	errmsg("%s: '%s' is not a number in [%llu, %llu]", what,
	       s ? s : "", min, max);
	return -1;
}

/* ---- dispatch ---- */

static void usage(FILE *f)
{
	fputs("usage: pfnmap-stress <scenario> [options]\n"
	      "       pfnmap-stress <scenario> --help\n"
	      "\n"
	      "Runs a deterministic workload and prints one JSON line with\n"
	      "its own counts.  Exit status: 0 it did what it says, 1 it did\n"
	      "not (the JSON line is still printed if it ran), 2 usage error,\n"
	      "3 not supported on this system.\n"
	      "\n"
	      "scenarios:\n", f);
}

static int help(void)
{
	char uffd_arg[] = "--help", vfio_arg[] = "--help";
	char *uffd_argv[] = { uffd_arg, NULL };
	char *vfio_argv[] = { vfio_arg, NULL };

	usage(stdout);
	fflush(stdout);
	uffd_main(1, uffd_argv);
	fflush(stdout);
	uffd_race_main(1, uffd_argv);
	fflush(stdout);
	uffd_ctl_main(1, uffd_argv);
	fflush(stdout);
	/* A vfio half that is not built says so on stderr; that is fine. */
	vfio_main(1, vfio_argv);
	fflush(stdout);
	return STRESS_EXIT_OK;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		fputs("  (pfnmap-stress --help lists them)\n", stderr);
		return STRESS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help"))
		return help();
	if (!strcmp(argv[1], "uffd-mmap-changing") ||
	    !strcmp(argv[1], "uffd-whatif"))
		return uffd_race_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "uffd-move") || !strcmp(argv[1], "uffd-wp"))
		return uffd_ctl_main(argc - 1, argv + 1);
	if (has_prefix(argv[1], "uffd-"))
		return uffd_main(argc - 1, argv + 1);
	if (has_prefix(argv[1], "vfio-"))
		return vfio_main(argc - 1, argv + 1);
	errmsg("unknown scenario '%s' (try --help)", argv[1]);
	return STRESS_EXIT_USAGE;
}
