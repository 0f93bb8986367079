// SPDX-License-Identifier: MIT
/*
 * Serve mode and the console commands: every input line is echoed back as "pvkit: echo <line>"
 * (the harness checks it), then run if it is a command: one of the SERVE_COMMAND() table
 * (include/pvkit/command.h), this file's poweroff, reboot, stats and help, the others defined by
 * their owners (net, udp, ping, bench, netfront, blk). Everything here runs from the idle loop,
 * never in interrupt context.
 */
#include <pvkit/blkdev.h>
#include <pvkit/compiler.h>
#include <pvkit/console_in.h>
#include <pvkit/harness.h>
#include <pvkit/idle.h>
#include <pvkit/irq.h>
#include <pvkit/mm.h>
#include <pvkit/net.h>
#include <pvkit/netdev.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/pvkit.h>
#include <pvkit/timer.h>
#include <string.h>
#include "serve.h"
#ifdef CONFIG_XEN_GUEST
#include <pvkit/xen/control.h>
#include <pvkit/xen/hypercall.h>
#endif

#define SERVE_READY_LIST	96	/* bytes of one list of the ready line (cut with "...") */

static const struct boot_info *serve_bi;

static void cmd_stats(void)
{
	struct console_in_stats cs;

	console_in_get_stats(&cs);
	printk("pvkit: stats uptime_ms=%lu timer_irqs=%lu irqs=%lu free_frames=%lu "
	       "console_in bytes=%lu lines=%lu cut=%lu refused=%lu\n",
	       pv_clock_ns() / 1000000, timer_interrupts(), irq_total(), page_free_count(),
	       cs.bytes, cs.lines, cs.cut, cs.refused);
#ifdef CONFIG_XEN_GUEST
	if (serve_bi->env != BOOT_NATIVE) {
		struct xen_control_stats xc;

		xen_hypercall_print();
		xen_control_get_stats(&xc);
		printk("pvkit: stats control requests=%lu ignored=%lu sysrqs=%lu suspends=%lu "
		       "suspend_failed=%lu suspend_port=%u\n", xc.requests, xc.ignored, xc.sysrqs,
		       xc.suspends, xc.suspend_failed, xc.suspend_port);
	}
#endif
}

static void cmd_poweroff(const char *args) { pvkit_request_stop(PVKIT_STOP_POWEROFF); }
static void cmd_reboot(const char *args) { pvkit_request_stop(PVKIT_STOP_REBOOT); }
static void cmd_stats_fn(const char *args) { cmd_stats(); }
static void cmd_help(const char *args)
{
	for (const struct serve_command *c = __serve_commands_start; c < __serve_commands_end; c++)
		printk("pvkit:   %-10s %s\n", c->name, c->help);
}

SERVE_COMMAND(poweroff, "power off (ends serve mode)", cmd_poweroff);
SERVE_COMMAND(reboot, "reboot", cmd_reboot);
SERVE_COMMAND(stats, "counters: uptime, interrupts, memory, console, hypercalls, toolstack requests",
	      cmd_stats_fn);
SERVE_COMMAND(help, "this list", cmd_help);

const struct boot_info *serve_boot_info(void)
{
	return serve_bi;
}

static void serve_line(const char *line)
{
	size_t n = strcspn(line, " ");

	printk(HARNESS_ECHO, line);
	for (const struct serve_command *c = __serve_commands_start; c < __serve_commands_end;
	     c++) {
		if (strlen(c->name) == n && !strncmp(line, c->name, n)) {
			c->fn(line[n] ? line + n + 1 : "");
			return;
		}
	}
}

static unsigned int serve_console_poll(void)
{
	return console_in_poll();
}

static struct os_poller console_poller = { .name = "console", .poll = serve_console_poll };

/* Append @word to the comma-separated list @buf (SERVE_READY_LIST bytes); a list that no
 * longer fits ends in "...". */
static void serve_list_add(char *buf, const char *word)
{
	size_t len = strlen(buf);

	if (len >= 3 && !strcmp(buf + len - 3, "..."))
		return;
	if (len + 1 + strlen(word) + 4 > SERVE_READY_LIST) {
		strlcpy(buf + len, len ? ",..." : "...", SERVE_READY_LIST - len);
		return;
	}
	snprintf(buf + len, SERVE_READY_LIST - len, "%s%s", len ? "," : "", word);
}

/*
 * The ready line names what is up, so that a script waiting for it can tell a whole boot from
 * one whose disk or network never came (blkfront gives up on a silent backend after its
 * connect timeout and the boot goes on): disk= the registered disks that are not gone, net=
 * the interfaces with carrier and an address, addr= their addresses in the same order; each
 * "none" when empty.
 */
static void serve_print_ready(void)
{
	char disks[SERVE_READY_LIST] = "", nets[SERVE_READY_LIST] = "";
	char addrs[SERVE_READY_LIST] = "";

	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d))
		if (!d->gone)
			serve_list_add(disks, d->name);
	for (struct netdev *n = netdev_first(); n; n = netdev_next(n)) {
		struct net_if_config cfg;
		char a[IP4_STR_MAX + 3];

		if (n->gone || !n->carrier || net_if_get_config(n, &cfg))
			continue;
		serve_list_add(nets, n->name);
		ip_format_addr(a, cfg.addr);
		snprintf(a + strlen(a), sizeof(a) - strlen(a), "/%u", cfg.prefix);
		serve_list_add(addrs, a);
	}
	printk(HARNESS_READY, disks[0] ? disks : "none", nets[0] ? nets : "none",
	       addrs[0] ? addrs : "none");
}

enum pvkit_stop serve(const struct boot_info *bi)
{
	enum pvkit_stop why;

	serve_bi = bi;
	console_in_set_handler(serve_line);
	os_poller_register(&console_poller);
	serve_print_ready();
	while ((why = pvkit_stop_requested()) == PVKIT_RUNNING)
		pvkit_idle();
	printk("pvkit: serve: stopping (%s)\n", why == PVKIT_STOP_REBOOT ? "reboot" : "poweroff");
	return why;
}
