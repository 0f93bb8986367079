// SPDX-License-Identifier: MIT
/*
 * The fake network-device layer of tests/unit/test_net_fake.h: what drivers/core/netdev.c and
 * the kernel glue (net_main.c) provide in the guest, for the stack built on the host.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include "test_net_fake.h"

#define FAKE_DEVS	4

struct fake_sent fake_sent[FAKE_SENT_MAX];
unsigned int fake_nsent;
uint64_t fake_sent_total;
long fake_nb_live;
long fake_nb_fail_after = -1;
int fake_tx_err;
uint64_t fake_now_ns;
unsigned int fake_printks;
bool fake_printk_quiet;

static struct netdev fake_devs[FAKE_DEVS];
static bool fake_dev_used[FAKE_DEVS];
static struct netdev *fake_registry;

uint64_t net_now(void)
{
	return fake_now_ns;
}

int printk(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fake_printks++;
	if (!fake_printk_quiet)
		printf("#   printk: %s", buf);
	return n;
}

/* Exactly headroom + len bytes after the descriptor: one byte further is an ASan report. */
struct netbuf *netbuf_alloc(uint32_t len, uint32_t headroom)
{
	struct netbuf *nb;

	if (len > NETBUF_SIZE || headroom > 4096)
		return NULL;
	if (fake_nb_fail_after >= 0 && fake_nb_fail_after-- == 0)
		return NULL;
	nb = malloc(sizeof(*nb) + headroom + len);
	if (!nb)
		return NULL;
	memset(nb, 0, sizeof(*nb));
	nb->head = (uint8_t *)nb;
	nb->head_pages = 1;
	nb->data = (uint8_t *)(nb + 1) + headroom;
	nb->size = len;
	fake_nb_live++;
	return nb;
}

void netbuf_free(struct netbuf *nb)
{
	if (!nb)
		return;
	fake_nb_live--;
	memset(nb, 0xa5, sizeof(*nb));		/* use after free: garbage, and ASan knows */
	free(nb);
}

struct netbuf *fake_frame(const void *frame, uint32_t len)
{
	struct netbuf *nb = netbuf_alloc(len, 0);

	if (!nb)
		return NULL;
	memcpy(nb->data, frame, len);
	nb->len = len;
	return nb;
}

void fake_sent_clear(void)
{
	for (unsigned int i = 0; i < fake_nsent; i++)
		free(fake_sent[i].data);
	fake_nsent = 0;
}

void fake_net_reset(void)
{
	fake_sent_clear();
	fake_sent_total = 0;
	fake_nb_fail_after = -1;
	fake_tx_err = 0;
	fake_now_ns = 1000000000ull;		/* not 0: "never" must differ from "now" */
	fake_registry = NULL;
	memset(fake_devs, 0, sizeof(fake_devs));
	memset(fake_dev_used, 0, sizeof(fake_dev_used));
}

int netdev_tx(struct netdev *dev, struct netbuf *nb)
{
	struct fake_sent *s;

	if (dev->gone)
		return -ENODEV;
	if (!dev->carrier)
		return -ENETDOWN;
	if (nb->len < ETH_HLEN || nb->len > dev->mtu + ETH_HLEN + 4 || nb->len > nb->size)
		return -EMSGSIZE;
	if (fake_tx_err)
		return fake_tx_err;
	if (fake_nsent == FAKE_SENT_MAX) {	/* keep the newest */
		free(fake_sent[0].data);
		memmove(fake_sent, fake_sent + 1, sizeof(fake_sent[0]) * (FAKE_SENT_MAX - 1));
		fake_nsent--;
	}
	s = &fake_sent[fake_nsent++];
	s->dev = dev;
	memcpy(s->mac, dev->mac, ETH_ALEN);
	s->mtu = dev->mtu;
	s->len = nb->len;
	s->data = malloc(nb->len);
	memcpy(s->data, nb->data, nb->len);
	s->csum = nb->csum;
	s->csum_start = nb->csum_start;
	s->csum_offset = nb->csum_offset;
	fake_sent_total++;
	dev->stats.tx_frames++;
	dev->stats.tx_bytes += nb->len;
	netbuf_free(nb);			/* as a device that finished at once */
	return 0;
}

struct netdev *fake_netdev_add(const char *name, const uint8_t mac[ETH_ALEN])
{
	for (unsigned int i = 0; i < FAKE_DEVS; i++) {
		struct netdev *d = &fake_devs[i], **pp = &fake_registry;

		if (fake_dev_used[i])
			continue;
		fake_dev_used[i] = true;
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", name);
		memcpy(d->mac, mac, ETH_ALEN);
		d->mtu = ETH_MTU_DEFAULT;
		d->carrier = true;
		d->features.queues = 1;
		while (*pp)
			pp = &(*pp)->next;
		*pp = d;
		return d;
	}
	return NULL;
}

