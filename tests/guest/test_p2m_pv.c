// SPDX-License-Identifier: MIT
/*
 * The P2M published for the toolstack (issue 13, xen-guest/p2m_pv.c), read back the way Xen's
 * save code reads it (tools/libs/guest/xg_sr_save_x86_pv.c map_p2m_tree): from shared_info's
 * frame_list_list MFN down to every leaf entry. The guest can read its own frames: each MFN
 * is turned into our pfn through Xen's M2P (xen_pv_mfn_to_pfn, which also insists the p2m
 * agrees) and read through the kernel window. PV only: PVH has no P2M to publish.
 */
#include <pvkit/mm.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/x86.h>
#include <pvkit/xen/p2m.h>
#include <pvkit/xen/pv.h>
#include <xen/xen.h>

/* One of our frames by its MFN, readable through the kernel window; NULL if it is not ours. */
static const unsigned long *tp_frame(unsigned long mfn, unsigned long *pfn)
{
	*pfn = xen_pv_mfn_to_pfn(mfn);
	if (*pfn == ~0ul || ((uint64_t)*pfn << PAGE_SHIFT) >= MM_WINDOW_MAX)
		return NULL;
	return phys_to_virt((uint64_t)*pfn << PAGE_SHIFT);
}

/* p2m[@pfn] as the toolstack finds it: shared_info -> L3 -> L2 -> leaf. -ENOENT: a hole. */
static int tp_chain(unsigned long pfn, unsigned long *mfn)
{
	unsigned long k = pfn / XEN_PV_P2M_PER_PAGE, frame;
	const unsigned long *l3, *l2, *leaf;

	l3 = tp_frame(READ_ONCE(xen_shared_info->arch.pfn_to_mfn_frame_list_list), &frame);
	if (!l3)
		return -ENOENT;
	l2 = tp_frame(READ_ONCE(l3[k / XEN_PV_P2M_PER_PAGE]), &frame);
	if (!l2)
		return -ENOENT;
	leaf = tp_frame(READ_ONCE(l2[k % XEN_PV_P2M_PER_PAGE]), &frame);
	if (!leaf)
		return -ENOENT;
	*mfn = READ_ONCE(leaf[pfn % XEN_PV_P2M_PER_PAGE]);
	return 0;
}

/*
 * The whole structure, every entry the toolstack reads: max_pfn is ours, p2m_cr3 0 (so the
 * 3-level list is the one read), each frame of the lists is one of ours, leaf k is the k-th
 * page of mfn_list, and for every pfn < max_pfn the chain gives p2m[pfn], an MFN whose M2P
 * entry is pfn again (what Xen itself holds, not only what our array says).
 */
static int test_p2m_walk(const struct boot_info *bi)
{
	const struct arch_shared_info *a = &xen_shared_info->arch;
	const unsigned long *p2m = (const unsigned long *)xen_start_info.mfn_list;
	const unsigned long *m2p = (const unsigned long *)MACH2PHYS_VIRT_START;
	unsigned long max_pfn = READ_ONCE(a->max_pfn), leaf0, l3_pfn, fl_entries, checked = 0;
	const unsigned long *l3, *l2 = NULL;
	struct xen_pv_p2m_info info;

	ST_CHECK(xen_pv_p2m_info(&info) == 0, "the p2m was not published at boot");
	ST_CHECK(max_pfn == xen_start_info.nr_pages, "max_pfn %lu, nr_pages %lu", max_pfn,
		 xen_start_info.nr_pages);
	ST_CHECK(READ_ONCE(a->p2m_cr3) == 0, "p2m_cr3 %#lx: the linear list would be read",
		 a->p2m_cr3);
	l3 = tp_frame(READ_ONCE(a->pfn_to_mfn_frame_list_list), &l3_pfn);
	ST_CHECK(l3, "frame_list_list mfn %#lx is not one of our frames",
		 a->pfn_to_mfn_frame_list_list);
	ST_CHECK((uint64_t)l3_pfn << PAGE_SHIFT == info.l3_pa, "L3 at pfn %#lx, ours is %#lx",
		 l3_pfn, info.l3_pa);
	leaf0 = virt_to_phys(p2m) >> PAGE_SHIFT;
	fl_entries = (max_pfn - 1) / XEN_PV_P2M_PER_PAGE + 1;	/* as the toolstack counts */
	ST_CHECK(fl_entries == info.leaves, "%lu leaves to read, %lu listed", fl_entries,
		 info.leaves);

	for (unsigned long k = 0; k < fl_entries; k++) {
		unsigned long pfn, leaf_pfn, mfn;
		const unsigned long *leaf;

		if (k % XEN_PV_P2M_PER_PAGE == 0) {	/* the next L2 page */
			unsigned long i = k / XEN_PV_P2M_PER_PAGE;

			ST_CHECK(l3[i] != 0, "L3[%lu] is 0 (\"Bad mfn\" for the toolstack)", i);
			l2 = tp_frame(l3[i], &pfn);
			ST_CHECK(l2, "L3[%lu] = mfn %#lx is not one of our frames", i, l3[i]);
		}
		mfn = l2[k % XEN_PV_P2M_PER_PAGE];
		leaf = tp_frame(mfn, &leaf_pfn);
		ST_CHECK(leaf, "leaf %lu: mfn %#lx is not one of our frames", k, mfn);
		ST_CHECK(leaf_pfn == leaf0 + k, "leaf %lu is pfn %#lx, page %lu of mfn_list is %#lx",
			 k, leaf_pfn, k, leaf0 + k);
		for (unsigned long j = 0; j < XEN_PV_P2M_PER_PAGE; j++) {
			unsigned long p = k * XEN_PV_P2M_PER_PAGE + j, m = leaf[j];

			if (p >= max_pfn)
				break;
			ST_CHECK(m == p2m[p], "pfn %#lx: the chain says %#lx, p2m %#lx", p, m, p2m[p]);
			if (m == XEN_PV_P2M_INVALID)
				continue;		/* no frame behind it: nothing for the M2P */
			ST_CHECK(m < MACH2PHYS_NR_ENTRIES && m2p[m] == p,
				 "pfn %#lx: the chain's mfn %#lx is pfn %#lx for Xen", p, m,
				 m < MACH2PHYS_NR_ENTRIES ? m2p[m] : ~0ul);
			checked++;
		}
	}
	ST_CHECK(checked > max_pfn / 2, "only %lu of %lu pfns have a frame", checked, max_pfn);
	printk("#   %lu pfns through %u L2 page(s) and %lu leaves, all as Xen holds them\n",
	       checked, info.l2_pages, fl_entries);
	return 0;
}

