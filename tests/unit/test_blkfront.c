// SPDX-License-Identifier: MIT
/*
 * blkfront (drivers/xen-front/blkfront*.c) whole, with the real xenstore client and xenbus,
 * against the fake xenstored and a fake blkback (fake_blkback.c): negotiation of each feature
 * and the fallback when it is absent, the request forms on the ring (direct, indirect,
 * flush, barrier, discard), persistent and per-request grants, and every hostile response
 * (bad, duplicate and stale ids, wrong operation, unknown status, rsp_prod jumping either
 * way). Each case runs in a child process: the driver's disk slots are global.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pvkit/blkdev.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/idle.h>
#include <pvkit/mm.h>
#include <pvkit/xen/blkfront.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>
#define xen_mb()	__sync_synchronize()
#define xen_rmb()	__sync_synchronize()
#define xen_wmb()	__sync_synchronize()
#include <xen/io/blkif.h>
#include "../../xen-guest/xs_proto.h"
#include "blk_io.h"
#include "fake_blkback.h"
#include "fake_xenstored.h"
#include "unit.h"

#define VDEV_A		51712		/* xvda */
#define VDEV_B		51728		/* xvdb */
#define MAX_IO		40		/* requests the full-ring case prepares at most */
_Static_assert(MAX_IO <= BLK_IO_MAX, "blk_io.h holds MAX_IO requests");

/* ---- the kernel around blkfront: block layer registry, idle pollers, printk ----------- */

static struct blkdev *disks[8];
static unsigned int nr_disks, unregistered;
static struct os_poller *poller;

int blkdev_register(struct blkdev *dev)
{
	for (unsigned int i = 0; i < nr_disks; i++)
		if (!strcmp(disks[i]->name, dev->name))
			return -EEXIST;
	dev->gone = false;
	disks[nr_disks++] = dev;
	return 0;
}

void blkdev_unregister(struct blkdev *dev)
{
	for (unsigned int i = 0; i < nr_disks; i++)
		if (disks[i] == dev)
			disks[i] = disks[--nr_disks];
	dev->gone = true;
	unregistered++;
}

struct blkdev *blkdev_find(const char *name)
{
	for (unsigned int i = 0; i < nr_disks; i++)
		if (!strcmp(disks[i]->name, name))
			return disks[i];
	return NULL;
}

/* The block layer's refusal of a gone disk, then the driver. */
static int submit(struct blkdev *dev, struct blk_request *rq)
{
	return dev->gone ? -ENODEV : dev->ops->submit(dev, rq);
}

void os_poller_register(struct os_poller *p)
{
	poller = p;
}

/* ---- fixture ------------------------------------------------------------------------------ */

static unsigned int idle(void)
{
	return poller ? poller->poll() : 0;
}

/* Requests go out whole unless a case turns splitting on (split_case): the cases below
 * count ring requests per block request. */
static void start(void)
{
	blkfront_set_split(0);
	xs_reset();
	fxs_init(FBK_DOMID, "guest", 0);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
	fbk_reset();
}

/* The disk @vdev with fbk.offer: blkfront finds it, publishes, the backend connects. */
static struct blkdev *bring_up(unsigned int vdev)
{
	char name[BLK_NAME_MAX];

	fbk_add(vdev);
	CHECK(blkfront_init(NULL) == 0);
	CHECKF(fbk_connect() == 0, "%s", fbk.violation);
	fxs_pump();
	CHECK(!blkfront_vdev_name(vdev, name, sizeof(name)));
	return blkdev_find(name);
}

static const char *fe_key(const char *node)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", fbk.fe, node);
	return fxs_get(path);
}

