/* SPDX-License-Identifier: MIT */
/*
 * A fake blkback for the hosted tests of drivers/xen-front/blkfront*.c, beside the fake
 * xenstored (fake_xenstored.h): it writes the toolstack's and the backend's xenstore nodes,
 * maps the frontend's grants through a fake grant table, serves the rings on a RAM disk (the
 * blkif protocol, xen/io/blkif.h, as Linux's blkback speaks it) and can be told to misbehave.
 * Also the fake kernel blkfront needs besides xenstore and pages (fake_pages.h): grant tables,
 * kernel timers and the rings' event channels (blkfront's evtchn_* calls are renamed to
 * fbk_evtchn_* at build time; the xenstore ring keeps fake_xenstored's).
 */
#ifndef TESTS_UNIT_FAKE_BLKBACK_H
#define TESTS_UNIT_FAKE_BLKBACK_H

#include <stdbool.h>
#include <stdint.h>
#include <xen/event_channel.h>
#include <xen/io/ring.h>
#include "fake_pages.h"

#define FBK_DOMID	3		/* the guest */
#define FBK_MAX_RINGS	8		/* more than blkfront asks for: it must not */
#define FBK_MAX_PENDING	2048		/* requests consumed but not answered */
#define FBK_REFS	16384		/* fake grant references */

/* What to do to the next response (one shot), or to the ring. */
enum fbk_fault {
	FBK_OK,
	FBK_BAD_ID,		/* id with slot 0xffff: names no request slot */
	FBK_DUP_ID,		/* the response sent twice */
	FBK_STALE_ID,		/* the right slot, an older generation */
	FBK_WRONG_OP,		/* READ <-> WRITE, others + 1 */
	FBK_BAD_STATUS,		/* status 7 */
	FBK_ERROR,		/* BLKIF_RSP_ERROR (a legitimate failure) */
	FBK_EOPNOTSUPP,		/* BLKIF_RSP_EOPNOTSUPP */
	FBK_PROD_JUMP,		/* no response; rsp_prod jumps a ring and a half ahead */
	FBK_PROD_BACK,		/* no response; rsp_prod goes back behind rsp_cons */
	FBK_PROD_AHEAD,		/* no response; rsp_prod 3 ahead: less than a ring, more than
				 * the requests that ring has outstanding */
};

/* What the backend offers; -1 / false: the key is absent. */
struct fbk_offer {
	int max_ring_page_order;	/* max-ring-page-order */
	int max_ring_pages;		/* max-ring-pages (the older key) */
	int max_queues;			/* multi-queue-max-queues */
	int max_indirect;		/* feature-max-indirect-segments */
	bool persistent;		/* feature-persistent */
	bool flush, barrier;		/* feature-flush-cache, feature-barrier */
	bool discard, discard_secure;	/* feature-discard, discard-secure */
	int discard_granularity;	/* bytes, -1 absent */
	long long discard_alignment;	/* bytes, -1 absent (fbk_reset: 0) */
	unsigned int sector_size;	/* sector-size (0: absent) */
	unsigned int physical_sector_size;	/* physical-sector-size (0: absent) */
	uint64_t sectors;		/* "sectors" (512-byte units, as blkback) */
	bool readonly;			/* mode=r and VDISK_READONLY */
	bool connect_skips_initwait;	/* go to Connected from Initialising directly */
};

/* One request as the backend saw it. */
struct fbk_seen {
	uint8_t op;			/* the ring operation (INDIRECT for indirect ones) */
	uint8_t data_op;		/* the data operation inside */
	uint16_t nr_segs;		/* segments */
	uint64_t id, sector, nr_sectors;	/* nr_sectors: data or discard length */
	uint8_t discard_flag;
	unsigned int ring;		/* which ring it came on */
	uint32_t refs[512];		/* the data grants, in order */
	uint32_t gens[512];		/* their grant generations at the time */
};

