// SPDX-License-Identifier: MIT
/*
 * blkfront on real blkback, PV and PVH (docs/blkfront.md): each device/vbd became a disk with
 * exactly what its backend offered; the vbds pvkit.xen_blk= describes are there as it says, any
 * other one is reported and only read (selftest.h: someone's data); a read-only disk reads the
 * image dom0 wrote and blkback itself refuses a write we let through; flush, barrier and
 * discard; every ring carried requests and nothing leaked; throughput and latency. Only a vbd
 * described rw is ever written. Runs after the shared integrity workload (test_blk.c, table
 * 70). The "blk" console command the detach and silent-backend cases drive is
 * init/block_cmd.c's.
 */
#include <string.h>
#include <pvkit/blkdev.h>
#include <pvkit/errno.h>
#include <pvkit/md5.h>
#include <pvkit/mm.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/timer.h>
#include <pvkit/xen/blkfront.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>

#define MS		((uint64_t)1000000)
#define IO_PAGES	256			/* one request: 1 MiB */
#define IO_TIMEOUT	(30000 * MS)
#define RO_LABEL	"PVKIT-RO-IMAGE"	/* tests/xen/blklib.sh writes it at sector 0 */
#define SCRATCH_SECTORS	256			/* flush/barrier/discard area, restored after */
#define PERF_BYTES	(16u << 20)
#define LAT_SAMPLES	101
#define PAR_READS	16			/* reads in flight at once on a vbd only read */
#define QD_MAX		64			/* queue_depth tried at most (test_queue_depth) */

