// SPDX-License-Identifier: MIT
/*
 * lib/clockcalc.c: multiply/shift selection and conversion against exact 128-bit arithmetic
 * for counters from 1 MHz to 10 GHz and deltas up to years; calibration ratios; the median
 * and spread of calibration windows; BCD, leap years and civil time against glibc's timegm().
 */
#define _DEFAULT_SOURCE			/* timegm() */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <pvkit/clockcalc.h>
#include <pvkit/errno.h>
#include "unit.h"

typedef unsigned __int128 u128;

/* Counter frequencies a TSC, LAPIC timer, HPET or PIT may have. */
static const uint64_t freqs[] = {
	1000000, 1193182, 3579545, 14318180, 25000000, 62500000, 100000000, 999999999,
	1000000000, 1000000001, 2096022480, 2399999999, 3700000000, 4294967296, 5000000000,
	9999999999, 10000000000,
};

/* |got - exact| <= exact * 2^-30 + 1: the multiplier's rounding, and the floor. */
static int close_enough(uint64_t got, u128 exact)
{
	u128 diff = got > exact ? got - exact : exact - got;

	return diff <= (exact >> 30) + 1;
}

static void scale_selection_precise(void)
{
	for (unsigned int i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
		struct clock_scale s;
		long double exact;

		CHECKF(clock_scale_init(&s, freqs[i], NSEC_PER_SEC) == 0, "f=%lu", freqs[i]);
		CHECKF(s.shift <= 63, "f=%lu shift %u", freqs[i], s.shift);
		/* As large as the 32-bit multiplier allows: at least 2^31 unless the numerator
		 * bound (to_hz << shift < 2^64) stopped it first. */
		CHECKF(s.mult >= (1u << 31) || (NSEC_PER_SEC << s.shift) >> 63,
		       "f=%lu mult %u shift %u is imprecise", freqs[i], s.mult, s.shift);
		exact = (long double)NSEC_PER_SEC * (long double)((u128)1 << s.shift) / freqs[i];
		CHECKF(s.mult - exact <= 0.5L && exact - s.mult <= 0.5L,
		       "f=%lu mult %u, exact %Lf", freqs[i], s.mult, exact);
	}
}

static void cycles_to_ns_no_overflow(void)
{
	for (unsigned int i = 0; i < sizeof(freqs) / sizeof(freqs[0]); i++) {
		uint64_t f = freqs[i];
		/* 0, 1 cycle, 1 s, 10 hours, 1 year, 100 years, and the whole 64-bit range. */
		const uint64_t deltas[] = {
			0, 1, f, f * 36000, f * 86400 * 365, f * 86400 * 36500 / 1000 * 1000,
			1ull << 62, UINT64_MAX,
		};
		struct clock_scale s;

		CHECK(clock_scale_init(&s, f, NSEC_PER_SEC) == 0);
		for (unsigned int j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
			u128 exact = (u128)deltas[j] * NSEC_PER_SEC / f;
			uint64_t got = clock_scale_apply(&s, deltas[j]);

			if (exact > UINT64_MAX) {
				CHECKF(got == UINT64_MAX, "f=%lu delta %lu: %lu, not saturated",
				       f, deltas[j], got);
				continue;
			}
			CHECKF(close_enough(got, exact), "f=%lu delta %lu: %lu ns, exact %lu",
			       f, deltas[j], got, (uint64_t)exact);
		}
		/* 10 hours is 36000 s to within the precision bound. */
		CHECKF(close_enough(clock_scale_apply(&s, f * 36000), (u128)36000 * NSEC_PER_SEC),
		       "f=%lu: 10 h of cycles gave %lu ns", f, clock_scale_apply(&s, f * 36000));
	}
}

static void monotonic_and_round_up(void)
{
	struct clock_scale to_ns, to_ticks;

	CHECK(clock_scale_init(&to_ns, 2096022480, NSEC_PER_SEC) == 0);
	CHECK(clock_scale_init(&to_ticks, NSEC_PER_SEC, 62499000) == 0);
	for (uint64_t v = (1ull << 40) - 5000; v < (1ull << 40) + 5000; v++)
		CHECKF(clock_scale_apply(&to_ns, v) <= clock_scale_apply(&to_ns, v + 1), "v=%lu", v);
	for (uint64_t ns = 0; ns < 100000; ns += 7) {
		uint64_t dn = clock_scale_apply(&to_ticks, ns), up = clock_scale_apply_up(&to_ticks, ns);
		u128 exact_num = (u128)ns * 62499000;

		CHECKF(up == dn || up == dn + 1, "ns=%lu: down %lu up %lu", ns, dn, up);
		CHECKF((u128)dn * NSEC_PER_SEC <= exact_num + NSEC_PER_SEC, "ns=%lu", ns);
		/* Rounded up, then scaled back: not before the requested time (1-tick slack for
		 * the multiplier's own rounding). */
		CHECKF((u128)(up + 1) * NSEC_PER_SEC >= exact_num, "ns=%lu: up %lu", ns, up);
	}
}

