/*
 * The kernel's side of the ktest framework (tests/ktest.c): the `ktest=`
 * option, KTAP output straight to the serial console (whatever the
 * loglevel), and the exit code QEMU leaves with.
 */
#include "kernel/ktest_boot.h"
#include "kernel/cmdline.h"
#include "kernel/format.h"
#include "kernel/panic.h"
#include "kernel/printk.h"
#include "tests/ktest.h"

static char ktest_filter[256];

static int set_ktest(const char *value)
{
	size_t n = 0;
	if (!*value)
		return -1;
	while (value[n]) {
		if (n + 1 >= sizeof(ktest_filter))
			return -1;
		ktest_filter[n] = value[n];
		n++;
	}
	ktest_filter[n] = '\0';
	running_tests = true; /* from now on a crash must end the run */
	return 0;
}
CMDLINE_PARAM("ktest", set_ktest, "'all' or comma-separated suite names");

bool ktest_requested(void)
{
	return ktest_filter[0] != '\0';
}

void ktest_vprintf(const char *fmt, va_list ap)
{
	char line[512];
	int n = kvsnprintf(line, sizeof(line), fmt, ap);
	console_write(line,
		      n < (int)sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

void ktest_boot_run(void)
{
	pr_info("ktest: running '%s'\n", ktest_filter);
	int failed = ktest_run(ktest_filter, true);
	pr_info("ktest: %d failed case(s); leaving QEMU\n", failed);
	qemu_exit(failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
}
