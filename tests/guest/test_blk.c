// SPDX-License-Identifier: MIT
/*
 * The data-integrity workload, the same on every disk and in every environment (blkfront under
 * Xen, virtio-blk natively), on each writable disk the command line describes (selftest.h:
 * pvkit.virtio_blk=, pvkit.xen_blk=; any other disk is someone's and is not written): every
 * sector of the first 64 MiB gets a pattern that encodes its own number and a seed, written in
 * shuffled requests of 512 B to 1 MiB with several in flight (so they may complete out of
 * order), flushed, read back with a different chunking and verified. The MD5 of what was
 * written is printed, computed from the pattern, not from the disk: dom0 checks the image file
 * against it after the domain is gone.
 *   pvkit: blk xvda integrity seed=<n> sectors=<n> md5=<hex> writes=<n> reads=<n> ooo=<n>
 * A read-only disk must refuse a write with an error, and the guest carries on.
 */
#include <pvkit/blkdev.h>
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/md5.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/timer.h>
#include <string.h>

#define SPAN_MAX_SECTORS	(64u << 20 >> 9)	/* the first 64 MiB */
#define SLOTS			8			/* requests in flight at most */
#define SLOT_PAGES		256			/* 1 MiB per request */
#define SECTORS_PER_PAGE	(PAGE_SIZE / 512)
#define MAGIC			"PVKITBLK"
#define IO_TIMEOUT_NS		(120ull * 1000000000)

/* Request sizes in sectors: 512 B up to 1 MiB, odd ones included. */
static const uint32_t sizes[] = { 1, 2, 3, 7, 8, 9, 16, 31, 64, 100, 255, 256, 512, 1000, 2048 };

struct chunk {
	uint32_t sector;		/* first sector */
	uint32_t count;			/* sectors */
};

struct slot {
	struct blk_request rq;		/* the request in flight */
	uint64_t frames[SLOT_PAGES];	/* its data: page_alloc frames, one segment each */
	struct chunk chunk;		/* what it covers */
	uint32_t seq;			/* submission order, to notice out-of-order completion */
	volatile bool busy;		/* submitted, not completed */
	volatile int status;		/* the completion's */
};

