/*
 * Page migration (mm/migrate.c) on a test node, host and target: every
 * owner's pages survive being moved (the test owner's stamps and handles,
 * the page cache's hits, hash and LRU), a busy page is skipped or put back
 * and counted, a request with no new frame puts everything back, and bad
 * entries (free, tail, unmovable, not RAM, wrong order) and a bad new
 * frame are refused with one report and change nothing.
 * docs/10-fragmentation-and-compaction.md ("Migration").
 */
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/filecache.h"
#include "mm/migrate.h"
#include "tests/support/movable_test_owner.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define MOVABLE (GFP_KERNEL | __GFP_MOVABLE | __GFP_NOWARN)

static struct mm_test_node tn;
static struct movable_test_owner mto;
static struct filecache fc;
static uint64_t pfns[ARENA / PAGE_SIZE], snap[MAX_NR_ZONES][NR_PAGE_ORDERS];
static uint64_t before[MTO_MAX_PAGES], buf[PAGE_SIZE / 8], want[PAGE_SIZE / 8];
static char log[2048];

/* Where new frames come from: the node, or nothing, or a frame we choose. */
struct frames {
	unsigned int given, taken_back;
	bool none;
	uint64_t fixed; /* non-zero: hand out this frame */
};

static uint64_t new_frame(void *private, uint64_t src, unsigned int order)
{
	struct frames *f = private;
	(void)src;
	if (f->none)
		return 0;
	if (f->fixed)
		return f->fixed;
	uint64_t phys = pgdat_alloc_pages(&tn.pgdat, MOVABLE, order);
	f->given += phys != 0;
	return phys >> PAGE_SHIFT;
}

static void put_frame(void *private, uint64_t pfn, unsigned int order)
{
	struct frames *f = private;
	f->taken_back++;
	pgdat_free_pages(&tn.pgdat, pfn << PAGE_SHIFT, order);
}

static bool setup(struct ktest *t)
{
	if (mm_test_node_init(&tn, ARENA, 2UL << 20, 4UL << 20, true)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

static void teardown(struct ktest *t)
{
	KTEST_EXPECT_EQ(t, mto_destroy(&mto), 0);
	filecache_destroy(&fc);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

/* The allocated frames of the node now, so that frames allocated while
 * moving are not moved again. Returns how many. */
static unsigned long allocated_frames(void)
{
	uint64_t first = tn.phys_base >> PAGE_SHIFT;
	unsigned long n = 0;
	for (uint64_t pfn = first; pfn < first + ARENA / PAGE_SIZE; pfn++) {
		uint8_t *st = pfn_state(&tn.pgdat, pfn);
		if (st && (*st & PFS_ALLOC))
			pfns[n++] = pfn;
	}
	return n;
}

/* Isolates every movable page of the node and moves it, a batch at a time
 * as compaction does. Returns pages moved; *failed: not moved. */
static unsigned int move_everything(struct frames *f, unsigned int *failed)
{
	unsigned long n = allocated_frames(), i = 0;
	unsigned int moved = 0;
	struct migrate_list l;
	*failed = 0;
	while (i < n) {
		migrate_list_init(&l);
		while (i < n && l.nr < MIGRATE_BATCH_MAX)
			migrate_list_isolate(&tn.pgdat, &l, pfns[i++]);
		unsigned int ok;
		*failed +=
		    (unsigned int)migrate_pages(&tn.pgdat, &l, new_frame,
						put_frame, f, MR_SYSCALL, &ok);
		moved += ok;
		if (l.nr)
			return moved; /* not emptied: the caller sees it */
	}
	return moved;
}

/* ---------------------------------------------------------------- owners */

#define PAGES 100

static void test_test_owner_pages_survive_moves(struct ktest *t)
{
	struct frames f = { 0 };
	unsigned int failed;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, &tn.pgdat, 42) == 0);
	for (int h = 0; h < PAGES; h++)
		KTEST_EXPECT_EQ(t, mto_alloc(&mto, MOVABLE), h);
	for (int h = 0; h < PAGES; h += 3)
		KTEST_EXPECT_TRUE(t, mto_stamp(&mto, h)); /* a new generation */
	uint64_t free0 = mm_test_free_pages(&tn.pgdat);
	for (int round = 0; round < 3; round++) {
		for (int h = 0; h < PAGES; h++)
			before[h] = mto_pfn(&mto, h);
		KTEST_EXPECT_EQ(t, move_everything(&f, &failed), PAGES);
		KTEST_EXPECT_EQ(t, failed, 0);
		for (int h = 0; h < PAGES; h++) {
			KTEST_EXPECT_NE(t, mto_pfn(&mto, h), before[h]);
			KTEST_EXPECT_TRUE(t, mto_verify(&mto, h));
			KTEST_EXPECT_EQ(t, mto_slot_state(&mto, h), MTO_USED);
		}
	}
	/* Every move took a frame and gave one back. */
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), free0);
	KTEST_EXPECT_EQ(t, f.given, 3 * PAGES);
	KTEST_EXPECT_EQ(t, f.taken_back, 0);
	KTEST_EXPECT_EQ(t, mto.moved, 3 * PAGES);
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_success, 3 * PAGES);
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_fail, 0);
	KTEST_EXPECT_EQ(t, mto.owner.nr_isolated, 0);
	KTEST_EXPECT_EQ(t, mto.bad_stamps, 0);
	teardown(t);
}

