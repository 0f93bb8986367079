// SPDX-License-Identifier: MIT
/*
 * The FIFO event-channel ABI (public/event_channel.h; Xen's event_fifo.c is the other side):
 * a 32-bit event word per port in event-array pages we give Xen, 16 priority queues per vCPU
 * linked through the words' LINK fields, and a control block with READY bits and queue HEADs.
 * Xen writes all of it, so every HEAD and LINK is checked and every walk is bounded.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/pv.h>
#ifdef __PVKIT_KERNEL__
#include <pvkit/xen/hypercall.h>
#else
/* Hosted unit test (tests/unit/test_evtchn_fifo.c): a fake Xen answers the hypercall. */
int HYPERVISOR_event_channel_op(int cmd, void *arg);
#endif

#define FIFO_WORDS_PER_PAGE	(PAGE_SIZE / sizeof(event_word_t))	/* 1024 */
#define FIFO_MAX_PAGES		(EVTCHN_NR_PORTS / FIFO_WORDS_PER_PAGE)	/* our table's worth */
#define FIFO_BIT(b)		((event_word_t)1 << (b))
#define FIFO_PENDING		FIFO_BIT(EVTCHN_FIFO_PENDING)
#define FIFO_MASKED		FIFO_BIT(EVTCHN_FIFO_MASKED)
#define FIFO_LINKED		FIFO_BIT(EVTCHN_FIFO_LINKED)
#define FIFO_BUSY		FIFO_BIT(EVTCHN_FIFO_BUSY)
#define FIFO_LINK_MASK		((event_word_t)EVTCHN_FIFO_LINK_MASK)
#define FIFO_READY_MASK		((1u << EVTCHN_FIFO_MAX_QUEUES) - 1)	/* bits naming a queue */
/* Compare-and-swap attempts on one word before giving up on a Xen that never lets go of it.
 * Xen holds BUSY only while it retries its own link update (at most 4 times). */
#define FIFO_CAS_TRIES		64

BUILD_BUG_ON(EVTCHN_NR_PORTS % FIFO_WORDS_PER_PAGE);
BUILD_BUG_ON(EVTCHN_NR_PORTS > EVTCHN_FIFO_NR_CHANNELS);

static struct {
	bool active;			/* Xen took our control block: FIFO is our ABI for good */
	bool pv;			/* Xen wants machine frames (PV), not guest frames (PVH) */
	struct evtchn_fifo_control_block *cb;	/* vCPU 0's, at offset 0 of its own page */
	event_word_t *array[FIFO_MAX_PAGES];	/* event-array pages Xen has, in port order */
	unsigned int nr_pages;		/* array[0..nr_pages) given: ports below nr_pages * 1024 */
	/* Where each queue's walk goes on; 0: the queue was drained, read HEAD next time. */
	uint32_t head[EVTCHN_FIFO_MAX_QUEUES];
	uint32_t carry;			/* READY bits taken from Xen, not served (scan cut short) */
	/* What the shared pages got wrong, reported through evtchn_get_stats(): */
	uint64_t bad_link;		/* HEAD/LINK/READY naming nothing of ours */
	uint64_t unlinked;		/* a queue entry without LINKED */
	uint64_t scan_limit;		/* scans cut by their budget */
	uint64_t busy_timeout;		/* words Xen never let go of (BUSY, endless changes) */
} fifo;

bool evtchn_fifo_active(void)
{
	return fifo.active;
}

/* The frame number Xen wants for our RAM page at @pa: PV machine frame, PVH guest frame. */
static uint64_t evtchn_fifo_xen_frame(uint64_t pa)
{
#if defined(CONFIG_XEN_PV) || !defined(__PVKIT_KERNEL__)
	if (fifo.pv)
		return xen_pv_pfn_to_mfn(pa >> PAGE_SHIFT);
#endif
	return pa >> PAGE_SHIFT;
}

/* @port's event word, or NULL when no array page holds it (Xen treats that as masked). */
static event_word_t *evtchn_fifo_word(uint32_t port)
{
	if (port >= fifo.nr_pages * FIFO_WORDS_PER_PAGE)
		return NULL;
	return &fifo.array[port / FIFO_WORDS_PER_PAGE][port % FIFO_WORDS_PER_PAGE];
}

/*
 * Give Xen one more event-array page. Its words start MASKED: ports bound before us (console,
 * xenstore) must not interrupt before someone handles them; Xen re-raises a port that was
 * pending while it had no word, and a masked one just stays pending. Once Xen has the page it
 * keeps it mapped: it is never freed (so no allocator can hand it out again).
 */
