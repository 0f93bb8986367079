// SPDX-License-Identifier: MIT
/*
 * virtio 1.x over PCI (virtio 1.2 §4.1, modern capabilities only) and split virtqueues
 * (§2.7): bring-up, feature negotiation, queues in DMA pages, doorbells, MSI-X per queue (or
 * a 1 ms poll). Run: qemu ... -device virtio-blk-pci,drive=d0,disable-legacy=on
 */
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/os.h>
#include <pvkit/pci.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/virtio.h>
#include <pvkit/x86.h>

/*
 * Ordering against the device (§2.7.13): x86 keeps stores in order and loads in order, so
 * compiler barriers do for store->store and load->load; only store->load needs a fence.
 */
#define virtq_wmb()	barrier()
#define virtq_rmb()	barrier()
#define virtq_mb()	mb()

#define VIRTQ_MAX_REPORTS	8		/* diagnostics per queue, then silence */
#define VIRTIO_MAX_DEVS		8		/* devices bound at once */
#define VIRTIO_MAX_POLLED	16		/* queues without an interrupt */
#define VIRTIO_POLL_NS		1000000ull	/* how often those are polled */
#define VIRTIO_RESET_NS		1000000000ull	/* a reset must read back 0 within this */
#define VIRTIO_CAP_MAP_MAX	(1u << 20)	/* larger capability windows are refused */

/* The virtio device drivers this image has, by type. */
static const struct virtio_driver *const virtio_drivers[] = {
#ifdef CONFIG_VIRTIO_BLK
	&virtio_blk_driver,
#endif
#ifdef CONFIG_VIRTIO_NET			/* issue 7 */
	&virtio_net_driver,
#endif
	NULL,
};

/* ==== split virtqueue: pure ring logic ===================================================== */

static void virtq_report(struct virtqueue *vq, const char *what, uint32_t a, uint32_t b)
{
	if (vq->reports++ < VIRTQ_MAX_REPORTS)
		printk("pvkit: warning: virtio: queue %u: %s (%u, %u): ignored\n", vq->index, what,
		       a, b);
}

int virtq_init(struct virtqueue *vq, uint16_t num, struct vring_desc *desc,
	       struct vring_avail *avail, struct vring_used *used, struct virtq_head *heads)
{
	if (!num || num > VIRTQ_MAX_SIZE || (num & (num - 1)) || !desc || !avail || !used ||
	    !heads)
		return -EINVAL;
	memset(vq, 0, offsetof(struct virtqueue, indirect_ok));	/* ring state only */
	vq->num = num;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->heads = heads;
	for (uint16_t i = 0; i < num; i++) {
		heads[i].token = NULL;
		heads[i].next = i + 1;		/* the free list: every descriptor, in order */
		heads[i].ndesc = 0;
		heads[i].in_len = 0;
	}
	vq->num_free = num;
	WRITE_ONCE(avail->flags, 0);		/* we want interrupts */
	WRITE_ONCE(avail->idx, 0);
	return 0;
}

/* Take @n descriptors off the free list: they are already linked (heads[].next). */
static uint16_t virtq_take(struct virtqueue *vq, unsigned int n)
{
	uint16_t head = vq->free_head, i = head;

	for (unsigned int k = 0; k < n; k++)
		i = vq->heads[i].next;
	vq->free_head = i;
	vq->num_free -= n;
	return head;
}

/* Fill @table[0..out+in) with the buffers, chained through @link (our free-list links, or
 * 1, 2, ... for an indirect table). */
static void virtq_fill(struct vring_desc *table, const struct virtq_buf *bufs, unsigned int out,
		       unsigned int n, uint16_t first, const struct virtq_head *links)
{
	uint16_t i = first;

	for (unsigned int k = 0; k < n; k++) {
		uint16_t next = links ? links[i].next : i + 1;
		struct vring_desc *d = &table[i];

		d->addr = bufs[k].pa;
		d->len = bufs[k].len;
		d->flags = (k >= out ? VRING_DESC_F_WRITE : 0) | (k + 1 < n ? VRING_DESC_F_NEXT : 0);
		d->next = k + 1 < n ? next : 0;
		i = next;
	}
}

