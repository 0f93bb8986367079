// SPDX-License-Identifier: MIT
/*
 * The IP stack in the kernel (kernel/include/pvkit/net.h): start-up from the command line, the idle
 * poller and its wake-up timer, blocking helpers that poll the network themselves, and the
 * console commands of serve mode: "ping", "net" and "udp send" (the UDP source).
 */
#include <string.h>
#include <pvkit/bootinfo.h>
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/idle.h>
#include <pvkit/irq.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/command.h>
#include <pvkit/timer.h>
#include "net_priv.h"

#define NET_ARG_MAX		4	/* words a console command takes */
#define PING_TIMEOUT_NS		(1000ull * 1000000)	/* per request */
#define SOURCE_STALL_NS		(10000ull * 1000000)	/* udp send gives up without progress */
#define SOURCE_SIZE_DEFAULT	1472u	/* a full frame at MTU 1500 */
#define SOURCE_KBIT_MAX		100000000ul	/* pacing: 100 Gbit/s keeps the schedule in 64 bits */

static struct os_timer net_timer;		/* wakes the idle loop for the stack's deadlines */

uint64_t net_now(void)
{
	return pv_clock_ns();
}

static void net_timer_fn(struct os_timer *t)
{
	/* Nothing: the interrupt ends the halt and the idle loop polls again. */
}

/* Devices, then the stack; the timer follows the stack's next deadline. */
static unsigned int net_poll_all(void)
{
	unsigned int work = netdev_poll();
	uint64_t d;

	work += net_poll();
	d = net_next_deadline();
	if (d != UINT64_MAX)
		os_timer_add(&net_timer, d, net_timer_fn, NULL);
	return work;
}

static unsigned int net_idle_poll(void)
{
	return net_poll_all();
}

static struct os_poller net_poller = { .name = "net", .poll = net_idle_poll };

int net_wait(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns)
{
	uint64_t end = pv_clock_ns() + timeout_ns;

	for (;;) {
		uint64_t before = irq_total();
		unsigned int work = net_poll_all();

		if (cond(ctx))
			return 0;
		if (pv_clock_ns() >= end)
			return -ETIMEDOUT;
		if (work)
			continue;
		os_timer_add(&net_timer, MIN(end, net_next_deadline()), net_timer_fn, NULL);
		/* As idle_wait(): halt only if no interrupt came since we polled. */
		pv_irq_disable();
		if (irq_total() == before)
			pv_safe_halt();
		pv_irq_enable();
	}
}

/* ---- blocking helpers -------------------------------------------------------------------- */

static bool net_ping_done_cond(void *ctx)
{
	return icmp_ping_done(NULL);
}

int net_ping(uint32_t dst, uint32_t count, uint32_t size, uint64_t timeout_ns,
	     struct net_ping_result *res)
{
	int err = icmp_ping_start(dst, count, size, timeout_ns);

	if (err)
		return err;
	/* Every request waits at most timeout_ns; the margin covers ARP's first answer. */
	err = net_wait(net_ping_done_cond, NULL, count * timeout_ns + 4 * ARP_RETRY_NS);
	if (err)
		icmp_ping_cancel();
	icmp_ping_done(res);
	return err;
}

struct net_arp_wait {
	struct netdev *dev;		/* where the next hop lives */
	uint32_t ip;			/* the next hop */
	uint8_t *mac;			/* result */
	int err;			/* resolution failed for good */
};

static bool net_arp_cond(void *ctx)
{
	struct net_arp_wait *w = ctx;

	if (!arp_lookup(w->dev, w->ip, w->mac))
		return true;
	w->err = arp_resolve(w->dev, w->ip);	/* ask again after a failed round */
	return w->err == -EHOSTUNREACH;
}

int net_arp_resolve(uint32_t ip, uint8_t mac[ETH_ALEN], uint64_t timeout_ns)
{
	struct net_arp_wait w = { .mac = mac };
	int err = ip_route(ip, &w.dev, &w.ip);

	if (err)
		return err;
	err = arp_resolve(w.dev, w.ip);
	if (err && err != -EHOSTUNREACH)
		return err;
	err = net_wait(net_arp_cond, &w, timeout_ns);
	if (err)
		return err;
	return arp_lookup(w.dev, w.ip, mac) ? -EHOSTUNREACH : 0;
}

struct net_udp_wait {
	struct udp_sock *s;		/* the socket waited on */
};

