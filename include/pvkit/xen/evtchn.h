/* SPDX-License-Identifier: MIT */
/*
 * Xen event channels (xen-guest/evtchn.c; Xen public/event_channel.h). Binding, masking,
 * sending, one handler per port, and the upcall dispatch that both PV (event callback) and PVH
 * (upcall vector) call. The ABI-specific parts sit behind struct evtchn_ops: 2-level now, FIFO
 * next to it later. Single vCPU: every port is bound to vCPU 0.
 */
#ifndef PVKIT_XEN_EVTCHN_H
#define PVKIT_XEN_EVTCHN_H

#include <pvkit/types.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

/* Ports we keep a handler for; the 2-level ABI addresses 4096 (EVTCHN_2L_NR_CHANNELS). */
#define EVTCHN_NR_PORTS		1024
/* Rounds of (clear upcall_pending, scan) one upcall makes before leaving the rest for the
 * next one: a port that is re-raised forever cannot hold the vCPU in the dispatcher. */
#define EVTCHN_UPCALL_MAX_LOOPS	64

/*
 * Called with events masked (interrupt context) for an event on @port. The pending bit is
 * already clear, so an event sent while the handler runs is seen again, not lost.
 */
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *ctx);

/* The ABI-specific half: where the pending and mask bits live and how an upcall is scanned. */
struct evtchn_ops {
	const char *name;			/* "2-level", "fifo" */
	/* Ports this ABI can address (2-level: 64 x 64 bits in shared_info). */
	unsigned int (*max_channels)(void);
	/* Take over the ABI at boot: all ports masked (FIFO: register control blocks). */
	int (*setup)(void);
	bool (*is_pending)(evtchn_port_t port);	/* raised and not yet scanned */
	bool (*is_masked)(evtchn_port_t port);	/* held back from the upcall */
	void (*mask)(evtchn_port_t port);	/* atomic: Xen sets pending bits concurrently */
	/* Clear the mask; if the port is pending, make Xen re-raise it (an edge that arrived
	 * while masked is otherwise lost). */
	void (*unmask)(evtchn_port_t port);
	/* One scan: every pending unmasked port has its pending bit cleared atomically, then
	 * goes to evtchn_deliver(). Called with upcall_pending already cleared. */
	void (*handle_events)(void);
};

/* Counters since evtchn_init(); for tests and diagnostics. */
struct evtchn_stats {
	uint64_t upcalls;		/* evtchn_do_upcall() calls */
	uint64_t rounds;		/* scans made inside them */
	uint64_t delivered;		/* events handed to a handler */
	uint64_t unhandled;		/* events on a port with no handler (ignored) */
	uint64_t out_of_range;		/* pending bits on ports >= EVTCHN_NR_PORTS (ignored) */
	uint64_t loop_limit;		/* upcalls that stopped at EVTCHN_UPCALL_MAX_LOOPS */
};

/**
 * evtchn_init() - (re)start the event-channel layer on xen_shared_info: pick the ABI (2-level),
 * mask every port, forget every handler. The upcall itself is wired by the irq backends.
 * Return: 0 or -errno.
 */
int evtchn_init(void);

/** The ABI in use (NULL before evtchn_init()). */
const struct evtchn_ops *evtchn_abi(void);

/* Binding. A new port is masked and has no handler; a port Xen returns at or beyond
 * EVTCHN_NR_PORTS is closed again and the call fails with -ERANGE. */
/** Bind @virq (VIRQ_*, < NR_VIRQS) on @vcpu. Return: 0 with *port, or -errno. */
int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port);
/** The port evtchn_bind_virq() gave for @virq. Return: 0, -EINVAL, -ENOENT (not bound). */
int evtchn_virq_port(uint32_t virq, evtchn_port_t *port);
/** A port for @remote to bind to (DOMID_SELF: loopback). Return: 0 with *port, or -errno. */
int evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);
/** Connect to @remote_port of @remote (DOMID_SELF: loopback). Return: 0 or -errno. */
int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_port_t *port);
/** A port that notifies @vcpu when sent to (an IPI). Return: 0 with *port, or -errno. */
int evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port);
/** Mask @port, drop its handler, EVTCHNOP_close. Return: 0 or -errno (-EINVAL bad port). */
int evtchn_close(evtchn_port_t port);

/** Route @port to @fn(@port, @ctx). Return: 0, -EINVAL (bad port or fn), -EBUSY (taken). */
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx);
/** Drop @port's handler (events on it are then counted as unhandled). */
void evtchn_clear_handler(evtchn_port_t port);

/** Return: 0, or -EINVAL for a port outside the ABI's range. */
int evtchn_mask(evtchn_port_t port);
int evtchn_unmask(evtchn_port_t port);		/* re-raises a pending event */
/** Notify the other end of @port (EVTCHNOP_send). Return: 0 or -errno. */
int evtchn_send(evtchn_port_t port);

bool evtchn_is_pending(evtchn_port_t port);	/* false for a bad port */
bool evtchn_is_masked(evtchn_port_t port);	/* true for a bad port */
uint64_t evtchn_count(evtchn_port_t port);	/* events delivered on @port since bound */
void evtchn_get_stats(struct evtchn_stats *st);

/**
 * evtchn_do_upcall() - the upcall, with events masked: clear upcall_pending, scan, and again
 * while Xen raised it meanwhile (bounded by EVTCHN_UPCALL_MAX_LOOPS).
 */
void evtchn_do_upcall(void);
/** The same as an irq_handler_t for IRQ_VECTOR_XEN_UPCALL (PV and PVH register it). */
void evtchn_upcall_irq(void *ctx);
/** For ABI backends: hand one event on @port to its handler (bounds-checked). */
void evtchn_deliver(evtchn_port_t port);

#endif /* PVKIT_XEN_EVTCHN_H */
