// SPDX-License-Identifier: MIT
/*
 * The fake netback and fake kernel of tests/unit/fake_netback.h. The backend is strict about
 * the frontend (keys, grants, slot sizes are checked; a mistake is a "violation" the tests
 * assert on) and honest unless told otherwise (raw responses, index jumps, hold_tx).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/netdev.h>
#include <pvkit/pv.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/gnttab.h>
#define xen_mb()	__sync_synchronize()
#define xen_rmb()	__sync_synchronize()
#define xen_wmb()	__sync_synchronize()
#include <xen/io/netif.h>
#include "fake_netback.h"
#include "fake_xenstored.h"

#define PORT_BASE	200
#define NR_PORTS	64
#define HELD_MAX	1024

struct fnb fnb;
unsigned int fake_netbufs_live;

/* ---- pages (fake_pages.c) and netbufs --------------------------------------------------- */

/* Frame buffers as the IP stack would hand them out (drivers/core/netdev.c), counted. */
struct netbuf *netbuf_alloc(uint32_t len, uint32_t headroom)
{
	struct netbuf *nb = calloc(1, sizeof(*nb) + headroom + len);

	if (!nb)
		return NULL;
	nb->head = (uint8_t *)(nb + 1);
	nb->data = nb->head + headroom;
	nb->size = len;
	nb->head_pages = 1;
	fake_netbufs_live++;
	return nb;
}

void netbuf_free(struct netbuf *nb)
{
	if (nb) {
		fake_netbufs_live--;
		free(nb);
	}
}

/* ---- grant table ---------------------------------------------------------------------- */

static struct fgnt {
	bool used;			/* granted (or ended but still mapped: deferred) */
	bool deferred;			/* ended while mapped */
	bool ro;
	uint64_t pa;
	unsigned int maps;		/* the backend's mappings */
	bool off;			/* revoked (gnttab_revoke_ref): the entry grants nothing */
} gnt[FNB_REFS];
static struct fgnt_stats gst;
/* The fuzzer resets the table for every input: a search from ref 8 at each grant and scans
 * of all FNB_REFS entries made most of its time (docs/testing.md, issue 12 item 13). */
static uint32_t gnt_hint = 8;		/* no ref in [8, gnt_hint) is free: grants search from it */
static uint32_t gnt_top = 8;		/* refs from here on were never granted since the reset */

/* @ref is free again: the next grant may take it (the lowest free ref first, as before). */
static void fgnt_freed(uint32_t ref)
{
	if (ref >= 8 && ref < gnt_hint)
		gnt_hint = ref;
}

int gnttab_grant_access(domid_t_pv domid, uint64_t pa, bool readonly, grant_ref_t *ref)
{
	if (!fake_page_allocated(pa))
		return -EINVAL;
	for (uint32_t r = gnt_hint; r < FNB_REFS; r++) {
		if (gnt[r].used)
			continue;
		gnt[r] = (struct fgnt){ .used = true, .ro = readonly, .pa = pa };
		*ref = r;
		gnt_hint = r + 1;
		gnt_top = MAX(gnt_top, r + 1);
		gst.granted++;
		return 0;
	}
	return -ENOSPC;
}

int gnttab_end_access(grant_ref_t ref)
{
	struct fgnt *g = ref < FNB_REFS ? &gnt[ref] : NULL;

	if (!g || !g->used || g->deferred) {
		gst.bad_ends++;
		return -EINVAL;
	}
	if (g->maps) {
		g->deferred = true;
		return -EBUSY;
	}
	g->used = false;
	fgnt_freed(ref);
	gst.ended++;
	return 0;
}

unsigned int gnttab_poll(void)
{
	unsigned int left = 0;

	for (uint32_t r = 0; r < gnt_top; r++) {
		if (!gnt[r].used || !gnt[r].deferred)
			continue;
		if (gnt[r].maps) {
			left++;
		} else {
			gnt[r].used = gnt[r].deferred = false;
			fgnt_freed(r);
		}
	}
	return left;
}

/* gnttab_retire_page()'s first step (gnttab.h): revoke, keeping the reference. */
int gnttab_revoke_ref(grant_ref_t ref)
{
	struct fgnt *g = ref < FNB_REFS ? &gnt[ref] : NULL;

	if (!g || !g->used || g->deferred) {
		gst.bad_ends++;
		return -EINVAL;
	}
	if (g->maps)
		return -EBUSY;
	g->off = true;
	return 0;
}

