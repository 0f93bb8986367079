/* SPDX-License-Identifier: MIT */
/*
 * Reading a fuzz input as a script (tests/fuzz/fuzz_*.c): bytes and little-endian numbers
 * taken from the front; past the end every read gives 0, so any input is a whole script.
 */
#ifndef TESTS_FUZZ_FUZZ_INPUT_H
#define TESTS_FUZZ_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* A fixture's own checks (snapshots, replays, counts): no coverage feedback. Their loops run
 * at every step of every input and their branches are not the code under test's: instrumented,
 * they cost time and give libFuzzer features that mean nothing. */
#define FZ_CHECKER	__attribute__((noinline, no_sanitize("coverage")))

struct fz_in {
	const uint8_t *p;		/* script */
	size_t n;			/* bytes left */
};

static inline unsigned int fz_byte(struct fz_in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static inline unsigned int fz_u16(struct fz_in *in)
{
	unsigned int lo = fz_byte(in);

	return lo | fz_byte(in) << 8;
}

static inline uint64_t fz_u64(struct fz_in *in)
{
	uint64_t v = 0;

	for (unsigned int i = 0; i < 8; i++)
		v |= (uint64_t)fz_byte(in) << (8 * i);
	return v;
}

#endif /* TESTS_FUZZ_FUZZ_INPUT_H */
