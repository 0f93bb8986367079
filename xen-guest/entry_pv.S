/* SPDX-License-Identifier: MIT */
/*
 * Xen PV exception entry. Xen bounces an exception to the guest kernel stack as the hardware
 * frame (error code where the CPU has one, RIP, CS, RFLAGS, RSP, SS) with RCX and R11 pushed on
 * top. We pop those two, then build the same struct trap_frame as native entry and share
 * trap_handle(). Return is the iret hypercall: a ring-3 kernel cannot iretq to itself, so we
 * push the flags word and jump (not call) to the iret stub of the hypercall page, which pushes
 * RCX, R11, RAX to complete struct iret_context. Each such jump is counted like any hypercall.
 */
#include <pvkit/asm.h>
#include <xen/xen.h>

/*
 * Jump (not call) into the hypercall page for hypercall \nr, counted in
 * xen_hypercall_count[\nr] (xen-guest/hypercall.c, 8 bytes a counter) as xen_hypercall5()
 * counts the calls made from C. One locked increment of memory: no register and no stack slot
 * is touched (here they hold the iret frame), only the flags, which the iret takes from the
 * frame; and an upcall cannot tear it.
 */
.macro XEN_HYPERCALL_JMP nr
	lock incq xen_hypercall_count + \nr * 8(%rip)
	jmp	hypercall_page + \nr * 32
.endm

.macro XEN_PV_STUB v, err
	.p2align 4
ENTRY(xen_pv_trap_\v)
	popq	%rcx
	popq	%r11
	.ifeq \err
	pushq	$0
	.endif
	pushq	$\v
	jmp	xen_pv_trap_common
END(xen_pv_trap_\v)
.endm

	.text
	/* The architectural exceptions we route (those Xen can deliver to a PV guest). */
	XEN_PV_STUB 0,0;  XEN_PV_STUB 1,0;  XEN_PV_STUB 3,0;  XEN_PV_STUB 4,0
	XEN_PV_STUB 5,0;  XEN_PV_STUB 6,0;  XEN_PV_STUB 7,0;  XEN_PV_STUB 8,1
	XEN_PV_STUB 10,1; XEN_PV_STUB 11,1; XEN_PV_STUB 12,1; XEN_PV_STUB 13,1
	XEN_PV_STUB 14,1; XEN_PV_STUB 16,0; XEN_PV_STUB 17,1; XEN_PV_STUB 18,0
	XEN_PV_STUB 19,0

	.p2align 4
ENTRY(xen_pv_trap_common)
	SAVE_GPRS
	cld
	movq	%rsp, %rdi
	call	trap_handle
	RESTORE_GPRS
	addq	$16, %rsp		/* vector, error code */
	pushq	$0			/* iret_context.flags: not returning from a syscall */
	XEN_HYPERCALL_JMP __HYPERVISOR_iret
END(xen_pv_trap_common)

/*
 * Event upcall (CALLBACKTYPE_event). Xen bounces it like an exception without error code,
 * events masked, RCX and R11 on top. It becomes vector IRQ_VECTOR_XEN_UPCALL (the absolute
 * symbol xen_pv_upcall_vector, set in irq_pv.c) through trap_handle -> irq_dispatch, as the
 * PVH upcall vector does, so both count it the same. The iret hypercall restores the event
 * mask from the saved RFLAGS.IF, and delivers at once whatever was raised meanwhile.
 */
	.p2align 4
ENTRY(xen_pv_event_callback)
	popq	%rcx
	popq	%r11
	pushq	$0			/* error code */
	pushq	$xen_pv_upcall_vector
	jmp	xen_pv_trap_common
END(xen_pv_event_callback)

/*
 * Failsafe callback (CALLBACKTYPE_failsafe): Xen could not return to the context below.
 * Frame: RCX, R11, DS, ES, FS, GS, then RIP, CS, RFLAGS, RSP, SS. xen_pv_failsafe() (irq_pv.c)
 * nulls the selectors Xen could not load and returns to retry, or reports and crashes.
 */
	.p2align 4
ENTRY(xen_pv_failsafe_callback)
	popq	%rcx
	popq	%r11
	SAVE_GPRS
	cld
	movq	%rsp, %rdi		/* struct xen_pv_failsafe_frame */
	call	xen_pv_failsafe
	RESTORE_GPRS
	addq	$32, %rsp		/* DS, ES, FS, GS: the selectors stay as now loaded */
	pushq	$0			/* iret_context.flags */
	XEN_HYPERCALL_JMP __HYPERVISOR_iret
END(xen_pv_failsafe_callback)

/*
 * A secondary vCPU's first instruction (xen-guest/smp_pv.c: its vcpu_guest_context's rip):
 * RSP is its stack's top, RDI its struct percpu, its GS base that area already
 * (gs_base_kernel), events masked. Never returns.
 */
	.p2align 4
ENTRY(xen_pv_ap_entry)
	andq	$-16, %rsp
	call	xen_pv_smp_ap_start
	ud2
END(xen_pv_ap_entry)
