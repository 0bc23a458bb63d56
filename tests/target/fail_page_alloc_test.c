/*
 * The fail_page_alloc suite, target only (tests/shared/mm_fault_test.c
 * checks the injection itself on a small node of its own). Booted with
 * fail_page_alloc= (aimed at the kernel's node): GFP_ATOMIC
 * blocks of orders 0..3 taken in the timer interrupt for 1000 ticks, each
 * stamped and checked before it is freed. Failures are expected and
 * counted: every one must be an injected one, nothing may be corrupted or
 * lost. tests/matrix.conf boots it (fault-*).
 * docs/07-debugging-the-allocator.md.
 */
#include "kernel/arch/x86/timer.h"
#include "kernel/core/irq.h"
#include "mm/fault_inject.h"
#include "mm/pcp.h"
#include "tests/ktest.h"
#include "tests/support/test_arena.h"

#define RING 32

static struct {
	volatile uint64_t ticks, ok, failed, bad;
	uint64_t rng, seq;
	uint64_t phys[RING], stamp[RING];
	unsigned int order[RING], head, count;
} churn;

static void retire_oldest(void)
{
	unsigned int i = (churn.head + RING - churn.count) % RING;
	for (uint64_t k = 0; k < (1ULL << churn.order[i]); k++) {
		uint64_t *w = phys_to_virt(churn.phys[i] + k * PAGE_SIZE);
		if (w[0] != churn.stamp[i] || w[511] != ~churn.stamp[i])
			churn.bad++;
	}
	__free_pages(churn.phys[i], churn.order[i]);
	churn.count--;
}

static void churn_hook(void *data)
{
	(void)data;
	churn.ticks++;
	churn.rng ^= churn.rng << 13, churn.rng ^= churn.rng >> 7,
	    churn.rng ^= churn.rng << 17;
	unsigned int order = churn.rng % 4;
	if (churn.count == RING)
		retire_oldest();
	uint64_t p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, order);
	if (!p) {
		churn.failed++;
		return;
	}
	churn.ok++;
	uint64_t stamp = p ^ (++churn.seq << 32);
	for (uint64_t k = 0; k < (1ULL << order); k++) {
		uint64_t *w = phys_to_virt(p + k * PAGE_SIZE);
		w[0] = stamp;
		w[511] = ~stamp;
	}
	churn.phys[churn.head] = p;
	churn.stamp[churn.head] = stamp;
	churn.order[churn.head] = order;
	churn.head = (churn.head + 1) % RING;
	churn.count++;
}

/* Free pages of the kernel's node, per-CPU lists given back first. */
static uint64_t kernel_free_pages(void)
{
	drain_all_pages(&contig_page_data);
	return mm_test_free_pages(&contig_page_data);
}

static void test_irq_churn_with_injection(struct ktest *t)
{
	if (!fail_page_alloc.enabled ||
	    fail_page_alloc.node != &contig_page_data) {
		ktest_skip(t, "boot with fail_page_alloc= to run it");
		return;
	}
	uint64_t free_before = kernel_free_pages();
	uint64_t injected_before = fail_page_alloc.injected;
	__builtin_memset(&churn, 0, sizeof(churn));
	churn.rng = 0x9e3779b97f4a7c15ULL;
	KTEST_ASSERT_TRUE(t, register_tick_hook(churn_hook, NULL) == 0);
	uint64_t last = 0, last_change = ktime_get_ns();
	bool alive = true;
	while (churn.ticks < 1000 && alive) {
		if (churn.ticks != last) {
			last = churn.ticks;
			last_change = ktime_get_ns();
		} else if (ktime_get_ns() - last_change > TICK_STALL_NS) {
			alive = false;
		}
		cpu_relax();
	}
	unregister_tick_hook(churn_hook, NULL);
	while (churn.count)
		retire_oldest();
	uint64_t injected = fail_page_alloc.injected - injected_before;
	ktest_diag(t, "ticks=%llu ok=%llu failed=%llu injected=%llu",
		   (unsigned long long)churn.ticks,
		   (unsigned long long)churn.ok,
		   (unsigned long long)churn.failed,
		   (unsigned long long)injected);
	KTEST_EXPECT_TRUE(t, alive);
	KTEST_EXPECT_EQ(t, churn.ok + churn.failed, churn.ticks);
	KTEST_EXPECT_GT(t, churn.failed, 0);
	KTEST_EXPECT_EQ(t, churn.failed, injected);
	KTEST_EXPECT_EQ(t, churn.bad, 0);
	KTEST_EXPECT_EQ(t, kernel_free_pages(), free_before);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
}

static const struct ktest_case fail_boot_cases[] = {
	KTEST_CASE(test_irq_churn_with_injection),
	{ 0 },
};
KTEST_SUITE_WHERE(fail_page_alloc, fail_boot_cases, KTEST_TARGET_ONLY);
