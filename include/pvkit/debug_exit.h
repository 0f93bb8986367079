/* SPDX-License-Identifier: MIT */
/* Leaving QEMU with a status (tests). */
#ifndef PVKIT_DEBUG_EXIT_H
#define PVKIT_DEBUG_EXIT_H

#include <pvkit/types.h>

/** Ask QEMU to exit with status (value << 1) | 1; returns if no such device exists. */
void isa_debug_exit(uint8_t value);

#endif /* PVKIT_DEBUG_EXIT_H */
