/*
 * Sleeping allocations and reclaim on target, with the kernel's own node
 * (mm/slowpath.c, mm/vmscan.c, kernel/mm/kswapd.c, kernel/mm/page_cache.c):
 * a GFP_KERNEL request made when memory is short sleeps and completes when
 * another thread frees memory; __GFP_NORETRY fails instead; the wait times
 * out with a report; __GFP_NOFAIL outwaits the timeout; kswapd wakes below
 * low, reclaims the page cache and stops above high; sixteen threads
 * allocate under pressure for seconds without a lost wakeup, a deadlock or
 * a leak. Throughout, every CPU's tick allocates GFP_ATOMIC pages, stamps
 * them and frees them: it must never fail, never see a bad stamp, never
 * trip might_sleep. docs/06-sleeping-allocations-and-reclaim.md
 * ("How the tests prove it").
 */
#include "kernel/core/might_sleep.h"
#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/mm/page_cache.h"
#include "mm/pcp.h"
#include "kernel/demo/hoard.h"
#include "tests/support/test_arena.h"
#include "kernel/mm/kswapd.h"
#include "mm/vmscan.h"
#include "tests/ktest.h"
#include "tests/target/churn.h"
#include "tests/target/stamp.h"

static struct pglist_data *const node = &contig_page_data;

static uint64_t now_ms(void)
{
	return ktime_get_ns() / 1000000;
}

static uint64_t free_pages_total(void)
{
	uint64_t n = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += node->node_zones[z].free_pages;
	return n;
}

/* ---------------------------------------------------------------- jobs */

/* One allocation made by a thread of its own, so the test can watch it
 * sleep. */
struct alloc_job {
	gfp_t gfp;
	unsigned int order;
	uint64_t phys;
	uint64_t start_ms, end_ms;
	volatile bool go, done;
	struct task_struct *task;
};
/* Threads are made before memory is squeezed (a stack is 4 pages), then
 * told to go. */
static struct wait_queue_head go_wq;

static void alloc_job_fn(void *arg)
{
	struct alloc_job *j = arg;
	wait_event(go_wq, __atomic_load_n(&j->go, __ATOMIC_ACQUIRE));
	j->start_ms = now_ms();
	j->phys = alloc_pages(j->gfp, j->order);
	j->end_ms = now_ms();
	__atomic_store_n(&j->done, true, __ATOMIC_RELEASE);
}

static bool make_job(struct alloc_job *j, gfp_t gfp, unsigned int order)
{
	*j = (struct alloc_job){ .gfp = gfp, .order = order };
	init_waitqueue_head(&go_wq);
	j->task = kthread_run(alloc_job_fn, j, "alloc-job");
	return j->task != NULL;
}

static void start_job(struct alloc_job *j)
{
	__atomic_store_n(&j->go, true, __ATOMIC_RELEASE);
	wake_up(&go_wq);
}

/* Has the job gone to sleep inside the allocator, waiting for memory? The
 * allocator counts a wait (reclaim.alloc_waits) just before it sleeps, and
 * nothing else running can wait there (the tick churn never sleeps,
 * kswapd never waits). The task's state is no proof either way: every
 * free wakes the sleeper to look again (a thousand times a second per
 * CPU from the churn alone), so it is runnable most of the time, and a
 * loaded host gave the watcher 3 looks in 60 s, all of them
 * TASK_RUNNING. Polls up to 60 s (vCPUs on a loaded host can be slow). */
static bool job_observed_waiting(struct alloc_job *j, uint64_t waits_before)
{
	uint64_t deadline = now_ms() + 60000;
	for (;;) {
		bool done = __atomic_load_n(&j->done, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&node->reclaim.alloc_waits,
				    __ATOMIC_RELAXED) > waits_before &&
		    !done)
			return true;
		if (done || now_ms() >= deadline)
			return false;
		msleep(1);
	}
}

/* ---------------------------------------------------------------- cases */

/* What happened to a request made while memory was squeezed. */
struct squeezed_request {
	struct alloc_job job;
	bool seen_waiting; /* asleep in the allocator */
	bool done_early;   /* finished while memory was still held */
	uint64_t hoard_pages, release_ms;
	uint64_t wakeups; /* of the job, while memory was held */
};

