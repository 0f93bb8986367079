/* SPDX-License-Identifier: MIT */
/*
 * The native backends (paravirt/) and native platform pieces (drivers/native/) that other
 * backends reuse: Xen PVH takes the native CPU, MMU and interrupt-flag operations.
 */
#ifndef PVKIT_NATIVE_H
#define PVKIT_NATIVE_H

#include <pvkit/bootinfo.h>
#include <pvkit/pv.h>

extern const struct pv_cpu_ops native_cpu_ops;
extern const struct pv_irq_ops native_irq_ops;
extern const struct pv_mmu_ops native_mmu_ops;
extern const struct pv_time_ops native_time_ops;

/* Interrupt-flag primitives, for tables that reuse them (Xen PVH). */
unsigned long native_irq_save_fl(void);
void native_irq_restore_fl(unsigned long fl);
void native_irq_off(void);
void native_irq_on(void);
void native_irq_safe_halt(void);
/* The hlt of native_irq_safe_halt() and the instruction after it (see trap_handle()). */
extern const char native_safe_halt_hlt[], native_safe_halt_done[];

/**
 * native_intc_init() - native interrupt controllers (drivers/native/): legacy PIC remapped and
 * masked, local APIC enabled (spurious vector, error vector), IOAPIC pins masked.
 * Return: 0 or -errno.
 */
int native_intc_init(const struct boot_info *bi);

#endif /* PVKIT_NATIVE_H */
