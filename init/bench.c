// SPDX-License-Identifier: MIT
/*
 * In-guest measurements for `make bench`, as console commands in serve mode:
 *   bench pvops   cycles per hot operation through pv_ops (patched call sites for the irq
 *                 ops), through the table (indirect, as unpatched), and hard-wired
 *   bench lazy    hypercalls per 1000 PTE updates with and without lazy batching (Xen PV)
 *   bench mem     image size and memory in use
 *   bench blk <disk> seq-read|seq-write|rand-read|rand-write <qd> <bytes> <req> [span]
 *                 throughput / IOPS with <qd> requests of <req> bytes in flight
 *   bench udp-recv <port> <bytes> [idle_ms]
 *                 UDP receive throughput, timed from the first to the last datagram
 *   bench smp [n] what a cross-CPU call and a TLB shootdown cost (medians of n samples)
 * Each prints one machine-readable "pvkit: bench ..." line per figure (scripts/bench/bench.py
 * reads them); blk and udp-recv measure exactly as tests/dom0-tools/bench-blk.c and
 * bench-udp.c do on Linux (same offsets, same request sizes, same end conditions). The
 * pvops loops are long enough that rdtsc's own cost is noise.
 */
#include <pvkit/blkdev.h>
#include <pvkit/cmdline.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/net.h>
#include <pvkit/clockcalc.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/smp.h>
#include "serve.h"
#include <pvkit/timer.h>
#include <pvkit/x86.h>
#include <string.h>
#ifdef CONFIG_XEN_GUEST
#include <pvkit/xen/hypercall.h>
#endif
#ifdef CONFIG_XEN_PV
#include <pvkit/xen/pv.h>
#include <xen/version.h>
#endif

#define ITERS		20000
#define LAZY_PTES	1000
#define BENCH_ARGS_MAX	8		/* words of a bench command */
#define BENCH_QD_MAX	64		/* requests in flight (bench blk) */
#define BENCH_REQ_MAX	(1u << 20)	/* bytes per request: 256 segments */
#define BENCH_IO_TIMEOUT_NS	(120ull * 1000000000)	/* a whole run, then it gives up */
#define BENCH_POLL_NS		(20ull * 1000000)	/* no completion this long: poll */
#define BENCH_UDP_FIRST_NS	(30ull * 1000000000)	/* udp-recv: wait for the first */

static uint64_t hypercalls(void)
{
	uint64_t n = 0;

#ifdef CONFIG_XEN_GUEST
	for (unsigned int i = 0; i < XEN_HYPERCALL_MAX; i++)
		n += xen_hypercall_count[i];
#endif
	return n;
}

/* A page-table entry nobody uses, for set_pte timing: the leaf of a scratch mapping. */
static pte_t *scratch_pte(uintptr_t *va_out, uint64_t *pa_out)
{
	static uintptr_t va;
	static uint64_t pa;
	uint64_t table = pv_read_cr3();

	if (!va) {
		void *v = vmap_reserve(PAGE_SIZE);

		if (!v || page_alloc(&pa) || vm_map((uintptr_t)v, pa, PAGE_SIZE, VM_WRITE))
			return NULL;
		va = (uintptr_t)v;
	}
	for (unsigned int level = 4; level > 1; level--) {
		const pte_t *t = phys_to_virt(table);

		table = pv_pte_pa(t[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511]);
	}
	*va_out = va;
	*pa_out = pa;
	return (pte_t *)phys_to_virt(table) + ((va >> PAGE_SHIFT) & 511);
}

#define TIME_LOOP(cycles, body)						\
	do {								\
		uint64_t t0_ = rdtsc();					\
		for (unsigned int i_ = 0; i_ < ITERS; i_++) {		\
			body;						\
		}							\
		(cycles) = (rdtsc() - t0_) / ITERS;			\
	} while (0)

/* One figure; a negative cycle count prints as "-" (no such variant). */
static void bench_line(const char *op, uint64_t pv, long direct, long indirect)
{
	char d[24] = "-", in[24] = "-";

	if (direct >= 0)
		snprintf(d, sizeof(d), "%ld", direct);
	if (indirect >= 0)
		snprintf(in, sizeof(in), "%ld", indirect);
	printk("pvkit: bench pvops op=%s pv_cycles=%lu direct_cycles=%s indirect_cycles=%s "
	       "patched=%d\n", op, pv, d, in, indirect >= 0 && pv_patch_stats.enabled);
}

