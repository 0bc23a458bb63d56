/*
 * The per-CPU caches as arrays of frame numbers (mm/pcp.c), on the host
 * and on target: a parked frame is never written (no links in it), the
 * hottest frame comes back first, a refill takes the zone exactly to the
 * floor of the request that caused it and no further, the slots never
 * overflow at the largest high the sizes allow, sizes the slots cannot
 * hold are refused, and the caches' own pages are the node's and counted.
 * docs/05-smp-and-per-cpu-lists.md, "Frame numbers, not links".
 */
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/pcp.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (32UL << 20)

static struct mm_test_node tn;

/* One zone (Normal) of 32 MiB with per-CPU caches up to this CPU. */
static bool setup(struct ktest *t)
{
	if (mm_test_node_init_one_zone(&tn, ARENA, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	pgdat_pcp_enable(&tn.pgdat, mm_this_cpu() + 1); /* up to this CPU */
	if (!tn.pgdat.pcp_enabled) {
		ktest_fail(t, __FILE__, __LINE__,
			   "per-CPU caches did not come on");
		mm_test_node_destroy(&tn);
		return false;
	}
	return true;
}

static struct zone *normal(void)
{
	return &tn.pgdat.node_zones[ZONE_NORMAL];
}

static struct per_cpu_pages *my_cache(void)
{
	return zone_pcp(normal(), mm_this_cpu());
}

static bool all_bytes(const void *v, uint8_t b, size_t n)
{
	const uint8_t *p = v;
	for (size_t i = 0; i < n; i++)
		if (p[i] != b)
			return false;
	return true;
}

/* Parking and taking a frame write nothing into it: the cache holds its
 * number. (With links in the frames, a free wrote 16 bytes of them.) */
static void test_parked_frame_untouched(struct ktest *t)
{
	if (!setup(t))
		return;
	mm_test_zero_watermarks(&tn.pgdat);
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	void *v = pgdat_phys_to_virt(&tn.pgdat, a);
	memset(v, 0xa5, PAGE_SIZE);
	unsigned int parked = my_cache()->count;
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 0), 0);
	KTEST_EXPECT_EQ(t, my_cache()->count, parked + 1);
	KTEST_EXPECT_TRUE(t, all_bytes(v, 0xa5, PAGE_SIZE));
	KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, a >> PAGE_SHIFT), PFS_PCP);
	uint64_t b = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_EXPECT_EQ(t, b, a); /* the hottest frame first */
	KTEST_EXPECT_TRUE(t, all_bytes(v, 0xa5, PAGE_SIZE));
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, b, 0), 0);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* Takes single frames until the node says no, chaining them through
 * their first word; *lowest is the zone's lowest free count seen after
 * any of them (a drain before failing would hide an overshoot at the
 * end). */
static uint64_t take_watching(gfp_t gfp, uint64_t *chain, uint64_t *lowest)
{
	uint64_t n = 0, a;
	while ((a = pgdat_alloc_pages(&tn.pgdat, gfp | __GFP_NOWARN, 0))) {
		*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, a) = *chain;
		*chain = a;
		n++;
		if (normal()->free_pages < *lowest)
			*lowest = normal()->free_pages;
	}
	return n;
}

/*
 * With the cache empty and the zone 3 frames above low, a GFP_KERNEL
 * request refills exactly those 3 (not a batch); at low each refill is the
 * one frame asked for, down to min exactly; GFP_ATOMIC then goes on one
 * frame at a time to its own floor exactly, and no request gets more.
 */
