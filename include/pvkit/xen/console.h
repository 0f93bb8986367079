/* SPDX-License-Identifier: MIT */
/* The Xen PV console ring (xen-guest/console.c). */
#ifndef PVKIT_XEN_CONSOLE_H
#define PVKIT_XEN_CONSOLE_H

/** Wait (bounded) until the backend has consumed everything we wrote. */
void xencons_flush(void);

#endif /* PVKIT_XEN_CONSOLE_H */