/*
 * The hard-wired variant of each op: what a patched call site would run inline in this
 * environment. Natively and under PVH (ring 0, native CPU and MMU) the instruction itself;
 * under Xen PV the backend's body without the indirection: the vcpu_info event mask for
 * the interrupt flag, one direct update_va_mapping / mmuext_op hypercall for set_pte and
 * flush_tlb_one. clock_read's is rdtsc alone: the raw counter, not a clock (a lower bound).
 */
#ifdef CONFIG_XEN_PV
static struct vcpu_info *bench_vcpu(void)
{
	return xen_vcpu0_info();
}

static void bench_xen_irq_enable(struct vcpu_info *v)
{
	WRITE_ONCE(v->evtchn_upcall_mask, 0);
	barrier();
	if (unlikely(READ_ONCE(v->evtchn_upcall_pending)))
		HYPERVISOR_xen_version(XENVER_version, NULL);
}

static void bench_pvops_xen_pv(uint64_t *direct, pte_t *ptep, uintptr_t va, pte_t val)
{
	struct vcpu_info *v = bench_vcpu();
	struct mmuext_op op = { .cmd = MMUEXT_INVLPG_LOCAL };

	op.arg1.linear_addr = va;
	TIME_LOOP(direct[0], {
		unsigned long f = READ_ONCE(v->evtchn_upcall_mask) ? 0 : X86_RFLAGS_IF;
		WRITE_ONCE(v->evtchn_upcall_mask, 1);
		barrier();
		if (f & X86_RFLAGS_IF)
			bench_xen_irq_enable(v);
		else
			WRITE_ONCE(v->evtchn_upcall_mask, 1);
		barrier(); });
	TIME_LOOP(direct[1], { WRITE_ONCE(v->evtchn_upcall_mask, 1); barrier();
			       bench_xen_irq_enable(v);
			       WRITE_ONCE(v->evtchn_upcall_mask, 1); barrier(); });
	if (ptep) {
		TIME_LOOP(direct[2], { HYPERVISOR_update_va_mapping(va, val, 0); });
		TIME_LOOP(direct[3], { xen_hypercall4(__HYPERVISOR_mmuext_op, &op, 1, NULL,
						      DOMID_SELF); });
	}
}
#endif

static void bench_pvops_native(uint64_t *direct, pte_t *ptep, uintptr_t va, pte_t val)
{
	TIME_LOOP(direct[0], { unsigned long f = native_save_fl(); native_irq_disable();
			       __asm__ __volatile__("pushq %0; popfq" : : "g"(f) : "memory", "cc"); });
	TIME_LOOP(direct[1], { native_irq_disable(); native_irq_enable(); native_irq_disable(); });
	if (ptep) {
		TIME_LOOP(direct[2], { WRITE_ONCE(*ptep, val); });
		TIME_LOOP(direct[3], { native_invlpg(va); });
	}
}

static void bench_pvops(void)
{
	static const char *const names[] = { "irq_save_restore", "irq_disable_enable", "set_pte",
					     "flush_tlb_one", "clock_read" };
	uint64_t pv[5] = { 0 }, direct[5] = { 0 }, indirect[2] = { 0 };
	bool have_direct = true;
	unsigned long fl = pv_irq_save();
	uintptr_t va = 0;
	uint64_t pa;
	pte_t *ptep, val = 0;

	/* Interrupts stay off: an interrupt in a loop would be timed too. */
	TIME_LOOP(pv[0], { unsigned long f = pv_irq_save(); pv_irq_restore(f); });
	TIME_LOOP(pv[1], { pv_irq_disable(); pv_irq_enable(); pv_irq_disable(); });
	/* The same through the table: what every site ran before it was patched. */
	TIME_LOOP(indirect[0], { unsigned long f = pv_save_fl_indirect();
				 pv_irq_disable_indirect(); pv_restore_fl_indirect(f); });
	TIME_LOOP(indirect[1], { pv_irq_disable_indirect(); pv_irq_enable_indirect();
				 pv_irq_disable_indirect(); });
	ptep = scratch_pte(&va, &pa);
	if (ptep) {
		val = READ_ONCE(*ptep);
		TIME_LOOP(pv[2], { pv_set_pte(ptep, val); });
		TIME_LOOP(pv[3], { pv_flush_tlb_one(va); });
	}
	TIME_LOOP(pv[4], { (void)pv_clock_ns(); });
	if (serve_boot_info()->env == BOOT_XEN_PV) {
#ifdef CONFIG_XEN_PV
		bench_pvops_xen_pv(direct, ptep, va, val);
#else
		have_direct = false;
#endif
	} else {
		bench_pvops_native(direct, ptep, va, val);
	}
	TIME_LOOP(direct[4], { (void)rdtsc(); });
	pv_irq_restore(fl);
	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		if (!ptep && (i == 2 || i == 3))
			continue;
		bench_line(names[i], pv[i], have_direct ? (long)direct[i] : -1,
			   i < ARRAY_SIZE(indirect) ? (long)indirect[i] : -1);
	}
}

