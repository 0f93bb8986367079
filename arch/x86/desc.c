// SPDX-License-Identifier: MIT
/*
 * Native descriptor tables: a GDT with flat 64-bit kernel segments and a TSS (whose IST stacks
 * catch #DF, NMI and #MC on a known-good stack), and an IDT of interrupt gates pointing at the
 * stubs in entry.S. Xen PV uses HYPERVISOR_set_trap_table instead (xen-guest/).
 */
#include <pvkit/compiler.h>
#include <pvkit/desc.h>
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

struct idt_gate {
	uint16_t offset_low;		/* handler bits 0-15 */
	uint16_t selector;		/* code segment */
	uint8_t ist;			/* 0, or the IST slot (1-7) to switch to */
	uint8_t type_attr;		/* present, DPL, gate type */
	uint16_t offset_mid;		/* handler bits 16-31 */
	uint32_t offset_high;		/* handler bits 32-63 */
	uint32_t reserved;
} __packed;

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

#define GATE_INTERRUPT	0x8e		/* present, DPL 0, 64-bit interrupt gate */
#define IST_DF		1
#define IST_NMI		2
#define IST_MC		3

extern const uint64_t trap_stub_table[256];
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

static void gdt_set_tss(void)
{
	uint64_t base = (uintptr_t)&tss, limit = sizeof(tss) - 1;

	/* A 16-byte system descriptor: type 9 (available 64-bit TSS), present. */
	gdt[GDT_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
			   (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[GDT_TSS / 8 + 1] = base >> 32;
}

void native_load_descriptors(void)
{
	struct desc_ptr gdtr = { sizeof(gdt) - 1, (uintptr_t)gdt };
	struct desc_ptr idtr = { sizeof(idt) - 1, (uintptr_t)idt };

	gdt[0] = 0;
	gdt[GDT_KERNEL_CS / 8] = 0x00af9a000000ffffull;	/* 64-bit code, DPL 0 */
	gdt[GDT_KERNEL_DS / 8] = 0x00cf92000000ffffull;	/* data */
	memset(&tss, 0, sizeof(tss));
	tss.rsp[0] = (uintptr_t)boot_stack_top;
	tss.ist[IST_DF - 1] = (uintptr_t)ist_stacks[0] + IST_STACK_SIZE;
	tss.ist[IST_NMI - 1] = (uintptr_t)ist_stacks[1] + IST_STACK_SIZE;
	tss.ist[IST_MC - 1] = (uintptr_t)ist_stacks[2] + IST_STACK_SIZE;
	tss.iomap_base = sizeof(tss);
	gdt_set_tss();

	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"			/* reload CS with a far return */
		"leaq 1f(%%rip), %%rax\n\t"
		"pushq %%rax\n\t"
		"lretq\n"
		"1:\n\t"
		"movl %2, %%eax\n\t"
		"movl %%eax, %%ds\n\t"
		"movl %%eax, %%es\n\t"
		"movl %%eax, %%ss\n\t"
		"xorl %%eax, %%eax\n\t"
		"movl %%eax, %%fs\n\t"
		"movl %%eax, %%gs\n\t"
		"ltr %w3"
		: : "m"(gdtr), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS), "r"(GDT_TSS)
		: "rax", "memory");

	for (unsigned int v = 0; v < 256; v++)
		set_gate(v, trap_stub_table[v], 0);
	idt[X86_TRAP_DF].ist = IST_DF;
	idt[X86_TRAP_NMI].ist = IST_NMI;
	idt[X86_TRAP_MC].ist = IST_MC;
	__asm__ __volatile__("lidt %0" : : "m"(idtr) : "memory");
}
