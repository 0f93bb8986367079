// SPDX-License-Identifier: MIT
/*
 * The Xen PV failsafe callback's decision (xen-guest/failsafe_pv.c): retries bounded per
 * return, not per lifetime (issue 12, item 2). Each case feeds callbacks as Xen would make
 * them: the context it was returning to, the selectors it left loaded, and the guest's
 * progress count (the hypercall total) at the callback.
 */
#include <string.h>
#include "../../xen-guest/failsafe_pv.h"
#include "unit.h"

#define BAD_DS		0x0f		/* an LDT selector, RPL 3: the LDT is gone */
#define KERNEL_CS	0xe033		/* FLAT_KERNEL_CS64 */
#define KERNEL_SS	0xe02b		/* FLAT_KERNEL_SS64 */

static const uint16_t loaded_null_ds[4] = { 0, 0, 0, 0 };	/* Xen nulled DS */

static struct xen_pv_failsafe_ctx ctx(uint64_t rip, uint64_t rsp)
{
	return (struct xen_pv_failsafe_ctx){ .rip = rip, .cs = KERNEL_CS, .rsp = rsp,
					     .ss = KERNEL_SS, .sel = { BAD_DS, 0, 0, 0 } };
}

/*
 * One callback as irq_pv.c handles it: decide with the progress count read at entry; on a
 * retry, the handler's own hypercalls (its printks: 3) and its iret move the count, and it
 * says so with xen_pv_failsafe_left(). Returns the verdict; *progress is the count after.
 */
static enum xen_pv_failsafe_verdict callback(struct xen_pv_failsafe_state *st,
					     const struct xen_pv_failsafe_ctx *want,
					     uint64_t *progress)
{
	enum xen_pv_failsafe_verdict v = xen_pv_failsafe_decide(st, want, loaded_null_ds,
								 *progress);

	if (v == XEN_PV_FAILSAFE_RETRY) {
		*progress += 3;				/* the handler's printks */
		xen_pv_failsafe_left(st, *progress + 1);
		*progress += 1;				/* its iret */
	}
	return v;
}

/* The old counter was static and never reset: the 17th callback of the domain's life
 * stopped it, however far apart and however different the returns were. */
static void many_contexts_all_retried(void)
{
	struct xen_pv_failsafe_state st = { 0 };
	uint64_t progress = 1000;

	for (unsigned int i = 0; i < 100; i++) {
		struct xen_pv_failsafe_ctx c = ctx(0xffffffff80100000ul + 16 * i, 0xffffffff80200f00ul);

		CHECKF(callback(&st, &c, &progress) == XEN_PV_FAILSAFE_RETRY && st.retries == 1,
		       "callback %u (a new context each time): %u in a row", i + 1, st.retries);
		if (unit_failed_checks)
			break;
	}
	CHECK(st.callbacks == 100);
}

/* The same return (an idle loop blocked in the same hypercall, say) failing again after the
 * guest ran on in between: each one is a new failure, not a loop. */
static void same_context_with_progress_retried(void)
{
	struct xen_pv_failsafe_state st = { 0 };
	struct xen_pv_failsafe_ctx c = ctx(0xffffffff80108e2aul, 0xffffffff80204f78ul);
	uint64_t progress = 7;

	for (unsigned int i = 0; i < 100; i++) {
		CHECKF(callback(&st, &c, &progress) == XEN_PV_FAILSAFE_RETRY && st.retries == 1,
		       "callback %u: %u in a row", i + 1, st.retries);
		if (unit_failed_checks)
			break;
		progress += 1 + i % 5;			/* the guest did something: a hypercall */
	}
}

/* A return that fails again at once, with nothing done in between, XEN_PV_FAILSAFE_RETRIES
 * times: the next one is a loop. */
static void same_return_in_a_row_is_a_loop(void)
{
	struct xen_pv_failsafe_state st = { 0 };
	struct xen_pv_failsafe_ctx c = ctx(0xffffffff80101234ul, 0xffffffff80204000ul);
	uint64_t progress = 0;

	for (unsigned int i = 1; i <= XEN_PV_FAILSAFE_RETRIES; i++) {
		CHECKF(callback(&st, &c, &progress) == XEN_PV_FAILSAFE_RETRY, "retry %u refused", i);
		CHECK(st.retries == i);
	}
	CHECK(callback(&st, &c, &progress) == XEN_PV_FAILSAFE_LOOP);
}

/* The count is per return: another context in between starts it again, and so does one
 * hypercall; the same RIP with another stack or other selectors is another return. */
