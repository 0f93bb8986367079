/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The native backends (paravirt/) and native platform pieces (drivers/native/) that other
 * backends reuse: Xen PVH takes the native CPU, MMU and interrupt-flag operations.
 */
#ifndef PVKIT_NATIVE_H
#define PVKIT_NATIVE_H

#include <pvkit/bootinfo.h>
#include <pvkit/pv.h>

/** CPU operations on bare metal: the instructions themselves (also Xen PVH's). */
extern const struct pv_cpu_ops native_cpu_ops;
/** Interrupt operations on bare metal: the interrupt flag, the APICs. */
extern const struct pv_irq_ops native_irq_ops;
/** Page-table operations on bare metal: direct writes (also Xen PVH's). */
extern const struct pv_mmu_ops native_mmu_ops;
/** Time on bare metal: the calibrated TSC, the LAPIC timer, the RTC. */
extern const struct pv_time_ops native_time_ops;

/** @name Interrupt-flag primitives, for tables that reuse them (Xen PVH) */
/** @{ */

/**
 * native_irq_save_fl() - read RFLAGS (pushf).
 * @return RFLAGS; X86_RFLAGS_IF says whether interrupts were on.
 */
unsigned long native_irq_save_fl(void);

/**
 * native_irq_restore_fl() - write RFLAGS back (popf), which restores the interrupt flag.
 * @param fl what native_irq_save_fl() returned.
 */
void native_irq_restore_fl(unsigned long fl);

/** native_irq_off() - cli. */
void native_irq_off(void);

/** native_irq_on() - sti. */
void native_irq_on(void);

/**
 * native_irq_safe_halt() - sti; hlt, with no wakeup lost between the caller's last check and
 * the halt: sti's one-instruction shadow delays a pending interrupt until hlt has started.
 * Where the shadow is not kept (a PVH guest on QEMU TCG), trap_handle() moves an interrupt
 * that lands on the hlt past it. Returns with interrupts on.
 */
void native_irq_safe_halt(void);

/**
 * The hlt of native_irq_safe_halt() and the instruction after it: an interrupt that lands on
 * the first returns to the second (trap_handle()).
 */
/** @{ */
extern const char native_safe_halt_hlt[], native_safe_halt_done[];
/** @} */
/** @} */

/**
 * native_intc_init() - native interrupt controllers (drivers/native/): legacy PIC remapped and
 * masked (unless the MADT says there are none), local APIC enabled (spurious vector, error
 * vector), IOAPIC pins masked. Where they are comes from ACPI's MADT, else the architectural
 * defaults (the console says so). The .init of native_irq_ops.
 * @param bi the boot information (for the ACPI RSDP).
 * @return 0 or -errno.
 */
int native_intc_init(const struct boot_info *bi);

#endif /* PVKIT_NATIVE_H */
