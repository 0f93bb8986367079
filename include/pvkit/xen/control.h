/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Toolstack control through xenstore: xl shutdown, xl reboot, xl sysrq, xl save
 * (xen-guest/control.c). A request is acknowledged by clearing its node in the transaction
 * that read it, so it is seen exactly once, and acted on from the idle loop. Suspend has a
 * second way in, a suspend event channel libxl notifies instead of writing xenstore.
 */
#ifndef PVKIT_XEN_CONTROL_H
#define PVKIT_XEN_CONTROL_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

/** pvkit.suspend_evtchn=0: publish no suspend event channel (libxl then writes xenstore). */
#define XEN_CONTROL_CMDLINE_SUSPEND_EVTCHN "pvkit.suspend_evtchn"

/** What the toolstack asked for, as handed to the xen_control_fn. */
enum xen_control_request {
	XEN_CONTROL_POWEROFF,		/**< "poweroff" or "halt" */
	XEN_CONTROL_REBOOT,		/**< "reboot" */
};

/** Called from the idle loop (a watch callback) when the toolstack asks us to stop. */
typedef void (*xen_control_fn)(enum xen_control_request req);

/**
 * xen_control_init() - announce feature-poweroff/reboot, watch control/shutdown and
 * control/sysrq, publish the suspend event channel (unless pvkit.suspend_evtchn=0) and poll
 * for suspend requests from the idle loop.
 * @param bi the boot information (its command line, for pvkit.suspend_evtchn).
 * @param fn what runs on a poweroff or reboot request.
 * @return 0 or -errno (nothing reaches us then).
 */
int xen_control_init(const struct boot_info *bi, xen_control_fn fn);

/**
 * xen_control_reset() - forget requests, counters, watches and the port, without touching
 * xenstore or Xen: the state of a domain that has none of them (the hosted tests; a new
 * domain after a restore).
 */
void xen_control_reset(void);

/** What the control node and the suspend channel brought. */
struct xen_control_stats {
	uint64_t requests;		/**< shutdown requests seen */
	uint64_t ignored;		/**< ... that we did not know or cannot do */
	uint64_t sysrqs;		/**< sysrq keys acknowledged */
	uint64_t suspends;		/**< suspends that came back (cancelled: the same domain) */
	uint64_t suspend_failed;	/**< suspends whose preparation or hypercall failed */
	uint32_t suspend_port;		/**< the suspend event channel, 0 if none published */
};

/**
 * xen_control_get_stats() - a copy of the counters.
 * @param st receives them.
 */
void xen_control_get_stats(struct xen_control_stats *st);

#endif /* PVKIT_XEN_CONTROL_H */
