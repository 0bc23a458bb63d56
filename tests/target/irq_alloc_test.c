/*
 * Allocating inside timer interrupt handlers: the proof that the atomic
 * reserve works. A tick hook (kernel/arch/x86/timer.h) allocates with GFP_ATOMIC in
 * real interrupt context while process context churns or exhausts memory.
 * Every page handed out is stamped with its address and a sequence number
 * and checked before it is freed, so a page handed out twice or corrupted
 * is caught. Bookkeeping never allocates: fixed rings, or chains threaded
 * through the held pages themselves. docs/04-interrupts.md explains it.
 */
#include <stdint.h>

#include "kernel/core/irq.h"
#include "kernel/lib/printk.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/lib/string.h"
#include "kernel/arch/x86/timer.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "kernel/demo/hoard.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"
#include "tests/target/stamp.h"

#define RING 64
#define PROCESS_TAG (1ULL << 63)

struct block {
	uint64_t phys, seq;
	unsigned int order;
};

struct ring {
	struct block b[RING];
	unsigned int head, count;
	bool process_side; /* its frees are process context's: bracketed */
};

/* State shared by a case and its tick hook. */
static struct {
	volatile uint64_t ticks, not_in_irq, atomic_ok, atomic_failed;
	volatile uint64_t nowait_ok, nowait_failed, stamp_bad, seq;
	volatile uint64_t reentrant_ticks, max_order_seen;
	volatile uint64_t held_pages; /* chain of pages held by the hook */
	volatile uint64_t held_head;  /* physical address of the first */
	volatile uint64_t min_free_seen;
	/* The CPU (+ 1) whose process context is inside a call to
	 * alloc_pages() or __free_pages() (process_alloc, ring_retire), 0
	 * when none: the bracket holds the call and nothing else. The
	 * allocator itself counts nothing for tests (docs/04b). */
	volatile unsigned int process_in_allocator;
	volatile int mode;
	uint64_t rng;
	struct ring ring;
} irq;

enum { MODE_CHURN, MODE_RESERVE, MODE_DRAIN, MODE_SLEEPING };

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t free_pages_total(void)
{
	uint64_t n = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += contig_page_data.node_zones[z].free_pages;
	return n;
}

/* Frees the oldest block of a ring after checking its stamp. */
static void ring_retire(struct ring *r, volatile uint64_t *bad)
{
	struct block *o = &r->b[(r->head + RING - r->count) % RING];
	if (!stamp_block_ok(o->phys, o->order, o->seq))
		(*bad)++;
	if (r->process_side) {
		irq.process_in_allocator = smp_processor_id() + 1;
		__free_pages(o->phys, o->order);
		irq.process_in_allocator = 0;
	} else {
		__free_pages(o->phys, o->order);
	}
	r->count--;
}

static void ring_push(struct ring *r, uint64_t phys, unsigned order,
		      uint64_t seq)
{
	r->b[r->head] = (struct block){ phys, seq, order };
	r->head = (r->head + 1) % RING;
	r->count++;
}

/* Process context's allocation, bracketed as ring_retire's free. */
static uint64_t process_alloc(gfp_t gfp, unsigned int order)
{
	irq.process_in_allocator = smp_processor_id() + 1;
	uint64_t p = alloc_pages(gfp, order);
	irq.process_in_allocator = 0;
	return p;
}

static void ring_drain(struct ring *r, volatile uint64_t *bad)
{
	while (r->count)
		ring_retire(r, bad);
}

/* Holding pages without bookkeeping: each held page points to the next. */
static void chain_push(volatile uint64_t *head, uint64_t phys)
{
	uint64_t *w = phys_to_virt(phys);
	w[0] = *head;
	w[1] = phys ^ 0xc4a1c4a1c4a1c4a1ULL;
	*head = phys;
}

