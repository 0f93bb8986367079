/* SPDX-License-Identifier: MIT */
/**
 * @file
 * PCI (PCI Local Bus 3.0, PCI Express Base 4.0 §7.2.2 ECAM, PCI Firmware 3.2 §4.1.2 MCFG):
 * configuration space through ECAM or the legacy 0xCF8/0xCFC ports, bus enumeration, BAR
 * sizing, a bounded capability walk, MSI-X and MSI to this CPU, and drivers bound by id.
 */
#ifndef PVKIT_PCI_H
#define PVKIT_PCI_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

/** @name Configuration header (type 0 and the common part of type 1) */
/** @{ */
#define PCI_VENDOR_ID		0x00	/**< vendor id (16 bits); all-ones: no function */
#define PCI_DEVICE_ID		0x02	/**< device id (16 bits) */
#define PCI_COMMAND		0x04	/**< command register (16 bits) */
#define PCI_STATUS		0x06	/**< status register (16 bits) */
#define PCI_REVISION		0x08	/**< then prog-if, subclass, class: the class code */
#define PCI_HEADER_TYPE		0x0e	/**< header type, multi-function bit */
#define PCI_BAR0		0x10	/**< the first base address register */
#define PCI_SUBSYS_VENDOR	0x2c	/**< subsystem vendor id */
#define PCI_SUBSYS_ID		0x2e	/**< subsystem id */
#define PCI_CAP_PTR		0x34	/**< the first capability's offset */
#define PCI_INTERRUPT_PIN	0x3d	/**< INTx pin: 0 none, 1-4 INTA-INTD */
#define PCI_SECONDARY_BUS	0x19	/**< type 1 (bridge) */
#define PCI_SUBORDINATE_BUS	0x1a	/**< type 1 */
/** @} */

/** @name Command, status and header type bits */
/** @{ */
#define PCI_COMMAND_IO		(1u << 0)	/**< decode I/O BARs */
#define PCI_COMMAND_MEMORY	(1u << 1)	/**< decode memory BARs */
#define PCI_COMMAND_MASTER	(1u << 2)	/**< bus master: DMA and MSI */
#define PCI_COMMAND_INTX_OFF	(1u << 10)	/**< INTx disabled */
#define PCI_STATUS_CAP_LIST	(1u << 4)	/**< a capability list exists */
#define PCI_HEADER_MULTIFN	0x80	/**< functions 1-7 may exist */
#define PCI_HEADER_KIND		0x7f	/**< 0: device, 1: PCI-PCI bridge, 2: CardBus */
/** @} */

/** @name BAR register bits */
/** @{ */
#define PCI_BAR_IO		(1u << 0)	/**< an I/O BAR */
#define PCI_BAR_MEM_TYPE	0x6	/**< memory BAR type: 0 = 32-bit, 4 = 64-bit */
#define PCI_BAR_MEM_64		0x4	/**< a 64-bit memory BAR (uses the next register too) */
#define PCI_BAR_PREFETCH	(1u << 3)	/**< prefetchable memory */
/** @} */

/** @name Capability ids, and the first offset a capability may sit at (after the header) */
/** @{ */
#define PCI_CAP_ID_MSI		0x05	/**< MSI */
#define PCI_CAP_ID_VENDOR	0x09	/**< vendor-specific (virtio's structures) */
#define PCI_CAP_ID_MSIX		0x11	/**< MSI-X */
#define PCI_CAP_FIRST		0x40	/**< the first offset after the header */
#define PCI_CAP_MAX		48	/**< (256 - 64) / 4: more links than that is a loop */
/** @} */

/** @name MSI capability (PCI 3.0 §6.8.1) */
/** @{ */
#define PCI_MSI_FLAGS		0x02	/**< message control (16 bits) */
#define PCI_MSI_FLAGS_ENABLE	(1u << 0)	/**< MSI enabled */
#define PCI_MSI_FLAGS_QSIZE	(7u << 4)	/**< multiple message enable */
#define PCI_MSI_FLAGS_64BIT	(1u << 7)	/**< 64-bit message address */
#define PCI_MSI_ADDR_LO		0x04	/**< message address, low 32 bits */
#define PCI_MSI_ADDR_HI		0x08	/**< 64-bit capable only */
/** @} */

