/*
 * The soak test: `ktest=soak soak_seconds=N`. Every CPU runs a process-
 * context loop over every order and flag class while its own timer
 * interrupt allocates with GFP_ATOMIC; pages cross CPUs through a locked
 * queue. Every page is stamped and checked before it is freed. Once a
 * second the world stops at a checkpoint: per-CPU lists drained and
 * mm_check() run. Every other second the boot CPU squeezes memory, so
 * GFP_KERNEL requests sleep until it lets go, and the page cache (grown
 * into idle memory by cachegrow, read by every CPU) is reclaimed by kswapd
 * and by direct reclaim. At the end everything is given back, the free
 * pages must be where they started, and the totals are printed. Boot it
 * with fail_page_alloc= too, so failure paths run all the time (failures
 * are counted, never fatal). A mempool of 32 order-1 blocks is used from every CPU's
 * tick (GFP_ATOMIC) and process context too (docs/09), and at the end all
 * its elements must be back. Movable pages and compaction run through it
 * too (tests/target/soak_movable.c). Without soak_seconds= the suite is
 * skipped.
 * docs/07b-soak-stress-and-fuzzing.md ("Soak").
 */
#include <stdint.h>

#include "kernel/lib/cmdline.h"
#include "kernel/core/irq.h"
#include "kernel/core/lockdep.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/core/spinlock.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/mm/page_cache.h"
#include "mm/fault_inject.h"
#include "mm/mempool.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "kernel/demo/hoard.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"
#include "tests/target/soak_movable.h"
#include "tests/target/stamp.h"

#define PROC_RING 64
#define IRQ_RING 32
#define HANDOFF 512
#define POOL_RING 8	   /* pool elements each context holds at most */
#define SOAK_POOL_PAGES 32 /* elements: fewer than the rings can hold */
#define POOL_MAGIC 0x736f616b706f6f6cULL

static unsigned long soak_seconds;

/* Parsed into a local: a refused value must not reach soak_seconds (it
 * did: soak_seconds=100000 was "ignored" and then soaked 100000 s). */
static int set_soak_seconds(const char *value)
{
	unsigned long s;
	if (cmdline_parse_ulong(value, &s) || s < 1 || s > 86400)
		return -1;
	soak_seconds = s;
	return 0;
}
CMDLINE_PARAM("soak_seconds", set_soak_seconds,
	      "how long ktest=soak runs, 1..86400 seconds");

struct held {
	uint64_t phys, tag;
	unsigned int order;
};

struct ring {
	struct held b[PROC_RING];
	unsigned int head, count, size;
};

struct pool_ring {
	uint64_t *e[POOL_RING];
	unsigned int head, count;
};

struct soak_cpu {
	struct ring proc, irq;
	struct pool_ring pool_proc, pool_irq;
	uint64_t pool_ops, pool_fail;
	uint64_t rng, seq;
	/* Totals, written only by this CPU. */
	uint64_t ops, irq_ops, bad_stamps, cache_reads;
	uint64_t fail_kernel, fail_nowait, fail_atomic, fail_irq;
	volatile bool paused; /* acknowledged a checkpoint */
};

/* Per CPU, for the CPUs online only: allocated when the soak starts (with
 * MAX_CPUS slots in .bss, 64 CPUs' rings and page buffers made 470 KiB of
 * kernel image, more than the loader finds in a 48 MiB guest). */
static struct soak_cpu *cpu_state;
static uint64_t (*cache_bufs)[PAGE_SIZE / 8];
static unsigned int soak_ncpus, state_order, bufs_order;
static mempool_t *soak_pool;
static volatile bool hooks_on, pause_all, stop_all;
/* Tick hooks under way on any CPU: a checkpoint waits for none. */
static unsigned int hooks_running;
static volatile uint64_t lowest_free = ~0ULL;

static DEFINE_SPINLOCK(handoff_lock);
static struct held handoff[HANDOFF];
static unsigned int handoff_count;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void stamp(const struct held *h)
{
	stamp_block(h->phys, h->order, h->tag);
}

