/* SPDX-License-Identifier: MIT */
/*
 * x86-64 architectural constants and the raw instructions behind them. These are the *native*
 * primitives: kernel code outside arch/ and the native backends reaches privileged operations
 * through pv_ops, because under Xen PV (ring 3) most of these fault.
 */
#ifndef PVKIT_X86_H
#define PVKIT_X86_H

/* A bit as a constant both C (unsigned) and assemblers (no suffixes: clang's rejects them)
 * understand. */
#ifdef __ASSEMBLY__
#define X86_BIT(n)		(1 << (n))
#define X86_BIT64(n)		(1 << (n))
#else
#define X86_BIT(n)		(1u << (n))
#define X86_BIT64(n)		(1ull << (n))
#endif

/* Layout constants, shared with assembly and the linker script. */
#define KERNEL_VIRT_BASE	0xffffffff80000000	/* -2 GiB: -mcmodel=kernel */
#define KERNEL_PHYS_BASE	0x100000		/* 1 MiB: where loaders put us */
#define PAGE_SHIFT		12
#define PAGE_SIZE		4096
#define BOOT_STACK_SIZE		16384			/* the boot CPU's kernel stack */
#define IST_STACK_SIZE		8192			/* #DF, NMI, #MC stacks */

/* GDT selectors (arch/x86/desc.c). */
#define GDT_KERNEL_CS		0x08
#define GDT_KERNEL_DS		0x10
#define GDT_TSS			0x18	/* 16-byte system descriptor: slots 3 and 4 */
#define GDT_ENTRIES		5

/* Control register and MSR bits. */
#define X86_CR0_PE		X86_BIT(0)
#define X86_CR0_WP		X86_BIT(16)
#define X86_CR0_PG		X86_BIT(31)
#define X86_CR4_PAE		X86_BIT(5)
#define X86_CR4_PGE		X86_BIT(7)
#define X86_CR4_OSFXSR		X86_BIT(9)
#define MSR_EFER		0xc0000080
#define EFER_SCE		X86_BIT(0)
#define EFER_LME		X86_BIT(8)
#define EFER_NXE		X86_BIT(11)
#define MSR_FS_BASE		0xc0000100
#define MSR_GS_BASE		0xc0000101

/* Page table entry bits. */
#define PTE_P			X86_BIT(0)	/* present */
#define PTE_W			X86_BIT(1)	/* writable */
#define PTE_U			X86_BIT(2)	/* user */
#define PTE_PWT			X86_BIT(3)
#define PTE_PCD			X86_BIT(4)
#define PTE_A			X86_BIT(5)	/* accessed */
#define PTE_D			X86_BIT(6)	/* dirty */
#define PTE_PS			X86_BIT(7)	/* large page (in a PD or PDPT) */
#define PTE_G			X86_BIT(8)	/* global */
#define PTE_NX			X86_BIT64(63)	/* no execute (needs EFER.NXE) */
#define PTE_ADDR_MASK		0x000ffffffffff000ull	/* bits 12-51: the frame */

/* Exception vectors. */
#define X86_TRAP_DE		0
#define X86_TRAP_DB		1
#define X86_TRAP_NMI		2
#define X86_TRAP_BP		3
#define X86_TRAP_OF		4
#define X86_TRAP_BR		5
#define X86_TRAP_UD		6
#define X86_TRAP_NM		7
#define X86_TRAP_DF		8
#define X86_TRAP_TS		10
#define X86_TRAP_NP		11
#define X86_TRAP_SS		12
#define X86_TRAP_GP		13
#define X86_TRAP_PF		14
#define X86_TRAP_MF		16
#define X86_TRAP_AC		17
#define X86_TRAP_MC		18
#define X86_TRAP_XM		19
#define X86_TRAP_VE		20
#define X86_TRAP_CP		21
#define X86_NR_EXCEPTIONS	32

/* Page fault error code bits. */
#define PF_PRESENT		X86_BIT(0)	/* 0: not present; 1: protection */
#define PF_WRITE		X86_BIT(1)
#define PF_USER			X86_BIT(2)
#define PF_RSVD			X86_BIT(3)
#define PF_INSTR		X86_BIT(4)

#define X86_RFLAGS_IF		X86_BIT(9)

#ifndef __ASSEMBLY__
#include <pvkit/types.h>

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
			       uint32_t *c, uint32_t *d)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(sub));
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	cpuid_count(leaf, 0, a, b, c, d);
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			     : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR_ACCESS(n)							\
static inline uint64_t native_read_cr##n(void)					\
{										\
	uint64_t v;								\
	__asm__ __volatile__("mov %%cr" #n ", %0" : "=r"(v) : : "memory");	\
	return v;								\
}										\
static inline void native_write_cr##n(uint64_t v)				\
{										\
	__asm__ __volatile__("mov %0, %%cr" #n : : "r"(v) : "memory");		\
}
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t native_save_fl(void)
{
	uint64_t fl;

	__asm__ __volatile__("pushfq; popq %0" : "=rm"(fl) : : "memory");
	return fl;
}

static inline void native_irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
static inline void native_irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }
static inline void native_halt(void) { __asm__ __volatile__("hlt" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

static inline void native_invlpg(uintptr_t va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/* Memory barriers: the CPU's own, for memory shared with other CPUs and domains. */
#define mb()	__asm__ __volatile__("mfence" ::: "memory")
#define rmb()	__asm__ __volatile__("lfence" ::: "memory")
#define wmb()	__asm__ __volatile__("sfence" ::: "memory")

/* Kernel image bounds from the linker script (virtual addresses). */
extern char _text[], _etext[], _srodata[], _erodata[], _end[], __bss_start[], __bss_end[];
extern char __boot_bss_start[], __boot_bss_end[];	/* early page tables (physical) */

static inline uint64_t kernel_virt_to_phys(const void *p)
{
	return (uintptr_t)p - KERNEL_VIRT_BASE;
}

#endif /* !__ASSEMBLY__ */
#endif /* PVKIT_X86_H */
