/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Kernel timers on top of the one-shot pv_time timer (kernel/timer.c): a list sorted by
 * deadline; the earliest deadline is what the hardware (or Xen) is armed for. The timers
 * themselves are the OS-services ones (struct os_timer, os_timer_add(), os_timer_cancel(),
 * os_wait_until() in pvkit/os.h): this is the reference kernel's implementation of them.
 * Callbacks run in interrupt context with interrupts off and may re-add their own timer.
 */
#ifndef PVKIT_TIMER_H
#define PVKIT_TIMER_H

#include <pvkit/os.h>
#include <pvkit/types.h>

/** timer_init() - take over the pv_time timer interrupt (start_kernel, once). */
void timer_init(void);

/**
 * timer_interrupts() - timer interrupts handled since boot.
 * @return the count.
 */
uint64_t timer_interrupts(void);

#endif /* PVKIT_TIMER_H */
