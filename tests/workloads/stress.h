/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stress.h - shared pieces of pfnmap-stress, the deterministic workload
 * whose self-reported counts the tests compare pfnmap's counts against.
 *
 *	pfnmap-stress <scenario> [options]
 *
 * main() (stress_main.c) hands "uffd-*" scenarios to uffd_main()
 * (stress_uffd.c) and "vfio-*" ones to vfio_main() (stress_vfio.c), with
 * argv[0] set to the scenario name, so getopt() works unchanged.  Called
 * with argv[0] == "--help", either entry point prints its list of
 * scenarios on stdout and returns 0 (a half that is not built may print
 * one line on stderr and return non-zero; main then lists nothing for it).
 *
 * Output: one JSON object, on one line of stdout, per run.  A scenario
 * that ran prints it even if the outcome was not the designed one, so the
 * counts are there to compare; it then also prints one error line.
 *
 *	report_begin("uffd-copy");	{"scenario":"uffd-copy","pid":1234
 *	out_kv_u64("ops", 100);		,"ops":100
 *	out_obj_begin("errors");	,"errors":{
 *	out_kv_u64("EEXIST", 3);	"EEXIST":3
 *	out_obj_end();			}
 *	report_end();			}\n, then stdout is flushed
 *
 * The helpers place the commas.  Keys are printed as given (use plain
 * identifiers), string values are escaped.  Nesting is limited to
 * STRESS_JSON_DEPTH objects.
 */
#ifndef __PFNMAP_STRESS_H
#define __PFNMAP_STRESS_H

#include <stdio.h>

/* Exit status of every scenario. */
#define STRESS_EXIT_OK		0	/* it did what it says */
#define STRESS_EXIT_FAIL	1	/* it did not, or a setup call failed */
#define STRESS_EXIT_USAGE	2	/* bad command line */
#define STRESS_EXIT_UNSUPP	3	/* not available here: tests skip */

#define STRESS_JSON_DEPTH	4

int uffd_main(int argc, char **argv);
int uffd_race_main(int argc, char **argv);	/* stress_uffd_race.c */
int uffd_ctl_main(int argc, char **argv);	/* stress_uffd_ctl.c: move, wp */
int vfio_main(int argc, char **argv);

/* JSON report, see above.  report_begin() also prints "pid" (getpid()). */
void report_begin(const char *scenario);
void report_end(void);
void out_obj_begin(const char *key);
void out_obj_end(void);
void out_kv_u64(const char *key, unsigned long long v);
void out_kv_i64(const char *key, long long v);
void out_kv_str(const char *key, const char *v);

/*
 * Counts of failed calls by errno.  out_errors() prints them as an object
 * of names ({"EEXIST":3,"EAGAIN":1}, "{}" if none), in errno order;
 * errnos without a name in the table print as "E<number>", errnos out of
 * range are counted as "EOTHER".
 */
#define STRESS_ERRNO_MAX	160

struct errno_counts {
	unsigned long long n[STRESS_ERRNO_MAX];
};

void errno_counts_add(struct errno_counts *c, int err);
void errno_counts_merge(struct errno_counts *to,
			const struct errno_counts *from);
void out_errors(const char *key, const struct errno_counts *c);
const char *errno_name(int err);	/* NULL if not in the table */

/* One line on stderr: "pfnmap-stress: <message>\n". */
void errmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC in nanoseconds. */
unsigned long long now_ns(void);

/*
 * Parses a decimal number in [min, max] into *v.  Returns 0, or -1 after
 * printing "<what>: ..." with errmsg().
 */
int parse_ull(const char *what, const char *s, unsigned long long min,
	      unsigned long long max, unsigned long long *v);

#endif /* __PFNMAP_STRESS_H */