void fake_netdev_remove(struct netdev *dev)
{
	for (struct netdev **pp = &fake_registry; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	dev->gone = true;
	dev->carrier = false;
	fake_dev_used[dev - fake_devs] = false;
}

struct netdev *netdev_first(void)
{
	return fake_registry;
}

struct netdev *netdev_next(struct netdev *dev)
{
	return dev->next;
}

struct netdev *netdev_find(const char *name)
{
	for (struct netdev *d = fake_registry; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

/* ---- what a well-formed frame from the stack looks like ---------------------------------- */

static uint16_t fk16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t fk32(const uint8_t *p) { return (uint32_t)fk16(p) << 16 | fk16(p + 2); }

/* An independent RFC 1071 sum (not the stack's): 0 when a checksummed range verifies. */
static uint16_t fk_csum(const uint8_t *p, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += fk16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static const char *fk_check_arp(const struct fake_sent *s, const uint8_t *a, uint32_t n,
				uint32_t our_ip)
{
	uint16_t op;

	if (n < 28)
		return "ARP packet short";
	if (fk16(a) != 1 || fk16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4)
		return "ARP not Ethernet/IPv4";
	op = fk16(a + 6);
	if (op != 1 && op != 2)
		return "ARP op";
	if (memcmp(a + 8, s->mac, 6))
		return "ARP sender MAC not ours";
	if (fk32(a + 14) != our_ip)
		return "ARP sender IP not ours";
	if (op == 2 && (a[18] & 1))
		return "ARP reply to a multicast MAC";
	if (op == 2 && memcmp(s->data, a + 18, 6))
		return "ARP reply not sent to the requester";
	return NULL;
}

static const char *fk_check_ip(const struct fake_sent *s, const uint8_t *ip, uint32_t n,
			       uint32_t our_ip)
{
	uint32_t tot, dst;
	const uint8_t *l4;
	uint32_t l4n;

	if (n < 20 || ip[0] != 0x45)
		return "IP version/IHL not 4/5";
	tot = fk16(ip + 2);
	if (tot < 20 || tot > n)
		return "IP total length beyond the frame";
	if (s->len > 60 && tot != n)
		return "frame longer than the datagram (and not padding)";
	if (fk_csum(ip, 20, 0))
		return "IP header checksum";
	if (fk16(ip + 6) & 0x3fff)
		return "IP fragment";
	if (ip[8] != 64)
		return "IP TTL";
	if (fk32(ip + 12) != our_ip)
		return "IP source not ours";
	dst = fk32(ip + 16);
	if (!dst || (dst >> 28) == 0xe || (dst >> 24) == 127)
		return "IP destination 0, multicast or loopback";
	l4 = ip + 20;
	l4n = tot - 20;
	switch (ip[9]) {
	case 1:
		if (l4n < 8)
			return "ICMP short";
		if (fk_csum(l4, l4n, 0))
			return "ICMP checksum";
		if (l4[0] != 0 && l4[0] != 3 && l4[0] != 8)
			return "ICMP type we never send";
		return NULL;
	case 17: {
		uint32_t pseudo = (our_ip >> 16) + (our_ip & 0xffff) + (dst >> 16) + (dst & 0xffff) +
				  17 + l4n;
		uint8_t buf[65536];

		if (l4n < 8 || fk16(l4 + 4) != l4n)
			return "UDP length";
		memcpy(buf, l4, l4n);
		if (s->csum == NETBUF_CSUM_PARTIAL) {
			uint16_t c;

			if (s->csum_start != 34 || s->csum_offset != 6)
				return "UDP offload offsets";
			/* The field holds the folded pseudo-header sum; the device sums the rest
			 * (with it) and stores the complement: do that, then verify as usual. */
			if (fk16(l4 + 6) != (uint16_t)~fk_csum(NULL, 0, pseudo))
				return "UDP offload: field is not the pseudo-header sum";
			c = fk_csum(buf, l4n, 0);
			c = c ? c : 0xffff;
			buf[6] = c >> 8;
			buf[7] = (uint8_t)c;
		} else if (!fk16(l4 + 6)) {
			return "UDP checksum not generated";
		}
		if (fk_csum(buf, l4n, pseudo))
			return "UDP checksum";
		return NULL;
	}
	default:
		return "IP protocol we never send";
	}
}

const char *fake_check_sent(const struct fake_sent *s, uint32_t our_ip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];

	if (s->len < 60)
		return "shorter than 60 bytes (not padded)";
	if (s->len > s->mtu + 14)
		return "longer than the MTU";
	if (memcmp(s->data + 6, s->mac, 6))
		return "Ethernet source not our MAC";
	if (!memcmp(s->data, zero, 6) || ((s->data[0] & 1) && memcmp(s->data, bcast, 6)))
		return "Ethernet destination zero or multicast";
	if (s->csum == NETBUF_CSUM_PARTIAL && (fk16(s->data + 12) != 0x0800 || s->data[23] != 17))
		return "checksum offload on something not UDP";
	switch (fk16(s->data + 12)) {
	case 0x0806:
		return fk_check_arp(s, s->data + 14, s->len - 14, our_ip);
	case 0x0800:
		return fk_check_ip(s, s->data + 14, s->len - 14, our_ip);
	default:
		return "Ethernet type we never send";
	}
}
