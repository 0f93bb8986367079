// SPDX-License-Identifier: MIT
/*
 * The 2-level event-channel ABI (public/xen.h, shared_info): a pending and a mask bit per
 * port, 64 words of 64 bits, and a per-vCPU selector word whose bit w says "pending word w
 * may have news". The fallback when Xen refuses FIFO, or when `pvkit.evtchn=2l` forces it.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/xen/evtchn.h>
#include <pvkit/xen/pv.h>
#ifdef __PVKIT_KERNEL__
#include <pvkit/xen/hypercall.h>
#else
/* Hosted unit test (tests/unit/test_evtchn.c): a fake Xen answers the hypercall. */
int HYPERVISOR_event_channel_op(int cmd, void *arg);
#endif

#define EVTCHN_2L_WORD_BITS	(sizeof(xen_ulong_t) * 8)
#define EVTCHN_2L_WORD(port)	((port) / EVTCHN_2L_WORD_BITS)
#define EVTCHN_2L_BIT(port)	((xen_ulong_t)1 << ((port) % EVTCHN_2L_WORD_BITS))

/* Our table covers the whole ABI: no pending bit can name a port beyond it. */
BUILD_BUG_ON(EVTCHN_NR_PORTS > EVTCHN_2L_NR_CHANNELS);

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

static void evtchn_2l_clear_pending(evtchn_port_t port)
{
	__atomic_fetch_and(&xen_shared_info->evtchn_pending[EVTCHN_2L_WORD(port)],
			   ~EVTCHN_2L_BIT(port), __ATOMIC_SEQ_CST);
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
static int evtchn_2l_setup(const struct boot_info *bi)
{
	for (unsigned int w = 0; w < ARRAY_SIZE(xen_shared_info->evtchn_mask); w++)
		__atomic_store_n(&xen_shared_info->evtchn_mask[w], ~(xen_ulong_t)0,
				 __ATOMIC_SEQ_CST);
	return 0;
}

/* A new domain: its shared_info is a new page; mask everything there, as at boot. */
static int evtchn_2l_resume(void)
{
	return evtchn_2l_setup(NULL);
}

/* One scan: take the selector, then per flagged word the pending-and-unmasked bits, each
 * cleared atomically before its handler runs. At most 64 x 64 ports: bounded by the ABI. */
static void evtchn_2l_handle_events(void)
{
	shared_info_t *s = xen_shared_info;
	xen_ulong_t sel, bits, old;
	unsigned int w, b;

	sel = __atomic_exchange_n(&xen_vcpu0_info()->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
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

const struct evtchn_ops evtchn_2l_ops = {
	.name           = "2l",
	.max_channels   = evtchn_2l_max_channels,	/* 4096 on x86-64 */
	.setup          = evtchn_2l_setup,		/* mask all */
	.resume         = evtchn_2l_resume,		/* mask all in the new shared_info */
	.is_pending     = evtchn_2l_is_pending,
	.is_masked      = evtchn_2l_is_masked,
	.clear_pending  = evtchn_2l_clear_pending,
	.mask           = evtchn_2l_mask,
	.unmask         = evtchn_2l_unmask,		/* EVTCHNOP_unmask re-raises */
	.handle_events  = evtchn_2l_handle_events,	/* no priorities, no own counters */
};
