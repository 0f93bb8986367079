// SPDX-License-Identifier: MIT
/*
 * The fake blkback and fake kernel of tests/unit/fake_blkback.h. The backend is strict about
 * the frontend (every request, segment and grant is checked; a mistake is a "violation" the
 * tests assert on) and honest unless told otherwise (fbk.fault, hold, reverse).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/pv.h>
#include <pvkit/os.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/gnttab.h>
#define xen_mb()	__sync_synchronize()
#define xen_rmb()	__sync_synchronize()
#define xen_wmb()	__sync_synchronize()
#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include "fake_blkback.h"
#include "fake_xenstored.h"

#define PORT_BASE	100
#define NR_PORTS	64

struct fbk fbk;

/* ---- grant table ---------------------------------------------------------------------- */

static struct fgnt {
	bool used;			/* granted (or ended but still mapped: deferred) */
	bool deferred;			/* ended while mapped */
	bool ro;
	uint64_t pa;
	uint32_t gen;			/* a new number at each grant */
	unsigned int maps;		/* the backend's mappings */
	bool off;			/* claimed or revoked: the entry grants nothing now */
} gnt[FBK_REFS];
static uint32_t gnt_gen;
static struct fgnt_stats gst;
/* The fuzzers reset the table for every input: a search from ref 8 at each grant and scans
 * of all FBK_REFS entries made most of their time (docs/testing.md, issue 12 item 13). */
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
	if (fake_page_index(pa) < 0)
		return -EINVAL;
	for (uint32_t r = gnt_hint; r < FBK_REFS; r++) {	/* 0-7: the toolstack's */
		if (gnt[r].used)
			continue;
		gnt[r] = (struct fgnt){ .used = true, .ro = readonly, .pa = pa, .gen = ++gnt_gen };
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
	struct fgnt *g = ref < FBK_REFS ? &gnt[ref] : NULL;

	if (!g || !g->used) {
		gst.bad_ends++;
		return -EINVAL;
	}
	if (g->maps) {
		g->deferred = true;
		return -EBUSY;
	}
	g->used = g->deferred = false;
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

/* References a driver keeps and grants per request (gnttab_claim_ref & co., gnttab.h). */
int gnttab_claim_ref(grant_ref_t *ref)
{
	for (uint32_t r = gnt_hint; r < FBK_REFS; r++) {	/* as gnttab_grant_access */
		if (gnt[r].used)
			continue;
		gnt[r] = (struct fgnt){ .used = true, .off = true, .gen = ++gnt_gen };
		*ref = r;
		gnt_hint = r + 1;
		gnt_top = MAX(gnt_top, r + 1);
		gst.claimed++;
		return 0;
	}
	return -ENOSPC;
}

int gnttab_grant_ref(grant_ref_t ref, domid_t_pv domid, uint64_t pa, bool readonly)
{
	struct fgnt *g = ref < FBK_REFS ? &gnt[ref] : NULL;

	if (!g || !g->used || g->deferred || fake_page_index(pa) < 0) {
		gst.bad_ends++;
		return -EINVAL;
	}
	if (!g->off)
		return -EBUSY;
	g->off = false;
	g->ro = readonly;
	g->pa = pa;
	g->gen = ++gnt_gen;
	gst.granted++;
	return 0;
}

int gnttab_revoke_ref(grant_ref_t ref)
{
	struct fgnt *g = ref < FBK_REFS ? &gnt[ref] : NULL;

	if (!g || !g->used || g->deferred) {
		gst.bad_ends++;
		return -EINVAL;
	}
	if (g->maps)
		return -EBUSY;
	if (!g->off)
		gst.revoked++;
	g->off = true;
	return 0;
}

void fgnt_stats(struct fgnt_stats *s)
{
	*s = gst;
	s->live = s->deferred = s->access = s->writable = 0;
	for (uint32_t r = 0; r < gnt_top; r++) {
		s->live += gnt[r].used && !gnt[r].deferred;
		s->deferred += gnt[r].used && gnt[r].deferred;
		s->access += gnt[r].used && !gnt[r].off;
		s->writable += gnt[r].used && !gnt[r].off && !gnt[r].ro;
	}
}

bool fgnt_is_live(uint32_t ref, uint32_t gen)
{
	return ref < FBK_REFS && gnt[ref].used && !gnt[ref].deferred && !gnt[ref].off &&
	       gnt[ref].gen == gen;
}

unsigned int fgnt_backend_maps(void)
{
	unsigned int n = 0;

	for (uint32_t r = 0; r < gnt_top; r++)
		n += gnt[r].maps;
	return n;
}

static void fbk_violation(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fbk_violation(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fbk.violation, sizeof(fbk.violation), fmt, ap);
	va_end(ap);
	fbk.violations++;
	printf("#   fake blkback: violation: %s\n", fbk.violation);
}

/* The backend maps @ref (writable if it will write into the page). */
static uint8_t *fgnt_map(uint32_t ref, bool write)
{
	struct fgnt *g = ref < FBK_REFS ? &gnt[ref] : NULL;

	if (!g || !g->used || g->deferred || g->off) {
		fbk_violation("grant ref %u is not granted (ended, or never)", ref);
		return NULL;
	}
	if (write && g->ro) {
		fbk_violation("grant ref %u is read-only", ref);
		return NULL;
	}
	g->maps++;
	return os_phys_to_virt(g->pa);
}

static void fgnt_unmap(uint32_t ref)
{
	if (ref < FBK_REFS && gnt[ref].maps)
		gnt[ref].maps--;
}

/* ---- event channels of the rings (blkfront's evtchn_* are renamed to these) ------------ */

static struct {
	bool open, masked, pending;
	evtchn_handler_t fn;
	void *ctx;
} ports[NR_PORTS];

static int port_ok(evtchn_port_t p)
{
	return p >= PORT_BASE && p < PORT_BASE + NR_PORTS && ports[p - PORT_BASE].open;
}

int fbk_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);
int fbk_evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx);
void fbk_evtchn_clear_handler(evtchn_port_t port);
int fbk_evtchn_unmask(evtchn_port_t port);
int fbk_evtchn_mask(evtchn_port_t port);
int fbk_evtchn_send(evtchn_port_t port);
int fbk_evtchn_close(evtchn_port_t port);

