/*
 * Where compaction puts the pages it moves (mm/compaction_free.c), on
 * small test nodes whose pageblocks the cases lay out one by one: free
 * frames in pageblocks that cannot be the block, now or ever, are taken
 * before those the free scanner meets from the top. Host and target.
 * docs/10b-compaction-measured.md ("Free frames below the migrate
 * scanner").
 */
#include "mm/compaction.h"
#include "mm/internal.h"
#include "tests/support/movable_test_owner.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define SMALL_ARENA (8UL << 20)
#define SLOTS (SMALL_ARENA / PAGE_SIZE)
#define QUIET_KERNEL (GFP_KERNEL | __GFP_NOWARN)
/* The handle table, in an arena of its own as mm_compaction's. */
#define TABLE_BYTES (4UL << 20)
_Static_assert(SLOTS * sizeof(struct mto_slot) <= TABLE_BYTES,
	       "the handle table fits its arena");

static struct movable_test_owner mto;
static struct mto_slot *slots;
static uint64_t table_phys;

/*
 * Free frames in a pageblock that can never be a block are the best place
 * for the pages moved (compaction_free.c, pageblock_hopeless). An 8 MiB node of
 * four pageblocks whose first MiB is not RAM: pageblock 0 is half a hole,
 * its other half 16 movable pages and 240 free frames. The three others
 * hold movable pages with 7 frames in 32 free. Emptying the lowest
 * of them takes 400 frames; above it there are 224, so the two scanners
 * alone meet with it half full, even at sync full (Linux's too). With the
 * free frames of pageblock 0 it empties, at sync light. It needs two
 * fixes of the scanners too, each of which fails it when planted back:
 * the free scanner starts at the pageblock holding the zone's last frame
 * (pageblock 3 here ends a frame short, the node's metadata), and a
 * migrate scanner that has just finished a pageblock leaves the one above
 * it to the free scanner until the last pages are moved. The 16 pages
 * left in pageblock 0 must stay: moving them would only spend free frames.
 * `resume`: the migrate scanner's cached position, 0 for a fresh start.
 */
static struct pglist_data node;
static void *arena;
static uint64_t base;

/* A node of four pageblocks (8 MiB) whose RAM starts `hole` bytes in, the
 * first `dma` bytes ZONE_DMA and the rest ZONE_DMA32 (all of it Normal when
 * dma is 0), filled with movable pages of the test owner as far as the
 * allocator goes: the number of them, or -1 (the case has failed or been
 * skipped). small_node_done() takes it down. */
static int small_node(struct ktest *t, uint64_t hole, uint64_t dma)
{
	static struct memmap_range usable[1];
	arena = mm_test_arena(SMALL_ARENA, &base);
	if (!arena) {
		ktest_skip(t, "no test arena on this platform");
		return -1;
	}
	slots = mm_test_arena(TABLE_BYTES, &table_phys);
	usable[0] =
	    (struct memmap_range){ base + hole, base + SMALL_ARENA, 7, 0 };
	if (!slots ||
	    mm_test_pgdat_over(&node, arena, base, usable, 1, base + dma,
			       dma ? base + SMALL_ARENA : base) ||
	    (memset(slots, 0, SLOTS * sizeof(struct mto_slot)),
	     mto_init_table(&mto, &node, 0x401e, slots, SLOTS, false))) {
		ktest_fail(t, __FILE__, __LINE__, "no node over the layout");
		if (slots)
			mm_test_arena_free(slots, TABLE_BYTES);
		mm_test_arena_free(arena, SMALL_ARENA);
		return -1;
	}
	int n = 0;
	while (n < (int)SLOTS &&
	       mto_alloc_handle(&mto, n, GFP_NOWAIT | __GFP_NOWARN) >= 0)
		n++;
	return n;
}

static void small_node_done(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, mto_destroy(&mto), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	mm_test_arena_free(slots, TABLE_BYTES);
	mm_test_arena_free(arena, SMALL_ARENA);
}

