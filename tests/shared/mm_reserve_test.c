/*
 * Watermarks and the atomic reserve (mm/page_alloc.c, mm/mm_init.c): Linux's
 * formulas, and what each kind of request may take once memory runs low.
 * GFP_NOWAIT and GFP_KERNEL stop at min; __GFP_HIGH goes to min/2; GFP_ATOMIC
 * to 3/8 of min. The numbers are read back from zoneinfo, as a user would.
 * Runs on the host and on target.
 * docs/03-buddy-and-gfp.md ("The atomic reserve").
 */
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define NOWARN __GFP_NOWARN

static struct mm_test_node tn;
static struct pglist_data fake;
static char log[2048];

static void capture(void (*show)(struct pglist_data *), struct pglist_data *p)
{
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	show(p);
	printk_capture_stop();
	console_loglevel = saved;
}

/* The number after `key` in the section of zone `zone` of the log. */
static uint64_t read_field(const char *zone_header, const char *key)
{
	const char *s = log;
	size_t hl = strlen(zone_header), kl = strlen(key);
	while (*s && strncmp(s, zone_header, hl))
		s++;
	while (*s && strncmp(s, key, kl))
		s++;
	if (!*s)
		return ~0ULL;
	s += kl;
	while (*s == ' ')
		s++;
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static void test_int_sqrt(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, int_sqrt64(0), 0);
	KTEST_EXPECT_EQ(t, int_sqrt64(1), 1);
	KTEST_EXPECT_EQ(t, int_sqrt64(15), 3);
	KTEST_EXPECT_EQ(t, int_sqrt64(16), 4);
	KTEST_EXPECT_EQ(t, int_sqrt64(4087552), 2021);
	KTEST_EXPECT_EQ(t, int_sqrt64(1ULL << 62), 1ULL << 31);
	KTEST_EXPECT_EQ(t, int_sqrt64(~0ULL), 0xffffffffULL);
	KTEST_EXPECT_EQ(t, int_sqrt64(0xfffffffe00000001ULL), 0xffffffffULL);
	KTEST_EXPECT_EQ(t, int_sqrt64(0xfffffffe00000000ULL), 0xfffffffeULL);
}

/* Zone sizes of a 256 MiB q35 guest (DMA32 less the 16 metadata pages);
 * expected values computed separately from Linux's formulas. */
static void test_watermarks_256m(struct ktest *t)
{
	memset(&fake, 0, sizeof(fake));
	fake.watermark_scale_factor = 10;
	fake.node_zones[ZONE_DMA].managed_pages = 3591;
	fake.node_zones[ZONE_DMA32].managed_pages = 60277;
	setup_per_zone_wmarks(&fake);
	KTEST_EXPECT_EQ(t, fake.min_free_kbytes, 2021);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_DMA].watermark[WMARK_MIN], 28);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_DMA].watermark[WMARK_LOW], 35);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_DMA].watermark[WMARK_HIGH], 42);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_DMA32].watermark[WMARK_MIN],
			476);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_DMA32].watermark[WMARK_LOW],
			595);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_DMA32].watermark[WMARK_HIGH],
			714);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_NORMAL].watermark[WMARK_HIGH],
			0);
}

static void test_watermark_clamps_and_overrides(struct ktest *t)
{
	memset(&fake, 0, sizeof(fake));
	fake.watermark_scale_factor = 10;
	fake.node_zones[ZONE_NORMAL].managed_pages = 100; /* sqrt gives 80 */
	setup_per_zone_wmarks(&fake);
	KTEST_EXPECT_EQ(t, fake.min_free_kbytes, 128);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_NORMAL].watermark[WMARK_MIN],
			32);
	fake.node_zones[ZONE_NORMAL].managed_pages = 1ULL << 32; /* 16 TiB */
	setup_per_zone_wmarks(&fake);
	KTEST_EXPECT_EQ(t, fake.min_free_kbytes, 262144);
	/* watermark_scale_factor wins over min/4 when it is larger. */
	fake.node_zones[ZONE_NORMAL].managed_pages = 1000000;
	fake.watermark_scale_factor = 1000; /* 10% */
	fake.user_min_free_kbytes = 4000;   /* min 1000 pages */
	setup_per_zone_wmarks(&fake);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_NORMAL].watermark[WMARK_MIN],
			1000);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_NORMAL].watermark[WMARK_LOW],
			101000);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_NORMAL].watermark[WMARK_HIGH],
			201000);
}

