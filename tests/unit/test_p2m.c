// SPDX-License-Identifier: MIT
/*
 * xen-guest/p2m_pv.c against fake frames (issue 13): the 3-level P2M frame list built over a
 * p2m of each awkward size, read back the way Xen's save code reads it
 * (tools/libs/guest/xg_sr_save_x86_pv.c map_p2m_tree), rebuilt after every frame got a new
 * MFN (a resume) and after nr_pages grew and shrank, its errors (nothing allocated, nothing
 * published), and p2m_set seen through the lists.
 *
 * The fake machine: a frame's MFN is its pfn XOR a key (a resume changes the key, so every
 * MFN changes), pages come from tests/unit/fake_pages.c, the p2m arrays from the C library.
 */
#include <stdlib.h>
#include <string.h>
#include <pvkit/os.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/xen/p2m.h>
#include <pvkit/xen/pv.h>
#include "fake_pages.h"
#include "unit.h"

start_info_t xen_start_info;
shared_info_t *xen_shared_info;
static shared_info_t fake_shinfo;
static unsigned long mfn_key = 0x5a5a5;

unsigned long xen_pv_pfn_to_mfn(unsigned long pfn)
{
	return pfn ^ mfn_key;
}

static const unsigned long *walk_p2m;		/* the p2m the walk may find as leaves */
static size_t walk_p2m_len;			/* its bytes */

/* The toolstack's view: the frame an MFN names, NULL for 0 (its "Bad mfn") and for an MFN
 * that is no frame of the guest's (an allocated fake page or a page of the p2m). */
static const unsigned long *frame(unsigned long mfn)
{
	uint64_t pa = (uint64_t)(mfn ^ mfn_key) << PAGE_SHIFT;
	const char *p = os_phys_to_virt(pa), *w = (const char *)walk_p2m;

	if (mfn == 0)
		return NULL;
	if (fake_page_allocated(pa) || (p >= w && p < w + walk_p2m_len))
		return (const unsigned long *)p;
	return NULL;
}

/* A p2m of @n entries with values of its own (page-aligned, as the builder puts it). */
static unsigned long *make_p2m(unsigned long n, unsigned long salt)
{
	size_t len = DIV_ROUND_UP(n * sizeof(unsigned long), 4096) * 4096;
	unsigned long *p = aligned_alloc(4096, len);

	if (!p)
		abort();
	memset(p, 0xee, len);			/* past n: what the toolstack must not need */
	for (unsigned long i = 0; i < n; i++)
		p[i] = 0x100000 + i * 7 + salt;
	return p;
}

#define SAY(...) do { if (say) printf("#   " __VA_ARGS__); } while (0)

/* Walk as map_p2m_tree does; also that leaf k is page k of @p2m. Return: problems found
 * (each told as a "#" line if @say). */
static int toolstack_walk(const unsigned long *p2m, bool say)
{
	const struct arch_shared_info *a = &xen_shared_info->arch;
	unsigned long max_pfn = a->max_pfn - 1;		/* the toolstack's max_pfn */
	unsigned long fll_entries = max_pfn / XEN_PV_P2M_PER_L2 + 1;
	unsigned long fl_entries = max_pfn / XEN_PV_P2M_PER_PAGE + 1;
	const unsigned long *fll;
	int bad = 0;

	walk_p2m = p2m;
	walk_p2m_len = DIV_ROUND_UP(a->max_pfn * sizeof(unsigned long), 4096) * 4096;
	fll = frame(a->pfn_to_mfn_frame_list_list);
	if (a->p2m_cr3 || !fll) {
		SAY("p2m_cr3 %#lx, frame list list mfn %#lx\n", a->p2m_cr3,
		    a->pfn_to_mfn_frame_list_list);
		return 1;
	}
	for (unsigned long k = 0; k < fl_entries; k++) {
		const unsigned long *fl = frame(fll[k / XEN_PV_P2M_PER_PAGE]);
		const unsigned long *leaf;

		if (!fl || k / XEN_PV_P2M_PER_PAGE >= fll_entries) {
			SAY("L3[%lu] = %#lx\n", k / XEN_PV_P2M_PER_PAGE,
			    fll[k / XEN_PV_P2M_PER_PAGE]);
			return 1;
		}
		leaf = frame(fl[k % XEN_PV_P2M_PER_PAGE]);
		if (leaf != p2m + k * XEN_PV_P2M_PER_PAGE) {
			SAY("leaf %lu is %p, not page %lu of the p2m (%p)\n", k, (void *)leaf,
			    k, (void *)(p2m + k * XEN_PV_P2M_PER_PAGE));
			return 1;
		}
		for (unsigned long j = 0; j < XEN_PV_P2M_PER_PAGE; j++) {
			unsigned long pfn = k * XEN_PV_P2M_PER_PAGE + j;

			if (pfn <= max_pfn && leaf[j] != p2m[pfn] && bad++ < 3)
				SAY("pfn %lu: %#lx\n", pfn, leaf[j]);
		}
	}
	return bad;
}

