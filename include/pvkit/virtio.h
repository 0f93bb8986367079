/* SPDX-License-Identifier: MIT */
/*
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

/* Device status (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Device-independent feature bits (§6). */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32
#define VIRTIO_F_ACCESS_PLATFORM	33
#define VIRTIO_F_RING_PACKED		34
#define VIRTIO_BIT(n)			(1ull << (n))

/* Device types (§5). */
#define VIRTIO_ID_NET			1
#define VIRTIO_ID_BLOCK			2

/* PCI ids (§4.1.2): modern 0x1040 + type; transitional 0x1000-0x103f, type in subsystem id. */
#define VIRTIO_PCI_VENDOR		0x1af4
#define VIRTIO_PCI_MODERN_BASE		0x1040
#define VIRTIO_PCI_MODERN_LAST		0x107f
#define VIRTIO_PCI_TRANS_FIRST		0x1000
#define VIRTIO_PCI_TRANS_LAST		0x103f

/* virtio_pci_cap (§4.1.4): cfg_type values and field offsets inside the capability. */
#define VIRTIO_PCI_CAP_COMMON_CFG	1
#define VIRTIO_PCI_CAP_NOTIFY_CFG	2
#define VIRTIO_PCI_CAP_ISR_CFG		3
#define VIRTIO_PCI_CAP_DEVICE_CFG	4
#define VIRTIO_PCI_CAP_LEN		16	/* struct virtio_pci_cap */
#define VIRTIO_PCI_NOTIFY_CAP_LEN	20	/* ... + notify_off_multiplier */

/* struct virtio_pci_common_cfg (§4.1.4.3): register offsets. */
#define VIRTIO_COMMON_DFSELECT		0x00
#define VIRTIO_COMMON_DF		0x04
#define VIRTIO_COMMON_GFSELECT		0x08
#define VIRTIO_COMMON_GF		0x0c
#define VIRTIO_COMMON_MSIX		0x10
#define VIRTIO_COMMON_NUMQ		0x12
#define VIRTIO_COMMON_STATUS		0x14
#define VIRTIO_COMMON_CFGGENERATION	0x15
#define VIRTIO_COMMON_Q_SELECT		0x16
#define VIRTIO_COMMON_Q_SIZE		0x18
#define VIRTIO_COMMON_Q_MSIX		0x1a
#define VIRTIO_COMMON_Q_ENABLE		0x1c
#define VIRTIO_COMMON_Q_NOFF		0x1e
#define VIRTIO_COMMON_Q_DESCLO		0x20
#define VIRTIO_COMMON_Q_DESCHI		0x24
#define VIRTIO_COMMON_Q_AVAILLO		0x28
#define VIRTIO_COMMON_Q_AVAILHI		0x2c
#define VIRTIO_COMMON_Q_USEDLO		0x30
#define VIRTIO_COMMON_Q_USEDHI		0x34
#define VIRTIO_COMMON_CFG_LEN		0x38	/* the virtio 1.0 layout: what we use */
#define VIRTIO_MSI_NO_VECTOR		0xffff

/* ---- split virtqueue (§2.7) -------------------------------------------------------------- */

#define VIRTQ_MAX_SIZE		256	/* entries we use at most: the table fits one page */

#define VRING_DESC_F_NEXT	1
#define VRING_DESC_F_WRITE	2	/* device-writable */
#define VRING_DESC_F_INDIRECT	4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY	1

struct vring_desc {
	uint64_t addr;			/* bus address of the buffer */
	uint32_t len;			/* bytes */
	uint16_t flags;			/* VRING_DESC_F_* */
	uint16_t next;			/* chain link when F_NEXT */
};

struct vring_avail {
	uint16_t flags;			/* VRING_AVAIL_F_NO_INTERRUPT */
	uint16_t idx;			/* where the driver puts the next entry (free-running) */
	uint16_t ring[];		/* heads of chains made available */
};

struct vring_used_elem {
	uint32_t id;			/* head of the completed chain: from the device, untrusted */
	uint32_t len;			/* bytes the device wrote: untrusted */
};

struct vring_used {
	uint16_t flags;			/* VRING_USED_F_NO_NOTIFY */
	uint16_t idx;			/* where the device puts the next entry: untrusted */
	struct vring_used_elem ring[];	/* completed chains: copied once, then checked */
};

/* A buffer handed to the device: device-readable ("out") ones come before writable ("in"). */
struct virtq_buf {
	uint64_t pa;			/* bus address */
	uint32_t len;			/* bytes, never 0 */
};

/* Caller-owned memory for an indirect descriptor table (§2.7.5.3), used for one chain. */
struct virtq_indirect {
	struct vring_desc *desc;	/* the table (DMA memory) */
	uint64_t pa;			/* its bus address */
	uint16_t max;			/* entries it holds */
};

/* Per descriptor: our private view, never read back from memory the device can write. */
struct virtq_head {
	void *token;			/* the caller's, while this is the head of a chain in flight */
	uint32_t in_len;		/* device-writable bytes of the chain: the most len may say */
	uint16_t ndesc;			/* ring descriptors the chain holds (1 if indirect) */
	uint16_t next;			/* free list / chain link (what desc[].next was set to) */
};

