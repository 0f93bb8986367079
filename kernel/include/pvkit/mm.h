/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Memory management: the page-frame allocator and the kernel's address space, built and
 * changed only through pv_mmu (so it works under Xen PV, where page tables are read-only).
 *
 * Address space (4-level paging, one for the whole kernel):
 * - KERNEL_VIRT_BASE + pa: the kernel window: the image and all RAM below MM_WINDOW_MAX,
 *   4 KiB pages; page-table frames are mapped read-only in it (Xen PV requires that;
 *   natively it is just as good);
 * - MM_VMAP_BASE ...: mappings made at run time: vm_map(), ioremap(), memremap().
 */
#ifndef PVKIT_MM_H
#define PVKIT_MM_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>
#include <pvkit/x86.h>

#define MM_WINDOW_MAX		(1ull << 30)	/**< RAM the kernel window maps (and allocates) */
#define MM_VMAP_BASE		0xffffc90000000000ul	/**< L4 slot 402 */
#define MM_VMAP_SIZE		(1ull << 36)		/**< 64 GiB of run-time mappings */

/** @name vm_map() protection flags */
/** @{ */
#define VM_READ		0		/**< always readable */
#define VM_WRITE	(1u << 0)	/**< writable */
#define VM_EXEC		(1u << 1)	/**< otherwise NX (when the CPU has NX) */
#define VM_UNCACHED	(1u << 2)	/**< device memory */
/** @} */

/**
 * phys_to_virt() - the kernel-window address of RAM.
 * @param pa a physical address below MM_WINDOW_MAX.
 * @return its address in the window.
 */
static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(KERNEL_VIRT_BASE + pa);
}

/**
 * virt_to_phys() - the physical address behind a kernel-window address.
 * @param va an address in the window.
 * @return its physical address.
 */
static inline uint64_t virt_to_phys(const void *va)
{
	return (uintptr_t)va - KERNEL_VIRT_BASE;
}

/**
 * mm_init() - take the boot memory map, build our own page tables through pv_mmu and switch
 * to them (Xen PV: pin, switch, unpin the domain builder's tables and free their frames).
 * @param bi the boot information (its memory map).
 * @return 0 or -errno.
 */
int mm_init(const struct boot_info *bi);

/**
 * page_alloc() - one zeroed 4 KiB frame. page_alloc() and page_free() may be called from
 * interrupt handlers; the vm_* calls may not.
 * @param pa receives its physical address.
 * @return 0 or -ENOMEM.
 */
int page_alloc(uint64_t *pa);

/**
 * page_free() - give a frame back. Freeing a frame that is not allocated is reported and
 * ignored.
 * @param pa its physical address.
 */
void page_free(uint64_t pa);

/**
 * page_free_count() - frames free now.
 * @return the count.
 */
uint64_t page_free_count(void);

/**
 * page_total_count() - frames the allocator manages in total (taken ones included).
 * @return the count.
 */
uint64_t page_total_count(void);

/**
 * page_top() - the end of the RAM the allocator manages: every frame lies below it.
 * @return the physical address.
 */
uint64_t page_top(void);

/**
 * page_take() - take up to @p n free frames out for the Xen balloon (os_pages_take()):
 * highest first, used and marked taken, unmapped from the kernel window. Thread context.
 * @param pas       receives their physical addresses.
 * @param n         how many are wanted.
 * @param keep_free frames that must stay free afterwards.
 * @return how many were taken.
 */
size_t page_take(uint64_t *pas, size_t n, uint64_t keep_free);

/**
 * page_untake() - frames from page_take() back (os_pages_return()): mapped in the window
 * again, then free. A frame that is not taken is reported and ignored. Thread context.
 * @param pas their physical addresses.
 * @param n   how many.
 */
void page_untake(const uint64_t *pas, size_t n);

/**
 * page_taken_count() - frames out with the balloon now.
 * @return the count.
 */
uint64_t page_taken_count(void);

