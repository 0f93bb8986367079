// SPDX-License-Identifier: MIT
/*
 * Native platform tests (ST_NATIVE): ACPI's view of the machine, the PIC/LAPIC/IOAPIC state
 * native_intc_init() leaves, a real ISA interrupt through the IOAPIC, the TSC calibration
 * against independent references, the one-shot timer and the RTC. Waits poll with interrupts
 * on and are bounded by pv_clock_ns(), so a dead timer fails a test instead of hanging it.
 */
#include <string.h>
#include <pvkit/acpi.h>
#include <pvkit/clockcalc.h>
#include <pvkit/compiler.h>
#include <pvkit/hpet.h>
#include <pvkit/ioapic.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/native_time.h>
#include <pvkit/pic.h>
#include <pvkit/pit.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/x86.h>

#define MS			1000000ul	/* ns */
#define UNIX_2024		1704067200ull	/* 2024-01-01 00:00:00 UTC */
#define UNIX_2100		4102444800ull
#define REF_TOLERANCE_PPM	5000		/* TSC vs an independent reference: 0.5% */

struct irq_goal {
	unsigned int vector;		/* irq_count() of this */
	uint64_t count;			/* has reached this */
};

static bool irq_goal_reached(void *ctx)
{
	const struct irq_goal *g = ctx;

	return irq_count(g->vector) >= g->count;
}

/* Interrupts on, poll (through @w) until irq_count(@vector) reaches @from + @want or the vCPU
 * ran @run_ns; the interrupt state is as before afterwards. Returns how many arrived; *err is
 * st_poll()'s (-EBUSY: the host did not run us long enough to tell). */
static uint64_t wait_irqs(struct st_watch *w, unsigned int vector, uint64_t from, uint64_t want,
			  uint64_t run_ns, int *err)
{
	struct irq_goal g = { vector, from + want };

	*err = st_poll(w, irq_goal_reached, &g, run_ns);
	return irq_count(vector) - from;
}

/* A device vector nobody has claimed, now routed to @fn; 0 if all are taken. */
static unsigned int claim_vector(irq_handler_t fn, void *ctx)
{
	for (unsigned int v = IRQ_VECTOR_DEVICE_LAST; v >= IRQ_VECTOR_DEVICE_FIRST; v--)
		if (!irq_set_handler(v, fn, ctx))
			return v;
	return 0;
}

static void eoi_irq(void *ctx)
{
	lapic_eoi();
}

/* ---- interrupt controllers --------------------------------------------------------------- */

static int test_native_madt(const struct boot_info *bi)
{
	const struct acpi_madt_info *m = ioapic_wiring();
	bool listed = false;

	ST_CHECK(acpi_present(), "no ACPI found (QEMU always provides it)");
	ST_CHECK(m && m->nr_cpus >= 1, "no MADT or no CPU in it");
	for (unsigned int i = 0; i < m->nr_cpus; i++)
		listed |= m->cpus[i].apic_id == lapic_id();
	ST_CHECK(listed, "this CPU's APIC id %u is not in the MADT", lapic_id());
	ST_CHECK(m->lapic_pa == lapic_base_pa(), "MADT says %#lx, the MSR %#lx", m->lapic_pa,
		 lapic_base_pa());
	printk("#   MADT: %u CPUs, %u IOAPICs, %u overrides, %u ignored\n", m->nr_cpus,
	       m->nr_ioapics, m->nr_overrides, m->nr_ignored);
	return 0;
}

static int test_native_pic_masked(const struct boot_info *bi)
{
	uint16_t mask = pic_mask_read();

	ST_CHECK(mask == 0xffff, "8259 interrupt mask %#x, expected all masked", mask);
	return 0;
}

static int test_native_lapic_state(const struct boot_info *bi)
{
	uint32_t svr = lapic_read(LAPIC_SVR), err = lapic_read(LAPIC_LVT_ERROR), esr;

	ST_CHECK(lapic_ready(), "lapic_init did not finish");
	ST_CHECK((svr & LAPIC_SVR_ENABLE) && (svr & 0xff) == IRQ_VECTOR_SPURIOUS, "SVR %#x", svr);
	ST_CHECK((err & 0xff) == IRQ_VECTOR_LAPIC_ERROR && !(err & LAPIC_LVT_MASKED),
		 "LVT error %#x", err);
	ST_CHECK(lapic_read(LAPIC_TPR) == 0, "TPR %#x blocks low priorities", lapic_read(LAPIC_TPR));
	ST_CHECK(lapic_read(LAPIC_LVT_LINT0) & LAPIC_LVT_MASKED, "LINT0 (ExtINT) not masked: %#x",
		 lapic_read(LAPIC_LVT_LINT0));
	lapic_write(LAPIC_ESR, 0);
	esr = lapic_read(LAPIC_ESR);
	ST_CHECK(esr == 0, "APIC error status %#x", esr);
	return 0;
}

