/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The network-device layer (drivers/core/netdev.c), shared by every NIC driver (Xen netfront,
 * native virtio-net) and the IP stack above it. A frame travels as a netbuf: one contiguous
 * buffer (a page is plenty: MTU 1500 + headers; larger frames, with scatter-gather, are
 * assembled into a bigger linear buffer by the driver before they are handed up).
 *
 * Receive: drivers call netdev_rx() from interrupt or poll context; the frame is queued and the
 * stack processes it from the idle loop (netdev_poll), never in interrupt context.
 * Transmit: netdev_tx() hands a netbuf to the driver, which owns it until it calls
 * netbuf_free() (after the device or backend is done with it).
 */
#ifndef PVKIT_NETDEV_H
#define PVKIT_NETDEV_H

#include <pvkit/types.h>

#define ETH_ALEN		6		/**< bytes of a MAC address */
#define ETH_HLEN		14		/**< bytes of an Ethernet header */
#define ETH_MTU_DEFAULT		1500		/**< bytes of IP packet, without the header */
#define NETBUF_SIZE		(64 * 1024)	/**< the largest frame a netbuf holds (GSO/SG) */
#define NETDEV_NAME_MAX		16		/**< an interface's name, NUL included */

/** Checksum state of a frame (offloads). */
enum netbuf_csum {
	NETBUF_CSUM_NONE,		/**< nothing known: software checks it */
	NETBUF_CSUM_VALID,		/**< rx: the device (or backend) verified it */
	NETBUF_CSUM_PARTIAL,		/**< tx: the L4 checksum field holds the pseudo-header sum;
					 * the device completes it (csum_start/offset say where) */
};

/** A frame in one contiguous buffer, and where it is in it. */
struct netbuf {
	uint8_t *data;			/**< first byte of the frame (the Ethernet header) */
	uint32_t len;			/**< bytes of frame */
	uint32_t size;			/**< bytes available from data to the end of the buffer */
	uint8_t *head;			/**< start of the allocation */
	uint64_t head_pa;		/**< its physical address (drivers hand pages to devices) */
	uint32_t head_pages;		/**< allocation size in pages */
	enum netbuf_csum csum;		/**< checksum state (offloads) */
	uint16_t csum_start;		/**< PARTIAL: offset of the L4 header from data */
	uint16_t csum_offset;		/**< PARTIAL: offset of the checksum field in it */
	struct netdev *dev;		/**< rx: where it came from */
	struct netbuf *next;		/**< queues */
};

/**
 * netbuf_alloc() - a netbuf with room for a frame. One-page netbufs (len + headroom up to
 * ~3.9 KiB) may be allocated and freed in interrupt context; larger ones are mapped in the
 * vmap area and may not.
 * @param len      bytes of frame room at least (up to NETBUF_SIZE).
 * @param headroom bytes before data, for headers to prepend (up to a page).
 * @return the netbuf (len 0), or NULL when out of memory or too large.
 */
struct netbuf *netbuf_alloc(uint32_t len, uint32_t headroom);

/**
 * netbuf_free() - give back a netbuf and its pages.
 * @param nb the netbuf (NULL is ignored).
 */
void netbuf_free(struct netbuf *nb);

struct netdev;

/** A NIC driver's operations. */
struct netdev_ops {
	/** Queue @p nb for sending; the driver frees it when done. -EBUSY: the device is full (the
	 * caller keeps nb and may retry), -ENETDOWN: no carrier, -EMSGSIZE: larger than MTU. */
	int (*tx)(struct netdev *dev, struct netbuf *nb);
	/** Make progress without an interrupt (rx and tx completions). */
	void (*poll)(struct netdev *dev);
};

/** What an interface offers, as negotiated. */
struct netdev_features {
	bool sg;			/**< scatter-gather: frames larger than a page */
	bool csum;			/**< checksum offload (tx partial, rx validated) */
	bool ipv6_csum;			/**< ... also for IPv6 */
	uint32_t queues;		/**< tx/rx queue pairs */
	bool split_evtchn;		/**< Xen: separate tx and rx event channels */
	bool rx_notify;			/**< Xen: feature-rx-notify */
};

