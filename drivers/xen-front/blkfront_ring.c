// SPDX-License-Identifier: MIT
/*
 * blkfront's ring engine, the blkif protocol (xen/io/blkif.h): request slots, building direct,
 * indirect, flush/barrier and discard requests through the bounce pool (blkfront_pool.c), and
 * taking responses off the ring, each copied out once and then checked (docs/blkfront.md).
 */
#include <pvkit/blk_discard.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include "blkfront.h"

/* Ring sweeps per call. A call ends when a final check finds the ring quiet (as Linux's
 * blkif_interrupt does, unbounded): leaving responses behind after setting rsp_event would
 * lose their event, since the backend notified (or not) when it pushed them, and a waiter
 * halting outside the idle loop then stalls (seen once in ~45 QD32 bench runs with a bound of
 * 16). Each response retires one of our requests, so only our own resubmissions keep a sweep
 * going; the bound is a safety net, and what it leaves the idle poller and blkdev_poll take. */
#define BLKFRONT_COMPLETE_PASSES 4096

/* Kinds of rejected responses, each with its own log budget. */
enum { LOG_BAD_ID, LOG_NOT_IN_FLIGHT, LOG_BAD_OP, LOG_BAD_STATUS, LOG_RING, LOG_TIMEOUT,
       LOG_LATE, LOG_HELD, LOG_KINDS };
BUILD_BUG_ON(LOG_KINDS != BLKFRONT_LOG_KINDS);

/* > 0 while blkfront_ring_event or the watchdog runs (interrupt context: of gnttab only the
 * per-reference gnttab_grant_ref/gnttab_revoke_ref) */
static unsigned int blkfront_handler_depth;

static void blkfront_watchdog(struct os_timer *t);

bool blkfront_in_handler(void)
{
	return blkfront_handler_depth != 0;
}

/* ---- rings ---------------------------------------------------------------------------- */

void blkfront_queue_release(struct blkfront_queue *q)
{
	if (q->port_open) {
		evtchn_close(q->port);		/* masks it and drops the handler */
		q->port_open = false;
	}
	if (q->map_va) {			/* our own mapping goes before the pages */
		os_vm_unmap((uintptr_t)q->map_va, q->nr_pages * PAGE_SIZE);
		os_vmap_free(q->map_va, q->nr_pages * PAGE_SIZE);
		q->map_va = NULL;
	}
	for (unsigned int k = 0; k < BLKFRONT_MAX_RING_PAGES; k++) {
		if (!q->ring_pa[k])
			continue;
		if (k < q->nr_granted)		/* freed now, or once the backend unmaps it */
			gnttab_retire_page(q->ring_ref[k], q->ring_pa[k]);
		else
			os_page_free(q->ring_pa[k]);
		q->ring_pa[k] = 0;
	}
	q->nr_granted = 0;
	q->sring = NULL;
	q->nr_pages = 0;
}

/* The pages of a ring, one contiguous shared ring: the window for one page, a run-time
 * mapping for several (page_alloc frames are not contiguous). */
static int blkfront_queue_map(struct blkfront_queue *q)
{
	size_t len = q->nr_pages * PAGE_SIZE;
	int err;

	if (q->nr_pages == 1) {
		q->sring = os_phys_to_virt(q->ring_pa[0]);
		return 0;
	}
	q->map_va = os_vmap_reserve(len);
	if (!q->map_va)
		return -ENOMEM;
	err = os_vm_map_pages((uintptr_t)q->map_va, q->ring_pa, q->nr_pages, OS_MAP_WRITE);
	if (err) {
		os_vmap_free(q->map_va, len);
		q->map_va = NULL;
		return err;
	}
	q->sring = q->map_va;
	return 0;
}

int blkfront_queue_setup(struct blkfront_dev *d, unsigned int i)
{
	struct blkfront_queue *q = &d->queues[i];
	int err;

	memset(q, 0, offsetof(struct blkfront_queue, shadow));
	q->dev = d;
	q->index = i;
	q->nr_pages = 1u << d->ring_order;
	for (unsigned int k = 0; k < q->nr_pages; k++) {
		err = os_page_alloc(&q->ring_pa[k]);
		if (err)
			goto out_release;
	}
	err = blkfront_queue_map(q);
	if (err)
		goto out_release;
	SHARED_RING_INIT(q->sring);
	FRONT_RING_INIT(&q->ring, q->sring, q->nr_pages * PAGE_SIZE);
	q->nr_shadow = MIN(RING_SIZE(&q->ring), (unsigned int)BLKFRONT_SHADOW_MAX);
	q->free_shadow = BLKFRONT_NIL;
	for (unsigned int s = q->nr_shadow; s-- > 0;) {
		memset(&q->shadow[s], 0, sizeof(q->shadow[s]));
		q->shadow[s].next_free = q->free_shadow;
		q->free_shadow = s;
	}
	for (unsigned int k = 0; k < q->nr_pages; k++) {
		err = gnttab_grant_access(d->xb.otherend_id, q->ring_pa[k], false, &q->ring_ref[k]);
		if (err)
			goto out_release;
		q->nr_granted++;
	}
	err = evtchn_alloc_unbound(d->xb.otherend_id, &q->port);
	if (err)
		goto out_release;
	q->port_open = true;
	err = evtchn_set_handler(q->port, blkfront_ring_event, q);
	if (err)
		goto out_release;
	return 0;

out_release:
	blkfront_queue_release(q);
	return err;
}