/*
 * The error vector's handler is installed and reports. Raised in software: QEMU's TCG APIC
 * never signals APIC errors (no illegal-vector or illegal-register checks), so a real one
 * cannot be provoked there. The EOI it sends with nothing in service is ignored.
 */
static int test_native_lapic_error(const struct boot_info *bi)
{
	uint64_t before = lapic_error_count(), c0 = irq_count(IRQ_VECTOR_LAPIC_ERROR);
	unsigned long fl = pv_irq_save();

	__asm__ __volatile__("int %0" : : "i"(IRQ_VECTOR_LAPIC_ERROR) : "memory");
	pv_irq_restore(fl);
	ST_CHECK(irq_count(IRQ_VECTOR_LAPIC_ERROR) == c0 + 1, "%lu interrupts at the vector",
		 irq_count(IRQ_VECTOR_LAPIC_ERROR) - c0);
	ST_CHECK(lapic_error_count() == before + 1, "the LAPIC error handler counted %lu",
		 lapic_error_count() - before);
	return 0;
}

static int test_native_ioapic_masked(const struct boot_info *bi)
{
	unsigned int base, pins, total = 0, routed = 0;
	uint64_t rte;

	ST_CHECK(ioapic_count() >= 1, "no IOAPIC");
	for (unsigned int i = 0; !ioapic_range(i, &base, &pins); i++) {
		for (unsigned int gsi = base; gsi < base + pins; gsi++, total++) {
			ST_CHECK(!ioapic_read_rte(gsi, &rte), "GSI %u unreadable", gsi);
			if (rte & IOAPIC_RTE_MASKED)
				continue;
			/* Unmasked only if a driver routed it to a vector it handles. */
			if (!irq_set_handler(rte & 0xff, eoi_irq, NULL)) {
				irq_clear_handler(rte & 0xff);
				ST_CHECK(false, "GSI %u unmasked to vector %#lx that nobody "
					 "handles", gsi, rte & 0xff);
			}
			routed++;
		}
	}
	ST_CHECK(total == ioapic_nr_pins() && total >= 16, "%u pins, %u counted", ioapic_nr_pins(),
		 total);
	printk("#   %u IOAPIC(s), %u pins, %u routed by drivers, the rest masked\n", ioapic_count(),
	       total, routed);
	return 0;
}

/* Route the first IOAPIC's last pin (a PCI line on PCs) with @flags, read it back, mask it.
 * Interrupts are off throughout, so nothing is delivered. 0, or -EINVAL if it reads wrong. */
static int ioapic_route_readback(unsigned int gsi, unsigned int vec, unsigned int flags,
				 unsigned int expect_inti, uint64_t *rte)
{
	int err = ioapic_route(gsi, vec, flags);

	ioapic_read_rte(gsi, rte);
	ioapic_mask(gsi);
	if (err)
		return err;
	if ((*rte & 0xff) != vec || (*rte & IOAPIC_RTE_MASKED) || (*rte & 0xf00) ||
	    (*rte >> IOAPIC_RTE_DEST_SHIFT) != lapic_id())
		return -EINVAL;		/* vector, unmasked, fixed delivery, physical, to us */
	if (!!(*rte & IOAPIC_RTE_LEVEL) !=
	    ((expect_inti & ACPI_INTI_TRIG_MASK) == ACPI_INTI_TRIG_LEVEL) ||
	    !!(*rte & IOAPIC_RTE_ACTIVE_LOW) !=
	    ((expect_inti & ACPI_INTI_POL_MASK) == ACPI_INTI_POL_LOW))
		return -EINVAL;
	ioapic_read_rte(gsi, rte);
	return (*rte & IOAPIC_RTE_MASKED) ? 0 : -EINVAL;
}