static void test_refill_stops_at_the_floor(struct ktest *t)
{
	uint64_t chain = 0;
	if (!setup(t))
		return;
	struct zone *z = normal();
	pcp_drain_local(&tn.pgdat);
	KTEST_ASSERT_TRUE(t, pgdat_pcp_resize(&tn.pgdat, ZONE_NORMAL, 15, 60) ==
				 0);
	uint64_t f = z->free_pages;
	KTEST_ASSERT_TRUE(t, f > 1000);
	z->watermark[WMARK_HIGH] = f - 1;
	z->watermark[WMARK_LOW] = f - 3;
	z->watermark[WMARK_MIN] = f - 40;
	uint64_t atomic_floor = (f - 40) - (f - 40) / 2 - (f - 40) / 8;

	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, a) = chain;
	chain = a;
	KTEST_EXPECT_EQ(t, z->free_pages, f - 3);
	KTEST_EXPECT_EQ(t, my_cache()->count, 2);
	uint64_t lowest = UINT64_MAX;
	uint64_t kernel = take_watching(GFP_KERNEL, &chain, &lowest);
	KTEST_EXPECT_EQ(t, lowest, f - 40);
	KTEST_EXPECT_EQ(t, kernel, 2 + 37); /* the 2 parked, then 1 by 1 */
	KTEST_EXPECT_EQ(t, z->free_pages, f - 40);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0);
	uint64_t atomic = take_watching(GFP_ATOMIC, &chain, &lowest);
	KTEST_EXPECT_EQ(t, lowest, atomic_floor);
	KTEST_EXPECT_EQ(t, atomic, (f - 40) - atomic_floor);
	KTEST_EXPECT_EQ(t, z->free_pages, atomic_floor);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0);
	mm_test_give_back(&tn.pgdat, chain);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, z->free_pages, f);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* At the largest high the slots allow, frees of one type fill the cache
 * to high and drain back below it, and a refill of another type on top
 * stays within the slots; every frame comes back. */
static void test_slots_hold_the_largest_high(struct ktest *t)
{
	enum { N = PCP_SLOTS + 100 };
	static uint64_t frames[N];
	if (!setup(t))
		return;
	mm_test_zero_watermarks(&tn.pgdat);
	pcp_drain_local(&tn.pgdat);
	unsigned int batch = 63, high = PCP_SLOTS - 1 - batch;
	KTEST_ASSERT_TRUE(t, pgdat_pcp_resize(&tn.pgdat, ZONE_NORMAL, batch,
					      high) == 0);
	for (int i = 0; i < N; i++) {
		frames[i] = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
		KTEST_ASSERT_TRUE(t, frames[i] != 0);
	}
	unsigned int most = 0;
	for (int i = 0; i < N; i++) {
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, frames[i], 0),
				0);
		if (my_cache()->count > most)
			most = my_cache()->count;
	}
	KTEST_EXPECT_EQ(t, most, high);
	unsigned int t_un = MIGRATE_UNMOVABLE;
	KTEST_EXPECT_LE(t, my_cache()->nr[t_un], high);
	/* Another type's request refills its own slots on top. */
	uint64_t m =
	    pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL | __GFP_MOVABLE, 0);
	KTEST_ASSERT_TRUE(t, m != 0);
	KTEST_EXPECT_LE(t, my_cache()->count, PCP_SLOTS - 1);
	/* (These sizes keep room for a group: the refill was one.) */
	KTEST_EXPECT_TRUE(t, my_cache()->group_refill);
	KTEST_EXPECT_EQ(t, my_cache()->nr[MIGRATE_MOVABLE],
			PCP_GROUP_PAGES - 1);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, m, 0), 0);
	KTEST_EXPECT_LE(t, my_cache()->count, high);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* Checks that the cache's MIGRATE_UNMOVABLE slots hold exactly the
 * aligned group of 64 frames around `first` but `first` itself, and that
 * their state bytes are one cache line. */
static void expect_group(struct ktest *t, uint64_t first)
{
	struct per_cpu_pages *c = my_cache();
	KTEST_EXPECT_EQ(t, first % PCP_GROUP_PAGES, 0);
	KTEST_EXPECT_EQ(t, c->nr[MIGRATE_UNMOVABLE], PCP_GROUP_PAGES - 1);
	for (unsigned int i = 1; i < PCP_GROUP_PAGES; i++)
		KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, first + i), PFS_PCP);
	KTEST_EXPECT_EQ(t, (uintptr_t)pfn_state(&tn.pgdat, first) % 64, 0);
}

/*
 * Where the cache keeps room for a group, an empty cache is refilled with
 * an aligned group of 64 frames whose state bytes are one cache line, so
 * that no other refill, on this CPU or another, gets frames in that line
 * (docs/08c, "Two CPUs, one cache line"); the hottest frame is the
 * group's first. Blocks of orders 1-3 are refilled by groups too. Closer
 * than a group to the floor, the refill is a batch,
 * frame by frame, as without groups.
 */
