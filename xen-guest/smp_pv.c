// SPDX-License-Identifier: MIT
/*
 * Xen PV secondary vCPUs (docs/smp.md "Xen PV"). A PV vCPU has no APIC and no real mode: it is
 * started with VCPUOP_initialise, given a struct vcpu_guest_context (registers, trap table,
 * callbacks, CR3, GS base), then VCPUOP_up. One at a time; CPU 0 waits until each says it is
 * online.
 *
 * The APs never take an event upcall: their event mask stays set. Each has an IPI event
 * channel that is kept masked; its idle loop clears the port's pending bit, runs what its
 * cross-call mailbox holds, and blocks in SCHEDOP_poll on that one port. Xen sets a masked
 * port pending and wakes a vCPU polling it (2-level and FIFO alike: common/sched/core.c
 * do_poll, common/event_channel.c evtchn_check_pollers). The ports are bound to vCPU 0, not to
 * the AP: under FIFO Xen drops an event for a vCPU without a control block of its own before
 * it sets PENDING (event_fifo.c), and evtchn_check_pollers wakes whichever vCPU polls the port,
 * whatever vCPU it notifies. vCPU 0 never sees them either: masked ports are not delivered.
 *
 * Across a suspend the APs are taken down (VCPUOP_down: the save code skips a vCPU that is
 * down) and let go on afterwards: VCPUOP_up in the same domain (a cancelled suspend), a fresh
 * start in a new one (its vCPUs past 0 were never initialised there).
 */
#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <pvkit/x86.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/smp.h>
#include <pvkit/xen/vcpu_info.h>
#include <pvkit/xen/xen.h>
#include <string.h>
#include <xen/sched.h>
#include <xen/vcpu.h>

#define XEN_SMP_ONLINE_WAIT_NS	2000000000ull	/* 4 vCPUs on one pCPU under TCG: slow */

extern char xen_pv_ap_entry[];				/* entry_pv.S */
extern char xen_pv_event_callback[], xen_pv_failsafe_callback[];

static struct {
	evtchn_port_t ipi_port[SMP_MAX_CPUS];	/* the port each AP polls; 0: none (never valid) */
	bool parked[SMP_MAX_CPUS];		/* taken down by xen_pv_smp_suspend */
	bool fresh[SMP_MAX_CPUS];		/* hot-unplugged, then restored into a new
						 * domain: VCPUOP_up alone cannot wake it */
	struct vcpu_guest_context ctxt;		/* one AP at a time (5.5 KiB: not on a stack) */
} xsmp;

/* The cross-call IPI: the target's port; it wakes from SCHEDOP_poll. */
static void xen_pv_send_ipi(const struct percpu *pc)
{
	evtchn_send(xsmp.ipi_port[pc->cpu]);
}

/* The lazy shootdown's flush on an AP (a PV kernel cannot write CR3). Not through the MMU
 * batch: that is CPU 0's. */
static void xen_pv_flush_local(void)
{
	struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };

	xen_hypercall4(__HYPERVISOR_mmuext_op, &op, 1, NULL, DOMID_SELF);
}

/* The AP's first C code (entry_pv.S), on its own stack, events masked, GS base = @pc. */
__noreturn void xen_pv_smp_ap_start(struct percpu *pc);
__noreturn void xen_pv_smp_ap_start(struct percpu *pc)
{
	evtchn_port_t port = xsmp.ipi_port[pc->cpu];
	struct sched_poll poll = { .nr_ports = 1, .timeout = 0 };	/* 0: no timeout */

	pv_irq_disable();		/* its own vcpu_info's mask: never unmasked here */
	/* Xen's default 10 ms periodic VIRQ_TIMER: nothing is bound to it on this vCPU. */
	HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, pc->apic_id, NULL);
	set_xen_guest_handle(poll.ports, &port);
	/* A fresh start of a vCPU hot-unplugged before a restore: it left its park for good. */
	__atomic_store_n(&pc->park, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&pc->parked, false, __ATOMIC_SEQ_CST);
	smp_set_online(pc);
	for (;;) {
		/* Clear, then look: a call posted after this sets the port pending again (the
		 * sender fills the mailbox before it sends), so the poll returns at once. The
		 * clear is a locked RMW: the mailbox read cannot pass it. */
		evtchn_clear_pending(port);
		smp_call_interrupt();
		/* xl vcpu-set: parked in VCPUOP_down on itself (xen-guest/smp.c), back here. */
		if (smp_ap_park_requested(pc))
			continue;
		pc->idle_halts++;
		HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
	}
}

