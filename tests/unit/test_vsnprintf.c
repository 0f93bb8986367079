// SPDX-License-Identifier: MIT
/* lib/vsnprintf.c against the C library's snprintf: the same text and the same return value
 * for every format in the table, at every buffer size from 0 to past the end. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "unit.h"

int pk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int pk_snprintf(char *buf, size_t size, const char *fmt, ...);

/* Compare both implementations for one format at every size; the args are passed twice. */
#define SAME(fmt, ...)								\
	do {									\
		char want[256], got[256];					\
		int wn = snprintf(want, sizeof(want), fmt, __VA_ARGS__);	\
		for (size_t sz = 0; sz <= (size_t)wn + 2 && sz < sizeof(got); sz++) { \
			int gn;							\
			memset(got, 0x7f, sizeof(got));				\
			gn = pk_snprintf(got, sz, fmt, __VA_ARGS__);		\
			CHECKF(gn == wn, "%s: returned %d, libc %d", fmt, gn, wn); \
			if (sz) {						\
				CHECKF(!strncmp(got, want, sz - 1) && got[MIN_(sz - 1, (size_t)wn)] == 0, \
				       "%s size %zu: \"%s\" vs \"%s\"", fmt, sz, got, want); \
			}							\
			CHECKF(got[sz] == 0x7f, "%s: wrote past size %zu", fmt, sz); \
		}								\
	} while (0)
#define MIN_(a, b) ((a) < (b) ? (a) : (b))

static void integers(void)
{
	SAME("%d", 0);
	SAME("%d", -1);
	SAME("%d", INT32_MIN);
	SAME("%u", 4294967295u);
	SAME("%i|%5d|%-5d|%05d", 42, 42, 42, -42);
	SAME("%+d % d %+d", 7, 7, -7);
	SAME("%ld %lu", (long)INT64_MIN, (unsigned long)UINT64_MAX);
	SAME("%lld %llu", (long long)-123456789012345ll, 18446744073709551615ull);
	SAME("%hd %hhd %hu %hhu", 70000, 300, 70000, 300);
	SAME("%zu %zd", (size_t)12345, (ssize_t)-5);
	SAME("%.3d|%.0d|%8.3d|%-8.3d|", 5, 0, 5, -5);
}

static void hex_and_octal(void)
{
	SAME("%x %X %#x %#X", 0xbeefu, 0xbeefu, 0xbeefu, 0xbeefu);
	SAME("%#x %#o", 0u, 0u);
	SAME("%016lx|%#018lx", 0xffffffff80100000ul, 0xffffffff80100000ul);
	SAME("%o %#o", 8u, 8u);
	SAME("%#.5x|%#10x|%-#10x|", 0x1fu, 0x1fu, 0x1fu);
}

static void strings_and_chars(void)
{
	SAME("%s|%10s|%-10s|%.2s|%.0s|", "abc", "abc", "abc", "abc", "abc");
	SAME("%c%c%c", 'p', 'v', 'k');
	SAME("%5c|%-5c|", 'x', 'y');
	SAME("%*d|%-*d|%.*s|", 6, 1, 6, 2, 2, "xyz");
	SAME("%%|%d%%", 50);
	SAME("%s", "");
}

static void pointers(void)
{
	char want[64], got[64];
	void *p = (void *)0xffffffff80101234ul;

	snprintf(want, sizeof(want), "%p", p);
	pk_snprintf(got, sizeof(got), "%p", p);
	CHECKF(!strcmp(got, want), "%s vs %s", got, want);
	pk_snprintf(got, sizeof(got), "%p", NULL);
	CHECK(!strcmp(got, "(nil)"));
}

static void oddities(void)
{
	char buf[32];

	CHECK(pk_snprintf(buf, sizeof(buf), "%s", (char *)NULL) == 6 && !strcmp(buf, "(null)"));
	CHECK(pk_snprintf(buf, sizeof(buf), "abc%") == 3 && !strcmp(buf, "abc"));
	CHECK(pk_snprintf(buf, sizeof(buf), "%y") == 2 && !strcmp(buf, "%y"));
	CHECK(pk_snprintf(NULL, 0, "%d", 12345) == 5);
	CHECK(pk_snprintf(buf, sizeof(buf), "%99999999999d", 1) > 0);	/* width clamped */
}

UNIT_CASES(
	{ integers, "vsnprintf: integers match libc at every size" },
	{ hex_and_octal, "vsnprintf: hex and octal match libc" },
	{ strings_and_chars, "vsnprintf: strings, chars, * width and precision" },
	{ pointers, "vsnprintf: pointers" },
	{ oddities, "vsnprintf: NULL strings, stray %, unknown conversions" },
);
