// SPDX-License-Identifier: MIT
/* xen-guest/evtchn_fifo.c (through evtchn.c) against a fake Xen that keeps FIFO queues the
 * way Xen's event_fifo.c does: event words in the pages we give it, a tail per queue, HEAD and
 * READY in our control block; plus hostile states no sane Xen produces (links out of range,
 * loops, a BUSY bit that never clears). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/os.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/pv.h>
#include "unit.h"

#define WPP		1024		/* event words per page */
#define MFN_XOR		0x5a5a0ul	/* fake p2m: PV machine frame = pfn ^ this */
#define PEND		(1u << EVTCHN_FIFO_PENDING)
#define MASK		(1u << EVTCHN_FIFO_MASKED)
#define LINK		(1u << EVTCHN_FIFO_LINKED)
#define BUSY		(1u << EVTCHN_FIFO_BUSY)

static shared_info_t fake_si;
shared_info_t *xen_shared_info;
struct vcpu_info *xen_vcpu0;		/* vCPU 0's registered vcpu_info: NULL, the slot */

void evtchn_fifo_test_reset(void);

static struct {
	bool refuse_init;		/* init_control fails (-ENOSYS): an old Xen */
	int expand_err;			/* expand_array fails with it ... */
	unsigned int expand_ok;		/* ... after this many more succeeded */
	bool pv;			/* frames arrive as machine frames */
	struct evtchn_fifo_control_block *cb;	/* what init_control registered */
	uint64_t cb_gfn;
	event_word_t *array[32];	/* pages expand_array received */
	unsigned int nr_pages;
	uint32_t prio[4096];		/* per port, Xen's default 7 at bind */
	uint32_t tail[EVTCHN_FIFO_MAX_QUEUES];	/* Xen's q->tail */
	uint32_t lastq[4096];		/* queue a port was last linked on */
	evtchn_port_t next_port;	/* what the next bind returns */
	evtchn_port_t peer[4096];	/* send(p) raises peer[p] - 1 */
	unsigned int ops[16];		/* calls per EVTCHNOP_* */
	event_word_t unmask_saw;	/* the word as EVTCHNOP_unmask found it */
	uint32_t last_prio_port, last_prio;
	unsigned int pages_alloc, pages_free, printks;
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

/* pa chosen so that os_phys_to_virt() (KERNEL_VIRT_BASE + pa, modulo 2^64) is the page. */
int os_page_alloc(uint64_t *pa)
{
	void *p = aligned_alloc(4096, 4096);

	if (!p)
		return -ENOMEM;
	memset(p, 0, 4096);
	fx.pages_alloc++;
	*pa = (uint64_t)(uintptr_t)p - KERNEL_VIRT_BASE;
	return 0;
}

void os_page_free(uint64_t pa)
{
	fx.pages_free++;
	free(os_phys_to_virt(pa));
}

unsigned long xen_pv_pfn_to_mfn(unsigned long pfn)
{
	return pfn ^ MFN_XOR;
}

/* Xen's view of a frame number we passed: back to our memory. */
static void *fx_frame(uint64_t gfn)
{
	if (fx.pv)
		gfn ^= MFN_XOR;
	return os_phys_to_virt(gfn << 12);
}

static event_word_t *fx_word(uint32_t port)
{
	return port < fx.nr_pages * WPP ? &fx.array[port / WPP][port % WPP] : NULL;
}

/* Xen's evtchn_fifo_set_pending for one vCPU: link at the tail if unmasked and not linked. */
static void fx_raise(uint32_t port)
{
	event_word_t *w = fx_word(port), *tw;
	uint32_t q = fx.prio[port], oldq = fx.lastq[port];
	bool linked = false;

	if (!w)
		return;
	*w |= PEND;
	if ((*w & MASK) || (*w & LINK))
		return;
	*w |= LINK;
	if (fx.tail[oldq] == port)
		fx.tail[oldq] = 0;
	fx.lastq[port] = q;
	if (fx.tail[q]) {
		tw = fx_word(fx.tail[q]);
		if (*tw & LINK) {
			*tw = (*tw & ~(event_word_t)EVTCHN_FIFO_LINK_MASK) | port;
			linked = true;
		}
	}
	if (!linked)
		fx.cb->head[q] = port;
	fx.tail[q] = port;
	if (!linked && !(fx.cb->ready & (1u << q))) {
		fx.cb->ready |= 1u << q;
		fake_si.vcpu_info[0].evtchn_upcall_pending = 1;
	}
}

int HYPERVISOR_event_channel_op(int cmd, void *arg);
int HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	uint32_t port;

