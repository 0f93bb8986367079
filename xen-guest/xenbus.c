// SPDX-License-Identifier: MIT
/*
 * xenbus on the xenstore client (include/pvkit/xen/xenbus.h; xen/io/xenbus.h): devices under
 * device/<type>/<id>, their backend (checked: the toolstack writes it, but a frontend must not
 * follow a path into another domain's or another device's directory), and the state machine.
 */
#include <stdarg.h>
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/xen/xenbus.h>
#include <xen/xen.h>

#define XENBUS_LOCAL_DOMAIN	"/local/domain/"

static const char *const xenbus_state_names[] = {
	[XenbusStateUnknown] = "Unknown",
	[XenbusStateInitialising] = "Initialising",
	[XenbusStateInitWait] = "InitWait",
	[XenbusStateInitialised] = "Initialised",
	[XenbusStateConnected] = "Connected",
	[XenbusStateClosing] = "Closing",
	[XenbusStateClosed] = "Closed",
	[XenbusStateReconfiguring] = "Reconfiguring",
	[XenbusStateReconfigured] = "Reconfigured",
};

const char *xenbus_strstate(XenbusState state)
{
	return (unsigned int)state < ARRAY_SIZE(xenbus_state_names) ? xenbus_state_names[state]
								      : "invalid";
}

/* "<dir>/<node>" into @buf. */
static int xenbus_join(char *buf, size_t size, const char *dir, const char *node)
{
	int n = snprintf(buf, size, "%s/%s", dir, node);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* One path component as xenstored allows it: [A-Za-z0-9_@-]+. */
static bool xenbus_name_ok(const char *s, size_t len)
{
	if (!len)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '@'))
			return false;
	}
	return true;
}

int xenbus_read_ulong(xs_transaction_t t, const char *dir, const char *node, unsigned long *v)
{
	char path[XENBUS_PATH_MAX * 2];
	int err = xenbus_join(path, sizeof(path), dir, node);

	return err ? err : xs_read_ulong(t, path, v);
}

int xenbus_printf(xs_transaction_t t, const char *dir, const char *node, const char *fmt, ...)
{
	char path[XENBUS_PATH_MAX * 2];
	va_list ap;
	int err;

	err = xenbus_join(path, sizeof(path), dir, node);
	if (err)
		return err;
	va_start(ap, fmt);
	err = xs_vprintf(t, path, fmt, ap);
	va_end(ap);
	return err;
}

int xenbus_enumerate(const char *type, char *buf, size_t size, unsigned int *count)
{
	char path[XENBUS_PATH_MAX];

	if (!type)
		return xs_directory(XS_TXN_NONE, "device", buf, size, count);
	if (strlen(type) >= XENBUS_NAME_MAX || !xenbus_name_ok(type, strlen(type)))
		return -EINVAL;
	xenbus_join(path, sizeof(path), "device", type);	/* fits: checked above */
	return xs_directory(XS_TXN_NONE, path, buf, size, count);
}

int xenbus_read_state(xs_transaction_t t, const char *dir, XenbusState *state)
{
	unsigned long v;
	int err = xenbus_read_ulong(t, dir, "state", &v);

	if (err == -EINVAL || err == -ERANGE)
		return -EPROTO;
	if (err)
		return err;
	if (v > XenbusStateReconfigured)
		return -EPROTO;
	*state = v;
	return 0;
}

int xenbus_read_otherend_state(struct xenbus_device *dev, XenbusState *state)
{
	XenbusState s;
	int err = xenbus_read_state(XS_TXN_NONE, dev->otherend, &s);

	if (err)
		return err;
	dev->otherend_state = s;
	if (state)
		*state = s;
	return 0;
}

/*
 * The backend path the toolstack wrote must be /local/domain/<backend-id>/backend/<kind>/
 * <our domid>/<our id>: Linux checks the domain part; the rest keeps a frontend from being
 * pointed at another frontend's backend directory.
 */
