// SPDX-License-Identifier: MIT
/*
 * net-rawsend: malformed and hostile Ethernet frames from dom0 to a guest, through an
 * AF_PACKET raw socket on an interface (the guest's vif: what is sent there goes to the
 * guest). For tests/xen/net.sh: the guest must drop and count each kind (its `net` stats)
 * and keep answering.
 *
 *   net-rawsend IFACE DST_MAC DST_IP SRC_IP [COUNT [STORM]]
 *
 * Sends COUNT (default 10) frames of each kind: short (an Ethernet header and 6 bytes of
 * IPv4), bad IPv4 header checksum, IPv4 total length beyond the frame, UDP length beyond
 * the IP payload, an unknown ethertype (0x88b5, IEEE local experimental); then an ARP storm
 * of STORM (default 500) requests: half for DST_IP from made-up senders, half for other
 * addresses. Prints "net-rawsend: short=N bad_ip_csum=N bad_ip_len=N bad_udp_len=N
 * unknown_type=N arp_for_us=N arp_other=N errors=N" and exits 0 when every send worked.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock;
static struct sockaddr_ll dst;
static unsigned int errors;

static int parse_mac(const char *s, uint8_t *m)
{
	unsigned int v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void send_frame(const uint8_t *f, size_t n)
{
	if (sendto(sock, f, n, 0, (struct sockaddr *)&dst, sizeof(dst)) != (ssize_t)n)
		errors++;
	usleep(2000);			/* the guest is emulated: do not overrun its ring */
}

/* Ethernet header + a valid IPv4/UDP packet (to port 9) of @payload bytes. */
static size_t udp_frame(uint8_t *f, const uint8_t *dmac, const uint8_t *smac, uint32_t sip,
			uint32_t dip, size_t payload)
{
	uint8_t *ip = f + 14, *u = ip + 20;

	memcpy(f, dmac, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0800);
	memset(ip, 0, 28 + payload);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(28 + payload));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, &sip, 4);
	memcpy(ip + 16, &dip, 4);
	put16(ip + 10, csum(ip, 20));
	put16(u, 40000);
	put16(u + 2, 9);
	put16(u + 4, (uint16_t)(8 + payload));	/* checksum 0: none (RFC 768) */
	return 14 + 28 + payload;
}

static void arp_request(const uint8_t *smac, uint32_t sip, uint32_t tip)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t f[60] = { 0 };

	memcpy(f, bcast, 6);
	memcpy(f + 6, smac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);		/* Ethernet */
	put16(f + 16, 0x0800);		/* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);		/* request */
	memcpy(f + 22, smac, 6);
	memcpy(f + 28, &sip, 4);
	memcpy(f + 38, &tip, 4);
	send_frame(f, sizeof(f));
}

int main(int argc, char **argv)
{
	uint8_t dmac[6], smac[6] = { 0x02, 0x00, 0x00, 0x00, 0x07, 0x01 }, f[1600];
	unsigned int count = argc > 5 ? (unsigned int)atoi(argv[5]) : 10;
	unsigned int storm = argc > 6 ? (unsigned int)atoi(argv[6]) : 500;
	uint32_t dip, sip;
	size_t n;

	if (argc < 5 || parse_mac(argv[2], dmac) || inet_pton(AF_INET, argv[3], &dip) != 1 ||
	    inet_pton(AF_INET, argv[4], &sip) != 1) {
		fprintf(stderr, "usage: net-rawsend IFACE DST_MAC DST_IP SRC_IP [COUNT [STORM]]\n");
		return 2;
	}
	sock = socket(AF_PACKET, SOCK_RAW, 0);
	if (sock < 0) {
		perror("net-rawsend: socket");
		return 2;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sll_family = AF_PACKET;
	dst.sll_ifindex = (int)if_nametoindex(argv[1]);
	dst.sll_halen = 6;
	memcpy(dst.sll_addr, dmac, 6);
	if (!dst.sll_ifindex) {
		fprintf(stderr, "net-rawsend: no interface %s\n", argv[1]);
		return 2;
	}
	for (unsigned int i = 0; i < count; i++) {
		/* Short: the Ethernet header and 6 bytes of an IPv4 header. */
		n = udp_frame(f, dmac, smac, sip, dip, 16);
		send_frame(f, 14 + 6);
		/* Bad IPv4 header checksum. */
		n = udp_frame(f, dmac, smac, sip, dip, 16);
		f[14 + 10] ^= 0x5a;
		send_frame(f, n);
		/* IPv4 total length beyond the frame (checksum made right for it). */
		n = udp_frame(f, dmac, smac, sip, dip, 16);
		put16(f + 14 + 2, 1400);
		put16(f + 14 + 10, 0);
		put16(f + 14 + 10, csum(f + 14, 20));
		send_frame(f, n);
		/* UDP length beyond the IP payload. */
		n = udp_frame(f, dmac, smac, sip, dip, 16);
		put16(f + 14 + 20 + 4, 600);
		send_frame(f, n);
		/* Unknown ethertype. */
		n = udp_frame(f, dmac, smac, sip, dip, 16);
		put16(f + 12, 0x88b5);
		send_frame(f, n);
	}
	for (unsigned int i = 0; i < storm; i++) {
		uint8_t m[6] = { 0x02, 0x00, 0x5e, (uint8_t)(i >> 8), (uint8_t)i, 0x33 };
		uint32_t s = htonl(0x0a000000u | (100 + i % 150));	/* 10.0.0.100-249 */
		uint32_t other = htonl(0x0a000000u | (2 + (i * 7) % 250));

		if (other == dip)
			other = htonl(0x0a0000fbu);
		arp_request(m, s, i % 2 ? other : dip);
	}
	printf("net-rawsend: short=%u bad_ip_csum=%u bad_ip_len=%u bad_udp_len=%u "
	       "unknown_type=%u arp_for_us=%u arp_other=%u errors=%u\n", count, count, count,
	       count, count, (storm + 1) / 2, storm / 2, errors);
	return errors ? 1 : 0;
}
