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
#include "tests/target/numa_trace.h"
#include "tests/ktest.h"

/* The filter as given. A longer one is not cut short (a cut name would be
 * a different name): the run fails with a message giving both lengths. The
 * cmdline may be 2047 characters, but console lines are 511 and every name
 * is echoed, so the limit stays well below. */
static char ktest_filter[256];
static size_t ktest_filter_len; /* as given, even past the buffer */
static bool ktest_wanted;

static int set_ktest(const char *value)
{
	size_t n = 0;
	/* Given twice: the parser says so, once (kernel/lib/cmdline.c). */
	while (value[n]) {
		if (n + 1 < sizeof(ktest_filter))
			ktest_filter[n] = value[n];
		n++;
	}
	ktest_filter[n < sizeof(ktest_filter) ? n : 0] = '\0';
	ktest_filter_len = n;
	/* Even an empty or overlong filter asks for a test run, and the run
	 * reports it (ktest_boot_run): the boot must not carry on as if no
	 * test had been asked for. */
	ktest_wanted = true;
	return 0;
}
CMDLINE_PARAM("ktest", set_ktest, "'all' or comma-separated suite names");

bool ktest_requested(void)
{
	return ktest_wanted;
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

static int run_with_hooks(const char *filter)
{
	int failed;
	bool owner = page_owner_enabled();

	if (owner) {
		ktest_case_start_hook = page_owner_case_start;
		ktest_case_end_hook = page_owner_case_end;
	}
	failed = ktest_run(filter, true);
	if (owner)
		page_owner_dump_top(&contig_page_data, 8);
	ktest_case_start_hook = NULL;
	ktest_case_end_hook = NULL;
	return failed;
}

extern const struct ktest_suite *const __start_ktest_suites[];
extern const struct ktest_suite *const __stop_ktest_suites[];

int ktest_run_now(const char *filter)
{
	/* A bad filter is answered in plain lines, with no KTAP around them:
	 * nobody parses this run, a person reads it. */
	static struct ktest_selection sel; /* too big for a kernel stack */
	if (ktest_resolve_filter(filter, true, __start_ktest_suites,
				 (size_t)(__stop_ktest_suites -
					  __start_ktest_suites),
				 &sel)) {
		console_write(sel.messages, sel.len);
		return -1;
	}
	return run_with_hooks(filter);
}

void ktest_boot_run(void)
{
	static struct ktest_selection too_long;
	int failed;

	if (ktest_filter_len >= sizeof(ktest_filter)) {
		pr_info("ktest: running nothing: the filter is too long\n");
		ktest_selection_error(
		    &too_long,
		    "ktest: the filter is %zu characters long, at most %zu fit (ktest_filter in tests/target/ktest_boot.c)",
		    ktest_filter_len, sizeof(ktest_filter) - 1);
		failed = ktest_run_selection(&too_long);
	} else {
		pr_info("ktest: running '%s'\n", ktest_filter);
		numa_trace_start(); /* numa_trace_ms=N: samples for make plots */
		failed = run_with_hooks(ktest_filter);
		numa_trace_stop();
	}
	pr_info("ktest: %d failed case(s); leaving QEMU\n", failed);
	qemu_exit(failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
}
