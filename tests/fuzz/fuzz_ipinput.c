// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the IP stack's input path (kernel/net/, docs/net.md): the input is a
 * script of Ethernet frames fed to net_input() on a fake device (tests/unit/test_net_fake.c)
 * interleaved with what the guest itself does (send UDP, ping, let time pass, a busy or
 * failing device, an interface leaving and coming back). After every step:
 *   - each received frame was counted under exactly one fate (sum of fates == frames);
 *   - every frame the stack sent is well-formed (fake_check_sent: lengths, checksums, our
 *     addresses), and an echo reply carries exactly the request's identifier, sequence
 *     number and payload, a UDP echo exactly the datagram;
 *   - memory is bounded: netbufs held <= what ARP, the backlog and a socket queue may hold,
 *     ARP entries <= ARP_CACHE_MAX;
 * and at the end net_reset() gives every netbuf back. ASan/UBSan catch the rest.
 *
 * Script: byte 0 = flags (bit 0: the device offers checksum offload), then operations, an
 * opcode byte (% 10) followed by its arguments; see fz_step().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/errno.h>
#include <pvkit/net.h>
#include "test_net_fake.h"
#include "fuzz_input.h"

#define US		IP4(10, 0, 2, 15)
#define FZ_FRAME_MAX	1600		/* longer frames than an MTU-1500 device delivers */
#define FZ_HELD_MAX	(ARP_INCOMPLETE_MAX * ARP_PENDING_MAX + 64 + UDP_QUEUE_MAX)

static const uint8_t fz_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static struct netdev *fz_dev;
static struct udp_sock *fz_qsock;	/* a queueing socket on port 5000 */
static struct udp_sock *fz_tsock;	/* what the "guest" sends from */

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t g32(const uint8_t *p) { return (uint32_t)g16(p) << 16 | g16(p + 2); }

static void fz_fail(const char *what, unsigned int a, unsigned int b)
{
	fprintf(stderr, "fuzz_ipinput: invariant broken: %s (%u, %u)\n", what, a, b);
	abort();
}

static void fz_check_sent(unsigned int from)
{
	struct net_if_config c;
	uint32_t ip = net_if_get_config(fz_dev, &c) ? US : c.addr;

	for (unsigned int i = from; i < fake_nsent; i++) {
		const char *why = fake_check_sent(&fake_sent[i], ip);

		if (why) {
			fprintf(stderr, "fuzz_ipinput: frame %u of %u bytes: %s\n", i,
				fake_sent[i].len, why);
			abort();
		}
	}
}

static void fz_check_bounds(void)
{
	struct net_stats st;
	uint64_t sum = 0;

	net_get_stats(&st);
	for (unsigned int i = 0; i < NET_RX_NR; i++)
		sum += st.rx[i];
	if (sum != st.rx_frames)
		fz_fail("fates != frames", (unsigned int)sum, (unsigned int)st.rx_frames);
	if (fake_nb_live < 0 || fake_nb_live > FZ_HELD_MAX)
		fz_fail("netbufs held", (unsigned int)fake_nb_live, FZ_HELD_MAX);
	if (fz_dev && arp_cache_count(fz_dev) > ARP_CACHE_MAX)
		fz_fail("ARP entries", arp_cache_count(fz_dev), ARP_CACHE_MAX);
}

/* The frame @f was an echo request, answered: if the reply went out now (not waiting for
 * ARP or the device), it is the last frame sent and must match byte for byte. */
static void fz_check_echo(const uint8_t *f)
{
	const struct fake_sent *s = &fake_sent[fake_nsent - 1];
	uint32_t ihl = (f[14] & 0xf) * 4, l4n = g16(f + 16) - ihl;
	const uint8_t *req = f + 14 + ihl, *rep = s->data + 34;

	if (g16(s->data + 12) != 0x0800)
		return;				/* an ARP request: the reply waits */
	if (s->data[23] != 1 || rep[0] != 0)
		fz_fail("echo request answered by something else", s->data[23], rep[0]);
	if (g16(s->data + 16) != 20 + l4n || g32(s->data + 30) != g32(f + 26))
		fz_fail("echo reply length or destination", g16(s->data + 16), 20 + l4n);
	if (memcmp(rep + 4, req + 4, l4n - 4))
		fz_fail("echo reply payload differs", l4n, 0);
}

/* Same for the UDP echo service. */
static void fz_check_udp_echo(const uint8_t *f)
{
	const struct fake_sent *s = &fake_sent[fake_nsent - 1];
	uint32_t ihl = (f[14] & 0xf) * 4, ulen = g16(f + 14 + ihl + 4);
	const uint8_t *req = f + 14 + ihl;

	if (g16(s->data + 12) != 0x0800)
		return;
	if (s->data[23] != 17 || g16(s->data + 38) != ulen)
		fz_fail("UDP echo length", g16(s->data + 38), ulen);
	if (g16(s->data + 34) != 7 || g16(s->data + 36) != g16(req) ||
	    g32(s->data + 30) != g32(f + 26))
		fz_fail("UDP echo ports or destination", g16(s->data + 36), g16(req));
	if (memcmp(s->data + 42, req + 8, ulen - 8))
		fz_fail("UDP echo payload differs", ulen, 0);
}

/*
 * A frame from the script. Cooked ones help the fuzzer past the first checks: a control
 * byte picks the destination MAC (ours or broadcast), the type (IPv4 or ARP), whether the
 * device says the checksum was validated, and whether the IPv4 header checksum is fixed up.
 */
