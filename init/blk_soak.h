/* SPDX-License-Identifier: MIT */
/* `blk soak`: verified random writes for the lifecycle soak (init/blk_soak.c). */
#ifndef KERNEL_BLK_SOAK_H
#define KERNEL_BLK_SOAK_H

#include <pvkit/blkdev.h>
#include <pvkit/types.h>

/** Start @writes random 4 KiB writes on @dev (0: until blk_soak_stop()), each read back and
 * checked, then a last pass over every block written; the lines go to the console. */
void blk_soak_start(struct blkdev *dev, uint64_t writes);
/** No more writes: the last pass, then the done line. */
void blk_soak_stop(struct blkdev *dev);

#endif /* KERNEL_BLK_SOAK_H */
