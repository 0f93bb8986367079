// SPDX-License-Identifier: MIT
/* lib/cmdline.c: keys, values, quotes, the last one winning, bounds. */
#include <string.h>
#include <pvkit/cmdline.h>
#include <pvkit/errno.h>
#include "unit.h"

static void basic(void)
{
	const char *line = "console=hvc0 pvkit.serve=1 quiet ip=10.0.0.2/24";
	char v[32];

	CHECK(cmdline_get(line, "console", v, sizeof(v)) == 0 && !strcmp(v, "hvc0"));
	CHECK(cmdline_get(line, "ip", v, sizeof(v)) == 0 && !strcmp(v, "10.0.0.2/24"));
	CHECK(cmdline_get(line, "quiet", v, sizeof(v)) == 0 && !strcmp(v, ""));
	CHECK(cmdline_has(line, "quiet"));
	CHECK(!cmdline_has(line, "loud"));
	CHECK(cmdline_get(line, "missing", v, sizeof(v)) == -ENOENT);
}

static void prefixes_do_not_match(void)
{
	const char *line = "pvkit.fail_test=3 pvkit.fail=9";
	unsigned long n;

	CHECK(cmdline_get_ulong(line, "pvkit.fail", &n) == 0 && n == 9);
	CHECK(cmdline_get_ulong(line, "pvkit.fail_test", &n) == 0 && n == 3);
	CHECK(!cmdline_has(line, "pvkit"));
	CHECK(!cmdline_has(line, "fail_test"));
}

static void last_one_wins(void)
{
	char v[8];

	CHECK(cmdline_get("a=1 b=2 a=3", "a", v, sizeof(v)) == 0 && !strcmp(v, "3"));
	CHECK(cmdline_get("a=1 a", "a", v, sizeof(v)) == 0 && !strcmp(v, ""));
}

static void quotes(void)
{
	char v[32];

	CHECK(cmdline_get("x=\"a b c\" y=1", "x", v, sizeof(v)) == 0 && !strcmp(v, "a b c"));
	CHECK(cmdline_get("x=\"a b c\" y=1", "y", v, sizeof(v)) == 0 && !strcmp(v, "1"));
	CHECK(cmdline_get("x=\"unterminated y=1", "x", v, sizeof(v)) == 0 &&
	      !strcmp(v, "unterminated y=1"));
	CHECK(!cmdline_has("x=\"unterminated y=1", "y"));
}

static void bounds(void)
{
	char v[4];
	unsigned long n;

	CHECK(cmdline_get("k=abcd", "k", v, sizeof(v)) == -ENAMETOOLONG);
	CHECK(cmdline_get("k=abc", "k", v, sizeof(v)) == 0 && !strcmp(v, "abc"));
	CHECK(cmdline_get_ulong("n=18446744073709551615", "n", &n) == 0 && n == ~0ul);
	CHECK(cmdline_get_ulong("n=18446744073709551616", "n", &n) == -ERANGE);
	CHECK(cmdline_get_ulong("n=99999999999999999999999999", "n", &n) == -ERANGE);
	CHECK(cmdline_get_ulong("n=0x1F", "n", &n) == 0 && n == 31);
	CHECK(cmdline_get_ulong("n=12x", "n", &n) == -EINVAL);
	CHECK(cmdline_get_ulong("n=", "n", &n) == -EINVAL);
	CHECK(cmdline_get_ulong("n=0x", "n", &n) == -EINVAL);
	CHECK(cmdline_get("", "k", v, sizeof(v)) == -ENOENT);
	CHECK(cmdline_get("   \t\n ", "k", v, sizeof(v)) == -ENOENT);
}

UNIT_CASES(
	{ basic, "cmdline: keys, values, bare keys" },
	{ prefixes_do_not_match, "cmdline: a key's prefix is not the key" },
	{ last_one_wins, "cmdline: the last occurrence wins" },
	{ quotes, "cmdline: quoted values" },
	{ bounds, "cmdline: value sizes and number ranges" },
);
