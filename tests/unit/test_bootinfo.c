// SPDX-License-Identifier: MIT
/*
 * Boot-info parsers against hostile input: multiboot2 blobs and hvm_start_info in a fake RAM.
 * Every blob is handed over in a heap buffer of exactly its size, so an out-of-bounds read is
 * an ASan abort, not a silent pass. Each malformed case checks the error code and that
 * bi->diag names the problem.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/bootinfo.h>
#include <pvkit/errno.h>
#include <pvkit/multiboot2.h>
#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>
#include "unit.h"

/* ---- multiboot2 blob builder ------------------------------------------------------------ */

struct mb2 {
	uint8_t buf[8192];		/* the blob being built */
	uint32_t len;			/* bytes used, always 8-aligned between tags */
};

static void mb2_begin(struct mb2 *m)
{
	memset(m, 0, sizeof(*m));
	m->len = 8;
}

static void mb2_tag(struct mb2 *m, uint32_t type, const void *payload, uint32_t plen)
{
	uint32_t size = 8 + plen;

	memcpy(m->buf + m->len, &type, 4);
	memcpy(m->buf + m->len + 4, &size, 4);
	if (plen)
		memcpy(m->buf + m->len + 8, payload, plen);
	m->len += (size + 7) & ~7u;
}

static void mb2_end(struct mb2 *m)
{
	mb2_tag(m, MB2_TAG_END, NULL, 0);
	memcpy(m->buf, &m->len, 4);
}

static void mb2_cmdline(struct mb2 *m, const char *s)
{
	mb2_tag(m, MB2_TAG_CMDLINE, s, strlen(s) + 1);
}

struct mmap_ent {
	uint64_t base, len;
	uint32_t type, reserved;
};

static void mb2_mmap(struct mb2 *m, const struct mmap_ent *e, unsigned int n, uint32_t esize)
{
	uint8_t payload[4096];
	uint32_t ver = 0;

	memcpy(payload, &esize, 4);
	memcpy(payload + 4, &ver, 4);
	for (unsigned int i = 0; i < n; i++) {
		memset(payload + 8 + i * esize, 0, esize);
		memcpy(payload + 8 + i * esize, &e[i], 24);
	}
	mb2_tag(m, MB2_TAG_MMAP, payload, 8 + n * esize);
}

/* Parse a copy in an exactly-sized, 8-aligned heap buffer (malloc gives 16-byte alignment). */
static int parse_mb2_n(struct boot_info *bi, const void *blob, size_t n)
{
	void *copy = malloc(n);
	int err;

	memcpy(copy, blob, n);
	boot_info_init(bi, BOOT_ENTRY_MULTIBOOT2);
	err = boot_parse_multiboot2(bi, copy, n);
	if (!err)
		err = boot_info_finish(bi);
	free(copy);
	return err;
}

static int parse_mb2(struct boot_info *bi, const struct mb2 *m)
{
	return parse_mb2_n(bi, m->buf, m->len);
}

static struct boot_info bi;		/* large: keep it off the stack */

static const struct mmap_ent qemu_map[] = {
	{ 0x100000, 0x7ee0000, MB2_MEMORY_AVAILABLE, 0 },	/* out of order on purpose */
	{ 0, 0x9fc00, MB2_MEMORY_AVAILABLE, 0 },
	{ 0x9fc00, 0x400, MB2_MEMORY_RESERVED, 0 },
	{ 0xfffc0000, 0x40000, 77, 0 },				/* unknown type: reserved */
};

