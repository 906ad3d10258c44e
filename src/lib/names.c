// SPDX-License-Identifier: GPL-2.0
/*
 * names.c - names of record kinds (from the registry), sources and errnos,
 * both ways.
 *
 * The errno table is ours, not strerror(): reports show the kernel's
 * symbolic names, including the kernel-internal errnos (>= 512) that
 * never reach user space through a syscall but do show up as return
 * values of the traced kernel functions.
 */
#include <errno.h>
#include <stddef.h>
#include <strings.h>
#include <string.h>
#include "agg.h"

#define ARRAY_SIZE(x)	(sizeof(x) / sizeof((x)[0]))

static const char *const source_names[PFNMAP_S_MAX] = {
	[PFNMAP_S_NONE]		= "none",
	[PFNMAP_S_FENTRY]	= "fentry",
	[PFNMAP_S_KPROBE]	= "kprobe",
	[PFNMAP_S_SYSCALL]	= "syscall",
	[PFNMAP_S_RAW_TP]	= "raw_tp",
};

/* Kernel-internal errnos, from include/linux/errno.h: not in uapi. */
#define ERESTARTSYS		512
#define ERESTARTNOINTR		513
#define ERESTARTNOHAND		514
#define ENOIOCTLCMD		515
#define ERESTART_RESTARTBLOCK	516
#define EPROBE_DEFER		517
#define EOPENSTALE		518
#define ENOPARAM		519
#define EBADHANDLE		521
#define ENOTSYNC		522
#define EBADCOOKIE		523
#define ENOTSUPP		524
#define ETOOSMALL		525
#define ESERVERFAULT		526
#define EBADTYPE		527
#define EJUKEBOX		528
#define EIOCBQUEUED		529
#define ERECALLCONFLICT		530

/*
 * Indexed by errno.  The uapi values come from <errno.h> rather than
 * literals: they differ on a few architectures (mips, sparc, ...) and
 * the traced kernel is the one we run on.
 */
#define E(name)	[name] = #name
static const char *const errno_names[] = {
	/* asm-generic/errno-base.h */
	E(EPERM), E(ENOENT), E(ESRCH), E(EINTR), E(EIO), E(ENXIO), E(E2BIG),
	E(ENOEXEC), E(EBADF), E(ECHILD), E(EAGAIN), E(ENOMEM), E(EACCES),
	E(EFAULT), E(ENOTBLK), E(EBUSY), E(EEXIST), E(EXDEV), E(ENODEV),
	E(ENOTDIR), E(EISDIR), E(EINVAL), E(ENFILE), E(EMFILE), E(ENOTTY),
	E(ETXTBSY), E(EFBIG), E(ENOSPC), E(ESPIPE), E(EROFS), E(EMLINK),
	E(EPIPE), E(EDOM), E(ERANGE),
	/* asm-generic/errno.h */
	E(EDEADLK), E(ENAMETOOLONG), E(ENOLCK), E(ENOSYS), E(ENOTEMPTY),
	E(ELOOP), E(ENOMSG), E(EIDRM), E(ECHRNG), E(EL2NSYNC), E(EL3HLT),
	E(EL3RST), E(ELNRNG), E(EUNATCH), E(ENOCSI), E(EL2HLT), E(EBADE),
	E(EBADR), E(EXFULL), E(ENOANO), E(EBADRQC), E(EBADSLT), E(EBFONT),
	E(ENOSTR), E(ENODATA), E(ETIME), E(ENOSR), E(ENONET), E(ENOPKG),
	E(EREMOTE), E(ENOLINK), E(EADV), E(ESRMNT), E(ECOMM), E(EPROTO),
	E(EMULTIHOP), E(EDOTDOT), E(EBADMSG), E(EOVERFLOW), E(ENOTUNIQ),
	E(EBADFD), E(EREMCHG), E(ELIBACC), E(ELIBBAD), E(ELIBSCN), E(ELIBMAX),
	E(ELIBEXEC), E(EILSEQ), E(ERESTART), E(ESTRPIPE), E(EUSERS),
	E(ENOTSOCK), E(EDESTADDRREQ), E(EMSGSIZE), E(EPROTOTYPE),
	E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EOPNOTSUPP),
	E(EPFNOSUPPORT), E(EAFNOSUPPORT), E(EADDRINUSE), E(EADDRNOTAVAIL),
	E(ENETDOWN), E(ENETUNREACH), E(ENETRESET), E(ECONNABORTED),
	E(ECONNRESET), E(ENOBUFS), E(EISCONN), E(ENOTCONN), E(ESHUTDOWN),
	E(ETOOMANYREFS), E(ETIMEDOUT), E(ECONNREFUSED), E(EHOSTDOWN),
	E(EHOSTUNREACH), E(EALREADY), E(EINPROGRESS), E(ESTALE), E(EUCLEAN),
	E(ENOTNAM), E(ENAVAIL), E(EISNAM), E(EREMOTEIO), E(EDQUOT),
	E(ENOMEDIUM), E(EMEDIUMTYPE), E(ECANCELED), E(ENOKEY), E(EKEYEXPIRED),
	E(EKEYREVOKED), E(EKEYREJECTED), E(EOWNERDEAD), E(ENOTRECOVERABLE),
	E(ERFKILL), E(EHWPOISON),
