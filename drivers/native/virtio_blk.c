// SPDX-License-Identifier: MIT
/*
 * virtio-blk (virtio 1.2 §5.2) on the virtio-pci transport: each disk a struct blkdev (vda,
 * vdb, ...) with up to VIRTIO_BLK_MAX_QUEUES request queues. Run: qemu ... -drive
 * file=d.img,if=none,id=d0,format=raw -device virtio-blk-pci,drive=d0,disable-legacy=on
 */
#include <string.h>
#include <pvkit/blk_discard.h>
#include <pvkit/blkdev.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/virtio.h>
#include <pvkit/virtio_blk.h>

#define VBLK_MAX_DEVS		8
#define VBLK_SLOT_SIZE		128	/* per-request DMA memory, see struct vblk_slot */
#define VBLK_SLOTS_PER_PAGE	(PAGE_SIZE / VBLK_SLOT_SIZE)
#define VBLK_INDIRECT_MAX	(PAGE_SIZE / sizeof(struct vring_desc))	/* a table per page */
#define VBLK_STATUS_NONE	0xff	/* the status byte until the device writes one */
#define VBLK_CONFIG_TRIES	8	/* config reads racing a change: then give up */

/* Features we can use; VIRTIO_F_VERSION_1 is always added by the transport. */
#define VBLK_FEATURES	(VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | \
			 VIRTIO_BIT(VIRTIO_BLK_F_RO) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |	\
			 VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) |	\
			 VIRTIO_BIT(VIRTIO_BLK_F_MQ) | VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |	\
			 VIRTIO_BIT(VIRTIO_BLK_F_SECURE_ERASE) |				\
			 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC))

/* What the device may read or write besides the data, one per descriptor head. */
struct vblk_slot {
	struct virtio_blk_outhdr hdr;	/* device-readable */
	struct virtio_blk_dwz dwz[VIRTIO_BLK_DISCARD_SEGS];	/* device-readable, discards */
	uint8_t status;			/* device-writable: untrusted until checked */
};
BUILD_BUG_ON(sizeof(struct vblk_slot) > VBLK_SLOT_SIZE);

struct vblk_queue {
	struct virtqueue vq;		/* the ring: chain heads index the slots below */
	struct vblk *blk;		/* the disk it belongs to */
	uint64_t slot_pages[VIRTQ_MAX_SIZE / VBLK_SLOTS_PER_PAGE];	/* DMA slots, by head */
	uint64_t ind_list;		/* page of per-head indirect table addresses; 0: direct */
	uint64_t submitted, completed;	/* requests through this queue */
};

struct vblk {
	struct blkdev blk;		/* what the block layer sees; blk.priv = this */
	struct virtio_device *vdev;	/* NULL: this entry is free */
	struct vblk_queue queues[VIRTIO_BLK_MAX_QUEUES];	/* [0, nr_queues) set up */
	unsigned int nr_queues;		/* set up and in use */
	unsigned int next_queue;	/* round robin, so every queue carries requests */
	uint32_t seg_piece;		/* bytes per data descriptor at most (size_max) */
	uint32_t discard_sectors[2];	/* per segment: [0] discard, [1] secure erase; 0: none */
	uint32_t discard_segs[2];	/* segments per request, same index */
	uint32_t discard_gran[2];	/* bytes: the device drops whole extents of this only
					 * (its sector alignment; the logical block if 0) */
	uint64_t discards_trimmed;	/* discards cut to whole extents */
	uint64_t discards_dropped;	/* discards with no whole extent: done, not sent */
	uint64_t in_flight, max_in_flight;	/* requests at the device */
	uint64_t bad_status;		/* status bytes that were not OK/IOERR/UNSUPP */
};