static void mb2_valid(void)
{
	struct mb2 m;
	uint8_t mod[32] = { 0 };
	uint32_t start = 0x200000, end = 0x201000;

	mb2_begin(&m);
	mb2_cmdline(&m, "console=ttyS0 pvkit.fail_test=3");
	mb2_mmap(&m, qemu_map, 4, 24);
	memcpy(mod, &start, 4);
	memcpy(mod + 4, &end, 4);
	memcpy(mod + 8, "initrd", 7);
	mb2_tag(&m, MB2_TAG_MODULE, mod, 15);
	mb2_tag(&m, 99, "unknown tags are skipped", 24);
	mb2_end(&m);

	CHECKF(parse_mb2(&bi, &m) == 0, "%s", bi.diag.what);
	CHECK(!strcmp(bi.cmdline, "console=ttyS0 pvkit.fail_test=3"));
	CHECKF(bi.nr_mem == 4, "nr_mem %u", bi.nr_mem);
	CHECK(bi.mem[0].base == 0 && bi.mem[0].len == 0x9fc00 && bi.mem[0].type == BOOT_MEM_RAM);
	CHECK(bi.mem[1].base == 0x9fc00 && bi.mem[1].type == BOOT_MEM_RESERVED);
	CHECK(bi.mem[2].base == 0x100000 && bi.mem[2].type == BOOT_MEM_RAM);
	CHECK(bi.mem[3].base == 0xfffc0000 && bi.mem[3].type == BOOT_MEM_RESERVED);
	CHECK(bi.fixes & BOOT_FIX_MMAP_UNSORTED);
	CHECK(!(bi.fixes & BOOT_FIX_MMAP_OVERLAP));
	CHECK(bi.nr_modules == 1 && bi.modules[0].base == 0x200000 && bi.modules[0].len == 0x1000);
	CHECK(!strcmp(bi.modules[0].name, "initrd"));
	CHECK(boot_mem_total(&bi, BOOT_MEM_RAM) == 0x9fc00 + 0x7ee0000);
}

static void mb2_larger_entry_size(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 32);		/* newer loaders may use bigger entries */
	mb2_end(&m);
	CHECKF(parse_mb2(&bi, &m) == 0, "%s", bi.diag.what);
	CHECK(bi.nr_mem == 2);
}

#define EXPECT_ERR(call, err, needle)						\
	do {									\
		int e_ = (call);						\
		CHECKF(e_ == (err), "got %d, want %d", e_, (err));		\
		CHECKF(bi.diag.what && strstr(bi.diag.what, (needle)),		\
		       "diag \"%s\" lacks \"%s\"", bi.diag.what ? bi.diag.what : "(none)", (needle)); \
	} while (0)

static void mb2_total_size_beyond_avail(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 24);
	mb2_end(&m);
	EXPECT_ERR(parse_mb2_n(&bi, m.buf, m.len - 8), -EINVAL, "total_size");
}

static void mb2_header_only(void)
{
	uint8_t hdr[4] = { 4, 0, 0, 0 };

	EXPECT_ERR(parse_mb2_n(&bi, hdr, sizeof(hdr)), -EINVAL, "shorter than its header");
}

static void mb2_tag_overruns(void)
{
	struct mb2 m;
	uint32_t huge = 0x1000;

	mb2_begin(&m);
	mb2_cmdline(&m, "x");
	mb2_end(&m);
	memcpy(m.buf + 12, &huge, 4);		/* the cmdline tag claims 4 KiB */
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "overruns");
}

static void mb2_truncated_blob(void)
{
	struct mb2 m;
	uint32_t cut;

	mb2_begin(&m);
	mb2_cmdline(&m, "abc");
	mb2_mmap(&m, qemu_map, 4, 24);
	mb2_end(&m);
	cut = m.len - 40;			/* the map's last entry and the end tag are gone */
	memcpy(m.buf, &cut, 4);
	EXPECT_ERR(parse_mb2_n(&bi, m.buf, cut), -EINVAL, "overruns");
}

static void mb2_misaligned_info(void)
{
	struct mb2 m;
	uint8_t *raw;
	int err;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 24);
	mb2_end(&m);
	raw = malloc(m.len + 4);
	memcpy(raw + 4, m.buf, m.len);
	boot_info_init(&bi, BOOT_ENTRY_MULTIBOOT2);
	err = boot_parse_multiboot2(&bi, raw + 4, m.len);
	free(raw);
	CHECK(err == -EINVAL);
	CHECK(bi.diag.what && strstr(bi.diag.what, "aligned"));
}

