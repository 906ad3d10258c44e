// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - loading: plan every hook from what the kernel offers, load
 * one BPF object, attach, fall back per hook, and consume the ring buffer.
 *
 * Order per hook: fentry/fexit on the first candidate function that has
 * it, else kprobe/kretprobe, else the next candidate.  An operation kind
 * whose hook got nothing falls back to the ioctl tracepoints.  One target
 * missing never fails the session; every miss is kept with its reason.
 */
#define _GNU_SOURCE		/* unshare() */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <linux/ioctl.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pfnmap.h"
#include "pfnmap.skel.h"
#include "probe.h"
#include "session.h"
#include "targets.h"
#include "agg.h"
#include "registry.h"

/* An aggregating session's ring buffer: exemplars only. */
#define AGG_RING_BYTES	(256U << 10)
/* Groups of an aggregating session keyed finer than by kind. */
#define AGG_GROUPS	1024

struct hook_state {
	int			source;		/* PFNMAP_S_* chosen */
	const struct candidate	*cand;
	char			ksym[128];	/* kprobe target */
	char			why[512];	/* reasons, "; "-separated */
	struct bpf_link		*links[2];
};

struct session {
	struct pfnmap_bpf	*skel;
	struct ring_buffer	*rb;
	bool			aggregate;	/* session_opts.aggregate */
	__u32			agg_by;
	struct kenv		kenv;		/* while planning only */
	const char		*absent[PFNMAP_K_MAX];	/* kind_absent() */
	struct hook_state	h[H_MAX];
	__u32			attached;	/* bit per hook */
	struct kind_mode	modes[PFNMAP_K_MAX];
	char			mode_why[PFNMAP_K_MAX][256];
	struct bpf_link		*tp_links[4];
	bool			handler_failed;	/* its entry did not attach */
	int			stats_fd;
	bool			mounted_tracefs;
	unsigned long long	fault_lo, fault_hi;	/* exc_page_fault */
	unsigned long long	zero_pfn, vmemmap_base;	/* their addresses */
	__u32			feats;		/* FEAT_* */
	char			field_why[768];
	session_cb		cb;
	void			*cb_ctx;
	int			verbose;
};

static int verbose_level;