int fbk_evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
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

int fbk_evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx)
{
	if (!port_ok(port) || !fn)
		return -EINVAL;
	ports[port - PORT_BASE].fn = fn;
	ports[port - PORT_BASE].ctx = ctx;
	return 0;
}

void fbk_evtchn_clear_handler(evtchn_port_t port)
{
	if (port_ok(port))
		ports[port - PORT_BASE].fn = NULL;
}

static void fbk_deliver(unsigned int i)
{
	ports[i].pending = false;
	if (!ports[i].fn)
		return;
	fake_irqs_on = false;		/* handlers run with interrupts off */
	ports[i].fn(PORT_BASE + i, ports[i].ctx);
	fake_irqs_on = true;
}

/* Events raised while masked or with interrupts off arrive later (here). */
static void fbk_deliver_pending(void)
{
	for (unsigned int i = 0; i < NR_PORTS && fake_irqs_on; i++)
		if (ports[i].open && ports[i].pending && !ports[i].masked)
			fbk_deliver(i);
}

int fbk_evtchn_unmask(evtchn_port_t port)
{
	if (!port_ok(port))
		return -EINVAL;
	ports[port - PORT_BASE].masked = false;
	fbk_deliver_pending();
	return 0;
}

int fbk_evtchn_mask(evtchn_port_t port)
{
	if (!port_ok(port))
		return -EINVAL;
	ports[port - PORT_BASE].masked = true;
	return 0;
}

int fbk_evtchn_send(evtchn_port_t port)
{
	if (!port_ok(port))
		return -EINVAL;
	fbk.kicks++;
	return 0;
}

int fbk_evtchn_close(evtchn_port_t port)
{
	if (!port_ok(port)) {
		/* Not a port of this domain: after a resume the old numbers may be someone
		 * else's (the timer's, xenstore's), so closing one is a bug. */
		fbk_violation("evtchn_close(%u): no such open port", port);
		return -EINVAL;
	}
	memset(&ports[port - PORT_BASE], 0, sizeof(ports[0]));
	return 0;
}

/* ---- kernel timers: a list the test runs with fbk_run_timers() ----------------------- */

static struct os_timer *timers;		/* pending, unsorted */

bool os_timer_cancel(struct os_timer *t)
{
	for (struct os_timer **pp = &timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			t->next = NULL;
			t->pending = false;
			return true;
		}
	}
	return false;
}

