/* SPDX-License-Identifier: MIT */
/*
 * The network-device layer (kernel/net/netdev.c), shared by every NIC driver (Xen netfront,
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

#define ETH_ALEN		6
#define ETH_HLEN		14
#define ETH_MTU_DEFAULT		1500
#define NETBUF_SIZE		(64 * 1024)	/* the largest frame a netbuf holds (GSO/SG) */
#define NETDEV_NAME_MAX		16

/* Checksum state of a frame (offloads). */
enum netbuf_csum {
	NETBUF_CSUM_NONE,		/* nothing known: software checks it */
	NETBUF_CSUM_VALID,		/* rx: the device (or backend) verified it */
	NETBUF_CSUM_PARTIAL,		/* tx: the L4 checksum field holds the pseudo-header sum;
					 * the device completes it (csum_start/offset say where) */
};

struct netbuf {
	uint8_t *data;			/* first byte of the frame (the Ethernet header) */
	uint32_t len;			/* bytes of frame */
	uint32_t size;			/* bytes available from data to the end of the buffer */
	uint8_t *head;			/* start of the allocation */
	uint64_t head_pa;		/* its physical address (drivers hand pages to devices) */
	uint32_t head_pages;		/* allocation size in pages */
	enum netbuf_csum csum;
	uint16_t csum_start;		/* PARTIAL: offset of the L4 header from data */
	uint16_t csum_offset;		/* PARTIAL: offset of the checksum field in it */
	struct netdev *dev;		/* rx: where it came from */
	struct netbuf *next;		/* queues */
};

/** A netbuf of at least @len bytes with @headroom before data. NULL when out of memory.
 * One-page netbufs (len + headroom up to ~3.9 KiB) may be allocated and freed in interrupt
 * context; larger ones are mapped in the vmap area and may not. */
struct netbuf *netbuf_alloc(uint32_t len, uint32_t headroom);
void netbuf_free(struct netbuf *nb);

struct netdev;

struct netdev_ops {
	/* Queue @nb for sending; the driver frees it when done. -EBUSY: the device is full (the
	 * caller keeps nb and may retry), -ENETDOWN: no carrier, -EMSGSIZE: larger than MTU. */
	int (*tx)(struct netdev *dev, struct netbuf *nb);
	/* Make progress without an interrupt (rx and tx completions). */
	void (*poll)(struct netdev *dev);
};

/* What an interface offers, as negotiated. */
struct netdev_features {
	bool sg;			/* scatter-gather: frames larger than a page */
	bool csum;			/* checksum offload (tx partial, rx validated) */
	bool ipv6_csum;			/* ... also for IPv6 */
	uint32_t queues;		/* tx/rx queue pairs */
	bool split_evtchn;		/* Xen: separate tx and rx event channels */
	bool rx_notify;			/* Xen: feature-rx-notify */
};

struct netdev_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_dropped;		/* queue full, malformed, no memory */
	uint64_t tx_dropped;		/* failed or refused transmissions */
	uint64_t rx_errors;		/* what the device or backend flagged as bad */
};

struct netdev {
	char name[NETDEV_NAME_MAX];	/* "eth0" */
	uint8_t mac[ETH_ALEN];		/* our address */
	uint32_t mtu;			/* bytes of IP packet (1500) */
	bool carrier;			/* the link is up (Xen: backend Connected) */
	/* Times the carrier came up (netdev_set_carrier): the stack announces us again on
	 * each, even when it never saw the carrier down (a reconnect between two polls). */
	uint32_t carrier_ups;
	struct netdev_features features;
	struct netdev_stats stats;
	const struct netdev_ops *ops;
	void *priv;			/* the driver's */
	void *stack_priv;		/* the IP stack's (addresses, ARP cache) */
	bool gone;			/* unregistered: every tx fails -ENODEV */
	struct netdev *next;		/* registry, owned by netdev.c */
};

/** Add an interface and print its line:
 *  pvkit: net <name> mac=<mac> mtu=<n> features: sg=<0|1> csum=<0|1> queues=<n> split-evtchn=<0|1>
 */
int netdev_register(struct netdev *dev);
void netdev_unregister(struct netdev *dev);
struct netdev *netdev_first(void);
struct netdev *netdev_next(struct netdev *dev);
struct netdev *netdev_find(const char *name);
void netdev_set_carrier(struct netdev *dev, bool up);

/** Driver -> stack: a received frame (ownership passes). Interrupt context is fine. */
void netdev_rx(struct netdev *dev, struct netbuf *nb);

/** Stack -> driver: send; on error the caller still owns @nb. */
int netdev_tx(struct netdev *dev, struct netbuf *nb);

/** Who handles received frames (the IP stack). Called from the idle loop. */
void netdev_set_rx_handler(void (*fn)(struct netdev *dev, struct netbuf *nb));

/** Idle loop: poll the drivers and hand queued frames to the rx handler. */
unsigned int netdev_poll(void);

#endif /* PVKIT_NETDEV_H */
