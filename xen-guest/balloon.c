// SPDX-License-Identifier: MIT
/*
 * The Xen balloon (issue 15 item 6; docs/smp.md "Balloon"; xen/memory.h): xl mem-set writes
 * memory/target (KiB); we hold as many pages as that says by giving free frames back to Xen
 * (XENMEM_decrease_reservation) and taking them again (XENMEM_populate_physmap), a batch of
 * up to BALLOON_BATCH frames per pass of the idle loop, so disks and the console go on.
 *
 * Xen PV: a frame goes to Xen by its MFN, unmapped from the kernel window first (Xen frees a
 * page only when no mapping references it) and its P2M entry made invalid (the toolstack's
 * save reads the P2M: a hole, not a frame that is someone else's now). A frame taken again
 * gets a new MFN: P2M entry and M2P (MMU_MACHPHYS_UPDATE) before the window maps it again.
 * The P2M frame lists (p2m_pv.c) do not move: only entries change. Xen PVH (autotranslated):
 * frames go and come by their GFN, nothing else to keep.
 *
 * What the domain holds is counted by the guest (boot_pages - out) and checked against Xen's
 * own count (XENMEM_current_reservation), which is what `xl list` shows. Lines: balloon.h.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/x86.h>
#include <pvkit/xen/balloon.h>
#include <pvkit/xen/p2m.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xenstore.h>
#include <string.h>
#include <xen/memory.h>
#include <xen/xen.h>
#ifdef __PVKIT_KERNEL__
#include <pvkit/xen/hypercall.h>

static inline int HYPERVISOR_mmu_update(mmu_update_t *req, unsigned int count,
				       unsigned int *done, domid_t dom)
{
	return xen_hypercall4(__HYPERVISOR_mmu_update, req, count, done, dom);
}
#else
/* Hosted unit test (tests/unit/test_balloon.c): a fake Xen answers these. */
int HYPERVISOR_memory_op(unsigned int cmd, void *arg);
int HYPERVISOR_mmu_update(mmu_update_t *req, unsigned int count, unsigned int *done,
			  domid_t dom);
#endif

#define BALLOON_FLOOR_PAGES	(BALLOON_FLOOR_KIB / 4)
#define BALLOON_MAP_BITS	(PAGE_SIZE * 8)		/* frames one page of the map covers */
#define BALLOON_MAP_PAGES	32			/* 32 * 32768 frames: 4 GiB */

/* How a frame goes to Xen and comes back: one table per mode. */
struct balloon_mode {
	const char *name;			/* "xen-pv", "xen-pvh" */
	/* Before decrease_reservation: the frame's extent (PV: its MFN, its P2M entry made
	 * invalid; PVH: its GFN). 0, or -errno: the frame stays ours. */
	int (*give_prepare)(uint64_t pa, xen_pfn_t *extent);
	/* Xen did not take it: as it was (PV: the P2M entry back). */
	void (*give_undo)(uint64_t pa, xen_pfn_t extent);
	/* populate_physmap filled these (@extents: PV the new MFNs, PVH the GFNs): usable. */
	void (*take_done)(const uint64_t *pas, const xen_pfn_t *extents, unsigned int n);
};

static struct {
	const struct balloon_mode *mode;	/* NULL: not running */
	uint64_t *map[BALLOON_MAP_PAGES];	/* bit per frame: given to Xen now */
	unsigned int map_pages;			/* pages of map allocated */
	uint64_t map_frames;			/* frames the map covers */
	uint64_t next_out;			/* no frame below this is out: take's scan starts here */
	bool have_first;			/* a first target was taken: slack is set */
	uint64_t t0;				/* os_clock_ns() when the current step began */
	struct xen_balloon_stats st;		/* the counts, also what balloon_poll follows */
	uint64_t pas[BALLOON_BATCH];		/* one batch: the frames */
	xen_pfn_t ext[BALLOON_BATCH];		/* ... and their extents, for Xen */
	mmu_update_t m2p[BALLOON_BATCH];	/* PV: their M2P updates */
} b;

/* ---- the map of frames given to Xen ----------------------------------------------------- */

static bool map_test(uint64_t f)
{
	return f < b.map_frames && b.map[f / BALLOON_MAP_BITS][f % BALLOON_MAP_BITS / 64] >>
	       (f % 64) & 1;
}

static void map_set(uint64_t f, bool out)
{
	uint64_t *w = &b.map[f / BALLOON_MAP_BITS][f % BALLOON_MAP_BITS / 64];

	*w = out ? *w | 1ull << (f % 64) : *w & ~(1ull << (f % 64));
}

