// SPDX-License-Identifier: MIT
/*
 * netfront's ring engine, the netif protocol (xen/io/netif.h): per queue a tx and an rx ring
 * (one page each), request ids each with its own bounce page granted per request, frames
 * copied to and from those pages, and responses taken off the rings one at a time, each
 * copied out of the shared page once and then checked (docs/netfront.md, "Hardening").
 */
#include <stdarg.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include "netfront.h"

#define NF_RX_FLAGS_OK		(NETRXF_data_validated | NETRXF_csum_blank | NETRXF_more_data | \
				 NETRXF_extra_info)
#define ETH_P_IPV4		0x0800
#define IP_PROTO_TCP		6
#define IP_PROTO_UDP		17

/* An extra-info slot sits where a response would: both are 8 bytes (netif.h says so). */
BUILD_BUG_ON(sizeof(struct netif_extra_info) != sizeof(struct netif_rx_response));

/* A rejected response, said at most NETFRONT_LOG_MAX times per vif and kind. */
static void nf_log(struct netfront_dev *d, enum netfront_log kind, const char *fmt, ...)
	__printf(3, 4);
static void nf_log(struct netfront_dev *d, enum netfront_log kind, const char *fmt, ...)
{
	char line[160];
	va_list ap;

	if (!d->log_budget[kind])
		return;
	d->log_budget[kind]--;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	printk("pvkit: netfront %s: %s\n", d->nd.name, line);
}

void netfront_mark_broken(struct netfront_queue *q, const char *why)
{
	struct netfront_dev *d = q->dev;

	if (q->broken)
		return;
	q->broken = true;
	if (!d->teardown) {
		d->teardown = true;
		d->why = why;
		printk("pvkit: netfront %s: queue %u: %s: disconnecting the interface\n",
		       d->nd.name, q->index, why);
	}
	d->nd.carrier = false;		/* no more sends; the upkeep tears it down */
}

void netfront_event(evtchn_port_t port, void *ctx)
{
	struct netfront_queue *q = ctx;

	q->events++;			/* the upcall woke the idle loop: its poll does the work */
}

/* ---- slots: a bounce page per id, granted while in flight ----------------------------- */

static int nf_slot_grant(struct netfront_dev *d, struct netfront_slot *s, bool readonly)
{
	int err = gnttab_grant_access(d->xb.otherend_id, s->pa, readonly, &s->ref);

	if (err)
		return err;
	s->granted = true;
	d->grants++;
	return 0;
}

/* End @s's grant after use. A backend still mapping the page keeps it: the page is retired
 * (gnttab_retire.c frees it once that grant ends) and the id gets a fresh one (pa 0 if
 * none: the id is not used again). */
static void nf_slot_end(struct netfront_dev *d, struct netfront_slot *s)
{
	if (!s->granted)
		return;
	s->granted = false;
	if (!gnttab_end_or_retire(s->ref, s->pa)) {
		d->grant_ends++;
		return;
	}
	/* -EBUSY: retired. (-EINVAL, a reference not ours, cannot happen; the page would then
	 * be of unknown state, so it is not reused either.) */
	d->grant_deferred++;
	if (os_page_alloc(&s->pa))
		s->pa = 0;
}

/* Release for good: retire the page with its grant (freed now, or once the backend lets go)
 * or free it. */
static void nf_slot_release(struct netfront_dev *d, struct netfront_slot *s)
{
	if (s->granted) {
		s->granted = false;
		if (gnttab_retire_page(s->ref, s->pa))
			d->grant_deferred++;
		else
			d->grant_ends++;
	} else if (s->pa) {
		os_page_free(s->pa);
	}
	s->pa = 0;
	s->in_flight = false;
}

static void nf_ring_page_release(uint64_t *pa, grant_ref_t ref, bool *granted)
{
	if (*granted)
		gnttab_retire_page(ref, *pa);
	else if (*pa)
		os_page_free(*pa);
	*granted = false;
	*pa = 0;
}

/* ---- queues ------------------------------------------------------------------------------ */