int virtq_add(struct virtqueue *vq, const struct virtq_buf *bufs, unsigned int out,
	      unsigned int in, void *token, const struct virtq_indirect *ind)
{
	unsigned int n = out + in, need = ind ? 1 : n;
	uint64_t in_len = 0;
	uint16_t head;

	/* Check everything, then act: nothing below can fail. */
	if (!token || !n || n > vq->num ||
	    (ind && (!vq->indirect_ok || !ind->desc || n > ind->max)))
		return -EINVAL;
	for (unsigned int k = 0; k < n; k++) {
		if (!bufs[k].len)
			return -EINVAL;
		if (k >= out)
			in_len += bufs[k].len;
	}
	if (in_len > UINT32_MAX)
		return -EINVAL;
	if (vq->num_free < need)
		return -ENOSPC;

	head = vq->free_head;
	if (ind) {
		virtq_fill(ind->desc, bufs, out, n, 0, NULL);
		vq->desc[head].addr = ind->pa;
		vq->desc[head].len = n * sizeof(struct vring_desc);
		vq->desc[head].flags = VRING_DESC_F_INDIRECT;
		vq->desc[head].next = 0;
	} else {
		virtq_fill(vq->desc, bufs, out, n, head, vq->heads);
	}
	virtq_take(vq, need);
	vq->heads[head].token = token;
	vq->heads[head].in_len = in_len;
	vq->heads[head].ndesc = need;
	vq->in_flight++;
	vq->stats.added++;

	vq->avail->ring[vq->avail_idx & (vq->num - 1)] = head;
	virtq_wmb();				/* the entry before the index that publishes it */
	vq->avail_idx++;
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	return 0;
}

bool virtq_kick_needed(struct virtqueue *vq)
{
	virtq_mb();				/* avail->idx visible before we read the flag */
	return !(READ_ONCE(vq->used->flags) & VRING_USED_F_NO_NOTIFY);
}

