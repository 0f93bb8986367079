// SPDX-License-Identifier: MIT
/*
 * The xenstore wire protocol (xen/io/xs_wire.h; docs/xenstore.md): requests into the req ring,
 * replies and watch events out of the rsp ring, each message copied out of the shared page
 * exactly once and parsed from the copy. Everything the other end writes is untrusted.
 */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/x86.h>
#include "xs_proto.h"

#define XS_EVQ_LEN_BYTES	2	/* the length in front of each queued event */

void xs_conn_init(struct xs_conn *c, struct xenstore_domain_interface *ring)
{
	memset(c, 0, sizeof(*c));
	c->ring = ring;
	c->req_prod = READ_ONCE(ring->req_prod);
	c->rsp_cons = READ_ONCE(ring->rsp_cons);
	c->next_req_id = 1;
}

/* ---- requests ------------------------------------------------------------------------- */

int xs_conn_start(struct xs_conn *c, uint32_t type, uint32_t tx_id,
		  const struct xs_iov *iov, unsigned int n, uint32_t *req_id)
{
	struct xsd_sockmsg h = { .type = type, .tx_id = tx_id };
	size_t len = 0;
	uint8_t *p;

	if (c->pend.active || xs_conn_tx_busy(c))
		return -EBUSY;
	for (unsigned int i = 0; i < n; i++) {
		if (iov[i].len > XENSTORE_PAYLOAD_MAX - len)
			return -E2BIG;
		len += iov[i].len;
	}
	h.req_id = c->next_req_id++;
	h.len = len;
	memcpy(c->tx, &h, sizeof(h));
	p = c->tx + sizeof(h);
	for (unsigned int i = 0; i < n; i++) {
		memcpy(p, iov[i].base, iov[i].len);
		p += iov[i].len;
	}
	c->tx_len = sizeof(h) + len;
	c->tx_off = 0;
	c->pend = (struct xs_pending){ .req_id = h.req_id, .type = type, .active = true };
	c->stats.requests++;
	*req_id = h.req_id;
	return 0;
}

/* The request in flight has its answer (or its failure). */
static void xs_conn_complete(struct xs_conn *c, int err)
{
	if (!c->pend.active || c->pend.done)
		return;
	c->pend.err = err;
	c->pend.done = true;
}

void xs_conn_abandon(struct xs_conn *c)
{
	c->pend = (struct xs_pending){ 0 };
}

static void xs_ring_write(char *ring, XENSTORE_RING_IDX idx, const uint8_t *src, uint32_t n)
{
	uint32_t off = MASK_XENSTORE_IDX(idx);
	uint32_t first = MIN(n, XENSTORE_RING_SIZE - off);

	memcpy(ring + off, src, first);
	memcpy(ring, src + first, n - first);
}

int xs_conn_tx(struct xs_conn *c)
{
	struct xenstore_domain_interface *r = c->ring;
	XENSTORE_RING_IDX cons;
	uint32_t used, n;

	if (!xs_conn_tx_busy(c))
		return 0;
	cons = READ_ONCE(r->req_cons);
	used = c->req_prod - cons;
	if (used > XENSTORE_RING_SIZE) {	/* consumer ahead of us, or > a ring behind */
		c->stats.ring_errors++;
		xs_conn_complete(c, -EPROTO);
		return -EPROTO;
	}
	n = MIN(XENSTORE_RING_SIZE - used, c->tx_len - c->tx_off);
	if (!n)
		return 0;
	mb();			/* req_cons read before we overwrite the slots it freed */
	xs_ring_write(r->req, c->req_prod, c->tx + c->tx_off, n);
	wmb();			/* the bytes before the index that publishes them */
	c->req_prod += n;
	c->tx_off += n;
	WRITE_ONCE(r->req_prod, c->req_prod);
	if (c->tx_off == c->tx_len)
		c->tx_off = c->tx_len = 0;
	return n;
}

/* ---- payload checks ------------------------------------------------------------------- */

