// SPDX-License-Identifier: MIT
/* The legacy 8259A PIC pair (Intel 8259A datasheet, ICW1-ICW4 and OCW1): remapped to
 * 0x20-0x2f and fully masked, because pvkit takes interrupts through the APICs only. */
#include <pvkit/pic.h>
#include <pvkit/x86.h>

#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define ICW1_INIT	0x11	/* initialise, edge-triggered, cascade, ICW4 follows */
#define ICW3_MASTER	0x04	/* slave on IR2 */
#define ICW3_SLAVE	0x02	/* slave's cascade identity */
#define ICW4_8086	0x01	/* 8086 mode, normal EOI */
#define IO_DELAY_PORT	0x80	/* POST code port: a write takes ~1 us */

/* Old 8259s need a moment between initialisation words. */
static void pic_outb(uint16_t port, uint8_t v)
{
	outb(port, v);
	outb(IO_DELAY_PORT, 0);
}

void pic_remap_and_mask(void)
{
	pic_outb(PIC1_DATA, 0xff);		/* nothing gets through while we reprogram */
	pic_outb(PIC2_DATA, 0xff);
	pic_outb(PIC1_CMD, ICW1_INIT);
	pic_outb(PIC2_CMD, ICW1_INIT);
	pic_outb(PIC1_DATA, PIC_VECTOR_MASTER);	/* ICW2: vector base */
	pic_outb(PIC2_DATA, PIC_VECTOR_SLAVE);
	pic_outb(PIC1_DATA, ICW3_MASTER);
	pic_outb(PIC2_DATA, ICW3_SLAVE);
	pic_outb(PIC1_DATA, ICW4_8086);
	pic_outb(PIC2_DATA, ICW4_8086);
	pic_outb(PIC1_DATA, 0xff);		/* OCW1: mask everything, for good */
	pic_outb(PIC2_DATA, 0xff);
}

uint16_t pic_mask_read(void)
{
	return (uint16_t)(inb(PIC2_DATA) << 8 | inb(PIC1_DATA));
}
