// SPDX-License-Identifier: MIT
/* The native interrupt-flag backend: RFLAGS.IF through pushf/popf, cli, sti. Also used by Xen
 * PVH (ring 0, events arrive as an interrupt vector), with its own init. */
#include <pvkit/compiler.h>
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
 * then ends. No wakeup is lost between the check the caller made and the halt. Not every
 * platform keeps the shadow: a PVH guest under Xen on QEMU TCG gets the event upcall with the
 * hlt still ahead of it, and the return would halt with the wakeup spent. So an interrupt
 * that lands on native_safe_halt_hlt returns past it (trap_handle, arch/x86/traps.c). */
__noinline void native_irq_safe_halt(void)	/* one copy: the labels are global */
{
	__asm__ __volatile__("sti\n\t"
			     ".globl native_safe_halt_hlt\n"
			     "native_safe_halt_hlt:\n\t"
			     "hlt\n"
			     ".globl native_safe_halt_done\n"
			     "native_safe_halt_done:" ::: "memory");
}

#ifdef CONFIG_NATIVE
const struct pv_irq_ops native_irq_ops = {
	.name        = "native",
	.patch       = PV_IRQ_INLINE_NATIVE,	/* pushf/pop, push/popf, cli, sti inline */
	.init        = native_intc_init,	/* PIC masked, LAPIC on, IOAPIC programmed */
	.save_fl     = native_irq_save_fl,
	.restore_fl  = native_irq_restore_fl,
	.irq_disable = native_irq_off,
	.irq_enable  = native_irq_on,
	.safe_halt   = native_irq_safe_halt,
};
#endif
