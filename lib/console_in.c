// SPDX-License-Identifier: MIT
/* Console input buffer and line assembly (include/pvkit/console_in.h). The buffer is a
 * single-producer (interrupt) / single-consumer (idle loop) ring: indexes only grow, each
 * written by one side. */
#include <pvkit/compiler.h>
#include <pvkit/console_in.h>
#include <string.h>

static char in_buf[CONSOLE_IN_BUF];
static volatile size_t in_head;		/* next byte the producer writes (producer's) */
static volatile size_t in_tail;		/* next byte the consumer reads (consumer's) */
static char line[CONSOLE_LINE_MAX + 1];
static size_t line_len;
static bool line_cut;			/* the current line overflowed */
static console_line_fn line_handler;
static struct console_in_stats stats;

size_t console_in_room(void)
{
	return CONSOLE_IN_BUF - (in_head - in_tail);
}

size_t console_in_push(const char *s, size_t n)
{
	size_t room = console_in_room(), take = MIN(n, room);

	for (size_t i = 0; i < take; i++)
		in_buf[(in_head + i) % CONSOLE_IN_BUF] = s[i];
	barrier();
	in_head += take;
	stats.bytes += take;
	stats.refused += n - take;
	return take;
}

void console_in_set_handler(console_line_fn fn)
{
	line_handler = fn;
}

static void line_done(void)
{
	line[line_len] = '\0';
	if (line_cut)
		stats.cut++;
	stats.lines++;
	if (line_handler)
		line_handler(line);
	line_len = 0;
	line_cut = false;
}

unsigned int console_in_poll(void)
{
	unsigned int lines = 0;

	while (in_tail != in_head) {
		char c = in_buf[in_tail % CONSOLE_IN_BUF];

		barrier();
		in_tail++;
		if (c == '\r' || c == '\n') {
			/* "\r\n" is one line end, a lone "\r" (a terminal's Enter) another */
			if (c == '\n' && line_len == 0 && !line_cut)
				continue;
			line_done();
			lines++;
			continue;
		}
		if (c == '\b' || c == 0x7f) {		/* backspace, delete */
			if (line_len)
				line_len--;
			continue;
		}
		if ((unsigned char)c < 0x20)
			continue;			/* other control bytes are dropped */
		if (line_len < CONSOLE_LINE_MAX)
			line[line_len++] = c;
		else
			line_cut = true;
	}
	return lines;
}

void console_in_get_stats(struct console_in_stats *st)
{
	*st = stats;
}
