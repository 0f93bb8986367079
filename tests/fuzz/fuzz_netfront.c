// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for netfront's rx/tx response path (drivers/xen-front/netfront_ring.c,
 * docs/netfront.md "Hardening"): the whole driver with the real xenstore client and xenbus,
 * against the unit tests' fake xenstored and fake netback (tests/unit/fake_*.c). Each input
 * brings a vif up with the features its first byte chooses, then runs a script in which the
 * guest sends frames and a hostile backend writes raw rx responses and extra-info slots
 * (ids, offsets, sizes, flags of its choice), raw tx responses and raw rsp_prod values into
 * the shared rings, lets the honest fake backend serve, or closes. After every step:
 *   - a vif that rejected a response (bad id, not in flight, ring index) has no carrier and
 *     sends nothing;
 *   - no frame handed up is longer than the interface's largest frame;
 * and at the end, once the backend closed and let go of its mappings, the vif is gone, no
 * grant is live or deferred, no port is open, every page and netbuf is back. ASan/UBSan
 * catch the rest.
 *
 * Input: 1 byte of offer (sg, split, no-csum, queues, mtu), then operations, an opcode byte
 * (% 8) followed by its arguments; see fz_step().
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/errno.h>
#include <pvkit/os.h>
#include <pvkit/netdev.h>
#include <pvkit/xen/netfront.h>
#include <pvkit/xen/xenbus.h>
#include <pvkit/xen/xenstore.h>
#include "../../drivers/xen-front/netfront.h"	/* ring structures, to play the backend */
#include "../../xen-guest/xs_proto.h"		/* xs_init_ring, xs_reset */
#include "fuzz_input.h"
#include "fake_netback.h"
#include "fake_xenstored.h"

#define FZ_STEPS	256		/* operations per input at most */

/* ---- the kernel around netfront (as tests/unit/test_netfront.c) ------------------------ */

static struct netdev *vif;		/* the registered interface, NULL when none */
static struct os_poller *poller;
static unsigned int pages_base;

static void fz_fail(const char *what, unsigned long a, unsigned long b)
{
	fprintf(stderr, "fuzz_netfront: %s (%lu, %lu)\n", what, a, b);
	abort();
}

int printk(const char *fmt, ...)
{
	return 0;
}

int netdev_register(struct netdev *dev)
{
	if (vif)
		return -EEXIST;
	dev->gone = false;
	vif = dev;
	return 0;
}

void netdev_unregister(struct netdev *dev)
{
	if (vif == dev)
		vif = NULL;
	dev->gone = true;
}

void netdev_set_carrier(struct netdev *dev, bool up)
{
	if (up && !dev->carrier)
		dev->carrier_ups++;
	dev->carrier = up;
}

struct netdev *netdev_find(const char *name)
{
	return vif && !strcmp(vif->name, name) ? vif : NULL;
}

void netdev_rx(struct netdev *dev, struct netbuf *nb)
{
	struct netfront_dev *d = dev->priv;

	if (nb->len > d->max_frame || nb->len > nb->size)
		fz_fail("a frame longer than the interface allows", nb->len, d->max_frame);
	netbuf_free(nb);
}

void os_poller_register(struct os_poller *p)
{
	poller = p;
}

/* ---- script ----------------------------------------------------------------------------- */

static void fz_idle(void)
{
	if (poller)
		poller->poll();
}

static void fz_init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	xs_reset();
	fxs_init(FNB_DOMID, "guest", 0);
	if (xs_init_ring(fxs.ring, FXS_PORT))
		fz_fail("xenstore ring", 0, 0);
	fnb_reset();
	if (netfront_init(NULL))
		fz_fail("netfront_init", 0, 0);
	pages_base = fake_pages_in_use;
}

FZ_CHECKER static void fz_check(void)
{
	struct netfront_stats st;

	if (!vif)
		return;
	if (netfront_get_stats(vif, &st))
		fz_fail("stats", 0, 0);
	if (st.broken && vif->carrier)
		fz_fail("a broken vif still has carrier", 0, 0);
}

/* Send a frame of the script's length (an IPv4/UDP header for the offload path). */
static void fz_send(struct fz_in *in)
{
	unsigned int len = fz_u16(in) % 9100, flags = fz_byte(in);
	struct netbuf *nb;

	if (!vif)
		return;
	nb = netbuf_alloc(len + 64, 0);
	if (!nb)
		return;
	memset(nb->data, (int)flags, len + 64);
	if (len >= 42) {
		memcpy(nb->data + 12, "\x08\x00\x45\x00", 4);
		nb->data[23] = flags & 1 ? 17 : 6;
	}
	nb->len = len;
	if (flags & 2) {
		nb->csum = NETBUF_CSUM_PARTIAL;
		nb->csum_start = (uint16_t)(flags & 4 ? 34 : fz_byte(in));
		nb->csum_offset = (uint16_t)(flags & 8 ? 6 : fz_byte(in));
	}
	if (vif->ops->tx(vif, nb))
		netbuf_free(nb);
}

/* The bytes of an rx frame of @len (a pattern; up to 12000 compares traced per frame, were it
 * instrumented). */
FZ_CHECKER static void fz_pattern(uint8_t *frame, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		frame[i] = (uint8_t)(i * 13 + len);
}

