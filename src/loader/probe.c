// SPDX-License-Identifier: GPL-2.0
/*
 * probe.c - feature probing, per function, at load time.
 *
 * BTF says a function was compiled; kallsyms says it still exists under
 * its own name (pahole may emit a BTF FUNC for a function whose only
 * symbol is a .constprop/.isra clone, and fentry then fails to load);
 * loading and attaching an empty fentry program says whether the kernel
 * lets us (this machine's host kernel answers EPERM, 6.1 answers -524
 * for functions with more than six arguments).
 *
 * Of kallsyms only the names targets.c can ask about are kept: the whole
 * table would cost 10 MiB while the kernel's BTF is held too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "ksyms.h"
#include "probe.h"
#include "targets.h"

/* What a wanted name keeps besides KSYMS_KEEP and KSYMS_END: */
#define KW_CLONES	(1 << 8)	/* its compiler clones "name.*" */

struct kwant {
	char		name[128];
	int		flags;
};

static int cmp_want(const void *a, const void *b)
{
	return strcmp(((const struct kwant *)a)->name,
		      ((const struct kwant *)b)->name);
}

/* The wanted name that is name[0..len), or NULL. */
static const struct kwant *want_find(const struct kenv *k, const char *name,
				     size_t len)
{
	size_t lo = 0, hi = k->nwant;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *w = k->want[mid].name;
		int c = strncmp(w, name, len);

		if (!c && w[len])
			c = 1;		/* w is longer */
		if (!c)
			return &k->want[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Adds name, or what flags add to it if it is there (unsorted yet). */
static int want(struct kenv *k, const char *name, int flags)
{
	struct kwant *w;
	size_t i;

	for (i = 0; i < k->nwant; i++) {
		if (!strcmp(k->want[i].name, name)) {
			k->want[i].flags |= flags;
			return 0;
		}
	}
	w = realloc(k->want, (k->nwant + 1) * sizeof(*w));
	if (!w)
		return -ENOMEM;
	k->want = w;
	w += k->nwant++;
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->flags = flags;
	return 0;
}

/*
 * Every name session.c's planning may look up: the hooks' functions (and
 * clones), raw tracepoints and knames.  One it asks about that is not
 * here still gets its answer, from the whole table (see table()).
 */
static int want_names(struct kenv *k)
{
	const struct candidate *c;
	const char *const *z;
	char tp[160];
	int id, err = 0;

	for (id = 0; !err && id < H_MAX; id++) {
		for (c = hooks[id].cands; !err && c && c->func; c++) {
			err = want(k, c->func, KSYMS_KEEP | KW_CLONES);
			snprintf(tp, sizeof(tp), "__tracepoint_%s", c->func);
			if (!err && hooks[id].rt)
				err = want(k, tp, KSYMS_KEEP);
		}
	}
	if (!err)
		err = want(k, knames.fault_handler, KSYMS_KEEP | KSYMS_END);
	for (z = knames.zero_pfn; !err && *z; z++)
		err = want(k, *z, KSYMS_KEEP);
	if (!err)
		err = want(k, knames.vmemmap_base, KSYMS_KEEP);
	qsort(k->want, k->nwant, sizeof(*k->want), cmp_want);
	return err;
}

/* ksyms_load_some()'s filter: wanted names and their clones. */
static int keep_sym(const char *name, void *ctx)
{
	const struct kenv *k = ctx;
	const struct kwant *w = want_find(k, name, strlen(name));
	const char *dot;

	if (w)
		return w->flags & (KSYMS_KEEP | KSYMS_END);
	/* "func.constprop.0", "func.isra.0.cold" */
	for (dot = strchr(name, '.'); dot; dot = strchr(dot + 1, '.')) {
		w = want_find(k, name, dot - name);
		if (w && (w->flags & KW_CLONES))
			return KSYMS_KEEP;
	}
	return 0;
}

/*
 * The table that answers need about name: the kept part, or for a name
 * want_names() misses the whole of kallsyms, read at the first such
 * question (right, only no longer lean).  NULL if that cannot be read.
 */
static const struct ksyms *table(struct kenv *k, const char *name, int need)
{
	const struct kwant *w = want_find(k, name, strlen(name));

	if (w && (w->flags & need) == need)
		return k->ksyms;
	if (!k->all_tried) {
		k->all_tried = true;
		k->all = ksyms_load(NULL);
	}
	return k->all;
}

static const struct ksym *find_sym(struct kenv *k, const char *name)
{
	const struct ksyms *t = table(k, name, KSYMS_KEEP);

	return t ? ksyms_by_name(t, name) : NULL;
}

unsigned long long kenv_sym_addr(struct kenv *k, const char *name)
{
	const struct ksym *s = find_sym(k, name);

	return s ? s->addr : 0;
}

int kenv_sym_range(struct kenv *k, const char *name, unsigned long long *lo,
		   unsigned long long *hi)
{
	const struct ksyms *t = table(k, name, KSYMS_KEEP | KSYMS_END);
	__u64 l = 0, h = 0;
	int err = t ? ksyms_range(t, name, &l, &h) : -ENOENT;

	*lo = l;
	*hi = h;
	return err;
}

bool kenv_has_sym(struct kenv *k, const char *name)
{
	return find_sym(k, name);
}

/* A compiler clone "name.constprop.0" etc., or NULL. */
static const char *clone_sym(struct kenv *k, const char *name)
{
	const struct ksyms *t = table(k, name, KSYMS_KEEP | KW_CLONES);
	const struct ksym *s;
	char pfx[160];

	snprintf(pfx, sizeof(pfx), "%s.", name);
	s = t ? ksyms_by_prefix(t, pfx) : NULL;
	return s ? s->name : NULL;
}

int kenv_open(struct kenv *k)
{
	memset(k, 0, sizeof(*k));
	k->btf_path = getenv("PFNMAP_BTF");
	k->vmlinux = k->btf_path ? btf__parse(k->btf_path, NULL) :
				   btf__load_vmlinux_btf();
	if (!k->vmlinux)
		return -ENOENT;
	k->have_kprobes = !access("/sys/bus/event_source/devices/kprobe/type",
				  F_OK);
	if (want_names(k))
		return -ENOMEM;
	/* names even if kptr_restrict hides addresses: enough to choose */
	k->ksyms = ksyms_load_some(NULL, keep_sym, k);
	return k->ksyms ? 0 : -errno;
}

void kenv_close(struct kenv *k)
{
	ksyms_free(k->all);
	ksyms_free(k->ksyms);
	free(k->want);
	btf__free(k->vmlinux);
	memset(k, 0, sizeof(*k));
}

/* fd of the kernel's BTF object for a module, or -errno. */
static int module_btf_fd(const char *module)
{
	__u32 id = 0;

	while (!bpf_btf_get_next_id(id, &id)) {
		struct bpf_btf_info info = {};
		__u32 len = sizeof(info);
		char name[64] = "";
		int fd = bpf_btf_get_fd_by_id(id);

		if (fd < 0)
			continue;
		info.name = (__u64)(unsigned long)name;
		info.name_len = sizeof(name);
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) &&
		    !strcmp(name, module))
			return fd;
		close(fd);
	}
	return -ENOENT;
}

