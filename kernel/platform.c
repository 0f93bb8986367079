// SPDX-License-Identifier: MIT
/*
 * The platform (include/pvkit/pvkit.h): start_kernel() is where the three entry points meet.
 * It reads top to bottom as the boot order, one call per subsystem, and ends in the
 * application's pvkit_main() (the reference kernel's is init/main.c). The machine-readable
 * lines it prints are the contract with the test harness (DESIGN.md §5): "pvkit: boot
 * entry=... env=...", then the memory map and the devices.
 */
#include <pvkit/bootinfo.h>
#include <pvkit/errno.h>
#include <pvkit/desc.h>
#include <pvkit/harness.h>
#include <pvkit/mm.h>
#include <pvkit/net.h>
#include <pvkit/pci.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/pvkit.h>
#include <pvkit/smp.h>
#include <pvkit/blkdev.h>
#include <pvkit/netdev.h>
#include <pvkit/idle.h>
#include <pvkit/cmdline.h>
#include <pvkit/timer.h>
#include <pvkit/xen/blkfront.h>	/* issue 6: blkfront_init */
#include <pvkit/xen/netfront.h>	/* issue 7: netfront_init */
#include <pvkit/xen/balloon.h>	/* issue 15: xen_balloon_init */
#include <pvkit/xen/control.h>
#include <pvkit/xen/spinlock.h>
#include <pvkit/xen/vcpu_info.h>
#include <pvkit/xen/xen.h>
#include "machine.h"

static void boot_info_print(const struct boot_info *bi)
{
	printk("pvkit: cmdline \"%s\"\n", bi->cmdline);
	for (uint32_t i = 0; i < bi->nr_mem; i++)
		printk("pvkit: mem 0x%016lx-0x%016lx %s\n", bi->mem[i].base,
		       bi->mem[i].base + bi->mem[i].len - 1, boot_mem_type_name(bi->mem[i].type));
	printk("pvkit: ram %lu KiB in %u regions\n",
	       boot_mem_total(bi, BOOT_MEM_RAM) >> 10, bi->nr_mem);
	if (bi->fixes & BOOT_FIX_MMAP_UNSORTED)
		printk("pvkit: warning: the loader's memory map was unsorted (sorted it)\n");
	if (bi->fixes & BOOT_FIX_MMAP_OVERLAP)
		printk("pvkit: warning: the loader's memory map had overlaps (kept the stricter type)\n");
	if (bi->fixes & BOOT_FIX_MMAP_EMPTY_ENT)
		printk("pvkit: warning: the loader's memory map had empty entries (dropped)\n");
	if (bi->fixes & BOOT_FIX_MODULES_DROPPED)
		printk("pvkit: warning: more than %d boot modules (ignored the rest)\n",
		       BOOT_MODULES_MAX);
	for (uint32_t i = 0; i < bi->nr_modules; i++)
		printk("pvkit: module %u at %#lx, %lu bytes \"%s\"\n", i, bi->modules[i].base,
		       bi->modules[i].len, bi->modules[i].name);
}

static volatile enum pvkit_stop platform_stop = PVKIT_RUNNING;	/* the first request wins */

void pvkit_request_stop(enum pvkit_stop why)
{
	if (platform_stop == PVKIT_RUNNING)
		platform_stop = why;
}

enum pvkit_stop pvkit_stop_requested(void)
{
	return platform_stop;
}

void pvkit_idle(void)
{
	idle_wait();
}

#ifdef CONFIG_XEN_GUEST
/* xl shutdown / xl reboot (a control/shutdown watch, from the idle loop). */
static void xen_control_request(enum xen_control_request req)
{
	pvkit_request_stop(req == XEN_CONTROL_REBOOT ? PVKIT_STOP_REBOOT : PVKIT_STOP_POWEROFF);
}
#endif

/* What pvkit_main() gets: a copy of what was found when it was called. */
static struct pvkit_platform platform;

