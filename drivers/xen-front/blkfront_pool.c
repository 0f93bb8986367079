// SPDX-License-Identifier: MIT
/*
 * blkfront's bounce pool and its grants (docs/blkfront.md, "Bounce pool"). Data of a request
 * goes through the disk's own pages, never through the caller's, so the backend only ever
 * sees memory that is the driver's (Linux does the same for untrusted backends). A page is
 * FREE, READY, BUSY, DONE or LOST (enum blkfront_page_state); the ring engine
 * (blkfront_ring.c) takes a request's pages and gives them back, the upkeep here re-arms them.
 */
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/pv.h>
#include "blkfront.h"

static void blkfront_pg_push(struct blkfront_dev *d, uint16_t *head, unsigned int *count,
			     uint16_t i, enum blkfront_page_state state)
{
	d->pool[i].next = *head;
	d->pool[i].state = state;
	*head = i;
	(*count)++;
}

static uint16_t blkfront_pg_pop(struct blkfront_dev *d, uint16_t *head, unsigned int *count)
{
	uint16_t i = *head;

	if (i == BLKFRONT_NIL)
		return i;
	*head = d->pool[i].next;
	d->pool[i].next = BLKFRONT_NIL;
	(*count)--;
	return i;
}

/*
 * Grants of the pool. Persistent: each page is granted writable at connect (blkback maps
 * persistent grants writable, blkif.h note 8) and stays so. Otherwise each page holds a
 * claimed reference whose entry grants nothing while the page is idle: a request grants its
 * pages (read-only for data the backend reads, writable for data it writes) and the
 * completion revokes them, both in any context (gnttab_grant_ref/gnttab_revoke_ref touch
 * only that entry). So the backend never holds access to a page we may fill with other data.
 */

/* Give READY page @i its per-request grant (not persistent). Any context. */
static void blkfront_pg_grant(struct blkfront_dev *d, uint16_t i, bool readonly)
{
	struct blkfront_page *p = &d->pool[i];
	int err = gnttab_grant_ref(p->ref, d->xb.otherend_id, p->pa, readonly);

	if (err) {		/* a reference of ours whose entry grants nothing: cannot fail */
		d->grant_errors++;
		return;		/* the backend cannot map it: that request fails, alone */
	}
	p->access = true;
	d->grants++;
}

/* @n READY pages as a chain in order (first page first), granted for this request
 * (@readonly: the backend only reads them) unless the grants are persistent. */
uint16_t blkfront_pages_take(struct blkfront_dev *d, unsigned int n, bool readonly)
{
	uint16_t first = BLKFRONT_NIL, last = BLKFRONT_NIL;

	for (unsigned int k = 0; k < n; k++) {
		uint16_t i = blkfront_pg_pop(d, &d->ready, &d->nr_ready);

		d->pool[i].state = BLKFRONT_PG_BUSY;
		if (!d->persistent)
			blkfront_pg_grant(d, i, readonly);
		if (last == BLKFRONT_NIL)
			first = i;
		else
			d->pool[last].next = i;
		last = i;
	}
	return first;
}

/* A completed request's pages (a chain). Persistent: READY again at once. Otherwise the
 * grant is revoked first; a page the backend still maps waits (DONE) for the upkeep. */
void blkfront_pages_put(struct blkfront_dev *d, uint16_t first)
{
	for (unsigned int n = 0; first != BLKFRONT_NIL && n < d->pool_size; n++) {
		uint16_t next = d->pool[first].next;
		struct blkfront_page *p = &d->pool[first];

		if (!d->persistent && p->access) {
			if (gnttab_revoke_ref(p->ref)) {
				blkfront_pg_push(d, &d->done, &d->nr_done, first, BLKFRONT_PG_DONE);
				first = next;
				continue;
			}
			p->access = false;
			d->grant_ends++;
		}
		blkfront_pg_push(d, &d->ready, &d->nr_ready, first, BLKFRONT_PG_READY);
		first = next;
	}
}

/* Task context: give FREE page @i its reference (persistent: a writable grant; otherwise
 * a claimed reference that grants nothing). Returns whether it is READY now. */
static bool blkfront_pg_arm(struct blkfront_dev *d, uint16_t i)
{
	struct blkfront_page *p = &d->pool[i];

	if (d->persistent) {
		if (gnttab_grant_access(d->xb.otherend_id, p->pa, false, &p->ref))
			return false;
		p->access = true;
		d->grants++;
	} else if (gnttab_claim_ref(&p->ref)) {
		return false;
	}
	p->has_ref = true;
	return true;
}

