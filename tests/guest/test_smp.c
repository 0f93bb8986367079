// SPDX-License-Identifier: MIT
/*
 * SMP (issue 15, docs/smp.md): every CPU the environment describes is online (natively),
 * cross-calls reach each CPU and run there, an IPI ping-pong counted exactly on every CPU, a
 * lock torture (a counter under a spinlock from every CPU at once, exact total), and a TLB
 * shootdown (a mapping read on another CPU, removed here: the other CPU must fault on it).
 * With one CPU each test says so and skips. Natively, under Xen PVH and under Xen PV every
 * vCPU is started (PV: VCPUOP_initialise, IPIs polled on event channels).
 */
#include <pvkit/acpi.h>
#include <pvkit/cmdline.h>
#include <pvkit/errno.h>
#include <pvkit/ioapic.h>
#include <pvkit/lapic.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <pvkit/spinlock.h>
#include <pvkit/traps.h>
#include <pvkit/x86.h>
#include <string.h>
#include "selftest.h"
#ifdef CONFIG_XEN_GUEST
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/spinlock.h>
#include <pvkit/xen/vcpu_info.h>
#include <pvkit/xen/xenstore.h>
#include <xen/vcpu.h>
#endif

#define PINGS_PER_CPU	200		/* cross-calls per CPU in the ping-pong */
#define TORTURE_ROUNDS	20000		/* lock/unlock pairs per CPU */

static int smp_skip_one_cpu(void)
{
	if (smp_online() > 1)
		return 0;
	if (smp_cpus() > 1)
		printk("#   %u CPUs, only CPU 0 online: starting the others is not implemented "
		       "in this environment yet (docs/smp.md)\n", smp_cpus());
	else
		printk("#   one CPU: nothing to test here\n");
	return ST_SKIPPED;
}

static int test_smp_online(const struct boot_info *bi)
{
#ifdef CONFIG_NATIVE
	const struct acpi_madt_info *m = smp_native_madt();
	unsigned int enabled = 0;

	ST_CHECK(m, "no MADT");
	if (bi->env == BOOT_NATIVE)
		ST_CHECK(m == ioapic_wiring(), "the CPUs were not started from the platform's MADT");
	for (unsigned int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].flags & ACPI_MADT_CPU_ENABLED)
			enabled++;
	if (enabled > SMP_MAX_CPUS)
		enabled = SMP_MAX_CPUS;
	ST_CHECK(smp_cpus() == enabled, "smp says %u CPUs, the MADT enables %u", smp_cpus(),
		 enabled);
	ST_CHECK(smp_online() == smp_cpus(), "%u of %u CPUs online", smp_online(), smp_cpus());
	for (unsigned int cpu = 0; cpu < smp_cpus(); cpu++) {
		ST_CHECK(smp_percpu[cpu].online, "cpu %u not online", cpu);
		ST_CHECK(smp_percpu[cpu].cpu == cpu && smp_percpu[cpu].self == &smp_percpu[cpu],
			 "cpu %u's area is not its own", cpu);
	}
	ST_CHECK(smp_processor_id() == 0 && smp_this() == &smp_percpu[0],
		 "the self-tests run on cpu %u", smp_processor_id());
	printk("#   %u CPUs online (MADT: %u enabled)\n", smp_online(), enabled);
	return 0;
#else
	return ST_SKIPPED;
#endif
}

/* Where a cross-call ran: its logical number, its local APIC id (where there is one) and,
 * under Xen PV, which vCPU Xen thinks made a call, as it sees them. */
struct where {
	bool xen_pv;			/* in: the kernel runs under Xen PV */
	unsigned int cpu;
	uint32_t apic_id;
	bool has_apic;
	int xen_own, xen_other;		/* VCPUOP_stop_singleshot_timer on itself, on vCPU 0 */
	bool irqs_off;
};

static void where_am_i(void *arg)
{
	struct where *w = arg;

	w->cpu = smp_processor_id();
#ifdef CONFIG_NATIVE
	w->has_apic = lapic_ready();
	if (w->has_apic)
		w->apic_id = lapic_id();
#endif
#ifdef CONFIG_XEN_PV
	/* Xen refuses this for any vCPU but the caller (-EINVAL): an independent check that
	 * the call runs on vCPU n. Not on CPU 0, whose one-shot timer is the kernel's. */
	if (w->cpu && w->xen_pv) {
		w->xen_own = HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer,
						smp_this()->apic_id, NULL);
		w->xen_other = HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
	}
