// SPDX-License-Identifier: MIT
/*
 * ICMP (RFC 792; RFC 1122 §3.2.2): echo requests answered with the payload intact, port
 * unreachable for UDP nobody listens to (rate-limited), and one outgoing ping at a time whose
 * replies are matched by identifier and sequence number and checked byte for byte.
 */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include "net_priv.h"

#define PING_SLOTS	64		/* send times kept: the last 64 sequence numbers */
#define PING_COUNT_MAX	65535u		/* sequence numbers are 16 bits */

static struct icmp_ping {
	bool active;			/* a ping is running */
	uint32_t dst;			/* whom we ping */
	uint16_t id;			/* our identifier in its requests */
	uint32_t count;			/* requests to send */
	uint32_t size;			/* payload bytes each */
	uint64_t timeout;		/* ns to wait for each reply */
	bool outstanding;		/* the last request sent awaits its reply */
	uint64_t deadline;		/* ... until then */
	uint64_t sent_at[PING_SLOTS];	/* per sequence number (seq % PING_SLOTS) */
	uint16_t slot_seq[PING_SLOTS];	/* the sequence number a slot belongs to */
	bool answered[PING_SLOTS];	/* its reply came */
	struct net_ping_result res;	/* so far; final once !active */
} ping;
static uint16_t ping_ids;		/* varies the identifier of successive pings */
static uint64_t icmp_err_window;	/* start of the current one-second window */
static unsigned int icmp_err_sent;	/* errors sent in it */

/* The payload byte at @i of request @seq: checked in the reply. */
static uint8_t ping_byte(uint16_t id, uint16_t seq, uint32_t i)
{
	return (uint8_t)(id + seq * 3 + i * 7);
}

static enum net_rx_fate icmp_echo_reply(struct net_pkt *pkt)
{
	struct netbuf *nb;
	uint8_t *icmp;
	int err;

	if (pkt->bcast)
		return NET_RX_icmp_echo_bcast;	/* no smurf amplifier (RFC 1122 allows it) */
	nb = ip_alloc(pkt->l4_len);
	if (!nb)
		return NET_RX_icmp_echo;	/* counted as tx_nomem */
	icmp = nb->data + NET_L4_OFF;
	memcpy(icmp, pkt->l4, pkt->l4_len);
	icmp[0] = ICMP_ECHO_REPLY;
	icmp[1] = 0;
	put_be16(icmp + 2, 0);
	put_be16(icmp + 2, net_csum_fold(net_csum_add(0, icmp, pkt->l4_len)));
	err = ip_route_send(pkt->src, IP_PROTO_ICMP, nb, pkt->l4_len);
	if (!err)
		NET_COUNT(icmp_tx_echo_reply);
	return NET_RX_icmp_echo;
}

void icmp_send_unreach(const struct net_pkt *pkt, uint8_t code)
{
	uint32_t quote = pkt->ip_hlen + MIN(pkt->l4_len, 8u);	/* header + 64 bits */
	uint64_t now = net_now();
	struct netbuf *nb;
	uint8_t *icmp;

	if (pkt->bcast)
		return;				/* never about broadcasts (RFC 1122 §3.2.2) */
	if (now - icmp_err_window >= 1000000000ull) {
		icmp_err_window = now;
		icmp_err_sent = 0;
	}
	if (icmp_err_sent >= ICMP_ERRORS_PER_SEC) {
		NET_COUNT(icmp_unreach_limited);
		return;
	}
	nb = ip_alloc(ICMP_HLEN + quote);
	if (!nb)
		return;
	icmp_err_sent++;
	icmp = nb->data + NET_L4_OFF;
	icmp[0] = ICMP_DEST_UNREACH;
	icmp[1] = code;
	memset(icmp + 2, 0, 6);
	memcpy(icmp + ICMP_HLEN, pkt->ip, quote);
	put_be16(icmp + 2, net_csum_fold(net_csum_add(0, icmp, ICMP_HLEN + quote)));
	if (!ip_route_send(pkt->src, IP_PROTO_ICMP, nb, ICMP_HLEN + quote))
		NET_COUNT(icmp_tx_unreach);
}

/* ---- ping -------------------------------------------------------------------------------- */

static void ping_finish(int err)
{
	ping.active = false;
	ping.outstanding = false;
	if (err && !ping.res.error)
		ping.res.error = err;
}

