/*
 * Migration against interrupt context, on the kernel's node: every CPU's
 * tick allocates (GFP_ATOMIC), stamps, checks and frees pages of a test
 * owner (tests/support/movable_test_owner.h) while process context moves
 * those same pages in a loop, and the reclaim suite's GFP_ATOMIC churn
 * (tests/target/churn.c) runs beside it. Every stamp must hold, no atomic
 * request may fail, and the longest interrupts-off move (copy, repoint,
 * check under the owner's lock) is measured with the TSC and bounded.
 * docs/10-fragmentation-and-compaction.md ("Migration").
 */
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/core/might_sleep.h"
#include "kernel/core/sched.h"
#include "kernel/mm/kcompactd.h"
#include "mm/migrate.h"
#include "mm/page_alloc.h"
#include "tests/ktest.h"
#include "tests/support/movable_test_owner.h"
#include "tests/target/churn.h"

#define PER_CPU 16  /* handles each CPU's tick owns */
#define RUN_MS 1500 /* at least; and until every tick did enough: */
#define MIN_VISITS (4 * PER_CPU) /* each handle allocated, stamped, freed */
#define MIN_MOVED 1000		 /* and process context moved this many */
#define MAX_RUN_MS 30000	 /* a loaded host delivers ticks slowly */
/* A move keeps interrupts off on its CPU for one 4 KiB copy and check;
 * the median move must stay well inside a tick period (1 ms at hz=1000),
 * so that a tick is late by a fraction of a period at most. The median,
 * not the longest: QEMU's vCPU thread can lose its host CPU for tens of
 * milliseconds on a loaded machine (the TSC runs on meanwhile), which no
 * kernel code can prevent; docs/10 gives both as measured. */
#define MOVE_BOUND_US 250

_Static_assert(PER_CPU *MAX_CPUS <= MTO_MAX_PAGES,
	       "every CPU's handles fit the test owner's table");

static struct movable_test_owner owner;
static struct tick_state {
	uint64_t allocs, failed, stamps, bad, frees, deferred;
	unsigned int next;
} tick[MAX_CPUS];

/* Every tick: the next of this CPU's handles gets a page, a new stamp or
 * (one visit in four) freed; a page being moved cannot be freed now and
 * is freed on a later visit. */
static void migrate_tick(void *data)
{
	(void)data;
	unsigned int cpu = smp_processor_id();
	unsigned int visit = tick[cpu].next++;
	int h = (int)(cpu * PER_CPU + visit % PER_CPU);

	if (mto_slot_state(&owner, h) == MTO_FREE) {
		if (mto_alloc_handle(&owner, h, GFP_ATOMIC | __GFP_NOWARN) < 0)
			tick[cpu].failed++;
		else
			tick[cpu].allocs++;
		return;
	}
	if (!mto_stamp(&owner, h))
		tick[cpu].bad++;
	tick[cpu].stamps++;
	if ((visit / PER_CPU) % 4 == 3) {
		if (mto_free(&owner, h) == 0)
			tick[cpu].frees++;
		else
			tick[cpu].deferred++;
	}
}

static uint64_t new_frame(void *private, uint64_t src, unsigned int order)
{
	(void)private;
	(void)src;
	return alloc_pages(GFP_KERNEL | __GFP_MOVABLE | __GFP_NOWARN, order) >>
	       PAGE_SHIFT;
}

/* The fewest visits a tick of an online CPU has made. */
static unsigned int slowest_tick(void)
{
	unsigned int min = ~0u;
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		if (cpus[c].online &&
		    __atomic_load_n(&tick[c].next, __ATOMIC_RELAXED) < min)
			min = __atomic_load_n(&tick[c].next, __ATOMIC_RELAXED);
	return min;
}

static void flush(struct pglist_data *node, struct migrate_list *l,
		  uint64_t *moved, uint64_t *failed)
{
	unsigned int ok;
	*failed += (unsigned int)migrate_pages(node, l, new_frame, NULL, NULL,
					       MR_SYSCALL, &ok);
	*moved += ok;
}