/* ---- requests ------------------------------------------------------------------------- */

/* The part of discard @rq that is whole discard extents: its sector count (0: none), its
 * first sector in *@first. */
static uint64_t blkfront_discard_range(const struct blkfront_dev *d,
				       const struct blk_request *rq, uint64_t *first)
{
	return blk_discard_extents(rq->sector, rq->nr_sectors, d->discard_granularity,
				   d->discard_alignment, first);
}

/* The ring operation for @rq, after the checks the driver owes itself (blkdev_submit made
 * them too, but blkfront_submit_unchecked skips the layer and the copies rely on them).
 * @held: a request accepted before a resume, going again: it may be larger than the new
 * backend's requests (it goes in parts). *pages: bounce pages of data. Return: 0; 1 for a
 * flush with nothing to flush or a discard with no whole extent to drop (done at once);
 * -errno. */
static int blkfront_classify(const struct blkfront_dev *d, const struct blk_request *rq,
			     bool check_ro, bool held, uint8_t *op, unsigned int *pages)
{
	const struct blkdev *dev = &d->blk;
	uint64_t bytes = 0, first, whole;

	if (!rq->done || rq->nr_segs > (held ? BLK_MAX_SEGS : dev->max_segs))
		return -EINVAL;
	if (check_ro && dev->readonly && rq->op != BLK_READ && rq->op != BLK_FLUSH)
		return -EROFS;
	if (rq->op != BLK_FLUSH && (rq->sector >= dev->sectors ||
				    rq->nr_sectors > dev->sectors - rq->sector))
		return -EINVAL;
	for (uint32_t i = 0; i < rq->nr_segs; i++) {
		const struct blk_seg *s = &rq->segs[i];

		/* Compared as a difference: offset + len wraps in 32 bits (issue 12). */
		if (!s->len || s->len % 512 || s->offset % 512 || s->offset >= PAGE_SIZE ||
		    s->len > PAGE_SIZE - s->offset)
			return -EINVAL;
		bytes += s->len;
	}
	*pages = DIV_ROUND_UP(bytes, PAGE_SIZE);
	switch (rq->op) {
	case BLK_READ:
	case BLK_WRITE:
	case BLK_WRITE_BARRIER:
		if (!rq->nr_segs || bytes != rq->nr_sectors * 512ull)
			return -EINVAL;
		if (rq->op == BLK_WRITE_BARRIER) {
			if (!d->barrier)
				return -EOPNOTSUPP;
			if (*pages > BLKFRONT_DIRECT_SEGS)	/* indirect: reads and writes only */
				return -EINVAL;
		}
		*op = rq->op == BLK_READ ? BLKIF_OP_READ :
		      rq->op == BLK_WRITE ? BLKIF_OP_WRITE : BLKIF_OP_WRITE_BARRIER;
		return 0;
	case BLK_FLUSH:
		if (rq->nr_segs || rq->nr_sectors)
			return -EINVAL;
		/* No flush: a barrier without data flushes too (old backends); neither: the
		 * backend has no volatile cache, completed writes are durable. */
		*op = d->flush ? BLKIF_OP_FLUSH_DISKCACHE : BLKIF_OP_WRITE_BARRIER;
		return d->flush || d->barrier ? 0 : 1;
	case BLK_DISCARD:
	case BLK_DISCARD_SECURE:
		if (rq->nr_segs || !rq->nr_sectors)
			return -EINVAL;
		if (!d->discard || (rq->op == BLK_DISCARD_SECURE && !d->discard_secure))
			return -EOPNOTSUPP;
		*op = BLKIF_OP_DISCARD;
		/* Only whole extents can be dropped (docs/blkfront.md, "Discard"). A secure
		 * discard must cover every sector asked: refused unless it is whole extents. A
		 * plain one goes trimmed to them; with none inside, it is done already. */
		whole = blkfront_discard_range(d, rq, &first);
		if (rq->op == BLK_DISCARD_SECURE)
			return whole == rq->nr_sectors && first == rq->sector ? 0 : -EINVAL;
		return whole ? 0 : 1;
	default:
		return -EINVAL;
	}
}

/* Bytes [@skip, @skip + @len) of the request's data (its segments one after the other),
 * between the caller's segments and the bounce chain at @pg, packed densely: byte b of the
 * window is at offset b % 4096 of page b / 4096 of the chain. */