static void ns_to_fast_counter_saturates(void)
{
	struct clock_scale s;

	CHECK(clock_scale_init(&s, NSEC_PER_SEC, 10000000000ull) == 0);	/* ns -> 10 GHz */
	CHECK(clock_scale_apply(&s, 1000) == 10000);
	CHECK(clock_scale_apply(&s, UINT64_MAX) == UINT64_MAX);
	CHECK(clock_scale_apply_up(&s, UINT64_MAX) == UINT64_MAX);
	CHECK(clock_scale_apply(&s, 0) == 0 && clock_scale_apply_up(&s, 0) == 0);
}

static void scale_rejects_bad_frequencies(void)
{
	struct clock_scale s = { 123, 45 };

	CHECK(clock_scale_init(&s, 0, NSEC_PER_SEC) == -EINVAL);
	CHECK(clock_scale_init(&s, NSEC_PER_SEC, 0) == -EINVAL);
	CHECK(clock_scale_init(&s, CLOCK_HZ_MAX + 1, NSEC_PER_SEC) == -EINVAL);
	CHECK(clock_scale_init(&s, 1, CLOCK_HZ_MAX) == -ERANGE);	/* ratio 2^40 */
	CHECK(clock_scale_init(&s, 1, (1ull << 32) - 1) == 0);		/* just fits */
	CHECK(s.mult == (1ull << 32) - 1 && s.shift == 0);
	CHECK(clock_scale_init(&s, 1, 1ull << 32) == -ERANGE);
}

static void calibration_ratio(void)
{
	uint64_t hz = 0;

	/* 11932 PIT ticks (10 ms) took 20960541 TSC cycles: a 2.096 GHz TSC. */
	CHECK(clock_calib_hz(20960541, 11932, 1193182, &hz) == 0);
	CHECKF(hz == 2096022480 || hz == 2096022481, "hz %lu", hz);
	/* Rounds to nearest. */
	CHECK(clock_calib_hz(3, 2, 1, &hz) == 0 && hz == 2);
	CHECK(clock_calib_hz(5, 4, 1, &hz) == 0 && hz == 1);
	/* A LAPIC window against the TSC. */
	CHECK(clock_calib_hz(624990, 20960220, 2096022480, &hz) == 0);
	CHECKF(hz > 62498000 && hz < 62500000, "hz %lu", hz);
	CHECK(clock_calib_hz(0, 100, 1000, &hz) == -EINVAL);
	CHECK(clock_calib_hz(100, 0, 1000, &hz) == -EINVAL);
	CHECK(clock_calib_hz(100, 100, 0, &hz) == -EINVAL);
	CHECK(clock_calib_hz(UINT64_MAX / 1000, 1, 1001, &hz) == -EOVERFLOW);
	CHECK(clock_calib_hz(1ull << 40, 1ull << 40, 1ull << 23, &hz) == 0 && hz == 1ull << 23);
}

static void median_and_spread(void)
{
	uint64_t a[] = { 2106079228, 2096009880, 2103183372, 2096024580, 2096022480 };
	uint64_t b[] = { 5, 1, 4, 2 };
	uint64_t c[] = { 7 };
	uint64_t z[] = { 0, 0, 3 };

	CHECK(clock_median(a, 5) == 2096024580);
	for (unsigned int i = 1; i < 5; i++)
		CHECK(a[i - 1] <= a[i]);
	/* (2106079228 - 2096009880) / 2096024580 = 4804 ppm */
	CHECKF(clock_spread_ppm(a, 5) == 4804, "%u", clock_spread_ppm(a, 5));
	CHECK(clock_median(b, 4) == 2);			/* lower middle */
	CHECK(clock_median(c, 1) == 7 && clock_spread_ppm(c, 1) == 0);
	CHECK(clock_median(NULL, 0) == 0);
	uint64_t huge[] = { 1, UINT64_MAX / 2, UINT64_MAX };

	clock_median(z, 3);
	CHECK(clock_spread_ppm(z, 3) == UINT32_MAX);	/* median 0: no ratio */
	CHECK(clock_spread_ppm(huge, 3) == UINT32_MAX);	/* diff * 10^6 would overflow */
}

