/* SPDX-License-Identifier: MIT */
/* The Xen PV console ring (xen-guest/console.c). */
#ifndef PVKIT_XEN_CONSOLE_H
#define PVKIT_XEN_CONSOLE_H

/** PVH: reach the ring through a mapping of our own page tables (after mm_init's switch). */
void xencons_remap(void);

/** Take console input on the ring's event channel from now on. Return: 0 or -errno. */
int xencons_input_init(void);

/** Idle loop: pull input the event handler left in the ring (console_in was full). */
unsigned int xencons_poll(void);

/** Wait (bounded) until the backend has consumed everything we wrote. */
void xencons_flush(void);

#endif /* PVKIT_XEN_CONSOLE_H */
