/* SPDX-License-Identifier: MIT */
/*
 * The IP stack's private header (kernel/net/): wire formats (Ethernet II, RFC 826, RFC 791,
 * RFC 792, RFC 768), per-interface state, and the calls between the stack's files. Packets are
 * read and written byte by byte (get_be16...): frames have no alignment we could rely on.
 */
#ifndef KERNEL_NET_NET_PRIV_H
#define KERNEL_NET_NET_PRIV_H

#include <pvkit/net.h>
#include <pvkit/netdev.h>

/* ---- wire formats ------------------------------------------------------------------------ */

#define ETH_P_IP		0x0800
#define ETH_P_ARP		0x0806
#define ETH_ZLEN		60	/* shortest frame (without FCS): we pad to it */

#define ARP_LEN			28	/* Ethernet/IPv4 ARP packet */
#define ARP_HTYPE_ETHER		1
#define ARP_OP_REQUEST		1
#define ARP_OP_REPLY		2

#define IP_HLEN			20	/* header without options: all we send */
#define IP_TTL_DEFAULT		64
#define IP_PROTO_ICMP		1
#define IP_PROTO_UDP		17
#define IP_FRAG_MASK		0x3fff	/* MF flag and fragment offset */

#define ICMP_HLEN		8
#define ICMP_ECHO_REPLY		0
#define ICMP_DEST_UNREACH	3
#define ICMP_PORT_UNREACH	3	/* code */
#define ICMP_ECHO_REQUEST	8

#define UDP_HLEN		8
#define UDP_EPHEMERAL_FIRST	49152

/* Offsets of the IP header and its payload in frames we build (we send no options). */
#define NET_IP_OFF		ETH_HLEN
#define NET_L4_OFF		(ETH_HLEN + IP_HLEN)
/* Headroom we leave in frames we build, for drivers that prepend their own header. */
#define NET_HEADROOM		64
/* Frames waiting per interface when the device said -EBUSY. */
#define NET_TXQ_MAX		64
/* ICMP errors we send per second at most (port unreachable). */
#define ICMP_ERRORS_PER_SEC	100

static inline uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline bool eth_is_multicast(const uint8_t *mac)
{
	return mac[0] & 1;		/* includes broadcast */
}

static inline bool eth_is_zero(const uint8_t *mac)
{
	return !(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]);
}

static inline bool ip_is_multicast(uint32_t a)
{
	return (a >> 28) == 0xe;
}

/* ---- state ------------------------------------------------------------------------------- */

enum arp_state {
	ARP_FREE,			/* slot unused */
	ARP_INCOMPLETE,			/* request sent, frames may wait in pending[] */
	ARP_RESOLVED,			/* mac is valid until deadline */
	ARP_FAILED,			/* no answer: sends fail fast until deadline */
};

struct arp_entry {
	enum arp_state state;		/* what the fields below mean */
	uint32_t ip;			/* the neighbour's address (host order) */
	uint8_t mac[ETH_ALEN];		/* RESOLVED: its MAC */
	uint8_t tries;			/* INCOMPLETE: requests sent so far */
	uint64_t deadline;		/* INCOMPLETE: next retry; RESOLVED: expiry; FAILED: end */
	uint64_t confirmed;		/* last reply or request from it: least recently confirmed
					 * entries are evicted first, and refreshed after a while */
	uint64_t refresh_sent;		/* RESOLVED: when we last probed it (once per retry) */
	uint8_t npending;		/* INCOMPLETE: frames in pending[] */
	struct netbuf *pending[ARP_PENDING_MAX];	/* complete frames but for the MAC, in
							 * order: sent when resolved */
};

struct net_if {
	struct netdev *dev;		/* NULL: slot free. Compared, never used after it left
					 * the registry (the driver may free it) */
	bool has_addr;			/* cfg holds an address */
	bool from_default;		/* configured from ip= (not ip.<name>=) */
	bool carrier;			/* carrier as last seen: announce again when it comes up */
	uint32_t carrier_ups;		/* dev->carrier_ups as last seen: likewise */
	struct net_if_config cfg;	/* address, prefix, gateway */
	uint32_t mask;			/* from cfg.prefix */
	uint32_t bcast;			/* directed broadcast of the prefix */
	struct arp_entry arp[ARP_CACHE_MAX];	/* bounded: an ARP storm evicts, never grows */
	struct netbuf *txq_head;	/* frames the device refused with -EBUSY, in order */
	struct netbuf *txq_tail;	/* last of them */
	unsigned int txq_len;		/* how many (<= NET_TXQ_MAX) */
};

/* A received IPv4 packet, once ip_input() has validated its header. */
struct net_pkt {
	struct net_if *ifc;		/* where it arrived */
	struct netbuf *nb;		/* the frame; set to NULL by whoever keeps it */
	uint32_t src, dst;		/* addresses (host order) */
	bool bcast;			/* dst is a broadcast address */
	const uint8_t *ip;		/* the IP header */
	uint32_t ip_hlen;		/* its length, options included */
	const uint8_t *l4;		/* the payload */
	uint32_t l4_len;		/* its length (total length - header; padding cut off) */
};

