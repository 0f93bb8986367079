// SPDX-License-Identifier: MIT
/*
 * PCI (Local Bus 3.0; PCIe 4.0 §7.2.2 ECAM; Firmware 3.2 §4.1.2 MCFG): configuration space
 * through ECAM or ports 0xCF8/0xCFC, enumeration through bridges, BAR sizing, a bounded
 * capability walk, MSI-X/MSI to this CPU, and drivers bound by vendor/device id.
 */
#include <string.h>
#include <pvkit/acpi.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/os.h>
#include <pvkit/pci.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>
#ifdef CONFIG_VIRTIO_PCI
#include <pvkit/virtio.h>		/* virtio_pci_driver */
#endif

#define PCI_MAX_DEPTH		16	/* bridges below bus 0: deeper is refused, not recursed */
#define ECAM_BUS_SIZE		(1u << 20)	/* 32 devices x 8 functions x 4 KiB */
#define MCFG_OFF_ENTRIES	44	/* header (36) + 8 reserved */
#define MCFG_ENTRY_LEN		16
#define LEGACY_ADDR_PORT	0xcf8
#define LEGACY_DATA_PORT	0xcfc

/* The drivers this image was built with: pci_init() registers them. */
static const struct pci_driver *const pci_builtin_drivers[] = {
#ifdef CONFIG_VIRTIO_PCI
	&virtio_pci_driver,
#endif
	NULL,
};

static const struct pci_cfg_ops *pci_cfg;	/* the mechanism pci_scan() was given */
static struct pci_dev pci_devs[PCI_MAX_DEVS];	/* what the last scan found, in bus order */
static unsigned int pci_nr_devs;		/* entries used in pci_devs */
static unsigned int pci_dropped;		/* functions found beyond PCI_MAX_DEVS */

/* ---- configuration access -------------------------------------------------------------- */

/* Accessors a device cannot abuse: off-size or out-of-space accesses read all-ones. */
static bool pci_cfg_ok(uint16_t off, unsigned int size)
{
	return pci_cfg && off % size == 0 && off + size <= pci_cfg->cfg_size;
}

uint8_t pci_read8(const struct pci_dev *d, uint16_t off)
{
	return pci_cfg_ok(off, 1) ? pci_cfg->read(d->bus, d->devfn, off, 1) : 0xff;
}

uint16_t pci_read16(const struct pci_dev *d, uint16_t off)
{
	return pci_cfg_ok(off, 2) ? pci_cfg->read(d->bus, d->devfn, off, 2) : 0xffff;
}

uint32_t pci_read32(const struct pci_dev *d, uint16_t off)
{
	return pci_cfg_ok(off, 4) ? pci_cfg->read(d->bus, d->devfn, off, 4) : 0xffffffffu;
}

void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v)
{
	if (pci_cfg_ok(off, 1))
		pci_cfg->write(d->bus, d->devfn, off, 1, v);
}

void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{
	if (pci_cfg_ok(off, 2))
		pci_cfg->write(d->bus, d->devfn, off, 2, v);
}

void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
	if (pci_cfg_ok(off, 4))
		pci_cfg->write(d->bus, d->devfn, off, 4, v);
}

void pci_command(const struct pci_dev *d, uint16_t set, uint16_t clear)
{
	pci_write16(d, PCI_COMMAND, (pci_read16(d, PCI_COMMAND) | set) & ~clear);
}

const struct pci_cfg_ops *pci_cfg_mechanism(void)
{
	return pci_cfg;
}

/* ECAM: each bus's 1 MiB window is mapped the first time the bus is touched. */
static struct {
	uint64_t base;			/* MCFG: the window's address for bus 0 */
	uint8_t bus_start, bus_end;	/* buses it decodes */
	volatile uint8_t *bus_map[256];	/* mapped windows, NULL until first use */
	bool bus_failed[256];		/* mapping failed: reported once, reads all-ones */
} ecam;