/* The next request; the ping ends when all were sent (and the last answered or timed out). */
static void ping_send_next(uint64_t now)
{
	uint16_t seq;
	struct netbuf *nb;
	uint8_t *icmp;
	int err;

	if (ping.res.sent >= ping.count) {
		ping_finish(0);
		return;
	}
	seq = (uint16_t)(ping.res.sent + 1);
	nb = ip_alloc(ICMP_HLEN + ping.size);
	if (!nb) {
		ping_finish(-ENOMEM);
		return;
	}
	icmp = nb->data + NET_L4_OFF;
	icmp[0] = ICMP_ECHO_REQUEST;
	icmp[1] = 0;
	put_be16(icmp + 2, 0);
	put_be16(icmp + 4, ping.id);
	put_be16(icmp + 6, seq);
	for (uint32_t i = 0; i < ping.size; i++)
		icmp[ICMP_HLEN + i] = ping_byte(ping.id, seq, i);
	put_be16(icmp + 2, net_csum_fold(net_csum_add(0, icmp, ICMP_HLEN + ping.size)));
	ping.slot_seq[seq % PING_SLOTS] = seq;
	ping.answered[seq % PING_SLOTS] = false;
	ping.sent_at[seq % PING_SLOTS] = now;
	ping.res.sent++;
	ping.outstanding = true;
	ping.deadline = now + ping.timeout;
	err = ip_route_send(ping.dst, IP_PROTO_ICMP, nb, ICMP_HLEN + ping.size);
	if (!err)
		NET_COUNT(icmp_tx_echo);
	else if (err == -EHOSTUNREACH || err == -ENETDOWN || err == -ENODEV)
		ping_finish(err);		/* the others will not fare better */
}

int icmp_ping_start(uint32_t dst, uint32_t count, uint32_t size, uint64_t timeout_ns)
{
	uint32_t next_hop;
	struct net_if *ifc;

	if (ping.active)
		return -EBUSY;
	if (!count || count > PING_COUNT_MAX || size > ICMP_ECHO_DATA_MAX || !timeout_ns)
		return -EINVAL;
	ifc = net_if_route(dst, &next_hop);
	if (!ifc || net_if_is_bcast(ifc, dst))
		return ifc ? -EINVAL : -EHOSTUNREACH;
	if (IP_HLEN + ICMP_HLEN + size > ifc->dev->mtu)
		return -EINVAL;
	memset(&ping, 0, sizeof(ping));
	ping.active = true;
	ping.dst = dst;
	ping.id = (uint16_t)(net_now() >> 10) ^ (uint16_t)(0x5a5a + ++ping_ids * 0x3b);
	ping.count = count;
	ping.size = size;
	ping.timeout = timeout_ns;
	ping_send_next(net_now());
	return 0;
}

bool icmp_ping_done(struct net_ping_result *res)
{
	if (res)
		*res = ping.res;
	return !ping.active;
}

void icmp_ping_cancel(void)
{
	if (ping.active)
		ping_finish(-ECANCELED);
}

/* An echo reply: ours if identifier, source and a recent sequence number match. */
static enum net_rx_fate icmp_ping_reply(const struct net_pkt *pkt)
{
	uint16_t id = get_be16(pkt->l4 + 4), seq = get_be16(pkt->l4 + 6);
	unsigned int slot = seq % PING_SLOTS;
	uint64_t now = net_now(), rtt;
	bool intact;

	if (!ping.active || id != ping.id || pkt->src != ping.dst || !seq ||
	    seq > ping.res.sent || ping.slot_seq[slot] != seq)
		return NET_RX_icmp_stray_reply;
	if (ping.answered[slot]) {
		ping.res.duplicate++;
		return NET_RX_icmp_reply;
	}
	ping.answered[slot] = true;
	intact = pkt->l4_len == ICMP_HLEN + ping.size;
	for (uint32_t i = 0; intact && i < ping.size; i++)
		intact = pkt->l4[ICMP_HLEN + i] == ping_byte(ping.id, seq, i);
	if (!intact) {
		ping.res.corrupt++;
	} else {
		rtt = now - ping.sent_at[slot];
		if (!ping.res.received || rtt < ping.res.rtt_min_ns)
			ping.res.rtt_min_ns = rtt;
		ping.res.rtt_max_ns = MAX(ping.res.rtt_max_ns, rtt);
		ping.res.rtt_sum_ns += rtt;
		ping.res.received++;
	}
	if (ping.outstanding && seq == ping.res.sent) {
		ping.outstanding = false;
		ping_send_next(now);		/* the next one at once: no waiting between */
	}
	return NET_RX_icmp_reply;
}

unsigned int icmp_poll(uint64_t now, uint64_t *next)
{
	if (!ping.active || !ping.outstanding)
		return 0;
	if (now < ping.deadline) {
		*next = MIN(*next, ping.deadline);
		return 0;
	}
	ping.outstanding = false;		/* lost: go on with the next */
	ping_send_next(now);
	if (ping.active && ping.outstanding)
		*next = MIN(*next, ping.deadline);
	return 1;
}

void icmp_reset(void)
{
	memset(&ping, 0, sizeof(ping));
	icmp_err_window = 0;
	icmp_err_sent = 0;
}

/* ---- input ------------------------------------------------------------------------------- */

enum net_rx_fate icmp_input(struct net_pkt *pkt)
{
	if (pkt->l4_len < ICMP_HLEN)
		return NET_RX_icmp_short;
	if (net_csum_fold(net_csum_add(0, pkt->l4, pkt->l4_len)))
		return NET_RX_icmp_bad_csum;
	switch (pkt->l4[0]) {
	case ICMP_ECHO_REQUEST:
		return icmp_echo_reply(pkt);
	case ICMP_ECHO_REPLY:
		return icmp_ping_reply(pkt);
	default:
		return NET_RX_icmp_other;
	}
}
