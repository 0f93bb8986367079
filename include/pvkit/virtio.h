/* SPDX-License-Identifier: MIT */
/**
 * @file
 * virtio 1.x over PCI (virtio 1.2 §2 basic facilities, §2.7 split virtqueues, §4.1 PCI
 * transport, "modern" capabilities only): device bring-up, feature negotiation, split
 * virtqueues in DMA memory, notification and MSI-X interrupts per queue. Device drivers
 * (virtio-blk, later virtio-net) register a struct virtio_driver for their device type.
 *
 * The virtqueue half (virtq_*) is pure ring logic over memory it is given: the hosted unit
 * tests drive it with a fake device. Everything the device writes (used ring, lengths,
 * indexes) is copied once and validated; garbage fails one request, never the guest.
 */
#ifndef PVKIT_VIRTIO_H
#define PVKIT_VIRTIO_H

#include <pvkit/pci.h>
#include <pvkit/types.h>

/** @name Device status (§2.1) */
/** @{ */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01	/**< the guest noticed the device */
#define VIRTIO_STATUS_DRIVER		0x02	/**< the guest has a driver for it */
#define VIRTIO_STATUS_DRIVER_OK		0x04	/**< the driver is ready: the device is live */
#define VIRTIO_STATUS_FEATURES_OK	0x08	/**< feature negotiation done */
#define VIRTIO_STATUS_NEEDS_RESET	0x40	/**< the device hit an error and needs a reset */
#define VIRTIO_STATUS_FAILED		0x80	/**< the guest gave up on the device */

/** @} */

/** @name Device-independent feature bits (§6) */
/** @{ */
#define VIRTIO_F_INDIRECT_DESC		28	/**< indirect descriptor tables */
#define VIRTIO_F_EVENT_IDX		29	/**< used/avail event index (not used) */
#define VIRTIO_F_VERSION_1		32	/**< virtio 1.x, required */
#define VIRTIO_F_ACCESS_PLATFORM	33	/**< the device is behind an IOMMU */
#define VIRTIO_F_RING_PACKED		34	/**< packed virtqueues (not used) */
/** @} */
/** Feature bit @p n as a mask. */
#define VIRTIO_BIT(n)			(1ull << (n))

/** @name Device types (§5) */
/** @{ */
#define VIRTIO_ID_NET			1	/**< network card */
#define VIRTIO_ID_BLOCK			2	/**< block device */

/** @} */

/**
 * @name PCI ids (§4.1.2)
 * Modern: 0x1040 + type; transitional: 0x1000-0x103f, the type in the subsystem id.
 */
/** @{ */
#define VIRTIO_PCI_VENDOR		0x1af4	/**< Red Hat's vendor id, every virtio device's */
#define VIRTIO_PCI_MODERN_BASE		0x1040	/**< modern device id of type 0 */
#define VIRTIO_PCI_MODERN_LAST		0x107f	/**< the last modern device id */
#define VIRTIO_PCI_TRANS_FIRST		0x1000	/**< the first transitional device id */
#define VIRTIO_PCI_TRANS_LAST		0x103f	/**< the last transitional device id */

/** @} */

/** @name virtio_pci_cap (§4.1.4): cfg_type values and field offsets inside the capability */
/** @{ */
#define VIRTIO_PCI_CAP_COMMON_CFG	1	/**< common configuration */
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2	/**< notifications (doorbells) */
#define VIRTIO_PCI_CAP_ISR_CFG		3	/**< ISR status */
#define VIRTIO_PCI_CAP_DEVICE_CFG	4	/**< device-specific configuration */
#define VIRTIO_PCI_CAP_LEN		16	/**< struct virtio_pci_cap */
#define VIRTIO_PCI_NOTIFY_CAP_LEN	20	/**< ... + notify_off_multiplier */

/** @} */

