/* SPDX-License-Identifier: MIT */
/* Toolstack control through xenstore: xl shutdown, xl reboot, xl sysrq (xen-guest/control.c). */
#ifndef PVKIT_XEN_CONTROL_H
#define PVKIT_XEN_CONTROL_H

#include <pvkit/types.h>

enum xen_control_request {
	XEN_CONTROL_POWEROFF,		/* "poweroff" or "halt" */
	XEN_CONTROL_REBOOT,		/* "reboot" */
};

/* Called from the idle loop (a watch callback) when the toolstack asks us to stop. */
typedef void (*xen_control_fn)(enum xen_control_request req);

/** Announce feature-poweroff/reboot and watch control/shutdown and control/sysrq. */
int xen_control_init(xen_control_fn fn);

struct xen_control_stats {
	uint64_t requests;		/* shutdown requests seen */
	uint64_t ignored;		/* ... that we did not know or cannot do */
	uint64_t sysrqs;		/* sysrq keys acknowledged */
};
void xen_control_get_stats(struct xen_control_stats *st);

#endif /* PVKIT_XEN_CONTROL_H */
