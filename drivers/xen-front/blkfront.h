/* SPDX-License-Identifier: MIT */
/*
 * blkfront's private half (drivers/xen-front/): the per-disk state shared by the xenbus side
 * (blkfront.c), the ring engine (blkfront_ring.c) and the bounce pool (blkfront_pool.c), for
 * the blkif protocol, xen/io/blkif.h.
 *
 * Contexts. The event handler (interrupt context) only consumes responses, copies read data
 * out of the bounce pages and completes requests. Of gnttab it calls only gnttab_grant_ref
 * and gnttab_revoke_ref (a request's pages, without persistent grants), which touch one
 * entry of a reference we own; references are claimed, granted for good, ended and retired
 * in task context only: the pool upkeep (on submit outside the handler, the poll op, the
 * idle poller) and connect/teardown. Never xenstore.
 */
#ifndef DRIVERS_XEN_FRONT_BLKFRONT_H
#define DRIVERS_XEN_FRONT_BLKFRONT_H

#include <string.h>
#include <pvkit/blkdev.h>
#include <pvkit/compiler.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include <pvkit/xen/blkfront.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/xenbus.h>

/* io/ring.h wants these from its includer. x86: loads are not reordered with loads nor stores
 * with stores, so only the full barrier (store then load) needs a fence. */
#define xen_mb()	mb()
#define xen_rmb()	barrier()
#define xen_wmb()	barrier()
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>

#define BLKFRONT_MAX_RING_PAGES	(1u << BLKFRONT_MAX_RING_ORDER)
#define BLKFRONT_SHADOW_MAX	256	/* requests in flight per ring at most (ids) */
#define BLKFRONT_DIRECT_SEGS	BLKIF_MAX_SEGMENTS_PER_REQUEST	/* 11 */
#define BLKFRONT_SEGS_PER_IND	(PAGE_SIZE / sizeof(struct blkif_request_segment))	/* 512 */
#define BLKFRONT_MAX_IND_PAGES	DIV_ROUND_UP(BLK_MAX_SEGS, BLKFRONT_SEGS_PER_IND)
#define BLKFRONT_NIL		0xffff	/* end of a page or shadow list */
#define BLKFRONT_ID_SLOT_BITS	16	/* response id = generation << 16 | shadow slot */
#define BLKFRONT_LOG_MAX	8	/* log lines per disk and kind of bad response */
#define BLKFRONT_LOG_KINDS	8	/* kinds with a budget (blkfront_ring.c) */

BUILD_BUG_ON(BLKFRONT_POOL_PAGES >= BLKFRONT_NIL);
BUILD_BUG_ON(BLKFRONT_SHADOW_MAX > (1u << BLKFRONT_ID_SLOT_BITS));
/* The pool must hold the largest request: all its data pages and its indirect page. */
BUILD_BUG_ON(BLKFRONT_POOL_PAGES < 2 * (BLK_MAX_SEGS + BLKFRONT_MAX_IND_PAGES));

/* A bounce page. Data goes through these, never through the caller's pages: the backend
 * never sees memory that is not the driver's (Linux does the same for untrusted backends). */
enum blkfront_page_state {
	BLKFRONT_PG_FREE,		/* no reference yet (the upkeep gives it one) */
	BLKFRONT_PG_READY,		/* unused: a request may take it. Persistent: granted
					 * writable; otherwise its entry grants nothing */
	BLKFRONT_PG_BUSY,		/* part of a request in flight (granted) */
	BLKFRONT_PG_DONE,		/* its request completed but the backend still mapped it
					 * (not persistent): the upkeep revokes or retires it */
	BLKFRONT_PG_LOST,		/* retired, and no page to replace it: slot unused */
};

struct blkfront_page {
	uint64_t pa;			/* the frame (page_alloc); 0 when LOST */
	grant_ref_t ref;		/* its reference while has_ref */
	uint16_t next;			/* list link (ready/done/free lists, a request's chain) */
	uint8_t state;			/* enum blkfront_page_state */
	bool has_ref;			/* ref is ours: retired with the page when it goes */
	bool access;			/* the entry lets the backend map the page now */
};