/* Put the chain at @head back on the free list. */
static void virtq_free_chain(struct virtqueue *vq, uint16_t head)
{
	struct virtq_head *h = &vq->heads[head];
	uint16_t last = head;

	for (unsigned int k = 1; k < h->ndesc; k++)
		last = vq->heads[last].next;
	vq->heads[last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += h->ndesc;
	vq->in_flight--;
	h->token = NULL;
	h->ndesc = 0;
}

int virtq_get(struct virtqueue *vq, void **token, uint32_t *len)
{
	/* At most a queue's worth of garbage per call: a device cannot keep us here. */
	for (unsigned int budget = vq->num; budget; budget--) {
		uint16_t idx = READ_ONCE(vq->used->idx), pending = idx - vq->last_used;
		struct vring_used_elem e;
		struct virtq_head *h;

		if (!pending)
			return -ENOENT;
		/* More entries than the ring holds (ahead, or behind us): the index is garbage.
		 * (Not "more than in flight": garbage entries would then wedge the queue.) */
		if (pending > vq->num) {
			if (!vq->bad_idx_valid || vq->bad_idx_seen != idx) {
				vq->stats.bad_idx++;
				vq->bad_idx_seen = idx;
				vq->bad_idx_valid = true;
				virtq_report(vq, "used idx more than the ring ahead", idx,
					     vq->last_used);
			}
			return -ENOENT;
		}
		vq->bad_idx_valid = false;
		virtq_rmb();			/* the entry after the index that covers it */
		e.id = READ_ONCE(vq->used->ring[vq->last_used & (vq->num - 1)].id);
		e.len = READ_ONCE(vq->used->ring[vq->last_used & (vq->num - 1)].len);
		vq->last_used++;
		if (e.id >= vq->num) {
			vq->stats.bad_id++;
			virtq_report(vq, "used id out of range", e.id, vq->num);
			continue;
		}
		h = &vq->heads[e.id];
		if (!h->token) {
			vq->stats.not_in_flight++;
			virtq_report(vq, "used id not in flight", e.id, e.len);
			continue;
		}
		*token = h->token;
		*len = e.len;
		vq->stats.completed++;
		if (e.len > h->in_len) {
			vq->stats.bad_len++;
			virtq_report(vq, "used len beyond the buffers", e.len, h->in_len);
			virtq_free_chain(vq, e.id);
			return -EMSGSIZE;
		}
		virtq_free_chain(vq, e.id);
		return 0;
	}
	return -ENOENT;
}

int virtq_reclaim(struct virtqueue *vq, void **token)
{
	for (uint16_t i = 0; i < vq->num; i++) {
		if (vq->heads[i].token) {
			*token = vq->heads[i].token;
			virtq_free_chain(vq, i);
			return 0;
		}
	}
	return -ENOENT;
}

/* ==== PCI transport ======================================================================== */

static struct virtio_device virtio_devs[VIRTIO_MAX_DEVS];	/* slots; pci == NULL: free */
static struct virtqueue *virtio_polled[VIRTIO_MAX_POLLED];	/* queues the timer polls */
static struct os_timer virtio_poll_timer;

static uint8_t common_read8(struct virtio_device *v, unsigned int off)
{
	return *(volatile uint8_t *)(v->common + off);
}

static uint16_t common_read16(struct virtio_device *v, unsigned int off)
{
	return *(volatile uint16_t *)(v->common + off);
}

static uint32_t common_read32(struct virtio_device *v, unsigned int off)
{
	return *(volatile uint32_t *)(v->common + off);
}

static void common_write8(struct virtio_device *v, unsigned int off, uint8_t x)
{
	*(volatile uint8_t *)(v->common + off) = x;
}

static void common_write16(struct virtio_device *v, unsigned int off, uint16_t x)
{
	*(volatile uint16_t *)(v->common + off) = x;
}

static void common_write32(struct virtio_device *v, unsigned int off, uint32_t x)
{
	*(volatile uint32_t *)(v->common + off) = x;
}

/* 64-bit fields as two 32-bit writes, low half first (§4.1.3.1). */
static void common_write64(struct virtio_device *v, unsigned int off, uint64_t x)
{
	common_write32(v, off, (uint32_t)x);
	common_write32(v, off + 4, (uint32_t)(x >> 32));
}

uint8_t virtio_get_status(struct virtio_device *vdev)
{
	return common_read8(vdev, VIRTIO_COMMON_STATUS);
}

static void virtio_add_status(struct virtio_device *vdev, uint8_t bits)
{
	common_write8(vdev, VIRTIO_COMMON_STATUS, virtio_get_status(vdev) | bits);
}

uint8_t virtio_cfg_generation(struct virtio_device *vdev)
{
	return common_read8(vdev, VIRTIO_COMMON_CFGGENERATION);
}

uint64_t virtio_cfg_read(struct virtio_device *vdev, uint32_t off, unsigned int size)
{
	volatile uint8_t *p;

	if (!vdev->device_cfg || off >= vdev->device_cfg_len || size > vdev->device_cfg_len - off ||
	    off % (size == 8 ? 4 : size))
		return 0;			/* not exposed: as if 0 */
	p = vdev->device_cfg + off;
	switch (size) {
	case 1:
		return *p;
	case 2:
		return *(volatile uint16_t *)p;
	case 4:
		return *(volatile uint32_t *)p;
	case 8:
		return *(volatile uint32_t *)p | (uint64_t)*(volatile uint32_t *)(p + 4) << 32;
	default:
		return 0;
	}
}

/* Write 0 and wait (bounded) until the device says it has reset. */
static int virtio_reset(struct virtio_device *vdev)
{
	uint64_t end = os_clock_ns() + VIRTIO_RESET_NS;

	common_write8(vdev, VIRTIO_COMMON_STATUS, 0);
	while (virtio_get_status(vdev)) {
		if (os_clock_ns() > end)
			return -EIO;
		cpu_relax();
	}
	return 0;
}

int virtio_negotiate(struct virtio_device *vdev, uint64_t wanted)
{
	uint64_t dev, feats;

	common_write32(vdev, VIRTIO_COMMON_DFSELECT, 0);
	dev = common_read32(vdev, VIRTIO_COMMON_DF);
	common_write32(vdev, VIRTIO_COMMON_DFSELECT, 1);
	dev |= (uint64_t)common_read32(vdev, VIRTIO_COMMON_DF) << 32;
	vdev->device_features = dev;
	if (!(dev & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		return -ENODEV;			/* legacy only: not driven */
	feats = dev & (wanted | VIRTIO_BIT(VIRTIO_F_VERSION_1));
	common_write32(vdev, VIRTIO_COMMON_GFSELECT, 0);
	common_write32(vdev, VIRTIO_COMMON_GF, (uint32_t)feats);
	common_write32(vdev, VIRTIO_COMMON_GFSELECT, 1);
	common_write32(vdev, VIRTIO_COMMON_GF, (uint32_t)(feats >> 32));
	virtio_add_status(vdev, VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_get_status(vdev) & VIRTIO_STATUS_FEATURES_OK))
		return -EIO;			/* the device does not accept that subset */
	vdev->features = feats;
	return 0;
}

void virtio_driver_ok(struct virtio_device *vdev)
{
	virtio_add_status(vdev, VIRTIO_STATUS_DRIVER_OK);
}

void virtio_vq_poll(struct virtqueue *vq)
{
	unsigned long fl = pv_irq_save();

	if (vq->callback)
		vq->callback(vq, vq->cb_ctx);
	pv_irq_restore(fl);
}

static void virtio_vq_irq(void *ctx)
{
	struct virtqueue *vq = ctx;

	vq->stats.interrupts++;
	if (vq->callback)
		vq->callback(vq, vq->cb_ctx);
	lapic_eoi();
}

static void virtio_config_irq(void *ctx)
{
	struct virtio_device *vdev = ctx;

	vdev->config_changes++;
	if (vdev->driver && vdev->driver->config_changed)
		vdev->driver->config_changed(vdev);
	lapic_eoi();
}

/* The 1 ms poll of queues that have no interrupt, armed only while one of them has requests
 * in flight (an idle disk costs no timer interrupts). Interrupt context. */
static void virtio_poll_tick(struct os_timer *t)
{
	bool busy = false;

	for (unsigned int i = 0; i < VIRTIO_MAX_POLLED; i++) {
		struct virtqueue *vq = virtio_polled[i];

		if (vq && vq->callback) {
			vq->callback(vq, vq->cb_ctx);
			busy |= vq->in_flight != 0;
		}
	}
	for (unsigned int d = 0; d < VIRTIO_MAX_DEVS; d++) {
		for (unsigned int i = 0; i < VIRTIO_MAX_VQS; i++) {
			struct virtqueue *vq = virtio_devs[d].vqs[i];

			if (vq && vq->poll_later && vq->callback) {
				vq->poll_later = false;	/* the callback may ask again */
				vq->callback(vq, vq->cb_ctx);
				busy |= vq->poll_later;
			}
		}
	}
	if (busy)
		os_timer_add(t, os_clock_ns() + VIRTIO_POLL_NS, virtio_poll_tick, NULL);
}

/* A polled queue got work: make sure the poll runs. */
static void virtio_poll_arm(void)
{
	unsigned long fl = pv_irq_save();

	if (!virtio_poll_timer.pending)
		os_timer_add(&virtio_poll_timer, os_clock_ns() + VIRTIO_POLL_NS, virtio_poll_tick,
			  NULL);
	pv_irq_restore(fl);
}

void virtio_vq_kick(struct virtqueue *vq)
{
	if (vq->notify && virtq_kick_needed(vq)) {
		*vq->notify = vq->index;
		vq->stats.notifies++;
	}
	if (!vq->vector && vq->in_flight)
		virtio_poll_arm();		/* no interrupt will say it is done */
}

void virtio_vq_poll_later(struct virtqueue *vq)
{
	vq->poll_later = true;
	virtio_poll_arm();
}

static int virtio_poll_add(struct virtqueue *vq)
{
	for (unsigned int i = 0; i < VIRTIO_MAX_POLLED; i++) {
		if (!virtio_polled[i]) {
			virtio_polled[i] = vq;
			return 0;
		}
	}
	return -ENOSPC;
}

static void virtio_poll_remove(struct virtqueue *vq)
{
	for (unsigned int i = 0; i < VIRTIO_MAX_POLLED; i++)
		if (virtio_polled[i] == vq)
			virtio_polled[i] = NULL;
}

/* The queue's MSI-X entry is 1 + index (entry 0 is configuration changes). 0 or -errno. */
static int virtio_vq_vector(struct virtio_device *vdev, struct virtqueue *vq)
{
	unsigned int entry = 1 + vq->index, vec;

	if (!vdev->msix || entry >= vdev->pci->msix_size)
		return -ENOSPC;
	vec = pci_irq_alloc(virtio_vq_irq, vq);
	if (!vec)
		return -ENOSPC;
	pci_msix_set(vdev->pci, entry, vec);
	common_write16(vdev, VIRTIO_COMMON_Q_MSIX, entry);
	if (common_read16(vdev, VIRTIO_COMMON_Q_MSIX) != entry) {
		pci_msix_set(vdev->pci, entry, 0);
		pci_irq_free(vec);
		return -EIO;			/* the device has no room for that vector */
	}
	vq->vector = vec;
	return 0;
}

static void virtio_vq_free_pages(struct virtqueue *vq)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(vq->ring_pa); i++) {
		if (vq->ring_pa[i])
			os_page_free(vq->ring_pa[i]);
		vq->ring_pa[i] = 0;
	}
}

