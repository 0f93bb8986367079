// SPDX-License-Identifier: MIT
/*
 * In-guest measurements for `make bench`, as console commands in serve mode:
 *   bench pvops   cycles per hot operation through pv_ops, and (natively) hard-wired
 *   bench lazy    hypercalls per 1000 PTE updates with and without lazy batching (Xen PV)
 *   bench mem     image size and memory in use
 * Each prints one machine-readable "pvkit: bench ..." line per figure (bench/bench.py reads
 * them). The loops are long enough that rdtsc's own cost is noise.
 */
#include <pvkit/bench.h>
#include <pvkit/compiler.h>
#include <pvkit/errno.h>
#include <pvkit/mm.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/serve.h>
#include <pvkit/x86.h>
#include <string.h>
#ifdef CONFIG_XEN_GUEST
#include <pvkit/xen/hypercall.h>
#endif

#define ITERS		20000
#define LAZY_PTES	1000

static const struct boot_info *bench_bi;

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

static void bench_line(const char *op, uint64_t pv, long direct)
{
	if (direct >= 0)
		printk("pvkit: bench pvops op=%s pv_cycles=%lu direct_cycles=%ld\n", op, pv, direct);
	else
		printk("pvkit: bench pvops op=%s pv_cycles=%lu direct_cycles=-\n", op, pv);
}

static void bench_pvops(void)
{
	bool native = bench_bi->env == BOOT_NATIVE;
	uint64_t pv, direct;
	unsigned long fl = pv_irq_save();
	uintptr_t va;
	uint64_t pa;
	pte_t *ptep, val;

	/* Interrupts stay off: an interrupt in a loop would be timed too. */
	TIME_LOOP(pv, { unsigned long f = pv_irq_save(); pv_irq_restore(f); });
	TIME_LOOP(direct, { unsigned long f = native_save_fl(); native_irq_disable();
			    __asm__ __volatile__("pushq %0; popfq" : : "g"(f) : "memory", "cc"); });
	bench_line("irq_save_restore", pv, native ? (long)direct : -1);

	TIME_LOOP(pv, { pv_irq_disable(); pv_irq_enable(); pv_irq_disable(); });
	if (native)
		TIME_LOOP(direct, { native_irq_disable(); native_irq_enable(); native_irq_disable(); });
	bench_line("irq_disable_enable", pv, native ? (long)direct : -1);

	ptep = scratch_pte(&va, &pa);
	if (ptep) {
		val = READ_ONCE(*ptep);
		TIME_LOOP(pv, { pv_set_pte(ptep, val); });
		if (native)
			TIME_LOOP(direct, { WRITE_ONCE(*ptep, val); });
		bench_line("set_pte", pv, native ? (long)direct : -1);
		TIME_LOOP(pv, { pv_flush_tlb_one(va); });
		if (native)
			TIME_LOOP(direct, { native_invlpg(va); });
		bench_line("flush_tlb_one", pv, native ? (long)direct : -1);
	}
	TIME_LOOP(pv, { (void)pv_clock_ns(); });
	TIME_LOOP(direct, { (void)rdtsc(); });
	bench_line("clock_read", pv, native ? (long)direct : -1);
	pv_irq_restore(fl);
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

static void bench_cmd(const char *args)
{
	if (!strcmp(args, "pvops"))
		bench_pvops();
	else if (!strcmp(args, "lazy"))
		bench_lazy();
	else if (!strcmp(args, "mem"))
		bench_mem();
	else
		printk("pvkit: bench: pvops | lazy | mem\n");
}

static struct serve_command bench_command = {
	.name = "bench", .help = "bench pvops | lazy | mem: in-guest measurements",
	.fn = bench_cmd,
};

void bench_init(const struct boot_info *bi)
{
	bench_bi = bi;
	serve_register_command(&bench_command);
}