/** @name MSI-X capability (PCI 3.0 §6.8.2) */
/** @{ */
#define PCI_MSIX_FLAGS		0x02	/**< message control (16 bits) */
#define PCI_MSIX_FLAGS_QSIZE	0x7ff	/**< table size - 1 */
#define PCI_MSIX_FLAGS_MASKALL	(1u << 14)	/**< every vector masked */
#define PCI_MSIX_FLAGS_ENABLE	(1u << 15)	/**< MSI-X enabled */
#define PCI_MSIX_TABLE		0x04	/**< BIR in bits 2:0, offset in 31:3 */
#define PCI_MSIX_PBA		0x08	/**< pending bit array: BIR and offset */
#define PCI_MSIX_ENTRY_SIZE	16	/**< bytes per entry: address low, high, data, control */
#define PCI_MSIX_ENTRY_CTRL_MASKBIT 1u	/**< vector control: masked */
#define PCI_MSI_ADDR_BASE	0xfee00000u	/**< the LAPIC's message window (SDM 11.11.1) */
/** @} */

#define PCI_NR_BARS		6	/**< BARs of a type 0 header */
#define PCI_MAX_DEVS		64	/**< functions remembered; more are reported and ignored */
#define PCI_ANY_ID		0xffffffffu	/**< matches any id in a pci_device_id */

/** How configuration space is reached: ECAM (MMIO) or the legacy port pair. Tests fake it. */
struct pci_cfg_ops {
	const char *name;		/**< "ecam", "legacy": printed at boot */
	uint16_t cfg_size;		/**< bytes reachable per function: 4096 or 256 */
	/** A naturally aligned read of @p size (1, 2, 4) bytes; absent devices read all-ones. */
	uint32_t (*read)(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size);
	/** A naturally aligned write of @p size (1, 2, 4) bytes. */
	void (*write)(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size, uint32_t v);
};

/** What a BAR decodes. */
enum pci_bar_kind {
	PCI_BAR_NONE,			/**< unimplemented, or the upper half of a 64-bit BAR */
	PCI_BAR_KIND_IO,		/**< I/O ports */
	PCI_BAR_KIND_MEM32,		/**< memory below 4 GiB */
	PCI_BAR_KIND_MEM64,		/**< memory anywhere (two registers) */
};

/** A decoded and sized BAR. */
struct pci_bar {
	enum pci_bar_kind kind;		/**< what the register says it decodes */
	bool prefetch;			/**< memory BAR marked prefetchable */
	uint64_t base;			/**< bus (= physical, natively) address or I/O port */
	uint64_t size;			/**< bytes decoded; 0 if none */
};

/** A PCI function found by the scan, and the driver bound to it. */
struct pci_dev {
	/** @{ */
	uint8_t bus, devfn;		/**< where it is; devfn = device << 3 | function */
	/** @} */
	/** @{ */
	uint16_t vendor, device;	/**< ids: what drivers match on */
	/** @} */
	/** @{ */
	uint16_t subsys_vendor, subsys_id;	/**< virtio transitional: the device type */
	/** @} */
	uint32_t class;			/**< class << 16 | subclass << 8 | prog-if */
	uint8_t revision;		/**< revision id, for the boot line */
	uint8_t header;			/**< header type without the multi-function bit */
	uint8_t irq_pin;		/**< 0 none, 1-4 INTA-INTD (we do not route INTx) */
	struct pci_bar bars[PCI_NR_BARS];	/**< decoded and sized at enumeration */
	/** @{ */
	uint8_t msi_cap, msix_cap;	/**< capability offsets, 0 if absent */
	/** @} */
	uint16_t msix_size;		/**< MSI-X table entries (from the capability) */
	volatile uint32_t *msix_table;	/**< mapped while MSI-X is enabled, else NULL */
	const struct pci_driver *driver;	/**< bound driver, NULL if none */
	void *driver_priv;		/**< the driver's per-device state */
};

/** An entry of a driver's id table; PCI_ANY_ID matches anything. Ends with vendor 0. */
struct pci_device_id {
	uint32_t vendor;		/**< PCI vendor id, PCI_ANY_ID, or 0 to end the table */
	uint32_t device;		/**< device id or PCI_ANY_ID */
};

/** A PCI driver: the ids it drives and how it takes a device. */
struct pci_driver {
	const char *name;		/**< for the console */
	const struct pci_device_id *ids;	/**< what it drives */
	/** Take @p dev: 0 binds it; -ENODEV declines (another driver may try); other -errno are
	 * failures, reported. */
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
};

