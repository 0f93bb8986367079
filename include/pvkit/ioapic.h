/* SPDX-License-Identifier: MIT */
/**
 * @file
 * I/O APICs (Intel 82093AA datasheet): device interrupt pins, numbered globally as GSIs, each
 * routed to a vector on the boot CPU. Every pin starts masked; a driver routes its own, with
 * the polarity and trigger the MADT's interrupt source overrides give for that GSI.
 */
#ifndef PVKIT_IOAPIC_H
#define PVKIT_IOAPIC_H

#include <pvkit/acpi.h>
#include <pvkit/types.h>

#define IOAPIC_DEFAULT_PA	0xfec00000u	/**< architectural default, used without ACPI */

/** @name Redirection table entry bits (82093AA §3.2.4) */
/** @{ */
#define IOAPIC_RTE_VECTOR	0xffull		/**< the vector */
#define IOAPIC_RTE_ACTIVE_LOW	(1ull << 13)	/**< polarity: active low */
#define IOAPIC_RTE_LEVEL	(1ull << 15)	/**< trigger: level */
#define IOAPIC_RTE_MASKED	(1ull << 16)	/**< masked */
#define IOAPIC_RTE_DEST_SHIFT	56		/**< physical destination: the APIC id */
/** @} */

/**
 * ioapic_route() flags: the ACPI_INTI_* polarity and trigger bits. A part left "conforms"
 * (0) takes what the MADT says for the GSI (see acpi_gsi_inti()); a part given explicitly
 * (e.g. from a PCI routing table) wins.
 */
#define IOAPIC_FLAGS_DEFAULT	0

/**
 * ioapic_rte_make() - the redirection entry: fixed delivery, physical destination @p dest.
 * Pure, for tests.
 * @param vector the vector.
 * @param dest   the destination APIC id (8 bits in physical mode).
 * @param inti   ACPI_INTI_* polarity and trigger, already resolved (not "conforms").
 * @param masked the entry starts masked.
 * @return the 64-bit entry.
 */
static inline uint64_t ioapic_rte_make(unsigned int vector, uint32_t dest, unsigned int inti,
				       bool masked)
{
	uint64_t rte = vector & IOAPIC_RTE_VECTOR;

	if ((inti & ACPI_INTI_POL_MASK) == ACPI_INTI_POL_LOW)
		rte |= IOAPIC_RTE_ACTIVE_LOW;
	if ((inti & ACPI_INTI_TRIG_MASK) == ACPI_INTI_TRIG_LEVEL)
		rte |= IOAPIC_RTE_LEVEL;
	if (masked)
		rte |= IOAPIC_RTE_MASKED;
	return rte | (uint64_t)(dest & 0xff) << IOAPIC_RTE_DEST_SHIFT;
}

/**
 * ioapic_init() - map every IOAPIC @p madt lists and mask all their pins.
 * @param madt the digested MADT, which must stay valid; NULL without ACPI: one IOAPIC at
 *             IOAPIC_DEFAULT_PA with the usual ISA IRQ0 -> GSI 2 wiring.
 * @return 0, -ENODEV when no IOAPIC answers.
 */
int ioapic_init(const struct acpi_madt_info *madt);

/**
 * ioapic_route() - deliver @p gsi to @p vector on this CPU and unmask it.
 * @param gsi    the global system interrupt.
 * @param vector IRQ_VECTOR_DEVICE_FIRST..IRQ_VECTOR_DEVICE_LAST.
 * @param flags  IOAPIC_FLAGS_DEFAULT, or ACPI_INTI_* polarity and trigger.
 * @return 0, -EINVAL (bad vector or flags, or no IOAPIC has that GSI), -ERANGE (an APIC id
 *         physical mode cannot address), -ENODEV (no IOAPIC).
 */
int ioapic_route(unsigned int gsi, unsigned int vector, unsigned int flags);

/**
 * ioapic_mask() - mask @p gsi; the entry keeps its routing.
 * @param gsi the global system interrupt.
 * @return 0, -EINVAL for a GSI no IOAPIC has.
 */
int ioapic_mask(unsigned int gsi);

/**
 * ioapic_unmask() - unmask @p gsi, routed as before.
 * @param gsi the global system interrupt.
 * @return 0, -EINVAL for a GSI no IOAPIC has.
 */
int ioapic_unmask(unsigned int gsi);

/**
 * ioapic_read_rte() - the raw redirection entry of @p gsi (tests, diagnostics).
 * @param gsi the global system interrupt.
 * @param rte receives the entry.
 * @return 0 or -EINVAL.
 */
int ioapic_read_rte(unsigned int gsi, uint64_t *rte);

/**
 * ioapic_isa_gsi() - the GSI an ISA IRQ arrives on (through the MADT's overrides).
 * @param irq the ISA IRQ, 0-15.
 * @param gsi receives the GSI.
 * @return 0, -EINVAL (not 0-15), -ENODEV (before ioapic_init()).
 */
int ioapic_isa_gsi(unsigned int irq, unsigned int *gsi);

/**
 * ioapic_count() - IOAPICs in use.
 * @return the count.
 */
unsigned int ioapic_count(void);

/**
 * ioapic_nr_pins() - pins over all IOAPICs.
 * @return the count.
 */
unsigned int ioapic_nr_pins(void);

/**
 * ioapic_range() - the GSIs IOAPIC @p i serves.
 * @param i        the IOAPIC's index, below ioapic_count().
 * @param gsi_base receives its first GSI.
 * @param pins     receives its pin count.
 * @return 0, -EINVAL for no such IOAPIC.
 */
int ioapic_range(unsigned int i, unsigned int *gsi_base, unsigned int *pins);

/**
 * ioapic_wiring() - the interrupt wiring ioapic_init() was given.
 * @return the MADT, or the no-ACPI defaults.
 */
const struct acpi_madt_info *ioapic_wiring(void);

#endif /* PVKIT_IOAPIC_H */