/** Per-interface counters (the layer's and the driver's). */
struct netdev_stats {
	/** @{ */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;	/**< frames and bytes each way */
	/** @} */
	uint64_t rx_dropped;		/**< queue full, malformed, no memory */
	uint64_t tx_dropped;		/**< failed or refused transmissions */
	uint64_t rx_errors;		/**< what the device or backend flagged as bad */
};

/** A network interface, as its driver registers it. */
struct netdev {
	char name[NETDEV_NAME_MAX];	/**< "eth0" */
	uint8_t mac[ETH_ALEN];		/**< our address */
	uint32_t mtu;			/**< bytes of IP packet (1500) */
	bool carrier;			/**< the link is up (Xen: backend Connected) */
	/** Times the carrier came up (netdev_set_carrier): the stack announces us again on
	 * each, even when it never saw the carrier down (a reconnect between two polls). */
	uint32_t carrier_ups;
	struct netdev_features features;	/**< what was negotiated */
	struct netdev_stats stats;	/**< counters */
	const struct netdev_ops *ops;	/**< the driver's operations */
	void *priv;			/**< the driver's */
	void *stack_priv;		/**< the IP stack's (addresses, ARP cache) */
	bool gone;			/**< unregistered: every tx fails -ENODEV */
	struct netdev *next;		/**< registry, owned by netdev.c */
};

/**
 * netdev_register() - add an interface and print its line:
 * `pvkit: net <name> mac=<mac> mtu=<n> features: sg=<0|1> csum=<0|1> queues=<n>
 * split-evtchn=<0|1>`.
 * @param dev the interface; it lives until netdev_unregister().
 * @return 0, -EINVAL (no tx, no name, MTU 0), -EEXIST (the name is taken).
 */
int netdev_register(struct netdev *dev);

/**
 * netdev_unregister() - the interface went away: carrier down, every tx fails -ENODEV, and
 * its frames still queued are dropped (they must not reach the stack with a stale pointer).
 * @param dev the interface.
 */
void netdev_unregister(struct netdev *dev);

/**
 * netdev_first() - the first registered interface, in registration order.
 * @return the interface, or NULL when there is none.
 */
struct netdev *netdev_first(void);

/**
 * netdev_next() - the interface registered after @p dev.
 * @param dev a registered interface.
 * @return the next interface, or NULL.
 */
struct netdev *netdev_next(struct netdev *dev);

/**
 * netdev_find() - an interface by name.
 * @param name "eth0"...
 * @return the interface, or NULL.
 */
struct netdev *netdev_find(const char *name);

/**
 * netdev_set_carrier() - the link went up or down (drivers); a change is printed, and each
 * up is counted in carrier_ups.
 * @param dev the interface.
 * @param up  the link is up.
 */
void netdev_set_carrier(struct netdev *dev, bool up);

/**
 * netdev_rx() - driver to stack: a received frame (ownership passes). Interrupt context is
 * fine: the frame is queued, and dropped (counted) when the queue is full.
 * @param dev the interface it came from.
 * @param nb  the frame.
 */
void netdev_rx(struct netdev *dev, struct netbuf *nb);

/**
 * netdev_tx() - stack to driver: send.
 * @param dev the interface.
 * @param nb  the frame; the driver owns it once this returns 0.
 * @return 0; on error the caller still owns @p nb: -ENODEV (gone), -ENETDOWN (no carrier),
 *         -EMSGSIZE (too short, or larger than the MTU without scatter-gather), -EBUSY (the
 *         device is full: retry), or the driver's -errno.
 */
int netdev_tx(struct netdev *dev, struct netbuf *nb);

/**
 * netdev_set_rx_handler() - say who handles received frames (the IP stack). The handler runs
 * from the idle loop (netdev_poll()) and owns the frame.
 * @param fn the handler; NULL: received frames are freed.
 */
void netdev_set_rx_handler(void (*fn)(struct netdev *dev, struct netbuf *nb));

/**
 * netdev_poll() - idle loop: poll the drivers and hand queued frames to the rx handler.
 * @return the frames handled.
 */
unsigned int netdev_poll(void);

#endif /* PVKIT_NETDEV_H */
