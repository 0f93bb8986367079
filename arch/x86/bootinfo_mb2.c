// SPDX-License-Identifier: MIT
/*
 * Multiboot2 boot information (the Multiboot2 specification, version 2.0, §3.6) into struct
 * boot_info. The blob is untrusted: every tag is bounds-checked against total_size and against
 * what the caller can read, strings must carry their NUL inside their tag.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/multiboot2.h>
#include <string.h>

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int mb2_fail(struct boot_info *bi, int err, const char *what, uint64_t where)
{
	bi->diag.what = what;
	bi->diag.where = where;
	return err;
}

/* Length of the NUL-terminated string in [s, s + max), or -1 when there is no NUL. */
static long mb2_strlen(const uint8_t *s, size_t max)
{
	const uint8_t *nul = memchr(s, 0, max);

	return nul ? nul - s : -1;
}

static int mb2_cmdline(struct boot_info *bi, const uint8_t *tag, uint32_t size, uint32_t off)
{
	long n = mb2_strlen(tag + 8, size - 8);

	if (n < 0)
		return mb2_fail(bi, -EINVAL, "command line without its NUL", off);
	if (n >= BOOT_CMDLINE_MAX)
		return mb2_fail(bi, -ENAMETOOLONG, "command line too long", n);
	memcpy(bi->cmdline, tag + 8, n + 1);
	return 0;
}

static int mb2_module(struct boot_info *bi, const uint8_t *tag, uint32_t size, uint32_t off)
{
	struct boot_module *mod;
	uint32_t start, end;
	long n;

	if (size < 17)
		return mb2_fail(bi, -EINVAL, "module tag too short", off);
	start = rd32(tag + 8);
	end = rd32(tag + 12);
	if (end < start)
		return mb2_fail(bi, -EINVAL, "module ends before it starts", off);
	n = mb2_strlen(tag + 16, size - 16);
	if (n < 0)
		return mb2_fail(bi, -EINVAL, "module string without its NUL", off);
	if (bi->nr_modules >= BOOT_MODULES_MAX) {
		bi->fixes |= BOOT_FIX_MODULES_DROPPED;
		return 0;
	}
	mod = &bi->modules[bi->nr_modules++];
	mod->base = start;
	mod->len = end - start;
	n = MIN(n, (long)sizeof(mod->name) - 1);	/* a label: truncation is harmless */
	memcpy(mod->name, tag + 16, n);
	mod->name[n] = '\0';
	return 0;
}

static uint32_t mb2_mem_type(uint32_t type)
{
	switch (type) {
	case MB2_MEMORY_AVAILABLE:		return BOOT_MEM_RAM;
	case MB2_MEMORY_ACPI_RECLAIMABLE:	return BOOT_MEM_ACPI;
	case MB2_MEMORY_NVS:			return BOOT_MEM_NVS;
	case MB2_MEMORY_BADRAM:			return BOOT_MEM_BAD;
	}
	return BOOT_MEM_RESERVED;
}

static int mb2_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size, uint32_t off)
{
	uint32_t esize, count;
	int err;

	if (size < 16)
		return mb2_fail(bi, -EINVAL, "memory map tag too short", off);
	esize = rd32(tag + 8);
	if (esize < MB2_MMAP_ENTRY_MIN || !IS_ALIGNED(esize, 8))
		return mb2_fail(bi, -EINVAL, "memory map entry_size invalid", esize);
	if ((size - 16) % esize)
		return mb2_fail(bi, -EINVAL, "memory map is not a whole number of entries", off);
	count = (size - 16) / esize;
	if (count == 0)
		return mb2_fail(bi, -EINVAL, "memory map has zero entries", off);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = tag + 16 + (size_t)i * esize;

		err = boot_mem_add(bi, rd64(e), rd64(e + 8), mb2_mem_type(rd32(e + 16)));
		if (err)
			return err;
	}
	return 0;
}

int boot_parse_multiboot2(struct boot_info *bi, const void *info, size_t avail)
{
	const uint8_t *p = info;
	uint32_t total, off = 8, mem_lower = 0, mem_upper = 0;
	bool saw_mmap = false, saw_basic = false, saw_cmdline = false;
	int err;

	if (!IS_ALIGNED((uintptr_t)info, 8))
		return mb2_fail(bi, -EINVAL, "info blob not 8-byte aligned", (uintptr_t)info);
	if (avail < 8)
		return mb2_fail(bi, -EINVAL, "info blob shorter than its header", avail);
	total = rd32(p);
	if (total < 16 || total > avail || total > BOOT_MB2_MAX_SIZE)
		return mb2_fail(bi, -EINVAL, "info total_size out of range", total);

	for (;;) {
		uint32_t type, size;

		if (total - off < 8)
			return mb2_fail(bi, -EINVAL, "info ends without an end tag", off);
		type = rd32(p + off);
		size = rd32(p + off + 4);
		if (size < 8)
			return mb2_fail(bi, -EINVAL, "tag size below 8", off);
		if (size > total - off)
			return mb2_fail(bi, -EINVAL, "tag overruns the info blob", off);

		err = 0;
		switch (type) {
		case MB2_TAG_END:
			if (size != 8)
				return mb2_fail(bi, -EINVAL, "end tag size is not 8", off);
			goto done;
		case MB2_TAG_CMDLINE:
			if (!saw_cmdline)	/* the first one counts */
				err = mb2_cmdline(bi, p + off, size, off);
			saw_cmdline = true;
			break;
		case MB2_TAG_MODULE:
			err = mb2_module(bi, p + off, size, off);
			break;
		case MB2_TAG_BASIC_MEMINFO:
			if (size < 16)
				return mb2_fail(bi, -EINVAL, "basic meminfo tag too short", off);
			mem_lower = rd32(p + off + 8);
			mem_upper = rd32(p + off + 12);
			saw_basic = true;
			break;
		case MB2_TAG_MMAP:
			if (saw_mmap)
				return mb2_fail(bi, -EINVAL, "more than one memory map tag", off);
			err = mb2_mmap(bi, p + off, size, off);
			saw_mmap = true;
			break;
		default:
			break;		/* tags we do not use are skipped, not trusted */
		}
		if (err)
			return err;
		/* Tags start 8-byte aligned; off + size <= total <= 1 MiB cannot overflow. */
		off = ALIGN_UP(off + size, 8);
		if (off > total)
			return mb2_fail(bi, -EINVAL, "last tag's padding overruns the info blob", off);
	}
done:
	/* No full map: the basic tag's two ranges are the best we have (KiB below 1 MiB / above). */
	if (!saw_mmap && saw_basic) {
		err = boot_mem_add(bi, 0, (uint64_t)mem_lower << 10, BOOT_MEM_RAM);
		if (!err)
			err = boot_mem_add(bi, 1ull << 20, (uint64_t)mem_upper << 10, BOOT_MEM_RAM);
		if (err)
			return err;
	}
	return 0;
}
