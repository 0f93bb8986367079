/* SPDX-License-Identifier: MIT */
/**
 * @file
 * What the native time backend (paravirt/native_time.c) measured and did, for the boot log,
 * the in-guest tests and benchmarks. The backend itself is native_time_ops (native.h).
 */
#ifndef PVKIT_NATIVE_TIME_H
#define PVKIT_NATIVE_TIME_H

#include <pvkit/types.h>

/** The native time backend's calibration results and timer counters. */
struct native_time_info {
	uint64_t tsc_hz;		/**< calibrated TSC frequency */
	uint64_t lapic_timer_hz;	/**< LAPIC timer ticks per second (bus clock / 16) */
	const char *reference;		/**< "PIT" or "HPET": what the TSC was calibrated against */
	uint32_t spread_ppm;		/**< (max - min) / median over the calibration windows */
	unsigned int windows;		/**< calibration windows used (1 ms or more each) */
	unsigned int rejected;		/**< TSC and LAPIC windows judged disturbed (uncertain
					 * end points) and not used when quiet ones were had */
	bool tsc_deadline;		/**< one-shot timer in TSC-deadline mode (else count) */
	bool invariant_tsc;		/**< CPUID: the TSC rate survives P- and C-states */
	uint64_t timer_fires;		/**< deadlines reached: pv_timer_fire() calls */
	uint64_t last_fire_ns;		/**< clock_ns() as pv_timer_fire() was last called */
	uint64_t timer_early;		/**< interrupts before the deadline, re-armed */
	uint64_t timer_stale;		/**< interrupts after a cancel, ignored */
};

/**
 * native_time_get_info() - a copy of the backend's state, taken with interrupts off so the
 * counters agree with each other.
 * @param info receives the copy; zeros before native_time_ops.init ran.
 */
void native_time_get_info(struct native_time_info *info);

/**
 * native_time_armed() - is the one-shot timer's hardware still counting towards its
 * deadline? Read without the interrupt: a test can tell when the hardware expired from when
 * the interrupt was delivered.
 * @return true while counting; false when it expired, was cancelled or was never armed.
 */
bool native_time_armed(void);

#endif /* PVKIT_NATIVE_TIME_H */
