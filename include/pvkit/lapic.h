/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The local APIC of the boot CPU (Intel SDM vol. 3 ch. 11): enable, acknowledge (EOI), and its
 * timer (one-shot count-down or TSC deadline). xAPIC through MMIO; x2APIC through MSRs when the
 * firmware already switched it on (an x2APIC cannot go back to xAPIC mode).
 */
#ifndef PVKIT_LAPIC_H
#define PVKIT_LAPIC_H

#include <pvkit/types.h>

#define LAPIC_DEFAULT_PA	0xfee00000ull	/**< architectural default, used without ACPI */

/** @name Register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16) */
/** @{ */
#define LAPIC_ID		0x020	/**< APIC id (xAPIC: bits 24-31) */
#define LAPIC_VERSION		0x030	/**< version, number of LVT entries */
#define LAPIC_TPR		0x080	/**< task priority */
#define LAPIC_EOI		0x0b0	/**< end of interrupt: write 0 */
#define LAPIC_SVR		0x0f0	/**< spurious vector, software enable */
#define LAPIC_ESR		0x280	/**< error status */
#define LAPIC_ICR_LOW		0x300	/**< interrupt command: vector, mode (x2APIC: all 64 bits) */
#define LAPIC_ICR_HIGH		0x310	/**< interrupt command: destination (xAPIC) */
#define LAPIC_LVT_TIMER		0x320	/**< LVT: timer */
#define LAPIC_LVT_THERMAL	0x330	/**< LVT: thermal sensor */
#define LAPIC_LVT_PERF		0x340	/**< LVT: performance counters */
#define LAPIC_LVT_LINT0		0x350	/**< LVT: LINT0 pin */
#define LAPIC_LVT_LINT1		0x360	/**< LVT: LINT1 pin */
#define LAPIC_LVT_ERROR		0x370	/**< LVT: error */
#define LAPIC_TIMER_INIT	0x380	/**< timer initial count */
#define LAPIC_TIMER_CUR		0x390	/**< timer current count */
#define LAPIC_TIMER_DIV		0x3e0	/**< timer divide configuration */
/** @} */

/** @name Register bits */
/** @{ */
#define LAPIC_SVR_ENABLE	(1u << 8)	/**< SVR: APIC software-enabled */
#define LAPIC_ICR_FIXED		(0u << 8)	/**< ICR: fixed delivery of the vector */
#define LAPIC_ICR_INIT		(5u << 8)	/**< ICR: INIT (resets the target CPU) */
#define LAPIC_ICR_STARTUP	(6u << 8)	/**< ICR: start-up IPI, vector = page of the code */
#define LAPIC_ICR_PENDING	(1u << 12)	/**< ICR: delivery still pending (xAPIC) */
#define LAPIC_ICR_ASSERT	(1u << 14)	/**< ICR: level assert (needed for INIT, harmless else) */
#define LAPIC_LVT_MASKED	(1u << 16)	/**< LVT: masked */
#define LAPIC_LVT_LEVEL		(1u << 15)	/**< LVT: level-triggered */
#define LAPIC_LVT_ACTIVE_LOW	(1u << 13)	/**< LVT: active low */
#define LAPIC_LVT_NMI		(4u << 8)	/**< LVT: delivery mode NMI */
#define LAPIC_LVT_EXTINT	(7u << 8)	/**< LVT: delivery mode ExtINT */
#define LAPIC_TIMER_ONESHOT	(0u << 17)	/**< LVT timer: one-shot count-down */
#define LAPIC_TIMER_TSC_DEADLINE (2u << 17)	/**< LVT timer: TSC deadline */
#define LAPIC_TIMER_DIV_16	0x3		/**< divide configuration: bus clock / 16 */
#define LAPIC_TIMER_DIVISOR	16		/**< the divisor LAPIC_TIMER_DIV_16 selects */
/** @} */

struct acpi_madt_info;

/**
 * lapic_init() - enable the boot CPU's local APIC: software-enable with IRQ_VECTOR_SPURIOUS,
 * TPR 0, every LVT masked except NMI (the LINT pin the MADT names, else LINT1) and the error
 * vector (IRQ_VECTOR_LAPIC_ERROR, whose handler reports the error status). The
 * IA32_APIC_BASE MSR is what the CPU uses; a MADT that disagrees is reported. Interrupts stay
 * off.
 * @param madt the digested MADT, or NULL without ACPI.
 * @return 0, -ENODEV (no APIC in CPUID), -ENOMEM (cannot map it).
 */
