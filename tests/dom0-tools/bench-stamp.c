// SPDX-License-Identifier: MIT
/*
 * bench-stamp: timestamp a DomU's console for `make bench`'s boot figure, on one clock for
 * every guest (dom0's CLOCK_MONOTONIC). Started by the bench hook's pre phase, just before
 * `xl create`; follows xenconsoled's log file of the domain (inotify, with a 20 ms poll as a
 * fallback) and writes each complete line as "<ms since start> <line>" to OUT. Ends when the
 * file STOP exists (after a last read) or after MAX_S seconds.
 *
 *   bench-stamp CONSOLE_LOG OUT STOP [MAX_S]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ull + ts.tv_nsec / 1000;
}

static char line[65536];
static size_t line_len;

/* Everything new in fd: complete lines stamped with the time they were seen. */
static void drain(int fd, FILE *out, uint64_t t0)
{
	char buf[8192];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		uint64_t t = now_us() - t0;

		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				if (line_len && line[line_len - 1] == '\r')
					line_len--;
				fprintf(out, "%llu.%03llu %.*s\n", (unsigned long long)(t / 1000),
					(unsigned long long)(t % 1000), (int)line_len, line);
				line_len = 0;
			} else if (buf[i] && line_len < sizeof(line) - 1) {
				line[line_len++] = buf[i];
			}
		}
	}
	fflush(out);
}

int main(int argc, char **argv)
{
	uint64_t t0 = now_us(), max_us;
	int fd, in;
	FILE *out;

	if (argc < 4) {
		fprintf(stderr, "usage: bench-stamp CONSOLE_LOG OUT STOP [MAX_S]\n");
		return 2;
	}
	max_us = (argc > 4 ? strtoull(argv[4], NULL, 0) : 600) * 1000000ull;
	fd = open(argv[1], O_RDONLY);
	out = fopen(argv[2], "w");
	if (fd < 0 || !out) {
		perror("bench-stamp");
		return 1;
	}
	fprintf(out, "0.000 bench-stamp: start\n");
	fflush(out);
	in = inotify_init1(IN_NONBLOCK);
	if (in >= 0 && inotify_add_watch(in, argv[1], IN_MODIFY) < 0) {
		close(in);
		in = -1;
	}
	for (;;) {
		struct pollfd p = { .fd = in, .events = POLLIN };
		char ev[4096];

		drain(fd, out, t0);
		if (access(argv[3], F_OK) == 0 || now_us() - t0 > max_us) {
			drain(fd, out, t0);
			break;
		}
		if (in >= 0) {
			if (poll(&p, 1, 20) > 0)
				while (read(in, ev, sizeof(ev)) > 0)
					;
		} else {
			usleep(20000);
		}
	}
	fclose(out);
	return 0;
}
