/* SPDX-License-Identifier: MIT */
/*
 * netfront's private half (drivers/xen-front/): the per-vif state shared by the xenbus side
 * (netfront.c) and the ring engine (netfront_ring.c), for the netif protocol, xen/io/netif.h.
 *
 * Contexts. All ring work (sending, reclaiming tx slots, taking rx responses, reposting rx
 * buffers, granting and ending grants) runs in task context: the netdev ops (tx from the
 * stack, poll from the idle loop). The event handler only counts: the upcall itself ends the
 * idle loop's halt and the next poll does the work. So nothing here races an interrupt.
 */
#ifndef DRIVERS_XEN_FRONT_NETFRONT_H
#define DRIVERS_XEN_FRONT_NETFRONT_H

#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/netdev.h>
#include <pvkit/x86.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/netfront.h>
#include <pvkit/xen/xenbus.h>

/* io/ring.h wants these from its includer (x86: only store->load needs a fence). */
#ifndef xen_mb
#define xen_mb()	mb()
#define xen_rmb()	barrier()
#define xen_wmb()	barrier()
#endif
#include <xen/io/netif.h>

#define NETFRONT_TX_IDS		256	/* tx slots in flight per queue: the whole ring */
#define NETFRONT_RX_BUFS	128	/* rx buffers posted per queue */
#define NETFRONT_MAX_SLOTS	XEN_NETIF_NR_SLOTS_MIN	/* 18: data slots of one frame */
#define NETFRONT_MAX_EXTRAS	(XEN_NETIF_EXTRA_TYPE_MAX - 1)	/* one of each kind */
#define NETFRONT_RX_BUDGET	64	/* frames per queue and poll; the rest next poll */
#define NETFRONT_VLAN_SLACK	4	/* a tagged frame carries 4 bytes more */
#define NETFRONT_MTU_MIN	68	/* RFC 791 */
#define NETFRONT_MTU_MAX_SG	9000	/* jumbo frames, several slots each */
/* Without feature-sg a frame is one slot (one page): the MTU follows. */
#define NETFRONT_MTU_MAX_1SLOT	(PAGE_SIZE - ETH_HLEN - NETFRONT_VLAN_SLACK)
#define NETFRONT_LOG_MAX	8	/* log lines per vif and kind of bad response */
#define NETFRONT_NIL		0xffff	/* no id */

/* Entries of one ring: rings are one page each in netif (no ring-page-order). */
#define NET_TX_RING_SIZE(sz)	__CONST_RING_SIZE(netif_tx, sz)
#define NET_RX_RING_SIZE(sz)	__CONST_RING_SIZE(netif_rx, sz)

BUILD_BUG_ON(NETFRONT_TX_IDS > NET_TX_RING_SIZE(PAGE_SIZE));
BUILD_BUG_ON(NETFRONT_RX_BUFS > NET_RX_RING_SIZE(PAGE_SIZE));

/* A bounce page behind one request id. Data goes through these, never through netbufs:
 * the backend sees nothing of ours but frame bytes. */
struct netfront_slot {
	uint64_t pa;			/* the page (0: none: allocation failed, id unusable) */
	grant_ref_t ref;		/* its grant while in flight */
	bool in_flight;			/* on the ring, no response accepted yet */
	bool granted;			/* ref is live: end it before the page is reused */
};

/* Kinds of rejected responses, each with its own log budget. */
enum netfront_log {
	NF_LOG_BAD_ID, NF_LOG_NOT_IN_FLIGHT, NF_LOG_OFFSET, NF_LOG_STATUS, NF_LOG_FLAGS,
	NF_LOG_CHAIN, NF_LOG_NR
};

struct netfront_queue {
	struct netfront_dev *dev;	/* the vif it belongs to */
	unsigned int index;		/* N of queue-N (0 for a single queue) */
	netif_tx_front_ring_t tx;	/* our tx indexes: req_prod_pvt, rsp_cons */
	netif_rx_front_ring_t rx;	/* our rx indexes */
	uint64_t tx_ring_pa, rx_ring_pa;	/* the shared pages (0: not allocated) */
	grant_ref_t tx_ring_ref, rx_ring_ref;	/* their grants (the backend maps them) */
	bool tx_ring_granted, rx_ring_granted;	/* refs live: end them on release */
	evtchn_port_t tx_port, rx_port;	/* equal without split event channels */
	bool tx_port_open, rx_port_open;	/* allocated: close on release (rx: split only) */
	bool broken;			/* the backend broke this queue's protocol */
	/* tx: ids index txs[]; a free stack of them. */
	struct netfront_slot txs[NETFRONT_TX_IDS];	/* by id */
	uint16_t tx_free[NETFRONT_TX_IDS];	/* a stack of the free ids */
	unsigned int tx_nfree;		/* its depth: ids free to take */
	/* rx: ids index rxs[]; which id was posted at each request position (an extra-info
	 * response carries no id: its buffer is found by position). */
	struct netfront_slot rxs[NETFRONT_RX_BUFS];	/* by id */
	uint16_t rx_free[NETFRONT_RX_BUFS];	/* a stack of the ids not posted */
	unsigned int rx_nfree;		/* its depth: buffers to post on the next refill */
	uint16_t rx_id_at[NET_RX_RING_SIZE(PAGE_SIZE)];	/* by request index & mask */
	/* rx frame being assembled across responses (and polls): */
	struct netbuf *rx_nb;		/* its bytes so far (NULL: none, or dropping) */
	bool rx_active;			/* inside a frame */
	bool rx_bad;			/* the frame is being dropped */
	bool rx_want_extra;		/* the next slot is an extra-info one */
	bool rx_more;			/* the last data slot said more_data */
	uint16_t rx_flags;		/* the first slot's flags (checksum state) */
	unsigned int rx_slots, rx_extras;	/* data / extra slots in it so far */
	uint64_t events;		/* upcalls on this queue's ports */
	uint64_t notifies;		/* kicks we sent (the backend asked) */
};

