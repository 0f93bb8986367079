// SPDX-License-Identifier: MIT
/* CMOS real-time clock (MC146818A datasheet; the century register from the ACPI FADT): read a
 * consistent snapshot with bounded waits, decode BCD/binary and 12/24-hour, convert to Unix. */
#include <string.h>
#include <pvkit/errno.h>
#include <pvkit/pv.h>
#include <pvkit/rtc.h>
#include <pvkit/x86.h>

#define CMOS_INDEX		0x70
#define CMOS_DATA		0x71
#define RTC_REG_SEC		0x00
#define RTC_REG_MIN		0x02
#define RTC_REG_HOUR		0x04
#define RTC_REG_MDAY		0x07
#define RTC_REG_MON		0x08
#define RTC_REG_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_A_UIP		0x80	/* update in progress: the registers are changing */
#define RTC_FIRST_FREE_REG	0x0e	/* below: clock and status registers */
/*
 * An update keeps UIP set for under 2 ms (244 us warning + 1984 us worst update); a CMOS read
 * costs ~1 us on hardware. 100000 polls is far beyond that and still well under a second.
 */
#define RTC_UIP_POLLS		100000u
#define RTC_READ_PASSES		5	/* tries to get two equal snapshots */

static uint8_t rtc_century_reg;		/* CMOS index of the century, 0: none */

static int rtc_field(uint8_t raw, bool bcd, uint8_t *out)
{
	if (!bcd) {
		*out = raw;
		return 0;
	}
	return clock_bcd_to_bin(raw, out);
}

int rtc_decode(const struct rtc_regs *r, struct clock_tm *tm, uint64_t *unix_sec)
{
	bool bcd = !(r->status_b & RTC_B_BINARY), h12 = !(r->status_b & RTC_B_24H);
	uint8_t hour = r->hour, year, century = 20;
	bool pm = false;

	if (h12) {
		pm = hour & RTC_HOUR_PM;
		hour &= ~RTC_HOUR_PM;
	}
	if (rtc_field(r->sec, bcd, &tm->sec) || rtc_field(r->min, bcd, &tm->min) ||
	    rtc_field(hour, bcd, &tm->hour) || rtc_field(r->mday, bcd, &tm->mday) ||
	    rtc_field(r->mon, bcd, &tm->mon) || rtc_field(r->year, bcd, &year))
		return -EINVAL;
	if (r->has_century && rtc_field(r->century, bcd, &century))
		return -EINVAL;
	if (year > 99 || century < 19 || century > 99)
		return -EINVAL;
	if (h12) {
		if (tm->hour < 1 || tm->hour > 12)
			return -EINVAL;
		tm->hour = tm->hour % 12 + (pm ? 12 : 0);	/* 12 AM is 0, 12 PM is 12 */
	}
	tm->year = century * 100u + year;
	return clock_tm_to_unix(tm, unix_sec);
}

int rtc_set_century_reg(uint8_t reg)
{
	if (reg && (reg < RTC_FIRST_FREE_REG || reg > 0x7f))
		return -EINVAL;
	rtc_century_reg = reg;
	return 0;
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(CMOS_INDEX, reg);			/* bit 7 clear: NMI stays enabled */
	return inb(CMOS_DATA);
}

static int rtc_wait_no_update(void)
{
	for (unsigned int i = 0; i < RTC_UIP_POLLS; i++)
		if (!(cmos_read(RTC_REG_A) & RTC_A_UIP))
			return 0;
	return -ETIMEDOUT;
}

/* After UIP reads clear, the registers hold still for at least 244 us: read them now. */
static int rtc_snapshot(struct rtc_regs *r)
{
	int err = rtc_wait_no_update();

	if (err)
		return err;
	memset(r, 0, sizeof(*r));
	r->sec = cmos_read(RTC_REG_SEC);
	r->min = cmos_read(RTC_REG_MIN);
	r->hour = cmos_read(RTC_REG_HOUR);
	r->mday = cmos_read(RTC_REG_MDAY);
	r->mon = cmos_read(RTC_REG_MON);
	r->year = cmos_read(RTC_REG_YEAR);
	r->has_century = rtc_century_reg != 0;
	if (r->has_century)
		r->century = cmos_read(rtc_century_reg);
	r->status_b = cmos_read(RTC_REG_B);
	return 0;
}

int rtc_read(struct rtc_regs *r)
{
	struct rtc_regs a, b;
	unsigned long fl;
	int err = -EIO;

	fl = pv_irq_save();			/* the index/data pair must not be split */
	for (unsigned int pass = 0; pass < RTC_READ_PASSES; pass++) {
		err = rtc_snapshot(&a);
		if (!err)
			err = rtc_snapshot(&b);
		if (err)
			break;
		if (!memcmp(&a, &b, sizeof(a))) {
			*r = a;
			break;
		}
		err = -EIO;			/* a second ticked between the two: again */
	}
	pv_irq_restore(fl);
	return err;
}

int rtc_unix_time(uint64_t *sec, struct clock_tm *tm)
{
	struct rtc_regs r;
	int err;

	err = rtc_read(&r);
	if (err)
		return err;
	return rtc_decode(&r, tm, sec);
}
