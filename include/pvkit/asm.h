/* SPDX-License-Identifier: MIT */
/* Assembly helpers: symbol definitions and ELF notes. */
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

#endif /* __ASSEMBLY__ */
#endif /* PVKIT_ASM_H */
