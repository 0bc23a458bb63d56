/*
 * fail_page_alloc (mm/fault_inject.c): failures are injected exactly as the
 * parameters say (every interval-th eligible request, with probability
 * percent, at most times), only for eligible requests (order >= min_order,
 * non-sleeping unless asked, the chosen node), never for __GFP_NOFAIL; an
 * injected failure changes nothing in the allocator and is counted. Host
 * and target, each on its own small node. On target, the fail_page_alloc
 * suite (tests/target/fail_page_alloc_test.c) adds interrupt-context churn
 * against the kernel's node. docs/07-debugging-the-allocator.md.
 */
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/fault_inject.h"
#include "mm/internal.h"
#include "tests/support/test_arena.h"
#include "mm/pcp.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define QUIET (__GFP_NOWARN)

static struct mm_test_node tn;
static struct fault_attr saved_attr;

/* A node, and fail_page_alloc aimed at it (the kernel's settings saved). */
static bool setup(struct ktest *t, unsigned long interval,
		  unsigned int probability, long times)
{
	if (mm_test_node_init(&tn, ARENA, 2UL << 20, 4UL << 20, true)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	saved_attr = fail_page_alloc;
	fault_attr_init(&fail_page_alloc); /* off, and uncounted */
	fail_page_alloc.interval = interval;
	fail_page_alloc.probability = probability;
	fail_page_alloc.times = times;
	fail_page_alloc.node = &tn.pgdat;
	fail_page_alloc_enable(true);
	return true;
}

static void teardown(struct ktest *t)
{
	fail_page_alloc_enable(false);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
	fail_page_alloc_restore(&saved_attr);
}

/* Makes n requests, freeing each success; bit i of *pattern (i < 64) is
 * set when request i failed. Returns the number of failures. */
static unsigned int run_requests(unsigned int n, gfp_t gfp, unsigned int order,
				 uint64_t *pattern)
{
	unsigned int failed = 0;
	if (pattern)
		*pattern = 0;
	for (unsigned int i = 0; i < n; i++) {
		uint64_t p = pgdat_alloc_pages(&tn.pgdat, gfp, order);
		if (!p) {
			failed++;
			if (pattern && i < 64)
				*pattern |= 1ULL << i;
		} else {
			pgdat_free_pages(&tn.pgdat, p, order);
		}
	}
	return failed;
}

/* interval=4, probability=100: requests 4, 8, 12 ... fail, no others. */
static void test_every_interval_th_fails(struct ktest *t)
{
	uint64_t pattern;
	if (!setup(t, 4, 100, -1))
		return;
	uint64_t free_before = mm_test_free_pages(&tn.pgdat);
	KTEST_EXPECT_EQ(t, run_requests(40, GFP_NOWAIT | QUIET, 1, &pattern),
			10);
	KTEST_EXPECT_EQ(t, pattern, 0x8888888888ULL);
	KTEST_EXPECT_EQ(t, fail_page_alloc.eligible, 40);
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected, 10);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), free_before);
	teardown(t);
}

/* times=3: the first three eligible requests fail, then none. */
static void test_times_limits_failures(struct ktest *t)
{
	uint64_t pattern;
	if (!setup(t, 1, 100, 3))
		return;
	KTEST_EXPECT_EQ(t, run_requests(20, GFP_ATOMIC | QUIET, 2, &pattern),
			3);
	KTEST_EXPECT_EQ(t, pattern, 0x7);
	KTEST_EXPECT_EQ(t, fail_page_alloc.times, 0);
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected, 3);
	teardown(t);
}

/* probability=30 of 2000 candidates: about 600 fail; 0 % none, and the
 * interval still applies before the probability. */
