// SPDX-License-Identifier: MIT
/*
 * Xen vCPUs (docs/smp.md): how many the domain has, found with VCPUOP_is_up (>= 0 for a vCPU
 * that exists, up or not; -ENOENT past the last). Used where they cannot be started: a PVH
 * domain without an emulated local APIC or MADT; they are counted and stay down. Xen PV
 * starts them: xen-guest/smp_pv.c.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/smp.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/xen.h>
#include <pvkit/xen/smp.h>
#include <pvkit/xen/xenstore.h>
#include <string.h>
#include <xen/vcpu.h>

int xen_smp_count(const struct boot_info *bi, unsigned int *cpus);
int xen_smp_count(const struct boot_info *bi, unsigned int *cpus)
{
	unsigned int n = 0;
	int rc = 0;

	while (n < SMP_MAX_CPUS && (rc = HYPERVISOR_vcpu_op(VCPUOP_is_up, n, NULL)) >= 0)
		n++;
	*cpus = n ? n : 1;
	if (!n)
		return rc;			/* not even vCPU 0: the call itself is refused */
	return 0;
}

/*
 * vCPU hot-plug (xl vcpu-set, docs/smp.md "Hot-plug"), PVH and PV alike: the toolstack writes
 * cpu/<n>/availability = "online" or "offline"; the watch follows it for every vCPU we brought
 * up. Going offline, the vCPU parks itself with VCPUOP_down (synchronous when a vCPU downs
 * itself: it stops right there); VCPUOP_up from CPU 0 makes it run on from that call.
 */
static int xen_smp_park(struct percpu *pc)
{
	return HYPERVISOR_vcpu_op(VCPUOP_down, pc->vcpu_id, NULL);
}

static int xen_smp_unpark(struct percpu *pc)
{
#ifdef CONFIG_XEN_PV
	if (xen_pv_smp_needs_start(pc))
		return xen_pv_smp_restart(pc);
#endif
	return HYPERVISOR_vcpu_op(VCPUOP_up, pc->vcpu_id, NULL);
}

static void xen_smp_availability(struct xs_watch *w, const char *path)
{
	for (unsigned int cpu = 1; cpu < smp_cpus(); cpu++) {
		const struct percpu *pc = &smp_percpu[cpu];
		char node[32], val[16];
		size_t len;
		int err;

		snprintf(node, sizeof(node), "cpu/%u/availability", pc->vcpu_id);
		err = xs_read(XS_TXN_NONE, node, val, sizeof(val), &len);
		if (err == -E2BIG)
			printk("pvkit: smp: %s: longer than online or offline (ignored)\n", node);
		if (err)
			continue;		/* not written (yet), or not ours: leave it as it is */
		if (!strcmp(val, "offline") && pc->online)
			err = smp_cpu_down(cpu);
		else if (!strcmp(val, "online") && !pc->online && pc->parked)
			err = smp_cpu_up(cpu);
		else if (strcmp(val, "online") && strcmp(val, "offline"))
			printk("pvkit: smp: %s = \"%s\": neither online nor offline (ignored)\n",
			       node, val);
		if (err && err != -EALREADY)
			printk("pvkit: smp: %s: cpu %u: -%s\n", val, cpu, strerror_name(-err));
	}
}

static struct xs_watch xen_smp_watch = { .path = "cpu", .cb = xen_smp_availability };

int xen_smp_hotplug_init(void)
{
	if (smp_online() < 2)
		return 0;			/* nothing started: nothing to take down */
	smp_set_park_ops(xen_smp_park, xen_smp_unpark);
	return xs_watch(&xen_smp_watch);
}
