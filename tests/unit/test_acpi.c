// SPDX-License-Identifier: MIT
/*
 * drivers/native/acpi.c against hostile firmware: RSDP, RSDT/XSDT, MADT, FADT and HPET tables
 * with bad checksums, truncated or zero-length entries and lengths past the end. Parsers get
 * exactly-sized heap buffers; the discovery code gets a fake physical memory whose every
 * mapping is an exactly-sized heap copy, freed by os_iounmap(): reading past a mapping or after
 * unmapping it is an ASan error, and a mapping never unmapped is a leak report.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/acpi.h>
#include <pvkit/errno.h>
#include <pvkit/ioapic.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include "unit.h"

/* ---- fakes: console and physical memory ------------------------------------------------- */

static char last_msg[512];		/* the last printk line, to check what was said */

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	printf("#   (printk) %s", last_msg);
	return n;
}

#define FAKE_RAM_SIZE	(1u << 24)	/* 16 MiB of "physical memory" */
static uint8_t *ram;			/* the fake physical memory */
static unsigned int live_maps;		/* os_memremap_ro() not yet undone */

const void *os_memremap_ro(uint64_t pa, size_t len)
{
	void *copy;

	if (!len || pa >= FAKE_RAM_SIZE || len > FAKE_RAM_SIZE - pa)
		return NULL;
	copy = malloc(len);
	memcpy(copy, ram + pa, len);
	live_maps++;
	return copy;
}

void os_iounmap(const void *va, size_t len)
{
	free((void *)va);
	live_maps--;
}

static void ram_reset(void)
{
	if (!ram)
		ram = malloc(FAKE_RAM_SIZE);
	memset(ram, 0, FAKE_RAM_SIZE);
}

/* ---- table builders ---------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void fix_sum(uint8_t *p, size_t len, size_t at)
{
	uint8_t sum = 0;

	p[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum += p[i];
	p[at] = (uint8_t)-sum;
}

/* A v0 (20-byte) or v2 (36-byte) RSDP. */
static void make_rsdp(uint8_t *p, unsigned int rev, uint32_t rsdt, uint64_t xsdt)
{
	memset(p, 0, 36);
	memcpy(p, "RSD PTR ", 8);
	memcpy(p + 9, "PVKIT ", 6);
	p[15] = rev;
	put32(p + 16, rsdt);
	if (rev >= 2) {
		put32(p + 20, 36);
		put64(p + 24, xsdt);
	}
	fix_sum(p, 20, 8);
	if (rev >= 2)
		fix_sum(p, 36, 32);
}

static void make_hdr(uint8_t *p, const char *sig, uint32_t len)
{
	memset(p, 0, 36);
	memcpy(p, sig, 4);
	put32(p + 4, len);
	p[8] = 1;
	memcpy(p + 10, "PVKIT ", 6);
}

struct madt {
	uint8_t buf[1024];		/* the table being built */
	uint32_t len;			/* bytes used */
};

static void madt_begin(struct madt *m, uint32_t lapic_pa, uint32_t flags)
{
	memset(m, 0, sizeof(*m));
	make_hdr(m->buf, "APIC", 44);
	put32(m->buf + 36, lapic_pa);
	put32(m->buf + 40, flags);
	m->len = 44;
}

static uint8_t *madt_entry(struct madt *m, uint8_t type, uint8_t len)
{
	uint8_t *e = m->buf + m->len;

	e[0] = type;
	e[1] = len;
	m->len += len;
	return e;
}

static void madt_lapic(struct madt *m, uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t *e = madt_entry(m, 0, 8);

	e[2] = uid;
	e[3] = id;
	put32(e + 4, flags);
}

static void madt_ioapic(struct madt *m, uint8_t id, uint32_t pa, uint32_t gsi_base)
{
	uint8_t *e = madt_entry(m, 1, 12);

	e[2] = id;
	put32(e + 4, pa);
	put32(e + 8, gsi_base);
}

