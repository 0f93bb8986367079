// SPDX-License-Identifier: MIT
/*
 * hello: a kernel of its own, built outside pvkit's tree on the installed library (platform
 * mode, docs/library.md). pvkit boots it (multiboot2, PVH or Xen PV), brings up memory, time,
 * events and devices, prints its own boot lines, then calls pvkit_main() below. It greets,
 * lists its disks and interfaces, writes a sector of each writable disk, reads it back and
 * restores it, and powers off. With pvkit.serve=1 it stays up instead: the library answers
 * UDP echo (port 7) on every interface with an address, and it stops on request (xl shutdown
 * or xl reboot under Xen; "poweroff" or "reboot" on the console).
 */
#include <pvkit/blkdev.h>
#include <pvkit/cmdline.h>
#include <pvkit/console_in.h>
#include <pvkit/errno.h>
#include <pvkit/netdev.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pvkit.h>
#include <string.h>

#define HELLO_MAX_SECTOR 4096	/* the largest logical sector we check */

static uint8_t saved[HELLO_MAX_SECTOR] __attribute__((aligned(4096)));
static uint8_t pattern[HELLO_MAX_SECTOR] __attribute__((aligned(4096)));
static uint8_t back[HELLO_MAX_SECTOR] __attribute__((aligned(4096)));

/* Write a pattern over the second logical sector, read it back, put the old bytes back and
 * read those back too: the disk ends as it began. Return: 0 or -errno (with a line). */
static int check_disk(struct blkdev *d)
{
	uint32_t n = d->sector_size / 512;	/* 512-byte units of one logical sector */
	uint64_t sector = n;			/* the second logical sector */
	int err;

	if (d->sector_size > HELLO_MAX_SECTOR || d->sectors < 2 * n)
		return printk("hello: disk %s: cannot check (sector size %u)\n", d->name,
			      d->sector_size), -EINVAL;
	for (uint32_t i = 0; i < d->sector_size; i++)
		pattern[i] = (uint8_t)(i * 7 + 0x5a) ^ (uint8_t)os_clock_ns();
	memcpy(pattern, "hello from pvkit", 16);
	if ((err = blkdev_read(d, sector, saved, n)) ||
	    (err = blkdev_write(d, sector, pattern, n)) ||
	    (err = blkdev_read(d, sector, back, n)))
		return printk("hello: disk %s: I/O failed: %d\n", d->name, err), err;
	if (memcmp(back, pattern, d->sector_size))
		return printk("hello: disk %s: read back differs\n", d->name), -EIO;
	if ((err = blkdev_write(d, sector, saved, n)) || (err = blkdev_read(d, sector, back, n)))
		return printk("hello: disk %s: restoring failed: %d\n", d->name, err), err;
	if (memcmp(back, saved, d->sector_size))
		return printk("hello: disk %s: restored sector differs\n", d->name), -EIO;
	printk("hello: disk %s: wrote, read back and restored sector %lu: ok\n", d->name,
	       (unsigned long)sector);
	return 0;
}

/* Console input while serving: "poweroff" and "reboot" stop us. */
static void console_line(const char *line)
{
	if (!strcmp(line, "poweroff"))
		pvkit_request_stop(PVKIT_STOP_POWEROFF);
	else if (!strcmp(line, "reboot"))
		pvkit_request_stop(PVKIT_STOP_REBOOT);
	else
		printk("hello: console: \"%s\" (poweroff, reboot)\n", line);
}

static struct os_poller console_poller = { .name = "hello-console", .poll = console_in_poll };

static int serve(void)
{
	enum pvkit_stop why;

	console_in_set_handler(console_line);
	os_poller_register(&console_poller);
	printk("hello: serving: UDP echo on port 7 until asked to stop\n");
	while ((why = pvkit_stop_requested()) == PVKIT_RUNNING)
		pvkit_idle();
	printk("hello: stopping (%s)\n", why == PVKIT_STOP_REBOOT ? "reboot" : "poweroff");
	return why == PVKIT_STOP_REBOOT ? PVKIT_EXIT_REBOOT : PVKIT_EXIT_POWEROFF;
}

int pvkit_main(const struct pvkit_platform *pf)
{
	unsigned int disks = 0, ifaces = 0, checked = 0, failed = 0;

	printk("hello: greetings from a kernel on pvkit %d.%d.%d (entry=%s env=%s)\n",
	       PVKIT_VERSION_MAJOR, PVKIT_VERSION_MINOR, PVKIT_VERSION_PATCH,
	       boot_entry_name(pf->boot->entry), boot_env_name(pf->env));
	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d), disks++)
		printk("hello: disk %s: %lu sectors of %u bytes%s\n", d->name,
		       (unsigned long)(d->sectors / (d->sector_size / 512)), d->sector_size,
		       d->readonly ? ", read-only" : "");
	for (struct netdev *n = netdev_first(); n; n = netdev_next(n), ifaces++)
		printk("hello: iface %s: mac %02x:%02x:%02x:%02x:%02x:%02x mtu %u carrier %s\n",
		       n->name, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
		       n->mtu, n->carrier ? "up" : "down");
	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d)) {
		if (d->readonly || d->gone)
			continue;
		checked++;
		if (check_disk(d))
			failed++;
	}
	printk("hello: %s disks=%u ifaces=%u checked=%u failed=%u\n", failed ? "FAIL" : "ok",
	       disks, ifaces, checked, failed);
	if (cmdline_has(pf->cmdline, "pvkit.serve"))
		return serve();
	return failed ? PVKIT_EXIT_FAIL : PVKIT_EXIT_POWEROFF;
}
