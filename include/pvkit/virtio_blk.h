/* SPDX-License-Identifier: MIT */
/**
 * @file
 * virtio-blk (virtio 1.2 §5.2) as a struct blkdev named vda, vdb, ...: the request format,
 * the configuration layout, and the driver's counters for tests and diagnostics. The disk
 * itself is used through include/pvkit/blkdev.h.
 */
#ifndef PVKIT_VIRTIO_BLK_H
#define PVKIT_VIRTIO_BLK_H

#include <pvkit/blkdev.h>
#include <pvkit/types.h>

/** @name Feature bits (§5.2.3) */
/** @{ */
#define VIRTIO_BLK_F_SIZE_MAX		1	/**< size_max: the largest segment */
#define VIRTIO_BLK_F_SEG_MAX		2	/**< seg_max: segments per request */
#define VIRTIO_BLK_F_GEOMETRY		4	/**< legacy disk geometry */
#define VIRTIO_BLK_F_RO			5	/**< the disk is read-only */
#define VIRTIO_BLK_F_BLK_SIZE		6	/**< blk_size: the logical block size */
#define VIRTIO_BLK_F_FLUSH		9	/**< cache flush (VIRTIO_BLK_T_FLUSH) */
#define VIRTIO_BLK_F_TOPOLOGY		10	/**< physical block exponent, alignment */
#define VIRTIO_BLK_F_CONFIG_WCE		11	/**< writeback cache switchable */
#define VIRTIO_BLK_F_MQ			12	/**< num_queues: several request queues */
#define VIRTIO_BLK_F_DISCARD		13	/**< discard */
#define VIRTIO_BLK_F_WRITE_ZEROES	14	/**< write zeroes (not used) */
#define VIRTIO_BLK_F_SECURE_ERASE	16	/**< secure erase */

/** @} */

/** @name struct virtio_blk_config (§5.2.4): field offsets */
/** @{ */
#define VIRTIO_BLK_CFG_CAPACITY		0	/**< le64, 512-byte sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX		8	/**< le32 */
#define VIRTIO_BLK_CFG_SEG_MAX		12	/**< le32 */
#define VIRTIO_BLK_CFG_BLK_SIZE		20	/**< le32 */
#define VIRTIO_BLK_CFG_PHYS_EXP		24	/**< u8: physical block = blk_size << exp */
#define VIRTIO_BLK_CFG_NUM_QUEUES	34	/**< le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD	36	/**< le32 sectors per segment */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG	40	/**< le32 segments per request */
#define VIRTIO_BLK_CFG_DISCARD_ALIGN	44	/**< le32 sectors */
#define VIRTIO_BLK_CFG_MAX_SECURE	60	/**< le32 sectors per segment */
#define VIRTIO_BLK_CFG_MAX_SECURE_SEG	64	/**< le32 */
#define VIRTIO_BLK_CFG_SECURE_ALIGN	68	/**< le32 sectors */

/** @} */

/** @name Request types and status (§5.2.6) */
/** @{ */
#define VIRTIO_BLK_T_IN			0	/**< read */
#define VIRTIO_BLK_T_OUT		1	/**< write */
#define VIRTIO_BLK_T_FLUSH		4	/**< flush */
#define VIRTIO_BLK_T_DISCARD		11	/**< discard */
#define VIRTIO_BLK_T_SECURE_ERASE	14	/**< secure erase */
#define VIRTIO_BLK_S_OK			0	/**< status: done */
#define VIRTIO_BLK_S_IOERR		1	/**< status: I/O error */
#define VIRTIO_BLK_S_UNSUPP		2	/**< status: not supported */

/** @} */

/** The header every request starts with (device-readable). */
struct virtio_blk_outhdr {
	uint32_t type;			/**< VIRTIO_BLK_T_* */
	uint32_t ioprio;		/**< 0 */
	uint64_t sector;		/**< 512-byte units, whatever blk_size is */
};

/** Discard / secure-erase segment. */
struct virtio_blk_dwz {
	uint64_t sector;		/**< first 512-byte sector of the range */
	uint32_t num_sectors;		/**< its length */
	uint32_t flags;			/**< unmap bit: write-zeroes only; 0 here */
};

#define VIRTIO_BLK_MAX_QUEUES	4	/**< request queues per disk we use */
#define VIRTIO_BLK_DISCARD_SEGS	4	/**< discard segments per request we send at most */

/** A disk's counters since it was found: what the tests and the docs look at. */
struct virtio_blk_stats {
	uint32_t queues;		/**< request queues in use */
	uint32_t queue_size;		/**< entries per queue */
	bool indirect;			/**< requests go in indirect tables */
	uint32_t max_discard_sectors;	/**< per segment; 0 without discard */
	uint32_t max_discard_segs;	/**< discard segments per request the device takes */
	uint32_t discard_granularity;	/**< bytes: discards go out as whole extents of this */
	uint64_t discards_trimmed;	/**< discards cut to whole extents */
	uint64_t discards_dropped;	/**< discards with no whole extent: done, not sent */
	uint64_t submitted[VIRTIO_BLK_MAX_QUEUES];	/**< requests handed to each queue */
	uint64_t completed[VIRTIO_BLK_MAX_QUEUES];	/**< requests completed by each */
	uint64_t interrupts[VIRTIO_BLK_MAX_QUEUES];	/**< its MSI-X interrupts */
	uint64_t notifies[VIRTIO_BLK_MAX_QUEUES];	/**< doorbell writes (the device wanted) */
	uint64_t max_in_flight;		/**< the most requests in flight at once, all queues */
	uint64_t bad_status;		/**< status bytes that were none of OK/IOERR/UNSUPP */
	uint64_t bad_used;		/**< used-ring entries rejected (all reasons, all queues) */
};

/**
 * virtio_blk_get_stats() - the counters of a virtio-blk disk.
 * @param dev the disk.
 * @param st  receives them.
 * @return 0, -ENODEV if it is not one.
 */
int virtio_blk_get_stats(struct blkdev *dev, struct virtio_blk_stats *st);

#endif /* PVKIT_VIRTIO_BLK_H */
