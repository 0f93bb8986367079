// SPDX-License-Identifier: MIT
/*
 * The IP stack (kernel/net/) on the host against a fake device layer (test_net_fake.c):
 * hostile frames of every kind, each dropped and counted under exactly one fate, with the
 * stack still answering a valid ping afterwards; ARP cache, expiry, retries and the bounds on
 * everything an ARP storm could grow; UDP sockets, checksums and offload; the services; ping;
 * the device backlog; interfaces coming and going. Every frame the stack sends is checked by
 * an independent well-formedness check (fake_check_sent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/errno.h>
#include <pvkit/net.h>
#include "test_net_fake.h"
#include "unit.h"

#define US	IP4(10, 0, 2, 15)
#define GW	IP4(10, 0, 2, 2)
#define H9	IP4(10, 0, 2, 9)
#define BCAST_NET	IP4(10, 0, 2, 255)
#define SEC	1000000000ull

static const uint8_t MAC_US[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t MAC_GW[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t MAC_H9[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x09 };
static const uint8_t MAC_BC[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t MAC_ZERO[6];
static const uint8_t Z[64];			/* payload of zeros */

static struct netdev *eth0;

/* ---- frame building (independent of the stack's own code) -------------------------------- */

struct pkt {
	uint8_t b[2048];		/* the frame */
	uint32_t len;			/* its length */
};

/* How to spoil an IPv4 header. */
struct ipopt {
	unsigned int ihl;		/* header words; 0: 5 */
	int tot_delta;			/* added to the right total length */
	uint16_t frag;			/* flags + fragment offset */
	int ttl;			/* 0: 64; -1: 0 */
	bool bad_csum;			/* header checksum off by one */
	unsigned int version;		/* 0: 4 */
	uint32_t pad;			/* Ethernet padding after the datagram */
};

static void w16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void w32(uint8_t *p, uint32_t v) { w16(p, v >> 16); w16(p + 2, (uint16_t)v); }
static uint16_t r16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t r32(const uint8_t *p) { return (uint32_t)r16(p) << 16 | r16(p + 2); }

