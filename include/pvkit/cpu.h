/* SPDX-License-Identifier: MIT */
/* CPU identification. */
#ifndef PVKIT_CPU_H
#define PVKIT_CPU_H

#include <pvkit/types.h>

/** The base of Xen's CPUID leaves (0x40000000 + n * 0x100), or 0 when not under Xen. */
uint32_t x86_xen_cpuid_base(void);

#endif /* PVKIT_CPU_H */