/* Where validation of the used ring failed: each counted, the entry skipped. */
struct virtq_stats {
	uint64_t added, completed;	/* chains made available / returned to the driver */
	uint64_t bad_id;		/* used id >= queue size */
	uint64_t not_in_flight;		/* used id not the head of a chain in flight (duplicates) */
	uint64_t bad_len;		/* len beyond the chain's writable bytes: request failed */
	uint64_t bad_idx;		/* used idx more than the ring ahead: ignored */
	uint64_t notifies;		/* doorbell writes */
	uint64_t interrupts;		/* queue interrupts (or polls that found work) */
};

struct virtio_device;
struct virtqueue;
typedef void (*virtq_callback_t)(struct virtqueue *vq, void *ctx);

struct virtqueue {
	/* Ring memory (DMA) and bookkeeping, set by virtq_init(): */
	uint16_t num;			/* entries: a power of two <= VIRTQ_MAX_SIZE */
	struct vring_desc *desc;	/* descriptor table: written only by us */
	struct vring_avail *avail;	/* driver area: written only by us */
	struct vring_used *used;	/* device area: read with READ_ONCE, validated */
	struct virtq_head *heads;	/* num entries, private */
	uint16_t free_head;		/* first free descriptor */
	uint16_t num_free;		/* free descriptors */
	uint16_t in_flight;		/* chains made available and not yet returned */
	uint16_t avail_idx;		/* our copy of avail->idx: never read back */
	uint16_t last_used;		/* next used entry we consume */
	uint16_t bad_idx_seen;		/* the last bogus used->idx counted (count once) */
	bool bad_idx_valid;		/* bad_idx_seen holds one */
	unsigned int reports;		/* diagnostics printed: bounded so garbage cannot flood */
	struct virtq_stats stats;	/* what was done and what was rejected */
	/* Owned by the transport (virtio_vq_setup): */
	bool indirect_ok;		/* VIRTIO_F_INDIRECT_DESC negotiated: tables allowed */
	struct virtio_device *vdev;	/* the device, NULL in unit tests */
	uint16_t index;			/* queue number on the device */
	volatile uint16_t *notify;	/* doorbell: write index here */
	unsigned int vector;		/* CPU vector of its MSI-X entry, 0: polled */
	bool poll_later;		/* run the callback from the poll timer once more */
	virtq_callback_t callback;	/* completion work, interrupt or poll context */
	void *cb_ctx;			/* for callback */
	uint64_t ring_pa[4];		/* desc, avail, used, heads frames: freed at teardown */
};

/** Bytes of each ring part for @num entries (no event-idx fields; we do not use them). */
static inline size_t virtq_desc_bytes(uint16_t num) { return 16u * num; }
static inline size_t virtq_avail_bytes(uint16_t num) { return 4u + 2u * num; }
static inline size_t virtq_used_bytes(uint16_t num) { return 4u + 8u * num; }

/**
 * virtq_init() - an empty queue of @num entries (power of two, <= VIRTQ_MAX_SIZE) over zeroed
 * memory: @desc (16 * num bytes, 16-aligned), @avail (2-aligned), @used (4-aligned), and
 * @heads (num entries, private). Return: 0 or -EINVAL.
 */
int virtq_init(struct virtqueue *vq, uint16_t num, struct vring_desc *desc,
	       struct vring_avail *avail, struct vring_used *used, struct virtq_head *heads);

/**
 * virtq_add() - make a chain of @out device-readable then @in device-writable buffers
 * available, tagged @token (not NULL). With @ind, the buffers go into that indirect table
 * and the chain takes one ring descriptor. Does not notify (see virtq_kick_needed).
 * Return: 0, -ENOSPC (not enough free descriptors: retry after a completion), -EINVAL.
 */
int virtq_add(struct virtqueue *vq, const struct virtq_buf *bufs, unsigned int out,
	      unsigned int in, void *token, const struct virtq_indirect *ind);

/**
 * virtq_next_head() - the descriptor the next virtq_add() takes as its chain's head (valid
 * while num_free > 0). Heads of chains in flight are distinct, so a driver may index its
 * per-request memory (headers, status bytes, indirect tables) by it.
 */
static inline uint16_t virtq_next_head(const struct virtqueue *vq)
{
	return vq->free_head;
}

/** After virtq_add(): does the device want a notification (VRING_USED_F_NO_NOTIFY clear)? */
bool virtq_kick_needed(struct virtqueue *vq);

/**
 * virtq_get() - the next completed chain: *token, and *len as the device reported it. Used
 * entries with a bad id, or one not in flight, are counted and skipped (at most one queue's
 * worth per call). A used idx more than the queue size ahead of us (or behind) is counted
 * once and nothing is consumed until the device writes a sane one.
 * Return: 0; -EMSGSIZE when the device claimed more bytes than the chain could take (*token
 * is valid: fail that request; its descriptors are free again); -ENOENT when nothing is done.
 */
