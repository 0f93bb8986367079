// SPDX-License-Identifier: MIT
/*
 * ACPI tables (ACPI 6.5 §5.2): find the RSDP, walk the XSDT or RSDT, map a table by signature,
 * digest the MADT. The parsers take a buffer and its readable size and check everything first;
 * the bottom half maps physical memory through os_memremap_ro() and feeds them.
 */
#include <string.h>
#include <pvkit/acpi.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>

/* Fixed offsets (ACPI 6.5 tables 5.3, 5.5, 5.19, 5.43). */
#define RSDP_SIG		"RSD PTR "
#define RSDP_OFF_REVISION	15
#define RSDP_OFF_RSDT		16
#define RSDP_OFF_LENGTH		20
#define RSDP_OFF_XSDT		24
#define RSDP_LEN_MAX		4096	/* the v2 length field; larger is corrupt */
#define HDR_OFF_LENGTH		4
#define MADT_OFF_LAPIC		36
#define MADT_OFF_FLAGS		40
#define MADT_OFF_ENTRIES	44
#define FADT_OFF_CENTURY	108
#define HPET_OFF_SPACE		40	/* generic address structure: address space id */
#define HPET_OFF_ADDRESS	44	/* ... and the 64-bit address */
#define HPET_MIN_LEN		56
#define GAS_SPACE_MEMORY	0

/* MADT entry types and the size each must at least have. */
enum {
	MADT_LAPIC = 0, MADT_IOAPIC = 1, MADT_OVERRIDE = 2, MADT_NMI_SRC = 3,
	MADT_LAPIC_NMI = 4, MADT_LAPIC_ADDR = 5, MADT_X2APIC = 9, MADT_X2APIC_NMI = 10,
};
static const uint8_t madt_min_len[] = {
	[MADT_LAPIC] = 8, [MADT_IOAPIC] = 12, [MADT_OVERRIDE] = 10, [MADT_NMI_SRC] = 8,
	[MADT_LAPIC_NMI] = 6, [MADT_LAPIC_ADDR] = 12, [MADT_X2APIC] = 16,
	[MADT_X2APIC_NMI] = 12,
};

/* Firmware fields are unaligned (the XSDT's 64-bit entries start at offset 36). */
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return sum;
}

static int acpi_fail(struct acpi_diag *d, const char *what, uint64_t where)
{
	d->what = what;
	d->where = where;
	return -EINVAL;
}

int acpi_rsdp_parse(const void *buf, size_t len, struct acpi_rsdp_info *out,
		    struct acpi_diag *d)
{
	const uint8_t *p = buf;
	uint32_t xlen;

	if (len < ACPI_RSDP_V1_LEN)
		return acpi_fail(d, "RSDP truncated", len);
	if (memcmp(p, RSDP_SIG, 8))
		return acpi_fail(d, "RSDP signature is not \"RSD PTR \"", 0);
	if (acpi_checksum(p, ACPI_RSDP_V1_LEN))
		return acpi_fail(d, "RSDP checksum wrong", 0);
	memset(out, 0, sizeof(*out));
	out->revision = p[RSDP_OFF_REVISION];
	out->rsdt_pa = get32(p + RSDP_OFF_RSDT);
	memcpy(out->oem, p + 9, 6);
	if (out->revision >= 2) {
		if (len < ACPI_RSDP_V2_LEN)
			return acpi_fail(d, "RSDP v2 truncated", len);
		xlen = get32(p + RSDP_OFF_LENGTH);
		if (xlen < ACPI_RSDP_V2_LEN || xlen > RSDP_LEN_MAX)
			return acpi_fail(d, "RSDP v2 length field out of range", xlen);
		if (xlen > len)
			return acpi_fail(d, "RSDP v2 length past the readable area", xlen);
		if (acpi_checksum(p, xlen))
			return acpi_fail(d, "RSDP extended checksum wrong", 0);
		out->xsdt_pa = get64(p + RSDP_OFF_XSDT);
	}
	if (!out->rsdt_pa && !out->xsdt_pa)
		return acpi_fail(d, "RSDP names no RSDT or XSDT", 0);
	return 0;
}

