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

unsigned long long kenv_sym_addr(struct kenv *k, const char *name)
{
	const struct ksym *s = ksyms_by_name(k->ksyms, name);

	return s ? s->addr : 0;
}

int kenv_sym_range(struct kenv *k, const char *name, unsigned long long *lo,
		   unsigned long long *hi)
{
	__u64 l, h;
	int err = ksyms_range(k->ksyms, name, &l, &h);

	*lo = l;
	*hi = h;
	return err;
}

bool kenv_has_sym(const struct kenv *k, const char *name)
{
	return ksyms_by_name(k->ksyms, name);
}

/* A compiler clone "name.constprop.0" etc., or NULL. */
static const char *clone_sym(const struct kenv *k, const char *name)
{
	const struct ksym *s;
	char pfx[160];

	snprintf(pfx, sizeof(pfx), "%s.", name);
	s = ksyms_by_prefix(k->ksyms, pfx);
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
	/* names even if kptr_restrict hides addresses: enough to choose */
	k->ksyms = ksyms_load(NULL);
	return k->ksyms ? 0 : -errno;
}

void kenv_close(struct kenv *k)
{
	ksyms_free(k->ksyms);
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
