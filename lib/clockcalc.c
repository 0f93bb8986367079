// SPDX-License-Identifier: MIT
/* Clock arithmetic: multiply/shift scales, calibration ratios, calendar conversion. Pure code
 * (no hardware, no globals), so tests/unit/test_clockcalc.c runs it hosted. */
#include <pvkit/clockcalc.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>

int clock_scale_init(struct clock_scale *s, uint64_t from_hz, uint64_t to_hz)
{
	if (!from_hz || !to_hz || from_hz > CLOCK_HZ_MAX || to_hz > CLOCK_HZ_MAX)
		return -EINVAL;
	/*
	 * The largest shift whose multiplier still fits 32 bits and whose numerator
	 * (to_hz << shift) fits 64: precision without any 128-bit division. Both
	 * frequencies are <= 2^40, so remainder * 2 below cannot overflow. A ratio of 2^32
	 * or more fits at no shift: the loop ends in -ERANGE.
	 */
	for (int shift = 63; shift >= 0; shift--) {
		uint64_t num, mult;

		if (to_hz > (UINT64_MAX >> shift))
			continue;
		num = to_hz << shift;
		mult = num / from_hz;
		if ((num % from_hz) * 2 >= from_hz)
			mult++;
		if (mult >= (1ull << 32))
			continue;
		if (!mult)
			return -ERANGE;	/* cannot happen for hz <= 2^40; kept as a guard */
		s->mult = (uint32_t)mult;
		s->shift = (uint32_t)shift;
		return 0;
	}
	return -ERANGE;
}

int clock_calib_hz(uint64_t ticks, uint64_t ref_ticks, uint64_t ref_hz, uint64_t *hz)
{
	uint64_t num;

	if (!ticks || !ref_ticks || !ref_hz)
		return -EINVAL;
	if (ticks > (UINT64_MAX - ref_ticks / 2) / ref_hz)
		return -EOVERFLOW;
	num = ticks * ref_hz + ref_ticks / 2;
	*hz = num / ref_ticks;
	return 0;
}

uint64_t clock_median(uint64_t *v, unsigned int n)
{
	if (!n)
		return 0;
	for (unsigned int i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[(n - 1) / 2];
}

uint32_t clock_spread_ppm(const uint64_t *sorted, unsigned int n)
{
	uint64_t med, diff, ppm;

	if (n < 2)
		return 0;
	med = sorted[(n - 1) / 2];
	diff = sorted[n - 1] - sorted[0];
	if (!med)
		return UINT32_MAX;
	if (diff > UINT64_MAX / 1000000)
		return UINT32_MAX;
	ppm = diff * 1000000 / med;
	return ppm > UINT32_MAX ? UINT32_MAX : (uint32_t)ppm;
}

uint32_t clock_ppm(uint64_t error, uint64_t total)
{
	uint64_t ppm;

	if (!total || error > UINT64_MAX / 1000000)
		return UINT32_MAX;
	ppm = error * 1000000 / total;
	return ppm > UINT32_MAX ? UINT32_MAX : (uint32_t)ppm;
}

static uint64_t clock_read_width(const struct clock_read *r)
{
	return r->tsc_b - r->tsc_a;
}

static uint64_t clock_read_mid(const struct clock_read *r)
{
	return r->tsc_a + clock_read_width(r) / 2;
}

int clock_window_measure(const struct clock_window_ops *ops, void *ctx, uint64_t ticks,
			 uint64_t max_reads, struct clock_window *w)
{
	struct clock_read r, s = { 0 }, e = { 0 };
	uint64_t narrowest, n, advanced;
	unsigned int ends = 0;

	if (!ticks || ticks > ops->max_ticks || ops->max_ticks > ops->mask)
		return -EINVAL;
	for (unsigned int i = 0; i < CLOCK_WINDOW_START_READS; i++) {
		ops->read(ctx, &r);
		if (!i || clock_read_width(&r) < clock_read_width(&s))
			s = r;
	}
	narrowest = clock_read_width(&s);
	for (n = 0; n < max_reads; n++) {
		ops->read(ctx, &r);
		narrowest = MIN(narrowest, clock_read_width(&r));
		advanced = (r.count - s.count) & ops->mask;
		if (advanced < ticks)
			continue;
		if (advanced > ops->max_ticks) {
			if (!ends)
				return -EAGAIN;
			break;
		}
		if (!ends || clock_read_width(&r) < clock_read_width(&e))
			e = r;
		if (clock_read_width(&r) <= 2 * narrowest || ++ends == CLOCK_WINDOW_END_READS)
			break;
	}
	if (n == max_reads)
		return -ETIMEDOUT;
	w->cycles = clock_read_mid(&e) - clock_read_mid(&s);
	w->error = (clock_read_width(&s) + clock_read_width(&e)) / 2;
	w->ticks = (e.count - s.count) & ops->mask;
	return 0;
}

int clock_calib_pick(struct clock_sample *s, unsigned int n, unsigned int want, uint64_t *hz,
		     uint32_t *spread_ppm, uint32_t *worst_ppm)
{
	uint64_t v[CLOCK_CALIB_PICK_MAX];

	if (!want || want > n || want > CLOCK_CALIB_PICK_MAX)
		return -EINVAL;
	for (unsigned int i = 1; i < n; i++) {		/* insertion sort: stable, n small */
		struct clock_sample x = s[i];
		unsigned int j = i;

		for (; j > 0 && s[j - 1].error_ppm > x.error_ppm; j--)
			s[j] = s[j - 1];
		s[j] = x;
	}
	for (unsigned int i = 0; i < want; i++)
		v[i] = s[i].hz;
	*hz = clock_median(v, want);
	*spread_ppm = clock_spread_ppm(v, want);
	*worst_ppm = s[want - 1].error_ppm;
	return 0;
}

int clock_bcd_to_bin(uint8_t bcd, uint8_t *out)
{
	if ((bcd & 0x0f) > 9 || (bcd >> 4) > 9)
		return -EINVAL;
	*out = (uint8_t)((bcd >> 4) * 10 + (bcd & 0x0f));
	return 0;
}

bool clock_is_leap(uint32_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

unsigned int clock_days_in_month(uint32_t year, unsigned int mon)
{
	static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (mon < 1 || mon > 12)
		return 0;
	return days[mon - 1] + (mon == 2 && clock_is_leap(year));
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), after Howard Hinnant's
 * days_from_civil: years start in March so the leap day is the last day of a year. */
static uint64_t clock_days_from_civil(uint32_t y, unsigned int m, unsigned int d)
{
	uint64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int clock_tm_to_unix(const struct clock_tm *tm, uint64_t *sec)
{
	/* 1970 <= year <= 9999: a four-digit year keeps every product far from overflow. */
	if (tm->year < 1970 || tm->year > 9999)
		return -EINVAL;
	if (tm->mday < 1 || tm->mday > clock_days_in_month(tm->year, tm->mon))
		return -EINVAL;
	if (tm->hour > 23 || tm->min > 59 || tm->sec > 59)
		return -EINVAL;
	*sec = clock_days_from_civil(tm->year, tm->mon, tm->mday) * 86400 +
	       tm->hour * 3600u + tm->min * 60u + tm->sec;
	return 0;
}