	if (cmd >= 0 && cmd < 16)
		fx.ops[cmd]++;
	switch (cmd) {
	case EVTCHNOP_init_control: {
		struct evtchn_init_control *ic = arg;

		if (fx.refuse_init)
			return -ENOSYS;
		if (fx.cb || ic->vcpu != 0 || ic->offset != 0)
			return -EINVAL;
		fx.cb_gfn = ic->control_gfn;
		fx.cb = fx_frame(ic->control_gfn);
		ic->link_bits = EVTCHN_FIFO_LINK_BITS;
		return 0;
	}
	case EVTCHNOP_expand_array:
		if (!fx.cb)
			return -EOPNOTSUPP;
		if (fx.expand_err && !fx.expand_ok)
			return fx.expand_err;
		if (fx.expand_ok)
			fx.expand_ok--;
		fx.array[fx.nr_pages++] = fx_frame(((struct evtchn_expand_array *)arg)->array_gfn);
		return 0;
	case EVTCHNOP_set_priority: {
		struct evtchn_set_priority *sp = arg;

		if (sp->priority > EVTCHN_FIFO_PRIORITY_MIN || sp->port >= 4096)
			return -EINVAL;
		fx.prio[sp->port] = sp->priority;
		fx.last_prio_port = sp->port;
		fx.last_prio = sp->priority;
		return 0;
	}
	case EVTCHNOP_bind_virq:
	case EVTCHNOP_bind_ipi:
	case EVTCHNOP_alloc_unbound:
		port = fx.next_port++;
		if (port < 4096)
			fx.prio[port] = EVTCHN_FIFO_PRIORITY_DEFAULT;
		if (cmd == EVTCHNOP_bind_virq)
			((struct evtchn_bind_virq *)arg)->port = port;
		else if (cmd == EVTCHNOP_bind_ipi)
			((struct evtchn_bind_ipi *)arg)->port = port;
		else
			((struct evtchn_alloc_unbound *)arg)->port = port;
		return 0;
	case EVTCHNOP_bind_interdomain: {
		struct evtchn_bind_interdomain *b = arg;

		b->local_port = port = fx.next_port++;
		if (port < 4096 && b->remote_port < 4096) {
			fx.prio[port] = EVTCHN_FIFO_PRIORITY_DEFAULT;
			fx.peer[port] = b->remote_port + 1;
			fx.peer[b->remote_port] = port + 1;
		}
		return 0;
	}
	case EVTCHNOP_close:
		return 0;
	case EVTCHNOP_send:
		port = ((struct evtchn_send *)arg)->port;
		if (port >= 4096 || !fx.peer[port])
			return -EINVAL;
		fx_raise(fx.peer[port] - 1);
		return 0;
	case EVTCHNOP_unmask: {
		event_word_t *w;

		port = ((struct evtchn_unmask *)arg)->port;
		w = fx_word(port);
		if (!w)
			return 0;
		fx.unmask_saw = *w;
		*w &= ~MASK;				/* Xen's evtchn_fifo_unmask */
		if (*w & PEND)
			fx_raise(port);
		return 0;
	}
	}
	return -ENOSYS;
}

static struct boot_info fx_bi = { .env = BOOT_XEN_PVH };

/* A new boot: the pages the last one gave Xen are released, Xen and FIFO state forgotten. */
static void fx_reset(void)
{
	for (unsigned int i = 0; i < fx.nr_pages; i++)
		free(fx.array[i]);
	free(fx.cb);
	memset(&fake_si, 0, sizeof(fake_si));
	memset(&fx, 0, sizeof(fx));
	fx.next_port = 1;
	xen_shared_info = &fake_si;
	evtchn_fifo_test_reset();
}

/* Fresh fake Xen, fresh FIFO state and evtchn layer (ABI line not counted). */
static void setup_env(enum boot_env env)
{
	fx_reset();
	fx.pv = env == BOOT_XEN_PV;
	fx_bi.env = env;
	CHECK(evtchn_init(&fx_bi) == 0);
	CHECK(evtchn_abi() && !strcmp(evtchn_abi()->name, "fifo"));
	fx.printks = 0;
}

static void setup(void)
{
	setup_env(BOOT_XEN_PVH);
}

#define LOG_MAX 256
static struct {
	evtchn_port_t port[LOG_MAX];
	unsigned int n;
} seen;

static void record(evtchn_port_t port, void *ctx)
{
	if (seen.n < LOG_MAX)
		seen.port[seen.n] = port;
	seen.n++;
}

