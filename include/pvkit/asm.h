/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Assembly helpers, for .S files only (everything is under __ASSEMBLY__): ENTRY(), END() and
 * DATA() define global function and object symbols with their ELF type and size; ELFNOTE()
 * emits an ELF note (the Xen and PVH entry notes); SAVE_GPRS and RESTORE_GPRS push and pop
 * the general registers in the order of struct trap_frame.
 */
#ifndef PVKIT_ASM_H
#define PVKIT_ASM_H

#ifdef __ASSEMBLY__

#define ENTRY(name)	.globl name; .type name, @function; name:
#define END(name)	.size name, . - name
#define DATA(name)	.globl name; .type name, @object; name:

/*
 * An ELF note: namesz, descsz, type, name (NUL-terminated, padded to 4), desc (padded to 4).
 * 4-byte alignment throughout, as Xen, QEMU and binutils expect for these notes.
 */
#define ELFNOTE(name, type, desc...)				\
	.pushsection .note.name, "a", @note;			\
	.balign 4;						\
	.long 2f - 1f;						\
	.long 4f - 3f;						\
	.long type;						\
1:	.asciz #name;						\
2:	.balign 4;						\
3:	desc;							\
4:	.balign 4;						\
	.popsection

/*
 * Save and restore the general registers in the order of struct trap_frame (include/pvkit/
 * traps.h): the native and Xen PV entry paths build the same frame.
 */
.macro SAVE_GPRS
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro RESTORE_GPRS
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
.endm

#endif /* __ASSEMBLY__ */
#endif /* PVKIT_ASM_H */
