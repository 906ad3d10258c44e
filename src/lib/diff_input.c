// SPDX-License-Identifier: GPL-2.0
/*
 * diff_input.c - loads one side of `pfnmap diff`: a `pfnmap stat --json`
 * output or a `pfnmap record` capture, told apart by the capture magic.
 * One loader per input type; both fill struct diff_input the same way,
 * so everything after loading ignores where the numbers came from,
 * except for what only records allow: exact latency percentiles (from
 * every sample) and the distribution of retries (has_dist).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "capture.h"
#include "diff_input.h"
#include "json_parse.h"
#include "stats.h"



/* Past this a pipe is not read further: a capture belongs in a file. */
#define DI_PIPE_MAX	(1ULL << 30)

struct errbuf {
	char	*s;
	size_t	len;
};

static int fail(struct errbuf *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (e->len) {
		va_start(ap, fmt);
		vsnprintf(e->s, e->len, fmt, ap);
		va_end(ap);
	}
	return err;
}

__u64 diff_field_ops(const struct agg_stats *s, enum agg_field f)
{
	return s->known[f] < s->ops ? s->known[f] : s->ops;
}

/* ---- stat JSON ------------------------------------------------------------ */

/* A number: absent or null is unknown, else a non-negative integer. */
static int json_count(struct errbuf *e, const struct jv *o, const char *kind,
		      const char *key, bool *known, __u64 *v)
{
	const struct jv *m = jv_get(o, key);

	*known = false;
	*v = 0;
	if (!m || m->type == JV_NULL)
		return 0;
	if (m->type != JV_NUM || !m->is_u64)
		return fail(e, -EINVAL, "%s.%s is %s, not a count", kind, key,
			    m->type == JV_NUM ? "a negative, fractional or huge number" :
						jv_type_name(m->type));
	*known = true;
	*v = m->u;
	return 0;
}

static int json_required(struct errbuf *e, const struct jv *o,
			 const char *kind, const char *key, __u64 *v)
{
	bool known;

	if (json_count(e, o, kind, key, &known, v))
		return -EINVAL;
	if (!known)
		return fail(e, -EINVAL, "%s.%s is missing", kind, key);
	return 0;
}

/*
 * A counter's number in the JSON: a count, or for a signed counter any
 * integer a double holds exactly.
 */
static int json_value(struct errbuf *e, const struct jv *m, const char *where,
		      const struct reg_counter *c, __u64 *v)
{
	if (m->type == JV_NUM && m->is_u64 &&
	    (!c->is_signed || m->u <= INT64_MAX)) {
		*v = m->u;
		return 0;
	}
	if (c->is_signed && m->type == JV_NUM && m->num >= -0x1p53 &&
	    m->num < 0 && (double)(__s64)m->num == m->num) {
		*v = (__u64)(__s64)m->num;
		return 0;
	}
	return fail(e, -EINVAL, "%s.%s is %s, not %s", where, c->key,
		    m->type == JV_NUM ? "a negative, fractional or huge number" :
					jv_type_name(m->type),
		    c->is_signed ? "an integer" : "a count");
}

/*
 * Puts a counter where agg.c puts it (reg_value): a sum in its slot, a
 * maximum or count at aoff.  A histogram gets its median and maximum as
 * samples, so that agg_counter_value() gives both back: the writer's
 * median is a bucket bound or the maximum.
 */
static void counter_store(struct agg_stats *s, const struct reg_counter *c,
			  __u64 v)
{
	__u64 *sums[3] = { s->sum, s->sum2, s->sum3 };
	void *p = (char *)s + c->aoff;
	struct lat_hist *h = p;

	switch (c->value) {
	case RV_SUM:
		sums[c->slot][c->field] = v;
		break;
	case RV_MAX:
	case RV_CNT:
		memcpy(p, &v, sizeof(v));
		break;
	case RV_P50:
		hist_add(h, v);
		break;
	case RV_HMAX:
		if (!h->count || v > h->max)
			hist_add(h, v);
		break;
	case RV_RECORD:
		break;
	}
}

static int json_counter_of(struct errbuf *e, const struct jv *box,
			   const char *where, const struct reg_counter *c,
			   struct agg_stats *s)
{
	const struct jv *m = jv_get(box, c->key);
	__u64 v = 0;

