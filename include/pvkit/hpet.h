/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The HPET (IA-PC HPET specification 1.0a), used only as a free-running reference counter: a
 * second opinion on the TSC calibration, and the reference when there is no PIT.
 */
#ifndef PVKIT_HPET_H
#define PVKIT_HPET_H

#include <pvkit/types.h>

/**
 * hpet_init() - find the HPET through ACPI, check its period, start its main counter.
 * @return 0, -ENOENT (none described), -EINVAL (implausible period), -ENOMEM.
 */
int hpet_init(void);

/**
 * hpet_present() - did hpet_init() succeed? The other calls need it.
 * @return true when the HPET is mapped and counting.
 */
bool hpet_present(void);

/**
 * hpet_hz() - the main counter's frequency, from the period the HPET reports.
 * @return ticks per second (0 without an HPET).
 */
uint64_t hpet_hz(void);

/**
 * hpet_counter() - the main counter now; only with hpet_present().
 * @return the count. Take differences & hpet_counter_mask(): a 32-bit counter wraps.
 */
uint64_t hpet_counter(void);

/**
 * hpet_counter_mask() - the main counter's width, for differences across a wrap.
 * @return UINT64_MAX for a 64-bit counter, UINT32_MAX for a 32-bit one.
 */
uint64_t hpet_counter_mask(void);

/**
 * hpet_tsc_window() - wait until the main counter advanced @p ticks (longer if the window's
 * end points need it to be CLOCK_WINDOW_PPM certain) and measure the TSC over it. Each
 * counter read is bracketed by TSC reads (clock_window_measure()). Bounded.
 * @param ticks      HPET ticks to wait at least.
 * @param tsc_cycles receives the TSC cycles between the two counter reads.
 * @param tsc_error  receives how uncertain @p tsc_cycles is, in cycles.
 * @param hpet_ticks receives how many HPET ticks really passed.
 * @return 0, -ENODEV (no HPET), -EINVAL (@p ticks 0 or beyond the counter), -ETIMEDOUT (the
 *         counter is stuck).
 */
int hpet_tsc_window(uint64_t ticks, uint64_t *tsc_cycles, uint64_t *tsc_error,
		    uint64_t *hpet_ticks);

#endif /* PVKIT_HPET_H */
