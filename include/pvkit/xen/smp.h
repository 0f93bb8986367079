/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Xen PV secondary vCPUs (xen-guest/smp_pv.c, docs/smp.md "Xen PV"): started with
 * VCPUOP_initialise and VCPUOP_up, cross-call IPIs polled on masked event channels, taken down
 * across a suspend and let go on after it.
 */
#ifndef PVKIT_XEN_SMP_H
#define PVKIT_XEN_SMP_H

#include <pvkit/bootinfo.h>
#include <pvkit/smp.h>
#include <pvkit/types.h>

/**
 * xen_pv_smp_init() - count the domain's vCPUs (VCPUOP_is_up) and start every one past 0, one
 * at a time, each waited for (2 s), each with its vcpu_info registered before it runs (past
 * the 32 slots of shared_info a vCPU whose registration is refused stays down). At most
 * SMP_MAX_CPUS. smp_init() under Xen PV, with events and time up.
 * @param bi   the boot description.
 * @param cpus receives the vCPUs described (used ones).
 * @return 0 (a vCPU that does not start is reported and left offline), or the -errno of
 *         VCPUOP_is_up when not even vCPU 0 is found.
 */
int xen_pv_smp_init(const struct boot_info *bi, unsigned int *cpus);

/**
 * xen_pv_smp_suspend() - before SCHEDOP_shutdown(suspend): every online AP counted out and
 * taken down (VCPUOP_down), so the save code skips it. On CPU 0, with nothing sent to the APs.
 * @return 0, or the -errno of a VCPUOP_down (the APs are then back as they were).
 */
int xen_pv_smp_suspend(void);

/**
 * xen_pv_smp_resume() - after the suspend: the APs xen_pv_smp_suspend() took down go on. In
 * the same domain (cancelled) VCPUOP_up lets each continue where it was; in a new domain
 * (events and time already resumed) each gets a new IPI port and is started afresh. Prints
 * how many came back.
 * @param same_domain true after a cancelled or failed suspend.
 */
void xen_pv_smp_resume(bool same_domain);

/**
 * xen_pv_smp_needs_start() - whether @p pc was hot-unplugged (xl vcpu-set) before a restore
 * into a new domain: its vCPU has no context there, VCPUOP_up would be refused.
 * @param pc the CPU's area
 * @return true if xen_pv_smp_restart() must bring it back
 */
bool xen_pv_smp_needs_start(const struct percpu *pc);

/**
 * xen_pv_smp_restart() - bring @p pc back with a fresh VCPUOP_initialise + VCPUOP_up and a new
 * IPI port (the unpark op of a vCPU xen_pv_smp_needs_start() names).
 * @param pc the CPU's area
 * @return 0 once it is online, or -errno
 */
int xen_pv_smp_restart(struct percpu *pc);

#endif /* PVKIT_XEN_SMP_H */
