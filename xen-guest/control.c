// SPDX-License-Identifier: MIT
/*
 * Toolstack control of the domain through xenstore: "control/shutdown" (written by xl shutdown
 * / xl reboot / xl save: poweroff, halt, reboot, suspend) and "control/sysrq" (xl sysrq). A
 * request is acknowledged by clearing the node (in the transaction that read it, so it is seen
 * exactly once), then acted on from the idle loop (watch callbacks run from xs_poll). What we
 * do not know is acknowledged and ignored, with a line saying so; the feature-* nodes tell the
 * toolstack which requests we honour.
 *
 * Suspend has a second way in: a port of ours published at device/suspend/event-channel,
 * which libxl notifies instead of writing xenstore (libxl_dom_suspend.c). Either way the
 * handler only marks the request; the idle poller suspends (suspend.c) outside any watch
 * callback or interrupt, with the xenstore ring between requests.
 */
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/xen/control.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/suspend.h>
#include <pvkit/xen/xenstore.h>
#include <string.h>

#define CONTROL_VALUE_MAX	32	/* longer requests are not ones we know */

static xen_control_fn control_fn;	/* the kernel's "please stop" */
static struct xs_watch shutdown_watch;
static struct xs_watch sysrq_watch;
static struct xen_control_stats stats;

/* A suspend asked for and not yet done: 1 + enum xen_suspend_source, 0 for none. Set by the
 * watch callback or the event handler, taken by the idle poller. */
static int suspend_pending;
static evtchn_port_t suspend_port;	/* the fast path's port, 0 when not published */
static bool suspend_evtchn_wanted;	/* pvkit.suspend_evtchn (1 unless told 0) */
static bool suspend_ok;			/* xen_suspend_init() worked: we can be saved */

/* Read and clear @node in one transaction, so a request is seen exactly once. */
struct take_ctx {
	const char *node;		/* in: "control/shutdown" */
	char value[CONTROL_VALUE_MAX];	/* out: what was there ("" if nothing) */
};

static int take_request(xs_transaction_t t, void *ctx)
{
	struct take_ctx *tc = ctx;
	size_t len;
	int err;

	err = xs_read(t, tc->node, tc->value, sizeof(tc->value), &len);
	if (err == -ENOENT || (!err && len == 0)) {
		tc->value[0] = '\0';
		return 0;		/* nothing asked (the watch also fires at registration) */
	}
	if (err == -E2BIG) {
		snprintf(tc->value, sizeof(tc->value), "(too long)");
	} else if (err) {
		return err;
	} else if (strlen(tc->value) != len) {
		snprintf(tc->value, sizeof(tc->value), "(embedded NUL)");	/* no prefix match */
	}
	return xs_write(t, tc->node, "");
}

static void shutdown_changed(struct xs_watch *w, const char *path)
{
	struct take_ctx tc = { .node = "control/shutdown" };
	int err = xs_transaction(take_request, &tc);

	if (err) {
		printk("pvkit: control: cannot read control/shutdown: %d\n", err);
		return;
	}
	if (!tc.value[0])
		return;
	stats.requests++;
	if (!strcmp(tc.value, "poweroff") || !strcmp(tc.value, "halt")) {
		printk("pvkit: control: %s requested\n", tc.value);
		control_fn(XEN_CONTROL_POWEROFF);
	} else if (!strcmp(tc.value, "reboot")) {
		printk("pvkit: control: reboot requested\n");
		control_fn(XEN_CONTROL_REBOOT);
	} else if (!strcmp(tc.value, "suspend")) {
		WRITE_ONCE(suspend_pending, 1 + XEN_SUSPEND_XENSTORE);	/* the poller acts */
	} else {
		stats.ignored++;
		printk("pvkit: control: request \"%s\" not supported; ignored\n", tc.value);
	}
}

/* The fast path: libxl notified our port. Interrupt context: mark only. */
static void suspend_event(evtchn_port_t port, void *ctx)
{
	if (!READ_ONCE(suspend_pending))
		WRITE_ONCE(suspend_pending, 1 + XEN_SUSPEND_EVTCHN);
}

static int suspend_evtchn_init(void);

/*
 * What the toolstack may ask of us (libxl reads these), and the suspend port. A new domain
 * (restore, migration) has none of them: libxl restores only its own nodes. feature-suspend
 * is the promise that a save, restore or migration works, devices included (docs/suspend.md):
 * made only when the suspend path could be set up.
 */
