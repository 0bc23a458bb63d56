/*
 * Merges stop at the edges (mm/page_free.c, __free_one_page): a buddy in
 * another zone's window, or outside the RAM its section describes, is never
 * merged with, however free it is. The merge loop reads only the buddy's
 * state byte when the 4 MiB block around the freed frame lies inside its
 * section and its zone's window, and tests each buddy against the edges
 * otherwise; this suite puts a RAM edge and two zone edges inside 4 MiB
 * blocks and frees every frame of the node. Host and target.
 * docs/08b-the-zone-path.md ("What each idea bought").
 */
#include "kernel/lib/string.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (16UL << 20)
#define MIB (1ULL << 20)

static struct pglist_data node;
static void *arena;
static uint64_t base;

/* RAM [1 MiB, 16 MiB) of the arena, DMA up to 3 MiB, DMA32 up to 11 MiB:
 * the 4 MiB blocks at 0 (RAM from 1 MiB, DMA to 3 MiB) and at 8 MiB
 * (DMA32 to 11 MiB) each hold an edge. Watermarks and protection 0, so
 * every frame can be taken. */
static bool setup(struct ktest *t)
{
	static struct memmap_range usable[1];
	arena = mm_test_arena(ARENA, &base);
	if (!arena) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	usable[0] = (struct memmap_range){ base + MIB, base + ARENA, 7, 0 };
	if (mm_test_pgdat_over(&node, arena, base, usable, 1, base + 3 * MIB,
			       base + 11 * MIB)) {
		mm_test_arena_free(arena, ARENA);
		ktest_fail(t, __FILE__, __LINE__,
			   "pgdat_init refused the layout");
		return false;
	}
	return true;
}

/* Everything taken a frame at a time and given back (in the reverse
 * order): every zone is whole again, its blocks exactly those init made,
 * none reaching across an edge. */
static void test_free_everything_stays_within_edges(struct ktest *t)
{
	uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS], chain = 0;
	if (!setup(t))
		return;
	mm_test_snapshot(&node, snap);
	uint64_t free = mm_test_free_pages(&node);
	KTEST_EXPECT_TRUE(t, node.node_zones[ZONE_DMA].managed_pages > 0);
	KTEST_EXPECT_EQ(t, mm_test_take_all(&node, GFP_KERNEL, &chain), free);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&node), 0);
	mm_test_give_back(&node, chain);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&node), free);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&node, snap));
	mm_test_arena_free(arena, ARENA);
}

/* The same with the frames given back in the order they were taken, and
 * order-2 blocks: other buddies are free when each edge is reached. */
static void test_free_in_order_stays_within_edges(struct ktest *t)
{
	static uint64_t taken[ARENA >> (PAGE_SHIFT + 2)];
	uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS], n = 0, p;
	if (!setup(t))
		return;
	mm_test_snapshot(&node, snap);
	while (n < sizeof(taken) / sizeof(taken[0]) &&
	       (p = pgdat_alloc_pages(&node, GFP_KERNEL | __GFP_NOWARN, 2)))
		taken[n++] = p;
	KTEST_EXPECT_TRUE(t, n > 0);
	for (uint64_t i = 0; i < n; i++)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&node, taken[i], 2), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&node, snap));
	mm_test_arena_free(arena, ARENA);
}

static struct ktest_case merge_edges_cases[] = {
	KTEST_CASE(test_free_everything_stays_within_edges),
	KTEST_CASE(test_free_in_order_stays_within_edges),
	{ 0 },
};
KTEST_SUITE(mm_merge_edges, merge_edges_cases);
