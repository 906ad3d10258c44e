// SPDX-License-Identifier: GPL-2.0
/*
 * cgroups.c - cgroup v2 ids to paths, and the --cgroup filter (cgroups.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include "cgroups.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC	0x63677270
#endif
/* The file handle type of kernfs (cgroupfs): the handle is the node id. */
#define FILEID_KERNFS		0xfe
static char *fd_path(int fd)
{
	char link[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

static char *cg_resolve(const struct cgroups *cg, __u64 id)
{
	union {
		struct file_handle	fh;
		char			buf[sizeof(struct file_handle) + 8];
	} h;
	char *path;
	int fd;

	if (cg->fd < 0)
		return NULL;
	h.fh.handle_bytes = sizeof(id);
	h.fh.handle_type = FILEID_KERNFS;
	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cg->fd, &h.fh, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return NULL;
	path = fd_path(fd);
	close(fd);
	return path;
}

static bool path_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

struct cg_entry *cg_lookup(struct cgroups *cg, __u64 id)
{
	struct cg_entry *e;
	size_t i;

	if (cg->n && cg->e[cg->last].id == id)
		return &cg->e[cg->last];
	for (i = 0; i < cg->n; i++)
		if (cg->e[i].id == id)
			return &cg->e[cg->last = i];
	if (cg->n == cg->cap) {
		size_t cap = cg->cap ? cg->cap * 2 : 32;

		e = realloc(cg->e, cap * sizeof(*e));
		if (!e)
			return NULL;
		cg->e = e;
		cg->cap = cap;
	}
	e = &cg->e[cg->n];
	e->id = id;
	e->path = cg_resolve(cg, id);
	/* A cgroup removed before we asked can only match by its id. */
	e->inside = id == cg->filter_id ||
		    (e->path && cg->filter_path &&
		     path_under(e->path, cg->filter_path));
	cg->last = cg->n++;
	return e;
}

/* The first cgroup2 mount of /proc/self/mountinfo, for paths and handles. */
static void cg_find_mount(struct cgroups *cg)
{
	char line[4096], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - cgroup2 ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		snprintf(cg->mnt, sizeof(cg->mnt), "%s", mnt);
		if (cg->fd < 0)
			cg->fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		break;
	}
	if (f)
		fclose(f);
}

static int cg_open_filter(struct cgroups *cg, const char *path)
{
	struct statfs sfs;
	struct stat st;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "pfnmap top: --cgroup %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	if (fstatfs(fd, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC ||
	    fstat(fd, &st)) {
		fprintf(stderr, "pfnmap top: --cgroup %s: not a cgroup v2 directory (%s%s)\n",
			path, cg->mnt[0] ? "cgroup2 is mounted at " :
			"no cgroup2 file system is mounted", cg->mnt);
		close(fd);
		return -1;
	}
	/* Handles resolve against the file system of the filter itself. */
	if (cg->fd >= 0)
		close(cg->fd);
	cg->fd = fd;
	cg->filter_id = st.st_ino;
	cg->filter_path = fd_path(fd);
	return 0;
}

int cg_init(struct cgroups *cg, const char *filter)
{
	memset(cg, 0, sizeof(*cg));
	cg->fd = -1;
	cg_find_mount(cg);
	if (filter && cg_open_filter(cg, filter))
		return -1;
	return 0;
}

void cg_free(struct cgroups *cg)
{
	size_t i;

	for (i = 0; i < cg->n; i++)
		free(cg->e[i].path);
	free(cg->e);
	free(cg->filter_path);
	if (cg->fd >= 0)
		close(cg->fd);
}

/* "/machine.slice/x.scope": the path below the mount, or "id:N". */
void cg_name(struct cgroups *cg, __u64 id, char *buf, size_t len)
{
	struct cg_entry *e = cg_lookup(cg, id);
	size_t n = strlen(cg->mnt);

	if (!e || !e->path)
		snprintf(buf, len, "id:%llu", (unsigned long long)id);
	else if (n && path_under(e->path, cg->mnt))
		snprintf(buf, len, "%s", e->path[n] ? e->path + n : "/");
	else
		snprintf(buf, len, "%s", e->path);
}
