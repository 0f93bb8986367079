// SPDX-License-Identifier: MIT
/*
 * Timing tests on a busy host (init/selftest.h, "Timing under a busy host"): a watch
 * that tells the time the vCPU was seen running from the time the host took it away, and a
 * poll bounded by the former.
 */
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/x86.h>

#define ST_WALL_EXTRA_NS	1000000000ull	/* st_poll: host time beyond the factor */

void st_watch_start(struct st_watch *w)
{
	w->start = w->last = pv_clock_ns();
	w->lost = w->worst = 0;
}

uint64_t st_watch_read(struct st_watch *w)
{
	uint64_t now = pv_clock_ns(), gap = now > w->last ? now - w->last : 0;

	if (gap > ST_GAP_NS)
		w->lost += gap;
	if (gap > w->worst)
		w->worst = gap;
	w->last = now;
	return now;
}

void st_watch_waited(struct st_watch *w)
{
	w->last = pv_clock_ns();
}

uint64_t st_watch_ran(const struct st_watch *w)
{
	return w->last - w->start - w->lost;
}

int st_poll(struct st_watch *w, bool (*cond)(void *ctx), void *ctx, uint64_t run_ns)
{
	uint64_t ran0 = st_watch_ran(w), give_up = w->last + ST_WALL_FACTOR * run_ns +
		ST_WALL_EXTRA_NS;
	unsigned long fl = pv_save_fl();
	int err;

	pv_irq_enable();
	for (;;) {
		if (cond && cond(ctx)) {
			err = 0;
			break;
		}
		if (st_watch_ran(w) - ran0 >= run_ns) {
			err = cond ? -ETIMEDOUT : 0;
			break;
		}
		if (w->last >= give_up) {
			err = -EBUSY;
			break;
		}
		cpu_relax();
		st_watch_read(w);
	}
	pv_irq_restore(fl);
	return err;
}