/* ST_CHECK that leaves through `out:` so buffers are given back. */
#define BF_CHECK(cond, fmt, ...)						\
	do {									\
		if (!(cond)) {							\
			printk("#   %s:%d: check failed: %s: " fmt "\n",	\
			       __FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
			err = -EINVAL;						\
			goto out;						\
		}								\
	} while (0)

/* ---- one request at a time, straight to a driver ----------------------------------------- */

/* A request and its pages; static, so a request the driver holds after a timeout completes
 * into live memory (then the buffer is never reused). */
static struct bf_io {
	struct blk_request rq;		/* the request */
	uint64_t frames[IO_PAGES];	/* its data, one page per segment */
	volatile bool done;		/* completed */
	volatile int status;		/* its status */
	bool stale;			/* timed out while the driver held it: never reuse */
} io;

static void bf_io_done(struct blk_request *rq, int status)
{
	io.status = status;
	barrier();
	io.done = true;
}

static bool bf_io_finished(void *ctx)
{
	return io.done;
}

static int bf_io_alloc(void)
{
	for (unsigned int i = 0; i < IO_PAGES; i++)
		if (!io.frames[i] && page_alloc(&io.frames[i]))
			return -ENOMEM;
	return 0;
}

static void bf_io_free(void)
{
	for (unsigned int i = 0; i < IO_PAGES && !io.stale; i++) {
		if (io.frames[i])
			page_free(io.frames[i]);
		io.frames[i] = 0;
	}
}

static uint8_t *bf_io_sector(uint32_t i)
{
	return (uint8_t *)phys_to_virt(io.frames[i / 8]) + (i % 8) * 512;
}

/* @op of @count sectors at @sector through io's pages (reads and writes), synchronously, in
 * requests of what the disk takes at most. @raw: blkfront_submit_unchecked (no read-only
 * check anywhere) instead of blkdev_submit. */
static int bf_io_run(struct blkdev *dev, enum blk_op op, uint64_t sector, uint32_t count,
		     bool raw)
{
	struct blk_request *rq = &io.rq;
	bool data = op == BLK_READ || op == BLK_WRITE || op == BLK_WRITE_BARRIER;
	uint32_t step = data ? dev->max_segs * 8 : count, done = 0;
	int err = 0;

	if (io.stale)
		return -EBUSY;
	do {
		uint32_t n = MIN(count - done, step);

		memset(rq, 0, offsetof(struct blk_request, segs));
		rq->op = op;
		rq->sector = sector + done;
		rq->nr_sectors = n;
		rq->done = bf_io_done;
		for (uint32_t i = 0; data && i * 8 < n; i++) {
			rq->segs[i] = (struct blk_seg){ io.frames[done / 8 + i], 0,
							MIN(n - i * 8, 8u) * 512 };
			rq->nr_segs++;
		}
		io.done = false;
		do {
			err = raw ? blkfront_submit_unchecked(dev, rq) : blkdev_submit(dev, rq);
			if (err == -EBUSY && dev->ops->poll)
				dev->ops->poll(dev);
		} while (err == -EBUSY);
		if (err)
			return err;
		if (os_wait_until(bf_io_finished, NULL, IO_TIMEOUT)) {
			io.stale = true;
			return -ETIMEDOUT;
		}
		err = io.status;
		done += n;
	} while (!err && done < count);
	return err;
}

/* ---- what the backend offered, against what was negotiated ------------------------------- */

static unsigned long bf_backend(const struct blkfront_stats *st, const char *node,
				unsigned long def)
{
	unsigned long v;

	return xenbus_read_ulong(XS_TXN_NONE, st->backend, node, &v) ? def : v;
}

static bool bf_front_has(const struct blkfront_stats *st, const char *node)
{
	char path[160], buf[16];

	snprintf(path, sizeof(path), "%s/%s", st->nodename, node);
	return !xs_read(XS_TXN_NONE, path, buf, sizeof(buf), NULL);
}

/* The keys we published: a flat ring or queue-N directories, ring-ref or ring-refN. */
static int bf_check_layout(const struct blkfront_stats *st)
{
	char node[48];

	for (unsigned int q = 0; q < st->queues; q++) {
		const char *dir = st->queues > 1 ? node : "";

		snprintf(node, sizeof(node), "queue-%u/", q);
		for (unsigned int k = 0; k < st->ring_pages; k++) {
			char ref[64];

			if (st->ring_pages == 1)
				snprintf(ref, sizeof(ref), "%sring-ref", dir);
			else
				snprintf(ref, sizeof(ref), "%sring-ref%u", dir, k);
			if (!bf_front_has(st, ref)) {
				printk("#   %s missing\n", ref);
				return -ENOENT;
			}
		}
		snprintf(node + strlen(node), sizeof(node) - strlen(node), "event-channel");
		if (!bf_front_has(st, st->queues > 1 ? node : "event-channel"))
			return -ENOENT;
	}
	if ((st->queues > 1) != bf_front_has(st, "multi-queue-num-queues"))
		return -EPROTO;
	return (st->ring_pages > 1) == bf_front_has(st, "ring-page-order") ? 0 : -EPROTO;
}

static int test_negotiated(const struct boot_info *bi)
{
	static char list[512];
	unsigned int count = 0, disks = 0;
	const char *id = list;

	if (xenbus_enumerate("vbd", list, sizeof(list), &count) || !count)
		return ST_SKIPPED;
	for (unsigned int i = 0; i < count; i++, id += strlen(id) + 1) {
		char node[64], name[BLK_NAME_MAX];
		struct blkfront_stats st;
		unsigned long vdev, order, mq, ind, want_ind;
		struct blkdev *dev;

		snprintf(node, sizeof(node), "device/vbd/%s", id);
		ST_CHECK(!xenbus_read_ulong(XS_TXN_NONE, node, "virtual-device", &vdev),
			 "%s: no virtual-device", node);
		ST_CHECK(!blkfront_vdev_name(vdev, name, sizeof(name)), "vdev %lu", vdev);
		dev = blkdev_find(name);
		ST_CHECK(dev && !blkfront_get_stats(dev, &st), "%s (%s) is no blkfront disk", name,
			 node);
		order = bf_backend(&st, "max-ring-page-order", 0);
		mq = bf_backend(&st, "multi-queue-max-queues", 1);
		ind = bf_backend(&st, "feature-max-indirect-segments", 0);
		want_ind = ind > 11 ? MIN(ind, (unsigned long)BLK_MAX_SEGS) : 0;
		printk("pvkit: blkfront %s vdev=%lu backend offers: max-ring-page-order=%lu "
		       "multi-queue-max-queues=%lu feature-max-indirect-segments=%lu "
		       "feature-persistent=%lu feature-flush-cache=%lu feature-barrier=%lu "
		       "feature-discard=%lu discard-secure=%lu sector-size=%lu\n", name, vdev,
		       order, mq, ind, bf_backend(&st, "feature-persistent", 0),
		       bf_backend(&st, "feature-flush-cache", 0),
		       bf_backend(&st, "feature-barrier", 0), bf_backend(&st, "feature-discard", 0),
		       bf_backend(&st, "discard-secure", 0), bf_backend(&st, "sector-size", 512));
		ST_CHECK(st.ring_pages == 1u << MIN(order, 4ul), "%s: %u ring pages, offered "
			 "order %lu", name, st.ring_pages, order);
		ST_CHECK(st.queues == MAX(1ul, MIN(mq, 4ul)), "%s: %u queues, offered %lu", name,
			 st.queues, mq);
		ST_CHECK(st.indirect_segs == want_ind, "%s: indirect %u, offered %lu", name,
			 st.indirect_segs, ind);
		ST_CHECK(st.persistent == (bf_backend(&st, "feature-persistent", 0) != 0),
			 "%s: persistent %d", name, st.persistent);
		ST_CHECK(dev->features.flush == (bf_backend(&st, "feature-flush-cache", 0) != 0) &&
			 dev->features.barrier == (bf_backend(&st, "feature-barrier", 0) != 0) &&
			 dev->features.discard == (bf_backend(&st, "feature-discard", 0) != 0),
			 "%s: flush/barrier/discard %d/%d/%d", name, dev->features.flush,
			 dev->features.barrier, dev->features.discard);
		ST_CHECK(dev->sectors == bf_backend(&st, "sectors", 0) &&
			 dev->sector_size == bf_backend(&st, "sector-size", 512),
			 "%s: %lu sectors of %u", name, dev->sectors, dev->sector_size);
		ST_CHECK(!bf_check_layout(&st), "%s: published keys do not match %u queues of %u "
			 "pages", name, st.queues, st.ring_pages);
		disks++;
	}
	printk("#   %u disks negotiated what their backends offered\n", disks);
	return 0;
}

/* ---- the vbds the command line describes; any other is only read ------------------------ */

/* Sectors [@lba, @lba + @n) (n <= IO_PAGES * 8, both multiples of 8) read whole, in requests
 * as large as the disk takes, then again in three pieces (1 logical sector, 7, the rest) at
 * other places in the pages: the same md5. */
static int bf_read_twice(struct blkdev *dev, uint64_t lba, uint32_t n)
{
	uint32_t done = 0, len, per = dev->sector_size / 512;
	uint8_t whole[16], pieces[16];
	struct md5_ctx c;
	int err = bf_io_run(dev, BLK_READ, lba, n, false);

	ST_CHECK(!err, "%s: reading %u sectors at %lu: %d", dev->name, n, lba, err);
	md5_init(&c);
	for (uint32_t i = 0; i < n; i++)
		md5_update(&c, bf_io_sector(i), 512);
	md5_final(&c, whole);
	md5_init(&c);
	for (unsigned int k = 0; done < n; k++, done += len) {
		len = k == 0 ? per : k == 1 ? MIN(7 * per, n - done) : n - done;
		for (uint32_t i = 0; i < len; i++)
			memset(bf_io_sector(i), 0xa5, 512);
		err = bf_io_run(dev, BLK_READ, lba + done, len, false);
		ST_CHECK(!err, "%s: reading %u sectors at %lu: %d", dev->name, len, lba + done,
			 err);
		for (uint32_t i = 0; i < len; i++)
			md5_update(&c, bf_io_sector(i), 512);
	}
	md5_final(&c, pieces);
	ST_CHECK(!memcmp(whole, pieces, 16), "%s: two reads of sectors %lu-%lu differ", dev->name,
		 lba, lba + n - 1);
	return 0;
}

/* ---- requests in flight at once ----------------------------------------------------------- */

#define FLIGHT_MAX	MAX(PAR_READS, QD_MAX)

/*
 * A batch of requests in flight at once (bf_par_reads, test_queue_depth): each request and
 * its completion. Static, so that one completing after a timeout lands in live memory; after a
 * timeout no batch runs again (the driver may still hold those requests and their pages, which
 * are then never freed).
 */
static struct bf_flight {
	struct blk_request rq;		/* set by the caller, but for done and ctx */
	volatile int status;		/* its completion's, 1 while in flight */
	volatile unsigned int calls;	/* done() calls in this batch: must end up exactly 1 */
} flight[FLIGHT_MAX];
static volatile unsigned int flight_done;	/* completions in this batch */
static bool flight_stale;		/* a batch timed out */

static void bf_flight_done(struct blk_request *rq, int status)
{
	struct bf_flight *f = rq->ctx;

	f->status = status;
	f->calls++;
	flight_done++;
}

static bool bf_flight_reached(void *ctx)
{
	return flight_done >= *(unsigned int *)ctx;
}

/*
 * flight[0..@k) (@what: "read", "write"), submitted back to back with interrupts off (no
 * completion can free a slot or a page between them): each must be accepted, then each
 * completes exactly once, with 0.
 */
static int bf_flight_run(struct blkdev *dev, unsigned int k, const char *what)
{
	unsigned int n = 0, bad = 0;
	unsigned long fl;
	int err = 0;

	ST_CHECK(!flight_stale, "%s: %u %ss at once after a batch that timed out", dev->name, k,
		 what);
	ST_CHECK(k <= FLIGHT_MAX, "%s: %u %ss at once, more than %u", dev->name, k, what,
		 FLIGHT_MAX);
	flight_done = 0;
	fl = pv_irq_save();
	for (; n < k && !err; n++) {
		struct bf_flight *f = &flight[n];

		f->rq.done = bf_flight_done;
		f->rq.ctx = f;
		f->status = 1;
		f->calls = 0;
		err = blkdev_submit(dev, &f->rq);
	}
	pv_irq_restore(fl);
	if (err)
		n--;
	if (os_wait_until(bf_flight_reached, &n, IO_TIMEOUT)) {
		flight_stale = true;
		ST_CHECK(false, "%s: %u of %u %ss completed", dev->name, flight_done, n, what);
	}
	ST_CHECK(!err, "%s: %s %u of %u in flight at once refused: %d", dev->name, what, n + 1,
		 k, err);
	for (unsigned int i = 0; i < n; i++) {
		bad += flight[i].calls != 1;
		ST_CHECK(!flight[i].status, "%s: %s %u: %d", dev->name, what, i, flight[i].status);
	}
	ST_CHECK(!bad, "%s: %u %ss completed other than once", dev->name, bad, what);
	ST_CHECK(flight_done == n, "%s: %u completions for %u %ss", dev->name, flight_done, n,
		 what);
	return 0;
}

/* A bf_par_reads read's page. */
static uint64_t par_frame[PAR_READS];

/*
 * @k one-page reads from sector 0 on, all in flight at once: each accepted, completed exactly
 * once, with what one read of the same sectors (io's pages, read by the caller) gave; together
 * they went over every ring (blkfront takes rings round robin).
 */
static int bf_par_reads(struct blkdev *dev, unsigned int k)
{
	struct blkfront_stats st0, st1;
	int err;

	blkfront_get_stats(dev, &st0);
	for (unsigned int i = 0; i < k; i++) {
		struct blk_request *rq = &flight[i].rq;

		memset(rq, 0, offsetof(struct blk_request, segs));
		rq->op = BLK_READ;
		rq->sector = i * 8ull;
		rq->nr_sectors = 8;
		rq->nr_segs = 1;
		rq->segs[0] = (struct blk_seg){ par_frame[i], 0, PAGE_SIZE };
	}
	err = bf_flight_run(dev, k, "read");
	if (err)
		return err;
	for (unsigned int i = 0; i < k; i++)
		ST_CHECK(!memcmp(phys_to_virt(par_frame[i]), bf_io_sector(i * 8), PAGE_SIZE),
			 "%s: read %u (sector %u) brought other data than one read", dev->name, i,
			 i * 8);
	blkfront_get_stats(dev, &st1);
	ST_CHECK(st1.max_in_flight >= k, "%s: at most %lu in flight", dev->name,
		 st1.max_in_flight);
	for (unsigned int q = 0; q < st1.queues; q++)
		ST_CHECK(st1.submitted[q] > st0.submitted[q], "%s: ring %u carried none of %u "
			 "reads", dev->name, q, k);
	return 0;
}

/*
 * Read-only checks on a vbd the command line does not describe (io's pages allocated): @n
 * sectors at each end read twice, cut differently, agree; reads at and across the end are
 * refused before the backend, a malformed request by blkfront (no ring carried them); blkback's
 * own error for a read past its end fails that request only; reads in flight at once over
 * every ring. Nothing here writes.
 */
static int bf_undescribed_checks(struct blkdev *dev, uint32_t n)
{
	struct blkfront_stats st, st0, st1;
	struct blk_request *rq = &io.rq;
	uint64_t real = dev->sectors;
	unsigned int k;
	int err, err2;

	err = bf_read_twice(dev, 0, n);
	if (!err)
		err = bf_read_twice(dev, real - n, n);
	if (err)
		return err;
	/* Past the end, or malformed: refused before any ring. Two pages, so that a read across
	 * the end is aligned on a 4 KiB-sector disk too. */
	blkfront_get_stats(dev, &st0);
	memset(rq, 0, offsetof(struct blk_request, segs));
	rq->op = BLK_READ;
	rq->nr_sectors = 16;
	rq->nr_segs = 2;
	rq->segs[0] = (struct blk_seg){ io.frames[0], 0, PAGE_SIZE };
	rq->segs[1] = (struct blk_seg){ io.frames[1], 0, PAGE_SIZE };
	rq->done = bf_io_done;
	rq->sector = real;
	ST_CHECK(blkdev_submit(dev, rq) == -ERANGE, "%s: a read at the end was not refused",
		 dev->name);
	rq->sector = real - 8;
	ST_CHECK(blkdev_submit(dev, rq) == -ERANGE, "%s: a read across the end was not refused",
		 dev->name);
	rq->sector = 0;
	rq->nr_segs = dev->max_segs + 1;
	ST_CHECK(dev->ops->submit(dev, rq) == -EINVAL, "%s: blkfront took %u segments",
		 dev->name, dev->max_segs + 1);
	blkfront_get_stats(dev, &st1);
	for (unsigned int q = 0; q < st1.queues; q++)
		ST_CHECK(st1.submitted[q] == st0.submitted[q], "%s: a refused request reached "
			 "ring %u", dev->name, q);
	/* Blkback's own answer to a read past its end (the layer believes the disk larger). */
	dev->sectors = real + 64;
	err = bf_io_run(dev, BLK_READ, real + 8, 8, false);
	dev->sectors = real;
	err2 = bf_io_run(dev, BLK_READ, real - 8, 8, false);
	ST_CHECK(err == -EIO, "%s: a read past blkback's end gave %d, not -EIO", dev->name, err);
	ST_CHECK(!err2, "%s: unusable after the error: %d", dev->name, err2);
	/* Reads in flight at once: as many as the rings and the pool surely take, up to 16. */
	blkfront_get_stats(dev, &st);
	k = MIN(MIN((unsigned int)PAR_READS, st.queues * st.max_in_flight_per_queue),
		st.pool_pages);
	if (real / 8 < k)
		k = (unsigned int)(real / 8);
	if (k < st.queues) {
		printk("#   %s: %lu sectors: too small for a read on every ring\n", dev->name,
		       real);
		return 0;
	}
	err = bf_io_run(dev, BLK_READ, 0, k * 8, false);	/* what one read gives */
	ST_CHECK(!err, "%s: reading the first %u pages: %d", dev->name, k, err);
	for (unsigned int i = 0; i < k; i++)
		if (!par_frame[i] && page_alloc(&par_frame[i]))
			ST_CHECK(false, "no memory for %u reads", k);
	err = bf_par_reads(dev, k);
	if (!err)
		printk("#   %s (ro=%d, %lu sectors): only read: %u KiB at each end read twice "
		       "agree, past-end reads refused or -EIO, %u reads in flight over %u "
		       "ring%s\n", dev->name, dev->readonly, real, n / 2, k, st.queues,
		       st.queues > 1 ? "s" : "");
	return err;
}

/*
 * The vbds pvkit.xen_blk= describes are there with the mode it says (a described one not
 * attached yet, e.g. hot-plugged later, is only mentioned). Any other vbd belongs to whoever
 * attached it: reported with a line, never written by any test here or in test_blk.c, and only
 * read here (bf_undescribed_checks). Finding one is no failure.
 */
static int test_described(const struct boot_info *bi)
{
	char modes[26];
	unsigned int nmodes = selftest_disks_described(bi, modes), vbds = 0;
	bool present[26] = { false };
	int err = 0;

	for (struct blkdev *d = blkdev_first(); d && !err; d = blkdev_next(d)) {
		struct blkfront_stats st;
		uint32_t n = (uint32_t)MIN((uint64_t)IO_PAGES * 8, ALIGN_DOWN(d->sectors / 2, 8));
		char mode = selftest_disk_mode(bi, d);

		if (blkfront_get_stats(d, &st))
			continue;
		vbds++;
		if (mode) {
			present[d->name[3] - 'a'] = true;	/* xvdX: selftest_disk_mode */
			ST_CHECK(mode == (d->readonly ? 'o' : 'w'), "%s (ro=%d): the command line "
				 "says %s", d->name, d->readonly, mode == 'o' ? "ro" : "rw");
			printk("#   %s: described %s\n", d->name, mode == 'o' ? "ro" : "rw");
			continue;
		}
		printk("pvkit: blkfront %s (ro=%d, %lu sectors): not described by %s=: the "
		       "self-tests only read it\n", d->name, d->readonly, d->sectors,
		       selftest_disks_opt(bi));
		if (n < 16) {
			printk("#   %s: %lu sectors: too small to check\n", d->name, d->sectors);
			continue;
		}
		err = bf_io_alloc();
		if (!err)
			err = bf_undescribed_checks(d, n);
		else
			printk("#   no memory to read %s\n", d->name);
		bf_io_free();
	}
	for (unsigned int i = 0; i < nmodes; i++)
		if (modes[i] && !present[i])
			printk("#   xvd%c: described %s, not attached (yet)\n", 'a' + i,
			       modes[i] == 'o' ? "ro" : "rw");
	for (unsigned int i = 0; i < PAR_READS && !flight_stale; i++) {
		if (par_frame[i])
			page_free(par_frame[i]);
		par_frame[i] = 0;
	}
	return err ? err : vbds ? 0 : ST_SKIPPED;
}

/* ---- a read-only disk -------------------------------------------------------------------- */

static int bf_readonly_one(struct blkdev *dev)
{
	static uint8_t first[512];
	struct blkfront_stats before, after;
	struct md5_ctx c;
	uint8_t digest[16];
	char hex[33];
	int err = 0;

	md5_init(&c);
	for (uint64_t s = 0; s < dev->sectors; s += IO_PAGES * 8) {
		uint32_t n = (uint32_t)MIN(dev->sectors - s, (uint64_t)IO_PAGES * 8);

		err = bf_io_run(dev, BLK_READ, s, n, false);
		BF_CHECK(!err, "%s: read at %lu: %d", dev->name, s, err);
		if (!s)
			memcpy(first, bf_io_sector(0), 512);
		for (uint32_t i = 0; i < n; i++)
			md5_update(&c, bf_io_sector(i), 512);
	}
	md5_final(&c, digest);
	md5_hex(digest, hex);
	printk("pvkit: blkfront %s read-only md5=%s sectors=%lu\n", dev->name, hex, dev->sectors);
	if (!memcmp(first, RO_LABEL, strlen(RO_LABEL)))
		printk("#   %s: sector 0 has the label dom0 wrote\n", dev->name);
	/* Past every check of ours: blkback must refuse it (BLKIF_RSP_ERROR -> -EIO). */
	blkfront_get_stats(dev, &before);
	memset(bf_io_sector(0), 0xa5, 512);
	err = bf_io_run(dev, BLK_WRITE, 0, 1, true);
	blkfront_get_stats(dev, &after);
	BF_CHECK(err == -EIO, "%s: a write sent to the backend gave %d, not -EIO", dev->name, err);
	BF_CHECK(after.failed == before.failed + 1, "%s: failed %lu -> %lu", dev->name,
		 before.failed, after.failed);
	err = bf_io_run(dev, BLK_READ, 0, 1, false);
	BF_CHECK(!err && !memcmp(bf_io_sector(0), first, 512),
		 "%s: sector 0 changed or unreadable after the refused write (%d)", dev->name, err);
	err = bf_io_run(dev, BLK_WRITE, 0, 1, false);
	BF_CHECK(err == -EROFS, "%s: the block layer let a write through: %d", dev->name, err);
	printk("#   %s: blkback refused the write (-EIO), the layer says -EROFS, reads go on\n",
	       dev->name);
	err = 0;
out:
	return err;
}

static int test_readonly(const struct boot_info *bi)
{
	struct blkfront_stats st;
	unsigned int disks = 0;
	int err = bf_io_alloc();

	ST_CHECK(!err, "no memory");
	for (struct blkdev *d = blkdev_first(); d && !err; d = blkdev_next(d)) {
		/* Described read-only: an undescribed disk gets no write, not even a refused one,
		 * and is not read whole. */
		if (!d->readonly || blkfront_get_stats(d, &st) || selftest_disk_mode(bi, d) != 'o')
			continue;
		disks++;
		err = bf_readonly_one(d);
	}
	bf_io_free();
	return err ? err : disks ? 0 : ST_SKIPPED;
}

/* ---- flush, barrier, discard ------------------------------------------------------------- */

/* The first vbd the command line describes as writable (selftest.h): the tests below write. */
static struct blkdev *bf_first_writable(const struct boot_info *bi)
{
	struct blkfront_stats st;

	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d))
		if (!d->readonly && !blkfront_get_stats(d, &st) && d->sectors >= 4 * IO_PAGES * 8 &&
		    selftest_disk_mode(bi, d) == 'w')
			return d;
	return NULL;
}

