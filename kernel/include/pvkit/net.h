/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The small IP stack (kernel/net/, docs/net.md): Ethernet II, ARP (RFC 826), IPv4 (RFC 791,
 * no reassembly), ICMP echo (RFC 792), UDP (RFC 768) with a socket-like API, static addresses
 * from the command line, and a counter for every way a received frame can end.
 *
 * Everything runs in the idle loop (or in a caller that polls, see net_wait()), never in
 * interrupt context. Addresses in this API are IPv4 addresses in host byte order
 * (IP4(10, 0, 2, 15)); ports are host byte order too.
 */
#ifndef PVKIT_NET_H
#define PVKIT_NET_H

#include <pvkit/netdev.h>
#include <pvkit/types.h>

struct boot_info;

/** The IPv4 address a.b.c.d, in host byte order. */
#define IP4(a, b, c, d)		(((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | \
				 ((uint32_t)(c) << 8) | (uint32_t)(d))
#define IP4_BROADCAST		0xffffffffu	/**< 255.255.255.255 */
#define IP4_STR_MAX		16	/**< "255.255.255.255" + NUL */

#define NET_IF_MAX		4	/**< interfaces the stack serves at once */
#define UDP_SOCK_MAX		16	/**< open UDP sockets */
#define UDP_QUEUE_MAX		32	/**< datagrams a queueing socket holds */
#define UDP_PAYLOAD_MAX		(ETH_MTU_DEFAULT - 20 - 8)	/**< 1472: no fragmentation */
#define ICMP_ECHO_DATA_MAX	(ETH_MTU_DEFAULT - 20 - 8)	/**< ping payload at MTU 1500 */

/* ---- counters ---------------------------------------------------------------------------- */

/**
 * What happened to each received frame: exactly one of these per frame the stack was handed
 * (so their sum is rx_frames). X(name, handled): handled=0 means the frame was dropped.
 */
#define NET_RX_FATES(X)									\
	X(eth_short, 0)		/* shorter than an Ethernet header */			\
	X(eth_not_us, 0)	/* destination neither our MAC nor broadcast */		\
	X(eth_unknown_type, 0)	/* not IPv4 or ARP (IPv6, VLAN, ...) */			\
	X(no_addr, 0)		/* IPv4/ARP on an interface without an address */	\
	X(arp_malformed, 0)	/* short, or not Ethernet/IPv4 sizes */			\
	X(arp_bad_op, 0)	/* neither request nor reply */				\
	X(arp_bad_sender, 0)	/* sender address broadcast/multicast/zero */		\
	X(arp_conflict, 0)	/* someone else claims our address */			\
	X(arp_not_for_us, 0)	/* for another target and nothing to refresh */		\
	X(arp_unsolicited, 0)	/* a reply nobody asked for: not learned */		\
	X(arp_refreshed, 1)	/* not for us, but refreshed a cache entry */		\
	X(arp_request, 1)	/* a request for our address: answered */		\
	X(arp_reply, 1)		/* a reply for us: entry resolved or refreshed */	\
	X(ip_short, 0)		/* shorter than an IPv4 header */			\
	X(ip_bad_version, 0)	/* version is not 4 */					\
	X(ip_bad_ihl, 0)	/* IHL < 5 or header beyond the packet */		\
	X(ip_bad_len, 0)	/* total length < header or > frame */			\
	X(ip_bad_csum, 0)	/* header checksum wrong */				\
	X(ip_fragment, 0)	/* MF set or offset != 0: no reassembly */		\
	X(ip_ttl_zero, 0)	/* TTL 0: no router would have passed it */		\
	X(ip_oversize, 0)	/* larger than the interface MTU */			\
	X(ip_bad_src, 0)	/* source broadcast, multicast, loopback, 0, ours */	\
	X(ip_not_us, 0)		/* destination not ours (or multicast) */		\
	X(ip_unknown_proto, 0)	/* neither ICMP nor UDP */				\
	X(icmp_short, 0)	/* shorter than its header */				\
	X(icmp_bad_csum, 0)	/* checksum wrong */					\
	X(icmp_echo_bcast, 0)	/* echo request to a broadcast address: ignored */	\
	X(icmp_stray_reply, 0)	/* echo reply matching no ping of ours */		\
	X(icmp_other, 0)	/* other types (unreachable, ...): counted only */	\
	X(icmp_echo, 1)		/* echo request: answered */				\
	X(icmp_reply, 1)	/* echo reply to our ping */				\
	X(udp_short, 0)		/* shorter than its header */				\
	X(udp_bad_len, 0)	/* length field < 8 or beyond the IP payload */		\
	X(udp_bad_csum, 0)	/* checksum present and wrong */			\
	X(udp_no_port, 0)	/* nobody bound the port (ICMP port unreachable) */	\
	X(udp_queue_full, 0)	/* the socket's queue is full */			\
	X(udp_delivered, 1)	/* handed to a socket */

