// SPDX-License-Identifier: MIT
/*
 * drivers/native/pci.c against fake configuration spaces (fake_pci.c): BAR decoding and the
 * all-ones size probe, capability lists that loop or point outside the capability area,
 * enumeration through bridges that are misnumbered or loop, more functions than we keep,
 * the MCFG table, MSI-X and MSI programming, and driver binding.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/pci.h>
#include "fake_pci.h"
#include "unit.h"

/* ---- BAR decoding ------------------------------------------------------------------------ */

static const struct {
	const char *what;
	uint32_t lo, hi, mlo, mhi;	/* register values and what reads back after all-ones */
	int err;
	enum pci_bar_kind kind;
	uint64_t base, size;
	bool prefetch;
} bar_cases[] = {
	{ "mem32", 0xfebd5000, 0, 0xfffff000, 0, 0, PCI_BAR_KIND_MEM32, 0xfebd5000, 0x1000, false },
	{ "mem32 prefetchable", 0xfd000008, 0, 0xff000008, 0, 0, PCI_BAR_KIND_MEM32, 0xfd000000,
	  0x1000000, true },
	{ "mem64", 0xfe00000c, 0, 0xffffc00c, 0xffffffff, 0, PCI_BAR_KIND_MEM64, 0xfe000000,
	  0x4000, true },
	{ "mem64 above 4 GiB", 0x4, 0x80, 0xf0000004, 0xffffffff, 0, PCI_BAR_KIND_MEM64,
	  0x8000000000ull, 0x10000000, false },
	{ "mem64 of 8 GiB", 0x4, 0x4, 0x4, 0xfffffffe, 0, PCI_BAR_KIND_MEM64, 0x400000000ull,
	  0x200000000ull, false },
	{ "mem64 decoding 40 bits", 0xfe00000c, 0, 0xffffc00c, 0xff, 0, PCI_BAR_KIND_MEM64,
	  0xfe000000, 0x4000, true },
	{ "io", 0xc041, 0, 0xffffffe1, 0, 0, PCI_BAR_KIND_IO, 0xc040, 0x20, false },
	{ "io, 16-bit decoder", 0xc041, 0, 0xffe1, 0, 0, PCI_BAR_KIND_IO, 0xc040, 0x20, false },
	{ "unimplemented", 0, 0, 0, 0, 0, PCI_BAR_NONE, 0, 0, false },
	{ "unimplemented mem64", 0x4, 0, 0x4, 0, 0, PCI_BAR_NONE, 0, 0, false },
	{ "unimplemented io", 0x1, 0, 0x1, 0, 0, PCI_BAR_NONE, 0, 0, false },
	{ "base not aligned to its size", 0xfebd5800, 0, 0xfffff000, 0, -EINVAL, PCI_BAR_NONE, 0, 0, false },
	{ "mem64 base not aligned", 0x1000000c, 0x1, 0xe000000c, 0xffffffff, -EINVAL,
	  PCI_BAR_NONE, 0, 0, false },
	{ "reserved type 2 (below 1 MiB)", 0x000e0002, 0, 0xfffe0002, 0, -EINVAL, PCI_BAR_NONE, 0, 0, false },
	{ "reserved type 3", 0x6, 0, 0xfffff006, 0, -EINVAL, PCI_BAR_NONE, 0, 0, false },
};

static void bar_decode_table(void)
{
	for (unsigned int i = 0; i < sizeof(bar_cases) / sizeof(bar_cases[0]); i++) {
		struct pci_bar b;
		int err = pci_bar_decode(bar_cases[i].lo, bar_cases[i].hi, bar_cases[i].mlo,
					 bar_cases[i].mhi, &b);

		CHECKF(err == bar_cases[i].err, "%s: %d", bar_cases[i].what, err);
		CHECKF(b.kind == bar_cases[i].kind, "%s: kind %d", bar_cases[i].what, b.kind);
		if (err || b.kind == PCI_BAR_NONE) {
			CHECKF(!b.size && !b.base, "%s: %#lx+%#lx", bar_cases[i].what, b.base,
			       b.size);
			continue;
		}
		CHECKF(b.base == bar_cases[i].base && b.size == bar_cases[i].size,
		       "%s: %#lx+%#lx", bar_cases[i].what, b.base, b.size);
		CHECKF(b.prefetch == bar_cases[i].prefetch, "%s: prefetch %d", bar_cases[i].what,
		       b.prefetch);
	}
}

