// SPDX-License-Identifier: MIT
/*
 * Xen event channels (public/event_channel.h) with the 2-level ABI of public/xen.h: binding,
 * per-port handlers, mask/unmask, send, and the upcall dispatch shared by PV and PVH. Xen and
 * the other domains write shared_info, so nothing read from it is trusted: every loop is
 * bounded and no port indexes an array before it is checked.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/pv.h>
#ifdef __PVKIT_KERNEL__
#include <pvkit/xen/hypercall.h>
#else
/* Hosted unit test (tests/unit/test_evtchn.c): a fake Xen answers the hypercall. */
int HYPERVISOR_event_channel_op(int cmd, void *arg);
#endif

#define EVTCHN_UNHANDLED_REPORTS 3	/* "no handler" lines printed before going quiet */

struct evtchn_port_info {
	evtchn_handler_t fn;		/* NULL: nobody handles this port */
	void *ctx;			/* passed back to fn */
	uint64_t count;			/* events delivered since the port was bound */
};

static struct {
	const struct evtchn_ops *ops;	/* the ABI; NULL until evtchn_init() */
	unsigned int nr_ports;		/* min(EVTCHN_NR_PORTS, ops->max_channels()) */
	struct evtchn_port_info port[EVTCHN_NR_PORTS];	/* indexed only below nr_ports */
	evtchn_port_t virq_port[NR_VIRQS];	/* port + 1 per VIRQ; 0: not bound */
	struct evtchn_stats stats;		/* evtchn_get_stats() */
} evtchn;

/* ------------------------------------------------------------------------------------------ */
/* The 2-level ABI: a pending and a mask bit per port in shared_info, 64 words of 64 bits, and
 * a per-vCPU selector word whose bit w says "pending word w may have news". */

#define EVTCHN_2L_WORD_BITS	(sizeof(xen_ulong_t) * 8)
#define EVTCHN_2L_WORD(port)	((port) / EVTCHN_2L_WORD_BITS)
#define EVTCHN_2L_BIT(port)	((xen_ulong_t)1 << ((port) % EVTCHN_2L_WORD_BITS))

static unsigned int evtchn_2l_max_channels(void)
{
	return EVTCHN_2L_NR_CHANNELS;
}

static bool evtchn_2l_is_pending(evtchn_port_t port)
{
	return __atomic_load_n(&xen_shared_info->evtchn_pending[EVTCHN_2L_WORD(port)],
			       __ATOMIC_ACQUIRE) & EVTCHN_2L_BIT(port);
}

static bool evtchn_2l_is_masked(evtchn_port_t port)
{
	return __atomic_load_n(&xen_shared_info->evtchn_mask[EVTCHN_2L_WORD(port)],
			       __ATOMIC_ACQUIRE) & EVTCHN_2L_BIT(port);
}

static void evtchn_2l_mask(evtchn_port_t port)
{
	__atomic_fetch_or(&xen_shared_info->evtchn_mask[EVTCHN_2L_WORD(port)],
			  EVTCHN_2L_BIT(port), __ATOMIC_SEQ_CST);
}

/*
 * Xen raises the upcall only on a 0->1 pending edge of an unmasked port: one that arrived
 * while masked would wait forever. EVTCHNOP_unmask re-raises it, but only if it finds the
 * mask set, so when we see the port pending we set the mask back and let Xen do the unmask.
 * The same on PV and PVH (where a locally set upcall_pending would not inject the vector).
 */
static void evtchn_2l_unmask(evtchn_port_t port)
{
	xen_ulong_t *mask = &xen_shared_info->evtchn_mask[EVTCHN_2L_WORD(port)];
	struct evtchn_unmask op = { .port = port };

	__atomic_fetch_and(mask, ~EVTCHN_2L_BIT(port), __ATOMIC_SEQ_CST);
	if (!evtchn_2l_is_pending(port))
		return;
	__atomic_fetch_or(mask, EVTCHN_2L_BIT(port), __ATOMIC_SEQ_CST);
	if (HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op))
		__atomic_fetch_and(mask, ~EVTCHN_2L_BIT(port), __ATOMIC_SEQ_CST);
}

/* Every port starts masked: only ports someone unmasks (after setting a handler) interrupt. */
static int evtchn_2l_setup(void)
{
	for (unsigned int w = 0; w < ARRAY_SIZE(xen_shared_info->evtchn_mask); w++)
		__atomic_store_n(&xen_shared_info->evtchn_mask[w], ~(xen_ulong_t)0,
				 __ATOMIC_SEQ_CST);
	return 0;
}