/*
 * xen_pv_p2m_set on a spare frame (allocated here, used by nobody): given back (INVALID) the
 * chain says so, then its MFN again and the chain has it again; a pfn past max_pfn is refused,
 * and so is any change to a frame of the lists (L3, an L2 page, a leaf). Events are off so
 * nothing runs while the spare frame has no MFN.
 */
static int test_p2m_set(const struct boot_info *bi)
{
	static const char *const names[3] = { "L3", "L2", "leaf" };
	unsigned long pfn, mfn, seen = 0, seen2 = 0, l3_pfn, l2_pfn, fll, fll_after, list[3];
	const unsigned long *l2;
	struct xen_pv_p2m_info info;
	unsigned long fl;
	uint64_t pa;
	int err, r1, r2, c1, c2, rb;

	ST_CHECK(xen_pv_p2m_info(&info) == 0, "the p2m was not published at boot");
	err = page_alloc(&pa);
	ST_CHECK(err == 0, "no spare frame: %d", err);
	pfn = pa >> PAGE_SHIFT;
	mfn = xen_pv_pfn_to_mfn(pfn);
	l3_pfn = info.l3_pa >> PAGE_SHIFT;
	fll = READ_ONCE(xen_shared_info->arch.pfn_to_mfn_frame_list_list);

	fl = pv_irq_save();
	r1 = xen_pv_p2m_set(pfn, XEN_PV_P2M_INVALID);
	c1 = tp_chain(pfn, &seen);
	rb = xen_pv_pfn_to_mfn(pfn) == XEN_PV_P2M_INVALID;
	r2 = xen_pv_p2m_set(pfn, mfn);		/* back, whatever happened above */
	pv_irq_restore(fl);
	ST_CHECK(r2 == 0, "setting pfn %#lx back to mfn %#lx: %d (frame kept)", pfn, mfn, r2);
	c2 = tp_chain(pfn, &seen2);
	page_free(pa);				/* its p2m entry is right again */
	ST_CHECK(r1 == 0, "giving pfn %#lx back: %d", pfn, r1);
	ST_CHECK(c1 == 0 && seen == XEN_PV_P2M_INVALID, "pfn %#lx given back: chain %d says %#lx",
		 pfn, c1, seen);
	ST_CHECK(rb, "the guest's own p2m did not change");
	ST_CHECK(c2 == 0 && seen2 == mfn, "pfn %#lx set back: chain %d says %#lx, not %#lx", pfn,
		 c2, seen2, mfn);

	err = xen_pv_p2m_set(info.max_pfn, mfn);
	ST_CHECK(err == -EINVAL, "a pfn past max_pfn: %d, not -EINVAL", err);
	/* The frames of the lists are refused whatever the value, and nothing changes. */
	l2 = tp_frame(READ_ONCE(((const unsigned long *)phys_to_virt(info.l3_pa))[0]), &l2_pfn);
	ST_CHECK(l2, "L3[0] is not one of our frames");
	list[0] = l3_pfn;
	list[1] = l2_pfn;
	list[2] = virt_to_phys((const void *)xen_start_info.mfn_list) >> PAGE_SHIFT;
	for (unsigned int i = 0; i < 3; i++) {
		unsigned long before = xen_pv_pfn_to_mfn(list[i]), c = 0;

		err = xen_pv_p2m_set(list[i], i ? before : XEN_PV_P2M_INVALID);
		ST_CHECK(err == -EBUSY, "%s frame pfn %#lx: %d, not -EBUSY", names[i], list[i], err);
		ST_CHECK(xen_pv_pfn_to_mfn(list[i]) == before, "%s frame's p2m entry changed",
			 names[i]);
		ST_CHECK(tp_chain(list[i], &c) == 0 && c == before, "%s frame: chain says %#lx",
			 names[i], c);
	}
	fll_after = READ_ONCE(xen_shared_info->arch.pfn_to_mfn_frame_list_list);
	ST_CHECK(fll_after == fll, "a refused set changed the published L3: %#lx -> %#lx", fll,
		 fll_after);
	return 0;
}

static const struct selftest p2m_pv_tests[] = {
	{ test_p2m_walk, "xen-pv: p2m frame lists give every pfn's mfn, as Xen holds it",
	  ST_XEN_PV },
	{ test_p2m_set, "xen-pv: p2m set on a spare frame is seen through the lists",
	  ST_XEN_PV },
};
SELFTEST_TABLE(54, p2m_pv_tests);