/* ---- capability lists -------------------------------------------------------------------- */

/* A lone function 00:00.0 (scan_one() then makes pci_* reach it). */
static void one_fn(struct fake_fn **f)
{
	fake_reset();
	*f = fake_fn_add(0, 0, 0x1234, 0x5678);
}

static struct pci_dev *scan_one(void)
{
	CHECK(pci_scan(&fake_cfg_ops) == 1);
	return pci_get_dev(0);
}

static void cap_walk_good(void)
{
	uint8_t body[16] = { 0 };
	uint8_t msi, msix, v1, v2;
	struct fake_fn *f;
	struct pci_dev *d;

	one_fn(&f);
	msi = fake_cap_add(f, PCI_CAP_ID_MSI, body, 14);
	v1 = fake_cap_add(f, PCI_CAP_ID_VENDOR, body, 16);
	msix = fake_cap_add(f, PCI_CAP_ID_MSIX, body, 12);
	v2 = fake_cap_add(f, PCI_CAP_ID_VENDOR, body, 16);
	d = scan_one();
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSI, 0) == msi);
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSIX, 0) == msix);
	CHECK(pci_find_cap(d, PCI_CAP_ID_VENDOR, 0) == v1);
	CHECK(pci_find_cap(d, PCI_CAP_ID_VENDOR, v1) == v2);	/* the next one of that id */
	CHECK(pci_find_cap(d, PCI_CAP_ID_VENDOR, v2) == 0);
	CHECK(pci_find_cap(d, 0x42, 0) == 0);
	CHECK(d->msi_cap == msi && d->msix_cap == msix && d->msix_size == 1);
	/* The two reserved low bits of a pointer are ignored. */
	f->cfg[PCI_CAP_PTR] = msi | 3;
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSI, 0) == msi);
	/* Without the status bit there is no list, whatever the pointer says. */
	f->cfg[PCI_STATUS] &= ~PCI_STATUS_CAP_LIST;
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSI, 0) == 0);
}

static void cap_walk_malformed(void)
{
	uint8_t body[8] = { 0 };
	uint8_t a, b;
	struct fake_fn *f;
	struct pci_dev *d;

	one_fn(&f);
	a = fake_cap_add(f, PCI_CAP_ID_VENDOR, body, 8);
	b = fake_cap_add(f, PCI_CAP_ID_VENDOR, body, 8);
	f->cfg[b + 1] = a;				/* a -> b -> a -> ... */
	d = scan_one();
	CHECK(d->msi_cap == 0 && d->msix_cap == 0);	/* the scan saw the loop and gave up */
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSI, 0) == -EINVAL);
	CHECK(pci_find_cap(d, PCI_CAP_ID_VENDOR, b) == a);	/* found before the loop shows */
	f->cfg[a + 1] = a;				/* a -> a */
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSI, 0) == -EINVAL);
	f->cfg[a + 1] = 0x20;				/* into the header */
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSI, 0) == -EINVAL);
	f->cfg[PCI_CAP_PTR] = 0x3f;			/* 0x3c after masking: header */
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSI, 0) == -EINVAL);
	f->cfg[PCI_CAP_PTR] = 0xff;			/* 0xfc: the last slot, list ends there */
	f->cfg[0xfc] = PCI_CAP_ID_MSI;
	f->cfg[0xfd] = 0;
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSI, 0) == 0xfc);
	CHECK(pci_find_cap(d, PCI_CAP_ID_MSIX, 0) == 0);
}