/* An honest rx frame: length, first-slot flags, slot size chosen by the script. */
static void fz_rx(struct fz_in *in)
{
	static uint8_t frame[FNB_FRAME_MAX];
	unsigned int q = fz_byte(in) % FNB_MAX_QUEUES, len = fz_u16(in) % 12000;
	unsigned int flags = fz_byte(in) & (NETRXF_data_validated | NETRXF_csum_blank);
	unsigned int slot = 256 + fz_byte(in) * 15;

	if (q >= fnb.nr_queues)
		return;
	fz_pattern(frame, len);
	if (len >= 42) {
		memcpy(frame + 12, "\x08\x00\x45\x00", 4);
		frame[23] = 17;
	}
	fnb_rx(q, frame, len, (uint16_t)flags, slot > 4096 ? 4096 : slot);
}

/* A raw rx response or extra-info slot: 8 bytes from the script; with bit 0 of the first
 * control byte, the id is the posted request's (so the other fields get tested). */
static void fz_rx_raw(struct fz_in *in)
{
	unsigned int ctl = fz_byte(in), q = (ctl >> 1) % FNB_MAX_QUEUES;
	uint8_t r[8];
	int id;

	for (unsigned int i = 0; i < 8; i++)
		r[i] = (uint8_t)fz_byte(in);
	if (q >= fnb.nr_queues)
		return;
	id = fnb_rx_next_id(q);
	if ((ctl & 1) && id >= 0) {
		r[0] = (uint8_t)id;
		r[1] = (uint8_t)(id >> 8);
	}
	fnb_rx_raw(q, r);
	if (ctl & 0x80)
		fnb_rx_push(q);
}

static void fz_tx_raw(struct fz_in *in)
{
	unsigned int ctl = fz_byte(in), q = ctl % FNB_MAX_QUEUES;
	int id = fnb_tx_held_id();
	unsigned int raw_id = fz_u16(in);
	int16_t status = (int16_t)(fz_byte(in) % 4) - 2;	/* DROPPED, ERROR, OKAY, NULL */

	if (q >= fnb.nr_queues)
		return;
	if (ctl & 0x10)
		status = (int16_t)fz_u16(in);
	fnb_tx_raw(q, (uint16_t)((ctl & 0x20) && id >= 0 ? (unsigned int)id : raw_id), status);
	if (ctl & 0x80)
		fnb_tx_push(q);
}

static void fz_step(struct fz_in *in)
{
	unsigned int op = fz_byte(in) % 8, a;

	switch (op) {
	case 0:
		fz_send(in);
		break;
	case 1:
		a = fz_byte(in);
		fnb.hold_tx = a & 1;
		if (a & 2)
			fnb_tx_release();
		fnb_tx_step();
		break;
	case 2:
		fz_rx(in);
		break;
	case 3:
		fz_rx_raw(in);
		break;
	case 4:
		fz_tx_raw(in);
		break;
	case 5:
		if (vif)
			vif->ops->poll(vif);
		break;
	case 6:
		a = fz_byte(in);
		if ((a >> 1) % FNB_MAX_QUEUES < fnb.nr_queues) {
			if (a & 1)
				fnb_rx_jump((a >> 1) % FNB_MAX_QUEUES, (int8_t)fz_byte(in));
			else
				fnb_tx_jump((a >> 1) % FNB_MAX_QUEUES, (int8_t)fz_byte(in));
		}
		break;
	default:
		fz_idle();
		fxs_pump();
		break;
	}
	fz_check();
}

static bool fz_bring_up(struct fz_in *in)
{
	unsigned int o = fz_byte(in);

	fnb_reset();
	fnb.quiet = true;
	fnb.offer.sg = o & 1;
	fnb.offer.split = o & 2;
	fnb.offer.no_csum = o & 4;
	fnb.offer.max_queues = (o >> 3 & 3) + 1;
	fnb.offer.mtu = o & 0x20 ? 9000 : 0;
	fnb_add(0);
	fxs_pump();
	if (fnb_connect())
		return false;
	fxs_pump();
	return vif != NULL;
}

/* The toolstack detaches the vif; everything must come back. */
static void fz_tear_down(void)
{
	struct fgnt_stats gs;

	fnb_set_state(XenbusStateClosing);
	fxs_pump();
	fz_idle();
	fnb_disconnect();			/* netback lets go of the mappings */
	fz_idle();
	fnb_set_state(XenbusStateClosed);
	fnb_remove();
	fxs_pump();
	fz_idle();
	if (vif)
		fz_fail("the vif is still registered", 0, 0);
	fgnt_stats(&gs);
	if (gs.live || gs.deferred || gs.bad_ends)
		fz_fail("grants left", gs.live, gs.deferred + gs.bad_ends * 1000);
	if (fnb_ports_open())
		fz_fail("ports left open", fnb_ports_open(), 0);
	if (fake_pages_in_use != pages_base || fake_bad_frees)
		fz_fail("pages leaked", fake_pages_in_use, pages_base);
	if (fake_netbufs_live)
		fz_fail("netbufs leaked", fake_netbufs_live, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };

	fz_init_once();
	if (!fz_bring_up(&in))
		fz_fail("the vif did not come up", fnb.violations, 0);
	for (unsigned int k = 0; k < FZ_STEPS && in.n; k++)
		fz_step(&in);
	fz_tear_down();
	return 0;
}
