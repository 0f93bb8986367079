// SPDX-License-Identifier: MIT
/*
 * The page-frame allocator: one bit per 4 KiB frame below MM_WINDOW_MAX (1 = in use). Built
 * from the boot memory map: RAM regions become free, then what must not be handed out is
 * reserved again (low 1 MiB, the kernel image, boot modules, and under Xen PV everything the
 * domain builder placed below its page tables). Lowest free frame first: while mm_init grows
 * the kernel window upwards, the frames it needs for page tables are the ones already mapped.
 *
 * The Xen balloon takes free frames out for good (page_take, highest first: the low ones stay
 * for the kernel) and returns them once Xen gave their memory back (page_untake). A taken
 * frame is used and marked taken, and unmapped from the kernel window while it is out.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <string.h>
#include "mm_internal.h"

#define MAX_FRAMES	(MM_WINDOW_MAX >> PAGE_SHIFT)
#define WORD_BITS	64

static uint64_t frame_used[MAX_FRAMES / WORD_BITS];	/* 1 = allocated or reserved */
static uint64_t frame_managed[MAX_FRAMES / WORD_BITS];	/* 1 = RAM we may ever hand out */
static uint64_t frame_taken[MAX_FRAMES / WORD_BITS];	/* 1 = out with the balloon (and used) */
static uint64_t nr_frames;		/* frames below the top of managed RAM */
static uint64_t nr_free, nr_total;
static uint64_t nr_taken;		/* bits set in frame_taken */
static uint64_t alloc_limit;		/* no frame at or above this (pa) is handed out */
static uint64_t search_hint;		/* no free frame below this word */

static bool bit_test(const uint64_t *map, uint64_t n) { return map[n / WORD_BITS] >> (n % WORD_BITS) & 1; }
static void bit_set(uint64_t *map, uint64_t n) { map[n / WORD_BITS] |= 1ull << (n % WORD_BITS); }
static void bit_clear(uint64_t *map, uint64_t n) { map[n / WORD_BITS] &= ~(1ull << (n % WORD_BITS)); }

void page_alloc_init(const struct boot_info *bi)
{
	memset(frame_used, 0xff, sizeof(frame_used));
	for (uint32_t i = 0; i < bi->nr_mem; i++) {
		const struct boot_mem_region *r = &bi->mem[i];
		uint64_t start, end;

		if (r->type != BOOT_MEM_RAM || r->base >= MM_WINDOW_MAX)
			continue;
		start = ALIGN_UP(r->base, PAGE_SIZE) >> PAGE_SHIFT;
		end = MIN(ALIGN_DOWN(r->base + r->len, PAGE_SIZE), MM_WINDOW_MAX) >> PAGE_SHIFT;
		for (uint64_t f = start; f < end; f++) {
			bit_clear(frame_used, f);
			bit_set(frame_managed, f);
			nr_free++;
			nr_total++;
		}
		nr_frames = MAX(nr_frames, end);
	}
	alloc_limit = nr_frames << PAGE_SHIFT;
}

void page_reserve(uint64_t pa, uint64_t len)
{
	uint64_t start = pa >> PAGE_SHIFT;
	uint64_t end = MIN(ALIGN_UP(pa + len, PAGE_SIZE) >> PAGE_SHIFT, nr_frames);

	for (uint64_t f = start; f < end; f++) {
		if (!bit_test(frame_used, f)) {
			bit_set(frame_used, f);
			nr_free--;
		}
	}
}

void page_release_reserved(uint64_t pa, uint64_t len)
{
	uint64_t start = pa >> PAGE_SHIFT;
	uint64_t end = MIN(ALIGN_UP(pa + len, PAGE_SIZE) >> PAGE_SHIFT, nr_frames);

	for (uint64_t f = start; f < end; f++) {
		if (bit_test(frame_managed, f) && bit_test(frame_used, f)) {
			bit_clear(frame_used, f);
			nr_free++;
			search_hint = MIN(search_hint, f / WORD_BITS);
		}
	}
}

void page_alloc_set_limit(uint64_t pa)
{
	alloc_limit = MIN(pa, nr_frames << PAGE_SHIFT);
}

uint64_t page_alloc_limit(void)
{
	return alloc_limit;
}

uint64_t page_top(void)
{
	return nr_frames << PAGE_SHIFT;
}

