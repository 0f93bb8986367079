// SPDX-License-Identifier: MIT
/* xen-guest/evtchn.c with the 2-level ABI against a fake Xen: a shared_info in memory whose
 * pending, mask and selector bits follow Xen's 2-level rules, and an event_channel_op that
 * binds, sends (loopback) and unmasks the way Xen does, and refuses FIFO (an old Xen). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/os.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/pv.h>
#include "unit.h"

#define WORD_BITS	(sizeof(xen_ulong_t) * 8)

static shared_info_t fake_si;
shared_info_t *xen_shared_info;
struct vcpu_info *xen_vcpu0;		/* vCPU 0's registered vcpu_info: NULL, the slot */

static struct {
	evtchn_port_t next_port;	/* what the next bind returns */
	int bind_err;			/* nonzero: binds fail with it */
	evtchn_port_t peer[4096];	/* send(p) raises peer[p] (+1; 0: no peer) */
	unsigned int ops[16];		/* calls per EVTCHNOP_* */
	evtchn_port_t last_closed;
	unsigned int printks;
	unsigned int pages_alloc, pages_free;	/* FIFO's attempt must give its pages back */
} fx;

static struct boot_info fx_bi = { .env = BOOT_XEN_PVH };

/* The frame allocator FIFO's setup asks before Xen refuses: pa chosen so that os_phys_to_virt()
 * (KERNEL_VIRT_BASE + pa, modulo 2^64) is the malloc'd page. */
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
	return pfn;
}

/* The printk evtchn.c reports with; shown as TAP comments. */
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

static bool fx_test_and_set(xen_ulong_t *w, unsigned int bit)
{
	xen_ulong_t old = *w;

	*w |= (xen_ulong_t)1 << bit;
	return old & ((xen_ulong_t)1 << bit);
}

/* vCPU 0's vcpu_info as Xen uses it: the registered one, if any, else the slot. */
static struct vcpu_info *fx_vcpu0(void)
{
	return xen_vcpu0 ? xen_vcpu0 : &fake_si.vcpu_info[0];
}

/* Xen's evtchn_2l_set_pending: the upcall is raised only on an unmasked 0->1 edge. */
static void fx_raise(evtchn_port_t port)
{
	struct vcpu_info *v = fx_vcpu0();

	if (fx_test_and_set(&fake_si.evtchn_pending[port / WORD_BITS], port % WORD_BITS))
		return;
	if (fake_si.evtchn_mask[port / WORD_BITS] & ((xen_ulong_t)1 << (port % WORD_BITS)))
		return;
	if (!fx_test_and_set(&v->evtchn_pending_sel, port / WORD_BITS))
		v->evtchn_upcall_pending = 1;
}

/* Xen's evtchn_2l_unmask: re-raise only if the mask was set and the port is pending. */
static void fx_unmask(evtchn_port_t port)
{
	xen_ulong_t bit = (xen_ulong_t)1 << (port % WORD_BITS);
	struct vcpu_info *v = fx_vcpu0();
	bool was_masked = fake_si.evtchn_mask[port / WORD_BITS] & bit;

	fake_si.evtchn_mask[port / WORD_BITS] &= ~bit;
	if (was_masked && (fake_si.evtchn_pending[port / WORD_BITS] & bit) &&
	    !fx_test_and_set(&v->evtchn_pending_sel, port / WORD_BITS))
		v->evtchn_upcall_pending = 1;
}

