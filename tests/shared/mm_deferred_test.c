/*
 * Free memory untouched at boot (mm/page_alloc.c __free_pages_core and
 * release_deferred_block): a node built over memory filled with a pattern
 * leaves every free 4 MiB block's pattern whole, hands out exactly the
 * blocks, in exactly the order, that a node with eagerly linked lists does,
 * and keeps its counts right through exhaustion, contiguous runs and
 * giving everything back. Host and target. docs/03b-free-memory-untouched-at-boot.md.
 */
#include "kernel/lib/string.h"
#include "mm/contig.h"
#include "mm/internal.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (24UL << 20)
#define PATTERN 0xa5
#define QUIET (GFP_KERNEL | __GFP_NOWARN)

static struct pglist_data nodes[2];
static void *arenas[2];
static uint64_t bases[2];
static uint64_t held[2][ARENA >> PAGE_SHIFT];
static unsigned int held_order[ARENA >> PAGE_SHIFT];

/* A node over a fresh arena full of PATTERN: three zones, the lists linked
 * eagerly or not. */
static bool build(struct ktest *t, int i, bool eager)
{
	arenas[i] = mm_test_arena(ARENA, &bases[i]);
	if (!arenas[i]) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	memset(arenas[i], PATTERN, ARENA);
	static struct memmap_range usable[2];
	usable[i] = (struct memmap_range){ bases[i], bases[i] + ARENA, 7, 0 };
	struct pgdat_config cfg = {
		.usable = &usable[i],
		.nr_usable = 1,
		.dma_limit = bases[i] + (4UL << 20),
		.dma32_limit = bases[i] + (12UL << 20),
		.direct_map_offset = (uint64_t)(uintptr_t)arenas[i] - bases[i],
		.eager_free_lists = eager,
	};
	memset(&nodes[i], 0, sizeof(nodes[i]));
	if (pgdat_init(&nodes[i], &cfg)) {
		mm_test_arena_free(arenas[i], ARENA);
		KTEST_EXPECT_TRUE(t, !"pgdat_init failed");
		return false;
	}
	mm_test_zero_watermarks(&nodes[i]);
	return true;
}

static void destroy(int i)
{
	mm_test_arena_free(arenas[i], ARENA);
	arenas[i] = NULL;
}

/* Both nodes: the same free pages, both consistent; then both gone. */
static void same_and_gone(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&nodes[0]),
			mm_test_free_pages(&nodes[1]));
	KTEST_EXPECT_EQ(t, pgdat_check(&nodes[0]), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&nodes[1]), 0);
	destroy(0);
	destroy(1);
}

/* Pages of the arena with a byte that lost the pattern (written): a free
 * block's links may sit anywhere in its first page (block_link_offset). */
static uint64_t pages_written(int i)
{
	uint64_t n = 0;
	for (uint64_t off = 0; off < ARENA; off += PAGE_SIZE) {
		const uint8_t *b = (const uint8_t *)arenas[i] + off;
		for (uint64_t k = 0; k < PAGE_SIZE; k++)
			if (b[k] != PATTERN) {
				n++;
				break;
			}
	}
	return n;
}

static uint64_t deferred(const struct pglist_data *p)
{
	uint64_t n = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += p->node_zones[z].deferred_blocks;
	return n;
}

/* Eager linking writes the head of every free block; deferred linking
 * writes only the metadata and the heads of the blocks smaller than 4 MiB
 * (around the metadata), never a whole free 4 MiB block. */
static void test_boot_writes_no_free_block(struct ktest *t)
{
	if (!build(t, 0, true))
		return;
	if (!build(t, 1, false)) {
		destroy(0);
		return;
	}
	uint64_t eager = pages_written(0), lazy = pages_written(1);
	uint64_t blocks = deferred(&nodes[1]);
	ktest_diag(
	    t,
	    "pages written by init: eager %llu, deferred %llu (metadata %llu); %llu free 4 MiB blocks left unlinked",
	    (unsigned long long)eager, (unsigned long long)lazy,
	    (unsigned long long)nodes[1].metadata_pages,
	    (unsigned long long)blocks);
	KTEST_EXPECT_EQ(t, deferred(&nodes[0]), 0);
	KTEST_EXPECT_GE(t, blocks, 4);
	/* Each unlinked block: every page still holds the pattern. */
	for (uint64_t off = 0; off < ARENA; off += 4UL << 20) {
		uint64_t pfn = (bases[1] + off) >> PAGE_SHIFT;
		const uint8_t *st = pfn_state(&nodes[1], pfn);
		if (!st || *st != (PFS_DEFERRED | MAX_ORDER))
			continue;
		const uint8_t *b = (const uint8_t *)arenas[1] + off;
		uint64_t bad = 0;
		for (uint64_t k = 0; k < (4UL << 20); k++)
			bad += b[k] != PATTERN;
		KTEST_EXPECT_EQ(t, bad, 0);
	}
	KTEST_EXPECT_EQ(t, eager, lazy + blocks); /* one head each */
	same_and_gone(t);
}