static void test_filecache_pages_survive_moves(struct ktest *t)
{
	struct frames f = { 0 };
	unsigned int failed;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, filecache_init(&fc, &tn.pgdat) == 0);
	for (uint64_t i = 0; i < PAGES; i++)
		KTEST_EXPECT_EQ(t, filecache_read(&fc, 9, i, NULL, MOVABLE), 0);
	uint64_t hash_pfn = pgdat_virt_to_phys(&tn.pgdat, fc.hash) >> 12;
	/* The hash is not movable: nobody isolates it. */
	KTEST_EXPECT_TRUE(t, !isolate_movable_page(&tn.pgdat, hash_pfn));
	for (int round = 0; round < 2; round++) {
		KTEST_EXPECT_EQ(t, move_everything(&f, &failed), PAGES);
		KTEST_EXPECT_EQ(t, failed, 0);
		KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	}
	KTEST_EXPECT_EQ(t, fc.migrated, 2 * PAGES);
	/* Every page hits where it is now, with the right content. */
	uint64_t misses = fc.misses;
	for (uint64_t i = 0; i < PAGES; i++) {
		KTEST_EXPECT_EQ(t, filecache_read(&fc, 9, i, buf, MOVABLE), 0);
		filecache_fill(9, i, want);
		KTEST_EXPECT_EQ(t, memcmp(buf, want, PAGE_SIZE), 0);
	}
	KTEST_EXPECT_EQ(t, fc.misses, misses);
	KTEST_EXPECT_EQ(t, fc.verify_failures, 0);
	/* Reclaim after the moves frees every page, oldest first. */
	KTEST_EXPECT_EQ(t, filecache_shrink(&fc, PAGES), PAGES);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	teardown(t);
}

/* An isolated cache page: reads still hit it, reclaim and the check let
 * it be, and it goes back on the LRU when put back. */
static void test_filecache_isolated_page(struct ktest *t)
{
	struct migrate_list l;
	struct frames f = { .none = true };
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, filecache_init(&fc, &tn.pgdat) == 0);
	for (uint64_t i = 0; i < 4; i++)
		filecache_read(&fc, 2, i, NULL, MOVABLE);
	unsigned long n = allocated_frames();
	migrate_list_init(&l);
	for (unsigned long i = 0; i < n && !l.nr; i++)
		migrate_list_isolate(&tn.pgdat, &l, pfns[i]);
	KTEST_ASSERT_TRUE(t, l.nr == 1);
	/* Not twice. */
	KTEST_EXPECT_TRUE(t, !isolate_movable_page(&tn.pgdat, l.pfn[0]));
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	for (uint64_t i = 0; i < 4; i++)
		KTEST_EXPECT_EQ(t, filecache_read(&fc, 2, i, NULL, MOVABLE), 0);
	KTEST_EXPECT_EQ(t, fc.hits, 4);
	KTEST_EXPECT_EQ(t, filecache_shrink(&fc, 10), 3);
	KTEST_EXPECT_EQ(t, fc.nr_pages, 1);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	/* No new frame: put back, on the LRU again, reclaimable. */
	KTEST_EXPECT_EQ(t,
			migrate_pages(&tn.pgdat, &l, new_frame, put_frame, &f,
				      MR_SYSCALL, NULL),
			1);
	KTEST_EXPECT_EQ(t, l.nr, 0);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	KTEST_EXPECT_EQ(t, filecache_shrink(&fc, 10), 1);
	teardown(t);
}