static int test_native_ioapic_route(const struct boot_info *bi)
{
	const unsigned int edge_high = ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_EDGE;
	unsigned int base, pins, gsi, vec, inti;
	uint64_t idle = 0, rte = 0;
	unsigned long fl;
	int err1, err2;

	ST_CHECK(!ioapic_range(0, &base, &pins), "no IOAPIC");
	gsi = base + pins - 1;
	inti = acpi_gsi_inti(ioapic_wiring(), gsi);
	ioapic_read_rte(gsi, &idle);
	ST_CHECK(idle & IOAPIC_RTE_MASKED, "GSI %u is in use (entry %#lx)", gsi, idle);
	vec = claim_vector(eoi_irq, NULL);
	ST_CHECK(vec, "no free device vector");
	fl = pv_irq_save();
	err1 = ioapic_route_readback(gsi, vec, IOAPIC_FLAGS_DEFAULT, inti, &rte);
	/* Explicit flags win over what the MADT/bus says. */
	err2 = ioapic_route_readback(gsi, vec, edge_high, edge_high, &rte);
	pv_irq_restore(fl);
	irq_clear_handler(vec);
	ST_CHECK(!err1, "GSI %u, default flags: %d, entry %#lx (expected inti %#x)", gsi, err1,
		 rte, inti);
	ST_CHECK(!err2, "GSI %u, edge/high: %d, entry %#lx", gsi, err2, rte);
	ST_CHECK(ioapic_route(gsi, IRQ_VECTOR_FIRST, 0) == -EINVAL, "exception-range vector taken");
	ST_CHECK(ioapic_route(gsi, IRQ_VECTOR_LAPIC_TIMER, 0) == -EINVAL, "LAPIC vector taken");
	ST_CHECK(ioapic_route(gsi + 1000, vec, 0) == -EINVAL, "a GSI no IOAPIC has was routed");
	ST_CHECK(ioapic_route(gsi, vec, 2) == -EINVAL, "reserved polarity accepted");
	ST_CHECK(ioapic_mask(gsi + 1000) == -EINVAL, "masked a GSI no IOAPIC has");
	ioapic_read_rte(gsi, &rte);
	ST_CHECK(rte & IOAPIC_RTE_MASKED, "GSI %u left unmasked: %#lx", gsi, rte);
	return 0;
}

static uint64_t pit_irqs;

static void pit_irq(void *ctx)
{
	pit_irqs++;
	lapic_eoi();
}

/*
 * A real device interrupt end to end: PIT channel 0 -> ISA IRQ 0 -> its GSI -> our vector. The
 * waits count the time the vCPU ran (st_poll), so a host that does not run it for a while
 * shortens none of them.
 */
static int test_native_pit_irq_via_ioapic(const struct boot_info *bi)
{
	unsigned int gsi = 0, vec;
	uint64_t rte = 0, got = 0, after_mask = 0;
	int err, werr = 0, qerr = 0;
	struct st_watch w;
	unsigned long fl;

	vec = claim_vector(pit_irq, NULL);
	ST_CHECK(vec, "no free device vector");
	fl = pv_irq_save();
	pit_irqs = 0;
	err = ioapic_isa_gsi(PIT_ISA_IRQ, &gsi);
	if (!err)
		err = ioapic_route(gsi, vec, IOAPIC_FLAGS_DEFAULT);
	if (!err) {
		ioapic_read_rte(gsi, &rte);
		st_watch_start(&w);
		pit_periodic(1000);
		got = wait_irqs(&w, vec, irq_count(vec), 10, 500 * MS, &werr);
		ioapic_mask(gsi);
		pit_stop();
		st_poll(&w, NULL, NULL, 5 * MS);	/* anything still in flight lands */
		after_mask = pit_irqs;
		qerr = st_poll(&w, NULL, NULL, 20 * MS);
		after_mask = pit_irqs - after_mask;
	}
	irq_clear_handler(vec);
	pv_irq_restore(fl);
	ST_CHECK(!err, "routing ISA IRQ 0: %d", err);
	ST_CHECK(!(rte & IOAPIC_RTE_LEVEL), "IRQ 0 on GSI %u programmed level-triggered", gsi);
	ST_CHECK(after_mask == 0, "%lu interrupts after masking", after_mask);
	ST_CHECK(got >= 10 || werr == -EBUSY, "%lu PIT interrupts in 500 ms (of running) at "
		 "1 kHz (GSI %u, vector %#x)", got, gsi, vec);
	if (got < 10 || qerr == -EBUSY) {
		printk("#   %lu PIT interrupts, none after masking, but the host let us run only "
		       "%lu of %lu ms: not judged\n", got, st_watch_ran(&w) / MS,
		       (w.last - w.start) / MS);
		return ST_BUSY;
	}
	printk("#   ISA IRQ 0 on GSI %u: %lu interrupts at vector %#x\n", gsi, got, vec);
	return 0;
}

/* ---- time -------------------------------------------------------------------------------- */

static uint64_t ppm_off(uint64_t a, uint64_t b)
{
	return (a > b ? a - b : b - a) * 1000000 / b;
}

/*
 * The TSC frequency over one window of the PIT or the HPET (1 or 10 ms at least, as long as
 * it needs to be 50 ppm certain; a PIT window follows the count's turns at the best rate so
 * far, as the calibration does): the least uncertain of up to 5, stopping at the first within
 * 250 ppm; *err_ppm says how uncertain it still is, for the comparison's tolerance. 0,
 * -EAGAIN (no window could be followed: the host kept the CPU away), or -errno.
 */
