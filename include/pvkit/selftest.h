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