/* An IPI-style port at @port, priority @prio, handled by @fn and unmasked. */
static evtchn_port_t bind_at(evtchn_port_t port, unsigned int prio, evtchn_handler_t fn)
{
	evtchn_port_t p = ~0u;

	fx.next_port = port;
	CHECK(evtchn_bind_ipi(0, &p) == 0 && p == port);
	CHECK(evtchn_set_priority(p, prio) == 0);
	CHECK(evtchn_set_handler(p, fn, NULL) == 0);
	CHECK(evtchn_unmask(p) == 0);
	return p;
}

static void selected_and_registered(void)
{
	struct evtchn_stats st;

	setup();
	CHECK(evtchn_fifo_active());
	CHECK(fx.ops[EVTCHNOP_init_control] == 1 && fx.ops[EVTCHNOP_expand_array] == 1);
	CHECK(evtchn_abi()->max_channels() == EVTCHN_FIFO_NR_CHANNELS);
	for (unsigned int i = 0; i < WPP; i++)
		CHECKF(fx.array[0][i] == MASK, "word %u = %#x", i, fx.array[0][i]);
	CHECK(fx.cb->ready == 0);
	evtchn_get_stats(&st);
	CHECK(st.array_pages == 1 && st.bad_link == 0);
	CHECK(fx.pages_free == 0);			/* Xen holds both pages */
	/* PV: Xen gets machine frames. */
	setup_env(BOOT_XEN_PV);
	CHECK(fx.cb && fx.nr_pages == 1);
	CHECK(fx_frame(fx.cb_gfn) == (void *)fx.cb);
	CHECKF((fx.cb_gfn ^ MFN_XOR) << 12 == os_virt_to_phys(fx.cb), "gfn %#lx", fx.cb_gfn);
}

static void delivered_once(void)
{
	evtchn_port_t a, b;

	setup();
	memset(&seen, 0, sizeof(seen));
	fx.next_port = 4;
	CHECK(evtchn_alloc_unbound(DOMID_SELF, &a) == 0);
	CHECK(evtchn_bind_interdomain(DOMID_SELF, a, &b) == 0);
	CHECK(evtchn_set_handler(a, record, NULL) == 0);
	CHECK(evtchn_unmask(a) == 0);
	CHECK(fx.ops[EVTCHNOP_unmask] == 0);		/* not pending: cleared locally */
	CHECK(!evtchn_is_masked(a));
	CHECK(evtchn_send(b) == 0);
	CHECK(evtchn_is_pending(a));
	evtchn_do_upcall();
	CHECK(seen.n == 1 && seen.port[0] == a);
	CHECK(fx.array[0][a] == 0);			/* not pending, not linked, unmasked */
	CHECK(fx.cb->ready == 0 && !fake_si.vcpu_info[0].evtchn_upcall_pending);
	CHECK(evtchn_send(b) == 0);
	evtchn_do_upcall();
	CHECK(seen.n == 2 && evtchn_count(a) == 2);
}

/* Queues served highest priority first; inside a queue, in the order raised (not port order). */
static void priority_then_fifo_order(void)
{
	static const evtchn_port_t want[] = { 40, 30, 50, 10, 20, 60 };

	setup();
	memset(&seen, 0, sizeof(seen));
	bind_at(10, 7, record);
	bind_at(20, 7, record);
	bind_at(30, 2, record);
	bind_at(40, 0, record);
	bind_at(50, 2, record);
	bind_at(60, 15, record);
	fx_raise(60);
	fx_raise(10);
	fx_raise(30);
	fx_raise(20);
	fx_raise(50);
	fx_raise(40);
	CHECK(fx.cb->ready == ((1u << 0) | (1u << 2) | (1u << 7) | (1u << 15)));
	evtchn_do_upcall();
	CHECKF(seen.n == 6, "%u events", seen.n);
	for (unsigned int i = 0; i < 6 && i < seen.n; i++)
		CHECKF(seen.port[i] == want[i], "event %u on port %u, wanted %u", i, seen.port[i],
		       want[i]);
	CHECK(fx.cb->ready == 0);
}

/* A high-priority event raised by a low-priority handler overtakes the rest of the low queue. */
static evtchn_port_t raise_on_first;

static void raise_high(evtchn_port_t port, void *ctx)
{
	record(port, ctx);
	if (raise_on_first) {
		fx_raise(raise_on_first);
		raise_on_first = 0;
	}
}

static void high_overtakes_low(void)
{
	setup();
	memset(&seen, 0, sizeof(seen));
	bind_at(11, 12, raise_high);
	bind_at(12, 12, record);
	bind_at(13, 1, record);
	raise_on_first = 13;
	fx_raise(11);
	fx_raise(12);
	evtchn_do_upcall();
	CHECKF(seen.n == 3 && seen.port[0] == 11 && seen.port[1] == 13 && seen.port[2] == 12,
	       "%u events: %u %u %u", seen.n, seen.port[0], seen.port[1], seen.port[2]);
}

