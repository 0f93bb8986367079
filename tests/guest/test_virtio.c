// SPDX-License-Identifier: MIT
/*
 * PCI and virtio-blk in the guest (ST_NATIVE): enumeration cross-checked against the legacy
 * ports, MSI-X programming, and each virtio disk's own behaviour at the END of the disk (the
 * first 64 MiB belong to tests/guest/test_blk.c). scripts/testrun.py boots with
 * pvkit.virtio_blk=rw,ro (the disks it attached, in order) and checks the image afterwards.
 * Layout from the end E of a writable disk (MiB): [E-8, E-7) the host's pattern ("HOSTDATA"),
 * [E-7, E-1) scratch, [E-1, E) the guest's pattern ("GUESTDAT"), which the host verifies. A
 * read-only disk holds the "RODISK00" pattern throughout.
 */
#include <string.h>
#include <pvkit/acpi.h>
#include <pvkit/blkdev.h>
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/mm.h>
#include <pvkit/pci.h>
#include <pvkit/pv.h>
#include "selftest.h"
#include <pvkit/timer.h>
#include <pvkit/virtio.h>
#include <pvkit/virtio_blk.h>
#include <pvkit/x86.h>

#define MIB_SECTORS		2048u		/* 512-byte sectors per MiB */
#define SECTORS_PER_PAGE	8u
#define HOST_TAG		"HOSTDATA"	/* scripts/testrun.py writes these */
#define GUEST_TAG		"GUESTDAT"
#define RO_TAG			"RODISK00"
#define VBUF_MAX_PAGES		1100		/* one buffer: requests plus data */
#define IO_TIMEOUT_NS		(30ull * 1000000000)
#define MIN_RW_SECTORS		((64u + 8u) * MIB_SECTORS)	/* workload + our 8 MiB */

/* ---- helpers ----------------------------------------------------------------------------- */

/* A sector's pattern: tag, its own number, then bytes derived from both (as testrun.py). */
static void vt_fill(uint8_t *p, uint64_t lba, const char *tag)
{
	memcpy(p, tag, 8);
	memcpy(p + 8, &lba, 8);
	for (unsigned int j = 16; j < 512; j++)
		p[j] = (uint8_t)(lba * 31 + j * 7 + (uint8_t)tag[0]);
}

/* The first sector in [0, n) that does not hold the pattern, or n. */
static uint32_t vt_check(const uint8_t *p, uint64_t lba, uint32_t n, const char *tag)
{
	static uint8_t want[512];

	for (uint32_t i = 0; i < n; i++) {
		vt_fill(want, lba + i, tag);
		if (memcmp(p + i * 512, want, 512))
			return i;
	}
	return n;
}

/* A virtually contiguous buffer of page_alloc frames (requests do not fit in one page). */
struct vbuf {
	uint8_t *va;			/* mapping, NULL when not allocated */
	size_t pages;
	uint64_t pas[VBUF_MAX_PAGES];	/* the frames, for segments */
};

static struct vbuf vbuf_a, vbuf_b, vbuf_c;

static void vbuf_free(struct vbuf *b)
{
	if (b->va) {
		vm_unmap((uintptr_t)b->va, b->pages * PAGE_SIZE);
		vmap_free(b->va, b->pages * PAGE_SIZE);
	}
	for (size_t i = 0; i < b->pages; i++)
		page_free(b->pas[i]);
	b->va = NULL;
	b->pages = 0;
}

static int vbuf_alloc(struct vbuf *b, size_t pages)
{
	void *va;

	if (pages > VBUF_MAX_PAGES)
		return -EINVAL;
	b->pages = 0;
	b->va = NULL;
	for (; b->pages < pages; b->pages++)
		if (page_alloc(&b->pas[b->pages]))
			goto out_free;
	va = vmap_reserve(pages * PAGE_SIZE);
	if (!va)
		goto out_free;
	if (vm_map_pages((uintptr_t)va, b->pas, pages, VM_WRITE)) {
		vmap_free(va, pages * PAGE_SIZE);
		goto out_free;
	}
	b->va = va;
	return 0;

out_free:
	vbuf_free(b);
	return -ENOMEM;
}

/* pvkit.virtio_discard=zeroes: the host's disk file frees discarded blocks. */
static bool vt_discard_zeroes(const struct boot_info *bi)
{
	char val[16];

	return !cmdline_get(bi->cmdline, "pvkit.virtio_discard", val, sizeof(val)) &&
	       !strcmp(val, "zeroes");
}

static bool vt_is_virtio(struct blkdev *d)
{
	struct virtio_blk_stats st;

	return !virtio_blk_get_stats(d, &st);
}

/* The first virtio disk the command line describes as read-only (or as writable) that is. */
static struct blkdev *vt_disk(const struct boot_info *bi, bool readonly)
{
	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d))
		if (vt_is_virtio(d) && d->readonly == readonly &&
		    selftest_disk_mode(bi, d) == (readonly ? 'o' : 'w'))
			return d;
	return NULL;
}

/*
 * A disk to test, or why not: ST_SKIPPED when none was promised, -ENODEV when missing. Only
 * a disk the command line describes (selftest.h): the tests below write, and the read-only
 * ones expect the harness's pattern.
 */