static int test_flush_barrier_discard(const struct boot_info *bi)
{
	static uint8_t saved[SCRATCH_SECTORS * 512];
	struct blkdev *dev = bf_first_writable(bi);
	struct blkfront_stats a, b;
	uint64_t at;
	int err;

	if (!dev)
		return ST_SKIPPED;
	at = ALIGN_DOWN(dev->sectors / 2, 2048);	/* inside the integrity span: restored */
	err = bf_io_alloc();
	BF_CHECK(!err, "no memory");
	err = bf_io_run(dev, BLK_READ, at, SCRATCH_SECTORS, false);
	BF_CHECK(!err, "%s: read: %d", dev->name, err);
	for (uint32_t i = 0; i < SCRATCH_SECTORS; i++)
		memcpy(saved + i * 512, bf_io_sector(i), 512);
	blkfront_get_stats(dev, &a);
	err = blkdev_flush(dev);
	blkfront_get_stats(dev, &b);
	BF_CHECK(!err, "%s: flush: %d", dev->name, err);
	BF_CHECK(dev->features.flush || dev->features.barrier ? b.flushes == a.flushes + 1 :
		 b.flushes_local == a.flushes_local + 1, "%s: the flush went nowhere", dev->name);
	for (uint32_t i = 0; i < 8; i++)
		memset(bf_io_sector(i), 0x5a ^ i, 512);
	err = bf_io_run(dev, BLK_WRITE_BARRIER, at, 8, false);
	BF_CHECK(dev->features.barrier ? !err : err == -EOPNOTSUPP, "%s: barrier: %d",
		 dev->name, err);
	if (!err) {
		err = bf_io_run(dev, BLK_READ, at, 8, false);
		BF_CHECK(!err && bf_io_sector(7)[511] == (0x5a ^ 7), "%s: barrier data", dev->name);
	}
	err = blkdev_discard(dev, at, SCRATCH_SECTORS, false);
	BF_CHECK(dev->features.discard ? !err : err == -EOPNOTSUPP, "%s: discard: %d",
		 dev->name, err);
	if (dev->features.discard_secure)
		BF_CHECK(!blkdev_discard(dev, at, 8, true), "%s: secure discard", dev->name);
	printk("#   %s: flush %s, barrier %s, discard %s\n", dev->name,
	       dev->features.flush ? "on the ring" : dev->features.barrier ? "as a barrier" :
	       "local", dev->features.barrier ? "ok" : "-EOPNOTSUPP",
	       dev->features.discard ? "ok" : "-EOPNOTSUPP");
	for (uint32_t i = 0; i < SCRATCH_SECTORS; i++)	/* put the pattern back */
		memcpy(bf_io_sector(i), saved + i * 512, 512);
	err = bf_io_run(dev, BLK_WRITE, at, SCRATCH_SECTORS, false);
	if (!err)
		err = blkdev_flush(dev);
	BF_CHECK(!err, "%s: restoring: %d", dev->name, err);
	err = bf_io_run(dev, BLK_READ, at, SCRATCH_SECTORS, false);
	BF_CHECK(!err && !memcmp(bf_io_sector(SCRATCH_SECTORS - 1),
				 saved + (SCRATCH_SECTORS - 1) * 512, 512), "%s: restore", dev->name);
out:
	bf_io_free();
	return err;
}

