// SPDX-License-Identifier: MIT
/*
 * Grant tables v1 (public/grant_table.h): the shared entries, a free list of references, ends
 * deferred while the other side still maps the frame, growth frame by frame. Table frames: PV
 * gets machine frames from GNTTABOP_setup_table, mapped at reserved addresses; PVH places them
 * over frames of ours with XENMEM_add_to_physmap(XENMAPSPACE_grant_table). docs/gnttab.md.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/x86.h>
#include <pvkit/xen/gnttab.h>
#include <pvkit/xen/pv.h>
#include <string.h>
#include <xen/grant_table.h>
#include <xen/memory.h>
#ifdef __PVKIT_KERNEL__
#include <pvkit/pv.h>
#include <pvkit/xen/hypercall.h>

static inline int HYPERVISOR_grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
	return xen_hypercall3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}
#else
/* Hosted unit test (tests/unit/test_gnttab.c): a fake Xen and a fake mm answer these. */
int HYPERVISOR_grant_table_op(unsigned int cmd, void *uop, unsigned int count);
int HYPERVISOR_memory_op(unsigned int cmd, void *arg);
int HYPERVISOR_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags);
#endif

#define GNTTAB_PER_FRAME	(PAGE_SIZE / sizeof(grant_entry_v1_t))	/* 512 */
#define GNTTAB_LIST_END		((grant_ref_t)~0u)	/* ends the free and deferred lists */
#define GNTTAB_END_TRIES	64	/* flag compare-and-swaps before calling it busy */

enum gnttab_ref_state {
	GNTTAB_REF_RESERVED,		/* 0-7: the toolstack's (console, xenstore); never ours */
	GNTTAB_REF_FREE,		/* on the free list */
	GNTTAB_REF_GRANTED,		/* handed out: the entry may permit access */
	GNTTAB_REF_DEFERRED,		/* ended by its user, still mapped: on the deferred list */
};

/* Our side of one reference; a page of them per table frame. */
struct gnttab_ref_info {
	grant_ref_t next;		/* next on the free or deferred list, or GNTTAB_LIST_END */
	uint8_t state;			/* enum gnttab_ref_state */
	uint8_t pad[3];			/* 8 bytes: 512 to a page, like the entries */
};

BUILD_BUG_ON(sizeof(struct gnttab_ref_info) * GNTTAB_PER_FRAME != PAGE_SIZE);
BUILD_BUG_ON(sizeof(grant_entry_v1_t) * GNTTAB_PER_FRAME != PAGE_SIZE);

static struct {
	bool ready;			/* gnttab_init() done: the calls work */
	bool pv;			/* entries hold machine frames (PV), not guest frames */
	grant_entry_v1_t *frame[GNTTAB_MAX_FRAMES];	/* the shared entries, by table frame */
	struct gnttab_ref_info *info[GNTTAB_MAX_FRAMES];	/* our bookkeeping, same index */
	uint32_t nr_frames;		/* frame[0..nr_frames) mapped and listed */
	uint32_t max_frames;		/* min(Xen's max_nr_frames, GNTTAB_MAX_FRAMES) */
	uintptr_t pv_va;		/* PV: address space reserved for max_frames frames */
	bool suspended;			/* PV: frames unmapped for a suspend (gnttab_suspend) */
	grant_ref_t free_head;		/* LIFO free list */
	uint32_t free_count;		/* its length */
	grant_ref_t defer_head, defer_tail;	/* FIFO of deferred ends, retried in order */
	uint32_t defer_count;		/* its length */
	uint32_t in_use;		/* granted + deferred */
	uint64_t granted, ended, deferred_total;	/* since boot */
} gt;

static uint32_t gnttab_nr_refs(void)
{
	return gt.nr_frames * GNTTAB_PER_FRAME;
}

static struct gnttab_ref_info *gnttab_info(grant_ref_t ref)
{
	return &gt.info[ref / GNTTAB_PER_FRAME][ref % GNTTAB_PER_FRAME];
}

static grant_entry_v1_t *gnttab_entry(grant_ref_t ref)
{
	return &gt.frame[ref / GNTTAB_PER_FRAME][ref % GNTTAB_PER_FRAME];
}

/* ------------------------------------------------------------------------------------------ */
/* Table frames. */

