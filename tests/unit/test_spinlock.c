// SPDX-License-Identifier: MIT
/*
 * The ticket lock and its pv lock op (include/pvkit/spinlock.h, paravirt/spinlock.c) on host
 * threads: each thread is a "CPU" with its own per-CPU area at its GS base (arch_prctl, as
 * test_patch does), and the fake pv op sleeps on a futex per CPU, with a bound. More threads
 * than the machine has cores, so holders are preempted and waiters really sleep (the case the
 * op exists for, as vCPUs on fewer pCPUs under Xen). What must hold: the counter under the lock
 * is exact; no sleep ever ran into its bound (a lost kick would: the protocol's whole point);
 * sleeps and kicks happened. And one waiter, put to sleep on purpose, is woken by the unlock.
 */
#include "unit.h"
#include <pvkit/smp.h>
#include <pvkit/spinlock.h>
#include <asm/prctl.h>
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NR_THREADS	6
#define TORTURE_NS	300000000ll	/* each thread's time at the lock: bounded by time, not
					 * rounds (a spinning convoy on a busy host is slow) */
#define SLEEP_BOUND_NS	2000000000ll	/* the fake's bound: reached only by a lost kick */

struct percpu smp_percpu[SMP_MAX_CPUS];

unsigned int smp_cpus(void)
{
	return NR_THREADS;
}

/* The fake op: a word per CPU, set by a kick, cleared by prepare, waited on by sleep. */
static volatile int wake[SMP_MAX_CPUS];
static volatile unsigned int timeouts, sleeps_seen, kicks_sent;

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void fake_prepare(unsigned int cpu)
{
	__atomic_store_n(&wake[cpu], 0, __ATOMIC_SEQ_CST);
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

static void fake_sleep(unsigned int cpu)
{
	int64_t end = now_ns() + SLEEP_BOUND_NS;

	__atomic_fetch_add(&sleeps_seen, 1, __ATOMIC_RELAXED);
	while (!__atomic_load_n(&wake[cpu], __ATOMIC_SEQ_CST)) {
		int64_t left = end - now_ns();
		struct timespec ts;

		if (left <= 0) {
			__atomic_fetch_add(&timeouts, 1, __ATOMIC_RELAXED);
			return;
		}
		ts.tv_sec = left / 1000000000ll;
		ts.tv_nsec = left % 1000000000ll;
		futex(&wake[cpu], FUTEX_WAIT_PRIVATE, 0, &ts);
	}
}

static void fake_kick(unsigned int cpu)
{
	__atomic_fetch_add(&kicks_sent, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&wake[cpu], 1, __ATOMIC_SEQ_CST);
	futex(&wake[cpu], FUTEX_WAKE_PRIVATE, 1, NULL);
}

static const struct spin_pv_ops fake_ops = {
	.name = "fake",
	.prepare = fake_prepare,
	.sleep = fake_sleep,
	.kick = fake_kick,
};

static void become_cpu(unsigned int cpu)
{
	struct percpu *pc = &smp_percpu[cpu];

	pc->self = pc;
	pc->cpu = cpu;
	syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)pc);
}

static spinlock_t lock = SPINLOCK_INIT;
static volatile uint64_t counter;
static uint64_t mine[NR_THREADS];
static volatile unsigned int ready, nr_running;	/* all start at once */
static int64_t torture_end;

static void *torture(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;

	become_cpu(cpu);
	__atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&ready, __ATOMIC_SEQ_CST) < nr_running)
		sched_yield();
	while (now_ns() < torture_end) {
		uint64_t v;

		spin_lock(&lock);
		v = counter;
		__asm__ __volatile__("pause" ::: "memory");
		counter = v + 1;
		spin_unlock(&lock);
		mine[cpu]++;
	}
	return NULL;
}

static void reset(void)
{
	memset(smp_percpu, 0, sizeof(smp_percpu));
	memset((void *)wake, 0, sizeof(wake));
	timeouts = sleeps_seen = kicks_sent = 0;
	counter = 0;
	memset(mine, 0, sizeof(mine));
	lock = (spinlock_t)SPINLOCK_INIT;
	spin_sleepers = 0;
}