/* One round of random requests on two fresh nodes: counts the answers
 * that differ (as offsets into the arenas); frees what is left. */
static uint64_t random_round(struct ktest *t, uint64_t *rng, int steps,
			     unsigned int *left)
{
	static const gfp_t kinds[] = { QUIET,
				       GFP_MOVABLE | __GFP_NOWARN,
				       GFP_ATOMIC | __GFP_NOWARN,
				       QUIET | __GFP_RECLAIMABLE,
				       QUIET | __GFP_DMA32,
				       GFP_NOWAIT | __GFP_DMA | __GFP_NOWARN };
	uint64_t differ = 0, x = *rng;
	unsigned int n = 0;
	for (int s = 0; s < steps; s++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		if (n && ((x >> 3) % 3 == 0 || n == ARENA >> PAGE_SHIFT)) {
			unsigned int k = (unsigned int)((x >> 8) % n);
			for (int i = 0; i < 2; i++) {
				pgdat_free_pages(&nodes[i], held[i][k],
						 held_order[k]);
				held[i][k] = held[i][n - 1];
			}
			held_order[k] = held_order[--n];
			continue;
		}
		/* Early in a round, one request in two is a whole 4 MiB
		 * block, later one in sixteen: given back while unlinked
		 * ones remain, it is the one a fallback of another type must
		 * find first. */
		unsigned int r = (unsigned int)((x >> 16) % (s < 20 ? 4 : 32));
		unsigned int order = r < 2    ? MAX_ORDER
				     : r == 2 ? (unsigned int)((x >> 20) % 11)
					      : (unsigned int)((x >> 20) % 4);
		gfp_t gfp = kinds[(x >> 32) % 6];
		uint64_t a = pgdat_alloc_pages(&nodes[0], gfp, order);
		uint64_t b = pgdat_alloc_pages(&nodes[1], gfp, order);
		if ((a ? a - bases[0] : ~0ULL) != (b ? b - bases[1] : ~0ULL))
			differ++;
		if (!a || !b) {
			if (a)
				pgdat_free_pages(&nodes[0], a, order);
			if (b)
				pgdat_free_pages(&nodes[1], b, order);
			continue;
		}
		held[0][n] = a;
		held[1][n] = b;
		held_order[n++] = order;
	}
	*rng = x;
	*left = n;
	KTEST_EXPECT_EQ(t, pgdat_check(&nodes[1]), 0);
	while (n--)
		for (int i = 0; i < 2; i++)
			pgdat_free_pages(&nodes[i], held[i][n], held_order[n]);
	return differ;
}

/* The same random requests on both nodes get the same blocks: deferral
 * changes when a block is linked, never which block a request gets. Every
 * migrate type, order and zone; 60 rounds on fresh nodes, so that many
 * requests come while boot's blocks are still unlinked. */
static void test_same_blocks_as_eager(struct ktest *t)
{
	uint64_t rng = 0x5deece66dULL, differ = 0, unlinked = 0, rounds = 0;
	unsigned int left = 0;
	for (int round = 0; round < 60; round++, rounds++) {
		if (!build(t, 0, true))
			return;
		if (!build(t, 1, false)) {
			destroy(0);
			return;
		}
		uint64_t d = random_round(t, &rng, 100, &left);
		if (d)
			ktest_diag(t, "round %d: %llu answers differ", round,
				   (unsigned long long)d);
		differ += d;
		unlinked += deferred(&nodes[1]);
		same_and_gone(t);
	}
	ktest_diag(
	    t,
	    "%llu rounds of 100 steps, %u blocks held at the end of the last, %llu answers differ; %llu blocks still unlinked at the rounds' ends",
	    (unsigned long long)rounds, left, (unsigned long long)differ,
	    (unsigned long long)unlinked);
	KTEST_EXPECT_EQ(t, differ, 0);
}

/* A 4 MiB block taken and given back goes first on its list, in front of
 * the ones boot left unlinked: the next request that falls back to that
 * list, here an unmovable one, gets it on both nodes, and the deferred node
 * links no other block for it; a reclaimable one then takes the next. */
