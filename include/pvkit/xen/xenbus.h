/* SPDX-License-Identifier: MIT */
/**
 * @file
 * xenbus: Xen's device tree in xenstore (`device/<type>/<id>`, whose "backend" names the other
 * end's directory) and the frontend/backend state machine of xen/io/xenbus.h, on the xenstore
 * client. What a frontend (blkfront, netfront) needs to find its backend, publish its rings in
 * a transaction and follow the handshake. Paths of our own nodes are relative to our domain's
 * home (`/local/domain/<domid>`), as xenstored resolves them.
 *
 * A frontend, in short:
 * @code
 *	xenbus_device_init(&dev, "vbd", "51712");	// backend found and checked
 *	xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateInitWait), 10 s, NULL);
 *	xs_transaction(publish_rings, &dev);		// xenbus_printf(t, dev.nodename, ...)
 *	xenbus_switch_state(&dev, XenbusStateInitialised);
 *	xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateConnected), 10 s, NULL);
 * @endcode
 */
#ifndef PVKIT_XEN_XENBUS_H
#define PVKIT_XEN_XENBUS_H

#include <pvkit/types.h>
#include <pvkit/xen/xenstore.h>
#include <xen/io/xenbus.h>

#define XENBUS_PATH_MAX		128	/**< our node and the backend's; longer: -ENAMETOOLONG */
#define XENBUS_NAME_MAX		32	/**< a device type or id */
/** The bit of XenbusState @p s in a xenbus_wait_otherend() mask. */
#define XENBUS_STATE_BIT(s)	(1u << (s))

struct xenbus_device;
/** The other end's state node changed (or was touched): @p state as read just now
 * (XenbusStateUnknown when it is gone or unreadable). Runs from xs_poll(). */
typedef void (*xenbus_otherend_fn)(struct xenbus_device *dev, XenbusState state);

/** A frontend device and its backend, as found in xenstore. The driver owns the storage. */
struct xenbus_device {
	char type[XENBUS_NAME_MAX];	/**< "vbd", "vif": the device/ subdirectory */
	char id[XENBUS_NAME_MAX];	/**< its entry there ("51712", "0") */
	char nodename[XENBUS_PATH_MAX];	/**< our directory: `device/<type>/<id>` */
	char otherend[XENBUS_PATH_MAX];	/**< the backend's directory, checked to lie under
					 * `/local/domain/<otherend_id>/backend/` */
	unsigned int otherend_id;	/**< the backend's domain (grants and event channels go
					 * to it) */
	XenbusState state;		/**< ours, as last read or switched */
	XenbusState otherend_state;	/**< the backend's, as last read */
	void *priv;			/**< for the driver */
	/* Owned by xenbus.c: */
	xenbus_otherend_fn otherend_changed;	/**< the driver's callback, or NULL */
	struct xs_watch otherend_watch;		/**< on otherend_state_path */
	char otherend_state_path[XENBUS_PATH_MAX + 8];	/**< `<otherend>/state` */
	uint64_t otherend_events;	/**< watch events seen on it (tests, diagnostics) */
};

/**
 * xenbus_enumerate() - the entries of `device/<type>` (`device/` itself when @p type is NULL:
 * the device types present).
 * @param type  the device type, or NULL.
 * @param buf   receives the names, each NUL-terminated, one after the other.
 * @param size  the size of @p buf.
 * @param count receives how many.
 * @return 0, -ENOENT when there is no such directory, -E2BIG, or another -errno.
 */
int xenbus_enumerate(const char *type, char *buf, size_t size, unsigned int *count);

/**
 * xenbus_device_init() - find `device/<type>/<id>`: read "backend-id" and "backend" and check
 * them (backend-id a domain id; backend exactly
 * `/local/domain/<backend-id>/backend/<kind>/<our domid>/<id>`, plain path components only:
 * a frontend cannot be pointed at another frontend's backend directory), then both ends'
 * states.
 * @param dev  receives the device.
 * @param type the device type ("vbd", "vif").
 * @param id   the device id.
 * @return 0; -ENOENT (no such device), -EPROTO (backend details wrong), -ENAMETOOLONG,
 *         -EINVAL (bad type or id), or a xenstore -errno. Nothing to undo on failure.
 */
int xenbus_device_init(struct xenbus_device *dev, const char *type, const char *id);

