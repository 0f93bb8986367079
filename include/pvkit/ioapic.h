/* SPDX-License-Identifier: MIT */
/*
 * I/O APICs (Intel 82093AA datasheet): device interrupt pins, numbered globally as GSIs, each
 * routed to a vector on the boot CPU. Every pin starts masked; a driver routes its own, with
 * the polarity and trigger the MADT's interrupt source overrides give for that GSI.
 */
#ifndef PVKIT_IOAPIC_H
#define PVKIT_IOAPIC_H

#include <pvkit/acpi.h>
#include <pvkit/types.h>

#define IOAPIC_DEFAULT_PA	0xfec00000u	/* architectural default, used without ACPI */

/* Redirection table entry bits (82093AA §3.2.4). */
#define IOAPIC_RTE_VECTOR	0xffull
#define IOAPIC_RTE_ACTIVE_LOW	(1ull << 13)
#define IOAPIC_RTE_LEVEL	(1ull << 15)
#define IOAPIC_RTE_MASKED	(1ull << 16)
#define IOAPIC_RTE_DEST_SHIFT	56		/* physical destination: the APIC id */

/*
 * ioapic_route() flags: the ACPI_INTI_* polarity and trigger bits. A part left "conforms"
 * (0) takes what the MADT says for the GSI (see acpi_gsi_inti()); a part given explicitly
 * (e.g. from a PCI routing table) wins.
 */
#define IOAPIC_FLAGS_DEFAULT	0

/** The redirection entry: fixed delivery, physical destination @dest. Pure, for tests. */
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
 * ioapic_init() - map every IOAPIC @madt lists (NULL: no ACPI; one at IOAPIC_DEFAULT_PA with
 * the usual ISA IRQ0 -> GSI 2 wiring) and mask all their pins. @madt must stay valid.
 * Return: 0, -ENODEV when no IOAPIC answers.
 */
int ioapic_init(const struct acpi_madt_info *madt);

/**
 * ioapic_route() - deliver @gsi to @vector (IRQ_VECTOR_DEVICE_FIRST..LAST) on this CPU and
 * unmask it. Return: 0, -EINVAL (bad vector or flags, or no IOAPIC has that GSI), -ERANGE (an
 * APIC id physical mode cannot address), -ENODEV (no IOAPIC).
 */
int ioapic_route(unsigned int gsi, unsigned int vector, unsigned int flags);
/** Mask / unmask @gsi. Return: 0, -EINVAL for a GSI no IOAPIC has. */
int ioapic_mask(unsigned int gsi);
int ioapic_unmask(unsigned int gsi);
/** The raw redirection entry of @gsi. Return: 0 or -EINVAL. */
int ioapic_read_rte(unsigned int gsi, uint64_t *rte);

/** The GSI an ISA IRQ arrives on (through the MADT's overrides). Return: 0 or -EINVAL. */
int ioapic_isa_gsi(unsigned int irq, unsigned int *gsi);

unsigned int ioapic_count(void);	/* IOAPICs in use */
unsigned int ioapic_nr_pins(void);	/* pins over all of them */
/** First GSI of IOAPIC @i and its pin count. Return: 0, -EINVAL for no such IOAPIC. */
int ioapic_range(unsigned int i, unsigned int *gsi_base, unsigned int *pins);

/** The interrupt wiring ioapic_init() was given (the MADT, or the no-ACPI defaults). */
const struct acpi_madt_info *ioapic_wiring(void);

#endif /* PVKIT_IOAPIC_H */
