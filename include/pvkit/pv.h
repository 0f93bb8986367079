/* SPDX-License-Identifier: MIT */
/**
 * @file
 * pv_ops: every privileged operation the kernel needs, as four constant tables chosen once at
 * boot (pv_init) for the environment we run in: native (paravirt/), Xen PV and Xen PVH
 * (xen-guest/). Kernel code calls the static inline wrappers below, never a table directly and
 * never the raw instruction: under Xen PV the kernel runs in ring 3, where cli, mov %cr3 and
 * lidt fault, and its page tables are read-only.
 */
#ifndef PVKIT_PV_H
#define PVKIT_PV_H

#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/types.h>

typedef uint64_t pte_t;			/**< one entry of any page-table level */

/** Page-table levels, as alloc_pt/release_pt name them. */
enum pv_pt_level {
	PV_PT_L1 = 1,			/**< page table: 4 KiB pages */
	PV_PT_L2 = 2,			/**< page directory */
	PV_PT_L3 = 3,			/**< page-directory-pointer table */
	PV_PT_L4 = 4,			/**< top level: what CR3 points at */
};

struct desc_ptr;

/** CPU operations: control registers, descriptor tables, segment bases, halting. */
struct pv_cpu_ops {
	const char *name;				/**< "native", "xen-pv", "xen-pvh" */
	/** CPUID as the kernel should see it (Xen PV: forced emulation, so Xen filters it). */
	void (*cpuid)(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
		      uint32_t *d);
	uint64_t (*read_cr0)(void);			/**< CR0 (Xen PV: emulated by Xen) */
	void (*write_cr0)(uint64_t v);			/**< set CR0 (Xen PV: emulated by Xen) */
	uint64_t (*read_cr2)(void);			/**< fault address (PV: from vcpu_info) */
	uint64_t (*read_cr4)(void);			/**< CR4 */
	void (*write_cr4)(uint64_t v);			/**< set CR4 */
	/** Exception entry table; Xen PV turns the IDT's gates into a trap table. */
	void (*load_idt)(const struct desc_ptr *idt);
	void (*load_gdt)(const struct desc_ptr *gdt);	/**< Xen PV: Xen's GDT is used; no-op */
	void (*load_tr)(uint16_t sel);			/**< Xen PV: no TSS; no-op */
	/** Stack the CPU switches to on a ring change into the kernel (TSS.rsp0 / stack_switch). */
	void (*load_sp0)(uint64_t sp0);
	void (*set_fs_base)(uint64_t base);		/**< FS base (MSR, or a hypercall on PV) */
	void (*set_gs_base)(uint64_t base);		/**< GS base (MSR, or a hypercall on PV) */
	void (*io_delay)(void);				/**< ~1 us pause for slow ISA devices */
	void (*wbinvd)(void);				/**< write back and invalidate caches */
	/** Stop the CPU until the next interrupt or event, interrupt state unchanged. */
	void (*halt)(void);
};

/**
 * What a patched call site of the hot interrupt ops (save_fl, restore_fl, irq_disable,
 * irq_enable; paravirt/patch.c) may run in place of the call. The table's functions must do
 * exactly what the inline form does: the inline form is an optimisation, never a behaviour.
 */
enum pv_irq_inline {
	PV_IRQ_INLINE_NONE,		/**< a direct call to the table's function */
	PV_IRQ_INLINE_NATIVE,		/**< pushf/pop, push/popf, cli, sti: RFLAGS.IF is ours */
	PV_IRQ_INLINE_XEN_PV,		/**< this vCPU's event mask (percpu.vcpu_info via %gs), and
					 * a call of xen_pv_force_upcall when unmasking finds an
					 * event pending */
};

/** Interrupt operations: the interrupt flag (Xen: the event mask), halting with no lost wakeup. */
struct pv_irq_ops {
	const char *name;		/**< "native", "xen-pv", "xen-pvh" */
	enum pv_irq_inline patch;	/**< how call sites are patched for this backend */
	/** Bring up interrupt delivery (native: mask the PIC, enable the LAPIC, program the
	 * IOAPIC; Xen: event channels and the upcall). Interrupts stay disabled. */
	int (*init)(const struct boot_info *bi);
	unsigned long (*save_fl)(void);		/**< current interrupt-enable state (IF bit) */
	void (*restore_fl)(unsigned long fl);	/**< back to a state save_fl returned */
	void (*irq_disable)(void);		/**< interrupts (events) off */
	void (*irq_enable)(void);		/**< may deliver pending events at once */
	void (*safe_halt)(void);		/**< enable + wait atomically: no lost wakeup */
};

