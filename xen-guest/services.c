// SPDX-License-Identifier: MIT
/*
 * The Xen services a DomU offers its drivers, brought up in order once interrupts and time
 * work: grant tables, xenstore, then what is built on xenstore (control, console input).
 * Event channels came up with pv_irq->init already.
 */
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/os.h>
#include <pvkit/xen/console.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/p2m.h>
#include <pvkit/xen/xen.h>
#include <pvkit/xen/xenstore.h>

static struct os_poller xencons_poller = { .name = "xencons", .poll = xencons_poll };
static struct os_poller xs_poller = { .name = "xenstore", .poll = xs_poll };

#ifdef CONFIG_XEN_PV
/* The guest runs without it; only saving it (xl save, migrate) needs it: say so, go on. */
static void xen_pv_p2m_publish_boot(void)
{
	struct xen_pv_p2m_info info;
	int err;

	err = xen_pv_p2m_init();
	if (!err)
		err = xen_pv_p2m_info(&info);
	if (err) {
		printk("pvkit: warning: p2m not published (%d): xl save cannot work\n", err);
		return;
	}
	printk("pvkit: p2m published max_pfn=%lu frames=%u leaves=%lu\n", info.max_pfn,
	       1 + info.l2_pages, info.leaves);
}
#endif

int xen_services_init(const struct boot_info *bi)
{
	int err = 0;

#ifdef CONFIG_XEN_PV
	if (bi->env == BOOT_XEN_PV)
		xen_pv_p2m_publish_boot();	/* issue 13: the P2M for xl save (a warning) */
#endif

	/* Each step: one call, one comment; a failure names itself and stops the rest. */

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
	os_poller_register(&xs_poller);		/* watch callbacks run from the idle loop */

	err = xencons_input_init();		/* console input on the ring's event */
	if (err) {
		printk("pvkit: xen: console input: %d\n", err);
		return err;
	}
	os_poller_register(&xencons_poller);		/* input left in the ring when we were full */
	return err;
}