static int ref_tsc_hz(bool hpet, uint64_t *hz, uint32_t *err_ppm)
{
	uint64_t cyc, error, ticks, best_cyc = 0, best_ticks = 0, ref_hz = hpet ? hpet_hz() : PIT_HZ;
	uint64_t rough = 0;
	uint32_t ppm;
	int err;

	*err_ppm = UINT32_MAX;
	for (unsigned int i = 0; i < 5 && *err_ppm > 250; i++) {
		if (hpet)
			err = hpet_tsc_window(ref_hz / 100, &cyc, &error, &ticks);
		else			/* the best so far lets it follow the count's turns */
			err = pit_tsc_window(1193, rough, *err_ppm, &cyc, &error, &ticks);
		if (err == -EAGAIN)
			continue;		/* the CPU was away too long to follow it */
		if (err)
			return err;
		ppm = clock_ppm(error, cyc);
		if (ppm < *err_ppm) {
			*err_ppm = ppm;
			best_cyc = cyc;
			best_ticks = ticks;
			clock_calib_hz(cyc, ticks, ref_hz, &rough);
		}
	}
	if (!best_cyc)
		return -EAGAIN;
	return clock_calib_hz(best_cyc, best_ticks, ref_hz, hz);
}

/*
 * The boot's TSC frequency against a re-measurement of @hpet (else the PIT): 0 when they agree
 * within REF_TOLERANCE_PPM plus the re-measurement's own uncertainty; -ERANGE when not; -EAGAIN
 * after ST_TRIES re-measurements each more uncertain than the tolerance itself (a busy host).
 */
static int ref_check(bool hpet, uint64_t tsc_hz, uint64_t *hz, uint32_t *err_ppm)
{
	int err = -EAGAIN;

	for (unsigned int tries = 0; tries < ST_TRIES && err == -EAGAIN; tries++) {
		err = ref_tsc_hz(hpet, hz, err_ppm);
		if (!err && *err_ppm > REF_TOLERANCE_PPM)
			err = -EAGAIN;
	}
	if (err)
		return err;
	return ppm_off(*hz, tsc_hz) < REF_TOLERANCE_PPM + *err_ppm ? 0 : -ERANGE;
}

static int test_native_tsc_calibrated(const struct boot_info *bi)
{
	uint64_t pit_hz = 0, hpet_hz_meas = 0;
	uint32_t pit_err = 0, hpet_err = 0;
	struct native_time_info in;
	bool on_hpet = false;
	int err;

	native_time_get_info(&in);
	ST_CHECK(in.reference && !strcmp(in.reference, "PIT"), "calibrated against %s",
		 in.reference ? in.reference : "nothing");
	ST_CHECK(in.tsc_hz >= 100000000ull && in.tsc_hz <= 20000000000ull, "TSC %lu Hz",
		 in.tsc_hz);
	/*
	 * What matters is that the rate is right, which independent re-measurements show. Each
	 * is as uncertain as its end points (narrow reads: pit_tsc_window()); one more uncertain
	 * than the tolerance says nothing and is made again.
	 */
	err = ref_check(false, in.tsc_hz, &pit_hz, &pit_err);
	ST_CHECK(err != -ERANGE, "PIT now says %lu Hz (+-%u ppm), boot %lu (spread %u ppm)",
		 pit_hz, pit_err, in.tsc_hz, in.spread_ppm);
	if (!err && hpet_present()) {
		on_hpet = true;
		err = ref_check(true, in.tsc_hz, &hpet_hz_meas, &hpet_err);
		ST_CHECK(err != -ERANGE, "HPET says %lu Hz (+-%u ppm), PIT calibration %lu",
			 hpet_hz_meas, hpet_err, in.tsc_hz);
	}
	if (err == -EAGAIN) {
		printk("#   tsc %lu kHz at boot; %u re-measurements against the %s each more than "
		       "%u ppm uncertain (the last %lu kHz +-%u ppm, else wrapped): not judged\n",
		       in.tsc_hz / 1000, ST_TRIES, on_hpet ? "HPET" : "PIT", REF_TOLERANCE_PPM,
		       (on_hpet ? hpet_hz_meas : pit_hz) / 1000, on_hpet ? hpet_err : pit_err);
		return ST_BUSY;
	}
	ST_CHECK(!err, "reference window failed: %d", err);
	printk("#   tsc %lu kHz at boot (spread %u ppm, %u windows judged disturbed); now PIT "
	       "%lu kHz (+-%u ppm), HPET %lu kHz (+-%u ppm)\n", in.tsc_hz / 1000, in.spread_ppm,
	       in.rejected, pit_hz / 1000, pit_err, hpet_hz_meas / 1000, hpet_err);
	return 0;
}

/*
 * clock_ns() against the HPET over 20 ms: mult/shift at work. Each counter read is bracketed by
 * clock_ns reads and the window is made of the narrowest (clock_window_measure(), the
 * calibration's own method), so the clock time between the two samples lies in [*lo, *hi]:
 * it passes when all of that is within 0.5% of the counter's time, fails when none of it is,
 * and is measured again when even the narrowest reads were too wide to say.
 */