unsigned int fgnt_release_all_but(uint32_t keep)
{
	unsigned int n = 0;

	for (uint32_t ref = 0; ref < FNB_REFS; ref++) {
		if (ref == keep || !gnt[ref].maps)
			continue;
		n += gnt[ref].maps;
		gnt[ref].maps = 0;
	}
	return n;
}

bool fgnt_is_mapped(uint32_t ref)
{
	return ref < FNB_REFS && gnt[ref].maps;
}

void fgnt_stats(struct fgnt_stats *s)
{
	*s = gst;
	s->live = s->deferred = 0;
	for (uint32_t r = 0; r < gnt_top; r++) {
		s->live += gnt[r].used && !gnt[r].deferred;
		s->deferred += gnt[r].used && gnt[r].deferred;
	}
}

static void fnb_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fnb_violation(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fnb.violation, sizeof(fnb.violation), fmt, ap);
	va_end(ap);
	fnb.violations++;
	if (!fnb.quiet)
		printf("#   fake netback: violation: %s\n", fnb.violation);
}

/* The backend's access to @ref: a mapping (@map) or a grant copy (not counted as mapped). */
static uint8_t *fgnt_page(uint32_t ref, bool write, bool map)
{
	struct fgnt *g = ref < FNB_REFS ? &gnt[ref] : NULL;

	if (!g || !g->used || g->deferred || g->off) {
		fnb_violation("grant ref %u is not granted (ended, or never)", ref);
		return NULL;
	}
	if (write && g->ro) {
		fnb_violation("grant ref %u is read-only", ref);
		return NULL;
	}
	if (map)
		g->maps++;
	return os_phys_to_virt(g->pa);
}

static void fgnt_unmap(uint32_t ref)
{
	if (ref < FNB_REFS && gnt[ref].maps)
		gnt[ref].maps--;
}

/* ---- event channels (netfront's evtchn_* are renamed to these) -------------------------- */

static struct {
	bool open, masked, pending;
	evtchn_handler_t fn;
	void *ctx;
} ports[NR_PORTS];

static int port_ok(evtchn_port_t p)
{
	return p >= PORT_BASE && p < PORT_BASE + NR_PORTS && ports[p - PORT_BASE].open;
}

int fnb_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);
int fnb_evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx);
int fnb_evtchn_unmask(evtchn_port_t port);
int fnb_evtchn_send(evtchn_port_t port);
int fnb_evtchn_close(evtchn_port_t port);

int fnb_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
	for (unsigned int i = 0; i < NR_PORTS; i++) {
		if (ports[i].open)
			continue;
		memset(&ports[i], 0, sizeof(ports[i]));
		ports[i].open = ports[i].masked = true;
		*port = PORT_BASE + i;
		return 0;
	}
	return -ENOSPC;
}

int fnb_evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx)
{
	if (!port_ok(port) || !fn)
		return -EINVAL;
	ports[port - PORT_BASE].fn = fn;
	ports[port - PORT_BASE].ctx = ctx;
	return 0;
}

static void fnb_deliver(unsigned int i)
{
	ports[i].pending = false;
	if (ports[i].fn)
		ports[i].fn(PORT_BASE + i, ports[i].ctx);
}

int fnb_evtchn_unmask(evtchn_port_t port)
{
	unsigned int i = port - PORT_BASE;

	if (!port_ok(port))
		return -EINVAL;
	ports[i].masked = false;
	if (ports[i].pending)
		fnb_deliver(i);
	return 0;
}

int fnb_evtchn_send(evtchn_port_t port)
{
	if (!port_ok(port))
		return -EINVAL;
	fnb.kicks++;
	return 0;
}

int fnb_evtchn_close(evtchn_port_t port)
{
	if (!port_ok(port)) {
		/* Not a port of this domain: after a resume the old numbers may be someone
		 * else's (the timer's, xenstore's), so closing one is a bug. */
		fnb_violation("evtchn_close(%u): no such open port", port);
		return -EINVAL;
	}
	memset(&ports[port - PORT_BASE], 0, sizeof(ports[0]));
	return 0;
}

unsigned int fnb_ports_open(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < NR_PORTS; i++)
		n += ports[i].open;
	return n;
}

