/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The Xen PV console ring (xen-guest/console.c). Output works from the first instruction,
 * before any event-channel handling (sending on a port needs none); input is taken on the
 * ring's event once event channels work. Release Xen refuses HYPERVISOR_console_io from a
 * DomU, so the ring is the console. The backend is not trusted: our producer index is
 * private, and waiting for space is bounded.
 */
#ifndef PVKIT_XEN_CONSOLE_H
#define PVKIT_XEN_CONSOLE_H

#include <pvkit/bootinfo.h>

/**
 * xencons_remap() - PVH: reach the ring through a mapping of our own page tables (after
 * mm_init's switch: until then it was reached through the identity map). If it cannot be
 * mapped, output is dropped from then on rather than faulting.
 */
void xencons_remap(void);

/**
 * xencons_input_init() - take console input on the ring's event channel from now on, into
 * console_in; what arrived before is taken at once.
 * @return 0, -ENODEV (no ring), or -errno from the event channel.
 */
int xencons_input_init(void);

/**
 * xencons_poll() - idle loop: pull input the event handler left in the ring (console_in was
 * full), with events masked (the handler is the other producer).
 * @return 0: the lines are counted by console_in_poll().
 */
unsigned int xencons_poll(void);

/**
 * xencons_resume_output() - after resuming in a new domain: find the ring and its event
 * channel again (PV: xen_start_info, re-read by the caller; PVH: the HVM parameters) and take
 * the producer index from the ring. Output only: input is bound again with the event channels.
 * @param bi the boot information.
 * @return 0 or -errno (output stays off).
 */
int xencons_resume_output(const struct boot_info *bi);

/**
 * xencons_resume_input() - after xencons_resume_output(): input on the new domain's port,
 * after evtchn_resume().
 * @return 0 or -errno.
 */
int xencons_resume_input(void);

/**
 * xencons_flush() - wait (bounded) until the backend has consumed everything we wrote, so
 * the last lines reach dom0 before a shutdown or a suspend.
 */
void xencons_flush(void);

#endif /* PVKIT_XEN_CONSOLE_H */
