// SPDX-License-Identifier: MIT
/* Kernel timers (kernel/include/pvkit/timer.h; the os_timer_* services of include/pvkit/os.h) over the pv_time one-shot timer. */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/pv.h>
#include <pvkit/timer.h>

static struct os_timer *timer_list;	/* pending timers, earliest first */
static uint64_t timer_irqs;

/* Arm the backend for the head of the list (or disarm). Interrupts off. */
static void timer_program(void)
{
	pv_set_timer(timer_list ? MAX(timer_list->deadline, 1ull) : 0);
}

static void timer_unlink(struct os_timer *t)
{
	for (struct os_timer **pp = &timer_list; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = NULL;
	t->pending = false;
}

static void timer_insert(struct os_timer *t)
{
	struct os_timer **pp = &timer_list;

	while (*pp && (*pp)->deadline <= t->deadline)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->pending = true;
}

void os_timer_add(struct os_timer *t, uint64_t deadline, os_timer_fn fn, void *ctx)
{
	unsigned long fl = pv_irq_save();

	if (t->pending)
		timer_unlink(t);
	t->deadline = deadline;
	t->fn = fn;
	t->ctx = ctx;
	timer_insert(t);
	if (timer_list == t)
		timer_program();
	pv_irq_restore(fl);
}

bool os_timer_cancel(struct os_timer *t)
{
	unsigned long fl = pv_irq_save();
	bool was = t->pending;

	if (was) {
		bool head = timer_list == t;

		timer_unlink(t);
		if (head)
			timer_program();
	}
	pv_irq_restore(fl);
	return was;
}

/* The backend's one-shot fired: run everything due, then arm for what is left. */
static void timer_interrupt(void)
{
	uint64_t now = pv_clock_ns();

	timer_irqs++;
	while (timer_list && timer_list->deadline <= now) {
		struct os_timer *t = timer_list;

		timer_unlink(t);
		t->fn(t);			/* may re-add itself */
		now = pv_clock_ns();
	}
	timer_program();
}

void timer_init(void)
{
	pv_timer_set_handler(timer_interrupt);
}

uint64_t timer_interrupts(void)
{
	return timer_irqs;
}

/* Nothing to do: the interrupt that runs it is what ends the waiter's halt. */
static void wait_until_wake(struct os_timer *t)
{
}

int os_wait_until(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns)
{
	struct os_timer wake = { 0 };
	uint64_t deadline = pv_clock_ns() + timeout_ns;
	int err = -ETIMEDOUT;

	/* A timer at the deadline guarantees that an interrupt ends the last halt. */
	for (;;) {
		pv_irq_disable();
		if (cond(ctx)) {
			err = 0;
			break;
		}
		if (pv_clock_ns() >= deadline)
			break;
		if (!wake.pending)
			os_timer_add(&wake, deadline, wait_until_wake, NULL);
		pv_safe_halt();			/* enables interrupts; returns after one */
	}
	os_timer_cancel(&wake);
	pv_irq_enable();
	return err;
}
