/*
 * The pageblock map (mm/migratetype.c, zone_pageblock_map_row and
 * pageblock_map_show), which `make plots` draws: on a node shaped to have
 * every kind of pageblock (whole, cut by a hole, none at all, split by a
 * zone edge, holding the allocator's metadata), the type letters and the
 * used eighths come out as the layout and the allocations say. Host and
 * target. docs/10-fragmentation-and-compaction.md ("Pictures").
 */
#include "mm/internal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (16UL << 20)
#define MIB (1ULL << 20)
#define PB_BYTES (PAGEBLOCK_PAGES << PAGE_SHIFT)
#define DMA32_MOVABLE (GFP_MOVABLE | GFP_DMA32 | __GFP_NOWARN)

static struct pglist_data node;
static void *arena;
static uint64_t base;
static char log[4096];

/*
 * Eight pageblocks of 2 MiB. RAM: [0, 5 MiB) and [8, 16 MiB) of the
 * arena; DMA32 ends at 11 MiB. So DMA32 is pageblocks 0..5: 0, 1, 4
 * whole, 2 half RAM (5 MiB), 3 none, 5 half (the zone edge at 11 MiB);
 * Normal is pageblocks 5..7: 5 its half, 6 whole, 7 whole but for the
 * allocator's metadata at the end of the largest range.
 */
static bool setup(struct ktest *t)
{
	static struct memmap_range usable[2];
	arena = mm_test_arena(ARENA, &base);
	if (!arena) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	usable[0] = (struct memmap_range){ base, base + 5 * MIB, 7, 0 };
	usable[1] = (struct memmap_range){ base + 8 * MIB, base + ARENA, 7, 0 };
	if (mm_test_pgdat_over(&node, arena, base, usable, 2, base,
			       base + 11 * MIB)) {
		mm_test_arena_free(arena, ARENA);
		ktest_fail(t, __FILE__, __LINE__,
			   "pgdat_init refused the layout");
		return false;
	}
	return true;
}

static void teardown(void)
{
	mm_test_arena_free(arena, ARENA);
}

static struct zone *zone(int zi)
{
	return &node.node_zones[zi];
}

static unsigned int pb_index(uint64_t phys)
{
	return (unsigned int)((phys - base) / PB_BYTES);
}

/* A fresh node: everything free and movable; the letters' case and the
 * dots follow the layout, the pageblock the metadata cuts included. */
static void test_fresh_node(struct ktest *t)
{
	char types[PAGEBLOCK_MAP_ROW + 1], fills[PAGEBLOCK_MAP_ROW + 1];
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, node.metadata_pages > 0);
	KTEST_EXPECT_EQ(t, pb_index(node.metadata_start << PAGE_SHIFT), 7);
	KTEST_EXPECT_EQ(t,
			zone_pageblock_map_row(&node, zone(ZONE_DMA32), 0,
					       types, fills),
			6);
	KTEST_EXPECT_STREQ(t, types, "MMm.Mm");
	KTEST_EXPECT_STREQ(t, fills, "000.00");
	KTEST_EXPECT_EQ(t,
			zone_pageblock_map_row(&node, zone(ZONE_DMA32), 1,
					       types, fills),
			0);
	KTEST_EXPECT_STREQ(t, types, "");
	KTEST_EXPECT_EQ(t,
			zone_pageblock_map_row(&node, zone(ZONE_NORMAL), 0,
					       types, fills),
			3);
	KTEST_EXPECT_STREQ(t, types, "mMm");
	KTEST_EXPECT_STREQ(t, fills, "000");
	/* An empty zone has no rows. */
	KTEST_EXPECT_EQ(t,
			zone_pageblock_map_row(&node, zone(ZONE_DMA), 0, types,
					       fills),
			0);
	teardown();
}

/* Allocations fill the eighths: a 2 MiB block makes its pageblock '8', a
 * 1 MiB one half of a whole pageblock ('4') and all of a half one ('8'),
 * a single page '1'; an unmovable page turns its pageblock's letter to U.
 * And everything taken is '8' everywhere. */
