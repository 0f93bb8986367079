/* SPDX-License-Identifier: MIT */
/*
 * Grant tables, v1 (xen/grant_table.h): give another domain (a backend) access to one of our
 * frames. A reference is ended only when the other side no longer has the frame mapped; until
 * then it stays allocated (ending is deferred and retried), so a live reference is never
 * reused. The table grows on demand up to what Xen allows; running out is -ENOSPC, not a hang.
 */
#ifndef PVKIT_XEN_GNTTAB_H
#define PVKIT_XEN_GNTTAB_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>

typedef uint32_t grant_ref_t;
typedef uint16_t domid_t_pv;		/* a domain id, as the grant entry holds it */

/* Table frames we use at most, whatever Xen allows (xl's default max_grant_frames is 64):
 * 512 v1 entries per frame. Bounds our bookkeeping and the PV address-space reservation. */
#define GNTTAB_MAX_FRAMES	128
/* Deferred ends retried on each grant/end call (gnttab_poll() retries them all). */
#define GNTTAB_DEFER_RETRY	16

/** Map the first frames of the table (PV: setup_table + our mapping; PVH: add_to_physmap). */
int gnttab_init(const struct boot_info *bi);

/**
 * gnttab_grant_access() - let @domid map (read-only if @readonly) our RAM frame at @pa
 * (page-aligned). Grows the table by a frame when no reference is free.
 * Return: 0 and *ref; -ENOSPC when no reference is free and the table is at its maximum;
 * -ENOMEM (or Xen's error) when growing failed; -EINVAL for a bad @pa, -ENODEV before init.
 */
int gnttab_grant_access(domid_t_pv domid, uint64_t pa, bool readonly, grant_ref_t *ref);

/**
 * gnttab_end_access() - revoke @ref. If the other side still has the frame mapped the revoke
 * is deferred: -EBUSY is returned, the reference stays allocated and is retried (on later
 * grant/end calls and from gnttab_poll()) until the backend lets go; only then is it free.
 * After -EBUSY the reference is no longer the caller's: calling again while it is still
 * deferred retries now (0 once it ended), but once it was freed it may be someone else's.
 * Return: 0 (ended and free), -EBUSY (deferred), -EINVAL (not a granted reference).
 */
int gnttab_end_access(grant_ref_t ref);

/** Retry deferred ends. Returns how many are still pending. */
unsigned int gnttab_poll(void);

struct gnttab_stats {
	uint32_t frames;		/* table frames in use */
	uint32_t max_frames;		/* what Xen allows (capped at GNTTAB_MAX_FRAMES) */
	uint32_t nr_refs;		/* references the table holds */
	uint32_t in_use;		/* granted and not yet ended (deferred ones included) */
	uint32_t deferred;		/* ends waiting for the backend to unmap */
	uint64_t granted, ended;	/* since boot */
	uint32_t free;			/* on the free list: nr_refs - reserved - in_use */
	uint64_t deferred_total;	/* ends that had to wait, since boot */
};
void gnttab_get_stats(struct gnttab_stats *s);

/**
 * gnttab_verify() - check our bookkeeping against itself (leak checks, tests): the free list
 * ends, holds exactly the free references and no reserved, granted or deferred one; the
 * deferred list likewise; the counters match a count of every reference's state.
 * Return: 0, or -EIO (printed: what was wrong).
 */
int gnttab_verify(void);

#endif /* PVKIT_XEN_GNTTAB_H */