static void check_and_free(const struct held *h, uint64_t *bad)
{
	if (!stamp_block_ok(h->phys, h->order, h->tag))
		(*bad)++;
	__free_pages(h->phys, h->order);
}

static void ring_retire_oldest(struct ring *r, uint64_t *bad)
{
	unsigned int oldest = (r->head + r->size - r->count) % r->size;
	check_and_free(&r->b[oldest], bad);
	r->count--;
}

static void ring_push(struct ring *r, const struct held *h)
{
	r->b[r->head] = *h;
	r->head = (r->head + 1) % r->size;
	r->count++;
}

static bool handoff_swap(struct held *give, struct held *take)
{
	unsigned long flags;
	bool got = false;
	spin_lock_irqsave(&handoff_lock, flags);
	if (handoff_count) {
		*take = handoff[--handoff_count];
		got = true;
	}
	if (give && handoff_count < HANDOFF) {
		handoff[handoff_count++] = *give;
		give->phys = 0; /* now the queue's */
	}
	spin_unlock_irqrestore(&handoff_lock, flags);
	return got;
}

/* One allocation for a CPU: its own ring, sometimes the hand-off queue. */
static void one_op(struct soak_cpu *c, struct ring *r, gfp_t gfp,
		   unsigned int order, uint64_t *fails)
{
	unsigned int me = smp_processor_id();
	if (r->count == r->size)
		ring_retire_oldest(r, &c->bad_stamps);
	uint64_t p = alloc_pages(gfp | __GFP_NOWARN, order);
	if (!p) {
		(*fails)++;
		return;
	}
	struct held h = { p, ((uint64_t)me << 56) | ++c->seq, order };
	stamp(&h);
	if ((c->seq & 7) == 0) {
		struct held other;
		if (handoff_swap(&h, &other))
			check_and_free(&other, &c->bad_stamps);
		if (!h.phys)
			return; /* it went to another CPU */
	}
	ring_push(r, &h);
}

static void pool_retire(struct soak_cpu *c, struct pool_ring *r)
{
	uint64_t *e = r->e[r->head];
	r->head = (r->head + 1) % POOL_RING;
	r->count--;
	if (e[1] != (e[0] ^ POOL_MAGIC))
		c->bad_stamps++;
	mempool_free(e, soak_pool);
}

/* One element from the pool, held until this ring is full. */
static void pool_op(struct soak_cpu *c, struct pool_ring *r, gfp_t gfp)
{
	if (r->count == POOL_RING)
		pool_retire(c, r);
	uint64_t *e = mempool_alloc(soak_pool, gfp);
	c->pool_ops++;
	if (!e) {
		c->pool_fail++;
		return;
	}
	e[0] = ((uint64_t)smp_processor_id() << 56) | ++c->seq;
	e[1] = e[0] ^ POOL_MAGIC;
	r->e[(r->head + r->count++) % POOL_RING] = e;
}

static void pool_drain(struct soak_cpu *c, struct pool_ring *r)
{
	while (r->count)
		pool_retire(c, r);
}

static void soak_tick_body(void)
{
	struct soak_cpu *c = &cpu_state[smp_processor_id()];
	one_op(c, &c->irq, GFP_ATOMIC, xorshift(&c->rng) % 4, &c->fail_irq);
	/* Every 4th tick: enough to drain and refill the reserve, without
	 * doubling the zone lock's traffic (4 vCPUs on 2 busy host cores
	 * convoy on a ticket lock). */
	if ((c->irq_ops & 3) == 0)
		pool_op(c, &c->pool_irq, GFP_ATOMIC);
	else if ((c->irq_ops & 3) == 2) /* movable pages, issue 11 */
		soak_movable_op(smp_processor_id(), true, xorshift(&c->rng));
	c->irq_ops++;
	uint64_t free = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		free += contig_page_data.node_zones[z].free_pages;
	if (free < lowest_free)
		lowest_free = free;
}

