/*
 * The host test binary: runs the shared ktest suites natively, under ASan and
 * UBSan, and prints KTAP on stdout. Usage: ktest-host [all|suite,suite,...]
 * It also gives printk its console (console_write); the rest of what the
 * kernel provides on target is in tests/support/platform_host.c.
 */
#include <stdio.h>

#include "kernel/lib/printk.h"
#include "tests/ktest.h"

void ktest_vprintf(const char *fmt, va_list ap)
{
	vprintf(fmt, ap);
	fflush(stdout);
}

void console_write(const char *s, size_t n)
{
	/* Kernel messages go to stderr so they never interleave with KTAP. */
	fwrite(s, 1, n, stderr);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : "all";
	int failed = ktest_run(filter, false);
	return failed ? 1 : 0;
}