static void pick_least_disturbed(void)
{
	/* Three quiet windows around 2.096 GHz, two disturbed far-off ones. */
	struct clock_sample s[] = {
		{ 2200000000, 90000 }, { 2096000000, 10 }, { 2096004000, 40 },
		{ 1900000000, 300 }, { 2096002000, 20 },
	};
	uint64_t hz = 0;
	uint32_t spread = 7, worst = 7;

	CHECK(clock_calib_pick(s, 5, 3, &hz, &spread, &worst) == 0);
	CHECKF(hz == 2096002000, "hz %lu", hz);
	CHECK(worst == 40 && spread == 1);		/* 4000 / 2096002000 */
	CHECK(s[0].error_ppm == 10 && s[4].error_ppm == 90000);	/* sorted by uncertainty */
	/* Only disturbed ones: still an answer, from the least disturbed. */
	struct clock_sample d[] = { { 30, 900 }, { 10, 500 }, { 20, 700 }, { 99, 5000 } };

	CHECK(clock_calib_pick(d, 4, 3, &hz, &spread, &worst) == 0);
	CHECK(hz == 20 && worst == 900);
	/* Stable: equal uncertainty keeps the order the windows were taken in. */
	struct clock_sample e[] = { { 5, 1 }, { 6, 1 }, { 7, 1 } };

	CHECK(clock_calib_pick(e, 3, 1, &hz, &spread, &worst) == 0 && hz == 5);
	CHECK(clock_calib_pick(e, 3, 4, &hz, &spread, &worst) == -EINVAL);
	CHECK(clock_calib_pick(e, 3, 0, &hz, &spread, &worst) == -EINVAL);
	CHECK(clock_calib_pick(e, 3, CLOCK_CALIB_PICK_MAX + 1, &hz, &spread, &worst) == -EINVAL);
	CHECK(clock_ppm(5240, 20960000) == 250);
	CHECK(clock_ppm(1, 0) == UINT32_MAX);
	CHECK(clock_ppm(UINT64_MAX, 1) == UINT32_MAX);
	CHECK(clock_ppm(1ull << 40, 1) == UINT32_MAX);	/* fits 64 bits, not 32 */
}

/*
 * A fake reference for clock_window_measure(): it counts one tick every @per cycles of a fake
 * TSC, sampled at the end of a read; a read takes @width cycles, and the reads numbered from
 * @slow_from up to (not including) @slow_to take @slow_width instead; 7 cycles pass between
 * reads. @stuck: the counter never moves.
 */
struct fake_ref {
	uint64_t tsc;			/* now */
	uint64_t per;			/* cycles per tick */
	uint64_t base;			/* the counter's value at tsc 0 */
	uint64_t mask;
	uint64_t width, slow_width;
	unsigned int slow_from, slow_to, reads;
	bool stuck;
};

static void fake_read(void *ctx, struct clock_read *r)
{
	struct fake_ref *f = ctx;
	bool slow = f->reads >= f->slow_from && f->reads < f->slow_to;

	r->tsc_a = f->tsc;
	f->tsc += slow ? f->slow_width : f->width;
	r->count = f->stuck ? f->base : (f->base + f->tsc / f->per) & f->mask;
	r->tsc_b = f->tsc;
	f->tsc += 7;
	f->reads++;
}

/* The window's claim holds: the true cycles between its two steps (ticks * per: steps are
 * tick boundaries) lie in cycles +- error (+1 for the midpoints' rounding). */
static int window_honest(const struct clock_window *w, uint64_t per)
{
	uint64_t truth = w->ticks * per;
	uint64_t diff = truth > w->cycles ? truth - w->cycles : w->cycles - truth;

	return diff <= w->error + 1;
}

#define FAKE(...) ((struct fake_ref){ .per = 100, .width = 10, __VA_ARGS__ })
#define WIDE	.mask = UINT64_MAX

