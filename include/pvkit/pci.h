/* SPDX-License-Identifier: MIT */
/*
 * PCI (PCI Local Bus 3.0, PCI Express Base 4.0 §7.2.2 ECAM, PCI Firmware 3.2 §4.1.2 MCFG):
 * configuration space through ECAM or the legacy 0xCF8/0xCFC ports, bus enumeration, BAR
 * sizing, a bounded capability walk, MSI-X and MSI to this CPU, and drivers bound by id.
 */
#ifndef PVKIT_PCI_H
#define PVKIT_PCI_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

/* Configuration header (type 0 and the common part of type 1). */
#define PCI_VENDOR_ID		0x00
#define PCI_DEVICE_ID		0x02
#define PCI_COMMAND		0x04
#define PCI_STATUS		0x06
#define PCI_REVISION		0x08	/* then prog-if, subclass, class: the class code */
#define PCI_HEADER_TYPE		0x0e
#define PCI_BAR0		0x10
#define PCI_SUBSYS_VENDOR	0x2c
#define PCI_SUBSYS_ID		0x2e
#define PCI_CAP_PTR		0x34
#define PCI_INTERRUPT_PIN	0x3d
#define PCI_SECONDARY_BUS	0x19	/* type 1 (bridge) */
#define PCI_SUBORDINATE_BUS	0x1a	/* type 1 */

#define PCI_COMMAND_IO		(1u << 0)
#define PCI_COMMAND_MEMORY	(1u << 1)
#define PCI_COMMAND_MASTER	(1u << 2)
#define PCI_COMMAND_INTX_OFF	(1u << 10)
#define PCI_STATUS_CAP_LIST	(1u << 4)
#define PCI_HEADER_MULTIFN	0x80
#define PCI_HEADER_KIND		0x7f	/* 0: device, 1: PCI-PCI bridge, 2: CardBus */

#define PCI_BAR_IO		(1u << 0)
#define PCI_BAR_MEM_TYPE	0x6	/* memory BAR type: 0 = 32-bit, 4 = 64-bit */
#define PCI_BAR_MEM_64		0x4
#define PCI_BAR_PREFETCH	(1u << 3)

/* Capability ids, and the first offset a capability may sit at (after the header). */
#define PCI_CAP_ID_MSI		0x05
#define PCI_CAP_ID_VENDOR	0x09
#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_FIRST		0x40
#define PCI_CAP_MAX		48	/* (256 - 64) / 4: more links than that is a loop */

/* MSI capability (PCI 3.0 §6.8.1). */
#define PCI_MSI_FLAGS		0x02
#define PCI_MSI_FLAGS_ENABLE	(1u << 0)
#define PCI_MSI_FLAGS_QSIZE	(7u << 4)	/* multiple message enable */
#define PCI_MSI_FLAGS_64BIT	(1u << 7)
#define PCI_MSI_ADDR_LO		0x04
#define PCI_MSI_ADDR_HI		0x08	/* 64-bit capable only */
/* MSI-X capability (PCI 3.0 §6.8.2). */
#define PCI_MSIX_FLAGS		0x02
#define PCI_MSIX_FLAGS_QSIZE	0x7ff	/* table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL	(1u << 14)
#define PCI_MSIX_FLAGS_ENABLE	(1u << 15)
#define PCI_MSIX_TABLE		0x04	/* BIR in bits 2:0, offset in 31:3 */
#define PCI_MSIX_PBA		0x08
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1u
#define PCI_MSI_ADDR_BASE	0xfee00000u	/* the LAPIC's message window (SDM 11.11.1) */

#define PCI_NR_BARS		6
#define PCI_MAX_DEVS		64	/* functions remembered; more are reported and ignored */
#define PCI_ANY_ID		0xffffffffu

/* How configuration space is reached: ECAM (MMIO) or the legacy port pair. Tests fake it. */
struct pci_cfg_ops {
	const char *name;		/* "ecam", "legacy": printed at boot */
	uint16_t cfg_size;		/* bytes reachable per function: 4096 or 256 */
	/* A naturally aligned access of @size (1, 2, 4) bytes; absent devices read all-ones. */
	uint32_t (*read)(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size);
	void (*write)(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size, uint32_t v);
};

enum pci_bar_kind {
	PCI_BAR_NONE,			/* unimplemented, or the upper half of a 64-bit BAR */
	PCI_BAR_KIND_IO,		/* I/O ports */
	PCI_BAR_KIND_MEM32,
	PCI_BAR_KIND_MEM64,
};

struct pci_bar {
	enum pci_bar_kind kind;		/* what the register says it decodes */
	bool prefetch;			/* memory BAR marked prefetchable */
	uint64_t base;			/* bus (= physical, natively) address or I/O port */
	uint64_t size;			/* bytes decoded; 0 if none */
};

struct pci_dev {
	uint8_t bus, devfn;		/* devfn = device << 3 | function */
	uint16_t vendor, device;	/* ids: what drivers match on */
	uint16_t subsys_vendor, subsys_id;	/* virtio transitional: the device type */
	uint32_t class;			/* class << 16 | subclass << 8 | prog-if */
	uint8_t revision;		/* revision id, for the boot line */
	uint8_t header;			/* header type without the multi-function bit */
	uint8_t irq_pin;		/* 0 none, 1-4 INTA-INTD (we do not route INTx) */
	struct pci_bar bars[PCI_NR_BARS];	/* decoded and sized at enumeration */
	uint8_t msi_cap, msix_cap;	/* capability offsets, 0 if absent */
	uint16_t msix_size;		/* MSI-X table entries (from the capability) */
	volatile uint32_t *msix_table;	/* mapped while MSI-X is enabled, else NULL */
	const struct pci_driver *driver;	/* bound driver, NULL if none */
	void *driver_priv;		/* the driver's per-device state */
};

