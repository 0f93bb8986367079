// SPDX-License-Identifier: MIT
/* drivers/native/rtc.c, the decoding half: BCD and binary, 12- and 24-hour, the century
 * register or its absence, and registers that do not make a valid date. */
#include <stdint.h>
#include <pvkit/errno.h>
#include <pvkit/pv.h>
#include <pvkit/rtc.h>
#include "unit.h"

/* rtc_read() is linked but never run here: its interrupt-flag wrapper needs this symbol. */
const struct pv_irq_ops *pv_irq;

static int decode(uint8_t sec, uint8_t min, uint8_t hour, uint8_t mday, uint8_t mon,
		  uint8_t year, int century, uint8_t status_b, struct clock_tm *tm, uint64_t *t)
{
	struct rtc_regs r = {
		.sec = sec, .min = min, .hour = hour, .mday = mday, .mon = mon, .year = year,
		.century = century < 0 ? 0 : (uint8_t)century, .has_century = century >= 0,
		.status_b = status_b,
	};

	return rtc_decode(&r, tm, t);
}

static void bcd_24h(void)
{
	struct clock_tm tm;
	uint64_t t;

	CHECK(decode(0x56, 0x34, 0x12, 0x29, 0x02, 0x24, 0x20, RTC_B_24H, &tm, &t) == 0);
	CHECK(tm.year == 2024 && tm.mon == 2 && tm.mday == 29);
	CHECK(tm.hour == 12 && tm.min == 34 && tm.sec == 56);
	CHECK(t == 1709210096);
	CHECK(decode(0x59, 0x59, 0x23, 0x31, 0x12, 0x99, 0x20, RTC_B_24H, &tm, &t) == 0);
	CHECK(tm.year == 2099 && tm.hour == 23);
}

static void binary_24h(void)
{
	struct clock_tm tm;
	uint64_t t;

	CHECK(decode(56, 34, 12, 29, 2, 24, 20, RTC_B_24H | RTC_B_BINARY, &tm, &t) == 0);
	CHECK(t == 1709210096);
	/* 0x12 read as binary is 18, not 12. */
	CHECK(decode(0, 0, 0x12, 1, 1, 24, 20, RTC_B_24H | RTC_B_BINARY, &tm, &t) == 0);
	CHECK(tm.hour == 18);
}

static void twelve_hour(void)
{
	struct clock_tm tm;
	uint64_t t;

	CHECK(decode(0, 0, 0x12, 1, 1, 0x24, 0x20, 0, &tm, &t) == 0 && tm.hour == 0);	/* 12 AM */
	CHECK(decode(0, 0, 0x92, 1, 1, 0x24, 0x20, 0, &tm, &t) == 0 && tm.hour == 12); /* 12 PM */
	CHECK(decode(0, 0, 0x81, 1, 1, 0x24, 0x20, 0, &tm, &t) == 0 && tm.hour == 13); /* 1 PM */
	CHECK(decode(0, 0, 0x01, 1, 1, 0x24, 0x20, 0, &tm, &t) == 0 && tm.hour == 1);  /* 1 AM */
	CHECK(decode(0, 0, 0x91, 1, 1, 0x24, 0x20, 0, &tm, &t) == 0 && tm.hour == 23); /* 11 PM */
	CHECK(decode(0, 0, 0x8b, 1, 1, 24, 20, RTC_B_BINARY, &tm, &t) == 0 && tm.hour == 23);
	CHECK(decode(0, 0, 0x0c, 1, 1, 24, 20, RTC_B_BINARY, &tm, &t) == 0 && tm.hour == 0);
}

static void century(void)
{
	struct clock_tm tm;
	uint64_t t;

	CHECK(decode(0, 0, 0, 1, 1, 0x99, 0x19, RTC_B_24H, &tm, &t) == 0 && tm.year == 1999);
	CHECK(decode(0, 0, 0, 1, 1, 0x24, -1, RTC_B_24H, &tm, &t) == 0 && tm.year == 2024);
	CHECK(decode(0, 0, 0, 1, 1, 0x00, -1, RTC_B_24H, &tm, &t) == 0 && tm.year == 2000);
	CHECK(decode(0, 0, 0, 1, 1, 0x24, 0x21, RTC_B_24H, &tm, &t) == 0 && tm.year == 2124);
	CHECK(rtc_set_century_reg(0) == 0);
	CHECK(rtc_set_century_reg(0x32) == 0);
	CHECK(rtc_set_century_reg(0x0b) == -EINVAL);	/* status B: a clock register */
	CHECK(rtc_set_century_reg(0x80) == -EINVAL);	/* past the CMOS */
}

static void bad_values_rejected(void)
{
	struct clock_tm tm;
	uint64_t t;

	CHECK(decode(0x1a, 0, 0, 1, 1, 0x24, 0x20, RTC_B_24H, &tm, &t) == -EINVAL); /* BCD */
	CHECK(decode(0, 0xa0, 0, 1, 1, 0x24, 0x20, RTC_B_24H, &tm, &t) == -EINVAL);
	CHECK(decode(0, 0, 0x24, 1, 1, 0x24, 0x20, RTC_B_24H, &tm, &t) == -EINVAL); /* hour 24 */
	CHECK(decode(0, 0, 0x80, 1, 1, 0x24, 0x20, RTC_B_24H, &tm, &t) == -EINVAL); /* PM bit, 24h */
	CHECK(decode(0, 0, 0x13, 1, 1, 0x24, 0x20, 0, &tm, &t) == -EINVAL);	/* 13 in 12h */
	CHECK(decode(0, 0, 0x00, 1, 1, 0x24, 0x20, 0, &tm, &t) == -EINVAL);	/* 0 in 12h */
	CHECK(decode(0, 0, 0x80, 1, 1, 0x24, 0x20, 0, &tm, &t) == -EINVAL);	/* 0 PM */
	CHECK(decode(0, 0, 0, 0x29, 0x02, 0x23, 0x20, RTC_B_24H, &tm, &t) == -EINVAL); /* Feb 29 */
	CHECK(decode(0, 0, 0, 0x00, 0x01, 0x24, 0x20, RTC_B_24H, &tm, &t) == -EINVAL); /* day 0 */
	CHECK(decode(0, 0, 0, 0x01, 0x13, 0x24, 0x20, RTC_B_24H, &tm, &t) == -EINVAL); /* mon 13 */
	CHECK(decode(0x60, 0, 0, 1, 1, 0x24, 0x20, RTC_B_24H, &tm, &t) == -EINVAL);	/* sec 60 */
	CHECK(decode(0, 0, 0, 1, 1, 100, 20, RTC_B_24H | RTC_B_BINARY, &tm, &t) == -EINVAL);
	CHECK(decode(0, 0, 0, 1, 1, 0x24, 0x18, RTC_B_24H, &tm, &t) == -EINVAL); /* 1824 */
	CHECK(decode(0, 0, 0, 1, 1, 0x24, 0xff, RTC_B_24H, &tm, &t) == -EINVAL); /* floating bus */
	CHECK(decode(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, -1, 0xff, &tm, &t) == -EINVAL);
}

UNIT_CASES(
	{ bcd_24h, "rtc: BCD, 24-hour, century register" },
	{ binary_24h, "rtc: binary mode is not read as BCD" },
	{ twelve_hour, "rtc: 12-hour mode, 12 AM is 0 and 12 PM is 12" },
	{ century, "rtc: century register or 20xx; implausible century index refused" },
	{ bad_values_rejected, "rtc: non-BCD digits, hour 24, Feb 29 2023, a floating bus rejected" },
);
