// SPDX-License-Identifier: MIT
/*
 * The split virtqueue of drivers/native/virtio_pci.c against a fake device that walks the
 * descriptor table the way a device does (virtio 1.2 §2.7) and writes the used ring, then
 * misbehaves: ids out of range or not in flight, duplicate completions, lengths beyond the
 * buffers, used indexes that jump or go back, a ring full of garbage. Each is rejected and
 * counted, and the queue keeps working. Random runs check every token comes back once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/virtio.h>
#include "fake_pci.h"
#include "unit.h"

/* A queue and the device's view of it. */
struct fdev {
	struct virtqueue vq;
	uint16_t num;
	uint16_t last_avail;		/* device: next avail entry to take */
	uint16_t used_idx;		/* device: next used entry to write */
};

struct chain {				/* what the device found behind one avail entry */
	uint16_t head;
	unsigned int n;			/* buffers */
	bool indirect;
	uint64_t addr[300];
	uint32_t len[300];
	bool write[300];
};

static void *zalloc(size_t n)
{
	void *p = aligned_alloc(4096, (n + 4095) & ~4095ul);

	memset(p, 0, (n + 4095) & ~4095ul);
	return p;
}

static void fdev_init(struct fdev *f, uint16_t num)
{
	memset(f, 0, sizeof(*f));
	f->num = num;
	CHECK(virtq_init(&f->vq, num, zalloc(virtq_desc_bytes(num)),
			 zalloc(virtq_avail_bytes(num)), zalloc(virtq_used_bytes(num)),
			 zalloc(num * sizeof(struct virtq_head))) == 0);
}

static void fdev_free(struct fdev *f)
{
	free(f->vq.desc);
	free(f->vq.avail);
	free(f->vq.used);
	free(f->vq.heads);
}

/* Walk one descriptor list as a device would; false if it is malformed. */
static bool walk(const struct vring_desc *table, uint16_t size, uint16_t i, struct chain *c)
{
	for (unsigned int k = 0; k <= size; k++) {
		const struct vring_desc *d;

		if (i >= size || c->n >= 300)
			return false;
		d = &table[i];
		c->addr[c->n] = d->addr;
		c->len[c->n] = d->len;
		c->write[c->n] = d->flags & VRING_DESC_F_WRITE;
		if (c->n && c->write[c->n - 1] && !c->write[c->n])
			return false;		/* readable after writable */
		c->n++;
		if (!(d->flags & VRING_DESC_F_NEXT))
			return true;
		i = d->next;
	}
	return false;				/* a loop */
}

/* Take the next available chain. false if there is none or it is malformed. */
static bool fdev_pop(struct fdev *f, struct chain *c)
{
	const struct vring_desc *d;

	if (f->last_avail == f->vq.avail->idx)
		return false;
	memset(c, 0, sizeof(*c));
	c->head = f->vq.avail->ring[f->last_avail++ % f->num];
	if (c->head >= f->num)
		return false;
	d = &f->vq.desc[c->head];
	if (d->flags & VRING_DESC_F_INDIRECT) {
		c->indirect = true;
		if (d->flags & VRING_DESC_F_NEXT || d->len % 16 || !d->len)
			return false;
		return walk((const struct vring_desc *)(uintptr_t)d->addr, d->len / 16, 0, c);
	}
	return walk(f->vq.desc, f->num, c->head, c);
}

static void fdev_push(struct fdev *f, uint32_t id, uint32_t len)
{
	f->vq.used->ring[f->used_idx % f->num].id = id;
	f->vq.used->ring[f->used_idx % f->num].len = len;
	f->used_idx++;
	f->vq.used->idx = f->used_idx;
}

static uint32_t in_bytes(const struct chain *c)
{
	uint32_t n = 0;

	for (unsigned int i = 0; i < c->n; i++)
		n += c->write[i] ? c->len[i] : 0;
	return n;
}

static int tok[4096];			/* tokens: addresses of these */
#define TOKEN(i)	((void *)&tok[i])

/* ---- cases ------------------------------------------------------------------------------- */

static void init_refuses_bad_sizes(void)
{
	struct virtqueue vq;
	static struct vring_desc d[512];
	static uint16_t a[600];
	static struct vring_used_elem u[600];
	static struct virtq_head h[512];

	CHECK(virtq_init(&vq, 0, d, (void *)a, (void *)u, h) == -EINVAL);
	CHECK(virtq_init(&vq, 3, d, (void *)a, (void *)u, h) == -EINVAL);
	CHECK(virtq_init(&vq, 512, d, (void *)a, (void *)u, h) == -EINVAL);
	CHECK(virtq_init(&vq, 8, NULL, (void *)a, (void *)u, h) == -EINVAL);
	CHECK(virtq_init(&vq, 256, d, (void *)a, (void *)u, h) == 0);
	CHECK(vq.num_free == 256 && vq.in_flight == 0);
}

