/*
 * page_owner (mm/page_owner.c) on a small node: each allocated block's
 * caller, order, GFP flags, time and sequence number are recorded in a
 * table beside the node (not in the state bytes) and cleared on free; the
 * top-sites table adds blocks up by caller; leak reports list the blocks
 * allocated after a token and still held. Host and target.
 * docs/07-debugging-the-allocator.md ("page_owner").
 */
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/page_owner.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define SITE_SPAN 1024 /* a call site lies this close after its function */

static struct mm_test_node tn;
static volatile uint64_t sink;

/* Three allocation sites, each its own function so its return address is
 * known to lie just after the function's start. */
static __attribute__((noinline)) uint64_t site_a(unsigned int order)
{
	uint64_t p = pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC, order);
	sink = p;
	return p;
}

static __attribute__((noinline)) uint64_t site_b(unsigned int order)
{
	uint64_t p =
	    pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL | __GFP_ZERO, order);
	sink = p;
	return p;
}

static __attribute__((noinline)) uint64_t site_c(unsigned int order)
{
	uint64_t p = pgdat_alloc_pages(&tn.pgdat, GFP_NOWAIT, order);
	sink = p;
	return p;
}

static bool from_site(uint64_t caller, uint64_t (*site)(unsigned int))
{
	uint64_t start = (uint64_t)(uintptr_t)site;
	return caller > start && caller < start + SITE_SPAN;
}

static bool setup(struct ktest *t)
{
	if (mm_test_node_init(&tn, ARENA, 2UL << 20, 4UL << 20, true)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

static void teardown(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	page_owner_exit(&tn.pgdat);
	mm_test_node_destroy(&tn);
}

static void test_records_caller_order_flags_time(struct ktest *t)
{
	struct page_owner r;
	uint64_t head = 0;
	if (!setup(t))
		return;
	uint64_t free_off = mm_test_free_pages(&tn.pgdat);
	KTEST_ASSERT_TRUE(t, page_owner_init(&tn.pgdat) == 0);
	uint64_t table = page_owner_table_pages(&tn.pgdat);
	/* 3072 frames of 24 bytes in one section (72 KiB: an order-5 block)
	 * and the section index (one page). */
	KTEST_EXPECT_EQ(t, table, 32 + 1);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), free_off - table);

	uint64_t token = page_owner_token();
	uint64_t before = mm_now_ms();
	uint64_t p = site_a(2);
	uint64_t after = mm_now_ms();
	KTEST_ASSERT_TRUE(t, p != 0);
	uint64_t pfn = p >> PAGE_SHIFT;
	KTEST_ASSERT_TRUE(t, page_owner_lookup(&tn.pgdat, pfn, &r, &head));
	KTEST_EXPECT_EQ(t, head, pfn);
	KTEST_EXPECT_TRUE(t, from_site(r.caller, site_a));
	KTEST_EXPECT_EQ(t, r.order, 2);
	KTEST_EXPECT_EQ(t, r.gfp, GFP_ATOMIC);
	KTEST_EXPECT_EQ(t, r.flags, PAGE_OWNER_ALLOCATED);
	KTEST_EXPECT_EQ(t, r.seq, token + 1);
	KTEST_EXPECT_GE(t, r.ts_ms, (uint32_t)before);
	KTEST_EXPECT_LE(t, r.ts_ms, (uint32_t)after);
	/* A tail frame leads to the same block. */
	KTEST_ASSERT_TRUE(t, page_owner_lookup(&tn.pgdat, pfn + 3, &r, &head));
	KTEST_EXPECT_EQ(t, head, pfn);
	KTEST_EXPECT_FALSE(t, page_owner_lookup(&tn.pgdat, pfn + 4, &r, &head));

	uint64_t q = site_b(0);
	KTEST_ASSERT_TRUE(t, q != 0);
	KTEST_ASSERT_TRUE(t, page_owner_lookup(&tn.pgdat, q >> PAGE_SHIFT, &r,
					       NULL));
	KTEST_EXPECT_TRUE(t, from_site(r.caller, site_b));
	KTEST_EXPECT_EQ(t, r.gfp, GFP_KERNEL | __GFP_ZERO);
	KTEST_EXPECT_EQ(t, r.seq, token + 2);

	/* Freed: no owner any more. */
	pgdat_free_pages(&tn.pgdat, p, 2);
	pgdat_free_pages(&tn.pgdat, q, 0);
	KTEST_EXPECT_FALSE(t, page_owner_lookup(&tn.pgdat, pfn, &r, NULL));
	KTEST_EXPECT_EQ(t, pgdat_page_owner_leaks(&tn.pgdat, token, 0, NULL),
			0);
	/* The table goes back when page_owner is turned off. */
	page_owner_exit(&tn.pgdat);
	KTEST_EXPECT_EQ(t, page_owner_table_pages(&tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), free_off);
	teardown(t);
}