static void blkfront_copy(struct blkfront_dev *d, const struct blk_request *rq, uint16_t pg,
			  uint64_t skip, uint64_t len, bool to_pool)
{
	uint32_t off = 0;

	for (uint32_t i = 0; i < rq->nr_segs && len; i++) {
		uint8_t *buf;
		uint32_t left;

		if (skip >= rq->segs[i].len) {
			skip -= rq->segs[i].len;
			continue;
		}
		buf = (uint8_t *)os_phys_to_virt(rq->segs[i].pa) + rq->segs[i].offset + skip;
		left = (uint32_t)MIN((uint64_t)rq->segs[i].len - skip, len);
		skip = 0;
		len -= left;
		while (left && pg != BLKFRONT_NIL) {
			uint32_t n = MIN(left, (uint32_t)PAGE_SIZE - off);
			uint8_t *p = (uint8_t *)os_phys_to_virt(d->pool[pg].pa) + off;

			if (to_pool)
				memcpy(p, buf, n);
			else
				memcpy(buf, p, n);
			buf += n;
			left -= n;
			off += n;
			d->bytes_copied += n;
			if (off == PAGE_SIZE) {
				pg = d->pool[pg].next;
				off = 0;
			}
		}
	}
}

/* Segment descriptors for the data chain at @pg: whole pages, the last one partly. */
static void blkfront_fill_segs(struct blkfront_dev *d, struct blkif_request_segment *seg,
			       uint16_t pg, unsigned int pages, uint64_t bytes)
{
	for (unsigned int k = 0; k < pages; k++, pg = d->pool[pg].next) {
		uint64_t here = MIN(bytes - (uint64_t)k * PAGE_SIZE, (uint64_t)PAGE_SIZE);

		seg[k].gref = d->pool[pg].ref;
		seg[k].first_sect = 0;
		seg[k].last_sect = here / 512 - 1;
	}
}

/* The ring request for @s, the part of @rq at byte @skip of its data, @bytes long (built in
 * private memory, then copied to the ring in one go). */
static void blkfront_build(struct blkfront_dev *d, struct blkfront_shadow *s,
			   const struct blk_request *rq, uint64_t skip, uint64_t bytes,
			   unsigned int pages, unsigned int nind, union blkfront_ring_req *r)
{
	uint64_t sector = rq->sector + skip / 512;

	memset(r, 0, sizeof(*r));
	if (s->op == BLKIF_OP_DISCARD) {
		uint64_t first = 0;

		r->discard.operation = BLKIF_OP_DISCARD;
		r->discard.flag = rq->op == BLK_DISCARD_SECURE ? BLKIF_DISCARD_SECURE : 0;
		r->discard.handle = d->handle;
		r->discard.id = s->id;
		r->discard.nr_sectors = blkfront_discard_range(d, rq, &first);	/* whole extents */
		r->discard.sector_number = first;
	} else if (s->op == BLKIF_OP_INDIRECT) {
		uint16_t ip = s->ind;

		r->ind.operation = BLKIF_OP_INDIRECT;
		r->ind.indirect_op = s->data_op;
		r->ind.nr_segments = pages;
		r->ind.id = s->id;
		r->ind.sector_number = sector;
		r->ind.handle = d->handle;
		/* The segments go straight into the indirect pages: written once, never read. */
		for (unsigned int k = 0; k < nind; k++, ip = d->pool[ip].next) {
			struct blkif_request_segment *seg = os_phys_to_virt(d->pool[ip].pa);
			unsigned int first = k * BLKFRONT_SEGS_PER_IND;
			uint16_t pg = s->pages;

			for (unsigned int j = 0; j < first; j++)
				pg = d->pool[pg].next;
			blkfront_fill_segs(d, seg, pg, MIN(pages - first, BLKFRONT_SEGS_PER_IND),
					   bytes - (uint64_t)first * PAGE_SIZE);
			r->ind.indirect_grefs[k] = d->pool[ip].ref;
		}
	} else {
		r->rw.operation = s->op;
		r->rw.nr_segments = pages;
		r->rw.handle = d->handle;
		r->rw.id = s->id;
		r->rw.sector_number = pages ? sector : 0;	/* a flush has no position */
		blkfront_fill_segs(d, r->rw.seg, s->pages, pages, bytes);
	}
}

/* A ring with a free slot, round robin from the last one used; NULL when all are full. */
static struct blkfront_queue *blkfront_pick_queue(struct blkfront_dev *d)
{
	for (unsigned int k = 0; k < d->nr_queues; k++) {
		unsigned int n = (d->next_queue + k) % d->nr_queues;
		struct blkfront_queue *q = &d->queues[n];

		if (q->free_shadow != BLKFRONT_NIL && !RING_FULL(&q->ring)) {
			d->next_queue = (n + 1) % d->nr_queues;
			return q;
		}
	}
	return NULL;
}