static void round_trip(void)
{
	struct fdev f;
	struct chain c;
	struct virtq_buf b[3] = { { 0x1000, 16 }, { 0x2000, 4096 }, { 0x3000, 1 } };
	void *t = NULL;
	uint32_t len = 0;

	fdev_init(&f, 8);
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(1), NULL) == 0);
	CHECK(f.vq.num_free == 5 && f.vq.in_flight == 1 && f.vq.avail->idx == 1);
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT);	/* nothing used yet */
	CHECK(fdev_pop(&f, &c) && !c.indirect && c.n == 3);
	CHECK(c.addr[0] == 0x1000 && c.len[0] == 16 && !c.write[0]);
	CHECK(c.addr[1] == 0x2000 && c.len[1] == 4096 && c.write[1]);
	CHECK(c.addr[2] == 0x3000 && c.len[2] == 1 && c.write[2]);
	fdev_push(&f, c.head, 4097);
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(1) && len == 4097);
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT);
	CHECK(f.vq.num_free == 8 && f.vq.in_flight == 0 && f.vq.stats.completed == 1);
	f.vq.used->flags = VRING_USED_F_NO_NOTIFY;
	CHECK(!virtq_kick_needed(&f.vq));
	f.vq.used->flags = 0;
	CHECK(virtq_kick_needed(&f.vq));
	fdev_free(&f);
}

static void add_validates_then_acts(void)
{
	struct fdev f;
	struct virtq_buf b[10], big[2] = { { 1, 0xffffffffu }, { 2, 0xffffffffu } };

	fdev_init(&f, 8);
	for (unsigned int i = 0; i < 10; i++)
		b[i] = (struct virtq_buf){ 0x1000 * (i + 1), 512 };
	CHECK(virtq_add(&f.vq, b, 1, 1, NULL, NULL) == -EINVAL);	/* no token */
	CHECK(virtq_add(&f.vq, b, 0, 0, TOKEN(0), NULL) == -EINVAL);	/* nothing */
	CHECK(virtq_add(&f.vq, b, 5, 5, TOKEN(0), NULL) == -EINVAL);	/* longer than the queue */
	CHECK(virtq_add(&f.vq, big, 0, 2, TOKEN(0), NULL) == -EINVAL);	/* 8 GiB writable */
	b[1].len = 0;
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(0), NULL) == -EINVAL);	/* empty buffer */
	CHECK(f.vq.num_free == 8 && f.vq.avail->idx == 0 && f.vq.stats.added == 0);
	b[1].len = 512;
	for (unsigned int i = 0; i < 8; i++)
		CHECK(virtq_add(&f.vq, b, 1, 0, TOKEN(i), NULL) == 0);
	CHECK(virtq_add(&f.vq, b, 1, 0, TOKEN(9), NULL) == -ENOSPC);
	CHECK(f.vq.num_free == 0 && f.vq.avail->idx == 8);
	fdev_free(&f);
}

static void full_queue_then_room(void)
{
	struct fdev f;
	struct chain c;
	struct virtq_buf b[3] = { { 0x1000, 16 }, { 0x2000, 512 }, { 0x3000, 1 } };
	void *t;
	uint32_t len;

	fdev_init(&f, 8);
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(0), NULL) == 0);
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(1), NULL) == 0);
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(2), NULL) == -ENOSPC);	/* 2 left, 3 needed */
	CHECK(f.vq.num_free == 2 && f.vq.avail->idx == 2);
	CHECK(virtq_add(&f.vq, b, 1, 1, TOKEN(2), NULL) == 0);
	CHECK(f.vq.num_free == 0);
	CHECK(fdev_pop(&f, &c));
	fdev_push(&f, c.head, 1);
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(0));
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(3), NULL) == 0);
	/* The device sees every chain intact, in order. */
	CHECK(fdev_pop(&f, &c) && c.n == 3);
	CHECK(fdev_pop(&f, &c) && c.n == 2);
	CHECK(fdev_pop(&f, &c) && c.n == 3);
	fdev_free(&f);
}

