/* SPDX-License-Identifier: MIT */
/*
 * The xenstore wire protocol without the kernel (xen/io/xs_wire.h): ring transfer both ways,
 * message framing, reply and watch-event validation. Pure: no sleeping, no hypercalls, no
 * globals, so tests/unit and the libFuzzer target (tests/fuzz) drive it directly; xenstore.c
 * adds the event channel, the waits and the API. Folder-private header.
 */
#ifndef PVKIT_XEN_XS_PROTO_H
#define PVKIT_XEN_XS_PROTO_H

#include <pvkit/errno.h>
#include <pvkit/types.h>
/* xs_wire.h's error table names two errors pvkit/errno.h does not define (Linux values). */
#ifndef EISDIR
#define EISDIR		21
#endif
#ifndef EISCONN
#define EISCONN		106
#endif
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/xenstore.h>
#include <xen/io/xs_wire.h>

#define XS_HDR_SIZE	sizeof(struct xsd_sockmsg)		/* 16 */
#define XS_MSG_MAX	(XS_HDR_SIZE + XENSTORE_PAYLOAD_MAX)	/* largest legal message */
#define XS_EVQ_SIZE	8192	/* bytes of queued watch events (path\0token\0 + 2-byte length) */

/* One piece of a request's payload (requests are strings glued with or without NULs). */
struct xs_iov {
	const void *base;		/* bytes to send */
	size_t len;			/* how many */
};

/* The one request in flight: the client is synchronous, so one is enough. */
struct xs_pending {
	uint32_t req_id;		/* the id it was sent with; its reply must echo it */
	uint32_t type;			/* XS_*: the reply must have this type or XS_ERROR */
	bool active;			/* a caller waits for this reply (false: abandoned) */
	bool done;			/* the reply (or a failure) is in: err, reply, reply_len */
	int err;			/* 0, the XS_ERROR mapped to -errno, or -EPROTO & co. */
};

struct xs_conn {
	/* The shared page: the other end may write any of it at any time. Only its
	 * req_cons and rsp_prod are ever believed, and only after a sanity check. */
	struct xenstore_domain_interface *ring;

	/* Requests (we produce). */
	XENSTORE_RING_IDX req_prod;	/* private: the peer cannot move our producer */
	uint32_t tx_len;		/* bytes of the message in tx (0: none) */
	uint32_t tx_off;		/* how many of them are already in the ring */
	uint8_t tx[XS_MSG_MAX];		/* the request being written: a long one needs several
					 * ring fills; kept whole until the last byte is in, even
					 * if its caller gave up, so the stream stays framed */
	uint32_t next_req_id;		/* ids are never reused soon: a late reply can't match */

	/* Replies and events (we consume). */
	XENSTORE_RING_IDX rsp_cons;	/* private: what we consumed, whatever the page says */
	uint32_t rx_have;		/* bytes of the current message copied: header, then
					 * payload; the header is checked when it is whole */
	struct xsd_sockmsg rx_hdr;	/* our copy of its header (never re-read from the ring) */
	char rx_buf[XENSTORE_PAYLOAD_MAX + 1];	/* our copy of its payload, + NUL */

	struct xs_pending pend;		/* the request in flight */
	uint32_t reply_len;		/* payload length of pend's reply */
	char reply[XENSTORE_PAYLOAD_MAX + 1];	/* the reply, NUL appended (safe to use as C
						 * string when the type says it is one) */

	/* Watch events, queued until xs_poll() runs their callbacks (outside interrupts). */
	uint8_t evq[XS_EVQ_SIZE];	/* entries: 2-byte length, then "path\0token\0" */
	uint32_t evq_head, evq_tail;	/* free-running byte counts: tail - head bytes used */
	bool evq_overflow;		/* an event did not fit: every watch must re-check */

	struct xs_stats stats;		/* what xs_get_stats() reports */
};

