/* SPDX-License-Identifier: MIT */
/* The Xen PV console ring (xen-guest/console.c). */
#ifndef PVKIT_XEN_CONSOLE_H
#define PVKIT_XEN_CONSOLE_H

#include <pvkit/bootinfo.h>

/** PVH: reach the ring through a mapping of our own page tables (after mm_init's switch). */
void xencons_remap(void);

/** Take console input on the ring's event channel from now on. Return: 0 or -errno. */
int xencons_input_init(void);

/** Idle loop: pull input the event handler left in the ring (console_in was full). */
unsigned int xencons_poll(void);

/**
 * xencons_resume_output() - after resuming in a new domain: find the ring and its event channel
 * again (PV: xen_start_info, re-read by the caller; PVH: the HVM parameters) and take the
 * producer index from the ring. Output only: input is bound again with the event channels.
 * Return: 0 or -errno (output stays off).
 */
int xencons_resume_output(const struct boot_info *bi);
/** ... and input on the new domain's port, after evtchn_resume(). Return: 0 or -errno. */
int xencons_resume_input(void);

/** Wait (bounded) until the backend has consumed everything we wrote. */
void xencons_flush(void);

#endif /* PVKIT_XEN_CONSOLE_H */
