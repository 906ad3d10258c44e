// SPDX-License-Identifier: GPL-2.0
/*
 * filter.c - `pfnmap report`'s filters: --pid, --comm, --kind, --cgroup,
 * --time.  A record they refuse is not read at all: no total, group,
 * caller or export sees it, so every output of one report agrees.
 *
 * --time is in seconds from the start of the earliest capture (its clock
 * pair; monotonic time where a capture has none), or "@EPOCH" seconds of
 * wall-clock time where every capture has a clock pair.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errors.h"
#include "report.h"

int report_parse_kinds(struct report *r, const char *arg)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int k = pfnmap_kind_parse(tok);

		if (k < 0) {
			cmd_err("unknown kind '%s' (see --help)", tok);
			return -1;
		}
		r->f.kinds |= 1U << k;
	}
	return 0;
}

/* One end of --time: "" (open), "12.5" (relative) or "@1795240961.2". */
static int time_end(struct report *r, const char *s, size_t n, __s64 open,
		    __s64 *out)
{
	char buf[64], *end;
	bool wall = n && s[0] == '@';
	double v;

	if (!n) {
		*out = open;
		return 0;
	}
	if (n - wall >= sizeof(buf))
		return -1;
	memcpy(buf, s + wall, n - wall);
	buf[n - wall] = '\0';
	errno = 0;
	v = strtod(buf, &end);
	if (errno || end == buf || *end || v < 0)
		return -1;
	if (wall && !r->realtime) {
		cmd_err("--time @%s: a capture has no wall-clock base (seconds from its start only)",
			buf);
		return -2;
	}
	*out = (wall ? 0 : r->time0_ns) + (__s64)(v * 1e9);
	return 0;
}

static int parse_time(struct report *r)
{
	const char *t = r->f.time, *comma = strchr(t, ',');
	int e1, e2 = 0;

	if (!comma) {
		cmd_err("bad --time '%s' (START,END in seconds from the capture start, or @EPOCH; either may be empty)",
			t);
		return -1;
	}
	e1 = time_end(r, t, comma - t, INT64_MIN, &r->f.lo_ns);
	if (e1 != -2)
		e2 = time_end(r, comma + 1, strlen(comma + 1), INT64_MAX,
			      &r->f.hi_ns);
	if (e1 == -1 || e2 == -1)
		cmd_err("bad --time '%s' (START,END in seconds from the capture start, or @EPOCH; either may be empty)",
			t);
	if (e1 || e2)
		return -1;
	if (r->f.lo_ns >= r->f.hi_ns) {
		cmd_err("--time '%s': END is not after START", t);
		return -1;
	}
	return 0;
}

/* After report_time_base(): the time origin is known.  0 or 2. */
int report_filter_setup(struct report *r)
{
	struct report_filter *f = &r->f;
	char *end;

	f->lo_ns = INT64_MIN;
	f->hi_ns = INT64_MAX;
	if (f->time && parse_time(r))
		return 2;
	if (f->cgroup) {
		f->cgroup_id = strtoull(f->cgroup, &end, 10);
		if (*end || end == f->cgroup)
			f->cgroup_id = 0;
	}
	f->on = f->pid || f->comm || f->kinds || f->cgroup || f->time;
	return 0;
}

/*
 * The path a capture gave cgroup id, NULL if it gave none.  Records come
 * in runs of one task: the last answer is kept.  Names come before the
 * records that need them, so a kept "none" stays true within an input.
 */
const char *report_cgroup_path(struct report *r, __u64 id)
{
	struct cg_cache *c = &r->cg_cache;
	char key[48];
	long i;

	if (c->valid && c->in == r->cur && c->id == id)
		return c->path;
	snprintf(key, sizeof(key), "%d:c:%llu", r->cur, (unsigned long long)id);
	i = strmap_put(r->names, key);
	c->path = i < 0 || !*strmap_val(r->names, i) ? NULL :
		  strmap_key(r->labels, *strmap_val(r->names, i) - 1);
	c->in = r->cur;
	c->id = id;
	c->valid = true;
	return c->path;
}

/* path is dir, or below it */
static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n] ||
					  (n == 1 && dir[0] == '/'));
}

static bool cgroup_match(struct report *r, __u64 id)
{
	const char *path;

	if (r->f.cgroup_id)
		return id == r->f.cgroup_id;
	path = report_cgroup_path(r, id);
	return path && path_under(path, r->f.cgroup);
}

/* t: the record's start as report times it (wall or monotonic ns). */
bool report_keep(struct report *r, const struct pfnmap_event *e, __s64 t)
{
	const struct report_filter *f = &r->f;

	if (!f->on)
		return true;
	if (f->pid && e->pid != f->pid)
		return false;
	if (f->comm && strncmp(e->comm, f->comm, PFNMAP_COMM_LEN - 1))
		return false;
	if (f->kinds && !(f->kinds & (1U << e->kind)))
		return false;
	if (t < f->lo_ns || t >= f->hi_ns)
		return false;
	if (f->cgroup && !cgroup_match(r, e->cgroup_id))
		return false;
	r->f.matched++;
	return true;
}

/* "pid 12, kind vfio_pin, time 1,5": what the filters are, for headings. */
void report_filter_text(const struct report *r, char *buf, size_t len)
{
	const struct report_filter *f = &r->f;
	size_t o = 0;
	int k;

	buf[0] = '\0';
	if (f->pid)
		o += snprintf(buf + o, len - o, "pid %u; ", f->pid);
	if (f->comm && o < len)
		o += snprintf(buf + o, len - o, "comm %s; ", f->comm);
	for (k = 0; f->kinds && k < PFNMAP_K_MAX && o < len; k++)
		if (f->kinds & (1U << k))
			o += snprintf(buf + o, len - o, "kind %s; ",
				      pfnmap_kind_name(k));
	if (f->cgroup && o < len)
		o += snprintf(buf + o, len - o, "cgroup %s; ", f->cgroup);
	if (f->time && o < len)
		o += snprintf(buf + o, len - o, "time %s; ", f->time);
	if (o >= 2 && o < len)
		buf[o - 2] = '\0';
}
