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
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/xen.h>
#include <pvkit/xen/xenstore.h>

static struct idle_poller xencons_poller = { .name = "xencons", .poll = xencons_poll };
static struct idle_poller xs_poller = { .name = "xenstore", .poll = xs_poll };

int xen_services_init(const struct boot_info *bi)
{
	int err = 0;

	/* Each step: one call, one comment; a failure names itself and stops the rest. */
	(void)bi;

	err = gnttab_init(bi);			/* issue 5: grant table v1, first frame mapped */
	if (err) {
		printk("pvkit: xen: grant table: %d\n", err);
		return err;
	}

	err = xs_init(bi);			/* xenstore ring + event; reads our domid */
	if (err) {
		printk("pvkit: xen: xenstore: %d\n", err);
		return err;
	}
	idle_register(&xs_poller);		/* watch callbacks run from the idle loop */

	err = xencons_input_init();		/* console input on the ring's event */
	if (err) {
		printk("pvkit: xen: console input: %d\n", err);
		return err;
	}
	idle_register(&xencons_poller);		/* input left in the ring when we were full */
	return err;
}
