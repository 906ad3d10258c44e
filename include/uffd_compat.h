/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uffd_compat.h - userfaultfd UAPI newer than Debian 12's headers, for the
 * loader's ioctl views and the workloads.  Include after
 * <linux/userfaultfd.h>; a newer header wins.
 */
#ifndef __PFNMAP_UFFD_COMPAT_H
#define __PFNMAP_UFFD_COMPAT_H

#include <linux/types.h>

/* Linux 6.6 */
#ifndef UFFDIO_POISON
struct uffdio_poison {
	struct uffdio_range range;
	__u64 mode;
	__s64 updated;
};
#define UFFDIO_POISON		_IOWR(UFFDIO, 0x08, struct uffdio_poison)
#endif

/* Linux 6.8 */
#ifndef UFFDIO_MOVE
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
	__s64 move;
};
#define UFFDIO_MOVE		_IOWR(UFFDIO, 0x05, struct uffdio_move)
#endif
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE	(1 << 16)
#endif

#endif /* __PFNMAP_UFFD_COMPAT_H */
