// SPDX-License-Identifier: MIT
/*
 * The block-device layer (include/pvkit/blkdev.h): a registry of disks, request validation
 * before any driver sees a request, and synchronous helpers that split a buffer into
 * page-sized segments and wait (bounded) for the completion.
 */
#include <pvkit/blkdev.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <string.h>

static struct blkdev *blkdevs;		/* registered disks, in registration order */

int blkdev_register(struct blkdev *dev)
{
	struct blkdev **pp = &blkdevs;
	const struct blkdev_features *f = &dev->features;

	if (!dev->ops || !dev->ops->submit || !dev->name[0] || !dev->sector_size ||
	    dev->sector_size % 512 || !dev->max_segs || dev->max_segs > BLK_MAX_SEGS)
		return -EINVAL;
	if (blkdev_find(dev->name))
		return -EEXIST;
	while (*pp)
		pp = &(*pp)->next;
	dev->next = NULL;
	dev->gone = false;
	*pp = dev;
	printk("pvkit: blk %s sectors=%lu sector-size=%u ro=%d features: ring-pages=%u "
	       "indirect=%u persistent=%d queues=%u flush=%d barrier=%d discard=%d\n",
	       dev->name, dev->sectors, dev->sector_size, dev->readonly, f->ring_pages,
	       f->indirect_segs, f->persistent, f->queues, f->flush, f->barrier, f->discard);
	return 0;
}