int HYPERVISOR_event_channel_op(int cmd, void *arg);
int HYPERVISOR_event_channel_op(int cmd, void *arg)
{
	if (cmd >= 0 && cmd < 16)
		fx.ops[cmd]++;
	switch (cmd) {
	case EVTCHNOP_bind_virq:
		if (fx.bind_err)
			return fx.bind_err;
		((struct evtchn_bind_virq *)arg)->port = fx.next_port++;
		return 0;
	case EVTCHNOP_alloc_unbound:
		if (fx.bind_err)
			return fx.bind_err;
		((struct evtchn_alloc_unbound *)arg)->port = fx.next_port++;
		return 0;
	case EVTCHNOP_bind_interdomain: {
		struct evtchn_bind_interdomain *b = arg;

		if (fx.bind_err)
			return fx.bind_err;
		b->local_port = fx.next_port++;
		if (b->remote_port < 4096 && b->local_port < 4096) {
			fx.peer[b->local_port] = b->remote_port + 1;
			fx.peer[b->remote_port] = b->local_port + 1;
		}
		return 0;
	}
	case EVTCHNOP_bind_ipi:
		if (fx.bind_err)
			return fx.bind_err;
		((struct evtchn_bind_ipi *)arg)->port = fx.next_port++;
		return 0;
	case EVTCHNOP_close:
		fx.last_closed = ((struct evtchn_close *)arg)->port;
		return 0;
	case EVTCHNOP_send: {
		evtchn_port_t p = ((struct evtchn_send *)arg)->port;

		if (p >= 4096 || !fx.peer[p])
			return -EINVAL;
		fx_raise(fx.peer[p] - 1);
		return 0;
	}
	case EVTCHNOP_unmask:
		fx_unmask(((struct evtchn_unmask *)arg)->port);
		return 0;
	}
	return -ENOSYS;
}

/* Fresh fake Xen and a fresh evtchn layer for each case (the ABI line not counted). */
static void setup(void)
{
	memset(&fake_si, 0, sizeof(fake_si));
	memset(&fx, 0, sizeof(fx));
	xen_vcpu0 = NULL;
	fx.next_port = 1;
	xen_shared_info = &fake_si;
	CHECK(evtchn_init(&fx_bi) == 0);
	fx.printks = 0;
}

/* A handler that records what it saw. */
#define LOG_MAX 64
static struct {
	evtchn_port_t port[LOG_MAX];
	void *ctx[LOG_MAX];
	unsigned int n;
} seen;

static void record(evtchn_port_t port, void *ctx)
{
	if (seen.n < LOG_MAX) {
		seen.port[seen.n] = port;
		seen.ctx[seen.n] = ctx;
	}
	seen.n++;
}

static unsigned int seen_count(evtchn_port_t port)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < seen.n && i < LOG_MAX; i++)
		n += seen.port[i] == port;
	return n;
}

/* Bind a port at @port (the fake hands out next_port), with record() and ctx = &seen + port. */
static evtchn_port_t bind_at(evtchn_port_t port)
{
	evtchn_port_t p = ~0u;

	fx.next_port = port;
	CHECK(evtchn_bind_ipi(0, &p) == 0);
	CHECK(p == port);
	CHECK(evtchn_set_handler(p, record, (char *)&seen + p) == 0);
	return p;
}

static void init_masks_all(void)
{
	xen_shared_info = NULL;
	CHECK(evtchn_init(&fx_bi) == -ENODEV);
	setup();
	for (unsigned int w = 0; w < WORD_BITS; w++)
		CHECKF(fake_si.evtchn_mask[w] == ~(xen_ulong_t)0, "mask word %u = %#lx", w,
		       fake_si.evtchn_mask[w]);
	CHECK(evtchn_abi() && !strcmp(evtchn_abi()->name, "2l"));
	CHECK(evtchn_abi()->max_channels() == 4096);
	CHECK(evtchn_init(NULL) == -ENODEV);
}

/* Xen without FIFO: init_control was tried once, refused, its page given back: 2-level. */
static void fifo_refused_falls_back(void)
{
	setup();
	CHECK(fx.ops[EVTCHNOP_init_control] == 1);
	CHECK(fx.ops[EVTCHNOP_expand_array] == 0);
	CHECKF(fx.pages_alloc >= 1 && fx.pages_alloc == fx.pages_free, "%u pages, %u back",
	       fx.pages_alloc, fx.pages_free);
	CHECK(!evtchn_fifo_active());
	CHECK(!strcmp(evtchn_abi()->name, "2l"));
	/* Priorities do not exist here: accepted, nothing sent to Xen. */
	CHECK(evtchn_set_priority(3, EVTCHN_PRIO_HIGHEST) == 0);
	CHECK(evtchn_set_priority(3, EVTCHN_PRIO_LOWEST + 1) == -EINVAL);
	CHECK(fx.ops[EVTCHNOP_set_priority] == 0);
}

