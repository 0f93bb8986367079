// SPDX-License-Identifier: MIT
/*
 * Local APIC of the boot CPU (Intel SDM vol. 3A ch. 11): enable it, program its LVT entries,
 * report APIC errors through the error vector, acknowledge interrupts, drive its timer. Native
 * only; interrupts stay disabled until the kernel enables them.
 */
#include <pvkit/acpi.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/x86.h>

#define MSR_APIC_BASE		0x1b
#define APIC_BASE_EXTD		(1ull << 10)	/* x2APIC mode */
#define APIC_BASE_EN		(1ull << 11)	/* globally enabled */
#define APIC_BASE_ADDR		0x000ffffffffff000ull
#define MSR_X2APIC_FIRST	0x800		/* x2APIC register = 0x800 + xAPIC offset / 16 */
#define MSR_TSC_DEADLINE	0x6e0
#define CPUID1_EDX_APIC		(1u << 9)
#define CPUID1_ECX_TSC_DEADLINE	(1u << 24)
#define LAPIC_ERRORS_SHOWN	8		/* an error storm must not drown the console */

static struct {
	volatile uint32_t *regs;	/* xAPIC register page (NULL in x2APIC mode) */
	uint64_t pa;			/* physical base, from IA32_APIC_BASE */
	bool x2apic;			/* registers are MSRs */
	bool tsc_deadline;		/* CPUID offers the TSC-deadline timer mode */
	bool ready;			/* lapic_init() finished */
	uint64_t errors;		/* error interrupts taken */
} lapic;


uint32_t lapic_read(unsigned int reg)
{
	if (lapic.x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC_FIRST + (reg >> 4));
	return lapic.regs[reg / 4];
}

void lapic_write(unsigned int reg, uint32_t v)
{
	if (lapic.x2apic)
		wrmsr(MSR_X2APIC_FIRST + (reg >> 4), v);
	else
		lapic.regs[reg / 4] = v;
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

bool lapic_ready(void) { return lapic.ready; }
bool lapic_is_x2apic(void) { return lapic.x2apic; }
uint64_t lapic_base_pa(void) { return lapic.pa; }
uint64_t lapic_error_count(void) { return READ_ONCE(lapic.errors); }
bool lapic_has_tsc_deadline(void) { return lapic.tsc_deadline; }

uint32_t lapic_id(void)
{
	uint32_t id = lapic_read(LAPIC_ID);

	return lapic.x2apic ? id : id >> 24;
}

/* ESR bits (SDM table 11-6), lowest first. */
static const char *const lapic_esr_bits[8] = {
	"send checksum", "receive checksum", "send accept", "receive accept",
	"redirectable IPI", "send illegal vector", "received illegal vector",
	"illegal register address",
};

static void lapic_error_irq(void *ctx)
{
	uint32_t esr;

	lapic_write(LAPIC_ESR, 0);		/* latch the errors seen since the last write */
	esr = lapic_read(LAPIC_ESR);
	lapic.errors++;
	if (lapic.errors <= LAPIC_ERRORS_SHOWN) {
		printk("pvkit: lapic: error interrupt, ESR %#x:", esr);
		for (unsigned int i = 0; i < ARRAY_SIZE(lapic_esr_bits); i++)
			if (esr & (1u << i))
				printk(" %s;", lapic_esr_bits[i]);
		printk("%s%s\n", esr ? "" : " no error bits",
		       lapic.errors == LAPIC_ERRORS_SHOWN ? " (not reporting more)" : "");
	}
	lapic_eoi();
}

/* The LVT value for LINT pin @lint when NMI arrives on @nmi_lint: NMI, or masked. */
static uint32_t lapic_lint_value(unsigned int lint, unsigned int nmi_lint, unsigned int inti)
{
	if (lint != nmi_lint)
		return LAPIC_LVT_MASKED;	/* LINT0's ExtINT: the 8259s are masked for good */
	if ((inti & ACPI_INTI_POL_MASK) == ACPI_INTI_POL_LOW)
		return LAPIC_LVT_NMI | LAPIC_LVT_ACTIVE_LOW;
	return LAPIC_LVT_NMI;			/* NMI delivery is always edge-triggered */
}

int lapic_init(const struct acpi_madt_info *madt)
{
	uint32_t a, b, c, d, version, max_lvt;
	unsigned int nmi_lint = 1, nmi_inti = 0;	/* the PC convention without a MADT */
	uint64_t madt_pa = madt ? madt->lapic_pa : 0, msr;
	int err;

	cpuid(1, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_APIC)) {
		printk("pvkit: error: lapic: CPUID says this CPU has no local APIC\n");
		return -ENODEV;
	}
	lapic.tsc_deadline = c & CPUID1_ECX_TSC_DEADLINE;
	msr = rdmsr(MSR_APIC_BASE);
	lapic.pa = msr & APIC_BASE_ADDR;
	if (madt_pa && madt_pa != lapic.pa)
		printk("pvkit: warning: lapic: MADT says %#lx, IA32_APIC_BASE says %#lx; "
		       "using the MSR\n", madt_pa, lapic.pa);
	lapic.x2apic = (msr & (APIC_BASE_EXTD | APIC_BASE_EN)) == (APIC_BASE_EXTD | APIC_BASE_EN);
	if (!lapic.x2apic) {
		lapic.regs = os_ioremap(lapic.pa, PAGE_SIZE);
		if (!lapic.regs) {
			printk("pvkit: error: lapic: cannot map %#lx\n", lapic.pa);
			return -ENOMEM;
		}
		if (!(msr & APIC_BASE_EN))
			wrmsr(MSR_APIC_BASE, msr | APIC_BASE_EN);
	}
	err = irq_set_handler(IRQ_VECTOR_LAPIC_ERROR, lapic_error_irq, NULL);
	if (err && err != -EBUSY)
		return err;

	/* Software-enable first: while disabled, LVT mask bits cannot be cleared. */
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | IRQ_VECTOR_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);			/* accept every priority */
	version = lapic_read(LAPIC_VERSION);
	max_lvt = (version >> 16) & 0xff;
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, 0);
	if (max_lvt >= 4)
		lapic_write(LAPIC_LVT_PERF, LAPIC_LVT_MASKED);
	if (max_lvt >= 5)
		lapic_write(LAPIC_LVT_THERMAL, LAPIC_LVT_MASKED);
	if (madt && acpi_lapic_nmi(madt, lapic_id(), &nmi_lint, &nmi_inti))
		nmi_lint = 1;			/* the MADT names none: keep the convention */
	lapic_write(LAPIC_LVT_LINT0, lapic_lint_value(0, nmi_lint, nmi_inti));
	lapic_write(LAPIC_LVT_LINT1, lapic_lint_value(1, nmi_lint, nmi_inti));
	lapic_write(LAPIC_ESR, 0);			/* back-to-back: clears stale errors */
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_LVT_ERROR, IRQ_VECTOR_LAPIC_ERROR);
	lapic_eoi();					/* anything the firmware left in service */
	lapic.ready = true;
	printk("pvkit: lapic: id %u version %#x at %#lx, %s mode, NMI on LINT%u%s\n", lapic_id(),
	       version & 0xff, lapic.pa, lapic.x2apic ? "x2APIC" : "xAPIC", nmi_lint,
	       lapic.tsc_deadline ? ", TSC-deadline timer" : "");
	return 0;
}

