// SPDX-License-Identifier: MIT
/*
 * Suspending the domain for the toolstack (docs/suspend.md; facts in LIFECYCLE.md).
 *
 * libxl asks (control/shutdown or the suspend event channel, taken by control.c), then waits
 * for the domain to shut down with reason SHUTDOWN_suspend; the save code then reads our
 * memory. We go there with SCHEDOP_shutdown(SHUTDOWN_suspend). The call returns
 *   1  the suspend was cancelled (xl save -c, a failed save or migration: libxc's cooperative
 *      resume sets our rax to 1): the same domain, every grant, port and frame as before;
 *   0  we run in a new domain (xl restore, the far end of a migration).
 *
 * PV, before the call (Linux arch/x86/xen/suspend_pv.c does the same): the restore side reads
 * start_info's store and console frames as PFNs (it turns them into the new MFNs), so they are
 * written as PFNs into the builder's start_info page (the one the third argument names; our
 * copy, xen_start_info, keeps the MFNs); and shared_info is unmapped, because the save code
 * refuses a page-table entry that maps a frame outside our p2m (the grant table's frames leave
 * our page tables too, gnttab_suspend). PVH: the third argument is 0,
 * nothing else (its shared_info is a frame of our physical map, re-added after a restore).
 *
 * After a return of 0 every layer is set up again in the new domain, bottom up
 * (xen_resume_platform, xen_resume_services; docs/suspend.md "Resume").
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>
#include <pvkit/xen/console.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/spinlock.h>
#include <pvkit/xen/vcpu_info.h>
#include <pvkit/xen/p2m.h>
#include <pvkit/xen/smp.h>
#include <pvkit/xen/suspend.h>
#include <pvkit/xen/xen.h>
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>
#include <string.h>
#include <xen/sched.h>

static struct {
	const struct boot_info *bi;	/* env, and for a restore the console's way back */
	start_info_t *si_page;		/* PV: the builder's start_info page (kernel window) */
	unsigned long si_pfn;		/* PV: its frame; SCHEDOP_shutdown's third argument is
					 * its MFN at the time (a restore moves it: never keep
					 * the MFN, libxc would write start_info elsewhere) */
} susp;

static struct xen_suspend_stats stats;
static struct xs_resume_stats xs_before;	/* xenstore's resume counters before this one */

static const char *const source_names[] = {
	[XEN_SUSPEND_XENSTORE] = "xenstore",
	[XEN_SUSPEND_EVTCHN] = "evtchn",
};

int xen_suspend_init(const struct boot_info *bi)
{
#ifdef CONFIG_XEN_PV
	if (bi->env == BOOT_XEN_PV) {
		unsigned long pfn = bi->start_info_pa >> PAGE_SHIFT;
		start_info_t *si = os_phys_to_virt(bi->start_info_pa);

		/* The page the builder gave must still be there and be what we copied. */
		if (bi->start_info_pa & (PAGE_SIZE - 1) || pfn >= xen_start_info.nr_pages ||
		    memcmp(si->magic, xen_start_info.magic, sizeof(si->magic)))
			return -EINVAL;
		susp.si_page = si;
		susp.si_pfn = pfn;
	}
#endif
	susp.bi = bi;
	return 0;
}

/* Wall-clock milliseconds (the guest's own view), 0 if the clock is not there. */
static uint64_t wall_ms(void)
{
	uint64_t sec;
	uint32_t nsec;

	if (pv_wallclock(&sec, &nsec))
		return 0;
	return sec * 1000 + nsec / 1000000;
}

#ifdef CONFIG_XEN_PV
/* The store and console frames as the restore side reads them: PFNs. */
static int xen_pv_pre_suspend(void)
{
	unsigned long store = xen_pv_mfn_to_pfn(xen_start_info.store_mfn);
	unsigned long cons = xen_pv_mfn_to_pfn(xen_start_info.console.domU.mfn);
	int err;

	if (store == ~0ul || cons == ~0ul)
		return -EINVAL;		/* not our frames: the save could not use them either */
	err = xen_pv_unmap_shared_info();
	if (err)
		goto out_map_again;
	WRITE_ONCE(susp.si_page->store_mfn, store);
	WRITE_ONCE(susp.si_page->console.domU.mfn, cons);
	return 0;

out_map_again:
	if (xen_pv_map_shared_info())
		panic("xen-pv: suspend: shared_info lost and cannot be mapped again");
	return err;
}

