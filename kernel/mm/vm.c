// SPDX-License-Identifier: MIT
/*
 * Run-time mappings in the vmap area: map, unmap and re-protect ranges of the one kernel
 * address space, reserve address space, and map device registers (ioremap) or firmware tables
 * (memremap_ro). Every range is checked before anything changes (check, then act), so a
 * refused request leaves the tables as they were. Updates run in a lazy section: under Xen PV
 * a whole range costs a handful of multicalls.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include "mm_internal.h"

#define VMAP_HOLES	64		/* free ranges tracked; more fragmentation is refused */

static struct {
	uintptr_t start;		/* first free byte */
	size_t len;			/* bytes free from there */
} vmap_holes[VMAP_HOLES] = { { MM_VMAP_BASE, MM_VMAP_SIZE } };
static unsigned int vmap_nholes = 1;

bool mm_switched;			/* our own tables are live: no identity map any more */

static bool range_ok(uintptr_t va, uint64_t pa, size_t len)
{
	return len && IS_ALIGNED(va, PAGE_SIZE) && IS_ALIGNED(pa, PAGE_SIZE) &&
	       IS_ALIGNED(len, PAGE_SIZE) && va + len > va;
}

static int vm_check_unmapped(uintptr_t va, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		pte_t *l1e;

		if (!pt_walk(mm_root, va + off, false, &l1e) && (READ_ONCE(*l1e) & PTE_P))
			return -EEXIST;
	}
	return 0;
}

static int vm_check_mapped(uintptr_t va, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		pte_t *l1e;

		if (pt_walk(mm_root, va + off, false, &l1e) || !(READ_ONCE(*l1e) & PTE_P))
			return -ENOENT;
	}
	return 0;
}

/* Clear the leaves of a mapped range and free the tables it leaves empty. */
static void vm_clear(uintptr_t va, size_t len)
{
	pv_enter_lazy_mmu();
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		pte_t *l1e;

		if (pt_walk(mm_root, va + off, false, &l1e) || !(READ_ONCE(*l1e) & PTE_P))
			continue;
		pv_set_pte(l1e, 0);
		pv_flush_tlb_one(va + off);
	}
	pv_flush_lazy_mmu();
	/* Each L1 table covers 2 MiB: prune once per such chunk the range touches. */
	for (uintptr_t chunk = ALIGN_DOWN(va, PT_L1_SPAN); chunk < va + len; chunk += PT_L1_SPAN)
		pt_prune(mm_root, chunk);
	pv_leave_lazy_mmu();
	pt_reap();
}

int vm_map(uintptr_t va, uint64_t pa, size_t len, unsigned int flags)
{
	size_t off;
	int err;

	if (!range_ok(va, pa, len))
		return -EINVAL;
	err = vm_check_unmapped(va, len);
	if (err)
		return err;
	pv_enter_lazy_mmu();
	for (off = 0; off < len; off += PAGE_SIZE) {
		pte_t *l1e;

		err = pt_walk(mm_root, va + off, true, &l1e);
		if (err)
			break;
		pv_set_pte(l1e, pt_leaf(pa + off, flags));
	}
	pv_leave_lazy_mmu();
	if (err)
		vm_clear(va, off);		/* undo the part that was mapped */
	return err;
}

static int vm_map_pages_batched(uintptr_t va, const uint64_t *pas, size_t n,
				unsigned int flags, bool batched)
{
	size_t i;
	int err;

	if (!range_ok(va, 0, n * PAGE_SIZE) || n > SIZE_MAX / PAGE_SIZE)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!IS_ALIGNED(pas[i], PAGE_SIZE) || !mm_window_covers(pas[i], PAGE_SIZE))
			return -EINVAL;		/* only RAM frames we manage */
	err = vm_check_unmapped(va, n * PAGE_SIZE);
	if (err)
		return err;
	if (batched)
		pv_enter_lazy_mmu();
	for (i = 0; i < n; i++) {
		pte_t *l1e;

		err = pt_walk(mm_root, va + i * PAGE_SIZE, true, &l1e);
		if (err)
			break;
		pv_set_pte(l1e, pt_leaf(pas[i], flags));
	}
	if (batched)
		pv_leave_lazy_mmu();
	if (err)
		vm_clear(va, i * PAGE_SIZE);
	return err;
}

int vm_map_pages(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags)
{
	return vm_map_pages_batched(va, pas, n, flags, true);
}

int vm_map_pages_eager(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags)
{
	return vm_map_pages_batched(va, pas, n, flags, false);
}

int vm_unmap(uintptr_t va, size_t len)
{
	if (!range_ok(va, 0, len))
		return -EINVAL;
	vm_clear(va, len);
	return 0;
}

/*
 * The balloon's frames in the kernel window. Unmapping clears the leaves only: the window's
 * L1 tables stay (at most one per 2 MiB given back), so mapping them again never needs a
 * frame, and cannot fail for want of one while memory is short. Each call is one lazy
 * section: under Xen PV one multicall, issued before the frames go to Xen.
 */
void mm_window_unmap(const uint64_t *pas, size_t n)
{
	pv_enter_lazy_mmu();
	for (size_t i = 0; i < n; i++) {
		uintptr_t va = (uintptr_t)phys_to_virt(pas[i]);
		pte_t *l1e;

		if (pt_walk(mm_root, va, false, &l1e) || !(READ_ONCE(*l1e) & PTE_P))
			continue;		/* not in the window: nothing holds it */
		pv_set_pte(l1e, 0);
		pv_flush_tlb_one(va);
	}
	pv_leave_lazy_mmu();
}

