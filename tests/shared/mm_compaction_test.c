/*
 * Compaction on a test node (mm/compaction.c): the fragmentation index,
 * deferral, skip hints, and the worst case of docs/10: a zone 90% full of
 * movable single pages with every other one freed, so no free order-1
 * block exists anywhere, then 2 MiB requests until one fails; with
 * compaction nearly all of the free memory comes back as 2 MiB blocks,
 * without it nearly none. Host and target (the kernel's own node is
 * tests/target/compaction_test.c).
 * docs/10-fragmentation-and-compaction.md ("Compaction"), and
 * docs/10b-compaction-measured.md for the worst case (the cases on where
 * the moved pages go are in mm_compaction_free_test.c).
 */
#include "mm/compaction.h"
#include "mm/internal.h"
#include "mm/pcp.h"
#include "tests/support/atomic_ring.h"
#include "tests/support/movable_test_owner.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (128UL << 20)
#define SLOTS (ARENA / PAGE_SIZE)
#define QUIET_KERNEL (GFP_KERNEL | __GFP_NOWARN)

static struct mm_test_node tn;
static struct movable_test_owner mto;
/* The handle table, in an arena of its own (512 KiB: too big for the
 * kernel image's .bss, which the 48 MiB boots must load). */
#define TABLE_BYTES (4UL << 20)
_Static_assert(SLOTS * sizeof(struct mto_slot) <= TABLE_BYTES,
	       "the handle table fits its arena");
static struct mto_slot *slots;
static uint64_t table_phys;

static struct zone *normal(void)
{
	return &tn.pgdat.node_zones[ZONE_NORMAL];
}

static bool setup(struct ktest *t, size_t bytes)
{
	if (mm_test_node_init_one_zone(&tn, bytes, 256)) {
		ktest_skip(t, "no test arena of this size on this platform");
		return false;
	}
	slots = mm_test_arena(TABLE_BYTES, &table_phys);
	if (!slots) {
		mm_test_node_destroy(&tn);
		ktest_skip(t, "no arena for the handle table");
		return false;
	}
	memset(slots, 0, SLOTS * sizeof(struct mto_slot));
	if (mto_init_table(&mto, &tn.pgdat, 0x5eed, slots, SLOTS, false)) {
		mm_test_node_destroy(&tn);
		mm_test_arena_free(slots, TABLE_BYTES);
		ktest_fail(t, __FILE__, __LINE__,
			   "the test owner could not register");
		return false;
	}
	return true;
}

static uint64_t teardown(struct ktest *t)
{
	uint64_t bad = mto_destroy(&mto);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
	mm_test_arena_free(slots, TABLE_BYTES);
	return bad;
}

/* Fills the zone with movable pages as far as the allocator goes without
 * reclaim (90% and more of it), then frees every other one: free memory in
 * single frames only, no free order-1 block anywhere. Returns handles
 * used. */
static int fragment(struct ktest *t)
{
	int n = 0;
	while (n < (int)SLOTS &&
	       mto_alloc_handle(&mto, n, GFP_NOWAIT | __GFP_NOWARN) >= 0)
		n++;
	for (int h = 0; h < n; h += 2)
		KTEST_EXPECT_EQ(t, mto_free(&mto, h), 0);
	return n;
}

