/* SPDX-License-Identifier: MIT */
/* Xen PV guest state set up at start of day (xen-guest/start_pv.c). */
#ifndef PVKIT_XEN_PV_H
#define PVKIT_XEN_PV_H

#include <pvkit/types.h>
#include <xen/xen.h>

/** Our copy of the domain builder's start_info (valid after the PV entry). */
extern start_info_t xen_start_info;

/** shared_info, mapped at start of day (PV: over a page of our image; PVH: added to our
 * physical map). Valid once the early boot has mapped it. */
extern shared_info_t *xen_shared_info;

/** PV: an event is pending and we just unmasked: have Xen deliver it now (any hypercall
 * returns through Xen's event check). Called by xen_pv_irq_enable and by the patched
 * restore_fl / irq_enable sites (paravirt/patch.c). */
void xen_pv_force_upcall(void);

/** PV: failsafe callbacks taken since boot (Xen could not return to us; irq_pv.c). */
uint64_t xen_pv_failsafe_count(void);

/** PV: (re)map shared_info at its page in our image (again after a page-table switch). */
int xen_pv_map_shared_info(void);

/** PV: before a suspend: shared_info no longer mapped (xen_shared_info points at a stand-in
 * whose event mask is set), our own frame back at its address. xen_pv_map_shared_info() maps
 * it again (the same MFN after a cancelled suspend, start_info's new one after a restore). */
int xen_pv_unmap_shared_info(void);

/** The pseudo-physical frame of machine frame @mfn, or ~0ul if it is not ours. */
unsigned long xen_pv_mfn_to_pfn(unsigned long mfn);

/** The machine frame of our pseudo-physical frame @pfn (from the p2m list). */
unsigned long xen_pv_pfn_to_mfn(unsigned long pfn);

/** Take over the domain builder's page tables as the current ones (before mm_init). */
void xen_pv_mmu_init(void);

/** MMU operations queued or issued since boot, and the hypercalls that issued them. */
void xen_pv_mmu_stats(uint64_t *ops, uint64_t *flushes);

/** Kernel virtual address of pseudo-physical frame @pfn in the builder's initial mapping. */
static inline void *xen_pv_pfn_to_virt(unsigned long pfn)
{
	return (void *)(0xffffffff80000000ul + (pfn << 12));
}

#endif /* PVKIT_XEN_PV_H */
