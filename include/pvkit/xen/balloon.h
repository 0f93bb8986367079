/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The Xen balloon (xen-guest/balloon.c, docs/smp.md "Balloon"): follows `xl mem-set`, i.e.
 * the toolstack's memory/target (KiB), by giving free frames back to Xen
 * (XENMEM_decrease_reservation) and taking them again (XENMEM_populate_physmap), Xen PV and
 * PVH. It never grows the domain past what it started with, nor past memory/static-max, and
 * never takes the kernel below a floor of free frames (BALLOON_FLOOR_KIB): a target below
 * what the guest can give is followed as far as that allows and the rest is reported.
 *
 * Console lines, one per step (a step: one target followed as far as it goes):
 *   pvkit: balloon: ready mode=xen-pv|xen-pvh current=C KiB floor=F KiB
 *   pvkit: balloon: target=T KiB current=C KiB: giving back N pages | taking back N pages |
 *                   already there
 *   pvkit: balloon: target=T KiB current=C KiB xen=X KiB out=P ms=M: reached
 *   pvkit: balloon: target=T KiB current=C KiB xen=X KiB out=P ms=M: short by S KiB (why)
 *   pvkit: balloon: memory/target "V": not a number of KiB (ignored)    and the like
 *   pvkit: balloon: Xen counts X KiB, we counted C KiB: taking Xen's count
 * current: the domain's pages by the guest's own count: Xen's count when the step began,
 * less what the balloon gave since, plus what it took; that is what `xl list` shows (Xen's
 * tot_pages). xen: Xen's count now (XENMEM_current_reservation). out: frames given back and
 * not taken again. Under PVH Xen's count also drops by a page whenever gnttab places a
 * grant-table frame over a frame of RAM (XENMEM_add_to_physmap): each step starts from Xen's
 * count and says so when it differs from ours.
 */
#ifndef PVKIT_XEN_BALLOON_H
#define PVKIT_XEN_BALLOON_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

/** Frames the kernel keeps free whatever the target: 8 MiB (2048 frames). */
#define BALLOON_FLOOR_KIB	(8u << 10)
/** Frames per hypercall: one page of extents. */
#define BALLOON_BATCH		512u
/** A target past this many KiB (1 PiB) is not believed. */
#define BALLOON_TARGET_MAX_KIB	(1ull << 40)

/** The balloon's counts (the `balloon` console command, tests). */
struct xen_balloon_stats {
	bool running;			/**< xen_balloon_init() succeeded */
	bool working;			/**< moving towards the target now */
	uint64_t target_kib;		/**< the last memory/target taken (0: none yet) */
	uint64_t first_target_kib;	/**< the first one: what the domain was built for */
	uint64_t static_max_kib;	/**< memory/static-max as last read (0: unknown) */
	uint64_t base_pages;		/**< the domain's pages with none given back: Xen's count
					     when the current step began, plus out_pages */
	int64_t slack_pages;		/**< pages held beyond the first target (PVH: the special
					     pages the toolstack adds); kept beside every target */
	int64_t drift_pages;		/**< Xen's count less ours, added up over the steps' starts
					     (PVH: grant-table frames placed over RAM) */
	uint64_t aim_pages;		/**< what it works towards: target + slack, capped */
	uint64_t current_pages;		/**< base_pages - out_pages: the guest's own count */
	uint64_t out_pages;		/**< frames given to Xen and not taken again */
	uint64_t floor_pages;		/**< free frames always kept (BALLOON_FLOOR_KIB) */
	uint64_t given;			/**< frames given back since boot */
	uint64_t taken;			/**< frames taken again since boot */
	uint64_t partial;		/**< hypercalls Xen did only in part (or refused) */
	uint64_t bad_targets;		/**< memory/target values ignored */
	uint64_t m2p_errors;		/**< PV: MMU_MACHPHYS_UPDATE batches refused */
};

/**
 * xen_balloon_init() - start the balloon: count the domain's pages (Xen's
 * XENMEM_current_reservation), watch memory/target; the idle loop does the work. Needs
 * xenstore and, under PV, the published P2M.
 * @param bi the boot information (the environment).
 * @return 0, -ENODEV (PV without a published P2M), -E2BIG (more RAM than the balloon tracks),
 *         -ENOMEM, -EALREADY, or the -errno of Xen or xenstore.
 */
int xen_balloon_init(const struct boot_info *bi);

/**
 * xen_balloon_parse_kib() - a memory/target or memory/static-max value: decimal digits only,
 * at most BALLOON_TARGET_MAX_KIB.
 * @param s   the value, NUL-terminated.
 * @param kib receives the number.
 * @return 0, -EINVAL (empty, a sign, anything but digits), -ERANGE (too large).
 */
int xen_balloon_parse_kib(const char *s, uint64_t *kib);

/**
 * xen_balloon_give() - give up to @p pages frames back to Xen now, whatever the target
 * (tests). The idle loop brings the domain back to its target afterwards.
 * @param pages how many.
 * @return frames given (the floor or Xen may allow fewer), or -ENODEV (not running).
 */
long xen_balloon_give(unsigned long pages);

/**
 * xen_balloon_take() - take up to @p pages frames given back earlier again now (tests).
 * @param pages how many.
 * @return frames taken (Xen may give fewer), or -ENODEV (not running).
 */
long xen_balloon_take(unsigned long pages);

/**
 * xen_balloon_is_out() - is the frame at @p pa given back to Xen now? (tests)
 * @param pa a physical address.
 * @return true if so.
 */
bool xen_balloon_is_out(uint64_t pa);

/**
 * xen_balloon_xen_pages() - the domain's pages as Xen counts them now
 * (XENMEM_current_reservation: what `xl list` shows).
 * @param pages receives the count.
 * @return 0 or Xen's -errno.
 */
int xen_balloon_xen_pages(uint64_t *pages);

/**
 * xen_balloon_get_stats() - a copy of the counts.
 * @param st receives them.
 */
void xen_balloon_get_stats(struct xen_balloon_stats *st);

/**
 * xen_balloon_reset() - forget everything without touching Xen or xenstore (the hosted tests;
 * the frames of its map go back to the allocator).
 */
void xen_balloon_reset(void);

#endif /* PVKIT_XEN_BALLOON_H */
