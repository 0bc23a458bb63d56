/*
 * Every allocator path takes the zone lock with interrupts off. An interrupt
 * handler allocates too (GFP_ATOMIC), so a zone lock taken with interrupts
 * on is a deadlock waiting for the tick: the handler would spin on the lock
 * its own CPU holds. Waiting for that hang proves nothing; the lock
 * validator (kernel/core/lockdep.c) sees the two usages at once. This suite
 * drives each path (allocation and free, single frames through the per-CPU
 * lists and blocks through the zone) from process context with interrupts
 * on, then allocates and frees in a hard interrupt handler, and asks the
 * validator how the zone lock class was used. It is the grader of the
 * "find the bug" lab (docs/labs/irqsafe/README.md); see docs/04-interrupts.md
 * ("Checking the rules").
 */
#include <stdint.h>

#include "kernel/arch/x86/apic.h"
#include "kernel/arch/x86/irqflags.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/core/irq.h"
#include "kernel/core/lockdep.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "tests/ktest.h"

#define IRQSAFE_VECTOR 0x51 /* a free dynamic vector, as irq_test.c's */

static volatile int handler_ran;
static volatile int handler_in_irq, handler_allocs_ok;

/* Runs in hard interrupt context: both kinds of request, freed at once. */
static irqreturn_t alloc_in_hardirq(unsigned int vector, void *dev)
{
	(void)vector;
	(void)dev;
	handler_in_irq = in_irq();
	uint64_t one = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 0);
	uint64_t two = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, 1);
	handler_allocs_ok = one && two;
	if (one)
		__free_pages(one, 0);
	if (two)
		__free_pages(two, 1);
	handler_ran = 1;
	return IRQ_HANDLED;
}

/* Sends the self-IPI and waits up to 500 ms for the handler. */
static bool run_handler(void)
{
	handler_ran = 0;
	if (request_vector(IRQSAFE_VECTOR, alloc_in_hardirq, "alloc_irqsafe",
			   NULL) != 0)
		return false;
	apic_send_self_ipi(IRQSAFE_VECTOR);
	uint64_t start = rdtsc(), limit = tsc_hz / 2;
	while (!handler_ran && rdtsc() - start < limit)
		__asm__ volatile("pause");
	free_vector(IRQSAFE_VECTOR);
	return handler_ran;
}

/* Process context, interrupts on: every way into the zone lock. */
static void drive_every_path(void)
{
	static const unsigned int orders[] = { 0, 1, 3 };
	for (unsigned int i = 0; i < sizeof(orders) / sizeof(orders[0]); i++) {
		uint64_t p = alloc_pages(GFP_KERNEL | __GFP_NOWARN, orders[i]);
		if (p)
			__free_pages(p, orders[i]);
	}
	/* Frames parked on this CPU's list go back through the zone. */
	drain_all_pages(&contig_page_data);
}

static void test_alloc_and_free_in_hardirq(struct ktest *t)
{
	KTEST_ASSERT_TRUE(t, !irqs_disabled());
	KTEST_ASSERT_TRUE(t, run_handler());
	KTEST_EXPECT_TRUE(t, handler_in_irq);
	KTEST_EXPECT_TRUE(t, handler_allocs_ok);
}

static void test_zone_lock_irq_safe(struct ktest *t)
{
	KTEST_ASSERT_TRUE(t, !irqs_disabled());
	unsigned long reports = lockdep_reports;
	drive_every_path();
	KTEST_ASSERT_TRUE(t, run_handler());
	drive_every_path();

	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &contig_page_data.node_zones[zi];
		struct lockdep_usage u;
		if (!z->managed_pages)
			continue;
		lockdep_get_usage(&z->lock.dep_map, &u);
		KTEST_EXPECT_TRUE(t, u.known);
		if (u.hardirq_on)
			ktest_diag(
			    t,
			    "zone %s: its lock was taken with interrupts enabled; the lock validator's report above names where",
			    z->name);
		KTEST_EXPECT_FALSE(t, u.hardirq_on);
	}
	KTEST_EXPECT_EQ(t, lockdep_reports, reports);
}

static const struct ktest_case alloc_irqsafe_cases[] = {
	KTEST_CASE(test_alloc_and_free_in_hardirq),
	KTEST_CASE(test_zone_lock_irq_safe),
	{ 0 },
};
KTEST_SUITE_WHERE(alloc_irqsafe, alloc_irqsafe_cases, KTEST_TARGET_ONLY);
