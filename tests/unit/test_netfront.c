// SPDX-License-Identifier: MIT
/*
 * netfront (drivers/xen-front/netfront*.c) whole, with the real xenstore client and xenbus,
 * against the fake xenstored and a fake netback (fake_netback.c): negotiation of each
 * feature and the fallback when it is absent, frames both ways (one and several slots,
 * checksum offload both ways), every hostile response (bad and duplicate ids, offset + size
 * beyond the page, error and unknown status, over-long chains, bad extra-info, rsp_prod
 * jumping), the backend closing during traffic, and the grant balance. Each case runs in a
 * child process: the driver's slots are global.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/idle.h>
#include <pvkit/netdev.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/netfront.h>
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>
#define xen_mb()	__sync_synchronize()
#define xen_rmb()	__sync_synchronize()
#define xen_wmb()	__sync_synchronize()
#include <xen/io/netif.h>
#include "../../xen-guest/xs_proto.h"
#include "fake_netback.h"
#include "fake_xenstored.h"
#include "unit.h"

/* ---- the kernel around netfront: device layer, idle pollers, printk -------------------- */

static struct netdev *devs[8];
static unsigned int nr_devs, unregistered;
static struct os_poller *poller;
static struct netbuf *rxq[512];		/* frames handed up, in order */
static unsigned int nr_rx;

int netdev_register(struct netdev *dev)
{
	const uint8_t *m = dev->mac;

	if (netdev_find(dev->name))
		return -EEXIST;
	dev->gone = false;
	devs[nr_devs++] = dev;
	printk("pvkit: net %s mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%u features: sg=%d csum=%d "
	       "queues=%u split-evtchn=%d\n", dev->name, m[0], m[1], m[2], m[3], m[4], m[5],
	       dev->mtu, dev->features.sg, dev->features.csum, dev->features.queues,
	       dev->features.split_evtchn);
	return 0;
}

void netdev_unregister(struct netdev *dev)
{
	for (unsigned int i = 0; i < nr_devs; i++)
		if (devs[i] == dev)
			devs[i] = devs[--nr_devs];
	dev->gone = true;
	unregistered++;
}

void netdev_set_carrier(struct netdev *dev, bool up)
{
	if (up && !dev->carrier)
		dev->carrier_ups++;
	dev->carrier = up;
}

struct netdev *netdev_find(const char *name)
{
	for (unsigned int i = 0; i < nr_devs; i++)
		if (!strcmp(devs[i]->name, name))
			return devs[i];
	return NULL;
}

void netdev_rx(struct netdev *dev, struct netbuf *nb)
{
	dev->stats.rx_frames++;
	if (nr_rx < ARRAY_SIZE(rxq))
		rxq[nr_rx++] = nb;
	else
		netbuf_free(nb);
}

void os_poller_register(struct os_poller *p)
{
	poller = p;
}

/* ---- fixture ------------------------------------------------------------------------------ */

static unsigned int upkeep(void)
{
	return poller ? poller->poll() : 0;
}

static void start(void)
{
	xs_reset();
	fxs_init(FNB_DOMID, "guest", 0);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
	fnb_reset();
}

/* The vif with fnb.offer: netfront finds it, publishes, the backend connects. */
static struct netdev *bring_up(void)
{
	fnb_add(0);
	CHECK(netfront_init(NULL) == 0);
	CHECKF(fnb_connect() == 0, "%s", fnb.violation);
	fxs_pump();
	return netdev_find("eth0");
}

static const char *fe_key(const char *node)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", fnb.fe, node);
	return fxs_get(path);
}