static void mb2_misaligned_tag(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_cmdline(&m, "12345678");	/* 17-byte tag at 8, padded to 24: the map starts at 32 */
	mb2_mmap(&m, qemu_map, 2, 24);
	mb2_end(&m);
	/* A loader that does not pad: the map tag starts at 28, off the 8-byte grid. */
	memmove(m.buf + 28, m.buf + 32, m.len - 32);
	m.len -= 4;
	memcpy(m.buf, &m.len, 4);
	CHECK(parse_mb2(&bi, &m) == -EINVAL);
	CHECK(bi.diag.what != NULL);
}

static void mb2_tag_size_below_8(void)
{
	struct mb2 m;
	uint32_t four = 4;

	mb2_begin(&m);
	mb2_cmdline(&m, "x");
	mb2_end(&m);
	memcpy(m.buf + 12, &four, 4);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "below 8");
}

static void mb2_no_end_tag(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 24);
	memcpy(m.buf, &m.len, 4);		/* total_size set, end tag never written */
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "end tag");
}

static void mb2_end_tag_wrong_size(void)
{
	struct mb2 m;
	uint32_t sixteen = 16;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 24);
	mb2_end(&m);
	memcpy(m.buf + m.len - 4, &sixteen, 4);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "");
}

static void mb2_cmdline_without_nul(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_tag(&m, MB2_TAG_CMDLINE, "no terminator", 13);
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "NUL");
}

static void mb2_cmdline_too_long(void)
{
	static char line[BOOT_CMDLINE_MAX + 16];
	struct mb2 m;

	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	mb2_begin(&m);
	mb2_cmdline(&m, line);
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -ENAMETOOLONG, "too long");
}

static void mb2_cmdline_max_fits(void)
{
	static char line[BOOT_CMDLINE_MAX];
	struct mb2 m;

	memset(line, 'b', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	mb2_begin(&m);
	mb2_cmdline(&m, line);
	mb2_mmap(&m, qemu_map, 2, 24);
	mb2_end(&m);
	CHECKF(parse_mb2(&bi, &m) == 0, "%s", bi.diag.what);
	CHECK(strlen(bi.cmdline) == BOOT_CMDLINE_MAX - 1);
}

static void mb2_mmap_entry_size_bad(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 16);		/* smaller than an entry */
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "entry_size");

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 28);		/* not a multiple of 8 */
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "entry_size");
}

static void mb2_mmap_partial_entry(void)
{
	struct mb2 m;
	uint32_t size;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 24);
	mb2_end(&m);
	memcpy(&size, m.buf + 12, 4);
	size -= 8;				/* the second entry is cut short */
	memcpy(m.buf + 12, &size, 4);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "whole number");
}

static void mb2_mmap_zero_entries(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 0, 24);
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "zero entries");
}

static void mb2_no_memory_info(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_cmdline(&m, "only a command line");
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -ENOMEM, "no memory map");
}

static void mb2_basic_meminfo_fallback(void)
{
	struct mb2 m;
	uint32_t kib[2] = { 639, 65536 };

	mb2_begin(&m);
	mb2_tag(&m, MB2_TAG_BASIC_MEMINFO, kib, 8);
	mb2_end(&m);
	CHECKF(parse_mb2(&bi, &m) == 0, "%s", bi.diag.what);
	CHECK(bi.nr_mem == 2);
	CHECK(bi.mem[0].base == 0 && bi.mem[0].len == 639 * 1024);
	CHECK(bi.mem[1].base == 0x100000 && bi.mem[1].len == 64ull << 20);
}

static void mb2_two_mmap_tags(void)
{
	struct mb2 m;

	mb2_begin(&m);
	mb2_mmap(&m, qemu_map, 2, 24);
	mb2_mmap(&m, qemu_map, 2, 24);
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "more than one");
}

