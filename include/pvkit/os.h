/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The OS-services interface: everything the Xen layer (xen-guest/), the frontends and the
 * native drivers (drivers/) need from the kernel they run in, and nothing else.
 *
 * It is the one boundary between pvkit's components and a kernel. The reference kernel's
 * services implement it (kernel/os.c, kernel/timer.c, kernel/idle.c); the hosted unit tests
 * implement it again with fakes (tests/unit/), which makes them a second, hosted port; a
 * kernel that takes only the components ("component mode", docs/library.md) implements it for
 * itself, the way ACPICA's OS layer or lwIP's sys_arch are implemented. No file in drivers/ or
 * xen-guest/ includes a header of kernel/ or init/ (scripts/check-layers.py, run by make).
 *
 * Rules every implementation keeps:
 * - Nothing here fails silently: a call that can fail returns 0 or -errno.
 * - The functions marked "any context" may be called from interrupt (event) handlers with
 *   interrupts off; the others only from thread context (boot code, the idle loop, pollers).
 * - Interrupts (Xen: event delivery) are masked and restored with pv_irq_save() and
 *   pv_irq_restore() (pvkit/pv.h): under Xen the interrupt flag is the vCPU's event mask,
 *   which the Xen layer itself owns, so that "lock" is part of the components, not of this
 *   interface. On one CPU it is the only lock the components take.
 * - Logging goes through printk() (pvkit/printk.h), which formats and hands the text to every
 *   console registered with console_register(): the kernel registers its own sink there.
 */
#ifndef PVKIT_OS_H
#define PVKIT_OS_H

#include <pvkit/types.h>

/** @name Memory: 4 KiB page frames and their addresses */
/** @{ */

/**
 * os_page_alloc() - one zeroed 4 KiB frame of RAM (any context).
 * @param pa receives the frame's physical address (Xen PV: the pseudo-physical address; the
 *           Xen layer translates to machine frames itself).
 * @return 0, or -ENOMEM when no frame is left.
 */
int os_page_alloc(uint64_t *pa);

/**
 * os_page_free() - give back a frame from os_page_alloc() (any context). The components
 * never free a frame a peer may still write to: grants are ended first (gnttab).
 * @param pa the frame's physical address.
 */
void os_page_free(uint64_t pa);

/**
 * os_phys_to_virt() - where the kernel reaches a frame from os_page_alloc() (any context).
 * @param pa a physical address inside a frame from os_page_alloc() or in the kernel image.
 * @return the virtual address of @p pa.
 */
void *os_phys_to_virt(uint64_t pa);

/**
 * os_virt_to_phys() - the inverse of os_phys_to_virt(), also for the kernel image's own
 * statics (any context).
 * @param va a virtual address returned by os_phys_to_virt() or inside the image.
 * @return its physical address.
 */
uint64_t os_virt_to_phys(const void *va);
/** @} */

/**
 * @name Memory given back to the hypervisor (the Xen balloon, xen-guest/balloon.c)
 * The balloon takes free frames out of the kernel for good, gives their memory back to Xen,
 * and later returns frames it got memory for again. While a frame is out the kernel neither
 * hands it out nor reaches it: nothing may map it (under Xen PV a mapping holds a reference
 * that keeps Xen from freeing the frame, and once freed it is someone else's memory).
 */
/** @{ */

/** What the kernel's frame allocator holds (os_page_counts()). */
struct os_page_counts {
	uint64_t total;		/**< frames it manages, taken ones included */
	uint64_t free;		/**< free now */
	uint64_t taken;		/**< out through os_pages_take(), not yet returned */
	uint64_t end;		/**< every frame it manages lies below this physical address */
};

/**
 * os_page_counts() - the allocator's counts (any context).
 * @param c receives them.
 */
void os_page_counts(struct os_page_counts *c);