void os_timer_add(struct os_timer *t, uint64_t deadline, os_timer_fn fn, void *ctx)
{
	os_timer_cancel(t);
	t->deadline = deadline;
	t->fn = fn;
	t->ctx = ctx;
	t->pending = true;
	t->next = timers;
	timers = t;
}

unsigned int fbk_run_timers(void)
{
	unsigned int n = 0;

	for (bool again = true; again;) {
		again = false;
		for (struct os_timer *t = timers; t; t = t->next) {
			if (t->deadline > fake_now_ns)
				continue;
			os_timer_cancel(t);
			fake_irqs_on = false;	/* interrupt context */
			t->fn(t);
			fake_irqs_on = true;
			n++;
			again = true;		/* the list changed under us */
			break;
		}
	}
	return n;
}

unsigned int fbk_timers_pending(void)
{
	unsigned int n = 0;

	for (struct os_timer *t = timers; t; t = t->next)
		n++;
	return n;
}

unsigned int fbk_ports_open(void)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < NR_PORTS; i++)
		n += ports[i].open;
	return n;
}

static void fbk_raise(evtchn_port_t port)
{
	unsigned int i = port - PORT_BASE;

	if (!port_ok(port))
		return;
	if (fbk.lose_events) {
		fbk.events_lost++;
		return;
	}
	fbk.events++;
	ports[i].pending = true;
	if (!ports[i].masked && fake_irqs_on)
		fbk_deliver(i);
}

/* ---- the backend -------------------------------------------------------------------------- */

struct fbk_ring {
	blkif_back_ring_t ring;		/* rsp_prod_pvt, req_cons */
	blkif_sring_t *sring;		/* the frontend's pages, mapped by us or where they are */
	uint32_t refs[16];		/* the ring grants */
	unsigned int nr_refs;
	bool vmapped;			/* sring is a mapping of ours (else the pages themselves) */
	evtchn_port_t port;		/* the frontend's */
};

static struct fbk_ring rings[FBK_MAX_RINGS];
static struct { unsigned int ring; uint64_t id; uint8_t op; int16_t status; }
	pending[FBK_MAX_PENDING];
static unsigned int nr_pending;
static uint8_t *disk_buf;		/* fbk.disk, kept from one fbk_add to the next */
static size_t disk_len;			/* its bytes */
static size_t dirty_lo, dirty_hi;	/* [lo, hi): what the backend wrote since fbk_add */
static bool pmapped[FBK_REFS];		/* persistently mapped by us */
static uint32_t pgen[FBK_REFS];		/* the grant generation we mapped */