static void count_restarts(void)
{
	struct xen_pv_failsafe_state st = { 0 };
	struct xen_pv_failsafe_ctx a = ctx(0xffffffff80101234ul, 0xffffffff80204000ul);
	struct xen_pv_failsafe_ctx b = ctx(0xffffffff80105678ul, 0xffffffff80204000ul);
	struct xen_pv_failsafe_ctx a_stack = ctx(0xffffffff80101234ul, 0xffffffff80203000ul);
	struct xen_pv_failsafe_ctx a_es = a;
	uint64_t progress = 0;

	a_es.sel[1] = BAD_DS;
	for (unsigned int round = 0; round < 4; round++) {
		do		/* one short of the loop */
			CHECK(callback(&st, &a, &progress) == XEN_PV_FAILSAFE_RETRY);
		while (st.retries < XEN_PV_FAILSAFE_RETRIES - 1 && !unit_failed_checks);
		switch (round) {
		case 0:
			CHECK(callback(&st, &b, &progress) == XEN_PV_FAILSAFE_RETRY);
			break;
		case 1:
			CHECK(callback(&st, &a_stack, &progress) == XEN_PV_FAILSAFE_RETRY);
			break;
		case 2:
			CHECK(xen_pv_failsafe_decide(&st, &a_es, loaded_null_ds, progress) ==
			      XEN_PV_FAILSAFE_RETRY);
			xen_pv_failsafe_left(&st, progress);
			break;
		case 3:
			progress++;			/* one hypercall of the guest's own */
			break;
		}
		CHECK(callback(&st, &a, &progress) == XEN_PV_FAILSAFE_RETRY);
		CHECKF(st.retries == 1, "round %u: %u in a row", round, st.retries);
	}
}

/* Every selector as Xen wanted it: the iret itself failed, which no retry can mend. The first
 * such callback says so, whatever came before. */
static void selectors_fine_is_a_bad_frame(void)
{
	struct xen_pv_failsafe_state st = { 0 };
	struct xen_pv_failsafe_ctx c = ctx(0xffffffff80101234ul, 0xffffffff80204000ul);
	const uint16_t as_wanted[4] = { BAD_DS, 0, 0, 0 };
	uint64_t progress = 0;

	CHECK(xen_pv_failsafe_decide(&st, &c, as_wanted, 0) == XEN_PV_FAILSAFE_BAD_FRAME);
	CHECK(callback(&st, &c, &progress) == XEN_PV_FAILSAFE_RETRY);
	CHECK(xen_pv_failsafe_decide(&st, &c, as_wanted, progress) == XEN_PV_FAILSAFE_BAD_FRAME);
	c.sel[0] = 0;					/* all null, all loaded */
	CHECK(xen_pv_failsafe_decide(&st, &c, loaded_null_ds, progress) ==
	      XEN_PV_FAILSAFE_BAD_FRAME);
	CHECK(st.callbacks == 4);
}

/* Any selector may be the one: FS or GS alone differing is a retry too. */
static void any_selector_differing(void)
{
	for (unsigned int i = 0; i < 4; i++) {
		struct xen_pv_failsafe_state st = { 0 };
		struct xen_pv_failsafe_ctx c = ctx(0xffffffff80101234ul, 0xffffffff80204000ul);
		uint16_t have[4] = { 0, 0, 0, 0 };

		memset(c.sel, 0, sizeof(c.sel));
		c.sel[i] = 0x2b;
		CHECKF(xen_pv_failsafe_decide(&st, &c, have, 0) == XEN_PV_FAILSAFE_RETRY,
		       "selector %u", i);
		have[i] = 0x2b;
		CHECK(xen_pv_failsafe_decide(&st, &c, have, 0) == XEN_PV_FAILSAFE_BAD_FRAME);
	}
}

UNIT_CASES(
	{ many_contexts_all_retried, "failsafe: 100 failures of different returns all retried" },
	{ same_context_with_progress_retried,
	  "failsafe: one return failing again after progress retried" },
	{ same_return_in_a_row_is_a_loop,
	  "failsafe: the same return failing 17 times in a row is a loop" },
	{ count_restarts, "failsafe: another context, stack, selector or a hypercall restarts the count" },
	{ selectors_fine_is_a_bad_frame, "failsafe: selectors as wanted: the iret failed, no retry" },
	{ any_selector_differing, "failsafe: DS, ES, FS or GS differing alone is a retry" },
);
