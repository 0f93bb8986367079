// SPDX-License-Identifier: MIT
/* Kernel command line parsing. The line comes from the boot loader or the Xen toolstack:
 * nothing in it is trusted, and every copy is bounded. */
#include <pvkit/cmdline.h>
#include <pvkit/errno.h>
#include <string.h>

/*
 * Find the last `key` or `key=...` on the line. On success, *vstart and *vlen describe the value
 * (without quotes); vlen is 0 for a bare key.
 */
static bool cmdline_find(const char *p, const char *key, const char **vstart, size_t *vlen)
{
	size_t klen = strlen(key);
	bool found = false;

	while (*p) {
		const char *tok, *v = NULL;
		size_t n = 0;
		bool quoted = false;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '=')
			p++;
		if (*p == '=') {
			p++;
			if (*p == '"') {
				quoted = true;
				p++;
			}
			v = p;
			while (*p && (quoted ? *p != '"' : (*p != ' ' && *p != '\t' && *p != '\n')))
				p++;
			n = p - v;
			if (quoted && *p == '"')
				p++;
			while (*p && *p != ' ' && *p != '\t' && *p != '\n')
				p++;	/* junk after a closing quote belongs to this token */
		}
		if ((size_t)((v ? v - 1 - quoted : p) - tok) == klen && !strncmp(tok, key, klen)) {
			*vstart = v ? v : p;
			*vlen = n;
			found = true;
		}
	}
	return found;
}

int cmdline_get(const char *cmdline, const char *key, char *val, size_t size)
{
	const char *v;
	size_t n;

	if (!cmdline_find(cmdline, key, &v, &n))
		return -ENOENT;
	if (n + 1 > size)
		return -ENAMETOOLONG;
	memcpy(val, v, n);
	val[n] = '\0';
	return 0;
}

bool cmdline_has(const char *cmdline, const char *key)
{
	const char *v;
	size_t n;

	return cmdline_find(cmdline, key, &v, &n);
}

int parse_ulong(const char *s, unsigned long *out)
{
	unsigned long v = 0, base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned long d;

		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = *s - 'A' + 10;
		else
			return -EINVAL;
		if (v > (~0ul - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int cmdline_get_ulong(const char *cmdline, const char *key, unsigned long *out)
{
	char buf[24];
	int err;

	err = cmdline_get(cmdline, key, buf, sizeof(buf));
	if (err == -ENAMETOOLONG)
		return -ERANGE;
	if (err)
		return err;
	return parse_ulong(buf, out);
}
