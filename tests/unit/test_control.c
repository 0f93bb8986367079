// SPDX-License-Identifier: MIT
/*
 * The toolstack control handshake (xen-guest/control.c) with the real xenstore client against
 * fake_xenstored: what is published, a suspend request taken exactly once (cleared in the
 * transaction that read it) and acted on from the idle loop only, the suspend event channel's
 * fast path, and hostile values in control/shutdown: near misses of "suspend", embedded NULs,
 * values too long. The suspend itself (suspend.c) is faked here: it is a hypercall.
 */
#include <stdio.h>
#include <string.h>
#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/idle.h>
#include <pvkit/xen/control.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/suspend.h>
#include <pvkit/xen/xenstore.h>
#include "../../xen-guest/xs_proto.h"
#include "fake_xenstored.h"
#include "unit.h"

#define DOMID		9
#define HOME		"/local/domain/9"
#define NEW_DOMID	12		/* the domain a restore makes */
#define NEW_HOME	"/local/domain/12"
#define SUSPEND_PORT	23		/* what the fake hands out for the fast path */

/* ---- the kernel and Xen around control.c ------------------------------------------------ */

static struct os_poller *poller;
static struct {
	unsigned int calls;		/* xen_suspend() */
	enum xen_suspend_source last;	/* its source */
	int ret;			/* what it returns */
	int init_ret;			/* what xen_suspend_init() returns */
	bool new_domain;		/* xen_suspend() "resumes" in a new domain */
	unsigned int stops;		/* the kernel's control_fn */
	enum xen_control_request stop;
} k;
static struct {
	int alloc_ret;			/* evtchn_alloc_unbound's answer */
	unsigned int allocs, closes;
	domid_t remote;			/* who may bind */
	evtchn_handler_t fn;		/* the handler set on SUSPEND_PORT */
	bool unmasked;
} ev;

void os_poller_register(struct os_poller *p)
{
	poller = p;
}

int xen_suspend_init(const struct boot_info *bi)
{
	return k.init_ret;
}

int xen_suspend(enum xen_suspend_source source, struct xen_suspend_result *res)
{
	k.calls++;
	k.last = source;
	if (k.ret)
		return k.ret;
	res->cancelled = 1;
	res->downtime_ms = 5;
	if (k.new_domain) {
		/* What suspend.c does below us: a new xenstored connection with nothing of ours
		 * (new domid, empty home), every port gone, the watches registered again. */
		res->cancelled = 0;
		fxs_init(NEW_DOMID, "guest-nine", 0);
		evtchn_clear_handler(FXS_PORT);
		ev.fn = NULL;
		ev.unmasked = false;
		CHECK(xs_resume_ring(fxs.ring, FXS_PORT) == 0);
		CHECK(xs_resume_watches() == 0);
	}
	return 0;
}

/* control.c's event-channel calls, renamed to these (tests/unit/Makefile): the xenstore
 * ring's own port stays fake_xenstored's. */
int ctl_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);
int ctl_evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx);
int ctl_evtchn_unmask(evtchn_port_t port);
int ctl_evtchn_close(evtchn_port_t port);

int ctl_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
	ev.allocs++;
	if (ev.alloc_ret)
		return ev.alloc_ret;
	ev.remote = remote;
	*port = SUSPEND_PORT;
	return 0;
}

int ctl_evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx)
{
	if (port != SUSPEND_PORT || !fn)
		return -EINVAL;
	ev.fn = fn;
	return 0;
}

int ctl_evtchn_unmask(evtchn_port_t port)
{
	ev.unmasked = port == SUSPEND_PORT;
	return ev.unmasked ? 0 : -EINVAL;
}

int ctl_evtchn_close(evtchn_port_t port)
{
	ev.closes++;
	ev.fn = NULL;
	return 0;
}

static void stop(enum xen_control_request req)
{
	k.stops++;
	k.stop = req;
}

/* ---- fixture ------------------------------------------------------------------------------ */

static unsigned int idle(void)
{
	return poller ? poller->poll() : 0;
}

