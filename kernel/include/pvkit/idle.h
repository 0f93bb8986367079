/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The idle loop (kernel/idle.c): work done outside interrupt context while the kernel idles.
 * Components register pollers (struct os_poller, os_poller_register() in pvkit/os.h: xenstore
 * watch callbacks, console input, deferred grant ends, the UART, network input); the idle
 * loop runs them all, then halts until the next interrupt when none had anything to do.
 */
#ifndef PVKIT_IDLE_H
#define PVKIT_IDLE_H

#include <pvkit/os.h>
#include <pvkit/types.h>

/**
 * idle_poll() - run every poller once. A poller already running further up the stack is
 * skipped, so code a poller runs may call this while it loops (a console command that sends
 * for a while still lets xenstore watches, device hot-plug and the drivers' upkeep run; the
 * console itself waits until the command returns).
 * @return the total work done.
 */
unsigned int idle_poll(void);

/**
 * idle_wait() - poll, and if nothing was pending halt (pv_safe_halt) until an interrupt.
 * Returns with interrupts enabled.
 */
void idle_wait(void);

#endif /* PVKIT_IDLE_H */