/** @name struct virtio_pci_common_cfg (§4.1.4.3): register offsets (and their widths in bits) */
/** @{ */
#define VIRTIO_COMMON_DFSELECT		0x00	/**< device_feature_select (32) */
#define VIRTIO_COMMON_DF		0x04	/**< device_feature (32) */
#define VIRTIO_COMMON_GFSELECT		0x08	/**< driver_feature_select (32) */
#define VIRTIO_COMMON_GF		0x0c	/**< driver_feature (32) */
#define VIRTIO_COMMON_MSIX		0x10	/**< config_msix_vector (16) */
#define VIRTIO_COMMON_NUMQ		0x12	/**< num_queues (16) */
#define VIRTIO_COMMON_STATUS		0x14	/**< device_status (8) */
#define VIRTIO_COMMON_CFGGENERATION	0x15	/**< config_generation (8) */
#define VIRTIO_COMMON_Q_SELECT		0x16	/**< queue_select (16) */
#define VIRTIO_COMMON_Q_SIZE		0x18	/**< queue_size (16) */
#define VIRTIO_COMMON_Q_MSIX		0x1a	/**< queue_msix_vector (16) */
#define VIRTIO_COMMON_Q_ENABLE		0x1c	/**< queue_enable (16) */
#define VIRTIO_COMMON_Q_NOFF		0x1e	/**< queue_notify_off (16) */
#define VIRTIO_COMMON_Q_DESCLO		0x20	/**< queue_desc, low 32 bits */
#define VIRTIO_COMMON_Q_DESCHI		0x24	/**< queue_desc, high 32 bits */
#define VIRTIO_COMMON_Q_AVAILLO		0x28	/**< queue_driver, low 32 bits */
#define VIRTIO_COMMON_Q_AVAILHI		0x2c	/**< queue_driver, high 32 bits */
#define VIRTIO_COMMON_Q_USEDLO		0x30	/**< queue_device, low 32 bits */
#define VIRTIO_COMMON_Q_USEDHI		0x34	/**< queue_device, high 32 bits */
#define VIRTIO_COMMON_CFG_LEN		0x38	/**< the virtio 1.0 layout: what we use */
#define VIRTIO_MSI_NO_VECTOR		0xffff	/**< no MSI-X vector */

/** @} */

/* ---- split virtqueue (§2.7) -------------------------------------------------------------- */

#define VIRTQ_MAX_SIZE		256	/**< entries we use at most: the table fits one page */

/** @name Descriptor, avail and used ring flags */
/** @{ */
#define VRING_DESC_F_NEXT	1	/**< the chain goes on at next */
#define VRING_DESC_F_WRITE	2	/**< device-writable */
#define VRING_DESC_F_INDIRECT	4	/**< the buffer is an indirect table */
#define VRING_AVAIL_F_NO_INTERRUPT 1	/**< the driver needs no interrupt */
#define VRING_USED_F_NO_NOTIFY	1	/**< the device needs no notification */

/** @} */

/** A descriptor of the split ring (§2.7.5). */
struct vring_desc {
	uint64_t addr;			/**< bus address of the buffer */
	uint32_t len;			/**< bytes */
	uint16_t flags;			/**< VRING_DESC_F_* */
	uint16_t next;			/**< chain link when F_NEXT */
};

/** The driver area (available ring, §2.7.6). */
struct vring_avail {
	uint16_t flags;			/**< VRING_AVAIL_F_NO_INTERRUPT */
	uint16_t idx;			/**< where the driver puts the next entry (free-running) */
	uint16_t ring[];		/**< heads of chains made available */
};

/** An entry of the used ring. */
struct vring_used_elem {
	uint32_t id;			/**< head of the completed chain: untrusted */
	uint32_t len;			/**< bytes the device wrote: untrusted */
};

/** The device area (used ring, §2.7.8). */
struct vring_used {
	uint16_t flags;			/**< VRING_USED_F_NO_NOTIFY */
	uint16_t idx;			/**< where the device puts the next entry: untrusted */
	struct vring_used_elem ring[];	/**< completed chains: copied once, then checked */
};

/** A buffer handed to the device: device-readable ("out") ones come before writable ("in"). */
struct virtq_buf {
	uint64_t pa;			/**< bus address */
	uint32_t len;			/**< bytes, never 0 */
};

/** Caller-owned memory for an indirect descriptor table (§2.7.5.3), used for one chain. */
struct virtq_indirect {
	struct vring_desc *desc;	/**< the table (DMA memory) */
	uint64_t pa;			/**< its bus address */
	uint16_t max;			/**< entries it holds */
};

