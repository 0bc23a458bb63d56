/*
 * alloc_pages_bulk, alloc_pages_exact and the counts (mm/page_alloc_api.c),
 * host and target: bulk fills only the empty slots and stops at `low`
 * (a partial count), fault injection makes it partial too, exact sizes
 * give the tail back at once and free page by page, bad input allocates
 * nothing, si_meminfo adds up. docs/09-emergency-memory.md ("The rest of
 * the allocation API").
 */
#include "kernel/lib/printk.h"
#include "mm/fault_inject.h"
#include "mm/internal.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define NR 200

static struct mm_test_node tn;
static uint64_t pages[NR];

static bool node_up(struct ktest *t)
{
	if (mm_test_node_init_one_zone(&tn, ARENA, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

static void free_array(struct pglist_data *p, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		if (pages[i]) {
			pgdat_free_pages(p, pages[i], 0);
			pages[i] = 0;
		}
}

static void test_bulk_fills_empty_slots(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	for (int i = 0; i < NR; i++)
		pages[i] = 0;
	pages[5] = pgdat_alloc_pages(p, GFP_KERNEL, 0); /* a filled slot */
	unsigned long n = pgdat_alloc_pages_bulk(p, GFP_KERNEL, NR, pages, 0);
	KTEST_EXPECT_EQ(t, n, NR);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start - NR);
	bool distinct = true;
	for (int i = 0; i < NR; i++)
		for (int j = i + 1; j < NR; j++)
			distinct &= pages[i] != pages[j];
	KTEST_EXPECT_TRUE(t, distinct);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	/* Nothing empty: nothing to do. */
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages_bulk(p, GFP_KERNEL, NR, pages, 0),
			NR);
	free_array(p, NR);

	/* Near `low`, bulk stops there: a partial count, no reserve used. */
	struct zone *z = &p->node_zones[ZONE_NORMAL];
	uint64_t chain = 0;
	while (z->free_pages > z->watermark[WMARK_LOW] + 50) {
		uint64_t c = pgdat_alloc_pages(p, GFP_KERNEL, 0);
		*(uint64_t *)pgdat_phys_to_virt(p, c) = chain;
		chain = c;
	}
	n = pgdat_alloc_pages_bulk(p, GFP_KERNEL, NR, pages, 0);
	ktest_diag(t, "near low (%llu): bulk of %d gave %lu, free now %llu",
		   (unsigned long long)z->watermark[WMARK_LOW], NR, n,
		   (unsigned long long)z->free_pages);
	KTEST_EXPECT_EQ(t, n, 50);
	KTEST_EXPECT_EQ(t, z->free_pages, z->watermark[WMARK_LOW]);
	free_array(p, NR);
	mm_test_give_back(p, chain);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

static void test_bulk_under_fault_injection(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	struct fault_attr saved = fail_page_alloc;
	fault_attr_init(&fail_page_alloc);
	fail_page_alloc.node = p;
	fail_page_alloc.min_order = 0;
	fail_page_alloc.interval = 30; /* every 30th chance fails */
	fail_page_alloc_enable(true);
	for (int i = 0; i < NR; i++)
		pages[i] = 0;
	unsigned long n = pgdat_alloc_pages_bulk(p, GFP_ATOMIC, NR, pages, 0);
	uint64_t injected = fail_page_alloc.injected;
	fail_page_alloc_enable(false);
	ktest_diag(t, "bulk of %d with every 30th failing: %lu pages", NR, n);
	/* alloc_pages_exact fails cleanly under injection too. */
	fail_page_alloc.interval = 1;
	fail_page_alloc_enable(true);
	uint64_t exact = pgdat_alloc_pages_exact(p, 5 * PAGE_SIZE,
						 GFP_ATOMIC | __GFP_NOWARN, 0);
	fail_page_alloc_enable(false);
	KTEST_EXPECT_EQ(t, exact, 0);
	KTEST_EXPECT_EQ(t, fail_page_alloc.injected, 2);
	fail_page_alloc_restore(&saved);
	KTEST_EXPECT_EQ(t, injected, 1);
	KTEST_EXPECT_EQ(t, n, 29);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start - n);
	free_array(p, NR);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start);
	mm_test_node_destroy(&tn);
}

static void test_exact_gives_the_tail_back(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	static const uint64_t sizes[] = {
		1, 4096, 4097, 5 * 4096 - 100, 12 * 4096, 16 * 4096, 1000 * 4096
	};
	for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t nr = (sizes[i] + PAGE_SIZE - 1) / PAGE_SIZE;
		uint64_t phys =
		    pgdat_alloc_pages_exact(p, sizes[i], GFP_KERNEL, 0);
		KTEST_ASSERT_TRUE(t, phys != 0);
		KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start - nr);
		KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
		/* Each frame is its own allocation. */
		for (uint64_t f = 0; f < nr; f++)
			KTEST_EXPECT_EQ(t,
					*pfn_state(p, (phys >> PAGE_SHIFT) + f),
					PFS_ALLOC);
		KTEST_EXPECT_EQ(t, pgdat_free_pages_exact(p, phys, sizes[i], 0),
				0);
		KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start);
	}
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

static void test_bad_input_allocates_nothing(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	int level = console_loglevel;
	char log[1024] = "";
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages_bulk(p, GFP_KERNEL, 0, pages, 0),
			0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages_bulk(p, GFP_KERNEL, 4, NULL, 0),
			0);
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages_bulk(p, GFP_KERNEL,
					       p->totalram_pages + 1, pages, 0),
			0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages_exact(p, 0, GFP_KERNEL, 0), 0);
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages_exact(p, (4UL << 20) + 1, GFP_KERNEL,
						0),
			0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages_exact(p, 0x1000, 0, 0), -1);
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages_bulk(p, GFP_KERNEL | __GFP_NOFAIL, 4,
					       pages, 0),
			0);
	printk_capture_stop();
	console_loglevel = level;
	KTEST_EXPECT_EQ(t, ktest_count(log, "refused"), 7);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start);
	mm_test_node_destroy(&tn);
}

static void test_counts_add_up(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	struct sysinfo si;
	pgdat_si_meminfo(p, &si);
	KTEST_EXPECT_EQ(t, si.totalram, p->totalram_pages);
	KTEST_EXPECT_EQ(t, si.freeram, mm_test_free_pages(p));
	KTEST_EXPECT_EQ(t, si.freeram, pgdat_nr_free_pages(p));
	KTEST_EXPECT_EQ(t, si.mem_unit, PAGE_SIZE);
	KTEST_EXPECT_EQ(t, si.metadataram, p->metadata_pages);
	uint64_t a = pgdat_alloc_pages(p, GFP_KERNEL, 3);
	KTEST_EXPECT_EQ(t, pgdat_nr_free_pages(p), si.freeram - 8);
	pgdat_free_pages(p, a, 3);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case bulk_cases[] = {
	KTEST_CASE(test_bulk_fills_empty_slots),
	KTEST_CASE(test_bulk_under_fault_injection),
	KTEST_CASE(test_exact_gives_the_tail_back),
	KTEST_CASE(test_bad_input_allocates_nothing),
	KTEST_CASE(test_counts_add_up),
	{ 0 },
};
KTEST_SUITE(mm_bulk_exact, bulk_cases);
