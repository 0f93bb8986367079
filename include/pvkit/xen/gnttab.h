/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Grant tables, v1 (xen/grant_table.h): give another domain (a backend) access to one of our
 * frames. A reference is ended only when the other side no longer has the frame mapped; until
 * then it stays allocated (ending is deferred and retried), so a live reference is never
 * reused. The table grows on demand up to what Xen allows; running out is -ENOSPC, not a hang.
 */
#ifndef PVKIT_XEN_GNTTAB_H
#define PVKIT_XEN_GNTTAB_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

typedef uint32_t grant_ref_t;		/**< a grant reference: an index into the table */
typedef uint16_t domid_t_pv;		/**< a domain id, as the grant entry holds it */

/** Table frames we use at most, whatever Xen allows (xl's default max_grant_frames is 64):
 * 512 v1 entries per frame. Bounds our bookkeeping and the PV address-space reservation. */
#define GNTTAB_MAX_FRAMES	128
/** Deferred ends retried on each grant/end call (gnttab_poll() retries them all). */
#define GNTTAB_DEFER_RETRY	16

/**
 * gnttab_init() - map the first frames of the table (PV: setup_table + our mapping; PVH:
 * add_to_physmap).
 * @param bi the boot information (the environment).
 * @return 0, -ENODEV (not under Xen, or built without support for it), -ENOMEM, or the
 *         hypercall's -errno.
 */
int gnttab_init(const struct boot_info *bi);

/**
 * gnttab_grant_access() - let @p domid map our RAM frame at @p pa. Grows the table by a
 * frame when no reference is free.
 * @param domid    the domain (the backend).
 * @param pa       the frame's physical address, page-aligned.
 * @param readonly the other side may only read it.
 * @param ref      receives the reference, to hand to the backend.
 * @return 0; -ENOSPC when no reference is free and the table is at its maximum; -ENOMEM (or
 *         Xen's error) when growing failed; -EINVAL for a bad @p pa, -ENODEV before init.
 */
int gnttab_grant_access(domid_t_pv domid, uint64_t pa, bool readonly, grant_ref_t *ref);

/**
 * gnttab_end_access() - revoke @p ref. If the other side still has the frame mapped the revoke
 * is deferred: -EBUSY is returned, the reference stays allocated and is retried (on later
 * grant/end calls and from gnttab_poll()) until the backend lets go; only then is it free.
 * After -EBUSY the reference is no longer the caller's: calling again while it is still
 * deferred retries now (0 once it ended), but once it was freed it may be someone else's.
 * @param ref the reference.
 * @return 0 (ended and free), -EBUSY (deferred), -EINVAL (not a granted reference).
 */
int gnttab_end_access(grant_ref_t ref);

/**
 * gnttab_poll() - retry deferred ends.
 * @return how many are still pending.
 */
unsigned int gnttab_poll(void);

/**
 * @name References a driver keeps and grants again and again
 * References a driver keeps and grants again and again (blkfront's bounce pages without
 * persistent grants): claimed once in task context, then granted for one request and revoked
 * when it completes, in any context (an interrupt handler included: these touch the one
 * entry of a reference the caller owns, no list), and finally ended with gnttab_end_access().
 * Between two requests the entry grants nothing: the other side can map nothing through it.
 */
/** @{ */

/**
 * gnttab_claim_ref() - take a reference whose entry grants nothing (yet). Task context (it
 * may grow the table, as gnttab_grant_access()).
 * @param ref receives the reference.
 * @return 0; -ENOSPC, -ENOMEM, -ENODEV, -EINVAL as gnttab_grant_access().
 */
int gnttab_claim_ref(grant_ref_t *ref);

/**
 * gnttab_grant_ref() - let @p domid map our frame at @p pa through @p ref, a reference of
 * ours (claimed, or granted and since revoked) whose entry grants nothing now. Any context.
 * @param ref      the reference.
 * @param domid    the domain (the backend).
 * @param pa       the frame's physical address, page-aligned.
 * @param readonly the other side may only read it.
 * @return 0; -EBUSY if the entry still grants access (revoke it first: nothing changed);
 *         -EINVAL if @p ref is not a reference of ours or @p pa is not a page of ours;
 *         -ERANGE as gnttab_grant_access().
 */
int gnttab_grant_ref(grant_ref_t ref, domid_t_pv domid, uint64_t pa, bool readonly);

/**
 * gnttab_revoke_ref() - take back the access @p ref grants, keeping the reference (to grant it
 * again, or to end it). Any context.
 * @param ref the reference.
 * @return 0 (the entry grants nothing now: the frame is ours again), -EBUSY (the other side
 *         still maps it: nothing changed, try again later), -EINVAL (not a reference of
 *         ours).
 */
int gnttab_revoke_ref(grant_ref_t ref);
/** @} */

/**
 * The most pages kept retired. Retiring a page (xen-guest/gnttab_retire.c, docs/gnttab.md):
 * a driver is done with a page
 * and its grant, but the other side may still map it. The page is then neither the driver's
 * to reuse nor the allocator's: it is kept with its own reference and freed the moment that
 * reference can be ended, whatever other pages or backends still hold. At most
 * GNTTAB_RETIRE_MAX pages are kept; beyond that a page is leaked (counted, never reused) and
 * its reference left to gnttab's deferred ends. Task context.
 */