/* min_free_kbytes beyond what the node can bear (the kernel could not
 * start its idle task with min_free_kbytes=262144 on 256 MiB): clamped
 * to a quarter of RAM, with one warning naming the value asked. */
static void test_min_free_kbytes_clamped(struct ktest *t)
{
	static struct pglist_data fake;
	static char log[512];
	__builtin_memset(&fake, 0, sizeof(fake));
	fake.watermark_scale_factor = 10;
	fake.node_zones[ZONE_NORMAL].managed_pages = 65536; /* 256 MiB */
	fake.user_min_free_kbytes = 1048576;
	printk_capture_start(log, sizeof(log));
	setup_per_zone_wmarks(&fake);
	setup_per_zone_wmarks(&fake); /* recomputed: no second warning */
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, fake.min_free_kbytes, 65536);
	KTEST_EXPECT_EQ(t, fake.node_zones[ZONE_NORMAL].watermark[WMARK_MIN],
			16384);
	KTEST_EXPECT_LT(t, fake.node_zones[ZONE_NORMAL].watermark[WMARK_HIGH],
			65536 / 2);
	KTEST_EXPECT_EQ(t, ktest_count(log, "min_free_kbytes=1048576"), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "using 65536"));
	/* A value the node can bear is used as it is, silently. */
	fake.user_min_free_kbytes = 4096;
	printk_capture_start(log, sizeof(log));
	setup_per_zone_wmarks(&fake);
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, fake.min_free_kbytes, 4096);
	KTEST_EXPECT_FALSE(t, ktest_contains(log, "min_free_kbytes"));
}

static void test_reserve_floors(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, zone_reserve_floor(256, ALLOC_WMARK_MIN), 256);
	KTEST_EXPECT_EQ(t, zone_reserve_floor(256, ALLOC_NON_BLOCK), 256);
	KTEST_EXPECT_EQ(t, zone_reserve_floor(256, ALLOC_MIN_RESERVE), 128);
	KTEST_EXPECT_EQ(t,
			zone_reserve_floor(256,
					   ALLOC_MIN_RESERVE | ALLOC_NON_BLOCK),
			96);
}