/* The device configuration, read in one generation. */
struct vblk_config {
	uint64_t capacity;		/* 512-byte sectors, whatever blk_size is */
	uint32_t size_max;		/* bytes per segment at most (SIZE_MAX), 0: no limit */
	uint32_t seg_max;		/* data segments per request (SEG_MAX), 0: not said */
	uint32_t blk_size;		/* logical block (BLK_SIZE), 0: not said (512) */
	uint8_t phys_exp;		/* physical block = blk_size << this (TOPOLOGY) */
	uint16_t num_queues;		/* request queues (MQ), 0: not said (1) */
	uint32_t discard[3], secure[3];	/* max sectors, max segments, alignment (sectors) */
};

static struct vblk vblk_devs[VBLK_MAX_DEVS];
static unsigned int vblk_named;		/* disks named so far: the next is vd('a' + this) */
/* submit()'s descriptor list: one CPU, built and consumed with interrupts off. */
static struct virtq_buf vblk_bufs[2 + VBLK_INDIRECT_MAX];

static struct vblk_slot *vblk_slot(struct vblk_queue *q, uint16_t head, uint64_t *pa)
{
	uint64_t p = q->slot_pages[head / VBLK_SLOTS_PER_PAGE] +
		     (head % VBLK_SLOTS_PER_PAGE) * VBLK_SLOT_SIZE;

	if (pa)
		*pa = p;
	return os_phys_to_virt(p);
}

/* ---- requests ---------------------------------------------------------------------------- */

static int vblk_status(struct vblk *b, uint8_t status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return 0;
	case VIRTIO_BLK_S_UNSUPP:
		return -EOPNOTSUPP;
	case VIRTIO_BLK_S_IOERR:
		return -EIO;
	default:
		if (b->bad_status++ < 8)
			printk("pvkit: warning: blk %s: device returned status %#x (failed)\n",
			       b->blk.name, status);
		return -EIO;
	}
}

/* Completions of one queue: interrupt, poll or timer context, interrupts off. */
static void vblk_complete(struct virtqueue *vq, void *ctx)
{
	struct vblk_queue *q = ctx;

	/* Bounded: done() may submit again, and a fast device could keep us here. What is left
	 * over is taken from the poll timer (no interrupt may come for it). */
	for (unsigned int budget = 2u * vq->num; ; budget--) {
		struct blk_request *rq;
		void *token;
		uint32_t len;
		uint8_t status;
		int err;

		if (!budget) {
			virtio_vq_poll_later(vq);
			return;
		}
		err = virtq_get(vq, &token, &len);
		if (err == -ENOENT)
			return;
		rq = token;
		status = READ_ONCE(vblk_slot(q, (uintptr_t)rq->driver_priv, NULL)->status);
		q->completed++;
		q->blk->in_flight--;
		rq->done(rq, err ? -EIO : vblk_status(q->blk, status));
	}
}

/* Discard segments for the @left sectors from @sector into @s; how many, or 0 if the range
 * needs more than allowed. */
static unsigned int vblk_fill_discard(const struct vblk *b, struct vblk_slot *s,
				      uint64_t sector, uint32_t left, unsigned int kind)
{
	uint32_t per = b->discard_sectors[kind];
	unsigned int n = 0, max = MIN(b->discard_segs[kind], VIRTIO_BLK_DISCARD_SEGS);

	if (!per || ((uint64_t)left + per - 1) / per > max)
		return 0;
	while (left) {
		uint32_t now = MIN(left, per);

		s->dwz[n].sector = sector;
		s->dwz[n].num_sectors = now;
		s->dwz[n].flags = 0;
		n++;
		sector += now;
		left -= now;
	}
	return n;
}

/* Put @rq on queue @q as a @type request (a discard or secure erase of the @dnr sectors from
 * @dsector). 0, -ENOSPC (queue full), -EINVAL. */