/* ---- queue_depth requests of max_segs in flight at once ----------------------------------- */

/* The pages of queue_depth requests (flight[] holds the requests): the pattern and the disk's
 * own data it overwrites (restored after: the integrity workload's md5 covers the whole
 * 64 MiB disk). */
static struct bf_qd {
	uint64_t data[BLK_MAX_SEGS];	/* the pattern written, then what was read back */
	uint64_t saved[BLK_MAX_SEGS];	/* what the disk held there before */
} qd[QD_MAX];

/* The pattern of sector @sector in request @r: every word names both. */
static void bf_qd_pattern(uint64_t *w, unsigned int r, uint64_t sector)
{
	for (unsigned int j = 0; j < 512 / 8; j++)
		w[j] = ((uint64_t)r << 48) ^ sector ^ ((uint64_t)j << 40) ^ 0x5144000000000000ull;
}

/* One pass: @depth requests of @op, @segs pages each (@saved: the saved pages, else data),
 * from @at on, all in flight at once (bf_flight_run). */
static int bf_qd_pass(struct blkdev *dev, enum blk_op op, bool saved, uint64_t at,
		      unsigned int depth, unsigned int segs)
{
	for (unsigned int n = 0; n < depth; n++) {
		struct blk_request *rq = &flight[n].rq;

		memset(rq, 0, offsetof(struct blk_request, segs));
		rq->op = op;
		rq->sector = at + (uint64_t)n * segs * 8;
		rq->nr_sectors = segs * 8;
		rq->nr_segs = segs;
		for (unsigned int i = 0; i < segs; i++)
			rq->segs[i] = (struct blk_seg){ saved ? qd[n].saved[i] : qd[n].data[i], 0,
							PAGE_SIZE };
	}
	return bf_flight_run(dev, depth, op == BLK_READ ? "read" : "write");
}