/* Task context: DONE page @i, whose grant the backend held at completion. Revoked now: it
 * is READY. Still mapped: the page is retired with its grant (gnttab_retire.c frees it once
 * the backend lets go) and the slot gets a fresh page to arm (LOST if none). */
static void blkfront_pg_settle(struct blkfront_dev *d, uint16_t i)
{
	struct blkfront_page *p = &d->pool[i];
	unsigned long fl;

	if (!gnttab_revoke_ref(p->ref)) {
		p->access = false;
		d->grant_ends++;
		fl = pv_irq_save();
		blkfront_pg_push(d, &d->ready, &d->nr_ready, i, BLKFRONT_PG_READY);
		pv_irq_restore(fl);
		return;
	}
	gnttab_retire_page(p->ref, p->pa);
	p->has_ref = p->access = false;
	d->grant_deferred++;
	if (os_page_alloc(&p->pa))
		p->pa = 0;
	fl = pv_irq_save();
	if (p->pa) {
		blkfront_pg_push(d, &d->unused, &d->nr_unused, i, BLKFRONT_PG_FREE);
	} else {
		p->state = BLKFRONT_PG_LOST;
		d->nr_lost++;
	}
	pv_irq_restore(fl);
}

unsigned int blkfront_pool_upkeep(struct blkfront_dev *d)
{
	unsigned int work = 0;
	unsigned long fl;
	uint16_t i;

	for (unsigned int n = 0; n < d->pool_size; n++) {
		fl = pv_irq_save();
		i = blkfront_pg_pop(d, &d->done, &d->nr_done);
		pv_irq_restore(fl);
		if (i == BLKFRONT_NIL)
			break;
		blkfront_pg_settle(d, i);
		work++;
	}
	for (unsigned int n = 0; n < d->pool_size && !d->dead; n++) {
		fl = pv_irq_save();
		i = blkfront_pg_pop(d, &d->unused, &d->nr_unused);
		pv_irq_restore(fl);
		if (i == BLKFRONT_NIL)
			break;
		if (blkfront_pg_arm(d, i)) {
			fl = pv_irq_save();
			blkfront_pg_push(d, &d->ready, &d->nr_ready, i, BLKFRONT_PG_READY);
			pv_irq_restore(fl);
			work++;
			continue;
		}
		fl = pv_irq_save();	/* table full: try again next time */
		blkfront_pg_push(d, &d->unused, &d->nr_unused, i, BLKFRONT_PG_FREE);
		pv_irq_restore(fl);
		break;
	}
	return work;
}

int blkfront_pool_setup(struct blkfront_dev *d, unsigned int min)
{
	unsigned int i;

	d->ready = d->done = d->unused = BLKFRONT_NIL;
	d->nr_ready = d->nr_done = d->nr_unused = d->nr_lost = 0;
	for (i = 0; i < BLKFRONT_POOL_PAGES; i++) {
		memset(&d->pool[i], 0, sizeof(d->pool[i]));
		if (os_page_alloc(&d->pool[i].pa))
			break;
		blkfront_pg_push(d, &d->unused, &d->nr_unused, i, BLKFRONT_PG_FREE);
	}
	d->pool_size = i;
	if (i >= min)
		blkfront_pool_upkeep(d);	/* a reference for each */
	if (d->nr_ready < min) {
		blkfront_pool_release(d);
		return i < min ? -ENOMEM : -ENOSPC;
	}
	return 0;
}

void blkfront_pool_release(struct blkfront_dev *d)
{
	for (unsigned int i = 0; i < d->pool_size; i++) {
		struct blkfront_page *p = &d->pool[i];

		if (p->has_ref)			/* freed now, or once the backend lets go */
			gnttab_retire_page(p->ref, p->pa);
		else if (p->pa)
			os_page_free(p->pa);
		p->has_ref = p->access = false;
		p->pa = 0;
		p->state = BLKFRONT_PG_FREE;
	}
	d->pool_size = 0;
	d->ready = d->done = d->unused = BLKFRONT_NIL;
	d->nr_ready = d->nr_done = d->nr_unused = d->nr_lost = 0;
}

unsigned int blkfront_pool_granted(const struct blkfront_dev *d)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < d->pool_size; i++)
		n += d->pool[i].access;
	return n;
}
