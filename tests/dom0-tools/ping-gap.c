// SPDX-License-Identifier: MIT
/*
 * ping-gap: a guest's downtime as the network sees it (`make bench`'s migration and restore
 * figures, docs/benchmarks.md). Sends an ICMP echo request to HOST every INTERVAL_MS (a fixed
 * rate, whatever comes back) until the file STOP exists or MAX_S seconds passed, and records
 * when each reply came (dom0's CLOCK_MONOTONIC). Prints
 *   ping-gap: sent=N replies=N lost=N max_gap_ms=G last_before_ms=A first_after_ms=B
 *             first_reply_ms=F result=ok|fail
 * max_gap_ms is the longest time between two consecutive replies (the downtime to within one
 * interval), last_before/first_after the replies around it, first_reply_ms the first reply
 * after the start (a restore's "first answer"). Fails when nothing came back. Needs root (raw
 * socket). Any guest answers it: pvkit and Linux alike.
 *
 *   ping-gap HOST INTERVAL_MS STOP MAX_S
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

int main(int argc, char **argv)
{
	uint64_t t0, next, end, last = 0, gap = 0, before = 0, after = 0, first = 0;
	unsigned long sent = 0, replies = 0, interval;
	uint16_t ident = (uint16_t)getpid();
	struct sockaddr_in to = { .sin_family = AF_INET };
	int s;

	if (argc != 5 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "usage: ping-gap HOST INTERVAL_MS STOP MAX_S\n");
		return 2;
	}
	interval = strtoul(argv[2], NULL, 0);
	if (!interval)
		interval = 20;
	s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (s < 0) {
		perror("ping-gap: socket");
		return 2;
	}
	t0 = now_ms();
	next = t0;
	end = t0 + strtoull(argv[4], NULL, 0) * 1000;
	for (;;) {
		uint64_t t = now_ms();
		struct pollfd pfd = { .fd = s, .events = POLLIN };
		uint8_t buf[1500];
		ssize_t n;

		if (t >= end || !access(argv[3], F_OK))
			break;
		if (t >= next) {
			struct icmphdr h = { .type = ICMP_ECHO };

			h.un.echo.id = ident;
			h.un.echo.sequence = htons((uint16_t)sent);
			h.checksum = csum(&h, sizeof(h));
			sendto(s, &h, sizeof(h), 0, (struct sockaddr *)&to, sizeof(to));
			sent++;
			next += interval;
		}
		if (poll(&pfd, 1, (int)(next > t ? next - t : 0)) <= 0)
			continue;
		n = recv(s, buf, sizeof(buf), 0);
		if (n < (ssize_t)sizeof(struct iphdr)) {
			continue;
		} else {
			const struct iphdr *ip = (const struct iphdr *)buf;
			size_t hl = ip->ihl * 4u;
			const struct icmphdr *r = (const struct icmphdr *)(buf + hl);

			if ((size_t)n < hl + sizeof(*r) || r->type != ICMP_ECHOREPLY ||
			    r->un.echo.id != ident || ip->saddr != to.sin_addr.s_addr)
				continue;
		}
		t = now_ms();
		replies++;
		if (!first)
			first = t - t0;
		if (last && t - last > gap) {
			gap = t - last;
			before = last - t0;
			after = t - t0;
		}
		last = t;
	}
	printf("ping-gap: sent=%lu replies=%lu lost=%lu max_gap_ms=%llu last_before_ms=%llu "
	       "first_after_ms=%llu first_reply_ms=%llu result=%s\n", sent, replies,
	       replies > sent ? 0 : sent - replies, (unsigned long long)gap,
	       (unsigned long long)before, (unsigned long long)after, (unsigned long long)first,
	       replies ? "ok" : "fail");
	return replies ? 0 : 1;
}