static void madt_override(struct madt *m, uint8_t bus, uint8_t src, uint32_t gsi,
			  uint16_t inti)
{
	uint8_t *e = madt_entry(m, 2, 10);

	e[2] = bus;
	e[3] = src;
	put32(e + 4, gsi);
	put16(e + 8, inti);
}

static void madt_lapic_nmi(struct madt *m, uint8_t uid, uint16_t inti, uint8_t lint)
{
	uint8_t *e = madt_entry(m, 4, 6);

	e[2] = uid;
	put16(e + 3, inti);
	e[5] = lint;
}

static void madt_end(struct madt *m)
{
	put32(m->buf + 4, m->len);
	fix_sum(m->buf, m->len, 9);
}

/* What QEMU's q35 gives one CPU. */
static void madt_qemu(struct madt *m)
{
	madt_begin(m, 0xfee00000, ACPI_MADT_PCAT_COMPAT);
	madt_lapic(m, 0, 0, ACPI_MADT_CPU_ENABLED);
	madt_ioapic(m, 0, 0xfec00000, 0);
	madt_override(m, 0, 0, 2, 0);
	madt_override(m, 0, 5, 5, ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_LEVEL);
	madt_override(m, 0, 9, 9, ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_LEVEL);
	madt_override(m, 0, 10, 10, ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_LEVEL);
	madt_override(m, 0, 11, 11, ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_LEVEL);
	madt_lapic_nmi(m, 0xff, 0, 1);
	madt_end(m);
}

/* Parse a copy in an exactly-sized heap buffer. */
static int parse_madt_n(const struct madt *m, uint32_t len, struct acpi_madt_info *info,
			struct acpi_diag *d)
{
	uint8_t *copy = malloc(len ? len : 1);
	int err;

	memcpy(copy, m->buf, len);
	err = acpi_madt_parse(copy, len, info, d);
	free(copy);
	return err;
}

static int parse_madt(const struct madt *m, struct acpi_madt_info *info, struct acpi_diag *d)
{
	return parse_madt_n(m, m->len, info, d);
}

/* ---- RSDP -------------------------------------------------------------------------------- */

static int rsdp_parse_n(const uint8_t *p, size_t len, struct acpi_rsdp_info *info,
			struct acpi_diag *d)
{
	uint8_t *copy = malloc(len);
	int err;

	memcpy(copy, p, len);
	err = acpi_rsdp_parse(copy, len, info, d);
	free(copy);
	return err;
}

static void rsdp_valid(void)
{
	struct acpi_rsdp_info info;
	struct acpi_diag d = { 0 };
	uint8_t p[36];

	make_rsdp(p, 0, 0x7fe0000, 0);
	CHECK(rsdp_parse_n(p, 20, &info, &d) == 0);
	CHECK(info.revision == 0 && info.rsdt_pa == 0x7fe0000 && info.xsdt_pa == 0);
	CHECK(!strcmp(info.oem, "PVKIT "));
	make_rsdp(p, 2, 0x7fe0000, 0x17fe0000ull);
	CHECK(rsdp_parse_n(p, 36, &info, &d) == 0);
	CHECK(info.revision == 2 && info.xsdt_pa == 0x17fe0000ull);
}

