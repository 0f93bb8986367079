// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for blkfront's response path (drivers/xen-front/blkfront_ring.c,
 * docs/blkfront.md "Hardening"): the whole driver with the real xenstore client and xenbus,
 * against the unit tests' fake xenstored and fake blkback (tests/unit/fake_*.c). Each input
 * brings a disk up with the features its first bytes choose, then runs a script in which the
 * guest submits requests and a hostile backend writes raw responses (ids, operations,
 * statuses of its choice) and raw rsp_prod values into the shared rings, raises events, lets
 * the honest fake backend serve, lets time pass (the request watchdog), or closes. After
 * every step:
 *   - each response the driver took, replayed against a snapshot of the ring from before
 *     the step, was valid (slot in flight with that very id, operation matching) and
 *     completed its request with the status it carried, or was the first invalid one and
 *     the disk is now dead (a request cut into parts completes once, after its last part, with
 *     the first error of any); no more were taken than requests were out, none from a ring
 *     whose rsp_prod is beyond them, and an index error was counted only for such a ring;
 *   - no request completed more than once;
 *   - once time passed, no request is past its deadline without having completed (answered,
 *     or failed with -ETIMEDOUT), and the late answer of a timed-out one completes nothing;
 *   - a disk that rejected a response (bad id, not in flight, wrong operation, ring index)
 *     is dead, and then every request it accepted has completed;
 * and at the end, once the backend closed and let go of its mappings, every request has
 * completed exactly once, the disk is gone, no grant is live or deferred, no port is open, no
 * timer is armed and every page is back. ASan/UBSan catch the rest.
 *
 * Input: 3 bytes of offer (ring order and queues; indirect segments; persistent, flush,
 * barrier, discard, secure discard) and a byte choosing the split size (128 KiB, never,
 * 16 KiB, 44 KiB), then steps: a ring byte (while the
 * disk is up), an opcode byte (% 8) and its arguments; see fz_step(). The seeds' generator,
 * tests/fuzz/corpus-blkfront/mkseeds.py, spells the format out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/blkdev.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/os.h>
#include <pvkit/xen/blkfront.h>
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>
#include "../../drivers/xen-front/blkfront.h"	/* the rings, to play the backend on them */
#include "../../xen-guest/xs_proto.h"		/* xs_init_ring, xs_reset */
#include "fuzz_input.h"
#include "fake_blkback.h"
#include "fake_xenstored.h"

#define VDEV		51712		/* xvda */
#define FZ_IOS		24		/* requests the script may have at once */
#define FZ_FRAMES	64		/* data pages all of them share (contents do not matter) */
#define FZ_STEPS	256		/* operations per input at most */

/* ---- the kernel around blkfront (as tests/unit/test_blkfront.c) ------------------------- */

static struct blkdev *disk;		/* the registered disk, NULL when none */
static struct os_poller *poller;

int blkdev_register(struct blkdev *dev)
{
	if (disk)
		return -EEXIST;
	dev->gone = false;
	disk = dev;
	return 0;
}

void blkdev_unregister(struct blkdev *dev)
{
	if (disk == dev)
		disk = NULL;
	dev->gone = true;
}

struct blkdev *blkdev_find(const char *name)
{
	return disk && !strcmp(disk->name, name) ? disk : NULL;
}

void os_poller_register(struct os_poller *p)
{
	poller = p;
}

int printk(const char *fmt, ...)
{
	return 0;			/* a hostile backend makes many lines: keep it fast */
}

/* ---- fixture ------------------------------------------------------------------------------ */

struct fz_io {
	struct blk_request rq;
	unsigned int done;		/* completions: at most 1, exactly 1 at the end */
	int status;			/* of the (last) completion */
	bool accepted;			/* submit returned 0 */
	unsigned int parts;		/* ring requests it went out as */
	unsigned int answered;		/* of them, answered validly so far */
	int want;			/* the status it must complete with: the first error */
};

/* A request slot of a ring as it was before a step. */
struct fz_slot {
	bool in_flight;			/* a response may complete it */
	uint64_t id;			/* ... if it carries this id */
	uint8_t op, data_op;		/* ... and this operation (or, indirect, data_op) */
	bool abandoned;			/* timed out: its answer completes nothing */
	struct fz_io *io;		/* the request in it (NULL once timed out) */
};

/* A ring as it was before a step: what the driver must make of the responses it takes. */
struct fz_snap {
	bool live;			/* connected, not dead: the ring may be read */
	RING_IDX cons, prod_pvt;	/* rsp_cons, req_prod_pvt */
	struct fz_slot slot[BLKFRONT_SHADOW_MAX];
};

