// SPDX-License-Identifier: MIT
/* The fake native platform of fake_pci.h: configuration spaces, BAR memory, DMA pages from
 * the heap, vectors, one timer, a clock that moves, and a recording printk. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/acpi.h>
#include <pvkit/errno.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/os.h>
#include <pvkit/x86.h>
#include "fake_pci.h"

#define FAKE_REGIONS	32

static struct fake_fn *fns[256][256];		/* [bus][devfn] */
static struct {
	uint64_t base, size;			/* bus addresses it decodes */
	uint8_t *mem;				/* its contents */
} regions[FAKE_REGIONS];
static unsigned int nr_regions;
static struct {
	irq_handler_t fn;
	void *ctx;
} handlers[256];
static struct os_timer *armed;			/* the last os_timer_add()ed */

unsigned int fake_printks, fake_pages, fake_maps, fake_eois, fake_bad_ioremaps;
int fake_page_fail_after = -1;
char fake_last_printk[512];
void (*fake_printk_hook)(void);

/* ---- configuration space ----------------------------------------------------------------- */

static uint32_t fake_read(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size)
{
	struct fake_fn *f = fns[bus][devfn];
	uint32_t v = 0;

	if (!f)
		return 0xffffffffu >> (32 - 8 * size);
	memcpy(&v, f->cfg + off, size);
	return v;
}

static void fake_write(uint8_t bus, uint8_t devfn, uint16_t off, unsigned int size, uint32_t v)
{
	struct fake_fn *f = fns[bus][devfn];

	if (!f)
		return;
	f->writes++;
	if (size == 4 && off >= PCI_BAR0 && off < PCI_BAR0 + 24) {
		uint32_t old, m = f->bar_mask[(off - PCI_BAR0) / 4];

		memcpy(&old, f->cfg + off, 4);
		v = (v & m) | (old & ~m);	/* only the address bits above the size stick */
		if (f->cfg[PCI_COMMAND] & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY))
			f->bar_writes_decoding++;	/* all-ones would decode: a bug */
	}
	memcpy(f->cfg + off, &v, size);
}

const struct pci_cfg_ops fake_cfg_ops = {
	.name = "fake", .cfg_size = 4096, .read = fake_read, .write = fake_write,
};

struct fake_fn *fake_fn_add(uint8_t bus, uint8_t devfn, uint16_t vendor, uint16_t device)
{
	struct fake_fn *f = fns[bus][devfn];

	if (!f) {
		f = calloc(1, sizeof(*f));
		fns[bus][devfn] = f;
	}
	fake_put16(f->cfg + PCI_VENDOR_ID, vendor);
	fake_put16(f->cfg + PCI_DEVICE_ID, device);
	f->cap_free = PCI_CAP_FIRST;
	return f;
}

void *fake_bar_mem(struct fake_fn *f, unsigned int i, uint64_t base, uint64_t size, bool is64,
		   bool backed)
{
	uint64_t mask = ~(size - 1);

	fake_put32(f->cfg + PCI_BAR0 + 4 * i, (uint32_t)base | (is64 ? PCI_BAR_MEM_64 : 0));
	f->bar_mask[i] = (uint32_t)mask & ~0xfu;
	if (is64 && i + 1 < 6) {
		fake_put32(f->cfg + PCI_BAR0 + 4 * i + 4, base >> 32);
		f->bar_mask[i + 1] = mask >> 32;
	}
	if (!backed || nr_regions == FAKE_REGIONS)
		return NULL;
	regions[nr_regions].base = base;
	regions[nr_regions].size = size;
	regions[nr_regions].mem = calloc(1, size);
	return regions[nr_regions++].mem;
}

void fake_bar_io(struct fake_fn *f, unsigned int i, uint16_t port, uint32_t size)
{
	fake_put32(f->cfg + PCI_BAR0 + 4 * i, port | PCI_BAR_IO);
	f->bar_mask[i] = ~(size - 1) & 0xfffcu;	/* a 16-bit decoder */
}

uint8_t fake_cap_add(struct fake_fn *f, uint8_t id, const void *body, uint8_t len)
{
	uint8_t at = f->cap_free;

	memcpy(f->cfg + at, body, len);
	f->cfg[at] = id;
	f->cfg[at + 1] = 0;
	if (f->cap_last)
		f->cfg[f->cap_last + 1] = at;
	else
		f->cfg[PCI_CAP_PTR] = at;
	f->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	f->cap_last = at;
	f->cap_free = (at + len + 3) & ~3u;
	return at;
}

