// SPDX-License-Identifier: MIT
/*
 * blkfront on real blkback, PV and PVH (docs/blkfront.md): each device/vbd became a disk with
 * exactly what its backend offered; a read-only disk reads the image dom0 wrote and blkback
 * itself refuses a write we let through; flush, barrier and discard; every ring carried
 * requests and nothing leaked; throughput and latency. Runs after the shared integrity
 * workload (test_blk.c, table 70). The "blk" console command the detach and silent-backend
 * cases drive is kernel/block_cmd.c's.
 */
#include <string.h>
#include <pvkit/blkdev.h>
#include <pvkit/errno.h>
#include <pvkit/md5.h>
#include <pvkit/mm.h>
#include <pvkit/pv.h>
#include <pvkit/selftest.h>
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
		if (wait_until(bf_io_finished, NULL, IO_TIMEOUT)) {
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
		if (!d->readonly || blkfront_get_stats(d, &st))
			continue;
		disks++;
		err = bf_readonly_one(d);
	}
	bf_io_free();
	return err ? err : disks ? 0 : ST_SKIPPED;
}

/* ---- flush, barrier, discard ------------------------------------------------------------- */

static struct blkdev *bf_first_writable(void)
{
	struct blkfront_stats st;

	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d))
		if (!d->readonly && !blkfront_get_stats(d, &st) && d->sectors >= 4 * IO_PAGES * 8)
			return d;
	return NULL;
}

static int test_flush_barrier_discard(const struct boot_info *bi)
{
	static uint8_t saved[SCRATCH_SECTORS * 512];
	struct blkdev *dev = bf_first_writable();
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

/* ---- accounting after all that I/O ---------------------------------------------------- */

static int test_accounting(const struct boot_info *bi)
{
	unsigned int disks = 0;
	struct gnttab_stats gs;

	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d)) {
		struct blkfront_stats st;
		uint64_t sub = 0, done = 0;

		if (blkfront_get_stats(d, &st))
			continue;
		d->ops->poll(d);			/* end what non-persistent I/O used */
		blkfront_get_stats(d, &st);
		for (unsigned int q = 0; q < st.queues; q++) {
			ST_CHECK(st.submitted[q], "%s: queue %u carried no request", d->name, q);
			sub += st.submitted[q];
			done += st.completed[q];
		}
		ST_CHECK(sub == done, "%s: %lu submitted, %lu completed", d->name, sub, done);
		ST_CHECK(!st.bad_id && !st.not_in_flight && !st.bad_op && !st.bad_status &&
			 !st.ring_errors && !st.broken, "%s: blkback's responses rejected",
			 d->name);
		ST_CHECK(!st.timeouts && !st.late_responses, "%s: %lu requests timed out, %lu "
			 "answers came late", d->name, st.timeouts, st.late_responses);
		ST_CHECK(!st.indirect_segs || st.indirect, "%s: no indirect request", d->name);
		/* The integrity workload reads up to 1 MiB at once: those reads went in parts. */
		ST_CHECK(!st.split_pages || d->readonly || st.split, "%s: no read was cut into "
			 "parts of %u pages", d->name, st.split_pages);
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
	struct blkdev *dev = bf_first_writable();
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
	{ test_readonly, "blkfront: read-only disk reads dom0's image; blkback refuses a write",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_flush_barrier_discard, "blkfront: flush, barrier and discard on blkback",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_accounting, "blkfront: every ring used, no response rejected, grants balanced",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_perf, "blkfront: throughput and latency (measured)", ST_XEN_PV | ST_XEN_PVH },
};
SELFTEST_TABLE(75, blkfront_tests);
