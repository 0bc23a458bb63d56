/*
 * Blocks of order 4 in the per-CPU caches (mm/pcp_high.c), on the host and
 * on target: they are cached only where high holds twelve of the largest
 * batches, a refill of them stops at the request's floor, a double free of
 * a parked one (or of its tail, or with the wrong order) is refused and
 * reported, and on the host two CPUs freeing one block at once get one
 * success and one report. docs/08c-per-cpu-caches.md, "Order 4 too".
 */
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ORDER PCP_MAX_ORDER
#define BLOCK (1ULL << ORDER)
#define ROOMY PCP_ORDER4_HIGH

static struct mm_test_node tn;
static char log[1024];

static struct zone *normal(void)
{
	return &tn.pgdat.node_zones[ZONE_NORMAL];
}

static struct per_cpu_pages *my_cache(void)
{
	return zone_pcp(normal(), mm_this_cpu());
}

/* One zone of `bytes`, caches for CPUs 0 .. cpus - 1 (at least up to this
 * one), sized batch 63 and high `high` where high is not 0. */
static bool setup(struct ktest *t, size_t bytes, unsigned int cpus,
		  unsigned int high)
{
	if (mm_test_node_init_one_zone(&tn, bytes, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	if (cpus < mm_this_cpu() + 1)
		cpus = mm_this_cpu() + 1;
	pgdat_pcp_enable(&tn.pgdat, cpus);
	/* The node's mask of cached block orders is set with the caches. */
	KTEST_EXPECT_EQ(t, tn.pgdat.pcp_block_orders,
			pgdat_pcp_zone_block_orders(&tn.pgdat));
	if (!tn.pgdat.pcp_enabled ||
	    (high && pgdat_pcp_resize(&tn.pgdat, ZONE_NORMAL, 63, high))) {
		ktest_fail(t, __FILE__, __LINE__, "no caches of that size");
		mm_test_node_destroy(&tn);
		return false;
	}
	return true;
}

/* Order 4 needs high >= ROOMY; orders 1-3 only batch >> order >= 4. */
static void test_order4_cached_only_with_room(struct ktest *t)
{
	if (!setup(t, 32UL << 20, 1, ROOMY - 1))
		return;
	for (unsigned int o = 0; o < ORDER; o++)
		KTEST_EXPECT_TRUE(t, pcp_caches_order(my_cache(), o));
	KTEST_EXPECT_FALSE(t, pcp_caches_order(my_cache(), ORDER));
	KTEST_EXPECT_FALSE(t, pgdat_pcp_takes_blocks(&tn.pgdat, ORDER));
	KTEST_EXPECT_TRUE(t, pgdat_pcp_takes_blocks(&tn.pgdat, ORDER - 1));
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, ORDER);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, ORDER), 0);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0); /* straight to the zone */
	KTEST_EXPECT_EQ(t, pgdat_pcp_resize(&tn.pgdat, ZONE_NORMAL, 63, ROOMY),
			0);
	KTEST_EXPECT_TRUE(t, pcp_caches_order(my_cache(), ORDER));
	KTEST_EXPECT_FALSE(t, pcp_caches_order(my_cache(), ORDER + 1));
	KTEST_EXPECT_TRUE(t, pgdat_pcp_takes_blocks(&tn.pgdat, ORDER));
	KTEST_EXPECT_FALSE(t, pgdat_pcp_takes_blocks(&tn.pgdat, ORDER + 1));
	a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, ORDER);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, ORDER), 0);
	KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, a >> PAGE_SHIFT),
			PFS_PCP | ORDER);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* The entry points' mask of cached block orders (pcp_block_orders)
 * follows the caches: empty while they are off, whatever orders the
 * zones' caches keep, and a stale one is what pgdat_check reports. */