static void mb2_module_ends_before_start(void)
{
	struct mb2 m;
	uint8_t mod[16] = { 0 };
	uint32_t start = 0x300000, end = 0x200000;

	memcpy(mod, &start, 4);
	memcpy(mod + 4, &end, 4);
	mb2_begin(&m);
	mb2_tag(&m, MB2_TAG_MODULE, mod, 9);
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "ends before");
}

static void mb2_module_string_without_nul(void)
{
	struct mb2 m;
	uint8_t mod[16] = { 0 };

	memset(mod + 8, 'x', 8);
	mb2_begin(&m);
	mb2_tag(&m, MB2_TAG_MODULE, mod, 16);
	mb2_end(&m);
	EXPECT_ERR(parse_mb2(&bi, &m), -EINVAL, "NUL");
}

/* ---- memory map sanitiser --------------------------------------------------------------- */

static void map_overlap_resolved_by_precedence(void)
{
	const struct mmap_ent ents[] = {
		{ 0, 16 << 20, MB2_MEMORY_AVAILABLE, 0 },
		{ 8 << 20, 1 << 20, MB2_MEMORY_RESERVED, 0 },	/* a hole punched in RAM */
		{ 4 << 20, 2 << 20, MB2_MEMORY_AVAILABLE, 0 },	/* RAM inside RAM */
	};
	struct mb2 m;

	mb2_begin(&m);
	mb2_mmap(&m, ents, 3, 24);
	mb2_end(&m);
	CHECKF(parse_mb2(&bi, &m) == 0, "%s", bi.diag.what);
	CHECK(bi.fixes & BOOT_FIX_MMAP_OVERLAP);
	CHECKF(bi.nr_mem == 3, "nr_mem %u", bi.nr_mem);
	CHECK(bi.mem[0].base == 0 && bi.mem[0].len == 8 << 20 && bi.mem[0].type == BOOT_MEM_RAM);
	CHECK(bi.mem[1].base == 8 << 20 && bi.mem[1].len == 1 << 20 &&
	      bi.mem[1].type == BOOT_MEM_RESERVED);
	CHECK(bi.mem[2].base == 9 << 20 && bi.mem[2].len == 7 << 20 && bi.mem[2].type == BOOT_MEM_RAM);
}

static void map_adjacent_merged_and_empty_dropped(void)
{
	boot_info_init(&bi, BOOT_ENTRY_PVH);
	CHECK(boot_mem_add(&bi, 0x1000, 0x1000, BOOT_MEM_RAM) == 0);
	CHECK(boot_mem_add(&bi, 0x2000, 0x3000, BOOT_MEM_RAM) == 0);
	CHECK(boot_mem_add(&bi, 0x9000, 0, BOOT_MEM_RAM) == 0);
	CHECK(bi.fixes & BOOT_FIX_MMAP_EMPTY_ENT);
	CHECK(boot_info_finish(&bi) == 0);
	CHECK(bi.nr_mem == 1 && bi.mem[0].base == 0x1000 && bi.mem[0].len == 0x4000);
}

static void map_wrapping_region_rejected(void)
{
	boot_info_init(&bi, BOOT_ENTRY_PVH);
	EXPECT_ERR(boot_mem_add(&bi, UINT64_MAX - 0xfff, 0x1000, BOOT_MEM_RAM), -EINVAL, "wraps");
	CHECK(boot_mem_add(&bi, UINT64_MAX - 0xfff, 0xfff, BOOT_MEM_RAM) == 0);
}

static void map_only_reserved_is_error(void)
{
	boot_info_init(&bi, BOOT_ENTRY_PVH);
	CHECK(boot_mem_add(&bi, 0, 1 << 20, BOOT_MEM_RESERVED) == 0);
	EXPECT_ERR(boot_info_finish(&bi), -ENOMEM, "no usable RAM");
}

