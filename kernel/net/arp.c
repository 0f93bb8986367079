// SPDX-License-Identifier: MIT
/*
 * ARP for IPv4 over Ethernet (RFC 826; probes as in RFC 5227): a bounded cache per interface,
 * resolution with retries and a few frames waiting per neighbour, answers to requests for our
 * address, gratuitous announcements. Learning follows RFC 826's merge rule, restricted: a new
 * entry is made only for a request to us (we are about to talk to the sender) or for a reply
 * we asked for, so a storm of foreign traffic can only refresh or evict, never grow anything.
 */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include "net_priv.h"

static const uint8_t arp_bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static unsigned int arp_conflict_reports;	/* warnings printed: a few, then only counted */

static struct arp_entry *arp_find(struct net_if *ifc, uint32_t ip)
{
	for (unsigned int i = 0; i < ARP_CACHE_MAX; i++)
		if (ifc->arp[i].state != ARP_FREE && ifc->arp[i].ip == ip)
			return &ifc->arp[i];
	return NULL;
}

static unsigned int arp_incomplete(const struct net_if *ifc)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < ARP_CACHE_MAX; i++)
		n += ifc->arp[i].state == ARP_INCOMPLETE;
	return n;
}

/* Free waiting frames, counted as unresolved. */
static void arp_drop_pending(struct arp_entry *e)
{
	for (unsigned int i = 0; i < e->npending; i++) {
		netbuf_free(e->pending[i]);
		e->pending[i] = NULL;
	}
	NET_COUNT_N(arp_unresolved_drop, e->npending);
	e->npending = 0;
}

/*
 * A slot for a new entry: a free one, else the least recently confirmed resolved or failed
 * one (counted as evicted). Incomplete entries, the only ones with frames waiting, are never
 * evicted: there are at most ARP_INCOMPLETE_MAX < ARP_CACHE_MAX of them, so a victim always
 * exists.
 */
static struct arp_entry *arp_slot(struct net_if *ifc)
{
	struct arp_entry *victim = NULL;

	for (unsigned int i = 0; i < ARP_CACHE_MAX; i++) {
		struct arp_entry *e = &ifc->arp[i];

		if (e->state == ARP_FREE)
			return e;
		if (e->state != ARP_INCOMPLETE && (!victim || e->confirmed < victim->confirmed))
			victim = e;
	}
	if (!victim)
		return NULL;			/* unreachable, see above; harmless */
	NET_COUNT(arp_evicted);
	victim->state = ARP_FREE;
	return victim;
}

