// SPDX-License-Identifier: MIT
/*
 * Xen PV start of day: C side of head_xen_pv.S. The domain builder's start_info becomes a
 * struct boot_info: pseudo-physical RAM [0, nr_pages), the command line (its NUL checked),
 * the start_info itself kept for the console, xenstore and the p2m list.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/smp.h>
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/vcpu_info.h>
#include <string.h>
#include <xen/xen.h>

start_info_t xen_start_info;	/* our copy: the builder's page is not looked at twice */

/* A page of our image that becomes the shared_info mapping (update_va_mapping). */
static uint8_t xen_pv_shared_info_page[PAGE_SIZE] __aligned(PAGE_SIZE);

BUILD_BUG_ON(offsetof(struct percpu, vcpu_info) != PERCPU_VCPU_INFO_OFF);

/* Every CPU described (online or not: an AP being started reads its own at once). Its vCPU
 * id is apic_id under Xen PV. One with its vcpu_info registered keeps it (our memory, whatever
 * shared_info does: xen-guest/vcpu_info.c); past the legacy array an unregistered one has
 * none, and is never started. */
void xen_pv_set_shared_info(shared_info_t *s)
{
	unsigned int n = smp_cpus();

	for (unsigned int cpu = 0; cpu < n && cpu < SMP_MAX_CPUS; cpu++) {
		uint32_t id = smp_percpu[cpu].apic_id;

		if (xen_vcpu_info_registered(cpu))
			continue;
		WRITE_ONCE(smp_percpu[cpu].vcpu_info,
			   id < XEN_LEGACY_MAX_VCPUS ? &s->vcpu_info[id] : NULL);
	}
	WRITE_ONCE(xen_shared_info, s);
}

int xen_pv_map_shared_info(void)
{
	unsigned long va = (unsigned long)xen_pv_shared_info_page;
	uint64_t pte = xen_start_info.shared_info | PTE_P | PTE_W | PTE_A | PTE_D;
	int err;

	err = HYPERVISOR_update_va_mapping(va, pte, UVMF_INVLPG);
	if (err)
		return err;
	xen_pv_set_shared_info((shared_info_t *)va);
	return 0;
}

/*
 * Stand-in while no shared_info is mapped (across a suspend): the save code refuses a page
 * table entry that maps a frame outside our p2m ("Bad mfn for L1"), and Xen's shared_info page
 * is one. Interrupt-flag and time reads go here meanwhile; its event mask stays set.
 */
static shared_info_t xen_pv_dummy_shared_info __aligned(PAGE_SIZE);

int xen_pv_unmap_shared_info(void)
{
	unsigned long va = (unsigned long)xen_pv_shared_info_page;
	unsigned long pfn = kernel_virt_to_phys(xen_pv_shared_info_page) >> PAGE_SHIFT;
	uint64_t pte = ((uint64_t)xen_pv_pfn_to_mfn(pfn) << PAGE_SHIFT) | PTE_P | PTE_W | PTE_A |
		       PTE_D;

	memcpy(&xen_pv_dummy_shared_info, xen_shared_info, sizeof(xen_pv_dummy_shared_info));
	for (unsigned int i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
		xen_pv_dummy_shared_info.vcpu_info[i].evtchn_upcall_mask = 1;
	xen_pv_set_shared_info(&xen_pv_dummy_shared_info);
	/* Our own image frame back under the address: an ordinary page of ours again. */
	return HYPERVISOR_update_va_mapping(va, pte, UVMF_INVLPG);
}

static int xen_pv_parse(struct boot_info *bi, const start_info_t *si)
{
	size_t n;

	memcpy(&xen_start_info, si, sizeof(xen_start_info));
	si = &xen_start_info;
	if (strncmp(si->magic, "xen-3.0-x86_64", 14)) {
		bi->diag.what = "start_info magic is not xen-3.0-x86_64";
		bi->diag.where = 0;
		return -EINVAL;
	}
	n = strnlen((const char *)si->cmd_line, sizeof(si->cmd_line));
	if (n == sizeof(si->cmd_line)) {
		bi->diag.what = "command line without its NUL";
		bi->diag.where = n;
		return -EINVAL;
	}
	memcpy(bi->cmdline, si->cmd_line, n + 1);
	if (si->nr_pages == 0 || si->nr_pages > (1ul << (52 - PAGE_SHIFT))) {
		bi->diag.what = "start_info nr_pages out of range";
		bi->diag.where = si->nr_pages;
		return -EINVAL;
	}
	/* A PV guest's pseudo-physical space is plain RAM from 0 to nr_pages. */
	return boot_mem_add(bi, 0, (uint64_t)si->nr_pages << PAGE_SHIFT, BOOT_MEM_RAM);
}

__noreturn void xen_pv_entry_c(const start_info_t *si);

__noreturn void xen_pv_entry_c(const start_info_t *si)
{
	struct boot_info *bi = &boot_info;
	int err;

	/* CPU 0's area through the GS base before anything reads the interrupt flag: under PV
	 * that is this vCPU's vcpu_info, found through %gs (xen_pv_this_vcpu). */
	smp_percpu[0].self = &smp_percpu[0];
	HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (uintptr_t)&smp_percpu[0]);
	boot_info_init(bi, BOOT_ENTRY_XEN_PV);
	bi->env = BOOT_XEN_PV;
	bi->xen_start_info = &xen_start_info;
	bi->start_info_pa = (uintptr_t)si - KERNEL_VIRT_BASE;
	err = xen_pv_parse(bi, si);
	if (!err)
		err = boot_info_finish(bi);
	xen_pv_mmu_init();
	if (!err && xen_pv_map_shared_info()) {	/* vcpu_info: CR2, event mask, time */
		bi->diag.what = "cannot map shared_info";
		bi->diag.where = xen_start_info.shared_info;
		err = -EFAULT;
	}
	bi->error = err;
	start_kernel(bi);
}

unsigned long xen_pv_mfn_to_pfn(unsigned long mfn)
{
	/* Xen's read-only machine-to-phys table, then the p2m list to confirm the frame is ours. */
	const unsigned long *m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
	const unsigned long *p2m = (const unsigned long *)xen_start_info.mfn_list;
	unsigned long pfn;

	if (mfn >= MACH2PHYS_NR_ENTRIES)
		return ~0ul;
	pfn = m2p[mfn];
	if (pfn >= xen_start_info.nr_pages || p2m[pfn] != mfn)
		return ~0ul;
	return pfn;
}
