/* SPDX-License-Identifier: MIT */
/*
 * The application processors' way in (docs/smp.md "Native bring-up"). The blob between
 * smp_trampoline_start and smp_trampoline_end is copied to SMP_TRAMPOLINE_PA (below 1 MiB,
 * page-aligned) and run there by every AP after the boot CPU's INIT-SIPI-SIPI: real mode at
 * CS = SMP_TRAMPOLINE_PA >> 4, IP = 0. It goes to protected mode, turns on PAE and long mode
 * (EFER from the boot CPU, so NX is on before any NX page-table entry is read), pages through
 * a small table in the page after it (low 2 MiB identity-mapped, the kernel's top slot
 * copied), and jumps to smp_ap_entry64 at its linked, higher-half address with everything it
 * needs in registers: there the kernel's own CR3 is loaded, and the low page is no longer
 * reachable. The parameters are filled by the boot CPU for one AP at a time.
 */
#include <pvkit/asm.h>
#include <pvkit/x86.h>

#define SMP_TRAMPOLINE_PA	0x8000		/* also in paravirt/native_smp.c */
#define TR(sym)			(SMP_TRAMPOLINE_PA + (sym) - smp_trampoline_start)

	.section .rodata, "a"
	.balign 16
DATA(smp_trampoline_start)
	.code16
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	lgdtl	tr_gdt_desc - smp_trampoline_start	/* DS-relative: the copy's own */
	movl	%cr0, %eax
	orl	$X86_CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	$0x08, $TR(tr_pm32)

	.code32
tr_pm32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	%cr4, %eax
	orl	$X86_CR4_PAE, %eax
	movl	%eax, %cr4
	movl	TR(tr_low_cr3), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	movl	TR(tr_efer), %eax		/* the boot CPU's: LME, NXE, SCE */
	xorl	%edx, %edx
	wrmsr
	movl	%cr0, %eax
	orl	$(X86_CR0_PG | X86_CR0_WP), %eax
	movl	%eax, %cr0
	ljmpl	$0x18, $TR(tr_lm64)

	.code64
tr_lm64:
	movq	TR(tr_cr4), %r12		/* the boot CPU's CR4 (PGE, ...) */
	movq	TR(tr_cr3), %rbx		/* the kernel's page tables */
	movq	TR(tr_stack), %rsp		/* this AP's stack (vmap, guard below) */
	movq	TR(tr_percpu), %rdi		/* its struct percpu */
	movq	TR(tr_entry), %rax
	jmp	*%rax				/* to the higher half, still on the low tables */

	.balign 8
tr_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff		/* 0x08: 32-bit code, flat */
	.quad	0x00cf92000000ffff		/* 0x10: data, flat */
	.quad	0x00af9a000000ffff		/* 0x18: 64-bit code */
tr_gdt_end:
tr_gdt_desc:
	.word	tr_gdt_end - tr_gdt - 1
	.long	TR(tr_gdt)

	/* Filled by paravirt/native_smp.c (struct native_smp_params, same order). */
	.balign 8
DATA(smp_trampoline_params)
tr_low_cr3:	.long	0			/* the low table's PML4 (below 4 GiB) */
tr_efer:	.long	0			/* EFER to load (LMA left out) */
tr_cr4:		.quad	0
tr_cr3:		.quad	0
tr_stack:	.quad	0
tr_percpu:	.quad	0
tr_entry:	.quad	0
DATA(smp_trampoline_end)

	/* The higher half: the kernel's own tables, then C. */
	.text
	.code64
ENTRY(smp_ap_entry64)
	movq	%rbx, %cr3
	movq	%r12, %cr4
	xorl	%ebp, %ebp
	call	native_smp_ap_start		/* %rdi: the percpu; does not return */
1:	hlt
	jmp	1b
END(smp_ap_entry64)
