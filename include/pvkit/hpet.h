/* SPDX-License-Identifier: MIT */
/*
 * The HPET (IA-PC HPET specification 1.0a), used only as a free-running reference counter: a
 * second opinion on the TSC calibration, and the reference when there is no PIT.
 */
#ifndef PVKIT_HPET_H
#define PVKIT_HPET_H

#include <pvkit/types.h>

/**
 * hpet_init() - find the HPET through ACPI, check its period, start its main counter.
 * Return: 0, -ENOENT (none described), -EINVAL (implausible period), -ENOMEM.
 */
int hpet_init(void);
bool hpet_present(void);
uint64_t hpet_hz(void);			/* main counter frequency */
/** The main counter now; only with hpet_present(). Take differences & hpet_counter_mask(). */
uint64_t hpet_counter(void);
uint64_t hpet_counter_mask(void);	/* 32-bit counters wrap */

/**
 * hpet_tsc_window() - wait until the main counter advanced @ticks (longer if the window's end
 * points need it to be CLOCK_WINDOW_PPM certain); *hpet_ticks gets how many really passed,
 * *tsc_cycles the TSC cycles between the two counter reads and *tsc_error how uncertain that
 * is (each read bracketed by TSC reads: clock_window_measure()). Bounded.
 * Return: 0, -ENODEV (no HPET), -EINVAL (@ticks 0 or beyond the counter), -ETIMEDOUT (the
 * counter is stuck).
 */
int hpet_tsc_window(uint64_t ticks, uint64_t *tsc_cycles, uint64_t *tsc_error,
		    uint64_t *hpet_ticks);

#endif /* PVKIT_HPET_H */