static int vt_get(const struct boot_info *bi, bool readonly, struct blkdev **dev)
{
	char modes[26];
	unsigned int n = selftest_disks_described(bi, modes);
	bool promised = false;

	for (unsigned int i = 0; i < n; i++)
		promised |= modes[i] == (readonly ? 'o' : 'w');
	*dev = vt_disk(bi, readonly);
	if (*dev && !readonly && (*dev)->sectors < MIN_RW_SECTORS) {
		printk("#   %s: %lu sectors: too small for a scratch area past 64 MiB\n",
		       (*dev)->name, (*dev)->sectors);
		*dev = NULL;
		return promised ? -ENOSPC : ST_SKIPPED;
	}
	if (*dev)
		return 0;
	printk("#   no %s virtio disk%s\n", readonly ? "read-only" : "writable",
	       promised ? " although the command line promised one" : "");
	return promised ? -ENODEV : ST_SKIPPED;
}

/* Asynchronous requests: a completion count the waits below watch. */
struct vt_io {
	struct blk_request rq;		/* must stay first: the request the driver holds */
	volatile int status;		/* the completion's, or 1 while in flight */
	volatile unsigned int calls;	/* done() calls: must end up exactly 1 */
};

static volatile unsigned int vt_done_count;

static void vt_done(struct blk_request *rq, int status)
{
	struct vt_io *io = rq->ctx;

	io->status = status;
	io->calls++;
	vt_done_count++;
}

static bool vt_reached(void *ctx)
{
	return vt_done_count >= *(unsigned int *)ctx;
}

/* Wait (bounded) until @want completions have arrived since the count was reset. */
static int vt_wait(unsigned int want)
{
	return os_wait_until(vt_reached, &want, IO_TIMEOUT_NS);
}

/* One request of @pages pages from @pas, at @lba. */
static void vt_rq(struct vt_io *io, enum blk_op op, uint64_t lba, const uint64_t *pas,
		  uint32_t pages)
{
	memset(&io->rq, 0, offsetof(struct blk_request, segs));
	io->rq.op = op;
	io->rq.sector = lba;
	io->rq.nr_sectors = pages * SECTORS_PER_PAGE;
	io->rq.nr_segs = pages;
	for (uint32_t i = 0; i < pages; i++)
		io->rq.segs[i] = (struct blk_seg){ pas[i], 0, PAGE_SIZE };
	io->rq.done = vt_done;
	io->rq.ctx = io;
	io->status = 1;
	io->calls = 0;
}

/* ---- PCI --------------------------------------------------------------------------------- */

static uint32_t port_cfg_read32(const struct pci_dev *d, uint16_t off)
{
	unsigned long fl = pv_irq_save();
	uint32_t v;

	outl(0xcf8, 0x80000000u | (uint32_t)d->bus << 16 | (uint32_t)d->devfn << 8 | off);
	v = inl(0xcfc);
	pv_irq_restore(fl);
	return v;
}

static int test_pci_ecam_vs_ports(const struct boot_info *bi)
{
	const struct pci_cfg_ops *m = pci_cfg_mechanism();
	const void *mcfg;
	uint32_t len;
	unsigned int n = 0;
	struct pci_dev *d;

	ST_CHECK(m, "pci_init did not run");
	if (!acpi_get_table("MCFG", 0, &mcfg, &len)) {
		acpi_put_table(mcfg, len);
		ST_CHECK(!strcmp(m->name, "ecam"), "ACPI has an MCFG but %s is in use", m->name);
	}
	d = pci_get_dev(0);
	ST_CHECK(d && d->bus == 0 && d->devfn == 0, "no host bridge at 00:00.0");
	for (; (d = pci_get_dev(n)); n++) {
		static const uint16_t offs[] = { PCI_VENDOR_ID, PCI_REVISION, 0x0c, PCI_SUBSYS_VENDOR,
						 PCI_CAP_PTR };

		for (unsigned int i = 0; i < ARRAY_SIZE(offs); i++) {
			uint32_t a = pci_read32(d, offs[i]), b = port_cfg_read32(d, offs[i]);

			ST_CHECK(a == b, "%02x:%02x.%u offset %#x: %s says %#x, ports %#x", d->bus,
				 d->devfn >> 3, d->devfn & 7, offs[i], m->name, a, b);
		}
		ST_CHECK((pci_read32(d, 0) & 0xffff) == d->vendor && pci_read16(d, 2) == d->device,
			 "%02x:%02x.%u: ids changed", d->bus, d->devfn >> 3, d->devfn & 7);
	}
	printk("#   %u functions, %s and ports agree\n", n, m->name);
	return 0;
}

static int test_pci_caps_bars(const struct boot_info *bi)
{
	unsigned int bars = 0;
	struct pci_dev *d;

	for (unsigned int n = 0; (d = pci_get_dev(n)); n++) {
		int r = pci_find_cap(d, 0xff, 0);	/* no such id: walks the whole list */

		ST_CHECK(r == 0, "%02x:%02x.%u: capability walk gave %d", d->bus, d->devfn >> 3,
			 d->devfn & 7, r);
		for (unsigned int i = 0; i < PCI_NR_BARS; i++) {
			const struct pci_bar *b = &d->bars[i];
			uint32_t reg = pci_read32(d, PCI_BAR0 + 4 * i);

			if (b->kind == PCI_BAR_NONE)
				continue;
			bars++;
			ST_CHECK(b->size && IS_ALIGNED(b->base, b->size), "BAR %u: %#lx+%#lx", i,
				 b->base, b->size);
			/* Sizing wrote all-ones: the register must hold the address again. */
			ST_CHECK((reg & (b->kind == PCI_BAR_KIND_IO ? ~3u : ~0xfu)) ==
				 (uint32_t)b->base, "%02x:%02x.%u BAR %u reads %#x, decoded %#lx",
				 d->bus, d->devfn >> 3, d->devfn & 7, i, reg, b->base);
			if (b->kind == PCI_BAR_KIND_MEM64)
				ST_CHECK(pci_read32(d, PCI_BAR0 + 4 * i + 4) == b->base >> 32,
					 "BAR %u upper half", i);
		}
	}
	ST_CHECK(bars > 0, "no BAR at all");
	return 0;
}

