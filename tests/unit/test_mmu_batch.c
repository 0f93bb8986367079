// SPDX-License-Identifier: MIT
/*
 * xen-guest/mmu_batch.c against a fake hypercall: immediate issue outside lazy sections,
 * queueing inside, flush on leave / on full / when asked, nested sections, coalescing of
 * consecutive mmu_updates into one call, and the order of mixed operations kept.
 */
#include <stdint.h>
#include <string.h>
#include <pvkit/errno.h>
#include "../../xen-guest/mmu_batch.h"
#include "unit.h"

#define LOG_MAX 4096

/* What the fake hypervisor saw, flattened in order: one record per operation. */
struct seen {
	unsigned long op;		/* __HYPERVISOR_* */
	uint64_t a, b;			/* mmu_update: ptr/val; va_mapping: va/pte; ext: cmd/arg */
	unsigned int flush;		/* which issue() call brought it */
};

static struct seen seen[LOG_MAX];
static unsigned int nseen, nissue, calls_in_last;
static int fail_next;

static int fake_issue(multicall_entry_t *mc, unsigned int n)
{
	nissue++;
	calls_in_last = n;
	for (unsigned int i = 0; i < n; i++) {
		mc[i].result = 0;
		if (mc[i].op == __HYPERVISOR_mmu_update) {
			mmu_update_t *u = (mmu_update_t *)(uintptr_t)mc[i].args[0];

			for (unsigned long k = 0; k < mc[i].args[1] && nseen < LOG_MAX; k++)
				seen[nseen++] = (struct seen){ mc[i].op, u[k].ptr, u[k].val, nissue };
		} else if (mc[i].op == __HYPERVISOR_mmuext_op) {
			struct mmuext_op *e = (struct mmuext_op *)(uintptr_t)mc[i].args[0];

			for (unsigned long k = 0; k < mc[i].args[1] && nseen < LOG_MAX; k++)
				seen[nseen++] = (struct seen){ mc[i].op, e[k].cmd, e[k].arg1.mfn, nissue };
		} else {
			seen[nseen++] = (struct seen){ mc[i].op, mc[i].args[0], mc[i].args[1], nissue };
		}
	}
	if (fail_next) {
		fail_next = 0;
		return -EINVAL;
	}
	return 0;
}

static struct mmu_batch b;

static void reset(void)
{
	memset(&b, 0, sizeof(b));
	b.issue = fake_issue;
	nseen = nissue = calls_in_last = 0;
}

static void immediate_outside_lazy(void)
{
	reset();
	CHECK(mmu_batch_update(&b, 0x1000, 7) == 0);
	CHECK(nissue == 1 && nseen == 1 && seen[0].a == 0x1000 && seen[0].b == 7);
	CHECK(mmu_batch_va_mapping(&b, 0xffff0000, 3, 2) == 0);
	CHECK(nissue == 2 && seen[1].op == __HYPERVISOR_update_va_mapping);
	CHECK(b.nmc == 0 && b.nupd == 0);
}

static void queued_until_leave(void)
{
	reset();
	mmu_batch_enter(&b);
	for (int i = 0; i < 10; i++)
		CHECK(mmu_batch_update(&b, 0x1000 + 8 * i, i) == 0);
	CHECK(nissue == 0);
	CHECK(mmu_batch_leave(&b) == 0);
	CHECK(nissue == 1 && nseen == 10);
	CHECKF(calls_in_last == 1, "10 consecutive updates took %u calls", calls_in_last);
	for (int i = 0; i < 10; i++)
		CHECK(seen[i].a == 0x1000 + 8u * i && seen[i].b == (uint64_t)i);
}

static void nested_sections(void)
{
	reset();
	mmu_batch_enter(&b);
	mmu_batch_update(&b, 1, 1);
	mmu_batch_enter(&b);
	mmu_batch_update(&b, 2, 2);
	CHECK(mmu_batch_leave(&b) == 0);
	CHECKF(nissue == 0, "inner leave flushed (%u issues)", nissue);
	mmu_batch_update(&b, 3, 3);
	CHECK(mmu_batch_leave(&b) == 0);
	CHECK(nissue == 1 && nseen == 3 && seen[2].a == 3);
	CHECK(mmu_batch_leave(&b) == -EINVAL);		/* unbalanced: refused, not fatal */
}

