/* SPDX-License-Identifier: MIT */
/*
 * Clock arithmetic, pure and hosted-testable: converting counts between two frequencies with a
 * precomputed multiply/shift (no division at run time), calibration of one counter against
 * another, and calendar time (BCD, leap years, civil date -> Unix seconds).
 */
#ifndef PVKIT_CLOCKCALC_H
#define PVKIT_CLOCKCALC_H

#include <pvkit/types.h>

#define NSEC_PER_SEC		1000000000ull
#define CLOCK_HZ_MAX		(1ull << 40)	/* ~1.1 THz: beyond any counter we convert */
#define CLOCK_CALIB_PICK_MAX	16		/* clock_calib_pick() uses at most this many */

/*
 * out = (in * mult) >> shift, the product taken in 128 bits: a 64-bit input never overflows,
 * so a TSC delta of centuries converts correctly. mult < 2^32, chosen as large as possible
 * for precision (relative error <= 2^-31 whenever the frequencies allow it).
 */
struct clock_scale {
	uint32_t mult;			/* (to_hz << shift) / from_hz, rounded */
	uint32_t shift;			/* 0-63 */
};

/**
 * clock_scale_init() - the scale converting counts at @from_hz into counts at @to_hz.
 * Return: 0, -EINVAL for a zero or absurd (> CLOCK_HZ_MAX) frequency, -ERANGE when
 * to_hz / from_hz >= 2^32 (no 32-bit multiplier can express it).
 */
int clock_scale_init(struct clock_scale *s, uint64_t from_hz, uint64_t to_hz);

/** Convert @v, rounding down; saturates at UINT64_MAX instead of wrapping. */
static inline uint64_t clock_scale_apply(const struct clock_scale *s, uint64_t v)
{
	unsigned __int128 p = ((unsigned __int128)v * s->mult) >> s->shift;

	return (p >> 64) ? UINT64_MAX : (uint64_t)p;
}

/** Convert @v, rounding up (timer deadlines: never early by rounding); saturates. */
static inline uint64_t clock_scale_apply_up(const struct clock_scale *s, uint64_t v)
{
	unsigned __int128 one = (unsigned __int128)1 << s->shift;
	unsigned __int128 p = ((unsigned __int128)v * s->mult + one - 1) >> s->shift;

	return (p >> 64) ? UINT64_MAX : (uint64_t)p;
}

/**
 * clock_calib_hz() - the frequency of a counter that advanced @ticks while a reference at
 * @ref_hz advanced @ref_ticks: ticks * ref_hz / ref_ticks, rounded to nearest.
 * Return: 0, -EINVAL if either count is 0, -EOVERFLOW if ticks * ref_hz needs > 64 bits.
 */
int clock_calib_hz(uint64_t ticks, uint64_t ref_ticks, uint64_t ref_hz, uint64_t *hz);

/** Sort @v (n small: insertion sort) and return its median (lower middle for even n). */
uint64_t clock_median(uint64_t *v, unsigned int n);

/** (max - min) / median of sorted @v, in parts per million (saturating at UINT32_MAX). */
uint32_t clock_spread_ppm(const uint64_t *sorted, unsigned int n);

/* One calibration window's result. */
struct clock_sample {
	uint64_t hz;			/* the frequency it measured */
	uint32_t error_ppm;		/* how uncertain its end points made it */
};

/**
 * clock_calib_pick() - the median frequency of the @want least uncertain of @n samples
 * (sorting @s by uncertainty, stable); *spread_ppm: how those disagree, *worst_ppm: the
 * largest uncertainty among them. Return: 0, -EINVAL if @want is 0 or more than @n.
 */
int clock_calib_pick(struct clock_sample *s, unsigned int n, unsigned int want, uint64_t *hz,
		     uint32_t *spread_ppm, uint32_t *worst_ppm);

/** Uncertainty @error as parts per million of @total (saturating; @total 0: UINT32_MAX). */
uint32_t clock_ppm(uint64_t error, uint64_t total);

/*
 * A calibration window against a counting reference (PIT channel 2 read through its latch, the
 * HPET's main counter): each read samples the counter somewhere inside a bracket of TSC reads,
 * and a step of the count seen between two reads is a tick boundary known to within those
 * two reads (a single read is only good to a tick: 838 ns on the PIT). A vCPU the host (or a
 * CPU an SMI) takes away during a read leaves a wide bracket; time away between reads costs
 * nothing, as the reference counts it too. So a window runs from a narrow step to a narrow
 * step, and lasts as long as their brackets need to be small beside it: short on a quiet CPU
 * (a busy host's vCPU runs in bursts, and a short window fits in one), long where reads are
 * slow.
 */