	if (!m || m->type == JV_NULL)
		return fail(e, -EINVAL, "%s.%s is missing", where, c->key);
	if (json_value(e, m, where, c, &v))
		return -EINVAL;
	counter_store(s, c, v);
	return 0;
}

/*
 * The counters of field f (view.c's json_field()): a flat field is a
 * number under its key with its other counters as keys next to it,
 * another an object of its counters.  Absent or null: unknown.
 * Known: known[f] = ops (at least 1), as stat JSON has no record count.
 */
static int json_field(struct errbuf *e, const struct jv *o, const char *kind,
		      int f, struct agg_stats *s)
{
	const struct jv *box = o, *m = jv_get(o, reg_fields[f].key);
	const struct reg_counter *c;
	char where[64];

	if (!m || m->type == JV_NULL)
		return 0;
	snprintf(where, sizeof(where), "%s", kind);
	if (!reg_field_flat(f)) {
		if (m->type != JV_OBJ)
			return fail(e, -EINVAL, "%s.%s is %s, not an object",
				    kind, reg_fields[f].key,
				    jv_type_name(m->type));
		snprintf(where, sizeof(where), "%s.%s", kind,
			 reg_fields[f].key);
		box = m;
	}
	s->known[f] = s->ops ? s->ops : 1;
	reg_for_each_counter(c, f)
		if (c->value != RV_RECORD &&
		    json_counter_of(e, box, where, c, s))
			return -EINVAL;
	return 0;
}

/* Every field the records of kind k carry. */
static int json_fields(struct errbuf *e, const struct jv *o, int k,
		       struct agg_stats *s)
{
	__u16 set = reg_kind_fields(k);
	int f;

	for (f = 0; f < AGG_F_MAX; f++)
		if ((set & (1U << f)) &&
		    json_field(e, o, pfnmap_kind_name(k), f, s))
			return -EINVAL;
	return 0;
}

/* "EEXIST", "E524" (no name known) or "other" */
static int errno_key(const char *name)
{
	char *end;
	long v;

	if (!strcmp(name, "other"))
		return AGG_ERRNO_MAX;
	if (name[0] == 'E' && name[1] >= '1' && name[1] <= '9') {
		v = strtol(name + 1, &end, 10);
		if (!*end && v < AGG_ERRNO_MAX)
			return (int)v;
	}
	return errno_parse(name);
}

static int json_errors(struct errbuf *e, const struct jv *o, const char *kind,
		       struct agg_stats *s)
{
	const struct jv *m = jv_get(o, "errors");
	__u64 total = 0;
	size_t i;

	if (!m)
		return 0;
	if (m->type != JV_OBJ)
		return fail(e, -EINVAL, "%s.errors is %s, not an object", kind,
			    jv_type_name(m->type));
	for (i = 0; i < m->n; i++) {
		const struct jv_member *em = &m->members[i];
		int err = errno_key(em->key);

		if (err <= 0)
			return fail(e, -EINVAL, "%s.errors: unknown errno '%.32s'",
				    kind, em->key);
		if (em->val.type != JV_NUM || !em->val.is_u64)
			return fail(e, -EINVAL, "%s.errors.%s is not a count",
				    kind, em->key);
		if (err == AGG_ERRNO_MAX)
			s->err_other += em->val.u;
		else
			s->err_count[err] += em->val.u;
		total += em->val.u;
	}
	if (total > s->errors)
		return fail(e, -EINVAL, "%s: the errors add up to more than error_count",
			    kind);
	return 0;
}

static int json_latency(struct errbuf *e, const struct jv *o, const char *kind,
			struct diff_kind *dk)
{
	const struct jv *m = jv_get(o, "latency_ns");
	char where[64];

	if (!m)
		return fail(e, -EINVAL, "%s.latency_ns is missing", kind);
	/* null: no operation of this kind, so no latency either */
	if (m->type == JV_NULL)
		return 0;
	snprintf(where, sizeof(where), "%s.latency_ns", kind);
	if (json_required(e, m, where, "p50", &dk->p50) ||
	    json_required(e, m, where, "p99", &dk->p99) ||
	    json_required(e, m, where, "max", &dk->max) ||
	    json_required(e, m, where, "min", &dk->min) ||
	    json_required(e, m, where, "mean", &dk->mean))
		return -EINVAL;
	return 0;
}