/* Indirect pages a ring request of @pages data pages needs. */
static unsigned int blkfront_nind(unsigned int pages)
{
	return pages > BLKFRONT_DIRECT_SEGS ? DIV_ROUND_UP(pages, BLKFRONT_SEGS_PER_IND) : 0;
}

/* Data pages per ring request for a request of @pages data pages: reads above split_pages
 * go in parts of that many; anything above what one ring request carries (only a request
 * held across a resume to a backend that takes less) in parts of that. */
static unsigned int blkfront_part_pages(const struct blkfront_dev *d, bool read,
					unsigned int pages)
{
	unsigned int max = d->indirect_segs ? d->indirect_segs : BLKFRONT_DIRECT_SEGS;

	if (read && d->split_pages && pages > d->split_pages)
		pages = d->split_pages;
	return MIN(pages, max);
}

unsigned int blkfront_rq_pages(const struct blkfront_dev *d, bool read, unsigned int pages,
			       unsigned int *parts)
{
	unsigned int per = blkfront_part_pages(d, read, pages);

	*parts = pages ? DIV_ROUND_UP(pages, per) : 1;
	return pages + (*parts - 1) * blkfront_nind(per) +
	       blkfront_nind(pages - (*parts - 1) * per);
}

/* Ring requests the rings can take now: free slots, and room on each ring. */
static unsigned int blkfront_room(const struct blkfront_dev *d)
{
	unsigned int n = 0;

	for (unsigned int k = 0; k < d->nr_queues; k++) {
		const struct blkfront_queue *q = &d->queues[k];
		unsigned int ring_free = RING_SIZE(&q->ring) -
					 (q->ring.req_prod_pvt - q->ring.rsp_cons);

		n += MIN(q->nr_shadow - q->in_flight, ring_free);
	}
	return n;
}

/* Queue one ring request on @q (not yet published: blkfront_push): the part of @rq at byte
 * @skip of its data, @bytes long (all of it unless the request is split). The caller checked
 * slots, ring room and pages. Returns @q's index. Interrupts off. */
static unsigned int blkfront_queue_part(struct blkfront_dev *d, struct blkfront_queue *q,
				       struct blk_request *rq, uint8_t op, uint64_t skip,
				       uint64_t bytes)
{
	unsigned int pages = DIV_ROUND_UP(bytes, PAGE_SIZE);
	unsigned int nind = blkfront_nind(pages);
	union blkfront_ring_req r;
	struct blkfront_shadow *s;
	uint16_t slot;

	BUILD_BUG_ON(sizeof(r) != sizeof(struct blkif_request));
	slot = q->free_shadow;
	s = &q->shadow[slot];
	q->free_shadow = s->next_free;
	s->id = (q->gen++ << BLKFRONT_ID_SLOT_BITS) | slot;
	s->rq = rq;
	s->abandoned = false;
	s->skip = skip;
	s->bytes = bytes;
	s->deadline = os_clock_ns() + d->timeout_ns;
	if (!d->watchdog.pending)		/* else it fires first, and re-arms for this */
		os_timer_add(&d->watchdog, s->deadline, blkfront_watchdog, d);
	s->nr_pages = pages;
	s->data_op = op;
	s->op = nind ? BLKIF_OP_INDIRECT : op;
	/* Writes' data and indirect pages are only read by the backend: read-only grants. */
	s->pages = pages ? blkfront_pages_take(d, pages, op != BLKIF_OP_READ) : BLKFRONT_NIL;
	s->ind = nind ? blkfront_pages_take(d, nind, true) : BLKFRONT_NIL;
	if (pages && op != BLKIF_OP_READ)
		blkfront_copy(d, rq, s->pages, skip, bytes, true);
	blkfront_build(d, s, rq, skip, bytes, pages, nind, &r);
	memcpy(RING_GET_REQUEST(&q->ring, q->ring.req_prod_pvt), &r, sizeof(r));
	q->ring.req_prod_pvt++;
	s->in_flight = true;
	q->in_flight++;
	q->submitted++;
	d->in_flight++;
	d->max_in_flight = MAX(d->max_in_flight, (uint64_t)d->in_flight);
	if (op == BLKIF_OP_DISCARD) {
		uint64_t first;

		d->discards++;
		d->discards_trimmed += blkfront_discard_range(d, rq, &first) != rq->nr_sectors;
	}
	else if (op == BLKIF_OP_FLUSH_DISKCACHE || (op == BLKIF_OP_WRITE_BARRIER && !pages))
		d->flushes++;
	else if (op == BLKIF_OP_WRITE_BARRIER)
		d->barriers++;
	else if (nind)
		d->indirect++;
	else
		d->direct++;
	return q->index;
}