/*
 * Makes a thread whose one request (gfp, order 0) starts once memory is
 * squeezed, with alloc_wait_ms=patience_ms; watches it go to sleep, holds
 * the memory hold_ms longer, releases it and joins the thread. The tick
 * churn runs throughout and is checked. False if no thread could be made.
 * One squeeze, no second try: a request that finds memory under it is a
 * failure of the case (docs/06, "How the tests prove it").
 */
static bool request_through_squeeze(struct ktest *t, gfp_t gfp,
				    unsigned int patience_ms,
				    unsigned int hold_ms,
				    struct squeezed_request *r)
{
	unsigned int saved = node->alloc_wait_ms;
	if (!make_job(&r->job, gfp, 0))
		return false;
	mm_set_alloc_wait_ms(patience_ms);
	churn_start();
	uint64_t hoard = squeeze(&r->hoard_pages);
	uint64_t waits = node->reclaim.alloc_waits;
	uint64_t wakeups = r->job.task->wakeups;
	start_job(&r->job);
	r->seen_waiting = job_observed_waiting(&r->job, waits);
	if (r->seen_waiting)
		msleep(hold_ms);
	r->done_early = r->job.done;
	r->release_ms = now_ms();
	r->wakeups = r->job.task->wakeups - wakeups;
	mm_hoard_release(hoard);
	kthread_join(r->job.task);
	churn_stop_and_check(t);
	mm_set_alloc_wait_ms(saved);
	return true;
}

static void test_sleeping_alloc_waits_until_memory_is_freed(struct ktest *t)
{
	struct squeezed_request r;
	/* 200 ms after it fell asleep it must still be waiting. */
	KTEST_ASSERT_TRUE(t, request_through_squeeze(t, GFP_KERNEL, 60000, 200,
						     &r));
	ktest_diag(
	    t,
	    "held %lu pages; the request slept %lu ms (wakeups to look again: %lu) and got its page %ld ms after the free",
	    (unsigned long)r.hoard_pages,
	    (unsigned long)(r.job.end_ms - r.job.start_ms),
	    (unsigned long)r.wakeups, (long)(r.job.end_ms - r.release_ms));
	KTEST_EXPECT_TRUE(t, r.seen_waiting);
	KTEST_EXPECT_FALSE(t, r.done_early);
	KTEST_EXPECT_NE(t, r.job.phys, 0);
	/* Woken by the free: it got its page, which its 60 s of patience
	 * alone would not have given it. */
	KTEST_EXPECT_LT(t, r.job.end_ms - r.release_ms, 60000);
	if (r.job.phys)
		__free_pages(r.job.phys, 0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static void test_noretry_and_costly_orders_fail_at_once(struct ktest *t)
{
	uint64_t hoard_pages;
	churn_start();
	uint64_t hoard = squeeze(&hoard_pages);
	uint64_t waits = node->reclaim.alloc_waits;
	uint64_t start = now_ms(), switches = current->nvcsw;
	uint64_t p0 = alloc_pages(GFP_KERNEL | __GFP_NORETRY | __GFP_NOWARN, 0);
	uint64_t p4 = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 4);
	uint64_t took = now_ms() - start;
	switches = current->nvcsw - switches;
	msleep(20); /* the ticks allocate from the reserve meanwhile */
	mm_hoard_release(hoard);
	churn_stop_and_check(t);
	KTEST_EXPECT_EQ(t, p0, 0);
	KTEST_EXPECT_EQ(t, p4, 0);
	/* "At once" is said by what the task did, not by the clock (the
	 * host may set the vCPU aside): it never waited for memory and never
	 * gave up its CPU; and it took less than one patience. */
	KTEST_EXPECT_EQ(t, node->reclaim.alloc_waits, waits);
	KTEST_EXPECT_EQ(t, switches, 0);
	KTEST_EXPECT_LT(t, took, node->alloc_wait_ms);
	ktest_diag(t, "both failed in %lu ms without sleeping",
		   (unsigned long)took);
}

static void test_wait_times_out_with_a_report(struct ktest *t)
{
	static char log[8192];
	unsigned int saved = node->alloc_wait_ms;
	int saved_level = console_loglevel;
	uint64_t hoard_pages;

	mm_set_alloc_wait_ms(300);
	churn_start();
	uint64_t hoard = squeeze(&hoard_pages);
	uint64_t timeouts = node->reclaim.alloc_timeouts;
	node->alloc_fail_rs.printed = false; /* this report must print */
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	uint64_t start = now_ms();
	uint64_t p = alloc_pages(GFP_KERNEL, 0);
	uint64_t took = now_ms() - start;
	printk_capture_stop();
	console_loglevel = saved_level;
	mm_hoard_release(hoard);
	churn_stop_and_check(t);
	mm_set_alloc_wait_ms(saved);

	KTEST_EXPECT_EQ(t, p, 0);
	/* It returned, so it gave up; not before its time (jiffies and
	 * the TSC round apart). How long after depends on the host. */
	KTEST_EXPECT_GE(t, took, 290);
	KTEST_EXPECT_EQ(t, node->reclaim.alloc_timeouts, timeouts + 1);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log,
					 "page allocation failure: order:0"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "MemFree:"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "alloc_timeouts"));
	ktest_diag(t, "gave up after %lu ms (alloc_wait_ms=300)",
		   (unsigned long)took);
}

