/*
 * Bad frees (mm/page_free.c, free_pages_caller): double free, a frame
 * inside a free block (linked or not yet), wrong order, unaligned, not page aligned, not usable
 * RAM, metadata, frame 0, a tail of an allocated block, order too big. Each
 * must be reported naming the frame, what was expected and the caller, and
 * must change nothing: same free lists, mm_check() clean. Host and target.
 * docs/03-buddy-and-gfp.md ("Bad frees").
 */
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/internal.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define QUIET (GFP_KERNEL | __GFP_NOWARN)

static struct mm_test_node tn;
static uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS];
static char log[1024];

/* Frees (phys, order) expecting a report: checks the message names the
 * frame and `why`, and that nothing at all changed. */
static void expect_bad_free(struct ktest *t, uint64_t phys, unsigned int order,
			    const char *why)
{
	char frame[48];
	int saved = console_loglevel;
	uint64_t free_before = mm_test_free_pages(&tn.pgdat);
	uint64_t bad_before = tn.pgdat.bad_frees;

	mm_test_snapshot(&tn.pgdat, snap);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int ret = pgdat_free_pages(&tn.pgdat, phys, order);
	printk_capture_stop();
	console_loglevel = saved;

	ksnprintf(frame, sizeof(frame), "frame 0x%llx ",
		  (unsigned long long)(phys >> PAGE_SHIFT));
	KTEST_EXPECT_EQ(t, ret, -1);
	KTEST_EXPECT_EQ(t, tn.pgdat.bad_frees, bad_before + 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "BUG: bad page free"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, frame));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, why));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "expected "));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "caller 0x"));
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), free_before);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	if (!ktest_contains(log, why))
		ktest_diag(t, "log was: %s", log);
}

static bool setup(struct ktest *t)
{
	if (mm_test_node_init(&tn, ARENA, 2UL << 20, 4UL << 20, true)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

static void test_double_free(struct ktest *t)
{
	if (!setup(t))
		return;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, QUIET, 0);
	uint64_t keep = pgdat_alloc_pages(&tn.pgdat, QUIET, 0); /* no merging */
	KTEST_ASSERT_TRUE(t, a && keep);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 0), 0);
	expect_bad_free(t, a, 0, "already free");
	pgdat_free_pages(&tn.pgdat, keep, 0);
	mm_test_node_destroy(&tn);
}

static void test_free_inside_free_block(struct ktest *t)
{
	if (!setup(t))
		return;
	/* Normal's order-10 block is free: its 5th page is not allocated. */
	uint64_t big = pgdat_alloc_pages(&tn.pgdat, QUIET, MAX_ORDER);
	KTEST_ASSERT_TRUE(t, big != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, big, MAX_ORDER), 0);
	expect_bad_free(t, big + 4 * PAGE_SIZE, 2,
			"already free (inside free block");
	expect_bad_free(t, big + 5 * PAGE_SIZE, 0,
			"already free (inside free block");
	mm_test_node_destroy(&tn);
}

/* A free 4 MiB block boot has not linked yet (PFS_DEFERRED, docs/03b):
 * its head and a frame inside it are already free, and stay unlinked. */
static void test_free_in_unlinked_block(struct ktest *t)
{
	if (!setup(t))
		return;
	uint64_t head = mm_test_first_unlinked(&tn);
	KTEST_ASSERT_TRUE(t, head != 0);
	uint64_t unlinked = tn.pgdat.node_zones[ZONE_NORMAL].deferred_blocks;
	expect_bad_free(t, head << PAGE_SHIFT, MAX_ORDER,
			"already free (head of free block");
	expect_bad_free(t, (head + 5) << PAGE_SHIFT, 0,
			"already free (inside free block");
	KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, head),
			PFS_DEFERRED | MAX_ORDER);
	KTEST_EXPECT_EQ(t, tn.pgdat.node_zones[ZONE_NORMAL].deferred_blocks,
			unlinked);
	mm_test_node_destroy(&tn);
}

static void test_wrong_order(struct ktest *t)
{
	if (!setup(t))
		return;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, QUIET, 3);
	KTEST_ASSERT_TRUE(t, a != 0);
	expect_bad_free(t, a, 2, "wrong order");
	if (!(a & (16 * PAGE_SIZE - 1)))
		expect_bad_free(t, a, 4, "wrong order");
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 3), 0);
	mm_test_node_destroy(&tn);
}

static void test_unaligned_for_order(struct ktest *t)
{
	if (!setup(t))
		return;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, QUIET, 2);
	KTEST_ASSERT_TRUE(t, a != 0);
	expect_bad_free(t, a + PAGE_SIZE, 1, "unaligned for its order");
	expect_bad_free(t, a + 8, 2, "not page aligned");
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 2), 0);
	mm_test_node_destroy(&tn);
}