void netfront_queue_release(struct netfront_queue *q)
{
	struct netfront_dev *d = q->dev;

	if (q->rx_port_open && q->rx_port != q->tx_port)
		evtchn_close(q->rx_port);
	if (q->tx_port_open)
		evtchn_close(q->tx_port);	/* masks it and drops the handler */
	q->tx_port_open = q->rx_port_open = false;
	for (unsigned int i = 0; i < NETFRONT_TX_IDS; i++)
		nf_slot_release(d, &q->txs[i]);
	for (unsigned int i = 0; i < NETFRONT_RX_BUFS; i++)
		nf_slot_release(d, &q->rxs[i]);
	nf_ring_page_release(&q->tx_ring_pa, q->tx_ring_ref, &q->tx_ring_granted);
	nf_ring_page_release(&q->rx_ring_pa, q->rx_ring_ref, &q->rx_ring_granted);
	if (q->rx_nb)
		netbuf_free(q->rx_nb);
	q->rx_nb = NULL;
	q->tx_nfree = q->rx_nfree = 0;
	q->tx.sring = NULL;
	q->rx.sring = NULL;
	q->dev = NULL;			/* released: nothing left to undo */
}

static int nf_queue_ports(struct netfront_dev *d, struct netfront_queue *q)
{
	int err = evtchn_alloc_unbound(d->xb.otherend_id, &q->tx_port);

	if (err)
		return err;
	q->tx_port_open = true;
	err = evtchn_set_handler(q->tx_port, netfront_event, q);
	if (err || !d->split) {
		q->rx_port = q->tx_port;
		return err;
	}
	err = evtchn_alloc_unbound(d->xb.otherend_id, &q->rx_port);
	if (err)
		return err;
	q->rx_port_open = true;
	return evtchn_set_handler(q->rx_port, netfront_event, q);
}

int netfront_queue_setup(struct netfront_dev *d, unsigned int i)
{
	struct netfront_queue *q = &d->queues[i];
	netif_tx_sring_t *txs;
	netif_rx_sring_t *rxs;
	int err;

	memset(q, 0, sizeof(*q));
	q->dev = d;
	q->index = i;
	err = os_page_alloc(&q->tx_ring_pa);
	if (!err)
		err = os_page_alloc(&q->rx_ring_pa);
	if (err)
		goto out_release;
	txs = os_phys_to_virt(q->tx_ring_pa);
	rxs = os_phys_to_virt(q->rx_ring_pa);
	SHARED_RING_INIT(txs);
	FRONT_RING_INIT(&q->tx, txs, PAGE_SIZE);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&q->rx, rxs, PAGE_SIZE);
	for (unsigned int k = NETFRONT_TX_IDS; k-- > 0;) {
		err = os_page_alloc(&q->txs[k].pa);
		if (err)
			goto out_release;
		q->tx_free[q->tx_nfree++] = (uint16_t)k;
	}
	for (unsigned int k = NETFRONT_RX_BUFS; k-- > 0;) {
		err = os_page_alloc(&q->rxs[k].pa);
		if (err)
			goto out_release;
		q->rx_free[q->rx_nfree++] = (uint16_t)k;
	}
	err = gnttab_grant_access(d->xb.otherend_id, q->tx_ring_pa, false, &q->tx_ring_ref);
	if (err)
		goto out_release;
	q->tx_ring_granted = true;
	err = gnttab_grant_access(d->xb.otherend_id, q->rx_ring_pa, false, &q->rx_ring_ref);
	if (err)
		goto out_release;
	q->rx_ring_granted = true;
	err = nf_queue_ports(d, q);
	if (err)
		goto out_release;
	return 0;

out_release:
	netfront_queue_release(q);
	return err;
}

/* ---- transmit --------------------------------------------------------------------------- */

/* The ones'-complement sum of @p[0..n), as 16-bit big-endian words from an even offset. */
static uint64_t nf_sum(const uint8_t *p, uint32_t n, uint64_t sum)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	return sum;
}

static uint16_t nf_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Where the L4 checksum of an IPv4 TCP/UDP frame is: its header offset and the field's
 * offset in it. -EINVAL for anything else (or a header beyond @len). */
