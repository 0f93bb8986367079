/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Console input: drivers (the 16550 natively, the Xen console ring) push received bytes from
 * interrupt context into one bounded buffer; console_in_poll(), from the kernel's idle loop,
 * assembles lines and hands each to the registered line handler. When the buffer is full the
 * drivers stop taking bytes (the Xen ring then fills and its backend waits: flow control), and
 * an over-long line is cut, counted and still delivered.
 */
#ifndef PVKIT_CONSOLE_IN_H
#define PVKIT_CONSOLE_IN_H

#include <pvkit/types.h>

#define CONSOLE_IN_BUF		1024	/**< bytes received but not yet assembled */
#define CONSOLE_LINE_MAX	256	/**< longest line handed over (longer ones are cut) */

/** A line handler, run from the idle loop: @p line is NUL-terminated, without its line end. */
typedef void (*console_line_fn)(const char *line);

/**
 * console_in_push() - take received bytes (interrupt context, or interrupts off). The buffer
 * is a one-producer, one-consumer ring, so the drivers need no lock against the poller.
 * @param s the bytes.
 * @param n how many.
 * @return how many fit; the rest must wait in the device (they are counted as refused).
 */
size_t console_in_push(const char *s, size_t n);

/**
 * console_in_room() - room left in the buffer.
 * @return bytes; a driver may stop draining its device at 0.
 */
size_t console_in_room(void);

/**
 * console_in_poll() - assemble and hand out complete lines (thread context: the kernel's
 * idle loop). CR, LF and CR LF end a line, backspace and delete edit it, other control
 * bytes are dropped.
 * @return how many lines were handled.
 */
unsigned int console_in_poll(void);

/**
 * console_in_set_handler() - say who gets the lines (the kernel's command interpreter).
 * @param fn the handler; NULL drops the lines (they are still counted).
 */
void console_in_set_handler(console_line_fn fn);

/** Console input counters, for the console's own diagnostics and the tests. */
struct console_in_stats {
	uint64_t bytes;			/**< accepted into the buffer */
	uint64_t lines;			/**< handed to the handler */
	uint64_t cut;			/**< lines longer than CONSOLE_LINE_MAX, cut */
	uint64_t refused;		/**< bytes a driver offered while the buffer was full */
};

/**
 * console_in_get_stats() - a copy of the counters.
 * @param st receives them.
 */
void console_in_get_stats(struct console_in_stats *st);

#endif /* PVKIT_CONSOLE_IN_H */