static uint16_t csum(const uint8_t *p, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += r16(p + i);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo(uint32_t s, uint32_t d, uint8_t proto, uint32_t len)
{
	return (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + proto + len;
}

static void eth_hdr(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(p->b, dst, 6);
	memcpy(p->b + 6, src, 6);
	w16(p->b + 12, type);
	p->len = 14;
}

static void ip_pkt(struct pkt *p, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *l4,
		   uint32_t l4n, const struct ipopt *o)
{
	static const struct ipopt none;
	unsigned int ihl;
	uint8_t *ip = p->b + 14;

	o = o ? o : &none;
	ihl = o->ihl ? o->ihl : 5;
	eth_hdr(p, MAC_US, MAC_GW, 0x0800);
	memset(ip, 0, ihl * 4 > 20 ? ihl * 4 : 20);
	ip[0] = (uint8_t)((o->version ? o->version : 4) << 4 | (ihl & 0xf));
	w16(ip + 2, (uint16_t)(ihl * 4 + l4n + o->tot_delta));
	w16(ip + 4, 0x1234);
	w16(ip + 6, o->frag);
	ip[8] = o->ttl < 0 ? 0 : o->ttl ? o->ttl : 64;
	ip[9] = proto;
	w32(ip + 12, src);
	w32(ip + 16, dst);
	for (unsigned int i = 20; i < ihl * 4; i++)
		ip[i] = i + 1 < ihl * 4 ? 1 : 0;	/* NOPs, then end of options */
	w16(ip + 10, csum(ip, ihl >= 5 ? ihl * 4 : 20, 0) + (o->bad_csum ? 1 : 0));
	memcpy(ip + ihl * 4, l4, l4n);
	p->len = 14 + ihl * 4 + l4n;
	memset(p->b + p->len, 0, o->pad);
	p->len += o->pad;
}

static uint32_t icmp_msg(uint8_t *m, uint8_t type, uint16_t id, uint16_t seq, const uint8_t *d,
			 uint32_t n)
{
	m[0] = type;
	m[1] = 0;
	w16(m + 2, 0);
	w16(m + 4, id);
	w16(m + 6, seq);
	memcpy(m + 8, d, n);
	w16(m + 2, csum(m, 8 + n, 0));
	return 8 + n;
}

/* csum_mode: 0 right, 1 none (zero), 2 wrong. */
static uint32_t udp_msg(uint8_t *m, uint32_t src, uint32_t dst, uint16_t sp, uint16_t dp,
			const uint8_t *d, uint32_t n, int csum_mode)
{
	uint16_t c;

	w16(m, sp);
	w16(m + 2, dp);
	w16(m + 4, (uint16_t)(8 + n));
	w16(m + 6, 0);
	memcpy(m + 8, d, n);
	c = csum(m, 8 + n, pseudo(src, dst, 17, 8 + n));
	w16(m + 6, csum_mode == 1 ? 0 : (uint16_t)((c ? c : 0xffff) + (csum_mode == 2)));
	return 8 + n;
}

static void arp_pkt(struct pkt *p, const uint8_t *eth_dst, uint16_t op, const uint8_t *sha,
		    uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	uint8_t *a = p->b + 14;

	eth_hdr(p, eth_dst, sha, 0x0806);
	w16(a, 1);
	w16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	w16(a + 6, op);
	memcpy(a + 8, sha, 6);
	w32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	w32(a + 24, tpa);
	p->len = 14 + 28 + 18;			/* padded to 60 as on the wire */
	memset(p->b + 42, 0, 18);
}

static void echo_req(struct pkt *p, uint32_t src, uint16_t id, uint16_t seq, uint32_t n,
		     const struct ipopt *o)
{
	uint8_t m[1600], d[1500];

	for (uint32_t i = 0; i < n; i++)
		d[i] = (uint8_t)(i * 13 + seq);
	ip_pkt(p, src, US, 1, m, icmp_msg(m, 8, id, seq, d, n), o);
}

/* ---- driving the stack ------------------------------------------------------------------- */

static uint64_t sum_fates(const struct net_stats *st)
{
	uint64_t s = 0;

	for (unsigned int i = 0; i < NET_RX_NR; i++)
		s += st->rx[i];
	return s;
}

/* Every frame sent since the last clear must be well-formed. */
static void check_sent_ok(void)
{
	for (unsigned int i = 0; i < fake_nsent; i++) {
		struct net_if_config c;
		const char *why = fake_check_sent(&fake_sent[i],
			net_if_get_config(fake_sent[i].dev, &c) ? US : c.addr);

		CHECKF(!why, "sent frame %u (%u bytes): %s", i, fake_sent[i].len, why);
	}
}

/* Feed one frame; return the one fate it was counted under (-1: not exactly one). */
static int inject_dev(struct netdev *dev, const struct pkt *p)
{
	struct net_stats a, b;
	int fate = -1;
	unsigned int changed = 0;

	net_get_stats(&a);
	net_input(dev, fake_frame(p->b, p->len));
	net_get_stats(&b);
	for (unsigned int i = 0; i < NET_RX_NR; i++) {
		if (b.rx[i] != a.rx[i]) {
			changed++;
			fate = b.rx[i] == a.rx[i] + 1 ? (int)i : -1;
		}
	}
	CHECKF(b.rx_frames == a.rx_frames + 1, "rx_frames %lu -> %lu", (unsigned long)a.rx_frames,
	       (unsigned long)b.rx_frames);
	CHECKF(sum_fates(&b) == b.rx_frames, "fates %lu != frames %lu",
	       (unsigned long)sum_fates(&b), (unsigned long)b.rx_frames);
	check_sent_ok();
	return changed == 1 ? fate : -1;
}

static int inject(const struct pkt *p)
{
	return inject_dev(eth0, p);
}

static const char *fate_name(int f)
{
	return f < 0 ? "(not exactly one)" : net_rx_name((enum net_rx_fate)f, NULL);
}

#define CHECK_FATE(p, want)							\
	do {									\
		int f_ = inject(p);						\
		CHECKF(f_ == (want), "fate %s, expected %s", fate_name(f_),	\
		       fate_name(want));					\
	} while (0)

static uint64_t tx_count(enum net_tx_counter c)
{
	struct net_stats st;

	net_get_stats(&st);
	return st.tx[c];
}

/* A fresh stack with eth0 = 10.0.2.15/24, gateway 10.0.2.2 (whose MAC it knows, unless
 * @learn_gw is false), and nothing recorded. */
static void setup(bool learn_gw)
{
	struct pkt p;

	net_reset();
	fake_net_reset();
	fake_printk_quiet = true;
	eth0 = fake_netdev_add("eth0", MAC_US);
	CHECK(net_config_cmdline("ip=10.0.2.15/24 gw=10.0.2.2") == 1);
	net_poll();
	if (learn_gw) {
		arp_pkt(&p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US);	/* the gateway asks for us */
		CHECK(inject(&p) == NET_RX_arp_request);
	}
	fake_sent_clear();
}

static void teardown(void)
{
	net_reset();
	CHECKF(fake_nb_live == 0, "%ld netbufs leaked", fake_nb_live);
	fake_sent_clear();
}

/* A ping from @src of @n bytes is answered: one echo reply, to @mac, payload intact. */
static void check_ping_answered(uint32_t src, const uint8_t *mac, uint32_t n)
{
	struct pkt p;
	const struct fake_sent *s;

	fake_sent_clear();
	echo_req(&p, src, 0x4242, 7, n, NULL);
	CHECK_FATE(&p, NET_RX_icmp_echo);
	CHECKF(fake_nsent == 1, "%u frames sent", fake_nsent);
	if (fake_nsent != 1)
		return;
	s = &fake_sent[0];
	CHECK(!memcmp(s->data, mac, 6));
	CHECK(r16(s->data + 12) == 0x0800 && s->data[23] == 1);
	CHECK(r32(s->data + 30) == src);
	CHECK(r16(s->data + 16) == 20 + 8 + n);
	CHECK(s->data[34] == 0 && s->data[35] == 0);		/* echo reply, code 0 */
	CHECK(r16(s->data + 38) == 0x4242 && r16(s->data + 40) == 7);
	CHECK(!memcmp(s->data + 42, p.b + 42, n));		/* payload intact */
	fake_sent_clear();
}

/* ---- cases: set-up ----------------------------------------------------------------------- */

static void test_config_and_announce(void)
{
	struct net_if_config c;
	const struct fake_sent *s;

	net_reset();
	fake_net_reset();
	fake_printk_quiet = true;
	eth0 = fake_netdev_add("eth0", MAC_US);
	CHECK(net_config_cmdline("console=ttyS0 ip=10.0.2.15/24 gw=10.0.2.2 x") == 1);
	CHECK(net_if_get_config(eth0, &c) == -ENOENT);	/* not attached before a poll */
	net_poll();
	CHECK(net_if_get_config(eth0, &c) == 0);
	CHECK(c.addr == US && c.prefix == 24 && c.gw == GW);
	CHECKF(fake_nsent == 1, "%u sent", fake_nsent);	/* the gratuitous ARP */
	if (fake_nsent == 1) {
		s = &fake_sent[0];
		CHECK(!memcmp(s->data, MAC_BC, 6) && r16(s->data + 12) == 0x0806);
		CHECK(r16(s->data + 20) == 1);			/* a request ... */
		CHECK(r32(s->data + 28) == US && r32(s->data + 38) == US);	/* ... for us */
	}
	check_sent_ok();
	CHECK(tx_count(NET_arp_tx_gratuitous) == 1);
	teardown();
}

static void test_cmdline_values(void)
{
	static const char *const bad[] = {
		"ip=10.0.2.15/0", "ip=10.0.2.15/33", "ip=256.0.2.15/24", "ip=10.0.2/24",
		"ip=10.0.2.15.1/24", "ip=10.0.2.15/24 gw=10.0.3.1", "ip=10.0.2.15/24 gw=10.0.2.15",
		"ip=10.0.2.0/24", "ip=10.0.2.255/24", "ip=127.0.0.1/8", "ip=224.0.0.1/24",
		"ip=0.0.0.0/24", "ip=10.0.2.15/24 gw=10.0.2.255", "ip=10.0.2.15/x", "ip=1.2.3.4a/8",
		"ip=10.0.2.15/24 gw=1.2.3",
	};
	struct net_if_config c;
	uint32_t a;
	unsigned int pfx;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		net_reset();
		fake_net_reset();
		fake_printk_quiet = true;
		eth0 = fake_netdev_add("eth0", MAC_US);
		CHECKF(net_config_cmdline(bad[i]) == -EINVAL, "%s accepted", bad[i]);
		net_poll();
		CHECKF(net_if_get_config(eth0, &c) == -ENOENT, "%s configured", bad[i]);
		CHECK(fake_nsent == 0);
		teardown();
	}
	CHECK(ip_parse_cidr("192.168.1.7", &a, &pfx) == 0 && a == IP4(192, 168, 1, 7) && pfx == 32);
	CHECK(ip_parse_cidr("10.1.2.3/8", &a, &pfx) == 0 && a == IP4(10, 1, 2, 3) && pfx == 8);
	CHECK(ip_parse_addr("0255.1.1.1", &a) == -EINVAL);
	CHECK(ip_parse_addr("1.1.1.1 ", &a) == -EINVAL);
	CHECK(ip_parse_addr("", &a) == -EINVAL);
}

/* ---- cases: the normal path -------------------------------------------------------------- */

static void test_ping_answered_sizes(void)
{
	static const uint32_t sizes[] = { 0, 1, 55, 56, 57, 1000, 1471, 1472 };
	struct pkt p;

	setup(true);
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		check_ping_answered(GW, MAC_GW, sizes[i]);
	/* 1473 bytes of payload: 1501 bytes of IP, over the MTU. */
	echo_req(&p, GW, 1, 1, 1473, NULL);
	CHECK_FATE(&p, NET_RX_ip_oversize);
	CHECK(fake_nsent == 0);
	CHECK(tx_count(NET_icmp_tx_echo_reply) == sizeof(sizes) / sizeof(sizes[0]));
	teardown();
}

static void test_ping_unknown_sender_waits_for_arp(void)
{
	struct pkt p;
	uint8_t want[1500];

	setup(false);
	echo_req(&p, H9, 9, 1, 100, NULL);
	memcpy(want, p.b + 42, 100);
	CHECK_FATE(&p, NET_RX_icmp_echo);
	/* The reply waits; what went out is a broadcast ARP request for the sender. */
	CHECKF(fake_nsent == 1, "%u sent", fake_nsent);
	if (fake_nsent == 1) {
		CHECK(!memcmp(fake_sent[0].data, MAC_BC, 6));
		CHECK(r16(fake_sent[0].data + 12) == 0x0806 && r16(fake_sent[0].data + 20) == 1);
		CHECK(r32(fake_sent[0].data + 38) == H9);
	}
	fake_sent_clear();
	arp_pkt(&p, MAC_US, 2, MAC_H9, H9, MAC_US, US);
	CHECK_FATE(&p, NET_RX_arp_reply);
	CHECKF(fake_nsent == 1, "%u sent", fake_nsent);	/* the echo reply, now */
	if (fake_nsent == 1) {
		CHECK(!memcmp(fake_sent[0].data, MAC_H9, 6));
		CHECK(fake_sent[0].data[34] == 0 && !memcmp(fake_sent[0].data + 42, want, 100));
	}
	teardown();
}

/* ---- cases: hostile frames --------------------------------------------------------------- */

struct hostile {
	const char *what;		/* for the failure message */
	void (*build)(struct pkt *p);	/* the frame */
	enum net_rx_fate fate;		/* where it must be counted */
	unsigned int replies;		/* frames it may cause (ICMP errors) */
};

static void h_len0(struct pkt *p) { p->len = 0; }
static void h_len1(struct pkt *p) { p->len = 1; p->b[0] = 0xff; }
static void h_len13(struct pkt *p) { eth_hdr(p, MAC_US, MAC_GW, 0x0800); p->len = 13; }
static void h_eth_only(struct pkt *p) { eth_hdr(p, MAC_US, MAC_GW, 0x0800); }
static void h_other_mac(struct pkt *p) { echo_req(p, GW, 1, 1, 8, NULL); p->b[5] ^= 1; }
static void h_multicast(struct pkt *p)
{
	static const uint8_t mc[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

	echo_req(p, GW, 1, 1, 8, NULL);
	memcpy(p->b, mc, 6);
}
static void h_ipv6(struct pkt *p) { echo_req(p, GW, 1, 1, 8, NULL); w16(p->b + 12, 0x86dd); }
static void h_vlan(struct pkt *p) { echo_req(p, GW, 1, 1, 8, NULL); w16(p->b + 12, 0x8100); }
static void h_ip_short(struct pkt *p) { echo_req(p, GW, 1, 1, 8, NULL); p->len = 14 + 19; }
static void h_ip_v6(struct pkt *p) { echo_req(p, GW, 1, 1, 8, &(struct ipopt){ .version = 6 }); }
static void h_ihl4(struct pkt *p) { echo_req(p, GW, 1, 1, 8, &(struct ipopt){ .ihl = 4 }); }
static void h_ihl0(struct pkt *p) { echo_req(p, GW, 1, 1, 8, NULL); p->b[14] = 0x40; }
static void h_ihl_beyond(struct pkt *p)
{
	echo_req(p, GW, 1, 1, 0, NULL);			/* 28 bytes of IP ... */
	p->b[14] = 0x4f;				/* ... claiming 60 of header */
}
static void h_tot_beyond(struct pkt *p)
{
	echo_req(p, GW, 1, 1, 8, &(struct ipopt){ .tot_delta = 1 });
}
static void h_tot_short(struct pkt *p)
{
	echo_req(p, GW, 1, 1, 8, &(struct ipopt){ .tot_delta = -17 });	/* 19 < IHL */
}
static void h_tot_ffff(struct pkt *p)
{
	echo_req(p, GW, 1, 1, 8, NULL);
	w16(p->b + 16, 0xffff);
	w16(p->b + 24, 0);
	w16(p->b + 24, csum(p->b + 14, 20, 0));
}
static void h_ip_csum(struct pkt *p) { echo_req(p, GW, 1, 1, 8, &(struct ipopt){ .bad_csum = 1 }); }
static void h_mf(struct pkt *p) { echo_req(p, GW, 1, 1, 8, &(struct ipopt){ .frag = 0x2000 }); }
static void h_off(struct pkt *p) { echo_req(p, GW, 1, 1, 8, &(struct ipopt){ .frag = 0x00b9 }); }
static void h_ttl0(struct pkt *p) { echo_req(p, GW, 1, 1, 8, &(struct ipopt){ .ttl = -1 }); }
static void h_src0(struct pkt *p) { echo_req(p, 0, 1, 1, 8, NULL); }
static void h_src_bc(struct pkt *p) { echo_req(p, 0xffffffff, 1, 1, 8, NULL); }
static void h_src_netbc(struct pkt *p) { echo_req(p, BCAST_NET, 1, 1, 8, NULL); }
static void h_src_mc(struct pkt *p) { echo_req(p, IP4(224, 0, 0, 1), 1, 1, 8, NULL); }
static void h_src_lo(struct pkt *p) { echo_req(p, IP4(127, 0, 0, 1), 1, 1, 8, NULL); }
static void h_src_us(struct pkt *p) { echo_req(p, US, 1, 1, 8, NULL); }
static void h_dst_other(struct pkt *p)
{
	uint8_t m[64];

	ip_pkt(p, GW, IP4(10, 0, 2, 99), 1, m, icmp_msg(m, 8, 1, 1, Z, 0), NULL);
}
static void h_dst_mc(struct pkt *p)
{
	uint8_t m[64];

	ip_pkt(p, GW, IP4(224, 0, 0, 251), 17, m, udp_msg(m, GW, IP4(224, 0, 0, 251), 5353,
							 5353, Z, 0, 0), NULL);
}
static void h_tcp(struct pkt *p)
{
	uint8_t m[20] = { 0 };

	ip_pkt(p, GW, US, 6, m, 20, NULL);
}
static void h_icmp_short(struct pkt *p)
{
	uint8_t m[4] = { 8, 0, 0xf7, 0xff };

	ip_pkt(p, GW, US, 1, m, 4, NULL);
}
static void h_icmp_csum(struct pkt *p) { echo_req(p, GW, 1, 1, 8, NULL); p->b[36] ^= 0x10; }
static void h_icmp_bcast(struct pkt *p)
{
	uint8_t m[64];

	ip_pkt(p, GW, BCAST_NET, 1, m, icmp_msg(m, 8, 1, 1, Z, 8), NULL);
	memcpy(p->b, MAC_BC, 6);
}
static void h_icmp_bcast_all(struct pkt *p)
{
	uint8_t m[64];

	ip_pkt(p, GW, 0xffffffff, 1, m, icmp_msg(m, 8, 1, 1, Z, 8), NULL);
	memcpy(p->b, MAC_BC, 6);
}
static void h_stray_reply(struct pkt *p)
{
	uint8_t m[64];

	ip_pkt(p, GW, US, 1, m, icmp_msg(m, 0, 77, 1, Z, 8), NULL);
}
static void h_unreach(struct pkt *p)
{
	uint8_t m[64];

	ip_pkt(p, GW, US, 1, m, icmp_msg(m, 3, 0, 0, Z, 28), NULL);
}
static void h_udp_short(struct pkt *p)
{
	uint8_t m[7] = { 0, 1, 0, 7, 0, 7, 0 };

	ip_pkt(p, GW, US, 17, m, 7, NULL);
}
static void h_udp_len_big(struct pkt *p)
{
	uint8_t m[64], d[16] = { 1 };
	uint32_t n = udp_msg(m, GW, US, 1000, 7, d, 16, 1);

	w16(m + 4, (uint16_t)(n + 1));			/* one byte more than the datagram */
	ip_pkt(p, GW, US, 17, m, n, NULL);
}
static void h_udp_len_small(struct pkt *p)
{
	uint8_t m[64], d[16] = { 1 };
	uint32_t n = udp_msg(m, GW, US, 1000, 7, d, 16, 1);

	w16(m + 4, 7);
	ip_pkt(p, GW, US, 17, m, n, NULL);
}
static void h_udp_len_ffff(struct pkt *p)
{
	uint8_t m[64], d[16] = { 1 };
	uint32_t n = udp_msg(m, GW, US, 1000, 7, d, 16, 1);

	w16(m + 4, 0xffff);
	ip_pkt(p, GW, US, 17, m, n, NULL);
}
static void h_udp_csum(struct pkt *p)
{
	uint8_t m[64], d[16] = { 1, 2, 3 };

	ip_pkt(p, GW, US, 17, m, udp_msg(m, GW, US, 1000, 7, d, 16, 2), NULL);
}
static void h_udp_csum_ffff(struct pkt *p)	/* a wrong checksum of all ones (not "none") */
{
	uint8_t m[64], d[16] = { 1, 2, 3 };
	uint32_t n = udp_msg(m, GW, US, 1000, 7, d, 16, 0);

	w16(m + 6, r16(m + 6) == 0xffff ? 0xfffe : 0xffff);
	ip_pkt(p, GW, US, 17, m, n, NULL);
}
static void h_udp_no_port(struct pkt *p)
{
	uint8_t m[64], d[16] = { 1 };

	ip_pkt(p, GW, US, 17, m, udp_msg(m, GW, US, 1000, 4444, d, 16, 0), NULL);
}
static void h_arp_short(struct pkt *p)
{
	arp_pkt(p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US);
	p->len = 14 + 27;
}
static void h_arp_htype(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US); p->b[15] = 6; }
static void h_arp_ptype(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US); p->b[16] = 0x86; }
static void h_arp_hlen(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US); p->b[18] = 8; }
static void h_arp_plen(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US); p->b[19] = 16; }
static void h_arp_op(struct pkt *p) { arp_pkt(p, MAC_BC, 3, MAC_GW, GW, MAC_ZERO, US); }
static void h_arp_sha_mc(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_BC, GW, MAC_ZERO, US); }
static void h_arp_sha_zero(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_ZERO, GW, MAC_ZERO, US); }
static void h_arp_spa_bc(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_H9, BCAST_NET, MAC_ZERO, US); }
static void h_arp_spa_mc(struct pkt *p)
{
	arp_pkt(p, MAC_BC, 1, MAC_H9, IP4(239, 1, 1, 1), MAC_ZERO, US);
}
static void h_arp_spa0_other(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_H9, 0, MAC_ZERO, H9); }
static void h_arp_probe_mc(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_BC, 0, MAC_ZERO, US); }
static void h_arp_conflict(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_H9, US, MAC_ZERO, GW); }
static void h_arp_other(struct pkt *p) { arp_pkt(p, MAC_BC, 1, MAC_H9, H9, MAC_ZERO, GW); }
static void h_arp_unsolicited(struct pkt *p) { arp_pkt(p, MAC_US, 2, MAC_H9, H9, MAC_US, US); }

