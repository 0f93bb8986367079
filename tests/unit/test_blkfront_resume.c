// SPDX-License-Identifier: MIT
/*
 * blkfront across a resume in a new domain (issue 13; docs/suspend.md "Devices"), the whole
 * driver against the fake xenstored and fake blkback as in test_blkfront.c: a new xenstored
 * connection, the old backend gone with the requests it held unanswered, a new one in InitWait
 * that may offer less. Every request that was in flight goes again exactly once (never
 * completed twice, never lost), in parts when the new backend takes smaller ones; requests
 * made while reconnecting wait and go too; the disk stays the same blkdev; a disk missing from
 * the new domain fails its requests with -EIO and goes. Each case runs in a child process:
 * the driver's disk slots are global.
 */
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
#define NR_IO		8		/* requests in flight at the suspend */
#define IO_SECTORS	128		/* 64 KiB each: 16 pages, indirect on the first backend */

/* ---- the kernel around blkfront: block layer registry, idle poller --------------------- */

static struct blkdev *disks[8];
static unsigned int nr_disks, registered, unregistered;
static struct os_poller *poller;

int blkdev_register(struct blkdev *dev)
{
	dev->gone = false;
	disks[nr_disks++] = dev;
	registered++;
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

void os_poller_register(struct os_poller *p)
{
	poller = p;
}

static unsigned int idle(void)
{
	return poller ? poller->poll() : 0;
}

/* A fresh guest and backend; reads above @split_kib go in parts (0: whole). */
static struct blkdev *up_split(unsigned int split_kib)
{
	xs_reset();
	fxs_init(FBK_DOMID, "guest", 0);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
	fbk_reset();
	blkfront_set_split(split_kib);
	fbk_add(VDEV_A);
	CHECK(blkfront_init(NULL) == 0);
	CHECKF(fbk_connect() == 0, "%s", fbk.violation);
	fxs_pump();
	return blkdev_find("xvda");
}

static struct blkdev *up(void)
{
	return up_split(0);
}

/* What suspend.c does below the driver in a new domain: a new xenstored connection (ring
 * and port, watches again), then the frontends; the fake's old backend is gone and, @with_vbd,
 * a new one waits in InitWait with fbk.offer (else the new domain has no such disk). */
static void new_domain_with(bool with_vbd)
{
	fxs_init(FBK_DOMID, "guest", 0);
	if (with_vbd)
		fbk_new_domain();
	else
		fbk_disconnect();
	evtchn_clear_handler(FXS_PORT);		/* evtchn_resume emptied the port table */
	CHECK(xs_resume_ring(fxs.ring, FXS_PORT) == 0);
	CHECK(xs_resume_watches() == 0);
	xenbus_frontends_resume();
}

static void new_domain(void)
{
	new_domain_with(true);
}

/* The new backend connects; then @steps rounds of the backend serving and the idle loop. */
static void reconnect_and_run(unsigned int steps)
{
	fxs_pump();				/* InitWait: rings published */
	CHECKF(fbk_connect() == 0, "%s", fbk.violation);
	fxs_pump();				/* Connected: the held requests go */
	for (unsigned int k = 0; k < steps; k++) {
		fbk_step();
		idle();
	}
}

static struct blkfront_stats stats(struct blkdev *d)
{
	struct blkfront_stats st;

	CHECK(blkfront_get_stats(d, &st) == 0);
	return st;
}

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

#define CHILD(fn) static void fn##_case(void) { in_child(fn); }

/* ---- cases -------------------------------------------------------------------------------- */

/*
 * Writes and reads of 64 KiB (indirect on the first backend) and a flush in flight, held by
 * the backend; the domain is restored onto a backend without indirect segments, persistent
 * grants or queues, with one-page rings. Each goes again once, in parts of at most 11
 * segments; a write made while reconnecting waits and goes after them; the data is right.
 */
static void reissued_once(void)
{
	struct blkfront_stats st;
	struct blkdev *d = up(), *again;
	unsigned int max_segs = 0, indirect;

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(d->features.indirect_segs == 256 && d->features.queues == 4);
	/* Reads find what an earlier write left: pattern 7 under sectors [1024, 2048). */
	for (unsigned int i = 0; i < NR_IO; i++)
		CHECK(d->ops->submit(d, io_prep(i, BLK_WRITE, 1024 + i * IO_SECTORS, IO_SECTORS,
						7)) == 0);
	for (unsigned int k = 0; k < 8; k++)
		fbk_step();
	for (unsigned int i = 0; i < NR_IO; i++)
		CHECK(ios[i].done == 1 && ios[i].status == 0);
	CHECK(disk_holds(1024, NR_IO * IO_SECTORS, 7));
	fbk.hold = true;			/* the old backend takes them and never answers */
	for (unsigned int i = 0; i < NR_IO; i++) {
		bool write = i & 1;

		CHECK(d->ops->submit(d, io_prep(i, write ? BLK_WRITE : BLK_READ,
						(write ? 0 : 1024) + i * IO_SECTORS, IO_SECTORS,
						write ? 9 : 0)) == 0);
	}
	CHECK(d->ops->submit(d, io_prep(NR_IO, BLK_FLUSH, 0, 0, 0)) == 0);
	fbk_step();
	CHECK(fbk.requests >= NR_IO + 1);
	for (unsigned int i = 0; i <= NR_IO; i++)
		CHECK(ios[i].done == 0);

	fbk.offer.max_indirect = -1;
	fbk.offer.persistent = false;
	fbk.offer.max_queues = -1;
	fbk.offer.max_ring_page_order = -1;
	fbk.hold = false;
	indirect = fbk.indirect;
	new_domain();
	st = stats(d);
	CHECK(st.reconnecting && st.requeued == NR_IO + 1);
	/* Made while the disk reconnects: held, accepted. */
	CHECK(d->ops->submit(d, io_prep(NR_IO + 1, BLK_WRITE, 4096, IO_SECTORS, 11)) == 0);
	CHECK(ios[NR_IO + 1].done == 0);
	fbk.log = calloc(256, sizeof(*fbk.log));
	fbk.log_max = 256;
	fxs_pump();				/* InitWait: rings published */
	CHECKF(fbk_connect() == 0, "%s", fbk.violation);
	fxs_pump();				/* Connected: the held requests go */
	for (unsigned int k = 0; k < 16; k++) {
		fbk_step();
		idle();
	}
	for (unsigned int i = 0; i <= NR_IO + 1; i++)
		CHECKF(ios[i].done == 1 && ios[i].status == 0, "request %u: done %u status %d", i,
		       ios[i].done, ios[i].status);
	for (unsigned int i = 0; i < NR_IO; i++) {
		if (i & 1)
			CHECK(disk_holds(i * IO_SECTORS, IO_SECTORS, 9));
		else
			CHECK(io_holds(i, 7));
	}
	CHECK(disk_holds(4096, IO_SECTORS, 11));
	for (unsigned int i = 0; i < fbk.log_n; i++)
		max_segs = MAX(max_segs, (unsigned int)fbk.log[i].nr_segs);
	CHECKF(max_segs <= BLKIF_MAX_SEGMENTS_PER_REQUEST && fbk.indirect == indirect,
	       "%u segments in one request, %u indirect", max_segs, fbk.indirect - indirect);
	CHECKF(fbk.log_n >= NR_IO / 2 * 2 + NR_IO / 2 * 2 + 2, "%u ring requests", fbk.log_n);
	again = blkdev_find("xvda");
	CHECK(again == d && registered == 1 && unregistered == 0);	/* the same disk */
	CHECK(d->features.indirect_segs == 0 && !d->features.persistent &&
	      d->features.queues == 1 && d->features.ring_pages == 1 && d->max_segs == 11);
	st = stats(d);
	CHECK(!st.reconnecting && st.reconnects == 1 && st.held == 1 && st.failed == 0);
	CHECKF(fbk.violations == 0, "%s", fbk.violation);
	/* And the disk works on: a request of the new size. */
	CHECK(d->ops->submit(d, io_prep(0, BLK_READ, 4096, 88, 0)) == 0);
	fbk_step();
	CHECK(ios[0].done == 1 && ios[0].status == 0 && io_holds(0, 11));
	io_free_all();
}
CHILD(reissued_once)

/* A read cut in parts (16 KiB each) is one request: taken off the old rings once, completed
 * once with all its data, whichever parts the old backend had answered. */
static void split_read_once(void)
{
	struct blkdev *d = up_split(16);

	CHECK(d != NULL);
	if (!d)
		return;
	CHECK(d->ops->submit(d, io_prep(0, BLK_WRITE, 256, IO_SECTORS, 4)) == 0);
	for (unsigned int k = 0; k < 4; k++)
		fbk_step();
	CHECK(ios[0].done == 1 && ios[0].status == 0);
	fbk.hold = true;
	CHECK(d->ops->submit(d, io_prep(1, BLK_READ, 256, IO_SECTORS, 0)) == 0);
	fbk_step();
	CHECK(fbk.requests >= 1 + 4);		/* the write, then the read's four parts */
	fbk.hold = false;
	new_domain();
	CHECK(stats(d).requeued == 1);
	reconnect_and_run(8);
	CHECKF(ios[1].done == 1 && ios[1].status == 0, "done %u status %d", ios[1].done,
	       ios[1].status);
	CHECK(io_holds(1, 4) && fbk.violations == 0);
	io_free_all();
}
CHILD(split_read_once)

/* Answers the old backend had sent but we had not taken are not taken twice: a request whose
 * response sat on the old ring goes again to the new backend, and completes once. */
static void answered_but_not_taken(void)
{
	struct blkdev *d = up();

	CHECK(d != NULL);
	if (!d)
		return;
	fbk.lose_events = true;			/* answered, but we never hear of it */
	CHECK(d->ops->submit(d, io_prep(0, BLK_WRITE, 64, 8, 5)) == 0);
	fbk_step();
	CHECK(ios[0].done == 0);
	fbk.lose_events = false;
	new_domain();
	reconnect_and_run(4);
	CHECK(ios[0].done == 1 && ios[0].status == 0 && disk_holds(64, 8, 5));
	io_free_all();
}
CHILD(answered_but_not_taken)

/* The disk is not in the new domain (its config lost it): what was in flight and what came
 * meanwhile fail with -EIO, once each; the disk goes. */
static void missing_in_new_domain(void)
{
	struct blkdev *d = up();

	CHECK(d != NULL);
	if (!d)
		return;
	fbk.hold = true;
	CHECK(d->ops->submit(d, io_prep(0, BLK_WRITE, 0, 8, 1)) == 0);
	CHECK(d->ops->submit(d, io_prep(1, BLK_READ, 8, 8, 0)) == 0);
	fbk_step();
	new_domain_with(false);			/* a new domain without the vbd */
	fxs_pump();
	for (unsigned int i = 0; i < 2; i++)
		CHECKF(ios[i].done == 1 && ios[i].status == -EIO, "request %u: done %u status %d",
		       i, ios[i].done, ios[i].status);
	CHECK(d->gone && blkdev_find("xvda") == NULL && unregistered == 1);
	CHECK(d->ops->submit(d, io_prep(2, BLK_READ, 0, 8, 0)) != 0 || ios[2].status);
	io_free_all();
}
CHILD(missing_in_new_domain)

/* The new backend never connects: after BLKFRONT_RECONNECT_NS the held requests fail with
 * -EIO and the disk goes (the clock is the fake's: moved by hand). */
static void reconnect_times_out(void)
{
	struct blkdev *d = up();

	CHECK(d != NULL);
	if (!d)
		return;
	fbk.hold = true;
	CHECK(d->ops->submit(d, io_prep(0, BLK_WRITE, 0, 8, 1)) == 0);
	fbk_step();
	new_domain();
	fxs_pump();				/* published; the backend never says Connected */
	CHECK(ios[0].done == 0);
	fake_now_ns += BLKFRONT_RECONNECT_NS + 1;
	idle();
	CHECKF(ios[0].done == 1 && ios[0].status == -EIO, "done %u status %d", ios[0].done,
	       ios[0].status);
	CHECK(d->gone && unregistered == 1);
	io_free_all();
}
CHILD(reconnect_times_out)

/* A cancelled suspend (xl save -c) longer than the request timeout: the same rings, the clock
 * moved on by the pause; no request in flight may time out for it. */
static void cancelled_no_timeout(void)
{
	struct blkdev *d = up();
	struct blkfront_stats st;

	CHECK(d != NULL);
	if (!d)
		return;
	fbk.hold = true;
	CHECK(d->ops->submit(d, io_prep(0, BLK_WRITE, 0, 8, 1)) == 0);
	fbk_step();
	xenbus_frontends_suspend();
	fake_now_ns += 2 * BLKFRONT_REQUEST_TIMEOUT_NS;	/* the pause */
	fbk_run_timers();			/* interrupts back: nothing may time out */
	idle();					/* the upkeep moves the deadlines */
	fbk_run_timers();
	CHECK(ios[0].done == 0);
	fbk.hold = false;
	fbk_release();
	for (unsigned int k = 0; k < 4; k++)
		fbk_step();
	CHECKF(ios[0].done == 1 && ios[0].status == 0, "done %u status %d", ios[0].done,
	       ios[0].status);
	st = stats(d);
	CHECK(st.timeouts == 0 && st.failed == 0);
	/* And the watchdog still works after it. */
	fbk.hold = true;
	CHECK(d->ops->submit(d, io_prep(1, BLK_READ, 0, 8, 0)) == 0);
	fbk_step();
	fake_now_ns += BLKFRONT_REQUEST_TIMEOUT_NS + 1;
	fbk_run_timers();
	CHECK(ios[1].done == 1 && ios[1].status == -ETIMEDOUT);
	io_free_all();
}
CHILD(cancelled_no_timeout)

UNIT_CASES(
	{ cancelled_no_timeout_case, "blkfront: a cancelled suspend longer than the timeout times nothing out" },
	{ reissued_once_case, "blkfront resume: in-flight requests go again once, in parts the new backend takes" },
	{ split_read_once_case, "blkfront resume: a read in parts in flight is taken off once, completed once" },
	{ answered_but_not_taken_case, "blkfront resume: an answer left on the old ring is not taken twice" },
	{ missing_in_new_domain_case, "blkfront resume: a disk missing from the new domain fails its requests, goes" },
	{ reconnect_times_out_case, "blkfront resume: a backend that never connects: held requests -EIO" },
);