/* One scan: take the selector, then per flagged word the pending-and-unmasked bits, each
 * cleared atomically before its handler runs. At most 64 x 64 ports: bounded by the ABI. */
static void evtchn_2l_handle_events(void)
{
	shared_info_t *s = xen_shared_info;
	xen_ulong_t sel, bits, old;
	unsigned int w, b;

	sel = __atomic_exchange_n(&s->vcpu_info[0].evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
	while (sel) {
		w = __builtin_ctzl(sel);		/* < 64: a bit of a 64-bit word */
		sel &= sel - 1;
		bits = __atomic_load_n(&s->evtchn_pending[w], __ATOMIC_ACQUIRE) &
		       ~__atomic_load_n(&s->evtchn_mask[w], __ATOMIC_ACQUIRE);
		while (bits) {
			b = __builtin_ctzl(bits);
			bits &= bits - 1;
			old = __atomic_fetch_and(&s->evtchn_pending[w], ~((xen_ulong_t)1 << b),
						 __ATOMIC_SEQ_CST);
			if (old & ((xen_ulong_t)1 << b))
				evtchn_deliver(w * EVTCHN_2L_WORD_BITS + b);
		}
	}
}

static const struct evtchn_ops evtchn_2l_ops = {
	.name           = "2-level",
	.max_channels   = evtchn_2l_max_channels,	/* 4096 on x86-64 */
	.setup          = evtchn_2l_setup,		/* mask all */
	.is_pending     = evtchn_2l_is_pending,
	.is_masked      = evtchn_2l_is_masked,
	.mask           = evtchn_2l_mask,
	.unmask         = evtchn_2l_unmask,		/* EVTCHNOP_unmask re-raises */
	.handle_events  = evtchn_2l_handle_events,
};

/* ------------------------------------------------------------------------------------------ */
/* ABI-independent layer. */

static bool evtchn_port_ok(evtchn_port_t port)
{
	return evtchn.ops && port < evtchn.nr_ports;
}

int evtchn_init(void)
{
	const struct evtchn_ops *ops = &evtchn_2l_ops;	/* issue 5: FIFO first, this as fallback */
	int err;

	evtchn.ops = NULL;			/* unusable until this succeeds */
	if (!xen_shared_info)
		return -ENODEV;
	__builtin_memset(&evtchn.port, 0, sizeof(evtchn.port));
	__builtin_memset(&evtchn.virq_port, 0, sizeof(evtchn.virq_port));
	__builtin_memset(&evtchn.stats, 0, sizeof(evtchn.stats));
	err = ops->setup();
	if (err)
		return err;
	evtchn.nr_ports = MIN((unsigned int)EVTCHN_NR_PORTS, ops->max_channels());
	barrier();
	evtchn.ops = ops;
	return 0;
}

const struct evtchn_ops *evtchn_abi(void)
{
	return evtchn.ops;
}

/* A port Xen just gave us: usable only inside our table; start it masked and counted from 0. */
static int evtchn_take_port(evtchn_port_t port, evtchn_port_t *out)
{
	struct evtchn_close close = { .port = port };

	if (port >= evtchn.nr_ports) {
		HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
		return -ERANGE;
	}
	evtchn.ops->mask(port);
	evtchn.port[port].fn = NULL;
	evtchn.port[port].count = 0;
	*out = port;
	return 0;
}

int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port)
{
	struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
	int err;

	if (!evtchn.ops || virq >= NR_VIRQS || !port)
		return -EINVAL;
	err = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);
	if (err)
		return err;
	err = evtchn_take_port(op.port, port);
	if (err)
		return err;
	evtchn.virq_port[virq] = op.port + 1;
	return 0;
}

int evtchn_virq_port(uint32_t virq, evtchn_port_t *port)
{
	if (virq >= NR_VIRQS || !port)
		return -EINVAL;
	if (!evtchn.virq_port[virq])
		return -ENOENT;
	*port = evtchn.virq_port[virq] - 1;
	return 0;
}

int evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
	struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
	int err;

	if (!evtchn.ops || !port)
		return -EINVAL;
	err = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &op);
	if (err)
		return err;
	return evtchn_take_port(op.port, port);
}

int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_port_t *port)
{
	struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
	int err;

	if (!evtchn.ops || !port)
		return -EINVAL;
	err = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &op);
	if (err)
		return err;
	return evtchn_take_port(op.local_port, port);
}

int evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port)
{
	struct evtchn_bind_ipi op = { .vcpu = vcpu };
	int err;

	if (!evtchn.ops || !port)
		return -EINVAL;
	err = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);
	if (err)
		return err;
	return evtchn_take_port(op.port, port);
}

int evtchn_close(evtchn_port_t port)
{
	struct evtchn_close op = { .port = port };

	if (!evtchn_port_ok(port))
		return -EINVAL;
	evtchn.ops->mask(port);
	evtchn_clear_handler(port);
	for (unsigned int v = 0; v < NR_VIRQS; v++)
		if (evtchn.virq_port[v] == port + 1)
			evtchn.virq_port[v] = 0;
	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx)
{
	if (!evtchn_port_ok(port) || !fn)
		return -EINVAL;
	if (evtchn.port[port].fn)
		return -EBUSY;
	evtchn.port[port].ctx = ctx;
	barrier();			/* an upcall seeing fn also sees its ctx */
	WRITE_ONCE(evtchn.port[port].fn, fn);
	return 0;
}

void evtchn_clear_handler(evtchn_port_t port)
{
	if (evtchn_port_ok(port))
		WRITE_ONCE(evtchn.port[port].fn, NULL);
}

int evtchn_mask(evtchn_port_t port)
{
	if (!evtchn_port_ok(port))
		return -EINVAL;
	evtchn.ops->mask(port);
	return 0;
}

int evtchn_unmask(evtchn_port_t port)
{
	if (!evtchn_port_ok(port))
		return -EINVAL;
	evtchn.ops->unmask(port);
	return 0;
}

int evtchn_send(evtchn_port_t port)
{
	struct evtchn_send op = { .port = port };

	if (!evtchn_port_ok(port))
		return -EINVAL;
	return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

bool evtchn_is_pending(evtchn_port_t port)
{
	return evtchn_port_ok(port) && evtchn.ops->is_pending(port);
}

bool evtchn_is_masked(evtchn_port_t port)
{
	return !evtchn_port_ok(port) || evtchn.ops->is_masked(port);
}

uint64_t evtchn_count(evtchn_port_t port)
{
	return evtchn_port_ok(port) ? READ_ONCE(evtchn.port[port].count) : 0;
}

void evtchn_get_stats(struct evtchn_stats *st)
{
	*st = evtchn.stats;
}

void evtchn_deliver(evtchn_port_t port)
{
	struct evtchn_port_info *p;
	evtchn_handler_t fn;

	if (port >= evtchn.nr_ports) {
		/* Unmasked behind our back (all ports start masked): mask it, it has no owner. */
		evtchn.stats.out_of_range++;
		if (port < evtchn.ops->max_channels())
			evtchn.ops->mask(port);
		return;
	}
	p = &evtchn.port[port];
	fn = READ_ONCE(p->fn);
	if (unlikely(!fn)) {
		if (++evtchn.stats.unhandled <= EVTCHN_UNHANDLED_REPORTS)
			printk("pvkit: evtchn: event on port %u with no handler (ignored)\n", port);
		return;
	}
	p->count++;
	evtchn.stats.delivered++;
	fn(port, p->ctx);
}

void evtchn_do_upcall(void)
{
	shared_info_t *s = READ_ONCE(xen_shared_info);
	struct vcpu_info *v;

	if (unlikely(!s))
		return;
	v = &s->vcpu_info[0];
	if (unlikely(!evtchn.ops)) {
		WRITE_ONCE(v->evtchn_upcall_pending, 0);	/* nobody to deliver to yet */
		return;
	}
	evtchn.stats.upcalls++;
	for (unsigned int loop = 0; loop < EVTCHN_UPCALL_MAX_LOOPS; loop++) {
		/* Clear before scanning: Xen sets the selector, then upcall_pending, so anything
		 * raised from here on is seen by the check below (the selector xchg is a full
		 * barrier, so this store is visible before the scan starts). */
		WRITE_ONCE(v->evtchn_upcall_pending, 0);
		evtchn.stats.rounds++;
		evtchn.ops->handle_events();
		if (!__atomic_load_n(&v->evtchn_upcall_pending, __ATOMIC_ACQUIRE))
			return;
	}
	/* Still pending: Xen re-delivers the upcall as soon as we return. */
	evtchn.stats.loop_limit++;
}

void evtchn_upcall_irq(void *ctx)
{
	evtchn_do_upcall();
}
