// SPDX-License-Identifier: MIT
/*
 * The "blk" console command (serve mode), the tools the Xen disk cases drive
 * (tests/xen/blk-detach.sh, blk-silent.sh) and a person can use on any disk:
 *   blk list            every disk: name, size, read-only
 *   blk stress <disk>   keep 8 random 64 KiB reads and writes in flight (smaller if the disk
 *                       takes fewer segments, e.g. renegotiated after a resume) until
 *                       `blk stop` or until the disk goes away; then one line with the
 *                       completions by status
 *   blk stop <disk>     stop the stress (the report follows once nothing is in flight)
 *   blk verify          the integrity workload of the self-tests (tests/guest/test_blk.c)
 *   blk soak <disk> <n> n random 4 KiB writes (0: until `blk soak <disk> stop`), each read
 *                       back and checked, then a last pass over every block written
 *                       (init/blk_soak.c)
 *   blk stats <disk>    a Xen disk's negotiated features and counters (blkfront)
 * stress and verify WRITE to the disk: they are for test disks.
 */
#include <pvkit/blkdev.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/idle.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include "serve.h"
#include <string.h>
#include "blk_soak.h"
#ifdef CONFIG_SELFTEST
#include "selftest.h"
#endif
#ifdef CONFIG_XEN_BLKFRONT
#include <pvkit/xen/blkfront.h>
#endif

#define STRESS_SLOTS	8
#define STRESS_PAGES	16			/* 64 KiB a request */

static struct {
	struct blkdev *dev;			/* the disk under load; NULL: none */
	char name[BLK_NAME_MAX];		/* its name, for the report after it went */
	bool stopping;				/* no more submits: the disk went, or `blk stop` */
	bool asked;				/* `blk stop` asked for it (else the disk went) */
	uint64_t rng;				/* LCG state: offsets and read/write */
	struct {
		struct blk_request rq;		/* in flight or idle */
		uint64_t frames[STRESS_PAGES];	/* its data, one page per segment */
		volatile bool busy;		/* the driver holds rq */
	} slot[STRESS_SLOTS];
	volatile uint64_t ok, eio, enodev, timedout, other;	/* completions by status */
	uint64_t refused, submitted;		/* submits that failed / passed */
} stress;

static int stress_submit(unsigned int i);

/* Interrupt context: a request that went well is replaced at once, so requests stay in
 * flight even while the idle loop waits (e.g. for xenstore, reading the backend's state). */
static void stress_done(struct blk_request *rq, int status)
{
	unsigned int i = (unsigned int)(uintptr_t)rq->ctx;

	if (!status)
		stress.ok++;
	else if (status == -EIO)
		stress.eio++;
	else if (status == -ENODEV)
		stress.enodev++;
	else if (status == -ETIMEDOUT)
		stress.timedout++;	/* the backend went silent: submitted again, as any user would */
	else
		stress.other++;
	if (status || stress.stopping || stress_submit(i))
		stress.slot[i].busy = false;	/* the idle loop takes over */
}

static void stress_free(void)
{
	for (unsigned int i = 0; i < STRESS_SLOTS; i++)
		for (unsigned int j = 0; j < STRESS_PAGES; j++)
			if (stress.slot[i].frames[j]) {
				page_free(stress.slot[i].frames[j]);
				stress.slot[i].frames[j] = 0;
			}
}

