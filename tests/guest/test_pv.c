// SPDX-License-Identifier: MIT
/*
 * pv_ops tests, the same code in every environment: the right backends, interrupt-state
 * nesting that really holds interrupts off, a timer firing 20 times at its period, a clock that
 * never goes backwards, a plausible wall clock, safe_halt never sleeping through an
 * interrupt that was already pending, and every patchable call site patched.
 */
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/timer.h>
#include <pvkit/x86.h>
#include <string.h>
#ifdef CONFIG_XEN_PV
#include <pvkit/xen/pv.h>
#endif

#define MS			1000000ul
#define TIMER_PERIOD		(10 * MS)
#define TIMER_SHOTS		20
#define LATE_FACTOR		10	/* TCG is slow; later than 10x the schedule fails */
#define YEAR_2024		1704067200ul	/* 2024-01-01T00:00:00Z */

static int test_backends(const struct boot_info *bi)
{
	static const struct {
		const char *cpu, *irq, *mmu;
	} want[] = {
		[BOOT_NATIVE] = { "native", "native", "native" },
		[BOOT_XEN_PV] = { "xen-pv", "xen-pv", "xen-pv" },
		[BOOT_XEN_PVH] = { "native", "xen-pvh", "native" },
	};

	ST_CHECK(pv_cpu && pv_irq && pv_mmu && pv_time, "a backend is missing");
	ST_CHECK(!strcmp(pv_cpu->name, want[bi->env].cpu), "cpu backend %s", pv_cpu->name);
	ST_CHECK(!strcmp(pv_irq->name, want[bi->env].irq), "irq backend %s", pv_irq->name);
	ST_CHECK(!strcmp(pv_mmu->name, want[bi->env].mmu), "mmu backend %s", pv_mmu->name);
	ST_CHECK(!strncmp(pv_time->name, bi->env == BOOT_NATIVE ? "native" : "xen", 3),
		 "time backend %s", pv_time->name);
	return 0;
}

static volatile unsigned int shots;
static uint64_t shot_at[TIMER_SHOTS];
static uint64_t shot_deadline;

static void shot_fn(struct os_timer *t)
{
	if (shots < TIMER_SHOTS)
		shot_at[shots] = pv_clock_ns();
	shots++;
	if (shots < TIMER_SHOTS) {
		shot_deadline += TIMER_PERIOD;
		os_timer_add(t, shot_deadline, shot_fn, NULL);
	}
}

static bool all_shots(void *ctx)
{
	return shots >= TIMER_SHOTS;
}

/*
 * 20 shots of a timer that re-arms itself every 10 ms: none early (always a failure: the host
 * can only delay), all 20 within 10x the schedule of the vCPU's running time (st_poll), so a
 * host that does not run us for a while does not make the kernel's timers look late.
 */
static int test_timer_period(const struct boot_info *bi)
{
	static struct os_timer t;
	struct st_watch w;
	uint64_t start;
	int err;

	shots = 0;
	st_watch_start(&w);
	start = w.last;
	shot_deadline = start + TIMER_PERIOD;
	os_timer_add(&t, shot_deadline, shot_fn, NULL);
	err = st_poll(&w, all_shots, NULL, LATE_FACTOR * TIMER_SHOTS * TIMER_PERIOD);
	os_timer_cancel(&t);
	printk("#   %u shots in %lu ms, %lu of them running (asked %lu ms)\n", shots,
	       (w.last - start) / MS, st_watch_ran(&w) / MS, TIMER_SHOTS * TIMER_PERIOD / MS);
	for (unsigned int i = 0; i < MIN(shots, TIMER_SHOTS); i++)
		ST_CHECK(shot_at[i] >= start + (i + 1) * TIMER_PERIOD,
			 "shot %u came %lu ns early", i,
			 start + (i + 1) * TIMER_PERIOD - shot_at[i]);
	if (err == -EBUSY) {
		printk("#   %u shots, none early, but the host let us run only %lu of %lu ms\n",
		       shots, st_watch_ran(&w) / MS, (w.last - start) / MS);
		return ST_BUSY;
	}
	ST_CHECK(!err, "only %u of %u shots within %lu ms of running", shots, TIMER_SHOTS,
		 LATE_FACTOR * TIMER_SHOTS * TIMER_PERIOD / MS);
	return 0;
}

static volatile unsigned int nest_fired;

static void nest_fn(struct os_timer *t)
{
	nest_fired++;
}

static bool nest_done(void *ctx)
{
	return nest_fired > 0;
}

