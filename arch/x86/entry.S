/* SPDX-License-Identifier: MIT */
/*
 * Native interrupt and exception entry: 256 stubs that push a uniform frame (struct
 * trap_frame) and call trap_handle(). Vectors where the CPU pushes an error code skip the
 * dummy one. IDT gates are interrupt gates, so IF is clear inside.
 */
#include <pvkit/asm.h>
#include <pvkit/x86.h>

	.text
	.p2align 4
ENTRY(trap_common)
	SAVE_GPRS
	cld
	movq	%rsp, %rdi
	call	trap_handle
ENTRY(trap_return)
	RESTORE_GPRS
	addq	$16, %rsp		/* vector, error code */
	iretq
END(trap_common)

/*
 * One stub per vector: push a dummy error code where the CPU pushes none, push the vector,
 * join trap_common. trap_stub_table lists their addresses for the IDT.
 */
.macro TRAP_STUB v, err
	.p2align 4
trap_stub_\v:
	.ifeq \err
	pushq	$0
	.endif
	pushq	$\v
	jmp	trap_common
.endm

.macro TRAP_STUB_REF v
	.quad	trap_stub_\v
.endm

	.altmacro
	/* Exceptions; the second argument says whether the CPU pushes an error code. */
	TRAP_STUB 0,0;  TRAP_STUB 1,0;  TRAP_STUB 2,0;  TRAP_STUB 3,0
	TRAP_STUB 4,0;  TRAP_STUB 5,0;  TRAP_STUB 6,0;  TRAP_STUB 7,0
	TRAP_STUB 8,1;  TRAP_STUB 9,0;  TRAP_STUB 10,1; TRAP_STUB 11,1
	TRAP_STUB 12,1; TRAP_STUB 13,1; TRAP_STUB 14,1; TRAP_STUB 15,0
	TRAP_STUB 16,0; TRAP_STUB 17,1; TRAP_STUB 18,0; TRAP_STUB 19,0
	TRAP_STUB 20,0; TRAP_STUB 21,1; TRAP_STUB 22,0; TRAP_STUB 23,0
	TRAP_STUB 24,0; TRAP_STUB 25,0; TRAP_STUB 26,0; TRAP_STUB 27,0
	TRAP_STUB 28,0; TRAP_STUB 29,1; TRAP_STUB 30,1; TRAP_STUB 31,0
	/* External and software interrupts. */
	vec = 32
	.rept 256 - 32
	TRAP_STUB %vec,0
	vec = vec + 1
	.endr

	.section .rodata
	.balign 8
DATA(trap_stub_table)
	vec = 0
	.rept 256
	TRAP_STUB_REF %vec
	vec = vec + 1
	.endr
END(trap_stub_table)
	.noaltmacro