#if EDEADLOCK != EDEADLK
	E(EDEADLOCK),		/* a number of its own on powerpc and sparc */
#endif
	/* include/linux/errno.h */
	E(ERESTARTSYS), E(ERESTARTNOINTR), E(ERESTARTNOHAND), E(ENOIOCTLCMD),
	E(ERESTART_RESTARTBLOCK), E(EPROBE_DEFER), E(EOPENSTALE), E(ENOPARAM),
	E(EBADHANDLE), E(ENOTSYNC), E(EBADCOOKIE), E(ENOTSUPP), E(ETOOSMALL),
	E(ESERVERFAULT), E(EBADTYPE), E(EJUKEBOX), E(EIOCBQUEUED),
	E(ERECALLCONFLICT),
};
#undef E

struct errno_alias {
	const char	*name;
	int		err;
};

/*
 * Second names of an errno: accepted on input, never printed.  ENOTSUP
 * is glibc's spelling of EOPNOTSUPP (not the kernel's ENOTSUPP).
 */
static const struct errno_alias errno_aliases[] = {
	{ "EWOULDBLOCK",	EWOULDBLOCK },
	{ "EDEADLOCK",		EDEADLOCK },
	{ "ENOTSUP",		EOPNOTSUPP },
};

static const char *name_at(const char *const *names, size_t n, int i)
{
	return i >= 0 && (size_t)i < n ? names[i] : NULL;
}

static int name_index(const char *const *names, size_t n, const char *name,
		      int (*cmp)(const char *, const char *))
{
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < n; i++)
		if (names[i] && !cmp(names[i], name))
			return (int)i;
	return -1;
}

const char *pfnmap_kind_name(int kind)
{
	const struct reg_kind *k = reg_kind(kind);

	return k ? k->name : NULL;
}

int pfnmap_kind_parse(const char *name)
{
	int k;

	for (k = 0; name && k < PFNMAP_K_MAX; k++)
		if (reg_kinds[k].name && !strcmp(reg_kinds[k].name, name))
			return k;
	return -1;
}

const char *pfnmap_source_name(int source)
{
	return name_at(source_names, ARRAY_SIZE(source_names), source);
}

const char *errno_name(int err)
{
	return name_at(errno_names, ARRAY_SIZE(errno_names), err);
}

/* Case does not matter: "efault" typed on a command line means EFAULT. */
int errno_parse(const char *name)
{
	size_t i;

	for (i = 0; name && i < ARRAY_SIZE(errno_aliases); i++)
		if (!strcasecmp(errno_aliases[i].name, name))
			return errno_aliases[i].err;
	return name_index(errno_names, ARRAY_SIZE(errno_names), name, strcasecmp);
}