/* Cancelled: the same domain; our start_info page and mapping as they were. */
static void xen_pv_post_cancel(void)
{
	WRITE_ONCE(susp.si_page->store_mfn, xen_start_info.store_mfn);
	WRITE_ONCE(susp.si_page->console.domU.mfn, xen_start_info.console.domU.mfn);
	if (xen_pv_map_shared_info())
		panic("xen-pv: resume: cannot map shared_info again");
}
#endif

/* A resume step that failed: the guest cannot go on in the new domain without it. */
static __noreturn void xen_resume_fatal(const char *step, int err)
{
	printk("pvkit: resume failed: %s: %d; stopping\n", step, err);
	xen_shutdown(XEN_SHUTDOWN_CRASH);
	for (;;)
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
}

/*
 * We run in a new domain (xl restore, the far end of a migration), interrupts off. Every
 * frame has a new MFN, shared_info is a new page, and no port, grant-table frame or
 * xenstore connection of the old domain exists. Layer by layer, bottom up (docs/suspend.md):
 * what lets us print first, then events, grants, time, console input, xenstore's ring.
 * Returns the wall-clock downtime; the steps that need interrupts (xenstore requests) follow
 * in xen_resume_services().
 */
static uint64_t xen_resume_platform(uint64_t before_ms, uint64_t clock_before)
{
	struct gnttab_resume_stats gs;
	struct gnttab_stats gt;
	struct evtchn_stats es;
	uint64_t lost_before;
	uint64_t after_ms, down;
	int err = 0;

	xen_vcpu_info_lost();		/* a new domain: no vcpu_info registered in it */
#ifdef CONFIG_XEN_PV
	if (susp.si_page) {
		/* The restore rewrote the page: new store/console MFNs and ports, shared_info. */
		memcpy(&xen_start_info, susp.si_page, sizeof(xen_start_info));
		err = xen_pv_map_shared_info();
		if (err)
			xen_resume_fatal("shared_info", err);	/* prints into the void, tries */
		pv_irq_disable();	/* the flag lives in the new page: off, as it was */
	}
#endif
#ifdef CONFIG_XEN_PVH
	if (susp.bi->env == BOOT_XEN_PVH) {
		err = xen_pvh_resume();
		if (err)
			xen_resume_fatal("shared_info and upcall vector", err);
	}
#endif
	err = xencons_resume_output(susp.bi);	/* from here on we are heard */
	if (err)
		xen_resume_fatal("console", err);
	/* vCPU 0's vcpu_info in our memory again before anything reads it (its slot meanwhile).
	 * The other vCPUs: PV starts them again registered; PVH's run on and register in
	 * xen_resume_services(). */
	err = xen_vcpu_info_register_self();
	if (err)
		printk("pvkit: resume: vcpu 0: VCPUOP_register_vcpu_info: %d (stays in "
		       "shared_info)\n", err);
#ifdef CONFIG_XEN_PV
	if (susp.si_page) {
		err = xen_pv_p2m_rebuild();	/* the next save reads it: a warning */
		if (err)
			printk("pvkit: warning: p2m not published again (%d): xl save of this "
			       "domain cannot work\n", err);
	}
#endif
	evtchn_get_stats(&es);
	lost_before = es.lost;
	err = evtchn_resume();
	if (err)
		xen_resume_fatal("event channels", err);
	err = gnttab_resume(&gs);
	if (err)
		xen_resume_fatal("grant table", err);
	after_ms = wall_ms();
	down = after_ms > before_ms ? after_ms - before_ms : 0;
	err = xen_time_resume(down * 1000000);
	if (err)
		xen_resume_fatal("clock and timer", err);
	err = xencons_resume_input();
	if (err)
		printk("pvkit: resume: console input lost: %d\n", err);	/* output still works */
	xs_get_resume_stats(&xs_before);
	err = xs_resume(susp.bi);
	if (err)
		xen_resume_fatal("xenstore", err);
	evtchn_get_stats(&es);
	gnttab_get_stats(&gt);
	printk("pvkit: resume: evtchn abi=%s lost=%lu; gnttab frames=%u regranted=%u "
	       "deferred_freed=%u; clock %lu -> %lu ms\n", evtchn_abi()->name, es.lost - lost_before,
	       gt.frames, gs.regranted, gs.deferred_freed, clock_before / 1000000,
	       os_clock_ns() / 1000000);
	return down;
}

