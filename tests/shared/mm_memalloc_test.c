/*
 * PF_MEMALLOC and the scoped GFP API (mm/memalloc.h), host and target:
 * a shrinker that must allocate one page to release a hundred, while the
 * node is below min, succeeds only inside reclaim's PF_MEMALLOC scope;
 * reclaim never recurses; __GFP_MEMALLOC and __GFP_NOMEMALLOC; the noio
 * scope reaches the shrinkers' gfp; __GFP_RETRY_MAYFAIL keeps a costly
 * request retrying where it would have given up. (Interrupt handlers never
 * get the no-watermark access: the target's emergency suite checks that
 * in a real tick.) docs/09-emergency-memory.md ("PF_MEMALLOC").
 */
#include "kernel/lib/string.h"
#include "mm/memalloc.h"
#include "mm/shrinker.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)

static struct mm_test_node tn;

/* A cache of pages (chained through their first word) that needs one
 * page of its own to give any back, as a filesystem may need a buffer to
 * write its dirty pages out. */
static struct cache {
	struct shrinker s;
	uint64_t chain, pages;
	unsigned long release_per_scan;
	unsigned int scans, helper_ok, helper_failed;
	gfp_t last_gfp;
	bool free_halves; /* RETRY_MAYFAIL case: see test below */
} cache;

static unsigned long cache_count(struct shrinker *s, struct shrink_control *sc)
{
	(void)s;
	(void)sc;
	return cache.pages ? cache.pages : SHRINK_EMPTY;
}

static unsigned long cache_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct pglist_data *p = s->pgdat;
	cache.scans++;
	cache.last_gfp = sc->gfp_mask;
	/* Cannot sleep here (the registry's lock is held). */
	uint64_t helper = pgdat_alloc_pages(p, GFP_NOWAIT | __GFP_NOWARN, 0);
	if (!helper) {
		cache.helper_failed++;
		return SHRINK_STOP;
	}
	cache.helper_ok++;
	unsigned long freed = 0;
	while (cache.chain && freed < cache.release_per_scan) {
		uint64_t next = *(uint64_t *)pgdat_phys_to_virt(p, cache.chain);
		pgdat_free_pages(p, cache.chain, 0);
		cache.chain = next;
		cache.pages--;
		freed++;
	}
	pgdat_free_pages(p, helper, 0);
	return freed;
}

/* One zone, min_free_kbytes=1024: min 256 pages. Everything GFP_ATOMIC
 * may take is taken (below min, to its floor); `cached` of it goes to the
 * cache. */