/* pvkit.evtchn=2l: FIFO is not even tried; a value we do not know keeps the default. */
static void cmdline_forces_2l(void)
{
	struct boot_info bi = { .env = BOOT_XEN_PV };

	memset(&fx, 0, sizeof(fx));
	strcpy(bi.cmdline, "console=hvc0 " EVTCHN_CMDLINE_KEY "=2l quiet");
	CHECK(evtchn_init(&bi) == 0);
	CHECK(fx.ops[EVTCHNOP_init_control] == 0 && fx.pages_alloc == 0);
	CHECK(!strcmp(evtchn_abi()->name, "2l"));
	memset(&fx, 0, sizeof(fx));
	strcpy(bi.cmdline, EVTCHN_CMDLINE_KEY "=3l");
	CHECK(evtchn_init(&bi) == 0);
	CHECK(fx.ops[EVTCHNOP_init_control] == 1);	/* tried FIFO (and was refused) */
	CHECKF(fx.printks == 3, "%u lines", fx.printks);	/* warning, fallback, abi */
}

static void several_words(void)
{
	static const evtchn_port_t ports[] = { 3, 63, 64, 130, 700, EVTCHN_NR_PORTS - 1 };
	struct vcpu_info *v = &fake_si.vcpu_info[0];
	struct evtchn_stats st;

	setup();
	memset(&seen, 0, sizeof(seen));
	for (unsigned int i = 0; i < 6; i++) {
		bind_at(ports[i]);
		CHECK(evtchn_is_masked(ports[i]));
		CHECK(evtchn_unmask(ports[i]) == 0);
	}
	CHECK(fx.ops[EVTCHNOP_unmask] == 0);		/* nothing pending: no hypercall */
	for (unsigned int i = 0; i < 6; i++)
		fx_raise(ports[i]);
	CHECK(v->evtchn_upcall_pending == 1);
	evtchn_do_upcall();
	CHECKF(seen.n == 6, "%u events", seen.n);
	for (unsigned int i = 0; i < 6; i++) {
		CHECKF(seen_count(ports[i]) == 1, "port %u seen %u times", ports[i],
		       seen_count(ports[i]));
		CHECK(evtchn_count(ports[i]) == 1);
		CHECK(!evtchn_is_pending(ports[i]));
	}
	for (unsigned int i = 0; i < seen.n && i < LOG_MAX; i++)
		CHECK(seen.ctx[i] == (char *)&seen + seen.port[i]);
	CHECK(v->evtchn_upcall_pending == 0 && v->evtchn_pending_sel == 0);
	evtchn_get_stats(&st);
	CHECK(st.upcalls == 1 && st.delivered == 6 && st.unhandled == 0);
}

/* vCPU 0's vcpu_info registered elsewhere (VCPUOP_register_vcpu_info): Xen raises the
 * selector and upcall_pending there only; the upcall must read them there, and the slot in
 * shared_info stays untouched. */
static void registered_vcpu_info(void)
{
	static struct vcpu_info reg;
	static const evtchn_port_t ports[] = { 7, 65, 300 };
	struct vcpu_info *slot = &fake_si.vcpu_info[0];

	setup();
	memset(&reg, 0, sizeof(reg));
	xen_vcpu0 = &reg;
	memset(&seen, 0, sizeof(seen));
	for (unsigned int i = 0; i < 3; i++) {
		bind_at(ports[i]);
		CHECK(evtchn_unmask(ports[i]) == 0);
		fx_raise(ports[i]);
	}
	CHECK(reg.evtchn_upcall_pending == 1 && slot->evtchn_upcall_pending == 0);
	evtchn_do_upcall();
	CHECKF(seen.n == 3, "%u of 3 events delivered from the registered vcpu_info", seen.n);
	CHECK(reg.evtchn_upcall_pending == 0 && reg.evtchn_pending_sel == 0);
	CHECK(slot->evtchn_pending_sel == 0);
	xen_vcpu0 = NULL;
}

