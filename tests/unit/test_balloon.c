// SPDX-License-Identifier: MIT
/*
 * The Xen balloon's bookkeeping (xen-guest/balloon.c, issue 15 item 6) with the real xenstore
 * client against fake_xenstored, a fake kernel allocator (os_pages_take / os_pages_return /
 * os_page_counts) and a fake Xen (XENMEM_decrease_reservation, XENMEM_populate_physmap,
 * XENMEM_current_reservation, MMU_MACHPHYS_UPDATE, the PV P2M). What the fakes check as they
 * go: Xen is given only frames the kernel no longer maps and (PV) whose P2M entry is already a
 * hole, by MFN (PV) or GFN (PVH); a frame comes back to the kernel only once it has memory
 * again and (PV) its P2M entry and the M2P name its new MFN. The cases: target values from
 * xenstore (bad ones said and ignored), giving and taking back, Xen doing only part of a batch,
 * the floor of free frames, the caps, and the counts against Xen's after every step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/bootinfo.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include <pvkit/xen/balloon.h>
#include <pvkit/xen/p2m.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xenstore.h>
#include <xen/memory.h>
#include "../../xen-guest/xs_proto.h"
#include "fake_xenstored.h"
#include "unit.h"

#define DOMID		9
#define HOME		"/local/domain/9"
#define NF		8192u		/* frames of "RAM": 32 MiB */
#define KERNEL_FRAMES	1024u		/* the low ones: the kernel's, never free */
#define MFN0		0x100000ul	/* pfn f starts on MFN0 + f */
#define MFN_SPAN	(4 * NF)	/* MFNs the fake Xen hands out: [MFN0, MFN0 + MFN_SPAN) */
#define FULL_KIB	(NF * 4)	/* the domain's memory/target and static-max */
#define NONE		(~0u)

/* BUG() in the code under test: a broken invariant of its own, never a checked failure. */
__noreturn void panic(const char *fmt, ...)
{
	printf("# panic: %s\n", fmt);
	abort();
}

/* ---- the fake kernel: frames, free or used or taken, mapped in its window or not -------- */

enum { K_FREE, K_USED, K_TAKEN };
static struct {
	uint8_t state[NF];
	bool mapped[NF];		/* the window maps it: Xen must never be given such a frame */
	unsigned int free, taken;
	unsigned int bad_returns;	/* os_pages_return of a frame not taken */
	unsigned int early_returns;	/* ... of one without memory (or, PV, a P2M/M2P for it) */
} k;
static struct os_poller *poller;

void os_poller_register(struct os_poller *p)
{
	poller = p;
}

void os_page_counts(struct os_page_counts *c)
{
	c->total = NF;
	c->free = k.free;
	c->taken = k.taken;
	c->end = (uint64_t)NF << PAGE_SHIFT;
}

size_t os_pages_take(uint64_t *pas, size_t n, uint64_t keep_free)
{
	size_t got = 0;

	for (unsigned int f = NF; f-- > 0 && got < n && k.free > keep_free;) {
		if (k.state[f] != K_FREE)
			continue;
		k.state[f] = K_TAKEN;
		k.mapped[f] = false;
		k.free--;
		k.taken++;
		pas[got++] = (uint64_t)f << PAGE_SHIFT;
	}
	return got;
}

static bool frame_has_memory(unsigned int f);

void os_pages_return(const uint64_t *pas, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned int f = pas[i] >> PAGE_SHIFT;

		if (f >= NF || k.state[f] != K_TAKEN) {
			k.bad_returns++;
			continue;
		}
		if (!frame_has_memory(f))
			k.early_returns++;	/* the window would map a hole (PV: a bad MFN) */
		k.state[f] = K_FREE;
		k.mapped[f] = true;
		k.free++;
		k.taken--;
	}
}

/* ---- the fake Xen ------------------------------------------------------------------------ */