void fake_reset(void)
{
	for (unsigned int b = 0; b < 256; b++)
		for (unsigned int d = 0; d < 256; d++) {
			free(fns[b][d]);
			fns[b][d] = NULL;
		}
	for (unsigned int i = 0; i < nr_regions; i++)
		free(regions[i].mem);
	nr_regions = 0;
	memset(handlers, 0, sizeof(handlers));
	armed = NULL;
	fake_printks = fake_eois = fake_maps = fake_bad_ioremaps = 0;
	fake_page_fail_after = -1;
}

/* ---- memory ------------------------------------------------------------------------------ */

void *os_ioremap(uint64_t pa, size_t len)
{
	for (unsigned int i = 0; i < nr_regions; i++) {
		if (pa >= regions[i].base && len <= regions[i].size &&
		    pa - regions[i].base <= regions[i].size - len) {
			fake_maps++;
			return regions[i].mem + (pa - regions[i].base);
		}
	}
	fake_bad_ioremaps++;
	return NULL;
}

void os_iounmap(const void *va, size_t len)
{
	fake_maps--;
}

int os_page_alloc(uint64_t *pa)
{
	void *va;

	if (fake_page_fail_after == 0)
		return -ENOMEM;
	if (fake_page_fail_after > 0)
		fake_page_fail_after--;
	va = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
	memset(va, 0, PAGE_SIZE);
	*pa = fake_pa(va);
	fake_pages++;
	return 0;
}

void os_page_free(uint64_t pa)
{
	free(os_phys_to_virt(pa));
	fake_pages--;
}

int acpi_get_table(const char *sig, unsigned int instance, const void **tbl, uint32_t *len)
{
	return -ENOENT;
}

void acpi_put_table(const void *tbl, uint32_t len)
{
}

/* ---- interrupts, time, console ----------------------------------------------------------- */

int irq_set_handler(unsigned int vector, irq_handler_t fn, void *ctx)
{
	if (vector < IRQ_VECTOR_FIRST || vector > 255 || !fn)
		return -EINVAL;
	if (handlers[vector].fn)
		return -EBUSY;
	handlers[vector].fn = fn;
	handlers[vector].ctx = ctx;
	return 0;
}

void irq_clear_handler(unsigned int vector)
{
	if (vector < 256)
		handlers[vector].fn = NULL;
}

bool fake_irq_claimed(unsigned int vector)
{
	return vector < 256 && handlers[vector].fn;
}

bool fake_irq_fire(unsigned int vector)
{
	if (!fake_irq_claimed(vector))
		return false;
	handlers[vector].fn(handlers[vector].ctx);
	return true;
}

uint32_t lapic_id(void)
{
	return 0;
}

void lapic_eoi(void)
{
	fake_eois++;
}

void os_timer_add(struct os_timer *t, uint64_t deadline, os_timer_fn fn, void *ctx)
{
	t->deadline = deadline;
	t->fn = fn;
	t->ctx = ctx;
	t->pending = true;
	armed = t;
}

bool os_timer_cancel(struct os_timer *t)
{
	bool was = t->pending;

	t->pending = false;
	return was;
}

bool fake_timer_fire(void)
{
	if (!armed || !armed->pending)
		return false;
	armed->pending = false;
	armed->fn(armed);
	return true;
}

static unsigned long fake_save_fl(void) { return 0; }
static void fake_restore_fl(unsigned long fl) { }
static void fake_nop(void) { }
static const struct pv_irq_ops fake_irq_ops = {
	.name = "fake", .save_fl = fake_save_fl, .restore_fl = fake_restore_fl,
	.irq_disable = fake_nop, .irq_enable = fake_nop, .safe_halt = fake_nop,
};
const struct pv_irq_ops *pv_irq = &fake_irq_ops;

static uint64_t fake_now;
static uint64_t fake_clock_ns(void) { return fake_now += 1000000; }	/* 1 ms per look */
static const struct pv_time_ops fake_time_ops = { .name = "fake", .clock_ns = fake_clock_ns };
const struct pv_time_ops *pv_time = &fake_time_ops;

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(fake_last_printk, sizeof(fake_last_printk), fmt, ap);
	va_end(ap);
	fake_printks++;
	printf("#   printk: %s", fake_last_printk);
	if (fake_printk_hook)
		fake_printk_hook();
	return n;
}
