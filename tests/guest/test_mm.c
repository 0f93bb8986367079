// SPDX-License-Identifier: MIT
/*
 * Memory tests through pv_mmu, the same in every environment: 64 MiB of fresh pages mapped,
 * patterned, verified, unmapped and faulting afterwards (with the Xen PV hypercall count of
 * the lazy section); a read-only mapping refusing a write; page-table frames freed and used
 * again; the allocator keeping its hands off reserved frames.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/traps.h>
#include <pvkit/x86.h>
#include <string.h>
#ifdef CONFIG_XEN_GUEST
#include <pvkit/xen/hypercall.h>
#endif

#define BIG_PAGES	(64u << 20 >> PAGE_SHIFT)	/* 64 MiB */
#define LAZY_RATIO	64				/* PTE updates per hypercall, at least */

static uint64_t big_frames[BIG_PAGES];

static uint64_t hypercalls_total(void)
{
	uint64_t n = 0;

#ifdef CONFIG_XEN_GUEST
	for (unsigned int i = 0; i < XEN_HYPERCALL_MAX; i++)
		n += xen_hypercall_count[i];
#endif
	return n;
}

static uint64_t pattern(size_t page, size_t word)
{
	return (page * 0x9e3779b97f4a7c15ull) ^ (word * 0xbf58476d1ce4e5b9ull) ^ 0x5a5a;
}

/* Read one word; a fault is recorded (trap_expect armed by the caller) instead of fatal. */
static uint64_t read_guarded(const volatile uint64_t *p)
{
	uint64_t v = 0xdeadull;

	__asm__ __volatile__("1: movq (%1), %0\n"
			     "2:\n"
			     EXTABLE_ENTRY(1b, 2b)
			     : "+r"(v) : "r"(p) : "memory");
	return v;
}

static void write_guarded(volatile uint64_t *p, uint64_t v)
{
	__asm__ __volatile__("1: movq %1, (%0)\n"
			     "2:\n"
			     EXTABLE_ENTRY(1b, 2b)
			     : : "r"(p), "r"(v) : "memory");
}

static void free_frames(uint64_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		page_free(f[i]);
}

static int test_map_64m(const struct boot_info *bi)
{
	const size_t words = PAGE_SIZE / 8;
	uint64_t free_before = page_free_count(), hc, hc0;
	struct trap_record rec;
	uint64_t *va;
	size_t n;
	int err;

	for (n = 0; n < BIG_PAGES; n++)
		if (page_alloc(&big_frames[n]))
			break;
	ST_CHECK(n == BIG_PAGES, "only %zu of %u frames available", n, BIG_PAGES);
	va = vmap_reserve(BIG_PAGES * PAGE_SIZE);
	if (!va) {
		free_frames(big_frames, n);
		ST_CHECK(va, "no address space for 64 MiB");
	}

	hc0 = hypercalls_total();
	err = vm_map_pages((uintptr_t)va, big_frames, BIG_PAGES, VM_WRITE);	/* one lazy section */
	hc = hypercalls_total() - hc0;
	if (err)
		free_frames(big_frames, n);
	ST_CHECK(err == 0, "vm_map_pages: %d", err);
	if (bi->env == BOOT_XEN_PV)
		printk("pvkit: lazy-mmu ptes=%u hypercalls=%lu\n", BIG_PAGES, hc);

	for (size_t p = 0; p < BIG_PAGES; p++)
		for (size_t w = 0; w < words; w++)
			va[p * words + w] = pattern(p, w);
	for (size_t p = 0; p < BIG_PAGES; p++) {
		const uint64_t *direct = phys_to_virt(big_frames[p]);	/* the same frame */

		for (size_t w = 0; w < words; w += 61)
			ST_CHECK(va[p * words + w] == pattern(p, w) && direct[w] == pattern(p, w),
				 "page %zu word %zu: %#lx / %#lx", p, w, va[p * words + w], direct[w]);
	}

	ST_CHECK(vm_unmap((uintptr_t)va, BIG_PAGES * PAGE_SIZE) == 0, "unmap failed");
	trap_expect(X86_TRAP_PF);
	read_guarded(&va[BIG_PAGES / 2 * words]);
	ST_CHECK(trap_expect_done(&rec), "no fault reading the unmapped range");
	ST_CHECK(rec.cr2 == (uintptr_t)&va[BIG_PAGES / 2 * words], "cr2 %#lx", rec.cr2);
	ST_CHECK(!(rec.error & PF_PRESENT), "error code %#lx: not a not-present fault", rec.error);
	vmap_free(va, BIG_PAGES * PAGE_SIZE);
	free_frames(big_frames, BIG_PAGES);
	/* Every frame back, page tables included. */
	ST_CHECK(page_free_count() == free_before, "%lu frames free before, %lu after",
		 free_before, page_free_count());
	if (bi->env == BOOT_XEN_PV)
		ST_CHECK(hc * LAZY_RATIO <= BIG_PAGES, "%lu hypercalls for %u PTE updates: more "
			 "than 1 per %u", hc, BIG_PAGES, LAZY_RATIO);
	return 0;
}

