// SPDX-License-Identifier: MIT
/*
 * The Xen PV interrupt backend. A PV kernel runs in ring 3, where cli/sti would fault: its
 * interrupt flag is vcpu_info->evtchn_upcall_mask, and interrupts are Xen's event upcalls,
 * delivered to the callbacks registered with HYPERVISOR_callback_op (entry_pv.S).
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>
#include <xen/callback.h>
#include <xen/version.h>

/* Failsafe callbacks that found a selector to null before we call it a loop and stop. */
#define XEN_PV_FAILSAFE_RETRIES	16

/* entry_pv.S */
extern char xen_pv_event_callback[], xen_pv_failsafe_callback[];

/* entry_pv.S pushes this as the vector of an event upcall: one number, defined here. */
__asm__(".globl xen_pv_upcall_vector\n\t"
	".set xen_pv_upcall_vector, " STRINGIFY(IRQ_VECTOR_XEN_UPCALL));

/* What xen_pv_failsafe_callback saves: our registers, then Xen's frame without RCX/R11. */
struct xen_pv_failsafe_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;	/* pushed by the stub, as trap_frame */
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t ds, es, fs, gs;	/* the selectors Xen could not load for us */
	uint64_t rip, cs, rflags, rsp, ss;	/* the context Xen was returning to */
};

void xen_pv_failsafe(struct xen_pv_failsafe_frame *f);

/* Never cached: mm_init re-maps shared_info (xen_pv_map_shared_info) after switching tables. */
static struct vcpu_info *xen_pv_vcpu(void)
{
	return &READ_ONCE(xen_shared_info)->vcpu_info[0];
}

static unsigned long xen_pv_save_fl(void)
{
	return READ_ONCE(xen_pv_vcpu()->evtchn_upcall_mask) ? 0 : X86_RFLAGS_IF;
}

static void xen_pv_irq_disable(void)
{
	WRITE_ONCE(xen_pv_vcpu()->evtchn_upcall_mask, 1);
	barrier();
}

/* Any hypercall returns through Xen's event check; xen_version is the cheapest. */
void xen_pv_force_upcall(void)
{
	HYPERVISOR_xen_version(XENVER_version, NULL);
}

/*
 * Unmask, then look: an event raised before the unmask left upcall_pending set and is seen
 * here; one raised after finds the mask clear and Xen delivers it on its own. A pending one
 * needs a trip through Xen to be delivered now. (paravirt/patch.c inlines exactly this.)
 */
static void xen_pv_irq_enable(void)
{
	struct vcpu_info *v = xen_pv_vcpu();

	WRITE_ONCE(v->evtchn_upcall_mask, 0);
	barrier();
	if (unlikely(READ_ONCE(v->evtchn_upcall_pending)))
		xen_pv_force_upcall();
}

static void xen_pv_restore_fl(unsigned long fl)
{
	if (fl & X86_RFLAGS_IF)
		xen_pv_irq_enable();
	else
		xen_pv_irq_disable();
}

/* SCHEDOP_block clears the mask and checks for pending events inside Xen, atomically, before
 * blocking; we return with events enabled (like sti; hlt) after the upcall has run. */
static void xen_pv_safe_halt(void)
{
	HYPERVISOR_sched_op(SCHEDOP_block, NULL);
}

/*
 * Xen could not restore our context: loading a data selector failed (it loaded a null one
 * instead and tells us what it wanted), or its own iret to us faulted. The first: null every
 * selector that still differs and let the iret hypercall retry, a bounded number of times.
 * The second (all selectors as they should be) has no retry that could work: report, crash.
 */