struct fbk {
	struct fbk_offer offer;		/* set before fbk_add() */
	uint8_t *disk;			/* offer.sectors * 512 bytes */
	char fe[96], be[96];		/* the frontend's and the backend's xenstore directories */
	unsigned int vdev;
	/* After fbk_connect(): */
	unsigned int nr_rings, ring_pages;	/* what the frontend published */
	bool fe_persistent;		/* the frontend said feature-persistent=1 */
	bool persistent;		/* both did: grants stay mapped */
	/* Knobs. */
	enum fbk_fault fault;		/* for the next response */
	bool hold;			/* take requests, answer none (fbk_release answers) */
	bool reverse;			/* answer a batch last-first (out of order) */
	bool batch;			/* fbk_release: all responses, then one event per ring */
	bool lose_events;		/* responses go out, their events never arrive */
	bool clear_written;		/* fbk_add clears only what the backend wrote since the
					 * last one, not the whole disk (a fuzzer's every input;
					 * right only if nothing else writes fbk.disk) */
	/* Observation. */
	unsigned int requests;		/* taken off the rings */
	unsigned int per_ring[FBK_MAX_RINGS];
	unsigned int by_op[8];		/* by data operation */
	unsigned int indirect;		/* of them indirect */
	unsigned int violations;	/* protocol errors of the frontend's (see fake_blkback.c) */
	char violation[160];		/* the last one, said */
	unsigned int kicks;		/* fbk_evtchn_send() on a ring port */
	unsigned int events;		/* events raised to the frontend */
	unsigned int events_lost;	/* dropped by lose_events */
	struct fbk_seen last;		/* the last request taken */
	struct fbk_seen *log;		/* every request taken, if set (fbk_log_max entries) */
	unsigned int log_n, log_max;
};
extern struct fbk fbk;

/** A fresh backend (and fresh fake grant table, ports, pages) with @offer's defaults:
 * everything on, 8-page rings, 4 queues, 256 indirect segments, 8 MiB disk. */
void fbk_reset(void);
/** Write the toolstack's nodes for vbd @vdev and the backend's probe-time ones (InitWait). */
void fbk_add(unsigned int vdev);
/** Read what the frontend published, map its rings, bind its ports, write the connect-time
 * nodes and Connected. Return: 0 or -1 (fbk.violation says why). */
int fbk_connect(void);
/** Serve every ring once: take requests, answer them (unless hold). Returns requests taken. */
unsigned int fbk_step(void);
/** Answer the held requests now (in order, or reversed with fbk.reverse). */
unsigned int fbk_release(void);
/** The backend's state node := @state (5: Closing, 6: Closed). */
void fbk_set_state(unsigned int state);
/** What blkback does when the frontend is Closed: unmap the rings and all data grants. */
void fbk_disconnect(void);
/** The domain was restored (or migrated) into a new one: the old backend is gone (its rings
 * and every mapping of it, requests it held never answered), a new one waits in InitWait with
 * fbk.offer's features, over the same disk (its contents kept). Call after the fake
 * xenstored was started afresh. */
void fbk_new_domain(void);
/** The toolstack removes both directories (xl block-detach's last step). */
void fbk_remove(void);
/** Raise a ring's event without a response (a storm). */
void fbk_raise_ring(unsigned int ring);

/* The fake kernel around blkfront: pages and mappings in fake_pages.h. */
/* Grant table. */
struct fgnt_stats {
	unsigned int live;		/* granted (or claimed), not ended */
	unsigned int deferred;		/* ended while mapped, still mapped */
	unsigned int granted, ended;	/* calls that worked (granted: gnttab_grant_ref too) */
	unsigned int bad_ends;		/* end (or grant/revoke) of a reference not ours */
	unsigned int access;		/* entries that grant access now (claimed-off ones not) */
	unsigned int writable;		/* of those, with write access */
	unsigned int claimed, revoked;	/* gnttab_claim_ref, gnttab_revoke_ref that took access */
};
void fgnt_stats(struct fgnt_stats *s);
/** Is (@ref, @gen) still the live grant it was (granting access)? */
bool fgnt_is_live(uint32_t ref, uint32_t gen);
unsigned int fgnt_backend_maps(void);	/* mappings the backend holds */
/** The backend drops every mapping it holds (rings, persistent grants) except those of
 * @keep, as a backend that hangs on to one page would. Returns mappings dropped. */
unsigned int fgnt_release_all_but(uint32_t keep);
/** Grants with write access now that are not the backend's ring pages. */
unsigned int fgnt_writable_data(void);
/** The backend maps grant @ref once more (and keeps it until fgnt_release_all_but), as one
 * that answers before it unmaps would. Return: false if @ref grants nothing now. */
bool fgnt_backend_hold(uint32_t ref);
/* Ports. */
unsigned int fbk_ports_open(void);
/* Kernel timers (timer_add/timer_cancel): they fire only when the test says. */
/** Run every timer due at fake_now_ns (as the timer interrupt would). Returns how many ran. */
unsigned int fbk_run_timers(void);
unsigned int fbk_timers_pending(void);

#endif /* TESTS_UNIT_FAKE_BLKBACK_H */
