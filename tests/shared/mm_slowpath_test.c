/*
 * The slow path and reclaim on a small test node (mm/slowpath.c,
 * mm/vmscan.c), on the host and on target: direct reclaim takes pages back
 * from a cache for a request that may sleep; a node that cannot sleep
 * fails such a request after one round instead of waiting; __GFP_NOFAIL
 * needs a request that may sleep; kswapd's balancing loop lifts the node
 * to `high` and gives up when nothing is reclaimable; the failure report
 * carries meminfo. The sleeping itself is tested on target by the reclaim
 * suite. docs/06-sleeping-allocations-and-reclaim.md
 * ("How the tests prove it").
 */
#include "kernel/lib/printk.h"
#include "mm/filecache.h"
#include "tests/support/test_arena.h"
#include "mm/vmscan.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)

static struct mm_test_node tn;
static struct filecache fc;

/* One zone (Normal) with min_free_kbytes=1024: min 256 pages. */
static bool setup(struct ktest *t)
{
	if (mm_test_node_init_one_zone(&tn, ARENA, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

static struct zone *normal(void)
{
	return &tn.pgdat.node_zones[ZONE_NORMAL];
}

/* Reads pages into the cache without reclaim until the node says no:
 * free memory ends at min. Returns pages cached. */
static uint64_t fill_cache(void)
{
	uint64_t n = 0;
	while (!filecache_read(&fc, 7, n, NULL, GFP_NOWAIT | __GFP_NOWARN))
		n++;
	return n;
}

/* Takes every page `gfp` gives, chained through the pages. */
static uint64_t take_all(gfp_t gfp, uint64_t *pages)
{
	uint64_t head = 0;
	*pages = mm_test_take_all(&tn.pgdat, gfp, &head);
	return head;
}

static void give_all(uint64_t head)
{
	mm_test_give_back(&tn.pgdat, head);
}

static void teardown(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void test_direct_reclaim_serves_a_sleeping_request(struct ktest *t)
{
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, filecache_init(&fc, &tn.pgdat) == 0);
	uint64_t cached = fill_cache();
	struct reclaim_stats before = tn.pgdat.reclaim;
	KTEST_EXPECT_LE(t, normal()->free_pages,
			normal()->watermark[WMARK_MIN]);

	/* GFP_NOWAIT cannot reclaim: it fails. GFP_KERNEL reclaims. */
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages(&tn.pgdat, GFP_NOWAIT | __GFP_NOWARN,
					  0),
			0);
	KTEST_EXPECT_EQ(t, tn.pgdat.reclaim.allocstall, before.allocstall);
	uint64_t p = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_EXPECT_NE(t, p, 0);
	uint64_t stolen =
	    tn.pgdat.reclaim.pgsteal_direct - before.pgsteal_direct;
	KTEST_EXPECT_EQ(t, tn.pgdat.reclaim.allocstall, before.allocstall + 1);
	KTEST_EXPECT_GE(t, stolen, SWAP_CLUSTER_MAX);
	KTEST_EXPECT_EQ(t, fc.nr_pages, cached - stolen);
	KTEST_EXPECT_EQ(t, fc.reclaimed, stolen);
	/* Oldest first: page 0 is gone, the newest page is still a hit. */
	uint64_t hits = fc.hits, misses = fc.misses;
	KTEST_EXPECT_EQ(t, filecache_read(&fc, 7, cached - 1, NULL, GFP_NOWAIT),
			0);
	KTEST_EXPECT_EQ(t, fc.hits, hits + 1);
	KTEST_EXPECT_EQ(t, filecache_read(&fc, 7, 0, NULL, GFP_NOWAIT), 0);
	KTEST_EXPECT_EQ(t, fc.misses, misses + 1);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	ktest_diag(t, "cached %lu pages; direct reclaim took %lu for one",
		   (unsigned long)cached, (unsigned long)stolen);
	if (p)
		pgdat_free_pages(&tn.pgdat, p, 0);
	filecache_destroy(&fc);
	teardown(t);
}

/* Nothing to reclaim and no way to sleep here: one round, then failure. */
static void test_nothing_reclaimable_fails_without_waiting(struct ktest *t)
{
	if (!setup(t))
		return;
	uint64_t taken;
	uint64_t head = take_all(GFP_KERNEL, &taken);
	struct reclaim_stats before = tn.pgdat.reclaim;
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL | __GFP_NOWARN,
					  0),
			0);
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages(&tn.pgdat,
					  GFP_KERNEL | __GFP_NORETRY |
					      __GFP_NOWARN,
					  0),
			0);
	KTEST_EXPECT_EQ(t, tn.pgdat.reclaim.allocstall, before.allocstall + 2);
	KTEST_EXPECT_EQ(t, tn.pgdat.reclaim.pgsteal_direct,
			before.pgsteal_direct);
	KTEST_EXPECT_EQ(t, tn.pgdat.reclaim.alloc_waits, 0);
	/* GFP_KERNEL stops at min, never inside the reserve. */
	KTEST_EXPECT_GE(t, normal()->free_pages,
			normal()->watermark[WMARK_MIN]);
	give_all(head);
	teardown(t);
}

