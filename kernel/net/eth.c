// SPDX-License-Identifier: MIT
/*
 * Ethernet II output (IEEE 802.3 frame layout, DIX type field): frames we build, the header
 * filled in, padding to the 60-byte minimum, and a bounded per-interface backlog for when the
 * device is full (netdev_tx() -EBUSY): frames wait in order, never without limit.
 */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include "net_priv.h"

struct netbuf *eth_alloc(uint32_t l3_len)
{
	uint32_t len = ETH_HLEN + l3_len;
	struct netbuf *nb = netbuf_alloc(MAX(len, (uint32_t)ETH_ZLEN), NET_HEADROOM);

	if (!nb) {
		NET_COUNT(tx_nomem);
		return NULL;
	}
	if (len < ETH_ZLEN)
		memset(nb->data + len, 0, ETH_ZLEN - len);	/* padding leaks nothing */
	nb->len = MAX(len, (uint32_t)ETH_ZLEN);
	nb->csum = NETBUF_CSUM_NONE;
	nb->next = NULL;
	return nb;
}

static void eth_backlog_add(struct net_if *ifc, struct netbuf *nb)
{
	nb->next = NULL;
	if (ifc->txq_tail)
		ifc->txq_tail->next = nb;
	else
		ifc->txq_head = nb;
	ifc->txq_tail = nb;
	ifc->txq_len++;
}

/* Hand @nb to the device. 0: taken; -EBUSY: the caller keeps it; else counted and freed. */
static int eth_tx_one(struct net_if *ifc, struct netbuf *nb)
{
	uint32_t len = nb->len;			/* the device may free nb once it took it */
	int err = netdev_tx(ifc->dev, nb);

	if (!err) {
		NET_COUNT(tx_frames);
		NET_COUNT_N(tx_bytes, len);
		return 0;
	}
	if (err == -EBUSY)
		return err;
	NET_COUNT(tx_error);
	netbuf_free(nb);
	return err;
}

unsigned int eth_flush_backlog(struct net_if *ifc)
{
	unsigned int sent = 0;

	while (ifc->txq_head) {
		struct netbuf *nb = ifc->txq_head, *next = nb->next;
		int err;

		nb->next = NULL;
		err = eth_tx_one(ifc, nb);
		if (err == -EBUSY) {
			nb->next = next;
			break;
		}
		ifc->txq_head = next;
		if (!next)
			ifc->txq_tail = NULL;
		ifc->txq_len--;
		sent += !err;
	}
	return sent;
}

void eth_drop_backlog(struct net_if *ifc)
{
	while (ifc->txq_head) {
		struct netbuf *nb = ifc->txq_head;

		ifc->txq_head = nb->next;
		netbuf_free(nb);
	}
	ifc->txq_tail = NULL;
	ifc->txq_len = 0;
}

int eth_xmit(struct net_if *ifc, const uint8_t *dst, uint16_t type, struct netbuf *nb)
{
	int err;

	memcpy(nb->data, dst, ETH_ALEN);
	memcpy(nb->data + ETH_ALEN, ifc->dev->mac, ETH_ALEN);
	put_be16(nb->data + 12, type);
	if (ifc->txq_len)
		eth_flush_backlog(ifc);		/* keep the order: older frames first */
	if (!ifc->txq_len) {
		err = eth_tx_one(ifc, nb);
		if (err != -EBUSY)
			return err;
	}
	if (ifc->txq_len >= NET_TXQ_MAX) {
		NET_COUNT(tx_backlog_drop);
		netbuf_free(nb);
		return -ENOBUFS;
	}
	NET_COUNT(tx_backlogged);
	eth_backlog_add(ifc, nb);
	return 0;
}
