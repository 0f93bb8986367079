/* SPDX-License-Identifier: MIT */
/*
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

typedef uint64_t pte_t;			/* one entry of any page-table level */

/* Page-table levels, as alloc_pt/release_pt name them. */
enum pv_pt_level {
	PV_PT_L1 = 1,			/* page table: 4 KiB pages */
	PV_PT_L2 = 2,			/* page directory */
	PV_PT_L3 = 3,			/* page-directory-pointer table */
	PV_PT_L4 = 4,			/* top level: what CR3 points at */
};

struct desc_ptr;

struct pv_cpu_ops {
	const char *name;				/* "native", "xen-pv", "xen-pvh" */
	/* CPUID as the kernel should see it (Xen PV: forced emulation, so Xen filters it). */
	void (*cpuid)(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
		      uint32_t *d);
	uint64_t (*read_cr0)(void);
	void (*write_cr0)(uint64_t v);
	uint64_t (*read_cr2)(void);			/* fault address (PV: from vcpu_info) */
	uint64_t (*read_cr4)(void);
	void (*write_cr4)(uint64_t v);
	/* Exception entry table; Xen PV turns the IDT's gates into a trap table. */
	void (*load_idt)(const struct desc_ptr *idt);
	void (*load_gdt)(const struct desc_ptr *gdt);	/* Xen PV: Xen's GDT is used; no-op */
	void (*load_tr)(uint16_t sel);			/* Xen PV: no TSS; no-op */
	/* Stack the CPU switches to on a ring change into the kernel (TSS.rsp0 / stack_switch). */
	void (*load_sp0)(uint64_t sp0);
	void (*set_fs_base)(uint64_t base);
	void (*set_gs_base)(uint64_t base);
	void (*io_delay)(void);				/* ~1 us pause for slow ISA devices */
	void (*wbinvd)(void);				/* write back and invalidate caches */
	/* Stop the CPU until the next interrupt or event, interrupt state unchanged. */
	void (*halt)(void);
};

/*
 * What a patched call site of the hot interrupt ops (save_fl, restore_fl, irq_disable,
 * irq_enable; paravirt/patch.c) may run in place of the call. The table's functions must do
 * exactly what the inline form does: the inline form is an optimisation, never a behaviour.
 */
enum pv_irq_inline {
	PV_IRQ_INLINE_NONE,		/* a direct call to the table's function */
	PV_IRQ_INLINE_NATIVE,		/* pushf/pop, push/popf, cli, sti: RFLAGS.IF is ours */
	PV_IRQ_INLINE_XEN_PV,		/* vcpu_info[0]'s event mask through xen_shared_info, and
					 * a call of xen_pv_force_upcall when unmasking finds an
					 * event pending */
};

struct pv_irq_ops {
	const char *name;
	enum pv_irq_inline patch;	/* how call sites are patched for this backend */
	/* Bring up interrupt delivery (native: mask the PIC, enable the LAPIC, program the
	 * IOAPIC; Xen: event channels and the upcall). Interrupts stay disabled. */
	int (*init)(const struct boot_info *bi);
	unsigned long (*save_fl)(void);		/* current interrupt-enable state (IF bit) */
	void (*restore_fl)(unsigned long fl);	/* back to a state save_fl returned */
	void (*irq_disable)(void);
	void (*irq_enable)(void);		/* may deliver pending events at once */
	void (*safe_halt)(void);		/* enable + wait atomically: no lost wakeup */
};