static void masked_held_until_unmask(void)
{
	struct vcpu_info *v = &fake_si.vcpu_info[0];
	evtchn_port_t p, q;

	setup();
	memset(&seen, 0, sizeof(seen));
	fx.next_port = 5;
	CHECK(evtchn_bind_ipi(0, &p) == 0);
	CHECK(evtchn_set_handler(p, record, NULL) == 0);
	fx_raise(p);					/* masked: pending, not queued */
	CHECK(evtchn_is_pending(p) && evtchn_is_masked(p) && fx.cb->ready == 0);
	CHECK(!v->evtchn_upcall_pending);
	CHECK(evtchn_unmask(p) == 0);			/* pending: only Xen may link it */
	CHECK(fx.ops[EVTCHNOP_unmask] == 1 && (fx.unmask_saw & MASK));
	evtchn_do_upcall();
	CHECK(seen.n == 1 && !evtchn_is_pending(p));
	/* Masked after Xen linked it: the walk unlinks it without delivering, it stays pending,
	 * and the next unmask has Xen queue it again. */
	q = bind_at(6, 7, record);
	fx_raise(q);
	CHECK(evtchn_mask(q) == 0);
	evtchn_do_upcall();
	CHECK(seen.n == 1);
	CHECK(fx.array[0][q] == (PEND | MASK));
	CHECK(evtchn_unmask(q) == 0 && fx.ops[EVTCHNOP_unmask] == 2);
	evtchn_do_upcall();
	CHECK(seen.n == 2 && seen.port[1] == q);
}

/*
 * A polled port (the Xen PV IPI, docs/smp.md): kept masked, so Xen sets PENDING and links
 * nothing; the poller clears PENDING alone (MASKED stays), and the next raise sets it again.
 * A port without an array word has nothing to clear.
 */
static void polled_port_cleared(void)
{
	struct vcpu_info *v = &fake_si.vcpu_info[0];
	evtchn_port_t p;

	setup();
	memset(&seen, 0, sizeof(seen));
	fx.next_port = 9;
	CHECK(evtchn_bind_ipi(0, &p) == 0 && p == 9);	/* masked, as evtchn leaves it */
	CHECK(evtchn_set_handler(p, record, NULL) == 0);
	fx_raise(p);
	CHECK(fx.array[0][p] == (PEND | MASK) && fx.cb->ready == 0 && !v->evtchn_upcall_pending);
	CHECK(evtchn_clear_pending(p) == 0);
	CHECK(fx.array[0][p] == MASK && !evtchn_is_pending(p) && evtchn_is_masked(p));
	fx_raise(p);
	CHECK(evtchn_is_pending(p));
	evtchn_do_upcall();
	CHECK(seen.n == 0);
	CHECK(evtchn_clear_pending(p) == 0 && fx.array[0][p] == MASK);
	CHECK(evtchn_clear_pending(3000) == 0 && !evtchn_is_pending(3000));	/* no word */
	CHECK(evtchn_clear_pending(EVTCHN_NR_PORTS) == -EINVAL);
}

/* Xen holds BUSY on a word while it links onto it: our unmask must not clear MASKED under it.
 * A BUSY that never clears ends with Xen doing the unmask (bounded, counted). */
static void unmask_respects_busy(void)
{
	struct evtchn_stats st;
	evtchn_port_t p;

	setup();
	fx.next_port = 7;
	CHECK(evtchn_bind_ipi(0, &p) == 0);
	fx.array[0][p] |= BUSY | LINK | 99;		/* Xen mid-way linking 99 after p */
	CHECK(evtchn_unmask(p) == 0);
	CHECK(fx.ops[EVTCHNOP_unmask] == 1);
	CHECKF((fx.unmask_saw & (MASK | BUSY | LINK)) == (MASK | BUSY | LINK) &&
	       (fx.unmask_saw & EVTCHN_FIFO_LINK_MASK) == 99, "Xen found %#x", fx.unmask_saw);
	evtchn_get_stats(&st);
	CHECK(st.busy_timeout == 1);
	/* Without BUSY: cleared by us, everything else in the word kept, no hypercall. */
	fx.array[0][p] = MASK | LINK | 99;
	CHECK(evtchn_unmask(p) == 0);
	CHECK(fx.ops[EVTCHNOP_unmask] == 1 && fx.array[0][p] == (LINK | 99));
}

/* HEAD, LINK or READY naming nothing of ours: the walk stops there, nothing out of range is
 * indexed (ASan), it is counted, and the next events are delivered normally. */