static void map_too_many_entries(void)
{
	int err = 0;

	boot_info_init(&bi, BOOT_ENTRY_PVH);
	for (unsigned int i = 0; i <= BOOT_MEM_MAX && !err; i++)
		err = boot_mem_add(&bi, (uint64_t)i << 21, 1 << 20, BOOT_MEM_RAM);
	CHECK(err == -E2BIG);
	CHECK(bi.nr_mem == BOOT_MEM_MAX);
}

static void map_split_overflow(void)
{
	/* 64 RAM ranges each with a reserved hole: 3 pieces each after splitting = 192 > max. */
	boot_info_init(&bi, BOOT_ENTRY_PVH);
	for (unsigned int i = 0; i < BOOT_MEM_MAX / 2; i++) {
		CHECK(boot_mem_add(&bi, (uint64_t)i << 24, 4 << 20, BOOT_MEM_RAM) == 0);
		CHECK(boot_mem_add(&bi, ((uint64_t)i << 24) + (1 << 20), 1 << 20,
				   BOOT_MEM_RESERVED) == 0);
	}
	EXPECT_ERR(boot_info_finish(&bi), -E2BIG, "too many");
}

/* ---- hvm_start_info in a fake RAM ------------------------------------------------------- */

#define FAKE_BASE	0x10000ull	/* the fake RAM's first physical address */

struct fake_ram {
	uint8_t *buf;			/* heap, exactly size bytes */
	size_t size;
};

static const void *fake_map(void *ctx, uint64_t pa, size_t *len)
{
	struct fake_ram *r = ctx;

	if (pa < FAKE_BASE || pa - FAKE_BASE >= r->size)
		return NULL;
	if (*len > r->size - (pa - FAKE_BASE))
		*len = r->size - (pa - FAKE_BASE);
	return r->buf + (pa - FAKE_BASE);
}

/* Layout in the fake RAM: start_info at +0, memmap at +0x100, modlist at +0x400,
 * strings from +0x600. */
struct pvh_img {
	uint8_t ram[0x1000];
	size_t size;			/* how much of ram[] the parser may see */
};

static struct hvm_start_info *pvh_si(struct pvh_img *p)
{
	return (struct hvm_start_info *)p->ram;
}

static void pvh_build(struct pvh_img *p)
{
	struct hvm_start_info *si = pvh_si(p);
	struct hvm_memmap_table_entry *mm = (void *)(p->ram + 0x100);
	struct hvm_modlist_entry *mod = (void *)(p->ram + 0x400);

	memset(p, 0, sizeof(*p));
	p->size = sizeof(p->ram);
	si->magic = XEN_HVM_START_MAGIC_VALUE;
	si->version = 1;
	si->cmdline_paddr = FAKE_BASE + 0x600;
	strcpy((char *)p->ram + 0x600, "pvkit.serve=1 ip=10.0.0.2/24");
	si->memmap_paddr = FAKE_BASE + 0x100;
	si->memmap_entries = 3;
	mm[0] = (struct hvm_memmap_table_entry){ 0x100000, 0x7f00000, XEN_HVM_MEMMAP_TYPE_RAM, 0 };
	mm[1] = (struct hvm_memmap_table_entry){ 0, 0x9fc00, XEN_HVM_MEMMAP_TYPE_RAM, 0 };
	mm[2] = (struct hvm_memmap_table_entry){ 0xfc000000, 0x1000000,
						 XEN_HVM_MEMMAP_TYPE_RESERVED, 0 };
	si->modlist_paddr = FAKE_BASE + 0x400;
	si->nr_modules = 1;
	mod[0] = (struct hvm_modlist_entry){ 0x2000000, 0x1234, FAKE_BASE + 0x700, 0 };
	strcpy((char *)p->ram + 0x700, "rootfs.cpio");
}

