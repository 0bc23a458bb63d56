/*
 * The buddy allocator (mm/page_alloc.c) over a 12 MiB arena with three
 * zones: DMA = first 2 MiB, DMA32 = next 2 MiB, Normal = the rest (minus one
 * metadata page). Every order, alignment, no overlap, zone constraints,
 * __GFP_ZERO, exhaustion, counts restored, dumps, poisoning. Runs on the
 * host and on target. docs/03-buddy-and-gfp.md explains what is checked.
 */
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/internal.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define DMA_BYTES (2UL << 20)
#define DMA32_BYTES (4UL << 20)
#define ARENA_PAGES (ARENA >> PAGE_SHIFT)
#define QUIET (GFP_KERNEL | __GFP_NOWARN)
/* The worked examples ask for movable pages: every pageblock starts
 * movable, so they stay inside one migrate type and show the buddy alone
 * (an unmovable request would first claim the largest block: docs/10). */
#define QUIET_MOVABLE (GFP_MOVABLE | __GFP_NOWARN)

static struct mm_test_node tn;
static uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS];
static uint8_t owner[ARENA_PAGES]; /* test's own record of handed-out pages */
static struct {
	uint64_t phys;
	unsigned int order;
} live[ARENA_PAGES];

static bool setup(struct ktest *t, bool no_watermarks)
{
	if (mm_test_node_init(&tn, ARENA, DMA_BYTES, DMA32_BYTES,
			      no_watermarks)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	memset(owner, 0, sizeof(owner));
	mm_test_snapshot(&tn.pgdat, snap);
	return true;
}

static uint64_t window_end(int zone)
{
	return zone == ZONE_DMA	    ? tn.phys_base + DMA_BYTES
	       : zone == ZONE_DMA32 ? tn.phys_base + DMA32_BYTES
				    : tn.phys_base + ARENA;
}

/* Records a block in the test's own map; false if any page was already
 * handed out (overlap) or the block lies outside the arena. */
static bool claim(uint64_t phys, unsigned int order)
{
	if (phys < tn.phys_base ||
	    phys + (PAGE_SIZE << order) > tn.phys_base + ARENA)
		return false;
	uint64_t first = (phys - tn.phys_base) >> PAGE_SHIFT;
	for (uint64_t i = 0; i < (1ULL << order); i++)
		if (owner[first + i]++)
			return false;
	return true;
}

static void unclaim(uint64_t phys, unsigned int order)
{
	uint64_t first = (phys - tn.phys_base) >> PAGE_SHIFT;
	for (uint64_t i = 0; i < (1ULL << order); i++)
		owner[first + i] = 0;
}

static void test_init_counts(struct ktest *t)
{
	if (!setup(t, false))
		return;
	struct pglist_data *p = &tn.pgdat;
	KTEST_EXPECT_EQ(t, p->node_zones[ZONE_DMA].managed_pages, 512);
	KTEST_EXPECT_EQ(t, p->node_zones[ZONE_DMA32].managed_pages, 512);
	KTEST_EXPECT_EQ(t, p->metadata_pages, 1);
	KTEST_EXPECT_EQ(t, p->node_zones[ZONE_NORMAL].managed_pages, 2047);
	KTEST_EXPECT_EQ(t, p->node_zones[ZONE_NORMAL].present_pages, 2048);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), ARENA_PAGES - 1);
	/* DMA and DMA32 are 2 MiB each: one order-9 block; Normal is one
	 * order-10 block and then 1023 pages: orders 9 down to 0. */
	KTEST_EXPECT_EQ(t, snap[ZONE_DMA][9], 1);
	KTEST_EXPECT_EQ(t, snap[ZONE_DMA32][9], 1);
	KTEST_EXPECT_EQ(t, snap[ZONE_NORMAL][10], 1);
	for (int o = 0; o < 10; o++)
		KTEST_EXPECT_EQ(t, snap[ZONE_NORMAL][o], 1);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