static void rsdp_malformed(void)
{
	struct acpi_rsdp_info info;
	struct acpi_diag d = { 0 };
	uint8_t p[64];

	make_rsdp(p, 0, 0x1000, 0);
	CHECK(rsdp_parse_n(p, 19, &info, &d) == -EINVAL && strstr(d.what, "truncated"));
	p[0] = 'X';
	CHECK(rsdp_parse_n(p, 20, &info, &d) == -EINVAL && strstr(d.what, "signature"));
	make_rsdp(p, 0, 0x1000, 0);
	p[16] ^= 1;
	CHECK(rsdp_parse_n(p, 20, &info, &d) == -EINVAL && strstr(d.what, "checksum"));

	make_rsdp(p, 2, 0, 0x2000);
	CHECK(rsdp_parse_n(p, 20, &info, &d) == -EINVAL && strstr(d.what, "v2 truncated"));
	p[24] ^= 1;				/* first 20 bytes still fine */
	CHECK(rsdp_parse_n(p, 36, &info, &d) == -EINVAL && strstr(d.what, "extended checksum"));
	make_rsdp(p, 2, 0, 0x2000);
	put32(p + 20, 20);			/* length below 36 */
	fix_sum(p, 36, 32);
	CHECK(rsdp_parse_n(p, 36, &info, &d) == -EINVAL && strstr(d.what, "out of range"));
	put32(p + 20, 48);			/* past what is readable */
	fix_sum(p, 36, 32);
	CHECK(rsdp_parse_n(p, 36, &info, &d) == -EINVAL && strstr(d.what, "past"));
	put32(p + 20, 0xffffffffu);
	fix_sum(p, 36, 32);
	CHECK(rsdp_parse_n(p, 36, &info, &d) == -EINVAL && strstr(d.what, "out of range"));

	make_rsdp(p, 2, 0, 0);
	CHECK(rsdp_parse_n(p, 36, &info, &d) == -EINVAL && strstr(d.what, "no RSDT"));
}

static void rsdp_scan(void)
{
	size_t len = 0x20000, off = 0;
	uint8_t *area = calloc(1, len);

	/* A decoy with a bad checksum, one that is not 16-byte aligned, then the real one. */
	make_rsdp(area + 0x100, 0, 0x1000, 0);
	area[0x100 + 16] ^= 0x55;
	make_rsdp(area + 0x208, 0, 0x1000, 0);
	make_rsdp(area + 0x5a0, 2, 0x1000, 0x2000);
	CHECK(acpi_rsdp_find(area, len, &off) == 0 && off == 0x5a0);
	memset(area, 0, len);
	/* A v0 RSDP in the last 20 bytes: found without reading past the end. */
	make_rsdp(area + len - 48, 0, 0x1000, 0);
	CHECK(acpi_rsdp_find(area + 16, len - 28 - 16, &off) == 0 && off == len - 48 - 16);
	/* A v2 RSDP whose extended part would be past the end: not accepted. */
	memset(area, 0, len);
	make_rsdp(area + len - 48, 2, 0x1000, 0x2000);
	CHECK(acpi_rsdp_find(area, len - 28, &off) == -ENOENT);
	memset(area, 0, len);
	CHECK(acpi_rsdp_find(area, len, &off) == -ENOENT);
	CHECK(acpi_rsdp_find(area, 19, &off) == -ENOENT);
	CHECK(acpi_rsdp_find(area, 0, &off) == -ENOENT);
	free(area);
	/* Exactly 37 bytes ending in a partial signature at a 16-byte boundary: no read past. */
	area = calloc(1, 37);
	memcpy(area + 32, "RSD P", 5);
	CHECK(acpi_rsdp_find(area, 37, &off) == -ENOENT);
	free(area);
}

/* ---- table header, RSDT/XSDT ------------------------------------------------------------- */

static int check_n(const uint8_t *p, size_t avail, const char *sig, uint32_t *len,
		   struct acpi_diag *d)
{
	uint8_t *copy = malloc(avail ? avail : 1);
	int err;

	memcpy(copy, p, avail);
	err = acpi_table_check(copy, avail, sig, len, d);
	free(copy);
	return err;
}

static void table_header(void)
{
	struct acpi_diag d = { 0 };
	uint8_t t[64];
	uint32_t len = 0;

	make_hdr(t, "FACP", 64);
	fix_sum(t, 64, 9);
	CHECK(check_n(t, 64, "FACP", &len, &d) == 0 && len == 64);
	CHECK(check_n(t, 64, NULL, &len, &d) == 0);
	CHECK(check_n(t, 35, "FACP", &len, &d) == -EINVAL && strstr(d.what, "header truncated"));
	CHECK(check_n(t, 64, "APIC", &len, &d) == -EINVAL && strstr(d.what, "signature"));
	CHECK(check_n(t, 63, "FACP", &len, &d) == -EINVAL && strstr(d.what, "past"));
	t[50] ^= 1;
	CHECK(check_n(t, 64, "FACP", &len, &d) == -EINVAL && strstr(d.what, "checksum"));
	put32(t + 4, 35);
	CHECK(check_n(t, 64, NULL, &len, &d) == -EINVAL && strstr(d.what, "shorter"));
	put32(t + 4, 0);
	CHECK(check_n(t, 64, NULL, &len, &d) == -EINVAL && strstr(d.what, "shorter"));
	put32(t + 4, 0xffffffffu);
	CHECK(check_n(t, 64, NULL, &len, &d) == -EINVAL && strstr(d.what, "absurd"));
}