static void bad_links_rejected(void)
{
	struct evtchn_stats st;
	evtchn_port_t a, b;

	setup();
	memset(&seen, 0, sizeof(seen));
	a = bind_at(3, 7, record);
	b = bind_at(8, 7, record);
	/* LINK beyond the event array (and beyond EVTCHN_NR_PORTS). */
	fx.array[0][a] = PEND | LINK | 70000;
	fx.cb->head[7] = a;
	fx.cb->ready = 1u << 7;
	fake_si.vcpu_info[0].evtchn_upcall_pending = 1;
	evtchn_do_upcall();
	CHECK(seen.n == 1 && seen.port[0] == a);
	evtchn_get_stats(&st);
	CHECK(st.bad_link == 1);
	/* LINK inside EVTCHN_NR_PORTS but past the one array page we gave. */
	fx.array[0][a] = PEND | LINK | 2000;
	fx.cb->head[7] = a;
	fx.cb->ready = 1u << 7;
	evtchn_do_upcall();
	evtchn_get_stats(&st);
	CHECK(seen.n == 2 && st.bad_link == 2);
	/* HEAD out of range, READY bits naming no queue. */
	fx.cb->head[3] = EVTCHN_FIFO_LINK_MASK;
	fx.cb->ready = (1u << 3) | (1u << 20);
	evtchn_do_upcall();
	evtchn_get_stats(&st);
	CHECK(seen.n == 2 && st.bad_link == 4);
	CHECK(fx.cb->ready == 0);
	/* READY for a queue nothing was ever queued on (HEAD 0): nothing, and no anomaly. */
	fx.cb->ready = 1u << 5;
	evtchn_do_upcall();
	evtchn_get_stats(&st);
	CHECK(seen.n == 2 && st.bad_link == 4 && st.unlinked == 0);
	/* Still working. */
	fx.tail[7] = 0;
	fx_raise(b);
	evtchn_do_upcall();
	CHECK(seen.n == 3 && seen.port[2] == b);
}

/* A queue whose LINKs form a cycle: each port delivered once, the walk ends at the entry
 * that is no longer LINKED (counted). */
static void link_cycle_broken(void)
{
	struct evtchn_stats st;
	evtchn_port_t a, b;

	setup();
	memset(&seen, 0, sizeof(seen));
	a = bind_at(21, 7, record);
	b = bind_at(22, 7, record);
	fx.array[0][a] = PEND | LINK | b;
	fx.array[0][b] = PEND | LINK | a;
	fx.cb->head[7] = a;
	fx.cb->ready = 1u << 7;
	fake_si.vcpu_info[0].evtchn_upcall_pending = 1;
	evtchn_do_upcall();
	CHECKF(seen.n == 2 && seen.port[0] == a && seen.port[1] == b, "%u events", seen.n);
	evtchn_get_stats(&st);
	CHECK(st.unlinked == 1 && st.scan_limit == 0);
	/* A port linked to itself. */
	fx.array[0][a] = PEND | LINK | a;
	fx.cb->head[7] = a;
	fx.cb->ready = 1u << 7;
	evtchn_do_upcall();
	evtchn_get_stats(&st);
	CHECK(seen.n == 3 && st.unlinked == 2);
}

/* A hostile Xen that re-links each port as its handler runs: the queue never ends. Each scan
 * stops at its budget, the upcall at its round limit, with upcall_pending left set. */
static evtchn_port_t loop_other[2];

static void relink_other(evtchn_port_t port, void *ctx)
{
	seen.n++;
	fx.array[0][port] = PEND | LINK | loop_other[port == loop_other[0]];
}

static void endless_queue_bounded(void)
{
	struct evtchn_stats st;

	setup();
	memset(&seen, 0, sizeof(seen));
	loop_other[0] = bind_at(31, 7, relink_other);
	loop_other[1] = bind_at(32, 7, relink_other);
	fx.array[0][31] = PEND | LINK | 32;
	fx.array[0][32] = PEND | LINK | 31;
	fx.cb->head[7] = 31;
	fx.cb->ready = 1u << 7;
	fake_si.vcpu_info[0].evtchn_upcall_pending = 1;
	evtchn_do_upcall();				/* returns */
	evtchn_get_stats(&st);
	CHECKF(st.scan_limit == EVTCHN_UPCALL_MAX_LOOPS && st.loop_limit == 1, "%lu scans cut, "
	       "%lu loop limits", st.scan_limit, st.loop_limit);
	CHECKF(seen.n == EVTCHN_UPCALL_MAX_LOOPS * WPP, "%u events", seen.n);
	CHECK(fake_si.vcpu_info[0].evtchn_upcall_pending == 1);	/* Xen calls us again */
	/* The walk resumes where it stopped (the hostile links still hold): one more upcall. */
	evtchn_do_upcall();
	CHECK(seen.n == 2 * EVTCHN_UPCALL_MAX_LOOPS * WPP);
}