static const struct hostile hostile[] = {
	{ "empty frame", h_len0, NET_RX_eth_short, 0 },
	{ "1-byte frame", h_len1, NET_RX_eth_short, 0 },
	{ "13-byte frame", h_len13, NET_RX_eth_short, 0 },
	{ "another host's MAC", h_other_mac, NET_RX_eth_not_us, 0 },
	{ "multicast MAC", h_multicast, NET_RX_eth_not_us, 0 },
	{ "IPv6 ethertype", h_ipv6, NET_RX_eth_unknown_type, 0 },
	{ "VLAN tag", h_vlan, NET_RX_eth_unknown_type, 0 },
	{ "Ethernet header only", h_eth_only, NET_RX_ip_short, 0 },
	{ "19 bytes of IP", h_ip_short, NET_RX_ip_short, 0 },
	{ "IP version 6 in an IPv4 frame", h_ip_v6, NET_RX_ip_bad_version, 0 },
	{ "IHL 4", h_ihl4, NET_RX_ip_bad_ihl, 0 },
	{ "IHL 0", h_ihl0, NET_RX_ip_bad_ihl, 0 },
	{ "IHL beyond the frame", h_ihl_beyond, NET_RX_ip_bad_ihl, 0 },
	{ "total length > frame", h_tot_beyond, NET_RX_ip_bad_len, 0 },
	{ "total length < IHL", h_tot_short, NET_RX_ip_bad_len, 0 },
	{ "total length 65535", h_tot_ffff, NET_RX_ip_bad_len, 0 },
	{ "bad IP checksum", h_ip_csum, NET_RX_ip_bad_csum, 0 },
	{ "first fragment (MF)", h_mf, NET_RX_ip_fragment, 0 },
	{ "later fragment (offset)", h_off, NET_RX_ip_fragment, 0 },
	{ "TTL 0", h_ttl0, NET_RX_ip_ttl_zero, 0 },
	{ "source 0.0.0.0", h_src0, NET_RX_ip_bad_src, 0 },
	{ "source 255.255.255.255", h_src_bc, NET_RX_ip_bad_src, 0 },
	{ "source subnet broadcast", h_src_netbc, NET_RX_ip_bad_src, 0 },
	{ "source multicast", h_src_mc, NET_RX_ip_bad_src, 0 },
	{ "source loopback", h_src_lo, NET_RX_ip_bad_src, 0 },
	{ "source our own address", h_src_us, NET_RX_ip_bad_src, 0 },
	{ "destination another host", h_dst_other, NET_RX_ip_not_us, 0 },
	{ "destination multicast", h_dst_mc, NET_RX_ip_not_us, 0 },
	{ "TCP", h_tcp, NET_RX_ip_unknown_proto, 0 },
	{ "ICMP of 4 bytes", h_icmp_short, NET_RX_icmp_short, 0 },
	{ "bad ICMP checksum", h_icmp_csum, NET_RX_icmp_bad_csum, 0 },
	{ "echo request to the subnet broadcast", h_icmp_bcast, NET_RX_icmp_echo_bcast, 0 },
	{ "echo request to 255.255.255.255", h_icmp_bcast_all, NET_RX_icmp_echo_bcast, 0 },
	{ "echo reply nobody asked for", h_stray_reply, NET_RX_icmp_stray_reply, 0 },
	{ "destination unreachable", h_unreach, NET_RX_icmp_other, 0 },
	{ "UDP of 7 bytes", h_udp_short, NET_RX_udp_short, 0 },
	{ "UDP length > IP payload", h_udp_len_big, NET_RX_udp_bad_len, 0 },
	{ "UDP length < 8", h_udp_len_small, NET_RX_udp_bad_len, 0 },
	{ "UDP length 65535", h_udp_len_ffff, NET_RX_udp_bad_len, 0 },
	{ "bad UDP checksum", h_udp_csum, NET_RX_udp_bad_csum, 0 },
	{ "UDP checksum 0xffff, wrong", h_udp_csum_ffff, NET_RX_udp_bad_csum, 0 },
	{ "UDP to a closed port", h_udp_no_port, NET_RX_udp_no_port, 1 },
	{ "ARP of 27 bytes", h_arp_short, NET_RX_arp_malformed, 0 },
	{ "ARP hardware type 6", h_arp_htype, NET_RX_arp_malformed, 0 },
	{ "ARP protocol type IPv6", h_arp_ptype, NET_RX_arp_malformed, 0 },
	{ "ARP hardware length 8", h_arp_hlen, NET_RX_arp_malformed, 0 },
	{ "ARP protocol length 16", h_arp_plen, NET_RX_arp_malformed, 0 },
	{ "ARP op 3", h_arp_op, NET_RX_arp_bad_op, 0 },
	{ "ARP sender MAC broadcast", h_arp_sha_mc, NET_RX_arp_bad_sender, 0 },
	{ "ARP sender MAC zero", h_arp_sha_zero, NET_RX_arp_bad_sender, 0 },
	{ "ARP sender IP subnet broadcast", h_arp_spa_bc, NET_RX_arp_bad_sender, 0 },
	{ "ARP sender IP multicast", h_arp_spa_mc, NET_RX_arp_bad_sender, 0 },
	{ "ARP probe for someone else", h_arp_spa0_other, NET_RX_arp_bad_sender, 0 },
	{ "ARP probe for us from a broadcast MAC", h_arp_probe_mc, NET_RX_arp_bad_sender, 0 },
	{ "ARP: someone claims our address", h_arp_conflict, NET_RX_arp_conflict, 0 },
	{ "ARP request for another host", h_arp_other, NET_RX_arp_not_for_us, 0 },
	{ "ARP reply nobody asked for", h_arp_unsolicited, NET_RX_arp_unsolicited, 0 },
};