#define GNTTAB_RETIRE_MAX	4096

/**
 * gnttab_retire_page() - end @p ref and free our page @p pa behind it: now if nobody maps it,
 * else as soon as its grant can be ended (gnttab_retire_poll()). Either way the page and the
 * reference are no longer the caller's.
 * @param ref the page's reference.
 * @param pa  the page's physical address.
 * @return 0 (freed now), -EBUSY (kept, or leaked when GNTTAB_RETIRE_MAX are kept already),
 *         -EINVAL (@p ref is not a reference of ours: nothing done, the page is still the
 *         caller's).
 */
int gnttab_retire_page(grant_ref_t ref, uint64_t pa);

/**
 * gnttab_end_or_retire() - end @p ref to reuse the page @p pa behind it; if the other side
 * still maps it, retire the page instead (gnttab_retire_page()).
 * @param ref the page's reference.
 * @param pa  the page's physical address.
 * @return 0 (ended: the page is still the caller's), -EBUSY (retired: it is not; take
 *         another), -EINVAL (@p ref is not a reference of ours: nothing done).
 */
int gnttab_end_or_retire(grant_ref_t ref, uint64_t pa);

/**
 * gnttab_retire_poll() - retry every kept page once, each by its own reference. Called from
 * gnttab's idle poller and the frontends' upkeep.
 * @return how many were freed.
 */
unsigned int gnttab_retire_poll(void);

/** Retired pages: what gnttab_retire_page() kept, freed and leaked. */
struct gnttab_retire_stats {
	uint32_t held;			/**< pages kept now: the other side still maps them */
	uint64_t retired;		/**< pages handed over since boot */
	uint64_t freed_now;		/**< of those, freed at once (nobody mapped them) */
	uint64_t freed_late;		/**< freed later, when their grant could be ended */
	uint64_t leaked;		/**< did not fit (GNTTAB_RETIRE_MAX): never freed */
};
/**
 * gnttab_retire_get_stats() - a copy of the retire counters.
 * @param s receives them.
 */
void gnttab_retire_get_stats(struct gnttab_retire_stats *s);

/** The grant table's state and counters (leak checks, the console, tests). */
struct gnttab_stats {
	uint32_t frames;		/**< table frames in use */
	uint32_t max_frames;		/**< what Xen allows (capped at GNTTAB_MAX_FRAMES) */
	uint32_t nr_refs;		/**< references the table holds */
	uint32_t in_use;		/**< granted and not yet ended (deferred ones included) */
	uint32_t deferred;		/**< ends waiting for the backend to unmap */
	/** @{ */
	uint64_t granted, ended;	/**< grants and ends since boot */
	/** @} */
	uint32_t free;			/**< on the free list: nr_refs - reserved - in_use */
	uint64_t deferred_total;	/**< ends that had to wait, since boot */
	uint32_t retired_held;		/**< retired pages still mapped by the other side */
};
/**
 * gnttab_get_stats() - a copy of the state and counters.
 * @param s receives them.
 */
void gnttab_get_stats(struct gnttab_stats *s);

/**
 * gnttab_suspend() - before a suspend. PV: the table's frames are Xen's, and the save code
 * refuses a page-table entry that maps a frame outside our p2m, so their entries become not
 * present; nothing may grant or end until gnttab_resume_cancelled() or gnttab_resume(). Both:
 * what each granted reference permits is copied into our own pages (the new domain's table
 * starts empty). On failure every frame is mapped as before.
 * @return 0, -ENOMEM (no room for the copy), or the hypercall's -errno.
 */
int gnttab_suspend(void);

/**
 * gnttab_resume_cancelled() - after a cancelled suspend (the same domain): setup_table asked
 * again for the frames, each mapped again where it was; every grant is as it was.
 * @return 0 or -errno (grants unusable: the caller cannot go on).
 */
int gnttab_resume_cancelled(void);

/** What gnttab_resume() did. */
struct gnttab_resume_stats {
	uint32_t regranted;		/**< entries written again in the new table */
	uint32_t deferred_freed;	/**< deferred ends that succeed in a new domain */
	uint32_t lost;			/**< granted frames no longer ours (never expected) */
};

/**
 * gnttab_resume() - after a suspend that resumed in a new domain (restore, migration): the
 * table's frames are set up again (PV: setup_table, each mapped where it was; PVH:
 * add_to_physmap of each frame index at the same guest frame), and every reference that was
 * granted grants the same page to the same domain again (a PV entry holds the page's new
 * machine frame). Deferred ends are freed: nobody maps our pages in a new domain. Drivers
 * keep their references.
 * @param rs receives what was done.
 * @return 0 or -errno (the table is unusable: the caller cannot go on).
 */
int gnttab_resume(struct gnttab_resume_stats *rs);

/**
 * gnttab_verify() - check our bookkeeping against itself (leak checks, tests): the free list
 * ends, holds exactly the free references and no reserved, granted or deferred one; the
 * deferred list likewise; the counters match a count of every reference's state.
 * @return 0, or -EIO (printed: what was wrong).
 */
int gnttab_verify(void);

#endif /* PVKIT_XEN_GNTTAB_H */
