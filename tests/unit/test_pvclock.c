// SPDX-License-Identifier: MIT
/* lib/pvclock.c: scaling against a 128-bit reference (both shift signs, huge deltas), the
 * version protocol with a record that changes under the reader, kHz, the monotonic clamp. */
#include <stdint.h>
#include <pvkit/errno.h>
#include <pvkit/pvclock.h>
#include "unit.h"

/* The definition, in 128-bit arithmetic: Xen's scale_delta (shift the delta, then multiply),
 * saturated at 64 bits. */
static uint64_t ref_scale(uint64_t delta, uint32_t mul, int shift)
{
	unsigned __int128 p;

	if (shift < 0)
		delta = shift <= -64 ? 0 : delta >> -shift;
	p = (unsigned __int128)delta * mul;
	if (shift > 0) {
		if (shift >= 96 || (p >> (128 - shift)))
			return p ? UINT64_MAX : 0;
		p <<= shift;
	}
	p >>= 32;
	return p >> 64 ? UINT64_MAX : (uint64_t)p;
}

static void scale_matches_reference(void)
{
	static const uint64_t deltas[] = {
		0, 1, 2, 1000, 0xffffffffull, 0x100000000ull, 123456789012345ull,
		1ull << 40, 1ull << 52, (1ull << 63) - 1, 1ull << 63, UINT64_MAX - 1, UINT64_MAX,
	};
	static const uint32_t muls[] = { 0, 1, 0x80000000u, 0xd1b71759u, 0xfffffffeu, UINT32_MAX };
	unsigned int bad = 0;

	for (unsigned int d = 0; d < sizeof(deltas) / sizeof(deltas[0]); d++)
		for (unsigned int m = 0; m < sizeof(muls) / sizeof(muls[0]); m++)
			for (int s = -70; s <= 40; s++) {
				uint64_t got = pvclock_scale_delta(deltas[d], muls[m], s);
				uint64_t want = ref_scale(deltas[d], muls[m], s);

				if (got != want && bad++ < 5)
					CHECKF(0, "delta %#lx mul %#x shift %d: %#lx, want %#lx",
					       deltas[d], muls[m], s, got, want);
			}
	CHECKF(bad == 0, "%u mismatches", bad);
}

static void scale_known_values(void)
{
	/* 2 GHz: 0.5 ns per tick as mul 2^31, shift 0. */
	CHECK(pvclock_scale_delta(2000, 0x80000000u, 0) == 1000);
	/* 4 GHz: 0.25 ns = 0.5 * 2^-1. */
	CHECK(pvclock_scale_delta(4000, 0x80000000u, -1) == 1000);
	/* 500 MHz: 2 ns = 0.5 * 2^2. */
	CHECK(pvclock_scale_delta(1000, 0x80000000u, 2) == 2000);
	/* A negative shift drops the low bits first, as Xen does: 3 >> 1 = 1 tick of 0.5 ns. */
	CHECK(pvclock_scale_delta(3, 0x80000000u, -1) == 0);
	CHECK(pvclock_scale_delta(5, 0x80000000u, -1) == 1);
	/* Huge deltas do not overflow: (2^64 - 1) ticks of (1 - 2^-32) ns = 2^64 - 2^32 - 1. */
	CHECK(pvclock_scale_delta(UINT64_MAX, UINT32_MAX, 0) == UINT64_MAX - 0x100000000ull);
	CHECK(pvclock_scale_delta(1ull << 62, 0x80000000u, 0) == 1ull << 61);
	/* A 64-bit overflow with a positive shift saturates instead of wrapping. */
	CHECK(pvclock_scale_delta(UINT64_MAX, UINT32_MAX, 1) == UINT64_MAX);
	CHECK(pvclock_scale_delta(1ull << 62, 0x80000000u, 3) == UINT64_MAX);
}

/* A fake TSC that can rewrite the record in the middle of a read, like Xen updating it. */
struct fake {
	struct pvclock_vcpu_time_info *ti;
	uint64_t tsc;			/* what read_tsc returns */
	unsigned int calls;		/* read_tsc calls */
	unsigned int mutate;		/* calls that still change the record */
	int mode;			/* 0: bump version by 2 and change values; 1: stay odd */
};

static uint64_t fake_tsc(void *ctx)
{
	struct fake *f = ctx;

	f->calls++;
	if (f->mutate) {
		f->mutate--;
		if (f->mode == 0) {
			/* A complete update between our two version reads. */
			f->ti->version++;
			f->ti->system_time += 1000000;
			f->ti->tsc_timestamp += 2000000;
			f->ti->version++;
		} else {
			f->ti->version |= 1;		/* update in progress */
		}
	} else if (f->mode == 1) {
		/* The update finishes: new values, version even again. */
		if (f->ti->version & 1) {
			f->ti->system_time = 777000000;
			f->ti->tsc_timestamp = 5000;
			f->ti->version++;
		}
	}
	return f->tsc;
}

static void read_stable(void)
{
	struct pvclock_vcpu_time_info ti = {
		.version = 4, .tsc_timestamp = 1000, .system_time = 5000000000ull,
		.tsc_to_system_mul = 0x80000000u, .tsc_shift = 0,
	};
	struct fake f = { .ti = &ti, .tsc = 3000 };
	uint64_t ns = 0;

	CHECK(pvclock_read(&ti, fake_tsc, &f, &ns) == 0);
	CHECKF(ns == 5000001000ull, "%lu", ns);
	CHECK(f.calls == 1);
	/* TSC behind the timestamp (another vCPU's stamp, a TSC reset): no negative delta. */
	f.tsc = 10;
	CHECK(pvclock_read(&ti, fake_tsc, &f, &ns) == 0);
	CHECKF(ns == 5000000000ull, "%lu", ns);
}

