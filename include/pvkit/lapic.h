/* SPDX-License-Identifier: MIT */
/*
 * The local APIC of the boot CPU (Intel SDM vol. 3 ch. 11): enable, acknowledge (EOI), and its
 * timer (one-shot count-down or TSC deadline). xAPIC through MMIO; x2APIC through MSRs when the
 * firmware already switched it on (an x2APIC cannot go back to xAPIC mode).
 */
#ifndef PVKIT_LAPIC_H
#define PVKIT_LAPIC_H

#include <pvkit/types.h>

#define LAPIC_DEFAULT_PA	0xfee00000ull	/* architectural default, used without ACPI */

/* Register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16). */
#define LAPIC_ID		0x020
#define LAPIC_VERSION		0x030
#define LAPIC_TPR		0x080
#define LAPIC_EOI		0x0b0
#define LAPIC_SVR		0x0f0
#define LAPIC_ESR		0x280
#define LAPIC_LVT_TIMER		0x320
#define LAPIC_LVT_THERMAL	0x330
#define LAPIC_LVT_PERF		0x340
#define LAPIC_LVT_LINT0		0x350
#define LAPIC_LVT_LINT1		0x360
#define LAPIC_LVT_ERROR		0x370
#define LAPIC_TIMER_INIT	0x380
#define LAPIC_TIMER_CUR		0x390
#define LAPIC_TIMER_DIV		0x3e0

#define LAPIC_SVR_ENABLE	(1u << 8)
#define LAPIC_LVT_MASKED	(1u << 16)
#define LAPIC_LVT_LEVEL		(1u << 15)
#define LAPIC_LVT_ACTIVE_LOW	(1u << 13)
#define LAPIC_LVT_NMI		(4u << 8)	/* delivery mode NMI */
#define LAPIC_LVT_EXTINT	(7u << 8)
#define LAPIC_TIMER_ONESHOT	(0u << 17)
#define LAPIC_TIMER_TSC_DEADLINE (2u << 17)
#define LAPIC_TIMER_DIV_16	0x3		/* divide configuration: bus clock / 16 */
#define LAPIC_TIMER_DIVISOR	16

struct acpi_madt_info;

/**
 * lapic_init() - enable the boot CPU's local APIC: software-enable with IRQ_VECTOR_SPURIOUS,
 * TPR 0, every LVT masked except NMI (the LINT pin the MADT names, else LINT1) and the error
 * vector (IRQ_VECTOR_LAPIC_ERROR, whose handler reports the error status). @madt: NULL
 * without ACPI. The IA32_APIC_BASE MSR is what the CPU uses; a MADT that disagrees is
 * reported. Interrupts stay off.
 * Return: 0, -ENODEV (no APIC in CPUID), -ENOMEM (cannot map it).
 */
int lapic_init(const struct acpi_madt_info *madt);

bool lapic_ready(void);			/* lapic_init() succeeded */
bool lapic_is_x2apic(void);		/* registers through MSRs */
uint64_t lapic_base_pa(void);
uint32_t lapic_id(void);		/* this CPU's APIC id (x2APIC: all 32 bits) */
uint32_t lapic_read(unsigned int reg);
void lapic_write(unsigned int reg, uint32_t v);

/** Acknowledge the interrupt being handled (not for the spurious vector). */
void lapic_eoi(void);

/** Local APIC errors reported through the error vector since boot. */
uint64_t lapic_error_count(void);

/** The CPU supports the TSC-deadline timer mode (CPUID.01H:ECX[24]). */
bool lapic_has_tsc_deadline(void);

/** Set the LVT timer: @vector, one-shot or TSC-deadline mode, masked or not. Timer stopped. */
void lapic_timer_setup(unsigned int vector, bool tsc_deadline, bool masked);
/** One-shot mode: count @count bus-clock/16 ticks, then interrupt. 0 stops the timer. */
void lapic_timer_start(uint32_t count);
/** TSC-deadline mode: interrupt when the TSC reaches @tsc; 0 disarms. */
void lapic_timer_deadline(uint64_t tsc);
/** One-shot mode: the ticks still to count (0: expired or stopped). */
uint32_t lapic_timer_current(void);
/** TSC-deadline mode: the armed deadline (0: it fired, or none was set; SDM 11.5.4.1). */
uint64_t lapic_timer_deadline_read(void);

#endif /* PVKIT_LAPIC_H */