static uint64_t chain_free(volatile uint64_t *head, unsigned int order,
			   volatile uint64_t *bad)
{
	uint64_t n = 0;
	while (*head) {
		uint64_t *w = phys_to_virt(*head);
		uint64_t next = w[0];
		if (w[1] != (*head ^ 0xc4a1c4a1c4a1c4a1ULL))
			(*bad)++;
		__free_pages(*head, order);
		*head = next;
		n += 1ULL << order;
	}
	return n;
}

static void tick_hook(void *data)
{
	(void)data;
	/* Every CPU ticks; these cases run on the boot CPU's tick (the
	 * all-CPU churn belongs to the SMP suites). */
	if (smp_processor_id() != 0)
		return;
	irq.ticks++;
	if (!in_irq())
		irq.not_in_irq++;
	if (irq.process_in_allocator == smp_processor_id() + 1)
		irq.reentrant_ticks++;
	uint64_t free_now = free_pages_total();
	if (free_now < irq.min_free_seen)
		irq.min_free_seen = free_now;

	switch (irq.mode) {
	case MODE_CHURN: {
		unsigned int order = xorshift(&irq.rng) % 4;
		if (irq.ring.count == RING)
			ring_retire(&irq.ring, &irq.stamp_bad);
		uint64_t p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, order);
		if (!p) {
			irq.atomic_failed++;
			break;
		}
		irq.atomic_ok++;
		uint64_t seq = ++irq.seq;
		stamp_block(p, order, seq);
		ring_push(&irq.ring, p, order, seq);
		if (order > irq.max_order_seen)
			irq.max_order_seen = order;
		break;
	}
	case MODE_RESERVE: {
		/* Memory is at the low watermark: ordinary non-blocking
		 * requests must fail, atomic ones must still succeed. */
		uint64_t p = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
		if (p) {
			irq.nowait_ok++;
			__free_pages(p, 0);
		} else {
			irq.nowait_failed++;
		}
		if (irq.ring.count == 16)
			ring_retire(&irq.ring, &irq.stamp_bad);
		p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
		if (!p) {
			irq.atomic_failed++;
			break;
		}
		irq.atomic_ok++;
		stamp_block(p, 0, ++irq.seq);
		ring_push(&irq.ring, p, 0, irq.seq);
		break;
	}
	case MODE_DRAIN: {
		/* Keep taking until the reserve is gone, then keep trying:
		 * failure must be clean, tick after tick. */
		uint64_t p =
		    alloc_pages(GFP_ATOMIC, 0); /* reported on failure */
		if (!p) {
			irq.atomic_failed++;
			break;
		}
		irq.atomic_ok++;
		chain_push(&irq.held_head, p);
		irq.held_pages++;
		break;
	}
	case MODE_SLEEPING:
		/* A sleeping allocation in interrupt context is a bug: it must
		 * be reported and refused. Try once. */
		if (irq.atomic_ok == 0 && irq.atomic_failed == 0) {
			uint64_t p = alloc_pages(GFP_KERNEL, 0);
			if (p) {
				irq.atomic_ok++;
				__free_pages(p, 0);
			} else {
				irq.atomic_failed++;
			}
		}
		break;
	}
}

static void reset(int mode)
{
	uint64_t seed = irq.rng ? irq.rng : 0x9e3779b97f4a7c15ULL;
	__builtin_memset((void *)&irq, 0, sizeof(irq));
	irq.rng = seed;
	irq.mode = mode;
	irq.min_free_seen = ~0ULL;
}

/* Waits until the hook has run `n` more times; false if the tick stalled
 * for TICK_STALL_NS (a watchdog instead of a hang). */
static bool wait_ticks(uint64_t n)
{
	uint64_t target = irq.ticks + n, last = irq.ticks;
	uint64_t last_change = ktime_get_ns();
	while (irq.ticks < target) {
		if (irq.ticks != last) {
			last = irq.ticks;
			last_change = ktime_get_ns();
		} else if (ktime_get_ns() - last_change > TICK_STALL_NS) {
			return false;
		}
		cpu_relax();
	}
	return true;
}

