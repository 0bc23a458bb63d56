/*
 * The kernel's side of the ktest framework (tests/ktest.c): the `ktest=`
 * option, KTAP output straight to the serial console (whatever the
 * loglevel), and the exit code QEMU leaves with.
 */
#include "tests/target/ktest_boot.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/format.h"
#include "kernel/debug/panic.h"
#include "kernel/lib/printk.h"
#include "mm/page_alloc.h"
#include "mm/page_owner.h"
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

/* page_owner=on: each case ends with the blocks it allocated and did not
 * free (a report, not a failure: some cases keep memory on purpose). */
static uint64_t case_token;

static void page_owner_case_start(struct ktest *t)
{
	(void)t;
	case_token = page_owner_token();
}

static void page_owner_case_end(struct ktest *t)
{
	uint64_t pages;
	unsigned long blocks =
	    pgdat_page_owner_leaks(&contig_page_data, case_token, 4, &pages);
	if (blocks)
		ktest_diag(
		    t,
		    "page_owner: %lu blocks (%lu pages) allocated by %s are still allocated",
		    blocks, (unsigned long)pages, t->case_name);
}

void ktest_boot_run(void)
{
	pr_info("ktest: running '%s'\n", ktest_filter);
	if (page_owner_enabled()) {
		ktest_case_start_hook = page_owner_case_start;
		ktest_case_end_hook = page_owner_case_end;
	}
	int failed = ktest_run(ktest_filter, true);
	if (page_owner_enabled())
		page_owner_dump_top(&contig_page_data, 8);
	pr_info("ktest: %d failed case(s); leaving QEMU\n", failed);
	qemu_exit(failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
}