static struct slot slots[SLOTS];
static struct chunk chunks[SPAN_MAX_SECTORS];	/* at most one per sector */
static volatile uint32_t completions, last_seq_done, out_of_order;
static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Sector @sector's contents for @seed: a header naming both, then a stream only they make. */
static void pattern(uint8_t *p, uint64_t sector, uint64_t seed)
{
	uint64_t x = seed ^ (sector * 0x9e3779b97f4a7c15ull) ^ 0x6a09e667f3bcc909ull;

	memcpy(p, MAGIC, 8);
	memcpy(p + 8, &sector, 8);
	memcpy(p + 16, &seed, 8);
	for (unsigned int i = 24; i < 512; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
}

static uint8_t *slot_sector(struct slot *s, uint32_t i)
{
	return (uint8_t *)phys_to_virt(s->frames[i / SECTORS_PER_PAGE]) + (i % SECTORS_PER_PAGE) * 512;
}

static void slot_done(struct blk_request *rq, int status)
{
	struct slot *s = rq->ctx;

	if (s->seq < last_seq_done)
		out_of_order++;
	else
		last_seq_done = s->seq;
	s->status = status;
	barrier();
	s->busy = false;
	completions++;
}

static bool slot_free(void *ctx)
{
	struct slot **found = ctx;

	for (unsigned int i = 0; i < SLOTS; i++) {
		if (!slots[i].busy) {
			*found = &slots[i];
			return true;
		}
	}
	return false;
}

static bool all_idle(void *ctx)
{
	for (unsigned int i = 0; i < SLOTS; i++)
		if (slots[i].busy)
			return false;
	return true;
}

static int slots_alloc(void)
{
	for (unsigned int i = 0; i < SLOTS; i++)
		for (unsigned int j = 0; j < SLOT_PAGES; j++)
			if (page_alloc(&slots[i].frames[j]))
				return -ENOMEM;
	return 0;
}

static void slots_free(void)
{
	for (unsigned int i = 0; i < SLOTS; i++)
		for (unsigned int j = 0; j < SLOT_PAGES; j++)
			if (slots[i].frames[j]) {
				page_free(slots[i].frames[j]);
				slots[i].frames[j] = 0;
			}
}

/* Cut [0, span) into chunks of the listed sizes (max_sectors at most), in shuffled order. */
static uint32_t make_chunks(uint32_t span, uint32_t max_sectors, uint32_t per_sector,
			    bool shuffle)
{
	uint32_t n = 0;

	for (uint32_t at = 0; at < span; n++) {
		uint32_t c = sizes[rng() % ARRAY_SIZE(sizes)];

		c = MIN(ALIGN_UP(c, per_sector), max_sectors);
		c = MIN(c, span - at);
		chunks[n].sector = at;
		chunks[n].count = c;
		at += c;
	}
	for (uint32_t i = n; shuffle && i > 1; i--) {
		uint32_t j = rng() % i;
		struct chunk t = chunks[i - 1];

		chunks[i - 1] = chunks[j];
		chunks[j] = t;
	}
	return n;
}

/* Fill a slot's request for @c (writes: with the pattern) and submit it, waiting for room. */
static int submit_chunk(struct blkdev *dev, struct slot *s, struct chunk c, bool write,
			uint64_t seed, uint32_t seq)
{
	struct blk_request *rq = &s->rq;
	uint32_t pages = DIV_ROUND_UP(c.count, SECTORS_PER_PAGE);
	int err;

	memset(rq, 0, offsetof(struct blk_request, segs));
	rq->op = write ? BLK_WRITE : BLK_READ;
	rq->sector = c.sector;
	rq->nr_sectors = c.count;
	rq->nr_segs = pages;
	rq->done = slot_done;
	rq->ctx = s;
	for (uint32_t i = 0; i < pages; i++) {
		rq->segs[i].pa = s->frames[i];
		rq->segs[i].offset = 0;
		rq->segs[i].len = MIN(c.count - i * SECTORS_PER_PAGE, SECTORS_PER_PAGE) * 512;
	}
	if (write)
		for (uint32_t i = 0; i < c.count; i++)
			pattern(slot_sector(s, i), c.sector + i, seed);
	s->chunk = c;
	s->seq = seq;
	s->status = 0;
	s->busy = true;
	while ((err = blkdev_submit(dev, rq)) == -EBUSY) {	/* full: wait for a completion */
		uint32_t before = completions;

		pv_irq_disable();
		if (completions == before)
			pv_safe_halt();
		pv_irq_enable();
	}
	if (err)
		s->busy = false;
	return err;
}

/*
 * What a sector that did not read back holds instead, for the log: another sector's pattern
 * (misdirected I/O, or a buffer mixed up), this sector's with another seed (stale data),
 * zeros (never written), or something else (torn or foreign). With the slot and the run of
 * bad sectors around it, a failure says where to look; dom0 prints the image's copy too.
 */
static void report_mismatch(const struct blkdev *dev, struct slot *s, uint32_t first,
			    uint64_t seed)
{
	const uint8_t *p = slot_sector(s, first);
	uint64_t sector, sseed;
	uint32_t bad = 0, zero = 1, last = first;
	static uint8_t want[512];

	for (uint32_t i = first; i < s->chunk.count; i++) {
		pattern(want, s->chunk.sector + i, seed);
		if (memcmp(slot_sector(s, i), want, 512)) {
			bad++;
			last = i;
		}
	}
	for (unsigned int i = 0; i < 512 && zero; i++)
		zero = !p[i];
	memcpy(&sector, p + 8, 8);
	memcpy(&sseed, p + 16, 8);
	printk("pvkit: blk %s mismatch sector=%lu seed=%lu chunk=%u+%u slot=%ld page=%u "
	       "offset=%u bad=%u last_bad=%u\n", dev->name, (unsigned long)s->chunk.sector + first,
	       (unsigned long)seed, s->chunk.sector, s->chunk.count, (long)(s - slots),
	       first / SECTORS_PER_PAGE, first % SECTORS_PER_PAGE * 512, bad,
	       s->chunk.sector + last);
	if (zero)
		printk("#   it holds zeros\n");
	else if (!memcmp(p, MAGIC, 8))
		printk("#   it holds the pattern of sector %lu, seed %lu%s\n", (unsigned long)sector,
		       (unsigned long)sseed, sseed == seed ? "" : " (another seed)");
	else
		printk("#   it holds no pattern header: %02x %02x %02x %02x %02x %02x %02x %02x\n",
		       p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]);
}

