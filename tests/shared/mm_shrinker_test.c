/*
 * Shrinkers (mm/shrinker.c) and the demonstration page cache behind one
 * (mm/filecache.c), on the host and on target: bad shrinkers are refused,
 * shrink_slab() asks in batches, in proportion, no more than wanted, and
 * never an unregistered or stopped shrinker; the cache hits, misses and
 * checks its pages, gives the oldest back to reclaim, notices a page
 * written to behind its back, and leaves its node as it found it.
 * Every case unregisters what it registered, failing or not: the registry
 * is global. docs/06-sleeping-allocations-and-reclaim.md.
 */
#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "mm/filecache.h"
#include "mm/shrinker.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define ARENA (12UL << 20)
#define WORDS (PAGE_SIZE / sizeof(uint64_t))

/* Like KTEST_ASSERT_TRUE, but to the case's cleanup instead of out. */
#define CHECK_OR_OUT(t, cond)                                             \
	do {                                                              \
		if (!(cond)) {                                            \
			ktest_fail(t, __FILE__, __LINE__, "assertion %s", \
				   #cond);                                \
			goto out;                                         \
		}                                                         \
	} while (0)

static struct mm_test_node tn;
static struct filecache fc;
static uint64_t buf[WORDS], want[WORDS];
static char log[1024];
/* Only an identity: the fake shrinkers' pages "come from" it, so reclaim
 * of any real node leaves them alone. */
static struct pglist_data fake_node;

struct fake {
	struct shrinker s;
	unsigned long objects; /* pages it holds */
	unsigned long calls, max_scan;
	bool stop; /* scan says SHRINK_STOP */
	bool liar; /* counts pages, frees none */
};

static unsigned long fake_count(struct shrinker *s, struct shrink_control *sc)
{
	struct fake *f = container_of(s, struct fake, s);
	(void)sc;
	return f->objects ? f->objects : SHRINK_EMPTY;
}

static unsigned long fake_scan(struct shrinker *s, struct shrink_control *sc)
{
	struct fake *f = container_of(s, struct fake, s);
	f->calls++;
	if (sc->nr_to_scan > f->max_scan)
		f->max_scan = sc->nr_to_scan;
	if (f->stop)
		return SHRINK_STOP;
	if (f->liar)
		return 0;
	unsigned long n =
	    sc->nr_to_scan < f->objects ? sc->nr_to_scan : f->objects;
	f->objects -= n;
	return n;
}

static void fake_init(struct fake *f, const char *name, unsigned long objects)
{
	memset(f, 0, sizeof(*f));
	f->s.count_objects = fake_count;
	f->s.scan_objects = fake_scan;
	f->s.name = name;
	f->s.pgdat = &fake_node;
	f->objects = objects;
}

static unsigned long shrink_fakes(unsigned long nr)
{
	return shrink_slab_node(&fake_node, GFP_KERNEL, nr);
}

static void test_bad_shrinkers_refused(struct ktest *t)
{
	static struct fake a;
	int saved = console_loglevel;
	fake_init(&a, "test-nocount", 10);
	a.s.count_objects = NULL;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int no_cb = register_shrinker(&a.s);
	a.s.count_objects = fake_count;
	a.s.name = "test-twice";
	int first = register_shrinker(&a.s);
	int second = register_shrinker(&a.s);
	int null = register_shrinker(NULL);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, no_cb, -1);
	KTEST_EXPECT_EQ(t, first, 0);
	KTEST_EXPECT_EQ(t, second, -1);
	KTEST_EXPECT_EQ(t, null, -1);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "\"test-nocount\" refused"));
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(log, "\"test-twice\" refused: already registered"));
	/* Registered once: asked once per batch, not twice. */
	KTEST_EXPECT_EQ(t, shrink_fakes(5), 5);
	KTEST_EXPECT_EQ(t, a.calls, 1);
	unregister_shrinker(&a.s);
	unregister_shrinker(&a.s); /* harmless */
	KTEST_EXPECT_EQ(t, shrink_fakes(5), 0);
	KTEST_EXPECT_EQ(t, a.calls, 1);
}

