// SPDX-License-Identifier: MIT
/*
 * The network in the guest (ST_ALL): the interface the command line configured (ip=), ARP
 * and ping of a peer (pvkit.net_peer=, else gw=; natively QEMU user networking's 10.0.2.2,
 * which answers both), hostile frames pushed through the device layer's receive path, each
 * dropped and counted with the peer still answering, and the virtio-net driver's state.
 * Without ip= on the command line these skip; with it, a missing interface fails.
 * scripts/testrun.py's virtio-net boot then checks UDP echo from the host (serve mode).
 */
#include <string.h>
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/mm.h>
#include <pvkit/net.h>
#include <pvkit/netdev.h>
#include "selftest.h"
#include <pvkit/timer.h>
#ifdef CONFIG_VIRTIO_NET
#include <pvkit/virtio_net.h>
#endif

#define SEC_NS			1000000000ull
#define NT_STORM		300	/* ARP requests in the storm */

/* ---- helpers ----------------------------------------------------------------------------- */

/* The configured interface, or why not (ST_SKIPPED when ip= promised none). */
static int nt_dev(const struct boot_info *bi, struct netdev **dev, struct net_if_config *c)
{
	bool promised = cmdline_has(bi->cmdline, "ip");

	for (struct netdev *d = netdev_first(); d; d = netdev_next(d)) {
		if (!net_if_get_config(d, c)) {
			*dev = d;
			return 0;
		}
	}
	printk("#   no configured network interface%s\n",
	       promised ? " although the command line has ip=" : "");
	return promised ? -ENODEV : ST_SKIPPED;
}

/* Whom to talk to: pvkit.net_peer=, else the gateway. */
static int nt_peer(const struct boot_info *bi, const struct net_if_config *c, uint32_t *peer)
{
	char val[IP4_STR_MAX];

	if (!cmdline_get(bi->cmdline, "pvkit.net_peer", val, sizeof(val)))
		return ip_parse_addr(val, peer);
	if (c->gw) {
		*peer = c->gw;
		return 0;
	}
	printk("#   no peer to talk to (pvkit.net_peer= or gw=)\n");
	return ST_SKIPPED;
}

static void w16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void w32(uint8_t *p, uint32_t v) { w16(p, v >> 16); w16(p + 2, (uint16_t)v); }

