/* SPDX-License-Identifier: MIT */
/* Xen PV guest state set up at start of day (xen-guest/start_pv.c). */
#ifndef PVKIT_XEN_PV_H
#define PVKIT_XEN_PV_H

#include <pvkit/types.h>
#include <xen/xen.h>

/** Our copy of the domain builder's start_info (valid after the PV entry). */
extern start_info_t xen_start_info;

/** shared_info, mapped at start of day (Xen PV: over a page of our image). */
extern shared_info_t *xen_shared_info;

/** The pseudo-physical frame of machine frame @mfn, or ~0ul if it is not ours. */
unsigned long xen_pv_mfn_to_pfn(unsigned long mfn);

/** Kernel virtual address of pseudo-physical frame @pfn in the builder's initial mapping. */
static inline void *xen_pv_pfn_to_virt(unsigned long pfn)
{
	return (void *)(0xffffffff80000000ul + (pfn << 12));
}

#endif /* PVKIT_XEN_PV_H */