static const char *result_name(enum compact_result r)
{
	return r == COMPACT_SUCCESS    ? "success"
	       : r == COMPACT_COMPLETE ? "scanners met"
				       : "skipped";
}

/* One sync light run for an order-9 block: both cases expect it made in
 * pageblock 1 by moving that pageblock's 400 pages and no others. The
 * block is freed again. */
static void sync_light_empties_pageblock_1(struct ktest *t, struct zone *z,
					   uint64_t pb0)
{
	enum compact_result r =
	    compact_zone_order(&node, z, 9, QUIET_KERNEL, ZONE_NORMAL,
			       COMPACT_PRIO_SYNC_LIGHT);
	uint64_t b = pgdat_alloc_pages(&node, GFP_NOWAIT | __GFP_NOWARN, 9);
	ktest_diag(t, "sync light: %s, order-9 block %s, %llu pages moved",
		   result_name(r), b ? "made" : "none",
		   (unsigned long long)node.migrate.pgmigrate_success);
	/* The run may end with the scanners met in the batch that emptied
	 * the pageblock (Linux's order of tests too): the block is there. */
	KTEST_EXPECT_TRUE(t, r == COMPACT_SUCCESS || r == COMPACT_COMPLETE);
	KTEST_EXPECT_EQ(t, (b >> PAGE_SHIFT) - pb0, PAGEBLOCK_PAGES);
	KTEST_EXPECT_EQ(t, node.migrate.pgmigrate_success, 400);
	if (b)
		pgdat_free_pages(&node, b, 9);
}

static void hole_pageblock_case(struct ktest *t, uint64_t resume)
{
	int n = small_node(t, 1UL << 20, 0);
	if (n < 0)
		return;
	struct zone *z = &node.node_zones[ZONE_NORMAL];
	uint64_t pb0 = base >> PAGE_SHIFT;
	uint64_t freed[4] = { 0 };
	for (int h = 0; h < n; h++) {
		uint64_t pfn = mto_pfn(&mto, h), pb = (pfn - pb0) >> 9;
		if ((pb == 0 && pfn % 16) || (pb > 0 && pfn % 32 < 7)) {
			KTEST_EXPECT_EQ(t, mto_free(&mto, h), 0);
			freed[pb < 4 ? pb : 3]++;
		}
	}
	ktest_diag(t,
		   "%d movable pages; freed per pageblock %llu %llu %llu %llu; "
		   "zone free %llu",
		   n, (unsigned long long)freed[0],
		   (unsigned long long)freed[1], (unsigned long long)freed[2],
		   (unsigned long long)freed[3],
		   (unsigned long long)z->free_pages);
	KTEST_EXPECT_EQ(t, freed[1] + freed[2] + freed[3], 3 * 112);
	KTEST_EXPECT_GE(t, freed[0], 400 - 224);
	z->compact_cached_migrate_pfn = resume ? pb0 + resume : 0;
	sync_light_empties_pageblock_1(t, z, pb0);
	small_node_done(t);
}

static void test_hole_pageblock_takes_moved_pages(struct ktest *t)
{
	hole_pageblock_case(t, 0);
}

/* As if a run for a smaller order had stopped inside pageblock 0: a run
 * for a block goes on from pageblock 1, leaving pageblock 0's pages. */
static void test_hole_pageblock_resumed_inside(struct ktest *t)
{
	hole_pageblock_case(t, 300);
}

/*
 * The same for a pageblock that cannot be the block now: one page in it
 * cannot move (its owner has it busy). Pageblock 0 holds that page and
 * 384 free frames (three in four); pageblocks 1 and 2 hold movable pages
 * with 7 frames in 32 free, pageblock 3 is full (and a frame short, the
 * node's metadata). The migrate scanner passes pageblock 0 and takes the
 * 400 pages of pageblock 1; above it the free scanner finds 112 free
 * frames, so without pageblock 0's the scanners meet with the block
 * unmade (Linux's scanners too). With them it is made, at sync light,
 * the busy page has not moved, and pageblock 0 has taken the moved pages
 * the 112 frames above could not. `resume` starts the migrate scanner at
 * pageblock 1, as if an earlier run had passed pageblock 0.
 */