static void fnb_raise(evtchn_port_t port)
{
	unsigned int i = port - PORT_BASE;

	if (!port_ok(port))
		return;
	ports[i].pending = true;
	if (!ports[i].masked)
		fnb_deliver(i);
}

/* ---- the backend -------------------------------------------------------------------------- */

struct fnb_queue {
	netif_tx_back_ring_t tx;	/* rsp_prod_pvt, req_cons */
	netif_rx_back_ring_t rx;
	uint32_t tx_ref, rx_ref;	/* the ring grants (mapped) */
	evtchn_port_t tx_port, rx_port;
	bool mapped;
};

static struct fnb_queue queues[FNB_MAX_QUEUES];
static struct {
	unsigned int q;
	uint16_t id;
	uint32_t ref;
	bool mapped;			/* ref was granted and we mapped it: unmap on answer */
} held[HELD_MAX];
static unsigned int nr_held, held_next;

static void fnb_set(const char *dir, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fnb_set(const char *dir, const char *node, const char *fmt, ...)
{
	char path[192], val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, node);
	fxs_set(path, val);
}

static const char *fnb_get(const char *dir, const char *node)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	return fxs_get(path);
}

static long fnb_get_num(const char *dir, const char *node, long def)
{
	const char *v = fnb_get(dir, node);

	return v ? strtol(v, NULL, 10) : def;
}

void fnb_reset(void)
{
	memset(&fnb, 0, sizeof(fnb));
	memset(gnt, 0, gnt_top * sizeof(gnt[0]));	/* the rest was never granted: zero */
	gnt_hint = gnt_top = 8;
	memset(&gst, 0, sizeof(gst));
	memset(ports, 0, sizeof(ports));
	memset(queues, 0, sizeof(queues));
	nr_held = held_next = 0;
	fnb.offer = (struct fnb_offer){ .rx_copy = true, .sg = true, .split = true,
					.max_queues = 4, .mac = "00:16:3e:aa:bb:cc" };
}

void fnb_add(unsigned int id)
{
	const struct fnb_offer *o = &fnb.offer;

	snprintf(fnb.fe, sizeof(fnb.fe), "/local/domain/%u/device/vif/%u", FNB_DOMID, id);
	snprintf(fnb.be, sizeof(fnb.be), "/local/domain/0/backend/vif/%u/%u", FNB_DOMID, id);
	fxs_set(fnb.be, "");
	fnb_set(fnb.be, "frontend", "%s", fnb.fe);
	fnb_set(fnb.be, "frontend-id", "%u", FNB_DOMID);
	fnb_set(fnb.be, "state", "1");
	fnb_set(fnb.fe, "backend", "%s", fnb.be);
	fnb_set(fnb.fe, "backend-id", "0");
	fnb_set(fnb.fe, "handle", "%u", id);
	if (o->mac) {
		fnb_set(fnb.fe, "mac", "%s", o->mac);
		fnb_set(fnb.be, "mac", "%s", o->mac);
	}
	fnb_set(fnb.fe, "state", "1");
	/* netback's probe: features, then InitWait. */
	fnb_set(fnb.be, "feature-sg", "%d", o->sg);
	fnb_set(fnb.be, "feature-gso-tcpv4", "0");
	if (o->no_csum)
		fnb_set(fnb.be, "feature-no-csum-offload", "1");
	if (o->rx_copy)
		fnb_set(fnb.be, "feature-rx-copy", "1");
	fnb_set(fnb.be, "feature-rx-flip", "0");
	if (o->split)
		fnb_set(fnb.be, "feature-split-event-channels", "1");
	if (o->max_queues)
		fnb_set(fnb.be, "multi-queue-max-queues", "%u", o->max_queues);
	if (o->mtu)
		fnb_set(fnb.be, "mtu", "%u", o->mtu);
	fnb_set(fnb.be, "state", "2");
}