/* Slot @i: a random 64 KiB read or write. 0, or the submit's error (the slot is then idle). */
static int stress_submit(unsigned int i)
{
	struct blk_request *rq = &stress.slot[i].rq;
	uint64_t span = stress.dev->sectors - STRESS_PAGES * 8;
	/* What the disk takes now: a Xen disk renegotiates after a resume (a new backend may
	 * take fewer segments); requests accepted before keep going whole. */
	uint32_t pages = MIN((uint32_t)STRESS_PAGES, stress.dev->max_segs);
	int err;

	stress.rng = stress.rng * 6364136223846793005ull + 1442695040888963407ull;
	memset(rq, 0, offsetof(struct blk_request, segs));
	rq->op = (stress.rng >> 33) & 1 ? BLK_WRITE : BLK_READ;
	rq->sector = ALIGN_DOWN((stress.rng >> 20) % span, 8);
	rq->nr_sectors = pages * 8;
	rq->nr_segs = pages;
	rq->done = stress_done;
	rq->ctx = (void *)(uintptr_t)i;
	for (unsigned int j = 0; j < pages; j++)
		rq->segs[j] = (struct blk_seg){ stress.slot[i].frames[j], 0, PAGE_SIZE };
	stress.slot[i].busy = true;
	err = blkdev_submit(stress.dev, rq);
	if (!err) {
		stress.submitted++;
	} else if (err != -EBUSY) {
		stress.refused++;
		if (!stress.stopping)
			printk("pvkit: blk stress %s: submit refused (%d): the disk is gone\n",
			       stress.name, err);
		stress.stopping = true;
	}
	return err;
}

/* The idle loop fills idle slots, and reports once stopped (the disk went, or `blk stop`) and
 * nothing is in flight. */
static unsigned int stress_poll(void)
{
	unsigned int work = 0, busy = 0;
	unsigned long fl;

	if (!stress.dev)
		return 0;
	for (unsigned int i = 0; i < STRESS_SLOTS; i++) {
		fl = pv_irq_save();
		if (!stress.slot[i].busy && !stress.stopping) {
			work++;
			if (stress_submit(i))
				stress.slot[i].busy = false;
		}
		busy += stress.slot[i].busy;
		pv_irq_restore(fl);
	}
	if (stress.stopping && !busy) {
		printk("pvkit: blk stress %s stopped: completed=%lu failed-eio=%lu "
		       "failed-enodev=%lu timed-out=%lu other=%lu refused=%lu: %s\n", stress.name,
		       stress.ok, stress.eio, stress.enodev, stress.timedout, stress.other,
		       stress.refused, stress.asked ? "as asked" :
		       "requests in flight when the disk went away completed with errors");
		stress_free();
		stress.dev = NULL;
		work++;
	}
	return work;
}

static struct os_poller stress_poller = { .name = "blk-stress", .poll = stress_poll };

static void cmd_stress(struct blkdev *dev)
{
	if (stress.dev) {
		printk("pvkit: blk stress: already running on %s\n", stress.name);
		return;
	}
	if (dev->readonly || dev->sectors < 4 * STRESS_PAGES * 8) {
		printk("pvkit: blk stress: %s is read-only or too small\n", dev->name);
		return;
	}
	memset(&stress, 0, sizeof(stress));
	for (unsigned int i = 0; i < STRESS_SLOTS; i++)
		for (unsigned int j = 0; j < STRESS_PAGES; j++)
			if (page_alloc(&stress.slot[i].frames[j])) {
				stress_free();
				printk("pvkit: blk stress: no memory\n");
				return;
			}
	stress.rng = pv_clock_ns() | 1;
	memcpy(stress.name, dev->name, sizeof(stress.name));
	stress.dev = dev;
	os_poller_register(&stress_poller);
	printk("pvkit: blk stress %s started: %u requests of %u KiB in flight\n", dev->name,
	       STRESS_SLOTS, STRESS_PAGES * 4);
}

/* No more submits on the stressed disk; the idle loop reports once the last one is back. */
static void cmd_stop(struct blkdev *dev)
{
	unsigned long fl;

	if (!stress.dev || stress.dev != dev) {
		printk("pvkit: blk stop: no stress running on %s\n", dev->name);
		return;
	}
	fl = pv_irq_save();
	stress.asked = !stress.stopping;
	stress.stopping = true;
	pv_irq_restore(fl);
	printk("pvkit: blk stress %s stopping\n", dev->name);
}

/* The integrity workload of the self-tests (test_blk.c) on every disk the tests may write, the
 * new ones too. */
