// SPDX-License-Identifier: MIT
/* Idle-time pollers (kernel/include/pvkit/idle.h; os_poller_register is the os.h service). */
#include <pvkit/idle.h>
#include <pvkit/irq.h>
#include <pvkit/pv.h>

static struct os_poller *pollers;

void os_poller_register(struct os_poller *p)
{
	for (struct os_poller *q = pollers; q; q = q->next)
		if (q == p)
			return;
	p->next = pollers;
	pollers = p;
}

unsigned int idle_poll(void)
{
	unsigned int work = 0;

	for (struct os_poller *p = pollers; p; p = p->next) {
		if (p->running)
			continue;		/* it called us, through what it runs */
		p->running = true;
		work += p->poll();
		p->running = false;
	}
	return work;
}

/*
 * Work for the pollers comes from interrupts (events, the UART). If any interrupt came while
 * they ran, poll again rather than halt: its work might be waiting. Otherwise halt with the
 * check and the sleep atomic (safe_halt), so an interrupt after the check ends the halt.
 */
void idle_wait(void)
{
	uint64_t before = irq_total();

	if (idle_poll())
		return;
	pv_irq_disable();
	if (irq_total() == before)
		pv_safe_halt();
	pv_irq_enable();
}
