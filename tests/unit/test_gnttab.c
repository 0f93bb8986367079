// SPDX-License-Identifier: MIT
/* xen-guest/gnttab.c against a fake Xen (query_size, setup_table, add_to_physmap,
 * update_va_mapping), a fake mm, and a fake backend that maps and unmaps our grants the way
 * Xen's map_grant_ref does (GTF_reading/GTF_writing set while mapped). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/idle.h>
#include <pvkit/mm.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/pv.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#include "unit.h"

#define PER_FRAME	512
#define MFN_XOR		0x7000ul	/* fake p2m: PV machine frame = pfn ^ this (boot) */
#define MFN_XOR_NEW	0x5000ul	/* ... in the domain a restore makes */
#define XEN_MFN_BASE	0x900000ul	/* the fake's machine frames of the table (boot) */
#define XEN_MFN_BASE_NEW 0xa00000ul	/* ... in the new domain */
#define XEN_MFN(i)	(fx.mfn_base + (i))
#define MAX_PAGES	1024

start_info_t xen_start_info;
void gnttab_test_reset(void);
void gnttab_retire_test_reset(void);

static struct {
	uint32_t max_frames;		/* query_size's max_nr_frames */
	int query_err;			/* query_size fails with it */
	int alloc_fail_at;		/* page_alloc number that fails (1-based), 0: none */
	grant_entry_v1_t *frame[256];	/* where the table's frames are, as Xen sees them */
	uint32_t nr_frames;		/* grown to */
	unsigned int setup_calls, physmap_calls, uva_calls, vm_maps, vm_unmaps;
	uint64_t last_pte;		/* update_va_mapping's */
	unsigned int uva_fail_at;	/* update_va_mapping number that fails (1-based), 0: none */
	unsigned int unmapped;		/* frames whose mapping went (pte 0) */
	uint64_t physmap_gpfn[256];	/* add_to_physmap's gpfn per index */
	void *pages[MAX_PAGES];		/* every page_alloc, in order */
	unsigned int nr_alloc, nr_free;
	void *vmap;			/* vmap_reserve's region */
	size_t vmap_len;
	unsigned int printks;
	unsigned int some_frees;	/* page_free of some_pa() pages (retired ones) */
	uint64_t some_freed[8];		/* the first of them */
	unsigned long mfn_xor;		/* the fake p2m now (MFN_XOR, MFN_XOR_NEW) */
	unsigned long mfn_base;		/* the table's machine frames now */
} fx;

int printk(const char *fmt, ...);
int printk(const char *fmt, ...)
{
	va_list ap;

	fx.printks++;
	printf("#   printk: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	return 0;
}

/* ---- fake mm ---- */

int os_page_alloc(uint64_t *pa)
{
	void *p;

	if (fx.nr_alloc >= MAX_PAGES || (fx.alloc_fail_at && fx.nr_alloc + 1 == (unsigned)fx.alloc_fail_at))
		return -ENOMEM;
	p = aligned_alloc(4096, 4096);
	if (!p)
		return -ENOMEM;
	memset(p, 0, 4096);
	fx.pages[fx.nr_alloc++] = p;
	*pa = (uint64_t)(uintptr_t)p - KERNEL_VIRT_BASE;	/* os_phys_to_virt(pa) == p */
	return 0;
}

void os_page_free(uint64_t pa)
{
	void *p = os_phys_to_virt(pa);

	if (pa >= 0x100000ull << 12 && pa < 0x200000ull << 12) {	/* a some_pa() page */
		if (fx.some_frees < ARRAY_SIZE(fx.some_freed))
			fx.some_freed[fx.some_frees] = pa;
		fx.some_frees++;
		return;
	}

	for (unsigned int i = 0; i < fx.nr_alloc; i++)
		if (fx.pages[i] == p) {
			fx.pages[i] = NULL;
			fx.nr_free++;
			free(p);
			return;
		}
	CHECK(!"page_free of a page not allocated");
}

void *os_vmap_reserve(size_t len)
{
	CHECK(!fx.vmap);
	fx.vmap = aligned_alloc(4096, len);
	fx.vmap_len = len;
	return fx.vmap;
}

void os_vmap_free(void *va, size_t len)
{
	CHECK(va == fx.vmap && len == fx.vmap_len);
	free(fx.vmap);
	fx.vmap = NULL;
}

int os_vm_map(uintptr_t va, uint64_t pa, size_t len, unsigned int flags)
{
	CHECK(fx.vmap && va >= (uintptr_t)fx.vmap && va + len <= (uintptr_t)fx.vmap + fx.vmap_len);
	CHECK(len == 4096 && (flags & OS_MAP_WRITE));
	fx.vm_maps++;
	return 0;
}

int os_vm_unmap(uintptr_t va, size_t len)
{
	fx.vm_unmaps++;
	return 0;
}

/* kernel/idle.c: gnttab registers its deferred-end retry; the test runs it by hand. */
static struct os_poller *fx_poller;

void os_poller_register(struct os_poller *p)
{
	fx_poller = p;
}

unsigned long xen_pv_pfn_to_mfn(unsigned long pfn)
{
	return pfn ^ fx.mfn_xor;
}

unsigned long xen_pv_mfn_to_pfn(unsigned long mfn)
{
	return mfn ^ fx.mfn_xor;
}

/* ---- fake Xen ---- */

int HYPERVISOR_grant_table_op(unsigned int cmd, void *uop, unsigned int count);
int HYPERVISOR_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
	CHECK(count == 1);
	if (cmd == GNTTABOP_query_size) {
		struct gnttab_query_size *q = uop;

		if (fx.query_err)
			return fx.query_err;
		CHECK(q->dom == DOMID_SELF);
		q->nr_frames = 1;
		q->max_nr_frames = fx.max_frames;
		q->status = GNTST_okay;
		return 0;
	}
	if (cmd == GNTTABOP_setup_table) {
		struct gnttab_setup_table *st = uop;
		xen_pfn_t *list;

		fx.setup_calls++;
		if (st->nr_frames > fx.max_frames) {
			st->status = GNTST_general_error;
			return 0;
		}
		list = st->frame_list.p;
		for (uint32_t i = 0; i < st->nr_frames; i++)
			list[i] = XEN_MFN(i);
		fx.nr_frames = MAX(fx.nr_frames, st->nr_frames);
		st->status = GNTST_okay;
		return 0;
	}
	return -ENOSYS;
}

int HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags);
int HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags)
{
	uint64_t mfn = (pte & PTE_ADDR_MASK) >> 12;

	fx.uva_calls++;
	fx.last_pte = pte;
	if (fx.uva_fail_at && fx.uva_calls == fx.uva_fail_at)
		return -EFAULT;
	if (pte == 0) {				/* unmapped: whichever frame was there */
		for (uint32_t i = 0; i < fx.nr_frames; i++)
			if (fx.frame[i] == (grant_entry_v1_t *)va) {
				fx.frame[i] = NULL;
				fx.unmapped++;
			}
		return 0;
	}
	if (mfn < XEN_MFN(0) || mfn >= XEN_MFN(fx.nr_frames) || !(pte & PTE_P) ||
	    !(pte & PTE_W) || (va & 4095))
		return -EINVAL;
	/* From now on "frame i" is whatever memory va reaches. */
	fx.frame[mfn - XEN_MFN(0)] = (grant_entry_v1_t *)va;
	return 0;
}

int HYPERVISOR_memory_op(unsigned int cmd, void *arg);
int HYPERVISOR_memory_op(unsigned int cmd, void *arg)
{
	struct xen_add_to_physmap *x = arg;

	if (cmd != XENMEM_add_to_physmap)
		return -ENOSYS;
	fx.physmap_calls++;
	if (x->domid != DOMID_SELF || x->space != XENMAPSPACE_grant_table ||
	    x->idx >= fx.max_frames)
		return -EINVAL;
	fx.physmap_gpfn[x->idx] = x->gpfn;
	fx.frame[x->idx] = os_phys_to_virt(x->gpfn << 12);
	fx.nr_frames = MAX(fx.nr_frames, (uint32_t)x->idx + 1);
	return 0;
}

static grant_entry_v1_t *fx_entry(grant_ref_t ref)
{
	return &fx.frame[ref / PER_FRAME][ref % PER_FRAME];
}

/* The backend (domain @domid) maps @ref as Xen's _set_status_v1 does; false if refused. */
static bool fx_backend_map(grant_ref_t ref, domid_t domid, bool readonly)
{
	grant_entry_v1_t *e = fx_entry(ref);

	if ((e->flags & GTF_type_mask) != GTF_permit_access || e->domid != domid ||
	    (!readonly && (e->flags & GTF_readonly)))
		return false;
	e->flags |= GTF_reading | (readonly ? 0 : GTF_writing);
	return true;
}

static void fx_backend_unmap(grant_ref_t ref)
{
	fx_entry(ref)->flags &= ~(GTF_reading | GTF_writing);
}

static void fx_release(void)
{
	for (unsigned int i = 0; i < fx.nr_alloc; i++)
		free(fx.pages[i]);
	free(fx.vmap);
	memset(&fx, 0, sizeof(fx));
	gnttab_test_reset();
	gnttab_retire_test_reset();
}

static struct boot_info bi_pv = { .env = BOOT_XEN_PV }, bi_pvh = { .env = BOOT_XEN_PVH };

static void setup_with(const struct boot_info *bi, uint32_t max_frames)
{
	fx_release();
	fx.max_frames = max_frames;
	fx.mfn_xor = MFN_XOR;
	fx.mfn_base = XEN_MFN_BASE;
	xen_start_info.nr_pages = ~0ul;		/* every fake page_alloc page counts as ours */
	CHECK(gnttab_init(bi) == 0);
}

/* A page of ours to grant (any page: only its frame number goes into the entry). */
static uint64_t some_pa(unsigned int i)
{
	return (uint64_t)(0x100000 + i) << 12;
}

static void init_pvh(void)
{
	struct gnttab_stats st;

	setup_with(&bi_pvh, 32);
	gnttab_get_stats(&st);
	CHECK(st.frames == 1 && st.max_frames == 32 && st.nr_refs == PER_FRAME);
	CHECK(st.free == PER_FRAME - GNTTAB_NR_RESERVED_ENTRIES && st.in_use == 0);
	CHECK(fx.physmap_calls == 1 && fx.setup_calls == 0 && fx.uva_calls == 0);
	/* The table frame sits on a page of ours, never given back. */
	CHECK(fx.physmap_gpfn[0] << 12 == os_virt_to_phys(fx.frame[0]));
	CHECK(fx.nr_free == 0);
	CHECK(gnttab_verify() == 0);
	CHECK(gnttab_init(&bi_pvh) == 0 && fx.physmap_calls == 1);	/* once */
}