static void bf_qd_free(void)
{
	for (unsigned int r = 0; r < QD_MAX && !flight_stale; r++)
		for (unsigned int i = 0; i < BLK_MAX_SEGS; i++) {
			if (qd[r].data[i])
				page_free(qd[r].data[i]);
			if (qd[r].saved[i])
				page_free(qd[r].saved[i]);
			qd[r].data[i] = qd[r].saved[i] = 0;
		}
}

/*
 * blkdev.h's claim: queue_depth requests of max_segs segments in flight at once never see
 * -EBUSY. At the end of the first writable disk: save what is there (queue_depth reads at
 * once), write a pattern naming request and sector (queue_depth writes at once), read it back
 * the same way and compare, write the saved data back. All requests balanced (test_accounting
 * checks the totals and the grants after).
 */
static int test_queue_depth(const struct boot_info *bi)
{
	struct blkdev *dev = bf_first_writable(bi);
	unsigned int depth, segs, got = 0, fit;
	uint64_t at = 0, t0, wr, rd;
	bool saved = false;
	int err = 0;

	if (!dev)
		return ST_SKIPPED;
	depth = dev->queue_depth;
	segs = dev->max_segs;
	ST_CHECK(depth >= 1 && segs >= 1, "%s: queue_depth %u, max_segs %u", dev->name, depth,
		 segs);
	if (depth > QD_MAX) {
		printk("#   %s: queue_depth %u: only %u tried (the test's table)\n", dev->name,
		       depth, QD_MAX);
		depth = QD_MAX;
	}
	fit = (unsigned int)MIN(dev->sectors / (segs * 8ull), (uint64_t)depth);
	if (fit < depth) {
		printk("#   %s: %lu sectors hold %u requests of %u KiB, not %u\n", dev->name,
		       dev->sectors, fit, segs * 4, depth);
		depth = fit;
	}
	ST_CHECK(depth, "%s: %lu sectors: no room for one request", dev->name, dev->sectors);
	/* Pages for all of them, twice (pattern and saved data). */
	for (; got < depth; got++) {
		unsigned int i = 0;

		for (; i < segs; i++)
			if (page_alloc(&qd[got].data[i]) || page_alloc(&qd[got].saved[i]))
				break;
		if (i < segs)
			break;
	}
	/* 2 x 1 MiB per request at most, a few MiB at the depths blkfront gets: a guest of
	 * the Xen cases' size (64 MiB and more) has it, so running short is a failure. */
	BF_CHECK(got == depth, "%s: no memory for %u requests of %u pages (twice): %u obtained",
		 dev->name, depth, segs, got);
	at = ALIGN_DOWN(dev->sectors - (uint64_t)depth * segs * 8, 8);
	err = bf_qd_pass(dev, BLK_READ, true, at, depth, segs);
	BF_CHECK(!err, "%s: saving sectors %lu+: %d", dev->name, at, err);
	saved = true;
	for (unsigned int r = 0; r < depth; r++)
		for (unsigned int s = 0; s < segs * 8; s++)
			bf_qd_pattern((uint64_t *)((uint8_t *)phys_to_virt(qd[r].data[s / 8]) +
						   (s % 8) * 512), r, at + (uint64_t)r * segs * 8 + s);
	t0 = pv_clock_ns();
	err = bf_qd_pass(dev, BLK_WRITE, false, at, depth, segs);
	wr = pv_clock_ns() - t0;
	BF_CHECK(!err, "%s: writing: %d", dev->name, err);
	for (unsigned int r = 0; r < depth; r++)
		for (unsigned int i = 0; i < segs; i++)
			memset(phys_to_virt(qd[r].data[i]), 0xa5, PAGE_SIZE);
	t0 = pv_clock_ns();
	err = bf_qd_pass(dev, BLK_READ, false, at, depth, segs);
	rd = pv_clock_ns() - t0;
	BF_CHECK(!err, "%s: reading back: %d", dev->name, err);
	for (unsigned int r = 0; r < depth; r++)
		for (unsigned int s = 0; s < segs * 8; s++) {
			uint64_t want[64], sector = at + (uint64_t)r * segs * 8 + s;

			bf_qd_pattern(want, r, sector);
			BF_CHECK(!memcmp((uint8_t *)phys_to_virt(qd[r].data[s / 8]) + (s % 8) * 512,
					 want, 512), "%s: request %u, sector %lu read back other "
				 "data", dev->name, r, sector);
		}
	printk("#   %s: queue_depth %u requests of %u segments (%u KiB) in flight at once at "
	       "sector %lu: written in %lu us, read in %lu us, all accepted, data back\n",
	       dev->name, depth, segs, segs * 4, at, wr / 1000, rd / 1000);
out:
	if (saved && !flight_stale) {	/* the disk's data back, whatever failed above */
		int e = bf_qd_pass(dev, BLK_WRITE, true, at, depth, segs);

		if (!e)
			e = blkdev_flush(dev);
		if (e)
			printk("#   %s: restoring sectors %lu+: %d\n", dev->name, at, e);
		err = err ? err : e;
	}
	bf_qd_free();
	return err;
}