/* Run @fn in a child: blkfront's state is global. */
static void in_child(void (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		unit_failed_checks = 0;
		fn();
		fflush(stdout);
		_exit(unit_failed_checks ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}

/* ---- requests ---------------------------------------------------------------------------- */

/* Submit request @i and let the backend run until it completes. */
static int run(struct blkdev *d, unsigned int i)
{
	int err = submit(d, &ios[i].rq);

	if (err)
		return err;
	for (unsigned int k = 0; k < 8 && !ios[i].done; k++)
		fbk_step();
	CHECKF(ios[i].done == 1, "request %u completed %u times", i, ios[i].done);
	return ios[i].status;
}

/* Requests 0..@n-1: @op of @sectors each, one after the other from sector 0, taken by the
 * backend and held there (fbk.hold stays set). */
static void submit_held(struct blkdev *d, unsigned int n, enum blk_op op, uint32_t sectors)
{
	fbk.hold = true;
	for (unsigned int i = 0; i < n; i++)
		CHECK(submit(d, io_prep(i, op, i * sectors, sectors, 1)) == 0);
	fbk_step();
}

static struct blkfront_stats stats(struct blkdev *d)
{
	struct blkfront_stats st;

	CHECK(blkfront_get_stats(d, &st) == 0);
	return st;
}

/* ---- negotiation and fallbacks ------------------------------------------------------------ */

static void everything_offered(void)
{
	struct blkdev *d;

	start();
	d = bring_up(VDEV_A);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(!strcmp(d->name, "xvda"));
	CHECKF(d->sectors == 16384 && d->sector_size == 512 && d->physical_sector_size == 4096 &&
	       !d->readonly, "%lu sectors of %u/%u", d->sectors, d->sector_size,
	       d->physical_sector_size);
	CHECKF(d->features.ring_pages == 8 && d->features.queues == 4 &&
	       d->features.indirect_segs == 256 && d->features.persistent &&
	       d->features.flush && d->features.barrier && d->features.discard &&
	       d->features.discard_secure && d->features.discard_granularity == 4096,
	       "pages %u queues %u indirect %u", d->features.ring_pages, d->features.queues,
	       d->features.indirect_segs);
	/* The pool's 576 pages hold two 1 MiB requests (256 data pages + 1 indirect each), the
	 * rings 4 x 256 slots: two of any size at once (test_blkfront_grants.c fills them). */
	CHECKF(d->max_segs == 256 && d->queue_depth == 576 / 257, "depth %u", d->queue_depth);
	CHECK(fbk.nr_rings == 4 && fbk.ring_pages == 8 && fbk.persistent);
	CHECK(fe_key("state") && !strcmp(fe_key("state"), "4"));
	CHECK(fe_key("ring-page-order") && !strcmp(fe_key("ring-page-order"), "3"));
	CHECK(fe_key("queue-3/ring-ref7") && !fe_key("queue-4/ring-ref0"));
	CHECK(fe_key("multi-queue-num-queues") && !fe_key("event-channel"));
	CHECK(fbk.violations == 0 && fbk_ports_open() == 4);
}

/* Nothing optional offered: a one-page flat ring, direct requests, per-request grants,
 * flushes complete at once, no discard or barrier; the data is the same. */
static void nothing_offered(void)
{
	struct blkdev *d;
	struct blkfront_stats st;
	unsigned int before;
	uint32_t refs[11], gens[11];

	start();
	fbk.offer = (struct fbk_offer){ .max_ring_page_order = -1, .max_ring_pages = -1,
					.max_queues = -1, .max_indirect = -1,
					.discard_granularity = -1, .sectors = 4096 };
	d = bring_up(VDEV_A);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECKF(d->features.ring_pages == 1 && d->features.queues == 1 &&
	       !d->features.indirect_segs && !d->features.persistent && !d->features.flush &&
	       !d->features.barrier && !d->features.discard, "features %u/%u/%u/%d",
	       d->features.ring_pages, d->features.queues, d->features.indirect_segs,
	       d->features.persistent);
	CHECK(d->max_segs == BLKIF_MAX_SEGMENTS_PER_REQUEST && d->sector_size == 512 &&
	      d->physical_sector_size == 512);
	CHECK(fe_key("ring-ref") && fe_key("event-channel") && !fe_key("ring-page-order") &&
	      !fe_key("multi-queue-num-queues") && !fe_key("queue-0/event-channel"));
	CHECK(fbk.fe_persistent && !fbk.persistent);	/* we offer; it does not */
	io_prep(0, BLK_WRITE, 100, 88, 1);		/* 11 pages: a full direct request */
	CHECK(run(d, 0) == 0);
	CHECK(fbk.last.op == BLKIF_OP_WRITE && fbk.last.nr_segs == 11);
	memcpy(refs, fbk.last.refs, sizeof(refs));
	memcpy(gens, fbk.last.gens, sizeof(gens));
	CHECK(disk_holds(100, 88, 1));
	io_prep(1, BLK_READ, 100, 88, 0);
	CHECK(run(d, 1) == 0 && io_holds(1, 1));
	d->ops->poll(d);				/* the upkeep ends used grants */
	for (unsigned int k = 0; k < 11; k++)
		CHECKF(!fgnt_is_live(refs[k], gens[k]), "grant %u of a completed request "
		       "still live", refs[k]);
	before = fbk.requests;
	io_prep(2, BLK_FLUSH, 0, 0, 0);
	CHECK(run(d, 2) == 0 && fbk.requests == before);	/* no volatile cache: done */
	io_prep(3, BLK_DISCARD, 0, 8, 0);
	CHECK(submit(d, &ios[3].rq) == -EOPNOTSUPP);
	io_prep(4, BLK_WRITE_BARRIER, 0, 8, 2);
	CHECK(submit(d, &ios[4].rq) == -EOPNOTSUPP);
	io_prep(5, BLK_WRITE, 0, 96, 3);		/* 12 pages: no indirect to carry it */
	CHECK(submit(d, &ios[5].rq) == -EINVAL && fbk.requests == before);
	st = stats(d);
	CHECK(st.flushes_local == 1 && st.indirect == 0 && st.direct == 2);
	CHECK(fbk.violations == 0);
	io_free_all();
}

/* Backend values out of range are clamped; the older max-ring-pages key is understood. */
static void odd_offers_child(int order, int pages, int queues, int ind, unsigned int want_pages,
			     unsigned int want_queues, unsigned int want_ind)
{
	struct blkdev *d;

	start();
	fbk.offer.max_ring_page_order = order;
	fbk.offer.max_ring_pages = pages;
	fbk.offer.max_queues = queues;
	fbk.offer.max_indirect = ind;
	d = bring_up(VDEV_A);
	CHECK(d != NULL);
	if (!d)
		return;
	CHECKF(d->features.ring_pages == want_pages && d->features.queues == want_queues &&
	       d->features.indirect_segs == want_ind, "got %u pages %u queues %u segs",
	       d->features.ring_pages, d->features.queues, d->features.indirect_segs);
	CHECK(d->max_segs == (want_ind ? want_ind : 11u));
	CHECK(fbk.violations == 0);
}

static void odd_legacy(void) { odd_offers_child(-1, 4, 1, 256, 4, 1, 256); }
static void odd_huge(void) { odd_offers_child(9, -1, 2, 100000, 16, 2, 256); }
static void odd_queues(void) { odd_offers_child(2, -1, 64, 256, 4, 4, 256); }
static void odd_small(void) { odd_offers_child(1, -1, 0, 8, 2, 1, 0); }

static void odd_offers(void)
{
	in_child(odd_legacy);
	in_child(odd_huge);
	in_child(odd_queues);
	in_child(odd_small);
}

/* ---- I/O ------------------------------------------------------------------------------------ */

/* Mixed sizes, reads and writes, many in flight, answered last-first: every request
 * completes once with the right data; every ring carries requests; >11 pages go indirect. */
static void mixed_io(void)
{
	static const uint32_t sizes[] = { 1, 7, 8, 9, 64, 88, 89, 96, 512, 1000, 2048 };
	struct blkdev *d;
	struct fgnt_stats gs;
	uint64_t at = 0;

	start();
	fbk.log = calloc(256, sizeof(*fbk.log));
	fbk.log_max = 256;
	d = bring_up(VDEV_A);
	if (!d)
		return;
	fbk.hold = true;
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		io_prep(i, BLK_WRITE, at, sizes[i], 5);
		CHECK(submit(d, &ios[i].rq) == 0);
		at += sizes[i];
	}
	fbk_step();
	fbk.reverse = true;
	fbk_release();
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		CHECKF(ios[i].done == 1 && ios[i].status == 0, "write %u: %u, %d", i, ios[i].done,
		       ios[i].status);
	CHECK(disk_holds(0, at, 5));
	for (unsigned int i = 0; i < fbk.log_n; i++) {
		const struct fbk_seen *s = &fbk.log[i];

		CHECKF((s->op == BLKIF_OP_INDIRECT) == (s->nr_segs > 11), "request %u: op %u with "
		       "%u segments", i, s->op, s->nr_segs);
		CHECKF(s->nr_segs == DIV_ROUND_UP(s->nr_sectors, 8), "request %u: %u segments for "
		       "%lu sectors", i, s->nr_segs, s->nr_sectors);
	}
	CHECK(fbk.log_n == ARRAY_SIZE(sizes));
	at = 0;
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		io_prep(i, BLK_READ, at, sizes[i], 0);
		CHECK(submit(d, &ios[i].rq) == 0);
		at += sizes[i];
	}
	fbk_step();
	fbk_release();
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++)
		CHECKF(ios[i].done == 1 && !ios[i].status && io_holds(i, 5), "read %u", i);
	for (unsigned int q = 0; q < 4; q++)
		CHECKF(fbk.per_ring[q] > 0, "ring %u carried nothing", q);
	CHECK(fbk.indirect > 0);
	fgnt_stats(&gs);
	CHECKF(gs.ended == 0, "persistent grants ended during I/O: %u", gs.ended);
	CHECK(fbk.violations == 0 && stats(d).max_in_flight == ARRAY_SIZE(sizes));
	io_free_all();
	free(fbk.log);
}

/*
 * A backend that stays Connected and answers nothing: each request fails with -ETIMEDOUT
 * BLKFRONT_REQUEST_TIMEOUT_NS after its submission (not before, and once); its slot stays
 * reserved until the late answer, which completes nothing twice and copies no data into a
 * buffer the caller has back; the disk goes on. An answer whose event was lost is taken by
 * the watchdog's sweep: late, but not a timeout.
 */