static void masked_not_delivered(void)
{
	struct vcpu_info *v = &fake_si.vcpu_info[0];
	evtchn_port_t p;

	setup();
	memset(&seen, 0, sizeof(seen));
	p = bind_at(5);
	fx_raise(p);					/* masked: no upcall from Xen */
	CHECK(v->evtchn_upcall_pending == 0);
	/* Even with a selector bit and an upcall (another port's), it stays held. */
	v->evtchn_pending_sel |= 1;
	v->evtchn_upcall_pending = 1;
	evtchn_do_upcall();
	CHECK(seen.n == 0);
	CHECK(evtchn_is_pending(p));
	CHECK(evtchn_mask(p) == 0 && evtchn_is_masked(p));
	/* Unmask finds it pending and has Xen re-raise it; then it is delivered once. */
	CHECK(evtchn_unmask(p) == 0);
	CHECK(fx.ops[EVTCHNOP_unmask] == 1);
	CHECK(!evtchn_is_masked(p));
	CHECK(v->evtchn_upcall_pending == 1);
	evtchn_do_upcall();
	CHECK(seen.n == 1 && seen.port[0] == 5);
	CHECK(!evtchn_is_pending(p));
	/* Masking again holds the next one. */
	CHECK(evtchn_mask(p) == 0);
	fx_raise(p);
	evtchn_do_upcall();
	CHECK(seen.n == 1);
}

/*
 * A polled port (the Xen PV IPI, docs/smp.md): kept masked, raised, seen pending (what
 * SCHEDOP_poll looks at), cleared by the poller, raised again. Nothing is ever delivered,
 * its neighbours in the same word keep their pending bits, and a bad port is refused.
 */
static void polled_port_cleared(void)
{
	struct vcpu_info *v = &fake_si.vcpu_info[0];
	evtchn_port_t p, q;

	setup();
	memset(&seen, 0, sizeof(seen));
	p = bind_at(66);
	q = bind_at(67);
	fx_raise(p);
	fx_raise(q);
	CHECK(evtchn_is_pending(p) && evtchn_is_masked(p) && !v->evtchn_upcall_pending);
	CHECK(evtchn_clear_pending(p) == 0);
	CHECK(!evtchn_is_pending(p) && evtchn_is_masked(p));
	CHECK(evtchn_is_pending(q));			/* the same word: untouched */
	fx_raise(p);					/* a 0->1 edge again: a poller wakes */
	CHECK(evtchn_is_pending(p));
	CHECK(fake_si.evtchn_pending[1] == (3ul << 2));
	evtchn_do_upcall();
	CHECK(seen.n == 0);
	CHECK(evtchn_clear_pending(p) == 0 && evtchn_clear_pending(q) == 0);
	CHECK(fake_si.evtchn_pending[1] == 0);
	CHECK(evtchn_clear_pending(EVTCHN_NR_PORTS) == -EINVAL);
}

/* Raises another port from inside a handler; the upcall must deliver it before returning. */
static evtchn_port_t chain_to[3];
static unsigned int chain_n;

static void chain(evtchn_port_t port, void *ctx)
{
	record(port, ctx);
	if (chain_n < 3)
		fx_raise(chain_to[chain_n++]);
}

