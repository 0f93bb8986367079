// SPDX-License-Identifier: MIT
/*
 * The Xen time backend (xen-guest/time.c) across a resume in a new domain (issue 13), against a
 * fake Xen: a vcpu_time_info whose system time the test sets (the TSC's share scaled to
 * nothing), the vCPU calls and VIRQ_TIMER's binding recorded. Xen's time in the new domain has
 * another origin, earlier or later than ours: our clock goes on from where it stopped plus the
 * downtime given, never back; the timer is bound again and an armed deadline armed again at
 * the same point of our clock.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <pvkit/errno.h>
#include <pvkit/pv.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>
#include <xen/vcpu.h>
#include "unit.h"

#define MS	1000000ull
#define SEC	(1000 * MS)

static shared_info_t fake_si;
shared_info_t *xen_shared_info;
struct vcpu_info *xen_vcpu0;		/* vCPU 0's registered vcpu_info: NULL, the slot */

static struct {
	unsigned int binds, closes, stops, periodic_stops, arms, fires;
	uint64_t armed_abs;		/* the last VCPUOP_set_singleshot_timer */
	evtchn_port_t next_port;
	evtchn_handler_t fn;		/* VIRQ_TIMER's handler */
	bool unmasked;
} fx;

int printk(const char *fmt, ...)
{
	va_list ap;

	printf("#   printk: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	return 0;
}

int HYPERVISOR_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	CHECK(vcpu == 0);
	switch (cmd) {
	case VCPUOP_stop_periodic_timer:
		fx.periodic_stops++;
		return 0;
	case VCPUOP_stop_singleshot_timer:
		fx.stops++;
		return 0;
	case VCPUOP_set_singleshot_timer:
		fx.arms++;
		fx.armed_abs = ((struct vcpu_set_singleshot_timer *)arg)->timeout_abs_ns;
		return 0;
	}
	return -ENOSYS;
}

int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port)
{
	CHECK(virq == VIRQ_TIMER && vcpu == 0);
	fx.binds++;
	*port = fx.next_port++;
	fx.fn = NULL;
	fx.unmasked = false;
	return 0;
}

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx)
{
	fx.fn = fn;
	return 0;
}

int evtchn_unmask(evtchn_port_t port)
{
	fx.unmasked = true;
	return 0;
}

int evtchn_close(evtchn_port_t port)
{
	fx.closes++;
	return 0;
}

void pv_timer_fire(void)
{
	fx.fires++;
}

/* Xen's system time now (the TSC adds nothing: mul 1 with a shift that drops every bit). */
static void xen_now(uint64_t ns)
{
	struct vcpu_time_info *t = &fake_si.vcpu_info[0].time;

	t->version += 2;
	t->system_time = ns;
	t->tsc_timestamp = 0;
	t->tsc_to_system_mul = 1;
	t->tsc_shift = -63;
}

static void setup(uint64_t xen_ns)
{
	memset(&fx, 0, sizeof(fx));
	memset(&fake_si, 0, sizeof(fake_si));
	fx.next_port = 5;
	xen_shared_info = &fake_si;
	xen_now(xen_ns);
	CHECK(xen_time_ops.init(NULL) == 0);
	CHECK(fx.binds == 1 && fx.fn && fx.unmasked && fx.periodic_stops == 1);
}

/* The new host's Xen booted later than ours (its time is smaller): the clock goes on from its
 * last value plus the downtime, then runs with Xen's; nothing goes back. */
static void resume_to_an_earlier_xen(void)
{
	uint64_t before, after;

	setup(50 * SEC);
	xen_now(53 * SEC);
	before = xen_time_ops.clock_ns();
	CHECK(before == 3 * SEC);
	CHECK(xen_time_suspend() == before);
	xen_now(2 * SEC);			/* the new Xen: up for 2 s */
	CHECK(xen_time_resume(4 * SEC) == 0);	/* we were gone 4 s by the wall clock */
	after = xen_time_ops.clock_ns();
	CHECKF(after == 7 * SEC, "clock %lu ms after", (unsigned long)(after / MS));
	xen_now(2 * SEC + 500 * MS);
	CHECK(xen_time_ops.clock_ns() == 7 * SEC + 500 * MS);	/* runs on with Xen's */
	CHECK(fx.binds == 2 && fx.fn && fx.unmasked && fx.periodic_stops == 2);
	CHECK(fx.closes == 0);			/* the old port is not ours to close */
}

/* A later Xen (its time larger), no downtime known: the clock goes on from where it stopped. */
static void resume_to_a_later_xen(void)
{
	setup(1 * SEC);
	xen_now(11 * SEC);
	CHECK(xen_time_suspend() == 10 * SEC);
	xen_now(1000 * SEC);
	CHECK(xen_time_resume(0) == 0);
	CHECK(xen_time_ops.clock_ns() == 10 * SEC);
	xen_now(1001 * SEC);
	CHECK(xen_time_ops.clock_ns() == 11 * SEC);
}

/* An armed one-shot is armed again at the same point of our clock (Xen's absolute time for it
 * is the new one); when it fires, the kernel hears of it once. */
static void timer_armed_again(void)
{
	setup(100 * SEC);
	xen_now(101 * SEC);
	CHECK(xen_time_ops.set_timer(5 * SEC) == 0);		/* our 5 s = Xen's 105 s */
	CHECK(fx.armed_abs == 105 * SEC);
	xen_time_suspend();
	xen_now(7 * SEC);
	CHECK(xen_time_resume(2 * SEC) == 0);			/* our clock: 3 s now */
	CHECKF(fx.armed_abs == 9 * SEC, "armed at %lu ms of Xen's", (unsigned long)(fx.armed_abs / MS));
	xen_now(9 * SEC);
	fx.fn(fx.next_port - 1, NULL);
	CHECK(fx.fires == 1);
	fx.fn(fx.next_port - 1, NULL);				/* a leftover: nothing armed */
	CHECK(fx.fires == 1);
}

/* A deadline at the end of time is never (no wrap into the past): after a resume that moved
 * base below 0 too. */
static void far_deadline(void)
{
	setup(50 * SEC);
	xen_now(60 * SEC);
	xen_time_suspend();
	xen_now(1 * SEC);
	CHECK(xen_time_resume(0) == 0);
	CHECK(xen_time_ops.set_timer(UINT64_MAX) == 0 && fx.armed_abs == UINT64_MAX);
	CHECK(xen_time_ops.set_timer(11 * SEC) == 0 && fx.armed_abs == 2 * SEC);
}

UNIT_CASES(
	{ resume_to_an_earlier_xen, "xen time: resume onto an earlier Xen: on by the downtime, never back" },
	{ resume_to_a_later_xen, "xen time: resume onto a later Xen: on from where it stopped" },
	{ timer_armed_again, "xen time: an armed timer armed again at the same point of our clock" },
	{ far_deadline, "xen time: a deadline at the end of time stays never after a resume" },
);