/* A port whose handler sends to it again (legitimately re-queued each time). */
static bool resend_stop;

static void resend(evtchn_port_t port, void *ctx)
{
	seen.n++;
	if (!resend_stop)
		fx_raise(port);
}

static void storm_bounded(void)
{
	struct evtchn_stats st;
	evtchn_port_t p;

	setup();
	memset(&seen, 0, sizeof(seen));
	resend_stop = false;
	p = bind_at(9, 7, resend);
	fx_raise(p);
	evtchn_do_upcall();
	evtchn_get_stats(&st);
	CHECK(st.loop_limit == 1 && st.rounds == EVTCHN_UPCALL_MAX_LOOPS);
	CHECK(seen.n == EVTCHN_UPCALL_MAX_LOOPS * WPP);
	CHECK(fake_si.vcpu_info[0].evtchn_upcall_pending == 1);
	/* The storm ends: the next upcall takes the last event, then all is quiet again (the
	 * READY bits kept over are gone, no stale HEAD is walked). */
	resend_stop = true;
	evtchn_do_upcall();
	CHECK(seen.n == EVTCHN_UPCALL_MAX_LOOPS * WPP + 1);
	fake_si.vcpu_info[0].evtchn_upcall_pending = 1;
	evtchn_do_upcall();
	evtchn_get_stats(&st);
	CHECK(seen.n == EVTCHN_UPCALL_MAX_LOOPS * WPP + 1);
	CHECKF(st.unlinked == 0 && st.bad_link == 0, "%lu unlinked", st.unlinked);
	CHECK(fake_si.vcpu_info[0].evtchn_upcall_pending == 0 && fx.cb->ready == 0);
}

/* Ports beyond the first page: a page added when such a port is bound (words MASKED);
 * beyond our table: refused and closed; Xen refusing the page: the bind fails, page back. */
static void array_grows_on_demand(void)
{
	struct evtchn_stats st;
	evtchn_port_t p;
	unsigned int given;

	setup();
	memset(&seen, 0, sizeof(seen));
	CHECK(!evtchn_is_pending(1500) && evtchn_is_masked(1500));	/* no word yet */
	p = bind_at(1500, 7, record);
	CHECK(fx.nr_pages == 2 && fx.ops[EVTCHNOP_expand_array] == 2);
	CHECK(fx.array[1][1500 - WPP] == 0);		/* unmasked by bind_at */
	CHECK(fx.array[1][0] == MASK && fx.array[1][WPP - 1] == MASK);
	fx_raise(p);
	evtchn_do_upcall();
	CHECK(seen.n == 1 && seen.port[0] == p);
	fx.next_port = EVTCHN_NR_PORTS - 1;
	CHECK(evtchn_bind_ipi(0, &p) == 0 && fx.nr_pages == 4);
	fx.next_port = EVTCHN_NR_PORTS;
	CHECK(evtchn_bind_ipi(0, &p) == -ERANGE && fx.nr_pages == 4);
	evtchn_get_stats(&st);
	CHECK(st.array_pages == 4);

	setup();
	given = fx.pages_alloc;
	fx.expand_err = -ENOMEM;
	fx.next_port = 2100;
	CHECK(evtchn_bind_ipi(0, &p) == -ENOMEM);
	CHECK(fx.ops[EVTCHNOP_close] == 1 && fx.nr_pages == 1);
	CHECKF(fx.pages_alloc - fx.pages_free == given, "%u allocated, %u freed, %u given",
	       fx.pages_alloc, fx.pages_free, given);
	evtchn_get_stats(&st);
	CHECK(st.opened == 0 && st.in_use == 0);
}

/* VIRQ_TIMER goes to the highest-priority queue; other VIRQs keep the default. */
static void timer_highest(void)
{
	evtchn_port_t p;

	setup();
	fx.next_port = 15;
	CHECK(evtchn_bind_virq(VIRQ_DEBUG, 0, &p) == 0);
	CHECK(fx.ops[EVTCHNOP_set_priority] == 0);
	CHECK(evtchn_bind_virq(VIRQ_TIMER, 0, &p) == 0);
	CHECK(fx.ops[EVTCHNOP_set_priority] == 1 && fx.last_prio_port == p &&
	      fx.last_prio == EVTCHN_PRIO_HIGHEST);
	CHECK(evtchn_set_priority(p, 16) == -EINVAL);
	CHECK(evtchn_set_priority(EVTCHN_NR_PORTS, 1) == -EINVAL);
	CHECK(fx.ops[EVTCHNOP_set_priority] == 1);
}

