// SPDX-License-Identifier: MIT
/*
 * net-udp: dom0's side of pvkit's UDP tests (tests/xen/net.sh, docs/netfront.md).
 *
 *   net-udp echo HOST PORT BYTES [SIZE [WINDOW]]
 *	Sends BYTES to HOST's UDP echo service in datagrams of SIZE payload bytes (an 8-byte
 *	sequence number, then bytes derived from it), keeps WINDOW datagrams outstanding,
 *	resends one that got no answer within 400 ms, checks every echoed byte, and computes the
 *	md5 of the payloads that came back, in sequence order, against the md5 of those sent.
 *	Prints: net-udp: echo bytes= datagrams= retransmits= dup= bad= time_ms= kbit_s=
 *	        md5_sent= md5_back= max_gap_ms= result=ok|fail
 *	It fails after 20 s without progress; NET_UDP_GIVE_UP_MS in the environment changes that
 *	(the lifecycle cases: a save and restore under TCG takes longer). max_gap_ms is the
 *	longest time without an answer: the guest's downtime as the stream saw it.
 *   net-udp sink PORT SECONDS
 *	Counts datagrams to PORT for SECONDS (the guest's `udp send` source: each datagram is an
 *	8-byte stream offset then a pattern of it, checked). Prints: net-udp: sink datagrams=
 *	bytes= bad= kbit_s= result=ok|fail (fail: nothing, or a bad datagram).
 *   net-udp source HOST PORT BYTES [SIZE]
 *	Sends BYTES to HOST:PORT as fast as the socket takes them (to the guest's sink).
 * Exit status 0 when result=ok.
 */
#include <pvkit/md5.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SIZE	1472		/* one frame at MTU 1500 */
#define MAX_WINDOW	256
#define RESEND_MS	400
#define GIVE_UP_MS	20000		/* no progress at all for this long: fail (default) */
static uint64_t give_up_ms = GIVE_UP_MS;

/* MD5: the kernel's own lib/md5.c, linked in (tests/dom0-tools/Makefile). */
static void md5_hex_of(struct md5_ctx *m, char out[33])
{
	uint8_t d[16];

	md5_final(m, d);
	md5_hex(d, out);
}

/* ---- helpers ---------------------------------------------------------------------------- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * (7 - i)));
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Payload of datagram @seq: the sequence number, then bytes of a generator seeded by it. */
static void fill(uint8_t *p, size_t n, uint64_t seq)
{
	uint32_t x = (uint32_t)(seq * 2654435761u) ^ 0x9e3779b9u;

	put64(p, seq);
	for (size_t i = 8; i < n; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (uint8_t)(x >> 16);
	}
}

static int udp_socket(const char *host, int port, struct sockaddr_in *to)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0), buf = 4 << 20;

	if (s < 0) {
		perror("net-udp: socket");
		exit(2);
	}
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons((uint16_t)port);
	if (host && inet_pton(AF_INET, host, &to->sin_addr) != 1) {
		fprintf(stderr, "net-udp: bad address %s\n", host);
		exit(2);
	}
	return s;
}

/* ---- echo ------------------------------------------------------------------------------- */

struct slot {
	uint64_t seq;			/* which datagram this window slot holds */
	uint64_t sent_ms;		/* last (re)transmission */
	int state;			/* 0 free, 1 sent, 2 answered */
	uint8_t data[MAX_SIZE];		/* what came back (state 2) */
	size_t len;
};

static struct slot win[MAX_WINDOW];

static int echo(const char *host, int port, uint64_t bytes, size_t size, unsigned int window)
{
	uint64_t total = (bytes + size - 1) / size, next = 0, base = 0, resent = 0, dup = 0;
	uint64_t bad = 0, back = 0, t0 = now_ms(), last = t0, t, max_gap = 0;
	struct sockaddr_in to;
	struct md5_ctx ms, mb;
	uint8_t buf[MAX_SIZE + 64];
	char hs[33], hb[33];
	int s = udp_socket(host, port, &to), ok;

	md5_init(&ms);
	md5_init(&mb);
	while (base < total) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };

		/* Fill the window. */
		while (next < total && next < base + window) {
			struct slot *w = &win[next % window];
			size_t n = next + 1 == total ? bytes - next * size : size;

			fill(buf, n < 8 ? 8 : n, next);
			w->seq = next;
			w->state = 1;
			w->sent_ms = now_ms();
			w->len = 0;
			sendto(s, buf, n < 8 ? 8 : n, 0, (struct sockaddr *)&to, sizeof(to));
			next++;
		}
		if (poll(&pfd, 1, 20) > 0) {
			ssize_t n = recv(s, buf, sizeof(buf), 0);
			uint64_t seq;
			struct slot *w;
			uint8_t want[MAX_SIZE];

			if (n < 8)
				continue;
			seq = get64(buf);
			w = &win[seq % window];
			if (seq < base || seq >= next || w->seq != seq || w->state != 1) {
				dup++;		/* late answer to a resent datagram */
				continue;
			}
			fill(want, (size_t)n, seq);
			if ((size_t)n != (seq + 1 == total ? (bytes - seq * size < 8 ? 8 :
						bytes - seq * size) : size) || memcmp(want, buf, (size_t)n)) {
				bad++;
				continue;	/* resent at the timeout */
			}
			memcpy(w->data, buf, (size_t)n);
			w->len = (size_t)n;
			w->state = 2;
			t = now_ms();
			if (t - last > max_gap)
				max_gap = t - last;
			last = t;
			while (base < next && win[base % window].state == 2) {
				struct slot *b = &win[base % window];

				fill(want, b->len, base);
				md5_update(&ms, want, b->len);
				md5_update(&mb, b->data, b->len);
				back += b->len;
				b->state = 0;
				base++;
			}
		}
		t = now_ms();
		for (uint64_t q = base; q < next; q++) {
			struct slot *w = &win[q % window];

			if (w->state == 1 && t - w->sent_ms >= RESEND_MS) {
				size_t n = q + 1 == total ? bytes - q * size : size;

				fill(buf, n < 8 ? 8 : n, q);
				sendto(s, buf, n < 8 ? 8 : n, 0, (struct sockaddr *)&to, sizeof(to));
				w->sent_ms = t;
				resent++;
			}
		}
		if (t - last > give_up_ms)
			break;
	}
	t = now_ms() - t0;
	md5_hex_of(&ms, hs);
	md5_hex_of(&mb, hb);
	ok = base == total && !strcmp(hs, hb);
	printf("net-udp: echo bytes=%llu datagrams=%llu retransmits=%llu dup=%llu bad=%llu "
	       "time_ms=%llu kbit_s=%llu md5_sent=%s md5_back=%s max_gap_ms=%llu result=%s\n",
	       (unsigned long long)back, (unsigned long long)base, (unsigned long long)resent,
	       (unsigned long long)dup, (unsigned long long)bad, (unsigned long long)t,
	       (unsigned long long)(t ? back * 8 / t : 0), hs, hb, (unsigned long long)max_gap,
	       ok ? "ok" : "fail");
	close(s);
	return ok ? 0 : 1;
}

