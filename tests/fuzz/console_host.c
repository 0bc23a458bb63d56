/*
 * The fuzz targets' console: kernel messages go to stderr (and are mostly
 * silenced by console_loglevel = 0 in each target).
 */
#include <stdio.h>

#include "kernel/irqflags.h"
#include "kernel/printk.h"

_Thread_local unsigned long host_irq_flags = X86_EFLAGS_IF;

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}