/* One zone (Normal) with min_free_kbytes=1024: min 256 pages. */
static bool setup_one_zone(struct ktest *t)
{
	if (mm_test_node_init_one_zone(&tn, ARENA, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

static uint64_t drain(gfp_t gfp)
{
	uint64_t n = 0;
	while (pgdat_alloc_pages(&tn.pgdat, gfp | NOWARN, 0))
		n++;
	return n;
}

static void free_everything(void)
{
	/* Walk the state bytes: every allocated head is freed. */
	for (uint64_t a = tn.phys_base; a < tn.phys_base + ARENA;
	     a += PAGE_SIZE) {
		uint8_t *st = pfn_state(&tn.pgdat, a >> PAGE_SHIFT);
		if (st && (*st & PFS_ALLOC))
			pgdat_free_pages(&tn.pgdat, a, *st & PFS_ORDER_MASK);
	}
}

static void test_atomic_reserve(struct ktest *t)
{
	if (!setup_one_zone(t))
		return;
	struct zone *z = &tn.pgdat.node_zones[ZONE_NORMAL];
	capture(zoneinfo_show, &tn.pgdat);
	uint64_t min = read_field("zone   Normal", "min");
	uint64_t low = read_field("zone   Normal", "low");
	uint64_t managed = read_field("zone   Normal", "managed");
	KTEST_EXPECT_EQ(t, min, 256);
	KTEST_EXPECT_EQ(t, low, 320);
	KTEST_EXPECT_EQ(t, managed, 3071);
	uint64_t atomic_floor = (min - min / 2) - (min - min / 2) / 4;
	KTEST_EXPECT_EQ(t, atomic_floor, 96); /* 3/8 of 256 */

	/* Ordinary requests stop at min (the last success leaves exactly min). */
	KTEST_EXPECT_EQ(t, drain(GFP_NOWAIT), managed - min);
	KTEST_EXPECT_EQ(t, z->free_pages, min);
	KTEST_EXPECT_EQ(t, drain(GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, drain(GFP_NOWAIT), 0);
	KTEST_EXPECT_EQ(t, z->reserve_dips, 0);
	/* GFP_ATOMIC goes on to 3/8 of min, then fails cleanly. */
	KTEST_EXPECT_EQ(t, drain(GFP_ATOMIC), min - atomic_floor);
	KTEST_EXPECT_EQ(t, z->free_pages, atomic_floor);
	KTEST_EXPECT_EQ(t, drain(GFP_ATOMIC), 0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC | NOWARN, 1),
			0);
	KTEST_EXPECT_EQ(t, z->free_pages, atomic_floor);
	/* meminfo tells the story. */
	capture(meminfo_show, &tn.pgdat);
	KTEST_EXPECT_EQ(t, read_field("", "AtomicResDips:"),
			min - atomic_floor);
	KTEST_EXPECT_EQ(t, read_field("", "AtomicReserve:"),
			K(min - atomic_floor));
	KTEST_EXPECT_EQ(t, read_field("", "AtomicResUsed:"),
			K(min - atomic_floor));
	KTEST_EXPECT_GE(t, read_field("", "AtomicResFails:"), 3);
	free_everything();
	KTEST_EXPECT_EQ(t, z->free_pages, managed);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void test_gfp_high_gets_half_of_min(struct ktest *t)
{
	if (!setup_one_zone(t))
		return;
	struct zone *z = &tn.pgdat.node_zones[ZONE_NORMAL];
	uint64_t min = z->watermark[WMARK_MIN];
	drain(GFP_KERNEL);
	KTEST_EXPECT_EQ(t, z->free_pages, min);
	/* Important but may block: half of min, no more. */
	KTEST_EXPECT_EQ(t, drain(GFP_KERNEL | __GFP_HIGH), min - min / 2);
	/* Not important, cannot block: nothing below min at all. */
	KTEST_EXPECT_EQ(t, drain(GFP_NOWAIT), 0);
	/* Atomic: the rest, down to 3/8. */
	KTEST_EXPECT_EQ(t, drain(GFP_ATOMIC),
			min / 2 - (min / 2 - (min / 2) / 4));
	free_everything();
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* Order > 0 counts the block's own pages against the mark too. */
static void test_high_order_watermark(struct ktest *t)
{
	if (!setup_one_zone(t))
		return;
	struct zone *z = &tn.pgdat.node_zones[ZONE_NORMAL];
	uint64_t min = z->watermark[WMARK_MIN];
	drain(GFP_KERNEL);
	/* An order-4 block takes 16 pages, so with min + 15 free it would
	 * leave min - 1: refused. Order 0 needs one page above min. */
	KTEST_EXPECT_EQ(t,
			zone_watermark_ok(z, 4, min, ZONE_NORMAL,
					  ALLOC_WMARK_MIN, min + 15),
			false);
	KTEST_EXPECT_EQ(t,
			zone_watermark_ok(z, 0, min, ZONE_NORMAL,
					  ALLOC_WMARK_MIN, min + 1),
			true);
	KTEST_EXPECT_EQ(t,
			zone_watermark_ok(z, 0, min, ZONE_NORMAL,
					  ALLOC_WMARK_MIN, min),
			false);
	free_everything();
	mm_test_node_destroy(&tn);
}

/* A sleeping request with interrupts off is a bug: reported and refused
 * (it could wait forever), while the same request with interrupts on works. */
static void test_sleeping_alloc_with_irqs_off_reported(struct ktest *t)
{
	unsigned long flags;
	int saved = console_loglevel;
	if (!setup_one_zone(t))
		return;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	local_irq_save(flags);
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	local_irq_restore(flags);
	uint64_t b = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, a, 0);
	KTEST_EXPECT_NE(t, b, 0);
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(log,
			   "BUG: sleeping function called from invalid context"));
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(log, "refusing order:0 mode:0xcc0(GFP_KERNEL)"));
	pgdat_free_pages(&tn.pgdat, b, 0);
	mm_test_node_destroy(&tn);
}

static uint64_t free_pages_in_pageblock(uint64_t pb_pfn)
{
	uint64_t n = 0;
	for (uint64_t pfn = pb_pfn; pfn < pb_pfn + PAGEBLOCK_PAGES;) {
		uint8_t *st = pfn_state(&tn.pgdat, pfn);
		if (st && (*st & PFS_FREE)) {
			n += 1ULL << (*st & PFS_ORDER_MASK);
			pfn += 1ULL << (*st & PFS_ORDER_MASK);
		} else {
			pfn++;
		}
	}
	return n;
}

/* Under pressure an order > 0 atomic request claims its 2 MiB pageblock;
 * ordinary requests avoid it until they would fail, then it is released. */
static void test_highatomic_pageblocks(struct ktest *t)
{
	static uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS];
	if (!setup_one_zone(t))
		return;
	struct zone *z = &tn.pgdat.node_zones[ZONE_NORMAL];
	uint64_t low = z->watermark[WMARK_LOW], min = z->watermark[WMARK_MIN];
	mm_test_snapshot(&tn.pgdat, snap);
	/* Plenty free: an atomic order-2 request takes the fast path and
	 * reserves nothing. */
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC, 2);
	KTEST_EXPECT_NE(t, a, 0);
	KTEST_EXPECT_EQ(t, z->nr_reserved_highatomic, 0);
	pgdat_free_pages(&tn.pgdat, a, 2);

	/* Down to low: now it goes the slow way and claims its pageblock. */
	uint64_t early[32];
	for (unsigned int i = 0; z->free_pages > low; i++) {
		uint64_t c = pgdat_alloc_pages(&tn.pgdat, GFP_MOVABLE, 0);
		KTEST_ASSERT_TRUE(t, c != 0);
		if (i < 32)
			early[i] = c;
	}
	a = pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC, 2);
	KTEST_ASSERT_TRUE(t, a != 0);
	uint64_t pb = (a >> PAGE_SHIFT) & ~(PAGEBLOCK_PAGES - 1);
	struct mem_section *sec = pfn_to_section(&tn.pgdat, pb);
	KTEST_EXPECT_EQ(t, z->nr_reserved_highatomic, PAGEBLOCK_PAGES);
	KTEST_EXPECT_EQ(t, pageblock_migratetype(sec, pb), MIGRATE_HIGHATOMIC);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	/* Freed, it stays reserved, and the next atomic request gets it. */
	pgdat_free_pages(&tn.pgdat, a, 2);
	uint64_t b = pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC, 2);
	KTEST_EXPECT_EQ(t, (b >> PAGE_SHIFT) & ~(PAGEBLOCK_PAGES - 1), pb);
	pgdat_free_pages(&tn.pgdat, b, 2);
	KTEST_EXPECT_EQ(t, z->nr_reserved_highatomic, PAGEBLOCK_PAGES);

	/* Give back 32 pages from far away (the first ones taken). */
	for (unsigned int i = 0; i < 32; i++) {
		KTEST_EXPECT_NE(t,
				(early[i] >> PAGE_SHIFT) &
				    ~(PAGEBLOCK_PAGES - 1),
				pb);
		pgdat_free_pages(&tn.pgdat, early[i], 0);
	}
	/* Ordinary requests use everything outside it first... */
	uint64_t outside = z->free_pages - free_pages_in_pageblock(pb);
	uint64_t taken = 0, inside = 0;
	ktest_diag(t,
		   "%llu free pages outside the reserved pageblock, %llu inside",
		   (unsigned long long)outside,
		   (unsigned long long)free_pages_in_pageblock(pb));
	KTEST_EXPECT_EQ(t, outside, 32);
	for (;;) {
		uint64_t c =
		    pgdat_alloc_pages(&tn.pgdat, GFP_MOVABLE | __GFP_NOWARN, 0);
		if (!c)
			break;
		taken++;
		if (((c >> PAGE_SHIFT) & ~(PAGEBLOCK_PAGES - 1)) == pb) {
			inside++;
			/* ...and only reach into it once it is given back. */
			KTEST_EXPECT_EQ(t, z->nr_reserved_highatomic, 0);
			KTEST_EXPECT_GE(t, taken, outside + 1);
		}
	}
	/* Nothing was lost to the reserve: ordinary requests got down to min. */
	KTEST_EXPECT_EQ(t, taken, low + 32 - min);
	KTEST_EXPECT_EQ(t, inside, taken - outside);
	KTEST_EXPECT_EQ(t, z->nr_reserved_highatomic, 0);
	KTEST_EXPECT_EQ(t, pageblock_migratetype(sec, pb), MIGRATE_MOVABLE);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	free_everything();
	/* Everything merged back as at the start. */
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case reserve_cases[] = {
	KTEST_CASE(test_int_sqrt),
	KTEST_CASE(test_watermarks_256m),
	KTEST_CASE(test_watermark_clamps_and_overrides),
	KTEST_CASE(test_min_free_kbytes_clamped),
	KTEST_CASE(test_reserve_floors),
	KTEST_CASE(test_atomic_reserve),
	KTEST_CASE(test_gfp_high_gets_half_of_min),
	KTEST_CASE(test_high_order_watermark),
	KTEST_CASE(test_sleeping_alloc_with_irqs_off_reported),
	KTEST_CASE(test_highatomic_pageblocks),
	{ 0 },
};
KTEST_SUITE(mm_reserve, reserve_cases);
