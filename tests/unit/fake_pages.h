/* SPDX-License-Identifier: MIT */
/*
 * The fake kernel memory the hosted tests of the Xen frontends share (fake_blkback.c,
 * fake_netback.c): page_alloc/page_free over a 32 MiB arena and the run-time mappings
 * (vmap_reserve, vm_map_pages, vm_unmap, vmap_free) of <pvkit/mm.h>. The arena is a memfd, so
 * that a multi-page ring can be mapped contiguously a second time, as the real mm does.
 *
 * Under ASan (the unit tests and fuzzers) a freed page is poisoned, and so is a run-time
 * mapping once unmapped: any access is a report. Without ASan a freed page is filled with 0x6b
 * and an unmapped range is made inaccessible.
 */
#ifndef TESTS_UNIT_FAKE_PAGES_H
#define TESTS_UNIT_FAKE_PAGES_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_ARENA_PAGES	8192		/* 32 MiB of "RAM" */

extern unsigned int fake_pages_in_use;	/* page_alloc - page_free */
extern unsigned int fake_page_fail_after;	/* page_alloc fails after this many more (0: never) */
extern unsigned int fake_bad_frees;	/* page_free of a page not allocated */

/** The arena page @pa is (its index), or -1 if @pa is not the start of one. */
long fake_page_index(uint64_t pa);
/** Is @pa an arena page that is allocated now? */
bool fake_page_allocated(uint64_t pa);

#endif /* TESTS_UNIT_FAKE_PAGES_H */
