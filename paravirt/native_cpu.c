// SPDX-License-Identifier: MIT
/* The native CPU backend: the privileged instructions themselves (ring 0: bare metal, and
 * Xen PVH, whose HVM container runs the kernel in ring 0 too). */
#include <pvkit/desc.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>

static void native_cpuid(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b, uint32_t *c,
			 uint32_t *d)
{
	cpuid_count(leaf, sub, a, b, c, d);
}

static void native_load_idt(const struct desc_ptr *idt)
{
	__asm__ __volatile__("lidt %0" : : "m"(*idt) : "memory");
}

/* lgdt, then reload CS with a far return and the data segments, as the new GDT defines them. */
static void native_load_gdt(const struct desc_ptr *gdt)
{
	__asm__ __volatile__(
		"lgdt %0\n\t"
		"pushq %1\n\t"
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
		"movl %%eax, %%gs"
		: : "m"(*gdt), "i"(GDT_KERNEL_CS), "i"(GDT_KERNEL_DS) : "rax", "memory");
}

static void native_load_tr(uint16_t sel)
{
	__asm__ __volatile__("ltr %0" : : "r"(sel) : "memory");
}

static void native_set_fs_base(uint64_t base) { wrmsr(MSR_FS_BASE, base); }
static void native_set_gs_base(uint64_t base) { wrmsr(MSR_GS_BASE, base); }
static uint64_t native_cr0_read(void) { return native_read_cr0(); }
static void native_cr0_write(uint64_t v) { native_write_cr0(v); }
static uint64_t native_cr2_read(void) { return native_read_cr2(); }
static uint64_t native_cr4_read(void) { return native_read_cr4(); }
static void native_cr4_write(uint64_t v) { native_write_cr4(v); }

/* Port 0x80 is the POST-code port: writing it takes about a microsecond on ISA timing. */
static void native_io_delay(void) { outb(0x80, 0); }
static void native_wbinvd(void) { __asm__ __volatile__("wbinvd" ::: "memory"); }
static void native_cpu_halt(void) { native_halt(); }

const struct pv_cpu_ops native_cpu_ops = {
	.name        = "native",
	.cpuid       = native_cpuid,
	.read_cr0    = native_cr0_read,
	.write_cr0   = native_cr0_write,
	.read_cr2    = native_cr2_read,
	.read_cr4    = native_cr4_read,
	.write_cr4   = native_cr4_write,
	.load_idt    = native_load_idt,
	.load_gdt    = native_load_gdt,
	.load_tr     = native_load_tr,
	.load_sp0    = native_tss_set_sp0,	/* TSS.rsp0 */
	.set_fs_base = native_set_fs_base,
	.set_gs_base = native_set_gs_base,
	.io_delay    = native_io_delay,
	.wbinvd      = native_wbinvd,
	.halt        = native_cpu_halt,
};
