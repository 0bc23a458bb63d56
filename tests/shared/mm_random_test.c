/*
 * Randomized allocs and frees checked against a reference model after every
 * step: the model is a byte per page of the arena. A request must succeed
 * exactly when the model has a naturally aligned free run of the size asked
 * for inside an allowed zone (the buddy allocator, fully merged, always
 * finds it); blocks must not overlap; the allocator must not write into
 * blocks it handed out (stamps); free counts must match. A long run on the
 * host, a shorter one on target. docs/03-buddy-and-gfp.md ("Tests").
 */
#include "kernel/lib/string.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define ARENA_PAGES (ARENA >> PAGE_SHIFT)
#define DMA_BYTES (2UL << 20)
#define DMA32_BYTES (4UL << 20)
#ifdef LABYRINTH_HOST
#define STEPS 200000
#else
#define STEPS 3000
#endif

static struct mm_test_node tn;
static uint8_t model[ARENA_PAGES]; /* 0 free, 1 allocated, 2 metadata */
static struct {
	uint64_t phys;
	unsigned int order;
} live[ARENA_PAGES];
static unsigned int nr_live;
static uint64_t model_free;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12; /* xorshift64* */
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t page_of(uint64_t phys)
{
	return (phys - tn.phys_base) >> PAGE_SHIFT;
}

/* Window end (in arena pages) of the highest zone a request may use. */
static uint64_t allowed_end(gfp_t gfp)
{
	if (gfp & __GFP_DMA)
		return DMA_BYTES >> PAGE_SHIFT;
	if (gfp & __GFP_DMA32)
		return DMA32_BYTES >> PAGE_SHIFT;
	return ARENA_PAGES;
}

/* Does the model have an aligned free run of 2^order pages in one zone? */
static bool model_can_alloc(unsigned int order, gfp_t gfp)
{
	static const uint64_t zone_ends[] = { DMA_BYTES >> PAGE_SHIFT,
					      DMA32_BYTES >> PAGE_SHIFT,
					      ARENA_PAGES };
	uint64_t size = 1ULL << order, end = allowed_end(gfp), zone_start = 0;
	for (int z = 0; z < 3 && zone_start < end; z++) {
		for (uint64_t s = zone_start; s + size <= zone_ends[z];
		     s += size) {
			uint64_t i = 0;
			while (i < size && model[s + i] == 0)
				i++;
			if (i == size)
				return true;
		}
		zone_start = zone_ends[z];
	}
	return false;
}

static void stamp(uint64_t phys, unsigned int order)
{
	uint64_t *first = pgdat_phys_to_virt(&tn.pgdat, phys);
	uint64_t *last =
	    pgdat_phys_to_virt(&tn.pgdat, phys + (PAGE_SIZE << order) - 8);
	*first = phys ^ 0x5555;
	*last = phys ^ 0xaaaa;
}

static bool stamp_intact(uint64_t phys, unsigned int order)
{
	uint64_t *first = pgdat_phys_to_virt(&tn.pgdat, phys);
	uint64_t *last =
	    pgdat_phys_to_virt(&tn.pgdat, phys + (PAGE_SIZE << order) - 8);
	return *first == (phys ^ 0x5555) && *last == (phys ^ 0xaaaa);
}

static bool is_zero(uint64_t phys, unsigned int order)
{
	const uint64_t *v = pgdat_phys_to_virt(&tn.pgdat, phys);
	for (uint64_t i = 0; i < (PAGE_SIZE << order) / 8; i++)
		if (v[i])
			return false;
	return true;
}

static const gfp_t kinds[] = {
	GFP_KERNEL,
	GFP_ATOMIC,
	GFP_NOWAIT,
	GFP_KERNEL | __GFP_DMA32,
	GFP_ATOMIC | __GFP_DMA,
	GFP_KERNEL | __GFP_ZERO,
	GFP_NOWAIT | __GFP_DMA32,
};