/**
 * @name Configuration space
 * Accesses of one function's configuration space through the mechanism pci_init() chose;
 * an absent function reads all-ones.
 */
/** @{ */

/**
 * pci_read8() - read a byte of configuration space.
 * @param d   the function.
 * @param off the offset.
 * @return the byte.
 */
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);

/**
 * pci_read16() - read 16 bits of configuration space.
 * @param d   the function.
 * @param off the offset, 2-byte aligned.
 * @return the value.
 */
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);

/**
 * pci_read32() - read 32 bits of configuration space.
 * @param d   the function.
 * @param off the offset, 4-byte aligned.
 * @return the value.
 */
uint32_t pci_read32(const struct pci_dev *d, uint16_t off);

/**
 * pci_write8() - write a byte of configuration space.
 * @param d   the function.
 * @param off the offset.
 * @param v   the byte.
 */
void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v);

/**
 * pci_write16() - write 16 bits of configuration space.
 * @param d   the function.
 * @param off the offset, 2-byte aligned.
 * @param v   the value.
 */
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);

/**
 * pci_write32() - write 32 bits of configuration space.
 * @param d   the function.
 * @param off the offset, 4-byte aligned.
 * @param v   the value.
 */
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);

/**
 * pci_command() - set, then clear bits of the command register (read, modify, write).
 * @param d     the function.
 * @param set   PCI_COMMAND_* bits to set.
 * @param clear PCI_COMMAND_* bits to clear.
 */
void pci_command(const struct pci_dev *d, uint16_t set, uint16_t clear);
/** @} */

/** @name Pure helpers (hosted-tested) */
/** @{ */

/**
 * pci_bar_decode() - a BAR from its register value and what reads back after writing
 * all-ones.
 * @param lo      the BAR's value.
 * @param hi      the next BAR's value (the upper half of a 64-bit BAR).
 * @param mask_lo what @p lo read back after writing all-ones.
 * @param mask_hi what @p hi read back after writing all-ones.
 * @param bar     receives the decoded BAR.
 * @return 0, -EINVAL for an impossible BAR (a size mask that is not a power of two, an
 *         address not aligned to its size, or a region that wraps).
 */
int pci_bar_decode(uint32_t lo, uint32_t hi, uint32_t mask_lo, uint32_t mask_hi,
		   struct pci_bar *bar);

/**
 * pci_bar_regs() - the number of BAR registers @p bar uses.
 * @param bar the BAR.
 * @return 2 for 64-bit memory, else 1.
 */
static inline unsigned int pci_bar_regs(const struct pci_bar *bar)
{
	return bar->kind == PCI_BAR_KIND_MEM64 ? 2 : 1;
}

/**
 * pci_mcfg_parse() - the ECAM window for PCI segment 0 from a checked MCFG.
 * @param tbl       the MCFG.
 * @param len       its length.
 * @param base      receives the window's address for bus 0.
 * @param bus_start receives the first bus it decodes.
 * @param bus_end   receives the last bus it decodes.
 * @return 0, -ENOENT (no entry for segment 0), -EINVAL (malformed: bus range reversed, base
 *         not 1 MiB aligned, entry area not whole entries).
 */
int pci_mcfg_parse(const void *tbl, uint32_t len, uint64_t *base, uint8_t *bus_start,
		   uint8_t *bus_end);
/** @} */

/** @name Enumeration and drivers */
/** @{ */

/**
 * pci_init() - choose ECAM (ACPI MCFG) or the legacy mechanism, enumerate every bus reachable
 * from bus 0 through bridges, print one line per function, then bind the drivers this image
 * was built with. Native only.
 * @param bi the boot information.
 * @return 0, -ENODEV when no host bridge answers.
 */
int pci_init(const struct boot_info *bi);

/**
 * pci_scan() - enumerate through @p ops (pci_init's second half; tests pass a fake). Forgets
 * what an earlier scan found.
 * @param ops the configuration mechanism.
 * @return the number of functions found.
 */
unsigned int pci_scan(const struct pci_cfg_ops *ops);

/**
 * pci_register_driver() - bind @p drv to every unbound function it matches (those pci_scan
 * found).
 * @param drv the driver; it lives as long as the kernel.
 * @return 0, -EINVAL (no driver, probe or id table).
 */
int pci_register_driver(const struct pci_driver *drv);