extern struct net_stats net_stats;	/* iface.c */
#define NET_COUNT(c)		(net_stats.tx[NET_##c]++)
#define NET_COUNT_N(c, n)	(net_stats.tx[NET_##c] += (n))

/* ---- glue: kernel/net/net_main.c in the kernel, the fakes in hosted builds --------------- */

/** Monotonic time in ns (pv_clock_ns). */
uint64_t net_now(void);

/* ---- iface.c ----------------------------------------------------------------------------- */

/** The interface state of @dev, attaching (and configuring) it if it is new. NULL: no room. */
struct net_if *net_if_get(struct netdev *dev);
/** Attach new devices, detach departed ones, announce on carrier up. Return: work done. */
unsigned int net_if_sync(void);
/** The interface and next hop for @dst. NULL: no route. */
struct net_if *net_if_route(uint32_t dst, uint32_t *next_hop);
/** Is @a a broadcast address on @ifc (limited or directed)? */
bool net_if_is_bcast(const struct net_if *ifc, uint32_t a);
/** Iterate over attached interfaces: net_if_at(0..NET_IF_MAX-1), NULL for free slots. */
struct net_if *net_if_at(unsigned int i);

/* ---- eth.c ------------------------------------------------------------------------------- */

/** A frame for @l3_len bytes after the Ethernet header (len set, zero-padded to ETH_ZLEN).
 * NULL (counted) when out of memory. */
struct netbuf *eth_alloc(uint32_t l3_len);
/**
 * eth_xmit() - fill the Ethernet header (to @dst, type @type, from us) and send, or queue on
 * the interface's backlog when the device is busy. Consumes @nb in every case.
 * Return: 0 (sent or queued), -ENOBUFS (backlog full), or the device's error.
 */
int eth_xmit(struct net_if *ifc, const uint8_t *dst, uint16_t type, struct netbuf *nb);
/** Retry the backlog. Return: frames the device took. */
unsigned int eth_flush_backlog(struct net_if *ifc);
/** Free the backlog. */
void eth_drop_backlog(struct net_if *ifc);

/* ---- arp.c ------------------------------------------------------------------------------- */

enum net_rx_fate arp_input(struct net_if *ifc, const uint8_t *p, uint32_t len);
/** Send the IPv4 frame @nb to @next_hop: now, or once resolved. Consumes @nb. Return: 0,
 * -EHOSTUNREACH, -ENOBUFS (nothing more can wait), or eth_xmit()'s error. */
int arp_output(struct net_if *ifc, uint32_t next_hop, struct netbuf *nb);
/** A gratuitous ARP request for our address. */
void arp_announce(struct net_if *ifc);
/** Retries and expiry on @ifc; *next lowered to the next deadline. Return: work done. */
unsigned int arp_poll(struct net_if *ifc, uint64_t now, uint64_t *next);
/** Drop every entry and waiting frame. */
void arp_if_flush(struct net_if *ifc);

/* ---- ip.c -------------------------------------------------------------------------------- */

/** Ones'-complement sum of @len bytes at @p added to @sum (32-bit accumulator; unfolded).
 * Odd lengths are fine only for the last piece of a checksummed range. */
uint32_t net_csum_add(uint32_t sum, const uint8_t *p, size_t len);
/** Fold and complement: the value for a checksum field (0 means "correct" on verification). */
uint16_t net_csum_fold(uint32_t sum);
/** The unfolded pseudo-header sum (RFC 768) for @proto and @len bytes of L4. */
uint32_t net_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len);

/** A received IPv4 packet at @p (@len bytes up to the frame's end) in the frame *@nbp; set
 * to NULL when a socket kept the frame. */
enum net_rx_fate ip_input(struct net_if *ifc, struct netbuf **nbp, const uint8_t *p,
			  uint32_t len);
/** A frame with room for an IP header and @l4_len bytes at NET_L4_OFF. */
struct netbuf *ip_alloc(uint32_t l4_len);
/**
 * ip_send() - fill the IP header of @nb (proto, @l4_len bytes of payload at NET_L4_OFF, from
 * our address on @ifc to @dst) and send it to @next_hop (ARP) or broadcast. Consumes @nb.
 * Return: 0 or -errno (see arp_output).
 */
int ip_send(struct net_if *ifc, uint32_t next_hop, uint32_t dst, uint8_t proto,
	    struct netbuf *nb, uint32_t l4_len);
/** Route, then ip_send(). Consumes @nb. */
int ip_route_send(uint32_t dst, uint8_t proto, struct netbuf *nb, uint32_t l4_len);

/* ---- icmp.c / udp.c ---------------------------------------------------------------------- */

enum net_rx_fate icmp_input(struct net_pkt *pkt);
/** ICMP destination unreachable (@code) about @pkt to its sender, rate-limited. */
void icmp_send_unreach(const struct net_pkt *pkt, uint8_t code);
unsigned int icmp_poll(uint64_t now, uint64_t *next);
void icmp_reset(void);

enum net_rx_fate udp_input(struct net_pkt *pkt);
/** @dev left: queued datagrams from it keep their bytes but lose the device pointer. */
void udp_dev_gone(const struct netdev *dev);
void udp_reset(void);

#endif /* KERNEL_NET_NET_PRIV_H */