static void vt_no_irq(void *ctx)
{
}

/* An MSI-X entry points at this CPU with a vector somebody handles. */
static int vt_check_msix(struct pci_dev *d, unsigned int entry, unsigned int vector)
{
	volatile uint32_t *e = d->msix_table + entry * 4;

	ST_CHECK(vector >= IRQ_VECTOR_DEVICE_FIRST && vector <= IRQ_VECTOR_DEVICE_LAST,
		 "entry %u: vector %#x", entry, vector);
	ST_CHECK(e[0] == (0xfee00000u | lapic_id() << 12) && e[1] == 0 && e[2] == vector &&
		 !(e[3] & 1), "entry %u: address %#x:%#x data %#x control %#x", entry, e[1], e[0],
		 e[2], e[3]);
	if (!irq_set_handler(vector, vt_no_irq, NULL)) {
		irq_clear_handler(vector);
		ST_CHECK(false, "vector %#x has no handler", vector);
	}
	return 0;
}

/*
 * Every virtio disk is bound, MSI-X programmed; the ones the command line describes are there
 * with the mode it says. One it does not describe is reported (someone attached it: the tests
 * only read it), not a failure.
 */
static int test_virtio_found(const struct boot_info *bi)
{
	char modes[26];
	unsigned int nmodes = selftest_disks_described(bi, modes), want = 0, found = 0;
	unsigned int described = 0;
	struct pci_dev *d;

	for (unsigned int i = 0; i < nmodes; i++)
		want += modes[i] != 0;

	for (unsigned int n = 0; (d = pci_get_dev(n)); n++) {
		struct virtio_device *v = d->driver_priv;
		struct blkdev *disk;
		uint16_t ctrl;
		char mode;

		if (d->vendor != VIRTIO_PCI_VENDOR || (d->device != 0x1042 && d->device != 0x1001))
			continue;
		ST_CHECK(d->driver == &virtio_pci_driver && v, "%02x:%02x.%u not bound", d->bus,
			 d->devfn >> 3, d->devfn & 7);
		disk = v->priv;
		mode = selftest_disk_mode(bi, disk);
		if (found < nmodes && modes[found])
			ST_CHECK(mode == (disk->readonly ? 'o' : 'w'), "disk %u (%s, ro=%d): the "
				 "command line says %s", found, disk->name, disk->readonly,
				 modes[found] == 'o' ? "ro" : "rw");
		if (mode)
			described++;
		else
			printk("pvkit: virtio-blk %s (ro=%d, %lu sectors): not described by "
			       SELFTEST_VIRTIO_DISKS_OPT "=: the self-tests only read it\n", disk->name,
			       disk->readonly, disk->sectors);
		ST_CHECK((pci_read16(d, PCI_COMMAND) & 6) == 6, "memory/bus master off: %#x",
			 pci_read16(d, PCI_COMMAND));
		if (!d->msix_cap) {
			ST_CHECK(v->polled, "%s: no MSI-X and not polled", disk->name);
		} else {
			ctrl = pci_read16(d, d->msix_cap + PCI_MSIX_FLAGS);
			ST_CHECK((ctrl & PCI_MSIX_FLAGS_ENABLE) && !(ctrl & PCI_MSIX_FLAGS_MASKALL),
				 "%s: MSI-X control %#x", disk->name, ctrl);
			if (vt_check_msix(d, 0, v->config_vector))
				return -EINVAL;
			for (unsigned int q = 0; q < VIRTIO_MAX_VQS; q++)
				if (v->vqs[q] && vt_check_msix(d, 1 + q, v->vqs[q]->vector))
					return -EINVAL;
		}
		printk("#   %s at %02x:%02x.%u (%04x:%04x): %s%s\n", disk->name, d->bus,
		       d->devfn >> 3, d->devfn & 7, d->vendor, d->device,
		       d->msix_cap ? "MSI-X per queue" : "no MSI-X: polled",
		       mode ? "" : "; not described: only read");
		found++;
	}
	ST_CHECK(described == want, "%u virtio disks described, the command line describes %u",
		 described, want);
	return found ? 0 : ST_SKIPPED;
}

/* ---- virtio-blk -------------------------------------------------------------------------- */

