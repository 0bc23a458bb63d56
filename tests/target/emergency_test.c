/*
 * The emergency mechanisms on the kernel's own node, with real interrupts
 * (target only):
 * - the receive path of kernel/demo/netrx.c on every CPU's tick: every
 *   packet served from the pool until it is empty, then drops (never with
 *   the pool non-empty), the pool refilled by the consumer's frees, no
 *   element lost;
 * - a tick that interrupts a task inside a PF_MEMALLOC scope does not get
 *   the task's access below the watermarks, even asking __GFP_MEMALLOC,
 *   while the task itself does;
 * - with RAM above 4 GiB (the q35-8g configuration), Normal-capable
 *   requests leave DMA32's protection, and GFP_DMA32 is still served.
 * docs/09-emergency-memory.md.
 */
#include "kernel/arch/x86/smp.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/core/sched.h"
#include "kernel/demo/hoard.h"
#include "kernel/demo/netrx.h"
#include "mm/memalloc.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "mm/shrinker.h"
#include "tests/ktest.h"

static void test_netrx_pool_until_empty_then_drops(struct ktest *t)
{
	static struct netrx_result r;
	KTEST_ASSERT_TRUE(t, netrx_run(300, &r));
	const struct netrx_phase *calm = &r.phase[0], *squeeze = &r.phase[1],
				 *back = &r.phase[2];
	for (int i = 0; i < NETRX_PHASES; i++)
		ktest_diag(
		    t,
		    "phase %d: %llu packets, %llu from the allocator, %llu from the pool (lowest %d, end %d), %llu dropped",
		    i + 1, (unsigned long long)r.phase[i].packets,
		    (unsigned long long)r.phase[i].from_allocator,
		    (unsigned long long)r.phase[i].from_pool,
		    r.phase[i].pool_low, r.phase[i].pool_end,
		    (unsigned long long)r.phase[i].dropped);
	ktest_diag(t, "%u CPUs received; %llu pages hoarded", r.cpus_receiving,
		   (unsigned long long)r.hoarded_pages);
	KTEST_EXPECT_EQ(t, r.cpus_receiving, nr_cpus_online);
	/* 1: the allocator serves; the reserve is not touched. */
	KTEST_EXPECT_GT(t, calm->packets, 0);
	KTEST_EXPECT_EQ(t, calm->dropped, 0);
	KTEST_EXPECT_EQ(t, calm->pool_low, NETRX_POOL_PAGES);
	/* 2: the pool serves all it has, and only then packets drop. */
	KTEST_EXPECT_EQ(t, squeeze->from_pool, NETRX_POOL_PAGES);
	KTEST_EXPECT_EQ(t, squeeze->pool_low, 0);
	KTEST_EXPECT_GT(t, squeeze->dropped, 0);
	KTEST_EXPECT_EQ(t, squeeze->dropped_with_pool_left, 0);
	/* 3: refilled by the frees, nothing dropped. */
	KTEST_EXPECT_EQ(t, back->pool_end, NETRX_POOL_PAGES);
	KTEST_EXPECT_EQ(t, back->dropped, 0);
	KTEST_EXPECT_GT(t, back->from_allocator, 0);
	KTEST_EXPECT_EQ(t, r.bad_stamps, 0);
	KTEST_EXPECT_EQ(t, r.pool_out_at_end, 0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/* ------------------------------------------------------------------------ */

static struct {
	volatile bool armed;
	volatile unsigned int cpu, ticks_in_scope, granted;
} irq_probe;

static void probe_tick(void *data)
{
	(void)data;
	if (!irq_probe.armed || smp_processor_id() != irq_probe.cpu)
		return;
	/* The interrupted task is in its scope: its flags say so... */
	if (!(*mm_current_flags() & PF_MEMALLOC))
		return;
	/* ...but this handler is not the task. */
	uint64_t p = alloc_pages(GFP_NOWAIT | __GFP_MEMALLOC | __GFP_NOWARN, 0);
	if (p) {
		irq_probe.granted++;
		__free_pages(p, 0);
	}
	irq_probe.ticks_in_scope++;
}

static void test_irq_never_gets_no_watermarks(struct ktest *t)
{
	/* Nothing left to reclaim, then everything taken but 8 pages:
	 * below every watermark, yet not empty. */
	shrink_slab(GFP_KERNEL, ~0UL >> 1);
	unsigned int noreclaim = memalloc_noreclaim_save();
	drain_all_pages(&contig_page_data);
	uint64_t hoard = mm_hoard(GFP_KERNEL, NULL);
	/* The chain's head is what was taken last: the smallest blocks. */
	for (uint64_t given = 0; given < 8 && hoard;) {
		const uint64_t *w = phys_to_virt(hoard);
		uint64_t next = w[0];
		unsigned int order = (unsigned int)w[1];
		if (order > 3)
			break;
		__free_pages(hoard, order);
		given += 1ULL << order;
		hoard = next;
	}
	uint64_t mine = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
	KTEST_EXPECT_NE(t, mine, 0); /* the task: below every watermark */

	irq_probe.cpu = smp_processor_id();
	irq_probe.ticks_in_scope = irq_probe.granted = 0;
	KTEST_ASSERT_TRUE(t, register_tick_hook(probe_tick, NULL) == 0);
	irq_probe.armed = true;
	uint64_t until = jiffies + msecs_to_jiffies(50);
	while ((long)(jiffies - until) < 0)
		cpu_relax(); /* interrupts on: the ticks land here */
	irq_probe.armed = false;
	unregister_tick_hook(probe_tick, NULL);
	memalloc_noreclaim_restore(noreclaim);
	if (mine)
		__free_pages(mine, 0);
	mm_hoard_release(hoard);
	ktest_diag(t,
		   "%u ticks interrupted the PF_MEMALLOC task; %u got a page",
		   irq_probe.ticks_in_scope, irq_probe.granted);
	KTEST_EXPECT_GE(t, irq_probe.ticks_in_scope, 10);
	KTEST_EXPECT_EQ(t, irq_probe.granted, 0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/* ------------------------------------------------------------------------ */

static void test_lowmem_reserve_on_the_kernel_node(struct ktest *t)
{
	struct zone *z = contig_page_data.node_zones;
	if (!z[ZONE_NORMAL].managed_pages) {
		ktest_skip(t,
			   "needs RAM above 4 GiB (the q35-8g configuration)");
		return;
	}
	uint64_t pages = 0, before[MAX_NR_ZONES];
	drain_all_pages(&contig_page_data);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		before[zi] = z[zi].free_pages;
	uint64_t hoard = mm_hoard(GFP_NOWAIT, &pages);
	for (int zi = ZONE_DMA; zi <= ZONE_DMA32; zi++) {
		if (!z[zi].managed_pages)
			continue;
		uint64_t floor = z[zi].watermark[WMARK_MIN] +
				 z[zi].lowmem_reserve[ZONE_NORMAL];
		ktest_diag(
		    t,
		    "zone %s after %llu pages of Normal-capable requests: free %llu, min %llu + protection %llu",
		    z[zi].name, (unsigned long long)pages,
		    (unsigned long long)z[zi].free_pages,
		    (unsigned long long)z[zi].watermark[WMARK_MIN],
		    (unsigned long long)z[zi].lowmem_reserve[ZONE_NORMAL]);
		/* A zone whose protection is more than it had (DMA on 8 GiB:
		 * 1/256 of 8 GiB is more than its 16 MiB) is not touched. */
		KTEST_EXPECT_GE(t, z[zi].free_pages,
				floor < before[zi] ? floor : before[zi]);
	}
	uint64_t dev = alloc_pages(GFP_DMA32 | GFP_NOWAIT | __GFP_NOWARN, 0);
	mm_hoard_release(hoard);
	KTEST_EXPECT_NE(t, dev, 0);
	KTEST_EXPECT_LT(t, dev, 1ULL << 32);
	if (dev) {
		ktest_diag(
		    t,
		    "lowmem_reserve: GFP_DMA32 served at 0x%llx after Normal requests stopped",
		    (unsigned long long)dev);
		__free_pages(dev, 0);
	}
}

static const struct ktest_case emergency_cases[] = {
	KTEST_CASE(test_netrx_pool_until_empty_then_drops),
	KTEST_CASE(test_irq_never_gets_no_watermarks),
	KTEST_CASE(test_lowmem_reserve_on_the_kernel_node),
	{ 0 },
};
KTEST_SUITE_WHERE(emergency, emergency_cases, KTEST_TARGET_ONLY);