static void test_probability_percent(struct ktest *t)
{
	if (!setup(t, 1, 30, -1))
		return;
	unsigned int failed = run_requests(2000, GFP_NOWAIT | QUIET, 1, NULL);
	ktest_diag(t, "probability 30: %u of 2000 failed", failed);
	KTEST_EXPECT_GE(t, failed, 500);
	KTEST_EXPECT_LE(t, failed, 700);
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected, failed);

	fail_page_alloc.probability = 0;
	KTEST_EXPECT_EQ(t, run_requests(500, GFP_NOWAIT | QUIET, 1, NULL), 0);

	/* interval 10 and 50 %: only every 10th is a candidate. */
	fail_page_alloc.interval = 10;
	fail_page_alloc.probability = 50;
	fail_page_alloc.eligible = 0;
	uint64_t injected = fail_page_alloc.injected;
	failed = run_requests(2000, GFP_NOWAIT | QUIET, 1, NULL);
	ktest_diag(t, "interval 10, probability 50: %u of 2000 failed", failed);
	KTEST_EXPECT_GE(t, failed, 70);
	KTEST_EXPECT_LE(t, failed, 130);
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected - injected, failed);
	teardown(t);
}

/* By default order 0 and sleeping requests are left alone; knobs widen. */
static void test_default_scope(struct ktest *t)
{
	if (!setup(t, 1, 100, -1))
		return;
	KTEST_EXPECT_EQ(t, run_requests(50, GFP_ATOMIC | QUIET, 0, NULL), 0);
	KTEST_EXPECT_EQ(t, run_requests(50, GFP_NOWAIT | QUIET, 0, NULL), 0);
	KTEST_EXPECT_EQ(t, run_requests(50, GFP_KERNEL | QUIET, 3, NULL), 0);
	KTEST_EXPECT_EQ(t, fail_page_alloc.eligible, 0);
	KTEST_EXPECT_EQ(t, run_requests(10, GFP_ATOMIC | QUIET, 1, NULL), 10);
	KTEST_EXPECT_EQ(t,
			run_requests(10, GFP_NOWAIT | QUIET, MAX_ORDER, NULL),
			10);

	fail_page_alloc.min_order = 0;
	KTEST_EXPECT_EQ(t, run_requests(10, GFP_ATOMIC | QUIET, 0, NULL), 10);
	fail_page_alloc.ignore_gfp_reclaim = false;
	KTEST_EXPECT_EQ(t, run_requests(10, GFP_KERNEL | QUIET, 0, NULL), 10);
	fail_page_alloc.min_order = 3;
	KTEST_EXPECT_EQ(t, run_requests(10, GFP_KERNEL | QUIET, 2, NULL), 0);
	KTEST_EXPECT_EQ(t, run_requests(10, GFP_KERNEL | QUIET, 3, NULL), 10);
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected, 50);
	teardown(t);
}

/* __GFP_NOFAIL is never failed, whatever the knobs say. (It needs a
 * request that may sleep: with GFP_ATOMIC or GFP_NOWAIT it is refused, as
 * Linux refuses it; mm_reserve's test_nofail_needs_a_sleeping_request.) */
static void test_nofail_never_fails(struct ktest *t)
{
	static const gfp_t gfps[] = { GFP_KERNEL, GFP_KERNEL | __GFP_DMA32,
				      GFP_KERNEL | __GFP_DMA };
	if (!setup(t, 1, 100, -1))
		return;
	fail_page_alloc.min_order = 0;
	fail_page_alloc.ignore_gfp_reclaim = false;
	for (unsigned int g = 0; g < sizeof(gfps) / sizeof(gfps[0]); g++)
		for (unsigned int order = 0; order <= 4; order++)
			KTEST_EXPECT_EQ(t,
					run_requests(20,
						     gfps[g] | __GFP_NOFAIL |
							 QUIET,
						     order, NULL),
					0);
	KTEST_EXPECT_EQ(t, fail_page_alloc.eligible, 0);
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected, 0);
	/* The same requests without __GFP_NOFAIL do fail. */
	KTEST_EXPECT_EQ(t, run_requests(20, GFP_KERNEL | QUIET, 0, NULL), 20);
	teardown(t);
}

