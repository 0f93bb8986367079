// SPDX-License-Identifier: MIT
/*
 * The native time backend: the TSC calibrated against the PIT (the HPET when there is no PIT)
 * is the monotonic clock; the LAPIC timer, calibrated against the TSC, or its TSC-deadline
 * mode is the one-shot timer; the CMOS RTC is the wall clock. Every polling loop is bounded.
 */
#include <pvkit/acpi.h>
#include <pvkit/clockcalc.h>
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/hpet.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/native.h>
#include <pvkit/native_time.h>
#include <pvkit/pit.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/rtc.h>
#include <pvkit/x86.h>

#define CALIB_WINDOWS		5		/* median of these: one odd window is outvoted */
#define CALIB_PIT_TICKS		1193		/* 1 ms of PIT at least (clock_window_measure) */
#define CALIB_TRIES_MAX		15		/* windows tried for enough quiet ones */
#define CALIB_ATTEMPTS_MAX	60		/* ... counting those measured again */
#define TSC_MAX_ERROR_PPM	250		/* a quiet PIT window: end points within this */
#define LAPIC_MAX_ERROR_PPM	500		/* its MMIO is slower; the timer margin is 0.1% */
#define TSC_HZ_MIN		100000000ull	/* 100 MHz: slower is not a 64-bit CPU's TSC */
#define TSC_HZ_MAX		20000000000ull	/* 20 GHz */
#define LAPIC_WINDOWS		3
#define LAPIC_HZ_MIN		100000ull	/* bus clock / 16 */
#define LAPIC_HZ_MAX		2000000000ull
#define SPIN_MAX		1000000000u	/* rdtsc polls: a bound that is never the limit */
#define NOTSCDEADLINE_OPT	"pvkit.no_tsc_deadline"	/* use the LAPIC count-down instead */
#define CPUID1_EDX_TSC		(1u << 4)
#define CPUID_EXT_EDX_INVARIANT_TSC (1u << 8)	/* leaf 0x80000007 */
BUILD_BUG_ON(CALIB_WINDOWS > CLOCK_CALIB_PICK_MAX || LAPIC_WINDOWS > CLOCK_CALIB_PICK_MAX);

static struct {
	struct native_time_info info;	/* measured values and counters (native_time.h) */
	uint64_t tsc_base;		/* TSC at clock_ns() == 0: when time init began */
	struct clock_scale tsc_to_ns;	/* clock_ns() */
	struct clock_scale ns_to_tsc;	/* deadline -> TSC (TSC-deadline mode) */
	struct clock_scale ns_to_lapic;	/* deadline -> LAPIC ticks (one-shot mode) */
	uint64_t deadline_ns;		/* armed deadline; 0: none. Changed with interrupts off */
	bool ready;			/* init finished: set_timer may program hardware */
} nt;

/* lfence first: the read may not move above earlier loads (a deadline check after them). */
static inline uint64_t rdtsc_ordered(void)
{
	__asm__ __volatile__("lfence" ::: "memory");
	return rdtsc();
}

static uint64_t native_clock_ns(void)
{
	uint64_t tsc = rdtsc_ordered();

	return tsc > nt.tsc_base ? clock_scale_apply(&nt.tsc_to_ns, tsc - nt.tsc_base) : 0;
}

/* A calibration window: measures one frequency and how uncertain it is. */
typedef int (*calib_window_t)(void *ctx, struct clock_sample *s);

/*
 * Windows until @want of them are within @max_ppm of uncertainty (an uncertain one: the CPU
 * was taken away during the reads at both ends, or at an end point; under TCG a preempted vCPU
 * thread or QEMU's big lock, on hardware an SMI), at most CALIB_TRIES_MAX. A window that
 * says -EAGAIN (the CPU was away so long that the reference wrapped) is measured again, up to
 * CALIB_ATTEMPTS_MAX windows in all. Calibration must not fail because the machine was busy:
 * if too few were quiet, the least disturbed are used, with a warning. The first window is
 * discarded: under TCG the first pass through a polling loop is translated to host code
 * inside it, which made it 0.5-1% long in every boot.
 */
