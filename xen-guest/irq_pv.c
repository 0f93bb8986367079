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
#include <pvkit/smp.h>
#include <pvkit/x86.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>
#include <xen/callback.h>
#include <xen/version.h>
#include "failsafe_pv.h"

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

/* The vcpu_info of the vCPU we run on: each CPU masks and unmasks its own events. Read
 * through the GS base each time: xen_pv_set_shared_info moves it (a suspend's stand-in). */
static struct vcpu_info *xen_pv_vcpu(void)
{
	return xen_pv_this_vcpu();
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

/* Across callbacks: the last return retried, how often in a row (failsafe_pv.c). */
static struct xen_pv_failsafe_state xen_pv_failsafe_state;

uint64_t xen_pv_failsafe_count(void)
{
	return READ_ONCE(xen_pv_failsafe_state.callbacks);
}

/*
 * Xen could not restore our context: loading a data selector failed (it loaded a null one
 * instead and tells us what it wanted), or its own iret to us faulted. The first: null every
 * selector that still differs and let the iret hypercall retry; a return that fails again at
 * once, XEN_PV_FAILSAFE_RETRIES times in a row, is a loop: crash. The second (all selectors
 * as they should be) has no retry that could work: report, crash.
 */
void xen_pv_failsafe(struct xen_pv_failsafe_frame *f)
{
	struct xen_pv_failsafe_state *st = &xen_pv_failsafe_state;
	const struct xen_pv_failsafe_ctx want = {
		.rip = f->rip, .cs = f->cs, .rsp = f->rsp, .ss = f->ss,
		.sel = { f->ds, f->es, f->fs, f->gs },
	};
	enum xen_pv_failsafe_verdict verdict;
	const uint16_t null = 0;
	uint16_t have[4];
	struct percpu *self = smp_this();

	__asm__ __volatile__("movw %%ds, %0; movw %%es, %1; movw %%fs, %2; movw %%gs, %3"
			     : "=r"(have[0]), "=r"(have[1]), "=r"(have[2]), "=r"(have[3]));
	/* Before our own printks, whose hypercalls would look like progress. */
	verdict = xen_pv_failsafe_decide(st, &want, have, xen_hypercall_total());
	printk("pvkit: xen-pv: failsafe callback: wanted ds=%#x es=%#x fs=%#x gs=%#x, have "
	       "ds=%#x es=%#x fs=%#x gs=%#x\n", want.sel[0], want.sel[1], want.sel[2],
	       want.sel[3], have[0], have[1], have[2], have[3]);
	printk("pvkit:   returning to rip=%#lx cs=%#lx rflags=%#lx rsp=%#lx ss=%#lx\n",
	       f->rip, f->cs, f->rflags, f->rsp, f->ss);
	if (verdict == XEN_PV_FAILSAFE_BAD_FRAME)
		panic("xen-pv: failsafe callback: Xen cannot return to this context "
		      "(bad CS/SS/RIP frame)");
	if (verdict == XEN_PV_FAILSAFE_LOOP)
		panic("xen-pv: failsafe callback: the same return failed %u times in a row",
		      st->retries);
	if (have[0] != want.sel[0])
		__asm__ __volatile__("movw %0, %%ds" : : "r"(null));
	if (have[1] != want.sel[1])
		__asm__ __volatile__("movw %0, %%es" : : "r"(null));
	if (have[2] != want.sel[2])
		__asm__ __volatile__("movw %0, %%fs" : : "r"(null));
	if (have[3] != want.sel[3]) {
		__asm__ __volatile__("movw %0, %%gs" : : "r"(null));
		/* A null %gs may clear the GS base (Intel, TCG): our per-CPU area, and under PV
		 * the interrupt flag, are reached through it. */
		pv_set_gs_base((uintptr_t)self);
	}
	printk("pvkit: xen-pv: null selectors loaded; retrying the return (%u in a row, at "
	       "most %u; %lu callbacks since boot)\n", st->retries, XEN_PV_FAILSAFE_RETRIES,
	       st->callbacks);
	xen_pv_failsafe_left(st, xen_hypercall_total() + 1);	/* + the iret of our return */
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