/* Map LAZY_PTES fresh pages twice: as one batched range, then one page at a time with
 * nothing batched, and count the hypercalls each way. */
static void bench_lazy(void)
{
	static uint64_t frames[LAZY_PTES];
	uint64_t before, lazy, eager;
	uint8_t *va = vmap_reserve(2 * LAZY_PTES * PAGE_SIZE);
	unsigned int n;

	if (!va) {
		printk("pvkit: bench lazy: no address space\n");
		return;
	}
	for (n = 0; n < LAZY_PTES && !page_alloc(&frames[n]); n++)
		;
	if (n < LAZY_PTES)
		goto out_free;
	before = hypercalls();
	vm_map_pages((uintptr_t)va, frames, LAZY_PTES, VM_WRITE);
	lazy = hypercalls() - before;
	vm_unmap((uintptr_t)va, LAZY_PTES * PAGE_SIZE);
	before = hypercalls();
	for (unsigned int i = 0; i < LAZY_PTES; i++)
		vm_map_pages_eager((uintptr_t)va + (LAZY_PTES + i) * PAGE_SIZE, &frames[i], 1,
				   VM_WRITE);
	eager = hypercalls() - before;
	vm_unmap((uintptr_t)va + LAZY_PTES * PAGE_SIZE, LAZY_PTES * PAGE_SIZE);
	printk("pvkit: bench lazy ptes=%u hypercalls_lazy=%lu hypercalls_eager=%lu\n",
	       LAZY_PTES, lazy, eager);
out_free:
	while (n--)
		page_free(frames[n]);
	vmap_free(va, 2 * LAZY_PTES * PAGE_SIZE);
}

static void bench_mem(void)
{
	extern char _etext[], _srodata[], __bss_start[];

	printk("pvkit: bench mem text=%lu rodata=%lu data=%lu bss=%lu used_kib=%lu "
	       "total_kib=%lu\n", (unsigned long)(_etext - _text),
	       (unsigned long)(_erodata - _srodata), (unsigned long)(__bss_start - _erodata),
	       (unsigned long)(__bss_end - __bss_start),
	       (page_total_count() - page_free_count()) * 4, page_total_count() * 4);
}

/* ---- bench blk: the work of tests/dom0-tools/bench-blk.c, through blkdev_submit --------- */

/* One request slot: a request and its pages. Never freed: a request still in the driver
 * after a timeout completes into live memory (and bench blk then refuses to run again). */
struct bench_slot {
	struct blk_request rq;
	uint64_t frames[BENCH_REQ_MAX / PAGE_SIZE];	/* its data, one page per segment */
	unsigned int nframes;			/* frames[0..nframes) allocated */
	bool busy;				/* submitted, not completed */
};

static struct {
	struct bench_slot *slot;		/* [BENCH_QD_MAX], mapped at the first run */
	struct blkdev *dev;
	enum blk_op op;
	bool random;
	unsigned int qd;
	uint64_t req, span, ops;		/* request bytes, offset span, requests to do */
	volatile uint64_t issued, done;		/* requests submitted / completed */
	volatile int err;			/* the first failure */
	uint64_t rng;				/* offset generator (bench-blk.c's) */
	uint64_t drawn;				/* rng holds the draw of request drawn - 1 */
	bool stale;				/* a timed-out run left requests in the driver */
} bb;