/* Aimed at another node (the kernel's, say), this one never fails. */
static void test_other_node_untouched(struct ktest *t)
{
	static struct pglist_data other;
	if (!setup(t, 1, 100, -1))
		return;
	fail_page_alloc.node = &other;
	KTEST_EXPECT_EQ(t, run_requests(50, GFP_ATOMIC | QUIET, 2, NULL), 0);
	KTEST_EXPECT_EQ(t, fail_page_alloc.eligible, 0);
	fail_page_alloc.node = NULL; /* NULL: every node */
	KTEST_EXPECT_EQ(t, run_requests(5, GFP_ATOMIC | QUIET, 2, NULL), 5);
	teardown(t);
}

/* An injected failure says so (rate limited, quiet under __GFP_NOWARN),
 * is not reported as a real one, and meminfo counts it. */
static void test_reported_and_counted(struct ktest *t)
{
	static char log[2048];
	int saved = console_loglevel;
	if (!setup(t, 1, 100, -1))
		return;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	run_requests(5, GFP_NOWAIT, 1, NULL);
	run_requests(5, GFP_NOWAIT | __GFP_NOWARN, 1, NULL);
	meminfo_show(&tn.pgdat);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected, 10);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log,
					 "FAULT_INJECTION: forcing a failure"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "order:1 mode:"));
	KTEST_EXPECT_FALSE(t, ktest_contains(log, "page allocation failure"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "FailPageAlloc:"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "10 of 10"));
	/* Only one report in the rate-limit interval. */
	const char *first = log;
	int reports = 0;
	while (*first) {
		if (strncmp(first, "FAULT_INJECTION", 15) == 0)
			reports++;
		first++;
	}
	KTEST_EXPECT_EQ(t, reports, 1);
	teardown(t);
}

/* The cmdline value: "<interval>,<probability>,<times>". */
static void test_setup_parses_cmdline_value(struct ktest *t)
{
	static const char *const bad[] = { "10,50", "0,50,1", "1,101,1",
					   "a,b,c", "1,2,3x", "1,2,-2",
					   "",	    "1,,1",   "1,2,3,4" };
	if (!setup(t, 1, 100, -1))
		return;
	fail_page_alloc_enable(false);
	KTEST_EXPECT_EQ(t, fail_page_alloc_setup("10,50,-1", &tn.pgdat), 0);
	KTEST_EXPECT_TRUE(t, fail_page_alloc.enabled);
	KTEST_EXPECT_EQ(t, fail_page_alloc.interval, 10);
	KTEST_EXPECT_EQ(t, fail_page_alloc.probability, 50);
	KTEST_EXPECT_EQ(t, fail_page_alloc.times, -1);
	KTEST_EXPECT_EQ(t, fail_page_alloc.min_order, 1);
	KTEST_EXPECT_TRUE(t, fail_page_alloc.node == &tn.pgdat);
	fail_page_alloc.min_order = 2; /* a knob set before is kept */
	KTEST_EXPECT_EQ(t, fail_page_alloc_setup("3,100,7", &tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, fail_page_alloc.times, 7);
	KTEST_EXPECT_EQ(t, fail_page_alloc.min_order, 2);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		KTEST_EXPECT_EQ(t, fail_page_alloc_setup(bad[i], NULL), -1);
		KTEST_EXPECT_EQ(t, fail_page_alloc.interval, 3);
		KTEST_EXPECT_TRUE(t, fail_page_alloc.node == &tn.pgdat);
	}
	teardown(t);
}

/* Random orders and flags with failures injected: every success is a good
 * block, every failure counted, and all of it goes back. */