static int libbpf_print(enum libbpf_print_level lvl, const char *fmt,
			va_list ap)
{
	if (lvl == LIBBPF_DEBUG && verbose_level < 2)
		return 0;
	if (!verbose_level)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

__u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void why_add(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n && n + 2 < len) {
		strcpy(buf + n, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}


/* One candidate's story: "func: why not fentry, why not kprobe". */
static void why_candidate(struct hook_state *hs, const struct candidate *c,
			  const struct func_probe *fp, bool no_fentry)
{
	const char *fe = no_fentry ? "fentry disabled (--mode kprobe)" :
			 fp->fentry_why;
	char line[400];

	if (!strcmp(fe, fp->kprobe_why) || !fp->kprobe_why[0])
		snprintf(line, sizeof(line), "%s: %s", c->func, fe);
	else
		snprintf(line, sizeof(line), "%s: %s, %s", c->func, fe,
			 fp->kprobe_why);
	if (!strstr(hs->why, line))
		why_add(hs->why, sizeof(hs->why), "%s", line);
}

/* A raw tracepoint exists if its __tracepoint_ symbol does. */
static void plan_raw_tp(struct session *s, int id)
{
	const struct candidate *c = hooks[id].cands;
	struct hook_state *hs = &s->h[id];
	char sym[160];

	snprintf(sym, sizeof(sym), "__tracepoint_%s", c->func);
	if (!kenv_has_sym(&s->kenv, sym)) {
		why_add(hs->why, sizeof(hs->why), "%s: no such tracepoint",
			c->func);
		return;
	}
	/* its counts are only right if the fault's own locking is told apart */
	if (kenv_sym_range(&s->kenv, knames.fault_handler, &s->fault_lo,
			   &s->fault_hi)) {
		why_add(hs->why, sizeof(hs->why),
			"%s: no %s symbol to tell faults apart",
			c->func, knames.fault_handler);
		return;
	}
	hs->source = PFNMAP_S_RAW_TP;
	hs->cand = c;
}

/* Picks fentry or kprobe for one hook, walking its candidates. */
static void plan_hook(struct session *s, const struct session_opts *o, int id)
{
	const struct hook *hk = &hooks[id];
	struct hook_state *hs = &s->h[id];
	const struct candidate *c;

	if (hk->unless >= 0 && s->h[hk->unless].source) {
		why_add(hs->why, sizeof(hs->why), "not needed: %s is attached",
			hooks[hk->unless].name);
		return;
	}
	if (hk->unless2 >= 0 && s->h[hk->unless2].source) {
		why_add(hs->why, sizeof(hs->why), "not needed: %s is attached",
			hooks[hk->unless2].name);
		return;
	}
	/* the uffd retry hooks count only inside a traced UFFDIO_* */
	if (hk->kind < 0 && hk->family == PFNMAP_FAM_UFFD &&
	    !s->h[H_UFFD_COPY].source) {
		why_add(hs->why, sizeof(hs->why), "not needed: uffd_copy not traced");
		return;
	}
	if (hk->rt) {
		plan_raw_tp(s, id);
		return;
	}
	for (c = hk->cands; c->func; c++) {
		struct func_probe fp;

		kenv_probe(&s->kenv, c->func, c->module, &fp);
		if (!o->no_fentry && !fp.fentry_why[0]) {
			hs->source = PFNMAP_S_FENTRY;
			hs->cand = c;
			return;
		}
		if (fp.ksym[0] && hk->fentry_only) {
			why_add(hs->why, sizeof(hs->why), "%s: %s%s", c->func,
				o->no_fentry ? "fentry disabled (--mode kprobe)" :
				fp.fentry_why, "; a kretprobe has no arguments");
			continue;
		}
		if (fp.ksym[0]) {
			why_add(hs->why, sizeof(hs->why), "%s: %s", c->func,
				o->no_fentry ? "fentry disabled (--mode kprobe)" :
				fp.fentry_why);
			hs->source = PFNMAP_S_KPROBE;
			hs->cand = c;
			snprintf(hs->ksym, sizeof(hs->ksym), "%s", fp.ksym);
			return;
		}
		why_candidate(hs, c, &fp, o->no_fentry);
	}
}

static struct bpf_program *prog(struct session *s, const char *name)
{
	return name ? bpf_object__find_program_by_name(s->skel->obj, name) :
		      NULL;
}

/*
 * The userfaultfd ioctl handler's entry loads with its exit: it is
 * attached only if a kind is seen whole there (attach_syscall_view()).
 */
static int configure_handler_entry(struct session *s)
{
	struct hook_state *hs = &s->h[H_UFFD_IOCTL];
	struct bpf_program *p = prog(s, "fe_uffd_ioctl");
	bool on = hs->source == PFNMAP_S_FENTRY;

	if (!p)
		return 0;
	bpf_program__set_autoload(p, on);
	return on ? bpf_program__set_attach_target(p, 0, hs->cand->func) : 0;
}

/* Only the programs of the chosen mode load, bound to the chosen function. */
static int configure_progs(struct session *s)
{
	int id, i, err;

	for (id = 0; id < H_MAX; id++) {
		const struct hook *hk = &hooks[id];
		struct hook_state *hs = &s->h[id];
		const char *names[5] = { hk->fe, hk->fx, hk->kp, hk->kr,
					 hk->rt };
		static const int mode_of[5] = {
			PFNMAP_S_FENTRY, PFNMAP_S_FENTRY, PFNMAP_S_KPROBE,
			PFNMAP_S_KPROBE, PFNMAP_S_RAW_TP,
		};

		for (i = 0; i < 5; i++) {
			struct bpf_program *p = prog(s, names[i]);
			bool on = hs->source == mode_of[i];

			if (!p)
				continue;
			bpf_program__set_autoload(p, on);
			if (!on || mode_of[i] != PFNMAP_S_FENTRY)
				continue;
			err = bpf_program__set_attach_target(p, 0,
							     hs->cand->func);
			if (err)
				return err;
		}
	}
	return configure_handler_entry(s);
}

/*
 * Entries of a fexit program's stack before the traced function's caller,
 * when the BPF side cannot find the traced function's own entry there
 * (caller_ip()): the trampoline, then the traced function itself.
 * PFNMAP_CALLER_SKIP overrides it.
 */
static __u32 caller_skip(void)
{
	const char *e = getenv("PFNMAP_CALLER_SKIP");

	return e ? (__u32)atoi(e) : 2;
}

static void configure_rodata(struct session *s, const struct session_opts *o)
{
	struct pfnmap_bpf__rodata *ro = s->skel->rodata;
	int id, k;

	ro->filter.tgid = o->tgid;
	ro->filter.follow_children = o->follow_children;
	if (o->comm) {
		ro->filter.use_comm = 1;
		strncpy((char *)ro->filter.comm, o->comm,
			sizeof(ro->filter.comm) - 1);
	}
	for (id = 0; id < H_MAX; id++) {
		const struct candidate *c = s->h[id].cand;

		if (!c)
			continue;
		if (hooks[id].kind >= 0)
			ro->layout[hooks[id].kind] = c->layout;
		if (id == H_FOLLOW)
			ro->follow_style = c->follow_style;
	}
	/* the ioctl view keeps its offsets beside the function layout */
	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct ioctl_view *v = ioctl_view_of(k);

		if (!v)
			continue;
		/* every ioctl type a view may want: the BPF side's first test */
		ro->ioctl_types[_IOC_TYPE(v->cmd) / 32] |=
			1U << (_IOC_TYPE(v->cmd) % 32);
		if (v->kind != k)
			continue;
		ro->layout[k].uaddr_off = v->layout.uaddr_off;
		ro->layout[k].ulen_off = v->layout.ulen_off;
		ro->layout[k].udone_off = v->layout.udone_off;
	}
	ro->filter.aggregate = o->aggregate;
	ro->filter.agg_by = o->aggregate ? o->agg_by : 0;
	ro->filter.exemplars = o->exemplars;
	ro->filter.exemplar_ns = o->exemplar_ns;
	if (o->aggregate)
		ro->wakeup_bytes = AGG_RING_BYTES / 4;
	ro->caller_skip = caller_skip();
	ro->fault_lo = s->fault_lo;
	ro->fault_hi = s->fault_hi;
	ro->zero_pfn_addr = s->zero_pfn;
	ro->vmemmap_base_addr = s->vmemmap_base;
	ro->vgp_batch = s->h[H_VFIO_GET_PFNS].cand &&
			kenv_param_is(&s->kenv, knames.batch_func,
				      knames.batch_module, knames.batch_arg,
				      knames.batch_type);
}

/*
 * An aggregating session's ring buffer carries exemplars only; its group
 * map holds what agg_by asks for, and nothing without it.
 */
static int size_maps(struct session *s, const struct session_opts *o)
{
	__u32 groups = o->agg_groups ? o->agg_groups : AGG_GROUPS;
	int err = 0;

	if (o->aggregate)
		err = bpf_map__set_max_entries(s->skel->maps.events,
					       AGG_RING_BYTES);
	if (!err && o->aggregate && o->agg_by)
		err = bpf_map__set_max_entries(s->skel->maps.aggs, groups);
	if (err)
		fprintf(stderr, "pfnmap: cannot size the BPF maps: %s\n",
			strerror(-err));
	return err;
}

static int attach_one(struct session *s, int id)
{
	const struct hook *hk = &hooks[id];
	struct hook_state *hs = &s->h[id];
	const char *names[2];
	bool kp = hs->source == PFNMAP_S_KPROBE;
	int i;

	if (hs->source == PFNMAP_S_RAW_TP) {
		hs->links[0] = bpf_program__attach_raw_tracepoint(
				prog(s, hk->rt), hs->cand->func);
		return hs->links[0] ? 0 : -errno;
	}
	names[0] = kp ? hk->kp : hk->fe;
	names[1] = kp ? hk->kr : hk->fx;
	for (i = 0; i < 2; i++) {
		struct bpf_program *p = prog(s, names[i]);

		if (!p)
			continue;
		if (kp)
			hs->links[i] = bpf_program__attach_kprobe(p, i == 1,
								  hs->ksym);
		else
			hs->links[i] = bpf_program__attach(p);
		if (!hs->links[i])
			return -errno;
	}
	return 0;
}

static void detach_hook(struct hook_state *hs)
{
	int i;

	for (i = 0; i < 2; i++) {
		bpf_link__destroy(hs->links[i]);
		hs->links[i] = NULL;
	}
}

static void attach_hooks(struct session *s)
{
	int id, err;

	for (id = 0; id < H_MAX; id++) {
		struct hook_state *hs = &s->h[id];

		if (!hs->source)
			continue;
		err = attach_one(s, id);
		if (!err) {
			s->attached |= 1U << id;
			continue;
		}
		detach_hook(hs);
		why_add(hs->why, sizeof(hs->why), "%s attach to %s failed: %d",
			pfnmap_source_name(hs->source), hs->cand->func, err);
		hs->source = PFNMAP_S_NONE;
		hs->cand = NULL;
	}
}

static int attach_tp(struct session *s, int slot, const char *name)
{
	s->tp_links[slot] = bpf_program__attach(prog(s, name));
	return s->tp_links[slot] ? 0 : -errno;
}

static bool wanted_kind(const struct session_opts *o, int kind)
{
	return !o->kinds || (o->kinds & (1U << kind));
}

/*
 * A hook is planned if its kind was asked for, or if it also counts
 * inside the operations of a family asked for (follow and fixup: inside
 * pins as well as on their own).
 */
static bool wanted_hook(const struct session_opts *o, int id)
{
	const struct hook *hk = &hooks[id];
	const struct reg_kind *own = reg_kind(hk->kind);
	int k;

	if (!own || wanted_kind(o, hk->kind))
		return true;
	if (own->family == hk->family)
		return false;
	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (reg_kind_in(k, hk->family) && wanted_kind(o, k))
			return true;
	return false;
}

/*
 * A kind whose ioctl this kernel lacks (UFFDIO_MOVE before 6.8): why.
 * Found in BTF while planning (find_features()), kept for the attach.
 */
static const char *kind_absent(struct session *s, int kind)
{
	return kind >= 0 && kind < PFNMAP_K_MAX ? s->absent[kind] : NULL;
}

/*
 * A UFFDIO_* kind whose function cannot be traced (inlined: 7.3's
 * move_pages()) is seen whole at the traced userfaultfd ioctl handler,
 * instead of through tracepoints on every ioctl of the machine.
 */
static bool handler_view(struct session *s, const struct ioctl_view *v)
{
	struct bpf_program *p = prog(s, "fe_uffd_ioctl");
	int fh = ioctl_fill_hook(v);

	return fh >= 0 && (s->attached & (1U << fh)) &&
	       s->h[fh].source == PFNMAP_S_FENTRY &&
	       p && bpf_program__autoload(p) && !s->handler_failed;
}

static int attach_handler_entry(struct session *s)
{
	struct pfnmap_bpf__bss *bss = s->skel->bss;
	int k, err;

	if (!bss->handler_nrs)
		return 0;
	err = attach_tp(s, 3, "fe_uffd_ioctl");
	if (!err)
		return 0;
	/* fall back to the tracepoints for them */
	s->handler_failed = true;
	for (k = 0; k < PFNMAP_K_MAX; k++)
		if (bss->ioctl_fill[k] == PFNMAP_FILL_HANDLER)
			bss->ioctl_fill[k] = PFNMAP_FILL_NONE;
	bss->handler_nrs = 0;
	return err;
}

/* Kinds without their function fall back to the ioctl they come from. */
static int attach_syscall_view(struct session *s, const struct session_opts *o)
{
	bool any = false;
	int k, err;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		const struct ioctl_view *v = ioctl_view_of(k);
		int h = hook_of_kind(k);

		if (!v || h < 0 || kind_absent(s, k))
			continue;
		if (!wanted_kind(o, k) && !wanted_kind(o, v->kind))
			continue;
		/*
		 * A traced UFFDIO_*: what never reached its function comes
		 * from the ioctl handler's fexit, else from the tracepoints.
		 */
		if (s->attached & (1U << h)) {
			int fh = ioctl_fill_hook(v);

			if (v->kind != k)
				continue;
			if (fh >= 0 && (s->attached & (1U << fh))) {
				s->skel->bss->ioctl_fill[k] = PFNMAP_FILL_FEXIT;
				s->skel->bss->ioctl_cmd[k] = v->cmd;
				continue;
			}
			s->skel->bss->ioctl_fill[k] = PFNMAP_FILL_TP;
		} else if (v->kind == k && handler_view(s, v)) {
			s->skel->bss->ioctl_fill[k] = PFNMAP_FILL_HANDLER;
			s->skel->bss->ioctl_cmd[k] = v->cmd;
			s->skel->bss->handler_nrs |= 1ULL << (_IOC_NR(v->cmd) & 63);
			continue;
		}
		s->skel->bss->ioctl_cmd[v->kind] = v->cmd;
		any = true;
	}
	if (attach_handler_entry(s))
		return attach_syscall_view(s, o);
	if (!any)
		return 0;
	err = attach_tp(s, 0, "tp_ioctl_enter");
	if (!err)
		err = attach_tp(s, 1, "tp_ioctl_exit");
	return err;
}