/** NET_RX_FATES() to enum net_rx_fate's values (undefined after use). */
#define NET_RX_ENUM(name, handled)	NET_RX_##name,
/** The fates of a received frame: NET_RX_<name> for each of NET_RX_FATES(), then NET_RX_NR. */
enum net_rx_fate {
	NET_RX_FATES(NET_RX_ENUM)
	NET_RX_NR
};
#undef NET_RX_ENUM

/** Transmit side and timers: X(name). */
#define NET_TX_COUNTERS(X)								\
	X(tx_frames)		/* frames the device took */				\
	X(tx_bytes)		/* their bytes */					\
	X(tx_nomem)		/* no netbuf for a frame we wanted to send */		\
	X(tx_backlogged)	/* device full (-EBUSY): queued for a retry */		\
	X(tx_backlog_drop)	/* ... and the backlog was full too */			\
	X(tx_error)		/* the device refused (no carrier, gone, size) */	\
	X(tx_no_route)		/* no interface or gateway for the destination */	\
	X(tx_csum_offload)	/* UDP checksums left to the device */			\
	X(arp_tx_request)	/* requests sent (resolution and refresh) */		\
	X(arp_tx_reply)		/* replies sent */					\
	X(arp_tx_gratuitous)	/* announcements of our address */			\
	X(arp_queue_drop)	/* a frame waiting for resolution pushed out */		\
	X(arp_unresolved_drop)	/* frames dropped: resolution failed or is failing */	\
	X(arp_incomplete_full)	/* too many resolutions at once: frame dropped */	\
	X(arp_timeout)		/* resolutions that got no reply */			\
	X(arp_evicted)		/* entries pushed out of a full cache */		\
	X(arp_expired)		/* entries that aged out */				\
	X(icmp_tx_echo_reply)	/* echo replies sent */					\
	X(icmp_tx_unreach)	/* port unreachable sent */				\
	X(icmp_unreach_limited)	/* ... suppressed by the rate limit */			\
	X(icmp_tx_echo)		/* echo requests sent (ping) */				\
	X(udp_tx)		/* datagrams sent */					\
	X(udp_tx_error)		/* datagrams that could not be sent */			\
	X(ip_options_skipped)	/* received headers with options (not a drop) */

/** NET_TX_COUNTERS() to enum net_tx_counter's values (undefined after use). */
#define NET_TX_ENUM(name)	NET_##name,
/** The transmit and timer counters: NET_<name> for each of NET_TX_COUNTERS(), then NET_TX_NR. */
enum net_tx_counter {
	NET_TX_COUNTERS(NET_TX_ENUM)
	NET_TX_NR
};
#undef NET_TX_ENUM

/** The stack's counters, all interfaces together. */
struct net_stats {
	uint64_t rx_frames;		/**< frames handed to the stack (one fate each) */
	uint64_t rx[NET_RX_NR];		/**< per fate */
	uint64_t tx[NET_TX_NR];		/**< transmit and timer events */
};

/**
 * net_get_stats() - a copy of the counters (all interfaces together).
 * @param st receives them.
 */
void net_get_stats(struct net_stats *st);

/** net_reset_stats() - zero the counters (tests). */
void net_reset_stats(void);

/**
 * net_rx_name() - a fate's name ("ip_bad_csum") and whether it counts as handled or dropped.
 * @param f       the fate.
 * @param handled receives true for handled, false for dropped (may be NULL).
 * @return the name; "?" for a value out of range.
 */
const char *net_rx_name(enum net_rx_fate f, bool *handled);

/**
 * net_tx_name() - a transmit counter's name ("udp_tx").
 * @param c the counter.
 * @return the name; "?" for a value out of range.
 */
const char *net_tx_name(enum net_tx_counter c);

/**
 * net_stats_print() - print "pvkit: net stats ..." lines: per interface, rx fates, tx
 * counters, services.
 */
void net_stats_print(void);

/* ---- addresses and interfaces ------------------------------------------------------------ */

/**
 * ip_parse_addr() - parse a dotted quad "10.0.2.15" (exactly four decimal parts 0-255).
 * @param s    the text.
 * @param addr receives the address.
 * @return 0 or -EINVAL.
 */
int ip_parse_addr(const char *s, uint32_t *addr);

