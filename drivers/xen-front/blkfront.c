// SPDX-License-Identifier: MIT
/*
 * Xen virtual block devices, the blkif protocol, xen/io/blkif.h: finding disks under
 * device/vbd (at boot and through a watch when attached later), negotiating every feature
 * the backend offers, the xenbus state machine, the struct blkdev each disk becomes, and
 * taking a disk down when its backend closes or breaks the protocol. The rings themselves
 * are blkfront_ring.c's. How it works and what was measured: docs/blkfront.md.
 */
#include <limits.h>
#include <pvkit/blk_discard.h>
#include <pvkit/bootinfo.h>
#include <pvkit/cmdline.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/xen/xenstore.h>
#include "blkfront.h"


static struct blkfront_dev blkfront_devs[BLKFRONT_MAX_DEVS];
static unsigned int blkfront_next_slot;		/* slots handed out round robin */
static unsigned int blkfront_split_pages = BLKFRONT_SPLIT_KIB / 4;	/* for new disks */
static uint64_t blkfront_timeout_ns = BLKFRONT_REQUEST_TIMEOUT_NS;	/* for new disks */
static struct blkfront_global_stats blkfront_gstats;
static const struct blkdev_ops blkfront_ops;

static struct xenbus_device *blkfront_device(unsigned int i);
static void blkfront_probe(const char *id);
static void blkfront_otherend_changed(struct xenbus_device *xb, XenbusState state);
static void blkfront_remove(struct xenbus_device *xb);
static void blkfront_suspend(struct xenbus_device *xb);
static void blkfront_resume(struct xenbus_device *xb);
static unsigned int blkfront_idle_poll(void);

/* Our disks: device/vbd, now and as the toolstack attaches and removes them. */
static struct xenbus_frontend blkfront_vbds = {
	.type = "vbd",
	.device = blkfront_device, .max_devices = BLKFRONT_MAX_DEVS,
	.probe = blkfront_probe,			/* device/vbd/<id> to take on */
	.otherend_changed = blkfront_otherend_changed,	/* the handshake, closing */
	.remove = blkfront_remove,			/* its directory went */
	.suspend = blkfront_suspend,			/* note the time: deadlines */
	.resume = blkfront_resume,			/* reconnect in a new domain */
};
static struct os_poller blkfront_poller = { .name = "blkfront", .poll = blkfront_idle_poll };

/* ---- slots ------------------------------------------------------------------------------ */

static bool blkfront_name_taken(const char *name)
{
	for (unsigned int i = 0; i < BLKFRONT_MAX_DEVS; i++)
		if (blkfront_devs[i].state != BLKFRONT_FREE &&
		    !strcmp(blkfront_devs[i].blk.name, name))
			return true;
	return blkdev_find(name) != NULL;
}

/* A free slot, the one after the last handed out first: a disk that went away is not
 * replaced in the same slot at once (anyone still holding its blkdev sees it gone). */
static struct blkfront_dev *blkfront_alloc(void)
{
	for (unsigned int k = 0; k < BLKFRONT_MAX_DEVS; k++) {
		unsigned int i = (blkfront_next_slot + k) % BLKFRONT_MAX_DEVS;
		struct blkfront_dev *d = &blkfront_devs[i];

		if (d->state != BLKFRONT_FREE)
			continue;
		blkfront_next_slot = i + 1;
		memset(d, 0, offsetof(struct blkfront_dev, queues));
		for (unsigned int q = 0; q < BLKFRONT_MAX_QUEUES; q++)
			memset(&d->queues[q], 0, offsetof(struct blkfront_queue, shadow));
		/* And what follows the pool: the last disk of this slot's counters. */
		memset(&d->pool_size, 0, sizeof(*d) - offsetof(struct blkfront_dev, pool_size));
		for (unsigned int kind = 0; kind < ARRAY_SIZE(d->log_budget); kind++)
			d->log_budget[kind] = BLKFRONT_LOG_MAX;
		d->ready = d->done = d->unused = BLKFRONT_NIL;
		return d;
	}
	return NULL;
}

/* Forget @d: no more watch on its backend. Its rings and pages are already released. */
static void blkfront_free_slot(struct blkfront_dev *d)
{
	xenbus_device_release(&d->xb);
	d->state = BLKFRONT_FREE;
}

/* ---- reading the backend ---------------------------------------------------------------- */

/* <backend>/<node> as a number; @def when absent. A value that is not a number is the
 * backend's mistake: said once, and @def used. */
static unsigned long blkfront_read(struct blkfront_dev *d, const char *node, unsigned long def)
{
	unsigned long v;
	int err = xenbus_read_ulong(XS_TXN_NONE, d->xb.otherend, node, &v);

	if (!err)
		return v;
	if (err != -ENOENT)
		printk("pvkit: blkfront %s: backend's %s unreadable (%d): ignored\n",
		       d->blk.name, node, err);
	return def;
}