/** Page-table operations: Xen PV's tables are read-only and hold machine frames. */
struct pv_mmu_ops {
	const char *name;		/**< "native", "xen-pv" */
	/** Page-table frames must never be mapped writable (Xen PV validates that); natively
	 * the kernel writes entries through its own mapping of the table, so it stays writable. */
	bool readonly_pt;
	uint64_t (*read_cr3)(void);		/**< physical address of the current top level */
	void (*write_cr3)(uint64_t pa);		/**< switch (PV: NEW_BASEPTR of a pinned L4) */
	/** Entry values: PV entries hold machine frames, so build and read them here. */
	pte_t (*make_pte)(uint64_t pa, uint64_t flags);
	uint64_t (*pte_pa)(pte_t pte);		/**< physical address an entry points at */
	void (*set_pte)(pte_t *ptep, pte_t val);	/**< L1 entry */
	void (*set_pmd)(pte_t *pmdp, pte_t val);	/**< L2 entry */
	void (*set_pud)(pte_t *pudp, pte_t val);	/**< L3 entry */
	void (*set_p4d)(pte_t *p4dp, pte_t val);	/**< L4 entry */
	/** A zeroed page becomes a page table of @p level (PV: read-only, and pinned if L4). */
	int (*alloc_pt)(enum pv_pt_level level, uint64_t pa);
	/** A page table of @p level is no longer used as one (PV: unpinned, writable again). */
	void (*release_pt)(enum pv_pt_level level, uint64_t pa);
	void (*flush_tlb_one)(uintptr_t va);	/**< drop one page's TLB entry */
	void (*flush_tlb_all)(void);		/**< drop every non-global TLB entry */
	/** Batch page-table updates until leave_lazy (PV: one multicall / mmu_update). */
	void (*enter_lazy)(void);
	void (*leave_lazy)(void);		/**< also the point where batched updates land */
	/** Land what is queued now, inside a lazy section, so that reading the tables from
	 * memory sees it (needed after linking a new table, before walking through it). */
	void (*flush_lazy)(void);
};

/** Time operations: the monotonic clock, the wall clock, the one-shot timer. */
struct pv_time_ops {
	const char *name;		/**< "native", "xen" */
	/** Calibrate the clock and prepare the one-shot timer (after pv_irq->init). */
	int (*init)(const struct boot_info *bi);
	uint64_t (*clock_ns)(void);		/**< monotonic nanoseconds since boot */
	/** Wall clock: seconds and nanoseconds since the Unix epoch; 0 or -errno. */
	int (*wallclock)(uint64_t *sec, uint32_t *nsec);
	/** Arm the one-shot timer for monotonic time @p deadline_ns; 0 cancels. 0 or -errno. */
	int (*set_timer)(uint64_t deadline_ns);
	uint64_t (*tsc_khz)(void);		/**< the TSC frequency as measured or told */
};

/**
 * The timer interrupt handler. Backends call pv_timer_fire() (interrupt context, interrupts
 * off) when the one-shot timer armed with set_timer expires; the kernel's timer layer
 * registers the one handler with pv_timer_set_handler().
 */
typedef void (*pv_timer_handler_t)(void);

/**
 * pv_timer_set_handler() - register the one timer handler (the kernel's timer layer).
 * @param fn the handler; NULL: expiries are ignored.
 */
void pv_timer_set_handler(pv_timer_handler_t fn);

/** pv_timer_fire() - for backends: the one-shot timer expired; runs the handler, if any. */
void pv_timer_fire(void);

/** @name The backends in use, installed by pv_init() */
/** @{ */
extern const struct pv_cpu_ops *pv_cpu;		/**< CPU operations */
extern const struct pv_irq_ops *pv_irq;		/**< interrupt operations */
extern const struct pv_mmu_ops *pv_mmu;		/**< page-table operations */
extern const struct pv_time_ops *pv_time;	/**< time operations */
/** @} */

/**
 * pv_init() - install the backends for the environment @p bi says we run in, after checking
 * that every required member is present: a missing one would otherwise be a call through
 * NULL deep in some later subsystem.
 * @param bi the boot information (its environment).
 * @return 0, or -EINVAL naming the gap on the console.
 */
int pv_init(const struct boot_info *bi);

