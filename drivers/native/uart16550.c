// SPDX-License-Identifier: MIT
/*
 * 16550 UART on COM1 (I/O port 0x3f8): the native console, 115200 8N1. QEMU's -serial stdio
 * is this port. Output is polled and waits for the transmitter with a bound, so a missing or
 * stuck UART slows printing down but never hangs the kernel. Input arrives on ISA IRQ 4
 * through the IOAPIC into console_in (uart16550_input_init).
 */
#include <pvkit/console_in.h>
#include <pvkit/errno.h>
#include <pvkit/ioapic.h>
#include <pvkit/irq.h>
#include <pvkit/lapic.h>
#include <pvkit/os.h>
#include <pvkit/printk.h>
#include <pvkit/pv.h>
#include <pvkit/uart16550.h>
#include <pvkit/x86.h>

#define COM1		0x3f8
#define UART_THR	0	/* transmit holding (write) / receive buffer (read) */
#define UART_IER	1	/* interrupt enable */
#define UART_FCR	2	/* FIFO control (write) */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_SCR	7	/* scratch */
#define LCR_DLAB	0x80	/* divisor latch access */
#define LCR_8N1		0x03
#define LSR_DR		0x01	/* data ready */
#define LSR_THRE	0x20	/* transmit holding register empty */
#define TX_SPIN_MAX	100000	/* polls before giving up on one character */
#define RX_SPIN_MAX	64	/* bytes per interrupt: a stuck LSR cannot hold us */

static void uart_putc(char c)
{
	for (unsigned int i = 0; i < TX_SPIN_MAX; i++) {
		if (inb(COM1 + UART_LSR) & LSR_THRE)
			break;
		cpu_relax();
	}
	outb(COM1 + UART_THR, c);
}

static void uart_write(struct console *con, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n')
			uart_putc('\r');
		uart_putc(s[i]);
	}
}

static struct console uart_console = {
	.name = "uart16550",
	.write = uart_write,
};

int uart16550_init(void)
{
	outb(COM1 + UART_IER, 0);		/* polled: no interrupts */
	outb(COM1 + UART_LCR, LCR_DLAB);
	outb(COM1 + UART_THR, 1);		/* divisor 1 = 115200 baud */
	outb(COM1 + UART_IER, 0);
	outb(COM1 + UART_LCR, LCR_8N1);
	/*
	 * No FIFOs: switching them on empties the receiver, and a byte the host sends while we
	 * do it (QEMU feeds the next one as soon as RBR is read) would be lost. One byte per
	 * interrupt is plenty for a console; writing FCR = 0 over FCR = 0 clears nothing.
	 */
	outb(COM1 + UART_FCR, 0);
	outb(COM1 + UART_MCR, 0x03);		/* DTR, RTS */
	outb(COM1 + UART_SCR, 0x5a);		/* is anything there? */
	if (inb(COM1 + UART_SCR) != 0x5a)
		return -ENODEV;
	console_register(&uart_console);
	return 0;
}

int uart16550_getc(void)
{
	if (!(inb(COM1 + UART_LSR) & LSR_DR))
		return -EAGAIN;
	return inb(COM1 + UART_THR);
}

#define IER_RDA		0x01		/* interrupt on received data */
#define MCR_OUT2	0x08		/* gates the UART's IRQ line on PCs */

static bool uart_rx_stopped;		/* console_in was full: RX interrupt off */

/* Drain the receiver into console_in while there is room; interrupt context or irqs off. */
static void uart_rx(void)
{
	for (unsigned int i = 0; i < RX_SPIN_MAX && (inb(COM1 + UART_LSR) & LSR_DR); i++) {
		char c;

		if (!console_in_room()) {	/* flow control: leave it in the FIFO */
			outb(COM1 + UART_IER, 0);
			uart_rx_stopped = true;
			return;
		}
		c = inb(COM1 + UART_THR);
		console_in_push(&c, 1);
	}
}

static void uart_irq(void *ctx)
{
	uart_rx();
	lapic_eoi();
}

/* Idle loop: once console_in has room again, take the waiting bytes and re-enable RX. */
static unsigned int uart_poll(void)
{
	unsigned long fl;

	if (!uart_rx_stopped || !console_in_room())
		return 0;
	fl = pv_irq_save();
	uart_rx_stopped = false;
	uart_rx();
	if (!uart_rx_stopped)
		outb(COM1 + UART_IER, IER_RDA);
	pv_irq_restore(fl);
	return 1;
}

static struct os_poller uart_poller = { .name = "uart16550", .poll = uart_poll };

int uart16550_input_init(void)
{
	unsigned long fl;
	unsigned int gsi, vector;
	int err;

	/* COM1's receive interrupt (ISA IRQ 4) takes any free device vector, from the top of
	 * the range down: a fixed one collided with the MSI-X vectors PCI hands out from the
	 * bottom (virtio-blk + virtio-net took 0x30-0x35, and console input was lost). */
	err = ioapic_isa_gsi(4, &gsi);
	for (vector = IRQ_VECTOR_DEVICE_LAST; !err && vector >= IRQ_VECTOR_DEVICE_FIRST; vector--)
		if (!irq_set_handler(vector, uart_irq, NULL))
			break;
	if (!err && vector < IRQ_VECTOR_DEVICE_FIRST)
		err = -EBUSY;			/* every device vector taken */
	if (!err)
		err = ioapic_route(gsi, vector, IOAPIC_FLAGS_DEFAULT);
	if (err)
		return err;
	os_poller_register(&uart_poller);
	/* Interrupts off around the drain: an RX interrupt between our LSR check and our RBR
	 * read would take the byte, and our read would then get QEMU's stale RBR again (a
	 * duplicated character: "eccho", 1 boot in 5 with input queued at boot). */
	fl = pv_irq_save();
	outb(COM1 + UART_MCR, 0x03 | MCR_OUT2);
	outb(COM1 + UART_IER, IER_RDA);
	uart_rx();			/* anything typed before */
	pv_irq_restore(fl);
	return 0;
}
