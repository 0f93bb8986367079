// SPDX-License-Identifier: MIT
/*
 * The Xen PV MMU backend. Page tables are read-only to a PV guest: every entry is written by
 * Xen (mmu_update), entries hold machine frames (translated through the p2m list), a frame
 * becomes a page table only while no writable mapping of it exists (so alloc_pt maps it
 * read-only in the kernel window first, and pins an L4), and the TLB and CR3 are Xen's
 * (mmuext_op). Inside a lazy section all of it is queued and issued as one multicall.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>
#include "mmu_batch.h"

static int xen_pv_mmu_issue(multicall_entry_t *mc, unsigned int n);

static struct mmu_batch xen_mmu_batch = { .issue = xen_pv_mmu_issue };
static uint64_t xen_pv_cr3;		/* pseudo-physical address of the current L4 */

/* A failed page-table operation means we asked for something invalid: our bug, not a peer's.
 * Carrying on with page tables we do not understand would be worse than stopping. */
static int xen_pv_mmu_issue(multicall_entry_t *mc, unsigned int n)
{
	long err;

	if (n == 1) {
		mc->result = xen_hypercall5(mc->op, mc->args[0], mc->args[1], mc->args[2],
					    mc->args[3], mc->args[4]);
	} else {
		err = xen_hypercall2(__HYPERVISOR_multicall, mc, n);
		if (err)
			panic("xen-pv: multicall of %u MMU operations failed: %ld", n, err);
	}
	for (unsigned int i = 0; i < n; i++)
		if ((long)mc[i].result < 0)
			panic("xen-pv: MMU operation %u/%u (hypercall %lu, args %#lx %#lx %#lx) "
			      "failed: %ld", i + 1, n, mc[i].op, mc[i].args[0], mc[i].args[1],
			      mc[i].args[2], (long)mc[i].result);
	return 0;
}

unsigned long xen_pv_pfn_to_mfn(unsigned long pfn)
{
	const unsigned long *p2m = (const unsigned long *)xen_start_info.mfn_list;

	BUG_ON(pfn >= xen_start_info.nr_pages);	/* callers pass frames we own */
	return p2m[pfn];
}

/* Machine address of a page-table entry we reach through the kernel window. */
static uint64_t xen_pv_entry_maddr(const pte_t *p)
{
	uint64_t pa = os_virt_to_phys(p);

	return ((uint64_t)xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT) << PAGE_SHIFT) | (pa & (PAGE_SIZE - 1));
}

static pte_t xen_pv_make_pte(uint64_t pa, uint64_t flags)
{
	if (!(flags & PTE_P))
		return 0;
	return ((uint64_t)xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT) << PAGE_SHIFT) | flags;
}

static uint64_t xen_pv_pte_pa(pte_t pte)
{
	unsigned long pfn;

	if (!(pte & PTE_P))
		return 0;
	pfn = xen_pv_mfn_to_pfn((pte & PTE_ADDR_MASK) >> PAGE_SHIFT);
	return pfn == ~0ul ? ~0ull : (uint64_t)pfn << PAGE_SHIFT;
}

static void xen_pv_set_entry(pte_t *p, pte_t val)
{
	mmu_batch_update(&xen_mmu_batch, xen_pv_entry_maddr(p) | MMU_NORMAL_PT_UPDATE, val);
}

static void xen_pv_mmuext(unsigned int cmd, unsigned long arg)
{
	struct mmuext_op op = { .cmd = cmd };

	op.arg1.mfn = arg;			/* mfn and linear_addr share the union */
	mmu_batch_ext(&xen_mmu_batch, &op);
}

/* The frame's own mapping in the kernel window, read-only or writable again. */
static void xen_pv_window_protect(uint64_t pa, bool writable)
{
	uint64_t flags = PTE_P | PTE_A | (writable ? PTE_W | PTE_D : 0);

	mmu_batch_va_mapping(&xen_mmu_batch, (uintptr_t)os_phys_to_virt(pa),
			     xen_pv_make_pte(pa, flags), UVMF_INVLPG);
}

static int xen_pv_alloc_pt(enum pv_pt_level level, uint64_t pa)
{
	xen_pv_window_protect(pa, false);
	if (level == PV_PT_L4)
		xen_pv_mmuext(MMUEXT_PIN_L4_TABLE, xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT));
	return 0;
}

static void xen_pv_release_pt(enum pv_pt_level level, uint64_t pa)
{
	if (level == PV_PT_L4)
		xen_pv_mmuext(MMUEXT_UNPIN_TABLE, xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT));
	xen_pv_window_protect(pa, true);
}

static uint64_t xen_pv_read_cr3(void)
{
	return xen_pv_cr3;
}