/* The tails past what max_pfn needs are 0: nothing names a freed or foreign frame. */
static void check_tails(void)
{
	struct xen_pv_p2m_info info;
	const unsigned long *l3;

	if (xen_pv_p2m_info(&info))
		return;
	l3 = os_phys_to_virt(info.l3_pa);
	for (unsigned int i = 0; i < XEN_PV_P2M_PER_PAGE; i++) {
		CHECKF((i < info.l2_pages) == (l3[i] != 0), "L3[%u] = %#lx with %u L2 pages", i,
		       l3[i], info.l2_pages);
		if (i < info.l2_pages) {
			const unsigned long *l2 = frame(l3[i]);

			if (!l2) {
				CHECKF(0, "L3[%u] = %#lx is no frame of ours", i, l3[i]);
				return;
			}
			for (unsigned long j = 0; j < XEN_PV_P2M_PER_PAGE; j++) {
				unsigned long k = i * XEN_PV_P2M_PER_PAGE + j;

				if ((k < info.leaves) != (l2[j] != 0)) {
					CHECKF(0, "L2[%u][%lu] = %#lx, %lu leaves", i, j, l2[j],
					       info.leaves);
					return;
				}
			}
		}
	}
}

static void boot_with(unsigned long *p2m, unsigned long n)
{
	xen_start_info.mfn_list = (unsigned long)p2m;
	xen_start_info.nr_pages = n;
}

/* Before anything is published: every refusal leaves no frame allocated, nothing published. */
static void errors_before_init(void)
{
	unsigned long *p2m = make_p2m(1000, 0);
	unsigned int used = fake_pages_in_use;

	boot_with(p2m, 1000);
	xen_shared_info = NULL;
	CHECK(xen_pv_p2m_init() == -ENODEV);
	xen_shared_info = &fake_shinfo;
	boot_with(p2m, 0);
	CHECK(xen_pv_p2m_init() == -EINVAL);
	boot_with((unsigned long *)((char *)p2m + 8), 1000);
	CHECK(xen_pv_p2m_init() == -EINVAL);		/* not page-aligned */
	boot_with(p2m, XEN_PV_P2M_MAX_PFNS + 1);
	CHECK(xen_pv_p2m_init() == -E2BIG);
	boot_with(p2m, 1000);
	fake_page_fail_after = 1;			/* the L3 page */
	CHECK(xen_pv_p2m_init() == -ENOMEM);
	fake_page_fail_after = 2;			/* the first L2 page */
	CHECK(xen_pv_p2m_init() == -ENOMEM);
	fake_page_fail_after = 0;
	CHECKF(fake_pages_in_use == used, "%u pages left allocated", fake_pages_in_use - used);
	CHECK(fake_shinfo.arch.pfn_to_mfn_frame_list_list == 0 && fake_shinfo.arch.max_pfn == 0);
	CHECK(xen_pv_p2m_set(0, 1) == -ENODEV);
	free(p2m);
}

static unsigned long *cur_p2m;			/* what is published now (kept alive) */

/* Build at boot, then every awkward size through rebuild: partial leaf, exactly one leaf,
 * one L2 page full, one more, several L2 pages, and back down (the extra pages freed). */