static int parse_pvh_at(struct pvh_img *p, uint64_t pa)
{
	struct fake_ram r = { malloc(p->size), p->size };
	struct boot_mem_access mem = { fake_map, &r };
	int err;

	memcpy(r.buf, p->ram, p->size);
	boot_info_init(&bi, BOOT_ENTRY_PVH);
	err = boot_parse_pvh(&bi, &mem, pa);
	if (!err)
		err = boot_info_finish(&bi);
	free(r.buf);
	return err;
}

static int parse_pvh(struct pvh_img *p)
{
	return parse_pvh_at(p, FAKE_BASE);
}

static struct pvh_img img;

static void pvh_valid(void)
{
	pvh_build(&img);
	CHECKF(parse_pvh(&img) == 0, "%s", bi.diag.what);
	CHECK(!strcmp(bi.cmdline, "pvkit.serve=1 ip=10.0.0.2/24"));
	CHECK(bi.nr_mem == 3 && bi.mem[0].base == 0 && bi.mem[1].base == 0x100000);
	CHECK(bi.fixes & BOOT_FIX_MMAP_UNSORTED);
	CHECK(bi.nr_modules == 1 && bi.modules[0].len == 0x1234);
	CHECK(!strcmp(bi.modules[0].name, "rootfs.cpio"));
	CHECK(bi.start_info_pa == FAKE_BASE);
}

static void pvh_bad_magic(void)
{
	pvh_build(&img);
	pvh_si(&img)->magic = 0x1badb002;
	EXPECT_ERR(parse_pvh(&img), -EINVAL, "magic");
}

static void pvh_start_info_unreadable(void)
{
	pvh_build(&img);
	EXPECT_ERR(parse_pvh_at(&img, FAKE_BASE + 0x10000), -EFAULT, "not readable");
	EXPECT_ERR(parse_pvh_at(&img, 0), -EFAULT, "not readable");
	/* Straddling the end of RAM: only part of the structure is readable. */
	img.size = 0x20;
	EXPECT_ERR(parse_pvh(&img), -EFAULT, "not readable");
}

static void pvh_v1_fields_unreadable(void)
{
	pvh_build(&img);
	img.size = offsetof(struct hvm_start_info, memmap_paddr) + 4;
	EXPECT_ERR(parse_pvh(&img), -EFAULT, "v1");
}

static void pvh_cmdline_without_nul(void)
{
	pvh_build(&img);
	pvh_si(&img)->cmdline_paddr = FAKE_BASE + sizeof(img.ram) - 8;
	memset(img.ram + sizeof(img.ram) - 8, 'z', 8);	/* runs into the end of RAM */
	EXPECT_ERR(parse_pvh(&img), -EINVAL, "command line");
}

static void pvh_cmdline_too_long(void)
{
	pvh_build(&img);
	pvh_si(&img)->cmdline_paddr = FAKE_BASE + 0x800;
	memset(img.ram + 0x800, 'q', 0x7ff);		/* 2047 characters, NUL at the end */
	EXPECT_ERR(parse_pvh(&img), -ENAMETOOLONG, "too long");
}

static void pvh_cmdline_unmapped(void)
{
	pvh_build(&img);
	pvh_si(&img)->cmdline_paddr = 0xdead0000;
	EXPECT_ERR(parse_pvh(&img), -EINVAL, "command line");
}

static void pvh_memmap_zero_entries(void)
{
	pvh_build(&img);
	pvh_si(&img)->memmap_entries = 0;
	EXPECT_ERR(parse_pvh(&img), -EINVAL, "zero entries");
}

static void pvh_memmap_beyond_ram(void)
{
	pvh_build(&img);
	pvh_si(&img)->memmap_entries = 200;
	EXPECT_ERR(parse_pvh(&img), -E2BIG, "too many");
	pvh_si(&img)->memmap_paddr = FAKE_BASE + sizeof(img.ram) - 0x100;
	pvh_si(&img)->memmap_entries = 20;		/* 480 bytes, 256 of them in RAM */
	EXPECT_ERR(parse_pvh(&img), -EFAULT, "not readable");
}