static void silent_backend(void)
{
	const uint64_t to = BLKFRONT_REQUEST_TIMEOUT_NS;
	struct blkfront_stats st;
	struct blkdev *d;
	uint8_t *rbuf;
	uint64_t t0;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	fbk.hold = true;
	io_prep(0, BLK_WRITE, 0, 8, 1);
	io_prep(1, BLK_READ, 64, 16, 0);
	io_prep(2, BLK_WRITE, 256, 8, 2);
	io_prep(3, BLK_WRITE, 512, 8, 3);
	CHECK(submit(d, &ios[2].rq) == 0);	/* a baseline write, answered */
	fbk_step();
	fbk_release();
	CHECK(ios[2].done == 1 && ios[2].status == 0);
	t0 = fake_now_ns;
	CHECK(submit(d, &ios[0].rq) == 0);
	fake_now_ns += 1000000000;
	CHECK(submit(d, &ios[1].rq) == 0);
	fbk_step();				/* taken off the ring, not answered */
	CHECK(fbk_timers_pending() == 1);
	fake_now_ns = t0 + to - 1;
	fbk_run_timers();
	CHECKF(!ios[0].done && !ios[1].done, "completed before the timeout: %u %u", ios[0].done,
	       ios[1].done);
	fake_now_ns = t0 + to;
	CHECK(fbk_run_timers() == 1);
	CHECKF(ios[0].done == 1 && ios[0].status == -ETIMEDOUT, "write: %u, %d", ios[0].done,
	       ios[0].status);
	CHECK(!ios[1].done);
	CHECK(unit_logged("unanswered after 60 s: failed with -ETIMEDOUT"));
	CHECK(fbk_timers_pending() == 1);	/* moved to the read's deadline */
	fake_now_ns = t0 + 1000000000 + to;
	fbk_run_timers();
	CHECKF(ios[1].done == 1 && ios[1].status == -ETIMEDOUT, "read: %u, %d", ios[1].done,
	       ios[1].status);
	CHECK(fbk_timers_pending() == 0);
	st = stats(d);
	CHECKF(st.timeouts == 2 && st.late_responses == 0 && st.failed == 2, "%lu %lu %lu",
	       st.timeouts, st.late_responses, st.failed);
	/* The caller has its read buffer back: a late answer must not write into it. */
	rbuf = os_phys_to_virt(ios[1].frames[0]);
	memset(rbuf, 0xa5, 4096);
	fbk_release();
	CHECKF(ios[0].done == 1 && ios[1].done == 1, "late answers completed again: %u %u",
	       ios[0].done, ios[1].done);
	CHECK(rbuf[0] == 0xa5 && rbuf[4095] == 0xa5);
	st = stats(d);
	CHECKF(st.late_responses == 2 && st.not_in_flight == 0 && !st.broken && st.timeouts == 2,
	       "late %lu, not in flight %lu, broken %d", st.late_responses, st.not_in_flight,
	       st.broken);
	CHECK(unit_logged("came after its request timed out"));
	/* Lost event: the answer is on the ring, no upcall; the watchdog takes it at the
	 * deadline and it completes with its real status. */
	fbk.hold = false;
	fbk.lose_events = true;
	CHECK(submit(d, &ios[3].rq) == 0);
	fbk_step();
	CHECK(!ios[3].done && fbk.events_lost > 0);
	fake_now_ns += to;
	fbk_run_timers();
	CHECKF(ios[3].done == 1 && ios[3].status == 0, "%u, %d", ios[3].done, ios[3].status);
	CHECK(disk_holds(512, 8, 3));
	fbk.lose_events = false;
	/* The disk carries on; nothing is left in flight, no timer armed for it. */
	io_prep(2, BLK_READ, 256, 8, 0);
	CHECK(run(d, 2) == 0 && io_holds(2, 2));
	st = stats(d);
	CHECK(st.timeouts == 2 && fbk.violations == 0);
	io_free_all();
}

/* The disk @vdev brought up with boot command line @cmdline. */
static struct blkdev *bring_up_cmdline(unsigned int vdev, const char *cmdline)
{
	static struct boot_info bi;		/* large: off the stack */
	char name[BLK_NAME_MAX];

	snprintf(bi.cmdline, sizeof(bi.cmdline), "%s", cmdline);
	fbk_add(vdev);
	CHECK(blkfront_init(&bi) == 0);
	CHECKF(fbk_connect() == 0, "%s", fbk.violation);
	fxs_pump();
	CHECK(!blkfront_vdev_name(vdev, name, sizeof(name)));
	return blkdev_find(name);
}

/*
 * pvkit.blk_timeout_s=5: the disk's requests fail after 5 s, not the default; a later change
 * is for disks that connect later, not this one. Out of range: refused, nothing changed.
 */
static void timeout_option(void)
{
	const uint64_t to = 5ull * 1000000000;
	struct blkfront_stats st;
	struct blkdev *d;
	uint64_t t0;

	start();
	CHECK(blkfront_set_timeout(0) == -EINVAL);
	CHECK(blkfront_set_timeout(BLKFRONT_TIMEOUT_MAX_S + 1) == -EINVAL);
	d = bring_up_cmdline(VDEV_A, "console=x " BLKFRONT_CMDLINE_TIMEOUT "=5 quiet");
	if (!d)
		return;
	CHECK(unit_logged("requests time out after 5 s (" BLKFRONT_CMDLINE_TIMEOUT ")"));
	CHECK(blkfront_set_timeout(BLKFRONT_TIMEOUT_MAX_S) == 0);
	st = stats(d);
	CHECKF(st.timeout_ns == to, "%lu", st.timeout_ns);
	fbk.hold = true;
	io_prep(0, BLK_READ, 0, 8, 0);
	t0 = fake_now_ns;
	CHECK(submit(d, &ios[0].rq) == 0);
	fbk_step();
	fake_now_ns = t0 + to - 1;
	fbk_run_timers();
	CHECK(!ios[0].done);
	fake_now_ns = t0 + to;
	fbk_run_timers();
	CHECKF(ios[0].done == 1 && ios[0].status == -ETIMEDOUT, "%u, %d", ios[0].done,
	       ios[0].status);
	CHECK(unit_logged("unanswered after 5 s: failed with -ETIMEDOUT"));
	fbk_release();
	st = stats(d);
	CHECK(st.timeouts == 1 && st.late_responses == 1 && !st.broken);
	io_free_all();
}

/* A bad pvkit.blk_timeout_s (@value) is refused with a line saying what holds instead. */
static void timeout_refused(const char *value)
{
	char cmdline[64];
	struct blkdev *d;

	start();
	snprintf(cmdline, sizeof(cmdline), BLKFRONT_CMDLINE_TIMEOUT "=%s", value);
	d = bring_up_cmdline(VDEV_A, cmdline);
	CHECKF(unit_logged(BLKFRONT_CMDLINE_TIMEOUT " ignored: not a number in 1..3600; requests "
			   "time out after 60 s"), "%s", value);
	CHECKF(d && stats(d).timeout_ns == BLKFRONT_REQUEST_TIMEOUT_NS, "%s", value);
}

static void timeout_option_bad(void) { timeout_refused("5s"); }
static void timeout_option_zero(void) { timeout_refused("0"); }
static void timeout_option_big(void) { timeout_refused("3601"); }

/* The backend does not do persistent grants: each request's grants are ended after it
 * completed (before their pages carry another request), and no ended grant is ever used. */