/* The offset of request number bb.issued, as bench-blk.c draws them: sequential, or 4 KiB
 * aligned from the same LCG and seed. Drawn once per request: a refused submit keeps it. */
static uint64_t bench_blk_offset(void)
{
	if (!bb.random)
		return (bb.issued * bb.req) % bb.span;
	if (bb.drawn != bb.issued + 1) {
		bb.rng = bb.rng * 6364136223846793005ull + 1442695040888963407ull;
		bb.drawn = bb.issued + 1;
	}
	return ((bb.rng >> 20) % (bb.span / bb.req)) * bb.req;
}

static void bench_blk_done(struct blk_request *rq, int status);

/* Submit the next request in slot @s. Return: 0, or -errno (-EBUSY: the ring is full). */
static int bench_blk_submit(unsigned int s)
{
	struct bench_slot *sl = &bb.slot[s];
	struct blk_request *rq = &sl->rq;
	uint32_t pages = (uint32_t)(bb.req / PAGE_SIZE);
	int err;

	memset(rq, 0, offsetof(struct blk_request, segs));
	rq->op = bb.op;
	rq->sector = bench_blk_offset() / 512;
	rq->nr_sectors = (uint32_t)(bb.req / 512);
	rq->nr_segs = pages;
	rq->done = bench_blk_done;
	rq->ctx = (void *)(uintptr_t)s;
	for (uint32_t j = 0; j < pages; j++)
		rq->segs[j] = (struct blk_seg){ sl->frames[j], 0, PAGE_SIZE };
	sl->busy = true;
	err = blkdev_submit(bb.dev, rq);
	if (err) {
		sl->busy = false;
		return err;
	}
	bb.issued++;
	return 0;
}

/* Completion (interrupt or poll context): count it, free the slot. The waiter refills
 * every free slot when it wakes, as bench-blk.c's io_submit after io_getevents does. */
static void bench_blk_done(struct blk_request *rq, int status)
{
	unsigned int s = (unsigned int)(uintptr_t)rq->ctx;

	bb.slot[s].busy = false;
	if (status && !bb.err)
		bb.err = status;
	bb.done++;
}

/* wait_until's condition (interrupts off): fill idle slots, then "finished?". */
static bool bench_blk_progress(void *ctx)
{
	for (unsigned int s = 0; s < bb.qd && bb.issued < bb.ops && !bb.err; s++) {
		int err;

		if (bb.slot[s].busy)
			continue;
		err = bench_blk_submit(s);
		if (err == -EBUSY) {
			if (bb.dev->ops->poll)
				bb.dev->ops->poll(bb.dev);
			break;
		}
		if (err && !bb.err)
			bb.err = err;
	}
	for (unsigned int s = 0; s < bb.qd; s++)
		if (bb.slot[s].busy)
			return false;
	return bb.done >= bb.ops || bb.err;
}

/* The slots, in run-time mappings rather than in the image's bss: a console command's
 * buffers should not count as the kernel's size. Kept once made. */
static int bench_blk_slots(void)
{
	size_t pages = DIV_ROUND_UP(BENCH_QD_MAX * sizeof(struct bench_slot), PAGE_SIZE);
	uint64_t pa;
	uint8_t *va;

	if (bb.slot)
		return 0;
	va = vmap_reserve(pages * PAGE_SIZE);
	if (!va)
		return -ENOMEM;
	for (size_t i = 0; i < pages; i++)
		if (page_alloc(&pa) || vm_map((uintptr_t)va + i * PAGE_SIZE, pa, PAGE_SIZE, VM_WRITE))
			return -ENOMEM;		/* kept: the next run finds bb.slot unset again */
	bb.slot = (struct bench_slot *)va;
	return 0;
}

/* Frames for @pages segments in each of the first @qd slots (kept for later runs). */
static int bench_blk_alloc(unsigned int qd, unsigned int pages)
{
	int err = bench_blk_slots();

	if (err)
		return err;
	for (unsigned int s = 0; s < qd; s++) {
		struct bench_slot *sl = &bb.slot[s];

		for (; sl->nframes < pages; sl->nframes++) {
			unsigned int j = sl->nframes;
			uint8_t *p;

			if (page_alloc(&sl->frames[j]))
				return -ENOMEM;
			p = phys_to_virt(sl->frames[j]);
			for (unsigned int k = 0; k < PAGE_SIZE; k++)	/* bench-blk.c's pattern */
				p[k] = (uint8_t)((j * PAGE_SIZE + k) * 131 >> 3);
		}
	}
	return 0;
}

