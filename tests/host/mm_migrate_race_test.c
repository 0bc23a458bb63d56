/*
 * An owner unregistering while someone else holds its isolated pages
 * (mm/migrate.c movable_owner_unregister): the pages must still find their
 * owner, be moved or put back, and let the unregistration finish. Before
 * the fix the owner left the list first, migrate_pages refused its pages
 * as an unknown owner's, nothing gave them back, and the unregistration
 * waited for ever (min-q35-48m hung in CI: kcompactd had isolated pages
 * when the compaction case tore its owner down). Host only (pthreads).
 * docs/10-fragmentation-and-compaction.md ("Migration").
 */
#include "tests/ktest.h"

#include <pthread.h>
#include <time.h>

#include "mm/migrate.h"
#include "tests/support/movable_test_owner.h"
#include "tests/support/test_arena.h"

#define PAGES 8

static struct mm_test_node tn;
static struct movable_test_owner mto;
static volatile bool unregistered;

static void *unregister_owner(void *arg)
{
	movable_owner_unregister(arg);
	unregistered = true;
	return NULL;
}

static uint64_t new_frame(void *private, uint64_t src, unsigned int order)
{
	(void)src;
	return pgdat_alloc_pages(private, GFP_MOVABLE | __GFP_NOWARN, order) >>
	       PAGE_SHIFT;
}

static void test_unregister_waits_for_a_migration(struct ktest *t)
{
	int h[PAGES];
	struct migrate_list l = { 0 };
	if (mm_test_node_init(&tn, 12UL << 20, 2UL << 20, 4UL << 20, true)) {
		ktest_skip(t, "no test arena");
		return;
	}
	struct pglist_data *p = &tn.pgdat;
	KTEST_ASSERT_TRUE(t, mto_init(&mto, p, 0x7261636500ULL) == 0);
	for (int i = 0; i < PAGES; i++) {
		h[i] = mto_alloc(&mto, GFP_KERNEL);
		KTEST_ASSERT_TRUE(t, h[i] >= 0);
		KTEST_EXPECT_TRUE(t, migrate_list_isolate(p, &l,
							  mto_pfn(&mto, h[i])));
	}
	/* Unregistration starts while the pages are isolated here. */
	pthread_t th;
	unregistered = false;
	KTEST_ASSERT_TRUE(t, pthread_create(&th, NULL, unregister_owner,
					    &mto.owner) == 0);
	while (!__atomic_load_n(&mto.owner.unregistering, __ATOMIC_SEQ_CST))
		sched_yield();
	/* Nothing new is isolated from an owner on its way out. */
	int extra = mto_alloc(&mto, GFP_KERNEL);
	KTEST_ASSERT_TRUE(t, extra >= 0);
	KTEST_EXPECT_EQ(t, isolate_movable_page(p, mto_pfn(&mto, extra)), NULL);
	uint64_t refused = p->migrate.pgmigrate_refused;
	unsigned int moved = 0;
	migrate_pages(p, &l, new_frame, NULL, p, MR_SYSCALL, &moved);
	KTEST_EXPECT_EQ(t, moved, PAGES);
	KTEST_EXPECT_EQ(t, p->migrate.pgmigrate_refused, refused);
	/* It finishes now: no isolated page is left out. */
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	int joined = pthread_timedjoin_np(th, NULL, &until);
	KTEST_EXPECT_EQ(t, joined, 0);
	if (joined) { /* it would wait for ever: leave it, and the arena */
		pthread_detach(th);
		return;
	}
	KTEST_EXPECT_TRUE(t, unregistered);
	for (int i = 0; i < PAGES; i++) {
		KTEST_EXPECT_TRUE(t, mto_verify(&mto, h[i]));
		mto_free(&mto, h[i]);
	}
	mto_free(&mto, extra);
	KTEST_EXPECT_EQ(t, mto.bad_stamps, 0);
	KTEST_EXPECT_EQ(t, pgdat_check(p), 0);
	mm_test_node_destroy(&tn);
}

static const struct ktest_case race_cases[] = {
	KTEST_CASE(test_unregister_waits_for_a_migration),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_migrate_race, race_cases, KTEST_HOST_ONLY);