static void stuck_pageblock_case(struct ktest *t, bool resume)
{
	int n = small_node(t, 0, 0);
	if (n < 0)
		return;
	struct zone *z = &node.node_zones[ZONE_NORMAL];
	uint64_t pb0 = base >> PAGE_SHIFT, freed[4] = { 0 };
	int busy = -1;
	for (int h = 0; h < n; h++) {
		uint64_t pfn = mto_pfn(&mto, h), pb = (pfn - pb0) >> 9;
		bool free_it = pb == 0	? pfn % 4 != 0
			       : pb < 3 ? pfn % 32 < 7
					: false;
		if (free_it) {
			KTEST_EXPECT_EQ(t, mto_free(&mto, h), 0);
			freed[pb]++;
		} else if (pb == 0 && busy < 0) {
			busy = h;
		}
	}
	KTEST_ASSERT_TRUE(t, busy >= 0);
	uint64_t busy_pfn = mto_pfn(&mto, busy);
	mto_set_busy(&mto, busy, true);
	ktest_diag(t,
		   "%d movable pages; freed per pageblock %llu %llu %llu %llu; "
		   "zone free %llu, min %llu",
		   n, (unsigned long long)freed[0],
		   (unsigned long long)freed[1], (unsigned long long)freed[2],
		   (unsigned long long)freed[3],
		   (unsigned long long)z->free_pages,
		   (unsigned long long)z->watermark[WMARK_MIN]);
	KTEST_EXPECT_EQ(t, freed[0], 384);
	KTEST_EXPECT_EQ(t, freed[1] + freed[2], 2 * 112);
	z->compact_cached_migrate_pfn = resume ? pb0 + PAGEBLOCK_PAGES : 0;
	sync_light_empties_pageblock_1(t, z, pb0);
	KTEST_EXPECT_EQ(t, mto_pfn(&mto, busy), busy_pfn);
	uint64_t in_pb0 = 0;
	for (int h = 0; h < n; h++)
		in_pb0 += mto_pfn(&mto, h) && mto_pfn(&mto, h) - pb0 < 512;
	ktest_diag(t, "pageblock 0 holds %llu movable pages (128 before)",
		   (unsigned long long)in_pb0);
	KTEST_EXPECT_GE(t, in_pb0, 128 + 400 - 112);
	mto_set_busy(&mto, busy, false);
	small_node_done(t);
}

static void test_stuck_pageblock_takes_moved_pages(struct ktest *t)
{
	stuck_pageblock_case(t, false);
}

/* An earlier run passed pageblock 0: this one, starting above it, still
 * finds its free frames (isolate_stuck_freepages looks below where the
 * run started). */
static void test_stuck_pageblock_found_when_resumed(struct ktest *t)
{
	stuck_pageblock_case(t, true);
}

/* One sync light run of DMA32 for an order-9 block, then a request for
 * one (its address in *b, or 0). */
static enum compact_result dma32_sync_light(struct zone *dma32, uint64_t *b)
{
	enum compact_result r =
	    compact_zone_order(&node, dma32, 9, QUIET_KERNEL, ZONE_DMA32,
			       COMPACT_PRIO_SYNC_LIGHT);
	*b = pgdat_alloc_pages(&node, GFP_NOWAIT | __GFP_NOWARN, 9);
	return r;
}

/*
 * A spill (compaction.c, compact_zone_spill): the node's lower two
 * pageblocks are DMA, the upper two DMA32, all movable pages with every
 * other one freed. DMA32's min is set to 100, so its 512 free frames are
 * 101 short of a block above min however they lay; DMA's protection from
 * requests of the zones above is set to `floor`. With 200, DMA has 311 to
 * spare (a spill leaves a frame over the floor): a
 * sync light run for DMA32 moves the 256 pages of pageblock 2 (pageblock 3
 * holds the node's metadata) into DMA and the block is DMA32's; every page
 * reads as stamped, and a second block is refused, DMA having 55 to spare.
 * With 300 (211 to spare) the run starts but must stop at DMA's floor with
 * pageblock 2 not yet empty: no block. With compaction_spill off nothing
 * moves and there is no block. With dma_whole, DMA's free frames are
 * pageblock 0, one free order-9 block, and pageblock 1 is full.
 */