bool xen_balloon_is_out(uint64_t pa)
{
	return b.mode && map_test(pa >> PAGE_SHIFT);
}

/* ---- per mode ------------------------------------------------------------------------- */

#ifdef CONFIG_XEN_PV
static int balloon_pv_give_prepare(uint64_t pa, xen_pfn_t *extent)
{
	unsigned long pfn = pa >> PAGE_SHIFT, mfn = xen_pv_pfn_to_mfn(pfn);
	int err;

	if (mfn == XEN_PV_P2M_INVALID)
		return -ENOENT;			/* nothing behind it: nothing to give */
	err = xen_pv_p2m_set(pfn, XEN_PV_P2M_INVALID);	/* a hole before it is Xen's */
	if (err)
		return err;
	*extent = mfn;
	return 0;
}

static void balloon_pv_give_undo(uint64_t pa, xen_pfn_t extent)
{
	int err = xen_pv_p2m_set(pa >> PAGE_SHIFT, extent);

	BUG_ON(err);			/* it was accepted a moment ago: our own invariant */
}

/* P2M first (the window mapping is made from it), then Xen's M2P, which populate_physmap
 * already set for a PV domain (Xen 4.17 guest_physmap_add_page): made explicit, and checked. */
static void balloon_pv_take_done(const uint64_t *pas, const xen_pfn_t *extents, unsigned int n)
{
	unsigned int done = 0;
	int rc;

	for (unsigned int i = 0; i < n; i++) {
		unsigned long pfn = pas[i] >> PAGE_SHIFT;

		BUG_ON(xen_pv_p2m_set(pfn, extents[i]));	/* a pfn we gave: never a list frame */
		b.m2p[i].ptr = ((uint64_t)extents[i] << PAGE_SHIFT) | MMU_MACHPHYS_UPDATE;
		b.m2p[i].val = pfn;
	}
	if (!n)
		return;
	rc = HYPERVISOR_mmu_update(b.m2p, n, &done, DOMID_SELF);
	if (rc || done != n) {
		b.st.m2p_errors++;
		printk("pvkit: balloon: MMU_MACHPHYS_UPDATE of %u frames: %d, %u done\n", n, rc,
		       done);
	}
}

static const struct balloon_mode balloon_pv = {
	.name         = "xen-pv",
	.give_prepare = balloon_pv_give_prepare,	/* MFN; P2M entry invalid */
	.give_undo    = balloon_pv_give_undo,		/* P2M entry back */
	.take_done    = balloon_pv_take_done,		/* P2M entry = new MFN; M2P */
};
#endif

static int balloon_pvh_give_prepare(uint64_t pa, xen_pfn_t *extent)
{
	*extent = pa >> PAGE_SHIFT;
	return 0;
}

static void balloon_pvh_give_undo(uint64_t pa, xen_pfn_t extent)
{
}

static void balloon_pvh_take_done(const uint64_t *pas, const xen_pfn_t *extents,
				  unsigned int n)
{
}

static const struct balloon_mode balloon_pvh = {
	.name         = "xen-pvh",
	.give_prepare = balloon_pvh_give_prepare,	/* the GFN */
	.give_undo    = balloon_pvh_give_undo,		/* nothing changed */
	.take_done    = balloon_pvh_take_done,		/* Xen's p2m is Xen's */
};

/* ---- giving and taking one batch -------------------------------------------------------- */

static long balloon_reservation(unsigned int cmd, unsigned int n)
{
	struct xen_memory_reservation r = {
		.nr_extents = n, .extent_order = 0, .domid = DOMID_SELF,
	};

	set_xen_guest_handle(r.extent_start, b.ext);
	return HYPERVISOR_memory_op(cmd, &r);
}

/* Xen's answer as extents done: a count in [0, n]; an error or nonsense is said once here. */
static unsigned int balloon_done(const char *op, long rc, unsigned int n)
{
	if (rc >= 0 && rc <= n) {
		if ((unsigned long)rc < n)
			b.st.partial++;
		return rc;
	}
	b.st.partial++;
	printk("pvkit: balloon: %s of %u frames: %ld\n", op, n, rc);
	return rc < 0 ? 0 : n;		/* more than asked: Xen did them all (it only counts up) */
}

/* One frame the mode refused to give: back to the kernel at once (rare: not worth a batch). */
static void balloon_keep(uint64_t pa, int err)
{
	printk("pvkit: balloon: frame %#lx cannot go: %d (kept)\n", pa, err);
	os_pages_return(&pa, 1);
}