int acpi_rsdp_find(const void *buf, size_t len, size_t *off)
{
	const uint8_t *p = buf;
	struct acpi_rsdp_info info;
	struct acpi_diag d;

	for (size_t o = 0; len >= ACPI_RSDP_V1_LEN && o <= len - ACPI_RSDP_V1_LEN; o += 16) {
		if (memcmp(p + o, RSDP_SIG, 8))
			continue;
		if (!acpi_rsdp_parse(p + o, len - o, &info, &d)) {
			*off = o;
			return 0;
		}
	}
	return -ENOENT;
}

int acpi_table_check(const void *tbl, size_t avail, const char *sig, uint32_t *len,
		     struct acpi_diag *d)
{
	const uint8_t *p = tbl;
	uint32_t n;

	if (avail < ACPI_HDR_LEN)
		return acpi_fail(d, "table header truncated", avail);
	if (sig && memcmp(p, sig, 4))
		return acpi_fail(d, "table signature differs from the one expected", 0);
	n = get32(p + HDR_OFF_LENGTH);
	if (n < ACPI_HDR_LEN)
		return acpi_fail(d, "table length shorter than its header", n);
	if (n > ACPI_TABLE_MAX)
		return acpi_fail(d, "table length absurdly large", n);
	if (n > avail)
		return acpi_fail(d, "table length past the readable area", n);
	if (acpi_checksum(p, n))
		return acpi_fail(d, "table checksum wrong", 0);
	*len = n;
	return 0;
}

int acpi_root_entries(const void *tbl, uint32_t len, bool xsdt, uint64_t *pa, unsigned int max,
		      unsigned int *n, struct acpi_diag *d)
{
	const uint8_t *p = tbl;
	uint32_t esize = xsdt ? 8 : 4, count;

	if (len < ACPI_HDR_LEN || (len - ACPI_HDR_LEN) % esize)
		return acpi_fail(d, "root table length is not a whole number of entries", len);
	count = (len - ACPI_HDR_LEN) / esize;
	*n = MIN(count, max);
	for (unsigned int i = 0; i < *n; i++) {
		const uint8_t *e = p + ACPI_HDR_LEN + i * esize;

		pa[i] = xsdt ? get64(e) : get32(e);
	}
	return 0;
}

/* One MADT entry of @type, already checked to be within the table and long enough. */
static void acpi_madt_entry(struct acpi_madt_info *m, uint8_t type, const uint8_t *e)
{
	uint32_t cpu_flags = 0, uid = 0, apic_id = 0;
	uint64_t pa;

	switch (type) {
	case MADT_LAPIC:
	case MADT_X2APIC:
		if (type == MADT_LAPIC) {
			uid = e[2];
			apic_id = e[3];
			cpu_flags = get32(e + 4);
		} else {
			apic_id = get32(e + 4);
			cpu_flags = get32(e + 8);
			uid = get32(e + 12);
		}
		if (!(cpu_flags & (ACPI_MADT_CPU_ENABLED | ACPI_MADT_CPU_ONLINE_CAP)))
			return;			/* absent processor: normal, not an error */
		if (m->nr_cpus == ACPI_MAX_CPUS)
			goto ignored;
		m->cpus[m->nr_cpus++] = (struct acpi_cpu){ uid, apic_id, cpu_flags };
		return;
	case MADT_IOAPIC:
		if (!get32(e + 4) || m->nr_ioapics == ACPI_MAX_IOAPICS)
			goto ignored;
		m->ioapics[m->nr_ioapics++] = (struct acpi_ioapic){
			.id = e[2], .pa = get32(e + 4), .gsi_base = get32(e + 8) };
		return;
	case MADT_OVERRIDE: {
		uint16_t inti = get16(e + 8);

		/* Only the ISA bus has overrides; polarity 2 and trigger 2 are reserved. */
		if (e[2] != 0 || e[3] > 15 || (inti & ACPI_INTI_POL_MASK) == 2 ||
		    (inti & ACPI_INTI_TRIG_MASK) == 8 || m->nr_overrides == ACPI_MAX_OVERRIDES)
			goto ignored;
		for (unsigned int i = 0; i < m->nr_overrides; i++)
			if (m->overrides[i].source == e[3])
				goto ignored;	/* a second override of one IRQ: keep the first */
		m->overrides[m->nr_overrides++] = (struct acpi_override){
			.source = e[3], .gsi = get32(e + 4), .inti = inti };
		return;
	}
	case MADT_LAPIC_NMI:
	case MADT_X2APIC_NMI: {
		struct acpi_lapic_nmi nmi;

		if (type == MADT_LAPIC_NMI)
			nmi = (struct acpi_lapic_nmi){ .uid = e[2] == 0xff ? ACPI_NMI_ALL_CPUS : e[2],
						       .inti = get16(e + 3), .lint = e[5] };
		else
			nmi = (struct acpi_lapic_nmi){ .uid = get32(e + 4), .inti = get16(e + 2),
						       .lint = e[8] };
		if (nmi.lint > 1 || m->nr_nmis == ACPI_MAX_LAPIC_NMIS)
			goto ignored;
		m->nmis[m->nr_nmis++] = nmi;
		return;
	}
	case MADT_LAPIC_ADDR:
		pa = get64(e + 4);
		if (pa)
			m->lapic_pa = pa;
		return;
	default:
		return;				/* NMI sources and newer types: not used */
	}
ignored:
	m->nr_ignored++;
}

