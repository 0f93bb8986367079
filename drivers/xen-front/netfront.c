// SPDX-License-Identifier: MIT
/*
 * Xen virtual network interfaces, the netif protocol, xen/io/netif.h: finding vifs under
 * device/vif (at boot and through a watch when attached later), negotiating what the
 * backend offers (rx-copy, scatter-gather, checksum offload, queues, split event channels,
 * rx-notify, MTU), the xenbus state machine, the struct netdev each vif becomes (carrier =
 * backend Connected), and taking a vif down when its backend closes or breaks the protocol.
 * The rings are netfront_ring.c's. How it works and what was measured: docs/netfront.md.
 */
#include <pvkit/cmdline.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/command.h>
#include <pvkit/xen/xenstore.h>
#include "netfront.h"


static struct netfront_dev netfront_devs[NETFRONT_MAX_DEVS];
static unsigned int netfront_next_slot;		/* slots handed out round robin */
static struct netfront_global_stats netfront_gstats;
static const struct netdev_ops netfront_ops;

static struct xenbus_device *netfront_device(unsigned int i);
static void netfront_probe(const char *id);
static void netfront_otherend_changed(struct xenbus_device *xb, XenbusState state);
static void netfront_remove(struct xenbus_device *xb);
static void netfront_resume(struct xenbus_device *xb);
static unsigned int netfront_idle_poll(void);

/* Our vifs: device/vif, now and as the toolstack attaches and removes them. */
static struct xenbus_frontend netfront_vifs = {
	.type = "vif",
	.device = netfront_device, .max_devices = NETFRONT_MAX_DEVS,
	.probe = netfront_probe,			/* device/vif/<id> to take on */
	.otherend_changed = netfront_otherend_changed,	/* the handshake, closing */
	.remove = netfront_remove,			/* its directory went */
	.resume = netfront_resume,			/* reconnect in a new domain */
};
static struct os_poller netfront_poller = { .name = "netfront", .poll = netfront_idle_poll };

/* ---- slots ------------------------------------------------------------------------------ */

/* A free slot, the one after the last handed out first: a vif that went away is not
 * replaced in the same slot at once (the stack may still hold its netdev pointer). */
static struct netfront_dev *netfront_alloc(void)
{
	for (unsigned int k = 0; k < NETFRONT_MAX_DEVS; k++) {
		unsigned int i = (netfront_next_slot + k) % NETFRONT_MAX_DEVS;
		struct netfront_dev *d = &netfront_devs[i];

		if (d->state != NETFRONT_FREE)
			continue;
		netfront_next_slot = i + 1;
		memset(d, 0, sizeof(*d));
		for (unsigned int kind = 0; kind < NF_LOG_NR; kind++)
			d->log_budget[kind] = NETFRONT_LOG_MAX;
		return d;
	}
	return NULL;
}

static void netfront_free_slot(struct netfront_dev *d)
{
	xenbus_device_release(&d->xb);
	d->state = NETFRONT_FREE;
}

/* The first free ethN. */
static void netfront_name(struct netfront_dev *d)
{
	for (unsigned int n = 0; n < 100; n++) {
		bool taken = false;

		snprintf(d->nd.name, sizeof(d->nd.name), "eth%u", n);
		for (unsigned int i = 0; i < NETFRONT_MAX_DEVS; i++)
			taken |= &netfront_devs[i] != d && netfront_devs[i].registered &&
				 !strcmp(netfront_devs[i].nd.name, d->nd.name);
		if (!taken && !netdev_find(d->nd.name))
			return;
	}
}

/* ---- reading the backend ---------------------------------------------------------------- */

/* <dir>/<node> as a number; @def when absent. A value that is not a number is said once. */
static unsigned long netfront_read(struct netfront_dev *d, const char *dir, const char *node,
				   unsigned long def)
{
	unsigned long v;
	int err = xenbus_read_ulong(XS_TXN_NONE, dir, node, &v);

	if (!err)
		return v;
	if (err != -ENOENT)
		printk("pvkit: netfront %s: %s/%s unreadable (%d): ignored\n", d->xb.nodename,
		       dir, node, err);
	return def;
}

