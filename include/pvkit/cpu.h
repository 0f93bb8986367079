/* SPDX-License-Identifier: MIT */
/**
 * @file
 * CPU identification: is there a Xen underneath? The native entry point asks it to tell a
 * PVH boot from a bare-metal one, the Xen layer to find its hypercall page MSR.
 */
#ifndef PVKIT_CPU_H
#define PVKIT_CPU_H

#include <pvkit/types.h>

/**
 * x86_xen_cpuid_base() - find Xen's CPUID leaves. They start at 0x40000000 + n * 0x100: Xen
 * moves them up when it also offers Viridian (Hyper-V) leaves, so every base is tried.
 * @return the base leaf ("XenVMMXenVMM" there, with at least two leaves after it), or 0 when
 *         not under Xen (no hypervisor bit in CPUID 1, or no Xen signature).
 */
uint32_t x86_xen_cpuid_base(void);

#endif /* PVKIT_CPU_H */