static int test_readonly_faults(const struct boot_info *bi)
{
	struct trap_record rec;
	volatile uint64_t *va;
	uint64_t frame;
	int err = page_alloc(&frame);

	ST_CHECK(!err, "page_alloc: %d", err);
	va = vmap_reserve(PAGE_SIZE);
	ST_CHECK(va && !vm_map((uintptr_t)va, frame, PAGE_SIZE, VM_WRITE), "map failed");
	va[3] = 0x1234;
	ST_CHECK(!vm_protect((uintptr_t)va, PAGE_SIZE, VM_READ), "protect failed");
	trap_expect(X86_TRAP_PF);
	write_guarded(&va[3], 0x5678);
	ST_CHECK(trap_expect_done(&rec), "a write to a read-only page did not fault");
	ST_CHECK((rec.error & (PF_PRESENT | PF_WRITE)) == (PF_PRESENT | PF_WRITE),
		 "error code %#lx, want present+write", rec.error);
	ST_CHECK(rec.cr2 == (uintptr_t)&va[3], "cr2 %#lx", rec.cr2);
	ST_CHECK(va[3] == 0x1234, "the refused write changed memory to %#lx", va[3]);
	ST_CHECK(!vm_protect((uintptr_t)va, PAGE_SIZE, VM_WRITE), "protect back failed");
	va[3] = 0x9abc;
	ST_CHECK(va[3] == 0x9abc, "write after making it writable again lost");
	ST_CHECK(vm_protect((uintptr_t)va + PAGE_SIZE, PAGE_SIZE, VM_READ) == -ENOENT,
		 "protecting an unmapped page did not say -ENOENT");
	vm_unmap((uintptr_t)va, PAGE_SIZE);
	vmap_free((void *)va, PAGE_SIZE);
	page_free(frame);
	return 0;
}

/* The L1 table that maps @va, or 0. */
static uint64_t l1_table_of(uintptr_t va)
{
	uint64_t table = pv_read_cr3();

	for (unsigned int level = 4; level > 1; level--) {
		const pte_t *t = phys_to_virt(table);
		pte_t e = READ_ONCE(t[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511]);

		if (!(e & PTE_P))
			return 0;
		table = pv_pte_pa(e);
	}
	return table;
}

static int test_pt_frames_reused(const struct boot_info *bi)
{
	uint64_t data, again, table, table2;
	uint8_t *area = vmap_reserve(8u << 20);
	uintptr_t a, b;
	volatile uint64_t *w;
	struct trap_record rec;

	ST_CHECK(area, "no address space");
	a = ALIGN_UP((uintptr_t)area, 2u << 20);	/* a 2 MiB slot of its own: a new L1 */
	b = a + (4u << 20);
	ST_CHECK(!page_alloc(&data), "no frame");
	ST_CHECK(!vm_map(a, data, PAGE_SIZE, VM_WRITE), "map a failed");
	table = l1_table_of(a);
	ST_CHECK(table && !page_is_free(table), "no L1 table for %#lx", a);
	ST_CHECK(!vm_unmap(a, PAGE_SIZE), "unmap failed");
	ST_CHECK(l1_table_of(a) == 0, "the empty L1 table was not freed");
	ST_CHECK(page_is_free(table), "frame %#lx of the freed table is not free", table);

	/* The freed table's frame is writable memory again (Xen PV: no longer typed). */
	w = phys_to_virt(table);
	trap_expect(X86_TRAP_PF);
	write_guarded(w, 0x7777);
	ST_CHECK(!trap_expect_done(&rec), "freed table frame %#lx still read-only", table);

	/* Lowest free frame first: the next table should be built in that very frame. */
	ST_CHECK(!vm_map(b, data, PAGE_SIZE, VM_WRITE), "map b failed");
	table2 = l1_table_of(b);
	ST_CHECK(table2 == table, "new table in %#lx, freed one was %#lx", table2, table);
	ST_CHECK(!vm_lookup(b, &again) && again == data, "b maps %#lx, not %#lx", again, data);
	vm_unmap(b, PAGE_SIZE);
	vmap_free(area, 8u << 20);
	page_free(data);
	return 0;
}

static int test_builder_tables_reclaimed(const struct boot_info *bi)
{
	ST_CHECK(mm_reclaimed_frames > 0, "none of the domain builder's page tables came back");
	return 0;
}

static int test_alloc_avoids_reserved(const struct boot_info *bi)
{
	static uint64_t got[2048];
	extern char _end_pa[];
	unsigned int n;
	int bad = 0;

	for (n = 0; n < ARRAY_SIZE(got) && !page_alloc(&got[n]); n++) {
		uint64_t pa = got[n];

		bool boot_tables = pa >= (uintptr_t)__boot_bss_start &&
				   pa < (uintptr_t)__boot_bss_end;	/* given back on purpose */

		if (pa < (1u << 20) || !IS_ALIGNED(pa, PAGE_SIZE) ||
		    (pa >= KERNEL_PHYS_BASE && pa < (uintptr_t)_end_pa && !boot_tables))
			bad++;
	}
	for (unsigned int i = 0; i + 1 < n; i++)
		for (unsigned int j = i + 1; j < n && j < i + 8; j++)
			if (got[i] == got[j])
				bad++;
	free_frames(got, n);
	ST_CHECK(n == ARRAY_SIZE(got), "only %u frames", n);
	ST_CHECK(!bad, "%d frames were reserved, misaligned or handed out twice", bad);
	return 0;
}

static const struct selftest mm_tests[] = {
	{ test_map_64m, "mm: 64 MiB mapped, patterned, verified, unmapped, then faulting", ST_ALL },
	{ test_readonly_faults, "mm: a write to a read-only mapping faults", ST_ALL },
	{ test_pt_frames_reused, "mm: freed page-table frames are reused", ST_ALL },
	{ test_builder_tables_reclaimed, "mm: the domain builder's tables were taken back",
	  ST_XEN_PV },
	{ test_alloc_avoids_reserved, "mm: the allocator never hands out reserved frames", ST_ALL },
};
SELFTEST_TABLE(60, mm_tests);