static void init_pv(void)
{
	struct gnttab_stats st;
	grant_ref_t r;

	setup_with(&bi_pv, 8);
	gnttab_get_stats(&st);
	CHECK(st.frames == 1 && st.max_frames == 8);
	CHECK(fx.setup_calls == 1 && fx.uva_calls == 1 && fx.physmap_calls == 0);
	CHECK(fx.vmap_len == 8 * 4096);			/* room for every frame we may use */
	CHECK(fx.frame[0] == fx.vmap);			/* frame 0 mapped at the reservation */
	CHECK((fx.last_pte & PTE_ADDR_MASK) == XEN_MFN(0) << 12);
	CHECK(fx.vm_maps == 1 && fx.nr_alloc - fx.nr_free == 1);	/* placeholder back */
	/* PV entries hold machine frames. */
	CHECK(gnttab_grant_access(0, some_pa(1), false, &r) == 0);
	CHECKF(fx_entry(r)->frame == ((0x100001 ^ MFN_XOR)), "frame %#x", fx_entry(r)->frame);
	/* A frame beyond our p2m is refused before anything changes. */
	xen_start_info.nr_pages = 0x100000;
	CHECK(gnttab_grant_access(0, some_pa(1), false, &r) == -EINVAL);
	gnttab_get_stats(&st);
	CHECK(st.in_use == 1 && st.granted == 1);
	/* Growth maps the next frame right after the first. */
	xen_start_info.nr_pages = ~0ul;
	for (unsigned int i = 0; i < PER_FRAME; i++)
		CHECK(gnttab_grant_access(0, some_pa(2), true, &r) == 0);
	CHECK(fx.setup_calls == 2 && fx.frame[1] == (grant_entry_v1_t *)((char *)fx.vmap + 4096));
	CHECK(gnttab_verify() == 0);
}

/* Entries as Xen reads them; refs from 8 up, lowest first; reserved ones never handed out. */
static void entries_and_reserved(void)
{
	grant_ref_t r, first = 0;
	bool seen[PER_FRAME] = { false };

	setup_with(&bi_pvh, 1);
	for (unsigned int i = 0; i < PER_FRAME - GNTTAB_NR_RESERVED_ENTRIES; i++) {
		CHECK(gnttab_grant_access(i % 3, some_pa(i), i & 1, &r) == 0);
		if (!i)
			first = r;
		CHECKF(r >= GNTTAB_NR_RESERVED_ENTRIES && r < PER_FRAME && !seen[r % PER_FRAME],
		       "ref %u", r);
		seen[r % PER_FRAME] = true;
		CHECK(fx_entry(r)->domid == i % 3 && fx_entry(r)->frame == 0x100000 + i);
		CHECK(fx_entry(r)->flags == (GTF_permit_access | ((i & 1) ? GTF_readonly : 0)));
	}
	CHECK(first == GNTTAB_NR_RESERVED_ENTRIES);
	/* The toolstack's reserved entries were not touched. */
	for (grant_ref_t i = 0; i < GNTTAB_NR_RESERVED_ENTRIES; i++)
		CHECK(fx_entry(i)->flags == 0 && gnttab_end_access(i) == -EINVAL);
	CHECK(gnttab_grant_access(0, some_pa(0), false, &r) == -ENOSPC);
	CHECK(gnttab_verify() == 0);
}

static void end_frees_and_reuses(void)
{
	struct gnttab_stats st;
	grant_ref_t a, b, c;

	setup_with(&bi_pvh, 4);
	CHECK(gnttab_grant_access(1, some_pa(1), false, &a) == 0);
	CHECK(gnttab_grant_access(1, some_pa(2), false, &b) == 0);
	CHECK(fx_backend_map(a, 1, false));
	fx_backend_unmap(a);
	CHECK(gnttab_end_access(a) == 0);
	CHECK(fx_entry(a)->flags == 0);			/* Xen refuses to map it now */
	CHECK(!fx_backend_map(a, 1, true));
	CHECK(gnttab_end_access(a) == -EINVAL);		/* twice */
	CHECK(gnttab_end_access(~0u) == -EINVAL && gnttab_end_access(PER_FRAME) == -EINVAL);
	CHECK(gnttab_grant_access(2, some_pa(3), true, &c) == 0 && c == a);	/* reused */
	/* Read-only grants cannot be mapped writable. */
	CHECK(!fx_backend_map(c, 2, false) && fx_backend_map(c, 2, true));
	fx_backend_unmap(c);
	CHECK(gnttab_end_access(c) == 0 && gnttab_end_access(b) == 0);
	gnttab_get_stats(&st);
	CHECK(st.in_use == 0 && st.granted == 3 && st.ended == 3 && st.deferred_total == 0);
	CHECK(st.free == PER_FRAME - GNTTAB_NR_RESERVED_ENTRIES);
	CHECK(gnttab_verify() == 0);
}

/* The backend still maps it: the end is deferred, the ref never reused while mapped, retried
 * by later calls and gnttab_poll(), free once the backend lets go. */
