/* SPDX-License-Identifier: MIT */
/* The Xen PV console ring (xen-guest/console.c). */
#ifndef PVKIT_XEN_CONSOLE_H
#define PVKIT_XEN_CONSOLE_H

/** PVH: reach the ring through a mapping of our own page tables (after mm_init's switch). */
void xencons_remap(void);

/** Wait (bounded) until the backend has consumed everything we wrote. */
void xencons_flush(void);

#endif /* PVKIT_XEN_CONSOLE_H */