int lapic_init(const struct acpi_madt_info *madt);

/**
 * lapic_ready() - did lapic_init() succeed? The other calls need it.
 * @return true when the local APIC is enabled.
 */
bool lapic_ready(void);

/**
 * lapic_is_x2apic() - are the registers reached through MSRs (the firmware left the APIC in
 * x2APIC mode)?
 * @return true in x2APIC mode, false in xAPIC (MMIO) mode.
 */
bool lapic_is_x2apic(void);

/**
 * lapic_base_pa() - where the xAPIC registers are, from IA32_APIC_BASE.
 * @return the physical address.
 */
uint64_t lapic_base_pa(void);

/**
 * lapic_id() - this CPU's APIC id, the destination IOAPIC entries name.
 * @return the id (xAPIC: 8 bits; x2APIC: all 32 bits).
 */
uint32_t lapic_id(void);

/**
 * lapic_read() - read a register, through MMIO or the x2APIC MSR.
 * @param reg a LAPIC_* register offset.
 * @return its value.
 */
uint32_t lapic_read(unsigned int reg);

/**
 * lapic_write() - write a register, through MMIO or the x2APIC MSR.
 * @param reg a LAPIC_* register offset.
 * @param v   the value.
 */
void lapic_write(unsigned int reg, uint32_t v);

/**
 * lapic_ap_init() - enable an application processor's own local APIC the way lapic_init() did
 * the boot CPU's (same mode), with its timer and LINT pins masked: time, ExtINT and NMI stay
 * with the boot CPU. Called on the AP.
 * @return 0, or -ENODEV when the boot CPU's APIC was never set up.
 */
int lapic_ap_init(void);

/**
 * lapic_send_ipi() - send an inter-processor interrupt.
 * @param apic_id the destination's APIC id.
 * @param icr     the command's low word: LAPIC_ICR_* mode | LAPIC_ICR_ASSERT | vector.
 * @return 0, -ENODEV before lapic_init(), -EINVAL for an id xAPIC cannot name, -ETIMEDOUT
 *         when the delivery stayed pending.
 */
int lapic_send_ipi(uint32_t apic_id, uint32_t icr);

/** lapic_eoi() - acknowledge the interrupt being handled (not for the spurious vector). */
void lapic_eoi(void);

/**
 * lapic_error_count() - local APIC errors reported through the error vector since boot.
 * @return the count.
 */
uint64_t lapic_error_count(void);

/**
 * lapic_has_tsc_deadline() - does the CPU support the TSC-deadline timer mode
 * (CPUID.01H:ECX[24])?
 * @return true if so.
 */
bool lapic_has_tsc_deadline(void);

/**
 * lapic_timer_setup() - program the LVT timer entry; the timer is stopped.
 * @param vector       the vector it interrupts on.
 * @param tsc_deadline TSC-deadline mode, else one-shot count-down.
 * @param masked       masked (for calibration, which reads the count without interrupts).
 */
void lapic_timer_setup(unsigned int vector, bool tsc_deadline, bool masked);

/**
 * lapic_timer_start() - one-shot mode: count down, then interrupt.
 * @param count bus-clock/16 ticks; 0 stops the timer.
 */
void lapic_timer_start(uint32_t count);

/**
 * lapic_timer_deadline() - TSC-deadline mode: interrupt when the TSC reaches @p tsc.
 * @param tsc the deadline; 0 disarms.
 */
void lapic_timer_deadline(uint64_t tsc);

/**
 * lapic_timer_current() - one-shot mode: the ticks still to count.
 * @return the count; 0 when expired or stopped.
 */
uint32_t lapic_timer_current(void);

/**
 * lapic_timer_deadline_read() - TSC-deadline mode: the armed deadline.
 * @return the deadline; 0 when it fired, or none was set (SDM 11.5.4.1).
 */
uint64_t lapic_timer_deadline_read(void);

#endif /* PVKIT_LAPIC_H */
