// SPDX-License-Identifier: MIT
/*
 * The stack's interfaces (kernel/include/pvkit/net.h): static IPv4 configuration from the command
 * line (ip=, gw=, ip.<if>=), attaching network devices as they come and go, routing (on-link
 * or the gateway), the receive entry point and the counters every received frame ends in.
 */
#include <string.h>
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/printk.h>
#include "net_priv.h"

#define NET_CONF_DEFAULT	0	/* confs[0]: ip=/gw=; the rest ip.<if>= */

/* A configuration waiting for (or applied to) an interface of that name. */
struct net_conf {
	bool used;			/* slot holds a configuration */
	char name[NETDEV_NAME_MAX];	/* interface; "" for the default */
	struct net_if_config cfg;	/* what it gets */
};

struct net_stats net_stats;
static struct net_if net_ifs[NET_IF_MAX];
static struct net_conf net_confs[1 + NET_IF_MAX];

/* ---- addresses --------------------------------------------------------------------------- */

int ip_parse_addr(const char *s, uint32_t *addr)
{
	uint32_t a = 0;

	for (unsigned int part = 0; part < 4; part++) {
		unsigned int v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned int)(*s++ - '0');
			digits++;
		}
		if (!digits || digits > 3 || v > 255)
			return -EINVAL;
		a = a << 8 | v;
		if (part < 3 && *s++ != '.')
			return -EINVAL;
	}
	if (*s)
		return -EINVAL;
	*addr = a;
	return 0;
}

int ip_parse_cidr(const char *s, uint32_t *addr, unsigned int *prefix)
{
	char buf[IP4_STR_MAX];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long p = 32;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (slash && (parse_ulong(slash + 1, &p) || p < 1 || p > 32))
		return -EINVAL;
	if (ip_parse_addr(buf, addr))
		return -EINVAL;
	*prefix = (unsigned int)p;
	return 0;
}

char *ip_format_addr(char *buf, uint32_t a)
{
	snprintf(buf, IP4_STR_MAX, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
		 a & 0xff);
	return buf;
}

static uint32_t net_prefix_mask(unsigned int prefix)
{
	return prefix ? ~0u << (32 - prefix) : 0;
}

/* An address we may take: unicast, not the network's or the broadcast address of a prefix
 * shorter than /31, not loopback, not 0. The gateway, if any, is on-link and not us. */
static int net_config_check(const struct net_if_config *c)
{
	uint32_t mask = net_prefix_mask(c->prefix), host = c->addr & ~mask;

	if (c->prefix < 1 || c->prefix > 32 || !c->addr || (c->addr >> 24) == 127 ||
	    c->addr >= 0xe0000000u)
		return -EINVAL;
	if (c->prefix < 31 && (host == 0 || host == ~mask))
		return -EINVAL;
	if (c->gw && (c->gw == c->addr || (c->gw & mask) != (c->addr & mask) ||
		      (c->prefix < 31 && (c->gw & ~mask) == ~mask)))
		return -EINVAL;
	return 0;
}

/* ---- interfaces -------------------------------------------------------------------------- */

struct net_if *net_if_at(unsigned int i)
{
	return i < NET_IF_MAX && net_ifs[i].dev ? &net_ifs[i] : NULL;
}

static void net_if_apply(struct net_if *ifc, const struct net_if_config *c, bool from_default)
{
	char a[IP4_STR_MAX], g[IP4_STR_MAX];

	arp_if_flush(ifc);			/* entries of an old address are meaningless */
	ifc->cfg = *c;
	ifc->mask = net_prefix_mask(c->prefix);
	ifc->bcast = c->prefix < 31 ? (c->addr | ~ifc->mask) : IP4_BROADCAST;
	ifc->has_addr = true;
	ifc->from_default = from_default;
	printk("pvkit: net %s addr=%s/%u gw=%s\n", ifc->dev->name, ip_format_addr(a, c->addr),
	       c->prefix, c->gw ? ip_format_addr(g, c->gw) : "none");
	ifc->carrier = ifc->dev->carrier;
	ifc->carrier_ups = ifc->dev->carrier_ups;
	if (ifc->carrier)
		arp_announce(ifc);		/* else when the carrier comes up */
}

