/* SPDX-License-Identifier: MIT */
/*
 * Block requests for the hosted blkfront tests (test_blkfront.c, test_blkfront_grants.c):
 * requests whose buffers are pages of the fake kernel, filled with a pattern that names the
 * sector, the byte and a tag, and the checks of that pattern in a buffer or on the fake
 * blkback's disk. One copy: both tests drive the same driver through the same fixture.
 */
#ifndef TESTS_UNIT_BLK_IO_H
#define TESTS_UNIT_BLK_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <pvkit/blkdev.h>

#define BLK_IO_MAX	64		/* requests a test can have prepared at once */

struct io {
	struct blk_request rq;
	uint64_t frames[BLK_MAX_SEGS];	/* the buffer's pages (0: none), freed by the next prep */
	int status;			/* of the completion */
	unsigned int done;		/* completions: must end at 1 */
};

extern struct io ios[BLK_IO_MAX];

/** The pattern byte of @sector, @byte within it, for @tag. */
uint8_t pat(uint64_t sector, unsigned int byte, unsigned int tag);
/** Request @i: @op of @n sectors at @sector in whole pages (the last one partly); writes
 * carry pattern @tag. Its completion is counted in ios[@i]. */
struct blk_request *io_prep(unsigned int i, enum blk_op op, uint64_t sector, uint32_t n,
			    unsigned int tag);
/** Every request's pages back to the fake kernel (a test's end: no page leaked). */
void io_free_all(void);
/** Does request @i's buffer hold pattern @tag? */
bool io_holds(unsigned int i, unsigned int tag);
/** Do @n sectors of the fake disk at @sector hold pattern @tag? */
bool disk_holds(uint64_t sector, uint32_t n, unsigned int tag);
/** Are @n sectors of the fake disk at @sector all zero? */
bool disk_zero(uint64_t sector, uint32_t n);

#endif /* TESTS_UNIT_BLK_IO_H */
