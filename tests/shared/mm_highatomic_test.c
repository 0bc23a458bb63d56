/*
 * Regression: an order-10 (MAX_ORDER) block spans two pageblocks. When a
 * non-blocking order-10 request claims a highatomic pageblock, both must
 * become highatomic, or the freed block sits on the HIGHATOMIC list with an
 * ordinary upper half, and splitting it puts that half on the wrong list
 * (soak_test: "block on the wrong list for its pageblock" then "free
 * buddies left unmerged"). Host and target.
 * docs/03-buddy-and-gfp.md ("Highatomic pageblocks").
 */
#include "mm/internal.h" /* unreserve_highatomic_pageblocks */
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)

static struct mm_test_node tn;

static void test_order10_highatomic_spans_two_pageblocks(struct ktest *t)
{
	/* One zone (Normal), min_free_kbytes=1024: min 256, low 320. */
	if (mm_test_node_init_one_zone(&tn, ARENA, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	struct pglist_data *p = &tn.pgdat;
	struct zone *z = &p->node_zones[ZONE_NORMAL];
	uint64_t low = z->watermark[WMARK_LOW];
	uint64_t chain = 0;

	KTEST_ASSERT_TRUE(t, pgdat_check(p) == 0);
	/* Order-0 requests take the smallest blocks first: go down until an
	 * order-10 request fails the fast path's `low` test; one order-10
	 * block is still free and nothing else of order >= 9 is. */
	while (z->free_pages > low + (1ULL << MAX_ORDER) - 1) {
		uint64_t c = pgdat_alloc_pages(p, GFP_MOVABLE, 0);
		KTEST_ASSERT_TRUE(t, c != 0);
		*(uint64_t *)pgdat_phys_to_virt(p, c) = chain;
		chain = c;
	}
	KTEST_ASSERT_TRUE(t, z->free_area[MAX_ORDER].nr_free == 1);
	KTEST_ASSERT_TRUE(t, z->free_area[9].nr_free == 0);

	/* 1. GFP_ATOMIC order 10: slow path, ALLOC_HIGHATOMIC; it takes X
	 *    from the ordinary list and claims a highatomic pageblock. */
	uint64_t a = pgdat_alloc_pages(p, GFP_ATOMIC, MAX_ORDER);
	KTEST_ASSERT_TRUE(t, a != 0);
	uint64_t x = a >> PAGE_SHIFT;
	struct mem_section *sec = pfn_to_section(p, x);
	ktest_diag(t, "order-10 block X at frame 0x%llx; reserved %llu pages",
		   (unsigned long long)x,
		   (unsigned long long)z->nr_reserved_highatomic);
	KTEST_EXPECT_EQ(t, pageblock_migratetype(sec, x), MIGRATE_HIGHATOMIC);
	/* The whole block must be of one type (fails before the fix). */
	KTEST_EXPECT_EQ(t, pageblock_migratetype(sec, x + PAGEBLOCK_PAGES),
			MIGRATE_HIGHATOMIC);

	/* 2. Freed at order 10: it goes to the list of its head's type. */
	KTEST_EXPECT_EQ(t, pgdat_free_pages(p, a, MAX_ORDER), 0);

	/* 3. GFP_ATOMIC order 9: no ordinary block of order >= 9 is left,
	 *    so the slow path takes it from the HIGHATOMIC list and splits
	 *    X; expand() lists X+512 as HIGHATOMIC. */
	uint64_t b = pgdat_alloc_pages(p, GFP_ATOMIC, PAGEBLOCK_ORDER);
	KTEST_ASSERT_TRUE(t, b != 0);
	KTEST_EXPECT_EQ(t, b >> PAGE_SHIFT, x);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0); /* X+512: wrong list */

	/* 4. Freed: X cannot merge with X+512 (types differ): the soak
	 *    test's pair of reports. */
	KTEST_EXPECT_EQ(t, pgdat_free_pages(p, b, PAGEBLOCK_ORDER), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);

	/* Everything back; giving the reserve back merges it all again. */
	mm_test_give_back(p, chain);
	unreserve_highatomic_pageblocks(p, ZONE_NORMAL, MIGRATE_MOVABLE);
	KTEST_EXPECT_EQ(t, z->nr_reserved_highatomic, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case highatomic_cases[] = {
	KTEST_CASE(test_order10_highatomic_spans_two_pageblocks),
	{ 0 },
};
KTEST_SUITE(mm_highatomic, highatomic_cases);
