// SPDX-License-Identifier: MIT
/* Hypercall bookkeeping: per-number counters, and the PVH way of getting a hypercall page. */
#include <pvkit/compiler.h>
#include <pvkit/cpu.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>

uint64_t xen_hypercall_count[XEN_HYPERCALL_MAX];
/* entry_pv.S counts its iret jumps here itself: 8 bytes a counter, iret's slot inside. */
BUILD_BUG_ON(sizeof(xen_hypercall_count[0]) != 8);
BUILD_BUG_ON(__HYPERVISOR_iret >= XEN_HYPERCALL_MAX);

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

static const char *const xen_hypercall_names[XEN_HYPERCALL_MAX] = {
	[__HYPERVISOR_set_trap_table] = "set_trap_table", [__HYPERVISOR_mmu_update] = "mmu_update",
	[__HYPERVISOR_stack_switch] = "stack_switch", [__HYPERVISOR_memory_op] = "memory_op",
	[__HYPERVISOR_multicall] = "multicall",
	[__HYPERVISOR_update_va_mapping] = "update_va_mapping",
	[__HYPERVISOR_xen_version] = "xen_version", [__HYPERVISOR_console_io] = "console_io",
	[__HYPERVISOR_grant_table_op] = "grant_table_op", [__HYPERVISOR_vcpu_op] = "vcpu_op",
	[__HYPERVISOR_set_segment_base] = "set_segment_base",
	[__HYPERVISOR_mmuext_op] = "mmuext_op", [__HYPERVISOR_sched_op] = "sched_op",
	[__HYPERVISOR_callback_op] = "callback_op",
	[__HYPERVISOR_event_channel_op] = "event_channel_op",
	[__HYPERVISOR_physdev_op] = "physdev_op", [__HYPERVISOR_hvm_op] = "hvm_op",
	[__HYPERVISOR_iret] = "iret", [__HYPERVISOR_fpu_taskswitch] = "fpu_taskswitch",
};

uint64_t xen_hypercall_total(void)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < XEN_HYPERCALL_MAX; i++)
		total += READ_ONCE(xen_hypercall_count[i]);
	return total;
}

void xen_hypercall_print(void)
{
	char line[PRINTK_LINE_MAX];
	size_t n = 0;
	uint64_t total = 0;

	for (unsigned int i = 0; i < XEN_HYPERCALL_MAX; i++) {
		int w;

		if (!xen_hypercall_count[i])
			continue;
		total += xen_hypercall_count[i];
		if (xen_hypercall_names[i])
			w = snprintf(line + n, sizeof(line) - n, " %s=%lu", xen_hypercall_names[i],
				     xen_hypercall_count[i]);
		else
			w = snprintf(line + n, sizeof(line) - n, " #%u=%lu", i,
				     xen_hypercall_count[i]);
		if (w < 0 || (size_t)w >= sizeof(line) - n)
			break;
		n += w;
	}
	line[n] = '\0';
	printk("pvkit: hypercalls total=%lu:%s\n", total, line);
}