static void set_mode(struct session *s, int k, int source, __u16 valid,
		     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->mode_why[k], sizeof(s->mode_why[k]), fmt, ap);
	va_end(ap);
	s->modes[k].source = source;
	s->modes[k].valid = valid;
	s->modes[k].why = s->mode_why[k];
}

static void compute_mode(struct session *s, int k)
{
	const struct ioctl_view *v = ioctl_view_of(k);
	int h = hook_of_kind(k);
	const char *why = h >= 0 ? s->h[h].why : "";
	bool sys = v && s->skel->bss->ioctl_cmd[v->kind] &&
		   !s->skel->bss->ioctl_fill[v->kind];

	if (h >= 0 && s->h[h].source)
		set_mode(s, k, s->h[h].source, kind_fields(k, s->attached, s->feats),
			 "%s", why);
	else if (s->skel->bss->ioctl_fill[k] == PFNMAP_FILL_HANDLER)
		set_mode(s, k, PFNMAP_S_FENTRY, PFNMAP_V_PAGES,
			 "%s%sseen whole at %s(): no retries or nested calls",
			 why, why[0] ? "; " : "",
			 s->h[ioctl_fill_hook(v)].cand->func);
	else if (sys && v->kind == k)
		set_mode(s, k, PFNMAP_S_SYSCALL, PFNMAP_V_PAGES,
			 "%s%sioctl tracepoints: no retries or nested calls",
			 why, why[0] ? "; " : "");
	else if (sys)
		set_mode(s, k, PFNMAP_S_NONE, 0,
			 "%s; seen as %s ioctls instead", why,
			 pfnmap_kind_name(v->kind));
	else if (h < 0)
		set_mode(s, k, PFNMAP_S_NONE, 0,
			 "only stands in for vfio_pin when that cannot be traced");
	else
		set_mode(s, k, PFNMAP_S_NONE, 0, "%s", why);
}

