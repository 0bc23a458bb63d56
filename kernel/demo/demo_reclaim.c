/*
 * The second boot demonstration, after the interrupt one: allocations that
 * may sleep, and reclaim. The page cache grows into idle memory; taking
 * memory past the low watermark wakes kswapd, which reclaims cache pages
 * until every zone is back above high; with memory held, a GFP_KERNEL
 * request sleeps in the allocator until process context lets go. One line
 * per step, then the reclaim counters.
 * See docs/06-sleeping-allocations-and-reclaim.md ("See it run").
 */
#include "kernel/demo/demo.h"
#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"
#include "kernel/arch/x86/timer.h"
#include "kernel/mm/page_cache.h"
#include "mm/page_alloc.h"
#include "kernel/demo/hoard.h"
#include "kernel/mm/kswapd.h"
#include "mm/vmscan.h"

static uint64_t now_ms(void)
{
	return ktime_get_ns() / 1000000;
}

static void print_step(const char *what)
{
	uint64_t free = 0, low = 0, high = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		const struct zone *zone = &contig_page_data.node_zones[z];
		free += zone->free_pages;
		low += zone->watermark[WMARK_LOW];
		high += zone->watermark[WMARK_HIGH];
	}
	const struct reclaim_stats *rs = &contig_page_data.reclaim;
	pr_info("reclaim demo: %-34s free=%lu (low %lu, high %lu) cache=%lu kswapd woke=%lu freed=%lu direct=%lu\n",
		what, (unsigned long)free, (unsigned long)low,
		(unsigned long)high, (unsigned long)page_cache.nr_pages,
		(unsigned long)rs->kswapd_wakeups,
		(unsigned long)rs->pgsteal_kswapd,
		(unsigned long)rs->pgsteal_direct);
}

/* Takes order-0 pages with GFP_NOWAIT (no reclaim of its own) until
 * kswapd has been woken; returns them chained through their first word. */
static uint64_t take_past_low(uint64_t *taken)
{
	uint64_t head = 0, wakeups = contig_page_data.reclaim.kswapd_wakeups;
	*taken = 0;
	while (contig_page_data.reclaim.kswapd_wakeups == wakeups &&
	       !kswapd_is_running()) {
		uint64_t p = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 0);
		if (!p)
			break;
		*(uint64_t *)phys_to_virt(p) = head;
		head = p;
		(*taken)++;
	}
	return head;
}

static void give_back(uint64_t head)
{
	while (head) {
		uint64_t next = *(uint64_t *)phys_to_virt(head);
		__free_pages(head, 0);
		head = next;
	}
}

static struct {
	uint64_t phys, start_ms, end_ms;
	volatile bool go;
	struct wait_queue_head go_wq;
} sleeper;

/* Made before memory is held (its stack is four pages), told to go after. */
static void sleeping_request(void *arg)
{
	(void)arg;
	wait_event(sleeper.go_wq, sleeper.go);
	sleeper.start_ms = now_ms();
	sleeper.phys = alloc_pages(GFP_KERNEL, 0);
	sleeper.end_ms = now_ms();
}

void demo_reclaim_run(void)
{
	uint64_t taken, pages;
	pr_info(
	    "reclaim demo: the page cache fills idle memory, kswapd and direct reclaim take it back, a GFP_KERNEL request sleeps\n");
	page_cache_start_growing();
	uint64_t last = ~0ULL, deadline = now_ms() + 10000;
	while (page_cache.nr_pages != last && now_ms() < deadline) {
		last = page_cache.nr_pages;
		msleep(200); /* until it stops growing: memory is full */
	}
	page_cache_stop_growing();
	print_step("cachegrow filled idle memory:");

	init_waitqueue_head(&sleeper.go_wq);
	struct task_struct *t = kthread_run(sleeping_request, NULL, "sleeper");
	uint64_t head = take_past_low(&taken);
	deadline = now_ms() + 3000;
	while ((kswapd_is_running() || !pgdat_balanced(&contig_page_data)) &&
	       now_ms() < deadline)
		msleep(10);
	pr_info("reclaim demo: took %lu pages with GFP_NOWAIT, past the low watermark\n",
		(unsigned long)taken);
	print_step("kswapd woke, reclaimed, slept:");

	uint64_t hoard = mm_hoard(GFP_KERNEL, &pages);
	print_step("GFP_KERNEL took all it could:");
	sleeper.go = true;
	wake_up(&sleeper.go_wq);
	msleep(500);
	if (t)
		pr_info("reclaim demo: a GFP_KERNEL request in thread '%s' is %s after 500 ms\n",
			t->comm,
			t->state & TASK_UNINTERRUPTIBLE
			    ? "asleep in the allocator"
			    : "running");
	uint64_t release_ms = now_ms();
	mm_hoard_release(hoard);
	give_back(head);
	if (t) {
		kthread_join(t);
		if (!sleeper.phys || sleeper.end_ms < release_ms)
			pr_info("reclaim demo: it gave up after %lu ms (alloc_wait_ms=%u) and got no page\n",
				(unsigned long)(sleeper.end_ms -
						sleeper.start_ms),
				contig_page_data.alloc_wait_ms);
		else
			pr_info("reclaim demo: memory released; it woke %lu ms later with its page, after sleeping %lu ms\n",
				(unsigned long)(sleeper.end_ms - release_ms),
				(unsigned long)(sleeper.end_ms -
						sleeper.start_ms));
		if (sleeper.phys)
			__free_pages(sleeper.phys, 0);
	}
	page_cache_drop();
	print_step("all given back:");
	pr_info("reclaim demo: mm_check: %d problems\n", mm_check());
}