static void bad_id_rejected(void)
{
	struct fdev f;
	struct chain c;
	struct virtq_buf b[2] = { { 0x1000, 16 }, { 0x3000, 1 } };
	void *t;
	uint32_t len;

	fdev_init(&f, 8);
	CHECK(virtq_add(&f.vq, b, 1, 1, TOKEN(5), NULL) == 0);
	CHECK(fdev_pop(&f, &c));
	fdev_push(&f, 8, 1);				/* == num */
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT);
	CHECK(f.vq.stats.bad_id == 1 && f.vq.in_flight == 1);
	CHECK(virtq_add(&f.vq, b, 1, 1, TOKEN(6), NULL) == 0);	/* still usable */
	fdev_push(&f, 0xffffffffu, 1);
	fdev_push(&f, c.head, 1);
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(5));
	CHECK(f.vq.stats.bad_id == 2 && f.vq.in_flight == 1);
	fdev_free(&f);
}

static void not_in_flight_rejected(void)
{
	struct fdev f;
	struct chain c;
	struct virtq_buf b[3] = { { 0x1000, 16 }, { 0x2000, 512 }, { 0x3000, 1 } };
	void *t;
	uint32_t len;

	fdev_init(&f, 8);
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(1), NULL) == 0);
	CHECK(fdev_pop(&f, &c));
	fdev_push(&f, 7, 0);				/* a free descriptor */
	fdev_push(&f, (c.head + 1) % 8, 0);		/* inside the chain, not its head */
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT);
	CHECK(f.vq.stats.not_in_flight == 2 && f.vq.in_flight == 1 && f.vq.num_free == 5);
	fdev_push(&f, c.head, 513);
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(1) && len == 513);
	fdev_free(&f);
}

static void duplicate_completion_rejected(void)
{
	struct fdev f;
	struct chain c;
	struct virtq_buf b[3] = { { 0x1000, 16 }, { 0x2000, 512 }, { 0x3000, 1 } };
	void *t;
	uint32_t len;

	fdev_init(&f, 8);
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(1), NULL) == 0);
	CHECK(virtq_add(&f.vq, b, 1, 1, TOKEN(2), NULL) == 0);
	CHECK(fdev_pop(&f, &c));
	fdev_push(&f, c.head, 1);
	fdev_push(&f, c.head, 1);			/* again */
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(1));
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT);
	CHECK(f.vq.stats.not_in_flight == 1 && f.vq.stats.completed == 1);
	/* Freed once, not twice: exactly the other chain's two descriptors are in use. */
	CHECK(f.vq.num_free == 6 && f.vq.in_flight == 1);
	CHECK(fdev_pop(&f, &c) && c.n == 2);
	fdev_push(&f, c.head, 1);
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(2) && f.vq.num_free == 8);
	fdev_free(&f);
}

static void len_beyond_buffers(void)
{
	struct fdev f;
	struct chain c;
	struct virtq_buf b[3] = { { 0x1000, 16 }, { 0x2000, 99 }, { 0x3000, 1 } };
	void *t = NULL;
	uint32_t len;

	fdev_init(&f, 8);
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(1), NULL) == 0);
	CHECK(virtq_add(&f.vq, b, 1, 2, TOKEN(2), NULL) == 0);
	CHECK(virtq_add(&f.vq, b, 2, 0, TOKEN(3), NULL) == 0);	/* nothing writable */
	CHECK(fdev_pop(&f, &c));
	fdev_push(&f, c.head, 101);			/* 100 writable */
	CHECK(virtq_get(&f.vq, &t, &len) == -EMSGSIZE && t == TOKEN(1) && len == 101);
	CHECK(f.vq.stats.bad_len == 1 && f.vq.in_flight == 2 && f.vq.num_free == 3);
	CHECK(fdev_pop(&f, &c));
	fdev_push(&f, c.head, 100);			/* exactly: fine */
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(2) && len == 100);
	CHECK(fdev_pop(&f, &c));
	fdev_push(&f, c.head, 1);
	CHECK(virtq_get(&f.vq, &t, &len) == -EMSGSIZE && t == TOKEN(3));
	CHECK(f.vq.stats.bad_len == 2 && f.vq.num_free == 8 && f.vq.in_flight == 0);
	fdev_free(&f);
}

