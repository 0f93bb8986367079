// SPDX-License-Identifier: MIT
/* printk, the console registry and panic. The log keeps the first PRINTK_LOG_SIZE bytes and the
 * latest: enough to replay the boot to a console that registers late (the Xen console ring). */
#include <pvkit/printk.h>
#include <pvkit/spinlock.h>
#include <string.h>

#define PRINTK_LOG_SIZE	16384

static char printk_log[PRINTK_LOG_SIZE];	/* circular: the last PRINTK_LOG_SIZE bytes */
static size_t printk_log_len;			/* bytes ever written */
static struct console *consoles;		/* registered consoles, newest first */

void (*panic_halt)(void) __noreturn;

/*
 * One line at a time, from any CPU: the log and the consoles under one lock. Taken without
 * masking interrupts (printk runs before pv_ops exist) and only for a bounded spin: an
 * interrupt handler printing on the CPU that holds it, or a CPU that died holding it, must
 * not hang the others; their line then goes out unlocked (perhaps interleaved), never lost.
 */
static spinlock_t printk_lock = SPINLOCK_INIT;
#define PRINTK_LOCK_SPINS	(1u << 22)

static bool printk_lock_take(void)
{
	for (unsigned int i = 0; i < PRINTK_LOCK_SPINS; i++) {
		if (spin_trylock(&printk_lock))
			return true;
		cpu_relax();
	}
	return false;
}

static void log_append(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		printk_log[(printk_log_len + i) % PRINTK_LOG_SIZE] = s[i];
	printk_log_len += n;
}

int vprintk(const char *fmt, va_list ap)
{
	char line[PRINTK_LINE_MAX];
	bool locked;
	int n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	locked = printk_lock_take();
	log_append(line, n);
	for (struct console *c = consoles; c; c = c->next)
		c->write(c, line, n);
	if (locked)
		spin_unlock(&printk_lock);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void console_register(struct console *c)
{
	size_t start = printk_log_len > PRINTK_LOG_SIZE ? printk_log_len - PRINTK_LOG_SIZE : 0;

	for (struct console *p = consoles; p; p = p->next)
		if (p == c)
			return;
	/* Replay what it missed, in at most two pieces of the circular log. */
	for (size_t pos = start; pos < printk_log_len;) {
		size_t off = pos % PRINTK_LOG_SIZE;
		size_t n = MIN(printk_log_len - pos, PRINTK_LOG_SIZE - off);

		c->write(c, printk_log + off, n);
		pos += n;
	}
	c->next = consoles;
	consoles = c;
}

void console_unregister(struct console *c)
{
	for (struct console **pp = &consoles; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			c->next = NULL;
			return;
		}
	}
}

void panic(const char *fmt, ...)
{
	va_list ap;

	printk("\npvkit: panic: ");
	va_start(ap, fmt);
	vprintk(fmt, ap);
	va_end(ap);
	printk("\n");
	if (panic_halt)
		panic_halt();
	for (;;)
		__asm__ __volatile__("pause");
}