/* Where a vif is in its life; the xenbus state machine moves it (netfront.c). */
enum netfront_state {
	NETFRONT_FREE,			/* slot unused */
	NETFRONT_WAIT_BACKEND,		/* probed; waiting for the backend's InitWait */
	NETFRONT_CONNECTING,		/* rings published, we said Connected; waiting for it */
	NETFRONT_CONNECTED,		/* a registered netdev with carrier */
	NETFRONT_DEAD,			/* torn down or failed; waiting for the toolstack */
};

struct netfront_dev {
	struct netdev nd;		/* what the stack sees; nd.priv = this */
	struct xenbus_device xb;	/* device/vif/<id> and its backend */
	enum netfront_state state;	/* see above */
	bool registered;		/* netdev_register() succeeded: unregister on teardown */
	bool teardown;			/* a queue broke: the idle poller owes the teardown */
	bool resumed;			/* reconnecting after a resume (netfront_resume_dev) */
	uint32_t reconnects;		/* connected again after a resume */
	uint64_t tx_resume_dropped;	/* transmits in flight when the domain changed */
	const char *why;		/* what broke it, for the log */
	/* Negotiated: */
	unsigned int nr_queues;		/* queue pairs */
	bool split;			/* feature-split-event-channels */
	bool sg;			/* backend takes multi-slot tx (feature-sg) */
	bool csum_tx;			/* backend completes csum_blank frames (no
					 * feature-no-csum-offload) */
	bool rx_notify;			/* we kick on rx requests (feature-rx-notify) */
	uint32_t max_frame;		/* mtu + Ethernet header + VLAN slack */
	struct netfront_queue queues[NETFRONT_MAX_QUEUES];	/* [0, nr_queues) set up */
	unsigned int log_budget[NF_LOG_NR];	/* log lines left per kind */
	/* Counters, each as its namesake in struct netfront_stats says: */
	uint64_t tx_frames, tx_slots, tx_multi, tx_csum_offload, tx_csum_sw, tx_done;	/* tx */
	uint64_t tx_errors, tx_failed, tx_busy;			/* tx trouble */
	uint64_t rx_frames, rx_slots, rx_multi, rx_extras, rx_csum_blank, rx_csum_valid; /* rx */
	uint64_t rx_dropped, grants, grant_ends, grant_deferred;	/* drops, grants */
	uint64_t bad_id, not_in_flight, bad_offset, bad_status, bad_flags, long_chain;	/* rejects */
	uint64_t ring_errors;			/* rsp_prod impossible: queue broken */
};

/* ---- netfront_ring.c: queues, tx, rx ------------------------------------------------ */

/** Set up queue @i of @d: ring pages granted, bounce pages allocated, ports unbound with
 * our handler (masked). Return: 0 or -errno, nothing left to undo. Task context. */
int netfront_queue_setup(struct netfront_dev *d, unsigned int i);
/** Close the ports, end every grant (still-mapped pages are retired: gnttab_retire_page),
 * free. */
void netfront_queue_release(struct netfront_queue *q);
/** Post every free rx buffer and kick if the backend asks. Task context. */
void netfront_rx_refill(struct netfront_queue *q);
/** Take @q's responses: tx slots back, rx frames assembled, checked and handed up.
 * Returns how much work was done. A protocol break marks the queue (and vif) broken. */
unsigned int netfront_queue_poll(struct netfront_queue *q);
/** Send @nb on @q (copied to bounce pages; the caller frees @nb on success). Return: 0,
 * -EBUSY (no room now), -EMSGSIZE, -EINVAL, -ENOMEM (no grant). */
int netfront_queue_tx(struct netfront_queue *q, const struct netbuf *nb);
/** Fail every tx slot in flight (the vif is going): grants ended, counted. */
unsigned int netfront_tx_fail_all(struct netfront_queue *q);
/** The backend broke @q's protocol: log it once; the vif is torn down from task context. */
void netfront_mark_broken(struct netfront_queue *q, const char *why);
/** The event handler of every port (ctx: the queue). */
void netfront_event(evtchn_port_t port, void *ctx);

#endif /* DRIVERS_XEN_FRONT_NETFRONT_H */