/**
 * pv_check_tables() - check one set of tables (exported for tests).
 * @param cpu  CPU operations.
 * @param irq  interrupt operations.
 * @param mmu  page-table operations.
 * @param time time operations.
 * @param what receives the name of the gap, on -EINVAL.
 * @return 0, or -EINVAL when a table or a member is missing.
 */
int pv_check_tables(const struct pv_cpu_ops *cpu, const struct pv_irq_ops *irq,
		    const struct pv_mmu_ops *mmu, const struct pv_time_ops *time,
		    const char **what);

/**
 * @name CPU wrappers
 * The wrappers are the only way kernel code reaches the tables; each calls the member of the
 * same name.
 */
/** @{ */

/**
 * pv_cpuid() - CPUID as the kernel should see it.
 * @param leaf the leaf (EAX).
 * @param sub  the subleaf (ECX).
 * @param a    receives EAX.
 * @param b    receives EBX.
 * @param c    receives ECX.
 * @param d    receives EDX.
 */
static inline void pv_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
			    uint32_t *c, uint32_t *d)
{
	pv_cpu->cpuid(leaf, sub, a, b, c, d);
}
/** pv_read_cr0() - CR0. @return its value. */
static inline uint64_t pv_read_cr0(void) { return pv_cpu->read_cr0(); }
/** pv_write_cr0() - set CR0. @param v the value. */
static inline void pv_write_cr0(uint64_t v) { pv_cpu->write_cr0(v); }
/** pv_read_cr2() - the last page fault's address. @return CR2. */
static inline uint64_t pv_read_cr2(void) { return pv_cpu->read_cr2(); }
/** pv_read_cr4() - CR4. @return its value. */
static inline uint64_t pv_read_cr4(void) { return pv_cpu->read_cr4(); }
/** pv_write_cr4() - set CR4. @param v the value. */
static inline void pv_write_cr4(uint64_t v) { pv_cpu->write_cr4(v); }
/** pv_load_idt() - load the exception table. @param p the IDT. */
static inline void pv_load_idt(const struct desc_ptr *p) { pv_cpu->load_idt(p); }
/** pv_load_gdt() - load the GDT. @param p the GDT. */
static inline void pv_load_gdt(const struct desc_ptr *p) { pv_cpu->load_gdt(p); }
/** pv_load_tr() - load the task register. @param sel the TSS selector. */
static inline void pv_load_tr(uint16_t sel) { pv_cpu->load_tr(sel); }
/** pv_load_sp0() - the kernel stack for ring transitions. @param sp0 the stack top. */
static inline void pv_load_sp0(uint64_t sp0) { pv_cpu->load_sp0(sp0); }
/** pv_set_fs_base() - the FS base. @param b the base. */
static inline void pv_set_fs_base(uint64_t b) { pv_cpu->set_fs_base(b); }
/** pv_set_gs_base() - the GS base. @param b the base. */
static inline void pv_set_gs_base(uint64_t b) { pv_cpu->set_gs_base(b); }
/** pv_io_delay() - a pause for slow ISA devices. */
static inline void pv_io_delay(void) { pv_cpu->io_delay(); }
/** pv_wbinvd() - write back and invalidate the caches. */
static inline void pv_wbinvd(void) { pv_cpu->wbinvd(); }
/** pv_halt() - stop until the next interrupt or event, interrupt state unchanged. */
static inline void pv_halt(void) { pv_cpu->halt(); }
/** @} */

/**
 * The hot interrupt ops go through patchable call sites in the kernel (DESIGN.md §3): each is
 * `call *pv_patch_target[op]` padded to PV_PATCH_LEN_<op> bytes, listed in section .pv_patch.
 * pv_init() copies the chosen backend's functions into pv_patch_target (so an unpatched site
 * works) and then rewrites every site into the backend's inline form or a direct call
 * (pv_patch_apply; `pvkit.pv_patch=0` leaves them indirect). Each site clobbers what a C call
 * does. Hosted builds (unit tests, fuzzers) call through the table: no sites.
 */
enum pv_patch_op {
	PV_PATCH_SAVE_FL,		/**< unsigned long (void), result in %rax */
	PV_PATCH_RESTORE_FL,		/**< void (unsigned long fl), argument in %rdi */
	PV_PATCH_IRQ_DISABLE,		/**< void (void) */
	PV_PATCH_IRQ_ENABLE,		/**< void (void) */
	PV_PATCH_NR			/**< the number of ops */
};
#define PV_PATCH_CMDLINE		"pvkit.pv_patch"	/**< =0: sites stay indirect */
/**
 * @name Bytes per site
 * Room for the longest inline form (Xen PV's), at least the 6-byte call. Each definition stays
 * alone on its line, without a trailing comment: scripts/check-image.py reads them.
 */