static struct {
	bool pv;
	unsigned long p2m[NF];		/* PV: the guest's P2M */
	unsigned long m2p[MFN_SPAN];	/* PV: Xen's M2P, by MFN - MFN0 (~0: none) */
	bool mfn_ours[MFN_SPAN];	/* PV: the domain owns it */
	bool gfn_backed[NF];		/* PVH: the GFN has memory */
	uint64_t tot;			/* the domain's pages (what xl list shows) */
	uint64_t extra;			/* of them, pages outside the guest's RAM (PVH specials) */
	unsigned long next_mfn;		/* the next fresh MFN, - MFN0 */
	unsigned int decrease_limit;	/* extents decrease_reservation still does (NONE: all) */
	unsigned int populate_limit;	/* ... populate_physmap (a max_pages of sorts) */
	int decrease_rc, populate_rc;	/* a forced error instead (0: none) */
	bool populate_sets_m2p;		/* as Xen 4.17 does for PV; off: only the guest's update */
	unsigned long busy_pfn;		/* xen_pv_p2m_set refuses it (-EBUSY) */
	bool p2m_published;
	unsigned int decreases, populates, frames_given, frames_populated;
	unsigned int mmu_calls, m2p_updates;
	int mmu_rc;			/* a forced error for mmu_update */
	unsigned int given_mapped;	/* frames Xen got that the window still mapped */
	unsigned int given_valid_p2m;	/* PV: ... whose P2M entry was not a hole yet */
	unsigned int bad_extents;	/* extents that were not the domain's */
} x;

static bool frame_has_memory(unsigned int f)
{
	unsigned long m;

	if (!x.pv)
		return x.gfn_backed[f];
	m = x.p2m[f];
	return m != XEN_PV_P2M_INVALID && m - MFN0 < MFN_SPAN && x.mfn_ours[m - MFN0] &&
	       x.m2p[m - MFN0] == f;
}

unsigned long xen_pv_pfn_to_mfn(unsigned long pfn)
{
	CHECK(pfn < NF);
	return pfn < NF ? x.p2m[pfn] : XEN_PV_P2M_INVALID;
}

int xen_pv_p2m_set(unsigned long pfn, unsigned long mfn)
{
	if (!x.p2m_published)
		return -ENODEV;
	if (pfn >= NF)
		return -EINVAL;
	if (pfn == x.busy_pfn)
		return -EBUSY;
	x.p2m[pfn] = mfn;
	return 0;
}

int xen_pv_p2m_info(struct xen_pv_p2m_info *info)
{
	if (!x.p2m_published)
		return -ENODEV;
	memset(info, 0, sizeof(*info));
	info->max_pfn = NF;
	return 0;
}

static long fx_decrease_one(xen_pfn_t e)
{
	unsigned int f;

	if (x.pv) {
		if (e - MFN0 >= MFN_SPAN || !x.mfn_ours[e - MFN0])
			return -EINVAL;
		f = x.m2p[e - MFN0];
		if (f >= NF)
			return -EINVAL;
		if (x.p2m[f] != XEN_PV_P2M_INVALID)
			x.given_valid_p2m++;
	} else {
		f = e;
		if (f >= NF || !x.gfn_backed[f])
			return -EINVAL;
	}
	if (k.mapped[f]) {			/* Xen keeps a referenced page: not freed */
		x.given_mapped++;
		return -EBUSY;
	}
	if (x.pv) {
		x.mfn_ours[e - MFN0] = false;
		x.m2p[e - MFN0] = ~0ul;
	} else {
		x.gfn_backed[f] = false;
	}
	x.tot--;
	return 0;
}

