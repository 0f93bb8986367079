// SPDX-License-Identifier: MIT
/*
 * The Xen PV failsafe callback's decision (failsafe_pv.h): retry a return whose selectors Xen
 * could not load, bounded per return. Pure logic; irq_pv.c reads the registers and acts.
 */
#include "failsafe_pv.h"

static bool xen_pv_failsafe_same(const struct xen_pv_failsafe_ctx *a,
				 const struct xen_pv_failsafe_ctx *b)
{
	return a->rip == b->rip && a->cs == b->cs && a->rsp == b->rsp && a->ss == b->ss &&
	       a->sel[0] == b->sel[0] && a->sel[1] == b->sel[1] && a->sel[2] == b->sel[2] &&
	       a->sel[3] == b->sel[3];
}

enum xen_pv_failsafe_verdict xen_pv_failsafe_decide(struct xen_pv_failsafe_state *st,
						   const struct xen_pv_failsafe_ctx *want,
						   const uint16_t have[4], uint64_t progress)
{
	bool differ = false;

	st->callbacks++;
	for (unsigned int i = 0; i < 4; i++)
		differ |= have[i] != want->sel[i];
	if (!differ)
		return XEN_PV_FAILSAFE_BAD_FRAME;
	/* Straight back here from the last retry: same context, nothing done in between. */
	if (st->retried && progress == st->progress && xen_pv_failsafe_same(want, &st->last))
		st->retries++;
	else
		st->retries = 1;
	st->last = *want;
	st->retried = true;
	st->progress = progress;	/* until xen_pv_failsafe_left() says more */
	return st->retries > XEN_PV_FAILSAFE_RETRIES ? XEN_PV_FAILSAFE_LOOP : XEN_PV_FAILSAFE_RETRY;
}

void xen_pv_failsafe_left(struct xen_pv_failsafe_state *st, uint64_t progress)
{
	st->progress = progress;
}