/* The doorbell for the selected queue, checked to lie inside the notify window. */
static volatile uint16_t *virtio_doorbell(struct virtio_device *vdev)
{
	uint64_t off = (uint64_t)common_read16(vdev, VIRTIO_COMMON_Q_NOFF) * vdev->notify_mult;

	if (off + 2 > vdev->notify_len || off % 2)
		return NULL;
	return (volatile uint16_t *)(vdev->notify_base + off);
}

int virtio_vq_setup(struct virtio_device *vdev, uint16_t index, uint16_t max_size,
		    struct virtqueue *vq, virtq_callback_t cb, void *ctx)
{
	volatile uint16_t *doorbell;
	uint16_t size, num;
	int err;

	if (index >= vdev->max_vqs || index >= VIRTIO_MAX_VQS || vdev->vqs[index] || !cb)
		return index >= vdev->max_vqs ? -ENOENT : -EINVAL;
	common_write16(vdev, VIRTIO_COMMON_Q_SELECT, index);
	size = common_read16(vdev, VIRTIO_COMMON_Q_SIZE);
	if (!size)
		return -ENOENT;
	doorbell = virtio_doorbell(vdev);
	if (!doorbell)
		return -EIO;
	num = MIN(MIN(size, max_size), VIRTQ_MAX_SIZE);
	while (num & (num - 1))
		num &= num - 1;			/* split rings: a power of two */
	if (!num)
		return -EINVAL;

