/*
 * The allocator on every CPU at once (issue 5): each CPU runs a process
 * context churn loop and its own timer interrupt's GFP_ATOMIC churn, with
 * pages handed between CPUs through a locked queue and freed by another CPU,
 * in process and in interrupt context. Every page is stamped (address, CPU,
 * sequence) and checked before it is freed. Then exhaustion on all CPUs:
 * the interrupts' atomic allocations keep succeeding from the reserve while
 * ordinary ones fail, and the drain-and-retry path is taken and counted.
 * After each case the per-CPU lists are drained, the free pages are back to
 * the start and mm_check() is clean. docs/05-smp-and-per-cpu-lists.md.
 */
#include <stdint.h>

#include "kernel/core/irq.h"
#include "kernel/core/lockdep.h"
#include "kernel/arch/x86/smp.h"
#include "kernel/core/spinlock.h"
#include "kernel/arch/x86/timer.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "kernel/demo/hoard.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"
#include "tests/target/stamp.h"

#define RING 32
#define HANDOFF 256

struct stamped {
	uint64_t phys, tag;
	unsigned int order;
};

/* What each CPU does and sees; only that CPU writes its own slot. */
struct cpu_churn {
	struct stamped irq_ring[RING];
	unsigned int irq_count, irq_head;
	uint64_t rng, seq;
	volatile uint64_t ticks, atomic_ok, atomic_failed, nowait_ok, stamp_bad,
	    not_in_irq, handed, taken_over;
	volatile uint64_t proc_ops, proc_bad;
};

static struct cpu_churn churn[MAX_CPUS];
static volatile int mode; /* 0 off, 1 churn, 2 reserve */
static volatile bool stop_process;

/* Pages in flight between CPUs: pushed by one, popped and freed by another. */
static DEFINE_SPINLOCK(handoff_lock);
static struct stamped handoff[HANDOFF];
static unsigned int handoff_count;

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t make_tag(unsigned int cpu, uint64_t seq, bool irq)
{
	return ((uint64_t)cpu << 56) | ((uint64_t)irq << 55) | seq;
}

static bool stamp_ok(const struct stamped *s)
{
	return stamp_block_ok(s->phys, s->order, s->tag);
}

/* Checks and frees; counts a mismatch against `bad`. */
static void retire(const struct stamped *s, volatile uint64_t *bad)
{
	if (!stamp_ok(s))
		(*bad)++;
	__free_pages(s->phys, s->order);
}

static bool handoff_push(const struct stamped *s)
{
	unsigned long flags;
	bool ok = false;
	spin_lock_irqsave(&handoff_lock, flags);
	if (handoff_count < HANDOFF) {
		handoff[handoff_count++] = *s;
		ok = true;
	}
	spin_unlock_irqrestore(&handoff_lock, flags);
	return ok;
}

/* Pops a page some other CPU pushed (any page will do if `any`). */
static bool handoff_pop(unsigned int me, bool any, struct stamped *out)
{
	unsigned long flags;
	bool ok = false;
	spin_lock_irqsave(&handoff_lock, flags);
	for (unsigned int i = handoff_count; i-- > 0;) {
		if (any || (handoff[i].tag >> 56) != me) {
			*out = handoff[i];
			handoff[i] = handoff[--handoff_count];
			ok = true;
			break;
		}
	}
	spin_unlock_irqrestore(&handoff_lock, flags);
	return ok;
}

static void tick(void *data)
{
	(void)data;
	unsigned int me = smp_processor_id();
	struct cpu_churn *c = &churn[me];
	if (!mode)
		return;
	c->ticks++;
	if (!in_irq())
		c->not_in_irq++;

	if (mode == 2) {
		/* Reserve: GFP_NOWAIT must fail, GFP_ATOMIC must not. */
		uint64_t p = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
		if (p) {
			c->nowait_ok++;
			__free_pages(p, 0);
		}
	}
	if (c->irq_count == (mode == 2 ? 4u : RING)) {
		unsigned int oldest =
		    (c->irq_head + RING - c->irq_count) % RING;
		retire(&c->irq_ring[oldest], &c->stamp_bad);
		c->irq_count--;
	}
	unsigned int order = mode == 2 ? 0 : xorshift(&c->rng) % 4;
	uint64_t p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, order);
	if (!p) {
		c->atomic_failed++;
		return;
	}
	c->atomic_ok++;
	struct stamped s = { p, make_tag(me, ++c->seq, true), order };
	stamp_block(p, order, s.tag);
	/* Every fourth page goes to another CPU, which frees it. */
	if (mode == 1 && (c->seq & 3) == 0 && handoff_push(&s)) {
		c->handed++;
	} else {
		c->irq_ring[c->irq_head] = s;
		c->irq_head = (c->irq_head + 1) % RING;
		c->irq_count++;
	}
	struct stamped other;
	if (mode == 1 && handoff_pop(me, false, &other)) {
		retire(&other, &c->stamp_bad);
		c->taken_over++;
	}
}