/* Transport parameters the backend offers before we connect (InitWait). */
static void blkfront_read_transport(struct blkfront_dev *d)
{
	unsigned long order = blkfront_read(d, "max-ring-page-order", ULONG_MAX), queues;

	if (order == ULONG_MAX) {		/* the older scheme: a page count, a power of 2 */
		unsigned long pages = blkfront_read(d, "max-ring-pages", 1);

		for (order = 0; order < BLKFRONT_MAX_RING_ORDER && (2ul << order) <= pages;)
			order++;
	}
	d->ring_order = MIN(order, (unsigned long)BLKFRONT_MAX_RING_ORDER);
	queues = blkfront_read(d, "multi-queue-max-queues", 1);
	d->nr_queues = MAX(1ul, MIN(queues, (unsigned long)BLKFRONT_MAX_QUEUES));
}

/* ---- publishing our rings (InitWait -> Initialised) ------------------------------------- */

static int blkfront_publish_queue(xs_transaction_t t, struct blkfront_dev *d,
				  struct blkfront_queue *q)
{
	char dir[XENBUS_PATH_MAX + 16], node[24];
	int err = 0;

	if (d->nr_queues == 1)
		snprintf(dir, sizeof(dir), "%s", d->xb.nodename);
	else
		snprintf(dir, sizeof(dir), "%s/queue-%u", d->xb.nodename, q->index);
	for (unsigned int k = 0; k < q->nr_pages && !err; k++) {
		if (q->nr_pages == 1)
			snprintf(node, sizeof(node), "ring-ref");
		else
			snprintf(node, sizeof(node), "ring-ref%u", k);
		err = xenbus_printf(t, dir, node, "%u", q->ring_ref[k]);
	}
	return err ? err : xenbus_printf(t, dir, "event-channel", "%u", q->port);
}

/* Everything in one transaction (rerun whole on -EAGAIN: only writes, so idempotent). */
static int blkfront_publish_fn(xs_transaction_t t, void *ctx)
{
	struct blkfront_dev *d = ctx;
	const char *dir = d->xb.nodename;
	int err = 0;

	/* Both schemes of blkif.h (its note 3): the order, and the page count older backends
	 * that offered max-ring-pages read. */
	if (d->ring_order)
		err = xenbus_printf(t, dir, "ring-page-order", "%u", d->ring_order);
	if (!err && d->ring_order)
		err = xenbus_printf(t, dir, "num-ring-pages", "%u", 1u << d->ring_order);
	if (!err && d->nr_queues > 1)
		err = xenbus_printf(t, dir, "multi-queue-num-queues", "%u", d->nr_queues);
	for (unsigned int i = 0; i < d->nr_queues && !err; i++)
		err = blkfront_publish_queue(t, d, &d->queues[i]);
	if (!err)
		err = xenbus_printf(t, dir, "protocol", "%s", XEN_IO_PROTO_ABI_NATIVE);
	if (!err)				/* we can: whether we do is the backend's say */
		err = xenbus_printf(t, dir, "feature-persistent", "%u", 1);
	return err;
}

static void blkfront_release_rings(struct blkfront_dev *d)
{
	for (unsigned int i = 0; i < BLKFRONT_MAX_QUEUES; i++)
		if (d->queues[i].nr_pages)
			blkfront_queue_release(&d->queues[i]);
}

static int blkfront_talk(struct blkfront_dev *d)
{
	int err = 0;

	blkfront_read_transport(d);
	for (unsigned int i = 0; i < d->nr_queues && !err; i++)
		err = blkfront_queue_setup(d, i);
	if (err)
		goto out_release_rings;
	err = xs_transaction(blkfront_publish_fn, d);
	if (err)
		goto out_release_rings;
	for (unsigned int i = 0; i < d->nr_queues; i++)
		evtchn_unmask(d->queues[i].port);
	err = xenbus_switch_state(&d->xb, XenbusStateInitialised);
	if (err)
		goto out_release_rings;
	d->state = BLKFRONT_INITIALISED;
	return 0;

out_release_rings:
	blkfront_release_rings(d);
	return err;
}

/* ---- connecting (backend Connected) --------------------------------------------------- */