/* An ARP packet from us: @op to Ethernet @eth_dst, about target @tha / @tpa. */
static int arp_send(struct net_if *ifc, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha,
		    uint32_t tpa)
{
	struct netbuf *nb = eth_alloc(ARP_LEN);
	uint8_t *a;

	if (!nb)
		return -ENOMEM;
	a = nb->data + ETH_HLEN;
	put_be16(a, ARP_HTYPE_ETHER);
	put_be16(a + 2, ETH_P_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put_be16(a + 6, op);
	memcpy(a + 8, ifc->dev->mac, ETH_ALEN);
	put_be32(a + 14, ifc->cfg.addr);
	memcpy(a + 18, tha, ETH_ALEN);
	put_be32(a + 24, tpa);
	return eth_xmit(ifc, eth_dst, ETH_P_ARP, nb);
}

static void arp_request(struct net_if *ifc, uint32_t ip, const uint8_t *unicast)
{
	static const uint8_t zero[ETH_ALEN];

	NET_COUNT(arp_tx_request);
	arp_send(ifc, ARP_OP_REQUEST, unicast ? unicast : arp_bcast, zero, ip);
}

void arp_announce(struct net_if *ifc)
{
	static const uint8_t zero[ETH_ALEN];

	if (!ifc->has_addr)
		return;
	NET_COUNT(arp_tx_gratuitous);
	arp_send(ifc, ARP_OP_REQUEST, arp_bcast, zero, ifc->cfg.addr);
}

/* @e is resolved to @mac now: send what waited, in order. */
static void arp_resolved(struct net_if *ifc, struct arp_entry *e, const uint8_t *mac,
			 uint64_t now)
{
	struct netbuf *pending[ARP_PENDING_MAX];
	unsigned int n = e->npending;

	memcpy(e->mac, mac, ETH_ALEN);
	e->state = ARP_RESOLVED;
	e->confirmed = now;
	e->deadline = now + ARP_REACHABLE_NS;
	e->refresh_sent = 0;
	e->tries = 0;
	memcpy(pending, e->pending, sizeof(pending));
	memset(e->pending, 0, sizeof(e->pending));
	e->npending = 0;
	for (unsigned int i = 0; i < n; i++)	/* eth_xmit may not touch e: copied out */
		eth_xmit(ifc, mac, ETH_P_IP, pending[i]);
}

/* Sender addresses no host can have. */
static bool arp_bad_sender(const struct net_if *ifc, const uint8_t *sha, uint32_t spa)
{
	return eth_is_multicast(sha) || eth_is_zero(sha) || net_if_is_bcast(ifc, spa) ||
	       ip_is_multicast(spa) || (spa >> 24) == 127 || spa >= 0xf0000000u;
}

enum net_rx_fate arp_input(struct net_if *ifc, const uint8_t *p, uint32_t len)
{
	uint8_t sha[ETH_ALEN];
	uint32_t spa, tpa;
	uint16_t op;
	bool for_us, merged = false;
	struct arp_entry *e;
	uint64_t now;

	if (len < ARP_LEN || get_be16(p) != ARP_HTYPE_ETHER || get_be16(p + 2) != ETH_P_IP ||
	    p[4] != ETH_ALEN || p[5] != 4)
		return NET_RX_arp_malformed;
	op = get_be16(p + 6);
	if (op != ARP_OP_REQUEST && op != ARP_OP_REPLY)
		return NET_RX_arp_bad_op;
	memcpy(sha, p + 8, ETH_ALEN);
	spa = get_be32(p + 14);
	tpa = get_be32(p + 24);
	for_us = tpa == ifc->cfg.addr;
	if (eth_is_multicast(sha) || eth_is_zero(sha))
		return NET_RX_arp_bad_sender;
	if (!spa) {
		/* A probe (RFC 5227): answer one for our address, learn nothing. */
		if (op != ARP_OP_REQUEST || !for_us)
			return NET_RX_arp_bad_sender;
		NET_COUNT(arp_tx_reply);
		arp_send(ifc, ARP_OP_REPLY, sha, sha, 0);
		return NET_RX_arp_request;
	}
	if (arp_bad_sender(ifc, sha, spa))
		return NET_RX_arp_bad_sender;
	if (spa == ifc->cfg.addr) {
		if (arp_conflict_reports++ < 4)
			printk("pvkit: warning: net %s: %02x:%02x:%02x:%02x:%02x:%02x claims our "
			       "address\n", ifc->dev->name, sha[0], sha[1], sha[2], sha[3], sha[4],
			       sha[5]);
		return NET_RX_arp_conflict;
	}
	now = net_now();
	e = arp_find(ifc, spa);
	if (e) {				/* RFC 826: merge */
		arp_resolved(ifc, e, sha, now);
		merged = true;
	}
	if (!for_us)
		return merged ? NET_RX_arp_refreshed : NET_RX_arp_not_for_us;
	if (op == ARP_OP_REPLY)
		return merged ? NET_RX_arp_reply : NET_RX_arp_unsolicited;
	if (!merged) {
		e = arp_slot(ifc);
		if (e) {
			e->ip = spa;
			e->npending = 0;
			arp_resolved(ifc, e, sha, now);
		}
	}
	NET_COUNT(arp_tx_reply);
	arp_send(ifc, ARP_OP_REPLY, sha, sha, spa);
	return NET_RX_arp_request;
}

int arp_output(struct net_if *ifc, uint32_t next_hop, struct netbuf *nb)
{
	uint64_t now = net_now();
	struct arp_entry *e = arp_find(ifc, next_hop);

	if (net_if_is_bcast(ifc, next_hop))
		return eth_xmit(ifc, arp_bcast, ETH_P_IP, nb);
	if (e && e->state != ARP_INCOMPLETE && now >= e->deadline) {
		if (e->state == ARP_RESOLVED)
			NET_COUNT(arp_expired);
		e->state = ARP_FREE;		/* aged out (or failed long enough): afresh */
		e = NULL;
	}
	if (e && e->state == ARP_RESOLVED) {
		/* Still good; past the refresh age ask its owner directly, once per retry. */
		if (now - e->confirmed >= ARP_REFRESH_NS && now - e->refresh_sent >= ARP_RETRY_NS) {
			e->refresh_sent = now;
			arp_request(ifc, next_hop, e->mac);
		}
		return eth_xmit(ifc, e->mac, ETH_P_IP, nb);
	}
	if (e && e->state == ARP_FAILED) {
		NET_COUNT(arp_unresolved_drop);
		netbuf_free(nb);
		return -EHOSTUNREACH;
	}
	if (e) {				/* INCOMPLETE: wait with the others */
		if (e->npending >= ARP_PENDING_MAX) {
			NET_COUNT(arp_queue_drop);
			netbuf_free(nb);
			return -ENOBUFS;
		}
		e->pending[e->npending++] = nb;
		return 0;
	}
	if (arp_incomplete(ifc) >= ARP_INCOMPLETE_MAX || !(e = arp_slot(ifc))) {
		NET_COUNT(arp_incomplete_full);
		netbuf_free(nb);
		return -ENOBUFS;
	}
	memset(e, 0, sizeof(*e));
	e->state = ARP_INCOMPLETE;
	e->ip = next_hop;
	e->tries = 1;
	e->confirmed = now;
	e->deadline = now + ARP_RETRY_NS;
	e->pending[e->npending++] = nb;
	arp_request(ifc, next_hop, NULL);
	return 0;
}

unsigned int arp_poll(struct net_if *ifc, uint64_t now, uint64_t *next)
{
	unsigned int work = 0;

	for (unsigned int i = 0; i < ARP_CACHE_MAX; i++) {
		struct arp_entry *e = &ifc->arp[i];

		if (e->state == ARP_FREE)
			continue;
		if (now < e->deadline) {
			/* Resolved entries age out when used; no need to wake up for them. */
			if (e->state != ARP_RESOLVED)
				*next = MIN(*next, e->deadline);
			continue;
		}
		work++;
		switch (e->state) {
		case ARP_INCOMPLETE:
			if (e->tries >= ARP_TRIES) {
				NET_COUNT(arp_timeout);
				arp_drop_pending(e);
				e->state = ARP_FAILED;
				e->deadline = now + ARP_FAILED_NS;
			} else {
				e->tries++;
				e->deadline = now + ARP_RETRY_NS;
				arp_request(ifc, e->ip, NULL);
			}
			*next = MIN(*next, e->deadline);
			break;
		case ARP_RESOLVED:
			NET_COUNT(arp_expired);
			e->state = ARP_FREE;
			break;
		default:			/* FAILED: forget, so a later send asks again */
			e->state = ARP_FREE;
			break;
		}
	}
	return work;
}

void arp_if_flush(struct net_if *ifc)
{
	for (unsigned int i = 0; i < ARP_CACHE_MAX; i++) {
		arp_drop_pending(&ifc->arp[i]);
		ifc->arp[i].state = ARP_FREE;
	}
}

/* ---- public helpers ---------------------------------------------------------------------- */

int arp_lookup(struct netdev *dev, uint32_t ip, uint8_t mac[ETH_ALEN])
{
	struct net_if *ifc = dev ? net_if_get(dev) : NULL;
	struct arp_entry *e = ifc ? arp_find(ifc, ip) : NULL;

	if (!e || e->state != ARP_RESOLVED || net_now() >= e->deadline)
		return -ENOENT;
	memcpy(mac, e->mac, ETH_ALEN);
	return 0;
}

int arp_resolve(struct netdev *dev, uint32_t ip)
{
	struct net_if *ifc = dev ? net_if_get(dev) : NULL;
	struct arp_entry *e;
	uint64_t now = net_now();

	if (!ifc || !ifc->has_addr)
		return -ENOENT;
	e = arp_find(ifc, ip);
	if (e && e->state != ARP_INCOMPLETE && now >= e->deadline) {
		e->state = ARP_FREE;		/* aged out: ask again */
		e = NULL;
	}
	if (e)
		return e->state == ARP_FAILED ? -EHOSTUNREACH : 0;
	if (arp_incomplete(ifc) >= ARP_INCOMPLETE_MAX || !(e = arp_slot(ifc)))
		return -ENOSPC;
	memset(e, 0, sizeof(*e));
	e->state = ARP_INCOMPLETE;
	e->ip = ip;
	e->tries = 1;
	e->confirmed = now;
	e->deadline = now + ARP_RETRY_NS;
	arp_request(ifc, ip, NULL);
	return 0;
}

unsigned int arp_cache_count(struct netdev *dev)
{
	struct net_if *ifc = dev ? net_if_get(dev) : NULL;
	unsigned int n = 0;

	for (unsigned int i = 0; ifc && i < ARP_CACHE_MAX; i++)
		n += ifc->arp[i].state != ARP_FREE;
	return n;
}

void arp_flush(struct netdev *dev)
{
	struct net_if *ifc = dev ? net_if_get(dev) : NULL;

	if (ifc)
		arp_if_flush(ifc);
}

void arp_print(void)
{
	static const char *const states[] = { "free", "incomplete", "resolved", "failed" };
	uint64_t now = net_now();

	for (unsigned int i = 0; i < NET_IF_MAX; i++) {
		struct net_if *ifc = net_if_at(i);

		for (unsigned int k = 0; ifc && k < ARP_CACHE_MAX; k++) {
			const struct arp_entry *e = &ifc->arp[k];
			char a[IP4_STR_MAX];

			if (e->state == ARP_FREE)
				continue;
			printk("pvkit: net arp %s %s %02x:%02x:%02x:%02x:%02x:%02x %s age_ms=%lu "
			       "waiting=%u\n", ifc->dev->name, ip_format_addr(a, e->ip), e->mac[0],
			       e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5],
			       states[e->state], (unsigned long)((now - e->confirmed) / 1000000),
			       e->npending);
		}
	}
}
