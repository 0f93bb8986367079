/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Clock arithmetic, pure and hosted-testable: converting counts between two frequencies with a
 * precomputed multiply/shift (no division at run time), calibration of one counter against
 * another, and calendar time (BCD, leap years, civil date -> Unix seconds).
 */
#ifndef PVKIT_CLOCKCALC_H
#define PVKIT_CLOCKCALC_H

#include <pvkit/types.h>

#define NSEC_PER_SEC		1000000000ull	/**< nanoseconds in a second */
#define CLOCK_HZ_MAX		(1ull << 40)	/**< ~1.1 THz: beyond any counter we convert */
#define CLOCK_CALIB_PICK_MAX	16		/**< clock_calib_pick() uses at most this many */

/**
 * A conversion between two frequencies: out = (in * mult) >> shift, the product taken in 128
 * bits: a 64-bit input never overflows, so a TSC delta of centuries converts correctly.
 * mult < 2^32, chosen as large as possible for precision (relative error <= 2^-31 whenever
 * the frequencies allow it).
 */
struct clock_scale {
	uint32_t mult;			/**< (to_hz << shift) / from_hz, rounded */
	uint32_t shift;			/**< 0-63 */
};

/**
 * clock_scale_init() - the scale converting counts at @p from_hz into counts at @p to_hz.
 * @param s       receives the scale.
 * @param from_hz the frequency counts are in.
 * @param to_hz   the frequency they are converted to.
 * @return 0, -EINVAL for a zero or absurd (> CLOCK_HZ_MAX) frequency, -ERANGE when
 *         to_hz / from_hz >= 2^32 (no 32-bit multiplier can express it).
 */
int clock_scale_init(struct clock_scale *s, uint64_t from_hz, uint64_t to_hz);

/**
 * clock_scale_apply() - convert @p v, rounding down.
 * @param s the scale.
 * @param v a count at from_hz.
 * @return the count at to_hz; saturates at UINT64_MAX instead of wrapping.
 */
static inline uint64_t clock_scale_apply(const struct clock_scale *s, uint64_t v)
{
	unsigned __int128 p = ((unsigned __int128)v * s->mult) >> s->shift;

	return (p >> 64) ? UINT64_MAX : (uint64_t)p;
}

/**
 * clock_scale_apply_up() - convert @p v, rounding up (timer deadlines: never early by
 * rounding).
 * @param s the scale.
 * @param v a count at from_hz.
 * @return the count at to_hz; saturates at UINT64_MAX.
 */
static inline uint64_t clock_scale_apply_up(const struct clock_scale *s, uint64_t v)
{
	unsigned __int128 one = (unsigned __int128)1 << s->shift;
	unsigned __int128 p = ((unsigned __int128)v * s->mult + one - 1) >> s->shift;

	return (p >> 64) ? UINT64_MAX : (uint64_t)p;
}

/**
 * clock_calib_hz() - the frequency of a counter measured against a reference:
 * ticks * ref_hz / ref_ticks, rounded to nearest.
 * @param ticks     how far the counter advanced.
 * @param ref_ticks how far the reference advanced meanwhile.
 * @param ref_hz    the reference's frequency.
 * @param hz        receives the counter's frequency.
 * @return 0, -EINVAL if either count is 0, -EOVERFLOW if ticks * ref_hz needs > 64 bits.
 */
int clock_calib_hz(uint64_t ticks, uint64_t ref_ticks, uint64_t ref_hz, uint64_t *hz);

/**
 * clock_median() - sort @p v (n small: insertion sort) and take its median.
 * @param v the values, sorted in place.
 * @param n how many.
 * @return the median (lower middle for even @p n).
 */
uint64_t clock_median(uint64_t *v, unsigned int n);

/**
 * clock_spread_ppm() - how much sorted values disagree: (max - min) / median.
 * @param sorted the values, sorted.
 * @param n      how many.
 * @return parts per million (saturating at UINT32_MAX).
 */
uint32_t clock_spread_ppm(const uint64_t *sorted, unsigned int n);

/** One calibration window's result. */
struct clock_sample {
	uint64_t hz;			/**< the frequency it measured */
	uint32_t error_ppm;		/**< how uncertain its end points made it */
};

/**
 * clock_calib_pick() - the median frequency of the @p want least uncertain of @p n samples
 * (sorting @p s by uncertainty, stable): a disturbed window does not move the result.
 * @param s          the samples, sorted in place.
 * @param n          how many.
 * @param want       how many of the best to use (at most CLOCK_CALIB_PICK_MAX).
 * @param hz         receives their median frequency.
 * @param spread_ppm receives how those disagree.
 * @param worst_ppm  receives the largest uncertainty among them.
 * @return 0, -EINVAL if @p want is 0 or more than @p n.
 */
int clock_calib_pick(struct clock_sample *s, unsigned int n, unsigned int want, uint64_t *hz,
		     uint32_t *spread_ppm, uint32_t *worst_ppm);

/**
 * clock_ppm() - an uncertainty as parts per million of a total.
 * @param error the uncertainty.
 * @param total what it is relative to.
 * @return ppm (saturating; @p total 0: UINT32_MAX).
 */
uint32_t clock_ppm(uint64_t error, uint64_t total);

