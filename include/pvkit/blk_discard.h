/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Discard extents, for the disk drivers (blkfront, virtio-blk): a device that frees space in
 * extents of `granularity` bytes, the first whole one `alignment` bytes from the start of the
 * disk (blkif.h's discard-granularity and discard-alignment; virtio-blk's
 * discard_sector_alignment, with alignment 0), can drop whole extents only. What the drivers
 * do with a discard that covers part of one is in docs/blkfront.md, "Discard". Pure.
 */
#ifndef PVKIT_BLK_DISCARD_H
#define PVKIT_BLK_DISCARD_H

#include <pvkit/types.h>

#define BLK_DISCARD_GRANULARITY_MAX	(1u << 30)	/**< 1 GiB: larger is surely garbage */

/**
 * blk_discard_check() - can a disk use a device's discard values? The device is not trusted:
 * values that would make blk_discard_extents() divide by zero or misplace extents are refused.
 * @param granularity the discard granularity in bytes.
 * @param alignment   the discard alignment in bytes.
 * @param sector_size the disk's logical sector size in bytes.
 * @return NULL if so, else what is wrong with them (for the driver's log line).
 */
static inline const char *blk_discard_check(uint64_t granularity, uint64_t alignment,
					    uint32_t sector_size)
{
	if (!granularity)
		return "granularity 0";
	if (granularity & (granularity - 1))
		return "granularity not a power of two";
	if (granularity % sector_size)
		return "granularity not a multiple of the sector size";
	if (granularity > BLK_DISCARD_GRANULARITY_MAX)
		return "granularity above 1 GiB";
	if (alignment % sector_size)
		return "alignment not a multiple of the sector size";
	if (alignment >= granularity)
		return "alignment not below the granularity";
	return NULL;
}

/**
 * blk_discard_extents() - the whole extents inside a range of 512-byte sectors, on a disk
 * whose values passed blk_discard_check(): extents start at @p alignment + k * @p granularity
 * bytes.
 * @param sector      the range's first sector.
 * @param nr          its length in sectors.
 * @param granularity the discard granularity in bytes.
 * @param alignment   the discard alignment in bytes.
 * @param first       receives the first sector of the whole extents (when there are any).
 * @return how many sectors they cover (0: not one whole extent).
 */
static inline uint64_t blk_discard_extents(uint64_t sector, uint64_t nr, uint32_t granularity,
					   uint32_t alignment, uint64_t *first)
{
	uint64_t g = granularity / 512, a = alignment / 512;	/* a < g */
	uint64_t start, end = sector + nr;

	if (end < a + g)		/* [0, a) is part of an extent: only [a, a + g) is whole */
		return 0;
	start = sector <= a ? a : a + (sector - a + g - 1) / g * g;	/* up to a + k * g */
	end = a + (end - a) / g * g;					/* down to one */
	if (end <= start)
		return 0;
	*first = start;
	return end - start;
}

#endif /* PVKIT_BLK_DISCARD_H */