int acpi_madt_parse(const void *tbl, uint32_t len, struct acpi_madt_info *m,
		    struct acpi_diag *d)
{
	const uint8_t *p = tbl;
	uint32_t off = MADT_OFF_ENTRIES;

	memset(m, 0, sizeof(*m));
	if (len < MADT_OFF_ENTRIES)
		return acpi_fail(d, "MADT shorter than its fixed fields", len);
	m->lapic_pa = get32(p + MADT_OFF_LAPIC);
	m->flags = get32(p + MADT_OFF_FLAGS);
	while (off < len) {
		uint8_t type, elen;

		if (len - off < 2)
			return acpi_fail(d, "MADT entry header runs past the table", off);
		type = p[off];
		elen = p[off + 1];
		if (elen < 2)
			return acpi_fail(d, "MADT entry length below 2 (would loop forever)", off);
		if (elen > len - off)
			return acpi_fail(d, "MADT entry runs past the table", off);
		if (type < ARRAY_SIZE(madt_min_len) && elen < madt_min_len[type])
			return acpi_fail(d, "MADT entry too short for its type", off);
		acpi_madt_entry(m, type, p + off);
		off += elen;
	}
	if (!m->lapic_pa)
		return acpi_fail(d, "MADT gives no local APIC address", MADT_OFF_LAPIC);
	return 0;
}

int acpi_isa_irq_to_gsi(const struct acpi_madt_info *m, unsigned int irq, unsigned int *gsi)
{
	if (irq > 15)
		return -EINVAL;
	*gsi = irq;
	for (unsigned int i = 0; i < m->nr_overrides; i++)
		if (m->overrides[i].source == irq)
			*gsi = m->overrides[i].gsi;
	return 0;
}

unsigned int acpi_gsi_inti(const struct acpi_madt_info *m, unsigned int gsi)
{
	for (unsigned int i = 0; i < m->nr_overrides; i++) {
		unsigned int inti = m->overrides[i].inti, pol, trig;

		if (m->overrides[i].gsi != gsi)
			continue;
		pol = inti & ACPI_INTI_POL_MASK;
		trig = inti & ACPI_INTI_TRIG_MASK;
		if (pol == ACPI_INTI_POL_CONFORM)
			pol = ACPI_INTI_POL_HIGH;	/* ISA's default */
		if (trig == ACPI_INTI_TRIG_CONFORM)
			trig = ACPI_INTI_TRIG_EDGE;
		return pol | trig;
	}
	if (gsi < 16)
		return ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_EDGE;
	return ACPI_INTI_POL_LOW | ACPI_INTI_TRIG_LEVEL;
}

