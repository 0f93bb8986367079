/* SPDX-License-Identifier: MIT */
/* Kernel command line parameters: space-separated `key`, `key=value` or `key="va lue"`.
 * When a key appears more than once, the last one wins (as on Linux). */
#ifndef PVKIT_CMDLINE_H
#define PVKIT_CMDLINE_H

#include <pvkit/types.h>

/**
 * cmdline_get() - copy the value of @key into @val (size @size); "" for a bare `key`.
 * Return: 0, -ENOENT when absent, -ENAMETOOLONG when the value does not fit.
 */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t size);

/** True when @key is present, with or without a value. */
bool cmdline_has(const char *cmdline, const char *key);

/**
 * cmdline_get_ulong() - @key's value as a decimal or 0x-hex number.
 * Return: 0, -ENOENT when absent, -EINVAL when not a number, -ERANGE on overflow.
 */
int cmdline_get_ulong(const char *cmdline, const char *key, unsigned long *out);

/** Parse a whole string as a decimal or 0x-hex number. Return: 0, -EINVAL or -ERANGE. */
int parse_ulong(const char *s, unsigned long *out);

#endif /* PVKIT_CMDLINE_H */