static volatile uint8_t *ecam_addr(uint8_t bus, uint8_t devfn, uint16_t off)
{
	if (bus < ecam.bus_start || bus > ecam.bus_end || ecam.bus_failed[bus])
		return NULL;
	if (!ecam.bus_map[bus]) {
		ecam.bus_map[bus] = os_ioremap(ecam.base + ((uint64_t)bus << 20), ECAM_BUS_SIZE);
		if (!ecam.bus_map[bus]) {
			ecam.bus_failed[bus] = true;
			printk("pvkit: warning: pci: cannot map ECAM for bus %u\n", bus);
			return NULL;
		}
	}
	return ecam.bus_map[bus] + ((uint32_t)devfn << 12) + off;
}

static uint32_t ecam_read(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size)
{
	volatile uint8_t *p = ecam_addr(bus, devfn, off);

	if (!p)
		return 0xffffffffu >> (32 - 8 * size);
	switch (size) {
	case 1:
		return *p;
	case 2:
		return *(volatile uint16_t *)p;
	default:
		return *(volatile uint32_t *)p;
	}
}

static void ecam_write(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size, uint32_t v)
{
	volatile uint8_t *p = ecam_addr(bus, devfn, off);

	if (!p)
		return;
	if (size == 1)
		*p = v;
	else if (size == 2)
		*(volatile uint16_t *)p = v;
	else
		*(volatile uint32_t *)p = v;
}

static const struct pci_cfg_ops pci_ecam_ops = {
	.name = "ecam", .cfg_size = 4096, .read = ecam_read, .write = ecam_write,
};

/* Configuration mechanism #1: an address register, then the data window. */
static uint32_t legacy_addr(uint8_t bus, uint8_t devfn, uint16_t off)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)devfn << 8 | (off & 0xfc);
}

static uint32_t legacy_read(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size)
{
	unsigned long fl = pv_irq_save();	/* the address/data pair must not be split */
	uint16_t port = LEGACY_DATA_PORT + (off & 3);
	uint32_t v;

	outl(LEGACY_ADDR_PORT, legacy_addr(bus, devfn, off));
	v = size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
	pv_irq_restore(fl);
	return v;
}

static void legacy_write(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size,
			 uint32_t v)
{
	unsigned long fl = pv_irq_save();
	uint16_t port = LEGACY_DATA_PORT + (off & 3);

	outl(LEGACY_ADDR_PORT, legacy_addr(bus, devfn, off));
	if (size == 1)
		outb(port, v);
	else if (size == 2)
		outw(port, v);
	else
		outl(port, v);
	pv_irq_restore(fl);
}

static const struct pci_cfg_ops pci_legacy_ops = {
	.name = "legacy", .cfg_size = 256, .read = legacy_read, .write = legacy_write,
};

/* ---- pure helpers ------------------------------------------------------------------------ */

static uint64_t get_le64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

int pci_mcfg_parse(const void *tbl, uint32_t len, uint64_t *base, uint8_t *bus_start,
		   uint8_t *bus_end)
{
	const uint8_t *t = tbl;

	if (len < MCFG_OFF_ENTRIES || (len - MCFG_OFF_ENTRIES) % MCFG_ENTRY_LEN)
		return -EINVAL;
	for (uint32_t off = MCFG_OFF_ENTRIES; off < len; off += MCFG_ENTRY_LEN) {
		const uint8_t *e = t + off;
		uint64_t b = get_le64(e);
		uint16_t seg = e[8] | e[9] << 8;

		if (seg != 0)
			continue;		/* other segments: not used */
		if (e[10] > e[11] || !b || !IS_ALIGNED(b, ECAM_BUS_SIZE))
			return -EINVAL;
		*base = b;
		*bus_start = e[10];
		*bus_end = e[11];
		return 0;
	}
	return -ENOENT;
}

