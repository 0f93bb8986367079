// SPDX-License-Identifier: MIT
/* HPET main counter (IA-PC HPET spec 1.0a §2.3; the ACPI "HPET" table for its address) as a
 * reference clock: enabled, never programmed for interrupts. 32- and 64-bit counters. */
#include <pvkit/acpi.h>
#include <pvkit/clockcalc.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/hpet.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>

#define HPET_REG_CAP		0x000	/* general capabilities and id */
#define HPET_REG_CONF		0x010	/* general configuration */
#define HPET_REG_COUNTER	0x0f0	/* main counter */
#define HPET_CAP_64BIT		(1ull << 13)
#define HPET_CAP_PERIOD_SHIFT	32	/* counter period, femtoseconds */
#define HPET_PERIOD_MAX		100000000ull	/* 100 ns: the spec's slowest */
#define HPET_CONF_ENABLE	(1ull << 0)
#define HPET_WINDOW_LEN		0x400
#define FS_PER_SEC		1000000000000000ull
#define HPET_POLL_MAX		50000000u	/* counter reads before giving up on a window */

static struct {
	volatile uint64_t *regs;	/* mapped register block */
	uint64_t hz;			/* main counter frequency */
	bool wide;			/* 64-bit counter (else it wraps at 2^32) */
} hpet;

uint64_t hpet_counter(void)
{
	uint64_t v = hpet.regs[HPET_REG_COUNTER / 8];

	return hpet.wide ? v : (uint32_t)v;
}

uint64_t hpet_counter_mask(void)
{
	return hpet.wide ? UINT64_MAX : UINT32_MAX;
}

int hpet_init(void)
{
	struct acpi_diag d = { 0 };
	uint64_t pa, cap, period;
	const void *tbl;
	uint32_t len;
	int err;

	err = acpi_get_table(ACPI_SIG_HPET, 0, &tbl, &len);
	if (err)
		return err;
	err = acpi_hpet_base(tbl, len, &pa, &d);
	acpi_put_table(tbl, len);
	if (err) {
		printk("pvkit: warning: hpet: %s (at %#lx); not used\n", d.what, d.where);
		return err;
	}
	hpet.regs = os_ioremap(pa, HPET_WINDOW_LEN);
	if (!hpet.regs)
		return -ENOMEM;
	cap = hpet.regs[HPET_REG_CAP / 8];
	period = cap >> HPET_CAP_PERIOD_SHIFT;
	if (!period || period > HPET_PERIOD_MAX) {
		printk("pvkit: warning: hpet: period %lu fs is implausible; not used\n", period);
		os_iounmap((const void *)hpet.regs, HPET_WINDOW_LEN);
		hpet.regs = NULL;
		return -EINVAL;
	}
	hpet.hz = FS_PER_SEC / period;
	hpet.wide = cap & HPET_CAP_64BIT;
	hpet.regs[HPET_REG_CONF / 8] |= HPET_CONF_ENABLE;	/* legacy routing untouched */
	printk("pvkit: hpet: at %#lx, %lu Hz, %u-bit counter\n", pa, hpet.hz, hpet.wide ? 64 : 32);
	return 0;
}

bool hpet_present(void)
{
	return hpet.regs != NULL;
}

uint64_t hpet_hz(void)
{
	return hpet.hz;
}

/* One read of the main counter, bracketed by TSC reads. */
static void hpet_read(void *ctx, struct clock_read *r)
{
	r->tsc_a = rdtsc();
	r->count = hpet_counter();
	r->tsc_b = rdtsc();
}

int hpet_tsc_window(uint64_t ticks, uint64_t *tsc_cycles, uint64_t *tsc_error,
		    uint64_t *hpet_ticks)
{
	const struct clock_window_ops ops = {
		.read = hpet_read, .mask = hpet_counter_mask(), .max_ticks = hpet_counter_mask(),
	};
	struct clock_window w;
	unsigned long fl;
	int err;

	if (!hpet.regs)
		return -ENODEV;
	fl = pv_irq_save();
	err = clock_window_measure(&ops, NULL, ticks, CLOCK_WINDOW_PPM, HPET_POLL_MAX, &w);
	pv_irq_restore(fl);
	if (err)
		return err;
	*tsc_cycles = w.cycles;
	*tsc_error = w.error;
	*hpet_ticks = w.ticks;
	return 0;
}