/* The context Xen starts @pc's vCPU with: what the boot vCPU runs with, its own stack and GS. */
static void xen_pv_fill_context(struct vcpu_guest_context *c, const struct percpu *pc)
{
	uint64_t l4_mfn = xen_pv_pfn_to_mfn(pv_read_cr3() >> PAGE_SHIFT);

	memset(c, 0, sizeof(*c));
	/* Kernel mode; the failsafe callback masks events, as CPU 0 registered it. */
	c->flags = VGCF_in_kernel | VGCF_failsafe_disables_events;
	c->user_regs.rip = (uintptr_t)xen_pv_ap_entry;
	c->user_regs.rsp = pc->stack_top;
	c->user_regs.rdi = (uintptr_t)pc;
	/* Xen's flat selectors, as the domain builder gives vCPU 0 (gdt_ents 0: no GDT of ours,
	 * CPU 0 has none either: load_gdt is a no-op under PV). */
	c->user_regs.cs = FLAT_KERNEL_CS;
	c->user_regs.ss = FLAT_KERNEL_SS;
	c->user_regs.ds = FLAT_KERNEL_DS;
	c->user_regs.es = FLAT_KERNEL_DS;
	c->user_regs.fs = FLAT_KERNEL_DS;
	c->user_regs.gs = FLAT_KERNEL_DS;
	/* IF only, as the builder gives vCPU 0: virtual IOPL 0 like it (Xen forces IF anyway). */
	c->user_regs.rflags = X86_RFLAGS_IF;
	for (const struct trap_info *t = xen_pv_trap_table(); t->address; t++)
		c->trap_ctxt[t->vector] = *t;	/* indexed by vector, as set_trap_table fills it */
	c->gdt_ents = 0;
	c->kernel_ss = FLAT_KERNEL_SS;
	c->kernel_sp = pc->stack_top;
	c->event_callback_eip = (uintptr_t)xen_pv_event_callback;
	c->failsafe_callback_eip = (uintptr_t)xen_pv_failsafe_callback;
	c->ctrlreg[3] = xen_pfn_to_cr3(l4_mfn);	/* the pinned L4 CPU 0 runs on */
	c->gs_base_kernel = (uintptr_t)pc;
}

/* Start @pc's vCPU, not initialised in this domain, and wait until it says it is online. */
static int xen_pv_start_cpu(struct percpu *pc)
{
	struct vcpu_info *vi;
	uint64_t deadline;
	int err;

	if (!pc->stack_top && !(pc->stack_top = smp_stack_alloc(SMP_AP_STACK_PAGES)))
		return -ENOMEM;
	if (!xsmp.ipi_port[pc->cpu]) {
		err = evtchn_bind_ipi(0, &xsmp.ipi_port[pc->cpu]);	/* masked: polled only */
		if (err)
			return err;
	}
	/* Its own vcpu_info before it runs (Xen registers another vCPU only while it is
	 * down); Xen copies the old one's, mask set. Kept in its slot if refused. */
	err = xen_vcpu_info_register_down(pc);
	if (err && err != -EALREADY)
		printk("pvkit: smp: vcpu %u: VCPUOP_register_vcpu_info: -%s (stays in "
		       "shared_info)\n", pc->vcpu_id, strerror_name(-err));
	vi = pc->vcpu_info;
	if (!vi)
		return -ERANGE;			/* past XEN_LEGACY_MAX_VCPUS, unregistered */
	WRITE_ONCE(vi->evtchn_upcall_mask, 1);	/* no upcall ever */
	xen_pv_fill_context(&xsmp.ctxt, pc);
	err = HYPERVISOR_vcpu_op(VCPUOP_initialise, pc->apic_id, &xsmp.ctxt);
	if (err)
		return err;
	err = HYPERVISOR_vcpu_op(VCPUOP_up, pc->apic_id, NULL);
	if (err)
		return err;
	deadline = pv_clock_ns() + XEN_SMP_ONLINE_WAIT_NS;
	while (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE)) {
		if (pv_clock_ns() > deadline)
			return -ETIMEDOUT;
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);	/* it may share our pCPU */
	}
	return 0;
}