static int fnb_map_queue(struct fnb_queue *q, const char *dir)
{
	const char *tx = fnb_get(dir, "tx-ring-ref"), *rx = fnb_get(dir, "rx-ring-ref");
	uint8_t *tp, *rp;

	if (!tx || !rx) {
		fnb_violation("%s: tx-ring-ref or rx-ring-ref missing", dir);
		return -1;
	}
	q->tx_ref = strtoul(tx, NULL, 10);
	q->rx_ref = strtoul(rx, NULL, 10);
	tp = fgnt_page(q->tx_ref, true, true);
	rp = fgnt_page(q->rx_ref, true, true);
	if (!tp || !rp)
		return -1;
	q->mapped = true;
	BACK_RING_INIT(&q->tx, (netif_tx_sring_t *)tp, 4096);
	BACK_RING_INIT(&q->rx, (netif_rx_sring_t *)rp, 4096);
	if (fnb.fe_split) {
		q->tx_port = fnb_get_num(dir, "event-channel-tx", 0);
		q->rx_port = fnb_get_num(dir, "event-channel-rx", 0);
		if (fnb_get(dir, "event-channel"))
			fnb_violation("%s: event-channel beside the split ones", dir);
	} else {
		q->tx_port = q->rx_port = fnb_get_num(dir, "event-channel", 0);
	}
	if (!port_ok(q->tx_port) || !port_ok(q->rx_port) ||
	    (fnb.fe_split && q->tx_port == q->rx_port)) {
		fnb_violation("%s: event channels %u/%u are no open ports", dir, q->tx_port,
			      q->rx_port);
		return -1;
	}
	return 0;
}

int fnb_connect(void)
{
	const struct fnb_offer *o = &fnb.offer;
	long nq = fnb_get_num(fnb.fe, "multi-queue-num-queues", 1);

	if (fnb_get_num(fnb.fe, "state", 0) != 4)
		fnb_violation("frontend state %ld at connect, not Connected",
			      fnb_get_num(fnb.fe, "state", 0));
	if (nq < 1 || nq > (o->max_queues ? (long)o->max_queues : 1) || nq > FNB_MAX_QUEUES ||
	    (fnb_get(fnb.fe, "multi-queue-num-queues") && nq < 2))
		fnb_violation("multi-queue-num-queues %ld, offered %u", nq, o->max_queues);
	fnb.fe_rx_copy = fnb_get_num(fnb.fe, "request-rx-copy", 0) == 1;
	fnb.fe_rx_notify = fnb_get_num(fnb.fe, "feature-rx-notify", 0) == 1;
	fnb.fe_sg = fnb_get_num(fnb.fe, "feature-sg", 0) == 1;
	fnb.fe_no_csum = fnb_get_num(fnb.fe, "feature-no-csum-offload", 0) == 1;
	fnb.fe_split = fnb_get(fnb.fe, "event-channel-tx") ||
		       fnb_get(fnb.fe, "queue-0/event-channel-tx");
	if (!fnb.fe_rx_copy)
		fnb_violation("request-rx-copy not 1");
	if (fnb.fe_split && !o->split)
		fnb_violation("split event channels used, not offered");
	if (fnb.violations)
		return -1;
	fnb.nr_queues = nq;
	for (unsigned int q = 0; q < nq; q++) {
		char dir[128];

		if (nq > 1)
			snprintf(dir, sizeof(dir), "%s/queue-%u", fnb.fe, q);
		else
			snprintf(dir, sizeof(dir), "%s", fnb.fe);
		if (fnb_map_queue(&queues[q], dir))
			return -1;
	}
	if (nq > 1 && (fnb_get(fnb.fe, "tx-ring-ref") || fnb_get(fnb.fe, "event-channel"))) {
		fnb_violation("flat ring keys beside queue-N");
		return -1;
	}
	fnb_set(fnb.be, "state", "4");
	return 0;
}

void fnb_set_state(unsigned int state)
{
	fnb_set(fnb.be, "state", "%u", state);
}

void fnb_disconnect(void)
{
	for (unsigned int i = 0; i < FNB_MAX_QUEUES; i++) {
		struct fnb_queue *q = &queues[i];

		if (q->mapped) {
			fgnt_unmap(q->tx_ref);
			fgnt_unmap(q->rx_ref);
		}
		memset(q, 0, sizeof(*q));
	}
	for (unsigned int i = held_next; i < nr_held; i++)
		if (held[i].mapped)
			fgnt_unmap(held[i].ref);
	nr_held = held_next = 0;
}

