/* SPDX-License-Identifier: MIT */
/* Inside the memory manager (kernel/mm/): the allocator's reservation interface and the
 * page-table walker that vm.c and mm_init.c share. */
#ifndef KERNEL_MM_INTERNAL_H
#define KERNEL_MM_INTERNAL_H

#include <pvkit/bootinfo.h>
#include <pvkit/pv.h>
#include <pvkit/types.h>

/* page_alloc.c */
void page_alloc_init(const struct boot_info *bi);
void page_reserve(uint64_t pa, uint64_t len);		/* never hand these out */
void page_release_reserved(uint64_t pa, uint64_t len);	/* reserved frames become free */
void page_alloc_set_limit(uint64_t pa);			/* hand out frames below pa only */
uint64_t page_alloc_limit(void);
int page_alloc_raw(uint64_t *pa);			/* no zeroing */
bool page_is_taken(uint64_t pa);			/* out with the balloon (page_take) */

/* pgtable.c: 4-level tables reached through the kernel window, changed through pv_mmu. */
#define PT_ENTRIES		512
#define PT_SHIFT(level)		(PAGE_SHIFT + 9 * ((level) - 1))
#define PT_INDEX(va, level)	(((uint64_t)(va) >> PT_SHIFT(level)) & (PT_ENTRIES - 1))
#define PT_TABLE_FLAGS		(PTE_P | PTE_W | PTE_A)	/* upper levels: the leaf decides */
#define PT_L1_SPAN		(1ul << PT_SHIFT(2))	/* what one L1 table maps: 2 MiB */

extern uint64_t mm_root;		/* the L4 in use (physical) */
extern bool mm_has_nx;			/* the CPU (or Xen) lets us set PTE_NX */

int pt_new_table(enum pv_pt_level level, uint64_t *pa);
void pt_release_table(enum pv_pt_level level, uint64_t pa);	/* frees later: see pt_reap */
void pt_reap(void);			/* free released tables; outside lazy sections only */
bool pt_is_table(uint64_t pa);
void pt_mark_table(uint64_t pa, bool table);	/* frames that are tables outside pt_new_table */
int pt_walk(uint64_t root, uintptr_t va, bool create, pte_t **l1e);
pte_t pt_leaf(uint64_t pa, unsigned int vm_flags);
void pt_set_level(unsigned int level, pte_t *slot, pte_t val);
void pt_prune(uint64_t root, uintptr_t va);	/* free tables left empty around va */

/* vm.c */
extern bool mm_switched;		/* our tables are live; the boot identity map is gone */
/* The window pages of frames the balloon takes (unmapped) and returns (mapped again, if still
 * taken). The window's tables stay while frames are out, so mapping again needs no frame. */
void mm_window_unmap(const uint64_t *pas, size_t n);
void mm_window_map(const uint64_t *pas, size_t n);

/* mm_init.c */
bool mm_window_covers(uint64_t pa, size_t len);	/* RAM the kernel window maps */

#endif /* KERNEL_MM_INTERNAL_H */