static void used_idx_jumps(void)
{
	struct fdev f;
	struct chain c[2];
	struct virtq_buf b[2] = { { 0x1000, 16 }, { 0x3000, 1 } };
	uint16_t base;
	void *t;
	uint32_t len;

	fdev_init(&f, 8);
	CHECK(virtq_add(&f.vq, b, 1, 1, TOKEN(1), NULL) == 0);
	CHECK(virtq_add(&f.vq, b, 1, 1, TOKEN(2), NULL) == 0);
	CHECK(fdev_pop(&f, &c[0]) && fdev_pop(&f, &c[1]));
	base = f.vq.used->idx;
	f.vq.used->idx = base + 8 + 3;			/* beyond the queue size */
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT);
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT);
	CHECK(f.vq.stats.bad_idx == 1);			/* the same bad value counts once */
	f.vq.used->idx = base + 0x8000;			/* far ahead */
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT && f.vq.stats.bad_idx == 2);
	f.vq.used->idx = base - 1;			/* backwards */
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT && f.vq.stats.bad_idx == 3);
	CHECK(f.vq.last_used == base && f.vq.in_flight == 2);	/* nothing consumed */
	f.used_idx = base;				/* the device comes to its senses */
	fdev_push(&f, c[1].head, 1);
	fdev_push(&f, c[0].head, 1);
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(2));
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(1));
	CHECK(f.vq.num_free == 8);
	fdev_free(&f);
}

/* A used ring full of garbage is consumed in bounded time, and nothing is lost. */
static void garbage_ring_bounded(void)
{
	struct fdev f;
	struct virtq_buf b[1] = { { 0x1000, 16 } };
	void *t;
	uint32_t len;
	int r;

	fdev_init(&f, 16);
	for (unsigned int i = 0; i < 16; i++)
		CHECK(virtq_add(&f.vq, b, 0, 1, TOKEN(i), NULL) == 0);
	for (unsigned int i = 0; i < 16; i++)
		fdev_push(&f, 1000 + i, 5);
	r = virtq_get(&f.vq, &t, &len);
	CHECK(r == -ENOENT && f.vq.stats.bad_id == 16 && f.vq.in_flight == 16);
	for (unsigned int i = 0; i < 16; i++) {
		CHECK(virtq_reclaim(&f.vq, &t) == 0);
		CHECK(t >= TOKEN(0) && t <= TOKEN(15));
	}
	CHECK(virtq_reclaim(&f.vq, &t) == -ENOENT && f.vq.num_free == 16);
	fdev_free(&f);
}

/*
 * A device that keeps writing garbage while the driver reads: here it acts each time the
 * driver reports a bad entry (through the fake printk), topping the ring up to a full
 * queue of garbage. One virtq_get() must still stop after a queue's worth.
 */
static struct fdev *endless;
static unsigned int endless_refills;

static void garbage_refill(void)
{
	struct fdev *f = endless;

	if (++endless_refills > 10000)
		return;				/* a bug: stop feeding it */
	for (unsigned int i = 0; i < f->num; i++)
		f->vq.used->ring[i] = (struct vring_used_elem){ 1000, 0 };
	f->vq.used->idx = f->vq.last_used + f->num;
	f->vq.reports = 0;			/* so that every entry is reported */
}

static void endless_garbage_bounded(void)
{
	struct virtq_buf b[1] = { { 0x1000, 16 } };
	struct fdev f;
	void *t;
	uint32_t len;

	fdev_init(&f, 16);
	CHECK(virtq_add(&f.vq, b, 0, 1, TOKEN(1), NULL) == 0);
	endless = &f;
	endless_refills = 0;
	garbage_refill();
	fake_printk_hook = garbage_refill;
	CHECK(virtq_get(&f.vq, &t, &len) == -ENOENT);
	fake_printk_hook = NULL;
	CHECKF(f.vq.stats.bad_id == 16, "one call skipped %lu entries", f.vq.stats.bad_id);
	CHECK(f.vq.in_flight == 1);
	fdev_free(&f);
}