static void test_nofail_needs_a_sleeping_request(struct ktest *t)
{
	static char log[1024];
	int saved = console_loglevel;
	if (!setup(t))
		return;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	uint64_t atomic =
	    pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC | __GFP_NOFAIL, 0);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, atomic, 0);
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(log, "__GFP_NOFAIL needs a request that may sleep"));
	uint64_t p = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL | __GFP_NOFAIL, 2);
	KTEST_EXPECT_NE(t, p, 0);
	if (p)
		pgdat_free_pages(&tn.pgdat, p, 2);
	teardown(t);
}

/* kswapd's loop: from below low to at least high, by reclaim alone. */
static void test_balance_lifts_the_node_to_high(struct ktest *t)
{
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, filecache_init(&fc, &tn.pgdat) == 0);
	uint64_t cached = fill_cache();
	KTEST_EXPECT_FALSE(t, pgdat_balanced(&tn.pgdat));
	unsigned long freed = balance_pgdat(&tn.pgdat);
	KTEST_EXPECT_TRUE(t, pgdat_balanced(&tn.pgdat));
	KTEST_EXPECT_GE(t, normal()->free_pages,
			normal()->watermark[WMARK_HIGH]);
	KTEST_EXPECT_EQ(t, tn.pgdat.reclaim.pgsteal_kswapd, freed);
	KTEST_EXPECT_EQ(t, fc.nr_pages, cached - freed);
	/* It stops soon after high: at most one round beyond it. */
	KTEST_EXPECT_LT(t, normal()->free_pages,
			normal()->watermark[WMARK_HIGH] + SWAP_CLUSTER_MAX + 1);
	ktest_diag(t, "free %lu (high %lu) after reclaiming %lu of %lu",
		   (unsigned long)normal()->free_pages,
		   (unsigned long)normal()->watermark[WMARK_HIGH], freed,
		   (unsigned long)cached);

	/* With nothing left to reclaim it gives up instead of spinning. */
	filecache_destroy(&fc);
	uint64_t taken;
	uint64_t head = take_all(GFP_NOWAIT, &taken);
	uint64_t gave_up = tn.pgdat.reclaim.kswapd_gave_up;
	KTEST_EXPECT_EQ(t, balance_pgdat(&tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.reclaim.kswapd_gave_up, gave_up + 1);
	KTEST_EXPECT_FALSE(t, pgdat_balanced(&tn.pgdat));
	give_all(head);
	teardown(t);
}

/* The failure report says what memory looked like, reclaim included. */
static void test_failure_report_carries_meminfo(struct ktest *t)
{
	static char log[4096];
	int saved = console_loglevel;
	if (!setup(t))
		return;
	uint64_t taken;
	uint64_t head = take_all(GFP_KERNEL, &taken);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0), 0);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "page allocation failure"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "MemFree:"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "Reclaimable:"));
	/* take_all ended in one round of direct reclaim; this is the second. */
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log, "allocstall 2 pgsteal_direct 0"));
	give_all(head);
	teardown(t);
}

static const struct ktest_case slowpath_cases[] = {
	KTEST_CASE(test_direct_reclaim_serves_a_sleeping_request),
	KTEST_CASE(test_nothing_reclaimable_fails_without_waiting),
	KTEST_CASE(test_nofail_needs_a_sleeping_request),
	KTEST_CASE(test_balance_lifts_the_node_to_high),
	KTEST_CASE(test_failure_report_carries_meminfo),
	{ 0 },
};
KTEST_SUITE(mm_slowpath, slowpath_cases);