static bool setup(struct ktest *t, uint64_t *rest, uint64_t cached)
{
	if (mm_test_node_init_one_zone(&tn, ARENA, 1024)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	*rest = 0;
	mm_test_take_all(&tn.pgdat, GFP_ATOMIC, rest);
	memset(&cache, 0, sizeof(cache));
	for (uint64_t i = 0; i < cached && *rest; i++) {
		uint64_t c = *rest;
		*rest = *(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, c);
		*(uint64_t *)pgdat_phys_to_virt(&tn.pgdat, c) = cache.chain;
		cache.chain = c;
		cache.pages++;
	}
	cache.release_per_scan = 100;
	cache.s.count_objects = cache_count;
	cache.s.scan_objects = cache_scan;
	cache.s.name = "memalloc-test";
	cache.s.pgdat = &tn.pgdat;
	int registered = register_shrinker(&cache.s);
	KTEST_EXPECT_EQ(t, registered, 0);
	if (registered)
		mm_test_node_destroy(&tn);
	return registered == 0;
}

static void teardown(struct ktest *t, uint64_t rest)
{
	unregister_shrinker(&cache.s);
	mm_test_give_back(&tn.pgdat, rest);
	mm_test_give_back(&tn.pgdat, cache.chain);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void test_reclaimer_gets_its_page_below_min(struct ktest *t)
{
	uint64_t rest;
	if (!setup(t, &rest, 300))
		return;
	struct pglist_data *p = &tn.pgdat;
	struct zone *z = &p->node_zones[ZONE_NORMAL];
	uint64_t min = z->watermark[WMARK_MIN];
	ktest_diag(t, "free %llu, min %llu: below min; the cache holds %llu",
		   (unsigned long long)z->free_pages, (unsigned long long)min,
		   (unsigned long long)cache.pages);
	KTEST_ASSERT_TRUE(t, z->free_pages < min);

	/* Outside any scope the shrinker's own page is refused... */
	KTEST_EXPECT_EQ(t, shrink_slab_node(p, GFP_KERNEL, 32), 0);
	KTEST_EXPECT_EQ(t, cache.helper_failed, 1);
	KTEST_EXPECT_EQ(t, cache.pages, 300);

	/* ...and inside reclaim (PF_MEMALLOC) it is granted: a GFP_KERNEL
	 * request reclaims directly and is served. */
	uint64_t before = p->memalloc_allocs;
	uint64_t page = pgdat_alloc_pages(p, GFP_KERNEL, 0);
	ktest_diag(
	    t,
	    "direct reclaim: %u helper pages granted, %llu pages below every watermark, %llu cached left",
	    cache.helper_ok, (unsigned long long)(p->memalloc_allocs - before),
	    (unsigned long long)cache.pages);
	KTEST_EXPECT_NE(t, page, 0);
	KTEST_EXPECT_GE(t, cache.helper_ok, 1);
	KTEST_EXPECT_GE(t, p->memalloc_allocs - before, 1);
	KTEST_EXPECT_LE(t, cache.pages, 200);
	KTEST_EXPECT_EQ(t, *mm_current_flags() & PF_MEMALLOC, 0); /* restored */
	pgdat_free_pages(p, page, 0);
	teardown(t, rest);
}

static void test_memalloc_flags(struct ktest *t)
{
	uint64_t rest;
	if (!setup(t, &rest, 0))
		return;
	struct pglist_data *p = &tn.pgdat;
	gfp_t quiet = GFP_NOWAIT | __GFP_NOWARN;
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(p, quiet, 0), 0);
	uint64_t a = pgdat_alloc_pages(p, quiet | __GFP_MEMALLOC, 0);
	KTEST_EXPECT_NE(t, a, 0);
	KTEST_EXPECT_EQ(t,
			pgdat_alloc_pages(p,
					  quiet | __GFP_MEMALLOC |
					      __GFP_NOMEMALLOC,
					  0),
			0);
	unsigned int old = memalloc_noreclaim_save();
	uint64_t b = pgdat_alloc_pages(p, quiet, 0);
	KTEST_EXPECT_NE(t, b, 0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(p, quiet | __GFP_NOMEMALLOC, 0),
			0);
	/* No recursion: inside the scope, with nothing free at all, a
	 * sleeping request fails without reclaiming. */
	uint64_t chain = 0, stalls = p->reclaim.allocstall;
	mm_test_take_all(p, quiet, &chain);
	KTEST_EXPECT_EQ(t, p->node_zones[ZONE_NORMAL].free_pages, 0);
	KTEST_EXPECT_EQ(t, pgdat_alloc_pages(p, GFP_KERNEL | __GFP_NOWARN, 0),
			0);
	KTEST_EXPECT_EQ(t, p->reclaim.allocstall, stalls);
	memalloc_noreclaim_restore(old);
	mm_test_give_back(p, chain);
	pgdat_free_pages(p, a, 0);
	pgdat_free_pages(p, b, 0);
	teardown(t, rest);
}

static void test_scopes_nest_and_narrow_gfp(struct ktest *t)
{
	unsigned int *flags = mm_current_flags();
	unsigned int start = *flags;
	unsigned int outer = memalloc_noreclaim_save();
	unsigned int inner = memalloc_noreclaim_save();
	memalloc_noreclaim_restore(inner);
	KTEST_EXPECT_TRUE(t, *flags & PF_MEMALLOC); /* the outer one holds */
	memalloc_noreclaim_restore(outer);
	KTEST_EXPECT_EQ(t, *flags, start);

	unsigned int nofs = memalloc_nofs_save();
	KTEST_EXPECT_EQ(t, current_gfp_context(GFP_KERNEL),
			GFP_KERNEL & ~__GFP_FS);
	unsigned int noio = memalloc_noio_save();
	KTEST_EXPECT_EQ(t, current_gfp_context(GFP_KERNEL),
			GFP_KERNEL & ~(__GFP_FS | __GFP_IO));
	KTEST_EXPECT_EQ(t, current_gfp_context(GFP_ATOMIC), GFP_ATOMIC);
	memalloc_noio_restore(noio);
	memalloc_nofs_restore(nofs);
	KTEST_EXPECT_EQ(t, current_gfp_context(GFP_KERNEL), GFP_KERNEL);
	KTEST_EXPECT_EQ(t, *flags, start);
}

static void test_noio_scope_reaches_reclaim(struct ktest *t)
{
	uint64_t rest;
	if (!setup(t, &rest, 300))
		return;
	unsigned int noio = memalloc_noio_save();
	uint64_t page = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0);
	memalloc_noio_restore(noio);
	KTEST_EXPECT_NE(t, page, 0);
	KTEST_EXPECT_GE(t, cache.scans, 1);
	KTEST_EXPECT_EQ(t, cache.last_gfp & (__GFP_IO | __GFP_FS), 0);
	KTEST_EXPECT_TRUE(t, cache.last_gfp & __GFP_DIRECT_RECLAIM);
	pgdat_free_pages(&tn.pgdat, page, 0);
	teardown(t, rest);
}