/* Is the default configuration held by a live interface other than @self? */
static bool net_default_taken(const struct net_if *self)
{
	for (unsigned int i = 0; i < NET_IF_MAX; i++)
		if (net_ifs[i].dev && &net_ifs[i] != self && net_ifs[i].from_default)
			return true;
	return false;
}

/* A new device: its own configuration, else the default if eth0 or if nobody holds it. */
static void net_if_autoconfig(struct net_if *ifc)
{
	const struct net_conf *def = &net_confs[NET_CONF_DEFAULT];

	for (unsigned int i = 1; i < ARRAY_SIZE(net_confs); i++) {
		if (net_confs[i].used && !strcmp(net_confs[i].name, ifc->dev->name)) {
			net_if_apply(ifc, &net_confs[i].cfg, false);
			return;
		}
	}
	if (def->used && !net_default_taken(ifc)) {
		bool named_elsewhere = false;

		/* eth0 gets it first: another device takes it only while eth0 is absent. */
		if (strcmp(ifc->dev->name, "eth0"))
			for (struct netdev *d = netdev_first(); d; d = netdev_next(d))
				named_elsewhere |= !strcmp(d->name, "eth0");
		if (!named_elsewhere)
			net_if_apply(ifc, &def->cfg, true);
	}
}

static struct net_if *net_if_find(const struct netdev *dev)
{
	for (unsigned int i = 0; i < NET_IF_MAX; i++)
		if (net_ifs[i].dev == dev)
			return &net_ifs[i];
	return NULL;
}

struct net_if *net_if_get(struct netdev *dev)
{
	struct net_if *ifc = net_if_find(dev);

	if (ifc)
		return ifc;
	for (unsigned int i = 0; i < NET_IF_MAX; i++) {
		if (!net_ifs[i].dev) {
			ifc = &net_ifs[i];
			memset(ifc, 0, sizeof(*ifc));
			ifc->dev = dev;
			dev->stack_priv = ifc;
			net_if_autoconfig(ifc);
			return ifc;
		}
	}
	return NULL;
}

/* The device left the registry: its frames and entries go; the device is not touched. */
static void net_if_detach(struct net_if *ifc)
{
	arp_if_flush(ifc);
	eth_drop_backlog(ifc);
	udp_dev_gone(ifc->dev);
	ifc->dev = NULL;
	ifc->has_addr = false;
	ifc->from_default = false;
}

static bool netdev_registered(const struct netdev *dev)
{
	for (struct netdev *d = netdev_first(); d; d = netdev_next(d))
		if (d == dev)
			return true;
	return false;
}

unsigned int net_if_sync(void)
{
	unsigned int work = 0;

	for (unsigned int i = 0; i < NET_IF_MAX; i++) {
		if (net_ifs[i].dev && !netdev_registered(net_ifs[i].dev)) {
			net_if_detach(&net_ifs[i]);
			work++;
		}
	}
	for (struct netdev *d = netdev_first(); d; d = netdev_next(d)) {
		struct net_if *ifc = net_if_find(d);

		if (!ifc) {
			ifc = net_if_get(d);
			work++;
			if (!ifc)
				continue;	/* more devices than NET_IF_MAX: unserved */
		}
		/* Link (back) up, or up again since we last looked (a reconnect after a resume
		 * or a migration): tell the neighbours and the bridge where we are. */
		if (d->carrier && (!ifc->carrier || d->carrier_ups != ifc->carrier_ups) &&
		    ifc->has_addr) {
			arp_announce(ifc);
			work++;
		}
		ifc->carrier = d->carrier;
		ifc->carrier_ups = d->carrier_ups;
	}
	return work;
}

int net_if_configure(struct netdev *dev, const struct net_if_config *cfg)
{
	struct net_if *ifc;

	if (!dev || !cfg || net_config_check(cfg))
		return -EINVAL;
	ifc = net_if_get(dev);
	if (!ifc)
		return -ENOSPC;
	net_if_apply(ifc, cfg, false);
	return 0;
}