static int nf_l4_csum_pos(const uint8_t *f, uint32_t len, uint32_t *start, uint32_t *off)
{
	uint32_t ihl;

	if (len < ETH_HLEN + 20 || (f[12] << 8 | f[13]) != ETH_P_IPV4 || (f[14] >> 4) != 4)
		return -EINVAL;
	ihl = (f[14] & 15u) * 4;
	if (ihl < 20 || ETH_HLEN + ihl > len)
		return -EINVAL;
	*start = ETH_HLEN + ihl;
	if (f[23] == IP_PROTO_UDP)
		*off = 6;
	else if (f[23] == IP_PROTO_TCP)
		*off = 16;
	else
		return -EINVAL;
	return *start + *off + 2 <= len ? 0 : -EINVAL;
}

/* Byte @at of the frame as copied into the slots of @ids. */
static uint8_t *nf_tx_byte(struct netfront_queue *q, const uint16_t *ids, uint32_t at)
{
	return (uint8_t *)os_phys_to_virt(q->txs[ids[at / PAGE_SIZE]].pa) + at % PAGE_SIZE;
}

/* A partial checksum the backend will not complete: sum it here, into the bounce copy. */
static int nf_tx_csum_sw(struct netfront_queue *q, const struct netbuf *nb, const uint16_t *ids)
{
	uint32_t start = nb->csum_start, off = nb->csum_offset, len = nb->len;
	uint16_t c;

	if (start >= len || off > len - start || len - start - off < 2)
		return -EINVAL;
	c = nf_fold(nf_sum(nb->data + start, len - start, 0));
	c = c ? c : 0xffff;		/* UDP's "no checksum" is 0 */
	*nf_tx_byte(q, ids, start + off) = c >> 8;
	*nf_tx_byte(q, ids, start + off + 1) = (uint8_t)c;
	q->dev->tx_csum_sw++;
	return 0;
}

/* The first slot's checksum flags for @nb; completes it here when the backend will not. */
static int nf_tx_csum(struct netfront_queue *q, const struct netbuf *nb, const uint16_t *ids,
		      uint16_t *flags)
{
	struct netfront_dev *d = q->dev;
	uint32_t start, off;

	*flags = 0;
	if (nb->csum != NETBUF_CSUM_PARTIAL)
		return 0;
	/* netback finds the checksum itself, from the headers: IPv4 TCP/UDP only, and only
	 * where the stack said it is. */
	if (d->csum_tx && !nf_l4_csum_pos(nb->data, nb->len, &start, &off) &&
	    start == nb->csum_start && off == nb->csum_offset) {
		*flags = NETTXF_csum_blank | NETTXF_data_validated;
		d->tx_csum_offload++;
		return 0;
	}
	return nf_tx_csum_sw(q, nb, ids);
}

/* Undo the first @n ids of a frame that could not be sent. */
static void nf_tx_unwind(struct netfront_queue *q, const uint16_t *ids, unsigned int n)
{
	while (n--) {
		struct netfront_slot *s = &q->txs[ids[n]];

		nf_slot_end(q->dev, s);
		if (s->pa)
			q->tx_free[q->tx_nfree++] = ids[n];
	}
}

static unsigned int nf_tx_responses(struct netfront_queue *q);

