// SPDX-License-Identifier: MIT
/*
 * The SMP core (paravirt/smp.c) on host threads: CPU 0 is the test's thread, each AP a thread
 * with its own per-CPU area at its GS base (arch_prctl), started by a fake native_smp_init()
 * into the real smp_ap_online() idle loop. The fake "IPI" sets a word the AP's fake safe_halt
 * waits on (a futex) and then runs smp_call_interrupt(), as the vector's handler does. The
 * local TLB flush is a fake that counts per CPU. What must hold:
 *   - a cross-call runs on the CPU it names;
 *   - the lazy shootdown: after smp_flush_tlb_others() an idle AP flushes before the next call
 *     it runs (the call sees the flush already done), an AP never called does not flush, and
 *     an AP inside a call is waited for until that call ended;
 *   - a CPU that stops answering is taken offline after the 1 s timeout and sent nothing more;
 *   - hot-plug: smp_cpu_down() parks the AP (offline, the park op called on it), smp_cpu_up()
 *     brings it back flushed, and calls reach it again.
 */
#include "unit.h"
#include <pvkit/bootinfo.h>
#include <pvkit/errno.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <asm/prctl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NR_CPUS		4

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* The pv tables smp.c calls through: the clock, the interrupt flag (a per-thread word), the
 * GS base, halting. */
static __thread unsigned long irq_on;

static uint64_t fake_clock_ns(void) { return (uint64_t)now_ns(); }
static unsigned long fake_save_fl(void) { return irq_on; }
static void fake_restore_fl(unsigned long fl) { irq_on = fl; }
static void fake_irq_disable(void) { irq_on = 0; }
static void fake_irq_enable(void) { irq_on = X86_RFLAGS_IF; }
static void fake_set_gs_base(uint64_t b) { syscall(SYS_arch_prctl, ARCH_SET_GS, b); }

/* An AP's "interrupt line": set by the IPI, taken by its safe_halt. */
static volatile int ipi[NR_CPUS];
static volatile bool deaf[NR_CPUS];	/* IPIs to it are lost (a CPU that died) */

