/* SPDX-License-Identifier: MIT */
/*
 * From 32-bit protected mode (multiboot2 and PVH doors) to the 64-bit higher-half kernel:
 * zero .bss, build early page tables (identity 0-4 GiB so the loader's structures stay
 * readable, and KERNEL_VIRT_BASE -> 0-2 GiB for the kernel), enter long mode, jump high and call
 * x86_native_entry(entry, magic, info_pa). No stack is used before long mode.
 */
#include <pvkit/asm.h>
#include <pvkit/x86.h>

#define COM1		0x3f8
#define EARLY_PTE	(PTE_P | PTE_W)
#define EARLY_PDE_2M	(PTE_P | PTE_W | PTE_PS)

	.section .boot.text, "ax"
	.code32
/* In: EDI = BOOT_ENTRY_*, ESI = boot magic or 0, EDX = info (physical). */
ENTRY(x86_boot32)
	cli
	cld
	movl	%edi, boot_entry_kind
	movl	%esi, boot_magic
	movl	%edx, boot_info_pa

	/* Long mode is required; say so on COM1 if it is missing. */
	movl	$0x80000000, %eax
	cpuid
	cmpl	$0x80000001, %eax
	jb	.Lno_long_mode
	movl	$0x80000001, %eax
	cpuid
	btl	$29, %edx		/* LM */
	jnc	.Lno_long_mode
	movl	%edx, boot_ext_edx	/* bit 20: NX */

	/* Zero the early page tables and .bss: not every loader does. */
	xorl	%eax, %eax
	movl	$__boot_bss_start, %edi
	movl	$__boot_bss_end, %ecx
	subl	%edi, %ecx
	rep stosb
	movl	$__bss_start_pa, %edi
	movl	$__bss_end_pa, %ecx
	subl	%edi, %ecx
	rep stosb

	/* Four page directories of 2 MiB pages: physical 0 - 4 GiB. */
	movl	$early_pd, %edi
	movl	$EARLY_PDE_2M, %eax
	movl	$2048, %ecx
1:	movl	%eax, (%edi)
	addl	$0x200000, %eax
	addl	$8, %edi
	loop	1b

	/* Low PDPT: 4 x 1 GiB identity. High PDPT: entries 510, 511 = physical 0 - 2 GiB. */
	movl	$early_pd + EARLY_PTE, %eax
	movl	%eax, early_pdpt_low
	movl	%eax, early_pdpt_high + 510 * 8
	addl	$PAGE_SIZE, %eax
	movl	%eax, early_pdpt_low + 8
	movl	%eax, early_pdpt_high + 511 * 8
	addl	$PAGE_SIZE, %eax
	movl	%eax, early_pdpt_low + 16
	addl	$PAGE_SIZE, %eax
	movl	%eax, early_pdpt_low + 24

	movl	$early_pdpt_low + EARLY_PTE, %eax
	movl	%eax, early_pml4
	movl	$early_pdpt_high + EARLY_PTE, %eax
	movl	%eax, early_pml4 + 511 * 8

	/* PAE, page tables, EFER.LME (+NXE when the CPU has NX), then paging on. */
	movl	%cr4, %eax
	orl	$X86_CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$early_pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	btl	$20, boot_ext_edx
	jnc	2f
	orl	$EFER_NXE, %eax
2:	wrmsr
	movl	%cr0, %eax
	orl	$(X86_CR0_PG | X86_CR0_PE | X86_CR0_WP), %eax
	movl	%eax, %cr0

	lgdt	boot_gdt_desc
	ljmp	$GDT_KERNEL_CS, $.Llong64

.Lno_long_mode:
	movl	$no_long_mode_msg, %esi
	movw	$COM1, %dx
3:	lodsb
	testb	%al, %al
	jz	4f
	outb	%al, %dx
	jmp	3b
4:	hlt
	jmp	4b

	.code64
.Llong64:
	movl	$GDT_KERNEL_DS, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs
	/* Arguments, zero-extended: upper halves are undefined after the mode switch. */
	movl	boot_entry_kind, %edi
	movl	boot_magic, %esi
	movl	boot_info_pa, %edx
	movabsq	$x86_start64, %rax
	jmp	*%rax
END(x86_boot32)

	.section .boot.data, "aw"
	.balign 8
boot_entry_kind:	.long 0
boot_magic:		.long 0
boot_info_pa:		.long 0
boot_ext_edx:		.long 0

	/* Flat 64-bit code and data, the same selectors as the kernel's own GDT. */
	.balign 8
boot_gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* GDT_KERNEL_CS: 64-bit, present, DPL 0 */
	.quad	0x00cf92000000ffff	/* GDT_KERNEL_DS */
boot_gdt_end:
boot_gdt_desc:
	.word	boot_gdt_end - boot_gdt - 1
	.long	boot_gdt

no_long_mode_msg:
	.asciz	"pvkit: this CPU has no long mode (x86-64); halting\r\n"

	.section .boot.bss, "aw", @nobits
	.balign PAGE_SIZE
DATA(early_pml4)	.skip PAGE_SIZE
DATA(early_pdpt_low)	.skip PAGE_SIZE
DATA(early_pdpt_high)	.skip PAGE_SIZE
DATA(early_pd)		.skip 4 * PAGE_SIZE

	/* The 64-bit half: runs at the linked, higher-half address. */
	.text
ENTRY(x86_start64)
	movq	$boot_stack_top, %rsp
	xorl	%ebp, %ebp
	call	x86_native_entry
5:	hlt				/* x86_native_entry does not return */
	jmp	5b
END(x86_start64)

	.bss
	.balign 16
DATA(boot_stack)	.skip BOOT_STACK_SIZE
DATA(boot_stack_top)
