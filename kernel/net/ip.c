// SPDX-License-Identifier: MIT
/*
 * IPv4 (RFC 791; host requirements of RFC 1122 §3.2.1) and the Internet checksum (RFC 1071).
 * Input checks every header field it relies on against the frame before using it; fragments
 * are dropped (no reassembly), options skipped. Output sends 20-byte headers, never fragments.
 */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include "net_priv.h"

static uint16_t ip_ident;		/* Identification of the next datagram we send */

uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;

	while (len >= 2) {
		s += (uint32_t)(p[0] << 8 | p[1]);
		p += 2;
		len -= 2;
	}
	if (len)
		s += (uint32_t)p[0] << 8;	/* padded with a zero byte */
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

uint16_t net_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t net_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len)
{
	uint64_t s = (uint64_t)(src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) +
		     proto + (len >> 16) + (len & 0xffff);

	return (uint32_t)((s & 0xffffffffu) + (s >> 32));
}

/* Source addresses no host can send from (RFC 1122 §3.2.1.3), and our own. */
static bool ip_bad_src(const struct net_if *ifc, uint32_t src)
{
	return !src || src >= 0xe0000000u || (src >> 24) == 127 || src == ifc->bcast ||
	       src == ifc->cfg.addr;
}

enum net_rx_fate ip_input(struct net_if *ifc, struct netbuf **nbp, const uint8_t *p,
			  uint32_t len)
{
	struct net_pkt pkt;
	uint32_t ihl, tot;
	enum net_rx_fate f;

	if (len < IP_HLEN)
		return NET_RX_ip_short;
	if (p[0] >> 4 != 4)
		return NET_RX_ip_bad_version;
	ihl = (p[0] & 0xfu) * 4;
	if (ihl < IP_HLEN || ihl > len)
		return NET_RX_ip_bad_ihl;
	tot = get_be16(p + 2);
	if (tot < ihl || tot > len)
		return NET_RX_ip_bad_len;	/* shorter than its header, or cut off */
	if (net_csum_fold(net_csum_add(0, p, ihl)))
		return NET_RX_ip_bad_csum;
	if (get_be16(p + 6) & IP_FRAG_MASK)
		return NET_RX_ip_fragment;
	if (!p[8])
		return NET_RX_ip_ttl_zero;
	if (tot > ifc->dev->mtu)
		return NET_RX_ip_oversize;

	memset(&pkt, 0, sizeof(pkt));
	pkt.ifc = ifc;
	pkt.nb = *nbp;
	pkt.src = get_be32(p + 12);
	pkt.dst = get_be32(p + 16);
	pkt.bcast = net_if_is_bcast(ifc, pkt.dst);
	if (pkt.dst != ifc->cfg.addr && !pkt.bcast)
		return NET_RX_ip_not_us;	/* multicast too: we join no group */
	if (ip_bad_src(ifc, pkt.src))
		return NET_RX_ip_bad_src;
	if (ihl > IP_HLEN)
		NET_COUNT(ip_options_skipped);	/* not interpreted (RFC 1122 allows it) */
	pkt.ip = p;
	pkt.ip_hlen = ihl;
	pkt.l4 = p + ihl;
	pkt.l4_len = tot - ihl;			/* Ethernet padding beyond tot is ignored */
	switch (p[9]) {
	case IP_PROTO_ICMP:
		f = icmp_input(&pkt);
		break;
	case IP_PROTO_UDP:
		f = udp_input(&pkt);
		break;
	default:
		f = NET_RX_ip_unknown_proto;
		break;
	}
	*nbp = pkt.nb;				/* NULL if a socket kept it */
	return f;
}

struct netbuf *ip_alloc(uint32_t l4_len)
{
	return eth_alloc(IP_HLEN + l4_len);
}

int ip_send(struct net_if *ifc, uint32_t next_hop, uint32_t dst, uint8_t proto,
	    struct netbuf *nb, uint32_t l4_len)
{
	uint8_t *ip = nb->data + NET_IP_OFF;
	uint32_t tot = IP_HLEN + l4_len;	/* the frame may be longer: padding */

	ip[0] = 0x45;				/* version 4, IHL 5 */
	ip[1] = 0;				/* DSCP/ECN */
	put_be16(ip + 2, (uint16_t)tot);
	put_be16(ip + 4, ip_ident++);
	put_be16(ip + 6, 0);			/* may be fragmented (we never do) */
	ip[8] = IP_TTL_DEFAULT;
	ip[9] = proto;
	put_be16(ip + 10, 0);
	put_be32(ip + 12, ifc->cfg.addr);
	put_be32(ip + 16, dst);
	put_be16(ip + 10, net_csum_fold(net_csum_add(0, ip, IP_HLEN)));
	return arp_output(ifc, next_hop, nb);
}

int ip_route_send(uint32_t dst, uint8_t proto, struct netbuf *nb, uint32_t l4_len)
{
	uint32_t next_hop;
	struct net_if *ifc = net_if_route(dst, &next_hop);

	if (!ifc) {
		NET_COUNT(tx_no_route);
		netbuf_free(nb);
		return -EHOSTUNREACH;
	}
	return ip_send(ifc, next_hop, dst, proto, nb, l4_len);
}
