/*
 * The kernel's own allocator over the real OVMF memory map, in every boot
 * matrix configuration: every zone the machine has hands out frames that
 * are really RAM (written and read back through the direct map), memory can
 * be exhausted and refilled, and afterwards the free lists are exactly as
 * before and mm_check() is clean. With 8 GiB this reaches frames above 4 GiB.
 */
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "tests/ktest.h"

#define FOUR_GIB (4ULL << 30)

/* Free pages, after every CPU's per-CPU lists went back to the zones. */
static uint64_t free_pages_now(void)
{
	uint64_t n = 0;
	drain_all_pages(&contig_page_data);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += contig_page_data.node_zones[z].free_pages;
	return n;
}

static void test_mm_check_clean_at_boot(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, mm_check(), 0);
	KTEST_EXPECT_GT(t, free_pages_now(), 1000);
}

/* One block from each populated zone, honouring the zone's limits. */
static void test_each_zone_gives_ram(struct ktest *t)
{
	static const gfp_t zone_gfp[MAX_NR_ZONES] = { GFP_KERNEL | __GFP_DMA,
						      GFP_KERNEL | __GFP_DMA32,
						      GFP_KERNEL };
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &contig_page_data.node_zones[z];
		if (!zone->managed_pages)
			continue;
		uint64_t p = alloc_pages(zone_gfp[z], 2);
		KTEST_ASSERT_TRUE(t, p != 0);
		KTEST_EXPECT_EQ(t, p % (4 * PAGE_SIZE), 0);
		if (z == ZONE_DMA)
			KTEST_EXPECT_LT(t, p, 16ULL << 20);
		if (z == ZONE_DMA32)
			KTEST_EXPECT_LT(t, p, FOUR_GIB);
		volatile uint64_t *words = phys_to_virt(p);
		for (int i = 0; i < 4 * 512; i += 509)
			words[i] = p ^ (uint64_t)i;
		for (int i = 0; i < 4 * 512; i += 509)
			KTEST_EXPECT_EQ(t, words[i], p ^ (uint64_t)i);
		__free_pages(p, 2);
	}
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/*
 * Takes every block GFP_KERNEL will give (orders 10 down to 0), chaining
 * them through their own first words (no bookkeeping memory), stamps and
 * checks each, then frees them all.
 */
static void test_exhaust_and_refill(struct ktest *t)
{
	uint64_t before = free_pages_now(), taken = 0, high = 0, blocks = 0;
	uint64_t head = 0;
	for (int order = MAX_ORDER; order >= 0; order--) {
		uint64_t p;
		while ((p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order))) {
			uint64_t *w = phys_to_virt(p);
			w[0] = head;
			w[1] = (uint64_t)order;
			w[2] = p ^ 0x5a5a5a5a5a5a5a5aULL;
			head = p;
			taken += 1ULL << order;
			blocks++;
			if (p >= FOUR_GIB)
				high++;
		}
	}
	ktest_diag(
	    t,
	    "took %lu pages in %lu blocks (%lu blocks above 4 GiB), %lu of %lu free pages left",
	    taken, blocks, high, free_pages_now(), before);
	KTEST_EXPECT_GT(t, taken, before / 2);
	KTEST_EXPECT_EQ(t, alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0), 0);
	if (contig_page_data.node_zones[ZONE_NORMAL].managed_pages)
		KTEST_EXPECT_GT(t, high, 0);

	uint64_t bad = 0;
	while (head) {
		uint64_t *w = phys_to_virt(head);
		uint64_t next = w[0];
		if (w[2] != (head ^ 0x5a5a5a5a5a5a5a5aULL) || w[1] > MAX_ORDER)
			bad++;
		__free_pages(head, (unsigned int)w[1]);
		head = next;
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, free_pages_now(), before);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
	/* Memory is usable again. */
	uint64_t p = alloc_pages(GFP_KERNEL, MAX_ORDER);
	KTEST_EXPECT_NE(t, p, 0);
	if (p)
		__free_pages(p, MAX_ORDER);
}

static const struct ktest_case mm_kernel_cases[] = {
	KTEST_CASE(test_mm_check_clean_at_boot),
	KTEST_CASE(test_each_zone_gives_ram),
	KTEST_CASE(test_exhaust_and_refill),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_kernel, mm_kernel_cases, KTEST_TARGET_ONLY);
