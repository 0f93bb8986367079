/* SPDX-License-Identifier: MIT */
/*
 * A fake netback for the hosted tests of drivers/xen-front/netfront*.c, beside the fake
 * xenstored (fake_xenstored.h): it writes the toolstack's and the backend's xenstore nodes,
 * reads what the frontend publishes, maps its rings through a fake grant table, takes tx
 * frames off the tx rings and copies rx frames into the frontend's posted buffers (the netif
 * protocol, xen/io/netif.h, as Linux's netback speaks it), and can be told to misbehave
 * (raw responses, index jumps). Also the fake kernel netfront needs besides xenstore: pages,
 * grant tables, and the queues' event channels (netfront's evtchn_* calls are renamed to
 * fnb_evtchn_* at build time; the xenstore ring keeps fake_xenstored's).
 */
#ifndef TESTS_UNIT_FAKE_NETBACK_H
#define TESTS_UNIT_FAKE_NETBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/event_channel.h>
#include "fake_pages.h"

#define FNB_DOMID	5		/* the guest */
#define FNB_MAX_QUEUES	8		/* more than netfront asks for: it must not */
#define FNB_REFS	16384		/* fake grant references */
#define FNB_FRAME_MAX	65536
#define FNB_TX_LOG	64		/* frames kept of what the frontend sent */

/* What the backend offers; false / 0: the key is absent. */
struct fnb_offer {
	bool rx_copy;			/* feature-rx-copy */
	bool sg;			/* feature-sg */
	bool no_csum;			/* feature-no-csum-offload=1 */
	bool split;			/* feature-split-event-channels */
	unsigned int max_queues;	/* multi-queue-max-queues (0: absent) */
	unsigned int mtu;		/* "mtu" (0: absent) */
	const char *mac;		/* the toolstack's mac key (NULL: absent) */
};

/* A frame the frontend sent, as the backend assembled it. */
struct fnb_frame {
	uint32_t len;
	uint16_t flags;			/* the first slot's */
	unsigned int slots, queue;
	uint8_t data[2048];		/* the first 2048 bytes */
};

struct fnb {
	struct fnb_offer offer;		/* set before fnb_add() */
	char fe[96], be[96];		/* the frontend's and the backend's directories */
	/* After fnb_connect(): what the frontend published. */
	unsigned int nr_queues;
	bool fe_split, fe_rx_copy, fe_rx_notify, fe_sg, fe_no_csum;
	/* Knobs. */
	bool hold_tx;			/* take tx requests, answer none (fnb_tx_release) */
	bool quiet;			/* do not print violations (the fuzzer makes many) */
	/* Observation. */
	unsigned int violations;	/* protocol errors of the frontend's */
	char violation[160];
	unsigned int tx_frames, tx_slots;	/* taken off the tx rings */
	unsigned int kicks;		/* fnb_evtchn_send() */
	struct fnb_frame tx_log[FNB_TX_LOG];	/* the last frames sent (ring buffer) */
};
extern struct fnb fnb;

/** A fresh backend (grant table, ports, pages) offering everything: rx-copy, sg, csum,
 * split event channels, 4 queues, mac 00:16:3e:aa:bb:cc. */
void fnb_reset(void);
/** Write the toolstack's nodes for vif @id and the backend's probe-time ones (InitWait). */
void fnb_add(unsigned int id);
/** Read what the frontend published, map its rings, bind its ports, say Connected.
 * Return: 0 or -1 (fnb.violation says why). */
int fnb_connect(void);
/** The backend's state node := @state (5: Closing, 6: Closed). */
void fnb_set_state(unsigned int state);
/** What netback does when the frontend is Closed: unmap the rings. */
void fnb_disconnect(void);
/** The domain was restored (or migrated) into a new one: the old backend is gone (its rings,
 * what it held), a new one waits in InitWait with fnb.offer, under the same vif id. Call
 * after the fake xenstored was started afresh. */
void fnb_new_domain(void);
/** The toolstack removes both directories. */
void fnb_remove(void);

/** Serve the tx rings: take requests, assemble frames into tx_log, answer (unless hold).
 * Returns frames taken. */
unsigned int fnb_tx_step(void);
/** Answer the held tx requests. */
unsigned int fnb_tx_release(void);
/** rx requests the frontend has posted on @queue and we did not take yet. */
unsigned int fnb_rx_posted(unsigned int queue);
/** Copy a frame into @queue's posted buffers (slots of at most @slot_max bytes), with
 * @flags on the first response (NETRXF_*; more_data is ours), raise the event.
 * Return: 0, or -1 when too few buffers were posted. */
int fnb_rx(unsigned int queue, const uint8_t *frame, uint32_t len, uint16_t flags,
	   uint32_t slot_max);
/** Take the next rx request of @queue and answer it with exactly @rsp (8 bytes, as
 * written; an extra-info slot too), without raising the event. Return: 0, or -1. */
int fnb_rx_raw(unsigned int queue, const void *rsp);
/** The id of @queue's next rx request (not taken), or -1. */
int fnb_rx_next_id(unsigned int queue);
/** Write a raw tx response at rsp_prod (id/status as given), push, no event. */
void fnb_tx_raw(unsigned int queue, uint16_t id, int16_t status);
/** Push rx (or tx) responses written so far and raise the event. */
void fnb_rx_push(unsigned int queue);
void fnb_tx_push(unsigned int queue);
/** Move @queue's rx (tx) rsp_prod by @delta without writing responses. */
void fnb_rx_jump(unsigned int queue, int32_t delta);
void fnb_tx_jump(unsigned int queue, int32_t delta);
/** The id of the oldest tx request taken but not answered (hold_tx), or -1. */
int fnb_tx_held_id(void);
/** The grant of the oldest tx request taken but not answered (still mapped), or -1. */
int64_t fnb_tx_held_ref(void);

/* The fake kernel around netfront (pages: fake_pages.h). */
extern unsigned int fake_netbufs_live;	/* netbuf_alloc - netbuf_free */
struct fgnt_stats {
	unsigned int live;		/* granted, not ended */
	unsigned int deferred;		/* ended while mapped, still mapped */
	unsigned int granted, ended;	/* calls that worked */
	unsigned int bad_ends;		/* end of a reference not granted */
};
void fgnt_stats(struct fgnt_stats *s);
/** The backend drops every mapping it holds except those of grant @keep (a backend that
 * hangs on to one page). Returns mappings dropped. */
unsigned int fgnt_release_all_but(uint32_t keep);
/** Does the backend map grant @ref? */
bool fgnt_is_mapped(uint32_t ref);
unsigned int fnb_ports_open(void);

#endif /* TESTS_UNIT_FAKE_NETBACK_H */