struct zone_snapshot {
	uint64_t free[MAX_NR_ZONES];
};

/* Free pages per zone, with every CPU's per-CPU lists given back first
 * (frames parked there are not counted as free). */
static void snapshot(struct zone_snapshot *s)
{
	drain_all_pages(&contig_page_data);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		s->free[z] = contig_page_data.node_zones[z].free_pages;
}

static void expect_restored(struct ktest *t, const struct zone_snapshot *s)
{
	drain_all_pages(&contig_page_data);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		KTEST_EXPECT_EQ(t, contig_page_data.node_zones[z].free_pages,
				s->free[z]);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static void report(struct ktest *t)
{
	uint64_t dips = 0, fails = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		dips += contig_page_data.node_zones[z].reserve_dips;
		fails += contig_page_data.node_zones[z].reserve_failures;
	}
	/* reserve_low: the fewest free pages any tick saw. */
	ktest_diag(
	    t,
	    "ticks=%lu atomic_ok=%lu atomic_failed=%lu reserve_low=%lu irq_max_cycles=%lu nowait_failed=%lu reserve_dips=%lu reserve_failures=%lu reentrant=%lu",
	    irq.ticks, irq.atomic_ok, irq.atomic_failed, irq.min_free_seen,
	    this_cpu_irq()->max_cycles, irq.nowait_failed, dips, fails,
	    irq.reentrant_ticks);
}

/*
 * Churn: 2000 ticks of GFP_ATOMIC blocks (orders 0..3) in the handler while
 * process context runs its own alloc/stamp/check/free loop as fast as it
 * can, so both fight over the same zone lock on one CPU.
 */
static void test_churn(struct ktest *t)
{
	static struct ring mine;
	struct zone_snapshot before;
	uint64_t proc_rng = 12345, proc_ops = 0, proc_bad = 0, seq = 0;
	bool alive = true;

	snapshot(&before);
	reset(MODE_CHURN);
	mine.head = mine.count = 0;
	mine.process_side = true;
	KTEST_ASSERT_TRUE(t, register_tick_hook(tick_hook, NULL) == 0);
	uint64_t start = irq.ticks, last = irq.ticks,
		 last_change = ktime_get_ns();
	while (irq.ticks - start < 2000) {
		unsigned int order = xorshift(&proc_rng) % 4;
		if (mine.count == RING)
			ring_retire(&mine, (volatile uint64_t *)&proc_bad);
		uint64_t p = process_alloc(GFP_KERNEL | __GFP_NOWARN, order);
		if (p) {
			stamp_block(p, order, PROCESS_TAG | ++seq);
			ring_push(&mine, p, order, PROCESS_TAG | seq);
		}
		proc_ops++;
		if (irq.ticks != last) {
			last = irq.ticks;
			last_change = ktime_get_ns();
		} else if (ktime_get_ns() - last_change > TICK_STALL_NS) {
			alive = false; /* watchdog: the tick stopped */
			break;
		}
	}
	unregister_tick_hook(tick_hook, NULL);
	ring_drain(&mine, (volatile uint64_t *)&proc_bad);
	ring_drain(&irq.ring, &irq.stamp_bad);
	report(t);
	ktest_diag(t, "process_ops=%lu max_order=%lu", proc_ops,
		   irq.max_order_seen);
	KTEST_EXPECT_TRUE(t, alive);
	KTEST_EXPECT_GE(t, irq.ticks, 2000);
	KTEST_EXPECT_EQ(t, irq.not_in_irq, 0);
	KTEST_EXPECT_EQ(t, irq.stamp_bad, 0);
	KTEST_EXPECT_EQ(t, proc_bad, 0);
	KTEST_EXPECT_EQ(t, irq.atomic_failed, 0);
	KTEST_EXPECT_EQ(t, irq.atomic_ok, irq.ticks);
	KTEST_EXPECT_GT(t, proc_ops, irq.ticks); /* process really ran too */
	/* Ticks did land while process context was inside the allocator
	 * (between its irq-off sections): the reentrancy being tested. */
	KTEST_EXPECT_GE(t, irq.reentrant_ticks, 1);
	expect_restored(t, &before);
}

