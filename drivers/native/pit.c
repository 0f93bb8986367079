// SPDX-License-Identifier: MIT
/* The 8254 PIT (Intel 82C54 datasheet): channel 2 as the TSC calibration reference, gated
 * and read back through port 0x61 (as the PC speaker logic wires it), channel 0 as IRQ 0. */
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
#define PORT_B			0x61	/* system control port B */
#define PORT_B_GATE2		0x01	/* channel 2 gate */
#define PORT_B_SPEAKER		0x02	/* speaker data: off, or it beeps */
#define PORT_B_OUT2		0x20	/* channel 2 output, read-only */
/*
 * Polls of port 0x61 before giving up. One inb takes ~1 us on hardware and ~0.1-1 us under
 * QEMU TCG, so this is seconds, far beyond the longest window (65535 ticks = 55 ms).
 */
#define PIT_POLL_MAX		5000000u

int pit_tsc_window(uint16_t ticks, uint64_t *tsc_cycles, uint64_t *tsc_error)
{
	uint64_t t_pre, t0, t_low, t, t1 = 0;
	unsigned long fl;
	unsigned int i;
	uint8_t portb;
	int err = 0;

	if (!ticks)
		return -EINVAL;
	fl = pv_irq_save();			/* an interrupt inside the window would skew it */
	portb = inb(PORT_B);
	/* Gate high before the count is written: mode 0 then starts counting at the write. */
	outb(PORT_B, (portb & ~PORT_B_SPEAKER) | PORT_B_GATE2);
	outb(PIT_CMD, PIT_CMD_CH2_MODE0);	/* output goes low now */
	outb(PIT_CH2, ticks & 0xff);
	t_pre = rdtsc();
	outb(PIT_CH2, ticks >> 8);		/* counting starts in [t_pre, t0] */
	t0 = rdtsc();
	/* Low after the mode write: if it reads high at once, nothing is there (0xff). */
	if (inb(PORT_B) & PORT_B_OUT2) {
		err = -ENODEV;
		goto out_restore;
	}
	t_low = t0;
	for (i = 0; i < PIT_POLL_MAX; i++) {
		t = rdtsc();
		if (inb(PORT_B) & PORT_B_OUT2) {
			t1 = rdtsc();		/* it rose in (t_low, t1] */
			break;
		}
		t_low = t;
	}
	if (i == PIT_POLL_MAX) {
		err = -ETIMEDOUT;
		goto out_restore;
	}
	/* Both ends as midpoints of their brackets; the error is half of both brackets. */
	*tsc_cycles = ((t1 - t0) + (t_low - t_pre)) / 2;
	*tsc_error = ((t1 - t_low) + (t0 - t_pre)) / 2;
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
