// SPDX-License-Identifier: MIT
/*
 * Native SMP bring-up (docs/smp.md "Native bring-up"): the processors of the ACPI MADT
 * (xAPIC and x2APIC entries), each started with INIT, 10 ms, then two start-up IPIs at the
 * trampoline (arch/x86/trampoline.S) copied below 1 MiB, one at a time: the boot CPU waits
 * until the AP says it is online (or gives up on it) before the next. Each AP gets a kernel
 * stack and three IST stacks in run-time mappings with an unmapped guard page below each,
 * its own GDT and TSS, its local APIC enabled, and then idles taking cross-calls.
 */
#include <pvkit/acpi.h>
#include <pvkit/bootinfo.h>
#include <pvkit/desc.h>
#include <pvkit/errno.h>
#include <pvkit/ioapic.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/native.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <pvkit/x86.h>
#include <string.h>

#define SMP_TRAMPOLINE_PA	0x8000		/* arch/x86/trampoline.S: the SIPI vector is 0x08 */
#define SMP_LOW_PML4_PA		0x9000		/* the AP's first page tables, after the code */
#define SMP_LOW_PDPT_PA		0xa000
#define SMP_LOW_PD_PA		0xb000
#define SMP_LOW_END		0xc000
#define SMP_ONLINE_WAIT_NS	2000000000ull	/* TCG with more vCPUs than host cores is slow */
#define SMP_IST_PAGES		(IST_STACK_SIZE / PAGE_SIZE)
BUILD_BUG_ON(SMP_IST_PAGES > SMP_STACK_MAX_PAGES);
#define EFER_LMA		(1u << 10)	/* long mode active: read-only, never written */

extern const char smp_trampoline_start[], smp_trampoline_end[], smp_trampoline_params[];
extern const char smp_ap_entry64[];

/* The trampoline's parameter block (same order and sizes as in trampoline.S). */
struct native_smp_params {
	uint32_t low_cr3;
	uint32_t efer;
	uint64_t cr4;
	uint64_t cr3;
	uint64_t stack;
	uint64_t percpu;
	uint64_t entry;
} __packed;

/* What an AP's own entry needs besides its struct percpu. */
struct native_smp_cpu {
	uintptr_t ist_top[3];		/* double fault, NMI, machine check */
};
static struct native_smp_cpu native_cpus[SMP_MAX_CPUS];

/* The cross-call IPI: a fixed interrupt to the target's local APIC id. */
static void native_smp_send_ipi(const struct percpu *pc)
{
	lapic_send_ipi(pc->apic_id, LAPIC_ICR_FIXED | LAPIC_ICR_ASSERT | IRQ_VECTOR_SMP_CALL);
}

static void smp_call_irq(void *ctx)
{
	smp_call_interrupt();
	lapic_eoi();
}

/* The AP's first C code (from smp_ap_entry64, on its own stack and the kernel's tables). */
__noreturn void native_smp_ap_start(struct percpu *pc);
__noreturn void native_smp_ap_start(struct percpu *pc)
{
	x86_desc_init_ap(pc->cpu, native_cpus[pc->cpu].ist_top, pc->stack_top);
	wrmsr(MSR_GS_BASE, (uintptr_t)pc);	/* after the GDT load, which reloads %gs */
	lapic_ap_init();
	smp_ap_online(pc);
}

/* Wait about @us microseconds on the TSC-based clock (interrupts may be on or off). */
static void smp_delay_us(uint64_t us)
{
	uint64_t end = pv_clock_ns() + us * 1000;

	while (pv_clock_ns() < end)
		cpu_relax();
}

/* The low pages the trampoline runs in must be RAM nobody else uses. */
static bool smp_low_pages_usable(const struct boot_info *bi)
{
	for (uint32_t i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == BOOT_MEM_RAM && bi->mem[i].base <= SMP_TRAMPOLINE_PA &&
		    bi->mem[i].base + bi->mem[i].len >= SMP_LOW_END)
			return true;
	return false;
}

