// SPDX-License-Identifier: MIT
/* Block requests for the hosted blkfront tests: see blk_io.h. */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/os.h>
#include "blk_io.h"
#include "fake_blkback.h"
#include "unit.h"

struct io ios[BLK_IO_MAX];

/* A request's completion: counted, its status kept. */
static void io_done(struct blk_request *rq, int status)
{
	struct io *io = rq->ctx;

	io->status = status;
	io->done++;
}

uint8_t pat(uint64_t sector, unsigned int byte, unsigned int tag)
{
	return (uint8_t)(sector * 131 + byte * 7 + tag * 29 + (byte >> 8));
}

struct blk_request *io_prep(unsigned int i, enum blk_op op, uint64_t sector, uint32_t n,
			    unsigned int tag)
{
	struct io *io = &ios[i];
	struct blk_request *rq = &io->rq;
	bool data = op == BLK_READ || op == BLK_WRITE || op == BLK_WRITE_BARRIER;

	for (unsigned int k = 0; k < BLK_MAX_SEGS; k++)
		if (io->frames[k]) {
			os_page_free(io->frames[k]);
			io->frames[k] = 0;
		}
	memset(rq, 0, sizeof(*rq));
	io->status = 1;
	io->done = 0;
	rq->op = op;
	rq->sector = sector;
	rq->nr_sectors = n;
	rq->done = io_done;
	rq->ctx = io;
	for (uint32_t s = 0; data && s < n; s += 8) {
		unsigned int k = s / 8;
		uint8_t *p;

		CHECK(os_page_alloc(&io->frames[k]) == 0);
		p = os_phys_to_virt(io->frames[k]);
		rq->segs[k] = (struct blk_seg){ io->frames[k], 0, MIN(n - s, 8u) * 512 };
		rq->nr_segs++;
		for (unsigned int b = 0; op != BLK_READ && b < rq->segs[k].len; b++)
			p[b] = pat(sector + s + b / 512, b % 512, tag);
	}
	return rq;
}

void io_free_all(void)
{
	for (unsigned int i = 0; i < BLK_IO_MAX; i++)
		for (unsigned int k = 0; k < BLK_MAX_SEGS; k++)
			if (ios[i].frames[k]) {
				os_page_free(ios[i].frames[k]);
				ios[i].frames[k] = 0;
			}
}

bool io_holds(unsigned int i, unsigned int tag)
{
	const struct blk_request *rq = &ios[i].rq;

	for (uint32_t k = 0; k < rq->nr_segs; k++) {
		const uint8_t *p = os_phys_to_virt(rq->segs[k].pa);

		for (uint32_t b = 0; b < rq->segs[k].len; b++)
			if (p[b] != pat(rq->sector + k * 8 + b / 512, b % 512, tag))
				return false;
	}
	return true;
}

bool disk_holds(uint64_t sector, uint32_t n, unsigned int tag)
{
	for (uint64_t b = 0; b < n * 512ull; b++)
		if (fbk.disk[sector * 512 + b] != pat(sector + b / 512, b % 512, tag))
			return false;
	return true;
}

bool disk_zero(uint64_t sector, uint32_t n)
{
	for (uint64_t b = 0; b < n * 512ull; b++)
		if (fbk.disk[sector * 512 + b])
			return false;
	return true;
}
