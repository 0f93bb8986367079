/* SPDX-License-Identifier: MIT */
/*
 * The legacy 8259A pair. pvkit never uses it: it is remapped away from the exception vectors
 * (a stray IRQ would otherwise look like a CPU fault) and masked for good, so interrupts come
 * only through the local APIC and the IOAPIC.
 */
#ifndef PVKIT_PIC_H
#define PVKIT_PIC_H

#include <pvkit/types.h>

#define PIC_VECTOR_MASTER	0x20	/* IRQ 0-7 -> 0x20-0x27 */
#define PIC_VECTOR_SLAVE	0x28	/* IRQ 8-15 -> 0x28-0x2f */

/** Reinitialise both PICs at PIC_VECTOR_MASTER/SLAVE with every line masked. */
void pic_remap_and_mask(void);

/** Interrupt mask of both PICs (slave << 8 | master); 0xffff when all are masked. */
uint16_t pic_mask_read(void);

#endif /* PVKIT_PIC_H */