static void test_inside_allocated_block(struct ktest *t)
{
	if (!setup(t))
		return;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, QUIET, 3);
	KTEST_ASSERT_TRUE(t, a != 0);
	expect_bad_free(t, a + 2 * PAGE_SIZE, 0, "inside an allocated block");
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 3), 0);
	mm_test_node_destroy(&tn);
}

static void test_not_usable_ram(struct ktest *t)
{
	if (!setup(t))
		return;
	/* Below the arena: no section at all. Above: none either. The last
	 * page of the arena is the allocator's own metadata. */
	expect_bad_free(t, tn.phys_base - (4UL << 20), 0, "not usable RAM");
	expect_bad_free(t, tn.phys_base + ARENA, 0, "not usable RAM");
	expect_bad_free(t, tn.phys_base + ARENA - PAGE_SIZE, 0,
			"not usable RAM");
	expect_bad_free(t, 0x1000ULL << 40, 0, "not usable RAM");
	mm_test_node_destroy(&tn);
}

static void test_frame_zero_and_huge_order(struct ktest *t)
{
	if (!setup(t))
		return;
	expect_bad_free(t, 0, 0, "frame 0");
	expect_bad_free(t, tn.phys_base, MAX_ORDER + 1,
			"order above MAX_ORDER");
	mm_test_node_destroy(&tn);
}

static void test_good_free_after_bad_ones(struct ktest *t)
{
	if (!setup(t))
		return;
	mm_test_snapshot(&tn.pgdat, snap);
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, QUIET, 5);
	KTEST_ASSERT_TRUE(t, a != 0);
	expect_bad_free(t, a, 4, "wrong order");
	expect_bad_free(t, a + PAGE_SIZE * 16, 4, "inside an allocated block");
	mm_test_snapshot(&tn.pgdat, snap);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, a, 5), 0);
	KTEST_EXPECT_FALSE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), 3071);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* mm_check must notice corruption, or it proves nothing. */
static void test_mm_check_detects_corruption(struct ktest *t)
{
	int saved = console_loglevel;
	if (!setup(t))
		return;
	uint64_t a = pgdat_alloc_pages(&tn.pgdat, QUIET, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	uint8_t *st = pfn_state(&tn.pgdat, a >> PAGE_SHIFT);
	uint8_t orig = *st;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	*st = PFS_FREE | 0; /* marked free, but on no list */
	int problems_state = pgdat_check(&tn.pgdat);
	*st = orig;
	tn.pgdat.node_zones[ZONE_NORMAL].free_pages++;
	int problems_count = pgdat_check(&tn.pgdat);
	tn.pgdat.node_zones[ZONE_NORMAL].free_pages--;
	/* A free block's links moved one line off block_link_offset(): the
	 * split and the merge would look for them where they are not. */
	struct list_head *h = NULL, *e, *moved;
	for (int o = 0; !h && o <= MAX_ORDER; o++)
		for (int ty = 0; !h && ty < MIGRATE_TYPES; ty++)
			if (!list_empty(&tn.pgdat.node_zones[ZONE_NORMAL]
					     .free_area[o]
					     .free_list[ty]))
				h = &tn.pgdat.node_zones[ZONE_NORMAL]
					 .free_area[o]
					 .free_list[ty];
	KTEST_ASSERT_TRUE(t, h != NULL);
	e = h->next;
	moved = (struct list_head *)((char *)e +
				     (((uintptr_t)e & 4095) < 4032 ? 64 : -64));
	*moved = *e;
	e->prev->next = e->next->prev = moved;
	int problems_place = pgdat_check(&tn.pgdat);
	*e = *moved;
	e->prev->next = e->next->prev = e;
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_GT(t, problems_state, 0);
	KTEST_EXPECT_GT(t, problems_count, 0);
	KTEST_EXPECT_GT(t, problems_place, 0);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "mm_check: "));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "list links off their place"));
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	pgdat_free_pages(&tn.pgdat, a, 0);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case badfree_cases[] = {
	KTEST_CASE(test_double_free),
	KTEST_CASE(test_free_inside_free_block),
	KTEST_CASE(test_free_in_unlinked_block),
	KTEST_CASE(test_wrong_order),
	KTEST_CASE(test_unaligned_for_order),
	KTEST_CASE(test_inside_allocated_block),
	KTEST_CASE(test_not_usable_ram),
	KTEST_CASE(test_frame_zero_and_huge_order),
	KTEST_CASE(test_good_free_after_bad_ones),
	KTEST_CASE(test_mm_check_detects_corruption),
	{ 0 },
};
KTEST_SUITE(mm_badfree, badfree_cases);
