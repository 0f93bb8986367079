// SPDX-License-Identifier: MIT
/*
 * `blk soak <disk> <writes>` (serve mode; docs/suspend.md "Soak"): random 4 KiB writes (until
 * `blk soak <disk> stop` when <writes> is 0), each
 * read back and checked as soon as it completes, SOAK_SLOTS at a time, from the idle loop
 * (asynchronous requests: a save, a migration or a detach may come in the middle of any of
 * them); then every block written is read once more and must hold its last write. Each write
 * carries the block's number and its generation (how many times that block was written), so a
 * write lost, written twice out of order or landed elsewhere shows. It writes the disk: for
 * test disks. Lines:
 *   pvkit: blk soak <disk> started writes=N blocks=B
 *   pvkit: blk soak <disk> progress writes=N verified=N mismatches=M errors=E   (every 5 s)
 *   pvkit: blk soak <disk> done writes=N verified=N mismatches=M errors=E final=K/F ms=T
 * (final: blocks read in the last pass / of them wrong).
 */
#include <pvkit/blkdev.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/idle.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <string.h>
#include "blk_soak.h"

#define SOAK_SLOTS	4		/* requests in flight */
#define SOAK_BLOCKS	4096		/* the first 16 MiB of the disk */
#define SOAK_REPORT_NS	(5ull * 1000000000)	/* a progress line this often */
#define SOAK_UNKNOWN	UINT32_MAX	/* a write failed: what the block holds is not known */

enum soak_phase {
	SOAK_IDLE,			/* free for the next write */
	SOAK_WRITING,			/* the write in flight */
	SOAK_READING,			/* its read-back in flight */
	SOAK_FINAL,			/* a read of the last pass in flight */
};

struct soak_slot {
	struct blk_request rq;		/* in flight while busy */
	uint64_t frame;			/* the 4 KiB buffer */
	uint32_t block;			/* which block */
	uint32_t gen;			/* the generation written / expected */
	enum soak_phase phase;
	volatile bool busy;		/* the driver holds rq */
	volatile int status;		/* its completion */
};

static struct {
	struct blkdev *dev;		/* NULL: none running */
	char name[BLK_NAME_MAX];
	uint32_t blocks;		/* blocks in play (<= SOAK_BLOCKS, <= the disk) */
	uint64_t target, issued, verified, mismatches, errors;
	uint32_t next_final;		/* the last pass: next block to read */
	uint64_t final_read, final_bad;
	uint64_t rng, t0;
	uint64_t next_report;		/* pv_clock_ns() of the next progress line */
	bool final;			/* in the last pass */
	struct soak_slot slot[SOAK_SLOTS];
	uint32_t gen[SOAK_BLOCKS];	/* per block: its last good write (0: never written) */
	uint8_t busy_block[SOAK_BLOCKS];	/* a slot works on it */
} soak;

static void soak_done(struct blk_request *rq, int status)
{
	struct soak_slot *s = rq->ctx;

	s->status = status;
	WRITE_ONCE(s->busy, false);	/* the idle loop takes it from here */
}

/* The 4 KiB of @block's write number @gen: every 8-byte word names both, and its place. */
static void soak_fill(uint64_t *w, uint32_t block, uint32_t gen)
{
	for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
		w[i] = ((uint64_t)block << 32 | gen) ^ (i * 0x9e3779b97f4a7c15ull);
}

static bool soak_check(const uint64_t *w, uint32_t block, uint32_t gen)
{
	for (unsigned int i = 0; i < PAGE_SIZE / 8; i++)
		if (w[i] != (((uint64_t)block << 32 | gen) ^ (i * 0x9e3779b97f4a7c15ull)))
			return false;
	return true;
}

