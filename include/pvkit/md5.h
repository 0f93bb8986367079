/* SPDX-License-Identifier: MIT */
/**
 * @file
 * MD5 (RFC 1321), for data-integrity checks shared with dom0's md5sum: a guest and the host
 * compare digests of what went over a disk or the network. Not for security.
 */
#ifndef PVKIT_MD5_H
#define PVKIT_MD5_H

#include <pvkit/types.h>

/** A running MD5 computation: md5_init(), md5_update() any number of times, md5_final(). */
struct md5_ctx {
	uint32_t state[4];		/**< A, B, C, D */
	uint64_t bytes;			/**< message length so far */
	uint8_t block[64];		/**< a partial block */
};

/**
 * md5_init() - start a digest.
 * @param c the context to (re)initialise.
 */
void md5_init(struct md5_ctx *c);

/**
 * md5_update() - add bytes to the message.
 * @param c    the context.
 * @param data the bytes.
 * @param len  how many (any number, also 0).
 */
void md5_update(struct md5_ctx *c, const void *data, size_t len);

/**
 * md5_final() - pad, finish and give the digest; @p c must be md5_init()ed again for reuse.
 * @param c      the context.
 * @param digest receives the 16-byte digest.
 */
void md5_final(struct md5_ctx *c, uint8_t digest[16]);

/**
 * md5_hex() - the digest as md5sum prints it.
 * @param digest a digest from md5_final().
 * @param out    receives 32 lowercase hex characters and a NUL.
 */
void md5_hex(const uint8_t digest[16], char out[33]);

#endif /* PVKIT_MD5_H */
