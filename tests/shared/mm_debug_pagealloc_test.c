/*
 * debug_pagealloc's bookkeeping (mm/debug_pagealloc.c and the hooks in
 * mm/page_alloc.c) on a small node: a recorder stands in for the page
 * tables, and after every allocation and free the rule must hold exactly:
 * a frame is mapped if and only if it is not a tail of a free block. Every
 * handed-out block is mapped in full. Host and target; the kernel's real
 * unmapping is tested by tests/target/debug_pagealloc_test.c.
 * docs/07-debugging-the-allocator.md ("debug_pagealloc").
 */
#include "kernel/lib/string.h"
#include "mm/contig.h"
#include "mm/debug_pagealloc.h"
#include "mm/internal.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define FRAMES (ARENA >> PAGE_SHIFT)

static struct mm_test_node tn;
static uint8_t unmapped[FRAMES];
static uint64_t outside_calls, set_calls;
static struct pglist_data *saved_node;
static set_direct_map_fn saved_set;

static void record(uint64_t pfn, uint64_t nr, bool present)
{
	uint64_t base = tn.phys_base >> PAGE_SHIFT;
	set_calls++;
	for (uint64_t i = pfn; i < pfn + nr; i++) {
		if (i < base || i >= base + FRAMES)
			outside_calls++;
		else
			unmapped[i - base] = !present;
	}
}

/* Frames breaking the rule (0 when all is well). */
static uint64_t rule_breaks(void)
{
	uint64_t base = tn.phys_base >> PAGE_SHIFT, bad = 0, tails = 0;
	for (uint64_t k = 0; k < FRAMES;) {
		uint8_t *st = pfn_state(&tn.pgdat, base + k);
		uint8_t s = st ? *st : PFS_RESERVED;
		uint64_t n = (s & (PFS_FREE | PFS_ALLOC))
				 ? 1ULL << (s & PFS_ORDER_MASK)
				 : 1;
		bad += unmapped[k]; /* a head, allocated or reserved: mapped */
		for (uint64_t i = 1; i < n; i++) {
			bool want = s & PFS_FREE;
			bad += unmapped[k + i] != want;
			tails += want;
		}
		k += n;
	}
	return bad;
}

static bool setup_wm(struct ktest *t, bool watermarks)
{
	if (mm_test_node_init(&tn, ARENA, 2UL << 20, 4UL << 20, !watermarks)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	/* The kernel's own node may have it on: put it aside meanwhile. */
	saved_node = debug_pagealloc_node;
	saved_set = debug_pagealloc_set;
	debug_pagealloc_node = NULL;
	if (saved_node) /* uncounted after it is off (mm/internal.h) */
		mm_debug_hooks_add(-1);
	memset(unmapped, 0, sizeof(unmapped));
	outside_calls = set_calls = 0;
	return true;
}

static bool setup(struct ktest *t)
{
	return setup_wm(t, false);
}

static void teardown(struct ktest *t)
{
	debug_pagealloc_disable(&tn.pgdat);
	for (uint64_t k = 0; k < FRAMES; k++)
		if (unmapped[k]) {
			KTEST_EXPECT_EQ(t, k, FRAMES); /* all mapped again */
			break;
		}
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
	debug_pagealloc_set = saved_set;
	if (saved_node) /* counted before it is on */
		mm_debug_hooks_add(1);
	__atomic_store_n(&debug_pagealloc_node, saved_node, __ATOMIC_RELEASE);
}

static void test_enable_unmaps_free_tails(struct ktest *t)
{
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, debug_pagealloc_enable(&tn.pgdat, record) == 0);
	KTEST_EXPECT_EQ(t, debug_pagealloc_enable(&tn.pgdat, record), -1);
	uint64_t n = 0, blocks = 0;
	for (uint64_t k = 0; k < FRAMES; k++)
		n += unmapped[k];
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o <= MAX_ORDER; o++)
			blocks += tn.pgdat.node_zones[z].free_area[o].nr_free;
	KTEST_EXPECT_GT(t, n, 2000);
	KTEST_EXPECT_EQ(t, n, mm_test_free_pages(&tn.pgdat) - blocks);
	KTEST_EXPECT_EQ(t, rule_breaks(), 0);
	KTEST_EXPECT_EQ(t, outside_calls, 0);
	teardown(t);
}

/* Random orders, flags and frees: the rule after every step, every block
 * handed out mapped in full. */
