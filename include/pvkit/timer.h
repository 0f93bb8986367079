/* SPDX-License-Identifier: MIT */
/*
 * Kernel timers on top of the one-shot pv_time timer: a list sorted by deadline; the
 * earliest deadline is what the hardware (or Xen) is armed for. Callbacks run in interrupt
 * context with interrupts off and may re-add their own timer (periodic timers do that).
 */
#ifndef PVKIT_TIMER_H
#define PVKIT_TIMER_H

#include <pvkit/types.h>

struct timer;
typedef void (*timer_fn_t)(struct timer *t);

struct timer {
	uint64_t deadline;		/* monotonic ns (pv_clock_ns) when it is due */
	timer_fn_t fn;			/* called once, interrupt context */
	void *ctx;			/* for fn's use */
	struct timer *next;		/* list link, owned by kernel/timer.c */
	bool pending;			/* on the list */
};

/** Take over the pv_time timer interrupt. */
void timer_init(void);

/** (Re)arm @t for @deadline (ns); an armed timer moves. */
void timer_add(struct timer *t, uint64_t deadline, timer_fn_t fn, void *ctx);

/** Disarm; true if it was pending (so it will not run). */
bool timer_cancel(struct timer *t);

/** Timer interrupts handled since boot. */
uint64_t timer_interrupts(void);

/**
 * Sleep-wait until @cond(ctx) holds or @timeout_ns passes, halting between interrupts with
 * pv_safe_halt. Return: 0 when cond held, -ETIMEDOUT. Interrupts end up enabled.
 */
int wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns);

#endif /* PVKIT_TIMER_H */
