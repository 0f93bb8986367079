// SPDX-License-Identifier: MIT
/*
 * Xen PV: our physical-to-machine (P2M) table published for the toolstack, so that `xl save`
 * can find every frame (xen/arch-x86/xen.h struct arch_shared_info; Xen's reader is
 * tools/libs/guest/xg_sr_save_x86_pv.c map_p2m_tree). docs/suspend.md has the picture.
 *
 *   shared_info->arch.pfn_to_mfn_frame_list_list = MFN of L3 (one page, ours)
 *   L3[i] = MFN of L2 page i (ours; i < 512)
 *   L2 page i, entry j = MFN of leaf 512 * i + j
 *   leaf k = the page of start_info's mfn_list holding p2m[512 * k .. 512 * k + 511]
 *   shared_info->arch.max_pfn = nr_pages: the entries the toolstack reads
 *
 * Why this 3-level frame list and not the linear list (p2m_cr3 / p2m_vaddr / p2m_generation):
 * the linear list is read through a page-table tree (p2m_cr3), so every change of the tables
 * that map it is a p2m_generation event that aborts a live migration, and it would tie the
 * toolstack to our kernel window's tables. The tree is 1 + nr_pages / 2^18 pages of MFNs of
 * our own, independent of our page tables, rewritten only when frames move (a resume); Xen
 * 4.17 takes it whenever p2m_cr3 is 0. It reaches 2^27 pfns (512 GiB), beyond the 1 GiB
 * kernel window pvkit uses.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/x86.h>
#include <pvkit/xen/p2m.h>
#include <pvkit/xen/pv.h>
#include <xen/xen.h>

/* The published lists. One instance: a PV guest has one p2m. */
static struct {
	bool published;			/* shared_info names our lists: init is done, set may run */
	unsigned long *p2m;		/* the leaves (mfn_list): p2m[pfn] = MFN of pfn */
	uint64_t p2m_pa;		/* where it starts (page-aligned): leaf k is k frames on */
	unsigned long max_pfn;		/* entries published (start_info nr_pages when built) */
	uint64_t l3_pa;			/* the top page; 0 until allocated (kept across rebuilds) */
	uint64_t l2_pa[XEN_PV_P2M_PER_PAGE]; /* the middle pages; [nr_l2..] are 0, not ours */
	unsigned int nr_l2;		/* middle pages allocated: what max_pfn needs (after a build) */
} p2m;

static unsigned long xen_pv_p2m_leaves(unsigned long nr_pfns)
{
	return DIV_ROUND_UP(nr_pfns, XEN_PV_P2M_PER_PAGE);
}

static unsigned int xen_pv_p2m_l2_needed(unsigned long nr_pfns)
{
	return DIV_ROUND_UP(nr_pfns, XEN_PV_P2M_PER_L2);
}

/* The MFN of one of our frames, from the p2m as it is now. */
static unsigned long xen_pv_p2m_frame_mfn(uint64_t pa)
{
	return xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT);
}

/* What the domain builder gave us, checked before anything is allocated or written. */
static int xen_pv_p2m_check(const unsigned long *list, unsigned long nr_pfns)
{
	if (!xen_shared_info) {
		printk("pvkit: p2m: shared_info is not mapped\n");
		return -ENODEV;
	}
	if (nr_pfns == 0 || !list) {
		printk("pvkit: p2m: start_info has no p2m (nr_pages %lu)\n", nr_pfns);
		return -EINVAL;
	}
	if (nr_pfns > XEN_PV_P2M_MAX_PFNS) {
		printk("pvkit: p2m: %lu pfns, more than 3 levels reach (%lu)\n", nr_pfns,
		       XEN_PV_P2M_MAX_PFNS);
		return -E2BIG;
	}
	/* Leaf k must be exactly the entries 512k..512k+511: the toolstack reads whole frames. */
	if ((uintptr_t)list & (PAGE_SIZE - 1)) {
		printk("pvkit: p2m: mfn_list %p is not page-aligned\n", (const void *)list);
		return -EINVAL;
	}
	return 0;
}

/* Middle pages [nr_l2, need) from the page allocator; on failure the ones taken go back. */
static int xen_pv_p2m_grow(unsigned int need)
{
	unsigned int have = p2m.nr_l2, i;
	int err;

	for (i = have; i < need; i++) {
		err = os_page_alloc(&p2m.l2_pa[i]);
		if (err) {
			printk("pvkit: p2m: no frame for L2 page %u of %u: %d\n", i, need, err);
			goto out_free_new;
		}
	}
	if (need > have)
		p2m.nr_l2 = need;
	return 0;

out_free_new:
	while (i-- > have) {
		os_page_free(p2m.l2_pa[i]);
		p2m.l2_pa[i] = 0;
	}
	return err;
}