#define CLOCK_WINDOW_START_READS 4	/* the narrowest of this many steps starts the window */
#define CLOCK_WINDOW_PPM	50	/* a window ends once this certain */

struct clock_read {
	uint64_t count;			/* the reference counter (counting up) */
	uint64_t tsc_a, tsc_b;		/* TSC just before and just after it was sampled (a
					 * step: it reached @count in between) */
};

struct clock_window_ops {
	void (*read)(void *ctx, struct clock_read *r);	/* one bracketed read */
	uint64_t mask;			/* the counter's width: differences are taken & mask */
	uint64_t max_ticks;		/* without a rough rate: no step later than this */
	/* A counter that wraps (mask < 2^64) is followed across its turns, however long the
	 * CPU was away, once the rate is roughly known: reference ticks per 2^32 TSC cycles
	 * (0: not known), and how uncertain that is (ppm). clock_window_rough() makes both. */
	uint64_t rough_mult;
	uint32_t rough_ppm;
};

struct clock_window {
	uint64_t cycles;		/* TSC between the two steps' bracket midpoints */
	uint64_t error;			/* half the two brackets' sum: how uncertain @cycles is */
	uint64_t ticks;			/* the reference's ticks between them, exactly */
};

/**
 * clock_window_measure() - the narrowest of the first CLOCK_WINDOW_START_READS steps of the
 * counter starts a window; once it advanced @min_ticks, the first step that makes the window
 * at most @max_ppm uncertain ends it; failing that (before max_ticks without a rough rate,
 * or within @max_reads reads), the step that made it least uncertain. Without a rough rate
 * the caller makes sure a wrapping counter did not wrap inside the window (a PIT: its output
 * did not rise); with one, the window may be as long as the rate allows (half a turn of
 * error).
 * Return: 0, -EINVAL (@min_ticks 0, or beyond max_ticks without a rough rate; max_ticks
 * beyond the mask), -ETIMEDOUT (the counter did not step, or not @min_ticks, in @max_reads
 * reads), -EAGAIN (the first step past @min_ticks was already too far to place: the CPU was
 * away too long for the rate; measure again), -EIO (the counter disagrees with the rough rate
 * by more than its uncertainty).
 */
int clock_window_measure(const struct clock_window_ops *ops, void *ctx, uint64_t min_ticks,
			 uint32_t max_ppm, uint64_t max_reads, struct clock_window *w);

/**
 * clock_window_rough() - a rough rate for clock_window_ops from a TSC frequency @tsc_hz known
 * to @ppm, for a reference at @ref_hz. Return: 0, -EINVAL (a zero frequency, or @ppm 10% or
 * more: too rough to follow any turn), -ERANGE (@ref_hz 2^32 or more, or the ratio does not
 * fit).
 */
int clock_window_rough(uint64_t ref_hz, uint64_t tsc_hz, uint32_t ppm,
		       struct clock_window_ops *ops);

/* A civil date and time, UTC; year in full (2024, not 24). */
struct clock_tm {
	uint32_t year;			/* >= 1970 */
	uint8_t mon;			/* 1-12 */
	uint8_t mday;			/* 1-28/29/30/31 */
	uint8_t hour;			/* 0-23 */
	uint8_t min;			/* 0-59 */
	uint8_t sec;			/* 0-59: the RTC has no leap second */
};

/** Two BCD digits to binary. Return: 0, -EINVAL if a nibble is not a decimal digit. */
int clock_bcd_to_bin(uint8_t bcd, uint8_t *out);

bool clock_is_leap(uint32_t year);
/** Days in @mon (1-12) of @year; 0 for a month out of range. */
unsigned int clock_days_in_month(uint32_t year, unsigned int mon);

/**
 * clock_tm_to_unix() - seconds since 1970-01-01 00:00:00 UTC.
 * Return: 0, -EINVAL for any field out of range (Feb 29 of a common year, hour 24, ...).
 */
int clock_tm_to_unix(const struct clock_tm *tm, uint64_t *sec);

#endif /* PVKIT_CLOCKCALC_H */