static void test_allocations(struct ktest *t)
{
	char types[PAGEBLOCK_MAP_ROW + 1], fills[PAGEBLOCK_MAP_ROW + 1];
	static const unsigned int present[6] = { 512, 512, 256, 0, 512, 256 };
	unsigned int used[6] = { 0 };
	if (!setup(t))
		return;
	uint64_t big = pgdat_alloc_pages(&node, DMA32_MOVABLE, 9);
	uint64_t half = pgdat_alloc_pages(&node, DMA32_MOVABLE, 8);
	uint64_t one = pgdat_alloc_pages(&node, DMA32_MOVABLE, 0);
	KTEST_ASSERT_TRUE(t, big && half && one);
	KTEST_ASSERT_TRUE(t, pb_index(one) < 6 && pb_index(half) < 6);
	used[pb_index(big)] += 512;
	used[pb_index(half)] += 256;
	used[pb_index(one)] += 1;
	zone_pageblock_map_row(&node, zone(ZONE_DMA32), 0, types, fills);
	ktest_diag(t, "2 MiB at pageblock %u, 1 MiB at %u, a page at %u: %s %s",
		   pb_index(big), pb_index(half), pb_index(one), types, fills);
	for (unsigned int b = 0; b < 6; b++) {
		char want = !present[b] ? '.'
			    : !used[b]	? '0'
			    : used[b] == present[b]
				? '8'
				: (char)('1' + used[b] * 7 / present[b]);
		KTEST_EXPECT_EQ(t, fills[b], want);
	}
	/* The arithmetic above, spelled out once: the 2 MiB block is '8'. */
	KTEST_EXPECT_EQ(t, fills[pb_index(big)], '8');

	uint64_t u = pgdat_alloc_pages(&node, GFP_KERNEL | GFP_DMA32, 0);
	KTEST_ASSERT_TRUE(t, u != 0);
	zone_pageblock_map_row(&node, zone(ZONE_DMA32), 0, types, fills);
	KTEST_EXPECT_EQ(t, types[pb_index(u)],
			present[pb_index(u)] == 512 ? 'U' : 'u');

	/* Take the rest of DMA32: every pageblock full. */
	uint64_t chain = 0;
	mm_test_take_all(&node, DMA32_MOVABLE, &chain);
	zone_pageblock_map_row(&node, zone(ZONE_DMA32), 0, types, fills);
	KTEST_EXPECT_STREQ(t, fills, "888.88");
	/* Normal was not touched. */
	zone_pageblock_map_row(&node, zone(ZONE_NORMAL), 0, types, fills);
	KTEST_EXPECT_STREQ(t, fills, "000");
	mm_test_give_back(&node, chain);
	pgdat_free_pages(&node, u, 0);
	pgdat_free_pages(&node, one, 0);
	pgdat_free_pages(&node, half, 8);
	pgdat_free_pages(&node, big, 9);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	zone_pageblock_map_row(&node, zone(ZONE_DMA32), 0, types, fills);
	KTEST_EXPECT_STREQ(t, fills, "000.00");
	teardown();
}

/* The printed form `make plots` reads: a header, then a row per line
 * with the label, the zone and the row's first pfn. */
static void test_show(struct ktest *t)
{
	char want[160];
	if (!setup(t))
		return;
	printk_capture_start(log, sizeof(log));
	pageblock_map_show(&node, "before");
	printk_capture_stop();
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(log,
			   "pageblocks: before DMA32 6 pageblocks from pfn"));
	ksnprintf(want, sizeof(want),
		  "pageblocks: before DMA32 0x%llx MMm.Mm 000.00\n",
		  (unsigned long long)(base >> PAGE_SHIFT));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, want));
	ksnprintf(want, sizeof(want),
		  "pageblocks: before Normal 0x%llx mMm 000\n",
		  (unsigned long long)((base + 5 * PB_BYTES) >> PAGE_SHIFT));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, want));
	KTEST_EXPECT_FALSE(t, ktest_contains(log, "before DMA "));
	teardown();
}

static struct ktest_case pageblock_map_cases[] = {
	KTEST_CASE(test_fresh_node),
	KTEST_CASE(test_allocations),
	KTEST_CASE(test_show),
	{ 0 },
};
KTEST_SUITE(mm_pageblock_map, pageblock_map_cases);