/* A costly (order 4) request on a node with nothing free: each round of
 * reclaim frees 32 pages, the first halves of four aligned 16-page blocks,
 * then their second halves. One round never makes a free order-4 block;
 * two do. Plain requests give up after one round; RETRY_MAYFAIL goes on. */
static bool taken(struct pglist_data *p, uint64_t pfn)
{
	uint8_t *st = pfn_state(p, pfn);
	return st && *st == PFS_ALLOC;
}

static void push(struct pglist_data *p, uint64_t *chain, uint64_t pfn)
{
	*(uint64_t *)pgdat_phys_to_virt(p, pfn << PAGE_SHIFT) = *chain;
	*chain = pfn << PAGE_SHIFT;
	cache.pages++;
}

static uint64_t halves_cache_fill(struct pglist_data *p)
{
	uint64_t chain = 0, all = 0;
	uint64_t base = tn.phys_base >> PAGE_SHIFT;
	uint64_t groups = (tn.bytes >> PAGE_SHIFT) / 64;
	mm_test_take_all(p, GFP_NOWAIT | __GFP_NOWARN, &all);
	/* Every page taken goes on the cache's chain (a stack: the last
	 * pushed is freed first). Pages of 64-page groups that are not all
	 * ours (metadata) go first, so they come back last; then each whole
	 * group, backwards: its four 16-page blocks' high halves, then their
	 * low halves. */
	for (uint64_t g = 0; g < groups; g++) {
		bool whole = true;
		for (uint64_t i = 0; i < 64; i++)
			whole &= taken(p, base + g * 64 + i);
		for (uint64_t i = 0; i < 64 && !whole; i++)
			if (taken(p, base + g * 64 + i))
				push(p, &chain, base + g * 64 + i);
	}
	for (uint64_t g = groups; g-- > 0;) {
		bool whole = true;
		for (uint64_t i = 0; i < 64; i++)
			whole &= taken(p, base + g * 64 + i);
		for (int half = 1; whole && half >= 0; half--)
			for (int b = 3; b >= 0; b--)
				for (int i = 7; i >= 0; i--)
					push(p, &chain,
					     base + g * 64 + b * 16 + half * 8 +
						 i);
	}
	(void)all; /* its pages are all on `chain` now */
	return chain;
}

static void test_retry_mayfail_keeps_trying(struct ktest *t)
{
	for (int mayfail = 0; mayfail <= 1; mayfail++) {
		if (mm_test_node_init(&tn, ARENA, 0, 0, true)) {
			ktest_skip(t, "no test arena on this platform");
			return;
		}
		struct pglist_data *p = &tn.pgdat;
		memset(&cache, 0, sizeof(cache));
		cache.chain = halves_cache_fill(p);
		cache.release_per_scan = 32;
		cache.s.count_objects = cache_count;
		cache.s.scan_objects = cache_scan;
		cache.s.name = "memalloc-halves";
		cache.s.pgdat = p;
		KTEST_ASSERT_TRUE(t, register_shrinker(&cache.s) == 0);
		/* The shrinker's helper page must come from somewhere. */
		uint64_t spare = cache.chain;
		cache.chain = *(uint64_t *)pgdat_phys_to_virt(p, spare);
		cache.pages--;
		pgdat_free_pages(p, spare, 0);

		gfp_t gfp = GFP_KERNEL | __GFP_NOWARN |
			    (mayfail ? __GFP_RETRY_MAYFAIL : 0);
		uint64_t block = pgdat_alloc_pages(p, gfp, 4);
		ktest_diag(t, "%s: order 4 %s after %u reclaim calls",
			   mayfail ? "__GFP_RETRY_MAYFAIL" : "plain",
			   block ? "served" : "failed", cache.scans);
		if (mayfail) {
			KTEST_EXPECT_NE(t, block, 0);
			KTEST_EXPECT_GE(t, cache.scans, 2);
		} else {
			KTEST_EXPECT_EQ(t, block, 0);
			KTEST_EXPECT_EQ(t, cache.scans, 1);
		}
		if (block)
			pgdat_free_pages(p, block, 4);
		unregister_shrinker(&cache.s);
		mm_test_give_back(p, cache.chain);
		KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
		mm_test_node_destroy(&tn);
	}
}

static const struct ktest_case memalloc_cases[] = {
	KTEST_CASE(test_reclaimer_gets_its_page_below_min),
	KTEST_CASE(test_memalloc_flags),
	KTEST_CASE(test_scopes_nest_and_narrow_gfp),
	KTEST_CASE(test_noio_scope_reaches_reclaim),
	KTEST_CASE(test_retry_mayfail_keeps_trying),
	{ 0 },
};
KTEST_SUITE(mm_memalloc, memalloc_cases);