static struct fz_io ios[FZ_IOS];
static struct blkfront_dev *cur;	/* the driver's state of this input's disk */
static uint64_t frames[FZ_FRAMES];
static unsigned int pages_base;		/* fake pages in use with no disk (frames included) */

static void fz_fail(const char *what, unsigned long a, unsigned long b)
{
	fprintf(stderr, "fuzz_blkfront: invariant broken: %s (%lu, %lu)\n", what, a, b);
	abort();
}

static void fz_done(struct blk_request *rq, int status)
{
	struct fz_io *io = rq->ctx;

	io->status = status;
	if (++io->done > 1)
		fz_fail("a request completed twice", (unsigned long)(io - ios),
			(unsigned long)status);
}

static void fz_idle(void)
{
	if (poller)
		poller->poll();
}

static void fz_init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	/* The fake blkback says every protocol slip of ours it sees on stdout; the hostile
	 * responses make it see many (requests it still holds were completed by the fuzzer's
	 * answer). Kept only when asked for: FUZZ_BLKFRONT_VERBOSE=1. */
	if (!getenv("FUZZ_BLKFRONT_VERBOSE"))
		freopen("/dev/null", "w", stdout);
	xs_reset();
	fxs_init(FBK_DOMID, "guest", 0);
	if (xs_init_ring(fxs.ring, FXS_PORT))
		fz_fail("xenstore ring", 0, 0);
	fbk_reset();
	if (blkfront_init(NULL))
		fz_fail("blkfront_init", 0, 0);
	for (unsigned int i = 0; i < FZ_FRAMES; i++)
		if (os_page_alloc(&frames[i]))
			fz_fail("no page", i, 0);
	pages_base = fake_pages_in_use;
}

/* The driver's state of the disk, while its rings exist. */
static struct blkfront_dev *fz_dev(void)
{
	return cur && cur->state == BLKFRONT_CONNECTED && cur->registered && !cur->dead ?
	       cur : NULL;
}

/* ---- the script ---------------------------------------------------------------------------- */

/* The ring requests @rq went out as (slots in flight for it). */
FZ_CHECKER static unsigned int fz_parts(const struct blk_request *rq)
{
	unsigned int n = 0;

	for (unsigned int k = 0; k < cur->nr_queues; k++)
		for (unsigned int j = 0; j < cur->queues[k].nr_shadow; j++)
			n += cur->queues[k].shadow[j].in_flight &&
			     !cur->queues[k].shadow[j].abandoned && cur->queues[k].shadow[j].rq == rq;
	return n;
}

/* A request of any of the block layer's kinds into one of FZ_IOS slots (unless it is still in
 * flight), handed straight to the driver: some reach past the disk's end or make a barrier
 * too big, which the driver must refuse by itself. */
static void fz_submit(struct fz_in *in)
{
	static const enum blk_op ops[] = { BLK_READ, BLK_WRITE, BLK_READ, BLK_WRITE, BLK_FLUSH,
					   BLK_WRITE_BARRIER, BLK_DISCARD, BLK_DISCARD_SECURE };
	unsigned int i = fz_byte(in) % FZ_IOS, op = fz_byte(in), pages = fz_byte(in);
	uint64_t sector = (uint64_t)fz_byte(in) * 8;	/* 0..2040: some reach past the end */
	struct fz_io *io = &ios[i];
	struct blk_request *rq = &io->rq;
	int err;

	if (!disk || (io->accepted && !io->done))
		return;				/* still in flight: not ours to reuse */
	memset(rq, 0, offsetof(struct blk_request, segs));
	rq->op = ops[op % ARRAY_SIZE(ops)];
	rq->sector = sector;
	rq->done = fz_done;
	rq->ctx = io;
	if (rq->op == BLK_READ || rq->op == BLK_WRITE || rq->op == BLK_WRITE_BARRIER) {
		/* 1..64 pages (indirect from 12 on), the last one 512 B to 4 KiB. */
		pages = pages % (op & 0x80 ? FZ_FRAMES : 12) + 1;
		for (unsigned int k = 0; k < pages; k++) {
			uint32_t len = k + 1 < pages ? 4096 : 512 * (1 + (op >> 3) % 8);

			rq->segs[k] = (struct blk_seg){ frames[k], 0, len };
			rq->nr_sectors += len / 512;
		}
		rq->nr_segs = pages;
	} else if (rq->op != BLK_FLUSH) {
		rq->nr_sectors = 8 * (pages + 1);
	}
	io->done = 0;
	io->accepted = false;
	io->parts = io->answered = 0;
	io->want = 0;
	err = disk->gone ? -ENODEV : disk->ops->submit(disk, rq);
	io->accepted = !err;
	if (!err)
		io->parts = fz_parts(rq);
	if (io->parts > 1 && rq->op != BLK_READ)
		fz_fail("a request other than a read was split", i, io->parts);
	if (!err && io->done > 1)
		fz_fail("completed twice at submit", i, 0);
}

