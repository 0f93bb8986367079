// SPDX-License-Identifier: MIT
/* Leaving a Xen domain: SCHEDOP_shutdown with a reason the toolstack records (poweroff, reboot,
 * crash). The console ring is flushed first so the last lines are not lost with the domain. */
#include <pvkit/printk.h>
#include <pvkit/xen/console.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/xen.h>

void xen_shutdown(enum xen_shutdown_reason reason)
{
	static const unsigned int codes[] = {
		[XEN_SHUTDOWN_POWEROFF] = SHUTDOWN_poweroff,
		[XEN_SHUTDOWN_REBOOT] = SHUTDOWN_reboot,
		[XEN_SHUTDOWN_CRASH] = SHUTDOWN_crash,
	};
	struct sched_shutdown sd = { .reason = codes[reason] };
	int err;

	xencons_flush();
	err = HYPERVISOR_sched_op(SCHEDOP_shutdown, &sd);
	printk("pvkit: SCHEDOP_shutdown failed: %d\n", err);
}