static void hpet_read_clock_ns(void *ctx, struct clock_read *r)
{
	r->tsc_a = pv_clock_ns();
	r->count = hpet_counter();
	r->tsc_b = pv_clock_ns();
}

static int clock_rate_hpet_once(uint64_t *lo, uint64_t *hi, uint64_t *want)
{
	const struct clock_window_ops ops = {
		.read = hpet_read_clock_ns, .mask = hpet_counter_mask(),
		.max_ticks = hpet_counter_mask(),
	};
	unsigned long fl = pv_irq_save();
	struct clock_window w;
	int err;

	err = clock_window_measure(&ops, NULL, hpet_hz() / 50, CLOCK_WINDOW_PPM, 50000000, &w);
	pv_irq_restore(fl);
	if (err)
		return err;
	*want = w.ticks * NSEC_PER_SEC / hpet_hz();
	*lo = w.cycles - MIN(w.cycles, w.error);
	*hi = w.cycles + w.error;
	return 0;
}

/*
 * Without an HPET: clock_ns across a 20 ms PIT window, interrupts off. The window sits inside
 * [t0, t1], so never shorter; longer only by the bracketing reads and the window's own
 * end-point uncertainty. Returns 0 when it agrees, -ERANGE when not.
 */
static int clock_rate_pit_once(uint64_t *got, uint64_t *want, uint64_t *slack_out)
{
	uint64_t t0, t1, cyc = 0, error = 0, ref_ticks = 0, ref_ns, slack;
	unsigned long fl = pv_irq_save();
	int err;

	t0 = pv_clock_ns();
	err = pit_tsc_window(23864, 0, 0, &cyc, &error, &ref_ticks);
	t1 = pv_clock_ns();
	pv_irq_restore(fl);
	if (err)
		return err;
	ref_ns = ref_ticks * NSEC_PER_SEC / PIT_HZ;
	slack = ref_ns / 100 + (cyc ? 2 * error * ref_ns / cyc : 0);
	*got = t1 - t0;
	*want = ref_ns;
	*slack_out = slack;
	return *got >= ref_ns - ref_ns / 200 && *got <= ref_ns + slack ? 0 : -ERANGE;
}

static int test_native_clock_ns_rate(const struct boot_info *bi)
{
	uint64_t lo = 0, hi = 0, want = 0, tol;
	int err = -ERANGE;

	if (!hpet_present()) {
		for (int attempt = 0; attempt < 3 && err == -ERANGE; attempt++)
			err = clock_rate_pit_once(&lo, &want, &hi);
		ST_CHECK(err != -ERANGE, "clock_ns advanced %lu ns over %lu ns of PIT (slack %lu), "
			 "3 times", lo, want, hi);
		ST_CHECK(!err, "reference window failed: %d", err);
		return 0;
	}
	for (unsigned int tries = 1;; tries++) {
		err = clock_rate_hpet_once(&lo, &hi, &want);
		ST_CHECK(!err, "the HPET counter did not advance 20 ms");
		tol = want / 200;
		ST_CHECK(lo <= want + tol && hi + tol >= want, "clock_ns advanced %lu-%lu ns over "
			 "%lu ns of HPET: off by more than 0.5%%", lo, hi, want);
		if (lo + tol >= want && hi <= want + tol)
			break;
		if (tries == ST_TRIES) {
			printk("#   %u tries: clock_ns within [%lu, %lu] ns over %lu ns of HPET, "
			       "too uncertain to judge\n", tries, lo, hi, want);
			return ST_BUSY;
		}
	}
	printk("#   clock_ns %lu-%lu ns over %lu ns of HPET\n", lo, hi, want);
	return 0;
}

#define ONESHOT_LATE_MAX	(200 * MS)	/* hardware still counting this long after: late */
#define PAST_LATE_MAX		(50 * MS)	/* a deadline in the past: expired within this */

/*
 * One shot of the one-shot timer, watched from arming until its interrupt: when the hardware
 * expired is bracketed by reads of it (native_time_armed(): counting at @armed_at, expired by
 * @expired_at), which need no interrupt; when the interrupt came is what st_poll() sees. The
 * host delays both, never moves either earlier: a still-counting read proves the hardware
 * was late, an expired one that it was not.
 */
struct shot {
	uint64_t irqs;			/* done once irq_count() of the timer vector reaches this */
	uint64_t armed_at;		/* clock_ns() as the last read that found it counting began */
	uint64_t expired_at;		/* clock_ns() as the first read that found it expired ended */
};

static bool shot_poll(void *ctx)
{
	struct shot *s = ctx;
	uint64_t t0 = pv_clock_ns();
	bool armed = native_time_armed();
	uint64_t t1 = pv_clock_ns();

	if (armed)
		s->armed_at = t0;
	else if (!s->expired_at)
		s->expired_at = t1;
	return s->expired_at && irq_count(IRQ_VECTOR_LAPIC_TIMER) >= s->irqs;
}