/* Publish what was queued on @q; kick the backend if it asked to be. */
static void blkfront_push(struct blkfront_queue *q)
{
	bool notify;

	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->ring, notify);
	if (notify) {
		evtchn_send(q->port);
		q->notifies++;
	}
}

/*
 * Put @rq on the rings, whole or (reads of more than split_pages pages) cut into parts of
 * split_pages pages, spread round robin over the rings, in flight together and published
 * with one kick per ring: each part's data is copied out of the bounce pages as soon as it
 * is answered, while the backend still reads the rest. Writes go whole: their data is copied
 * in before anything is published, so parts would only add ring requests (measured,
 * docs/benchmarks.md). All or nothing: -EBUSY unless every part fits now. Interrupts off.
 */
static int blkfront_queue_rq(struct blkfront_dev *d, struct blk_request *rq, uint8_t op,
			     unsigned int pages)
{
	uint64_t bytes = pages ? rq->nr_sectors * 512ull : 0;
	unsigned int per = blkfront_part_pages(d, op == BLKIF_OP_READ, pages);
	unsigned int parts, need = blkfront_rq_pages(d, op == BLKIF_OP_READ, pages, &parts);
	unsigned int touched = 0;

	if (d->dead)
		return -EIO;
	if (blkfront_nind(per) && (!d->indirect_segs || per > d->indirect_segs))
		return -EINVAL;
	if (d->nr_ready < need)			/* pages come back with completions */
		return d->pool_size - d->nr_lost < need ? -ENOSPC : -EBUSY;
	if (blkfront_room(d) < parts)
		return -EBUSY;
	rq->driver_parts = parts;
	rq->driver_status = 0;
	rq->driver_priv = NULL;		/* not held (blkfront_hold marks held ones) */
	if (parts > 1)
		d->split++;
	for (unsigned int k = 0; k < parts; k++) {
		uint64_t skip = (uint64_t)k * per * PAGE_SIZE;

		touched |= 1u << blkfront_queue_part(d, blkfront_pick_queue(d), rq, op, skip,
						    MIN(bytes - skip, (uint64_t)per * PAGE_SIZE));
	}
	for (unsigned int k = 0; k < d->nr_queues; k++)	/* one kick per ring at most */
		if (touched & 1u << k)
			blkfront_push(&d->queues[k]);
	return 0;
}

int blkfront_ring_submit(struct blkfront_dev *d, struct blk_request *rq, bool check_ro)
{
	unsigned int pages = 0;
	unsigned long fl;
	uint8_t op = 0;
	int err = blkfront_classify(d, rq, check_ro, false, &op, &pages);

	if (err < 0)
		return err;
	if (d->dead)
		return -EIO;
	if (d->reconnecting) {		/* a resume: it goes once the new backend is there */
		fl = pv_irq_save();
		blkfront_hold(d, rq);
		d->held++;
		pv_irq_restore(fl);
		return 0;
	}
	if (err == 1) {			/* nothing for the backend to do */
		if (rq->op == BLK_FLUSH)
			d->flushes_local++;
		else
			d->discards_dropped++;
		rq->done(rq, 0);
		return 0;
	}
	if (!blkfront_in_handler() && (d->nr_done || d->nr_unused))
		blkfront_pool_upkeep(d);		/* end used grants, grant them again */
	fl = pv_irq_save();
	err = blkfront_queue_rq(d, rq, op, pages);
	pv_irq_restore(fl);
	return err;
}

/* ---- across a resume ------------------------------------------------------------------- */

/* Ring slot @slot of @q is over (answered, or taken off for a resume): its pages back to the
 * pool, the slot free. Interrupts off. */
static void blkfront_slot_release(struct blkfront_queue *q, uint16_t slot)
{
	struct blkfront_dev *d = q->dev;
	struct blkfront_shadow *s = &q->shadow[slot];

	blkfront_pages_put(d, s->pages);
	blkfront_pages_put(d, s->ind);
	s->in_flight = false;
	s->abandoned = false;
	s->rq = NULL;
	s->pages = s->ind = BLKFRONT_NIL;
	s->next_free = q->free_shadow;
	q->free_shadow = slot;
	q->in_flight--;
	d->in_flight--;
}

static bool blkfront_log_ok(struct blkfront_dev *d, unsigned int kind);

void blkfront_hold(struct blkfront_dev *d, struct blk_request *rq)
{
	rq->next = NULL;
	rq->driver_priv = d;		/* held: a split read's other parts find it so */
	if (d->held_tail)
		d->held_tail->next = rq;
	else
		d->held_head = rq;
	d->held_tail = rq;
	d->nr_held++;
}

static struct blk_request *blkfront_unhold(struct blkfront_dev *d)
{
	struct blk_request *rq = d->held_head;

	d->held_head = rq->next;
	if (!d->held_head)
		d->held_tail = NULL;
	d->nr_held--;
	rq->next = NULL;
	rq->driver_priv = NULL;
	return rq;
}