/**
 * ip_parse_cidr() - parse "10.0.2.15/24" (prefix 1-32; without "/n" the prefix is 32).
 * @param s      the text.
 * @param addr   receives the address.
 * @param prefix receives the prefix length.
 * @return 0 or -EINVAL.
 */
int ip_parse_cidr(const char *s, uint32_t *addr, unsigned int *prefix);

/**
 * ip_format_addr() - an address as "a.b.c.d".
 * @param buf  receives the text (IP4_STR_MAX bytes).
 * @param addr the address.
 * @return @p buf.
 */
char *ip_format_addr(char *buf, uint32_t addr);

/** An interface's static configuration. */
struct net_if_config {
	uint32_t addr;			/**< our address, 0: none */
	unsigned int prefix;		/**< on-link prefix length, 1-32 */
	uint32_t gw;			/**< default gateway (on-link), 0: none */
};

/**
 * net_if_configure() - give @p dev an address (replacing any) and announce it with a
 * gratuitous ARP. cfg->gw, if not 0, must be inside the prefix and not our own address.
 * @param dev the interface.
 * @param cfg the configuration.
 * @return 0, -EINVAL (bad address/prefix/gateway), -ENOSPC (NET_IF_MAX interfaces in use).
 */
int net_if_configure(struct netdev *dev, const struct net_if_config *cfg);

/**
 * net_if_get_config() - an interface's configuration.
 * @param dev the interface.
 * @param cfg receives it.
 * @return 0 or -ENOENT (no address).
 */
int net_if_get_config(const struct netdev *dev, struct net_if_config *cfg);

/**
 * net_config_cmdline() - remember the static addresses of a kernel command line, applied to
 * each interface as it appears (also one that appears later, e.g. after a hot-plug):
 * - `ip=A/P [gw=G]`: the default: interface eth0, or the first interface without a
 *   configuration of its own while no live interface holds it;
 * - `ip.<if>=A/P [gw.<if>=G]`: that interface (e.g. ip.eth1=10.0.3.2/24).
 *
 * Bad values are reported ("pvkit: warning: net: ...") and ignored.
 * @param cmdline the command line.
 * @return configurations taken (0 if none), or -EINVAL when one was malformed (the good ones
 *         still count).
 */
int net_config_cmdline(const char *cmdline);

/**
 * ip_route() - the interface a packet to @p dst leaves from, and its next hop.
 * @param dst      the destination.
 * @param dev      receives the interface.
 * @param next_hop receives @p dst itself when on-link, else the gateway.
 * @return 0 or -EHOSTUNREACH.
 */
int ip_route(uint32_t dst, struct netdev **dev, uint32_t *next_hop);

/* ---- ARP --------------------------------------------------------------------------------- */

#define ARP_CACHE_MAX		32	/**< entries per interface */
#define ARP_INCOMPLETE_MAX	8	/**< resolutions in progress per interface */
#define ARP_PENDING_MAX		4	/**< frames waiting per resolution */
#define ARP_RETRY_NS		(1000ull * 1000000)	/**< request again after 1 s */
#define ARP_TRIES		3	/**< requests before giving up */
#define ARP_FAILED_NS		(3000ull * 1000000)	/**< a failed entry answers "unreachable" */
#define ARP_REACHABLE_NS	(60000ull * 1000000)	/**< a resolved entry lives 60 s ... */
#define ARP_REFRESH_NS		(50000ull * 1000000)	/**< ... refreshed when used after 50 s */

/**
 * arp_lookup() - the cached MAC of an address (resolved entries only).
 * @param dev the interface.
 * @param ip  the address.
 * @param mac receives the MAC.
 * @return 0 or -ENOENT.
 */
int arp_lookup(struct netdev *dev, uint32_t ip, uint8_t mac[ETH_ALEN]);

/**
 * arp_resolve() - start resolving an address (a request now, retried).
 * @param dev the interface.
 * @param ip  the address.
 * @return 0 (resolved or under way), -EHOSTUNREACH (failed recently), -ENOSPC (too many
 *         resolutions), -ENOENT (no address).
 */
int arp_resolve(struct netdev *dev, uint32_t ip);

/**
 * arp_cache_count() - entries on an interface in any state (tests).
 * @param dev the interface.
 * @return the count.
 */
unsigned int arp_cache_count(struct netdev *dev);

/**
 * arp_flush() - drop every entry on an interface, with their waiting frames (counted as
 * unresolved).
 * @param dev the interface.
 */
void arp_flush(struct netdev *dev);

/** arp_print() - print the caches: one line per entry with its state, age and waiting frames. */
void arp_print(void);

/* ---- ICMP echo (ping) -------------------------------------------------------------------- */