/**
 * os_pages_take() - take up to @p n free frames out of the kernel (thread context): they are
 * no longer free, no longer mapped anywhere by the kernel, and counted as taken. The
 * allocator keeps at least @p keep_free frames free: fewer than @p n come back when that
 * many are not to spare.
 * @param pas       receives the frames' physical addresses.
 * @param n         how many are wanted.
 * @param keep_free frames that must stay free afterwards.
 * @return how many were taken (0 .. @p n).
 */
size_t os_pages_take(uint64_t *pas, size_t n, uint64_t keep_free);

/**
 * os_pages_return() - frames from os_pages_take() whose memory is there again (Xen PV: each
 * pseudo-physical frame's P2M entry names its new machine frame): the kernel maps them again
 * where it mapped them before and makes them free (thread context). It cannot fail: the
 * kernel keeps what it needs to map them again while they are out. A frame that was not
 * taken is reported and ignored.
 * @param pas the frames' physical addresses.
 * @param n   how many.
 */
void os_pages_return(const uint64_t *pas, size_t n);
/** @} */

/** @name Mapping: device registers, firmware tables, Xen's special pages, multi-page rings */
/** @{ */

/** os_vm_map() flag: the mapping is writable (else read-only). */
#define OS_MAP_WRITE	(1u << 0)
/** os_vm_map() flag: the mapping may be executed (else no-execute where the CPU can). */
#define OS_MAP_EXEC	(1u << 1)
/** os_vm_map() flag: device memory, not cached. */
#define OS_MAP_UNCACHED	(1u << 2)

/**
 * os_ioremap() - map device registers, uncached and writable.
 * @param pa  physical address (need not be page-aligned).
 * @param len bytes.
 * @return the virtual address of @p pa, or NULL when it cannot be mapped.
 */
void *os_ioremap(uint64_t pa, size_t len);

/**
 * os_memremap() - map memory that is not device registers (Xen's console and xenstore pages,
 * which may lie outside RAM), cached and writable.
 * @param pa  physical address (need not be page-aligned).
 * @param len bytes.
 * @return the virtual address of @p pa, or NULL.
 */
void *os_memremap(uint64_t pa, size_t len);

/**
 * os_memremap_ro() - map firmware tables (ACPI) cached and read-only.
 * @param pa  physical address (need not be page-aligned).
 * @param len bytes.
 * @return the virtual address of @p pa, or NULL.
 */
const void *os_memremap_ro(uint64_t pa, size_t len);

/**
 * os_iounmap() - undo os_ioremap(), os_memremap() or os_memremap_ro().
 * @param va  what the map call returned.
 * @param len the length given to it.
 */
void os_iounmap(const void *va, size_t len);

/**
 * os_vmap_reserve() - reserve virtual address space with nothing mapped yet (grant-table
 * frames under Xen PV, multi-page rings).
 * @param len bytes, a multiple of 4 KiB.
 * @return the page-aligned start, or NULL when the space is exhausted.
 */
void *os_vmap_reserve(size_t len);

/**
 * os_vmap_free() - give back space from os_vmap_reserve() (unmap it first).
 * @param va  the start os_vmap_reserve() returned.
 * @param len the length given to it.
 */
void os_vmap_free(void *va, size_t len);

/**
 * os_vm_map() - map [pa, pa + len) at [va, va + len) inside reserved space.
 * @param va    page-aligned, inside space from os_vmap_reserve(), unmapped.
 * @param pa    page-aligned physical address (Xen PV: a pseudo-physical frame of ours).
 * @param len   bytes, a multiple of 4 KiB.
 * @param flags OS_MAP_*.
 * @return 0 or -errno (-EINVAL for unaligned arguments, -ENOMEM, -EEXIST if mapped).
 */
int os_vm_map(uintptr_t va, uint64_t pa, size_t len, unsigned int flags);

/**
 * os_vm_map_pages() - map frames from os_page_alloc() at consecutive pages from @p va.
 * @param va    page-aligned, inside space from os_vmap_reserve(), unmapped.
 * @param pas   the frames' physical addresses.
 * @param n     how many.
 * @param flags OS_MAP_*.
 * @return 0 or -errno; on failure nothing stays mapped.
 */