unsigned int blkfront_requeue_all(struct blkfront_dev *d)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < d->nr_queues; i++) {
		struct blkfront_queue *q = &d->queues[i];

		for (uint16_t slot = 0; slot < q->nr_shadow; slot++) {
			struct blkfront_shadow *s = &q->shadow[slot];
			struct blk_request *rq = s->abandoned ? NULL : s->rq;

			if (!s->in_flight)
				continue;
			/* Pages and slot back without a word to anybody: the new backend has
			 * never seen the request, the old one is gone. */
			blkfront_slot_release(q, slot);
			if (!rq || rq->driver_priv == d)
				continue;	/* timed out, or another part of one held already */
			blkfront_hold(d, rq);
			d->requeued++;
			n++;
		}
	}
	return n;
}

unsigned int blkfront_submit_held(struct blkfront_dev *d)
{
	unsigned int n = 0, pages;
	unsigned long fl;
	uint8_t op;
	int err;

	if (d->reconnecting || d->dead)
		return 0;
	if (!blkfront_in_handler() && (d->nr_done || d->nr_unused))
		blkfront_pool_upkeep(d);
	fl = pv_irq_save();
	while (d->held_head) {
		struct blk_request *rq = d->held_head;

		pages = 0;
		op = 0;
		err = blkfront_classify(d, rq, true, true, &op, &pages);
		if (err == 0) {
			err = blkfront_queue_rq(d, rq, op, pages);
			if (err == -EBUSY)
				break;		/* the upkeep tries again after completions */
			if (!err) {
				blkfront_unhold(d);
				n++;
				continue;
			}
		}
		blkfront_unhold(d);
		if (err == 1) {		/* nothing for the new backend to do */
			rq->done(rq, 0);
			continue;
		}
		/* What the new backend cannot do (no discard, a disk grown smaller...). */
		if (blkfront_log_ok(d, LOG_HELD))
			printk("pvkit: blkfront %s: a request held across the resume cannot go "
			       "to the new backend: %d\n", d->blk.name, err);
		d->failed++;
		rq->done(rq, err);
	}
	pv_irq_restore(fl);
	return n;
}

unsigned int blkfront_fail_held(struct blkfront_dev *d, int err)
{
	unsigned int n = 0;

	while (d->held_head) {
		struct blk_request *rq = blkfront_unhold(d);

		d->failed++;
		d->failed_in_flight++;
		rq->done(rq, err);
		n++;
	}
	return n;
}

/* ---- responses ------------------------------------------------------------------------ */

static bool blkfront_log_ok(struct blkfront_dev *d, unsigned int kind)
{
	if (!d->log_budget[kind])
		return false;
	d->log_budget[kind]--;
	return true;
}

/* Ring request @slot of @q is over: data out (reads), pages back, slot free; the caller is
 * told once the last part of its request is over, with the first error of any part. A
 * request that timed out has no caller left (it was told): only its slot and pages return.
 * Returns whether the caller's request completed. */
static bool blkfront_finish(struct blkfront_queue *q, uint16_t slot, int err)
{
	struct blkfront_dev *d = q->dev;
	struct blkfront_shadow *s = &q->shadow[slot];
	struct blk_request *rq = s->abandoned ? NULL : s->rq;

	if (rq && !err && s->data_op == BLKIF_OP_READ && s->nr_pages)
		blkfront_copy(d, rq, s->pages, s->skip, s->bytes, false);
	blkfront_slot_release(q, slot);
	if (!rq)
		return false;		/* counted as failed when it timed out */
	if (err && !rq->driver_status)
		rq->driver_status = err;
	if (--rq->driver_parts)
		return false;		/* other parts still in flight */
	err = rq->driver_status;
	if (err)
		d->failed++;
	rq->done(rq, err);		/* last: it may submit again */
	return true;
}

static const char *blkfront_op_name(uint8_t op)
{
	switch (op) {
	case BLKIF_OP_READ:		return "read";
	case BLKIF_OP_WRITE:		return "write";
	case BLKIF_OP_WRITE_BARRIER:	return "barrier";
	case BLKIF_OP_FLUSH_DISKCACHE:	return "flush";
	case BLKIF_OP_DISCARD:		return "discard";
	default:			return "?";
	}
}

/* Nothing came for request @slot of @q in time: its caller gets -ETIMEDOUT now. The slot
 * and the pages stay on the ring's books until the backend answers or the disk goes. */