static int test_irq_nesting(const struct boot_info *bi)
{
	static struct os_timer t;
	unsigned long outer, middle, inner;
	struct st_watch w;
	uint64_t due;
	int err;

	ST_CHECK(pv_save_fl() & X86_RFLAGS_IF, "interrupts are off at the start");
	nest_fired = 0;
	outer = pv_irq_save();
	ST_CHECK(!(pv_save_fl() & X86_RFLAGS_IF), "irq_save did not disable");
	middle = pv_irq_save();
	inner = pv_irq_save();
	/* A timer that is due now must wait until the outermost restore. */
	due = pv_clock_ns() + MS;
	os_timer_add(&t, due, nest_fn, NULL);
	while (pv_clock_ns() < due + 2 * MS)
		cpu_relax();
	pv_irq_restore(inner);
	ST_CHECK(!(pv_save_fl() & X86_RFLAGS_IF), "inner restore enabled interrupts");
	pv_irq_restore(middle);
	ST_CHECK(!(pv_save_fl() & X86_RFLAGS_IF), "middle restore enabled interrupts");
	ST_CHECK(nest_fired == 0, "the timer ran while interrupts were off");
	pv_irq_restore(outer);
	ST_CHECK(pv_save_fl() & X86_RFLAGS_IF, "outer restore did not enable");
	st_watch_start(&w);
	err = st_poll(&w, nest_done, NULL, 1000 * MS);
	if (err == -EBUSY) {
		printk("#   held back while off; the host let us run only %lu ms after\n",
		       st_watch_ran(&w) / MS);
		return ST_BUSY;
	}
	ST_CHECK(!err, "the held interrupt never came (in 1 s of running)");
	/* Only IF is the interrupt state: the other flags in a native save may differ. */
	ST_CHECK(!(middle & X86_RFLAGS_IF) && !(inner & X86_RFLAGS_IF) &&
		 (outer & X86_RFLAGS_IF), "saved states %#lx %#lx %#lx", outer, middle, inner);
	return 0;
}

static int test_clock_monotonic(const struct boot_info *bi)
{
	uint64_t first = pv_clock_ns(), prev = first;

	for (unsigned int i = 0; i < 100000; i++) {
		uint64_t now = pv_clock_ns();

		ST_CHECK(now >= prev, "read %u went back %lu ns", i, prev - now);
		prev = now;
	}
	ST_CHECK(prev > first, "the clock did not move in 10^5 reads");
	return 0;
}

static int test_wallclock(const struct boot_info *bi)
{
	uint64_t s1, s2;
	uint32_t ns1, ns2;

	ST_CHECK(!pv_wallclock(&s1, &ns1), "wallclock failed");
	ST_CHECK(s1 >= YEAR_2024, "wall clock says %lu s since 1970: before 2024", s1);
	ST_CHECK(ns1 < 1000000000u, "nanoseconds %u", ns1);
	ST_CHECK(!pv_wallclock(&s2, &ns2), "second read failed");
	ST_CHECK(s2 * 1000000000ull + ns2 >= s1 * 1000000000ull + ns1, "wall clock went back");
	printk("#   wall clock %lu s\n", s1);
	return 0;
}

/*
 * An interrupt that becomes due while interrupts are off must end a later safe_halt: if the
 * wake-up were lost, the halt would never return (and the harness would time out). Under Xen
 * our clock and Xen's may disagree by milliseconds, so the interrupt may also still be on its
 * way when we halt; then the halt simply lasts until it comes. Other interrupts (xenstore,
 * console) may end a halt first: halt again until the timer's has run.
 */
static int test_safe_halt_wakeup(const struct boot_info *bi)
{
	static struct os_timer t;
	uint64_t due, give_up, before = timer_interrupts();

	nest_fired = 0;
	pv_irq_disable();
	due = pv_clock_ns() + MS;
	os_timer_add(&t, due, nest_fn, NULL);
	while (pv_clock_ns() < due + MS)
		cpu_relax();			/* due now, but held */
	give_up = pv_clock_ns() + 1000 * MS;
	do {					/* once at least, whatever the host took */
		pv_safe_halt();			/* enables; returns after an interrupt */
		pv_irq_disable();
	} while (!nest_fired && pv_clock_ns() < give_up);
	pv_irq_enable();
	ST_CHECK(nest_fired == 1, "the timer fired %u times", nest_fired);
	ST_CHECK(timer_interrupts() > before, "no timer interrupt was taken");
	return 0;
}

/* Where the rel32 of an instruction ending at @end points. */
static uintptr_t rel32_target(const uint8_t *rel, uintptr_t end)
{
	int32_t r;

	memcpy(&r, rel, 4);
	return end + (int64_t)r;
}

/*
 * Every record of .pv_patch (scripts/check-image.py checked at link time that there is one
 * for each `call *pv_patch_target` in the text) now holds, at its site, the backend's inline
 * form or a direct call to the backend's own function, then nops; none was refused. With
 * pvkit.pv_patch=0 every site still holds the indirect call. The nesting and halt tests run
 * through the patched sites.
 */