static int xenbus_check_backend(const char *path, unsigned int backend_id, unsigned int domid,
				const char *id)
{
	char want[XENBUS_PATH_MAX];
	const char *kind, *p;
	size_t n;

	snprintf(want, sizeof(want), XENBUS_LOCAL_DOMAIN "%u/backend/", backend_id);
	n = strlen(want);
	if (strncmp(path, want, n))
		return -EPROTO;
	kind = path + n;
	p = strchr(kind, '/');
	if (!p || !xenbus_name_ok(kind, p - kind))
		return -EPROTO;
	snprintf(want, sizeof(want), "/%u/%s", domid, id);
	return strcmp(p, want) ? -EPROTO : 0;
}

int xenbus_device_init(struct xenbus_device *dev, const char *type, const char *id)
{
	char backend[XENBUS_PATH_MAX];
	unsigned long backend_id;
	unsigned int domid;
	int err;

	if (!dev || !type || !id || strlen(type) >= XENBUS_NAME_MAX ||
	    strlen(id) >= XENBUS_NAME_MAX || !xenbus_name_ok(type, strlen(type)) ||
	    !xenbus_name_ok(id, strlen(id)))
		return -EINVAL;
	memset(dev, 0, sizeof(*dev));
	snprintf(dev->type, sizeof(dev->type), "%s", type);
	snprintf(dev->id, sizeof(dev->id), "%s", id);
	snprintf(dev->nodename, sizeof(dev->nodename), "device/%s/%s", type, id);

	err = xenbus_read_ulong(XS_TXN_NONE, dev->nodename, "backend-id", &backend_id);
	if (err == -EINVAL || err == -ERANGE || (!err && backend_id >= DOMID_FIRST_RESERVED))
		return -EPROTO;
	if (err)
		return err;
	err = xenbus_join(backend, sizeof(backend), dev->nodename, "backend");
	if (!err)
		err = xs_read(XS_TXN_NONE, backend, dev->otherend, sizeof(dev->otherend), NULL);
	if (err == -E2BIG)
		return -ENAMETOOLONG;
	if (!err)
		err = xs_domid(&domid);
	if (err)
		return err;
	err = xenbus_check_backend(dev->otherend, backend_id, domid, id);
	if (err)
		return err;
	dev->otherend_id = backend_id;
	snprintf(dev->otherend_state_path, sizeof(dev->otherend_state_path), "%s/state",
		 dev->otherend);
	err = xenbus_read_state(XS_TXN_NONE, dev->nodename, &dev->state);
	if (!err)
		err = xenbus_read_otherend_state(dev, NULL);
	return err;
}

void xenbus_device_release(struct xenbus_device *dev)
{
	if (dev->otherend_watch.registered)
		xenbus_unwatch_otherend(dev);
}

/* ---- the state machine ---------------------------------------------------------------- */

struct xenbus_switch {
	struct xenbus_device *dev;	/* whose state */
	XenbusState state;		/* to set */
};

static int xenbus_switch_fn(xs_transaction_t t, void *ctx)
{
	struct xenbus_switch *sw = ctx;
	XenbusState cur;
	int err;

	err = xenbus_read_state(t, sw->dev->nodename, &cur);
	if (err)
		return err;		/* -ENOENT: being torn down; do not bring it back */
	if (cur == sw->state)
		return 0;
	return xenbus_printf(t, sw->dev->nodename, "state", "%u", sw->state);
}

int xenbus_switch_state(struct xenbus_device *dev, XenbusState state)
{
	struct xenbus_switch sw = { dev, state };
	int err;

	if ((unsigned int)state > XenbusStateReconfigured)
		return -EINVAL;
	err = xs_transaction(xenbus_switch_fn, &sw);
	if (!err)
		dev->state = state;
	return err;
}