/* Geometry from the backend, checked before anything relies on it. */
static int blkfront_geometry(struct blkfront_dev *d)
{
	struct blkdev *b = &d->blk;
	unsigned long sectors, ss, pss, info;
	char mode[4] = "";
	char path[XENBUS_PATH_MAX + 8];
	int err;

	err = xenbus_read_ulong(XS_TXN_NONE, d->xb.otherend, "sectors", &sectors);
	if (err) {
		printk("pvkit: blkfront %s: backend gave no size (%d)\n", b->name, err);
		return err == -ENOENT ? -EPROTO : err;
	}
	ss = blkfront_read(d, "sector-size", 512);
	pss = blkfront_read(d, "physical-sector-size", ss);
	info = blkfront_read(d, "info", 0);
	if (ss < 512 || ss > 65536 || (ss & (ss - 1))) {
		printk("pvkit: blkfront %s: sector-size %lu unusable\n", b->name, ss);
		return -EPROTO;
	}
	if (pss < ss || pss > (1ul << 20) || pss % ss || (pss & (pss - 1))) {
		printk("pvkit: blkfront %s: physical-sector-size %lu ignored\n", b->name, pss);
		pss = ss;
	}
	snprintf(path, sizeof(path), "%s/mode", d->xb.otherend);
	xs_read(XS_TXN_NONE, path, mode, sizeof(mode), NULL);	/* optional */
	/* blkif sector numbers (and "sectors", as blkback writes it) are 512-byte units. */
	b->sectors = ALIGN_DOWN((uint64_t)sectors, ss / 512);
	b->sector_size = ss;
	b->physical_sector_size = pss;
	b->readonly = (info & VDISK_READONLY) || !strcmp(mode, "r");
	return 0;
}

/* Optional features, as the backend offers them (absent: off). */
static void blkfront_features(struct blkfront_dev *d)
{
	struct blkdev_features *f = &d->blk.features;
	unsigned long ind = blkfront_read(d, "feature-max-indirect-segments", 0);
	unsigned long gran, align;
	const char *why;

	d->flush = blkfront_read(d, "feature-flush-cache", 0) != 0;
	d->barrier = blkfront_read(d, "feature-barrier", 0) != 0;
	d->discard = blkfront_read(d, "feature-discard", 0) != 0;
	d->discard_secure = d->discard && blkfront_read(d, "discard-secure", 0) != 0;
	d->persistent = blkfront_read(d, "feature-persistent", 0) != 0;
	/* Fewer than a direct request carries: indirect would only cost (as Linux). */
	d->indirect_segs = ind > BLKFRONT_DIRECT_SEGS ? MIN(ind, (unsigned long)BLK_MAX_SEGS) : 0;
	/* blkif.h: absent, the granularity is the sector size and the alignment 0. */
	gran = blkfront_read(d, "discard-granularity", d->blk.sector_size);
	align = blkfront_read(d, "discard-alignment", 0);
	why = d->discard ? blk_discard_check(gran, align, d->blk.sector_size) : NULL;
	if (why) {
		printk("pvkit: blkfront %s: backend's discard-granularity %lu / discard-alignment "
		       "%lu unusable (%s): discard off for this disk\n", d->blk.name, gran, align,
		       why);
		d->discard = d->discard_secure = false;
	}
	d->discard_granularity = d->discard ? gran : 0;
	d->discard_alignment = d->discard ? align : 0;
	f->ring_pages = 1u << d->ring_order;
	f->indirect_segs = d->indirect_segs;
	f->persistent = d->persistent;
	f->queues = d->nr_queues;
	f->flush = d->flush;
	f->barrier = d->barrier;
	f->discard = d->discard;
	f->discard_secure = d->discard_secure;
	f->discard_granularity = d->discard_granularity;
	f->discard_alignment = d->discard_alignment;
}

/* Connected again after a resume (connect's tail for a disk that stayed registered): say
 * what the new backend gave, then the held requests go. */
static int blkfront_reconnected(struct blkfront_dev *d)
{
	const struct blkdev_features *f = &d->blk.features;
	unsigned int held = d->nr_held, sent;
	int err;

	err = xenbus_switch_state(&d->xb, XenbusStateConnected);
	if (err)
		printk("pvkit: blkfront %s: could not say Connected (%d); in use anyway\n",
		       d->blk.name, err);
	d->state = BLKFRONT_CONNECTED;
	d->reconnecting = false;
	d->reconnects++;
	printk("pvkit: blkfront %s: reconnected: queues=%u ring_pages=%u indirect_segs=%u "
	       "persistent=%u flush=%u barrier=%u discard=%u sectors=%lu max_segs=%u; %u held "
	       "requests go again\n", d->blk.name, f->queues, f->ring_pages, f->indirect_segs,
	       f->persistent, f->flush, f->barrier, f->discard, d->blk.sectors, d->blk.max_segs,
	       held);
	sent = blkfront_submit_held(d);
	if (sent < held && d->nr_held)
		printk("pvkit: blkfront %s: %u of them wait for room on the rings\n", d->blk.name,
		       d->nr_held);
	return 0;
}

