/*
 * Grouping by mobility (mm/migratetype.c): requests take from their own
 * migrate type's pageblocks, fall back in Linux's order, claim a pageblock
 * when they would take much of it and only borrow when not; per-CPU lists
 * keep the types apart; pagetypeinfo counts pageblocks and mixed ones;
 * page_grouping=off makes one kind; and a long mixed churn shows what
 * grouping buys. Host and target.
 * docs/10-fragmentation-and-compaction.md ("Migrate types").
 */
#include "mm/internal.h"
#include "mm/page_owner.h"
#include "mm/pcp.h"
#include "kernel/lib/printk.h"
#include "tests/support/antifrag.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define QUIET_KERNEL (GFP_KERNEL | __GFP_NOWARN)
#define QUIET_MOVABLE (GFP_MOVABLE | __GFP_NOWARN)

static struct mm_test_node tn;
static char log[4096];

static bool setup(struct ktest *t)
{
	/* One zone; tiny watermarks, so the tests reach every page. */
	if (mm_test_node_init_one_zone(&tn, ARENA, 128)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

static struct zone *normal(void)
{
	return &tn.pgdat.node_zones[ZONE_NORMAL];
}

static int type_of(uint64_t phys)
{
	uint64_t pfn = phys >> PAGE_SHIFT;
	return pageblock_migratetype(pfn_to_section(&tn.pgdat, pfn), pfn);
}

static uint64_t pageblock_of(uint64_t phys)
{
	return (phys >> PAGE_SHIFT) & ~(PAGEBLOCK_PAGES - 1);
}

static void test_gfp_picks_the_type(struct ktest *t)
{
	if (!setup(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	KTEST_EXPECT_EQ(t, gfp_migratetype(p, GFP_KERNEL), MIGRATE_UNMOVABLE);
	KTEST_EXPECT_EQ(t, gfp_migratetype(p, GFP_ATOMIC), MIGRATE_UNMOVABLE);
	KTEST_EXPECT_EQ(t, gfp_migratetype(p, GFP_MOVABLE), MIGRATE_MOVABLE);
	KTEST_EXPECT_EQ(t, gfp_migratetype(p, GFP_KERNEL | __GFP_RECLAIMABLE),
			MIGRATE_RECLAIMABLE);
	/* Both at once is a contradiction: refused, named, nothing taken. */
	uint64_t before = mm_test_free_pages(p);
	printk_capture_start(log, sizeof(log));
	uint64_t bad =
	    pgdat_alloc_pages(p, GFP_KERNEL | __GFP_MOVABLE | __GFP_RECLAIMABLE,
			      0);
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log, "both movable and reclaimable"));
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), before);
	mm_test_node_destroy(&tn);
}

/* Every pageblock starts movable; the first unmovable request takes the
 * largest free block there is, a 4 MiB one, and claims both its
 * pageblocks; the next ones come from there, not from elsewhere. */
