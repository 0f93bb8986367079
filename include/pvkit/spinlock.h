/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Spinlocks for data more than one CPU touches (docs/smp.md "Locking rules"). A ticket lock:
 * CPUs get the lock in the order they asked, so none starves under contention. Locks that an
 * interrupt handler also takes must be taken with spin_lock_irqsave() everywhere, or a handler
 * on the same CPU spins forever on its own holder.
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

/**
 * spin_lock() - take @p l, spinning (pause) until it is our turn.
 * @param l the lock.
 */
static inline void spin_lock(spinlock_t *l)
{
	uint16_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		cpu_relax();
}

/**
 * spin_unlock() - release @p l to the next ticket (a release store: everything written under
 * the lock is visible to the next holder).
 * @param l the lock, held by us.
 */
static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->owner, (uint16_t)(l->owner + 1), __ATOMIC_RELEASE);
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