static bool net_udp_cond(void *ctx)
{
	return udp_queued(((struct net_udp_wait *)ctx)->s) != 0;
}

int net_udp_recv_wait(struct udp_sock *s, void *buf, size_t size, size_t *len,
		      struct udp_meta *m, uint64_t timeout_ns)
{
	struct net_udp_wait w = { s };
	int err = udp_recvfrom(s, buf, size, len, m);

	if (err != -EAGAIN)
		return err;
	err = net_wait(net_udp_cond, &w, timeout_ns);
	return err ? err : udp_recvfrom(s, buf, size, len, m);
}

/* ---- console commands -------------------------------------------------------------------- */

static void cmd_ping(const char *args)
{
	char buf[80], *w[NET_ARG_MAX], a[IP4_STR_MAX];
	unsigned long count = 4, size = 56;
	struct net_ping_result r;
	unsigned int n = serve_words(args, buf, sizeof(buf), w, NET_ARG_MAX);
	uint32_t dst;
	int err;

	if (n < 1 || ip_parse_addr(w[0], &dst) || (n > 1 && parse_ulong(w[1], &count)) ||
	    (n > 2 && parse_ulong(w[2], &size)) || count > 65535 || size > ICMP_ECHO_DATA_MAX) {
		printk("pvkit: ping: usage: ping <a.b.c.d> [count <= 65535] [size <= %u]\n",
		       ICMP_ECHO_DATA_MAX);
		return;
	}
	err = net_ping(dst, (uint32_t)count, (uint32_t)size, PING_TIMEOUT_NS, &r);
	if (err && err != -ETIMEDOUT && !r.sent)
		r.error = err;
	printk("pvkit: ping %s sent=%u received=%u corrupt=%u duplicate=%u size=%lu "
	       "rtt_min_us=%lu rtt_avg_us=%lu rtt_max_us=%lu error=%s\n", ip_format_addr(a, dst),
	       r.sent, r.received, r.corrupt, r.duplicate, size, r.rtt_min_ns / 1000,
	       r.received ? r.rtt_sum_ns / r.received / 1000 : 0, r.rtt_max_ns / 1000,
	       r.error ? strerror_name(r.error) : "none");
}

static void cmd_net(const char *args)
{
	if (!strcmp(args, "arp"))
		arp_print();
	else
		net_stats_print();
}

/* The source's bytes: an 8-byte stream offset at the start of each datagram, then a
 * pattern of the offset, so the receiver can check each datagram on its own. */
static void net_source_fill(uint8_t *p, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] = i < 8 ? (uint8_t)(off >> (8 * (7 - i))) : (uint8_t)((off + i) * 131 >> 3);
}

struct net_source {
	struct udp_sock *s;		/* ephemeral socket */
	uint32_t dst;			/* where to */
	uint16_t port;
	uint64_t bytes, sent;		/* asked, sent so far */
	uint32_t size;			/* datagram payload */
	uint64_t datagrams, waits;	/* sent, times the device (or ARP) was full */
	uint64_t kbit_s;		/* pacing rate, 0: as fast as the device takes them */
	uint64_t t0;			/* pv_clock_ns at the start: the pacing schedule's origin */
	int err;			/* why it stopped */
};

/* When the next datagram is due (pv_clock_ns) on the pacing schedule: after @src->sent bytes
 * at @src->kbit_s, counted from the start, so a late wake-up is made up, never accumulated. */
static uint64_t net_source_due(const struct net_source *src)
{
	uint64_t b = src->sent, r = src->kbit_s;

	return src->t0 + b / r * 8000000ull + b % r * 8000000ull / r;
}

static bool net_never(void *ctx)
{
	return false;
}

/* A burst of datagrams: enough to fill the ring, or (paced) those that are due.
 * Return: how many went (0: no room now, or none due). */
static unsigned int net_source_burst(struct net_source *src)
{
	static uint8_t buf[UDP_PAYLOAD_MAX];
	unsigned int k;

	for (k = 0; k < 64 && src->sent < src->bytes; k++) {
		uint32_t n = (uint32_t)MIN((uint64_t)src->size, src->bytes - src->sent);
		int err;

		if (src->kbit_s && net_source_due(src) > pv_clock_ns())
			break;			/* paced: not yet */

		net_source_fill(buf, n, src->sent);
		err = udp_sendto(src->s, src->dst, src->port, buf, n);
		if (err == -ENOBUFS || err == -ENOMEM) {
			src->waits++;
			break;
		}
		if (err) {
			src->err = err;
			break;
		}
		src->sent += n;
		src->datagrams++;
	}
	return k;
}