int net_if_get_config(const struct netdev *dev, struct net_if_config *cfg)
{
	const struct net_if *ifc = net_if_find(dev);

	if (!ifc || !ifc->has_addr)
		return -ENOENT;
	*cfg = ifc->cfg;
	return 0;
}

bool net_if_is_bcast(const struct net_if *ifc, uint32_t a)
{
	return a == IP4_BROADCAST || (ifc->has_addr && a == ifc->bcast);
}

struct net_if *net_if_route(uint32_t dst, uint32_t *next_hop)
{
	struct net_if *via_gw = NULL;

	for (unsigned int i = 0; i < NET_IF_MAX; i++) {
		struct net_if *ifc = &net_ifs[i];

		if (!ifc->dev || !ifc->has_addr)
			continue;
		if (dst == IP4_BROADCAST || (dst & ifc->mask) == (ifc->cfg.addr & ifc->mask)) {
			*next_hop = dst;
			return ifc;
		}
		if (ifc->cfg.gw && !via_gw)
			via_gw = ifc;
	}
	if (!via_gw || !dst || ip_is_multicast(dst) || (dst >> 24) == 127)
		return NULL;
	*next_hop = via_gw->cfg.gw;
	return via_gw;
}

int ip_route(uint32_t dst, struct netdev **dev, uint32_t *next_hop)
{
	struct net_if *ifc = net_if_route(dst, next_hop);

	if (!ifc)
		return -EHOSTUNREACH;
	*dev = ifc->dev;
	return 0;
}

/* ---- command line ------------------------------------------------------------------------ */

/* One ip= (or ip.<if>=) with its gw= into a free slot. 1: taken, 0: absent, -EINVAL. */
static int net_config_one(const char *cmdline, const char *ifname, struct net_conf *slot)
{
	char key[8 + NETDEV_NAME_MAX], val[40];
	struct net_if_config c = { 0 };
	int err;

	snprintf(key, sizeof(key), ifname[0] ? "ip.%s" : "ip", ifname);
	err = cmdline_get(cmdline, key, val, sizeof(val));
	if (err == -ENOENT)
		return 0;
	if (err || ip_parse_cidr(val, &c.addr, &c.prefix))
		goto out_bad;
	snprintf(key, sizeof(key), ifname[0] ? "gw.%s" : "gw", ifname);
	err = cmdline_get(cmdline, key, val, sizeof(val));
	if (err != -ENOENT && (err || ip_parse_addr(val, &c.gw)))
		goto out_bad;
	if (net_config_check(&c))
		goto out_bad;
	slot->used = true;
	snprintf(slot->name, sizeof(slot->name), "%s", ifname);
	slot->cfg = c;
	return 1;

out_bad:
	printk("pvkit: warning: net: %s= unusable (want A.B.C.D/P, gw inside it): ignored\n", key);
	return -EINVAL;
}

