// SPDX-License-Identifier: MIT
/*
 * mm_init(): from the boot memory map to our own page tables, built and switched to through
 * pv_mmu. The kernel window maps all RAM below MM_WINDOW_MAX at KERNEL_VIRT_BASE + pa with
 * 4 KiB pages (text RX, rodata R, the rest RW, NX where the CPU has it).
 *
 * Xen PV makes this a bootstrap: the domain builder's tables map only the image, its own
 * structures and 512 KiB of padding, and a frame can only become a page table while no
 * writable mapping of it exists. So: build a window over the mapped part with table frames
 * from the padding (tables first, then the leaves, so every table frame is known to be one
 * when its own leaf is written), pin and switch, unpin the builder's tables and take their
 * frames back, then grow the window 2 MiB at a time with tables taken from below the part
 * already mapped.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>
#include <pvkit/xen/console.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>
#include "mm_internal.h"

#define XEN_PV_PADDING	(512u << 10)	/* mapped and free after the builder's tables */

extern char _end_pa[];

static const struct boot_info *mm_bi;	/* the memory map the window follows */
static uint64_t window_end;		/* RAM below this is mapped in the window */
uint64_t mm_reclaimed_frames;

bool mm_window_covers(uint64_t pa, size_t len)
{
	if (!mm_bi || !len || pa + len < pa || pa + len > window_end)
		return false;
	for (uint32_t i = 0; i < mm_bi->nr_mem; i++) {
		const struct boot_mem_region *r = &mm_bi->mem[i];

		if (r->type == BOOT_MEM_RAM && pa >= r->base && pa + len <= r->base + r->len)
			return true;
	}
	return false;
}

/* Protection of the window page for @pa: the image by section, all other RAM data. */
static unsigned int window_flags(uint64_t pa)
{
	if (pa >= kernel_virt_to_phys(_text) && pa < kernel_virt_to_phys(_etext))
		return VM_EXEC;
	if (pa >= kernel_virt_to_phys(_srodata) && pa < kernel_virt_to_phys(_erodata))
		return VM_READ;
	return VM_WRITE;
}

/* Map RAM in [from, to) into the window of @root: all tables first, then the leaves. */
static int window_map(uint64_t root, uint64_t from, uint64_t to)
{
	for (int pass = 0; pass < 2; pass++) {
		pv_enter_lazy_mmu();
		for (uint32_t i = 0; i < mm_bi->nr_mem; i++) {
			const struct boot_mem_region *r = &mm_bi->mem[i];
			uint64_t start = MAX(ALIGN_UP(r->base, PAGE_SIZE), from);
			uint64_t end = MIN(ALIGN_DOWN(r->base + r->len, PAGE_SIZE), to);

			if (r->type != BOOT_MEM_RAM)
				continue;
			for (uint64_t pa = start; pa < end; pa += pass ? PAGE_SIZE : PT_L1_SPAN) {
				uintptr_t va = (uintptr_t)phys_to_virt(pa);
				pte_t *l1e;
				int err = pt_walk(root, va, !pass, &l1e);

				if (err) {
					pv_leave_lazy_mmu();
					return err;
				}
				if (pass)
					pv_set_pte(l1e, pt_leaf(pa, window_flags(pa)));
			}
			/* The walk above stepped by 2 MiB from an unaligned start: cover the end. */
			if (!pass && start < end) {
				pte_t *l1e;
				int err = pt_walk(root, (uintptr_t)phys_to_virt(end - 1), true, &l1e);

				if (err) {
					pv_leave_lazy_mmu();
					return err;
				}
			}
		}
		pv_leave_lazy_mmu();
	}
	return 0;
}

/* Frames nobody may have: firmware's low memory, the image, modules, Xen PV's structures. */
static void mm_reserve_boot(const struct boot_info *bi, uint64_t *pv_tables, uint64_t *pv_nr)
{
	page_reserve(0, 1u << 20);
	page_reserve(KERNEL_PHYS_BASE, (uintptr_t)_end_pa - KERNEL_PHYS_BASE);
	for (uint32_t i = 0; i < bi->nr_modules; i++)
		page_reserve(bi->modules[i].base, bi->modules[i].len);
	*pv_tables = *pv_nr = 0;
#ifdef CONFIG_XEN_PV
	if (bi->env == BOOT_XEN_PV) {
		const start_info_t *si = &xen_start_info;

		*pv_tables = si->pt_base - KERNEL_VIRT_BASE;
		*pv_nr = si->nr_pt_frames;
		/* Image, p2m list, start_info, xenstore and console pages, tables, boot stack. */
		page_reserve(0, *pv_tables + (*pv_nr + 1) * PAGE_SIZE);
		if (si->nr_p2m_frames)
			page_reserve(si->first_p2m_pfn << PAGE_SHIFT,
				     si->nr_p2m_frames << PAGE_SHIFT);
	}
#endif
}