static void root_tables(void)
{
	struct acpi_diag d = { 0 };
	uint64_t pa[4] = { 0 };
	unsigned int n = 99;
	uint8_t *t;

	/* RSDT: 32-bit entries. */
	t = calloc(1, 36 + 12);
	put32(t + 36, 0x1000);
	put32(t + 40, 0x2000);
	put32(t + 44, 0x3000);
	CHECK(acpi_root_entries(t, 48, false, pa, 4, &n, &d) == 0 && n == 3);
	CHECK(pa[0] == 0x1000 && pa[1] == 0x2000 && pa[2] == 0x3000);
	CHECK(acpi_root_entries(t, 48, false, pa, 2, &n, &d) == 0 && n == 2);	/* capped */
	CHECK(acpi_root_entries(t, 47, false, pa, 4, &n, &d) == -EINVAL);
	free(t);
	/* XSDT: 64-bit entries at offset 36, so misaligned: read without UB. */
	t = calloc(1, 36 + 16);
	put64(t + 36, 0x100000000ull);
	put64(t + 44, 0x2000);
	CHECK(acpi_root_entries(t, 52, true, pa, 4, &n, &d) == 0 && n == 2);
	CHECK(pa[0] == 0x100000000ull && pa[1] == 0x2000);
	CHECK(acpi_root_entries(t, 48, true, pa, 4, &n, &d) == -EINVAL && strstr(d.what, "whole"));
	CHECK(acpi_root_entries(t, 36, true, pa, 4, &n, &d) == 0 && n == 0);
	free(t);
}

/* ---- MADT -------------------------------------------------------------------------------- */

static void madt_qemu_like(void)
{
	struct acpi_madt_info m;
	struct acpi_diag d = { 0 };
	unsigned int gsi = 99, lint = 9, inti = 9;
	struct madt t;

	madt_qemu(&t);
	CHECK(parse_madt(&t, &m, &d) == 0);
	CHECK(m.lapic_pa == 0xfee00000 && (m.flags & ACPI_MADT_PCAT_COMPAT));
	CHECK(m.nr_cpus == 1 && m.cpus[0].apic_id == 0);
	CHECK(m.nr_ioapics == 1 && m.ioapics[0].pa == 0xfec00000 && m.ioapics[0].gsi_base == 0);
	CHECK(m.nr_overrides == 5 && m.nr_nmis == 1 && m.nr_ignored == 0);
	/* IRQ0 arrives on GSI 2, edge/high (conforming = ISA); the SCI on GSI 9, level/high. */
	CHECK(acpi_isa_irq_to_gsi(&m, 0, &gsi) == 0 && gsi == 2);
	CHECK(acpi_isa_irq_to_gsi(&m, 4, &gsi) == 0 && gsi == 4);
	CHECK(acpi_isa_irq_to_gsi(&m, 16, &gsi) == -EINVAL);
	CHECK(acpi_gsi_inti(&m, 2) == (ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_EDGE));
	CHECK(acpi_gsi_inti(&m, 9) == (ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_LEVEL));
	CHECK(acpi_gsi_inti(&m, 4) == (ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_EDGE));
	CHECK(acpi_gsi_inti(&m, 16) == (ACPI_INTI_POL_LOW | ACPI_INTI_TRIG_LEVEL));
	CHECK(acpi_lapic_nmi(&m, 0, &lint, &inti) == 0 && lint == 1 && inti == 0);
}

