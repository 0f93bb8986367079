// SPDX-License-Identifier: MIT
/*
 * Xen PV returns (issue 12): every return through the iret hypercall is counted as a
 * hypercall (entry_pv.S), and failsafe callbacks are retried per return, not per lifetime
 * (irq_pv.c, failsafe_pv.c). PV only: PVH and native return with a plain iretq and have no
 * failsafe callback.
 */
#include <pvkit/cmdline.h>
#include <pvkit/irq.h>
#include <pvkit/mm.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/timer.h>
#include <pvkit/traps.h>
#include <pvkit/x86.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>

#define XP_SPIN_MAX	1000000		/* polls waiting for a self-sent event */
#define XP_UPCALLS	50		/* self-sent events in the iret window */
#define XP_TRAPS	20		/* int3 and ud2 each, in the same window */

/* ST_CHECK that leaves through `out:`, so a failing test still undoes what it set up. */
#define XP_CHECK(cond, fmt, ...)						\
	do {									\
		if (!(cond)) {							\
			printk("#   %s:%d: check failed: %s: " fmt "\n",	\
			       __FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
			err = -EINVAL;						\
			goto out;						\
		}								\
	} while (0)

/* ---- the iret hypercall is counted ------------------------------------------------------- */

/*
 * Kernel entries that return through the iret hypercall, since boot: every exception and
 * every event upcall (xen_pv_trap_common: trap_handle counts the first per vector, irq_dispatch
 * the second on the upcall vector) and every failsafe callback. Nothing else returns that way.
 */
static uint64_t xp_iret_returns(void)
{
	uint64_t n = irq_count(IRQ_VECTOR_XEN_UPCALL) + xen_pv_failsafe_count();

	for (unsigned int v = 0; v < X86_NR_EXCEPTIONS; v++)
		n += trap_count(v);
	return n;
}

static uint64_t xp_irets(void)
{
	return READ_ONCE(xen_hypercall_count[__HYPERVISOR_iret]);
}

static void xp_count_event(evtchn_port_t port, void *ctx)
{
	(*(volatile unsigned int *)ctx)++;
}

static void xp_ud2(void)
{
	__asm__ __volatile__("1: ud2\n"
			     "2:\n"
			     EXTABLE_ENTRY(1b, 2b)
			     : : : "memory");
}

/*
 * The window: events masked at both ends, so no upcall is half-way (its entry counted, its
 * iret not yet made) when the counters are read; the test itself runs in no handler. In
 * between, XP_UPCALLS self-sent events and XP_TRAPS int3 and ud2, plus whatever else arrives
 * (timer, console, xenstore): each entry counted once and returned from once, so the iret
 * counter must move by exactly the number of entries, not about it.
 */
static int test_iret_counted(const struct boot_info *bi)
{
	unsigned long fl = pv_irq_save();
	uint64_t irets0, returns0, ups0, traps0, irets, returns, ups, traps;
	volatile unsigned int hits = 0;
	evtchn_port_t port = 0;
	bool bound = false;
	int err;

	err = evtchn_bind_ipi(0, &port);
	XP_CHECK(!err, "bind an IPI port: %d", err);
	bound = true;
	err = evtchn_set_handler(port, xp_count_event, (void *)&hits);
	XP_CHECK(!err, "handler: %d", err);
	err = evtchn_unmask(port);
	XP_CHECK(!err, "unmask: %d", err);

	irets0 = xp_irets();
	returns0 = xp_iret_returns();
	ups0 = irq_count(IRQ_VECTOR_XEN_UPCALL);
	traps0 = trap_count(X86_TRAP_BP) + trap_count(X86_TRAP_UD);
	pv_irq_enable();
	for (unsigned int i = 1; i <= XP_UPCALLS; i++) {
		evtchn_send(port);
		for (unsigned int s = 0; s < XP_SPIN_MAX && hits < i; s++)
			cpu_relax();
	}
	for (unsigned int i = 0; i < XP_TRAPS; i++) {
		trap_expect(X86_TRAP_BP);
		__asm__ __volatile__("int3" : : : "memory");
		trap_expect_done(NULL);
		trap_expect(X86_TRAP_UD);
		xp_ud2();
		trap_expect_done(NULL);
	}
	pv_irq_disable();
	irets = xp_irets() - irets0;
	returns = xp_iret_returns() - returns0;
	ups = irq_count(IRQ_VECTOR_XEN_UPCALL) - ups0;
	traps = trap_count(X86_TRAP_BP) + trap_count(X86_TRAP_UD) - traps0;

	printk("#   iret hypercalls %lu, returns taken %lu (%lu upcalls, %lu int3/ud2)\n", irets,
	       returns, ups, traps);
	XP_CHECK(hits == XP_UPCALLS, "%u of %u self-sent events arrived", hits, XP_UPCALLS);
	XP_CHECK(ups >= XP_UPCALLS && traps == 2 * XP_TRAPS, "%lu upcalls, %lu traps", ups, traps);
	XP_CHECK(irets == returns, "%lu iret hypercalls counted for %lu returns", irets, returns);
out:
	if (bound) {
		evtchn_mask(port);
		evtchn_clear_handler(port);
		evtchn_close(port);
	}
	pv_irq_restore(fl);
	return err;
}

/* ---- failsafe callbacks retried per return ----------------------------------------------- */

/*
 * Xen calls the failsafe callback when it cannot load a data selector on the way back to us.
 * It reloads them only when it switches to our vCPU from another context (xen/arch/x86/
 * domain.c, load_segments), so the case pv-failsafe has a dom0 hook (tests/xen/failsafe.sh)
 * pause and unpause the domain: each unpause is such a switch. Each round loads DS with a
 * selector of a one-entry LDT and takes the LDT away: the next switch cannot load it, Xen
 * loads a null one and calls back; irq_pv.c nulls DS and retries the return.
 */
#define XP_LDT_SEL	0x0f		/* LDT entry 1, RPL 3 */
#define XP_LDT_DATA	0x00cff2000000ffffull	/* data, read/write, DPL 3, 4 GiB flat */
#define XP_ROUND_NS	(60ull * 1000000000)	/* one failsafe per round, within this */
#define XP_SLICE_NS	(50ull * 1000000)	/* wake this often: a blocked vCPU is not run */

/* The LDT page's mapping in the kernel window: read-only while it is an LDT (Xen types a
 * descriptor page only when no writable mapping of it exists), writable again after. */
static int xp_window_map(uint64_t pa, bool writable)
{
	uint64_t pte = ((uint64_t)xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT) << PAGE_SHIFT) | PTE_P |
		       PTE_A | (writable ? PTE_W | PTE_D : 0);

	return HYPERVISOR_update_va_mapping((unsigned long)phys_to_virt(pa), pte, UVMF_INVLPG);
}

