/* SPDX-License-Identifier: MIT */
/* Descriptor tables: the GDT (flat kernel segments + TSS) and the IDT of all 256 entry stubs,
 * built in memory by arch/x86/desc.c and loaded through pv_ops (Xen PV turns the IDT into a
 * trap table and needs no GDT or TSS of ours). */
#ifndef PVKIT_DESC_H
#define PVKIT_DESC_H

#include <pvkit/compiler.h>
#include <pvkit/types.h>

struct desc_ptr {
	uint16_t limit;			/* size - 1 */
	uint64_t base;			/* linear address of the table */
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

#define IDT_GATE_PRESENT	0x80
#define IDT_GATE_DPL(g)		(((g)->type_attr >> 5) & 3)

static inline uint64_t idt_gate_handler(const struct idt_gate *g)
{
	return g->offset_low | ((uint64_t)g->offset_mid << 16) | ((uint64_t)g->offset_high << 32);
}

/** Build GDT, TSS and IDT and load them with pv_load_gdt/pv_load_tr/pv_load_idt. */
void x86_traps_init(void);

/** Native: the kernel stack for ring transitions, in the TSS (pv_cpu->load_sp0). */
void native_tss_set_sp0(uint64_t sp0);

/** The 256 entry stubs of arch/x86/entry.S, by vector (for backends that remap them). */
extern const uint64_t trap_stub_table[256];

#endif /* PVKIT_DESC_H */