/* "00:16:3e:12:34:56" -> @mac. 0 or -EINVAL (also for multicast or all-zero addresses). */
static int netfront_parse_mac(const char *s, uint8_t mac[ETH_ALEN])
{
	for (unsigned int i = 0; i < ETH_ALEN; i++) {
		unsigned int v = 0;

		for (unsigned int k = 0; k < 2; k++) {
			char c = *s++;

			if (c >= '0' && c <= '9')
				v = v * 16 + (unsigned int)(c - '0');
			else if (c >= 'a' && c <= 'f')
				v = v * 16 + (unsigned int)(c - 'a' + 10);
			else if (c >= 'A' && c <= 'F')
				v = v * 16 + (unsigned int)(c - 'A' + 10);
			else
				return -EINVAL;
		}
		mac[i] = (uint8_t)v;
		if (*s != (i + 1 < ETH_ALEN ? ':' : '\0'))
			return -EINVAL;
		s++;
	}
	if ((mac[0] & 1) || !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return -EINVAL;
	return 0;
}

/* What the backend offers before we connect (InitWait), and our MAC. */
static int netfront_read_backend(struct netfront_dev *d)
{
	const char *be = d->xb.otherend;
	char path[XENBUS_PATH_MAX + 8], mac[24];
	unsigned long queues, mtu;
	int err;

	if (!netfront_read(d, be, "feature-rx-copy", 0)) {
		printk("pvkit: netfront %s: backend cannot copy to us (no feature-rx-copy)\n",
		       d->xb.nodename);
		return -EOPNOTSUPP;	/* we only speak rx-copy: no page flipping */
	}
	snprintf(path, sizeof(path), "%s/mac", d->xb.nodename);
	err = xs_read(XS_TXN_NONE, path, mac, sizeof(mac), NULL);
	if (err || netfront_parse_mac(mac, d->nd.mac)) {
		printk("pvkit: netfront %s: no usable MAC address (%d)\n", d->xb.nodename,
		       err ? err : -EINVAL);
		return err ? err : -EINVAL;
	}
	d->sg = netfront_read(d, be, "feature-sg", 0) != 0;
	d->csum_tx = netfront_read(d, be, "feature-no-csum-offload", 0) == 0;
	d->split = netfront_read(d, be, "feature-split-event-channels", 0) != 0;
	queues = netfront_read(d, be, "multi-queue-max-queues", 1);
	d->nr_queues = MAX(1ul, MIN(queues, (unsigned long)NETFRONT_MAX_QUEUES));
	d->rx_notify = true;		/* we always kick on new rx requests when asked */
	/* Xen's vif hotplug script writes the MTU it gave the vif (the bridge's, or the
	 * config's) into our directory; some toolstacks put it beside the backend's keys. */
	mtu = netfront_read(d, d->xb.nodename, "mtu", netfront_read(d, be, "mtu",
								    ETH_MTU_DEFAULT));
	if (mtu < NETFRONT_MTU_MIN) {
		printk("pvkit: netfront %s: backend mtu %lu too small: using %u\n",
		       d->xb.nodename, mtu, ETH_MTU_DEFAULT);
		mtu = ETH_MTU_DEFAULT;
	}
	d->nd.mtu = (uint32_t)MIN(mtu, d->sg ? (unsigned long)NETFRONT_MTU_MAX_SG :
					       (unsigned long)NETFRONT_MTU_MAX_1SLOT);
	d->max_frame = d->nd.mtu + ETH_HLEN + NETFRONT_VLAN_SLACK;
	return 0;
}

/* ---- publishing our rings (InitWait -> Connected) ---------------------------------------- */

static int netfront_publish_queue(xs_transaction_t t, struct netfront_dev *d,
				  struct netfront_queue *q)
{
	char dir[XENBUS_PATH_MAX + 16];
	int err;

	if (d->nr_queues == 1)
		snprintf(dir, sizeof(dir), "%s", d->xb.nodename);
	else
		snprintf(dir, sizeof(dir), "%s/queue-%u", d->xb.nodename, q->index);
	err = xenbus_printf(t, dir, "tx-ring-ref", "%u", q->tx_ring_ref);
	if (!err)
		err = xenbus_printf(t, dir, "rx-ring-ref", "%u", q->rx_ring_ref);
	if (err)
		return err;
	if (!d->split)
		return xenbus_printf(t, dir, "event-channel", "%u", q->tx_port);
	err = xenbus_printf(t, dir, "event-channel-tx", "%u", q->tx_port);
	return err ? err : xenbus_printf(t, dir, "event-channel-rx", "%u", q->rx_port);
}

/* Everything in one transaction (rerun whole on -EAGAIN: only writes, so idempotent). */
static int netfront_publish_fn(xs_transaction_t t, void *ctx)
{
	struct netfront_dev *d = ctx;
	const char *dir = d->xb.nodename;
	int err = 0;

	if (d->nr_queues > 1)
		err = xenbus_printf(t, dir, "multi-queue-num-queues", "%u", d->nr_queues);
	for (unsigned int i = 0; i < d->nr_queues && !err; i++)
		err = netfront_publish_queue(t, d, &d->queues[i]);
	if (!err)			/* the only receive mode we implement */
		err = xenbus_printf(t, dir, "request-rx-copy", "%u", 1);
	if (!err)
		err = xenbus_printf(t, dir, "feature-rx-notify", "%u", 1);
	if (!err)			/* we take multi-slot rx frames */
		err = xenbus_printf(t, dir, "feature-sg", "%u", 1);
	if (!err)			/* we complete csum_blank rx frames (IPv4 TCP/UDP) */
		err = xenbus_printf(t, dir, "feature-no-csum-offload", "%u", 0);
	if (!err)			/* the stack has no IPv6: say so rather than stay silent */
		err = xenbus_printf(t, dir, "feature-ipv6-csum-offload", "%u", 0);
	return err;
}

static void netfront_release_queues(struct netfront_dev *d)
{
	for (unsigned int i = 0; i < NETFRONT_MAX_QUEUES; i++)
		if (d->queues[i].dev)
			netfront_queue_release(&d->queues[i]);
}

static int netfront_talk(struct netfront_dev *d)
{
	int err;

	err = netfront_read_backend(d);
	if (err)
		return err;
	for (unsigned int i = 0; i < d->nr_queues; i++) {
		err = netfront_queue_setup(d, i);
		if (err)
			goto out_release_queues;
	}
	for (unsigned int i = 0; i < d->nr_queues; i++)
		netfront_rx_refill(&d->queues[i]);	/* buffers before the backend looks */
	err = xs_transaction(netfront_publish_fn, d);
	if (err)
		goto out_release_queues;
	for (unsigned int i = 0; i < d->nr_queues; i++) {
		evtchn_unmask(d->queues[i].tx_port);
		if (d->split)
			evtchn_unmask(d->queues[i].rx_port);
	}
	/* netback connects when the frontend says Connected (there is no Initialised step). */
	err = xenbus_switch_state(&d->xb, XenbusStateConnected);
	if (err)
		goto out_release_queues;
	d->state = NETFRONT_CONNECTING;
	return 0;

out_release_queues:
	netfront_release_queues(d);
	return err;
}

/* ---- connecting (backend Connected) --------------------------------------------------- */

static int netfront_connect(struct netfront_dev *d)
{
	struct netdev_features *f = &d->nd.features;
	int err;

	if (!d->registered)
		netfront_name(d);
	f->sg = d->sg;
	f->csum = d->csum_tx;
	f->ipv6_csum = false;
	f->queues = d->nr_queues;
	f->split_evtchn = d->split;
	f->rx_notify = d->rx_notify;
	d->nd.ops = &netfront_ops;
	d->nd.priv = d;
	if (d->registered) {			/* after a resume: the same interface */
		d->state = NETFRONT_CONNECTED;
		d->resumed = false;
		d->reconnects++;
		printk("pvkit: netfront %s: reconnected: queues=%u sg=%u csum=%u split-evtchn=%u "
		       "mtu=%u\n", d->nd.name, f->queues, f->sg, f->csum, f->split_evtchn,
		       d->nd.mtu);
		netdev_set_carrier(&d->nd, true);	/* the stack announces us again */
		for (unsigned int i = 0; i < d->nr_queues; i++)
			netfront_queue_poll(&d->queues[i]);
		return 0;
	}
	d->nd.carrier = true;
	err = netdev_register(&d->nd);		/* prints the interface's line */
	if (err)
		return err;
	d->registered = true;
	d->state = NETFRONT_CONNECTED;
	netfront_gstats.connected++;
	for (unsigned int i = 0; i < d->nr_queues; i++)
		netfront_queue_poll(&d->queues[i]);	/* what came before we were ready */
	return 0;
}

/* ---- going away ------------------------------------------------------------------------- */

/* Task context: whatever is still up comes down; the backend is told we are Closed. */
static void netfront_teardown_tell(struct netfront_dev *d, bool tell)
{
	unsigned int failed = 0;

	d->teardown = false;
	d->nd.carrier = false;
	for (unsigned int i = 0; i < d->nr_queues; i++)
		if (d->queues[i].tx.sring)
			failed += netfront_tx_fail_all(&d->queues[i]);
	if (d->registered) {
		netdev_unregister(&d->nd);	/* the stack forgets it; tx now -ENODEV */
		d->registered = false;
		netfront_gstats.removed++;
	}
	if (failed)
		printk("pvkit: netfront %s: %u tx slots in flight failed\n", d->nd.name, failed);
	/* -ENOENT: the toolstack removed our directory already; nothing to tell. @tell false:
	 * resumed in a new domain, no backend of ours any more. */
	if (tell) {
		xenbus_switch_state(&d->xb, XenbusStateClosing);
		xenbus_switch_state(&d->xb, XenbusStateClosed);
	}
	netfront_release_queues(d);		/* ports closed, grants ended */
	d->state = NETFRONT_DEAD;
}

static void netfront_teardown(struct netfront_dev *d)
{
	netfront_teardown_tell(d, true);
}

static void netfront_close(struct netfront_dev *d, const char *why)
{
	if (d->state == NETFRONT_DEAD)
		return;
	if (d->state == NETFRONT_CONNECTED) {
		printk("pvkit: netfront %s: %s: carrier down, interface removed\n", d->nd.name,
		       why);
	} else {
		printk("pvkit: netfront %s: %s before connecting\n", d->xb.nodename, why);
		netfront_gstats.failed++;
	}
	netfront_teardown(d);
}

static void netfront_fail(struct netfront_dev *d, const char *what, int err)
{
	printk("pvkit: netfront %s: %s failed (%d): interface not available\n", d->xb.nodename,
	       what, err);
	netfront_gstats.failed++;
	netfront_teardown(d);
}

/* ---- the state machine (watch callbacks, task context) ------------------------------ */

static bool netfront_is_closing(XenbusState s)
{
	return s == XenbusStateClosing || s == XenbusStateClosed || s == XenbusStateUnknown;
}

static void netfront_otherend_changed(struct xenbus_device *xb, XenbusState state)
{
	struct netfront_dev *d = container_of(xb, struct netfront_dev, xb);
	int err;

	switch (d->state) {
	case NETFRONT_WAIT_BACKEND:
		if (netfront_is_closing(state)) {
			netfront_close(d, "backend went away");
			break;
		}
		if (state != XenbusStateInitWait && state != XenbusStateConnected)
			break;			/* not ready for us yet */
		err = netfront_talk(d);
		if (err) {
			netfront_fail(d, "publishing the rings", err);
			break;
		}
		if (state != XenbusStateConnected)
			break;
		/* fall through - it is Connected already */
	case NETFRONT_CONNECTING:
		if (netfront_is_closing(state)) {
			netfront_close(d, "backend went away");
		} else if (state == XenbusStateConnected) {
			err = netfront_connect(d);
			if (err)
				netfront_fail(d, "connecting", err);
		}
		break;
	case NETFRONT_CONNECTED:
		if (netfront_is_closing(state))
			netfront_close(d, state == XenbusStateUnknown ? "backend gone" :
					  "backend closing");
		break;
	case NETFRONT_DEAD:
		if (state == XenbusStateUnknown)
			netfront_free_slot(d);	/* the toolstack removed the backend */
		break;
	default:
		break;
	}
}

static struct xenbus_device *netfront_device(unsigned int i)
{
	return netfront_devs[i].state != NETFRONT_FREE ? &netfront_devs[i].xb : NULL;
}

/* Take device/vif/<id> on if it is new and waiting for a frontend (Initialising). */
static void netfront_probe(const char *id)
{
	char node[XENBUS_PATH_MAX];
	struct netfront_dev *d;
	int err;

	if (xenbus_frontend_pending(&netfront_vifs, id, node, sizeof(node)))
		return;
	d = netfront_alloc();
	if (!d) {
		printk("pvkit: netfront: device/vif/%s: more than %u vifs: refused\n", id,
		       NETFRONT_MAX_DEVS);
		goto out_refuse;
	}
	err = xenbus_device_init(&d->xb, "vif", id);
	if (err == -ENOENT)
		return;				/* half written: a later event brings the rest */
	if (err) {
		printk("pvkit: netfront: device/vif/%s: backend unusable (%d): refused\n", id,
		       err);
		goto out_refuse;
	}
	snprintf(d->nd.name, sizeof(d->nd.name), "vif%.*s", NETDEV_NAME_MAX - 4, id);
	d->state = NETFRONT_WAIT_BACKEND;
	err = xenbus_watch_otherend(&d->xb, netfront_vifs.otherend_changed);	/* fires at once */
	if (err) {
		d->state = NETFRONT_FREE;
		printk("pvkit: netfront %s: cannot watch the backend (%d)\n", node, err);
		return;
	}
	netfront_gstats.probed++;
	return;

out_refuse:
	netfront_gstats.rejected++;
	xenbus_frontend_refuse(node);
}

/* device/vif/<id> disappeared: the toolstack finished removing it. */
static void netfront_remove(struct xenbus_device *xb)
{
	struct netfront_dev *d = container_of(xb, struct netfront_dev, xb);

	netfront_close(d, "device removed");
	netfront_free_slot(d);
}

/*
 * Resumed in a new domain (xenbus_frontends_resume; docs/suspend.md "Devices"): the queues'
 * ports and backend are gone. Each vif connects again in place, as the same interface with
 * the same MAC and addresses: the carrier goes down (sends are refused meanwhile), transmits
 * in flight are dropped and counted (a frame is not a request: the stack or its peer
 * retries), the queues go (ports forgotten, grants ended: nobody maps them now), the device is
 * looked up again under the new backend path and the handshake runs again. When the carrier
 * comes back up the stack announces us (a gratuitous ARP), so the bridge learns where we
 * are. A vif that is not in the new domain goes away as a removed one does.
 */
static void netfront_resume_dev(struct netfront_dev *d)
{
	char id[XENBUS_NAME_MAX];
	unsigned int dropped = 0;
	int err;

	for (unsigned int q = 0; q < NETFRONT_MAX_QUEUES; q++)
		d->queues[q].tx_port_open = d->queues[q].rx_port_open = false;
	if (d->state == NETFRONT_DEAD) {
		netfront_free_slot(d);		/* the new domain's vif is probed afresh */
		return;
	}
	if (d->registered) {
		netdev_set_carrier(&d->nd, false);
		for (unsigned int i = 0; i < d->nr_queues; i++)
			if (d->queues[i].tx.sring)
				dropped += netfront_tx_fail_all(&d->queues[i]);
	}
	netfront_release_queues(d);
	memcpy(id, d->xb.id, sizeof(id));
	xenbus_device_release(&d->xb);
	err = xenbus_device_init(&d->xb, "vif", id);
	if (err) {
		printk("pvkit: netfront %s: not in the new domain (%d): the interface is gone\n",
		       d->xb.nodename, err);
		netfront_teardown_tell(d, false);
		netfront_free_slot(d);
		return;
	}
	d->teardown = false;
	d->resumed = true;
	d->tx_resume_dropped += dropped;
	printk("pvkit: netfront %s: resumed: %u transmits in flight dropped, reconnecting to "
	       "%s\n", d->registered ? d->nd.name : d->xb.nodename, dropped, d->xb.otherend);
	d->state = NETFRONT_WAIT_BACKEND;
	err = xenbus_watch_otherend(&d->xb, netfront_vifs.otherend_changed);	/* fires at once */
	if (err)
		netfront_fail(d, "watching the new backend", err);
}

static void netfront_resume(struct xenbus_device *xb)
{
	netfront_resume_dev(container_of(xb, struct netfront_dev, xb));
}

/* ---- task-context upkeep (the idle loop) ---------------------------------------------- */

unsigned int netfront_upkeep(void)
{
	unsigned int work = 0;

	for (unsigned int i = 0; i < NETFRONT_MAX_DEVS; i++) {
		struct netfront_dev *d = &netfront_devs[i];

		if (d->teardown && (d->state == NETFRONT_CONNECTED ||
				    d->state == NETFRONT_CONNECTING)) {
			printk("pvkit: netfront %s: %s: interface removed\n", d->nd.name, d->why);
			netfront_teardown(d);	/* a broken queue, found by a poll */
			work++;
		}
	}
	return work + gnttab_retire_poll();	/* pages a backend let go of at last */
}

static unsigned int netfront_idle_poll(void)
{
	return netfront_upkeep();
}

/* ---- the stack's side ---------------------------------------------------------------------- */

/* One flow stays on one queue (no reordering): a hash of the IPv4 addresses and ports. */
static unsigned int netfront_pick_queue(struct netfront_dev *d, const struct netbuf *nb)
{
	const uint8_t *f = nb->data;
	uint32_t h = 0;

	if (d->nr_queues == 1)
		return 0;
	if (nb->len >= ETH_HLEN + 24 && f[12] == 0x08 && f[13] == 0x00) {
		for (unsigned int i = ETH_HLEN + 12; i < ETH_HLEN + 20; i++)
			h = h * 31 + f[i];	/* source and destination addresses */
		if ((f[23] == 6 || f[23] == 17) && (f[14] & 15) == 5)
			for (unsigned int i = ETH_HLEN + 20; i < ETH_HLEN + 24; i++)
				h = h * 31 + f[i];	/* ports */
	}
	return h % d->nr_queues;
}

static int netfront_tx(struct netdev *dev, struct netbuf *nb)
{
	struct netfront_dev *d = dev->priv;
	int err;

	if (d->state != NETFRONT_CONNECTED || d->teardown)
		return -ENETDOWN;
	err = netfront_queue_tx(&d->queues[netfront_pick_queue(d, nb)], nb);
	if (!err)
		netbuf_free(nb);		/* copied to the bounce pages: ours to free */
	return err;
}

static void netfront_poll(struct netdev *dev)
{
	struct netfront_dev *d = dev->priv;

	if (d->state != NETFRONT_CONNECTED || d->teardown)
		return;
	for (unsigned int i = 0; i < d->nr_queues; i++)
		netfront_queue_poll(&d->queues[i]);
}

static const struct netdev_ops netfront_ops = {
	.tx = netfront_tx,		/* copies the frame, frees it on success */
	.poll = netfront_poll,		/* every ring's responses; rx buffers reposted */
};

int netfront_get_stats(struct netdev *dev, struct netfront_stats *st)
{
	struct netfront_dev *d;

	if (!dev || dev->ops != &netfront_ops)
		return -ENODEV;
	d = dev->priv;
	memset(st, 0, sizeof(*st));
	snprintf(st->nodename, sizeof(st->nodename), "%s", d->xb.nodename);
	snprintf(st->backend, sizeof(st->backend), "%s", d->xb.otherend);
	st->queues = d->nr_queues;
	st->split_evtchn = d->split;
	st->sg = d->sg;
	st->csum_tx = d->csum_tx;
	st->rx_notify = d->rx_notify;
	st->mtu = d->nd.mtu;
	st->tx_ids = NETFRONT_TX_IDS;
	st->rx_bufs = NETFRONT_RX_BUFS;
	st->tx_frames = d->tx_frames;
	st->tx_slots = d->tx_slots;
	st->tx_multi = d->tx_multi;
	st->tx_csum_offload = d->tx_csum_offload;
	st->tx_csum_sw = d->tx_csum_sw;
	st->tx_done = d->tx_done;
	st->tx_errors = d->tx_errors;
	st->tx_failed = d->tx_failed;
	st->tx_busy = d->tx_busy;
	st->rx_frames = d->rx_frames;
	st->rx_slots = d->rx_slots;
	st->rx_multi = d->rx_multi;
	st->rx_extras = d->rx_extras;
	st->rx_csum_blank = d->rx_csum_blank;
	st->rx_csum_valid = d->rx_csum_valid;
	st->rx_dropped = d->rx_dropped;
	for (unsigned int i = 0; i < d->nr_queues; i++) {
		st->events += d->queues[i].events;
		st->notifies += d->queues[i].notifies;
		st->broken |= d->queues[i].broken;
	}
	st->grants = d->grants;
	st->grant_ends = d->grant_ends;
	st->grant_deferred = d->grant_deferred;
	st->bad_id = d->bad_id;
	st->not_in_flight = d->not_in_flight;
	st->bad_offset = d->bad_offset;
	st->bad_status = d->bad_status;
	st->bad_flags = d->bad_flags;
	st->long_chain = d->long_chain;
	st->ring_errors = d->ring_errors;
	st->reconnects = d->reconnects;
	st->tx_resume_dropped = d->tx_resume_dropped;
	return 0;
}

/* Retired pages (of every frontend) a backend still maps, and those leaked for want of room. */
static uint32_t netfront_retired_held(void)
{
	struct gnttab_retire_stats rs;

	gnttab_retire_get_stats(&rs);
	return rs.held + (uint32_t)rs.leaked;
}

void netfront_get_global_stats(struct netfront_global_stats *st)
{
	*st = netfront_gstats;
	st->watch_events = netfront_vifs.events;
	st->retired_held = netfront_retired_held();
}

/* The console's "netfront": each interface's negotiation and counters, one line each. */
static void netfront_cmd(const char *args)
{
	struct netfront_stats st;

	for (unsigned int i = 0; i < NETFRONT_MAX_DEVS; i++) {
		struct netfront_dev *d = &netfront_devs[i];

		if (!d->registered || netfront_get_stats(&d->nd, &st))
			continue;
		printk("pvkit: netfront %s %s queues=%u split=%d sg=%d csum_tx=%d tx_frames=%lu "
		       "tx_slots=%lu tx_multi=%lu tx_csum_offload=%lu tx_csum_sw=%lu tx_errors=%lu "
		       "tx_busy=%lu rx_frames=%lu rx_slots=%lu rx_multi=%lu rx_csum_blank=%lu "
		       "rx_csum_valid=%lu rx_dropped=%lu events=%lu notifies=%lu grants=%lu "
		       "grant_ends=%lu deferred=%lu bad_id=%lu not_in_flight=%lu bad_offset=%lu "
		       "bad_status=%lu bad_flags=%lu long_chain=%lu ring_errors=%lu\n",
		       d->nd.name, st.nodename, st.queues, st.split_evtchn, st.sg, st.csum_tx,
		       st.tx_frames, st.tx_slots, st.tx_multi, st.tx_csum_offload, st.tx_csum_sw,
		       st.tx_errors, st.tx_busy, st.rx_frames, st.rx_slots, st.rx_multi,
		       st.rx_csum_blank, st.rx_csum_valid, st.rx_dropped, st.events, st.notifies,
		       st.grants, st.grant_ends, st.grant_deferred, st.bad_id, st.not_in_flight,
		       st.bad_offset, st.bad_status, st.bad_flags, st.long_chain, st.ring_errors);
	}
	printk("pvkit: netfront probed=%u connected=%u removed=%u failed=%u rejected=%u "
	       "retired_held=%u\n", netfront_gstats.probed, netfront_gstats.connected,
	       netfront_gstats.removed, netfront_gstats.failed, netfront_gstats.rejected,
	       netfront_retired_held());
}

SERVE_COMMAND(netfront, "netfront: each Xen interface's negotiated features and counters",
	      netfront_cmd);

/* ---- bring-up ----------------------------------------------------------------------------- */

static bool netfront_connecting(void)
{
	for (unsigned int i = 0; i < NETFRONT_MAX_DEVS; i++)
		if (netfront_devs[i].state == NETFRONT_WAIT_BACKEND ||
		    netfront_devs[i].state == NETFRONT_CONNECTING)
			return true;
	return false;
}

int netfront_init(const struct boot_info *bi)
{
	uint64_t deadline = os_clock_ns() + NETFRONT_CONNECT_NS, now;
	unsigned int up = 0, waiting = 0;
	char val[8];
	int err;

	if (bi && !cmdline_get(bi->cmdline, NETFRONT_CMDLINE_KEY, val, sizeof(val)) &&
	    !strcmp(val, "0")) {
		printk("pvkit: netfront: off (" NETFRONT_CMDLINE_KEY "=0)\n");
		return 0;
	}
	os_poller_register(&netfront_poller);
	err = xenbus_frontend_watch(&netfront_vifs);	/* fires at once: the first scan */
	if (err) {
		printk("pvkit: netfront: cannot watch device/vif (%d): no vifs\n", err);
		return err;
	}
	while (!netfront_vifs.scanned || netfront_connecting()) {
		now = os_clock_ns();
		if (now >= deadline)
			break;
		err = xs_wait_event(deadline - now);
		if (err < 0 && err != -ETIMEDOUT)
			break;
	}
	for (unsigned int i = 0; i < NETFRONT_MAX_DEVS; i++) {
		up += netfront_devs[i].state == NETFRONT_CONNECTED;
		waiting += netfront_devs[i].state == NETFRONT_WAIT_BACKEND ||
			   netfront_devs[i].state == NETFRONT_CONNECTING;
	}
	printk("pvkit: netfront: %u vifs connected, %u still connecting, %u refused or failed\n",
	       up, waiting, netfront_gstats.rejected + netfront_gstats.failed);
	return 0;
}
