// SPDX-License-Identifier: MIT
/*
 * Xen PV exceptions: a virtual IDT handed to HYPERVISOR_set_trap_table, whose entries point at
 * entry_pv.S. Every entry masks events on delivery (like an interrupt gate). #BP may be raised
 * by the kernel itself (int3 runs in ring 3 here), so its DPL lets everyone in.
 * CR2 is not readable in ring 3: Xen stores it in our vcpu_info, found in shared_info, which
 * we map over a page of our own with update_va_mapping.
 */
#include <pvkit/compiler.h>
#include <pvkit/printk.h>
#include <pvkit/traps.h>
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>

#define XEN_PV_TRAP(v, dpl) { v, (dpl) | 4, FLAT_KERNEL_CS, (unsigned long)xen_pv_trap_##v }

#define DECLARE_STUB(v) void xen_pv_trap_##v(void)
DECLARE_STUB(0); DECLARE_STUB(1); DECLARE_STUB(3); DECLARE_STUB(4); DECLARE_STUB(5);
DECLARE_STUB(6); DECLARE_STUB(7); DECLARE_STUB(8); DECLARE_STUB(10); DECLARE_STUB(11);
DECLARE_STUB(12); DECLARE_STUB(13); DECLARE_STUB(14); DECLARE_STUB(16); DECLARE_STUB(17);
DECLARE_STUB(18); DECLARE_STUB(19);

static const struct trap_info xen_pv_trap_table[] = {
	XEN_PV_TRAP(0, 0),  XEN_PV_TRAP(1, 0),  XEN_PV_TRAP(3, 3),  XEN_PV_TRAP(4, 3),
	XEN_PV_TRAP(5, 3),  XEN_PV_TRAP(6, 0),  XEN_PV_TRAP(7, 0),  XEN_PV_TRAP(8, 0),
	XEN_PV_TRAP(10, 0), XEN_PV_TRAP(11, 0), XEN_PV_TRAP(12, 0), XEN_PV_TRAP(13, 0),
	XEN_PV_TRAP(14, 0), XEN_PV_TRAP(16, 0), XEN_PV_TRAP(17, 0), XEN_PV_TRAP(18, 0),
	XEN_PV_TRAP(19, 0),
	{ 0, 0, 0, 0 },		/* sentinel: address 0 */
};

/* A page of our image that becomes the shared_info mapping. */
static uint8_t xen_pv_shared_info_page[PAGE_SIZE] __aligned(PAGE_SIZE);
shared_info_t *xen_shared_info;

static uint64_t xen_pv_read_cr2(void)
{
	return READ_ONCE(xen_shared_info->vcpu_info[0].arch.cr2);
}

static int xen_pv_map_shared_info(void)
{
	unsigned long va = (unsigned long)xen_pv_shared_info_page;
	uint64_t pte = xen_start_info.shared_info | PTE_P | PTE_W | PTE_A | PTE_D;
	int err;

	err = HYPERVISOR_update_va_mapping(va, pte, UVMF_INVLPG);
	if (err)
		return err;
	xen_shared_info = (shared_info_t *)va;
	return 0;
}

void xen_pv_traps_init(void)
{
	int err;

	err = xen_pv_map_shared_info();
	if (err)
		panic("xen-pv: cannot map shared_info: %d", err);
	trap_read_cr2 = xen_pv_read_cr2;
	err = HYPERVISOR_set_trap_table(xen_pv_trap_table);
	if (err)
		panic("xen-pv: set_trap_table failed: %d", err);
}