int acpi_lapic_nmi(const struct acpi_madt_info *m, uint32_t apic_id, unsigned int *lint,
		   unsigned int *inti)
{
	uint32_t uid = ACPI_NMI_ALL_CPUS;		/* unknown CPU: only "all" entries apply */

	for (unsigned int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].apic_id == apic_id)
			uid = m->cpus[i].uid;
	for (unsigned int i = 0; i < m->nr_nmis; i++) {
		if (m->nmis[i].uid != ACPI_NMI_ALL_CPUS && m->nmis[i].uid != uid)
			continue;
		*lint = m->nmis[i].lint;
		*inti = m->nmis[i].inti;
		return 0;
	}
	return -ENOENT;
}

int acpi_fadt_century(const void *fadt, uint32_t len, uint8_t *reg)
{
	if (len <= FADT_OFF_CENTURY)
		return -EINVAL;
	*reg = ((const uint8_t *)fadt)[FADT_OFF_CENTURY];
	return 0;
}

int acpi_hpet_base(const void *tbl, uint32_t len, uint64_t *pa, struct acpi_diag *d)
{
	const uint8_t *p = tbl;

	if (len < HPET_MIN_LEN)
		return acpi_fail(d, "HPET table shorter than its fields", len);
	if (p[HPET_OFF_SPACE] != GAS_SPACE_MEMORY)
		return acpi_fail(d, "HPET registers not in memory space", p[HPET_OFF_SPACE]);
	*pa = get64(p + HPET_OFF_ADDRESS);
	if (!*pa)
		return acpi_fail(d, "HPET address is 0", HPET_OFF_ADDRESS);
	return 0;
}

/* ---- the platform's tables ------------------------------------------------------------- */

#define BDA_EBDA_SEG		0x40e		/* BIOS data area: EBDA segment (16-bit) */
#define EBDA_SCAN_LEN		1024		/* the RSDP is in the EBDA's first KiB */
#define BIOS_ROM_BASE		0xe0000
#define BIOS_ROM_LEN		0x20000		/* 0xE0000-0xFFFFF */

static struct {
	bool present;			/* acpi_init succeeded */
	uint64_t rsdp_pa;		/* where the RSDP was */
	bool xsdt;			/* tables[] came from the XSDT (else the RSDT) */
	unsigned int nr_tables;		/* valid entries in tables[] */
	uint64_t tables[ACPI_MAX_TABLES];	/* physical addresses the root table lists */
} acpi;

/* Firmware tables are read through os_memremap_ro() (RAM: the kernel window; elsewhere a
 * read-only mapping), released with os_iounmap(). */
static const void *acpi_map(uint64_t pa, size_t len)
{
	return os_memremap_ro(pa, len);
}

static void acpi_unmap(const void *va, size_t len)
{
	if (va)
		os_iounmap(va, len);
}

/* Look for the RSDP where BIOSes put it: the EBDA's first KiB, then 0xE0000-0xFFFFF. */
static int acpi_scan_rsdp(uint64_t *pa)
{
	const uint8_t *bda, *area;
	uint64_t ebda = 0;
	size_t off;
	int err;

	bda = acpi_map(BDA_EBDA_SEG, 2);
	if (bda) {
		ebda = (uint64_t)get16(bda) << 4;
		acpi_unmap(bda, 2);
	}
	if (ebda >= 0x80000 && ebda < 0xa0000) {	/* else the BDA holds garbage */
		area = acpi_map(ebda, EBDA_SCAN_LEN);
		if (area) {
			err = acpi_rsdp_find(area, EBDA_SCAN_LEN, &off);
			acpi_unmap(area, EBDA_SCAN_LEN);
			if (!err) {
				*pa = ebda + off;
				return 0;
			}
		}
	}
	area = acpi_map(BIOS_ROM_BASE, BIOS_ROM_LEN);
	if (!area)
		return -ENOMEM;
	err = acpi_rsdp_find(area, BIOS_ROM_LEN, &off);
	acpi_unmap(area, BIOS_ROM_LEN);
	if (!err)
		*pa = BIOS_ROM_BASE + off;
	return err;
}

