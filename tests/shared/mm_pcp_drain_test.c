/*
 * Which list a per-CPU cache gives back when a free takes it past `high`
 * (mm/pcp_free.c, pcp_free_bulk): the one holding the most pages, so that a
 * short list, which the next request of its order would have to refill at
 * once, keeps its blocks. Host and target, on a test node of one zone.
 * docs/08c-per-cpu-caches.md, "Which list to drain".
 */
#include "mm/pcp.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (32UL << 20)
#define HIGH 200
#define BATCH \
	63 /* caches orders 1-3: 63 >> 3 >= PCP_BLOCKS_MIN (high 200
		  * is below PCP_ORDER4_HIGH: no order 4) */
#define SINGLES (HIGH + 1 + 64)
#define BLOCKS 24

static struct mm_test_node tn;
static uint64_t singles[SINGLES], blocks[BLOCKS];

static struct zone *normal(void)
{
	return &tn.pgdat.node_zones[ZONE_NORMAL];
}

static struct per_cpu_pages *my_cache(void)
{
	return zone_pcp(normal(), mm_this_cpu());
}

/* Pages parked as single frames, and as blocks of order 3, any type. */
static unsigned int parked_singles(void)
{
	unsigned int n = 0;
	for (int t = 0; t < MIGRATE_PCPTYPES; t++)
		n += my_cache()->nr[t];
	return n;
}

static unsigned int parked_order3(void)
{
	unsigned int n = 0;
	for (int t = 0; t < MIGRATE_PCPTYPES; t++)
		n += (unsigned int)my_cache()->hnr[3 - 1][t] << 3;
	return n;
}

/* The node, its cache sized to HIGH and BATCH, SINGLES frames and BLOCKS
 * blocks of order 3 held by the test, and the cache empty. */
static bool setup(struct ktest *t)
{
	if (mm_test_node_init_one_zone(&tn, ARENA, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	pgdat_pcp_enable(&tn.pgdat, mm_this_cpu() + 1);
	mm_test_zero_watermarks(&tn.pgdat);
	pcp_drain_local(&tn.pgdat);
	if (!tn.pgdat.pcp_enabled ||
	    pgdat_pcp_resize(&tn.pgdat, ZONE_NORMAL, BATCH, HIGH)) {
		ktest_fail(t, __FILE__, __LINE__, "no caches of %u and %u",
			   BATCH, HIGH);
		mm_test_node_destroy(&tn);
		return false;
	}
	bool all = true;
	for (int i = 0; i < SINGLES; i++)
		all &= (singles[i] =
			    pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0)) != 0;
	for (int i = 0; i < BLOCKS; i++)
		all &= (blocks[i] =
			    pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 3)) != 0;
	pcp_drain_local(&tn.pgdat);
	if (!all || my_cache()->count) {
		ktest_fail(t, __FILE__, __LINE__,
			   "the test's frames and blocks: %s, cache %u",
			   all ? "all taken" : "some missing",
			   my_cache()->count);
		mm_test_node_destroy(&tn);
		return false;
	}
	return true;
}

/* Everything back: the zone whole and consistent. */
static void finish(struct ktest *t, int singles_freed, int blocks_freed)
{
	for (int i = singles_freed; i < SINGLES; i++)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, singles[i], 0),
				0);
	for (int i = blocks_freed; i < BLOCKS; i++)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, blocks[i], 3),
				0);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* Parks the test's first nr_blocks blocks of order 3, then frees its
 * single frames one by one until one of the frees drains the cache; how
 * many frames it freed. */
static int park_blocks_then_singles(struct ktest *t, int nr_blocks)
{
	for (int i = 0; i < nr_blocks; i++)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, blocks[i], 3),
				0);
	uint64_t drains = my_cache()->drains;
	int n = 0;
	while (my_cache()->drains == drains && n < SINGLES)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, singles[n++], 0),
				0);
	ktest_diag(t,
		   "%d frames freed on top of %d blocks: %u frames and %u "
		   "pages of blocks parked",
		   n, nr_blocks, parked_singles(), parked_order3());
	return n;
}

/* Four blocks of order 3 parked, then single frames until the cache passes
 * high: the drain takes a batch of single frames, the fullest list, and
 * the four blocks stay. (Draining blocks first, as the cache once did,
 * gives back all four and 31 frames: the next order-3 request refills.) */