static void indirect_tables(void)
{
	static struct vring_desc table[16] __attribute__((aligned(16)));
	struct virtq_indirect ind = { table, (uintptr_t)table, 16 }, small = ind;
	struct fdev f;
	struct chain c;
	struct virtq_buf b[9];
	void *t;
	uint32_t len;

	for (unsigned int i = 0; i < 9; i++)
		b[i] = (struct virtq_buf){ 0x10000 * (i + 1), 512 + i };
	fdev_init(&f, 8);
	CHECK(virtq_add(&f.vq, b, 2, 3, TOKEN(1), &ind) == -EINVAL);	/* not negotiated */
	f.vq.indirect_ok = true;
	CHECK(virtq_add(&f.vq, b, 2, 3, TOKEN(1), &ind) == 0);
	CHECK(f.vq.num_free == 7);				/* one ring entry */
	CHECK(fdev_pop(&f, &c) && c.indirect && c.n == 5);
	CHECK(f.vq.desc[c.head].flags == VRING_DESC_F_INDIRECT && f.vq.desc[c.head].len == 80);
	for (unsigned int i = 0; i < 5; i++)
		CHECK(c.addr[i] == b[i].pa && c.len[i] == b[i].len && c.write[i] == (i >= 2));
	CHECK(virtq_add(&f.vq, b, 4, 5, TOKEN(2), &ind) == -EINVAL);	/* 9 > queue size */
	small.max = 4;
	CHECK(virtq_add(&f.vq, b, 2, 3, TOKEN(2), &small) == -EINVAL);	/* 5 > the table */
	CHECK(f.vq.num_free == 7 && f.vq.in_flight == 1);
	fdev_push(&f, c.head, 512 + 2 + 512 + 3 + 512 + 4);
	CHECK(virtq_get(&f.vq, &t, &len) == 0 && t == TOKEN(1) && f.vq.num_free == 8);
	fdev_free(&f);
}

/*
 * Random chains (direct and indirect, 1-6 buffers), completed by the device in random order,
 * for long enough that every 16-bit index wraps several times. Each token must come back
 * exactly once with the length the device reported, and the device must always find the
 * chain exactly as it was added.
 */
static void random_runs_wrap(void)
{
	enum { NUM = 16, ITER = 400000 };
	static struct vring_desc tables[NUM][8] __attribute__((aligned(16)));
	static struct chain held[NUM];
	static struct virtq_buf want[4096][6];
	static unsigned int want_n[4096], want_out[4096], back[4096], head_id[NUM];
	unsigned int nheld = 0, next = 0, outstanding = 0;
	uint64_t rnd = 88172645463325252ull;
	struct fdev f;
	void *t;
	uint32_t len;

	memset(back, 0, sizeof(back));
	fdev_init(&f, NUM);
	f.vq.indirect_ok = true;
	for (unsigned int it = 0; it < ITER; it++) {
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		if ((rnd & 3) && outstanding < 4096 - NUM) {
			unsigned int id = next % 4096, n = 1 + rnd % 6, out = (rnd >> 8) % (n + 1);
			bool use_ind = (rnd >> 16) & 1;
			struct virtq_indirect ind;
			uint16_t head = virtq_next_head(&f.vq);
			int r;

			if (back[id])
				continue;		/* that token is still out: wait */
			for (unsigned int k = 0; k < n; k++)
				want[id][k] = (struct virtq_buf){ rnd + k, 1 + (uint32_t)(rnd >> (k + 20)) % 9000 };
			ind = (struct virtq_indirect){ tables[head % NUM], (uintptr_t)tables[head % NUM], 8 };
			r = virtq_add(&f.vq, want[id], out, n - out, TOKEN(id), use_ind ? &ind : NULL);
			if (r == -ENOSPC)
				continue;
			CHECK(r == 0);
			want_n[id] = n;
			want_out[id] = out;
			head_id[head] = id;
			back[id] = 1;
			next++;
			outstanding++;
		}
		/* The device takes what is available, completes a random held one. */
		while (nheld < NUM && fdev_pop(&f, &held[nheld])) {
			const struct chain *h = &held[nheld++];
			unsigned int id = head_id[h->head];
			bool same = h->n == want_n[id];

			for (unsigned int k = 0; same && k < h->n; k++)
				same = h->addr[k] == want[id][k].pa && h->len[k] == want[id][k].len &&
				       h->write[k] == (k >= want_out[id]);
			CHECKF(same, "token %u: the device found another chain", id);
		}
		if (nheld && (rnd >> 24) % 4) {
			unsigned int k = (rnd >> 32) % nheld;

			fdev_push(&f, held[k].head, in_bytes(&held[k]));
			held[k] = held[--nheld];
		}
		while (virtq_get(&f.vq, &t, &len) == 0) {
			unsigned int id = (int *)t - tok;
			uint32_t w = 0;

			for (unsigned int k = want_out[id]; k < want_n[id]; k++)
				w += want[id][k].len;
			CHECKF(back[id] == 1, "token %u came back twice", id);
			CHECKF(len == w, "token %u: len %u, writable %u", id, len, w);
			back[id] = 0;
			outstanding--;
		}
		if (unit_failed_checks)
			break;
	}
	CHECK(f.vq.stats.bad_id + f.vq.stats.not_in_flight + f.vq.stats.bad_len +
	      f.vq.stats.bad_idx == 0);
	CHECKF(f.vq.stats.completed > 3 * 65536, "%lu completed", f.vq.stats.completed);
	CHECK(outstanding == f.vq.in_flight);
	while (virtq_reclaim(&f.vq, &t) == 0)
		outstanding--;
	CHECK(outstanding == 0 && f.vq.num_free == NUM);
	fdev_free(&f);
}

