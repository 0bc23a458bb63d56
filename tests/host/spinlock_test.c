/*
 * The spinlock's two ways of waiting (kernel/core/spinlock.h): tickets and
 * test-and-set, and both at once, on real host threads. Each thread counts
 * itself in and out of the critical section (an atomic count that must read
 * 1 every time) and adds to a counter that only the lock protects, so two
 * holders at once are seen even when no update happens to be lost. Host
 * only (pthreads); the smp target suite runs the same check on CPUs. docs/05-smp-and-per-cpu-lists.md ("Ticket or
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
static unsigned int inside;	 /* threads in the critical section now */
static unsigned long crowded;	 /* times one found another inside */

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
		if (__atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED) != 1)
			__atomic_fetch_add(&crowded, 1, __ATOMIC_RELAXED);
		unsigned long seen = counter;
		for (volatile int d = 0; d < 20; d++)
			; /* widen the window a second holder would hit */
		counter = seen + 1;
		__atomic_fetch_sub(&inside, 1, __ATOMIC_RELAXED);
		spin_unlock(&lock);
	}
	return NULL;
}

static void run_adders(struct ktest *t, enum spin_lock_mode mode, bool flip)
{
	pthread_t th[THREADS];
	enum spin_lock_mode saved = spin_lock_mode;
	unsigned long hits = warn_once_hits;
	spin_lock_mode = mode;
	flip_modes = flip;
	counter = 0;
	crowded = 0;
	for (unsigned long i = 0; i < THREADS; i++)
		KTEST_ASSERT_TRUE(t, pthread_create(&th[i], NULL, adder,
						    (void *)i) == 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	spin_lock_mode = saved;
	flip_modes = false;
	KTEST_EXPECT_EQ(t, crowded, 0); /* one holder, every time */
	KTEST_EXPECT_EQ(t, counter, (unsigned long)THREADS * ROUNDS);
	KTEST_EXPECT_EQ(t, warn_once_hits, hits); /* no refused unlock */
	KTEST_EXPECT_FALSE(t, spin_is_locked(&lock));
	KTEST_EXPECT_EQ(t, lock.next, lock.serving); /* nothing lost or extra */
}

/*
 * The moment a broken lock lets two in: two threads find the lock free at
 * the same instant. Each round, both meet at a barrier, then both take the
 * lock at once; the one inside counts whether the other got in too. The
 * host's cores are shared, so the rounds go on until enough of them were
 * close (the other thread was trying while one held the lock: both ran at
 * the same time), up to a cap; the diagnostic line says how many. A host
 * too busy to run both at once gets a skip: such a run shows nothing.
 */
#define RACES_CLOSE 500
#define RACES_MAX 60000u
static spinlock_t race_lock = SPINLOCK_INIT;
static unsigned int race_arrived, race_round, race_state[2];
static unsigned long race_close, race_rounds;

static void *racer(void *arg)
{
	unsigned int me = (unsigned int)(unsigned long)arg, r;
	for (r = 1;; r++) {
		/* The second to arrive opens round r (or ends the run: ~0),
		 * then waits a little before it takes the lock: the other
		 * sees the round open a cache miss later. A wait that sweeps
		 * 0..63 loops finds the one that makes both try at the same
		 * instant. */
		if (__atomic_add_fetch(&race_arrived, 1, __ATOMIC_ACQ_REL) ==
		    2 * r) {
			bool more =
			    r <= RACES_MAX &&
			    __atomic_load_n(&race_close, __ATOMIC_RELAXED) <
				RACES_CLOSE;
			__atomic_store_n(&race_round, more ? r : ~0u,
					 __ATOMIC_RELEASE);
			for (volatile unsigned int d = 0; d < r % 64; d++)
				;
		}
		unsigned int open;
		for (unsigned int n = 0;
		     (open = __atomic_load_n(&race_round, __ATOMIC_ACQUIRE)) <
		     r;
		     n++)
			if ((n & 1023) == 1023)
				sched_yield(); /* the other lost its core */
			else
				cpu_relax();
		if (open == ~0u)
			break;
		__atomic_store_n(&race_state[me], 2 * r, __ATOMIC_RELAXED);
		spin_lock(&race_lock);
		__atomic_store_n(&race_state[me], 2 * r + 1, __ATOMIC_RELAXED);
		if (__atomic_add_fetch(&inside, 1, __ATOMIC_RELAXED) != 1)
			__atomic_fetch_add(&crowded, 1, __ATOMIC_RELAXED);
		for (volatile int d = 0; d < 50; d++)
			;
		if (__atomic_load_n(&race_state[!me], __ATOMIC_RELAXED) ==
		    2 * r)
			__atomic_fetch_add(&race_close, 1, __ATOMIC_RELAXED);
		__atomic_fetch_sub(&inside, 1, __ATOMIC_RELAXED);
		spin_unlock(&race_lock);
	}
	if (me == 0)
		race_rounds = r - 1;
	return NULL;
}

static void run_racers(struct ktest *t, enum spin_lock_mode mode)
{
	pthread_t th[2];
	enum spin_lock_mode saved = spin_lock_mode;
	unsigned long hits = warn_once_hits;
	unsigned int start = race_lock.next;
	spin_lock_mode = mode;
	crowded = race_close = 0;
	race_arrived = race_round = race_state[0] = race_state[1] = 0;
	for (unsigned long i = 0; i < 2; i++)
		KTEST_ASSERT_TRUE(t, pthread_create(&th[i], NULL, racer,
						    (void *)i) == 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	spin_lock_mode = saved;
	ktest_diag(t, "%s: %lu rounds, %lu close, %lu with two inside",
		   mode == SPIN_TICKET ? "ticket" : "test-and-set", race_rounds,
		   race_close, crowded);
	KTEST_EXPECT_EQ(t, crowded, 0);
	KTEST_EXPECT_EQ(t, warn_once_hits, hits);
	KTEST_EXPECT_EQ(t, race_lock.next, race_lock.serving);
	KTEST_EXPECT_EQ(t, race_lock.next - start, 2 * race_rounds);
	if (race_close < RACES_CLOSE)
		ktest_skip(t, "the host never ran both threads at once");
}

static void test_both_find_it_free(struct ktest *t)
{
	run_racers(t, SPIN_TICKET);
	run_racers(t, SPIN_TEST_AND_SET);
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
 * spin_lock() still gets in (in either mode), and only once. The irqrestore
 * form restores no interrupt flag either (the kernel's preemption count,
 * which the host has not, is checked by the smp target suite). */
static void test_unlock_of_a_free_lock_is_refused(struct ktest *t)
{
	spinlock_t l;
	spin_lock_init(&l);
	for (int mode = SPIN_TICKET; mode <= SPIN_TEST_AND_SET; mode++) {
		enum spin_lock_mode saved = spin_lock_mode;
		spin_lock_mode = (enum spin_lock_mode)mode;
		unsigned long hits = warn_once_hits, flags;
		spin_lock(&l);
		spin_unlock(&l);
		spin_unlock(&l); /* the bug */
		KTEST_EXPECT_EQ(t, warn_once_hits, hits + 1);
		KTEST_EXPECT_EQ(t, l.next, l.serving);
		local_irq_save(flags);		   /* flags: on; now off */
		spin_unlock_irqrestore(&l, flags); /* the bug again */
		KTEST_EXPECT_TRUE(t, irqs_disabled());
		local_irq_restore(flags);
		KTEST_EXPECT_EQ(t, warn_once_hits, hits + 2);
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
	KTEST_CASE(test_both_find_it_free),
	KTEST_CASE(test_test_and_set_holder_and_trylock),
	KTEST_CASE(test_unlock_of_a_free_lock_is_refused),
	{ 0 },
};
KTEST_SUITE_WHERE(spinlock, spinlock_cases, KTEST_HOST_ONLY);