/* The longest legal list: every one of the 48 slots, in order; it must not look like a loop. */
static void cap_walk_longest(void)
{
	uint8_t body[4] = { 0 }, last = 0;
	struct fake_fn *f;
	struct pci_dev *d;

	one_fn(&f);
	for (unsigned int i = 0; i < PCI_CAP_MAX; i++)
		last = fake_cap_add(f, i == PCI_CAP_MAX - 1 ? 0x42 : PCI_CAP_ID_VENDOR, body, 4);
	CHECK(last == 0xfc);
	d = scan_one();
	CHECK(pci_find_cap(d, 0x42, 0) == 0xfc);
	f->cfg[0xfd] = 0x40;				/* ... and the 49th link is a loop */
	CHECK(pci_find_cap(d, 0x43, 0) == -EINVAL);
}

/* ---- enumeration ------------------------------------------------------------------------- */

static struct fake_fn *bridge(uint8_t bus, uint8_t devfn, uint8_t sec, uint8_t sub)
{
	struct fake_fn *f = fake_fn_add(bus, devfn, 0x8086, 0x7000 + devfn);

	f->cfg[PCI_HEADER_TYPE] = 1;
	f->cfg[PCI_SECONDARY_BUS] = sec;
	f->cfg[PCI_SUBORDINATE_BUS] = sub;
	fake_put32(f->cfg + PCI_REVISION, 0x06040000);
	return f;
}

static bool found(uint8_t bus, uint8_t devfn)
{
	struct pci_dev *d;

	for (unsigned int i = 0; (d = pci_get_dev(i)); i++)
		if (d->bus == bus && d->devfn == devfn)
			return true;
	return false;
}

static void scan_bridges_and_functions(void)
{
	struct fake_fn *f;
	struct pci_dev *d;
	unsigned int n;

	fake_reset();
	f = fake_fn_add(0, 0, 0x8086, 0x29c0);		/* host bridge */
	fake_put32(f->cfg + PCI_REVISION, 0x06000002);
	f = fake_fn_add(0, 3 << 3, 0x1af4, 0x1042);	/* multi-function: 03.0 and 03.2 */
	f->cfg[PCI_HEADER_TYPE] = PCI_HEADER_MULTIFN;
	fake_put32(f->cfg + PCI_REVISION, 0x01000001);
	fake_fn_add(0, 3 << 3 | 2, 0x1af4, 0x1041);
	fake_fn_add(0, 4 << 3, 0x1234, 0x1111);		/* single function ... */
	fake_fn_add(0, 4 << 3 | 1, 0x1234, 0x2222);	/* ... so this ghost is not scanned */
	bridge(0, 5 << 3, 1, 3);			/* bus 1 */
	fake_fn_add(1, 0, 0x1af4, 0x1042);
	bridge(1, 1 << 3, 2, 3);			/* bus 2 */
	fake_fn_add(2, 0, 0x1af4, 0x1042);
	bridge(2, 1 << 3, 1, 3);			/* back to bus 1: a loop */
	bridge(2, 2 << 3, 2, 3);			/* to itself */
	bridge(0, 6 << 3, 1, 1);			/* bus 1 again: seen already */
	bridge(0, 7 << 3, 9, 8);			/* subordinate below secondary */
	fake_fn_add(9, 0, 0x1af4, 0x1042);
	bridge(0, 8 << 3, 5, 6);			/* bus 5 ... */
	bridge(5, 0, 4, 6);				/* ... whose bridge numbers a lower bus */
	fake_fn_add(4, 0, 0x1af4, 0x1042);
	n = pci_scan(&fake_cfg_ops);
	CHECKF(n == 14, "%u functions", n);
	CHECK(found(5, 0) && !found(4, 0));
	CHECK(found(0, 0) && found(0, 3 << 3) && found(0, 3 << 3 | 2) && found(0, 4 << 3));
	CHECK(!found(0, 4 << 3 | 1));
	CHECK(found(1, 0) && found(2, 0) && !found(9, 0));
	d = pci_find(0x1af4, 0x1042, NULL);
	CHECK(d && d->bus == 0 && d->devfn == 3 << 3 && d->class == 0x010000 && d->revision == 1);
	d = pci_find(0x1af4, 0x1042, d);
	CHECK(d && d->bus == 1);
	d = pci_find(0x1af4, 0x1042, d);
	CHECK(d && d->bus == 2);
	CHECK(!pci_find(0x1af4, 0x1042, d));
	CHECK(pci_get_dev(0)->class == 0x060000 && pci_get_dev(0)->revision == 2);
}