#endif
	w->irqs_off = !(pv_save_fl() & X86_RFLAGS_IF);
}

static int test_smp_call(const struct boot_info *bi)
{
	int skip = smp_skip_one_cpu();

	if (skip)
		return skip;
	for (unsigned int cpu = 0; cpu < smp_cpus(); cpu++) {
		struct where w = { .cpu = ~0u, .xen_pv = bi->env == BOOT_XEN_PV };
		int err = smp_call_on(cpu, where_am_i, &w);

		ST_CHECK(!err, "call on cpu %u: %d", cpu, err);
		ST_CHECK(w.cpu == cpu, "a call for cpu %u ran on cpu %u", cpu, w.cpu);
		if (w.has_apic)
			ST_CHECK(w.apic_id == smp_percpu[cpu].apic_id,
				 "cpu %u: apic id %u, expected %u", cpu, w.apic_id,
				 smp_percpu[cpu].apic_id);
		if (bi->env == BOOT_XEN_PV && cpu)
			ST_CHECK(w.xen_own == 0 && w.xen_other == -EINVAL,
				 "cpu %u: Xen says the call came from another vCPU (own %d, "
				 "vcpu 0 %d)", cpu, w.xen_own, w.xen_other);
		ST_CHECK(w.irqs_off, "cpu %u ran the call with interrupts on", cpu);
	}
	ST_CHECK(smp_call_on(smp_cpus(), where_am_i, NULL) == -EINVAL, "a CPU past the last");
	return 0;
}

static void pong(void *arg)
{
	__atomic_fetch_add((uint64_t *)arg, 1, __ATOMIC_RELAXED);
}

static int test_smp_pingpong(const struct boot_info *bi)
{
	int skip = smp_skip_one_cpu();

	if (skip)
		return skip;
	for (unsigned int cpu = 1; cpu < smp_cpus(); cpu++) {
		struct percpu *pc = &smp_percpu[cpu];
		uint64_t ipis = pc->ipis, calls = pc->calls, hits = 0, t0 = pv_clock_ns(), ns;

		for (unsigned int i = 0; i < PINGS_PER_CPU; i++) {
			int err = smp_call_on(cpu, pong, &hits);

			ST_CHECK(!err, "ping %u to cpu %u: %d", i, cpu, err);
		}
		ns = pv_clock_ns() - t0;
		ST_CHECK(hits == PINGS_PER_CPU, "cpu %u answered %lu of %u", cpu, hits,
			 PINGS_PER_CPU);
		ST_CHECK(pc->calls - calls == PINGS_PER_CPU, "cpu %u counted %lu calls", cpu,
			 pc->calls - calls);
		ST_CHECK(pc->ipis - ipis >= PINGS_PER_CPU, "cpu %u counted %lu IPIs", cpu,
			 pc->ipis - ipis);
		printk("#   cpu %u: %u round trips, %lu us each\n", cpu, PINGS_PER_CPU,
		       ns / PINGS_PER_CPU / 1000);
	}
	return 0;
}

/*
 * The torture: every CPU at once takes the lock, bumps a plain (non-atomic) counter with a
 * read, a pause and a write, so a lock that lets two in loses an increment; each CPU also
 * counts its own increments, and the shared counter must be exactly their sum. Bounded by
 * rounds and by time: with more vCPUs than host cores (TCG, Xen overcommit) a ticket lock
 * hands over only when the next waiter's vCPU runs, so the rounds may take minutes; the test
 * judges what was done in TORTURE_NS.
 */
#define TORTURE_NS	300000000ull
static spinlock_t torture_lock = SPINLOCK_INIT;
static volatile uint64_t torture_count;
static volatile unsigned int torture_go;
static uint64_t torture_deadline;
static uint64_t torture_mine[SMP_MAX_CPUS];	/* each CPU's own increments */

static void torture(void *arg)
{
	uint64_t *mine = &torture_mine[smp_processor_id()];

	while (!__atomic_load_n(&torture_go, __ATOMIC_ACQUIRE))
		cpu_relax();
	for (unsigned int i = 0; i < TORTURE_ROUNDS && pv_clock_ns() < torture_deadline; i++) {
		uint64_t v;

		spin_lock(&torture_lock);
		v = torture_count;
		cpu_relax();
		torture_count = v + 1;
		spin_unlock(&torture_lock);
		(*mine)++;
	}
}