/**
 * @name Calibration windows
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
/** @{ */
#define CLOCK_WINDOW_START_READS 4	/**< the narrowest of this many steps starts the window */
#define CLOCK_WINDOW_PPM	50	/**< a window ends once this certain */

/** One read of the reference, bracketed by TSC reads. */
struct clock_read {
	uint64_t count;			/**< the reference counter (counting up) */
	/** @{ */
	uint64_t tsc_a, tsc_b;		/**< TSC just before and just after it was sampled (a
					 * step: it reached count in between) */
	/** @} */
};

/** The reference counter a window is measured against. */
struct clock_window_ops {
	void (*read)(void *ctx, struct clock_read *r);	/**< one bracketed read */
	uint64_t mask;			/**< the counter's width: differences are taken & mask */
	uint64_t max_ticks;		/**< without a rough rate: no step later than this */
	/** A counter that wraps (mask < 2^64) is followed across its turns, however long the
	 * CPU was away, once the rate is roughly known: reference ticks per 2^32 TSC cycles
	 * (0: not known), and how uncertain that is (ppm). clock_window_rough() makes both. */
	uint64_t rough_mult;
	uint32_t rough_ppm;		/**< how uncertain rough_mult is, in ppm */
};

/** What a window measured. */
struct clock_window {
	uint64_t cycles;		/**< TSC between the two steps' bracket midpoints */
	uint64_t error;			/**< half the two brackets' sum: how uncertain cycles is */
	uint64_t ticks;			/**< the reference's ticks between them, exactly */
};

/**
 * clock_window_measure() - the narrowest of the first CLOCK_WINDOW_START_READS steps of the
 * counter starts a window; once it advanced @p min_ticks, the first step that makes the window
 * at most @p max_ppm uncertain ends it; failing that (before max_ticks without a rough rate,
 * or within @p max_reads reads), the step that made it least uncertain. Without a rough rate
 * the caller makes sure a wrapping counter did not wrap inside the window (a PIT: its output
 * did not rise); with one, the window may be as long as the rate allows (half a turn of
 * error).
 * @param ops       the reference counter.
 * @param ctx       passed to ops->read.
 * @param min_ticks reference ticks the window lasts at least.
 * @param max_ppm   how certain the window should be.
 * @param max_reads reads at most, so that a stuck counter ends it.
 * @param w         receives what was measured.
 * @return 0, -EINVAL (@p min_ticks 0, or beyond max_ticks without a rough rate; max_ticks
 *         beyond the mask), -ETIMEDOUT (the counter did not step, or not @p min_ticks, in
 *         @p max_reads reads), -EAGAIN (the first step past @p min_ticks was already too far
 *         to place: the CPU was away too long for the rate; measure again), -EIO (the counter
 *         disagrees with the rough rate by more than its uncertainty).
 */
int clock_window_measure(const struct clock_window_ops *ops, void *ctx, uint64_t min_ticks,
			 uint32_t max_ppm, uint64_t max_reads, struct clock_window *w);

/**
 * clock_window_rough() - a rough rate for clock_window_ops, so a window can follow a
 * wrapping counter across its turns.
 * @param ref_hz the reference's frequency.
 * @param tsc_hz the TSC's frequency, roughly.
 * @param ppm    how well @p tsc_hz is known.
 * @param ops    receives rough_mult and rough_ppm.
 * @return 0, -EINVAL (a zero frequency, or @p ppm 10% or more: too rough to follow any turn),
 *         -ERANGE (@p ref_hz 2^32 or more, or the ratio does not fit).
 */
int clock_window_rough(uint64_t ref_hz, uint64_t tsc_hz, uint32_t ppm,
		       struct clock_window_ops *ops);
/** @} */

/** A civil date and time, UTC; year in full (2024, not 24). */
struct clock_tm {
	uint32_t year;			/**< >= 1970 */
	uint8_t mon;			/**< 1-12 */
	uint8_t mday;			/**< 1-28/29/30/31 */
	uint8_t hour;			/**< 0-23 */
	uint8_t min;			/**< 0-59 */
	uint8_t sec;			/**< 0-59: the RTC has no leap second */
};

/**
 * clock_bcd_to_bin() - two BCD digits to binary.
 * @param bcd the digits.
 * @param out receives the value, 0-99.
 * @return 0, -EINVAL if a nibble is not a decimal digit.
 */
int clock_bcd_to_bin(uint8_t bcd, uint8_t *out);

/**
 * clock_is_leap() - is @p year a Gregorian leap year?
 * @param year the year in full.
 * @return true if so.
 */
bool clock_is_leap(uint32_t year);

/**
 * clock_days_in_month() - the days in a month.
 * @param year the year in full.
 * @param mon  the month, 1-12.
 * @return the days; 0 for a month out of range.
 */
unsigned int clock_days_in_month(uint32_t year, unsigned int mon);

/**
 * clock_tm_to_unix() - seconds since 1970-01-01 00:00:00 UTC.
 * @param tm  the date and time, validated here.
 * @param sec receives the seconds.
 * @return 0, -EINVAL for any field out of range (Feb 29 of a common year, hour 24, ...).
 */
int clock_tm_to_unix(const struct clock_tm *tm, uint64_t *sec);

#endif /* PVKIT_CLOCKCALC_H */