static void handler_raises_another(void)
{
	static const evtchn_port_t ports[] = { 70, 300, 65 };
	struct evtchn_stats st;
	evtchn_port_t p;

	setup();
	memset(&seen, 0, sizeof(seen));
	chain_n = 0;
	/* 70 raises a port of a later word, 300 an earlier port of 70's word, 65 raises 70. */
	chain_to[0] = 300;
	chain_to[1] = 65;
	chain_to[2] = 70;
	for (unsigned int i = 0; i < 3; i++) {
		fx.next_port = ports[i];
		CHECK(evtchn_bind_ipi(0, &p) == 0 && p == ports[i]);
		CHECK(evtchn_set_handler(p, chain, NULL) == 0);
		CHECK(evtchn_unmask(p) == 0);
	}
	fx_raise(70);
	evtchn_do_upcall();
	CHECKF(seen.n == 4, "%u events", seen.n);
	CHECK(seen.n == 4 && seen.port[0] == 70 && seen.port[1] == 300 && seen.port[2] == 65 &&
	      seen.port[3] == 70);
	evtchn_get_stats(&st);
	CHECKF(st.upcalls == 1 && st.rounds >= 2, "%lu upcalls %lu rounds", st.upcalls,
	       st.rounds);
	CHECK(fake_si.vcpu_info[0].evtchn_upcall_pending == 0);
}

static void forever(evtchn_port_t port, void *ctx)
{
	fx_raise(port);
}

static void storm_is_bounded(void)
{
	struct evtchn_stats st;
	evtchn_port_t p;

	setup();
	fx.next_port = 9;
	CHECK(evtchn_bind_ipi(0, &p) == 0);
	CHECK(evtchn_set_handler(p, forever, NULL) == 0);
	CHECK(evtchn_unmask(p) == 0);
	fx_raise(p);
	evtchn_do_upcall();				/* returns, does not spin forever */
	evtchn_get_stats(&st);
	CHECKF(st.rounds == EVTCHN_UPCALL_MAX_LOOPS && st.loop_limit == 1, "%lu rounds",
	       st.rounds);
	CHECK(evtchn_count(p) == EVTCHN_UPCALL_MAX_LOOPS);
	CHECK(fake_si.vcpu_info[0].evtchn_upcall_pending == 1);	/* Xen calls us again */
}

static void no_handler_counted(void)
{
	struct evtchn_stats st;
	evtchn_port_t p;

	setup();
	memset(&seen, 0, sizeof(seen));
	fx.next_port = 12;
	CHECK(evtchn_bind_ipi(0, &p) == 0);
	CHECK(evtchn_unmask(p) == 0);
	for (unsigned int i = 0; i < 5; i++) {
		fx_raise(p);
		evtchn_do_upcall();
	}
	evtchn_get_stats(&st);
	CHECK(st.unhandled == 5 && st.delivered == 0);
	CHECKF(fx.printks == 3, "%u reports", fx.printks);	/* then quiet */
	CHECK(!evtchn_is_pending(p));
	/* A handler set later gets the next one. */
	CHECK(evtchn_set_handler(p, record, NULL) == 0);
	CHECK(evtchn_set_handler(p, record, NULL) == -EBUSY);
	fx_raise(p);
	evtchn_do_upcall();
	CHECK(seen.n == 1 && evtchn_count(p) == 1);
	evtchn_clear_handler(p);
	fx_raise(p);
	evtchn_do_upcall();
	CHECK(seen.n == 1);
}

