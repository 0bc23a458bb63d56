/*
 * alloc_contig_pages (mm/contig.c) and the zone's free count: while a
 * range is isolated, its free frames serve nobody, so they must not count
 * as free memory. When they did, the watermark checks of the requests
 * that give the moved pages their new frames passed on frames the range
 * held: a 64 MiB run at 8 GiB took the zone's real free memory to nothing
 * and the tick's GFP_ATOMIC requests failed (8 in one boot). Host and
 * target, on a 16 MiB test node filled with a test owner's movable pages.
 * docs/10-fragmentation-and-compaction.md ("Contiguous runs").
 */
#include "mm/contig.h"
#include "mm/internal.h"
#include "mm/pcp.h"
#include "tests/support/movable_test_owner.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (16UL << 20)
#define SLOTS (ARENA / PAGE_SIZE)
#define RUN 1024 /* one 4 MiB block */
/* The handle table, in an arena of its own (whole 4 MiB blocks on target,
 * as mm_compaction's). */
#define TABLE_BYTES (4UL << 20)
_Static_assert(SLOTS * sizeof(struct mto_slot) <= TABLE_BYTES,
	       "the handle table fits its arena");
#define NO_WAIT (GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN)

static struct mm_test_node tn;
static struct movable_test_owner mto;
static struct mto_slot *slots;
static uint64_t table_phys;

static struct zone *normal(void)
{
	return &tn.pgdat.node_zones[ZONE_NORMAL];
}

/* The node (min watermark 64 pages) filled with movable pages as far as
 * the allocator goes, then pages freed until `free` pages are free. The
 * handles used, or -1. */
static int setup(struct ktest *t, uint64_t free)
{
	if (mm_test_node_init_one_zone(&tn, ARENA, 256)) {
		ktest_skip(t, "no test arena on this platform");
		return -1;
	}
	slots = mm_test_arena(TABLE_BYTES, &table_phys);
	if (slots) /* (the kernel's arena is not zeroed) */
		memset(slots, 0, SLOTS * sizeof(struct mto_slot));
	if (!slots ||
	    mto_init_table(&mto, &tn.pgdat, 0xc0471, slots, SLOTS, false)) {
		if (slots)
			mm_test_arena_free(slots, TABLE_BYTES);
		mm_test_node_destroy(&tn);
		ktest_skip(t, "no handle table");
		return -1;
	}
	int n = 0;
	while (n < (int)SLOTS &&
	       mto_alloc_handle(&mto, n, GFP_NOWAIT | __GFP_NOWARN) >= 0)
		n++;
	/* (On target the node has per-CPU lists: frees park there first.) */
	for (int h = 0;
	     h < n && normal()->free_pages + pcp_parked_pages(&tn.pgdat) < free;
	     h++)
		KTEST_EXPECT_EQ(t, mto_free(&mto, h), 0);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, normal()->free_pages, free);
	return n;
}