/**
 * xenbus_device_release() - drop the watch on the other end, if any.
 * @param dev the device.
 */
void xenbus_device_release(struct xenbus_device *dev);

/**
 * xenbus_read_state() - read `<dir>/state`.
 * @param t     the transaction, or XS_TXN_NONE.
 * @param dir   the directory (ours or the backend's).
 * @param state receives the state.
 * @return 0, -ENOENT, -EPROTO (not a XenbusState number), -errno.
 */
int xenbus_read_state(xs_transaction_t t, const char *dir, XenbusState *state);

/**
 * xenbus_read_otherend_state() - the backend's state now (also kept in dev->otherend_state).
 * @param dev   the device.
 * @param state receives the state (may be NULL).
 * @return 0 or -errno as xenbus_read_state().
 */
int xenbus_read_otherend_state(struct xenbus_device *dev, XenbusState *state);

/**
 * xenbus_switch_state() - set our state node to @p state, in a transaction that first checks
 * that the node still exists (a device being torn down is not brought back). No write when
 * it already holds @p state.
 * @param dev   the device.
 * @param state the new state.
 * @return 0, -ENOENT, -EINVAL (not a state), or a xenstore -errno.
 */
int xenbus_switch_state(struct xenbus_device *dev, XenbusState state);

/**
 * xenbus_watch_otherend() - watch the backend's state node.
 * @param dev the device, initialised.
 * @param fn  called from xs_poll() whenever the node changes (may be NULL).
 * @return 0, -EINVAL (not initialised), -EBUSY (watched already), or -errno as xs_watch().
 */
int xenbus_watch_otherend(struct xenbus_device *dev, xenbus_otherend_fn fn);

/**
 * xenbus_unwatch_otherend() - stop watching the backend's state node.
 * @param dev the device.
 * @return 0 or -errno as xs_unwatch().
 */
int xenbus_unwatch_otherend(struct xenbus_device *dev);

/**
 * xenbus_wait_otherend() - sleep until the backend's state is one of @p mask, using a watch
 * (its own unless xenbus_watch_otherend() set one). Other watches' callbacks may run
 * meanwhile (it waits with xs_wait_event()).
 * @param dev        the device.
 * @param mask       XENBUS_STATE_BIT()s of the states to wait for.
 * @param timeout_ns how long at most.
 * @param got        receives the last state read (may be NULL).
 * @return 0; -EPIPE when the backend went Closing or Closed and @p mask has neither (waiting
 *         for it to come up: fail at once, not at the timeout); -ETIMEDOUT; or a xenstore
 *         -errno.
 */
int xenbus_wait_otherend(struct xenbus_device *dev, unsigned int mask, uint64_t timeout_ns,
			 XenbusState *got);

/**
 * xenbus_read_ulong() - read `<dir>/<node>` as a decimal number (a backend's feature flags,
 * ring-page-order...).
 * @param t    the transaction, or XS_TXN_NONE.
 * @param dir  the directory.
 * @param node the node in it.
 * @param v    receives the number.
 * @return 0 or -errno as xs_read_ulong() (-ENAMETOOLONG for a path too long).
 */
int xenbus_read_ulong(xs_transaction_t t, const char *dir, const char *node, unsigned long *v);

/**
 * xenbus_printf() - write `<dir>/<node>` (a frontend's ring-ref, event-channel...).
 * @param t    the transaction, or XS_TXN_NONE.
 * @param dir  the directory.
 * @param node the node in it.
 * @param fmt  the value's format, as printk().
 * @return 0 or -errno as xs_printf() (-ENAMETOOLONG for a path too long).
 */