/* ---------------------------------------------------------------- failures */

static void test_busy_page_skipped_and_put_back(struct ktest *t)
{
	struct frames f = { 0 };
	struct migrate_list l;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, &tn.pgdat, 7) == 0);
	int a = mto_alloc(&mto, MOVABLE), b = mto_alloc(&mto, MOVABLE);
	KTEST_ASSERT_TRUE(t, a >= 0 && b >= 0);
	uint64_t pa = mto_pfn(&mto, a), pb = mto_pfn(&mto, b);
	/* Busy when asked: not isolated, not waited for. */
	mto_set_busy(&mto, a, true);
	migrate_list_init(&l);
	KTEST_EXPECT_FALSE(t, migrate_list_isolate(&tn.pgdat, &l, pa));
	mto_set_busy(&mto, a, false);
	/* Busy once isolated: the move fails, the page goes back. */
	KTEST_EXPECT_TRUE(t, migrate_list_isolate(&tn.pgdat, &l, pa));
	KTEST_EXPECT_TRUE(t, migrate_list_isolate(&tn.pgdat, &l, pb));
	KTEST_EXPECT_EQ(t, mto_free(&mto, a), -1); /* isolated: kept */
	mto_set_busy(&mto, a, true);
	uint64_t free0 = mm_test_free_pages(&tn.pgdat);
	unsigned int ok;
	KTEST_EXPECT_EQ(t,
			migrate_pages(&tn.pgdat, &l, new_frame, put_frame, &f,
				      MR_COMPACTION, &ok),
			1);
	KTEST_EXPECT_EQ(t, ok, 1);
	KTEST_EXPECT_EQ(t, mto_pfn(&mto, a), pa);
	KTEST_EXPECT_NE(t, mto_pfn(&mto, b), pb);
	KTEST_EXPECT_EQ(t, mto_slot_state(&mto, a), MTO_USED);
	KTEST_EXPECT_EQ(t, f.given, 2);
	KTEST_EXPECT_EQ(t, f.taken_back, 1);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), free0);
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_fail, 1);
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_success, 1);
	KTEST_EXPECT_EQ(t, mto.owner.nr_isolated, 0);
	mto_set_busy(&mto, a, false);
	KTEST_EXPECT_TRUE(t, mto_verify(&mto, a) && mto_verify(&mto, b));
	KTEST_EXPECT_EQ(t, mto_free(&mto, a), 0);
	teardown(t);
}

static void test_no_new_frame_puts_back(struct ktest *t)
{
	struct frames f = { .none = true };
	unsigned int failed;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, &tn.pgdat, 3) == 0);
	for (int h = 0; h < 40; h++)
		KTEST_EXPECT_EQ(t, mto_alloc(&mto, MOVABLE), h);
	for (int h = 0; h < 40; h++)
		before[h] = mto_pfn(&mto, h);
	mm_test_snapshot(&tn.pgdat, snap);
	KTEST_EXPECT_EQ(t, move_everything(&f, &failed), 0);
	KTEST_EXPECT_EQ(t, failed, 40);
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_fail, 40);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	for (int h = 0; h < 40; h++) {
		KTEST_EXPECT_EQ(t, mto_pfn(&mto, h), before[h]);
		KTEST_EXPECT_EQ(t, mto_slot_state(&mto, h), MTO_USED);
		KTEST_EXPECT_TRUE(t, mto_verify(&mto, h));
	}
	/* And they move once frames can be had. */
	f.none = false;
	KTEST_EXPECT_EQ(t, move_everything(&f, &failed), 40);
	teardown(t);
}

/* ---------------------------------------------------------------- bad input */

/* Hands migrate_pages one entry expecting a report naming the frame and
 * `why`, and nothing changed but the refusal's count. */
static void expect_refused(struct ktest *t, uint64_t pfn, unsigned int order,
			   struct movable_owner *o, const char *why)
{
	struct frames f = { 0 };
	struct migrate_list l = { .nr = 1 };
	char frame[48];
	int saved = console_loglevel;
	uint64_t refused = tn.pgdat.migrate.pgmigrate_refused;