static void blkfront_time_out(struct blkfront_queue *q, uint16_t slot)
{
	struct blkfront_dev *d = q->dev;
	struct blkfront_shadow *s = &q->shadow[slot];
	struct blk_request *rq = s->rq;

	/* Every part of the request: none may copy into the caller's buffer after this. */
	for (unsigned int k = 0; k < d->nr_queues; k++) {
		for (uint16_t i = 0; i < d->queues[k].nr_shadow; i++) {
			struct blkfront_shadow *t = &d->queues[k].shadow[i];

			if (t->in_flight && !t->abandoned && t->rq == rq && t != s) {
				t->abandoned = true;
				t->rq = NULL;
			}
		}
	}
	s->abandoned = true;
	d->timeouts++;
	d->failed++;
	if (blkfront_log_ok(d, LOG_TIMEOUT))
		printk("pvkit: blkfront %s: request id %#lx (%s, sector %lu) unanswered after "
		       "%lu s: failed with -ETIMEDOUT (queue %u; its slot waits for the answer)\n",
		       d->blk.name, s->id, blkfront_op_name(s->data_op), rq->sector,
		       (unsigned long)(d->timeout_ns / 1000000000), q->index);
	s->rq = NULL;
	rq->done(rq, -ETIMEDOUT);	/* last: it may submit again */
}

static bool blkfront_op_matches(const struct blkfront_shadow *s, uint8_t op)
{
	/* blkback answers an indirect request with the operation inside it; accept both. */
	return op == s->op || (s->op == BLKIF_OP_INDIRECT && op == s->data_op);
}

/* The backend says it cannot do this kind of request after all: stop asking. */
static void blkfront_unsupported(struct blkfront_dev *d, uint8_t op)
{
	if (op == BLKIF_OP_FLUSH_DISKCACHE)
		d->flush = d->blk.features.flush = false;
	else if (op == BLKIF_OP_WRITE_BARRIER)
		d->barrier = d->blk.features.barrier = false;
	else if (op == BLKIF_OP_DISCARD)
		d->discard = d->blk.features.discard = false;
}

/* One response, already copied out of the ring. Returns whether it completed a request. */
static bool blkfront_response(struct blkfront_queue *q, const struct blkif_response *rsp)
{
	struct blkfront_dev *d = q->dev;
	uint64_t slot = rsp->id & ((1u << BLKFRONT_ID_SLOT_BITS) - 1);
	struct blkfront_shadow *s;
	int err;

	if (slot >= q->nr_shadow) {
		d->bad_id++;
		if (blkfront_log_ok(d, LOG_BAD_ID))
			printk("pvkit: blkfront %s: rejected response: id %#lx names no request "
			       "slot (queue %u)\n", d->blk.name, rsp->id, q->index);
		blkfront_mark_broken(d, "response with an impossible id");
		return false;
	}
	s = &q->shadow[slot];
	if (!s->in_flight || s->id != rsp->id) {
		d->not_in_flight++;
		if (blkfront_log_ok(d, LOG_NOT_IN_FLIGHT))
			printk("pvkit: blkfront %s: rejected response: id %#lx is not in flight "
			       "(duplicate or stale; queue %u)\n", d->blk.name, rsp->id, q->index);
		blkfront_mark_broken(d, "response for no request in flight");
		return false;
	}
	if (!blkfront_op_matches(s, rsp->operation)) {
		d->bad_op++;
		if (blkfront_log_ok(d, LOG_BAD_OP))
			printk("pvkit: blkfront %s: rejected response: id %#lx has operation %u, "
			       "the request %u\n", d->blk.name, rsp->id, rsp->operation, s->op);
		blkfront_mark_broken(d, "response with the wrong operation");
		return false;
	}
	switch (rsp->status) {
	case BLKIF_RSP_OKAY:
		err = 0;
		break;
	case BLKIF_RSP_ERROR:
		err = -EIO;
		break;
	case BLKIF_RSP_EOPNOTSUPP:
		err = -EOPNOTSUPP;
		if (s->data_op == BLKIF_OP_READ || s->data_op == BLKIF_OP_WRITE)
			err = -EIO;		/* blkif: only the optional operations may say it */
		else
			blkfront_unsupported(d, s->op);
		break;
	default:
		d->bad_status++;
		if (blkfront_log_ok(d, LOG_BAD_STATUS))
			printk("pvkit: blkfront %s: response id %#lx: unknown status %d: the "
			       "request fails with -EIO\n", d->blk.name, rsp->id, rsp->status);
		err = -EIO;
		break;
	}
	q->completed++;
	if (s->abandoned) {
		d->late_responses++;
		if (blkfront_log_ok(d, LOG_LATE))
			printk("pvkit: blkfront %s: response id %#lx came after its request timed "
			       "out: slot freed, result (%d) dropped\n", d->blk.name, rsp->id, err);
	}
	blkfront_finish(q, slot, err);
	return true;
}

