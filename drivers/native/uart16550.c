// SPDX-License-Identifier: MIT
/*
 * 16550 UART on COM1 (I/O port 0x3f8): the native console, 115200 8N1, polled. QEMU's
 * -serial stdio is this port. Output waits for the transmitter with a bound, so a missing or
 * stuck UART slows printing down but never hangs the kernel.
 */
#include <pvkit/errno.h>
#include <pvkit/printk.h>
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
	outb(COM1 + UART_FCR, 0xc7);		/* FIFOs on, cleared, 14-byte threshold */
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