/* Lowest free frame below the limit, marked used; no zeroing. */
int page_alloc_raw(uint64_t *pa)
{
	uint64_t words = ALIGN_UP(alloc_limit >> PAGE_SHIFT, WORD_BITS) / WORD_BITS;

	for (uint64_t w = search_hint; w < words; w++) {
		uint64_t f;

		if (frame_used[w] == ~0ull)
			continue;
		f = w * WORD_BITS + __builtin_ctzll(~frame_used[w]);
		if (f >= alloc_limit >> PAGE_SHIFT)
			break;
		bit_set(frame_used, f);
		nr_free--;
		search_hint = w;
		*pa = f << PAGE_SHIFT;
		return 0;
	}
	return -ENOMEM;
}

int page_alloc(uint64_t *pa)
{
	unsigned long fl = pv_irq_save();	/* drivers allocate from interrupt handlers too */
	int err = page_alloc_raw(pa);

	pv_irq_restore(fl);

	if (!err)
		memset(phys_to_virt(*pa), 0, PAGE_SIZE);
	return err;
}

void page_free(uint64_t pa)
{
	uint64_t f = pa >> PAGE_SHIFT;
	unsigned long fl;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || f >= nr_frames || !bit_test(frame_managed, f) ||
	    !bit_test(frame_used, f) || bit_test(frame_taken, f)) {
		printk("pvkit: mm: page_free(%#lx): not an allocated frame; ignored\n", pa);
		return;
	}
	fl = pv_irq_save();
	bit_clear(frame_used, f);
	nr_free++;
	search_hint = MIN(search_hint, f / WORD_BITS);
	pv_irq_restore(fl);
}

bool page_is_free(uint64_t pa)
{
	uint64_t f = pa >> PAGE_SHIFT;

	return f < nr_frames && !bit_test(frame_used, f);
}

uint64_t page_free_count(void)
{
	return nr_free;
}

uint64_t page_total_count(void)
{
	return nr_total;
}

uint64_t page_taken_count(void)
{
	return nr_taken;
}

/* Up to @n free frames below the limit, highest first, leaving @keep free: used and taken. */
static size_t page_take_raw(uint64_t *pas, size_t n, uint64_t keep)
{
	uint64_t top = MIN(alloc_limit >> PAGE_SHIFT, nr_frames), got = 0;

	for (uint64_t w = DIV_ROUND_UP(top, WORD_BITS); w-- > 0 && got < n && nr_free > keep;) {
		uint64_t avail = ~frame_used[w] & frame_managed[w];

		while (avail && got < n && nr_free > keep) {
			uint64_t f = w * WORD_BITS + 63 - __builtin_clzll(avail);

			avail &= ~(1ull << (f % WORD_BITS));
			if (f >= top)
				continue;
			bit_set(frame_used, f);
			bit_set(frame_taken, f);
			nr_free--;
			nr_taken++;
			pas[got++] = f << PAGE_SHIFT;
		}
	}
	return got;
}

size_t page_take(uint64_t *pas, size_t n, uint64_t keep_free)
{
	unsigned long fl = pv_irq_save();	/* interrupt handlers allocate too */
	size_t got = page_take_raw(pas, n, keep_free);

	pv_irq_restore(fl);
	mm_window_unmap(pas, got);		/* no mapping may hold them (Xen PV) */
	return got;
}

bool page_is_taken(uint64_t pa)
{
	uint64_t f = pa >> PAGE_SHIFT;

	return IS_ALIGNED(pa, PAGE_SIZE) && f < nr_frames && bit_test(frame_taken, f);
}

void page_untake(const uint64_t *pas, size_t n)
{
	mm_window_map(pas, n);			/* reachable before anyone can allocate them */
	for (size_t i = 0; i < n; i++) {
		uint64_t f = pas[i] >> PAGE_SHIFT;
		unsigned long fl;

		if (!page_is_taken(pas[i])) {	/* mm_window_map left it alone too */
			printk("pvkit: mm: page_untake(%#lx): not a taken frame; ignored\n", pas[i]);
			continue;
		}
		fl = pv_irq_save();
		bit_clear(frame_taken, f);
		bit_clear(frame_used, f);
		nr_taken--;
		nr_free++;
		search_hint = MIN(search_hint, f / WORD_BITS);
		pv_irq_restore(fl);
	}
}