static void cmd_verify(void)
{
#ifdef CONFIG_SELFTEST
	extern const struct selftest_table __selftest_tables_start[], __selftest_tables_end[];

	for (const struct selftest_table *t = __selftest_tables_start; t < __selftest_tables_end;
	     t++) {
		for (unsigned int i = 0; i < t->count; i++) {
			int err;

			if (strncmp(t->tests[i].name, "blk: 64 MiB pattern", 19))
				continue;
			err = t->tests[i].fn(serve_boot_info());
			printk("pvkit: blk verify: %s (%d)\n", err ? "FAILED" : "passed", err);
			return;
		}
	}
#endif
	printk("pvkit: blk verify: the integrity workload is not built in\n");
}

static void cmd_stats(struct blkdev *dev)
{
#ifdef CONFIG_XEN_BLKFRONT
	struct blkfront_stats st;

	if (!blkfront_get_stats(dev, &st)) {
		printk("pvkit: blk stats %s queues=%u ring-pages=%u persistent=%d indirect=%u "
		       "submitted=%lu failed=%lu failed-in-flight=%lu rejected=%lu timeouts=%lu "
		       "late=%lu timeout-s=%lu broken=%d grants=%lu/%lu\n",
		       dev->name, st.queues, st.ring_pages, st.persistent, st.indirect_segs,
		       st.submitted[0] + st.submitted[1] + st.submitted[2] + st.submitted[3],
		       st.failed, st.failed_in_flight, st.bad_id + st.not_in_flight + st.bad_op +
		       st.bad_status + st.ring_errors, st.timeouts, st.late_responses,
		       (unsigned long)(st.timeout_ns / 1000000000), st.broken, st.grants,
		       st.grant_ends);
		return;
	}
#endif
	printk("pvkit: blk stats %s: not a blkfront disk\n", dev->name);
}

static void cmd_blk(const char *args)
{
	char verb[16] = "", name[BLK_NAME_MAX] = "";
	size_t n = strcspn(args, " "), m;
	const char *rest = "";
	struct blkdev *dev;

	snprintf(verb, sizeof(verb), "%.*s", (int)n, args);
	if (args[n]) {
		m = strcspn(args + n + 1, " ");
		snprintf(name, sizeof(name), "%.*s", (int)m, args + n + 1);
		rest = args + n + 1 + m;
		while (*rest == ' ')
			rest++;
	}
	if (!strcmp(verb, "list")) {
		for (dev = blkdev_first(); dev; dev = blkdev_next(dev))
			printk("pvkit: blk list %s sectors=%lu ro=%d\n", dev->name, dev->sectors,
			       dev->readonly);
		printk("pvkit: blk list end\n");
		return;
	}
	if (!strcmp(verb, "verify")) {
		cmd_verify();
		return;
	}
	dev = blkdev_find(name);
	if (!dev) {
		printk("pvkit: blk %s: no disk \"%s\"\n", verb, name);
		return;
	}
	if (!strcmp(verb, "soak")) {
		uint64_t writes = 0;
		const char *p = rest;

		if (!strcmp(rest, "stop")) {
			blk_soak_stop(dev);
			return;
		}
		for (; *p >= '0' && *p <= '9' && writes < (1ull << 40); p++)
			writes = writes * 10 + (uint64_t)(*p - '0');
		if (*p || p == rest)
			printk("pvkit: blk soak: soak <disk> <writes, 0: until stop> | soak <disk> "
			       "stop\n");
		else
			blk_soak_start(dev, writes);
	} else if (!strcmp(verb, "stress"))
		cmd_stress(dev);
	else if (!strcmp(verb, "stop"))
		cmd_stop(dev);
	else if (!strcmp(verb, "stats"))
		cmd_stats(dev);
	else
		printk("pvkit: blk: stress <disk> | stop <disk> | soak <disk> <n> | verify | "
		       "stats <disk> | list\n");
}

SERVE_COMMAND(blk, "stress <disk> | stop <disk> | soak <disk> <n> | verify | stats <disk> | list",
	      cmd_blk);