/** Start on @ring, taking over its current indexes (a fresh domain's are all 0). */
void xs_conn_init(struct xs_conn *c, struct xenstore_domain_interface *ring);

/**
 * xs_conn_start() - queue a request: header (fresh req_id) + the @n pieces of @iov. Nothing
 * is written yet (xs_conn_tx does that). Return: 0 with *req_id; -EBUSY while a request is
 * in flight or the last one is not fully written; -E2BIG over XENSTORE_PAYLOAD_MAX.
 */
int xs_conn_start(struct xs_conn *c, uint32_t type, uint32_t tx_id,
		  const struct xs_iov *iov, unsigned int n, uint32_t *req_id);

/**
 * xs_conn_tx() - copy as much of the pending request into the ring as fits.
 * Return: bytes written (notify the other end if > 0), or -EPROTO when the peer's req_cons
 * is impossible (the request in flight is failed with it; the stats count it).
 */
int xs_conn_tx(struct xs_conn *c);
static inline bool xs_conn_tx_busy(const struct xs_conn *c) { return c->tx_off < c->tx_len; }

/**
 * xs_conn_rx() - copy every byte the ring holds out of it (once), and handle each message
 * as it completes: the reply of the request in flight, a watch event (queued), or garbage
 * (dropped, counted; a bad header or impossible indexes also fail the request in flight).
 * Return: bytes consumed (notify the other end if > 0).
 */
uint32_t xs_conn_rx(struct xs_conn *c);

/** Bytes still needed to complete the message being received (0: between messages). */
uint32_t xs_conn_rx_need(const struct xs_conn *c);

/** The caller gives up on the request in flight (timeout): its reply, if it ever comes,
 * is dropped as unmatched. */
void xs_conn_abandon(struct xs_conn *c);

/** Take the oldest queued watch event: "path\0token\0" into @buf. Return: 0 with *len,
 * -ENOENT when the queue is empty, -ENOSPC if @buf is too small (the event stays). */
int xs_conn_evq_pop(struct xs_conn *c, char *buf, size_t size, size_t *len);
static inline bool xs_conn_evq_empty(const struct xs_conn *c)
{
	return c->evq_head == c->evq_tail && !c->evq_overflow;
}

/* Payload checks, shared by the reply path and xenstore.c (all untrusted input). */
/** An XS_ERROR payload ("EINVAL\0") as -errno: -EIO for a name we do not know, -EBADMSG
 * without the NUL. */
int xs_parse_error(const char *p, uint32_t len);
/** A WATCH_EVENT payload: exactly "path\0token\0", both non-empty. Return: 0 or -EBADMSG. */
int xs_parse_event(const char *p, uint32_t len, const char **path, const char **token);
/** A DIRECTORY payload: empty, or names each ending in NUL. Return: 0 with *count, or
 * -EBADMSG (last name not terminated, or an empty name). */
int xs_parse_directory(const char *p, uint32_t len, unsigned int *count);
/** A decimal number, all of @len bytes: no sign, space or 0x. Return: 0, -EINVAL, -ERANGE. */
int xs_parse_ulong(const char *s, size_t len, unsigned long *v);
/** Does the reply of a request of @type look right? (Called with the reply's payload.)
 * Return: 0, -EBADMSG (missing NUL), -EPROTO (wrong content). */
int xs_check_reply(uint32_t type, const char *p, uint32_t len);

/* xenstore.c's entry points below xs_init() (tests/unit drives them on a fake ring). */
/** Start the client on @ring, its event channel @port (handler set, unmasked). */
int xs_init_ring(struct xenstore_domain_interface *ring, evtchn_port_t port);
/** xs_resume()'s core on the new domain's @ring and @port (tests drive it on a fake). */
int xs_resume_ring(struct xenstore_domain_interface *ring, evtchn_port_t port);
/** Forget everything: handler, watches, cached domid (tests, and xs_init's unwinding). */
void xs_reset(void);

#endif /* PVKIT_XEN_XS_PROTO_H */