static void fake_safe_halt(void)
{
	unsigned int cpu = smp_processor_id();
	struct timespec ts = { 0, 20000000 };	/* re-look every 20 ms (the park flag) */

	irq_on = X86_RFLAGS_IF;
	if (!__atomic_exchange_n(&ipi[cpu], 0, __ATOMIC_SEQ_CST)) {
		syscall(SYS_futex, &ipi[cpu], FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
		if (!__atomic_exchange_n(&ipi[cpu], 0, __ATOMIC_SEQ_CST))
			return;
	}
	if (deaf[cpu])
		return;
	irq_on = 0;				/* the handler runs with interrupts off */
	smp_call_interrupt();
}

static void fake_send_ipi(const struct percpu *pc)
{
	__atomic_store_n(&ipi[pc->cpu], 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &ipi[pc->cpu], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static const struct pv_time_ops fake_time = { .name = "fake", .clock_ns = fake_clock_ns };
static const struct pv_irq_ops fake_irq = {
	.name = "fake",
	.save_fl = fake_save_fl,
	.restore_fl = fake_restore_fl,
	.irq_disable = fake_irq_disable,
	.irq_enable = fake_irq_enable,
	.safe_halt = fake_safe_halt,
};
static const struct pv_cpu_ops fake_cpu = { .name = "fake", .set_gs_base = fake_set_gs_base };
const struct pv_time_ops *pv_time = &fake_time;
const struct pv_irq_ops *pv_irq = &fake_irq;
const struct pv_cpu_ops *pv_cpu = &fake_cpu;

/* The local TLB flush: counted per CPU. */
static volatile unsigned int flushes[NR_CPUS];

static void fake_flush_local(void)
{
	__atomic_fetch_add(&flushes[smp_processor_id()], 1, __ATOMIC_SEQ_CST);
}

/* The environment's bring-up: every AP a thread in the real idle loop. */
static void *ap_main(void *arg)
{
	struct percpu *pc = arg;

	fake_set_gs_base((uintptr_t)pc);
	smp_ap_online(pc);
}

int native_smp_init(const struct boot_info *bi, unsigned int *cpus);
int native_smp_init(const struct boot_info *bi, unsigned int *cpus)
{
	pthread_t t;

	smp_set_ipi_sender(fake_send_ipi);
	smp_set_local_flush(fake_flush_local);
	for (unsigned int cpu = 1; cpu < NR_CPUS; cpu++) {
		struct percpu *pc = &smp_percpu[cpu];

		pc->self = pc;
		pc->cpu = cpu;
		if (pthread_create(&t, NULL, ap_main, pc))
			return -ENOMEM;
		pthread_detach(t);
		while (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
			usleep(1000);
	}
	*cpus = NR_CPUS;
	return 0;
}

static bool started;

static void start(void)
{
	static struct boot_info bi;

	if (started)
		return;
	started = true;
	bi.env = BOOT_NATIVE;
	smp_early_init();
	CHECK(smp_init(&bi) == 0);
}

/* A call's own view: where it ran, and the flushes its CPU had made before it ran. */
struct seen {
	unsigned int cpu;
	unsigned int flushes;
	bool irq_off;
};

static void look(void *arg)
{
	struct seen *s = arg;

	s->cpu = smp_processor_id();
	s->flushes = flushes[s->cpu];
	s->irq_off = !irq_on;
}

static void test_calls(void)
{
	start();
	CHECKF(smp_cpus() == NR_CPUS && smp_online() == NR_CPUS, "cpus %u online %u",
	       smp_cpus(), smp_online());
	for (unsigned int cpu = 0; cpu < NR_CPUS; cpu++) {
		struct seen s = { .cpu = 99 };

		CHECK(smp_call_on(cpu, look, &s) == 0);
		CHECKF(s.cpu == cpu && s.irq_off, "call for cpu %u ran on %u (irq off %d)", cpu,
		       s.cpu, s.irq_off);
	}
	CHECK(smp_call_on(NR_CPUS, look, NULL) == -EINVAL);
}

static void test_shootdown_lazy(void)
{
	struct seen s;
	unsigned int f1, f2;

	start();
	CHECK(smp_call_on(1, look, &s) == 0);	/* both up to date */
	CHECK(smp_call_on(2, look, &s) == 0);
	f1 = flushes[1];
	f2 = flushes[2];
	smp_flush_tlb_others(0x1000);
	usleep(20000);
	CHECKF(flushes[1] == f1 && flushes[2] == f2, "an idle AP flushed without a call");
	CHECK(smp_call_on(1, look, &s) == 0);
	CHECKF(s.flushes == f1 + 1, "cpu 1's call ran before its TLB was flushed (%u, was %u)",
	       s.flushes, f1);
	CHECK(smp_call_on(1, look, &s) == 0);
	CHECKF(s.flushes == f1 + 1, "cpu 1 flushed again with nothing changed (%u)", s.flushes);
	CHECKF(flushes[2] == f2, "cpu 2 flushed, never called");
	CHECK(smp_call_on(2, look, &s) == 0);
	CHECKF(s.flushes == f2 + 1, "cpu 2's call ran before its flush");
}

/* A call that stays until released: the shootdown must wait for it to end. */
static volatile bool release, inside;

static void hold(void *arg)
{
	__atomic_store_n(&inside, true, __ATOMIC_SEQ_CST);
	while (!__atomic_load_n(&release, __ATOMIC_SEQ_CST))
		;
}

static void *releaser(void *arg)
{
	usleep(100000);
	__atomic_store_n(&release, true, __ATOMIC_SEQ_CST);
	return NULL;
}

static void test_shootdown_waits_in_call(void)
{
	pthread_t t;
	uint32_t seq;
	int64_t t0, waited;
	struct seen s;

	start();
	release = inside = false;
	CHECK(smp_call_start(3, hold, NULL, &seq) == 0);
	while (!__atomic_load_n(&inside, __ATOMIC_SEQ_CST))
		usleep(1000);
	CHECK(pthread_create(&t, NULL, releaser, NULL) == 0);
	t0 = now_ns();
	smp_flush_tlb_others(0x2000);
	waited = now_ns() - t0;
	CHECKF(release && !smp_percpu[3].in_call,
	       "the shootdown returned after %ld ms while cpu 3 was still in its call",
	       (long)(waited / 1000000));
	CHECK(smp_call_wait(3, seq) == 0);
	pthread_join(t, NULL);
	CHECK(smp_call_on(3, look, &s) == 0);
	CHECKF(s.flushes == flushes[3] && s.flushes > 0, "cpu 3 ran its next call unflushed");
}

/* Hot-plug with fake park ops: the AP blocks in park until unpark lets it go. */
static volatile int parked_word[NR_CPUS];
static volatile unsigned int parks, unparks;

static int fake_park(struct percpu *pc)
{
	__atomic_fetch_add(&parks, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&parked_word[pc->cpu], 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&parked_word[pc->cpu], __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &parked_word[pc->cpu], FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
	return 0;
}

static int fake_unpark(struct percpu *pc)
{
	__atomic_fetch_add(&unparks, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&parked_word[pc->cpu], 0, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &parked_word[pc->cpu], FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	return 0;
}

static void test_hotplug(void)
{
	struct seen s;
	unsigned int f;

	start();
	CHECK(smp_cpu_down(2) == -EOPNOTSUPP);	/* no park ops yet */
	smp_set_park_ops(fake_park, fake_unpark);
	CHECK(smp_cpu_down(0) == -EINVAL);
	CHECK(smp_cpu_down(2) == 0);
	CHECKF(smp_online() == NR_CPUS - 1 && !smp_percpu[2].online && smp_percpu[2].parked &&
	       parks == 1, "online %u, cpu 2 online %d parked %d, parks %u", smp_online(),
	       smp_percpu[2].online, smp_percpu[2].parked, parks);
	CHECK(smp_cpu_down(2) == -EALREADY);
	CHECK(smp_call_on(2, look, &s) == -ENODEV);	/* nothing is sent to it */
	smp_flush_tlb_others(0x3000);		/* must not wait for a parked CPU */
	f = flushes[2];
	CHECK(smp_cpu_up(2) == 0);
	CHECKF(smp_online() == NR_CPUS && smp_percpu[2].online && !smp_percpu[2].parked &&
	       unparks == 1, "online %u after up", smp_online());
	CHECKF(flushes[2] == f + 1, "cpu 2 came back without flushing its TLB");
	CHECK(smp_call_on(2, look, &s) == 0 && s.cpu == 2);
	CHECK(smp_cpu_up(2) == -EALREADY);
	smp_set_park_ops(NULL, NULL);
}

/* Last: a CPU that stops answering is given up after 1 s and sent nothing more. */
static void test_lost_cpu(void)
{
	struct seen s;
	int64_t t0;

	start();
	deaf[1] = true;
	t0 = now_ns();
	CHECK(smp_call_on(1, look, &s) == -ETIMEDOUT);
	CHECKF(now_ns() - t0 >= 900000000ll, "gave up after %ld ms", (long)((now_ns() - t0) / 1000000));
	CHECKF(!smp_percpu[1].online && smp_online() == NR_CPUS - 1, "cpu 1 still counted online");
	CHECK(unit_logged("did not answer a call within 1 s"));
	CHECK(smp_call_on(1, look, &s) == -ENODEV);
	CHECK(smp_call_on(3, look, &s) == 0 && s.cpu == 3);	/* the others go on */
}

UNIT_CASES(
	{ test_calls, "smp: a cross-call runs on the CPU it names, interrupts off" },
	{ test_shootdown_lazy, "smp: shootdown: an idle AP flushes before its next call, not before" },
	{ test_shootdown_waits_in_call, "smp: shootdown: an AP inside a call is waited for" },
	{ test_hotplug, "smp: hot-plug: parked offline, back flushed, calls reach it again" },
	{ test_lost_cpu, "smp: a CPU that stops answering is taken offline after 1 s" },
);
