// SPDX-License-Identifier: MIT
/* Page-table index math (kernel/mm/mm_internal.h) and the address-space layout it serves:
 * every index in range, the levels composing back to the address, and our regions clear of
 * the L4 slots Xen reserves for itself in a PV guest (256-271). */
#include <stdint.h>
#include <pvkit/mm.h>
#include "../../kernel/mm/mm_internal.h"
#include "unit.h"

static uint64_t compose(unsigned int l4, unsigned int l3, unsigned int l2, unsigned int l1)
{
	uint64_t va = ((uint64_t)l4 << 39) | ((uint64_t)l3 << 30) | ((uint64_t)l2 << 21) |
		      ((uint64_t)l1 << 12);

	return (va & (1ull << 47)) ? va | 0xffff000000000000ull : va;	/* canonical */
}

static void known_addresses(void)
{
	CHECK(PT_INDEX(KERNEL_VIRT_BASE, 4) == 511);
	CHECK(PT_INDEX(KERNEL_VIRT_BASE, 3) == 510);
	CHECK(PT_INDEX(KERNEL_VIRT_BASE, 2) == 0 && PT_INDEX(KERNEL_VIRT_BASE, 1) == 0);
	CHECK(PT_INDEX(KERNEL_VIRT_BASE + 0x100000, 2) == 0);
	CHECK(PT_INDEX(KERNEL_VIRT_BASE + 0x100000, 1) == 256);
	CHECK(PT_INDEX(KERNEL_VIRT_BASE + (1ull << 30), 3) == 511);
	CHECK(PT_INDEX(MM_VMAP_BASE, 4) == 402);
	CHECK(PT_INDEX(0x0000008000000000ull, 4) == 1);
	CHECK(PT_L1_SPAN == 2u << 20);
	CHECK(PT_SHIFT(1) == 12 && PT_SHIFT(2) == 21 && PT_SHIFT(3) == 30 && PT_SHIFT(4) == 39);
}

static void round_trip(void)
{
	uint64_t x = 0x12345;

	for (int i = 0; i < 100000; i++) {
		unsigned int idx[5];
		uint64_t va;

		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		idx[4] = x & 511; idx[3] = (x >> 9) & 511; idx[2] = (x >> 18) & 511;
		idx[1] = (x >> 27) & 511;
		va = compose(idx[4], idx[3], idx[2], idx[1]) | ((x >> 36) & 0xfff);
		for (unsigned int level = 1; level <= 4; level++)
			CHECKF(PT_INDEX(va, level) == idx[level], "va %#lx level %u: %lu, want %u",
			       (unsigned long)va, level, (unsigned long)PT_INDEX(va, level), idx[level]);
	}
}

static void layout_clear_of_xen(void)
{
	uint64_t vmap_end = MM_VMAP_BASE + MM_VMAP_SIZE - 1;

	/* Xen PV reserves L4 slots 256-271 (0xffff800000000000-0xffff87ffffffffff). */
	CHECK(PT_INDEX(MM_VMAP_BASE, 4) > 271 && PT_INDEX(vmap_end, 4) > 271);
	CHECK(PT_INDEX(MM_VMAP_BASE, 4) == PT_INDEX(vmap_end, 4) ||
	      PT_INDEX(vmap_end, 4) < PT_INDEX(KERNEL_VIRT_BASE, 4));
	CHECK(PT_INDEX(KERNEL_VIRT_BASE + MM_WINDOW_MAX - 1, 4) == 511);
	/* The window fits below the top of the address space (no wrap to 0). */
	CHECK(KERNEL_VIRT_BASE + MM_WINDOW_MAX - 1 > KERNEL_VIRT_BASE);
	CHECK(MM_WINDOW_MAX <= (2ull << 30));		/* -mcmodel=kernel reaches 2 GiB */
}

UNIT_CASES(
	{ known_addresses, "pgtable: indexes of the regions we use" },
	{ round_trip, "pgtable: 10^5 random addresses decompose into their indexes" },
	{ layout_clear_of_xen, "pgtable: window and vmap clear of Xen's L4 slots" },
);