static void window_from_narrow_steps(void)
{
	const struct clock_window_ops ops = { .read = fake_read, .mask = UINT64_MAX,
					      .max_ticks = UINT64_MAX };
	const struct clock_window_ops ops16 = { .read = fake_read, .mask = 0xffff,
						.max_ticks = 50000 };
	struct fake_ref f = FAKE(WIDE);
	struct clock_window w;

	/* Quiet: a step is known to two reads (27 cycles); the window goes on past 1000 ticks
	 * until it is 50 ppm certain (27 cycles / 50 ppm, rounded down: 5295 ticks). */
	CHECK(clock_window_measure(&ops, &f, 1000, 50, 1000000, &w) == 0);
	CHECKF(w.error == 27 && clock_ppm(w.error, w.cycles) <= 50 && w.ticks >= 5290 &&
	       w.ticks <= 5410 && window_honest(&w, 100), "ticks %lu error %lu", w.ticks, w.error);
	/* A lax bound: it ends soon after 1000 ticks (27 cycles / 250 ppm: 1076 ticks). */
	f = FAKE(WIDE);
	CHECK(clock_window_measure(&ops, &f, 1000, 250, 1000000, &w) == 0);
	CHECKF(w.ticks >= 1070 && w.ticks < 1090 && window_honest(&w, 100), "ticks %lu", w.ticks);
	/* The first reads sat 5 M cycles in the host: narrower steps start the window. */
	f = FAKE(WIDE, .slow_width = 5000000, .slow_from = 0, .slow_to = 2);
	CHECK(clock_window_measure(&ops, &f, 1000, 50, 1000000, &w) == 0);
	CHECKF(w.error == 27 && window_honest(&w, 100), "error %lu ticks %lu", w.error, w.ticks);
	/* Reads right after the counter passed @min_ticks were slow: a later narrow step ends
	 * the window, which is as good as a quiet one. */
	f = FAKE(WIDE, .slow_width = 5000000, .slow_from = 40, .slow_to = 43);
	CHECK(clock_window_measure(&ops, &f, 10, 50, 1000000, &w) == 0);
	CHECKF(w.error == 27 && window_honest(&w, 100), "error %lu cycles %lu ticks %lu",
	       w.error, w.cycles, w.ticks);
	/* Every read slow: the window grows until even its wide steps are small beside it,
	 * honest all the way. */
	f = FAKE(WIDE, .slow_width = 5000000, .slow_from = 0, .slow_to = 1000000);
	CHECK(clock_window_measure(&ops, &f, 1000, 50, 1000000, &w) == 0);
	CHECKF(window_honest(&w, 100) && clock_ppm(w.error, w.cycles) <= 50 &&
	       w.error >= 5000000, "error %lu cycles %lu", w.error, w.cycles);
	/* A 16-bit counter across its wrap. */
	f = FAKE(.base = 0xff00, .mask = 0xffff);
	CHECK(clock_window_measure(&ops16, &f, 1000, 50, 1000000, &w) == 0);
	CHECKF(w.ticks >= 5290 && w.ticks <= 5410 && window_honest(&w, 100), "ticks %lu",
	       w.ticks);
	/* With a limit: from read 60 on, every read is slow (5000 ticks); no step makes the
	 * window 1 ppm certain before the limit, so the best within it ends the window. */
	f = FAKE(.mask = 0xffff, .slow_width = 500000, .slow_from = 60, .slow_to = 1000000);
	CHECK(clock_window_measure(&ops16, &f, 10, 1, 1000000, &w) == 0);
	CHECKF(w.ticks >= 40000 && w.ticks <= 50000 && window_honest(&w, 100) && f.reads == 70,
	       "ticks %lu error %lu, %u reads", w.ticks, w.error, f.reads);
	/* The first step past @min_ticks is already past the limit (the CPU away 6 M cycles =
	 * 60000 ticks): no window. */
	f = FAKE(.mask = 0xffff, .slow_width = 6000000, .slow_from = 60, .slow_to = 61);
	CHECK(clock_window_measure(&ops16, &f, 1000, 50, 1000000, &w) == -EAGAIN);
	/* Refused and bounded. */
	CHECK(clock_window_measure(&ops16, &f, 0, 50, 100000, &w) == -EINVAL);
	CHECK(clock_window_measure(&ops16, &f, 50001, 50, 100000, &w) == -EINVAL);
	f = FAKE(WIDE, .stuck = true);
	CHECK(clock_window_measure(&ops, &f, 1, 50, 5000, &w) == -ETIMEDOUT);
	CHECK(f.reads == 5000);
}

