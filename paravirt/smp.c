// SPDX-License-Identifier: MIT
/*
 * The SMP core (include/pvkit/smp.h, docs/smp.md): per-CPU areas, the bring-up dispatch per
 * environment, cross-calls and the TLB shootdown. The environment backends start the CPUs
 * (paravirt/native_smp.c) and send the IPIs (smp_send_call_ipi()).
 */
#include <pvkit/bootinfo.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/native.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <pvkit/spinlock.h>
#include <pvkit/x86.h>

#define SMP_CALL_TIMEOUT_NS	1000000000ull	/* a CPU silent this long is lost */

struct percpu smp_percpu[SMP_MAX_CPUS];
static unsigned int smp_nr_cpus = 1;		/* described by the environment */
static volatile unsigned int smp_nr_online = 1;	/* CPU 0 counts from the start */
static smp_ipi_fn smp_ipi_send;			/* the environment's IPI */
static volatile uint64_t smp_tlb_gen;		/* bumped by every mapping change on CPU 0 */
static smp_park_fn smp_park;			/* the environment's hot-plug */
static smp_unpark_fn smp_unpark;
#define SMP_PARK_WAIT_NS	2000000000ull

void smp_set_park_ops(smp_park_fn park, smp_unpark_fn unpark)
{
	smp_park = park;
	smp_unpark = unpark;
}

/* A CR3 reload flushes every non-global entry; we map nothing global. */
static void smp_native_flush_local(void)
{
	native_write_cr3(native_read_cr3());
}

static void (*smp_flush_local)(void) = smp_native_flush_local;

void smp_set_ipi_sender(smp_ipi_fn fn)
{
	smp_ipi_send = fn;
}

void smp_set_local_flush(void (*fn)(void))
{
	smp_flush_local = fn ? fn : smp_native_flush_local;
}

uintptr_t smp_stack_alloc(unsigned int pages)
{
	uint64_t pas[SMP_STACK_MAX_PAGES];
	size_t len = (size_t)(pages + 1) * PAGE_SIZE;
	char *va;
	unsigned int i;

	if (!pages || pages > ARRAY_SIZE(pas) || !(va = os_vmap_reserve(len)))
		return 0;
	for (i = 0; i < pages; i++)
		if (os_page_alloc(&pas[i]))
			goto free_pages;
	if (os_vm_map_pages((uintptr_t)va + PAGE_SIZE, pas, pages, OS_MAP_WRITE))
		goto free_pages;
	return (uintptr_t)va + len;

free_pages:
	while (i--)
		os_page_free(pas[i]);
	os_vmap_free(va, len);
	return 0;
}

/* Provided by the environment backends. */
int native_smp_init(const struct boot_info *bi, unsigned int *cpus);
int native_smp_init_pvh(const struct boot_info *bi, unsigned int *cpus);
int xen_smp_count(const struct boot_info *bi, unsigned int *cpus);
int xen_pv_smp_init(const struct boot_info *bi, unsigned int *cpus);

void smp_early_init(void)
{
	struct percpu *pc = &smp_percpu[0];

	pc->self = pc;
	pc->cpu = 0;
	pc->online = true;
	pv_set_gs_base((uintptr_t)pc);
}

unsigned int smp_cpus(void)
{
	return smp_nr_cpus;
}

unsigned int smp_online(void)
{
	return smp_nr_online;
}

int smp_init(const struct boot_info *bi)
{
	unsigned int cpus = 1;
	int err = -ENODEV;

	switch (bi->env) {
	case BOOT_NATIVE:
#ifdef CONFIG_NATIVE
		err = native_smp_init(bi, &cpus);
#endif
		break;
	case BOOT_XEN_PVH:
#if defined(CONFIG_XEN_GUEST) && defined(CONFIG_NATIVE)
		/* The emulated local APIC and Xen's MADT: started the native way. */
		err = native_smp_init_pvh(bi, &cpus);
		if (!err)
			break;
#endif
#ifdef CONFIG_XEN_GUEST
		/* No APIC or MADT: counted only, the vCPUs past 0 stay down. */
		err = xen_smp_count(bi, &cpus);
#endif
		break;
	case BOOT_XEN_PV:
#ifdef CONFIG_XEN_PV
		/* VCPUOP_initialise + VCPUOP_up; IPIs polled on event channels. */
		err = xen_pv_smp_init(bi, &cpus);
#endif
		break;
	}
	smp_nr_cpus = cpus;
	printk("pvkit: smp cpus=%u online=%u\n", smp_nr_cpus, smp_nr_online);
	return err;
}