int pci_bar_decode(uint32_t lo, uint32_t hi, uint32_t mask_lo, uint32_t mask_hi,
		   struct pci_bar *bar)
{
	uint64_t base, mask;

	memset(bar, 0, sizeof(*bar));
	if (lo & PCI_BAR_IO) {
		base = lo & ~3u;
		mask = (mask_lo & ~3u) | 0xffffffff00000000ull;	/* 16-bit decoders: upper 0s */
		bar->kind = PCI_BAR_KIND_IO;
	} else if ((lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64) {
		base = (uint64_t)hi << 32 | (lo & ~0xfu);
		mask = (uint64_t)mask_hi << 32 | (mask_lo & ~0xfu);
		bar->kind = PCI_BAR_KIND_MEM64;
	} else if ((lo & PCI_BAR_MEM_TYPE) == 0) {
		base = lo & ~0xfu;
		mask = (mask_lo & ~0xfu) | 0xffffffff00000000ull;
		bar->kind = PCI_BAR_KIND_MEM32;
	} else {
		return -EINVAL;			/* type 2 (below 1 MiB) or 3: reserved */
	}
	if (!(mask & 0xffffffffull) && bar->kind != PCI_BAR_KIND_MEM64)
		mask = 0;			/* no writable address bit: unimplemented */
	if (!mask) {
		bar->kind = PCI_BAR_NONE;
		return 0;
	}
	bar->prefetch = bar->kind != PCI_BAR_KIND_IO && (lo & PCI_BAR_PREFETCH);
	bar->size = mask & -mask;		/* the lowest writable address bit */
	bar->base = base;
	if (!IS_ALIGNED(base, bar->size) || base + bar->size - 1 < base ||
	    (bar->kind != PCI_BAR_KIND_MEM64 && base + bar->size > (1ull << 32))) {
		memset(bar, 0, sizeof(*bar));
		return -EINVAL;
	}
	return 0;
}

/* ---- capabilities ------------------------------------------------------------------------ */

int pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t from)
{
	uint8_t pos;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = from ? pci_read8(d, from + 1) : pci_read8(d, PCI_CAP_PTR);
	/* 48 places a capability can start at: a longer walk has gone round a loop. */
	for (unsigned int n = 0; pos; n++) {
		pos &= ~3u;			/* the two low bits are reserved */
		if (pos < PCI_CAP_FIRST || n >= PCI_CAP_MAX)
			return -EINVAL;
		if (pci_read8(d, pos) == id)
			return pos;
		pos = pci_read8(d, pos + 1);
	}
	return 0;
}

/* ---- BARs -------------------------------------------------------------------------------- */

/*
 * Size BAR register @i (and @i + 1 for a 64-bit one) with decoding off; *regs gets how many
 * registers it occupies, so a malformed 64-bit BAR's upper half is not taken for a BAR.
 */
static int pci_size_bar(struct pci_dev *d, unsigned int i, unsigned int nbars,
			unsigned int *regs)
{
	uint16_t off = PCI_BAR0 + 4 * i;
	uint32_t lo, hi = 0, mlo, mhi = 0;

	*regs = 1;
	lo = pci_read32(d, off);
	pci_write32(d, off, 0xffffffffu);
	mlo = pci_read32(d, off);
	pci_write32(d, off, lo);
	if (!(lo & PCI_BAR_IO) && (lo & PCI_BAR_MEM_TYPE) == PCI_BAR_MEM_64) {
		if (i + 1 >= nbars)
			return -EINVAL;		/* no register left for the upper half */
		*regs = 2;
		hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xffffffffu);
		mhi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
	}
	return pci_bar_decode(lo, hi, mlo, mhi, &d->bars[i]);
}

