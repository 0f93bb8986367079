// SPDX-License-Identifier: MIT
/* lib/md5.c against RFC 1321's test suite and against the same data fed in odd pieces. */
#include <stdint.h>
#include <string.h>
#include <pvkit/md5.h>
#include "unit.h"

static void digest_of(const void *p, size_t n, char hex[33])
{
	struct md5_ctx c;
	uint8_t d[16];

	md5_init(&c);
	md5_update(&c, p, n);
	md5_final(&c, d);
	md5_hex(d, hex);
}

static void rfc_vectors(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "d41d8cd98f00b204e9800998ecf8427e" },
		{ "a", "0cc175b9c0f1b6a831c399e269772661" },
		{ "abc", "900150983cd24fb0d6963f7d28e17f72" },
		{ "message digest", "f96b697d7cb7938d525a2f31aaf161d0" },
		{ "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b" },
		{ "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
		  "d174ab98d277d9f5a5611c2c9f419d9f" },
		{ "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
		  "57edf4a22be3c955ac49da2e2107b67a" },
	};
	char hex[33];

	for (unsigned int i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		digest_of(v[i].in, strlen(v[i].in), hex);
		CHECKF(!strcmp(hex, v[i].out), "md5(\"%s\") = %s", v[i].in, hex);
	}
}

static void pieces_match_whole(void)
{
	static uint8_t buf[10000];
	char whole[33], parts[33];
	struct md5_ctx c;
	uint8_t d[16];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 7));
	digest_of(buf, sizeof(buf), whole);
	md5_init(&c);
	for (size_t off = 0, step = 1; off < sizeof(buf); off += step, step = step * 3 % 97 + 1)
		md5_update(&c, buf + off, off + step > sizeof(buf) ? sizeof(buf) - off : step);
	md5_final(&c, d);
	md5_hex(d, parts);
	CHECKF(!strcmp(whole, parts), "whole %s, in pieces %s", whole, parts);
	/* Lengths around the 56-byte padding boundary. */
	digest_of(buf, 55, whole);
	CHECK(strlen(whole) == 32);
	digest_of(buf, 56, parts);
	CHECK(strcmp(whole, parts) != 0);
}

UNIT_CASES(
	{ rfc_vectors, "md5: RFC 1321 test suite" },
	{ pieces_match_whole, "md5: data in odd pieces gives the same digest" },
);