static struct boot_info bi;
static int init_ret_next;		/* xen_suspend_init()'s answer for the next setup() */

/* A fresh daemon, client and control module; @cmdline for the guest. */
static int setup(const char *cmdline)
{
	int err;

	memset(&k, 0, sizeof(k));
	k.init_ret = init_ret_next;
	init_ret_next = 0;
	memset(&ev, 0, sizeof(ev));
	poller = NULL;
	unit_log_reset();
	xs_reset();
	xen_control_reset();
	fxs_init(DOMID, "guest-nine", 0);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
	memset(&bi, 0, sizeof(bi));
	snprintf(bi.cmdline, sizeof(bi.cmdline), "%s", cmdline);
	err = xen_control_init(&bi, stop);
	fxs_pump();
	return err;
}

static struct xen_control_stats stats(void)
{
	struct xen_control_stats s;

	xen_control_get_stats(&s);
	return s;
}

/* dom0 writes @value (@len bytes) to control/shutdown; the guest's watch runs. */
static void request(const char *value, uint32_t len)
{
	fxs_set_bytes(HOME "/control/shutdown", value, len);
	fxs_pump();
}

/* ---- cases -------------------------------------------------------------------------------- */

static void publishes(void)
{
	const char *p;

	CHECK(setup("") == 0);
	CHECK((p = fxs_get(HOME "/control/feature-poweroff")) && !strcmp(p, "1"));
	CHECK((p = fxs_get(HOME "/control/feature-reboot")) && !strcmp(p, "1"));
	/* A restored or migrated guest runs on, devices included (issue 13). */
	CHECK((p = fxs_get(HOME "/control/feature-suspend")) && !strcmp(p, "1"));
	CHECK((p = fxs_get(HOME "/device/suspend/event-channel")) && !strcmp(p, "23"));
	CHECK(ev.remote == 0 && ev.fn && ev.unmasked);	/* dom0 binds to it; it is live */
	CHECK(poller != NULL && idle() == 0);		/* nothing asked yet */
	CHECK(stats().suspend_port == SUSPEND_PORT);
}

/* xenstore: taken once, cleared in the same transaction, done from the idle loop only. */
static void suspend_by_xenstore(void)
{
	const char *p;

	CHECK(setup("") == 0);
	request("suspend", 7);
	CHECK((p = fxs_get(HOME "/control/shutdown")) && !strcmp(p, ""));	/* acknowledged */
	CHECK(k.calls == 0);			/* not from inside the watch callback */
	CHECK(idle() == 1 && k.calls == 1 && k.last == XEN_SUSPEND_XENSTORE);
	CHECK(idle() == 0 && k.calls == 1);	/* exactly once */
	CHECK(stats().requests == 1 && stats().suspends == 1 && stats().ignored == 0);
	CHECK(k.stops == 0);
	/* The acknowledgement (our own write of "") fires the watch again: nothing asked. */
	fxs_pump();
	CHECK(idle() == 0 && k.calls == 1 && stats().requests == 1);
	/* Asked again later: a second suspend. */
	request("suspend", 7);
	CHECK(idle() == 1 && k.calls == 2);
}

/* The fast path: the handler only marks; two notifications before the poll are one suspend. */
static void suspend_by_evtchn(void)
{
	CHECK(setup("") == 0);
	ev.fn(SUSPEND_PORT, NULL);
	ev.fn(SUSPEND_PORT, NULL);
	CHECK(k.calls == 0);
	CHECK(idle() == 1 && k.calls == 1 && k.last == XEN_SUSPEND_EVTCHN);
	CHECK(idle() == 0 && k.calls == 1);
	CHECK(stats().requests == 1 && stats().suspends == 1);
	/* Both ways at once (libxl uses one, but a peer may do anything): one suspend. */
	ev.fn(SUSPEND_PORT, NULL);
	request("suspend", 7);
	CHECK(idle() == 1 && k.calls == 2 && idle() == 0);
}

