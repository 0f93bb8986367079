// SPDX-License-Identifier: MIT
/*
 * bench-udp: UDP throughput for `make bench`, in dom0 and in the Linux DomU. The pvkit guest's
 * side is `udp send` (kernel/net/net_main.c) and `bench udp-recv` (kernel/bench.c), which
 * measure the same way: the sender sends BYTES in SIZE-byte datagrams as fast as it can; the
 * receiver times first to last datagram on its own clock, and counts what arrived.
 *
 *   bench-udp send A.B.C.D PORT BYTES [SIZE]
 *   bench-udp recv PORT BYTES [IDLE_MS [FIRST_MS]]
 *
 * recv prints "bench udp-recv listening port=P" once bound, then ends when BYTES arrived, or
 * IDLE_MS (default 2000) after the last datagram, or FIRST_MS (default 30000) without any.
 * Lines:
 *   bench udp-send dst=A:P bytes=B datagrams=N time_us=T kbit_s=K error=none
 *   bench udp-recv port=P bytes=B datagrams=N time_us=T kbit_s=K lost_pct=L error=none
 * (recv's kbit_s counts the bytes after the first datagram over first-to-last time.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SIZE_DEFAULT	1472	/* a full frame at MTU 1500 */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static const char *err_name(int e)
{
	static char b[64];

	snprintf(b, sizeof(b), "%s", strerror(e));
	for (char *p = b; *p; p++)
		if (*p == ' ')
			*p = '-';
	return b;
}

static int do_send(const char *ip, unsigned int port, uint64_t bytes, unsigned int size)
{
	static char buf[65536];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint64_t sent = 0, n = 0, t0, us;
	int s, err = 0;

	if (!inet_aton(ip, &to.sin_addr) || size < 8 || size > sizeof(buf))
		return 2;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return 1;
	t0 = now_ns();
	while (sent < bytes) {
		size_t len = bytes - sent < size ? bytes - sent : size;

		for (int i = 0; i < 8; i++)
			buf[i] = (char)(sent >> (8 * (7 - i)));
		if (sendto(s, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN || errno == EINTR) {
				usleep(100);
				continue;
			}
			err = errno;
			break;
		}
		sent += len;
		n++;
	}
	us = (now_ns() - t0) / 1000;
	printf("bench udp-send dst=%s:%u bytes=%llu datagrams=%llu time_us=%llu kbit_s=%llu "
	       "error=%s\n", ip, port, (unsigned long long)sent, (unsigned long long)n,
	       (unsigned long long)us, (unsigned long long)(us ? sent * 8000 / us : 0),
	       err ? err_name(err) : "none");
	close(s);
	return err ? 1 : 0;
}

static int do_recv(unsigned int port, uint64_t bytes, int idle_ms, int first_ms)
{
	static char buf[65536];
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint64_t got = 0, n = 0, first_len = 0, t_first = 0, t_last = 0, us;
	int s, err = 0;

	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof(me))) {
		printf("bench udp-recv port=%u error=%s\n", port, err_name(errno));
		return 1;
	}
	printf("bench udp-recv listening port=%u\n", port);
	fflush(stdout);
	while (got < bytes) {
		struct pollfd p = { .fd = s, .events = POLLIN };
		int r = poll(&p, 1, n ? idle_ms : first_ms);
		ssize_t len;

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!n)
				err = ETIMEDOUT;
			break;
		}
		len = recv(s, buf, sizeof(buf), 0);
		if (len < 0)
			continue;
		t_last = now_ns();
		if (!n) {
			t_first = t_last;
			first_len = (uint64_t)len;
		}
		got += (uint64_t)len;
		n++;
	}
	us = (t_last - t_first) / 1000;
	printf("bench udp-recv port=%u bytes=%llu datagrams=%llu time_us=%llu kbit_s=%llu "
	       "lost_pct=%llu error=%s\n", port, (unsigned long long)got, (unsigned long long)n,
	       (unsigned long long)us,
	       (unsigned long long)(us ? (got - first_len) * 8000 / us : 0),
	       (unsigned long long)(bytes > got ? (bytes - got) * 100 / bytes : 0),
	       err ? err_name(err) : "none");
	close(s);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "send"))
		return do_send(argv[2], (unsigned int)strtoul(argv[3], NULL, 0),
			       strtoull(argv[4], NULL, 0),
			       argc > 5 ? (unsigned int)strtoul(argv[5], NULL, 0) : SIZE_DEFAULT);
	if (argc >= 4 && !strcmp(argv[1], "recv"))
		return do_recv((unsigned int)strtoul(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
			       argc > 4 ? atoi(argv[4]) : 2000, argc > 5 ? atoi(argv[5]) : 30000);
	fprintf(stderr, "usage: bench-udp send A.B.C.D PORT BYTES [SIZE] | "
		"recv PORT BYTES [IDLE_MS [FIRST_MS]]\n");
	return 2;
}