static int vblk_queue_rq(struct vblk_queue *q, struct blk_request *rq, uint32_t type,
			 uint64_t dsector, uint32_t dnr)
{
	struct vblk *b = q->blk;
	struct virtq_indirect ind, *indp = NULL;
	unsigned int n = 0, out;
	struct vblk_slot *s;
	uint64_t slot_pa;
	uint16_t head;
	int err;

	if (!q->vq.num_free)
		return -ENOSPC;
	head = virtq_next_head(&q->vq);		/* its slot is free: no chain uses that head */
	s = vblk_slot(q, head, &slot_pa);
	s->hdr.type = type;
	s->hdr.ioprio = 0;
	s->hdr.sector = type == VIRTIO_BLK_T_FLUSH ? 0 : rq->sector;
	s->status = VBLK_STATUS_NONE;
	vblk_bufs[n++] = (struct virtq_buf){ slot_pa, sizeof(s->hdr) };
	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_SECURE_ERASE) {
		unsigned int segs = vblk_fill_discard(b, s, dsector, dnr,
						      type != VIRTIO_BLK_T_DISCARD);

		if (!segs)
			return -EINVAL;		/* longer than the device takes in one request */
		vblk_bufs[n++] = (struct virtq_buf){ slot_pa + offsetof(struct vblk_slot, dwz),
						     segs * sizeof(struct virtio_blk_dwz) };
	}
	for (uint32_t i = 0; i < rq->nr_segs; i++) {
		const struct blk_seg *sg = &rq->segs[i];

		for (uint32_t off = 0; off < sg->len; off += b->seg_piece)
			vblk_bufs[n++] = (struct virtq_buf){ sg->pa + sg->offset + off,
							     MIN(b->seg_piece, sg->len - off) };
	}
	out = type == VIRTIO_BLK_T_IN ? 1 : n;	/* reads: only the header goes out */
	vblk_bufs[n++] = (struct virtq_buf){ slot_pa + offsetof(struct vblk_slot, status), 1 };
	if (q->ind_list) {
		uint64_t table = ((uint64_t *)os_phys_to_virt(q->ind_list))[head];

		ind = (struct virtq_indirect){ os_phys_to_virt(table), table, VBLK_INDIRECT_MAX };
		indp = &ind;
	}
	err = virtq_add(&q->vq, vblk_bufs, out, n - out, rq, indp);
	if (err)
		return err;
	rq->driver_priv = (void *)(uintptr_t)head;
	q->submitted++;
	b->in_flight++;
	b->max_in_flight = MAX(b->max_in_flight, b->in_flight);
	return 0;
}

/*
 * The data of a read or write, checked again here (blkdev_submit did; the descriptor list is
 * sized from it): whole sectors inside their page, summing to nr_sectors * 512 in 64 bits. A
 * 32-bit product wraps from 2^23 sectors on, and the device, which sees only the descriptors
 * and the first sector, would move 4 KiB of a request that claims 4 GiB + 4 KiB.
 */
static bool vblk_data_ok(const struct blk_request *rq)
{
	uint64_t bytes = 0;

	for (uint32_t i = 0; i < rq->nr_segs; i++) {
		const struct blk_seg *s = &rq->segs[i];

		if (!s->len || s->len % 512 || s->offset % 512 || s->offset >= PAGE_SIZE ||
		    s->len > PAGE_SIZE - s->offset)
			return false;
		bytes += s->len;
	}
	return rq->nr_segs && bytes == (uint64_t)rq->nr_sectors * 512;
}