static int xp_set_ldt(uint64_t pa, unsigned int ents)
{
	struct mmuext_op op = { .cmd = MMUEXT_SET_LDT };

	op.arg1.linear_addr = ents ? (unsigned long)phys_to_virt(pa) : 0;
	op.arg2.nr_ents = ents;
	return xen_hypercall4(__HYPERVISOR_mmuext_op, &op, 1, NULL, DOMID_SELF);
}

static uint16_t xp_ds(void)
{
	uint16_t ds;

	__asm__ __volatile__("movw %%ds, %0" : "=r"(ds));
	return ds;
}

/* DS := the LDT selector, then the LDT goes: DS keeps its loaded copy until Xen reloads it. */
static int xp_arm(uint64_t ldt)
{
	const uint16_t sel = XP_LDT_SEL;
	int err = xp_set_ldt(ldt, 2);

	if (err)
		return err;
	__asm__ __volatile__("movw %0, %%ds" : : "r"(sel) : "memory");
	err = xp_set_ldt(ldt, 0);
	return err ? err : xp_ds() == XP_LDT_SEL ? 0 : -EIO;
}

static bool xp_called_back(void *ctx)
{
	return xen_pv_failsafe_count() != *(const uint64_t *)ctx;
}

static int test_failsafe_per_return(const struct boot_info *bi)
{
	unsigned long rounds = 0;
	uint64_t ldt = 0, before, first = xen_pv_failsafe_count();
	bool mapped_ro = false, said_ready = false;
	const uint16_t null = 0;
	unsigned long r;
	int err = 0;

	if (cmdline_get_ulong(bi->cmdline, "pvkit.failsafe_test", &rounds) || !rounds) {
		printk("#   needs dom0 pausing the domain (pvkit.failsafe_test=N, tests/xen/"
		       "failsafe.sh)\n");
		return ST_SKIPPED;
	}
	err = page_alloc(&ldt);
	XP_CHECK(!err, "no page for the LDT: %d", err);
	((volatile uint64_t *)phys_to_virt(ldt))[1] = XP_LDT_DATA;
	err = xp_window_map(ldt, false);
	XP_CHECK(!err, "LDT page read-only: %d", err);
	mapped_ro = true;
	printk("pvkit: failsafe-test ready rounds=%lu\n", rounds);	/* for the hook */
	said_ready = true;
	for (r = 0; r < rounds; r++) {
		uint64_t waited = 0;

		before = xen_pv_failsafe_count();
		err = xp_arm(ldt);
		XP_CHECK(!err, "round %lu: loading the LDT selector: %d", r + 1, err);
		while (os_wait_until(xp_called_back, &before, XP_SLICE_NS) && waited < XP_ROUND_NS)
			waited += XP_SLICE_NS;
		XP_CHECK(xen_pv_failsafe_count() > before, "round %lu: no failsafe callback in %lu s",
			 r + 1, (unsigned long)(XP_ROUND_NS / 1000000000));
		XP_CHECK(xp_ds() == 0, "round %lu: DS %#x after the callback, not null", r + 1,
			 xp_ds());
	}
	XP_CHECK(xen_pv_failsafe_count() - first >= rounds, "%lu callbacks for %lu rounds",
		 xen_pv_failsafe_count() - first, rounds);
out:
	__asm__ __volatile__("movw %0, %%ds" : : "r"(null) : "memory");
	if (said_ready)					/* the hook stops pausing */
		printk("pvkit: failsafe-test done rounds=%lu callbacks=%lu\n", r,
		       xen_pv_failsafe_count() - first);
	if (ldt) {
		xp_set_ldt(ldt, 0);
		if (mapped_ro && xp_window_map(ldt, true))
			printk("#   the LDT page stays read-only (not freed)\n");
		else
			page_free(ldt);
	}
	return err;
}

static const struct selftest xen_pv_tests[] = {
	{ test_iret_counted, "xen-pv: every iret hypercall counted (= exception and upcall returns)",
	  ST_XEN_PV },
	{ test_failsafe_per_return, "xen-pv: failsafe callbacks retried per return, not per life",
	  ST_XEN_PV },
};
SELFTEST_TABLE(53, xen_pv_tests);
