/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Symmetric multiprocessing (docs/smp.md): the per-CPU area every CPU reaches through its GS
 * base, the CPUs found and brought online, and the cross-CPU primitives (a function run on
 * another CPU, a TLB shootdown).
 *
 * The boot CPU is CPU 0. The others ("APs") are started by smp_init() after the interrupt
 * controllers and time are up (natively and under Xen PVH through the local APIC, under Xen PV
 * with VCPUOP_initialise). An AP runs only what is sent to it (smp_call_on()) and the
 * idle loop: device interrupts, timers and the drivers stay on CPU 0, so every lock rule of
 * the one-CPU kernel (interrupts off = exclusive) still holds for driver state.
 */
#ifndef PVKIT_SMP_H
#define PVKIT_SMP_H

#include <pvkit/compiler.h>
#include <pvkit/spinlock.h>
#include <pvkit/types.h>

struct boot_info;
struct acpi_madt_info;

/** The most CPUs pvkit brings up (more are counted and left offline). */
#define SMP_MAX_CPUS		64
/** Pages of an AP's kernel stack (a guard page below it is left unmapped). */
#define SMP_AP_STACK_PAGES	4
/** The largest stack smp_stack_alloc() makes. */
#define SMP_STACK_MAX_PAGES	4

/** What a cross-call runs on the target CPU: interrupt context, interrupts off. */
typedef void (*smp_call_fn)(void *arg);

/**
 * One CPU's own state. %gs:0 points at it on that CPU (smp_this()), so reaching it costs one
 * load and no lock; other CPUs read it only where a field says so.
 */
struct percpu {
	struct percpu *self;		/**< %gs:0: this structure's own address */
	/**
	 * Xen PV: this vCPU's vcpu_info in shared_info (its event mask is the interrupt flag,
	 * also CR2 and the pvclock record), %gs:PERCPU_VCPU_INFO_OFF; kept in step with
	 * xen_shared_info by xen_pv_set_shared_info(). NULL natively and under PVH.
	 */
	void *vcpu_info;
	unsigned int cpu;		/**< logical number: 0 is the boot CPU */
	uint32_t apic_id;		/**< its local APIC id (native, PVH) */
	uint32_t vcpu_id;		/**< Xen: its vCPU id (the MADT's processor UID under PVH) */
	volatile bool park;		/**< asked to go offline (smp_cpu_down): it parks itself */
	volatile bool parked;		/**< parked by hot-plug (not: never started, or lost) */
	volatile bool online;		/**< set by the CPU itself once it idles */
	uintptr_t stack_top;		/**< top of its kernel stack (APs: vmap, guard below) */
	uint64_t ipis;			/**< cross-call IPIs taken (any CPU reads: tests) */
	uint64_t calls;			/**< cross-call functions run here */
	uint64_t idle_halts;		/**< times its idle loop halted */
	/** The cross-call mailbox, filled by a sender holding call_lock */
	volatile smp_call_fn call_fn;
	void *volatile call_arg;	/**< the argument for call_fn */
	volatile uint32_t call_seq;	/**< bumped by the sender for each call */
	volatile uint32_t call_done;	/**< set to call_seq by the target when fn returned */
	spinlock_t call_lock;		/**< one sender at a time fills the mailbox */
	volatile bool in_call;		/**< running a cross-call (the shootdown waits for it) */
	uint64_t tlb_gen;		/**< smp_tlb_gen when this CPU last flushed its TLB */
	/** The lock this CPU sleeps on in spin_lock_slow() (NULL: none); unlockers on other
	 * CPUs read it, and lock_want, to find whom to kick. */
	spinlock_t *volatile lock_wait;
	volatile uint16_t lock_want;	/**< the ticket it waits for, written before lock_wait */
	uint64_t lock_sleeps;		/**< times it slept waiting for a lock (its own count) */
	uint64_t lock_kicks;		/**< kicks sent to it (atomic: any unlocker adds) */
	/** Xen PVH: event upcalls this AP took and only acknowledged (nothing is bound to it;
	 * registering its vcpu_info raises one) */
	uint64_t stray_upcalls;
};

/** Where percpu.vcpu_info sits: the patched Xen PV irq sites load it with a disp8
 * (paravirt/patch.c checks the offset). */
#define PERCPU_VCPU_INFO_OFF	8