static void end_deferred_while_mapped(void)
{
	struct gnttab_stats st;
	grant_ref_t live, ro, r;

	setup_with(&bi_pvh, 8);
	CHECK(gnttab_grant_access(5, some_pa(1), false, &live) == 0);
	CHECK(gnttab_grant_access(5, some_pa(2), true, &ro) == 0);
	CHECK(fx_backend_map(live, 5, false));		/* GTF_reading | GTF_writing */
	CHECK(fx_backend_map(ro, 5, true));		/* GTF_reading only */
	CHECK(gnttab_end_access(live) == -EBUSY);
	CHECK(gnttab_end_access(ro) == -EBUSY);
	CHECK(fx_entry(live)->flags & GTF_permit_access);	/* still valid for the backend */
	gnttab_get_stats(&st);
	CHECK(st.deferred == 2 && st.in_use == 2 && st.deferred_total == 2);
	for (unsigned int i = 0; i < 2000; i++) {	/* grows to 4+ frames, never reusing them */
		CHECK(gnttab_grant_access(0, some_pa(i), false, &r) == 0);
		CHECK(r != live && r != ro);
	}
	CHECK(gnttab_poll() == 2);
	fx_backend_unmap(ro);
	CHECK(gnttab_grant_access(0, some_pa(0), false, &r) == 0);	/* retries on the way */
	gnttab_get_stats(&st);
	CHECK(st.deferred == 1 && st.ended == 1);
	CHECK(gnttab_end_access(live) == -EBUSY);	/* its owner asks again: still mapped */
	fx_backend_unmap(live);
	CHECK(gnttab_end_access(live) == 0);		/* and again once unmapped */
	gnttab_get_stats(&st);
	CHECK(st.deferred == 0 && st.in_use == 2001 && st.ended == 2);
	CHECK(gnttab_poll() == 0);
	CHECK(gnttab_verify() == 0);
	/* poll alone frees one too */
	CHECK(fx_backend_map(r, 0, false));
	CHECK(gnttab_end_access(r) == -EBUSY && gnttab_poll() == 1);
	fx_backend_unmap(r);
	CHECK(gnttab_poll() == 0);
	CHECK(gnttab_grant_access(0, some_pa(0), false, &live) == 0 && live == r);
	/* and so does the idle loop, reporting work only when it freed something */
	CHECK(fx_poller && !strcmp(fx_poller->name, "gnttab"));
	CHECK(fx_backend_map(r, 0, false));
	CHECK(gnttab_end_access(r) == -EBUSY);
	CHECK(fx_poller->poll() == 0);			/* still mapped: no work, idle may halt */
	fx_backend_unmap(r);
	CHECK(fx_poller->poll() == 1);
	CHECK(fx_poller->poll() == 0);
	gnttab_get_stats(&st);
	CHECK(st.deferred == 0);
}

/* Up to the maximum and no further: -ENOSPC at once (no hang), usable again after an end. */
static void grows_then_exhausts(void)
{
	struct gnttab_stats st;
	grant_ref_t r, last = 0;
	unsigned int n = 0;
	int err;

	setup_with(&bi_pvh, 3);
	while ((err = gnttab_grant_access(0, some_pa(n), false, &r)) == 0 && n < 10000) {
		last = r;
		n++;
	}
	CHECKF(err == -ENOSPC && n == 3 * PER_FRAME - GNTTAB_NR_RESERVED_ENTRIES, "%d after %u",
	       err, n);
	gnttab_get_stats(&st);
	CHECK(st.frames == 3 && st.nr_refs == 3 * PER_FRAME && st.free == 0);
	CHECK(fx.physmap_calls == 3);
	CHECK(gnttab_grant_access(0, some_pa(0), false, &r) == -ENOSPC && fx.physmap_calls == 3);
	CHECK(gnttab_end_access(last) == 0);
	CHECK(gnttab_grant_access(0, some_pa(0), false, &r) == 0 && r == last);
	CHECK(gnttab_verify() == 0);
	/* Xen's maximum above ours: ours wins. */
	setup_with(&bi_pvh, 100000);
	gnttab_get_stats(&st);
	CHECK(st.max_frames == GNTTAB_MAX_FRAMES);
}

/* Growing fails (no memory for the bookkeeping or the frame): the error, nothing changed. */
static void grow_failure_changes_nothing(void)
{
	struct gnttab_stats st;
	grant_ref_t r;

	setup_with(&bi_pvh, 4);
	for (unsigned int i = 0; i < PER_FRAME - GNTTAB_NR_RESERVED_ENTRIES; i++)
		CHECK(gnttab_grant_access(0, some_pa(i), false, &r) == 0);
	fx.alloc_fail_at = fx.nr_alloc + 2;		/* the frame's page, after the info page */
	CHECK(gnttab_grant_access(0, some_pa(0), false, &r) == -ENOMEM);
	CHECK(fx.nr_alloc - fx.nr_free == 2);		/* the info page given back */
	gnttab_get_stats(&st);
	CHECK(st.frames == 1 && st.free == 0 && st.in_use == PER_FRAME - 8);
	CHECK(gnttab_verify() == 0);
	fx.alloc_fail_at = 0;
	CHECK(gnttab_grant_access(0, some_pa(0), false, &r) == 0 && r == PER_FRAME);
}

static void bad_arguments(void)
{
	struct gnttab_stats st;
	grant_ref_t r = 77;

	fx_release();
	CHECK(gnttab_grant_access(0, some_pa(0), false, &r) == -ENODEV);
	CHECK(gnttab_end_access(8) == -EINVAL && gnttab_poll() == 0);
	CHECK(gnttab_verify() == -ENODEV);
	CHECK(gnttab_init(NULL) == -ENODEV);
	fx.query_err = -ENOSYS;
	CHECK(gnttab_init(&bi_pvh) == -ENOSYS);
	setup_with(&bi_pvh, 2);
	CHECK(gnttab_grant_access(0, some_pa(0) + 8, false, &r) == -EINVAL);
	CHECK(gnttab_grant_access(0, 1ull << 45, false, &r) == -ERANGE);	/* > 32-bit frame */
	CHECK(gnttab_grant_access(0, some_pa(0), false, NULL) == -EINVAL);
	CHECK(r == 77);
	gnttab_get_stats(&st);
	CHECK(st.in_use == 0 && st.granted == 0 && st.free == PER_FRAME - 8);
}

