/*
 * Memory pools (mm/mempool.c) over a test node, host and target: the
 * reserve is filled at creation, the allocator is tried first, the reserve
 * serves when the allocator cannot, a caller that cannot sleep gets NULL
 * once both are empty, frees refill the reserve first, resize grows and
 * shrinks it, fault injection makes the pool serve from its reserve, and
 * every bad call is refused with a report and changes nothing. At the end
 * of each case every page is back. docs/09-emergency-memory.md.
 */
#include "kernel/lib/printk.h"
#include "mm/fault_inject.h"
#include "mm/mempool.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)

static struct mm_test_node tn;
static char log[2048];

static bool node_up(struct ktest *t)
{
	if (mm_test_node_init(&tn, ARENA, 2UL << 20, 4UL << 20, true)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

/* Everything back, nothing broken. */
static void node_down(struct ktest *t, uint64_t free_at_start)
{
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), free_at_start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void capture(void)
{
	log[0] = '\0';
	printk_capture_start(log, sizeof(log));
}

static void test_reserve_serves_when_memory_is_gone(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p), chain = 0;
	mempool_t *pool = mempool_create_page_pool_node(p, 8, 0);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 8);
	/* 8 elements and the pool's own page. */
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start - 9);

	/* Memory available: the allocator serves, the reserve is kept. */
	void *a = mempool_alloc(pool, GFP_ATOMIC);
	KTEST_ASSERT_TRUE(t, a != NULL);
	KTEST_EXPECT_EQ(t, pool->stats.alloc_hits, 1);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 8);
	mempool_free(a, pool); /* reserve full: back to the allocator */
	KTEST_EXPECT_EQ(t, pool->curr_nr, 8);

	/* Memory gone: the reserve serves, then NULL at once. */
	uint64_t taken = mm_test_take_all(p, GFP_KERNEL, &chain);
	void *e[9];
	for (int i = 0; i < 8; i++) {
		e[i] = mempool_alloc(pool, GFP_ATOMIC);
		KTEST_EXPECT_TRUE(t, e[i] != NULL);
	}
	e[8] = mempool_alloc(pool, GFP_ATOMIC);
	KTEST_EXPECT_TRUE(t, e[8] == NULL);
	ktest_diag(
	    t,
	    "took %llu pages; pool: %llu hits, %llu from reserve, %llu failed, lowest %d",
	    (unsigned long long)taken,
	    (unsigned long long)pool->stats.alloc_hits,
	    (unsigned long long)pool->stats.reserve_takes,
	    (unsigned long long)pool->stats.failures, pool->stats.min_curr_nr);
	KTEST_EXPECT_EQ(t, pool->stats.reserve_takes, 8);
	KTEST_EXPECT_EQ(t, pool->stats.failures, 1);
	KTEST_EXPECT_EQ(t, pool->stats.min_curr_nr, 0);

	/* A free refills the reserve, which serves the next request. */
	mempool_free(e[3], pool);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 1);
	KTEST_EXPECT_EQ(t, pool->stats.refills, 1);
	e[3] = mempool_alloc(pool, GFP_NOWAIT);
	KTEST_EXPECT_TRUE(t, e[3] != NULL);

	/* Memory back; frees fill the reserve before the allocator. */
	mm_test_give_back(p, chain);
	for (int i = 0; i < 8; i++)
		mempool_free(e[i], pool);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 8);
	KTEST_EXPECT_EQ(t, pool->out, 0);
	mempool_destroy(pool);
	node_down(t, start);
}

static void test_fault_injection_pool_serves(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	mempool_t *pool = mempool_create_page_pool_node(p, 4, 1);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	struct fault_attr saved = fail_page_alloc;
	fault_attr_init(&fail_page_alloc);
	fail_page_alloc.node = p; /* every order >= 1 request fails */
	fail_page_alloc_enable(true);

	void *e[5];
	for (int i = 0; i < 5; i++)
		e[i] = mempool_alloc(pool, GFP_ATOMIC);
	uint64_t injected = fail_page_alloc.injected;
	fail_page_alloc_restore(&saved);

	ktest_diag(t, "%llu failures injected; %llu served from the reserve",
		   (unsigned long long)injected,
		   (unsigned long long)pool->stats.reserve_takes);
	for (int i = 0; i < 4; i++)
		KTEST_EXPECT_TRUE(t, e[i] != NULL);
	KTEST_EXPECT_TRUE(t, e[4] == NULL);
	KTEST_EXPECT_EQ(t, pool->stats.alloc_hits, 0);
	KTEST_EXPECT_EQ(t, pool->stats.reserve_takes, 4);
	KTEST_EXPECT_GE(t, injected, 5);
	for (int i = 0; i < 4; i++)
		mempool_free(e[i], pool);
	mempool_destroy(pool);
	node_down(t, start);
}