static int json_partial(struct errbuf *e, const struct jv *o, const char *kind,
			struct diff_kind *dk)
{
	const struct jv *m = jv_get(o, "partial");
	size_t i;
	int f;

	if (!m)
		return 0;
	if (m->type != JV_ARR)
		return fail(e, -EINVAL, "%s.partial is not an array", kind);
	for (i = 0; i < m->n; i++) {
		if (m->items[i].type != JV_STR)
			return fail(e, -EINVAL, "%s.partial holds a non-string", kind);
		for (f = 0; f < AGG_F_MAX; f++)
			if (reg_field_key(f) && !strcmp(reg_field_key(f), m->items[i].s))
				dk->partial |= 1U << f;
	}
	return 0;
}

static int json_kind(struct errbuf *e, const struct jv *o, int k,
		     struct diff_kind *dk)
{
	const char *kind = pfnmap_kind_name(k);
	struct agg_stats *s = &dk->s;

	s->key.kind = k;
	if (o->type != JV_OBJ)
		return fail(e, -EINVAL, "%s is %s, not an object", kind,
			    jv_type_name(o->type));
	if (json_required(e, o, kind, "count", &s->ops) ||
	    json_required(e, o, kind, "error_count", &s->errors) ||
	    json_errors(e, o, kind, s) || json_fields(e, o, k, s) ||
	    json_latency(e, o, kind, dk) || json_partial(e, o, kind, dk))
		return -EINVAL;
	if (s->errors > s->ops)
		return fail(e, -EINVAL, "%s: error_count exceeds count", kind);
	return 0;
}

static void json_command(struct diff_input *in, const struct jv *root)
{
	const struct jv *c = jv_get(root, "command");
	size_t i, off = 0;

	in->ran_command = c && c->type == JV_ARR && c->n > 0;
	for (i = 0; c && c->type == JV_ARR && i < c->n; i++) {
		if (c->items[i].type != JV_STR || off >= sizeof(in->command))
			continue;
		off += snprintf(in->command + off, sizeof(in->command) - off,
				"%s%s", i ? " " : "", c->items[i].s);
	}
}

static void json_modes(struct diff_input *in, const struct jv *root)
{
	const struct jv *modes = jv_get(root, "mode");
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const char *m = jv_get_str(modes, pfnmap_kind_name(k));

		snprintf(in->k[k].mode, sizeof(in->k[k].mode), "%s", m ? m : "");
	}
}

static int json_header(struct errbuf *e, struct diff_input *in,
		       const struct jv *root)
{
	const char *kernel = jv_get_str(root, "kernel");
	const struct jv *modes;
	__u64 version;
	bool known;

	if (root->type != JV_OBJ)
		return fail(e, -EINVAL, "JSON but not a pfnmap stat --json output (%s)",
			    jv_type_name(root->type));
	if (!jv_get_u64(root, "version", &version))
		return fail(e, -EINVAL, "JSON without a \"version\": not a pfnmap stat --json output");
	if (version != PFNMAP_ABI_VERSION)
		return fail(e, -EPROTONOSUPPORT,
			    "stat JSON version %llu, this pfnmap reads version %d",
			    (unsigned long long)version, PFNMAP_ABI_VERSION);
	snprintf(in->kernel, sizeof(in->kernel), "%s", kernel ? kernel : "");
	if (json_count(e, root, "top level", "elapsed_ns",
		       &in->elapsed_known, &in->elapsed_ns) ||
	    json_count(e, root, "top level", "lost", &known, &in->lost))
		return -EINVAL;
	/* 0 ns is no duration to divide by */
	in->elapsed_known = in->elapsed_known && in->elapsed_ns > 0;
	json_command(in, root);
	/* no "mode" is an older stat JSON; a "mode" that is no object, junk */
	modes = jv_get(root, "mode");
	if (modes && modes->type != JV_OBJ)
		return fail(e, -EINVAL, "mode is %s, not an object",
			    jv_type_name(modes->type));
	json_modes(in, root);
	return 0;
}

static int load_stat_json(struct diff_input *in, const char *buf, size_t len,
			  struct errbuf *e)
{
	char msg[JP_ERR_LEN];
	struct jv *root;
	int k, err;