/* The virtio request type for @rq on @b, after the checks the driver owes itself. */
static int vblk_type(const struct vblk *b, const struct blk_request *rq, uint32_t *type)
{
	const struct blkdev *dev = &b->blk;
	bool writes = rq->op != BLK_READ && rq->op != BLK_FLUSH;

	if (writes && dev->readonly)
		return -EROFS;
	if (rq->nr_segs > dev->max_segs ||
	    (rq->op != BLK_FLUSH && (rq->sector >= dev->sectors ||
				     rq->nr_sectors > dev->sectors - rq->sector)))
		return -EINVAL;			/* blkdev_submit checks; the arrays rely on it */
	switch (rq->op) {
	case BLK_READ:
		*type = VIRTIO_BLK_T_IN;
		return vblk_data_ok(rq) ? 0 : -EINVAL;
	case BLK_WRITE:
		*type = VIRTIO_BLK_T_OUT;
		return vblk_data_ok(rq) ? 0 : -EINVAL;
	case BLK_FLUSH:
		*type = VIRTIO_BLK_T_FLUSH;
		return 0;
	case BLK_DISCARD:
	case BLK_DISCARD_SECURE:
		*type = rq->op == BLK_DISCARD ? VIRTIO_BLK_T_DISCARD : VIRTIO_BLK_T_SECURE_ERASE;
		if (rq->nr_segs)
			return -EINVAL;
		return (rq->op == BLK_DISCARD ? dev->features.discard :
			dev->features.discard_secure) ? 0 : -EOPNOTSUPP;
	default:
		return -EOPNOTSUPP;		/* BLK_WRITE_BARRIER: virtio 1.x has none */
	}
}

/* The part of discard @rq the device can drop: whole extents (docs/blkfront.md, "Discard",
 * the same rule as blkfront's). Return: 0 and the range; 1: none, done at once (a plain
 * discard); -EINVAL: a secure erase that is not whole extents (trimmed, it would leave data
 * it promised to destroy). */
static int vblk_discard_range(struct vblk *b, const struct blk_request *rq, uint64_t *first,
			      uint32_t *nr)
{
	unsigned int kind = rq->op == BLK_DISCARD_SECURE;
	uint64_t n = blk_discard_extents(rq->sector, rq->nr_sectors, b->discard_gran[kind], 0,
					 first);

	if (kind && (n != rq->nr_sectors || *first != rq->sector))
		return -EINVAL;
	if (!n) {
		b->discards_dropped++;
		return 1;
	}
	*nr = n;			/* <= rq->nr_sectors */
	return 0;
}

static int vblk_submit(struct blkdev *dev, struct blk_request *rq)
{
	struct vblk *b = dev->priv;
	uint64_t dsector = 0;
	uint32_t type, dnr = 0;
	unsigned long fl;
	int err = vblk_type(b, rq, &type);

	if (err)
		return err;
	if (rq->op == BLK_DISCARD || rq->op == BLK_DISCARD_SECURE)
		err = vblk_discard_range(b, rq, &dsector, &dnr);
	if (err < 0)
		return err;
	if (err || (rq->op == BLK_FLUSH && !dev->features.flush)) {
		rq->done(rq, 0);		/* no whole extent to drop; no volatile cache: */
		return 0;			/* completed writes are durable */
	}
	fl = pv_irq_save();
	err = -EBUSY;
	for (unsigned int k = 0; k < b->nr_queues && err == -EBUSY; k++) {
		struct vblk_queue *q = &b->queues[(b->next_queue + k) % b->nr_queues];

		err = vblk_queue_rq(q, rq, type, dsector, dnr);
		if (err == -ENOSPC) {
			err = -EBUSY;		/* try the next queue */
		} else if (!err) {
			b->next_queue = (b->next_queue + k + 1) % b->nr_queues;
			b->discards_trimmed += dnr && dnr != rq->nr_sectors;
			virtio_vq_kick(&q->vq);
		}
	}
	pv_irq_restore(fl);
	return err;
}

static void vblk_poll(struct blkdev *dev)
{
	struct vblk *b = dev->priv;

	for (unsigned int i = 0; i < b->nr_queues; i++)
		virtio_vq_poll(&b->queues[i].vq);
}

static const struct blkdev_ops vblk_ops = {
	.submit = vblk_submit,
	.poll = vblk_poll,
};

/* ---- bring-up ---------------------------------------------------------------------------- */