static void fbk_set(const char *dir, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fbk_set(const char *dir, const char *node, const char *fmt, ...)
{
	char path[192], val[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, node);
	fxs_set(path, val);
}

static const char *fbk_get(const char *dir, const char *node)
{
	char path[192];

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	return fxs_get(path);
}

static long fbk_get_num(const char *dir, const char *node, long def)
{
	const char *v = fbk_get(dir, node);

	return v ? strtol(v, NULL, 10) : def;
}

void fbk_reset(void)
{
	memset(&fbk, 0, sizeof(fbk));		/* fbk.disk stays in disk_buf for fbk_add */
	memset(gnt, 0, gnt_top * sizeof(gnt[0]));	/* the rest was never granted: zero */
	memset(pmapped, 0, gnt_top * sizeof(pmapped[0]));
	gnt_hint = gnt_top = 8;
	memset(&gst, 0, sizeof(gst));
	memset(ports, 0, sizeof(ports));
	memset(rings, 0, sizeof(rings));
	nr_pending = 0;
	timers = NULL;
	fbk.offer = (struct fbk_offer){
		/* 8 pages, not 16: fake_xenstored holds 64 writes a transaction, and 4 rings of
		 * 16 pages publish 72 (real xenstored takes them: tests/xen). */
		.max_ring_page_order = 3, .max_ring_pages = -1, .max_queues = 4,
		.max_indirect = 256, .persistent = true, .flush = true, .barrier = true,
		.discard = true, .discard_secure = true, .discard_granularity = 4096,
		.sector_size = 512, .physical_sector_size = 4096, .sectors = 16384,
	};
}

static void fbk_add_nodes(unsigned int vdev);

void fbk_add(unsigned int vdev)
{
	const struct fbk_offer *o = &fbk.offer;

	fbk.vdev = vdev;
	/* The same size as last time (a fuzzer's every input): cleared, not allocated again. */
	if (disk_buf && disk_len == (o->sectors ? o->sectors : 1) * 512) {
		if (fbk.clear_written)
			memset(disk_buf + dirty_lo, 0, dirty_hi - dirty_lo);
		else
			memset(disk_buf, 0, disk_len);
	} else {
		free(disk_buf);
		disk_len = (o->sectors ? o->sectors : 1) * 512;
		disk_buf = calloc(disk_len, 1);
	}
	fbk.disk = disk_buf;
	dirty_lo = dirty_hi = 0;
	fbk_add_nodes(vdev);
}

/* The toolstack's nodes of vbd @vdev and blkback's probe-time ones (InitWait). */
static void fbk_add_nodes(unsigned int vdev)
{
	const struct fbk_offer *o = &fbk.offer;

	snprintf(fbk.fe, sizeof(fbk.fe), "/local/domain/%u/device/vbd/%u", FBK_DOMID, vdev);
	snprintf(fbk.be, sizeof(fbk.be), "/local/domain/0/backend/vbd/%u/%u", FBK_DOMID, vdev);
	/* The toolstack, in one go (libxl uses a transaction), state last. */
	fxs_set(fbk.be, "");
	fbk_set(fbk.be, "frontend", "%s", fbk.fe);
	fbk_set(fbk.be, "frontend-id", "%u", FBK_DOMID);
	fbk_set(fbk.be, "mode", "%s", o->readonly ? "r" : "w");
	fbk_set(fbk.be, "state", "1");
	fbk_set(fbk.fe, "backend", "%s", fbk.be);
	fbk_set(fbk.fe, "backend-id", "0");
	fbk_set(fbk.fe, "virtual-device", "%u", vdev);
	fbk_set(fbk.fe, "device-type", "disk");
	fbk_set(fbk.fe, "state", "1");
	/* blkback's probe: transport parameters, then InitWait. */
	if (o->max_indirect >= 0)
		fbk_set(fbk.be, "feature-max-indirect-segments", "%d", o->max_indirect);
	if (o->max_queues >= 0)
		fbk_set(fbk.be, "multi-queue-max-queues", "%d", o->max_queues);
	if (o->max_ring_page_order >= 0)
		fbk_set(fbk.be, "max-ring-page-order", "%d", o->max_ring_page_order);
	if (o->max_ring_pages >= 0)
		fbk_set(fbk.be, "max-ring-pages", "%d", o->max_ring_pages);
	if (!o->connect_skips_initwait)
		fbk_set(fbk.be, "state", "2");
}

/* Map ring @q's pages (as blkback's xenbus_map_ring_valloc: contiguous). */
static int fbk_map_ring(struct fbk_ring *r, const char *dir, unsigned int pages)
{
	uint64_t pas[16];
	unsigned int k;
	void *va;

	for (k = 0; k < pages; k++) {
		char node[16];
		const char *v;
		uint8_t *p;

		snprintf(node, sizeof(node), pages == 1 ? "ring-ref" : "ring-ref%u", k);
		v = fbk_get(dir, node);
		if (!v) {
			fbk_violation("%s/%s missing", dir, node);
			return -1;
		}
		r->refs[k] = strtoul(v, NULL, 10);
		p = fgnt_map(r->refs[k], true);
		if (!p)
			return -1;
		r->nr_refs++;
		pas[k] = os_virt_to_phys(p);
	}
	if (pages > 1 && fbk_get(dir, "ring-ref")) {
		fbk_violation("%s: ring-ref beside ring-refN", dir);
		return -1;
	}
	/* Pages that are consecutive in the arena are used where they are (the fuzzers: the
	 * mmap calls and TLB flushes of a mapping made a good part of their time); others are
	 * mapped contiguously, as blkback's xenbus_map_ring_valloc does. */
	for (k = 1; k < pages && pas[k] == pas[0] + k * 4096ull; k++)
		;
	if (k == pages) {
		va = os_phys_to_virt(pas[0]);
	} else {
		va = os_vmap_reserve(pages * 4096);
		if (!va || os_vm_map_pages((uintptr_t)va, pas, pages, 0))
			return -1;
		r->vmapped = true;
	}
	r->sring = va;
	BACK_RING_INIT(&r->ring, r->sring, pages * 4096);
	r->port = fbk_get_num(dir, "event-channel", 0);
	if (!port_ok(r->port)) {
		fbk_violation("%s: event-channel %u is no open port", dir, r->port);
		return -1;
	}
	return 0;
}

int fbk_connect(void)
{
	const struct fbk_offer *o = &fbk.offer;
	long order = fbk_get_num(fbk.fe, "ring-page-order", 0);
	long nq = fbk_get_num(fbk.fe, "multi-queue-num-queues", 1);
	const char *proto = fbk_get(fbk.fe, "protocol");
	long max_order = o->max_ring_page_order >= 0 ? o->max_ring_page_order : 0;

	if (o->max_ring_pages > 1)					/* the older key */
		max_order = MAX(max_order, (long)__builtin_ctzl(o->max_ring_pages));
	if (order && fbk_get_num(fbk.fe, "num-ring-pages", 0) != 1l << order)
		fbk_violation("num-ring-pages %ld for ring-page-order %ld",
			      fbk_get_num(fbk.fe, "num-ring-pages", 0), order);

	if (fbk_get_num(fbk.fe, "state", 0) != 3)
		fbk_violation("frontend state %ld at connect, not Initialised",
			      fbk_get_num(fbk.fe, "state", 0));
	if (order < 0 || order > max_order)
		fbk_violation("ring-page-order %ld, offered %d", order, o->max_ring_page_order);
	if (nq < 1 || nq > (o->max_queues > 0 ? o->max_queues : 1) || nq > FBK_MAX_RINGS ||
	    (fbk_get(fbk.fe, "multi-queue-num-queues") && nq < 2))
		fbk_violation("multi-queue-num-queues %ld, offered %d", nq, o->max_queues);
	if (!proto || strcmp(proto, XEN_IO_PROTO_ABI_X86_64))
		fbk_violation("protocol %s", proto ? proto : "(none)");
	if (fbk.violations)
		return -1;
	fbk.nr_rings = nq;
	fbk.ring_pages = 1u << order;
	fbk.fe_persistent = fbk_get_num(fbk.fe, "feature-persistent", 0) == 1;
	fbk.persistent = o->persistent && fbk.fe_persistent;
	for (unsigned int q = 0; q < nq; q++) {
		char dir[128];

		if (nq > 1)
			snprintf(dir, sizeof(dir), "%s/queue-%u", fbk.fe, q);
		else
			snprintf(dir, sizeof(dir), "%s", fbk.fe);
		if (fbk_map_ring(&rings[q], dir, fbk.ring_pages))
			return -1;
	}
	if (nq > 1 && (fbk_get(fbk.fe, "event-channel") || fbk_get(fbk.fe, "ring-ref"))) {
		fbk_violation("flat ring keys beside queue-N");
		return -1;
	}
	fbk_set(fbk.be, "sectors", "%lu", (unsigned long)o->sectors);
	fbk_set(fbk.be, "info", "%u", o->readonly ? VDISK_READONLY : 0);
	if (o->sector_size)
		fbk_set(fbk.be, "sector-size", "%u", o->sector_size);
	if (o->physical_sector_size)
		fbk_set(fbk.be, "physical-sector-size", "%u", o->physical_sector_size);
	fbk_set(fbk.be, "feature-flush-cache", "%d", o->flush);
	fbk_set(fbk.be, "feature-barrier", "%d", o->barrier);
	fbk_set(fbk.be, "feature-persistent", "%d", o->persistent);
	if (o->discard) {
		fbk_set(fbk.be, "feature-discard", "1");
		if (o->discard_granularity >= 0)
			fbk_set(fbk.be, "discard-granularity", "%d", o->discard_granularity);
		if (o->discard_alignment >= 0)
			fbk_set(fbk.be, "discard-alignment", "%lld", o->discard_alignment);
		fbk_set(fbk.be, "discard-secure", "%d", o->discard_secure);
	}
	fbk_set(fbk.be, "state", "4");
	return 0;
}

/* Data into the disk, the range remembered for fbk_add (fbk.clear_written). */
static void fbk_disk_write(uint64_t off, const void *p, size_t len)
{
	memcpy(fbk.disk + off, p, len);
	dirty_lo = dirty_hi == dirty_lo ? off : MIN(dirty_lo, off);
	dirty_hi = MAX(dirty_hi, off + len);
}

/* Transfer @n segments of one request between the disk and the pages. */
static int16_t fbk_rw(uint8_t op, uint64_t sector, const struct blkif_request_segment *seg,
		      unsigned int n, struct fbk_seen *seen)
{
	int16_t status = BLKIF_RSP_OKAY;

	for (unsigned int i = 0; i < n; i++) {
		unsigned int first = seg[i].first_sect, last = seg[i].last_sect, cnt;
		uint32_t ref = seg[i].gref;
		uint8_t *page;

		if (first > last || last > 7) {
			fbk_violation("segment %u: sectors %u..%u", i, first, last);
			return BLKIF_RSP_ERROR;
		}
		cnt = last - first + 1;
		if (i < ARRAY_SIZE(seen->refs)) {
			seen->refs[i] = ref;
			seen->gens[i] = ref < FBK_REFS ? gnt[ref].gen : 0;
		}
		/* ref is the request's: garbage when a hostile script answered over a request we
		 * had not read (fuzz_blkfront: the seed persistent-gref-out-of-range). */
		if (fbk.persistent && ref < FBK_REFS && pmapped[ref]) {
			if (!fgnt_is_live(ref, pgen[ref]))
				fbk_violation("persistent grant %u was ended or granted again", ref);
			page = os_phys_to_virt(gnt[ref].pa);
		} else {
			page = fgnt_map(ref, op == BLKIF_OP_READ || fbk.persistent);
			if (!page)
				return BLKIF_RSP_ERROR;
			if (fbk.persistent) {
				pmapped[ref] = true;
				pgen[ref] = gnt[ref].gen;
			}
		}
		if (sector + cnt > fbk.offer.sectors || (op != BLKIF_OP_READ && fbk.offer.readonly))
			status = BLKIF_RSP_ERROR;
		else if (op == BLKIF_OP_READ)
			memcpy(page + first * 512, fbk.disk + sector * 512, cnt * 512);
		else
			fbk_disk_write(sector * 512, page + first * 512, cnt * 512);
		if (!fbk.persistent)
			fgnt_unmap(ref);
		sector += cnt;
		seen->nr_sectors += cnt;
	}
	return status;
}

static int16_t fbk_indirect(const struct blkif_request_indirect *req, struct fbk_seen *seen)
{
	static struct blkif_request_segment segs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * 512];
	unsigned int n = req->nr_segments, pages = DIV_ROUND_UP(n, 512u);

	fbk.indirect++;
	seen->data_op = req->indirect_op;
	if (fbk.offer.max_indirect <= 0 || n > (unsigned int)fbk.offer.max_indirect || !n ||
	    pages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST ||
	    (req->indirect_op != BLKIF_OP_READ && req->indirect_op != BLKIF_OP_WRITE)) {
		fbk_violation("indirect request: op %u, %u segments (offered %d)",
			      req->indirect_op, n, fbk.offer.max_indirect);
		return BLKIF_RSP_ERROR;
	}
	for (unsigned int k = 0; k < pages; k++) {
		uint8_t *p = fgnt_map(req->indirect_grefs[k], false);

		if (!p)
			return BLKIF_RSP_ERROR;
		memcpy(&segs[k * 512], p, 4096);
		fgnt_unmap(req->indirect_grefs[k]);
	}
	return fbk_rw(req->indirect_op, req->sector_number, segs, n, seen);
}

