// SPDX-License-Identifier: MIT
/* The 8254 PIT (Intel 82C54 datasheet): channel 2 as the TSC calibration reference, gated
 * through port 0x61 (as the PC speaker logic wires it) and read with its counter latch;
 * channel 0 as IRQ 0. */
#include <pvkit/clockcalc.h>
#include <pvkit/errno.h>
#include <pvkit/pit.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>

#define PIT_CH0			0x40
#define PIT_CH2			0x42
#define PIT_CMD			0x43
#define PIT_CMD_CH0_MODE0	0x30	/* channel 0, lobyte/hibyte, interrupt on terminal count */
#define PIT_CMD_CH0_MODE2	0x34	/* channel 0, lobyte/hibyte, rate generator */
#define PIT_CMD_CH2_MODE0	0xb0	/* channel 2, lobyte/hibyte, interrupt on terminal count */
#define PIT_CMD_CH2_LATCH	0x80	/* channel 2, counter latch: freeze the count for reading */
#define PORT_B			0x61	/* system control port B */
#define PORT_B_GATE2		0x01	/* channel 2 gate */
#define PORT_B_SPEAKER		0x02	/* speaker data: off, or it beeps */
#define PORT_B_OUT2		0x20	/* channel 2 output, read-only */
/*
 * Reads of channel 2 before giving up. One latched read is three port accesses, ~1 us each on
 * hardware and ~0.1-1 us under QEMU TCG, so this is seconds, far beyond the longest window.
 */
#define PIT_POLL_MAX		5000000u
/* Without a rate to follow the count's turns, a window must fit in one: it ends once this
 * certain (1-2 ms under TCG), good enough to be the rate the next ones follow. */
#define PIT_ROUGH_PPM		1000

/* One read of channel 2 as an up-count: the latch command is the moment it is sampled. */
static void pit_ch2_read(void *ctx, struct clock_read *r)
{
	uint8_t lo, hi;

	r->tsc_a = rdtsc();
	outb(PIT_CMD, PIT_CMD_CH2_LATCH);
	r->tsc_b = rdtsc();
	lo = inb(PIT_CH2);
	hi = inb(PIT_CH2);
	r->count = 0xffff - (uint64_t)(lo | hi << 8);
}

int pit_tsc_window(uint16_t ticks, uint64_t rough_tsc_hz, uint32_t rough_ppm,
		   uint64_t *tsc_cycles, uint64_t *tsc_error, uint64_t *pit_ticks)
{
	struct clock_window_ops ops = {
		.read = pit_ch2_read, .mask = 0xffff, .max_ticks = PIT_WINDOW_MAX,
	};
	struct clock_window w;
	unsigned long fl;
	uint8_t portb;
	int err;

	if (!ticks)
		return -EINVAL;
	fl = pv_irq_save();			/* an interrupt inside a read would widen it */
	portb = inb(PORT_B);
	/* Gate high before the count is written: mode 0 then starts counting at the write,
	 * down from 0xffff; its output rises at the terminal count, 54.9 ms later. */
	outb(PORT_B, (portb & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);	/* output goes low now */
	outb(PIT_CH2, 0xff);
	outb(PIT_CH2, 0xff);
	/* Low after the mode write: if it reads high at once, nothing is there (0xff). */
	if (inb(PORT_B) & PORT_B_OUT2) {
		err = -ENODEV;
		goto out_restore;
	}
	/* Too rough a rate (or none) leaves the window within one turn of the count. */
	if (rough_tsc_hz)
		clock_window_rough(PIT_HZ, rough_tsc_hz, rough_ppm, &ops);
	err = clock_window_measure(&ops, NULL, ticks, ops.rough_mult ? CLOCK_WINDOW_PPM :
				   PIT_ROUGH_PPM, PIT_POLL_MAX, &w);
	/* Within one turn, the output still low after the last read says the count did not
	 * wrap before it (a CPU away for over 45 ms can make it look as if it had just begun). */
	if (!err && !ops.rough_mult && (inb(PORT_B) & PORT_B_OUT2))
		err = -EAGAIN;
	if (!err) {
		*tsc_cycles = w.cycles;
		*tsc_error = w.error;
		*pit_ticks = w.ticks;
	}
out_restore:
	outb(PORT_B, portb & ~(PORT_B_SPEAKER | PORT_B_GATE2));
	pv_irq_restore(fl);
	return err;
}

int pit_periodic(unsigned int hz)
{
	unsigned int div;

	if (hz < 19 || hz > PIT_HZ / 2)	/* divisor 2-65535 */
		return -EINVAL;
	div = (PIT_HZ + hz / 2) / hz;
	outb(PIT_CMD, PIT_CMD_CH0_MODE2);
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, (div >> 8) & 0xff);
	return 0;
}

void pit_stop(void)
{
	outb(PIT_CMD, PIT_CMD_CH0_MODE0);
	outb(PIT_CH0, 0xff);
	outb(PIT_CH0, 0xff);
}