int xenbus_printf(xs_transaction_t t, const char *dir, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * xenbus_strstate() - a state's name, for messages.
 * @param state the state.
 * @return "Initialising", "Connected"...; "invalid" outside the enum.
 */
const char *xenbus_strstate(XenbusState state);

/* ---- frontend drivers: the devices of one type ------------------------------------------ */

#define XENBUS_FRONTEND_LIST_MAX	1024	/**< bytes of `device/<type>` entry names read */

/**
 * A frontend driver: one per device type (vbd, vif). xenbus walks `device/<type>` (at the
 * first event of its watch and whenever it changes itself: the devices present at boot
 * and those the toolstack attaches later), hands each id that is none of the driver's to
 * @p probe, finds the driver's devices through @p device, takes a device whose directory the
 * toolstack removed down through @p remove, and calls @p suspend and @p resume on every device when
 * the domain is saved and resumed. The driver follows each device's backend by
 * xenbus_watch_otherend(dev, driver->otherend_changed). Callbacks run from xs_poll(), one at a
 * time, except @p suspend.
 */
struct xenbus_frontend {
	const char *type;			/**< "vbd", "vif" */
	/** The driver's device in slot @p i (below @p max_devices), or NULL when the slot is free:
	 * how xenbus finds, rescans, suspends and resumes them. */
	struct xenbus_device *(*device)(unsigned int i);
	unsigned int max_devices;		/**< slots device() answers for */
	/** `device/<type>/id` is none of the driver's: take it on if it waits
	 * (xenbus_frontend_pending), refuse it (xenbus_frontend_refuse), or leave it. */
	void (*probe)(const char *id);
	/** @p dev's backend changed state (@p state as read; XenbusStateUnknown: gone). */
	void (*otherend_changed)(struct xenbus_device *dev, XenbusState state);
	/** The toolstack removed @p dev's directory: fail what is in flight, let it go. */
	void (*remove)(struct xenbus_device *dev);
	/** Optional: the domain suspends now (interrupts off; xen_suspend, before
	 * SCHEDOP_shutdown). Nothing may be torn down: the suspend may be cancelled. */
	void (*suspend)(struct xenbus_device *dev);
	/** We run in a new domain (xl restore, migration; xenbus_frontends_resume, once
	 * xenstore and its watches are back): @p dev's ports are gone and its backend is a new
	 * one under a new path (our domid is in it). The driver lets go of the old rings
	 * without closing anything (the ports are not ours any more), finds the device again
	 * (xenbus_device_init) and runs the handshake again; a device not in the new domain
	 * goes away as a removed one does. Task context. */
	void (*resume)(struct xenbus_device *dev);
	/* Owned by xenbus.c: */
	struct xenbus_frontend *next;		/**< every registered driver */
	char dir[XENBUS_PATH_MAX];		/**< `device/<type>` */
	struct xs_watch watch;			/**< on dir */
	bool scanned;				/**< the first scan ran */
	uint64_t events;			/**< watch callbacks (tests, diagnostics) */
	char list[XENBUS_FRONTEND_LIST_MAX];	/**< the scan's entry names */
};

/**
 * xenbus_frontend_watch() - register @p f and watch `device/<type>`; the first scan runs
 * from the first xs_poll().
 * @param f the driver, with every callback but suspend set.
 * @return 0, -EINVAL (a callback or the type missing), or -errno (no watch: devices never
 *         appear).
 */
int xenbus_frontend_watch(struct xenbus_frontend *f);

/**
 * xenbus_frontend_find() - the device of @p f whose id is @p id.
 * @param f  the driver.
 * @param id the device id.
 * @return the device, or NULL.
 */
struct xenbus_device *xenbus_frontend_find(struct xenbus_frontend *f, const char *id);

/**
 * xenbus_frontends_suspend() - the domain suspends (interrupts off): every registered
 * driver's suspend() on each device.
 */
void xenbus_frontends_suspend(void);

/**
 * xenbus_frontends_resume() - in a new domain, once xenstore's watches are back: every
 * registered driver's resume() on each device.
 */
void xenbus_frontends_resume(void);

/**
 * xenbus_frontend_pending() - is `device/<type>/id` one to take on: a usable id, not the
 * driver's yet, and its state Initialising (a device in another state is one given up on or
 * being removed)?
 * @param f    the driver.
 * @param id   the device id.
 * @param node receives the device's directory.
 * @param size the size of @p node.
 * @return 0 if so; -ENAMETOOLONG, -EEXIST, -EAGAIN (not Initialising, or not readable).
 */
int xenbus_frontend_pending(struct xenbus_frontend *f, const char *id, char *node,
			    size_t size);

/**
 * xenbus_frontend_refuse() - refuse the device at @p node: its state goes Closed, so the
 * toolstack sees it and the driver's own watch never takes it on again.
 * @param node the device's directory.
 */
void xenbus_frontend_refuse(const char *node);

/**
 * xenbus_device_gone() - has the toolstack removed @p dev's directory?
 * @param dev the device.
 * @return true when its state node reads -ENOENT.
 */
bool xenbus_device_gone(struct xenbus_device *dev);

#endif /* PVKIT_XEN_XENBUS_H */