static void test_shrink_slab_batches_and_limits(struct ktest *t)
{
	static struct fake a;
	fake_init(&a, "test-a", 1000);
	KTEST_ASSERT_TRUE(t, register_shrinker(&a.s) == 0);
	KTEST_EXPECT_EQ(t, shrinker_node_reclaimable_pages(&fake_node), 1000);
	KTEST_EXPECT_EQ(t, shrink_fakes(0), 0);
	KTEST_EXPECT_EQ(t, a.calls, 0);
	/* 100 pages: 32 + 32 + 32 + 4, and not one more. */
	KTEST_EXPECT_EQ(t, shrink_fakes(100), 100);
	KTEST_EXPECT_EQ(t, a.calls, 4);
	KTEST_EXPECT_EQ(t, a.max_scan, SHRINK_BATCH);
	KTEST_EXPECT_EQ(t, a.objects, 900);
	KTEST_EXPECT_EQ(t, a.s.nr_freed_total, 100);
	KTEST_EXPECT_EQ(t, a.s.nr_scanned_total, 100);
	/* Wanting more than there is: everything, then nothing. */
	KTEST_EXPECT_EQ(t, shrink_fakes(5000), 900);
	KTEST_EXPECT_EQ(t, shrinker_node_reclaimable_pages(&fake_node), 0);
	unsigned long calls = a.calls;
	KTEST_EXPECT_EQ(t, shrink_fakes(10), 0);
	KTEST_EXPECT_EQ(t, a.calls, calls); /* empty: not even asked */
	/* shrink_slab() asks every node's shrinkers; exact only when no
	 * other shrinker (the kernel's caches) holds pages. */
	a.objects = 50;
	if (shrinker_reclaimable_pages() == 50)
		KTEST_EXPECT_EQ(t, shrink_slab(GFP_KERNEL, 20), 20);
	else
		ktest_diag(
		    t,
		    "other shrinkers hold pages: shrink_slab() not checked exactly");
	unregister_shrinker(&a.s);
}

static void test_shrink_slab_is_proportional(struct ktest *t)
{
	static struct fake a, b;
	fake_init(&a, "test-big", 300);
	fake_init(&b, "test-small", 100);
	KTEST_ASSERT_TRUE(t, register_shrinker(&a.s) == 0);
	CHECK_OR_OUT(t, register_shrinker(&b.s) == 0);
	KTEST_EXPECT_EQ(t, shrink_fakes(40), 40);
	KTEST_EXPECT_EQ(t, 300 - a.objects, 30);
	KTEST_EXPECT_EQ(t, 100 - b.objects, 10);
	KTEST_EXPECT_EQ(t, shrink_fakes(1000), 360);
	KTEST_EXPECT_EQ(t, a.objects + b.objects, 0);
out:
	unregister_shrinker(&a.s);
	unregister_shrinker(&b.s);
}

static void test_unregistered_and_stopped_not_asked(struct ktest *t)
{
	static struct fake a, gone, stop, liar, other;
	static struct pglist_data other_node;
	fake_init(&other, "test-other-node", 100);
	other.s.pgdat = &other_node;
	fake_init(&a, "test-a", 100);
	fake_init(&gone, "test-gone", 100);
	fake_init(&stop, "test-stop", 100);
	fake_init(&liar, "test-liar", 100);
	stop.stop = true;
	liar.liar = true;
	KTEST_ASSERT_TRUE(t, register_shrinker(&a.s) == 0);
	CHECK_OR_OUT(t, register_shrinker(&gone.s) == 0);
	CHECK_OR_OUT(t, register_shrinker(&stop.s) == 0);
	CHECK_OR_OUT(t, register_shrinker(&other.s) == 0);
	unregister_shrinker(&gone.s);
	KTEST_EXPECT_EQ(t, shrink_fakes(60), 60);
	KTEST_EXPECT_EQ(t, gone.calls, 0);
	KTEST_EXPECT_EQ(t, other.calls, 0); /* another node's pages */
	KTEST_EXPECT_EQ(t, shrinker_node_reclaimable_pages(&other_node), 100);
	/* Asked once, said stop, asked no more in that call. */
	KTEST_EXPECT_EQ(t, stop.calls, 1);
	KTEST_EXPECT_EQ(t, a.objects, 40);
	/* Pages counted that nobody gives up: shrink_slab still returns. */
	CHECK_OR_OUT(t, register_shrinker(&liar.s) == 0);
	a.objects = 0;
	KTEST_EXPECT_EQ(t, shrink_fakes(1000), 0);
	KTEST_EXPECT_EQ(t, stop.calls, 2);
	KTEST_EXPECT_EQ(t, liar.calls, 1);
out:
	unregister_shrinker(&a.s);
	unregister_shrinker(&gone.s);
	unregister_shrinker(&stop.s);
	unregister_shrinker(&liar.s);
	unregister_shrinker(&other.s);
}

/* ------------------------------------------------------------ filecache */

static bool setup_bytes(struct ktest *t, size_t bytes)
{
	if (mm_test_node_init(&tn, bytes, 2UL << 20, 4UL << 20, true)) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	return true;
}