/* The per-frame state bytes are untouched, meminfo shows the table. */
static void test_table_beside_state_bytes(struct ktest *t)
{
	static char log[2048];
	char line[64];
	int saved = console_loglevel;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, page_owner_init(&tn.pgdat) == 0);
	uint64_t p = site_c(3);
	KTEST_ASSERT_TRUE(t, p != 0);
	uint8_t *st = pfn_state(&tn.pgdat, p >> PAGE_SHIFT);
	KTEST_EXPECT_EQ(t, *st, PFS_ALLOC | 3);
	KTEST_EXPECT_EQ(t, st[1], PFS_TAIL);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	meminfo_show(&tn.pgdat);
	printk_capture_stop();
	console_loglevel = saved;
	ksnprintf(line, sizeof(line), "PageOwner:      %8llu kB",
		  (unsigned long long)K(page_owner_table_pages(&tn.pgdat)));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, line));
	pgdat_free_pages(&tn.pgdat, p, 3);
	page_owner_exit(&tn.pgdat);
	printk_capture_start(log, sizeof(log));
	console_loglevel = 0;
	meminfo_show(&tn.pgdat);
	console_loglevel = saved;
	printk_capture_stop();
	KTEST_EXPECT_FALSE(t, ktest_contains(log, "PageOwner:"));
	teardown(t);
}

/* Top sites: added up by caller, largest first. */
static void test_top_sites(struct ktest *t)
{
	static char log[2048];
	static uint64_t held[32];
	static unsigned int held_order[32];
	struct page_owner_site sites[4];
	unsigned int n = 0;
	int saved = console_loglevel;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, page_owner_init(&tn.pgdat) == 0);
	for (int i = 0; i < 10; i++, n++)
		held[n] = site_a(held_order[n] = 2);
	for (int i = 0; i < 3; i++, n++)
		held[n] = site_b(held_order[n] = 0);
	held[n] = site_b(held_order[n] = 3), n++;
	held[n] = site_c(held_order[n] = 0), n++;
	for (unsigned int i = 0; i < n; i++)
		KTEST_ASSERT_TRUE(t, held[i] != 0);

	KTEST_ASSERT_TRUE(t, page_owner_top_sites(&tn.pgdat, sites, 4) == 3);
	KTEST_EXPECT_TRUE(t, from_site(sites[0].caller, site_a));
	KTEST_EXPECT_EQ(t, sites[0].blocks, 10);
	KTEST_EXPECT_EQ(t, sites[0].pages, 40);
	KTEST_EXPECT_EQ(t, sites[1].blocks, 4);
	KTEST_EXPECT_EQ(t, sites[1].pages, 11);
	KTEST_EXPECT_EQ(t, sites[2].blocks, 1);
	KTEST_EXPECT_EQ(t, sites[2].pages, 1);
	KTEST_EXPECT_TRUE(t, from_site(sites[2].caller, site_c));
	/* site_b's two call sites (orders 0 and 3) are one line: same
	 * return address, since the call is inside site_b. */
	KTEST_EXPECT_TRUE(t, from_site(sites[1].caller, site_b));
	KTEST_EXPECT_EQ(t, page_owner_top_sites(&tn.pgdat, sites, 1), 1);

	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	page_owner_dump_top(&tn.pgdat, 8);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "top 3 allocation sites"));
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(log, "      40 pages in     10 blocks from 0x"));
	for (unsigned int i = 0; i < n; i++)
		pgdat_free_pages(&tn.pgdat, held[i], held_order[i]);
	KTEST_EXPECT_EQ(t, page_owner_top_sites(&tn.pgdat, sites, 4), 0);
	teardown(t);
}

