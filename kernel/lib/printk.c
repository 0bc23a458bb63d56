/*
 * printk: format into a buffer, strip the level prefix, send to the console.
 * Shared by the kernel and the host tests; see kernel/lib/printk.h.
 */
#include "kernel/lib/printk.h"
#include "kernel/lib/format.h"

int console_loglevel = 7;

static char *capture_buf;
static size_t capture_size, capture_len;

void printk_capture_start(char *buf, size_t size)
{
	capture_buf = buf;
	capture_size = size;
	capture_len = 0;
	if (size)
		buf[0] = '\0';
}

size_t printk_capture_stop(void)
{
	capture_buf = NULL;
	return capture_len;
}

static void capture(const char *s, size_t n)
{
	if (!capture_buf)
		return;
	while (n-- && capture_len + 1 < capture_size)
		capture_buf[capture_len++] = *s++;
	capture_buf[capture_len] = '\0';
}

int vprintk(const char *fmt, va_list ap)
{
	char line[512];
	int level = LOGLEVEL_DEFAULT;

	if (fmt[0] == '<' && fmt[1] >= '0' && fmt[1] <= '7' && fmt[2] == '>') {
		level = fmt[1] - '0';
		fmt += 3;
	}
	int n = kvsnprintf(line, sizeof(line), fmt, ap);
	size_t len = n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1;
	capture(line, len);
	if (level < console_loglevel)
		console_write(line, len);
	return n;
}

int printk(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}