static int evtchn_fifo_expand(void)
{
	struct evtchn_expand_array op;
	event_word_t *words;
	uint64_t pa;
	int err;

	if (fifo.nr_pages >= FIFO_MAX_PAGES)
		return -ENOSPC;
	err = os_page_alloc(&pa);
	if (err)
		return err;
	words = os_phys_to_virt(pa);
	for (unsigned int i = 0; i < FIFO_WORDS_PER_PAGE; i++)
		words[i] = FIFO_MASKED;
	op.array_gfn = evtchn_fifo_xen_frame(pa);
	err = HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &op);
	if (err) {
		os_page_free(pa);
		return err;
	}
	fifo.array[fifo.nr_pages] = words;
	barrier();			/* the page is in place before its ports count */
	fifo.nr_pages++;
	return 0;
}

/* Again on the same boot (Xen refuses a second control block): mask all, forget the walks. */
static int evtchn_fifo_restart(void)
{
	for (unsigned int p = 0; p < fifo.nr_pages; p++)
		for (unsigned int i = 0; i < FIFO_WORDS_PER_PAGE; i++)
			__atomic_fetch_or(&fifo.array[p][i], FIFO_MASKED, __ATOMIC_SEQ_CST);
	__builtin_memset(fifo.head, 0, sizeof(fifo.head));
	fifo.carry = 0;
	return fifo.nr_pages ? 0 : evtchn_fifo_expand();
}

/*
 * Register vCPU 0's control block, then the first event-array page (ports 0-1023, which holds
 * the console's and xenstore's). Xen refusing the control block (an old Xen, or one built or
 * configured without FIFO) changes nothing: the caller falls back to 2-level.
 */
static int evtchn_fifo_setup(const struct boot_info *bi)
{
	struct evtchn_init_control op = { .offset = 0, .vcpu = 0 };
	uint64_t cb_pa;
	int err;

	fifo.bad_link = fifo.unlinked = fifo.scan_limit = fifo.busy_timeout = 0;
	if (fifo.active)
		return evtchn_fifo_restart();
	fifo.pv = bi->env == BOOT_XEN_PV;
	err = os_page_alloc(&cb_pa);
	if (err)
		return err;
	op.control_gfn = evtchn_fifo_xen_frame(cb_pa);
	err = HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &op);
	if (err)
		goto out_free_cb;
	/* From here on Xen maps the page: it is never freed. */
	fifo.cb = os_phys_to_virt(cb_pa);
	__builtin_memset(fifo.head, 0, sizeof(fifo.head));
	fifo.carry = 0;
	fifo.active = true;
	return evtchn_fifo_expand();

out_free_cb:
	os_page_free(cb_pa);
	return err;
}

/*
 * A new domain (restore, migration): Xen there has neither our control block nor our array
 * pages, and no port of the old domain exists. The same pages are given again (Xen maps them
 * from scratch), every word masked, the queues empty. A failure is returned: the caller cannot
 * go on without event channels.
 */
static int evtchn_fifo_resume(void)
{
	struct evtchn_init_control op = { .offset = 0, .vcpu = 0 };
	unsigned int pages = fifo.nr_pages;
	int err;

	if (!fifo.active)
		return evtchn_2l_ops.resume();	/* never switched: the new domain is 2-level */
	__builtin_memset(fifo.cb, 0, PAGE_SIZE);
	for (unsigned int p = 0; p < pages; p++)
		for (unsigned int i = 0; i < FIFO_WORDS_PER_PAGE; i++)
			__atomic_store_n(&fifo.array[p][i], FIFO_MASKED, __ATOMIC_SEQ_CST);
	__builtin_memset(fifo.head, 0, sizeof(fifo.head));
	fifo.carry = 0;
	op.control_gfn = evtchn_fifo_xen_frame(os_virt_to_phys(fifo.cb));
	err = HYPERVISOR_event_channel_op(EVTCHNOP_init_control, &op);
	if (err)
		return err;
	/* Xen counts array pages from 0 again: in port order, as at boot. */
	fifo.nr_pages = 0;
	for (unsigned int p = 0; p < pages; p++) {
		struct evtchn_expand_array ex = {
			.array_gfn = evtchn_fifo_xen_frame(os_virt_to_phys(fifo.array[p])),
		};

		err = HYPERVISOR_event_channel_op(EVTCHNOP_expand_array, &ex);
		if (err)
			return err;	/* the pages above stay ours, never given: ports end here */
		barrier();
		fifo.nr_pages = p + 1;
	}
	return 0;
}

