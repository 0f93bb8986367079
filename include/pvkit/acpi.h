/* SPDX-License-Identifier: MIT */
/**
 * @file
 * ACPI tables, read-only: the RSDP, the RSDT/XSDT, finding a table by signature, and the MADT
 * (ACPI 6.5 §5.2.5, §5.2.7-8, §5.2.12). Firmware is untrusted input: every checksum, length
 * and entry bound is checked, and the parsers work on a buffer of known size so they are
 * tested hosted (tests/unit/test_acpi.c) against malformed tables.
 */
#ifndef PVKIT_ACPI_H
#define PVKIT_ACPI_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

#define ACPI_SIG_MADT		"APIC"	/**< the MADT's signature */
#define ACPI_SIG_FADT		"FACP"	/**< the FADT's signature */
#define ACPI_SIG_HPET		"HPET"	/**< the HPET table's signature */

#define ACPI_RSDP_V1_LEN	20		/**< ACPI 1.0 RSDP: checksum covers these */
#define ACPI_RSDP_V2_LEN	36		/**< ACPI 2.0+: extended checksum covers length */
#define ACPI_HDR_LEN		36		/**< every system description table's header */
#define ACPI_TABLE_MAX		(1u << 20)	/**< a larger table is refused as corrupt */
#define ACPI_MAX_TABLES		64		/**< root-table entries kept; more are ignored */

#define ACPI_MAX_IOAPICS	8		/**< IOAPICs kept from the MADT */
#define ACPI_MAX_OVERRIDES	16		/**< one per ISA IRQ at most */
#define ACPI_MAX_CPUS		64		/**< processors kept from the MADT */
#define ACPI_MAX_LAPIC_NMIS	8		/**< local APIC NMI entries kept */

/** @name MPS INTI flags (MADT interrupt source override, NMI entries): polarity and trigger */
/** @{ */
#define ACPI_INTI_POL_MASK	0x3		/**< the polarity bits */
#define ACPI_INTI_POL_CONFORM	0x0		/**< the bus's default */
#define ACPI_INTI_POL_HIGH	0x1		/**< active high */
#define ACPI_INTI_POL_LOW	0x3		/**< active low */
#define ACPI_INTI_TRIG_MASK	0xc		/**< the trigger bits */
#define ACPI_INTI_TRIG_CONFORM	0x0		/**< the bus's default */
#define ACPI_INTI_TRIG_EDGE	0x4		/**< edge-triggered */
#define ACPI_INTI_TRIG_LEVEL	0xc		/**< level-triggered */
/** @} */

#define ACPI_MADT_PCAT_COMPAT	(1u << 0)	/**< MADT flags: the system also has 8259 PICs */
#define ACPI_MADT_CPU_ENABLED	(1u << 0)	/**< LAPIC flags: usable now */
#define ACPI_MADT_CPU_ONLINE_CAP (1u << 1)	/**< LAPIC flags: can be brought online later */
#define ACPI_NMI_ALL_CPUS	0xffffffffu	/**< LAPIC NMI entry for every processor */

/** Where a parser gave up, for the error message: static text, never allocated. */
struct acpi_diag {
	const char *what;		/**< e.g. "MADT entry of length 0" */
	uint64_t where;			/**< offset in the table or physical address */
};

/** What the RSDP says. */
struct acpi_rsdp_info {
	uint8_t revision;		/**< 0: ACPI 1.0 (RSDT only); 2+: XSDT may exist */
	uint32_t rsdt_pa;		/**< 0 if none */
	uint64_t xsdt_pa;		/**< 0 if none or revision 0 */
	char oem[7];			/**< OEM id, NUL-terminated, for the boot message */
};

/** An I/O APIC the MADT lists. */
struct acpi_ioapic {
	uint8_t id;			/**< IOAPIC id */
	uint32_t pa;			/**< register window */
	uint32_t gsi_base;		/**< first global system interrupt of its pins */
};

/** An ISA IRQ wired to a different GSI or with non-ISA polarity/trigger (e.g. IRQ0 -> GSI 2). */
struct acpi_override {
	uint8_t source;			/**< ISA IRQ 0-15 */
	uint32_t gsi;			/**< where it really arrives */
	uint16_t inti;			/**< ACPI_INTI_* polarity | trigger */
};

