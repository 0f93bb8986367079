/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Xen's pv lock op (xen-guest/spinlock.c, docs/smp.md "The pv lock op"): a lock waiter that
 * spun SPIN_THRESHOLD rounds blocks in SCHEDOP_poll on its own masked event channel; the
 * unlocker kicks it with EVTCHNOP_send.
 */
#ifndef PVKIT_XEN_SPINLOCK_H
#define PVKIT_XEN_SPINLOCK_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

/** The command-line switch: `pvkit.pvlock=0` leaves the op off (waiters spin only). */
#define XEN_SPIN_CMDLINE	"pvkit.pvlock"

/**
 * xen_spin_init() - an event channel for every CPU smp_init() described, and the op installed
 * (unless `pvkit.pvlock=0`). After smp_init(), with events and time up.
 * @param bi the boot description (its command line).
 * @return 0 (also when switched off), or the -errno of a port that could not be bound (the op
 *         stays off: waiters spin).
 */
int xen_spin_init(const struct boot_info *bi);

/** xen_spin_suspend() - before the suspend: the op taken away (waiters spin). */
void xen_spin_suspend(void);

/**
 * xen_spin_resume() - after it: the op back; in a new domain with new ports first.
 * @param same_domain true after a cancelled or failed suspend (the ports still hold).
 */
void xen_spin_resume(bool same_domain);

/**
 * xen_spin_enabled() - whether the op is on (the tests).
 * @return true if waiters sleep after SPIN_THRESHOLD rounds.
 */
bool xen_spin_enabled(void);

#endif /* PVKIT_XEN_SPINLOCK_H */