/*
 * Parked (hot-plug): offline first, so nobody sends it anything, then the environment parks
 * it; back, it flushes its TLB (mappings changed while it was away and no shootdown waited
 * for it) and says it is online again.
 */
static void smp_ap_park(struct percpu *pc)
{
	smp_set_offline(pc);
	__atomic_store_n(&pc->park, false, __ATOMIC_SEQ_CST);
	__atomic_store_n(&pc->parked, true, __ATOMIC_SEQ_CST);
	smp_park(pc);
	__atomic_store_n(&pc->parked, false, __ATOMIC_SEQ_CST);
	smp_flush_local();
	pc->tlb_gen = __atomic_load_n(&smp_tlb_gen, __ATOMIC_SEQ_CST);
	smp_set_online(pc);
}

bool smp_ap_park_requested(struct percpu *pc)
{
	if (!__atomic_load_n(&pc->park, __ATOMIC_ACQUIRE) || !smp_park)
		return false;
	smp_ap_park(pc);
	return true;
}

/* The backends count a CPU in once it said so (on the AP itself, or by CPU 0 for one it
 * parked and let go on: xen-guest/smp_pv.c). */
void smp_set_online(struct percpu *pc)
{
	if (__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
		return;
	/* Counted before it says so: whoever waits for the flag then sees the count. */
	__atomic_fetch_add(&smp_nr_online, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&pc->online, true, __ATOMIC_RELEASE);
}

void smp_set_offline(struct percpu *pc)
{
	if (__atomic_exchange_n(&pc->online, false, __ATOMIC_SEQ_CST))
		__atomic_fetch_sub(&smp_nr_online, 1, __ATOMIC_SEQ_CST);
}

__noreturn void smp_ap_online(struct percpu *pc)
{
	smp_set_online(pc);
	for (;;) {
		pv_irq_disable();
		if (smp_ap_park_requested(pc))
			continue;
		pc->idle_halts++;
		pv_safe_halt();			/* enables interrupts; returns after one */
	}
}

static void smp_park_request(void *arg)
{
	__atomic_store_n(&((struct percpu *)arg)->park, true, __ATOMIC_RELEASE);
}

/* Wait (bounded) until @pc's online flag is @want. */
static int smp_wait_online(struct percpu *pc, bool want)
{
	uint64_t deadline = pv_clock_ns() + SMP_PARK_WAIT_NS;

	while (__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE) != want) {
		if (pv_clock_ns() > deadline)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return 0;
}

int smp_cpu_down(unsigned int cpu)
{
	struct percpu *pc;
	int err;

	if (cpu == 0 || cpu >= smp_nr_cpus)
		return -EINVAL;
	pc = &smp_percpu[cpu];
	if (!smp_park)
		return -EOPNOTSUPP;
	if (!pc->online)
		return -EALREADY;
	err = smp_call_on(cpu, smp_park_request, pc);	/* it parks when the call returned */
	if (!err)
		err = smp_wait_online(pc, false);
	printk("pvkit: smp cpu %u offline%s online=%u\n", cpu, err ? " failed" : "",
	       smp_nr_online);
	return err;
}

int smp_cpu_up(unsigned int cpu)
{
	struct percpu *pc;
	int err;

	if (cpu == 0 || cpu >= smp_nr_cpus)
		return -EINVAL;
	pc = &smp_percpu[cpu];
	if (!smp_unpark)
		return -EOPNOTSUPP;
	if (pc->online)
		return -EALREADY;
	if (!__atomic_load_n(&pc->parked, __ATOMIC_ACQUIRE))
		return -EINVAL;			/* never started, or lost: not ours to wake */
	err = smp_unpark(pc);
	if (!err)
		err = smp_wait_online(pc, true);
	printk("pvkit: smp cpu %u online%s online=%u\n", cpu, err ? " failed" : "",
	       smp_nr_online);
	return err;
}

void smp_call_interrupt(void)
{
	struct percpu *pc = smp_this();
	uint32_t seq = __atomic_load_n(&pc->call_seq, __ATOMIC_ACQUIRE);
	smp_call_fn fn = pc->call_fn;
	uint64_t gen;

	pc->ipis++;
	if (seq == pc->call_done)
		return;				/* nothing new: a stray or a repeated IPI */
	/* Say we run before looking at the TLB generation; the shootdown bumps it before it
	 * looks at in_call: one of the two sees the other (both full barriers). */
	__atomic_store_n(&pc->in_call, true, __ATOMIC_SEQ_CST);
	gen = __atomic_load_n(&smp_tlb_gen, __ATOMIC_SEQ_CST);
	if (pc->tlb_gen != gen) {
		smp_flush_local();		/* mappings changed while we idled */
		pc->tlb_gen = gen;
	}
	if (fn) {
		fn(pc->call_arg);
		pc->calls++;
	}
	__atomic_store_n(&pc->in_call, false, __ATOMIC_RELEASE);
	__atomic_store_n(&pc->call_done, seq, __ATOMIC_RELEASE);
}

/* Wait until @pc's mailbox has answered @seq; false after SMP_CALL_TIMEOUT_NS. */
static bool smp_call_answered(struct percpu *pc, uint32_t seq)
{
	uint64_t deadline = pv_clock_ns() + SMP_CALL_TIMEOUT_NS;

	while (__atomic_load_n(&pc->call_done, __ATOMIC_ACQUIRE) != seq) {
		if (pv_clock_ns() > deadline)
			return false;
		cpu_relax();
	}
	return true;
}

/* A CPU that did not answer within the timeout is never sent anything again. */
static int smp_call_lost(struct percpu *pc)
{
	if (__atomic_exchange_n(&pc->online, false, __ATOMIC_SEQ_CST)) {
		__atomic_fetch_sub(&smp_nr_online, 1, __ATOMIC_SEQ_CST);
		printk("pvkit: smp: cpu %u did not answer a call within 1 s: taken offline\n",
		       pc->cpu);
	}
	return -ETIMEDOUT;
}

int smp_call_start(unsigned int cpu, smp_call_fn fn, void *arg, uint32_t *seq)
{
	struct percpu *pc;
	int err = 0;

	if (cpu >= smp_nr_cpus || !fn)
		return -EINVAL;
	pc = &smp_percpu[cpu];
	if (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE))
		return -ENODEV;
	if (pc == smp_this() || !smp_ipi_send)
		return -EINVAL;			/* not on ourselves: smp_call_on() does that */
	spin_lock(&pc->call_lock);
	/* The mailbox holds one call: the previous one must have run. */
	if (!smp_call_answered(pc, pc->call_seq)) {
		err = smp_call_lost(pc);
	} else {
		pc->call_fn = fn;
		pc->call_arg = arg;
		*seq = pc->call_seq + 1;
		__atomic_store_n(&pc->call_seq, *seq, __ATOMIC_RELEASE);
		smp_ipi_send(pc);
	}
	spin_unlock(&pc->call_lock);
	return err;
}