/* Every list entry from the p2m's MFNs now; the tails of the pages (past max_pfn) are 0. */
static void xen_pv_p2m_fill(void)
{
	unsigned long leaves = xen_pv_p2m_leaves(p2m.max_pfn);
	unsigned int need = xen_pv_p2m_l2_needed(p2m.max_pfn);
	unsigned long *l3 = os_phys_to_virt(p2m.l3_pa);

	for (unsigned int i = 0; i < need; i++) {
		unsigned long *l2 = os_phys_to_virt(p2m.l2_pa[i]);

		for (unsigned long j = 0; j < XEN_PV_P2M_PER_PAGE; j++) {
			unsigned long k = i * XEN_PV_P2M_PER_PAGE + j;

			l2[j] = k < leaves ? xen_pv_p2m_frame_mfn(p2m.p2m_pa + k * PAGE_SIZE) : 0;
		}
	}
	for (unsigned int i = 0; i < XEN_PV_P2M_PER_PAGE; i++)
		l3[i] = i < need ? xen_pv_p2m_frame_mfn(p2m.l2_pa[i]) : 0;
}

/* shared_info names the lists: they are complete before the toolstack can see them. */
static void xen_pv_p2m_publish(void)
{
	struct arch_shared_info *a = &xen_shared_info->arch;

	wmb();
	WRITE_ONCE(a->p2m_cr3, 0);		/* 0: the toolstack takes the 3-level list */
	WRITE_ONCE(a->pfn_to_mfn_frame_list_list, xen_pv_p2m_frame_mfn(p2m.l3_pa));
	WRITE_ONCE(a->max_pfn, p2m.max_pfn);
	wmb();
	p2m.published = true;
}

/* Build (or build again) over start_info's p2m; see the header for the errors. */
static int xen_pv_p2m_build(void)
{
	unsigned long *list = (unsigned long *)xen_start_info.mfn_list;
	unsigned long nr_pfns = xen_start_info.nr_pages;
	bool new_l3 = false;
	unsigned int need;
	int err;

	err = xen_pv_p2m_check(list, nr_pfns);
	if (err)
		return err;
	need = xen_pv_p2m_l2_needed(nr_pfns);
	if (!p2m.l3_pa) {
		err = os_page_alloc(&p2m.l3_pa);
		if (err) {
			printk("pvkit: p2m: no frame for the L3 page: %d\n", err);
			p2m.l3_pa = 0;
			return err;
		}
		new_l3 = true;
	}
	err = xen_pv_p2m_grow(need);
	if (err)
		goto out_free_l3;

	/* From here nothing fails: the lists are written whole, then published. */
	p2m.p2m = list;
	p2m.p2m_pa = os_virt_to_phys(list);
	p2m.max_pfn = nr_pfns;
	xen_pv_p2m_fill();
	xen_pv_p2m_publish();
	while (p2m.nr_l2 > need) {		/* fewer pfns than before: no longer named */
		p2m.nr_l2--;
		os_page_free(p2m.l2_pa[p2m.nr_l2]);
		p2m.l2_pa[p2m.nr_l2] = 0;
	}
	return 0;

out_free_l3:
	if (new_l3) {
		os_page_free(p2m.l3_pa);
		p2m.l3_pa = 0;
	}
	return err;
}

int xen_pv_p2m_init(void)
{
	if (p2m.published)
		return -EALREADY;
	return xen_pv_p2m_build();
}

int xen_pv_p2m_rebuild(void)
{
	return xen_pv_p2m_build();
}

/* Is @pfn one of the frames the toolstack reads the lists from (L3, an L2 page, a leaf)? */
static bool xen_pv_p2m_is_list_frame(unsigned long pfn)
{
	unsigned long leaf0 = p2m.p2m_pa >> PAGE_SHIFT;

	if (pfn == p2m.l3_pa >> PAGE_SHIFT)
		return true;
	for (unsigned int i = 0; i < p2m.nr_l2; i++)
		if (pfn == p2m.l2_pa[i] >> PAGE_SHIFT)
			return true;
	return pfn >= leaf0 && pfn - leaf0 < xen_pv_p2m_leaves(p2m.max_pfn);
}

int xen_pv_p2m_set(unsigned long pfn, unsigned long mfn)
{
	if (!p2m.published)
		return -ENODEV;
	if (pfn >= p2m.max_pfn)
		return -EINVAL;
	/* Our list frames never move while we run (they are ours, never handed out): a move
	 * would change an entry that names them, mid-walk for a toolstack. A resume moves them
	 * all at once, with the domain stopped: xen_pv_p2m_rebuild. */
	if (xen_pv_p2m_is_list_frame(pfn))
		return -EBUSY;
	WRITE_ONCE(p2m.p2m[pfn], mfn);		/* one store: the toolstack sees old or new */
	return 0;
}

int xen_pv_p2m_info(struct xen_pv_p2m_info *info)
{
	if (!p2m.published)
		return -ENODEV;
	info->max_pfn = p2m.max_pfn;
	info->leaves = xen_pv_p2m_leaves(p2m.max_pfn);
	info->l2_pages = p2m.nr_l2;
	info->l3_pa = p2m.l3_pa;
	return 0;
}
