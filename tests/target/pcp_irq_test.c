/*
 * A per-CPU page cache drained at another CPU's request while its owner is
 * inside an interrupt handler (issue 16's test for the caches of frame
 * numbers, mm/pcp.c). CPU 1's timer interrupt takes frames from its cache
 * and parks some back, then waits, interrupts off, while CPU 0 asks every
 * CPU to drain (drain_all_pages(), an IPI each). The drain must not touch
 * CPU 1's cache while the handler runs: it runs on CPU 1 once the handler
 * has returned, and takes everything, the frames parked last included.
 * The handler parks blocks of the largest cached order too (order 4 on
 * the 4 GiB two-CPU boot, matrix line pcp-order4-q35-smp2-4g).
 * Also: two CPUs refilled one after the other get groups of their own, and
 * every CPU refilled from a zone at high leaves it above low.
 * docs/05-smp-and-per-cpu-lists.md, "Frame numbers, not links".
 */
#include <stdint.h>

#include "kernel/core/irq.h"
#include "kernel/lib/string.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/core/sched.h"
#include "kernel/mm/kcompactd.h"
#include "kernel/mm/kswapd.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "tests/ktest.h"

#define NR 4

static struct {
	volatile int phase; /* 0 idle, 1 armed, 2 inside, 3 drain asked, 4 done */
	unsigned int victim;
	uint64_t frames[NR];
	/* Two blocks of the largest order the victim caches (4 where high
	 * has room, docs/08c "Order 4 too"), parked one before the wait and
	 * one after. */
	unsigned int block_order;
	uint64_t blocks[2];
	volatile bool block_parked; /* blocks[0], seen inside the handler */
	volatile unsigned int at_inside, after_wait, after_free;
	volatile bool in_irq_seen, waited_out;
	volatile unsigned int failed;
} st;

/* Frames CPU cpu holds in the home node's caches, all zones. */
static unsigned int cache_count(unsigned int cpu)
{
	unsigned int n = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct per_cpu_pages *pcp =
		    zone_pcp(&contig_page_data.node_zones[zi], cpu);
		if (pcp)
			n += __atomic_load_n(&pcp->count, __ATOMIC_RELAXED);
	}
	return n;
}

static uint64_t cache_drains(unsigned int cpu)
{
	uint64_t n = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct per_cpu_pages *pcp =
		    zone_pcp(&contig_page_data.node_zones[zi], cpu);
		if (pcp)
			n += pcp->drains;
	}
	return n;
}

/* The victim's tick, once: take NR frames, park two back, say so, wait
 * for the drain request and 20 ms more (its IPI is pending by then), then
 * park the other two. Interrupts are off throughout. */
static void tick(void *data)
{
	(void)data;
	if (smp_processor_id() != st.victim || st.phase != 1)
		return;
	st.in_irq_seen = in_irq() && irqs_disabled();
	for (int i = 0; i < NR; i++) {
		st.frames[i] = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
		if (!st.frames[i])
			st.failed++;
	}
	for (int i = 0; i < 2; i++) {
		st.blocks[i] =
		    alloc_pages(GFP_ATOMIC | __GFP_NOWARN, st.block_order);
		if (!st.blocks[i])
			st.failed++;
	}
	for (int i = 0; i < 2; i++)
		if (st.frames[i])
			__free_pages(st.frames[i], 0);
	if (st.blocks[0]) {
		__free_pages(st.blocks[0], st.block_order);
		const uint8_t *s =
		    pfn_state(&contig_page_data, st.blocks[0] >> PAGE_SHIFT);
		st.block_parked = s && *s == (PFS_PCP | st.block_order);
	}
	st.at_inside = cache_count(st.victim);
	__atomic_store_n(&st.phase, 2, __ATOMIC_RELEASE);
	uint64_t t0 = ktime_get_ns();
	while (__atomic_load_n(&st.phase, __ATOMIC_ACQUIRE) != 3 &&
	       ktime_get_ns() - t0 < 3000000000ULL)
		__builtin_ia32_pause();
	st.waited_out = st.phase != 3;
	mdelay(20);
	st.after_wait = cache_count(st.victim);
	for (int i = 2; i < NR; i++)
		if (st.frames[i])
			__free_pages(st.frames[i], 0);
	if (st.blocks[1])
		__free_pages(st.blocks[1], st.block_order);
	st.after_free = cache_count(st.victim);
	__atomic_store_n(&st.phase, 4, __ATOMIC_RELEASE);
}