static void in_child(void (*fn)(void))
{
	int st = 0;
	pid_t pid = fork();

	if (pid == 0) {
		unit_failed_checks = 0;
		fn();
		fflush(stdout);
		_exit(unit_failed_checks ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}

static void poll_dev(struct netdev *dev)
{
	if (dev && !dev->gone)
		dev->ops->poll(dev);
}

static void drop_rx(void)
{
	for (unsigned int i = 0; i < nr_rx; i++)
		netbuf_free(rxq[i]);
	nr_rx = 0;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }

static uint16_t sum16(const uint8_t *p, uint32_t n, uint32_t sum)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* An IPv4/UDP frame of @payload bytes (pattern @tag) to/from made-up addresses. With
 * @partial the UDP checksum field holds the pseudo-header sum only (a csum_blank frame). */
static uint32_t udp_frame(uint8_t *f, uint32_t payload, unsigned int tag, bool partial)
{
	uint8_t *ip = f + 14, *u = ip + 20;
	uint32_t ulen = 8 + payload, ps;

	memset(f, 0, 14 + 20 + ulen);
	memcpy(f, "\x00\x16\x3e\xaa\xbb\xcc\x02\x00\x00\x00\x00\x01", 12);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + ulen));
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	put16(ip + 10, (uint16_t)~sum16(ip, 20, 0));
	put16(u, 1234);
	put16(u + 2, 7);
	put16(u + 4, (uint16_t)ulen);
	for (uint32_t i = 0; i < payload; i++)
		u[8 + i] = (uint8_t)(i * 7 + tag);
	ps = sum16(ip + 12, 8, 17 + ulen);
	if (partial)
		put16(u + 6, (uint16_t)ps);
	else
		put16(u + 6, (uint16_t)~sum16(u, ulen, ps));
	return 14 + 20 + ulen;
}

static bool udp_csum_ok(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + 14;
	uint32_t ulen = len - 34;

	return sum16(f + 34, ulen, sum16(ip + 12, 8, 17 + ulen)) == 0xffff;
}

static int send_frame(struct netdev *dev, const uint8_t *f, uint32_t len, bool partial)
{
	struct netbuf *nb = netbuf_alloc(len, 0);
	int err;

	memcpy(nb->data, f, len);
	nb->len = len;
	if (partial) {
		nb->csum = NETBUF_CSUM_PARTIAL;
		nb->csum_start = 34;
		nb->csum_offset = 6;
	}
	err = dev->ops->tx(dev, nb);
	if (err)
		netbuf_free(nb);
	return err;
}

static struct netfront_stats stats(struct netdev *dev)
{
	struct netfront_stats st;

	CHECK(netfront_get_stats(dev, &st) == 0);
	return st;
}

/* ---- negotiation ---------------------------------------------------------------------------- */

static void everything_offered(void)
{
	struct netdev *dev;

	start();
	dev = bring_up();
	CHECK(dev != NULL);
	if (!dev)
		return;
	CHECK(unit_logged("pvkit: net eth0 mac=00:16:3e:aa:bb:cc mtu=1500 features: sg=1 csum=1 "
		     "queues=4 split-evtchn=1"));
	CHECK(dev->carrier);
	CHECK(fnb.nr_queues == 4 && fnb.fe_split && fnb.fe_rx_copy && fnb.fe_rx_notify &&
	      fnb.fe_sg && !fnb.fe_no_csum);
	CHECK(fe_key("queue-3/event-channel-rx") && !fe_key("event-channel"));
	CHECK(fe_key("feature-ipv6-csum-offload") && !strcmp(fe_key("feature-ipv6-csum-offload"),
							     "0"));
	for (unsigned int q = 0; q < 4; q++)
		CHECKF(fnb_rx_posted(q) == 128, "queue %u: %u posted", q, fnb_rx_posted(q));
	CHECK(fnb.violations == 0);
}

static void nothing_offered(void)
{
	struct netdev *dev;
	uint8_t f[1600];
	uint32_t len;

	start();
	fnb.offer.sg = fnb.offer.split = false;
	fnb.offer.no_csum = true;
	fnb.offer.max_queues = 0;
	dev = bring_up();
	CHECK(dev != NULL);
	if (!dev)
		return;
	CHECK(unit_logged("features: sg=0 csum=0 queues=1 split-evtchn=0"));
	CHECK(fe_key("event-channel") && fe_key("tx-ring-ref") && !fe_key("queue-0/tx-ring-ref") &&
	      !fe_key("event-channel-tx") && !fe_key("multi-queue-num-queues"));
	/* No offload at the backend: a partial checksum is completed here. */
	len = udp_frame(f, 200, 1, true);
	CHECK(send_frame(dev, f, len, true) == 0);
	CHECK(fnb_tx_step() == 1);
	CHECK(fnb.tx_log[0].len == len && !(fnb.tx_log[0].flags & NETTXF_csum_blank));
	CHECK(udp_csum_ok(fnb.tx_log[0].data, len));
	CHECK(stats(dev).tx_csum_sw == 1);
	CHECK(fnb.violations == 0);
}

static void odd_offers(void)
{
	struct netdev *dev;

	start();
	fnb.offer.max_queues = 64;	/* more than we ask for: clamped */
	fnb.offer.mtu = 40;		/* too small: default */
	dev = bring_up();
	CHECK(dev != NULL && dev->mtu == 1500 && dev->features.queues == NETFRONT_MAX_QUEUES);
	CHECK(fnb.violations == 0);
}