static void test_hostile_frames(void)
{
	setup(true);
	for (unsigned int i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		const struct hostile *h = &hostile[i];
		struct pkt p;
		int f;

		memset(&p, 0, sizeof(p));
		h->build(&p);
		fake_sent_clear();
		f = inject(&p);
		CHECKF(f == (int)h->fate, "%s: fate %s, expected %s", h->what, fate_name(f),
		       fate_name(h->fate));
		CHECKF(fake_nsent == h->replies, "%s: %u frames sent", h->what, fake_nsent);
		CHECKF(fake_nb_live == 0, "%s: %ld netbufs held", h->what, fake_nb_live);
		CHECKF(arp_cache_count(eth0) == 1, "%s: ARP cache holds %u", h->what,
		       arp_cache_count(eth0));
	}
	/* Then the stack still answers. */
	check_ping_answered(GW, MAC_GW, 56);
	teardown();
}

/* The port-unreachable answer quotes the offending header + 8 bytes. */
static void test_port_unreachable(void)
{
	struct pkt p;

	setup(true);
	h_udp_no_port(&p);
	CHECK_FATE(&p, NET_RX_udp_no_port);
	CHECKF(fake_nsent == 1, "%u sent", fake_nsent);
	if (fake_nsent == 1) {
		const uint8_t *s = fake_sent[0].data;

		CHECK(r32(s + 30) == GW && s[23] == 1);
		CHECK(s[34] == 3 && s[35] == 3);
		CHECK(r16(s + 16) == 20 + 8 + 28);
		CHECK(!memcmp(s + 42, p.b + 14, 28));
	}
	/* At most ICMP_ERRORS_PER_SEC a second, then counted. */
	fake_sent_clear();
	for (unsigned int i = 0; i < 300; i++)
		CHECK_FATE(&p, NET_RX_udp_no_port);
	CHECKF(fake_nsent == 99, "%u sent", fake_nsent);
	CHECK(tx_count(NET_icmp_unreach_limited) == 201);
	fake_now_ns += SEC;
	CHECK_FATE(&p, NET_RX_udp_no_port);
	CHECK(fake_nsent == 100);
	teardown();
}