void mm_window_map(const uint64_t *pas, size_t n)
{
	pv_enter_lazy_mmu();
	for (size_t i = 0; i < n; i++) {
		uintptr_t va = (uintptr_t)phys_to_virt(pas[i]);
		pte_t *l1e;

		if (!page_is_taken(pas[i]))
			continue;		/* the caller reports it */
		/* Window tables are never freed (mm_window_unmap keeps them): our invariant. */
		BUG_ON(pt_walk(mm_root, va, false, &l1e));
		pv_set_pte(l1e, pt_leaf(pas[i], VM_WRITE));
	}
	pv_leave_lazy_mmu();
}

int vm_protect(uintptr_t va, size_t len, unsigned int flags)
{
	int err;

	if (!range_ok(va, 0, len))
		return -EINVAL;
	err = vm_check_mapped(va, len);
	if (err)
		return err;
	pv_enter_lazy_mmu();
	for (size_t off = 0; off < len; off += PAGE_SIZE) {
		pte_t *l1e;

		pt_walk(mm_root, va + off, false, &l1e);	/* checked above */
		pv_set_pte(l1e, pt_leaf(pv_pte_pa(READ_ONCE(*l1e)), flags));
		pv_flush_tlb_one(va + off);
	}
	pv_leave_lazy_mmu();
	return 0;
}

int vm_lookup(uintptr_t va, uint64_t *pa)
{
	pte_t *l1e;
	pte_t v;

	if (pt_walk(mm_root, va, false, &l1e))
		return -ENOENT;
	v = READ_ONCE(*l1e);
	if (!(v & PTE_P))
		return -ENOENT;
	*pa = pv_pte_pa(v) | (va & (PAGE_SIZE - 1));
	return 0;
}

void *vmap_reserve(size_t len)
{
	len = ALIGN_UP(len, PAGE_SIZE);
	for (unsigned int i = 0; i < vmap_nholes; i++) {
		if (vmap_holes[i].len >= len) {
			uintptr_t va = vmap_holes[i].start;

			vmap_holes[i].start += len;
			vmap_holes[i].len -= len;
			return (void *)va;
		}
	}
	return NULL;
}

/* Give address space back, merging with a neighbouring hole where possible. */
static void vmap_release(uintptr_t va, size_t len)
{
	for (unsigned int i = 0; i < vmap_nholes; i++) {
		if (vmap_holes[i].start == va + len) {
			vmap_holes[i].start = va;
			vmap_holes[i].len += len;
			return;
		}
		if (vmap_holes[i].start + vmap_holes[i].len == va) {
			vmap_holes[i].len += len;
			return;
		}
	}
	if (vmap_nholes < VMAP_HOLES) {
		vmap_holes[vmap_nholes].start = va;
		vmap_holes[vmap_nholes].len = len;
		vmap_nholes++;
	}
	/* else: too fragmented to remember; the space is lost, not reused twice */
}

void vmap_free(void *va, size_t len)
{
	vmap_release((uintptr_t)va, ALIGN_UP(len, PAGE_SIZE));
}

static void *map_phys(uint64_t pa, size_t len, unsigned int flags)
{
	uint64_t base = ALIGN_DOWN(pa, PAGE_SIZE);
	size_t size = ALIGN_UP(pa + len, PAGE_SIZE) - base;
	void *va;

	if (!len || pa + len < pa)
		return NULL;
	if (!mm_switched)		/* early: head32's identity map of 0 - 4 GiB */
		return pa + len <= (4ull << 30) ? (void *)(uintptr_t)pa : NULL;
	va = vmap_reserve(size);
	if (!va)
		return NULL;
	if (vm_map((uintptr_t)va, base, size, flags)) {
		vmap_free(va, size);
		return NULL;
	}
	return (uint8_t *)va + (pa - base);
}

void *ioremap(uint64_t pa, size_t len)
{
	if (!pv_mmu->readonly_pt)	/* Xen PV: a DomU has no device memory to map */
		return map_phys(pa, len, VM_WRITE | VM_UNCACHED);
	return NULL;
}

const void *memremap_ro(uint64_t pa, size_t len)
{
	if (mm_window_covers(pa, len))
		return phys_to_virt(pa);	/* RAM: already in the kernel window */
	if (pv_mmu->readonly_pt)
		return NULL;
	return map_phys(pa, len, VM_READ);
}

void *memremap(uint64_t pa, size_t len)
{
	if (mm_window_covers(pa, len))
		return phys_to_virt(pa);
	if (pv_mmu->readonly_pt)
		return NULL;
	return map_phys(pa, len, VM_WRITE);
}

void iounmap(const void *va, size_t len)
{
	uintptr_t v = (uintptr_t)va;
	uintptr_t base = ALIGN_DOWN(v, PAGE_SIZE);
	size_t size = ALIGN_UP(v + len, PAGE_SIZE) - base;

	if (v < MM_VMAP_BASE || v - MM_VMAP_BASE >= MM_VMAP_SIZE)
		return;			/* a window or identity address: nothing was mapped */
	vm_unmap(base, size);
	vmap_release(base, size);
}
