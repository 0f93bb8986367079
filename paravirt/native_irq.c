// SPDX-License-Identifier: MIT
/* The native interrupt-flag backend: RFLAGS.IF through pushf/popf, cli, sti. Also used by Xen
 * PVH (ring 0, events arrive as an interrupt vector), with its own init. */
#include <pvkit/native.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>

unsigned long native_irq_save_fl(void)
{
	return native_save_fl();
}

void native_irq_restore_fl(unsigned long fl)
{
	__asm__ __volatile__("pushq %0; popfq" : : "g"(fl) : "memory", "cc");
}

void native_irq_off(void) { native_irq_disable(); }
void native_irq_on(void) { native_irq_enable(); }

/* sti's one-instruction shadow: an interrupt pending at sti is taken after hlt starts, which it
 * then ends. No wakeup is lost between the check the caller made and the halt. */
void native_irq_safe_halt(void)
{
	__asm__ __volatile__("sti; hlt" ::: "memory");
}

#ifdef CONFIG_NATIVE
const struct pv_irq_ops native_irq_ops = {
	.name        = "native",
	.init        = native_intc_init,	/* PIC masked, LAPIC on, IOAPIC programmed */
	.save_fl     = native_irq_save_fl,
	.restore_fl  = native_irq_restore_fl,
	.irq_disable = native_irq_off,
	.irq_enable  = native_irq_on,
	.safe_halt   = native_irq_safe_halt,
};
#endif