static void teardown(struct ktest *t, int n)
{
	for (int h = 0; h < n; h++)
		if (mto_pfn(&mto, h))
			KTEST_EXPECT_TRUE(t, mto_verify(&mto, h));
	KTEST_EXPECT_EQ(t, mto_destroy(&mto), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
	mm_test_arena_free(slots, TABLE_BYTES);
}

/* 4 MiB asked with 1024 + 32 pages free: every range needs all the frees
 * but 32, below min (64). The request must fail with the zone still at or
 * above min and its free count what it was (moved pages only changed
 * frames). Counting the isolated range's frames as free, it succeeded and
 * left 32. */
static void test_isolated_frames_are_not_free_memory(struct ktest *t)
{
	struct pglist_data *p = &tn.pgdat;
	int n = setup(t, RUN + 32);
	if (n < 0)
		return;
	struct zone *z = normal();
	uint64_t min = z->watermark[WMARK_MIN], before = z->free_pages;
	KTEST_EXPECT_EQ(t, min, 64);
	struct contig_stats st = { 0 };
	uint64_t run = pgdat_alloc_contig_pages(p, RUN, NO_WAIT, &st);
	ktest_diag(t,
		   "4 MiB with %llu pages free, min %llu: %s; %llu ranges "
		   "tried, %llu pages moved, %llu free after",
		   (unsigned long long)before, (unsigned long long)min,
		   run ? "got it" : "refused",
		   (unsigned long long)st.ranges_tried,
		   (unsigned long long)st.moved,
		   (unsigned long long)z->free_pages);
	KTEST_EXPECT_EQ(t, run, 0);
	KTEST_EXPECT_GE(t, z->free_pages, min);
	KTEST_EXPECT_EQ(t, z->free_pages, before);
	KTEST_EXPECT_GT(t, st.ranges_tried, 0);
	if (run)
		pgdat_free_contig_range(p, run, RUN);
	teardown(t, n);
}

/* With room (1024 + 3 * 64 free), the run comes, and the zone's count
 * drops by exactly its 1024 pages: isolation took the range's free frames
 * out of the count once, and taking the range does not again. Freed, the
 * count is back. */
static void test_run_costs_its_pages_once(struct ktest *t)
{
	struct pglist_data *p = &tn.pgdat;
	int n = setup(t, RUN + 3 * 64);
	if (n < 0)
		return;
	struct zone *z = normal();
	uint64_t before = z->free_pages;
	struct contig_stats st = { 0 };
	uint64_t run = pgdat_alloc_contig_pages(p, RUN, NO_WAIT, &st);
	ktest_diag(t, "4 MiB with %llu pages free: %s, %llu pages moved",
		   (unsigned long long)before, run ? "got it" : "refused",
		   (unsigned long long)st.moved);
	KTEST_EXPECT_NE(t, run, 0);
	if (run) {
		KTEST_EXPECT_EQ(t, z->free_pages, before - RUN);
		KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
		pgdat_free_contig_range(p, run, RUN);
		KTEST_EXPECT_EQ(t, z->free_pages, before);
	}
	teardown(t, n);
}

/* A free block on an isolated pageblock's list serves nobody, so it must
 * not meet a high-order watermark (the order-9 test asks for a free block
 * of order 9 or more on a list): the zone's one free 4 MiB block, made
 * isolated, stops meeting it (before: nr_free counted it), and meets it
 * again when given back; the zone's free count follows. */
static void test_isolated_block_meets_no_watermark(struct ktest *t)
{
	struct pglist_data *p = &tn.pgdat;
	uint64_t blocks[8], chain = 0, held = 0;
	if (mm_test_node_init_one_zone(&tn, ARENA, 256)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	mm_test_zero_watermarks(p);
	struct zone *z = normal();
	while (held < 8 &&
	       (blocks[held] = pgdat_alloc_pages(p, GFP_MOVABLE | __GFP_NOWARN,
						 MAX_ORDER)))
		held++;
	mm_test_take_all(p, GFP_KERNEL | __GFP_NOWARN, &chain);
	pcp_drain_local(p);
	KTEST_ASSERT_TRUE(t, held > 0);
	KTEST_EXPECT_EQ(t, z->free_pages, 0);
	uint64_t b = blocks[--held] >> PAGE_SHIFT;
	KTEST_EXPECT_EQ(t, pgdat_free_pages(p, b << PAGE_SHIFT, MAX_ORDER), 0);
	KTEST_EXPECT_EQ(t, z->free_pages, RUN);
	/* (free_pages is given: this is the test of the lists.) */
	KTEST_EXPECT_TRUE(t, zone_watermark_ok(z, 9, 0, ZONE_NORMAL, 0, RUN));
	KTEST_EXPECT_EQ(t, start_isolate_page_range(p, z, b, b + RUN), b + RUN);
	KTEST_EXPECT_EQ(t, z->free_pages, 0);
	KTEST_EXPECT_FALSE(t, zone_watermark_ok(z, 9, 0, ZONE_NORMAL, 0, RUN));
	KTEST_EXPECT_FALSE(t, zone_watermark_ok(z, 1, 0, ZONE_NORMAL, 0, RUN));
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	undo_isolate_page_range(p, z, b, b + RUN);
	KTEST_EXPECT_EQ(t, z->free_pages, RUN);
	KTEST_EXPECT_TRUE(t, zone_watermark_ok(z, 9, 0, ZONE_NORMAL, 0, RUN));
	mm_test_give_back(p, chain);
	while (held)
		pgdat_free_pages(p, blocks[--held], MAX_ORDER);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

/*
 * page_poison: every frame of a range was free, and a write to one while
 * it was free is a use after free the range's new owner must hear of, as
 * a request's block does (kernel_unpoison_pages). Before, the range was
 * handed out unchecked: the scribble below went unreported.
 */
static void test_range_checked_for_poison(struct ktest *t)
{
	struct pglist_data *p = &tn.pgdat;
	if (mm_test_node_init_one_zone(&tn, ARENA, 256)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	mm_test_zero_watermarks(p);
	pgdat_set_page_poison(p, true);
	uint64_t run = pgdat_alloc_contig_pages(p, RUN, GFP_KERNEL, NULL);
	KTEST_ASSERT_TRUE(t, run != 0);
	KTEST_EXPECT_EQ(t, p->poison_errors, 0);
	pgdat_free_contig_range(p, run, RUN);
	/* The same range comes first again: scribble on its sixth frame, a
	 * tail of the free 4 MiB block (no list links in it). */
	uint8_t *frame = pgdat_phys_to_virt(p, run + 5 * PAGE_SIZE);
	frame[100] = (uint8_t)~PAGE_POISON;
	uint64_t again = pgdat_alloc_contig_pages(p, RUN, GFP_KERNEL, NULL);
	ktest_diag(t, "range 0x%llx, then 0x%llx: %llu poison reports",
		   (unsigned long long)run, (unsigned long long)again,
		   (unsigned long long)p->poison_errors);
	KTEST_EXPECT_EQ(t, again, run);
	KTEST_EXPECT_EQ(t, p->poison_errors, 1);
	if (again)
		pgdat_free_contig_range(p, again, RUN);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case contig_cases[] = {
	KTEST_CASE(test_isolated_frames_are_not_free_memory),
	KTEST_CASE(test_run_costs_its_pages_once),
	KTEST_CASE(test_isolated_block_meets_no_watermark),
	KTEST_CASE(test_range_checked_for_poison),
	{ 0 },
};
KTEST_SUITE(mm_contig, contig_cases);
