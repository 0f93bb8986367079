/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The block-device layer (drivers/core/blkdev.c), shared by every disk driver (Xen blkfront, native
 * virtio-blk): asynchronous requests with a completion callback, synchronous helpers on top,
 * and a registry of disks by name (xvda..., vda...).
 *
 * A request describes up to BLK_MAX_SEGS page-sized pieces of memory (physical frames the
 * caller owns, e.g. from page_alloc) and a sector range. Drivers complete every request they
 * accepted exactly once, with 0 or -errno (-EIO for a failed transfer, -EROFS for a write to
 * a read-only disk, -ENODEV once the device is gone); a failed request fails alone.
 */
#ifndef PVKIT_BLKDEV_H
#define PVKIT_BLKDEV_H

#include <pvkit/types.h>

#define BLK_MAX_SEGS	256		/**< pieces per request: 1 MiB of 4 KiB pages */
#define BLK_NAME_MAX	16		/**< a disk's name, NUL included */

/** What a request does. */
enum blk_op {
	BLK_READ,			/**< read the sectors into the segments */
	BLK_WRITE,			/**< write the segments to the sectors */
	BLK_FLUSH,			/**< make earlier completed writes durable */
	BLK_WRITE_BARRIER,		/**< a write ordered after everything before it, durable */
	BLK_DISCARD,			/**< the range's contents may be dropped */
	BLK_DISCARD_SECURE,		/**< ... and must not be recoverable */
};

/** One piece of a request's memory, inside one page. */
struct blk_seg {
	uint64_t pa;			/**< physical address of the data (RAM we own) */
	uint32_t offset;		/**< byte offset in that page */
	uint32_t len;			/**< bytes; offset + len <= 4096, a multiple of 512 */
};

struct blk_request;
/** A request's completion: once, from interrupt or poll context; @p status 0 or -errno. */
typedef void (*blk_done_fn)(struct blk_request *rq, int status);

/** An asynchronous block request. The caller owns the storage until done runs. */
struct blk_request {
	enum blk_op op;			/**< what to do */
	uint64_t sector;		/**< first 512-byte sector (not the device's sector size) */
	uint32_t nr_sectors;		/**< 512-byte sectors (reads/writes: sum of the seg lens;
					 * times 512 only in 64 bits: 2^23 sectors are 4 GiB) */
	uint32_t nr_segs;		/**< entries used in segs (0 for flush and discard) */
	struct blk_seg segs[BLK_MAX_SEGS];	/**< the memory, in order */
	blk_done_fn done;		/**< called once, from interrupt or poll context */
	void *ctx;			/**< for the caller */
	/* Owned by the driver while the request is in flight: */
	struct blk_request *next;	/**< driver queues */
	void *driver_priv;		/**< e.g. the ring slot */
	uint32_t driver_parts;		/**< blkfront: its ring requests still in flight */
	int driver_status;		/**< blkfront: the first error of any of them */
};

struct blkdev;

/** A disk driver's operations. */
struct blkdev_ops {
	/** Queue @p rq; -EBUSY when the device is full (retry after a completion), -ENODEV once
	 * gone, -EINVAL for a malformed request, -EROFS / -EOPNOTSUPP as applicable. A request
	 * accepted (0) is completed later through rq->done. */
	int (*submit)(struct blkdev *dev, struct blk_request *rq);
	/** Make progress without an interrupt (completions a lost event left behind). */
	void (*poll)(struct blkdev *dev);
};

/** What a disk offers, as negotiated with its backend (Xen) or device (virtio). */
struct blkdev_features {
	uint32_t ring_pages;		/**< Xen: shared ring pages per queue */
	uint32_t indirect_segs;		/**< Xen: segments per indirect request (0: none) */
	bool persistent;		/**< Xen: persistent grants */
	uint32_t queues;		/**< hardware queues / rings */
	/** @{ */
	bool flush, barrier;		/**< cache flush, ordered write barrier */
	/** @} */
	/** @{ */
	bool discard, discard_secure;	/**< discard supported (securely) */
	/** @} */
	uint32_t discard_granularity;	/**< bytes, 0 if unknown */
	uint32_t discard_alignment;	/**< bytes */
};

