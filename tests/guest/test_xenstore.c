// SPDX-License-Identifier: MIT
/*
 * xenstore and xenbus on real Xen, PV and PVH (docs/xenstore.md). Alone, the guest checks what
 * it can by itself; with pvkit.xs_peer=<domain name> the dom0 hook tests/xen/xenstore.sh runs
 * beside it (and the config gives it one vif): dom0 reads and answers our keys, races our
 * transaction, and netback goes through the close handshake with us.
 */
#include <string.h>
#include <pvkit/cmdline.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>
#include <xen/xen.h>

#define MS		((uint64_t)1000000)	/* ns */
#define XST_PEER	"pvkit.xs_peer"	/* =<our domain name>: the dom0 hook runs */
#define XST_BASE	"data/pvkit-st"		/* our scratch nodes */
#define XST_PEER_BASE	"data/pvkit-peer"	/* the nodes the hook reads and writes */
#define XST_PEER_WAIT	(60000 * MS)	/* for the hook to come up (xl create returns late) */

/* ST_CHECK that leaves through `out:` (a watch to drop). */
#define XT_CHECK(cond, fmt, ...)						\
	do {									\
		if (!(cond)) {							\
			printk("#   %s:%d: check failed: %s: " fmt "\n",	\
			       __FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
			err = -EINVAL;						\
			goto out;						\
		}								\
	} while (0)

static char xst_peer[64];		/* the domain name the plan passed, "" alone */

static bool xst_have_peer(const struct boot_info *bi)
{
	if (cmdline_get(bi->cmdline, XST_PEER, xst_peer, sizeof(xst_peer)))
		xst_peer[0] = '\0';
	return xst_peer[0] != '\0';
}

/* Watch callbacks here only count: the tests read values themselves afterwards. */
struct xst_watch {
	struct xs_watch w;
	unsigned int events;		/* callbacks so far */
	uint64_t last_ns;		/* when the last one ran */
};

static void xst_count(struct xs_watch *w, const char *path)
{
	struct xst_watch *x = container_of(w, struct xst_watch, w);

	x->events++;
	x->last_ns = pv_clock_ns();
}

/* Until @path reads @want, at most @timeout_ns: re-read whenever a watch of its own fires. */
static int xst_wait_value(const char *path, const char *want, uint64_t timeout_ns)
{
	struct xst_watch x = { .w = { .path = path, .cb = xst_count } };
	uint64_t deadline = pv_clock_ns() + timeout_ns, now;
	char buf[128];
	int err;

	err = xs_watch(&x.w);
	if (err)
		return err;
	for (;;) {
		err = xs_read(XS_TXN_NONE, path, buf, sizeof(buf), NULL);
		if (!err && !strcmp(buf, want))
			break;
		if (err && err != -ENOENT)
			break;
		now = pv_clock_ns();
		if (now >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		err = xs_wait_event(deadline - now);
		if (err < 0 && err != -ETIMEDOUT)
			break;
	}
	xs_unwatch(&x.w);
	return err;
}

static int test_xs_identity(const struct boot_info *bi)
{
	char name[64], again[64], path[64];
	unsigned long v = 0;
	unsigned int domid = 0;
	int err;

	err = xs_domid(&domid);
	ST_CHECK(err == 0 && domid > 0 && domid < DOMID_FIRST_RESERVED, "domid %u: %d", domid, err);
	err = xs_read(XS_TXN_NONE, "name", name, sizeof(name), NULL);
	ST_CHECK(err == 0 && name[0], "name: %d", err);
	snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
	err = xs_read(XS_TXN_NONE, path, again, sizeof(again), NULL);
	ST_CHECK(err == 0 && !strcmp(name, again), "%s: %d \"%s\"", path, err, again);
	snprintf(path, sizeof(path), "/local/domain/%u/domid", domid);
	err = xs_read_ulong(XS_TXN_NONE, path, &v);
	ST_CHECK(err == 0 && v == domid, "%s: %d, %lu", path, err, v);
	if (xst_have_peer(bi))
		ST_CHECK(!strcmp(name, xst_peer), "name \"%s\", the plan says \"%s\"", name, xst_peer);
	printk("#   domid %u, name \"%s\"\n", domid, name);
	return 0;
}

/* xenstored's default quota for a guest's value is 2048 bytes (C and OCaml daemons): 2000 are
 * still two ring fills each way. */
#define XST_BIG		2000

static int test_xs_nodes(const struct boot_info *bi)
{
	static char big[3000 + 1], back[XST_BIG + 1];
	char buf[64];
	unsigned long v = 0;
	unsigned int count = 0;
	size_t len = 0;
	int err;

	xs_rm(XS_TXN_NONE, XST_BASE);
	err = xs_mkdir(XS_TXN_NONE, XST_BASE);
	ST_CHECK(err == 0, "mkdir: %d", err);
	err = xs_write(XS_TXN_NONE, XST_BASE "/a", "alpha");
	ST_CHECK(err == 0, "write: %d", err);
	err = xs_printf(XS_TXN_NONE, XST_BASE "/n", "%u", 4242);
	ST_CHECK(err == 0, "printf: %d", err);
	err = xs_read(XS_TXN_NONE, XST_BASE "/a", buf, sizeof(buf), &len);
	ST_CHECK(err == 0 && len == 5 && !strcmp(buf, "alpha"), "read: %d \"%s\"", err, buf);
	err = xs_read_ulong(XS_TXN_NONE, XST_BASE "/n", &v);
	ST_CHECK(err == 0 && v == 4242, "read_ulong: %d %lu", err, v);
	err = xs_directory(XS_TXN_NONE, XST_BASE, buf, sizeof(buf), &count);
	ST_CHECK(err == 0 && count == 2, "directory: %d, %u entries", err, count);
	/* Longer than the ring (1 KiB) both ways. */
	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = 'a' + i % 26;
	err = xs_write(XS_TXN_NONE, XST_BASE "/big", big);	/* 3000: over the quota */
	ST_CHECK(err == 0 || err == -E2BIG, "write 3000 bytes: %d", err);
	printk("#   a 3000-byte value: %s\n", err ? "-E2BIG (xenstored's quota)" : "taken");
	big[XST_BIG] = '\0';
	err = xs_write(XS_TXN_NONE, XST_BASE "/big", big);
	ST_CHECK(err == 0, "write %d bytes: %d", XST_BIG, err);
	err = xs_read(XS_TXN_NONE, XST_BASE "/big", back, sizeof(back), &len);
	ST_CHECK(err == 0 && len == XST_BIG && !memcmp(big, back, XST_BIG), "read back: %d %zu",
		 err, len);
	/* Errors from xenstored come back as -errno. */
	err = xs_read(XS_TXN_NONE, XST_BASE "/missing", buf, sizeof(buf), NULL);
	ST_CHECK(err == -ENOENT, "missing node: %d", err);
	err = xs_write(XS_TXN_NONE, "/local/domain/0/pvkit-not-ours", "x");
	ST_CHECK(err == -EACCES, "dom0's node: %d", err);
	err = xs_rm(XS_TXN_NONE, XST_BASE);
	ST_CHECK(err == 0, "rm: %d", err);
	err = xs_read(XS_TXN_NONE, XST_BASE "/a", buf, sizeof(buf), NULL);
	ST_CHECK(err == -ENOENT, "read after rm: %d", err);
	return 0;
}

static int test_xs_watch_own(const struct boot_info *bi)
{
	struct xst_watch x = { .w = { .path = XST_BASE "/w", .cb = xst_count } };
	uint64_t t0;
	int err;

	err = xs_write(XS_TXN_NONE, XST_BASE "/w", "1");
	ST_CHECK(err == 0, "write: %d", err);
	err = xs_watch(&x.w);
	ST_CHECK(err == 0, "watch: %d", err);
	err = xst_wait_value(XST_BASE "/w", "1", 5000 * MS);
	XT_CHECK(err == 0, "%d", err);
	while (!x.events && xs_wait_event(5000 * MS) >= 0)
		;
	XT_CHECK(x.events == 1, "%u events for a new watch", x.events);
	t0 = pv_clock_ns();
	err = xs_write(XS_TXN_NONE, XST_BASE "/w", "2");
	XT_CHECK(err == 0, "write: %d", err);
	while (x.events < 2 && pv_clock_ns() - t0 < 5000 * MS && xs_wait_event(5000 * MS) >= 0)
		;
	XT_CHECK(x.events == 2, "%u events after our write", x.events);
	printk("#   our write -> our watch callback: %lu us\n", (x.last_ns - t0) / 1000);
	err = xs_unwatch(&x.w);
	XT_CHECK(err == 0, "unwatch: %d", err);
	err = xs_write(XS_TXN_NONE, XST_BASE "/w", "3");
	XT_CHECK(err == 0, "write: %d", err);
	xs_wait_event(200 * MS);
	XT_CHECK(x.events == 2, "%u events after unwatch", x.events);
out:
	if (x.w.registered)
		xs_unwatch(&x.w);
	xs_rm(XS_TXN_NONE, XST_BASE);
	return err;
}

/* The racing writer is ourselves, outside the transaction, on the first run only. */
struct xst_race {
	unsigned int runs;		/* of the transaction body */
	const char *node;		/* the counter */
	int (*race)(struct xst_race *r);	/* on run 1, between our read and our write */
	int race_err;			/* what race() returned */
};

static int xst_race_body(xs_transaction_t t, void *ctx)
{
	struct xst_race *r = ctx;
	unsigned long v;
	int err;

	r->runs++;
	err = xs_read_ulong(t, r->node, &v);
	if (err)
		return err;
	if (r->runs == 1) {
		r->race_err = r->race(r);
		if (r->race_err)
			return r->race_err;
	}
	return xs_printf(t, r->node, "%lu", v + 1);
}

static int xst_race_self(struct xst_race *r)
{
	return xs_write(XS_TXN_NONE, r->node, "100");
}

static int xst_check_race(struct xst_race *r, uint64_t retries_before)
{
	struct xs_stats s;
	unsigned long v = 0;
	int err = xs_transaction(xst_race_body, r);

	xs_get_stats(&s);
	ST_CHECK(err == 0, "transaction: %d (race: %d)", err, r->race_err);
	ST_CHECK(r->runs == 2, "body ran %u times", r->runs);
	ST_CHECK(s.txn_retries > retries_before, "txn_retries %lu", s.txn_retries);
	err = xs_read_ulong(XS_TXN_NONE, r->node, &v);
	ST_CHECK(err == 0 && v == 101, "counter %lu (%d): the retry must see 100", v, err);
	return 0;
}

static int test_xs_txn_self_race(const struct boot_info *bi)
{
	struct xst_race r = { .node = XST_BASE "/counter", .race = xst_race_self };
	struct xs_stats s;
	int err;

	xs_get_stats(&s);
	err = xs_write(XS_TXN_NONE, r.node, "0");
	ST_CHECK(err == 0, "write: %d", err);
	err = xst_check_race(&r, s.txn_retries);
	xs_rm(XS_TXN_NONE, XST_BASE);
	return err;
}

#define XST_LAT_N	200	/* requests timed per kind */

/* Sort @n samples and print min, median, 90th percentile, max and mean in us. */
static void xst_lat_print(const char *what, uint64_t *ns, unsigned int n)
{
	uint64_t sum = 0;

	for (unsigned int i = 1; i < n; i++)
		for (unsigned int j = i; j > 0 && ns[j - 1] > ns[j]; j--) {
			uint64_t x = ns[j];

			ns[j] = ns[j - 1];
			ns[j - 1] = x;
		}
	for (unsigned int i = 0; i < n; i++)
		sum += ns[i];
	printk("#   %s latency (%u): min %lu median %lu p90 %lu max %lu mean %lu us\n", what, n,
	       ns[0] / 1000, ns[n / 2] / 1000, ns[n * 9 / 10] / 1000, ns[n - 1] / 1000,
	       sum / n / 1000);
}

static int test_xs_latency(const struct boot_info *bi)
{
	static uint64_t lat[XST_LAT_N];
	struct xs_stats s;
	unsigned long v;
	char buf[16];
	uint64_t t;
	int err;

	for (int i = 0; i < XST_LAT_N; i++) {
		t = pv_clock_ns();
		err = xs_read(XS_TXN_NONE, "domid", buf, sizeof(buf), NULL);
		lat[i] = pv_clock_ns() - t;
		ST_CHECK(err == 0, "read %d: %d", i, err);
	}
	xst_lat_print("xs_read", lat, XST_LAT_N);
	for (int i = 0; i < XST_LAT_N; i++) {
		t = pv_clock_ns();
		err = xs_printf(XS_TXN_NONE, XST_BASE "/lat", "%d", i);
		lat[i] = pv_clock_ns() - t;
		ST_CHECK(err == 0, "write %d: %d", i, err);
	}
	xst_lat_print("xs_write", lat, XST_LAT_N);
	err = xs_read_ulong(XS_TXN_NONE, XST_BASE "/lat", &v);
	ST_CHECK(err == 0 && v == XST_LAT_N - 1, "last write reads %lu (%d)", v, err);
	xs_rm(XS_TXN_NONE, XST_BASE);
	xs_get_stats(&s);
	printk("#   stats: requests %lu replies %lu errors %lu malformed %lu unmatched %lu "
	       "timeouts %lu events %lu retries %lu\n", s.requests, s.replies, s.errors,
	       s.malformed, s.unmatched, s.timeouts, s.watch_events, s.txn_retries);
	ST_CHECK(s.malformed == 0 && s.unmatched == 0 && s.timeouts == 0 && s.resyncs == 0 &&
		 s.ring_errors == 0, "a real xenstored sent something we rejected");
	return 0;
}

/* ---- with dom0 (tests/xen/xenstore.sh) -------------------------------------------------- */

static int test_xs_peer_watch(const struct boot_info *bi)
{
	struct xst_watch x = { .w = { .path = XST_PEER_BASE "/from-dom0", .cb = xst_count } };
	char want[96], buf[96], name[64];
	unsigned long dom0_ms = ~0ul;
	unsigned int domid;
	uint64_t t_ready;
	int err;

	if (!xst_have_peer(bi)) {
		printk("#   no dom0 peer (" XST_PEER " not given)\n");
		return ST_SKIPPED;
	}
	err = xs_domid(&domid);
	ST_CHECK(err == 0, "domid: %d", err);
	err = xs_read(XS_TXN_NONE, "name", name, sizeof(name), NULL);
	ST_CHECK(err == 0, "name: %d", err);
	snprintf(want, sizeof(want), "hello from %s (domid %u)", name, domid);
	/* Our nodes, created by us so that they are ours to read after dom0 writes them. */
	xs_rm(XS_TXN_NONE, XST_PEER_BASE);
	err = xs_write(XS_TXN_NONE, XST_PEER_BASE "/to-dom0", want);
	for (const char *const *n = (const char *const[]){ "echo", "from-dom0", "verdict", "seen",
							  "race", "txn-open", NULL };
	     !err && *n; n++) {
		snprintf(buf, sizeof(buf), XST_PEER_BASE "/%s", *n);
		err = xs_write(XS_TXN_NONE, buf, "");
	}
	ST_CHECK(err == 0, "writing our nodes: %d", err);
	err = xs_watch(&x.w);
	ST_CHECK(err == 0, "watch: %d", err);
	while (!x.events && xs_wait_event(5000 * MS) >= 0)
		;
	err = xs_write(XS_TXN_NONE, XST_PEER_BASE "/ready", "1");
	XT_CHECK(err == 0, "ready: %d", err);
	t_ready = pv_clock_ns();
	printk("#   waiting for dom0 (%s)\n", XST_PEER_BASE "/ready = 1");
	/* Until our watch fired again and the value is dom0's. */
	for (;;) {
		uint64_t waited = pv_clock_ns() - t_ready;

		err = xs_read(XS_TXN_NONE, XST_PEER_BASE "/from-dom0", buf, sizeof(buf), NULL);
		XT_CHECK(err == 0, "read: %d", err);
		if (x.events >= 2 && !strcmp(buf, "hello from dom0"))
			break;
		XT_CHECK(waited < XST_PEER_WAIT, "no write from dom0: \"%s\", %u events", buf,
			 x.events);
		xs_wait_event(XST_PEER_WAIT - waited);
	}
	err = xs_write(XS_TXN_NONE, XST_PEER_BASE "/seen", "1");
	XT_CHECK(err == 0, "ack: %d", err);
	err = xs_read(XS_TXN_NONE, XST_PEER_BASE "/echo", buf, sizeof(buf), NULL);
	XT_CHECK(err == 0 && !strcmp(buf, want), "dom0 read \"%s\" (%d), we wrote \"%s\"", buf, err,
		 want);
	/* dom0 timed its write -> our ack; it says "ok <ms>" or "fail <why>". */
	err = xs_unwatch(&x.w);
	XT_CHECK(err == 0, "unwatch: %d", err);
	x = (struct xst_watch){ .w = { .path = XST_PEER_BASE "/verdict", .cb = xst_count } };
	err = xs_watch(&x.w);
	XT_CHECK(err == 0, "watch: %d", err);
	for (uint64_t t0 = pv_clock_ns(); pv_clock_ns() - t0 < 20000 * MS;) {
		err = xs_read(XS_TXN_NONE, XST_PEER_BASE "/verdict", buf, sizeof(buf), NULL);
		if (err || buf[0])
			break;
		xs_wait_event(20000 * MS);
	}
	XT_CHECK(err == 0 && !strncmp(buf, "ok ", 3), "dom0's verdict \"%s\" (%d)", buf, err);
	parse_ulong(buf + 3, &dom0_ms);
	XT_CHECK(dom0_ms <= 5000, "dom0 write -> our watch -> our ack took %lu ms", dom0_ms);
	printk("#   dom0 wrote %u s after we were ready; write -> watch -> ack %lu ms (dom0's "
	       "clock, 10 ms steps)\n", (unsigned int)((x.last_ns ? x.last_ns : pv_clock_ns()) -
					      t_ready) / 1000000000u, dom0_ms);
out:
	if (x.w.registered)
		xs_unwatch(&x.w);
	return err;
}

/* The racing writer is dom0: we say "txn-open", it writes 100, we see it, then commit. */
static int xst_race_dom0(struct xst_race *r)
{
	int err = xs_write(XS_TXN_NONE, XST_PEER_BASE "/txn-open", "1");

	return err ? err : xst_wait_value(r->node, "100", XST_PEER_WAIT);
}

static int test_xs_peer_txn_race(const struct boot_info *bi)
{
	struct xst_race r = { .node = XST_PEER_BASE "/race", .race = xst_race_dom0 };
	struct xs_stats s;
	int err;

	if (!xst_have_peer(bi))
		return ST_SKIPPED;
	xs_get_stats(&s);
	err = xs_write(XS_TXN_NONE, r.node, "0");
	ST_CHECK(err == 0, "write: %d", err);
	err = xst_check_race(&r, s.txn_retries);
	xs_write(XS_TXN_NONE, XST_PEER_BASE "/done", "1");
	return err;
}

/* ---- xenbus ----------------------------------------------------------------------------- */

static int test_xenbus_enumerate(const struct boot_info *bi)
{
	char types[256], ids[256];
	unsigned int ntypes = 0, nids, devices = 0, vifs = 0, domid;
	struct xenbus_device dev;
	char want[96];
	int err;

	err = xs_domid(&domid);
	ST_CHECK(err == 0, "domid: %d", err);
	err = xenbus_enumerate(NULL, types, sizeof(types), &ntypes);
	ST_CHECK(err == 0 || err == -ENOENT, "device/: %d", err);
	for (const char *t = types; !err && ntypes--; t += strlen(t) + 1) {
		err = xenbus_enumerate(t, ids, sizeof(ids), &nids);
		ST_CHECK(err == 0, "device/%s: %d", t, err);
		for (const char *id = ids; nids--; id += strlen(id) + 1) {
			err = xenbus_device_init(&dev, t, id);
			if (err == -ENOENT) {	/* no backend-id: not a device (device/suspend) */
				printk("#   device/%s/%s: no backend\n", t, id);
				err = 0;
				continue;
			}
			ST_CHECK(err == 0, "device/%s/%s: %d", t, id, err);
			printk("#   device/%s/%s: backend %s (domain %u), states %s / %s\n", t, id,
			       dev.otherend, dev.otherend_id, xenbus_strstate(dev.state),
			       xenbus_strstate(dev.otherend_state));
			devices++;
			vifs += !strcmp(t, "vif");
		}
	}
	if (xst_have_peer(bi)) {	/* the peer configs have exactly one vif */
		ST_CHECK(vifs == 1, "%u vifs", vifs);
		err = xenbus_device_init(&dev, "vif", "0");
		ST_CHECK(err == 0, "vif 0: %d", err);
		snprintf(want, sizeof(want), "/local/domain/0/backend/vif/%u/0", domid);
		ST_CHECK(dev.otherend_id == 0 && !strcmp(dev.otherend, want), "backend %s (%u)",
			 dev.otherend, dev.otherend_id);
	} else if (!cmdline_has(bi->cmdline, "ip")) {	/* pv.cfg / pvh.cfg have none */
		ST_CHECK(vifs == 0, "%u vifs without a vif in the config", vifs);
		err = xenbus_enumerate("vif", ids, sizeof(ids), &nids);
		ST_CHECK(err == -ENOENT, "device/vif: %d", err);
	}				/* issue 7: the netfront configs (ip=) have vifs */
	err = xenbus_device_init(&dev, "vif", "99");
	ST_CHECK(err == -ENOENT, "vif 99: %d", err);
	printk("#   %u devices\n", devices);
	return 0;
}

static void xst_otherend(struct xenbus_device *dev, XenbusState state)
{
	(*(unsigned int *)dev->priv)++;
}

/* Our vif's frontend goes Closing, then Closed; netback must follow. */
static int test_xenbus_close_handshake(const struct boot_info *bi)
{
	struct xenbus_device dev;
	unsigned int changes = 0;
	XenbusState got = XenbusStateUnknown, mine;
	uint64_t t0, t1, t2;
	int err;

	if (!xst_have_peer(bi))
		return ST_SKIPPED;
	err = xenbus_device_init(&dev, "vif", "0");
	ST_CHECK(err == 0, "vif 0: %d", err);
	dev.priv = &changes;
	err = xenbus_watch_otherend(&dev, xst_otherend);
	ST_CHECK(err == 0, "watch: %d", err);
	t0 = pv_clock_ns();
	err = xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateInitWait), 30000 * MS, &got);
	XT_CHECK(err == 0, "netback: %d in %s", err, xenbus_strstate(got));
	err = xenbus_switch_state(&dev, XenbusStateClosing);
	XT_CHECK(err == 0, "switch to Closing: %d", err);
	t1 = pv_clock_ns();
	err = xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateClosing) |
				   XENBUS_STATE_BIT(XenbusStateClosed), 10000 * MS, &got);
	XT_CHECK(err == 0, "netback after our Closing: %d in %s", err, xenbus_strstate(got));
	err = xenbus_switch_state(&dev, XenbusStateClosed);
	XT_CHECK(err == 0, "switch to Closed: %d", err);
	t2 = pv_clock_ns();
	err = xenbus_wait_otherend(&dev, XENBUS_STATE_BIT(XenbusStateClosed), 10000 * MS, &got);
	XT_CHECK(err == 0, "netback after our Closed: %d in %s", err, xenbus_strstate(got));
	err = xenbus_read_state(XS_TXN_NONE, dev.nodename, &mine);
	XT_CHECK(err == 0 && mine == XenbusStateClosed, "our state %d (%d)", mine, err);
	XT_CHECK(changes >= 2, "the driver's watch saw %u changes", changes);
	printk("#   netback: InitWait after %lu ms; Closing %lu ms after ours; Closed %lu ms after "
	       "ours; %u watch callbacks\n", (t1 - t0) / MS, (t2 - t1) / MS,
	       (pv_clock_ns() - t2) / MS, changes);
out:
	xenbus_device_release(&dev);
	return err;
}

static const struct selftest xenstore_tests[] = {
	{ test_xs_identity, "xenstore: our domid and name", ST_XEN_PV | ST_XEN_PVH },
	{ test_xs_nodes, "xenstore: write, read, mkdir, directory, rm, 2000-byte value, -errno",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_xs_watch_own, "xenstore: a watch sees our write, not after unwatch",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_xs_txn_self_race, "xenstore: a transaction that lost a race is retried",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_xs_latency, "xenstore: request latency, no rejected replies", ST_XEN_PV | ST_XEN_PVH },
	{ test_xs_peer_watch, "xenstore: dom0 reads our key; its write reaches our watch in 5 s",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_xs_peer_txn_race, "xenstore: a transaction racing a dom0 write ends right",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_xenbus_enumerate, "xenbus: device/ enumerated, every backend checked",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_xenbus_close_handshake, "xenbus: vif close handshake with netback",
	  ST_XEN_PV | ST_XEN_PVH },
};
SELFTEST_TABLE(56, xenstore_tests);