static void madt_variants(void)
{
	struct acpi_madt_info m;
	struct acpi_diag d = { 0 };
	unsigned int lint = 9, inti = 9;
	struct madt t;
	uint8_t *e;

	madt_begin(&t, 0xfee00000, 0);
	madt_lapic(&t, 1, 0, ACPI_MADT_CPU_ENABLED);
	madt_lapic(&t, 2, 1, 0);				/* absent CPU: not counted */
	madt_lapic(&t, 3, 2, ACPI_MADT_CPU_ONLINE_CAP);
	e = madt_entry(&t, 9, 16);				/* x2APIC CPU */
	put32(e + 4, 0x1000);
	put32(e + 8, ACPI_MADT_CPU_ENABLED);
	put32(e + 12, 77);
	e = madt_entry(&t, 5, 12);				/* LAPIC address override */
	put64(e + 4, 0xfee10000);
	madt_lapic_nmi(&t, 3, ACPI_INTI_POL_LOW, 0);		/* only for UID 3 */
	e = madt_entry(&t, 10, 12);				/* x2APIC NMI, UID 77 */
	put16(e + 2, 0);
	put32(e + 4, 77);
	e[8] = 1;
	e = madt_entry(&t, 0x7f, 5);				/* a type from the future */
	e = madt_entry(&t, 1, 16);				/* IOAPIC entry, longer than v1 */
	put32(e + 4, 0xfec01000);
	put32(e + 8, 24);
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == 0);
	CHECK(m.lapic_pa == 0xfee10000);
	CHECK(m.nr_cpus == 3 && m.cpus[2].apic_id == 0x1000 && m.cpus[2].uid == 77);
	CHECK(m.nr_ioapics == 1 && m.ioapics[0].gsi_base == 24);
	CHECK(acpi_lapic_nmi(&m, 2, &lint, &inti) == 0 && lint == 0 &&
	      inti == ACPI_INTI_POL_LOW);				/* APIC id 2 is UID 3 */
	CHECK(acpi_lapic_nmi(&m, 0x1000, &lint, &inti) == 0 && lint == 1);
	CHECK(acpi_lapic_nmi(&m, 0, &lint, &inti) == -ENOENT);	/* UID 1: none */
	CHECK(!(m.flags & ACPI_MADT_PCAT_COMPAT));
}

static void madt_bad_values_ignored(void)
{
	struct acpi_madt_info m;
	struct acpi_diag d = { 0 };
	struct madt t;

	madt_begin(&t, 0xfee00000, 0);
	madt_override(&t, 1, 4, 20, 0);				/* not the ISA bus */
	madt_override(&t, 0, 16, 20, 0);			/* not an ISA IRQ */
	madt_override(&t, 0, 3, 20, 2);				/* reserved polarity */
	madt_override(&t, 0, 3, 20, 8);				/* reserved trigger */
	madt_override(&t, 0, 4, 20, ACPI_INTI_POL_LOW | ACPI_INTI_TRIG_LEVEL);
	madt_override(&t, 0, 4, 21, 0);				/* second for IRQ 4 */
	madt_ioapic(&t, 0, 0, 0);				/* address 0 */
	for (int i = 0; i < ACPI_MAX_IOAPICS + 2; i++)
		madt_ioapic(&t, i, 0xfec00000 + i * 0x1000, i * 24);
	madt_lapic_nmi(&t, 0xff, 0, 2);				/* LINT2 does not exist */
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == 0);
	CHECK(m.nr_overrides == 1 && m.overrides[0].source == 4 && m.overrides[0].gsi == 20);
	CHECK(m.nr_ioapics == ACPI_MAX_IOAPICS && m.nr_nmis == 0);
	CHECKF(m.nr_ignored == 5 + 1 + 2 + 1, "ignored %u", m.nr_ignored);
	/* The surviving override: IRQ 4 on GSI 20, level/low as it says. */
	CHECK(acpi_gsi_inti(&m, 20) == (ACPI_INTI_POL_LOW | ACPI_INTI_TRIG_LEVEL));
	CHECK(acpi_gsi_inti(&m, 4) == (ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_EDGE));
}

