/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Xen event channels (xen-guest/evtchn*.c; Xen public/event_channel.h). Binding, masking,
 * sending, one handler per port, and the upcall dispatch that both PV (event callback) and PVH
 * (upcall vector) call. The ABI-specific parts sit behind struct evtchn_ops: FIFO when Xen
 * offers it, 2-level otherwise. Upcalls come on vCPU 0 only: every port is bound to it (the
 * Xen PV IPI ports too, which stay masked and are polled: docs/smp.md "Xen PV").
 */
#ifndef PVKIT_XEN_EVTCHN_H
#define PVKIT_XEN_EVTCHN_H

#include <pvkit/bootinfo.h>
#include <pvkit/harness.h>
#include <pvkit/types.h>
#include <xen/xen.h>
#include <xen/event_channel.h>

/** Ports we keep a handler for: all that the 2-level ABI addresses (EVTCHN_2L_NR_CHANNELS on
 * x86-64), four FIFO event-array pages. Xen's default limit for a DomU is 1023. */
#define EVTCHN_NR_PORTS		4096
/** Rounds of (clear upcall_pending, scan) one upcall makes before leaving the rest for the
 * next one: a port that is re-raised forever cannot hold the vCPU in the dispatcher. */
#define EVTCHN_UPCALL_MAX_LOOPS	64

/** The kernel command-line switch choosing the ABI: `pvkit.evtchn=2l` forces 2-level,
 * `pvkit.evtchn=fifo` (the default) tries FIFO first. */
#define EVTCHN_CMDLINE_KEY	"pvkit.evtchn"
/** Printed once by evtchn_init() with the ABI's name (issue 5 acceptance looks for it). */
#define EVTCHN_ABI_LINE		HARNESS_EVTCHN_ABI	/* the harness checks it */

/** Priorities (FIFO only; 0 is served first). The 2-level ABI has none: the calls succeed
 * and change nothing. */
#define EVTCHN_PRIO_HIGHEST	EVTCHN_FIFO_PRIORITY_MAX	/**< 0: the timer */
#define EVTCHN_PRIO_DEFAULT	EVTCHN_FIFO_PRIORITY_DEFAULT	/**< 7: every new port */
#define EVTCHN_PRIO_LOWEST	EVTCHN_FIFO_PRIORITY_MIN	/**< 15 */

/**
 * Called with events masked (interrupt context) for an event on @p port. The pending bit is
 * already clear, so an event sent while the handler runs is seen again, not lost.
 */
typedef void (*evtchn_handler_t)(evtchn_port_t port, void *ctx);

struct evtchn_stats;

/** The ABI-specific half: where the pending and mask bits live and how an upcall is scanned.
 * Every port an op receives is below evtchn's table size (EVTCHN_NR_PORTS). */
struct evtchn_ops {
	const char *name;			/**< "2l", "fifo": also the command-line value */
	/** Ports this ABI can address (2-level: 64 x 64 bits in shared_info; FIFO: 2^17). */
	unsigned int (*max_channels)(void);
	/** Take over the ABI at boot: every port masked, FIFO: control block and first event
	 * array page registered. A failure leaves Xen on the ABI it had (see
	 * evtchn_fifo_active() for the one exception). */
	int (*setup)(const struct boot_info *bi);
	/** The domain is new (restore, migration): Xen holds nothing of ours, no old port
	 * exists. Give Xen what setup gave (FIFO: the same control block and array pages),
	 * every port masked. A failure leaves no usable ABI. */
	int (*resume)(void);
	/** Optional: make @p port usable before it is masked and handled (FIFO: add event-array
	 * pages until the port has its word). */
	int (*port_setup)(evtchn_port_t port);
	bool (*is_pending)(evtchn_port_t port);	/**< raised and not yet scanned */
	bool (*is_masked)(evtchn_port_t port);	/**< held back from the upcall */
	/** Clear @p port's pending bit (atomic: Xen sets it concurrently), for a port that is
	 * kept masked and polled (SCHEDOP_poll) rather than delivered: the next event sets it
	 * again, wakes the poller. */
	void (*clear_pending)(evtchn_port_t port);
	void (*mask)(evtchn_port_t port);	/**< atomic: Xen sets pending bits concurrently */
	/** Clear the mask; if the port is pending, make Xen re-raise it (an edge that arrived
	 * while masked is otherwise lost). */
	void (*unmask)(evtchn_port_t port);
	/** Optional: the queue @p port's events go to (EVTCHN_PRIO_*); absent: no priorities. */
	int (*set_priority)(evtchn_port_t port, unsigned int prio);
	/** One scan: every pending unmasked port has its pending bit cleared atomically, then
	 * goes to evtchn_deliver(). Called with upcall_pending already cleared; a scan that
	 * stops early with work left sets upcall_pending again. */
	void (*handle_events)(void);
	/** Optional: add the ABI's own counters (what it found wrong in shared memory). */
	void (*get_stats)(struct evtchn_stats *st);
};