static int test_smp_lock_torture(const struct boot_info *bi)
{
	uint32_t seq[SMP_MAX_CPUS];
	unsigned int n = smp_cpus(), started = 1;
	uint64_t sum = 0, sleeps = 0, kicks = 0;
	int skip = smp_skip_one_cpu(), err = 0;

	if (skip)
		return skip;
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		sleeps -= smp_percpu[cpu].lock_sleeps;
		kicks -= __atomic_load_n(&smp_percpu[cpu].lock_kicks, __ATOMIC_RELAXED);
	}
	torture_count = 0;
	torture_go = 0;
	for (unsigned int cpu = 0; cpu < n; cpu++)
		torture_mine[cpu] = 0;
	for (unsigned int cpu = 1; cpu < n; cpu++) {
		err = smp_call_start(cpu, torture, NULL, &seq[cpu]);
		ST_CHECK(!err, "start on cpu %u: %d", cpu, err);
		started++;
	}
	torture_deadline = pv_clock_ns() + TORTURE_NS;
	__atomic_store_n(&torture_go, 1, __ATOMIC_RELEASE);
	torture(NULL);
	for (unsigned int cpu = 1; cpu < n; cpu++) {
		err = smp_call_wait(cpu, seq[cpu]);
		ST_CHECK(!err, "cpu %u did not finish: %d", cpu, err);
	}
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		ST_CHECK(torture_mine[cpu], "cpu %u never got the lock", cpu);
		sum += torture_mine[cpu];
	}
	ST_CHECK(torture_count == sum, "counter %lu, the CPUs made %lu increments: the lock let "
		 "two CPUs in", torture_count, sum);
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		sleeps += smp_percpu[cpu].lock_sleeps;
		kicks += __atomic_load_n(&smp_percpu[cpu].lock_kicks, __ATOMIC_RELAXED);
	}
	printk("#   %u CPUs under one lock: %lu increments, none lost; waiters slept %lu times, "
	       "kicked %lu (pv lock op: %s)\n", started, sum, sleeps, kicks,
	       spin_pv ? spin_pv->name : "none");
	return 0;
}

/* The shootdown: another CPU reads a page (its TLB now holds the entry), we unmap the page,
 * then it reads again through an exception-table fixup: it must fault. */
struct probe {
	uintptr_t va;
	uint64_t val;
	bool faulted;
};

static void probe_read(void *arg)
{
	struct probe *p = arg;
	uint64_t val = 0, ok = 0;

	__asm__ __volatile__("1: movq (%2), %0\n"
			     "   movq $1, %1\n"
			     "2:\n"
			     EXTABLE_ENTRY(1b, 2b)
			     : "+r"(val), "+r"(ok) : "r"(p->va) : "memory");
	p->val = val;
	p->faulted = !ok;
}

static int test_smp_shootdown(const struct boot_info *bi)
{
	struct probe p = { 0 };
	uint64_t pa;
	void *va;
	int skip = smp_skip_one_cpu(), err;

	if (skip)
		return skip;
	ST_CHECK(!page_alloc(&pa), "no frame");
	*(volatile uint64_t *)phys_to_virt(pa) = 0x5eed5eed5eed5eedull;
	va = vmap_reserve(PAGE_SIZE);
	ST_CHECK(va, "no address space");
	err = vm_map((uintptr_t)va, pa, PAGE_SIZE, VM_READ);
	ST_CHECK(!err, "map: %d", err);
	p.va = (uintptr_t)va;
	trap_expect(X86_TRAP_PF);		/* only the second probe may fault */
	err = smp_call_on(1, probe_read, &p);
	ST_CHECK(!err && !p.faulted && p.val == 0x5eed5eed5eed5eedull,
		 "cpu 1 could not read the mapped page (err %d, faulted %d, %#lx)", err,
		 p.faulted, p.val);
	err = vm_unmap((uintptr_t)va, PAGE_SIZE);
	ST_CHECK(!err, "unmap: %d", err);
	p.val = 0;
	err = smp_call_on(1, probe_read, &p);
	ST_CHECK(!err, "second call: %d", err);
	ST_CHECK(trap_expect_done(NULL) && p.faulted,
		 "cpu 1 still read the unmapped page (%#lx): its TLB was not shot down", p.val);
	vmap_free(va, PAGE_SIZE);
	page_free(pa);
	return 0;
}