/* A response written by the backend on queue @q at its next slot (rsp_prod not moved).
 * The id is a slot's current id (in flight or not) or any 64 bits; the operation the
 * slot's, its data operation, or any; the status one of blkif's or any. */
static void fz_response(struct fz_in *in, struct blkfront_queue *q)
{
	unsigned int how = fz_byte(in), sel = fz_byte(in);
	struct blkfront_shadow *s = &q->shadow[sel % q->nr_shadow];
	blkif_response_t rsp = { 0 };
	static const int16_t statuses[] = { BLKIF_RSP_OKAY, BLKIF_RSP_OKAY, BLKIF_RSP_ERROR,
					    BLKIF_RSP_EOPNOTSUPP };

	rsp.id = how & 1 ? fz_u64(in) : s->id + (how & 2 ? (1ull << BLKFRONT_ID_SLOT_BITS) : 0);
	switch (how >> 2 & 3) {
	case 0:
	case 1:
		rsp.operation = s->op;
		break;
	case 2:
		rsp.operation = s->data_op;
		break;
	default:
		rsp.operation = (uint8_t)fz_byte(in);
		break;
	}
	rsp.status = how & 0x10 ? (int16_t)(fz_byte(in) | fz_byte(in) << 8) :
		     statuses[how >> 5 & 3];
	memcpy(&q->sring->ring[q->sring->rsp_prod & (RING_SIZE(&q->ring) - 1)].rsp, &rsp,
	       sizeof(rsp));
}

FZ_CHECKER static void fz_check(void)
{
	struct blkfront_dev *d = cur;

	if ((d->bad_id || d->not_in_flight || d->bad_op || d->ring_errors) && !d->dead)
		fz_fail("a rejected response left the disk alive", d->bad_id + d->not_in_flight,
			d->bad_op + d->ring_errors);
	if (!d->dead)
		return;
	for (unsigned int i = 0; i < FZ_IOS; i++)
		if (ios[i].accepted && ios[i].done != 1)
			fz_fail("a dead disk left a request in flight", i, ios[i].done);
}

static struct fz_snap snaps[BLKFRONT_MAX_QUEUES];

FZ_CHECKER static void fz_snapshot(void)
{
	struct blkfront_dev *d = fz_dev();

	for (unsigned int k = 0; k < BLKFRONT_MAX_QUEUES; k++) {
		struct blkfront_queue *q = d && k < d->nr_queues ? &d->queues[k] : NULL;
		struct fz_snap *sn = &snaps[k];

		sn->live = q != NULL;
		if (!q)
			continue;
		sn->cons = q->ring.rsp_cons;
		sn->prod_pvt = q->ring.req_prod_pvt;
		/* At every step: only the slots in flight are copied (most are not). */
		for (unsigned int i = 0; i < q->nr_shadow; i++) {
			const struct blkfront_shadow *sh = &q->shadow[i];

			sn->slot[i].in_flight = sh->in_flight;
			if (!sh->in_flight)
				continue;
			sn->slot[i].id = sh->id;
			sn->slot[i].op = sh->op;
			sn->slot[i].data_op = sh->data_op;
			sn->slot[i].abandoned = sh->abandoned;
			sn->slot[i].io = !sh->abandoned ? sh->rq->ctx : NULL;
		}
	}
}

/* The status a request answered with @st must complete with (blkif.h). */
static int fz_status_err(int16_t st, uint8_t data_op)
{
	bool rw = data_op == BLKIF_OP_READ || data_op == BLKIF_OP_WRITE;

	if (st == BLKIF_RSP_OKAY)
		return 0;
	if (st == BLKIF_RSP_EOPNOTSUPP && !rw)
		return -EOPNOTSUPP;
	return -EIO;
}

/* Replay what ring @k took in the step against its snapshot: each response in order is either
 * valid (its slot in flight with that very id, the operation matching) and then completed
 * its request with the status it carried, or the first invalid one, after which the disk is
 * dead and nothing more was read. Never more responses than requests were out; an rsp_prod
 * beyond them is an index error: nothing read (@strict: the frontend saw one rsp_prod; the
 * honest backend may move it between events). Returns whether rsp_prod is beyond them. */