static int blkfront_connect(struct blkfront_dev *d)
{
	struct blkdev *b = &d->blk;
	unsigned int max_segs, need, parts, rparts, wparts;
	int err;

	err = blkfront_geometry(d);
	if (err)
		return err;
	blkfront_features(d);
	max_segs = d->indirect_segs ? d->indirect_segs : BLKFRONT_DIRECT_SEGS;
	d->timeout_ns = blkfront_timeout_ns;	/* a later pvkit.blk_timeout_s is for later disks */
	/* Parts need indirect requests too; without them a request is 11 pages at most. And
	 * the largest request's parts must fit the rings at once, or it would never go. */
	d->split_pages = d->indirect_segs ? MIN(blkfront_split_pages, d->indirect_segs) : 0;
	if (d->split_pages)
		d->split_pages = MAX(d->split_pages, DIV_ROUND_UP(max_segs, d->nr_queues *
								  d->queues[0].nr_shadow));
	/* The largest request: its data pages and each part's indirect page (a read cut in
	 * parts takes more indirect pages, a write is whole), and its ring requests. */
	need = MAX(blkfront_rq_pages(d, true, max_segs, &rparts),
		   blkfront_rq_pages(d, false, max_segs, &wparts));
	parts = MAX(rparts, wparts);
	err = blkfront_pool_setup(d, need);	/* at least one of them */
	if (err) {
		printk("pvkit: blkfront %s: no bounce pages (%d)\n", b->name, err);
		return err;
	}
	b->max_segs = max_segs;
	/* What both the rings' slots and the pool hold at once, whatever the requests' sizes
	 * (up to max_segs): a caller that keeps no more in flight never gets -EBUSY. Smaller
	 * requests may go beyond it, up to the slots and pages left (docs/blkfront.md). */
	b->queue_depth = MIN(d->nr_queues * d->queues[0].nr_shadow / parts, d->pool_size / need);
	b->ops = &blkfront_ops;
	b->priv = d;
	if (d->registered)			/* after a resume: the same disk, renegotiated */
		return blkfront_reconnected(d);
	err = blkdev_register(b);		/* prints the disk's line */
	if (err)
		goto out_release_pool;
	d->registered = true;
	err = xenbus_switch_state(&d->xb, XenbusStateConnected);
	if (err)
		printk("pvkit: blkfront %s: could not say Connected (%d); in use anyway\n",
		       b->name, err);
	d->state = BLKFRONT_CONNECTED;
	blkfront_gstats.connected++;
	return 0;

out_release_pool:
	blkfront_pool_release(d);
	return err;
}

/* Connected again while connected: the backend resized the disk. */
static void blkfront_resize(struct blkfront_dev *d)
{
	unsigned long sectors;
	unsigned long fl;

	if (xenbus_read_ulong(XS_TXN_NONE, d->xb.otherend, "sectors", &sectors))
		return;
	sectors = ALIGN_DOWN(sectors, d->blk.sector_size / 512);
	if (sectors == d->blk.sectors)
		return;
	printk("pvkit: blkfront %s: capacity changed from %lu to %lu sectors\n", d->blk.name,
	       d->blk.sectors, sectors);
	fl = pv_irq_save();
	d->blk.sectors = sectors;
	pv_irq_restore(fl);
}

/* ---- going away ------------------------------------------------------------------------- */

/* Task context: whatever is still up comes down; the backend is told we are Closed unless
 * there is no backend of ours any more (@tell false: resumed in a new domain). */
static void blkfront_teardown_tell(struct blkfront_dev *d, bool tell)
{
	unsigned long fl;
	unsigned int held;

	fl = pv_irq_save();
	d->dead = true;
	d->teardown = false;
	d->reconnecting = false;
	held = blkfront_fail_held(d, -EIO);	/* a reconnect that never came */
	pv_irq_restore(fl);
	if (held)
		printk("pvkit: blkfront %s: %u held requests failed with -EIO\n", d->blk.name,
		       held);
	blkfront_watchdog_stop(d);
	if (d->registered) {
		blkdev_unregister(&d->blk);	/* the block layer answers -ENODEV from now on */
		d->registered = false;
		blkfront_gstats.removed++;
	}
	/* -ENOENT: the toolstack removed our directory already; nothing to tell. */
	if (tell) {
		xenbus_switch_state(&d->xb, XenbusStateClosing);
		xenbus_switch_state(&d->xb, XenbusStateClosed);
	}
	blkfront_release_rings(d);		/* ports closed, ring grants ended */
	blkfront_pool_release(d);		/* bounce grants ended */
	d->state = BLKFRONT_DEAD;
}

static void blkfront_teardown(struct blkfront_dev *d)
{
	blkfront_teardown_tell(d, true);
}