static void bench_blk(char **w, unsigned int n)
{
	unsigned long qd, bytes, req, span = 0;
	uint64_t t0, us, done_bytes, polled = 0;
	struct blkdev *dev;
	const char *op;
	int err;

	if (n < 5 || parse_ulong(w[2], &qd) || parse_ulong(w[3], &bytes) ||
	    parse_ulong(w[4], &req) || (n > 5 && parse_ulong(w[5], &span)) || !qd ||
	    qd > BENCH_QD_MAX || !req || req % PAGE_SIZE || req > BENCH_REQ_MAX || bytes % req) {
		printk("pvkit: bench blk: usage: bench blk <disk> seq-read|seq-write|rand-read|"
		       "rand-write <qd 1-%u> <bytes> <req: 4 KiB multiple, max 1 MiB> [span]\n",
		       BENCH_QD_MAX);
		return;
	}
	op = w[1];
	dev = blkdev_find(w[0]);
	if (!dev || bb.stale) {
		printk("pvkit: bench blk dev=%s op=%s error=%s\n", w[0], op,
		       dev ? "EBUSY" : "ENODEV");
		return;
	}
	memset(&bb.dev, 0, sizeof(bb) - offsetof(typeof(bb), dev));	/* keeps the slots */
	bb.dev = dev;
	bb.random = !strncmp(op, "rand-", 5);
	if (!strcmp(op, "seq-read") || !strcmp(op, "rand-read")) {
		bb.op = BLK_READ;
	} else if (!strcmp(op, "seq-write") || !strcmp(op, "rand-write")) {
		bb.op = BLK_WRITE;
	} else {
		printk("pvkit: bench blk dev=%s op=%s error=EINVAL\n", w[0], op);
		return;
	}
	bb.qd = (unsigned int)qd;
	bb.req = req;
	bb.span = (span && span < dev->sectors * 512 ? span : dev->sectors * 512);
	bb.span -= bb.span % req;
	bb.ops = bytes / req;
	bb.rng = 0x9e3779b97f4a7c15ull;
	err = req / PAGE_SIZE > dev->max_segs ? -E2BIG : bb.span < req ? -ERANGE :
	      bench_blk_alloc(bb.qd, (unsigned int)(req / PAGE_SIZE));
	t0 = pv_clock_ns();
	/* A window without any completion: poll the driver (as the idle loop would) and count
	 * it when that found completions no event had announced ("polled="). */
	while (!err && os_wait_until(bench_blk_progress, NULL, BENCH_POLL_NS)) {
		uint64_t before = bb.done;
		unsigned long fl;

		if (dev->ops->poll) {
			fl = pv_irq_save();
			dev->ops->poll(dev);
			pv_irq_restore(fl);
		}
		polled += bb.done != before;
		if (pv_clock_ns() - t0 > BENCH_IO_TIMEOUT_NS) {
			for (unsigned int s = 0; s < bb.qd; s++)
				bb.stale |= bb.slot[s].busy;
			err = -ETIMEDOUT;
		}
	}
	if (!err)
		err = bb.err;
	/* Writes end durable, as bench-blk.c's fdatasync (a cache flush through blkfront). */
	if (!err && bb.op == BLK_WRITE && dev->features.flush)
		err = blkdev_flush(dev);
	us = MAX((pv_clock_ns() - t0) / 1000, 1ul);
	done_bytes = bb.done * req;
	printk("pvkit: bench blk dev=%s op=%s qd=%lu req=%lu bytes=%lu ops=%lu time_us=%lu "
	       "MBps=%lu iops=%lu polled=%lu error=%s\n", dev->name, op, qd, req, done_bytes,
	       bb.done, us, done_bytes / us, bb.done * 1000000 / us, polled,
	       err ? strerror_name(err) : "none");
}

/* ---- bench udp-recv: the receiving half of tests/dom0-tools/bench-udp.c ------------------ */