static void madt_malformed(void)
{
	struct acpi_madt_info m;
	struct acpi_diag d = { 0 };
	struct madt t;
	uint8_t *e;

	madt_qemu(&t);
	CHECK(parse_madt_n(&t, 43, &m, &d) == -EINVAL && strstr(d.what, "fixed fields"));

	/* Entry length 0: must not loop forever on it. */
	madt_begin(&t, 0xfee00000, 0);
	madt_lapic(&t, 0, 0, 1);
	e = madt_entry(&t, 0, 8);
	e[1] = 0;
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == -EINVAL && strstr(d.what, "below 2") && d.where == 52);
	e[1] = 1;
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == -EINVAL && strstr(d.what, "below 2"));

	/* An entry that says it is longer than what is left of the table. */
	madt_begin(&t, 0xfee00000, 0);
	madt_ioapic(&t, 0, 0xfec00000, 0);
	t.buf[t.len - 12 + 1] = 40;
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == -EINVAL && strstr(d.what, "past the table"));
	CHECK(d.where == 44);

	/* Only one byte of an entry header left. */
	madt_begin(&t, 0xfee00000, 0);
	madt_lapic(&t, 0, 0, 1);
	t.buf[t.len++] = 1;
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == -EINVAL && strstr(d.what, "header runs past"));

	/* Entries too short for their type: an IOAPIC of 8 bytes, an override of 6. */
	madt_begin(&t, 0xfee00000, 0);
	madt_entry(&t, 1, 8);
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == -EINVAL && strstr(d.what, "too short"));
	madt_begin(&t, 0xfee00000, 0);
	madt_entry(&t, 2, 6);
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == -EINVAL && strstr(d.what, "too short"));
	madt_begin(&t, 0xfee00000, 0);
	madt_entry(&t, 9, 15);
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == -EINVAL && strstr(d.what, "too short"));

	/* No LAPIC address at all. */
	madt_begin(&t, 0, 0);
	madt_lapic(&t, 0, 0, 1);
	madt_end(&t);
	CHECK(parse_madt(&t, &m, &d) == -EINVAL && strstr(d.what, "no local APIC"));
}

/* Every prefix of a valid MADT either parses or fails cleanly, never reads out of bounds. */
static void madt_every_truncation(void)
{
	struct acpi_madt_info m;
	struct acpi_diag d = { 0 };
	unsigned int ok = 0;
	struct madt t;

	madt_qemu(&t);
	for (uint32_t len = 0; len <= t.len; len++) {
		int err = parse_madt_n(&t, len, &m, &d);

		CHECKF(err == 0 || err == -EINVAL, "len %u: %d", len, err);
		ok += !err;
	}
	CHECKF(ok >= 2, "only %u prefixes parsed", ok);	/* entry boundaries parse */
}

/* ---- FADT, HPET, IOAPIC entries ---------------------------------------------------------- */

static void fadt_and_hpet(void)
{
	struct acpi_diag d = { 0 };
	uint8_t *t = calloc(1, 116);
	uint64_t pa = 0;
	uint8_t reg = 0xee;

	t[108] = 0x32;
	CHECK(acpi_fadt_century(t, 116, &reg) == 0 && reg == 0x32);
	CHECK(acpi_fadt_century(t, 109, &reg) == 0);
	reg = 0xee;
	CHECK(acpi_fadt_century(t, 108, &reg) == -EINVAL && reg == 0xee);
	free(t);

	t = calloc(1, 56);
	put64(t + 44, 0xfed00000);
	CHECK(acpi_hpet_base(t, 56, &pa, &d) == 0 && pa == 0xfed00000);
	CHECK(acpi_hpet_base(t, 55, &pa, &d) == -EINVAL && strstr(d.what, "shorter"));
	t[40] = 1;					/* I/O space */
	CHECK(acpi_hpet_base(t, 56, &pa, &d) == -EINVAL && strstr(d.what, "memory space"));
	t[40] = 0;
	put64(t + 44, 0);
	CHECK(acpi_hpet_base(t, 56, &pa, &d) == -EINVAL && strstr(d.what, "address is 0"));
	free(t);
}