static long fx_populate_one(xen_pfn_t *e)
{
	unsigned long mfn;

	if (*e >= NF)
		return -EINVAL;
	if (!x.pv) {
		if (x.gfn_backed[*e])
			return -EEXIST;
		x.gfn_backed[*e] = true;
		x.tot++;
		return 0;
	}
	if (x.next_mfn >= MFN_SPAN)
		return -ENOMEM;
	mfn = x.next_mfn++;
	x.mfn_ours[mfn] = true;
	x.m2p[mfn] = x.populate_sets_m2p ? *e : ~0ul;
	*e = MFN0 + mfn;			/* PV: Xen writes the MFN back */
	x.tot++;
	return 0;
}

int HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
	struct xen_memory_reservation *r = arg;
	xen_pfn_t *ext;
	unsigned int i, limit;

	if (cmd == XENMEM_current_reservation) {
		CHECK(*(domid_t *)arg == DOMID_SELF);
		return (int)x.tot;
	}
	if (cmd != XENMEM_decrease_reservation && cmd != XENMEM_populate_physmap)
		return -ENOSYS;
	CHECK(r->domid == DOMID_SELF && r->extent_order == 0);
	ext = r->extent_start.p;
	if (cmd == XENMEM_decrease_reservation) {
		x.decreases++;
		if (x.decrease_rc)
			return x.decrease_rc;
		limit = MIN(r->nr_extents, x.decrease_limit);
		for (i = 0; i < limit && !fx_decrease_one(ext[i]); i++)
			x.frames_given++;
		if (x.decrease_limit != NONE)
			x.decrease_limit -= i;
		if (i < limit && !x.given_mapped)
			x.bad_extents++;
		return (int)i;			/* extents done, as Xen counts them */
	}
	x.populates++;
	if (x.populate_rc)
		return x.populate_rc;
	limit = MIN(r->nr_extents, x.populate_limit);
	for (i = 0; i < limit && !fx_populate_one(&ext[i]); i++)
		x.frames_populated++;
	if (x.populate_limit != NONE)
		x.populate_limit -= i;
	return (int)i;
}

int HYPERVISOR_mmu_update(mmu_update_t *req, unsigned int count, unsigned int *done,
			  domid_t dom)
{
	x.mmu_calls++;
	*done = 0;
	CHECK(dom == DOMID_SELF);
	if (x.mmu_rc)
		return x.mmu_rc;
	for (unsigned int i = 0; i < count; i++) {
		unsigned long mfn = req[i].ptr >> PAGE_SHIFT;

		if ((req[i].ptr & 7) != MMU_MACHPHYS_UPDATE || mfn - MFN0 >= MFN_SPAN ||
		    !x.mfn_ours[mfn - MFN0] || req[i].val >= NF)
			return -EINVAL;
		x.m2p[mfn - MFN0] = req[i].val;
		x.m2p_updates++;
		(*done)++;
	}
	return 0;
}

/* ---- fixture ------------------------------------------------------------------------------- */

static struct boot_info bi;

/* The domain as built: NF frames of RAM (+ @extra pages outside it, PVH's specials), the
 * kernel's frames used, the rest free and mapped, memory/target and static-max = FULL_KIB. */
static int setup(bool pv, uint64_t extra)
{
	int err;

	memset(&k, 0, sizeof(k));
	memset(&x, 0, sizeof(x));
	poller = NULL;
	for (unsigned int f = 0; f < NF; f++) {
		k.state[f] = f < KERNEL_FRAMES ? K_USED : K_FREE;
		k.mapped[f] = true;
		x.p2m[f] = MFN0 + f;
		x.m2p[f] = f;
		x.mfn_ours[f] = true;
		x.gfn_backed[f] = true;
	}
	for (unsigned long m = NF; m < MFN_SPAN; m++)
		x.m2p[m] = ~0ul;
	k.free = NF - KERNEL_FRAMES;
	x.pv = pv;
	x.extra = extra;
	x.tot = NF + extra;
	x.next_mfn = NF;
	x.decrease_limit = x.populate_limit = NONE;
	x.busy_pfn = ~0ul;
	x.p2m_published = true;
	unit_log_reset();
	xs_reset();
	xen_balloon_reset();
	fxs_init(DOMID, "balloon", 0);
	CHECK(xs_init_ring(fxs.ring, FXS_PORT) == 0);
	fxs_set(HOME "/memory/static-max", "32768");
	fxs_set(HOME "/memory/target", "32768");
	memset(&bi, 0, sizeof(bi));
	bi.env = pv ? BOOT_XEN_PV : BOOT_XEN_PVH;
	err = xen_balloon_init(&bi);
	fxs_pump();				/* the watch fires: the first target */
	return err;
}