static void compute_modes(struct session *s)
{
	int k;

	for (k = 0; k < PFNMAP_K_MAX; k++) {
		compute_mode(s, k);
		s->skel->bss->kind_valid[k] = s->modes[k].valid;
	}
}

static int check_privileges(void)
{
	FILE *f;
	char line[256];
	unsigned long long cap = 0;

	if (geteuid() == 0)
		return 0;
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &cap) == 1)
			break;
	if (f)
		fclose(f);
	/* CAP_SYS_ADMIN, or CAP_BPF + CAP_PERFMON */
	if ((cap >> 21) & 1 || (((cap >> 39) & 1) && ((cap >> 38) & 1)))
		return 0;
	fprintf(stderr, "pfnmap: need root (or CAP_BPF and CAP_PERFMON) to load BPF programs\n");
	return -EPERM;
}

static int open_kernel(struct session *s)
{
	int err = kenv_open(&s->kenv);

	if (err == -ENOENT && !s->kenv.vmlinux) {
		if (getenv("PFNMAP_BTF"))
			fprintf(stderr, "pfnmap: cannot read BTF from $PFNMAP_BTF (%s)\n",
				getenv("PFNMAP_BTF"));
		else
			fprintf(stderr, "pfnmap: no kernel BTF (/sys/kernel/btf/vmlinux): kernel built without CONFIG_DEBUG_INFO_BTF; set PFNMAP_BTF to a BTF file for it\n");
		return err;
	}
	if (err) {
		fprintf(stderr, "pfnmap: cannot read /proc/kallsyms: %s\n",
			strerror(-err));
		return err;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		fprintf(stderr, "pfnmap: kernel too old: no BPF ring buffer (needs Linux 5.8 or later)\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * libbpf finds tracepoint ids in tracefs.  Mount it if nobody did (as
 * perf does), in a mount namespace of our own: the mount goes with the
 * process, even when a SIGKILL leaves no chance to take it down.
 */
static int ensure_tracefs(struct session *s)
{
	static const char dir[] = "/sys/kernel/tracing";

	if (!access("/sys/kernel/tracing/events", F_OK) ||
	    !access("/sys/kernel/debug/tracing/events", F_OK))
		return 0;
	/* private: our mount must not propagate back to the host's */
	if (unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, "pfnmap: tracefs is not mounted and no mount namespace could be made for it: %s\n",
			strerror(errno));
		return -errno;
	}
	if (mount("nodev", dir, "tracefs", 0, NULL)) {
		fprintf(stderr, "pfnmap: tracefs is not mounted and mounting it on %s failed: %s\n",
			dir, strerror(errno));
		return -errno;
	}
	s->mounted_tracefs = true;
	return 0;
}

/* What some fields need from the kernel besides their hooks. */
static void find_features(struct session *s)
{
	struct kenv *k = &s->kenv;
	const struct kind_uapi *u;
	const char *const *z;
	int kind;

	if (kenv_has_member(k, knames.lock_seq_type, knames.lock_seq_member))
		s->feats |= FEAT_MM_LOCK_SEQ;
	for (z = knames.zero_pfn; *z && !s->zero_pfn; z++)
		s->zero_pfn = kenv_sym_addr(k, *z);
	s->vmemmap_base = kenv_sym_addr(k, knames.vmemmap_base);
	if (s->zero_pfn && s->vmemmap_base)
		s->feats |= FEAT_ZERO_PFN;
	for (kind = 0; kind < PFNMAP_K_MAX; kind++) {
		u = kind_uapi_of(kind);
		if (u && !kenv_has_member(k, u->type, u->member))
			s->absent[kind] = u->why;
	}
}

static void plan_all(struct session *s, const struct session_opts *o)
{
	const char *absent;
	int id;

	find_features(s);
	for (id = 0; id < H_MAX; id++) {
		absent = hooks[id].kind >= 0 ?
			 kind_absent(s, hooks[id].kind) : NULL;
		if (absent) {
			why_add(s->h[id].why, sizeof(s->h[id].why), "%s",
				absent);
			continue;
		}
		if (o->force_syscall) {
			why_add(s->h[id].why, sizeof(s->h[id].why),
				"fentry and kprobe disabled (--mode syscall)");
			continue;
		}
		if (!wanted_hook(o, id)) {
			why_add(s->h[id].why, sizeof(s->h[id].why),
				"not requested (-k)");
			continue;
		}
		plan_hook(s, o, id);
	}
}

static int load_and_attach(struct session *s, const struct session_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo,
		    .btf_custom_path = s->kenv.btf_path);
	int err;

	s->skel = pfnmap_bpf__open_opts(&oo);
	if (!s->skel) {
		fprintf(stderr, "pfnmap: cannot open BPF object: %s\n",
			strerror(errno));
		return -errno;
	}
	configure_rodata(s, o);
	err = size_maps(s, o);
	if (!err)
		err = configure_progs(s);
	/*
	 * Our BTF and kallsyms were for planning: free them before libbpf
	 * parses vmlinux BTF again for the load, so the two copies never
	 * add up (tens of MiB of peak RSS for a long-running top or export).
	 */
	kenv_close(&s->kenv);
	if (!err)
		err = pfnmap_bpf__load(s->skel);
	if (err) {
		fprintf(stderr, "pfnmap: loading BPF programs failed: %s (run with -v for the verifier log)\n",
			strerror(-err));
		return err;
	}
	attach_hooks(s);
	err = attach_syscall_view(s, o);
	if (!err && o->follow_children)
		err = attach_tp(s, 2, "tp_fork");
	if (err) {
		fprintf(stderr, "pfnmap: cannot attach tracepoints: %s\n",
			strerror(-err));
		return err;
	}
	compute_modes(s);
	return 0;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct session *s = ctx;

	if (size < sizeof(struct pfnmap_event))
		return 0;
	return s->cb ? s->cb(s->cb_ctx, data) : 0;
}