/* A wrapping counter followed across its turns with a rough rate, however long the CPU was
 * away; refused when the rate is too rough for the time, or wrong. */
static void window_across_turns(void)
{
	struct clock_window_ops ops16 = { .read = fake_read, .mask = 0xffff, .max_ticks = 50000 };
	struct clock_window w;
	struct fake_ref f;

	CHECK(clock_window_rough(1, 0, 10, &ops16) == -EINVAL);
	CHECK(clock_window_rough(1, 100, 100000, &ops16) == -EINVAL);
	CHECK(clock_window_rough(1ull << 32, 100, 10, &ops16) == -ERANGE);
	CHECK(clock_window_rough(1, 100, 10, &ops16) == 0);	/* 1 tick per 100 cycles */
	/* Away 6 M cycles (60000 ticks) at read 60, 20 M (3 turns) at read 200. */
	f = FAKE(.mask = 0xffff, .slow_width = 6000000, .slow_from = 60, .slow_to = 61);
	CHECK(clock_window_measure(&ops16, &f, 1000, 50, 1000000, &w) == 0);
	CHECKF(w.ticks >= 60000 && w.error == 27 && window_honest(&w, 100), "ticks %lu error %lu",
	       w.ticks, w.error);
	f = FAKE(.mask = 0xffff, .slow_width = 20000000, .slow_from = 200, .slow_to = 201);
	CHECK(clock_window_measure(&ops16, &f, 100000, 50, 1000000, &w) == 0);
	CHECKF(w.ticks >= 200000 && w.error == 27 && window_honest(&w, 100), "ticks %lu error %lu",
	       w.ticks, w.error);
	/* 5000 ppm is too rough for a 2 * 10^9-cycle absence (half a turn is 32768 ticks). */
	CHECK(clock_window_rough(1, 100, 5000, &ops16) == 0);
	f = FAKE(.mask = 0xffff, .slow_width = 2000000000, .slow_from = 60, .slow_to = 61);
	CHECK(clock_window_measure(&ops16, &f, 1000, 50, 1000000, &w) == -EAGAIN);
	/* A rate 10% off that claims 10 ppm: the count cannot match it. */
	CHECK(clock_window_rough(11, 1000, 10, &ops16) == 0);
	f = FAKE(.mask = 0xffff, .slow_width = 6000000, .slow_from = 60, .slow_to = 61);
	CHECK(clock_window_measure(&ops16, &f, 1000, 50, 1000000, &w) == -EIO);
}

static void bcd(void)
{
	uint8_t v = 0xee;

	CHECK(clock_bcd_to_bin(0x00, &v) == 0 && v == 0);
	CHECK(clock_bcd_to_bin(0x59, &v) == 0 && v == 59);
	CHECK(clock_bcd_to_bin(0x99, &v) == 0 && v == 99);
	v = 0xee;
	CHECK(clock_bcd_to_bin(0x1a, &v) == -EINVAL && v == 0xee);
	CHECK(clock_bcd_to_bin(0xa1, &v) == -EINVAL);
	CHECK(clock_bcd_to_bin(0xff, &v) == -EINVAL);
}

static void leap_years_and_months(void)
{
	CHECK(clock_is_leap(2024) && clock_is_leap(2000) && clock_is_leap(2400));
	CHECK(!clock_is_leap(2023) && !clock_is_leap(1900) && !clock_is_leap(2100));
	CHECK(clock_days_in_month(2024, 2) == 29 && clock_days_in_month(2023, 2) == 28);
	CHECK(clock_days_in_month(2100, 2) == 28 && clock_days_in_month(2000, 2) == 29);
	CHECK(clock_days_in_month(2023, 4) == 30 && clock_days_in_month(2023, 12) == 31);
	CHECK(clock_days_in_month(2023, 0) == 0 && clock_days_in_month(2023, 13) == 0);
}

static int tm_unix(uint32_t y, uint8_t mo, uint8_t d, uint8_t h, uint8_t mi, uint8_t s,
		   uint64_t *out)
{
	struct clock_tm tm = { y, mo, d, h, mi, s };

	return clock_tm_to_unix(&tm, out);
}