/* Copy the trampoline and build its page tables: low 2 MiB identity, the kernel's top slot. */
static int smp_trampoline_setup(uint8_t **low)
{
	uint64_t *pml4, *pdpt, *pd;
	const uint64_t *kernel_pml4;
	uint8_t *page = os_memremap(SMP_TRAMPOLINE_PA, SMP_LOW_END - SMP_TRAMPOLINE_PA);
	size_t len = smp_trampoline_end - smp_trampoline_start;

	if (!page)
		return -ENOMEM;
	if (len > PAGE_SIZE) {
		os_iounmap(page, SMP_LOW_END - SMP_TRAMPOLINE_PA);
		return -E2BIG;
	}
	memcpy(page, smp_trampoline_start, len);
	pml4 = (uint64_t *)(page + (SMP_LOW_PML4_PA - SMP_TRAMPOLINE_PA));
	pdpt = (uint64_t *)(page + (SMP_LOW_PDPT_PA - SMP_TRAMPOLINE_PA));
	pd = (uint64_t *)(page + (SMP_LOW_PD_PA - SMP_TRAMPOLINE_PA));
	memset(pml4, 0, 3 * PAGE_SIZE);
	kernel_pml4 = os_phys_to_virt(pv_read_cr3());
	pml4[0] = SMP_LOW_PDPT_PA | PTE_P | PTE_W;
	pml4[511] = kernel_pml4[511];		/* the image, at -2 GiB */
	pdpt[0] = SMP_LOW_PD_PA | PTE_P | PTE_W;
	pd[0] = 0 | PTE_P | PTE_W | PTE_PS;	/* 0-2 MiB, the trampoline itself */
	*low = page;
	return 0;
}

/* Start one AP and wait until it says it is online. */
static int smp_start_cpu(uint8_t *low, struct percpu *pc)
{
	struct native_smp_params *p = (struct native_smp_params *)
		(low + (smp_trampoline_params - smp_trampoline_start));
	struct native_smp_cpu *nc = &native_cpus[pc->cpu];
	uint64_t deadline;
	int err;

	pc->stack_top = smp_stack_alloc(SMP_AP_STACK_PAGES);
	for (unsigned int i = 0; i < 3; i++)
		nc->ist_top[i] = smp_stack_alloc(SMP_IST_PAGES);
	if (!pc->stack_top || !nc->ist_top[0] || !nc->ist_top[1] || !nc->ist_top[2])
		return -ENOMEM;			/* what was mapped stays: the CPU is not used */
	p->low_cr3 = SMP_LOW_PML4_PA;
	p->efer = (uint32_t)rdmsr(MSR_EFER) & ~(uint32_t)EFER_LMA;
	p->cr4 = native_read_cr4();
	p->cr3 = pv_read_cr3();
	p->stack = pc->stack_top;
	p->percpu = (uintptr_t)pc;
	p->entry = (uintptr_t)smp_ap_entry64;
	mb();
	err = lapic_send_ipi(pc->apic_id, LAPIC_ICR_INIT | LAPIC_ICR_ASSERT);
	if (err)
		return err;
	smp_delay_us(10000);
	for (unsigned int i = 0; i < 2 && !__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE); i++) {
		err = lapic_send_ipi(pc->apic_id, LAPIC_ICR_STARTUP | LAPIC_ICR_ASSERT |
				     (SMP_TRAMPOLINE_PA >> 12));
		if (err)
			return err;
		smp_delay_us(200);
	}
	deadline = pv_clock_ns() + SMP_ONLINE_WAIT_NS;
	while (!__atomic_load_n(&pc->online, __ATOMIC_ACQUIRE)) {
		if (pv_clock_ns() > deadline)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return 0;
}

static const struct acpi_madt_info *smp_madt;	/* what the CPUs were started from */

const struct acpi_madt_info *smp_native_madt(void)
{
	return smp_madt;
}