	if (len > DI_JSON_MAX)
		return fail(e, -EFBIG, "larger than %u MiB: not a stat JSON",
			    DI_JSON_MAX >> 20);
	err = json_parse(buf, len, &root, msg, sizeof(msg));
	if (err)
		return fail(e, err, "not valid JSON (%s)", msg);
	in->type = DI_STAT_JSON;
	err = json_header(e, in, root);
	for (k = 0; !err && k < PFNMAP_K_MAX; k++) {
		const struct jv *o = jv_get(root, pfnmap_kind_name(k));

		in->k[k].s.key.kind = k;
		if (o)
			err = json_kind(e, o, k, &in->k[k]);
	}
	jv_free(root);
	return err;
}

/* ---- capture ---------------------------------------------------------------- */

struct cap_ctx {
	struct agg		*agg;
	struct diff_input	*in;
	int			err;
};

static int push_sample(struct diff_kind *dk, __u64 v)
{
	if (dk->nlat == dk->lat_cap) {
		size_t cap = dk->lat_cap ? dk->lat_cap * 2 : 1024;
		__u64 *p = realloc(dk->lat, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		dk->lat = p;
		dk->lat_cap = cap;
	}
	dk->lat[dk->nlat++] = v;
	return 0;
}

static int on_record(void *ctx, const struct pfnmap_event *e)
{
	struct cap_ctx *c = ctx;

	/* the reader skips kinds out of range; stay safe if that changes */
	if (e->kind >= PFNMAP_K_MAX)
		return 0;
	if (agg_add(c->agg, e) || push_sample(&c->in->k[e->kind], e->duration_ns))
		c->err = -ENOMEM;
	return c->err;
}

static int cmp_u64(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

/* Exact percentiles from the samples, same ranks as hist_percentile(). */
static void sample_latency(struct diff_kind *dk)
{
	long double sum = 0;
	size_t i;

	if (!dk->nlat)
		return;
	qsort(dk->lat, dk->nlat, sizeof(*dk->lat), cmp_u64);
	for (i = 0; i < dk->nlat; i++)
		sum += dk->lat[i];
	dk->p50 = stats_sorted_percentile(dk->lat, dk->nlat, 50);
	dk->p99 = stats_sorted_percentile(dk->lat, dk->nlat, 99);
	dk->max = dk->lat[dk->nlat - 1];
	dk->min = dk->lat[0];
	dk->mean = (__u64)(sum / dk->nlat);
}

/* What record ran: what follows its "--", else its whole command line. */
static void cap_command(struct diff_input *in, const struct cap_meta *m)
{
	const char *p = m->cmdline, *end = m->cmdline + m->cmdline_len;
	const char *start = p;
	size_t off = 0;

	for (; p < end; p += strlen(p) + 1)
		if (!strcmp(p, "--")) {
			start = p + strlen(p) + 1;
			in->ran_command = start < end;
			break;
		}
	for (p = start; p < end && off < sizeof(in->command);
	     p += strlen(p) + 1)
		off += snprintf(in->command + off, sizeof(in->command) - off,
				"%s%s", p == start ? "" : " ", p);
}

/* Records agg put in the retry distribution: those that had retries. */
static __u64 dist_total(const struct agg_stats *s)
{
	size_t i, n = sizeof(s->retry_dist) / sizeof(s->retry_dist[0]);
	__u64 total = 0;

	for (i = 0; i < n; i++)
		total += s->retry_dist[i];
	return total;
}

static void cap_kinds(struct diff_input *in, const struct cap_info *info,
		      const struct agg *agg)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		struct diff_kind *dk = &in->k[k];
		const struct cap_mode *md = &info->meta.modes[k];

		agg_total_kind(agg, k, &dk->s);
		/* a mode that could see a field saw 0 of it, not "unknown" */
		if (md->present)
			agg_mark_visible(&dk->s, md->valid);
		dk->has_dist = dist_total(&dk->s) > 0;
		sample_latency(dk);
		/* a run is one value per row: the samples are not needed */
		free(dk->lat);
		dk->lat = NULL;
		dk->lat_cap = 0;
		if (md->present)
			snprintf(dk->mode, sizeof(dk->mode), "%s",
				 pfnmap_source_name(md->source) ?: "?");
	}
}

static void cap_elapsed(struct diff_input *in, const struct cap_info *info,
			const struct cap_status *st)
{
	const struct cap_meta *m = &info->meta;

	if (st->has_trailer && m->has_clock &&
	    st->trailer.end_ns > m->clock_mono_ns) {
		in->elapsed_known = true;
		in->elapsed_ns = st->trailer.end_ns - m->clock_mono_ns;
	}
}