static void test_drain_spares_a_short_list(struct ktest *t)
{
	if (!setup(t))
		return;
	int n = park_blocks_then_singles(t, 4);
	KTEST_EXPECT_EQ(t, n, HIGH - 32 + 1);
	KTEST_EXPECT_EQ(t, parked_order3(), 32);
	KTEST_EXPECT_EQ(t, parked_singles(), (unsigned int)n - BATCH);
	KTEST_EXPECT_EQ(t, my_cache()->count, HIGH + 1 - BATCH);
	finish(t, n, 4);
}

/* The other way round: blocks hold the most pages, so a batch's worth of
 * them goes back (eight blocks of order 3, 64 pages) and the frames stay.
 * Fullest in pages, not in entries: the 41 frames outnumber the 20
 * blocks, which hold 160 pages. */
#define MANY_BLOCKS 20
static void test_drain_takes_the_fullest_list(struct ktest *t)
{
	if (!setup(t))
		return;
	int n = park_blocks_then_singles(t, MANY_BLOCKS);
	KTEST_EXPECT_EQ(t, n, HIGH - MANY_BLOCKS * 8 + 1);
	KTEST_EXPECT_EQ(t, parked_singles(), (unsigned int)n);
	KTEST_EXPECT_EQ(t, parked_order3(), MANY_BLOCKS * 8 - 64);
	finish(t, n, MANY_BLOCKS);
}

static unsigned int noted;
static void count_stretch(struct pglist_data *p, uint64_t ns)
{
	(void)p, (void)ns;
	noted++;
}

/* Parks ten order-3 blocks and 100 single frames in this CPU's cache:
 * 180 pages, for the drain cases below. */
static void park_180(struct ktest *t)
{
	for (int i = 0; i < 10; i++)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, blocks[i], 3),
				0);
	for (int i = 0; i < 100; i++)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, singles[i], 0),
				0);
	KTEST_EXPECT_EQ(t, my_cache()->count, 180);
}

/* pcp_drain_local() gives a full cache back PCP_DRAIN_CHUNK pages per
 * interrupts-off stretch (pcp_drain_local_some): each stretch gives at
 * least a chunk and at most a chunk and the rest of one block, and says
 * what is left; a drain of nothing drains nothing. */
static void test_drain_local_in_chunks(struct ktest *t)
{
	if (!setup(t))
		return;
	park_180(t);
	unsigned long flags;
	unsigned int stretches = 0, left = my_cache()->count;
	local_irq_save(flags);
	KTEST_EXPECT_EQ(t, pcp_drain_local_some(&tn.pgdat, 0), 180);
	while (left && stretches < 100) {
		unsigned int before = my_cache()->count;
		left = pcp_drain_local_some(&tn.pgdat, PCP_DRAIN_CHUNK);
		stretches++;
		KTEST_EXPECT_EQ(t, left, my_cache()->count);
		KTEST_EXPECT_LE(t, before - left, PCP_DRAIN_CHUNK + 7);
		if (left)
			KTEST_EXPECT_GE(t, before - left, PCP_DRAIN_CHUNK);
	}
	local_irq_restore(flags);
	ktest_diag(t, "180 parked pages: %u stretches", stretches);
	KTEST_EXPECT_EQ(t, left, 0);
	KTEST_EXPECT_GE(t, stretches, 180 / (PCP_DRAIN_CHUNK + 7));
	KTEST_EXPECT_LE(t, stretches, 180 / PCP_DRAIN_CHUNK + 1);
	finish(t, 100, 10);
}

/* The whole loop, as pcp_drain_local() and compaction run it: the same
 * cache empties in as many stretches, each one handed to `note`. */
static void test_drain_local_loop_in_chunks(struct ktest *t)
{
	if (!setup(t))
		return;
	park_180(t);
	noted = 0;
	pcp_drain_local_timed(&tn.pgdat, count_stretch);
	ktest_diag(t, "180 parked pages: %u stretches noted", noted);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0);
	KTEST_EXPECT_GE(t, noted, 180 / (PCP_DRAIN_CHUNK + 7));
	KTEST_EXPECT_LE(t, noted, 180 / PCP_DRAIN_CHUNK + 1);
	finish(t, 100, 10);
}

static const struct ktest_case pcp_drain_cases[] = {
	KTEST_CASE(test_drain_spares_a_short_list),
	KTEST_CASE(test_drain_takes_the_fullest_list),
	KTEST_CASE(test_drain_local_in_chunks),
	KTEST_CASE(test_drain_local_loop_in_chunks),
	{ 0 },
};
KTEST_SUITE(mm_pcp_drain, pcp_drain_cases);
