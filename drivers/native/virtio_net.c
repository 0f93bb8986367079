// SPDX-License-Identifier: MIT
/*
 * virtio-net (virtio 1.2 §5.1) on the virtio-pci transport: each device a struct netdev
 * (eth0, ...) with one receive queue kept full of one-page netbufs and one transmit queue.
 * Run: qemu ... -netdev user,id=n0 -device virtio-net-pci,netdev=n0,disable-legacy=on
 * Everything the device writes (used entries, lengths, the rx header) is checked before use;
 * a bad completion costs that frame, never the guest.
 */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include <pvkit/netdev.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/virtio.h>
#include <pvkit/virtio_net.h>

#define VNET_MAX_DEVS		4
#define VNET_HDR_LEN		sizeof(struct virtio_net_hdr)
#define VNET_HDR_SLOT		16	/* tx header slots: one page holds VIRTQ_MAX_SIZE */
#define VNET_VLAN_SLACK		4	/* a tagged frame may carry 4 more bytes */
#define VNET_MTU_MIN		68	/* RFC 791's minimum */
/* The largest MTU whose frames fit a one-page netbuf after the header (descriptor ~100 B). */
#define VNET_MTU_MAX		(3840 - ETH_HLEN - VNET_VLAN_SLACK)
#define VNET_CONFIG_TRIES	8	/* config reads racing a change: then give up */
#define VNET_REPORTS		8	/* warnings per device, then only counted */

BUILD_BUG_ON(VNET_HDR_LEN != 12);
BUILD_BUG_ON(VNET_HDR_SLOT * VIRTQ_MAX_SIZE > PAGE_SIZE);

/* Features we use; VIRTIO_F_VERSION_1 is always added by the transport. No MRG_RXBUF and no
 * GSO: every frame fits one buffer. */
#define VNET_FEATURES	(VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) | \
			 VIRTIO_BIT(VIRTIO_NET_F_MTU) | VIRTIO_BIT(VIRTIO_NET_F_MAC) |	      \
			 VIRTIO_BIT(VIRTIO_NET_F_STATUS))

struct vnet {
	struct netdev nd;		/* what the stack sees; nd.priv = this */
	struct virtio_device *vdev;	/* NULL: this entry is free */
	struct virtqueue rxq;		/* tokens: the posted netbufs */
	struct virtqueue txq;		/* tokens: the netbufs being sent */
	uint64_t tx_hdr_page;		/* a VNET_HDR_SLOT header per tx chain head (DMA) */
	uint32_t rx_buf_len;		/* frame bytes a receive buffer holds */
	uint32_t rx_posted;		/* receive buffers at the device */
	unsigned int reports;		/* warnings printed */
	struct virtio_net_stats st;	/* counters (ring fields filled on request) */
};

static struct vnet vnet_devs[VNET_MAX_DEVS];

static void vnet_report(struct vnet *v, const char *what, uint32_t a, uint32_t b)
{
	if (v->reports++ < VNET_REPORTS)
		printk("pvkit: warning: virtio-net %s: %s (%u, %u): frame dropped\n", v->nd.name,
		       what, a, b);
}

/* Complete the ones'-complement sum of @p[start..len) into @p[start + off] (the field holds
 * the pseudo-header sum, as virtio's NEEDS_CSUM and NETBUF_CSUM_PARTIAL define). */