static void spill_case(struct ktest *t, bool spill, uint64_t floor,
		       bool dma_whole)
{
	int n = small_node(t, 0, 4UL << 20);
	if (n < 0)
		return;
	struct zone *dma = &node.node_zones[ZONE_DMA],
		    *dma32 = &node.node_zones[ZONE_DMA32];
	uint64_t pb0 = base >> PAGE_SHIFT;
	for (int h = 0; h < n; h++) {
		uint64_t pfn = mto_pfn(&mto, h);
		bool free_it = dma_whole && pfn < pb0 + 1024
				   ? pfn < pb0 + PAGEBLOCK_PAGES
				   : pfn % 2 == 0;
		if (free_it)
			KTEST_EXPECT_EQ(t, mto_free(&mto, h), 0);
	}
	dma32->watermark[WMARK_MIN] = 100;
	for (int j = ZONE_DMA32; j < MAX_NR_ZONES; j++)
		dma->lowmem_reserve[j] = floor;
	node.compaction_spill_off = !spill;
	uint64_t dma_free = dma->free_pages;
	ktest_diag(t, "%d movable pages; free: DMA %llu, DMA32 %llu", n,
		   (unsigned long long)dma_free,
		   (unsigned long long)dma32->free_pages);
	KTEST_EXPECT_EQ(t, dma_free, 512);
	KTEST_EXPECT_EQ(t, dma32->free_pages, 512);
	KTEST_EXPECT_EQ(t, compaction_shortfall(dma32, 9, ZONE_DMA32), 101);
	uint64_t b;
	enum compact_result r = dma32_sync_light(dma32, &b);
	uint64_t moved = node.migrate.pgmigrate_success, in_dma = 0, bad = 0;
	ktest_diag(t,
		   "sync light: %s, order-9 block %s, %llu pages moved, %llu "
		   "into DMA; DMA free %llu (floor %llu)",
		   result_name(r), b ? "made" : "none",
		   (unsigned long long)moved,
		   (unsigned long long)node.compact.compact_spill_moved,
		   (unsigned long long)dma->free_pages,
		   (unsigned long long)floor);
	for (int h = 0; h < n; h++) {
		bad += mto_pfn(&mto, h) && !mto_verify(&mto, h);
		in_dma += mto_pfn(&mto, h) && mto_pfn(&mto, h) < pb0 + 1024;
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, node.compact.compact_spill_moved, moved);
	KTEST_EXPECT_EQ(t, in_dma, 512 + moved);
	KTEST_EXPECT_EQ(t, dma->free_pages, dma_free - moved);
	KTEST_EXPECT_GT(t, dma->free_pages, floor);
	if (!spill) {
		KTEST_EXPECT_EQ(t, r, COMPACT_SKIPPED);
		KTEST_EXPECT_EQ(t, moved, 0);
	} else if (floor > 256) {
		KTEST_EXPECT_EQ(t, r, COMPACT_COMPLETE);
		KTEST_EXPECT_EQ(t, moved, 512 - floor - 1);
	} else {
		KTEST_EXPECT_EQ(t, r, COMPACT_SUCCESS);
		KTEST_EXPECT_EQ(t, (b >> PAGE_SHIFT) - pb0,
				2 * PAGEBLOCK_PAGES);
		KTEST_EXPECT_EQ(t, moved, 256);
		KTEST_EXPECT_EQ(t, node.compact.compact_spills, 1);
		KTEST_EXPECT_EQ(t,
				compact_zone_order(&node, dma32, 9,
						   QUIET_KERNEL, ZONE_DMA32,
						   COMPACT_PRIO_SYNC_LIGHT),
				COMPACT_SKIPPED);
		KTEST_EXPECT_EQ(t, node.migrate.pgmigrate_success, 256);
	}
	KTEST_EXPECT_EQ(t, b != 0, spill && floor <= 256);
	if (b)
		pgdat_free_pages(&node, b, 9);
	small_node_done(t);
}