/* Arm @deadline (set by the caller's watch @w, whose last read is the arming time) and poll
 * for its expiry and interrupt, up to @run_ns of running: st_poll()'s result. */
static int shot_wait(struct st_watch *w, uint64_t deadline, struct shot *s, uint64_t run_ns)
{
	s->irqs = irq_count(IRQ_VECTOR_LAPIC_TIMER) + 1;
	s->armed_at = w->last;
	s->expired_at = 0;
	pv_set_timer(deadline);
	return st_poll(w, shot_poll, s, run_ns);
}

/*
 * A 2 ms one-shot expires once, at the vector, not early and not 200 ms late. pv_timer_fire()
 * before the deadline (native_time_info.last_fire_ns) or a second interrupt always fails: the
 * host can only delay. Late is judged on the hardware: still counting 200 ms after the
 * deadline fails, expired before that passes; a host that kept us away across the whole
 * range leaves it open, and the shot is made again (ST_TRIES).
 */
static int test_native_oneshot_once(const struct boot_info *bi)
{
	struct native_time_info a, b;
	uint64_t c0, deadline, seen, n;
	struct st_watch w;
	struct shot sh;
	unsigned int tries;
	unsigned long fl;
	int werr;

	for (tries = 1;; tries++) {
		fl = pv_irq_save();
		native_time_get_info(&a);
		c0 = irq_count(IRQ_VECTOR_LAPIC_TIMER);
		seen = 0;
		st_watch_start(&w);
		deadline = w.last + 2 * MS;
		werr = shot_wait(&w, deadline, &sh, 1000 * MS);
		if (!werr) {
			seen = st_watch_read(&w);
			st_poll(&w, NULL, NULL, 20 * MS);	/* a second interrupt would show */
		} else {
			pv_set_timer(0);
		}
		pv_irq_restore(fl);
		native_time_get_info(&b);
		n = irq_count(IRQ_VECTOR_LAPIC_TIMER) - c0;
		ST_CHECK(werr != -ETIMEDOUT, "%s in 1 s of running after a 2 ms timer",
			 sh.expired_at ? "expired, but no interrupt at the vector" : "still counting");
		ST_CHECK(!seen || n == 1, "%lu interrupts for one deadline (%lu early)", n,
			 b.timer_early - a.timer_early);
		ST_CHECK(!seen || b.timer_fires - a.timer_fires == 1, "%lu pv_timer_fire calls",
			 b.timer_fires - a.timer_fires);
		ST_CHECK(!seen || b.last_fire_ns >= deadline, "pv_timer_fire() %lu ns before the "
			 "deadline", deadline - b.last_fire_ns);
		ST_CHECK(sh.armed_at < deadline + ONESHOT_LATE_MAX, "still counting %lu ms after its "
			 "deadline", (sh.armed_at - deadline) / MS);
		if (seen && sh.expired_at < deadline + ONESHOT_LATE_MAX)
			break;
		printk("#   try %u: expired %ld-%ld ms after the deadline (0: not seen), the host "
		       "away %lu of %lu ms: again\n", tries,
		       ((long)sh.armed_at - (long)deadline) / (long)MS,
		       sh.expired_at ? ((long)sh.expired_at - (long)deadline) / (long)MS : 0,
		       w.lost / MS, (w.last - w.start) / MS);
		if (tries == ST_TRIES) {
			printk("#   fired once, never early; how late not judged\n");
			return ST_BUSY;
		}
	}
	printk("#   2 ms one-shot (%s) expired between %ld and %ld us after its deadline, at the "
	       "vector %lu us after that%s\n", b.tsc_deadline ? "TSC deadline" : "LAPIC count-down",
	       ((long)sh.armed_at - (long)deadline) / 1000,
	       ((long)sh.expired_at - (long)deadline) / 1000,
	       (seen - MIN(seen, sh.expired_at)) / 1000, tries > 1 ? " (at the last try)" : "");
	return 0;
}

/* One round of test_native_oneshot_past_cancel: 0, -EINVAL (a check failed, said why), or
 * -EAGAIN (the host kept us from running long enough to judge). */