static void ioapic_entry_encoding(void)
{
	uint64_t rte;

	rte = ioapic_rte_make(0x31, 0, ACPI_INTI_POL_HIGH | ACPI_INTI_TRIG_EDGE, false);
	CHECK(rte == 0x31);
	rte = ioapic_rte_make(0x40, 3, ACPI_INTI_POL_LOW | ACPI_INTI_TRIG_LEVEL, false);
	CHECK(rte == (0x40 | IOAPIC_RTE_ACTIVE_LOW | IOAPIC_RTE_LEVEL | (3ull << 56)));
	rte = ioapic_rte_make(0x1ff, 0x1ff, 0, true);	/* out-of-range parts do not spill */
	CHECK(rte == (0xff | IOAPIC_RTE_MASKED | (0xffull << 56)));
}

/* ---- discovery over fake physical memory ------------------------------------------------- */

#define FAKE_EBDA	0x9fc00
#define FAKE_RSDP_ROM	0xf5a00
#define FAKE_RSDT	0xfe0000
#define FAKE_XSDT	0xfe1000
#define FAKE_MADT	0xfe2000
#define FAKE_FADT	0xfe3000

/* RSDP (v2) in the BIOS ROM area, an XSDT and an RSDT both listing a MADT and a FADT. */
static void fake_firmware(uint64_t rsdp_at)
{
	struct madt t;
	uint8_t *p;

	ram_reset();
	put16(ram + 0x40e, FAKE_EBDA >> 4);
	make_rsdp(ram + rsdp_at, 2, FAKE_RSDT, FAKE_XSDT);
	p = ram + FAKE_RSDT;
	make_hdr(p, "RSDT", 44);
	put32(p + 36, FAKE_MADT);
	put32(p + 40, FAKE_FADT);
	fix_sum(p, 44, 9);
	p = ram + FAKE_XSDT;
	make_hdr(p, "XSDT", 52);
	put64(p + 36, FAKE_MADT);
	put64(p + 44, FAKE_FADT);
	fix_sum(p, 52, 9);
	madt_qemu(&t);
	memcpy(ram + FAKE_MADT, t.buf, t.len);
	p = ram + FAKE_FADT;
	make_hdr(p, "FACP", 116);
	p[108] = 0x32;
	fix_sum(p, 116, 9);
}

static void discovery_by_scanning(void)
{
	struct boot_info bi = { 0 };
	struct acpi_madt_info m;
	const void *tbl;
	uint32_t len;
	uint8_t reg = 0;

	fake_firmware(FAKE_RSDP_ROM);
	CHECK(acpi_init(&bi) == 0 && acpi_present());
	CHECK(strstr(last_msg, "tables: APIC FACP"));
	CHECK(acpi_get_madt(&m) == 0 && m.nr_ioapics == 1 && m.nr_overrides == 5);
	CHECK(acpi_get_table("FACP", 0, &tbl, &len) == 0 && len == 116);
	CHECK(acpi_fadt_century(tbl, len, &reg) == 0 && reg == 0x32);
	acpi_put_table(tbl, len);
	CHECK(acpi_get_table("FACP", 1, &tbl, &len) == -ENOENT);
	CHECK(acpi_get_table("HPET", 0, &tbl, &len) == -ENOENT);
	CHECK(live_maps == 0);

	/* In the EBDA instead. */
	fake_firmware(FAKE_EBDA + 0x40);
	memset(ram + FAKE_RSDP_ROM, 0, 36);
	CHECK(acpi_init(&bi) == 0 && strstr(last_msg, "tables:"));
	CHECK(live_maps == 0);

	/* Nowhere. */
	memset(ram + FAKE_EBDA + 0x40, 0, 36);
	CHECK(acpi_init(&bi) == -ENOENT && !acpi_present());
	CHECK(live_maps == 0);
}

