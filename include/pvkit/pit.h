/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The 8254 programmable interval timer: a fixed 1.193182 MHz reference on every PC, used to
 * calibrate the TSC (channel 2, gated through port 0x61, no interrupt needed), and channel 0
 * as a known interrupt source for testing the IOAPIC path (ISA IRQ 0).
 */
#ifndef PVKIT_PIT_H
#define PVKIT_PIT_H

#include <pvkit/types.h>

#define PIT_HZ			1193182u	/**< input clock: 14.31818 MHz / 12 */
#define PIT_ISA_IRQ		0		/**< channel 0's interrupt line */

#define PIT_WINDOW_MAX		50000u		/**< ticks: 41.9 ms, well before the count wraps */
/**
 * pit_tsc_window() - let channel 2 count at least @p ticks, longer if the window's end points
 * need it to be CLOCK_WINDOW_PPM certain (without a rough rate, 1000 ppm: a rate to follow
 * the next windows by), and measure how many TSC cycles that took. The count is read through
 * the counter latch, each read bracketed by TSC reads (clock_window_measure()). The 16-bit
 * count turns every 54.9 ms: given the TSC's rate roughly (under 10%), the window follows it
 * across turns, however long the CPU was away; without, it stays within PIT_WINDOW_MAX.
 * Bounded even if the PIT never answers.
 * @param ticks        PIT ticks to count at least.
 * @param rough_tsc_hz the TSC's rate roughly, or 0 when not known yet.
 * @param rough_ppm    how well @p rough_tsc_hz is known, in ppm (under 100000).
 * @param tsc_cycles   receives the TSC cycles the window took.
 * @param tsc_error    receives how uncertain @p tsc_cycles still is (large only when every
 *                     step near an end was disturbed).
 * @param pit_ticks    receives how many ticks the PIT really counted.
 * @return 0, -EINVAL (ticks 0, or more than PIT_WINDOW_MAX without a rate), -ENODEV (no PIT:
 *         its output was high at once), -ETIMEDOUT (the count did not advance), -EAGAIN (the
 *         CPU was away so long that the count could not be followed: measure again), -EIO
 *         (the count disagrees with the rough rate).
 */
int pit_tsc_window(uint16_t ticks, uint64_t rough_tsc_hz, uint32_t rough_ppm,
		   uint64_t *tsc_cycles, uint64_t *tsc_error, uint64_t *pit_ticks);

/**
 * pit_periodic() - channel 0: a periodic interrupt on ISA IRQ 0, a known source for testing
 * the IOAPIC path.
 * @param hz about how often, 19-596591 (the 16-bit divisor's range).
 * @return 0 or -EINVAL.
 */
int pit_periodic(unsigned int hz);

/** pit_stop() - channel 0 back to quiet: one last terminal count, then no more interrupts. */
void pit_stop(void);

#endif /* PVKIT_PIT_H */