#ifdef CONFIG_XEN_PV
static uint64_t gnttab_pv_pte_flags(void)
{
	uint32_t a, b, c, d;

	/* Data, never code: NX where the CPU has it (the bit is reserved otherwise). */
	pv_cpuid(0x80000000, 0, &a, &b, &c, &d);
	if (a < 0x80000001)
		return 0;
	pv_cpuid(0x80000001, 0, &a, &b, &c, &d);
	return d & (1u << 20) ? PTE_NX : 0;
}
#elif !defined(__PVKIT_KERNEL__)
static uint64_t gnttab_pv_pte_flags(void)
{
	return 0;
}
#endif

#if defined(CONFIG_XEN_PV) || !defined(__PVKIT_KERNEL__)
/*
 * PV: map machine frame @mfn (a Xen frame shared with us writable) at @va. os_vm_map() speaks
 * pseudo-physical frames only, so it maps a placeholder page of ours there first, which builds
 * the page tables; then one update_va_mapping swaps the leaf for the machine frame (Xen checks
 * that we may map it). The placeholder is free again right after.
 */
static xen_pfn_t gnttab_pv_mfns[GNTTAB_MAX_FRAMES];	/* setup_table lists every frame */

/* The machine frames of table frames 0..@nr - 1 into gnttab_pv_mfns. */
static int gnttab_pv_setup(uint32_t nr)
{
	struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = nr };
	int err;

	set_xen_guest_handle(op.frame_list, gnttab_pv_mfns);
	err = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 1);
	if (!err && op.status != GNTST_okay)
		err = -EIO;
	return err;
}

/* Table frame @idx's machine frame at its address (the page tables exist already). */
static int gnttab_pv_point(uint32_t idx)
{
	uintptr_t va = gt.pv_va + (uintptr_t)idx * PAGE_SIZE;

	return HYPERVISOR_update_va_mapping(va, ((uint64_t)gnttab_pv_mfns[idx] << PAGE_SHIFT) |
					    PTE_P | PTE_W | PTE_A | PTE_D |
					    gnttab_pv_pte_flags(), UVMF_INVLPG | UVMF_LOCAL);
}

static int gnttab_pv_map_frame(uint32_t idx, grant_entry_v1_t **out)
{
	uintptr_t va = gt.pv_va + (uintptr_t)idx * PAGE_SIZE;
	uint64_t placeholder;
	int err;

	err = gnttab_pv_setup(idx + 1);
	if (err)
		return err;
	err = os_page_alloc(&placeholder);
	if (err)
		return err;
	err = os_vm_map(va, placeholder, PAGE_SIZE, OS_MAP_WRITE);
	if (err)
		goto out_free_placeholder;
	err = gnttab_pv_point(idx);
	if (err)
		os_vm_unmap(va, PAGE_SIZE);
	else
		*out = (grant_entry_v1_t *)va;
out_free_placeholder:
	os_page_free(placeholder);		/* no longer mapped anywhere but the window */
	return err;
}
#endif

/*
 * PVH: Xen puts table frame @idx at the guest frame of a page of ours (its RAM goes back to
 * Xen), growing the table if @idx is new; we reach it through the kernel window. The page is
 * never freed: it is the grant frame now.
 */
static int gnttab_pvh_map_frame(uint32_t idx, grant_entry_v1_t **out)
{
	struct xen_add_to_physmap xatp = {
		.domid = DOMID_SELF,
		.space = XENMAPSPACE_grant_table,
		.idx = idx,
	};
	uint64_t pa;
	int err;

	err = os_page_alloc(&pa);
	if (err)
		return err;
	xatp.gpfn = pa >> PAGE_SHIFT;
	err = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
	if (err) {
		os_page_free(pa);
		return err;
	}
	*out = os_phys_to_virt(pa);
	return 0;
}

/*
 * One more frame: 512 references, reserved ones kept off the free list. Checked first (room,
 * bookkeeping page), then the frame is mapped, then listed: a failure changes nothing.
 * Pushed highest first, so the lowest free reference comes out first.
 */
