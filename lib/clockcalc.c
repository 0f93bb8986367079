// SPDX-License-Identifier: MIT
/* Clock arithmetic: multiply/shift scales, calibration ratios, calendar conversion. Pure code
 * (no hardware, no globals), so tests/unit/test_clockcalc.c runs it hosted. */
#include <pvkit/clockcalc.h>
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

/*
 * The next moment the counter is seen to step: the reference reached b->count somewhere after
 * the previous read's sample and no later than this read's, so in (prev.tsc_a, r.tsc_b]. A
 * step is exact where a single read is not (a PIT tick is 838 ns). @prev carries the last
 * read from call to call. false after @max_reads reads without a step.
 */
static bool clock_next_step(const struct clock_window_ops *ops, void *ctx,
			    struct clock_read *prev, uint64_t *reads, uint64_t max_reads,
			    struct clock_read *b)
{
	struct clock_read r;

	while (*reads < max_reads) {
		ops->read(ctx, &r);
		++*reads;
		if (((r.count - prev->count) & ops->mask) != 0) {
			b->count = r.count;
			b->tsc_a = prev->tsc_a;
			b->tsc_b = r.tsc_b;
			*prev = r;
			return true;
		}
		*prev = r;
	}
	return false;
}

/*
 * How far the counter really advanced, @counted & mask of it, over @cycles +- @error of TSC.
 * Without a rough rate it must be under max_ticks (the caller rules out a wrap). With one,
 * whole turns of the counter are added until it matches the rate. 0; -ERANGE (this step is
 * too wide to place: a later, narrower one may be); -EAGAIN (the rate is too rough for so
 * long a time, half a turn: no later step will do); -EIO (no whole number of turns matches:
 * the counter or the rate is wrong).
 */
static int clock_unwrap(const struct clock_window_ops *ops, uint64_t counted, uint64_t cycles,
			uint64_t error, uint64_t *advanced)
{
	unsigned __int128 p = (unsigned __int128)(cycles + error) * ops->rough_mult >> 32;
	uint64_t period = ops->mask + 1, expected, drift, slack, turns;

	if (!ops->rough_mult || ops->mask == UINT64_MAX) {
		*advanced = counted;
		return counted > ops->max_ticks ? -EAGAIN : 0;
	}
	if (cycles + error < cycles || (p >> 62))
		return -EAGAIN;
	expected = (uint64_t)((unsigned __int128)cycles * ops->rough_mult >> 32);
	/* p < 2^62 and ppm < 2^17: in two parts, no 128-bit division (none in the kernel) */
	drift = (uint64_t)p / 1000000 * ops->rough_ppm +
		(uint64_t)p % 1000000 * ops->rough_ppm / 1000000 + 2;
	if (drift >= period / 2)
		return -EAGAIN;
	slack = drift + (uint64_t)p - expected;
	if (slack >= period / 2)
		return -ERANGE;
	turns = expected + period / 2 > counted ? (expected + period / 2 - counted) / period : 0;
	*advanced = counted + turns * period;
	if ((*advanced > expected ? *advanced - expected : expected - *advanced) > slack)
		return -EIO;
	return 0;
}

int clock_window_measure(const struct clock_window_ops *ops, void *ctx, uint64_t min_ticks,
			 uint32_t max_ppm, uint64_t max_reads, struct clock_window *w)
{
	struct clock_read prev, b, s = { 0 }, e = { 0 };
	uint32_t ppm, best = UINT32_MAX;
	uint64_t reads = 1, advanced;
	bool have = false;
	int err = 0;

	if (!min_ticks || ops->max_ticks > ops->mask ||
	    (min_ticks > ops->max_ticks && !ops->rough_mult))
		return -EINVAL;
	ops->read(ctx, &prev);
	for (unsigned int i = 0; i < CLOCK_WINDOW_START_READS; i++) {
		if (!clock_next_step(ops, ctx, &prev, &reads, max_reads, &b))
			return -ETIMEDOUT;
		if (!i || clock_read_width(&b) < clock_read_width(&s))
			s = b;
	}
	while (clock_next_step(ops, ctx, &prev, &reads, max_reads, &b)) {
		err = clock_unwrap(ops, (b.count - s.count) & ops->mask,
				   clock_read_mid(&b) - clock_read_mid(&s),
				   (clock_read_width(&s) + clock_read_width(&b)) / 2, &advanced);
		if (err == -ERANGE)
			continue;
		if (err)
			break;
		if (advanced < min_ticks)
			continue;
		ppm = clock_ppm((clock_read_width(&s) + clock_read_width(&b)) / 2,
				clock_read_mid(&b) - clock_read_mid(&s));
		if (!have || ppm < best) {
			e = b;
			best = ppm;
			have = true;
		}
		if (ppm <= max_ppm)
			break;
	}
	if (err == -EIO)
		return err;
	if (!have)
		return err && err != -ERANGE ? err : -ETIMEDOUT;
	w->cycles = clock_read_mid(&e) - clock_read_mid(&s);
	w->error = (clock_read_width(&s) + clock_read_width(&e)) / 2;
	clock_unwrap(ops, (e.count - s.count) & ops->mask, w->cycles, w->error, &w->ticks);
	return 0;
}

int clock_window_rough(uint64_t ref_hz, uint64_t tsc_hz, uint32_t ppm,
		       struct clock_window_ops *ops)
{
	uint64_t m;

	if (!ref_hz || !tsc_hz || ppm >= 100000)
		return -EINVAL;
	if (ref_hz >> 32)
		return -ERANGE;
	m = (ref_hz << 32) / tsc_hz;
	if (!m || (m >> 63))
		return -ERANGE;
	ops->rough_mult = m;
	ops->rough_ppm = ppm + 1;		/* and the division's rounding */
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
