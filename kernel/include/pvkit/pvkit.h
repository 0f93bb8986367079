/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Platform mode (docs/library.md): your kernel is an application on pvkit. pvkit boots from
 * any of its three entry points (multiboot2, PVH, Xen PV), sets up pv_ops, memory, time,
 * interrupts or events, the Xen services and the devices, prints its boot lines, then calls
 * your pvkit_main() once. What pvkit_main() returns decides how the machine stops.
 */
#ifndef PVKIT_PVKIT_H
#define PVKIT_PVKIT_H

#include <pvkit/bootinfo.h>
#include <pvkit/types.h>
#include <pvkit/version.h>

/** What pvkit_main() returns: how the machine stops afterwards. */
enum pvkit_exit {
	PVKIT_EXIT_POWEROFF = 0,	/**< success: native isa-debug-exit pass, Xen poweroff */
	PVKIT_EXIT_FAIL = 1,		/**< failure: native exit fail, Xen crash */
	PVKIT_EXIT_REBOOT = 2,		/**< reboot: keyboard-controller reset, Xen reboot */
};

/** Why the application should stop: what pvkit_stop_requested() says. */
enum pvkit_stop {
	PVKIT_RUNNING = 0,		/**< nobody asked */
	PVKIT_STOP_POWEROFF,		/**< xl shutdown, or pvkit_request_stop() from a command */
	PVKIT_STOP_REBOOT,		/**< xl reboot, or pvkit_request_stop() from a command */
};

/** What pvkit found, handed to pvkit_main(). Read-only; valid for the whole run. */
struct pvkit_platform {
	const struct boot_info *boot;	/**< entry point, environment, memory map, modules */
	enum boot_env env;		/**< native, Xen PV or Xen PVH */
	const char *cmdline;		/**< the kernel command line ("" if none) */
	unsigned int nr_disks;		/**< disks registered when pvkit_main() was called */
	unsigned int nr_ifaces;		/**< network interfaces registered then */
};

/**
 * pvkit_main() - the application: defined by the kernel built on libpvkit, called once,
 * from thread context with interrupts on, after every device found at boot was probed.
 * Disks: blkdev_first()/blkdev_next() (pvkit/blkdev.h); interfaces: netdev_first() and
 * netdev_next() (pvkit/netdev.h); console: printk() (pvkit/printk.h) and console input
 * (pvkit/console_in.h); command line: cmdline_has()/cmdline_get() (pvkit/cmdline.h).
 * @param pf what pvkit found.
 * @return an enum pvkit_exit.
 */
int pvkit_main(const struct pvkit_platform *pf);

/**
 * pvkit_idle() - run the deferred work (xenstore watches, device hot-plug, network input,
 * console input) and, if there was none, sleep until the next interrupt. An application that
 * waits for something calls it in its loop.
 */
void pvkit_idle(void);

/**
 * pvkit_request_stop() - ask the application to stop (the first request wins). pvkit calls
 * it itself for xl shutdown and xl reboot.
 * @param why PVKIT_STOP_POWEROFF or PVKIT_STOP_REBOOT.
 */
void pvkit_request_stop(enum pvkit_stop why);

/**
 * pvkit_stop_requested() - has anyone asked the application to stop?
 * @return PVKIT_RUNNING, or the first request.
 */
enum pvkit_stop pvkit_stop_requested(void);

#endif /* PVKIT_PVKIT_H */