static int calib_run(calib_window_t window, void *ctx, unsigned int want,
		     uint32_t max_ppm, uint64_t *hz, uint32_t *spread)
{
	struct clock_sample s[CALIB_TRIES_MAX];
	unsigned int n = 0, quiet = 0, attempts = 0, wrapped = 0;
	uint32_t worst;
	int err;

	err = window(ctx, &s[0]);
	if (err == -EAGAIN)
		err = 0;
	while (!err && n < CALIB_TRIES_MAX && quiet < want && attempts++ < CALIB_ATTEMPTS_MAX) {
		err = window(ctx, &s[n]);
		if (err == -EAGAIN) {
			err = 0;
			wrapped++;
		} else if (!err) {
			quiet += s[n++].error_ppm <= max_ppm;
		}
	}
	if (!err && n < want)
		err = -ETIMEDOUT;		/* nothing but wrapped windows: not a busy host */
	if (err)
		return err;
	nt.info.rejected += n - quiet + wrapped;
	err = clock_calib_pick(s, n, want, hz, spread, &worst);
	if (!err && quiet < want)
		printk("pvkit: warning: time: only %u of %u windows undisturbed; using the least "
		       "disturbed (up to %u ppm uncertain)\n", quiet, n, worst);
	return err;
}

/* What the TSC windows of one calibration share. */
struct tsc_calib {
	bool hpet;			/* against the HPET, else the PIT */
	uint64_t rough_hz;		/* the least uncertain window so far (0: none yet), */
	uint32_t rough_ppm;		/* ... how uncertain: lets a PIT window span its wraps */
};

/* 1 ms or more of the PIT or the HPET, in TSC cycles. */
static int tsc_window(void *ctx, struct clock_sample *s)
{
	struct tsc_calib *c = ctx;
	uint64_t cycles, error, ref_ticks, ref_hz = c->hpet ? hpet_hz() : PIT_HZ;
	int err;

	if (c->hpet)
		err = hpet_tsc_window(ref_hz / 1000, &cycles, &error, &ref_ticks);
	else
		err = pit_tsc_window(CALIB_PIT_TICKS, c->rough_hz, c->rough_ppm, &cycles, &error,
				     &ref_ticks);
	if (err)
		return err;
	s->error_ppm = clock_ppm(error, cycles);
	err = clock_calib_hz(cycles, ref_ticks, ref_hz, &s->hz);
	if (!err && (!c->rough_hz || s->error_ppm < c->rough_ppm)) {
		c->rough_hz = s->hz;
		c->rough_ppm = s->error_ppm;
	}
	return err;
}

/* Against the PIT, else the HPET; then a sanity check of the result. */
static int tsc_calibrate(void)
{
	struct tsc_calib pit = { .hpet = false }, hpet = { .hpet = true };
	struct native_time_info *in = &nt.info;
	int err;

	in->reference = "PIT";
	err = calib_run(tsc_window, &pit, CALIB_WINDOWS, TSC_MAX_ERROR_PPM, &in->tsc_hz,
			&in->spread_ppm);
	if (err && hpet_present()) {
		printk("pvkit: time: PIT unusable (-%s); calibrating against the HPET\n",
		       strerror_name(err));
		in->reference = "HPET";
		err = calib_run(tsc_window, &hpet, CALIB_WINDOWS, TSC_MAX_ERROR_PPM, &in->tsc_hz,
				&in->spread_ppm);
	}
	if (err) {
		printk("pvkit: error: time: TSC calibration failed: -%s\n", strerror_name(err));
		return err;
	}
	in->windows = CALIB_WINDOWS;
	if (in->tsc_hz < TSC_HZ_MIN || in->tsc_hz > TSC_HZ_MAX) {
		printk("pvkit: error: time: TSC calibrated at %lu Hz, outside %llu-%llu\n",
		       in->tsc_hz, TSC_HZ_MIN, TSC_HZ_MAX);
		return -EIO;
	}
	printk("pvkit: tsc %lu kHz (calibrated against %s)\n", in->tsc_hz / 1000, in->reference);
	printk("pvkit: time: median of %u windows, spread %u ppm, %u more judged "
	       "disturbed, %s TSC\n", in->windows, in->spread_ppm, in->rejected,
	       in->invariant_tsc ? "invariant" : "non-invariant");
	return 0;
}

