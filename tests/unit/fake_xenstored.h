/* SPDX-License-Identifier: MIT */
/*
 * An in-process xenstored for the hosted tests of the xenstore client and xenbus: it services
 * the rings of a fake shared page (xen/io/xs_wire.h), keeps a node tree with watches and
 * transactions, and can be told to misbehave. Also the fake kernel around the client: event
 * channels, interrupt flag, clock and os_wait_until(), where "halting" lets the daemon run.
 */
#ifndef TESTS_UNIT_FAKE_XENSTORED_H
#define TESTS_UNIT_FAKE_XENSTORED_H

#include <errno.h>		/* all of xs_wire.h's error names (pvkit's lacks two) */
#include <stdbool.h>
#include <stdint.h>
#include <xen/io/xs_wire.h>

#define FXS_PORT	7		/* the ring's event channel */
#define FXS_OUT_MAX	65536		/* bytes the daemon may have queued for the rsp ring */

/* What to do to the next reply (not to watch events). */
enum fxs_fault {
	FXS_OK,
	FXS_BAD_LEN,		/* header len = XENSTORE_PAYLOAD_MAX + 1 */
	FXS_BAD_TYPE,		/* type = 999 (unknown) */
	FXS_WRONG_TYPE,		/* a known type other than the request's */
	FXS_BAD_REQID,		/* req_id + 1000: matches nobody */
	FXS_NO_NUL,		/* the last byte (a NUL) left off */
	FXS_DUP,		/* sent twice */
	FXS_BAD_ERRSTR,		/* XS_ERROR "EWHATEVER" instead of the reply */
	FXS_DROP,		/* never sent */
	FXS_JUMP,		/* not sent; rsp_prod jumps 5000 ahead instead */
};

struct fxs {
	struct xenstore_domain_interface *ring;	/* heap, exactly one page: ASan-checked */
	unsigned int domid;			/* the client's domain */
	/* Knobs. */
	uint32_t chunk;			/* max bytes per step into the rsp ring (0: all) */
	bool stall;			/* hold every reply back */
	unsigned int force_eagain;	/* next commits answered EAGAIN */
	const char *race_path;		/* on the next commit, first write this (as dom0)... */
	const char *race_value;		/* ...this value, so that the commit conflicts */
	enum fxs_fault fault;		/* for the next reply */
	bool req_stuck;			/* stop consuming requests */
	/* Counters. */
	unsigned int requests[XS_TYPE_COUNT];	/* well-formed requests by type */
	unsigned int bad_requests;	/* the client sent something malformed */
	unsigned int upcalls;		/* events delivered to the client's handler */
	unsigned int kicks;		/* evtchn_send() from the client */
	unsigned int commits, conflicts;	/* transaction ends with "T", EAGAINs given */
	unsigned int irq_violations;	/* handler would have run with interrupts off */
	unsigned int max_req_len;	/* largest request payload seen */
};
extern struct fxs fxs;

/* Lifecycle: a fresh daemon with /local/domain/<domid>/{domid,name,data} and ring indexes
 * all at @start_idx (to put messages across the ring's end or the index wrap). */
void fxs_init(unsigned int domid, const char *name, uint32_t start_idx);
void fxs_fini(void);

/** One step of the daemon: requests in, delayed writes, replies out, upcall. Returns whether
 * anything happened. */
bool fxs_step(void);
/** Steps until nothing happens (bounded). */
void fxs_run(void);
/** Steps and the client's watch callbacks (xs_poll) until neither moves (bounded). */
void fxs_pump(void);

/* The store, as dom0 sees it (absolute paths; watches fire). */
void fxs_set(const char *path, const char *value);
void fxs_set_bytes(const char *path, const void *value, uint32_t len);	/* NULs and all */
const char *fxs_get(const char *path);	/* NULL if absent */
void fxs_rm(const char *path);
void fxs_perm_ro(const char *prefix);	/* the client's writes under it get EACCES */
/** After @steps more steps, fxs_set(@path, @value) (dom0 acting later). */
void fxs_later(unsigned int steps, const char *path, const char *value);

/* Raw output, for hostile tests. */
void fxs_send(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *p, uint32_t len);
void fxs_send_raw(const void *p, uint32_t len);
/** Move the rsp producer by @delta without data (index jumps); the daemon follows it. */
void fxs_jump_rsp_prod(int64_t delta);
/** Bytes queued but not yet in the ring. */
uint32_t fxs_out_pending(void);
/** Number of watches the daemon holds. */
unsigned int fxs_nr_watches(void);

/* The fake kernel. */
extern uint64_t fake_now_ns;		/* pv_clock_ns() */
extern bool fake_irqs_on;		/* the interrupt flag */

#endif /* TESTS_UNIT_FAKE_XENSTORED_H */