static void refusals(void)
{
	struct netfront_global_stats g;

	start();
	fnb.offer.rx_copy = false;	/* page flipping only: we do not speak it */
	fnb_add(0);
	CHECK(netfront_init(NULL) == 0);
	fxs_pump();
	CHECK(!netdev_find("eth0"));
	CHECK(unit_logged("no feature-rx-copy"));
	CHECK(fe_key("state") && !strcmp(fe_key("state"), "6"));
	netfront_get_global_stats(&g);
	CHECK(g.failed == 1 && g.connected == 0);
	CHECK(fnb_ports_open() == 0);
}

static void bad_mac(void)
{
	start();
	fnb.offer.mac = "01:16:3e:aa:bb:cc";	/* multicast */
	fnb_add(0);
	CHECK(netfront_init(NULL) == 0);
	fxs_pump();
	CHECK(!netdev_find("eth0") && unit_logged("no usable MAC address"));
}

/* ---- traffic ------------------------------------------------------------------------------- */

static void traffic(void)
{
	struct netdev *dev;
	struct fgnt_stats g;
	uint8_t f[9100], big[9100];
	uint32_t len;

	start();
	fnb.offer.mtu = 9000;
	dev = bring_up();
	CHECK(dev != NULL && dev->mtu == 9000);
	if (!dev)
		return;
	/* tx: small with offload, then a jumbo frame over three slots. */
	len = udp_frame(f, 100, 2, true);
	CHECK(send_frame(dev, f, len, true) == 0);
	CHECK(fnb_tx_step() == 1);
	CHECK(fnb.tx_log[0].flags & NETTXF_csum_blank);
	CHECK(!memcmp(fnb.tx_log[0].data, f, len));
	len = udp_frame(big, 8900, 3, false);
	CHECK(send_frame(dev, big, len, false) == 0);
	CHECK(fnb_tx_step() == 1);
	CHECK(fnb.tx_log[1].len == len && fnb.tx_log[1].slots == 3);
	CHECK(!memcmp(fnb.tx_log[1].data, big, sizeof(fnb.tx_log[1].data)));
	poll_dev(dev);
	CHECK(stats(dev).tx_done == 4 && stats(dev).tx_multi == 1);
	/* rx: one slot; several slots; csum_blank completed; data_validated trusted. */
	len = udp_frame(f, 300, 4, false);
	CHECK(fnb_rx(0, f, len, 0, 4096) == 0);
	len = udp_frame(big, 8000, 5, false);
	CHECK(fnb_rx(1, big, len, NETRXF_data_validated, 1000) == 0);	/* 9 slots */
	len = udp_frame(f, 64, 6, true);
	CHECK(fnb_rx(2, f, len, NETRXF_csum_blank | NETRXF_data_validated, 4096) == 0);
	poll_dev(dev);
	CHECKF(nr_rx == 3, "%u frames", nr_rx);
	if (nr_rx == 3) {
		CHECK(rxq[0]->len == 14 + 28 + 300 && rxq[0]->csum == NETBUF_CSUM_NONE);
		CHECK(rxq[1]->len == len - 64 + 8000 && rxq[1]->csum == NETBUF_CSUM_VALID);
		CHECK(!memcmp(rxq[1]->data, big, rxq[1]->len));
		CHECK(rxq[2]->csum == NETBUF_CSUM_VALID && udp_csum_ok(rxq[2]->data, rxq[2]->len));
	}
	CHECK(stats(dev).rx_multi == 1 && stats(dev).rx_csum_blank == 1);
	drop_rx();
	/* Grant balance: the rings and the posted rx buffers, nothing else. */
	fgnt_stats(&g);
	CHECKF(g.live == 4 * (2 + 128), "%u live", g.live);
	CHECK(g.bad_ends == 0 && fnb.violations == 0);
	/* Many frames both ways: the balance holds, buffers recycle. */
	for (unsigned int i = 0; i < 2000; i++) {
		len = udp_frame(f, 1 + i % 1400, (unsigned int)i, i & 1);
		CHECK(send_frame(dev, f, len, i & 1) == 0);
		CHECK(fnb_rx(i % 4, f, len, 0, 4096) == 0);
		if (i % 50 == 49) {
			fnb_tx_step();
			poll_dev(dev);
			drop_rx();
		}
	}
	fnb_tx_step();
	poll_dev(dev);
	drop_rx();
	fgnt_stats(&g);
	CHECKF(g.live == 4 * (2 + 128), "%u live", g.live);
	CHECK(stats(dev).rx_frames == 2003 && stats(dev).tx_done == 2004);
	CHECK(stats(dev).rx_dropped == 0 && fnb.violations == 0);
}

