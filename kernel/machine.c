// SPDX-License-Identifier: MIT
/*
 * The environment-specific steps of start_kernel(): consoles, exception setup, and how to
 * leave. Natively the status goes out through isa-debug-exit; under Xen through
 * SCHEDOP_shutdown (poweroff = pass, crash = fail), which the harness reads from xl.
 */
#include <pvkit/debug_exit.h>
#include <pvkit/desc.h>
#include <pvkit/harness.h>
#include <pvkit/printk.h>
#include <pvkit/uart16550.h>
#include <pvkit/x86.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/xen.h>
#include "machine.h"

static enum boot_env machine_env;	/* where we run: chooses how to leave */

static __noreturn void machine_panic_halt(void)
{
	machine_shutdown(MACHINE_FAIL);
}

void machine_console_init(struct boot_info *bi)
{
	machine_env = bi->env;
	switch (bi->env) {
	case BOOT_NATIVE:
#ifdef CONFIG_SERIAL_16550
		uart16550_init();
#endif
		break;
	case BOOT_XEN_PV:
	case BOOT_XEN_PVH:
#ifdef CONFIG_XEN_GUEST
		xen_early_console_init(bi);
#endif
		break;
	}
	panic_halt = machine_panic_halt;
}

int machine_console_input_init(struct boot_info *bi)
{
#ifdef CONFIG_SERIAL_16550
	if (bi->env == BOOT_NATIVE)
		return uart16550_input_init();
#endif
	return 0;			/* Xen: xen_services_init binds the console ring's input */
}

/* The keyboard controller's reset line: the classic way to reboot a PC. */
static void native_reboot(void)
{
	for (unsigned int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
		cpu_relax();		/* input buffer full: wait (bounded) */
	outb(0x64, 0xfe);
}

void machine_shutdown(enum machine_status status)
{
	static const char *const names[] = {
		[MACHINE_OK] = "ok", [MACHINE_FAIL] = "fail", [MACHINE_REBOOT] = "reboot",
	};

	printk(HARNESS_SHUTDOWN, names[status]);
	switch (machine_env) {
	case BOOT_NATIVE:
		if (status == MACHINE_REBOOT)
			native_reboot();
#ifdef CONFIG_ISA_DEBUG_EXIT
		isa_debug_exit(status == MACHINE_OK ? HARNESS_EXIT_PASS : HARNESS_EXIT_FAIL);
#endif
		break;
	case BOOT_XEN_PV:
	case BOOT_XEN_PVH:
#ifdef CONFIG_XEN_GUEST
		xen_hypercall_print();
		xen_shutdown(status == MACHINE_OK ? XEN_SHUTDOWN_POWEROFF :
			     status == MACHINE_REBOOT ? XEN_SHUTDOWN_REBOOT : XEN_SHUTDOWN_CRASH);
#endif
		break;
	}
	printk("pvkit: halted\n");
	for (;;) {
		if (machine_env == BOOT_XEN_PV)
			cpu_relax();	/* cli/hlt fault in ring 3 */
		else
			__asm__ __volatile__("cli; hlt");
	}
}