int virtq_get(struct virtqueue *vq, void **token, uint32_t *len);

/**
 * virtq_reclaim() - after the device was reset (it no longer owns anything): take back one
 * chain still in flight. Return: 0 with *token, -ENOENT when none is left.
 */
int virtq_reclaim(struct virtqueue *vq, void **token);

/* ---- transport --------------------------------------------------------------------------- */

struct virtio_driver {
	const char *name;		/* "virtio-blk" */
	uint16_t device_id;		/* VIRTIO_ID_* it drives */
	/* Bring the device up: virtio_negotiate(), config, virtio_vq_setup(), virtio_driver_ok().
	 * On failure the transport resets the device and frees its queues. */
	int (*probe)(struct virtio_device *vdev);
	void (*config_changed)(struct virtio_device *vdev);	/* optional, interrupt context */
};

#define VIRTIO_MAX_VQS		8	/* queues per device we set up */

struct virtio_device {
	struct pci_dev *pci;		/* the function it sits on */
	uint16_t id;			/* VIRTIO_ID_* */
	const struct virtio_driver *driver;	/* bound driver */
	void *priv;			/* the driver's */
	volatile uint8_t *common;	/* struct virtio_pci_common_cfg, validated length */
	volatile uint8_t *notify_base;	/* doorbells */
	uint32_t notify_len;		/* bytes mapped at notify_base: doorbells must fit */
	uint32_t notify_mult;		/* queue_notify_off * this = doorbell offset */
	volatile uint8_t *isr;		/* ISR status (INTx only; kept for completeness) */
	volatile uint8_t *device_cfg;	/* device-specific configuration, NULL if none */
	uint32_t device_cfg_len;	/* bytes readable there */
	uint64_t device_features;	/* what the device offered */
	uint64_t features;		/* negotiated */
	uint16_t max_vqs;		/* num_queues the device reports */
	unsigned int config_vector;	/* CPU vector for configuration changes, 0: none */
	bool msix;			/* MSI-X on: queues get their own entries when they fit */
	struct virtqueue *vqs[VIRTIO_MAX_VQS];	/* set up queues, by index */
	bool polled;			/* some queue has no vector: a timer polls them */
	uint64_t config_changes;	/* configuration-change interrupts */
	struct { volatile void *va; size_t len; } maps[4];	/* capability mappings to undo */
};

extern const struct pci_driver virtio_pci_driver;

/** Type in a virtio_driver this image provides (virtio_pci.c's table lists them). */
#ifdef CONFIG_VIRTIO_BLK
extern const struct virtio_driver virtio_blk_driver;
#endif
#ifdef CONFIG_VIRTIO_NET			/* issue 7 */
extern const struct virtio_driver virtio_net_driver;
#endif

/**
 * virtio_negotiate() - offer the device's features masked by @wanted (VIRTIO_F_VERSION_1 is
 * always required and added), set FEATURES_OK and check the device kept it.
 * Return: 0 (vdev->features set), -ENODEV (no VERSION_1: a legacy-only device), -EIO.
 */
int virtio_negotiate(struct virtio_device *vdev, uint64_t wanted);

/**
 * virtio_vq_setup() - set up queue @index with at most @max_size entries (device maximum,
 * rounded down to a power of two) in fresh DMA pages, its MSI-X entry (else polled every
 * millisecond), and enable it. @cb runs on completions. Return: 0, -ENOENT (no such queue),
 * -ENOMEM, -EIO (the device refused a setting), -EINVAL.
 */
int virtio_vq_setup(struct virtio_device *vdev, uint16_t index, uint16_t max_size,
		    struct virtqueue *vq, virtq_callback_t cb, void *ctx);

/** Set DRIVER_OK: the device is live. */
void virtio_driver_ok(struct virtio_device *vdev);

/** Notify the device if it wants it (call after one or more virtq_add). */
void virtio_vq_kick(struct virtqueue *vq);

/** Run @vq's completion callback now, interrupts off (a poll: no interrupt needed). */
void virtio_vq_poll(struct virtqueue *vq);

/**
 * virtio_vq_poll_later() - run @vq's callback again from the poll timer (about 1 ms): for a
 * callback that stopped early with work left, which no interrupt may announce again.
 */
void virtio_vq_poll_later(struct virtqueue *vq);

/** Device status register (e.g. to see NEEDS_RESET). */
uint8_t virtio_get_status(struct virtio_device *vdev);

/**
 * Device-specific configuration: fields at @off of 1, 2, 4 or 8 bytes (8: two 32-bit reads).
 * Fields beyond what the device exposes read as 0. Wrap multi-field reads in
 * virtio_cfg_generation() until it does not change (§4.1.4.3.1).
 */
uint64_t virtio_cfg_read(struct virtio_device *vdev, uint32_t off, unsigned int size);
uint8_t virtio_cfg_generation(struct virtio_device *vdev);

#endif /* PVKIT_VIRTIO_H */