/* Process context on any CPU: its own alloc/stamp/check/free loop. */
static void process_churn(void *arg)
{
	(void)arg;
	unsigned int me = smp_processor_id();
	struct cpu_churn *c = &churn[me];
	static struct stamped rings[MAX_CPUS][RING];
	struct stamped *ring = rings[me];
	unsigned int n = 0, head = 0;
	uint64_t rng = 0x1234567ULL * (me + 1), seq = 0;

	while (!__atomic_load_n(&stop_process, __ATOMIC_ACQUIRE)) {
		if (n == RING) {
			retire(&ring[(head + RING - n) % RING], &c->proc_bad);
			n--;
		}
		unsigned int order = xorshift(&rng) % 4;
		uint64_t p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, order);
		if (p) {
			ring[head] =
			    (struct stamped){ p, make_tag(me, ++seq, false),
					      order };
			stamp_block(p, order, ring[head].tag);
			head = (head + 1) % RING;
			n++;
		}
		/* Frees in process context of pages from other CPUs. */
		struct stamped other;
		if ((seq & 7) == 0 && handoff_pop(me, false, &other)) {
			retire(&other, &c->proc_bad);
			c->taken_over++;
		}
		c->proc_ops++;
	}
	while (n) {
		retire(&ring[(head + RING - n) % RING], &c->proc_bad);
		n--;
	}
}

/* A watchdog: false once the boot CPU's tick has not moved for 10 s of TSC
 * time (a deadlock would freeze it), however slow the host makes vCPUs. */
static bool tick_moving(uint64_t *last_ticks, uint64_t *last_change)
{
	uint64_t now = ktime_get_ns();
	if (churn[0].ticks != *last_ticks) {
		*last_ticks = churn[0].ticks;
		*last_change = now;
		return true;
	}
	return now - *last_change < 10000000000ULL;
}

static bool every_cpu_ticked(void)
{
	for (unsigned int cpu = 0; cpu < nr_cpus_online; cpu++)
		if (!__atomic_load_n(&churn[cpu].ticks, __ATOMIC_RELAXED))
			return false;
	return true;
}

static uint64_t free_pages_drained(void)
{
	uint64_t n = 0;
	drain_all_pages(&contig_page_data);
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += contig_page_data.node_zones[z].free_pages;
	return n;
}

/* Stops the hooks, then empties every CPU's ring from that CPU. */
static void empty_ring(void *arg)
{
	(void)arg;
	struct cpu_churn *c = &churn[smp_processor_id()];
	while (c->irq_count) {
		unsigned int oldest =
		    (c->irq_head + RING - c->irq_count) % RING;
		retire(&c->irq_ring[oldest], &c->stamp_bad);
		c->irq_count--;
	}
}

static void stop_everything(void)
{
	mode = 0;
	unregister_tick_hook(tick, NULL);
	empty_ring(NULL);
	smp_call_function(empty_ring, NULL);
	struct stamped s;
	uint64_t bad = 0;
	while (handoff_pop(0, true, &s))
		retire(&s, (volatile uint64_t *)&bad);
	churn[0].stamp_bad += bad;
}

static void reset_all(void)
{
	for (unsigned int i = 0; i < MAX_CPUS; i++) {
		uint64_t rng = 0x9e3779b97f4a7c15ULL ^ (i * 0x100000001b3ULL);
		__builtin_memset(&churn[i], 0, sizeof(churn[i]));
		churn[i].rng = rng;
	}
	handoff_count = 0;
	stop_process = false;
}

static void test_all_cpus_churn(struct ktest *t)
{
	uint64_t lockdep_before = lockdep_reports;
	reset_all();
	uint64_t before = free_pages_drained();
	mode = 1;
	KTEST_ASSERT_TRUE(t, register_tick_hook(tick, NULL) == 0);
	for (unsigned int cpu = 1; cpu < nr_cpus_online; cpu++)
		KTEST_EXPECT_EQ(t,
				smp_run_on_cpu_async(cpu, process_churn, NULL),
				0);
	/* The boot CPU churns too, for 2000 of its own ticks (2 s at 1000 Hz),
	 * or until the watchdog sees its tick stall. */
	uint64_t last_ticks = 0, last_change = ktime_get_ns();
	bool alive = true;
	while (churn[0].ticks < 2000) {
		if (!tick_moving(&last_ticks, &last_change)) {
			alive = false;
			break;
		}
		uint64_t p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
		if (p) {
			struct stamped s = { p,
					     make_tag(0, ++churn[0].seq, false),
					     0 };
			stamp_block(p, 0, s.tag);
			retire(&s, &churn[0].proc_bad);
		}
		churn[0].proc_ops++;
	}
	__atomic_store_n(&stop_process, true, __ATOMIC_RELEASE);
	for (unsigned int cpu = 1; cpu < nr_cpus_online; cpu++)
		smp_wait_work(cpu);
	stop_everything();

	uint64_t ticks = 0, ok = 0, failed = 0, bad = 0, wrong_ctx = 0,
		 handed = 0, taken = 0;
	for (unsigned int cpu = 0; cpu < nr_cpus_online; cpu++) {
		struct cpu_churn *c = &churn[cpu];
		ktest_diag(
		    t,
		    "cpu%u ticks=%lu atomic_ok=%lu process_ops=%lu handed=%lu freed_for_others=%lu",
		    cpu, c->ticks, c->atomic_ok, c->proc_ops, c->handed,
		    c->taken_over);
		ticks += c->ticks;
		ok += c->atomic_ok;
		failed += c->atomic_failed;
		bad += c->stamp_bad + c->proc_bad;
		wrong_ctx += c->not_in_irq;
		handed += c->handed;
		taken += c->taken_over;
		KTEST_EXPECT_GT(t, c->ticks, 0);
		KTEST_EXPECT_GT(t, c->proc_ops, 0);
	}
	KTEST_EXPECT_TRUE(t, alive);
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, wrong_ctx, 0);
	KTEST_EXPECT_EQ(t, failed, 0);
	KTEST_EXPECT_EQ(t, ok, ticks);
	if (nr_cpus_online > 1)
		KTEST_EXPECT_GT(t, taken, 0); /* pages really crossed CPUs */
	KTEST_EXPECT_EQ(t, lockdep_reports, lockdep_before);
	KTEST_EXPECT_EQ(t, free_pages_drained(), before);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