	l.pfn[0] = pfn;
	l.order[0] = (uint8_t)order;
	l.owner[0] = o;
	mm_test_snapshot(&tn.pgdat, snap);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int ret = migrate_pages(&tn.pgdat, &l, new_frame, put_frame, &f,
				MR_SYSCALL, NULL);
	printk_capture_stop();
	console_loglevel = saved;
	ksnprintf(frame, sizeof(frame), "frame 0x%llx ",
		  (unsigned long long)pfn);
	KTEST_EXPECT_EQ(t, ret, 1);
	KTEST_EXPECT_EQ(t, l.nr, 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_refused, refused + 1);
	KTEST_EXPECT_EQ(t, ktest_count(log, "BUG: bad page migration"), 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, frame));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, why));
	KTEST_EXPECT_EQ(t, f.given, 0);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	if (!ktest_contains(log, why) || !ktest_contains(log, frame))
		ktest_diag(t, "log was: %s", log);
}

static void test_bad_entries_refused(struct ktest *t)
{
	struct migrate_list l;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, &tn.pgdat, 5) == 0);
	int h = mto_alloc(&mto, MOVABLE);
	uint64_t unmovable = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0) >> 12;
	uint64_t pair = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 1) >> 12;
	uint64_t freed = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0) >> 12;
	KTEST_ASSERT_TRUE(t, h >= 0 && unmovable && pair && freed);
	pgdat_free_pages(&tn.pgdat, freed << 12, 0);
	/* Nobody's page, or free: isolation says no, quietly. */
	KTEST_EXPECT_TRUE(t, !isolate_movable_page(&tn.pgdat, unmovable));
	KTEST_EXPECT_TRUE(t, !isolate_movable_page(&tn.pgdat, freed));
	KTEST_EXPECT_TRUE(t, !isolate_movable_page(&tn.pgdat, pair + 1));
	expect_refused(t, freed, 0, &mto.owner, "a free frame");
	expect_refused(t, pair + 1, 0, &mto.owner, "a tail frame");
	expect_refused(t, unmovable, 0, NULL, "no owner: not isolated");
	expect_refused(t, 1, 0, &mto.owner, "not usable RAM");
	/* An owner that is not registered here. */
	static struct movable_owner stranger;
	expect_refused(t, unmovable, 0, &stranger, "not registered");
	/* The test owner's page with an order it did not allocate: refused,
	 * and put back to its owner, unmoved. */
	uint64_t pfn = mto_pfn(&mto, h);
	migrate_list_init(&l);
	KTEST_ASSERT_TRUE(t, migrate_list_isolate(&tn.pgdat, &l, pfn));
	KTEST_EXPECT_EQ(t, mto_slot_state(&mto, h), MTO_ISOLATED);
	expect_refused(t, pfn, 1, &mto.owner, "the block is order 0, not 1");
	KTEST_EXPECT_EQ(t, mto_slot_state(&mto, h), MTO_USED);
	KTEST_EXPECT_EQ(t, mto_pfn(&mto, h), pfn);
	KTEST_EXPECT_EQ(t, mto.owner.nr_isolated, 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_success, 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_fail, 0);
	pgdat_free_pages(&tn.pgdat, unmovable << 12, 0);
	pgdat_free_pages(&tn.pgdat, pair << 12, 1);
	teardown(t);
}

/* A free 4 MiB block boot has not linked yet (PFS_DEFERRED, docs/03b) is
 * free like any other: its head and a frame inside it are refused as free,
 * and the owner named gets nothing back (its isolated count stays 0). */
static void test_unlinked_block_refused(struct ktest *t)
{
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, &tn.pgdat, 5) == 0);
	uint64_t head = mm_test_first_unlinked(&tn);
	KTEST_ASSERT_TRUE(t, head != 0);
	expect_refused(t, head, MAX_ORDER, &mto.owner, "a free frame");
	expect_refused(t, head + 5, 0, &mto.owner,
		       "a free frame, inside a free block");
	KTEST_EXPECT_EQ(t, mto.owner.nr_isolated, 0);
	KTEST_EXPECT_EQ(t, *pfn_state(&tn.pgdat, head),
			PFS_DEFERRED | MAX_ORDER);
	teardown(t);
}

/* get_new_page handing out a free frame (a caller's bug): reported, the
 * frame left alone, the page put back. */