static bool setup(struct ktest *t)
{
	return setup_bytes(t, ARENA);
}

/* Reads [first, first + n) of file and compares each with the truth;
 * returns how many reads failed or came back wrong. */
static unsigned long read_range(uint64_t file, uint64_t first, uint64_t n,
				gfp_t gfp)
{
	unsigned long bad = 0;
	for (uint64_t i = first; i < first + n; i++) {
		memset(buf, 0, sizeof(buf));
		filecache_fill(file, i, want);
		if (filecache_read(&fc, file, i, buf, gfp) ||
		    memcmp(buf, want, sizeof(buf)))
			bad++;
	}
	return bad;
}

static unsigned long reclaim(unsigned long nr)
{
	return shrink_slab_node(&tn.pgdat, GFP_KERNEL, nr);
}

#define N 100

static void test_filecache_fill_and_hit(struct ktest *t)
{
	static uint64_t snap[MAX_NR_ZONES][NR_PAGE_ORDERS];
	if (!setup(t))
		return;
	mm_test_snapshot(&tn.pgdat, snap);
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	CHECK_OR_OUT(t, filecache_init(&fc, &tn.pgdat) == 0);
	uint64_t free0 = mm_test_free_pages(&tn.pgdat);
	KTEST_EXPECT_EQ(t, start - free0, 1); /* the hash's page */
	KTEST_EXPECT_EQ(t, read_range(3, 0, N, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, fc.misses, N);
	KTEST_EXPECT_EQ(t, fc.hits, 0);
	KTEST_EXPECT_EQ(t, fc.nr_pages, N);
	KTEST_EXPECT_EQ(t, free0 - mm_test_free_pages(&tn.pgdat), N);
	KTEST_EXPECT_EQ(t, shrinker_node_reclaimable_pages(&tn.pgdat), N);
	/* Again: all hits, nothing allocated; NULL buf is a read too. */
	KTEST_EXPECT_EQ(t, read_range(3, 0, N, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, filecache_read(&fc, 3, 0, NULL, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, fc.hits, N + 1);
	KTEST_EXPECT_EQ(t, fc.misses, N);
	KTEST_EXPECT_EQ(t, free0 - mm_test_free_pages(&tn.pgdat), N);
	/* Another file's page 0 is another page. */
	KTEST_EXPECT_EQ(t, read_range(4, 0, 1, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, fc.misses, N + 1);
	KTEST_EXPECT_EQ(t, fc.verify_failures, 0);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	filecache_destroy(&fc);
	/* Everything back, merged as before. */
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start);
	KTEST_EXPECT_TRUE(t, mm_test_snapshot_equal(&tn.pgdat, snap));
	KTEST_EXPECT_EQ(t, shrinker_node_reclaimable_pages(&tn.pgdat), 0);
out:
	filecache_destroy(&fc);
	mm_test_node_destroy(&tn);
}

/* A node of 8k pages gets 1024 buckets (two pages), all given back. */
static void test_filecache_hash_grows_with_node(struct ktest *t)
{
	if (!setup_bytes(t, 32UL << 20))
		return;
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	CHECK_OR_OUT(t, filecache_init(&fc, &tn.pgdat) == 0);
	KTEST_EXPECT_EQ(t, fc.hash_bits, FILECACHE_HASH_BITS + 1);
	KTEST_EXPECT_EQ(t, start - mm_test_free_pages(&tn.pgdat), 2);
	KTEST_EXPECT_EQ(t, read_range(8, 0, 2 * N, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, read_range(8, 0, 2 * N, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, fc.hits, 2 * N);
	/* More than one batch of the cache's drops: still exact. */
	KTEST_EXPECT_EQ(t, filecache_shrink(&fc, N + 1), N + 1);
	KTEST_EXPECT_EQ(t, fc.nr_pages, N - 1);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
out:
	filecache_destroy(&fc);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	mm_test_node_destroy(&tn);
}

static void test_filecache_reclaims_oldest_first(struct ktest *t)
{
	if (!setup(t))
		return;
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	CHECK_OR_OUT(t, filecache_init(&fc, &tn.pgdat) == 0);
	KTEST_EXPECT_EQ(t, read_range(1, 0, N, GFP_KERNEL), 0);
	/* Page 0 read again: now the most recent; 1 is the oldest. */
	KTEST_EXPECT_EQ(t, read_range(1, 0, 1, GFP_KERNEL), 0);
	uint64_t before = mm_test_free_pages(&tn.pgdat);
	KTEST_EXPECT_EQ(t, reclaim(40), 40);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat) - before, 40);
	KTEST_EXPECT_EQ(t, fc.nr_pages, N - 40);
	KTEST_EXPECT_EQ(t, fc.reclaimed, 40);
	KTEST_EXPECT_EQ(t, fc.shrinker.nr_freed_total, 40);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	/* The survivors hit: 0 and 41..99; then 1..40 miss. */
	uint64_t hits = fc.hits, misses = fc.misses;
	KTEST_EXPECT_EQ(t, read_range(1, 0, 1, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, read_range(1, 41, N - 41, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, fc.hits - hits, N - 40);
	KTEST_EXPECT_EQ(t, fc.misses, misses);
	KTEST_EXPECT_EQ(t, read_range(1, 1, 40, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, fc.misses - misses, 40);
	KTEST_EXPECT_EQ(t, fc.hits - hits, N - 40);
	/* Asking for more than there is frees all of it. */
	KTEST_EXPECT_EQ(t, reclaim(10 * N), N);
	KTEST_EXPECT_EQ(t, fc.nr_pages, 0);
	KTEST_EXPECT_EQ(t, reclaim(10), 0);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start - 1);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
out:
	filecache_destroy(&fc);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start);
	mm_test_node_destroy(&tn);
}

static void test_filecache_detects_scribbles(struct ktest *t)
{
	int saved = console_loglevel;
	if (!setup(t))
		return;
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	CHECK_OR_OUT(t, filecache_init(&fc, &tn.pgdat) == 0);
	KTEST_EXPECT_EQ(t, read_range(2, 0, 16, GFP_KERNEL), 0);
	/* A cached page starts with its LRU links: the list's first entry
	 * is the page of index 15, its last the page of index 0. */
	uint8_t *newest = (uint8_t *)fc.lru.next,
		*oldest = (uint8_t *)fc.lru.prev;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	newest[1000] ^= 0x40;
	int found = filecache_check(&fc);
	int again = filecache_check(&fc);
	oldest[PAGE_SIZE - 1] ^= 0x01;
	int read = filecache_read(&fc, 2, 0, buf, GFP_KERNEL);
	fc.nr_pages++; /* a count that disagrees with list and hash */
	int count = filecache_check(&fc);
	fc.nr_pages--;
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, found, 1);
	KTEST_EXPECT_EQ(t, again, 0);
	KTEST_EXPECT_EQ(t, read, 0);
	KTEST_EXPECT_EQ(t, count, 1);
	KTEST_EXPECT_EQ(t, fc.verify_failures, 2);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "file 2 page 15 (phys"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "byte 1000 is"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "file 2 page 0 (phys"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "nr_pages says 15"));
	/* The reader got the true content all the same. */
	filecache_fill(2, 0, want);
	KTEST_EXPECT_TRUE(t, memcmp(buf, want, sizeof(buf)) == 0);
	/* Both pages left the cache: read again, they miss and are right. */
	KTEST_EXPECT_EQ(t, fc.nr_pages, 14);
	uint64_t misses = fc.misses;
	KTEST_EXPECT_EQ(t, read_range(2, 0, 1, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, read_range(2, 15, 1, GFP_KERNEL), 0);
	KTEST_EXPECT_EQ(t, fc.misses - misses, 2);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	filecache_destroy(&fc);
	/* The two corrupted pages are leaked on purpose. */
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start - 2);
out:
	filecache_destroy(&fc);
	mm_test_node_destroy(&tn);
}

/*
 * A full node: a read that cannot sleep fails (and still fills buf); the
 * cache's own shrinker frees room; and a read that may reclaim succeeds
 * on a full node, because direct reclaim takes pages from this very cache
 * (it would deadlock if the cache held its lock while allocating).
 */
static void test_filecache_under_pressure(struct ktest *t)
{
	if (!setup(t))
		return;
	uint64_t start = mm_test_free_pages(&tn.pgdat), i;
	CHECK_OR_OUT(t, filecache_init(&fc, &tn.pgdat) == 0);
	for (i = 0; i < ARENA / PAGE_SIZE; i++)
		if (filecache_read(&fc, 5, i, buf, GFP_NOWAIT | __GFP_NOWARN))
			break;
	CHECK_OR_OUT(t, i < ARENA / PAGE_SIZE);
	filecache_fill(5, i, want);
	KTEST_EXPECT_TRUE(t, memcmp(buf, want, sizeof(buf)) == 0);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), 0);
	KTEST_EXPECT_EQ(t, fc.nr_pages, i);
	KTEST_EXPECT_EQ(t, fc.misses, i + 1);
	ktest_diag(t, "%llu pages cached when the node ran out",
		   (unsigned long long)i);
	KTEST_EXPECT_EQ(t, reclaim(SHRINK_BATCH), SHRINK_BATCH);
	KTEST_EXPECT_EQ(t, read_range(5, i, 1, GFP_NOWAIT | __GFP_NOWARN), 0);
	/* Full again; now the allocator has to reclaim by itself. */
	while (!filecache_read(&fc, 6, i, NULL, GFP_NOWAIT | __GFP_NOWARN))
		i++;
	uint64_t reclaimed = fc.reclaimed;
	KTEST_EXPECT_EQ(t,
			read_range(5, i, 1,
				   GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN),
			0);
	KTEST_EXPECT_GT(t, fc.reclaimed, reclaimed);
	KTEST_EXPECT_EQ(t, fc.verify_failures, 0);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