static void test_node_block_orders_follow_the_caches(struct ktest *t)
{
	if (!setup(t, 32UL << 20, 1, ROOMY))
		return;
	struct pglist_data *p = &tn.pgdat;
	KTEST_EXPECT_EQ(t, p->pcp_block_orders,
			my_cache()->cached_orders & ~1u);
	KTEST_EXPECT_EQ(t, p->pcp_block_orders, 0x1e); /* orders 1-4 */
	pgdat_pcp_switch(p, false);
	KTEST_EXPECT_EQ(t, p->pcp_block_orders, 0);
	for (unsigned int o = 0; o <= ORDER + 1; o++)
		KTEST_EXPECT_FALSE(t, pgdat_pcp_takes_blocks(p, o));
	/* Off: a block goes back to the zone, not to a cache. */
	uint64_t a = pgdat_alloc_pages(p, GFP_KERNEL, 2);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(p, a, 2), 0);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	pgdat_pcp_switch(p, true);
	KTEST_EXPECT_EQ(t, p->pcp_block_orders, 0x1e);
	a = pgdat_alloc_pages(p, GFP_KERNEL, 2);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(p, a, 2), 0);
	KTEST_EXPECT_EQ(t, *pfn_state(p, a >> PAGE_SHIFT), PFS_PCP | 2);
	/* A mask that says less than the caches take is stale. */
	log[0] = 0;
	printk_capture_start(log, sizeof(log));
	p->pcp_block_orders &= (uint8_t) ~(1u << ORDER);
	KTEST_EXPECT_GT(t, pgdat_check(p), 0);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "cached block orders stale"));
	pgdat_pcp_orders_update(p);
	pcp_drain_local(p);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

#ifdef LABYRINTH_HOST
/* The sizes boot gives (pcp_sizes): a 1 GiB zone has room for twelve
 * batches with one CPU, not with two (1/256 of the zone per CPU), and a
 * 256 MiB zone, whose batch is 15, keeps a high of at most six batches
 * (a first version gave it twelve, 180). Host only: the target has no
 * 1 GiB arena to spare. */
static void test_order4_sizes_by_zone(struct ktest *t)
{
	for (unsigned int cpus = 1; cpus <= 2; cpus++) {
		if (!setup(t, 1UL << 30, cpus, 0))
			return;
		const struct per_cpu_pages *c = my_cache();
		ktest_diag(t, "1 GiB, %u CPUs: batch %u high %u, order 4 %s",
			   cpus, c->batch, c->high,
			   pcp_caches_order(c, ORDER) ? "cached"
						      : "not cached");
		KTEST_EXPECT_EQ(t, c->batch, 63);
		KTEST_EXPECT_TRUE(t, c->group_refill);
		KTEST_EXPECT_EQ(t, c->high == ROOMY, cpus == 1);
		KTEST_EXPECT_EQ(t, pcp_caches_order(c, ORDER), cpus == 1);
		mm_test_node_destroy(&tn);
	}
	if (!setup(t, 256UL << 20, 1, 0))
		return;
	const struct per_cpu_pages *c = my_cache();
	ktest_diag(t, "256 MiB, 1 CPU: batch %u high %u", c->batch, c->high);
	KTEST_EXPECT_EQ(t, c->batch, 15);
	KTEST_EXPECT_LE(t, c->high, 6 * c->batch);
	KTEST_EXPECT_FALSE(t, pcp_caches_order(c, ORDER));
	mm_test_node_destroy(&tn);
}
#endif

/* Blocks of order 4 with gfp until the node says no, chained through
 * their first word; *lowest is the zone's lowest free count seen. */
static uint64_t take_blocks(gfp_t gfp, uint64_t *chain, uint64_t *lowest)
{
	uint64_t n = 0, a;
	while ((a = pgdat_alloc_pages(&tn.pgdat, gfp | __GFP_NOWARN, ORDER))) {
		*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, a) = *chain;
		*chain = a;
		n++;
		if (normal()->free_pages < *lowest)
			*lowest = normal()->free_pages;
	}
	return n;
}