/* Loads and attaches an empty fentry program: 0 or -errno. */
static int try_fentry(int btf_id, int obj_fd, const char **stage)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o,
		    .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = btf_id,
		    .attach_btf_obj_fd = obj_fd > 0 ? obj_fd : 0);
	int fd, link, err = 0;

	*stage = "load";
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "pfnmap_probe", "GPL",
			   insns, 2, &o);
	if (fd < 0)
		return fd;
	*stage = "attach";
	link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	if (link < 0)
		err = link;
	else
		close(link);
	close(fd);
	return err;
}

static const char *errname(int err)
{
	switch (-err) {
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case EBUSY: return "EBUSY";
	case 524: return "ENOTSUPP";
	default: return "error";
	}
}

static void probe_fentry(struct kenv *k, int btf_id,
			 int obj_fd, struct func_probe *fp)
{
	const char *stage = "load";
	int err;

	/* one EPERM means the kernel refuses every tracing program */
	if (k->fentry_err == -EPERM) {
		snprintf(fp->fentry_why, sizeof(fp->fentry_why),
			 "fentry refused by kernel (EPERM)");
		return;
	}
	err = try_fentry(btf_id, obj_fd, &stage);
	if (!err) {
		k->fentry_err = 1;
		return;
	}
	if (err == -EPERM && k->fentry_err != 1) {
		k->fentry_err = -EPERM;
		snprintf(fp->fentry_why, sizeof(fp->fentry_why),
			 "fentry refused by kernel (EPERM)");
		return;
	}
	snprintf(fp->fentry_why, sizeof(fp->fentry_why),
		 "fentry %s failed: %d (%s)%s", stage, err,
		 errname(err), err == -524 ?
		 ": trampoline cannot take this prototype" : "");
}