static int vblk_read_config(struct virtio_device *vdev, struct vblk_config *c)
{
	uint64_t f = vdev->features;

	for (unsigned int tries = 0; tries < VBLK_CONFIG_TRIES; tries++) {
		uint8_t gen = virtio_cfg_generation(vdev);

		memset(c, 0, sizeof(*c));
		c->capacity = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_CAPACITY, 8);
		if (f & VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX))
			c->size_max = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_SIZE_MAX, 4);
		if (f & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX))
			c->seg_max = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_SEG_MAX, 4);
		if (f & VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE))
			c->blk_size = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_BLK_SIZE, 4);
		if (f & VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY))
			c->phys_exp = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_PHYS_EXP, 1);
		if (f & VIRTIO_BIT(VIRTIO_BLK_F_MQ))
			c->num_queues = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_NUM_QUEUES, 2);
		for (unsigned int i = 0; i < 3 && (f & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD)); i++)
			c->discard[i] = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_MAX_DISCARD + 4 * i, 4);
		for (unsigned int i = 0; i < 3 && (f & VIRTIO_BIT(VIRTIO_BLK_F_SECURE_ERASE)); i++)
			c->secure[i] = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_MAX_SECURE + 4 * i, 4);
		if (gen == virtio_cfg_generation(vdev))
			return 0;
	}
	return -EIO;
}

/* Sizes the device reports, checked before anything relies on them. 0 or -EINVAL. */
static int vblk_geometry(struct vblk *b, const struct vblk_config *c)
{
	uint64_t f = b->vdev->features;
	uint32_t ss = c->blk_size ? c->blk_size : 512;

	if (ss < 512 || ss > 65536 || (ss & (ss - 1))) {
		printk("pvkit: error: virtio-blk: logical block size %u unusable\n", ss);
		return -EINVAL;
	}
	if ((f & VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX)) && c->size_max < 512) {
		printk("pvkit: error: virtio-blk: segments of %u bytes at most: unusable\n",
		       c->size_max);
		return -EINVAL;
	}
	if ((f & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX)) && !c->seg_max) {
		printk("pvkit: error: virtio-blk: seg_max 0: unusable\n");
		return -EINVAL;
	}
	b->blk.sectors = c->capacity;
	b->blk.sector_size = ss;
	b->blk.physical_sector_size = c->phys_exp <= 8 ? ss << c->phys_exp : ss;
	b->blk.readonly = f & VIRTIO_BIT(VIRTIO_BLK_F_RO);
	b->seg_piece = c->size_max ? MIN(ALIGN_DOWN(c->size_max, 512), PAGE_SIZE) : PAGE_SIZE;
	for (unsigned int k = 0; k < 2; k++) {
		const uint32_t *d = k ? c->secure : c->discard;
		/* The sector alignment in 512-byte units (virtio 1.2 §5.2.4); 0: none said. */
		uint64_t gran = d[2] ? d[2] * 512ull : ss;
		const char *why = blk_discard_check(gran, 0, ss);

		b->discard_sectors[k] = d[1] ? d[0] : 0;	/* no segments: no discard */
		b->discard_segs[k] = d[0] ? d[1] : 0;
		b->discard_gran[k] = why ? 0 : (uint32_t)gran;
		if (why && b->discard_sectors[k]) {
			printk("pvkit: warning: virtio-blk: %s sector alignment %u unusable (%s): "
			       "%s off\n", k ? "secure erase" : "discard", d[2], why,
			       k ? "secure erase" : "discard");
			b->discard_sectors[k] = b->discard_segs[k] = 0;
		}
	}
	return 0;
}