struct pv_mmu_ops {
	const char *name;
	/* Page-table frames must never be mapped writable (Xen PV validates that); natively
	 * the kernel writes entries through its own mapping of the table, so it stays writable. */
	bool readonly_pt;
	uint64_t (*read_cr3)(void);		/* physical address of the current top level */
	void (*write_cr3)(uint64_t pa);		/* switch; PV: MMUEXT_NEW_BASEPTR of a pinned L4 */
	/* Entry values: PV entries hold machine frames, so build and read them here. */
	pte_t (*make_pte)(uint64_t pa, uint64_t flags);
	uint64_t (*pte_pa)(pte_t pte);		/* physical address an entry points at */
	void (*set_pte)(pte_t *ptep, pte_t val);	/* L1 entry */
	void (*set_pmd)(pte_t *pmdp, pte_t val);	/* L2 entry */
	void (*set_pud)(pte_t *pudp, pte_t val);	/* L3 entry */
	void (*set_p4d)(pte_t *p4dp, pte_t val);	/* L4 entry */
	/* A zeroed page becomes a page table of @level (PV: read-only, and pinned if L4). */
	int (*alloc_pt)(enum pv_pt_level level, uint64_t pa);
	/* A page table of @level is no longer used as one (PV: unpinned, writable again). */
	void (*release_pt)(enum pv_pt_level level, uint64_t pa);
	void (*flush_tlb_one)(uintptr_t va);
	void (*flush_tlb_all)(void);
	/* Batch page-table updates until leave_lazy (PV: one multicall / mmu_update). */
	void (*enter_lazy)(void);
	void (*leave_lazy)(void);		/* also the point where batched updates land */
	/* Land what is queued now, inside a lazy section, so that reading the tables from
	 * memory sees it (needed after linking a new table, before walking through it). */
	void (*flush_lazy)(void);
};

struct pv_time_ops {
	const char *name;
	/* Calibrate the clock and prepare the one-shot timer (after pv_irq->init). */
	int (*init)(const struct boot_info *bi);
	uint64_t (*clock_ns)(void);		/* monotonic nanoseconds since boot */
	/* Wall clock: seconds and nanoseconds since the Unix epoch. */
	int (*wallclock)(uint64_t *sec, uint32_t *nsec);
	/* Arm the one-shot timer for monotonic time @deadline_ns; 0 cancels. */
	int (*set_timer)(uint64_t deadline_ns);
	uint64_t (*tsc_khz)(void);		/* the TSC frequency as measured or told */
};

/*
 * The timer interrupt. Backends call pv_timer_fire() (interrupt context, interrupts off) when
 * the one-shot timer armed with set_timer expires; the kernel's timer layer registers the one
 * handler with pv_timer_set_handler().
 */
typedef void (*pv_timer_handler_t)(void);
void pv_timer_set_handler(pv_timer_handler_t fn);
void pv_timer_fire(void);

extern const struct pv_cpu_ops *pv_cpu;
extern const struct pv_irq_ops *pv_irq;
extern const struct pv_mmu_ops *pv_mmu;
extern const struct pv_time_ops *pv_time;

/**
 * pv_init() - install the backends for the environment @bi says we run in, after checking
 * that every required member is present. Return: 0, or -EINVAL naming the gap on the console.
 */
int pv_init(const struct boot_info *bi);

/** Check one set of tables (exported for tests): 0 or -EINVAL with *what naming the gap. */
int pv_check_tables(const struct pv_cpu_ops *cpu, const struct pv_irq_ops *irq,
		    const struct pv_mmu_ops *mmu, const struct pv_time_ops *time,
		    const char **what);

/* The wrappers: the only way kernel code reaches the tables. */
static inline void pv_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
			    uint32_t *c, uint32_t *d)
{
	pv_cpu->cpuid(leaf, sub, a, b, c, d);
}
static inline uint64_t pv_read_cr0(void) { return pv_cpu->read_cr0(); }
static inline void pv_write_cr0(uint64_t v) { pv_cpu->write_cr0(v); }
static inline uint64_t pv_read_cr2(void) { return pv_cpu->read_cr2(); }
static inline uint64_t pv_read_cr4(void) { return pv_cpu->read_cr4(); }
static inline void pv_write_cr4(uint64_t v) { pv_cpu->write_cr4(v); }
static inline void pv_load_idt(const struct desc_ptr *p) { pv_cpu->load_idt(p); }
static inline void pv_load_gdt(const struct desc_ptr *p) { pv_cpu->load_gdt(p); }
static inline void pv_load_tr(uint16_t sel) { pv_cpu->load_tr(sel); }
static inline void pv_load_sp0(uint64_t sp0) { pv_cpu->load_sp0(sp0); }
static inline void pv_set_fs_base(uint64_t b) { pv_cpu->set_fs_base(b); }
static inline void pv_set_gs_base(uint64_t b) { pv_cpu->set_gs_base(b); }
static inline void pv_io_delay(void) { pv_cpu->io_delay(); }
static inline void pv_wbinvd(void) { pv_cpu->wbinvd(); }
static inline void pv_halt(void) { pv_cpu->halt(); }