static void per_request_grants(void)
{
	struct blkdev *d;
	struct blkfront_stats st;
	struct fbk_seen seen[8];

	start();
	fbk.offer.persistent = false;
	d = bring_up(VDEV_A);
	if (!d)
		return;
	CHECK(!d->features.persistent && fbk.fe_persistent && !fbk.persistent);
	for (unsigned int round = 0; round < 8; round++) {
		io_prep(0, round & 1 ? BLK_READ : BLK_WRITE, round * 64, 64, 9);
		CHECK(run(d, 0) == 0);
		seen[round] = fbk.last;
	}
	d->ops->poll(d);
	for (unsigned int r = 0; r < 8; r++)
		for (unsigned int k = 0; k < seen[r].nr_segs; k++)
			CHECKF(!fgnt_is_live(seen[r].refs[k], seen[r].gens[k]),
			       "request %u: grant %u still live after completion", r,
			       seen[r].refs[k]);
	st = stats(d);
	CHECKF(st.grant_ends >= 8 * 8 && st.grants == st.grant_ends && !st.granted_now,
	       "grants %lu ends %lu now %u", st.grants, st.grant_ends, st.granted_now);
	CHECK(fbk.violations == 0);		/* it never met an ended grant */
	io_free_all();
}

/* One 1 MiB request is one BLKIF_OP_INDIRECT of 256 segments; 12 pages go indirect, 11 not;
 * without the feature the limit is 11 segments. */
static void indirect_forms(void)
{
	struct blkdev *d;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	io_prep(0, BLK_WRITE, 2048, 2048, 4);
	CHECK(run(d, 0) == 0);
	CHECK(fbk.requests == 1 && fbk.last.op == BLKIF_OP_INDIRECT &&
	      fbk.last.data_op == BLKIF_OP_WRITE && fbk.last.nr_segs == 256);
	CHECK(disk_holds(2048, 2048, 4));
	io_prep(1, BLK_READ, 2048 + 8, 96, 0);
	CHECK(run(d, 1) == 0 && fbk.last.op == BLKIF_OP_INDIRECT && fbk.last.nr_segs == 12);
	CHECK(io_holds(1, 4));
	io_prep(2, BLK_READ, 2048, 88, 0);
	CHECK(run(d, 2) == 0 && fbk.last.op == BLKIF_OP_READ && fbk.last.nr_segs == 11);
	CHECK(stats(d).indirect == 2 && stats(d).direct == 1 && fbk.violations == 0);
	io_free_all();
}

/* Segments that start inside a page and are shorter than one are packed densely. */
static void odd_segments(void)
{
	struct blkdev *d;
	struct blk_request *rq;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	rq = io_prep(0, BLK_WRITE, 40, 24, 6);		/* 3 pages of data ... */
	rq->segs[0].offset = 3 * 512;			/* ... as 5 + 8 + 8 + 3 sectors */
	rq->segs[0].len = 5 * 512;
	rq->segs[2].len = 8 * 512;
	CHECK(os_page_alloc(&ios[0].frames[3]) == 0);
	rq->segs[3] = (struct blk_seg){ ios[0].frames[3], 0, 3 * 512 };
	rq->nr_segs = 4;
	memset(os_phys_to_virt(rq->segs[0].pa), 0x11, 4096);
	memset(os_phys_to_virt(rq->segs[3].pa), 0x33, 4096);
	CHECK(run(d, 0) == 0);
	CHECK(fbk.last.nr_segs == 3 && fbk.last.nr_sectors == 24);
	CHECK(fbk.disk[40 * 512] == 0x11 && fbk.disk[(40 + 21) * 512] == 0x33 &&
	      fbk.disk[(40 + 24) * 512 - 1] == 0x33);
	CHECK(fbk.violations == 0);
	io_free_all();
}

static void flush_barrier_discard(void)
{
	struct blkdev *d;
	struct blkfront_stats st;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	io_prep(0, BLK_FLUSH, 0, 0, 0);
	CHECK(run(d, 0) == 0 && fbk.last.op == BLKIF_OP_FLUSH_DISKCACHE && !fbk.last.nr_segs);
	io_prep(1, BLK_WRITE_BARRIER, 300, 16, 7);
	CHECK(run(d, 1) == 0 && fbk.last.op == BLKIF_OP_WRITE_BARRIER && fbk.last.nr_segs == 2);
	CHECK(disk_holds(300, 16, 7));
	io_prep(2, BLK_WRITE_BARRIER, 0, 96, 7);	/* 12 pages: blkif has no indirect barrier */
	CHECK(submit(d, &ios[2].rq) == -EINVAL);
	io_prep(3, BLK_DISCARD, 304, 8, 0);		/* one 4 KiB discard extent */
	CHECK(run(d, 3) == 0 && fbk.last.op == BLKIF_OP_DISCARD && fbk.last.sector == 304 &&
	      fbk.last.nr_sectors == 8 && fbk.last.discard_flag == 0);
	CHECK(fbk.disk[304 * 512] == 0 && disk_holds(300, 4, 7) && disk_holds(312, 4, 7));
	io_prep(4, BLK_DISCARD_SECURE, 312, 8, 0);
	CHECK(run(d, 4) == 0 && fbk.last.discard_flag == BLKIF_DISCARD_SECURE);
	/* A flush the backend says it cannot do after all: -EOPNOTSUPP, and it stops asking
	 * (the barrier, still offered, carries the next flush). */
	fbk.fault = FBK_EOPNOTSUPP;
	io_prep(5, BLK_FLUSH, 0, 0, 0);
	CHECK(run(d, 5) == -EOPNOTSUPP && !d->features.flush);
	io_prep(6, BLK_FLUSH, 0, 0, 0);
	CHECK(run(d, 6) == 0 && fbk.last.op == BLKIF_OP_WRITE_BARRIER && !fbk.last.nr_segs);
	st = stats(d);
	CHECK(st.flushes == 3 && st.barriers == 1 && st.discards == 2 && !st.broken);
	CHECK(fbk.violations == 0);
	io_free_all();
}

/* A read-only disk: the driver refuses writes (-EROFS) without the ring; past that check
 * the backend refuses (-EIO); reads work. */
static void read_only(void)
{
	struct blkdev *d;
	unsigned int before;

	start();
	fbk.offer.readonly = true;
	fbk.offer.discard = false;
	d = bring_up(VDEV_A);
	if (!d)
		return;
	CHECK(d->readonly);
	before = fbk.requests;
	io_prep(0, BLK_WRITE, 0, 8, 1);
	CHECK(submit(d, &ios[0].rq) == -EROFS && fbk.requests == before);
	CHECK(blkfront_submit_unchecked(d, &ios[0].rq) == 0);
	fbk_step();
	CHECK(ios[0].done == 1 && ios[0].status == -EIO && fbk.requests == before + 1);
	io_prep(1, BLK_READ, 0, 8, 0);
	CHECK(run(d, 1) == 0 && !stats(d).broken);
	io_free_all();
}

/* Past the block layer (blkfront_submit_unchecked) the driver checks segments itself, and
 * without 32-bit wrap: offset 0xfffff000 + len 4096 is 0 in 32 bits (issue 12 review). */