/* Up to @want frames to Xen. Return: how many went; *@floor: the floor stopped it. */
static unsigned int balloon_give_batch(unsigned int want, bool *floor)
{
	unsigned int n, m = 0, done;
	int err;

	n = os_pages_take(b.pas, MIN(want, BALLOON_BATCH), b.st.floor_pages);
	*floor = n < MIN(want, BALLOON_BATCH);
	for (unsigned int i = 0; i < n; i++) {
		err = b.pas[i] >> PAGE_SHIFT < b.map_frames ? 0 : -E2BIG;
		if (!err)
			err = b.mode->give_prepare(b.pas[i], &b.ext[m]);
		if (err) {
			balloon_keep(b.pas[i], err);
			continue;
		}
		b.pas[m++] = b.pas[i];
	}
	if (!m)
		return 0;
	done = balloon_done("decrease_reservation",
			    balloon_reservation(XENMEM_decrease_reservation, m), m);
	for (unsigned int i = 0; i < done; i++) {
		map_set(b.pas[i] >> PAGE_SHIFT, true);
		b.next_out = MIN(b.next_out, b.pas[i] >> PAGE_SHIFT);
	}
	b.st.out_pages += done;
	b.st.given += done;
	for (unsigned int i = done; i < m; i++)		/* Xen kept them with us */
		b.mode->give_undo(b.pas[i], b.ext[i]);
	if (done < m)
		os_pages_return(b.pas + done, m - done);
	return done;
}

/* Up to @want frames from the map, lowest first, into the batch. Return: how many. */
static unsigned int balloon_pick(unsigned int want)
{
	unsigned int n = 0;

	for (uint64_t f = b.next_out; f < b.map_frames && n < want; f++) {
		if (!map_test(f))
			continue;
		if (!n)
			b.next_out = f;
		b.pas[n] = f << PAGE_SHIFT;
		b.ext[n] = f;			/* the GFN; PV: populate writes the MFN here */
		n++;
	}
	return n;
}

/* Up to @want frames back from Xen. Return: how many came. */
static unsigned int balloon_take_batch(unsigned int want)
{
	unsigned int n = balloon_pick(MIN(want, BALLOON_BATCH)), done;

	if (!n)
		return 0;
	done = balloon_done("populate_physmap",
			    balloon_reservation(XENMEM_populate_physmap, n), n);
	b.mode->take_done(b.pas, b.ext, done);
	for (unsigned int i = 0; i < done; i++)
		map_set(b.pas[i] >> PAGE_SHIFT, false);
	b.st.out_pages -= done;
	b.st.taken += done;
	os_pages_return(b.pas, done);
	return done;
}

long xen_balloon_give(unsigned long pages)
{
	unsigned long done = 0;
	bool floor = false;

	if (!b.mode)
		return -ENODEV;
	while (done < pages && !floor) {
		unsigned int want = MIN(pages - done, BALLOON_BATCH), n;

		n = balloon_give_batch(want, &floor);
		done += n;
		if (n < want)
			break;
	}
	b.st.current_pages = b.st.base_pages - b.st.out_pages;
	return done;
}

long xen_balloon_take(unsigned long pages)
{
	unsigned long done = 0;

	if (!b.mode)
		return -ENODEV;
	while (done < pages) {
		unsigned int want = MIN(pages - done, BALLOON_BATCH), n;

		n = balloon_take_batch(want);
		done += n;
		if (n < want)
			break;
	}
	b.st.current_pages = b.st.base_pages - b.st.out_pages;
	return done;
}

/* ---- following the target ---------------------------------------------------------------- */

int xen_balloon_xen_pages(uint64_t *pages)
{
	domid_t self = DOMID_SELF;
	int rc = HYPERVISOR_memory_op(XENMEM_current_reservation, &self);

	if (rc < 0)
		return rc;
	*pages = (unsigned int)rc;
	return 0;
}

