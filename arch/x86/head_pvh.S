/* SPDX-License-Identifier: MIT */
/*
 * The PVH door (QEMU -kernel, Xen type="pvh"): 32-bit protected mode, paging off,
 * EBX = struct hvm_start_info (physical). The note announcing it is in xen_notes.S.
 */
#include <pvkit/asm.h>
#include <pvkit/bootinfo.h>

	.section .boot.text, "ax"
	.code32
ENTRY(pvh_entry32)
	xorl	%esi, %esi		/* no boot magic: hvm_start_info carries its own */
	movl	%ebx, %edx
	movl	$BOOT_ENTRY_PVH, %edi
	jmp	x86_boot32
END(pvh_entry32)