static void give_blocks_back(uint64_t chain)
{
	while (chain) {
		uint64_t next =
		    *(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, chain);
		pgdat_free_pages(&tn.pgdat, chain, ORDER);
		chain = next;
	}
}

/*
 * The zone 40 frames above low: a GFP_KERNEL request of order 4 refills
 * two blocks (not a batch of three), which leaves the zone above low.
 * Then requests go on to min and GFP_ATOMIC to its own floor, never past
 * either, and each stops within a block of it.
 */
static void test_order4_refill_stops_at_the_floor(struct ktest *t)
{
	uint64_t chain = 0, lowest = UINT64_MAX;
	if (!setup(t, 32UL << 20, 1, ROOMY))
		return;
	struct zone *z = normal();
	uint64_t f = z->free_pages;
	KTEST_ASSERT_TRUE(t, f > 1000);
	z->watermark[WMARK_HIGH] = f - 1;
	z->watermark[WMARK_LOW] = f - 40;
	z->watermark[WMARK_MIN] = f - 200;
	uint64_t min = f - 200,
		 atomic_floor = zone_reserve_floor(min, ALLOC_MIN_RESERVE |
							    ALLOC_NON_BLOCK);
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, ORDER);
	KTEST_ASSERT_TRUE(t, a != 0);
	*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, a) = chain;
	chain = a;
	KTEST_EXPECT_EQ(t, z->free_pages, f - 2 * BLOCK);
	KTEST_EXPECT_EQ(t, my_cache()->count, BLOCK);
	KTEST_EXPECT_GT(t, z->free_pages, z->watermark[WMARK_LOW]);
	take_blocks(GFP_KERNEL, &chain, &lowest);
	KTEST_EXPECT_GE(t, lowest, min);
	KTEST_EXPECT_LT(t, z->free_pages, min + BLOCK);
	KTEST_EXPECT_EQ(t, my_cache()->count, 0); /* drained before failing */
	take_blocks(GFP_ATOMIC, &chain, &lowest);
	KTEST_EXPECT_GE(t, lowest, atomic_floor);
	KTEST_EXPECT_LT(t, z->free_pages, atomic_floor + BLOCK);
	ktest_diag(t,
		   "free %lu: kernel down to min %lu, atomic to %lu (floor %lu)",
		   (unsigned long)f, (unsigned long)min,
		   (unsigned long)z->free_pages, (unsigned long)atomic_floor);
	give_blocks_back(chain);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, z->free_pages, f);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* A parked block of order 4 freed again, as order 3, and by its last
 * frame: each refused and named, the cache unchanged, the block still the
 * cache's to hand out once. */
