// SPDX-License-Identifier: MIT
/*
 * Virtual-device numbers to guest disk names, as Xen's xen-vbd-interface(7)
 * (docs/misc/vbd-interface.txt) encodes them in device/vbd/<id>/virtual-device. Pure: the
 * hosted tests call it directly.
 */
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/xen/blkfront.h>

#define VDEV_EXT_FLAG		(1u << 28)	/* 1 << 28 | disk << 8 | partition */
#define VDEV_EXT_DISKS		(1u << 20)	/* disks 0 .. (1 << 20) - 1 */
#define VDEV_MAJOR_XVD		202		/* disk << 4 | partition: 16 disks, 16 parts */
#define VDEV_MAJOR_SD		8		/* the same layout, SCSI */
#define VDEV_MAJOR_HD0		3		/* disk << 6 | partition: hda, hdb */
#define VDEV_MAJOR_HD2		22		/* hdc, hdd */

/* Split @vdev into disk and partition. 0, or -EINVAL for what the spec reserves or
 * deprecates (2 << 28 onwards, other majors below 1 << 28). */
static int blkfront_vdev_decode(uint32_t vdev, uint32_t *disk, uint32_t *part)
{
	uint32_t major = vdev >> 8, minor = vdev & 0xff;

	if (vdev & ~(VDEV_EXT_FLAG | 0x0fffffffu))
		return -EINVAL;			/* 2 << 28 onwards: reserved for future use */
	if (vdev & VDEV_EXT_FLAG) {
		*disk = (vdev >> 8) & (VDEV_EXT_DISKS - 1);
		*part = minor;
		return 0;
	}
	switch (major) {
	case VDEV_MAJOR_XVD:
	case VDEV_MAJOR_SD:
		*disk = minor >> 4;
		*part = minor & 15;
		return 0;
	case VDEV_MAJOR_HD0:
	case VDEV_MAJOR_HD2:
		*disk = (minor >> 6) + (major == VDEV_MAJOR_HD2 ? 2 : 0);
		*part = minor & 63;
		return 0;
	default:
		return -EINVAL;			/* deprecated / reserved */
	}
}

int blkfront_vdev_name(uint32_t vdev, char *name, size_t size)
{
	char letters[8];			/* 2^20 disks: at most 5 letters */
	uint32_t disk, part, n;
	unsigned int len = 0;
	int err, w;

	err = blkfront_vdev_decode(vdev, &disk, &part);
	if (err)
		return err;
	/* Bijective base 26: 0 = a, 25 = z, 26 = aa, 536 = tq (the spec's d536p37 = xvdtq37). */
	for (n = disk + 1; n; n = (n - 1) / 26)
		letters[len++] = 'a' + (n - 1) % 26;
	for (unsigned int i = 0; i < len / 2; i++) {
		char t = letters[i];

		letters[i] = letters[len - 1 - i];
		letters[len - 1 - i] = t;
	}
	letters[len] = '\0';
	w = part ? snprintf(name, size, "xvd%s%u", letters, part) :
		   snprintf(name, size, "xvd%s", letters);
	return w < 0 || (size_t)w >= size ? -ENAMETOOLONG : 0;
}
