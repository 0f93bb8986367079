// SPDX-License-Identifier: MIT
/*
 * drivers/native/virtio_net.c with the real transport, PCI code and network-device layer
 * (drivers/core/netdev.c), against a fake virtio-net PCI function (fake_pci.c + the device
 * below): it fills receive buffers with frames and raises the rx queue's MSI-X vector, and
 * takes transmitted frames off the tx queue. Then it misbehaves: lengths beyond the buffer,
 * runt frames, GSO it was never offered, checksum offsets outside the frame, used entries
 * that name nothing. Each case runs in a child process: the driver's device pool is global.
 *
 * The common configuration is plain memory, so feature words read the same whatever the
 * select register says: bit 0 of the offered word doubles as VIRTIO_F_VERSION_1 (bit 32) and
 * is also VIRTIO_NET_F_CSUM; cases without CSUM clear it in the negotiated set afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pvkit/os.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/netdev.h>
#include <pvkit/virtio.h>
#include <pvkit/virtio_net.h>
#include "fake_pci.h"
#include "unit.h"

#define BAR4		0xfe000000ull	/* common 0x0, ISR 0x1000, device 0x2000, notify 0x3000 */
#define BAR1		0xfebd1000ull	/* MSI-X table */
#define F(bit)		(1u << (bit))
#define V1		F(0)		/* see above (also CSUM) */
#define HDR		12
#define FEAT_QEMU	(V1 | F(VIRTIO_NET_F_GUEST_CSUM) | F(VIRTIO_NET_F_MAC) |	\
			 F(VIRTIO_NET_F_STATUS) | F(VIRTIO_NET_F_MRG_RXBUF) |		\
			 F(VIRTIO_NET_F_CTRL_VQ))

static const uint8_t MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

/* ---- what netdev.c needs besides fake_pci.c: one-page netbufs only ----------------------- */

void *os_vmap_reserve(size_t len) { return NULL; }
void os_vmap_free(void *va, size_t len) { }
int os_vm_map_pages(uintptr_t va, const uint64_t *pas, size_t n, unsigned int flags) { return -1; }
int os_vm_lookup(uintptr_t va, uint64_t *pa) { return -1; }
int os_vm_unmap(uintptr_t va, size_t len) { return 0; }

/* Frames the device layer handed to the stack. */
static struct {
	uint8_t data[2048];		/* copy */
	uint32_t len;
	enum netbuf_csum csum;
} got[512];
static unsigned int ngot;

static void rx_handler(struct netdev *dev, struct netbuf *nb)
{
	if (ngot < ARRAY_SIZE(got) && nb->len <= sizeof(got[0].data)) {
		memcpy(got[ngot].data, nb->data, nb->len);
		got[ngot].len = nb->len;
		got[ngot].csum = nb->csum;
	}
	ngot++;
	netbuf_free(nb);
}

/* ---- the fake device --------------------------------------------------------------------- */

struct fake_net {
	uint8_t *bar4, *msix;		/* BAR memory */
	uint16_t last_avail[2];		/* per queue: the device's cursors */
	uint16_t used_idx[2];
	struct {			/* the last frame sent */
		struct virtio_net_hdr hdr;
		uint8_t data[2048];
		uint32_t len;
		unsigned int ndesc;
	} tx;
	unsigned int ntx;		/* frames taken */
};

static struct fake_net fn;

static struct virtio_device *vdev(void)
{
	return pci_get_dev(0)->driver_priv;
}

static struct netdev *eth0(void)
{
	return netdev_find("eth0");
}

static uint8_t *dma(uint64_t pa)
{
	return os_phys_to_virt(pa);
}