/*
 * Exhaustion: process context takes all GFP_KERNEL will give and holds it;
 * then every tick's GFP_NOWAIT fails while its GFP_ATOMIC succeeds out of
 * the reserve, and process context's GFP_KERNEL and GFP_NOWAIT keep failing.
 */
static void test_atomic_reserve_under_exhaustion(struct ktest *t)
{
	struct zone_snapshot before;
	uint64_t hoard = 0;
	uint64_t hoard_pages, kernel_ok = 0, nowait_ok = 0, tries = 0;

	snapshot(&before);
	reset(MODE_RESERVE);
	hoard = mm_hoard(GFP_KERNEL, &hoard_pages);
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &contig_page_data.node_zones[z];
		if (!zone->managed_pages)
			continue;
		/* GFP_KERNEL stopped between its floors: the low watermark
		 * and min, each plus the zone's protection from requests
		 * that could use Normal (docs/09); a zone whose protection is
		 * more than it had free is not touched at all. */
		uint64_t prot = zone->lowmem_reserve[ZONE_NORMAL];
		uint64_t floor = zone->watermark[WMARK_MIN] + prot;
		if (floor >= before.free[z]) {
			KTEST_EXPECT_GE(t, zone->free_pages, before.free[z]);
			continue;
		}
		KTEST_EXPECT_LE(t, zone->free_pages,
				zone->watermark[WMARK_LOW] + prot + 1);
		KTEST_EXPECT_GE(t, zone->free_pages, floor);
	}
	KTEST_ASSERT_TRUE(t, register_tick_hook(tick_hook, NULL) == 0);
	uint64_t start = irq.ticks;
	bool alive = true;
	while (alive && irq.ticks - start < 300) {
		uint64_t p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
		if (p) {
			kernel_ok++;
			__free_pages(p, 0);
		}
		p = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
		if (p) {
			nowait_ok++;
			__free_pages(p, 0);
		}
		tries++;
		alive = wait_ticks(1);
	}
	unregister_tick_hook(tick_hook, NULL);
	ring_drain(&irq.ring, &irq.stamp_bad);
	report(t);
	ktest_diag(t, "hoard_pages=%lu process_tries=%lu", hoard_pages, tries);
	KTEST_EXPECT_TRUE(t, alive);
	KTEST_EXPECT_GE(t, irq.ticks, 300);
	KTEST_EXPECT_EQ(t, irq.atomic_failed, 0);
	KTEST_EXPECT_EQ(t, irq.atomic_ok, irq.ticks);
	KTEST_EXPECT_EQ(t, irq.nowait_ok, 0);
	KTEST_EXPECT_EQ(t, irq.nowait_failed, irq.ticks);
	KTEST_EXPECT_EQ(t, kernel_ok, 0);
	KTEST_EXPECT_EQ(t, nowait_ok, 0);
	KTEST_EXPECT_EQ(t, irq.stamp_bad, 0);
	mm_hoard_release(hoard);
	hoard = 0;
	expect_restored(t, &before);
}

/*
 * Reserve drained: the handler takes GFP_ATOMIC pages until it fails, and
 * keeps failing cleanly (0, one rate-limited report, the tick goes on);
 * once process context frees its hoard, atomic allocations succeed again.
 */