static void test_order4_double_free_parked(struct ktest *t)
{
	if (!setup(t, 32UL << 20, 1, ROOMY))
		return;
	uint64_t start = normal()->free_pages;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, ORDER);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, ORDER), 0);
	KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, a >> PAGE_SHIFT),
			PFS_PCP | ORDER);
	const struct {
		uint64_t phys;
		unsigned int order;
		const char *report;
	} bad[] = {
		{ a, ORDER, "already free (parked in a per-CPU cache" },
		{ a, ORDER - 1, "already free (parked in a per-CPU cache" },
		{ a + (BLOCK - 1) * PAGE_SIZE, 0, "inside a block parked" },
	};
	unsigned int held = my_cache()->count;
	int saved = console_loglevel;
	console_loglevel = 0;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		printk_capture_start(log, sizeof(log));
		int r = pgdat_free_pages(&tn.pgdat, bad[i].phys, bad[i].order);
		printk_capture_stop();
		KTEST_EXPECT_EQ(t, r, -1);
		KTEST_EXPECT_TRUE(t, ktest_contains(log, bad[i].report));
		KTEST_EXPECT_EQ(t, my_cache()->count, held);
	}
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, ORDER), a);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, ORDER), 0);
	pcp_drain_local(&tn.pgdat);
	KTEST_EXPECT_EQ(t, normal()->free_pages, start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

#ifdef LABYRINTH_HOST
#include <pthread.h>
#include <sched.h>

/* Two host threads play CPUs 0 and 1 and free the same block at once:
 * both spin on the round number, so they leave within a fraction of a
 * microsecond of each other (a barrier's wake-ups are microseconds
 * apart, and the frees then ran one after the other). */
#define ROUNDS 3000
static struct {
	uint64_t block;
	unsigned int round, done;
	int result[2];
} race;

static void *racer(void *arg)
{
	unsigned int cpu = (unsigned int)(uintptr_t)arg;
	host_this_cpu_plus_one = cpu + 1;
	for (unsigned int r = 1; r <= ROUNDS; r++) {
		while (__atomic_load_n(&race.round, __ATOMIC_ACQUIRE) != r)
			;
		race.result[cpu] =
		    pgdat_free_pages(&tn.pgdat, race.block, ORDER);
		__atomic_fetch_add(&race.done, 1, __ATOMIC_RELEASE);
	}
	pcp_drain_local(&tn.pgdat);
	return NULL;
}

/* Each round the main thread, as CPU 0, allocates a block, then both
 * racers free it at the same moment: the compare-and-swap on its head
 * byte lets one park it and sends the other to the locked path, which
 * reports a double free. Never two successes, never two failures. */
static void test_order4_two_cpus_free_one_block(struct ktest *t)
{
	if (!setup(t, 32UL << 20, 2, ROOMY))
		return;
	uint64_t start = normal()->free_pages;
	unsigned int saved_cpu = host_this_cpu_plus_one;
	int saved = console_loglevel;
	console_loglevel = 0;
	race.round = race.done = 0;
	pthread_t th[2];
	for (uintptr_t c = 0; c < 2; c++)
		KTEST_ASSERT_TRUE(t, pthread_create(&th[c], NULL, racer,
						    (void *)c) == 0);
	unsigned int one_each = 0, parked = 0;
	host_this_cpu_plus_one = 1; /* allocate as CPU 0 */
	for (unsigned int r = 1; r <= ROUNDS; r++) {
		race.block = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, ORDER);
		__atomic_store_n(&race.done, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&race.round, r, __ATOMIC_RELEASE);
		while (__atomic_load_n(&race.done, __ATOMIC_ACQUIRE) < 2)
			sched_yield(); /* the racers need the CPUs */
		int a = race.result[0], b = race.result[1];
		if (race.block && ((a == 0 && b == -1) || (a == -1 && b == 0)))
			one_each++;
		uint8_t s = *pfn_state(&tn.pgdat, race.block >> PAGE_SHIFT);
		parked += s == (PFS_PCP | ORDER);
	}
	for (int c = 0; c < 2; c++)
		pthread_join(th[c], NULL);
	pcp_drain_local(&tn.pgdat);
	host_this_cpu_plus_one = saved_cpu;
	console_loglevel = saved;
	ktest_diag(t,
		   "%u rounds: one free and one report in %u, parked after %u",
		   ROUNDS, one_each, parked);
	KTEST_EXPECT_EQ(t, one_each, ROUNDS);
	KTEST_EXPECT_GT(t, parked, 0);
	KTEST_EXPECT_EQ(t, normal()->free_pages, start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}
#endif

static const struct ktest_case pcp_order4_cases[] = {
	KTEST_CASE(test_order4_cached_only_with_room),
	KTEST_CASE(test_node_block_orders_follow_the_caches),
#ifdef LABYRINTH_HOST
	KTEST_CASE(test_order4_sizes_by_zone),
#endif
	KTEST_CASE(test_order4_refill_stops_at_the_floor),
	KTEST_CASE(test_order4_double_free_parked),
#ifdef LABYRINTH_HOST
	KTEST_CASE(test_order4_two_cpus_free_one_block),
#endif
	{ 0 },
};
KTEST_SUITE(mm_pcp_order4, pcp_order4_cases);