/* Leaks since a token: what was allocated after it and is still held. */
static void test_leaks_since_token(struct ktest *t)
{
	static char log[2048];
	char frame[64];
	uint64_t pages = 0;
	int saved = console_loglevel;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, page_owner_init(&tn.pgdat) == 0);
	uint64_t t0 = page_owner_token();
	uint64_t x = site_a(1), y = site_b(0);
	uint64_t t1 = page_owner_token();
	uint64_t z = site_c(4);
	KTEST_ASSERT_TRUE(t, x && y && z);
	pgdat_free_pages(&tn.pgdat, y, 0);

	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	unsigned long since0 = pgdat_page_owner_leaks(&tn.pgdat, t0, 8, &pages);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, since0, 2);
	KTEST_EXPECT_EQ(t, pages, 2 + 16);
	ksnprintf(frame, sizeof(frame), "still allocated: frame 0x%llx order 4",
		  (unsigned long long)(z >> PAGE_SHIFT));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, frame));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "mode 0x800(GFP_NOWAIT)"));
	KTEST_EXPECT_EQ(t, pgdat_page_owner_leaks(&tn.pgdat, t1, 0, &pages), 1);
	KTEST_EXPECT_EQ(t, pages, 16);

	/* max_print limits the lines, not the count. */
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	KTEST_EXPECT_EQ(t, pgdat_page_owner_leaks(&tn.pgdat, t0, 1, NULL), 2);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "1 more blocks"));

	pgdat_free_pages(&tn.pgdat, x, 1);
	pgdat_free_pages(&tn.pgdat, z, 4);
	KTEST_EXPECT_EQ(t, pgdat_page_owner_leaks(&tn.pgdat, t0, 8, NULL), 0);
	teardown(t);
}

/* A refused (bad) free leaves the owner in place; a node without
 * page_owner records nothing. */
static void test_bad_free_and_off_node(struct ktest *t)
{
	struct page_owner r;
	int saved = console_loglevel;
	if (!setup(t))
		return;
	uint64_t early = site_a(0); /* before page_owner: not known */
	uint64_t seq = page_owner_token();
	KTEST_ASSERT_TRUE(t, early != 0);
	KTEST_EXPECT_FALSE(t, page_owner_lookup(&tn.pgdat, early >> PAGE_SHIFT,
						&r, NULL));
	KTEST_EXPECT_EQ(t, page_owner_token(), seq);
	KTEST_ASSERT_TRUE(t, page_owner_init(&tn.pgdat) == 0);
	KTEST_EXPECT_EQ(t, page_owner_init(&tn.pgdat), -1); /* already on */
	KTEST_EXPECT_FALSE(t, page_owner_lookup(&tn.pgdat, early >> PAGE_SHIFT,
						&r, NULL));
	uint64_t p = site_a(3);
	KTEST_ASSERT_TRUE(t, p != 0);
	console_loglevel = 0;
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, p, 2), -1);
	console_loglevel = saved;
	KTEST_ASSERT_TRUE(t, page_owner_lookup(&tn.pgdat, p >> PAGE_SHIFT, &r,
					       NULL));
	KTEST_EXPECT_EQ(t, r.order, 3);
	pgdat_free_pages(&tn.pgdat, p, 3);
	pgdat_free_pages(&tn.pgdat, early, 0); /* unknown to page_owner: fine */
	teardown(t);
}

static const struct ktest_case page_owner_cases[] = {
	KTEST_CASE(test_records_caller_order_flags_time),
	KTEST_CASE(test_table_beside_state_bytes),
	KTEST_CASE(test_top_sites),
	KTEST_CASE(test_leaks_since_token),
	KTEST_CASE(test_bad_free_and_off_node),
	{ 0 },
};
KTEST_SUITE(mm_page_owner, page_owner_cases);