/* Near misses and garbage: each acknowledged, said, ignored; nothing suspends or stops. */
static void hostile_values(void)
{
	static const struct { const char *v; uint32_t len; const char *said; } bad[] = {
		{ "Suspend", 7, "\"Suspend\" not supported" },
		{ "suspend ", 8, "\"suspend \" not supported" },
		{ "suspendX", 8, "\"suspendX\" not supported" },
		{ "suspen", 6, "\"suspen\" not supported" },
		{ "suspend\0poweroff", 16, "\"(embedded NUL)\" not supported" },
		{ "poweroff\0", 9, "\"(embedded NUL)\" not supported" },
		{ "\0suspend", 8, "\"(embedded NUL)\" not supported" },
		{ "suspendsuspendsuspendsuspendsuspendsuspend", 42, "\"(too long)\" not supported" },
		{ "\xff\xfe", 2, "not supported" },
	};
	const char *p;

	CHECK(setup("") == 0);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		unit_log_reset();
		request(bad[i].v, bad[i].len);
		CHECKF((p = fxs_get(HOME "/control/shutdown")) && !p[0], "value %u not cleared", i);
		CHECKF(unit_logged(bad[i].said), "value %u: no \"%s\"", i, bad[i].said);
		CHECKF(idle() == 0 && k.calls == 0 && k.stops == 0, "value %u acted on", i);
	}
	CHECK(stats().requests == ARRAY_SIZE(bad) && stats().ignored == ARRAY_SIZE(bad));
	/* An empty value is no request at all: not counted. */
	request("", 0);
	CHECK(stats().requests == ARRAY_SIZE(bad) && idle() == 0);
	/* Still works after all that. */
	request("suspend", 7);
	CHECK(idle() == 1 && k.calls == 1);
	request("reboot", 6);
	CHECK(k.stops == 1 && k.stop == XEN_CONTROL_REBOOT);
}

/* pvkit.suspend_evtchn=0: no port, no node; a failed port: said, xenstore still works. */
static void no_fast_path(void)
{
	CHECK(setup("pvkit.suspend_evtchn=0") == 0);
	CHECK(ev.allocs == 0 && fxs_get(HOME "/device/suspend/event-channel") == NULL);
	CHECK(stats().suspend_port == 0);
	request("suspend", 7);
	CHECK(idle() == 1 && k.calls == 1 && k.last == XEN_SUSPEND_XENSTORE);

	CHECK(setup("") == 0);		/* the default is on */
	CHECK(fxs_get(HOME "/device/suspend/event-channel") != NULL);
	CHECK(setup("pvkit.suspend_evtchn=off") == 0);	/* not a value: said, on */
	CHECK(unit_logged("pvkit.suspend_evtchn= takes 0 or 1; using 1"));
	CHECK(fxs_get(HOME "/device/suspend/event-channel") != NULL);
	CHECK(setup("pvkit.suspend_evtchn=2") == 0);
	CHECK(unit_logged("takes 0 or 1") && ev.allocs == 1);

	ev.alloc_ret = -ENOSPC;
	memset(&k, 0, sizeof(k));
	xs_reset();
	xen_control_reset();
	fxs_init(DOMID, "guest-nine", 0);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
	unit_log_reset();
	CHECK(xen_control_init(&bi, stop) == 0);
	CHECK(unit_logged("no suspend event channel (-28)"));
	CHECK(fxs_get(HOME "/device/suspend/event-channel") == NULL);
	request("suspend", 7);
	CHECK(idle() == 1 && k.calls == 1);
}

/* The node is not writable for us (a toolstack that did not make device/suspend): the port
 * is closed again, said, and xenstore still works. */
static void node_refused(void)
{
	memset(&k, 0, sizeof(k));
	memset(&ev, 0, sizeof(ev));
	xs_reset();
	xen_control_reset();
	fxs_init(DOMID, "guest-nine", 0);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
	fxs_perm_ro(HOME "/device");
	unit_log_reset();
	snprintf(bi.cmdline, sizeof(bi.cmdline), "%s", "");
	CHECK(xen_control_init(&bi, stop) == 0);
	CHECK(unit_logged("no suspend event channel"));
	CHECK(ev.allocs == 1 && ev.closes == 1 && ev.fn == NULL);
	CHECK(stats().suspend_port == 0);
	request("suspend", 7);
	CHECK(idle() == 1 && k.calls == 1);
}