/** @{ */
/** A save_fl site. */
#define PV_PATCH_LEN_SAVE_FL		18
/** A restore_fl site. */
#define PV_PATCH_LEN_RESTORE_FL		29
/** An irq_disable site. */
#define PV_PATCH_LEN_IRQ_DISABLE	11
/** An irq_enable site. */
#define PV_PATCH_LEN_IRQ_ENABLE		21
/** @} */

/** One record of .pv_patch (written by PV_PATCH_SITE; read by paravirt/patch.c and, at link
 * time, scripts/check-image.py, which also reads the PV_PATCH_LEN_* lines above). */
struct pv_patch_site {
	uint64_t addr;			/**< first byte of the site */
	uint8_t op;			/**< enum pv_patch_op */
	uint8_t len;			/**< bytes of the site: PV_PATCH_LEN_<op> */
	uint8_t pad[6];			/**< zero: the record is 16 bytes */
};

/** What the unpatched sites call: the backend's save_fl, restore_fl, irq_disable, irq_enable. */
extern void *pv_patch_target[PV_PATCH_NR];

#ifdef __PVKIT_KERNEL__
/** Named as an operand of every site: the compiler sets up the frame before the call. */
register unsigned long pv_current_sp __asm__("rsp");

/** The call, padded with one-byte nops to @p len, and its record. @p op is the enum's number
 * (an asm string cannot name an enum constant; patch.c checks they agree). */
#define PV_PATCH_SITE(op, len)							\
	"771:\n\t"								\
	"call *pv_patch_target+8*" STRINGIFY(op) "(%%rip)\n"			\
	"772:\n\t"								\
	".skip " STRINGIFY(len) " - (772b - 771b), 0x90\n\t"			\
	".pushsection .pv_patch, \"a\"\n\t"					\
	".balign 8\n\t"							\
	".quad 771b\n\t"							\
	".byte " STRINGIFY(op) ", " STRINGIFY(len) ", 0, 0, 0, 0, 0, 0\n\t"	\
	".popsection"
/** A C call's clobbers, less the registers a site names as its input or output. */
#define PV_PATCH_CLOBBERS	"rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc"

/**
 * pv_save_fl() - the interrupt-enable state, through a patchable site.
 * @return what pv_restore_fl() takes back.
 */
static inline unsigned long pv_save_fl(void)
{
	unsigned long fl, rdi;

	__asm__ __volatile__(PV_PATCH_SITE(0, PV_PATCH_LEN_SAVE_FL)
			     : "=a"(fl), "=D"(rdi), "+r"(pv_current_sp) : : PV_PATCH_CLOBBERS);
	return fl;
}
/**
 * pv_restore_fl() - back to a state pv_save_fl() returned, through a patchable site. May
 * deliver a pending event at once.
 * @param fl the state.
 */
static inline void pv_restore_fl(unsigned long fl)
{
	unsigned long rax;

	__asm__ __volatile__(PV_PATCH_SITE(1, PV_PATCH_LEN_RESTORE_FL)
			     : "+D"(fl), "=a"(rax), "+r"(pv_current_sp) : : PV_PATCH_CLOBBERS);
}
/** pv_irq_disable() - interrupts (events) off, through a patchable site. */
static inline void pv_irq_disable(void)
{
	unsigned long rax, rdi;

	__asm__ __volatile__(PV_PATCH_SITE(2, PV_PATCH_LEN_IRQ_DISABLE)
			     : "=a"(rax), "=D"(rdi), "+r"(pv_current_sp) : : PV_PATCH_CLOBBERS);
}
/** pv_irq_enable() - interrupts (events) on, through a patchable site; may deliver at once. */
static inline void pv_irq_enable(void)
{
	unsigned long rax, rdi;

	__asm__ __volatile__(PV_PATCH_SITE(3, PV_PATCH_LEN_IRQ_ENABLE)
			     : "=a"(rax), "=D"(rdi), "+r"(pv_current_sp) : : PV_PATCH_CLOBBERS);
}
#else
static inline unsigned long pv_save_fl(void) { return pv_irq->save_fl(); }
static inline void pv_restore_fl(unsigned long fl) { pv_irq->restore_fl(fl); }
static inline void pv_irq_disable(void) { pv_irq->irq_disable(); }
static inline void pv_irq_enable(void) { pv_irq->irq_enable(); }
#endif
/** pv_safe_halt() - enable interrupts and wait for one, atomically: no lost wakeup. */
static inline void pv_safe_halt(void) { pv_irq->safe_halt(); }