FZ_CHECKER static bool fz_verify(unsigned int k, bool strict)
{
	struct fz_snap *sn = &snaps[k];
	struct blkfront_queue *q = &cur->queues[k];
	RING_IDX end = q->ring.rsp_cons;
	bool over;

	if (!sn->live || !q->sring)
		return false;
	over = q->sring->rsp_prod - sn->cons > sn->prod_pvt - sn->cons;
	if (end - sn->cons > sn->prod_pvt - sn->cons)
		fz_fail("more responses taken than requests were out", end - sn->cons,
			sn->prod_pvt - sn->cons);
	if (strict && over && end != sn->cons)
		fz_fail("responses read although rsp_prod was beyond the requests out",
			end - sn->cons, k);
	for (RING_IDX i = sn->cons; i != end; i++) {
		uint64_t slot;
		struct fz_slot *ss;
		blkif_response_t r;
		struct fz_io *io;
		int err;

		memcpy(&r, &q->sring->ring[i & (RING_SIZE(&q->ring) - 1)].rsp, sizeof(r));
		slot = r.id & ((1u << BLKFRONT_ID_SLOT_BITS) - 1);
		ss = slot < q->nr_shadow ? &sn->slot[slot] : NULL;
		if (!ss || !ss->in_flight || ss->id != r.id ||
		    (r.operation != ss->op &&
		     (ss->op != BLKIF_OP_INDIRECT || r.operation != ss->data_op))) {
			if (!cur->dead || i + 1 != end)
				fz_fail("an invalid response was accepted", i - sn->cons,
					cur->dead);
			break;
		}
		ss->in_flight = false;		/* a second one for it is invalid */
		if (ss->abandoned)
			continue;		/* its caller was told -ETIMEDOUT; nothing more */
		io = ss->io;			/* judged after every ring: fz_check_parts */
		err = fz_status_err(r.status, ss->data_op);
		if (err && !io->want)
			io->want = err;
		io->answered++;
	}
	return over;
}

/* @secs seconds pass and the timers due run (the watchdog sweeps the rings, then fails what
 * is past its deadline). Every request past its deadline has completed; those that were
 * waiting before and are timed out now completed with -ETIMEDOUT. */
FZ_CHECKER static void fz_time(unsigned int secs)
{
	struct blkfront_dev *d;

	fake_now_ns += secs * 1000000000ull;
	fbk_run_timers();
	d = fz_dev();
	if (!d)
		return;				/* dead: fz_check looks at it */
	for (unsigned int k = 0; k < d->nr_queues; k++) {
		struct blkfront_queue *q = &d->queues[k];

		for (unsigned int i = 0; i < q->nr_shadow; i++) {
			const struct blkfront_shadow *s = &q->shadow[i];
			const struct fz_slot *ss = &snaps[k].slot[i];

			if (s->in_flight && !s->abandoned && s->deadline <= fake_now_ns)
				fz_fail("a request past its deadline still waits", k, i);
			if (s->abandoned && ss->in_flight && !ss->abandoned && s->id == ss->id &&
			    (ss->io->done != 1 || ss->io->status != -ETIMEDOUT))
				fz_fail("a timed-out request did not complete with -ETIMEDOUT",
					ss->io->done, (unsigned long)ss->io->status);
		}
	}
}

/* After the rings were replayed: a request all of whose parts were answered validly completed
 * once, with the first error among them; one with parts still out has not completed, unless
 * it timed out or the disk died (which fails them). */
FZ_CHECKER static void fz_check_parts(void)
{
	for (unsigned int i = 0; i < FZ_IOS; i++) {
		const struct fz_io *io = &ios[i];

		if (!io->accepted || !io->parts)
			continue;
		if (io->answered == io->parts && (io->done != 1 || io->status != io->want))
			fz_fail("valid responses did not complete their request as they said",
				(unsigned long)io->want, (unsigned long)io->status);
		if (io->answered < io->parts && io->done && !cur->dead &&
		    io->status != -ETIMEDOUT)
			fz_fail("a request completed before its last part", io->answered,
				io->parts);
	}
}