static unsigned int evtchn_fifo_max_channels(void)
{
	return EVTCHN_FIFO_NR_CHANNELS;
}

/* Ports grow past the array: add pages until @port has its word (at most FIFO_MAX_PAGES). */
static int evtchn_fifo_port_setup(evtchn_port_t port)
{
	int err;

	if (port >= FIFO_MAX_PAGES * FIFO_WORDS_PER_PAGE)
		return -ERANGE;
	while (!evtchn_fifo_word(port)) {
		err = evtchn_fifo_expand();
		if (err)
			return err;
	}
	return 0;
}

static bool evtchn_fifo_is_pending(evtchn_port_t port)
{
	event_word_t *w = evtchn_fifo_word(port);

	return w && (__atomic_load_n(w, __ATOMIC_ACQUIRE) & FIFO_PENDING);
}

/* A masked port is never LINKED (Xen links only unmasked ones), so PENDING alone goes. A port
 * without a word has nothing to clear: Xen keeps its pending state until the word exists. */
static void evtchn_fifo_clear_pending(evtchn_port_t port)
{
	event_word_t *w = evtchn_fifo_word(port);

	if (w)
		__atomic_fetch_and(w, ~FIFO_PENDING, __ATOMIC_SEQ_CST);
}

static bool evtchn_fifo_is_masked(evtchn_port_t port)
{
	event_word_t *w = evtchn_fifo_word(port);

	return !w || (__atomic_load_n(w, __ATOMIC_ACQUIRE) & FIFO_MASKED);
}

static void evtchn_fifo_mask(evtchn_port_t port)
{
	event_word_t *w = evtchn_fifo_word(port);

	if (w)
		__atomic_fetch_or(w, FIFO_MASKED, __ATOMIC_SEQ_CST);
}

/*
 * Clear MASKED ourselves only if the port is not pending and Xen is not in the middle of
 * linking onto this word: the compare-and-swap expects BUSY clear, so it fails while Xen holds
 * BUSY and succeeds after. A pending port must be linked into its queue, which only Xen can do:
 * EVTCHNOP_unmask clears MASKED and links it under Xen's lock. So does a Xen that never lets go
 * of BUSY (bounded; counted).
 */