static int control_publish(void)
{
	int err;

	err = xs_write(XS_TXN_NONE, "control/feature-poweroff", "1");
	if (!err)
		err = xs_write(XS_TXN_NONE, "control/feature-reboot", "1");
	if (!err && suspend_ok)
		err = xs_write(XS_TXN_NONE, "control/feature-suspend", "1");
	if (err)
		return err;
	suspend_port = 0;		/* a new domain: the old port is gone */
	if (suspend_evtchn_wanted) {
		err = suspend_evtchn_init();
		if (err)
			printk("pvkit: control: no suspend event channel (%d): libxl will use "
			       "xenstore\n", err);
	}
	return 0;
}

/* Resumed in a new domain: our nodes again (the watches came back with xenstore's). */
static void control_resume(void)
{
	int err = control_publish();

	if (err)
		printk("pvkit: control: resume: cannot publish features: %d\n", err);
}

/* Idle loop: a suspend asked for by either path. */
static unsigned int control_poll(void)
{
	int pending = READ_ONCE(suspend_pending);
	struct xen_suspend_result res;
	int err;

	if (!pending)
		return 0;
	WRITE_ONCE(suspend_pending, 0);
	if (pending == 1 + XEN_SUSPEND_EVTCHN)
		stats.requests++;	/* the xenstore path counted its request already */
	err = xen_suspend(pending - 1, &res);
	if (err) {
		stats.suspend_failed++;
		return 1;		/* said why; the guest runs on as before */
	}
	stats.suspends++;
	if (!res.cancelled)
		control_resume();
	return 1;
}

static struct os_poller control_poller = { .name = "control", .poll = control_poll };

/* Publish a port libxl can notify to ask for a suspend. A failure is said and survived:
 * libxl then writes control/shutdown. */
static int suspend_evtchn_init(void)
{
	evtchn_port_t port;
	int err;

	err = evtchn_alloc_unbound(0, &port);	/* dom0's toolstack binds to it */
	if (err)
		return err;
	err = evtchn_set_handler(port, suspend_event, NULL);
	if (err)
		goto out_close;
	err = evtchn_unmask(port);
	if (err)
		goto out_close;
	err = xs_printf(XS_TXN_NONE, "device/suspend/event-channel", "%u", port);
	if (err)
		goto out_close;
	suspend_port = port;
	return 0;

out_close:
	evtchn_close(port);			/* drops the handler with the port */
	return err;
}

static void sysrq_changed(struct xs_watch *w, const char *path)
{
	struct take_ctx tc = { .node = "control/sysrq" };
	int err = xs_transaction(take_request, &tc);

	if (err || !tc.value[0])
		return;
	stats.sysrqs++;
	printk("pvkit: control: sysrq '%c' acknowledged\n", tc.value[0]);
}

int xen_control_init(const struct boot_info *bi, xen_control_fn fn)
{
	unsigned long use_evtchn = 1;
	int err;

	control_fn = fn;
	err = xen_suspend_init(bi);
	suspend_ok = !err;
	if (err)
		printk("pvkit: control: cannot suspend (%d): xl save will time out\n", err);
	err = cmdline_get_ulong(bi->cmdline, XEN_CONTROL_CMDLINE_SUSPEND_EVTCHN, &use_evtchn);
	if ((err && err != -ENOENT) || use_evtchn > 1) {
		printk("pvkit: control: %s= takes 0 or 1; using 1\n",
		       XEN_CONTROL_CMDLINE_SUSPEND_EVTCHN);
		use_evtchn = 1;
	}
	suspend_evtchn_wanted = use_evtchn;
	err = control_publish();
	if (err)
		return err;
	os_poller_register(&control_poller);
	shutdown_watch.path = "control/shutdown";
	shutdown_watch.cb = shutdown_changed;
	err = xs_watch(&shutdown_watch);
	if (err)
		return err;
	sysrq_watch.path = "control/sysrq";
	sysrq_watch.cb = sysrq_changed;
	err = xs_watch(&sysrq_watch);
	if (err)
		goto out_unwatch_shutdown;
	return 0;

out_unwatch_shutdown:
	xs_unwatch(&shutdown_watch);
	return err;
}

void xen_control_reset(void)
{
	memset(&stats, 0, sizeof(stats));
	memset(&shutdown_watch, 0, sizeof(shutdown_watch));
	memset(&sysrq_watch, 0, sizeof(sysrq_watch));
	suspend_pending = 0;
	suspend_port = 0;
	suspend_evtchn_wanted = false;
	suspend_ok = false;
	control_fn = NULL;
}

void xen_control_get_stats(struct xen_control_stats *st)
{
	*st = stats;
	st->suspend_port = suspend_port;
}