/* The end of a step: where it got, Xen's own count beside ours, and why it stopped short. */
static void balloon_report(const char *why)
{
	uint64_t xen = 0, cur = b.st.current_pages, aim = b.st.aim_pages;
	struct os_page_counts c;
	char xs[24], end[96];
	int err = xen_balloon_xen_pages(&xen);

	if (err)
		snprintf(xs, sizeof(xs), "unknown(%d)", err);
	else
		snprintf(xs, sizeof(xs), "%lu KiB", xen * 4);
	os_page_counts(&c);
	if (cur == aim)
		snprintf(end, sizeof(end), "reached");
	else if (!strcmp(why, "floor"))
		snprintf(end, sizeof(end), "short by %lu KiB (in use %lu KiB, kept free %lu KiB)",
			 (cur - aim) * 4, (cur - MIN(cur, c.free)) * 4, c.free * 4);
	else
		snprintf(end, sizeof(end), "short by %lu KiB (%s)",
			 (cur > aim ? cur - aim : aim - cur) * 4, why);
	printk("pvkit: balloon: target=%lu KiB current=%lu KiB xen=%s out=%lu ms=%lu: %s\n",
	       b.st.target_kib, cur * 4, xs, b.st.out_pages, (os_clock_ns() - b.t0) / 1000000,
	       end);
}

/* One batch towards the aim, from the idle loop. Return: work done (0: nothing to do). */
static unsigned int balloon_poll(void)
{
	uint64_t cur = b.st.current_pages, aim = b.st.aim_pages;
	unsigned int want, n;
	bool floor = false;

	if (!b.mode || !b.st.working)
		return 0;
	if (cur == aim) {
		b.st.working = false;
		balloon_report("");
		return 1;
	}
	want = MIN(cur > aim ? cur - aim : aim - cur, BALLOON_BATCH);
	n = cur > aim ? balloon_give_batch(want, &floor) : balloon_take_batch(want);
	b.st.current_pages = b.st.base_pages - b.st.out_pages;
	if (n < want) {
		b.st.working = false;
		balloon_report(floor ? "floor" : cur > aim ? "frames refused, see above" :
			       "Xen gave fewer frames: its limit for this domain, or no memory");
	}
	return 1;
}

/* At a step's start: Xen's count is the truth (PVH: gnttab placing a grant-table frame over
 * RAM gives that frame's page to Xen, the shared_info page too); ours follows it, and says so. */
static void balloon_sync(void)
{
	uint64_t xen;

	if (xen_balloon_xen_pages(&xen) || xen == b.st.current_pages)
		return;				/* no answer: go on with ours */
	printk("pvkit: balloon: Xen counts %lu KiB, we counted %lu KiB: taking Xen's count\n",
	       xen * 4, b.st.current_pages * 4);
	b.st.drift_pages += (int64_t)xen - (int64_t)b.st.current_pages;
	b.st.base_pages = xen + b.st.out_pages;
	b.st.current_pages = xen;
}

/* What to hold for @kib: target + slack, never past static-max (+ slack) nor past what the
 * domain holds with nothing given back; a cap the toolstack did not mean is said. */
static uint64_t balloon_aim(uint64_t kib)
{
	int64_t want = (int64_t)(kib / 4) + b.st.slack_pages;
	uint64_t aim = want < 0 ? 0 : (uint64_t)want;

	if (b.st.static_max_kib && kib > b.st.static_max_kib) {
		printk("pvkit: balloon: target %lu KiB above static-max %lu KiB: capped\n", kib,
		       b.st.static_max_kib);
		want = (int64_t)(b.st.static_max_kib / 4) + b.st.slack_pages;
		aim = MIN(aim, want < 0 ? 0 : (uint64_t)want);
	}
	if (kib > b.st.first_target_kib)
		printk("pvkit: balloon: target %lu KiB above the %lu KiB the domain started with: "
		       "capped\n", kib, b.st.first_target_kib);
	return MIN(aim, b.st.base_pages);
}

/* A target (KiB) from xenstore, good as a number: a new step. */
static void balloon_set_target(uint64_t kib)
{
	uint64_t cur, aim;

	balloon_sync();
	cur = b.st.current_pages;
	if (!b.have_first) {		/* what the toolstack counts apart: kept beside every target */
		b.have_first = true;
		b.st.first_target_kib = kib;
		b.st.slack_pages = (int64_t)b.st.base_pages - (int64_t)(kib / 4);
	}
	b.st.target_kib = kib;
	aim = balloon_aim(kib);
	b.st.aim_pages = aim;
	b.t0 = os_clock_ns();
	b.st.working = aim != cur;
	if (aim == cur)
		printk("pvkit: balloon: target=%lu KiB current=%lu KiB: already there\n", kib,
		       cur * 4);
	else
		printk("pvkit: balloon: target=%lu KiB current=%lu KiB: %s %lu pages\n", kib,
		       cur * 4, aim < cur ? "giving back" : "taking back",
		       aim < cur ? cur - aim : aim - cur);
}