/* A ring request of any form, built in private memory and copied to the ring in one go. */
union blkfront_ring_req {
	struct blkif_request rw;		/* read, write, barrier, flush */
	struct blkif_request_discard discard;	/* discard (secure or not) */
	struct blkif_request_indirect ind;	/* read or write with indirect segments */
};

/* One request slot of a ring: what we sent, to check and finish the response against. */
struct blkfront_shadow {
	uint64_t id;			/* the id we sent (generation | slot): a reply must echo it */
	struct blk_request *rq;		/* the caller's request */
	uint16_t pages;			/* first bounce page of its data (a chain), or NIL */
	uint16_t ind;			/* its indirect page, or NIL */
	uint16_t next_free;		/* free-slot list while not in flight */
	uint16_t nr_pages;		/* data pages in the chain */
	uint8_t op;			/* BLKIF_OP_* put on the ring */
	uint8_t data_op;		/* for BLKIF_OP_INDIRECT: the READ/WRITE inside */
	bool in_flight;			/* on the ring, no response accepted yet */
	bool abandoned;			/* timed out: the caller was told -ETIMEDOUT; the slot
					 * and its pages wait for the late response (or the end
					 * of the disk), since the backend may still use them */
	uint64_t deadline;		/* os_clock_ns() past which the watchdog fails it */
	uint32_t skip, bytes;		/* the part of rq's data it carries (all, unless split) */
};

struct blkfront_queue {
	struct blkfront_dev *dev;	/* the disk it belongs to */
	unsigned int index;		/* N of queue-N (0 for a single ring) */
	blkif_front_ring_t ring;	/* our indexes: req_prod_pvt, rsp_cons; nr_ents */
	blkif_sring_t *sring;		/* the shared pages, mapped contiguously */
	void *map_va;			/* run-time mapping of a multi-page ring, or NULL */
	unsigned int nr_pages;		/* ring pages (2^order) */
	uint64_t ring_pa[BLKFRONT_MAX_RING_PAGES];	/* the frames, 0 if not allocated */
	grant_ref_t ring_ref[BLKFRONT_MAX_RING_PAGES];	/* their grants (the backend maps them) */
	unsigned int nr_granted;	/* ring_ref[0..nr_granted) are live */
	evtchn_port_t port;		/* ours; the backend binds to it */
	bool port_open;			/* port allocated (close it on teardown) */
	uint32_t nr_shadow;		/* ids in use: min(ring size, BLKFRONT_SHADOW_MAX) */
	uint16_t free_shadow;		/* head of the free-slot list */
	uint32_t in_flight;		/* slots in flight */
	uint64_t gen;			/* next id generation: a stale reply cannot match */
	uint64_t submitted, completed, events, notifies;	/* counters (struct blkfront_stats) */
	struct blkfront_shadow shadow[BLKFRONT_SHADOW_MAX];	/* by slot */
};

/* Where a disk is in its life; the xenbus state machine moves it (blkfront.c). */
enum blkfront_state {
	BLKFRONT_FREE,			/* slot unused */
	BLKFRONT_WAIT_BACKEND,		/* probed; waiting for the backend's InitWait */
	BLKFRONT_INITIALISED,		/* rings published; waiting for Connected */
	BLKFRONT_CONNECTED,		/* a registered blkdev */
	BLKFRONT_CLOSING,		/* failing, tearing down (task context finishes it) */
	BLKFRONT_DEAD,			/* torn down or failed; waiting for the toolstack */
};