/** Every CPU's area, by logical number (entries past smp_cpus() unused). */
extern struct percpu smp_percpu[SMP_MAX_CPUS];

/**
 * smp_this() - this CPU's area (after smp_early_init() on the boot CPU, before an AP's first
 * C code on the others).
 * @return the area.
 */
static inline struct percpu *smp_this(void)
{
	struct percpu *p;

	__asm__ __volatile__("movq %%gs:0, %0" : "=r"(p));
	return p;
}

/**
 * smp_processor_id() - this CPU's logical number.
 * @return 0 on the boot CPU, 1.. on the others.
 */
static inline unsigned int smp_processor_id(void)
{
	return smp_this()->cpu;
}

/**
 * smp_early_init() - make CPU 0's area reachable through its GS base. start_kernel, before
 * anything calls smp_this(); the GS base is written with wrmsr, which Xen emulates for a PV
 * guest's kernel.
 */
void smp_early_init(void);

/**
 * smp_init() - find the CPUs of this environment and start the others; print
 * "pvkit: smp cpus=N online=N". A CPU that does not come online is reported and left out.
 * @param bi the boot description.
 * @return 0, or -errno when even the search failed (the kernel goes on with one CPU).
 */
int smp_init(const struct boot_info *bi);

/**
 * smp_native_madt() - the MADT the CPUs were started from (natively, and under Xen PVH where
 * Xen provides one), for diagnostics and tests.
 * @return the digested MADT, or NULL when none was used.
 */
const struct acpi_madt_info *smp_native_madt(void);

/** @return how many CPUs the environment describes (online or not, capped at SMP_MAX_CPUS). */
unsigned int smp_cpus(void);

/** @return how many CPUs are online, CPU 0 included. */
unsigned int smp_online(void);

/**
 * smp_call_on() - run @p fn(@p arg) on CPU @p cpu, in its interrupt context, and wait until it
 * returned. On this CPU it is a plain call (interrupts off). Thread context only, with
 * interrupts on: two CPUs calling each other with interrupts off would wait for ever.
 * @param cpu the target's logical number.
 * @param fn  the function.
 * @param arg its argument.
 * @return 0, -EINVAL for a CPU that does not exist, -ENODEV for one that is not online,
 *         -ETIMEDOUT if it did not answer within a second (it is then taken as lost).
 */
int smp_call_on(unsigned int cpu, smp_call_fn fn, void *arg);

/**
 * smp_call_start() - post @p fn(@p arg) to CPU @p cpu and return at once: it runs there in
 * interrupt context while the caller goes on (smp_call_wait() joins it). A CPU holds one call
 * at a time: this waits (bounded) for the previous one to have run.
 * @param cpu another CPU's logical number (not the caller's own).
 * @param fn  the function.
 * @param arg its argument.
 * @param seq receives the ticket smp_call_wait() takes.
 * @return 0, -EINVAL (no such CPU, or the caller's own), -ENODEV (offline), -ETIMEDOUT
 *         (its previous call never ran: taken offline).
 */
int smp_call_start(unsigned int cpu, smp_call_fn fn, void *arg, uint32_t *seq);

/**
 * smp_call_wait() - wait until the call @p seq posted to @p cpu has returned.
 * @param cpu the CPU.
 * @param seq what smp_call_start() gave.
 * @return 0, or -ETIMEDOUT after a second (the CPU is taken offline).
 */
int smp_call_wait(unsigned int cpu, uint32_t seq);

/**
 * smp_flush_tlb_others() - after a mapping changed here, no other CPU uses the old one once
 * this returns. Lazily (docs/smp.md "TLB shootdown"): an AP only runs cross-calls, so an idle
 * AP is not interrupted; it flushes its whole TLB before its next call. An AP inside a call
 * (interrupts off) is waited for until that call ended. Called by the MMU code after it changed
 * or removed a mapping, on CPU 0 (the only CPU that changes mappings).
 * @param va the virtual address, or 0 for the whole TLB (the same lazy flush either way).
 */
void smp_flush_tlb_others(uintptr_t va);

/** How the environment sends the cross-call IPI to a CPU (native: the local APIC's ICR). */
typedef void (*smp_ipi_fn)(const struct percpu *pc);

/**
 * smp_set_ipi_sender() - the environment backend's IPI, set before it starts the other CPUs.
 * @param fn sends the cross-call IPI to the CPU of the area it is given.
 */