static void ring_full(void)
{
	struct netdev *dev;
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);
	unsigned int sent = 0;
	int err = 0;

	start();
	fnb.offer.max_queues = 1;
	dev = bring_up();
	if (!dev)
		return;
	fnb.hold_tx = true;
	while (sent < 1000 && !(err = send_frame(dev, f, len, false))) {
		sent++;
		fnb_tx_step();
	}
	CHECKF(err == -EBUSY && sent == 256, "%d after %u", err, sent);
	fnb_tx_release();
	fnb.hold_tx = false;
	CHECK(send_frame(dev, f, len, false) == 0);
	CHECK(stats(dev).tx_busy == 1);
}

/* ---- hostile responses ------------------------------------------------------------------- */

static struct netdev *hostile_setup(void)
{
	struct netdev *dev;

	start();
	fnb.offer.max_queues = 1;
	dev = bring_up();
	CHECK(dev != NULL);
	return dev;
}

/* The vif was abandoned: upkeep tears it down; nothing leaks once the backend lets go. */
static void check_abandoned(struct netdev *dev, const char *why)
{
	struct fgnt_stats g;

	CHECK(stats(dev).broken);
	CHECK(!dev->carrier);
	CHECK(dev->ops->tx(dev, NULL) == -ENETDOWN);
	upkeep();
	fxs_pump();
	CHECK(dev->gone && unregistered == 1);
	CHECKF(unit_logged(why), "no log line \"%s\"", why);
	CHECK(fe_key("state") && !strcmp(fe_key("state"), "6"));
	fnb_disconnect();
	upkeep();
	fgnt_stats(&g);
	CHECKF(g.live == 0 && g.deferred == 0 && g.bad_ends == 0, "live %u deferred %u bad %u",
	       g.live, g.deferred, g.bad_ends);
	CHECKF(fake_pages_in_use == 0, "%u pages", fake_pages_in_use);
	CHECK(fnb_ports_open() == 0 && fake_bad_frees == 0);
	drop_rx();
	CHECK(fake_netbufs_live == 0);
}

static void rx_bad_id(void)
{
	struct netdev *dev = hostile_setup();
	struct netif_rx_response r = { .id = 999, .status = 60 };

	if (!dev)
		return;
	CHECK(fnb_rx_raw(0, &r) == 0);
	poll_dev(dev);
	CHECK(stats(dev).bad_id == 1 && nr_rx == 0);
	check_abandoned(dev, "rx response with a bad id");
}

static void rx_dup_id(void)
{
	struct netdev *dev = hostile_setup();
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);
	struct netif_rx_response r = { .status = (int16_t)len };

	if (!dev)
		return;
	r.id = (uint16_t)fnb_rx_next_id(0);
	CHECK(fnb_rx_raw(0, &r) == 0);
	CHECK(fnb_rx_raw(0, &r) == 0);		/* the same id again, before it is reposted */
	poll_dev(dev);
	CHECK(stats(dev).not_in_flight == 1);
	check_abandoned(dev, "rx response for a buffer not in flight");
}

static void tx_bad_ids(void)
{
	struct netdev *dev = hostile_setup();
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);

	if (!dev)
		return;
	fnb.hold_tx = true;
	CHECK(send_frame(dev, f, len, false) == 0);
	fnb_tx_step();
	fnb_tx_raw(0, 5000, NETIF_RSP_OKAY);
	poll_dev(dev);
	CHECK(stats(dev).bad_id == 1);
	check_abandoned(dev, "tx response with a bad id");
}

/* Two frames sent, taken by the backend and held; returns the first one's tx id. */
static int hold_two_frames(struct netdev *dev)
{
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);

	fnb.hold_tx = true;
	CHECK(send_frame(dev, f, len, false) == 0);
	CHECK(send_frame(dev, f, len, false) == 0);
	fnb_tx_step();
	return fnb_tx_held_id();
}

