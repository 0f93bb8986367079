// SPDX-License-Identifier: MIT
/*
 * The Xen balloon in the guest (issue 15 item 6, xen-guest/balloon.c): 4 MiB given back to Xen
 * and taken again, with Xen's own count of the domain's pages (XENMEM_current_reservation, what
 * `xl list` shows), the allocator's counts and, under PV, the P2M and Xen's M2P checked at
 * each end; every frame that was out is unmapped while out, mapped and usable after.
 * Interrupts are off while the counts are read around each call, so no driver allocates in
 * between; the checks come after.
 */
#include <pvkit/mm.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>
#include <pvkit/xen/balloon.h>
#include <pvkit/xen/pv.h>
#include <xen/xen.h>
#include "selftest.h"

#define TB_PAGES	1024			/* 4 MiB */
#define TB_PATTERN	0xba110aba110aba11ull

static uint64_t tb_frames[TB_PAGES];		/* the frames that were out */

/* Counts around one call, read together with interrupts off. */
struct tb_counts {
	uint64_t xen;				/* Xen's count of the domain's pages */
	uint64_t free, taken;			/* the allocator's */
	int err;				/* of XENMEM_current_reservation */
};

static void tb_read(struct tb_counts *c)
{
	c->err = xen_balloon_xen_pages(&c->xen);
	c->free = page_free_count();
	c->taken = page_taken_count();
}

/* The frames out now, into tb_frames. Return: how many (all, even past TB_PAGES). */
static uint64_t tb_collect(void)
{
	uint64_t n = 0;

	for (uint64_t pa = 0; pa < page_top(); pa += PAGE_SIZE)
		if (xen_balloon_is_out(pa) && n++ < TB_PAGES)
			tb_frames[n - 1] = pa;
	return n;
}

/* While out: not free, not mapped in the window, PV: a hole in the P2M. */
static int tb_check_out(const struct boot_info *bi, uint64_t pa)
{
	uint64_t seen;

	ST_CHECK(!page_is_free(pa), "frame %#lx is out and free", pa);
	ST_CHECK(vm_lookup((uintptr_t)phys_to_virt(pa), &seen) == -ENOENT,
		 "frame %#lx is out and still mapped (to %#lx)", pa, seen);
	if (bi->env == BOOT_XEN_PV)
		ST_CHECK(xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT) == ~0ul, "frame %#lx: p2m %#lx",
			 pa, xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT));
	return 0;
}

/* Back: free, mapped at its window address, PV: an MFN whose M2P entry is it; writable. */
static int tb_check_back(const struct boot_info *bi, uint64_t pa)
{
	volatile uint64_t *w = phys_to_virt(pa);
	uint64_t seen = 0;
	unsigned long fl;
	bool kept;

	ST_CHECK(page_is_free(pa), "frame %#lx is back but not free", pa);
	ST_CHECK(vm_lookup((uintptr_t)w, &seen) == 0 && seen == pa,
		 "frame %#lx is back but its window page maps %#lx", pa, seen);
	if (bi->env == BOOT_XEN_PV) {
		const unsigned long *m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
		unsigned long mfn = xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT);

		ST_CHECK(mfn < MACH2PHYS_NR_ENTRIES && m2p[mfn] == pa >> PAGE_SHIFT,
			 "frame %#lx: p2m %#lx, whose M2P entry is %#lx", pa, mfn,
			 mfn < MACH2PHYS_NR_ENTRIES ? m2p[mfn] : ~0ul);
	}
	fl = pv_irq_save();			/* free: nobody may allocate it meanwhile */
	*w = TB_PATTERN;
	kept = *w == TB_PATTERN;
	*w = 0;
	pv_irq_restore(fl);
	ST_CHECK(kept, "frame %#lx does not keep what is written", pa);
	return 0;
}

static int test_give_take(const struct boot_info *bi)
{
	struct xen_balloon_stats s0, s1, s2;
	struct tb_counts c0, c1, c2;
	long given, got;
	unsigned long fl;
	uint64_t n;
	int err;

	xen_balloon_get_stats(&s0);
	ST_CHECK(s0.running, "the balloon is not running");
	if (s0.working || s0.out_pages) {
		printk("#   the balloon is following a target (%lu pages out): not now\n",
		       s0.out_pages);
		return ST_SKIPPED;
	}
	fl = pv_irq_save();
	tb_read(&c0);
	given = xen_balloon_give(TB_PAGES);
	tb_read(&c1);
	pv_irq_restore(fl);
	xen_balloon_get_stats(&s1);
	ST_CHECK(c0.err == 0 && c1.err == 0, "XENMEM_current_reservation: %d, %d", c0.err,
		 c1.err);
	ST_CHECK(given == TB_PAGES, "%ld of %u pages given back", given, TB_PAGES);
	ST_CHECK(c1.xen == c0.xen - TB_PAGES, "Xen counts %lu pages, %lu before", c1.xen, c0.xen);
	ST_CHECK(c1.taken == c0.taken + TB_PAGES && c1.free == c0.free - TB_PAGES,
		 "allocator: taken %lu -> %lu, free %lu -> %lu", c0.taken, c1.taken, c0.free,
		 c1.free);
	ST_CHECK(s1.out_pages == TB_PAGES && s1.current_pages == s0.current_pages - TB_PAGES,
		 "balloon: out %lu, current %lu (was %lu)", s1.out_pages, s1.current_pages,
		 s0.current_pages);
	n = tb_collect();
	ST_CHECK(n == TB_PAGES, "%lu frames marked out", n);
	for (uint64_t i = 0; i < n; i++) {
		err = tb_check_out(bi, tb_frames[i]);
		if (err)
			return err;		/* the idle loop takes them back (the target) */
	}

	fl = pv_irq_save();
	got = xen_balloon_take(TB_PAGES);
	tb_read(&c2);
	pv_irq_restore(fl);
	xen_balloon_get_stats(&s2);
	ST_CHECK(got == TB_PAGES, "%ld of %u pages taken again", got, TB_PAGES);
	ST_CHECK(c2.err == 0 && c2.xen == c0.xen, "Xen counts %lu pages, %lu at first (%d)",
		 c2.xen, c0.xen, c2.err);
	ST_CHECK(c2.taken == c0.taken && c2.free == c0.free, "allocator: taken %lu, free %lu "
		 "(%lu, %lu at first)", c2.taken, c2.free, c0.taken, c0.free);
	ST_CHECK(s2.out_pages == 0 && s2.current_pages == s0.current_pages, "balloon: out %lu, "
		 "current %lu", s2.out_pages, s2.current_pages);
	for (uint64_t i = 0; i < n; i++) {
		err = tb_check_back(bi, tb_frames[i]);
		if (err)
			return err;
	}
	printk("#   %u pages given back and taken again: Xen counted %lu, %lu, %lu KiB; frames "
	       "%#lx-%#lx\n", TB_PAGES, c0.xen * 4, c1.xen * 4, c2.xen * 4, tb_frames[0],
	       tb_frames[n - 1]);
	return 0;
}

static const struct selftest balloon_tests[] = {
	{ test_give_take, "xen: balloon gives 4 MiB back and takes it again, every count agrees",
	  ST_XEN_PV | ST_XEN_PVH },
};
SELFTEST_TABLE(58, balloon_tests);