static void test_integrity_under_injection(struct ktest *t)
{
	static uint64_t held[128];
	static unsigned int held_order[128];
	uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS], rng = 0x1234567;
	unsigned int failed = 0, n = 0;
	if (!setup(t, 3, 60, -1))
		return;
	mm_test_snapshot(&tn.pgdat, snap);
	for (unsigned int i = 0; i < 4000; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		unsigned int order = rng % 5;
		gfp_t gfp = (rng >> 8) & 1 ? GFP_ATOMIC : GFP_NOWAIT;
		if (n == 128 || ((rng >> 9) & 1 && n)) {
			unsigned int k = (rng >> 16) % n;
			uint64_t *w = pgdat_phys_to_virt(&tn.pgdat, held[k]);
			KTEST_EXPECT_EQ(t, w[0], held[k]);
			pgdat_free_pages(&tn.pgdat, held[k], held_order[k]);
			held[k] = held[--n];
			held_order[k] = held_order[n];
			continue;
		}
		uint64_t p = pgdat_alloc_pages(&tn.pgdat, gfp | QUIET, order);
		if (!p) {
			failed++;
			continue;
		}
		*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, p) = p;
		held[n] = p;
		held_order[n++] = order;
	}
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	while (n--)
		pgdat_free_pages(&tn.pgdat, held[n], held_order[n]);
	ktest_diag(t, "%u failed, %llu injected, %llu eligible", failed,
		   (unsigned long long)fail_page_alloc.injected,
		   (unsigned long long)fail_page_alloc.eligible);
	KTEST_EXPECT_GT(t, failed, 100);
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected, failed);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	teardown(t);
}

/* The allocator's paths test one count of the debug options that are on
 * (mm_debug_hooks, mm/internal.h): fail_page_alloc adds its one while it
 * is on, order-0 requests served by the per-CPU caches are failed as the
 * parameters say, and a count that misses the option (a switch that
 * forgot it, planted here) skips it on every path, which pgdat_check()
 * reports. */
static void test_paths_count_the_option(struct ktest *t)
{
	uint64_t pattern;
	unsigned int off = __atomic_load_n(&mm_debug_hooks, __ATOMIC_SEQ_CST);
	if (!setup(t, 2, 100, -1))
		return;
	fail_page_alloc.min_order = 0;
	pgdat_pcp_enable(&tn.pgdat, mm_this_cpu() + 1); /* up to this CPU */
	unsigned int on = __atomic_load_n(&mm_debug_hooks, __ATOMIC_SEQ_CST);
	KTEST_EXPECT_EQ(t, on, off + 1 - (saved_attr.enabled ? 1 : 0));
	KTEST_EXPECT_TRUE(t, tn.pgdat.pcp_enabled);
	KTEST_EXPECT_EQ(t, run_requests(8, GFP_NOWAIT | QUIET, 0, &pattern), 4);
	KTEST_EXPECT_EQ(t, pattern, 0xaa);
	KTEST_EXPECT_GT(t, pcp_parked_pages(&tn.pgdat), 0); /* cached */
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	/* The planted miscount, only where this option is the one counted:
	 * with another on (page_owner on the kernel's node), the kernel's
	 * requests meanwhile would skip it. */
	if (on == 1) {
		mm_debug_hooks_add(-1);
		KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 1);
		KTEST_EXPECT_EQ(t, run_requests(8, GFP_NOWAIT | QUIET, 0, NULL),
				0);
		mm_debug_hooks_add(1);
	} else {
		ktest_diag(t, "%u debug options counted: no miscount planted",
			   on);
	}
	fail_page_alloc_enable(true); /* on already: counted once */
	KTEST_EXPECT_EQ(t, __atomic_load_n(&mm_debug_hooks, __ATOMIC_SEQ_CST),
			on);
	/* One too many (a switch that forgot to take its one back) only
	 * slows the paths, but is reported too. */
	mm_debug_hooks_add(1);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 1);
	mm_debug_hooks_add(-1);
	teardown(t);
	KTEST_EXPECT_EQ(t, __atomic_load_n(&mm_debug_hooks, __ATOMIC_SEQ_CST),
			off);
}

static const struct ktest_case fault_cases[] = {
	KTEST_CASE(test_every_interval_th_fails),
	KTEST_CASE(test_times_limits_failures),
	KTEST_CASE(test_probability_percent),
	KTEST_CASE(test_default_scope),
	KTEST_CASE(test_nofail_never_fails),
	KTEST_CASE(test_other_node_untouched),
	KTEST_CASE(test_reported_and_counted),
	KTEST_CASE(test_setup_parses_cmdline_value),
	KTEST_CASE(test_integrity_under_injection),
	KTEST_CASE(test_paths_count_the_option),
	{ 0 },
};
KTEST_SUITE(mm_fault, fault_cases);