static struct xen_balloon_stats stats(void)
{
	struct xen_balloon_stats s;

	xen_balloon_get_stats(&s);
	return s;
}

/* The idle loop until the balloon has nothing more to do. Return: passes that did work. */
static unsigned int run(void)
{
	unsigned int passes = 0;

	fxs_pump();
	while (poller && poller->poll()) {
		if (++passes > 10000) {
			CHECK(!"the balloon never settles");
			break;
		}
		fxs_pump();
	}
	return passes;
}

/* dom0 writes memory/target (xl mem-set, or by hand); the balloon follows it. */
static unsigned int target(const char *kib)
{
	fxs_set(HOME "/memory/target", kib);
	return run();
}

/* Everything the guest and the fakes count agrees: Xen's count is ours, each frame is in one
 * state (free and mapped with memory, taken and out with the balloon and without memory). */
static void consistent(void)
{
	struct xen_balloon_stats s = stats();
	unsigned int out = 0, bad = 0;

	CHECKF(s.current_pages == x.tot, "guest counts %lu pages, Xen %lu", s.current_pages,
	       x.tot);
	CHECKF(s.out_pages == k.taken, "balloon: %lu out, kernel: %u taken", s.out_pages,
	       k.taken);
	for (unsigned int f = 0; f < NF; f++) {
		bool is_out = xen_balloon_is_out((uint64_t)f << PAGE_SHIFT);

		out += is_out;
		if (is_out != (k.state[f] == K_TAKEN) || is_out == frame_has_memory(f) ||
		    is_out == k.mapped[f] || (x.pv && is_out != (x.p2m[f] == XEN_PV_P2M_INVALID)))
			if (bad++ < 3)
				CHECKF(0, "frame %u: out %d, kernel state %d, memory %d, mapped %d, "
				       "p2m %#lx", f, is_out, k.state[f], frame_has_memory(f),
				       k.mapped[f], x.p2m[f]);
	}
	CHECKF(out == s.out_pages, "%u frames marked out, %lu counted", out, s.out_pages);
	CHECKF(k.free + k.taken + KERNEL_FRAMES == NF, "%u free + %u taken", k.free, k.taken);
	CHECK(k.bad_returns == 0 && k.early_returns == 0);
	CHECK(x.given_mapped == 0 && x.given_valid_p2m == 0 && x.bad_extents == 0);
}

/* ---- cases --------------------------------------------------------------------------------- */