/** Per descriptor: our private view, never read back from memory the device can write. */
struct virtq_head {
	void *token;			/**< the caller's, while it heads a chain in flight */
	uint32_t in_len;		/**< device-writable bytes: the most len may say */
	uint16_t ndesc;			/**< ring descriptors the chain holds (1 if indirect) */
	uint16_t next;			/**< free list / chain link (what desc[].next was set to) */
};

/** Where validation of the used ring failed: each counted, the entry skipped. */
struct virtq_stats {
	/** @{ */
	uint64_t added, completed;	/**< chains made available / returned to the driver */
	/** @} */
	uint64_t bad_id;		/**< used id >= queue size */
	uint64_t not_in_flight;		/**< used id heads no chain in flight (duplicates) */
	uint64_t bad_len;		/**< len beyond the writable bytes: request failed */
	uint64_t bad_idx;		/**< used idx more than the ring ahead: ignored */
	uint64_t notifies;		/**< doorbell writes */
	uint64_t interrupts;		/**< queue interrupts (or polls that found work) */
};

struct virtio_device;
struct virtqueue;
/** A queue's completion work: interrupt or poll context, interrupts off. */
typedef void (*virtq_callback_t)(struct virtqueue *vq, void *ctx);

/** A split virtqueue: the ring memory, our private bookkeeping, and the transport's part. */
struct virtqueue {
	/* Ring memory (DMA) and bookkeeping, set by virtq_init(): */
	uint16_t num;			/**< entries: a power of two <= VIRTQ_MAX_SIZE */
	struct vring_desc *desc;	/**< descriptor table: written only by us */
	struct vring_avail *avail;	/**< driver area: written only by us */
	struct vring_used *used;	/**< device area: read with READ_ONCE, validated */
	struct virtq_head *heads;	/**< num entries, private */
	uint16_t free_head;		/**< first free descriptor */
	uint16_t num_free;		/**< free descriptors */
	uint16_t in_flight;		/**< chains made available and not yet returned */
	uint16_t avail_idx;		/**< our copy of avail->idx: never read back */
	uint16_t last_used;		/**< next used entry we consume */
	uint16_t bad_idx_seen;		/**< the last bogus used->idx counted (count once) */
	bool bad_idx_valid;		/**< bad_idx_seen holds one */
	unsigned int reports;		/**< diagnostics printed: bounded so garbage cannot flood */
	struct virtq_stats stats;	/**< what was done and what was rejected */
	/* Owned by the transport (virtio_vq_setup): */
	bool indirect_ok;		/**< VIRTIO_F_INDIRECT_DESC negotiated: tables allowed */
	struct virtio_device *vdev;	/**< the device, NULL in unit tests */
	uint16_t index;			/**< queue number on the device */
	volatile uint16_t *notify;	/**< doorbell: write index here */
	unsigned int vector;		/**< CPU vector of its MSI-X entry, 0: polled */
	bool poll_later;		/**< run the callback from the poll timer once more */
	virtq_callback_t callback;	/**< completion work, interrupt or poll context */
	void *cb_ctx;			/**< for callback */
	uint64_t ring_pa[4];		/**< desc, avail, used, heads frames: freed at teardown */
};

/**
 * @name Ring sizes
 * Bytes of each ring part for @p num entries (no event-idx fields; we do not use them).
 */
/** @{ */
/** virtq_desc_bytes() - the descriptor table. @param num entries. @return bytes. */
static inline size_t virtq_desc_bytes(uint16_t num) { return 16u * num; }
/** virtq_avail_bytes() - the driver area. @param num entries. @return bytes. */
static inline size_t virtq_avail_bytes(uint16_t num) { return 4u + 2u * num; }
/** virtq_used_bytes() - the device area. @param num entries. @return bytes. */
static inline size_t virtq_used_bytes(uint16_t num) { return 4u + 8u * num; }
/** @} */

/**
 * virtq_init() - an empty queue over zeroed memory.
 * @param vq    the queue.
 * @param num   entries: a power of two, <= VIRTQ_MAX_SIZE.
 * @param desc  the descriptor table (16 * num bytes, 16-aligned).
 * @param avail the driver area (2-aligned).
 * @param used  the device area (4-aligned).
 * @param heads num entries, private (never memory the device can write).
 * @return 0 or -EINVAL.
 */
int virtq_init(struct virtqueue *vq, uint16_t num, struct vring_desc *desc,
	       struct vring_avail *avail, struct vring_used *used, struct virtq_head *heads);