/* Every BAR of @d, with I/O and memory decoding off while the registers hold all-ones. */
static void pci_size_bars(struct pci_dev *d)
{
	unsigned int nbars = d->header == 0 ? 6 : d->header == 1 ? 2 : 0, regs;
	uint16_t cmd = pci_read16(d, PCI_COMMAND);

	pci_write16(d, PCI_COMMAND, cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	for (unsigned int i = 0; i < nbars; i += regs) {
		if (pci_size_bar(d, i, nbars, &regs))
			printk("pvkit: warning: pci %02x:%02x.%u: BAR %u is malformed (ignored)\n",
			       d->bus, d->devfn >> 3, d->devfn & 7, i);
	}
	pci_write16(d, PCI_COMMAND, cmd);
}

void *pci_map_bar(const struct pci_dev *d, unsigned int bar, uint64_t off, uint64_t len)
{
	const struct pci_bar *b;

	if (bar >= PCI_NR_BARS)
		return NULL;
	b = &d->bars[bar];
	if ((b->kind != PCI_BAR_KIND_MEM32 && b->kind != PCI_BAR_KIND_MEM64) || !b->base ||
	    !len || off >= b->size || len > b->size - off)
		return NULL;
	return os_ioremap(b->base + off, len);
}

/* ---- interrupts -------------------------------------------------------------------------- */

unsigned int pci_irq_alloc(void (*fn)(void *ctx), void *ctx)
{
	for (unsigned int v = IRQ_VECTOR_DEVICE_FIRST; v <= IRQ_VECTOR_DEVICE_LAST; v++)
		if (!irq_set_handler(v, fn, ctx))
			return v;
	return 0;
}

void pci_irq_free(unsigned int vector)
{
	if (vector >= IRQ_VECTOR_DEVICE_FIRST && vector <= IRQ_VECTOR_DEVICE_LAST)
		irq_clear_handler(vector);
}

uint32_t pci_msi_address(void)
{
	return PCI_MSI_ADDR_BASE | (lapic_id() & 0xff) << 12;	/* physical, fixed */
}

int pci_msix_enable(struct pci_dev *d)
{
	uint32_t tbl;
	uint16_t ctrl;
	unsigned int bir;

	if (!d->msix_cap || !d->msix_size)
		return -ENODEV;
	if (lapic_id() > 0xff)
		return -ERANGE;			/* xAPIC destinations are 8 bits */
	tbl = pci_read32(d, d->msix_cap + PCI_MSIX_TABLE);
	bir = tbl & 7;
	if (bir >= PCI_NR_BARS)
		return -EINVAL;
	if (!d->msix_table) {
		d->msix_table = pci_map_bar(d, bir, tbl & ~7u,
					    (uint64_t)d->msix_size * PCI_MSIX_ENTRY_SIZE);
		if (!d->msix_table)
			return -EINVAL;		/* outside its BAR, or not a memory BAR */
	}
	pci_command(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF, 0);
	ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_FLAGS);
	pci_write16(d, d->msix_cap + PCI_MSIX_FLAGS,
		    ctrl | PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	for (unsigned int i = 0; i < d->msix_size; i++)
		d->msix_table[i * 4 + 3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
	pci_write16(d, d->msix_cap + PCI_MSIX_FLAGS,
		    (ctrl | PCI_MSIX_FLAGS_ENABLE) & ~PCI_MSIX_FLAGS_MASKALL);
	return 0;
}

int pci_msix_set(struct pci_dev *d, unsigned int entry, unsigned int vector)
{
	volatile uint32_t *e;

	if (!d->msix_table || entry >= d->msix_size)
		return -EINVAL;
	if (vector && (vector < IRQ_VECTOR_FIRST || vector > 0xff))
		return -EINVAL;
	e = d->msix_table + entry * 4;
	e[3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;	/* never half-programmed while live */
	if (!vector)
		return 0;
	e[0] = pci_msi_address();
	e[1] = 0;
	e[2] = pci_msi_data(vector);
	e[3] = 0;
	(void)e[3];				/* flush the posted writes */
	return 0;
}

void pci_msix_disable(struct pci_dev *d)
{
	uint16_t ctrl;

	if (!d->msix_cap)
		return;
	ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_FLAGS);
	pci_write16(d, d->msix_cap + PCI_MSIX_FLAGS, ctrl & ~PCI_MSIX_FLAGS_ENABLE);
	if (d->msix_table) {
		os_iounmap((const void *)d->msix_table, d->msix_size * PCI_MSIX_ENTRY_SIZE);
		d->msix_table = NULL;
	}
}

int pci_msi_enable(struct pci_dev *d, unsigned int vector)
{
	uint16_t ctrl;
	uint8_t cap = d->msi_cap;

	if (!cap)
		return -ENODEV;
	if (vector < IRQ_VECTOR_FIRST || vector > 0xff)
		return -EINVAL;
	if (lapic_id() > 0xff)
		return -ERANGE;
	ctrl = pci_read16(d, cap + PCI_MSI_FLAGS);
	pci_write16(d, cap + PCI_MSI_FLAGS, ctrl & ~PCI_MSI_FLAGS_ENABLE);
	pci_write32(d, cap + PCI_MSI_ADDR_LO, pci_msi_address());
	if (ctrl & PCI_MSI_FLAGS_64BIT) {
		pci_write32(d, cap + PCI_MSI_ADDR_HI, 0);
		pci_write16(d, cap + 0x0c, pci_msi_data(vector));
	} else {
		pci_write16(d, cap + 0x08, pci_msi_data(vector));
	}
	pci_command(d, PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF, 0);
	ctrl &= ~PCI_MSI_FLAGS_QSIZE;		/* one message */
	pci_write16(d, cap + PCI_MSI_FLAGS, ctrl | PCI_MSI_FLAGS_ENABLE);
	return 0;
}

void pci_msi_disable(struct pci_dev *d)
{
	if (d->msi_cap)
		pci_write16(d, d->msi_cap + PCI_MSI_FLAGS,
			    pci_read16(d, d->msi_cap + PCI_MSI_FLAGS) & ~PCI_MSI_FLAGS_ENABLE);
}

/* ---- enumeration ------------------------------------------------------------------------- */

/* The interrupt capabilities; a malformed list is reported and leaves them absent. */
static void pci_read_caps(struct pci_dev *d)
{
	int msi = pci_find_cap(d, PCI_CAP_ID_MSI, 0), msix = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);

	if (msi < 0 || msix < 0) {
		printk("pvkit: warning: pci %02x:%02x.%u: malformed capability list (ignored)\n",
		       d->bus, d->devfn >> 3, d->devfn & 7);
		return;
	}
	if (msi && msi <= 0x100 - 0x0e)		/* room for the 64-bit layout's data word */
		d->msi_cap = msi;
	if (msix && msix <= 0x100 - 0x0c) {
		d->msix_cap = msix;
		d->msix_size = (pci_read16(d, msix + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_QSIZE) + 1;
	}
}

static const char *const pci_bar_kind_name[] = {
	[PCI_BAR_NONE] = "none", [PCI_BAR_KIND_IO] = "io",
	[PCI_BAR_KIND_MEM32] = "mem32", [PCI_BAR_KIND_MEM64] = "mem64",
};

static void pci_print(const struct pci_dev *d)
{
	char line[PRINTK_LINE_MAX];
	int n;

	n = snprintf(line, sizeof(line), "pvkit: pci %02x:%02x.%u %04x:%04x class %06x rev %u",
		     d->bus, d->devfn >> 3, d->devfn & 7, d->vendor, d->device, d->class,
		     d->revision);
	for (unsigned int i = 0; i < PCI_NR_BARS && n < (int)sizeof(line); i++) {
		const struct pci_bar *b = &d->bars[i];

		if (b->kind != PCI_BAR_NONE)
			n += snprintf(line + n, sizeof(line) - n, " bar%u=%s%s:%#lx+%#lx", i,
				      pci_bar_kind_name[b->kind], b->prefetch ? "p" : "", b->base,
				      b->size);
	}
	if (n < (int)sizeof(line) && d->msix_cap)
		n += snprintf(line + n, sizeof(line) - n, " msix=%u", d->msix_size);
	if (n < (int)sizeof(line) && d->msi_cap)
		n += snprintf(line + n, sizeof(line) - n, " msi");
	printk("%s\n", line);
}

static struct pci_dev *pci_add(uint8_t bus, uint8_t devfn, uint16_t vendor)
{
	struct pci_dev *d;
	uint32_t rev_class;

	if (pci_nr_devs == PCI_MAX_DEVS) {
		pci_dropped++;			/* reported once, after the scan */
		return NULL;
	}
	d = &pci_devs[pci_nr_devs++];
	memset(d, 0, sizeof(*d));
	d->bus = bus;
	d->devfn = devfn;
	d->vendor = vendor;
	d->device = pci_read16(d, PCI_DEVICE_ID);
	rev_class = pci_read32(d, PCI_REVISION);
	d->revision = rev_class & 0xff;
	d->class = rev_class >> 8;
	d->header = pci_read8(d, PCI_HEADER_TYPE) & PCI_HEADER_KIND;
	if (d->header == 0) {
		d->subsys_vendor = pci_read16(d, PCI_SUBSYS_VENDOR);
		d->subsys_id = pci_read16(d, PCI_SUBSYS_ID);
	}
	d->irq_pin = pci_read8(d, PCI_INTERRUPT_PIN);
	pci_size_bars(d);
	pci_read_caps(d);
	pci_print(d);
	return d;
}

static void pci_scan_bus(uint8_t bus, unsigned int depth, uint8_t *visited);

/* A bridge's secondary bus, scanned if it is numbered sanely and not seen before. */
static void pci_scan_bridge(const struct pci_dev *d, uint8_t bus, unsigned int depth,
			    uint8_t *visited)
{
	uint8_t sec = pci_read8(d, PCI_SECONDARY_BUS), sub = pci_read8(d, PCI_SUBORDINATE_BUS);

	if (sec <= bus || sec > sub || (visited[sec / 8] & (1u << sec % 8)) ||
	    depth >= PCI_MAX_DEPTH) {
		printk("pvkit: warning: pci %02x:%02x.%u: bridge to bus %u (subordinate %u) not "
		       "scanned: misnumbered, seen before or too deep\n", d->bus, d->devfn >> 3,
		       d->devfn & 7, sec, sub);
		return;
	}
	pci_scan_bus(sec, depth + 1, visited);
}

static void pci_scan_bus(uint8_t bus, unsigned int depth, uint8_t *visited)
{
	visited[bus / 8] |= 1u << bus % 8;
	for (unsigned int dev = 0; dev < 32; dev++) {
		for (unsigned int fn = 0; fn < 8; fn++) {
			uint8_t devfn = dev << 3 | fn, hdr;
			uint16_t vendor = pci_cfg->read(bus, devfn, PCI_VENDOR_ID, 2);
			struct pci_dev *d;

			if (vendor == 0xffff || vendor == 0) {
				if (fn == 0)
					break;		/* no device: no other functions */
				continue;
			}
			hdr = pci_cfg->read(bus, devfn, PCI_HEADER_TYPE, 1);
			d = pci_add(bus, devfn, vendor);
			if (d && d->header == 1)
				pci_scan_bridge(d, bus, depth, visited);
			if (fn == 0 && !(hdr & PCI_HEADER_MULTIFN))
				break;
		}
	}
}

unsigned int pci_scan(const struct pci_cfg_ops *ops)
{
	uint8_t visited[256 / 8] = { 0 };	/* buses scanned: a bridge loop ends here */

	pci_cfg = ops;
	pci_nr_devs = pci_dropped = 0;
	pci_scan_bus(0, 0, visited);
	if (pci_dropped)
		printk("pvkit: warning: pci: more than %u functions: %u ignored\n", PCI_MAX_DEVS,
		       pci_dropped);
	return pci_nr_devs;
}

struct pci_dev *pci_get_dev(unsigned int i)
{
	return i < pci_nr_devs ? &pci_devs[i] : NULL;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, struct pci_dev *from)
{
	unsigned int i = from ? (unsigned int)(from - pci_devs) + 1 : 0;

	for (; i < pci_nr_devs; i++)
		if (pci_devs[i].vendor == vendor && pci_devs[i].device == device)
			return &pci_devs[i];
	return NULL;
}

/* ---- drivers ----------------------------------------------------------------------------- */

static const struct pci_device_id *pci_match(const struct pci_driver *drv,
					     const struct pci_dev *d)
{
	for (const struct pci_device_id *id = drv->ids; id && id->vendor; id++)
		if ((id->vendor == PCI_ANY_ID || id->vendor == d->vendor) &&
		    (id->device == PCI_ANY_ID || id->device == d->device))
			return id;
	return NULL;
}

static void pci_bind(const struct pci_driver *drv)
{
	for (unsigned int i = 0; i < pci_nr_devs; i++) {
		struct pci_dev *d = &pci_devs[i];
		const struct pci_device_id *id = pci_match(drv, d);
		int err;

		if (d->driver || !id)
			continue;
		err = drv->probe(d, id);
		if (!err)
			d->driver = drv;
		else if (err != -ENODEV)
			printk("pvkit: error: pci %02x:%02x.%u: %s: probe failed: %d (%s)\n",
			       d->bus, d->devfn >> 3, d->devfn & 7, drv->name, err,
			       strerror_name(err));
	}
}

int pci_register_driver(const struct pci_driver *drv)
{
	if (!drv || !drv->probe || !drv->ids)
		return -EINVAL;
	pci_bind(drv);
	return 0;
}

/* ---- boot -------------------------------------------------------------------------------- */

/* ECAM from the MCFG, if ACPI has a usable one. */
static int pci_ecam_init(void)
{
	const void *tbl;
	uint32_t len;
	int err;

	err = acpi_get_table("MCFG", 0, &tbl, &len);
	if (err)
		return err;
	err = pci_mcfg_parse(tbl, len, &ecam.base, &ecam.bus_start, &ecam.bus_end);
	acpi_put_table(tbl, len);
	if (err == -EINVAL)
		printk("pvkit: error: pci: MCFG is malformed; using ports 0xcf8/0xcfc\n");
	return err;
}

/* Mechanism #1 answers when the address register keeps what was written. */
static bool pci_legacy_present(void)
{
	unsigned long fl = pv_irq_save();
	uint32_t old = inl(LEGACY_ADDR_PORT), v;

	outl(LEGACY_ADDR_PORT, 0x80000000u);
	v = inl(LEGACY_ADDR_PORT);
	outl(LEGACY_ADDR_PORT, old);
	pv_irq_restore(fl);
	return v == 0x80000000u;
}

int pci_init(const struct boot_info *bi)
{
	const struct pci_cfg_ops *ops;
	unsigned int n;

	if (!pci_ecam_init())
		ops = &pci_ecam_ops;
	else if (pci_legacy_present())
		ops = &pci_legacy_ops;
	else
		return -ENODEV;
	if (ops == &pci_ecam_ops)
		printk("pvkit: pci: ECAM at %#lx, buses %u-%u\n", ecam.base, ecam.bus_start,
		       ecam.bus_end);
	else
		printk("pvkit: pci: configuration mechanism #1 (ports 0xcf8/0xcfc)\n");
	n = pci_scan(ops);
	printk("pvkit: pci: %u functions\n", n);
	if (!n)
		return -ENODEV;
	for (unsigned int i = 0; pci_builtin_drivers[i]; i++)
		pci_register_driver(pci_builtin_drivers[i]);
	return 0;
}