/** What a ping came to. */
struct net_ping_result {
	uint32_t sent;			/**< echo requests sent */
	uint32_t received;		/**< matching replies with the payload intact */
	uint32_t corrupt;		/**< matching replies whose payload differed */
	uint32_t duplicate;		/**< replies for a sequence number already answered */
	/** @{ */
	uint64_t rtt_min_ns, rtt_max_ns, rtt_sum_ns;	/**< round trips, over received */
	/** @} */
	int error;			/**< 0, or why it stopped early (-EHOSTUNREACH, ...) */
};

/**
 * icmp_ping_start() - begin pinging @p dst, each request sent when the previous was answered
 * or @p timeout_ns passed. Progress comes from received frames and net_poll(). One ping at a
 * time.
 * @param dst        the address.
 * @param count      requests.
 * @param size       payload bytes, 0 to ICMP_ECHO_DATA_MAX.
 * @param timeout_ns how long each request waits for its reply.
 * @return 0, -EBUSY (one is running), -EINVAL, -EHOSTUNREACH (no route).
 */
int icmp_ping_start(uint32_t dst, uint32_t count, uint32_t size, uint64_t timeout_ns);

/**
 * icmp_ping_done() - is the ping finished?
 * @param res receives its result, or the result so far (may be NULL).
 * @return true when it is finished (or none was started).
 */
bool icmp_ping_done(struct net_ping_result *res);

/** icmp_ping_cancel() - abandon a running ping (its error becomes -ECANCELED). */
void icmp_ping_cancel(void);

/* ---- UDP --------------------------------------------------------------------------------- */

struct udp_sock;

/** Where a datagram came from. */
struct udp_meta {
	/** @{ */
	uint32_t src, dst;		/**< addresses (dst may be a broadcast address) */
	/** @} */
	/** @{ */
	uint16_t sport, dport;		/**< ports */
	/** @} */
	bool broadcast;			/**< sent to a broadcast address: do not answer blindly */
	struct netdev *dev;		/**< the interface it arrived on; NULL if it left since */
};

/**
 * A receive callback: @p data (@p len bytes) is valid only during the call. It runs from the
 * idle loop and may send (udp_sendto()) but must not block.
 */
typedef void (*udp_recv_fn)(struct udp_sock *s, const struct udp_meta *m, const uint8_t *data,
			    size_t len, void *ctx);

/**
 * udp_bind() - open a socket. With a callback, datagrams go to it; without, they queue
 * (UDP_QUEUE_MAX, then dropped and counted) for udp_recvfrom().
 * @param port the local port; 0: an ephemeral port from 49152.
 * @param fn   the receive callback, or NULL to queue.
 * @param ctx  passed to @p fn.
 * @param out  receives the socket.
 * @return 0, -EADDRINUSE, -ENOSPC (UDP_SOCK_MAX open), -EINVAL.
 */
int udp_bind(uint16_t port, udp_recv_fn fn, void *ctx, struct udp_sock **out);

/**
 * udp_close() - close a socket; queued datagrams are freed.
 * @param s the socket (NULL or closed: nothing happens).
 */
void udp_close(struct udp_sock *s);

/**
 * udp_local_port() - a socket's local port.
 * @param s the socket.
 * @return the port.
 */
uint16_t udp_local_port(const struct udp_sock *s);

/**
 * udp_sendto() - send a datagram. The checksum is computed, or left to the device when it
 * offers checksum offload. The datagram may wait for ARP resolution (a few per destination)
 * or for room in the device.
 * @param s     the socket.
 * @param dst   the destination address.
 * @param dport the destination port.
 * @param data  the payload.
 * @param len   its bytes, 0 to UDP_PAYLOAD_MAX.
 * @return 0 (sent or queued), -EMSGSIZE, -EINVAL, -EHOSTUNREACH (no route, or resolution
 *         failed), -ENOBUFS (no room to queue: retry after net_poll()), -ENOMEM, -ENETDOWN.
 */
int udp_sendto(struct udp_sock *s, uint32_t dst, uint16_t dport, const void *data, size_t len);

/**
 * udp_recvfrom() - take the oldest queued datagram of a queueing socket.
 * @param s    the socket.
 * @param buf  receives up to @p size bytes.
 * @param size the size of @p buf.
 * @param len  receives the datagram's full length.
 * @param m    receives its origin (may be NULL).
 * @return 0, -EAGAIN (none queued), -EMSGSIZE (longer than @p size: truncated, still taken),
 *         -EINVAL (a callback socket).
 */
int udp_recvfrom(struct udp_sock *s, void *buf, size_t size, size_t *len, struct udp_meta *m);