/* gnttab_verify() notices broken bookkeeping (it must be able to fail). */
static void verify_catches_corruption(void)
{
	uint8_t *info;
	grant_ref_t r;

	setup_with(&bi_pvh, 2);
	CHECK(gnttab_grant_access(0, some_pa(0), false, &r) == 0);
	CHECK(gnttab_verify() == 0);
	info = fx.pages[0];				/* frame 0's bookkeeping: first page */
	info[8 * 100 + 4] = 2;				/* ref 100: "granted" while on the free list */
	CHECK(gnttab_verify() == -EIO);
	info[8 * 100 + 4] = 1;
	CHECK(gnttab_verify() == 0);
	info[8 * 300 + 0] = 300 & 0xff;			/* ref 300's next: itself, a cycle */
	info[8 * 300 + 1] = 300 >> 8;
	CHECK(gnttab_verify() == -EIO);
}

/* 100,000 grant + end cycles: nothing leaks, the free list is whole. */
static void hundred_thousand_cycles(void)
{
	struct gnttab_stats st;
	grant_ref_t refs[64];

	setup_with(&bi_pvh, 4);
	for (unsigned int i = 0; i < 100000 / 64 + 1; i++) {
		unsigned int n = MIN(64u, 100000 - i * 64);

		for (unsigned int j = 0; j < n; j++)
			CHECK(gnttab_grant_access(0, some_pa(j), j & 1, &refs[j]) == 0);
		for (unsigned int j = 0; j < n; j++)
			CHECK(gnttab_end_access(refs[j]) == 0);
	}
	gnttab_get_stats(&st);
	CHECKF(st.granted == 100000 && st.ended == 100000 && st.in_use == 0, "%lu %lu %u",
	       st.granted, st.ended, st.in_use);
	CHECK(st.frames == 1 && st.free == PER_FRAME - 8);
	CHECK(gnttab_verify() == 0);
	fx_release();
}

/* Claimed references: no access until granted, granted and revoked again and again (what
 * blkfront does per request), never changed while mapped. */
static void claim_grant_revoke(void)
{
	struct gnttab_stats st;
	grant_ref_t r, other;

	setup_with(&bi_pvh, 4);
	CHECK(gnttab_claim_ref(&r) == 0 && fx_entry(r)->flags == 0);
	CHECK(!fx_backend_map(r, 3, true));		/* claimed: nothing to map */
	CHECK(gnttab_grant_ref(r, 3, some_pa(1), true) == 0);
	CHECK(fx_entry(r)->flags == (GTF_permit_access | GTF_readonly) &&
	      fx_entry(r)->domid == 3 && fx_entry(r)->frame == 0x100001);
	CHECK(gnttab_grant_ref(r, 3, some_pa(2), false) == -EBUSY);	/* revoke first */
	CHECK(fx_entry(r)->frame == 0x100001);
	CHECK(!fx_backend_map(r, 3, false) && fx_backend_map(r, 3, true));
	CHECK(gnttab_revoke_ref(r) == -EBUSY);		/* mapped: the entry stays */
	CHECK(fx_entry(r)->flags & GTF_permit_access);
	fx_backend_unmap(r);
	CHECK(gnttab_revoke_ref(r) == 0 && fx_entry(r)->flags == 0);
	CHECK(!fx_backend_map(r, 3, true));		/* revoked: refused */
	CHECK(gnttab_grant_ref(r, 4, some_pa(2), false) == 0 && fx_backend_map(r, 4, false));
	fx_backend_unmap(r);
	CHECK(gnttab_revoke_ref(r) == 0);
	/* The reference stays ours through all that: never handed to anyone else. */
	for (unsigned int i = 0; i < 600; i++) {
		CHECK(gnttab_grant_access(0, some_pa(i), true, &other) == 0 && other != r);
		CHECK(gnttab_end_access(other) == 0);
	}
	CHECK(gnttab_revoke_ref(other) == -EINVAL && gnttab_grant_ref(other, 0, some_pa(0),
								       true) == -EINVAL);
	CHECK(gnttab_grant_ref(r, 0, some_pa(0) + 8, true) == -EINVAL);	/* bad page */
	CHECK(gnttab_end_access(r) == 0);
	CHECK(gnttab_revoke_ref(r) == -EINVAL && gnttab_revoke_ref(3) == -EINVAL);
	gnttab_get_stats(&st);
	CHECK(st.in_use == 0 && gnttab_verify() == 0);
}

/* Page @i (some_pa), granted to domain 5 and mapped by it (writable). */
static uint64_t mapped_page(unsigned int i, grant_ref_t *ref)
{
	CHECK(gnttab_grant_access(5, some_pa(i), false, ref) == 0);
	CHECK(fx_backend_map(*ref, 5, false));
	return some_pa(i);
}

static bool freed(uint64_t pa)
{
	for (unsigned int i = 0; i < MIN(fx.some_frees, (unsigned)ARRAY_SIZE(fx.some_freed)); i++)
		if (fx.some_freed[i] == pa)
			return true;
	return false;
}

/* Issue 12, item 4: each retired page is freed as soon as its own grant can be ended, not
 * when every retired page of every backend is: a backend keeping one page mapped pins that
 * page alone. Freed at once when nobody maps it; by gnttab_retire_poll() and the idle loop
 * otherwise. */