struct blkfront_dev {
	struct blkdev blk;		/* what the block layer sees; blk.priv = this */
	struct xenbus_device xb;	/* device/vbd/<id> and its backend */
	enum blkfront_state state;	/* see above */
	uint32_t vdev;			/* virtual-device number */
	uint16_t handle;		/* blkif handle field: the low 16 bits of vdev (as Linux) */
	bool registered;		/* blkdev_register() succeeded: unregister on teardown */
	volatile bool dead;		/* every request fails with -EIO (closing, broken ring) */
	bool broken;			/* the backend broke the protocol (rejected a response) */
	volatile bool teardown;		/* task context owes the rest of a close (broken ring) */
	/* Resumed in a new domain (blkfront.c blkfront_resume): the old rings are gone and the
	 * disk connects again to the new backend. Meanwhile requests are held, in order: the
	 * ones taken off the old rings first, then new ones; all go once Connected. */
	bool reconnecting;
	uint64_t reconnect_deadline;	/* os_clock_ns() past which it is given up */
	struct blk_request *held_head, *held_tail;	/* linked through rq->next */
	uint32_t nr_held;
	uint32_t reconnects;		/* connected again after a resume */
	/* os_clock_ns() when the domain suspended with this disk connected (0: not since).
	 * A cancelled suspend (xl save -c) comes back to the same rings, the clock moved on by
	 * the pause: the upkeep moves every deadline by as much, so no request times out for
	 * the time the whole domain stood still. */
	uint64_t suspended_ns;
	uint64_t requeued, held;	/* counters (struct blkfront_stats) */
	const char *why;		/* what killed it, for the teardown's log line */
	/* Negotiated (struct blkdev_features mirrors them for the block layer): */
	unsigned int nr_queues;		/* rings */
	unsigned int ring_order;	/* pages per ring = 1 << ring_order */
	bool persistent;		/* backend keeps our grants mapped: never end them early */
	uint32_t indirect_segs;		/* segments per indirect request, 0: direct only */
	bool flush, barrier;		/* BLKIF_OP_FLUSH_DISKCACHE / WRITE_BARRIER accepted */
	bool discard, discard_secure;	/* BLKIF_OP_DISCARD (with BLKIF_DISCARD_SECURE) */
	uint32_t discard_granularity;	/* bytes: the backend's discard extents (checked) */
	uint32_t discard_alignment;	/* bytes: where the first whole extent starts */
	unsigned int next_queue;	/* round robin: every ring carries requests */
	unsigned int split_pages;	/* reads above this go as parts of it (0: never) */
	uint64_t timeout_ns;		/* a request unanswered this long fails (fixed at connect) */
	struct blkfront_queue queues[BLKFRONT_MAX_QUEUES];	/* [0, nr_queues) set up */
	/* The bounce pool (blkfront_pool.c): */
	struct blkfront_page pool[BLKFRONT_POOL_PAGES];	/* [0, pool_size) allocated */
	unsigned int pool_size;		/* pages allocated */
	uint16_t ready, done, unused;	/* list heads: READY (LIFO), DONE, FREE */
	unsigned int nr_ready, nr_done, nr_unused, nr_lost;	/* list lengths; LOST pages */
	uint32_t in_flight;		/* all rings */
	unsigned int log_budget[BLKFRONT_LOG_KINDS];	/* log lines left per kind */
	/* Fires at the oldest deadline of the requests in flight: a backend that stays
	 * Connected but never answers fails each request with -ETIMEDOUT, not the guest. */
	struct os_timer watchdog;
	/* Counters (struct blkfront_stats): */
	uint64_t direct, indirect, flushes, barriers, discards, flushes_local;
	uint64_t failed, failed_in_flight, grants, grant_ends, grant_deferred, bytes_copied;
	uint64_t grant_errors, discards_trimmed, discards_dropped;
	uint64_t max_in_flight, bad_id, not_in_flight, bad_op, bad_status, ring_errors;
	uint64_t timeouts, late_responses, split;
};

/* ---- blkfront_ring.c: rings, requests, responses --------------------------------------- */

/** Set up ring @i of @d (2^d->ring_order pages, granted, mapped; an unbound port with our
 * handler, still masked). Return: 0 or -errno, with nothing left to undo. */
int blkfront_queue_setup(struct blkfront_dev *d, unsigned int i);
/** Close the port, unmap, retire the ring pages with their grants (freed now, or once the
 * backend unmaps each: gnttab_retire_page). Task context. */
void blkfront_queue_release(struct blkfront_queue *q);

/** Pool pages a request of @pages data pages takes (data and indirect pages), and in
 * *@parts the ring requests it becomes (reads above split_pages go in parts). */
unsigned int blkfront_rq_pages(const struct blkfront_dev *d, bool read, unsigned int pages,
			       unsigned int *parts);

/** Put @rq on a ring. @check_ro: refuse writes to a read-only disk. Return: as
 * blkdev_ops.submit (-EIO once the disk is dying). Any context; the pool upkeep (grants)
 * only runs outside our event handler. */