void smp_set_ipi_sender(smp_ipi_fn fn);

/**
 * smp_set_local_flush() - how a CPU drops its whole TLB before a cross-call when mappings
 * changed since its last one (the lazy shootdown). Natively a CR3 reload; a Xen PV kernel
 * cannot write CR3 and sets MMUEXT_TLB_FLUSH_LOCAL here. Set before the other CPUs start.
 * @param fn the flush (run on the AP, interrupt context), or NULL for the native one.
 */
void smp_set_local_flush(void (*fn)(void));

/**
 * smp_stack_alloc() - a stack for an AP: @p pages in a run-time mapping with an unmapped guard
 * page below, so an overflow faults instead of writing over something. Never freed (a CPU
 * that did not start keeps it: it is not used again).
 * @param pages 1..SMP_STACK_MAX_PAGES.
 * @return the stack's top, or 0 (no memory or address space).
 */
uintptr_t smp_stack_alloc(unsigned int pages);

/**
 * smp_ap_park_requested() - park @p pc if smp_cpu_down() asked for it (an AP's idle loop,
 * interrupts off, between calls): offline, the environment's park op, and when that returns
 * (smp_cpu_up()) its TLB flushed and online again.
 * @param pc the calling CPU's own area
 * @return true if it was parked (and is back), false if nothing was asked
 */
bool smp_ap_park_requested(struct percpu *pc);

/**
 * smp_set_online() - count @p pc online and say so (the backends: on the AP itself once it
 * idles, or for a parked CPU that was let go on). Nothing if it already is.
 * @param pc the CPU's area.
 */
void smp_set_online(struct percpu *pc);

/**
 * smp_set_offline() - count @p pc out: nothing is sent to it any more (a backend parking it,
 * e.g. a Xen PV vCPU taken down across a suspend). Nothing if it already is.
 * @param pc the CPU's area.
 */
void smp_set_offline(struct percpu *pc);

/**
 * smp_call_interrupt() - the cross-call IPI's handler on the target CPU: run the mailbox's
 * function, then say it is done. Interrupt context (Xen PV: the AP's idle loop, events masked,
 * each time its poll returns; nothing new in the mailbox is a no-op).
 */
void smp_call_interrupt(void);

/** What parks the calling CPU (Xen: VCPUOP_down on itself; returns once it is up again). */
typedef int (*smp_park_fn)(struct percpu *pc);
/** What brings a parked CPU back (Xen: VCPUOP_up). */
typedef int (*smp_unpark_fn)(struct percpu *pc);

/**
 * smp_set_park_ops() - the environment's way to take a CPU offline and back (hot-plug). Without
 * them smp_cpu_down() and smp_cpu_up() say -EOPNOTSUPP.
 * @param park   runs on the CPU going offline, returns when it is back.
 * @param unpark runs on CPU 0 to bring it back.
 */
void smp_set_park_ops(smp_park_fn park, smp_unpark_fn unpark);

/**
 * smp_cpu_down() - take CPU @p cpu offline (xl vcpu-set): it leaves its idle loop and parks;
 * the shootdown and cross-calls leave it out. Prints "pvkit: smp cpu N offline online=M".
 * @param cpu an AP's logical number (CPU 0 stays).
 * @return 0, -EINVAL (CPU 0, or none such), -EALREADY (offline already), -EOPNOTSUPP (the
 *         environment cannot park), -ETIMEDOUT (it did not park within 2 s).
 */
int smp_cpu_down(unsigned int cpu);

/**
 * smp_cpu_up() - bring a parked CPU back. Prints "pvkit: smp cpu N online online=M".
 * @param cpu an AP's logical number.
 * @return 0, -EINVAL, -EALREADY (online), -EOPNOTSUPP, -ETIMEDOUT (not back within 2 s), or
 *         what the environment's unpark said.
 */
int smp_cpu_up(unsigned int cpu);

/**
 * smp_ap_online() - an AP's last step of bring-up, natively and under PVH (a Xen PV AP polls
 * its event channel instead: xen-guest/smp_pv.c): mark it online and idle for ever, taking
 * cross-calls. Interrupts end up enabled.
 * @param pc the AP's area.
 */
__noreturn void smp_ap_online(struct percpu *pc);

#endif /* PVKIT_SMP_H */