/**
 * udp_queued() - datagrams queued on a socket.
 * @param s the socket.
 * @return the count.
 */
unsigned int udp_queued(const struct udp_sock *s);

/* ---- the stack as a whole ---------------------------------------------------------------- */

/**
 * net_input() - the rx handler (netdev_set_rx_handler()): one frame, ownership passes. Every
 * frame ends in exactly one fate of NET_RX_FATES().
 * @param dev the interface it came from.
 * @param nb  the frame.
 */
void net_input(struct netdev *dev, struct netbuf *nb);

/**
 * net_poll() - timers and retries: interfaces that appeared or left, ARP retries and
 * expiry, the device backlog, ping timeouts.
 * @return work done (0: nothing).
 */
unsigned int net_poll(void);

/**
 * net_next_deadline() - the earliest time net_poll() has something to do, so that a waiter
 * can sleep until then.
 * @return pv_clock_ns() time, or UINT64_MAX.
 */
uint64_t net_next_deadline(void);

/** net_reset() - forget everything: interfaces, ARP, sockets, ping, counters (tests). */
void net_reset(void);

/* ---- services (kernel/net/services.c) ---------------------------------------------------- */

#define NET_ECHO_PORT		7	/**< UDP echo (RFC 862) */
#define NET_SINK_PORT		9	/**< UDP discard (RFC 863): counts */

/** What the echo and sink services did. */
struct net_service_stats {
	/** @{ */
	uint64_t echo_datagrams, echo_bytes;	/**< echoed back */
	/** @} */
	uint64_t echo_errors;			/**< could not be sent back */
	/** @{ */
	uint64_t sink_datagrams, sink_bytes;	/**< discarded */
	/** @} */
};

/**
 * net_services_start() - open the echo (port 7) and sink (port 9) services, which the host
 * side of the tests and benchmarks talk to.
 * @return 0 (also when open already) or -errno.
 */
int net_services_start(void);

/** net_services_stop() - close the echo and sink services. */
void net_services_stop(void);

/**
 * net_services_get_stats() - a copy of the services' counters.
 * @param st receives them.
 */
void net_services_get_stats(struct net_service_stats *st);

/* ---- kernel glue (kernel/net/net_main.c, not in hosted builds) --------------------------- */

/**
 * net_init() - start the stack after the devices were probed: addresses from the command
 * line, the rx handler, the idle poller (netdev_poll + net_poll), the services and the console
 * commands "ping", "net" and "udp". Interfaces that register later are picked up too.
 * @param bi the boot information (its command line).
 * @return 0 or -errno.
 */
int net_init(const struct boot_info *bi);

/**
 * net_wait() - poll the network (devices, stack) until a condition holds or a timeout
 * passes, halting between interrupts. For blocking callers outside interrupt context (tests,
 * console commands); not from a UDP callback.
 * @param cond       the condition.
 * @param ctx        passed to @p cond.
 * @param timeout_ns how long at most.
 * @return 0 or -ETIMEDOUT.
 */
int net_wait(bool (*cond)(void *ctx), void *ctx, uint64_t timeout_ns);

/**
 * net_ping() - blocking ping: icmp_ping_start() then wait (each request @p timeout_ns, plus a
 * margin for ARP).
 * @param dst        the address.
 * @param count      requests.
 * @param size       payload bytes.
 * @param timeout_ns how long each request waits for its reply.
 * @param res        receives the result.
 * @return 0 (see @p res) or -errno.
 */
int net_ping(uint32_t dst, uint32_t count, uint32_t size, uint64_t timeout_ns,
	     struct net_ping_result *res);

/**
 * net_arp_resolve() - blocking ARP resolution of an address on the interface that routes it.
 * @param ip         the address.
 * @param mac        receives its MAC.
 * @param timeout_ns how long at most.
 * @return 0 or -errno.
 */
int net_arp_resolve(uint32_t ip, uint8_t mac[ETH_ALEN], uint64_t timeout_ns);

/**
 * net_udp_recv_wait() - blocking receive: udp_recvfrom(), waiting up to @p timeout_ns for a
 * datagram on a queueing socket.
 * @param s          the socket.
 * @param buf        receives up to @p size bytes.
 * @param size       the size of @p buf.
 * @param len        receives the datagram's full length.
 * @param m          receives its origin (may be NULL).
 * @param timeout_ns how long at most.
 * @return 0, -ETIMEDOUT, or -errno as udp_recvfrom().
 */
int net_udp_recv_wait(struct udp_sock *s, void *buf, size_t size, size_t *len,
		      struct udp_meta *m, uint64_t timeout_ns);

#endif /* PVKIT_NET_H */