/* ---- accounting after all that I/O ---------------------------------------------------- */

static int test_accounting(const struct boot_info *bi)
{
	unsigned int disks = 0;
	struct gnttab_stats gs;

	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d)) {
		struct blkfront_stats st;
		uint64_t sub = 0, done = 0;
		char described;

		if (blkfront_get_stats(d, &st))
			continue;
		described = selftest_disk_mode(bi, d);
		d->ops->poll(d);			/* end what non-persistent I/O used */
		blkfront_get_stats(d, &st);
		for (unsigned int q = 0; q < st.queues; q++) {
			/* What the tests did to a disk the command line did not describe depends
			 * on its size (test_described): its queues are checked there. */
			ST_CHECK(st.submitted[q] || !described, "%s: queue %u carried no request",
				 d->name, q);
			sub += st.submitted[q];
			done += st.completed[q];
		}
		ST_CHECK(sub == done, "%s: %lu submitted, %lu completed", d->name, sub, done);
		ST_CHECK(!st.bad_id && !st.not_in_flight && !st.bad_op && !st.bad_status &&
			 !st.ring_errors && !st.broken, "%s: blkback's responses rejected",
			 d->name);
		ST_CHECK(!st.timeouts && !st.late_responses, "%s: %lu requests timed out, %lu "
			 "answers came late", d->name, st.timeouts, st.late_responses);
		ST_CHECK(!st.indirect_segs || !described || st.indirect, "%s: no indirect request",
			 d->name);
		/* The integrity workload reads up to 1 MiB at once: those reads went in parts. */
		ST_CHECK(!st.split_pages || described != 'w' || d->readonly || st.split,
			 "%s: no read was cut into parts of %u pages", d->name, st.split_pages);
		/* Persistent: the pool granted once, for good. Otherwise each request's pages
		 * granted for it and revoked at its completion: none left granted now. */
		if (st.persistent)
			ST_CHECK(!st.grant_ends && st.grants == st.pool_pages &&
				 st.granted_now == st.pool_pages, "%s: persistent, yet %lu grants "
				 "ended, %u of %u pages granted", d->name, st.grant_ends,
				 st.granted_now, st.pool_pages);
		else
			ST_CHECK(st.grant_ends && st.grants == st.grant_ends && !st.granted_now &&
				 !st.grant_errors, "%s: %lu granted, %lu revoked, %u pages granted "
				 "now, %lu errors", d->name, st.grants, st.grant_ends,
				 st.granted_now, st.grant_errors);
		ST_CHECK(!st.grant_deferred, "%s: blkback mapped %lu pages past their answer",
			 d->name, st.grant_deferred);
		printk("#   %s: %lu requests (%lu direct, %lu indirect, %lu flush) over %u queues "
		       "of %u slots, %lu in flight at most, %lu MiB copied, grants %lu made / %lu "
		       "ended, queue depth %u\n", d->name, sub, st.direct, st.indirect, st.flushes,
		       st.queues, st.ring_size, st.max_in_flight, st.bytes_copied >> 20, st.grants,
		       st.grant_ends, d->queue_depth);
		disks++;
	}
	gnttab_get_stats(&gs);
	ST_CHECK(!gnttab_verify(), "grant bookkeeping inconsistent");
	return disks ? 0 : ST_SKIPPED;
}