/* Returns false on the first disagreement (already reported). */
static bool step_alloc(struct ktest *t)
{
	unsigned int order =
	    (rnd() % 100) < 60 ? rnd() % 3 : rnd() % (MAX_ORDER + 1);
	gfp_t gfp =
	    kinds[rnd() % (sizeof(kinds) / sizeof(kinds[0]))] | __GFP_NOWARN;
	bool possible = model_can_alloc(order, gfp);
	uint64_t phys = pgdat_alloc_pages(&tn.pgdat, gfp, order);

	if (!phys) {
		if (possible)
			ktest_fail(
			    t, __FILE__, __LINE__,
			    "order %u gfp 0x%x failed though the model has room",
			    order, gfp);
		return !possible;
	}
	uint64_t first = page_of(phys), size = 1ULL << order;
	bool ok = possible && phys >= tn.phys_base &&
		  first + size <= allowed_end(gfp) &&
		  !(phys & ((PAGE_SIZE << order) - 1));
	for (uint64_t i = 0; ok && i < size; i++)
		ok = model[first + i] == 0;
	if (ok && (gfp & __GFP_ZERO))
		ok = is_zero(phys, order);
	if (!ok) {
		ktest_fail(
		    t, __FILE__, __LINE__,
		    "order %u gfp 0x%x gave 0x%llx: not free, aligned, zeroed and allowed in the model (possible=%d)",
		    order, gfp, (unsigned long long)phys, possible);
		return false;
	}
	for (uint64_t i = 0; i < size; i++)
		model[first + i] = 1;
	model_free -= size;
	stamp(phys, order);
	live[nr_live].phys = phys;
	live[nr_live++].order = order;
	return true;
}

static bool step_free(struct ktest *t)
{
	unsigned int k = (unsigned int)(rnd() % nr_live);
	uint64_t phys = live[k].phys;
	unsigned int order = live[k].order;
	if (!stamp_intact(phys, order)) {
		ktest_fail(t, __FILE__, __LINE__,
			   "block 0x%llx order %u was written to while allocated",
			   (unsigned long long)phys, order);
		return false;
	}
	if (pgdat_free_pages(&tn.pgdat, phys, order)) {
		ktest_fail(t, __FILE__, __LINE__, "good free of 0x%llx refused",
			   (unsigned long long)phys);
		return false;
	}
	for (uint64_t i = 0; i < (1ULL << order); i++)
		model[page_of(phys) + i] = 0;
	model_free += 1ULL << order;
	live[k] = live[--nr_live];
	return true;
}

static void test_random_against_model(struct ktest *t)
{
	static uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS];
	if (mm_test_node_init(&tn, ARENA, DMA_BYTES, DMA32_BYTES, true)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	mm_test_snapshot(&tn.pgdat, snap);
	memset(model, 0, sizeof(model));
	for (uint64_t i = 0; i < tn.pgdat.metadata_pages; i++)
		model[page_of(tn.pgdat.metadata_start << PAGE_SHIFT) + i] = 2;
	model_free = ARENA_PAGES - tn.pgdat.metadata_pages;
	nr_live = 0;

	unsigned int allocs = 0, failures = 0;
	for (unsigned int s = 0; s < STEPS; s++) {
		/* Drift between filling up and draining, so both the full and
		 * the empty ends of the state space are visited. */
		unsigned int alloc_pct = (s / 2000) % 2 ? 35 : 70;
		bool ok;
		if (nr_live == 0 || rnd() % 100 < alloc_pct) {
			uint64_t before = nr_live;
			ok = step_alloc(t);
			allocs++;
			failures += nr_live == before;
		} else {
			ok = step_free(t);
		}
		if (ok && mm_test_free_pages(&tn.pgdat) != model_free) {
			ktest_fail(
			    t, __FILE__, __LINE__,
			    "step %u: allocator has %llu free pages, model %llu",
			    s,
			    (unsigned long long)mm_test_free_pages(&tn.pgdat),
			    (unsigned long long)model_free);
			ok = false;
		}
		if (ok && (s % 512 == 0) && pgdat_check(&tn.pgdat)) {
			ktest_fail(t, __FILE__, __LINE__,
				   "mm_check failed at step %u", s);
			ok = false;
		}
		if (!ok)
			break;
	}
	ktest_diag(
	    t,
	    "%u steps, %u allocations of which %u failed (as the model predicted)",
	    STEPS, allocs, failures);
	KTEST_EXPECT_GT(t, failures, 0); /* the run did reach exhaustion */
	while (nr_live)
		if (!step_free(t))
			break;
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), model_free);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case random_cases[] = {
	KTEST_CASE(test_random_against_model),
	{ 0 },
};
KTEST_SUITE(mm_random, random_cases);