/* Xen PV: the builder's tables are ours to take back once we no longer run on them. */
static void mm_reclaim_builder_tables(uint64_t old_root, uint64_t first, uint64_t nr)
{
	pv_enter_lazy_mmu();
	pv_release_pt(PV_PT_L4, old_root);		/* unpin: the whole old tree loses its type */
	for (uint64_t i = 0; i < nr; i++) {
		uint64_t pa = first + i * PAGE_SIZE;

		if (pa != old_root)
			pv_release_pt(PV_PT_L1, pa);	/* writable again in the window */
	}
	pv_leave_lazy_mmu();
	for (uint64_t i = 0; i < nr; i++)
		pt_mark_table(first + i * PAGE_SIZE, false);
	page_release_reserved(first, nr * PAGE_SIZE);
	mm_reclaimed_frames = nr;
	printk("pvkit: mm: took back %lu frames of the domain builder's page tables\n", nr);
}

int mm_init(const struct boot_info *bi)
{
	uint64_t root, old_root = pv_read_cr3(), pv_tables, pv_nr, mapped_end;
	uint32_t a, b, c, d;
	int err;

	mm_bi = bi;
	page_alloc_init(bi);
	mm_reserve_boot(bi, &pv_tables, &pv_nr);
	window_end = page_top();
	pv_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a >= 0x80000001) {
		pv_cpuid(0x80000001, 0, &a, &b, &c, &d);
		mm_has_nx = d & (1u << 20);
	}

	/* What the current tables map: under Xen PV only the builder's region. */
	mapped_end = window_end;
	if (pv_nr) {
		mapped_end = MIN(pv_tables + pv_nr * PAGE_SIZE + XEN_PV_PADDING, window_end);
		for (uint64_t i = 0; i < pv_nr; i++)
			pt_mark_table(pv_tables + i * PAGE_SIZE, true);
	}
	page_alloc_set_limit(mapped_end);

	err = pt_new_table(PV_PT_L4, &root);
	if (!err)
		err = window_map(root, 0, mapped_end);
	if (err) {
		printk("pvkit: mm: cannot build the kernel window: %d\n", err);
		return err;
	}
	pv_write_cr3(root);
	mm_root = root;
	mm_switched = true;
#ifdef CONFIG_XEN_PVH
	if (bi->env == BOOT_XEN_PVH)
		xencons_remap();		/* its ring was reached through the identity map */
#endif
#ifdef CONFIG_XEN_PV
	if (bi->env == BOOT_XEN_PV) {
		err = xen_pv_map_shared_info();	/* its page now maps our own frame again */
		if (err)
			panic("xen-pv: cannot map shared_info after the switch: %d", err);
	}
#endif
	if (pv_nr)
		mm_reclaim_builder_tables(old_root, pv_tables, pv_nr);
	if (bi->env != BOOT_XEN_PV)		/* head32's early tables: 7 frames back */
		page_release_reserved((uintptr_t)__boot_bss_start,
				      __boot_bss_end - __boot_bss_start);

	/* Grow the window: each 2 MiB takes its L1 table from RAM mapped before it. */
	for (uint64_t chunk = ALIGN_DOWN(mapped_end, PT_L1_SPAN); chunk < window_end;
	     chunk += PT_L1_SPAN) {
		uint64_t from = MAX(chunk, mapped_end), to = MIN(chunk + PT_L1_SPAN, window_end);

		if (from < to) {
			err = window_map(root, from, to);
			if (err) {
				printk("pvkit: mm: cannot map RAM at %#lx: %d\n", from, err);
				return err;
			}
		}
		page_alloc_set_limit(to);
	}
	page_alloc_set_limit(window_end);
	printk("pvkit: mm: window %lu MiB, %lu of %lu frames free, nx=%d\n", window_end >> 20,
	       page_free_count(), page_total_count(), mm_has_nx);
	return 0;
}
