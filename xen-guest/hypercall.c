// SPDX-License-Identifier: MIT
/* Hypercall bookkeeping: per-number counters, and the PVH way of getting a hypercall page. */
#include <pvkit/cpu.h>
#include <pvkit/errno.h>
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>

uint64_t xen_hypercall_count[XEN_HYPERCALL_MAX];

/* Xen's shared page (event channels, time, vcpu_info), wherever the start of day mapped it. */
shared_info_t *xen_shared_info;

int xen_pvh_hypercall_init(void)
{
	uint32_t base = x86_xen_cpuid_base(), pages, msr, c, d;

	if (!base)
		return -ENODEV;
	cpuid(base + 2, &pages, &msr, &c, &d);
	if (pages < 1)
		return -ENODEV;
	/* Xen writes the stubs into the page at this guest-physical address. */
	wrmsr(msr, kernel_virt_to_phys(hypercall_page));
	return 0;
}
