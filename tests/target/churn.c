/*
 * What the reclaim suite (tests/target/reclaim_test.c) runs under every
 * case: a GFP_ATOMIC churn in every CPU's tick that must never fail, never
 * see a bad stamp and never trip might_sleep; and squeeze(), which holds
 * memory out of GFP_KERNEL's reach while leaving the atomic reserve to the
 * churn. docs/06-sleeping-allocations-and-reclaim.md
 * ("How the tests prove it").
 */
#include "tests/target/churn.h"

#include "kernel/core/might_sleep.h"
#include "kernel/core/sched.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/demo/hoard.h"
#include "tests/support/test_arena.h"
#include "tests/target/stamp.h"

static uint64_t now_ms(void)
{
	return ktime_get_ns() / 1000000;
}

/* ---------------------------------------------------------------- churn */

#define RING 8
static struct {
	uint64_t phys[MAX_CPUS][RING];
	unsigned int order[MAX_CPUS][RING];
	uint64_t ok[MAX_CPUS], failed[MAX_CPUS], bad[MAX_CPUS];
	unsigned int next[MAX_CPUS];
} churn;
static unsigned long churn_reports_before;

static uint64_t churn_tag(unsigned int cpu, unsigned int slot)
{
	return 0x5ec1a1a000000000ULL | ((uint64_t)cpu << 8) | slot;
}

/*
 * Every tick on every CPU: replace the block in the next slot with a new
 * one of the same order (GFP_ATOMIC), checking the old one's stamp. The
 * new block is taken before the old one is freed, so the churn never
 * hands memory to process context: a squeezed test stays squeezed.
 */
static void churn_tick(void *data)
{
	(void)data;
	unsigned int cpu = smp_processor_id();
	unsigned int slot = churn.next[cpu]++ % RING;
	/* Single pages: a higher order would reserve highatomic pageblocks
	 * (mm/highatomic.c), free memory that a squeeze cannot take until a
	 * request gives them back, so the squeeze would not hold. */
	unsigned int order = 0;
	uint64_t p = alloc_pages(GFP_ATOMIC | __GFP_NOWARN, order);
	if (!p) {
		churn.failed[cpu]++;
		return;
	}
	uint64_t old = churn.phys[cpu][slot];
	if (old) {
		if (!stamp_block_ok(old, order, churn_tag(cpu, slot)))
			churn.bad[cpu]++;
		__free_pages(old, order);
	}
	stamp_block(p, order, churn_tag(cpu, slot));
	churn.phys[cpu][slot] = p;
	churn.order[cpu][slot] = order;
	churn.ok[cpu]++;
}

/* Waits until every CPU's tick has replaced each block of its ring. */
void churn_turn_over(void)
{
	unsigned int seen[MAX_CPUS];
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		seen[c] = churn.next[c];
	uint64_t deadline = now_ms() + 20000;
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		while (cpus[c].online && churn.next[c] - seen[c] <= RING &&
		       now_ms() < deadline)
			msleep(1);
}

void churn_start(void)
{
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		churn.ok[c] = churn.failed[c] = churn.bad[c] = 0;
		for (int s = 0; s < RING; s++)
			churn.phys[c][s] = 0;
	}
	churn_reports_before = might_sleep_reports + might_sleep_suppressed;
	register_tick_hook(churn_tick, NULL);
	churn_turn_over(); /* every ring full: from now on it holds steady */
}

/* The churn never failed (its few blocks fit in the atomic reserve many
 * times over), every stamp held, nothing in it tried to sleep. */
uint64_t churn_failures(void)
{
	uint64_t failed = 0;
	for (unsigned int c = 0; c < MAX_CPUS; c++)
		failed += __atomic_load_n(&churn.failed[c], __ATOMIC_RELAXED);
	return failed;
}

void churn_stop_and_check(struct ktest *t)
{
	unregister_tick_hook(churn_tick, NULL);
	uint64_t ok = 0, failed = 0, bad = 0;
	for (unsigned int c = 0; c < MAX_CPUS; c++) {
		for (int s = 0; s < RING; s++) {
			uint64_t p = churn.phys[c][s];
			if (!p)
				continue;
			if (!stamp_block_ok(p, churn.order[c][s],
					    churn_tag(c, s)))
				bad++;
			__free_pages(p, churn.order[c][s]);
		}
		ok += churn.ok[c];
		failed += churn.failed[c];
		bad += churn.bad[c];
	}
	ktest_diag(
	    t,
	    "tick churn on every CPU: %lu GFP_ATOMIC blocks, %lu failed, %lu bad stamps",
	    (unsigned long)ok, (unsigned long)failed, (unsigned long)bad);
	KTEST_EXPECT_GT(t, ok, 0);
	KTEST_EXPECT_EQ(t, failed, 0);
	KTEST_EXPECT_EQ(t, bad, 0);
	KTEST_EXPECT_EQ(t, might_sleep_reports + might_sleep_suppressed,
			churn_reports_before);
}

/*
 * Holds memory: everything `gfp` will give, taken twice. GFP_KERNEL stops
 * at min; with __GFP_HIGH, at half of min, out of GFP_KERNEL's reach by a
 * wide margin: another CPU's tick, between taking its new block and
 * freeing its old one, can make free memory look a page or two lower than
 * it is. The second pass comes after every tick has replaced its blocks: a
 * block the churn took from DMA before the squeeze goes back to DMA when
 * it is replaced, lifting that small zone again. The atomic reserve below
 * stays for the ticks.
 */
uint64_t squeeze_with(gfp_t gfp, uint64_t *pages)
{
	uint64_t more, head = mm_hoard(gfp, pages);
	churn_turn_over();
	uint64_t second = mm_hoard(gfp, &more);
	*pages += more;
	if (!second)
		return head;
	uint64_t *w = phys_to_virt(second);
	while (w[0])
		w = phys_to_virt(w[0]);
	w[0] = head;
	return second;
}

uint64_t squeeze(uint64_t *pages)
{
	return squeeze_with(GFP_KERNEL | __GFP_HIGH, pages);
}