/* Interrupts on again: what talks to xenstore. Every watch registered again first, then the
 * frontends reconnect their devices (each unwatches its old backend and watches the new
 * one). The control nodes follow from control.c. */
static void xen_resume_services(void)
{
	const struct xs_resume_stats *before = &xs_before;
	struct xs_resume_stats after;
	int err;

	err = xs_resume_watches();
	xs_get_resume_stats(&after);
	if (err)
		printk("pvkit: resume: %u watches refused (first: %d): their events are lost\n",
		       after.watch_failed - before->watch_failed, err);
	printk("pvkit: resume: xenstore watches=%u txn_stale=%u\n",
	       after.watches - before->watches, after.txn_stale - before->txn_stale);
	xenbus_frontends_resume();
}

int xen_suspend(enum xen_suspend_source source, struct xen_suspend_result *res)
{
	struct sched_shutdown sd = { .reason = SHUTDOWN_suspend };
	unsigned long srec = 0, fl;
	uint64_t before, after, clock_before;
	int ret;

	if (!susp.bi || source >= ARRAY_SIZE(source_names))
		return -EINVAL;
	stats.requests++;
	printk("pvkit: suspend requested by %s\n", source_names[source]);
#ifdef CONFIG_XEN_PV
	/* PV: the other vCPUs down first (the save skips them), started again after. */
	if (susp.si_page) {
		ret = xen_pv_smp_suspend();
		if (ret) {
			stats.failed++;
			printk("pvkit: suspend failed: %d\n", ret);
			return ret;
		}
	}
#endif
	xen_spin_suspend();		/* the lock op's ports are this domain's */
	before = wall_ms();
	fl = pv_save_fl();
	pv_irq_disable();		/* nothing of ours runs until we are back */
	xencons_flush();		/* the lines above reach dom0 before we stop */
	xenbus_frontends_suspend();	/* each driver, each device (blkfront: its clock) */
	ret = gnttab_suspend();		/* the grants' copy; PV: Xen's frames out of our tables */
	if (ret)
		goto out_restore;
#ifdef CONFIG_XEN_PV
	if (susp.si_page) {
		ret = xen_pv_pre_suspend();
		if (ret)
			goto out_gnttab;
		srec = xen_pv_pfn_to_mfn(susp.si_pfn);	/* this domain's */
	}
#endif
	clock_before = xen_time_suspend();
	ret = xen_hypercall3(__HYPERVISOR_sched_op, SCHEDOP_shutdown, &sd, srec);
	if (ret == 0) {
		res->cancelled = 0;
		res->downtime_ms = xen_resume_platform(before, clock_before);
#ifdef CONFIG_XEN_PV
		if (susp.si_page)
			xen_pv_smp_resume(false);	/* new ports, a fresh start each */
#endif
		xen_spin_resume(false);		/* new ports */
		xen_vcpu_info_register_online();	/* PVH: the vCPUs Xen restored running */
		stats.resumed++;
		stats.last_downtime_ms = res->downtime_ms;
		printk("pvkit: resumed cancelled=0 downtime_ms=%lu\n", res->downtime_ms);
		pv_restore_fl(fl);
		xen_resume_services();
		return 0;
	}
#ifdef CONFIG_XEN_PV
	if (susp.si_page)
		xen_pv_post_cancel();	/* 1 or a failed call: the same domain either way */
out_gnttab:
#endif
	if (gnttab_resume_cancelled())
		panic("xen: resume: grant table frames cannot be mapped again");
out_restore:
#ifdef CONFIG_XEN_PV
	if (susp.si_page)
		xen_pv_smp_resume(true);	/* each goes on where it was */
#endif
	xen_spin_resume(true);
	pv_restore_fl(fl);
	if (ret < 0) {
		stats.failed++;
		printk("pvkit: suspend failed: %d\n", ret);
		return ret;
	}
	after = wall_ms();
	res->cancelled = 1;
	res->downtime_ms = after > before ? after - before : 0;
	stats.cancelled++;
	stats.last_downtime_ms = res->downtime_ms;
	printk("pvkit: resumed cancelled=1 downtime_ms=%lu\n", res->downtime_ms);
	return 0;
}

void xen_suspend_get_stats(struct xen_suspend_stats *st)
{
	*st = stats;
}
