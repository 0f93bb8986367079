// SPDX-License-Identifier: MIT
/*
 * The Xen PV CPU backend. An x86-64 PV kernel runs in ring 3: lidt, lgdt, ltr, mov to CR
 * registers and hlt fault there, so each becomes a hypercall (or nothing, where Xen owns the
 * thing: the GDT segments and the TSS). The IDT the kernel builds is turned into a trap table
 * whose entries point at the PV entry stubs (entry_pv.S) of the same vectors.
 */
#include <pvkit/compiler.h>
#include <pvkit/desc.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>

/* Exceptions with a PV entry stub; the others are not delivered to PV guests. */
#define XEN_PV_STUB(v) extern char xen_pv_trap_##v[]
XEN_PV_STUB(0); XEN_PV_STUB(1); XEN_PV_STUB(3); XEN_PV_STUB(4); XEN_PV_STUB(5);
XEN_PV_STUB(6); XEN_PV_STUB(7); XEN_PV_STUB(8); XEN_PV_STUB(10); XEN_PV_STUB(11);
XEN_PV_STUB(12); XEN_PV_STUB(13); XEN_PV_STUB(14); XEN_PV_STUB(16); XEN_PV_STUB(17);
XEN_PV_STUB(18); XEN_PV_STUB(19);

static const char *const xen_pv_stubs[X86_NR_EXCEPTIONS] = {
	[0] = xen_pv_trap_0, [1] = xen_pv_trap_1, [3] = xen_pv_trap_3, [4] = xen_pv_trap_4,
	[5] = xen_pv_trap_5, [6] = xen_pv_trap_6, [7] = xen_pv_trap_7, [8] = xen_pv_trap_8,
	[10] = xen_pv_trap_10, [11] = xen_pv_trap_11, [12] = xen_pv_trap_12,
	[13] = xen_pv_trap_13, [14] = xen_pv_trap_14, [16] = xen_pv_trap_16,
	[17] = xen_pv_trap_17, [18] = xen_pv_trap_18, [19] = xen_pv_trap_19,
};

/* Xen's CPUID "forced emulation" prefix (ud2; "xen"): the answer Xen's policy gives this
 * guest rather than the raw host CPU's. */
static void xen_pv_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
			 uint32_t *d)
{
	__asm__ __volatile__("ud2; .ascii \"xen\"; cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(sub));
}

/* Reads of CR0 and CR4 are emulated by Xen for a PV kernel (a trap each: they are rare). */
static uint64_t xen_pv_read_cr0(void) { return native_read_cr0(); }
static uint64_t xen_pv_read_cr4(void) { return native_read_cr4(); }

/* Of CR0 a PV guest may only change TS, through fpu_taskswitch. */
static void xen_pv_write_cr0(uint64_t v)
{
	static bool warned;

	if ((v ^ xen_pv_read_cr0()) & ~(uint64_t)(1u << 3)) {
		if (!warned)
			printk("pvkit: xen-pv: CR0 bits other than TS cannot change; ignored\n");
		warned = true;
	}
	xen_hypercall1(__HYPERVISOR_fpu_taskswitch, (v >> 3) & 1);
}

static void xen_pv_write_cr4(uint64_t v)
{
	static bool warned;

	if (!warned && v != xen_pv_read_cr4())
		printk("pvkit: xen-pv: CR4 belongs to Xen for PV guests; write ignored\n");
	warned = true;
}

/* Xen stores the faulting address of a #PF in the faulting vCPU's vcpu_info. */
static uint64_t xen_pv_read_cr2(void)
{
	return READ_ONCE(xen_pv_this_vcpu()->arch.cr2);
}

/* What the last load_idt gave set_trap_table (sentinel-terminated): the other vCPUs start
 * with the same (xen-guest/smp_pv.c, the context's trap_ctxt). */
static struct trap_info xen_pv_traps[X86_NR_EXCEPTIONS + 1];

const struct trap_info *xen_pv_trap_table(void)
{
	return xen_pv_traps;
}

/* The IDT's exception gates become trap-table entries for the PV stubs. Events are masked on
 * entry (flag 4), like an interrupt gate; the DPL carries over (int3 from ring 3). */
static void xen_pv_load_idt(const struct desc_ptr *idtr)
{
	struct trap_info *table = xen_pv_traps;
	const struct idt_gate *idt = (const struct idt_gate *)idtr->base;
	unsigned int n = 0, gates = (idtr->limit + 1) / sizeof(*idt);
	int err;

	for (unsigned int v = 0; v < X86_NR_EXCEPTIONS && v < gates; v++) {
		if (!(idt[v].type_attr & IDT_GATE_PRESENT) || !xen_pv_stubs[v])
			continue;
		table[n].vector = v;
		table[n].flags = IDT_GATE_DPL(&idt[v]) | 4;
		table[n].cs = FLAT_KERNEL_CS;
		table[n].address = (unsigned long)xen_pv_stubs[v];
		n++;
	}
	table[n].address = 0;			/* sentinel */
	err = HYPERVISOR_set_trap_table(table);
	if (err)
		panic("xen-pv: set_trap_table failed: %d", err);
}

/* Xen gives PV guests its own flat GDT segments and needs no TSS from us. */
static void xen_pv_load_gdt(const struct desc_ptr *gdt) { }
static void xen_pv_load_tr(uint16_t sel) { }

static void xen_pv_load_sp0(uint64_t sp0)
{
	HYPERVISOR_stack_switch(FLAT_KERNEL_SS, sp0);
}

static void xen_pv_set_fs_base(uint64_t base)
{
	HYPERVISOR_set_segment_base(SEGBASE_FS, base);
}

static void xen_pv_set_gs_base(uint64_t base)
{
	HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, base);
}

/* No port I/O without an I/O privilege level, and no ISA timing to respect. */
static void xen_pv_io_delay(void) { }

/* Xen refuses cache flushes to an unprivileged domain; its memory is coherent anyway. */
static void xen_pv_wbinvd(void) { }

/* SCHEDOP_block unmasks events while it blocks; put the mask back as it was. */
static void xen_pv_halt(void)
{
	struct vcpu_info *v = xen_pv_this_vcpu();
	uint8_t mask = READ_ONCE(v->evtchn_upcall_mask);

	HYPERVISOR_sched_op(SCHEDOP_block, NULL);
	WRITE_ONCE(v->evtchn_upcall_mask, mask);
	barrier();
}

const struct pv_cpu_ops xen_pv_cpu_ops = {
	.name        = "xen-pv",
	.cpuid       = xen_pv_cpuid,		/* forced emulation prefix */
	.read_cr0    = xen_pv_read_cr0,		/* emulated by Xen */
	.write_cr0   = xen_pv_write_cr0,	/* TS only: fpu_taskswitch */
	.read_cr2    = xen_pv_read_cr2,		/* vcpu_info->arch.cr2 */
	.read_cr4    = xen_pv_read_cr4,
	.write_cr4   = xen_pv_write_cr4,	/* Xen's: ignored */
	.load_idt    = xen_pv_load_idt,		/* set_trap_table */
	.load_gdt    = xen_pv_load_gdt,		/* Xen's flat segments */
	.load_tr     = xen_pv_load_tr,
	.load_sp0    = xen_pv_load_sp0,		/* stack_switch */
	.set_fs_base = xen_pv_set_fs_base,	/* set_segment_base */
	.set_gs_base = xen_pv_set_gs_base,
	.io_delay    = xen_pv_io_delay,
	.wbinvd      = xen_pv_wbinvd,
	.halt        = xen_pv_halt,		/* SCHEDOP_block */
};
