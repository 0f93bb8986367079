// SPDX-License-Identifier: MIT
/* Exception tests: a deliberate #UD, #PF and int3 are caught by our handlers, reported with the
 * right vector, RIP, CR2 and error code, and execution resumes where it should. */
#include <pvkit/errno.h>
#include "selftest.h"
#include <pvkit/traps.h>
#include <pvkit/x86.h>

/* Never mapped: PML4 slot 1 (natively) and guest user space under Xen PV. */
#define UNMAPPED_VA	0x0000008000000000ul

static int ud_once(uint64_t *rip)
{
	__asm__ __volatile__("leaq 1f(%%rip), %0\n"
			     "1: ud2\n"
			     "2:\n"
			     EXTABLE_ENTRY(1b, 2b)
			     : "=r"(*rip) : : "memory");
	return 0;
}

static uint64_t pf_read_once(uint64_t *val)
{
	uint64_t rip;

	__asm__ __volatile__("leaq 1f(%%rip), %0\n"
			     "1: movq (%2), %1\n"
			     "2:\n"
			     EXTABLE_ENTRY(1b, 2b)
			     : "=&r"(rip), "+r"(*val) : "r"(UNMAPPED_VA) : "memory");
	return rip;
}

static uint64_t pf_write_once(void)
{
	uint64_t rip;

	__asm__ __volatile__("leaq 1f(%%rip), %0\n"
			     "1: movq %0, (%1)\n"
			     "2:\n"
			     EXTABLE_ENTRY(1b, 2b)
			     : "=&r"(rip) : "r"(UNMAPPED_VA) : "memory");
	return rip;
}

static int test_trap_ud(const struct boot_info *bi)
{
	uint64_t before = trap_count(X86_TRAP_UD), rip = 0;
	struct trap_record rec;

	trap_expect(X86_TRAP_UD);
	ud_once(&rip);
	ST_CHECK(trap_expect_done(&rec), "no #UD was taken");
	ST_CHECK(rec.vector == X86_TRAP_UD, "vector %u", rec.vector);
	ST_CHECK(rec.rip == rip, "reported rip %#lx, ud2 is at %#lx", rec.rip, rip);
	ST_CHECK(trap_count(X86_TRAP_UD) == before + 1, "count %lu -> %lu", before,
		 trap_count(X86_TRAP_UD));
	return 0;
}

static int test_trap_pf(const struct boot_info *bi)
{
	uint64_t val = 0x5a5a5a5a, rip;
	struct trap_record rec;

	trap_expect(X86_TRAP_PF);
	rip = pf_read_once(&val);
	ST_CHECK(trap_expect_done(&rec), "no #PF on a read of %#lx", UNMAPPED_VA);
	ST_CHECK(rec.rip == rip, "rip %#lx, load at %#lx", rec.rip, rip);
	ST_CHECK(rec.cr2 == UNMAPPED_VA, "cr2 %#lx", rec.cr2);
	ST_CHECK(!(rec.error & (PF_PRESENT | PF_WRITE | PF_INSTR)), "read error code %#lx",
		 rec.error);
	ST_CHECK(val == 0x5a5a5a5a, "faulting load changed its destination to %#lx", val);

	trap_expect(X86_TRAP_PF);
	rip = pf_write_once();
	ST_CHECK(trap_expect_done(&rec), "no #PF on a write to %#lx", UNMAPPED_VA);
	ST_CHECK(rec.rip == rip, "rip %#lx, store at %#lx", rec.rip, rip);
	ST_CHECK(rec.cr2 == UNMAPPED_VA, "cr2 %#lx", rec.cr2);
	ST_CHECK((rec.error & (PF_PRESENT | PF_WRITE)) == PF_WRITE, "write error code %#lx",
		 rec.error);
	return 0;
}

static int test_trap_int3(const struct boot_info *bi)
{
	struct trap_record rec;
	uint64_t after;

	trap_expect(X86_TRAP_BP);
	__asm__ __volatile__("int3\n"
			     "1: leaq 1b(%%rip), %0"
			     : "=r"(after) : : "memory");
	ST_CHECK(trap_expect_done(&rec), "no #BP was taken");
	ST_CHECK(rec.vector == X86_TRAP_BP, "vector %u", rec.vector);
	ST_CHECK(rec.rip == after, "resumed at %#lx, expected %#lx (after int3)", rec.rip, after);
	return 0;
}

static int test_trap_nested_fixups(const struct boot_info *bi)
{
	uint64_t ud = trap_count(X86_TRAP_UD), pf = trap_count(X86_TRAP_PF), rip, val = 0;
	uintptr_t sp_before, sp_after;

	__asm__ __volatile__("movq %%rsp, %0" : "=r"(sp_before));
	for (int i = 0; i < 100; i++) {
		trap_expect(X86_TRAP_UD);
		ud_once(&rip);
		ST_CHECK(trap_expect_done(NULL), "iteration %d: no #UD", i);
		trap_expect(X86_TRAP_PF);
		pf_read_once(&val);
		ST_CHECK(trap_expect_done(NULL), "iteration %d: no #PF", i);
	}
	__asm__ __volatile__("movq %%rsp, %0" : "=r"(sp_after));
	ST_CHECK(sp_before == sp_after, "stack moved from %#lx to %#lx", sp_before, sp_after);
	ST_CHECK(trap_count(X86_TRAP_UD) - ud == 100 && trap_count(X86_TRAP_PF) - pf == 100,
		 "counted %lu #UD and %lu #PF, expected 100 each",
		 trap_count(X86_TRAP_UD) - ud, trap_count(X86_TRAP_PF) - pf);
	return 0;
}

static const struct selftest trap_tests[] = {
	{ test_trap_ud, "traps: #UD caught, reported and resumed", ST_ALL },
	{ test_trap_pf, "traps: #PF caught with CR2 and error code", ST_ALL },
	{ test_trap_int3, "traps: int3 caught and resumed after it", ST_ALL },
	{ test_trap_nested_fixups, "traps: repeated faults each recovered", ST_ALL },
};
SELFTEST_TABLE(20, trap_tests);