static int test_vblk_host_pattern(const struct boot_info *bi)
{
	static uint8_t buf[MIB_SECTORS * 512] __aligned(4096);	/* 1 MiB */
	unsigned int checked = 0;

	for (int ro = 0; ro < 2; ro++) {
		struct blkdev *d;
		int err = vt_get(bi, ro, &d);
		uint64_t lba;
		uint32_t bad;

		if (err == ST_SKIPPED)
			continue;
		if (err)
			return err;
		lba = ro ? d->sectors / 2 : d->sectors - 8 * MIB_SECTORS;
		memset(buf, 0, sizeof(buf));
		err = blkdev_read(d, lba, buf, MIB_SECTORS);
		ST_CHECK(!err, "%s: read: %d", d->name, err);
		bad = vt_check(buf, lba, MIB_SECTORS, ro ? RO_TAG : HOST_TAG);
		ST_CHECK(bad == MIB_SECTORS, "%s: sector %lu is not what the host wrote "
			 "(starts \"%.8s\")", d->name, lba + bad, (char *)buf + bad * 512);
		checked++;
	}
	return checked ? 0 : ST_SKIPPED;
}

static int test_vblk_roundtrip(const struct boot_info *bi)
{
	static uint8_t out[MIB_SECTORS * 512] __aligned(4096), in[sizeof(out)] __aligned(4096);
	struct virtio_blk_stats st0, st1;
	uint64_t lba, irqs = 0;
	struct blkdev *d;
	uint32_t bad;
	int err = vt_get(bi, false, &d);

	if (err)
		return err;
	lba = d->sectors - MIB_SECTORS;
	virtio_blk_get_stats(d, &st0);
	/* First something else, so a read that returned stale data would show. */
	for (uint32_t i = 0; i < MIB_SECTORS; i++)
		vt_fill(out + i * 512, lba + i, "SCRATCH0");
	ST_CHECK(!blkdev_write(d, lba, out, MIB_SECTORS), "first write failed");
	for (uint32_t i = 0; i < MIB_SECTORS; i++)
		vt_fill(out + i * 512, lba + i, GUEST_TAG);
	/* Odd sizes and offsets: one sector, then 7 starting mid-page, then the rest. */
	err = blkdev_write(d, lba, out, 1);
	if (!err)
		err = blkdev_write(d, lba + 1, out + 512, 7);
	if (!err)
		err = blkdev_write(d, lba + 8, out + 8 * 512, MIB_SECTORS - 8);
	ST_CHECK(!err, "%s: write: %d", d->name, err);
	err = blkdev_flush(d);
	ST_CHECK(!err, "%s: flush: %d", d->name, err);
	memset(in, 0xa5, sizeof(in));
	err = blkdev_read(d, lba + 3, in + 3 * 512, MIB_SECTORS - 3);
	if (!err)
		err = blkdev_read(d, lba, in, 3);
	ST_CHECK(!err, "%s: read: %d", d->name, err);
	bad = vt_check(in, lba, MIB_SECTORS, GUEST_TAG);
	ST_CHECK(bad == MIB_SECTORS, "%s: sector %lu read back wrong", d->name, lba + bad);
	virtio_blk_get_stats(d, &st1);
	for (unsigned int q = 0; q < st1.queues; q++)
		irqs += st1.interrupts[q] - st0.interrupts[q];
	ST_CHECK(st1.bad_used == 0 && st1.bad_status == 0, "%lu bad used entries, %lu bad status",
		 st1.bad_used, st1.bad_status);
	ST_CHECK(irqs > 0, "%s: no completion interrupt", d->name);
	printk("#   %s: 1 MiB written, flushed, read back at sector %lu; %lu interrupts\n",
	       d->name, lba, irqs);
	return 0;
}

/*
 * Fill @d's queues with one-page requests while interrupts are off (nothing completes), until
 * the driver says -EBUSY; then let them all complete. With @write, writes at the end of the
 * disk (then read back); else reads from sector 0, compared with @ref (what one read of the
 * same pages gave) or, without @ref, with the RO pattern.
 */
static int vt_depth(struct blkdev *d, bool write, const uint8_t *ref)
{
	struct vt_io *ios = (struct vt_io *)vbuf_b.va;
	unsigned int max = MIN(d->queue_depth + 1, (uint32_t)(vbuf_a.pages));
	uint64_t lba = write ? d->sectors - 7 * MIB_SECTORS : 0;
	struct virtio_blk_stats st;
	unsigned int n = 0, bad_calls = 0;
	unsigned long fl;
	int err = 0;

	ST_CHECK(max * sizeof(struct vt_io) <= vbuf_b.pages * PAGE_SIZE, "buffers too small");
	for (unsigned int i = 0; i < max && write; i++)
		for (unsigned int s = 0; s < SECTORS_PER_PAGE; s++)
			vt_fill(vbuf_a.va + i * PAGE_SIZE + s * 512, lba + i * 8 + s, "DEPTH000");
	vt_done_count = 0;
	fl = pv_irq_save();
	for (; n < max; n++) {
		vt_rq(&ios[n], write ? BLK_WRITE : BLK_READ, lba + n * 8, &vbuf_a.pas[n], 1);
		err = blkdev_submit(d, &ios[n].rq);
		if (err)
			break;
	}
	pv_irq_restore(fl);
	ST_CHECK(err == -EBUSY, "%s: submit %u gave %d, expected -EBUSY", d->name, n, err);
	ST_CHECK(n == d->queue_depth, "%s: %u requests accepted, queue depth %u", d->name, n,
		 d->queue_depth);
	ST_CHECK(!vt_wait(n), "%s: %u of %u completed", d->name, vt_done_count, n);
	for (unsigned int i = 0; i < n; i++) {
		bad_calls += ios[i].calls != 1;
		ST_CHECK(ios[i].status == 0, "%s: request %u: %d", d->name, i, ios[i].status);
	}
	ST_CHECK(!bad_calls, "%u requests completed other than once", bad_calls);
	virtio_blk_get_stats(d, &st);
	ST_CHECK(st.max_in_flight >= n, "max in flight %lu", st.max_in_flight);
	for (unsigned int q = 0; q < st.queues; q++)
		ST_CHECK(st.submitted[q] > 0, "%s: queue %u never used", d->name, q);
	/* What the requests moved is right. */
	if (write) {
		memset(vbuf_a.va, 0, n * PAGE_SIZE);
		ST_CHECK(!blkdev_read(d, lba, vbuf_a.va, n * SECTORS_PER_PAGE), "read back");
	}
	for (unsigned int i = 0; i < n; i++) {
		uint8_t *got = vbuf_a.va + i * PAGE_SIZE;
		bool right = ref ? !memcmp(got, ref + i * PAGE_SIZE, PAGE_SIZE) :
			     vt_check(got, lba + i * 8, SECTORS_PER_PAGE,
				      write ? "DEPTH000" : RO_TAG) == SECTORS_PER_PAGE;

		ST_CHECK(right, "%s: request %u moved wrong data", d->name, i);
	}
	printk("#   %s: %u requests in flight on %u queue(s) of %u (%s), the next -EBUSY\n",
	       d->name, n, st.queues, st.queue_size, st.indirect ? "indirect" : "direct");
	return 0;
}

