// SPDX-License-Identifier: MIT
/*
 * dm-hold: a device-mapper disk that can be made to stop answering, for dom0's side of the
 * silent-backend case (tests/xen/blk-silent.sh, docs/blkfront.md). blkback serves the dm
 * device; while it is suspended, the kernel holds every new bio in device-mapper's queue:
 * blkback stays Connected and answers nothing, which is what a hung or malicious backend
 * looks like to the guest. Resuming lets the held bios through, so the late answers come.
 * Talks to the device-mapper ioctl interface (<linux/dm-ioctl.h>) directly: dom0's initramfs
 * has no dmsetup and no udev.
 *
 *   dm-hold create NAME DEVICE	a linear map of the whole of block DEVICE, active, with its
 *				node made as /dev/mapper/NAME; prints "dm-hold: NAME dev=M:m
 *				sectors=N"
 *   dm-hold suspend NAME		hold new I/O (after the I/O in flight has finished)
 *   dm-hold resume NAME		let it through again
 *   dm-hold remove NAME		remove the map and its node (resumes it first)
 *   dm-hold status NAME		prints "dm-hold: NAME suspended=0|1 open=N"
 * Exit status 0 on success; otherwise a line on stderr says what failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/dm-ioctl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define CONTROL		"/dev/mapper/control"
#define BUF_SIZE	16384		/* the header, one target and its parameters; status */

/* The ioctl header with its payload behind it; aligned for the kernel's struct reads. */
static union {
	struct dm_ioctl dmi;
	uint8_t bytes[BUF_SIZE];
} buf;

static int control = -1;

static int control_open(void)
{
	struct stat st;

	control = open(CONTROL, O_RDWR | O_CLOEXEC);
	if (control >= 0)
		return 0;
	/* No devtmpfs node: make it from the misc device dm-mod registered. */
	if (errno == ENOENT) {
		FILE *f = fopen("/sys/class/misc/device-mapper/dev", "r");
		unsigned int ma, mi;

		if (!f) {
			fprintf(stderr, "dm-hold: no %s and no device-mapper in /sys (is dm-mod "
				"loaded?)\n", CONTROL);
			return -1;
		}
		if (fscanf(f, "%u:%u", &ma, &mi) != 2) {
			fclose(f);
			fprintf(stderr, "dm-hold: cannot read device-mapper's device number\n");
			return -1;
		}
		fclose(f);
		mkdir("/dev/mapper", 0755);
		if (stat(CONTROL, &st) && mknod(CONTROL, S_IFCHR | 0600, makedev(ma, mi))) {
			perror("dm-hold: mknod " CONTROL);
			return -1;
		}
		control = open(CONTROL, O_RDWR | O_CLOEXEC);
	}
	if (control < 0) {
		perror("dm-hold: open " CONTROL);
		return -1;
	}
	return 0;
}

/* A fresh header for an ioctl on @name, with @payload bytes after it. */
static void header(const char *name, size_t payload)
{
	memset(&buf, 0, sizeof(buf));
	buf.dmi.version[0] = DM_VERSION_MAJOR;
	buf.dmi.version[1] = 0;
	buf.dmi.version[2] = 0;
	buf.dmi.data_start = sizeof(struct dm_ioctl);
	buf.dmi.data_size = payload ? sizeof(struct dm_ioctl) + payload : sizeof(buf);
	snprintf(buf.dmi.name, sizeof(buf.dmi.name), "%s", name);
}

static int dm_call(unsigned long cmd, const char *what, const char *name)
{
	if (ioctl(control, cmd, &buf.dmi) == 0)
		return 0;
	fprintf(stderr, "dm-hold: %s %s: %s\n", what, name, strerror(errno));
	return -1;
}

