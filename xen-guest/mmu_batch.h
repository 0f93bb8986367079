/* SPDX-License-Identifier: MIT */
/*
 * An ordered queue of Xen PV MMU operations (mmu_update entries, update_va_mapping,
 * mmuext_op) flushed as one multicall. Outside a lazy section every operation is issued at
 * once; inside one (nestable) they are queued and go out together when the outermost section
 * ends or the queue fills. Consecutive mmu_updates share one multicall entry, so mapping N
 * pages costs about N / MMU_BATCH_UPDATES hypercalls. Pure logic: the hypercall itself is a
 * function pointer, which the unit tests replace.
 */
#ifndef XEN_GUEST_MMU_BATCH_H
#define XEN_GUEST_MMU_BATCH_H

#include <pvkit/types.h>
#include <xen/xen.h>

#define MMU_BATCH_UPDATES	256	/* mmu_update entries per flush */
#define MMU_BATCH_EXT		32	/* mmuext_op entries per flush */
#define MMU_BATCH_CALLS		32	/* multicall entries per flush */

struct mmu_batch {
	mmu_update_t upd[MMU_BATCH_UPDATES];	/* queued (ptr, val) pairs, in order */
	struct mmuext_op ext[MMU_BATCH_EXT];	/* queued extended ops */
	multicall_entry_t mc[MMU_BATCH_CALLS];	/* the calls that reference them, in order */
	unsigned int nupd, next, nmc;		/* entries used in each array */
	unsigned int depth;			/* nesting of lazy sections; 0 = not lazy */
	/* Issue @n calls (n >= 1). Returns 0 or the first failure; fills mc[i].result. */
	int (*issue)(multicall_entry_t *mc, unsigned int n);
	uint64_t queued;			/* operations ever queued or issued */
	uint64_t flushes;			/* times issue() was called */
};

/** Queue (or, outside a lazy section, issue) one page-table entry write. Return: 0/-errno. */
int mmu_batch_update(struct mmu_batch *b, uint64_t ptr, uint64_t val);
/** update_va_mapping(@va, @pte, @flags). */
int mmu_batch_va_mapping(struct mmu_batch *b, uint64_t va, uint64_t pte, uint64_t flags);
/** An mmuext_op (pin, unpin, new baseptr, TLB flush...). */
int mmu_batch_ext(struct mmu_batch *b, const struct mmuext_op *op);

/** Enter a lazy section; sections nest. */
void mmu_batch_enter(struct mmu_batch *b);
/** Leave one; the outermost flushes. Return: 0 or the flush's error. */
int mmu_batch_leave(struct mmu_batch *b);
/** Issue whatever is queued now. Return: 0 or the first failure. */
int mmu_batch_flush(struct mmu_batch *b);

#endif /* XEN_GUEST_MMU_BATCH_H */