/* The backend is going (Closing, Closed, gone) or our device was removed. */
static void blkfront_close(struct blkfront_dev *d, const char *why)
{
	unsigned long fl;
	unsigned int n;

	if (d->state == BLKFRONT_DEAD)
		return;
	if (d->state == BLKFRONT_CONNECTED) {
		fl = pv_irq_save();
		d->dead = true;		/* new requests: -EIO (-ENODEV once unregistered) */
		n = blkfront_fail_all(d, -EIO);
		pv_irq_restore(fl);
		printk("pvkit: blkfront %s: %s: %u in-flight requests failed with -EIO\n",
		       d->blk.name, why, n);
	} else {
		printk("pvkit: blkfront %s: %s before connecting\n", d->blk.name, why);
		blkfront_gstats.failed++;
	}
	blkfront_teardown(d);
}

/* Could not bring @d up: say so, tell the backend, keep the slot until it is removed. */
static void blkfront_fail(struct blkfront_dev *d, const char *what, int err)
{
	printk("pvkit: blkfront %s: %s failed (%d): disk not available\n", d->blk.name, what,
	       err);
	blkfront_gstats.failed++;
	blkfront_teardown(d);
}

/* ---- the state machine (watch callbacks, task context) ------------------------------ */

static bool blkfront_is_closing(XenbusState s)
{
	return s == XenbusStateClosing || s == XenbusStateClosed || s == XenbusStateUnknown;
}

static void blkfront_otherend_changed(struct xenbus_device *xb, XenbusState state)
{
	struct blkfront_dev *d = container_of(xb, struct blkfront_dev, xb);
	int err;

	switch (d->state) {
	case BLKFRONT_WAIT_BACKEND:
		if (blkfront_is_closing(state)) {
			blkfront_close(d, "backend went away");
			break;
		}
		if (state != XenbusStateInitWait && state != XenbusStateInitialised &&
		    state != XenbusStateConnected)
			break;			/* not ready for us yet */
		err = blkfront_talk(d);
		if (err) {
			blkfront_fail(d, "publishing the rings", err);
			break;
		}
		if (state != XenbusStateConnected)
			break;
		/* fall through - it skipped ahead to Connected (blkif.h allows that) */
	case BLKFRONT_INITIALISED:
		if (blkfront_is_closing(state)) {
			blkfront_close(d, "backend went away");
		} else if (state == XenbusStateConnected) {
			err = blkfront_connect(d);
			if (err)
				blkfront_fail(d, "connecting", err);
		}
		break;
	case BLKFRONT_CONNECTED:
		if (blkfront_is_closing(state))
			blkfront_close(d, state == XenbusStateUnknown ? "backend gone" :
					  "backend closing");
		else if (state == XenbusStateConnected)
			blkfront_resize(d);
		break;
	case BLKFRONT_DEAD:
		if (state == XenbusStateUnknown)
			blkfront_free_slot(d);	/* the toolstack removed the backend: forget it */
		break;
	default:
		break;
	}
}

static struct xenbus_device *blkfront_device(unsigned int i)
{
	return blkfront_devs[i].state != BLKFRONT_FREE ? &blkfront_devs[i].xb : NULL;
}

/* Take device/vbd/<id> on if it is new and waiting for a frontend (Initialising). A device
 * in another state is one we gave up on or one being removed: leave it alone. */
static void blkfront_probe(const char *id)
{
	char node[XENBUS_PATH_MAX], name[BLK_NAME_MAX];
	struct blkfront_dev *d;
	unsigned long vdev;
	int err;

	if (xenbus_frontend_pending(&blkfront_vbds, id, node, sizeof(node)))
		return;
	err = xenbus_read_ulong(XS_TXN_NONE, node, "virtual-device", &vdev);
	if (err == -ENOENT)
		err = xenbus_read_ulong(XS_TXN_NONE, node, "virtual-device-ext", &vdev);
	if (err == -ENOENT)
		return;				/* not written yet: a later event brings it */
	if (err || vdev > UINT32_MAX || blkfront_vdev_name(vdev, name, sizeof(name))) {
		printk("pvkit: blkfront: device/vbd/%s: virtual-device %lu is no disk we can "
		       "name (%d): refused\n", id, err ? 0 : vdev, err ? err : -EINVAL);
		goto out_refuse;
	}
	if (blkfront_name_taken(name)) {
		printk("pvkit: blkfront: device/vbd/%s: %s exists already: refused\n", id, name);
		goto out_refuse;
	}
	d = blkfront_alloc();
	if (!d) {
		printk("pvkit: blkfront: device/vbd/%s: more than %u disks: refused\n", id,
		       BLKFRONT_MAX_DEVS);
		goto out_refuse;
	}
	err = xenbus_device_init(&d->xb, "vbd", id);
	if (err == -ENOENT)
		return;				/* half written: a later event brings the rest */
	if (err) {
		printk("pvkit: blkfront: device/vbd/%s: backend unusable (%d): refused\n", id,
		       err);
		goto out_refuse;
	}
	memcpy(d->blk.name, name, sizeof(name));
	d->vdev = vdev;
	d->handle = vdev & 0xffff;
	d->state = BLKFRONT_WAIT_BACKEND;
	err = xenbus_watch_otherend(&d->xb, blkfront_vbds.otherend_changed);	/* fires now */
	if (err) {
		d->state = BLKFRONT_FREE;
		printk("pvkit: blkfront %s: cannot watch the backend (%d)\n", name, err);
		return;
	}
	blkfront_gstats.probed++;
	return;

out_refuse:
	blkfront_gstats.rejected++;
	xenbus_frontend_refuse(node);
}