static struct {
	uint64_t bytes, datagrams;		/* received */
	uint64_t first_len;			/* the first datagram's bytes (not timed) */
	uint64_t t_first, t_last;		/* pv_clock_ns of the first and last */
	uint64_t want;				/* stop at this many bytes */
} ur;

static void bench_udp_rx(struct udp_sock *s, const struct udp_meta *m, const uint8_t *data,
			 size_t len, void *ctx)
{
	uint64_t now = pv_clock_ns();

	if (!ur.datagrams) {
		ur.t_first = now;
		ur.first_len = len;
	}
	ur.t_last = now;
	ur.bytes += len;
	ur.datagrams++;
}

static bool bench_udp_enough(void *ctx)
{
	return ur.bytes >= ur.want;
}

static void bench_udp_recv(char **w, unsigned int n)
{
	unsigned long port, bytes, idle_ms = 2000;
	struct udp_sock *s;
	uint64_t seen, us, t0;
	int err;

	if (n < 2 || parse_ulong(w[0], &port) || !port || port > 65535 ||
	    parse_ulong(w[1], &bytes) || (n > 2 && parse_ulong(w[2], &idle_ms))) {
		printk("pvkit: bench udp-recv: usage: bench udp-recv <port> <bytes> [idle_ms]\n");
		return;
	}
	memset(&ur, 0, sizeof(ur));
	ur.want = bytes;
	err = udp_bind((uint16_t)port, bench_udp_rx, NULL, &s);
	if (err) {
		printk("pvkit: bench udp-recv port=%lu error=%s\n", port, strerror_name(err));
		return;
	}
	printk("pvkit: bench udp-recv listening port=%lu\n", port);
	/* Until the bytes arrived, or idle_ms passed without a datagram (30 s for the first). */
	t0 = pv_clock_ns();
	do {
		seen = ur.datagrams;
		err = net_wait(bench_udp_enough, NULL, (seen ? idle_ms : 100) * 1000000);
	} while (err == -ETIMEDOUT && (seen ? ur.datagrams != seen :
				       pv_clock_ns() - t0 < BENCH_UDP_FIRST_NS));
	udp_close(s);
	us = (ur.t_last - ur.t_first) / 1000;
	printk("pvkit: bench udp-recv port=%lu bytes=%lu datagrams=%lu time_us=%lu kbit_s=%lu "
	       "lost_pct=%lu error=%s\n", port, ur.bytes, ur.datagrams, us,
	       us ? (ur.bytes - ur.first_len) * 8000 / us : 0,
	       bytes > ur.bytes ? (bytes - ur.bytes) * 100 / bytes : 0,
	       ur.datagrams ? "none" : "ETIMEDOUT");
}

/* ---- bench smp: the cost of a cross-CPU call and of a TLB shootdown (issue 15) ----------- */

#define BENCH_SMP_SAMPLES	200			/* default n */
#define BENCH_SMP_SAMPLES_MAX	(PAGE_SIZE / sizeof(uint64_t))	/* one page of samples */
#define BENCH_SMP_L1_SPAN	(2ul << 20)	/* what one L1 table maps (kernel/mm) */

enum bench_smp_what {
	BENCH_SMP_CLOCK,	/* nothing: the cost of the clock reads around every sample */
	BENCH_SMP_CALL,		/* smp_call_on() round trip, the target's TLB up to date */
	BENCH_SMP_CALL_FLUSH,	/* the same right after a mapping change: the target flushes */
	BENCH_SMP_MAP_UNMAP,	/* vm_map + vm_unmap of one page (the shootdown when > 1 online) */
};

/* What the samples work on: the page mapped and unmapped, a neighbour that stays mapped. */
struct bench_smp_ctx {
	unsigned int target;		/* the CPU called */
	uintptr_t va;			/* the page mapped and unmapped */
	uint64_t pa;			/* its frame */
};

static void bench_smp_nop(void *arg)
{
}

static int bench_smp_map_unmap(const struct bench_smp_ctx *c)
{
	int err = vm_map(c->va, c->pa, PAGE_SIZE, VM_WRITE);

	return err ? err : vm_unmap(c->va, PAGE_SIZE);
}

