/* SPDX-License-Identifier: MIT */
/*
 * The 8254 programmable interval timer: a fixed 1.193182 MHz reference on every PC, used to
 * calibrate the TSC (channel 2, gated through port 0x61, no interrupt needed), and channel 0
 * as a known interrupt source for testing the IOAPIC path (ISA IRQ 0).
 */
#ifndef PVKIT_PIT_H
#define PVKIT_PIT_H

#include <pvkit/types.h>

#define PIT_HZ			1193182u	/* input clock: 14.31818 MHz / 12 */
#define PIT_ISA_IRQ		0		/* channel 0's interrupt line */

/**
 * pit_tsc_window() - let channel 2 count down @ticks (1-65535) and measure how many TSC
 * cycles that took. Both ends are bracketed by TSC reads: *tsc_error is how uncertain the
 * result is (large when the CPU was taken away while polling: discard such a window). The
 * wait is bounded even if the PIT never answers.
 * Return: 0, -EINVAL (ticks 0), -ENODEV (no PIT: its output was high at once),
 * -ETIMEDOUT (the output never rose).
 */
int pit_tsc_window(uint16_t ticks, uint64_t *tsc_cycles, uint64_t *tsc_error);

/** Channel 0: a periodic interrupt at about @hz (19-596591) on ISA IRQ 0. 0 or -EINVAL. */
int pit_periodic(unsigned int hz);
/** Channel 0 back to quiet: one last terminal count, then no more interrupts. */
void pit_stop(void);

#endif /* PVKIT_PIT_H */
