// SPDX-License-Identifier: MIT
/* The unit-test runner: runs every case of the binary's table, TAP output, exit status 1 if
 * any case failed. `binary NAME-SUBSTRING` runs only the matching cases. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "unit.h"

int unit_failed_checks;

static char unit_log[UNIT_LOG_LINES][320];
static unsigned int unit_nr_log;

__attribute__((weak)) int printk(const char *fmt, ...)
{
	char *l = unit_log[unit_nr_log % UNIT_LOG_LINES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(l, sizeof(unit_log[0]), fmt, ap);
	va_end(ap);
	unit_nr_log++;
	printf("#   printk: %s", l);
	return 0;
}

bool unit_logged(const char *what)
{
	unsigned int n = unit_nr_log < UNIT_LOG_LINES ? unit_nr_log : UNIT_LOG_LINES;

	for (unsigned int i = 0; i < n; i++)
		if (strstr(unit_log[i], what))
			return true;
	return false;
}

void unit_log_reset(void)
{
	unit_nr_log = 0;
}

int main(int argc, char **argv)
{
	unsigned int failed = 0, ran = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (unsigned int i = 0; i < unit_nr_cases; i++) {
		const struct unit_case *c = &unit_cases[i];

		if (argc > 1 && !strstr(c->name, argv[1]))
			continue;
		unit_failed_checks = 0;
		c->fn();
		ran++;
		if (unit_failed_checks) {
			printf("not ok %u - %s\n", i + 1, c->name);
			failed++;
		} else {
			printf("ok %u - %s\n", i + 1, c->name);
		}
	}
	printf("# %u cases, %u failed\n", ran, failed);
	return failed ? 1 : 0;
}
