// SPDX-License-Identifier: MIT
/*
 * The Xen services a DomU offers its drivers, brought up in order once interrupts and time
 * work: grant tables, xenstore, then what is built on xenstore (control, console input).
 * Event channels came up with pv_irq->init already.
 */
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/idle.h>
#include <pvkit/xen/console.h>
#include <pvkit/xen/xen.h>

static struct idle_poller xencons_poller = { .name = "xencons", .poll = xencons_poll };

int xen_services_init(const struct boot_info *bi)
{
	int err = 0;

	/* Each step: one call, one comment; a failure names itself and stops the rest. */
	(void)bi;

	err = xencons_input_init();		/* console input on the ring's event */
	if (err) {
		printk("pvkit: xen: console input: %d\n", err);
		return err;
	}
	idle_register(&xencons_poller);		/* input left in the ring when we were full */
	return err;
}
