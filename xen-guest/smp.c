// SPDX-License-Identifier: MIT
/*
 * Xen vCPUs (docs/smp.md): how many the domain has, found with VCPUOP_is_up (>= 0 for a vCPU
 * that exists, up or not; -ENOENT past the last). Used where they cannot be started: a PVH
 * domain without an emulated local APIC or MADT; they are counted and stay down. Xen PV
 * starts them: xen-guest/smp_pv.c.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/errno.h>
#include <pvkit/smp.h>
#include <pvkit/xen/hypercall.h>
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
