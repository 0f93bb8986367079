/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Xen virtual network interfaces: the frontend of the netif protocol, xen/io/netif.h, on
 * xenbus (`device/vif/<id>`). Each vif becomes a struct netdev (eth0, eth1, ...) used through
 * include/pvkit/netdev.h by the IP stack; this header is for bring-up, hot-plug, diagnostics
 * and tests. The device itself stays opaque (struct netfront_dev). docs/netfront.md.
 */
#ifndef PVKIT_XEN_NETFRONT_H
#define PVKIT_XEN_NETFRONT_H

#include <pvkit/bootinfo.h>
#include <pvkit/netdev.h>
#include <pvkit/types.h>
#include <pvkit/xen/xenbus.h>	/* XENBUS_PATH_MAX */

#define NETFRONT_MAX_DEVS	4	/**< vifs at once (hot-plugged ones included) */
#define NETFRONT_MAX_QUEUES	4	/**< queue pairs we ask for at most (even on 1 vCPU) */
#define NETFRONT_CONNECT_NS	(60ull * 1000000000)	/**< boot: wait for the vifs (TCG) */
/** `pvkit.netfront=0` on the command line: leave every vif alone (tests that drive a vif's
 * xenbus handshake themselves, tests/guest/test_xenstore.c). */
#define NETFRONT_CMDLINE_KEY	"pvkit.netfront"

/** Opaque: the driver's per-vif state. */
struct netfront_dev;

/**
 * netfront_init() - watch device/vif (vifs present now and those attached later with
 * `xl network-attach`), connect every vif found, and wait (bounded by NETFRONT_CONNECT_NS)
 * until each is connected or has failed. Later changes are handled from the idle loop.
 * Task context.
 * @param bi the boot information (its command line, for NETFRONT_CMDLINE_KEY).
 * @return 0 (also when switched off), or -errno when the watch failed.
 */
int netfront_init(const struct boot_info *bi);

/** Per-vif counters and what was negotiated (tests, the console, docs). */
struct netfront_stats {
	char nodename[XENBUS_PATH_MAX];	/**< "device/vif/0" */
	char backend[XENBUS_PATH_MAX];	/**< the backend's directory */
	uint32_t queues;		/**< queue pairs in use */
	bool split_evtchn;		/**< a tx and an rx port per queue */
	/** @{ */
	bool sg, csum_tx, rx_notify;	/**< negotiated: see docs/netfront.md */
	/** @} */
	uint32_t mtu;			/**< the interface's MTU */
	/** @{ */
	uint32_t tx_ids, rx_bufs;	/**< per queue: tx slots, rx buffers posted */
	/** @} */
	/** @{ */
	uint64_t tx_frames, tx_slots;	/**< frames / ring slots sent, all queues */
	/** @} */
	uint64_t tx_multi;		/**< frames that took more than one slot */
	uint64_t tx_csum_offload;	/**< frames sent with NETTXF_csum_blank */
	uint64_t tx_csum_sw;		/**< partial checksums completed here (no offload) */
	/** @{ */
	uint64_t tx_done, tx_errors;	/**< tx slots answered (all), answered with an error */
	/** @} */
	uint64_t tx_failed;		/**< slots still in flight when the vif went away */
	uint64_t tx_busy;		/**< tx refused: no free slot (-EBUSY) */
	/** @{ */
	uint64_t rx_frames, rx_slots;	/**< frames handed up / slots consumed */
	/** @} */
	uint64_t rx_multi;		/**< frames of more than one slot */
	uint64_t rx_extras;		/**< extra-info slots consumed */
	uint64_t rx_csum_blank;		/**< frames whose partial checksum we completed */
	uint64_t rx_csum_valid;		/**< frames the backend vouched for (data_validated) */
	uint64_t rx_dropped;		/**< frames dropped (bad slot, too long, no memory) */
	/** @{ */
	uint64_t events, notifies;	/**< event upcalls; kicks we sent */
	/** @} */
	/** @{ */
	uint64_t grants, grant_ends;	/**< per-request grants made / ended */
	/** @} */
	uint64_t grant_deferred;	/**< ends the backend held up (page retired) */
	/* Responses rejected (docs/netfront.md, "Hardening"): */
	uint64_t bad_id;		/**< id out of range */
	uint64_t not_in_flight;		/**< id of no request in flight (duplicate, stale) */
	uint64_t bad_offset;		/**< rx offset + size beyond the page */
	uint64_t bad_status;		/**< status no response of that kind may carry */
	uint64_t bad_flags;		/**< flags we did not negotiate, bad extra-info */
	uint64_t long_chain;		/**< more_data / extra chains over the bound */
	uint64_t ring_errors;		/**< rsp_prod beyond what we produced: queue disconnected */
	bool broken;			/**< the backend broke the protocol; the vif is gone */
	uint32_t reconnects;		/**< connected again to a new backend after a resume */
	uint64_t tx_resume_dropped;	/**< transmits in flight when the domain changed */
};

/**
 * netfront_get_stats() - the counters of a netfront interface.
 * @param dev the interface.
 * @param st  receives them.
 * @return 0, or -ENODEV if @p dev is not a netfront netdev.
 */
int netfront_get_stats(struct netdev *dev, struct netfront_stats *st);

/** Vifs found, connected and removed since boot (tests, diagnostics). */
struct netfront_global_stats {
	uint32_t probed;		/**< device/vif entries taken on */
	uint32_t rejected;		/**< refused: no slot, bad backend, no MAC */
	uint32_t connected;		/**< reached Connected (a netdev registered) */
	uint32_t failed;		/**< gave up before connecting */
	uint32_t removed;		/**< connected vifs torn down again */
	uint32_t retired_held;		/**< retired pages still mapped (or leaked), of every
					 * frontend: gnttab_retire_get_stats() */
	uint64_t watch_events;		/**< device/vif watch callbacks */
};
/**
 * netfront_get_global_stats() - a copy of the counters.
 * @param st receives them.
 */
void netfront_get_global_stats(struct netfront_global_stats *st);

/**
 * netfront_upkeep() - task-context work of every vif: teardowns a poll found owed (a broken
 * queue), retired pages a backend let go of at last. The idle loop runs it.
 * @return work done.
 */
unsigned int netfront_upkeep(void);

#endif /* PVKIT_XEN_NETFRONT_H */
