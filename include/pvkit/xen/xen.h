/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Xen guest start of day: what kernel code calls to come up and go down under Xen, and the
 * Xen pv_ops backends.
 */
#ifndef PVKIT_XEN_XEN_H
#define PVKIT_XEN_XEN_H

#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/pv.h>

/** @name The Xen backends (xen-guest/); PVH takes the native CPU and MMU tables */
/** @{ */
/** Xen PV CPU operations: privileged instructions become hypercalls or Xen's emulation. */
extern const struct pv_cpu_ops xen_pv_cpu_ops;
/** Xen PV interrupt operations: the vCPU's event mask is the interrupt flag. */
extern const struct pv_irq_ops xen_pv_irq_ops;
/** Xen PV page-table operations: read-only tables, updates through mmu_update. */
extern const struct pv_mmu_ops xen_pv_mmu_ops;
/** Xen PVH interrupt operations: cli/sti, events on the HVM callback vector. */
extern const struct pv_irq_ops xen_pvh_irq_ops;
/** Xen time (PV and PVH): pvclock for the clock, VIRQ_TIMER for the one-shot timer. */
extern const struct pv_time_ops xen_time_ops;
/** @} */

/** How xen_shutdown() stops the domain. */
enum xen_shutdown_reason {
	XEN_SHUTDOWN_POWEROFF,		/**< SHUTDOWN_poweroff: clean exit */
	XEN_SHUTDOWN_REBOOT,		/**< SHUTDOWN_reboot */
	XEN_SHUTDOWN_CRASH,		/**< SHUTDOWN_crash: the harness counts it as a failure */
};

/**
 * xen_early_console_init() - output on the PV console ring from now on (PV: start_info
 * console mfn/evtchn; PVH: HVM params). HYPERVISOR_console_io is added as a best-effort second
 * console: release Xen refuses it for a DomU (-EPERM), a debug Xen or dom0 shows it.
 * @param bi the boot information (environment, start_info).
 */
void xen_early_console_init(struct boot_info *bi);

/**
 * xen_shutdown() - flush the console ring (bounded wait), then SCHEDOP_shutdown. Returns only
 * on failure.
 * @param reason how to stop.
 */
void xen_shutdown(enum xen_shutdown_reason reason);

/**
 * xen_time_abs_after() - Xen's absolute system time @p rel_ns from now, as SCHEDOP_poll's and
 * the one-shot timer's timeouts want it (not our clock: that starts at 0).
 * @param rel_ns how far ahead.
 * @return the time, or 1 (long past) when the time record cannot be read.
 */
uint64_t xen_time_abs_after(uint64_t rel_ns);

/**
 * xen_time_suspend() - before SCHEDOP_shutdown(SHUTDOWN_suspend): the clock's value now, the
 * largest it has returned (the clock resumes from there).
 * @return nanoseconds on the monotonic clock.
 */
uint64_t xen_time_suspend(void);

/**
 * xen_time_resume() - in a new domain, after evtchn_resume(): Xen's system time has another
 * origin there. Our monotonic clock goes on from its last value plus @p advance_ns (the
 * downtime as the wall clock saw it; 0 when unknown): it never goes back and jumps by no more
 * than that. TSC rate read again, the periodic timer stopped again, VIRQ_TIMER bound again
 * and an armed one-shot armed again.
 * @param advance_ns how far the clock moves on: the downtime, or 0.
 * @return 0 or -errno (no timer: cannot go on).
 */
int xen_time_resume(uint64_t advance_ns);

/**
 * xen_pvh_resume() - PVH, in a new domain: shared_info added to our physical map again at the
 * same frame, the callback vector set again (HVM_PARAM_CALLBACK_IRQ is not saved).
 * @return 0 or -errno.
 */
int xen_pvh_resume(void);

/**
 * xen_pvh_hypercall_init() - PVH: point the MSR that CPUID leaf base+2 names at our hypercall
 * page; Xen writes the hypercall stubs into it.
 * @return 0, -ENODEV (not under Xen, or no hypercall page offered).
 */
int xen_pvh_hypercall_init(void);

/**
 * xen_services_init() - grant tables, xenstore and what builds on them (xen-guest/services.c),
 * once interrupts and time work.
 * @param bi the boot information.
 * @return 0 or the first failure's -errno (printed).
 */
int xen_services_init(const struct boot_info *bi);

/**
 * xen_smp_hotplug_init() - follow xl vcpu-set: watch cpu/N/availability and take the
 * vCPUs smp_init() started offline and back (xen-guest/smp.c, docs/smp.md "Hot-plug"). Needs
 * xenstore; does nothing when only vCPU 0 runs.
 * @return 0 or -errno (the watch could not be set: vcpu-set is then not followed).
 */
int xen_smp_hotplug_init(void);

/**
 * xen_pvh_memory_map() - PVH: fill the memory map from XENMEM_memory_map, when the
 * hvm_start_info carried none (version 0).
 * @param bi the boot information to fill.
 * @return 0 or -errno (bi->diag says what failed).
 */
int xen_pvh_memory_map(struct boot_info *bi);

#endif /* PVKIT_XEN_XEN_H */