/* vt_depth() with its buffers. */
static int vt_depth_run(struct blkdev *d, bool write, const uint8_t *ref)
{
	size_t rq_pages = DIV_ROUND_UP((d->queue_depth + 1) * sizeof(struct vt_io), PAGE_SIZE);
	int err;

	if (vbuf_alloc(&vbuf_a, d->queue_depth + 1) || vbuf_alloc(&vbuf_b, rq_pages)) {
		vbuf_free(&vbuf_a);
		ST_CHECK(false, "no memory for %u requests", d->queue_depth + 1);
	}
	err = vt_depth(d, write, ref);
	vbuf_free(&vbuf_a);
	vbuf_free(&vbuf_b);
	return err;
}

static int test_vblk_depth(const struct boot_info *bi)
{
	unsigned int tested = 0;
	int err = 0;

	for (int ro = 0; ro < 2 && !err; ro++) {
		struct blkdev *d;

		err = vt_get(bi, ro, &d);
		if (err == ST_SKIPPED) {
			err = 0;
			continue;
		}
		if (err)
			break;
		err = vt_depth_run(d, !ro, NULL);
		tested++;
	}
	return err ? err : tested ? 0 : ST_SKIPPED;
}

static int test_vblk_readonly(const struct boot_info *bi)
{
	static uint8_t buf[4096] __aligned(4096);
	static struct vt_io io;
	struct virtio_blk_stats st0, st1;
	struct blkdev *d;
	int err = vt_get(bi, true, &d);

	if (err)
		return err;
	virtio_blk_get_stats(d, &st0);
	err = blkdev_write(d, 0, buf, 8);
	ST_CHECK(err == -EROFS, "%s: block layer write gave %d", d->name, err);
	/* The driver does not rely on the block layer for this. */
	vt_rq(&io, BLK_WRITE, 0, (uint64_t[]){ virt_to_phys(buf) }, 1);
	err = d->ops->submit(d, &io.rq);
	ST_CHECK(err == -EROFS, "%s: driver accepted a write: %d", d->name, err);
	err = blkdev_discard(d, 0, 8, false);
	ST_CHECK(err == -EROFS, "%s: discard gave %d", d->name, err);
	virtio_blk_get_stats(d, &st1);
	ST_CHECK(st1.submitted[0] == st0.submitted[0], "a refused request reached the device");
	err = blkdev_read(d, 8, buf, 8);
	ST_CHECK(!err && vt_check(buf, 8, 8, RO_TAG) == 8, "%s: reading after: %d", d->name, err);
	return 0;
}

static int test_vblk_refused(const struct boot_info *bi)
{
	static uint8_t buf[4096] __aligned(4096);
	static struct vt_io io;
	struct virtio_blk_stats st0, st1;
	uint64_t pa = virt_to_phys(buf);
	struct blkdev *d;
	int err = vt_get(bi, false, &d);

	if (err)
		return err;
	virtio_blk_get_stats(d, &st0);
	vt_rq(&io, BLK_READ, d->sectors, &pa, 1);
	ST_CHECK(blkdev_submit(d, &io.rq) == -ERANGE, "read at the end not refused");
	vt_rq(&io, BLK_READ, d->sectors - 4, &pa, 1);
	ST_CHECK(blkdev_submit(d, &io.rq) == -ERANGE, "read across the end not refused");
	vt_rq(&io, BLK_WRITE, d->sectors - 4, &pa, 1);
	ST_CHECK(d->ops->submit(d, &io.rq) == -EINVAL, "driver took a write across the end");
	vt_rq(&io, BLK_READ, 0, &pa, 1);
	io.rq.nr_segs = d->max_segs + 1;
	ST_CHECK(d->ops->submit(d, &io.rq) == -EINVAL, "driver took %u segments",
		 d->max_segs + 1);
	vt_rq(&io, BLK_WRITE_BARRIER, d->sectors - 8, &pa, 1);
	ST_CHECK(blkdev_submit(d, &io.rq) == -EOPNOTSUPP, "a barrier write was accepted");
	virtio_blk_get_stats(d, &st1);
	for (unsigned int q = 0; q < st1.queues; q++)
		ST_CHECK(st1.submitted[q] == st0.submitted[q], "a refused request reached queue %u",
			 q);
	err = blkdev_read(d, d->sectors - 8, buf, 8);
	ST_CHECK(!err, "%s: unusable after the refusals: %d", d->name, err);
	return 0;
}