static void test_resize(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	mempool_t *pool = mempool_create_page_pool_node(p, 4, 0);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	KTEST_EXPECT_EQ(t, mempool_resize(pool, 16), 0);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 16);
	KTEST_EXPECT_EQ(t, pool->array_phys, 0); /* still inline */
	/* More than fits beside the struct: an array of its own. */
	KTEST_EXPECT_EQ(t, mempool_resize(pool, 700), 0);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 700);
	KTEST_EXPECT_NE(t, pool->array_phys, 0);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p),
			start - 700 - 1 - (1ULL << pool->array_order));
	KTEST_EXPECT_EQ(t, mempool_resize(pool, 3), 0);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 3);
	int saved = console_loglevel;
	console_loglevel = 0;
	capture();
	KTEST_EXPECT_EQ(t, mempool_resize(pool, 0), -1);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "refusing to resize"));
	KTEST_EXPECT_EQ(t, pool->min_nr, 3);
	mempool_destroy(pool);
	node_down(t, start);
}

/* A pool over a caller's own allocator: a table of 16 objects. */
static char objects[16][32];
static bool object_used[16];
static unsigned int object_allocs, object_frees, object_bad_data;

static void *object_alloc(gfp_t gfp, void *data)
{
	(void)gfp;
	object_bad_data += data != objects;
	for (int i = 0; i < 16; i++)
		if (!object_used[i]) {
			object_used[i] = true;
			object_allocs++;
			return objects[i];
		}
	return NULL;
}

static void object_free(void *e, void *data)
{
	(void)data;
	object_used[((char(*)[32])e) - objects] = false;
	object_frees++;
}

static void test_pool_over_own_allocator(struct ktest *t)
{
	if (!node_up(t))
		return;
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	mempool_t *pool = mempool_create_node(6, object_alloc, object_free,
					      objects, GFP_KERNEL, &tn.pgdat);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	KTEST_EXPECT_EQ(t, object_allocs, 6);
	void *e[17];
	int got = 0;
	while ((e[got] = mempool_alloc(pool, GFP_NOWAIT)))
		got++;
	/* 10 from the table, then the 6 of the reserve. */
	KTEST_EXPECT_EQ(t, got, 16);
	KTEST_EXPECT_EQ(t, pool->stats.reserve_takes, 6);
	while (got)
		mempool_free(e[--got], pool);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 6);
	mempool_destroy(pool);
	KTEST_EXPECT_EQ(t, object_allocs, object_frees);
	KTEST_EXPECT_EQ(t, object_bad_data, 0);
	node_down(t, start);
}