/*
 * The hot interrupt ops go through patchable call sites in the kernel (DESIGN.md §3): each is
 * `call *pv_patch_target[op]` padded to PV_PATCH_LEN_<op> bytes, listed in section .pv_patch.
 * pv_init() copies the chosen backend's functions into pv_patch_target (so an unpatched site
 * works) and then rewrites every site into the backend's inline form or a direct call
 * (pv_patch_apply; `pvkit.pv_patch=0` leaves them indirect). Each site clobbers what a C call
 * does. Hosted builds (unit tests, fuzzers) call through the table: no sites.
 */
enum pv_patch_op {
	PV_PATCH_SAVE_FL,		/* unsigned long (void), result in %rax */
	PV_PATCH_RESTORE_FL,		/* void (unsigned long fl), argument in %rdi */
	PV_PATCH_IRQ_DISABLE,		/* void (void) */
	PV_PATCH_IRQ_ENABLE,		/* void (void) */
	PV_PATCH_NR
};
#define PV_PATCH_CMDLINE		"pvkit.pv_patch"	/* =0: sites stay indirect */
/* Bytes per site: room for the longest inline form (Xen PV's), at least the 6-byte call. */
#define PV_PATCH_LEN_SAVE_FL		18
#define PV_PATCH_LEN_RESTORE_FL		29
#define PV_PATCH_LEN_IRQ_DISABLE	11
#define PV_PATCH_LEN_IRQ_ENABLE		21

/* One record of .pv_patch (written by PV_PATCH_SITE; read by paravirt/patch.c and, at link
 * time, scripts/check-image.py, which also reads the PV_PATCH_LEN_* lines above). */
struct pv_patch_site {
	uint64_t addr;			/* first byte of the site */
	uint8_t op;			/* enum pv_patch_op */
	uint8_t len;			/* bytes of the site: PV_PATCH_LEN_<op> */
	uint8_t pad[6];
};

/* What the unpatched sites call: the backend's save_fl, restore_fl, irq_disable, irq_enable. */
extern void *pv_patch_target[PV_PATCH_NR];

#ifdef __PVKIT_KERNEL__
/* Named as an operand of every site: the compiler sets up the frame before the call. */
register unsigned long pv_current_sp __asm__("rsp");

/* The call, padded with one-byte nops to @len, and its record. @op is the enum's number
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
/* A C call's clobbers, less the registers a site names as its input or output. */
#define PV_PATCH_CLOBBERS	"rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "memory", "cc"

static inline unsigned long pv_save_fl(void)
{
	unsigned long fl, rdi;

	__asm__ __volatile__(PV_PATCH_SITE(0, PV_PATCH_LEN_SAVE_FL)
			     : "=a"(fl), "=D"(rdi), "+r"(pv_current_sp) : : PV_PATCH_CLOBBERS);
	return fl;
}
static inline void pv_restore_fl(unsigned long fl)
{
	unsigned long rax;

	__asm__ __volatile__(PV_PATCH_SITE(1, PV_PATCH_LEN_RESTORE_FL)
			     : "+D"(fl), "=a"(rax), "+r"(pv_current_sp) : : PV_PATCH_CLOBBERS);
}
static inline void pv_irq_disable(void)
{
	unsigned long rax, rdi;

	__asm__ __volatile__(PV_PATCH_SITE(2, PV_PATCH_LEN_IRQ_DISABLE)
			     : "=a"(rax), "=D"(rdi), "+r"(pv_current_sp) : : PV_PATCH_CLOBBERS);
}
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
static inline void pv_safe_halt(void) { pv_irq->safe_halt(); }

/* The indirect call a site makes before it is patched, for `bench pvops` and the tests. */
static inline unsigned long pv_save_fl_indirect(void) { return pv_irq->save_fl(); }
static inline void pv_restore_fl_indirect(unsigned long fl) { pv_irq->restore_fl(fl); }
static inline void pv_irq_disable_indirect(void) { pv_irq->irq_disable(); }
static inline void pv_irq_enable_indirect(void) { pv_irq->irq_enable(); }