static void scan_too_many_functions(void)
{
	unsigned int n;

	fake_reset();
	for (unsigned int dev = 0; dev < 32; dev++) {
		struct fake_fn *f = fake_fn_add(0, dev << 3, 0x1234, dev);

		f->cfg[PCI_HEADER_TYPE] = PCI_HEADER_MULTIFN;
		for (unsigned int fn = 1; fn < 8; fn++)
			fake_fn_add(0, dev << 3 | fn, 0x1234, dev << 3 | fn);
	}
	n = pci_scan(&fake_cfg_ops);
	CHECKF(n == PCI_MAX_DEVS, "%u functions kept", n);
	CHECK(pci_get_dev(PCI_MAX_DEVS - 1) && !pci_get_dev(PCI_MAX_DEVS));
	CHECKF(strstr(fake_last_printk, "more than 64 functions: 192 ignored"), "said: %s",
	       fake_last_printk);
}

static void scan_sizes_and_restores_bars(void)
{
	struct fake_fn *f;
	struct pci_dev *d;
	uint32_t reg;

	fake_reset();
	f = fake_fn_add(0, 0, 0x1af4, 0x1042);
	fake_put16(f->cfg + PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	fake_bar_io(f, 0, 0xc040, 0x20);
	fake_bar_mem(f, 1, 0xfebd5000, 0x1000, false, false);
	fake_bar_mem(f, 2, 0x800000000ull, 0x4000, true, false);	/* 2 and 3 */
	fake_bar_mem(f, 5, 0xfe000000, 0x4000, true, false);	/* 64-bit in the last slot */
	d = scan_one();
	CHECK(d->bars[0].kind == PCI_BAR_KIND_IO && d->bars[0].base == 0xc040 &&
	      d->bars[0].size == 0x20);
	CHECK(d->bars[1].kind == PCI_BAR_KIND_MEM32 && d->bars[1].size == 0x1000);
	CHECK(d->bars[2].kind == PCI_BAR_KIND_MEM64 && d->bars[2].base == 0x800000000ull &&
	      d->bars[2].size == 0x4000);
	CHECK(d->bars[3].kind == PCI_BAR_NONE);		/* the upper half is not a BAR */
	CHECK(d->bars[4].kind == PCI_BAR_NONE);
	CHECK(d->bars[5].kind == PCI_BAR_NONE);		/* malformed: reported, ignored */
	/* Sizing put every register and the command register back. */
	memcpy(&reg, f->cfg + PCI_BAR0 + 4, 4);
	CHECKF(reg == 0xfebd5000, "BAR1 %#x", reg);
	memcpy(&reg, f->cfg + PCI_BAR0 + 12, 4);
	CHECKF(reg == 0x8, "BAR3 (upper half) %#x", reg);
	CHECK(pci_read16(d, PCI_COMMAND) == (PCI_COMMAND_MEMORY | PCI_COMMAND_IO));
	CHECK(f->bar_writes_decoding == 0);		/* sized with decoding off */
}

static void accessors_refuse_bad_offsets(void)
{
	struct fake_fn *f;
	struct pci_dev *d;
	unsigned int w;

	one_fn(&f);
	d = scan_one();
	memset(f->cfg + 0xff0, 0x5a, 16);
	CHECK(pci_read32(d, 0xff0) == 0x5a5a5a5a);
	CHECK(pci_read32(d, 0xff2) == 0xffffffff);	/* misaligned */
	CHECK(pci_read16(d, 0xfff) == 0xffff);
	CHECK(pci_read8(d, 4096) == 0xff);		/* beyond the space */
	w = f->writes;
	pci_write32(d, 4094, 1);
	pci_write16(d, 4095, 1);
	CHECK(f->writes == w);
}

/* ---- MCFG -------------------------------------------------------------------------------- */

static void mcfg_entry(uint8_t *t, unsigned int i, uint64_t base, uint16_t seg, uint8_t s,
		       uint8_t e)
{
	uint8_t *p = t + 44 + 16 * i;

	memcpy(p, &base, 8);
	fake_put16(p + 8, seg);
	p[10] = s;
	p[11] = e;
}

static void mcfg_parse(void)
{
	uint8_t t[44 + 3 * 16] = { 0 };
	uint64_t base = 0;
	uint8_t s = 0, e = 0;

	mcfg_entry(t, 0, 0xc0000000, 1, 0, 255);	/* another segment: skipped */
	mcfg_entry(t, 1, 0xb0000000, 0, 0, 63);
	CHECK(pci_mcfg_parse(t, 44 + 32, &base, &s, &e) == 0);
	CHECK(base == 0xb0000000 && s == 0 && e == 63);
	CHECK(pci_mcfg_parse(t, 44 + 16, &base, &s, &e) == -ENOENT);
	CHECK(pci_mcfg_parse(t, 44, &base, &s, &e) == -ENOENT);
	CHECK(pci_mcfg_parse(t, 44 + 20, &base, &s, &e) == -EINVAL);	/* part of an entry */
	CHECK(pci_mcfg_parse(t, 40, &base, &s, &e) == -EINVAL);
	mcfg_entry(t, 1, 0xb0000000, 0, 9, 8);
	CHECK(pci_mcfg_parse(t, 44 + 32, &base, &s, &e) == -EINVAL);	/* reversed */
	mcfg_entry(t, 1, 0xb0080000, 0, 0, 8);
	CHECK(pci_mcfg_parse(t, 44 + 32, &base, &s, &e) == -EINVAL);	/* not 1 MiB aligned */
	mcfg_entry(t, 1, 0, 0, 0, 8);
	CHECK(pci_mcfg_parse(t, 44 + 32, &base, &s, &e) == -EINVAL);
}

/* ---- MSI-X / MSI ------------------------------------------------------------------------- */

static struct pci_dev *msix_fn(uint32_t table, uint16_t entries, uint32_t **tbl)
{
	uint8_t cap[12] = { 0 };
	struct fake_fn *f;
	uint8_t *bar;

	fake_reset();
	f = fake_fn_add(0, 0, 0x1af4, 0x1042);
	fake_put16(cap + 2, entries - 1);
	fake_put32(cap + 4, table);
	fake_bar_io(f, 0, 0xc000, 0x40);
	bar = fake_bar_mem(f, 1, 0xfebd1000, 0x1000, false, true);
	fake_cap_add(f, PCI_CAP_ID_MSIX, cap, 12);
	*tbl = (uint32_t *)(bar + (table & ~7u));
	return scan_one();
}

static void msix_program(void)
{
	uint32_t *t;
	struct pci_dev *d = msix_fn(0x800 | 1, 4, &t);
	unsigned int maps = fake_maps;
	uint16_t ctrl;

	CHECK(d->msix_size == 4);
	for (unsigned int i = 0; i < 4; i++)
		t[i * 4 + 3] = 0;			/* unmasked garbage from before */
	CHECK(pci_msix_enable(d) == 0);
	ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_FLAGS);
	CHECK((ctrl & PCI_MSIX_FLAGS_ENABLE) && !(ctrl & PCI_MSIX_FLAGS_MASKALL));
	CHECK((pci_read16(d, PCI_COMMAND) & (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
					      PCI_COMMAND_INTX_OFF)) ==
	      (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_OFF));
	for (unsigned int i = 0; i < 4; i++)
		CHECKF(t[i * 4 + 3] & 1, "entry %u not masked", i);
	CHECK(pci_msix_set(d, 2, 0x41) == 0);
	CHECK(t[8] == 0xfee00000 && t[9] == 0 && t[10] == 0x41 && t[11] == 0);
	CHECK(t[3] & 1);				/* the others stay masked */
	CHECK(pci_msix_set(d, 4, 0x41) == -EINVAL);	/* beyond the table */
	CHECK(pci_msix_set(d, 1, 0x10) == -EINVAL);	/* an exception vector */
	CHECK(pci_msix_set(d, 2, 0) == 0 && (t[11] & 1));	/* 0: masked again */
	pci_msix_disable(d);
	ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_FLAGS);
	CHECK(!(ctrl & PCI_MSIX_FLAGS_ENABLE) && !d->msix_table && fake_maps == maps);
	CHECK(pci_msix_set(d, 0, 0x41) == -EINVAL);	/* not enabled */
}

