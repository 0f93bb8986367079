// SPDX-License-Identifier: MIT
/*
 * The fake kernel memory of tests/unit/fake_pages.h. The fuzzers bring a frontend up and down
 * for every input: hundreds of pages allocated and freed, a few rings mapped and unmapped, a
 * thousand times a second. What that costs here is the harness's, not the code under test's,
 * so it is kept small (docs/testing.md, issue 12 item 13) without weakening what the fakes
 * check or what ASan sees.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include "fake_pages.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FAKE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FAKE_ASAN 1
#endif
#ifdef FAKE_ASAN
#include <sanitizer/asan_interface.h>
#define fake_poison(p, len)	ASAN_POISON_MEMORY_REGION(p, len)
#define fake_unpoison(p, len)	ASAN_UNPOISON_MEMORY_REGION(p, len)
#else
#define fake_poison(p, len)	do { } while (0)
#define fake_unpoison(p, len)	do { } while (0)
#endif

unsigned int fake_pages_in_use, fake_page_fail_after, fake_bad_frees;

/* ---- pages ---------------------------------------------------------------------------- */

static int arena_fd = -1;
static uint8_t *arena;
/* Pages are handed out lowest first, so that a fuzzer's thousands a second stay in the cache
 * (handing them out in turn over the arena cost it a fifth of its time); but a freed page
 * only once PAGE_QUARANTINE others were freed after it (or none is left): until then it stays
 * poisoned, and a use after free shows. */
#define PAGE_QUARANTINE	64
static uint8_t page_used[FAKE_ARENA_PAGES];
static uint8_t page_quar[FAKE_ARENA_PAGES];	/* freed, in the quarantine */
static unsigned int page_next;		/* no page below it is free: the search starts here */
static uint16_t quar[PAGE_QUARANTINE];	/* the quarantine, oldest first from quar_head */
static unsigned int quar_n, quar_head;

static void fake_arena_init(void)
{
	if (arena)
		return;
	arena_fd = memfd_create("fake-arena", 0);
	if (arena_fd < 0 || ftruncate(arena_fd, FAKE_ARENA_PAGES * 4096l)) {
		perror("fake_pages: memfd");
		exit(2);
	}
	arena = mmap(NULL, FAKE_ARENA_PAGES * 4096ul, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_POPULATE, arena_fd, 0);
	if (arena == MAP_FAILED) {
		perror("fake_pages: mmap");
		exit(2);
	}
	fake_poison(arena, FAKE_ARENA_PAGES * 4096ul);	/* nothing is allocated yet */
}

/* A page the way page_alloc's contract says (zeroed), without ASan's memset interceptor: it
 * would first read the 512 bytes of shadow we have just cleared. The reference kernel zeroes
 * every page it hands out too (kernel/mm/page_alloc.c), and the drivers grant these pages: a
 * page with an earlier owner's bytes would be a different input. */
static void fake_page_zero(uint8_t *p)
{
#if defined(__x86_64__)
	size_t n = 4096;

	__asm__ volatile("rep stosb" : "+D"(p), "+c"(n) : "a"(0) : "memory");
#else
	memset(p, 0, 4096);
#endif
}

/* The oldest page of the quarantine may be handed out again. False if there was none. */
static bool page_unquarantine(void)
{
	unsigned int i;

	if (!quar_n)
		return false;
	i = quar[quar_head];
	quar_head = (quar_head + 1) % PAGE_QUARANTINE;
	quar_n--;
	page_quar[i] = 0;
	page_next = MIN(page_next, i);
	return true;
}

long fake_page_index(uint64_t pa)
{
	uint8_t *va = os_phys_to_virt(pa);

	if (!arena || va < arena || va >= arena + FAKE_ARENA_PAGES * 4096ul || (va - arena) % 4096)
		return -1;
	return (va - arena) / 4096;
}

bool fake_page_allocated(uint64_t pa)
{
	long i = fake_page_index(pa);

	return i >= 0 && page_used[i];
}

int os_page_alloc(uint64_t *pa)
{
	if (fake_page_fail_after && !--fake_page_fail_after)
		return -ENOMEM;
	fake_arena_init();
	do {
		for (unsigned int i = page_next; i < FAKE_ARENA_PAGES; i++) {
			uint8_t *p = arena + i * 4096ul;

			if (page_used[i] || page_quar[i])
				continue;
			page_used[i] = 1;
			page_next = i + 1;
			fake_unpoison(p, 4096);
			fake_page_zero(p);
			*pa = os_virt_to_phys(p);
			fake_pages_in_use++;
			return 0;
		}
	} while (page_unquarantine());
	return -ENOMEM;
}

