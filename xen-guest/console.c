// SPDX-License-Identifier: MIT
/*
 * The PV console ring (xen/io/console.h). Output works from the first instruction, before any
 * event-channel handling, because sending on a port needs none; input is taken on the ring's
 * event once event channels work (xencons_input_init) into console_in, with flow control. Release Xen refuses
 * HYPERVISOR_console_io from a DomU, so the ring is the console; console_io is kept as a
 * best-effort extra for debug hypervisors and dom0.
 * The backend is not trusted: our producer index is private, a consumer index that claims more
 * than a ring's worth is treated as a broken peer, and waiting for space is bounded.
 */
#include <pvkit/compiler.h>
#include <pvkit/console_in.h>
#include <pvkit/cpu.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/x86.h>
#include <pvkit/xen/console.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/hypercall.h>
#include <pvkit/xen/pv.h>
#include <pvkit/xen/xen.h>
#include <xen/event_channel.h>
#include <xen/hvm/hvm_op.h>
#include <xen/hvm/params.h>
#include <xen/io/console.h>

/* How long output waits for ring space before it is dropped. xenconsoled runs in dom0 and,
 * under TCG on a busy host (a domain just rebooted, hotplug scripts running), has left the ring
 * full for longer than 20000 yields take on PV (~6 ms): lines were lost. Once the clock runs
 * (xencons_input_init, after pv_time_init) the bound is in time; before, in yields. */
#define XENCONS_WAIT_YIELDS	20000
#define XENCONS_WAIT_NS		(5ull * 1000000000)

static struct {
	struct xencons_interface *intf;	/* the shared ring page */
	uint64_t ring_pa;		/* PVH: its guest-physical address, to map it again */
	evtchn_port_t evtchn;		/* to kick xenconsoled */
	XENCONS_RING_IDX out_prod;	/* private copy: the peer cannot move it under us */
	XENCONS_RING_IDX in_cons;	/* private copy of how far we have read input */
	bool broken;			/* the peer's indexes made no sense: stop writing */
	bool in_broken;			/* ... or reading */
	bool in_ready;			/* input handler bound (xencons_input_init) */
	bool clock_ok;			/* os_clock_ns() usable: the wait for space is timed */
	bool stalled;			/* a wait for space gave up: until out_cons moves, ... */
	XENCONS_RING_IDX stalled_cons;	/* ... further output drops at once (never hang) */
	uint64_t dropped;		/* bytes we gave up on (full ring, broken peer) */
} xencons;

static void xencons_notify(void)
{
	struct evtchn_send send = { .port = xencons.evtchn };

	HYPERVISOR_event_channel_op(EVTCHNOP_send, &send);
}

/* Space in the output ring, or -EPROTO when the consumer index is impossible. */
static long xencons_space(void)
{
	XENCONS_RING_IDX cons = READ_ONCE(xencons.intf->out_cons);
	XENCONS_RING_IDX used = xencons.out_prod - cons;

	if (used > sizeof(xencons.intf->out))
		return -EPROTO;
	return sizeof(xencons.intf->out) - used;
}

/* The ring is full: kick xenconsoled and wait, bounded, for it to drain some. Return: true
 * when there is space (or the indexes broke: the caller sees it), false to drop the output. */
static bool xencons_wait_space(void)
{
	uint64_t start = xencons.clock_ok ? os_clock_ns() : 0;

	if (xencons.stalled && READ_ONCE(xencons.intf->out_cons) == xencons.stalled_cons)
		return false;			/* it gave up already and nothing moved since */
	for (unsigned long waited = 0;; waited++) {
		xencons_notify();
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
		if (xencons_space() != 0)
			return true;
		if (xencons.clock_ok ? os_clock_ns() - start > XENCONS_WAIT_NS :
				       waited > XENCONS_WAIT_YIELDS)
			break;
	}
	xencons.stalled = true;			/* nobody drains the ring: drop, never hang */
	xencons.stalled_cons = READ_ONCE(xencons.intf->out_cons);
	return false;
}

static void xencons_write(struct console *con, const char *s, size_t n)
{
	struct xencons_interface *intf = xencons.intf;

	while (n && !xencons.broken) {
		long space = xencons_space();

		if (space < 0) {
			xencons.broken = true;
			break;
		}
		if (space == 0) {
			if (!xencons_wait_space())
				break;
			continue;
		}
		xencons.stalled = false;
		rmb();			/* read out_cons before reusing the slots it freed */
		for (; space > 0 && n; space--, n--, s++)
			intf->out[MASK_XENCONS_IDX(xencons.out_prod++, intf->out)] = *s;
		wmb();			/* the bytes before the index that publishes them */
		WRITE_ONCE(intf->out_prod, xencons.out_prod);
		xencons_notify();
	}
	xencons.dropped += n;
}

static struct console xencons_console = {
	.name = "xencons",
	.write = xencons_write,
};

static void xen_console_io_write(struct console *con, const char *s, size_t n)
{
	HYPERVISOR_console_io(CONSOLEIO_write, n, s);
}

static struct console xen_console_io = {
	.name = "xen-console-io",
	.write = xen_console_io_write,
};

static int hvm_get_param(uint32_t index, uint64_t *value)
{
	struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
	int err = HYPERVISOR_hvm_op(HVMOP_get_param, &p);

	if (!err)
		*value = p.value;
	return err;
}