/**
 * @name Indirect calls
 * The indirect call a site makes before it is patched, for `bench pvops` and the tests.
 */
/** @{ */
/** pv_save_fl_indirect() - pv_save_fl() through the table. @return the state. */
static inline unsigned long pv_save_fl_indirect(void) { return pv_irq->save_fl(); }
/** pv_restore_fl_indirect() - pv_restore_fl() through the table. @param fl the state. */
static inline void pv_restore_fl_indirect(unsigned long fl) { pv_irq->restore_fl(fl); }
/** pv_irq_disable_indirect() - pv_irq_disable() through the table. */
static inline void pv_irq_disable_indirect(void) { pv_irq->irq_disable(); }
/** pv_irq_enable_indirect() - pv_irq_enable() through the table. */
static inline void pv_irq_enable_indirect(void) { pv_irq->irq_enable(); }
/** @} */

/**
 * pv_patch_apply() - rewrite every site of .pv_patch for backend @p irq (its inline form, or
 * a direct call to its function). A record that is out of range or whose site does not hold
 * the unpatched call is refused, with a line, and left as it is (it still works, indirectly).
 * Called by pv_init with the text still writable; one CPU, interrupts off.
 * @param irq the backend.
 * @return sites patched, or -EINVAL when any was refused.
 */
int pv_patch_apply(const struct pv_irq_ops *irq);

/** What pv_patch_apply did, for the boot line, the self-tests and `bench pvops`. */
struct pv_patch_stats {
	unsigned int sites;		/**< records in .pv_patch */
	unsigned int patched;		/**< sites rewritten */
	unsigned int inlined;		/**< of those, inline (the rest: direct calls) */
	unsigned int refused;		/**< records refused (bad record or unexpected bytes) */
	unsigned int per_op[PV_PATCH_NR];	/**< sites per op */
	bool enabled;			/**< false with pvkit.pv_patch=0: sites stay indirect */
};
/** What pv_patch_apply() did. */
extern struct pv_patch_stats pv_patch_stats;

/** The records (linker script). */
/** @{ */
extern const struct pv_patch_site __pv_patch_start[], __pv_patch_end[];
/** @} */

/**
 * pv_patch_apply_range() - pv_patch_apply() on a range of records (exported for the hosted
 * tests, which patch a buffer of their own). Adds to pv_patch_stats; patches only when
 * pv_patch_stats.enabled.
 * @param begin   the first record.
 * @param end     past the last record.
 * @param irq     the backend.
 * @param text_lo where sites may lie: from here...
 * @param text_hi ...to before here.
 * @return sites patched so far, or -EINVAL when any was refused.
 */
int pv_patch_apply_range(const struct pv_patch_site *begin, const struct pv_patch_site *end,
			 const struct pv_irq_ops *irq, uintptr_t text_lo, uintptr_t text_hi);

/**
 * pv_patch_op_name() - an op's name, for messages.
 * @param op enum pv_patch_op.
 * @return "save_fl", "restore_fl", "irq_disable", "irq_enable"; "?" for anything else.
 */
const char *pv_patch_op_name(unsigned int op);

/**
 * pv_irq_save() - disable interrupts and return the previous state, for pv_irq_restore():
 * the components' one lock on one CPU.
 * @return the previous state.
 */
static inline unsigned long pv_irq_save(void)
{
	unsigned long fl = pv_save_fl();

	pv_irq_disable();
	return fl;
}
/**
 * pv_irq_restore() - back to the state pv_irq_save() returned.
 * @param fl the state.
 */
static inline void pv_irq_restore(unsigned long fl) { pv_restore_fl(fl); }

/** @name Page-table wrappers */
/** @{ */
/** pv_read_cr3() - the current top-level table. @return its physical address. */
static inline uint64_t pv_read_cr3(void) { return pv_mmu->read_cr3(); }
/** pv_write_cr3() - switch page tables. @param pa the top level's physical address. */
static inline void pv_write_cr3(uint64_t pa) { pv_mmu->write_cr3(pa); }
/**
 * pv_make_pte() - a page-table entry for a physical address.
 * @param pa    the physical address.
 * @param flags PTE_* bits.
 * @return the entry (Xen PV: with the machine frame).
 */