static void read_version_changes(void)
{
	struct pvclock_vcpu_time_info ti = {
		.version = 2, .tsc_timestamp = 0, .system_time = 0,
		.tsc_to_system_mul = 0x80000000u, .tsc_shift = 0,
	};
	struct fake f = { .ti = &ti, .tsc = 10000000, .mutate = 3, .mode = 0 };
	uint64_t ns = 0;

	/* Three updates land during reads: only the fourth, undisturbed read counts. */
	CHECK(pvclock_read(&ti, fake_tsc, &f, &ns) == 0);
	CHECKF(f.calls == 4, "%u reads", f.calls);
	CHECKF(ns == 3000000 + (10000000 - 6000000) / 2, "%lu (a mix of old and new values?)", ns);
	CHECK(ti.version == 8);
}

static void read_odd_version(void)
{
	struct pvclock_vcpu_time_info ti = {
		.version = 7, .tsc_timestamp = 0, .system_time = 123,
		.tsc_to_system_mul = 0x80000000u,
	};
	struct fake f = { .ti = &ti, .tsc = 100, .mode = 1 };
	uint64_t ns = 42;

	/* Stuck odd: give up after a bounded number of tries, *ns untouched. */
	f.mutate = ~0u;
	CHECK(pvclock_read(&ti, fake_tsc, &f, &ns) == -EAGAIN);
	CHECKF(f.calls == PVCLOCK_READ_TRIES, "%u reads", f.calls);
	CHECK(ns == 42);
	/* Odd for two reads, the update completes during the third (whose start saw it odd):
	 * the fourth read is clean and uses the new values. */
	ti.version = 10;
	f.calls = 0;
	f.mutate = 2;
	CHECK(pvclock_read(&ti, fake_tsc, &f, &ns) == 0);
	CHECKF(ns == 777000000 + 0, "%lu", ns);		/* tsc 100 < stamp 5000: delta 0 */
	CHECKF(f.calls == 4, "%u reads", f.calls);
}

static void tsc_khz(void)
{
	struct pvclock_vcpu_time_info ti = { .tsc_to_system_mul = 0x80000000u };

	CHECK(pvclock_tsc_khz(&ti) == 2000000);
	ti.tsc_shift = -1;
	CHECK(pvclock_tsc_khz(&ti) == 4000000);
	ti.tsc_shift = 2;
	CHECK(pvclock_tsc_khz(&ti) == 500000);
	ti.tsc_to_system_mul = 0;
	CHECK(pvclock_tsc_khz(&ti) == 0);
	/* What Xen published on the test host (2096 MHz): close to 2096000. */
	ti.tsc_to_system_mul = (uint32_t)(((1ull << 32) * 1000000ull) / 2096006ull * 2);
	ti.tsc_shift = -1;
	CHECKF(pvclock_tsc_khz(&ti) >= 2095990 && pvclock_tsc_khz(&ti) <= 2096010, "%lu",
	       pvclock_tsc_khz(&ti));
}

static void monotonic_clamp(void)
{
	uint64_t last = 0;

	CHECK(pvclock_monotonic(&last, 100) == 100 && last == 100);
	CHECK(pvclock_monotonic(&last, 50) == 100 && last == 100);	/* went back: held */
	CHECK(pvclock_monotonic(&last, 100) == 100);
	CHECK(pvclock_monotonic(&last, 101) == 101 && last == 101);
	CHECK(pvclock_monotonic(&last, 0) == 101);
	CHECK(pvclock_monotonic(&last, UINT64_MAX) == UINT64_MAX);
}

static void wallclock(void)
{
	struct pvclock_wall_clock wc = { .version = 2, .sec = 1800000000u, .nsec = 999999999u };
	uint64_t sec;
	uint32_t nsec;

	CHECK(pvclock_wallclock(&wc, 1, &sec, &nsec) == 0);
	CHECKF(sec == 1800000001ull && nsec == 0, "%lu.%09u", sec, nsec);	/* carry */
	CHECK(pvclock_wallclock(&wc, 3 * NSEC_PER_SEC + 2, &sec, &nsec) == 0);
	CHECKF(sec == 1800000004ull && nsec == 1, "%lu.%09u", sec, nsec);
	wc.sec_hi = 1;						/* past 2106 */
	wc.nsec = 0;
	CHECK(pvclock_wallclock(&wc, 0, &sec, &nsec) == 0);
	CHECK(sec == (1ull << 32) + 1800000000ull && nsec == 0);
	/* A nonsense nsec from the peer is normalised, not passed on. */
	wc.nsec = UINT32_MAX;
	CHECK(pvclock_wallclock(&wc, 0, &sec, &nsec) == 0);
	CHECK(nsec < NSEC_PER_SEC && sec == (1ull << 32) + 1800000000ull + 4);
	wc.version = 3;
	sec = 7;
	CHECK(pvclock_wallclock(&wc, 0, &sec, &nsec) == -EAGAIN && sec == 7);
}

UNIT_CASES(
	{ scale_matches_reference, "pvclock: scaling equals the 128-bit reference, both shifts" },
	{ scale_known_values, "pvclock: known frequencies, huge deltas, saturation" },
	{ read_stable, "pvclock: a stable record; TSC behind the stamp" },
	{ read_version_changes, "pvclock: version changing during the read retries" },
	{ read_odd_version, "pvclock: odd version retried, bounded" },
	{ tsc_khz, "pvclock: TSC kHz for both shift signs" },
	{ monotonic_clamp, "pvclock: monotonic clamp never goes back" },
	{ wallclock, "pvclock: wall clock carry, sec_hi, odd version" },
);