/* Where the ring is: PV from start_info (machine frame -> our pfn), PVH from HVM params. */
static int xencons_locate(const struct boot_info *bi)
{
	uint64_t pfn, evtchn;
	int err;

	if (bi->env == BOOT_XEN_PV) {
		pfn = xen_pv_mfn_to_pfn(xen_start_info.console.domU.mfn);
		if (pfn == ~0ul)
			return -EINVAL;
		xencons.intf = xen_pv_pfn_to_virt(pfn);
		xencons.evtchn = xen_start_info.console.domU.evtchn;
		return 0;
	}
	err = hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn);
	if (!err)
		err = hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &evtchn);
	if (err)
		return err;
	if (pfn == 0 || pfn >= (4ull << 30) >> PAGE_SHIFT)	/* early map: low 4 GiB only */
		return -EINVAL;
	xencons.ring_pa = pfn << PAGE_SHIFT;
	xencons.intf = (struct xencons_interface *)(uintptr_t)xencons.ring_pa;	/* identity */
	xencons.evtchn = evtchn;
	return 0;
}

void xen_early_console_init(struct boot_info *bi)
{
	int err = 0;

#ifdef CONFIG_XEN_PVH
	if (bi->env == BOOT_XEN_PVH)
		err = xen_pvh_hypercall_init();
#endif
	if (err)
		return;			/* no hypercalls: nothing we can print through */
	console_register(&xen_console_io);
	err = xencons_locate(bi);
	if (err) {
		printk("pvkit: xencons: no console ring (-%s)\n", strerror_name(err));
		return;
	}
	xencons.out_prod = READ_ONCE(xencons.intf->out_prod);
	console_register(&xencons_console);
}

/*
 * Move input from the ring into console_in, as far as it has room (flow control: what does not
 * fit stays in the ring, whose backend then waits). Interrupt context, or interrupts off.
 */
static void xencons_rx(void)
{
	struct xencons_interface *intf = READ_ONCE(xencons.intf);
	XENCONS_RING_IDX cons = xencons.in_cons, prod;

	if (!intf || xencons.in_broken)
		return;
	prod = READ_ONCE(intf->in_prod);
	rmb();				/* the bytes after the index that announced them */
	if (prod - cons > sizeof(intf->in)) {
		xencons.in_broken = true;	/* a peer that claims more than a ring: ignore it */
		printk("pvkit: xencons: input ring indexes corrupt (prod %u cons %u); input off\n",
		       prod, cons);
		return;
	}
	while (cons != prod) {
		char c = intf->in[MASK_XENCONS_IDX(cons, intf->in)];

		if (!console_in_push(&c, 1))
			break;
		cons++;
	}
	if (cons == xencons.in_cons)
		return;
	mb();				/* done reading before the slots are given back */
	xencons.in_cons = cons;
	WRITE_ONCE(intf->in_cons, cons);
	xencons_notify();
}

static void xencons_event(evtchn_port_t port, void *ctx)
{
	xencons_rx();
}

int xencons_input_init(void)
{
	int err;

	if (!xencons.intf)
		return -ENODEV;
	xencons.in_cons = READ_ONCE(xencons.intf->in_cons);
	err = evtchn_set_handler(xencons.evtchn, xencons_event, NULL);
	if (!err)
		err = evtchn_unmask(xencons.evtchn);
	if (err)
		return err;
	xencons.in_ready = true;
	xencons.clock_ok = true;	/* services start after pv_time_init (kernel/platform.c) */
	xencons_poll();			/* what arrived before the handler */
	return 0;
}

int xencons_resume_input(void)
{
	xencons.in_ready = false;	/* the old port is gone; the new one below */
	xencons.in_broken = false;
	return xencons_input_init();
}

unsigned int xencons_poll(void)
{
	unsigned long fl;

	if (!xencons.in_ready)
		return 0;
	fl = pv_irq_save();		/* the event handler is the other producer */
	xencons_rx();
	pv_irq_restore(fl);
	return 0;
}

void xencons_remap(void)
{
	struct xencons_interface *intf;

	if (!xencons.ring_pa)
		return;
	intf = os_memremap(xencons.ring_pa, PAGE_SIZE);
	if (!intf)
		xencons.broken = true;		/* output is dropped from now on, never faults */
	else
		WRITE_ONCE(xencons.intf, intf);
}

int xencons_resume_output(const struct boot_info *bi)
{
	struct xencons_interface *old = xencons.intf;
	uint64_t old_pa = xencons.ring_pa;
	int err;

	WRITE_ONCE(xencons.intf, NULL);		/* nothing written while it moves */
	err = xencons_locate(bi);
	if (err)
		return err;
	if (bi->env != BOOT_XEN_PV) {
		if (xencons.ring_pa == old_pa && old)
			xencons.intf = old;		/* same frame: our mapping stays good */
		else
			xencons_remap();
	}
	if (!xencons.intf)
		return -ENOMEM;
	xencons.out_prod = READ_ONCE(xencons.intf->out_prod);	/* the restore may clear it */
	xencons.broken = false;
	xencons.stalled = false;
	return 0;
}

void xencons_flush(void)
{
	for (unsigned int i = 0; xencons.intf && !xencons.broken && i < XENCONS_WAIT_YIELDS; i++) {
		long space = xencons_space();

		if (space < 0 || space == (long)sizeof(xencons.intf->out))
			return;
		xencons_notify();
		HYPERVISOR_sched_op(SCHEDOP_yield, NULL);
	}
}