static int acpi_read_rsdp(uint64_t pa, struct acpi_rsdp_info *info, struct acpi_diag *d)
{
	size_t len = ACPI_RSDP_V2_LEN;
	const uint8_t *p;
	uint32_t xlen;
	int err;

	p = acpi_map(pa, len);
	if (!p)
		return -ENOMEM;
	/* A v2 RSDP longer than 36 bytes (a future revision): map all of it. */
	xlen = get32(p + RSDP_OFF_LENGTH);
	if (p[RSDP_OFF_REVISION] >= 2 && xlen > len && xlen <= RSDP_LEN_MAX) {
		acpi_unmap(p, len);
		len = xlen;
		p = acpi_map(pa, len);
		if (!p)
			return -ENOMEM;
	}
	err = acpi_rsdp_parse(p, len, info, d);
	acpi_unmap(p, len);
	return err;
}

/* Map the table at @pa in full and check it: header first, to learn the length. */
static int acpi_map_table(uint64_t pa, const char *sig, const void **tbl, uint32_t *len,
			  struct acpi_diag *d)
{
	const uint8_t *p;
	uint32_t n;
	int err;

	p = acpi_map(pa, ACPI_HDR_LEN);
	if (!p)
		return -ENOMEM;
	n = get32(p + HDR_OFF_LENGTH);
	acpi_unmap(p, ACPI_HDR_LEN);
	if (n < ACPI_HDR_LEN || n > ACPI_TABLE_MAX)
		return acpi_fail(d, "table length out of range", n);
	p = acpi_map(pa, n);
	if (!p)
		return -ENOMEM;
	err = acpi_table_check(p, n, sig, len, d);
	if (err) {
		acpi_unmap(p, n);
		return err;
	}
	*tbl = p;
	return 0;
}

/* Remember the tables a root table lists. */
static int acpi_load_root(uint64_t pa, bool xsdt, struct acpi_diag *d)
{
	const void *tbl;
	uint32_t len;
	int err;

	err = acpi_map_table(pa, xsdt ? "XSDT" : "RSDT", &tbl, &len, d);
	if (err)
		return err;
	err = acpi_root_entries(tbl, len, xsdt, acpi.tables, ACPI_MAX_TABLES, &acpi.nr_tables, d);
	if (!err && (len - ACPI_HDR_LEN) / (xsdt ? 8 : 4) > ACPI_MAX_TABLES)
		printk("pvkit: warning: acpi: more than %d tables; ignoring the rest\n",
		       ACPI_MAX_TABLES);
	acpi_unmap(tbl, len);
	acpi.xsdt = xsdt;
	return err;
}

/* One line naming every table, so a boot log shows what the firmware offered. */
static void acpi_print_tables(void)
{
	char line[5 * ACPI_MAX_TABLES + 1];
	size_t used = 0;

	line[0] = 0;
	for (unsigned int i = 0; i < acpi.nr_tables; i++) {
		const char *h = acpi_map(acpi.tables[i], 4);

		if (!h)
			continue;
		line[used++] = ' ';
		for (int c = 0; c < 4; c++)	/* printable or '?': it is firmware's text */
			line[used++] = h[c] >= 0x20 && h[c] < 0x7f ? h[c] : '?';
		line[used] = 0;
		acpi_unmap(h, 4);
	}
	printk("pvkit: acpi: %u tables:%s\n", acpi.nr_tables, line);
}

/* Why a table could not be used, for a message: the parser's words, or that it is unmappable. */
static const char *acpi_why(int err, const struct acpi_diag *d)
{
	return err == -ENOMEM ? "cannot be mapped" : d->what ? d->what : "malformed";
}

