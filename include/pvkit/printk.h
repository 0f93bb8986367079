/* SPDX-License-Identifier: MIT */
/* Kernel messages: printk() formats once and hands the text to every registered console;
 * text written before a console exists is kept in a small log and replayed to it. */
#ifndef PVKIT_PRINTK_H
#define PVKIT_PRINTK_H

#include <stdarg.h>
#include <pvkit/compiler.h>
#include <pvkit/types.h>

struct console {
	const char *name;			/* "uart16550", "xencons", ... */
	void (*write)(struct console *c, const char *s, size_t n);	/* must not fail */
	struct console *next;			/* registry link, owned by printk */
};

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/** Print to every console. Lines longer than PRINTK_LINE_MAX are truncated. */
int printk(const char *fmt, ...) __printf(1, 2);
int vprintk(const char *fmt, va_list ap);
#define PRINTK_LINE_MAX	512

/** Add @c; it first receives everything printed so far that is still in the log. */
void console_register(struct console *c);
void console_unregister(struct console *c);

/**
 * What panic() does after printing: set once the platform knows how to stop (native: exit or
 * halt; Xen: SCHEDOP_shutdown crash). Until then panic() spins.
 */
extern void (*panic_halt)(void) __noreturn;

__noreturn void panic(const char *fmt, ...) __printf(1, 2);

/* A broken invariant of our own. Never for anything a peer, the loader or the user controls. */
#define BUG() panic("BUG at %s:%d", __FILE__, __LINE__)
#define BUG_ON(cond) do { if (unlikely(cond)) BUG(); } while (0)

#endif /* PVKIT_PRINTK_H */