static void test_spill_into_the_zone_below(struct ktest *t)
{
	spill_case(t, true, 200, false);
}

/* DMA's free frames are one order-9 block (pageblock 0 free, 1 full),
 * bigger than what DMA may give: the spill splits it and takes what it
 * needs (taking free blocks whole, it moved nothing). */
static void test_spill_splits_a_big_free_block(struct ktest *t)
{
	spill_case(t, true, 200, true);
}

static void test_spill_stops_at_the_floor(struct ktest *t)
{
	spill_case(t, true, 300, false);
}

static void test_spill_off_leaves_the_zone_short(struct ktest *t)
{
	spill_case(t, false, 200, false);
}

/*
 * A run that starts where the last one left its scanners all but met
 * (the migrate scanner in pageblock 1, the free scanner at pageblock 2)
 * starts over at both ends. Every other frame of the four pageblocks is
 * free, so pageblock 0's 256 pages fit in pageblock 3's free frames. From
 * the cached places, a run scanned one frame and "completed" with no
 * block (found at 48 MiB on target: the request failed and deferred
 * compaction untried); now it empties pageblock 0.
 */
static void test_scanners_that_met_start_over(struct ktest *t)
{
	int n = small_node(t, 0, 0);
	if (n < 0)
		return;
	struct zone *z = &node.node_zones[ZONE_NORMAL];
	uint64_t pb0 = base >> PAGE_SHIFT;
	for (int h = 0; h < n; h++)
		if (mto_pfn(&mto, h) % 2)
			KTEST_EXPECT_EQ(t, mto_free(&mto, h), 0);
	z->compact_cached_migrate_pfn = pb0 + 2 * PAGEBLOCK_PAGES - 1;
	z->compact_cached_free_pfn = pb0 + 2 * PAGEBLOCK_PAGES;
	z->compact_cached_hopeless_pfn = pb0 + 2 * PAGEBLOCK_PAGES;
	enum compact_result r =
	    compact_zone_order(&node, z, 9, QUIET_KERNEL, ZONE_NORMAL,
			       COMPACT_PRIO_SYNC_LIGHT);
	uint64_t b = pgdat_alloc_pages(&node, GFP_NOWAIT | __GFP_NOWARN, 9);
	ktest_diag(t,
		   "sync light from met scanners: %s, block %s, %llu pages moved",
		   result_name(r), b ? "made" : "none",
		   (unsigned long long)node.migrate.pgmigrate_success);
	KTEST_EXPECT_TRUE(t, r == COMPACT_SUCCESS || r == COMPACT_COMPLETE);
	KTEST_EXPECT_EQ(t, b >> PAGE_SHIFT, pb0);
	KTEST_EXPECT_EQ(t, node.migrate.pgmigrate_success, 256);
	if (b)
		pgdat_free_pages(&node, b, 9);
	small_node_done(t);
}

/*
 * A spill after a whole-zone run. DMA32 (pageblocks 2 and 3) is not short,
 * but its sync light run cannot make a block: pageblock 2 holds 64 movable
 * pages and 448 free frames, and the only other free frames (pageblock 3,
 * every other one) are in a pageblock made unmovable, where sync light
 * puts no pages. The run meets its scanners; then it spills pageblock 2's
 * 64 pages into DMA, whose free frames are every other one (512), above a
 * protection of `floor`. With 200 the block is made; with 460 (51 to
 * spare) pageblock 2 is passed and nothing moves (without that test, 51
 * pages moved for nothing).
 */