extern const struct evtchn_ops evtchn_2l_ops;	/**< evtchn_2l.c */
extern const struct evtchn_ops evtchn_fifo_ops;	/**< evtchn_fifo.c */

/**
 * evtchn_fifo_active() - has Xen switched this domain to FIFO (EVTCHNOP_init_control
 * succeeded)? Then there is no way back to 2-level short of EVTCHNOP_reset, which would close
 * every port (the console's too): a FIFO setup that fails after that point is fatal.
 * @return true once Xen runs this domain on FIFO.
 */
bool evtchn_fifo_active(void);

/** Counters since evtchn_init(); for tests, diagnostics and leak checks. */
struct evtchn_stats {
	uint64_t upcalls;		/**< evtchn_do_upcall() calls */
	uint64_t rounds;		/**< scans made inside them */
	uint64_t delivered;		/**< events handed to a handler */
	uint64_t unhandled;		/**< events on a port with no handler (ignored) */
	uint64_t out_of_range;		/**< events on ports >= EVTCHN_NR_PORTS (ignored) */
	uint64_t loop_limit;		/**< upcalls that stopped at EVTCHN_UPCALL_MAX_LOOPS */
	uint64_t opened;		/**< ports bound through this layer */
	uint64_t closed;		/**< of those, closed again */
	uint32_t in_use;		/**< opened - closed: what a leak check compares */
	uint64_t lost;			/**< bound when the domain changed (evtchn_resume) */
	uint32_t resumes;		/**< evtchn_resume() calls that succeeded */
	/* FIFO only: what the queues in shared memory got wrong (0 on 2-level). */
	uint64_t bad_link;		/**< HEAD/LINK/READY naming no port of ours: walk cut */
	uint64_t unlinked;		/**< a queue entry without LINKED: walk cut after it */
	uint64_t scan_limit;		/**< scans stopped by their event budget (loop or storm) */
	uint64_t busy_timeout;		/**< unmasks that found BUSY stuck and let Xen unmask */
	uint32_t array_pages;		/**< event-array pages given to Xen */
};

/**
 * evtchn_init() - (re)start the event-channel layer on xen_shared_info: pick the ABI (FIFO
 * unless Xen refuses it or @p bi's command line says `pvkit.evtchn=2l`), mask every port,
 * forget every handler, print EVTCHN_ABI_LINE. The upcall itself is wired by the irq
 * backends.
 * @param bi the boot information (its command line).
 * @return 0 or -errno.
 */
int evtchn_init(const struct boot_info *bi);

/**
 * evtchn_resume() - we run in a new domain (SCHEDOP_shutdown(SHUTDOWN_suspend) returned 0):
 * every port of the old one is gone. The ABI is set up again on the same pages, the port
 * table emptied (the ports bound are counted as lost, not closed), VIRQ bindings forgotten.
 * Each owner binds its ports again. xen_shared_info must already be the new domain's.
 * @return 0 or -errno (no event channels: the caller cannot go on).
 */
int evtchn_resume(void);

/**
 * evtchn_abi() - the ABI in use.
 * @return it, or NULL before evtchn_init().
 */
const struct evtchn_ops *evtchn_abi(void);

/**
 * @name Binding
 * A new port is masked, has no handler and the default priority; a port Xen returns at or
 * beyond EVTCHN_NR_PORTS is closed again and the call fails with -ERANGE.
 */
/** @{ */

/**
 * evtchn_bind_virq() - bind a virtual interrupt (VIRQ_TIMER gets the highest priority).
 * @param virq VIRQ_*, below NR_VIRQS.
 * @param vcpu the vCPU (0).
 * @param port receives the port.
 * @return 0 or -errno.
 */
int evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port);

/**
 * evtchn_virq_port() - the port evtchn_bind_virq() gave for @p virq.
 * @param virq VIRQ_*.
 * @param port receives the port.
 * @return 0, -EINVAL, -ENOENT (not bound).
 */
int evtchn_virq_port(uint32_t virq, evtchn_port_t *port);

/**
 * evtchn_alloc_unbound() - a port for @p remote to bind to (a frontend offers it to its
 * backend through xenstore).
 * @param remote the other domain (DOMID_SELF: loopback).
 * @param port   receives the port.
 * @return 0 or -errno.
 */
int evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port);

/**
 * evtchn_bind_interdomain() - connect to a port another domain allocated for us.
 * @param remote      the other domain (DOMID_SELF: loopback).
 * @param remote_port its port.
 * @param port        receives our end.
 * @return 0 or -errno.
 */
int evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port, evtchn_port_t *port);

/**
 * evtchn_bind_ipi() - a port that notifies @p vcpu when sent to (an IPI).
 * @param vcpu the vCPU (0).
 * @param port receives the port.
 * @return 0 or -errno (-EINVAL for a bad vCPU).
 */
int evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port);

/**
 * evtchn_close() - mask @p port, drop its handler, EVTCHNOP_close.
 * @param port the port.
 * @return 0 or -errno (-EINVAL bad port).
 */
int evtchn_close(evtchn_port_t port);
/** @} */

/**
 * evtchn_set_handler() - route @p port's events to @p fn(@p port, @p ctx). One handler per
 * port: a second claim is refused.
 * @param port the port.
 * @param fn   the handler.
 * @param ctx  passed to @p fn.
 * @return 0, -EINVAL (bad port or fn), -EBUSY (taken).
 */
int evtchn_set_handler(evtchn_port_t port, evtchn_handler_t fn, void *ctx);

/**
 * evtchn_clear_handler() - drop @p port's handler (events on it are then counted as
 * unhandled).
 * @param port the port.
 */
void evtchn_clear_handler(evtchn_port_t port);

/**
 * evtchn_mask() - hold @p port's events back from the upcall.
 * @param port the port.
 * @return 0, or -EINVAL for a port outside the ABI's range.
 */
int evtchn_mask(evtchn_port_t port);

/**
 * evtchn_unmask() - let @p port's events through again; one that arrived while masked is
 * raised again, not lost.
 * @param port the port.
 * @return 0, or -EINVAL for a port outside the ABI's range.
 */
int evtchn_unmask(evtchn_port_t port);

/**
 * evtchn_send() - notify the other end of @p port (EVTCHNOP_send).
 * @param port the port.
 * @return 0 or -errno.
 */
int evtchn_send(evtchn_port_t port);

/**
 * evtchn_set_priority() - queue @p port's future events at @p prio (FIFO serves lower
 * numbers first).
 * @param port the port.
 * @param prio EVTCHN_PRIO_*.
 * @return 0 (also on 2-level, which has no priorities), -EINVAL.
 */
int evtchn_set_priority(evtchn_port_t port, unsigned int prio);

/**
 * evtchn_is_pending() - is an event raised on @p port and not yet scanned?
 * @param port the port.
 * @return true if so; false for a bad port.
 */
bool evtchn_is_pending(evtchn_port_t port);

/**
 * evtchn_clear_pending() - for a port kept masked and polled (SCHEDOP_poll waits until a
 * port is pending, and Xen wakes pollers only when a pending bit goes from 0 to 1): clear
 * its pending bit before looking for the work it announces and polling again.
 * @param port the port.
 * @return 0, or -EINVAL for a port outside the ABI's range.
 */
int evtchn_clear_pending(evtchn_port_t port);

/**
 * evtchn_is_masked() - is @p port masked?
 * @param port the port.
 * @return true if so; true for a bad port.
 */
bool evtchn_is_masked(evtchn_port_t port);

/**
 * evtchn_count() - events delivered on @p port since it was bound (tests, diagnostics).
 * @param port the port.
 * @return the count.
 */
uint64_t evtchn_count(evtchn_port_t port);

/**
 * evtchn_get_stats() - a copy of the counters, the ABI's own added.
 * @param st receives them.
 */
void evtchn_get_stats(struct evtchn_stats *st);

/**
 * evtchn_do_upcall() - the upcall, with events masked: clear upcall_pending, scan, and again
 * while Xen raised it meanwhile (bounded by EVTCHN_UPCALL_MAX_LOOPS).
 */
void evtchn_do_upcall(void);

/**
 * evtchn_upcall_irq() - evtchn_do_upcall() as an irq_handler_t for IRQ_VECTOR_XEN_UPCALL
 * (PV and PVH register it).
 * @param ctx unused.
 */
void evtchn_upcall_irq(void *ctx);

/**
 * evtchn_deliver() - for ABI backends: hand one event on @p port to its handler
 * (bounds-checked: a port beyond the table is counted, not followed).
 * @param port the port.
 */
void evtchn_deliver(evtchn_port_t port);

#endif /* PVKIT_XEN_EVTCHN_H */