static int cmd_create(const char *name, const char *device)
{
	struct dm_target_spec *spec;
	uint64_t bytes;
	struct stat st;
	size_t params_len;
	int fd;

	if (stat(device, &st) || !S_ISBLK(st.st_mode)) {
		fprintf(stderr, "dm-hold: %s is not a block device\n", device);
		return -1;
	}
	fd = open(device, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &bytes)) {
		fprintf(stderr, "dm-hold: size of %s: %s\n", device, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (bytes < 512) {
		fprintf(stderr, "dm-hold: %s is empty\n", device);
		return -1;
	}

	header(name, 0);
	if (dm_call(DM_DEV_CREATE, "create", name))
		return -1;

	/* One linear target over all of @device: "major:minor 0". */
	header(name, 0);
	spec = (struct dm_target_spec *)(buf.bytes + sizeof(struct dm_ioctl));
	spec->sector_start = 0;
	spec->length = bytes / 512;
	snprintf(spec->target_type, sizeof(spec->target_type), "linear");
	params_len = (size_t)snprintf((char *)(spec + 1), 64, "%u:%u 0", major(st.st_rdev),
				      minor(st.st_rdev)) + 1;
	spec->next = (uint32_t)((sizeof(*spec) + params_len + 7) & ~(size_t)7);
	buf.dmi.target_count = 1;
	buf.dmi.data_size = sizeof(struct dm_ioctl) + spec->next;
	if (dm_call(DM_TABLE_LOAD, "load table of", name))
		goto remove_dev;

	header(name, 0);		/* no DM_SUSPEND_FLAG: resume, making the table live */
	if (dm_call(DM_DEV_SUSPEND, "activate", name))
		goto remove_dev;

	mkdir("/dev/mapper", 0755);
	{
		char node[sizeof("/dev/mapper/") + DM_NAME_LEN];
		dev_t dev = (dev_t)buf.dmi.dev;	/* the kernel's huge encoding, as dev_t */

		snprintf(node, sizeof(node), "/dev/mapper/%s", name);
		unlink(node);
		if (mknod(node, S_IFBLK | 0600, makedev(major(dev), minor(dev)))) {
			perror("dm-hold: mknod");
			goto remove_dev;
		}
		printf("dm-hold: %s dev=%u:%u sectors=%llu\n", name, major(dev), minor(dev),
		       (unsigned long long)(bytes / 512));
	}
	return 0;

remove_dev:
	header(name, 0);
	dm_call(DM_DEV_REMOVE, "remove", name);
	return -1;
}

static int cmd_suspend(const char *name, int hold)
{
	header(name, 0);
	if (hold)
		buf.dmi.flags = DM_SUSPEND_FLAG;
	return dm_call(DM_DEV_SUSPEND, hold ? "suspend" : "resume", name);
}

static int cmd_status(const char *name)
{
	header(name, 0);
	if (dm_call(DM_DEV_STATUS, "status of", name))
		return -1;
	printf("dm-hold: %s suspended=%d open=%d\n", name,
	       !!(buf.dmi.flags & DM_SUSPEND_FLAG), buf.dmi.open_count);
	return 0;
}

static int cmd_remove(const char *name)
{
	char node[sizeof("/dev/mapper/") + DM_NAME_LEN];

	if (cmd_suspend(name, 0))
		return -1;
	header(name, 0);
	if (dm_call(DM_DEV_REMOVE, "remove", name))
		return -1;
	snprintf(node, sizeof(node), "/dev/mapper/%s", name);
	unlink(node);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: dm-hold create NAME DEVICE | suspend NAME | resume NAME | "
		"remove NAME | status NAME\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *verb, *name;
	int err;

	if (argc < 3)
		return usage();
	verb = argv[1];
	name = argv[2];
	if (!*name || strlen(name) >= DM_NAME_LEN || strchr(name, '/')) {
		fprintf(stderr, "dm-hold: bad name \"%s\"\n", name);
		return 2;
	}
	if (strcmp(verb, "create") == 0 ? argc != 4 : argc != 3)
		return usage();
	if (control_open())
		return 1;
	if (!strcmp(verb, "create"))
		err = cmd_create(name, argv[3]);
	else if (!strcmp(verb, "suspend"))
		err = cmd_suspend(name, 1);
	else if (!strcmp(verb, "resume"))
		err = cmd_suspend(name, 0);
	else if (!strcmp(verb, "remove"))
		err = cmd_remove(name);
	else if (!strcmp(verb, "status"))
		err = cmd_status(name);
	else
		return usage();
	return err ? 1 : 0;
}