void fnb_new_domain(void)
{
	unsigned int id = (unsigned int)strtoul(strrchr(fnb.fe, '/') + 1, NULL, 10);

	memset(ports, 0, sizeof(ports));	/* no port of the old domain exists */
	fnb_disconnect();
	fnb.nr_queues = 0;
	fnb.fe_split = fnb.fe_sg = fnb.fe_rx_copy = fnb.fe_rx_notify = fnb.fe_no_csum = false;
	fnb_add(id);
}

void fnb_remove(void)
{
	fxs_rm(fnb.fe);
	fxs_rm(fnb.be);
}

/* ---- tx --------------------------------------------------------------------------------- */

static void fnb_tx_answer(struct fnb_queue *q, uint16_t id, int16_t status)
{
	netif_tx_response_t *r = RING_GET_RESPONSE(&q->tx, q->tx.rsp_prod_pvt);

	r->id = id;
	r->status = status;
	q->tx.rsp_prod_pvt++;
}

void fnb_tx_push(unsigned int qi)
{
	struct fnb_queue *q = &queues[qi];
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->tx, notify);
	if (notify)
		fnb_raise(q->tx_port);
}

/* One frame off @q's tx ring (a chain of more_data slots). 1: taken, 0: none. */
static int fnb_tx_frame(unsigned int qi)
{
	struct fnb_queue *q = &queues[qi];
	struct fnb_frame *f = &fnb.tx_log[fnb.tx_frames % FNB_TX_LOG];
	uint32_t total = 0, got = 0;
	RING_IDX avail = q->tx.sring->req_prod - q->tx.req_cons;

	if (!avail)
		return 0;
	memset(f, 0, sizeof(*f));
	f->queue = qi;
	for (unsigned int k = 0; ; k++) {
		netif_tx_request_t r;
		uint8_t *p;

		if (k >= avail) {
			fnb_violation("tx frame continues beyond req_prod");
			return 0;
		}
		memcpy(&r, RING_GET_REQUEST(&q->tx, q->tx.req_cons), sizeof(r));
		q->tx.req_cons++;
		fnb.tx_slots++;
		if (!k) {
			total = r.size;
			f->flags = r.flags;
			f->len = total;
		}
		if (r.offset + (k ? r.size : MIN(total, 4096u)) > 4096)
			fnb_violation("tx slot offset %u size %u beyond the page", r.offset, r.size);
		if (k && (r.flags & ~NETTXF_more_data))
			fnb_violation("tx flags %#x on a later slot", r.flags);
		if ((r.flags & NETTXF_more_data) && !fnb.offer.sg)
			fnb_violation("multi-slot tx frame without feature-sg");
		if ((r.flags & NETTXF_csum_blank) && fnb.offer.no_csum)
			fnb_violation("csum_blank with feature-no-csum-offload");
		p = fgnt_page(r.gref, false, true);
		if (p) {
			uint32_t n = k ? r.size : (r.flags & NETTXF_more_data ? 4096 : total);

			n = MIN(n, total - got);
			for (uint32_t i = 0; i < n && got + i < sizeof(f->data); i++)
				f->data[got + i] = p[r.offset + i];
			got += n;
		}
		f->slots++;
		if (fnb.hold_tx && nr_held < HELD_MAX) {
			held[nr_held].q = qi;
			held[nr_held].id = r.id;
			held[nr_held].mapped = p != NULL;	/* then mapped until answered */
			held[nr_held++].ref = r.gref;
		} else {
			if (p)
				fgnt_unmap(r.gref);
			fnb_tx_answer(q, r.id, NETIF_RSP_OKAY);
		}
		if (!(r.flags & NETTXF_more_data))
			break;
	}
	if (got != total)
		fnb_violation("tx frame of %u bytes carried %u", total, got);
	fnb.tx_frames++;
	return 1;
}

unsigned int fnb_tx_step(void)
{
	unsigned int n = 0;

	for (unsigned int qi = 0; qi < fnb.nr_queues; qi++) {
		while (queues[qi].mapped && fnb_tx_frame(qi))
			n++;
		if (queues[qi].mapped)
			fnb_tx_push(qi);
	}
	return n;
}