static void segment_wrap(void)
{
	struct blkdev *d;
	unsigned int before;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	before = fbk.requests;
	io_prep(0, BLK_READ, 0, 8, 0);
	ios[0].rq.segs[0].offset = 0xfffff000u;
	CHECK(blkfront_submit_unchecked(d, &ios[0].rq) == -EINVAL);
	io_prep(1, BLK_WRITE, 0, 8, 1);
	ios[1].rq.segs[0].offset = 0xfffffe00u;
	ios[1].rq.segs[0].len = 0x400;
	ios[1].rq.nr_sectors = 2;
	CHECK(blkfront_submit_unchecked(d, &ios[1].rq) == -EINVAL);
	CHECK(fbk.requests == before && ios[0].done == 0 && ios[1].done == 0);
	io_prep(2, BLK_READ, 0, 8, 0);
	CHECK(run(d, 2) == 0 && !stats(d).broken);
	io_free_all();
}

/* ---- hostile responses ---------------------------------------------------------------------- */

/* Eight requests in flight, two on each ring (so that a duplicate is not simply one
 * response too many for its ring); the first response is @fault. The disk must be abandoned with a
 * log line: every request completes exactly once (-EIO unless answered legitimately first),
 * new ones fail, and once the idle loop ran: unregistered, Closed, nothing leaked. */
static struct blkfront_stats hostile(enum fbk_fault fault, const char *log, int first_status)
{
	struct blkfront_stats st = { 0 };
	struct fgnt_stats gs;
	struct blkdev *d;
	unsigned int pages_before;

	start();
	pages_before = fake_pages_in_use;
	d = bring_up(VDEV_A);
	if (!d)
		return st;
	fbk.hold = true;
	/* All responses at once, one event: what follows the bad one is on the ring too, and
	 * must not be read. Not for index faults (they need their own index) nor a duplicate
	 * (in a full batch it is one response too many for its ring: an index fault). */
	fbk.batch = fault == FBK_BAD_ID || fault == FBK_STALE_ID || fault == FBK_WRONG_OP;
	for (unsigned int i = 0; i < 8; i++) {
		io_prep(i, i & 1 ? BLK_READ : BLK_WRITE, i * 128, 96, 3);
		CHECK(submit(d, &ios[i].rq) == 0);
	}
	fbk_step();
	fbk.fault = fault;
	fbk_release();
	CHECKF(unit_logged(log), "no log line \"%s\"", log);
	CHECKF(ios[0].done == 1 && ios[0].status == first_status, "first: %u, %d", ios[0].done,
	       ios[0].status);
	for (unsigned int i = 1; i < 8; i++)
		CHECKF(ios[i].done == 1 && ios[i].status == -EIO, "request %u: %u, %d", i,
		       ios[i].done, ios[i].status);
	st = stats(d);
	CHECKF(st.broken && st.failed_in_flight == (first_status ? 8u : 7u), "%lu failed in "
	       "flight", st.failed_in_flight);
	CHECKF(st.bad_id + st.not_in_flight + st.bad_op + st.ring_errors == 1, "%lu/%lu/%lu/%lu "
	       "rejected: nothing may be read after the first", st.bad_id, st.not_in_flight,
	       st.bad_op, st.ring_errors);
	io_prep(9, BLK_READ, 0, 8, 0);
	CHECK(submit(d, &ios[9].rq) == -EIO);		/* dead before it is unregistered */
	CHECK(ios[9].done == 0);
	idle();						/* the teardown, in task context */
	CHECK(d->gone && !blkdev_find("xvda"));
	CHECK(submit(d, &ios[9].rq) == -ENODEV);
	CHECK(fe_key("state") && !strcmp(fe_key("state"), "6"));
	CHECK(fbk_ports_open() == 0);
	fbk_disconnect();				/* blkback lets go of the mappings */
	idle();
	io_free_all();
	fgnt_stats(&gs);
	CHECKF(gs.live == 0 && gs.deferred == 0 && gs.bad_ends == 0, "live %u deferred %u "
	       "bad ends %u", gs.live, gs.deferred, gs.bad_ends);
	CHECKF(fake_pages_in_use == pages_before, "%u pages, %u before", fake_pages_in_use,
	       pages_before);
	CHECK(fake_bad_frees == 0);
	return st;
}

static void bad_id(void) { CHECK(hostile(FBK_BAD_ID, "names no request slot", -EIO).bad_id); }
static void dup_id(void) { CHECK(hostile(FBK_DUP_ID, "is not in flight", 0).not_in_flight); }
static void stale_id(void) { CHECK(hostile(FBK_STALE_ID, "is not in flight", -EIO).not_in_flight); }
static void wrong_op(void) { CHECK(hostile(FBK_WRONG_OP, "has operation", -EIO).bad_op); }

static void prod_jump(void)
{
	CHECK(hostile(FBK_PROD_JUMP, "jumped past what we produced", -EIO).ring_errors);
}

static void prod_back(void)
{
	CHECK(hostile(FBK_PROD_BACK, "jumped past what we produced", -EIO).ring_errors);
}

/* Less than a ring ahead, but more than that ring has requests out: still an index error
 * (a check against the ring size alone would read garbage as responses). */
static void prod_ahead(void)
{
	CHECK(hostile(FBK_PROD_AHEAD, "jumped past what we produced", -EIO).ring_errors);
}

/* One request in flight, answered with an impossible id: it fails, counted as a bad id. */
static void bad_id_alone(void)
{
	struct blkdev *d;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	fbk.hold = true;
	io_prep(0, BLK_READ, 0, 8, 0);
	CHECK(submit(d, &ios[0].rq) == 0);
	fbk_step();
	fbk.fault = FBK_BAD_ID;
	fbk_release();
	CHECK(stats(d).bad_id == 1 && stats(d).not_in_flight == 0 && ios[0].status == -EIO);
	io_free_all();
}

/* An unknown status fails that request only; BLKIF_RSP_ERROR is an ordinary failure. */
static void bad_status(void)
{
	struct blkdev *d;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	fbk.fault = FBK_BAD_STATUS;
	io_prep(0, BLK_READ, 0, 8, 0);
	CHECK(run(d, 0) == -EIO && unit_logged("unknown status 7"));
	fbk.fault = FBK_ERROR;
	io_prep(1, BLK_READ, 0, 8, 0);
	CHECK(run(d, 1) == -EIO);
	io_prep(2, BLK_WRITE, 8, 8, 2);
	CHECK(run(d, 2) == 0 && disk_holds(8, 8, 2));
	CHECK(stats(d).bad_status == 1 && !stats(d).broken && stats(d).failed == 2);
	io_free_all();
}

/* Events without responses, many: each is cheap, nothing completes, nothing breaks. */
static void event_storm(void)
{
	struct blkdev *d;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	for (unsigned int i = 0; i < 100000; i++)
		fbk_raise_ring(i % 4);
	CHECK(stats(d).events[0] >= 25000 && !stats(d).broken);
	io_prep(0, BLK_READ, 0, 8, 0);
	CHECK(run(d, 0) == 0);
	io_free_all();
}

/* A full ring says -EBUSY, and takes requests again after a completion. */
static void ring_full(void)
{
	struct blkdev *d;
	unsigned int n = 0;
	int err = 0;

	start();
	fbk.offer.max_ring_page_order = 0;
	fbk.offer.max_queues = 1;
	d = bring_up(VDEV_A);
	if (!d)
		return;
	fbk.hold = true;
	while (n < MAX_IO && !(err = submit(d, io_prep(n, BLK_READ, n * 8, 8, 0))))
		n++;
	CHECKF(err == -EBUSY && n == 32, "%u accepted, then %d", n, err);	/* one page: 32 */
	fbk_step();
	fbk.hold = false;
	fbk_release();
	CHECK(submit(d, io_prep(n, BLK_READ, 0, 8, 0)) == 0);
	fbk_step();
	for (unsigned int i = 0; i <= n && i < MAX_IO; i++)
		CHECK(ios[i].done == 1 && ios[i].status == 0);
	io_free_all();
}

