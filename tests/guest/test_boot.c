// SPDX-License-Identifier: MIT
/* Boot tests: what the entry stubs and the boot-info parsers promise start_kernel(). */
#include <pvkit/mm.h>
#include "selftest.h"
#include <pvkit/x86.h>
#include <string.h>

extern char _end_pa[];

static int test_mmap_sane(const struct boot_info *bi)
{
	uint64_t kstart = KERNEL_PHYS_BASE, kend = (uintptr_t)_end_pa;
	bool kernel_in_ram = false;

	ST_CHECK(bi->nr_mem > 0 && bi->nr_mem <= BOOT_MEM_MAX, "nr_mem=%u", bi->nr_mem);
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_region *r = &bi->mem[i], *prev = i ? r - 1 : NULL;

		ST_CHECK(r->len > 0, "region %u is empty", i);
		ST_CHECK(r->base + r->len > r->base, "region %u wraps", i);
		ST_CHECK(r->type >= BOOT_MEM_RAM && r->type <= BOOT_MEM_BAD, "region %u type %u",
			 i, r->type);
		if (prev) {
			ST_CHECK(r->base >= prev->base + prev->len,
				 "region %u (%#lx) overlaps or precedes region %u (ends %#lx)",
				 i, r->base, i - 1, prev->base + prev->len);
			ST_CHECK(!(r->type == prev->type && r->base == prev->base + prev->len),
				 "regions %u and %u touch with the same type (not merged)", i - 1, i);
		}
		if (r->type == BOOT_MEM_RAM && r->base <= kstart && kend - r->base <= r->len)
			kernel_in_ram = true;
	}
	ST_CHECK(kernel_in_ram, "kernel %#lx-%#lx not inside one RAM region", kstart, kend);
	ST_CHECK(boot_mem_total(bi, BOOT_MEM_RAM) >= (2u << 20), "only %lu bytes of RAM",
		 boot_mem_total(bi, BOOT_MEM_RAM));
	return 0;
}

/* Never written by anyone: it must read as zero, wherever the loader put us. */
static uint8_t bss_probe[4096];

static int test_bss_zero(const struct boot_info *bi)
{
	const volatile uint8_t *p = bss_probe;

	ST_CHECK((char *)bss_probe >= __bss_start && (char *)bss_probe + sizeof(bss_probe) <= __bss_end,
		 "probe %p outside .bss %p-%p", bss_probe, __bss_start, __bss_end);
	for (size_t i = 0; i < sizeof(bss_probe); i++)
		ST_CHECK(p[i] == 0, "byte %zu of .bss is %#x", i, p[i]);
	return 0;
}

static int test_higher_half(const struct boot_info *bi)
{
	uintptr_t rip, rsp;

	__asm__ __volatile__("leaq 0(%%rip), %0; movq %%rsp, %1" : "=r"(rip), "=r"(rsp));
	ST_CHECK(rip >= KERNEL_VIRT_BASE, "rip %#lx", rip);
	ST_CHECK(rsp >= KERNEL_VIRT_BASE, "rsp %#lx", rsp);
	ST_CHECK((uintptr_t)_text >= KERNEL_VIRT_BASE + KERNEL_PHYS_BASE, "_text %p", _text);
	/* Our page tables map the image at KERNEL_VIRT_BASE + its physical address. */
	for (const char *p = _text; p < _end; p += 64 * PAGE_SIZE) {
		uint64_t pa;

		ST_CHECK(!vm_lookup((uintptr_t)p, &pa), "%p is not mapped", p);
		ST_CHECK(pa == kernel_virt_to_phys(p), "%p maps %#lx, not %#lx", p, pa,
			 kernel_virt_to_phys(p));
	}
	/* And nothing maps low addresses any more: a NULL dereference faults. */
	{
		uint64_t pa;

		ST_CHECK(vm_lookup(0, &pa) == -ENOENT, "address 0 maps %#lx", pa);
		ST_CHECK(vm_lookup(KERNEL_PHYS_BASE, &pa) == -ENOENT,
			 "the boot identity map is still there (%#lx)", pa);
	}
	return 0;
}

static int test_cmdline_copied(const struct boot_info *bi)
{
	size_t n = strnlen(bi->cmdline, sizeof(bi->cmdline));

	ST_CHECK(n < sizeof(bi->cmdline), "no NUL in the command line buffer");
	for (size_t i = 0; i < n; i++)
		ST_CHECK(bi->cmdline[i] >= 0x20 && bi->cmdline[i] < 0x7f,
			 "byte %zu is %#x", i, (unsigned char)bi->cmdline[i]);
	return 0;
}

static const struct selftest boot_tests[] = {
	{ test_mmap_sane, "boot: memory map is sorted, disjoint and holds the kernel", ST_ALL },
	{ test_bss_zero, "boot: .bss is zero", ST_ALL },
	{ test_higher_half, "boot: running in the higher half, on our own page tables", ST_ALL },
	{ test_cmdline_copied, "boot: command line copied and NUL-terminated", ST_ALL },
};
SELFTEST_TABLE(10, boot_tests);
