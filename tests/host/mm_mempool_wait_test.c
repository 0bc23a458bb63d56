/*
 * Mempool waiting, with host threads (pthreads): a caller that may sleep
 * waits for an element to be freed by another thread and never fails; and
 * eight threads sharing a pool of four over a node with no memory left
 * all finish every round (no lost wake-up, no failure, nothing leaked).
 * Host only: the kernel's sleeping path is what the target's emergency
 * suite and the soak exercise. docs/09-emergency-memory.md.
 */
#include <pthread.h>
#include <time.h>

#include "mm/fault_inject.h"
#include "mm/mempool.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)

static struct mm_test_node tn;
static mempool_t *pool;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *late_free(void *arg)
{
	struct timespec d = { 0, 80 * 1000000L };
	nanosleep(&d, NULL);
	mempool_free(arg, pool);
	return NULL;
}

static void test_sleeper_waits_for_a_free(struct ktest *t)
{
	if (mm_test_node_init(&tn, ARENA, 0, 0, true)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p), chain = 0;
	pool = mempool_create_page_pool_node(p, 2, 0);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	mm_test_take_all(p, GFP_KERNEL, &chain);
	void *a = mempool_alloc(pool, GFP_KERNEL);
	void *b = mempool_alloc(pool, GFP_KERNEL);
	KTEST_ASSERT_TRUE(t, a && b && pool->curr_nr == 0);

	pthread_t th;
	uint64_t t0 = now_ms();
	KTEST_ASSERT_TRUE(t, pthread_create(&th, NULL, late_free, a) == 0);
	void *c = mempool_alloc(pool, GFP_KERNEL); /* sleeps until a is back */
	uint64_t waited = now_ms() - t0;
	pthread_join(th, NULL);
	ktest_diag(t, "waited %llu ms for an element; %llu waits",
		   (unsigned long long)waited,
		   (unsigned long long)pool->stats.waits);
	KTEST_EXPECT_TRUE(t, c == a);
	KTEST_EXPECT_GE(t, waited, 60);
	/* Woken by the free, not by the 5 s timeout (a lost wake-up). */
	KTEST_EXPECT_LT(t, waited, 1000);
	KTEST_EXPECT_EQ(t, pool->stats.wait_timeouts, 0);
	KTEST_EXPECT_EQ(t, pool->stats.waits, 1);
	KTEST_EXPECT_EQ(t, pool->stats.failures, 0);
	mempool_free(b, pool);
	mempool_free(c, pool);
	mm_test_give_back(p, chain);
	mempool_destroy(pool);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

#define THREADS 8
#define ROUNDS 500

static unsigned int failures;

static void *churn(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		void *e = mempool_alloc(pool, GFP_KERNEL);
		if (!e) {
			__atomic_fetch_add(&failures, 1, __ATOMIC_RELAXED);
			continue;
		}
		*(volatile char *)e = (char)i; /* it is ours: write to it */
		/* Held across a sleep: eight holders, four elements, so
		 * some threads must wait for others' frees. */
		struct timespec d = { 0, 20000 };
		nanosleep(&d, NULL);
		mempool_free(e, pool);
	}
	return NULL;
}

static void test_many_sleepers_share_a_small_pool(struct ktest *t)
{
	if (mm_test_node_init(&tn, ARENA, 0, 0, true)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p), chain = 0;
	pool = mempool_create_page_pool_node(p, 4, 0);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	mm_test_take_all(p, GFP_KERNEL, &chain);
	pthread_t th[THREADS];
	failures = 0;
	for (int i = 0; i < THREADS; i++)
		KTEST_ASSERT_TRUE(t, pthread_create(&th[i], NULL, churn,
						    NULL) == 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	ktest_diag(
	    t,
	    "%d threads x %d rounds on 4 elements: %llu from the reserve, %llu waits, %u failures",
	    THREADS, ROUNDS, (unsigned long long)pool->stats.reserve_takes,
	    (unsigned long long)pool->stats.waits, failures);
	KTEST_EXPECT_EQ(t, failures, 0);
	KTEST_EXPECT_GT(t, pool->stats.waits, 0);
	KTEST_EXPECT_EQ(t, pool->stats.wait_timeouts, 0); /* none lost */
	KTEST_EXPECT_EQ(t, pool->stats.reserve_takes, THREADS * ROUNDS);
	KTEST_EXPECT_EQ(t, pool->curr_nr, 4);
	KTEST_EXPECT_EQ(t, pool->out, 0);
	mm_test_give_back(p, chain);
	mempool_destroy(pool);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

/* Regression: the count of elements out was bumped with a plain ++ under
 * the pool's lock for reserve takes, and atomically outside it for the
 * allocator's hits; on two CPUs an update got lost and the soak's pool
 * ended with "1 elements still out". Hits and takes at once, then 0 out. */
static void *mixed(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		void *e = mempool_alloc(pool, GFP_ATOMIC);
		if (e)
			mempool_free(e, pool);
	}
	return NULL;
}

static void test_out_count_under_mixed_sources(struct ktest *t)
{
	if (mm_test_node_init(&tn, ARENA, 0, 0, true)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	struct pglist_data *p = &tn.pgdat;
	uint64_t start = mm_test_free_pages(p);
	pool = mempool_create_page_pool_node(p, 4, 1);
	KTEST_ASSERT_TRUE(t, pool != NULL);
	struct fault_attr saved = fail_page_alloc;
	fault_attr_init(&fail_page_alloc);
	fail_page_alloc.node = p;
	fail_page_alloc.probability = 50; /* half from the reserve */
	fail_page_alloc_enable(true);
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		KTEST_ASSERT_TRUE(t, pthread_create(&th[i], NULL, mixed,
						    NULL) == 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	fail_page_alloc_restore(&saved);
	ktest_diag(t,
		   "%llu from the allocator, %llu from the reserve; %llu out",
		   (unsigned long long)pool->stats.alloc_hits,
		   (unsigned long long)pool->stats.reserve_takes,
		   (unsigned long long)pool->out);
	KTEST_EXPECT_GT(t, pool->stats.reserve_takes, 1000);
	KTEST_EXPECT_EQ(t, pool->out, 0);
	mempool_destroy(pool);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(p), start);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case mempool_wait_cases[] = {
	KTEST_CASE(test_out_count_under_mixed_sources),
	KTEST_CASE(test_sleeper_waits_for_a_free),
	KTEST_CASE(test_many_sleepers_share_a_small_pool),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_mempool_wait, mempool_wait_cases, KTEST_HOST_ONLY);
