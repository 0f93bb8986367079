// SPDX-License-Identifier: MIT
/*
 * drivers/core/blkdev.c against a fake driver: request validation (blkdev_submit) and the
 * synchronous helpers, on disks of 4 GiB and more, where sector counts times 512 no longer fit
 * in 32 bits (issue 12, item 1). The fake driver records what reached it and completes at
 * once; buffers are addresses only (the layer never touches the data, the fake vm_lookup
 * gives each page a physical address), so a transfer of 4 GiB needs no 4 GiB of memory.
 */
#include <stdint.h>
#include <string.h>
#include <pvkit/blkdev.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/timer.h>
#include "unit.h"

#define GiB_SECTORS	(1ull << 21)		/* 512-byte sectors in 1 GiB */
#define FAKE_BUF	((void *)0x100000000000ul)	/* below KERNEL_VIRT_BASE: vm_lookup */

/* ---- the kernel services block.c uses -------------------------------------------------- */

/* Called by blk_rw for buffers outside the kernel window: every page is "mapped". */
int os_vm_lookup(uintptr_t va, uint64_t *pa)
{
	*pa = va & 0xffffffffff000ul;
	return 0;
}

/* The driver completes synchronously, so the condition holds at once or never does. */
int os_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns)
{
	for (int i = 0; i < 4; i++)
		if (cond(ctx))
			return 0;
	return -ETIMEDOUT;
}

/* ---- the fake driver --------------------------------------------------------------------- */

static struct {
	unsigned int submits;		/* requests that reached the driver */
	uint64_t sectors;		/* their nr_sectors, summed */
	uint64_t next_sector;		/* where the next one of a sync transfer must start */
	bool consistent;		/* every one: segments sum to nr_sectors * 512 */
} drv;

static int fake_submit(struct blkdev *dev, struct blk_request *rq)
{
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < rq->nr_segs; i++)
		bytes += rq->segs[i].len;
	if (rq->op == BLK_READ || rq->op == BLK_WRITE) {
		if (bytes != (uint64_t)rq->nr_sectors * 512 || rq->sector != drv.next_sector)
			drv.consistent = false;
		drv.next_sector = rq->sector + rq->nr_sectors;
	}
	drv.submits++;
	drv.sectors += rq->nr_sectors;
	rq->done(rq, 0);
	return 0;
}

static const struct blkdev_ops fake_ops = { .submit = fake_submit };

static struct blkdev disk;

/* A registered disk of @sectors 512-byte sectors taking @max_segs pages per request. */
static struct blkdev *disk_new(uint64_t sectors, uint32_t sector_size, uint32_t max_segs)
{
	if (disk.ops)
		blkdev_unregister(&disk);
	memset(&disk, 0, sizeof(disk));
	strcpy(disk.name, "fake0");
	disk.sectors = sectors;
	disk.sector_size = sector_size;
	disk.max_segs = max_segs;
	disk.ops = &fake_ops;
	CHECK(blkdev_register(&disk) == 0);
	memset(&drv, 0, sizeof(drv));
	drv.consistent = true;
	return &disk;
}

static void done_nop(struct blk_request *rq, int status) { }

/* A request with @nsegs whole pages, claiming @nr_sectors. */
static struct blk_request rq;
static struct blk_request *req(enum blk_op op, uint64_t sector, uint32_t nr_sectors,
			       uint32_t nsegs)
{
	memset(&rq, 0, sizeof(rq));
	rq.op = op;
	rq.sector = sector;
	rq.nr_sectors = nr_sectors;
	rq.nr_segs = nsegs;
	for (uint32_t i = 0; i < nsegs; i++)
		rq.segs[i] = (struct blk_seg){ .pa = 0x100000 + i * 4096ull, .offset = 0,
					       .len = 4096 };
	rq.done = done_nop;
	return &rq;
}

/* ---- the cases --------------------------------------------------------------------------- */

/* One 4 KiB segment claiming 8 + k * 2^23 sectors: k * 2^23 * 512 is a multiple of 2^32, so
 * a 32-bit product equals the segments' 4096 bytes. Every such request must be refused, on a
 * disk (2 TiB + 1 GiB) where each of them is in range. */
