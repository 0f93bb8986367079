// SPDX-License-Identifier: MIT
/*
 * The reference kernel's port of the OS-services interface (include/pvkit/os.h): memory and
 * mappings from kernel/mm, the clock from pv_time. Timers (os_timer_*, os_wait_until) are
 * kernel/timer.c's and pollers kernel/idle.c's own functions.
 */
#include <pvkit/compiler.h>
#include <pvkit/mm.h>
#include <pvkit/os.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>

/* The OS_MAP_* flags are the vm_map() flags, so they pass through unchanged. */
_Static_assert(OS_MAP_WRITE == VM_WRITE && OS_MAP_EXEC == VM_EXEC &&
	       OS_MAP_UNCACHED == VM_UNCACHED, "OS_MAP_* must equal VM_*");

int os_page_alloc(uint64_t *pa)
{
	return page_alloc(pa);
}

void os_page_free(uint64_t pa)
{
	page_free(pa);
}

void os_page_counts(struct os_page_counts *c)
{
	c->total = page_total_count();
	c->free = page_free_count();
	c->taken = page_taken_count();
	c->end = page_top();
}

size_t os_pages_take(uint64_t *pas, size_t n, uint64_t keep_free)
{
	return page_take(pas, n, keep_free);
}

void os_pages_return(const uint64_t *pas, size_t n)
{
	page_untake(pas, n);
}

void *os_phys_to_virt(uint64_t pa)
{
	return phys_to_virt(pa);
}

uint64_t os_virt_to_phys(const void *va)
{
	return virt_to_phys(va);
}

void *os_ioremap(uint64_t pa, size_t len)
{
	return ioremap(pa, len);
}

void *os_memremap(uint64_t pa, size_t len)
{
	return memremap(pa, len);
}

const void *os_memremap_ro(uint64_t pa, size_t len)
{
	return memremap_ro(pa, len);
}

void os_iounmap(const void *va, size_t len)
{
	iounmap(va, len);
}

void *os_vmap_reserve(size_t len)
{
	return vmap_reserve(len);
}

void os_vmap_free(void *va, size_t len)
{
	vmap_free(va, len);
}

int os_vm_map(uintptr_t va, uint64_t pa, size_t len, unsigned int flags)
{
	return vm_map(va, pa, len, flags);
}

int os_vm_map_pages(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags)
{
	return vm_map_pages(va, pas, n, flags);
}

int os_vm_unmap(uintptr_t va, size_t len)
{
	return vm_unmap(va, len);
}

int os_vm_lookup(uintptr_t va, uint64_t *pa)
{
	if (va >= KERNEL_VIRT_BASE) {		/* the image and the RAM window */
		*pa = virt_to_phys((const void *)va);
		return 0;
	}
	return vm_lookup(va, pa);
}

uint64_t os_clock_ns(void)
{
	return pv_clock_ns();
}