/* Gives every CPU's list some frames, so that exhaustion must drain them. */
static void park_some(void *arg)
{
	(void)arg;
	uint64_t p[8];
	for (int i = 0; i < 8; i++)
		p[i] = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
	for (int i = 0; i < 8; i++)
		if (p[i])
			__free_pages(p[i], 0);
}

static void test_all_cpus_reserve(struct ktest *t)
{
	reset_all();
	uint64_t before = free_pages_drained();
	park_some(NULL);
	smp_call_function(park_some, NULL);
	uint64_t retries = contig_page_data.pcp_drain_retries;

	/* Process context takes everything GFP_KERNEL will give; the frames
	 * parked on other CPUs' lists force a drain (IPIs) and a retry. */
	uint64_t hoard_pages;
	uint64_t hoard = mm_hoard(GFP_KERNEL, &hoard_pages);
	uint64_t drain_retries = contig_page_data.pcp_drain_retries - retries;

	mode = 2;
	KTEST_ASSERT_TRUE(t, register_tick_hook(tick, NULL) == 0);
	uint64_t last_ticks = 0, last_change = ktime_get_ns(), kernel_ok = 0;
	/* 300 of the boot CPU's ticks, and on until every CPU has had one:
	 * the host may leave a halted vCPU asleep for a few hundred ms. A CPU
	 * whose tick never comes still ends the loop (5 s) and fails below. */
	uint64_t start = ktime_get_ns();
	while (
	    (churn[0].ticks < 300 ||
	     (ktime_get_ns() - start < 5000000000ULL && !every_cpu_ticked())) &&
	    tick_moving(&last_ticks, &last_change)) {
		uint64_t p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, 0);
		if (p) {
			kernel_ok++;
			__free_pages(p, 0);
		}
		mdelay(1);
	}
	stop_everything();

	uint64_t ok = 0, failed = 0, nowait_ok = 0, ticks = 0, bad = 0;
	for (unsigned int cpu = 0; cpu < nr_cpus_online; cpu++) {
		ok += churn[cpu].atomic_ok;
		failed += churn[cpu].atomic_failed;
		nowait_ok += churn[cpu].nowait_ok;
		ticks += churn[cpu].ticks;
		bad += churn[cpu].stamp_bad;
		KTEST_EXPECT_GT(t, churn[cpu].ticks, 0);
	}
	ktest_diag(
	    t,
	    "hoard_pages=%lu drain_retries=%lu ticks=%lu atomic_ok=%lu atomic_failed=%lu nowait_ok=%lu kernel_ok=%lu",
	    hoard_pages, drain_retries, ticks, ok, failed, nowait_ok,
	    kernel_ok);
	KTEST_EXPECT_GE(t, churn[0].ticks, 300);
	KTEST_EXPECT_EQ(t, failed, 0);
	KTEST_EXPECT_EQ(t, ok, ticks);
	KTEST_EXPECT_EQ(t, nowait_ok, 0);
	KTEST_EXPECT_EQ(t, kernel_ok, 0);
	KTEST_EXPECT_EQ(t, bad, 0);
	if (nr_cpus_online > 1)
		KTEST_EXPECT_GE(t, drain_retries, 1);

	mm_hoard_release(hoard);
	KTEST_EXPECT_EQ(t, free_pages_drained(), before);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static const struct ktest_case smp_alloc_cases[] = {
	KTEST_CASE(test_all_cpus_churn),
	KTEST_CASE(test_all_cpus_reserve),
	{ 0 },
};
KTEST_SUITE_WHERE(smp_alloc, smp_alloc_cases, KTEST_TARGET_ONLY);