static void test_ip_options_and_padding(void)
{
	struct pkt p;
	struct udp_sock *s;
	uint8_t m[64], d[5] = { 9, 8, 7, 6, 5 }, buf[16];
	size_t len;
	struct udp_meta meta;

	setup(true);
	CHECK(udp_bind(5000, NULL, NULL, &s) == 0);
	ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 1234, 5000, d, 5, 0),
	       &(struct ipopt){ .ihl = 15, .pad = 0 });
	CHECK_FATE(&p, NET_RX_udp_delivered);
	CHECK(tx_count(NET_ip_options_skipped) == 1);
	ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 1234, 5000, d, 5, 0),
	       &(struct ipopt){ .pad = 13 });		/* Ethernet padding after the datagram */
	CHECK_FATE(&p, NET_RX_udp_delivered);
	ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 1234, 5000, d, 5, 1), NULL);	/* no csum */
	CHECK_FATE(&p, NET_RX_udp_delivered);
	/* UDP length shorter than the IP payload: the rest is ignored. */
	ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 1234, 5000, d, 5, 1), NULL);
	w16(p.b + 34 + 4, 8 + 3);
	CHECK_FATE(&p, NET_RX_udp_delivered);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK(udp_recvfrom(s, buf, sizeof(buf), &len, &meta) == 0);
		CHECK(len == (i == 3 ? 3u : 5u) && !memcmp(buf, d, len));
		CHECK(meta.src == GW && meta.sport == 1234 && meta.dport == 5000 && !meta.broadcast);
	}
	CHECK(udp_recvfrom(s, buf, sizeof(buf), &len, &meta) == -EAGAIN);
	teardown();
}

/* ---- cases: ARP -------------------------------------------------------------------------- */

static void test_arp_request_answered_and_learned(void)
{
	struct pkt p;
	uint8_t mac[6];

	setup(false);
	CHECK(arp_lookup(eth0, H9, mac) == -ENOENT);
	arp_pkt(&p, MAC_BC, 1, MAC_H9, H9, MAC_ZERO, US);
	CHECK_FATE(&p, NET_RX_arp_request);
	CHECK(fake_nsent == 1);
	if (fake_nsent == 1) {
		const uint8_t *s = fake_sent[0].data;

		CHECK(!memcmp(s, MAC_H9, 6) && r16(s + 20) == 2);
		CHECK(!memcmp(s + 22, MAC_US, 6) && r32(s + 28) == US);
		CHECK(!memcmp(s + 32, MAC_H9, 6) && r32(s + 38) == H9);
	}
	CHECK(arp_lookup(eth0, H9, mac) == 0 && !memcmp(mac, MAC_H9, 6));
	/* A gratuitous ARP moves it (merge); for an unknown host it teaches nothing. */
	arp_pkt(&p, MAC_BC, 1, MAC_GW, H9, MAC_ZERO, H9);
	CHECK_FATE(&p, NET_RX_arp_refreshed);
	CHECK(arp_lookup(eth0, H9, mac) == 0 && !memcmp(mac, MAC_GW, 6));
	arp_pkt(&p, MAC_BC, 1, MAC_GW, IP4(10, 0, 2, 77), MAC_ZERO, IP4(10, 0, 2, 77));
	CHECK_FATE(&p, NET_RX_arp_not_for_us);
	CHECK(arp_cache_count(eth0) == 1);
	/* An ARP probe (sender 0.0.0.0) for our address is answered, nothing learned. */
	fake_sent_clear();
	arp_pkt(&p, MAC_BC, 1, MAC_GW, 0, MAC_ZERO, US);
	CHECK_FATE(&p, NET_RX_arp_request);
	CHECK(fake_nsent == 1 && arp_cache_count(eth0) == 1);
	teardown();
}

static void test_arp_storm_bounded(void)
{
	struct pkt p;
	uint8_t mac[6] = { 0x52, 0x55, 0, 0, 0, 0 };
	struct net_stats st;
	uint64_t replies;

	setup(true);
	replies = tx_count(NET_arp_tx_reply);
	/* 10000 requests for us from 200 senders in turn: answered, cache stays bounded, the
	 * least recently confirmed entry goes first (so none of the 200 is ever found). */
	for (unsigned int i = 0; i < 10000; i++) {
		uint32_t ip = IP4(10, 0, 2, 16 + i % 200);

		mac[3] = (uint8_t)(i >> 16);
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		arp_pkt(&p, MAC_BC, 1, mac, ip, MAC_ZERO, US);
		fake_now_ns += 1000;
		CHECK_FATE(&p, NET_RX_arp_request);
		CHECKF(arp_cache_count(eth0) <= ARP_CACHE_MAX, "%u entries",
		       arp_cache_count(eth0));
		fake_sent_clear();
	}
	CHECK(arp_cache_count(eth0) == ARP_CACHE_MAX);
	net_get_stats(&st);
	CHECKF(st.tx[NET_arp_evicted] == 10000 - (ARP_CACHE_MAX - 1), "%lu evicted",
	       (unsigned long)st.tx[NET_arp_evicted]);
	CHECK(st.tx[NET_arp_tx_reply] - replies == 10000);
	/* 10000 requests and replies about other hosts: nothing is learned or kept. */
	arp_flush(eth0);
	for (unsigned int i = 0; i < 10000; i++) {
		uint32_t ip = IP4(10, 0, 2, 16 + i % 200);

		mac[5] = (uint8_t)i;
		arp_pkt(&p, MAC_BC, i & 1 ? 2 : 1, mac, ip, MAC_ZERO, IP4(10, 0, 2, 250));
		CHECK_FATE(&p, NET_RX_arp_not_for_us);
	}
	CHECK(arp_cache_count(eth0) == 0);
	CHECK(fake_nsent == 0);
	CHECK(fake_nb_live == 0);
	/* The stack still answers (and learns the gateway again). */
	arp_pkt(&p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US);
	CHECK_FATE(&p, NET_RX_arp_request);
	check_ping_answered(GW, MAC_GW, 56);
	teardown();
}

static void test_arp_pending_queue_bounded(void)
{
	struct udp_sock *s;
	struct pkt p;
	uint8_t d[4] = { 1, 2, 3, 4 };

	setup(false);
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);
	for (unsigned int i = 0; i < ARP_PENDING_MAX; i++) {
		d[0] = (uint8_t)i;
		CHECK(udp_sendto(s, H9, 9, d, sizeof(d)) == 0);
	}
	CHECK(fake_nsent == 1);				/* one request, not one per frame */
	CHECK(udp_sendto(s, H9, 9, d, sizeof(d)) == -ENOBUFS);
	CHECK(tx_count(NET_arp_queue_drop) == 1);
	CHECK(fake_nb_live == ARP_PENDING_MAX);
	fake_sent_clear();
	arp_pkt(&p, MAC_US, 2, MAC_H9, H9, MAC_US, US);
	CHECK_FATE(&p, NET_RX_arp_reply);
	CHECKF(fake_nsent == ARP_PENDING_MAX, "%u sent", fake_nsent);
	for (unsigned int i = 0; i < fake_nsent; i++) {
		CHECK(!memcmp(fake_sent[i].data, MAC_H9, 6));
		CHECK(fake_sent[i].data[42] == i);		/* in order */
	}
	CHECK(fake_nb_live == 0);
	teardown();
}

static void test_arp_incomplete_bounded(void)
{
	struct udp_sock *s;
	uint8_t d[4] = { 0 };

	setup(false);
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);
	for (unsigned int i = 0; i < ARP_INCOMPLETE_MAX; i++)
		CHECK(udp_sendto(s, IP4(10, 0, 2, 100 + i), 9, d, 4) == 0);
	CHECK(udp_sendto(s, IP4(10, 0, 2, 200), 9, d, 4) == -ENOBUFS);
	CHECK(tx_count(NET_arp_incomplete_full) == 1);
	CHECK(arp_cache_count(eth0) == ARP_INCOMPLETE_MAX);
	CHECK(fake_nb_live == ARP_INCOMPLETE_MAX);
	teardown();
}