/* A node of memory/ as KiB; a bad value is said and ignored. 0 or -errno. */
static int balloon_read_kib(const char *node, uint64_t *kib)
{
	char val[32];
	int err = xs_read(XS_TXN_NONE, node, val, sizeof(val), NULL);

	if (err == -E2BIG) {
		printk("pvkit: balloon: %s: longer than any number of KiB (ignored)\n", node);
		return -ERANGE;
	}
	if (err)
		return err;			/* absent: the toolstack has not written it */
	err = xen_balloon_parse_kib(val, kib);
	if (err)
		printk("pvkit: balloon: %s \"%s\": %s (ignored)\n", node, val,
		       err == -ERANGE ? "too large" : "not a number of KiB");
	return err;
}

static void balloon_watch_cb(struct xs_watch *w, const char *path)
{
	uint64_t kib, max;
	int err;

	if (!balloon_read_kib("memory/static-max", &max))	/* xl mem-max changes it */
		b.st.static_max_kib = max;
	err = balloon_read_kib("memory/target", &kib);
	if (err) {
		if (err != -ENOENT)
			b.st.bad_targets++;
		return;
	}
	balloon_set_target(kib);
}

static struct xs_watch balloon_watch;		/* memory/target: set up by xen_balloon_init */
static struct os_poller balloon_poller = { .name = "balloon", .poll = balloon_poll };

int xen_balloon_parse_kib(const char *s, uint64_t *kib)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > BALLOON_TARGET_MAX_KIB)
			return -ERANGE;		/* checked per digit: never wraps */
	}
	*kib = v;
	return 0;
}

/* The map: a bit for every frame the kernel manages, in zeroed pages. */
static int balloon_map_alloc(void)
{
	struct os_page_counts c;
	int err;

	os_page_counts(&c);
	b.map_frames = c.end >> PAGE_SHIFT;
	if (b.map_frames > (uint64_t)BALLOON_MAP_PAGES * BALLOON_MAP_BITS) {
		printk("pvkit: balloon: not started: %lu MiB of RAM, more than it tracks\n",
		       c.end >> 20);
		return -E2BIG;
	}
	for (b.map_pages = 0; b.map_pages < DIV_ROUND_UP(b.map_frames, BALLOON_MAP_BITS);
	     b.map_pages++) {
		uint64_t pa;

		err = os_page_alloc(&pa);
		if (err)
			return err;		/* the caller frees what was allocated */
		b.map[b.map_pages] = os_phys_to_virt(pa);
	}
	return 0;
}

static void balloon_map_free(void)
{
	while (b.map_pages)
		os_page_free(os_virt_to_phys(b.map[--b.map_pages]));
}

void xen_balloon_reset(void)
{
	balloon_map_free();
	memset(&b, 0, sizeof(b));
	memset(&balloon_watch, 0, sizeof(balloon_watch));
}

int xen_balloon_init(const struct boot_info *bi)
{
	const struct balloon_mode *mode = &balloon_pvh;
	uint64_t pages;
	int err;

	if (b.mode)
		return -EALREADY;
	if (bi->env == BOOT_XEN_PV) {
#ifdef CONFIG_XEN_PV
		struct xen_pv_p2m_info info;

		mode = &balloon_pv;
		if (xen_pv_p2m_info(&info))
#endif
		{
			printk("pvkit: balloon: not started: no published P2M to keep\n");
			return -ENODEV;
		}
	}
	err = xen_balloon_xen_pages(&pages);
	if (err) {
		printk("pvkit: balloon: not started: XENMEM_current_reservation: %d\n", err);
		return err;
	}
	err = balloon_map_alloc();
	if (err)
		goto out_free_map;
	b.st.base_pages = b.st.current_pages = b.st.aim_pages = pages;
	b.next_out = b.map_frames;		/* none out */
	b.st.floor_pages = BALLOON_FLOOR_PAGES;
	b.st.running = true;
	b.mode = mode;
	os_poller_register(&balloon_poller);
	balloon_watch.path = "memory/target";
	balloon_watch.cb = balloon_watch_cb;
	err = xs_watch(&balloon_watch);		/* it fires once: the first target */
	if (err) {
		printk("pvkit: balloon: not started: watch memory/target: %d\n", err);
		goto out_stop;
	}
	printk("pvkit: balloon: ready mode=%s current=%lu KiB floor=%u KiB\n", mode->name,
	       pages * 4, BALLOON_FLOOR_KIB);
	return 0;

out_stop:
	b.mode = NULL;				/* the poller stays registered, idle */
	b.st.running = false;
out_free_map:
	balloon_map_free();
	return err;
}

void xen_balloon_get_stats(struct xen_balloon_stats *st)
{
	*st = b.st;
}
