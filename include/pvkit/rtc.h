/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The CMOS real-time clock (MC146818A and its descendants): the wall clock at boot. Registers
 * are BCD or binary and 12- or 24-hour as status register B says; the year has two digits
 * unless the FADT names a century register.
 */
#ifndef PVKIT_RTC_H
#define PVKIT_RTC_H

#include <pvkit/clockcalc.h>
#include <pvkit/types.h>

#define RTC_B_24H		0x02	/**< status B: 24-hour mode (else 12-hour, bit 7 = PM) */
#define RTC_B_BINARY		0x04	/**< status B: binary (else BCD) */
#define RTC_HOUR_PM		0x80	/**< 12-hour mode: afternoon */

/** The clock registers as read, before any decoding (so decoding is testable on the host). */
struct rtc_regs {
	/** @{ */
	uint8_t sec, min, hour;		/**< the time; hour carries RTC_HOUR_PM in 12-hour mode */
	/** @} */
	/** @{ */
	uint8_t mday, mon, year;	/**< the date: day of the month, month, two-digit year */
	/** @} */
	uint8_t century;		/**< valid when has_century */
	bool has_century;		/**< the FADT named a century register */
	uint8_t status_b;		/**< RTC_B_* */
};

/**
 * rtc_decode() - turn raw registers into a validated date (2000-2099 without a century
 * register) and Unix seconds. Pure.
 * @param r        the registers.
 * @param tm       receives the date and time.
 * @param unix_sec receives the seconds since the Unix epoch.
 * @return 0, -EINVAL for a non-BCD digit, an hour that is not 1-12 in 12-hour mode, or any
 *         field out of range (Feb 30, minute 60, ...).
 */
int rtc_decode(const struct rtc_regs *r, struct clock_tm *tm, uint64_t *unix_sec);

/**
 * rtc_set_century_reg() - use a CMOS register as the century, as the FADT names it.
 * @param reg the register, or 0 for none.
 * @return 0, or -EINVAL if implausible (inside the clock's own registers or beyond 0x7f).
 */
int rtc_set_century_reg(uint8_t reg);

/**
 * rtc_read() - a consistent snapshot of the clock: waits (bounded) for no update in progress
 * and reads until two passes agree, with interrupts off so the index/data port pair is not
 * split.
 * @param r receives the registers.
 * @return 0, -ETIMEDOUT (update flag stuck), -EIO (never two equal passes).
 */
int rtc_read(struct rtc_regs *r);

/**
 * rtc_unix_time() - rtc_read() and rtc_decode(): the wall clock now.
 * @param sec receives the seconds since the Unix epoch.
 * @param tm  receives the date and time.
 * @return 0 or -errno.
 */
int rtc_unix_time(uint64_t *sec, struct clock_tm *tm);

#endif /* PVKIT_RTC_H */