static inline pte_t pv_make_pte(uint64_t pa, uint64_t flags) { return pv_mmu->make_pte(pa, flags); }
/** pv_pte_pa() - where an entry points. @param pte the entry. @return the physical address. */
static inline uint64_t pv_pte_pa(pte_t pte) { return pv_mmu->pte_pa(pte); }
/** pv_set_pte() - write an L1 entry. @param p the entry. @param v its new value. */
static inline void pv_set_pte(pte_t *p, pte_t v) { pv_mmu->set_pte(p, v); }
/** pv_set_pmd() - write an L2 entry. @param p the entry. @param v its new value. */
static inline void pv_set_pmd(pte_t *p, pte_t v) { pv_mmu->set_pmd(p, v); }
/** pv_set_pud() - write an L3 entry. @param p the entry. @param v its new value. */
static inline void pv_set_pud(pte_t *p, pte_t v) { pv_mmu->set_pud(p, v); }
/** pv_set_p4d() - write an L4 entry. @param p the entry. @param v its new value. */
static inline void pv_set_p4d(pte_t *p, pte_t v) { pv_mmu->set_p4d(p, v); }
/**
 * pv_alloc_pt() - make a zeroed page a page table.
 * @param l  its level.
 * @param pa its physical address.
 * @return 0 or -errno.
 */
static inline int pv_alloc_pt(enum pv_pt_level l, uint64_t pa) { return pv_mmu->alloc_pt(l, pa); }
/**
 * pv_release_pt() - a page table is no longer used as one.
 * @param l  its level.
 * @param pa its physical address.
 */
static inline void pv_release_pt(enum pv_pt_level l, uint64_t pa) { pv_mmu->release_pt(l, pa); }
/** pv_flush_tlb_one() - drop one page's TLB entry. @param va an address in the page. */
static inline void pv_flush_tlb_one(uintptr_t va) { pv_mmu->flush_tlb_one(va); }
/** pv_flush_tlb_all() - drop every non-global TLB entry. */
static inline void pv_flush_tlb_all(void) { pv_mmu->flush_tlb_all(); }
/** pv_enter_lazy_mmu() - batch page-table updates from now on. */
static inline void pv_enter_lazy_mmu(void) { pv_mmu->enter_lazy(); }
/** pv_leave_lazy_mmu() - stop batching; what is queued lands now. */
static inline void pv_leave_lazy_mmu(void) { pv_mmu->leave_lazy(); }
/** pv_flush_lazy_mmu() - land what is queued, and go on batching. */
static inline void pv_flush_lazy_mmu(void) { pv_mmu->flush_lazy(); }
/** @} */

/** @name Bring-up and time wrappers */
/** @{ */
/**
 * pv_irq_init() - bring up interrupt delivery; interrupts stay disabled.
 * @param bi the boot information.
 * @return 0 or -errno.
 */
static inline int pv_irq_init(const struct boot_info *bi) { return pv_irq->init(bi); }
/**
 * pv_time_init() - calibrate the clock and prepare the one-shot timer.
 * @param bi the boot information.
 * @return 0 or -errno.
 */
static inline int pv_time_init(const struct boot_info *bi) { return pv_time->init(bi); }
/** pv_clock_ns() - the monotonic clock. @return nanoseconds since boot. */
static inline uint64_t pv_clock_ns(void) { return pv_time->clock_ns(); }
/**
 * pv_wallclock() - the wall clock.
 * @param s  receives the seconds since the Unix epoch.
 * @param ns receives the nanoseconds.
 * @return 0 or -errno.
 */
static inline int pv_wallclock(uint64_t *s, uint32_t *ns) { return pv_time->wallclock(s, ns); }
/**
 * pv_set_timer() - arm the one-shot timer; pv_timer_fire() runs when it expires.
 * @param deadline monotonic nanoseconds; 0 cancels.
 * @return 0 or -errno.
 */
static inline int pv_set_timer(uint64_t deadline) { return pv_time->set_timer(deadline); }
/** pv_tsc_khz() - the TSC frequency as measured or told. @return kHz. */
static inline uint64_t pv_tsc_khz(void) { return pv_time->tsc_khz(); }
/** @} */

#endif /* PVKIT_PV_H */
