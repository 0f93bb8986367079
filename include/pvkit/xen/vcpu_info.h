/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Every vCPU's vcpu_info registered in memory of ours (xen-guest/vcpu_info.c, docs/smp.md
 * "vcpu_info"): VCPUOP_register_vcpu_info, needed past the 32 vcpu_info slots of shared_info
 * and each vCPU's own cache line below that.
 */
#ifndef PVKIT_XEN_VCPU_INFO_H
#define PVKIT_XEN_VCPU_INFO_H

#include <pvkit/bootinfo.h>
#include <pvkit/smp.h>
#include <pvkit/types.h>

/**
 * xen_vcpu_info_init() - register every online vCPU's vcpu_info (CPU 0 itself, each AP in a
 * cross-call). After smp_init(), under Xen PV and PVH.
 * @param bi the boot description (the environment: PV registers machine frames).
 * @return 0, or the first -errno (that vCPU keeps its shared_info slot, said in a line).
 */
int xen_vcpu_info_init(const struct boot_info *bi);

/**
 * xen_vcpu_info_register_self() - register the calling CPU's vcpu_info and move its pointer
 * there, its events masked across the move.
 * @return 0, -EALREADY (registered in this domain), or the hypercall's -errno.
 */
int xen_vcpu_info_register_self(void);

/**
 * xen_vcpu_info_register_down() - register @p pc's vcpu_info while its vCPU is down (Xen PV,
 * before VCPUOP_up; Xen refuses another vCPU that runs).
 * @param pc the CPU's area (its vcpu_id).
 * @return 0, -EALREADY, or the hypercall's -errno.
 */
int xen_vcpu_info_register_down(struct percpu *pc);

/**
 * xen_vcpu_info_register_online() - register every online vCPU not registered yet (boot,
 * after a resume in a new domain), one line with the count.
 * @return 0 or the first -errno.
 */
int xen_vcpu_info_register_online(void);

/**
 * xen_vcpu_info_registered() - whether @p cpu's vcpu_info is registered in this domain.
 * @param cpu the logical CPU.
 * @return true if Xen uses our area for it.
 */
bool xen_vcpu_info_registered(unsigned int cpu);

/**
 * xen_vcpu_info_lost() - in a new domain (restore, migration), before shared_info is mapped
 * again: every registration is gone; the CPUs go back to their shared_info slots until they
 * register again.
 */
void xen_vcpu_info_lost(void);

#endif /* PVKIT_XEN_VCPU_INFO_H */
