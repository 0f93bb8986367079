/* SPDX-License-Identifier: MIT */
/*
 * Work done outside interrupt context while the kernel idles: services register a poller
 * (xenstore watch callbacks, console input, deferred grant ends, the UART). The idle loop runs
 * them all, then halts until the next interrupt when none had anything to do.
 */
#ifndef PVKIT_IDLE_H
#define PVKIT_IDLE_H

#include <pvkit/types.h>

struct idle_poller {
	const char *name;		/* for diagnostics */
	unsigned int (*poll)(void);	/* returns how much work it did (0: none) */
	struct idle_poller *next;	/* registry link, owned by kernel/idle.c */
	bool running;			/* inside poll (kernel/idle.c): not entered again */
};

void idle_register(struct idle_poller *p);

/**
 * idle_poll() - run every poller once; returns the total work done. A poller already running
 * further up the stack is skipped, so code a poller runs may call this while it loops (a
 * console command that sends for a while still lets xenstore watches, device hot-plug and
 * the drivers' upkeep run; the console itself waits until the command returns).
 */
unsigned int idle_poll(void);

/**
 * idle_wait() - poll, and if nothing was pending halt (pv_safe_halt) until an interrupt.
 * Returns with interrupts enabled.
 */
void idle_wait(void);

#endif /* PVKIT_IDLE_H */
