// SPDX-License-Identifier: MIT
/*
 * A small vsnprintf: %c %s %d %i %u %x %X %o %p %%, the length modifiers hh h l ll z t j,
 * flags - 0 + space #, field width and precision (both may be *). Always NUL-terminates when
 * size > 0 and returns the length the full output would have had, as C99 says.
 * Built hosted too (tests/unit/test_vsnprintf.c compares it with the C library's).
 */
#include <pvkit/compiler.h>
#include <pvkit/printk.h>
#include <pvkit/types.h>
#include <string.h>

struct outbuf {
	char *buf;		/* destination */
	size_t size;		/* its size, including room for the NUL */
	size_t len;		/* characters produced so far (may exceed size) */
};

static void out_char(struct outbuf *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_pad(struct outbuf *o, char c, int n)
{
	while (n-- > 0)
		out_char(o, c);
}

#define F_LEFT	(1 << 0)	/* '-' */
#define F_ZERO	(1 << 1)	/* '0' */
#define F_PLUS	(1 << 2)	/* '+' */
#define F_SPACE	(1 << 3)	/* ' ' */
#define F_ALT	(1 << 4)	/* '#' */
#define F_UPPER	(1 << 5)	/* %X */

struct spec {
	unsigned int flags;	/* F_* */
	int width;		/* minimum field width, 0 if none */
	int prec;		/* precision, -1 if none */
};

static void out_number(struct outbuf *o, unsigned long long v, bool neg, unsigned int base,
		       const struct spec *sp)
{
	const char *digits = (sp->flags & F_UPPER) ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];		/* 2^64 in octal is 22 digits */
	const char *prefix = "";
	int n = 0, zeros, pad, plen;

	if (v == 0 && sp->prec == 0)
		n = 0;		/* "%.0d" of 0 prints nothing */
	else
		do {
			tmp[n++] = digits[v % base];
			v /= base;
		} while (v);

	if (neg)
		prefix = "-";
	else if (sp->flags & F_PLUS)
		prefix = "+";
	else if (sp->flags & F_SPACE)
		prefix = " ";
	if ((sp->flags & F_ALT) && base == 16 && n > 0 && !(n == 1 && tmp[0] == '0'))
		prefix = (sp->flags & F_UPPER) ? "0X" : "0x";
	if ((sp->flags & F_ALT) && base == 8 && (n == 0 || tmp[n - 1] != '0'))
		prefix = "0";
	plen = strlen(prefix);

	zeros = sp->prec > n ? sp->prec - n : 0;
	pad = sp->width - plen - zeros - n;
	if ((sp->flags & F_ZERO) && !(sp->flags & F_LEFT) && sp->prec < 0 && pad > 0) {
		zeros += pad;
		pad = 0;
	}
	if (!(sp->flags & F_LEFT))
		out_pad(o, ' ', pad);
	for (int i = 0; i < plen; i++)
		out_char(o, prefix[i]);
	out_pad(o, '0', zeros);
	while (n > 0)
		out_char(o, tmp[--n]);
	if (sp->flags & F_LEFT)
		out_pad(o, ' ', pad);
}

static void out_string(struct outbuf *o, const char *s, const struct spec *sp)
{
	size_t n;
	int pad;

	if (!s)
		s = "(null)";
	n = sp->prec >= 0 ? strnlen(s, sp->prec) : strlen(s);
	pad = sp->width > (int)n ? sp->width - (int)n : 0;
	if (!(sp->flags & F_LEFT))
		out_pad(o, ' ', pad);
	for (size_t i = 0; i < n; i++)
		out_char(o, s[i]);
	if (sp->flags & F_LEFT)
		out_pad(o, ' ', pad);
}

static int parse_int(const char **fmt)
{
	int v = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		if (v < 100000)		/* widths beyond this are nonsense; do not overflow */
			v = v * 10 + (**fmt - '0');
		(*fmt)++;
	}
	return v;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { .buf = buf, .size = size, .len = 0 };

	for (; *fmt; fmt++) {
		struct spec sp = { .flags = 0, .width = 0, .prec = -1 };
		unsigned long long v;
		int lng = 0;		/* 1 l, 2 ll, -1 h, -2 hh, 3 size_t-like */
		bool neg = false;

		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')	sp.flags |= F_LEFT;
			else if (*fmt == '0')	sp.flags |= F_ZERO;
			else if (*fmt == '+')	sp.flags |= F_PLUS;
			else if (*fmt == ' ')	sp.flags |= F_SPACE;
			else if (*fmt == '#')	sp.flags |= F_ALT;
			else break;
		}
		if (*fmt == '*') {
			sp.width = va_arg(ap, int);
			if (sp.width < 0) {
				sp.flags |= F_LEFT;
				sp.width = sp.width == INT32_MIN ? 0 : -sp.width;
			}
			fmt++;
		} else {
			sp.width = parse_int(&fmt);
		}
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				sp.prec = va_arg(ap, int);
				if (sp.prec < 0)
					sp.prec = -1;
				fmt++;
			} else {
				sp.prec = parse_int(&fmt);
			}
		}
		for (;; fmt++) {
			if (*fmt == 'l')	lng = lng == 1 ? 2 : 1;
			else if (*fmt == 'h')	lng = lng == -1 ? -2 : -1;
			else if (*fmt == 'z' || *fmt == 't' || *fmt == 'j') lng = 3;
			else break;
		}

		switch (*fmt) {
		case 'c':
			sp.prec = -1;
			{
				char c[2] = { (char)va_arg(ap, int), '\0' };

				if (c[0] == '\0') {	/* %c of NUL still emits one character */
					out_pad(&o, ' ', (sp.flags & F_LEFT) ? 0 : sp.width - 1);
					out_char(&o, '\0');
					out_pad(&o, ' ', (sp.flags & F_LEFT) ? sp.width - 1 : 0);
				} else {
					out_string(&o, c, &sp);
				}
			}
			break;
		case 's':
			out_string(&o, va_arg(ap, const char *), &sp);
			break;
		case 'd':
		case 'i': {
			long long s;

			if (lng >= 2)		s = va_arg(ap, long long);
			else if (lng >= 1)	s = va_arg(ap, long);
			else			s = va_arg(ap, int);
			if (lng == -1)		s = (short)s;
			if (lng == -2)		s = (signed char)s;
			neg = s < 0;
			v = neg ? 0ull - (unsigned long long)s : (unsigned long long)s;
			out_number(&o, v, neg, 10, &sp);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			if (lng >= 2)		v = va_arg(ap, unsigned long long);
			else if (lng >= 1)	v = va_arg(ap, unsigned long);
			else			v = va_arg(ap, unsigned int);
			if (lng == -1)		v = (unsigned short)v;
			if (lng == -2)		v = (unsigned char)v;
			if (*fmt == 'X')
				sp.flags |= F_UPPER;
			out_number(&o, v, false, *fmt == 'u' ? 10 : *fmt == 'o' ? 8 : 16, &sp);
			break;
		case 'p':
			sp.flags |= F_ALT;
			v = (uintptr_t)va_arg(ap, void *);
			if (v == 0) {
				out_string(&o, "(nil)", &sp);
				break;
			}
			out_number(&o, v, false, 16, &sp);
			break;
		case '%':
			out_char(&o, '%');
			break;
		case '\0':
			fmt--;		/* a lone '%' at the end: stop cleanly */
			break;
		default:		/* unknown conversion: print it as it was written */
			out_char(&o, '%');
			out_char(&o, *fmt);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