/* Limits that follow from the queues' size: segments per request, requests in flight. */
static int vblk_limits(struct vblk *b, const struct vblk_config *c)
{
	bool indirect = b->queues[0].ind_list != 0;
	uint32_t num = VIRTQ_MAX_SIZE, chain, data;
	uint32_t pieces = (PAGE_SIZE + b->seg_piece - 1) / b->seg_piece;	/* per page */
	struct blkdev_features *ft = &b->blk.features;

	for (unsigned int i = 0; i < b->nr_queues; i++)
		num = MIN(num, (uint32_t)b->queues[i].vq.num);	/* the device may size them apart */
	chain = indirect ? MIN(num, (uint32_t)VBLK_INDIRECT_MAX) : num;
	data = chain > 2 ? chain - 2 : 0;	/* besides the header and the status byte */
	if (c->seg_max)
		data = MIN(data, c->seg_max);
	b->blk.max_segs = MIN(data / pieces, (uint32_t)BLK_MAX_SEGS);
	if (!b->blk.max_segs || chain < 3) {
		printk("pvkit: error: virtio-blk: queue of %u cannot hold a request\n", num);
		return -EINVAL;
	}
	/* Indirect: a request is one ring entry. Direct: a one-page request takes 2 + pieces. */
	b->blk.queue_depth = b->nr_queues * (indirect ? num : num / (2 + pieces));
	ft->ring_pages = 0;
	ft->indirect_segs = indirect ? b->blk.max_segs : 0;
	ft->persistent = false;
	ft->queues = b->nr_queues;
	ft->flush = b->vdev->features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	ft->barrier = false;
	ft->discard = b->discard_sectors[0] != 0;
	ft->discard_secure = b->discard_sectors[1] != 0;
	ft->discard_granularity = ft->discard ? b->discard_gran[0] : 0;
	ft->discard_alignment = 0;
	return 0;
}

static void vblk_queue_free(struct vblk_queue *q)
{
	if (q->ind_list) {
		uint64_t *list = os_phys_to_virt(q->ind_list);

		for (unsigned int h = 0; h < q->vq.num; h++)
			if (list[h])
				os_page_free(list[h]);
		os_page_free(q->ind_list);
		q->ind_list = 0;
	}
	for (unsigned int p = 0; p < ARRAY_SIZE(q->slot_pages); p++) {
		if (q->slot_pages[p])
			os_page_free(q->slot_pages[p]);
		q->slot_pages[p] = 0;
	}
}

/* Queue @i: the ring (transport), a DMA slot per head and, with indirect, a table per head. */
static int vblk_queue_init(struct vblk *b, unsigned int i)
{
	struct vblk_queue *q = &b->queues[i];
	int err;

	memset(q, 0, sizeof(*q));
	q->blk = b;
	err = virtio_vq_setup(b->vdev, i, VIRTQ_MAX_SIZE, &q->vq, vblk_complete, q);
	if (err)
		return err;
	for (unsigned int p = 0; p * VBLK_SLOTS_PER_PAGE < q->vq.num; p++) {
		err = os_page_alloc(&q->slot_pages[p]);
		if (err)
			goto out_free;
	}
	if (q->vq.indirect_ok) {
		uint64_t *list;

		err = os_page_alloc(&q->ind_list);		/* zeroed: unallocated entries are 0 */
		if (err)
			goto out_free;
		list = os_phys_to_virt(q->ind_list);
		for (unsigned int h = 0; h < q->vq.num; h++) {
			err = os_page_alloc(&list[h]);
			if (err)
				goto out_free;
		}
	}
	return 0;

out_free:
	vblk_queue_free(q);
	return err;
}

static struct vblk *vblk_alloc(struct virtio_device *vdev)
{
	for (unsigned int i = 0; i < VBLK_MAX_DEVS; i++) {
		struct vblk *b = &vblk_devs[i];

		if (b->vdev)
			continue;
		/* The queues' rings may still be the transport's to tear down: keep them. */
		memset(&b->blk, 0, sizeof(b->blk));
		b->nr_queues = b->next_queue = 0;
		b->in_flight = b->max_in_flight = b->bad_status = 0;
		b->vdev = vdev;
		return b;
	}
	return NULL;
}