/*
 * The device's own error: the disk is made to look larger for one request, so neither the
 * block layer nor the driver stops a read past the real end, and QEMU answers IOERR.
 */
static int test_vblk_ioerr(const struct boot_info *bi)
{
	static uint8_t buf[4096] __aligned(4096);
	struct blkdev *d;
	uint64_t real;
	int err = vt_get(bi, false, &d), err2;

	if (err)
		return err;
	real = d->sectors;
	d->sectors = real + 64;
	err = blkdev_read(d, real + 8, buf, 8);
	d->sectors = real;
	err2 = blkdev_read(d, real - 8, buf, 8);
	ST_CHECK(err == -EIO, "%s: read past the device's end gave %d, not -EIO", d->name, err);
	ST_CHECK(!err2, "%s: unusable after the error: %d", d->name, err2);
	return 0;
}

static int test_vblk_discard(const struct boot_info *bi)
{
	static uint8_t buf[64 * 512] __aligned(4096);
	struct virtio_blk_stats st;
	uint64_t lba;
	struct blkdev *d;
	bool zero = true, old = true;
	int err = vt_get(bi, false, &d);

	if (err)
		return err;
	if (!d->features.discard) {
		printk("#   %s: no discard offered\n", d->name);
		return ST_SKIPPED;
	}
	virtio_blk_get_stats(d, &st);
	lba = d->sectors - 2 * MIB_SECTORS;	/* scratch, 1 MiB-aligned */
	for (uint32_t i = 0; i < 64; i++)
		vt_fill(buf + i * 512, lba + i, "DISCARD0");
	ST_CHECK(!blkdev_write(d, lba, buf, 64), "write before discard");
	err = blkdev_discard(d, lba, 64, false);
	ST_CHECK(!err, "%s: discard: %d", d->name, err);
	memset(buf, 0xa5, sizeof(buf));
	ST_CHECK(!blkdev_read(d, lba, buf, 64), "read after discard");
	for (uint32_t i = 0; i < sizeof(buf); i++)
		zero &= !buf[i];
	old = vt_check(buf, lba, 64, "DISCARD0") == 64;
	ST_CHECK(zero || old, "%s: discarded range is neither zeros nor the old data", d->name);
	/* The host knows its file system frees discarded blocks (QEMU discard=unmap). */
	ST_CHECK(zero || !vt_discard_zeroes(bi), "%s: the host promised zeros after a discard",
		 d->name);
	if (st.max_discard_sectors &&
	    (uint64_t)st.max_discard_sectors * MIN(st.max_discard_segs, 4u) < d->sectors) {
		err = blkdev_discard(d, 0, d->sectors, false);
		ST_CHECK(err == -EINVAL, "a discard beyond the device's limits gave %d", err);
	}
	printk("#   %s: discard of 32 KiB: reads back %s (limit %u sectors x %u)\n", d->name,
	       zero ? "zeros" : "the old data", st.max_discard_sectors, st.max_discard_segs);
	return 0;
}

/* ---- a disk the command line does not describe: only read ------------------------------- */

/* Sectors [@lba, @lba + @n) (n >= 16) read in one call, then again in three odd pieces: the
 * same bytes. */
static int vt_read_twice(struct blkdev *d, uint64_t lba, uint32_t n, uint8_t *a, uint8_t *b)
{
	uint32_t lg = d->sector_size / 512;	/* pieces in whole logical blocks */
	int err = blkdev_read(d, lba, a, n);

	ST_CHECK(!err, "%s: reading %u sectors at %lu: %d", d->name, n, lba, err);
	memset(b, 0xa5, n * 512);
	err = blkdev_read(d, lba + 8 * lg, b + 8 * lg * 512, n - 8 * lg);
	if (!err)
		err = blkdev_read(d, lba + lg, b + lg * 512, 7 * lg);
	if (!err)
		err = blkdev_read(d, lba, b, lg);
	ST_CHECK(!err, "%s: reading sectors %lu-%lu in pieces: %d", d->name, lba, lba + n - 1,
		 err);
	ST_CHECK(!memcmp(a, b, n * 512), "%s: two reads of sectors %lu-%lu differ", d->name, lba,
		 lba + n - 1);
	return 0;
}

/* The read-only checks on @d, with vbuf_c allocated: @n sectors at each end (a multiple of
 * 8 logical blocks). Every request is whole logical blocks: a disk of 4 KiB blocks (or
 * larger) someone attached must not fail them for our arithmetic. */