static void tx_dup_id(void)
{
	struct netdev *dev = hostile_setup();
	int id;

	if (!dev)
		return;
	id = hold_two_frames(dev);
	fnb_tx_raw(0, (uint16_t)id, NETIF_RSP_OKAY);
	fnb_tx_raw(0, (uint16_t)id, NETIF_RSP_OKAY);	/* the same slot answered twice */
	poll_dev(dev);
	CHECK(stats(dev).tx_done == 1 && stats(dev).not_in_flight == 1);
	check_abandoned(dev, "tx response for no request in flight");
}

static void tx_status(void)
{
	struct netdev *dev = hostile_setup();
	int id;

	if (!dev)
		return;
	id = hold_two_frames(dev);
	fnb_tx_raw(0, (uint16_t)id, NETIF_RSP_ERROR);
	fnb_tx_raw(0, (uint16_t)(id + 1), 77);	/* the second frame's slot */
	poll_dev(dev);
	CHECKF(stats(dev).tx_errors == 2 && stats(dev).bad_status == 1 && !stats(dev).broken,
	       "errors %lu bad %lu", stats(dev).tx_errors, stats(dev).bad_status);
	CHECK(dev->carrier);
}

/* A response that only spoils its frame: dropped, counted; the next frame gets through. */
static void rx_spoiled(const struct netif_rx_response *bad, uint64_t *counter_a,
		       const char *what)
{
	struct netdev *dev = hostile_setup();
	struct netif_rx_response r;
	struct netfront_stats st;
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);

	if (!dev)
		return;
	r = *bad;
	r.id = (uint16_t)fnb_rx_next_id(0);
	CHECK(fnb_rx_raw(0, &r) == 0);
	CHECK(fnb_rx(0, f, len, 0, 4096) == 0);
	poll_dev(dev);
	st = stats(dev);
	CHECKF(nr_rx == 1 && rxq[0]->len == len, "%u frames", nr_rx);
	CHECK(st.rx_dropped == 1 && !st.broken && dev->carrier);
	CHECKF(unit_logged(what), "no log \"%s\"", what);
	CHECK(fnb_rx_posted(0) == 128);		/* both buffers reposted */
	(void)counter_a;
	drop_rx();
}

static void rx_offset_over_page(void)
{
	struct netif_rx_response r = { .offset = 4000, .status = 200 };

	rx_spoiled(&r, NULL, "rx offset 4000 + size 200 beyond the page");
}

static void rx_bad_status(void)
{
	struct netif_rx_response r = { .status = -77 };

	rx_spoiled(&r, NULL, "rx response status -77");
}

static void rx_error_status(void)
{
	struct netif_rx_response r = { .status = NETIF_RSP_ERROR };
	struct netdev *dev;

	rx_spoiled(&r, NULL, "pvkit: net eth0 mac=");
	dev = netdev_find("eth0");
	CHECK(dev && dev->stats.rx_errors == 1);
}

static void rx_bad_flags(void)
{
	struct netif_rx_response r = { .status = 60, .flags = NETRXF_gso_prefix };

	rx_spoiled(&r, NULL, "rx flags 0x10 not negotiated");
}

static void rx_long_chain(void)
{
	struct netdev *dev = hostile_setup();
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);

	if (!dev)
		return;
	for (unsigned int i = 0; i < 30; i++) {	/* 30 slots of more_data, then the end */
		struct netif_rx_response r = { .status = 10, .flags = NETRXF_more_data };

		if (i == 29)
			r.flags = 0;
		r.id = (uint16_t)fnb_rx_next_id(0);
		CHECK(fnb_rx_raw(0, &r) == 0);
	}
	CHECK(fnb_rx(0, f, len, 0, 4096) == 0);
	poll_dev(dev);
	CHECKF(nr_rx == 1 && stats(dev).long_chain == 1 && stats(dev).rx_dropped == 1,
	       "%u frames, long %lu", nr_rx, stats(dev).long_chain);
	CHECK(unit_logged("rx frame of more than 18 slots") && !stats(dev).broken);
	drop_rx();
}