static void out_of_range_rejected(void)
{
	evtchn_port_t p = 77;

	setup();
	/* Xen hands out a port beyond our table: closed again, -ERANGE. */
	fx.next_port = 5000;
	CHECK(evtchn_bind_virq(VIRQ_TIMER, 0, &p) == -ERANGE);
	CHECK(fx.ops[EVTCHNOP_set_priority] == 0);
	CHECK(fx.ops[EVTCHNOP_close] == 1 && fx.last_closed == 5000);
	CHECK(p == 77);
	CHECK(evtchn_virq_port(VIRQ_TIMER, &p) == -ENOENT);
	fx.next_port = EVTCHN_NR_PORTS;
	CHECK(evtchn_alloc_unbound(DOMID_SELF, &p) == -ERANGE);
	CHECK(evtchn_bind_interdomain(DOMID_SELF, 1, &p) == -ERANGE);
	CHECK(evtchn_bind_ipi(0, &p) == -ERANGE);
	CHECK(fx.ops[EVTCHNOP_close] == 4);
	/* Bad arguments are refused before any hypercall. */
	CHECK(evtchn_bind_virq(NR_VIRQS, 0, &p) == -EINVAL);
	CHECK(evtchn_bind_virq(~0u, 0, &p) == -EINVAL);
	CHECK(fx.ops[EVTCHNOP_bind_virq] == 1);
	CHECK(evtchn_virq_port(NR_VIRQS, &p) == -EINVAL);
	CHECK(evtchn_mask(EVTCHN_NR_PORTS) == -EINVAL);
	CHECK(evtchn_mask(4096) == -EINVAL);
	CHECK(evtchn_unmask(EVTCHN_NR_PORTS) == -EINVAL);
	CHECK(evtchn_unmask(~0u) == -EINVAL);
	CHECK(evtchn_send(~0u) == -EINVAL);
	CHECK(evtchn_close(~0u) == -EINVAL);
	CHECK(evtchn_set_handler(EVTCHN_NR_PORTS, record, NULL) == -EINVAL);
	CHECK(evtchn_set_handler(1, NULL, NULL) == -EINVAL);
	CHECK(evtchn_is_masked(~0u) && !evtchn_is_pending(~0u) && evtchn_count(~0u) == 0);
	evtchn_clear_handler(~0u);				/* harmless */
	CHECK(fx.ops[EVTCHNOP_send] == 0 && fx.ops[EVTCHNOP_unmask] == 0);
	/* And a hypercall's own error comes back unchanged. */
	fx.bind_err = -ENOSPC;
	CHECK(evtchn_bind_ipi(0, &p) == -ENOSPC);
}

/* Something unmasked a port nobody bound and it fired: counted as unhandled, and (our table
 * covers all 4096 2-level ports) no array indexed out of range (ASan would say). */
static void stray_port_unhandled(void)
{
	const evtchn_port_t p = 4095;
	struct evtchn_stats st;

	setup();
	fake_si.evtchn_mask[p / WORD_BITS] &= ~((xen_ulong_t)1 << (p % WORD_BITS));
	fx_raise(p);
	evtchn_do_upcall();
	evtchn_get_stats(&st);
	CHECK(st.unhandled == 1 && st.delivered == 0 && st.out_of_range == 0);
	/* A selector claiming every word, with nothing pending: nothing happens. */
	fake_si.vcpu_info[0].evtchn_pending_sel = ~(xen_ulong_t)0;
	fake_si.vcpu_info[0].evtchn_upcall_pending = 1;
	evtchn_do_upcall();
	evtchn_get_stats(&st);
	CHECK(st.delivered == 0 && st.upcalls == 2);
	CHECK(st.bad_link == 0 && st.array_pages == 0);	/* no FIFO counters on 2-level */
}

static void close_forgets(void)
{
	evtchn_port_t p, q;

	setup();
	fx.next_port = 20;
	CHECK(evtchn_bind_virq(VIRQ_TIMER, 0, &p) == 0 && p == 20);
	CHECK(evtchn_virq_port(VIRQ_TIMER, &q) == 0 && q == 20);
	CHECK(evtchn_set_handler(p, record, NULL) == 0);
	CHECK(evtchn_unmask(p) == 0);
	CHECK(evtchn_close(p) == 0);
	CHECK(fx.ops[EVTCHNOP_close] == 1 && fx.last_closed == 20);
	CHECK(evtchn_is_masked(p));
	CHECK(evtchn_virq_port(VIRQ_TIMER, &q) == -ENOENT);
	CHECK(evtchn_set_handler(p, record, NULL) == 0);	/* free again */
}

/* The leak-check counters: ports bound through us, closed again, in use; closing a port we
 * did not bind (the console's) does not make in_use go below zero. */
