// SPDX-License-Identifier: MIT
/*
 * The in-guest test runner. The command line can break one test on purpose
 * (pvkit.fail_test=N: test N is reported as failed after it ran), which is how the harness
 * proves that a failing guest is seen as failing.
 */
#include <pvkit/cmdline.h>
#include <pvkit/errno.h>
#include <pvkit/harness.h>
#include "selftest.h"

extern const struct selftest_table __selftest_tables_start[], __selftest_tables_end[];

struct selftest_state {
	unsigned long sabotage;		/* test number to fail on purpose, 0 for none */
	unsigned int number;		/* of the last test reported */
	unsigned int passed, failed, skipped;
};

static void selftest_one(const struct boot_info *bi, const struct selftest *t,
			 struct selftest_state *st)
{
	unsigned int n = ++st->number;
	int err;

	if (!(t->envs & (1u << bi->env))) {
		char why[32];

		snprintf(why, sizeof(why), HARNESS_SKIP_ENV, boot_env_name(bi->env));
		printk(HARNESS_TEST_SKIP, n, t->name, why);
		st->skipped++;
		return;
	}
	err = t->fn(bi);
	if (err == ST_SKIPPED || err == ST_BUSY) {
		printk(HARNESS_TEST_SKIP, n, t->name,
		       err == ST_BUSY ? HARNESS_SKIP_BUSY : "nothing to test here");
		st->skipped++;
		return;
	}
	if (!err && n == st->sabotage) {
		printk("#   failed on purpose (" HARNESS_FAIL_TEST "=%u)\n", n);
		err = -ECANCELED;
	}
	if (err) {
		printk(HARNESS_TEST_NOT_OK, n, t->name);
		st->failed++;
	} else {
		printk(HARNESS_TEST_OK, n, t->name);
		st->passed++;
	}
}

int selftest_run(const struct boot_info *bi)
{
	struct selftest_state st = { 0 };

	if (cmdline_get_ulong(bi->cmdline, HARNESS_FAIL_TEST, &st.sabotage) == -EINVAL)
		printk("pvkit: warning: " HARNESS_FAIL_TEST " is not a number; ignored\n");
	for (const struct selftest_table *tab = __selftest_tables_start;
	     tab < __selftest_tables_end; tab++)
		for (unsigned int i = 0; i < tab->count; i++)
			selftest_one(bi, &tab->tests[i], &st);
	if (st.skipped)
		printk("pvkit: selftest %u skipped\n", st.skipped);
	printk(HARNESS_SUMMARY, st.passed, st.failed);
	return st.failed;
}