/* One window: LAPIC ticks (bus / 16) in ~10 ms of TSC, both ends bracketed by TSC reads. */
static int lapic_window(void *ctx, struct clock_sample *s)
{
	uint64_t win = nt.info.tsc_hz / 100, t_pre, t0, ta, tb, cycles;
	unsigned long fl = pv_irq_save();
	unsigned int spins = 0;
	uint32_t cur;

	t_pre = rdtsc_ordered();
	lapic_timer_start(UINT32_MAX);		/* counts down from here, in [t_pre, t0] */
	t0 = rdtsc_ordered();
	do
		ta = rdtsc_ordered();
	while (ta - t0 < win && ++spins < SPIN_MAX);
	cur = lapic_timer_current();		/* in [ta, tb] */
	tb = rdtsc_ordered();
	lapic_timer_start(0);
	pv_irq_restore(fl);
	if (!cur)
		return -ERANGE;			/* ran out: a 430 GHz bus? */
	cycles = ((ta - t0) + (tb - t_pre)) / 2;
	s->error_ppm = clock_ppm(((tb - ta) + (t0 - t_pre)) / 2, cycles);
	return clock_calib_hz(UINT32_MAX - cur, cycles, nt.info.tsc_hz, &s->hz);
}

static int lapic_calibrate(void)
{
	uint32_t spread;
	int err;

	lapic_timer_setup(IRQ_VECTOR_LAPIC_TIMER, false, true);	/* masked while measured */
	err = calib_run(lapic_window, NULL, LAPIC_WINDOWS, LAPIC_MAX_ERROR_PPM,
			&nt.info.lapic_timer_hz, &spread);
	if (err) {
		printk("pvkit: error: time: LAPIC timer calibration failed: -%s\n",
		       strerror_name(err));
		return err;
	}
	if (nt.info.lapic_timer_hz < LAPIC_HZ_MIN || nt.info.lapic_timer_hz > LAPIC_HZ_MAX) {
		printk("pvkit: error: time: LAPIC timer calibrated at %lu Hz, implausible\n",
		       nt.info.lapic_timer_hz);
		return -EIO;
	}
	printk("pvkit: time: LAPIC timer %lu kHz (bus clock / %u, against the TSC, spread %u ppm)\n",
	       nt.info.lapic_timer_hz / 1000, LAPIC_TIMER_DIVISOR, spread);
	return 0;
}

/* Program the hardware for nt.deadline_ns. Interrupts off. Early is allowed (the handler
 * re-arms), late only by rounding: delta-based, so the error scales with the delta. */
static void native_timer_program(void)
{
	uint64_t tsc = rdtsc_ordered(), now, delta = 0, t;

	now = tsc > nt.tsc_base ? clock_scale_apply(&nt.tsc_to_ns, tsc - nt.tsc_base) : 0;
	if (nt.deadline_ns > now)
		delta = nt.deadline_ns - now;
	if (nt.info.tsc_deadline) {
		t = clock_scale_apply_up(&nt.ns_to_tsc, delta);
		t += 2 + (t >> 20);		/* rounding of both scales: never early */
		lapic_timer_deadline(tsc + t > tsc ? tsc + t : UINT64_MAX);
		return;
	}
	t = clock_scale_apply_up(&nt.ns_to_lapic, delta);
	t += 1 + (t >> 10);			/* 0.1%: calibration error must not make it early */
	lapic_timer_start(t > UINT32_MAX ? UINT32_MAX : (uint32_t)t);
}

static void native_timer_irq(void *ctx)
{
	uint64_t now;

	lapic_eoi();
	if (!nt.deadline_ns) {
		nt.info.timer_stale++;		/* cancelled after the hardware fired */
		return;
	}
	now = native_clock_ns();
	if (now < nt.deadline_ns) {
		nt.info.timer_early++;		/* beyond the counter's range, or rounding */
		native_timer_program();
		return;
	}
	nt.deadline_ns = 0;			/* before the handler: it may re-arm */
	nt.info.timer_fires++;
	nt.info.last_fire_ns = now;
	pv_timer_fire();
}

bool native_time_armed(void)
{
	if (nt.info.tsc_deadline)
		return lapic_timer_deadline_read() != 0;	/* cleared when it fires */
	return lapic_timer_current() != 0;
}

static int native_set_timer(uint64_t deadline_ns)
{
	unsigned long fl;

	if (!nt.ready)
		return -EAGAIN;
	fl = pv_irq_save();
	nt.deadline_ns = deadline_ns;
	if (!deadline_ns) {
		if (nt.info.tsc_deadline)
			lapic_timer_deadline(0);
		else
			lapic_timer_start(0);
	} else {
		native_timer_program();
	}
	pv_irq_restore(fl);
	return 0;
}