int lapic_ap_init(void)
{
	uint64_t msr = rdmsr(MSR_APIC_BASE);

	if (!lapic.ready)
		return -ENODEV;
	/* The same mode as the boot CPU: x2APIC is per CPU, enabled by each one itself. */
	if (lapic.x2apic && (msr & (APIC_BASE_EXTD | APIC_BASE_EN)) !=
			    (APIC_BASE_EXTD | APIC_BASE_EN))
		wrmsr(MSR_APIC_BASE, msr | APIC_BASE_EN | APIC_BASE_EXTD);
	else if (!(msr & APIC_BASE_EN))
		wrmsr(MSR_APIC_BASE, msr | APIC_BASE_EN);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | IRQ_VECTOR_SPURIOUS);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);	/* time stays on the boot CPU */
	lapic_write(LAPIC_TIMER_INIT, 0);
	lapic_write(LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);	/* ExtINT and NMI: the boot CPU's */
	lapic_write(LAPIC_LVT_LINT1, LAPIC_LVT_MASKED);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_ESR, 0);
	lapic_write(LAPIC_LVT_ERROR, IRQ_VECTOR_LAPIC_ERROR);
	lapic_eoi();
	return 0;
}

int lapic_send_ipi(uint32_t apic_id, uint32_t icr)
{
	if (!lapic.ready)
		return -ENODEV;
	if (lapic.x2apic) {
		wrmsr(MSR_X2APIC_FIRST + (LAPIC_ICR_LOW >> 4), (uint64_t)apic_id << 32 | icr);
		return 0;
	}
	if (apic_id > 0xff)
		return -EINVAL;			/* xAPIC names 8-bit destinations only */
	lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
	lapic_write(LAPIC_ICR_LOW, icr);
	/* Bounded: a stuck delivery must not hang the sender for ever. */
	for (unsigned int i = 0; i < 1000000 && (lapic_read(LAPIC_ICR_LOW) & LAPIC_ICR_PENDING); i++)
		cpu_relax();
	return lapic_read(LAPIC_ICR_LOW) & LAPIC_ICR_PENDING ? -ETIMEDOUT : 0;
}

void lapic_timer_setup(unsigned int vector, bool tsc_deadline, bool masked)
{
	lapic_write(LAPIC_TIMER_INIT, 0);		/* stopped while we change it */
	lapic_write(LAPIC_TIMER_DIV, LAPIC_TIMER_DIV_16);
	lapic_write(LAPIC_LVT_TIMER, (vector & 0xff) |
		    (tsc_deadline ? LAPIC_TIMER_TSC_DEADLINE : LAPIC_TIMER_ONESHOT) |
		    (masked ? LAPIC_LVT_MASKED : 0));
	if (tsc_deadline) {
		/* The MSR write must not pass the LVT mode switch (SDM 11.5.4.1). */
		mb();
		wrmsr(MSR_TSC_DEADLINE, 0);
	}
}

void lapic_timer_start(uint32_t count)
{
	lapic_write(LAPIC_TIMER_INIT, count);
}

void lapic_timer_deadline(uint64_t tsc)
{
	wrmsr(MSR_TSC_DEADLINE, tsc);
}

uint32_t lapic_timer_current(void)
{
	return lapic_read(LAPIC_TIMER_CUR);
}

uint64_t lapic_timer_deadline_read(void)
{
	return rdmsr(MSR_TSC_DEADLINE);
}