/* device/vbd/<id> disappeared: the toolstack finished removing it. */
static void blkfront_remove(struct xenbus_device *xb)
{
	struct blkfront_dev *d = container_of(xb, struct blkfront_dev, xb);

	blkfront_close(d, "device removed");
	blkfront_free_slot(d);
}

/*
 * Resumed in a new domain (xenbus_frontends_resume; docs/suspend.md "Devices"): the rings'
 * ports and backend are gone, every grant is back (gnttab_resume). Each disk connects again
 * in place, as the same blkdev: what was in flight is taken off the old rings and held
 * (never completed, never lost), the rings and bounce pool go (ports forgotten, not closed:
 * they are not ours any more), the device is looked up again under the new domain's
 * backend path, and the handshake runs again from InitWait: features are read afresh (the
 * new backend may offer others), the held requests go once Connected. A disk that is not in
 * the new domain, or does not reconnect within BLKFRONT_RECONNECT_NS, goes away as a
 * removed one does (its requests fail with -EIO).
 */
static void blkfront_resume_dev(struct blkfront_dev *d)
{
	char id[XENBUS_NAME_MAX];
	unsigned long fl;
	unsigned int n = 0;
	int err;

	for (unsigned int q = 0; q < BLKFRONT_MAX_QUEUES; q++)
		d->queues[q].port_open = false;	/* the old domain's: never close */
	d->suspended_ns = 0;			/* the requests go again: new deadlines */
	if (d->state == BLKFRONT_DEAD || d->state == BLKFRONT_CLOSING) {
		blkfront_free_slot(d);		/* the new domain's device is probed afresh */
		return;
	}
	if (d->state == BLKFRONT_CONNECTED) {
		fl = pv_irq_save();
		n = blkfront_requeue_all(d);
		d->reconnecting = true;
		pv_irq_restore(fl);
		blkfront_watchdog_stop(d);
	}
	blkfront_release_rings(d);
	if (d->pool_size)
		blkfront_pool_release(d);	/* persistent grants dropped, rebuilt at connect */
	memcpy(id, d->xb.id, sizeof(id));
	xenbus_device_release(&d->xb);
	err = xenbus_device_init(&d->xb, "vbd", id);
	if (err) {
		printk("pvkit: blkfront %s: not in the new domain (%d): the disk is gone\n",
		       d->blk.name, err);
		d->state = BLKFRONT_CLOSING;
		blkfront_teardown_tell(d, false);
		blkfront_free_slot(d);
		return;
	}
	printk("pvkit: blkfront %s: resumed: %u requests held, reconnecting to %s\n",
	       d->blk.name, n, d->xb.otherend);
	d->reconnect_deadline = os_clock_ns() + BLKFRONT_RECONNECT_NS;
	d->state = BLKFRONT_WAIT_BACKEND;
	err = xenbus_watch_otherend(&d->xb, blkfront_vbds.otherend_changed);	/* fires now */
	if (err)
		blkfront_fail(d, "watching the new backend", err);
}

/* The domain suspends (interrupts off): its requests' deadlines stop counting here, and the
 * watchdog stops (it would fire the moment interrupts come back, before the upkeep moved
 * the deadlines). */
static void blkfront_suspend(struct xenbus_device *xb)
{
	struct blkfront_dev *d = container_of(xb, struct blkfront_dev, xb);

	if (d->state != BLKFRONT_CONNECTED)
		return;
	blkfront_watchdog_stop(d);
	d->suspended_ns = os_clock_ns();
}

static void blkfront_resume(struct xenbus_device *xb)
{
	blkfront_resume_dev(container_of(xb, struct blkfront_dev, xb));
}

/* ---- task-context upkeep (the idle loop) ---------------------------------------------- */

