// SPDX-License-Identifier: MIT
/*
 * Toolstack control of the domain through xenstore: "control/shutdown" (written by xl shutdown
 * / xl reboot: poweroff, halt, reboot, suspend) and "control/sysrq" (xl sysrq). A request is
 * acknowledged by clearing the node, then acted on from the idle loop (watch callbacks run from
 * xs_poll). What we cannot do (suspend) or do not know is acknowledged and ignored, with a
 * line saying so; the feature-* nodes tell the toolstack which requests we honour.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/xen/control.h>
#include <pvkit/xen/xenstore.h>
#include <string.h>

#define CONTROL_VALUE_MAX	32	/* longer requests are not ones we know */

static xen_control_fn control_fn;	/* the kernel's "please stop" */
static struct xs_watch shutdown_watch;
static struct xs_watch sysrq_watch;
static struct xen_control_stats stats;

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
		strlcpy(tc->value, "(too long)", sizeof(tc->value));
	} else if (err) {
		return err;
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
	} else {
		stats.ignored++;
		printk("pvkit: control: request \"%s\" not supported; ignored\n", tc.value);
	}
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

int xen_control_init(xen_control_fn fn)
{
	int err;

	control_fn = fn;
	/* What the toolstack may ask of us (libxl reads these). */
	err = xs_write(XS_TXN_NONE, "control/feature-poweroff", "1");
	if (!err)
		err = xs_write(XS_TXN_NONE, "control/feature-reboot", "1");
	if (err)
		return err;
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

void xen_control_get_stats(struct xen_control_stats *st)
{
	*st = stats;
}