int blkfront_ring_submit(struct blkfront_dev *d, struct blk_request *rq, bool check_ro);
/** The event handler of every ring (ctx: the queue). */
void blkfront_ring_event(evtchn_port_t port, void *ctx);
/** Consume @q's responses (interrupts off). Returns how many were accepted. */
unsigned int blkfront_ring_complete(struct blkfront_queue *q);
/**
 * blkfront_requeue_all() - a new domain: take every request off @d's rings onto the held
 * list, each caller's request once (a read cut in parts is one), slots and bounce pages back,
 * nobody told; timed-out ones (their callers were told) only let go. Interrupts off.
 * Returns how many were queued.
 */
unsigned int blkfront_requeue_all(struct blkfront_dev *d);
/** Append @rq to the held list (interrupts off). */
void blkfront_hold(struct blkfront_dev *d, struct blk_request *rq);
/**
 * blkfront_submit_held() - once Connected again: the held requests onto the new rings in
 * order, each checked against what the new backend offers (a request larger than it takes
 * goes in parts; one it cannot do at all fails alone with that -errno). Stops at the first
 * that does not fit now (-EBUSY: tried again from the upkeep). Returns how many went.
 */
unsigned int blkfront_submit_held(struct blkfront_dev *d);
/** Fail every held request with @err (interrupts off). Returns how many. */
unsigned int blkfront_fail_held(struct blkfront_dev *d, int err);
/** Fail every request in flight with @err (interrupts off). Returns how many. */
unsigned int blkfront_fail_all(struct blkfront_dev *d, int err);
/** The backend broke the protocol: refuse requests, fail what is in flight with -EIO, mask
 * the rings and leave the rest of the teardown to task context (blkfront_upkeep). */
void blkfront_mark_broken(struct blkfront_dev *d, const char *why);
/** Move every in-flight deadline of @d by @ns and re-arm the watchdog at the first (after a
 * cancelled suspend). Interrupts off. */
void blkfront_deadlines_shift(struct blkfront_dev *d, uint64_t ns);
/** Stop @d's request watchdog (teardown; task context). */
void blkfront_watchdog_stop(struct blkfront_dev *d);
/** Are we inside blkfront_ring_event or the watchdog (interrupt context)? */
bool blkfront_in_handler(void);

/* ---- blkfront_pool.c: the bounce pool and its grants ----------------------------------- */

/** Allocate up to BLKFRONT_POOL_PAGES bounce pages (at least @min) and give each its
 * reference (persistent: a writable grant; else a claimed one that grants nothing).
 * Return: 0, -ENOMEM, or -ENOSPC (no references; nothing left to undo). Task context. */
int blkfront_pool_setup(struct blkfront_dev *d, unsigned int min);
/** Task context: pages the backend still mapped at completion revoked (or retired and
 * replaced), pages without a reference given one. Returns how many pages it settled or
 * armed (0: nothing to do, or the grant table is full: the idle loop may halt). */
unsigned int blkfront_pool_upkeep(struct blkfront_dev *d);
/** Task context: retire every page with its reference (freed now, or once the backend
 * lets go of that page: gnttab_retire_page), free the others. */
void blkfront_pool_release(struct blkfront_dev *d);
/** Pool pages whose grant lets the backend map them now (persistent: all). */
unsigned int blkfront_pool_granted(const struct blkfront_dev *d);
/* Shared with the ring engine, which builds and finishes requests: the two ends of a
 * request's life in the pool. Both run in any context, the event handler included (a
 * page list and gnttab_grant_ref/gnttab_revoke_ref only); the caller keeps interrupts off,
 * as the upkeep does around each list operation. */
/** Take @n READY pages (the caller checked nr_ready) as a chain in order, granted for this
 * request (@readonly: the backend only reads them) unless the grants are persistent.
 * Returns the first page of the chain. */
uint16_t blkfront_pages_take(struct blkfront_dev *d, unsigned int n, bool readonly);
/** Give back a completed request's chain from @first: READY again, or DONE for the upkeep
 * if the backend still maps a page (not persistent). */
void blkfront_pages_put(struct blkfront_dev *d, uint16_t first);

/* ---- blkfront.c ------------------------------------------------------------------------- */

/** Task-context work of every disk: pool upkeep, teardowns owed, retired pages. */
unsigned int blkfront_upkeep(void);

#endif /* DRIVERS_XEN_FRONT_BLKFRONT_H */