/* One sample of @what in ns, two pv_clock_ns() reads around it. Return: 0 or -errno. */
static int bench_smp_sample(enum bench_smp_what what, const struct bench_smp_ctx *c,
			    uint64_t *ns)
{
	uint64_t t0;
	int err = 0;

	/* Not timed: a real unmap. Where the shootdown is lazy (docs/smp.md) the target's
	 * next call starts with its local flush, so the flush is paid in this call; where the
	 * unmap flushes every vCPU at once (Xen's *_MULTI flushes) it was paid in the unmap. */
	if (what == BENCH_SMP_CALL_FLUSH && (err = bench_smp_map_unmap(c)))
		return err;
	t0 = pv_clock_ns();
	if (what == BENCH_SMP_CALL || what == BENCH_SMP_CALL_FLUSH)
		err = smp_call_on(c->target, bench_smp_nop, NULL);
	else if (what == BENCH_SMP_MAP_UNMAP)
		err = bench_smp_map_unmap(c);
	*ns = pv_clock_ns() - t0;
	return err;
}

/* The median of @n samples of @what, into @median; @buf holds @n values. */
static int bench_smp_median(enum bench_smp_what what, const struct bench_smp_ctx *c,
			    uint64_t *buf, unsigned int n, uint64_t *median)
{
	for (unsigned int i = 0; i < n; i++) {
		int err = bench_smp_sample(what, c, &buf[i]);

		if (err)
			return err;
	}
	*median = clock_median(buf, n);
	return 0;
}

/*
 * smp_flush_tlb_others() alone, as the MMU ops call it after each change: n calls in a row,
 * interrupts off (an interrupt would be timed too), the mean. It only bumps the generation
 * and looks for a CPU inside a call, so one sample would be mostly the clock.
 */
static uint64_t bench_smp_flush_others(unsigned int n)
{
	unsigned long fl = pv_irq_save();
	uint64_t t0 = pv_clock_ns(), ns;

	for (unsigned int i = 0; i < n; i++)
		smp_flush_tlb_others(0);
	ns = (pv_clock_ns() - t0) / n;
	pv_irq_restore(fl);
	return ns;
}

/* Two pages in one L1 table's span: vm_unmap frees an L1 table it leaves empty, and each
 * sample would then time a page-table allocation (and, under Xen PV, a pin) as well. Of
 * three consecutive pages, the first two or the last two share a span. Return: the
 * reservation (3 pages) and in *va the pair's first page, or NULL. */
static void *bench_smp_reserve(uintptr_t *va)
{
	uint8_t *r = vmap_reserve(3 * PAGE_SIZE);

	if (r)
		*va = ((uintptr_t)r + PAGE_SIZE) % BENCH_SMP_L1_SPAN ? (uintptr_t)r :
		      (uintptr_t)r + PAGE_SIZE;
	return r;
}

/* "-" for a figure not measured (no other CPU online, or an error before it). */
static const char *bench_smp_fmt(char *buf, size_t len, bool have, uint64_t v)
{
	if (!have)
		return "-";
	snprintf(buf, len, "%lu", v);
	return buf;
}

/*
 * bench smp [n]: pvkit: bench smp cpus=C online=O target=T n=N clock_ns= call_ns=
 * call_flush_ns= flush_others_ns= map_unmap_ns= error=E. The call figures need another CPU
 * online ("-" without one); map_unmap_ns is measured either way: with one CPU online it has
 * no shootdown, so the same command in a 1-vCPU and a 2-vCPU guest gives the shootdown's
 * share (scripts/bench/bench.py). Per-sample figures include one clock read (clock_ns).
 */
