// SPDX-License-Identifier: MIT
/*
 * The Xen PVH interrupt backend. PVH runs in ring 0 of an HVM container, so the interrupt flag
 * is RFLAGS.IF (the native primitives); Xen injects event upcalls as an interrupt vector
 * (HVM_PARAM_CALLBACK_IRQ, type vector: public/hvm/params.h) into the native IDT.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/native.h>
#include <pvkit/printk.h>
#include <pvkit/smp.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>
#include <xen/features.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/memory.h>
#include <xen/version.h>

/* A page of our image whose guest-physical frame becomes shared_info (its RAM goes back to
 * Xen). Inside the image, so no allocator ever hands it out. */
static uint8_t xen_pvh_shared_info_page[PAGE_SIZE] __aligned(PAGE_SIZE);

static int xen_pvh_map_shared_info(void)
{
	struct xen_add_to_physmap xatp = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_shared_info,
		.idx = 0,
		.gpfn = kernel_virt_to_phys(xen_pvh_shared_info_page) >> PAGE_SHIFT,
	};
	int err;

	err = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
	if (err)
		return err;
	xen_shared_info = (shared_info_t *)xen_pvh_shared_info_page;
	return 0;
}

/*
 * The domain-wide callback via a vector: Xen injects it whenever vcpu_info->upcall_pending is
 * set and IF=1, like a level-triggered line that the upcall itself lowers (no LAPIC, so no
 * EOI). HVMOP_set_evtchn_upcall_vector would go through the emulated LAPIC and need an EOI.
 */
/*
 * The callback vector's handler. Every port is bound to vCPU 0, so only CPU 0 has events to
 * scan. But an AP can still be sent the vector: registering its vcpu_info
 * (VCPUOP_register_vcpu_info) sets its upcall_pending to force a rescan, and the vector is
 * level-triggered on that flag, so the AP would take it again at every sti, and a scan there
 * would run the handlers beside CPU 0's. An AP lowers its own line and leaves the scan to
 * CPU 0 (nothing of its own is pending).
 */
static void xen_pvh_upcall(void *ctx)
{
	struct percpu *pc = smp_this();
	struct vcpu_info *v = pc->vcpu_info;

	if (pc->cpu == 0) {
		evtchn_upcall_irq(ctx);
		return;
	}
	if (v) {
		WRITE_ONCE(v->evtchn_upcall_pending, 0);
		__atomic_store_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	}
	pc->stray_upcalls++;
}

static int xen_pvh_set_upcall_vector(void)
{
	struct xen_feature_info fi = { .submap_idx = 0 };
	struct xen_hvm_param p = {
		.domid = DOMID_SELF,
		.index = HVM_PARAM_CALLBACK_IRQ,
		.value = ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56) | IRQ_VECTOR_XEN_UPCALL,
	};

	if (!HYPERVISOR_xen_version(XENVER_get_features, &fi) &&
	    !(fi.submap & (1u << XENFEAT_hvm_callback_vector)))
		return -EOPNOTSUPP;
	return HYPERVISOR_hvm_op(HVMOP_set_param, &p);
}

int xen_pvh_resume(void)
{
	int err = xen_pvh_map_shared_info();

	if (err) {
		printk("pvkit: xen-pvh: resume: XENMEM_add_to_physmap(shared_info) failed: %d\n",
		       err);
		return err;
	}
	err = xen_pvh_set_upcall_vector();
	if (err)
		printk("pvkit: xen-pvh: resume: cannot set the upcall vector: %d\n", err);
	return err;
}

static int xen_pvh_irq_init(const struct boot_info *bi)
{
	int err;

	native_irq_off();
	err = xen_pvh_map_shared_info();
	if (err) {
		printk("pvkit: xen-pvh: XENMEM_add_to_physmap(shared_info) failed: %d\n", err);
		return err;
	}
	err = evtchn_init(bi);
	if (err)
		return err;
	err = irq_set_handler(IRQ_VECTOR_XEN_UPCALL, xen_pvh_upcall, NULL);
	if (err)
		return err;
	err = xen_pvh_set_upcall_vector();
	if (err)
		goto out_clear_handler;
	printk("pvkit: xen-pvh: shared_info at %#lx, event channels (%s, %u ports), upcall on "
	       "vector %#x\n", kernel_virt_to_phys(xen_pvh_shared_info_page), evtchn_abi()->name,
	       evtchn_abi()->max_channels(), IRQ_VECTOR_XEN_UPCALL);
	return 0;

out_clear_handler:
	irq_clear_handler(IRQ_VECTOR_XEN_UPCALL);
	printk("pvkit: xen-pvh: cannot set the upcall vector: %d\n", err);
	return err;
}

const struct pv_irq_ops xen_pvh_irq_ops = {
	.name        = "xen-pvh",
	.patch       = PV_IRQ_INLINE_NATIVE,	/* the four ops are the native ones */
	.init        = xen_pvh_irq_init,	/* shared_info, evtchn, HVM callback vector */
	.save_fl     = native_irq_save_fl,	/* ring 0: RFLAGS.IF is ours */
	.restore_fl  = native_irq_restore_fl,
	.irq_disable = native_irq_off,		/* cli */
	.irq_enable  = native_irq_on,		/* sti: Xen injects a pending upcall */
	.safe_halt   = native_irq_safe_halt,	/* sti; hlt */
};