out:
	filecache_destroy(&fc);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start);
	mm_test_node_destroy(&tn);
}

#ifdef LABYRINTH_HOST
#include <pthread.h>

/* Two readers sweep the same pages, close behind each other, through a
 * cache on a node too small for them all; a read that finds the node full
 * reclaims and goes on. Races between two misses of one page, a hit's LRU
 * move and the shrinker's unlinks would show as wrong data, a failed
 * check, or pages missing at the end. */
#define THREADS 2
#define STEPS 6000
#define KEYS 4096

static unsigned long thread_errors[THREADS];

static void *reader(void *arg)
{
	unsigned long id = (unsigned long)arg;
	static uint64_t bufs[THREADS][2][WORDS];
	uint64_t rng = 0x9e3779b97f4a7c15ULL * (id + 1);
	for (int s = 0; s < STEPS; s++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		uint64_t key = (s + (rng & 3)) % KEYS;
		if (filecache_read(&fc, key % 3, key, bufs[id][0],
				   GFP_NOWAIT | __GFP_NOWARN))
			shrink_slab_node(&tn.pgdat, GFP_KERNEL, SHRINK_BATCH);
		filecache_fill(key % 3, key, bufs[id][1]);
		if (memcmp(bufs[id][0], bufs[id][1], PAGE_SIZE))
			thread_errors[id]++;
	}
	return NULL;
}