static int verify_slot(const struct blkdev *dev, struct slot *s, uint64_t seed,
		       uint64_t *bad_sector)
{
	static uint8_t want[512];

	for (uint32_t i = 0; i < s->chunk.count; i++) {
		pattern(want, s->chunk.sector + i, seed);
		if (memcmp(slot_sector(s, i), want, 512)) {
			*bad_sector = s->chunk.sector + i;
			report_mismatch(dev, s, i, seed);
			return -EIO;
		}
	}
	return 0;
}

/* One pass over the chunks: write them all, or read and verify them all. */
static int run_pass(struct blkdev *dev, uint32_t n, bool write, uint64_t seed,
		    uint64_t *bad_sector)
{
	int err = 0;

	last_seq_done = 0;
	for (uint32_t i = 0; i < n && !err; i++) {
		struct slot *s = NULL;

		if (os_wait_until(slot_free, &s, IO_TIMEOUT_NS))
			return -ETIMEDOUT;
		if (!write && s->chunk.count && s->status == 0 && s->rq.op == BLK_READ)
			err = verify_slot(dev, s, seed, bad_sector);
		if (!err && s->status)
			err = s->status;
		if (!err)
			err = submit_chunk(dev, s, chunks[i], write, seed, i + 1);
	}
	if (os_wait_until(all_idle, NULL, IO_TIMEOUT_NS))
		return -ETIMEDOUT;
	for (unsigned int i = 0; i < SLOTS && !err; i++) {
		struct slot *s = &slots[i];

		if (s->status)
			err = s->status;
		else if (!write && s->chunk.count && s->rq.op == BLK_READ)
			err = verify_slot(dev, s, seed, bad_sector);
		s->chunk.count = 0;
	}
	return err;
}

static void span_md5(uint32_t span, uint64_t seed, char hex[33])
{
	static uint8_t sec[512];
	struct md5_ctx c;
	uint8_t d[16];

	md5_init(&c);
	for (uint32_t s = 0; s < span; s++) {
		pattern(sec, s, seed);
		md5_update(&c, sec, 512);
	}
	md5_final(&c, d);
	md5_hex(d, hex);
}

const char *selftest_disks_opt(const struct boot_info *bi)
{
	return bi->env == BOOT_NATIVE ? SELFTEST_VIRTIO_DISKS_OPT : SELFTEST_XEN_DISKS_OPT;
}

unsigned int selftest_disks_described(const struct boot_info *bi, char modes[26])
{
	char val[128], *p = val;
	unsigned int n = 0;

	if (cmdline_get(bi->cmdline, selftest_disks_opt(bi), val, sizeof(val)))
		return 0;
	while (n < 26) {
		size_t len = strcspn(p, ",");

		/* Anything but rw or ro keeps its place (the disk is then not described). */
		modes[n++] = len != 2 ? 0 : !strncmp(p, "rw", 2) ? 'w' : !strncmp(p, "ro", 2) ? 'o' : 0;
		if (!p[len])
			break;
		p += len + 1;
	}
	return n;
}

char selftest_disk_mode(const struct boot_info *bi, const struct blkdev *d)
{
	/* Natively every disk is a virtio disk, named vda, vdb, ... in the order they were
	 * found; under Xen a vbd is xvda, xvdb, ... by its vdev (blkfront_vdev_name). */
	const char *prefix = bi->env == BOOT_NATIVE ? "vd" : "xvd";
	size_t len = strlen(prefix);
	char modes[26], letter;
	unsigned int n;

	if (strlen(d->name) != len + 1 || strncmp(d->name, prefix, len))
		return 0;
	letter = d->name[len];
	n = selftest_disks_described(bi, modes);
	if (letter < 'a' || (unsigned int)(letter - 'a') >= n)
		return 0;
	return modes[letter - 'a'];
}

