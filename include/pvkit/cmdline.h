/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Kernel command line parameters: space-separated `key`, `key=value` or `key="va lue"`.
 * When a key appears more than once, the last one wins (as on Linux).
 */
#ifndef PVKIT_CMDLINE_H
#define PVKIT_CMDLINE_H

#include <pvkit/types.h>

/**
 * cmdline_get() - copy the value of @p key into @p val; "" for a bare `key`.
 * @param cmdline the command line.
 * @param key     the key, without '='.
 * @param val     receives the value, NUL-terminated, quotes removed.
 * @param size    the size of @p val.
 * @return 0, -ENOENT when absent, -ENAMETOOLONG when the value does not fit.
 */
int cmdline_get(const char *cmdline, const char *key, char *val, size_t size);

/**
 * cmdline_has() - is @p key present, with or without a value?
 * @param cmdline the command line.
 * @param key     the key, without '='.
 * @return true when present.
 */
bool cmdline_has(const char *cmdline, const char *key);

/**
 * cmdline_get_ulong() - @p key's value as a decimal or 0x-hex number.
 * @param cmdline the command line.
 * @param key     the key, without '='.
 * @param out     receives the number.
 * @return 0, -ENOENT when absent, -EINVAL when not a number, -ERANGE on overflow.
 */
int cmdline_get_ulong(const char *cmdline, const char *key, unsigned long *out);

/**
 * parse_ulong() - parse a whole string as a decimal or 0x-hex number (console commands'
 * arguments too, hence public).
 * @param s   the string; anything after the number makes it -EINVAL.
 * @param out receives the number.
 * @return 0, -EINVAL or -ERANGE.
 */
int parse_ulong(const char *s, unsigned long *out);

#endif /* PVKIT_CMDLINE_H */