void blkdev_unregister(struct blkdev *dev)
{
	for (struct blkdev **pp = &blkdevs; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	dev->gone = true;
	dev->next = NULL;
	printk("pvkit: blk %s removed\n", dev->name);
}

struct blkdev *blkdev_find(const char *name)
{
	for (struct blkdev *d = blkdevs; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

struct blkdev *blkdev_first(void)
{
	return blkdevs;
}

struct blkdev *blkdev_next(struct blkdev *dev)
{
	return dev->next;
}

/*
 * Does [sector, sector + nr_sectors) lie on @dev? Written as a difference, so that no sum can
 * wrap: a sector near 2^64 is refused, never taken for a small one.
 */
static bool blkdev_in_range(const struct blkdev *dev, uint64_t sector, uint64_t nr_sectors)
{
	return sector < dev->sectors && nr_sectors <= dev->sectors - sector;
}

/*
 * Everything a driver may rely on, checked once here. Sizes in bytes are 64-bit: a 32-bit
 * nr_sectors * 512 wraps from 2^23 sectors (4 GiB) on, and a request whose count disagrees
 * with its segments would pass on a disk that large.
 */
static int blkdev_check(const struct blkdev *dev, const struct blk_request *rq)
{
	uint64_t bytes = 0;
	uint32_t per_sector = dev->sector_size / 512;

	if (dev->gone)
		return -ENODEV;
	if (!rq->done)
		return -EINVAL;
	switch (rq->op) {
	case BLK_FLUSH:
		return rq->nr_segs || rq->nr_sectors ? -EINVAL : 0;
	case BLK_DISCARD:
	case BLK_DISCARD_SECURE:
		if (rq->nr_segs || !rq->nr_sectors)
			return -EINVAL;
		if (dev->readonly)
			return -EROFS;
		break;
	case BLK_WRITE:
	case BLK_WRITE_BARRIER:
		if (dev->readonly)
			return -EROFS;
		/* fall through */
	case BLK_READ:
		if (!rq->nr_segs || rq->nr_segs > dev->max_segs)
			return -EINVAL;
		for (uint32_t i = 0; i < rq->nr_segs; i++) {
			const struct blk_seg *s = &rq->segs[i];

			/* offset + len in 32 bits would wrap (0xfffff000 + 0x1000 is 0) */
			if (!s->len || s->len % 512 || s->offset % 512 || s->offset >= PAGE_SIZE ||
			    s->len > PAGE_SIZE - s->offset || !IS_ALIGNED(s->pa, PAGE_SIZE))
				return -EINVAL;
			bytes += s->len;
		}
		if (bytes != (uint64_t)rq->nr_sectors * 512)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	/* The device's logical sectors: requests start and end on them. */
	if (rq->sector % per_sector || rq->nr_sectors % per_sector)
		return -EINVAL;
	if (!blkdev_in_range(dev, rq->sector, rq->nr_sectors))
		return -ERANGE;
	return 0;
}

int blkdev_submit(struct blkdev *dev, struct blk_request *rq)
{
	int err = blkdev_check(dev, rq);

	return err ? err : dev->ops->submit(dev, rq);
}

/* --- synchronous helpers -------------------------------------------------------------- */

/*
 * One synchronous request at a time, in static storage: a request the driver still holds
 * after a timeout completes into this state later, never into a dead stack frame; until it
 * does, further synchronous requests are refused with -EBUSY.
 */
static struct {
	volatile bool done;		/* set by the completion */
	volatile int status;
	volatile bool stale;		/* a timed-out request is still in the driver */
	struct blkdev *dev;		/* for the submit retry */
	struct blk_request *rq;
	int submit_err;
} sync_state;

static void blk_sync_done(struct blk_request *rq, int status)
{
	sync_state.status = status;
	barrier();
	sync_state.done = true;
	sync_state.stale = false;
}

/* Called with interrupts off by wait_until. Each wake-up also sweeps the device: a
 * completion whose event was lost is taken at the next interrupt of any kind, not only when
 * the driver's own watchdog or the timeout comes. */
static bool blk_sync_finished(void *ctx)
{
	if (!sync_state.done && sync_state.dev->ops->poll)
		sync_state.dev->ops->poll(sync_state.dev);
	return sync_state.done;
}

/* Called with interrupts off by wait_until: a completion that frees a slot after a -EBUSY
 * stays pending and ends the halt, so no wake-up is lost. */
static bool blk_sync_submitted(void *ctx)
{
	sync_state.submit_err = blkdev_submit(sync_state.dev, sync_state.rq);
	if (sync_state.submit_err == -EBUSY && sync_state.dev->ops->poll)
		sync_state.dev->ops->poll(sync_state.dev);
	return sync_state.submit_err != -EBUSY;
}

/* The physical page behind a kernel address: the window, or a run-time mapping. */
static int blk_buf_pa(const void *va, uint64_t *pa)
{
	return os_vm_lookup((uintptr_t)va, pa);
}

static int blk_sync(struct blkdev *dev, struct blk_request *rq)
{
	if (sync_state.stale)
		return -EBUSY;
	sync_state.done = false;
	sync_state.dev = dev;
	sync_state.rq = rq;
	rq->done = blk_sync_done;
	rq->ctx = NULL;
	if (os_wait_until(blk_sync_submitted, NULL, BLK_SYNC_TIMEOUT_NS))
		return -ETIMEDOUT;		/* never accepted: nothing in flight */
	if (sync_state.submit_err)
		return sync_state.submit_err;
	if (os_wait_until(blk_sync_finished, NULL, BLK_SYNC_TIMEOUT_NS)) {
		sync_state.stale = true;
		printk("pvkit: blk %s: request timed out\n", dev->name);
		return -ETIMEDOUT;
	}
	return sync_state.status;
}

/* With sync_state: the one synchronous request (4 KiB of segments, off the stack). */
static struct blk_request sync_rq;

static int blk_rw(struct blkdev *dev, enum blk_op op, uint64_t sector, const void *buf,
		  uint32_t nr_sectors)
{
	const uint8_t *p = buf;
	int err = 0;

	if (sync_state.stale)			/* the driver still holds sync_rq */
		return -EBUSY;
	/* The whole range first: a transfer running off the end fails before any part of it
	 * is done, not after its first requests wrote. */
	if (nr_sectors && !blkdev_in_range(dev, sector, nr_sectors))
		return dev->gone ? -ENODEV : -ERANGE;
	while (nr_sectors && !err) {
		struct blk_request *rq = &sync_rq;
		uint32_t n = 0;

		memset(rq, 0, offsetof(struct blk_request, segs));
		rq->op = op;
		rq->sector = sector;
		while (n < nr_sectors && rq->nr_segs < dev->max_segs) {
			uintptr_t v = (uintptr_t)p + (uintptr_t)n * 512;
			uint32_t off = v & (PAGE_SIZE - 1);
			uint32_t len = MIN((uint64_t)(PAGE_SIZE - off), (uint64_t)(nr_sectors - n) * 512);
			uint64_t pa;

			if (off % 512)
				return -EINVAL;		/* buffers are sector-aligned */
			err = blk_buf_pa((const void *)(v - off), &pa);
			if (err)
				return -EFAULT;
			rq->segs[rq->nr_segs].pa = pa;
			rq->segs[rq->nr_segs].offset = off;
			rq->segs[rq->nr_segs].len = len;
			rq->nr_segs++;
			n += len / 512;
		}
		rq->nr_sectors = n;
		err = blk_sync(dev, rq);
		sector += n;
		p += (size_t)n * 512;
		nr_sectors -= n;
	}
	return err;
}

int blkdev_read(struct blkdev *dev, uint64_t sector, void *buf, uint32_t nr_sectors)
{
	return blk_rw(dev, BLK_READ, sector, buf, nr_sectors);
}

int blkdev_write(struct blkdev *dev, uint64_t sector, const void *buf, uint32_t nr_sectors)
{
	return blk_rw(dev, BLK_WRITE, sector, buf, nr_sectors);
}

int blkdev_flush(struct blkdev *dev)
{
	if (sync_state.stale)
		return -EBUSY;
	memset(&sync_rq, 0, offsetof(struct blk_request, segs));
	sync_rq.op = BLK_FLUSH;
	return blk_sync(dev, &sync_rq);
}

int blkdev_discard(struct blkdev *dev, uint64_t sector, uint32_t nr_sectors, bool secure)
{
	if (sync_state.stale)
		return -EBUSY;
	memset(&sync_rq, 0, offsetof(struct blk_request, segs));
	sync_rq.op = secure ? BLK_DISCARD_SECURE : BLK_DISCARD;
	sync_rq.sector = sector;
	sync_rq.nr_sectors = nr_sectors;
	return blk_sync(dev, &sync_rq);
}