/* Finds func in the BTF of vmlinux or of a loaded module. */
static int find_btf_func(struct kenv *k, const char *func, const char *module,
			 int *obj_fd, char *why, size_t wlen)
{
	struct btf *btf = k->vmlinux;
	char path[128];
	int id;

	*obj_fd = 0;
	if (module) {
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
		if (access(path, F_OK)) {
			snprintf(why, wlen, "module %s not loaded", module);
			return -ENOENT;
		}
		btf = btf__parse_split(path, k->vmlinux);
		if (!btf) {
			snprintf(why, wlen, "cannot read %s", path);
			return -ENOENT;
		}
	}
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	if (btf != k->vmlinux)
		btf__free(btf);
	if (id < 0) {
		snprintf(why, wlen, "inlined or absent (no BTF FUNC)");
		return -ENOENT;
	}
	if (module) {
		*obj_fd = module_btf_fd(module);
		if (*obj_fd < 0) {
			snprintf(why, wlen, "no BTF object for module %s",
				 module);
			return -ENOENT;
		}
	}
	return id;
}

void kenv_probe(struct kenv *k, const char *func, const char *module,
		struct func_probe *fp)
{
	const char *clone = NULL;
	bool sym = kenv_has_sym(k, func);
	int id, obj_fd;

	memset(fp, 0, sizeof(*fp));
	fp->where = module ? module : "vmlinux";
	if (!sym)
		clone = clone_sym(k, func);
	id = find_btf_func(k, func, module, &obj_fd, fp->fentry_why,
			   sizeof(fp->fentry_why));
	fp->found = id >= 0 || sym || clone;
	if (id >= 0) {
		if (sym)
			probe_fentry(k, id, obj_fd, fp);
		else
			snprintf(fp->fentry_why, sizeof(fp->fentry_why),
				 "BTF FUNC has no symbol of its own%s%s",
				 clone ? ", only " : "",
				 clone ? clone : "");
		if (obj_fd > 0)
			close(obj_fd);
	} else if (module && strstr(fp->fentry_why, "not loaded")) {
		snprintf(fp->kprobe_why, sizeof(fp->kprobe_why), "%s",
			 fp->fentry_why);
		return;
	}
	if (!k->have_kprobes) {
		snprintf(fp->kprobe_why, sizeof(fp->kprobe_why),
			 "no kprobes (kernel has no kprobe PMU)");
	} else if (!sym && !clone) {
		snprintf(fp->kprobe_why, sizeof(fp->kprobe_why),
			 "no symbol in kallsyms");
	} else {
		snprintf(fp->ksym, sizeof(fp->ksym), "%s", sym ? func : clone);
	}
}

/* Searches members, descending into anonymous structs and unions. */
static bool has_member(const struct btf *btf, const struct btf_type *t,
		       const char *mname, int depth)
{
	const struct btf_member *m = btf_members(t);
	int i;

	for (i = 0; i < btf_vlen(t); i++, m++) {
		const struct btf_type *mt = btf__type_by_id(btf, m->type);
		const char *name = btf__name_by_offset(btf, m->name_off);

		if (name && !strcmp(name, mname))
			return true;
		if ((!name || !*name) && mt && btf_is_composite(mt) &&
		    depth < 4 && has_member(btf, mt, mname, depth + 1))
			return true;
	}
	return false;
}

bool kenv_has_member(struct kenv *k, const char *sname, const char *mname)
{
	int id;

	if (!k->vmlinux)
		return false;
	id = btf__find_by_name_kind(k->vmlinux, sname, BTF_KIND_STRUCT);

	return id >= 0 && has_member(k->vmlinux,
				     btf__type_by_id(k->vmlinux, id), mname, 0);
}

/* Name of the struct a BTF type points to, skipping modifiers. */
static const char *pointee_struct(const struct btf *btf, __u32 id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	if (!t || !btf_is_ptr(t))
		return NULL;
	t = btf__type_by_id(btf, t->type);
	while (t && (btf_is_mod(t) || btf_is_typedef(t)))
		t = btf__type_by_id(btf, t->type);
	return t && btf_is_struct(t) ? btf__name_by_offset(btf, t->name_off) :
				       NULL;
}

bool kenv_param_is(struct kenv *k, const char *func, const char *module,
		   int idx, const char *sname)
{
	struct btf *btf = k->vmlinux;
	const struct btf_type *t;
	const char *name;
	char path[128];
	bool ok = false;
	int id;

	if (module) {
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", module);
		btf = btf__parse_split(path, k->vmlinux);
		if (!btf)
			return false;
	}
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	t = id < 0 ? NULL : btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
	if (t && btf_is_func_proto(t) && idx < btf_vlen(t)) {
		name = pointee_struct(btf, btf_params(t)[idx].type);
		ok = name && !strcmp(name, sname);
	}
	if (btf != k->vmlinux)
		btf__free(btf);
	return ok;
}