static int16_t fbk_request(const union { blkif_request_t rw;
					 struct blkif_request_discard discard;
					 struct blkif_request_indirect ind; } *req,
			   struct fbk_seen *seen)
{
	const struct fbk_offer *o = &fbk.offer;
	uint8_t op = req->rw.operation;

	memset(seen, 0, sizeof(*seen));
	seen->op = seen->data_op = op;
	seen->id = req->rw.id;
	seen->sector = req->rw.sector_number;
	switch (op) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
	case BLKIF_OP_WRITE_BARRIER:
		seen->nr_segs = req->rw.nr_segments;
		if (req->rw.nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ||
		    (!req->rw.nr_segments && op != BLKIF_OP_WRITE_BARRIER)) {
			fbk_violation("%u segments in a direct request", req->rw.nr_segments);
			return BLKIF_RSP_ERROR;
		}
		if (op == BLKIF_OP_WRITE_BARRIER && !o->barrier)
			fbk_violation("barrier not offered");
		return fbk_rw(op == BLKIF_OP_READ ? op : BLKIF_OP_WRITE, req->rw.sector_number,
			      req->rw.seg, req->rw.nr_segments, seen);
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (!o->flush || req->rw.nr_segments)
			fbk_violation("flush: offered %d, %u segments", o->flush,
				      req->rw.nr_segments);
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_DISCARD:
		seen->id = req->discard.id;
		seen->sector = req->discard.sector_number;
		seen->nr_sectors = req->discard.nr_sectors;
		seen->discard_flag = req->discard.flag;
		if (!o->discard || ((req->discard.flag & BLKIF_DISCARD_SECURE) && !o->discard_secure))
			fbk_violation("discard (flag %u) not offered", req->discard.flag);
		if (seen->sector + seen->nr_sectors > o->sectors)
			return BLKIF_RSP_ERROR;
		memset(fbk.disk + seen->sector * 512, 0, seen->nr_sectors * 512);
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_INDIRECT:
		seen->id = req->ind.id;
		seen->sector = req->ind.sector_number;
		seen->nr_segs = req->ind.nr_segments;
		return fbk_indirect(&req->ind, seen);
	default:
		fbk_violation("unknown operation %u", op);
		return BLKIF_RSP_ERROR;
	}
}