static uint64_t workload_seed(const struct boot_info *bi)
{
	unsigned long seed;
	uint64_t sec = 0;
	uint32_t ns = 0;

	if (!cmdline_get_ulong(bi->cmdline, "pvkit.blk_seed", &seed))
		return seed;
	pv_wallclock(&sec, &ns);
	return (sec * 1000000000ull + ns) ^ pv_clock_ns();
}

static int integrity(struct blkdev *dev, uint64_t seed)
{
	uint32_t per_sector = dev->sector_size / 512;
	uint32_t span = (uint32_t)MIN(dev->sectors, (uint64_t)SPAN_MAX_SECTORS);
	uint32_t max_sectors = MIN(dev->max_segs, (uint32_t)SLOT_PAGES) * SECTORS_PER_PAGE;
	uint32_t writes, reads;
	uint64_t bad = 0;
	char md5[33];
	int err;

	span = ALIGN_DOWN(span, per_sector);
	rng_state = seed | 1;
	writes = make_chunks(span, max_sectors, per_sector, true);
	out_of_order = 0;
	err = run_pass(dev, writes, true, seed, &bad);
	ST_CHECK(!err, "%s: writing: %d (-%s)", dev->name, err, strerror_name(err));
	err = dev->features.flush ? blkdev_flush(dev) : 0;
	ST_CHECK(!err, "%s: flush: %d", dev->name, err);
	reads = make_chunks(span, max_sectors, per_sector, true);	/* another cut */
	err = run_pass(dev, reads, false, seed, &bad);
	ST_CHECK(err != -EIO, "%s: sector %lu does not read back as written", dev->name, bad);
	ST_CHECK(!err, "%s: reading: %d (-%s)", dev->name, err, strerror_name(err));
	span_md5(span, seed, md5);
	printk("pvkit: blk %s integrity seed=%lu sectors=%u md5=%s writes=%u reads=%u ooo=%u\n",
	       dev->name, seed, span, md5, writes, reads, out_of_order);
	return 0;
}

static int test_blk_integrity(const struct boot_info *bi)
{
	uint64_t seed = workload_seed(bi);
	unsigned int disks = 0;
	int err = 0;

	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d)) {
		if (d->readonly || d->sectors < 2048)
			continue;
		if (selftest_disk_mode(bi, d) != 'w') {
			printk("#   %s: not described by %s=: not written\n", d->name,
			       selftest_disks_opt(bi));
			continue;
		}
		if (!disks && slots_alloc()) {
			slots_free();
			ST_CHECK(false, "no memory for %u MiB of buffers", SLOTS * SLOT_PAGES / 256);
		}
		disks++;
		err = integrity(d, seed + disks);
		if (err)
			break;
	}
	if (disks)
		slots_free();
	if (!disks)
		printk("#   no writable disk\n");
	return err ? err : disks ? 0 : ST_SKIPPED;
}

static int test_blk_readonly(const struct boot_info *bi)
{
	static uint8_t buf[4096] __aligned(4096);
	unsigned int disks = 0;

	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d)) {
		int err;

		if (!d->readonly || selftest_disk_mode(bi, d) != 'o')
			continue;
		disks++;
		err = blkdev_read(d, 0, buf, 8);
		ST_CHECK(!err, "%s: reading a read-only disk failed: %d", d->name, err);
		err = blkdev_write(d, 0, buf, 8);
		ST_CHECK(err == -EROFS, "%s: a write to a read-only disk gave %d, not -EROFS",
			 d->name, err);
		err = blkdev_read(d, 8, buf, 8);
		ST_CHECK(!err, "%s: the disk is unusable after the refused write: %d", d->name,
			 err);
		printk("#   %s: write refused (-EROFS), reads still work\n", d->name);
	}
	return disks ? 0 : ST_SKIPPED;
}

static const struct selftest blk_tests[] = {
	{ test_blk_integrity, "blk: 64 MiB pattern written in mixed requests, flushed, verified",
	  ST_ALL },
	{ test_blk_readonly, "blk: a read-only disk refuses writes and keeps working", ST_ALL },
};
SELFTEST_TABLE(70, blk_tests);