static void flush_on_full(void)
{
	reset();
	mmu_batch_enter(&b);
	for (unsigned int i = 0; i < MMU_BATCH_UPDATES; i++)
		mmu_batch_update(&b, i * 8, i);
	CHECKF(nissue == 0, "a full queue flushed early (%u)", nissue);
	mmu_batch_update(&b, 0x99999, 1);		/* one more: the full queue goes out */
	CHECK(nissue == 1 && nseen == MMU_BATCH_UPDATES);
	CHECK(mmu_batch_leave(&b) == 0);
	CHECK(nissue == 2 && nseen == MMU_BATCH_UPDATES + 1 && seen[nseen - 1].a == 0x99999);

	/* 16384 updates in one section: 64 issues, i.e. 1 per 256. */
	reset();
	mmu_batch_enter(&b);
	for (unsigned int i = 0; i < 16384; i++)
		mmu_batch_update(&b, i * 8, i);
	mmu_batch_leave(&b);
	CHECKF(nissue == 16384 / MMU_BATCH_UPDATES, "%u issues for 16384 updates", nissue);
}

static void mixed_order_kept(void)
{
	struct mmuext_op pin = { .cmd = MMUEXT_PIN_L4_TABLE };

	pin.arg1.mfn = 0x42;
	reset();
	mmu_batch_enter(&b);
	mmu_batch_va_mapping(&b, 0xaaa000, 0x1, 2);	/* make a page read-only */
	mmu_batch_update(&b, 0x10, 0x20);		/* ... then link it */
	mmu_batch_update(&b, 0x18, 0x28);
	mmu_batch_ext(&b, &pin);			/* ... then pin */
	mmu_batch_update(&b, 0x30, 0x40);
	mmu_batch_leave(&b);
	CHECK(nissue == 1);
	CHECKF(calls_in_last == 4, "calls %u: va_mapping, 2 updates, ext, update", calls_in_last);
	CHECK(nseen == 5);
	CHECK(seen[0].op == __HYPERVISOR_update_va_mapping && seen[0].a == 0xaaa000);
	CHECK(seen[1].op == __HYPERVISOR_mmu_update && seen[1].a == 0x10);
	CHECK(seen[2].op == __HYPERVISOR_mmu_update && seen[2].a == 0x18);
	CHECK(seen[3].op == __HYPERVISOR_mmuext_op && seen[3].a == MMUEXT_PIN_L4_TABLE &&
	      seen[3].b == 0x42);
	CHECK(seen[4].op == __HYPERVISOR_mmu_update && seen[4].a == 0x30);
}

static void full_call_array_flushes(void)
{
	reset();
	mmu_batch_enter(&b);
	/* Alternating ops cannot coalesce: each takes a call slot. */
	for (unsigned int i = 0; i < MMU_BATCH_CALLS; i++)
		mmu_batch_va_mapping(&b, i, i, 0);
	CHECK(nissue == 0);
	mmu_batch_update(&b, 1, 1);
	CHECK(nissue == 1 && calls_in_last == MMU_BATCH_CALLS);
	mmu_batch_leave(&b);
	CHECK(nissue == 2 && calls_in_last == 1);
}

static void explicit_flush_and_errors(void)
{
	reset();
	mmu_batch_enter(&b);
	mmu_batch_update(&b, 1, 1);
	CHECK(mmu_batch_flush(&b) == 0 && nissue == 1);
	CHECK(mmu_batch_flush(&b) == 0 && nissue == 1);	/* nothing queued: no call */
	mmu_batch_update(&b, 2, 2);
	fail_next = 1;
	CHECK(mmu_batch_leave(&b) == -EINVAL);		/* the failure reaches the caller */
	CHECK(b.nmc == 0 && b.depth == 0);
}

UNIT_CASES(
	{ immediate_outside_lazy, "mmu_batch: issued at once outside a lazy section" },
	{ queued_until_leave, "mmu_batch: queued in a section, one call on leave" },
	{ nested_sections, "mmu_batch: nested sections flush at the outermost leave" },
	{ flush_on_full, "mmu_batch: a full queue flushes; 16384 updates take 64 calls" },
	{ mixed_order_kept, "mmu_batch: mixed operations keep their order" },
	{ full_call_array_flushes, "mmu_batch: a full call array flushes" },
	{ explicit_flush_and_errors, "mmu_batch: explicit flush, failures reported" },
);
