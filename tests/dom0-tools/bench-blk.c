// SPDX-License-Identifier: MIT
/*
 * bench-blk: block throughput and IOPS for `make bench`, the Linux side (in the Linux DomU on
 * /dev/xvda, and in dom0 on the backing loop device as the upper bound). The same work as the
 * pvkit guest's `bench blk` (init/bench.c): O_DIRECT, requests kept in flight with Linux AIO
 * (io_setup/io_submit/io_getevents as raw syscalls; no libaio), sequential or random 4 KiB
 * aligned offsets from the same generator and seed.
 *
 *   bench-blk DEV seq-read|seq-write|rand-read|rand-write QD BYTES REQ_BYTES [SPAN_BYTES]
 *
 * prints one line:
 *   bench blk dev=D op=O qd=N req=R bytes=B ops=N time_us=T MBps=M iops=I error=none
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define QD_MAX		64
#define ALIGN		4096u

static int io_setup_(unsigned int n, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, n, ctx);
}

static int io_submit_(aio_context_t ctx, long n, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, n, iocbs);
}

static int io_getevents_(aio_context_t ctx, long min, long max, struct io_event *ev)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* The offset generator shared with init/bench.c: a 64-bit LCG, 4 KiB-aligned offsets. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t next_offset(int random, uint64_t i, uint64_t req, uint64_t span)
{
	if (!random)
		return (i * req) % span;
	rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
	return ((rng_state >> 20) % (span / req)) * req;
}

/* An error as one token (the line is parsed as key=value pairs). */
static const char *err_name(int e)
{
	static char b[64];
	char *p;

	snprintf(b, sizeof(b), "%s", strerror(e));
	for (p = b; *p; p++)
		if (*p == ' ')
			*p = '-';
	return b;
}

static int usage(void)
{
	fprintf(stderr, "usage: bench-blk DEV seq-read|seq-write|rand-read|rand-write QD BYTES "
		"REQ_BYTES [SPAN_BYTES]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct iocb cbs[QD_MAX];
	struct iocb *list[QD_MAX];
	struct io_event ev[QD_MAX];
	aio_context_t ctx = 0;
	uint64_t bytes, req, span = 0, ops, issued = 0, done = 0, t0, t;
	unsigned int qd, inflight = 0;
	int fd, write, random, err = 0;
	char *buf;
	const char *op;

	if (argc < 6)
		return usage();
	op = argv[2];
	write = !strcmp(op, "seq-write") || !strcmp(op, "rand-write");
	random = !strncmp(op, "rand-", 5);
	if (!write && strcmp(op, "seq-read") && strcmp(op, "rand-read"))
		return usage();
	qd = (unsigned int)strtoul(argv[3], NULL, 0);
	bytes = strtoull(argv[4], NULL, 0);
	req = strtoull(argv[5], NULL, 0);
	if (argc > 6)
		span = strtoull(argv[6], NULL, 0);
	if (!qd || qd > QD_MAX || !req || req % ALIGN || bytes % req)
		return usage();
	fd = open(argv[1], (write ? O_RDWR : O_RDONLY) | O_DIRECT);
	if (fd < 0) {
		printf("bench blk dev=%s op=%s error=open:%s\n", argv[1], op, err_name(errno));
		return 1;
	}
	if (!span) {
		uint64_t sz = 0;

		if (ioctl(fd, BLKGETSIZE64, &sz))
			sz = (uint64_t)lseek(fd, 0, SEEK_END);
		span = sz;
	}
	span -= span % req;
	if (span < req) {
		printf("bench blk dev=%s op=%s error=too-small\n", argv[1], op);
		return 1;
	}
	if (posix_memalign((void **)&buf, ALIGN, req * qd))
		return 1;
	for (uint64_t i = 0; i < req * qd; i++)
		buf[i] = (char)(i * 131 >> 3);
	if (io_setup_(qd, &ctx)) {
		printf("bench blk dev=%s op=%s error=io_setup:%s\n", argv[1], op, err_name(errno));
		return 1;
	}
	ops = bytes / req;
	t0 = now_ns();
	while (done < ops && !err) {
		unsigned int n = 0;
		int got;

		for (unsigned int s = 0; s < qd && issued < ops && inflight + n < qd; s++) {
			struct iocb *cb = &cbs[s];

			if (cb->aio_data)		/* slot busy */
				continue;
			memset(cb, 0, sizeof(*cb));
			cb->aio_data = s + 1;
			cb->aio_fildes = fd;
			cb->aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
			cb->aio_buf = (uint64_t)(uintptr_t)(buf + s * req);
			cb->aio_nbytes = req;
			cb->aio_offset = next_offset(random, issued, req, span);
			list[n++] = cb;
			issued++;
		}
		if (n) {
			int k = io_submit_(ctx, n, list);

			if (k != (int)n) {
				err = k < 0 ? errno : EAGAIN;
				break;
			}
			inflight += n;
		}
		got = io_getevents_(ctx, 1, QD_MAX, ev);
		if (got < 0) {
			if (errno == EINTR)
				continue;
			err = errno;
			break;
		}
		for (int i = 0; i < got; i++) {
			struct iocb *cb = (struct iocb *)(uintptr_t)ev[i].obj;

			if (ev[i].res != (int64_t)req)
				err = ev[i].res < 0 ? (int)-ev[i].res : EIO;
			cb->aio_data = 0;
			inflight--;
			done++;
		}
	}
	if (write && !err && fdatasync(fd))
		err = errno;
	t = (now_ns() - t0) / 1000;
	if (!t)
		t = 1;
	printf("bench blk dev=%s op=%s qd=%u req=%llu bytes=%llu ops=%llu time_us=%llu MBps=%llu "
	       "iops=%llu error=%s\n", argv[1], op, qd, (unsigned long long)req,
	       (unsigned long long)(done * req), (unsigned long long)done, (unsigned long long)t,
	       (unsigned long long)(done * req / t), (unsigned long long)(done * 1000000 / t),
	       err ? err_name(err) : "none");
	close(fd);
	return err ? 1 : 0;
}