/* A suspend that fails is counted and the guest goes on; the next request is served. */
static void suspend_fails(void)
{
	CHECK(setup("") == 0);
	k.ret = -EINVAL;
	request("suspend", 7);
	CHECK(idle() == 1 && k.calls == 1);
	CHECK(stats().suspend_failed == 1 && stats().suspends == 0);
	k.ret = 0;
	ev.fn(SUSPEND_PORT, NULL);
	CHECK(idle() == 1 && k.calls == 2 && stats().suspends == 1);
}

/* The suspend path could not be set up: no promise of feature-suspend (xl save would then
 * time out rather than the guest claim it can be saved). */
static void no_suspend_no_feature(void)
{
	const char *p;

	init_ret_next = -EINVAL;
	CHECK(setup("") == 0);
	CHECK((p = fxs_get(HOME "/control/feature-poweroff")) && !strcmp(p, "1"));
	CHECK(fxs_get(HOME "/control/feature-suspend") == NULL);
	CHECK(unit_logged("pvkit: control: cannot suspend (-22)"));
}

/* Resumed in a new domain: our control nodes and the suspend port published again there (the
 * toolstack restores only its own), the watches answer there; with pvkit.suspend_evtchn=0
 * still no port. */
static void resumed_in_new_domain(void)
{
	const char *p;

	CHECK(setup("") == 0);
	k.new_domain = true;
	request("suspend", 7);
	CHECK(idle() == 1 && k.calls == 1);
	fxs_pump();
	CHECK((p = fxs_get(NEW_HOME "/control/feature-poweroff")) && !strcmp(p, "1"));
	CHECK((p = fxs_get(NEW_HOME "/control/feature-reboot")) && !strcmp(p, "1"));
	CHECK((p = fxs_get(NEW_HOME "/control/feature-suspend")) && !strcmp(p, "1"));
	CHECK((p = fxs_get(NEW_HOME "/device/suspend/event-channel")) && !strcmp(p, "23"));
	CHECK(ev.allocs == 2 && ev.fn && ev.unmasked && ev.closes == 0);
	CHECK(stats().suspends == 1 && stats().suspend_port == SUSPEND_PORT);
	/* The new domain's requests reach us: the fast path, then xenstore. */
	ev.fn(SUSPEND_PORT, NULL);
	CHECK(idle() == 1 && k.calls == 2 && k.last == XEN_SUSPEND_EVTCHN);
	k.new_domain = false;
	fxs_set(NEW_HOME "/control/shutdown", "poweroff");
	fxs_pump();
	CHECK(k.stops == 1 && k.stop == XEN_CONTROL_POWEROFF);

	CHECK(setup(XEN_CONTROL_CMDLINE_SUSPEND_EVTCHN "=0") == 0);
	k.new_domain = true;
	request("suspend", 7);
	CHECK(idle() == 1);
	fxs_pump();
	CHECK(fxs_get(NEW_HOME "/control/feature-poweroff") != NULL);
	CHECK(fxs_get(NEW_HOME "/device/suspend/event-channel") == NULL && ev.allocs == 0);
}

UNIT_CASES(
	{ no_suspend_no_feature, "control: no feature-suspend when the suspend path is not there" },
	{ resumed_in_new_domain, "control: nodes and the suspend port published again in a new domain" },
	{ publishes, "control: feature-poweroff/reboot/suspend and the suspend port published" },
	{ suspend_by_xenstore, "control: \"suspend\" taken once, cleared, done from the idle loop" },
	{ suspend_by_evtchn, "control: the suspend event channel marks, the idle loop suspends once" },
	{ hostile_values, "control: near misses, NULs, long values acknowledged and ignored" },
	{ no_fast_path, "control: pvkit.suspend_evtchn=0 and a failed port leave xenstore's way" },
	{ node_refused, "control: device/suspend not writable: port closed, xenstore's way" },
	{ suspend_fails, "control: a failed suspend is counted, the guest goes on" },
);