int smp_call_wait(unsigned int cpu, uint32_t seq)
{
	struct percpu *pc;

	if (cpu >= smp_nr_cpus)
		return -EINVAL;
	pc = &smp_percpu[cpu];
	return smp_call_answered(pc, seq) ? 0 : smp_call_lost(pc);
}

int smp_call_on(unsigned int cpu, smp_call_fn fn, void *arg)
{
	unsigned long fl;
	uint32_t seq;
	int err;

	if (cpu < smp_nr_cpus && fn && &smp_percpu[cpu] == smp_this()) {
		fl = pv_irq_save();
		fn(arg);
		pv_irq_restore(fl);
		return 0;
	}
	err = smp_call_start(cpu, fn, arg, &seq);
	return err ? err : smp_call_wait(cpu, seq);
}

void smp_flush_tlb_others(uintptr_t va)
{
	unsigned int self = smp_processor_id();

	__atomic_fetch_add(&smp_tlb_gen, 1, __ATOMIC_SEQ_CST);
	for (unsigned int cpu = 0; cpu < smp_nr_cpus; cpu++) {
		struct percpu *pc = &smp_percpu[cpu];
		uint64_t deadline;

		if (cpu == self || !pc->online || !__atomic_load_n(&pc->in_call, __ATOMIC_SEQ_CST))
			continue;		/* idle: it flushes before its next call */
		/* In a call, with interrupts off: it cannot take an IPI; wait until it ended
		 * (calls are short by rule). It flushes before its next one. */
		deadline = pv_clock_ns() + SMP_CALL_TIMEOUT_NS;
		while (__atomic_load_n(&pc->in_call, __ATOMIC_ACQUIRE)) {
			if (pv_clock_ns() > deadline) {
				printk("pvkit: smp: cpu %u stayed in a call through a TLB "
				       "shootdown (1 s)\n", cpu);
				break;
			}
			cpu_relax();
		}
	}
}