static void soak_tick(void *data)
{
	(void)data;
	/* Counted before hooks_on is read: a checkpoint that cleared it and
	 * then saw no hook running knows every later one will see it. */
	__atomic_fetch_add(&hooks_running, 1, __ATOMIC_SEQ_CST);
	/* A CPU that came up late (after its bring-up timed out) has none. */
	if (__atomic_load_n(&hooks_on, __ATOMIC_SEQ_CST) &&
	    smp_processor_id() < soak_ncpus)
		soak_tick_body();
	__atomic_fetch_sub(&hooks_running, 1, __ATOMIC_RELEASE);
}

static void drain_ring(struct soak_cpu *c, struct ring *r)
{
	while (r->count)
		ring_retire_oldest(r, &c->bad_stamps);
}

static void drain_irq_ring(void *arg)
{
	(void)arg;
	struct soak_cpu *c = &cpu_state[smp_processor_id()];
	drain_ring(c, &c->irq);
	pool_drain(c, &c->pool_irq);
}

/* A read of the page cache: a hit is checked by the cache itself; the
 * page comes in (GFP_MOVABLE, one round of reclaim at most) on a miss. */
static void cache_read(struct soak_cpu *c, uint64_t r)
{
	filecache_read(&page_cache, (r >> 24) % 4, (r >> 32) % 2048,
		       cache_bufs[smp_processor_id()],
		       GFP_MOVABLE | __GFP_NORETRY | __GFP_NOWARN);
	c->cache_reads++;
}

/* Process context on each CPU: every order, every class of flags. */
static void soak_process(void *arg)
{
	(void)arg;
	struct soak_cpu *c = &cpu_state[smp_processor_id()];
	while (!stop_all) {
		if (pause_all) {
			c->paused = true;
			while (pause_all && !stop_all)
				cpu_relax();
			c->paused = false;
			continue;
		}
		uint64_t r = xorshift(&c->rng);
		unsigned int order =
		    r % 8 == 0 ? (r >> 8) % (MAX_ORDER + 1) : (r >> 8) % 4;
		/* Not sleeping here: a checkpoint waits for this loop. */
		if ((r >> 40) % 32 == 0)
			pool_op(c, &c->pool_proc, GFP_NOWAIT);
		if ((r >> 45) % 8 == 0)
			soak_movable_op(smp_processor_id(), false, r >> 8);
		switch ((r >> 16) % 5) {
		case 0:
			one_op(c, &c->proc, GFP_NOWAIT, order, &c->fail_nowait);
			break;
		case 4:
			cache_read(c, r);
			break;
		case 1:
			one_op(c, &c->proc, GFP_ATOMIC, order, &c->fail_atomic);
			break;
		default:
			one_op(c, &c->proc, GFP_KERNEL, order, &c->fail_kernel);
			break;
		}
		c->ops++;
	}
	drain_ring(c, &c->proc);
	pool_drain(c, &c->pool_proc);
}

/* Stops everyone at a consistent point, checks, and lets them go on. */
static int checkpoint(void)
{
	pause_all = true;
	__atomic_store_n(&hooks_on, false, __ATOMIC_SEQ_CST);
	for (unsigned int cpu = 1; cpu < soak_ncpus; cpu++)
		while (!cpu_state[cpu].paused)
			cpu_relax();
	/* A hook that began before the flag fell ends first, however long
	 * the host keeps its vCPU away (a fixed delay cannot know). */
	while (__atomic_load_n(&hooks_running, __ATOMIC_SEQ_CST))
		cpu_relax();
	drain_all_pages(&contig_page_data);
	/* Interrupts off: kswapd and cachegrow, on this CPU, wait too. */
	unsigned long flags;
	local_irq_save(flags);
	int problems = mm_check();
	local_irq_restore(flags);
	hooks_on = true;
	pause_all = false;
	return problems;
}

