// SPDX-License-Identifier: MIT
/*
 * Serve mode and the console commands: every input line is echoed back as "pvkit: echo <line>"
 * (the harness checks it), then run if it is a command. Everything here runs from the idle
 * loop, never in interrupt context.
 */
#include <pvkit/compiler.h>
#include <pvkit/console_in.h>
#include <pvkit/harness.h>
#include <pvkit/idle.h>
#include <pvkit/irq.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/serve.h>
#include <pvkit/timer.h>
#include <string.h>
#ifdef CONFIG_XEN_GUEST
#include <pvkit/xen/hypercall.h>
#endif

static volatile enum serve_stop serve_stop_req = SERVE_RUNNING;
static const struct boot_info *serve_bi;

void serve_request_stop(enum serve_stop why)
{
	if (serve_stop_req == SERVE_RUNNING)
		serve_stop_req = why;
}

static void cmd_stats(void)
{
	struct console_in_stats cs;

	console_in_get_stats(&cs);
	printk("pvkit: stats uptime_ms=%lu timer_irqs=%lu irqs=%lu free_frames=%lu "
	       "console_in bytes=%lu lines=%lu cut=%lu refused=%lu\n",
	       pv_clock_ns() / 1000000, timer_interrupts(), irq_total(), page_free_count(),
	       cs.bytes, cs.lines, cs.cut, cs.refused);
#ifdef CONFIG_XEN_GUEST
	if (serve_bi->env != BOOT_NATIVE)
		xen_hypercall_print();
#endif
}

static const struct {
	const char *name;		/* the whole line */
	const char *help;
} commands[] = {
	{ "poweroff", "power off (ends serve mode)" },
	{ "reboot", "reboot" },
	{ "stats", "counters: uptime, interrupts, memory, console, hypercalls" },
	{ "help", "this list" },
};

static void serve_line(const char *line)
{
	printk(HARNESS_ECHO, line);
	if (!strcmp(line, "poweroff")) {
		serve_request_stop(SERVE_POWEROFF);
	} else if (!strcmp(line, "reboot")) {
		serve_request_stop(SERVE_REBOOT);
	} else if (!strcmp(line, "stats")) {
		cmd_stats();
	} else if (!strcmp(line, "help")) {
		for (unsigned int i = 0; i < ARRAY_SIZE(commands); i++)
			printk("pvkit:   %-10s %s\n", commands[i].name, commands[i].help);
	}
}

static unsigned int serve_console_poll(void)
{
	return console_in_poll();
}

static struct idle_poller console_poller = { .name = "console", .poll = serve_console_poll };

enum serve_stop serve(const struct boot_info *bi)
{
	serve_bi = bi;
	console_in_set_handler(serve_line);
	idle_register(&console_poller);
	printk(HARNESS_READY);
	while (serve_stop_req == SERVE_RUNNING)
		idle_wait();
	printk("pvkit: serve: stopping (%s)\n",
	       serve_stop_req == SERVE_REBOOT ? "reboot" : "poweroff");
	return serve_stop_req;
}
