/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Error numbers. Functions return 0 or -Exxx. The values are Linux's (and Xen's public
 * errno.h uses the same), so a hypercall's negative return can be passed on unchanged.
 */
#ifndef PVKIT_ERRNO_H
#define PVKIT_ERRNO_H

#define EPERM		1	/**< operation not permitted */
#define ENOENT		2	/**< no such entry */
#define ESRCH		3	/**< no such process */
#define EINTR		4	/**< interrupted */
#define EIO		5	/**< I/O error */
#define ENXIO		6	/**< no such device or address */
#define E2BIG		7	/**< argument list too long */
#define ENOEXEC		8	/**< exec format error */
#define EBADF		9	/**< bad handle */
#define EAGAIN		11	/**< try again */
#define ENOMEM		12	/**< out of memory */
#define EACCES		13	/**< permission denied */
#define EFAULT		14	/**< bad address */
#define EBUSY		16	/**< busy */
#define EEXIST		17	/**< exists already */
#define ENODEV		19	/**< no such device */
#define EISDIR		21	/**< is a directory */
#define EINVAL		22	/**< invalid argument */
#define ENOSPC		28	/**< no space left */
#define EROFS		30	/**< read-only */
#define EPIPE		32	/**< broken pipe */
#define EDOM		33	/**< argument out of domain */
#define ERANGE		34	/**< result out of range */
#define EDEADLK		35	/**< would deadlock */
#define ENAMETOOLONG	36	/**< name too long */
#define ENOSYS		38	/**< not implemented */
#define ENOTEMPTY	39	/**< not empty */
#define ENODATA		61	/**< no data available */
#define ETIME		62	/**< timer expired */
#define EPROTO		71	/**< protocol error */
#define EBADMSG		74	/**< bad message */
#define EOVERFLOW	75	/**< value too large */
#define EILSEQ		84	/**< illegal byte sequence */
#define EMSGSIZE	90	/**< message too long */
#define EOPNOTSUPP	95	/**< operation not supported */
#define EADDRINUSE	98	/**< address in use */
#define ENETDOWN	100	/**< network is down */
#define ECONNRESET	104	/**< connection reset */
#define ENOBUFS		105	/**< no buffer space */
#define EISCONN		106	/**< already connected */
#define ETIMEDOUT	110	/**< timed out */
#define ECONNREFUSED	111	/**< connection refused */
#define EHOSTUNREACH	113	/**< no route to host */
#define EALREADY	114	/**< already in progress */
#define EINPROGRESS	115	/**< now in progress */
#define ECANCELED	125	/**< cancelled */

/**
 * strerror_name() - the name of an error number, so messages say "-EINVAL" rather than "-22".
 * @param err an error number, positive or negative.
 * @return "EINVAL" for 22 or -22; "E?" if unknown.
 */
const char *strerror_name(int err);

#endif /* PVKIT_ERRNO_H */
