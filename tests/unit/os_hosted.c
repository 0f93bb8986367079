// SPDX-License-Identifier: MIT
/*
 * The hosted port of the OS-services interface (include/pvkit/os.h): the second
 * implementation beside the reference kernel's (kernel/os.c, timer.c, idle.c), linked into
 * every unit test. Addresses are the host's own: a "physical" address is a host pointer moved
 * by the kernel window's offset, the same arithmetic as the reference kernel's window, so
 * both directions round-trip. What a test's fakes supply (fake_pages.c: frames from an arena
 * with a quarantine; fake_blkback.c: timers; fake_pci.c: device mappings; ...) overrides the
 * weak defaults here, which stop the test loudly: a component that reaches a service its test
 * did not give it is a finding, never a silent success.
 */
#include <stdio.h>
#include <stdlib.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>

#define HOSTED_WEAK __attribute__((weak))

/* The clock: the test's fake pv_time when it installs one (fake_pci.c, fake_xenstored.c). */
HOSTED_WEAK const struct pv_time_ops *pv_time;

static __attribute__((noreturn)) void os_hosted_missing(const char *what)
{
	fprintf(stderr, "os_hosted: %s called, but this test's port does not provide it\n", what);
	abort();
}

void *os_phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(KERNEL_VIRT_BASE + pa);
}

uint64_t os_virt_to_phys(const void *va)
{
	return (uintptr_t)va - KERNEL_VIRT_BASE;
}

HOSTED_WEAK uint64_t os_clock_ns(void)
{
	if (!pv_time)
		os_hosted_missing("os_clock_ns (no fake pv_time)");
	return pv_time->clock_ns();
}

HOSTED_WEAK int os_page_alloc(uint64_t *pa) { os_hosted_missing("os_page_alloc"); }
HOSTED_WEAK void os_page_free(uint64_t pa) { os_hosted_missing("os_page_free"); }
HOSTED_WEAK void os_page_counts(struct os_page_counts *c) { os_hosted_missing("os_page_counts"); }
HOSTED_WEAK size_t os_pages_take(uint64_t *pas, size_t n, uint64_t keep_free)
{
	os_hosted_missing("os_pages_take");
}
HOSTED_WEAK void os_pages_return(const uint64_t *pas, size_t n)
{
	os_hosted_missing("os_pages_return");
}
HOSTED_WEAK void *os_ioremap(uint64_t pa, size_t len) { os_hosted_missing("os_ioremap"); }
HOSTED_WEAK void *os_memremap(uint64_t pa, size_t len) { os_hosted_missing("os_memremap"); }
HOSTED_WEAK const void *os_memremap_ro(uint64_t pa, size_t len)
{
	os_hosted_missing("os_memremap_ro");
}
HOSTED_WEAK void os_iounmap(const void *va, size_t len) { os_hosted_missing("os_iounmap"); }
HOSTED_WEAK void *os_vmap_reserve(size_t len) { os_hosted_missing("os_vmap_reserve"); }
HOSTED_WEAK void os_vmap_free(void *va, size_t len) { os_hosted_missing("os_vmap_free"); }
HOSTED_WEAK int os_vm_map(uintptr_t va, uint64_t pa, size_t len, unsigned int flags)
{
	os_hosted_missing("os_vm_map");
}
HOSTED_WEAK int os_vm_map_pages(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags)
{
	os_hosted_missing("os_vm_map_pages");
}
HOSTED_WEAK int os_vm_unmap(uintptr_t va, size_t len) { os_hosted_missing("os_vm_unmap"); }
HOSTED_WEAK int os_vm_lookup(uintptr_t va, uint64_t *pa) { os_hosted_missing("os_vm_lookup"); }
HOSTED_WEAK void os_timer_add(struct os_timer *t, uint64_t deadline, os_timer_fn fn, void *ctx)
{
	os_hosted_missing("os_timer_add");
}
HOSTED_WEAK bool os_timer_cancel(struct os_timer *t) { os_hosted_missing("os_timer_cancel"); }
HOSTED_WEAK void os_poller_register(struct os_poller *p) { os_hosted_missing("os_poller_register"); }
HOSTED_WEAK int os_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns)
{
	os_hosted_missing("os_wait_until");
}
