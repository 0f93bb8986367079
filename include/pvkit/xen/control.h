/* SPDX-License-Identifier: MIT */
/* Toolstack control through xenstore: xl shutdown, xl reboot, xl sysrq, xl save (xen-guest/control.c). */
#ifndef PVKIT_XEN_CONTROL_H
#define PVKIT_XEN_CONTROL_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

/* pvkit.suspend_evtchn=0: publish no suspend event channel (libxl then writes xenstore). */
#define XEN_CONTROL_CMDLINE_SUSPEND_EVTCHN "pvkit.suspend_evtchn"

enum xen_control_request {
	XEN_CONTROL_POWEROFF,		/* "poweroff" or "halt" */
	XEN_CONTROL_REBOOT,		/* "reboot" */
};

/* Called from the idle loop (a watch callback) when the toolstack asks us to stop. */
typedef void (*xen_control_fn)(enum xen_control_request req);

/**
 * xen_control_init() - announce feature-poweroff/reboot, watch control/shutdown and
 * control/sysrq, publish the suspend event channel (unless pvkit.suspend_evtchn=0) and poll
 * for suspend requests from the idle loop. Return: 0 or -errno (nothing reaches us then).
 */
int xen_control_init(const struct boot_info *bi, xen_control_fn fn);

/** Forget requests, counters, watches and the port, without touching xenstore or Xen: the
 * state of a domain that has none of them (the hosted tests; a new domain after a restore). */
void xen_control_reset(void);

struct xen_control_stats {
	uint64_t requests;		/* shutdown requests seen */
	uint64_t ignored;		/* ... that we did not know or cannot do */
	uint64_t sysrqs;		/* sysrq keys acknowledged */
	uint64_t suspends;		/* suspends that came back (cancelled: the same domain) */
	uint64_t suspend_failed;	/* suspends whose preparation or hypercall failed */
	uint32_t suspend_port;		/* the suspend event channel, 0 if none published */
};
void xen_control_get_stats(struct xen_control_stats *st);

#endif /* PVKIT_XEN_CONTROL_H */
