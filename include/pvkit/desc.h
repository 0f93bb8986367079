/* SPDX-License-Identifier: MIT */
/* Descriptor tables (GDT, TSS, IDT) of the native backend. */
#ifndef PVKIT_DESC_H
#define PVKIT_DESC_H

/** Load our GDT (flat kernel segments + TSS with IST stacks) and an IDT of all 256 stubs. */
void native_load_descriptors(void);

#endif /* PVKIT_DESC_H */