	memset(vq, 0, sizeof(*vq));
	for (unsigned int i = 0; i < ARRAY_SIZE(vq->ring_pa); i++) {
		err = os_page_alloc(&vq->ring_pa[i]);
		if (err)
			goto out_free_pages;
	}
	virtq_init(vq, num, os_phys_to_virt(vq->ring_pa[0]), os_phys_to_virt(vq->ring_pa[1]),
		   os_phys_to_virt(vq->ring_pa[2]), os_phys_to_virt(vq->ring_pa[3]));
	vq->indirect_ok = vdev->features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	vq->vdev = vdev;
	vq->index = index;
	vq->notify = doorbell;
	vq->callback = cb;
	vq->cb_ctx = ctx;

	common_write16(vdev, VIRTIO_COMMON_Q_SIZE, num);
	common_write64(vdev, VIRTIO_COMMON_Q_DESCLO, vq->ring_pa[0]);
	common_write64(vdev, VIRTIO_COMMON_Q_AVAILLO, vq->ring_pa[1]);
	common_write64(vdev, VIRTIO_COMMON_Q_USEDLO, vq->ring_pa[2]);
	if (virtio_vq_vector(vdev, vq)) {
		common_write16(vdev, VIRTIO_COMMON_Q_MSIX, VIRTIO_MSI_NO_VECTOR);
		err = virtio_poll_add(vq);
		if (err)
			goto out_free_pages;
		vdev->polled = true;
	}
	common_write16(vdev, VIRTIO_COMMON_Q_ENABLE, 1);
	vdev->vqs[index] = vq;
	return 0;

out_free_pages:
	virtio_vq_free_pages(vq);
	return err;
}

/* After a reset: release a queue's vector, poll slot and pages. */
static void virtio_vq_teardown(struct virtio_device *vdev, struct virtqueue *vq)
{
	if (vq->vector) {
		pci_msix_set(vdev->pci, 1 + vq->index, 0);
		pci_irq_free(vq->vector);
		vq->vector = 0;
	}
	virtio_poll_remove(vq);
	virtio_vq_free_pages(vq);
	vq->callback = NULL;
	vdev->vqs[vq->index] = NULL;
}