static void test_tick_stamps_while_pages_move(struct ktest *t)
{
	struct pglist_data *node = &contig_page_data;
	struct migrate_list l;
	uint64_t moved = 0, failed = 0, rounds = 0;
	/* Compaction on this node moves pages too (kcompactd, woken by
	 * kswapd or for its score every half second). In this order: a run
	 * counted before the snapshot and over before the test of kcompactd
	 * moved nothing after success0. */
	uint64_t compaction0 = node->compact.kcompactd_wake +
			       node->compact.proactive_runs +
			       node->compact.compact_stall;
	bool quiet = !kcompactd_is_running();
	uint64_t success0 = node->migrate.pgmigrate_success;
	unsigned long reports0 = might_sleep_reports + might_sleep_suppressed;

	KTEST_ASSERT_TRUE(t, mto_init(&owner, node, 0x1234) == 0);
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		tick[c] = (struct tick_state){ 0 };
	churn_start();
	KTEST_ASSERT_TRUE(t, register_tick_hook(migrate_tick, NULL) == 0);
	uint64_t start = ktime_get_ns();
	while (ktime_get_ns() - start < (uint64_t)RUN_MS * 1000000 ||
	       ((slowest_tick() < MIN_VISITS || moved < MIN_MOVED) &&
		ktime_get_ns() - start < (uint64_t)MAX_RUN_MS * 1000000)) {
		migrate_list_init(&l);
		for (int h = 0; h < MTO_MAX_PAGES; h++) {
			/* The tick may free the page meanwhile: then nobody
			 * isolates the frame, or it is someone else's page
			 * now. Either way isolation decides, not pfn. */
			uint64_t pfn = mto_pfn(&owner, h);
			if (pfn)
				migrate_list_isolate(node, &l, pfn);
			if (l.nr == MIGRATE_BATCH_MAX || h == MTO_MAX_PAGES - 1)
				flush(node, &l, &moved, &failed);
		}
		rounds++;
		schedule(); /* let other threads in between rounds */
	}
	uint64_t ms = (ktime_get_ns() - start) / 1000000;
	unregister_tick_hook(migrate_tick, NULL);
	churn_stop_and_check(t);

	uint64_t allocs = 0, tfailed = 0, stamps = 0, bad = 0, frees = 0,
		 deferred = 0;
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		allocs += tick[c].allocs;
		tfailed += tick[c].failed;
		stamps += tick[c].stamps;
		bad += tick[c].bad;
		frees += tick[c].frees;
		deferred += tick[c].deferred;
	}
	for (int h = 0; h < MTO_MAX_PAGES; h++)
		if (mto_pfn(&owner, h) && !mto_verify(&owner, h))
			bad++;
	uint64_t cycles = owner.max_move_cycles, seen = 0, median = 0;
	for (int i = 0; i < 64 && seen * 2 < owner.moved; i++) {
		seen += owner.move_hist[i];
		median = (2ULL << i) - 1; /* the bucket's upper end */
	}
	uint64_t ns = tsc_hz ? cycles * 1000000000ULL / tsc_hz : 0;
	uint64_t median_ns = tsc_hz ? median * 1000000000ULL / tsc_hz : 0;
	ktest_diag(
	    t,
	    "migrate_irq: %llu ms, %llu rounds moved %llu pages (%llu failed: busy or freed); ticks: %llu GFP_ATOMIC pages (%llu failed), %llu stamps (%llu bad), %llu frees (%llu deferred: page isolated)",
	    (unsigned long long)ms, (unsigned long long)rounds,
	    (unsigned long long)moved, (unsigned long long)failed,
	    (unsigned long long)allocs, (unsigned long long)tfailed,
	    (unsigned long long)stamps, (unsigned long long)bad,
	    (unsigned long long)frees, (unsigned long long)deferred);
	ktest_diag(
	    t,
	    "migrate_irq: a move with interrupts off: median below %llu cycles = %llu.%03llu us (bound %u us), longest %llu cycles = %llu.%03llu us",
	    (unsigned long long)median, (unsigned long long)(median_ns / 1000),
	    (unsigned long long)(median_ns % 1000), MOVE_BOUND_US,
	    (unsigned long long)cycles, (unsigned long long)(ns / 1000),
	    (unsigned long long)(ns % 1000));
	KTEST_EXPECT_EQ(t, mto_destroy(&owner), 0);
	KTEST_EXPECT_GE(t, moved, MIN_MOVED);
	KTEST_EXPECT_GT(t, allocs, 0);
	KTEST_EXPECT_GE(t, slowest_tick(), MIN_VISITS);
	KTEST_EXPECT_GT(t, stamps, 0);
	KTEST_EXPECT_GT(t, frees, 0);
	KTEST_EXPECT_EQ(t, tfailed, 0);
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, owner.bad_stamps, 0);
	/* Every page this case moved is counted once; with no compaction
	 * alongside, nothing else is. */
	uint64_t counted = node->migrate.pgmigrate_success - success0;
	KTEST_EXPECT_GE(t, counted, moved);
	quiet = quiet && !kcompactd_is_running() &&
		node->compact.kcompactd_wake + node->compact.proactive_runs +
			node->compact.compact_stall ==
		    compaction0;
	if (quiet)
		KTEST_EXPECT_EQ(t, counted, moved);
	else
		ktest_diag(t,
			   "compaction ran alongside: %llu pages moved by it",
			   (unsigned long long)(counted - moved));
	KTEST_EXPECT_GT(t, median, 0);
	KTEST_EXPECT_LE(t, median_ns, (uint64_t)MOVE_BOUND_US * 1000);
	KTEST_EXPECT_EQ(t, might_sleep_reports + might_sleep_suppressed,
			reports0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static const struct ktest_case migrate_irq_cases[] = {
	KTEST_CASE(test_tick_stamps_while_pages_move),
	{ 0 },
};
KTEST_SUITE_WHERE(migrate_irq, migrate_irq_cases, KTEST_TARGET_ONLY);