static void pvh_v0_has_no_map(void)
{
	pvh_build(&img);
	pvh_si(&img)->version = 0;
	EXPECT_ERR(parse_pvh(&img), -ENOMEM, "no memory map");
	CHECK(!strcmp(bi.cmdline, "pvkit.serve=1 ip=10.0.0.2/24"));
}

static void pvh_too_many_modules(void)
{
	struct hvm_modlist_entry *mod = (void *)(img.ram + 0x400);

	pvh_build(&img);
	pvh_si(&img)->nr_modules = 0xffffffff;		/* only BOOT_MODULES_MAX are read */
	for (unsigned int i = 0; i < BOOT_MODULES_MAX; i++)
		mod[i] = (struct hvm_modlist_entry){ 0x1000000 + i * 0x1000, 0x10, 0, 0 };
	CHECKF(parse_pvh(&img) == 0, "%s", bi.diag.what);
	CHECK(bi.nr_modules == BOOT_MODULES_MAX);
	CHECK(bi.fixes & BOOT_FIX_MODULES_DROPPED);
}

static void pvh_module_wraps(void)
{
	struct hvm_modlist_entry *mod = (void *)(img.ram + 0x400);

	pvh_build(&img);
	mod[0].paddr = UINT64_MAX - 4;
	mod[0].size = 0x100;
	EXPECT_ERR(parse_pvh(&img), -EINVAL, "wraps");
}

static void pvh_module_name_truncated(void)
{
	struct hvm_modlist_entry *mod = (void *)(img.ram + 0x400);

	pvh_build(&img);
	mod[0].cmdline_paddr = FAKE_BASE + 0x800;
	memset(img.ram + 0x800, 'n', 200);
	CHECKF(parse_pvh(&img) == 0, "%s", bi.diag.what);
	CHECK(strlen(bi.modules[0].name) == BOOT_MODNAME_MAX - 1);
}

/* ---- mutation: whatever the bytes, no crash and a coherent answer ------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

static void check_result_coherent(int err)
{
	if (err) {
		CHECKF(err == -EINVAL || err == -E2BIG || err == -ENOMEM || err == -EFAULT ||
		       err == -ENAMETOOLONG, "unexpected error %d", err);
		CHECK(bi.diag.what != NULL);
		return;
	}
	CHECK(bi.nr_mem > 0 && bi.nr_mem <= BOOT_MEM_MAX);
	for (uint32_t i = 1; i < bi.nr_mem; i++)
		CHECK(bi.mem[i].base >= bi.mem[i - 1].base + bi.mem[i - 1].len);
	CHECK(memchr(bi.cmdline, 0, sizeof(bi.cmdline)) != NULL);
}

static void mb2_mutations(void)
{
	struct mb2 base, m;

	mb2_begin(&base);
	mb2_cmdline(&base, "a=b c=d");
	mb2_mmap(&base, qemu_map, 4, 24);
	mb2_end(&base);
	for (int iter = 0; iter < 20000; iter++) {
		uint32_t len = base.len;
		int flips = 1 + rng() % 4;

		m = base;
		for (int f = 0; f < flips; f++)
			m.buf[rng() % len] = rng();
		if (rng() % 4 == 0)
			len = 8 + rng() % (len - 8);	/* and sometimes cut it short */
		check_result_coherent(parse_mb2_n(&bi, m.buf, len));
	}
}

static void pvh_mutations(void)
{
	struct pvh_img base;

	pvh_build(&base);
	for (int iter = 0; iter < 20000; iter++) {
		img = base;
		for (int f = 0; f < 1 + (int)(rng() % 4); f++) {
			/* Mostly the start_info and the map, where pointers and counts live. */
			uint32_t off = rng() % 2 ? rng() % sizeof(struct hvm_start_info)
						 : rng() % 0x500;
			img.ram[off] = rng();
		}
		if (rng() % 8 == 0)
			img.size = rng() % sizeof(img.ram);
		if (img.size == 0)
			img.size = 1;
		check_result_coherent(parse_pvh(&img));
	}
}