int netfront_queue_tx(struct netfront_queue *q, const struct netbuf *nb)
{
	struct netfront_dev *d = q->dev;
	uint16_t ids[NETFRONT_MAX_SLOTS], flags;
	uint32_t len = nb->len, nslots = DIV_ROUND_UP(len, PAGE_SIZE), ring_free;
	int err, notify;

	if (q->broken)
		return -ENETDOWN;
	if (!len || len > nb->size)
		return -EINVAL;
	if (len > d->max_frame || len > XEN_NETIF_MAX_TX_SIZE ||
	    nslots > (d->sg ? NETFRONT_MAX_SLOTS : 1u))
		return -EMSGSIZE;
	nf_tx_responses(q);			/* make room */
	if (q->broken)
		return -ENETDOWN;
	ring_free = RING_SIZE(&q->tx) - (q->tx.req_prod_pvt - q->tx.rsp_cons);
	if (q->tx_nfree < nslots || ring_free < nslots) {
		d->tx_busy++;
		return -EBUSY;
	}
	for (uint32_t k = 0; k < nslots; k++) {
		struct netfront_slot *s;
		uint32_t chunk = MIN(len - k * PAGE_SIZE, (uint32_t)PAGE_SIZE);

		ids[k] = q->tx_free[--q->tx_nfree];
		s = &q->txs[ids[k]];
		memcpy(os_phys_to_virt(s->pa), nb->data + k * PAGE_SIZE, chunk);
		err = nf_slot_grant(d, s, true);
		if (err) {
			q->tx_free[q->tx_nfree++] = ids[k];
			nf_tx_unwind(q, ids, k);
			return err == -ENOSPC ? -EBUSY : err;
		}
	}
	err = nf_tx_csum(q, nb, ids, &flags);
	if (err) {
		nf_tx_unwind(q, ids, nslots);
		return err;
	}
	/* Every check passed: from here nothing fails. Requests are built here, then copied. */
	for (uint32_t k = 0; k < nslots; k++) {
		struct netif_tx_request r = {
			.gref = q->txs[ids[k]].ref,
			.offset = 0,
			.flags = (uint16_t)((k ? 0 : flags) | (k + 1 < nslots ? NETTXF_more_data : 0)),
			.id = ids[k],
			/* The first slot gives the whole frame's size, the others their own. */
			.size = (uint16_t)(k ? MIN(len - k * PAGE_SIZE, (uint32_t)PAGE_SIZE) : len),
		};

		q->txs[ids[k]].in_flight = true;
		memcpy(RING_GET_REQUEST(&q->tx, q->tx.req_prod_pvt), &r, sizeof(r));
		q->tx.req_prod_pvt++;
	}
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx, notify);
	if (notify) {
		evtchn_send(q->tx_port);
		q->notifies++;
	}
	d->tx_frames++;
	d->tx_slots += nslots;
	d->tx_multi += nslots > 1;
	return 0;
}

/* Take tx responses: each id's slot comes back (grant ended). A response naming no slot in
 * flight, or an index beyond our requests, breaks the queue. */
static unsigned int nf_tx_responses(struct netfront_queue *q)
{
	struct netfront_dev *d = q->dev;
	unsigned int work = 0;
	int more;

	if (!q->tx.sring || q->broken)
		return 0;
	do {
		RING_IDX prod = READ_ONCE(q->tx.sring->rsp_prod), cons = q->tx.rsp_cons;

		xen_rmb();			/* the responses after the index that covers them */
		if (prod - cons > q->tx.req_prod_pvt - cons) {
			d->ring_errors++;
			netfront_mark_broken(q, "tx rsp_prod beyond our requests");
			return work;
		}
		for (; cons != prod; cons++) {
			struct netif_tx_response r;
			struct netfront_slot *s;

			memcpy(&r, RING_GET_RESPONSE(&q->tx, cons), sizeof(r));	/* once */
			q->tx.rsp_cons = cons + 1;
			work++;
			if (r.id >= NETFRONT_TX_IDS) {
				d->bad_id++;
				nf_log(d, NF_LOG_BAD_ID, "tx response id %u out of range", r.id);
				netfront_mark_broken(q, "tx response with a bad id");
				return work;
			}
			s = &q->txs[r.id];
			if (!s->in_flight) {
				d->not_in_flight++;
				nf_log(d, NF_LOG_NOT_IN_FLIGHT, "tx response id %u not in flight",
				       r.id);
				netfront_mark_broken(q, "tx response for no request in flight");
				return work;
			}
			s->in_flight = false;
			nf_slot_end(d, s);
			if (s->pa)
				q->tx_free[q->tx_nfree++] = r.id;
			d->tx_done++;
			if (r.status == NETIF_RSP_ERROR || r.status == NETIF_RSP_DROPPED) {
				d->tx_errors++;
			} else if (r.status != NETIF_RSP_OKAY) {
				d->tx_errors++;	/* NULL answers extra slots: we send none */
				d->bad_status++;
				nf_log(d, NF_LOG_STATUS, "tx response status %d", r.status);
			}
		}
		RING_FINAL_CHECK_FOR_RESPONSES(&q->tx, more);
	} while (more);
	return work;
}