/* The L4 must be pinned (alloc_pt did it). Everything queued before goes first. */
static void xen_pv_write_cr3(uint64_t pa)
{
	xen_pv_mmuext(MMUEXT_NEW_BASEPTR, xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT));
	mmu_batch_flush(&xen_mmu_batch);
	xen_pv_cr3 = pa;
}

/*
 * The TLB shootdown under PV (docs/smp.md "TLB"): Xen does not flush another vCPU's TLB for an
 * ordinary entry change, but it flushes a vCPU mask for us: MMUEXT_INVLPG_MULTI and
 * MMUEXT_TLB_FLUSH_MULTI, in the same batch as the change (issued in order with it), reach
 * every vCPU in the mask wherever its state is loaded (Xen's dirty_cpu), running or not,
 * with no IPI of ours and no wait for a CPU inside a call. The mask is the online CPUs' vCPU
 * ids, this one included; one static copy serves every queued op (the ops read it when the
 * batch is issued; a CPU coming online meanwhile flushes its whole TLB anyway). A parked CPU
 * flushes when it comes back.
 */
static uint64_t xen_pv_flush_mask;

static const uint64_t *xen_pv_online_mask(void)
{
	uint64_t m = 0;

	for (unsigned int cpu = 0; cpu < smp_cpus(); cpu++)
		if (smp_percpu[cpu].online && smp_percpu[cpu].vcpu_id < 64)
			m |= 1ull << smp_percpu[cpu].vcpu_id;
	xen_pv_flush_mask |= m;			/* a queued op may still want the old bits */
	return &xen_pv_flush_mask;
}

static void xen_pv_flush_multi(unsigned int cmd, uintptr_t va)
{
	struct mmuext_op op = { .cmd = cmd };

	op.arg1.linear_addr = va;
	set_xen_guest_handle(op.arg2.vcpumask, xen_pv_online_mask());
	mmu_batch_ext(&xen_mmu_batch, &op);
}

static void xen_pv_flush_tlb_one(uintptr_t va)
{
	if (smp_online() > 1)
		xen_pv_flush_multi(MMUEXT_INVLPG_MULTI, va);
	else
		xen_pv_mmuext(MMUEXT_INVLPG_LOCAL, va);
}

static void xen_pv_flush_tlb_all(void)
{
	if (smp_online() > 1)
		xen_pv_flush_multi(MMUEXT_TLB_FLUSH_MULTI, 0);
	else
		xen_pv_mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

static void xen_pv_enter_lazy(void)
{
	mmu_batch_enter(&xen_mmu_batch);
}

static void xen_pv_leave_lazy(void)
{
	mmu_batch_leave(&xen_mmu_batch);
}

static void xen_pv_flush_lazy(void)
{
	mmu_batch_flush(&xen_mmu_batch);
}

/** The domain builder's page tables are the current ones until mm_init switches. */
void xen_pv_mmu_init(void)
{
	xen_pv_cr3 = xen_start_info.pt_base - KERNEL_VIRT_BASE;
}

/** Operations queued or issued since boot, and multicalls/hypercalls used to issue them. */
void xen_pv_mmu_stats(uint64_t *ops, uint64_t *flushes)
{
	*ops = xen_mmu_batch.queued;
	*flushes = xen_mmu_batch.flushes;
}

const struct pv_mmu_ops xen_pv_mmu_ops = {
	.name          = "xen-pv",
	.readonly_pt   = true,			/* Xen refuses writable mappings of tables */
	.read_cr3      = xen_pv_read_cr3,	/* our copy: Xen's CR3 is a machine address */
	.write_cr3     = xen_pv_write_cr3,	/* MMUEXT_NEW_BASEPTR */
	.make_pte      = xen_pv_make_pte,	/* p2m: pfn -> mfn */
	.pte_pa        = xen_pv_pte_pa,		/* m2p: mfn -> pfn */
	.set_pte       = xen_pv_set_entry,	/* mmu_update, batched when lazy */
	.set_pmd       = xen_pv_set_entry,
	.set_pud       = xen_pv_set_entry,
	.set_p4d       = xen_pv_set_entry,
	.alloc_pt      = xen_pv_alloc_pt,	/* read-only in the window; pin an L4 */
	.release_pt    = xen_pv_release_pt,	/* unpin an L4; writable again */
	.flush_tlb_one = xen_pv_flush_tlb_one,	/* MMUEXT_INVLPG_LOCAL, or _MULTI with APs */
	.flush_tlb_all = xen_pv_flush_tlb_all,	/* MMUEXT_TLB_FLUSH_LOCAL, or _MULTI */
	.enter_lazy    = xen_pv_enter_lazy,	/* queue into one multicall */
	.leave_lazy    = xen_pv_leave_lazy,
	.flush_lazy    = xen_pv_flush_lazy,	/* before walking a table just linked */
};