static void sizes(void)
{
	static const unsigned long n[] = { 1, 511, 512, 513, XEN_PV_P2M_PER_L2,
					   XEN_PV_P2M_PER_L2 + 1, 3 * XEN_PV_P2M_PER_L2 + 7,
					   32768, 1000 };
	unsigned int base = fake_pages_in_use;

	for (unsigned int i = 0; i < ARRAY_SIZE(n); i++) {
		unsigned long *p2m = make_p2m(n[i], i);
		struct xen_pv_p2m_info info;
		int err;

		boot_with(p2m, n[i]);
		err = i == 0 ? xen_pv_p2m_init() : xen_pv_p2m_rebuild();
		CHECKF(err == 0, "nr_pages %lu: %d", n[i], err);
		CHECK(xen_pv_p2m_info(&info) == 0);
		CHECKF(fake_shinfo.arch.max_pfn == n[i], "max_pfn %lu", fake_shinfo.arch.max_pfn);
		CHECKF(info.l2_pages == DIV_ROUND_UP(n[i], XEN_PV_P2M_PER_L2) &&
		       info.leaves == DIV_ROUND_UP(n[i], 512), "%lu: %u L2 pages, %lu leaves",
		       n[i], info.l2_pages, info.leaves);
		CHECKF(fake_pages_in_use - base == 1 + info.l2_pages, "%lu: %u frames in use",
		       n[i], fake_pages_in_use - base);
		CHECKF(toolstack_walk(p2m, true) == 0, "nr_pages %lu", n[i]);
		check_tails();
		free(cur_p2m);
		cur_p2m = p2m;
		if (unit_failed_checks)
			break;
	}
	CHECK(xen_pv_p2m_init() == -EALREADY);
}

/* A resume: every frame has a new MFN. The lists name the old ones until rebuilt. */
static void rebuild_after_resume(void)
{
	unsigned int used = fake_pages_in_use;

	mfn_key = 0x33333;
	CHECK(toolstack_walk(cur_p2m, false) != 0);	/* stale: the walk must notice */
	CHECK(xen_pv_p2m_rebuild() == 0);
	CHECK(toolstack_walk(cur_p2m, true) == 0);
	CHECKF(fake_pages_in_use == used, "a rebuild of the same size took %d frames",
	       (int)(fake_pages_in_use - used));
}

/* Growing fails half-way: the frames taken go back, the old lists stay published whole. */
static void grow_fails_cleanly(void)
{
	unsigned long *big = make_p2m(3 * XEN_PV_P2M_PER_L2, 99);
	unsigned int used = fake_pages_in_use;
	unsigned long old_max = fake_shinfo.arch.max_pfn;

	boot_with(big, 3 * XEN_PV_P2M_PER_L2);
	fake_page_fail_after = 2;			/* one new L2 page, not the second */
	CHECK(xen_pv_p2m_rebuild() == -ENOMEM);
	fake_page_fail_after = 0;
	CHECKF(fake_pages_in_use == used, "%d frames kept", (int)(fake_pages_in_use - used));
	CHECK(fake_shinfo.arch.max_pfn == old_max);
	CHECK(toolstack_walk(cur_p2m, true) == 0);
	boot_with(cur_p2m, old_max);
	free(big);
}

/* p2m_set: the entry is the leaf, so the toolstack sees it; out of range refused. */
static void set_seen_through_lists(void)
{
	unsigned long max = fake_shinfo.arch.max_pfn;

	CHECK(xen_pv_p2m_set(5, XEN_PV_P2M_INVALID) == 0);
	CHECK(xen_pv_p2m_set(max - 1, 0x4242) == 0);
	CHECK(cur_p2m[5] == XEN_PV_P2M_INVALID && cur_p2m[max - 1] == 0x4242);
	CHECK(toolstack_walk(cur_p2m, true) == 0);
	CHECK(frame(fake_shinfo.arch.pfn_to_mfn_frame_list_list) != NULL);
	CHECK(xen_pv_p2m_set(max, 1) == -EINVAL);
	if (max % XEN_PV_P2M_PER_PAGE)			/* past the end: untouched */
		CHECK(cur_p2m[max] == 0xeeeeeeeeeeeeeeeeul);
}

UNIT_CASES(
	{ errors_before_init, "p2m: refusals allocate nothing and publish nothing" },
	{ sizes, "p2m: every size walks as the toolstack walks it; shrinking frees pages" },
	{ rebuild_after_resume, "p2m: rebuild after new MFNs, no new frames" },
	{ grow_fails_cleanly, "p2m: a failed grow gives frames back, old lists stay" },
	{ set_seen_through_lists, "p2m: set is seen through the lists; past max_pfn refused" },
);