static int load_capture(struct diff_input *in, const void *buf, size_t len,
			struct errbuf *e)
{
	struct cap_ctx c = { .agg = agg_new(AGG_BY_KIND), .in = in };
	struct cap_status st;
	struct cap_info info;
	char msg[CAP_ERR_LEN * 2];
	int err;

	if (!c.agg)
		return fail(e, -ENOMEM, "out of memory");
	in->type = DI_CAPTURE;
	err = cap_read(buf, len, &info, &st, on_record, &c);
	if (err == -ENOMEM || c.err) {
		err = fail(e, -ENOMEM, "out of memory reading the capture");
	} else if (err) {
		cap_describe_error(msg, sizeof(msg), err, &info);
		err = fail(e, err, "%s", msg);
	} else if (!info.header_ok) {
		/* no modes, no clock: nothing to tell unknown from zero */
		cap_describe(msg, sizeof(msg), &st);
		err = fail(e, -EINVAL, "capture header unreadable (%s)", msg);
	} else {
		snprintf(in->kernel, sizeof(in->kernel), "%s", info.meta.kernel);
		cap_command(in, &info.meta);
		cap_elapsed(in, &info, &st);
		cap_kinds(in, &info, c.agg);
		in->lost = st.drops;
		if (cap_damaged(&st))
			cap_describe(in->damage, sizeof(in->damage), &st);
	}
	agg_free(c.agg);
	return err;
}

/* ---- detection and files ------------------------------------------------- */

int diff_input_from_buf(struct diff_input *in, const void *buf, size_t len,
			char *err, size_t err_len)
{
	struct errbuf e = { err, err_len };
	const char *p = buf;
	size_t i = 0;

	if (err_len)
		err[0] = '\0';
	if (len >= 8 && !memcmp(p, CAP_MAGIC, 8))
		return load_capture(in, buf, len, &e);
	while (i < len && strchr(" \t\r\n", p[i]) && p[i])
		i++;
	if (i == len)
		return fail(&e, -EINVAL, "empty: neither stat JSON nor a capture");
	if (p[i] != '{')
		return fail(&e, -EINVAL,
			    "neither a pfnmap stat --json output nor a pfnmap record capture");
	return load_stat_json(in, buf, len, &e);
}

/* A pipe or a FIFO: read it all, it cannot be mapped. */
static int read_stream(int fd, char **buf, size_t *len)
{
	size_t cap = 0;
	ssize_t n;

	*buf = NULL;
	*len = 0;
	for (;;) {
		if (*len == cap) {
			char *p;

			if (cap >= DI_PIPE_MAX)
				return -EFBIG;
			cap = cap ? cap * 2 : 65536;
			p = realloc(*buf, cap);
			if (!p)
				return -ENOMEM;
			*buf = p;
		}
		n = read(fd, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		*len += n;
	}
}

int diff_input_load(struct diff_input *in, const char *path, char *err,
		    size_t err_len)
{
	struct errbuf e = { err, err_len };
	void *map = MAP_FAILED;
	char *buf = NULL;
	struct stat sb;
	size_t len = 0;
	int fd, r;

	in->path = path;
	/* O_NONBLOCK: opening a FIFO nobody writes to must not hang */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &sb)) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		return fail(&e, r, "%s", strerror(-r));
	}
	if (S_ISDIR(sb.st_mode)) {
		r = fail(&e, -EISDIR, "is a directory");
	} else if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
		len = sb.st_size;
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		r = map == MAP_FAILED ? fail(&e, -errno, "%s", strerror(errno)) : 0;
	} else {
		/* a writer may come late: wait for its data, EOF if none */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		r = read_stream(fd, &buf, &len);
		if (r)
			fail(&e, r, "%s", strerror(-r));
	}
	close(fd);
	if (!r)
		r = diff_input_from_buf(in, map != MAP_FAILED ? map : buf, len,
					err, err_len);
	if (map != MAP_FAILED)
		munmap(map, len);
	free(buf);
	return r;
}

void diff_input_free(struct diff_input *in)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		free(in->k[k].lat);
		in->k[k].lat = NULL;
		in->k[k].nlat = in->k[k].lat_cap = 0;
	}
}