static int oneshot_past_cancel_once(void)
{
	uint64_t c0, armed, cancelled, cancel_n, move_n, deadline;
	struct native_time_info a, b, c;
	int werr, cerr, merr;
	struct st_watch w;
	struct shot past, moved;
	unsigned long fl = pv_irq_save();

	/* In the past: expired at once (as the hardware says), then the interrupt. */
	st_watch_start(&w);
	armed = w.last;
	werr = shot_wait(&w, 1, &past, 200 * MS);
	if (werr)
		pv_set_timer(0);		/* the host let us run too little: next try */
	/* Armed, then cancelled: nothing, in 30 ms of running; never pv_timer_fire(). */
	st_watch_start(&w);
	native_time_get_info(&a);
	c0 = irq_count(IRQ_VECTOR_LAPIC_TIMER);
	cancelled = pv_clock_ns();
	pv_set_timer(cancelled + 3 * MS);
	pv_set_timer(0);
	cancelled = pv_clock_ns() - cancelled;
	cerr = st_poll(&w, NULL, NULL, 30 * MS);
	cancel_n = irq_count(IRQ_VECTOR_LAPIC_TIMER) - c0;
	native_time_get_info(&b);
	/* Armed far out, then moved close: fires once, at the new time. */
	c0 = irq_count(IRQ_VECTOR_LAPIC_TIMER);
	st_watch_start(&w);
	pv_set_timer(w.last + 10000 * MS);
	deadline = pv_clock_ns() + 3 * MS;
	merr = shot_wait(&w, deadline, &moved, 500 * MS);
	if (merr)
		pv_set_timer(0);
	st_poll(&w, NULL, NULL, 10 * MS);
	move_n = irq_count(IRQ_VECTOR_LAPIC_TIMER) - c0;
	native_time_get_info(&c);
	pv_irq_restore(fl);
	ST_CHECK(werr != -ETIMEDOUT, "past deadline: %s in 200 ms of running",
		 past.expired_at ? "no interrupt" : "still counting");
	ST_CHECK(past.armed_at - armed < PAST_LATE_MAX, "past deadline: still counting %lu ms "
		 "after arming", (past.armed_at - armed) / MS);
	ST_CHECK(b.timer_fires == a.timer_fires, "a cancelled timer fired %lu times",
		 b.timer_fires - a.timer_fires);
	/* Its interrupt may still come (stale) if the host kept us away past the deadline
	 * between arming and cancelling. */
	ST_CHECK(cancel_n == 0 || cancelled >= 3 * MS, "cancelled timer still interrupted %lu "
		 "times", cancel_n);
	ST_CHECK(merr != -ETIMEDOUT, "moved timer: %s in 500 ms of running",
		 moved.expired_at ? "no interrupt" : "still counting");
	ST_CHECK(merr || move_n == 1, "moved timer: %lu interrupts", move_n);
	ST_CHECK(merr || c.last_fire_ns >= deadline, "moved timer: pv_timer_fire() %lu ns early",
		 deadline - c.last_fire_ns);
	if (werr || past.expired_at - armed >= PAST_LATE_MAX || cancelled >= 3 * MS ||
	    cerr == -EBUSY || merr) {
		printk("#   past deadline expired %lu-%lu ms after arming, armed-cancelled %lu ms, "
		       "the host away %lu of %lu ms at the end\n", (past.armed_at - armed) / MS,
		       past.expired_at ? (past.expired_at - armed) / MS : 0, cancelled / MS,
		       w.lost / MS, (w.last - w.start) / MS);
		return -EAGAIN;
	}
	return 0;
}

static int test_native_oneshot_past_cancel(const struct boot_info *bi)
{
	int err;

	for (unsigned int tries = 1;; tries++) {
		err = oneshot_past_cancel_once();
		if (err != -EAGAIN)
			return err;
		printk("#   try %u: not judged (above): again\n", tries);
		if (tries == ST_TRIES) {
			printk("#   never early, never after a cancel; how soon not judged\n");
			return ST_BUSY;
		}
	}
}

/*
 * RTC second edges, each bracketed: the seconds changed from sec[i - 1] to sec[i] somewhere in
 * (before[i], after[i]] of clock_ns.
 */
#define RTC_EDGES		6		/* up to 6 s of edges before giving up */

struct rtc_edges {
	uint64_t sec[RTC_EDGES];	/* the RTC's seconds just after the edge */
	uint64_t before[RTC_EDGES];	/* clock_ns as the last read of the old second began */
	uint64_t after[RTC_EDGES];	/* clock_ns as the first read of the new one ended */
};

/* Read the RTC's seconds into *sec; *began: clock_ns as the read began, *ended: as it ended. */
static int rtc_read_sec(uint64_t *sec, uint64_t *began, uint64_t *ended)
{
	uint32_t ns;
	int err;

	*began = pv_clock_ns();
	err = pv_wallclock(sec, &ns);
	*ended = pv_clock_ns();
	return err ? -EIO : 0;
}

/*
 * Wait (bounded) for the RTC's seconds to change from *sec, which a read that began at *began
 * gave; then *sec is the new second, *before and *after the edge's bracket and *began when
 * the read that saw it began.
 */
static int rtc_next_second(uint64_t *sec, uint64_t *began, uint64_t *before, uint64_t *after)
{
	uint64_t s0 = *sec, last = *began, end = pv_clock_ns() + 2500 * MS;

	do {
		if (rtc_read_sec(sec, began, after))
			return -EIO;
		if (*sec != s0) {
			*before = last;
			return 0;
		}
		last = *began;
		/* ~1 ms between reads: fine enough, and few CMOS accesses. */
		while (pv_clock_ns() < *after + MS)
			cpu_relax();
	} while (*after < end);
	return -ETIMEDOUT;
}

