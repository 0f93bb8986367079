/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The legacy 8259A pair. pvkit never uses it: it is remapped away from the exception vectors
 * (a stray IRQ would otherwise look like a CPU fault) and masked for good, so interrupts come
 * only through the local APIC and the IOAPIC.
 */
#ifndef PVKIT_PIC_H
#define PVKIT_PIC_H

#include <pvkit/types.h>

#define PIC_VECTOR_MASTER	0x20	/**< master's vector base: IRQ 0-7 -> 0x20-0x27 */
#define PIC_VECTOR_SLAVE	0x28	/**< slave's vector base: IRQ 8-15 -> 0x28-0x2f */

/**
 * pic_remap_and_mask() - reinitialise both PICs at PIC_VECTOR_MASTER and PIC_VECTOR_SLAVE
 * with every line masked, masked also while they are reprogrammed.
 */
void pic_remap_and_mask(void);

/**
 * pic_mask_read() - the interrupt masks of both PICs, so a test can see they stayed masked.
 * @return slave << 8 | master; 0xffff when every line is masked.
 */
uint16_t pic_mask_read(void);

#endif /* PVKIT_PIC_H */