/* Start every enabled processor of @m (the boot CPU's local APIC is up). */
static int native_smp_start(const struct boot_info *bi, const struct acpi_madt_info *m,
			    unsigned int *cpus)
{
	uint32_t self;
	unsigned int n = 1, skipped = 0;
	uint8_t *low;
	int err;

	*cpus = 1;
	if (!m || !lapic_ready())
		return -ENODEV;			/* no MADT: one CPU, the one we run on */
	self = lapic_id();
	smp_madt = m;
	smp_percpu[0].apic_id = self;
	for (unsigned int i = 0; i < m->nr_cpus; i++)
		if (m->cpus[i].apic_id == self)
			smp_percpu[0].vcpu_id = m->cpus[i].uid;
	for (unsigned int i = 0; i < m->nr_cpus; i++) {
		const struct acpi_cpu *c = &m->cpus[i];

		if (c->apic_id == self || !(c->flags & ACPI_MADT_CPU_ENABLED))
			continue;		/* online-capable ones: hot-plug, not at boot */
		if (n == SMP_MAX_CPUS) {
			skipped++;
			continue;
		}
		smp_percpu[n].self = &smp_percpu[n];
		smp_percpu[n].cpu = n;
		smp_percpu[n].apic_id = c->apic_id;
		smp_percpu[n].vcpu_id = c->uid;	/* Xen's MADT: the vCPU id */
		n++;
	}
	*cpus = n;
	if (skipped)
		printk("pvkit: smp: %u more CPUs than the %u supported: left offline\n", skipped,
		       SMP_MAX_CPUS);
	if (n == 1)
		return 0;
	if (!smp_low_pages_usable(bi)) {
		printk("pvkit: smp: %#x-%#x is not RAM: the other CPUs stay offline\n",
		       SMP_TRAMPOLINE_PA, SMP_LOW_END);
		return -ENOMEM;
	}
	smp_set_ipi_sender(native_smp_send_ipi);
	err = irq_set_handler(IRQ_VECTOR_SMP_CALL, smp_call_irq, NULL);
	if (!err)
		err = smp_trampoline_setup(&low);
	if (err)
		return err;
	for (unsigned int cpu = 1; cpu < n; cpu++) {
		err = smp_start_cpu(low, &smp_percpu[cpu]);
		if (err)
			printk("pvkit: smp: cpu %u (apic %u) did not come online: -%s\n", cpu,
			       smp_percpu[cpu].apic_id, strerror_name(-err));
	}
	os_iounmap(low, SMP_LOW_END - SMP_TRAMPOLINE_PA);
	return 0;
}

int native_smp_init(const struct boot_info *bi, unsigned int *cpus);
int native_smp_init(const struct boot_info *bi, unsigned int *cpus)
{
	return native_smp_start(bi, ioapic_wiring(), cpus);
}

/*
 * Xen PVH (docs/smp.md "PVH"): a PVH domain has an emulated local APIC and Xen's ACPI tables
 * (the MADT lists every vCPU), so its vCPUs start the native way: INIT-SIPI-SIPI into the
 * same trampoline, cross-call IPIs through the emulated APIC. Events keep arriving on vCPU 0
 * through the callback vector, which does not go through the APIC.
 */
static struct acpi_madt_info pvh_madt;

int native_smp_init_pvh(const struct boot_info *bi, unsigned int *cpus);
int native_smp_init_pvh(const struct boot_info *bi, unsigned int *cpus)
{
	int err;

	*cpus = 1;
	err = acpi_init(bi);
	if (!err)
		err = acpi_get_madt(&pvh_madt);
	if (!err)
		err = lapic_init(&pvh_madt);
	if (err) {
		printk("pvkit: smp: xen-pvh: no MADT or local APIC: -%s\n", strerror_name(-err));
		return err;
	}
	return native_smp_start(bi, &pvh_madt, cpus);
}
