// SPDX-License-Identifier: MIT
/*
 * Xen event channels (public/event_channel.h), the ABI-independent layer: ABI choice (FIFO,
 * else 2-level), binding, per-port handlers, mask/unmask, send, priorities, and the upcall
 * dispatch shared by PV and PVH. Nothing read from shared memory is trusted: every loop is
 * bounded and no port indexes an array before it is checked.
 */
#include <pvkit/cmdline.h>
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
	bool bound;			/* bound through us and not closed: counted in in_use */
};

static struct {
	const struct evtchn_ops *ops;	/* the ABI; NULL until evtchn_init() */
	unsigned int nr_ports;		/* min(EVTCHN_NR_PORTS, ops->max_channels()) */
	struct evtchn_port_info port[EVTCHN_NR_PORTS];	/* indexed only below nr_ports */
	evtchn_port_t virq_port[NR_VIRQS];	/* port + 1 per VIRQ; 0: not bound */
	struct evtchn_stats stats;		/* evtchn_get_stats() */
} evtchn;

static bool evtchn_port_ok(evtchn_port_t port)
{
	return evtchn.ops && port < evtchn.nr_ports;
}

/* FIFO unless the command line forces 2-level (an unknown value is reported, FIFO kept). */
static bool evtchn_want_fifo(const struct boot_info *bi)
{
	char val[8];
	int err;

	err = cmdline_get(bi->cmdline, EVTCHN_CMDLINE_KEY, val, sizeof(val));
	if (err == -ENOENT)
		return true;
	if (!err && !__builtin_strcmp(val, evtchn_2l_ops.name))
		return false;
	if (err || __builtin_strcmp(val, evtchn_fifo_ops.name))
		printk("pvkit: warning: " EVTCHN_CMDLINE_KEY "= takes %s or %s; using %s\n",
		       evtchn_fifo_ops.name, evtchn_2l_ops.name, evtchn_fifo_ops.name);
	return true;
}

/*
 * FIFO first: Xen may refuse it (older or configured without), then 2-level. Once Xen has
 * accepted FIFO's control block there is no way back, so a later FIFO failure is returned.
 */
static int evtchn_choose_abi(const struct boot_info *bi, const struct evtchn_ops **ops)
{
	int err;

	/* FIFO already taken on this boot (a second init): the command line cannot undo it. */
	if (!evtchn_fifo_active() && !evtchn_want_fifo(bi)) {
		printk("pvkit: evtchn: 2-level forced by " EVTCHN_CMDLINE_KEY "=%s\n",
		       evtchn_2l_ops.name);
	} else {
		err = evtchn_fifo_ops.setup(bi);
		if (!err) {
			*ops = &evtchn_fifo_ops;
			return 0;
		}
		if (evtchn_fifo_active()) {
			printk("pvkit: evtchn: FIFO setup failed after Xen switched to it: %d\n",
			       err);
			return err;
		}
		printk("pvkit: evtchn: FIFO refused (%d); falling back to 2-level\n", err);
	}
	*ops = &evtchn_2l_ops;
	return evtchn_2l_ops.setup(bi);
}

int evtchn_init(const struct boot_info *bi)
{
	const struct evtchn_ops *ops = NULL;
	int err;

	evtchn.ops = NULL;			/* unusable until this succeeds */
	if (!xen_shared_info || !bi)
		return -ENODEV;
	__builtin_memset(&evtchn.port, 0, sizeof(evtchn.port));
	__builtin_memset(&evtchn.virq_port, 0, sizeof(evtchn.virq_port));
	__builtin_memset(&evtchn.stats, 0, sizeof(evtchn.stats));
	err = evtchn_choose_abi(bi, &ops);
	if (err)
		return err;
	evtchn.nr_ports = MIN((unsigned int)EVTCHN_NR_PORTS, ops->max_channels());
	barrier();
	evtchn.ops = ops;
	printk(EVTCHN_ABI_LINE, ops->name);
	return 0;
}

int evtchn_resume(void)
{
	const struct evtchn_ops *ops = evtchn.ops;
	int err;

	if (!ops || !xen_shared_info)
		return -ENODEV;
	evtchn.ops = NULL;			/* no upcall delivers while the table changes */
	__builtin_memset(&evtchn.port, 0, sizeof(evtchn.port));
	__builtin_memset(&evtchn.virq_port, 0, sizeof(evtchn.virq_port));
	evtchn.stats.lost += evtchn.stats.in_use;
	evtchn.stats.in_use = 0;
	err = ops->resume();
	if (err)
		return err;
	barrier();
	evtchn.ops = ops;
	evtchn.stats.resumes++;
	return 0;
}

const struct evtchn_ops *evtchn_abi(void)
{
	return evtchn.ops;
}

/* A port Xen just gave us: usable only inside our table (and, FIFO, with its event word);
 * start it masked, with no handler, counted from 0. */
static int evtchn_take_port(evtchn_port_t port, evtchn_port_t *out)
{
	struct evtchn_close close = { .port = port };
	int err = 0;

	if (port >= evtchn.nr_ports)
		err = -ERANGE;
	else if (evtchn.ops->port_setup)
		err = evtchn.ops->port_setup(port);
	if (err) {
		HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
		return err;
	}
	evtchn.ops->mask(port);
	evtchn.port[port].fn = NULL;
	evtchn.port[port].count = 0;
	if (!evtchn.port[port].bound) {
		evtchn.port[port].bound = true;
		evtchn.stats.opened++;
		evtchn.stats.in_use++;
	}
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
	/* Timer first: a late timer event is late time, other events can wait (FIFO only). */
	if (virq == VIRQ_TIMER)
		evtchn_set_priority(op.port, EVTCHN_PRIO_HIGHEST);
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
	if (evtchn.port[port].bound) {
		evtchn.port[port].bound = false;
		evtchn.stats.closed++;
		evtchn.stats.in_use--;
	}
	return HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
}

int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx)
{
	int err;

	if (!evtchn_port_ok(port) || !fn)
		return -EINVAL;
	if (evtchn.port[port].fn)
		return -EBUSY;
	/* A port bound before us (console, xenstore) may still need its FIFO event word. */
	if (evtchn.ops->port_setup) {
		err = evtchn.ops->port_setup(port);
		if (err)
			return err;
	}
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

int evtchn_set_priority(evtchn_port_t port, unsigned int prio)
{
	if (!evtchn_port_ok(port) || prio > EVTCHN_PRIO_LOWEST)
		return -EINVAL;
	if (!evtchn.ops->set_priority)
		return 0;			/* 2-level: one queue, nothing to change */
	return evtchn.ops->set_priority(port, prio);
}

bool evtchn_is_pending(evtchn_port_t port)
{
	return evtchn_port_ok(port) && evtchn.ops->is_pending(port);
}

int evtchn_clear_pending(evtchn_port_t port)
{
	if (!evtchn_port_ok(port))
		return -EINVAL;
	evtchn.ops->clear_pending(port);
	return 0;
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
	if (evtchn.ops && evtchn.ops->get_stats)
		evtchn.ops->get_stats(st);
}

void evtchn_deliver(evtchn_port_t port)
{
	struct evtchn_port_info *p;
	evtchn_handler_t fn;

	if (port >= evtchn.nr_ports) {
		/* Our ABIs never pass one (their words end with our table): an ABI bug, counted. */
		evtchn.stats.out_of_range++;
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
	v = xen_vcpu0_info();
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