/* A virtio-net function 00:03.0: 2 queues of @qsize, 3 MSI-X entries (or none), @feat. */
static void fake_net_add(uint32_t feat, uint16_t qsize, bool msix, const uint8_t *mac,
			 uint16_t status, uint16_t mtu)
{
	struct fake_fn *f;
	uint8_t cap[20] = { 0 };
	static const struct { uint8_t type; uint32_t off, len; } caps[] = {
		{ VIRTIO_PCI_CAP_COMMON_CFG, 0x0, 0x1000 }, { VIRTIO_PCI_CAP_ISR_CFG, 0x1000, 0x1000 },
		{ VIRTIO_PCI_CAP_DEVICE_CFG, 0x2000, 0x1000 },
		{ VIRTIO_PCI_CAP_NOTIFY_CFG, 0x3000, 0x1000 },
	};

	fake_reset();
	memset(&fn, 0, sizeof(fn));
	ngot = 0;
	f = fake_fn_add(0, 3 << 3, VIRTIO_PCI_VENDOR, 0x1041);
	fn.bar4 = fake_bar_mem(f, 4, BAR4, 0x4000, true, true);
	fn.msix = fake_bar_mem(f, 1, BAR1, 0x1000, false, true);
	for (unsigned int i = 0; i < 4; i++) {
		cap[2] = caps[i].type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20 : 16;
		cap[3] = caps[i].type;
		cap[4] = 4;
		fake_put32(cap + 8, caps[i].off);
		fake_put32(cap + 12, caps[i].len);
		fake_put32(cap + 16, 4);
		fake_cap_add(f, PCI_CAP_ID_VENDOR, cap, cap[2]);
	}
	if (msix) {
		memset(cap, 0, sizeof(cap));
		fake_put16(cap + 2, 3 - 1);
		fake_put32(cap + 4, 0 | 1);
		fake_put32(cap + 8, 0x800 | 1);
		fake_cap_add(f, PCI_CAP_ID_MSIX, cap, 12);
	}
	fake_put32(fn.bar4 + VIRTIO_COMMON_DF, feat);
	fake_put16(fn.bar4 + VIRTIO_COMMON_NUMQ, 3);
	fake_put16(fn.bar4 + VIRTIO_COMMON_Q_SIZE, qsize);
	memcpy(fn.bar4 + 0x2000 + VIRTIO_NET_CFG_MAC, mac, 6);
	fake_put16(fn.bar4 + 0x2000 + VIRTIO_NET_CFG_STATUS, status);
	fake_put16(fn.bar4 + 0x2000 + VIRTIO_NET_CFG_MTU, mtu);
	netdev_set_rx_handler(rx_handler);
}

static void fake_net_probe(void)
{
	CHECK(pci_scan(&fake_cfg_ops) == 1);
	CHECK(pci_register_driver(&virtio_pci_driver) == 0);
}

static void raise_queue(unsigned int q)
{
	struct virtio_device *v = vdev();

	if (v->msix) {
		uint32_t *e = (uint32_t *)(fn.msix + 16 * (1 + q));

		CHECK(e[0] == 0xfee00000 && !(e[3] & 1));
		CHECK(fake_irq_fire(e[2]));
	}
}

/* How a delivery goes wrong. */
struct rx_how {
	uint8_t flags, gso;		/* header fields */
	uint16_t csum_start, csum_offset;
	int len_extra;			/* added to the used length */
	int id;				/* >= 0: this used id instead of the right one */
	bool no_irq;			/* complete without an interrupt */
};

/* The device receives @len bytes of @frame into the next buffer. false: no buffer. */
static bool deliver(const uint8_t *frame, uint32_t len, const struct rx_how *how)
{
	static const struct rx_how none = { .id = -1 };
	struct virtqueue *vq = vdev()->vqs[0];
	struct vring_desc d;
	struct virtio_net_hdr h = { 0 };
	uint16_t head;

	how = how ? how : &none;
	if (fn.last_avail[0] == vq->avail->idx)
		return false;
	head = vq->avail->ring[fn.last_avail[0]++ % vq->num];
	d = vq->desc[head];
	CHECK((d.flags & VRING_DESC_F_WRITE) && !(d.flags & VRING_DESC_F_NEXT));
	CHECK(d.len >= HDR + len);
	h.flags = how->flags;
	h.gso_type = how->gso;
	h.csum_start = how->csum_start;
	h.csum_offset = how->csum_offset;
	memcpy(dma(d.addr), &h, HDR);
	memcpy(dma(d.addr) + HDR, frame, MIN(len, d.len - HDR));
	vq->used->ring[fn.used_idx[0] % vq->num] = (struct vring_used_elem){
		how->id >= 0 ? (uint32_t)how->id : head, HDR + len + how->len_extra };
	vq->used->idx = ++fn.used_idx[0];
	if (!how->no_irq)
		raise_queue(0);
	return true;
}