static void parse_values(void)
{
	static const struct { const char *s; int err; uint64_t v; } t[] = {
		{ "0", 0, 0 }, { "131072", 0, 131072 }, { "007", 0, 7 },
		{ "1099511627776", 0, 1ull << 40 },		/* BALLOON_TARGET_MAX_KIB */
		{ "1099511627777", -ERANGE, 0 }, { "99999999999999999999", -ERANGE, 0 },
		{ "18446744073709551616", -ERANGE, 0 },		/* 2^64: must not wrap to 0 */
		{ "", -EINVAL, 0 }, { "abc", -EINVAL, 0 }, { "-5", -EINVAL, 0 },
		{ "+5", -EINVAL, 0 }, { " 5", -EINVAL, 0 }, { "5 ", -EINVAL, 0 },
		{ "12x", -EINVAL, 0 }, { "0x10", -EINVAL, 0 }, { "1e6", -EINVAL, 0 },
		{ "5\n", -EINVAL, 0 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(t); i++) {
		uint64_t v = 12345;
		int err = xen_balloon_parse_kib(t[i].s, &v);

		CHECKF(err == t[i].err, "\"%s\": %d, not %d", t[i].s, err, t[i].err);
		CHECKF(err || v == t[i].v, "\"%s\": %lu", t[i].s, v);
		CHECKF(!err || v == 12345, "\"%s\": refused, but the value was written", t[i].s);
	}
}

/* Bad values in memory/target: each said and ignored; nothing given, nothing changed. */
static void bad_targets(void)
{
	static const char *const bad[] = { "abc", "-65536", "99999999999999999999", "",
					   "16384 KiB", "1234567890123456789012345678901234567890" };
	struct xen_balloon_stats s0;

	CHECK(setup(false, 0) == 0);
	s0 = stats();
	for (unsigned int i = 0; i < ARRAY_SIZE(bad); i++) {
		char want[96];

		unit_log_reset();
		CHECK(target(bad[i]) == 0);
		if (strlen(bad[i]) > 31)
			snprintf(want, sizeof(want), "memory/target: longer than any number of KiB "
				 "(ignored)");
		else
			snprintf(want, sizeof(want), "memory/target \"%s\": %s (ignored)", bad[i],
				 i == 2 ? "too large" : "not a number of KiB");
		CHECKF(unit_logged(want), "value %u: no \"%s\"", i, want);
	}
	CHECKF(stats().bad_targets == ARRAY_SIZE(bad), "%lu ignored", stats().bad_targets);
	CHECK(stats().target_kib == FULL_KIB && stats().aim_pages == s0.aim_pages);
	CHECK(x.decreases == 0 && x.populates == 0 && stats().out_pages == 0);
	/* A good value after them is taken. */
	target("16384");
	CHECK(stats().target_kib == 16384 && x.tot == 4096);
	consistent();
}

/* Half the memory back to Xen and all of it again, batch by batch, PVH (by GFN). */
static void give_and_take_pvh(void)
{
	unsigned int passes;

	CHECK(setup(false, 0) == 0);
	CHECK(unit_logged("pvkit: balloon: ready mode=xen-pvh current=32768 KiB floor=8192 KiB"));
	CHECK(unit_logged("target=32768 KiB current=32768 KiB: already there"));
	passes = target("16384");
	CHECKF(x.tot == NF / 2, "Xen counts %lu pages", x.tot);
	CHECK(unit_logged("target=16384 KiB current=32768 KiB: giving back 4096 pages"));
	CHECK(unit_logged("target=16384 KiB current=16384 KiB xen=16384 KiB out=4096 ms=0: "
			  "reached"));
	CHECKF(x.decreases == 4096 / BALLOON_BATCH && passes == x.decreases + 1,
	       "%u hypercalls in %u passes", x.decreases, passes);
	CHECK(stats().given == 4096 && stats().partial == 0 && !stats().working);
	consistent();
	target("32768");
	CHECK(unit_logged("target=32768 KiB current=32768 KiB xen=32768 KiB out=0 ms=0: reached"));
	CHECK(x.populates == 4096 / BALLOON_BATCH && stats().taken == 4096);
	CHECK(k.free == NF - KERNEL_FRAMES);
	consistent();
}

/* The same under PV: MFNs to Xen after the P2M hole, new MFNs into the P2M and the M2P before
 * the frame is mapped again (the fake Xen leaves the M2P to the guest). */
static void give_and_take_pv(void)
{
	unsigned int changed = 0;

	CHECK(setup(true, 0) == 0);
	CHECK(unit_logged("ready mode=xen-pv current=32768 KiB"));
	target("20000");				/* 5000 pages: not a multiple of a batch */
	CHECK(x.tot == 5000 && stats().out_pages == NF - 5000);
	CHECK(x.frames_given == NF - 5000);
	consistent();
	target("32768");
	CHECK(x.tot == NF && stats().out_pages == 0);
	CHECKF(x.m2p_updates == NF - 5000 && x.mmu_calls == DIV_ROUND_UP(NF - 5000, BALLOON_BATCH),
	       "%u M2P updates in %u calls", x.m2p_updates, x.mmu_calls);
	for (unsigned int f = 0; f < NF; f++)
		changed += x.p2m[f] != MFN0 + f;
	CHECKF(changed == NF - 5000, "%u P2M entries name a new MFN", changed);
	consistent();
}

/* Xen does only part of a batch (or none): the frames it did not take stay ours, mapped and
 * free, with their P2M entries back; the counts are exact; the step ends short and says so. */
static void partial_decrease(void)
{
	CHECK(setup(true, 0) == 0);
	x.decrease_limit = 100;
	target("16384");
	CHECK(x.tot == NF - 100 && stats().out_pages == 100 && stats().partial == 1);
	CHECK(unit_logged("short by 15984 KiB (frames refused, see above)"));
	CHECK(k.free == NF - KERNEL_FRAMES - 100);
	consistent();
	x.decrease_limit = NONE;
	x.decrease_rc = -EINVAL;			/* an error: nothing done */
	unit_log_reset();
	target("16000");
	CHECK(unit_logged("pvkit: balloon: decrease_reservation of 512 frames: -22"));
	CHECK(x.tot == NF - 100 && stats().out_pages == 100);
	consistent();
	x.decrease_rc = 0;				/* Xen works again: the next target goes */
	target("16384");
	CHECK(x.tot == NF / 2);
	consistent();
}

/* Xen gives back only part (its limit for the domain, or no memory): the frames not filled
 * stay out; the rest come when asked again. */
static void partial_populate(void)
{
	CHECK(setup(true, 0) == 0);
	target("12288");
	CHECK(x.tot == 3072);
	x.populate_limit = 700;				/* a batch whole, the next in part */
	unit_log_reset();
	target("32768");
	CHECKF(x.tot == 3072 + 700 && stats().partial == 1, "Xen counts %lu", x.tot);
	CHECK(unit_logged("Xen gave fewer frames: its limit for this domain, or no memory"));
	consistent();
	x.populate_limit = NONE;
	x.populate_rc = -ENOMEM;
	target("32764");
	CHECK(unit_logged("populate_physmap of 512 frames: -12"));
	consistent();
	x.populate_rc = 0;
	target("32768");
	CHECK(x.tot == NF && stats().out_pages == 0);
	consistent();
}

/* A target below what the guest can give: followed down to the floor of free frames, the
 * shortfall said with what is in use and what is kept free; never below the floor. */
static void floor_kept(void)
{
	CHECK(setup(false, 0) == 0);
	target("0");
	CHECKF(k.free == BALLOON_FLOOR_KIB / 4, "%u frames free", k.free);
	CHECK(x.tot == KERNEL_FRAMES + BALLOON_FLOOR_KIB / 4);
	CHECK(unit_logged("target=0 KiB current=12288 KiB xen=12288 KiB out=5120 ms=0: short by "
			  "12288 KiB (in use 4096 KiB, kept free 8192 KiB)"));
	consistent();
	/* Direct calls are bounded by the floor too. */
	CHECK(xen_balloon_give(10) == 0);
	CHECK(xen_balloon_take(10) == 10 && x.tot == KERNEL_FRAMES + BALLOON_FLOOR_KIB / 4 + 10);
	consistent();
	target("32768");
	CHECK(x.tot == NF);
	consistent();
}

/* Targets past static-max or past the start are capped, and said; PVH's specials (pages the
 * domain holds beyond its target from the start) are kept beside every target. */
static void caps_and_slack(void)
{
	CHECK(setup(false, 15) == 0);
	CHECK(stats().slack_pages == 15);
	target("16384");
	CHECK(x.tot == 4096 + 15);
	consistent();
	target("65536");
	CHECK(unit_logged("target 65536 KiB above static-max 32768 KiB: capped"));
	CHECK(x.tot == NF + 15 && stats().out_pages == 0);
	consistent();
	/* xl mem-max raised static-max, but the domain never grows past its start. */
	fxs_set(HOME "/memory/static-max", "65536");
	unit_log_reset();
	target("40000");
	CHECK(unit_logged("target 40000 KiB above the 32768 KiB the domain started with: capped"));
	CHECK(x.tot == NF + 15);
	consistent();
}

/* Xen's count moved without the balloon (PVH: a grant-table frame placed over RAM): the next
 * step starts from Xen's count, and says so. */
static void drift_followed(void)
{
	CHECK(setup(false, 15) == 0);
	x.tot -= 62;
	target("16384");
	CHECK(unit_logged("pvkit: balloon: Xen counts 32580 KiB, we counted 32828 KiB: taking "
			  "Xen's count"));
	CHECK(x.tot == 4096 + 15 && stats().drift_pages == -62);
	consistent();
	target("32768");				/* all back: 62 fewer than at the start */
	CHECK(x.tot == NF + 15 - 62 && stats().out_pages == 0);
	consistent();
}

/* PV: a frame whose P2M entry cannot change stays ours; the others go. Without a published
 * P2M the balloon does not start and keeps nothing. */
static void p2m_refusals(void)
{
	CHECK(setup(true, 0) == 0);
	x.busy_pfn = NF - 3;				/* among the first taken */
	target("32000");				/* 192 pages */
	CHECK(unit_logged("cannot go: -16 (kept)"));
	CHECK(x.p2m[NF - 3] == MFN0 + NF - 3 && k.state[NF - 3] == K_FREE);
	CHECK(x.tot == NF - 191);
	consistent();

	memset(&k, 0, sizeof(k));
	xen_balloon_reset();
	x.p2m_published = false;
	bi.env = BOOT_XEN_PV;
	CHECK(xen_balloon_init(&bi) == -ENODEV);
	CHECK(unit_logged("not started: no published P2M to keep"));
	CHECK(xen_balloon_give(1) == -ENODEV && xen_balloon_take(1) == -ENODEV);
	CHECK(!stats().running);
}

/* MMU_MACHPHYS_UPDATE refused: said and counted; the frames are Xen's M2P's anyway. */
static void m2p_refused(void)
{
	CHECK(setup(true, 0) == 0);
	x.populate_sets_m2p = true;			/* Xen 4.17 sets it itself */
	target("30720");
	x.mmu_rc = -EPERM;
	target("32768");
	CHECK(stats().m2p_errors == 1 && unit_logged("MMU_MACHPHYS_UPDATE of 512 frames: -1, 0 done"));
	consistent();
}

UNIT_CASES(
	{ parse_values, "balloon: target values: digits only, at most 2^40 KiB, never wrapped" },
	{ bad_targets, "balloon: bad memory/target values said and ignored, nothing changed" },
	{ give_and_take_pvh, "balloon: PVH: half given back by GFN and taken again, batched" },
	{ give_and_take_pv, "balloon: PV: P2M hole before Xen, new MFN in P2M and M2P before use" },
	{ partial_decrease, "balloon: decrease_reservation in part or refused: counts exact" },
	{ partial_populate, "balloon: populate_physmap in part or refused: the rest stays out" },
	{ floor_kept, "balloon: a target below the floor is followed to it and the rest said" },
	{ caps_and_slack, "balloon: static-max and the start cap the target; PVH slack kept" },
	{ drift_followed, "balloon: a step starts from Xen's count when it moved" },
	{ p2m_refusals, "balloon: PV: a frame the P2M refuses stays; no P2M: not started" },
	{ m2p_refused, "balloon: PV: a refused M2P update is said and counted" },
);
