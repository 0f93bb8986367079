// SPDX-License-Identifier: MIT
/*
 * Exception dispatch shared by the native IDT and the Xen PV trap table: exception-table
 * fixups, armed expectations for self-tests, and a clear report (vector, error code, RIP, CR2,
 * registers) followed by panic for everything else.
 */
#include <pvkit/irq.h>
#include <pvkit/native.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/traps.h>
#include <pvkit/x86.h>

extern const struct extable_entry __ex_table_start[], __ex_table_end[];

static uint64_t trap_counts[256];	/* per vector, since boot */

/* An expectation armed by trap_expect(); one at a time (boot CPU, interrupts off). */
static struct {
	bool armed;			/* waiting for `vector` */
	bool hit;			/* it happened; rec is valid */
	uint32_t vector;
	struct trap_record rec;
} trap_expected;


static const char *const trap_names[X86_NR_EXCEPTIONS] = {
	[X86_TRAP_DE] = "#DE divide error",	[X86_TRAP_DB] = "#DB debug",
	[X86_TRAP_NMI] = "NMI",			[X86_TRAP_BP] = "#BP breakpoint",
	[X86_TRAP_OF] = "#OF overflow",		[X86_TRAP_BR] = "#BR bound range",
	[X86_TRAP_UD] = "#UD invalid opcode",	[X86_TRAP_NM] = "#NM device not available",
	[X86_TRAP_DF] = "#DF double fault",	[X86_TRAP_TS] = "#TS invalid TSS",
	[X86_TRAP_NP] = "#NP segment not present", [X86_TRAP_SS] = "#SS stack fault",
	[X86_TRAP_GP] = "#GP general protection", [X86_TRAP_PF] = "#PF page fault",
	[X86_TRAP_MF] = "#MF x87 error",	[X86_TRAP_AC] = "#AC alignment check",
	[X86_TRAP_MC] = "#MC machine check",	[X86_TRAP_XM] = "#XM SIMD error",
	[X86_TRAP_VE] = "#VE virtualisation",	[X86_TRAP_CP] = "#CP control protection",
};

const char *trap_name(uint32_t vector)
{
	if (vector >= X86_NR_EXCEPTIONS)
		return "interrupt";
	return trap_names[vector] ? trap_names[vector] : "reserved exception";
}

uint64_t trap_count(uint32_t vector)
{
	return vector < 256 ? trap_counts[vector] : 0;
}

uint64_t extable_fixup(uint64_t rip)
{
	for (const struct extable_entry *e = __ex_table_start; e < __ex_table_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

void trap_expect(uint32_t vector)
{
	trap_expected.hit = false;
	trap_expected.vector = vector;
	barrier();
	trap_expected.armed = true;
	barrier();
}

bool trap_expect_done(struct trap_record *rec)
{
	barrier();
	trap_expected.armed = false;
	if (trap_expected.hit && rec)
		*rec = trap_expected.rec;
	return trap_expected.hit;
}

static void trap_report(const struct trap_frame *f, uint64_t cr2)
{
	printk("pvkit: exception %s: vector=%lu error=%#lx rip=%#lx cr2=%#lx\n",
	       trap_name(f->vector), f->vector, f->error, f->rip, cr2);
	if (f->vector == X86_TRAP_PF)
		printk("pvkit:   page fault at %#lx: %s, %s, %s%s%s\n", cr2,
		       f->error & PF_PRESENT ? "protection violation" : "page not present",
		       f->error & PF_WRITE ? "write" : "read",
		       f->error & PF_USER ? "user mode" : "kernel mode",
		       f->error & PF_INSTR ? ", instruction fetch" : "",
		       f->error & PF_RSVD ? ", reserved bit set" : "");
	printk("pvkit:   rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n",
	       f->rax, f->rbx, f->rcx, f->rdx);
	printk("pvkit:   rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx\n",
	       f->rsi, f->rdi, f->rbp, f->rsp);
	printk("pvkit:   r8=%016lx r9=%016lx r10=%016lx r11=%016lx\n", f->r8, f->r9, f->r10, f->r11);
	printk("pvkit:   r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n",
	       f->r12, f->r13, f->r14, f->r15);
	printk("pvkit:   cs=%#lx ss=%#lx rflags=%#lx\n", f->cs, f->ss, f->rflags);
}

void trap_handle(struct trap_frame *f)
{
	uint32_t vector = f->vector & 0xff;
	uint64_t cr2, fixup;

	if (vector >= IRQ_VECTOR_FIRST) {
		/* Taken in front of safe_halt's hlt (the sti shadow was lost): this interrupt
		 * is the wakeup the halt waits for, so do not go back to sleep on it. */
		if (f->rip == (uint64_t)(uintptr_t)native_safe_halt_hlt)
			f->rip = (uint64_t)(uintptr_t)native_safe_halt_done;
		irq_dispatch(vector);
		return;
	}
	cr2 = vector == X86_TRAP_PF ? pv_read_cr2() : 0;	/* traps are set up after pv_init */
	trap_counts[vector]++;
	if (trap_expected.armed && trap_expected.vector == vector) {
		fixup = vector == X86_TRAP_BP ? f->rip : extable_fixup(f->rip);
		if (fixup) {
			trap_expected.rec.vector = vector;
			trap_expected.rec.error = f->error;
			trap_expected.rec.rip = f->rip;
			trap_expected.rec.cr2 = cr2;
			trap_expected.hit = true;
			trap_expected.armed = false;
			f->rip = fixup;
			return;
		}
	}
	trap_report(f, cr2);
	if (trap_expected.armed)
		printk("pvkit:   (a test expected %s, and no fixup covers this RIP)\n",
		       trap_name(trap_expected.vector));
	panic("unhandled %s at rip %#lx", trap_name(vector), f->rip);
}