int session_open(struct session **sp, const struct session_opts *o)
{
	struct session *s;
	int err;

	verbose_level = o->verbose;
	libbpf_set_print(libbpf_print);
	err = check_privileges();
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->stats_fd = -1;
	s->aggregate = o->aggregate;
	s->agg_by = o->aggregate ? o->agg_by : 0;
	err = open_kernel(s);
	if (!err)
		err = ensure_tracefs(s);
	if (!err) {
		plan_all(s, o);
		err = load_and_attach(s, o);
	}
	if (!err) {
		s->rb = ring_buffer__new(bpf_map__fd(s->skel->maps.events),
					 on_event, s, NULL);
		if (!s->rb)
			err = -errno;
	}
	if (!err && o->prog_stats)
		s->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (!err && o->tgid && o->follow_children)
		err = session_track_tgid(s, o->tgid);
	if (err) {
		session_close(s);
		return err;
	}
	*sp = s;
	return 0;
}

int session_track_tgid(struct session *s, __u32 tgid)
{
	__u8 one = 1;

	return bpf_map_update_elem(bpf_map__fd(s->skel->maps.tracked), &tgid,
				   &one, BPF_ANY);
}

int session_poll(struct session *s, int timeout_ms, session_cb cb, void *ctx)
{
	int n;

	s->cb = cb;
	s->cb_ctx = ctx;
	n = ring_buffer__poll(s->rb, timeout_ms);
	/*
	 * The BPF side wakes us only when the ring fills up, so a poll that
	 * timed out still has records to read: take them now, or a capture
	 * killed later would lose them.
	 */
	if (n == 0 || n == -EINTR)
		n = ring_buffer__consume(s->rb);
	return n == -EINTR ? 0 : n;
}

