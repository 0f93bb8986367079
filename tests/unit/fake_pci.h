/* SPDX-License-Identifier: MIT */
/*
 * A fake native platform for the PCI and virtio unit tests: configuration spaces whose BARs
 * answer the all-ones size probe like hardware, device memory (BARs) that os_ioremap() maps,
 * DMA pages from the heap, interrupt vectors, a clock, and a printk that records.
 */
#ifndef TESTS_UNIT_FAKE_PCI_H
#define TESTS_UNIT_FAKE_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvkit/pci.h>

/* One function's configuration space. */
struct fake_fn {
	uint8_t cfg[4096];		/* what reads return */
	uint32_t bar_mask[6];		/* writable bits per BAR register: the size probe */
	unsigned int writes;		/* configuration writes seen */
	unsigned int bar_writes_decoding;	/* BAR writes with I/O or memory decoding on */
	uint8_t cap_last, cap_free;	/* fake_cap_add(): list tail, next free offset */
};

extern const struct pci_cfg_ops fake_cfg_ops;	/* reaches the functions below */

/** A fresh, zeroed function at @bus:@devfn (vendor/device set), or the existing one. */
struct fake_fn *fake_fn_add(uint8_t bus, uint8_t devfn, uint16_t vendor, uint16_t device);
/** Drop every function, device memory region and recorded state. */
void fake_reset(void);

/** A memory BAR @i of @size bytes at @base (64-bit takes i and i + 1), backed by the heap
 * when @backed: os_ioremap() of that range returns the heap memory. */
void *fake_bar_mem(struct fake_fn *f, unsigned int i, uint64_t base, uint64_t size, bool is64,
		   bool backed);
void fake_bar_io(struct fake_fn *f, unsigned int i, uint16_t port, uint32_t size);

/** Append a capability of @len bytes with @id to @f's list; returns its offset. */
uint8_t fake_cap_add(struct fake_fn *f, uint8_t id, const void *body, uint8_t len);

static inline void fake_put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static inline void fake_put32(uint8_t *p, uint32_t v)
{
	fake_put16(p, v);
	fake_put16(p + 2, v >> 16);
}

/* Recorded platform activity. */
extern unsigned int fake_printks;	/* printk calls */
extern char fake_last_printk[512];	/* the last one */
extern void (*fake_printk_hook)(void);	/* called after each printk: a device acting "meanwhile" */
extern unsigned int fake_pages;		/* page_alloc frames outstanding */
extern int fake_page_fail_after;	/* >= 0: page_alloc fails after that many more */
extern unsigned int fake_maps;		/* ioremap mappings outstanding */
extern unsigned int fake_bad_ioremaps;	/* ioremap of a range no BAR covers (a bug) */
extern unsigned int fake_eois;

/** Run the handler of @vector (as an interrupt would). false if none is set. */
bool fake_irq_fire(unsigned int vector);
bool fake_irq_claimed(unsigned int vector);
/** The timer the code under test armed last (NULL: none), and fire it. */
bool fake_timer_fire(void);

/** Heap memory <-> the "physical" addresses page_alloc hands out (phys_to_virt works). */
static inline uint64_t fake_pa(const void *va) { return (uintptr_t)va - 0xffffffff80000000ull; }

#endif /* TESTS_UNIT_FAKE_PCI_H */
