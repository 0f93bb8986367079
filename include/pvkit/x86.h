/* SPDX-License-Identifier: MIT */
/**
 * @file
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
/** Bit @p n as a constant both C (unsigned) and assemblers (no suffixes) understand. */
#define X86_BIT(n)		(1u << (n))
/** Bit @p n of a 64-bit value (unsigned long long in C, no suffix in assembly). */
#define X86_BIT64(n)		(1ull << (n))
#endif

/** @name Layout constants, shared with assembly and the linker script */
/** @{ */
#define KERNEL_VIRT_BASE	0xffffffff80000000	/**< -2 GiB: -mcmodel=kernel */
#define KERNEL_PHYS_BASE	0x100000		/**< 1 MiB: where loaders put us */
#define PAGE_SHIFT		12			/**< log2(PAGE_SIZE) */
#define PAGE_SIZE		4096			/**< the page (and frame) size */
#define BOOT_STACK_SIZE		16384			/**< the boot CPU's kernel stack */
#define IST_STACK_SIZE		8192			/**< \#DF, NMI, \#MC stacks */
/** @} */

/** @name GDT selectors (arch/x86/desc.c) */
/** @{ */
#define GDT_KERNEL_CS		0x08	/**< 64-bit kernel code */
#define GDT_KERNEL_DS		0x10	/**< kernel data */
#define GDT_TSS			0x18	/**< 16-byte system descriptor: slots 3 and 4 */
#define GDT_ENTRIES		5	/**< 8-byte slots in the GDT */
/** @} */

/** @name Control register and MSR bits */
/** @{ */
#define X86_CR0_PE		X86_BIT(0)	/**< CR0: protected mode */
#define X86_CR0_WP		X86_BIT(16)	/**< CR0: write protect also in ring 0 */
#define X86_CR0_PG		X86_BIT(31)	/**< CR0: paging */
#define X86_CR4_PAE		X86_BIT(5)	/**< CR4: physical address extension */
#define X86_CR4_PGE		X86_BIT(7)	/**< CR4: global pages */
#define X86_CR4_OSFXSR		X86_BIT(9)	/**< CR4: the OS saves SSE state (fxsave) */
#define MSR_EFER		0xc0000080	/**< extended feature enable register */
#define EFER_SCE		X86_BIT(0)	/**< EFER: syscall/sysret */
#define EFER_LME		X86_BIT(8)	/**< EFER: long mode enable */
#define EFER_NXE		X86_BIT(11)	/**< EFER: no-execute pages */
#define MSR_FS_BASE		0xc0000100	/**< the FS segment base */
#define MSR_GS_BASE		0xc0000101	/**< the GS segment base */
/** @} */

/** @name Page table entry bits */
/** @{ */
#define PTE_P			X86_BIT(0)	/**< present */
#define PTE_W			X86_BIT(1)	/**< writable */
#define PTE_U			X86_BIT(2)	/**< user */
#define PTE_PWT			X86_BIT(3)	/**< write-through */
#define PTE_PCD			X86_BIT(4)	/**< cache disable */
#define PTE_A			X86_BIT(5)	/**< accessed */
#define PTE_D			X86_BIT(6)	/**< dirty */
#define PTE_PS			X86_BIT(7)	/**< large page (in a PD or PDPT) */
#define PTE_G			X86_BIT(8)	/**< global */
#define PTE_NX			X86_BIT64(63)	/**< no execute (needs EFER.NXE) */
#define PTE_ADDR_MASK		0x000ffffffffff000ull	/**< bits 12-51: the frame */
/** @} */

/** @name Exception vectors */
/** @{ */
#define X86_TRAP_DE		0	/**< \#DE divide error */
#define X86_TRAP_DB		1	/**< \#DB debug */
#define X86_TRAP_NMI		2	/**< non-maskable interrupt */
#define X86_TRAP_BP		3	/**< \#BP breakpoint (int3) */
#define X86_TRAP_OF		4	/**< \#OF overflow (into) */
#define X86_TRAP_BR		5	/**< \#BR bound range exceeded */
#define X86_TRAP_UD		6	/**< \#UD invalid opcode */
#define X86_TRAP_NM		7	/**< \#NM device not available */
#define X86_TRAP_DF		8	/**< \#DF double fault */
#define X86_TRAP_TS		10	/**< \#TS invalid TSS */
#define X86_TRAP_NP		11	/**< \#NP segment not present */
#define X86_TRAP_SS		12	/**< \#SS stack-segment fault */
#define X86_TRAP_GP		13	/**< \#GP general protection */
#define X86_TRAP_PF		14	/**< \#PF page fault */
#define X86_TRAP_MF		16	/**< \#MF x87 floating-point error */
#define X86_TRAP_AC		17	/**< \#AC alignment check */
#define X86_TRAP_MC		18	/**< \#MC machine check */
#define X86_TRAP_XM		19	/**< \#XM SIMD floating-point exception */
#define X86_TRAP_VE		20	/**< \#VE virtualisation exception */
#define X86_TRAP_CP		21	/**< \#CP control protection */
#define X86_NR_EXCEPTIONS	32	/**< vectors reserved for exceptions */
/** @} */