static void test_reserve_drained_fails_cleanly(struct ktest *t)
{
	static char log[4096];
	struct zone_snapshot before;
	uint64_t hoard = 0;
	uint64_t hoard_pages;
	int saved = console_loglevel;

	snapshot(&before);
	reset(MODE_DRAIN);
	hoard = mm_hoard(GFP_KERNEL, &hoard_pages);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	KTEST_ASSERT_TRUE(t, register_tick_hook(tick_hook, NULL) == 0);
	bool alive = true;
	while (alive && irq.atomic_failed < 100)
		alive = wait_ticks(1);
	uint64_t ok_before_release = irq.atomic_ok;
	uint64_t free_at_failure = free_pages_total();
	mm_hoard_release(hoard);
	hoard = 0;
	/* From here on memory is back: every tick must succeed again. */
	uint64_t ok_at_release = irq.atomic_ok;
	uint64_t failed_at_release = irq.atomic_failed;
	if (alive)
		alive = wait_ticks(20);
	unregister_tick_hook(tick_hook, NULL);
	printk_capture_stop();
	console_loglevel = saved;
	uint64_t ok_after_release = irq.atomic_ok - ok_at_release;
	uint64_t failed_after_release = irq.atomic_failed - failed_at_release;
	uint64_t bad = 0;
	chain_free(&irq.held_head, 0, (volatile uint64_t *)&bad);

	report(t);
	ktest_diag(
	    t,
	    "hoard_pages=%lu held_by_irq=%lu free_at_failure=%lu ok_after_release=%lu",
	    hoard_pages, irq.held_pages, free_at_failure, ok_after_release);
	KTEST_EXPECT_TRUE(t, alive);
	KTEST_EXPECT_GT(t, ok_before_release, 0);
	KTEST_EXPECT_GE(t, irq.atomic_failed, 100);
	/* The reserve was really used: every zone went below min, but
	 * those a protection keeps from Normal-capable requests such as
	 * these (docs/09: DMA, for one) ... */
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &contig_page_data.node_zones[z];
		if (zone->managed_pages && !zone->lowmem_reserve[ZONE_NORMAL])
			KTEST_EXPECT_GT(t, zone->reserve_dips, 0);
	}
	/* ... but not to zero: GFP_ATOMIC stops at 3/8 of min. */
	KTEST_EXPECT_GT(t, free_at_failure, 0);
	/* One report for a hundred failures (rate limited), no panic. */
	KTEST_EXPECT_EQ(t, ktest_count(log, "page allocation failure"), 1);
	KTEST_EXPECT_GE(t, ok_after_release, 20);
	KTEST_EXPECT_EQ(t, failed_after_release, 0);
	KTEST_EXPECT_EQ(t, bad, 0);
	expect_restored(t, &before);
}

/* GFP_KERNEL from the timer handler: reported like Linux, and refused. */
static void test_sleeping_alloc_in_irq_refused(struct ktest *t)
{
	static char log[2048];
	struct zone_snapshot before;
	int saved = console_loglevel;

	snapshot(&before);
	reset(MODE_SLEEPING);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	KTEST_ASSERT_TRUE(t, register_tick_hook(tick_hook, NULL) == 0);
	bool alive = wait_ticks(5);
	unregister_tick_hook(tick_hook, NULL);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(t, alive);
	KTEST_EXPECT_EQ(t, irq.atomic_failed, 1);
	KTEST_EXPECT_EQ(t, irq.atomic_ok, 0);
	KTEST_EXPECT_EQ(
	    t,
	    ktest_count(log,
			"BUG: sleeping function called from invalid context"),
	    1);
	KTEST_EXPECT_GE(t, ktest_count(log, "tick_hook"), 1);
	expect_restored(t, &before);
}

static const struct ktest_case irq_alloc_cases[] = {
	KTEST_CASE(test_churn),
	KTEST_CASE(test_atomic_reserve_under_exhaustion),
	KTEST_CASE(test_reserve_drained_fails_cleanly),
	KTEST_CASE(test_sleeping_alloc_in_irq_refused),
	{ 0 },
};
KTEST_SUITE_WHERE(irq_alloc, irq_alloc_cases, KTEST_TARGET_ONLY);
