// SPDX-License-Identifier: MIT
/*
 * I/O APICs (Intel 82093AA datasheet; ACPI MADT for where they are and how ISA IRQs are
 * wired): every pin masked at boot; drivers route the GSIs they own to a vector on this CPU.
 */
#include <pvkit/acpi.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/ioapic.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>

#define IOAPIC_REGSEL		0x00		/* index register (32-bit, byte offset) */
#define IOAPIC_WIN		0x10		/* data window */
#define IOAPIC_REG_ID		0x00
#define IOAPIC_REG_VER		0x01
#define IOAPIC_REG_RTE(pin)	(0x10 + 2 * (pin))	/* low half; high half is + 1 */
#define IOAPIC_WINDOW_LEN	0x20

struct ioapic {
	volatile uint32_t *regs;	/* mapped register window */
	uint32_t pa;			/* its physical address, for messages */
	uint8_t id;			/* the MADT's IOAPIC id */
	uint8_t version;		/* 0x11 (82093AA) or 0x20 (chipset) */
	unsigned int gsi_base;		/* GSI of pin 0 */
	unsigned int pins;		/* redirection entries */
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned int nr_ioapics;
static const struct acpi_madt_info *ioapic_madt;	/* ISA overrides for acpi_gsi_inti() */
static struct acpi_madt_info ioapic_defaults;	/* the wiring assumed without ACPI */


/* Index/data pairs must not interleave: a handler may mask its pin while we program another. */
static uint32_t ioapic_reg_read(const struct ioapic *io, unsigned int reg)
{
	unsigned long fl = pv_irq_save();
	uint32_t v;

	io->regs[IOAPIC_REGSEL / 4] = reg;
	v = io->regs[IOAPIC_WIN / 4];
	pv_irq_restore(fl);
	return v;
}

static void ioapic_reg_write(const struct ioapic *io, unsigned int reg, uint32_t v)
{
	unsigned long fl = pv_irq_save();

	io->regs[IOAPIC_REGSEL / 4] = reg;
	io->regs[IOAPIC_WIN / 4] = v;
	pv_irq_restore(fl);
}

/* Mask first, destination next, the low half (vector, unmask) last: never half-programmed. */
static void ioapic_write_rte(const struct ioapic *io, unsigned int pin, uint64_t rte)
{
	ioapic_reg_write(io, IOAPIC_REG_RTE(pin), IOAPIC_RTE_MASKED);
	ioapic_reg_write(io, IOAPIC_REG_RTE(pin) + 1, (uint32_t)(rte >> 32));
	ioapic_reg_write(io, IOAPIC_REG_RTE(pin), (uint32_t)rte);
}

static uint64_t ioapic_read_rte_pin(const struct ioapic *io, unsigned int pin)
{
	uint64_t hi = ioapic_reg_read(io, IOAPIC_REG_RTE(pin) + 1);

	return hi << 32 | ioapic_reg_read(io, IOAPIC_REG_RTE(pin));
}

static struct ioapic *ioapic_for_gsi(unsigned int gsi, unsigned int *pin)
{
	for (unsigned int i = 0; i < nr_ioapics; i++) {
		if (gsi >= ioapics[i].gsi_base && gsi - ioapics[i].gsi_base < ioapics[i].pins) {
			*pin = gsi - ioapics[i].gsi_base;
			return &ioapics[i];
		}
	}
	return NULL;
}

/* Two IOAPICs claiming one GSI would make routing ambiguous. */
static bool ioapic_overlaps(const struct ioapic *io)
{
	for (unsigned int i = 0; i < nr_ioapics; i++)
		if (io->gsi_base < ioapics[i].gsi_base + ioapics[i].pins &&
		    ioapics[i].gsi_base < io->gsi_base + io->pins)
			return true;
	return false;
}

/* Bring up the IOAPIC the MADT describes as @a: map, size, check, mask every pin. */
static int ioapic_add(const struct acpi_ioapic *a)
{
	struct ioapic *io = &ioapics[nr_ioapics];
	unsigned int pin;
	uint32_t ver;

	*io = (struct ioapic){ .pa = a->pa, .id = a->id, .gsi_base = a->gsi_base };
	io->regs = os_ioremap(a->pa, IOAPIC_WINDOW_LEN);
	if (!io->regs) {
		printk("pvkit: warning: ioapic: cannot map %#x; ignored\n", a->pa);
		return -ENOMEM;
	}
	ver = ioapic_reg_read(io, IOAPIC_REG_VER);
	if (ver == 0xffffffffu || ver == 0) {	/* nothing decodes the address */
		printk("pvkit: warning: ioapic: nothing answers at %#x; ignored\n", a->pa);
		return -ENODEV;
	}
	io->version = ver & 0xff;
	io->pins = ((ver >> 16) & 0xff) + 1;
	if (ioapic_overlaps(io)) {
		printk("pvkit: warning: ioapic: %#x: GSI %u-%u overlap another IOAPIC; ignored\n",
		       a->pa, io->gsi_base, io->gsi_base + io->pins - 1);
		return -EINVAL;
	}
	for (pin = 0; pin < io->pins; pin++)
		ioapic_write_rte(io, pin, IOAPIC_RTE_MASKED);
	nr_ioapics++;
	printk("pvkit: ioapic: id %u version %#x at %#x, GSI %u-%u, all %u pins masked\n", io->id,
	       io->version, io->pa, io->gsi_base, io->gsi_base + io->pins - 1, io->pins);
	return 0;
}

static const char *ioapic_inti_name(unsigned int inti)
{
	static const char *const names[4] = { "edge high", "edge low", "level high", "level low" };
	bool low = (inti & ACPI_INTI_POL_MASK) == ACPI_INTI_POL_LOW;
	bool level = (inti & ACPI_INTI_TRIG_MASK) == ACPI_INTI_TRIG_LEVEL;

	return names[level * 2 + low];
}

int ioapic_init(const struct acpi_madt_info *madt)
{
	if (!madt) {
		ioapic_defaults = (struct acpi_madt_info){
			.lapic_pa = LAPIC_DEFAULT_PA, .flags = ACPI_MADT_PCAT_COMPAT,
			.nr_ioapics = 1, .ioapics = { { .pa = IOAPIC_DEFAULT_PA } },
			.nr_overrides = 1, .overrides = { { .source = 0, .gsi = 2 } },
		};
		madt = &ioapic_defaults;
	}
	ioapic_madt = madt;
	nr_ioapics = 0;
	for (unsigned int i = 0; i < madt->nr_ioapics; i++)
		ioapic_add(&madt->ioapics[i]);	/* a bad one is reported and skipped */
	for (unsigned int i = 0; i < madt->nr_overrides; i++) {
		const struct acpi_override *o = &madt->overrides[i];

		printk("pvkit: ioapic: ISA IRQ %u -> GSI %u, %s\n", o->source, o->gsi,
		       ioapic_inti_name(acpi_gsi_inti(madt, o->gsi)));
	}
	if (!nr_ioapics) {
		printk("pvkit: error: ioapic: no usable IOAPIC\n");
		return -ENODEV;
	}
	return 0;
}

int ioapic_route(unsigned int gsi, unsigned int vector, unsigned int flags)
{
	unsigned int pin, inti;
	struct ioapic *io;
	uint32_t dest;

	if (!nr_ioapics)
		return -ENODEV;
	if (vector < IRQ_VECTOR_DEVICE_FIRST || vector > IRQ_VECTOR_DEVICE_LAST)
		return -EINVAL;
	if (flags & ~(ACPI_INTI_POL_MASK | ACPI_INTI_TRIG_MASK) ||
	    (flags & ACPI_INTI_POL_MASK) == 2 || (flags & ACPI_INTI_TRIG_MASK) == 8)
		return -EINVAL;			/* unknown bits or the reserved encodings */
	io = ioapic_for_gsi(gsi, &pin);
	if (!io)
		return -EINVAL;
	dest = lapic_id();
	if (dest > 0xff)
		return -ERANGE;			/* needs interrupt remapping */
	inti = acpi_gsi_inti(ioapic_madt, gsi);
	if (flags & ACPI_INTI_POL_MASK)
		inti = (inti & ~ACPI_INTI_POL_MASK) | (flags & ACPI_INTI_POL_MASK);
	if (flags & ACPI_INTI_TRIG_MASK)
		inti = (inti & ~ACPI_INTI_TRIG_MASK) | (flags & ACPI_INTI_TRIG_MASK);
	ioapic_write_rte(io, pin, ioapic_rte_make(vector, dest, inti, false));
	return 0;
}

static int ioapic_set_mask(unsigned int gsi, bool masked)
{
	unsigned int pin;
	struct ioapic *io = ioapic_for_gsi(gsi, &pin);
	uint32_t lo;

	if (!io)
		return -EINVAL;
	lo = ioapic_reg_read(io, IOAPIC_REG_RTE(pin));
	lo = masked ? lo | IOAPIC_RTE_MASKED : lo & ~(uint32_t)IOAPIC_RTE_MASKED;
	ioapic_reg_write(io, IOAPIC_REG_RTE(pin), lo);
	return 0;
}

int ioapic_mask(unsigned int gsi) { return ioapic_set_mask(gsi, true); }
int ioapic_unmask(unsigned int gsi) { return ioapic_set_mask(gsi, false); }

int ioapic_read_rte(unsigned int gsi, uint64_t *rte)
{
	unsigned int pin;
	struct ioapic *io = ioapic_for_gsi(gsi, &pin);

	if (!io)
		return -EINVAL;
	*rte = ioapic_read_rte_pin(io, pin);
	return 0;
}

int ioapic_isa_gsi(unsigned int irq, unsigned int *gsi)
{
	if (!ioapic_madt)
		return -ENODEV;
	return acpi_isa_irq_to_gsi(ioapic_madt, irq, gsi);
}

unsigned int ioapic_count(void)
{
	return nr_ioapics;
}

unsigned int ioapic_nr_pins(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < nr_ioapics; i++)
		n += ioapics[i].pins;
	return n;
}

int ioapic_range(unsigned int i, unsigned int *gsi_base, unsigned int *pins)
{
	if (i >= nr_ioapics)
		return -EINVAL;
	*gsi_base = ioapics[i].gsi_base;
	*pins = ioapics[i].pins;
	return 0;
}

const struct acpi_madt_info *ioapic_wiring(void)
{
	return ioapic_madt;
}
