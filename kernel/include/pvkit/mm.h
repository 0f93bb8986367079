/* SPDX-License-Identifier: MIT */
/*
 * Memory management: the page-frame allocator and the kernel's address space, built and
 * changed only through pv_mmu (so it works under Xen PV, where page tables are read-only).
 *
 * Address space (4-level paging, one for the whole kernel):
 *   KERNEL_VIRT_BASE + pa	the kernel window: the image and all RAM below MM_WINDOW_MAX,
 *				4 KiB pages; page-table frames are mapped read-only in it (Xen PV
 *				requires that; natively it is just as good)
 *   MM_VMAP_BASE ...		mappings made at run time: vm_map(), ioremap(), memremap()
 */
#ifndef PVKIT_MM_H
#define PVKIT_MM_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>
#include <pvkit/x86.h>

#define MM_WINDOW_MAX		(1ull << 30)	/* RAM the kernel window maps (and allocates) */
#define MM_VMAP_BASE		0xffffc90000000000ul	/* L4 slot 402 */
#define MM_VMAP_SIZE		(1ull << 36)		/* 64 GiB of run-time mappings */

/* vm_map() protection flags. */
#define VM_READ		0		/* always readable */
#define VM_WRITE	(1u << 0)
#define VM_EXEC		(1u << 1)	/* otherwise NX (when the CPU has NX) */
#define VM_UNCACHED	(1u << 2)	/* device memory */

/** The kernel-window address of RAM at @pa (pa < MM_WINDOW_MAX). */
static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(KERNEL_VIRT_BASE + pa);
}

/** The physical address behind a kernel-window address. */
static inline uint64_t virt_to_phys(const void *va)
{
	return (uintptr_t)va - KERNEL_VIRT_BASE;
}

/**
 * mm_init() - take the boot memory map, build our own page tables through pv_mmu and switch
 * to them (Xen PV: pin, switch, unpin the domain builder's tables and free their frames).
 * Return: 0 or -errno.
 */
int mm_init(const struct boot_info *bi);

/** One zeroed 4 KiB frame: *pa gets its physical address. Return: 0 or -ENOMEM.
 * page_alloc and page_free may be called from interrupt handlers; the vm_* calls may not. */
int page_alloc(uint64_t *pa);
/** Give a frame back. Freeing a frame that is not allocated is reported and ignored. */
void page_free(uint64_t pa);
/** Frames free / managed in total. */
uint64_t page_free_count(void);
uint64_t page_total_count(void);

/**
 * vm_map() - map [pa, pa + len) at [va, va + len) with @flags (VM_*); allocates page tables
 * as needed. va, pa, len page-aligned; the range must be unmapped. Return: 0 or -errno.
 */
int vm_map(uintptr_t va, uint64_t pa, size_t len, unsigned int flags);
/** Map the frames @pas[0..n) (RAM from page_alloc) at consecutive pages from @va. */
int vm_map_pages(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags);
/** The same, every update issued on its own (no lazy section): for measuring batching. */
int vm_map_pages_eager(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags);
/** Unmap; page-table pages left empty are released and their frames freed. */
int vm_unmap(uintptr_t va, size_t len);
/** Change the protection of a mapped range. Return: 0, -EINVAL, -ENOENT if a page is unmapped. */
int vm_protect(uintptr_t va, size_t len, unsigned int flags);
/** The physical address mapped at @va, or -ENOENT. */
int vm_lookup(uintptr_t va, uint64_t *pa);

/** Reserve @len bytes of run-time address space (no mapping). NULL when exhausted. */
void *vmap_reserve(size_t len);
/** Give address space from vmap_reserve back (unmap it first). */
void vmap_free(void *va, size_t len);

/** Is @pa a frame the allocator manages and currently has free? (tests, diagnostics) */
bool page_is_free(uint64_t pa);
/** Frames of the domain builder's page tables taken back at boot (Xen PV), else 0. */
extern uint64_t mm_reclaimed_frames;

/** Map device registers uncached, or firmware tables cached read-only. NULL on failure. */
void *ioremap(uint64_t pa, size_t len);
const void *memremap_ro(uint64_t pa, size_t len);
/** Map memory that is not device registers and not in the window (Xen special pages). */
void *memremap(uint64_t pa, size_t len);
void iounmap(const void *va, size_t len);

#endif /* PVKIT_MM_H */