void os_page_free(uint64_t pa)
{
	long i = fake_page_index(pa);

	if (i < 0 || !page_used[i]) {
		fake_bad_frees++;
		return;
	}
	page_used[i] = 0;
#ifdef FAKE_ASAN
	fake_poison(arena + i * 4096ul, 4096);		/* a use after free is a report */
#else
	memset(arena + i * 4096ul, 0x6b, 4096);		/* ... or at least shows */
#endif
	fake_pages_in_use--;
	if (quar_n == PAGE_QUARANTINE)
		page_unquarantine();
	quar[(quar_head + quar_n++) % PAGE_QUARANTINE] = (uint16_t)i;
	page_quar[i] = 1;
}

/* ---- run-time mappings ------------------------------------------------------------------ */

/* Reservations come from a pool of address space, each followed by a guard page that is never
 * mapped, and are not handed out again until the whole pool is recycled (one mmap for
 * hundreds of inputs): remapping or unmapping a range that had pages costs a TLB flush, and on
 * this kind of VM a flush is slow (a fuzzer spent a third of its time in them). Under ASan an
 * unmapped range stays mapped but poisoned, so that a use after vm_unmap is still a report;
 * without ASan it is made inaccessible as before. A reservation that does not fit while
 * others are live gets its own mmap, as before. */
#define VPOOL_PAGES	16384		/* 64 MiB */
static uint8_t *vpool;
static unsigned int vpool_next;		/* pages from here on unused since the last recycle */
static unsigned int vpool_live;		/* reservations from the pool not vmap_free'd yet */

static bool vpool_has(const void *va)
{
	return vpool && (const uint8_t *)va >= vpool &&
	       (const uint8_t *)va < vpool + VPOOL_PAGES * 4096ul;
}

/* Back to unused address space (one TLB flush for all the mappings since the last time). */
static int vpool_recycle(void)
{
	void *p;

	p = mmap(vpool, VPOOL_PAGES * 4096ul, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | (vpool ? MAP_FIXED : 0), -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	vpool = p;
	vpool_next = 0;
	return 0;
}

void *os_vmap_reserve(size_t len)
{
	size_t pages = (len + 4095) / 4096;
	void *p;

	if (pages && pages + 1 <= VPOOL_PAGES) {
		if ((!vpool || vpool_next + pages + 1 > VPOOL_PAGES) && !vpool_live)
			vpool_recycle();
		if (vpool && vpool_next + pages + 1 <= VPOOL_PAGES) {
			p = vpool + vpool_next * 4096ul;
			vpool_next += pages + 1;		/* and the guard page */
			vpool_live++;
			return p;
		}
	}
	p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void os_vmap_free(void *va, size_t len)
{
	if (vpool_has(va))
		vpool_live--;		/* its addresses wait for the recycle */
	else
		munmap(va, len);
}

int os_vm_map_pages(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags)
{
	/* One mmap per run of consecutive arena pages (a ring's pages mostly are), its page
	 * tables filled at once: a call per page, then a fault per page, made a good part of
	 * the fuzzer's time. */
	for (size_t i = 0, run; i < n; i += run) {
		long idx = fake_page_index(pas[i]);

		if (idx < 0 || !page_used[idx])
			return -EINVAL;
		for (run = 1; i + run < n && fake_page_index(pas[i + run]) == idx + (long)run &&
			      page_used[idx + run]; run++)
			;
		if (mmap((void *)(va + i * 4096), run * 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED | MAP_POPULATE, arena_fd, idx * 4096) == MAP_FAILED)
			return -ENOMEM;
	}
	fake_unpoison((void *)va, n * 4096);	/* an earlier use of these addresses poisoned */
	return 0;
}

int os_vm_unmap(uintptr_t va, size_t len)
{
#ifdef FAKE_ASAN
	if (vpool_has((void *)va)) {
		fake_poison((void *)va, len);	/* stays mapped until the recycle: poisoned */
		return 0;
	}
#endif
	return mmap((void *)va, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	       MAP_FAILED ? -EINVAL : 0;
}