/**
 * pv_patch_apply() - rewrite every site of .pv_patch for backend @irq (its inline form, or a
 * direct call to its function). A record that is out of range or whose site does not hold
 * the unpatched call is refused, with a line, and left as it is (it still works, indirectly).
 * Return: sites patched, or -EINVAL when any was refused. Called by pv_init with the text
 * still writable; one CPU, interrupts off.
 */
int pv_patch_apply(const struct pv_irq_ops *irq);

/* What pv_patch_apply did, for the boot line, the self-tests and `bench pvops`. */
struct pv_patch_stats {
	unsigned int sites;		/* records in .pv_patch */
	unsigned int patched;		/* sites rewritten */
	unsigned int inlined;		/* of those, into an inline form (the rest: direct calls) */
	unsigned int refused;		/* records refused (bad record or unexpected bytes) */
	unsigned int per_op[PV_PATCH_NR];	/* sites per op */
	bool enabled;			/* false with pvkit.pv_patch=0: sites stay indirect */
};
extern struct pv_patch_stats pv_patch_stats;

/* The records (linker script). */
extern const struct pv_patch_site __pv_patch_start[], __pv_patch_end[];

/** pv_patch_apply() on the records [@begin, @end) with sites inside [@text_lo, @text_hi)
 * (exported for the hosted tests, which patch a buffer of their own). Adds to
 * pv_patch_stats; patches only when pv_patch_stats.enabled. */
int pv_patch_apply_range(const struct pv_patch_site *begin, const struct pv_patch_site *end,
			 const struct pv_irq_ops *irq, uintptr_t text_lo, uintptr_t text_hi);

/** "save_fl", "restore_fl", "irq_disable", "irq_enable"; "?" for anything else. */
const char *pv_patch_op_name(unsigned int op);

/* Disable interrupts and return the previous state, for pv_irq_restore(). */
static inline unsigned long pv_irq_save(void)
{
	unsigned long fl = pv_save_fl();

	pv_irq_disable();
	return fl;
}
static inline void pv_irq_restore(unsigned long fl) { pv_restore_fl(fl); }

static inline uint64_t pv_read_cr3(void) { return pv_mmu->read_cr3(); }
static inline void pv_write_cr3(uint64_t pa) { pv_mmu->write_cr3(pa); }
static inline pte_t pv_make_pte(uint64_t pa, uint64_t flags) { return pv_mmu->make_pte(pa, flags); }
static inline uint64_t pv_pte_pa(pte_t pte) { return pv_mmu->pte_pa(pte); }
static inline void pv_set_pte(pte_t *p, pte_t v) { pv_mmu->set_pte(p, v); }
static inline void pv_set_pmd(pte_t *p, pte_t v) { pv_mmu->set_pmd(p, v); }
static inline void pv_set_pud(pte_t *p, pte_t v) { pv_mmu->set_pud(p, v); }
static inline void pv_set_p4d(pte_t *p, pte_t v) { pv_mmu->set_p4d(p, v); }
static inline int pv_alloc_pt(enum pv_pt_level l, uint64_t pa) { return pv_mmu->alloc_pt(l, pa); }
static inline void pv_release_pt(enum pv_pt_level l, uint64_t pa) { pv_mmu->release_pt(l, pa); }
static inline void pv_flush_tlb_one(uintptr_t va) { pv_mmu->flush_tlb_one(va); }
static inline void pv_flush_tlb_all(void) { pv_mmu->flush_tlb_all(); }
static inline void pv_enter_lazy_mmu(void) { pv_mmu->enter_lazy(); }
static inline void pv_leave_lazy_mmu(void) { pv_mmu->leave_lazy(); }
static inline void pv_flush_lazy_mmu(void) { pv_mmu->flush_lazy(); }

static inline int pv_irq_init(const struct boot_info *bi) { return pv_irq->init(bi); }
static inline int pv_time_init(const struct boot_info *bi) { return pv_time->init(bi); }
static inline uint64_t pv_clock_ns(void) { return pv_time->clock_ns(); }
static inline int pv_wallclock(uint64_t *s, uint32_t *ns) { return pv_time->wallclock(s, ns); }
static inline int pv_set_timer(uint64_t deadline) { return pv_time->set_timer(deadline); }
static inline uint64_t pv_tsc_khz(void) { return pv_time->tsc_khz(); }

#endif /* PVKIT_PV_H */