static uint16_t nt_csum(const uint8_t *p, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A frame to us from @peer_mac: IPv4 @proto with @l4n bytes of payload (zeros), valid. */
static uint32_t nt_ip_frame(uint8_t *f, const struct netdev *dev, const uint8_t *peer_mac,
			    uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4n)
{
	uint8_t *ip = f + ETH_HLEN;

	memcpy(f, dev->mac, ETH_ALEN);
	memcpy(f + 6, peer_mac, ETH_ALEN);
	w16(f + 12, 0x0800);
	memset(ip, 0, 20 + l4n);
	ip[0] = 0x45;
	w16(ip + 2, (uint16_t)(20 + l4n));
	ip[8] = 64;
	ip[9] = proto;
	w32(ip + 12, src);
	w32(ip + 16, dst);
	w16(ip + 10, nt_csum(ip, 20, 0));
	return ETH_HLEN + 20 + l4n;
}

/* Hand @len bytes of @f to the stack as if @dev had received them; the idle loop's work. */
static int nt_inject(struct netdev *dev, const uint8_t *f, uint32_t len)
{
	struct netbuf *nb = netbuf_alloc(len, 0);

	if (!nb)
		return -ENOMEM;
	memcpy(nb->data, f, len);
	nb->len = len;
	netdev_rx(dev, nb);
	netdev_poll();
	return 0;
}

/* ---- tests ------------------------------------------------------------------------------- */

static int test_net_iface(const struct boot_info *bi)
{
	struct net_if_config c, want;
	struct netdev *dev;
	char val[40];
	int err = nt_dev(bi, &dev, &c);

	if (err)
		return err;
	if (!cmdline_get(bi->cmdline, "ip", val, sizeof(val))) {
		ST_CHECK(!ip_parse_cidr(val, &want.addr, &want.prefix), "ip=%s", val);
		ST_CHECK(c.addr == want.addr && c.prefix == want.prefix, "%#x/%u on %s", c.addr,
			 c.prefix, dev->name);
	}
	ST_CHECK(!(dev->mac[0] & 1) && (dev->mac[0] | dev->mac[1] | dev->mac[2] | dev->mac[3] |
					dev->mac[4] | dev->mac[5]), "MAC %02x:..", dev->mac[0]);
	ST_CHECK(dev->mtu >= 576 && dev->mtu <= NETBUF_SIZE, "mtu %u", dev->mtu);
	ST_CHECK(dev->carrier, "%s has no carrier", dev->name);
	return 0;
}

static int test_net_arp(const struct boot_info *bi)
{
	struct net_if_config c;
	struct net_stats a, b;
	struct netdev *dev;
	uint8_t mac[ETH_ALEN];
	uint32_t peer;
	int err = nt_dev(bi, &dev, &c);

	if (!err)
		err = nt_peer(bi, &c, &peer);
	if (err)
		return err;
	arp_flush(dev);				/* ask afresh */
	net_get_stats(&a);
	err = net_arp_resolve(peer, mac, 5 * SEC_NS);
	net_get_stats(&b);
	ST_CHECK(!err, "resolving the peer: %s", strerror_name(err));
	ST_CHECK(!(mac[0] & 1) && memcmp(mac, dev->mac, ETH_ALEN), "peer MAC %02x:%02x:..",
		 mac[0], mac[1]);
	ST_CHECK(b.tx[NET_arp_tx_request] > a.tx[NET_arp_tx_request], "no request sent");
	ST_CHECK(b.rx[NET_RX_arp_reply] > a.rx[NET_RX_arp_reply], "no reply counted");
	printk("#   peer %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4],
	       mac[5]);
	return 0;
}

static int test_net_ping(const struct boot_info *bi)
{
	static const uint32_t sizes[] = { 0, 56, 1000, ICMP_ECHO_DATA_MAX };
	struct net_if_config c;
	struct net_ping_result r;
	struct netdev *dev;
	uint32_t peer;
	int err = nt_dev(bi, &dev, &c);

	if (!err)
		err = nt_peer(bi, &c, &peer);
	if (err)
		return err;
	for (unsigned int i = 0; i < ARRAY_SIZE(sizes); i++) {
		err = net_ping(peer, 5, sizes[i], SEC_NS, &r);
		ST_CHECK(!err && !r.error, "ping size %u: %s / %s", sizes[i], strerror_name(err),
			 strerror_name(r.error));
		ST_CHECK(r.sent == 5 && r.received == 5 && !r.corrupt && !r.duplicate,
			 "size %u: sent %u received %u corrupt %u duplicate %u", sizes[i], r.sent,
			 r.received, r.corrupt, r.duplicate);
		printk("#   %u bytes: rtt min %lu avg %lu max %lu us\n", sizes[i],
		       r.rtt_min_ns / 1000, r.rtt_sum_ns / r.received / 1000, r.rtt_max_ns / 1000);
	}
	return 0;
}

/* Hostile frame @k (0..NT_KINDS-1) into @f: its length; *@fate where it must be counted. */
#define NT_KINDS	11
static uint32_t nt_hostile(unsigned int k, uint8_t *f, struct netdev *dev, const uint8_t *pmac,
			   uint32_t peer, uint32_t us, enum net_rx_fate *fate)
{
	uint8_t *ip = f + ETH_HLEN, *l4 = ip + 20;
	uint32_t n;

	if (k == 10) {				/* ARP with a 16-byte protocol address */
		memcpy(f, dev->mac, ETH_ALEN);
		memcpy(f + 6, pmac, ETH_ALEN);
		w16(f + 12, 0x0806);
		memset(ip, 0, 46);
		w16(ip, 1);
		w16(ip + 2, 0x0800);
		ip[4] = 6;
		ip[5] = 16;
		w16(ip + 6, 1);
		*fate = NET_RX_arp_malformed;
		return 60;
	}
	if (k >= 8) {				/* UDP to the sink, 16 bytes */
		n = nt_ip_frame(f, dev, pmac, peer, us, 17, 8 + 16);
		w16(l4, 40000);
		w16(l4 + 2, NET_SINK_PORT);
		w16(l4 + 4, 8 + 16);
		if (k == 8) {
			w16(l4 + 4, 8 + 17);	/* one byte beyond; no checksum */
			*fate = NET_RX_udp_bad_len;
		} else {
			w16(l4 + 6, 0x1234);	/* wrong (the right one differs) */
			*fate = nt_csum(l4, 24, peer / 65536 + (peer & 0xffff) + us / 65536 +
				       (us & 0xffff) + 17 + 24) == 0x1234 ? NET_RX_udp_delivered :
				NET_RX_udp_bad_csum;
		}
		return n;
	}
	n = nt_ip_frame(f, dev, pmac, peer, us, 1, 8 + 8);	/* an echo request */
	l4[0] = 8;
	w16(l4 + 4, 0x77);
	w16(l4 + 6, 1);
	w16(l4 + 2, nt_csum(l4, 16, 0));
	switch (k) {
	case 0:
		*fate = NET_RX_eth_short;
		return 10;
	case 1:
		w16(f + 12, 0x86dd);
		*fate = NET_RX_eth_unknown_type;
		return n;
	case 2:
		ip[10] ^= 0x40;
		*fate = NET_RX_ip_bad_csum;
		return n;
	case 3:
		w16(ip + 2, 20 + 16 + 1);
		*fate = NET_RX_ip_bad_len;
		break;
	case 4:
		ip[0] = 0x44;
		*fate = NET_RX_ip_bad_ihl;
		break;
	case 5:
		ip[0] = 0x4f;
		*fate = NET_RX_ip_bad_ihl;
		return n;			/* 60 bytes of header in 36 */
	case 6:
		w16(ip + 6, 0x2000);
		*fate = NET_RX_ip_fragment;
		break;
	default:
		l4[2] ^= 1;
		*fate = NET_RX_icmp_bad_csum;
		return n;
	}
	w16(ip + 10, 0);
	w16(ip + 10, nt_csum(ip, 20, 0));
	return n;
}

static int test_net_hostile(const struct boot_info *bi)
{
	static uint8_t f[128];
	struct net_if_config c;
	struct net_stats a, b;
	struct net_ping_result r;
	struct netdev *dev;
	uint8_t pmac[ETH_ALEN];
	uint64_t want[NET_RX_NR] = { 0 };
	uint64_t free_before;
	uint32_t peer;
	int err = nt_dev(bi, &dev, &c);

	if (!err)
		err = nt_peer(bi, &c, &peer);
	if (err)
		return err;
	err = net_arp_resolve(peer, pmac, 5 * SEC_NS);
	ST_CHECK(!err, "resolving the peer: %s", strerror_name(err));
	net_get_stats(&a);
	free_before = page_free_count();
	for (unsigned int round = 0; round < 10; round++) {
		for (unsigned int k = 0; k < NT_KINDS; k++) {
			enum net_rx_fate fate;
			uint32_t n = nt_hostile(k, f, dev, pmac, peer, c.addr, &fate);

			ST_CHECK(!nt_inject(dev, f, n), "no memory");
			want[fate]++;
		}
	}
	/* An ARP storm: requests for us from NT_STORM senders (their replies go nowhere). */
	for (unsigned int i = 0; i < NT_STORM; i++) {
		uint8_t *a4 = f + ETH_HLEN;
		uint32_t spa = (c.addr & ~0xffu) | (1 + i % 250);

		if (spa == c.addr || spa == peer)
			spa ^= 0x80;
		memset(f, 0xff, ETH_ALEN);
		f[6] = 0x02;
		f[7] = 0xee;
		w32(f + 8, i);
		w16(f + 12, 0x0806);
		memset(a4, 0, 46);
		w16(a4, 1);
		w16(a4 + 2, 0x0800);
		a4[4] = 6;
		a4[5] = 4;
		w16(a4 + 6, 1);
		memcpy(a4 + 8, f + 6, ETH_ALEN);
		w32(a4 + 14, spa);
		w32(a4 + 24, c.addr);
		ST_CHECK(!nt_inject(dev, f, 60), "no memory");
		ST_CHECK(arp_cache_count(dev) <= ARP_CACHE_MAX, "%u ARP entries",
			 arp_cache_count(dev));
	}
	net_get_stats(&b);
	for (unsigned int i = 0; i < NET_RX_NR; i++) {
		const char *name = net_rx_name(i, NULL);

		/* Real traffic may add to the others meanwhile; these it cannot reach. */
		ST_CHECK(b.rx[i] - a.rx[i] >= want[i], "%s: %lu counted, %lu sent", name,
			 b.rx[i] - a.rx[i], want[i]);
		ST_CHECK(!want[i] || b.rx[i] - a.rx[i] == want[i], "%s: %lu counted, %lu sent",
			 name, b.rx[i] - a.rx[i], want[i]);
	}
	ST_CHECK(b.rx[NET_RX_arp_request] - a.rx[NET_RX_arp_request] >= NT_STORM, "storm: %lu",
		 b.rx[NET_RX_arp_request] - a.rx[NET_RX_arp_request]);
	{
		uint64_t sum = 0;

		for (unsigned int i = 0; i < NET_RX_NR; i++)
			sum += b.rx[i];
		ST_CHECK(sum == b.rx_frames, "fates %lu, frames %lu", sum, b.rx_frames);
	}
	/* Still answering, and nothing held on to. */
	err = net_ping(peer, 5, 56, SEC_NS, &r);
	ST_CHECK(!err && r.received == 5 && !r.corrupt, "ping after: %s, %u of %u",
		 strerror_name(err), r.received, r.sent);
	ST_CHECK(page_free_count() + 16 >= free_before, "%lu pages fewer",
		 free_before - page_free_count());
	return 0;
}

#ifdef CONFIG_VIRTIO_NET
static int test_virtio_net(const struct boot_info *bi)
{
	struct virtio_net_stats st;
	struct net_if_config c;
	struct netdev *dev;
	int err = nt_dev(bi, &dev, &c);

	if (err)
		return err;
	if (virtio_net_get_stats(dev, &st)) {
		printk("#   %s is not a virtio-net\n", dev->name);
		return ST_SKIPPED;
	}
	ST_CHECK(st.rx_queue_size >= 16 && st.tx_queue_size >= 16, "queues %u/%u",
		 st.rx_queue_size, st.tx_queue_size);
	ST_CHECK(st.rx_posted == st.rx_queue_size, "%u of %u rx buffers posted", st.rx_posted,
		 st.rx_queue_size);
	ST_CHECK(st.rx_buf_len >= dev->mtu + ETH_HLEN, "rx buffers of %u", st.rx_buf_len);
	ST_CHECK(st.rx_vector, "rx queue without an MSI-X vector");
	ST_CHECK(st.rx_interrupts > 0 && st.rx_completed > 0, "%lu interrupts, %lu frames",
		 st.rx_interrupts, st.rx_completed);
	ST_CHECK(!st.bad_used && !st.rx_bad_len && !st.rx_short && !st.rx_gso,
		 "device errors: used %lu len %lu short %lu gso %lu", st.bad_used, st.rx_bad_len,
		 st.rx_short, st.rx_gso);
	ST_CHECK(st.tx_completed + st.tx_in_flight == dev->stats.tx_frames,
		 "tx: %lu done + %u in flight != %lu sent", st.tx_completed, st.tx_in_flight,
		 dev->stats.tx_frames);
	ST_CHECK(!dev->features.csum == !(st.features & (1ull << VIRTIO_NET_F_CSUM)),
		 "csum feature %d, negotiated %#lx", dev->features.csum, st.features);
	printk("#   features %#lx, rx %lu frames in %lu interrupts, tx %lu frames, %lu doorbells\n",
	       st.features, st.rx_completed, st.rx_interrupts, st.tx_completed, st.tx_notifies);
	return 0;
}
#endif

static const struct selftest net_tests[] = {
	{ test_net_iface, "net: the interface has ip='s address, a MAC, MTU and carrier", ST_ALL },
	{ test_net_arp, "net: ARP resolves the peer (request sent, reply counted)", ST_ALL },
	{ test_net_ping, "net: ping the peer, 0 to 1472 bytes, none lost or corrupted", ST_ALL },
	{ test_net_hostile, "net: hostile frames and an ARP storm dropped and counted, ping after",
	  ST_ALL },
#ifdef CONFIG_VIRTIO_NET
	{ test_virtio_net, "virtio-net: rx ring full, MSI-X, no device errors, tx accounted",
	  ST_NATIVE },
#endif
};
SELFTEST_TABLE(80, net_tests);