int net_config_cmdline(const char *cmdline)
{
	unsigned int next = 1;
	int taken = 0, err, bad = 0;
	const char *p = cmdline;

	err = net_config_one(cmdline, "", &net_confs[NET_CONF_DEFAULT]);
	taken += err > 0;
	bad |= err < 0;
	/* ip.<name>= keys: find each name on the line (bounded by the slots we have). */
	while ((p = strstr(p, "ip.")) && next < ARRAY_SIZE(net_confs)) {
		char name[NETDEV_NAME_MAX];
		size_t n = 0;
		bool dup = false;

		if (p != cmdline && p[-1] != ' ' && p[-1] != '\t') {
			p += 3;
			continue;		/* part of another key (e.g. "pvkit.ip.x") */
		}
		p += 3;
		while (p[n] && p[n] != '=' && p[n] != ' ' && n < sizeof(name) - 1)
			n++;
		if (p[n] != '=' || !n) {
			p += n;
			continue;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		for (unsigned int i = 1; i < next; i++)
			dup |= !strcmp(net_confs[i].name, name);
		if (dup)
			continue;		/* the last one wins (cmdline_get): done already */
		err = net_config_one(cmdline, name, &net_confs[next]);
		if (err > 0) {
			taken++;
			next++;
		}
		bad |= err < 0;
	}
	/* Interfaces already attached (the stack started after the devices) get theirs now. */
	for (unsigned int i = 0; i < NET_IF_MAX; i++)
		if (net_ifs[i].dev && !net_ifs[i].has_addr)
			net_if_autoconfig(&net_ifs[i]);
	return bad ? -EINVAL : taken;
}

/* ---- receive ----------------------------------------------------------------------------- */

/* One frame: its fate. *@nbp is set to NULL when a socket kept the frame. */
static enum net_rx_fate net_classify(struct net_if *ifc, struct netbuf **nbp)
{
	struct netbuf *nb = *nbp;
	const uint8_t *p = nb->data;
	static const uint8_t bcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint16_t type;

	if (nb->len < ETH_HLEN)
		return NET_RX_eth_short;
	if (memcmp(p, ifc->dev->mac, ETH_ALEN) && memcmp(p, bcast, ETH_ALEN))
		return NET_RX_eth_not_us;	/* multicast included: we join no group */
	type = get_be16(p + 12);
	if (type != ETH_P_IP && type != ETH_P_ARP)
		return NET_RX_eth_unknown_type;
	if (!ifc->has_addr)
		return NET_RX_no_addr;
	if (type == ETH_P_ARP)
		return arp_input(ifc, p + ETH_HLEN, nb->len - ETH_HLEN);
	return ip_input(ifc, nbp, p + ETH_HLEN, nb->len - ETH_HLEN);
}

void net_input(struct netdev *dev, struct netbuf *nb)
{
	struct net_if *ifc = net_if_get(dev);
	enum net_rx_fate f = NET_RX_no_addr;	/* more interfaces than we serve */

	net_stats.rx_frames++;
	if (ifc)
		f = net_classify(ifc, &nb);
	net_stats.rx[f]++;
	netbuf_free(nb);			/* NULL when kept */
}

/* ---- timers ------------------------------------------------------------------------------ */

static uint64_t net_deadline = UINT64_MAX;	/* computed by the last net_poll() */

unsigned int net_poll(void)
{
	uint64_t now = net_now(), next = UINT64_MAX;
	unsigned int work = net_if_sync();

	for (unsigned int i = 0; i < NET_IF_MAX; i++) {
		struct net_if *ifc = &net_ifs[i];

		if (!ifc->dev)
			continue;
		work += eth_flush_backlog(ifc);
		work += arp_poll(ifc, now, &next);
		if (ifc->txq_len)
			next = MIN(next, now + 1000000);	/* the device frees room by itself */
	}
	work += icmp_poll(now, &next);
	net_deadline = next;
	return work;
}

uint64_t net_next_deadline(void)
{
	return net_deadline;
}

void net_reset(void)
{
	for (unsigned int i = 0; i < NET_IF_MAX; i++)
		if (net_ifs[i].dev)
			net_if_detach(&net_ifs[i]);
	memset(net_ifs, 0, sizeof(net_ifs));
	memset(net_confs, 0, sizeof(net_confs));
	icmp_reset();
	net_services_stop();
	udp_reset();
	net_reset_stats();
	net_deadline = UINT64_MAX;
}

/* ---- counters ---------------------------------------------------------------------------- */

void net_get_stats(struct net_stats *st)
{
	*st = net_stats;
}

void net_reset_stats(void)
{
	memset(&net_stats, 0, sizeof(net_stats));
}

#define NET_RX_NAME(name, handled)	{ #name, handled },
static const struct { const char *name; bool handled; } net_rx_names[] = {
	NET_RX_FATES(NET_RX_NAME)
};
#undef NET_RX_NAME
#define NET_TX_NAME(name)		#name,
static const char *const net_tx_names[] = { NET_TX_COUNTERS(NET_TX_NAME) };
#undef NET_TX_NAME
BUILD_BUG_ON(ARRAY_SIZE(net_rx_names) != NET_RX_NR);
BUILD_BUG_ON(ARRAY_SIZE(net_tx_names) != NET_TX_NR);

const char *net_rx_name(enum net_rx_fate f, bool *handled)
{
	if ((unsigned int)f >= NET_RX_NR)
		return "?";
	if (handled)
		*handled = net_rx_names[f].handled;
	return net_rx_names[f].name;
}

const char *net_tx_name(enum net_tx_counter c)
{
	return (unsigned int)c < NET_TX_NR ? net_tx_names[c] : "?";
}

/* "name=value" pairs of the non-zero counters, a few per line "pvkit: net stats <what>: ...". */
static void net_print_pairs(const char *what, const char *const *names, const uint64_t *vals,
			    unsigned int n)
{
	char line[256], item[64];
	size_t used = 0;

	for (unsigned int i = 0; i < n; i++) {
		int w;

		if (!vals[i])
			continue;
		w = snprintf(item, sizeof(item), " %s=%lu", names[i], (unsigned long)vals[i]);
		if (w <= 0 || (size_t)w >= sizeof(item))
			continue;
		if (used + (size_t)w >= sizeof(line)) {
			printk("pvkit: net stats %s:%s\n", what, line);
			used = 0;
		}
		memcpy(line + used, item, (size_t)w + 1);
		used += (size_t)w;
	}
	if (used)
		printk("pvkit: net stats %s:%s\n", what, line);
}

void net_stats_print(void)
{
	const char *rx_names[NET_RX_NR];
	uint64_t handled = 0, dropped = 0;
	struct net_service_stats ss;

	for (unsigned int i = 0; i < NET_IF_MAX; i++) {
		const struct net_if *ifc = &net_ifs[i];
		const struct netdev_stats *d;
		char a[IP4_STR_MAX];
		unsigned int arp = 0;

		if (!ifc->dev)
			continue;
		d = &ifc->dev->stats;
		for (unsigned int k = 0; k < ARP_CACHE_MAX; k++)
			arp += ifc->arp[k].state != ARP_FREE;
		printk("pvkit: net stats %s: addr=%s/%u carrier=%d rx_frames=%lu rx_bytes=%lu "
		       "tx_frames=%lu tx_bytes=%lu rx_dropped=%lu tx_dropped=%lu rx_errors=%lu "
		       "arp_entries=%u backlog=%u\n", ifc->dev->name,
		       ifc->has_addr ? ip_format_addr(a, ifc->cfg.addr) : "none", ifc->cfg.prefix,
		       ifc->dev->carrier, (unsigned long)d->rx_frames, (unsigned long)d->rx_bytes,
		       (unsigned long)d->tx_frames, (unsigned long)d->tx_bytes,
		       (unsigned long)d->rx_dropped, (unsigned long)d->tx_dropped,
		       (unsigned long)d->rx_errors, arp, ifc->txq_len);
	}
	for (unsigned int f = 0; f < NET_RX_NR; f++) {
		rx_names[f] = net_rx_names[f].name;
		if (net_rx_names[f].handled)
			handled += net_stats.rx[f];
		else
			dropped += net_stats.rx[f];
	}
	printk("pvkit: net stats rx: frames=%lu handled=%lu dropped=%lu\n",
	       (unsigned long)net_stats.rx_frames, (unsigned long)handled, (unsigned long)dropped);
	net_print_pairs("rx", rx_names, net_stats.rx, NET_RX_NR);
	net_print_pairs("tx", net_tx_names, net_stats.tx, NET_TX_NR);
	net_services_get_stats(&ss);
	printk("pvkit: net stats services: echo_datagrams=%lu echo_bytes=%lu echo_errors=%lu "
	       "sink_datagrams=%lu sink_bytes=%lu\n", (unsigned long)ss.echo_datagrams,
	       (unsigned long)ss.echo_bytes, (unsigned long)ss.echo_errors,
	       (unsigned long)ss.sink_datagrams, (unsigned long)ss.sink_bytes);
}