/**
 * pci_get_dev() - the functions found by the last scan, by index.
 * @param i the index, from 0.
 * @return the function; NULL past the end.
 */
struct pci_dev *pci_get_dev(unsigned int i);

/**
 * pci_find() - the first function with @p vendor:@p device after @p from.
 * @param vendor the vendor id.
 * @param device the device id.
 * @param from   where to go on from (NULL: from the start).
 * @return the function, or NULL.
 */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, struct pci_dev *from);

/**
 * pci_cfg_mechanism() - the configuration mechanism in use.
 * @return it, or NULL before pci_init().
 */
const struct pci_cfg_ops *pci_cfg_mechanism(void);
/** @} */

/** @name Capabilities, BARs, interrupts */
/** @{ */

/**
 * pci_find_cap() - the offset of the first capability @p id after offset @p from. The walk is
 * bounded (PCI_CAP_MAX links) and each pointer is checked to lie in 0x40-0xfc with room for
 * the capability's header: the device is not trusted to end its list.
 * @param d    the function.
 * @param id   PCI_CAP_ID_*.
 * @param from a capability's offset to go on after (0: from the start of the list).
 * @return the offset, 0 if not present, -EINVAL if the list is malformed (a loop, or a
 *         pointer outside the capability area).
 */
int pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from);

/**
 * pci_map_bar() - map part of a memory BAR uncached. Checks the range lies inside the BAR.
 * @param d   the function.
 * @param bar the BAR's index, 0-5.
 * @param off where the range starts in the BAR.
 * @param len its length.
 * @return the mapping, or NULL (bad BAR, range, or no address space).
 */
void *pci_map_bar(const struct pci_dev *d, unsigned int bar, uint64_t off, uint64_t len);

/**
 * pci_irq_alloc() - claim a free device vector (IRQ_VECTOR_DEVICE_FIRST..LAST) for @p fn.
 * @param fn  the handler.
 * @param ctx passed to @p fn.
 * @return the vector, 0 if none is free.
 */
unsigned int pci_irq_alloc(void (*fn)(void *ctx), void *ctx);

/**
 * pci_irq_free() - give back a vector from pci_irq_alloc().
 * @param vector the vector; others are ignored.
 */
void pci_irq_free(unsigned int vector);

/**
 * pci_msi_address() - the MSI message address that delivers to this CPU (physical
 * destination, fixed delivery).
 * @return the address.
 */
uint32_t pci_msi_address(void);

/**
 * pci_msi_data() - the MSI message data that delivers @p vector, edge-triggered.
 * @param vector the vector.
 * @return the data.
 */
static inline uint32_t pci_msi_data(unsigned int vector) { return vector & 0xff; }

/**
 * pci_msix_enable() - map the MSI-X table (validated against its BAR), mask every entry,
 * enable MSI-X and turn INTx off. Entries are then programmed with pci_msix_set().
 * @param d the function.
 * @return 0, -ENODEV (no MSI-X), -ERANGE (an APIC id MSI's 8-bit destination cannot name),
 *         -EINVAL (table outside its BAR, or not mappable).
 */
int pci_msix_enable(struct pci_dev *d);

/**
 * pci_msix_set() - point an MSI-X entry at a vector on this CPU and unmask it. The entry is
 * masked while it changes, so it is never live half-programmed.
 * @param d      the function, MSI-X enabled.
 * @param entry  the table entry.
 * @param vector the vector; 0 masks the entry.
 * @return 0, -EINVAL (MSI-X not enabled, entry beyond the table, or a bad vector).
 */
int pci_msix_set(struct pci_dev *d, unsigned int entry, unsigned int vector);

/**
 * pci_msix_disable() - disable MSI-X and unmap the table.
 * @param d the function.
 */
void pci_msix_disable(struct pci_dev *d);

/**
 * pci_msi_enable() - single-message MSI to @p vector on this CPU; INTx off.
 * @param d      the function.
 * @param vector the vector.
 * @return 0, -ENODEV (no MSI capability), -EINVAL (bad vector), -ERANGE (an APIC id MSI's
 *         8-bit destination cannot name).
 */
int pci_msi_enable(struct pci_dev *d, unsigned int vector);

/**
 * pci_msi_disable() - disable MSI.
 * @param d the function.
 */
void pci_msi_disable(struct pci_dev *d);
/** @} */

#endif /* PVKIT_PCI_H */
