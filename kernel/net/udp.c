// SPDX-License-Identifier: MIT
/*
 * UDP (RFC 768; RFC 1122 §4.1): a fixed table of sockets bound to local ports, delivering to
 * a callback or to a bounded queue; checksums verified when present (unless the device
 * validated them) and generated on send, or left to the device (NETBUF_CSUM_PARTIAL).
 */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include "net_priv.h"

/* A queued datagram: the frame stays in its netbuf, described once on arrival. */
struct udp_qent {
	struct netbuf *nb;		/* owns the bytes */
	const uint8_t *data;		/* payload inside nb */
	uint16_t len;			/* payload bytes (validated against the frame) */
	struct udp_meta m;		/* origin; m.dev cleared if the device leaves */
};

struct udp_sock {
	bool used;			/* slot open */
	uint16_t port;			/* local port */
	udp_recv_fn fn;			/* callback, or NULL: queue */
	void *ctx;			/* for fn */
	struct udp_qent q[UDP_QUEUE_MAX];	/* ring of queued datagrams */
	unsigned int q_first;		/* oldest */
	unsigned int q_len;		/* how many (<= UDP_QUEUE_MAX) */
};

static struct udp_sock udp_socks[UDP_SOCK_MAX];
static uint16_t udp_next_ephemeral = UDP_EPHEMERAL_FIRST;

static struct udp_sock *udp_find(uint16_t port)
{
	for (unsigned int i = 0; i < UDP_SOCK_MAX; i++)
		if (udp_socks[i].used && udp_socks[i].port == port)
			return &udp_socks[i];
	return NULL;
}