static int vnet_csum_complete(uint8_t *p, uint32_t len, uint32_t start, uint32_t off)
{
	uint64_t sum = 0;
	uint16_t c;

	if (start >= len || off > len - start || len - start - off < 2)
		return -EINVAL;
	for (uint32_t i = start; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if ((len - start) & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	c = (uint16_t)~sum;
	c = c ? c : 0xffff;			/* UDP's "no checksum" is 0: send 0xffff */
	p[start + off] = c >> 8;
	p[start + off + 1] = (uint8_t)c;
	return 0;
}

/* ---- receive ----------------------------------------------------------------------------- */

/* Post one fresh buffer. 0, -ENOMEM or -ENOSPC (ring full). Interrupts off. */
static int vnet_rx_post(struct vnet *v)
{
	struct netbuf *nb;
	struct virtq_buf b;
	int err;

	if (!v->rxq.num_free)
		return -ENOSPC;
	nb = netbuf_alloc(v->rx_buf_len, VNET_HDR_LEN);
	if (!nb) {
		v->st.rx_nomem++;
		return -ENOMEM;
	}
	if (nb->head_pages != 1 || nb->size < v->rx_buf_len) {
		netbuf_free(nb);		/* not one physically contiguous page */
		return -ENOMEM;
	}
	/* The header goes into the headroom just before data: one descriptor per frame. */
	b.pa = nb->head_pa + (uint64_t)(nb->data - nb->head) - VNET_HDR_LEN;
	b.len = VNET_HDR_LEN + v->rx_buf_len;
	err = virtq_add(&v->rxq, &b, 0, 1, nb, NULL);
	if (err) {
		netbuf_free(nb);
		return err;
	}
	v->rx_posted++;
	return 0;
}

static void vnet_rx_refill(struct vnet *v)
{
	unsigned int added = 0;

	while (v->rx_posted < v->rxq.num && !vnet_rx_post(v))
		added++;
	if (added)
		virtio_vq_kick(&v->rxq);
}

/* One completed buffer of @len bytes (header included, checked <= the buffer). 0: hand it
 * up; else the frame is dropped (counted). */
static int vnet_rx_check(struct vnet *v, struct netbuf *nb, uint32_t len)
{
	struct virtio_net_hdr h;

	if (len < VNET_HDR_LEN + ETH_HLEN) {
		v->st.rx_short++;
		vnet_report(v, "frame shorter than the headers", len, VNET_HDR_LEN + ETH_HLEN);
		return -EINVAL;
	}
	memcpy(&h, nb->data - VNET_HDR_LEN, sizeof(h));	/* copied once, then checked */
	nb->len = len - VNET_HDR_LEN;
	nb->csum = NETBUF_CSUM_NONE;
	if (h.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		v->st.rx_gso++;
		vnet_report(v, "GSO frame (not negotiated)", h.gso_type, len);
		return -EINVAL;
	}
	if (!(v->vdev->features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;			/* flags mean nothing then */
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (vnet_csum_complete(nb->data, nb->len, h.csum_start, h.csum_offset)) {
			v->st.rx_bad_csum_off++;
			vnet_report(v, "checksum offsets outside the frame", h.csum_start,
				    h.csum_offset);
			return -EINVAL;
		}
		v->st.rx_csum_completed++;
		nb->csum = NETBUF_CSUM_VALID;
	} else if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		v->st.rx_csum_valid++;
		nb->csum = NETBUF_CSUM_VALID;
	}
	return 0;
}

/* Receive completions: interrupt or poll context, interrupts off. */
static void vnet_rx_done(struct virtqueue *vq, void *ctx)
{
	struct vnet *v = ctx;

	/* Bounded: a device completing garbage forever cannot keep us; the rest comes from
	 * the poll timer or the next netdev_poll(). */
	for (unsigned int budget = 2u * vq->num; ; budget--) {
		void *token;
		uint32_t len;
		int err;

		if (!budget) {
			virtio_vq_poll_later(vq);
			break;
		}
		err = virtq_get(vq, &token, &len);
		if (err == -ENOENT)
			break;
		v->rx_posted--;
		v->st.rx_completed++;
		if (err) {			/* -EMSGSIZE: len beyond the buffer */
			v->st.rx_bad_len++;
			v->nd.stats.rx_errors++;
			netbuf_free(token);
			continue;
		}
		if (vnet_rx_check(v, token, len)) {
			v->nd.stats.rx_errors++;
			netbuf_free(token);
			continue;
		}
		netdev_rx(&v->nd, token);
	}
	vnet_rx_refill(v);
}

/* ---- transmit ---------------------------------------------------------------------------- */

/* Free what the device finished. Never from the tx interrupt: netdev_tx() may still look
 * at a netbuf after the driver took it. Interrupts off. */
static void vnet_tx_reclaim(struct vnet *v)
{
	void *token;
	uint32_t len;
	int err;

	while ((err = virtq_get(&v->txq, &token, &len)) != -ENOENT) {
		v->st.tx_completed++;		/* -EMSGSIZE (len > 0): done all the same */
		netbuf_free(token);
	}
}

/* Tx completions need no interrupt: the ring is reclaimed on the next send or poll. */
static void vnet_tx_done(struct virtqueue *vq, void *ctx)
{
}

static int vnet_tx(struct netdev *dev, struct netbuf *nb)
{
	struct vnet *v = dev->priv;
	struct virtio_net_hdr *h;
	struct virtq_buf b[2];
	unsigned long fl;
	uint16_t head;
	int err;

	if (nb->head_pages != 1 || !nb->len || nb->len > nb->size)
		return -EINVAL;			/* not one physically contiguous piece */
	fl = pv_irq_save();
	vnet_tx_reclaim(v);
	if (v->txq.num_free < 2) {
		v->st.tx_busy++;
		pv_irq_restore(fl);
		return -EBUSY;
	}
	head = virtq_next_head(&v->txq);	/* its header slot is free: no chain uses it */
	h = (struct virtio_net_hdr *)((uint8_t *)os_phys_to_virt(v->tx_hdr_page) +
				      head * VNET_HDR_SLOT);
	memset(h, 0, sizeof(*h));
	if (nb->csum == NETBUF_CSUM_PARTIAL) {
		if (v->vdev->features & VIRTIO_BIT(VIRTIO_NET_F_CSUM)) {
			h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
			h->csum_start = nb->csum_start;
			h->csum_offset = nb->csum_offset;
			v->st.tx_csum_offload++;
		} else if (vnet_csum_complete(nb->data, nb->len, nb->csum_start,
					      nb->csum_offset)) {
			pv_irq_restore(fl);
			return -EINVAL;
		} else {
			v->st.tx_csum_sw++;
		}
	}
	b[0] = (struct virtq_buf){ v->tx_hdr_page + head * VNET_HDR_SLOT, VNET_HDR_LEN };
	b[1] = (struct virtq_buf){ nb->head_pa + (uint64_t)(nb->data - nb->head), nb->len };
	err = virtq_add(&v->txq, b, 2, 0, nb, NULL);
	if (!err)
		virtio_vq_kick(&v->txq);
	pv_irq_restore(fl);
	return err == -ENOSPC ? -EBUSY : err;
}

static void vnet_poll(struct netdev *dev)
{
	struct vnet *v = dev->priv;
	unsigned long fl = pv_irq_save();

	vnet_tx_reclaim(v);
	vnet_rx_done(&v->rxq, v);		/* also refills after a shortage */
	pv_irq_restore(fl);
}

static const struct netdev_ops vnet_ops = {
	.tx = vnet_tx,
	.poll = vnet_poll,
};

/* ---- bring-up ---------------------------------------------------------------------------- */

static bool vnet_link_up(struct virtio_device *vdev)
{
	if (!(vdev->features & VIRTIO_BIT(VIRTIO_NET_F_STATUS)))
		return true;			/* no status: always up (§5.1.4) */
	return virtio_cfg_read(vdev, VIRTIO_NET_CFG_STATUS, 2) & VIRTIO_NET_S_LINK_UP;
}

/* MAC and MTU, read in one configuration generation. 0 or -EIO. */
static int vnet_read_config(struct vnet *v)
{
	struct virtio_device *vdev = v->vdev;
	uint32_t mtu = ETH_MTU_DEFAULT;

	for (unsigned int tries = 0; tries < VNET_CONFIG_TRIES; tries++) {
		uint8_t gen = virtio_cfg_generation(vdev);

		for (unsigned int i = 0; i < ETH_ALEN; i++)
			v->nd.mac[i] = (vdev->features & VIRTIO_BIT(VIRTIO_NET_F_MAC)) ?
				       (uint8_t)virtio_cfg_read(vdev, VIRTIO_NET_CFG_MAC + i, 1) : 0;
		if (vdev->features & VIRTIO_BIT(VIRTIO_NET_F_MTU))
			mtu = (uint32_t)virtio_cfg_read(vdev, VIRTIO_NET_CFG_MTU, 2);
		if (gen != virtio_cfg_generation(vdev))
			continue;
		if ((v->nd.mac[0] & 1) || !(v->nd.mac[0] | v->nd.mac[1] | v->nd.mac[2] |
					     v->nd.mac[3] | v->nd.mac[4] | v->nd.mac[5])) {
			uint64_t r = os_clock_ns();	/* none, or unusable: a local one */

			v->nd.mac[0] = 0x02;
			for (unsigned int i = 1; i < ETH_ALEN; i++)
				v->nd.mac[i] = (uint8_t)(r >> (8 * i)) ^ (uint8_t)(0x5a * i);
		}
		if (mtu < VNET_MTU_MIN) {
			printk("pvkit: warning: virtio-net: device MTU %u too small: using %u\n",
			       mtu, ETH_MTU_DEFAULT);
			mtu = ETH_MTU_DEFAULT;
		}
		v->nd.mtu = MIN(mtu, (uint32_t)VNET_MTU_MAX);	/* we may use less (§5.1.4.1) */
		return 0;
	}
	return -EIO;
}

static struct vnet *vnet_alloc(struct virtio_device *vdev)
{
	for (unsigned int i = 0; i < VNET_MAX_DEVS; i++) {
		struct vnet *v = &vnet_devs[i];

		if (v->vdev)
			continue;
		/* The rings may still be the transport's to tear down: keep the queues. */
		memset(&v->nd, 0, sizeof(v->nd));
		memset(&v->st, 0, sizeof(v->st));
		v->tx_hdr_page = 0;
		v->rx_posted = v->reports = 0;
		v->vdev = vdev;
		return v;
	}
	return NULL;
}

static void vnet_name(struct vnet *v)
{
	for (unsigned int n = 0; n < 100; n++) {
		snprintf(v->nd.name, sizeof(v->nd.name), "eth%u", n);
		if (!netdev_find(v->nd.name))
			return;
	}
}

static int vnet_probe(struct virtio_device *vdev)
{
	struct vnet *v = vnet_alloc(vdev);
	int err;

	if (!v)
		return -ENOSPC;
	err = virtio_negotiate(vdev, VNET_FEATURES);
	if (!err)
		err = vnet_read_config(v);
	if (err)
		goto out_release;
	v->rx_buf_len = v->nd.mtu + ETH_HLEN + VNET_VLAN_SLACK;
	err = virtio_vq_setup(vdev, VIRTIO_NET_RXQ, VIRTQ_MAX_SIZE, &v->rxq, vnet_rx_done, v);
	if (!err)
		err = virtio_vq_setup(vdev, VIRTIO_NET_TXQ, VIRTQ_MAX_SIZE, &v->txq, vnet_tx_done,
				      v);
	if (!err)
		err = os_page_alloc(&v->tx_hdr_page);
	if (err)
		goto out_release;		/* the transport frees the queues */
	/* Completions are reclaimed on the next send: no interrupt per sent frame. */
	WRITE_ONCE(v->txq.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);

	vnet_name(v);
	v->nd.ops = &vnet_ops;
	v->nd.priv = v;
	v->nd.carrier = vnet_link_up(vdev);
	v->nd.features.sg = false;
	v->nd.features.csum = vdev->features & VIRTIO_BIT(VIRTIO_NET_F_CSUM);
	v->nd.features.queues = 1;
	err = netdev_register(&v->nd);
	if (err)
		goto out_free_hdr;
	vdev->priv = v;
	virtio_driver_ok(vdev);
	{
		unsigned long fl = pv_irq_save();

		vnet_rx_refill(v);		/* short of memory: netdev_poll() refills */
		pv_irq_restore(fl);
	}
	return 0;

out_free_hdr:
	os_page_free(v->tx_hdr_page);
	v->tx_hdr_page = 0;
out_release:
	v->vdev = NULL;
	return err;
}

/* Link status changed (interrupt context). */
static void vnet_config_changed(struct virtio_device *vdev)
{
	struct vnet *v = vdev->priv;

	if (!v)
		return;
	v->st.config_changes++;
	netdev_set_carrier(&v->nd, vnet_link_up(vdev));
}

const struct virtio_driver virtio_net_driver = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.probe = vnet_probe,
	.config_changed = vnet_config_changed,
};

int virtio_net_get_stats(struct netdev *dev, struct virtio_net_stats *st)
{
	struct vnet *v = dev ? dev->priv : NULL;

	if (!dev || dev->ops != &vnet_ops)
		return -ENODEV;
	*st = v->st;
	st->features = v->vdev->features;
	st->rx_queue_size = v->rxq.num;
	st->tx_queue_size = v->txq.num;
	st->rx_posted = v->rx_posted;
	st->rx_buf_len = v->rx_buf_len;
	st->tx_in_flight = v->txq.in_flight;
	st->rx_vector = v->rxq.vector;
	st->rx_interrupts = v->rxq.stats.interrupts;
	st->tx_interrupts = v->txq.stats.interrupts;
	st->rx_notifies = v->rxq.stats.notifies;
	st->tx_notifies = v->txq.stats.notifies;
	/* rx lengths beyond the buffer are rx_bad_len; tx chains take no bytes back, so any
	 * length there is the device's mistake too. */
	st->bad_used = v->rxq.stats.bad_id + v->rxq.stats.not_in_flight + v->rxq.stats.bad_idx +
		       v->txq.stats.bad_id + v->txq.stats.not_in_flight + v->txq.stats.bad_idx +
		       v->txq.stats.bad_len;
	return 0;
}