static void test_every_order(struct ktest *t)
{
	if (!setup(t, true))
		return;
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		uint64_t phys = pgdat_alloc_pages(&tn.pgdat, QUIET, o);
		KTEST_EXPECT_NE(t, phys, 0);
		if (!phys)
			continue;
		KTEST_EXPECT_EQ(t, phys & ((PAGE_SIZE << o) - 1), 0);
		KTEST_EXPECT_TRUE(t, claim(phys, o));
		/* The whole block is writable memory of ours. */
		memset(pgdat_phys_to_virt(&tn.pgdat, phys), 0x5a,
		       PAGE_SIZE << o);
		KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
		KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, phys, o), 0);
		unclaim(phys, o);
	}
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* Takes everything at a mix of orders; checks alignment, overlap, zones;
 * frees it all in a different order; counts must come back exactly. */
static void test_exhaust_mixed_orders_and_restore(struct ktest *t)
{
	static const unsigned int mix[] = {
		3, 0, 7, 1, 10, 2, 5, 0, 9, 4, 6, 8
	};
	unsigned int n = 0;
	uint64_t pages = 0;
	bool exhausted[NR_PAGE_ORDERS] = { false };
	if (!setup(t, true))
		return;
	for (unsigned int i = 0; n < ARENA_PAGES; i++) {
		unsigned int o = mix[i % 12];
		bool all = true;
		for (int k = 0; k <= MAX_ORDER; k++)
			all = all && exhausted[k];
		if (all)
			break;
		if (exhausted[o])
			continue;
		uint64_t phys = pgdat_alloc_pages(&tn.pgdat, QUIET, o);
		if (!phys) {
			exhausted[o] = true;
			continue;
		}
		KTEST_EXPECT_EQ(t, phys & ((PAGE_SIZE << o) - 1), 0);
		KTEST_EXPECT_TRUE(t, claim(phys, o));
		live[n].phys = phys;
		live[n++].order = o;
		pages += 1ULL << o;
	}
	KTEST_EXPECT_EQ(t, pages, ARENA_PAGES - 1);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(&tn.pgdat, QUIET, 0), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	for (unsigned int i = 0; i < n; i += 2) /* evens first, then odds */
		KTEST_EXPECT_EQ(t,
				pgdat_free_pages(&tn.pgdat, live[i].phys,
						 live[i].order),
				0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	for (unsigned int i = 1; i < n; i += 2)
		KTEST_EXPECT_EQ(t,
				pgdat_free_pages(&tn.pgdat, live[i].phys,
						 live[i].order),
				0);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), ARENA_PAGES - 1);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* Each zone modifier, drained to the end: every block in the allowed zones,
 * and the fallback order Normal -> DMA32 -> DMA. */
static void test_zone_constraints(struct ktest *t)
{
	static const struct {
		gfp_t gfp;
		int highest;
	} kinds[] = {
		{ QUIET | __GFP_DMA, ZONE_DMA },
		{ QUIET | __GFP_DMA32, ZONE_DMA32 },
		{ QUIET, ZONE_NORMAL },
	};
	for (unsigned int k = 0; k < 3; k++) {
		unsigned int n = 0;
		int last_zone = MAX_NR_ZONES;
		if (!setup(t, true))
			return;
		for (;;) {
			uint64_t phys =
			    pgdat_alloc_pages(&tn.pgdat, kinds[k].gfp, 0);
			if (!phys)
				break;
			int zone =
			    (int)(pfn_to_zone(&tn.pgdat, phys >> PAGE_SHIFT) -
				  tn.pgdat.node_zones);
			KTEST_EXPECT_LE(t, zone, kinds[k].highest);
			KTEST_EXPECT_LE(t, phys + PAGE_SIZE,
					window_end(kinds[k].highest));
			/* Highest zone first; never back up once fallen back. */
			KTEST_EXPECT_LE(t, zone, last_zone);
			if (n == 0)
				KTEST_EXPECT_EQ(t, zone, kinds[k].highest);
			last_zone = zone;
			n++;
		}
		uint64_t expect = kinds[k].highest == ZONE_DMA ? 512
				  : kinds[k].highest == ZONE_DMA32
				      ? 1024
				      : ARENA_PAGES - 1;
		KTEST_EXPECT_EQ(t, n, expect);
		KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
		mm_test_node_destroy(&tn);
	}
}

