/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls through the hypercall page (32 bytes per hypercall number), x86-64 ABI: arguments
 * in RDI, RSI, RDX, R10, R8; result in RAX; RCX and R11 clobbered. The page is filled by the PV
 * domain builder (XEN_ELFNOTE_HYPERCALL_PAGE) or, for PVH, through the MSR CPUID names.
 * Every call is counted per number (xen_hypercall_count): here for the calls made from C, in
 * xen-guest/entry_pv.S for the iret jumps of the PV exception and upcall returns. Cheap, and
 * benchmarks and tests read it to prove batching works.
 */
#ifndef PVKIT_XEN_HYPERCALL_H
#define PVKIT_XEN_HYPERCALL_H

#include <pvkit/types.h>
#include <xen/xen.h>
#include <xen/sched.h>

#define XEN_HYPERCALL_MAX	64	/* hypercall numbers we count */

extern char hypercall_page[];
extern uint64_t xen_hypercall_count[XEN_HYPERCALL_MAX];

/** Print the counters: "pvkit: hypercalls total=N: name=count ...". */
void xen_hypercall_print(void);
/** The sum of the counters: every hypercall made since boot. */
uint64_t xen_hypercall_total(void);

static inline long xen_hypercall5(unsigned int op, unsigned long a1, unsigned long a2,
				  unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long rdi __asm__("rdi") = a1;
	register unsigned long rsi __asm__("rsi") = a2;
	register unsigned long rdx __asm__("rdx") = a3;
	register unsigned long r10 __asm__("r10") = a4;
	register unsigned long r8 __asm__("r8") = a5;
	long ret;

	if (op < XEN_HYPERCALL_MAX)
		xen_hypercall_count[op]++;
	__asm__ __volatile__("call *%[entry]"
			     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
			     : [entry] "r"(hypercall_page + op * 32)
			     : "rcx", "r11", "r9", "memory");
	return ret;
}

#define xen_hypercall1(op, a)		xen_hypercall5(op, (unsigned long)(a), 0, 0, 0, 0)
#define xen_hypercall2(op, a, b)	xen_hypercall5(op, (unsigned long)(a), (unsigned long)(b), 0, 0, 0)
#define xen_hypercall3(op, a, b, c)	\
	xen_hypercall5(op, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), 0, 0)
#define xen_hypercall4(op, a, b, c, d)	\
	xen_hypercall5(op, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), \
		       (unsigned long)(d), 0)

static inline int HYPERVISOR_console_io(int cmd, int count, const char *str)
{
	return xen_hypercall3(__HYPERVISOR_console_io, cmd, count, str);
}

static inline int HYPERVISOR_sched_op(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

static inline int HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

static inline int HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

static inline int HYPERVISOR_hvm_op(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_hvm_op, cmd, arg);
}

static inline int HYPERVISOR_xen_version(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

static inline int HYPERVISOR_set_trap_table(const void *table)
{
	return xen_hypercall1(__HYPERVISOR_set_trap_table, table);
}

static inline int HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	return xen_hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

static inline int HYPERVISOR_callback_op(int cmd, const void *arg)
{
	return xen_hypercall2(__HYPERVISOR_callback_op, cmd, arg);
}

static inline int HYPERVISOR_stack_switch(unsigned long ss, unsigned long sp)
{
	return xen_hypercall2(__HYPERVISOR_stack_switch, ss, sp);
}

static inline int HYPERVISOR_set_segment_base(int reg, unsigned long value)
{
	return xen_hypercall2(__HYPERVISOR_set_segment_base, reg, value);
}

static inline int HYPERVISOR_physdev_op(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_physdev_op, cmd, arg);
}

static inline int HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte,
					       unsigned long flags)
{
	return xen_hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

#endif /* PVKIT_XEN_HYPERCALL_H */
