// SPDX-License-Identifier: MIT
/* The Xen PV MMU batch (see mmu_batch.h). Built hosted too: tests/unit/test_mmu_batch.c. */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <string.h>
#include "mmu_batch.h"

#ifndef DOMID_SELF
#define DOMID_SELF 0x7FF0U
#endif

int mmu_batch_flush(struct mmu_batch *b)
{
	int err = 0;

	if (b->nmc) {
		b->flushes++;
		err = b->issue(b->mc, b->nmc);
	}
	b->nupd = b->next = b->nmc = 0;
	return err;
}

/* Room for one more call (and @upd updates, @ext ext ops)? If not, flush first. */
static int mmu_batch_make_room(struct mmu_batch *b, unsigned int upd, unsigned int ext)
{
	if (b->nmc < MMU_BATCH_CALLS && b->nupd + upd <= MMU_BATCH_UPDATES &&
	    b->next + ext <= MMU_BATCH_EXT)
		return 0;
	return mmu_batch_flush(b);
}

/* Outside a lazy section nothing waits: what was just queued goes out now. */
static int mmu_batch_done(struct mmu_batch *b)
{
	b->queued++;
	return b->depth ? 0 : mmu_batch_flush(b);
}

static multicall_entry_t *mmu_batch_call(struct mmu_batch *b, unsigned long op)
{
	multicall_entry_t *mc = &b->mc[b->nmc++];

	memset(mc, 0, sizeof(*mc));
	mc->op = op;
	return mc;
}

int mmu_batch_update(struct mmu_batch *b, uint64_t ptr, uint64_t val)
{
	multicall_entry_t *last = b->nmc ? &b->mc[b->nmc - 1] : NULL;
	int err;

	/* Extend the previous mmu_update call when it ends where the next slot begins. */
	if (last && last->op == __HYPERVISOR_mmu_update && b->nupd < MMU_BATCH_UPDATES &&
	    (mmu_update_t *)(uintptr_t)last->args[0] + last->args[1] == &b->upd[b->nupd]) {
		b->upd[b->nupd].ptr = ptr;
		b->upd[b->nupd].val = val;
		b->nupd++;
		last->args[1]++;
		return mmu_batch_done(b);
	}
	err = mmu_batch_make_room(b, 1, 0);
	if (err)
		return err;
	last = mmu_batch_call(b, __HYPERVISOR_mmu_update);
	b->upd[b->nupd].ptr = ptr;
	b->upd[b->nupd].val = val;
	last->args[0] = (uintptr_t)&b->upd[b->nupd];
	last->args[1] = 1;			/* count */
	last->args[2] = 0;			/* no "done" counter */
	last->args[3] = DOMID_SELF;
	b->nupd++;
	return mmu_batch_done(b);
}

int mmu_batch_va_mapping(struct mmu_batch *b, uint64_t va, uint64_t pte, uint64_t flags)
{
	multicall_entry_t *mc;
	int err;

	err = mmu_batch_make_room(b, 0, 0);
	if (err)
		return err;
	mc = mmu_batch_call(b, __HYPERVISOR_update_va_mapping);
	mc->args[0] = va;
	mc->args[1] = pte;
	mc->args[2] = flags;
	return mmu_batch_done(b);
}

int mmu_batch_ext(struct mmu_batch *b, const struct mmuext_op *op)
{
	multicall_entry_t *last = b->nmc ? &b->mc[b->nmc - 1] : NULL;
	int err;

	if (last && last->op == __HYPERVISOR_mmuext_op && b->next < MMU_BATCH_EXT &&
	    (struct mmuext_op *)(uintptr_t)last->args[0] + last->args[1] == &b->ext[b->next]) {
		b->ext[b->next++] = *op;
		last->args[1]++;
		return mmu_batch_done(b);
	}
	err = mmu_batch_make_room(b, 0, 1);
	if (err)
		return err;
	last = mmu_batch_call(b, __HYPERVISOR_mmuext_op);
	b->ext[b->next] = *op;
	last->args[0] = (uintptr_t)&b->ext[b->next];
	last->args[1] = 1;
	last->args[2] = 0;
	last->args[3] = DOMID_SELF;
	b->next++;
	return mmu_batch_done(b);
}

void mmu_batch_enter(struct mmu_batch *b)
{
	b->depth++;
}

int mmu_batch_leave(struct mmu_batch *b)
{
	if (b->depth == 0)
		return -EINVAL;		/* unbalanced: a caller's bug, but not worth a crash */
	if (--b->depth)
		return 0;
	return mmu_batch_flush(b);
}
