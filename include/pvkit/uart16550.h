/* SPDX-License-Identifier: MIT */
/* The native serial console (COM1). */
#ifndef PVKIT_UART16550_H
#define PVKIT_UART16550_H

/** Program COM1 for 115200 8N1 and register it as a console. Return: 0 or -ENODEV. */
int uart16550_init(void);

/** Receive interrupts (ISA IRQ 4 via the IOAPIC) into console_in. Return: 0 or -errno. */
int uart16550_input_init(void);

/** A received byte, or -EAGAIN when none is waiting. */
int uart16550_getc(void);

#endif /* PVKIT_UART16550_H */
