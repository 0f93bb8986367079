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
 * TSC; a read takes @width cycles, and the reads named in @slow take @slow_width instead, the
 * counter sampled at the very end of such a read (the worst place for a midpoint). @stuck: the
 * counter never moves.
 */
struct fake_ref {
	uint64_t tsc;			/* now */
	uint64_t per;			/* cycles per tick */
	uint64_t base;			/* the counter's value at tsc 0 */
	uint64_t mask;
	uint64_t width, slow_width;
	const unsigned int *slow;	/* read numbers (from 0) that are slow, ascending */
	unsigned int nslow, reads;
	bool stuck;
};

static bool fake_is_slow(const struct fake_ref *f, unsigned int n)
{
	for (unsigned int i = 0; i < f->nslow; i++)
		if (f->slow[i] == n)
			return true;
	return false;
}

static void fake_read(void *ctx, struct clock_read *r)
{
	struct fake_ref *f = ctx;
	uint64_t w = fake_is_slow(f, f->reads) ? f->slow_width : f->width;

	r->tsc_a = f->tsc;
	f->tsc += w;
	r->count = f->stuck ? f->base : (f->base + f->tsc / f->per) & f->mask;
	r->tsc_b = f->tsc;
	f->tsc += 7;				/* between reads */
	f->reads++;
}

/* The window's claim holds: the true cycles between its two samples (ticks * per, to within
 * one tick's rounding) lie in cycles +- error. */
static int window_honest(const struct clock_window *w, uint64_t per)
{
	uint64_t truth = w->ticks * per;
	uint64_t diff = truth > w->cycles ? truth - w->cycles : w->cycles - truth;

	return diff <= w->error + per;
}

static void window_from_narrow_reads(void)
{
	static const unsigned int start_gap[] = { 0 };
	static const unsigned int end_gaps[] = { 4, 5, 6, 100, 101, 102 };
	static const unsigned int all_slow[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
		22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	};
	struct fake_ref f = { .per = 100, .mask = UINT64_MAX, .width = 10, .slow_width = 5000000 };
	const struct clock_window_ops ops = { fake_read, UINT64_MAX, UINT64_MAX };
	struct clock_window w;

	/* Quiet: 1000 ticks, each end known to 10 cycles. */
	CHECK(clock_window_measure(&ops, &f, 1000, 100000, &w) == 0);
	CHECKF(w.ticks >= 1000 && w.ticks < 1010 && w.error == 10, "ticks %lu error %lu",
	       w.ticks, w.error);
	CHECK(window_honest(&w, 100));
	/* The first read sat 5 M cycles in the host: a narrower one starts the window. */
	f = (struct fake_ref){ .per = 100, .mask = UINT64_MAX, .width = 10,
			       .slow_width = 5000000, .slow = start_gap, .nslow = 1 };
	CHECK(clock_window_measure(&ops, &f, 1000, 100000, &w) == 0);
	CHECKF(w.error == 10 && window_honest(&w, 100), "error %lu", w.error);
	/* The reads right after the counter passed @ticks were slow: a later narrow one ends it
	 * (reads 4-6 are slow too, so the narrowest so far is that of read 1-3). */
	f = (struct fake_ref){ .per = 100, .mask = UINT64_MAX, .width = 10,
			       .slow_width = 5000000, .slow = end_gaps, .nslow = 6 };
	CHECK(clock_window_measure(&ops, &f, 13, 100000, &w) == 0);
	CHECKF(w.error == 10 && window_honest(&w, 100), "error %lu cycles %lu ticks %lu", w.error,
	       w.cycles, w.ticks);
	/* Every read slow: an answer all the same, honest about how uncertain it is. */
	f = (struct fake_ref){ .per = 100, .mask = UINT64_MAX, .width = 10,
			       .slow_width = 5000000, .slow = all_slow, .nslow = 41 };
	CHECK(clock_window_measure(&ops, &f, 1000, 100000, &w) == 0);
	CHECKF(w.error == 5000000 && window_honest(&w, 100), "error %lu", w.error);
	CHECK(f.reads == CLOCK_WINDOW_START_READS + 1);	/* none narrower to wait for */
	/* Narrow at the start, every read after slow: the first of them ends nothing, the
	 * narrowest of CLOCK_WINDOW_END_READS does. */
	f = (struct fake_ref){ .per = 100, .mask = UINT64_MAX, .width = 10,
			       .slow_width = 5000000, .slow = all_slow + 4, .nslow = 37 };
	CHECK(clock_window_measure(&ops, &f, 1000, 100000, &w) == 0);
	CHECKF(w.error == (10 + 5000000) / 2 && window_honest(&w, 100), "error %lu", w.error);
	CHECKF(f.reads == CLOCK_WINDOW_START_READS + CLOCK_WINDOW_END_READS, "%u reads", f.reads);
	/* A 16-bit counter across its wrap. */
	f = (struct fake_ref){ .per = 100, .base = 0xff00, .mask = 0xffff, .width = 10 };
	const struct clock_window_ops ops16 = { fake_read, 0xffff, 50000 };

	CHECK(clock_window_measure(&ops16, &f, 1000, 100000, &w) == 0);
	CHECKF(w.ticks >= 1000 && w.ticks < 1010 && window_honest(&w, 100), "ticks %lu",
	       w.ticks);
	/* With a limit: the end search stops there, and a first read past @ticks that is
	 * already past the limit (the CPU away 5 M cycles = 50000 ticks) is no window at all. */
	static const unsigned int late_end[] = {
		14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
	};

	f = (struct fake_ref){ .per = 100, .mask = 0xffff, .width = 10, .slow_width = 500000,
			       .slow = late_end, .nslow = 16 };
	CHECK(clock_window_measure(&ops16, &f, 10, 100000, &w) == 0);
	CHECKF(w.ticks >= 5000 && w.ticks <= 50000 && w.error == (10 + 500000) / 2 &&
	       window_honest(&w, 100) && f.reads == 24, "ticks %lu error %lu, %u reads", w.ticks,
	       w.error, f.reads);
	f = (struct fake_ref){ .per = 100, .mask = 0xffff, .width = 10, .slow_width = 6000000,
			       .slow = late_end, .nslow = 1 };
	CHECK(clock_window_measure(&ops16, &f, 1000, 100000, &w) == -EAGAIN);
	/* Refused and bounded. */
	CHECK(clock_window_measure(&ops16, &f, 0, 100000, &w) == -EINVAL);
	CHECK(clock_window_measure(&ops16, &f, 50001, 100000, &w) == -EINVAL);
	f = (struct fake_ref){ .per = 100, .mask = UINT64_MAX, .width = 10, .stuck = true };
	CHECK(clock_window_measure(&ops, &f, 1, 5000, &w) == -ETIMEDOUT);
	CHECK(f.reads == CLOCK_WINDOW_START_READS + 5000);
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
	{ window_from_narrow_reads, "clockcalc: a window is made of its narrowest reads, honest "
	  "about the rest" },
	{ bcd, "clockcalc: BCD digits, non-decimal nibbles rejected" },
	{ leap_years_and_months, "clockcalc: leap years (4/100/400) and month lengths" },
	{ civil_to_unix_known_values, "clockcalc: civil time -> Unix seconds, known values" },
	{ civil_rejects_bad_dates, "clockcalc: Feb 29 of common years, hour 24 etc. rejected" },
	{ civil_matches_timegm, "clockcalc: every day 1970-2400 agrees with timegm()" },
);