static void test_arp_retry_and_failure(void)
{
	struct udp_sock *s;
	uint8_t d[4] = { 0 }, mac[6];
	struct pkt p;

	setup(false);
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);
	CHECK(udp_sendto(s, H9, 9, d, 4) == 0);
	CHECK(fake_nsent == 1);
	CHECK(net_next_deadline() == UINT64_MAX);	/* nothing polled yet */
	net_poll();
	CHECK(net_next_deadline() == fake_now_ns + ARP_RETRY_NS);
	fake_now_ns += ARP_RETRY_NS - 1;
	net_poll();
	CHECK(fake_nsent == 1);				/* not yet */
	fake_now_ns += 1;
	net_poll();
	CHECK(fake_nsent == 2);				/* second request */
	fake_now_ns += ARP_RETRY_NS;
	net_poll();
	CHECK(fake_nsent == 3);				/* third */
	CHECK(fake_nb_live == 1);			/* the datagram still waits */
	fake_now_ns += ARP_RETRY_NS;
	net_poll();
	CHECK(fake_nsent == 3);				/* given up: no fourth */
	CHECK(fake_nb_live == 0);
	CHECK(tx_count(NET_arp_timeout) == 1 && tx_count(NET_arp_unresolved_drop) == 1);
	for (unsigned int i = 0; i < fake_nsent; i++)
		CHECK(r16(fake_sent[i].data + 12) == 0x0806 && r32(fake_sent[i].data + 38) == H9);
	/* Failed: sends fail fast, no new requests ... */
	CHECK(udp_sendto(s, H9, 9, d, 4) == -EHOSTUNREACH);
	CHECK(fake_nsent == 3 && fake_nb_live == 0);
	CHECK(arp_resolve(eth0, H9) == -EHOSTUNREACH);
	/* ... until ARP_FAILED_NS passed: then it asks again. */
	fake_now_ns += ARP_FAILED_NS;
	net_poll();
	CHECK(udp_sendto(s, H9, 9, d, 4) == 0);
	CHECK(fake_nsent == 4);
	/* A late reply resolves it and sends the datagram. */
	arp_pkt(&p, MAC_US, 2, MAC_H9, H9, MAC_US, US);
	CHECK_FATE(&p, NET_RX_arp_reply);
	CHECK(fake_nsent == 5 && arp_lookup(eth0, H9, mac) == 0);
	teardown();
}

static void test_arp_expiry_and_refresh(void)
{
	struct udp_sock *s;
	uint8_t d[4] = { 0 }, mac[6];
	struct pkt p;

	setup(true);					/* GW learned now */
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);
	fake_now_ns += ARP_REFRESH_NS - 1;
	CHECK(udp_sendto(s, GW, 9, d, 4) == 0);
	CHECK(fake_nsent == 1);				/* just the datagram */
	fake_now_ns += 1;
	CHECK(udp_sendto(s, GW, 9, d, 4) == 0);
	CHECKF(fake_nsent == 3, "%u sent", fake_nsent);	/* a unicast probe, then it */
	if (fake_nsent == 3) {
		CHECK(r16(fake_sent[1].data + 12) == 0x0806);
		CHECK(!memcmp(fake_sent[1].data, MAC_GW, 6));	/* asked directly */
		CHECK(r16(fake_sent[2].data + 12) == 0x0800);
	}
	CHECK(udp_sendto(s, GW, 9, d, 4) == 0);
	CHECK(fake_nsent == 4);				/* no second probe right away */
	/* Nobody answers: at ARP_REACHABLE_NS the entry is gone, polled or not. */
	fake_now_ns += ARP_REACHABLE_NS - ARP_REFRESH_NS - 1;
	CHECK(arp_lookup(eth0, GW, mac) == 0);
	fake_now_ns += 1;
	CHECK(arp_lookup(eth0, GW, mac) == -ENOENT);
	fake_sent_clear();
	CHECK(udp_sendto(s, GW, 9, d, 4) == 0);		/* waits for a broadcast request */
	CHECK(fake_nsent == 1 && !memcmp(fake_sent[0].data, MAC_BC, 6));
	CHECK(tx_count(NET_arp_expired) == 1 && arp_cache_count(eth0) == 1);
	/* An answer to the probe keeps an entry alive past the first expiry. */
	arp_pkt(&p, MAC_US, 2, MAC_GW, GW, MAC_US, US);
	CHECK_FATE(&p, NET_RX_arp_reply);
	fake_now_ns += ARP_REACHABLE_NS - 1;
	arp_pkt(&p, MAC_US, 2, MAC_GW, GW, MAC_US, US);
	CHECK_FATE(&p, NET_RX_arp_reply);
	fake_now_ns += ARP_REACHABLE_NS - 1;
	CHECK(arp_lookup(eth0, GW, mac) == 0);
	teardown();
}

/* ---- cases: UDP -------------------------------------------------------------------------- */

static void test_udp_send_checksum(void)
{
	struct udp_sock *s, *s2;
	uint8_t d[1472];

	setup(true);
	for (unsigned int i = 0; i < sizeof(d); i++)
		d[i] = (uint8_t)(i * 31 + 7);
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);
	CHECK(udp_local_port(s) >= 49152);
	CHECK(udp_bind(udp_local_port(s), NULL, NULL, &s2) == -EADDRINUSE);
	for (uint32_t n = 0; n <= 1472; n += n < 20 ? 1 : 97) {
		fake_sent_clear();
		CHECK(udp_sendto(s, GW, 7777, d, n) == 0);
		CHECKF(fake_nsent == 1, "n=%u: %u sent", n, fake_nsent);
		if (fake_nsent != 1)
			continue;
		check_sent_ok();			/* lengths and checksum */
		CHECK(fake_sent[0].csum == NETBUF_CSUM_NONE);
		CHECK(r16(fake_sent[0].data + 34) == udp_local_port(s));
		CHECK(r16(fake_sent[0].data + 36) == 7777);
		CHECK(!memcmp(fake_sent[0].data + 42, d, n));
	}
	/* A payload whose checksum computes to 0 goes out as 0xffff (0 means "none"). */
	{
		uint8_t z[2] = { 0, 0 }, u[10];
		uint16_t c;

		u[0] = (uint8_t)(udp_local_port(s) >> 8);
		u[1] = (uint8_t)udp_local_port(s);
		w16(u + 2, 7777);
		w16(u + 4, 10);
		w16(u + 6, 0);
		w16(u + 8, 0);
		c = (uint16_t)~csum(u, 10, pseudo(US, GW, 17, 10));	/* folded sum, d = 0 */
		w16(z, (uint16_t)(0xffff - c));		/* makes the folded sum 0xffff */
		fake_sent_clear();
		CHECK(udp_sendto(s, GW, 7777, z, 2) == 0 && fake_nsent == 1);
		CHECK(fake_nsent == 1 && r16(fake_sent[0].data + 40) == 0xffff);
		check_sent_ok();
	}
	CHECK(udp_sendto(s, GW, 7777, d, 1473) == -EMSGSIZE);
	CHECK(udp_sendto(s, GW, 0, d, 1) == -EINVAL);
	CHECK(udp_sendto(s, IP4(192, 168, 1, 1), 7, d, 1) == 0);	/* via the gateway */
	CHECK(!memcmp(fake_sent[fake_nsent - 1].data, MAC_GW, 6));
	CHECK(r32(fake_sent[fake_nsent - 1].data + 30) == IP4(192, 168, 1, 1));
	/* Checksum offload: the pseudo-header sum is left for the device. */
	eth0->features.csum = true;
	fake_sent_clear();
	CHECK(udp_sendto(s, GW, 7777, d, 333) == 0);
	CHECK(fake_nsent == 1 && fake_sent[0].csum == NETBUF_CSUM_PARTIAL);
	check_sent_ok();
	CHECK(tx_count(NET_tx_csum_offload) == 1);
	udp_close(s);
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);	/* slots come back */
	teardown();
}

static void test_udp_no_route(void)
{
	struct udp_sock *s;
	uint8_t d[1] = { 0 };

	net_reset();
	fake_net_reset();
	fake_printk_quiet = true;
	eth0 = fake_netdev_add("eth0", MAC_US);
	CHECK(net_config_cmdline("ip=10.0.2.15/24") == 1);	/* no gateway */
	net_poll();
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);
	CHECK(udp_sendto(s, IP4(8, 8, 8, 8), 53, d, 1) == -EHOSTUNREACH);
	CHECK(udp_sendto(s, IP4(224, 0, 0, 1), 53, d, 1) == -EHOSTUNREACH);
	CHECK(tx_count(NET_tx_no_route) == 2);
	teardown();
}

