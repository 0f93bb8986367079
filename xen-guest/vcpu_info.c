// SPDX-License-Identifier: MIT
/*
 * Every vCPU's vcpu_info in memory of ours, registered with VCPUOP_register_vcpu_info
 * (docs/smp.md "vcpu_info"). shared_info holds a vcpu_info for the first 32 vCPUs only
 * (XEN_LEGACY_MAX_VCPUS): past that a vCPU has none until it registers one, and a registered
 * one is the vCPU's own cache line rather than a slot in the page every vCPU and Xen write.
 * The areas are one 64-byte-aligned array (never across a page boundary, as Xen requires).
 *
 * When Xen takes a registration it copies the old vcpu_info (event mask, pending selector)
 * into the new place and from then on reads and writes only the new one; a CPU's pointer
 * (percpu.vcpu_info, %gs:8: the PV interrupt flag, CR2, the clock) must move with it, with
 * its events masked across the move. Who registers: CPU 0 for itself at boot; an AP under PV
 * is registered by CPU 0 while it is still down (Xen allows another vCPU only while it is
 * down), before VCPUOP_up, so even one past 32 has a vcpu_info from its first instruction; an
 * AP under PVH registers itself in a cross-call once it runs.
 *
 * A registration lasts as long as the domain: a cancelled suspend keeps it; a new domain
 * (restore, migration) has none. Then xen_vcpu_info_lost() forgets them (the pointers go back
 * to the shared_info slots the resume maps) and each vCPU registers again.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/vcpu_info.h>
#include <pvkit/xen/xen.h>
#include <xen/vcpu.h>

static struct vcpu_info xen_vcpu_infos[SMP_MAX_CPUS] __aligned(64);
static bool xen_vcpu_info_on[SMP_MAX_CPUS];	/* registered in this domain */
struct vcpu_info *xen_vcpu0;			/* xen_vcpu0_info(): NULL = the slot */

BUILD_BUG_ON(sizeof(struct vcpu_info) != 64);

bool xen_vcpu_info_registered(unsigned int cpu)
{
	return cpu < SMP_MAX_CPUS && READ_ONCE(xen_vcpu_info_on[cpu]);
}

/* Register @pc's area with Xen; the caller has @pc's events masked (or @pc is down). */
static int xen_vcpu_info_map(struct percpu *pc)
{
	struct vcpu_info *vi = &xen_vcpu_infos[pc->cpu];
	uint64_t pa = kernel_virt_to_phys(vi);
	struct vcpu_register_vcpu_info r = {
		.mfn = pa >> PAGE_SHIFT,
		.offset = (uint32_t)(pa & (PAGE_SIZE - 1)),
	};
	int err;

#ifdef CONFIG_XEN_PV
	if (boot_info.env == BOOT_XEN_PV)	/* PV names machine frames; PVH its own */
		r.mfn = xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT);
#endif
	err = HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, pc->vcpu_id, &r);
	if (err)
		return err;
	WRITE_ONCE(xen_vcpu_info_on[pc->cpu], true);
	WRITE_ONCE(pc->vcpu_info, vi);		/* Xen uses only this one from now on */
	if (pc->cpu == 0)
		WRITE_ONCE(xen_vcpu0, vi);
	return 0;
}

int xen_vcpu_info_register_self(void)
{
	struct percpu *pc = smp_this();
	unsigned long fl;
	int err;

	if (xen_vcpu_info_registered(pc->cpu))
		return -EALREADY;
	fl = pv_irq_save();		/* PV: the mask Xen copies is set; restored in the new place */
	err = xen_vcpu_info_map(pc);
	pv_irq_restore(fl);
	return err;
}

int xen_vcpu_info_register_down(struct percpu *pc)
{
	if (xen_vcpu_info_registered(pc->cpu))
		return -EALREADY;
	return xen_vcpu_info_map(pc);
}

static void xen_vcpu_info_self_call(void *arg)
{
	int *err = arg;

	*err = xen_vcpu_info_register_self();
}

int xen_vcpu_info_register_online(void)
{
	unsigned int n = smp_cpus(), done = 0, tried = 0;
	int first = 0, err;

	for (unsigned int cpu = 0; cpu < n; cpu++) {
		if (!smp_percpu[cpu].online || xen_vcpu_info_registered(cpu))
			continue;
		tried++;
		if (cpu == smp_processor_id()) {
			err = xen_vcpu_info_register_self();
		} else {
			int call = smp_call_on(cpu, xen_vcpu_info_self_call, &err);

			if (call)
				err = call;
		}
		if (err) {
			printk("pvkit: xen: vcpu %u: VCPUOP_register_vcpu_info: -%s (stays in "
			       "shared_info)\n", smp_percpu[cpu].vcpu_id, strerror_name(-err));
			if (!first)
				first = err;
			continue;
		}
		done++;
	}
	if (tried)
		printk("pvkit: xen: vcpu_info registered for %u of %u online vCPUs\n", done, tried);
	return first;
}

int xen_vcpu_info_init(const struct boot_info *bi)
{
	return xen_vcpu_info_register_online();
}

void xen_vcpu_info_lost(void)
{
	for (unsigned int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
		WRITE_ONCE(xen_vcpu_info_on[cpu], false);
	WRITE_ONCE(xen_vcpu0, NULL);
	/* The pointers: PV maps shared_info next and points each CPU at its slot
	 * (xen_pv_set_shared_info); under PVH the slot is found when there is none. */
	if (boot_info.env != BOOT_XEN_PV)
		for (unsigned int cpu = 0; cpu < SMP_MAX_CPUS; cpu++)
			WRITE_ONCE(smp_percpu[cpu].vcpu_info, NULL);
}
