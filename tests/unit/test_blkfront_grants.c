// SPDX-License-Identifier: MIT
/*
 * blkfront's grants, queue depth and discards (issue 12, items 4-6), the whole driver against
 * the fake xenstored and fake blkback as in test_blkfront.c (same fixture, trimmed): retired
 * pages freed one by one as the backend lets go of each; a depth the bounce pool serves;
 * without persistent grants no idle page granted, writes' pages read-only, grants revoked at
 * completion; discards cut to the backend's extents or refused, its values checked. Each
 * case runs in a child process: the driver's disk slots are global.
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

/* ---- the kernel around blkfront: block layer registry, idle poller --------------------- */

static struct blkdev *disks[8];
static unsigned int nr_disks;
static struct os_poller *poller;

int blkdev_register(struct blkdev *dev)
{
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

/* A fresh guest and backend; reads go whole unless @split_kib. Set fbk.offer, then up(). */
static void start(unsigned int split_kib)
{
	blkfront_set_split(split_kib);
	xs_reset();
	fxs_init(FBK_DOMID, "guest", 0);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
	fbk_reset();
}

static struct blkdev *up(void)
{
	fbk_add(VDEV_A);
	CHECK(blkfront_init(NULL) == 0);
	CHECKF(fbk_connect() == 0, "%s", fbk.violation);
	fxs_pump();
	return blkdev_find("xvda");
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

/* ---- requests ---------------------------------------------------------------------------- */

/* Submit request @i and let the backend run until it completes. */
static int run(struct blkdev *d, unsigned int i)
{
	int err = d->ops->submit(d, &ios[i].rq);

	if (err)
		return err;
	for (unsigned int k = 0; k < 8 && !ios[i].done; k++)
		fbk_step();
	CHECKF(ios[i].done == 1, "request %u completed %u times", i, ios[i].done);
	return ios[i].status;
}

static struct blkfront_stats stats(struct blkdev *d)
{
	struct blkfront_stats st;

	CHECK(blkfront_get_stats(d, &st) == 0);
	return st;
}

static struct gnttab_retire_stats retired(void)
{
	struct gnttab_retire_stats rs;

	gnttab_retire_get_stats(&rs);
	return rs;
}

/* ---- item 4: retired pages, one by one -------------------------------------------------- */

/*
 * blkback keeps the rings and every persistent grant mapped when the disk goes: all those
 * pages are retired. It lets go of all but one: every other page is freed at the next upkeep
 * (before, none was until the last one went), the held one when it is released too.
 */
static void retired_one_by_one(void)
{
	unsigned int before = fake_pages_in_use;
	struct blkfront_global_stats gs;
	struct fgnt_stats g;
	struct blkdev *d;
	uint32_t keep;

	start(0);
	d = up();
	if (!d)
		return;
	for (unsigned int i = 0; i < 4; i++) {		/* blkback maps the pages it uses */
		io_prep(i, i & 1 ? BLK_READ : BLK_WRITE, i / 2 * 2048, 2048, 3);
		CHECK(run(d, i) == 0);
	}
	CHECK(io_holds(1, 3) && io_holds(3, 3));
	keep = fbk.last.refs[0];
	io_free_all();
	CHECK(fgnt_backend_maps() > 64);		/* rings and persistent grants */
	fbk_set_state(XenbusStateClosing);
	fxs_pump();
	CHECK(d->gone);
	fgnt_stats(&g);
	CHECKF(retired().held == g.live && g.live == fgnt_backend_maps() && !g.deferred,
	       "held %u live %u maps %u", retired().held, g.live, fgnt_backend_maps());
	CHECK(fake_pages_in_use == before + retired().held);	/* the rest went at once */
	/* The backend lets go of everything but one page. */
	CHECK(fgnt_release_all_but(keep) > 0 && fgnt_backend_maps() == 1);
	idle();
	CHECKF(fake_pages_in_use == before + 1, "%u pages kept, not 1",
	       fake_pages_in_use - before);
	CHECK(retired().held == 1);
	blkfront_get_global_stats(&gs);
	CHECK(gs.retired_held == 1);
	idle();
	CHECK(fake_pages_in_use == before + 1);		/* still mapped: still kept */
	fbk_disconnect();				/* and that one too */
	idle();
	fgnt_stats(&g);
	CHECK(fake_pages_in_use == before && retired().held == 0 && !g.live && !g.deferred);
	CHECK(fake_bad_frees == 0);
}

/* ---- item 5: a depth the pool serves; no idle page granted ----------------------------- */

/*
 * blkdev.queue_depth requests of the largest size (max_segs pages: 1 MiB, reads in parts when
 * @split_kib) held at the backend at once: none gets -EBUSY, all complete with their data.
 * The pool, not the rings, is what bounds it: one more gets -EBUSY.
 */
static void depth_child(bool persistent, unsigned int split_kib, int indirect)
{
	struct blkfront_stats st;
	unsigned int depth, sectors;
	struct blkdev *d;

	start(split_kib);
	fbk.offer.persistent = persistent;
	fbk.offer.max_indirect = indirect;
	fbk.offer.sectors = 65536;			/* 32 MiB */
	d = up();
	if (!d)
		return;
	depth = d->queue_depth;
	sectors = d->max_segs * 8;
	st = stats(d);
	CHECKF(depth >= 1 && depth < BLK_IO_MAX && depth <= st.queues * st.max_in_flight_per_queue,
	       "depth %u", depth);
	depth = MIN(depth, BLK_IO_MAX - 1u);		/* (a wrong one still fails below) */
	fbk.hold = true;
	for (unsigned int i = 0; i < depth; i++) {
		enum blk_op op = i & 1 ? BLK_READ : BLK_WRITE;
		int err = d->ops->submit(d, io_prep(i, op, i * sectors, sectors, 5));

		CHECKF(err == 0, "request %u of %u (%s, %u pages): %d", i, depth,
		       op == BLK_READ ? "read" : "write", d->max_segs, err);
	}
	/* One more of the largest: the pool is what the depth said it would hold. */
	CHECK(d->ops->submit(d, io_prep(depth, BLK_READ, 0, sectors, 0)) == -EBUSY);
	fbk_step();
	fbk.hold = false;
	fbk_release();
	for (unsigned int i = 0; i < depth; i++)
		CHECKF(ios[i].done == 1 && ios[i].status == 0, "request %u: %u, %d", i,
		       ios[i].done, ios[i].status);
	for (unsigned int i = 0; i < depth; i += 2)
		CHECK(disk_holds(i * sectors, sectors, 5));
	CHECK(fbk.violations == 0);
	printf("#   %s, split %u KiB, %u segments: depth %u of %u-page requests, pool %u\n",
	       persistent ? "persistent" : "per-request grants", split_kib, d->max_segs, depth,
	       d->max_segs, stats(d).pool_pages);
	io_free_all();
}

static void depth_persistent(void) { depth_child(true, 0, 256); }
static void depth_split(void) { depth_child(true, 128, 256); }
static void depth_not_persistent(void) { depth_child(false, 128, 256); }
static void depth_direct(void) { depth_child(false, 0, -1); }

/*
 * Without persistent grants: no pool page is granted while idle; a request grants its pages
 * (a write's read-only, a read's writable) and its completion revokes them at once (no upkeep
 * needed); after the disk goes, no grant of ours is left at all.
 */
static void no_idle_grant(void)
{
	unsigned int before = fake_pages_in_use;
	struct fgnt_stats g;
	unsigned int rings;
	struct blkdev *d;

	start(0);
	fbk.offer.persistent = false;
	d = up();
	if (!d)
		return;
	rings = fbk.nr_rings * fbk.ring_pages;
	fgnt_stats(&g);
	CHECKF(fgnt_writable_data() == 0 && g.access == rings, "writable %u, access %u of %u "
	       "ring pages", fgnt_writable_data(), g.access, rings);
	CHECK(stats(d).granted_now == 0);
	fbk.hold = true;
	CHECK(d->ops->submit(d, io_prep(0, BLK_WRITE, 0, 128, 1)) == 0);	/* 16 pages */
	CHECK(d->ops->submit(d, io_prep(1, BLK_READ, 256, 64, 0)) == 0);	/* 8 pages */
	fbk_step();
	fgnt_stats(&g);
	CHECKF(g.access == rings + 16 + 1 + 8 && fgnt_writable_data() == 8,
	       "access %u, writable %u", g.access - rings, fgnt_writable_data());
	fbk.hold = false;
	fbk_release();
	CHECK(ios[0].done == 1 && ios[0].status == 0 && ios[1].done == 1 && !ios[1].status);
	fgnt_stats(&g);
	CHECKF(g.access == rings && fgnt_writable_data() == 0, "after completion: access %u, "
	       "writable %u", g.access - rings, fgnt_writable_data());
	for (unsigned int i = 0; i < 20; i++) {		/* any request, any time: the same */
		io_prep(2, i % 3 ? BLK_READ : BLK_WRITE, i * 8, 8 + i * 8, 2);
		CHECK(run(d, 2) == 0);
		CHECK(fgnt_writable_data() == 0);
	}
	CHECK(stats(d).grants == stats(d).grant_ends && stats(d).granted_now == 0);
	CHECK(fbk.violations == 0);
	io_free_all();
	fbk_set_state(XenbusStateClosing);		/* the disk goes */
	fxs_pump();
	fbk_disconnect();
	idle();
	fgnt_stats(&g);
	CHECK(!g.live && !g.access && !g.deferred && !g.bad_ends && retired().held == 0);
	CHECK(fake_pages_in_use == before);
}

/* With persistent grants the pool stays granted, writable, by design (blkif.h note 8). */
static void persistent_stays_granted(void)
{
	struct blkdev *d;

	start(0);
	d = up();
	if (!d)
		return;
	CHECK(fgnt_writable_data() == stats(d).pool_pages && stats(d).granted_now ==
	      stats(d).pool_pages);
}

/*
 * A backend that answers before it unmaps (not persistent): the page it still maps is not
 * taken for another request; the upkeep retires it (freed once the backend lets go) and puts
 * a fresh page in its place, so the pool, and the depth it serves, stay whole.
 */
static void answered_but_mapped(void)
{
	unsigned int before = fake_pages_in_use;
	struct blkfront_stats st;
	uint32_t ref, gen;
	struct blkdev *d;

	start(0);
	fbk.offer.persistent = false;
	d = up();
	if (!d)
		return;
	fbk.hold = true;
	CHECK(d->ops->submit(d, io_prep(0, BLK_READ, 0, 64, 0)) == 0);
	fbk_step();
	ref = fbk.last.refs[3];
	gen = fbk.last.gens[3];
	CHECK(fgnt_backend_hold(ref));			/* mapped beyond the answer */
	fbk.hold = false;
	fbk_release();
	CHECK(ios[0].done == 1 && ios[0].status == 0);
	st = stats(d);
	CHECK(st.granted_now == 1 && fgnt_writable_data() == 1);	/* not revoked yet */
	d->ops->poll(d);				/* the upkeep */
	st = stats(d);
	CHECKF(st.grant_deferred == 1 && st.granted_now == 0 && retired().held == 1,
	       "deferred %lu now %u held %u", st.grant_deferred, st.granted_now,
	       retired().held);
	CHECK(fgnt_is_live(ref, gen));			/* its grant: the backend's until it goes */
	/* The pool is whole: the depth's largest requests still all fit, never that page. */
	fbk.hold = true;
	CHECK(d->queue_depth == 2);
	for (unsigned int i = 0; i < 2; i++)
		CHECK(d->ops->submit(d, io_prep(1 + i, BLK_WRITE, i * 2048, 2048, 4)) == 0);
	fbk_step();
	for (unsigned int k = 0; k < fbk.last.nr_segs; k++)
		CHECK(fbk.last.refs[k] != ref);
	fbk.hold = false;
	fbk_release();
	for (unsigned int i = 0; i < 2; i++)
		CHECKF(ios[1 + i].done == 1 && ios[1 + i].status == 0, "%u: %u %d", i,
		       ios[1 + i].done, ios[1 + i].status);
	/* Of the pool, nothing is granted; the one writable grant is the retired page's,
	 * which the backend still maps and the guest never uses again. */
	CHECKF(stats(d).granted_now == 0 && fgnt_writable_data() == 1 && fgnt_is_live(ref, gen),
	       "now %u writable %u", stats(d).granted_now, fgnt_writable_data());
	fgnt_release_all_but(~0u);			/* the backend lets go */
	idle();
	CHECK(retired().held == 0);
	io_free_all();
	CHECK(fake_pages_in_use == before + stats(d).pool_pages + fbk.nr_rings *
	      fbk.ring_pages);
	CHECK(fbk.violations == 0);
}

/* ---- item 6: discards and the backend's extents ---------------------------------------- */

/* Write pattern 6 over sectors [0, 64) so a discard's effect shows. */
static void fill(struct blkdev *d)
{
	io_prep(0, BLK_WRITE, 0, 64, 6);
	CHECK(run(d, 0) == 0 && disk_holds(0, 64, 6));
}

/*
 * Granularity 4 KiB: a plain discard goes trimmed to the whole extents inside it; one with
 * none completes at once, the ring untouched; a secure one that is not whole extents is
 * refused with -EINVAL (trimming it would leave data it promised to destroy). With an
 * alignment of 1 KiB the extents start at sector 2.
 */
static void discard_child(long long alignment)
{
	unsigned int a = alignment / 512, reqs;
	struct blkfront_stats st;
	struct blkdev *d;

	start(0);
	fbk.offer.discard_alignment = alignment;
	d = up();
	if (!d)
		return;
	CHECK(d->features.discard && d->features.discard_granularity == 4096 &&
	      d->features.discard_alignment == alignment);
	fill(d);
	io_prep(1, BLK_DISCARD, 1, 20, 0);		/* [1, 21): whole extents [a+8k, ...) */
	CHECK(run(d, 1) == 0);
	CHECKF(fbk.last.op == BLKIF_OP_DISCARD && fbk.last.sector == a + (a ? 0 : 8) &&
	       fbk.last.nr_sectors == (a ? 16 : 8), "sent [%lu, +%lu)", fbk.last.sector,
	       fbk.last.nr_sectors);
	CHECK(disk_holds(1, fbk.last.sector - 1, 6) &&
	      disk_zero(fbk.last.sector, fbk.last.nr_sectors) &&
	      disk_holds(fbk.last.sector + fbk.last.nr_sectors, 64 - fbk.last.sector -
			 fbk.last.nr_sectors, 6));
	fill(d);
	reqs = fbk.requests;
	io_prep(2, BLK_DISCARD, a + 9, 6, 0);		/* inside one extent: nothing whole */
	CHECK(d->ops->submit(d, &ios[2].rq) == 0 && ios[2].done == 1 && ios[2].status == 0);
	CHECK(fbk.requests == reqs && disk_holds(0, 64, 6));
	io_prep(3, BLK_DISCARD_SECURE, a + 8, 12, 0);	/* one extent and a half */
	CHECK(d->ops->submit(d, &ios[3].rq) == -EINVAL && !ios[3].done);
	io_prep(4, BLK_DISCARD_SECURE, a + 4, 8, 0);	/* a misplaced extent */
	CHECK(d->ops->submit(d, &ios[4].rq) == -EINVAL);
	CHECK(fbk.requests == reqs && disk_holds(0, 64, 6));
	io_prep(5, BLK_DISCARD_SECURE, a + 16, 16, 0);	/* whole extents: sent as asked */
	CHECK(run(d, 5) == 0 && fbk.last.sector == a + 16 && fbk.last.nr_sectors == 16 &&
	      fbk.last.discard_flag == BLKIF_DISCARD_SECURE && disk_zero(a + 16, 16));
	io_prep(6, BLK_DISCARD, a + 32, 8, 0);		/* aligned: unchanged */
	CHECK(run(d, 6) == 0 && fbk.last.sector == a + 32 && fbk.last.nr_sectors == 8);
	st = stats(d);
	CHECKF(st.discards == 3 && st.discards_trimmed == 1 && st.discards_dropped == 1 &&
	       !st.broken, "discards %lu trimmed %lu dropped %lu", st.discards,
	       st.discards_trimmed, st.discards_dropped);
	CHECK(fbk.violations == 0);
	io_free_all();
}

static void discard_aligned0(void) { discard_child(0); }
static void discard_aligned1k(void) { discard_child(1024); }

/* The backend's values are checked: each bad one is said, discard is off for that disk (the
 * rest of it works), nothing crashes. The keys are written as blkback would, just before
 * the frontend reads them (at Connected). */
static void discard_refused_child(const char *gran, const char *align, unsigned int ss,
				  const char *why)
{
	char line[200], path[160];
	struct blkdev *d;

	start(0);
	fbk.offer.sector_size = ss;
	fbk.offer.physical_sector_size = ss;
	fbk_add(VDEV_A);
	CHECK(blkfront_init(NULL) == 0);
	CHECKF(fbk_connect() == 0, "%s", fbk.violation);
	snprintf(path, sizeof(path), "%s/discard-granularity", fbk.be);
	fxs_set(path, gran);
	snprintf(path, sizeof(path), "%s/discard-alignment", fbk.be);
	fxs_set(path, align);
	fxs_pump();
	d = blkdev_find("xvda");
	CHECK(d != NULL);
	if (!d)
		return;
	snprintf(line, sizeof(line), "discard-granularity %s / discard-alignment %s unusable "
		 "(%s): discard off for this disk", gran, align, why);
	CHECKF(unit_logged(line), "no line \"%s\"", line);
	CHECK(!d->features.discard && !d->features.discard_secure &&
	      !d->features.discard_granularity);
	io_prep(0, BLK_DISCARD, 0, 64, 0);
	CHECK(d->ops->submit(d, &ios[0].rq) == -EOPNOTSUPP);
	io_prep(1, BLK_WRITE, 0, 64, 1);		/* the disk itself is fine */
	CHECK(run(d, 1) == 0 && disk_holds(0, 64, 1));
	io_free_all();
}

static void bad_gran_zero(void) { discard_refused_child("0", "0", 512, "granularity 0"); }
static void bad_gran_pow2(void)
{
	discard_refused_child("12288", "0", 512, "granularity not a power of two");
}
static void bad_gran_small(void)
{
	discard_refused_child("2048", "0", 4096, "granularity not a multiple of the sector size");
}
static void bad_gran_huge(void)
{
	discard_refused_child("2147483648", "0", 512, "granularity above 1 GiB");
}
static void bad_align_odd(void)
{
	discard_refused_child("4096", "100", 512, "alignment not a multiple of the sector size");
}
static void bad_align_big(void)
{
	discard_refused_child("4096", "4096", 512, "alignment not below the granularity");
}
static void bad_align_huge(void)
{
	discard_refused_child("65536", "1099511627776", 512,
			      "alignment not below the granularity");
}

CHILD(retired_one_by_one)
CHILD(depth_persistent)
CHILD(depth_split)
CHILD(depth_not_persistent)
CHILD(depth_direct)
CHILD(no_idle_grant)
CHILD(persistent_stays_granted)
CHILD(answered_but_mapped)
CHILD(discard_aligned0)
CHILD(discard_aligned1k)
CHILD(bad_gran_zero)
CHILD(bad_gran_pow2)
CHILD(bad_gran_small)
CHILD(bad_gran_huge)
CHILD(bad_align_odd)
CHILD(bad_align_big)
CHILD(bad_align_huge)

UNIT_CASES(
	{ retired_one_by_one_case, "blkfront: retired pages freed one by one as blkback lets go" },
	{ depth_persistent_case, "blkfront: queue depth of 1 MiB requests served (persistent)" },
	{ depth_split_case, "blkfront: queue depth served with reads in parts" },
	{ depth_not_persistent_case, "blkfront: queue depth served (per-request grants)" },
	{ depth_direct_case, "blkfront: queue depth served without indirect requests" },
	{ no_idle_grant_case, "blkfront: not persistent: no idle page granted, revoked at "
			      "completion, none left after the disk goes" },
	{ persistent_stays_granted_case, "blkfront: persistent: the pool stays granted" },
	{ answered_but_mapped_case, "blkfront: a page mapped past its answer is retired, replaced" },
	{ discard_aligned0_case, "blkfront: discard trimmed to extents; secure refused unless whole" },
	{ discard_aligned1k_case, "blkfront: discard extents with an alignment of 1 KiB" },
	{ bad_gran_zero_case, "blkfront: discard-granularity 0: discard off, said" },
	{ bad_gran_pow2_case, "blkfront: discard-granularity 12 KiB: discard off, said" },
	{ bad_gran_small_case, "blkfront: discard-granularity below the sector size: off" },
	{ bad_gran_huge_case, "blkfront: discard-granularity 2 GiB: off" },
	{ bad_align_odd_case, "blkfront: discard-alignment 100: off" },
	{ bad_align_big_case, "blkfront: discard-alignment = granularity: off" },
	{ bad_align_huge_case, "blkfront: discard-alignment 2^40: off" },
);