/** A processor (local APIC) the MADT lists. */
struct acpi_cpu {
	uint32_t uid;			/**< ACPI processor UID (what NMI entries name) */
	uint32_t apic_id;		/**< its local APIC id */
	uint32_t flags;			/**< ACPI_MADT_CPU_* */
};

/** How NMI reaches a processor's local APIC: which LINT pin, with what polarity and trigger. */
struct acpi_lapic_nmi {
	uint32_t uid;			/**< processor UID, or ACPI_NMI_ALL_CPUS */
	uint8_t lint;			/**< LINT0 or LINT1 */
	uint16_t inti;			/**< polarity | trigger */
};

/** The MADT, digested: what the interrupt controllers need. */
struct acpi_madt_info {
	uint64_t lapic_pa;		/**< after any 64-bit address override (type 5) */
	uint32_t flags;			/**< ACPI_MADT_PCAT_COMPAT */
	unsigned int nr_cpus;		/**< entries in cpus[] (enabled or online-capable) */
	unsigned int nr_ioapics;	/**< entries in ioapics[] */
	unsigned int nr_overrides;	/**< entries in overrides[] */
	unsigned int nr_nmis;		/**< entries in nmis[] */
	unsigned int nr_ignored;	/**< entries dropped (full arrays, bad values): warned */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];			/**< the processors */
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];		/**< the I/O APICs */
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];	/**< the ISA overrides */
	struct acpi_lapic_nmi nmis[ACPI_MAX_LAPIC_NMIS];	/**< the local APIC NMI wiring */
};

/** @name Pure parsers (hosted-testable): a buffer and its readable size */
/** @{ */

/**
 * acpi_rsdp_find() - scan a buffer for an RSDP on a 16-byte boundary ("RSD PTR " and a
 * valid checksum).
 * @param buf the memory to scan (the EBDA, the BIOS area).
 * @param len its size.
 * @param off receives the RSDP's offset in @p buf.
 * @return 0 or -ENOENT.
 */
int acpi_rsdp_find(const void *buf, size_t len, size_t *off);

/**
 * acpi_rsdp_parse() - validate the RSDP at @p buf: signature, checksums, revision.
 * @param buf the RSDP.
 * @param len bytes readable at @p buf.
 * @param out receives what it says.
 * @param d   receives where it failed, on -EINVAL.
 * @return 0 or -EINVAL.
 */
int acpi_rsdp_parse(const void *buf, size_t len, struct acpi_rsdp_info *out,
		    struct acpi_diag *d);

/**
 * acpi_table_check() - check a table's header and checksum before anything reads it: the
 * signature, a length of at least the header that fits in @p avail and ACPI_TABLE_MAX, and a
 * zero checksum.
 * @param tbl   the table.
 * @param avail bytes readable at @p tbl.
 * @param sig   the expected signature, or NULL for any.
 * @param len   receives the table's length.
 * @param d     receives where it failed, on -EINVAL.
 * @return 0 or -EINVAL.
 */
int acpi_table_check(const void *tbl, size_t avail, const char *sig, uint32_t *len,
		     struct acpi_diag *d);

/**
 * acpi_root_entries() - the table addresses in a checked RSDT or XSDT.
 * @param tbl  the root table.
 * @param len  its length (from acpi_table_check()).
 * @param xsdt true for an XSDT (64-bit entries), false for an RSDT (32-bit).
 * @param pa   receives up to @p max addresses.
 * @param max  the room in @p pa; further entries are ignored.
 * @param n    receives how many were stored.
 * @param d    receives where it failed, on -EINVAL.
 * @return 0, -EINVAL if the entry area is not a whole number of entries.
 */
int acpi_root_entries(const void *tbl, uint32_t len, bool xsdt, uint64_t *pa, unsigned int max,
		      unsigned int *n, struct acpi_diag *d);

/**
 * acpi_madt_parse() - digest a checked MADT. Every entry's length is checked before it is
 * read; entries with bad values or beyond the arrays are counted in nr_ignored.
 * @param tbl the MADT.
 * @param len its length (from acpi_table_check()).
 * @param m   receives the digest.
 * @param d   receives where it failed, on -EINVAL.
 * @return 0 or -EINVAL.
 */