static void test_rule_kept_through_churn(struct ktest *t)
{
	static uint64_t held[64];
	static unsigned int held_order[64];
	uint64_t rng = 0xdeadbeefcafe, breaks = 0, unmapped_out = 0;
	unsigned int n = 0;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, debug_pagealloc_enable(&tn.pgdat, record) == 0);
	for (int i = 0; i < 1500; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		if (n == 64 || ((rng >> 8) & 1 && n)) {
			unsigned int k = (rng >> 16) % n;
			pgdat_free_pages(&tn.pgdat, held[k], held_order[k]);
			held[k] = held[--n];
			held_order[k] = held_order[n];
		} else {
			unsigned int order = rng % 7;
			gfp_t gfp = (rng >> 9) & 1 ? GFP_ATOMIC : GFP_KERNEL;
			uint64_t p =
			    pgdat_alloc_pages(&tn.pgdat, gfp | __GFP_NOWARN,
					      order);
			if (!p)
				continue;
			uint64_t k = (p - tn.phys_base) >> PAGE_SHIFT;
			for (uint64_t j = 0; j < (1ULL << order); j++)
				unmapped_out += unmapped[k + j];
			held[n] = p;
			held_order[n++] = order;
		}
		breaks += rule_breaks();
	}
	while (n--)
		pgdat_free_pages(&tn.pgdat, held[n], held_order[n]);
	KTEST_EXPECT_EQ(t, breaks, 0);
	KTEST_EXPECT_EQ(t, unmapped_out, 0);
	KTEST_EXPECT_EQ(t, rule_breaks(), 0);
	KTEST_EXPECT_EQ(t, outside_calls, 0);
	ktest_diag(t, "%llu calls to the mapper",
		   (unsigned long long)set_calls);
	teardown(t);
}

/* With page poisoning too, and highatomic pageblocks claimed and given
 * back (unreserving frees free blocks again): the rule still holds. */
static void test_with_poison_and_highatomic(struct ktest *t)
{
	static uint64_t held[1024];
	static unsigned int held_order[1024];
	unsigned int n = 0;
	uint64_t p, reserved = 0, unreserved = 0;
	if (!setup_wm(t, true))
		return;
	pgdat_set_page_poison(&tn.pgdat, true);
	KTEST_ASSERT_TRUE(t, debug_pagealloc_enable(&tn.pgdat, record) == 0);
	/* GFP_KERNEL down to the low watermark ... */
	while (
	    n < 1024 &&
	    (p = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL | __GFP_NOWARN, 2))) {
		held_order[n] = 2;
		held[n++] = p;
	}
	/* ... then non-blocking order-1 requests claim highatomic
	 * pageblocks, and give them back when nothing else is left. */
	while (
	    n < 1024 &&
	    (p = pgdat_alloc_pages(&tn.pgdat, GFP_ATOMIC | __GFP_NOWARN, 1))) {
		uint64_t r = 0;
		for (int z = 0; z < MAX_NR_ZONES; z++)
			r += tn.pgdat.node_zones[z].nr_reserved_highatomic;
		if (r > reserved)
			reserved = r;
		held_order[n] = 1;
		held[n++] = p;
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		unreserved += tn.pgdat.node_zones[z].nr_reserved_highatomic;
	ktest_diag(t, "%u blocks held, highatomic peak %llu pages, %llu left",
		   n, (unsigned long long)reserved,
		   (unsigned long long)unreserved);
	KTEST_EXPECT_GT(t, reserved, 0);
	KTEST_EXPECT_EQ(t, rule_breaks(), 0);
	while (n--)
		pgdat_free_pages(&tn.pgdat, held[n], held_order[n]);
	KTEST_EXPECT_EQ(t, rule_breaks(), 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.poison_errors, 0);
	teardown(t);
}

/* alloc_contig_pages takes whole free blocks off their lists and hands
 * the range out: their tails, unmapped while free, must be mapped again
 * (it handed them out unmapped: the caller's first write would fault). */
static void test_contig_range_mapped(struct ktest *t)
{
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, debug_pagealloc_enable(&tn.pgdat, record) == 0);
	uint64_t run =
	    pgdat_alloc_contig_pages(&tn.pgdat, 1024,
				     GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN,
				     NULL);
	KTEST_ASSERT_TRUE(t, run != 0);
	uint64_t base = tn.phys_base >> PAGE_SHIFT, off = (run >> 12) - base,
		 unmapped_in_run = 0;
	for (uint64_t k = off; k < off + 1024; k++)
		unmapped_in_run += unmapped[k];
	KTEST_EXPECT_EQ(t, unmapped_in_run, 0);
	KTEST_EXPECT_EQ(t, rule_breaks(), 0);
	pgdat_free_contig_range(&tn.pgdat, run, 1024);
	KTEST_EXPECT_EQ(t, rule_breaks(), 0);
	KTEST_EXPECT_EQ(t, outside_calls, 0);
	teardown(t);
}

static const struct ktest_case dpa_cases[] = {
	KTEST_CASE(test_enable_unmaps_free_tails),
	KTEST_CASE(test_rule_kept_through_churn),
	KTEST_CASE(test_with_poison_and_highatomic),
	KTEST_CASE(test_contig_range_mapped),
	{ 0 },
};
KTEST_SUITE(mm_debug_pagealloc, dpa_cases);