static int test_patch_sites(const struct boot_info *bi)
{
	const void *fn[PV_PATCH_NR] = { (void *)pv_irq->save_fl, (void *)pv_irq->restore_fl,
					(void *)pv_irq->irq_disable, (void *)pv_irq->irq_enable };
	static const uint8_t native_first[PV_PATCH_NR] = { 0x9c, 0x57, 0xfa, 0xfb };
	unsigned int n = __pv_patch_end - __pv_patch_start, inlined = 0, direct = 0;
	const struct pv_patch_stats *st = &pv_patch_stats;
	unsigned long v;

	ST_CHECK(n > 0 && st->sites == n, "%u records, %u seen at boot", n, st->sites);
	ST_CHECK(st->enabled == !(!cmdline_get_ulong(bi->cmdline, PV_PATCH_CMDLINE, &v) && !v),
		 "patching %s, but the command line is \"%s\"", st->enabled ? "on" : "off",
		 bi->cmdline);
	ST_CHECK(st->refused == 0, "%u sites refused", st->refused);
	for (const struct pv_patch_site *s = __pv_patch_start; s < __pv_patch_end; s++) {
		const uint8_t *p = (const uint8_t *)(uintptr_t)s->addr;

		ST_CHECK(s->op < PV_PATCH_NR, "site %#lx: op %u", (unsigned long)s->addr, s->op);
		if (!st->enabled) {
			ST_CHECK(p[0] == 0xff && p[1] == 0x15 &&
				 rel32_target(p + 2, s->addr + 6) == (uintptr_t)&pv_patch_target[s->op],
				 "pvkit.pv_patch=0 but site %#lx (%s) changed", (unsigned long)s->addr,
				 pv_patch_op_name(s->op));
			continue;
		}
		if (p[0] == 0xe8) {
			ST_CHECK(rel32_target(p + 1, s->addr + 5) == (uintptr_t)fn[s->op],
				 "site %#lx (%s) calls %#lx, not the backend's %p",
				 (unsigned long)s->addr, pv_patch_op_name(s->op),
				 (unsigned long)rel32_target(p + 1, s->addr + 5), fn[s->op]);
			direct++;
		} else if (pv_irq->patch == PV_IRQ_INLINE_NATIVE) {
			ST_CHECK(p[0] == native_first[s->op], "site %#lx (%s) starts with %#x",
				 (unsigned long)s->addr, pv_patch_op_name(s->op), p[0]);
			inlined++;
#ifdef CONFIG_XEN_PV
		} else if (pv_irq->patch == PV_IRQ_INLINE_XEN_PV) {
			/* xorl %eax,%eax; movq %gs:PERCPU_VCPU_INFO_OFF(%rax),%rax */
			ST_CHECK(p[0] == 0x31 && p[1] == 0xc0 && p[2] == 0x65 && p[3] == 0x48 &&
				 p[4] == 0x8b && p[5] == 0x40 && p[6] == PERCPU_VCPU_INFO_OFF,
				 "site %#lx (%s) does not load this vCPU's vcpu_info",
				 (unsigned long)s->addr, pv_patch_op_name(s->op));
			inlined++;
#endif
		} else {
			ST_CHECK(false, "site %#lx (%s) not patched: starts with %#x",
				 (unsigned long)s->addr, pv_patch_op_name(s->op), p[0]);
		}
	}
	if (st->enabled)
		ST_CHECK(inlined == st->inlined && inlined + direct == n,
			 "%u inline + %u direct of %u; boot said %u inline", inlined, direct, n,
			 st->inlined);
	printk("#   %u sites: %u inline, %u direct calls%s\n", n, inlined, direct,
	       st->enabled ? "" : " (pvkit.pv_patch=0: all indirect)");
	return 0;
}

static const struct selftest pv_tests[] = {
	{ test_backends, "pv_ops: the backends match the environment", ST_ALL },
	{ test_patch_sites, "pv_ops: every irq call site patched for this backend", ST_ALL },
	{ test_irq_nesting, "irq: save/restore nests and holds interrupts back", ST_ALL },
	{ test_safe_halt_wakeup, "irq: safe_halt never sleeps through a pending interrupt", ST_ALL },
	{ test_timer_period, "timer: 20 shots at a 10 ms period, none early or 10x late", ST_ALL },
	{ test_clock_monotonic, "clock: monotonic across 10^5 reads", ST_ALL },
	{ test_wallclock, "clock: wall clock after 2024 and not going back", ST_ALL },
};
SELFTEST_TABLE(30, pv_tests);
