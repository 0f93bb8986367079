/* SPDX-License-Identifier: MIT */
/*
 * Console input: drivers (the 16550 natively, the Xen console ring) push received bytes from
 * interrupt context into one bounded buffer; console_in_poll(), from the kernel's idle loop,
 * assembles lines and hands each to the registered line handler. When the buffer is full the
 * drivers stop taking bytes (the Xen ring then fills and its backend waits: flow control), and
 * an over-long line is cut, counted and still delivered.
 */
#ifndef PVKIT_CONSOLE_IN_H
#define PVKIT_CONSOLE_IN_H

#include <pvkit/types.h>

#define CONSOLE_IN_BUF		1024	/* bytes received but not yet assembled */
#define CONSOLE_LINE_MAX	256	/* longest line handed over (longer ones are cut) */

typedef void (*console_line_fn)(const char *line);

/** Interrupt context: take up to @n bytes; returns how many fit (the rest must wait). */
size_t console_in_push(const char *s, size_t n);

/** Room left in the buffer (a driver may stop draining its device at 0). */
size_t console_in_room(void);

/** Assemble and hand out complete lines. Returns how many lines were handled. */
unsigned int console_in_poll(void);

/** Who gets the lines (the kernel's command interpreter). */
void console_in_set_handler(console_line_fn fn);

struct console_in_stats {
	uint64_t bytes;			/* accepted into the buffer */
	uint64_t lines;			/* handed to the handler */
	uint64_t cut;			/* lines longer than CONSOLE_LINE_MAX, cut */
	uint64_t refused;		/* bytes a driver offered while the buffer was full */
};
void console_in_get_stats(struct console_in_stats *st);

#endif /* PVKIT_CONSOLE_IN_H */
