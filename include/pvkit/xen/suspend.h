/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Suspending the domain for the toolstack (xl save, xl save -c, xl migrate):
 * xen-guest/suspend.c, docs/suspend.md. The request itself (control/shutdown = "suspend", or
 * the suspend event channel) is taken by xen-guest/control.c, which calls xen_suspend() from
 * the idle loop.
 */
#ifndef PVKIT_XEN_SUSPEND_H
#define PVKIT_XEN_SUSPEND_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

/** Who asked: printed in "pvkit: suspend requested by <source>". */
enum xen_suspend_source {
	XEN_SUSPEND_XENSTORE,		/**< "suspend" written to control/shutdown */
	XEN_SUSPEND_EVTCHN,		/**< device/suspend/event-channel notified */
};

/** What one suspend came to; xen_suspend() fills it in and prints it. */
struct xen_suspend_result {
	int cancelled;			/**< 1: SCHEDOP_shutdown returned 1, same domain, nothing
					 * changed (xl save -c, a failed save or migration) */
	uint64_t downtime_ms;		/**< wall clock after - before: the guest's own view of
					 * how long it was gone (0 if the clock went back) */
};

/**
 * xen_suspend_init() - remember what the suspend needs from boot (PV: where the builder's
 * start_info page is: the suspend hypercall names its MFN).
 * @param bi the boot information; it must stay valid.
 * @return 0, -EINVAL (PV: the start_info page is not where, or not what, it was).
 */
int xen_suspend_init(const struct boot_info *bi);

/**
 * xen_suspend() - suspend the domain now: "pvkit: suspend requested by <source>", interrupts
 * off, the console flushed, PV: start_info's store and console MFNs turned into PFNs (the
 * restore side reads PFNs), SCHEDOP_shutdown(SHUTDOWN_suspend) with the start_info MFN (PV)
 * or 0 (PVH). A cancelled suspend (the call returns 1) undoes the PV conversion and goes on:
 * "pvkit: resumed cancelled=1 downtime_ms=N". In a new domain (the call returns 0 after xl
 * restore or a migration) every layer is set up again: shared_info, event channels, grant
 * table (every grant given again), clock and timer, console, xenstore (ring, watches, open
 * transactions made stale), then the frontends (xenbus_frontends_resume) and, from
 * control.c, the control nodes: "pvkit: resumed cancelled=0 downtime_ms=N". A step the guest
 * cannot live without that fails stops it (crash) with a line naming the step.
 * @param source who asked (for the message).
 * @param res    receives what the suspend came to.
 * @return 0 (@p res filled in), -EINVAL (not set up), -errno of the preparation or hypercall.
 */
int xen_suspend(enum xen_suspend_source source, struct xen_suspend_result *res);

/** Suspend counters, for the tests and the console. */
struct xen_suspend_stats {
	uint64_t requests;		/**< xen_suspend() calls */
	uint64_t cancelled;		/**< ... that came back with 1 */
	uint64_t resumed;		/**< ... that came back with 0: in a new domain */
	uint64_t failed;		/**< ... whose hypercall failed */
	uint64_t last_downtime_ms;	/**< the last suspend's downtime (either way back) */
};

/**
 * xen_suspend_get_stats() - a copy of the counters.
 * @param st receives them.
 */
void xen_suspend_get_stats(struct xen_suspend_stats *st);

#endif /* PVKIT_XEN_SUSPEND_H */
