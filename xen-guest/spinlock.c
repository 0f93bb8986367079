// SPDX-License-Identifier: MIT
/*
 * Xen's pv lock op (include/pvkit/spinlock.h, docs/smp.md "The pv lock op"), PV and PVH alike:
 * every CPU gets an event channel of its own (an IPI port bound to vCPU 0, kept masked, never
 * delivered: the same masked, polled port as the PV cross-call, xen-guest/smp_pv.c). A lock
 * waiter clears its port's pending bit (prepare), looks at the lock once more, and blocks in
 * SCHEDOP_poll on that one port (sleep); the unlocker sends to it (kick). Xen wakes a poller
 * on the port's 0 -> 1 pending edge whatever its mask (common/sched/core.c do_poll,
 * common/event_channel.c evtchn_check_pollers), and the vCPU's time goes to the others meanwhile:
 * to the holder first, when it shares the pCPU.
 *
 * The sleep is bounded (XEN_SPIN_SLEEP_NS of Xen's system time): a kick lost to a bug would be
 * a delay, not a hung vCPU. Across a suspend the op is taken away (the ports belong to the old
 * domain; polling a port number another channel reuses would clear that channel's events) and
 * put back, with new ports in a new domain.
 *
 * `pvkit.pvlock=0` leaves it off: waiters spin only (the bench's and the tests' comparison).
 */
#include <pvkit/bootinfo.h>
#include <pvkit/cmdline.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/smp.h>
#include <pvkit/spinlock.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/spinlock.h>
#include <pvkit/xen/xen.h>
#include <xen/sched.h>

#define XEN_SPIN_SLEEP_NS	1000000000ull	/* 1 s: only a lost kick waits this long */

static struct {
	evtchn_port_t port[SMP_MAX_CPUS];	/* each CPU's wakeup; 0: none (never valid) */
	bool enabled;				/* on at boot (pvkit.pvlock) and now */
} xspin;

static void xen_spin_prepare(unsigned int cpu)
{
	evtchn_clear_pending(xspin.port[cpu]);
}

static void xen_spin_sleep(unsigned int cpu)
{
	evtchn_port_t port = xspin.port[cpu];
	struct sched_poll poll = {
		.nr_ports = 1,
		.timeout = xen_time_abs_after(XEN_SPIN_SLEEP_NS),
	};

	set_xen_guest_handle(poll.ports, &port);
	HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
}

static void xen_spin_kick(unsigned int cpu)
{
	evtchn_send(xspin.port[cpu]);
}

static const struct spin_pv_ops xen_spin_ops = {
	.name = "xen",
	.prepare = xen_spin_prepare,
	.sleep = xen_spin_sleep,
	.kick = xen_spin_kick,
};

/* A port for every CPU smp_init() described (started or not: hot-plug may start it later). */
static int xen_spin_bind_all(void)
{
	unsigned int n = smp_cpus();
	int err;

	for (unsigned int cpu = 0; cpu < n; cpu++) {
		if (xspin.port[cpu])
			continue;
		err = evtchn_bind_ipi(0, &xspin.port[cpu]);	/* masked: polled only */
		if (err)
			goto close_ports;
	}
	return 0;

close_ports:
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		if (xspin.port[cpu])
			evtchn_close(xspin.port[cpu]);
		xspin.port[cpu] = 0;
	}
	return err;
}

int xen_spin_init(const struct boot_info *bi)
{
	unsigned long v = 1;
	int err = cmdline_get_ulong(bi->cmdline, XEN_SPIN_CMDLINE, &v);

	if (err && err != -ENOENT) {
		printk("pvkit: " XEN_SPIN_CMDLINE " ignored: want 0 or 1\n");
		v = 1;
	} else if (v > 1) {
		printk("pvkit: " XEN_SPIN_CMDLINE "=%lu ignored: want 0 or 1\n", v);
		v = 1;
	}
	if (!v) {
		printk("pvkit: spin: pv lock op off (" XEN_SPIN_CMDLINE "=0): waiters spin\n");
		return 0;
	}
	err = xen_spin_bind_all();
	if (err) {
		printk("pvkit: spin: pv lock op off: no event channel (-%s): waiters spin\n",
		       strerror_name(-err));
		return err;
	}
	xspin.enabled = true;
	spin_set_pv_ops(&xen_spin_ops);
	printk("pvkit: spin: pv lock op xen: %u CPUs, spin %u rounds, then SCHEDOP_poll\n",
	       smp_cpus(), SPIN_THRESHOLD);
	return 0;
}

void xen_spin_suspend(void)
{
	if (xspin.enabled)
		spin_set_pv_ops(NULL);
}

void xen_spin_resume(bool same_domain)
{
	int err;

	if (!xspin.enabled)
		return;
	if (!same_domain) {
		/* evtchn_resume() forgot every port: these numbers are the old domain's. */
		for (unsigned int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
			xspin.port[cpu] = 0;
		err = xen_spin_bind_all();
		if (err) {
			xspin.enabled = false;
			printk("pvkit: resume: pv lock op off: no event channel (-%s)\n",
			       strerror_name(-err));
			return;
		}
	}
	spin_set_pv_ops(&xen_spin_ops);
}

bool xen_spin_enabled(void)
{
	return xspin.enabled;
}
