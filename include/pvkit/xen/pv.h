/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Xen PV guest state set up at start of day (xen-guest/start_pv.c), and the PV-only
 * services of the Xen layer: the event upcall, shared_info, the physical-to-machine frame
 * translation, the MMU statistics.
 */
#ifndef PVKIT_XEN_PV_H
#define PVKIT_XEN_PV_H

#include <pvkit/smp.h>
#include <pvkit/types.h>
#include <xen/xen.h>

/** Our copy of the domain builder's start_info (valid after the PV entry). */
extern start_info_t xen_start_info;

/**
 * shared_info, mapped at start of day (PV: over a page of our image; PVH: added to our
 * physical map). Valid once the early boot has mapped it.
 */
extern shared_info_t *xen_shared_info;

/** vCPU 0's vcpu_info where it is registered (xen-guest/vcpu_info.c); NULL: its shared_info
 * slot. The event upcall reads it: vCPU 0 takes every event. */
extern struct vcpu_info *xen_vcpu0;

/**
 * xen_vcpu0_info() - vCPU 0's vcpu_info as Xen uses it now: the registered one, else its slot
 * in shared_info.
 * @return it.
 */
static inline struct vcpu_info *xen_vcpu0_info(void)
{
	struct vcpu_info *v = READ_ONCE(xen_vcpu0);

	return v ? v : &READ_ONCE(xen_shared_info)->vcpu_info[0];
}

/**
 * xen_pv_set_shared_info() - PV: make @p s the shared_info every CPU reads: xen_shared_info,
 * and each CPU's own vcpu_info pointer (percpu.vcpu_info = &s->vcpu_info[its vCPU id]), which
 * the interrupt flag, CR2 and the clock of that CPU go through. Without
 * VCPUOP_register_vcpu_info only vCPUs below XEN_LEGACY_MAX_VCPUS (32) have one there.
 * @param s the mapped shared_info, or the stand-in across a suspend.
 */
void xen_pv_set_shared_info(shared_info_t *s);

/**
 * xen_pv_this_vcpu() - PV: the vcpu_info of the vCPU we run on (through the GS base, which
 * the PV start sets before anything reads it; docs/smp.md "Xen PV").
 * @return it.
 */
static inline struct vcpu_info *xen_pv_this_vcpu(void)
{
	struct vcpu_info *v;

	__asm__ __volatile__("movq %%gs:%c1, %0" : "=r"(v) : "i"(PERCPU_VCPU_INFO_OFF));
	return v;
}

/**
 * xen_pv_force_upcall() - PV: an event is pending and we just unmasked: have Xen deliver it
 * now (any hypercall returns through Xen's event check). Called by xen_pv_irq_enable and by
 * the patched restore_fl / irq_enable sites (paravirt/patch.c).
 */
void xen_pv_force_upcall(void);

/**
 * xen_pv_failsafe_count() - PV: failsafe callbacks taken since boot (Xen could not return to
 * us; irq_pv.c).
 * @return the count.
 */
uint64_t xen_pv_failsafe_count(void);

/**
 * xen_pv_map_shared_info() - PV: (re)map shared_info at its page in our image (again after a
 * page-table switch, and after a suspend).
 * @return 0 or the -errno of the update_va_mapping hypercall.
 */
int xen_pv_map_shared_info(void);

/**
 * xen_pv_unmap_shared_info() - PV: before a suspend: shared_info no longer mapped
 * (xen_shared_info points at a stand-in whose event mask is set), our own frame back at its
 * address. xen_pv_map_shared_info() maps it again (the same MFN after a cancelled suspend,
 * start_info's new one after a restore).
 * @return 0 or the -errno of the update_va_mapping hypercall.
 */
int xen_pv_unmap_shared_info(void);

/**
 * xen_pv_trap_table() - PV: the trap table the boot vCPU gave set_trap_table (its IDT's
 * exception gates), terminated by an entry whose address is 0.
 * @return it (empty before the first load_idt).
 */
const struct trap_info *xen_pv_trap_table(void);

/**
 * xen_pv_mfn_to_pfn() - the pseudo-physical frame of a machine frame: Xen's machine-to-phys
 * table, confirmed by our p2m list (the m2p is Xen's, an MFN may be anyone's).
 * @param mfn the machine frame.
 * @return the pseudo-physical frame, or ~0ul if it is not ours.
 */
unsigned long xen_pv_mfn_to_pfn(unsigned long mfn);

/**
 * xen_pv_pfn_to_mfn() - the machine frame of one of our pseudo-physical frames (from the
 * p2m list). A frame that is not ours is a bug of the caller.
 * @param pfn the pseudo-physical frame, below start_info's nr_pages.
 * @return the machine frame.
 */
unsigned long xen_pv_pfn_to_mfn(unsigned long pfn);

/**
 * xen_pv_mmu_init() - take over the domain builder's page tables as the current ones (before
 * mm_init).
 */
void xen_pv_mmu_init(void);

/**
 * xen_pv_mmu_stats() - how well page-table updates are batched.
 * @param ops     receives the MMU operations queued or issued since boot.
 * @param flushes receives the hypercalls (or multicalls) that issued them.
 */
void xen_pv_mmu_stats(uint64_t *ops, uint64_t *flushes);

/**
 * xen_pv_pfn_to_virt() - kernel virtual address of pseudo-physical frame @p pfn in the
 * builder's initial mapping.
 * @param pfn the frame.
 * @return its address.
 */
static inline void *xen_pv_pfn_to_virt(unsigned long pfn)
{
	return (void *)(0xffffffff80000000ul + (pfn << 12));
}

#endif /* PVKIT_XEN_PV_H */