static void test_freed_block_before_unlinked(struct ktest *t)
{
	static const struct {
		gfp_t gfp;
		unsigned int order;
	} seq[] = { { GFP_MOVABLE | __GFP_NOWARN, MAX_ORDER },
		    { QUIET, 0 },
		    { QUIET | __GFP_RECLAIMABLE, 3 } };
	if (!build(t, 0, true))
		return;
	if (!build(t, 1, false)) {
		destroy(0);
		return;
	}
	uint64_t got[2][3] = { { 0 } }, unlinked[3] = { 0 };
	for (int i = 0; i < 2; i++) {
		uint64_t a =
		    pgdat_alloc_pages(&nodes[i], seq[0].gfp, MAX_ORDER);
		KTEST_EXPECT_NE(t, a, 0);
		if (a)
			pgdat_free_pages(&nodes[i], a, MAX_ORDER);
		got[i][0] = a ? a - bases[i] : ~0ULL;
		unlinked[0] = deferred(&nodes[i]);
		for (int k = 1; k < 3; k++) {
			uint64_t b = pgdat_alloc_pages(&nodes[i], seq[k].gfp,
						       seq[k].order);
			got[i][k] = b ? b - bases[i] : ~0ULL;
			unlinked[k] = deferred(&nodes[i]);
		}
	}
	ktest_diag(
	    t,
	    "eager: 4 MiB at 0x%llx, kernel 0x%llx, reclaimable 0x%llx; deferred: 0x%llx, 0x%llx, 0x%llx",
	    (unsigned long long)got[0][0], (unsigned long long)got[0][1],
	    (unsigned long long)got[0][2], (unsigned long long)got[1][0],
	    (unsigned long long)got[1][1], (unsigned long long)got[1][2]);
	for (int k = 0; k < 3; k++)
		KTEST_EXPECT_EQ(t, got[0][k], got[1][k]);
	KTEST_EXPECT_EQ(t, unlinked[1], unlinked[0]);
	KTEST_EXPECT_EQ(t, unlinked[2], unlinked[0] - 1);
	for (int i = 0; i < 2; i++)
		for (int k = 1; k < 3; k++)
			if (got[i][k] != ~0ULL)
				pgdat_free_pages(&nodes[i],
						 got[i][k] + bases[i],
						 seq[k].order);
	same_and_gone(t);
}

/* Linking all of boot's blocks at once (as debug_pagealloc_enable and
 * contiguous runs do) puts them behind the listed ones, highest first:
 * after one 4 MiB block is taken and given back, every later 4 MiB
 * request gets the block an eager node gives. */
static void test_link_all_keeps_order(struct ktest *t)
{
	if (!build(t, 0, true))
		return;
	if (!build(t, 1, false)) {
		destroy(0);
		return;
	}
	uint64_t got[2][8], n[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		uint64_t a =
		    pgdat_alloc_pages(&nodes[i], GFP_MOVABLE | __GFP_NOWARN,
				      MAX_ORDER);
		KTEST_EXPECT_NE(t, a, 0);
		if (a)
			pgdat_free_pages(&nodes[i], a, MAX_ORDER);
		if (i == 1)
			for (int z = 0; z < MAX_NR_ZONES; z++)
				release_deferred_blocks(&nodes[1],
							&nodes[1].node_zones[z]);
		while (n[i] < 8 &&
		       (got[i][n[i]] =
			    pgdat_alloc_pages(&nodes[i],
					      GFP_MOVABLE | __GFP_NOWARN,
					      MAX_ORDER)))
			n[i]++;
	}
	KTEST_EXPECT_EQ(t, deferred(&nodes[1]), 0);
	KTEST_EXPECT_EQ(t, n[0], n[1]);
	for (uint64_t k = 0; k < n[0] && k < n[1]; k++) {
		ktest_diag(t, "4 MiB block %llu: eager 0x%llx, deferred 0x%llx",
			   (unsigned long long)k,
			   (unsigned long long)(got[0][k] - bases[0]),
			   (unsigned long long)(got[1][k] - bases[1]));
		KTEST_EXPECT_EQ(t, got[0][k] - bases[0], got[1][k] - bases[1]);
	}
	for (int i = 0; i < 2; i++)
		while (n[i]--)
			pgdat_free_pages(&nodes[i], got[i][n[i]], MAX_ORDER);
	same_and_gone(t);
}

/* Everything taken links every block; everything given back leaves the
 * counts whole; a contiguous run links the zone's blocks first. */
static void test_counts_through_exhaustion_and_contig(struct ktest *t)
{
	if (!build(t, 1, false))
		return;
	struct pglist_data *p = &nodes[1];
	uint64_t free_before = mm_test_free_pages(p), chain = 0;
	uint64_t taken = mm_test_take_all(p, QUIET, &chain);
	KTEST_EXPECT_EQ(t, taken, free_before);
	KTEST_EXPECT_EQ(t, deferred(p), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_give_back(p, chain);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), free_before);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	destroy(1);

	if (!build(t, 1, false))
		return;
	p = &nodes[1];
	uint64_t before = deferred(p);
	uint64_t run = pgdat_alloc_contig_pages(p, 2048, QUIET, NULL);
	KTEST_EXPECT_NE(t, run, 0);
	KTEST_EXPECT_GT(t, before, deferred(p));
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	if (run)
		pgdat_free_contig_range(p, run, 2048);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), free_before);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	destroy(1);
}

static const struct ktest_case deferred_cases[] = {
	KTEST_CASE(test_boot_writes_no_free_block),
	KTEST_CASE(test_same_blocks_as_eager),
	KTEST_CASE(test_freed_block_before_unlinked),
	KTEST_CASE(test_link_all_keeps_order),
	KTEST_CASE(test_counts_through_exhaustion_and_contig),
	{ 0 },
};
KTEST_SUITE(mm_deferred, deferred_cases);