int xs_parse_ulong(const char *s, size_t len, unsigned long *v)
{
	unsigned long x = 0;

	if (!len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned char)s[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (x > (~0ul - d) / 10)
			return -ERANGE;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

int xs_parse_error(const char *p, uint32_t len)
{
	if (!len || p[len - 1] || strnlen(p, len) != len - 1)
		return -EBADMSG;		/* exactly one NUL-terminated name */
	for (size_t i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (!strcmp(p, xsd_errors[i].errstring))
			return -xsd_errors[i].errnum;
	return -EIO;
}

int xs_parse_event(const char *p, uint32_t len, const char **path, const char **token)
{
	size_t plen;

	if (len < 4 || p[len - 1])
		return -EBADMSG;
	plen = strnlen(p, len);
	/* "path\0token\0": both non-empty, no third string. */
	if (plen == 0 || plen + 2 > len - 1 || strnlen(p + plen + 1, len - plen - 1) != len - plen - 2)
		return -EBADMSG;
	*path = p;
	*token = p + plen + 1;
	return 0;
}

int xs_parse_directory(const char *p, uint32_t len, unsigned int *count)
{
	unsigned int n = 0;

	if (len && p[len - 1])
		return -EBADMSG;
	for (uint32_t i = 0; i < len; i++) {
		if (p[i])
			continue;
		if (i == 0 || !p[i - 1])
			return -EBADMSG;	/* an empty name */
		n++;
	}
	*count = n;
	return 0;
}

/* "OK\0": the acknowledgement of every request that returns nothing. */
static int xs_check_ack(const char *p, uint32_t len)
{
	if (!len || p[len - 1])
		return -EBADMSG;
	return len == 3 && p[0] == 'O' && p[1] == 'K' ? 0 : -EPROTO;
}

int xs_check_reply(uint32_t type, const char *p, uint32_t len)
{
	unsigned long id;

	switch (type) {
	case XS_READ:
		return 0;			/* any bytes: values are binary */
	case XS_DIRECTORY: {
		unsigned int n;

		return xs_parse_directory(p, len, &n);
	}
	case XS_TRANSACTION_START:
		if (!len || p[len - 1])
			return -EBADMSG;
		if (xs_parse_ulong(p, len - 1, &id) || id == 0 || id > UINT32_MAX)
			return -EPROTO;
		return 0;
	case XS_WRITE:
	case XS_MKDIR:
	case XS_RM:
	case XS_WATCH:
	case XS_UNWATCH:
	case XS_TRANSACTION_END:
		return xs_check_ack(p, len);
	default:
		return 0;
	}
}

/* ---- replies and events ------------------------------------------------------------- */

static bool xs_type_known(uint32_t type)
{
	return type < XS_TYPE_COUNT && type != XS_SET_TARGET + 1;	/* the removed XS_RESTRICT */
}

/*
 * The stream can no longer be trusted to be framed (a header with an impossible length, or
 * impossible ring indexes): forget the partial message; the request in flight may have had its
 * reply in what is lost, so it fails now rather than time out.
 */
static void xs_conn_poison(struct xs_conn *c, int err)
{
	c->rx_have = 0;
	c->stats.resyncs++;
	c->stats.malformed++;
	xs_conn_complete(c, err);
}

static void xs_evq_put(struct xs_conn *c, const void *src, uint32_t n)
{
	const uint8_t *s = src;

	for (uint32_t i = 0; i < n; i++)
		c->evq[(c->evq_tail + i) % XS_EVQ_SIZE] = s[i];
	c->evq_tail += n;
}

static void xs_evq_get(struct xs_conn *c, void *dst, uint32_t off, uint32_t n)
{
	uint8_t *d = dst;

	for (uint32_t i = 0; i < n; i++)
		d[i] = c->evq[(c->evq_head + off + i) % XS_EVQ_SIZE];
}

static void xs_conn_queue_event(struct xs_conn *c, uint32_t len)
{
	const char *path, *token;
	uint16_t n = len;

	if (xs_parse_event(c->rx_buf, len, &path, &token)) {
		c->stats.malformed++;
		return;
	}
	c->stats.watch_events++;
	if (XS_EVQ_SIZE - (c->evq_tail - c->evq_head) < XS_EVQ_LEN_BYTES + len) {
		c->evq_overflow = true;		/* xenstore.c reruns every watch */
		c->stats.watch_overflows++;
		return;
	}
	xs_evq_put(c, &n, XS_EVQ_LEN_BYTES);
	xs_evq_put(c, c->rx_buf, len);
}

int xs_conn_evq_pop(struct xs_conn *c, char *buf, size_t size, size_t *len)
{
	uint16_t n;

	if (c->evq_head == c->evq_tail)
		return -ENOENT;
	xs_evq_get(c, &n, 0, XS_EVQ_LEN_BYTES);
	if (n > size)
		return -ENOSPC;
	xs_evq_get(c, buf, XS_EVQ_LEN_BYTES, n);
	c->evq_head += XS_EVQ_LEN_BYTES + n;
	*len = n;
	return 0;
}

/* A reply for the request in flight: checked, then copied where the waiter looks. */
static void xs_conn_reply(struct xs_conn *c, const struct xsd_sockmsg *h)
{
	int err;

	c->stats.replies++;
	if (h->type == XS_ERROR) {
		c->stats.errors++;
		err = xs_parse_error(c->rx_buf, h->len);
		if (err == -EBADMSG)
			c->stats.malformed++;
		xs_conn_complete(c, err);
		return;
	}
	err = h->type == c->pend.type ? xs_check_reply(h->type, c->rx_buf, h->len) : -EPROTO;
	if (err) {
		c->stats.malformed++;
		xs_conn_complete(c, err);
		return;
	}
	memcpy(c->reply, c->rx_buf, h->len);
	c->reply[h->len] = '\0';
	c->reply_len = h->len;
	xs_conn_complete(c, 0);
}

/* One whole message is in rx_hdr/rx_buf. */
static void xs_conn_dispatch(struct xs_conn *c)
{
	const struct xsd_sockmsg *h = &c->rx_hdr;
	bool ours = c->pend.active && !c->pend.done && h->req_id == c->pend.req_id;

	c->rx_buf[h->len] = '\0';
	if (!xs_type_known(h->type)) {
		c->stats.malformed++;
		if (ours)
			xs_conn_complete(c, -EPROTO);
		return;
	}
	if (h->type == XS_WATCH_EVENT) {
		xs_conn_queue_event(c, h->len);
		return;
	}
	if (!ours) {
		c->stats.unmatched++;		/* late (timed out), duplicated or invented */
		return;
	}
	xs_conn_reply(c, h);
}

static void xs_ring_read(void *dst, const char *ring, XENSTORE_RING_IDX idx, uint32_t n)
{
	uint32_t off = MASK_XENSTORE_IDX(idx);
	uint32_t first = MIN(n, XENSTORE_RING_SIZE - off);

	memcpy(dst, ring + off, first);
	memcpy((char *)dst + first, ring, n - first);
}

uint32_t xs_conn_rx_need(const struct xs_conn *c)
{
	if (c->rx_have < XS_HDR_SIZE)
		return c->rx_have ? XS_HDR_SIZE - c->rx_have : 0;
	return XS_HDR_SIZE + c->rx_hdr.len - c->rx_have;
}

/* Copy up to @avail bytes of the current message; handle it if it completes. Returns the
 * bytes taken; *poisoned when its header turned out bad (the caller skips the rest). */
static uint32_t xs_conn_rx_step(struct xs_conn *c, uint32_t avail, bool *poisoned)
{
	uint32_t n;
	void *dst;

	if (c->rx_have < XS_HDR_SIZE) {
		n = XS_HDR_SIZE - c->rx_have;
		dst = (char *)&c->rx_hdr + c->rx_have;
	} else {
		n = XS_HDR_SIZE + c->rx_hdr.len - c->rx_have;
		dst = c->rx_buf + (c->rx_have - XS_HDR_SIZE);
	}
	n = MIN(n, avail);
	xs_ring_read(dst, c->ring->rsp, c->rsp_cons, n);
	c->rsp_cons += n;
	c->rx_have += n;
	if (c->rx_have == XS_HDR_SIZE && c->rx_hdr.len > XENSTORE_PAYLOAD_MAX) {
		xs_conn_poison(c, -EMSGSIZE);
		*poisoned = true;
		return n;
	}
	if (c->rx_have == XS_HDR_SIZE + c->rx_hdr.len) {
		xs_conn_dispatch(c);
		c->rx_have = 0;
	}
	return n;
}

uint32_t xs_conn_rx(struct xs_conn *c)
{
	struct xenstore_domain_interface *r = c->ring;
	XENSTORE_RING_IDX prod = READ_ONCE(r->rsp_prod);
	uint32_t avail = prod - c->rsp_cons, consumed = 0;
	bool poisoned = false;

	if (avail > XENSTORE_RING_SIZE) {
		/* rsp_prod jumped more than a ring ahead, or went back behind us: nothing in
		 * the ring can be placed. Start again at the producer. */
		c->stats.ring_errors++;
		xs_conn_poison(c, -EPROTO);
		consumed = avail;
		c->rsp_cons = prod;
		avail = 0;
	}
	rmb();			/* rsp_prod read before the bytes it covers */
	while (avail && !poisoned) {
		uint32_t n = xs_conn_rx_step(c, avail, &poisoned);

		avail -= n;
		consumed += n;
	}
	if (poisoned) {		/* skip what is there: the next message starts later */
		c->rsp_cons += avail;
		consumed += avail;
	}
	mb();			/* done reading the bytes before the index frees them */
	WRITE_ONCE(r->rsp_cons, c->rsp_cons);
	return consumed;
}