void xen_pv_failsafe(struct xen_pv_failsafe_frame *f)
{
	static unsigned int retries;
	uint16_t ds, es, fs, gs;
	bool differ;

	__asm__ __volatile__("movw %%ds, %0; movw %%es, %1; movw %%fs, %2; movw %%gs, %3"
			     : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
	differ = ds != (uint16_t)f->ds || es != (uint16_t)f->es || fs != (uint16_t)f->fs ||
		 gs != (uint16_t)f->gs;
	printk("pvkit: xen-pv: failsafe callback: wanted ds=%#lx es=%#lx fs=%#lx gs=%#lx, have "
	       "ds=%#x es=%#x fs=%#x gs=%#x\n", f->ds, f->es, f->fs, f->gs, ds, es, fs, gs);
	printk("pvkit:   returning to rip=%#lx cs=%#lx rflags=%#lx rsp=%#lx ss=%#lx\n",
	       f->rip, f->cs, f->rflags, f->rsp, f->ss);
	if (differ && ++retries <= XEN_PV_FAILSAFE_RETRIES) {
		const uint16_t null = 0;

		if (ds != (uint16_t)f->ds)
			__asm__ __volatile__("movw %0, %%ds" : : "r"(null));
		if (es != (uint16_t)f->es)
			__asm__ __volatile__("movw %0, %%es" : : "r"(null));
		if (fs != (uint16_t)f->fs)
			__asm__ __volatile__("movw %0, %%fs" : : "r"(null));
		if (gs != (uint16_t)f->gs)
			__asm__ __volatile__("movw %0, %%gs" : : "r"(null));
		printk("pvkit: xen-pv: null selectors loaded; retrying the return (%u/%u)\n",
		       retries, XEN_PV_FAILSAFE_RETRIES);
		return;
	}
	panic("xen-pv: failsafe callback: %s", differ ? "bad selectors again and again" :
	      "Xen cannot return to this context (bad CS/SS/RIP frame)");
}

static int xen_pv_register_callback(uint16_t type, const void *entry)
{
	struct callback_register cb = {
		.type = type,
		.flags = CALLBACKF_mask_events,	/* enter with events masked, like an IDT gate */
		.address = (unsigned long)entry,
	};

	return HYPERVISOR_callback_op(CALLBACKOP_register, &cb);
}

/* Event channels first (all ports masked), the upcall's vector handler, then the callbacks:
 * from then on an event reaches the handler of its port. Events stay masked. */
static int xen_pv_irq_init(const struct boot_info *bi)
{
	int err;

	xen_pv_irq_disable();
	err = evtchn_init(bi);
	if (err)
		return err;
	err = irq_set_handler(IRQ_VECTOR_XEN_UPCALL, evtchn_upcall_irq, NULL);
	if (err)
		return err;
	err = xen_pv_register_callback(CALLBACKTYPE_failsafe, xen_pv_failsafe_callback);
	if (err)
		goto out_clear_handler;
	/* Xen cannot unregister a failsafe callback; a registered one without an event callback
	 * is harmless (it only runs when Xen fails to return to us). */
	err = xen_pv_register_callback(CALLBACKTYPE_event, xen_pv_event_callback);
	if (err)
		goto out_clear_handler;
	printk("pvkit: xen-pv: event channels (%s, %u ports), upcall callback on vector %#x\n",
	       evtchn_abi()->name, evtchn_abi()->max_channels(), IRQ_VECTOR_XEN_UPCALL);
	return 0;

out_clear_handler:
	irq_clear_handler(IRQ_VECTOR_XEN_UPCALL);
	printk("pvkit: xen-pv: cannot register the event callbacks: %d\n", err);
	return err;
}

const struct pv_irq_ops xen_pv_irq_ops = {
	.name        = "xen-pv",
	.patch       = PV_IRQ_INLINE_XEN_PV,	/* all four inline (paravirt/patch.c) */
	.init        = xen_pv_irq_init,		/* evtchn, upcall + failsafe callbacks */
	.save_fl     = xen_pv_save_fl,		/* !vcpu_info->evtchn_upcall_mask as IF */
	.restore_fl  = xen_pv_restore_fl,
	.irq_disable = xen_pv_irq_disable,	/* evtchn_upcall_mask = 1 */
	.irq_enable  = xen_pv_irq_enable,	/* unmask, then force a pending upcall */
	.safe_halt   = xen_pv_safe_halt,	/* SCHEDOP_block: unmasks atomically */
};