unsigned int netfront_tx_fail_all(struct netfront_queue *q)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < NETFRONT_TX_IDS; i++) {
		struct netfront_slot *s = &q->txs[i];

		if (!s->in_flight)
			continue;
		s->in_flight = false;
		nf_slot_end(q->dev, s);
		if (s->pa)
			q->tx_free[q->tx_nfree++] = (uint16_t)i;
		n++;
	}
	q->dev->tx_failed += n;
	return n;
}

/* ---- receive ----------------------------------------------------------------------------- */

void netfront_rx_refill(struct netfront_queue *q)
{
	struct netfront_dev *d = q->dev;
	unsigned int added = 0;
	int notify;

	if (!q->rx.sring || q->broken)
		return;
	while (q->rx_nfree && RING_FREE_REQUESTS(&q->rx)) {
		uint16_t id = q->rx_free[q->rx_nfree - 1];
		struct netfront_slot *s = &q->rxs[id];
		struct netif_rx_request r;

		if (nf_slot_grant(d, s, false))
			break;			/* the grant table is full: next poll */
		q->rx_nfree--;
		s->in_flight = true;
		r = (struct netif_rx_request){ .id = id, .gref = s->ref };
		q->rx_id_at[q->rx.req_prod_pvt & (RING_SIZE(&q->rx) - 1)] = id;
		memcpy(RING_GET_REQUEST(&q->rx, q->rx.req_prod_pvt), &r, sizeof(r));
		q->rx.req_prod_pvt++;
		added++;
	}
	if (!added)
		return;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx, notify);
	if (notify && d->rx_notify) {
		evtchn_send(q->rx_port);
		q->notifies++;
	}
}

/* The buffer of rx id @id is back: grant ended, id free to post again. */
static void nf_rx_put(struct netfront_queue *q, uint16_t id)
{
	struct netfront_slot *s = &q->rxs[id];

	s->in_flight = false;
	nf_slot_end(q->dev, s);
	if (s->pa)
		q->rx_free[q->rx_nfree++] = id;
}

static void nf_rx_reset(struct netfront_queue *q)
{
	q->rx_nb = NULL;
	q->rx_active = q->rx_bad = q->rx_want_extra = q->rx_more = false;
	q->rx_flags = 0;
	q->rx_slots = q->rx_extras = 0;
}

/* Complete a partial (csum_blank) IPv4 TCP/UDP checksum in place. 0 or -EINVAL. */
static int nf_rx_csum_complete(struct netbuf *nb)
{
	uint32_t start, off;
	uint16_t c;

	if (nf_l4_csum_pos(nb->data, nb->len, &start, &off))
		return -EINVAL;
	c = nf_fold(nf_sum(nb->data + start, nb->len - start, 0));
	if (nb->data[23] == IP_PROTO_UDP && !c)
		c = 0xffff;
	nb->data[start + off] = c >> 8;
	nb->data[start + off + 1] = (uint8_t)c;
	return 0;
}

/* The frame's last slot was taken: hand it up, or drop it (counted). */
static void nf_rx_finish(struct netfront_queue *q)
{
	struct netfront_dev *d = q->dev;
	struct netbuf *nb = q->rx_nb;

	if (q->rx_bad || !nb || nb->len < ETH_HLEN) {
		d->rx_dropped++;
		d->nd.stats.rx_dropped++;
		if (nb)
			netbuf_free(nb);
		nf_rx_reset(q);
		return;
	}
	nb->csum = NETBUF_CSUM_NONE;
	if (q->rx_flags & NETRXF_csum_blank) {
		/* The sender left the sum to "hardware" (a dom0-local sender): we are it. A
		 * frame we cannot complete goes up unchecked: the stack's own check drops it. */
		if (!nf_rx_csum_complete(nb)) {
			nb->csum = NETBUF_CSUM_VALID;
			d->rx_csum_blank++;
		}
	} else if (q->rx_flags & NETRXF_data_validated) {
		nb->csum = NETBUF_CSUM_VALID;
		d->rx_csum_valid++;
	}
	d->rx_frames++;
	d->rx_multi += q->rx_slots > 1;
	nf_rx_reset(q);
	netdev_rx(&d->nd, nb);
}

