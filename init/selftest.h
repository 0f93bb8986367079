/* SPDX-License-Identifier: MIT */
/*
 * In-guest self-tests (tests/guest/, CONFIG_SELFTEST): a table of {function, name, where}
 * run at boot, reported as TAP-like lines "ok N - name" / "not ok N - name" and summed up as
 * "pvkit: selftest N passed, M failed" (DESIGN.md §5).
 */
#ifndef PVKIT_SELFTEST_H
#define PVKIT_SELFTEST_H

#include <pvkit/bootinfo.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>

/* Environments a test applies to; elsewhere it is reported as skipped. */
#define ST_NATIVE	(1u << BOOT_NATIVE)
#define ST_XEN_PV	(1u << BOOT_XEN_PV)
#define ST_XEN_PVH	(1u << BOOT_XEN_PVH)
#define ST_ALL		(ST_NATIVE | ST_XEN_PV | ST_XEN_PVH)

/* A test that found nothing to test here (e.g. no disk attached) returns this; the runner
 * reports it as "ok N - name # SKIP" with the reason the test printed. */
#define ST_SKIPPED	1
/* A timing test whose every measurement the host disturbed (st_watch below) returns this,
 * after a "#" line saying what it did show: "ok N - name # SKIP host too busy to judge". */
#define ST_BUSY		2

struct selftest {
	int (*fn)(const struct boot_info *bi);	/* 0 = pass, ST_SKIPPED, -errno = fail */
	const char *name;			/* "area: what it proves" */
	unsigned int envs;			/* ST_* where it applies */
};

/*
 * Each test file has its own table and registers it with SELFTEST_TABLE(order, table): the
 * runner walks all tables sorted by @order (a two-digit number: 10 boot, 20 traps, 30 pv_ops,
 * 40 native, 50 xen, 60 mm, 70 time...), so adding a test file touches no other file.
 */
struct selftest_table {
	const struct selftest *tests;	/* the file's {fn, name, envs} table */
	unsigned int count;		/* its length */
};

#define SELFTEST_TABLE(order, table)							static const struct selftest_table selftest_table_##order##_##table		__section(".selftest_tables." #order) __used = { table, ARRAY_SIZE(table) }

/*
 * Disks are somebody's data unless the boot gave them to the tests: the command line
 * describes the disks the harness attached, one entry per disk in name order, rw (writable
 * test disk) or ro (read-only). Natively pvkit.virtio_blk=rw,ro means vda writable, vdb
 * read-only; under Xen pvkit.xen_blk=rw,ro,rw means xvda, xvdb, xvdc by their vdev letters
 * (the order of the xl config's disks does not matter; a disk hot-attached later is described
 * at boot like the others). A disk it does not describe (someone attached their own: any
 * other entry, or a name past the list, xvda1 or xvdaa included) is reported and only read,
 * never written, and finding one is not a failure.
 */
#define SELFTEST_VIRTIO_DISKS_OPT	"pvkit.virtio_blk"	/* natively: vda, vdb, ... */
#define SELFTEST_XEN_DISKS_OPT		"pvkit.xen_blk"		/* Xen: xvda, xvdb, ... */

struct blkdev;

/** The option that describes the disks in @bi's environment (one of the two above). */
const char *selftest_disks_opt(const struct boot_info *bi);

/** How the boot describes disk @d: 'w' (writable test disk), 'o' (read-only), 0 (not). */
char selftest_disk_mode(const struct boot_info *bi, const struct blkdev *d);

/** The disks the command line describes in @bi's environment (selftest_disks_opt()), in
 * order: @modes gets 'w', 'o' or 0 (an entry that is neither rw nor ro) for vda, vdb, ...
 * (xvda, xvdb, ... under Xen). Return: how many entries (at most 26). */
unsigned int selftest_disks_described(const struct boot_info *bi, char modes[26]);

/*
 * Timing under a busy host. Under QEMU TCG (and under any hypervisor) every clock the guest
 * has follows the host's time, so a vCPU the host does not run for 400 ms sees each deadline,
 * interrupt and RTC edge 400 ms late, on every clock alike. A timing test therefore polls
 * through a watch: two reads of pv_clock_ns() in a polling loop more than ST_GAP_NS apart
 * mean the vCPU was not running in between (or was in an interrupt handler), and such gaps
 * add up to @lost. The host only ever adds time: a measurement within its bound passes even
 * if disturbed; one out of bounds fails only if it stays out with the lost time taken off
 * (pvkit's own share); otherwise it is re-made, at most ST_TRIES times, and a test whose
 * every try was undecided says so and returns ST_BUSY. docs/testing.md, "Timing tests under
 * host load".
 */
#define ST_GAP_NS	500000ull	/* 0.5 ms between two polls: the vCPU was elsewhere */
#define ST_TRIES	5		/* undecided measurements re-made at most this often */
#define ST_WALL_FACTOR	10		/* st_poll gives up after this x its running time */

struct st_watch {
	uint64_t start;			/* pv_clock_ns() at st_watch_start() */
	uint64_t last;			/* the latest read */
	uint64_t lost;			/* the gaps longer than ST_GAP_NS, summed */
	uint64_t worst;			/* the longest gap */
};

/** Start watching: the next gaps count from now. */
void st_watch_start(struct st_watch *w);
/** pv_clock_ns(), and the gap since the last read counted if it is longer than ST_GAP_NS. */
uint64_t st_watch_read(struct st_watch *w);
/** The time since the last read was a wait of the test's own (a halt): no gap. */
void st_watch_waited(struct st_watch *w);
/** How long the vCPU was seen running (or waiting on purpose) since st_watch_start(). */
uint64_t st_watch_ran(const struct st_watch *w);
/**
 * st_poll() - interrupts on, poll until @cond(@ctx) holds or the vCPU ran @run_ns (by @w)
 * without it; the interrupt state is as before afterwards. @cond may be NULL (just run
 * @run_ns). The wait ends after ST_WALL_FACTOR * @run_ns + 1 s of host time in any case.
 * Return: 0 (@cond held), -ETIMEDOUT (it ran @run_ns without), -EBUSY (host time ran out
 * first: the host did not let it run long enough to say).
 */
int st_poll(struct st_watch *w, bool (*cond)(void *ctx), void *ctx, uint64_t run_ns);

/** Run every test; returns the number that failed. */
int selftest_run(const struct boot_info *bi);

/*
 * Inside a test: fail with a diagnostic line (TAP "#" comment) naming the check and where.
 * The format arguments say what was seen, so a failure explains itself.
 */
#define ST_CHECK(cond, fmt, ...)						\
	do {									\
		if (!(cond)) {							\
			printk("#   %s:%d: check failed: %s: " fmt "\n",	\
			       __FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
			return -EINVAL;						\
		}								\
	} while (0)

#endif /* PVKIT_SELFTEST_H */
