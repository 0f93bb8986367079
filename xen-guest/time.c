// SPDX-License-Identifier: MIT
/*
 * The Xen time backend, shared by PV and PVH: the clock is Xen's system time from vcpu_info's
 * vcpu_time_info (pvclock, lib/pvclock.c), the wall clock shared_info's wc_* plus that, and the
 * one-shot timer VCPUOP_set_singleshot_timer, delivered on VIRQ_TIMER (public/vcpu.h).
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/pvclock.h>
#include <pvkit/x86.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/pv.h>
#ifdef __PVKIT_KERNEL__
#include <pvkit/smp.h>
#include <pvkit/xen/hypercall.h>
#else
/* Hosted unit test (tests/unit/test_xen_time.c): a fake Xen answers the vCPU calls. */
int HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg);
#endif
#include <pvkit/xen/xen.h>
#include <xen/vcpu.h>

/* Timer events before the deadline (our clock behind Xen's) re-armed before we fire anyway. */
#define XEN_TIMER_EARLY_MAX	1000

/* Our structs are Xen's layouts: checked here, where both are visible. */
BUILD_BUG_ON(sizeof(struct pvclock_vcpu_time_info) != sizeof(struct vcpu_time_info));
BUILD_BUG_ON(offsetof(struct pvclock_vcpu_time_info, tsc_timestamp) !=
	     offsetof(struct vcpu_time_info, tsc_timestamp));
BUILD_BUG_ON(offsetof(struct pvclock_vcpu_time_info, system_time) !=
	     offsetof(struct vcpu_time_info, system_time));
BUILD_BUG_ON(offsetof(struct pvclock_vcpu_time_info, tsc_to_system_mul) !=
	     offsetof(struct vcpu_time_info, tsc_to_system_mul));
BUILD_BUG_ON(offsetof(struct pvclock_vcpu_time_info, tsc_shift) !=
	     offsetof(struct vcpu_time_info, tsc_shift));
BUILD_BUG_ON(offsetof(shared_info_t, wc_sec) != offsetof(shared_info_t, wc_version) + 4);
BUILD_BUG_ON(offsetof(shared_info_t, wc_nsec) != offsetof(shared_info_t, wc_version) + 8);
BUILD_BUG_ON(offsetof(shared_info_t, wc_sec_hi) != offsetof(shared_info_t, wc_version) + 12);

static struct {
	bool ready;			/* init done: base and the timer port are valid */
	/* Xen system time when our clock read 0, modulo 2^64: after a resume (xen_time_resume)
	 * Xen's time may have started again below our clock, so base "wraps below 0". */
	uint64_t base;
	uint64_t last;			/* largest clock_ns returned: it never goes back */
	uint64_t tsc_khz;		/* from tsc_to_system_mul/tsc_shift at init */
	uint64_t deadline;		/* armed one-shot in our clock; 0: none */
	unsigned int early;		/* consecutive timer events before the deadline */
	evtchn_port_t timer_port;	/* VIRQ_TIMER */
} xen_time;

/* Read fresh each time: under PV, shared_info moves across a suspend. The record is the one
 * of the vCPU we run on (its tsc_timestamp is of the TSC we read next): PV has each CPU's
 * vcpu_info in its per-CPU area; PVH (no pointer there) reads vCPU 0's. */
static const struct pvclock_vcpu_time_info *xen_time_info(void)
{
	struct vcpu_info *v = NULL;

#ifdef __PVKIT_KERNEL__
	v = smp_this()->vcpu_info;
#endif
	if (!v)
		v = xen_vcpu0_info();	/* vCPU 0's: registered, or its slot */
	return (const struct pvclock_vcpu_time_info *)&v->time;
}

/* lfence first: rdtsc must not be executed before the version read above it. */
static uint64_t xen_time_rdtsc(void *ctx)
{
	__asm__ __volatile__("lfence" ::: "memory");
	return rdtsc();
}

static int xen_time_system_ns(uint64_t *ns)
{
	return pvclock_read(xen_time_info(), xen_time_rdtsc, NULL, ns);
}

uint64_t xen_time_abs_after(uint64_t rel_ns)
{
	uint64_t sys;

	if (xen_time_system_ns(&sys))
		return 1;			/* in the past: a poll returns at once */
	return sys + rel_ns;
}

static uint64_t xen_clock_ns(void)
{
	uint64_t sys;

	int64_t d;

	if (!READ_ONCE(xen_time.ready) || xen_time_system_ns(&sys))
		return READ_ONCE(xen_time.last);	/* never settled: time stands still */
	d = (int64_t)(sys - xen_time.base);		/* modulo 2^64, see base */
	return pvclock_monotonic(&xen_time.last, d > 0 ? (uint64_t)d : 0);
}

static int xen_wallclock(uint64_t *sec, uint32_t *nsec)
{
	shared_info_t *s = READ_ONCE(xen_shared_info);
	uint64_t sys;
	int err;

	if (!s)
		return -ENODEV;
	err = xen_time_system_ns(&sys);
	if (err)
		return err;
	return pvclock_wallclock((const struct pvclock_wall_clock *)&s->wc_version, sys, sec, nsec);
}