static void test_gfp_zero(struct ktest *t)
{
	if (!setup(t, true))
		return;
	for (unsigned int o = 0; o <= 4; o++) {
		uint64_t a = pgdat_alloc_pages(&tn.pgdat, QUIET, o);
		KTEST_ASSERT_TRUE(t, a != 0);
		memset(pgdat_phys_to_virt(&tn.pgdat, a), 0xee, PAGE_SIZE << o);
		pgdat_free_pages(&tn.pgdat, a, o);
		uint64_t b =
		    pgdat_alloc_pages(&tn.pgdat, QUIET | __GFP_ZERO, o);
		KTEST_ASSERT_TRUE(t, b != 0);
		KTEST_EXPECT_EQ(t, b, a); /* last freed comes back first */
		const uint8_t *v = pgdat_phys_to_virt(&tn.pgdat, b);
		uint64_t nonzero = 0;
		for (uint64_t i = 0; i < (PAGE_SIZE << o); i++)
			nonzero += v[i] != 0;
		KTEST_EXPECT_EQ(t, nonzero, 0);
		pgdat_free_pages(&tn.pgdat, b, o);
	}
	mm_test_node_destroy(&tn);
}

static void test_exhaustion_then_free_succeeds(struct ktest *t)
{
	uint64_t last = 0, phys;
	if (!setup(t, true))
		return;
	while ((phys = pgdat_alloc_pages(&tn.pgdat, QUIET, 0)))
		last = phys;
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(&tn.pgdat, QUIET, 0), 0);
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC | __GFP_NOWARN,
					  0),
			0);
	KTEST_ASSERT_TRUE(t, last != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, last, 0), 0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(&tn.pgdat, QUIET, 1), 0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(&tn.pgdat, QUIET, 0), last);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void test_refuses_bad_requests(struct ktest *t)
{
	char log[512];
	int saved = console_loglevel;
	if (!setup(t, true))
		return;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, MAX_ORDER + 1);
	uint64_t b = pgdat_alloc_pages(&tn.pgdat,
				       GFP_KERNEL | __GFP_DMA | __GFP_DMA32, 0);
	uint64_t c = pgdat_alloc_pages(&tn.pgdat, 0x40000000u, 0);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, a, 0);
	KTEST_EXPECT_EQ(t, b, 0);
	KTEST_EXPECT_EQ(t, c, 0);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "order above MAX_ORDER"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "__GFP_DMA|__GFP_DMA32"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "0x40000000"));
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	mm_test_node_destroy(&tn);
}

static void test_failure_report_rate_limited(struct ktest *t)
{
	char log[1024];
	int saved = console_loglevel;
	if (!setup(t, true))
		return;
	while (pgdat_alloc_pages(&tn.pgdat, QUIET, 0))
		;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC | __GFP_ZERO,
					  2),
			0);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(
		log,
		"page allocation failure: order:2, mode:0x920(GFP_ATOMIC|__GFP_ZERO)"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "caller 0x"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "Normal free:0kB"));
	printk_capture_start(log, sizeof(log));
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0), 0);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_STREQ(t, log, ""); /* within 10 s of the first: quiet */
	mm_test_node_destroy(&tn);
}

static void test_gfp_names(struct ktest *t)
{
	char buf[128];
	gfp_flags_name(GFP_KERNEL, buf, sizeof(buf));
	KTEST_EXPECT_STREQ(t, buf, "GFP_KERNEL");
	gfp_flags_name(GFP_ATOMIC | __GFP_NOWARN, buf, sizeof(buf));
	KTEST_EXPECT_STREQ(t, buf, "GFP_ATOMIC|__GFP_NOWARN");
	gfp_flags_name(GFP_NOWAIT | __GFP_DMA32, buf, sizeof(buf));
	KTEST_EXPECT_STREQ(t, buf, "GFP_NOWAIT|__GFP_DMA32");
	gfp_flags_name(GFP_KERNEL | __GFP_HIGH | __GFP_ZERO, buf, sizeof(buf));
	KTEST_EXPECT_STREQ(t, buf, "GFP_KERNEL|__GFP_HIGH|__GFP_ZERO");
	gfp_flags_name(__GFP_NOFAIL | 0x10000000u, buf, sizeof(buf));
	KTEST_EXPECT_STREQ(t, buf, "__GFP_NOFAIL|0x10000000");
	gfp_flags_name(0, buf, sizeof(buf));
	KTEST_EXPECT_STREQ(t, buf, "0x0");
}

