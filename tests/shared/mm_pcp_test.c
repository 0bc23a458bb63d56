/*
 * Per-CPU page lists (mm/pcp.c) on a small node of their own, on the host
 * and on target: single frames go through this CPU's list without touching
 * the zone's free count, the list stays at or below `high`, draining gives
 * everything back, the reserve holds with frames parked, a free of a parked
 * frame is refused as a double free, the fast path zeroes for
 * __GFP_ZERO, and an allocation that finds the zone short drains the
 * lists and retries once; with page_poison a use after free of a parked
 * frame is still reported after a drain. docs/05-smp-and-per-cpu-lists.md.
 */
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/pcp.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (32UL << 20)
#define NFRAMES 192 /* more than high, with a group: some are drained */

static struct mm_test_node tn;
static char log[2048];

/* A node whose Normal zone (28 MiB) uses per-CPU lists. */
static bool setup_size(struct ktest *t, size_t bytes, bool no_watermarks)
{
	if (mm_test_node_init(&tn, bytes, 2UL << 20, 4UL << 20,
			      no_watermarks)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	pgdat_pcp_enable(&tn.pgdat, mm_this_cpu() + 1); /* up to this CPU */
	return true;
}

static bool setup(struct ktest *t, bool no_watermarks)
{
	return setup_size(t, ARENA, no_watermarks);
}

static struct zone *normal(void)
{
	return &tn.pgdat.node_zones[ZONE_NORMAL];
}

static struct per_cpu_pages *my_list(void)
{
	return &normal()->pcp[mm_this_cpu()];
}

static void test_frames_go_through_the_list(struct ktest *t)
{
	uint64_t got[NFRAMES];
	if (!setup(t, true))
		return;
	KTEST_ASSERT_TRUE(t, mm_this_cpu() < MM_MAX_CPUS);
	KTEST_ASSERT_TRUE(t, my_list()->batch >= 1);
	KTEST_ASSERT_TRUE(t, my_list()->high < NFRAMES);
	uint64_t free_start = normal()->free_pages;

	for (int i = 0; i < NFRAMES; i++) {
		got[i] = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
		KTEST_ASSERT_TRUE(t, got[i] != 0);
	}
	/* The zone gave whole batches: never fewer frames than handed out. */
	KTEST_EXPECT_GE(t, free_start - normal()->free_pages, NFRAMES);
	KTEST_EXPECT_GE(t, my_list()->refills, 1);
	uint64_t zone_free = normal()->free_pages;
	pgdat_free_pages(&tn.pgdat, got[0], 0);
	/* One free is parked on the list: the zone's count does not move. */
	KTEST_EXPECT_EQ(t, normal()->free_pages, zone_free);
	KTEST_EXPECT_GE(t, my_list()->count, 1);
	for (int i = 1; i < NFRAMES; i++)
		pgdat_free_pages(&tn.pgdat, got[i], 0);
	KTEST_EXPECT_LE(t, my_list()->count, my_list()->high);
	KTEST_EXPECT_GE(t, my_list()->drains, 1);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);

	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, my_list()->count, 0);
	KTEST_EXPECT_EQ(t, normal()->free_pages, free_start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void test_parked_frame_free_refused(struct ktest *t)
{
	int saved = console_loglevel;
	if (!setup(t, true))
		return;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 0), 0);
	uint64_t parked = my_list()->count, zone_free = normal()->free_pages;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 0), -1);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(log, "already free (parked in a per-CPU cache"));
	KTEST_EXPECT_EQ(t, my_list()->count, parked);
	KTEST_EXPECT_EQ(t, normal()->free_pages, zone_free);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* Takes single frames with `gfp` until it fails; chains them through the
 * frames so they can be given back. Returns how many. */
static uint64_t take_all(gfp_t gfp, uint64_t *chain)
{
	return mm_test_take_all(&tn.pgdat, gfp, chain);
}

static void give_back(uint64_t chain)
{
	mm_test_give_back(&tn.pgdat, chain);
}

/* Lowest free - floor over the zones, where the floor is min for a request
 * that may not use the reserve and 3/8 of min for GFP_ATOMIC. */
static int64_t lowest_margin(bool atomic)
{
	int64_t lowest = INT64_MAX;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &tn.pgdat.node_zones[z];
		uint64_t min = zone->watermark[WMARK_MIN];
		uint64_t floor = atomic ? min - min / 2 - min / 8 : min;
		if (zone->managed_pages &&
		    (int64_t)(zone->free_pages - floor) < lowest)
			lowest = (int64_t)(zone->free_pages - floor);
	}
	return lowest;
}

/* take_all(), checking the floors after every single frame: a refill may
 * not overshoot a floor even for as long as the frames sit on the list
 * (running dry later drains them back, which would hide it). */
static uint64_t take_all_watching(gfp_t gfp, bool atomic, uint64_t *chain,
				  int64_t *lowest)
{
	uint64_t n = 0, p;
	while ((p = pgdat_alloc_pages(&tn.pgdat, gfp | __GFP_NOWARN, 0))) {
		*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, p) = *chain;
		*chain = p;
		n++;
		int64_t m = lowest_margin(atomic);
		if (m < *lowest)
			*lowest = m;
	}
	return n;
}

/*
 * With real watermarks: GFP_KERNEL stops at min in every zone, GFP_NOWAIT
 * then fails even though this CPU may still hold parked frames, and
 * GFP_ATOMIC goes on down to its floor and no further: a refill never
 * takes a zone below the floor of the request that triggered it.
 */