static void test_bad_calls_change_nothing(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	int saved = console_loglevel;
	mempool_t *pool = mempool_create_page_pool_node(p, 4, 1);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	/* Two elements from the reserve (memory taken meanwhile). */
	uint64_t chain = 0;
	mm_test_take_all(p, GFP_KERNEL, &chain);
	void *a = mempool_alloc(pool, GFP_KERNEL);
	void *b = mempool_alloc(pool, GFP_KERNEL);
	mm_test_give_back(p, chain);
	KTEST_ASSERT_TRUE(t, a && b);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 2);
	uint64_t free_now = mm_test_free_pages(p);
	console_loglevel = 0;

	capture(); /* NULL pools */
	KTEST_EXPECT_TRUE(t, mempool_alloc(NULL, GFP_ATOMIC) == NULL);
	mempool_free(a, NULL);
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, ktest_count(log, "a NULL pool"), 2);

	capture(); /* a free page is no element */
	uint64_t lone = pgdat_alloc_pages(p, GFP_KERNEL, 1);
	pgdat_free_pages(p, lone, 1);
	mempool_free(pgdat_phys_to_virt(p, lone), pool);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "not an allocated block"));

	capture(); /* wrong order: an order-0 page into an order-1 pool */
	uint64_t small = pgdat_alloc_pages(p, GFP_KERNEL, 0);
	mempool_free(pgdat_phys_to_virt(p, small), pool);
	pgdat_free_pages(p, small, 0);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "bad free: not a"));

	capture();	       /* an element freed twice */
	mempool_free(a, pool); /* fine: into the reserve... */
	mempool_free(a, pool); /* ...and again: already there */
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "in the reserve already"));
	KTEST_EXPECT_EQ(t, pool->curr_nr, 3);
	KTEST_EXPECT_EQ(t, pool->out, 1);

	mempool_free(b, pool); /* the reserve is full again */

	/* Regression (found in review): a second free of an element of a
	 * FULL reserve was taken as the free of an element that is out: the
	 * page went back to the node while the reserve still held it, and
	 * the right free that followed was refused. */
	void *c = mempool_alloc(pool, GFP_KERNEL); /* from the node */
	KTEST_ASSERT_TRUE(t, c != NULL);
	capture();
	mempool_free(b, pool);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "in the reserve already"));
	KTEST_EXPECT_EQ(t, pool->out, 1);
	KTEST_EXPECT_EQ(t,
			*pfn_state(p, pgdat_virt_to_phys(p, b) >> PAGE_SHIFT),
			PFS_ALLOC | 1);
	capture();
	mempool_free(c, pool); /* the right free still works */
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, log[0], '\0');
	KTEST_EXPECT_EQ(t, pool->out, 0);

	capture(); /* more frees than allocations: a block never handed out */
	uint64_t stray = pgdat_alloc_pages(p, GFP_KERNEL, 1);
	mempool_free(pgdat_phys_to_virt(p, stray), pool);
	pgdat_free_pages(p, stray, 1);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "has no element out"));

	capture(); /* flags the pool cannot honour */
	KTEST_EXPECT_TRUE(t, mempool_alloc(pool, GFP_KERNEL | __GFP_DMA |
						     __GFP_DMA32) == NULL);
	void *z = mempool_alloc(pool, GFP_KERNEL | __GFP_ZERO);
	mempool_free(z, pool);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "contradictory or unknown"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "ignores __GFP_ZERO"));

	capture(); /* bad sizes */
	KTEST_EXPECT_TRUE(t, mempool_create_page_pool_node(p, 0, 0) == NULL);
	KTEST_EXPECT_TRUE(t, mempool_create_page_pool_node(p, 4, 11) == NULL);
	KTEST_EXPECT_TRUE(t, mempool_create_node(4, NULL, object_free, NULL,
						 GFP_KERNEL, p) == NULL);
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, ktest_count(log, "refusing"), 3);
	console_loglevel = saved;

	ktest_diag(t, "%llu bad frees refused",
		   (unsigned long long)pool->stats.bad_frees);
	KTEST_EXPECT_EQ(t, pool->stats.bad_frees, 5);
	KTEST_EXPECT_EQ(t, pool->out, 0);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 4);
	/* a and b went back into the reserve: the node did not change. */
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), free_now);
	mempool_destroy(pool);
	node_down(t, start);
}

static void test_destroy_reports_leaks(struct ktest *t)
{
	if (!node_up(t))
		return;
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	int saved = console_loglevel;
	mempool_t *pool = mempool_create_page_pool_node(p, 2, 0);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	void *e = mempool_alloc(pool, GFP_KERNEL);
	KTEST_ASSERT_TRUE(t, e != NULL);
	console_loglevel = 0;
	capture();
	mempool_destroy(pool);
	mempool_destroy(NULL); /* fine, as in Linux */
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "1 elements still out"));
	pgdat_free_pages(p, pgdat_virt_to_phys(p, e), 0);
	node_down(t, start);
}

static const struct ktest_case mempool_cases[] = {
	KTEST_CASE(test_reserve_serves_when_memory_is_gone),
	KTEST_CASE(test_fault_injection_pool_serves),
	KTEST_CASE(test_resize),
	KTEST_CASE(test_pool_over_own_allocator),
	KTEST_CASE(test_bad_calls_change_nothing),
	KTEST_CASE(test_destroy_reports_leaks),
	{ 0 },
};
KTEST_SUITE(mm_mempool, mempool_cases);