int xen_pv_smp_init(const struct boot_info *bi, unsigned int *cpus)
{
	unsigned int n = 0;
	int rc = 0, err;

	while (n < SMP_MAX_CPUS && (rc = HYPERVISOR_vcpu_op(VCPUOP_is_up, n, NULL)) >= 0)
		n++;
	*cpus = n ? n : 1;
	if (!n)
		return rc;			/* not even vCPU 0: the call itself is refused */
	for (unsigned int cpu = 1; cpu < n; cpu++) {
		struct percpu *pc = &smp_percpu[cpu];

		pc->self = pc;
		pc->cpu = cpu;
		pc->apic_id = cpu;		/* the vCPU id */
		pc->vcpu_id = cpu;
		/* Its slot until it registers its own (past 32 there is none: xen_pv_start_cpu). */
		pc->vcpu_info = cpu < XEN_LEGACY_MAX_VCPUS ? &xen_shared_info->vcpu_info[cpu] : NULL;
	}
	smp_set_ipi_sender(xen_pv_send_ipi);
	smp_set_local_flush(xen_pv_flush_local);
	for (unsigned int cpu = 1; cpu < n; cpu++) {
		err = xen_pv_start_cpu(&smp_percpu[cpu]);
		if (err)
			printk("pvkit: smp: vcpu %u did not come online: -%s\n", cpu,
			       strerror_name(-err));
	}
	return 0;
}

int xen_pv_smp_suspend(void)
{
	int err;

	for (unsigned int cpu = 1; cpu < smp_cpus(); cpu++) {
		struct percpu *pc = &smp_percpu[cpu];

		if (!pc->online)
			continue;
		/* Idle by now: only CPU 0 sends calls, and it is here. Nothing more is sent. */
		smp_set_offline(pc);
		err = HYPERVISOR_vcpu_op(VCPUOP_down, pc->apic_id, NULL);
		if (err) {
			printk("pvkit: suspend: cannot take vcpu %u down: %d\n", cpu, err);
			smp_set_online(pc);
			xen_pv_smp_resume(true);	/* the ones already down: back */
			return err;
		}
		xsmp.parked[cpu] = true;
	}
	return 0;
}

void xen_pv_smp_resume(bool same_domain)
{
	unsigned int back = 0, parked = 0;
	int err;

	for (unsigned int cpu = 1; cpu < smp_cpus(); cpu++) {
		struct percpu *pc = &smp_percpu[cpu];

		if (!same_domain && __atomic_load_n(&pc->parked, __ATOMIC_ACQUIRE)) {
			/* Hot-unplugged before the save: stays down, and its old port and context
			 * are gone; smp_cpu_up() starts it afresh (xen_pv_smp_restart). */
			xsmp.fresh[cpu] = true;
			xsmp.ipi_port[cpu] = 0;
		}
		if (!xsmp.parked[cpu])
			continue;
		xsmp.parked[cpu] = false;
		parked++;
		if (same_domain) {
			/* Its context is as it was: it goes on in its idle loop. */
			err = HYPERVISOR_vcpu_op(VCPUOP_up, pc->apic_id, NULL);
			if (!err)
				smp_set_online(pc);
		} else {
			/* A new domain: its port is gone and Xen has no context for it. */
			xsmp.ipi_port[cpu] = 0;
			err = xen_pv_start_cpu(pc);
		}
		if (err)
			printk("pvkit: resume: vcpu %u stays offline: %d\n", cpu, err);
		else
			back++;
	}
	if (parked)
		printk("pvkit: resume: %u of %u vCPUs back online (%s), smp online=%u\n", back,
		       parked, same_domain ? "the same domain" : "started again", smp_online());
}

bool xen_pv_smp_needs_start(const struct percpu *pc)
{
	return pc->cpu < SMP_MAX_CPUS && xsmp.fresh[pc->cpu];
}

int xen_pv_smp_restart(struct percpu *pc)
{
	xsmp.fresh[pc->cpu] = false;
	return xen_pv_start_cpu(pc);
}