/* ---- throughput and latency -------------------------------------------------------------- */

static void bf_sort_u64(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++)			/* insertion sort: n is small */
		for (unsigned int j = i; j && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
}

static int test_perf(const struct boot_info *bi)
{
	static uint64_t lat[LAT_SAMPLES];
	struct blkdev *dev = bf_first_writable(bi);
	uint64_t span, t0, rd, wr;
	int err;

	if (!dev)
		return ST_SKIPPED;
	span = MIN((uint64_t)PERF_BYTES / 512, ALIGN_DOWN(dev->sectors, IO_PAGES * 8));
	err = bf_io_alloc();
	BF_CHECK(!err, "no memory");
	/* 1 MiB requests one at a time; each read is written back as it was (data kept). */
	rd = wr = 0;
	for (uint64_t s = 0; s < span && !err; s += IO_PAGES * 8) {
		t0 = pv_clock_ns();
		err = bf_io_run(dev, BLK_READ, s, IO_PAGES * 8, false);
		rd += pv_clock_ns() - t0;
		t0 = pv_clock_ns();
		if (!err)
			err = bf_io_run(dev, BLK_WRITE, s, IO_PAGES * 8, false);
		wr += pv_clock_ns() - t0;
	}
	BF_CHECK(!err, "%s: %d", dev->name, err);
	for (unsigned int i = 0; i < LAT_SAMPLES && !err; i++) {
		t0 = pv_clock_ns();
		err = bf_io_run(dev, BLK_READ, (i * 7919ull * 8) % span, 8, false);
		lat[i] = pv_clock_ns() - t0;
	}
	BF_CHECK(!err, "%s: %d", dev->name, err);
	bf_sort_u64(lat, LAT_SAMPLES);
	printk("pvkit: blkfront %s perf read_MBps=%lu write_MBps=%lu span_MiB=%lu "
	       "read4k_us min=%lu median=%lu p90=%lu max=%lu\n", dev->name,
	       span * 512 * 1000 / MAX(rd, 1ul), span * 512 * 1000 / MAX(wr, 1ul), span >> 11,
	       lat[0] / 1000, lat[LAT_SAMPLES / 2] / 1000, lat[LAT_SAMPLES * 9 / 10] / 1000,
	       lat[LAT_SAMPLES - 1] / 1000);
out:
	bf_io_free();
	return err;
}

static const struct selftest blkfront_tests[] = {
	{ test_negotiated, "blkfront: each vbd negotiated exactly what its backend offers",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_described, "blkfront: vbds as pvkit.xen_blk= describes them; any other only read",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_readonly, "blkfront: read-only disk reads dom0's image; blkback refuses a write",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_flush_barrier_discard, "blkfront: flush, barrier and discard on blkback",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_queue_depth, "blkfront: queue_depth requests of max_segs in flight, none refused",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_accounting, "blkfront: every ring used, no response rejected, grants balanced",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_perf, "blkfront: throughput and latency (measured)", ST_XEN_PV | ST_XEN_PVH },
};
SELFTEST_TABLE(75, blkfront_tests);