static void bench_smp(char **w, unsigned int n)
{
	uint64_t anchor_pa, buf_pa, clock = 0, call = 0, call_flush = 0, others = 0, map = 0;
	bool have_target = false, have_map = false, have_call = false, have_flush = false;
	struct bench_smp_ctx c = { 0 };
	unsigned long samples = BENCH_SMP_SAMPLES;
	char b[6][24];
	uint64_t *buf;
	void *resv;
	int err;

	if (n > 1 || (n == 1 && parse_ulong(w[0], &samples)) || !samples ||
	    samples > BENCH_SMP_SAMPLES_MAX) {
		printk("pvkit: bench smp: usage: bench smp [samples 1-%lu]\n",
		       (unsigned long)BENCH_SMP_SAMPLES_MAX);
		return;
	}
	/* The shootdown is CPU 0's (only it changes mappings); the console runs there. */
	if (smp_processor_id() != 0) {
		printk("pvkit: bench smp error=EINVAL (not on CPU 0)\n");
		return;
	}
	for (unsigned int cpu = 1; cpu < smp_cpus() && !have_target; cpu++) {
		if (smp_percpu[cpu].online) {
			c.target = cpu;
			have_target = true;
		}
	}
	/* The samples in a page of their own: a console command's buffer should not count as
	 * the kernel's bss (bench mem). */
	err = page_alloc(&buf_pa);
	if (err)
		goto out;
	buf = phys_to_virt(buf_pa);
	resv = bench_smp_reserve(&c.va);
	if (!resv) {
		err = -ENOMEM;
		goto out_buf;
	}
	err = page_alloc(&anchor_pa);
	if (err)
		goto out_resv;
	err = page_alloc(&c.pa);
	if (err)
		goto out_anchor;
	/* The neighbour stays mapped: the L1 table lives through every sample. */
	err = vm_map(c.va, anchor_pa, PAGE_SIZE, VM_WRITE);
	if (err)
		goto out_page;
	c.va += PAGE_SIZE;

	err = bench_smp_median(BENCH_SMP_CLOCK, &c, buf, samples, &clock);
	if (!err)
		err = bench_smp_median(BENCH_SMP_MAP_UNMAP, &c, buf, samples, &map);
	have_map = !err;
	if (!err && have_target) {
		err = bench_smp_median(BENCH_SMP_CALL, &c, buf, samples, &call);
		have_call = !err;
	}
	if (!err && have_target) {
		err = bench_smp_median(BENCH_SMP_CALL_FLUSH, &c, buf, samples, &call_flush);
		have_flush = !err;
	}
	if (!err && have_target)
		others = bench_smp_flush_others(samples);

	vm_unmap(c.va - PAGE_SIZE, 2 * PAGE_SIZE);	/* both, whatever a failed sample left */
out_page:
	page_free(c.pa);
out_anchor:
	page_free(anchor_pa);
out_resv:
	vmap_free(resv, 3 * PAGE_SIZE);
out_buf:
	page_free(buf_pa);
out:
	printk("pvkit: bench smp cpus=%u online=%u target=%s n=%lu clock_ns=%s map_unmap_ns=%s "
	       "call_ns=%s call_flush_ns=%s flush_others_ns=%s error=%s\n", smp_cpus(),
	       smp_online(), bench_smp_fmt(b[0], sizeof(b[0]), have_target, c.target), samples,
	       bench_smp_fmt(b[1], sizeof(b[1]), have_map, clock),
	       bench_smp_fmt(b[2], sizeof(b[2]), have_map, map),
	       bench_smp_fmt(b[3], sizeof(b[3]), have_call, call),
	       bench_smp_fmt(b[4], sizeof(b[4]), have_flush, call_flush),
	       bench_smp_fmt(b[5], sizeof(b[5]), have_flush, others),
	       err ? strerror_name(err) : "none");
}

static void bench_cmd(const char *args)
{
	char buf[128], *w[BENCH_ARGS_MAX];
	unsigned int n = serve_words(args, buf, sizeof(buf), w, BENCH_ARGS_MAX);

	if (n == 1 && !strcmp(w[0], "pvops"))
		bench_pvops();
	else if (n == 1 && !strcmp(w[0], "lazy"))
		bench_lazy();
	else if (n == 1 && !strcmp(w[0], "mem"))
		bench_mem();
	else if (n >= 1 && !strcmp(w[0], "blk"))
		bench_blk(w + 1, n - 1);
	else if (n >= 1 && !strcmp(w[0], "udp-recv"))
		bench_udp_recv(w + 1, n - 1);
	else if (n >= 1 && !strcmp(w[0], "smp"))
		bench_smp(w + 1, n - 1);
	else
		printk("pvkit: bench: pvops | lazy | mem | blk <disk> <op> <qd> <bytes> <req> [span]"
		       " | udp-recv <port> <bytes> [idle_ms] | smp [samples]\n");
}

SERVE_COMMAND(bench, "bench pvops | lazy | mem | blk ... | udp-recv ... | smp: measurements",
	      bench_cmd);