static void cmd_udp_send(char **w, unsigned int n)
{
	unsigned long port, bytes, size = SOURCE_SIZE_DEFAULT, kbit_s = 0;
	struct net_source src = { 0 };
	uint8_t mac[ETH_ALEN];
	char a[IP4_STR_MAX];
	uint64_t us, last, now;
	int err;

	if (n < 4 || ip_parse_addr(w[1], &src.dst) || parse_ulong(w[2], &port) || !port ||
	    port > 65535 || parse_ulong(w[3], &bytes) ||
	    (n > 4 && (parse_ulong(w[4], &size) || size < 8 || size > UDP_PAYLOAD_MAX)) ||
	    (n > 5 && (parse_ulong(w[5], &kbit_s) || kbit_s > SOURCE_KBIT_MAX))) {
		printk("pvkit: udp: usage: udp send <a.b.c.d> <port> <bytes> [size 8-%u "
		       "[kbit_s 0-%lu]]\n", UDP_PAYLOAD_MAX, SOURCE_KBIT_MAX);
		return;
	}
	src.port = (uint16_t)port;
	src.bytes = bytes;
	src.size = (uint32_t)size;
	src.kbit_s = kbit_s;
	err = udp_bind(0, NULL, NULL, &src.s);
	if (!err)
		err = net_arp_resolve(src.dst, mac, 5 * ARP_RETRY_NS);
	src.t0 = last = pv_clock_ns();
	while (!err && !src.err && src.sent < src.bytes) {
		/* Everything the idle loop does (the net poller: completions make room), so that
		 * a detach or a watch is not held up by a long send. */
		idle_poll();
		if (net_source_burst(&src)) {
			last = pv_clock_ns();
		} else if (src.kbit_s && net_source_due(&src) > (now = pv_clock_ns())) {
			/* paced and early: halted until the next one is due (at most 1 ms) */
			net_wait(net_never, NULL, MIN(net_source_due(&src) - now, 1000000ull));
			last = pv_clock_ns();
		} else if (pv_clock_ns() - last > SOURCE_STALL_NS) {
			err = -ETIMEDOUT;
		} else {
			net_wait(net_never, NULL, 1000000);	/* a millisecond, halted */
		}
	}
	us = (pv_clock_ns() - src.t0) / 1000;
	if (!err)
		err = src.err;
	printk("pvkit: udp send %s:%lu bytes=%lu datagrams=%lu waits=%lu time_us=%lu "
	       "kbit_s=%lu pace_kbit_s=%lu error=%s\n", ip_format_addr(a, src.dst), port,
	       (unsigned long)src.sent, (unsigned long)src.datagrams, (unsigned long)src.waits,
	       (unsigned long)us, (unsigned long)(us ? src.sent * 8000 / us : 0), kbit_s,
	       err ? strerror_name(err) : "none");
	udp_close(src.s);
}

static void cmd_udp(const char *args)
{
	char buf[112], *w[NET_ARG_MAX + 2];	/* "send" and five arguments */
	unsigned int n = serve_words(args, buf, sizeof(buf), w, ARRAY_SIZE(w));

	if (n && !strcmp(w[0], "send")) {
		cmd_udp_send(w, n);
		return;
	}
	printk("pvkit: udp: usage: udp send <a.b.c.d> <port> <bytes> [size [kbit_s]]\n");
}

SERVE_COMMAND(ping, "ping <a.b.c.d> [count] [size]: ICMP echo, prints the result", cmd_ping);
SERVE_COMMAND(net, "net [arp]: network counters (or the ARP cache)", cmd_net);
SERVE_COMMAND(udp, "udp send <a.b.c.d> <port> <bytes> [size [kbit_s]]: UDP source", cmd_udp);

/* ---- start ------------------------------------------------------------------------------- */

int net_init(const struct boot_info *bi)
{
	int err;

	net_config_cmdline(bi->cmdline);	/* bad values are reported and skipped */
	netdev_set_rx_handler(net_input);
	net_poll();				/* attach (and configure) what is there */
	err = net_services_start();
	if (err)
		printk("pvkit: warning: net: UDP services: %s\n", strerror_name(err));
	os_poller_register(&net_poller);
	return 0;
}