static void test_refill_takes_a_group(struct ktest *t)
{
	uint64_t chain = 0, lowest = UINT64_MAX;
	if (!setup(t))
		return;
	struct zone *z = normal();
	pcp_drain_local(&tn.pgdat);
	unsigned int batch = 15;
	KTEST_ASSERT_TRUE(t, pgdat_pcp_resize(&tn.pgdat, ZONE_NORMAL, batch,
					      PCP_GROUP_PAGES + batch) == 0);
	KTEST_ASSERT_TRUE(t, my_cache()->group_refill);
	mm_test_zero_watermarks(&tn.pgdat);
	uint64_t f = z->free_pages;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	expect_group(t, a >> PAGE_SHIFT);
	KTEST_EXPECT_EQ(t, z->free_pages, f - PCP_GROUP_PAGES);
	/* The group's frames, then the next refill: a new group. */
	for (unsigned int i = 1; i < PCP_GROUP_PAGES; i++) {
		uint64_t b = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
		KTEST_EXPECT_EQ(t, b, a + ((uint64_t)i << PAGE_SHIFT));
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, b, 0), 0);
		pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0); /* b again */
	}
	KTEST_EXPECT_EQ(t, my_cache()->count, 0);
	uint64_t b = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, b != 0);
	expect_group(t, b >> PAGE_SHIFT);
	KTEST_EXPECT_TRUE(t, (b >> PAGE_SHIFT) / PCP_GROUP_PAGES !=
				 (a >> PAGE_SHIFT) / PCP_GROUP_PAGES);
	for (unsigned int i = 0; i < PCP_GROUP_PAGES; i++)
		KTEST_EXPECT_EQ(t,
				pgdat_free_pages(&tn.pgdat,
						 a + ((uint64_t)i
						      << PAGE_SHIFT),
						 0),
				0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, b, 0), 0);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, z->free_pages, f);

	/* Blocks of order 1 (cached: batch >> 1 >= PCP_BLOCKS_MIN): a group
	 * too, as 32 blocks, the first on top. */
	KTEST_ASSERT_TRUE(t, pcp_caches_order(my_cache(), 1));
	uint64_t g = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 1) >> PAGE_SHIFT;
	KTEST_EXPECT_EQ(t, g % PCP_GROUP_PAGES, 0);
	KTEST_EXPECT_EQ(t, my_cache()->hnr[0][MIGRATE_UNMOVABLE],
			PCP_GROUP_PAGES / 2 - 1);
	for (unsigned int i = 2; i < PCP_GROUP_PAGES; i++)
		KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, g + i),
				i % 2 ? PFS_TAIL : PFS_PCP | 1);
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 1) >>
			    PAGE_SHIFT,
			g + 2);
	KTEST_EXPECT_EQ(t,
			pgdat_free_pages(&tn.pgdat, (g + 2) << PAGE_SHIFT, 1),
			0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, g << PAGE_SHIFT, 1), 0);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, z->free_pages, f);

	/* 63 above the floor: no group but a batch, and the floor holds. */
	z->watermark[WMARK_MIN] = z->watermark[WMARK_LOW] =
	    z->watermark[WMARK_HIGH] = f - (PCP_GROUP_PAGES - 1);
	a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, a) = chain;
	chain = a;
	KTEST_EXPECT_EQ(t, my_cache()->count, batch - 1);
	KTEST_EXPECT_EQ(t, z->free_pages, f - batch);
	uint64_t n = take_watching(GFP_KERNEL, &chain, &lowest);
	KTEST_EXPECT_EQ(t, lowest, f - (PCP_GROUP_PAGES - 1));
	KTEST_EXPECT_EQ(t, n, PCP_GROUP_PAGES - 2);
	mm_test_give_back(&tn.pgdat, chain);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, z->free_pages, f);

	/* The same for blocks: 63 above the floor, a refill of order 1 is
	 * batch >> 1 blocks, and no block goes below the floor. */
	uint64_t blocks[PCP_GROUP_PAGES / 2];
	unsigned int nb = 0;
	while (nb < PCP_GROUP_PAGES / 2 &&
	       (blocks[nb] = pgdat_alloc_pages(&tn.pgdat,
					       GFP_KERNEL | __GFP_NOWARN, 1)) !=
		   0) {
		if (!nb) {
			KTEST_EXPECT_EQ(t,
					my_cache()->hnr[0][MIGRATE_UNMOVABLE],
					batch / 2 - 1);
			KTEST_EXPECT_EQ(t, z->free_pages, f - batch / 2 * 2);
		}
		KTEST_EXPECT_GE(t, z->free_pages, f - (PCP_GROUP_PAGES - 1));
		nb++;
	}
	KTEST_EXPECT_EQ(t, nb, (PCP_GROUP_PAGES - 1) / 2);
	for (unsigned int i = 0; i < nb; i++)
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, blocks[i], 1),
				0);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, z->free_pages, f);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* The state arrays are placed so that a group's bytes are one cache line
 * even where a section's first frame is not a group's first: here the
 * node's RAM starts 5 frames into a group (mm_init.c, state_array_pad; the
 * arena is 4 MiB aligned). That the two passes size the arrays alike is
 * mm_init's own BUG_ON, which every node with several sections runs. */