static void rx_extras(void)
{
	struct netdev *dev = hostile_setup();
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);
	struct netif_rx_response r = { .status = (int16_t)len, .flags = NETRXF_extra_info };
	struct netif_extra_info x = { .type = XEN_NETIF_EXTRA_TYPE_HASH };

	if (!dev)
		return;
	/* A frame with one (unasked, harmless) hash extra: delivered. */
	r.id = (uint16_t)fnb_rx_next_id(0);
	CHECK(fnb_rx_raw(0, &r) == 0);
	CHECK(fnb_rx_raw(0, &x) == 0);
	/* Then one with an endless chain of extras (MORE on each), then a bad type. */
	r.id = (uint16_t)fnb_rx_next_id(0);
	CHECK(fnb_rx_raw(0, &r) == 0);
	x.flags = XEN_NETIF_EXTRA_FLAG_MORE;
	for (unsigned int i = 0; i < 10; i++)
		CHECK(fnb_rx_raw(0, &x) == 0);
	x.flags = 0;
	x.type = 77;
	CHECK(fnb_rx_raw(0, &x) == 0);
	CHECK(fnb_rx(0, f, len, 0, 4096) == 0);
	fnb_rx_push(0);
	poll_dev(dev);
	CHECKF(nr_rx == 2, "%u frames", nr_rx);	/* the first (garbage data) and the last */
	CHECK(stats(dev).long_chain == 1 && stats(dev).rx_extras == 12 && !stats(dev).broken);
	CHECK(fnb_rx_posted(0) == 128);
	drop_rx();
}

static void rx_prod_jump(void)
{
	struct netdev *dev = hostile_setup();

	if (!dev)
		return;
	fnb_rx_jump(0, 384);			/* a ring and a half */
	poll_dev(dev);
	CHECK(stats(dev).ring_errors == 1 && nr_rx == 0);
	check_abandoned(dev, "rx rsp_prod beyond our requests");
}

static void tx_prod_back(void)
{
	struct netdev *dev = hostile_setup();

	if (!dev)
		return;
	fnb_tx_jump(0, -3);			/* behind rsp_cons */
	poll_dev(dev);
	CHECK(stats(dev).ring_errors == 1);
	check_abandoned(dev, "tx rsp_prod beyond our requests");
}

static void event_storm(void)
{
	struct netdev *dev = hostile_setup();

	if (!dev)
		return;
	for (unsigned int i = 0; i < 100000; i++)
		fnb_rx_push(0);			/* events, no responses */
	poll_dev(dev);
	CHECK(stats(dev).events >= 100000 && nr_rx == 0 && dev->carrier);
}

/* ---- going away -------------------------------------------------------------------------- */

static void closing_during_traffic(void)
{
	struct gnttab_retire_stats rs;
	struct netdev *dev = hostile_setup();
	struct netfront_global_stats gs;
	struct fgnt_stats g;
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);

	if (!dev)
		return;
	fnb.hold_tx = true;
	for (unsigned int i = 0; i < 10; i++)
		CHECK(send_frame(dev, f, len, false) == 0);
	fnb_tx_step();				/* taken, held, still mapped */
	CHECK(fnb_rx(0, f, len, 0, 4096) == 0);	/* and a frame waiting to be read */
	fnb_set_state(XenbusStateClosing);
	fxs_pump();
	CHECK(dev->gone && !dev->carrier && unregistered == 1);
	CHECK(unit_logged("pvkit: netfront eth0: 10 tx slots in flight failed"));
	CHECK(unit_logged("eth0: backend closing: carrier down"));
	CHECK(fe_key("state") && !strcmp(fe_key("state"), "6"));
	CHECK(stats(dev).tx_failed == 10);
	fgnt_stats(&g);
	gnttab_retire_get_stats(&rs);
	CHECKF(rs.held == 12 && g.live == 12 && g.deferred == 0, "held %u live %u (rings 2, "
	       "held tx 10)", rs.held, g.live);
	fnb_disconnect();			/* netback unmaps; the retired pages go */
	upkeep();
	fgnt_stats(&g);
	CHECK(g.live == 0 && g.deferred == 0 && g.bad_ends == 0);
	CHECKF(fake_pages_in_use == 0, "%u pages", fake_pages_in_use);
	netfront_get_global_stats(&gs);
	CHECK(gs.removed == 1 && gs.retired_held == 0);
	/* The toolstack removes it; a new vif comes: found through the watch, eth0 again. */
	fnb_set_state(XenbusStateClosed);
	fnb_remove();
	fxs_pump();
	fnb.offer.mac = "00:16:3e:00:00:12";
	fnb.hold_tx = false;
	fnb_add(1);
	fxs_pump();
	CHECKF(fnb_connect() == 0, "%s", fnb.violation);
	fxs_pump();
	dev = netdev_find("eth0");
	CHECK(dev && dev->carrier && dev->mac[5] == 0x12);
	CHECK(dev && send_frame(dev, f, len, false) == 0 && fnb_tx_step() == 1);
}