/* Mark the frame being assembled as dropped (its remaining slots are still consumed). */
static void nf_rx_spoil(struct netfront_queue *q)
{
	if (q->rx_nb)
		netbuf_free(q->rx_nb);
	q->rx_nb = NULL;
	q->rx_bad = true;
}

/* An extra-info slot at request position @pos. Return: 0, or -EPROTO (queue broken). */
static int nf_rx_extra(struct netfront_queue *q, RING_IDX pos, const struct netif_extra_info *x)
{
	struct netfront_dev *d = q->dev;
	uint16_t id = q->rx_id_at[pos & (RING_SIZE(&q->rx) - 1)];

	/* It used the buffer posted at its position; that buffer is ours again. */
	if (!q->rxs[id].in_flight) {
		d->not_in_flight++;
		nf_log(d, NF_LOG_NOT_IN_FLIGHT, "rx extra-info slot on buffer %u not in flight", id);
		netfront_mark_broken(q, "rx extra-info slot on a buffer not in flight");
		return -EPROTO;
	}
	nf_rx_put(q, id);
	d->rx_slots++;
	d->rx_extras++;
	if (++q->rx_extras > NETFRONT_MAX_EXTRAS && !q->rx_bad) {
		d->long_chain++;
		nf_log(d, NF_LOG_CHAIN, "rx extra-info chain longer than %u", NETFRONT_MAX_EXTRAS);
		nf_rx_spoil(q);
	}
	/* We negotiated no GSO, hashing or multicast control: any extra is unasked for, but
	 * harmless; one of no known type is a malformed frame. */
	if (x->type == XEN_NETIF_EXTRA_TYPE_NONE || x->type >= XEN_NETIF_EXTRA_TYPE_MAX) {
		if (!q->rx_bad) {
			d->bad_flags++;
			nf_log(d, NF_LOG_FLAGS, "rx extra-info of type %u", x->type);
		}
		nf_rx_spoil(q);
	}
	if (!(x->flags & XEN_NETIF_EXTRA_FLAG_MORE))
		q->rx_want_extra = false;
	if (!q->rx_want_extra && !q->rx_more)
		nf_rx_finish(q);
	return 0;
}

/* Check a data slot and append its bytes to the frame. */
static void nf_rx_append(struct netfront_queue *q, const struct netif_rx_response *r)
{
	struct netfront_dev *d = q->dev;
	const uint8_t *page = os_phys_to_virt(q->rxs[r->id].pa);
	struct netbuf *nb;

	if (r->status < 0) {			/* the backend says this frame failed */
		if (!q->rx_bad) {
			d->nd.stats.rx_errors++;
			if (r->status != NETIF_RSP_ERROR && r->status != NETIF_RSP_DROPPED) {
				d->bad_status++;
				nf_log(d, NF_LOG_STATUS, "rx response status %d", r->status);
			}
		}
		nf_rx_spoil(q);
		return;
	}
	if ((uint32_t)r->offset + (uint32_t)r->status > PAGE_SIZE) {
		if (!q->rx_bad) {
			d->bad_offset++;
			nf_log(d, NF_LOG_OFFSET, "rx offset %u + size %d beyond the page",
			       r->offset, r->status);
		}
		nf_rx_spoil(q);
		return;
	}
	nb = q->rx_nb;
	if (q->rx_bad || !nb)
		return;
	if (nb->len + (uint32_t)r->status > d->max_frame || nb->len + (uint32_t)r->status > nb->size) {
		nf_log(d, NF_LOG_STATUS, "rx frame longer than %u bytes", d->max_frame);
		nf_rx_spoil(q);
		return;
	}
	memcpy(nb->data + nb->len, page + r->offset, (uint32_t)r->status);
	nb->len += (uint32_t)r->status;
}