static void test_filecache_concurrent_readers(struct ktest *t)
{
	pthread_t th[THREADS];
	int started = 0;
	if (!setup(t))
		return;
	uint64_t start = mm_test_free_pages(&tn.pgdat);
	CHECK_OR_OUT(t, filecache_init(&fc, &tn.pgdat) == 0);
	for (unsigned long i = 0; i < THREADS; i++) {
		thread_errors[i] = 0;
		if (pthread_create(&th[i], NULL, reader, (void *)i) == 0)
			started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	KTEST_EXPECT_EQ(t, started, THREADS);
	for (int i = 0; i < THREADS; i++)
		KTEST_EXPECT_EQ(t, thread_errors[i], 0);
	KTEST_EXPECT_GT(t, fc.reclaimed, 0);
	KTEST_EXPECT_EQ(t, fc.verify_failures, 0);
	KTEST_EXPECT_EQ(t, tn.pgdat.bad_frees, 0);
	KTEST_EXPECT_EQ(t, filecache_check(&fc), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&tn.pgdat), 0);
	ktest_diag(t, "hits %llu misses %llu reclaimed %llu cached %llu",
		   (unsigned long long)fc.hits, (unsigned long long)fc.misses,
		   (unsigned long long)fc.reclaimed,
		   (unsigned long long)fc.nr_pages);
out:
	filecache_destroy(&fc);
	KTEST_EXPECT_EQ(t, mm_test_free_pages(&tn.pgdat), start);
	mm_test_node_destroy(&tn);
}
#endif

static const struct ktest_case shrinker_cases[] = {
	KTEST_CASE(test_bad_shrinkers_refused),
	KTEST_CASE(test_shrink_slab_batches_and_limits),
	KTEST_CASE(test_shrink_slab_is_proportional),
	KTEST_CASE(test_unregistered_and_stopped_not_asked),
	KTEST_CASE(test_filecache_fill_and_hit),
	KTEST_CASE(test_filecache_hash_grows_with_node),
	KTEST_CASE(test_filecache_reclaims_oldest_first),
	KTEST_CASE(test_filecache_detects_scribbles),
	KTEST_CASE(test_filecache_under_pressure),
#ifdef LABYRINTH_HOST
	KTEST_CASE(test_filecache_concurrent_readers),
#endif
	{ 0 },
};
KTEST_SUITE(mm_shrinker, shrinker_cases);
