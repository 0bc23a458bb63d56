/*
 * kvsnprintf: the one printf-style formatter, used by printk in the kernel
 * and compiled unchanged into the host tests (tests/shared/printk_test.c).
 * Supports %d %i %u %x %X %o %p %s %c %%, the l/ll/z length modifiers, a
 * field width (or *), zero padding and left alignment (-). No floating point:
 * the kernel is built without SSE. See docs/01-boot.md ("The console").
 */
#include "kernel/lib/format.h"

struct out {
	char *buf;
	size_t size; /* capacity including the terminating NUL */
	size_t len;  /* characters produced so far, even past size */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
		       bool left, char pad)
{
	/* Zero padding goes after a sign, so "-0042" rather than "00-42". */
	if (pad == '0' && n > 0 && *s == '-') {
		put(o, '-');
		s++, n--, width--;
	}
	if (!left)
		for (int i = (int)n; i < width; i++)
			put(o, pad);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	if (left)
		for (int i = (int)n; i < width; i++)
			put(o, ' ');
}

/* Writes v in `base` into the end of tmp[24]; returns the first digit. */
static char *utoa(unsigned long long v, unsigned base, bool upper, char *end)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = end;
	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	return p;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	char tmp[24];

	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		bool left = false;
		char pad = ' ';
		int width = 0, longs = 0;

		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			if (width < 0) {
				left = true;
				width = -width;
			}
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		if (left)
			pad = ' ';
		while (*fmt == 'l')
			longs++, fmt++;
		if (*fmt == 'z')
			longs = 1, fmt++;

		char conv = *fmt ? *fmt++ : '\0';
		unsigned long long u;
		long long s;
		char *end = tmp + sizeof(tmp), *p;

		switch (conv) {
		case 'd':
		case 'i':
			s = longs >= 2	 ? va_arg(ap, long long)
			    : longs == 1 ? va_arg(ap, long)
					 : va_arg(ap, int);
			/* Negate as unsigned so LLONG_MIN does not overflow. */
			u = s < 0 ? 0ULL - (unsigned long long)s
				  : (unsigned long long)s;
			p = utoa(u, 10, false, end);
			if (s < 0)
				*--p = '-';
			put_padded(&o, p, (size_t)(end - p), width, left, pad);
			break;
		case 'u':
		case 'x':
		case 'X':
		case 'o':
			u = longs >= 2	 ? va_arg(ap, unsigned long long)
			    : longs == 1 ? va_arg(ap, unsigned long)
					 : va_arg(ap, unsigned int);
			p = utoa(u,
				 conv == 'u'   ? 10
				 : conv == 'o' ? 8
					       : 16,
				 conv == 'X', end);
			put_padded(&o, p, (size_t)(end - p), width, left, pad);
			break;
		case 'p':
			u = (unsigned long long)(uintptr_t)va_arg(ap, void *);
			p = utoa(u, 16, false, end);
			/* Pointers always print as 0x + 16 digits: easy to scan. */
			while (end - p < 16)
				*--p = '0';
			*--p = 'x';
			*--p = '0';
			put_padded(&o, p, (size_t)(end - p), width, left, ' ');
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			size_t n = 0;
			if (!str)
				str = "(null)";
			while (str[n])
				n++;
			put_padded(&o, str, n, width, left, ' ');
			break;
		}
		case 'c':
			tmp[0] = (char)va_arg(ap, int);
			put_padded(&o, tmp, 1, width, left, ' ');
			break;
		case '%':
			put(&o, '%');
			break;
		case '\0':
			put(&o, '%');
			break;
		default:
			/* Unknown conversion: show it rather than guess. */
			put(&o, '%');
			put(&o, conv);
			break;
		}
	}
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