static int soak_submit(struct soak_slot *s, enum blk_op op)
{
	struct blk_request *rq = &s->rq;
	int err;

	memset(rq, 0, offsetof(struct blk_request, segs));
	rq->op = op;
	rq->sector = (uint64_t)s->block * 8;
	rq->nr_sectors = 8;
	rq->nr_segs = 1;
	rq->segs[0] = (struct blk_seg){ s->frame, 0, PAGE_SIZE };
	rq->done = soak_done;
	rq->ctx = s;
	s->busy = true;
	err = blkdev_submit(soak.dev, rq);
	if (err)
		s->busy = false;
	return err;
}

/* A random block no slot works on; the caller knows one is free (SOAK_SLOTS < blocks). */
static uint32_t soak_pick(void)
{
	uint32_t b;

	do {
		soak.rng = soak.rng * 6364136223846793005ull + 1442695040888963407ull;
		b = (uint32_t)((soak.rng >> 33) % soak.blocks);
	} while (soak.busy_block[b]);
	return b;
}

static void soak_mismatch(struct soak_slot *s, const char *when)
{
	const uint64_t *w = phys_to_virt(s->frame);

	if (++soak.mismatches <= 8)
		printk("pvkit: blk soak %s mismatch %s block=%u gen=%u found=%#lx\n", soak.name,
		       when, s->block, s->gen, (unsigned long)w[0]);
}

/* A slot's request completed: the next step of its write, or free. Returns work done. */
static unsigned int soak_step(struct soak_slot *s)
{
	int status = s->status;

	switch (s->phase) {
	case SOAK_WRITING:
		if (status) {
			soak.errors++;
			soak.gen[s->block] = SOAK_UNKNOWN;	/* written or not: unknown */
			break;
		}
		soak.gen[s->block] = s->gen;
		memset(phys_to_virt(s->frame), 0, PAGE_SIZE);
		if (soak_submit(s, BLK_READ)) {
			soak.errors++;
			break;
		}
		s->phase = SOAK_READING;
		return 1;
	case SOAK_READING:
		if (status)
			soak.errors++;
		else if (!soak_check(phys_to_virt(s->frame), s->block, s->gen))
			soak_mismatch(s, "read-back");
		else
			soak.verified++;
		break;
	case SOAK_FINAL:
		soak.final_read++;
		if (status) {
			soak.errors++;
		} else if (!soak_check(phys_to_virt(s->frame), s->block, s->gen)) {
			soak.final_bad++;
			soak_mismatch(s, "final");
		}
		break;
	case SOAK_IDLE:
		return 0;
	}
	soak.busy_block[s->block] = 0;
	s->phase = SOAK_IDLE;
	return 1;
}

/* An idle slot: the next write, or in the last pass the next block to read back. */
static unsigned int soak_start_one(struct soak_slot *s)
{
	int err;

	if (!soak.final) {
		if (soak.target && soak.issued >= soak.target)
			return 0;
		s->block = soak_pick();
		s->gen = soak.gen[s->block] == SOAK_UNKNOWN ? 1 : soak.gen[s->block] + 1;
		soak_fill(phys_to_virt(s->frame), s->block, s->gen);
		s->phase = SOAK_WRITING;
		soak.busy_block[s->block] = 1;
		err = soak_submit(s, BLK_WRITE);
		if (!err) {
			soak.issued++;
			return 1;
		}
	} else {
		while (soak.next_final < soak.blocks &&
		       (!soak.gen[soak.next_final] || soak.gen[soak.next_final] == SOAK_UNKNOWN))
			soak.next_final++;
		if (soak.next_final >= soak.blocks)
			return 0;
		s->block = soak.next_final;
		s->gen = soak.gen[s->block];
		memset(phys_to_virt(s->frame), 0, PAGE_SIZE);
		s->phase = SOAK_FINAL;
		soak.busy_block[s->block] = 1;
		err = soak_submit(s, BLK_READ);
		if (!err) {
			soak.next_final++;
			return 1;
		}
	}
	soak.busy_block[s->block] = 0;
	s->phase = SOAK_IDLE;
	if (err == -EBUSY)
		return 0;			/* full: a completion frees room */
	soak.errors++;
	if (err == -ENODEV) {			/* the disk went: the soak ends here */
		soak.target = soak.issued ? soak.issued : 1;
		soak.final = true;
		soak.next_final = soak.blocks;
	}
	return 1;
}

