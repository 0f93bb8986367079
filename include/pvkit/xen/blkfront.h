/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Xen virtual block devices: the frontend of the blkif protocol, xen/io/blkif.h, on xenbus
 * (`device/vbd/<id>`). Each disk becomes a struct blkdev named from its virtual-device number
 * (xvda, xvdb, ...) and is used through include/pvkit/blkdev.h; this header is for bring-up,
 * hot-plug, diagnostics and tests. The device itself stays opaque (struct blkfront_dev).
 */
#ifndef PVKIT_XEN_BLKFRONT_H
#define PVKIT_XEN_BLKFRONT_H

#include <pvkit/blkdev.h>
#include <pvkit/bootinfo.h>
#include <pvkit/types.h>
#include <pvkit/xen/xenbus.h>	/* XENBUS_PATH_MAX */

#define BLKFRONT_MAX_DEVS	8	/**< disks at once (hot-plugged ones included) */
#define BLKFRONT_MAX_QUEUES	4	/**< rings per disk we ask for at most (even on 1 vCPU) */
#define BLKFRONT_MAX_RING_ORDER	4	/**< 16 pages a ring: Linux's XENBUS_MAX_RING_GRANT_ORDER */
#define BLKFRONT_POOL_PAGES	576	/**< bounce pages per disk (2.25 MiB): two 1 MiB requests
					 * (queue_depth follows from it: docs/blkfront.md) */
/** Boot: wait this long for the disks. dom0's hotplug scripts run before blkback gets to
 * InitWait; under TCG with a loaded host three disks took more than 10 s (docs/tcg-quirks.md).
 * A disk that connects later still arrives, through the idle loop, like a hot-plugged one. */
#define BLKFRONT_CONNECT_NS	(60ull * 1000000000)
/** After a resume in a new domain: a disk whose new backend is not Connected this long after
 * is given up (its held requests fail with -EIO), as a disk whose backend went away. */
#define BLKFRONT_RECONNECT_NS	(60ull * 1000000000)
/** A request the backend has not answered after this long fails with -ETIMEDOUT; its ring
 * slot and bounce pages stay reserved until the answer comes (the backend may still be
 * using them). Longer than BLK_SYNC_TIMEOUT_NS: the synchronous helpers give up first, and
 * the driver's timeout then frees them for the next request. Linux waits forever.
 * `pvkit.blk_timeout_s=<s>` at boot (BLKFRONT_TIMEOUT_MIN_S..MAX_S) sets it for the disks
 * that connect from then on: the Xen case pv-blk-silent uses 5 s. */
#define BLKFRONT_REQUEST_TIMEOUT_NS	(60ull * 1000000000)
#define BLKFRONT_CMDLINE_TIMEOUT	"pvkit.blk_timeout_s"	/**< the request timeout, seconds */
#define BLKFRONT_TIMEOUT_MIN_S		1	/**< less: a busy TCG host fails good requests */
#define BLKFRONT_TIMEOUT_MAX_S		3600	/**< an hour: beyond that, a hung disk is a hang */
/** Reads larger than this go to the backend as ring requests of this size, in flight together
 * over all rings (Linux's blkfront cuts reads and writes at 32 indirect segments, 128 KiB).
 * Read data goes through bounce pages: a whole 1 MiB read is copied out only once all of it
 * is read; in 8 parts, copy-out and the backend's I/O overlap (docs/benchmarks.md).
 * `pvkit.blk_split_kb=<KiB>` at boot, 0 = never split. */
#define BLKFRONT_SPLIT_KIB	128
#define BLKFRONT_CMDLINE_SPLIT	"pvkit.blk_split_kb"	/**< the read split, KiB */

/** Opaque: the driver's per-disk state. */
struct blkfront_dev;

/**
 * blkfront_init() - watch device/vbd (disks present now and those attached later with
 * `xl block-attach`), connect every disk found, and wait (bounded by BLKFRONT_CONNECT_NS)
 * until each is connected or has failed, so that they exist when the boot goes on. Later
 * changes (attach, detach, backend closing) are handled from the idle loop. Task context.
 * @param bi the boot information: its command line's BLKFRONT_CMDLINE_SPLIT and
 *           BLKFRONT_CMDLINE_TIMEOUT, if any (NULL: defaults).
 * @return 0, or -errno when the watch could not be set up (disks then never appear).
 */
int blkfront_init(const struct boot_info *bi);

/**
 * blkfront_set_split() - cut reads on disks that connect from now on into ring requests of
 * this size (tests, boot option).
 * @param kib KiB, rounded down to pages; 0: never split.
 */
void blkfront_set_split(unsigned int kib);

/**
 * blkfront_set_timeout() - requests of disks that connect from now on time out after
 * @p seconds (tests, boot option).
 * @param seconds the timeout.
 * @return 0; -EINVAL outside BLKFRONT_TIMEOUT_MIN_S..BLKFRONT_TIMEOUT_MAX_S (unchanged).
 */
int blkfront_set_timeout(unsigned long seconds);

/**
 * blkfront_vdev_name() - the guest name of virtual-device number @p vdev, following Xen's
 * docs/misc/vbd-interface.txt: xvd/hd/sd encodings and the extended (1 << 28) one all give
 * `xvd<letters>[<partition>]` (disk 0 = xvda, 26 = xvdaa).
 * @param vdev the virtual-device number.
 * @param name receives the name.
 * @param size the size of @p name.
 * @return 0; -EINVAL for a reserved or meaningless number; -ENAMETOOLONG if @p size is too
 *         small.
 */
