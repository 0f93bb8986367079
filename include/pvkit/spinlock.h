/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Spinlocks for data more than one CPU touches (docs/smp.md "Locking rules"). A ticket lock:
 * CPUs get the lock in the order they asked, so none starves under contention. Locks that an
 * interrupt handler also takes must be taken with spin_lock_irqsave() everywhere, or a handler
 * on the same CPU spins forever on its own holder.
 *
 * Under Xen a vCPU spinning for a lock whose holder (or the next ticket's owner) is not
 * running burns its time slice for nothing. The pv lock op (spin_set_pv_ops(), docs/smp.md
 * "The pv lock op"): a waiter spins SPIN_THRESHOLD rounds, then sleeps (Xen: SCHEDOP_poll on its
 * own masked event channel) with its lock and ticket recorded in its per-CPU area; the unlocker,
 * seeing sleepers, kicks the CPU whose ticket is now served. Natively nothing is set: spin only.
 */
#ifndef PVKIT_SPINLOCK_H
#define PVKIT_SPINLOCK_H

#include <pvkit/compiler.h>
#include <pvkit/pv.h>
#include <pvkit/types.h>
#include <pvkit/x86.h>

/** A ticket lock. Zero-initialised means unlocked. */
typedef struct {
	volatile uint16_t owner;	/**< the ticket being served */
	volatile uint16_t next;		/**< the next ticket to hand out */
} spinlock_t;

/** A static initialiser: unlocked. */
#define SPINLOCK_INIT	{ 0, 0 }

/** Spin rounds (pause each) before a waiter sleeps; ~0.1-0.3 ms under TCG, far less on
 * hardware: a holder that runs releases well within it, one that does not is preempted. */
#define SPIN_THRESHOLD		(1u << 12)

/** How a lock waiter stops spinning: the environment's (Xen: an event channel per CPU). */
struct spin_pv_ops {
	const char *name;			/**< "xen": the console line and the tests */
	/** Arm @p cpu's wakeup (the calling CPU's own): a kick after this makes the next
	 * sleep() return at once, so the waiter can look at the lock once more in between. */
	void (*prepare)(unsigned int cpu);
	/** Block the calling CPU @p cpu until kicked, an interrupt, or a bounded time (a lost
	 * kick costs a delay, never a hang). */
	void (*sleep)(unsigned int cpu);
	/** Wake @p cpu from sleep() (or make its next one return at once). */
	void (*kick)(unsigned int cpu);
};

/** The pv lock op in use; NULL: waiters spin only (native, before set, across a suspend). */
extern const struct spin_pv_ops *volatile spin_pv;
/** CPUs asleep in (or about to sleep in) spin_lock_slow(): unlock kicks only when nonzero. */
extern volatile unsigned int spin_sleepers;

/**
 * spin_set_pv_ops() - install (or, NULL, remove) the pv lock op. Removing it leaves a sleeping
 * waiter to its bounded sleep; it spins after that.
 * @param ops the environment's operations, or NULL.
 */
void spin_set_pv_ops(const struct spin_pv_ops *ops);

/**
 * spin_lock_slow() - the contended path of spin_lock(): spin, then sleep through the pv lock
 * op if there is one, until ticket @p me is served.
 * @param l  the lock.
 * @param me our ticket.
 */
void spin_lock_slow(spinlock_t *l, uint16_t me);

/**
 * spin_unlock_kick() - wake the sleeping CPU (if any) that waits for ticket @p owner of @p l.
 * @param l     the lock just released.
 * @param owner the ticket now served.
 */
void spin_unlock_kick(spinlock_t *l, uint16_t owner);

/**
 * spin_lock() - take @p l: at once if it is our turn, else spin_lock_slow().
 * @param l the lock.
 */
static inline void spin_lock(spinlock_t *l)
{
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);

	if (likely(__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) == me))
		return;
	spin_lock_slow(l, me);
}

/**
 * spin_unlock() - release @p l to the next ticket (a release store: everything written under
 * the lock is visible to the next holder). With a pv lock op, a full barrier between that
 * store and the look at spin_sleepers (a waiter counts itself in, then looks at the owner: one
 * of the two sees the other), and a kick if anyone sleeps.
 * @param l the lock, held by us.
 */
static inline void spin_unlock(spinlock_t *l)
{
	uint16_t owner = (uint16_t)(l->owner + 1);

	__atomic_store_n(&l->owner, owner, __ATOMIC_RELEASE);
	if (unlikely(__atomic_load_n(&spin_pv, __ATOMIC_RELAXED) != NULL)) {
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&spin_sleepers, __ATOMIC_RELAXED))
			spin_unlock_kick(l, owner);
	}
}

/**
 * spin_trylock() - take @p l if nobody holds it or waits for it.
 * @param l the lock.
 * @return true if we hold it now.
 */
static inline bool spin_trylock(spinlock_t *l)
{
	uint16_t owner = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint16_t expect = owner;

	return __atomic_compare_exchange_n(&l->next, &expect, (uint16_t)(owner + 1), false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

/**
 * spin_lock_irqsave() - mask interrupts (events under Xen) on this CPU, then take @p l.
 * @param l the lock.
 * @return the interrupt state to give back to spin_unlock_irqrestore().
 */
static inline unsigned long spin_lock_irqsave(spinlock_t *l)
{
	unsigned long fl = pv_irq_save();

	spin_lock(l);
	return fl;
}

/**
 * spin_unlock_irqrestore() - release @p l, then restore the interrupt state.
 * @param l  the lock.
 * @param fl what spin_lock_irqsave() returned.
 */
static inline void spin_unlock_irqrestore(spinlock_t *l, unsigned long fl)
{
	spin_unlock(l);
	pv_irq_restore(fl);
}

#endif /* PVKIT_SPINLOCK_H */