/*
 * Issue 12, item 4: a tx page the backend still maps when it answers is retired (the id gets
 * a fresh page); when the vif goes, every page still mapped is retired. The backend then lets
 * go of all but one: every other page is freed at the next upkeep, that one when released.
 */
static void retired_one_by_one(void)
{
	struct netfront_global_stats gs;
	struct gnttab_retire_stats rs;
	struct netdev *dev = hostile_setup();
	uint8_t f[200];
	uint32_t len = udp_frame(f, 100, 1, false);
	int64_t keep;
	int id;

	if (!dev)
		return;
	id = hold_two_frames(dev);
	keep = fnb_tx_held_ref();
	fnb_tx_raw(0, (uint16_t)id, NETIF_RSP_OKAY);	/* answered, still mapped */
	poll_dev(dev);
	gnttab_retire_get_stats(&rs);
	CHECK(stats(dev).tx_done == 1 && stats(dev).grant_deferred == 1 && rs.held == 1);
	CHECK(dev->carrier && !stats(dev).not_in_flight);
	for (unsigned int i = 0; i < 8; i++)		/* held too: 9 tx pages mapped */
		CHECK(send_frame(dev, f, len, false) == 0);
	fnb_tx_step();
	fnb_set_state(XenbusStateClosing);
	fxs_pump();
	CHECK(dev->gone);
	gnttab_retire_get_stats(&rs);
	CHECKF(rs.held == 2 + 10 && fake_pages_in_use == 12, "held %u pages %u", rs.held,
	       fake_pages_in_use);
	CHECK(keep >= 0 && fgnt_is_mapped((uint32_t)keep));
	CHECK(fgnt_release_all_but((uint32_t)keep) == 11);
	upkeep();
	gnttab_retire_get_stats(&rs);
	CHECKF(rs.held == 1 && fake_pages_in_use == 1, "held %u pages %u", rs.held,
	       fake_pages_in_use);
	netfront_get_global_stats(&gs);
	CHECK(gs.retired_held == 1);
	upkeep();
	CHECK(fake_pages_in_use == 1);			/* still mapped: still kept */
	fnb_disconnect();
	upkeep();
	gnttab_retire_get_stats(&rs);
	CHECK(rs.held == 0 && fake_pages_in_use == 0 && fake_bad_frees == 0);
}

static void mtu_refusal(void)
{
	struct netdev *dev;
	uint8_t f[4200];

	start();
	fnb.offer.sg = false;
	fnb.offer.mtu = 9000;
	dev = bring_up();
	if (!dev)
		return;
	CHECKF(dev->mtu == 4096 - 18, "mtu %u", dev->mtu);
	memset(f, 0, sizeof(f));
	CHECK(send_frame(dev, f, 4100, false) == -EMSGSIZE);
	CHECK(send_frame(dev, f, 0, false) == -EINVAL);
}

/*
 * A resume in a new domain (issue 13): the vif reconnects in place to a backend offering less
 * (one queue, no split channels): the same interface and MAC, the carrier down meanwhile
 * (sends refused) and up again (counted, so the stack announces us), the transmits the old
 * backend held dropped and counted, receive buffers posted on the new rings; frames flow.
 */
static void resume_reconnects(void)
{
	struct netfront_stats st;
	struct netdev *dev;
	uint8_t f[1600];
	uint32_t len;

	start();
	dev = bring_up();
	CHECK(dev != NULL);
	if (!dev)
		return;
	len = udp_frame(f, 300, 3, false);
	fnb.hold_tx = true;
	for (unsigned int i = 0; i < 3; i++)
		CHECK(send_frame(dev, f, len, false) == 0);
	fnb_tx_step();
	fnb.hold_tx = false;
	fnb.offer.max_queues = 0;
	fnb.offer.split = false;
	fxs_init(FNB_DOMID, "guest", 0);
	fnb_new_domain();
	evtchn_clear_handler(FXS_PORT);		/* evtchn_resume emptied the port table */
	CHECK(xs_resume_ring(fxs.ring, FXS_PORT) == 0);
	CHECK(xs_resume_watches() == 0);
	xenbus_frontends_resume();
	CHECK(!dev->carrier && send_frame(dev, f, len, false) == -ENETDOWN);
	fxs_pump();
	CHECKF(fnb_connect() == 0, "%s", fnb.violation);
	fxs_pump();
	CHECK(dev->carrier && dev->carrier_ups == 1);
	CHECK(netdev_find("eth0") == dev && unregistered == 0 && !dev->gone);
	CHECK(!memcmp(dev->mac, "\x00\x16\x3e\xaa\xbb\xcc", 6));
	st = stats(dev);
	CHECKF(st.reconnects == 1 && st.tx_resume_dropped == 3 && st.queues == 1 &&
	       !st.split_evtchn, "reconnects %u dropped %lu queues %u", st.reconnects,
	       (unsigned long)st.tx_resume_dropped, st.queues);
	CHECK(fe_key("event-channel") && !fe_key("queue-0/tx-ring-ref"));
	CHECKF(fnb_rx_posted(0) == 128, "%u posted", fnb_rx_posted(0));
	CHECK(send_frame(dev, f, len, false) == 0 && fnb_tx_step() == 1);
	drop_rx();
	CHECK(fnb_rx(0, f, len, 0, 4096) == 0);
	poll_dev(dev);
	CHECK(nr_rx == 1 && rxq[0]->len == len && !memcmp(rxq[0]->data, f, len));
	drop_rx();
	CHECK(fnb.violations == 0);
}