static void discovery_corrupt_tables(void)
{
	struct boot_info bi = { .rsdp_pa = FAKE_RSDP_ROM };
	struct acpi_madt_info m;

	/* A bad XSDT: said so, and the RSDT is used instead. */
	fake_firmware(FAKE_RSDP_ROM);
	ram[FAKE_XSDT + 40] ^= 1;
	CHECK(acpi_init(&bi) == 0);
	CHECK(acpi_get_madt(&m) == 0);
	/* Both bad: -EINVAL and the reason on the console. */
	ram[FAKE_RSDT + 4] = 200;			/* length past its checksum */
	CHECK(acpi_init(&bi) == -EINVAL && strstr(last_msg, "checksum") && !acpi_present());
	/* An RSDT with an absurd length is refused before it is mapped. */
	put32(ram + FAKE_RSDT + 4, 0x7fffffff);
	CHECK(acpi_init(&bi) == -EINVAL && strstr(last_msg, "out of range"));
	CHECK(live_maps == 0);

	/* A MADT with a zero-length entry: -EINVAL, with the offset. */
	fake_firmware(FAKE_RSDP_ROM);
	ram[FAKE_MADT + 44 + 1] = 0;
	ram[FAKE_MADT + 9] += 8;			/* keep its checksum right */
	CHECK(acpi_init(&bi) == 0);
	CHECK(acpi_get_madt(&m) == -EINVAL && strstr(last_msg, "below 2"));
	/* A MADT with a bad checksum. */
	fake_firmware(FAKE_RSDP_ROM);
	ram[FAKE_MADT + 50] ^= 0x10;
	CHECK(acpi_init(&bi) == 0);
	CHECK(acpi_get_madt(&m) == -EINVAL && strstr(last_msg, "checksum"));
	/* A root table pointing outside memory: unmappable, not a crash. */
	fake_firmware(FAKE_RSDP_ROM);
	put64(ram + FAKE_XSDT + 36, 0xffffffff00000000ull);
	fix_sum(ram + FAKE_XSDT, 52, 9);
	CHECK(acpi_init(&bi) == 0);
	CHECK(acpi_get_madt(&m) == -ENOMEM);
	/* A bad RSDP from the loader. */
	ram[FAKE_RSDP_ROM + 3] ^= 1;
	CHECK(acpi_init(&bi) == -EINVAL && strstr(last_msg, "signature"));
	CHECK(live_maps == 0);
}

UNIT_CASES(
	{ rsdp_valid, "acpi: RSDP v0 and v2 parsed" },
	{ rsdp_malformed, "acpi: RSDP truncated, bad checksums, bad length refused" },
	{ rsdp_scan, "acpi: RSDP scan: 16-byte aligned, checksummed, not past the area" },
	{ table_header, "acpi: table header: length, signature, checksum, truncation" },
	{ root_tables, "acpi: RSDT/XSDT entries, misaligned 64-bit, partial entry refused" },
	{ madt_qemu_like, "acpi: MADT as QEMU q35 builds it; overrides and NMI resolved" },
	{ madt_variants, "acpi: MADT x2APIC, address override, per-CPU NMI, future types" },
	{ madt_bad_values_ignored, "acpi: MADT bad overrides and too many IOAPICs ignored, counted" },
	{ madt_malformed, "acpi: MADT entry length 0/1, past the end, too short: -EINVAL" },
	{ madt_every_truncation, "acpi: MADT cut at every length never reads out of bounds" },
	{ fadt_and_hpet, "acpi: FADT century register, HPET base address" },
	{ ioapic_entry_encoding, "ioapic: redirection entry encoding" },
	{ discovery_by_scanning, "acpi: RSDP found in ROM and EBDA, tables by signature" },
	{ discovery_corrupt_tables, "acpi: corrupt XSDT falls back to RSDT; corrupt tables refused" },
);
