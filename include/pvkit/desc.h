/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Descriptor tables: the GDT (flat kernel segments + TSS) and the IDT of all 256 entry stubs,
 * built in memory by arch/x86/desc.c and loaded through pv_ops (Xen PV turns the IDT into a
 * trap table and needs no GDT or TSS of ours).
 */
#ifndef PVKIT_DESC_H
#define PVKIT_DESC_H

#include <pvkit/compiler.h>
#include <pvkit/types.h>

/** The operand of lgdt and lidt. */
struct desc_ptr {
	uint16_t limit;			/**< size - 1 */
	uint64_t base;			/**< linear address of the table */
} __packed;

/** A 64-bit IDT entry (interrupt or trap gate). */
struct idt_gate {
	uint16_t offset_low;		/**< handler bits 0-15 */
	uint16_t selector;		/**< code segment */
	uint8_t ist;			/**< 0, or the IST slot (1-7) to switch to */
	uint8_t type_attr;		/**< present, DPL, gate type */
	uint16_t offset_mid;		/**< handler bits 16-31 */
	uint32_t offset_high;		/**< handler bits 32-63 */
	uint32_t reserved;		/**< zero */
} __packed;

#define IDT_GATE_PRESENT	0x80	/**< idt_gate.type_attr: the gate is present */
/** The privilege level that may reach gate @p g by int n (3: int3 and into from any ring). */
#define IDT_GATE_DPL(g)		(((g)->type_attr >> 5) & 3)

/**
 * idt_gate_handler() - where gate @p g leads: Xen PV builds its trap table from the IDT.
 * @param g the gate.
 * @return the handler's address.
 */
static inline uint64_t idt_gate_handler(const struct idt_gate *g)
{
	return g->offset_low | ((uint64_t)g->offset_mid << 16) | ((uint64_t)g->offset_high << 32);
}

/**
 * x86_traps_init() - build GDT, TSS (with IST stacks for double fault, NMI and machine check,
 * which must not run on a possibly broken stack) and IDT, and load them with pv_load_gdt(),
 * pv_load_tr() and pv_load_idt(): the backend decides what loading means.
 */
void x86_traps_init(void);

/**
 * native_tss_set_sp0() - native: the kernel stack for ring transitions, in the TSS (the
 * .load_sp0 of native_cpu_ops).
 * @param sp0 the stack top.
 */
void native_tss_set_sp0(uint64_t sp0);

/**
 * x86_desc_init_ap() - an application processor's own GDT and TSS (its IST stacks and ring-0
 * stack), loaded on the calling CPU together with the shared IDT (docs/smp.md).
 * @param cpu     the calling CPU's logical number (1 .. SMP_MAX_CPUS - 1).
 * @param ist_top tops of its double-fault, NMI and machine-check stacks.
 * @param sp0     its kernel stack's top.
 * @return 0, or -EINVAL for a CPU number out of range.
 */
int x86_desc_init_ap(unsigned int cpu, const uintptr_t ist_top[3], uintptr_t sp0);

/** The 256 entry stubs of arch/x86/entry.S, by vector (for backends that remap them). */
extern const uint64_t trap_stub_table[256];

#endif /* PVKIT_DESC_H */