static void count_wrap_refused(void)
{
	static const uint32_t counts[] = {
		(1u << 23) + 8,				/* 4 GiB + 4 KiB: the first that wraps */
		(2u << 23) + 8,				/* 8 GiB + 4 KiB */
		(511u << 23) + 8,			/* 2 TiB - 4 GiB + 4 KiB: near 2^32 */
		UINT32_MAX - 7,				/* the largest 8-aligned count */
	};
	struct blkdev *d = disk_new((1ull << 32) + GiB_SECTORS, 512, 256);

	for (unsigned int i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		int err = blkdev_submit(d, req(BLK_READ, 0, counts[i], 1));

		CHECKF(err == -EINVAL, "read of 4 KiB claiming %u sectors: %d", counts[i], err);
		err = blkdev_submit(d, req(BLK_WRITE, 8, counts[i], 1));
		CHECKF(err == -EINVAL, "write of 4 KiB claiming %u sectors: %d", counts[i], err);
	}
	/* 256 pages claiming 2^23 + 2048 sectors: 1 MiB of segments, a wrapped 1 MiB count. */
	CHECK(blkdev_submit(d, req(BLK_READ, 0, (1u << 23) + 2048, 256)) == -EINVAL);
	CHECKF(drv.submits == 0, "%u malformed requests reached the driver", drv.submits);
	/* The honest ones go through. */
	CHECK(blkdev_submit(d, req(BLK_READ, 0, 8, 1)) == 0);
	CHECK(blkdev_submit(d, req(BLK_READ, 0, 2048, 256)) == 0);
	CHECK(drv.submits == 2 && drv.sectors == 2056);
}

/* A segment whose offset + len wraps in 32 bits (0xfffff000 + 0x1000 = 0) lies outside its
 * page: refused like any other segment that does not fit. */
static void seg_wrap_refused(void)
{
	struct blkdev *d = disk_new(8 * GiB_SECTORS, 512, 256);
	struct blk_request *r = req(BLK_READ, 0, 8, 1);

	r->segs[0].offset = 0xfffff000u;
	CHECK(blkdev_submit(d, r) == -EINVAL);
	r = req(BLK_WRITE, 0, 16, 2);
	r->segs[1].offset = 0x80000000u;
	r->segs[1].len = 0x80000000u + 4096;	/* wraps to 4096: the sum is 8192 all the same */
	r->nr_sectors = (4096 + 0x80001000ull) / 512;
	CHECK(blkdev_submit(d, r) == -EINVAL);
	r = req(BLK_READ, 0, 8, 1);
	r->segs[0].offset = 4096;		/* just past the page */
	CHECK(blkdev_submit(d, r) == -EINVAL);
	r = req(BLK_READ, 0, 1, 1);
	r->segs[0].offset = 3584;		/* the last sector of the page: fine */
	r->segs[0].len = 512;
	CHECK(blkdev_submit(d, r) == 0);
	CHECKF(drv.submits == 1, "%u requests reached the driver", drv.submits);
}

/* The end of a disk of more than 2^32 sectors: the last sectors are reachable, one past is
 * -ERANGE, and sector + count never wraps into range. */
static void disk_end(void)
{
	uint64_t end = (1ull << 32) + GiB_SECTORS;	/* 2 TiB + 1 GiB */
	struct blkdev *d = disk_new(end, 512, 256);

	CHECK(blkdev_submit(d, req(BLK_READ, end - 8, 8, 1)) == 0);		/* exact end */
	CHECK(blkdev_submit(d, req(BLK_WRITE, end - 2048, 2048, 256)) == 0);
	CHECK(blkdev_submit(d, req(BLK_READ, end - 7, 8, 1)) == -ERANGE);	/* one past */
	CHECK(blkdev_submit(d, req(BLK_READ, end, 8, 1)) == -ERANGE);
	CHECK(blkdev_submit(d, req(BLK_READ, end - 8 + (1ull << 32), 8, 1)) == -ERANGE);
	/* sector + 8 wraps to 0..7: in range if the layer added. */
	CHECK(blkdev_submit(d, req(BLK_READ, UINT64_MAX - 3, 8, 1)) == -ERANGE);
	CHECK(blkdev_submit(d, req(BLK_READ, UINT64_MAX - 7, 8, 1)) == -ERANGE);
	CHECK(blkdev_submit(d, req(BLK_READ, 1ull << 63, 8, 1)) == -ERANGE);
	/* Discards carry only a count: up to 2^32 - 1 sectors, to the exact end and not past. */
	CHECK(blkdev_submit(d, req(BLK_DISCARD, end - (UINT32_MAX - 7), UINT32_MAX - 7, 0)) == 0);
	CHECK(blkdev_submit(d, req(BLK_DISCARD, end - (UINT32_MAX - 8), UINT32_MAX - 7, 0)) ==
	      -ERANGE);
	CHECK(blkdev_submit(d, req(BLK_DISCARD, UINT64_MAX - 8, UINT32_MAX - 7, 0)) == -ERANGE);
	CHECK(blkdev_submit(d, req(BLK_DISCARD, 8, UINT32_MAX - 7, 0)) == 0);
	CHECK(drv.submits == 4);
	/* The same with 4 KiB logical sectors: alignment in 512-byte units, range as above. */
	d = disk_new(end, 4096, 256);
	CHECK(blkdev_submit(d, req(BLK_READ, end - 8, 8, 1)) == 0);
	CHECK(blkdev_submit(d, req(BLK_READ, end - 4, 8, 1)) == -EINVAL);	/* misaligned */
	CHECK(blkdev_submit(d, req(BLK_READ, end, 8, 1)) == -ERANGE);
	CHECK(blkdev_submit(d, req(BLK_READ, UINT64_MAX - 7, 8, 1)) == -ERANGE);
	CHECK(blkdev_submit(d, req(BLK_READ, 0, (1u << 23) + 8, 1)) == -EINVAL);
}

