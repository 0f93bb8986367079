// SPDX-License-Identifier: MIT
/* CPU identification: is there a Xen underneath (CPUID hypervisor leaves)? */
#include <pvkit/cpu.h>
#include <pvkit/x86.h>

/* "XenVMMXenVMM" in EBX, ECX, EDX. */
#define XEN_SIG_EBX	0x566e6558
#define XEN_SIG_ECX	0x65584d4d
#define XEN_SIG_EDX	0x4d4d566e

uint32_t x86_xen_cpuid_base(void)
{
	uint32_t a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 31)))		/* no hypervisor present bit */
		return 0;
	/* Xen moves its leaves up by 0x100 steps when it also offers Viridian (Hyper-V) ones. */
	for (uint32_t base = 0x40000000; base < 0x40010000; base += 0x100) {
		cpuid(base, &a, &b, &c, &d);
		if (b == XEN_SIG_EBX && c == XEN_SIG_ECX && d == XEN_SIG_EDX && a - base >= 2)
			return base;
	}
	return 0;
}
