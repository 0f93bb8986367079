// SPDX-License-Identifier: MIT
/*
 * bench-udp: UDP throughput for `make bench`, in dom0 and in the Linux DomU. The pvkit guest's
 * side is `udp send` (kernel/net/net_main.c) and `bench udp-recv` (init/bench.c), which
 * measure the same way: the sender sends BYTES in SIZE-byte datagrams, as fast as it can or
 * paced at KBIT_S; the receiver times first to last datagram on its own clock, and counts what
 * arrived.
 *
 *   bench-udp send A.B.C.D PORT BYTES [SIZE [KBIT_S]]
 *   bench-udp recv PORT BYTES [IDLE_MS [FIRST_MS [RCVBUF]]]
 *
 * send: KBIT_S 0 (the default) sends as fast as the socket takes datagrams; otherwise datagram
 * i leaves no earlier than i * SIZE * 8 / KBIT_S ms after the first (an absolute schedule on
 * CLOCK_MONOTONIC, so a late wake-up is made up by the next datagrams, never accumulated).
 * recv: RCVBUF asks the socket for that receive buffer (SO_RCVBUF; Linux doubles the value for
 * its bookkeeping after capping it at net.core.rmem_max, so the caller raises rmem_max first).
 * The size the kernel granted (getsockopt: the doubled value) is printed; a grant below twice
 * RCVBUF is the error ENOBUFS, measured anyway, so the reader sees both. 0 (the default): the
 * kernel's default buffer.
 * It prints "bench udp-recv listening port=P rcvbuf=G" once bound, then ends when BYTES
 * arrived, or IDLE_MS (default 2000) after the last datagram, or FIRST_MS (default 30000)
 * without any. Lines:
 *   bench udp-send dst=A:P bytes=B datagrams=N time_us=T kbit_s=K pace_kbit_s=R sndbuf_errors=S
 *     error=none
 *   bench udp-recv port=P bytes=B datagrams=N time_us=T kbit_s=K lost_pct=L rcvbuf_asked=A
 *     rcvbuf=G rcvbuf_errors=E error=none
 * (recv's kbit_s counts the bytes after the first datagram over first-to-last time;
 * rcvbuf_errors is the growth of the host's Udp RcvbufErrors counter in /proc/net/snmp while
 * it ran, i.e. datagrams the kernel dropped because a socket buffer was full; send's
 * sndbuf_errors that of SndbufErrors: datagrams sendto() accepted but the kernel dropped on
 * the way out, a full device queue; -1 if unknown.)
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
#define KBIT_S_MAX	100000000ull	/* 100 Gbit/s: keeps the schedule's arithmetic in 64 bits */

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

/* The host's Udp counter @name (/proc/net/snmp: a header line, then a value line), -1 if
 * there is none. */
static long long udp_snmp(const char *name)
{
	char head[1024], val[1024];
	long long r = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		return -1;
	while (fgets(head, sizeof(head), f) && fgets(val, sizeof(val), f)) {
		char *hs, *vs, *h, *v;

		if (strncmp(head, "Udp:", 4) || strncmp(val, "Udp:", 4))
			continue;
		h = strtok_r(head, " \n", &hs);
		v = strtok_r(val, " \n", &vs);
		while (h && v) {
			if (!strcmp(h, name)) {
				r = atoll(v);
				break;
			}
			h = strtok_r(NULL, " \n", &hs);
			v = strtok_r(NULL, " \n", &vs);
		}
		break;
	}
	fclose(f);
	return r;
}

/* When the datagram after @sent bytes is due, in ns after the first, at @kbit_s. */
static uint64_t pace_due_ns(uint64_t sent, uint64_t kbit_s)
{
	/* sent * 8 bits / (kbit_s * 1000 bits/s), in ns; split so the product stays in range */
	return sent / kbit_s * 8000000ull + sent % kbit_s * 8000000ull / kbit_s;
}

