/* SPDX-License-Identifier: MIT */
/**
 * @file
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

#define XEN_HYPERCALL_MAX	64	/**< hypercall numbers we count */

/** The hypercall page: one 32-byte stub per hypercall number, written by Xen. */
extern char hypercall_page[];
/** Hypercalls made since boot, by number (entry_pv.S adds its iret jumps itself). */
extern uint64_t xen_hypercall_count[XEN_HYPERCALL_MAX];

/** xen_hypercall_print() - print the counters: "pvkit: hypercalls total=N: name=count ...". */
void xen_hypercall_print(void);

/**
 * xen_hypercall_total() - the sum of the counters.
 * @return every hypercall made since boot.
 */
uint64_t xen_hypercall_total(void);

/**
 * xen_hypercall5() - make hypercall @p op with five arguments through its stub in the
 * hypercall page, and count it. The wrappers below give each hypercall its types.
 * @param op the hypercall number (__HYPERVISOR_*).
 * @param a1 first argument (RDI).
 * @param a2 second argument (RSI).
 * @param a3 third argument (RDX).
 * @param a4 fourth argument (R10).
 * @param a5 fifth argument (R8).
 * @return Xen's result: 0 or positive on success, -errno on failure.
 */
static inline long xen_hypercall5(unsigned int op, unsigned long a1, unsigned long a2,
				  unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long rdi __asm__("rdi") = a1;
	register unsigned long rsi __asm__("rsi") = a2;
	register unsigned long rdx __asm__("rdx") = a3;
	register unsigned long r10 __asm__("r10") = a4;
	register unsigned long r8 __asm__("r8") = a5;
	long ret;

	if (op < XEN_HYPERCALL_MAX)	/* atomic: every vCPU counts (docs/smp.md) */
		__atomic_fetch_add(&xen_hypercall_count[op], 1, __ATOMIC_RELAXED);
	__asm__ __volatile__("call *%[entry]"
			     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
			     : [entry] "r"(hypercall_page + op * 32)
			     : "rcx", "r11", "r9", "memory");
	return ret;
}

/** xen_hypercall5() with one argument. */
#define xen_hypercall1(op, a)		xen_hypercall5(op, (unsigned long)(a), 0, 0, 0, 0)
/** xen_hypercall5() with two arguments. */
#define xen_hypercall2(op, a, b)	xen_hypercall5(op, (unsigned long)(a), (unsigned long)(b), 0, 0, 0)
/** xen_hypercall5() with three arguments. */
#define xen_hypercall3(op, a, b, c)	\
	xen_hypercall5(op, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), 0, 0)
/** xen_hypercall5() with four arguments. */
#define xen_hypercall4(op, a, b, c, d)	\
	xen_hypercall5(op, (unsigned long)(a), (unsigned long)(b), (unsigned long)(c), \
		       (unsigned long)(d), 0)

/**
 * HYPERVISOR_console_io() - console_io: write to (or read from) Xen's own console. Release Xen
 * refuses it from a DomU; pvkit uses it only as a best-effort extra.
 * @param cmd   CONSOLEIO_write or CONSOLEIO_read.
 * @param count bytes.
 * @param str   the bytes.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_console_io(int cmd, int count, const char *str)
{
	return xen_hypercall3(__HYPERVISOR_console_io, cmd, count, str);
}

/**
 * HYPERVISOR_sched_op() - sched_op: yield, block, poll, shut down or suspend this domain.
 * @param cmd SCHEDOP_*.
 * @param arg the command's argument structure, or NULL.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_sched_op(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_sched_op, cmd, arg);
}

/**
 * HYPERVISOR_event_channel_op() - event_channel_op: allocate, bind, send on and close event
 * channels.
 * @param cmd EVTCHNOP_*.
 * @param arg the command's argument structure.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_event_channel_op, cmd, arg);
}

/**
 * HYPERVISOR_memory_op() - memory_op: the memory map, adding frames to the physical map, giving
 * frames back.
 * @param cmd XENMEM_*.
 * @param arg the command's argument structure.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_memory_op, cmd, arg);
}

/**
 * HYPERVISOR_hvm_op() - hvm_op: HVM parameters (PVH: console, xenstore, the callback vector).
 * @param cmd HVMOP_*.
 * @param arg the command's argument structure.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_hvm_op(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_hvm_op, cmd, arg);
}

/**
 * HYPERVISOR_xen_version() - xen_version: Xen's version and features; also the cheapest
 * hypercall, used to have a pending event delivered (xen_pv_force_upcall()).
 * @param cmd XENVER_*.
 * @param arg the command's result buffer, or NULL.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_xen_version(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_xen_version, cmd, arg);
}

/**
 * HYPERVISOR_set_trap_table() - set_trap_table: PV: register the exception handlers (PV has no
 * IDT of its own).
 * @param table an array of trap_info, ended by an entry with address 0.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_set_trap_table(const void *table)
{
	return xen_hypercall1(__HYPERVISOR_set_trap_table, table);
}

/**
 * HYPERVISOR_vcpu_op() - vcpu_op: per-vCPU operations (the one-shot and periodic timers,
 * vcpu_info placement).
 * @param cmd  VCPUOP_*.
 * @param vcpu the vCPU (0: pvkit runs on one).
 * @param arg  the command's argument structure, or NULL.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	return xen_hypercall3(__HYPERVISOR_vcpu_op, cmd, vcpu, arg);
}

/**
 * HYPERVISOR_callback_op() - callback_op: PV: register the event upcall, failsafe and syscall
 * entry points.
 * @param cmd CALLBACKOP_*.
 * @param arg the callback_register structure.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_callback_op(int cmd, const void *arg)
{
	return xen_hypercall2(__HYPERVISOR_callback_op, cmd, arg);
}

/**
 * HYPERVISOR_stack_switch() - stack_switch: PV: the kernel stack Xen switches to on an
 * exception or event (the TSS's rsp0 natively).
 * @param ss the stack segment.
 * @param sp the stack top.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_stack_switch(unsigned long ss, unsigned long sp)
{
	return xen_hypercall2(__HYPERVISOR_stack_switch, ss, sp);
}

/**
 * HYPERVISOR_set_segment_base() - set_segment_base: PV: the FS or GS base (the MSRs natively).
 * @param reg   SEGBASE_*.
 * @param value the base.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_set_segment_base(int reg, unsigned long value)
{
	return xen_hypercall2(__HYPERVISOR_set_segment_base, reg, value);
}

/**
 * HYPERVISOR_physdev_op() - physdev_op: physical-device operations (for a PV guest, e.g. I/O
 * privilege level).
 * @param cmd PHYSDEVOP_*.
 * @param arg the command's argument structure.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_physdev_op(int cmd, void *arg)
{
	return xen_hypercall2(__HYPERVISOR_physdev_op, cmd, arg);
}

/**
 * HYPERVISOR_update_va_mapping() - update_va_mapping: PV: write the page-table entry that maps
 * @p va (page tables are read-only to a PV guest), with a TLB flush if asked.
 * @param va    the virtual address.
 * @param pte   the new entry, with a machine frame.
 * @param flags UVMF_* flush flags.
 * @return 0 (or a positive result) on success, -errno on failure.
 */
static inline int HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte,
					       unsigned long flags)
{
	return xen_hypercall3(__HYPERVISOR_update_va_mapping, va, pte, flags);
}

#endif /* PVKIT_XEN_HYPERCALL_H */
