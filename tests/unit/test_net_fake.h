/* SPDX-License-Identifier: MIT */
/*
 * A fake network-device layer for the IP stack's hosted tests and its fuzzer
 * (tests/fuzz/fuzz_ipinput.c): netbufs from the heap sized exactly as asked (so ASan sees a
 * byte read past a frame), a registry of fake devices, netdev_tx() that records every frame
 * sent (or answers -EBUSY / an error on demand), a settable clock and a printk that records.
 */
#ifndef TESTS_UNIT_TEST_NET_FAKE_H
#define TESTS_UNIT_TEST_NET_FAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <pvkit/netdev.h>

/* A frame the stack sent. */
struct fake_sent {
	struct netdev *dev;		/* through which device (may be reused since) */
	uint8_t mac[ETH_ALEN];		/* its MAC then */
	uint32_t mtu;			/* its MTU then */
	uint8_t *data;			/* a copy of the frame */
	uint32_t len;			/* its length */
	enum netbuf_csum csum;		/* offload state it was sent with */
	uint16_t csum_start, csum_offset;
};

#define FAKE_SENT_MAX	4096		/* recorded frames kept (older ones are dropped) */

extern struct fake_sent fake_sent[FAKE_SENT_MAX];
extern unsigned int fake_nsent;		/* frames recorded (0..FAKE_SENT_MAX) */
extern uint64_t fake_sent_total;	/* frames sent since fake_net_reset() */
extern long fake_nb_live;		/* netbufs allocated and not freed */
extern long fake_nb_fail_after;		/* >= 0: netbuf_alloc fails after that many more */
extern int fake_tx_err;			/* != 0: netdev_tx returns this (e.g. -EBUSY) */
extern uint64_t fake_now_ns;		/* net_now() */
extern unsigned int fake_printks;	/* printk calls */
extern bool fake_printk_quiet;		/* do not echo printk to stdout */

/** Forget everything (frames, devices, counters); frees recorded frames. */
void fake_net_reset(void);
/** A registered device @name with @mac, MTU 1500, carrier up. */
struct netdev *fake_netdev_add(const char *name, const uint8_t mac[ETH_ALEN]);
/** Take @dev out of the registry (as a hot-unplug). */
void fake_netdev_remove(struct netdev *dev);
/** Drop the recorded frames (fake_nsent = 0). */
void fake_sent_clear(void);
/** A netbuf holding a copy of @len bytes of @frame (NULL if the fake is out of memory). */
struct netbuf *fake_frame(const void *frame, uint32_t len);


/**
 * fake_check_sent() - is @s a frame the stack may send from @our_ip (host order): Ethernet
 * from the device's MAC, then a well-formed ARP packet, or an IPv4 datagram with a 20-byte
 * header, correct lengths and checksums (an offloaded UDP checksum is completed first), no
 * fragmentation, TTL 64, ICMP echo reply/request or unreachable, or UDP? Return: NULL if so,
 * else what is wrong.
 */
const char *fake_check_sent(const struct fake_sent *s, uint32_t our_ip);

#endif /* TESTS_UNIT_TEST_NET_FAKE_H */
