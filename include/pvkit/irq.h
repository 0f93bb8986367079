/* SPDX-License-Identifier: MIT */
/*
 * Interrupt vectors and their handlers. Exceptions (0-31) go to trap_handle(); vectors 32-255
 * are dispatched here to one handler each. Handlers run with interrupts off and acknowledge
 * their own source (lapic_eoi() for LAPIC-delivered vectors).
 */
#ifndef PVKIT_IRQ_H
#define PVKIT_IRQ_H

#define IRQ_VECTOR_FIRST	0x20	/* first non-exception vector */
#define IRQ_VECTOR_DEVICE_FIRST	0x30	/* IOAPIC / MSI device vectors: 0x30-0xdf */
#define IRQ_VECTOR_DEVICE_LAST	0xdf
#define IRQ_VECTOR_LAPIC_TIMER	0xef	/* native one-shot timer */
#define IRQ_VECTOR_XEN_UPCALL	0xf3	/* PVH event-channel upcall */
#define IRQ_VECTOR_LAPIC_ERROR	0xfe
#define IRQ_VECTOR_SPURIOUS	0xff	/* LAPIC spurious: no EOI */

#ifndef __ASSEMBLY__
#include <pvkit/types.h>

typedef void (*irq_handler_t)(void *ctx);

/** Route @vector (32-255) to @fn. Return: 0, -EINVAL (bad vector), -EBUSY (taken). */
int irq_set_handler(unsigned int vector, irq_handler_t fn, void *ctx);
void irq_clear_handler(unsigned int vector);

/** Interrupts taken on @vector since boot. */
uint64_t irq_count(unsigned int vector);

/** Interrupts on all vectors since boot (idle loops use it to see whether one came). */
uint64_t irq_total(void);

/** Called from trap_handle() for vectors >= 32. */
void irq_dispatch(unsigned int vector);

#endif /* !__ASSEMBLY__ */
#endif /* PVKIT_IRQ_H */
