/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Leaving QEMU with a status (tests): QEMU's isa-debug-exit device at port 0xf4
 * (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`) lets a native test run report pass or
 * fail through QEMU's exit status.
 */
#ifndef PVKIT_DEBUG_EXIT_H
#define PVKIT_DEBUG_EXIT_H

#include <pvkit/types.h>

/**
 * isa_debug_exit() - ask QEMU to exit with status (value << 1) | 1. Returns if there is no
 * such device (hardware, or QEMU without it): the caller goes on to stop some other way.
 * @param value the status before the shift (HARNESS_EXIT_PASS or HARNESS_EXIT_FAIL).
 */
void isa_debug_exit(uint8_t value);

#endif /* PVKIT_DEBUG_EXIT_H */
