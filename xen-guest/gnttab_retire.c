// SPDX-License-Identifier: MIT
/*
 * Retired grant pages (include/pvkit/xen/gnttab.h, docs/gnttab.md "Retiring a page"): pages
 * a driver is done with while the other side still maps them. Each is kept with its own
 * reference and freed as soon as that one reference can be ended, so a backend that never
 * unmaps pins only the pages it maps, not every retired page of every device. Only the
 * grant-table API is used (revoke, then end), so the frontends' hosted fakes drive it too.
 */
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/xen/gnttab.h>

/* The kept pages, [0, n) in no order: page i is pa[i], ended through ref[i], which is still
 * ours (granted, not ended), so no one else can be handed it meanwhile. 12 bytes each. */
static struct {
	uint64_t pa[GNTTAB_RETIRE_MAX];	/* the pages */
	grant_ref_t ref[GNTTAB_RETIRE_MAX];	/* the grant of each */
	uint32_t n;			/* pages kept */
	uint64_t retired, freed_now, freed_late, leaked;	/* struct gnttab_retire_stats */
	bool said_full;			/* the "leaked" line was printed */
} rt;

/* End @ref if nobody maps its frame: revoke (the reference stays ours, so no one else can be
 * handed it while we look), then end, which cannot be deferred any more. */
static int gnttab_retire_try(grant_ref_t ref)
{
	int err = gnttab_revoke_ref(ref);

	if (err)
		return err;
	return gnttab_end_access(ref) ? -EBUSY : 0;
}

/* Keep @pa until @ref ends; when there is no room, leak it (never reused: still mapped) and
 * leave the reference to gnttab's deferred ends. */
static void gnttab_retire_keep(grant_ref_t ref, uint64_t pa)
{
	if (rt.n < GNTTAB_RETIRE_MAX) {
		rt.pa[rt.n] = pa;
		rt.ref[rt.n++] = ref;
		return;
	}
	rt.leaked++;
	gnttab_end_access(ref);		/* deferred: never handed out while mapped */
	if (!rt.said_full) {
		rt.said_full = true;
		printk("pvkit: gnttab: %u retired pages still mapped by their backends: page %#lx "
		       "leaked (and any later one)\n", rt.n, (unsigned long)pa);
	}
}

int gnttab_retire_page(grant_ref_t ref, uint64_t pa)
{
	int err = gnttab_retire_try(ref);

	if (err == -EINVAL)
		return err;
	rt.retired++;
	if (!err) {
		rt.freed_now++;
		os_page_free(pa);
		return 0;
	}
	gnttab_retire_keep(ref, pa);
	return -EBUSY;
}

int gnttab_end_or_retire(grant_ref_t ref, uint64_t pa)
{
	int err = gnttab_retire_try(ref);

	if (err != -EBUSY)
		return err;
	rt.retired++;
	gnttab_retire_keep(ref, pa);
	return -EBUSY;
}

unsigned int gnttab_retire_poll(void)
{
	unsigned int freed = 0;

	/* Each kept page once, by its own reference; a freed one's place takes the last. */
	for (uint32_t i = 0; i < rt.n;) {
		int err = gnttab_retire_try(rt.ref[i]);

		if (err == -EBUSY) {
			i++;
			continue;
		}
		if (err) {			/* ended behind our back: mapped or not, unknown */
			rt.leaked++;
		} else {
			os_page_free(rt.pa[i]);
			rt.freed_late++;
			freed++;
		}
		rt.n--;
		rt.pa[i] = rt.pa[rt.n];
		rt.ref[i] = rt.ref[rt.n];
	}
	return freed;
}

void gnttab_retire_get_stats(struct gnttab_retire_stats *s)
{
	s->held = rt.n;
	s->retired = rt.retired;
	s->freed_now = rt.freed_now;
	s->freed_late = rt.freed_late;
	s->leaked = rt.leaked;
}

#ifndef __PVKIT_KERNEL__
/* Hosted tests only: forget everything, as a fresh boot would. */
void gnttab_retire_test_reset(void);
void gnttab_retire_test_reset(void)
{
	__builtin_memset(&rt, 0, sizeof(rt));
}
#endif