static void test_udp_receive_queue_and_csum_valid(void)
{
	struct udp_sock *s;
	struct pkt p;
	uint8_t m[64], d[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, buf[4];
	size_t len;
	struct netbuf *nb;

	setup(true);
	CHECK(udp_bind(6000, NULL, NULL, &s) == 0);
	ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 1, 6000, d, 8, 0), NULL);
	for (unsigned int i = 0; i < UDP_QUEUE_MAX; i++)
		CHECK_FATE(&p, NET_RX_udp_delivered);
	CHECK_FATE(&p, NET_RX_udp_queue_full);
	CHECK(udp_queued(s) == UDP_QUEUE_MAX && fake_nb_live == UDP_QUEUE_MAX);
	CHECK(udp_recvfrom(s, buf, sizeof(buf), &len, NULL) == -EMSGSIZE);	/* truncated */
	CHECK(len == 8 && !memcmp(buf, d, 4));
	CHECK(udp_queued(s) == UDP_QUEUE_MAX - 1);
	udp_close(s);
	CHECK(fake_nb_live == 0);
	/* A device that validated the checksum: a wrong one is not looked at again. */
	CHECK(udp_bind(6000, NULL, NULL, &s) == 0);
	ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 1, 6000, d, 8, 2), NULL);
	nb = fake_frame(p.b, p.len);
	nb->csum = NETBUF_CSUM_VALID;
	net_input(eth0, nb);
	CHECK(udp_queued(s) == 1);
	teardown();
}

static void test_services_echo_and_sink(void)
{
	struct pkt p;
	uint8_t m[1600], d[1472];
	struct net_service_stats ss;

	setup(true);
	CHECK(net_services_start() == 0);
	for (uint32_t n = 0; n <= 1472; n += 1 + n * 3) {
		for (uint32_t i = 0; i < n; i++)
			d[i] = (uint8_t)(n + i * 11);
		fake_sent_clear();
		ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 40000, 7, d, n, 0), NULL);
		CHECK_FATE(&p, NET_RX_udp_delivered);
		CHECKF(fake_nsent == 1, "n=%u: %u sent", n, fake_nsent);
		if (fake_nsent == 1) {
			const uint8_t *s = fake_sent[0].data;

			CHECK(!memcmp(s, MAC_GW, 6) && r32(s + 30) == GW);
			CHECK(r16(s + 34) == 7 && r16(s + 36) == 40000 && r16(s + 38) == 8 + n);
			CHECK(!memcmp(s + 42, d, n));
		}
	}
	/* Broadcasts, and datagrams from port 7 or 0, are not echoed. */
	fake_sent_clear();
	ip_pkt(&p, GW, BCAST_NET, 17, m, udp_msg(m, GW, BCAST_NET, 40000, 7, d, 10, 0), NULL);
	memcpy(p.b, MAC_BC, 6);
	CHECK_FATE(&p, NET_RX_udp_delivered);
	ip_pkt(&p, H9, US, 17, m, udp_msg(m, H9, US, 7, 7, d, 10, 0), NULL);
	CHECK_FATE(&p, NET_RX_udp_delivered);
	ip_pkt(&p, H9, US, 17, m, udp_msg(m, H9, US, 0, 7, d, 10, 0), NULL);
	CHECK_FATE(&p, NET_RX_udp_delivered);
	CHECK(fake_nsent == 0);
	/* The sink counts and answers nothing. */
	for (unsigned int i = 0; i < 10; i++) {
		ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 40000, 9, d, 100, 0), NULL);
		CHECK_FATE(&p, NET_RX_udp_delivered);
	}
	CHECK(fake_nsent == 0);
	net_services_get_stats(&ss);
	CHECK(ss.sink_datagrams == 10 && ss.sink_bytes == 1000);
	CHECK(ss.echo_errors == 3);
	teardown();
}

/* ---- cases: ping ------------------------------------------------------------------------- */

/* Answer the last echo request sent (as the peer would), maybe spoiling its payload. */
static void answer_last_request(bool spoil, bool twice)
{
	const struct fake_sent *s = &fake_sent[fake_nsent - 1];
	uint32_t n = r16(s->data + 16) - 20;
	struct pkt p;
	uint8_t m[1600];

	memcpy(m, s->data + 34, n);
	CHECK(m[0] == 8);
	m[0] = 0;
	if (spoil && n > 8)
		m[n - 1] ^= 0x80;
	w16(m + 2, 0);
	w16(m + 2, csum(m, n, 0));
	ip_pkt(&p, r32(s->data + 30), US, 1, m, n, NULL);
	CHECK_FATE(&p, NET_RX_icmp_reply);
	if (twice)
		CHECK_FATE(&p, NET_RX_icmp_reply);
}

static void test_ping_api(void)
{
	struct net_ping_result r;

	setup(true);
	CHECK(icmp_ping_start(GW, 5, 1473, SEC) == -EINVAL);
	CHECK(icmp_ping_start(IP4(8, 8, 4, 4), 0, 56, SEC) == -EINVAL);
	CHECK(icmp_ping_start(BCAST_NET, 1, 56, SEC) == -EINVAL);
	CHECK(icmp_ping_start(GW, 5, 1472, SEC) == 0);
	CHECK(icmp_ping_start(GW, 5, 56, SEC) == -EBUSY);
	CHECK(fake_nsent == 1 && !icmp_ping_done(&r) && r.sent == 1);
	{
		/* Someone else's reply with our sequence number: not ours. */
		uint8_t m[1600];
		uint32_t n = r16(fake_sent[0].data + 16) - 20;
		struct pkt p;

		memcpy(m, fake_sent[0].data + 34, n);
		m[0] = 0;
		m[5] ^= 1;				/* identifier */
		w16(m + 2, 0);
		w16(m + 2, csum(m, n, 0));
		ip_pkt(&p, GW, US, 1, m, n, NULL);
		CHECK_FATE(&p, NET_RX_icmp_stray_reply);
		m[5] ^= 1;
		w16(m + 2, 0);
		w16(m + 2, csum(m, n, 0));
		ip_pkt(&p, H9, US, 1, m, n, NULL);	/* ... or from another host */
		CHECK_FATE(&p, NET_RX_icmp_stray_reply);
		CHECK(!icmp_ping_done(&r) && r.received == 0);
	}
	fake_now_ns += 1000;
	answer_last_request(false, false);		/* 1: fine */
	CHECK(fake_nsent == 2);				/* the next goes at once */
	answer_last_request(true, false);		/* 2: payload spoiled */
	answer_last_request(false, true);		/* 3: duplicated */
	fake_now_ns += SEC;				/* 4: lost */
	net_poll();
	CHECK(fake_nsent == 5);
	answer_last_request(false, false);		/* 5: fine */
	CHECK(icmp_ping_done(&r));
	CHECK(r.sent == 5 && r.received == 3 && r.corrupt == 1 && r.duplicate == 1);
	CHECK(r.rtt_min_ns == 0 && r.rtt_max_ns == 1000 && r.error == 0);
	check_sent_ok();
	/* Unreachable: requests wait for ARP, and when it fails the ping stops with that. */
	CHECK(icmp_ping_start(IP4(10, 0, 2, 50), 10, 8, SEC) == 0);
	for (unsigned int i = 0; i < 6; i++) {
		fake_now_ns += ARP_RETRY_NS;
		net_poll();
	}
	CHECK(icmp_ping_done(&r) && r.received == 0 && r.error == -EHOSTUNREACH);
	CHECKF(r.sent == 4, "%u sent", r.sent);
	teardown();
}

/* ---- cases: the device is full ----------------------------------------------------------- */