static int vt_undescribed_checks(struct blkdev *d, uint32_t n)
{
	static struct vt_io io;
	uint8_t *a = vbuf_c.va, *b = vbuf_c.va + n * 512;
	uint64_t real = d->sectors, pa[32];	/* up to 64 KiB blocks: 32 pages */
	struct virtio_blk_stats st0, st1;
	uint32_t ref_sectors = (d->queue_depth + 1) * SECTORS_PER_PAGE;
	uint32_t lg = d->sector_size / 512, k = MAX(8u, lg);	/* k: a page or a block */
	uint32_t across = MAX(1u, lg / 4);	/* pages of a read that crosses the end */
	int err, err2;

	for (uint32_t i = 0; i < across; i++)
		pa[i] = vbuf_c.pas[i];
	err = vt_read_twice(d, 0, n, a, b);
	if (!err)
		err = vt_read_twice(d, real - n, n, a, b);
	if (err)
		return err;
	/* Requests past the end, or malformed, never reach the device. */
	virtio_blk_get_stats(d, &st0);
	vt_rq(&io, BLK_READ, real, pa, across);
	ST_CHECK(blkdev_submit(d, &io.rq) == -ERANGE, "%s: a read at the end was not refused",
		 d->name);
	vt_rq(&io, BLK_READ, real - lg, pa, across);
	ST_CHECK(blkdev_submit(d, &io.rq) == -ERANGE, "%s: a read across the end was not refused",
		 d->name);
	vt_rq(&io, BLK_READ, 0, pa, 1);
	io.rq.nr_segs = d->max_segs + 1;
	ST_CHECK(d->ops->submit(d, &io.rq) == -EINVAL, "%s: the driver took %u segments", d->name,
		 d->max_segs + 1);
	virtio_blk_get_stats(d, &st1);
	for (unsigned int q = 0; q < st1.queues; q++)
		ST_CHECK(st1.submitted[q] == st0.submitted[q], "%s: a refused request reached "
			 "queue %u", d->name, q);
	/* The device's own answer to a read past its end (the layer believes it larger). */
	d->sectors = real + 8 * k;
	err = blkdev_read(d, real + k, a, k);
	d->sectors = real;
	err2 = blkdev_read(d, real - k, a, k);
	ST_CHECK(err == -EIO, "%s: a read past the device's end gave %d, not -EIO", d->name, err);
	ST_CHECK(!err2, "%s: unusable after the error: %d", d->name, err2);
	/* A full queue of one-page reads: each completes once, with what one read of the pages
	 * gave. A page is not whole blocks of a disk with blocks above 4 KiB. */
	if (lg > SECTORS_PER_PAGE) {
		printk("#   %s: %u-byte blocks: no queue of one-page reads\n", d->name,
		       d->sector_size);
		return 0;
	}
	if (real < ref_sectors) {
		printk("#   %s: %lu sectors: too small for a full queue of reads\n", d->name, real);
		return 0;
	}
	err = blkdev_read(d, 0, vbuf_c.va, ref_sectors);
	ST_CHECK(!err, "%s: reading the first %u sectors: %d", d->name, ref_sectors, err);
	return vt_depth_run(d, false, vbuf_c.va);
}

/*
 * A virtio disk the command line does not describe belongs to whoever attached it: no test
 * writes it. These checks only read: both ends read twice, differently cut, agree; requests
 * past the end and malformed ones are refused before the device; the device's own error for a
 * read past its end fails that request only; a full queue of reads completes, each once.
 */
static int test_vblk_undescribed(const struct boot_info *bi)
{
	unsigned int checked = 0;

	for (struct blkdev *d = blkdev_first(); d; d = blkdev_next(d)) {
		uint32_t unit = MAX(8u, d->sector_size / 512 * 8);	/* 8 blocks, >= a page */
		uint32_t n = (uint32_t)MIN((uint64_t)MIB_SECTORS, ALIGN_DOWN(d->sectors / 2, unit));
		int err;

		if (!vt_is_virtio(d) || selftest_disk_mode(bi, d))
			continue;
		checked++;
		if (n < 2 * unit) {
			printk("#   %s: %lu sectors: too small to check\n", d->name, d->sectors);
			continue;
		}
		if (vbuf_alloc(&vbuf_c, MAX(2 * n / SECTORS_PER_PAGE, d->queue_depth + 1u)))
			ST_CHECK(false, "no memory to read %s", d->name);
		err = vt_undescribed_checks(d, n);
		vbuf_free(&vbuf_c);
		if (err)
			return err;
		printk("#   %s (ro=%d, %lu sectors): only read: %u KiB at each end read twice "
		       "agree, past-end reads refused or -EIO, %u reads in flight\n", d->name,
		       d->readonly, d->sectors, n / 2, d->queue_depth);
	}
	return checked ? 0 : ST_SKIPPED;
}

static bool vt_io_done(void *ctx)
{
	return ((struct vt_io *)ctx)->status != 1;
}

/* A sequential stream of @count requests of @pages pages, @depth in flight, cycling over
 * 4 MiB of scratch at @lba. *ns: how long it took. */