/* Xen takes the control block, then refuses the array page: no way back to 2-level. */
static void failure_after_switch(void)
{
	/* A Xen whose expand_array fails. */
	fx_reset();
	fx_bi.env = BOOT_XEN_PVH;
	fx.expand_err = -ENOMEM;
	CHECK(evtchn_init(&fx_bi) == -ENOMEM);
	CHECK(evtchn_fifo_active() && evtchn_abi() == NULL);
	CHECK(fx.pages_free == 1);			/* the array page, never the control block */
	/* Refused outright: 2-level, every page back. */
	fx_reset();
	fx.refuse_init = true;
	CHECK(evtchn_init(&fx_bi) == 0);
	CHECK(!evtchn_fifo_active() && !strcmp(evtchn_abi()->name, "2l"));
	CHECK(fx.pages_alloc == fx.pages_free);
}

/* evtchn_init() again on the same boot: Xen keeps FIFO; every word masked, walks forgotten. */
static void reinit_keeps_fifo(void)
{
	evtchn_port_t p;

	setup();
	p = bind_at(17, 7, record);
	CHECK(!evtchn_is_masked(p));
	CHECK(evtchn_init(&fx_bi) == 0);
	CHECK(!strcmp(evtchn_abi()->name, "fifo") && fx.ops[EVTCHNOP_init_control] == 1);
	CHECK(evtchn_is_masked(p));
	/* Not even the command line can take us back to 2-level now. */
	strcpy(fx_bi.cmdline, EVTCHN_CMDLINE_KEY "=2l");
	CHECK(evtchn_init(&fx_bi) == 0);
	fx_bi.cmdline[0] = 0;
	CHECK(!strcmp(evtchn_abi()->name, "fifo") && fx.ops[EVTCHNOP_init_control] == 1);
}

/* The domain is new (a restore): Xen there has no control block or array page of ours and
 * no port; what our pages hold is whatever the old domain left. */
static void fx_new_domain(void)
{
	fx.cb = NULL;
	fx.cb_gfn = 0;
	fx.nr_pages = 0;
	memset(fx.tail, 0, sizeof(fx.tail));
	memset(fx.peer, 0, sizeof(fx.peer));
	fx.next_port = 1;
}

/*
 * evtchn_resume(): the same control block and array pages given to the new domain's Xen, in
 * port order, every word masked and the queues empty; the port table emptied (the ports
 * counted as lost, not closed; no EVTCHNOP_close for ports that no longer exist); new ports
 * work. Xen refusing the control block there is returned, with no ABI left.
 */
static void resume_new_domain(void)
{
	struct evtchn_fifo_control_block *cb;
	event_word_t *pages[2];
	struct evtchn_stats st;
	evtchn_port_t p, t;
	uint64_t gfn;

	setup();
	memset(&seen, 0, sizeof(seen));
	p = bind_at(17, 7, record);
	bind_at(1500, 3, record);
	fx.next_port = 40;
	CHECK(evtchn_bind_virq(VIRQ_TIMER, 0, &t) == 0);
	CHECK(fx.nr_pages == 2);
	cb = fx.cb;
	gfn = fx.cb_gfn;
	pages[0] = fx.array[0];
	pages[1] = fx.array[1];
	fx_new_domain();
	pages[0][17] = PEND | LINK | 99;	/* what the old domain left behind */
	pages[1][5] = PEND;
	cb->ready = 0xffff;
	cb->head[3] = 1500;
	CHECK(evtchn_resume() == 0);
	CHECK(fx.ops[EVTCHNOP_init_control] == 2 && fx.cb == cb && fx.cb_gfn == gfn);
	CHECK(fx.ops[EVTCHNOP_expand_array] == 4 && fx.nr_pages == 2);
	CHECK(fx.array[0] == pages[0] && fx.array[1] == pages[1]);
	for (unsigned int i = 0; i < 2 * WPP; i++)
		CHECKF(fx.array[i / WPP][i % WPP] == MASK, "word %u = %#x", i,
		       fx.array[i / WPP][i % WPP]);
	CHECK(cb->ready == 0 && cb->head[3] == 0);
	CHECK(fx.ops[EVTCHNOP_close] == 0);
	evtchn_get_stats(&st);
	CHECK(st.lost == 3 && st.in_use == 0 && st.closed == 0 && st.resumes == 1);
	CHECK(evtchn_virq_port(VIRQ_TIMER, &t) == -ENOENT);
	CHECK(evtchn_count(p) == 0);
	/* The port numbers are free again: bound anew, handled, delivered once. */
	CHECK(bind_at(17, 7, record) == 17);
	fx_raise(17);
	evtchn_do_upcall();
	CHECK(seen.n == 1 && seen.port[0] == 17);
	evtchn_get_stats(&st);
	CHECK(st.in_use == 1 && st.opened == 4);

	/* The new domain's Xen refuses FIFO: nothing to deliver with, said by the caller. */
	fx_new_domain();
	fx.refuse_init = true;
	CHECK(evtchn_resume() == -ENOSYS && evtchn_abi() == NULL);
	CHECK(evtchn_resume() == -ENODEV);	/* no ABI: nothing to resume */
	free(cb);				/* Xen holds none of them now: fx_reset can't */
	free(pages[0]);
	free(pages[1]);
}

