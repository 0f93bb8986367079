// SPDX-License-Identifier: MIT
/* Grant tables on real Xen, PV and PVH: Xen reads our entries (a grant copy), an end is
 * deferred while Xen itself holds a mapping of ours, 100,000 grant/end cycles leak nothing,
 * and the table grows to Xen's maximum and then says -ENOSPC. */
#include <pvkit/mm.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <xen/grant_table.h>
#include <xen/memory.h>

#define GT_LEAK_CYCLES	100000		/* grant + end */
#define GT_BATCH	64		/* granted at once, then ended */
#define GT_MSEC		((uint64_t)1000000)
/* PVH: where a grant mapping goes when nothing is free just above RAM (16 GiB). */
#define GT_PVH_FAR_GFN	0x400000ul
#define GT_2M		(2ull << 20)

/* ST_CHECK that leaves through `out:`, so a failing test still gives back what it took. */
#define GT_CHECK(cond, fmt, ...)						\
	do {									\
		if (!(cond)) {							\
			printk("#   %s:%d: check failed: %s: " fmt "\n",	\
			       __FILE__, __LINE__, #cond, ##__VA_ARGS__);	\
			err = -EINVAL;						\
			goto out;						\
		}								\
	} while (0)

/*
 * PVH: an empty guest frame for Xen to put a grant mapping at: 2 MiB past the highest RAM,
 * unless the memory map describes something there. Close above RAM, not far: Xen raises the
 * domain's highest frame to it for good, and an HVM save walks every frame up to that one
 * (mapped at 16 GiB, a 128 MiB guest's xl save listed 4194305 frames, 4161585 of them holes,
 * and took 16-38 s instead of a few; docs/suspend.md).
 */
static uint64_t gt_pvh_map_gfn(const struct boot_info *bi)
{
	uint64_t top = 0, gpa;

	for (uint32_t i = 0; i < bi->nr_mem; i++)
		if (bi->mem[i].type == BOOT_MEM_RAM && bi->mem[i].base + bi->mem[i].len > top)
			top = bi->mem[i].base + bi->mem[i].len;
	gpa = ((top + GT_2M - 1) & ~(GT_2M - 1)) + GT_2M;
	for (uint32_t i = 0; i < bi->nr_mem; i++)
		if (gpa + PAGE_SIZE > bi->mem[i].base && gpa < bi->mem[i].base + bi->mem[i].len)
			return GT_PVH_FAR_GFN;
	return gpa >> PAGE_SHIFT;
}

static int gt_op(unsigned int cmd, void *uop)
{
	return xen_hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, 1);
}

/* Our domain id, without xenstore: the remote end of a loopback channel, as Xen reports it. */
static int gt_self_domid(domid_t *domid)
{
	struct evtchn_status st = { .dom = DOMID_SELF };
	evtchn_port_t a, b;
	int err;

	err = evtchn_alloc_unbound(DOMID_SELF, &a);
	if (err)
		return err;
	err = evtchn_bind_interdomain(DOMID_SELF, a, &b);
	if (err)
		goto out_close_a;
	st.port = b;
	err = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
	if (!err && st.status != EVTCHNSTAT_interdomain)
		err = -EPROTO;
	if (!err)
		*domid = st.u.interdomain.dom;
	evtchn_close(b);
out_close_a:
	evtchn_close(a);
	return err;
}

/* What Xen calls our page at @pa in a copy or map: machine frame (PV), guest frame (PVH). */
static uint64_t gt_frame(const struct boot_info *bi, uint64_t pa)
{
	if (bi->env == BOOT_XEN_PV)
		return xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT);
	return pa >> PAGE_SHIFT;
}

static int test_state(const struct boot_info *bi)
{
	struct gnttab_stats st;
	int err = 0;

	gnttab_get_stats(&st);
	printk("#   grant table: %u of %u frames, %u refs, %u in use, %u free\n", st.frames,
	       st.max_frames, st.nr_refs, st.in_use, st.free);
	GT_CHECK(st.frames >= 1 && st.max_frames >= st.frames, "%u of %u frames", st.frames,
		 st.max_frames);
	GT_CHECK(st.free + st.in_use + GNTTAB_NR_RESERVED_ENTRIES == st.nr_refs,
		 "free %u + in use %u + 8 != %u", st.free, st.in_use, st.nr_refs);
	GT_CHECK(gnttab_verify() == 0, "bookkeeping");
	GT_CHECK(gnttab_end_access(0) == -EINVAL && gnttab_end_access(7) == -EINVAL,
		 "reserved refs");
out:
	return err;
}

