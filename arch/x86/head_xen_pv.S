/* SPDX-License-Identifier: MIT */
/*
 * The Xen PV door: the domain builder enters here in 64-bit mode, ring 3 (x86-64 PV kernels run
 * in ring 3), on its own page tables which map the image at VIRT_BASE, with RSI = start_info.
 * Also holds the hypercall page the builder fills in (XEN_ELFNOTE_HYPERCALL_PAGE); PVH fills
 * the same page through the MSR that CPUID leaf 0x40000002 names.
 */
#include <pvkit/asm.h>
#include <pvkit/x86.h>

	.section .text.hypercall_page, "ax"
	.balign PAGE_SIZE
DATA(hypercall_page)
	.skip	PAGE_SIZE, 0xcc		/* int3 until Xen writes it: a call too early traps */
END(hypercall_page)

#ifdef CONFIG_XEN_PV
	.text
ENTRY(xen_pv_entry)
	cld
	movq	%rsi, %rbx		/* start_info (virtual), kept across the .bss wipe */
	/* Zero .bss before it holds our stack; the builder put start_info above _end. */
	movq	$__bss_start, %rdi
	movq	$__bss_end, %rcx
	subq	%rdi, %rcx
	xorl	%eax, %eax
	rep stosb
	movq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	movq	%rbx, %rdi
	call	xen_pv_entry_c
1:	jmp	1b			/* not reached: xen_pv_entry_c shuts the domain down */
END(xen_pv_entry)
#endif