static void test_fragmentation_index(struct ktest *t)
{
	if (!setup(t, 16UL << 20))
		return;
	struct zone *z = normal();
	/* Whole blocks free: the request would succeed. */
	KTEST_EXPECT_EQ(t, fragmentation_index(z, 9), -1000);
	fragment(t);
	/* Thousands of single frames and no order-9 block: fragmentation. */
	int index = fragmentation_index(z, 9);
	ktest_diag(t, "fragmentation index of order 9: %d (free %llu)", index,
		   (unsigned long long)z->free_pages);
	KTEST_EXPECT_GT(t, index, 900);
	KTEST_EXPECT_GE(t, extfrag_for_order(z, 9), 99);
	KTEST_EXPECT_EQ(t, compaction_suitable(&tn.pgdat, z, 9, ZONE_NORMAL),
			COMPACT_CONTINUE);
	/* Above the threshold's reach, the answer is "reclaim". */
	tn.pgdat.extfrag_threshold = 1000;
	KTEST_EXPECT_EQ(t, compaction_suitable(&tn.pgdat, z, 9, ZONE_NORMAL),
			COMPACT_NOT_SUITABLE);
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

/* A request for a block past the costly orders that the slow path would
 * serve at `min`: compaction runs for it when the zone has a block's
 * worth above `min`, not only above `low` (Linux's rule, which left such
 * zones uncompacted: 48 MiB boots got 6 of 7 reachable blocks in half the
 * runs). docs/10-fragmentation-and-compaction.md ("When to compact"). */
static void test_compacts_down_to_min(struct ktest *t)
{
	if (!setup(t, 16UL << 20))
		return;
	struct zone *z = normal();
	fragment(t);
	uint64_t free = z->free_pages;
	/* A block's worth and a little above min, a little short of low. */
	z->watermark[WMARK_MIN] = free - 512 - 16;
	z->watermark[WMARK_LOW] = free - 512 + 16;
	z->watermark[WMARK_HIGH] = free - 512 + 32;
	KTEST_EXPECT_EQ(t, compaction_suitable(&tn.pgdat, z, 9, ZONE_NORMAL),
			COMPACT_CONTINUE);
	KTEST_EXPECT_EQ(t,
			compact_zone_order(&tn.pgdat, z, 9, QUIET_KERNEL,
					   ZONE_NORMAL,
					   COMPACT_PRIO_SYNC_LIGHT),
			COMPACT_SUCCESS);
	/* The block is there for the slow path, which allocates at min. */
	KTEST_EXPECT_TRUE(t, zone_watermark_ok(z, 9, z->watermark[WMARK_MIN],
					       ZONE_NORMAL, 0, z->free_pages));
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

/* Movable pages of the handle table in pageblock pb. */
static int movable_pages_in(int n, uint64_t pb)
{
	int in = 0;
	for (int h = 0; h < n; h++)
		if (mto_pfn(&mto, h) &&
		    mto_pfn(&mto, h) >> PAGEBLOCK_ORDER == pb)
			in++;
	return in;
}

/* The slow path's cheap async try for a request that is not movable takes
 * pages out of the pageblocks of its own kind, where movable pages fell
 * back into when memory was full (Linux's rule for direct async runs): the
 * block it makes is one of them, and no movable pageblock is claimed. */
static void test_async_empties_the_requests_kind(struct ktest *t)
{
	if (!setup(t, 16UL << 20))
		return;
	struct pglist_data *p = &tn.pgdat;
	/* The first unmovable page claims a whole pageblock, and 299 more
	 * fill more than half of it (so that movable pages falling back
	 * into its rest cannot claim it back)... */
	static uint64_t kernel_pages[300];
	for (int i = 0; i < 300; i++)
		kernel_pages[i] = pgdat_alloc_pages(p, QUIET_KERNEL, 0);
	uint64_t u = kernel_pages[0];
	KTEST_ASSERT_TRUE(t, u != 0);
	uint64_t pb = u >> (PAGE_SHIFT + PAGEBLOCK_ORDER);
	struct mem_section *sec = pfn_to_section(p, u >> PAGE_SHIFT);
	KTEST_EXPECT_EQ(t, pageblock_migratetype(sec, u >> PAGE_SHIFT),
			MIGRATE_UNMOVABLE);
	/* ...movable pages fill the rest once theirs are full, and the
	 * kernel's pages go. */
	int n = fragment(t);
	for (int i = 0; i < 300; i++)
		if (kernel_pages[i])
			pgdat_free_pages(p, kernel_pages[i], 0);
	pcp_drain_local(p); /* (the frees were parked) */
	int before = movable_pages_in(n, pb);
	enum compact_result r =
	    try_to_compact_pages(p, QUIET_KERNEL, 9, ZONE_NORMAL,
				 COMPACT_PRIO_ASYNC);
	int after = movable_pages_in(n, pb);
	/* The request's block: that pageblock, still the kernel's kind. */
	uint64_t block = pgdat_alloc_pages(p, QUIET_KERNEL, 9);
	ktest_diag(
	    t,
	    "unmovable pageblock: %d movable pages before the async run, %d after (result %d); the block %s",
	    before, after, r,
	    block >> (PAGE_SHIFT + PAGEBLOCK_ORDER) == pb ? "is there"
							  : "is not");
	KTEST_EXPECT_GT(t, before, 0);
	KTEST_EXPECT_EQ(t, after, 0);
	KTEST_EXPECT_EQ(t, block >> (PAGE_SHIFT + PAGEBLOCK_ORDER), pb);
	KTEST_EXPECT_EQ(t, pageblock_migratetype(sec, u >> PAGE_SHIFT),
			MIGRATE_UNMOVABLE);
	if (block)
		pgdat_free_pages(p, block, 9);
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

static void test_deferral(struct ktest *t)
{
	if (!setup(t, 16UL << 20))
		return;
	struct zone *z = normal();
	KTEST_EXPECT_FALSE(t, compaction_deferred(z, 9));
	defer_compaction(z, 9);
	defer_compaction(z, 9); /* shift 2: skip 3 of the next 4 */
	KTEST_EXPECT_EQ(t, z->compact_defer_shift, 2);
	int skipped = 0;
	for (int i = 0; i < 4; i++)
		skipped += compaction_deferred(z, 9);
	KTEST_EXPECT_EQ(t, skipped, 3);
	/* Lower orders than the failed one are never deferred. */
	KTEST_EXPECT_FALSE(t, compaction_deferred(z, 8));
	for (int i = 0; i < 10; i++)
		defer_compaction(z, 9);
	KTEST_EXPECT_EQ(t, z->compact_defer_shift, COMPACT_MAX_DEFER_SHIFT);
	compaction_defer_reset(z, 9, true);
	KTEST_EXPECT_EQ(t, z->compact_defer_shift, 0);
	KTEST_EXPECT_FALSE(t, compaction_deferred(z, 9));

	/* The same through try_to_compact_pages: with every movable page
	 * busy a sync light run meets its scanners blockless and defers the
	 * zone (shift 1), so the next request skips it without scanning;
	 * the one after runs again. Sync full ignores deferral. */
	struct pglist_data *p = &tn.pgdat;
	int n = fragment(t);
	for (int h = 1; h < n; h += 2)
		mto_set_busy(&mto, h, true);
	KTEST_EXPECT_EQ(t,
			try_to_compact_pages(p, QUIET_KERNEL, 9, ZONE_NORMAL,
					     COMPACT_PRIO_SYNC_LIGHT),
			COMPACT_COMPLETE);
	KTEST_EXPECT_EQ(t, z->compact_defer_shift, 1);
	KTEST_EXPECT_EQ(t,
			try_to_compact_pages(p, QUIET_KERNEL, 9, ZONE_NORMAL,
					     COMPACT_PRIO_SYNC_LIGHT),
			COMPACT_DEFERRED);
	KTEST_EXPECT_EQ(t, p->compact.compact_deferred, 1);
	KTEST_EXPECT_EQ(t,
			try_to_compact_pages(p, QUIET_KERNEL, 9, ZONE_NORMAL,
					     COMPACT_PRIO_SYNC_LIGHT),
			COMPACT_COMPLETE);
	KTEST_EXPECT_EQ(t, p->compact.compact_deferred, 1); /* it ran */
	KTEST_EXPECT_EQ(t, z->compact_defer_shift, 2);
	for (int h = 1; h < n; h += 2)
		mto_set_busy(&mto, h, false);
	KTEST_EXPECT_EQ(t,
			try_to_compact_pages(p, QUIET_KERNEL, 9, ZONE_NORMAL,
					     COMPACT_PRIO_SYNC_FULL),
			COMPACT_SUCCESS);
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

/* The docs/10 worst case. Returns G, and fills F, P, M. */
static uint64_t compact_stress(struct ktest *t, bool compaction,
			       uint64_t *free_pages, uint64_t *possible,
			       uint64_t *migrated, uint64_t held[], int max,
			       struct atomic_ring *ring)
{
	struct pglist_data *p = &tn.pgdat;
	p->compaction_off = !compaction;
	int n = fragment(t);
	KTEST_EXPECT_GE(t, (uint64_t)n * 10, normal()->managed_pages * 9);
	*free_pages = mm_test_free_pages(p);
	*possible = *free_pages / 512;
	uint64_t moved = p->migrate.pgmigrate_success, got = 0;
	while ((int)got < max) {
		uint64_t b = pgdat_alloc_pages(p, QUIET_KERNEL, 9);
		atomic_ring_step(ring, p);
		if (!b)
			break;
		held[got++] = b;
	}
	atomic_ring_empty(ring, p);
	*migrated = p->migrate.pgmigrate_success - moved;
	return got;
}

static void test_compact_stress(struct ktest *t)
{
	static uint64_t held[ARENA >> 21];
	uint64_t f, pos, m;
	struct atomic_ring ring = { 0 };
	if (!setup(t, ARENA))
		return;
	uint64_t g =
	    compact_stress(t, true, &f, &pos, &m, held, ARENA >> 21, &ring);
	uint64_t bad = 0;
	for (int h = 1; h < (int)SLOTS; h += 2)
		if (mto_pfn(&mto, h) && !mto_verify(&mto, h))
			bad++;
	ktest_diag(
	    t,
	    "compact_stress: free_pages=%llu order9_possible=%llu order9_got=%llu migrated=%llu bad_stamps=%llu atomic_failed=%llu",
	    (unsigned long long)f, (unsigned long long)pos,
	    (unsigned long long)g, (unsigned long long)m,
	    (unsigned long long)(bad + mto.bad_stamps + ring.bad),
	    (unsigned long long)ring.failed);
	ktest_diag(t,
		   "GFP_ATOMIC blocks of orders 0..2 between the requests: "
		   "%llu, %llu failed, %llu bad stamps",
		   (unsigned long long)ring.allocs,
		   (unsigned long long)ring.failed,
		   (unsigned long long)ring.bad);
	KTEST_EXPECT_GE(t, g * 10, pos * 9);
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, ring.bad, 0);
	KTEST_EXPECT_EQ(t, ring.failed, 0);
	KTEST_EXPECT_GT(t, ring.allocs, 0);
	KTEST_EXPECT_GT(t, tn.pgdat.compact.compact_stall, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	for (uint64_t i = 0; i < g; i++)
		pgdat_free_pages(&tn.pgdat, held[i], 9);
	KTEST_EXPECT_EQ(t, teardown(t), 0);

	/* The same with compaction off: nearly nothing. */
	if (!setup(t, ARENA))
		return;
	g = compact_stress(t, false, &f, &pos, &m, held, ARENA >> 21, &ring);
	ktest_diag(
	    t,
	    "compact_stress (compaction=off): free_pages=%llu order9_possible=%llu order9_got=%llu migrated=%llu",
	    (unsigned long long)f, (unsigned long long)pos,
	    (unsigned long long)g, (unsigned long long)m);
	KTEST_EXPECT_LE(t, g * 10, pos);
	KTEST_EXPECT_EQ(t, m, 0);
	for (uint64_t i = 0; i < g; i++)
		pgdat_free_pages(&tn.pgdat, held[i], 9);
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

/* compact_node moves everything it can and the fragmentation score falls;
 * pageblocks where a run found nothing to move are marked, and the next
 * async run passes them by without looking inside. */
static void test_compact_node_and_skip_hints(struct ktest *t)
{
	static uint64_t pairs[2048];
	if (!setup(t, 32UL << 20))
		return;
	struct pglist_data *p = &tn.pgdat;
	/* A quarter of the zone in movable pairs of pages (order 1):
	 * movable pageblocks, but compaction moves single pages only. */
	int np = 0;
	while (np < 2048 && (uint64_t)np * 2 < normal()->managed_pages / 4)
		pairs[np++] =
		    pgdat_alloc_pages(p, GFP_MOVABLE | __GFP_NOWARN, 1);
	fragment(t);
	unsigned int before = fragmentation_score_node(p);
	compact_node(p);
	unsigned int after = fragmentation_score_node(p);
	ktest_diag(t, "fragmentation score %u -> %u, %llu pages moved", before,
		   after, (unsigned long long)p->migrate.pgmigrate_success);
	KTEST_EXPECT_GT(t, before, 80);
	KTEST_EXPECT_LT(t, after, 40);
	KTEST_EXPECT_GT(t, p->migrate.pgmigrate_success, 0);
	/* Hints: an async run passes by every pageblock marked skip; a
	 * synchronous one looks anyway. Mark them all, fragment again. */
	struct zone *z = normal();
	for (int h = 0; h < (int)SLOTS; h += 4)
		mto_free(&mto, h + 1);
	for (uint64_t pb = z->zone_start_pfn & ~(PAGEBLOCK_PAGES - 1);
	     pb < z->zone_start_pfn + z->spanned_pages; pb += PAGEBLOCK_PAGES)
		__atomic_fetch_or(pageblock_flags_byte(pfn_to_section(p, pb),
						       pb),
				  (uint8_t)PB_COMPACT_SKIP, __ATOMIC_RELAXED);
	p->compact.compact_migrate_scanned = 0;
	compact_zone_order(p, z, -1, GFP_KERNEL, ZONE_NORMAL,
			   COMPACT_PRIO_ASYNC);
	uint64_t async = p->compact.compact_migrate_scanned;
	compact_zone_order(p, z, -1, GFP_KERNEL, ZONE_NORMAL,
			   COMPACT_PRIO_SYNC_LIGHT);
	uint64_t sync = p->compact.compact_migrate_scanned - async;
	ktest_diag(
	    t,
	    "every pageblock marked skip: async run scanned %llu frames, sync light %llu",
	    (unsigned long long)async, (unsigned long long)sync);
	KTEST_EXPECT_EQ(t, async, 0);
	KTEST_EXPECT_GT(t, sync, 0);
	/* A run that met the other scanner asks the next sync light run to
	 * forget the hints; an async run that makes its block before the
	 * scanners meet (the slow path's first try) leaves that request. */
	int h = (int)SLOTS / 2, first = h; /* handles the first fill left */
	while (h < (int)SLOTS &&
	       mto_alloc_handle(&mto, h, GFP_NOWAIT | __GFP_NOWARN) >= 0)
		h++;
	for (int i = first; i < h; i += 2)
		KTEST_EXPECT_EQ(t, mto_free(&mto, i), 0);
	z->compact_blockskip_flush = true;
	enum compact_result r =
	    compact_zone_order(p, z, 9, GFP_KERNEL, ZONE_NORMAL,
			       COMPACT_PRIO_ASYNC);
	ktest_diag(t, "async order-9 run: %s, flush %s",
		   r == COMPACT_SUCCESS ? "success" : "no success",
		   z->compact_blockskip_flush ? "still asked" : "dropped");
	KTEST_EXPECT_EQ(t, r, COMPACT_SUCCESS);
	KTEST_EXPECT_TRUE(t, z->compact_blockskip_flush);
	compact_zone_order(p, z, 9, GFP_KERNEL, ZONE_NORMAL,
			   COMPACT_PRIO_SYNC_LIGHT);
	for (int i = 0; i < np; i++)
		pgdat_free_pages(p, pairs[i], 1);
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

/*
 * The last block: the only free frames outside one movable pageblock lie
 * in an unmovable pageblock. Sync light takes targets from movable
 * pageblocks only and cannot make a 2 MiB block; sync full (Linux's
 * ignore_block_suitable at its hardest priority) takes them there too and
 * can. (On a 64 MiB boot this is the 11th block of 12.)
 */
static void test_sync_full_takes_any_pageblock(struct ktest *t)
{
	if (!setup(t, 16UL << 20))
		return;
	struct pglist_data *p = &tn.pgdat;
	struct zone *z = normal();
	/* An unmovable pageblock, left with 511 free frames in it. */
	uint64_t u = pgdat_alloc_pages(p, QUIET_KERNEL, 9);
	KTEST_ASSERT_TRUE(t, u != 0);
	int n = 0;
	while (n < (int)SLOTS &&
	       mto_alloc_handle(&mto, n, GFP_NOWAIT | __GFP_NOWARN) >= 0)
		n++;
	pgdat_free_pages(p, u, 9);
	uint64_t one = pgdat_alloc_pages(p, QUIET_KERNEL, 0);
	KTEST_EXPECT_EQ(t, one >> 21, u >> 21);
	/* A movable pageblock a quarter free, in single frames. */
	uint64_t pb = mto_pfn(&mto, n / 2) >> PAGEBLOCK_ORDER;
	for (int h = 0; h < n; h++) {
		uint64_t pfn = mto_pfn(&mto, h);
		if (pfn >> PAGEBLOCK_ORDER == pb && pfn % 4 == 0)
			KTEST_EXPECT_EQ(t, mto_free(&mto, h), 0);
	}
	ktest_diag(t, "free %llu, low watermark %llu",
		   (unsigned long long)z->free_pages,
		   (unsigned long long)z->watermark[WMARK_LOW]);
	KTEST_EXPECT_EQ(t, compaction_suitable(p, z, 9, ZONE_NORMAL),
			COMPACT_CONTINUE);
	KTEST_EXPECT_EQ(t,
			compact_zone_order(p, z, 9, QUIET_KERNEL, ZONE_NORMAL,
					   COMPACT_PRIO_SYNC_LIGHT),
			COMPACT_COMPLETE);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(p, GFP_NOWAIT | __GFP_NOWARN, 9),
			0);
	KTEST_EXPECT_EQ(t,
			compact_zone_order(p, z, 9, QUIET_KERNEL, ZONE_NORMAL,
					   COMPACT_PRIO_SYNC_FULL),
			COMPACT_SUCCESS);
	uint64_t b = pgdat_alloc_pages(p, GFP_NOWAIT | __GFP_NOWARN, 9);
	KTEST_EXPECT_NE(t, b, 0);
	if (b)
		pgdat_free_pages(p, b, 9);
	pgdat_free_pages(p, one, 0);
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

/* Proactive compaction brings the score down to its low mark. */
static void test_proactive_reaches_its_mark(struct ktest *t)
{
	if (!setup(t, 32UL << 20))
		return;
	struct pglist_data *p = &tn.pgdat;
	fragment(t);
	unsigned int high = fragmentation_score_wmark(p, false);
	unsigned int low = fragmentation_score_wmark(p, true);
	KTEST_EXPECT_EQ(t, low, 80); /* proactiveness 20, as Linux */
	KTEST_EXPECT_GT(t, fragmentation_score_node(p), high);
	unsigned int score = proactive_compact_node(p);
	ktest_diag(t, "proactive: score %u (marks %u..%u), %llu runs", score,
		   low, high, (unsigned long long)p->compact.proactive_runs);
	KTEST_EXPECT_LE(t, score, low);
	KTEST_EXPECT_EQ(t, p->compact.proactive_runs, 1);
	/* Below the high mark it does nothing. */
	KTEST_EXPECT_EQ(t, proactive_compact_node(p), score);
	KTEST_EXPECT_EQ(t, p->compact.proactive_runs, 1);
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

/*
 * A request's run has the zone to itself (mm/compaction.c, "one run at a
 * time"): a background run (kcompactd's) does not start while one is on,
 * and one that is on stops between batches when one comes, holding
 * nothing isolated and keeping its place, from which it goes on later.
 * The request is simulated: the owner's migrate_page raises the zone's
 * count of requests' runs once the 40th page has moved. A real request's
 * run (try_to_compact_pages) is counted while it moves pages, and not
 * after.
 */
static struct movable_operations yielding_ops;
static const struct movable_operations *mto_own_ops;
static unsigned int moves_before_request;
static uint64_t request_came_at;      /* the page moved when it came */
static unsigned int direct_runs_seen; /* the count during the last move */
static uint64_t lowest_moved;	      /* the lowest page moved since reset */

static int migrate_then_request(struct movable_owner *mo, uint64_t dst_pfn,
				uint64_t src_pfn)
{
	int r = mto_own_ops->migrate_page(mo, dst_pfn, src_pfn);
	direct_runs_seen = normal()->compact_direct_runs;
	if (src_pfn < lowest_moved)
		lowest_moved = src_pfn;
	if (moves_before_request && !--moves_before_request) {
		request_came_at = src_pfn;
		__atomic_fetch_add(&normal()->compact_direct_runs, 1,
				   __ATOMIC_SEQ_CST);
	}
	return r;
}

static void test_background_run_gives_zone_to_request(struct ktest *t)
{
	if (!setup(t, 16UL << 20))
		return;
	struct pglist_data *p = &tn.pgdat;
	struct zone *z = normal();
	fragment(t);
	uint64_t free = z->free_pages;
	z->compact_direct_runs = 1;
	KTEST_EXPECT_EQ(t,
			compact_zone_order(p, z, 9, QUIET_KERNEL, ZONE_NORMAL,
					   COMPACT_PRIO_SYNC_LIGHT),
			COMPACT_CONTENDED);
	KTEST_EXPECT_EQ(t, p->migrate.pgmigrate_success, 0);
	KTEST_EXPECT_EQ(t, p->compact.compact_yields, 1);
	z->compact_direct_runs = 0;

	mto_own_ops = mto.owner.ops;
	yielding_ops = *mto_own_ops;
	yielding_ops.migrate_page = migrate_then_request;
	mto.owner.ops = &yielding_ops;
	moves_before_request = 40;
	enum compact_result r =
	    compact_zone_order(p, z, 9, QUIET_KERNEL, ZONE_NORMAL,
			       COMPACT_PRIO_SYNC_LIGHT);
	uint64_t moved = p->migrate.pgmigrate_success;
	ktest_diag(t,
		   "a request came after 40 pages: the background run moved "
		   "%llu, result %d (contended %d), free %llu of %llu",
		   (unsigned long long)moved, r, COMPACT_CONTENDED,
		   (unsigned long long)z->free_pages, (unsigned long long)free);
	KTEST_EXPECT_EQ(t, r, COMPACT_CONTENDED);
	KTEST_EXPECT_GE(t, moved, 40);
	KTEST_EXPECT_LT(t, moved, 40 + MIGRATE_BATCH_MAX);
	KTEST_EXPECT_EQ(t, p->compact.compact_yields, 2);
	KTEST_EXPECT_EQ(t, z->compact_background_runs, 0);
	KTEST_EXPECT_EQ(t, z->free_pages, free); /* no frame held back */
	uint64_t stopped_at = z->compact_cached_migrate_pfn;
	KTEST_EXPECT_GT(t, stopped_at, request_came_at);

	/* It goes on from there: no page below is moved again. */
	z->compact_direct_runs = 0;
	lowest_moved = UINT64_MAX;
	KTEST_EXPECT_EQ(t,
			compact_zone_order(p, z, 9, QUIET_KERNEL, ZONE_NORMAL,
					   COMPACT_PRIO_SYNC_LIGHT),
			COMPACT_SUCCESS);
	KTEST_EXPECT_GT(t, p->migrate.pgmigrate_success, moved);
	KTEST_EXPECT_GE(t, lowest_moved, stopped_at);
	KTEST_EXPECT_EQ(t, z->compact_background_runs, 0);
	uint64_t b = pgdat_alloc_pages(p, GFP_NOWAIT | __GFP_NOWARN, 9);
	KTEST_EXPECT_NE(t, b, 0);

	/* A request's own run, counted while it moves pages. */
	direct_runs_seen = 0;
	KTEST_EXPECT_EQ(t,
			try_to_compact_pages(p, QUIET_KERNEL, 9, ZONE_NORMAL,
					     COMPACT_PRIO_SYNC_LIGHT),
			COMPACT_SUCCESS);
	KTEST_EXPECT_EQ(t, direct_runs_seen, 1);
	KTEST_EXPECT_EQ(t, z->compact_direct_runs, 0);
	KTEST_EXPECT_EQ(t, z->compact_background_runs, 0);
	mto.owner.ops = mto_own_ops;
	if (b)
		pgdat_free_pages(p, b, 9);
	KTEST_EXPECT_EQ(t, teardown(t), 0);
}

static struct ktest_case compaction_cases[] = {
	KTEST_CASE(test_fragmentation_index),
	KTEST_CASE(test_compacts_down_to_min),
	KTEST_CASE(test_async_empties_the_requests_kind),
	KTEST_CASE(test_deferral),
	KTEST_CASE(test_compact_stress),
	KTEST_CASE(test_compact_node_and_skip_hints),
	KTEST_CASE(test_sync_full_takes_any_pageblock),
	KTEST_CASE(test_proactive_reaches_its_mark),
	KTEST_CASE(test_background_run_gives_zone_to_request),
	{ 0 },
};
KTEST_SUITE(mm_compaction, compaction_cases);
