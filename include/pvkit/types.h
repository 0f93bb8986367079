/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Basic types. gcc's freestanding stdint/stddef/stdbool work under -nostdinc; limits.h does
 * not (it chains to the C library's), so include/libc ships its own.
 */
#ifndef PVKIT_TYPES_H
#define PVKIT_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t phys_addr_t;		/**< guest-physical (pseudo-physical under Xen PV) */
typedef long ssize_t;			/**< a size or a -errno, as in POSIX */

#endif /* PVKIT_TYPES_H */
