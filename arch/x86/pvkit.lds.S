/* SPDX-License-Identifier: MIT */
/*
 * The one image: 32-bit boot code and early page tables at their physical address (1 MiB),
 * the 64-bit kernel linked at KERNEL_VIRT_BASE + physical address (-mcmodel=kernel), every
 * PT_LOAD's p_paddr = physical. GRUB and QEMU load by p_paddr; Xen's PV builder maps
 * VIRT_BASE + p_paddr (PADDR_OFFSET 0). Xen notes live in a PT_NOTE with 4-byte alignment:
 * QEMU aligns a note's name by the segment's p_align.
 */
#include <pvkit/x86.h>

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
#if defined(CONFIG_BOOT_MULTIBOOT2)
ENTRY(mb2_entry32)		/* e_entry: GRUB wants a 32-bit physical entry */
#elif defined(CONFIG_BOOT_PVH)
ENTRY(pvh_entry32)
#else
ENTRY(xen_pv_entry)
#endif

PHDRS
{
	boot	PT_LOAD FLAGS(7);	/* 32-bit code, its data, early page tables */
	text	PT_LOAD FLAGS(5);
	rodata	PT_LOAD FLAGS(4);
	data	PT_LOAD FLAGS(6);
	note	PT_NOTE FLAGS(4);
}

SECTIONS
{
	. = KERNEL_PHYS_BASE;
	.boot : {
		KEEP(*(.multiboot2))	/* first: must sit in the file's first 32 KiB */
		*(.boot.text)
		*(.boot.data)
	} :boot
	.boot.bss (NOLOAD) : ALIGN(4096) {
		__boot_bss_start = .;
		*(.boot.bss)
		__boot_bss_end = .;
	} :boot
	. = ALIGN(4096);

	. += KERNEL_VIRT_BASE;
	_text = .;
	.text : AT(ADDR(.text) - KERNEL_VIRT_BASE) {
		*(.text.hypercall_page)	/* page-aligned, filled by Xen */
		*(.text .text.*)
	} :text
	_etext = .;

	. = ALIGN(4096);
	_srodata = .;
	.rodata : AT(ADDR(.rodata) - KERNEL_VIRT_BASE) {
		*(.rodata .rodata.*)
	} :rodata
	.selftest_tables : AT(ADDR(.selftest_tables) - KERNEL_VIRT_BASE) ALIGN(8) {
		__selftest_tables_start = .;
		KEEP(*(SORT_BY_NAME(.selftest_tables.*)))
		__selftest_tables_end = .;
	} :rodata
	.serve_commands : AT(ADDR(.serve_commands) - KERNEL_VIRT_BASE) ALIGN(8) {
		__serve_commands_start = .;	/* SERVE_COMMAND()s, by name (init/serve.c) */
		KEEP(*(SORT_BY_NAME(.serve_commands.*)))
		__serve_commands_end = .;
	} :rodata
	.pv_patch : AT(ADDR(.pv_patch) - KERNEL_VIRT_BASE) ALIGN(8) {
		__pv_patch_start = .;	/* call sites of the hot irq ops (paravirt/patch.c) */
		KEEP(*(.pv_patch))
		__pv_patch_end = .;
	} :rodata
	__ex_table : AT(ADDR(__ex_table) - KERNEL_VIRT_BASE) ALIGN(8) {
		__ex_table_start = .;
		KEEP(*(__ex_table))
		__ex_table_end = .;
	} :rodata
	.note.Xen : AT(ADDR(.note.Xen) - KERNEL_VIRT_BASE) ALIGN(4) {
		KEEP(*(.note.Xen))
	} :rodata :note
	_erodata = .;

	. = ALIGN(4096);
	.data : AT(ADDR(.data) - KERNEL_VIRT_BASE) {
		*(.data .data.*)
	} :data
	.bss : AT(ADDR(.bss) - KERNEL_VIRT_BASE) ALIGN(4096) {
		__bss_start = .;
		*(.bss .bss.*)
		*(COMMON)
		. = ALIGN(4096);
		__bss_end = .;
	} :data
	_end = .;

	/* Physical addresses for the 32-bit code, which runs before paging. */
	__bss_start_pa = __bss_start - KERNEL_VIRT_BASE;
	__bss_end_pa = __bss_end - KERNEL_VIRT_BASE;
	_end_pa = _end - KERNEL_VIRT_BASE;

	/DISCARD/ : {
		*(.comment) *(.eh_frame) *(.note.GNU-stack) *(.note.gnu.property) *(.note.gnu.*)
	}
}

ASSERT(__boot_bss_end <= KERNEL_PHYS_BASE + 0x100000, "boot segment larger than 1 MiB")
ASSERT(_end_pa <= 0x40000000, "kernel must fit in the first 1 GiB (early page tables)")
