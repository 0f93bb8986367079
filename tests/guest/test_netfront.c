// SPDX-License-Identifier: MIT
/*
 * netfront in the guest (Xen PV and PVH, drivers/xen-front/netfront*.c): for every vif, what
 * was negotiated against what the backend offers in xenstore and what we published; then
 * traffic to the peer (pvkit.net_peer=, else the gateway: dom0 at 10.0.0.1 on xenbr0 in
 * tests/xen) in every frame size up to the MTU, after which no response was rejected, no tx
 * slot is left in flight and the grant balance is exactly the rings plus the posted rx
 * buffers. Skipped without a vif; with ip= on the command line a missing vif fails.
 */
#include <string.h>
#include <pvkit/cmdline.h>
#include <pvkit/net.h>
#include <pvkit/netdev.h>
#include "selftest.h"
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/netfront.h>
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>

#define MS	1000000ull

/* The first netfront interface, or why not. */
static int nft_dev(const struct boot_info *bi, struct netdev **dev, struct netfront_stats *st)
{
	for (struct netdev *d = netdev_first(); d; d = netdev_next(d)) {
		if (!netfront_get_stats(d, st)) {
			*dev = d;
			return 0;
		}
	}
	if (cmdline_has(bi->cmdline, "ip") && !cmdline_has(bi->cmdline, NETFRONT_CMDLINE_KEY)) {
		printk("#   no netfront interface although the command line has ip=\n");
		return -ENODEV;
	}
	return ST_SKIPPED;
}

static unsigned long nft_read(const char *dir, const char *node, unsigned long def)
{
	unsigned long v;

	return xenbus_read_ulong(XS_TXN_NONE, dir, node, &v) ? def : v;
}

static int test_netfront_negotiated(const struct boot_info *bi)
{
	struct netfront_stats st;
	struct netdev *dev;
	unsigned long q;
	int err = nft_dev(bi, &dev, &st);

	if (err)
		return err;
	q = nft_read(st.backend, "multi-queue-max-queues", 1);
	q = q < 1 ? 1 : q > NETFRONT_MAX_QUEUES ? NETFRONT_MAX_QUEUES : q;
	ST_CHECK(st.queues == q, "%u queues, backend offers %lu", st.queues, q);
	ST_CHECK(st.split_evtchn == (nft_read(st.backend, "feature-split-event-channels", 0) != 0),
		 "split %d", st.split_evtchn);
	ST_CHECK(st.sg == (nft_read(st.backend, "feature-sg", 0) != 0), "sg %d", st.sg);
	ST_CHECK(st.csum_tx == !nft_read(st.backend, "feature-no-csum-offload", 0), "csum %d",
		 st.csum_tx);
	ST_CHECK(nft_read(st.nodename, "request-rx-copy", 0) == 1, "request-rx-copy");
	ST_CHECK(nft_read(st.nodename, "feature-rx-notify", 0) == 1, "feature-rx-notify");
	if (st.queues > 1) {
		char dir[XENBUS_PATH_MAX + 16];

		snprintf(dir, sizeof(dir), "%s/queue-%u", st.nodename, st.queues - 1);
		ST_CHECK(nft_read(dir, "rx-ring-ref", 0) != 0, "%s/rx-ring-ref", dir);
		ST_CHECK(nft_read(st.nodename, "multi-queue-num-queues", 0) == st.queues,
			 "multi-queue-num-queues");
	} else {
		ST_CHECK(nft_read(st.nodename, "tx-ring-ref", 0) != 0, "tx-ring-ref");
	}
	ST_CHECK(dev->features.queues == st.queues && dev->features.sg == st.sg &&
		 dev->features.csum == st.csum_tx && dev->features.split_evtchn == st.split_evtchn,
		 "netdev features differ");
	ST_CHECK(dev->carrier, "no carrier");
	printk("#   %s %s: queues=%u split=%d sg=%d csum=%d mtu=%u\n", dev->name, st.backend,
	       st.queues, st.split_evtchn, st.sg, st.csum_tx, st.mtu);
	return 0;
}

static bool nft_tx_quiet(void *ctx)
{
	struct netfront_stats st;

	return !netfront_get_stats(ctx, &st) && st.tx_done + st.tx_failed == st.tx_slots;
}

static int test_netfront_traffic(const struct boot_info *bi)
{
	static const uint32_t sizes[] = { 0, 56, 200, 1000, 1400, 1472 };
	struct netfront_stats st0, st;
	struct net_if_config c;
	struct net_ping_result r;
	struct gnttab_stats g;
	struct netdev *dev;
	char val[IP4_STR_MAX];
	uint32_t peer = 0;
	uint64_t live;
	int err = nft_dev(bi, &dev, &st0);

	if (err)
		return err;
	if (net_if_get_config(dev, &c))
		return ST_SKIPPED;		/* no address: nothing to talk to */
	if (!cmdline_get(bi->cmdline, "pvkit.net_peer", val, sizeof(val)))
		ip_parse_addr(val, &peer);
	else
		peer = c.gw;
	if (!peer) {
		printk("#   no peer (pvkit.net_peer= or gw=)\n");
		return ST_SKIPPED;
	}
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		/* One late answer is the emulator's scheduling, not a lost frame (the Xen
		 * cases count losses from dom0, tests/xen/net.sh). */
		err = net_ping(peer, 5, sizes[i], 2000 * MS, &r);
		ST_CHECK(r.sent == 5 && r.received >= 4 && !r.corrupt && !r.duplicate,
			 "%u bytes: %d, %u of %u back", sizes[i], err, r.received, r.sent);
	}
	/* Quiet now: every tx slot answered (netback answers when dom0 gets to it: under TCG
	 * that may take a while), then count the grants. */
	net_wait(nft_tx_quiet, dev, 5000 * MS);
	netfront_get_stats(dev, &st);
	ST_CHECK(st.tx_done == st.tx_slots, "tx slots %lu, answered %lu", st.tx_slots, st.tx_done);
	ST_CHECK(st.rx_frames >= st0.rx_frames + 24 && st.tx_frames >= st0.tx_frames + 30,
		 "rx %lu tx %lu frames", st.rx_frames - st0.rx_frames, st.tx_frames - st0.tx_frames);
	ST_CHECK(!st.bad_id && !st.not_in_flight && !st.bad_offset && !st.bad_status &&
		 !st.bad_flags && !st.long_chain && !st.ring_errors && !st.broken,
		 "dom0's netback had a response rejected");
	live = st.grants - st.grant_ends - st.grant_deferred;
	ST_CHECK(live == (uint64_t)st.queues * st.rx_bufs, "%lu per-request grants live, "
		 "expected the %u posted rx buffers", live, st.queues * st.rx_bufs);
	ST_CHECK(gnttab_verify() == 0, "grant-table bookkeeping");
	gnttab_get_stats(&g);
	printk("#   %lu grants made, %lu ended, %lu deferred; %u in use in the table; "
	       "rx csum_blank %lu data_validated %lu; tx offload %lu; events %lu kicks %lu\n",
	       st.grants, st.grant_ends, st.grant_deferred, g.in_use, st.rx_csum_blank,
	       st.rx_csum_valid, st.tx_csum_offload, st.events, st.notifies);
	return 0;
}

static const struct selftest netfront_tests[] = {
	{ test_netfront_negotiated, "netfront: each vif negotiated what its backend offers",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_netfront_traffic, "netfront: pings of every size; no rejects; grants balanced",
	  ST_XEN_PV | ST_XEN_PVH },
};
SELFTEST_TABLE(85, netfront_tests);