static void test_nofail_outwaits_the_timeout(struct ktest *t)
{
	struct squeezed_request r;
	/* Held for six times its alloc_wait_ms: it must not give up. */
	KTEST_ASSERT_TRUE(t,
			  request_through_squeeze(t, GFP_KERNEL | __GFP_NOFAIL,
						  100, 600, &r));
	ktest_diag(t, "waited %lu ms (wakeups to look again: %lu)",
		   (unsigned long)(r.job.end_ms - r.job.start_ms),
		   (unsigned long)r.wakeups);
	KTEST_EXPECT_TRUE(t, r.seen_waiting);
	KTEST_EXPECT_FALSE(t, r.done_early);
	KTEST_EXPECT_NE(t, r.job.phys, 0);
	if (r.job.phys)
		__free_pages(r.job.phys, 0);
}

/* ---------------------------------------------------------------- kswapd */

/* Frees blocks of a mm_hoard chain whose zone is short of high + extra
 * free pages, plus what lies between high and min: the page cache then
 * fills each zone with enough to lift it back to high from min. A
 * GFP_NOWAIT loop that runs on until kswapd is scheduled may take a zone
 * that far down (8 GiB's Normal: high - min is 3,144 pages), and 2,048
 * alone left kswapd short in one CI boot (it took 3,746 pages before
 * kswapd ran, and kswapd gave up with Normal 969 pages below high).
 * Returns the chain of the blocks kept. */
static uint64_t release_until_above_high(uint64_t head, uint64_t extra)
{
	uint64_t kept = 0;
	while (head) {
		uint64_t *w = phys_to_virt(head);
		uint64_t next = w[0];
		unsigned int order = (unsigned int)w[1];
		struct zone *z = pfn_to_zone(node, head >> PAGE_SHIFT);
		uint64_t depth =
		    z->watermark[WMARK_HIGH] - z->watermark[WMARK_MIN];
		if (z->free_pages < z->watermark[WMARK_HIGH] + depth + extra) {
			__free_pages(head, order);
		} else {
			w[0] = kept;
			kept = head;
		}
		head = next;
	}
	return kept;
}

/* Frames parked on per-CPU lists are free memory too: once a zone is
 * above low, refills may park a batch per CPU out of its free count. */
static bool every_zone_above_high(void)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &node->node_zones[zi];
		uint64_t parked = 0;
		for (unsigned int c = 0; z->pcp && c < node->pcp_nr_cpus; c++)
			parked += z->pcp[c].count;
		if (z->managed_pages &&
		    z->free_pages + parked < z->watermark[WMARK_HIGH])
			return false;
	}
	return true;
}

