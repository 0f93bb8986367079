// SPDX-License-Identifier: MIT
/*
 * struct boot_info: the common part of every entry point's boot description, and the memory
 * map sanitiser (sort, resolve overlaps by precedence, merge neighbours). Built hosted too:
 * tests/unit/test_bootinfo.c feeds it malformed maps under ASan.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <string.h>

void boot_info_init(struct boot_info *bi, uint32_t entry)
{
	memset(bi, 0, sizeof(*bi));
	bi->entry = entry;
	bi->env = BOOT_NATIVE;
}

int boot_mem_add(struct boot_info *bi, uint64_t base, uint64_t len, uint32_t type)
{
	if (len == 0) {
		bi->fixes |= BOOT_FIX_MMAP_EMPTY_ENT;
		return 0;
	}
	if (base > UINT64_MAX - len) {
		bi->diag.what = "memory region wraps around the address space";
		bi->diag.where = base;
		return -EINVAL;
	}
	if (bi->nr_mem >= BOOT_MEM_MAX) {
		bi->diag.what = "too many memory regions";
		bi->diag.where = bi->nr_mem;
		return -E2BIG;
	}
	if (type < BOOT_MEM_RAM || type > BOOT_MEM_BAD)
		type = BOOT_MEM_RESERVED;	/* unknown types are reserved (E820 rule) */
	bi->mem[bi->nr_mem].base = base;
	bi->mem[bi->nr_mem].len = len;
	bi->mem[bi->nr_mem].type = type;
	bi->nr_mem++;
	return 0;
}

static void sort_u64(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Note what the loader got wrong before we fix it, so start_kernel can say so. */
static void boot_mem_note_fixes(struct boot_info *bi)
{
	for (uint32_t i = 1; i < bi->nr_mem; i++)
		if (bi->mem[i].base < bi->mem[i - 1].base)
			bi->fixes |= BOOT_FIX_MMAP_UNSORTED;
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_region *a = &bi->mem[i];

		for (uint32_t j = i + 1; j < bi->nr_mem; j++) {
			const struct boot_mem_region *b = &bi->mem[j];

			if (a->base < b->base + b->len && b->base < a->base + a->len)
				bi->fixes |= BOOT_FIX_MMAP_OVERLAP;
		}
	}
}

/* The highest-precedence type covering [at, at + 1), or 0 when nothing covers it. */
static uint32_t boot_mem_type_at(const struct boot_info *bi, uint64_t at)
{
	uint32_t type = 0;

	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_region *r = &bi->mem[i];

		if (r->base <= at && at - r->base < r->len && r->type > type)
			type = r->type;
	}
	return type;
}

int boot_info_finish(struct boot_info *bi)
{
	static uint64_t pts[2 * BOOT_MEM_MAX];	/* boundaries; static: boot is single-threaded */
	static struct boot_mem_region out[BOOT_MEM_MAX];	/* static: 3 KiB off the stack */
	unsigned int npts = 0, nout = 0, u = 0;

	if (bi->nr_mem == 0) {
		bi->diag.what = "no memory map";
		bi->diag.where = 0;
		return -ENOMEM;
	}
	boot_mem_note_fixes(bi);

	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		pts[npts++] = bi->mem[i].base;
		pts[npts++] = bi->mem[i].base + bi->mem[i].len;
	}
	sort_u64(pts, npts);
	for (unsigned int i = 0; i < npts; i++)	/* unique */
		if (u == 0 || pts[i] != pts[u - 1])
			pts[u++] = pts[i];

	/* Each elementary interval takes the strongest type covering it; equal neighbours merge. */
	for (unsigned int i = 0; i + 1 < u; i++) {
		uint64_t a = pts[i], b = pts[i + 1];
		uint32_t type = boot_mem_type_at(bi, a);

		if (type == 0)
			continue;
		if (nout > 0 && out[nout - 1].type == type &&
		    out[nout - 1].base + out[nout - 1].len == a) {
			out[nout - 1].len += b - a;
			continue;
		}
		if (nout == BOOT_MEM_MAX) {
			bi->diag.what = "memory map splits into too many regions";
			bi->diag.where = a;
			return -E2BIG;
		}
		out[nout].base = a;
		out[nout].len = b - a;
		out[nout].type = type;
		nout++;
	}
	memcpy(bi->mem, out, nout * sizeof(out[0]));
	bi->nr_mem = nout;

	if (boot_mem_total(bi, BOOT_MEM_RAM) == 0) {
		bi->diag.what = "no usable RAM in the memory map";
		bi->diag.where = 0;
		return -ENOMEM;
	}
	return 0;
}

uint64_t boot_mem_total(const struct boot_info *bi, uint32_t type)
{
	uint64_t total = 0;

	for (uint32_t i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == type)
			total += bi->mem[i].len;
	return total;
}

const char *boot_entry_name(uint32_t entry)
{
	switch (entry) {
	case BOOT_ENTRY_MULTIBOOT2:	return "multiboot2";
	case BOOT_ENTRY_PVH:		return "pvh";
	case BOOT_ENTRY_XEN_PV:		return "xen-pv";
	}
	return "unknown";
}

const char *boot_env_name(enum boot_env env)
{
	switch (env) {
	case BOOT_NATIVE:	return "native";
	case BOOT_XEN_PV:	return "xen-pv";
	case BOOT_XEN_PVH:	return "xen-pvh";
	}
	return "unknown";
}

const char *boot_mem_type_name(uint32_t type)
{
	switch (type) {
	case BOOT_MEM_RAM:	return "ram";
	case BOOT_MEM_ACPI:	return "acpi";
	case BOOT_MEM_NVS:	return "acpi-nvs";
	case BOOT_MEM_RESERVED:	return "reserved";
	case BOOT_MEM_BAD:	return "bad";
	}
	return "unknown";
}