#ifdef CONFIG_XEN_GUEST
/*
 * The pv lock op: CPU 1 asks for a lock CPU 0 holds; past SPIN_THRESHOLD rounds it must sleep
 * (its per-CPU record names the lock), and CPU 0's unlock must kick it: it has the lock and its
 * call ends well before the sleep's own bound (1 s) would have woken it.
 */
#define PVLOCK_WAKE_MAX_NS	500000000ull

static spinlock_t pvlock_lock = SPINLOCK_INIT;

static void pvlock_take(void *arg)
{
	spin_lock(&pvlock_lock);
	spin_unlock(&pvlock_lock);
}

static int test_smp_pvlock(const struct boot_info *bi)
{
	struct percpu *pc = &smp_percpu[1];
	uint64_t kicks, sleeps, deadline, t0;
	bool asleep;
	uint32_t seq;
	int skip = smp_skip_one_cpu(), err;
	char v[4];

	if (skip)
		return skip;
	if (!xen_spin_enabled()) {
		ST_CHECK(!cmdline_get(bi->cmdline, XEN_SPIN_CMDLINE, v, sizeof(v)) && !strcmp(v, "0"),
			 "the pv lock op is off, and " XEN_SPIN_CMDLINE "=0 was not given");
		printk("#   " XEN_SPIN_CMDLINE "=0: waiters spin, nothing to test\n");
		return ST_SKIPPED;
	}
	kicks = __atomic_load_n(&pc->lock_kicks, __ATOMIC_RELAXED);
	sleeps = pc->lock_sleeps;
	spin_lock(&pvlock_lock);
	err = smp_call_start(1, pvlock_take, NULL, &seq);
	if (err) {
		spin_unlock(&pvlock_lock);
		ST_CHECK(0, "start on cpu 1: %d", err);
	}
	/* Its record first, then its sleep count just before it polls: past that, the unlock's
	 * kick is what ends its sleep (a kick before the poll makes the poll return at once). */
	deadline = pv_clock_ns() + 2000000000ull;
	while (__atomic_load_n(&pc->lock_sleeps, __ATOMIC_ACQUIRE) == sleeps &&
	       pv_clock_ns() < deadline)
		cpu_relax();
	asleep = __atomic_load_n(&pc->lock_wait, __ATOMIC_ACQUIRE) == &pvlock_lock &&
		 __atomic_load_n(&pc->lock_sleeps, __ATOMIC_ACQUIRE) != sleeps;
	t0 = pv_clock_ns();
	spin_unlock(&pvlock_lock);
	err = smp_call_wait(1, seq);
	t0 = pv_clock_ns() - t0;
	ST_CHECK(asleep, "cpu 1 spun 2 s for a held lock and never went to sleep on it");
	ST_CHECK(!err, "cpu 1 did not get the lock: %d", err);
	ST_CHECK(__atomic_load_n(&pc->lock_kicks, __ATOMIC_RELAXED) == kicks + 1,
		 "the unlock kicked cpu 1 %lu times, not once",
		 __atomic_load_n(&pc->lock_kicks, __ATOMIC_RELAXED) - kicks);
	ST_CHECK(t0 < PVLOCK_WAKE_MAX_NS, "cpu 1 took the lock %lu ms after the unlock: the kick "
		 "did not wake it", t0 / 1000000);
	printk("#   cpu 1 slept on the lock, kicked by the unlock: lock taken and call done "
	       "%lu us after it\n", t0 / 1000);
	return 0;
}

/*
 * Every online vCPU's vcpu_info is registered in our memory (VCPUOP_register_vcpu_info), its
 * pointer there and not in shared_info; vCPU 0's is the one the upcall reads. That they work
 * (the event mask, CR2, the clock) the other tests prove: they all run on the registered ones.
 */