/* ---- capabilities ------------------------------------------------------------------------ */

/*
 * One virtio_pci_cap at @pos: its structure mapped if it lies inside a memory BAR and is long
 * enough for its type. The first usable one of each type wins (§4.1.4). 0, or -EINVAL to skip.
 */
static int virtio_pci_map_cap(struct virtio_device *vdev, uint8_t pos, uint8_t type)
{
	struct pci_dev *d = vdev->pci;
	uint8_t cap_len = pci_read8(d, pos + 2), bar = pci_read8(d, pos + 4);
	uint32_t off = pci_read32(d, pos + 8), len = pci_read32(d, pos + 12), mult = 0;
	static const uint32_t min_len[] = { 0, VIRTIO_COMMON_CFG_LEN, 2, 1, 1 };
	volatile uint8_t *va;

	if (cap_len < VIRTIO_PCI_CAP_LEN || pos + VIRTIO_PCI_CAP_LEN > 256 ||
	    len < min_len[type] || len > VIRTIO_CAP_MAP_MAX)
		return -EINVAL;
	if (type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
		if (cap_len < VIRTIO_PCI_NOTIFY_CAP_LEN || pos + VIRTIO_PCI_NOTIFY_CAP_LEN > 256)
			return -EINVAL;
		mult = pci_read32(d, pos + 16);
	}
	va = pci_map_bar(d, bar, off, len);	/* checks the BAR and that the range is inside */
	if (!va)
		return -EINVAL;
	vdev->maps[type - 1].va = va;
	vdev->maps[type - 1].len = len;
	switch (type) {
	case VIRTIO_PCI_CAP_COMMON_CFG:
		vdev->common = va;
		break;
	case VIRTIO_PCI_CAP_NOTIFY_CFG:
		vdev->notify_base = va;
		vdev->notify_len = len;
		vdev->notify_mult = mult;
		break;
	case VIRTIO_PCI_CAP_ISR_CFG:
		vdev->isr = va;
		break;
	default:
		vdev->device_cfg = va;
		vdev->device_cfg_len = len;
		break;
	}
	return 0;
}

static void virtio_pci_unmap(struct virtio_device *vdev)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(vdev->maps); i++) {
		if (vdev->maps[i].va)
			os_iounmap((const void *)vdev->maps[i].va, vdev->maps[i].len);
		vdev->maps[i].va = NULL;
	}
	vdev->common = vdev->notify_base = vdev->isr = vdev->device_cfg = NULL;
}

/* Walk the vendor capabilities (bounded: a loop is an error) and map what we use. */
static int virtio_pci_map_caps(struct virtio_device *vdev)
{
	int pos = 0;

	for (unsigned int n = 0; n < PCI_CAP_MAX; n++) {
		uint8_t type;

		pos = pci_find_cap(vdev->pci, PCI_CAP_ID_VENDOR, pos);
		if (pos <= 0)
			break;
		type = pci_read8(vdev->pci, pos + 3);
		if (type < VIRTIO_PCI_CAP_COMMON_CFG || type > VIRTIO_PCI_CAP_DEVICE_CFG ||
		    vdev->maps[type - 1].va)
			continue;		/* other types, or a later instance */
		if (virtio_pci_map_cap(vdev, pos, type))
			printk("pvkit: warning: virtio: capability at %#x (type %u) unusable\n",
			       pos, type);
	}
	if (pos < 0 || !vdev->common || !vdev->notify_base) {
		virtio_pci_unmap(vdev);
		return pos < 0 ? -EINVAL : -ENXIO;	/* a virtio device we cannot reach */
	}
	return 0;
}

/* MSI-X entry 0 for configuration changes; queues then get 1 + index. Without MSI-X every
 * queue is polled. */