/* The device takes every frame on the tx queue (no interrupt: the driver asked for none). */
static unsigned int take_tx(void)
{
	struct virtqueue *vq = vdev()->vqs[1];
	unsigned int n = 0;

	while (fn.last_avail[1] != vq->avail->idx) {
		uint16_t head = vq->avail->ring[fn.last_avail[1]++ % vq->num];
		struct vring_desc d0 = vq->desc[head], d1;

		CHECK(d0.len == HDR && !(d0.flags & VRING_DESC_F_WRITE));
		CHECK(d0.flags & VRING_DESC_F_NEXT);
		d1 = vq->desc[d0.next];
		CHECK(!(d1.flags & (VRING_DESC_F_WRITE | VRING_DESC_F_NEXT)));
		memcpy(&fn.tx.hdr, dma(d0.addr), HDR);
		fn.tx.len = d1.len;
		memcpy(fn.tx.data, dma(d1.addr), MIN(d1.len, sizeof(fn.tx.data)));
		vq->used->ring[fn.used_idx[1] % vq->num] = (struct vring_used_elem){ head, 0 };
		vq->used->idx = ++fn.used_idx[1];
		n++;
	}
	fn.ntx += n;
	return n;
}

/* A frame to send: @len bytes in a fresh netbuf. */
static struct netbuf *frame_nb(uint32_t len, uint8_t fill)
{
	struct netbuf *nb = netbuf_alloc(len, 64);

	memset(nb->data, fill, len);
	memcpy(nb->data, MAC, 6);
	nb->len = len;
	return nb;
}

static struct virtio_net_stats stats(void)
{
	struct virtio_net_stats st;

	CHECK(virtio_net_get_stats(eth0(), &st) == 0);
	return st;
}

/* An Ethernet + IPv4 + UDP frame with the UDP checksum field holding the pseudo-header sum
 * (as the stack leaves it for offload): 14 + 20 + 8 + @n bytes. */
static uint32_t udp_frame(uint8_t *f, uint32_t n)
{
	memset(f, 0, 42 + n);
	memcpy(f, MAC, 6);
	f[12] = 0x08;
	f[14] = 0x45;
	f[23] = 17;
	f[34 + 4] = (uint8_t)((8 + n) >> 8);
	f[34 + 5] = (uint8_t)(8 + n);
	for (uint32_t i = 0; i < n; i++)
		f[42 + i] = (uint8_t)(i * 7 + 3);
	f[34 + 6] = 0x12;			/* "pseudo-header sum" */
	f[34 + 7] = 0x34;
	return 42 + n;
}

/* The UDP segment @seg (@n bytes) had 0x1234 as its pseudo-header sum in the checksum
 * field and was completed (by the driver): with that pseudo sum it must verify. */