/*
 * Xen copies out of a page we granted to ourselves: proof that the entry (domid, frame as Xen
 * wants it, flags) is right. After the end the same copy is refused: the grant is gone.
 */
static int test_copy(const struct boot_info *bi)
{
	uint64_t src = 0, dst = 0;
	struct gnttab_copy op;
	grant_ref_t ref = 0;
	bool granted = false;
	domid_t self;
	uint8_t *s, *d;
	int err;

	err = gt_self_domid(&self);
	GT_CHECK(err == 0, "own domid: %d", err);
	err = page_alloc(&src);
	GT_CHECK(err == 0, "page_alloc: %d", err);
	err = page_alloc(&dst);
	GT_CHECK(err == 0, "page_alloc: %d", err);
	s = phys_to_virt(src);
	d = phys_to_virt(dst);
	for (unsigned int i = 0; i < PAGE_SIZE; i++)
		s[i] = (uint8_t)(i * 7 + 3);
	err = gnttab_grant_access(self, src, true, &ref);
	GT_CHECK(err == 0, "grant: %d", err);
	granted = true;
	op = (struct gnttab_copy){
		.source = { .u.ref = ref, .domid = self },
		.dest = { .u.gmfn = gt_frame(bi, dst), .domid = DOMID_SELF },
		.len = PAGE_SIZE,
		.flags = GNTCOPY_source_gref,
	};
	err = gt_op(GNTTABOP_copy, &op);
	GT_CHECK(err == 0 && op.status == GNTST_okay, "copy: %d, status %d", err, op.status);
	GT_CHECK(!__builtin_memcmp(s, d, PAGE_SIZE), "the copy differs");
	err = gnttab_end_access(ref);
	GT_CHECK(err == 0, "end: %d", err);
	granted = false;
	op.status = 0;
	err = gt_op(GNTTABOP_copy, &op);
	GT_CHECK(err == 0 && op.status != GNTST_okay, "copy after end: %d, status %d", err,
		 op.status);
	printk("#   domain %u: Xen copied a page through grant ref %u; after the end: status %d\n",
	       self, ref, op.status);
out:
	if (granted)
		gnttab_end_access(ref);
	if (dst)
		page_free(dst);
	if (src)
		page_free(src);
	return err;
}

/* Map our own grant the way a backend would: PV a device mapping (no page table touched),
 * PVH a host mapping at an empty guest frame. Return: 0 with *handle and *bus, or -errno. */
static int gt_self_map(const struct boot_info *bi, domid_t self, grant_ref_t ref,
		       grant_handle_t *handle, uint64_t *bus)
{
	struct gnttab_map_grant_ref op = { .ref = ref, .dom = self };
	int err;

	if (bi->env == BOOT_XEN_PV) {
		op.flags = GNTMAP_device_map;
	} else {
		op.flags = GNTMAP_host_map;
		op.host_addr = gt_pvh_map_gfn(bi) << PAGE_SHIFT;
	}
	err = gt_op(GNTTABOP_map_grant_ref, &op);
	if (!err && op.status != GNTST_okay) {
		printk("#   map_grant_ref status %d\n", op.status);
		err = -EIO;
	}
	*handle = op.handle;
	*bus = op.dev_bus_addr;
	return err;
}

static int gt_self_unmap(const struct boot_info *bi, grant_handle_t handle, uint64_t bus)
{
	struct gnttab_unmap_grant_ref op = { .handle = handle };
	int err;

	if (bi->env == BOOT_XEN_PV)
		op.dev_bus_addr = bus;
	else
		op.host_addr = gt_pvh_map_gfn(bi) << PAGE_SHIFT;
	err = gt_op(GNTTABOP_unmap_grant_ref, &op);
	return !err && op.status != GNTST_okay ? -EIO : err;
}

#define GT_PATTERN	0x5eed5eed5eed5eedull

/*
 * PVH quirk: Xen puts a grant mapping into the p2m like any page, and a page of ours mapped at
 * a second guest frame is first removed from its first one ("aliased", p2m_add_page). After
 * the unmap our page's frame has no RAM behind it (reads all ones). Give it RAM again
 * (XENMEM_populate_physmap) before the page goes back to the allocator. Return: whether the
 * page is usable.
 */
static bool gt_pvh_restore(uint64_t pa, bool *lost)
{
	volatile uint64_t *w = phys_to_virt(pa);
	xen_pfn_t gfn = pa >> PAGE_SHIFT;
	struct xen_memory_reservation r = { .nr_extents = 1, .domid = DOMID_SELF };

	*lost = *w != GT_PATTERN;
	if (!*lost)
		return true;
	set_xen_guest_handle(r.extent_start, &gfn);
	if (HYPERVISOR_memory_op(XENMEM_populate_physmap, &r) != 1)
		return false;
	*w = GT_PATTERN;
	return *w == GT_PATTERN;
}

