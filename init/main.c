// SPDX-License-Identifier: MIT
/*
 * The reference kernel's top: an application on the pvkit platform (include/pvkit/pvkit.h),
 * built from the library like any other (the Makefile links it against build/libpvkit.a).
 * It runs the in-guest self-tests (tests/guest/, CONFIG_SELFTEST), then with pvkit.serve=1
 * stays up in serve mode (init/serve.c) until asked to stop.
 */
#include <pvkit/cmdline.h>
#include <pvkit/harness.h>
#include <pvkit/pvkit.h>
#include "selftest.h"
#include "serve.h"

int pvkit_main(const struct pvkit_platform *pf)
{
	int failed = 0;

#ifdef CONFIG_SELFTEST
	failed = selftest_run(pf->boot);	/* "ok N - ..." lines and the summary */
#endif
	if (cmdline_has(pf->cmdline, HARNESS_SERVE) && serve(pf->boot) == PVKIT_STOP_REBOOT)
		return PVKIT_EXIT_REBOOT;		/* serve until asked to stop */
	return failed ? PVKIT_EXIT_FAIL : PVKIT_EXIT_POWEROFF;
}