static void virtio_pci_setup_msix(struct virtio_device *vdev)
{
	unsigned int vec;

	if (pci_msix_enable(vdev->pci))
		return;
	vdev->msix = true;
	vec = pci_irq_alloc(virtio_config_irq, vdev);
	if (!vec)
		return;
	pci_msix_set(vdev->pci, 0, vec);
	common_write16(vdev, VIRTIO_COMMON_MSIX, 0);
	if (common_read16(vdev, VIRTIO_COMMON_MSIX) != 0) {
		pci_msix_set(vdev->pci, 0, 0);
		pci_irq_free(vec);
		return;
	}
	vdev->config_vector = vec;
}

/* Undo everything after a failed probe: the device stops first, then its resources go. */
static void virtio_pci_teardown(struct virtio_device *vdev)
{
	if (virtio_reset(vdev))
		printk("pvkit: warning: virtio %02x:%02x.%u: did not reset\n", vdev->pci->bus,
		       vdev->pci->devfn >> 3, vdev->pci->devfn & 7);
	virtio_add_status(vdev, VIRTIO_STATUS_FAILED);
	/* No DMA from here on, even from a device that ignored the reset: then the rings
	 * can go back to the allocator. */
	pci_command(vdev->pci, 0, PCI_COMMAND_MASTER);
	for (unsigned int i = 0; i < VIRTIO_MAX_VQS; i++)
		if (vdev->vqs[i])
			virtio_vq_teardown(vdev, vdev->vqs[i]);
	if (vdev->config_vector) {
		pci_msix_set(vdev->pci, 0, 0);
		pci_irq_free(vdev->config_vector);
	}
	if (vdev->msix)
		pci_msix_disable(vdev->pci);
	virtio_pci_unmap(vdev);
	memset(vdev, 0, sizeof(*vdev));
}

/* The virtio device type of a PCI function, 0 if it is not one we know how to read. */
static uint16_t virtio_pci_type(const struct pci_dev *d)
{
	if (d->device >= VIRTIO_PCI_MODERN_BASE && d->device <= VIRTIO_PCI_MODERN_LAST)
		return d->device - VIRTIO_PCI_MODERN_BASE;
	if (d->device >= VIRTIO_PCI_TRANS_FIRST && d->device <= VIRTIO_PCI_TRANS_LAST)
		return d->subsys_id;
	return 0;
}

static const struct virtio_driver *virtio_find_driver(uint16_t type)
{
	for (unsigned int i = 0; virtio_drivers[i]; i++)
		if (virtio_drivers[i]->device_id == type)
			return virtio_drivers[i];
	return NULL;
}

static int virtio_pci_probe(struct pci_dev *d, const struct pci_device_id *id)
{
	uint16_t type = virtio_pci_type(d);
	const struct virtio_driver *drv = virtio_find_driver(type);
	struct virtio_device *vdev = NULL;
	int err;

	if (!type || !drv)
		return -ENODEV;			/* not ours to drive: not an error */
	for (unsigned int i = 0; i < VIRTIO_MAX_DEVS && !vdev; i++)
		if (!virtio_devs[i].pci)
			vdev = &virtio_devs[i];
	if (!vdev)
		return -ENOSPC;
	vdev->pci = d;
	vdev->id = type;
	vdev->driver = drv;
	pci_command(d, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 0);
	err = virtio_pci_map_caps(vdev);
	if (err)
		goto out_release;
	err = virtio_reset(vdev);
	if (err)
		goto out_teardown;
	vdev->max_vqs = common_read16(vdev, VIRTIO_COMMON_NUMQ);
	virtio_add_status(vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_pci_setup_msix(vdev);
	err = drv->probe(vdev);
	if (err)
		goto out_teardown;
	d->driver_priv = vdev;
	printk("pvkit: virtio %02x:%02x.%u: %s, features %#lx (offered %#lx), %s\n", d->bus,
	       d->devfn >> 3, d->devfn & 7, drv->name, vdev->features, vdev->device_features,
	       vdev->polled ? "some queues polled" : "MSI-X per queue");
	return 0;

out_teardown:
	virtio_pci_teardown(vdev);
	return err;
out_release:
	memset(vdev, 0, sizeof(*vdev));
	return err;
}

static const struct pci_device_id virtio_pci_ids[] = {
	{ VIRTIO_PCI_VENDOR, PCI_ANY_ID },
	{ 0, 0 },
};

const struct pci_driver virtio_pci_driver = {
	.name = "virtio-pci",
	.ids = virtio_pci_ids,
	.probe = virtio_pci_probe,
};