/* The new domain's Xen takes the control block, then refuses an array page: an error, and only
 * the pages it took count (first the first page refused: none; then the second: one). */
static void resume_expand_refused(void)
{
	struct evtchn_stats st;
	event_word_t *first, *second;

	for (unsigned int ok = 0; ok < 2; ok++) {
		setup();
		bind_at(1500, 7, record);
		CHECK(fx.nr_pages == 2);
		first = fx.array[0];
		second = fx.array[1];
		fx_new_domain();
		fx.expand_err = -ENOMEM;
		fx.expand_ok = ok;
		CHECK(evtchn_resume() == -ENOMEM && evtchn_abi() == NULL);
		memset(&st, 0, sizeof(st));
		evtchn_fifo_ops.get_stats(&st);	/* the layer has no ABI now: ask FIFO itself */
		CHECKF(st.array_pages == ok && fx.nr_pages == ok, "%u array pages, Xen has %u",
		       st.array_pages, fx.nr_pages);
		fx.expand_err = 0;
		fx.expand_ok = 0;
		free(second);			/* never given to the new Xen ... */
		if (!ok)
			free(first);		/* ... nor, here, the first */
	}
}

/* A 2-level domain resumes 2-level: every port masked in the new shared_info. */
static void resume_2l(void)
{
	struct evtchn_stats st;
	evtchn_port_t p;

	fx_reset();
	fx.refuse_init = true;
	fx_bi.env = BOOT_XEN_PVH;
	CHECK(evtchn_init(&fx_bi) == 0 && !strcmp(evtchn_abi()->name, "2l"));
	CHECK(evtchn_bind_ipi(0, &p) == 0);
	memset(&fake_si, 0, sizeof(fake_si));		/* the new domain's shared_info */
	CHECK(evtchn_resume() == 0 && !strcmp(evtchn_abi()->name, "2l"));
	CHECK(fx.ops[EVTCHNOP_init_control] == 1);	/* FIFO never asked for again */
	for (unsigned int w = 0; w < ARRAY_SIZE(fake_si.evtchn_mask); w++)
		CHECK(fake_si.evtchn_mask[w] == ~(xen_ulong_t)0);
	evtchn_get_stats(&st);
	CHECK(st.lost == 1 && st.in_use == 0);
}

UNIT_CASES(
	{ selected_and_registered, "fifo: chosen first; control block and MASKED array page" },
	{ delivered_once, "fifo: loopback event delivered once, word cleared" },
	{ priority_then_fifo_order, "fifo: highest priority first, FIFO order inside a queue" },
	{ high_overtakes_low, "fifo: an event raised meanwhile at higher priority goes first" },
	{ masked_held_until_unmask, "fifo: masked events held; unmask of a pending one via Xen" },
	{ polled_port_cleared, "fifo: a masked, polled port's PENDING cleared, MASKED kept" },
	{ unmask_respects_busy, "fifo: unmask never clears MASKED under BUSY (bounded)" },
	{ bad_links_rejected, "fifo: HEAD/LINK/READY out of range cut the walk, counted" },
	{ link_cycle_broken, "fifo: a LINK cycle ends at the unlinked entry, counted" },
	{ endless_queue_bounded, "fifo: a queue that never ends stops at the scan budget" },
	{ storm_bounded, "fifo: a port re-raised by its handler stops at the loop limit" },
	{ array_grows_on_demand, "fifo: event-array pages added as ports grow; refusal undone" },
	{ timer_highest, "fifo: VIRQ_TIMER at the highest priority, others default" },
	{ failure_after_switch, "fifo: failure after Xen switched is fatal; refusal falls back" },
	{ reinit_keeps_fifo, "fifo: a second init keeps FIFO and masks everything again" },
	{ resume_new_domain, "fifo: resume gives a new domain the same pages, masked, ports lost" },
	{ resume_2l, "fifo: a 2-level domain resumes 2-level, everything masked" },
	{ resume_expand_refused, "fifo: resume with an array page refused: an error, pages counted right" },
);
