// SPDX-License-Identifier: MIT
/*
 * Xen PVH start of day, called from the native door once CPUID has shown Xen underneath: the
 * hypercall page (through the MSR CPUID names) before anything else, and a memory map from
 * XENMEM_memory_map when the hvm_start_info carried none (version 0).
 */
#include <pvkit/bootinfo.h>
#include <pvkit/errno.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/xen.h>
#include <xen/memory.h>

/* The e820 layout XENMEM_memory_map returns. */
struct xen_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} __packed;

static uint32_t e820_type(uint32_t type)
{
	switch (type) {
	case 1: return BOOT_MEM_RAM;
	case 3: return BOOT_MEM_ACPI;
	case 4: return BOOT_MEM_NVS;
	case 5: return BOOT_MEM_BAD;
	}
	return BOOT_MEM_RESERVED;
}

int xen_pvh_memory_map(struct boot_info *bi)
{
	static struct xen_e820_entry map[BOOT_MEM_MAX];
	struct xen_memory_map mm = { .nr_entries = BOOT_MEM_MAX };
	int err;

	set_xen_guest_handle(mm.buffer, map);
	err = HYPERVISOR_memory_op(XENMEM_memory_map, &mm);
	if (err) {
		bi->diag.what = "XENMEM_memory_map failed";
		bi->diag.where = (uint64_t)(long)err;
		return err;
	}
	if (mm.nr_entries == 0 || mm.nr_entries > BOOT_MEM_MAX) {	/* never trust a count */
		bi->diag.what = "XENMEM_memory_map returned a bad entry count";
		bi->diag.where = mm.nr_entries;
		return -EINVAL;
	}
	for (uint32_t i = 0; i < mm.nr_entries; i++) {
		err = boot_mem_add(bi, map[i].addr, map[i].size, e820_type(map[i].type));
		if (err)
			return err;
	}
	return 0;
}
