/*
 * The fuzz targets' console: kernel messages go to stderr (and are mostly
 * silenced by console_loglevel = 0 in each target).
 */
#include <stdio.h>

#include "kernel/lib/printk.h"

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}