unsigned int blkfront_upkeep(void)
{
	unsigned int work = 0;

	for (unsigned int i = 0; i < BLKFRONT_MAX_DEVS; i++) {
		struct blkfront_dev *d = &blkfront_devs[i];
		unsigned long fl;

		if (d->reconnecting && os_clock_ns() >= d->reconnect_deadline &&
		    (d->state == BLKFRONT_WAIT_BACKEND || d->state == BLKFRONT_INITIALISED)) {
			printk("pvkit: blkfront %s: the new backend did not connect within %lu s "
			       "of the resume\n", d->blk.name,
			       (unsigned long)(BLKFRONT_RECONNECT_NS / 1000000000));
			blkfront_fail(d, "reconnecting", -ETIMEDOUT);
			work++;
			continue;
		}
		if (d->state != BLKFRONT_CONNECTED && d->state != BLKFRONT_INITIALISED)
			continue;
		if (d->suspended_ns) {		/* back from a cancelled suspend: same rings */
			fl = pv_irq_save();
			blkfront_deadlines_shift(d, os_clock_ns() - d->suspended_ns);
			d->suspended_ns = 0;
			pv_irq_restore(fl);
			work++;
		}
		if (d->teardown) {		/* a broken ring, from the event handler */
			blkfront_teardown(d);
			work++;
			continue;
		}
		fl = pv_irq_save();		/* what an exhausted handler left, lost events */
		for (unsigned int q = 0; q < d->nr_queues; q++)
			work += blkfront_ring_complete(&d->queues[q]);
		pv_irq_restore(fl);
		if (d->nr_done || d->nr_unused)
			work += blkfront_pool_upkeep(d);
		if (d->held_head && d->state == BLKFRONT_CONNECTED)
			work += blkfront_submit_held(d);	/* what did not fit at reconnect */
	}
	return work + gnttab_retire_poll();	/* pages a backend let go of at last */
}

static unsigned int blkfront_idle_poll(void)
{
	return blkfront_upkeep();
}

/* ---- the block layer's side -------------------------------------------------------------- */

static int blkfront_submit(struct blkdev *dev, struct blk_request *rq)
{
	return blkfront_ring_submit(dev->priv, rq, true);
}

static void blkfront_poll(struct blkdev *dev)
{
	struct blkfront_dev *d = dev->priv;
	unsigned long fl = pv_irq_save();

	for (unsigned int q = 0; q < d->nr_queues; q++)
		blkfront_ring_complete(&d->queues[q]);
	pv_irq_restore(fl);
	if (!blkfront_in_handler() && (d->nr_done || d->nr_unused))
		blkfront_pool_upkeep(d);
}

static const struct blkdev_ops blkfront_ops = {
	.submit = blkfront_submit,	/* any context; grants only outside our handler */
	.poll = blkfront_poll,		/* responses a lost event left, used grants ended */
};

int blkfront_submit_unchecked(struct blkdev *dev, struct blk_request *rq)
{
	if (!dev || dev->ops != &blkfront_ops)
		return -ENODEV;
	if (dev->gone)
		return -ENODEV;
	return blkfront_ring_submit(dev->priv, rq, false);
}

int blkfront_get_stats(struct blkdev *dev, struct blkfront_stats *st)
{
	struct blkfront_dev *d;

	if (!dev || dev->ops != &blkfront_ops)
		return -ENODEV;
	d = dev->priv;
	memset(st, 0, sizeof(*st));
	st->vdev = d->vdev;
	snprintf(st->nodename, sizeof(st->nodename), "%s", d->xb.nodename);
	snprintf(st->backend, sizeof(st->backend), "%s", d->xb.otherend);
	st->queues = d->nr_queues;
	st->ring_pages = 1u << d->ring_order;
	st->ring_size = d->queues[0].sring ? RING_SIZE(&d->queues[0].ring) : 0;
	st->max_in_flight_per_queue = d->queues[0].nr_shadow;
	st->pool_pages = d->pool_size;
	st->persistent = d->persistent;
	st->indirect_segs = d->indirect_segs;
	for (unsigned int i = 0; i < d->nr_queues; i++) {
		st->submitted[i] = d->queues[i].submitted;
		st->completed[i] = d->queues[i].completed;
		st->events[i] = d->queues[i].events;
		st->notifies[i] = d->queues[i].notifies;
	}
	st->direct = d->direct;
	st->indirect = d->indirect;
	st->flushes = d->flushes;
	st->barriers = d->barriers;
	st->discards = d->discards;
	st->flushes_local = d->flushes_local;
	st->failed = d->failed;
	st->failed_in_flight = d->failed_in_flight;
	st->grants = d->grants;
	st->grant_ends = d->grant_ends;
	st->grant_deferred = d->grant_deferred;
	st->grant_errors = d->grant_errors;
	st->granted_now = blkfront_pool_granted(d);
	st->discards_trimmed = d->discards_trimmed;
	st->discards_dropped = d->discards_dropped;
	st->bytes_copied = d->bytes_copied;
	st->max_in_flight = d->max_in_flight;
	st->bad_id = d->bad_id;
	st->not_in_flight = d->not_in_flight;
	st->bad_op = d->bad_op;
	st->bad_status = d->bad_status;
	st->ring_errors = d->ring_errors;
	st->timeouts = d->timeouts;
	st->late_responses = d->late_responses;
	st->split_pages = d->split_pages;
	st->split = d->split;
	st->timeout_ns = d->timeout_ns;
	st->broken = d->broken;
	st->reconnects = d->reconnects;
	st->requeued = d->requeued;
	st->held = d->held;
	st->reconnecting = d->reconnecting;
	return 0;
}

