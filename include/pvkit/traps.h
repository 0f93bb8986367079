/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Exceptions: the saved register frame, the report printed for an unexpected one, and the two
 * ways code can survive an expected one: an exception-table entry (fault at this instruction
 * -> continue at that one) and an armed expectation that records what happened for a test.
 */
#ifndef PVKIT_TRAPS_H
#define PVKIT_TRAPS_H

#include <pvkit/types.h>

/**
 * The saved register frame, built by arch/x86/entry.S; lowest address first. Vector and error
 * code are pushed by the stub (error 0 where the CPU pushes none); the last five by the CPU
 * (or by Xen for PV).
 */
struct trap_frame {
	/** @{ */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;	/**< general registers, as saved */
	/** @} */
	/** @{ */
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;	/**< general registers, as saved */
	/** @} */
	uint64_t vector;		/**< 0-255 */
	uint64_t error;			/**< CPU error code, or 0 */
	/** @{ */
	uint64_t rip, cs, rflags, rsp, ss;	/**< the interrupted context */
	/** @} */
};

/** What the last recovered exception looked like. */
struct trap_record {
	uint32_t vector;		/**< X86_TRAP_* */
	uint64_t error;			/**< error code */
	uint64_t rip;			/**< faulting (or, for \#BP, following) instruction */
	uint64_t cr2;			/**< faulting address for \#PF, else 0 */
};

/** Exception table: a fault at `from` continues at `to`. Use inside an asm statement. */
#define EXTABLE_ENTRY(from, to)					\
	".pushsection __ex_table, \"a\"\n\t"			\
	".balign 8\n\t"						\
	".quad " #from ", " #to "\n\t"				\
	".popsection\n\t"

/** An exception-table entry, as EXTABLE_ENTRY() emits it into __ex_table. */
struct extable_entry {
	uint64_t insn;			/**< address that may fault */
	uint64_t fixup;			/**< where to continue when it does */
};

/**
 * extable_fixup() - where a fault at @p rip continues, if the exception table says.
 * @param rip the faulting instruction.
 * @return the fixup address, or 0.
 */
uint64_t extable_fixup(uint64_t rip);

/**
 * trap_expect() - the next exception with @p vector is expected: record it and resume (at the
 * exception-table fixup for faults, after the instruction for \#BP) instead of panicking. A
 * test uses it to provoke a fault on purpose and check what the CPU reported.
 * @param vector X86_TRAP_*.
 */
void trap_expect(uint32_t vector);

/**
 * trap_expect_done() - disarm trap_expect().
 * @param rec receives the record when the exception happened (may be NULL).
 * @return true if the expected exception happened since trap_expect().
 */
bool trap_expect_done(struct trap_record *rec);

/**
 * trap_count() - exceptions taken per vector since boot (cheap; for tests and diagnostics).
 * @param vector the vector.
 * @return the count (0 beyond 255).
 */
uint64_t trap_count(uint32_t vector);

/**
 * trap_handle() - the one C entry for exceptions and interrupts, called by the entry stubs
 * with interrupts off; native and Xen PV share it. Vectors >= 32 go to irq_dispatch(); an
 * expected exception with a fixup is recorded and resumed; anything else is reported and
 * panics.
 * @param f the saved frame; rip may be changed to resume elsewhere.
 */
void trap_handle(struct trap_frame *f);

/**
 * trap_name() - the name of an exception vector, for messages.
 * @param vector the vector.
 * @return "#PF", "#UD", ...; "interrupt" for vectors >= 32.
 */
const char *trap_name(uint32_t vector);

#endif /* PVKIT_TRAPS_H */
