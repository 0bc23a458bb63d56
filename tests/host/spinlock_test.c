/*
 * The spinlock's two ways of waiting (kernel/core/spinlock.h): tickets and
 * test-and-set, and both at once, on real host threads. Each thread adds to
 * a counter that only the lock protects, with the read and the write of the
 * increment apart, so two holders at once lose updates and the total comes
 * out short. Host only (pthreads); the smp target suite runs the same
 * check on CPUs. docs/05-smp-and-per-cpu-lists.md ("Ticket or
 * test-and-set").
 */
#include "tests/ktest.h"

#include <pthread.h>

#include "mm/platform.h" /* kernel/core/spinlock.h */

#define THREADS 4
#define ROUNDS 20000

static spinlock_t lock = SPINLOCK_INIT;
static volatile unsigned long counter;
static volatile bool flip_modes; /* thread 0 switches mode as it goes */

static void *adder(void *arg)
{
	unsigned long id = (unsigned long)arg;
	for (int i = 0; i < ROUNDS; i++) {
		if (flip_modes && id == 0 && i % 64 == 0)
			__atomic_store_n(&spin_lock_mode,
					 (i / 64) % 2 ? SPIN_TICKET
						      : SPIN_TEST_AND_SET,
					 __ATOMIC_RELAXED);
		spin_lock(&lock);
		unsigned long seen = counter;
		for (volatile int d = 0; d < 20; d++)
			; /* widen the window a second holder would hit */
		counter = seen + 1;
		spin_unlock(&lock);
	}
	return NULL;
}

static void run_adders(struct ktest *t, enum spin_lock_mode mode, bool flip)
{
	pthread_t th[THREADS];
	enum spin_lock_mode saved = spin_lock_mode;
	spin_lock_mode = mode;
	flip_modes = flip;
	counter = 0;
	for (unsigned long i = 0; i < THREADS; i++)
		KTEST_ASSERT_TRUE(t, pthread_create(&th[i], NULL, adder,
						    (void *)i) == 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	spin_lock_mode = saved;
	flip_modes = false;
	KTEST_EXPECT_EQ(t, counter, (unsigned long)THREADS * ROUNDS);
	KTEST_EXPECT_FALSE(t, spin_is_locked(&lock));
	KTEST_EXPECT_EQ(t, lock.next, lock.serving); /* nothing lost or extra */
}

static void test_ticket_lock_excludes(struct ktest *t)
{
	run_adders(t, SPIN_TICKET, false);
}

static void test_test_and_set_lock_excludes(struct ktest *t)
{
	run_adders(t, SPIN_TEST_AND_SET, false);
}

/* Threads waiting both ways on one lock at the same moment. */
static void test_mixed_modes_exclude(struct ktest *t)
{
	run_adders(t, SPIN_TEST_AND_SET, true);
}

/* Test-and-set leaves the lock's words as a ticket lock would: the holder
 * is known, a trylock fails while it is held, and the unlock frees it. */
static void test_test_and_set_holder_and_trylock(struct ktest *t)
{
	enum spin_lock_mode saved = spin_lock_mode;
	spin_lock_mode = SPIN_TEST_AND_SET;
	spinlock_t l;
	spin_lock_init(&l);
	spin_lock(&l);
	KTEST_EXPECT_TRUE(t, spin_is_locked(&l));
	KTEST_EXPECT_TRUE(t, spin_is_held_by_me(&l));
	KTEST_EXPECT_FALSE(t, spin_trylock(&l));
	spin_unlock(&l);
	KTEST_EXPECT_FALSE(t, spin_is_locked(&l));
	KTEST_EXPECT_FALSE(t, spin_is_held_by_me(&l));
	KTEST_EXPECT_TRUE(t, spin_trylock(&l));
	spin_unlock(&l);
	KTEST_EXPECT_EQ(t, l.next, 2);
	KTEST_EXPECT_EQ(t, l.serving, 2);
	spin_lock_mode = saved;
}

/* One unlock too many is reported and leaves the lock as it was: the next
 * spin_lock() still gets in (in either mode), and only once. */
static void test_unlock_of_a_free_lock_is_refused(struct ktest *t)
{
	spinlock_t l;
	spin_lock_init(&l);
	for (int mode = SPIN_TICKET; mode <= SPIN_TEST_AND_SET; mode++) {
		enum spin_lock_mode saved = spin_lock_mode;
		spin_lock_mode = (enum spin_lock_mode)mode;
		unsigned long hits = warn_once_hits;
		spin_lock(&l);
		spin_unlock(&l);
		spin_unlock(&l); /* the bug */
		KTEST_EXPECT_EQ(t, warn_once_hits, hits + 1);
		KTEST_EXPECT_EQ(t, l.next, l.serving);
		spin_lock(&l);
		KTEST_EXPECT_FALSE(t, spin_trylock(&l));
		spin_unlock(&l);
		KTEST_EXPECT_FALSE(t, spin_is_locked(&l));
		spin_lock_mode = saved;
	}
}

static const struct ktest_case spinlock_cases[] = {
	KTEST_CASE(test_ticket_lock_excludes),
	KTEST_CASE(test_test_and_set_lock_excludes),
	KTEST_CASE(test_mixed_modes_exclude),
	KTEST_CASE(test_test_and_set_holder_and_trylock),
	KTEST_CASE(test_unlock_of_a_free_lock_is_refused),
	{ 0 },
};
KTEST_SUITE_WHERE(spinlock, spinlock_cases, KTEST_HOST_ONLY);