int blkfront_vdev_name(uint32_t vdev, char *name, size_t size);

/** Per-disk counters and what was negotiated, for tests, the console and the docs. */
struct blkfront_stats {
	uint32_t vdev;			/**< the virtual-device number */
	char nodename[XENBUS_PATH_MAX];	/**< "device/vbd/51712" (relative to our domain) */
	char backend[XENBUS_PATH_MAX];	/**< the backend's xenstore directory */
	uint32_t queues;		/**< rings in use */
	uint32_t ring_pages;		/**< pages per ring */
	uint32_t ring_size;		/**< request slots per ring */
	uint32_t max_in_flight_per_queue;	/**< requests we put on one ring at most */
	uint32_t pool_pages;		/**< bounce pages (all granted once when persistent) */
	bool persistent;		/**< grants kept for the disk's lifetime */
	uint32_t indirect_segs;		/**< segments per indirect request (0: direct only) */
	uint64_t submitted[BLKFRONT_MAX_QUEUES];	/**< requests put on each ring */
	uint64_t completed[BLKFRONT_MAX_QUEUES];	/**< responses accepted from each ring */
	uint64_t events[BLKFRONT_MAX_QUEUES];	/**< event-channel upcalls per ring */
	uint64_t notifies[BLKFRONT_MAX_QUEUES];	/**< kicks we sent (the backend asked) */
	/** @{ */
	uint64_t direct, indirect;	/**< reads and writes by request form */
	/** @} */
	/** @{ */
	uint64_t flushes, barriers, discards;	/**< requests of those kinds put on a ring */
	/** @} */
	uint64_t flushes_local;		/**< flushes completed at once: no volatile cache */
	uint64_t failed;		/**< requests completed with an error */
	uint64_t failed_in_flight;	/**< of those, failed by a close or a broken ring */
	/** @{ */
	uint64_t grants, grant_ends;	/**< data grants made / revoked (persistent: made once per
					 * pool page, never revoked; else per request) */
	/** @} */
	uint64_t grant_deferred;	/**< revokes the backend held up: page retired, replaced */
	uint64_t grant_errors;		/**< per-request grants gnttab refused (a bug of ours) */
	uint32_t granted_now;		/**< pool pages the backend may map now (not persistent:
					 * those of requests in flight only) */
	uint64_t discards_trimmed;	/**< discards cut to whole discard extents */
	uint64_t discards_dropped;	/**< discards with no whole extent: completed, not sent */
	uint64_t bytes_copied;		/**< through the bounce pages, both ways */
	uint64_t max_in_flight;		/**< most requests in flight at once, all rings */
	/* Responses rejected (docs/blkfront.md, "Hardening"): */
	uint64_t bad_id;		/**< id out of range */
	uint64_t not_in_flight;		/**< id of no request in flight (duplicate, stale) */
	uint64_t bad_op;		/**< operation other than the request's */
	uint64_t bad_status;		/**< status none of OKAY/ERROR/EOPNOTSUPP */
	uint64_t ring_errors;		/**< rsp_prod beyond what we produced: ring abandoned */
	uint64_t timeouts;		/**< requests failed with -ETIMEDOUT (no answer in time) */
	uint64_t late_responses;	/**< answers that came after their request timed out */
	uint64_t timeout_ns;		/**< this disk's request timeout */
	uint32_t split_pages;		/**< reads above this many pages are cut (0: never) */
	uint64_t split;			/**< reads cut into several ring requests */
	bool broken;			/**< the backend broke the protocol; the disk is gone */
	/* Resumes in a new domain (docs/suspend.md "Devices"): */
	uint32_t reconnects;		/**< times the disk connected again to a new backend */
	uint64_t requeued;		/**< requests taken off the old rings to go again */
	uint64_t held;			/**< requests submitted while reconnecting, held */
	bool reconnecting;		/**< between a resume and Connected: requests are held */
};

/**
 * blkfront_get_stats() - the counters of a blkfront disk.
 * @param dev the disk.
 * @param st  receives them.
 * @return 0, or -ENODEV if @p dev is not a blkfront disk.
 */
int blkfront_get_stats(struct blkdev *dev, struct blkfront_stats *st);

/**
 * blkfront_submit_unchecked() - submit @p rq to @p dev like blkdev_submit(), but without the
 * read-only checks (the block layer's and the driver's), so a test can show that the backend
 * refuses a write to a read-only disk by itself (the request fails with -EIO). Everything
 * else is checked as usual. For tests only.
 * @param dev the disk.
 * @param rq  the request.
 * @return as blkdev_ops.submit.
 */
int blkfront_submit_unchecked(struct blkdev *dev, struct blk_request *rq);

/** Disks found, connected and removed since boot (tests, diagnostics). */
struct blkfront_global_stats {
	uint32_t probed;		/**< device/vbd entries taken on */
	uint32_t rejected;		/**< refused: bad virtual-device, no slot, bad backend */
	uint32_t connected;		/**< reached Connected (a blkdev registered) */
	uint32_t failed;		/**< gave up before connecting */
	uint32_t removed;		/**< connected disks torn down again */
	uint32_t retired_held;		/**< retired pages still mapped (or leaked), of every
					 * frontend: gnttab_retire_get_stats() */
	uint64_t watch_events;		/**< device/vbd watch callbacks */
};
/**
 * blkfront_get_global_stats() - a copy of the counters.
 * @param st receives them.
 */
void blkfront_get_global_stats(struct blkfront_global_stats *st);

#endif /* PVKIT_XEN_BLKFRONT_H */