static bool partial_completed(const uint8_t *seg, uint32_t n)
{
	uint32_t c = (uint32_t)(seg[6] << 8 | seg[7]), sum = c + 0x1234;

	for (uint32_t i = 0; i < n; i += 2) {
		uint32_t w = (uint32_t)seg[i] << 8 | (i + 1 < n ? seg[i + 1] : 0);

		if (i != 6)
			sum += w;		/* the field itself counted once, above */
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff && c != 0x1234;
}

/* ---- isolation --------------------------------------------------------------------------- */

static void isolated(void (*fn_)(void))
{
	pid_t pid;
	int st = 0;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		unit_failed_checks = 0;
		fn_();
		fflush(stdout);
		_exit(unit_failed_checks ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %#x", st);
}

#define ISOLATED(name)								\
	static void name##_body(void);						\
	static void name(void) { isolated(name##_body); }			\
	static void name##_body(void)

/* ---- cases ------------------------------------------------------------------------------- */

ISOLATED(probe_registers_eth0)
{
	struct virtio_device *v;
	struct virtio_net_stats st;
	struct netdev *d;

	fake_net_add(FEAT_QEMU | F(VIRTIO_NET_F_MTU), 256, true, MAC, VIRTIO_NET_S_LINK_UP, 1500);
	fake_net_probe();
	d = eth0();
	CHECK(d != NULL);
	if (!d)
		return;
	v = vdev();
	CHECK(!memcmp(d->mac, MAC, 6) && d->mtu == 1500 && d->carrier);
	CHECK(d->features.csum && !d->features.sg && d->features.queues == 1);
	CHECK(strstr(fake_last_printk, "virtio-net") != NULL);
	/* Wanted only: no MRG_RXBUF, no control queue. */
	CHECK(!(v->features & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)));
	CHECK(!(v->features & VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ)));
	CHECK(v->features & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	CHECK(fn.bar4[VIRTIO_COMMON_STATUS] & VIRTIO_STATUS_DRIVER_OK);
	st = stats();
	CHECK(st.rx_queue_size == 256 && st.rx_posted == 256 && st.rx_buf_len == 1500 + 18);
	CHECK(st.rx_vector && v->vqs[1]->vector && !v->vqs[2]);
	CHECK(v->vqs[1]->avail->flags & VRING_AVAIL_F_NO_INTERRUPT);	/* tx: no interrupts */
	CHECK(v->vqs[0]->avail->idx == 256);
	/* Each rx buffer: one device-writable descriptor, header + a full frame, in one page. */
	for (unsigned int i = 0; i < 256; i++) {
		struct vring_desc *desc = &v->vqs[0]->desc[i];

		CHECK(desc->flags == VRING_DESC_F_WRITE && desc->len == HDR + 1518);
		CHECK((desc->addr & 4095) + desc->len <= 4096);
	}
}

ISOLATED(rx_frames_handed_up)
{
	uint8_t f[1600];
	unsigned int pages;

	fake_net_add(FEAT_QEMU, 256, true, MAC, VIRTIO_NET_S_LINK_UP, 0);
	fake_net_probe();
	pages = fake_pages;
	for (unsigned int i = 0; i < 1000; i++) {
		uint32_t len = 14 + (i * 37) % 1501;

		for (uint32_t k = 0; k < len; k++)
			f[k] = (uint8_t)(i + k * 5);
		ngot = 0;
		CHECK(deliver(f, len, NULL));
		CHECK(netdev_poll() == 1);
		CHECK(ngot == 1 && got[0].len == len);
		CHECK(!memcmp(got[0].data, f, len));
		CHECK(got[0].csum == NETBUF_CSUM_NONE);
	}
	CHECK(stats().rx_posted == 256 && stats().rx_completed == 1000);
	CHECK(fake_pages == pages);			/* refilled, nothing leaked */
	CHECK(eth0()->stats.rx_frames == 1000 && !eth0()->stats.rx_errors);
}

ISOLATED(rx_hostile_completions)
{
	uint8_t f[1600] = { 0 };
	struct virtio_net_stats st;
	unsigned int pages;
	struct netdev *d;

	fake_net_add(FEAT_QEMU, 256, true, MAC, VIRTIO_NET_S_LINK_UP, 0);
	fake_net_probe();
	d = eth0();
	pages = fake_pages;
	/* Longer than the buffer: that frame dropped. */
	CHECK(deliver(f, 100, &(struct rx_how){ .len_extra = 1500, .id = -1 }));
	/* Shorter than the headers. */
	CHECK(deliver(f, 13, &(struct rx_how){ .id = -1 }));
	CHECK(deliver(f, 0, &(struct rx_how){ .len_extra = -1, .id = -1 }));
	/* GSO we never negotiated. */
	CHECK(deliver(f, 100, &(struct rx_how){ .gso = 1, .id = -1 }));
	/* Checksum offsets outside the frame (with GUEST_CSUM): start beyond, offset beyond. */
	CHECK(deliver(f, 100, &(struct rx_how){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
						 .csum_start = 100, .id = -1 }));
	CHECK(deliver(f, 100, &(struct rx_how){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
						 .csum_start = 34, .csum_offset = 65, .id = -1 }));
	CHECK(netdev_poll() == 0 && ngot == 0);
	st = stats();
	CHECK(st.rx_bad_len == 1 && st.rx_short == 2 && st.rx_gso == 1 && st.rx_bad_csum_off == 2);
	CHECK(d->stats.rx_errors == 6 && st.rx_posted == 256);
	/* Used ids that name nothing, or a buffer twice: counted, nothing freed twice. */
	CHECK(deliver(f, 60, &(struct rx_how){ .id = 9999 }));
	{
		struct virtqueue *vq = vdev()->vqs[0];

		vq->used->ring[fn.used_idx[0] % vq->num] = vq->used->ring[(fn.used_idx[0] - 1) %
									   vq->num];
		vq->used->idx = ++fn.used_idx[0];	/* a duplicate of the bad one */
		raise_queue(0);
	}
	st = stats();
	CHECK(st.bad_used == 2);
	/* The buffer behind id 9999 stays with the device (it never named it); the rest go on,
	 * more than a ring's worth. */
	CHECK(st.rx_posted == 256);
	for (unsigned int i = 0; i < 600; i++) {
		f[13] = (uint8_t)i;
		CHECK(deliver(f, 60, NULL));
		if (i % 200 == 199)
			CHECK(netdev_poll() == 200);
	}
	CHECK(ngot == 600);
	CHECK(fake_pages == pages);
}

ISOLATED(rx_checksum_flags)
{
	uint8_t f[200];
	uint32_t n = udp_frame(f, 100);

	fake_net_add(FEAT_QEMU, 256, true, MAC, VIRTIO_NET_S_LINK_UP, 0);
	fake_net_probe();
	/* NEEDS_CSUM: the driver completes it; the frame is then VALID and really verifies. */
	CHECK(deliver(f, n, &(struct rx_how){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					       .csum_start = 34, .csum_offset = 6, .id = -1 }));
	CHECK(deliver(f, n, &(struct rx_how){ .flags = VIRTIO_NET_HDR_F_DATA_VALID, .id = -1 }));
	CHECK(deliver(f, n, NULL));
	netdev_poll();
	CHECK(ngot == 3);
	CHECK(got[0].csum == NETBUF_CSUM_VALID && got[1].csum == NETBUF_CSUM_VALID);
	CHECK(got[2].csum == NETBUF_CSUM_NONE);
	CHECK(partial_completed(got[0].data + 34, n - 34));	/* and really verifies */
	CHECK(!memcmp(got[1].data, f, n));			/* DATA_VALID: untouched */
	CHECK(stats().rx_csum_completed == 1 && stats().rx_csum_valid == 1);
	/* Without GUEST_CSUM the flags mean nothing. */
	vdev()->features &= ~VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM);
	CHECK(deliver(f, n, &(struct rx_how){ .flags = VIRTIO_NET_HDR_F_DATA_VALID, .id = -1 }));
	CHECK(deliver(f, n, &(struct rx_how){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					       .csum_start = 500, .id = -1 }));
	netdev_poll();
	CHECK(ngot == 5 && got[3].csum == NETBUF_CSUM_NONE && got[4].csum == NETBUF_CSUM_NONE);
}

ISOLATED(tx_frames_and_offload)
{
	struct netdev *d;
	struct netbuf *nb;
	uint8_t f[200];
	uint32_t n = udp_frame(f, 101);		/* odd length */

	fake_net_add(FEAT_QEMU, 256, true, MAC, VIRTIO_NET_S_LINK_UP, 0);
	fake_net_probe();
	d = eth0();
	nb = frame_nb(60, 0xab);
	CHECK(netdev_tx(d, nb) == 0);
	CHECK(take_tx() == 1 && fn.tx.len == 60 && fn.tx.data[59] == 0xab);
	CHECK(fn.tx.hdr.flags == 0 && fn.tx.hdr.gso_type == 0);
	/* PARTIAL with CSUM negotiated: NEEDS_CSUM and the offsets, the frame untouched. */
	nb = netbuf_alloc(n, 64);
	memcpy(nb->data, f, n);
	nb->len = n;
	nb->csum = NETBUF_CSUM_PARTIAL;
	nb->csum_start = 34;
	nb->csum_offset = 6;
	CHECK(netdev_tx(d, nb) == 0 && take_tx() == 1);
	CHECK(fn.tx.hdr.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
	CHECK(fn.tx.hdr.csum_start == 34 && fn.tx.hdr.csum_offset == 6);
	CHECK(!memcmp(fn.tx.data, f, n));
	/* Without CSUM: the driver sums it; with the pseudo-header sum it would verify. */
	vdev()->features &= ~VIRTIO_BIT(VIRTIO_NET_F_CSUM);
	nb = netbuf_alloc(n, 64);
	memcpy(nb->data, f, n);
	nb->len = n;
	nb->csum = NETBUF_CSUM_PARTIAL;
	nb->csum_start = 34;
	nb->csum_offset = 6;
	CHECK(netdev_tx(d, nb) == 0 && take_tx() == 1);
	CHECK(fn.tx.hdr.flags == 0);
	CHECK(partial_completed(fn.tx.data + 34, n - 34));
	CHECK(stats().tx_csum_offload == 1 && stats().tx_csum_sw == 1);
	/* PARTIAL with offsets outside the frame (no CSUM): refused, not sent. */
	nb = frame_nb(60, 0);
	nb->csum = NETBUF_CSUM_PARTIAL;
	nb->csum_start = 59;
	nb->csum_offset = 6;
	CHECK(netdev_tx(d, nb) == -EINVAL);
	netbuf_free(nb);
	CHECK(take_tx() == 0 && d->stats.tx_frames == 3 && d->stats.tx_dropped == 1);
}

ISOLATED(tx_ring_full_then_reclaimed)
{
	struct netdev *d;
	unsigned int pages, sent = 0;
	int err = 0;

	fake_net_add(FEAT_QEMU, 64, true, MAC, VIRTIO_NET_S_LINK_UP, 0);
	fake_net_probe();
	d = eth0();
	pages = fake_pages;
	while (!err) {
		struct netbuf *nb = frame_nb(100, (uint8_t)sent);

		err = netdev_tx(d, nb);
		if (err)
			netbuf_free(nb);
		else
			sent++;
	}
	CHECK(err == -EBUSY && sent == 32);		/* two descriptors a frame */
	CHECK(stats().tx_busy == 1 && stats().tx_in_flight == 32);
	CHECK(d->stats.tx_frames == 32 && d->stats.tx_dropped == 0);	/* busy is no drop */
	CHECK(take_tx() == 32);
	CHECK(fake_pages == pages + 32);		/* held until reclaimed ... */
	netdev_poll();
	CHECK(fake_pages == pages && stats().tx_completed == 32);	/* ... on the next poll */
	CHECK(netdev_tx(d, frame_nb(100, 1)) == 0 && take_tx() == 1);
}

ISOLATED(link_status_is_carrier)
{
	struct virtio_device *v;
	struct netbuf *nb;

	fake_net_add(FEAT_QEMU, 256, true, MAC, 0, 0);		/* link down */
	fake_net_probe();
	v = vdev();
	CHECK(!eth0()->carrier);
	nb = frame_nb(60, 0);
	CHECK(netdev_tx(eth0(), nb) == -ENETDOWN);
	netbuf_free(nb);
	fake_put16(fn.bar4 + 0x2000 + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	{
		uint32_t *e = (uint32_t *)fn.msix;	/* entry 0: configuration changes */

		CHECK(fake_irq_fire(e[2]));
	}
	CHECK(eth0()->carrier && stats().config_changes == 1);
	CHECK(v->config_changes == 1);
}

ISOLATED(link_without_status_is_up)
{
	fake_net_add(FEAT_QEMU & ~F(VIRTIO_NET_F_STATUS), 256, true, MAC, 0, 0);
	fake_net_probe();
	CHECK(eth0() && eth0()->carrier);
}

ISOLATED(mac_and_mtu_checked)
{
	static const uint8_t mc[6] = { 0x01, 0, 0x5e, 0, 0, 1 }, zero[6];

	fake_net_add(FEAT_QEMU | F(VIRTIO_NET_F_MTU), 256, true, mc, VIRTIO_NET_S_LINK_UP, 40);
	fake_net_probe();
	CHECK(eth0() && !(eth0()->mac[0] & 1) && (eth0()->mac[0] & 2));	/* local unicast */
	CHECK(eth0()->mtu == 1500);
	(void)zero;
}

ISOLATED(zero_mac_replaced)
{
	static const uint8_t zero[6];

	fake_net_add(FEAT_QEMU, 256, true, zero, VIRTIO_NET_S_LINK_UP, 0);
	fake_net_probe();
	CHECK(eth0() && memcmp(eth0()->mac, zero, 6) && !(eth0()->mac[0] & 1));
}

ISOLATED(mtu_capped_to_a_page)
{
	fake_net_add(FEAT_QEMU | F(VIRTIO_NET_F_MTU), 256, true, MAC, VIRTIO_NET_S_LINK_UP, 9000);
	fake_net_probe();
	CHECK(eth0() && eth0()->mtu < 4000 && eth0()->mtu >= 3000);
	CHECK(stats().rx_buf_len == eth0()->mtu + 18);
}

ISOLATED(polled_without_msix)
{
	uint8_t f[60] = { 0 };

	fake_net_add(FEAT_QEMU, 256, false, MAC, VIRTIO_NET_S_LINK_UP, 0);
	fake_net_probe();
	CHECK(eth0() && !stats().rx_vector && vdev()->polled);
	CHECK(deliver(f, 60, &(struct rx_how){ .no_irq = true, .id = -1 }));
	CHECK(netdev_poll() == 1 && ngot == 1);		/* the poll op finds it */
}

ISOLATED(refill_after_no_memory)
{
	fake_net_add(FEAT_QEMU, 256, true, MAC, VIRTIO_NET_S_LINK_UP, 0);
	fake_page_fail_after = 4 + 4 + 1 + 10;	/* rings, tx header, 10 rx buffers */
	fake_net_probe();
	CHECK(eth0() != NULL);
	if (!eth0())
		return;
	CHECK(stats().rx_posted < 256 && stats().rx_nomem >= 1);
	fake_page_fail_after = -1;
	netdev_poll();
	CHECK(stats().rx_posted == 256);
}

ISOLATED(allocation_failures_unwind)
{
	/* Each allocation of the probe failing in turn: no device, nothing held. */
	for (int k = 0; k < 9; k++) {
		pid_t pid;
		int st;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			fake_net_add(FEAT_QEMU, 256, true, MAC, VIRTIO_NET_S_LINK_UP, 0);
			fake_page_fail_after = k;
			fake_net_probe();
			CHECKF(!eth0() && fake_pages == 0, "k=%d: eth0 %p, %u pages", k,
			       (void *)eth0(), fake_pages);
			fflush(stdout);
			_exit(unit_failed_checks ? 1 : 0);
		}
		CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));
	}
}

UNIT_CASES(
	{ probe_registers_eth0, "virtio-net: probe: MAC, MTU, link, features; rx ring full, MSI-X" },
	{ rx_frames_handed_up, "virtio-net: 1000 frames handed up intact, ring refilled, no leak" },
	{ rx_hostile_completions, "virtio-net: bad lengths, runts, GSO, csum offsets, bad ids: that frame only" },
	{ rx_checksum_flags, "virtio-net: NEEDS_CSUM completed, DATA_VALID trusted, only with GUEST_CSUM" },
	{ tx_frames_and_offload, "virtio-net: tx header + frame, NEEDS_CSUM or software sum, bad offsets refused" },
	{ tx_ring_full_then_reclaimed, "virtio-net: tx ring full -> -EBUSY (not a drop), reclaimed by poll" },
	{ link_status_is_carrier, "virtio-net: link status is carrier, config interrupt updates it" },
	{ link_without_status_is_up, "virtio-net: without STATUS the link is up" },
	{ mac_and_mtu_checked, "virtio-net: multicast MAC replaced by a local one, MTU < 68 -> 1500" },
	{ zero_mac_replaced, "virtio-net: an all-zero MAC replaced by a local one" },
	{ mtu_capped_to_a_page, "virtio-net: MTU 9000 capped to what one page holds" },
	{ polled_without_msix, "virtio-net: without MSI-X the poll op receives" },
	{ refill_after_no_memory, "virtio-net: rx buffers short of memory refilled by the poll" },
	{ allocation_failures_unwind, "virtio-net: every probe allocation failing: nothing held" },
);