/* The allocator shell reads flags by name (gfp_flag_from_name): every name
 * gfp_flags_name prints reads back as its bits; a near miss, a prefix, an
 * extension or an empty name is refused and leaves *out alone. */
static void test_gfp_names_read_back(struct ktest *t)
{
	static const gfp_t each[] = {
		GFP_KERNEL,
		GFP_ATOMIC,
		GFP_NOWAIT,
		__GFP_DMA,
		__GFP_DMA32,
		__GFP_HIGH,
		__GFP_IO,
		__GFP_FS,
		__GFP_ZERO,
		__GFP_DIRECT_RECLAIM,
		__GFP_KSWAPD_RECLAIM,
		__GFP_NORETRY,
		__GFP_NOWARN,
		__GFP_NOFAIL,
	};
	char buf[64];
	gfp_t got;
	for (unsigned int i = 0; i < sizeof(each) / sizeof(each[0]); i++) {
		gfp_flags_name(each[i], buf, sizeof(buf));
		got = 0;
		KTEST_EXPECT_EQ(t, gfp_flag_from_name(buf, strlen(buf), &got),
				0);
		KTEST_EXPECT_EQ(t, got, each[i]);
	}
	static const char *const bad[] = {
		"GFP_KERNAL", "GFP_KERNE", "GFP_KERNELS",
		"gfp_kernel", "",	   "__GFP_"
	};
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		got = 0x1234;
		KTEST_EXPECT_EQ(t,
				gfp_flag_from_name(bad[i], strlen(bad[i]),
						   &got),
				-1);
		KTEST_EXPECT_EQ(t, got, 0x1234);
	}
	/* A length, not a NUL, ends the name: "GFP_ATOMIC|..." reads as
	 * GFP_ATOMIC when given its first 10 characters. */
	KTEST_EXPECT_EQ(t,
			gfp_flag_from_name("GFP_ATOMIC|__GFP_ZERO", 10, &got),
			0);
	KTEST_EXPECT_EQ(t, got, GFP_ATOMIC);
}

static void test_buddyinfo_format(struct ktest *t)
{
	char log[1024];
	int saved = console_loglevel;
	if (!setup(t, true))
		return;
	KTEST_ASSERT_TRUE(t,
			  pgdat_alloc_pages(&tn.pgdat, QUIET_MOVABLE, 0) != 0);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	buddyinfo_show(&tn.pgdat);
	printk_capture_stop();
	console_loglevel = saved;
	/* One page from Normal's order-0 block; DMA/DMA32 untouched. */
	KTEST_EXPECT_STREQ(
	    t, log,
	    "Node 0, zone      DMA      0      0      0      0      0      0      0      0      0      1      0 \n"
	    "Node 0, zone    DMA32      0      0      0      0      0      0      0      0      0      1      0 \n"
	    "Node 0, zone   Normal      0      1      1      1      1      1      1      1      1      1      1 \n");
	mm_test_node_destroy(&tn);
}

/* The worked example of docs/03: one page from a lone order-3 block splits
 * it into 4 + 2 + 1 (+ the page); freeing it merges all the way back. */