static int vt_stream(struct blkdev *d, enum blk_op op, uint64_t lba, uint32_t pages,
		     unsigned int depth, uint32_t count, uint64_t *ns)
{
	struct vt_io *ios = (struct vt_io *)vbuf_b.va;
	uint32_t per = pages * SECTORS_PER_PAGE, per_span = 4 * MIB_SECTORS / per;
	uint64_t t0 = pv_clock_ns();
	int err;

	for (unsigned int i = 0; i < depth; i++)
		ios[i].status = 0;
	for (uint32_t sent = 0; sent < count; sent++) {
		struct vt_io *io = &ios[sent % depth];

		/* The slot's previous request must be done (completions come in any order). */
		if (os_wait_until(vt_io_done, io, IO_TIMEOUT_NS))
			return -ETIMEDOUT;
		if (io->status)
			return io->status;
		vt_rq(io, op, lba + (uint64_t)(sent % per_span) * per,
		      &vbuf_a.pas[(sent % depth) * pages], pages);
		while ((err = blkdev_submit(d, &io->rq)) == -EBUSY)
			cpu_relax();		/* interrupts are on: completions free room */
		if (err)
			return err;
	}
	for (unsigned int i = 0; i < depth; i++) {
		if (os_wait_until(vt_io_done, &ios[i], IO_TIMEOUT_NS))
			return -ETIMEDOUT;
		if (ios[i].status)
			return ios[i].status;
	}
	*ns = pv_clock_ns() - t0;
	return 0;
}

/* Doorbells and interrupts over all queues of @d. */
static void vt_events(struct blkdev *d, uint64_t *notifies, uint64_t *irqs)
{
	struct virtio_blk_stats st;

	*notifies = *irqs = 0;
	virtio_blk_get_stats(d, &st);
	for (unsigned int q = 0; q < st.queues; q++) {
		*notifies += st.notifies[q];
		*irqs += st.interrupts[q];
	}
}

/* Write then read a stream; print MiB/s, requests/s, doorbells and interrupts. */
static int vt_measure(struct blkdev *d, uint32_t pages, unsigned int depth, uint32_t count)
{
	uint64_t lba = d->sectors - 7 * MIB_SECTORS, ns[2] = { 1, 1 };
	uint64_t bytes = (uint64_t)count * pages * PAGE_SIZE, n0, i0, n1, i1;
	int err;

	vt_events(d, &n0, &i0);
	if (vbuf_alloc(&vbuf_a, pages * depth) ||
	    vbuf_alloc(&vbuf_b, DIV_ROUND_UP(depth * sizeof(struct vt_io), PAGE_SIZE))) {
		vbuf_free(&vbuf_a);
		ST_CHECK(false, "no memory for %u x %u pages", depth, pages);
	}
	err = vt_stream(d, BLK_WRITE, lba, pages, depth, count, &ns[0]);
	ST_CHECK(!err, "%s: sequential write: %d", d->name, err);
	err = vt_stream(d, BLK_READ, lba, pages, depth, count, &ns[1]);
	ST_CHECK(!err, "%s: sequential read: %d", d->name, err);
	vbuf_free(&vbuf_a);
	vbuf_free(&vbuf_b);
	vt_events(d, &n1, &i1);
	printk("#   %s: %u x %u KiB, %u in flight: write %lu ms = %lu MiB/s, %lu req/s; "
	       "read %lu ms = %lu MiB/s, %lu req/s; per 100 requests %lu doorbells, %lu "
	       "interrupts\n", d->name, count, pages * 4, depth, ns[0] / 1000000,
	       (bytes * 1000000000 / ns[0]) >> 20, (uint64_t)count * 1000000000 / ns[0],
	       ns[1] / 1000000, (bytes * 1000000000 / ns[1]) >> 20,
	       (uint64_t)count * 1000000000 / ns[1], (n1 - n0) * 50 / count, (i1 - i0) * 50 / count);
	return 0;
}

static int test_vblk_throughput(const struct boot_info *bi)
{
	struct blkdev *d;
	int err = vt_get(bi, false, &d);

	if (err)
		return err;
	/* Large requests, then 4 KiB ones (the per-request cost). */
	err = vt_measure(d, MIN(d->max_segs, 256u), 4, 64);
	if (!err)
		err = vt_measure(d, 1, 32, 4096);
	vbuf_free(&vbuf_a);
	vbuf_free(&vbuf_b);
	return err;
}

static const struct selftest virtio_tests[] = {
	{ test_pci_ecam_vs_ports, "pci: every function reads the same through ECAM and the ports",
	  ST_NATIVE },
	{ test_pci_caps_bars, "pci: capability lists end, BARs hold what sizing decoded",
	  ST_NATIVE },
	{ test_virtio_found, "virtio-blk: the described disks are found, bound, MSI-X to this CPU",
	  ST_NATIVE },
	{ test_vblk_host_pattern, "virtio-blk: reads what the host wrote, on every disk",
	  ST_NATIVE },
	{ test_vblk_roundtrip, "virtio-blk: write, flush, read back at the end; by interrupt",
	  ST_NATIVE },
	{ test_vblk_depth, "virtio-blk: a full queue in flight, then -EBUSY; each completes once",
	  ST_NATIVE },
	{ test_vblk_readonly, "virtio-blk: read-only disk: -EROFS in layer and driver, reads on",
	  ST_NATIVE },
	{ test_vblk_refused, "virtio-blk: out-of-range and malformed requests never reach it",
	  ST_NATIVE },
	{ test_vblk_ioerr, "virtio-blk: a device I/O error fails that request with -EIO only",
	  ST_NATIVE },
	{ test_vblk_discard, "virtio-blk: discard gives zeros or old data; limits enforced",
	  ST_NATIVE },
	{ test_vblk_undescribed, "virtio-blk: a disk the command line does not describe is only read",
	  ST_NATIVE },
	{ test_vblk_throughput, "virtio-blk: sequential write and read throughput (measured)",
	  ST_NATIVE },
};
SELFTEST_TABLE(45, virtio_tests);