static void fz_frame(struct fz_in *in, bool cooked)
{
	static uint8_t f[FZ_FRAME_MAX];
	unsigned int ctl = cooked ? fz_byte(in) : 0;
	uint32_t len = fz_u16(in) % FZ_FRAME_MAX;
	struct net_stats a, b;
	struct net_service_stats sa, sb;
	unsigned int before = fake_nsent;
	struct netbuf *nb;

	len = len < in->n ? len : (uint32_t)in->n;
	memcpy(f, in->p, len);
	in->p += len;
	in->n -= len;
	if (cooked && len >= 14) {
		memcpy(f, ctl & 1 ? (const uint8_t *)"\xff\xff\xff\xff\xff\xff" : fz_mac, 6);
		f[12] = 0x08;
		f[13] = ctl & 2 ? 0x06 : 0x00;
	}
	if (cooked && (ctl & 4) && len >= 34 && !(ctl & 2)) {
		uint32_t ihl = (f[14] & 0xf) * 4, sum = 0;

		if (ihl >= 20 && 14 + ihl <= len) {
			f[24] = f[25] = 0;
			for (uint32_t i = 0; i < ihl; i += 2)
				sum += g16(f + 14 + i);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			f[24] = (uint8_t)(~sum >> 8);
			f[25] = (uint8_t)~sum;
		}
	}
	nb = fake_frame(f, len);
	if (!nb)
		return;
	nb->csum = (ctl & 8) ? NETBUF_CSUM_VALID : NETBUF_CSUM_NONE;
	net_get_stats(&a);
	net_services_get_stats(&sa);
	net_input(fz_dev, nb);
	net_get_stats(&b);
	net_services_get_stats(&sb);
	fz_check_sent(before);
	if (fake_nsent > before && b.rx[NET_RX_icmp_echo] != a.rx[NET_RX_icmp_echo] &&
	    b.tx[NET_icmp_tx_echo_reply] != a.tx[NET_icmp_tx_echo_reply])
		fz_check_echo(f);
	if (fake_nsent > before && sb.echo_datagrams != sa.echo_datagrams)
		fz_check_udp_echo(f);
}

static void fz_step(struct fz_in *in)
{
	static uint8_t d[UDP_PAYLOAD_MAX];
	unsigned int before = fake_nsent;

	switch (fz_byte(in) % 10) {
	case 0:
		fz_frame(in, false);
		break;
	case 1:
		fz_frame(in, true);
		break;
	case 2:					/* time passes: 0-655 s in 10 ms steps */
		fake_now_ns += (uint64_t)fz_u16(in) * 10000000ull;
		net_poll();
		break;
	case 3: {				/* the guest sends a datagram */
		uint32_t dst = IP4(10, 0, 2, fz_byte(in));
		uint32_t n = fz_u16(in) % (UDP_PAYLOAD_MAX + 2);

		memset(d, 0x5a, sizeof(d));
		(void)udp_sendto(fz_tsock, fz_byte(in) & 1 ? dst : IP4(192, 0, 2, 1),
				 (uint16_t)(1 + fz_byte(in)), d, n);
		break;
	}
	case 4:					/* the guest pings */
		(void)icmp_ping_start(IP4(10, 0, 2, fz_byte(in)), 1 + fz_byte(in) % 8,
				      fz_u16(in) % (ICMP_ECHO_DATA_MAX + 2), 1000000000ull);
		break;
	case 5:
		net_poll();
		break;
	case 6:					/* the device gets busy, fails, recovers */
		fake_tx_err = (int[]){ 0, -EBUSY, -ENETDOWN, 0 }[fz_byte(in) % 4];
		break;
	case 7: {				/* the guest reads its queue */
		size_t len;

		(void)udp_recvfrom(fz_qsock, d, fz_byte(in) * 8u, &len, NULL);
		break;
	}
	case 8:					/* memory runs out after a few more */
		fake_nb_fail_after = (long)fz_byte(in) % 8 - 1;
		break;
	default:				/* carrier flaps, or the device leaves and returns */
		if (fz_byte(in) & 1) {
			fz_dev->carrier = !fz_dev->carrier;
		} else {
			fake_netdev_remove(fz_dev);
			net_poll();
			fz_dev = fake_netdev_add("eth0", fz_mac);
		}
		net_poll();
		break;
	}
	fz_check_sent(before);
	fz_check_bounds();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	unsigned int flags = fz_byte(&in);

	fake_printk_quiet = true;
	fake_net_reset();
	net_reset();
	fz_dev = fake_netdev_add("eth0", fz_mac);
	fz_dev->features.csum = flags & 1;
	if (net_config_cmdline("ip=10.0.2.15/24 gw=10.0.2.2") != 1)
		fz_fail("configuration", 0, 0);
	net_poll();
	if (net_services_start() || udp_bind(5000, NULL, NULL, &fz_qsock) ||
	    udp_bind(0, NULL, NULL, &fz_tsock))
		fz_fail("sockets", 0, 0);
	fz_check_sent(0);
	for (unsigned int steps = 0; in.n && steps < 4096; steps++) {
		if (fake_nsent > FAKE_SENT_MAX / 2)
			fake_sent_clear();
		fz_step(&in);
	}
	fake_tx_err = 0;
	fake_nb_fail_after = -1;
	net_reset();
	if (fake_nb_live != 0)
		fz_fail("netbufs leaked after reset", (unsigned int)fake_nb_live, 0);
	fake_sent_clear();
	return 0;
}