static void test_split_and_merge_worked_example(struct ktest *t)
{
	if (!setup(t, true))
		return;
	struct zone *z = &tn.pgdat.node_zones[ZONE_NORMAL];
	/* Take Normal's blocks of orders 0, 1, 2 and 10..4, leaving order 3 and
	 * the order-9 block: order 3 is then the smallest that fits. */
	uint64_t held[16];
	unsigned int nheld = 0;
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		if (o != 3 && o != 9)
			held[nheld++] =
			    pgdat_alloc_pages(&tn.pgdat, QUIET_MOVABLE, o);
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		KTEST_EXPECT_EQ(t, z->free_area[o].nr_free, o == 3 || o == 9);
	uint64_t page = pgdat_alloc_pages(&tn.pgdat, QUIET_MOVABLE, 0);
	KTEST_EXPECT_EQ(t, z->free_area[3].nr_free, 0);
	KTEST_EXPECT_EQ(t, z->free_area[2].nr_free, 1);
	KTEST_EXPECT_EQ(t, z->free_area[1].nr_free, 1);
	KTEST_EXPECT_EQ(t, z->free_area[0].nr_free, 1);
	KTEST_EXPECT_EQ(t, page & (8 * PAGE_SIZE - 1), 0); /* low end kept */
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	pgdat_free_pages(&tn.pgdat, page, 0);
	KTEST_EXPECT_EQ(t, z->free_area[3].nr_free, 1);
	KTEST_EXPECT_EQ(t,
			z->free_area[0].nr_free + z->free_area[1].nr_free +
			    z->free_area[2].nr_free,
			0);
	for (unsigned int i = 0, o = 0; o <= MAX_ORDER; o++)
		if (o != 3 && o != 9)
			pgdat_free_pages(&tn.pgdat, held[i++], o);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	mm_test_node_destroy(&tn);
}

/* One page from Normal's lone 4 MiB block frees ten halves: their links
 * sit at each one's block_link_offset, six lines, at most two on one; at
 * offset 0 they would share one cache set (docs/08b, "Where a free block
 * keeps its links"). */
static void test_link_lines_spread(struct ktest *t)
{
	if (!setup(t, true))
		return;
	struct zone *z = &tn.pgdat.node_zones[ZONE_NORMAL];
	unsigned int nheld = 0; /* live[]: the blocks held meanwhile */
	for (unsigned int o = 0; o <= MAX_ORDER; o++)
		while (z->free_area[o].nr_free > (o == MAX_ORDER))
			live[nheld].order = o,
			live[nheld++].phys =
			    pgdat_alloc_pages(&tn.pgdat, QUIET_MOVABLE, o);
	KTEST_ASSERT_TRUE(t, z->free_area[MAX_ORDER].nr_free == 1);
	uint64_t page = pgdat_alloc_pages(&tn.pgdat, QUIET_MOVABLE, 0);
	KTEST_ASSERT_TRUE(t, page != 0);
	unsigned int per_line[64] = { 0 }, lines = 0, most = 0, blocks = 0;
	for (unsigned int o = 0; o < MAX_ORDER; o++) {
		const struct list_head *h =
		    &z->free_area[o].free_list[MIGRATE_MOVABLE];
		for (const struct list_head *e = h->next; e != h; e = e->next) {
			uint64_t pfn = block_pfn(&tn.pgdat, e);
			KTEST_EXPECT_TRUE(t, e == pfn_entry(&tn.pgdat, pfn));
			unsigned int line =
			    ((uintptr_t)e & (PAGE_SIZE - 1)) / 64;
			lines += per_line[line]++ == 0, blocks++;
			most = per_line[line] > most ? per_line[line] : most;
		}
	}
	ktest_diag(t, "%u free halves, links on %u lines, at most %u on one",
		   blocks, lines, most);
	KTEST_EXPECT_EQ(t, blocks, MAX_ORDER);
	KTEST_EXPECT_EQ(t, lines, 6);
	KTEST_EXPECT_LE(t, most, 2);
	/* Every line of a page, equally, for any 4096 frames in a row. */
	unsigned int uses[64] = { 0 };
	for (uint64_t pfn = 0x12345; pfn < 0x12345 + 4096; pfn++)
		uses[block_link_offset(pfn) / 64]++;
	for (unsigned int l = 0; l < 64; l++)
		KTEST_EXPECT_EQ(t, uses[l], 64);
	pgdat_free_pages(&tn.pgdat, page, 0);
	KTEST_EXPECT_EQ(t, z->free_area[MAX_ORDER].nr_free, 1);
	while (nheld--)
		pgdat_free_pages(&tn.pgdat, live[nheld].phys,
				 live[nheld].order);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	mm_test_node_destroy(&tn);
}