static void retire_page_by_page(void)
{
	struct gnttab_retire_stats rs;
	struct gnttab_stats st;
	grant_ref_t ref[4];
	uint64_t pa[4];

	setup_with(&bi_pvh, 4);
	for (unsigned int i = 0; i < 3; i++) {
		pa[i] = mapped_page(i, &ref[i]);
		CHECK(gnttab_retire_page(ref[i], pa[i]) == -EBUSY);
	}
	gnttab_retire_get_stats(&rs);
	CHECK(rs.held == 3 && rs.retired == 3 && rs.freed_now == 0 && fx.some_frees == 0);
	gnttab_get_stats(&st);
	CHECK(st.retired_held == 3 && st.in_use == 3 && st.deferred == 0);
	CHECK(gnttab_retire_poll() == 0 && fx.some_frees == 0);	/* all still mapped */
	/* The backend lets go of two of them and keeps the middle one. */
	fx_backend_unmap(ref[0]);
	fx_backend_unmap(ref[2]);
	CHECK(gnttab_retire_poll() == 2);
	CHECKF(fx.some_frees == 2 && freed(pa[0]) && freed(pa[2]) && !freed(pa[1]),
	       "%u pages freed", fx.some_frees);
	CHECK(fx_entry(ref[0])->flags == 0 && fx_entry(ref[2])->flags == 0);
	CHECK(fx_entry(ref[1])->flags & GTF_permit_access);	/* the kept one: untouched */
	gnttab_retire_get_stats(&rs);
	CHECK(rs.held == 1 && rs.freed_late == 2);
	/* A page nobody maps is freed at once, whatever is still held. */
	CHECK(gnttab_grant_access(5, some_pa(3), false, &ref[3]) == 0);
	CHECK(gnttab_retire_page(ref[3], some_pa(3)) == 0 && fx.some_frees == 3 &&
	      freed(some_pa(3)));
	/* The kept one goes once released, through the idle loop too. */
	CHECK(fx_poller->poll() == 0 && !freed(pa[1]));
	fx_backend_unmap(ref[1]);
	CHECK(fx_poller->poll() == 1 && fx.some_frees == 4 && freed(pa[1]));
	gnttab_retire_get_stats(&rs);
	CHECK(rs.held == 0 && rs.retired == 4 && rs.freed_now == 1 && rs.freed_late == 3 &&
	      !rs.leaked);
	gnttab_get_stats(&st);
	CHECK(st.in_use == 0 && st.retired_held == 0 && gnttab_verify() == 0);
	/* A reference that is not ours: nothing done, the page still the caller's. */
	CHECK(gnttab_retire_page(ref[1], pa[1]) == -EINVAL && fx.some_frees == 4);
}

/* gnttab_end_or_retire(): ended, the page stays the caller's; still mapped, it is kept and
 * freed later. */
static void end_or_retire(void)
{
	struct gnttab_retire_stats rs;
	grant_ref_t r;
	uint64_t pa;

	setup_with(&bi_pvh, 4);
	pa = mapped_page(1, &r);
	fx_backend_unmap(r);
	CHECK(gnttab_end_or_retire(r, pa) == 0 && fx.some_frees == 0);	/* still ours */
	CHECK(gnttab_grant_access(5, pa, false, &r) == 0 && fx_backend_map(r, 5, false));
	CHECK(gnttab_end_or_retire(r, pa) == -EBUSY && fx.some_frees == 0);
	gnttab_retire_get_stats(&rs);
	CHECK(rs.held == 1 && rs.freed_now == 0);
	fx_backend_unmap(r);
	CHECK(gnttab_retire_poll() == 1 && fx.some_frees == 1 && freed(pa));
	CHECK(gnttab_end_or_retire(r, pa) == -EINVAL);
}

/* Bounded: GNTTAB_RETIRE_MAX pages kept at most; one more is leaked (counted, said once)
 * and its reference left to gnttab's deferred ends, never handed out while mapped. */
static void retire_bounded(void)
{
	struct gnttab_retire_stats rs;
	struct gnttab_stats st;
	grant_ref_t r;
	unsigned int printks;

	setup_with(&bi_pvh, 16);
	for (unsigned int i = 0; i < GNTTAB_RETIRE_MAX; i++) {
		CHECK(gnttab_grant_access(5, some_pa(i), false, &r) == 0 &&
		      fx_backend_map(r, 5, false));
		CHECK(gnttab_retire_page(r, some_pa(i)) == -EBUSY);
	}
	printks = fx.printks;
	CHECK(gnttab_grant_access(5, some_pa(0), false, &r) == 0 && fx_backend_map(r, 5, false));
	CHECK(gnttab_retire_page(r, some_pa(0)) == -EBUSY);
	CHECK(fx.printks == printks + 1);
	gnttab_retire_get_stats(&rs);
	CHECK(rs.held == GNTTAB_RETIRE_MAX && rs.leaked == 1);
	gnttab_get_stats(&st);
	CHECK(st.deferred == 1 && st.retired_held == GNTTAB_RETIRE_MAX);
	CHECK(gnttab_retire_poll() == 0 && gnttab_verify() == 0);
	fx_backend_unmap(r);
	CHECK(gnttab_poll() == 0 && fx.some_frees == 0);	/* its reference ends; the page
								 * stays leaked */
}

/* A suspend: PV frames out of the page tables, back at the same places after a cancel, every
 * grant as it was; a failed unmap puts the frames already off back; PVH: nothing to do. */