static void fbk_push(struct fbk_ring *r, uint64_t id, uint8_t op, int16_t status)
{
	blkif_response_t *rsp = RING_GET_RESPONSE(&r->ring, r->ring.rsp_prod_pvt);
	bool notify;

	rsp->id = id;
	rsp->operation = op;
	rsp->status = status;
	r->ring.rsp_prod_pvt++;
	if (fbk.batch)
		return;			/* fbk_release publishes them all at once */
	RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r->ring, notify);
	if (notify)
		fbk_raise(r->port);
}

static void fbk_respond(unsigned int ring, uint64_t id, uint8_t op, int16_t status)
{
	struct fbk_ring *r = &rings[ring];
	enum fbk_fault f = fbk.fault;

	fbk.fault = FBK_OK;
	switch (f) {
	case FBK_BAD_ID:
		id |= 0xffff;
		break;
	case FBK_STALE_ID:
		id -= 1ull << 16;
		break;
	case FBK_WRONG_OP:
		op = op == BLKIF_OP_READ ? BLKIF_OP_WRITE : op == BLKIF_OP_WRITE ? BLKIF_OP_READ :
		     op + 1;
		break;
	case FBK_BAD_STATUS:
		status = 7;
		break;
	case FBK_ERROR:
		status = BLKIF_RSP_ERROR;
		break;
	case FBK_EOPNOTSUPP:
		status = BLKIF_RSP_EOPNOTSUPP;
		break;
	case FBK_PROD_JUMP:
	case FBK_PROD_BACK:
	case FBK_PROD_AHEAD:
		/* Garbage where no response is, then an impossible producer index. */
		for (unsigned int k = 0; k < 3; k++)
			memset(RING_GET_RESPONSE(&r->ring, r->ring.rsp_prod_pvt + k), 0x5a,
			       sizeof(blkif_response_t));
		r->sring->rsp_prod = f == FBK_PROD_JUMP ?
			r->ring.rsp_prod_pvt + RING_SIZE(&r->ring) * 3 / 2 :
			f == FBK_PROD_AHEAD ? r->ring.rsp_prod_pvt + 3 : r->ring.rsp_prod_pvt - 1;
		fbk_raise(r->port);
		return;
	default:
		break;
	}
	fbk_push(r, id, op, status);
	if (f == FBK_DUP_ID)
		fbk_push(r, id, op, status);
}

