// SPDX-License-Identifier: MIT
/*
 * Descriptor tables: a GDT with flat 64-bit kernel segments and a TSS (whose IST stacks catch
 * #DF, NMI and #MC on a known-good stack), and an IDT of interrupt gates pointing at the stubs
 * in entry.S. Built here, loaded through pv_ops: natively lgdt/ltr/lidt; under Xen PV the IDT
 * becomes a trap table (xen-guest/cpu_pv.c) and the GDT/TSS are not used.
 */
#include <pvkit/compiler.h>
#include <pvkit/desc.h>
#include <pvkit/errno.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include <pvkit/x86.h>
#include <string.h>

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];		/* stack for a ring change to 0, 1, 2 */
	uint64_t reserved1;
	uint64_t ist[7];		/* interrupt stack table, IST1 = ist[0] */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;		/* beyond the limit: no I/O bitmap */
} __packed;

#define GATE_INTERRUPT	0x8e		/* present, DPL 0, 64-bit interrupt gate */
#define GATE_INTERRUPT_USER 0xee	/* the same, reachable by int n from any ring */
#define IST_DF		1
#define IST_NMI		2
#define IST_MC		3

extern char boot_stack_top[];

static uint64_t gdt[GDT_ENTRIES] __aligned(16);
static struct tss64 tss __aligned(16);
static struct idt_gate idt[256] __aligned(16);
static uint8_t ist_stacks[3][IST_STACK_SIZE] __aligned(16);

static void set_gate(unsigned int vec, uint64_t handler, uint8_t ist)
{
	struct idt_gate *g = &idt[vec];

	g->offset_low = handler & 0xffff;
	g->selector = GDT_KERNEL_CS;
	g->ist = ist;
	g->type_attr = GATE_INTERRUPT;
	g->offset_mid = (handler >> 16) & 0xffff;
	g->offset_high = handler >> 32;
	g->reserved = 0;
}

static void gdt_set_tss_in(uint64_t *g, const struct tss64 *t)
{
	uint64_t base = (uintptr_t)t, limit = sizeof(*t) - 1;

	/* A 16-byte system descriptor: type 9 (available 64-bit TSS), present. */
	g[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			 (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	g[GDT_TSS / 8 + 1] = base >> 32;
}

static void gdt_set_tss(void)
{
	gdt_set_tss_in(gdt, &tss);
}

/*
 * The other CPUs' GDTs and TSSs (issue 15): each CPU needs its own TSS (its own IST stacks,
 * and ltr marks the descriptor busy, so two CPUs cannot load one), hence its own GDT. The IDT
 * is shared: every CPU takes the same entry stubs.
 */
static uint64_t ap_gdt[SMP_MAX_CPUS][GDT_ENTRIES] __aligned(16);
static struct tss64 ap_tss[SMP_MAX_CPUS] __aligned(16);

int x86_desc_init_ap(unsigned int cpu, const uintptr_t ist_top[3], uintptr_t sp0)
{
	struct desc_ptr gdtr, idtr = { sizeof(idt) - 1, (uintptr_t)idt };
	struct tss64 *t;

	if (cpu == 0 || cpu >= SMP_MAX_CPUS)
		return -EINVAL;
	t = &ap_tss[cpu];
	memcpy(ap_gdt[cpu], gdt, sizeof(gdt));
	memset(t, 0, sizeof(*t));
	t->ist[IST_DF - 1] = ist_top[0];
	t->ist[IST_NMI - 1] = ist_top[1];
	t->ist[IST_MC - 1] = ist_top[2];
	t->rsp[0] = sp0;
	t->iomap_base = sizeof(*t);
	gdt_set_tss_in(ap_gdt[cpu], t);
	gdtr.limit = sizeof(ap_gdt[cpu]) - 1;
	gdtr.base = (uintptr_t)ap_gdt[cpu];
	pv_load_gdt(&gdtr);
	pv_load_tr(GDT_TSS);
	pv_load_idt(&idtr);
	return 0;
}

void native_tss_set_sp0(uint64_t sp0)
{
	tss.rsp[0] = sp0;
}

void x86_traps_init(void)
{
	struct desc_ptr gdtr = { sizeof(gdt) - 1, (uintptr_t)gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	gdt[0] = 0;
	gdt[GDT_KERNEL_CS / 8] = 0x00af9a000000ffffull;	/* 64-bit code, DPL 0 */
	gdt[GDT_KERNEL_DS / 8] = 0x00cf92000000ffffull;	/* data */
	memset(&tss, 0, sizeof(tss));
	tss.ist[IST_DF - 1] = (uintptr_t)ist_stacks[0] + IST_STACK_SIZE;
	tss.ist[IST_NMI - 1] = (uintptr_t)ist_stacks[1] + IST_STACK_SIZE;
	tss.ist[IST_MC - 1] = (uintptr_t)ist_stacks[2] + IST_STACK_SIZE;
	tss.iomap_base = sizeof(tss);
	gdt_set_tss();

	for (unsigned int v = 0; v < 256; v++)
		set_gate(v, trap_stub_table[v], 0);
	idt[X86_TRAP_DF].ist = IST_DF;
	idt[X86_TRAP_NMI].ist = IST_NMI;
	idt[X86_TRAP_MC].ist = IST_MC;
	idt[X86_TRAP_BP].type_attr = GATE_INTERRUPT_USER;	/* int3 from any ring */
	idt[X86_TRAP_OF].type_attr = GATE_INTERRUPT_USER;	/* into */

	pv_load_gdt(&gdtr);
	pv_load_tr(GDT_TSS);
	pv_load_sp0((uintptr_t)boot_stack_top);
	pv_load_idt(&idtr);
}
