// SPDX-License-Identifier: GPL-2.0
/*
 * floor.c - run a command with empty BPF programs attached (the cost floor
 * of tracing those functions), or list the run time of every BPF program.
 *
 *   floor [-F FUNC]... [-f FUNC]... [-x FUNC]... [--tp-ioctl] [--tp-fork]
 *         [--stats] [-o FILE] -- CMD [ARGS...]
 *	-F FUNC    empty fentry and fexit programs on FUNC (vmlinux or module)
 *	-f / -x    fentry only / fexit only
 *	--tp-ioctl empty programs on syscalls:sys_{enter,exit}_ioctl
 *	--tp-fork  an empty program on sched:sched_process_fork
 *	--stats    BPF_ENABLE_STATS while CMD runs (costs two clock reads per
 *		   program run), and print each program's run count and time
 *	-o FILE    write that JSON there instead of stderr
 *   Exit status: CMD's; 1 if loading or attaching failed; 2 usage.
 *
 *   floor --list [PID]
 *	one JSON line per BPF program loaded in the system (with PID: only
 *	those PID holds a file descriptor of, so that another tracer running
 *	on a shared host does not mix into a session's numbers): id, type,
 *	name, run_cnt, run_time_ns (zero unless stats are enabled, by
 *	someone's BPF_ENABLE_STATS or kernel.bpf_stats_enabled=1)
 *
 *   floor --pfnmap-targets
 *	run inside a pfnmap session (pfnmap stat -- floor --pfnmap-targets):
 *	prints the floor options that put an empty program where pfnmap has
 *	one: -f/-x FUNC for its fentry/fexit programs (named fe_* and fx_*,
 *	target function from the program's attach BTF id), --tp-ioctl and
 *	--tp-fork for its tracepoint programs.  Its kprobes and raw
 *	tracepoints are left out (none on the benchmarked paths of 7.3).
 *
 * Static, like every program the guests run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

#define SLOTS 24	/* as many as floor.bpf.c has */

struct slot {
	const char	*func;
	bool		entry;
};

/* Does pid hold an fd of program id (a prog fd, or a link's: prog_id in
 * fdinfo)?  pid 0: every program counts. */
static bool held_by(pid_t pid, __u32 id)
{
	char path[300], line[128];
	struct dirent *de;
	bool found = false;
	unsigned int v;
	DIR *d;
	FILE *f;

	if (!pid)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)pid);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", (int)pid,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "prog_id: %u", &v) == 1 && v == id) {
				found = true;
				break;
			}
		fclose(f);
	}
	closedir(d);
	return found;
}

static int list_progs(pid_t pid)
{
	__u32 id = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (!held_by(pid, id))
			continue;
		fd = bpf_prog_get_fd_by_id(id);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			printf("{\"id\":%u,\"type\":%u,\"name\":\"%s\",\"run_cnt\":%llu,\"run_time_ns\":%llu}\n",
			       id, info.type, info.name,
			       (unsigned long long)info.run_cnt,
			       (unsigned long long)info.run_time_ns);
		close(fd);
	}
	return 0;
}

/* Name of function btf_id in BTF object obj_id (vmlinux or a module). */
static const char *btf_func_name(struct btf *vmlinux, __u32 obj_id, __u32 btf_id,
				 char *buf, size_t len)
{
	struct bpf_btf_info bi = {};
	char name[64] = "";
	__u32 blen = sizeof(bi);
	struct btf *btf = vmlinux;
	const struct btf_type *t;
	int fd = bpf_btf_get_fd_by_id(obj_id);

	if (fd < 0)
		return NULL;
	bi.name = (unsigned long)name;
	bi.name_len = sizeof(name);
	if (bpf_obj_get_info_by_fd(fd, &bi, &blen)) {
		close(fd);
		return NULL;
	}
	close(fd);
	if (strcmp(name, "vmlinux"))
		btf = btf__load_from_kernel_by_id_split(obj_id, vmlinux);
	if (!btf)
		return NULL;
	t = btf__type_by_id(btf, btf_id);
	if (t)
		snprintf(buf, len, "%s", btf__name_by_offset(btf, t->name_off));
	if (btf != vmlinux)
		btf__free(btf);
	return t ? buf : NULL;
}

static int pfnmap_targets(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	bool tp_ioctl = false, tp_fork = false;
	__u32 id = 0;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);
		char fn[128];

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
			close(fd);
			continue;
		}
		close(fd);
		if (info.type == BPF_PROG_TYPE_TRACING && info.attach_btf_id &&
		    (!strncmp(info.name, "fe_", 3) || !strncmp(info.name, "fx_", 3)) &&
		    btf_func_name(vmlinux, info.attach_btf_obj_id,
				  info.attach_btf_id, fn, sizeof(fn)))
			printf("-%c %s ", info.name[1] == 'e' ? 'f' : 'x', fn);
		else if (info.type == BPF_PROG_TYPE_TRACEPOINT &&
			 !strncmp(info.name, "tp_ioctl", 8))
			tp_ioctl = true;
		else if (info.type == BPF_PROG_TYPE_TRACEPOINT &&
			 !strcmp(info.name, "tp_fork"))
			tp_fork = true;
	}
	printf("%s%s\n", tp_ioctl ? "--tp-ioctl " : "", tp_fork ? "--tp-fork" : "");
	btf__free(vmlinux);
	return 0;
}