void blkfront_get_global_stats(struct blkfront_global_stats *st)
{
	struct gnttab_retire_stats rs;

	*st = blkfront_gstats;
	gnttab_retire_get_stats(&rs);
	st->retired_held = rs.held + (uint32_t)rs.leaked;
	st->watch_events = blkfront_vbds.events;
}

/* ---- bring-up ----------------------------------------------------------------------------- */

static bool blkfront_connecting(void)
{
	for (unsigned int i = 0; i < BLKFRONT_MAX_DEVS; i++)
		if (blkfront_devs[i].state == BLKFRONT_WAIT_BACKEND ||
		    blkfront_devs[i].state == BLKFRONT_INITIALISED)
			return true;
	return false;
}

void blkfront_set_split(unsigned int kib)
{
	blkfront_split_pages = kib / 4;
}

int blkfront_set_timeout(unsigned long seconds)
{
	if (seconds < BLKFRONT_TIMEOUT_MIN_S || seconds > BLKFRONT_TIMEOUT_MAX_S)
		return -EINVAL;
	blkfront_timeout_ns = seconds * 1000000000ull;
	return 0;
}

int blkfront_init(const struct boot_info *bi)
{
	uint64_t deadline = os_clock_ns() + BLKFRONT_CONNECT_NS, now;
	unsigned int up = 0, waiting = 0;
	unsigned long kib, secs;
	int err;

	if (bi && !cmdline_get_ulong(bi->cmdline, BLKFRONT_CMDLINE_SPLIT, &kib)) {
		blkfront_set_split(kib > UINT_MAX ? UINT_MAX : (unsigned int)kib);
		if (blkfront_split_pages)
			printk("pvkit: blkfront: reads above %u KiB go in parts ("
			       BLKFRONT_CMDLINE_SPLIT ")\n", blkfront_split_pages * 4);
		else
			printk("pvkit: blkfront: requests go whole (" BLKFRONT_CMDLINE_SPLIT
			       "=0)\n");
	}
	err = bi ? cmdline_get_ulong(bi->cmdline, BLKFRONT_CMDLINE_TIMEOUT, &secs) : -ENOENT;
	if (!err && !blkfront_set_timeout(secs))
		printk("pvkit: blkfront: requests time out after %lu s (" BLKFRONT_CMDLINE_TIMEOUT
		       ")\n", secs);
	else if (err != -ENOENT)
		printk("pvkit: blkfront: " BLKFRONT_CMDLINE_TIMEOUT " ignored: not a number in "
		       "%u..%u; requests time out after %lu s\n", BLKFRONT_TIMEOUT_MIN_S,
		       BLKFRONT_TIMEOUT_MAX_S, (unsigned long)(blkfront_timeout_ns / 1000000000));
	os_poller_register(&blkfront_poller);
	err = xenbus_frontend_watch(&blkfront_vbds);	/* fires at once: the first scan */
	if (err) {
		printk("pvkit: blkfront: cannot watch device/vbd (%d): no disks\n", err);
		return err;
	}
	/* Each disk's handshake runs from watch callbacks; wait until none is half-way. */
	while (!blkfront_vbds.scanned || blkfront_connecting()) {
		now = os_clock_ns();
		if (now >= deadline)
			break;
		err = xs_wait_event(deadline - now);
		if (err < 0 && err != -ETIMEDOUT)
			break;
	}
	for (unsigned int i = 0; i < BLKFRONT_MAX_DEVS; i++) {
		up += blkfront_devs[i].state == BLKFRONT_CONNECTED;
		waiting += blkfront_devs[i].state == BLKFRONT_WAIT_BACKEND ||
			   blkfront_devs[i].state == BLKFRONT_INITIALISED;
	}
	printk("pvkit: blkfront: %u disks connected, %u still connecting, %u refused or "
	       "failed\n", up, waiting, blkfront_gstats.rejected + blkfront_gstats.failed);
	return 0;
}
