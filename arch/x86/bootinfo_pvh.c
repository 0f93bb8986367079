// SPDX-License-Identifier: MIT
/*
 * struct hvm_start_info (xen/arch-x86/hvm/start_info.h) into struct boot_info: the PVH boot
 * protocol used by QEMU -kernel and by Xen type="pvh". Every pointer in it is a physical
 * address we read through boot_mem_access, never beyond what map() says is readable.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/arch-x86/hvm/start_info.h>

/* The v0 layout ends after rsdp_paddr; v1 appends the memory map fields. */
#define PVH_V0_SIZE	offsetof(struct hvm_start_info, memmap_paddr)
#define PVH_V1_SIZE	sizeof(struct hvm_start_info)

static int pvh_fail(struct boot_info *bi, int err, const char *what, uint64_t where)
{
	bi->diag.what = what;
	bi->diag.where = where;
	return err;
}

/* Map exactly @len bytes at @pa, or NULL if any of them is unreadable. */
static const void *pvh_map(const struct boot_mem_access *mem, uint64_t pa, size_t len)
{
	size_t got = len;
	const void *p;

	if (pa == 0 || pa > UINT64_MAX - len)
		return NULL;
	p = mem->map(mem->ctx, pa, &got);
	return (p && got >= len) ? p : NULL;
}

/*
 * Copy the string at @pa into @dst (size @max). A string longer than @max is -ENAMETOOLONG
 * when @truncate is false; one whose NUL lies past readable memory is -EINVAL.
 */
static int pvh_copy_string(const struct boot_mem_access *mem, uint64_t pa, char *dst,
			   size_t max, bool truncate)
{
	size_t got = max;
	const char *s, *nul;

	s = mem->map(mem->ctx, pa, &got);
	if (!s || got == 0)
		return -EFAULT;
	got = MIN(got, max);
	nul = memchr(s, 0, got);
	if (!nul) {
		if (got < max)
			return -EINVAL;		/* readable memory ends before the NUL */
		if (!truncate)
			return -ENAMETOOLONG;
		memcpy(dst, s, max - 1);
		dst[max - 1] = '\0';
		return 0;
	}
	memcpy(dst, s, nul - s + 1);
	return 0;
}

static uint32_t pvh_mem_type(uint32_t type)
{
	switch (type) {
	case XEN_HVM_MEMMAP_TYPE_RAM:		return BOOT_MEM_RAM;
	case XEN_HVM_MEMMAP_TYPE_ACPI:		return BOOT_MEM_ACPI;
	case XEN_HVM_MEMMAP_TYPE_NVS:		return BOOT_MEM_NVS;
	case XEN_HVM_MEMMAP_TYPE_UNUSABLE:	return BOOT_MEM_BAD;
	}
	return BOOT_MEM_RESERVED;	/* reserved, disabled, pmem, unknown: hands off */
}

static int pvh_memmap(struct boot_info *bi, const struct boot_mem_access *mem,
		      uint64_t pa, uint32_t entries)
{
	struct hvm_memmap_table_entry e;
	const uint8_t *p;
	int err;

	if (entries == 0)
		return pvh_fail(bi, -EINVAL, "memory map has zero entries", pa);
	if (entries > BOOT_MEM_MAX)
		return pvh_fail(bi, -E2BIG, "too many memory map entries", entries);
	p = pvh_map(mem, pa, (size_t)entries * sizeof(e));
	if (!p)
		return pvh_fail(bi, -EFAULT, "memory map not readable", pa);
	for (uint32_t i = 0; i < entries; i++) {
		memcpy(&e, p + i * sizeof(e), sizeof(e));	/* the table may be misaligned */
		err = boot_mem_add(bi, e.addr, e.size, pvh_mem_type(e.type));
		if (err)
			return err;
	}
	return 0;
}

static int pvh_modules(struct boot_info *bi, const struct boot_mem_access *mem,
		       uint64_t pa, uint32_t nr)
{
	struct hvm_modlist_entry m;
	uint32_t keep = MIN(nr, (uint32_t)BOOT_MODULES_MAX);
	const uint8_t *p;

	if (nr > keep)
		bi->fixes |= BOOT_FIX_MODULES_DROPPED;
	if (keep == 0)
		return 0;
	p = pvh_map(mem, pa, keep * sizeof(m));
	if (!p)
		return pvh_fail(bi, -EFAULT, "module list not readable", pa);
	for (uint32_t i = 0; i < keep; i++) {
		struct boot_module *mod = &bi->modules[bi->nr_modules];

		memcpy(&m, p + i * sizeof(m), sizeof(m));	/* copied once, maybe misaligned */
		if (m.paddr > UINT64_MAX - m.size)
			return pvh_fail(bi, -EINVAL, "module wraps around", m.paddr);
		mod->base = m.paddr;
		mod->len = m.size;
		mod->name[0] = '\0';
		if (m.cmdline_paddr &&
		    pvh_copy_string(mem, m.cmdline_paddr, mod->name, sizeof(mod->name), true))
			return pvh_fail(bi, -EINVAL, "module string unreadable or without NUL",
					m.cmdline_paddr);
		bi->nr_modules++;
	}
	return 0;
}

int boot_parse_pvh(struct boot_info *bi, const struct boot_mem_access *mem, uint64_t pa)
{
	struct hvm_start_info si;	/* copied once: the rest of the parse uses this copy */
	const void *p;
	int err;

	p = pvh_map(mem, pa, PVH_V0_SIZE);
	if (!p)
		return pvh_fail(bi, -EFAULT, "hvm_start_info not readable", pa);
	memset(&si, 0, sizeof(si));
	memcpy(&si, p, PVH_V0_SIZE);
	if (si.magic != XEN_HVM_START_MAGIC_VALUE)
		return pvh_fail(bi, -EINVAL, "hvm_start_info magic wrong", si.magic);
	if (si.version >= 1) {	/* later versions only append fields */
		p = pvh_map(mem, pa, PVH_V1_SIZE);
		if (!p)
			return pvh_fail(bi, -EFAULT, "hvm_start_info v1 not readable", pa);
		memcpy(&si, p, PVH_V1_SIZE);
	}
	bi->start_info_pa = pa;
	bi->rsdp_pa = si.rsdp_paddr;

	if (si.cmdline_paddr) {
		err = pvh_copy_string(mem, si.cmdline_paddr, bi->cmdline, sizeof(bi->cmdline),
				      false);
		if (err == -ENAMETOOLONG)
			return pvh_fail(bi, err, "command line too long", si.cmdline_paddr);
		if (err)
			return pvh_fail(bi, -EINVAL, "command line unreadable or without its NUL",
					si.cmdline_paddr);
	}
	if (si.version >= 1 && (si.memmap_paddr || si.memmap_entries)) {
		err = pvh_memmap(bi, mem, si.memmap_paddr, si.memmap_entries);
		if (err)
			return err;
	}
	return pvh_modules(bi, mem, si.modlist_paddr, si.nr_modules);
}
