/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroups.h - cgroup v2 ids to paths, and the --cgroup filter of
 * `pfnmap top`.
 *
 * A cgroup v2 id is the inode number of its directory and also its kernfs
 * file handle, so open_by_handle_at() turns an id back into a directory
 * whose /proc/self/fd link is the path (as systemd and bpftool do).
 * Ids are never reused, so what is learnt about one is cached for good.
 */
#ifndef __PFNMAP_TOP_CGROUPS_H
#define __PFNMAP_TOP_CGROUPS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct cg_entry {
	__u64		id;
	bool		inside;		/* matches --cgroup */
	char		*path;		/* absolute, NULL if unknown */
};

struct cgroups {
	int		fd;		/* a directory on the cgroup2 fs, -1: none */
	char		mnt[PATH_MAX];	/* its mount point, "" if unknown */
	__u64		filter_id;	/* --cgroup, 0: no filter */
	char		*filter_path;
	struct cg_entry	*e;
	size_t		n, cap;
	size_t		last;		/* the entry found last */
};

/* filter: --cgroup PATH or NULL.  -1 (message printed): a bad PATH. */
int cg_init(struct cgroups *cg, const char *filter);
void cg_free(struct cgroups *cg);
/* What is known of a cgroup id; NULL only when out of memory. */
struct cg_entry *cg_lookup(struct cgroups *cg, __u64 id);
/* "/machine.slice/x.scope": the path below the mount, or "id:N". */
void cg_name(struct cgroups *cg, __u64 id, char *buf, size_t len);

#endif /* __PFNMAP_TOP_CGROUPS_H */
