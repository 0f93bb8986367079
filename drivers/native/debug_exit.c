// SPDX-License-Identifier: MIT
/* QEMU's isa-debug-exit device: `-device isa-debug-exit,iobase=0xf4,iosize=0x04` turns a
 * write of v to port 0xf4 into QEMU exiting with status (v << 1) | 1. On hardware: nothing. */
#include <pvkit/debug_exit.h>
#include <pvkit/x86.h>

#define DEBUG_EXIT_PORT	0xf4

void isa_debug_exit(uint8_t value)
{
	outb(DEBUG_EXIT_PORT, value);
}
