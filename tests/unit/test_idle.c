// SPDX-License-Identifier: MIT
/*
 * kernel/idle.c: every poller runs once per idle_poll(); a poller that calls idle_poll() from
 * what it runs (a console command that loops) lets the others run and is not entered again;
 * idle_wait() halts only when no poller had work and no interrupt came.
 */
#include <pvkit/idle.h>
#include <pvkit/irq.h>
#include <pvkit/pv.h>
#include "unit.h"

/* ---- the kernel around idle.c: interrupt flag, halts, the interrupt count ------------- */

static bool irqs_on = true;
static unsigned int halts;
static uint64_t irqs;

static unsigned long fk_save_fl(void) { return irqs_on; }
static void fk_restore_fl(unsigned long fl) { irqs_on = fl; }
static void fk_irq_disable(void) { irqs_on = false; }
static void fk_irq_enable(void) { irqs_on = true; }
static void fk_safe_halt(void) { irqs_on = true; halts++; }

static const struct pv_irq_ops fk_irq_ops = {
	.name = "fake", .save_fl = fk_save_fl, .restore_fl = fk_restore_fl,
	.irq_disable = fk_irq_disable, .irq_enable = fk_irq_enable, .safe_halt = fk_safe_halt,
};
const struct pv_irq_ops *pv_irq = &fk_irq_ops;

uint64_t irq_total(void)
{
	return irqs;
}

/* ---- pollers ------------------------------------------------------------------------------- */

static unsigned int console_runs, watch_runs, net_runs, nested_depth, max_depth;
static unsigned int net_work;
static bool console_busy;		/* a command is running (pollers stay registered) */

/* The console: its command loops and polls the rest three times, as `udp send` does. */
static unsigned int console_poll(void)
{
	if (!console_busy)
		return 0;
	console_runs++;
	if (++nested_depth > max_depth)
		max_depth = nested_depth;
	for (unsigned int i = 0; i < 3; i++)
		idle_poll();
	nested_depth--;
	return 1;
}

static unsigned int watch_poll(void)
{
	watch_runs++;
	return 0;
}

static unsigned int net_poll(void)
{
	net_runs++;
	return net_work;
}

static struct os_poller console = { .name = "console", .poll = console_poll };
static struct os_poller watches = { .name = "xenstore", .poll = watch_poll };
static struct os_poller net = { .name = "net", .poll = net_poll };

static void nested_polls(void)
{
	os_poller_register(&watches);
	os_poller_register(&console);
	os_poller_register(&console);		/* twice: still once in the list */
	os_poller_register(&net);
	console_runs = watch_runs = net_runs = max_depth = 0;
	console_busy = true;
	CHECK(idle_poll() >= 1);
	console_busy = false;
	CHECKF(console_runs == 1 && max_depth == 1, "console ran %u times, %u deep",
	       console_runs, max_depth);
	/* The 3 polls from inside the command, and the outer one's. */
	CHECKF(watch_runs == 4 && net_runs == 4, "watches %u, net %u", watch_runs, net_runs);
	CHECK(!console.running && !watches.running && !net.running);
}

static void wait_halts_only_when_idle(void)
{
	os_poller_register(&watches);
	os_poller_register(&net);
	net_work = 1;
	halts = 0;
	idle_wait();				/* work done: poll again, no halt */
	CHECK(halts == 0 && irqs_on);
	net_work = 0;
	idle_wait();
	CHECK(halts == 1 && irqs_on);
}

UNIT_CASES(
	{ nested_polls, "idle: a poller polling from inside runs the others, not itself" },
	{ wait_halts_only_when_idle, "idle: idle_wait halts only when nothing had work" },
);
