/* SPDX-License-Identifier: MIT */
/* Error numbers. Functions return 0 or -Exxx. The values are Linux's (and Xen's public
 * errno.h uses the same), so a hypercall's negative return can be passed on unchanged. */
#ifndef PVKIT_ERRNO_H
#define PVKIT_ERRNO_H

#define EPERM		1
#define ENOENT		2
#define ESRCH		3
#define EINTR		4
#define EIO		5
#define ENXIO		6
#define E2BIG		7
#define ENOEXEC		8
#define EBADF		9
#define EAGAIN		11
#define ENOMEM		12
#define EACCES		13
#define EFAULT		14
#define EBUSY		16
#define EEXIST		17
#define ENODEV		19
#define EISDIR		21
#define EINVAL		22
#define ENOSPC		28
#define EROFS		30
#define EPIPE		32
#define EDOM		33
#define ERANGE		34
#define EDEADLK		35
#define ENAMETOOLONG	36
#define ENOSYS		38
#define ENOTEMPTY	39
#define ENODATA		61
#define ETIME		62
#define EPROTO		71
#define EBADMSG		74
#define EOVERFLOW	75
#define EILSEQ		84
#define EMSGSIZE	90
#define EOPNOTSUPP	95
#define EADDRINUSE	98
#define ENETDOWN	100
#define ECONNRESET	104
#define ENOBUFS		105
#define EISCONN		106
#define ETIMEDOUT	110
#define ECONNREFUSED	111
#define EHOSTUNREACH	113
#define EALREADY	114
#define EINPROGRESS	115
#define ECANCELED	125

const char *strerror_name(int err);	/* "EINVAL" for 22 or -22; "E?" if unknown */

#endif /* PVKIT_ERRNO_H */