static void civil_to_unix_known_values(void)
{
	uint64_t t;

	CHECK(tm_unix(1970, 1, 1, 0, 0, 0, &t) == 0 && t == 0);
	CHECK(tm_unix(2000, 3, 1, 0, 0, 0, &t) == 0 && t == 951868800);
	CHECK(tm_unix(2024, 2, 29, 12, 0, 0, &t) == 0 && t == 1709208000);
	CHECK(tm_unix(2038, 1, 19, 3, 14, 8, &t) == 0 && t == 2147483648ull);
	CHECK(tm_unix(2100, 3, 1, 0, 0, 0, &t) == 0 && t == 4107542400ull);
	CHECK(tm_unix(9999, 12, 31, 23, 59, 59, &t) == 0 && t == 253402300799ull);
}

static void civil_rejects_bad_dates(void)
{
	uint64_t t = 42;

	CHECK(tm_unix(2023, 2, 29, 0, 0, 0, &t) == -EINVAL);	/* not a leap year */
	CHECK(tm_unix(2100, 2, 29, 0, 0, 0, &t) == -EINVAL);	/* century rule */
	CHECK(tm_unix(2024, 2, 30, 0, 0, 0, &t) == -EINVAL);
	CHECK(tm_unix(2024, 4, 31, 0, 0, 0, &t) == -EINVAL);
	CHECK(tm_unix(2024, 0, 1, 0, 0, 0, &t) == -EINVAL);
	CHECK(tm_unix(2024, 13, 1, 0, 0, 0, &t) == -EINVAL);
	CHECK(tm_unix(2024, 1, 0, 0, 0, 0, &t) == -EINVAL);
	CHECK(tm_unix(2024, 1, 1, 24, 0, 0, &t) == -EINVAL);
	CHECK(tm_unix(2024, 1, 1, 0, 60, 0, &t) == -EINVAL);
	CHECK(tm_unix(2024, 1, 1, 0, 0, 60, &t) == -EINVAL);
	CHECK(tm_unix(1969, 12, 31, 23, 59, 59, &t) == -EINVAL);
	CHECK(tm_unix(10000, 1, 1, 0, 0, 0, &t) == -EINVAL);
	CHECK(t == 42);						/* untouched on error */
}

/* Every day from 1970 to 2400 at a varying time of day, against the C library. */
static void civil_matches_timegm(void)
{
	unsigned int bad = 0;

	for (uint32_t y = 1970; y <= 2400; y++) {
		for (unsigned int m = 1; m <= 12; m++) {
			for (unsigned int d = 1; d <= clock_days_in_month(y, m); d++) {
				struct tm g = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d,
						.tm_hour = d % 24, .tm_min = (d * 7) % 60,
						.tm_sec = (d * 13) % 60 };
				uint64_t t;

				if (tm_unix(y, m, d, g.tm_hour, g.tm_min, g.tm_sec, &t) ||
				    t != (uint64_t)timegm(&g))
					bad++;
			}
		}
	}
	CHECKF(bad == 0, "%u days differ from timegm()", bad);
}

UNIT_CASES(
	{ scale_selection_precise, "clockcalc: mult/shift as precise as 32 bits allow, 1 MHz-10 GHz" },
	{ cycles_to_ns_no_overflow, "clockcalc: cycles->ns exact to 2^-30 from 0 to 2^64 cycles" },
	{ monotonic_and_round_up, "clockcalc: conversion monotonic; round-up never early" },
	{ ns_to_fast_counter_saturates, "clockcalc: ns->10 GHz saturates instead of wrapping" },
	{ scale_rejects_bad_frequencies, "clockcalc: zero, absurd and unrepresentable ratios rejected" },
	{ calibration_ratio, "clockcalc: calibration ratio rounds and refuses overflow" },
	{ median_and_spread, "clockcalc: median and ppm spread of calibration windows" },
	{ pick_least_disturbed, "clockcalc: calibration uses the least disturbed windows" },
	{ window_from_narrow_steps, "clockcalc: a window from narrow steps of the reference, as "
	  "long as they need, honest" },
	{ window_across_turns, "clockcalc: a wrapping reference followed across turns at a rough "
	  "rate; too rough or wrong refused" },
	{ bcd, "clockcalc: BCD digits, non-decimal nibbles rejected" },
	{ leap_years_and_months, "clockcalc: leap years (4/100/400) and month lengths" },
	{ civil_to_unix_known_values, "clockcalc: civil time -> Unix seconds, known values" },
	{ civil_rejects_bad_dates, "clockcalc: Feb 29 of common years, hour 24 etc. rejected" },
	{ civil_matches_timegm, "clockcalc: every day 1970-2400 agrees with timegm()" },
);