/**
 * virtq_add() - make a chain of device-readable then device-writable buffers available.
 * Does not notify (see virtq_kick_needed()).
 * @param vq    the queue.
 * @param bufs  the buffers: @p out readable ones, then @p in writable ones.
 * @param out   how many the device reads.
 * @param in    how many the device writes.
 * @param token tags the chain (not NULL); virtq_get() returns it.
 * @param ind   an indirect table to put the buffers in (the chain then takes one ring
 *              descriptor), or NULL.
 * @return 0, -ENOSPC (not enough free descriptors: retry after a completion), -EINVAL.
 */
int virtq_add(struct virtqueue *vq, const struct virtq_buf *bufs, unsigned int out,
	      unsigned int in, void *token, const struct virtq_indirect *ind);

/**
 * virtq_next_head() - the descriptor the next virtq_add() takes as its chain's head (valid
 * while num_free > 0). Heads of chains in flight are distinct, so a driver may index its
 * per-request memory (headers, status bytes, indirect tables) by it.
 * @param vq the queue.
 * @return the descriptor index.
 */
static inline uint16_t virtq_next_head(const struct virtqueue *vq)
{
	return vq->free_head;
}

/**
 * virtq_kick_needed() - after virtq_add(): does the device want a notification?
 * @param vq the queue.
 * @return true when VRING_USED_F_NO_NOTIFY is clear.
 */
bool virtq_kick_needed(struct virtqueue *vq);

/**
 * virtq_get() - the next completed chain: *token, and *len as the device reported it. Used
 * entries with a bad id, or one not in flight, are counted and skipped (at most one queue's
 * worth per call). A used idx more than the queue size ahead of us (or behind) is counted
 * once and nothing is consumed until the device writes a sane one.
 * @param vq    the queue.
 * @param token receives the chain's token.
 * @param len   receives the bytes the device says it wrote.
 * @return 0; -EMSGSIZE when the device claimed more bytes than the chain could take (*token
 *         is valid: fail that request; its descriptors are free again); -ENOENT when
 *         nothing is done.
 */
int virtq_get(struct virtqueue *vq, void **token, uint32_t *len);

/**
 * virtq_reclaim() - after the device was reset (it no longer owns anything): take back one
 * chain still in flight.
 * @param vq    the queue.
 * @param token receives the chain's token.
 * @return 0, -ENOENT when none is left.
 */
int virtq_reclaim(struct virtqueue *vq, void **token);

/* ---- transport --------------------------------------------------------------------------- */

/** A virtio device driver, bound by device type. */
struct virtio_driver {
	const char *name;		/**< "virtio-blk" */
	uint16_t device_id;		/**< VIRTIO_ID_* it drives */
	/** Bring the device up: virtio_negotiate(), config, virtio_vq_setup(), virtio_driver_ok().
	 * On failure the transport resets the device and frees its queues. */
	int (*probe)(struct virtio_device *vdev);
	void (*config_changed)(struct virtio_device *vdev);	/**< optional, interrupt context */
};

#define VIRTIO_MAX_VQS		8	/**< queues per device we set up */

/** A virtio PCI device: its mapped capabilities, features and queues. */
struct virtio_device {
	struct pci_dev *pci;		/**< the function it sits on */
	uint16_t id;			/**< VIRTIO_ID_* */
	const struct virtio_driver *driver;	/**< bound driver */
	void *priv;			/**< the driver's */
	volatile uint8_t *common;	/**< struct virtio_pci_common_cfg, validated length */
	volatile uint8_t *notify_base;	/**< doorbells */
	uint32_t notify_len;		/**< bytes mapped at notify_base: doorbells must fit */
	uint32_t notify_mult;		/**< queue_notify_off * this = doorbell offset */
	volatile uint8_t *isr;		/**< ISR status (INTx only; kept for completeness) */
	volatile uint8_t *device_cfg;	/**< device-specific configuration, NULL if none */
	uint32_t device_cfg_len;	/**< bytes readable there */
	uint64_t device_features;	/**< what the device offered */
	uint64_t features;		/**< negotiated */
	uint16_t max_vqs;		/**< num_queues the device reports */
	unsigned int config_vector;	/**< CPU vector for configuration changes, 0: none */
	bool msix;			/**< MSI-X on: queues get their own entries when they fit */
	struct virtqueue *vqs[VIRTIO_MAX_VQS];	/**< set up queues, by index */
	bool polled;			/**< some queue has no vector: a timer polls them */
	uint64_t config_changes;	/**< configuration-change interrupts */
	struct { volatile void *va; size_t len; } maps[4];	/**< capability mappings to undo */
};

