/* SPDX-License-Identifier: MIT */
/* Per-environment start-of-day steps of the reference kernel (kernel/machine.c). */
#ifndef KERNEL_MACHINE_H
#define KERNEL_MACHINE_H

#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>

enum machine_status {
	MACHINE_OK,			/* everything passed: native exit 0, Xen poweroff */
	MACHINE_FAIL,			/* a test failed or we panicked: exit 1, Xen crash */
	MACHINE_REBOOT,			/* asked to reboot: 8042 reset natively, Xen reboot */
};

/** Bring up the consoles of this environment and route panic() to machine_shutdown(). */
void machine_console_init(struct boot_info *bi);

/** Console input (native: the UART's receive interrupt). Return: 0 or -errno. */
int machine_console_input_init(struct boot_info *bi);

/** Leave with a status the harness can read (DESIGN.md §5). */
__noreturn void machine_shutdown(enum machine_status status);

#endif /* KERNEL_MACHINE_H */