/*
 * Large reads are cut (BLKFRONT_SPLIT_KIB): a 1 MiB read goes out as 8 indirect requests of
 * 32 pages at consecutive sectors over every ring, completes once after its last part with
 * the data in place whatever the answer order. One failed part fails the whole request with
 * that error, once. Writes (copied in before anything is published), flushes, discards and
 * reads of 128 KiB or less go whole.
 */
static void split(void)
{
	struct blkfront_stats st;
	struct blkdev *d;
	unsigned int before;

	start();
	blkfront_set_split(BLKFRONT_SPLIT_KIB);
	fbk.log = calloc(256, sizeof(*fbk.log));
	fbk.log_max = 256;
	d = bring_up(VDEV_A);
	if (!d)
		return;
	CHECK(stats(d).split_pages == 32);
	io_prep(0, BLK_WRITE, 64, 2048, 7);		/* 1 MiB write: one request */
	CHECK(run(d, 0) == 0 && disk_holds(64, 2048, 7));
	CHECKF(fbk.log_n == 1 && fbk.log[0].nr_segs == 256, "write: %u ring requests",
	       fbk.log_n);
	fbk.hold = true;
	io_prep(1, BLK_READ, 64, 2048, 0);
	CHECK(submit(d, &ios[1].rq) == 0);
	fbk_step();
	CHECKF(fbk.log_n == 9, "read: %u ring requests", fbk.log_n - 1);
	/* Taken ring by ring; part k on ring (k + the ring after the write's) % 4. */
	for (unsigned int i = 1, seen = 0; i < fbk.log_n; i++) {
		const struct fbk_seen *s = &fbk.log[i];
		unsigned int part = (unsigned int)(s->sector - 64) / 256;

		CHECKF(s->op == BLKIF_OP_INDIRECT && s->data_op == BLKIF_OP_READ &&
		       s->nr_segs == 32 && s->nr_sectors == 256 && (s->sector - 64) % 256 == 0 &&
		       part < 8 && !(seen & 1u << part) &&
		       s->ring == (part + fbk.log[0].ring + 1) % 4, "request %u: op %u, %u segs, "
		       "%lu sectors at %lu, ring %u", i, s->op, s->nr_segs, s->nr_sectors,
		       s->sector, s->ring);
		seen |= 1u << (part & 31);
	}
	fbk.reverse = true;
	fbk_release();
	CHECKF(ios[1].done == 1 && ios[1].status == 0 && io_holds(1, 7), "%u, %d",
	       ios[1].done, ios[1].status);
	/* An odd size: 1000 sectors = 3 parts of 256 and one of 232 (29 pages). */
	io_prep(2, BLK_READ, 64, 1000, 0);
	before = fbk.log_n;
	CHECK(submit(d, &ios[2].rq) == 0);
	fbk_step();
	CHECKF(fbk.log_n - before == 4, "%u parts", fbk.log_n - before);
	for (unsigned int i = before; i < fbk.log_n; i++)
		CHECKF(fbk.log[i].nr_sectors == (fbk.log[i].sector == 64 + 768 ? 232u : 256u),
		       "part at %lu: %lu sectors", fbk.log[i].sector, fbk.log[i].nr_sectors);
	fbk.reverse = false;
	fbk_release();
	CHECK(ios[2].done == 1 && ios[2].status == 0 && io_holds(2, 7));
	/* The first answer is an error: the request fails with -EIO after its last part. */
	io_prep(3, BLK_READ, 64, 2048, 0);
	CHECK(submit(d, &ios[3].rq) == 0);
	fbk_step();
	fbk.fault = FBK_ERROR;
	fbk_release();
	CHECKF(ios[3].done == 1 && ios[3].status == -EIO, "%u, %d", ios[3].done, ios[3].status);
	/* Not cut: a 128 KiB read, a flush, a discard. */
	before = fbk.log_n;
	io_prep(4, BLK_READ, 4096, 256, 0);
	io_prep(5, BLK_FLUSH, 0, 0, 0);
	io_prep(6, BLK_DISCARD, 8192, 4096, 0);
	CHECK(submit(d, &ios[4].rq) == 0 && submit(d, &ios[5].rq) == 0 &&
	      submit(d, &ios[6].rq) == 0);
	fbk_step();
	fbk_release();
	CHECKF(fbk.log_n - before == 3, "%u ring requests for 3", fbk.log_n - before);
	for (unsigned int i = 4; i <= 6; i++)
		CHECKF(ios[i].done == 1 && !ios[i].status, "%u: %u, %d", i, ios[i].done,
		       ios[i].status);
	st = stats(d);
	CHECKF(st.split == 3 && st.failed == 1, "split %lu, failed %lu", st.split, st.failed);
	CHECK(fbk.violations == 0);
	io_free_all();
	free(fbk.log);
}

/* All or nothing: on one 1-page ring (32 slots) with 28 taken, an 8-part read is refused
 * with -EBUSY and puts nothing on the ring; with room again it goes out, all 8 parts. */
static void split_all_or_nothing(void)
{
	struct blkdev *d;
	unsigned int taken;

	start();
	blkfront_set_split(BLKFRONT_SPLIT_KIB);
	fbk.offer.max_ring_page_order = 0;
	fbk.offer.max_queues = 1;
	d = bring_up(VDEV_A);
	if (!d)
		return;
	submit_held(d, 28, BLK_READ, 8);
	taken = fbk.requests;
	CHECK(submit(d, io_prep(30, BLK_READ, 0, 2048, 0)) == -EBUSY);
	fbk_step();
	CHECKF(fbk.requests == taken, "%u ring requests of a refused request went out",
	       fbk.requests - taken);
	fbk.hold = false;
	fbk_release();
	taken = fbk.requests;
	CHECK(submit(d, &ios[30].rq) == 0);
	fbk_step();
	CHECKF(ios[30].done == 1 && ios[30].status == 0 && fbk.requests - taken == 8,
	       "%u, %d, %u ring requests", ios[30].done, ios[30].status, fbk.requests - taken);
	io_free_all();
}

/* A split size so small that a 1 MiB read would need more parts than the rings have slots
 * (4 KiB parts, one 1-page ring of 32): the parts grow until they fit, and the read goes. */
static void split_tiny(void)
{
	struct blkdev *d;

	start();
	blkfront_set_split(4);
	fbk.offer.max_ring_page_order = 0;
	fbk.offer.max_queues = 1;
	d = bring_up(VDEV_A);
	if (!d)
		return;
	CHECKF(stats(d).split_pages == 8, "%u pages a part", stats(d).split_pages);
	io_prep(0, BLK_WRITE, 0, 2048, 6);
	CHECK(run(d, 0) == 0);
	io_prep(1, BLK_READ, 0, 2048, 0);
	CHECK(run(d, 1) == 0 && io_holds(1, 6));
	CHECK(stats(d).split == 1 && fbk.requests == 1 + 32);
	io_free_all();
}

/* ---- the life cycle ---------------------------------------------------------------------- */