static void run_torture(unsigned int n)
{
	pthread_t t[NR_THREADS];
	uint64_t sum = 0, sleeps = 0, kicks = 0;

	ready = 0;
	nr_running = n;
	torture_end = now_ns() + TORTURE_NS;
	for (unsigned int i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, torture, (void *)(uintptr_t)i) == 0);
	for (unsigned int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (unsigned int i = 0; i < n; i++) {
		sum += mine[i];
		sleeps += smp_percpu[i].lock_sleeps;
		kicks += smp_percpu[i].lock_kicks;
		CHECKF(!smp_percpu[i].lock_wait, "cpu %u still records a lock", i);
	}
	CHECKF(counter == sum && sum > 0,
	       "counter %lu, increments %lu: the lock let two in", counter, sum);
	CHECKF(spin_sleepers == 0, "%u sleepers left counted", spin_sleepers);
	CHECKF(sleeps == sleeps_seen, "%lu sleeps counted, the op saw %u", sleeps, sleeps_seen);
	CHECKF(kicks == kicks_sent, "%lu kicks counted, the op sent %u", kicks, kicks_sent);
	printf("#   %u threads, %lld ms: %lu increments, %lu sleeps, %lu kicks, %u ran into the "
	       "bound\n", n, TORTURE_NS / 1000000, sum, sleeps, kicks, timeouts);
}

static void test_torture_pv(void)
{
	reset();
	spin_set_pv_ops(&fake_ops);
	run_torture(NR_THREADS);
	CHECKF(timeouts == 0, "%u sleeps ended by their 2 s bound: a kick was lost", timeouts);
	CHECKF(sleeps_seen > 0, "no waiter ever slept: the op was never used");
	CHECKF(kicks_sent > 0, "no unlock ever kicked");
	spin_set_pv_ops(NULL);
}

static void test_torture_spin(void)
{
	reset();
	spin_set_pv_ops(NULL);
	run_torture(2);
	CHECKF(sleeps_seen == 0 && kicks_sent == 0, "no op, but %u sleeps, %u kicks", sleeps_seen,
	       kicks_sent);
}

/* One waiter put to sleep on purpose: the unlock must wake it, long before its bound. */
static volatile bool got_it;

static void *waiter(void *arg)
{
	become_cpu(1);
	spin_lock(&lock);
	got_it = true;
	spin_unlock(&lock);
	return NULL;
}

static void test_one_kick(void)
{
	pthread_t t;
	int64_t t0, waited;

	reset();
	spin_set_pv_ops(&fake_ops);
	become_cpu(0);
	got_it = false;
	spin_lock(&lock);
	CHECK(pthread_create(&t, NULL, waiter, NULL) == 0);
	t0 = now_ns();
	while (!__atomic_load_n(&smp_percpu[1].lock_sleeps, __ATOMIC_ACQUIRE) &&
	       now_ns() - t0 < 5000000000ll)
		usleep(1000);
	CHECKF(smp_percpu[1].lock_sleeps == 1 && smp_percpu[1].lock_wait == &lock &&
	       smp_percpu[1].lock_want == 1, "the waiter did not sleep on ticket 1 (%lu sleeps)",
	       smp_percpu[1].lock_sleeps);
	usleep(20000);			/* it is in the fake's futex wait by now */
	t0 = now_ns();
	spin_unlock(&lock);
	pthread_join(t, NULL);
	waited = now_ns() - t0;
	CHECK(got_it);
	CHECKF(smp_percpu[1].lock_kicks == 1, "kicked %lu times", smp_percpu[1].lock_kicks);
	CHECKF(timeouts == 0 && waited < SLEEP_BOUND_NS / 2,
	       "woke after %ld ms (%u timeouts): not by the kick", (long)(waited / 1000000),
	       timeouts);
	spin_set_pv_ops(NULL);
}

/* trylock: free -> taken; taken or with a waiter queued -> refused. */
static void test_trylock(void)
{
	reset();
	become_cpu(0);
	CHECK(spin_trylock(&lock));
	CHECK(!spin_trylock(&lock));
	spin_unlock(&lock);
	CHECK(spin_trylock(&lock));
	spin_unlock(&lock);
	CHECK(lock.owner == 2 && lock.next == 2);
}

UNIT_CASES(
	{ test_trylock, "spinlock: trylock takes a free lock only" },
	{ test_one_kick, "spinlock: a sleeping waiter is woken by the unlock's kick" },
	{ test_torture_pv, "spinlock: torture with the pv op: exact, no kick lost, op used" },
	{ test_torture_spin, "spinlock: torture without an op: exact, nobody sleeps" },
);