static int gnttab_grow(void)
{
	uint32_t idx = gt.nr_frames;
	struct gnttab_ref_info *info;
	grant_entry_v1_t *entries = NULL;
	uint64_t info_pa;
	int err;

	if (idx >= gt.max_frames)
		return -ENOSPC;
	err = os_page_alloc(&info_pa);
	if (err)
		return err;
#if defined(CONFIG_XEN_PV) || !defined(__PVKIT_KERNEL__)
	if (gt.pv)
		err = gnttab_pv_map_frame(idx, &entries);
	else
#endif
		err = gnttab_pvh_map_frame(idx, &entries);
	if (err) {
		os_page_free(info_pa);
		return err;
	}
	info = os_phys_to_virt(info_pa);
	gt.frame[idx] = entries;
	gt.info[idx] = info;
	gt.nr_frames++;
	for (uint32_t i = GNTTAB_PER_FRAME; i-- > 0;) {
		grant_ref_t ref = idx * GNTTAB_PER_FRAME + i;

		if (ref < GNTTAB_NR_RESERVED_ENTRIES) {
			info[i].state = GNTTAB_REF_RESERVED;
			info[i].next = GNTTAB_LIST_END;
			continue;
		}
		info[i].state = GNTTAB_REF_FREE;
		info[i].next = gt.free_head;
		gt.free_head = ref;
		gt.free_count++;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Ending access. */

/*
 * Revoke @ref's entry unless the other side has it mapped: one compare-and-swap of the flags
 * to 0 that expects GTF_reading and GTF_writing clear. Xen sets those with its own
 * compare-and-swap after checking GTF_permit_access, so either it mapped first (we see the
 * bits and leave the entry alone) or we revoked first (its map fails).
 */
static bool gnttab_try_end(grant_ref_t ref)
{
	uint16_t *flags = &gnttab_entry(ref)->flags;
	uint16_t f = __atomic_load_n(flags, __ATOMIC_ACQUIRE);

	for (unsigned int i = 0; i < GNTTAB_END_TRIES; i++) {
		if (f & (GTF_reading | GTF_writing))
			return false;
		if (__atomic_compare_exchange_n(flags, &f, 0, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return true;
	}
	return false;			/* changing under us all the time: try again later */
}

static void gnttab_free_ref(grant_ref_t ref)
{
	struct gnttab_ref_info *info = gnttab_info(ref);

	info->state = GNTTAB_REF_FREE;
	info->next = gt.free_head;
	gt.free_head = ref;
	gt.free_count++;
	gt.in_use--;
	gt.ended++;
}

static void gnttab_defer_append(grant_ref_t ref)
{
	struct gnttab_ref_info *info = gnttab_info(ref);

	info->state = GNTTAB_REF_DEFERRED;
	info->next = GNTTAB_LIST_END;
	if (gt.defer_tail == GNTTAB_LIST_END)
		gt.defer_head = ref;
	else
		gnttab_info(gt.defer_tail)->next = ref;
	gt.defer_tail = ref;
	gt.defer_count++;
}

static grant_ref_t gnttab_defer_pop(void)
{
	grant_ref_t ref = gt.defer_head;

	gt.defer_head = gnttab_info(ref)->next;
	if (gt.defer_head == GNTTAB_LIST_END)
		gt.defer_tail = GNTTAB_LIST_END;
	gt.defer_count--;
	return ref;
}

/* Retry up to @max deferred ends, oldest first; the still-mapped go to the back. */
static void gnttab_retry_deferred(uint32_t max)
{
	for (uint32_t n = MIN(max, gt.defer_count); n > 0; n--) {
		grant_ref_t ref = gnttab_defer_pop();

		if (gnttab_try_end(ref))
			gnttab_free_ref(ref);
		else
			gnttab_defer_append(ref);
	}
}

/* ------------------------------------------------------------------------------------------ */
/* The API. */

/* The frame number the entry holds for our page at @pa: PV machine frame, PVH guest frame.
 * v1 entries have 32 bits for it. */
static int gnttab_xen_frame(uint64_t pa, uint32_t *frame)
{
	uint64_t f = pa >> PAGE_SHIFT;

	if (!IS_ALIGNED(pa, PAGE_SIZE))
		return -EINVAL;
#if defined(CONFIG_XEN_PV) || !defined(__PVKIT_KERNEL__)
	if (gt.pv) {
		if (f >= xen_start_info.nr_pages)	/* not our RAM: no p2m entry */
			return -EINVAL;
		f = xen_pv_pfn_to_mfn(f);
	}
#endif
	if (f > UINT32_MAX)
		return -ERANGE;
	*frame = f;
	return 0;
}

/* A free reference, ours from now on (state granted); its entry grants nothing yet. Grows the
 * table when none is free. */
static int gnttab_take(grant_ref_t *ref)
{
	grant_ref_t r;
	int err;

	gnttab_retry_deferred(GNTTAB_DEFER_RETRY);
	if (!gt.free_count) {
		err = gnttab_grow();
		if (err)
			return err;
	}
	r = gt.free_head;
	gt.free_head = gnttab_info(r)->next;
	gt.free_count--;
	gnttab_info(r)->state = GNTTAB_REF_GRANTED;
	gnttab_info(r)->next = GNTTAB_LIST_END;
	gt.in_use++;
	gt.granted++;
	*ref = r;
	return 0;
}

/* Point @ref's entry at @frame for @domid. Whom and what first; the flags that make it valid
 * last, once those are visible. */
static void gnttab_write_entry(grant_ref_t ref, domid_t_pv domid, uint32_t frame,
			       bool readonly)
{
	grant_entry_v1_t *e = gnttab_entry(ref);

	WRITE_ONCE(e->domid, domid);
	WRITE_ONCE(e->frame, frame);
	wmb();
	WRITE_ONCE(e->flags, GTF_permit_access | (readonly ? GTF_readonly : 0));
}

int gnttab_grant_access(domid_t_pv domid, uint64_t pa, bool readonly, grant_ref_t *ref)
{
	uint32_t frame;
	grant_ref_t r;
	int err;

	if (!gt.ready)
		return -ENODEV;
	if (!ref)
		return -EINVAL;
	err = gnttab_xen_frame(pa, &frame);
	if (err)
		return err;
	err = gnttab_take(&r);
	if (err)
		return err;
	gnttab_write_entry(r, domid, frame, readonly);
	*ref = r;
	return 0;
}

int gnttab_claim_ref(grant_ref_t *ref)
{
	if (!gt.ready)
		return -ENODEV;
	if (!ref)
		return -EINVAL;
	/* A free entry's flags are 0 (ended by gnttab_try_end, or never used). */
	return gnttab_take(ref);
}

/* Is @ref one of ours (granted or claimed, not ended)? Reads only what the owner of @ref
 * changes, so it holds in any context for the owner. */
static bool gnttab_owned(grant_ref_t ref)
{
	return gt.ready && ref < gnttab_nr_refs() &&
	       gnttab_info(ref)->state == GNTTAB_REF_GRANTED;
}

int gnttab_grant_ref(grant_ref_t ref, domid_t_pv domid, uint64_t pa, bool readonly)
{
	uint32_t frame;
	int err;

	if (!gnttab_owned(ref))
		return -EINVAL;
	err = gnttab_xen_frame(pa, &frame);
	if (err)
		return err;
	/* Xen maps only through an entry with GTF_permit_access: with flags 0 nobody can be
	 * using the old domain and frame while we change them. */
	if (READ_ONCE(gnttab_entry(ref)->flags))
		return -EBUSY;
	gnttab_write_entry(ref, domid, frame, readonly);
	return 0;
}

int gnttab_revoke_ref(grant_ref_t ref)
{
	if (!gnttab_owned(ref))
		return -EINVAL;
	return gnttab_try_end(ref) ? 0 : -EBUSY;
}

int gnttab_end_access(grant_ref_t ref)
{
	struct gnttab_ref_info *info;

	if (!gt.ready || ref >= gnttab_nr_refs())
		return -EINVAL;
	info = gnttab_info(ref);
	if (info->state == GNTTAB_REF_DEFERRED) {
		/* Its owner asks again: retry them all now (it is somewhere in the list). */
		gnttab_retry_deferred(gt.defer_count);
		return info->state == GNTTAB_REF_FREE ? 0 : -EBUSY;
	}
	if (info->state != GNTTAB_REF_GRANTED)
		return -EINVAL;
	gnttab_retry_deferred(GNTTAB_DEFER_RETRY);
	if (gnttab_try_end(ref)) {
		gnttab_free_ref(ref);
		return 0;
	}
	gnttab_defer_append(ref);
	gt.deferred_total++;
	return -EBUSY;
}

unsigned int gnttab_poll(void)
{
	if (gt.ready)
		gnttab_retry_deferred(gt.defer_count);
	return gt.defer_count;
}

/* The idle loop's share: deferred ends and retired pages retried whenever the kernel idles, so
 * a backend that unmaps late gets its reference (and page) freed without another call. Work
 * done = references and pages freed. */
static unsigned int gnttab_idle_poll(void)
{
	uint32_t before = gt.defer_count;

	return before - gnttab_poll() + gnttab_retire_poll();
}

static struct os_poller gnttab_poller = { .name = "gnttab", .poll = gnttab_idle_poll };

/* ------------------------------------------------------------------------------------------ */
/* Suspend and resume (docs/suspend.md). */

/*
 * What every granted entry permits, kept in our own pages across a suspend: a new domain's
 * table starts empty, and the old one is gone with its frames (PV: Xen's pages, never saved;
 * PVH: they sit in our physical map, but the save writes them as Xen left them, or not at
 * all). One page per table frame, entries as v1 lays them out, the frame field as a PFN (PV:
 * the machine frame changes with the host). Allocated by gnttab_suspend(), freed by either
 * resume.
 */
static grant_entry_v1_t *gt_shadow[GNTTAB_MAX_FRAMES];

static void gnttab_shadow_free(void)
{
	for (uint32_t idx = 0; idx < GNTTAB_MAX_FRAMES; idx++) {
		if (gt_shadow[idx])
			os_page_free(os_virt_to_phys(gt_shadow[idx]));
		gt_shadow[idx] = NULL;
	}
}

/* The frame an entry holds, as a PFN of ours (PV: through the M2P), or ~0 when it is none. */
static uint64_t gnttab_entry_pfn(uint32_t frame)
{
#if defined(CONFIG_XEN_PV) || !defined(__PVKIT_KERNEL__)
	if (gt.pv) {
		unsigned long pfn = xen_pv_mfn_to_pfn(frame);

		return pfn < xen_start_info.nr_pages ? pfn : ~0ull;
	}
#endif
	return frame;
}

/* Copy every granted reference's entry (whom, which page, read-only or not) into the shadow.
 * Return: 0 or -ENOMEM (nothing kept). */
static int gnttab_shadow_take(void)
{
	for (uint32_t idx = 0; idx < gt.nr_frames; idx++) {
		uint64_t pa;

		if (os_page_alloc(&pa)) {
			gnttab_shadow_free();
			return -ENOMEM;
		}
		gt_shadow[idx] = os_phys_to_virt(pa);
		memset(gt_shadow[idx], 0, PAGE_SIZE);
		for (uint32_t i = 0; i < GNTTAB_PER_FRAME; i++) {
			grant_ref_t ref = idx * GNTTAB_PER_FRAME + i;
			grant_entry_v1_t e;
			uint64_t pfn;

			if (gnttab_info(ref)->state != GNTTAB_REF_GRANTED)
				continue;
			e.flags = READ_ONCE(gnttab_entry(ref)->flags);
			e.domid = READ_ONCE(gnttab_entry(ref)->domid);
			e.frame = READ_ONCE(gnttab_entry(ref)->frame);
			if (!(e.flags & GTF_permit_access))
				continue;	/* claimed, granting nothing now */
			pfn = gnttab_entry_pfn(e.frame);
			if (pfn > UINT32_MAX)
				continue;	/* not a frame of ours: nothing to give again */
			gt_shadow[idx][i] = (grant_entry_v1_t){
				.flags = e.flags & (GTF_permit_access | GTF_readonly),
				.domid = e.domid,
				.frame = (uint32_t)pfn,
			};
		}
	}
	return 0;
}

/*
 * PV: the save code refuses a page-table entry that maps a frame outside our p2m ("Bad mfn
 * for L1"), and the table's frames are Xen's. Before a suspend their entries become not
 * present (the tables stay); nothing may grant or end meanwhile (interrupts are off). PVH:
 * the frames sit in our physical map; only the shadow is taken.
 */
int gnttab_suspend(void)
{
	int err;

	if (!gt.ready)
		return 0;
	err = gnttab_shadow_take();
	if (err)
		return err;
#if defined(CONFIG_XEN_PV) || !defined(__PVKIT_KERNEL__)
	if (!gt.pv)
		return 0;
	for (uint32_t idx = 0; idx < gt.nr_frames; idx++) {
		uintptr_t va = gt.pv_va + (uintptr_t)idx * PAGE_SIZE;

		err = HYPERVISOR_update_va_mapping(va, 0, UVMF_INVLPG | UVMF_LOCAL);
		if (err) {
			int again = 0;

			while (idx-- > 0)		/* the ones already off: back */
				again = again ? again : gnttab_pv_point(idx);
			if (again)			/* some stay off: resume_cancelled retries */
				gt.suspended = true;
			else
				gnttab_shadow_free();
			return err;
		}
	}
	gt.suspended = true;
#endif
	return 0;
}

int gnttab_resume_cancelled(void)
{
#if defined(CONFIG_XEN_PV) || !defined(__PVKIT_KERNEL__)
	int err;

	if (gt.suspended) {
		/* The same domain: setup_table lists the same frames; ask rather than assume. */
		err = gnttab_pv_setup(gt.nr_frames);
		for (uint32_t idx = 0; !err && idx < gt.nr_frames; idx++)
			err = gnttab_pv_point(idx);
		if (err)
			return err;
		gt.suspended = false;
	}
#endif
	gnttab_shadow_free();		/* the entries never went away */
	return 0;
}

/* The new domain's table: as many frames as we had, at the same places. */
static int gnttab_frames_again(void)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	int err;

	err = HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1);
	if (!err && q.status != GNTST_okay)
		err = -EIO;
	if (err)
		return err;
	if (q.max_nr_frames < gt.nr_frames)
		return -ENOSPC;		/* the new host allows fewer than we use */
	gt.max_frames = MIN(q.max_nr_frames, (uint32_t)GNTTAB_MAX_FRAMES);
#if defined(CONFIG_XEN_PV) || !defined(__PVKIT_KERNEL__)
	if (gt.pv) {
		err = gnttab_pv_setup(gt.nr_frames);
		for (uint32_t idx = 0; !err && idx < gt.nr_frames; idx++)
			err = gnttab_pv_point(idx);
		if (!err)
			gt.suspended = false;
		return err;
	}
#endif
	for (uint32_t idx = 0; idx < gt.nr_frames; idx++) {
		struct xen_add_to_physmap xatp = {
			.domid = DOMID_SELF,
			.space = XENMAPSPACE_grant_table,
			.idx = idx,
			.gpfn = os_virt_to_phys(gt.frame[idx]) >> PAGE_SHIFT,
		};

		err = HYPERVISOR_memory_op(XENMEM_add_to_physmap, &xatp);
		if (err)
			return err;
	}
	return 0;
}

int gnttab_resume(struct gnttab_resume_stats *rs)
{
	int err;

	memset(rs, 0, sizeof(*rs));
	if (!gt.ready)
		return 0;
	err = gnttab_frames_again();
	if (err)
		goto out_free_shadow;
	/* Nobody maps anything of ours in a new domain: every deferred end succeeds now. */
	while (gt.defer_count) {
		grant_ref_t ref = gnttab_defer_pop();

		gnttab_free_ref(ref);
		rs->deferred_freed++;
	}
	for (uint32_t idx = 0; idx < gt.nr_frames; idx++) {
		for (uint32_t i = 0; i < GNTTAB_PER_FRAME; i++) {
			grant_ref_t ref = idx * GNTTAB_PER_FRAME + i;
			const grant_entry_v1_t *e = gt_shadow[idx] ? &gt_shadow[idx][i] : NULL;
			uint32_t frame;

			if (ref >= GNTTAB_NR_RESERVED_ENTRIES)
				memset(gnttab_entry(ref), 0, sizeof(grant_entry_v1_t));
			if (!e || !e->flags || gnttab_info(ref)->state != GNTTAB_REF_GRANTED)
				continue;
			if (gnttab_xen_frame((uint64_t)e->frame << PAGE_SHIFT, &frame)) {
				rs->lost++;	/* the page is not ours in the new domain */
				continue;
			}
			gnttab_write_entry(ref, e->domid, frame, e->flags & GTF_readonly);
			rs->regranted++;
		}
	}
out_free_shadow:
	gnttab_shadow_free();
	return err;
}

void gnttab_get_stats(struct gnttab_stats *s)
{
	struct gnttab_retire_stats rs;

	s->frames = gt.nr_frames;
	s->max_frames = gt.max_frames;
	s->nr_refs = gnttab_nr_refs();
	s->in_use = gt.in_use;
	s->deferred = gt.defer_count;
	s->granted = gt.granted;
	s->ended = gt.ended;
	s->free = gt.free_count;
	s->deferred_total = gt.deferred_total;
	gnttab_retire_get_stats(&rs);
	s->retired_held = rs.held;
}

/* Walk a list of references in @state, at most @expect + 1 steps (a cycle is caught). */
static int gnttab_verify_list(const char *name, grant_ref_t head, uint8_t state,
			      uint32_t expect)
{
	uint32_t n = 0;

	for (grant_ref_t r = head; r != GNTTAB_LIST_END; r = gnttab_info(r)->next) {
		if (r >= gnttab_nr_refs() || gnttab_info(r)->state != state || ++n > expect) {
			printk("pvkit: gnttab: %s list broken at ref %u (%u of %u)\n", name, r, n,
			       expect);
			return -EIO;
		}
	}
	if (n != expect) {
		printk("pvkit: gnttab: %s list holds %u refs, counted %u\n", name, n, expect);
		return -EIO;
	}
	return 0;
}

int gnttab_verify(void)
{
	uint32_t count[GNTTAB_REF_DEFERRED + 1] = { 0 };
	int err;

	if (!gt.ready)
		return -ENODEV;
	for (grant_ref_t r = 0; r < gnttab_nr_refs(); r++) {
		uint8_t st = gnttab_info(r)->state;

		if (st > GNTTAB_REF_DEFERRED || (st == GNTTAB_REF_RESERVED) !=
		    (r < GNTTAB_NR_RESERVED_ENTRIES)) {
			printk("pvkit: gnttab: ref %u in state %u\n", r, st);
			return -EIO;
		}
		count[st]++;
	}
	if (count[GNTTAB_REF_FREE] != gt.free_count ||
	    count[GNTTAB_REF_DEFERRED] != gt.defer_count ||
	    count[GNTTAB_REF_GRANTED] + count[GNTTAB_REF_DEFERRED] != gt.in_use) {
		printk("pvkit: gnttab: counted free %u deferred %u granted %u; have free %u "
		       "deferred %u in use %u\n", count[GNTTAB_REF_FREE],
		       count[GNTTAB_REF_DEFERRED], count[GNTTAB_REF_GRANTED], gt.free_count,
		       gt.defer_count, gt.in_use);
		return -EIO;
	}
	err = gnttab_verify_list("free", gt.free_head, GNTTAB_REF_FREE, gt.free_count);
	if (!err)
		err = gnttab_verify_list("deferred", gt.defer_head, GNTTAB_REF_DEFERRED,
					 gt.defer_count);
	return err;
}

int gnttab_init(const struct boot_info *bi)
{
	struct gnttab_query_size q = { .dom = DOMID_SELF };
	int err;

	if (gt.ready)
		return 0;
	if (!bi || (bi->env != BOOT_XEN_PV && bi->env != BOOT_XEN_PVH))
		return -ENODEV;
#if defined(__PVKIT_KERNEL__) && !defined(CONFIG_XEN_PV)
	if (bi->env == BOOT_XEN_PV)
		return -ENODEV;		/* built without PV support */
#endif
	err = HYPERVISOR_grant_table_op(GNTTABOP_query_size, &q, 1);
	if (!err && q.status != GNTST_okay)
		err = -EIO;
	if (err)
		return err;
	if (!q.max_nr_frames)
		return -ENODEV;
	gt.pv = bi->env == BOOT_XEN_PV;
	gt.max_frames = MIN(q.max_nr_frames, (uint32_t)GNTTAB_MAX_FRAMES);
	gt.free_head = gt.defer_head = gt.defer_tail = GNTTAB_LIST_END;
	if (gt.pv) {
		gt.pv_va = (uintptr_t)os_vmap_reserve((size_t)gt.max_frames * PAGE_SIZE);
		if (!gt.pv_va)
			return -ENOMEM;
	}
	err = gnttab_grow();
	if (err)
		goto out_free_va;
	gt.ready = true;
	os_poller_register(&gnttab_poller);
	printk("pvkit: gnttab: v1, %u frame(s) mapped of %u allowed (Xen: %u now, %u max), "
	       "%u refs\n", gt.nr_frames, gt.max_frames, q.nr_frames, q.max_nr_frames,
	       gnttab_nr_refs());
	return 0;

out_free_va:
	if (gt.pv)
		os_vmap_free((void *)gt.pv_va, (size_t)gt.max_frames * PAGE_SIZE);
	return err;
}

#ifndef __PVKIT_KERNEL__
/* Hosted tests only: forget everything, as a fresh boot would (the fake Xen is reset too). */
void gnttab_test_reset(void);
void gnttab_test_reset(void)
{
	__builtin_memset(&gt, 0, sizeof(gt));
}
#endif
