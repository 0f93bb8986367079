/* SPDX-License-Identifier: MIT */
/*
 * The multiboot2 door (GRUB): a header in the first 32 KiB of the file, and the 32-bit entry.
 * GRUB enters in 32-bit protected mode, paging off, EAX = 0x36d76289, EBX = info (physical).
 * No multiboot(1) header anywhere: QEMU -kernel would take it over the PVH note.
 */
#include <pvkit/asm.h>
#include <pvkit/bootinfo.h>
#include <pvkit/multiboot2.h>

#define MB2_HEADER_LEN	(mb2_header_end - mb2_header)

	.section .multiboot2, "a"
	.balign 8
mb2_header:
	.long	MB2_HEADER_MAGIC
	.long	MB2_ARCH_I386
	.long	MB2_HEADER_LEN
	.long	0x100000000 - (MB2_HEADER_MAGIC + MB2_ARCH_I386 + MB2_HEADER_LEN)

	/* Entry address: the same as e_entry, stated so no loader has to guess. */
	.balign 8
	.short	MB2_HEADER_TAG_ENTRY_ADDRESS
	.short	0
	.long	12
	.long	mb2_entry32

	.balign 8
	.short	MB2_HEADER_TAG_END
	.short	0
	.long	8
mb2_header_end:

	.section .boot.text, "ax"
	.code32
ENTRY(mb2_entry32)
	movl	%eax, %esi		/* boot magic: checked in C, where it can be reported */
	movl	%ebx, %edx		/* multiboot2 info, physical */
	movl	$BOOT_ENTRY_MULTIBOOT2, %edi
	jmp	x86_boot32
END(mb2_entry32)