static void test_group_bytes_share_no_line(struct ktest *t)
{
	static struct pglist_data node;
	static struct memmap_range usable[1];
	uint64_t base;
	void *arena = mm_test_arena(ARENA, &base);
	if (!arena) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	usable[0] =
	    (struct memmap_range){ base + 5 * PAGE_SIZE, base + ARENA, 7, 0 };
	KTEST_ASSERT_TRUE(t, mm_test_pgdat_over(&node, arena, base, usable, 1,
						base, base) == 0);
	unsigned int seen = 0;
	for (uint64_t pfn = base >> PAGE_SHIFT;
	     pfn < (base + ARENA) >> PAGE_SHIFT; pfn += PCP_GROUP_PAGES) {
		const uint8_t *st = pfn_state(&node, pfn);
		if (st && pfn_state(&node, pfn + PCP_GROUP_PAGES - 1)) {
			KTEST_EXPECT_EQ(t, (uintptr_t)st % 64, 0);
			seen++;
		}
	}
	/* The first group has RAM from its frame 5 on, at byte 5 of its
	 * line; every other group was checked whole. */
	KTEST_EXPECT_EQ(t,
			(uintptr_t)pfn_state(&node, (base >> PAGE_SHIFT) + 5) %
			    64,
			5);
	KTEST_EXPECT_EQ(t, seen, ARENA / PAGE_SIZE / PCP_GROUP_PAGES - 1);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	mm_test_arena_free(arena, ARENA);
}

/* Sizes the slots cannot hold are refused with a message, and nothing
 * changes; the caches' pages are the node's own, one per CPU and zone. */
