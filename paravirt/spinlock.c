// SPDX-License-Identifier: MIT
/*
 * The contended half of the ticket lock (include/pvkit/spinlock.h, docs/smp.md "The pv lock
 * op"). A waiter spins SPIN_THRESHOLD rounds; with a pv lock op it then records the lock and
 * its ticket in its per-CPU area, counts itself in spin_sleepers, arms its wakeup, looks at
 * the lock once more and sleeps. An unlocker that sees sleepers scans the CPUs for the one
 * whose ticket it just served and kicks it. Ticket order makes that CPU the only one that can
 * take the lock next: waking any other would be useless, not waking it would stall the lock.
 *
 * Lost wakeups: the waiter's record and count are written with full barriers before it looks
 * at the owner; the unlocker's store of the owner is followed by a full barrier before it
 * looks at the count. Either the waiter sees its ticket served (and does not sleep), or the
 * unlocker sees it counted and its record (and kicks). A kick between prepare() and sleep()
 * makes the sleep return at once. The sleep is bounded as well (the environment's), so a
 * lost kick would be a delay, never a hang.
 */
#include <pvkit/compiler.h>
#include <pvkit/smp.h>
#include <pvkit/spinlock.h>
#include <pvkit/x86.h>

const struct spin_pv_ops *volatile spin_pv;
volatile unsigned int spin_sleepers;

void spin_set_pv_ops(const struct spin_pv_ops *ops)
{
	__atomic_store_n(&spin_pv, ops, __ATOMIC_SEQ_CST);
}

/* One sleep for ticket @me of @l, unless it is served meanwhile. */
static void spin_sleep(const struct spin_pv_ops *ops, spinlock_t *l, uint16_t me)
{
	struct percpu *pc = smp_this();

	/* An interrupt handler contending while this CPU already sleeps on another lock: it
	 * spins (one record per CPU; the outer wait is kicked through it). */
	if (__atomic_load_n(&pc->lock_wait, __ATOMIC_RELAXED))
		return;
	pc->lock_want = me;
	__atomic_store_n(&pc->lock_wait, l, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&spin_sleepers, 1, __ATOMIC_SEQ_CST);
	ops->prepare(pc->cpu);
	if (__atomic_load_n(&l->owner, __ATOMIC_SEQ_CST) != me) {
		pc->lock_sleeps++;
		ops->sleep(pc->cpu);
	}
	__atomic_fetch_sub(&spin_sleepers, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&pc->lock_wait, NULL, __ATOMIC_RELEASE);
}

void spin_lock_slow(spinlock_t *l, uint16_t me)
{
	for (;;) {
		const struct spin_pv_ops *ops;

		for (unsigned int i = 0; i < SPIN_THRESHOLD; i++) {
			if (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == me)
				return;
			cpu_relax();
		}
		ops = __atomic_load_n(&spin_pv, __ATOMIC_ACQUIRE);
		if (ops)
			spin_sleep(ops, l, me);
	}
}

void spin_unlock_kick(spinlock_t *l, uint16_t owner)
{
	const struct spin_pv_ops *ops = __atomic_load_n(&spin_pv, __ATOMIC_ACQUIRE);
	unsigned int n = smp_cpus();

	if (!ops)
		return;
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		struct percpu *pc = &smp_percpu[cpu];

		if (__atomic_load_n(&pc->lock_wait, __ATOMIC_ACQUIRE) != l ||
		    __atomic_load_n(&pc->lock_want, __ATOMIC_RELAXED) != owner)
			continue;
		__atomic_fetch_add(&pc->lock_kicks, 1, __ATOMIC_RELAXED);
		ops->kick(cpu);
		return;				/* one ticket, one waiter */
	}
}
