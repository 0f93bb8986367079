// SPDX-License-Identifier: MIT
/* Interrupt vector dispatch: one handler per vector, a count per vector, and a visible but
 * non-fatal report of a vector nobody claimed (hardware can raise spurious interrupts). */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/printk.h>

static struct {
	irq_handler_t fn;		/* NULL: unclaimed */
	void *ctx;			/* passed to fn */
} irq_handlers[256];

static uint64_t irq_counts[256];
static volatile uint64_t irq_all;	/* every dispatched interrupt */

uint64_t irq_total(void)
{
	return irq_all;
}

int irq_set_handler(unsigned int vector, irq_handler_t fn, void *ctx)
{
	if (vector < IRQ_VECTOR_FIRST || vector > 255 || !fn)
		return -EINVAL;
	if (irq_handlers[vector].fn)
		return -EBUSY;
	irq_handlers[vector].ctx = ctx;
	barrier();
	irq_handlers[vector].fn = fn;
	return 0;
}

void irq_clear_handler(unsigned int vector)
{
	if (vector >= IRQ_VECTOR_FIRST && vector <= 255)
		irq_handlers[vector].fn = NULL;
}

uint64_t irq_count(unsigned int vector)
{
	return vector <= 255 ? irq_counts[vector] : 0;
}

void irq_dispatch(unsigned int vector)
{
	irq_handler_t fn;

	vector &= 0xff;
	irq_counts[vector]++;
	irq_all++;
	fn = irq_handlers[vector].fn;
	if (likely(fn)) {
		fn(irq_handlers[vector].ctx);
		return;
	}
	/* Say so the first few times; a storm must not drown the console. */
	if (irq_counts[vector] <= 3 && vector != IRQ_VECTOR_SPURIOUS)
		printk("pvkit: interrupt on unclaimed vector %#x (ignored)\n", vector);
}