static void reserve_holds(struct ktest *t, size_t bytes)
{
	uint64_t kernel_chain = 0, atomic_chain = 0;
	int64_t kernel_low = INT64_MAX, atomic_low = INT64_MAX;
	if (!setup_size(t, bytes, false))
		return;
	ktest_diag(t, "%lu MiB node: batch %u, high %u", bytes >> 20,
		   my_list()->batch, my_list()->high);
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	uint64_t taken =
	    take_all_watching(GFP_KERNEL, false, &kernel_chain, &kernel_low);
	KTEST_EXPECT_GT(t, taken, 0);
	KTEST_EXPECT_TRUE(t, kernel_low >= 0); /* signed: not _GE */
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages(&tn.pgdat, GFP_NOWAIT | __GFP_NOWARN,
					  0),
			0);
	uint64_t atomic =
	    take_all_watching(GFP_ATOMIC, true, &atomic_chain, &atomic_low);
	KTEST_EXPECT_GT(t, atomic, 0);
	KTEST_EXPECT_TRUE(t, atomic_low >= 0);
	ktest_diag(t, "kernel took %lu, atomic %lu more, drain retries %lu",
		   taken, atomic, tn.pgdat.pcp_drain_retries);
	give_back(atomic_chain);
	give_back(kernel_chain);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* The fast path (pcp_alloc_fast) serves __GFP_ZERO itself: the frame
 * freed last comes back from the list, and zeroed. */
static void test_fast_path_zeroes(struct ktest *t)
{
	if (!setup(t, true))
		return;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	memset(pgdat_phys_to_virt(&tn.pgdat, a), 0x5a, PAGE_SIZE);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 0), 0);
	uint64_t parked = my_list()->count;
	uint64_t b = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL | __GFP_ZERO, 0);
	KTEST_EXPECT_EQ(t, b, a); /* the hottest frame */
	KTEST_EXPECT_EQ(t, my_list()->count, parked - 1);
	const uint8_t *v = pgdat_phys_to_virt(&tn.pgdat, b);
	uint64_t nonzero = 0;
	for (uint64_t i = 0; i < PAGE_SIZE; i++)
		nonzero += v[i] != 0;
	KTEST_EXPECT_EQ(t, nonzero, 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, b, 0), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void test_reserve_holds_with_frames_parked(struct ktest *t)
{
	reserve_holds(t, ARENA);
}

/* The same with batches of several frames (128 MiB: batch 7), where a
 * refill that ignored the request's floor would overshoot it (chapter 05,
 * exercise 3). */
static void test_reserve_holds_with_big_batches(struct ktest *t)
{
	reserve_holds(t, 128UL << 20);
}

/* Frames parked on the list are free memory: when the zones run dry, the
 * allocator drains the lists and retries rather than fail. */
static void test_drain_and_retry_before_failing(struct ktest *t)
{
	uint64_t chain = 0;
	if (!setup(t, true))
		return;
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	/* Three frames from the Normal zone (the one with lists), kept aside
	 * while everything else is taken, then given back: parked. */
	uint64_t kept[3];
	for (int i = 0; i < 3; i++)
		kept[i] = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	take_all(GFP_KERNEL, &chain);
	for (int i = 0; i < 3; i++)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, kept[i], 0), 0);
	KTEST_EXPECT_GE(t, my_list()->count, 3);
	/* The zones are empty; only the parked frames are left. */
	uint64_t retries = tn.pgdat.pcp_drain_retries;
	uint64_t p = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_EXPECT_NE(t, p, 0);
	if (p) {
		*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, p) = chain;
		chain = p;
	}
	KTEST_EXPECT_EQ(t, my_list()->count, 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.pcp_drain_retries, retries + 1);
	/* The other two are there too, and then nothing. */
	KTEST_EXPECT_EQ(t, take_all(GFP_KERNEL, &chain), 2);
	give_back(chain);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* page_poison: a frame written after its owner freed it onto a list is
 * reported when it is next handed out, even when a drain has moved it
 * back to the zone meanwhile (fuzz_alloc found the drain poisoning it
 * again, which wiped the evidence). */
static void test_poison_survives_a_drain(struct ktest *t)
{
	uint64_t chain = 0;
	if (!setup(t, true))
		return;
	pgdat_set_page_poison(&tn.pgdat, true);
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	uint64_t p = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, p != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, p, 0), 0);
	KTEST_EXPECT_GE(t, my_list()->count, 1);
	((uint8_t *)pgdat_phys_to_virt(&tn.pgdat, p))[100] = 0x11;
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, my_list()->count, 0);
	uint64_t errors = tn.pgdat.poison_errors;
	printk_capture_start(log, sizeof(log));
	take_all(GFP_KERNEL, &chain); /* p among them, reported once */
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, tn.pgdat.poison_errors, errors + 1);
	give_back(chain);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case pcp_cases[] = {
	KTEST_CASE(test_frames_go_through_the_list),
	KTEST_CASE(test_parked_frame_free_refused),
	KTEST_CASE(test_fast_path_zeroes),
	KTEST_CASE(test_reserve_holds_with_frames_parked),
	KTEST_CASE(test_reserve_holds_with_big_batches),
	KTEST_CASE(test_drain_and_retry_before_failing),
	KTEST_CASE(test_poison_survives_a_drain),
	{ 0 },
};
KTEST_SUITE(mm_pcp, pcp_cases);