static void xenbus_otherend_event(struct xs_watch *w, const char *path)
{
	struct xenbus_device *dev = container_of(w, struct xenbus_device, otherend_watch);
	XenbusState state;

	dev->otherend_events++;
	if (xenbus_read_otherend_state(dev, &state))
		state = XenbusStateUnknown;
	if (dev->otherend_changed)
		dev->otherend_changed(dev, state);
}

int xenbus_watch_otherend(struct xenbus_device *dev, xenbus_otherend_fn fn)
{
	if (!dev->otherend[0])
		return -EINVAL;			/* not initialised */
	if (dev->otherend_watch.registered)
		return -EBUSY;
	dev->otherend_watch.path = dev->otherend_state_path;
	dev->otherend_watch.cb = xenbus_otherend_event;
	dev->otherend_changed = fn;
	return xs_watch(&dev->otherend_watch);
}

int xenbus_unwatch_otherend(struct xenbus_device *dev)
{
	int err = xs_unwatch(&dev->otherend_watch);

	dev->otherend_changed = NULL;
	return err;
}

#define XENBUS_CLOSING_BITS	(XENBUS_STATE_BIT(XenbusStateClosing) | \
				 XENBUS_STATE_BIT(XenbusStateClosed))

/* Does @s end the wait: 0 yes, -EPIPE the backend is going away while we wait for it to come
 * up (a wait for Closed passes through Closing), 1 keep waiting. */
static int xenbus_wait_verdict(XenbusState s, unsigned int mask)
{
	if (XENBUS_STATE_BIT(s) & mask)
		return 0;
	if ((XENBUS_STATE_BIT(s) & XENBUS_CLOSING_BITS) && !(mask & XENBUS_CLOSING_BITS))
		return -EPIPE;
	return 1;
}