static int do_send(const char *ip, unsigned int port, uint64_t bytes, unsigned int size,
		   uint64_t kbit_s)
{
	static char buf[65536];
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint64_t sent = 0, n = 0, t0, us;
	long long drops0, drops1;
	int s, err = 0;

	if (!inet_aton(ip, &to.sin_addr) || size < 8 || size > sizeof(buf) || kbit_s > KBIT_S_MAX)
		return 2;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		return 1;
	drops0 = udp_snmp("SndbufErrors");
	t0 = now_ns();
	while (sent < bytes) {
		size_t len = bytes - sent < size ? bytes - sent : size;

		if (kbit_s) {
			uint64_t due = t0 + pace_due_ns(sent, kbit_s);
			struct timespec ts = { .tv_sec = due / 1000000000ull,
					       .tv_nsec = due % 1000000000ull };

			if (now_ns() < due &&
			    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				continue;
		}
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
	drops1 = udp_snmp("SndbufErrors");
	printf("bench udp-send dst=%s:%u bytes=%llu datagrams=%llu time_us=%llu kbit_s=%llu "
	       "pace_kbit_s=%llu sndbuf_errors=%lld error=%s\n", ip, port,
	       (unsigned long long)sent, (unsigned long long)n, (unsigned long long)us,
	       (unsigned long long)(us ? sent * 8000 / us : 0), (unsigned long long)kbit_s,
	       drops0 < 0 || drops1 < 0 ? -1 : drops1 - drops0, err ? err_name(err) : "none");
	close(s);
	return err ? 1 : 0;
}

static int do_recv(unsigned int port, uint64_t bytes, int idle_ms, int first_ms, int rcvbuf)
{
	static char buf[65536];
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint64_t got = 0, n = 0, first_len = 0, t_first = 0, t_last = 0, us;
	long long drops0, drops1;
	int s, err = 0, granted = 0;
	socklen_t glen = sizeof(granted);

	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || (rcvbuf > 0 && setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf))) ||
	    getsockopt(s, SOL_SOCKET, SO_RCVBUF, &granted, &glen) ||
	    bind(s, (struct sockaddr *)&me, sizeof(me))) {
		printf("bench udp-recv port=%u error=%s\n", port, err_name(errno));
		return 1;
	}
	/* Linux keeps (and getsockopt reports) twice the value set, for its bookkeeping, after
	 * capping the value at rmem_max: anything under twice RCVBUF means the cap cut it. */
	if (rcvbuf > 0 && granted < 2ll * rcvbuf)
		err = ENOBUFS;
	printf("bench udp-recv listening port=%u rcvbuf=%d\n", port, granted);
	fflush(stdout);
	drops0 = udp_snmp("RcvbufErrors");
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
	drops1 = udp_snmp("RcvbufErrors");
	us = (t_last - t_first) / 1000;
	printf("bench udp-recv port=%u bytes=%llu datagrams=%llu time_us=%llu kbit_s=%llu "
	       "lost_pct=%llu rcvbuf_asked=%d rcvbuf=%d rcvbuf_errors=%lld error=%s\n", port,
	       (unsigned long long)got, (unsigned long long)n, (unsigned long long)us,
	       (unsigned long long)(us ? (got - first_len) * 8000 / us : 0),
	       (unsigned long long)(bytes > got ? (bytes - got) * 100 / bytes : 0),
	       rcvbuf, granted, drops0 < 0 || drops1 < 0 ? -1 : drops1 - drops0,
	       err ? err_name(err) : "none");
	close(s);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && argc <= 7 && !strcmp(argv[1], "send"))
		return do_send(argv[2], (unsigned int)strtoul(argv[3], NULL, 0),
			       strtoull(argv[4], NULL, 0),
			       argc > 5 ? (unsigned int)strtoul(argv[5], NULL, 0) : SIZE_DEFAULT,
			       argc > 6 ? strtoull(argv[6], NULL, 0) : 0);
	if (argc >= 4 && argc <= 7 && !strcmp(argv[1], "recv"))
		return do_recv((unsigned int)strtoul(argv[2], NULL, 0), strtoull(argv[3], NULL, 0),
			       argc > 4 ? atoi(argv[4]) : 2000, argc > 5 ? atoi(argv[5]) : 30000,
			       argc > 6 ? atoi(argv[6]) : 0);
	fprintf(stderr, "usage: bench-udp send A.B.C.D PORT BYTES [SIZE [KBIT_S]] | "
		"recv PORT BYTES [IDLE_MS [FIRST_MS [RCVBUF]]]\n");
	return 2;
}