unsigned int blkfront_ring_complete(struct blkfront_queue *q)
{
	struct blkfront_dev *d = q->dev;
	unsigned int done = 0;

	if (!q->sring)
		return 0;
	for (unsigned int pass = 0; pass < BLKFRONT_COMPLETE_PASSES && !d->dead; pass++) {
		RING_IDX cons = q->ring.rsp_cons;
		RING_IDX rp = READ_ONCE(q->sring->rsp_prod);

		xen_rmb();			/* the responses, after the index that covers them */
		/* Responses answer requests: never more than we produced and did not take. */
		if (rp - cons > q->ring.req_prod_pvt - cons) {
			d->ring_errors++;
			if (blkfront_log_ok(d, LOG_RING))
				printk("pvkit: blkfront %s: queue %u: rsp_prod %u jumped past what "
				       "we produced (rsp_cons %u, req_prod %u)\n", d->blk.name,
				       q->index, rp, cons, q->ring.req_prod_pvt);
			blkfront_mark_broken(d, "ring index jumped");
			return done;
		}
		while (cons != rp) {
			struct blkif_response rsp;

			RING_COPY_RESPONSE(&q->ring, cons, &rsp);	/* once; then only the copy */
			q->ring.rsp_cons = ++cons;
			done += blkfront_response(q, &rsp);
			if (d->dead)
				return done;	/* broken: read nothing more from this backend */
		}
		/* Ask for an event at the next response, then look once more: none is lost. */
		q->sring->rsp_event = cons + 1;
		xen_mb();
		if (READ_ONCE(q->sring->rsp_prod) == cons)
			break;
	}
	return done;
}

/*
 * The timer at the oldest deadline (interrupt context). The rings are swept first, so an
 * answer whose event was lost is taken, not timed out; then every request past its deadline
 * fails with -ETIMEDOUT, and the timer moves to the next deadline.
 */
static void blkfront_watchdog(struct os_timer *t)
{
	struct blkfront_dev *d = t->ctx;
	uint64_t now, next = UINT64_MAX;
	unsigned long fl = pv_irq_save();

	blkfront_handler_depth++;
	for (unsigned int i = 0; i < d->nr_queues && !d->dead; i++)
		blkfront_ring_complete(&d->queues[i]);
	now = os_clock_ns();
	for (unsigned int i = 0; i < d->nr_queues && !d->dead; i++) {
		struct blkfront_queue *q = &d->queues[i];

		for (uint16_t slot = 0; slot < q->nr_shadow && !d->dead; slot++) {
			struct blkfront_shadow *s = &q->shadow[slot];

			if (!s->in_flight || s->abandoned)
				continue;
			if (s->deadline <= now)
				blkfront_time_out(q, slot);
			else
				next = MIN(next, s->deadline);
		}
	}
	blkfront_handler_depth--;
	/* A completion above may have submitted and armed it already: the earlier one wins. */
	if (!d->dead && next != UINT64_MAX && (!t->pending || next < t->deadline))
		os_timer_add(t, next, blkfront_watchdog, d);
	pv_irq_restore(fl);
}

void blkfront_deadlines_shift(struct blkfront_dev *d, uint64_t ns)
{
	uint64_t next = UINT64_MAX;

	for (unsigned int i = 0; i < d->nr_queues; i++) {
		struct blkfront_queue *q = &d->queues[i];

		for (uint16_t slot = 0; slot < q->nr_shadow; slot++) {
			struct blkfront_shadow *s = &q->shadow[slot];

			if (!s->in_flight || s->abandoned)
				continue;
			s->deadline += ns;
			next = MIN(next, s->deadline);
		}
	}
	os_timer_cancel(&d->watchdog);
	if (next != UINT64_MAX)
		os_timer_add(&d->watchdog, next, blkfront_watchdog, d);
}

void blkfront_watchdog_stop(struct blkfront_dev *d)
{
	os_timer_cancel(&d->watchdog);
}

void blkfront_ring_event(evtchn_port_t port, void *ctx)
{
	struct blkfront_queue *q = ctx;

	q->events++;
	blkfront_handler_depth++;
	blkfront_ring_complete(q);
	blkfront_handler_depth--;
}

unsigned int blkfront_fail_all(struct blkfront_dev *d, int err)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < d->nr_queues; i++) {
		struct blkfront_queue *q = &d->queues[i];

		for (uint16_t slot = 0; slot < q->nr_shadow; slot++) {
			if (!q->shadow[slot].in_flight)
				continue;
			if (blkfront_finish(q, slot, err)) {	/* its request's last part */
				d->failed_in_flight++;
				n++;
			}
		}
	}
	return n;
}

void blkfront_mark_broken(struct blkfront_dev *d, const char *why)
{
	unsigned int n;

	if (d->dead)
		return;
	d->dead = true;			/* first: completions below may submit again */
	d->broken = true;
	d->why = why;
	for (unsigned int i = 0; i < d->nr_queues; i++)
		if (d->queues[i].port_open)
			evtchn_mask(d->queues[i].port);
	n = blkfront_fail_all(d, -EIO);
	printk("pvkit: blkfront %s: %s: backend abandoned, %u in-flight requests failed with "
	       "-EIO\n", d->blk.name, why, n);
	d->teardown = true;		/* the rest (xenstore, grants) in task context */
}