int udp_bind(uint16_t port, udp_recv_fn fn, void *ctx, struct udp_sock **out)
{
	struct udp_sock *s = NULL;

	if (!out)
		return -EINVAL;
	for (unsigned int i = 0; i < UDP_SOCK_MAX && !s; i++)
		if (!udp_socks[i].used)
			s = &udp_socks[i];
	if (!s)
		return -ENOSPC;
	if (!port) {
		/* At most one round over the range: some port is free (we have 16 sockets). */
		for (unsigned int n = 0; n < 65536 - UDP_EPHEMERAL_FIRST && !port; n++) {
			uint16_t p = udp_next_ephemeral++;

			if (udp_next_ephemeral < UDP_EPHEMERAL_FIRST)
				udp_next_ephemeral = UDP_EPHEMERAL_FIRST;
			if (!udp_find(p))
				port = p;
		}
	} else if (udp_find(port)) {
		return -EADDRINUSE;
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->port = port;
	s->fn = fn;
	s->ctx = ctx;
	*out = s;
	return 0;
}

void udp_close(struct udp_sock *s)
{
	if (!s || !s->used)
		return;
	for (unsigned int i = 0; i < s->q_len; i++)
		netbuf_free(s->q[(s->q_first + i) % UDP_QUEUE_MAX].nb);
	memset(s, 0, sizeof(*s));
}

uint16_t udp_local_port(const struct udp_sock *s)
{
	return s->port;
}

unsigned int udp_queued(const struct udp_sock *s)
{
	return s->q_len;
}

void udp_dev_gone(const struct netdev *dev)
{
	for (unsigned int i = 0; i < UDP_SOCK_MAX; i++)
		for (unsigned int k = 0; k < UDP_QUEUE_MAX; k++)
			if (udp_socks[i].q[k].m.dev == dev)
				udp_socks[i].q[k].m.dev = NULL;
}

void udp_reset(void)
{
	for (unsigned int i = 0; i < UDP_SOCK_MAX; i++)
		udp_close(&udp_socks[i]);
	udp_next_ephemeral = UDP_EPHEMERAL_FIRST;
}

/* ---- send -------------------------------------------------------------------------------- */

int udp_sendto(struct udp_sock *s, uint32_t dst, uint16_t dport, const void *data, size_t len)
{
	uint32_t next_hop, ulen = UDP_HLEN + (uint32_t)len;
	struct net_if *ifc;
	struct netbuf *nb;
	uint8_t *u;
	int err;

	if (!s || !s->used || !dport || (len && !data))
		return -EINVAL;
	if (len > UDP_PAYLOAD_MAX)
		return -EMSGSIZE;
	ifc = net_if_route(dst, &next_hop);
	if (!ifc) {
		NET_COUNT(tx_no_route);
		NET_COUNT(udp_tx_error);
		return -EHOSTUNREACH;
	}
	if (IP_HLEN + ulen > ifc->dev->mtu)
		return -EMSGSIZE;
	nb = ip_alloc(ulen);
	if (!nb) {
		NET_COUNT(udp_tx_error);
		return -ENOMEM;
	}
	u = nb->data + NET_L4_OFF;
	put_be16(u, s->port);
	put_be16(u + 2, dport);
	put_be16(u + 4, (uint16_t)ulen);
	put_be16(u + 6, 0);
	memcpy(u + UDP_HLEN, data, len);
	if (ifc->dev->features.csum) {
		/* The device sums from csum_start to the end and adds the pseudo-header sum we
		 * leave in the field (not complemented), as Linux's CHECKSUM_PARTIAL. */
		put_be16(u + 6, (uint16_t)~net_csum_fold(net_csum_pseudo(ifc->cfg.addr, dst,
							 IP_PROTO_UDP, ulen)));
		nb->csum = NETBUF_CSUM_PARTIAL;
		nb->csum_start = NET_L4_OFF;
		nb->csum_offset = 6;
		NET_COUNT(tx_csum_offload);
	} else {
		uint16_t c = net_csum_fold(net_csum_add(net_csum_pseudo(ifc->cfg.addr, dst,
							IP_PROTO_UDP, ulen), u, ulen));

		put_be16(u + 6, c ? c : 0xffff);	/* 0 means "no checksum" (RFC 768) */
	}
	err = ip_send(ifc, next_hop, dst, IP_PROTO_UDP, nb, ulen);
	if (err)
		NET_COUNT(udp_tx_error);
	else
		NET_COUNT(udp_tx);
	return err;
}

/* ---- receive ----------------------------------------------------------------------------- */

enum net_rx_fate udp_input(struct net_pkt *pkt)
{
	const uint8_t *u = pkt->l4;
	struct udp_qent *q;
	struct udp_meta m;
	struct udp_sock *s;
	uint16_t ulen, csum;

	if (pkt->l4_len < UDP_HLEN)
		return NET_RX_udp_short;
	ulen = get_be16(u + 4);
	if (ulen < UDP_HLEN || ulen > pkt->l4_len)
		return NET_RX_udp_bad_len;	/* shorter is allowed: the rest is ignored */
	csum = get_be16(u + 6);
	if (csum && pkt->nb->csum != NETBUF_CSUM_VALID &&
	    net_csum_fold(net_csum_add(net_csum_pseudo(pkt->src, pkt->dst, IP_PROTO_UDP, ulen),
				       u, ulen)))
		return NET_RX_udp_bad_csum;
	s = udp_find(get_be16(u + 2));
	if (!s) {
		icmp_send_unreach(pkt, ICMP_PORT_UNREACH);
		return NET_RX_udp_no_port;
	}
	m = (struct udp_meta){
		.src = pkt->src, .dst = pkt->dst, .sport = get_be16(u), .dport = get_be16(u + 2),
		.broadcast = pkt->bcast, .dev = pkt->ifc->dev,
	};
	if (s->fn) {
		s->fn(s, &m, u + UDP_HLEN, ulen - UDP_HLEN, s->ctx);
		return NET_RX_udp_delivered;
	}
	if (s->q_len >= UDP_QUEUE_MAX)
		return NET_RX_udp_queue_full;
	q = &s->q[(s->q_first + s->q_len) % UDP_QUEUE_MAX];
	q->nb = pkt->nb;
	q->data = u + UDP_HLEN;
	q->len = ulen - UDP_HLEN;
	q->m = m;
	s->q_len++;
	pkt->nb = NULL;				/* kept */
	return NET_RX_udp_delivered;
}

int udp_recvfrom(struct udp_sock *s, void *buf, size_t size, size_t *len, struct udp_meta *m)
{
	struct udp_qent *q;

	if (!s || !s->used || s->fn || !len || (size && !buf))
		return -EINVAL;
	if (!s->q_len)
		return -EAGAIN;
	q = &s->q[s->q_first];
	s->q_first = (s->q_first + 1) % UDP_QUEUE_MAX;
	s->q_len--;
	*len = q->len;
	if (m)
		*m = q->m;
	memcpy(buf, q->data, MIN((size_t)q->len, size));
	netbuf_free(q->nb);
	memset(q, 0, sizeof(*q));
	return *len > size ? -EMSGSIZE : 0;
}