int session_drain(struct session *s, session_cb cb, void *ctx)
{
	int n;

	s->cb = cb;
	s->cb_ctx = ctx;
	n = ring_buffer__consume(s->rb);
	return n == -EINTR ? 0 : n;
}

/* Sum of a per-CPU counter; a failed read is said, never shown as 0. */
static __u64 percpu_sum(int map_fd, __u32 idx)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *vals, sum = 0;
	int i;

	vals = ncpu > 0 ? calloc(ncpu, sizeof(*vals)) : NULL;
	if (!vals || bpf_map_lookup_elem(map_fd, &idx, vals)) {
		fprintf(stderr, "pfnmap: cannot read the drop counters: %s\n",
			strerror(errno));
		free(vals);
		return 0;
	}
	for (i = 0; i < ncpu; i++)
		sum += vals[i];
	free(vals);
	return sum;
}

void session_drops_detail(struct session *s, __u64 *ringbuf, __u64 *task_full)
{
	int fd = bpf_map__fd(s->skel->maps.stats);

	*ringbuf = percpu_sum(fd, PFNMAP_STAT_RB_DROPS);
	*task_full = percpu_sum(fd, PFNMAP_STAT_TASK_FULL);
}

__u64 session_drops(struct session *s)
{
	__u64 rb, full;

	session_drops_detail(s, &rb, &full);
	return s->aggregate ? full : rb + full;
}