static void suspend_and_cancel(void)
{
	grant_entry_v1_t *where[3];
	grant_ref_t r[3];
	struct gnttab_stats st;

	setup_with(&bi_pv, 8);
	for (unsigned int i = 0; i < 2; i++)	/* 1024 grants: frame 0 keeps 8, so 3 frames */
		for (unsigned int j = 0; j < PER_FRAME; j++)
			CHECK(gnttab_grant_access(3, some_pa(j), j & 1, &r[i]) == 0);
	r[2] = r[1];
	gnttab_get_stats(&st);
	CHECK(st.frames == 3);
	for (unsigned int i = 0; i < 3; i++)
		where[i] = fx.frame[i];
	CHECK(gnttab_suspend() == 0);
	CHECK(fx.unmapped == 3 && !fx.frame[0] && !fx.frame[1] && !fx.frame[2]);
	fx.setup_calls = 0;
	CHECK(gnttab_resume_cancelled() == 0);
	CHECK(fx.setup_calls == 1);		/* asked, not assumed */
	for (unsigned int i = 0; i < 3; i++)
		CHECK(fx.frame[i] == where[i]);
	CHECK(fx.frame[2] && fx_entry(r[2])->domid == 3 &&	/* no crash if it is not back */
	      (fx_entry(r[2])->flags & GTF_permit_access));
	CHECK(gnttab_resume_cancelled() == 0 && fx.setup_calls == 1);	/* once only */
	CHECK(gnttab_verify() == 0);

	/* The third unmap fails: the two already off come back, the call fails. */
	fx.unmapped = 0;
	fx.uva_fail_at = fx.uva_calls + 3;
	CHECK(gnttab_suspend() == -EFAULT);
	fx.uva_fail_at = 0;
	for (unsigned int i = 0; i < 3; i++)
		CHECK(fx.frame[i] == where[i]);
	CHECK(gnttab_resume_cancelled() == 0 && gnttab_verify() == 0);

	/* PVH: the frames are in our physical map; nothing moves. */
	setup_with(&bi_pvh, 8);
	fx.uva_calls = fx.physmap_calls = 0;
	CHECK(gnttab_suspend() == 0 && gnttab_resume_cancelled() == 0);
	CHECK(fx.uva_calls == 0 && fx.physmap_calls == 0);
}

/* The new domain's table: Xen's frames start empty but for the toolstack's entries (0-7);
 * here they hold garbage, which the resume must clear. */
static void fx_new_domain(uint32_t frames)
{
	for (uint32_t i = 0; i < frames; i++) {
		CHECK(fx.frame[i] != NULL);
		memset(fx.frame[i], 0xa5, 4096);
		if (i == 0)
			memset(fx.frame[0], 0, GNTTAB_NR_RESERVED_ENTRIES * sizeof(grant_entry_v1_t));
	}
	fx.mfn_xor = MFN_XOR_NEW;
	fx.mfn_base = XEN_MFN_BASE_NEW;
}

/*
 * Resume in a new domain: the frames set up again (PV: setup_table's new machine frames at
 * the same addresses; PVH: add_to_physmap of each index at the same guest frame), every
 * granted reference granting the same page (PV: its new machine frame) to the same domain
 * with the same access, claimed ones nothing, deferred ends freed; the copy freed.
 */
static void resume_new_domain(const struct boot_info *bi)
{
	const bool pv = bi->env == BOOT_XEN_PV;
	grant_ref_t r[600], claimed, deferred;
	struct gnttab_resume_stats rs;
	grant_entry_v1_t *where[2];
	uint64_t gpfn[2];
	struct gnttab_stats st;
	unsigned int allocs;

	setup_with(bi, 8);
	for (unsigned int i = 0; i < ARRAY_SIZE(r); i++)
		CHECK(gnttab_grant_access(3 + (i & 3), some_pa(i), i & 1, &r[i]) == 0);
	CHECK(gnttab_claim_ref(&claimed) == 0);
	CHECK(gnttab_grant_access(9, some_pa(700), false, &deferred) == 0);
	CHECK(fx_backend_map(deferred, 9, false));
	CHECK(gnttab_end_access(deferred) == -EBUSY);
	gnttab_get_stats(&st);
	CHECK(st.frames == 2 && st.deferred == 1);
	for (unsigned int i = 0; i < 2; i++) {
		where[i] = fx.frame[i];
		gpfn[i] = fx.physmap_gpfn[i];
	}
	allocs = fx.nr_alloc - fx.nr_free;
	CHECK(gnttab_suspend() == 0);
	CHECK(fx.nr_alloc - fx.nr_free == allocs + 2);		/* the copy: one page a frame */
	if (pv) {
		CHECK(!fx.frame[0] && !fx.frame[1]);
		fx.frame[0] = where[0];		/* what the new domain's Xen will map there */
		fx.frame[1] = where[1];
	}
	fx_new_domain(2);
	fx.setup_calls = fx.physmap_calls = fx.uva_calls = 0;
	CHECK(gnttab_resume(&rs) == 0);
	CHECKF(rs.regranted == ARRAY_SIZE(r) && rs.deferred_freed == 1 && rs.lost == 0,
	       "regranted %u deferred_freed %u lost %u", rs.regranted, rs.deferred_freed, rs.lost);
	CHECK(fx.nr_alloc - fx.nr_free == allocs);		/* the copy freed */
	if (pv) {
		CHECK(fx.setup_calls == 1 && fx.uva_calls == 2 && fx.physmap_calls == 0);
		CHECK((fx.last_pte & PTE_ADDR_MASK) == XEN_MFN(1) << 12);
	} else {
		CHECK(fx.physmap_calls == 2 && fx.setup_calls == 0);
		CHECK(fx.physmap_gpfn[0] == gpfn[0] && fx.physmap_gpfn[1] == gpfn[1]);
	}
	for (unsigned int i = 0; i < 2; i++)
		CHECK(fx.frame[i] == where[i]);
	for (unsigned int i = 0; i < ARRAY_SIZE(r); i++) {
		const grant_entry_v1_t *e = fx_entry(r[i]);
		uint32_t want = pv ? (0x100000 + i) ^ MFN_XOR_NEW : 0x100000 + i;

		CHECKF(e->domid == 3 + (i & 3) && e->frame == want &&
		       e->flags == (GTF_permit_access | ((i & 1) ? GTF_readonly : 0)),
		       "ref %u: domid %u frame %#x flags %#x", r[i], e->domid, e->frame, e->flags);
	}
	CHECK(fx_entry(claimed)->flags == 0 && fx_entry(deferred)->flags == 0);
	for (grant_ref_t ref = GNTTAB_NR_RESERVED_ENTRIES; ref < 2 * PER_FRAME; ref++)
		if (ref != claimed && (ref < r[0] || ref > r[ARRAY_SIZE(r) - 1]))
			CHECK(fx_entry(ref)->flags == 0);	/* the garbage is gone */
	gnttab_get_stats(&st);
	CHECK(st.deferred == 0 && st.in_use == ARRAY_SIZE(r) + 1);
	CHECK(gnttab_verify() == 0);
	/* The grants work: a backend maps one, it is ended after the unmap; the claimed one is
	 * granted and revoked as before. */
	CHECK(fx_backend_map(r[0], 3, false));
	CHECK(gnttab_end_access(r[0]) == -EBUSY);
	fx_backend_unmap(r[0]);
	CHECK(gnttab_poll() == 0);
	CHECK(gnttab_grant_ref(claimed, 4, some_pa(800), true) == 0);
	CHECK(gnttab_revoke_ref(claimed) == 0 && gnttab_verify() == 0);
}