/** @name Page fault error code bits */
/** @{ */
#define PF_PRESENT		X86_BIT(0)	/**< 0: not present; 1: protection */
#define PF_WRITE		X86_BIT(1)	/**< a write */
#define PF_USER			X86_BIT(2)	/**< from user mode */
#define PF_RSVD			X86_BIT(3)	/**< a reserved bit was set */
#define PF_INSTR		X86_BIT(4)	/**< an instruction fetch */
/** @} */

#define X86_RFLAGS_IF		X86_BIT(9)	/**< RFLAGS: interrupts enabled */

#ifndef __ASSEMBLY__
#include <pvkit/types.h>

/**
 * cpuid_count() - CPUID with a subleaf, the plain instruction. Under Xen PV it need not be
 * intercepted, so it may show the host CPU rather than the domain's view: pv_cpuid() is the
 * guest's.
 * @param leaf the leaf (EAX).
 * @param sub  the subleaf (ECX).
 * @param a    receives EAX.
 * @param b    receives EBX.
 * @param c    receives ECX.
 * @param d    receives EDX.
 */
static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
			       uint32_t *c, uint32_t *d)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			     : "a"(leaf), "c"(sub));
}

/**
 * cpuid() - CPUID, subleaf 0.
 * @param leaf the leaf (EAX).
 * @param a    receives EAX.
 * @param b    receives EBX.
 * @param c    receives ECX.
 * @param d    receives EDX.
 */
static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c, uint32_t *d)
{
	cpuid_count(leaf, 0, a, b, c, d);
}

/**
 * rdmsr() - read a model-specific register (native only).
 * @param msr the MSR number.
 * @return its value.
 */
static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

/**
 * wrmsr() - write a model-specific register (native only).
 * @param msr the MSR number.
 * @param v   the value.
 */
static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ __volatile__("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			     : "memory");
}

/**
 * rdtsc() - the time-stamp counter, not serialised.
 * @return the TSC.
 */
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/**
 * Defines native_read_crN() and native_write_crN(): mov from and to control register N =
 * @p n, for CR0, CR2, CR3 and CR4 (native only; pv_ops reach them under Xen).
 */
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

/**
 * outb() - write a byte to an I/O port.
 * @param port the port.
 * @param v    the byte.
 */
static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

/**
 * inb() - read a byte from an I/O port.
 * @param port the port.
 * @return the byte.
 */
static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/**
 * outw() - write 16 bits to an I/O port.
 * @param port the port.
 * @param v    the value.
 */
static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ __volatile__("outw %0, %1" : : "a"(v), "Nd"(port));
}

/**
 * inw() - read 16 bits from an I/O port.
 * @param port the port.
 * @return the value.
 */
static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ __volatile__("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/**
 * outl() - write 32 bits to an I/O port.
 * @param port the port.
 * @param v    the value.
 */
static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ __volatile__("outl %0, %1" : : "a"(v), "Nd"(port));
}

/**
 * inl() - read 32 bits from an I/O port.
 * @param port the port.
 * @return the value.
 */
static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ __volatile__("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/**
 * native_save_fl() - RFLAGS (pushf; pop).
 * @return RFLAGS.
 */
static inline uint64_t native_save_fl(void)
{
	uint64_t fl;

	__asm__ __volatile__("pushfq; popq %0" : "=rm"(fl) : : "memory");
	return fl;
}

/** native_irq_disable() - cli. */
static inline void native_irq_disable(void) { __asm__ __volatile__("cli" ::: "memory"); }
/** native_irq_enable() - sti. */
static inline void native_irq_enable(void) { __asm__ __volatile__("sti" ::: "memory"); }
/** native_halt() - hlt: sleep until the next interrupt. */
static inline void native_halt(void) { __asm__ __volatile__("hlt" ::: "memory"); }
/** cpu_relax() - pause, in a spin loop: kinder to a sibling thread and to a hypervisor. */
static inline void cpu_relax(void) { __asm__ __volatile__("pause" ::: "memory"); }

/**
 * native_invlpg() - drop the TLB entry of one page.
 * @param va an address in the page.
 */
static inline void native_invlpg(uintptr_t va)
{
	__asm__ __volatile__("invlpg (%0)" : : "r"(va) : "memory");
}

/** @name Memory barriers: the CPU's own, for memory shared with other CPUs and domains */
/** @{ */
#define mb()	__asm__ __volatile__("mfence" ::: "memory")	/**< full barrier */
#define rmb()	__asm__ __volatile__("lfence" ::: "memory")	/**< loads */
#define wmb()	__asm__ __volatile__("sfence" ::: "memory")	/**< stores */
/** @} */

/** Kernel image bounds from the linker script (virtual addresses). */
/** @{ */
extern char _text[], _etext[], _srodata[], _erodata[], _end[], __bss_start[], __bss_end[];
/** @} */
/** The early page tables' bounds (physical addresses). */
/** @{ */
extern char __boot_bss_start[], __boot_bss_end[];	/* early page tables (physical) */
/** @} */

/**
 * kernel_virt_to_phys() - the physical address of a kernel image address (the image is
 * mapped at KERNEL_VIRT_BASE + its physical address).
 * @param p an address inside the image.
 * @return its physical address.
 */
static inline uint64_t kernel_virt_to_phys(const void *p)
{
	return (uintptr_t)p - KERNEL_VIRT_BASE;
}

#endif /* !__ASSEMBLY__ */
#endif /* PVKIT_X86_H */