unsigned int fbk_release(void)
{
	unsigned int n = nr_pending;

	for (unsigned int k = 0; k < n; k++) {
		unsigned int i = fbk.reverse ? n - 1 - k : k;

		fbk_respond(pending[i].ring, pending[i].id, pending[i].op, pending[i].status);
	}
	for (unsigned int q = 0; fbk.batch && q < fbk.nr_rings; q++) {
		if (!rings[q].sring)
			continue;
		RING_PUSH_RESPONSES(&rings[q].ring);
		fbk_raise(rings[q].port);
	}
	nr_pending = 0;
	fbk_deliver_pending();
	return n;
}

unsigned int fbk_step(void)
{
	unsigned int taken = 0;

	fbk_deliver_pending();
	for (unsigned int q = 0; q < fbk.nr_rings; q++) {
		struct fbk_ring *r = &rings[q];
		RING_IDX rp;

		if (!r->sring)
			continue;
		rp = r->sring->req_prod;
		xen_rmb();
		if (rp - r->ring.req_cons > RING_SIZE(&r->ring)) {
			fbk_violation("ring %u: req_prod %u, req_cons %u", q, rp, r->ring.req_cons);
			continue;
		}
		while (r->ring.req_cons != rp && nr_pending < FBK_MAX_PENDING) {
			union { blkif_request_t rw; struct blkif_request_discard discard;
				struct blkif_request_indirect ind; } req;
			int16_t status;

			memcpy(&req, RING_GET_REQUEST(&r->ring, r->ring.req_cons), sizeof(req));
			r->ring.req_cons++;
			status = fbk_request((void *)&req, &fbk.last);
			fbk.last.ring = q;
			fbk.requests++;
			fbk.per_ring[q]++;
			fbk.by_op[fbk.last.data_op & 7]++;
			if (fbk.log && fbk.log_n < fbk.log_max)
				fbk.log[fbk.log_n++] = fbk.last;
			pending[nr_pending].ring = q;
			pending[nr_pending].id = fbk.last.id;
			pending[nr_pending].op = req.rw.operation == BLKIF_OP_INDIRECT ?
						 req.ind.indirect_op : req.rw.operation;
			pending[nr_pending].status = status;
			nr_pending++;
			taken++;
		}
	}
	if (!fbk.hold)
		fbk_release();
	return taken;
}

