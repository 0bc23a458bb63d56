/*
 * The assertions of kernel/debug/bug.h and kernel/core/spinlock.h, on the
 * host and on target: WARN_ON reports and returns its condition,
 * WARN_ON_ONCE reports once per spot, lockdep_assert_held() and
 * lockdep_assert_irqs_disabled() catch a caller that broke the rule, and
 * the rule the allocator states in code ("zone lock held" in rmqueue) is
 * caught when a caller breaks it on purpose. BUG_ON stops the kernel, so
 * the boot matrix checks it (crash-bug in tests/matrix.conf).
 * docs/07-debugging-the-allocator.md ("Assertions").
 */
#include "kernel/lib/printk.h"
#include "mm/pcp.h"
#include "mm/platform.h"
#include "tests/ktest.h"
#include "tests/support/test_arena.h"

static char log[2048];

static bool warns_if(bool cond)
{
	return WARN_ON(cond);
}

static void test_warn_on_reports_and_returns(struct ktest *t)
{
	unsigned long before = warn_count;
	KTEST_EXPECT_FALSE(t, warns_if(false));
	KTEST_EXPECT_EQ(t, warn_count, before);

	printk_capture_start(log, sizeof(log));
	bool fired = warns_if(true);
	printk_capture_stop();
	KTEST_EXPECT_TRUE(t, fired);
	KTEST_EXPECT_EQ(t, warn_count, before + 1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "WARNING:"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "tests/shared/bug_test.c:"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, ": cond"));
}

static void warn_once_spot(void)
{
	WARN_ON_ONCE(true);
}

/* A WARN_ON_ONCE spot prints once per boot (or host run), so these cases
 * count every hit (warn_once_hits) and allow the one report to have been
 * printed already: the suite may run twice, or a real bug may have hit the
 * same spot first. */
static void test_warn_on_once_reports_once(struct ktest *t)
{
	unsigned long before = warn_count, hits = warn_once_hits;
	for (int i = 0; i < 5; i++)
		warn_once_spot();
	KTEST_EXPECT_EQ(t, warn_once_hits, hits + 5);
	KTEST_EXPECT_LE(t, warn_count - before, 1);
	/* Another spot is another "once". */
	KTEST_EXPECT_TRUE(t, WARN_ON_ONCE(1 + 1 == 2));
	KTEST_EXPECT_EQ(t, warn_once_hits, hits + 6);
}

static int needs_lock(spinlock_t *lock)
{
	lockdep_assert_held(lock);
	return 1;
}

static void test_lockdep_assert_held(struct ktest *t)
{
	static DEFINE_SPINLOCK(lock);
	unsigned long flags, before = warn_count, hits = warn_once_hits;

	spin_lock_irqsave(&lock, flags);
	KTEST_EXPECT_TRUE(t, spin_is_held_by_me(&lock));
	needs_lock(&lock);
	spin_unlock_irqrestore(&lock, flags);
	KTEST_EXPECT_EQ(t, warn_once_hits, hits);
	KTEST_EXPECT_FALSE(t, spin_is_held_by_me(&lock));

	printk_capture_start(log, sizeof(log));
	needs_lock(&lock); /* the bug: called without the lock */
	printk_capture_stop();
	KTEST_EXPECT_EQ(t, warn_once_hits, hits + 1);
	if (warn_count != before) /* the spot's one report, if not used up */
		KTEST_EXPECT_TRUE(t,
				  ktest_contains(log,
						 "!spin_is_held_by_me(lock)"));
}

static void needs_irqs_off(void)
{
	lockdep_assert_irqs_disabled();
}

static void test_lockdep_assert_irqs_disabled(struct ktest *t)
{
	unsigned long flags, hits = warn_once_hits;
	local_irq_save(flags);
	needs_irqs_off();
	local_irq_restore(flags);
	KTEST_EXPECT_EQ(t, warn_once_hits, hits);
	if (irqs_disabled()) {
		ktest_skip(t, "interrupts are off in this test context");
		return;
	}
	needs_irqs_off();
	KTEST_EXPECT_EQ(t, warn_once_hits, hits + 1);
}

/* A planted fault in a real caller: taking a frame off the buddy lists
 * without the zone lock. The allocator's own assertion must say so, and
 * nothing else may be harmed (the test runs alone on its node). */
static void test_zone_lock_rule_is_checked(struct ktest *t)
{
	static struct mm_test_node tn;
	if (mm_test_node_init(&tn, 12UL << 20, 2UL << 20, 4UL << 20, true)) {
		ktest_skip(t, "no test arena on this platform");
		return;
	}
	struct zone *z = &tn.pgdat.node_zones[ZONE_NORMAL];
	uint64_t free_before = mm_test_free_pages(&tn.pgdat);
	unsigned long flags, before = warn_count, hits = warn_once_hits;

	spin_lock_irqsave(&z->lock, flags);
	uint64_t good = rmqueue_order0(&tn.pgdat, z, MIGRATE_UNMOVABLE);
	spin_unlock_irqrestore(&z->lock, flags);
	KTEST_EXPECT_NE(t, good, 0);
	KTEST_EXPECT_EQ(t, warn_once_hits, hits);

	printk_capture_start(log, sizeof(log));
	uint64_t bad = rmqueue_order0(&tn.pgdat, z,
				      MIGRATE_UNMOVABLE); /* no lock: the bug */
	printk_capture_stop();
	KTEST_EXPECT_NE(t, bad, 0);
	KTEST_EXPECT_EQ(t, warn_once_hits, hits + 1);
	if (warn_count != before) { /* the spot's one report, if not used */
		KTEST_EXPECT_TRUE(t, ktest_contains(log, "mm/page_alloc.c:"));
		KTEST_EXPECT_TRUE(t,
				  ktest_contains(log,
						 "spin_is_held_by_me(&z->lock)"));
	}

	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, good << PAGE_SHIFT, 0),
			0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&tn.pgdat, bad << PAGE_SHIFT, 0),
			0);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), free_before);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case bug_cases[] = {
	KTEST_CASE(test_warn_on_reports_and_returns),
	KTEST_CASE(test_warn_on_once_reports_once),
	KTEST_CASE(test_lockdep_assert_held),
	KTEST_CASE(test_lockdep_assert_irqs_disabled),
	KTEST_CASE(test_zone_lock_rule_is_checked),
	{ 0 },
};
KTEST_SUITE(bug, bug_cases);