static void test_soak(struct ktest *t)
{
	if (!soak_seconds) {
		ktest_skip(t, "boot with soak_seconds=N to run it");
		return;
	}
	uint64_t lockdep_before = lockdep_reports;
	soak_ncpus = nr_cpus_online;
	state_order = bufs_order = 0;
	while ((PAGE_SIZE << state_order) < soak_ncpus * sizeof(*cpu_state))
		state_order++;
	while ((PAGE_SIZE << bufs_order) < soak_ncpus * PAGE_SIZE)
		bufs_order++;
	uint64_t state_phys = alloc_pages(GFP_KERNEL | __GFP_ZERO, state_order);
	uint64_t bufs_phys = alloc_pages(GFP_KERNEL, bufs_order);
	KTEST_ASSERT_TRUE(t, state_phys && bufs_phys);
	cpu_state = phys_to_virt(state_phys);
	cache_bufs = phys_to_virt(bufs_phys);
	/* Order 1: fail_page_alloc= (orders >= 1) reaches its allocations,
	 * so the reserve is used, not only the allocator. */
	soak_pool = mempool_create_page_pool(SOAK_POOL_PAGES, 1);
	KTEST_ASSERT_TRUE(t, soak_pool != NULL);
	KTEST_ASSERT_TRUE(t, soak_movable_start(soak_ncpus) == 0);
	drain_all_pages(&contig_page_data);
	uint64_t free_before = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		free_before += contig_page_data.node_zones[z].free_pages;
	for (unsigned int i = 0; i < soak_ncpus; i++) {
		__builtin_memset(&cpu_state[i], 0, sizeof(cpu_state[i]));
		cpu_state[i].rng = 0x2545f4914f6cdd1dULL * (i + 1);
		cpu_state[i].proc.size = PROC_RING;
		cpu_state[i].irq.size = IRQ_RING;
	}
	stop_all = pause_all = false;
	hooks_on = true;
	struct reclaim_stats reclaim_before = contig_page_data.reclaim;
	uint64_t injected_before = fail_page_alloc.injected;
	uint64_t hits_before = page_cache.hits,
		 misses_before = page_cache.misses,
		 reclaimed_before = page_cache.reclaimed,
		 corrupt_before = page_cache.verify_failures;
	page_cache_start_growing();
	KTEST_ASSERT_TRUE(t, register_tick_hook(soak_tick, NULL) == 0);
	for (unsigned int cpu = 1; cpu < soak_ncpus; cpu++)
		KTEST_EXPECT_EQ(t,
				smp_run_on_cpu_async(cpu, soak_process, NULL),
				0);

	/* The boot CPU alternates: a second of its own churn, a checkpoint;
	 * and every other second it squeezes memory for that second. */
	int problems = 0;
	unsigned long checkpoints = 0;
	uint64_t hoard = 0;
	struct soak_cpu *me = &cpu_state[0];
	for (unsigned long s = 0; s < soak_seconds; s++) {
		if (s & 1)
			hoard = mm_hoard(GFP_KERNEL, NULL);
		uint64_t until = ktime_get_ns() + 1000000000ULL;
		while (ktime_get_ns() < until) {
			uint64_t r = xorshift(&me->rng);
			/* While this CPU holds the squeeze, its own requests
			 * must not wait for memory only it can give back. */
			gfp_t kernel =
			    hoard ? GFP_KERNEL | __GFP_NORETRY : GFP_KERNEL;
			/* The boot CPU may sleep for an element, outside
			 * the squeeze (an element comes back every tick). */
			if (r % 64 == 1)
				pool_op(me, &me->pool_proc,
					hoard ? GFP_NOWAIT : GFP_KERNEL);
			/* 2 MiB, compacting if it must (not in the squeeze:
			 * nothing could come of it). */
			else if (r % 1024 == 3 && !hoard)
				soak_movable_order9();
			else if (r % 16 == 5)
				soak_movable_op(0, false, r >> 8);
			else if (r % 16 == 0)
				cache_read(me, r);
			else
				one_op(me, &me->proc,
				       r & 1 ? kernel : GFP_ATOMIC,
				       (r >> 8) % 4,
				       r & 1 ? &me->fail_kernel
					     : &me->fail_atomic);
			me->ops++;
		}
		/* Let go before the checkpoint: a CPU asleep waiting for
		 * memory gets it now and can stop. */
		mm_hoard_release(hoard);
		hoard = 0;
		problems += checkpoint();
		checkpoints++;
	}
	stop_all = true;
	hooks_on = false;
	unregister_tick_hook(soak_tick, NULL);
	for (unsigned int cpu = 1; cpu < soak_ncpus; cpu++)
		smp_wait_work(cpu);
	page_cache_stop_growing();
	drain_ring(me, &me->proc);
	pool_drain(me, &me->pool_proc);
	drain_irq_ring(NULL);
	smp_call_function(drain_irq_ring, NULL);
	struct held h;
	while (handoff_swap(NULL, &h))
		check_and_free(&h, &me->bad_stamps);
	struct soak_movable_totals mv;
	soak_movable_stop(&mv);

	uint64_t ops = 0, irq_ops = 0, bad = 0, fk = 0, fn = 0, fa = 0, fi = 0,
		 reads = 0, pool_ops = 0, pool_fail = 0;
	for (unsigned int cpu = 0; cpu < soak_ncpus; cpu++) {
		const struct soak_cpu *c = &cpu_state[cpu];
		ops += c->ops;
		reads += c->cache_reads;
		irq_ops += c->irq_ops;
		bad += c->bad_stamps;
		fk += c->fail_kernel;
		fn += c->fail_nowait;
		fa += c->fail_atomic;
		fi += c->fail_irq;
		pool_ops += c->pool_ops;
		pool_fail += c->pool_fail;
	}
	uint64_t min_total = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		min_total +=
		    contig_page_data.node_zones[z].watermark[WMARK_MIN];
	ktest_diag(t, "seconds=%lu cpus=%u checkpoints=%lu ops=%lu irq_ops=%lu",
		   soak_seconds, nr_cpus_online, checkpoints, ops, irq_ops);
	ktest_diag(
	    t,
	    "failures: kernel=%lu nowait=%lu atomic=%lu irq_atomic=%lu; lowest_free=%lu (min %lu) peak_reserve_use=%lu pages",
	    fk, fn, fa, fi, lowest_free, min_total,
	    lowest_free < min_total ? min_total - lowest_free : 0);
	const struct reclaim_stats *rs = &contig_page_data.reclaim;
	uint64_t hits = page_cache.hits - hits_before,
		 misses = page_cache.misses - misses_before,
		 cache_reclaimed = page_cache.reclaimed - reclaimed_before,
		 corrupt = page_cache.verify_failures - corrupt_before;
	ktest_diag(
	    t,
	    "page cache: %lu reads, %lu hits, %lu misses, %lu pages reclaimed, %lu bad; kswapd woke %lu times and freed %lu pages; direct reclaim %lu times, %lu pages; %lu sleeps waiting for memory, %lu timeouts",
	    reads, hits, misses, cache_reclaimed, corrupt,
	    rs->kswapd_wakeups - reclaim_before.kswapd_wakeups,
	    rs->pgsteal_kswapd - reclaim_before.pgsteal_kswapd,
	    rs->allocstall - reclaim_before.allocstall,
	    rs->pgsteal_direct - reclaim_before.pgsteal_direct,
	    rs->alloc_waits - reclaim_before.alloc_waits,
	    rs->alloc_timeouts - reclaim_before.alloc_timeouts);
	ktest_diag(
	    t,
	    "movable: %lu ops, %lu failed, %lu pages moved, %lu bad stamps; order-9: %lu of %lu; compaction %s: %lu stalls, %lu successes, %lu isolated, %lu pages migrated (%lu failed), kcompactd woke %lu times",
	    mv.ops, mv.alloc_failed, mv.moved, mv.bad_stamps, mv.order9_got,
	    mv.order9_asked, mv.compaction_on ? "on" : "off",
	    mv.compact.compact_stall, mv.compact.compact_success,
	    mv.compact.compact_isolated, mv.migrate.pgmigrate_success,
	    mv.migrate.pgmigrate_fail, mv.compact.kcompactd_wake);
	KTEST_EXPECT_EQ(t, mv.bad_stamps, 0);
	KTEST_EXPECT_GT(t, mv.ops, 0);
	KTEST_EXPECT_GT(t, mv.order9_asked, 0);
	/* The soak owner's own pages really were moved (the node's count
	 * would be met by page-cache moves alone). */
	if (mv.compaction_on)
		KTEST_EXPECT_GT(t, mv.moved, 0);
	/* Both kinds of compaction ran, and made blocks: direct (the
	 * order-9 requests' slow path) and kcompactd (woken by kswapd). A
	 * minute on four CPUs: 16,091 stalls, 5,516 successes, 4,973 wakes;
	 * a soak of a few seconds may see none of one kind. */
	if (mv.compaction_on && soak_seconds >= 30) {
		KTEST_EXPECT_GT(t, mv.compact.compact_stall, 0);
		KTEST_EXPECT_GT(t, mv.compact.compact_success, 0);
		KTEST_EXPECT_GT(t, mv.compact.kcompactd_wake, 0);
	}
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, problems, 0);
	KTEST_EXPECT_GT(t, reads, 0);
	KTEST_EXPECT_GT(t, hits, 0);
	KTEST_EXPECT_GT(t, cache_reclaimed, 0);
	KTEST_EXPECT_EQ(t, corrupt, 0);
	/* Every cached page's content, once at the end: reads checked the
	 * pages they hit all along, and each checkpoint stops every CPU, so it
	 * stays at mm_check rather than a walk of the whole cache. */
	KTEST_EXPECT_EQ(t, filecache_check(&page_cache), 0);
	page_cache_drop();
	/* Booted with fail_page_alloc= aimed at this node: it must really
	 * have failed requests, or the soak did not soak the failure paths. */
	if (fail_page_alloc.enabled &&
	    fail_page_alloc.node == &contig_page_data) {
		uint64_t injected = fail_page_alloc.injected - injected_before;
		ktest_diag(t, "fail_page_alloc: %lu failures injected",
			   (unsigned long)injected);
		KTEST_EXPECT_GT(t, injected, 0);
	}
	KTEST_EXPECT_EQ(t, checkpoints, soak_seconds);
	KTEST_EXPECT_GT(t, ops, soak_seconds);
	KTEST_EXPECT_GT(t, irq_ops, 0);
	KTEST_EXPECT_EQ(t, lockdep_reports, lockdep_before);
	drain_all_pages(&contig_page_data);
	uint64_t free_after = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		free_after += contig_page_data.node_zones[z].free_pages;
	KTEST_EXPECT_EQ(t, free_after, free_before);
	__free_pages(state_phys, state_order);
	__free_pages(bufs_phys, bufs_order);
	soak_movable_free();
	/* The pool: every element back, the reserve full. */
	const struct mempool_stats *ps = &soak_pool->stats;
	ktest_diag(
	    t,
	    "mempool: %lu ops, %lu from the allocator, %lu from the reserve (lowest %d of %d), %lu failed, %lu waits; %lu still out",
	    pool_ops, ps->alloc_hits, ps->reserve_takes, ps->min_curr_nr,
	    SOAK_POOL_PAGES, pool_fail, ps->waits, soak_pool->out);
	KTEST_EXPECT_GT(t, pool_ops, 0);
	KTEST_EXPECT_EQ(t, soak_pool->out, 0);
	KTEST_EXPECT_EQ(t, soak_pool->curr_nr, SOAK_POOL_PAGES);
	KTEST_EXPECT_EQ(t, ps->bad_frees, 0);
	mempool_destroy(soak_pool);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static const struct ktest_case soak_cases[] = {
	KTEST_CASE(test_soak),
	{ 0 },
};
KTEST_SUITE_WHERE(soak, soak_cases, KTEST_TARGET_ONLY);