static bool wait_phase(int phase, uint64_t ns)
{
	uint64_t t0 = ktime_get_ns();
	while (__atomic_load_n(&st.phase, __ATOMIC_ACQUIRE) != phase)
		if (ktime_get_ns() - t0 > ns)
			return false;
	return true;
}

/* Every case here needs a second CPU and the caches; skips (and says so)
 * without them. */
static bool two_cpus_with_caches(struct ktest *t)
{
	if (nr_cpus_online >= 2 && contig_page_data.pcp_enabled)
		return true;
	ktest_skip(t, "needs two CPUs with per-CPU caches");
	return false;
}

/* The largest order CPU cpu caches in the zone a GFP_ATOMIC request tries
 * first (the highest with memory). */
static unsigned int largest_cached_order(unsigned int cpu)
{
	const struct zone *z = &contig_page_data.node_zones[MAX_NR_ZONES - 1];
	while (!z->managed_pages && z > contig_page_data.node_zones)
		z--;
	const struct per_cpu_pages *pcp = zone_pcp(z, cpu);
	unsigned int top = 0;
	while (pcp && top < PCP_MAX_ORDER && pcp_caches_order(pcp, top + 1))
		top++;
	return top;
}

static void test_drain_waits_for_the_interrupt(struct ktest *t)
{
	if (!two_cpus_with_caches(t))
		return;
	__builtin_memset((void *)&st, 0, sizeof(st));
	st.victim = 1;
	st.block_order = largest_cached_order(st.victim);
	drain_all_pages(&contig_page_data); /* every cache empty */
	uint64_t drains = cache_drains(st.victim);
	st.phase = 1;
	KTEST_ASSERT_TRUE(t, register_tick_hook(tick, NULL) == 0);
	bool inside = wait_phase(2, 5000000000ULL);
	__atomic_store_n(&st.phase, inside ? 3 : 0, __ATOMIC_RELEASE);
	if (inside)
		drain_all_pages(&contig_page_data);
	/* The drain on CPU 1 ran after its handler: phase 4 already. */
	int phase_at_return = st.phase;
	unregister_tick_hook(tick, NULL);
	KTEST_ASSERT_TRUE(t, inside);
	ktest_diag(
	    t,
	    "cache of CPU %u (orders 0-%u): %u pages inside the handler, %u after the 20 ms wait, %u after parking 2 frames and a block more; drains %lu",
	    st.victim, st.block_order, st.at_inside, st.after_wait,
	    st.after_free, cache_drains(st.victim) - drains);
	KTEST_EXPECT_TRUE(t, st.in_irq_seen);
	KTEST_EXPECT_FALSE(t, st.waited_out);
	KTEST_EXPECT_EQ(t, st.failed, 0);
	KTEST_EXPECT_EQ(t, phase_at_return, 4);
	KTEST_EXPECT_GE(t, st.at_inside, 2 + (1u << st.block_order));
	KTEST_EXPECT_TRUE(t, st.block_parked);
	/* Nothing drained the cache from outside while the handler ran. */
	KTEST_EXPECT_EQ(t, st.after_wait, st.at_inside);
	KTEST_EXPECT_EQ(t, st.after_free,
			st.at_inside + 2 + (1u << st.block_order));
	/* The drain came after the handler and took the lot. */
	KTEST_EXPECT_GE(t, cache_drains(st.victim) - drains, 1);
	for (int i = 0; i < NR; i++) {
		const uint8_t *s =
		    pfn_state(&contig_page_data, st.frames[i] >> PAGE_SHIFT);
		KTEST_EXPECT_TRUE(t, s && *s != PFS_PCP);
	}
	for (int i = 0; i < 2; i++) {
		const uint8_t *s =
		    pfn_state(&contig_page_data, st.blocks[i] >> PAGE_SHIFT);
		KTEST_EXPECT_TRUE(t, s && !pfs_parked(*s));
	}
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static void take_one(void *arg)
{
	*(uint64_t *)arg = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
}

/* Whether CPU cpu's caches (any zone, order 0) hold a frame of the aligned
 * group of 64 frames number `group`. Read from another CPU while cpu is
 * idle: a snapshot, enough here. */
static bool cache_holds_group(unsigned int cpu, uint64_t group)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		const struct per_cpu_pages *pcp =
		    zone_pcp(&contig_page_data.node_zones[zi], cpu);
		for (int t = 0; pcp && t < MIGRATE_PCPTYPES; t++)
			for (unsigned int i = 0; i < pcp->nr[t]; i++)
				if ((pcp->base_pfn + pcp->slots[t][i]) /
					PCP_GROUP_PAGES ==
				    group)
					return true;
	}
	return false;
}