/* One RTC second in clock_ns between edges @i < @j (sec[j] - sec[i] seconds apart) lies in
 * [*lo, *hi]. */
static void rtc_second_bounds(const struct rtc_edges *e, unsigned int i, unsigned int j,
			      uint64_t *lo, uint64_t *hi)
{
	uint64_t k = e->sec[j] - e->sec[i];

	*lo = e->before[j] > e->after[i] ? (e->before[j] - e->after[i]) / k : 0;
	*hi = (e->after[j] - e->before[i]) / k;
}

static int test_native_rtc(const struct boot_info *bi)
{
	uint64_t s0, began, ended, lo = 0, hi = 0;
	struct rtc_edges e;
	uint32_t ns = 1;
	unsigned int n;

	ST_CHECK(!pv_wallclock(&s0, &ns), "RTC unreadable");
	ST_CHECK(s0 >= UNIX_2024 && s0 < UNIX_2100, "wall clock %lu s is not 2024-2099", s0);
	ST_CHECK(ns == 0, "nsec %u from a whole-second clock", ns);
	ST_CHECK(!rtc_read_sec(&s0, &began, &ended), "RTC unreadable");
	/*
	 * One RTC second in clock_ns: a cross-check against a third clock (the TSC's rate itself
	 * is checked to 0.5% above), within 10%. Each edge is bracketed by the reads around it,
	 * so a pair of edges bounds the second: all inside 900-1100 ms passes, all outside fails.
	 * A host that took the CPU near an edge leaves its bracket wide: then more edges.
	 */
	for (n = 0; n < RTC_EDGES; n++) {
		uint64_t prev = n ? e.sec[n - 1] : s0;

		e.sec[n] = prev;
		ST_CHECK(!rtc_next_second(&e.sec[n], &began, &e.before[n], &e.after[n]),
			 "RTC stuck at %lu for 2.5 s", prev);
		/* Forward; one second, unless the bracket is long enough to hold more edges. */
		ST_CHECK(e.sec[n] == prev + 1 || (e.sec[n] > prev && e.after[n] - e.before[n] >
						    (e.sec[n] - prev - 1) * 900 * MS),
			 "RTC went %lu -> %lu in %lu ms", prev, e.sec[n],
			 (e.after[n] - e.before[n]) / MS);
		for (unsigned int i = 0; i < n; i++) {
			rtc_second_bounds(&e, i, n, &lo, &hi);
			ST_CHECK(hi > 900 * MS && lo < 1100 * MS, "an RTC second took %lu-%lu us "
				 "(edges %u and %u)", lo / 1000, hi / 1000, i, n);
			if (lo > 900 * MS && hi < 1100 * MS) {
				printk("#   wall clock %lu; one RTC second = %lu-%lu us of clock_ns "
				       "(edges %u and %u)\n", e.sec[n], lo / 1000, hi / 1000, i, n);
				return 0;
			}
		}
	}
	printk("#   RTC ticked forward %u times, but no second's range (the last: %lu-%lu us) "
	       "was narrow enough to judge\n", n, lo / 1000, hi / 1000);
	return ST_BUSY;
}

static const struct selftest native_tests[] = {
	{ test_native_madt, "native: ACPI MADT lists this CPU's local APIC", ST_NATIVE },
	{ test_native_pic_masked, "native: 8259 PICs fully masked", ST_NATIVE },
	{ test_native_lapic_state, "native: LAPIC on, spurious and error vectors set, no error",
	  ST_NATIVE },
	{ test_native_lapic_error, "native: LAPIC error vector handled and reported",
	  ST_NATIVE },
	{ test_native_ioapic_masked, "native: IOAPIC found, every unclaimed pin masked",
	  ST_NATIVE },
	{ test_native_ioapic_route, "native: IOAPIC route/mask read back, bad arguments refused",
	  ST_NATIVE },
	{ test_native_pit_irq_via_ioapic, "native: PIT IRQ 0 arrives through the IOAPIC override",
	  ST_NATIVE },
	{ test_native_tsc_calibrated, "native: TSC calibrated against the PIT, HPET agrees",
	  ST_NATIVE },
	{ test_native_clock_ns_rate, "native: clock_ns advances at the reference's rate",
	  ST_NATIVE },
	{ test_native_oneshot_once, "native: LAPIC one-shot timer fires once at the vector",
	  ST_NATIVE },
	{ test_native_oneshot_past_cancel, "native: past deadline fires at once; cancel; re-arm",
	  ST_NATIVE },
	{ test_native_rtc, "native: RTC wall clock plausible, ticks once a clock_ns second",
	  ST_NATIVE },
};
SELFTEST_TABLE(40, native_tests);