static void soak_free(void)
{
	for (unsigned int i = 0; i < SOAK_SLOTS; i++)
		if (soak.slot[i].frame)
			page_free(soak.slot[i].frame);
	soak.dev = NULL;
}

static unsigned int soak_poll(void)
{
	unsigned int work = 0, busy = 0;

	if (!soak.dev)
		return 0;
	for (unsigned int i = 0; i < SOAK_SLOTS; i++) {
		struct soak_slot *s = &soak.slot[i];

		if (READ_ONCE(s->busy)) {
			busy++;
			continue;
		}
		work += soak_step(s);
		if (s->phase == SOAK_IDLE)
			work += soak_start_one(s);
		busy += s->busy;
	}
	if (pv_clock_ns() >= soak.next_report) {
		soak.next_report = pv_clock_ns() + SOAK_REPORT_NS;
		printk("pvkit: blk soak %s progress writes=%lu verified=%lu mismatches=%lu "
		       "errors=%lu\n", soak.name, soak.issued, soak.verified, soak.mismatches,
		       soak.errors);
	}
	if (!soak.final && soak.target && soak.issued >= soak.target && !busy) {
		soak.final = true;		/* every write done: the last pass */
		work++;
	}
	if (soak.final && soak.next_final >= soak.blocks && !busy) {
		printk("pvkit: blk soak %s done writes=%lu verified=%lu mismatches=%lu errors=%lu "
		       "final=%lu/%lu ms=%lu\n", soak.name, soak.issued, soak.verified,
		       soak.mismatches, soak.errors, soak.final_read, soak.final_bad,
		       (pv_clock_ns() - soak.t0) / 1000000);
		soak_free();
		work++;
	}
	return work;
}

static struct os_poller soak_poller = { .name = "blk-soak", .poll = soak_poll };

void blk_soak_stop(struct blkdev *dev)
{
	unsigned long fl;

	if (!soak.dev || soak.dev != dev) {
		printk("pvkit: blk soak: none running on %s\n", dev->name);
		return;
	}
	fl = pv_irq_save();
	soak.target = soak.issued ? soak.issued : 1;	/* no more writes: the last pass */
	pv_irq_restore(fl);
	printk("pvkit: blk soak %s stopping after %lu writes\n", dev->name, soak.issued);
}

void blk_soak_start(struct blkdev *dev, uint64_t writes)
{
	if (soak.dev) {
		printk("pvkit: blk soak: already running on %s\n", soak.name);
		return;
	}
	if (dev->readonly || dev->sectors < 8 * 4 * SOAK_SLOTS) {
		printk("pvkit: blk soak: %s is read-only or too small\n", dev->name);
		return;
	}
	memset(&soak, 0, sizeof(soak));
	for (unsigned int i = 0; i < SOAK_SLOTS; i++)
		if (page_alloc(&soak.slot[i].frame)) {
			soak_free();
			printk("pvkit: blk soak: no memory\n");
			return;
		}
	soak.blocks = (uint32_t)MIN((uint64_t)SOAK_BLOCKS, dev->sectors / 8);
	soak.target = writes;
	soak.rng = pv_clock_ns() | 1;
	soak.t0 = pv_clock_ns();
	soak.next_report = soak.t0 + SOAK_REPORT_NS;
	memcpy(soak.name, dev->name, sizeof(soak.name));
	soak.dev = dev;
	os_poller_register(&soak_poller);
	printk("pvkit: blk soak %s started writes=%lu blocks=%u\n", dev->name, writes,
	       soak.blocks);
}
