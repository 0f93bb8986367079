/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The guest side of the contract with the test harness (DESIGN.md §5). The host side is
 * scripts/harness.py; change both together. Lines are matched anywhere in a console stream,
 * so they must be printed whole, each on its own line.
 */
#ifndef PVKIT_HARNESS_H
#define PVKIT_HARNESS_H

/** @name Console lines (printk formats) */
/** @{ */
#define HARNESS_BOOT_LINE	"pvkit: boot entry=%s env=%s\n"	/**< entry name, env name */
#define HARNESS_TEST_OK		"ok %u - %s\n"			/**< number, name */
#define HARNESS_TEST_NOT_OK	"not ok %u - %s\n"		/**< number, name */
#define HARNESS_TEST_SKIP	"ok %u - %s # SKIP %s\n"	/**< number, name, why */
#define HARNESS_SKIP_ENV	"not in %s"	/**< why: the test does not apply to this env */
#define HARNESS_SKIP_BUSY	"host too busy to judge"	/**< why: all timings disturbed */
#define HARNESS_SUMMARY		"pvkit: selftest %u passed, %u failed\n" /**< passed, failed */
#define HARNESS_EVTCHN_ABI	"pvkit: evtchn abi=%s\n"		/**< "fifo" or "2l" (Xen) */
#define HARNESS_SHUTDOWN	"pvkit: shutdown %s\n"		/**< "ok", "fail" or "reboot" */
/**
 * Serve mode is up; disk=, net=, addr=: what is (kernel/serve.c), "none" for nothing. Scripts
 * match the prefix "pvkit: ready" (scripts/harness.py READY_RE).
 */
#define HARNESS_READY		"pvkit: ready disk=%s net=%s addr=%s\n"
#define HARNESS_ECHO		"pvkit: echo %s\n"		/**< a console input line */
/** @} */

/** @name Command-line switches the harness uses */
/** @{ */
#define HARNESS_FAIL_TEST	"pvkit.fail_test"	/**< =N: fail test N after it ran */
#define HARNESS_SERVE		"pvkit.serve"		/**< =1: stay up after the tests */
/** @} */

/** @name isa-debug-exit values (QEMU exits with (v << 1) | 1) */
/** @{ */
#define HARNESS_EXIT_PASS	0	/**< QEMU status 1 */
#define HARNESS_EXIT_FAIL	1	/**< QEMU status 3 */
/** @} */

#endif /* PVKIT_HARNESS_H */