__u64 session_exemplars_lost(struct session *s)
{
	__u64 rb, full;

	session_drops_detail(s, &rb, &full);
	return s->aggregate ? rb : 0;
}

/* Sums one group's per-CPU values into a and adds it under key k. */
static int add_group(struct agg *a, int fd, const void *mkey,
		     const struct agg_key *k, struct pfnmap_agg *vals, int ncpu)
{
	struct agg_stats *st;
	int err;

	if (bpf_map_lookup_elem(fd, mkey, vals))
		return errno == ENOENT ? 0 : -errno;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	agg_stats_add_percpu(st, vals, ncpu);
	err = st->ops ? agg_add_group(a, k, st) : 0;
	free(st);
	return err;
}

static int read_kind_groups(struct session *s, struct agg *a,
			    struct pfnmap_agg *vals, int ncpu)
{
	int fd = bpf_map__fd(s->skel->maps.agg_kinds);
	struct agg_key k;
	__u32 kind;
	int err = 0;

	for (kind = 0; kind < PFNMAP_K_MAX && !err; kind++) {
		memset(&k, 0, sizeof(k));
		k.kind = (__u8)kind;
		if (s->agg_by)
			strcpy(k.comm, "other");
		err = add_group(a, fd, &kind, &k, vals, ncpu);
	}
	return err;
}

