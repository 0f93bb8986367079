// SPDX-License-Identifier: MIT
/*
 * The in-guest test runner. The command line can break one test on purpose
 * (pvkit.fail_test=N: test N is reported as failed after it ran), which is how the harness
 * proves that a failing guest is seen as failing.
 */
#include <pvkit/cmdline.h>
#include <pvkit/errno.h>
#include <pvkit/harness.h>
#include <pvkit/selftest.h>
#include "tests.h"

static const struct selftest selftests[] = {
	{ test_mmap_sane,		"boot: memory map is sorted, disjoint and holds the kernel", ST_ALL },
	{ test_bss_zero,		"boot: .bss is zero",					ST_ALL },
	{ test_higher_half,		"boot: running in the higher half",			ST_ALL },
	{ test_cmdline_copied,		"boot: command line copied and NUL-terminated",		ST_ALL },
	{ test_trap_ud,			"traps: #UD caught, reported and resumed",		ST_ALL },
	{ test_trap_pf,			"traps: #PF caught with CR2 and error code",		ST_ALL },
	{ test_trap_int3,		"traps: int3 caught and resumed after it",		ST_ALL },
	{ test_trap_nested_fixups,	"traps: repeated faults each recovered",		ST_ALL },
#ifdef CONFIG_XEN_GUEST
	{ test_xen_version,		"xen: hypercall page works (XENVER_version)",	ST_XEN_PV | ST_XEN_PVH },
#endif
#ifdef CONFIG_XEN_PV
	{ test_xen_pv_p2m,		"xen-pv: p2m list and machine-to-phys agree",	ST_XEN_PV },
#endif
};

int selftest_run(const struct boot_info *bi)
{
	unsigned long sabotage = 0;
	unsigned int passed = 0, failed = 0, skipped = 0;

	if (cmdline_get_ulong(bi->cmdline, HARNESS_FAIL_TEST, &sabotage) == -EINVAL)
		printk("pvkit: warning: " HARNESS_FAIL_TEST " is not a number; ignored\n");

	for (unsigned int i = 0; i < ARRAY_SIZE(selftests); i++) {
		const struct selftest *t = &selftests[i];
		unsigned int n = i + 1;
		int err;

		if (!(t->envs & (1u << bi->env))) {
			printk(HARNESS_TEST_SKIP, n, t->name, boot_env_name(bi->env));
			skipped++;
			continue;
		}
		err = t->fn(bi);
		if (!err && n == sabotage) {
			printk("#   failed on purpose (" HARNESS_FAIL_TEST "=%u)\n", n);
			err = -ECANCELED;
		}
		if (err) {
			printk(HARNESS_TEST_NOT_OK, n, t->name);
			failed++;
		} else {
			printk(HARNESS_TEST_OK, n, t->name);
			passed++;
		}
	}
	if (skipped)
		printk("pvkit: selftest %u skipped\n", skipped);
	printk(HARNESS_SUMMARY, passed, failed);
	return failed;
}