static void test_page_poison_catches_use_after_free(struct ktest *t)
{
	char log[512];
	int saved = console_loglevel;
	if (!setup(t, true))
		return;
	pgdat_set_page_poison(&tn.pgdat, true);
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, QUIET, 1);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.poison_errors, 0); /* clean so far */
	pgdat_free_pages(&tn.pgdat, a, 1);
	uint8_t *v = pgdat_phys_to_virt(&tn.pgdat, a);
	KTEST_EXPECT_EQ(t, v[PAGE_SIZE + 100], PAGE_POISON);
	v[PAGE_SIZE + 100] = 0x42; /* a write after free */
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	uint64_t b = pgdat_alloc_pages(&tn.pgdat, QUIET, 1);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, b, a);
	KTEST_EXPECT_EQ(t, tn.pgdat.poison_errors, 1);
	char expect[96];
	ksnprintf(expect, sizeof(expect), "frame 0x%llx offset 0x64 holds 0x42",
		  (unsigned long long)(a >> PAGE_SHIFT) + 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "use after free"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, expect));
	pgdat_free_pages(&tn.pgdat, b, 1);
	/* Merged blocks, split blocks: still no false alarms. */
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		uint64_t c = pgdat_alloc_pages(&tn.pgdat, QUIET, o);
		if (c)
			pgdat_free_pages(&tn.pgdat, c, o);
	}
	KTEST_EXPECT_EQ(t, tn.pgdat.poison_errors, 1);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void test_release_range(struct ktest *t)
{
	static struct pglist_data p;
	uint64_t base;
	void *arena = mm_test_arena(ARENA, &base);
	if (!arena) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	/* RAM is the whole arena; only its first 8 MiB is usable at first. */
	struct memmap_range ram = { base, base + ARENA, 7, 0 };
	struct memmap_range usable = { base, base + (8UL << 20), 7, 0 };
	struct pgdat_config cfg = { &usable,
				    1,
				    &ram,
				    1,
				    base + DMA_BYTES,
				    base + DMA32_BYTES,
				    (uint64_t)(uintptr_t)arena - base,
				    false,
				    false,
				    false };
	KTEST_ASSERT_TRUE(t, pgdat_init(&p, &cfg) == 0);
	uint64_t before = mm_test_free_pages(&p);
	uint64_t min_before = p.node_zones[ZONE_NORMAL].watermark[WMARK_MIN];
	uint64_t upper = base + (8UL << 20);
	char log[256];
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	/* Not yet managed pages can be neither freed nor allocated... */
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&p, upper, 0), -1);
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, pgdat_release_range(&p, upper, base + ARENA), 1024);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&p), before + 1024);
	KTEST_EXPECT_GT(t, p.node_zones[ZONE_NORMAL].watermark[WMARK_MIN],
			min_before);
	printk_capture_start(log, sizeof(log));
	KTEST_EXPECT_TRUE(t, pgdat_release_range(&p, upper, upper + PAGE_SIZE) <
				 0);
	KTEST_EXPECT_TRUE(t, pgdat_release_range(&p, base + ARENA,
						 base + ARENA + PAGE_SIZE) < 0);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, pgdat_check(&p), 0);
	/* ...and once released they merge with their neighbours. */
	KTEST_EXPECT_EQ(t,
			p.node_zones[ZONE_NORMAL].free_area[MAX_ORDER].nr_free,
			1);
	mm_test_arena_free(arena, ARENA);
}

static const struct ktest_case buddy_cases[] = {
	KTEST_CASE(test_init_counts),
	KTEST_CASE(test_every_order),
	KTEST_CASE(test_exhaust_mixed_orders_and_restore),
	KTEST_CASE(test_zone_constraints),
	KTEST_CASE(test_gfp_zero),
	KTEST_CASE(test_exhaustion_then_free_succeeds),
	KTEST_CASE(test_refuses_bad_requests),
	KTEST_CASE(test_failure_report_rate_limited),
	KTEST_CASE(test_gfp_names),
	KTEST_CASE(test_gfp_names_read_back),
	KTEST_CASE(test_buddyinfo_format),
	KTEST_CASE(test_split_and_merge_worked_example),
	KTEST_CASE(test_link_lines_spread),
	KTEST_CASE(test_page_poison_catches_use_after_free),
	KTEST_CASE(test_release_range),
	{ 0 },
};
KTEST_SUITE(mm_buddy, buddy_cases);