/** The PCI driver that takes every virtio function and binds its virtio_driver. */
extern const struct pci_driver virtio_pci_driver;

/* Type in a virtio_driver this image provides (virtio_pci.c's table lists them). */
#ifdef CONFIG_VIRTIO_BLK
/** The virtio-blk driver (drivers/native/virtio_blk.c). */
extern const struct virtio_driver virtio_blk_driver;
#endif
#ifdef CONFIG_VIRTIO_NET			/* issue 7 */
/** The virtio-net driver (drivers/native/virtio_net.c). */
extern const struct virtio_driver virtio_net_driver;
#endif

/**
 * virtio_negotiate() - offer the device's features masked by @p wanted (VIRTIO_F_VERSION_1 is
 * always required and added), set FEATURES_OK and check the device kept it.
 * @param vdev   the device.
 * @param wanted VIRTIO_BIT()s the driver can use.
 * @return 0 (vdev->features set), -ENODEV (no VERSION_1: a legacy-only device), -EIO.
 */
int virtio_negotiate(struct virtio_device *vdev, uint64_t wanted);

/**
 * virtio_vq_setup() - set up a queue in fresh DMA pages, with its MSI-X entry (else polled
 * every millisecond), and enable it.
 * @param vdev     the device.
 * @param index    the queue's number.
 * @param max_size entries at most (the device's maximum, rounded down to a power of two).
 * @param vq       the queue to fill.
 * @param cb       runs on completions.
 * @param ctx      passed to @p cb.
 * @return 0, -ENOENT (no such queue), -ENOMEM, -EIO (the device refused a setting), -EINVAL.
 */
int virtio_vq_setup(struct virtio_device *vdev, uint16_t index, uint16_t max_size,
		    struct virtqueue *vq, virtq_callback_t cb, void *ctx);

/**
 * virtio_driver_ok() - set DRIVER_OK: the device is live.
 * @param vdev the device.
 */
void virtio_driver_ok(struct virtio_device *vdev);

/**
 * virtio_vq_kick() - notify the device if it wants it (call after one or more virtq_add());
 * a queue without an interrupt gets the poll timer armed.
 * @param vq the queue.
 */
void virtio_vq_kick(struct virtqueue *vq);

/**
 * virtio_vq_poll() - run @p vq's completion callback now, interrupts off (a poll: no
 * interrupt needed).
 * @param vq the queue.
 */
void virtio_vq_poll(struct virtqueue *vq);

/**
 * virtio_vq_poll_later() - run @p vq's callback again from the poll timer (about 1 ms): for a
 * callback that stopped early with work left, which no interrupt may announce again.
 * @param vq the queue.
 */
void virtio_vq_poll_later(struct virtqueue *vq);

/**
 * virtio_get_status() - the device status register (e.g. to see NEEDS_RESET).
 * @param vdev the device.
 * @return VIRTIO_STATUS_* bits.
 */
uint8_t virtio_get_status(struct virtio_device *vdev);

/**
 * virtio_cfg_read() - a field of the device-specific configuration. Fields beyond what the
 * device exposes read as 0. Wrap multi-field reads in virtio_cfg_generation() until it does
 * not change (§4.1.4.3.1).
 * @param vdev the device.
 * @param off  the field's offset, aligned to its size (8: to 4).
 * @param size 1, 2, 4 or 8 bytes (8: two 32-bit reads).
 * @return the value.
 */
uint64_t virtio_cfg_read(struct virtio_device *vdev, uint32_t off, unsigned int size);

/**
 * virtio_cfg_generation() - the configuration generation: it changes when the device
 * changes its configuration, so a reader can tell a torn multi-field read.
 * @param vdev the device.
 * @return the generation.
 */
uint8_t virtio_cfg_generation(struct virtio_device *vdev);

#endif /* PVKIT_VIRTIO_H */
