/* SPDX-License-Identifier: MIT */
/**
 * @file
 * Kernel messages: printk() formats once and hands the text to every registered console;
 * text written before a console exists is kept in a small log and replayed to it.
 */
#ifndef PVKIT_PRINTK_H
#define PVKIT_PRINTK_H

#include <stdarg.h>
#include <pvkit/compiler.h>
#include <pvkit/types.h>

/** An output sink for kernel messages (a serial port, the Xen console ring, a test buffer). */
struct console {
	const char *name;			/**< "uart16550", "xencons", ... */
	/** Write @p n bytes of @p s; must not fail (drop what cannot be written). */
	void (*write)(struct console *c, const char *s, size_t n);
	struct console *next;			/**< registry link, owned by printk */
};

/**
 * vsnprintf() - a small, freestanding vsnprintf: %c %s %d %i %u %x %X %o %p %%, the length
 * modifiers hh h l ll z t j, flags - 0 + space #, field width and precision (both may be *).
 * No floating point.
 * @param buf  the destination.
 * @param size its size; the output is always NUL-terminated when @p size > 0.
 * @param fmt  the format.
 * @param ap   the arguments.
 * @return the length the full output would have had, as C99 says.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/**
 * snprintf() - vsnprintf() with variable arguments.
 * @param buf  the destination.
 * @param size its size.
 * @param fmt  the format.
 * @return the length the full output would have had.
 */
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/**
 * printk() - print to every console, and to the log a late console is replayed from. The
 * text is formatted once, into a line of at most PRINTK_LINE_MAX bytes.
 * @param fmt the format, as vsnprintf().
 * @return the number of bytes written, or a negative value on a format error.
 */
int printk(const char *fmt, ...) __printf(1, 2);

/**
 * vprintk() - printk() with a va_list.
 * @param fmt the format.
 * @param ap  the arguments.
 * @return the number of bytes written, or a negative value on a format error.
 */
int vprintk(const char *fmt, va_list ap);

/** Longest text one printk() call prints, NUL included; longer text is truncated. */
#define PRINTK_LINE_MAX	512

/**
 * console_register() - add @p c; it first receives what is still in the log (the boot so far,
 * for a console that comes up late, such as the Xen console ring). Registering it twice is a
 * no-op.
 * @param c the console; its storage lives as long as it is registered.
 */
void console_register(struct console *c);

/**
 * console_unregister() - remove @p c (before a suspend, or when its device goes away).
 * @param c a registered console; an unregistered one is ignored.
 */
void console_unregister(struct console *c);

/**
 * What panic() does after printing: set once the platform knows how to stop (native: exit or
 * halt; Xen: SCHEDOP_shutdown crash). Until then panic() spins.
 */
extern void (*panic_halt)(void) __noreturn;

/**
 * panic() - print "pvkit: panic: " and the message, then stop through panic_halt.
 * @param fmt the format, as printk().
 */
__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/** A broken invariant of our own. Never for anything a peer, the loader or the user controls. */
#define BUG() panic("BUG at %s:%d", __FILE__, __LINE__)
/** BUG() when @p cond holds. */
#define BUG_ON(cond) do { if (unlikely(cond)) BUG(); } while (0)

#endif /* PVKIT_PRINTK_H */