#define CHILD(fn) static void fn##_case(void) { in_child(fn); }
CHILD(resume_reconnects)
CHILD(everything_offered)
CHILD(nothing_offered)
CHILD(odd_offers)
CHILD(refusals)
CHILD(bad_mac)
CHILD(traffic)
CHILD(ring_full)
CHILD(rx_bad_id)
CHILD(rx_dup_id)
CHILD(tx_bad_ids)
CHILD(tx_dup_id)
CHILD(tx_status)
CHILD(rx_offset_over_page)
CHILD(rx_bad_status)
CHILD(rx_error_status)
CHILD(rx_bad_flags)
CHILD(rx_long_chain)
CHILD(rx_extras)
CHILD(rx_prod_jump)
CHILD(tx_prod_back)
CHILD(event_storm)
CHILD(closing_during_traffic)
CHILD(mtu_refusal)
CHILD(retired_one_by_one)

UNIT_CASES(
	{ resume_reconnects_case, "netfront: resume: the same vif reconnects, held tx dropped, frames flow" },
	{ everything_offered_case, "netfront: every feature offered: 4 queues, split, sg, csum" },
	{ nothing_offered_case, "netfront: nothing offered: flat keys, one channel, sw checksum" },
	{ odd_offers_case, "netfront: odd offers clamped (queues, mtu)" },
	{ refusals_case, "netfront: no rx-copy: refused, Closed, nothing left open" },
	{ bad_mac_case, "netfront: an unusable MAC: refused" },
	{ traffic_case, "netfront: frames both ways, multi-slot, offloads; grant balance" },
	{ ring_full_case, "netfront: tx slots exhausted: -EBUSY, then accepts again" },
	{ rx_bad_id_case, "netfront: rx id out of range: vif abandoned, no leak" },
	{ rx_dup_id_case, "netfront: rx id answered twice: vif abandoned, no leak" },
	{ tx_bad_ids_case, "netfront: tx id out of range: vif abandoned, no leak" },
	{ tx_dup_id_case, "netfront: tx id answered twice: vif abandoned, no leak" },
	{ tx_status_case, "netfront: tx error and unknown status: counted, vif kept" },
	{ rx_offset_over_page_case, "netfront: rx offset + size over the page: frame dropped" },
	{ rx_bad_status_case, "netfront: rx unknown negative status: frame dropped" },
	{ rx_error_status_case, "netfront: rx error status: frame dropped, rx_errors" },
	{ rx_bad_flags_case, "netfront: rx flags not negotiated: frame dropped" },
	{ rx_long_chain_case, "netfront: rx more_data chain of 30 slots: dropped, bounded" },
	{ rx_extras_case, "netfront: rx extra-info: harmless one kept, endless chain dropped" },
	{ rx_prod_jump_case, "netfront: rx rsp_prod jumps ahead: nothing read, abandoned" },
	{ tx_prod_back_case, "netfront: tx rsp_prod goes back: nothing read, abandoned" },
	{ event_storm_case, "netfront: 100000 events without responses: harmless" },
	{ closing_during_traffic_case, "netfront: backend closing under traffic: tx failed, "
	  "grants ended, re-attach" },
	{ mtu_refusal_case, "netfront: no sg: MTU fits a page; larger frames -EMSGSIZE" },
	{ retired_one_by_one_case, "netfront: retired pages freed one by one as netback lets "
				   "go" },
);
