/* SPDX-License-Identifier: MIT */
/**
 * @file
 * virtio-net (virtio 1.2 §5.1) on the virtio-pci transport (include/pvkit/virtio.h): one
 * receive and one transmit queue, the MAC and MTU from the device configuration, link status
 * as carrier, checksum offload both ways through struct virtio_net_hdr. Each device becomes a
 * struct netdev (eth0, eth1, ...) for kernel/net/.
 */
#ifndef PVKIT_VIRTIO_NET_H
#define PVKIT_VIRTIO_NET_H

#include <pvkit/netdev.h>
#include <pvkit/types.h>

/** @name Feature bits (§5.1.3) */
/** @{ */
#define VIRTIO_NET_F_CSUM		0	/**< device takes partially checksummed frames */
#define VIRTIO_NET_F_GUEST_CSUM		1	/**< device may hand us partial/validated ones */
#define VIRTIO_NET_F_MTU		3	/**< config mtu is the maximum */
#define VIRTIO_NET_F_MAC		5	/**< config mac is our address */
#define VIRTIO_NET_F_GUEST_TSO4		7	/**< device may hand us TSO frames (not taken) */
#define VIRTIO_NET_F_MRG_RXBUF		15	/**< frames over several rx buffers (not taken) */
#define VIRTIO_NET_F_STATUS		16	/**< config status has LINK_UP */
#define VIRTIO_NET_F_CTRL_VQ		17	/**< a control queue (not taken) */
#define VIRTIO_NET_F_MQ			22	/**< several queue pairs (not taken) */
/** @} */

/** @name Device configuration (§5.1.4): offsets */
/** @{ */
#define VIRTIO_NET_CFG_MAC		0	/**< 6 bytes */
#define VIRTIO_NET_CFG_STATUS		6	/**< le16 */
#define VIRTIO_NET_CFG_MAX_PAIRS	8	/**< le16 */
#define VIRTIO_NET_CFG_MTU		10	/**< le16 */
#define VIRTIO_NET_S_LINK_UP		1	/**< status: the link is up */
/** @} */

/** @name Queue indexes (no MQ): receiveq1, transmitq1 */
/** @{ */
#define VIRTIO_NET_RXQ			0	/**< receiveq1 */
#define VIRTIO_NET_TXQ			1	/**< transmitq1 */
/** @} */

/** The header before every frame (§5.1.6): 12 bytes with VIRTIO_F_VERSION_1. */
struct virtio_net_hdr {
	uint8_t flags;			/**< VIRTIO_NET_HDR_F_* */
	uint8_t gso_type;		/**< VIRTIO_NET_HDR_GSO_NONE: we negotiate no GSO */
	uint16_t hdr_len;		/**< GSO only */
	uint16_t gso_size;		/**< GSO only */
	uint16_t csum_start;		/**< NEEDS_CSUM: where summing starts (from the frame) */
	uint16_t csum_offset;		/**< NEEDS_CSUM: where the sum goes (from csum_start) */
	uint16_t num_buffers;		/**< rx, MRG_RXBUF only; 0 on tx */
} __attribute__((packed));

/** @name virtio_net_hdr flags and GSO type */
/** @{ */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1	/**< the L4 checksum is partial: complete it */
#define VIRTIO_NET_HDR_F_DATA_VALID	2	/**< rx: the checksum was verified */
#define VIRTIO_NET_HDR_GSO_NONE		0	/**< not a GSO frame */
/** @} */

/** What the driver did and refused, per device (tests, docs/net.md). */
struct virtio_net_stats {
	uint64_t features;		/**< negotiated */
	uint16_t rx_queue_size;		/**< entries of the rx ring */
	uint16_t tx_queue_size;		/**< entries of the tx ring */
	uint32_t rx_posted;		/**< receive buffers at the device now */
	uint32_t rx_buf_len;		/**< frame bytes each holds */
	uint32_t tx_in_flight;		/**< frames at the device now */
	unsigned int rx_vector;		/**< MSI-X vector of the rx queue, 0: polled */
	uint64_t rx_completed;		/**< buffers the device returned */
	uint64_t rx_bad_len;		/**< used len beyond the buffer (virtq_get -EMSGSIZE) */
	uint64_t rx_short;		/**< shorter than header + Ethernet header */
	uint64_t rx_gso;		/**< a GSO frame we never negotiated */
	uint64_t rx_bad_csum_off;	/**< NEEDS_CSUM with csum_start/offset outside the frame */
	uint64_t rx_csum_valid;		/**< DATA_VALID: marked NETBUF_CSUM_VALID */
	uint64_t rx_csum_completed;	/**< NEEDS_CSUM: summed by us, then VALID */
	uint64_t rx_nomem;		/**< refills that found no memory (retried from poll) */
	uint64_t tx_completed;		/**< frames the device finished */
	uint64_t tx_busy;		/**< -EBUSY: ring full */
	uint64_t tx_csum_offload;	/**< frames sent with NEEDS_CSUM */
	uint64_t tx_csum_sw;		/**< PARTIAL frames summed by us (no CSUM feature) */
	/** @{ */
	uint64_t rx_interrupts, tx_interrupts;	/**< queue interrupts (or polls with work) */
	/** @} */
	/** @{ */
	uint64_t rx_notifies, tx_notifies;	/**< doorbells */
	/** @} */
	uint64_t bad_used;		/**< used entries the virtqueues refused: bad ids, indexes,
					 * tx lengths (rx lengths: rx_bad_len) */
	uint64_t config_changes;	/**< configuration interrupts (link status) */
};

/**
 * virtio_net_get_stats() - the counters of a virtio-net interface.
 * @param dev the interface.
 * @param st  receives them.
 * @return 0 or -ENODEV (not a virtio-net).
 */
int virtio_net_get_stats(struct netdev *dev, struct virtio_net_stats *st);

#ifdef CONFIG_VIRTIO_NET
struct virtio_driver;
/** The virtio-net driver (drivers/native/virtio_net.c). */
extern const struct virtio_driver virtio_net_driver;
#endif

#endif /* PVKIT_VIRTIO_NET_H */