/* While Xen holds a mapping of the grant the end is deferred (the ref stays ours, never
 * reused); once it is unmapped, gnttab_poll() frees it. */
static int test_deferred_end(const struct boot_info *bi)
{
	struct gnttab_stats st0, st;
	grant_handle_t handle = 0;
	bool granted = false, mapped = false, usable = true, lost = false;
	char how[40];
	grant_ref_t ref = 0, other;
	uint64_t pa = 0, bus = 0;
	domid_t self;
	int err;

	gnttab_get_stats(&st0);
	err = gt_self_domid(&self);
	GT_CHECK(err == 0, "own domid: %d", err);
	err = page_alloc(&pa);
	GT_CHECK(err == 0, "page_alloc: %d", err);
	*(volatile uint64_t *)phys_to_virt(pa) = GT_PATTERN;
	err = gnttab_grant_access(self, pa, false, &ref);
	GT_CHECK(err == 0, "grant: %d", err);
	granted = true;
	err = gt_self_map(bi, self, ref, &handle, &bus);
	GT_CHECK(err == 0, "map our own grant: %d", err);
	mapped = true;
	err = gnttab_end_access(ref);
	GT_CHECK(err == -EBUSY, "end while mapped: %d", err);
	granted = false;			/* gnttab's now */
	gnttab_get_stats(&st);
	GT_CHECK(st.deferred == st0.deferred + 1 && st.in_use == st0.in_use + 1,
		 "deferred %u, in use %u", st.deferred, st.in_use);
	for (unsigned int i = 0; i < 100; i++) {	/* never handed out meanwhile */
		err = gnttab_grant_access(0, pa, true, &other);
		GT_CHECK(err == 0, "grant: %d", err);
		err = gnttab_end_access(other);
		GT_CHECK(err == 0 && other != ref, "ref %u reused while mapped (end %d)", other,
			 err);
	}
	GT_CHECK(gnttab_poll() == st0.deferred + 1, "poll while mapped");
	err = gt_self_unmap(bi, handle, bus);
	GT_CHECK(err == 0, "unmap: %d", err);
	mapped = false;
	if (bi->env == BOOT_XEN_PVH)
		usable = gt_pvh_restore(pa, &lost);
	GT_CHECK(usable, "page at %#lx lost its RAM and could not get it back", pa);
	GT_CHECK(gnttab_poll() == st0.deferred, "still deferred after the unmap");
	gnttab_get_stats(&st);
	GT_CHECK(st.in_use == st0.in_use && st.deferred == st0.deferred, "in use %u, deferred %u",
		 st.in_use, st.deferred);
	GT_CHECK(gnttab_verify() == 0, "bookkeeping");
	if (bi->env == BOOT_XEN_PV)
		snprintf(how, sizeof(how), "device map");
	else
		snprintf(how, sizeof(how), "host map at gfn %#lx", gt_pvh_map_gfn(bi));
	printk("#   ref %u mapped by Xen (%s): end deferred, freed by poll after the unmap%s\n",
	       ref, how, lost ? "; the page's own frame had lost its RAM (repopulated)" : "");
out:
	if (mapped && !gt_self_unmap(bi, handle, bus)) {
		mapped = false;
		gnttab_poll();
		if (bi->env == BOOT_XEN_PVH)
			usable = gt_pvh_restore(pa, &lost);
	}
	if (granted)
		gnttab_end_access(ref);
	if (pa && !mapped && usable)
		page_free(pa);			/* else lost for good: never hand it out */
	return err;
}