static void test_bad_new_frame_refused(struct ktest *t)
{
	struct migrate_list l;
	struct frames f = { 0 };
	int saved = console_loglevel;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, &tn.pgdat, 11) == 0);
	int h = mto_alloc(&mto, MOVABLE);
	uint64_t freed = pgdat_alloc_pages(&tn.pgdat, GFP_KERNEL, 0) >> 12;
	KTEST_ASSERT_TRUE(t, h >= 0 && freed);
	pgdat_free_pages(&tn.pgdat, freed << 12, 0);
	f.fixed = freed;
	uint64_t pfn = mto_pfn(&mto, h);
	migrate_list_init(&l);
	KTEST_ASSERT_TRUE(t, migrate_list_isolate(&tn.pgdat, &l, pfn));
	mm_test_snapshot(&tn.pgdat, snap);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int ret = migrate_pages(&tn.pgdat, &l, new_frame, put_frame, &f,
				MR_SYSCALL, NULL);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, ret, 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "get_new_page gave a frame"));
	KTEST_EXPECT_EQ(t, f.taken_back, 0);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	KTEST_EXPECT_EQ(t, mto_pfn(&mto, h), pfn);
	KTEST_EXPECT_TRUE(t, mto_verify(&mto, h));
	KTEST_EXPECT_EQ(t, tn.pgdat.migrate.pgmigrate_fail, 1);
	teardown(t);
}

/* meminfo shows the counters, with Linux's names. */
static void test_counters_in_meminfo(struct ktest *t)
{
	struct frames f = { 0 };
	unsigned int failed;
	int saved = console_loglevel;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, &tn.pgdat, 13) == 0);
	for (int h = 0; h < 5; h++)
		mto_alloc(&mto, MOVABLE);
	mto_set_busy(&mto, 4, true);
	KTEST_EXPECT_EQ(t, move_everything(&f, &failed), 4);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	meminfo_show(&tn.pgdat);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log,
					 "pgmigrate_success 4 pgmigrate_fail 0"));
	if (!ktest_contains(log, "pgmigrate_success 4"))
		ktest_diag(t, "meminfo said: %s", log);
	teardown(t);
}

/* Registration: twice, or without callbacks, is refused in one line; an
 * unregistered owner is not asked any more. */
static void test_owner_registration(struct ktest *t)
{
	static const struct movable_operations no_ops = { .name = "half" };
	static struct movable_owner half = { .ops = &no_ops };
	int saved = console_loglevel;
	if (!setup(t))
		return;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, &tn.pgdat, 17) == 0);
	int h = mto_alloc(&mto, MOVABLE);
	KTEST_ASSERT_TRUE(t, h >= 0);
	uint64_t pfn = mto_pfn(&mto, h);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int twice = movable_owner_register(&tn.pgdat, &mto.owner);
	int empty = movable_owner_register(&tn.pgdat, &half);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, twice, -1);
	KTEST_EXPECT_EQ(t, empty, -1);
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(log,
			   "owner 'movable_test_owner' is registered already"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "has no movable_operations"));
	KTEST_EXPECT_EQ(t, tn.pgdat.movable_owners, &mto.owner);
	KTEST_EXPECT_EQ(t, mto.owner.next, NULL);
	movable_owner_unregister(&mto.owner);
	KTEST_EXPECT_EQ(t, tn.pgdat.movable_owners, NULL);
	KTEST_EXPECT_TRUE(t, !isolate_movable_page(&tn.pgdat, pfn));
	KTEST_EXPECT_EQ(t, mto_slot_state(&mto, h), MTO_USED);
	movable_owner_unregister(&mto.owner); /* again: nothing */
	teardown(t);
}

static const struct ktest_case migrate_cases[] = {
	KTEST_CASE(test_test_owner_pages_survive_moves),
	KTEST_CASE(test_filecache_pages_survive_moves),
	KTEST_CASE(test_filecache_isolated_page),
	KTEST_CASE(test_busy_page_skipped_and_put_back),
	KTEST_CASE(test_no_new_frame_puts_back),
	KTEST_CASE(test_bad_entries_refused),
	KTEST_CASE(test_unlinked_block_refused),
	KTEST_CASE(test_bad_new_frame_refused),
	KTEST_CASE(test_counters_in_meminfo),
	KTEST_CASE(test_owner_registration),
	{ 0 },
};
KTEST_SUITE(mm_migrate, migrate_cases);
