// SPDX-License-Identifier: MIT
/*
 * Page tables: walk, create and prune 4-level tables. Entries are read straight from memory
 * (through the kernel window) and written only through pv_mmu, which under Xen PV means
 * mmu_update: after linking a new table we flush the lazy queue so the next walk sees it.
 * A frame stays a page table until pt_reap() frees it, outside any lazy section: under Xen PV
 * it only becomes writable again when the queued release lands.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include "mm_internal.h"

#define REAP_MAX	64		/* released tables waiting for pt_reap() */

uint64_t mm_root;
bool mm_has_nx;

static uint64_t pt_frames[(MM_WINDOW_MAX >> PAGE_SHIFT) / 64];	/* 1 = frame is a table */
static uint64_t reap_list[REAP_MAX];
static unsigned int reap_count;

bool pt_is_table(uint64_t pa)
{
	uint64_t f = pa >> PAGE_SHIFT;

	return f < ARRAY_SIZE(pt_frames) * 64 && (pt_frames[f / 64] >> (f % 64) & 1);
}

void pt_mark_table(uint64_t pa, bool table)
{
	uint64_t f = pa >> PAGE_SHIFT;

	if (table)
		pt_frames[f / 64] |= 1ull << (f % 64);
	else
		pt_frames[f / 64] &= ~(1ull << (f % 64));
}

static pte_t *pt_slot(uint64_t table_pa, unsigned int idx)
{
	return (pte_t *)phys_to_virt(table_pa) + idx;
}

void pt_set_level(unsigned int level, pte_t *slot, pte_t val)
{
	switch (level) {
	case 1: pv_set_pte(slot, val); break;
	case 2: pv_set_pmd(slot, val); break;
	case 3: pv_set_pud(slot, val); break;
	case 4: pv_set_p4d(slot, val); break;
	default: BUG();
	}
}

int pt_new_table(enum pv_pt_level level, uint64_t *pa)
{
	int err = page_alloc(pa);		/* zeroed through the window, still writable */

	if (err)
		return err;
	pt_mark_table(*pa, true);
	err = pv_alloc_pt(level, *pa);		/* Xen PV: read-only from here on (and pinned) */
	if (err) {
		pt_mark_table(*pa, false);
		page_free(*pa);
	}
	return err;
}

void pt_release_table(enum pv_pt_level level, uint64_t pa)
{
	pv_release_pt(level, pa);
	if (reap_count == REAP_MAX) {
		/* Out of room: land the queue so the frames are writable, then free them. */
		pv_flush_lazy_mmu();
		pt_reap();
	}
	reap_list[reap_count++] = pa;
}

void pt_reap(void)
{
	for (unsigned int i = 0; i < reap_count; i++) {
		pt_mark_table(reap_list[i], false);
		page_free(reap_list[i]);
	}
	reap_count = 0;
}

int pt_walk(uint64_t root, uintptr_t va, bool create, pte_t **l1e)
{
	uint64_t table = root;

	for (unsigned int level = 4; level > 1; level--) {
		pte_t *slot = pt_slot(table, PT_INDEX(va, level));
		pte_t v = READ_ONCE(*slot);
		uint64_t pa;
		int err;

		if (!(v & PTE_P)) {
			if (!create)
				return -ENOENT;
			err = pt_new_table(level - 1, &pa);
			if (err)
				return err;
			pt_set_level(level, slot, pv_make_pte(pa, PT_TABLE_FLAGS));
			pv_flush_lazy_mmu();	/* the next walk reads this entry from memory */
			table = pa;
			continue;
		}
		if (v & PTE_PS)
			return -EEXIST;		/* a large page: not something we create */
		table = pv_pte_pa(v);
	}
	*l1e = pt_slot(table, PT_INDEX(va, 1));
	return 0;
}

pte_t pt_leaf(uint64_t pa, unsigned int vm_flags)
{
	uint64_t flags = PTE_P | PTE_A;

	if (vm_flags & VM_WRITE)
		flags |= PTE_W | PTE_D;
	if (!(vm_flags & VM_EXEC) && mm_has_nx)
		flags |= PTE_NX;
	if (vm_flags & VM_UNCACHED)
		flags |= PTE_PCD | PTE_PWT;
	/* A page-table frame is never writable where the backend says so (Xen PV). */
	if (pv_mmu->readonly_pt && pt_is_table(pa))
		flags &= ~(uint64_t)(PTE_W | PTE_D);
	return pv_make_pte(pa, flags);
}

static bool pt_table_empty(uint64_t table_pa)
{
	const pte_t *t = phys_to_virt(table_pa);

	for (unsigned int i = 0; i < PT_ENTRIES; i++)
		if (READ_ONCE(t[i]) & PTE_P)
			return false;
	return true;
}

/*
 * Free the tables on the path to @va that no longer map anything, bottom up. The caller has
 * landed its updates (pv_flush_lazy_mmu) so the emptiness checks read the truth; a TLB flush
 * drops cached walks through the tables before they are released.
 */
void pt_prune(uint64_t root, uintptr_t va)
{
	uint64_t tables[5];
	pte_t *slots[5];
	uint64_t table = root;
	unsigned int level;

	for (level = 4; level > 1; level--) {
		pte_t *slot = pt_slot(table, PT_INDEX(va, level));
		pte_t v = READ_ONCE(*slot);

		if (!(v & PTE_P) || (v & PTE_PS))
			return;
		slots[level] = slot;
		table = pv_pte_pa(v);
		tables[level - 1] = table;
	}
	for (level = 1; level < 4; level++) {
		if (!pt_table_empty(tables[level]))
			break;
		pt_set_level(level + 1, slots[level + 1], 0);
		pv_flush_lazy_mmu();
		pv_flush_tlb_all();
		pt_release_table(level, tables[level]);
	}
}