static void test_backlog(void)
{
	struct udp_sock *s;
	uint8_t d[2];

	setup(true);
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);
	fake_tx_err = -EBUSY;
	for (unsigned int i = 0; i < 64; i++) {
		d[0] = (uint8_t)i;
		d[1] = (uint8_t)(i >> 8);
		CHECK(udp_sendto(s, GW, 9, d, 2) == 0);
	}
	CHECK(udp_sendto(s, GW, 9, d, 2) == -ENOBUFS);
	CHECK(tx_count(NET_tx_backlogged) == 64 && tx_count(NET_tx_backlog_drop) == 1);
	CHECK(fake_nb_live == 64 && fake_nsent == 0);
	CHECK(net_poll() == 0);				/* still busy */
	CHECK(net_next_deadline() <= fake_now_ns + 1000000);	/* but it will retry soon */
	fake_tx_err = 0;
	CHECK(net_poll() == 64);
	CHECK(fake_nsent == 64 && fake_nb_live == 0);
	for (unsigned int i = 0; i < fake_nsent; i++)
		CHECK(fake_sent[i].data[42] == (uint8_t)i);	/* in order */
	/* The next send after a recovery takes the backlog along, before itself. */
	fake_sent_clear();
	fake_tx_err = -EBUSY;
	for (unsigned int i = 0; i < 3; i++) {
		d[0] = (uint8_t)i;
		CHECK(udp_sendto(s, GW, 9, d, 2) == 0);
	}
	fake_tx_err = 0;
	d[0] = 3;
	CHECK(udp_sendto(s, GW, 9, d, 2) == 0);
	CHECK(fake_nsent == 4);
	for (unsigned int i = 0; i < fake_nsent; i++)
		CHECK(fake_sent[i].data[42] == (uint8_t)i);
	/* Other device errors: counted, the frame freed. */
	fake_tx_err = -ENETDOWN;
	CHECK(udp_sendto(s, GW, 9, d, 2) == -ENETDOWN);
	CHECK(tx_count(NET_tx_error) == 1 && fake_nb_live == 0);
	fake_tx_err = 0;
	/* Out of memory: counted, nothing held. */
	fake_nb_fail_after = 0;
	CHECK(udp_sendto(s, GW, 9, d, 2) == -ENOMEM);
	CHECK(tx_count(NET_tx_nomem) == 1);
	teardown();
}

/* ---- cases: interfaces ------------------------------------------------------------------- */

static void test_interfaces_come_and_go(void)
{
	static const uint8_t mac1[6] = { 0x52, 0x54, 0, 0, 0, 1 }, mac2[6] = { 0x52, 0x54, 0, 0, 0, 2 };
	struct net_if_config c;
	struct netdev *e1, *e2;
	struct udp_sock *s, *q;
	struct udp_meta meta;
	struct pkt p;
	uint8_t d[4] = { 0 }, m[64];
	size_t len;

	net_reset();
	fake_net_reset();
	fake_printk_quiet = true;
	e1 = fake_netdev_add("eth1", mac1);
	CHECK(net_config_cmdline("ip=10.0.2.15/24 gw=10.0.2.2 ip.eth1=10.0.3.2/24 "
				 "pvkit.ip.eth9=1.2.3.4/8") == 2);
	net_poll();
	CHECK(net_if_get_config(e1, &c) == 0 && c.addr == IP4(10, 0, 3, 2) && !c.gw);
	/* A device with neither its own configuration nor eth0's name, while eth0 is absent,
	 * takes the default. */
	e2 = fake_netdev_add("eth2", mac2);
	net_poll();
	CHECK(net_if_get_config(e2, &c) == 0 && c.addr == US);
	/* Unconfigured frames: the interface without an address drops them as no_addr. */
	eth0 = fake_netdev_add("eth3", MAC_US);
	net_poll();
	CHECK(net_if_get_config(eth0, &c) == -ENOENT);
	echo_req(&p, GW, 1, 1, 8, NULL);
	CHECK(inject_dev(eth0, &p) == NET_RX_no_addr);
	/* eth2 leaves with a frame waiting for ARP (freed, counted) and a datagram from it
	 * queued on a socket (kept, but it no longer names the departed device). */
	CHECK(udp_bind(0, NULL, NULL, &s) == 0);
	CHECK(udp_sendto(s, H9, 9, d, 4) == 0);
	CHECK(fake_nb_live == 1);
	CHECK(udp_bind(5000, NULL, NULL, &q) == 0);
	ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 1, 5000, d, 4, 0), NULL);
	memcpy(p.b, mac2, 6);
	CHECK(inject_dev(e2, &p) == NET_RX_udp_delivered);
	fake_netdev_remove(e2);
	net_poll();
	CHECK(fake_nb_live == 1 && tx_count(NET_arp_unresolved_drop) == 1);
	CHECK(udp_recvfrom(q, m, sizeof(m), &len, &meta) == 0 && len == 4 && !meta.dev);
	CHECK(fake_nb_live == 0);
	CHECK(net_if_get_config(eth0, &c) == -ENOENT);	/* named eth3: took nothing so far */
	fake_netdev_remove(eth0);
	net_poll();
	eth0 = fake_netdev_add("eth0", MAC_US);		/* a hot-plugged eth0 */
	net_poll();
	CHECK(net_if_get_config(eth0, &c) == 0 && c.addr == US && c.gw == GW);
	arp_pkt(&p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US);
	CHECK(inject(&p) == NET_RX_arp_request);
	check_ping_answered(GW, MAC_GW, 100);
	/* Carrier down and up again: a fresh announcement. */
	fake_sent_clear();
	eth0->carrier = false;
	net_poll();
	eth0->carrier = true;
	net_poll();
	CHECK(fake_nsent == 1 && r16(fake_sent[0].data + 12) == 0x0806);
	CHECK(tx_count(NET_arp_tx_gratuitous) >= 3);
	/* Down and up between two polls (netfront reconnecting after a resume): the stack never
	 * saw the carrier down, but netdev_set_carrier counted it coming up: announced again. */
	fake_sent_clear();
	eth0->carrier_ups++;
	net_poll();
	CHECK(fake_nsent == 1 && r16(fake_sent[0].data + 12) == 0x0806);
	fake_sent_clear();
	net_poll();
	CHECK(fake_nsent == 0);				/* once, not at every poll */
	teardown();
}

static void test_reset_frees_everything(void)
{
	struct udp_sock *s;
	struct pkt p;
	uint8_t m[64], d[4] = { 0 };

	setup(false);
	CHECK(udp_bind(5000, NULL, NULL, &s) == 0);
	ip_pkt(&p, GW, US, 17, m, udp_msg(m, GW, US, 1, 5000, d, 4, 0), NULL);
	CHECK_FATE(&p, NET_RX_udp_delivered);
	CHECK(udp_sendto(s, H9, 9, d, 4) == 0);
	fake_tx_err = -EBUSY;
	arp_pkt(&p, MAC_BC, 1, MAC_GW, GW, MAC_ZERO, US);
	CHECK_FATE(&p, NET_RX_arp_request);		/* its reply waits in the backlog */
	CHECK(fake_nb_live == 3);
	teardown();					/* net_reset(): nothing leaks */
}

UNIT_CASES(
	{ test_config_and_announce, "net: ip=/gw= configure eth0, gratuitous ARP on set-up" },
	{ test_cmdline_values, "net: malformed ip=/gw= values refused, nothing configured" },
	{ test_ping_answered_sizes, "icmp: echo answered to the sender, payload intact, 0-1472 bytes" },
	{ test_ping_unknown_sender_waits_for_arp, "icmp: reply to an unknown sender waits for ARP" },
	{ test_hostile_frames, "input: 57 kinds of hostile frames each dropped under one counter, ping still answered" },
	{ test_port_unreachable, "udp: closed port answered with ICMP port unreachable, rate-limited" },
	{ test_ip_options_and_padding, "ip: options skipped, padding and short UDP length cut off" },
	{ test_arp_request_answered_and_learned, "arp: requests for us answered and learned, merge, probes" },
	{ test_arp_storm_bounded, "arp: a storm of 20000 requests/replies keeps the cache bounded, memory flat" },
	{ test_arp_pending_queue_bounded, "arp: frames waiting per neighbour bounded, sent in order when resolved" },
	{ test_arp_incomplete_bounded, "arp: resolutions in progress bounded" },
	{ test_arp_retry_and_failure, "arp: 3 requests 1 s apart, then failed: frames dropped, sends fail fast for 3 s" },
	{ test_arp_expiry_and_refresh, "arp: entries refreshed (unicast) after 50 s of use, expire after 60 s" },
	{ test_udp_send_checksum, "udp: send 0-1472 bytes, checksums generated or left to the device" },
	{ test_udp_no_route, "udp: no route without a gateway, multicast refused" },
	{ test_udp_receive_queue_and_csum_valid, "udp: receive queue bounded, truncation, device-validated checksums" },
	{ test_services_echo_and_sink, "services: echo returns every datagram intact, never to broadcasts; sink counts" },
	{ test_ping_api, "icmp: ping matches replies, detects corrupt payloads, duplicates, losses, unreachable" },
	{ test_backlog, "eth: device busy: bounded backlog sent in order; errors and no memory counted" },
	{ test_interfaces_come_and_go, "net: ip.<if>=, default to a hot-plugged interface, detach frees, carrier up announces" },
	{ test_reset_frees_everything, "net: reset frees queued, waiting and backlogged frames" },
);