/* 100,000 grants and ends, 64 at a time, to dom0: counters back, the free list whole. */
static int test_leak(const struct boot_info *bi)
{
	struct gnttab_stats st0, st;
	grant_ref_t refs[GT_BATCH];
	unsigned int n = 0, done = 0;
	uint64_t pa = 0, t0, ns;
	int err;

	err = page_alloc(&pa);
	GT_CHECK(err == 0, "page_alloc: %d", err);
	gnttab_get_stats(&st0);
	t0 = pv_clock_ns();
	while (done < GT_LEAK_CYCLES) {
		unsigned int batch = MIN((unsigned int)GT_BATCH, GT_LEAK_CYCLES - done);

		for (n = 0; n < batch; n++) {
			err = gnttab_grant_access(0, pa, n & 1, &refs[n]);
			GT_CHECK(err == 0, "grant %u: %d", done + n, err);
		}
		for (; n > 0; n--) {
			err = gnttab_end_access(refs[n - 1]);
			GT_CHECK(err == 0, "end %u: %d", done + n - 1, err);
		}
		done += batch;
	}
	ns = pv_clock_ns() - t0;
	gnttab_get_stats(&st);
	printk("pvkit: gnttab leak check granted=%lu ended=%lu in_use=%u\n",
	       st.granted - st0.granted, st.ended - st0.ended, st.in_use);
	printk("#   %u grant+end in %lu ms (%lu ns each); in use before %u, free %u -> %u\n",
	       GT_LEAK_CYCLES, ns / GT_MSEC, ns / GT_LEAK_CYCLES, st0.in_use, st0.free, st.free);
	GT_CHECK(st.granted - st0.granted == GT_LEAK_CYCLES &&
		 st.ended - st0.ended == GT_LEAK_CYCLES, "granted %lu ended %lu",
		 st.granted - st0.granted, st.ended - st0.ended);
	GT_CHECK(st.in_use == st0.in_use && st.free == st0.free && st.deferred == st0.deferred,
		 "in use %u (was %u), free %u (was %u)", st.in_use, st0.in_use, st.free,
		 st0.free);
	GT_CHECK(gnttab_verify() == 0, "bookkeeping");
out:
	while (n > 0)
		gnttab_end_access(refs[--n]);
	if (pa)
		page_free(pa);
	return err;
}

/* The refs test_exhaust took (other subsystems hold grants too: end only ours). */
static uint64_t gt_mine[GNTTAB_MAX_FRAMES * (PAGE_SIZE / 8) / 64];

/* Grant until the table is at Xen's maximum and full: then -ENOSPC, at once. All ended after. */
static int test_exhaust(const struct boot_info *bi)
{
	struct gnttab_stats st0, st;
	unsigned int n = 0, limit;
	uint64_t pa = 0, t0, ns;
	grant_ref_t ref;
	int err;

	__builtin_memset(gt_mine, 0, sizeof(gt_mine));
	gnttab_get_stats(&st0);
	limit = st0.max_frames * (PAGE_SIZE / 8);
	err = page_alloc(&pa);
	GT_CHECK(err == 0, "page_alloc: %d", err);
	t0 = pv_clock_ns();
	while (n <= limit && !(err = gnttab_grant_access(0, pa, true, &ref))) {
		GT_CHECK(ref < 64 * ARRAY_SIZE(gt_mine), "ref %u", ref);
		gt_mine[ref / 64] |= 1ull << (ref % 64);
		n++;
	}
	ns = pv_clock_ns() - t0;
	gnttab_get_stats(&st);
	printk("#   %u refs granted in %lu ms, then %d; table %u -> %u frames (max %u)\n", n,
	       ns / GT_MSEC, err, st0.frames, st.frames, st.max_frames);
	GT_CHECK(err == -ENOSPC, "after %u grants: %d", n, err);
	GT_CHECK(st.frames == st.max_frames && st.free == 0, "%u of %u frames, %u free",
		 st.frames, st.max_frames, st.free);
	GT_CHECK(n == st.nr_refs - GNTTAB_NR_RESERVED_ENTRIES - st0.in_use, "%u granted of %u",
		 n, st.nr_refs);
	err = 0;
out:
	for (grant_ref_t r = 0; r < 64 * ARRAY_SIZE(gt_mine); r++)
		if ((gt_mine[r / 64] & (1ull << (r % 64))) && gnttab_end_access(r) && !err) {
			printk("#   ref %u would not end\n", r);
			err = -EINVAL;
		}
	gnttab_get_stats(&st);
	if (!err && (st.in_use != st0.in_use || gnttab_verify())) {
		printk("#   after ending them: in use %u, was %u\n", st.in_use, st0.in_use);
		err = -EINVAL;
	}
	if (pa)
		page_free(pa);
	return err;
}

static const struct selftest gnttab_tests[] = {
	{ test_state, "gnttab: table mapped, bookkeeping consistent, refs 0-7 reserved",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_copy, "gnttab: Xen copies through our grant; refused after the end",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_deferred_end, "gnttab: end deferred while mapped, freed after the unmap",
	  ST_XEN_PV | ST_XEN_PVH },
	{ test_leak, "gnttab: 100,000 grants ended, none leaked", ST_XEN_PV | ST_XEN_PVH },
	{ test_exhaust, "gnttab: grows to Xen's maximum, then -ENOSPC", ST_XEN_PV | ST_XEN_PVH },
};
SELFTEST_TABLE(57, gnttab_tests);
