/* SPDX-License-Identifier: MIT */
/*
 * What the Xen PV failsafe callback (irq_pv.c) decides, as pure logic the unit tests run.
 * Xen calls back when it cannot return to us: a data selector would not load (Xen loaded a
 * null one instead; retrying with nulls works), or its own iret failed (no retry can help).
 * Retries are bounded per return, not per lifetime: a return that fails again straight away,
 * with nothing done in between, is a loop to stop; any other is a new failure to retry.
 */
#ifndef XEN_GUEST_FAILSAFE_PV_H
#define XEN_GUEST_FAILSAFE_PV_H

#include <pvkit/types.h>

#define XEN_PV_FAILSAFE_RETRIES	16	/* failed returns to one context in a row, then stop */

/* The context Xen was returning to: what makes two failures "the same return". */
struct xen_pv_failsafe_ctx {
	uint64_t rip, cs, rsp, ss;	/* the return frame */
	uint16_t sel[4];		/* DS, ES, FS, GS as Xen wanted to load them */
};

struct xen_pv_failsafe_state {
	struct xen_pv_failsafe_ctx last;	/* the context the last retry went back to */
	uint64_t progress;		/* the caller's progress count its return would leave */
	unsigned int retries;		/* retries of `last` in a row with no progress between */
	bool retried;			/* there was a retry: last and progress are valid */
	uint64_t callbacks;		/* failsafe callbacks since boot (tests, diagnostics) */
};

enum xen_pv_failsafe_verdict {
	XEN_PV_FAILSAFE_RETRY,		/* null the selectors that differ, return again */
	XEN_PV_FAILSAFE_LOOP,		/* the same return failed too often in a row: stop */
	XEN_PV_FAILSAFE_BAD_FRAME,	/* selectors all as wanted: the iret itself failed */
};

/**
 * xen_pv_failsafe_decide() - the verdict on one failsafe callback.
 * @want:     the context Xen was restoring
 * @have:     DS, ES, FS, GS as loaded now (nulls where Xen could not load @want's)
 * @progress: a count that moves whenever the guest does anything (the hypercall total: every
 *            exception and upcall return is an iret hypercall too), read before the caller
 *            does anything of its own
 * A retry counts as "in a row" only for the same context and an unchanged @progress since the
 * previous retry left (xen_pv_failsafe_left()); anything else starts the count again.
 */
enum xen_pv_failsafe_verdict xen_pv_failsafe_decide(struct xen_pv_failsafe_state *st,
						   const struct xen_pv_failsafe_ctx *want,
						   const uint16_t have[4], uint64_t progress);

/** A retry is about to return: @progress is the count once its own return is made. */
void xen_pv_failsafe_left(struct xen_pv_failsafe_state *st, uint64_t progress);

#endif /* XEN_GUEST_FAILSAFE_PV_H */