/**
 * vm_map() - map [pa, pa + len) at [va, va + len); allocates page tables as needed. On
 * failure nothing stays mapped.
 * @param va    page-aligned; the range must be unmapped.
 * @param pa    page-aligned physical address.
 * @param len   bytes, page-aligned.
 * @param flags VM_*.
 * @return 0 or -errno (-EINVAL for unaligned arguments, -EEXIST if mapped, -ENOMEM).
 */
int vm_map(uintptr_t va, uint64_t pa, size_t len, unsigned int flags);

/**
 * vm_map_pages() - map frames at consecutive pages, the updates batched in one lazy MMU
 * section (one multicall under Xen PV).
 * @param va    page-aligned; the range must be unmapped.
 * @param pas   the frames (RAM from page_alloc()).
 * @param n     how many.
 * @param flags VM_*.
 * @return 0 or -errno; on failure nothing stays mapped.
 */
int vm_map_pages(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags);

/**
 * vm_map_pages_eager() - vm_map_pages() with every update issued on its own (no lazy
 * section): for measuring what batching saves.
 * @param va    page-aligned; the range must be unmapped.
 * @param pas   the frames.
 * @param n     how many.
 * @param flags VM_*.
 * @return 0 or -errno.
 */
int vm_map_pages_eager(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags);

/**
 * vm_unmap() - unmap a range; page-table pages left empty are released and their frames
 * freed.
 * @param va  page-aligned start.
 * @param len bytes, page-aligned.
 * @return 0 or -EINVAL.
 */
int vm_unmap(uintptr_t va, size_t len);

/**
 * vm_protect() - change the protection of a mapped range.
 * @param va    page-aligned start.
 * @param len   bytes, page-aligned.
 * @param flags VM_*.
 * @return 0, -EINVAL, -ENOENT if a page is unmapped.
 */
int vm_protect(uintptr_t va, size_t len, unsigned int flags);

/**
 * vm_lookup() - the physical address mapped at a virtual one.
 * @param va the address (need not be page-aligned).
 * @param pa receives the physical address.
 * @return 0 or -ENOENT.
 */
int vm_lookup(uintptr_t va, uint64_t *pa);

/**
 * vmap_reserve() - reserve run-time address space (no mapping).
 * @param len bytes (rounded up to pages).
 * @return the page-aligned start, or NULL when exhausted.
 */
void *vmap_reserve(size_t len);

/**
 * vmap_free() - give address space from vmap_reserve() back (unmap it first).
 * @param va  the start.
 * @param len the length given to vmap_reserve().
 */
void vmap_free(void *va, size_t len);

/**
 * page_is_free() - is a frame one the allocator manages and currently has free? (tests,
 * diagnostics)
 * @param pa its physical address.
 * @return true if so.
 */
bool page_is_free(uint64_t pa);

/** Frames of the domain builder's page tables taken back at boot (Xen PV), else 0. */
extern uint64_t mm_reclaimed_frames;

/**
 * ioremap() - map device registers uncached and writable.
 * @param pa  physical address (need not be page-aligned).
 * @param len bytes.
 * @return the address of @p pa, or NULL (Xen PV: a DomU has no device memory to map).
 */
void *ioremap(uint64_t pa, size_t len);

/**
 * memremap_ro() - map firmware tables cached and read-only (RAM: its window address).
 * @param pa  physical address (need not be page-aligned).
 * @param len bytes.
 * @return the address of @p pa, or NULL.
 */
const void *memremap_ro(uint64_t pa, size_t len);

/**
 * memremap() - map memory that is not device registers and not in the window (Xen special
 * pages), cached and writable (RAM: its window address).
 * @param pa  physical address (need not be page-aligned).
 * @param len bytes.
 * @return the address of @p pa, or NULL.
 */
void *memremap(uint64_t pa, size_t len);

/**
 * iounmap() - undo ioremap(), memremap() or memremap_ro(); a window address is left alone.
 * @param va  what the map call returned.
 * @param len the length given to it.
 */
void iounmap(const void *va, size_t len);

#endif /* PVKIT_MM_H */