static int read_hash_groups(struct session *s, struct agg *a,
			    struct pfnmap_agg *vals, int ncpu)
{
	int fd = bpf_map__fd(s->skel->maps.aggs);
	struct pfnmap_agg_key mk, next, *prev = NULL;
	struct agg_key k;
	int err = 0;

	while (!err && !bpf_map_get_next_key(fd, prev, &next)) {
		mk = next;
		prev = &mk;
		memset(&k, 0, sizeof(k));
		k.kind = mk.kind;
		k.pid = mk.pid;
		k.cgroup_id = mk.cgroup_id;
		k.caller = mk.caller;
		memcpy(k.comm, mk.comm, sizeof(k.comm) - 1);
		err = add_group(a, fd, &mk, &k, vals, ncpu);
	}
	return err;
}

int session_read_aggs(struct session *s, struct agg *a)
{
	int ncpu = libbpf_num_possible_cpus();
	struct pfnmap_agg *vals;
	int err;

	if (!s->aggregate)
		return -EINVAL;
	vals = ncpu > 0 ? calloc(ncpu, sizeof(*vals)) : NULL;
	if (!vals)
		return -ENOMEM;
	err = read_kind_groups(s, a, vals, ncpu);
	if (!err && s->agg_by)
		err = read_hash_groups(s, a, vals, ncpu);
	free(vals);
	if (err)
		fprintf(stderr, "pfnmap: cannot read the in-kernel aggregates: %s\n",
			strerror(-err));
	return err;
}

const struct kind_mode *session_mode(struct session *s, int kind)
{
	if (kind < 0 || kind >= PFNMAP_K_MAX)
		return NULL;
	return &s->modes[kind];
}

int session_hook_count(void)
{
	return H_MAX;
}

void session_hook_report(struct session *s, int id, struct hook_report *r)
{
	const struct hook_state *hs = &s->h[id];

	r->hook = hooks[id].name;
	r->func = hs->source == PFNMAP_S_KPROBE ? hs->ksym :
		  hs->cand ? hs->cand->func : NULL;
	r->where = hs->cand ? (hs->cand->module ? hs->cand->module :
			       "vmlinux") : NULL;
	r->source = hs->source;
	r->why = hs->why;
}

const char *session_field_why(struct session *s, int kind, int field)
{
	char buf[200];
	const char *why = field_missing_why(kind, field, s->attached,
					    s->feats, buf, sizeof(buf));
	int h = field_missing_hook(kind, field, s->attached);

	if (kind >= 0 && kind < PFNMAP_K_MAX &&
	    s->skel->bss->ioctl_fill[kind] == PFNMAP_FILL_HANDLER)
		return "handler view: the ioctl handler's entry and exit cannot see inside the operation";
	if (why && h >= 0 && s->h[h].why[0])
		snprintf(s->field_why, sizeof(s->field_why), "%s (%s)", why,
			 s->h[h].why);
	else if (why)
		snprintf(s->field_why, sizeof(s->field_why), "%s", why);
	return why ? s->field_why : NULL;
}

int session_prog_stats(struct session *s, __u64 *run_ns, __u64 *run_cnt)
{
	struct bpf_program *p;

	*run_ns = *run_cnt = 0;
	if (s->stats_fd < 0)
		return -EOPNOTSUPP;
	bpf_object__for_each_program(p, s->skel->obj) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_program__fd(p);

		if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
			continue;
		*run_ns += info.run_time_ns;
		*run_cnt += info.run_cnt;
	}
	return 0;
}

void session_close(struct session *s)
{
	int id, i;

	if (!s)
		return;
	ring_buffer__free(s->rb);
	for (id = 0; id < H_MAX; id++)
		detach_hook(&s->h[id]);
	for (i = 0; i < 4; i++)
		bpf_link__destroy(s->tp_links[i]);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	pfnmap_bpf__destroy(s->skel);
	kenv_close(&s->kenv);
	if (s->mounted_tracefs)
		umount2("/sys/kernel/tracing", MNT_DETACH);
	free(s);
}
