/* SPDX-License-Identifier: MIT */
/**
 * @file
 * The native serial console (COM1): polled output from the first line of the boot, input by
 * interrupt once the IOAPIC is up.
 */
#ifndef PVKIT_UART16550_H
#define PVKIT_UART16550_H

/**
 * uart16550_init() - program COM1 for 115200 8N1, FIFOs off (switching them on would drop a
 * byte the host sends meanwhile), and register it as a console.
 * @return 0, or -ENODEV when the scratch register does not keep a value (no UART there).
 */
int uart16550_init(void);

/**
 * uart16550_input_init() - take receive interrupts (ISA IRQ 4 via the IOAPIC) into
 * console_in. When console_in is full the receive interrupt goes off and the bytes wait in
 * the UART (flow control); a poller resumes when there is room.
 * @return 0 or -errno (no IOAPIC route, vector taken).
 */
int uart16550_input_init(void);

/**
 * uart16550_getc() - one received byte, polled (before interrupts, or without them).
 * @return the byte, or -EAGAIN when none is waiting.
 */
int uart16550_getc(void);

#endif /* PVKIT_UART16550_H */