/* An entry of a driver's id table; PCI_ANY_ID matches anything. Ends with vendor 0. */
struct pci_device_id {
	uint32_t vendor;		/* PCI vendor id, PCI_ANY_ID, or 0 to end the table */
	uint32_t device;		/* device id or PCI_ANY_ID */
};

struct pci_driver {
	const char *name;		/* for the console */
	const struct pci_device_id *ids;	/* what it drives */
	/* Take @dev: 0 binds it; -ENODEV declines (another driver may try); other -errno are
	 * failures, reported. */
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
};

/* ---- configuration space ----------------------------------------------------------------- */

uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v);
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);

/** Set, then clear bits of the command register. */
void pci_command(const struct pci_dev *d, uint16_t set, uint16_t clear);

/* ---- pure helpers (hosted-tested) -------------------------------------------------------- */

/**
 * pci_bar_decode() - a BAR from its value @lo (and @hi, the next BAR for a 64-bit one) and
 * what reads back after writing all-ones (@mask_lo, @mask_hi). Return: 0, -EINVAL for an
 * impossible BAR (a size mask that is not a power of two, an address not aligned to its size,
 * or a region that wraps).
 */
int pci_bar_decode(uint32_t lo, uint32_t hi, uint32_t mask_lo, uint32_t mask_hi,
		   struct pci_bar *bar);

/** The number of BAR registers @bar uses (2 for 64-bit memory, else 1). */
static inline unsigned int pci_bar_regs(const struct pci_bar *bar)
{
	return bar->kind == PCI_BAR_KIND_MEM64 ? 2 : 1;
}

/**
 * pci_mcfg_parse() - the ECAM window for PCI segment 0 from a checked MCFG of length @len.
 * Return: 0, -ENOENT (no entry for segment 0), -EINVAL (malformed: bus range reversed, base
 * not 1 MiB aligned, entry area not whole entries).
 */
int pci_mcfg_parse(const void *tbl, uint32_t len, uint64_t *base, uint8_t *bus_start,
		   uint8_t *bus_end);

/* ---- enumeration and drivers ------------------------------------------------------------- */

/**
 * pci_init() - choose ECAM (ACPI MCFG) or the legacy mechanism, enumerate every bus reachable
 * from bus 0 through bridges, print one line per function, then bind the drivers this image
 * was built with. Native only. Return: 0, -ENODEV when no host bridge answers.
 */
int pci_init(const struct boot_info *bi);

/**
 * pci_scan() - enumerate through @ops (pci_init's second half; tests pass a fake). Forgets
 * what an earlier scan found. Return: the number of functions found.
 */
unsigned int pci_scan(const struct pci_cfg_ops *ops);

/** Bind @drv to every unbound function it matches (those pci_scan found). Return: 0, -EINVAL. */
int pci_register_driver(const struct pci_driver *drv);

/** Functions found by the last scan, by index from 0; NULL past the end. */
struct pci_dev *pci_get_dev(unsigned int i);
/** The first function with @vendor:@device after @from (NULL: from the start). */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, struct pci_dev *from);

/** The configuration mechanism in use (NULL before pci_init). */
const struct pci_cfg_ops *pci_cfg_mechanism(void);

/* ---- capabilities, BARs, interrupts ------------------------------------------------------ */

/**
 * pci_find_cap() - the offset of the first capability @id after offset @from (0: from the
 * start of the list). The walk is bounded (PCI_CAP_MAX links) and each pointer is checked
 * to lie in 0x40-0xfc with room for the capability's header.
 * Return: the offset, 0 if not present, -EINVAL if the list is malformed (a loop, or a
 * pointer outside the capability area).
 */
int pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from);

/**
 * pci_map_bar() - map [@off, @off + @len) of memory BAR @bar uncached. Checks the range lies
 * inside the BAR. Return: the mapping, or NULL (bad BAR, range, or no address space).
 */
void *pci_map_bar(const struct pci_dev *d, unsigned int bar, uint64_t off, uint64_t len);

/** Claim a free device vector (IRQ_VECTOR_DEVICE_FIRST..LAST) for @fn. 0 if none is free. */
unsigned int pci_irq_alloc(void (*fn)(void *ctx), void *ctx);
void pci_irq_free(unsigned int vector);

/** The MSI message address and data that deliver @vector, edge-triggered, to this CPU. */
uint32_t pci_msi_address(void);
static inline uint32_t pci_msi_data(unsigned int vector) { return vector & 0xff; }

/**
 * pci_msix_enable() - map the MSI-X table (validated against its BAR), mask every entry,
 * enable MSI-X and turn INTx off. Entries are then programmed with pci_msix_set().
 * Return: 0, -ENODEV (no MSI-X), -EINVAL (table outside its BAR), -ENOMEM.
 */
int pci_msix_enable(struct pci_dev *d);
/** Point entry @entry at @vector on this CPU and unmask it (@vector 0: mask it). */
int pci_msix_set(struct pci_dev *d, unsigned int entry, unsigned int vector);
void pci_msix_disable(struct pci_dev *d);

/** Single-message MSI to @vector on this CPU. Return: 0, -ENODEV (no MSI capability). */
int pci_msi_enable(struct pci_dev *d, unsigned int vector);
void pci_msi_disable(struct pci_dev *d);

#endif /* PVKIT_PCI_H */