/*
 * Two CPUs refilled one after the other, each from an empty cache: each
 * gets an aligned group of 64 frames of its own, so neither CPU's cache
 * holds a frame whose state byte shares a cache line with the other's hot
 * frame (docs/08c, "Two CPUs, one cache line"). The other CPU refills in
 * an IPI, this one right after.
 */
static void test_each_cpu_refills_a_group_of_its_own(struct ktest *t)
{
	if (!two_cpus_with_caches(t))
		return;
	unsigned int me = smp_processor_id(), other = me ? 0 : 1;
	drain_all_pages(&contig_page_data); /* every cache empty */
	uint64_t theirs = 0;
	KTEST_ASSERT_TRUE(t, smp_call_function_single(other, take_one,
						      &theirs) == 0);
	uint64_t mine = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
	KTEST_ASSERT_TRUE(t, mine && theirs);
	const struct per_cpu_pages *pcp =
	    zone_pcp(pfn_to_zone(&contig_page_data, mine >> PAGE_SHIFT), me);
	if (!pcp || !pcp->group_refill) {
		__free_pages(mine, 0);
		__free_pages(theirs, 0);
		ktest_skip(t, "this zone's caches refill by batches");
		return;
	}
	uint64_t gm = (mine >> PAGE_SHIFT) / PCP_GROUP_PAGES;
	uint64_t gt = (theirs >> PAGE_SHIFT) / PCP_GROUP_PAGES;
	ktest_diag(t,
		   "CPU %u's frame 0x%lx (group %lu), CPU %u's 0x%lx (group %lu)",
		   me, (unsigned long)(mine >> PAGE_SHIFT), (unsigned long)gm,
		   other, (unsigned long)(theirs >> PAGE_SHIFT),
		   (unsigned long)gt);
	KTEST_EXPECT_NE(t, gm, gt);
	KTEST_EXPECT_TRUE(t, cache_holds_group(me, gm));
	KTEST_EXPECT_TRUE(t, cache_holds_group(other, gt));
	KTEST_EXPECT_FALSE(t, cache_holds_group(other, gm));
	KTEST_EXPECT_FALSE(t, cache_holds_group(me, gt));
	__free_pages(mine, 0);
	__free_pages(theirs, 0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/* One refill of an empty cache, in an IPI or here: the frame, and how many
 * the cache then held for the request's type (read on its own CPU, at
 * once, so nothing else on the machine can change it). */
struct refill_seen {
	struct zone *zone; /* whose cache to count */
	uint64_t frame;
	unsigned int held;
};

static void refill_here(void *arg)
{
	struct refill_seen *r = arg;
	r->frame = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
	const struct per_cpu_pages *pcp = zone_pcp(r->zone, smp_processor_id());
	r->held = pcp ? pcp->nr[MIGRATE_UNMOVABLE] : 0;
}

/*
 * kswapd's margin with real CPUs (docs/05, "Keeping the reserve with
 * frames parked", rule 4): every cache empty and the zone exactly at high,
 * each CPU refills once, one after the other. No refill may take a group
 * (groups come only from above high), so each holds at most a batch, and
 * the zone stays above low, where the next request would wake kswapd. The
 * watermarks are moved for the case, under the zone lock, and put back:
 * free memory cannot be set to the frame. Margin nr_cpus * batch + 64: the
 * rule before (groups down to low + 64) took a group at once, and on the
 * SMP lines of the matrix ate the margin whole.
 */
static void test_refills_leave_kswapd_its_margin(struct ktest *t)
{
	struct pglist_data *p = &contig_page_data;
	if (!two_cpus_with_caches(t))
		return;
	/* kswapd and kcompactd left busy by an earlier case would move free
	 * memory under the count: they finish first. */
	uint64_t deadline = ktime_get_ns() + 10000000000ULL;
	while ((kswapd_is_running() || kcompactd_is_running()) &&
	       ktime_get_ns() < deadline)
		msleep(5);
	if (kswapd_is_running() || kcompactd_is_running()) {
		ktest_skip(t, "kswapd or kcompactd still busy after 10 s");
		return;
	}
	unsigned int me = smp_processor_id();
	drain_all_pages(p);
	uint64_t probe = 0; /* the zone GFP_ATOMIC takes from */
	take_one(&probe);
	KTEST_ASSERT_TRUE(t, probe != 0);
	struct zone *z = pfn_to_zone(p, probe >> PAGE_SHIFT);
	__free_pages(probe, 0);
	drain_all_pages(p);
	const struct per_cpu_pages *pcp = zone_pcp(z, me);
	if (!pcp || !pcp->group_refill) {
		ktest_skip(t, "this zone's caches refill by batches");
		return;
	}
	unsigned int batch = pcp->batch;
	uint64_t margin = (uint64_t)nr_cpus_online * batch + 64;
	uint64_t saved[NR_WMARK], low;
	unsigned long flags;
	spin_lock_irqsave(&z->lock, flags);
	memcpy(saved, z->watermark, sizeof(saved));
	z->watermark[WMARK_HIGH] = z->free_pages;
	low = z->watermark[WMARK_LOW] = z->free_pages - margin;
	z->watermark[WMARK_MIN] = low - margin;
	spin_unlock_irqrestore(&z->lock, flags);

	static struct refill_seen seen[MAX_CPUS];
	unsigned int refills = 0, groups = 0;
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		if (!cpus[c].online)
			continue;
		seen[c] = (struct refill_seen){ .zone = z };
		if (c == me) {
			unsigned long f;
			local_irq_save(f); /* stay on this CPU while counting */
			refill_here(&seen[c]);
			local_irq_restore(f);
		} else if (smp_call_function_single(c, refill_here, &seen[c])) {
			continue;
		}
		refills++;
		/* A batch leaves batch - 1 (batch <= 63); a group 63 or more. */
		if (seen[c].held >= batch)
			groups++;
		KTEST_EXPECT_TRUE(t, seen[c].frame &&
					 pfn_to_zone(p, seen[c].frame >>
							    PAGE_SHIFT) == z);
	}
	uint64_t free_after = __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED);
	spin_lock_irqsave(&z->lock, flags);
	memcpy(z->watermark, saved, sizeof(saved));
	spin_unlock_irqrestore(&z->lock, flags);
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		if (cpus[c].online && seen[c].frame)
			__free_pages(seen[c].frame, 0);
	drain_all_pages(p);

	ktest_diag(
	    t,
	    "%u CPUs refilled from high, batch %u: %u groups, the zone %ld above low (margin %lu)",
	    refills, batch, groups, (long)(free_after - low),
	    (unsigned long)margin);
	KTEST_EXPECT_EQ(t, refills, nr_cpus_online);
	KTEST_EXPECT_EQ(t, groups, 0);
	KTEST_EXPECT_GT(t, free_after, low);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static const struct ktest_case pcp_irq_cases[] = {
	KTEST_CASE(test_drain_waits_for_the_interrupt),
	KTEST_CASE(test_each_cpu_refills_a_group_of_its_own),
	KTEST_CASE(test_refills_leave_kswapd_its_margin),
	{ 0 },
};
KTEST_SUITE_WHERE(pcp_irq, pcp_irq_cases, KTEST_TARGET_ONLY);