static void fz_step(struct fz_in *in)
{
	struct blkfront_dev *d = fz_dev();
	struct blkfront_queue *q = d ? &d->queues[fz_byte(in) % d->nr_queues] : NULL;
	unsigned int op = fz_byte(in) % 8;
	bool closed = false;		/* a close fails requests: no response to check */
	bool over = false;		/* some ring's rsp_prod beyond its requests out */
	bool snaps_live = d != NULL;
	uint64_t ring_errors = cur->ring_errors;

	fz_snapshot();
	switch (op) {
	case 0:				/* the guest submits */
	case 1:
		fz_submit(in);
		break;
	case 2:				/* a response, published, with an event */
	case 3:				/* ... without publishing or telling */
		if (!q)
			break;
		fz_response(in, q);
		if (op == 2) {
			q->sring->rsp_prod++;
			fbk_raise_ring(q->index);
		}
		break;
	case 4:				/* rsp_prod moved by the backend's choice, an event */
		if (!q)
			break;
		q->sring->rsp_prod += (int8_t)fz_byte(in);
		fbk_raise_ring(q->index);
		break;
	case 5:				/* the honest fake blkback serves what is on the rings */
		fbk.hold = fz_byte(in) & 1;
		fbk_step();
		break;
	case 6:				/* the kernel's idle loop, or the block layer's poll */
		if (fz_byte(in) & 1)
			fz_idle();
		else if (disk && !disk->gone)
			disk->ops->poll(disk);
		break;
	default: {			/* the backend goes away (xl block-detach) */
		unsigned int b = fz_byte(in);

		if (b % 4 == 0) {
			closed = true;
			fbk_set_state(XenbusStateClosing);
			fxs_pump();
		} else if (b % 4 == 1) {	/* time passes: 0 to 126 s */
			fz_time((b >> 2) * 2);
		}
		break;
	}
	}
	fz_check();
	for (unsigned int k = 0; k < BLKFRONT_MAX_QUEUES && !closed; k++)
		over |= fz_verify(k, op != 5);
	fz_check_parts();
	if (op != 5 && !closed && snaps_live && cur->ring_errors > ring_errors && !over)
		fz_fail("an index error with every rsp_prod within the requests out",
			cur->ring_errors, ring_errors);
}

/* The disk, with the offer the input's first 3 bytes choose; NULL if it did not come up. */
static struct blkdev *fz_bring_up(struct fz_in *in)
{
	static const unsigned int split_kib[] = { BLKFRONT_SPLIT_KIB, 0, 16, 44 };
	unsigned int o0 = fz_byte(in), o1 = fz_byte(in), o2 = fz_byte(in), o3 = fz_byte(in);

	blkfront_set_split(split_kib[o3 % 4]);
	fbk_reset();
	fbk.offer.max_ring_page_order = o0 % 4;
	fbk.offer.max_queues = o0 >> 2 & 3 ? (int)(o0 >> 2 & 3) + 1 : -1;
	fbk.offer.max_indirect = o1 & 1 ? (int)(o1 >> 1) * 4 : -1;	/* 0..508, or absent */
	fbk.offer.persistent = o2 & 1;
	fbk.offer.flush = o2 & 2;
	fbk.offer.barrier = o2 & 4;
	fbk.offer.discard = o2 & 8;
	fbk.offer.discard_secure = o2 & 16;
	fbk.offer.sectors = 2048;		/* 1 MiB: the fake's disk is cleared per input */
	fbk.clear_written = true;		/* (only what was written: nothing else writes) */
	fbk_add(VDEV);
	fxs_pump();
	if (fbk_connect())
		return NULL;
	fxs_pump();
	return blkdev_find("xvda");
}

/* The toolstack detaches the disk; everything must come back. */
static void fz_tear_down(void)
{
	struct fgnt_stats gs;

	fbk_set_state(XenbusStateClosing);
	fxs_pump();
	fz_idle();
	fbk_disconnect();			/* blkback lets go of the mappings */
	fz_idle();
	fbk_set_state(XenbusStateClosed);
	fbk_remove();
	fxs_pump();
	fz_idle();
	for (unsigned int i = 0; i < FZ_IOS; i++)
		if (ios[i].accepted && ios[i].done != 1)
			fz_fail("a request never completed", i, ios[i].done);
	if (disk)
		fz_fail("the disk is still registered", 0, 0);
	fgnt_stats(&gs);
	if (gs.live || gs.deferred || gs.bad_ends)
		fz_fail("grants left", gs.live, gs.deferred + gs.bad_ends * 1000);
	if (fbk_ports_open())
		fz_fail("ports left open", fbk_ports_open(), 0);
	if (fbk_timers_pending())
		fz_fail("a timer left armed", fbk_timers_pending(), 0);
	if (fake_pages_in_use != pages_base || fake_bad_frees)
		fz_fail("pages leaked", fake_pages_in_use, pages_base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };

	fz_init_once();
	memset(ios, 0, sizeof(ios));
	memset(snaps, 0, sizeof(snaps));	/* nothing in flight yet */
	if (!fz_bring_up(&in))
		fz_fail("the disk did not come up", fbk.violations, 0);
	cur = disk->priv;
	for (unsigned int k = 0; k < FZ_STEPS && in.n; k++)
		fz_step(&in);
	fz_tear_down();
	cur = NULL;
	return 0;
}