/* The backend closes with requests in flight: they fail with -EIO, new ones too, the disk
 * goes (unregistered, Closed, ports closed, grants ended once blkback let go), and the same
 * virtual device attached again becomes a disk again. */
static void backend_closes(void)
{
	struct gnttab_retire_stats rs;
	struct fgnt_stats gs;
	struct blkdev *d, *again;
	unsigned int pages_before;

	start();
	pages_before = fake_pages_in_use;
	d = bring_up(VDEV_A);
	if (!d)
		return;
	submit_held(d, 6, BLK_WRITE, 16);
	fbk_set_state(XenbusStateClosing);
	fxs_pump();
	for (unsigned int i = 0; i < 6; i++)
		CHECKF(ios[i].done == 1 && ios[i].status == -EIO, "request %u: %u, %d", i,
		       ios[i].done, ios[i].status);
	CHECK(unit_logged("backend closing: 6 in-flight requests failed with -EIO"));
	CHECK(d->gone && unregistered == 1 && submit(d, io_prep(7, BLK_READ, 0, 8, 0)) == -ENODEV);
	CHECK(d->ops->submit(d, &ios[7].rq) == -EIO);
	CHECK(!strcmp(fe_key("state"), "6") && fbk_ports_open() == 0);
	/* blkback still maps the rings and the persistent grants: those pages are retired,
	 * their references still granted (ours, ended once it unmaps), nothing else. */
	fgnt_stats(&gs);
	gnttab_retire_get_stats(&rs);
	CHECKF(gs.live > 0 && gs.live == rs.held && gs.deferred == 0 && gs.live ==
	       fgnt_backend_maps(), "live %u held %u deferred %u", gs.live, rs.held,
	       gs.deferred);
	fbk_disconnect();
	idle();
	io_free_all();
	fgnt_stats(&gs);
	gnttab_retire_get_stats(&rs);
	CHECK(gs.live == 0 && gs.deferred == 0 && gs.bad_ends == 0 && rs.held == 0);
	CHECKF(fake_pages_in_use == pages_before, "%u pages, %u before", fake_pages_in_use,
	       pages_before);
	fbk_set_state(XenbusStateClosed);
	fbk_remove();					/* xl block-detach finishes */
	fxs_pump();
	fbk.hold = false;
	fbk_add(VDEV_A);				/* xl block-attach, the same vdev */
	fxs_pump();
	CHECK(fe_key("state") && !strcmp(fe_key("state"), "3"));
	CHECK(fbk_connect() == 0);
	fxs_pump();
	again = blkdev_find("xvda");
	CHECK(again && !again->gone);
	if (again)
		CHECK(run(again, 0 * !!io_prep(0, BLK_WRITE, 0, 8, 1)) == 0 && disk_holds(0, 8, 1));
	CHECK(fbk.violations == 0);
	io_free_all();
}

/* Detach and attach the same disk until its first slot is used again: the new disk starts
 * with its own counters, not the ones of the disk that had the slot before (a bad status and
 * a failed request there). Found by tests/fuzz/fuzz_blkfront.c. */
static void slot_reuse(void)
{
	struct blkfront_stats st;
	struct blkdev *d;

	start();
	d = bring_up(VDEV_A);
	if (!d)
		return;
	fbk.fault = FBK_BAD_STATUS;
	io_prep(0, BLK_READ, 0, 8, 0);
	CHECK(run(d, 0) == -EIO);
	st = stats(d);
	CHECK(st.failed == 1 && st.bad_status == 1 && st.grants > 0);
	for (unsigned int k = 0; k < BLKFRONT_MAX_DEVS; k++) {
		fbk_set_state(XenbusStateClosing);
		fxs_pump();
		fbk_disconnect();
		idle();
		fbk_set_state(XenbusStateClosed);
		fbk_remove();
		fxs_pump();
		fbk_add(VDEV_A);
		fxs_pump();
		CHECK(fbk_connect() == 0);
		fxs_pump();
		d = blkdev_find("xvda");
		CHECK(d != NULL);
		if (!d)
			return;
	}
	st = stats(d);					/* the first disk's slot again */
	CHECKF(!st.failed && !st.bad_status && !st.direct && !st.max_in_flight &&
	       st.grants == st.pool_pages && !st.grant_ends, "failed %lu bad_status %lu direct "
	       "%lu grants %lu/%lu of %u pages", st.failed, st.bad_status, st.direct, st.grants,
	       st.grant_ends, st.pool_pages);
	io_prep(1, BLK_WRITE, 8, 8, 3);
	CHECK(run(d, 1) == 0 && disk_holds(8, 8, 3));
	io_free_all();
}

/* A disk attached after boot is found through the device/vbd watch. */
static void hotplug(void)
{
	struct blkfront_global_stats g;

	start();
	CHECK(blkfront_init(NULL) == 0);
	CHECK(!blkdev_find("xvdb"));
	fbk_add(VDEV_B);
	fxs_pump();
	CHECK(fe_key("state") && !strcmp(fe_key("state"), "3"));
	CHECK(fbk_connect() == 0);
	fxs_pump();
	CHECK(blkdev_find("xvdb") != NULL);
	blkfront_get_global_stats(&g);
	CHECK(g.probed == 1 && g.connected == 1 && g.watch_events > 0);
}

/*
 * device/vbd edges the xenbus frontend watch owns: an entry not in Initialising (one given up
 * on, or being torn down: Closed here) is left alone, scan or event; and a disk whose own
 * directory the toolstack removes while its backend stays is closed and its slot freed.
 */
static void vbd_edges(void)
{
	struct blkfront_global_stats g;
	struct blkdev *d;

	start();
	/* Complete but Closed, its backend still waiting: taking it on would be wrong. */
	fxs_set("/local/domain/0/backend/vbd/3/51728/state", "2");
	fxs_set("/local/domain/3/device/vbd/51728/backend", "/local/domain/0/backend/vbd/3/51728");
	fxs_set("/local/domain/3/device/vbd/51728/backend-id", "0");
	fxs_set("/local/domain/3/device/vbd/51728/virtual-device", "51728");
	fxs_set("/local/domain/3/device/vbd/51728/state", "6");
	d = bring_up(VDEV_A);
	CHECK(d != NULL);
	fxs_set("/local/domain/3/device/vbd/51728/state", "6");	/* an event on it */
	fxs_pump();
	blkfront_get_global_stats(&g);
	CHECKF(g.probed == 1 && !blkdev_find("xvdb"), "probed %u", g.probed);
	CHECK(!strcmp(fxs_get("/local/domain/3/device/vbd/51728/state"), "6"));
	fxs_rm(fbk.fe);				/* our directory only: blkback stays */
	fxs_pump();
	CHECK(unit_logged("device removed"));
	CHECK(!blkdev_find("xvda") && unregistered == 1);
	blkfront_get_global_stats(&g);
	CHECKF(g.removed == 1, "removed %u", g.removed);
}

/* Nonsense from the toolstack or the backend: refused with a line, the device Closed. */
static void refused_child(unsigned int vdev, unsigned int ss, const char *log)
{
	start();
	fbk.offer.sector_size = ss;
	fbk_add(vdev);
	CHECK(blkfront_init(NULL) == 0);
	if (fe_key("state") && !strcmp(fe_key("state"), "3")) {
		fbk_connect();
		fxs_pump();
	}
	CHECKF(unit_logged(log), "no log line \"%s\"", log);
	CHECK(nr_disks == 0 && fe_key("state") && !strcmp(fe_key("state"), "6"));
}