/* ---- sink and source ------------------------------------------------------------------------ */

/* The guest's source pattern (kernel/net/net_main.c): 8 bytes of offset, then bytes of it. */
static int source_ok(const uint8_t *p, size_t n)
{
	uint64_t off;

	if (n < 8)
		return 0;
	off = get64(p);
	for (size_t i = 8; i < n; i++)
		if (p[i] != (uint8_t)((off + i) * 131 >> 3))
			return 0;
	return 1;
}

static int sink(int port, unsigned int seconds)
{
	struct sockaddr_in me;
	uint64_t dgrams = 0, bytes = 0, bad = 0, t0 = 0, t1 = 0, end;
	uint8_t buf[65536];
	int s = udp_socket(NULL, port, &me), ok;

	me.sin_addr.s_addr = htonl(INADDR_ANY);
	if (bind(s, (struct sockaddr *)&me, sizeof(me))) {
		perror("net-udp: bind");
		return 2;
	}
	end = now_ms() + seconds * 1000ull;
	while (now_ms() < end) {
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(s, buf, sizeof(buf), 0);
		if (n < 0)
			continue;
		if (!dgrams)
			t0 = now_ms();
		t1 = now_ms();
		dgrams++;
		bytes += (uint64_t)n;
		bad += !source_ok(buf, (size_t)n);
	}
	ok = dgrams && !bad;
	printf("net-udp: sink datagrams=%llu bytes=%llu bad=%llu kbit_s=%llu result=%s\n",
	       (unsigned long long)dgrams, (unsigned long long)bytes, (unsigned long long)bad,
	       (unsigned long long)(t1 > t0 ? bytes * 8 / (t1 - t0) : 0), ok ? "ok" : "fail");
	return ok ? 0 : 1;
}

static int source(const char *host, int port, uint64_t bytes, size_t size)
{
	struct sockaddr_in to;
	uint8_t buf[MAX_SIZE];
	uint64_t sent = 0, n = 0, t0 = now_ms(), t;
	int s = udp_socket(host, port, &to);

	while (sent < bytes) {
		size_t k = bytes - sent < size ? (size_t)(bytes - sent) : size;

		fill(buf, k < 8 ? 8 : k, n);
		if (sendto(s, buf, k < 8 ? 8 : k, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(1000);
				continue;
			}
			perror("net-udp: sendto");
			return 1;
		}
		sent += k;
		n++;
		if (n % 64 == 0)
			usleep(2000);	/* pace a little: the guest is emulated */
	}
	t = now_ms() - t0;
	printf("net-udp: source datagrams=%llu bytes=%llu time_ms=%llu result=ok\n",
	       (unsigned long long)n, (unsigned long long)sent, (unsigned long long)t);
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: net-udp echo HOST PORT BYTES [SIZE [WINDOW]]\n"
			"       net-udp sink PORT SECONDS\n"
			"       net-udp source HOST PORT BYTES [SIZE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *g = getenv("NET_UDP_GIVE_UP_MS");

	if (g && strtoull(g, NULL, 0))
		give_up_ms = strtoull(g, NULL, 0);
	if (argc >= 5 && !strcmp(argv[1], "echo")) {
		size_t size = argc > 5 ? strtoul(argv[5], NULL, 0) : 1024;
		unsigned int window = argc > 6 ? (unsigned int)strtoul(argv[6], NULL, 0) : 32;

		if (size < 8 || size > MAX_SIZE || !window || window > MAX_WINDOW)
			usage();
		return echo(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0), size, window);
	}
	if (argc == 4 && !strcmp(argv[1], "sink"))
		return sink(atoi(argv[2]), (unsigned int)strtoul(argv[3], NULL, 0));
	if (argc >= 5 && !strcmp(argv[1], "source")) {
		size_t size = argc > 5 ? strtoul(argv[5], NULL, 0) : 1024;

		if (size < 8 || size > MAX_SIZE)
			usage();
		return source(argv[2], atoi(argv[3]), strtoull(argv[4], NULL, 0), size);
	}
	usage();
	return 2;
}