void start_kernel(struct boot_info *bi)
{
	int ret, err;

	machine_console_init(bi);	/* 16550 natively, the Xen console ring under Xen */
	printk(HARNESS_BOOT_LINE, boot_entry_name(bi->entry), boot_env_name(bi->env));
	if (bi->error) {		/* the loader's description was unusable */
		printk("pvkit: error: bad boot information: %s (at %#lx): -%s\n",
		       bi->diag.what, bi->diag.where, strerror_name(bi->error));
		machine_shutdown(MACHINE_FAIL);
	}
	boot_info_print(bi);		/* memory map, command line, loader mistakes we fixed */
	if (pv_init(bi))		/* pv_ops backends for this environment */
		panic("no usable pv_ops backend");
	x86_traps_init();		/* IDT + TSS natively, a trap table under Xen PV */
	smp_early_init();		/* CPU 0's per-CPU area: GS base (after the GDT load) */
	if (mm_init(bi))		/* frame allocator, our own page tables */
		panic("memory setup failed");
	if (pv_irq_init(bi))		/* interrupt controllers / event channels */
		panic("interrupt setup failed");
	if (pv_time_init(bi))		/* clock calibration, one-shot timer */
		panic("time setup failed");
	timer_init();			/* kernel timers on the one-shot timer */
	pv_irq_enable();		/* from here on interrupts (events) are delivered */
	smp_init(bi);			/* the other CPUs: started natively, counted under Xen */
#ifdef CONFIG_XEN_GUEST
	if (bi->env != BOOT_NATIVE)
		xen_vcpu_info_init(bi);	/* each vCPU's vcpu_info registered in our memory */
	if (bi->env != BOOT_NATIVE)
		xen_spin_init(bi);	/* the pv lock op: a lock waiter sleeps, is kicked */
#endif
#ifdef CONFIG_XEN_GUEST
	if (bi->env != BOOT_NATIVE && xen_services_init(bi))	/* grants, xenstore, consoles */
		panic("Xen services failed");
	if (bi->env != BOOT_NATIVE && xen_control_init(bi, xen_control_request))
		printk("pvkit: warning: xl shutdown/reboot will not reach us\n");
	if (bi->env != BOOT_NATIVE && xen_smp_hotplug_init())	/* xl vcpu-set */
		printk("pvkit: warning: xl vcpu-set will not reach us\n");
#endif
#ifdef CONFIG_XEN_BALLOON
	if (bi->env != BOOT_NATIVE && xen_balloon_init(bi))	/* xl mem-set */
		printk("pvkit: warning: xl mem-set will not reach us\n");
#endif
#ifdef CONFIG_XEN_BLKFRONT	/* issue 6: xenbus vbd disks now, and a watch for later ones */
	if (bi->env != BOOT_NATIVE && blkfront_init(bi))
		printk("pvkit: warning: no Xen disks\n");
#endif
#ifdef CONFIG_XEN_NETFRONT	/* issue 7: xenbus vifs now, and a watch for later ones */
	if (bi->env != BOOT_NATIVE && netfront_init(bi))
		printk("pvkit: warning: no Xen network interfaces\n");
#endif
#ifdef CONFIG_PCI
	if (bi->env == BOOT_NATIVE && pci_init(bi))	/* PCI devices and their drivers (disks) */
		printk("pvkit: warning: no PCI bus\n");
#endif
	net_init(bi);			/* IP stack: ip= addresses, idle poller, UDP services */

	err = machine_console_input_init(bi);	/* native: the UART's receive interrupt */
	if (err)
		printk("pvkit: warning: no console input: -%s\n", strerror_name(-err));

	platform.boot = bi;
	platform.env = bi->env;
	platform.cmdline = bi->cmdline;
	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d))
		platform.nr_disks++;
	for (struct netdev *n = netdev_first(); n; n = netdev_next(n))
		platform.nr_ifaces++;
	ret = pvkit_main(&platform);	/* the application (the reference kernel: init/main.c) */
	machine_shutdown(ret == PVKIT_EXIT_POWEROFF ? MACHINE_OK :
			 ret == PVKIT_EXIT_REBOOT ? MACHINE_REBOOT : MACHINE_FAIL);
}