static void test_unmovable_claims_one_pageblock(struct ktest *t)
{
	uint64_t blocks[MIGRATE_TYPES];
	if (!setup(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	zone_pageblock_counts(p, normal(), blocks);
	KTEST_EXPECT_EQ(t, blocks[MIGRATE_UNMOVABLE], 0);
	KTEST_EXPECT_EQ(t, blocks[MIGRATE_MOVABLE], ARENA >> 21);

	uint64_t a = pgdat_alloc_pages(p, QUIET_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, type_of(a), MIGRATE_UNMOVABLE);
	KTEST_EXPECT_EQ(t, p->pageblock_claims, 1);
	uint64_t more[64];
	for (int i = 0; i < 64; i++) {
		more[i] = pgdat_alloc_pages(p, QUIET_KERNEL, i % 4);
		KTEST_EXPECT_EQ(t, more[i] >> (PAGE_SHIFT + MAX_ORDER),
				a >> (PAGE_SHIFT + MAX_ORDER));
	}
	KTEST_EXPECT_EQ(t, p->pageblock_claims, 1);
	/* Movable requests stay out of it. */
	uint64_t m = pgdat_alloc_pages(p, QUIET_MOVABLE, 0);
	KTEST_EXPECT_EQ(t, type_of(m), MIGRATE_MOVABLE);
	KTEST_EXPECT_NE(t, m >> (PAGE_SHIFT + MAX_ORDER),
			a >> (PAGE_SHIFT + MAX_ORDER));
	zone_pageblock_counts(p, normal(), blocks);
	KTEST_EXPECT_EQ(t, blocks[MIGRATE_UNMOVABLE], 2);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	for (int i = 0; i < 64; i++)
		pgdat_free_pages(p, more[i], i % 4);
	pgdat_free_pages(p, a, 0);
	pgdat_free_pages(p, m, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

/*
 * A movable request that finds movable pageblocks full takes from an
 * unmovable one. With less than half of it free, the pageblock stays
 * unmovable (borrowed, an extfrag event, a mixed pageblock); with more
 * than half free, the movable request claims it.
 */
static void test_borrow_or_claim(struct ktest *t)
{
	uint64_t blocks[MIGRATE_TYPES];
	if (!setup(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	KTEST_ASSERT_TRUE(t, page_owner_init(p) == 0);
	/* Unmovable pages claim a 4 MiB block (two pageblocks) and fill it
	 * from the bottom: one pageblock whole, 300 of the next. */
	uint64_t uchain = 0, mchain = 0, u0 = 0;
	for (int i = 0; i < 512 + 300; i++) {
		u0 = pgdat_alloc_pages(p, QUIET_KERNEL, 0);
		KTEST_ASSERT_TRUE(t, u0 != 0);
		*(uint64_t *)pgdat_phys_to_virt(p, u0) = uchain;
		uchain = u0;
	}
	uint64_t upb = pageblock_of(u0);
	KTEST_EXPECT_EQ(t, zone_pageblock_counts(p, normal(), blocks), 0);
	uint64_t events = p->extfrag_events, claims = p->pageblock_claims;
	/* Movable pages until one lands in the unmovable pageblock. */
	uint64_t landed = 0;
	for (;;) {
		uint64_t m = pgdat_alloc_pages(p, QUIET_MOVABLE, 0);
		KTEST_ASSERT_TRUE(t, m != 0);
		*(uint64_t *)pgdat_phys_to_virt(p, m) = mchain;
		mchain = m;
		if (type_of(m) != MIGRATE_MOVABLE || pageblock_of(m) == upb) {
			landed = m;
			break;
		}
	}
	ktest_diag(t,
		   "movable page landed in pageblock 0x%llx (unmovable 0x%llx)",
		   (unsigned long long)pageblock_of(landed),
		   (unsigned long long)upb);
	KTEST_EXPECT_EQ(t, pageblock_of(landed), upb);
	KTEST_EXPECT_EQ(t, type_of(landed), MIGRATE_UNMOVABLE);
	KTEST_EXPECT_EQ(t, p->extfrag_events, events + 1);
	KTEST_EXPECT_EQ(t, p->pageblock_claims, claims);
	/* page_owner knows both allocations: one mixed pageblock. */
	KTEST_EXPECT_EQ(t, zone_pageblock_counts(p, normal(), blocks), 1);
	printk_capture_start(log, sizeof(log));
	pagetypeinfo_show(p);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "; mixed 1"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "type Unmovable"));
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);

	/* Give back the unmovable pages: now the block is mostly free, and
	 * the next movable request that needs it claims (part of) it. */
	mm_test_give_back(p, uchain);
	claims = p->pageblock_claims;
	uint64_t m = pgdat_alloc_pages(p, QUIET_MOVABLE, 0);
	KTEST_ASSERT_TRUE(t, m != 0);
	KTEST_EXPECT_EQ(t, m >> (PAGE_SHIFT + MAX_ORDER),
			u0 >> (PAGE_SHIFT + MAX_ORDER));
	KTEST_EXPECT_EQ(t, type_of(m), MIGRATE_MOVABLE);
	KTEST_EXPECT_EQ(t, p->pageblock_claims, claims + 1);
	pgdat_free_pages(p, m, 0);
	mm_test_give_back(p, mchain);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	page_owner_exit(p);
	mm_test_node_destroy(&tn);
}

/* Per-CPU caches keep frames per type: a movable frame freed is the next
 * movable request's, never an unmovable one's. */
static void test_pcp_lists_per_type(struct ktest *t)
{
	if (!setup(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	pgdat_pcp_enable(p, mm_this_cpu() + 1); /* up to this CPU */
	KTEST_ASSERT_TRUE(t, mm_this_cpu() < MM_MAX_CPUS);
	struct per_cpu_pages *pcp = &normal()->pcp[mm_this_cpu()];
	uint64_t m = pgdat_alloc_pages(p, QUIET_MOVABLE, 0);
	uint64_t u = pgdat_alloc_pages(p, QUIET_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, m && u);
	KTEST_EXPECT_EQ(t, type_of(m), MIGRATE_MOVABLE);
	KTEST_EXPECT_EQ(t, type_of(u), MIGRATE_UNMOVABLE);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(p, m, 0), 0);
	KTEST_ASSERT_TRUE(t, pcp->nr[MIGRATE_MOVABLE] >= 1);
	KTEST_EXPECT_EQ(t,
			pcp->base_pfn +
			    pcp->slots[MIGRATE_MOVABLE]
				      [pcp->nr[MIGRATE_MOVABLE] - 1],
			m >> PAGE_SHIFT);
	uint64_t u2 = pgdat_alloc_pages(p, QUIET_KERNEL, 0);
	KTEST_EXPECT_NE(t, u2, m);
	KTEST_EXPECT_EQ(t, type_of(u2), MIGRATE_UNMOVABLE);
	uint64_t m2 = pgdat_alloc_pages(p, QUIET_MOVABLE, 0);
	KTEST_EXPECT_EQ(t, m2, m); /* the hottest movable frame */
	pgdat_free_pages(p, m2, 0);
	pgdat_free_pages(p, u, 0);
	pgdat_free_pages(p, u2, 0);
	drain_all_pages(p);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

static void test_grouping_off(struct ktest *t)
{
	uint64_t blocks[MIGRATE_TYPES];
	if (mm_test_node_init_grouping(&tn, ARENA, false)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	struct pglist_data *p = &tn.pgdat;
	zone_pageblock_counts(p, normal(), blocks);
	KTEST_EXPECT_EQ(t, blocks[MIGRATE_UNMOVABLE], ARENA >> 21);
	uint64_t m = pgdat_alloc_pages(p, QUIET_MOVABLE, 0);
	uint64_t u = pgdat_alloc_pages(p, QUIET_KERNEL, 0);
	KTEST_EXPECT_EQ(t, pageblock_of(m), pageblock_of(u));
	KTEST_EXPECT_EQ(t, p->extfrag_events, 0);
	pgdat_free_pages(p, m, 0);
	pgdat_free_pages(p, u, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

/* ------------------------------------------------------------------ churn */

/* The anti-fragmentation experiment (tests/support/antifrag.c): after the
 * same churn, what share of the free memory is whole pageblocks? */
static int churn(struct ktest *t, bool grouping, long *mixed)
{
	struct antifrag_result r;
	if (antifrag_churn(grouping, 0, NULL, NULL, &r))
		return -1;
	ktest_diag(
	    t,
	    "grouping %s: mixed pageblocks %ld of %llu, free %llu pages, in whole pageblocks %llu (%d%%), fallbacks %llu",
	    grouping ? "on" : "off", r.mixed, (unsigned long long)r.pageblocks,
	    (unsigned long long)r.free, (unsigned long long)r.whole, r.share,
	    (unsigned long long)r.fallbacks);
	KTEST_EXPECT_EQ(t, r.problems, 0);
	/* The tool's curve (whole pageblocks if the cache were dropped)
	 * says at the end what the drop then gives. */
	KTEST_EXPECT_EQ(t, r.predicted, r.whole);
	*mixed = r.mixed;
	return r.share;
}

static void test_grouping_keeps_pageblocks_whole(struct ktest *t)
{
	long mixed_on, mixed_off;
	int on = churn(t, true, &mixed_on);
	if (on < 0) {
		ktest_skip(t, "no 32 MiB test arena on this platform");
		return;
	}
	int off = churn(t, false, &mixed_off);
	KTEST_ASSERT_TRUE(t, off >= 0);
	/* Clearly better: at least twice the share, and fewer mixed. */
	KTEST_EXPECT_GE(t, on, 2 * off);
	KTEST_EXPECT_GE(t, on, 50);
	KTEST_EXPECT_LT(t, mixed_on, mixed_off);
}

static struct ktest_case migratetype_cases[] = {
	KTEST_CASE(test_gfp_picks_the_type),
	KTEST_CASE(test_unmovable_claims_one_pageblock),
	KTEST_CASE(test_borrow_or_claim),
	KTEST_CASE(test_pcp_lists_per_type),
	KTEST_CASE(test_grouping_off),
	KTEST_CASE(test_grouping_keeps_pageblocks_whole),
	{ 0 },
};
KTEST_SUITE(mm_migratetype, migratetype_cases);