static void spill_after_run_case(struct ktest *t, uint64_t floor)
{
	int n = small_node(t, 0, 4UL << 20);
	if (n < 0)
		return;
	struct zone *dma = &node.node_zones[ZONE_DMA],
		    *dma32 = &node.node_zones[ZONE_DMA32];
	uint64_t pb0 = base >> PAGE_SHIFT, pb2 = pb0 + 2 * PAGEBLOCK_PAGES,
		 pb3 = pb2 + PAGEBLOCK_PAGES;
	for (int h = 0; h < n; h++) {
		uint64_t pfn = mto_pfn(&mto, h);
		if (pfn >= pb2 && pfn < pb3 ? (pfn - pb2) % 8 != 0 : pfn % 2)
			KTEST_EXPECT_EQ(t, mto_free(&mto, h), 0);
	}
	unsigned long flags;
	spin_lock_irqsave(&dma32->lock, flags);
	struct mem_section *sec = pfn_to_section(&node, pb3);
	set_pageblock_migratetype(sec, pb3, MIGRATE_UNMOVABLE);
	move_freepages_block(&node, dma32, sec, pb3, MIGRATE_UNMOVABLE);
	spin_unlock_irqrestore(&dma32->lock, flags);
	dma32->watermark[WMARK_MIN] = 100;
	for (int j = ZONE_DMA32; j < MAX_NR_ZONES; j++)
		dma->lowmem_reserve[j] = floor;
	KTEST_EXPECT_EQ(t, dma->free_pages, 512);
	KTEST_EXPECT_EQ(t, compaction_shortfall(dma32, 9, ZONE_DMA32), 0);
	uint64_t b;
	enum compact_result r = dma32_sync_light(dma32, &b);
	uint64_t moved = node.migrate.pgmigrate_success;
	ktest_diag(t,
		   "DMA32 free %llu: sync light %s, block %s, %llu pages "
		   "moved, %llu into DMA (floor %llu)",
		   (unsigned long long)dma32->free_pages, result_name(r),
		   b ? "made" : "none", (unsigned long long)moved,
		   (unsigned long long)node.compact.compact_spill_moved,
		   (unsigned long long)floor);
	KTEST_EXPECT_EQ(t, node.compact.compact_spill_moved, moved);
	if (floor == 200) {
		KTEST_EXPECT_EQ(t, r, COMPACT_SUCCESS);
		KTEST_EXPECT_EQ(t, b >> PAGE_SHIFT, pb2);
		KTEST_EXPECT_EQ(t, moved, 64);
	} else {
		KTEST_EXPECT_EQ(t, r, COMPACT_COMPLETE);
		KTEST_EXPECT_EQ(t, b, 0);
		KTEST_EXPECT_EQ(t, moved, 0);
	}
	if (b)
		pgdat_free_pages(&node, b, 9);
	small_node_done(t);
}

static void test_spill_after_a_whole_zone_run(struct ktest *t)
{
	spill_after_run_case(t, 200);
}

static void test_spill_after_run_passes_what_it_cannot_take(struct ktest *t)
{
	spill_after_run_case(t, 460);
}

static struct ktest_case compaction_free_cases[] = {
	KTEST_CASE(test_hole_pageblock_takes_moved_pages),
	KTEST_CASE(test_hole_pageblock_resumed_inside),
	KTEST_CASE(test_stuck_pageblock_takes_moved_pages),
	KTEST_CASE(test_stuck_pageblock_found_when_resumed),
	KTEST_CASE(test_spill_into_the_zone_below),
	KTEST_CASE(test_spill_splits_a_big_free_block),
	KTEST_CASE(test_spill_stops_at_the_floor),
	KTEST_CASE(test_spill_off_leaves_the_zone_short),
	KTEST_CASE(test_scanners_that_met_start_over),
	KTEST_CASE(test_spill_after_a_whole_zone_run),
	KTEST_CASE(test_spill_after_run_passes_what_it_cannot_take),
	{ 0 },
};
KTEST_SUITE(mm_compaction_free, compaction_free_cases);