int xenbus_wait_otherend(struct xenbus_device *dev, unsigned int mask, uint64_t timeout_ns,
			 XenbusState *got)
{
	uint64_t deadline = os_clock_ns() + timeout_ns, now;
	XenbusState s = XenbusStateUnknown;
	bool own = !dev->otherend_watch.registered;
	int err;

	if (own) {
		err = xenbus_watch_otherend(dev, NULL);
		if (err)
			return err;
	}
	for (;;) {
		err = xenbus_read_otherend_state(dev, &s);
		if (err == -ENOENT) {		/* not written yet: keep waiting */
			s = XenbusStateUnknown;
			err = 1;
		} else if (!err) {
			err = xenbus_wait_verdict(s, mask);
		}
		if (err <= 0)
			break;
		now = os_clock_ns();
		if (now >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		err = xs_wait_event(deadline - now);
		if (err < 0 && err != -ETIMEDOUT)
			break;			/* -ETIMEDOUT: look once more, then give up */
	}
	if (got)
		*got = s;
	if (own)
		xenbus_unwatch_otherend(dev);
	return err;
}

/* ---- frontend drivers: the devices of one type ------------------------------------------ */

struct xenbus_device *xenbus_frontend_find(struct xenbus_frontend *f, const char *id)
{
	for (unsigned int i = 0; i < f->max_devices; i++) {
		struct xenbus_device *dev = f->device(i);

		if (dev && !strcmp(dev->id, id))
			return dev;
	}
	return NULL;
}

/* Has the toolstack removed @dev's directory? Then the driver takes it down. */
static void xenbus_frontend_check(struct xenbus_frontend *f, struct xenbus_device *dev)
{
	if (xenbus_device_gone(dev))
		f->remove(dev);
}

static void xenbus_frontend_scan(struct xenbus_frontend *f)
{
	unsigned int count = 0;
	const char *id = f->list;

	f->scanned = true;
	if (xenbus_enumerate(f->type, f->list, sizeof(f->list), &count))
		count = 0;			/* no device/<type>: no devices (yet) */
	for (unsigned int i = 0; i < count; i++, id += strlen(id) + 1)
		if (!xenbus_frontend_find(f, id))
			f->probe(id);
	/* And the driver's own: some may be gone (removed while we did not look). A remove
	 * frees its slot only: the walk goes on over the others. */
	for (unsigned int i = 0; i < f->max_devices; i++) {
		struct xenbus_device *dev = f->device(i);

		if (dev)
			xenbus_frontend_check(f, dev);
	}
}

/* Anything under device/<type> changed: the driver's own writes, a device attached, one
 * removed. */
static void xenbus_frontend_changed(struct xs_watch *w, const char *path)
{
	struct xenbus_frontend *f = w->ctx;
	size_t n = strlen(f->dir), len;
	char id[XENBUS_NAME_MAX];
	struct xenbus_device *dev;

	f->events++;
	if (strncmp(path, f->dir, n) || (path[n] && path[n] != '/'))
		return;
	if (!path[n] || !path[n + 1]) {
		xenbus_frontend_scan(f);	/* the first event, or device/<type> itself */
		return;
	}
	path += n + 1;
	len = strcspn(path, "/");
	if (!len || len >= sizeof(id))
		return;
	memcpy(id, path, len);
	id[len] = '\0';
	dev = xenbus_frontend_find(f, id);
	if (!dev)
		f->probe(id);
	else if (!path[len])
		xenbus_frontend_check(f, dev);	/* the directory itself: removed? */
}

static struct xenbus_frontend *xenbus_frontends;	/* registered, newest first */

int xenbus_frontend_watch(struct xenbus_frontend *f)
{
	int err;

	if (!f->type || strlen(f->type) >= XENBUS_NAME_MAX || !f->device || !f->probe ||
	    !f->otherend_changed || !f->remove || !f->resume)
		return -EINVAL;
	snprintf(f->dir, sizeof(f->dir), "device/%s", f->type);
	f->scanned = false;
	f->watch.path = f->dir;
	f->watch.cb = xenbus_frontend_changed;
	f->watch.ctx = f;
	err = xs_watch(&f->watch);
	if (err)
		return err;
	for (struct xenbus_frontend *g = xenbus_frontends; g; g = g->next)
		if (g == f)
			return 0;
	f->next = xenbus_frontends;
	xenbus_frontends = f;
	return 0;
}

void xenbus_frontends_suspend(void)
{
	for (struct xenbus_frontend *f = xenbus_frontends; f; f = f->next) {
		for (unsigned int i = 0; f->suspend && i < f->max_devices; i++) {
			struct xenbus_device *dev = f->device(i);

			if (dev)
				f->suspend(dev);
		}
	}
}

void xenbus_frontends_resume(void)
{
	for (struct xenbus_frontend *f = xenbus_frontends; f; f = f->next) {
		f->scanned = false;	/* the watch's first event scans the new domain's */
		for (unsigned int i = 0; i < f->max_devices; i++) {
			struct xenbus_device *dev = f->device(i);

			if (dev)
				f->resume(dev);
		}
	}
}

int xenbus_frontend_pending(struct xenbus_frontend *f, const char *id, char *node,
			    size_t size)
{
	XenbusState st;

	if (strlen(id) >= XENBUS_NAME_MAX ||
	    (size_t)snprintf(node, size, "%s/%s", f->dir, id) >= size)
		return -ENAMETOOLONG;		/* no xenbus device name (xenbus_device_init) */
	if (xenbus_frontend_find(f, id))
		return -EEXIST;
	if (xenbus_read_state(XS_TXN_NONE, node, &st) || st != XenbusStateInitialising)
		return -EAGAIN;
	return 0;
}

void xenbus_frontend_refuse(const char *node)
{
	char path[XENBUS_PATH_MAX + 8];

	snprintf(path, sizeof(path), "%s/state", node);
	xs_printf(XS_TXN_NONE, path, "%u", XenbusStateClosed);
}

bool xenbus_device_gone(struct xenbus_device *dev)
{
	XenbusState st;

	return xenbus_read_state(XS_TXN_NONE, dev->nodename, &st) == -ENOENT;
}
