/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Xen PV: the guest's physical-to-machine (P2M) table published for the toolstack, as the
 * 3-level frame list Xen's save code walks (xen/arch-x86/xen.h struct arch_shared_info;
 * tools/libs/guest/xg_sr_save_x86_pv.c map_p2m_tree). xen-guest/p2m_pv.c, docs/suspend.md.
 */
#ifndef PVKIT_XEN_P2M_H
#define PVKIT_XEN_P2M_H

#include <pvkit/types.h>

/** Entries of one frame of the list: 4 KiB of 8-byte MFNs. */
#define XEN_PV_P2M_PER_PAGE	512ul
/** pfns one L2 page covers (512 leaves of 512 entries). */
#define XEN_PV_P2M_PER_L2	(XEN_PV_P2M_PER_PAGE * XEN_PV_P2M_PER_PAGE)
/** The most pfns the 3 levels reach. */
#define XEN_PV_P2M_MAX_PFNS	(XEN_PV_P2M_PER_L2 * XEN_PV_P2M_PER_PAGE)
/** A p2m entry of a pfn with no frame behind it (given back to Xen: balloon). */
#define XEN_PV_P2M_INVALID	(~0ul)

/** What is published now (for the console line, tests, diagnostics). */
struct xen_pv_p2m_info {
	unsigned long max_pfn;		/**< shared_info arch.max_pfn: what the toolstack reads */
	unsigned long leaves;		/**< p2m frames (Xen's mfn_list pages) the L2 pages list */
	unsigned int l2_pages;		/**< frames we allocated for the middle level */
	uint64_t l3_pa;			/**< our frame of the top level (its MFN is published) */
};

/**
 * xen_pv_p2m_init() - build the frame lists over start_info's mfn_list and publish them in
 * shared_info (arch.max_pfn, arch.pfn_to_mfn_frame_list_list). Once at PV boot, after mm_init.
 * Without it xl save cannot walk our memory.
 * @return 0, -ENODEV (shared_info not mapped), -EINVAL (no p2m, or mfn_list not
 *         page-aligned), -E2BIG (more pfns than 3 levels reach), -ENOMEM (no frames for the
 *         lists), -EALREADY (published already: use rebuild). On failure nothing is allocated
 *         or published.
 */
int xen_pv_p2m_init(void);

/**
 * xen_pv_p2m_rebuild() - write every list entry again from the p2m's current MFNs and publish
 * again: after a resume every frame (ours included) has a new MFN and shared_info is a new
 * page. Takes start_info's nr_pages again (more or fewer L2 pages as needed).
 * It publishes into xen_shared_info as it is then (the caller maps the new one first).
 * @return 0 or -ENODEV, -EINVAL, -E2BIG, -ENOMEM as xen_pv_p2m_init(); on failure the lists
 *         and what is published stay as they were.
 */
int xen_pv_p2m_rebuild(void);

/**
 * xen_pv_p2m_set() - p2m[@p pfn] = @p mfn: the leaves are the p2m itself, so the published
 * lists show it at once. The frames of the lists themselves cannot be changed (only a rebuild
 * moves them). The caller has made @p mfn hold @p pfn's contents and updated the M2P
 * (MMU_MACHPHYS_UPDATE) and its mappings.
 * @param pfn the pseudo-physical frame.
 * @param mfn its new machine frame, or XEN_PV_P2M_INVALID for a frame given back to Xen.
 * @return 0, -EINVAL (@p pfn past max_pfn), -EBUSY (@p pfn is a frame of the lists),
 *         -ENODEV (nothing published).
 */
int xen_pv_p2m_set(unsigned long pfn, unsigned long mfn);

/**
 * xen_pv_p2m_info() - what is published now.
 * @param info receives it.
 * @return 0 or -ENODEV (nothing published).
 */
int xen_pv_p2m_info(struct xen_pv_p2m_info *info);

#endif /* PVKIT_XEN_P2M_H */