/* The device writes random garbage into the used ring between honest completions. */
static void random_garbage(void)
{
	enum { NUM = 8, ITER = 100000 };
	static unsigned int back[64];
	struct virtq_buf b[2] = { { 0x1000, 16 }, { 0x2000, 8 } };
	uint64_t rnd = 0x9e3779b97f4a7c15ull, returned = 0, added = 0;
	struct fdev f;
	struct chain c;
	void *t;
	uint32_t len;

	fdev_init(&f, NUM);
	for (unsigned int it = 0; it < ITER; it++) {
		rnd ^= rnd << 13, rnd ^= rnd >> 7, rnd ^= rnd << 17;
		if (rnd & 1) {
			unsigned int id = rnd % 64;

			if (!back[id] && !virtq_add(&f.vq, b, 1, 1, TOKEN(id), NULL)) {
				back[id] = 1;
				added++;
			}
		}
		switch ((rnd >> 8) % 4) {
		case 0:				/* honest */
			if (fdev_pop(&f, &c))
				fdev_push(&f, c.head, (rnd >> 12) % 10);	/* 9: too long */
			break;
		case 1:				/* garbage entry */
			fdev_push(&f, (uint32_t)(rnd >> 16) % 20, (uint32_t)(rnd >> 40));
			break;
		case 2:				/* garbage index */
			f.vq.used->idx = (uint16_t)(rnd >> 20);
			break;
		default:			/* index repaired */
			f.vq.used->idx = f.used_idx;
			break;
		}
		while (1) {
			int r = virtq_get(&f.vq, &t, &len);

			if (r == -ENOENT)
				break;
			CHECK(r == 0 || r == -EMSGSIZE);
			CHECK(back[(int *)t - tok] == 1);
			back[(int *)t - tok] = 0;
			returned++;
		}
		if (unit_failed_checks)
			break;
		/* The driver's view stays consistent whatever the device does. */
		if (f.vq.num_free + 2 * f.vq.in_flight != NUM) {
			CHECKF(false, "num_free %u, in flight %u", f.vq.num_free, f.vq.in_flight);
			break;
		}
	}
	while (virtq_reclaim(&f.vq, &t) == 0) {
		CHECK(back[(int *)t - tok] == 1);
		back[(int *)t - tok] = 0;
		returned++;
	}
	CHECK(returned == added && f.vq.num_free == NUM);
	printf("#   %lu added, garbage rejected: %lu ids, %lu not in flight, %lu lens, %lu idx\n",
	       added, f.vq.stats.bad_id, f.vq.stats.not_in_flight, f.vq.stats.bad_len,
	       f.vq.stats.bad_idx);
	fdev_free(&f);
}

UNIT_CASES(
	{ init_refuses_bad_sizes, "virtq: init refuses sizes that are 0, not powers of 2, too big" },
	{ round_trip, "virtq: a chain goes out and comes back; kick follows NO_NOTIFY" },
	{ add_validates_then_acts, "virtq: bad chains refused with nothing changed; full is -ENOSPC" },
	{ full_queue_then_room, "virtq: no room for a chain, then room after a completion" },
	{ bad_id_rejected, "virtq: used id out of range: counted, skipped, queue usable" },
	{ not_in_flight_rejected, "virtq: used id not a chain in flight: counted, skipped" },
	{ duplicate_completion_rejected, "virtq: duplicate completion: counted, not freed twice" },
	{ len_beyond_buffers, "virtq: used len beyond the buffers fails that request only" },
	{ used_idx_jumps, "virtq: used idx jumping ahead or back: counted once, nothing consumed" },
	{ garbage_ring_bounded, "virtq: a ring of garbage is bounded work; reclaim returns all" },
	{ endless_garbage_bounded, "virtq: a device writing garbage forever: bounded per call" },
	{ indirect_tables, "virtq: indirect tables: one ring entry, device sees the chain" },
	{ random_runs_wrap, "virtq: random chains, out-of-order completion, indexes wrap" },
	{ random_garbage, "virtq: random garbage from the device: every token back once" },
);