int os_vm_map_pages(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags);

/**
 * os_vm_unmap() - unmap [va, va + len) (mapped by os_vm_map() or os_vm_map_pages()).
 * @param va  page-aligned start.
 * @param len bytes, a multiple of 4 KiB.
 * @return 0 or -errno.
 */
int os_vm_unmap(uintptr_t va, size_t len);

/**
 * os_vm_lookup() - the physical address behind any mapped kernel address: the image, a frame
 * reached through os_phys_to_virt(), or a page mapped by os_vm_map() or os_vm_map_pages()
 * (the block and network layers take buffers from anywhere).
 * @param va the virtual address (need not be page-aligned).
 * @param pa receives the physical address of @p va.
 * @return 0, or -ENOENT when nothing is mapped there.
 */
int os_vm_lookup(uintptr_t va, uint64_t *pa);
/** @} */

/** @name Time: one monotonic clock and one-shot timers on it */
/** @{ */

/**
 * os_clock_ns() - the monotonic clock os_timer deadlines are in, in nanoseconds (any
 * context). It never goes back, also across a save and restore in a new domain.
 * @return nanoseconds since an arbitrary origin.
 */
uint64_t os_clock_ns(void);

struct os_timer;

/** What a timer runs when it is due: interrupt context, interrupts off. */
typedef void (*os_timer_fn)(struct os_timer *t);

/**
 * A one-shot timer. The caller owns the storage and sets nothing in it: os_timer_add() fills
 * it. Zero-initialised means "not pending".
 */
struct os_timer {
	uint64_t deadline;	/**< os_clock_ns() time it is due; set by os_timer_add() */
	os_timer_fn fn;		/**< run once when due; may re-add its own timer (periodic) */
	void *ctx;		/**< for fn's use */
	struct os_timer *next;	/**< the OS's: the reference kernel's list link */
	bool pending;		/**< armed and not yet run (read-only for the caller) */
};

/**
 * os_timer_add() - (re)arm @p t for @p deadline; an armed timer moves (any context).
 * @param t        the timer.
 * @param deadline os_clock_ns() time; a past deadline runs at the next opportunity.
 * @param fn       what runs.
 * @param ctx      stored in t->ctx.
 */
void os_timer_add(struct os_timer *t, uint64_t deadline, os_timer_fn fn, void *ctx);

/**
 * os_timer_cancel() - disarm @p t (any context).
 * @param t the timer.
 * @return true if it was pending (so it will not run now), false if it had run or was idle.
 */
bool os_timer_cancel(struct os_timer *t);
/** @} */

/** @name Deferred work: pollers the kernel runs outside interrupt context */
/** @{ */

/**
 * Work a component does outside interrupt context (xenstore watch callbacks, device
 * hot-plug, deferred grant ends, console input). The kernel runs every registered poller
 * from its idle loop (and while a long thread-context wait goes on), never from an
 * interrupt handler, never one poller inside itself.
 */
struct os_poller {
	const char *name;		/**< for diagnostics */
	unsigned int (*poll)(void);	/**< does what is pending; returns how much (0: none) */
	struct os_poller *next;		/**< the OS's: the reference kernel's registry link */
	bool running;			/**< the OS's: inside poll, so not entered again */
};

/**
 * os_poller_register() - add @p p to the pollers; registering it twice is a no-op.
 * @param p the poller; its storage lives as long as the kernel.
 */
void os_poller_register(struct os_poller *p);

/**
 * os_wait_until() - wait in thread context until @p cond holds or @p timeout_ns passes,
 * letting interrupts (events) in and sleeping between them. @p cond runs with interrupts
 * off, so it may look at state an interrupt handler changes.
 * @param cond       the condition.
 * @param ctx        passed to @p cond.
 * @param timeout_ns how long at most.
 * @return 0 when @p cond held, -ETIMEDOUT. Returns with interrupts enabled.
 */
int os_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns);
/** @} */

#endif /* PVKIT_OS_H */