static int xen_timer_arm(uint64_t deadline)
{
	struct vcpu_set_singleshot_timer t = {
		/* Xen's absolute system time (modulo 2^64, as base); a deadline already past
		 * fires at once, one past 2^63 ns (292 years) never. */
		.timeout_abs_ns = (int64_t)deadline < 0 ? UINT64_MAX : deadline + xen_time.base,
		.flags = 0,
	};

	return HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, &t);
}

static int xen_set_timer(uint64_t deadline)
{
	if (!xen_time.ready)
		return -ENODEV;
	WRITE_ONCE(xen_time.deadline, deadline);
	xen_time.early = 0;
	if (!deadline)
		return HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, NULL);
	return xen_timer_arm(deadline);
}

static uint64_t xen_tsc_khz(void)
{
	return xen_time.tsc_khz;
}

/*
 * VIRQ_TIMER. Xen fires when its own clock passes the deadline; ours is extrapolated from the
 * last vcpu_time_info update and may still be a little behind. The kernel is promised
 * pv_timer_fire() at or after the deadline by pv_clock_ns(), so an early event re-arms (Xen
 * fires again at once, and our clock catches up), a bounded number of times. An event with
 * nothing armed is a leftover of a cancelled or replaced timer.
 */
static void xen_timer_event(evtchn_port_t port, void *ctx)
{
	uint64_t deadline = READ_ONCE(xen_time.deadline);

	if (!deadline)
		return;
	if (xen_clock_ns() < deadline && ++xen_time.early <= XEN_TIMER_EARLY_MAX) {
		xen_timer_arm(deadline);
		return;
	}
	WRITE_ONCE(xen_time.deadline, 0);
	xen_time.early = 0;
	pv_timer_fire();
}

/* Xen gives every vCPU a 10 ms periodic VIRQ_TIMER by default (a new domain too): we only
 * want ours. Then VIRQ_TIMER bound, handled and unmasked. */
static int xen_time_bind(void)
{
	evtchn_port_t port;
	int err;

	err = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);
	if (err) {
		printk("pvkit: xen clock: VCPUOP_stop_periodic_timer failed: %d\n", err);
		return err;
	}
	err = evtchn_bind_virq(VIRQ_TIMER, 0, &port);
	if (err) {
		printk("pvkit: xen clock: cannot bind VIRQ_TIMER: %d\n", err);
		return err;
	}
	err = evtchn_set_handler(port, xen_timer_event, NULL);
	if (err)
		goto out_close;
	xen_time.timer_port = port;
	WRITE_ONCE(xen_time.ready, true);
	err = evtchn_unmask(port);
	if (err)
		goto out_not_ready;
	return 0;

out_not_ready:
	WRITE_ONCE(xen_time.ready, false);
out_close:
	evtchn_close(port);
	return err;
}

/* Xen's system time now and the TSC rate it states, checked. */
static int xen_time_calibrate(uint64_t *sys)
{
	const struct pvclock_vcpu_time_info *ti = xen_time_info();
	uint64_t khz;
	int err;

	err = xen_time_system_ns(sys);
	if (err) {
		printk("pvkit: xen clock: vcpu_time_info never consistent (version %u)\n",
		       READ_ONCE(ti->version));
		return err;
	}
	khz = pvclock_tsc_khz(ti);
	if (!khz) {
		printk("pvkit: xen clock: tsc_to_system_mul is 0\n");
		return -EINVAL;
	}
	xen_time.tsc_khz = khz;
	return 0;
}

/* After pv_irq->init (event channels exist). Leaves the timer port unmasked: the timer works
 * as soon as the kernel enables interrupts. */
static int xen_time_init(const struct boot_info *bi)
{
	uint64_t sys;
	int err;

	if (!xen_shared_info)
		return -ENODEV;
	err = xen_time_calibrate(&sys);
	if (err)
		return err;
	xen_time.base = sys;
	xen_time.last = 0;
	xen_time.deadline = 0;
	err = xen_time_bind();
	if (err)
		return err;
	printk("pvkit: xen clock: tsc %lu kHz, system time %lu s\n", xen_time.tsc_khz,
	       sys / NSEC_PER_SEC);
	return 0;
}

uint64_t xen_time_suspend(void)
{
	return xen_clock_ns();		/* also the largest value handed out: last */
}

int xen_time_resume(uint64_t advance_ns)
{
	uint64_t sys, deadline;
	int err;

	if (!xen_shared_info)
		return -ENODEV;
	WRITE_ONCE(xen_time.ready, false);	/* the old port and base mean nothing now */
	err = xen_time_calibrate(&sys);
	if (err)
		return err;
	/* Our clock reads last + advance now, and runs on with Xen's. */
	xen_time.base = sys - xen_time.last - advance_ns;
	xen_time.early = 0;
	err = xen_time_bind();
	if (err)
		return err;
	deadline = READ_ONCE(xen_time.deadline);
	if (deadline)
		err = xen_timer_arm(deadline);	/* past already: Xen fires at once */
	return err;
}

const struct pv_time_ops xen_time_ops = {
	.name      = "xen",
	.init      = xen_time_init,		/* stop periodic timer, bind VIRQ_TIMER */
	.clock_ns  = xen_clock_ns,		/* pvclock - system time at init, monotonic */
	.wallclock = xen_wallclock,		/* shared_info wc_* + system time */
	.set_timer = xen_set_timer,		/* VCPUOP_set/stop_singleshot_timer */
	.tsc_khz   = xen_tsc_khz,		/* from tsc_to_system_mul and tsc_shift */
};
