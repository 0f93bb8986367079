/* SPDX-License-Identifier: MIT */
/* MD5 (RFC 1321), for data-integrity checks shared with dom0's md5sum. Not for security. */
#ifndef PVKIT_MD5_H
#define PVKIT_MD5_H

#include <pvkit/types.h>

struct md5_ctx {
	uint32_t state[4];		/* A, B, C, D */
	uint64_t bytes;			/* message length so far */
	uint8_t block[64];		/* a partial block */
};

void md5_init(struct md5_ctx *c);
void md5_update(struct md5_ctx *c, const void *data, size_t len);
void md5_final(struct md5_ctx *c, uint8_t digest[16]);
/** The digest as 32 lowercase hex characters and a NUL. */
void md5_hex(const uint8_t digest[16], char out[33]);

#endif /* PVKIT_MD5_H */
