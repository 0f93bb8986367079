// SPDX-License-Identifier: MIT
/*
 * The network-device layer (include/pvkit/netdev.h): interface registry, frame buffers, and
 * the hand-over from drivers (interrupt context) to the stack (idle loop) through one bounded
 * receive queue: when it is full, frames are dropped and counted, never queued without limit.
 */
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include <pvkit/netdev.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <string.h>

#define RX_QUEUE_MAX	256		/* frames waiting for the stack */

static struct netdev *netdevs;
static struct netbuf *rxq_head, *rxq_tail;
static unsigned int rxq_len;
static void (*rx_handler)(struct netdev *dev, struct netbuf *nb);

struct netbuf *netbuf_alloc(uint32_t len, uint32_t headroom)
{
	uint32_t need = sizeof(struct netbuf) + headroom + len;
	uint32_t pages = DIV_ROUND_UP(need, PAGE_SIZE);
	struct netbuf *nb;
	uint64_t pa;
	uint8_t *mem;

	if (len > NETBUF_SIZE || headroom > PAGE_SIZE)
		return NULL;
	if (pages == 1) {
		if (os_page_alloc(&pa))
			return NULL;
		mem = os_phys_to_virt(pa);
	} else {
		static uint64_t frames[NETBUF_SIZE / PAGE_SIZE + 2];

		mem = os_vmap_reserve(pages * PAGE_SIZE);
		if (!mem)
			return NULL;
		for (uint32_t i = 0; i < pages; i++) {
			if (os_page_alloc(&frames[i])) {
				while (i--)
					os_page_free(frames[i]);
				os_vmap_free(mem, pages * PAGE_SIZE);
				return NULL;
			}
		}
		if (os_vm_map_pages((uintptr_t)mem, frames, pages, OS_MAP_WRITE)) {
			for (uint32_t i = 0; i < pages; i++)
				os_page_free(frames[i]);
			os_vmap_free(mem, pages * PAGE_SIZE);
			return NULL;
		}
		pa = frames[0];
	}
	/* The descriptor lives at the start of its own buffer: one allocation per frame. */
	nb = (struct netbuf *)mem;
	memset(nb, 0, sizeof(*nb));
	nb->head = mem;
	nb->head_pa = pa;
	nb->head_pages = pages;
	nb->data = mem + sizeof(*nb) + headroom;
	nb->size = pages * PAGE_SIZE - sizeof(*nb) - headroom;
	return nb;
}

void netbuf_free(struct netbuf *nb)
{
	uint32_t pages;
	uint8_t *mem;

	if (!nb)
		return;
	pages = nb->head_pages;
	mem = nb->head;
	if (pages == 1) {
		os_page_free(nb->head_pa);
		return;
	}
	for (uint32_t i = 0; i < pages; i++) {
		uint64_t pa;

		if (!os_vm_lookup((uintptr_t)mem + i * PAGE_SIZE, &pa))
			os_page_free(pa);
	}
	os_vm_unmap((uintptr_t)mem, pages * PAGE_SIZE);
	os_vmap_free(mem, pages * PAGE_SIZE);
}

int netdev_register(struct netdev *dev)
{
	struct netdev **pp = &netdevs;
	const struct netdev_features *f = &dev->features;
	const uint8_t *m = dev->mac;

	if (!dev->ops || !dev->ops->tx || !dev->name[0] || !dev->mtu)
		return -EINVAL;
	if (netdev_find(dev->name))
		return -EEXIST;
	while (*pp)
		pp = &(*pp)->next;
	dev->next = NULL;
	dev->gone = false;
	*pp = dev;
	printk("pvkit: net %s mac=%02x:%02x:%02x:%02x:%02x:%02x mtu=%u features: sg=%d csum=%d "
	       "queues=%u split-evtchn=%d\n", dev->name, m[0], m[1], m[2], m[3], m[4], m[5],
	       dev->mtu, f->sg, f->csum, f->queues, f->split_evtchn);
	return 0;
}

void netdev_unregister(struct netdev *dev)
{
	unsigned long fl;

	for (struct netdev **pp = &netdevs; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	dev->gone = true;
	dev->carrier = false;
	dev->next = NULL;
	/* Frames of this device still queued must not reach the stack with a stale pointer. */
	fl = pv_irq_save();
	for (struct netbuf **pp = &rxq_head; *pp;) {
		struct netbuf *nb = *pp;

		if (nb->dev == dev) {
			*pp = nb->next;
			rxq_len--;
			netbuf_free(nb);
		} else {
			pp = &nb->next;
		}
	}
	rxq_tail = NULL;
	for (struct netbuf *nb = rxq_head; nb; nb = nb->next)
		rxq_tail = nb;
	pv_irq_restore(fl);
	printk("pvkit: net %s removed\n", dev->name);
}

struct netdev *netdev_first(void)
{
	return netdevs;
}

struct netdev *netdev_next(struct netdev *dev)
{
	return dev->next;
}

struct netdev *netdev_find(const char *name)
{
	for (struct netdev *d = netdevs; d; d = d->next)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

void netdev_set_carrier(struct netdev *dev, bool up)
{
	if (dev->carrier != up)
		printk("pvkit: net %s carrier %s\n", dev->name, up ? "up" : "down");
	if (up && !dev->carrier)
		dev->carrier_ups++;
	dev->carrier = up;
}

void netdev_rx(struct netdev *dev, struct netbuf *nb)
{
	unsigned long fl;

	nb->dev = dev;
	nb->next = NULL;
	dev->stats.rx_frames++;
	dev->stats.rx_bytes += nb->len;
	fl = pv_irq_save();
	if (rxq_len >= RX_QUEUE_MAX || dev->gone) {
		pv_irq_restore(fl);
		dev->stats.rx_dropped++;
		netbuf_free(nb);
		return;
	}
	if (rxq_tail)
		rxq_tail->next = nb;
	else
		rxq_head = nb;
	rxq_tail = nb;
	rxq_len++;
	pv_irq_restore(fl);
}

int netdev_tx(struct netdev *dev, struct netbuf *nb)
{
	uint32_t len = nb->len;		/* issue 7: once tx() took nb, a completion may free it */
	int err;

	if (dev->gone)
		return -ENODEV;
	if (!dev->carrier)
		return -ENETDOWN;
	if (len < ETH_HLEN || (len > dev->mtu + ETH_HLEN + 4 && !dev->features.sg))
		return -EMSGSIZE;
	err = dev->ops->tx(dev, nb);
	if (!err) {
		dev->stats.tx_frames++;
		dev->stats.tx_bytes += len;
	} else if (err != -EBUSY) {
		dev->stats.tx_dropped++;
	}
	return err;
}

void netdev_set_rx_handler(void (*fn)(struct netdev *dev, struct netbuf *nb))
{
	rx_handler = fn;
}

unsigned int netdev_poll(void)
{
	unsigned int work = 0;

	for (struct netdev *d = netdevs; d; d = d->next)
		if (d->ops->poll)
			d->ops->poll(d);
	for (;;) {
		unsigned long fl = pv_irq_save();
		struct netbuf *nb = rxq_head;

		if (nb) {
			rxq_head = nb->next;
			if (!rxq_head)
				rxq_tail = NULL;
			rxq_len--;
		}
		pv_irq_restore(fl);
		if (!nb)
			break;
		work++;
		if (rx_handler)
			rx_handler(nb->dev, nb);
		else
			netbuf_free(nb);
	}
	return work;
}