/** A disk, as its driver registers it. */
struct blkdev {
	char name[BLK_NAME_MAX];	/**< "xvda", "vda" */
	uint64_t sectors;		/**< capacity in 512-byte sectors */
	uint32_t sector_size;		/**< logical sector size in bytes (512, 4096) */
	uint32_t physical_sector_size;	/**< bytes */
	bool readonly;			/**< writes are refused with -EROFS */
	/** Segments per request the driver takes (<= BLK_MAX_SEGS). It and queue_depth may
	 * change while the disk lives (a Xen disk renegotiates with a new backend after a
	 * resume or migration): read them for each request; one accepted before a change is
	 * still completed (the driver splits it as it must). */
	uint32_t max_segs;
	uint32_t queue_depth;		/**< requests of any size up to max_segs a caller may keep
					 * in flight and never see -EBUSY; smaller ones may
					 * go beyond it while slots and pages last */
	struct blkdev_features features;	/**< what was negotiated */
	const struct blkdev_ops *ops;	/**< the driver's operations */
	void *priv;			/**< the driver's */
	bool gone;			/**< the device went away: every request fails -ENODEV */
	struct blkdev *next;		/**< registry, owned by drivers/core/blkdev.c */
};

/**
 * blkdev_register() - add a disk (its driver filled name, geometry, ops) and print its line.
 * @param dev the disk; it lives until blkdev_unregister().
 * @return 0, -EINVAL (no submit, no name, a sector size not a multiple of 512, max_segs 0 or
 *         above BLK_MAX_SEGS), -EEXIST (the name is taken).
 */
int blkdev_register(struct blkdev *dev);

/**
 * blkdev_unregister() - the device went away: refuse new requests (-ENODEV); the driver
 * fails what is in flight.
 * @param dev the disk.
 */
void blkdev_unregister(struct blkdev *dev);

/**
 * blkdev_find() - a disk by name.
 * @param name "xvda", "vda"...
 * @return the disk, or NULL.
 */
struct blkdev *blkdev_find(const char *name);

/**
 * blkdev_first() - the first registered disk, in registration order.
 * @return the disk, or NULL when there is none.
 */
struct blkdev *blkdev_first(void);

/**
 * blkdev_next() - the disk registered after @p dev.
 * @param dev a registered disk.
 * @return the next disk, or NULL.
 */
struct blkdev *blkdev_next(struct blkdev *dev);

/**
 * blkdev_submit() - check @p rq against @p dev (ranges, alignment, segments), then hand it
 * to the driver. Everything a driver may rely on is checked here once.
 * @param dev the disk.
 * @param rq  the request, with done set.
 * @return 0 (accepted: rq->done runs later), or -errno as blkdev_ops.submit (-EINVAL for a
 *         malformed request, -ERANGE off the disk, -ENODEV once gone).
 */
int blkdev_submit(struct blkdev *dev, struct blk_request *rq);

/**
 * @name Synchronous helpers
 * They build requests from a contiguous kernel buffer and wait (bounded by
 * BLK_SYNC_TIMEOUT_NS) for completion. A range that runs off the disk is -ERANGE before any
 * request is sent. One synchronous request exists: after a timeout, the helpers return
 * -EBUSY until the driver has completed it.
 */
/** @{ */
/** How long a synchronous helper waits for its request to be accepted, and again to complete. */
#define BLK_SYNC_TIMEOUT_NS	(30ull * 1000000000)

/**
 * blkdev_read() - read sectors into a buffer.
 * @param dev        the disk.
 * @param sector     the first 512-byte sector.
 * @param buf        the buffer, 512-byte aligned.
 * @param nr_sectors 512-byte sectors.
 * @return 0, -ERANGE, -EINVAL (buffer not aligned), -EFAULT (buffer not mapped), -EBUSY,
 *         -ETIMEDOUT, or the request's -errno.
 */
int blkdev_read(struct blkdev *dev, uint64_t sector, void *buf, uint32_t nr_sectors);

/**
 * blkdev_write() - write a buffer to sectors.
 * @param dev        the disk.
 * @param sector     the first 512-byte sector.
 * @param buf        the buffer, 512-byte aligned.
 * @param nr_sectors 512-byte sectors.
 * @return 0, -ERANGE, -EINVAL, -EFAULT, -EBUSY, -ETIMEDOUT, or the request's -errno.
 */
int blkdev_write(struct blkdev *dev, uint64_t sector, const void *buf, uint32_t nr_sectors);

/**
 * blkdev_flush() - make completed writes durable.
 * @param dev the disk.
 * @return 0, -EBUSY, -ETIMEDOUT, or the request's -errno.
 */
int blkdev_flush(struct blkdev *dev);

/**
 * blkdev_discard() - let the disk drop a range's contents.
 * @param dev        the disk.
 * @param sector     the first 512-byte sector.
 * @param nr_sectors 512-byte sectors.
 * @param secure     they must not be recoverable.
 * @return 0, -EBUSY, -ETIMEDOUT, or the request's -errno.
 */
int blkdev_discard(struct blkdev *dev, uint64_t sector, uint32_t nr_sectors, bool secure);
/** @} */

#endif /* PVKIT_BLKDEV_H */