/* The XSDT if it is usable, else the RSDT; *pa gets the one used. */
static int acpi_pick_root(const struct acpi_rsdp_info *rsdp, uint64_t *pa)
{
	struct acpi_diag d = { 0 };
	int err;

	if (rsdp->xsdt_pa) {
		*pa = rsdp->xsdt_pa;
		err = acpi_load_root(*pa, true, &d);
		if (!err)
			return 0;
		printk("pvkit: %s: acpi: XSDT at %#lx: %s (at %#lx)%s\n",
		       rsdp->rsdt_pa ? "warning" : "error", *pa, acpi_why(err, &d), d.where,
		       rsdp->rsdt_pa ? "; trying the RSDT" : "");
		if (!rsdp->rsdt_pa)
			return err;
	}
	d = (struct acpi_diag){ 0 };
	*pa = rsdp->rsdt_pa;
	err = acpi_load_root(*pa, false, &d);
	if (err)
		printk("pvkit: error: acpi: RSDT at %#lx: %s (at %#lx)\n", *pa, acpi_why(err, &d),
		       d.where);
	return err;
}

int acpi_init(const struct boot_info *bi)
{
	struct acpi_rsdp_info rsdp;
	struct acpi_diag d = { 0 };
	uint64_t rsdp_pa = bi->rsdp_pa, pa;
	int err = 0;

	memset(&acpi, 0, sizeof(acpi));		/* a failed init leaves nothing behind */
	if (!rsdp_pa)
		err = acpi_scan_rsdp(&rsdp_pa);
	if (err) {
		printk("pvkit: acpi: no RSDP (not from the loader, not in the BIOS areas)\n");
		return err == -ENOMEM ? err : -ENOENT;
	}
	err = acpi_read_rsdp(rsdp_pa, &rsdp, &d);
	if (err) {
		printk("pvkit: error: acpi: RSDP at %#lx: %s (at %#lx)\n", rsdp_pa,
		       acpi_why(err, &d), d.where);
		return err;
	}
	err = acpi_pick_root(&rsdp, &pa);
	if (err)
		return err;
	acpi.present = true;
	acpi.rsdp_pa = rsdp_pa;
	printk("pvkit: acpi: RSDP at %#lx (%s) rev %u oem \"%s\", %s at %#lx\n", rsdp_pa,
	       bi->rsdp_pa ? "from the loader" : "found by scanning", rsdp.revision, rsdp.oem,
	       acpi.xsdt ? "XSDT" : "RSDT", pa);
	acpi_print_tables();
	return 0;
}

bool acpi_present(void)
{
	return acpi.present;
}

int acpi_get_table(const char *sig, unsigned int instance, const void **tbl, uint32_t *len)
{
	struct acpi_diag d = { 0 };
	int err;

	for (unsigned int i = 0; i < acpi.nr_tables; i++) {
		const char *h;
		bool match;

		if (!acpi.tables[i])
			continue;
		h = acpi_map(acpi.tables[i], 4);
		if (!h)
			return -ENOMEM;
		match = !memcmp(h, sig, 4);
		acpi_unmap(h, 4);
		if (!match || instance--)
			continue;
		err = acpi_map_table(acpi.tables[i], sig, tbl, len, &d);
		if (err == -EINVAL)
			printk("pvkit: error: acpi: %.4s at %#lx: %s (at %#lx)\n", sig,
			       acpi.tables[i], d.what, d.where);
		return err;
	}
	return -ENOENT;
}

void acpi_put_table(const void *tbl, uint32_t len)
{
	acpi_unmap(tbl, len);
}

int acpi_get_madt(struct acpi_madt_info *m)
{
	struct acpi_diag d = { 0 };
	const void *tbl;
	uint32_t len;
	int err;

	err = acpi_get_table(ACPI_SIG_MADT, 0, &tbl, &len);
	if (err)
		return err;
	err = acpi_madt_parse(tbl, len, m, &d);
	acpi_put_table(tbl, len);
	if (err)
		printk("pvkit: error: acpi: MADT: %s (at offset %#lx)\n", d.what, d.where);
	else if (m->nr_ignored)
		printk("pvkit: warning: acpi: MADT: ignored %u entries (bad values or too many)\n",
		       m->nr_ignored);
	return err;
}
