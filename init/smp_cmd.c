// SPDX-License-Identifier: MIT
/*
 * The serve-mode console command "smp" (docs/smp.md): how many CPUs there are and are online,
 * and a cross-call to every online CPU, so a test can see that CPUs brought back by xl
 * vcpu-set work again.
 */
#include <pvkit/command.h>
#include <pvkit/printk.h>
#include <pvkit/smp.h>

static void smp_cmd_pong(void *arg)
{
	__atomic_fetch_add((unsigned int *)arg, 1, __ATOMIC_RELAXED);
}

/* "smp ping": pvkit: smp ping cpus=N online=M pinged=K failed=F */
static void cmd_smp(const char *args)
{
	unsigned int pinged = 0, failed = 0, answers = 0;

	for (unsigned int cpu = 0; cpu < smp_cpus(); cpu++) {
		if (!smp_percpu[cpu].online)
			continue;
		if (smp_call_on(cpu, smp_cmd_pong, &answers))
			failed++;
		else
			pinged++;
	}
	if (answers != pinged)
		failed += pinged - answers;
	printk("pvkit: smp ping cpus=%u online=%u pinged=%u failed=%u\n", smp_cpus(),
	       smp_online(), pinged, failed);
}

SERVE_COMMAND(smp, "smp ping: CPUs, online ones, a cross-call to each online CPU", cmd_smp);