static int test_smp_vcpu_info(const struct boot_info *bi)
{
	uintptr_t si = (uintptr_t)xen_shared_info;

	for (unsigned int cpu = 0; cpu < smp_cpus(); cpu++) {
		uintptr_t v = (uintptr_t)smp_percpu[cpu].vcpu_info;

		if (!smp_percpu[cpu].online)
			continue;
		ST_CHECK(xen_vcpu_info_registered(cpu), "cpu %u: vcpu_info not registered", cpu);
		ST_CHECK(v && (v < si || v >= si + PAGE_SIZE) && (v & 63) == 0 &&
			 (v & (PAGE_SIZE - 1)) + 64 <= PAGE_SIZE,
			 "cpu %u: vcpu_info at %#lx: not a 64-byte area of ours", cpu, v);
	}
	ST_CHECK(xen_vcpu0_info() == smp_percpu[0].vcpu_info,
		 "the upcall reads vCPU 0's vcpu_info at %p, CPU 0 uses %p", xen_vcpu0_info(),
		 smp_percpu[0].vcpu_info);
	/* PVH: the registration raised each AP's level-triggered callback once; the AP must
	 * have lowered it (else it takes the vector at every sti, and scans beside CPU 0). */
	for (unsigned int cpu = 1; bi->env == BOOT_XEN_PVH && cpu < smp_cpus(); cpu++) {
		const struct vcpu_info *v = smp_percpu[cpu].vcpu_info;

		if (!smp_percpu[cpu].online)
			continue;
		ST_CHECK(!READ_ONCE(v->evtchn_upcall_pending) &&
			 smp_percpu[cpu].stray_upcalls < 100,
			 "cpu %u: upcall still pending (%u), %lu upcalls taken", cpu,
			 READ_ONCE(v->evtchn_upcall_pending), smp_percpu[cpu].stray_upcalls);
		printk("#   cpu %u: %lu upcall(s) acknowledged, nothing pending\n", cpu,
		       smp_percpu[cpu].stray_upcalls);
	}
	printk("#   %u online vCPUs, each with its vcpu_info registered in its own cache line\n",
	       smp_online());
	return 0;
}

/* Under Xen the vCPUs are counted (VCPUOP_is_up); the toolstack lists them in xenstore too:
 * cpu/<n>/availability for each (xl creates them all, online or not). Every one is online. */
static int test_smp_xen_count(const struct boot_info *bi)
{
	char buf[512];
	unsigned int count = 0;
	int err = xs_directory(XS_TXN_NONE, "cpu", buf, sizeof(buf), &count);

	ST_CHECK(!err, "xenstore cpu/: %d", err);
	ST_CHECK(count == smp_cpus(), "VCPUOP_is_up found %u vCPUs, xenstore lists %u",
		 smp_cpus(), count);
	/* PVH: started through the emulated local APIC; PV: VCPUOP_initialise + VCPUOP_up. */
	ST_CHECK(smp_online() == smp_cpus(), "%u of %u vCPUs online", smp_online(), smp_cpus());
	for (unsigned int cpu = 0; cpu < smp_cpus(); cpu++)
		ST_CHECK(smp_percpu[cpu].online, "vcpu %u not online", cpu);
	printk("#   %u vCPUs (xenstore cpu/: %u), %u online\n", smp_cpus(), count, smp_online());
	return 0;
}
#endif

static const struct selftest smp_tests[] = {
	{ test_smp_online, "smp: every CPU the MADT enables is online, each with its own area",
	  ST_NATIVE | ST_XEN_PVH },
#ifdef CONFIG_XEN_GUEST
	{ test_smp_xen_count, "smp: the domain's vCPUs counted, as many as xenstore lists",
	  ST_XEN_PV | ST_XEN_PVH },
#endif
	{ test_smp_call, "smp: a cross-call runs on the CPU it names, interrupts off", ST_ALL },
	{ test_smp_pingpong, "smp: IPI ping-pong, every call counted on every CPU", ST_ALL },
	{ test_smp_lock_torture, "smp: lock torture from every CPU at once, exact total",
	  ST_ALL },
	{ test_smp_shootdown, "smp: a mapping removed here faults on the CPU that used it",
	  ST_ALL },
#ifdef CONFIG_XEN_GUEST
	{ test_smp_pvlock, "smp: pv lock op: a waiter sleeps, the unlock kicks it",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_smp_vcpu_info, "smp: every online vCPU's vcpu_info registered in our memory",
	  ST_XEN_PV | ST_XEN_PVH },
#endif
};
SELFTEST_TABLE(62, smp_tests);
