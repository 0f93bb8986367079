/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Interrupt vectors and their handlers. Exceptions (0-31) go to trap_handle(); vectors 32-255
 * are dispatched here to one handler each. Handlers run with interrupts off and acknowledge
 * their own source (lapic_eoi() for LAPIC-delivered vectors).
 */
#ifndef PVKIT_IRQ_H
#define PVKIT_IRQ_H

#define IRQ_VECTOR_FIRST	0x20	/**< first non-exception vector */
#define IRQ_VECTOR_DEVICE_FIRST	0x30	/**< IOAPIC / MSI device vectors: 0x30-0xdf */
#define IRQ_VECTOR_DEVICE_LAST	0xdf	/**< the last device vector */
#define IRQ_VECTOR_LAPIC_TIMER	0xef	/**< native one-shot timer */
#define IRQ_VECTOR_XEN_UPCALL	0xf3	/**< PVH event-channel upcall */
#define IRQ_VECTOR_SMP_CALL	0xf8	/**< cross-CPU call IPI (native: the LAPIC) */
#define IRQ_VECTOR_LAPIC_ERROR	0xfe	/**< LAPIC internal error */
#define IRQ_VECTOR_SPURIOUS	0xff	/**< LAPIC spurious: no EOI */

#ifndef __ASSEMBLY__
#include <pvkit/types.h>

/** An interrupt handler: interrupt context, interrupts off; @p ctx as registered. */
typedef void (*irq_handler_t)(void *ctx);

/**
 * irq_set_handler() - route @p vector to @p fn. One handler per vector: a second claim is
 * refused rather than silently replacing the first.
 * @param vector 32-255.
 * @param fn     the handler.
 * @param ctx    passed to @p fn.
 * @return 0, -EINVAL (bad vector or no @p fn), -EBUSY (taken).
 */
int irq_set_handler(unsigned int vector, irq_handler_t fn, void *ctx);

/**
 * irq_clear_handler() - free @p vector; an interrupt on it is then counted and reported.
 * @param vector 32-255 (others are ignored).
 */
void irq_clear_handler(unsigned int vector);

/**
 * irq_count() - interrupts taken on @p vector since boot (tests, diagnostics).
 * @param vector 0-255.
 * @return the count (0 for a vector beyond 255).
 */
uint64_t irq_count(unsigned int vector);

/**
 * irq_total() - interrupts on all vectors since boot (idle loops use it to see whether one
 * came).
 * @return the count.
 */
uint64_t irq_total(void);

/**
 * irq_dispatch() - count the interrupt and run the vector's handler; an unclaimed vector is
 * reported the first few times only, so a storm does not drown the console. Called from
 * trap_handle() for vectors >= 32.
 * @param vector the vector taken.
 */
void irq_dispatch(unsigned int vector);

#endif /* !__ASSEMBLY__ */
#endif /* PVKIT_IRQ_H */