/* A data slot. Return: 0, or -EPROTO (queue broken: an id we cannot account for). */
static int nf_rx_data(struct netfront_queue *q, const struct netif_rx_response *r)
{
	struct netfront_dev *d = q->dev;

	if (r->id >= NETFRONT_RX_BUFS) {
		d->bad_id++;
		nf_log(d, NF_LOG_BAD_ID, "rx response id %u out of range", r->id);
		netfront_mark_broken(q, "rx response with a bad id");
		return -EPROTO;
	}
	if (!q->rxs[r->id].in_flight) {
		d->not_in_flight++;
		nf_log(d, NF_LOG_NOT_IN_FLIGHT, "rx response id %u not in flight", r->id);
		netfront_mark_broken(q, "rx response for a buffer not in flight");
		return -EPROTO;
	}
	d->rx_slots++;
	if (!q->rx_active) {			/* the first slot: the frame's flags */
		q->rx_active = true;
		q->rx_flags = r->flags;
		/* A one-slot frame gets a buffer its size (one page: no mapping); a chain the
		 * largest a frame may be. */
		q->rx_nb = netbuf_alloc(r->flags & NETRXF_more_data ? d->max_frame :
					r->status > 0 ? MIN((uint32_t)r->status, d->max_frame) :
					ETH_HLEN, 0);
		if (!q->rx_nb)
			q->rx_bad = true;	/* no memory: dropped, counted at the end */
		if (r->flags & ~NF_RX_FLAGS_OK) {
			d->bad_flags++;
			nf_log(d, NF_LOG_FLAGS, "rx flags %#x not negotiated", r->flags);
			nf_rx_spoil(q);
		}
		q->rx_want_extra = r->flags & NETRXF_extra_info;
	} else if (r->flags & (NETRXF_extra_info | ~NF_RX_FLAGS_OK)) {
		if (!q->rx_bad) {
			d->bad_flags++;
			nf_log(d, NF_LOG_FLAGS, "rx flags %#x on a later slot", r->flags);
		}
		nf_rx_spoil(q);
	}
	q->rx_more = r->flags & NETRXF_more_data;
	if (++q->rx_slots > NETFRONT_MAX_SLOTS && !q->rx_bad) {
		d->long_chain++;
		nf_log(d, NF_LOG_CHAIN, "rx frame of more than %u slots", NETFRONT_MAX_SLOTS);
		nf_rx_spoil(q);
	}
	nf_rx_append(q, r);
	nf_rx_put(q, r->id);
	if (!q->rx_more && !q->rx_want_extra)
		nf_rx_finish(q);
	return 0;
}

/* Take rx responses, at most a ring's worth per call (the next poll takes the rest). */
static unsigned int nf_rx_responses(struct netfront_queue *q)
{
	struct netfront_dev *d = q->dev;
	unsigned int work = 0, budget = RING_SIZE(&q->rx);
	int more;

	if (!q->rx.sring || q->broken)
		return 0;
	do {
		RING_IDX prod = READ_ONCE(q->rx.sring->rsp_prod), cons = q->rx.rsp_cons;

		xen_rmb();
		if (prod - cons > q->rx.req_prod_pvt - cons) {
			d->ring_errors++;
			netfront_mark_broken(q, "rx rsp_prod beyond our requests");
			return work;
		}
		for (; cons != prod && budget; cons++, budget--) {
			union {
				struct netif_rx_response r;
				struct netif_extra_info x;
			} u;
			int err;

			memcpy(&u, RING_GET_RESPONSE(&q->rx, cons), sizeof(u));	/* once */
			q->rx.rsp_cons = cons + 1;
			work++;
			if (q->rx_want_extra)
				err = nf_rx_extra(q, cons, &u.x);
			else
				err = nf_rx_data(q, &u.r);
			if (err)
				return work;
		}
		if (!budget)
			break;			/* more next poll: work > 0 makes it soon */
		RING_FINAL_CHECK_FOR_RESPONSES(&q->rx, more);
	} while (more);
	return work;
}

unsigned int netfront_queue_poll(struct netfront_queue *q)
{
	unsigned int work;

	if (q->broken)
		return 0;
	work = nf_tx_responses(q);
	work += nf_rx_responses(q);
	if (!q->broken)
		netfront_rx_refill(q);
	return work;
}