int acpi_madt_parse(const void *tbl, uint32_t len, struct acpi_madt_info *m,
		    struct acpi_diag *d);

/**
 * acpi_isa_irq_to_gsi() - the GSI an ISA IRQ arrives on, through any override.
 * @param m   the digested MADT.
 * @param irq the ISA IRQ, 0-15.
 * @param gsi receives the GSI.
 * @return 0 or -EINVAL.
 */
int acpi_isa_irq_to_gsi(const struct acpi_madt_info *m, unsigned int irq, unsigned int *gsi);

/**
 * acpi_gsi_inti() - the polarity and trigger of @p gsi, never "conforms": an override that
 * targets it wins (its conforming parts become ISA's high/edge); other GSIs below 16 are
 * identity-mapped ISA (high/edge); the rest are PCI (low/level).
 * @param m   the digested MADT.
 * @param gsi the global system interrupt.
 * @return ACPI_INTI_* polarity | trigger.
 */
unsigned int acpi_gsi_inti(const struct acpi_madt_info *m, unsigned int gsi);

/**
 * acpi_lapic_nmi() - how NMI is wired to the local APIC with @p apic_id.
 * @param m       the digested MADT.
 * @param apic_id the local APIC id.
 * @param lint    receives the LINT pin, 0 or 1.
 * @param inti    receives ACPI_INTI_* polarity | trigger.
 * @return 0, -ENOENT when the MADT names none for it.
 */
int acpi_lapic_nmi(const struct acpi_madt_info *m, uint32_t apic_id, unsigned int *lint,
		   unsigned int *inti);

/**
 * acpi_fadt_century() - the CMOS index of the RTC's century register from a checked FADT.
 * @param fadt the FADT.
 * @param len  its length.
 * @param reg  receives the index (0: none).
 * @return 0, -EINVAL if the FADT is too short to say.
 */
int acpi_fadt_century(const void *fadt, uint32_t len, uint8_t *reg);

/**
 * acpi_hpet_base() - the register block of the timer block a checked "HPET" table describes.
 * @param tbl the HPET table.
 * @param len its length.
 * @param pa  receives the physical address.
 * @param d   receives what is wrong, on -EINVAL.
 * @return 0, -EINVAL (too short, not in memory space, address 0).
 */
int acpi_hpet_base(const void *tbl, uint32_t len, uint64_t *pa, struct acpi_diag *d);
/** @} */

/** @name The platform's tables (kernel: maps physical memory) */
/** @{ */

/**
 * acpi_init() - find the RSDP (boot info, else the EBDA and 0xE0000-0xFFFFF), validate the
 * XSDT (or RSDT) and remember the tables it lists.
 * @param bi the boot information (the RSDP a boot loader or Xen passed).
 * @return 0, -ENOENT when there is no ACPI, -EINVAL for a malformed RSDP or root table (the
 *         message says which), -ENOMEM if unmappable.
 */
int acpi_init(const struct boot_info *bi);

/**
 * acpi_present() - did acpi_init() succeed?
 * @return true if so.
 */
bool acpi_present(void);

/**
 * acpi_get_table() - map and check the @p instance-th table with signature @p sig.
 * @param sig      the signature, e.g. ACPI_SIG_MADT.
 * @param instance 0 for the first such table.
 * @param tbl      receives the mapped table (release it with acpi_put_table()).
 * @param len      receives its length.
 * @return 0, -ENOENT, -EINVAL (corrupt), -ENOMEM.
 */
int acpi_get_table(const char *sig, unsigned int instance, const void **tbl, uint32_t *len);

/**
 * acpi_put_table() - unmap a table from acpi_get_table().
 * @param tbl the table.
 * @param len its length.
 */
void acpi_put_table(const void *tbl, uint32_t len);

/**
 * acpi_get_madt() - find and digest the MADT; a corrupt one, or ignored entries, are
 * reported on the console.
 * @param m receives the digest.
 * @return 0 or -errno as acpi_get_table(), -EINVAL for a malformed MADT.
 */
int acpi_get_madt(struct acpi_madt_info *m);
/** @} */

#endif /* PVKIT_ACPI_H */