void fbk_set_state(unsigned int state)
{
	fbk_set(fbk.be, "state", "%u", state);
}

void fbk_disconnect(void)
{
	for (unsigned int q = 0; q < FBK_MAX_RINGS; q++) {
		struct fbk_ring *r = &rings[q];

		if (r->sring && r->vmapped) {
			os_vm_unmap((uintptr_t)r->sring, fbk.ring_pages * 4096);
			os_vmap_free(r->sring, fbk.ring_pages * 4096);
		}
		for (unsigned int k = 0; k < r->nr_refs; k++)
			fgnt_unmap(r->refs[k]);
		memset(r, 0, sizeof(*r));
	}
	for (uint32_t ref = 0; ref < gnt_top; ref++)	/* only granted refs were mapped */
		if (pmapped[ref]) {
			fgnt_unmap(ref);
			pmapped[ref] = false;
		}
	nr_pending = 0;
}

void fbk_new_domain(void)
{
	memset(ports, 0, sizeof(ports));	/* no port of the old domain exists */
	fbk_disconnect();
	fbk.nr_rings = fbk.ring_pages = 0;
	fbk.fe_persistent = fbk.persistent = false;
	fbk_add_nodes(fbk.vdev);
}

void fbk_remove(void)
{
	fxs_rm(fbk.fe);
	fxs_rm(fbk.be);
}

unsigned int fgnt_release_all_but(uint32_t keep)
{
	unsigned int n = 0;

	for (uint32_t ref = 0; ref < FBK_REFS; ref++) {
		if (ref == keep || !gnt[ref].maps)
			continue;
		n += gnt[ref].maps;
		gnt[ref].maps = 0;
		pmapped[ref] = false;
	}
	for (unsigned int q = 0; q < FBK_MAX_RINGS; q++) {	/* unmapped: forget their refs */
		bool kept = false;

		for (unsigned int k = 0; k < rings[q].nr_refs; k++)
			kept |= rings[q].refs[k] == keep;
		if (!kept)
			rings[q].nr_refs = 0;
	}
	return n;
}

bool fgnt_backend_hold(uint32_t ref)
{
	if (!fgnt_is_live(ref, ref < FBK_REFS ? gnt[ref].gen : 0))
		return false;
	gnt[ref].maps++;
	return true;
}

unsigned int fgnt_writable_data(void)
{
	unsigned int n = 0;

	for (uint32_t ref = 0; ref < FBK_REFS; ref++) {
		bool ring = false;

		if (!gnt[ref].used || gnt[ref].off || gnt[ref].ro)
			continue;
		for (unsigned int q = 0; q < FBK_MAX_RINGS && !ring; q++)
			for (unsigned int k = 0; k < rings[q].nr_refs && !ring; k++)
				ring = rings[q].refs[k] == ref;
		n += !ring;
	}
	return n;
}

void fbk_raise_ring(unsigned int ring)
{
	fbk_raise(rings[ring].port);
}