static void evtchn_fifo_unmask(evtchn_port_t port)
{
	event_word_t *word = evtchn_fifo_word(port);
	struct evtchn_unmask op = { .port = port };
	event_word_t w, expect;

	if (!word)
		return;
	w = __atomic_load_n(word, __ATOMIC_ACQUIRE);
	for (unsigned int i = 0; i < FIFO_CAS_TRIES; i++) {
		if (!(w & FIFO_MASKED))
			return;
		if (w & FIFO_PENDING)
			goto xen_unmask;
		expect = w & ~FIFO_BUSY;
		if (__atomic_compare_exchange_n(word, &expect, expect & ~FIFO_MASKED, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return;
		w = expect;			/* what the word holds now */
		cpu_relax();
	}
	fifo.busy_timeout++;
xen_unmask:
	HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

static int evtchn_fifo_set_priority(evtchn_port_t port, unsigned int prio)
{
	struct evtchn_set_priority op = { .port = port, .priority = prio };

	return HYPERVISOR_event_channel_op(EVTCHNOP_set_priority, &op);
}

/* Take Xen's READY bits; bits naming no queue are dropped and counted. */
static uint32_t evtchn_fifo_take_ready(void)
{
	uint32_t r = __atomic_exchange_n(&fifo.cb->ready, 0, __ATOMIC_SEQ_CST);

	if (unlikely(r & ~FIFO_READY_MASK)) {
		fifo.bad_link++;
		r &= FIFO_READY_MASK;
	}
	return r;
}

/*
 * Unlink @word's port from its queue, in one atomic step: clear LINKED and LINK, and PENDING
 * too when the port is pending and unmasked (then *deliver). A word Xen keeps changing under
 * us (never, from a sane Xen) is unlinked without delivering. Returns the word as it was.
 */
static event_word_t evtchn_fifo_unlink(event_word_t *word, bool *deliver)
{
	event_word_t w = __atomic_load_n(word, __ATOMIC_ACQUIRE), nw;

	for (unsigned int i = 0; i < FIFO_CAS_TRIES; i++) {
		*deliver = (w & FIFO_PENDING) && !(w & FIFO_MASKED);
		nw = w & ~(FIFO_LINKED | FIFO_LINK_MASK);
		if (*deliver)
			nw &= ~FIFO_PENDING;
		if (__atomic_compare_exchange_n(word, &w, nw, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return w;
	}
	fifo.busy_timeout++;
	*deliver = false;
	return __atomic_fetch_and(word, ~(FIFO_LINKED | FIFO_LINK_MASK), __ATOMIC_SEQ_CST);
}

/*
 * Take the next event of queue @q: our saved place, or Xen's HEAD when the queue was drained.
 * A HEAD or LINK naming no port of ours, or an entry without LINKED (not something Xen
 * queued), ends the walk there and is counted; the bad value is never used as an index.
 * Returns whether the queue has more.
 */
static bool evtchn_fifo_consume_one(unsigned int q)
{
	uint32_t port = fifo.head[q], next;
	event_word_t *word, old;
	bool deliver;

	if (!port) {
		port = __atomic_load_n(&fifo.cb->head[q], __ATOMIC_ACQUIRE);
		if (!port)
			return false;		/* READY with an empty queue: nothing to do */
	}
	word = evtchn_fifo_word(port);
	if (unlikely(!word)) {
		fifo.bad_link++;
		fifo.head[q] = 0;
		return false;
	}
	old = evtchn_fifo_unlink(word, &deliver);
	next = old & FIFO_LINK_MASK;
	if (unlikely(!(old & FIFO_LINKED))) {
		fifo.unlinked++;
		next = 0;
	} else if (unlikely(next && !evtchn_fifo_word(next))) {
		fifo.bad_link++;
		next = 0;
	}
	fifo.head[q] = next;
	if (deliver)
		evtchn_deliver(port);
	return next != 0;
}

/*
 * One scan, highest priority (lowest queue number) first, one event at a time: after each
 * event Xen's new READY bits are merged in, so a high-priority event raised meanwhile goes
 * before the rest of a lower queue. At most one event per port we have a word for: a queue
 * that loops (or a port re-raised by its own handler forever) stops there; the READY bits not
 * served are kept and upcall_pending is set again so the dispatcher comes back.
 */
static void evtchn_fifo_handle_events(void)
{
	uint32_t ready = evtchn_fifo_take_ready() | fifo.carry;
	unsigned int budget = fifo.nr_pages * FIFO_WORDS_PER_PAGE, q;

	fifo.carry = 0;
	while (ready) {
		if (!budget--) {
			fifo.carry = ready;
			fifo.scan_limit++;
			__atomic_store_n(&xen_vcpu0_info()->evtchn_upcall_pending, 1,
					 __ATOMIC_SEQ_CST);
			return;
		}
		q = __builtin_ctz(ready);		/* < 16: ready holds queue bits only */
		if (!evtchn_fifo_consume_one(q))
			ready &= ~(1u << q);
		ready |= evtchn_fifo_take_ready();
	}
}

static void evtchn_fifo_get_stats(struct evtchn_stats *st)
{
	st->bad_link = fifo.bad_link;
	st->unlinked = fifo.unlinked;
	st->scan_limit = fifo.scan_limit;
	st->busy_timeout = fifo.busy_timeout;
	st->array_pages = fifo.nr_pages;
}

#ifndef __PVKIT_KERNEL__
/* Hosted tests only: forget everything, as a fresh boot would (the fake Xen is reset too). */
void evtchn_fifo_test_reset(void);
void evtchn_fifo_test_reset(void)
{
	__builtin_memset(&fifo, 0, sizeof(fifo));
}
#endif

const struct evtchn_ops evtchn_fifo_ops = {
	.name           = "fifo",
	.max_channels   = evtchn_fifo_max_channels,	/* 2^17 (we use EVTCHN_NR_PORTS) */
	.setup          = evtchn_fifo_setup,		/* control block + first array page */
	.resume         = evtchn_fifo_resume,		/* the same pages to a new domain */
	.port_setup     = evtchn_fifo_port_setup,	/* EVTCHNOP_expand_array on demand */
	.is_pending     = evtchn_fifo_is_pending,
	.is_masked      = evtchn_fifo_is_masked,
	.clear_pending  = evtchn_fifo_clear_pending,
	.mask           = evtchn_fifo_mask,
	.unmask         = evtchn_fifo_unmask,		/* BUSY-aware cmpxchg, else Xen */
	.set_priority   = evtchn_fifo_set_priority,	/* EVTCHNOP_set_priority */
	.handle_events  = evtchn_fifo_handle_events,	/* READY -> HEAD -> LINK, bounded */
	.get_stats      = evtchn_fifo_get_stats,	/* what the queues got wrong */
};
