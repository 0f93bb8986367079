// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the xenstore reply path (xen-guest/xs_proto.c; docs/xenstore.md): the
 * input is a script of ring operations by a hostile xenstored (bytes into the rsp ring, index
 * jumps, raw and valid headers, watch events, impossible req_cons) interleaved with the
 * client's requests, receives and give-ups. After every step the client's invariants are
 * asserted; at the end a well-behaved exchange must still work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/compiler.h>
#include "../../xen-guest/xs_proto.h"

#define FZ_ASSERT(cond)								\
	do {									\
		if (!(cond)) {							\
			fprintf(stderr, "invariant broken at %s:%d: %s\n",	\
				__FILE__, __LINE__, #cond);			\
			abort();						\
		}								\
	} while (0)

static struct xs_conn conn;

/* The script. */
struct fz {
	const uint8_t *p;		/* next input byte */
	size_t n;			/* bytes left */
};

static uint8_t fz8(struct fz *f)
{
	if (!f->n)
		return 0;
	f->n--;
	return *f->p++;
}

static uint32_t fz32(struct fz *f)
{
	uint32_t v = fz8(f);

	v |= fz8(f) << 8;
	v |= fz8(f) << 16;
	return v | (uint32_t)fz8(f) << 24;
}

/* The hostile daemon writes @n bytes at its producer index (wrapping), then publishes. */
static void peer_write(struct xenstore_domain_interface *r, const void *src, uint32_t n)
{
	const uint8_t *s = src;

	for (uint32_t i = 0; i < n; i++)
		r->rsp[MASK_XENSTORE_IDX(r->rsp_prod + i)] = s[i];
	r->rsp_prod += n;
}

static void peer_msg(struct xenstore_domain_interface *r, uint32_t type, uint32_t id,
		     const void *p, uint32_t len)
{
	struct xsd_sockmsg h = { .type = type, .req_id = id, .len = len };

	peer_write(r, &h, sizeof(h));
	peer_write(r, p, len);
}

/* A reply the client must accept for a request of @type (or an XS_ERROR). */
static void peer_valid_reply(struct xenstore_domain_interface *r, uint8_t how)
{
	uint32_t id = conn.pend.req_id, type = conn.pend.type;

	if (how & 1) {
		const char *e = xsd_errors[(how >> 1) % (sizeof(xsd_errors) / sizeof(xsd_errors[0]))]
					.errstring;

		peer_msg(r, XS_ERROR, id, e, strlen(e) + 1);
		return;
	}
	switch (type) {
	case XS_READ:
		peer_msg(r, type, id, "value", 5);
		break;
	case XS_DIRECTORY:
		peer_msg(r, type, id, "a\0bb\0", 5);
		break;
	case XS_TRANSACTION_START:
		peer_msg(r, type, id, "42", 3);
		break;
	default:
		peer_msg(r, type, id, "OK", 3);
		break;
	}
}

static const uint32_t fz_types[] = {
	XS_READ, XS_WRITE, XS_MKDIR, XS_RM, XS_DIRECTORY, XS_TRANSACTION_START,
	XS_TRANSACTION_END, XS_WATCH, XS_UNWATCH,
};

static void check_invariants(const struct xs_stats *before)
{
	const struct xs_conn *c = &conn;
	const struct xs_stats *s = &c->stats;

	FZ_ASSERT(c->tx_off <= c->tx_len && c->tx_len <= XS_MSG_MAX);
	FZ_ASSERT(c->tx_len == 0 || c->tx_off < c->tx_len);
	if (c->rx_have >= XS_HDR_SIZE) {
		FZ_ASSERT(c->rx_hdr.len <= XENSTORE_PAYLOAD_MAX);
		FZ_ASSERT(c->rx_have < XS_HDR_SIZE + c->rx_hdr.len);	/* whole ones are handled */
	}
	FZ_ASSERT(c->evq_tail - c->evq_head <= XS_EVQ_SIZE);
	FZ_ASSERT(!c->pend.done || c->pend.active);
	if (c->pend.done && !c->pend.err) {
		FZ_ASSERT(c->reply_len <= XENSTORE_PAYLOAD_MAX);
		FZ_ASSERT(c->reply[c->reply_len] == '\0');
		FZ_ASSERT(xs_check_reply(c->pend.type, c->reply, c->reply_len) == 0);
	}
	if (c->pend.done)
		FZ_ASSERT(c->pend.err <= 0 && c->pend.err > -4096);
	/* Counters only grow; a request is answered at most once. */
	FZ_ASSERT(s->requests >= before->requests && s->replies >= before->replies);
	FZ_ASSERT(s->malformed >= before->malformed && s->unmatched >= before->unmatched);
	FZ_ASSERT(s->resyncs >= before->resyncs && s->ring_errors >= before->ring_errors);
	FZ_ASSERT(s->watch_events >= before->watch_events && s->errors >= before->errors);
	FZ_ASSERT(s->replies <= s->requests && s->errors <= s->replies);
	FZ_ASSERT(s->resyncs <= s->malformed);
}

/* Take the events out as xs_poll() would: each must be a well-formed "path\0token\0". */
static void pop_events(unsigned int max)
{
	char buf[XENSTORE_PAYLOAD_MAX];
	const char *path, *token;
	size_t len;

	for (unsigned int i = 0; i < max; i++) {
		int err = xs_conn_evq_pop(&conn, buf, sizeof(buf), &len);

		if (err) {
			FZ_ASSERT(err == -ENOENT && conn.evq_head == conn.evq_tail);
			break;
		}
		FZ_ASSERT(xs_parse_event(buf, len, &path, &token) == 0);
	}
}

static void do_rx(struct xenstore_domain_interface *r)
{
	xs_conn_rx(&conn);
	/* Everything there was taken (or skipped): consumer == producer, published. */
	FZ_ASSERT(conn.rsp_cons == r->rsp_prod && r->rsp_cons == conn.rsp_cons);
}

static void do_start(struct fz *f)
{
	static const char text[] = "device/vif/0/state\0pvk1\0some-value-bytes";
	uint8_t t = fz8(f), len = fz8(f) % sizeof(text);
	struct xs_iov iov = { text, len };
	uint32_t id, type = t < 200 ? fz_types[t % 9] : t;
	bool busy = conn.pend.active || xs_conn_tx_busy(&conn);
	int err = xs_conn_start(&conn, type, fz8(f), &iov, 1, &id);

	FZ_ASSERT(busy ? err == -EBUSY : err == 0);
	if (!err)
		FZ_ASSERT(conn.pend.active && !conn.pend.done && conn.pend.req_id == id);
}

static void do_tx(struct xenstore_domain_interface *r, bool honest, uint32_t cons)
{
	static uint8_t want[XS_MSG_MAX];
	XENSTORE_RING_IDX prod = conn.req_prod;
	uint32_t off = conn.tx_off;
	int n;

	memcpy(want, conn.tx, sizeof(want));
	r->req_cons = honest ? r->req_prod : cons;
	n = xs_conn_tx(&conn);
	FZ_ASSERT(n >= -EPROTO && n <= XENSTORE_RING_SIZE);
	FZ_ASSERT(r->req_prod == conn.req_prod && conn.req_prod - prod == (n > 0 ? n : 0));
	/* What went into the ring is the next part of the request, at the right places. */
	for (int i = 0; i < n; i++)
		FZ_ASSERT((uint8_t)r->req[MASK_XENSTORE_IDX(prod + i)] == want[off + i]);
}

static void script(struct xenstore_domain_interface *r, struct fz *f)
{
	uint8_t buf[512];
	struct xsd_sockmsg h;
	uint32_t n;

	while (f->n) {
		struct xs_stats before = conn.stats;

		switch (fz8(f) % 11) {
		case 0:			/* bytes into the ring */
			n = fz8(f) + 1;		/* MIN() evaluates twice: no fz8() inside */
			n = MIN(n, f->n);
			peer_write(r, f->p, n);
			f->p += n;
			f->n -= n;
			break;
		case 1:			/* an index jump, any way */
			r->rsp_prod += fz32(f);
			break;
		case 2:
			do_rx(r);
			break;
		case 3:
			do_start(f);
			break;
		case 4:
			do_tx(r, true, 0);
			break;
		case 5:
			do_tx(r, false, fz32(f));
			break;
		case 6:			/* the caller times out */
			xs_conn_abandon(&conn);
			break;
		case 7:
			pop_events(fz8(f));
			break;
		case 8:
			if (conn.pend.active)
				peer_valid_reply(r, fz8(f));
			break;
		case 9:			/* a raw header, maybe with the id in flight */
			h.type = fz8(f);
			h.type = h.type >= 128 ? fz32(f) : h.type % (XS_TYPE_COUNT + 2);
			h.req_id = fz8(f) & 1 ? conn.pend.req_id : fz32(f);
			h.tx_id = 0;
			h.len = fz8(f) & 1 ? fz32(f) : fz8(f);
			n = MIN(MIN(h.len, (uint32_t)sizeof(buf)), f->n);
			memcpy(buf, f->p, n);
			f->p += n;
			f->n -= n;
			peer_write(r, &h, sizeof(h));
			peer_write(r, buf, n);
			break;
		case 10:		/* a watch event with input strings */
			n = fz8(f);
			n = MIN(n, f->n);
			peer_msg(r, XS_WATCH_EVENT, 0, f->p, n);
			f->p += n;
			f->n -= n;
			break;
		}
		check_invariants(&before);
	}
}

/* After anything, an honest daemon and client must still get a request answered. */
static void still_usable(struct xenstore_domain_interface *r)
{
	static const uint8_t zeros[XENSTORE_RING_SIZE];
	const struct xs_iov iov = { "domid", 6 };
	uint32_t id, need;

	xs_conn_abandon(&conn);
	do_rx(r);
	for (int i = 0; i < 16 && (need = xs_conn_rx_need(&conn)); i++) {
		peer_write(r, zeros, MIN(need, XENSTORE_RING_SIZE));
		do_rx(r);		/* a finished garbage message: dropped or poisoned */
	}
	FZ_ASSERT(xs_conn_rx_need(&conn) == 0);
	for (int i = 0; i < 16 && xs_conn_tx_busy(&conn); i++)
		do_tx(r, true, 0);
	FZ_ASSERT(!xs_conn_tx_busy(&conn));
	pop_events(1000);
	FZ_ASSERT(xs_conn_start(&conn, XS_READ, 0, &iov, 1, &id) == 0);
	do_tx(r, true, 0);
	FZ_ASSERT(!xs_conn_tx_busy(&conn));
	peer_msg(r, XS_READ, id, "5", 1);
	do_rx(r);
	FZ_ASSERT(conn.pend.done && conn.pend.err == 0);
	FZ_ASSERT(conn.reply_len == 1 && !strcmp(conn.reply, "5"));
	xs_conn_abandon(&conn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exactly the page's structure on the heap: an index error is an ASan report. */
	struct xenstore_domain_interface *r = calloc(1, sizeof(*r));
	struct fz f = { data, size };

	/* The first 4 bytes place the indexes (across the ring end and 2^32). */
	r->req_prod = r->req_cons = fz32(&f);
	r->rsp_prod = r->rsp_cons = r->req_prod ^ 0x5a5;
	xs_conn_init(&conn, r);
	script(r, &f);
	still_usable(r);
	free(r);
	return 0;
}