/* blkdev_read/write split a buffer of 2^23 + 8 sectors (4 GiB + 4 KiB) into requests of at
 * most 1 MiB, each consistent, covering the range exactly once. */
static void sync_large(void)
{
	static const uint32_t counts[] = { (1u << 23) + 8, (1u << 23) + 1, (1u << 24) - 1 };
	struct blkdev *d = disk_new(8 * GiB_SECTORS + 16, 512, 256);

	for (unsigned int i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		int err;

		memset(&drv, 0, sizeof(drv));
		drv.consistent = true;
		drv.next_sector = 16;
		err = blkdev_read(d, 16, FAKE_BUF, counts[i]);
		CHECKF(err == 0, "read of %u sectors: %d", counts[i], err);
		CHECKF(drv.sectors == counts[i] && drv.consistent,
		       "read of %u sectors: %lu sectors in %u requests, consistent %d", counts[i],
		       (unsigned long)drv.sectors, drv.submits, drv.consistent);
		CHECK(drv.submits == (counts[i] + 2047) / 2048);
	}
	memset(&drv, 0, sizeof(drv));
	drv.consistent = true;
	drv.next_sector = 8 * GiB_SECTORS + 16 - ((1u << 23) + 8);
	CHECK(blkdev_write(d, drv.next_sector, FAKE_BUF, (1u << 23) + 8) == 0);	/* to the end */
	CHECK(drv.sectors == (1u << 23) + 8 && drv.consistent);
}

/* A transfer that runs off the end (or wraps) is refused before any part of it is sent:
 * before, its first requests were written and only the one crossing the end failed. */
static void sync_range_first(void)
{
	uint64_t end = 8 * GiB_SECTORS + 16;
	struct blkdev *d = disk_new(end, 512, 1);		/* 8 sectors per request */

	CHECK(blkdev_write(d, end - 16, FAKE_BUF, 24) == -ERANGE);
	CHECK(blkdev_read(d, end - 8, FAKE_BUF, 16) == -ERANGE);
	CHECK(blkdev_read(d, UINT64_MAX - 7, FAKE_BUF, 16) == -ERANGE);
	CHECK(blkdev_read(d, 16, FAKE_BUF, UINT32_MAX) == -ERANGE);	/* 2 TiB on 8 GiB */
	CHECKF(drv.submits == 0, "%u requests sent for transfers off the end", drv.submits);
	drv.next_sector = end - 16;
	CHECK(blkdev_read(d, end - 16, FAKE_BUF, 16) == 0);		/* exact end */
	CHECK(drv.submits == 2 && drv.sectors == 16 && drv.consistent);
	CHECK(blkdev_discard(d, end - 8, 16, false) == -ERANGE);
	CHECK(blkdev_discard(d, end - 16, 16, false) == 0);
	/* A gone disk says so, whatever the range. */
	blkdev_unregister(d);
	CHECK(blkdev_read(d, end - 8, FAKE_BUF, 16) == -ENODEV);
	CHECK(blkdev_read(d, 0, FAKE_BUF, 8) == -ENODEV);
	disk.ops = NULL;
}

UNIT_CASES(
	{ count_wrap_refused, "block: counts of 2^23 sectors and more checked in 64 bits" },
	{ seg_wrap_refused, "block: a segment whose offset + len wraps in 32 bits refused" },
	{ disk_end, "block: end of a 2 TiB + 1 GiB disk: exact end ok, one past and wraps -ERANGE" },
	{ sync_large, "block: sync transfers of 4 GiB and more split exactly" },
	{ sync_range_first, "block: sync transfer off the end refused before any request" },
);