unsigned int fnb_tx_release(void)
{
	unsigned int n = 0;

	for (; held_next < nr_held; held_next++, n++) {
		/* Only what we mapped: a slot whose gref was not granted (a request the hostile
		 * script overwrote with responses, say) unmapping another's grant let its
		 * frontend free a ring page we still used (fuzz_netfront, issue 12 item 13). */
		if (held[held_next].mapped)
			fgnt_unmap(held[held_next].ref);
		fnb_tx_answer(&queues[held[held_next].q], held[held_next].id, NETIF_RSP_OKAY);
	}
	nr_held = held_next = 0;
	for (unsigned int qi = 0; qi < fnb.nr_queues; qi++)
		fnb_tx_push(qi);
	return n;
}

int fnb_tx_held_id(void)
{
	return held_next < nr_held ? held[held_next].id : -1;
}

int64_t fnb_tx_held_ref(void)
{
	return held_next < nr_held ? held[held_next].ref : -1;
}

void fnb_tx_raw(unsigned int qi, uint16_t id, int16_t status)
{
	struct fnb_queue *q = &queues[qi];

	fnb_tx_answer(q, id, status);
	q->tx.sring->rsp_prod = q->tx.rsp_prod_pvt;
}

void fnb_tx_jump(unsigned int qi, int32_t delta)
{
	struct fnb_queue *q = &queues[qi];

	q->tx.rsp_prod_pvt += (RING_IDX)delta;
	q->tx.sring->rsp_prod = q->tx.rsp_prod_pvt;
	fnb_raise(q->tx_port);
}

/* ---- rx --------------------------------------------------------------------------------- */

unsigned int fnb_rx_posted(unsigned int qi)
{
	struct fnb_queue *q = &queues[qi];

	return q->mapped ? q->rx.sring->req_prod - q->rx.req_cons : 0;
}

void fnb_rx_push(unsigned int qi)
{
	struct fnb_queue *q = &queues[qi];
	int notify;

	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&q->rx, notify);
	(void)notify;			/* netfront polls: raise anyway, as a storm would */
	fnb_raise(q->rx_port);
}

int fnb_rx(unsigned int qi, const uint8_t *frame, uint32_t len, uint16_t flags,
	   uint32_t slot_max)
{
	struct fnb_queue *q = &queues[qi];
	uint32_t slots = len ? (len + slot_max - 1) / slot_max : 1, off = 0;

	if (fnb_rx_posted(qi) < slots)
		return -1;
	for (uint32_t k = 0; k < slots; k++) {
		netif_rx_request_t req;
		netif_rx_response_t *r;
		uint32_t n = MIN(len - off, slot_max);
		uint8_t *p;

		memcpy(&req, RING_GET_REQUEST(&q->rx, q->rx.req_cons), sizeof(req));
		q->rx.req_cons++;
		p = fgnt_page(req.gref, true, false);	/* a grant copy: no mapping */
		if (!p)
			return -1;
		memcpy(p, frame + off, n);
		r = RING_GET_RESPONSE(&q->rx, q->rx.rsp_prod_pvt);
		r->id = req.id;
		r->offset = 0;
		r->status = (int16_t)n;
		r->flags = (uint16_t)((k ? 0 : flags) | (k + 1 < slots ? NETRXF_more_data : 0));
		q->rx.rsp_prod_pvt++;
		off += n;
	}
	fnb_rx_push(qi);
	return 0;
}

int fnb_rx_raw(unsigned int qi, const void *rsp)
{
	struct fnb_queue *q = &queues[qi];
	netif_rx_request_t req;

	if (!fnb_rx_posted(qi))
		return -1;
	memcpy(&req, RING_GET_REQUEST(&q->rx, q->rx.req_cons), sizeof(req));
	q->rx.req_cons++;
	memcpy(RING_GET_RESPONSE(&q->rx, q->rx.rsp_prod_pvt), rsp, 8);
	q->rx.rsp_prod_pvt++;
	q->rx.sring->rsp_prod = q->rx.rsp_prod_pvt;
	return 0;
}

void fnb_rx_jump(unsigned int qi, int32_t delta)
{
	struct fnb_queue *q = &queues[qi];

	q->rx.rsp_prod_pvt += (RING_IDX)delta;
	q->rx.sring->rsp_prod = q->rx.rsp_prod_pvt;
	fnb_raise(q->rx_port);
}

int fnb_rx_next_id(unsigned int qi)
{
	struct fnb_queue *q = &queues[qi];

	if (!fnb_rx_posted(qi))
		return -1;
	return RING_GET_REQUEST(&q->rx, q->rx.req_cons)->id;
}