static void test_sizes_refused_and_storage_counted(struct ktest *t)
{
	static char log[512];
	if (!setup(t))
		return;
	struct per_cpu_pages *c = my_cache();
	unsigned int batch = c->batch, high = c->high;
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int r = pgdat_pcp_resize(&tn.pgdat, ZONE_NORMAL, 63, PCP_SLOTS - 63);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, r, -1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "refused"));
	KTEST_EXPECT_EQ(t, c->batch, batch);
	KTEST_EXPECT_EQ(t, c->high, high);
	KTEST_EXPECT_EQ(t, tn.pgdat.pcp_storage_pages,
			4 * tn.pgdat.pcp_nr_cpus); /* four pages each */
	uint64_t phys = pgdat_virt_to_phys(&tn.pgdat, normal()->pcp);
	const uint8_t *st = pfn_state(&tn.pgdat, phys >> PAGE_SHIFT);
	KTEST_ASSERT_TRUE(t, st != NULL);
	KTEST_EXPECT_TRUE(t, (*st & PFS_ALLOC) != 0);
	/* A CPU past those the caches were sized for has none. */
	KTEST_EXPECT_TRUE(t, zone_pcp(normal(), tn.pgdat.pcp_nr_cpus) == NULL);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* Blocks of orders 1-4 are cached too: a free parks the block (head byte
 * PFS_PCP | order, the zone's count unchanged), the next request of that
 * order gets it back, and a second free of it, a free of one of its tails
 * and a free with the wrong order are reported and change nothing. */
static void test_blocks_parked_and_reported(struct ktest *t)
{
	static char log[1024];
	if (!setup(t))
		return;
	mm_test_zero_watermarks(&tn.pgdat);
	pcp_drain_local(&tn.pgdat);
	/* A batch that caches orders 1-3 (batch >> 3 >= PCP_BLOCKS_MIN), and
	 * groups and twelve batches of high for order 4 (the node's own high
	 * is 6): no drain in the loop below. */
	KTEST_ASSERT_TRUE(t, pgdat_pcp_resize(&tn.pgdat, ZONE_NORMAL, 63,
					      PCP_HIGH_BATCHES * 63) == 0);
	KTEST_ASSERT_TRUE(t, my_cache()->group_refill);
	KTEST_ASSERT_TRUE(t, pcp_caches_order(my_cache(), PCP_MAX_ORDER));
	uint64_t start = normal()->free_pages;
	for (unsigned int o = 1; o <= PCP_MAX_ORDER; o++) {
		uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, o);
		KTEST_ASSERT_TRUE(t, a != 0);
		unsigned int held = my_cache()->count;
		uint64_t zone_free = normal()->free_pages;
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, o), 0);
		KTEST_EXPECT_EQ(t, my_cache()->count, held + (1u << o));
		KTEST_EXPECT_EQ(t, normal()->free_pages, zone_free);
		KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, a >> PAGE_SHIFT),
				PFS_PCP | o);
		KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
		uint64_t b = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, o);
		KTEST_EXPECT_EQ(t, b, a); /* the hottest block of its order */
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, b, o), 0);
	}
	/* The fast path (pcp_alloc_block_fast) zeroes a cached block for
	 * __GFP_ZERO, and leaves a sleeping request made with interrupts off
	 * to the general path, which refuses and reports it. */
	uint64_t z = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 2);
	KTEST_ASSERT_TRUE(t, z != 0);
	memset(pgdat_phys_to_virt(&tn.pgdat, z), 0x5a, 4 * PAGE_SIZE);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, z, 2), 0);
	uint64_t z2 = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL | __GFP_ZERO, 2);
	KTEST_EXPECT_EQ(t, z2, z);
	KTEST_EXPECT_TRUE(t, all_bytes(pgdat_phys_to_virt(&tn.pgdat, z2), 0,
				       4 * PAGE_SIZE));
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, z2, 2), 0);
	int saved = console_loglevel;
	console_loglevel = 0;
	unsigned long flags;
	printk_capture_start(log, sizeof(log));
	local_irq_save(flags);
	uint64_t slept = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 2);
	uint64_t atomic = pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC, 2);
	local_irq_restore(flags);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, slept, 0);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "sleeping function"));
	KTEST_EXPECT_EQ(t, atomic, z); /* the cached block */
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, atomic, 2), 0);
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 2);
	KTEST_ASSERT_TRUE(t, a != 0);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int wrong = pgdat_free_pages(&tn.pgdat, a, 1); /* allocated as 2 */
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, wrong, -1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "wrong order"));
	KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, a >> PAGE_SHIFT),
			PFS_ALLOC | 2);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 2), 0);
	unsigned int held = my_cache()->count;
	printk_capture_start(log, sizeof(log));
	int twice = pgdat_free_pages(&tn.pgdat, a, 2);
	int tail = pgdat_free_pages(&tn.pgdat, a + PAGE_SIZE, 0);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, twice, -1);
	KTEST_EXPECT_EQ(t, tail, -1);
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(log, "already free (parked in a per-CPU cache"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "inside a block parked"));
	KTEST_EXPECT_EQ(t, my_cache()->count, held);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0);
	KTEST_EXPECT_EQ(t, normal()->free_pages, start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

#ifdef LABYRINTH_HOST
/*
 * kswapd's margin (docs/05, "Keeping the reserve with frames parked", rule
 * 4): four CPUs whose caches were drained each refill once, starting from
 * every point of a zone between high and high + 127. Parking is not use:
 * the zone must stay above low, where the next request would wake kswapd.
 * Groups may come only from above high; the batches (4 x 31 here) fit in
 * the margin of 174. The numbers are the 512 MiB boot's, where CI saw a
 * group per CPU (64 + 64 + 31 + 15) end exactly at low. Host only: a
 * thread plays each CPU in turn (host_this_cpu_plus_one).
 */
#define MARGIN_CPUS 4
static void test_refills_leave_kswapd_its_margin(struct ktest *t)
{
	if (mm_test_node_init_one_zone(&tn, 128UL << 20, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	struct pglist_data *p = &tn.pgdat;
	struct zone *z = normal();
	unsigned int saved_cpu = host_this_cpu_plus_one;
	pgdat_pcp_enable(p, MARGIN_CPUS);
	KTEST_ASSERT_TRUE(t, p->pcp_enabled);
	KTEST_ASSERT_TRUE(t, pgdat_pcp_resize(p, ZONE_NORMAL, 31, 186) == 0);
	KTEST_ASSERT_TRUE(t, zone_pcp(z, 0)->group_refill);
	uint64_t saved_marks[NR_WMARK];
	memcpy(saved_marks, z->watermark, sizeof(saved_marks));
	uint64_t f = z->free_pages, lowest = UINT64_MAX;
	unsigned int groups = 0, at_or_below_low = 0;
	for (uint64_t above = 0; above < 2 * PCP_GROUP_PAGES; above++) {
		z->watermark[WMARK_HIGH] = f - above;
		z->watermark[WMARK_LOW] = z->watermark[WMARK_HIGH] - 174;
		z->watermark[WMARK_MIN] = z->watermark[WMARK_LOW] - 174;
		uint64_t got[MARGIN_CPUS];
		for (unsigned int c = 0; c < MARGIN_CPUS; c++) {
			host_this_cpu_plus_one = c + 1;
			got[c] = pgdat_alloc_pages(p, GFP_ATOMIC, 0);
			KTEST_EXPECT_NE(t, got[c], 0);
			if (zone_pcp(z, c)->count == PCP_GROUP_PAGES - 1)
				groups++;
		}
		if (z->free_pages <= z->watermark[WMARK_LOW]) {
			if (!at_or_below_low++)
				ktest_diag(
				    t,
				    "from high + %lu: the refills left free %lu, low %lu",
				    (unsigned long)above,
				    (unsigned long)z->free_pages,
				    (unsigned long)z->watermark[WMARK_LOW]);
		}
		uint64_t margin_left = z->free_pages - z->watermark[WMARK_LOW];
		if (margin_left < lowest)
			lowest = margin_left;
		for (unsigned int c = 0; c < MARGIN_CPUS; c++) {
			host_this_cpu_plus_one = c + 1;
			if (got[c])
				KTEST_EXPECT_EQ(t,
						pgdat_free_pages(p, got[c], 0),
						0);
			pcp_drain_local(p);
		}
		KTEST_EXPECT_EQ(t, z->free_pages, f);
	}
	host_this_cpu_plus_one = saved_cpu;
	memcpy(z->watermark, saved_marks, sizeof(saved_marks));
	ktest_diag(
	    t,
	    "128 starting points: %u group refills, the margin above low never under %lu of 174",
	    groups, (unsigned long)lowest);
	KTEST_EXPECT_EQ(t, at_or_below_low, 0);
	/* The premise: groups were taken (from above high + 64). */
	KTEST_EXPECT_GT(t, groups, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}
#endif

static const struct ktest_case pcp_cache_cases[] = {
	KTEST_CASE(test_parked_frame_untouched),
	KTEST_CASE(test_refill_stops_at_the_floor),
	KTEST_CASE(test_slots_hold_the_largest_high),
	KTEST_CASE(test_refill_takes_a_group),
	KTEST_CASE(test_group_bytes_share_no_line),
	KTEST_CASE(test_sizes_refused_and_storage_counted),
	KTEST_CASE(test_blocks_parked_and_reported),
#ifdef LABYRINTH_HOST
	KTEST_CASE(test_refills_leave_kswapd_its_margin),
#endif
	{ 0 },
};
KTEST_SUITE(mm_pcp_cache, pcp_cache_cases);