static void test_kswapd_reclaims_to_high_and_sleeps(struct ktest *t)
{
	uint64_t hoard_pages, taken_head = 0, taken = 0;
	churn_start();
	/* A few thousand pages above high in each zone, the rest held, so
	 * the cache fills quickly whatever the machine's size. */
	uint64_t hoard = mm_hoard(GFP_KERNEL, &hoard_pages);
	hoard = release_until_above_high(hoard, 2048);
	drain_all_pages(node);
	uint64_t cached = page_cache_fill_now();
	/* Any kswapd run the squeeze started (nothing to reclaim then) ends
	 * before we count. */
	uint64_t deadline = now_ms() + 20000;
	while (kswapd_is_running() && now_ms() < deadline)
		msleep(5);
	bool balanced_before = every_zone_above_high();
	uint64_t wakeups = node->reclaim.kswapd_wakeups;
	uint64_t stolen = node->reclaim.pgsteal_kswapd;
	uint64_t gave_up = node->reclaim.kswapd_gave_up;

	/* Allocate past low: the fast path fails in every zone only then,
	 * and the slow path wakes kswapd. GFP_NOWAIT does no reclaim itself. */
	while (node->reclaim.kswapd_wakeups == wakeups && taken < 1000000) {
		uint64_t p = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
		if (!p)
			break;
		*(uint64_t *)phys_to_virt(p) = taken_head;
		taken_head = p;
		taken++;
	}
	/* It counts its wakeup once it runs, which may be after we stop. */
	deadline = now_ms() + 10000;
	while (node->reclaim.kswapd_wakeups == wakeups && now_ms() < deadline)
		msleep(1);
	bool woken = node->reclaim.kswapd_wakeups > wakeups;
	deadline = now_ms() + 20000;
	while ((kswapd_is_running() || !every_zone_above_high()) &&
	       now_ms() < deadline)
		msleep(5);
	bool stopped_above_high =
	    !kswapd_is_running() && every_zone_above_high();
	for (int zi = 0; !stopped_above_high && zi < MAX_NR_ZONES; zi++)
		ktest_diag(t, "zone %s: free %lu high %lu; kswapd %s",
			   node->node_zones[zi].name,
			   (unsigned long)node->node_zones[zi].free_pages,
			   (unsigned long)node->node_zones[zi]
			       .watermark[WMARK_HIGH],
			   kswapd_is_running() ? "running" : "asleep");
	uint64_t stolen_at_stop = node->reclaim.pgsteal_kswapd;
	msleep(300); /* asleep now: it reclaims nothing more */
	uint64_t stolen_after = node->reclaim.pgsteal_kswapd;
	uint64_t cache_left = page_cache.nr_pages;

	while (taken_head) {
		uint64_t next = *(uint64_t *)phys_to_virt(taken_head);
		__free_pages(taken_head, 0);
		taken_head = next;
	}
	mm_hoard_release(hoard);
	page_cache_drop();
	churn_stop_and_check(t);

	ktest_diag(
	    t,
	    "cached %lu pages, took %lu with GFP_NOWAIT; kswapd reclaimed %lu and left %lu cached",
	    (unsigned long)cached, (unsigned long)taken,
	    (unsigned long)(stolen_at_stop - stolen),
	    (unsigned long)cache_left);
	/* Everything the expectations below look at, in one line: a CI
	 * run shows a failed case's diagnostics and nothing else. */
	ktest_diag(
	    t,
	    "balanced before %d, woken %d, stopped above high %d; reclaimed %lu after the stop, gave up %lu times",
	    balanced_before, woken, stopped_above_high,
	    (unsigned long)(stolen_after - stolen_at_stop),
	    (unsigned long)(node->reclaim.kswapd_gave_up - gave_up));
	KTEST_EXPECT_GT(t, cached, 0);
	KTEST_EXPECT_TRUE(t, balanced_before);
	KTEST_EXPECT_TRUE(t, woken);
	KTEST_EXPECT_TRUE(t, stopped_above_high);
	KTEST_EXPECT_GT(t, stolen_at_stop, stolen);
	KTEST_EXPECT_EQ(t, stolen_after, stolen_at_stop);
	KTEST_EXPECT_EQ(t, node->reclaim.kswapd_gave_up, gave_up);
	/* It reclaimed what was needed, not the whole cache. */
	KTEST_EXPECT_GT(t, cache_left, 0);
	KTEST_EXPECT_EQ(t, filecache_check(&page_cache), 0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/* ---------------------------------------------------------------- stress */

/* Pages GFP_KERNEL could take now: above min in each zone. */
static uint64_t usable_by_gfp_kernel(void)
{
	uint64_t n = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct zone *z = &node->node_zones[zi];
		/* Above min and the zone's protection from requests that
		 * could use Normal, as GFP_KERNEL's are (docs/09). */
		uint64_t floor =
		    z->watermark[WMARK_MIN] + z->lowmem_reserve[ZONE_NORMAL];
		if (z->free_pages > floor)
			n += z->free_pages - floor;
	}
	return n;
}

#define WORKERS 16
#define STRESS_MS 5000
static struct worker {
	struct task_struct *task;
	unsigned int id;
	uint64_t ops, failed, bad, rng;
} workers[WORKERS];
static volatile bool stress_stop, stress_go;

/* Allocate (GFP_KERNEL, order 0..2), stamp, hold a moment, check, free:
 * one block at a time, so a worker that waits holds nothing and the
 * others' frees must wake it. */
static void stress_worker(void *arg)
{
	struct worker *w = arg;
	wait_event(go_wq, __atomic_load_n(&stress_go, __ATOMIC_ACQUIRE));
	while (!__atomic_load_n(&stress_stop, __ATOMIC_ACQUIRE)) {
		w->rng =
		    w->rng * 6364136223846793005ULL + 1442695040888963407ULL;
		unsigned int order = (unsigned int)(w->rng >> 60) % 3;
		uint64_t tag = (uint64_t)w->id << 32 | (w->ops & 0xffffffff);
		uint64_t p = alloc_pages(GFP_KERNEL, order);
		if (!p) {
			w->failed++;
			continue;
		}
		stamp_block(p, order, tag);
		if (w->rng & (1ULL << 40))
			msleep(1);
		else
			yield();
		if (!stamp_block_ok(p, order, tag))
			w->bad++;
		__free_pages(p, order);
		w->ops++;
	}
}

static void test_many_threads_under_pressure(struct ktest *t)
{
	unsigned int saved = node->alloc_wait_ms;
	uint64_t hoard_pages;
	unsigned int hung = 0;
	mm_set_alloc_wait_ms(20000);
	drain_all_pages(node);
	uint64_t free_before = free_pages_total();
	stress_stop = stress_go = false;
	init_waitqueue_head(&go_wq);
	for (unsigned int i = 0; i < WORKERS; i++) {
		workers[i] = (struct worker){ .id = i, .rng = i * 7919 + 1 };
		workers[i].task =
		    kthread_run(stress_worker, &workers[i], "stress/%u");
		KTEST_ASSERT_TRUE(t, workers[i].task != NULL);
	}
	churn_start();
	uint64_t hoard = squeeze_with(GFP_KERNEL, &hoard_pages);
	/* 16 workers want up to 64 pages at once, 37 on average; give back
	 * blocks small enough that at most 32 come within GFP_KERNEL's reach
	 * (above min), keeping the rest. Holders never wait, so someone
	 * always frees. */
	uint64_t kept = 0;
	while (hoard) {
		uint64_t *w = phys_to_virt(hoard);
		uint64_t next = w[0];
		unsigned int order = (unsigned int)w[1];
		if (usable_by_gfp_kernel() + (1ULL << order) <= 32) {
			__free_pages(hoard, order);
		} else {
			w[0] = kept;
			kept = hoard;
		}
		hoard = next;
	}
	/* The blocks left may all be too big to give back whole (pages
	 * in a protected zone do not count): give one back and take single
	 * pages again until 32 are within reach. Frames a refill parked on
	 * a per-CPU list are within some worker's reach too but not counted
	 * as free: drain, and take again, until a drain adds nothing. */
	if (usable_by_gfp_kernel() < 32 && kept) {
		uint64_t *w = phys_to_virt(kept);
		uint64_t next = w[0];
		__free_pages(kept, (unsigned int)w[1]);
		kept = next;
	}
	for (int round = 0; round < 8; round++) {
		drain_all_pages(node);
		if (usable_by_gfp_kernel() <= 32)
			break;
		while (usable_by_gfp_kernel() > 32) {
			uint64_t p = alloc_pages(GFP_KERNEL | __GFP_NORETRY |
						     __GFP_NOWARN,
						 0);
			if (!p)
				break;
			uint64_t *pw = phys_to_virt(p);
			pw[0] = kept;
			pw[1] = 0;
			kept = p;
		}
	}
	hoard = kept;
	uint64_t usable = usable_by_gfp_kernel();
	uint64_t waits = node->reclaim.alloc_waits;
	uint64_t stalls = node->reclaim.allocstall;
	uint64_t switches = sched_nr_switches();
	__atomic_store_n(&stress_go, true, __ATOMIC_RELEASE);
	wake_up(&go_wq);
	/* The watchdog: a worker asleep for 2 s in a row while the others
	 * finished hundreds of blocks (so memory was freed again and again)
	 * missed its wakeup. If nobody finishes anything, all are stuck. */
	uint64_t end = now_ms() + STRESS_MS, history[20] = { 0 };
	unsigned int samples = 0, stalled = 0;
	while (now_ms() < end) {
		msleep(100);
		uint64_t done = 0;
		for (unsigned int i = 0; i < WORKERS; i++)
			done +=
			    __atomic_load_n(&workers[i].ops, __ATOMIC_RELAXED);
		uint64_t two_s_ago = history[samples % 20];
		history[samples++ % 20] = done;
		if (samples <= 20)
			continue;
		if (done - two_s_ago > 200)
			hung += sched_hung_tasks(2000, true);
		else if (done == two_s_ago)
			stalled++;
	}
	__atomic_store_n(&stress_stop, true, __ATOMIC_RELEASE);
	uint64_t ops = 0, failed = 0, bad = 0, idle_workers = 0;
	for (unsigned int i = 0; i < WORKERS; i++) {
		kthread_join(workers[i].task);
		ops += workers[i].ops;
		failed += workers[i].failed;
		bad += workers[i].bad;
		idle_workers += workers[i].ops == 0;
	}
	uint64_t slept = node->reclaim.alloc_waits - waits;
	stalls = node->reclaim.allocstall - stalls;
	switches = sched_nr_switches() - switches;
	mm_hoard_release(hoard);
	churn_stop_and_check(t);
	mm_set_alloc_wait_ms(saved);
	drain_all_pages(node);
	uint64_t free_after = free_pages_total();

	ktest_diag(
	    t,
	    "%d threads, %d ms, %lu pages within reach: %lu blocks, %lu direct reclaims, %lu sleeps waiting for memory, %lu failures, %lu task switches",
	    WORKERS, STRESS_MS, (unsigned long)usable, (unsigned long)ops,
	    (unsigned long)stalls, (unsigned long)slept, (unsigned long)failed,
	    (unsigned long)switches);
	KTEST_EXPECT_EQ(t, hung, 0);
	KTEST_EXPECT_EQ(t, stalled, 0);
	KTEST_EXPECT_EQ(t, idle_workers, 0);
	KTEST_EXPECT_GT(t, slept, 0); /* there was pressure */
	KTEST_EXPECT_EQ(t, failed, 0);
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, free_after, free_before); /* no leak */
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static const struct ktest_case reclaim_cases[] = {
	KTEST_CASE(test_sleeping_alloc_waits_until_memory_is_freed),
	KTEST_CASE(test_noretry_and_costly_orders_fail_at_once),
	KTEST_CASE(test_wait_times_out_with_a_report),
	KTEST_CASE(test_nofail_outwaits_the_timeout),
	KTEST_CASE(test_kswapd_reclaims_to_high_and_sleeps),
	KTEST_CASE(test_many_threads_under_pressure),
	{ 0 },
};
KTEST_SUITE_WHERE(reclaim, reclaim_cases, KTEST_TARGET_ONLY);
