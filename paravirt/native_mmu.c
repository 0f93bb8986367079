// SPDX-License-Identifier: MIT
/* The native MMU backend: page tables are ordinary writable memory, entries hold physical
 * addresses, TLB flushes are invlpg and a CR3 reload. Nothing to batch, nothing to pin. */
#include <pvkit/compiler.h>
#include <pvkit/native.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <pvkit/x86.h>

static uint64_t native_cr3_read(void) { return native_read_cr3() & PTE_ADDR_MASK; }
static void native_cr3_write(uint64_t pa) { native_write_cr3(pa); }

static pte_t native_make_pte(uint64_t pa, uint64_t flags)
{
	return (pa & PTE_ADDR_MASK) | flags;
}

static uint64_t native_pte_pa(pte_t pte)
{
	return pte & PTE_ADDR_MASK;
}

/* One aligned 8-byte store: the MMU never sees half an entry. */
static void native_set_entry(pte_t *p, pte_t v) { WRITE_ONCE(*p, v); }

static int native_alloc_pt(enum pv_pt_level level, uint64_t pa) { return 0; }
static void native_release_pt(enum pv_pt_level level, uint64_t pa) { }
/* Other online CPUs drop the entry too (smp_flush_tlb_others: a cross-call each), so a
 * mapping removed here is gone everywhere when this returns (docs/smp.md "TLB shootdown"). */
static void native_flush_one(uintptr_t va)
{
	native_invlpg(va);
	if (smp_online() > 1)
		smp_flush_tlb_others(va);
}

/* A CR3 reload flushes every non-global entry; we map nothing global. */
static void native_flush_all(void)
{
	native_write_cr3(native_read_cr3());
	if (smp_online() > 1)
		smp_flush_tlb_others(0);
}
static void native_lazy_nop(void) { }

const struct pv_mmu_ops native_mmu_ops = {
	.name          = "native",
	.readonly_pt   = false,			/* we write entries through the window */
	.read_cr3      = native_cr3_read,
	.write_cr3     = native_cr3_write,
	.make_pte      = native_make_pte,	/* physical address | flags */
	.pte_pa        = native_pte_pa,
	.set_pte       = native_set_entry,	/* plain stores at every level */
	.set_pmd       = native_set_entry,
	.set_pud       = native_set_entry,
	.set_p4d       = native_set_entry,
	.alloc_pt      = native_alloc_pt,	/* nothing to validate or pin */
	.release_pt    = native_release_pt,
	.flush_tlb_one = native_flush_one,	/* invlpg */
	.flush_tlb_all = native_flush_all,	/* reload CR3 */
	.enter_lazy    = native_lazy_nop,	/* updates land at once */
	.leave_lazy    = native_lazy_nop,
	.flush_lazy    = native_lazy_nop,
};