static void open_close_counted(void)
{
	struct evtchn_stats st;
	evtchn_port_t a, b;

	setup();
	for (unsigned int i = 0; i < 100; i++) {
		fx.next_port = 10 + i % 7;
		CHECK(evtchn_alloc_unbound(DOMID_SELF, &a) == 0);
		CHECK(evtchn_bind_interdomain(DOMID_SELF, a, &b) == 0);
		CHECK(evtchn_close(b) == 0);
		CHECK(evtchn_close(a) == 0);
	}
	fx.next_port = 40;
	CHECK(evtchn_bind_ipi(0, &a) == 0);
	evtchn_get_stats(&st);
	CHECKF(st.opened == 201 && st.closed == 200 && st.in_use == 1, "%lu %lu %u", st.opened,
	       st.closed, st.in_use);
	CHECK(evtchn_close(2) == 0);			/* never bound through us */
	CHECK(evtchn_close(a) == 0 && evtchn_close(a) == 0);	/* twice: counted once */
	evtchn_get_stats(&st);
	CHECKF(st.closed == 201 && st.in_use == 0, "%lu %u", st.closed, st.in_use);
}

static void loopback_send(void)
{
	evtchn_port_t a, b;

	setup();
	memset(&seen, 0, sizeof(seen));
	fx.next_port = 4;
	CHECK(evtchn_alloc_unbound(DOMID_SELF, &a) == 0);
	CHECK(evtchn_bind_interdomain(DOMID_SELF, a, &b) == 0);
	CHECK(evtchn_set_handler(a, record, NULL) == 0);
	CHECK(evtchn_unmask(a) == 0);
	CHECK(evtchn_send(b) == 0);
	evtchn_do_upcall();
	CHECK(seen.n == 1 && seen.port[0] == a);
}

static void before_init(void)
{
	evtchn_port_t p;

	/* A fresh layer with no ABI: everything refuses, an upcall only lowers the flag. */
	memset(&fake_si, 0, sizeof(fake_si));
	xen_shared_info = NULL;
	CHECK(evtchn_init(&fx_bi) == -ENODEV);
	CHECK(evtchn_abi() == NULL);
	CHECK(evtchn_bind_ipi(0, &p) == -EINVAL && evtchn_mask(1) == -EINVAL);
	xen_shared_info = &fake_si;
	fake_si.vcpu_info[0].evtchn_upcall_pending = 1;
	evtchn_do_upcall();
	CHECK(fake_si.vcpu_info[0].evtchn_upcall_pending == 0);
}

UNIT_CASES(
	{ init_masks_all, "evtchn: init needs shared_info and masks every port" },
	{ fifo_refused_falls_back, "evtchn: Xen refusing FIFO: 2-level, pages given back" },
	{ cmdline_forces_2l, "evtchn: pvkit.evtchn=2l skips FIFO; an unknown value warns" },
	{ several_words, "evtchn: pending ports across several words, each delivered once" },
	{ registered_vcpu_info, "evtchn: vCPU 0's registered vcpu_info is the one scanned" },
	{ masked_not_delivered, "evtchn: masked ports held; unmask re-raises a pending one" },
	{ polled_port_cleared, "evtchn: a masked, polled port's pending bit cleared alone" },
	{ handler_raises_another, "evtchn: events raised by a handler arrive in the same upcall" },
	{ storm_is_bounded, "evtchn: a port raised forever stops at the loop limit" },
	{ no_handler_counted, "evtchn: a port with no handler is ignored and counted" },
	{ out_of_range_rejected, "evtchn: ports out of range rejected by bind/mask/unmask/send" },
	{ stray_port_unhandled, "evtchn: a stray event or selector is counted, nothing indexed" },
	{ close_forgets, "evtchn: close masks and forgets handler and VIRQ" },
	{ open_close_counted, "evtchn: opened/closed/in_use counted for leak checks" },
	{ loopback_send, "evtchn: loopback send reaches the other end" },
	{ before_init, "evtchn: before init everything refuses" },
);
