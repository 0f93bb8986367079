/* SPDX-License-Identifier: MIT */
/*
 * A tiny hosted unit-test harness. Each test binary has a table of cases; each case runs in
 * turn and reports "ok N - name" or "not ok N - name" (TAP), with a "#" line per failed
 * CHECK saying what and where. Built with ASan and UBSan: an out-of-bounds read or undefined
 * behaviour aborts the binary, and the runner counts that as a failure.
 */
#ifndef TESTS_UNIT_UNIT_H
#define TESTS_UNIT_UNIT_H

#include <stdbool.h>

#include <stdio.h>

struct unit_case {
	void (*fn)(void);		/* the test; CHECK() failures mark it failed */
	const char *name;		/* "module: what it proves" */
};

/* Provided by each test file: its cases, and how many. */
extern const struct unit_case unit_cases[];
extern const unsigned int unit_nr_cases;

extern int unit_failed_checks;		/* failed CHECKs in the current case */

#define CHECK(cond)								\
	do {									\
		if (!(cond)) {							\
			printf("#   %s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
			unit_failed_checks++;					\
		}								\
	} while (0)

/* CHECK with a message saying what was seen. */
#define CHECKF(cond, fmt, ...)							\
	do {									\
		if (!(cond)) {							\
			printf("#   %s:%d: check failed: %s: " fmt "\n",		\
			       __FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
			unit_failed_checks++;					\
		}								\
	} while (0)

/*
 * The runner's printk (weak: a test with its own wins): each line is echoed as a TAP comment
 * and the last UNIT_LOG_LINES are kept, so a test can ask whether the code under test said
 * something. unit_log_reset() forgets them.
 */
#define UNIT_LOG_LINES	256
int printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool unit_logged(const char *what);
void unit_log_reset(void);

#define UNIT_CASES(...)								\
	const struct unit_case unit_cases[] = { __VA_ARGS__ };			\
	const unsigned int unit_nr_cases = sizeof(unit_cases) / sizeof(unit_cases[0])

#endif /* TESTS_UNIT_UNIT_H */