static int silent(enum libbpf_print_level l, const char *fmt, va_list ap)
{
	if (l == LIBBPF_WARN)
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void usage(FILE *f)
{
	fputs("usage: floor [-F FUNC]... [-f FUNC]... [-x FUNC]... [--tp-ioctl] [--tp-fork]\n"
	      "             [--stats] [-o FILE] -- CMD [ARGS...]\n"
	      "       floor --list [PID]\n"
	      "       floor --pfnmap-targets\n", f);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "tp-ioctl", no_argument, NULL, 'T' },
		{ "tp-fork", no_argument, NULL, 'K' },
		{ "pfnmap-targets", no_argument, NULL, 'P' },
		{ "stats", no_argument, NULL, 'S' },
		{ "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct slot fe[SLOTS], fx[SLOTS];
	int nfe = 0, nfx = 0, tp = 0, tpf = 0, stats = 0, stats_fd = -1, opt, i, status;
	struct rlimit rl = { RLIM_INFINITY, RLIM_INFINITY };
	struct bpf_program *p;
	struct floor_bpf *skel;
	const char *out = NULL;
	FILE *of = stderr;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "+F:f:x:o:h", lo, NULL)) != -1) {
		switch (opt) {
		case 'F':
		case 'f':
			if (nfe == SLOTS)
				goto full;
			fe[nfe++] = (struct slot){ optarg, true };
			if (opt == 'f')
				break;
			/* fallthrough */
		case 'x':
			if (nfx == SLOTS)
				goto full;
			fx[nfx++] = (struct slot){ optarg, false };
			break;
		case 'T': tp = 1; break;
		case 'K': tpf = 1; break;
		case 'P': return pfnmap_targets();
		case 'S': stats = 1; break;
		case 'L': return list_progs(optind < argc ? atoi(argv[optind]) : 0);
		case 'o': out = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	setrlimit(RLIMIT_MEMLOCK, &rl);
	libbpf_set_print(silent);
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: open: %s\n", strerror(errno));
		return 1;
	}
	i = 0;
	bpf_object__for_each_program(p, skel->obj) {
		const char *n = bpf_program__name(p);
		int k = atoi(n + 2);

		if (!strcmp(n, "tp_enter") || !strcmp(n, "tp_exit")) {
			bpf_program__set_autoload(p, tp);
			continue;
		}
		if (!strcmp(n, "tp_fork")) {
			bpf_program__set_autoload(p, tpf);
			continue;
		}
		if (n[1] == 'e' && k < nfe)
			i = bpf_program__set_attach_target(p, 0, fe[k].func);
		else if (n[1] == 'x' && k < nfx)
			i = bpf_program__set_attach_target(p, 0, fx[k].func);
		else
			bpf_program__set_autoload(p, false);
		if (i) {
			fprintf(stderr, "floor: %s: no target %s\n", n, strerror(-i));
			return 1;
		}
	}
	i = floor_bpf__load(skel);
	if (!i)
		i = floor_bpf__attach(skel);
	if (i) {
		fprintf(stderr, "floor: load/attach: %s\n", strerror(-i));
		return 1;
	}
	if (stats) {
		stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
		if (stats_fd < 0)
			fprintf(stderr, "floor: BPF_ENABLE_STATS: %s\n", strerror(errno));
	}
	pid = fork();
	if (pid == 0) {
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "floor: %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	if (stats) {
		if (out && !(of = fopen(out, "w")))
			of = stderr;
		fprintf(of, "{\"progs\":[");
		i = 0;
		bpf_object__for_each_program(p, skel->obj) {
			struct bpf_prog_info info = {};
			__u32 len = sizeof(info);
			const char *n = bpf_program__name(p);
			int fd = bpf_program__fd(p), k = atoi(n + 2);
			const char *target = n[0] == 't' ? n + 3 :
					     n[1] == 'e' ? fe[k].func : fx[k].func;

			if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len))
				continue;
			fprintf(of, "%s{\"name\":\"%s\",\"target\":\"%s\",\"run_cnt\":%llu,\"run_time_ns\":%llu}",
				i++ ? "," : "", n, target,
				(unsigned long long)info.run_cnt,
				(unsigned long long)info.run_time_ns);
		}
		fprintf(of, "]}\n");
		if (of != stderr)
			fclose(of);
	}
	floor_bpf__destroy(skel);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
full:
	fprintf(stderr, "floor: at most %d functions per direction\n", SLOTS);
	return 2;
}