static void refuse_vdev(void) { refused_child(16 << 8, 512, "no disk we can name"); }
static void refuse_ss(void) { refused_child(VDEV_A, 1000, "sector-size 1000 unusable"); }

static void refusals(void)
{
	in_child(refuse_vdev);
	in_child(refuse_ss);
}

static void big_sectors(void)
{
	struct blkdev *d;

	start();
	fbk.offer.sector_size = 4096;
	fbk.offer.sectors = 16387;			/* not a whole number of 4 KiB sectors */
	d = bring_up(VDEV_A);
	if (!d)
		return;
	CHECK(d->sector_size == 4096 && d->sectors == 16384 && d->physical_sector_size == 4096);
}

static void vdev_names(void)
{
	static const struct { uint32_t vdev; const char *name; } ok[] = {
		{ 202 << 8, "xvda" }, { (202 << 8) | 16, "xvdb" }, { (202 << 8) | 1, "xvda1" },
		{ (202 << 8) | 0xff, "xvdp15" }, { 3 << 8, "xvda" }, { (3 << 8) | 65, "xvdb1" },
		{ 22 << 8, "xvdc" }, { (22 << 8) | 64, "xvdd" }, { 8 << 8, "xvda" },
		{ (8 << 8) | 0x12, "xvdb2" }, { (1 << 28) | (26 << 8), "xvdaa" },
		{ (1 << 28) | (536 << 8) | 37, "xvdtq37" }, { (1 << 28) | (701 << 8), "xvdzz" },
		{ (1 << 28) | (702 << 8), "xvdaaa" }, { (1 << 28) | 0xfffff00, "xvdbgqcv" },
	};
	static const uint32_t bad[] = { 0, 16 << 8, 65 << 8, 1u << 16, (1u << 28) - 1,
					2u << 28, 0xffffffffu, (1u << 28) | (1u << 29) };
	char name[BLK_NAME_MAX];

	for (unsigned int i = 0; i < ARRAY_SIZE(ok); i++) {
		int err = blkfront_vdev_name(ok[i].vdev, name, sizeof(name));

		CHECKF(!err && !strcmp(name, ok[i].name), "%#x: %d \"%s\", want %s", ok[i].vdev,
		       err, err ? "" : name, ok[i].name);
	}
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++)
		CHECKF(blkfront_vdev_name(bad[i], name, sizeof(name)) == -EINVAL, "%#x accepted",
		       bad[i]);
	CHECK(blkfront_vdev_name(202 << 8, name, 4) == -ENAMETOOLONG);
}

#define CHILD(fn) static void fn##_case(void) { in_child(fn); }
CHILD(everything_offered)
CHILD(nothing_offered)
CHILD(mixed_io)
CHILD(per_request_grants)
CHILD(indirect_forms)
CHILD(odd_segments)
CHILD(flush_barrier_discard)
CHILD(read_only)
CHILD(segment_wrap)
CHILD(bad_id)
CHILD(bad_id_alone)
CHILD(prod_ahead)
CHILD(dup_id)
CHILD(stale_id)
CHILD(wrong_op)
CHILD(prod_jump)
CHILD(prod_back)
CHILD(bad_status)
CHILD(event_storm)
CHILD(ring_full)
CHILD(backend_closes)
CHILD(hotplug)
CHILD(slot_reuse)
CHILD(big_sectors)
CHILD(silent_backend)
CHILD(timeout_option)
CHILD(timeout_option_bad)
CHILD(timeout_option_zero)
CHILD(timeout_option_big)
CHILD(split)
CHILD(split_all_or_nothing)
CHILD(split_tiny)
CHILD(vbd_edges)

UNIT_CASES(
	{ everything_offered_case, "blkfront: every feature offered is negotiated and published" },
	{ nothing_offered_case, "blkfront: nothing offered: flat 1-page ring, direct, same data" },
	{ odd_offers, "blkfront: odd offers clamped; legacy max-ring-pages understood" },
	{ mixed_io_case, "blkfront: mixed I/O over 4 rings, out of order, indirect, persistent" },
	{ per_request_grants_case, "blkfront: not persistent: grants ended after completion" },
	{ indirect_forms_case, "blkfront: 256-segment indirect request; 11 direct, 12 indirect" },
	{ odd_segments_case, "blkfront: partial-page segments packed densely" },
	{ flush_barrier_discard_case, "blkfront: flush, barrier, discard; EOPNOTSUPP falls back" },
	{ read_only_case, "blkfront: read-only: -EROFS here, -EIO from the backend past it" },
	{ segment_wrap_case, "blkfront: a segment whose offset + len wraps 32 bits is refused" },
	{ bad_id_case, "blkfront: response id out of range: rejected, disk abandoned, no leak" },
	{ bad_id_alone_case, "blkfront: a bad id with one request in flight fails it" },
	{ dup_id_case, "blkfront: duplicate response: rejected, disk abandoned" },
	{ stale_id_case, "blkfront: stale id (old generation): rejected, disk abandoned" },
	{ wrong_op_case, "blkfront: wrong operation: rejected, disk abandoned" },
	{ prod_jump_case, "blkfront: rsp_prod jumps a ring ahead: nothing read, disk abandoned" },
	{ prod_back_case, "blkfront: rsp_prod goes back: nothing read, disk abandoned" },
	{ prod_ahead_case, "blkfront: rsp_prod past the requests out: nothing read, abandoned" },
	{ bad_status_case, "blkfront: unknown status fails that request only" },
	{ split_case, "blkfront: large reads cut in parts over the rings, done once" },
	{ split_all_or_nothing_case, "blkfront: a read whose parts do not all fit: -EBUSY" },
	{ split_tiny_case, "blkfront: parts too small for the rings grow until they fit" },
	{ silent_backend_case, "blkfront: silent backend: -ETIMEDOUT once, late answer dropped" },
	{ timeout_option_case, "blkfront: pvkit.blk_timeout_s=5: requests fail after 5 s" },
	{ timeout_option_bad_case, "blkfront: pvkit.blk_timeout_s=5s: not a number, refused, 60 s" },
	{ timeout_option_zero_case, "blkfront: pvkit.blk_timeout_s=0: out of range, refused, 60 s" },
	{ timeout_option_big_case, "blkfront: pvkit.blk_timeout_s=3601: out of range, refused" },
	{ event_storm_case, "blkfront: 100000 events without responses: bounded, harmless" },
	{ ring_full_case, "blkfront: full ring: -EBUSY, then accepts after a completion" },
	{ backend_closes_case, "blkfront: backend closing: in-flight -EIO, clean teardown, re-attach" },
	{ hotplug_case, "blkfront: a disk attached later is found through the watch" },
	{ slot_reuse_case, "blkfront: a disk in a reused slot starts with its own counters" },
	{ vbd_edges_case, "blkfront: a vbd not Initialising is left alone; ours removed: closed" },
	{ refusals, "blkfront: bad virtual-device or sector size: refused, Closed" },
	{ big_sectors_case, "blkfront: 4 KiB logical sectors; capacity in 512-byte units" },
	{ vdev_names, "blkfront: virtual-device numbers to names (xen-vbd-interface)" },
);