static void resume_new_domain_pv(void)
{
	resume_new_domain(&bi_pv);
}

static void resume_new_domain_pvh(void)
{
	resume_new_domain(&bi_pvh);
}

/* What the resume cannot live with fails cleanly: no room for the copy (the suspend fails
 * with every frame mapped as before), a new host allowing fewer frames than we use. */
static void resume_failures(void)
{
	struct gnttab_resume_stats rs;
	grant_ref_t r;

	setup_with(&bi_pv, 8);
	CHECK(gnttab_grant_access(3, some_pa(1), false, &r) == 0);
	fx.alloc_fail_at = fx.nr_alloc + 1;
	fx.uva_calls = 0;
	CHECK(gnttab_suspend() == -ENOMEM);
	fx.alloc_fail_at = 0;
	CHECK(fx.uva_calls == 0 && fx.frame[0]);		/* nothing unmapped */
	CHECK(fx_entry(r)->flags == GTF_permit_access && gnttab_verify() == 0);

	for (unsigned int i = 0; i < PER_FRAME; i++)		/* a second frame */
		CHECK(gnttab_grant_access(3, some_pa(i), false, &r) == 0);
	CHECK(gnttab_suspend() == 0);
	fx.frame[0] = fx.vmap;
	fx.frame[1] = (grant_entry_v1_t *)((char *)fx.vmap + 4096);
	fx_new_domain(2);
	fx.max_frames = 1;
	CHECK(gnttab_resume(&rs) == -ENOSPC);
	CHECKF(fx.nr_alloc - fx.nr_free == 2, "%u pages held", fx.nr_alloc - fx.nr_free);
						/* the copy freed: the two bookkeeping pages */
}

UNIT_CASES(
	{ init_pvh, "gnttab: PVH maps frame 0 over a page of ours with add_to_physmap" },
	{ init_pv, "gnttab: PV maps setup_table's machine frames; entries hold mfns" },
	{ entries_and_reserved, "gnttab: entries written; refs 0-7 never handed out" },
	{ end_frees_and_reuses, "gnttab: end clears the flags, the ref is reused" },
	{ end_deferred_while_mapped, "gnttab: end deferred while mapped, retried, never reused" },
	{ grows_then_exhausts, "gnttab: grows frame by frame, then -ENOSPC without a hang" },
	{ grow_failure_changes_nothing, "gnttab: a failed growth changes nothing" },
	{ bad_arguments, "gnttab: bad arguments refused before anything changes" },
	{ verify_catches_corruption, "gnttab: verify finds a broken free list" },
	{ hundred_thousand_cycles, "gnttab: 100,000 grant/end cycles leak nothing" },
	{ claim_grant_revoke, "gnttab: claimed refs granted and revoked again, never while mapped" },
	{ retire_page_by_page, "gnttab: retired pages freed one by one as each grant ends" },
	{ end_or_retire, "gnttab: end or retire: the page stays ours unless still mapped" },
	{ retire_bounded, "gnttab: retired pages bounded; one more is leaked, counted, said" },
	{ suspend_and_cancel, "gnttab: PV frames unmapped for a suspend, mapped again after a cancel" },
	{ resume_new_domain_pv, "gnttab: PV resume in a new domain: new frames, every grant again" },
	{ resume_new_domain_pvh, "gnttab: PVH resume in a new domain: frames re-added, every grant again" },
	{ resume_failures, "gnttab: resume failures: no room for the copy, fewer frames allowed" },
);