static int vblk_probe(struct virtio_device *vdev)
{
	struct vblk *b = vblk_alloc(vdev);
	struct vblk_config c;
	unsigned int nq;
	int err;

	if (!b)
		return -ENOSPC;
	if (vblk_named >= 26)
		goto out_nospc;
	if (!vdev->device_cfg) {
		printk("pvkit: error: virtio-blk: no device configuration: capacity unknown\n");
		err = -ENXIO;
		goto out_release;
	}
	err = virtio_negotiate(vdev, VBLK_FEATURES);
	if (!err)
		err = vblk_read_config(vdev, &c);
	if (!err)
		err = vblk_geometry(b, &c);
	if (err)
		goto out_release;
	nq = (vdev->features & VIRTIO_BIT(VIRTIO_BLK_F_MQ)) && c.num_queues ? c.num_queues : 1;
	nq = MIN(MIN(nq, (unsigned int)VIRTIO_BLK_MAX_QUEUES), (unsigned int)vdev->max_vqs);
	for (unsigned int i = 0; i < nq; i++) {
		err = vblk_queue_init(b, i);
		if (err)
			goto out_free_queues;
		b->nr_queues++;
	}
	err = vblk_limits(b, &c);
	if (err)
		goto out_free_queues;
	snprintf(b->blk.name, sizeof(b->blk.name), "vd%c", 'a' + vblk_named);
	b->blk.ops = &vblk_ops;
	b->blk.priv = b;
	virtio_driver_ok(vdev);
	err = blkdev_register(&b->blk);
	if (err)
		goto out_free_queues;		/* the transport resets the device first */
	vblk_named++;
	vdev->priv = b;
	return 0;

out_free_queues:
	for (unsigned int i = 0; i < b->nr_queues; i++)
		vblk_queue_free(&b->queues[i]);
out_release:
	b->vdev = NULL;
	return err;
out_nospc:
	b->vdev = NULL;
	return -ENOSPC;
}

/* The device changed its configuration (e.g. a resize): take the new capacity. */
static void vblk_config_changed(struct virtio_device *vdev)
{
	struct vblk *b = vdev->priv;
	uint64_t sectors = 0;
	unsigned int tries = 0;
	uint8_t gen;

	if (!b)
		return;				/* not registered (yet) */
	do {
		gen = virtio_cfg_generation(vdev);
		sectors = virtio_cfg_read(vdev, VIRTIO_BLK_CFG_CAPACITY, 8);
	} while (gen != virtio_cfg_generation(vdev) && ++tries < VBLK_CONFIG_TRIES);
	if (tries == VBLK_CONFIG_TRIES || sectors == b->blk.sectors)
		return;
	printk("pvkit: blk %s: capacity changed from %lu to %lu sectors\n", b->blk.name,
	       b->blk.sectors, sectors);
	b->blk.sectors = sectors;
}

const struct virtio_driver virtio_blk_driver = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.probe = vblk_probe,
	.config_changed = vblk_config_changed,
};

int virtio_blk_get_stats(struct blkdev *dev, struct virtio_blk_stats *st)
{
	struct vblk *b = dev ? dev->priv : NULL;

	if (!dev || dev->ops != &vblk_ops)
		return -ENODEV;
	memset(st, 0, sizeof(*st));
	st->queues = b->nr_queues;
	st->queue_size = b->queues[0].vq.num;
	st->indirect = b->queues[0].ind_list != 0;
	st->max_discard_sectors = b->discard_sectors[0];
	st->max_discard_segs = b->discard_segs[0];
	st->discard_granularity = b->discard_gran[0];
	st->discards_trimmed = b->discards_trimmed;
	st->discards_dropped = b->discards_dropped;
	for (unsigned int i = 0; i < b->nr_queues; i++) {
		const struct virtq_stats *vs = &b->queues[i].vq.stats;

		st->submitted[i] = b->queues[i].submitted;
		st->completed[i] = b->queues[i].completed;
		st->interrupts[i] = vs->interrupts;
		st->notifies[i] = vs->notifies;
		st->bad_used += vs->bad_id + vs->not_in_flight + vs->bad_len + vs->bad_idx;
	}
	st->max_in_flight = b->max_in_flight;
	st->bad_status = b->bad_status;
	return 0;
}