static int native_wallclock(uint64_t *sec, uint32_t *nsec)
{
	struct clock_tm tm;
	int err;

	err = rtc_unix_time(sec, &tm);
	if (!err)
		*nsec = 0;			/* the RTC counts whole seconds */
	return err;
}

static uint64_t native_tsc_khz(void)
{
	return nt.info.tsc_hz / 1000;
}

/* The RTC's century register, if the FADT names one; then the time at boot, for the log. */
static void native_rtc_setup(void)
{
	const void *fadt;
	struct clock_tm tm;
	uint32_t len;
	uint64_t sec;
	uint8_t reg;
	int err;

	if (!acpi_get_table(ACPI_SIG_FADT, 0, &fadt, &len)) {
		if (!acpi_fadt_century(fadt, len, &reg) && rtc_set_century_reg(reg))
			printk("pvkit: warning: time: FADT century register %#x ignored\n", reg);
		acpi_put_table(fadt, len);
	}
	err = rtc_unix_time(&sec, &tm);
	if (err)
		printk("pvkit: warning: time: RTC unreadable: -%s\n", strerror_name(err));
	else
		printk("pvkit: time: RTC %04u-%02u-%02u %02u:%02u:%02u UTC\n", tm.year, tm.mon,
		       tm.mday, tm.hour, tm.min, tm.sec);
}

static void native_tsc_features(void)
{
	uint32_t a, b, c, d;

	cpuid(0x80000000, &a, &b, &c, &d);
	if (a >= 0x80000007) {
		cpuid(0x80000007, &a, &b, &c, &d);
		nt.info.invariant_tsc = d & CPUID_EXT_EDX_INVARIANT_TSC;
	}
}

static int native_time_init(const struct boot_info *bi)
{
	uint32_t a, b, c, d;
	int err;

	nt.tsc_base = rdtsc_ordered();
	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_TSC) || !lapic_ready()) {
		printk("pvkit: error: time: needs a TSC and an enabled local APIC\n");
		return -ENODEV;
	}
	native_tsc_features();
	if (acpi_present())
		hpet_init();			/* optional: a fallback reference */
	err = tsc_calibrate();
	if (err)
		return err;
	err = lapic_calibrate();
	if (err)
		return err;
	if (clock_scale_init(&nt.tsc_to_ns, nt.info.tsc_hz, NSEC_PER_SEC) ||
	    clock_scale_init(&nt.ns_to_tsc, NSEC_PER_SEC, nt.info.tsc_hz) ||
	    clock_scale_init(&nt.ns_to_lapic, NSEC_PER_SEC, nt.info.lapic_timer_hz))
		return -ERANGE;			/* cannot happen within the plausible ranges */
	nt.info.tsc_deadline = lapic_has_tsc_deadline() && !cmdline_has(bi->cmdline,
									  NOTSCDEADLINE_OPT);
	err = irq_set_handler(IRQ_VECTOR_LAPIC_TIMER, native_timer_irq, NULL);
	if (err)
		return err;
	lapic_timer_setup(IRQ_VECTOR_LAPIC_TIMER, nt.info.tsc_deadline, false);
	nt.ready = true;
	printk("pvkit: time: one-shot timer: %s, vector %#x\n",
	       nt.info.tsc_deadline ? "TSC deadline" : "LAPIC count-down", IRQ_VECTOR_LAPIC_TIMER);
	native_rtc_setup();
	return 0;
}

void native_time_get_info(struct native_time_info *info)
{
	unsigned long fl = pv_irq_save();

	*info = nt.info;
	pv_irq_restore(fl);
}

const struct pv_time_ops native_time_ops = {
	.name      = "native",
	.init      = native_time_init,	/* PIT/HPET -> TSC -> LAPIC timer calibration */
	.clock_ns  = native_clock_ns,	/* TSC delta * mult >> shift, 128-bit product */
	.wallclock = native_wallclock,	/* CMOS RTC, whole seconds */
	.set_timer = native_set_timer,	/* LAPIC one-shot or TSC deadline; 0 cancels */
	.tsc_khz   = native_tsc_khz,	/* as calibrated at init */
};