static void msix_table_outside_bar(void)
{
	uint32_t *t;
	struct pci_dev *d;

	d = msix_fn(0x800 | 7, 4, &t);			/* BIR 7 */
	CHECK(pci_msix_enable(d) == -EINVAL);
	d = msix_fn(0xff8 | 1, 4, &t);			/* runs past the 4 KiB BAR */
	CHECK(pci_msix_enable(d) == -EINVAL);
	d = msix_fn(0x800 | 0, 4, &t);			/* in the I/O BAR */
	CHECK(pci_msix_enable(d) == -EINVAL);
	d = msix_fn(0x0 | 1, 2048, &t);			/* 32 KiB of table in 4 KiB */
	CHECK(pci_msix_enable(d) == -EINVAL);
	CHECK(!(pci_read16(d, d->msix_cap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE));
	CHECK(fake_maps == 0);
}

static void msi_program(void)
{
	uint8_t cap[24] = { 0 };
	struct fake_fn *f;
	struct pci_dev *d;
	uint8_t at;

	fake_reset();
	f = fake_fn_add(0, 0, 0x8086, 0x2922);
	fake_put16(cap + 2, PCI_MSI_FLAGS_64BIT | (2u << 1) | (3u << 4));	/* MME garbage */
	at = fake_cap_add(f, PCI_CAP_ID_MSI, cap, 24);
	d = scan_one();
	CHECK(pci_msi_enable(d, 0x45) == 0);
	CHECK(pci_read32(d, at + 4) == 0xfee00000 && pci_read32(d, at + 8) == 0);
	CHECK(pci_read16(d, at + 12) == 0x45);
	CHECK(pci_read16(d, at + 2) == (PCI_MSI_FLAGS_64BIT | (2u << 1) | PCI_MSI_FLAGS_ENABLE));
	CHECK(pci_read16(d, PCI_COMMAND) & PCI_COMMAND_MASTER);
	pci_msi_disable(d);
	CHECK(!(pci_read16(d, at + 2) & PCI_MSI_FLAGS_ENABLE));
	CHECK(pci_msi_enable(d, 3) == -EINVAL);
	/* 32-bit layout: data right after the address. */
	fake_put16(f->cfg + at + 2, 0);
	memset(f->cfg + at + 4, 0, 12);
	CHECK(pci_msi_enable(d, 0x46) == 0);
	CHECK(pci_read16(d, at + 8) == 0x46 && pci_read16(d, at + 12) == 0);
}

static void map_bar_ranges(void)
{
	uint32_t *t;
	struct pci_dev *d = msix_fn(0x800 | 1, 4, &t);

	CHECK(pci_map_bar(d, 1, 0, 0x1000) != NULL);
	CHECK(pci_map_bar(d, 1, 0xffc, 4) != NULL);
	CHECK(pci_map_bar(d, 1, 0xffc, 8) == NULL);
	CHECK(pci_map_bar(d, 1, 0x1000, 1) == NULL);
	CHECK(pci_map_bar(d, 1, 8, UINT64_MAX) == NULL);	/* would wrap */
	CHECK(pci_map_bar(d, 1, 0, 0) == NULL);
	CHECK(pci_map_bar(d, 0, 0, 4) == NULL);		/* I/O */
	CHECK(pci_map_bar(d, 2, 0, 4) == NULL);		/* none */
	CHECK(pci_map_bar(d, 6, 0, 4) == NULL);
	CHECK(fake_bad_ioremaps == 0);			/* refused here, not by ioremap */
}

/* ---- drivers ----------------------------------------------------------------------------- */

static unsigned int probes;
static int probe_result;

static int fake_probe(struct pci_dev *d, const struct pci_device_id *id)
{
	probes++;
	return d->device == 0x2 ? -ENODEV : d->device == 0x3 ? -EIO : probe_result;
}

static void driver_binding(void)
{
	static const struct pci_device_id ids[] = { { 0x1af4, PCI_ANY_ID }, { 0, 0 } };
	static const struct pci_driver drv = { "fake", ids, fake_probe };
	unsigned int errs;

	fake_reset();
	fake_fn_add(0, 0, 0x8086, 0x1);
	fake_fn_add(0, 1 << 3, 0x1af4, 0x1);		/* binds */
	fake_fn_add(0, 2 << 3, 0x1af4, 0x2);		/* declines quietly */
	fake_fn_add(0, 3 << 3, 0x1af4, 0x3);		/* fails, reported */
	CHECK(pci_scan(&fake_cfg_ops) == 4);
	probes = 0;
	probe_result = 0;
	errs = fake_printks;
	CHECK(pci_register_driver(&drv) == 0);
	CHECK(probes == 3);
	CHECK(fake_printks == errs + 1 && strstr(fake_last_printk, "probe failed"));
	CHECK(!pci_get_dev(0)->driver && pci_get_dev(1)->driver == &drv);
	CHECK(!pci_get_dev(2)->driver && !pci_get_dev(3)->driver);
	CHECK(pci_register_driver(NULL) == -EINVAL);
}

static void nop_handler(void *ctx)
{
}

static void irq_vectors(void)
{
	unsigned int a, b;

	fake_reset();
	a = pci_irq_alloc(nop_handler, NULL);
	b = pci_irq_alloc(nop_handler, NULL);
	CHECK(a == IRQ_VECTOR_DEVICE_FIRST && b == a + 1);
	pci_irq_free(a);
	CHECK(!fake_irq_claimed(a) && fake_irq_claimed(b));
	CHECK(pci_irq_alloc(nop_handler, NULL) == a);
	for (unsigned int v = IRQ_VECTOR_DEVICE_FIRST; v <= IRQ_VECTOR_DEVICE_LAST; v++)
		pci_irq_alloc(nop_handler, NULL);
	CHECK(pci_irq_alloc(nop_handler, NULL) == 0);	/* all taken */
	pci_irq_free(0xef);				/* not a device vector: ignored */
	fake_reset();
}

UNIT_CASES(
	{ bar_decode_table, "pci: BAR decoding (mem32/64, io, unimplemented, impossible)" },
	{ cap_walk_good, "pci: capability walk finds each id, the next of an id, masks low bits" },
	{ cap_walk_malformed, "pci: capability loops and pointers into the header are errors" },
	{ cap_walk_longest, "pci: the longest legal list walks; one more link is a loop" },
	{ scan_bridges_and_functions, "pci: scan: functions, bridges, loops and misnumbering" },
	{ scan_too_many_functions, "pci: scan keeps PCI_MAX_DEVS functions and says so" },
	{ scan_sizes_and_restores_bars, "pci: BAR sizing decodes and restores every register" },
	{ accessors_refuse_bad_offsets, "pci: misaligned or out-of-space accesses refused" },
	{ mcfg_parse, "pci: MCFG: segment 0 found; malformed tables refused" },
	{ msix_program, "pci: MSI-X: masked, enabled, entries to this CPU, disable unmaps" },
	{ msix_table_outside_bar, "pci: MSI-X table outside its BAR is refused" },
	{ msi_program, "pci: MSI: 64- and 32-bit layouts, one message, enable bit" },
	{ map_bar_ranges, "pci: pci_map_bar only maps inside a memory BAR" },
	{ driver_binding, "pci: drivers bind by id; -ENODEV quiet, other errors reported" },
	{ irq_vectors, "pci: device vectors allocated, freed, exhausted" },
);