UNIT_CASES(
	{ mb2_valid, "multiboot2: a loader's typical blob" },
	{ mb2_larger_entry_size, "multiboot2: memory map entries larger than 24 bytes" },
	{ mb2_total_size_beyond_avail, "multiboot2: total_size beyond readable bytes" },
	{ mb2_header_only, "multiboot2: blob shorter than its header" },
	{ mb2_tag_overruns, "multiboot2: tag overruns the blob" },
	{ mb2_truncated_blob, "multiboot2: truncated blob" },
	{ mb2_misaligned_info, "multiboot2: misaligned info pointer" },
	{ mb2_misaligned_tag, "multiboot2: misaligned tag" },
	{ mb2_tag_size_below_8, "multiboot2: tag size below 8" },
	{ mb2_no_end_tag, "multiboot2: no end tag" },
	{ mb2_end_tag_wrong_size, "multiboot2: end tag of wrong size" },
	{ mb2_cmdline_without_nul, "multiboot2: command line without NUL" },
	{ mb2_cmdline_too_long, "multiboot2: command line too long" },
	{ mb2_cmdline_max_fits, "multiboot2: command line of the maximum length fits" },
	{ mb2_mmap_entry_size_bad, "multiboot2: bad memory map entry_size" },
	{ mb2_mmap_partial_entry, "multiboot2: memory map with a partial entry" },
	{ mb2_mmap_zero_entries, "multiboot2: memory map with zero entries" },
	{ mb2_no_memory_info, "multiboot2: no memory information at all" },
	{ mb2_basic_meminfo_fallback, "multiboot2: basic meminfo when there is no map" },
	{ mb2_two_mmap_tags, "multiboot2: two memory map tags" },
	{ mb2_module_ends_before_start, "multiboot2: module ending before it starts" },
	{ mb2_module_string_without_nul, "multiboot2: module string without NUL" },
	{ map_overlap_resolved_by_precedence, "memmap: overlaps resolved, stricter type wins" },
	{ map_adjacent_merged_and_empty_dropped, "memmap: neighbours merged, empty entries dropped" },
	{ map_wrapping_region_rejected, "memmap: region wrapping around rejected" },
	{ map_only_reserved_is_error, "memmap: no RAM is an error" },
	{ map_too_many_entries, "memmap: more than BOOT_MEM_MAX entries" },
	{ map_split_overflow, "memmap: splitting beyond BOOT_MEM_MAX" },
	{ pvh_valid, "pvh: QEMU-like start info" },
	{ pvh_bad_magic, "pvh: bad magic" },
	{ pvh_start_info_unreadable, "pvh: start info unreadable or cut by the end of RAM" },
	{ pvh_v1_fields_unreadable, "pvh: v1 fields unreadable" },
	{ pvh_cmdline_without_nul, "pvh: command line without NUL before the end of RAM" },
	{ pvh_cmdline_too_long, "pvh: command line too long" },
	{ pvh_cmdline_unmapped, "pvh: command line pointer outside RAM" },
	{ pvh_memmap_zero_entries, "pvh: memory map with zero entries" },
	{ pvh_memmap_beyond_ram, "pvh: memory map too large or beyond RAM" },
	{ pvh_v0_has_no_map, "pvh: version 0 has no memory map" },
	{ pvh_too_many_modules, "pvh: absurd module count" },
	{ pvh_module_wraps, "pvh: module wrapping around" },
	{ pvh_module_name_truncated, "pvh: long module name truncated" },
	{ mb2_mutations, "multiboot2: 20000 random mutations, no crash, coherent result" },
	{ pvh_mutations, "pvh: 20000 random mutations, no crash, coherent result" },
);
