/*
 * Zone protection (mm/lowmem_reserve.c), host and target: the values
 * follow lowmem_reserve_ratio; requests that could use Normal exhaust
 * Normal and then DMA32 and DMA only down to each zone's protection, so a
 * GFP_DMA32 request still succeeds afterwards (and, with the protection
 * turned off, it does not); the cmdline list is checked.
 * docs/09-emergency-memory.md ("Zone protection").
 */
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "mm/internal.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)

static struct mm_test_node tn;

/* DMA 2 MiB, DMA32 4 MiB, Normal 6 MiB, with Linux's watermarks for
 * min_free_kbytes=512 and a ratio of 8 (protection big enough to see). */
static bool setup(struct ktest *t, unsigned int ratio)
{
	if (mm_test_node_init(&tn, ARENA, 2UL << 20, 6UL << 20, false)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	tn.pgdat.user_min_free_kbytes = 512;
	setup_per_zone_wmarks(&tn.pgdat);
	const unsigned int r[MAX_NR_ZONES] = { ratio, ratio, ratio };
	pgdat_set_lowmem_reserve_ratio(&tn.pgdat, r);
	return true;
}

static void test_protection_follows_the_ratio(struct ktest *t)
{
	if (!setup(t, 8))
		return;
	struct zone *z = tn.pgdat.node_zones;
	uint64_t dma32 = z[ZONE_DMA32].managed_pages;
	uint64_t normal = z[ZONE_NORMAL].managed_pages;
	ktest_diag(
	    t,
	    "managed %llu/%llu/%llu; DMA protection (%llu, %llu, %llu), DMA32 (%llu, %llu, %llu)",
	    (unsigned long long)z[ZONE_DMA].managed_pages,
	    (unsigned long long)dma32, (unsigned long long)normal,
	    (unsigned long long)z[ZONE_DMA].lowmem_reserve[0],
	    (unsigned long long)z[ZONE_DMA].lowmem_reserve[1],
	    (unsigned long long)z[ZONE_DMA].lowmem_reserve[2],
	    (unsigned long long)z[ZONE_DMA32].lowmem_reserve[0],
	    (unsigned long long)z[ZONE_DMA32].lowmem_reserve[1],
	    (unsigned long long)z[ZONE_DMA32].lowmem_reserve[2]);
	KTEST_EXPECT_EQ(t, z[ZONE_DMA].lowmem_reserve[ZONE_DMA], 0);
	KTEST_EXPECT_EQ(t, z[ZONE_DMA].lowmem_reserve[ZONE_DMA32], dma32 / 8);
	KTEST_EXPECT_EQ(t, z[ZONE_DMA].lowmem_reserve[ZONE_NORMAL],
			(dma32 + normal) / 8);
	KTEST_EXPECT_EQ(t, z[ZONE_DMA32].lowmem_reserve[ZONE_DMA32], 0);
	KTEST_EXPECT_EQ(t, z[ZONE_DMA32].lowmem_reserve[ZONE_NORMAL],
			normal / 8);
	for (int j = 0; j < MAX_NR_ZONES; j++)
		KTEST_EXPECT_EQ(t, z[ZONE_NORMAL].lowmem_reserve[j], 0);
	/* Recomputed with the watermarks, and turned off by ratio 0. */
	setup_per_zone_wmarks(&tn.pgdat);
	KTEST_EXPECT_EQ(t, z[ZONE_DMA32].lowmem_reserve[ZONE_NORMAL],
			normal / 8);
	const unsigned int off[MAX_NR_ZONES] = { 0, 0, 0 };
	pgdat_set_lowmem_reserve_ratio(&tn.pgdat, off);
	KTEST_EXPECT_EQ(t, z[ZONE_DMA].lowmem_reserve[ZONE_NORMAL], 0);
	mm_test_node_destroy(&tn);
}

/* Normal-capable, non-sleeping requests until the node says no; then is
 * there a page for a GFP_DMA32 request? 1 or 0; -1 with no test arena
 * (the case is skipped). */
static int dma32_left_after_normal_requests(struct ktest *t, unsigned int ratio)
{
	if (!setup(t, ratio))
		return -1;
	struct pglist_data *p = &tn.pgdat;
	struct zone *z = p->node_zones;
	uint64_t chain = 0;
	mm_test_take_all(p, GFP_NOWAIT | __GFP_NOWARN, &chain);
	for (int zi = ZONE_DMA; zi <= ZONE_DMA32; zi++) {
		uint64_t floor = z[zi].watermark[WMARK_MIN] +
				 z[zi].lowmem_reserve[ZONE_NORMAL];
		ktest_diag(
		    t,
		    "ratio %u: zone %s left %llu free (min %llu + protection %llu)",
		    ratio, z[zi].name, (unsigned long long)z[zi].free_pages,
		    (unsigned long long)z[zi].watermark[WMARK_MIN],
		    (unsigned long long)z[zi].lowmem_reserve[ZONE_NORMAL]);
		/* Exactly there: the requests did fall back into it, and
		 * stopped at the protection. */
		KTEST_EXPECT_EQ(t, z[zi].free_pages, floor);
	}
	uint64_t dma32 =
	    pgdat_alloc_pages(p, GFP_DMA32 | GFP_NOWAIT | __GFP_NOWARN, 0);
	if (dma32)
		pgdat_free_pages(p, dma32, 0);
	mm_test_give_back(p, chain);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
	return dma32 != 0;
}

static void test_normal_requests_leave_dma32_protected(struct ktest *t)
{
	int protected = dma32_left_after_normal_requests(t, 8);
	if (protected < 0)
		return; /* skipped: no arena */
	KTEST_EXPECT_EQ(t, protected, 1);
	/* Without protection the same requests take DMA32 down to min, and
	 * the device's request finds nothing it may take. */
	KTEST_EXPECT_EQ(t, dma32_left_after_normal_requests(t, 0), 0);
}

static void test_cmdline_list(struct ktest *t)
{
	static const char *const bad[] = {
		"",	"1,2",		"1,2,3,4", "a,b,c",
		"1,,3", "99999999,1,1", "-1,2,3",  "1 ,2,3",
	};
	unsigned int saved[MAX_NR_ZONES];
	int level = console_loglevel;
	char log[512];
	for (int i = 0; i < MAX_NR_ZONES; i++)
		saved[i] = boot_lowmem_reserve_ratio[i];
	console_loglevel = 0;
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		log[0] = '\0';
		printk_capture_start(log, sizeof(log));
		KTEST_EXPECT_EQ(t, mm_set_lowmem_reserve_ratio(bad[i]), -1);
		printk_capture_stop();
		KTEST_EXPECT_TRUE(t, ktest_contains(log, "expected 3 ratios"));
		KTEST_EXPECT_EQ(t, boot_lowmem_reserve_ratio[1], saved[1]);
	}
	console_loglevel = level;
	KTEST_EXPECT_EQ(t, mm_set_lowmem_reserve_ratio("512,0,7"), 0);
	KTEST_EXPECT_EQ(t, boot_lowmem_reserve_ratio[0], 512);
	KTEST_EXPECT_EQ(t, boot_lowmem_reserve_ratio[1], 0);
	KTEST_EXPECT_EQ(t, boot_lowmem_reserve_ratio[2], 7);
	char again[32];
	ksnprintf(again, sizeof(again), "%u,%u,%u", saved[0], saved[1],
		  saved[2]);
	KTEST_EXPECT_EQ(t, mm_set_lowmem_reserve_ratio(again), 0);
	KTEST_EXPECT_EQ(t, boot_lowmem_reserve_ratio[1], saved[1]);
}

static const struct ktest_case lowmem_cases[] = {
	KTEST_CASE(test_protection_follows_the_ratio),
	KTEST_CASE(test_normal_requests_leave_dma32_protected),
	KTEST_CASE(test_cmdline_list),
	{ 0 },
};
KTEST_SUITE(mm_lowmem_reserve, lowmem_cases);
