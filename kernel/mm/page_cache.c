/*
 * The kernel's demonstration page cache (mm/filecache.h) over its own
 * node, and "cachegrow", the thread that reads synthetic file pages into it
 * while memory is idle, as a real page cache fills free memory with file
 * data: it takes pages only from zones above their `high` watermark, so it
 * never wakes kswapd itself (every zone, DMA too, so that reclaim can lift
 * every zone), and reclaim takes them back when memory is
 * wanted. Started by the boot demo, the reclaim tests and the soak.
 * See docs/06-sleeping-allocations-and-reclaim.md ("A cache to reclaim").
 */
#include "mm/filecache.h"
#include "kernel/mm/page_cache.h"
#include "mm/page_alloc.h"

#include "kernel/lib/printk.h"
#include "kernel/core/sched.h"
#include "kernel/arch/x86/timer.h"

#define GROW_BATCH 512	     /* pages read per pass */
#define GROW_PERIOD_MS 10    /* pause between passes */
#define GROW_FILE_PAGES 4096 /* synthetic files of 16 MiB */

struct filecache page_cache;
static struct task_struct *grower;
static volatile bool grower_stop;
static uint64_t next_page; /* file * GROW_FILE_PAGES + index */

int page_cache_init(void)
{
	if (filecache_init(&page_cache, &contig_page_data)) {
		pr_err(
		    "filecache: cannot set up the demonstration page cache\n");
		return -1;
	}
	return 0;
}

/* The zone a page cache allocation would come from, if it is above high:
 * the zone modifier for it, or -1 when every zone is at or below high. */
static int zone_with_room(gfp_t *zone_gfp)
{
	static const gfp_t zone_gfp_of[MAX_NR_ZONES] = { __GFP_DMA, __GFP_DMA32,
							 0 };
	for (int zi = ZONE_NORMAL; zi >= ZONE_DMA; zi--) {
		const struct zone *z = &contig_page_data.node_zones[zi];
		if (z->managed_pages &&
		    __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED) >
			z->watermark[WMARK_HIGH] + GROW_BATCH) {
			*zone_gfp = zone_gfp_of[zi];
			return zi;
		}
	}
	return -1;
}

/* Reads up to GROW_BATCH new pages while some zone has room; returns how
 * many it added. */
static unsigned int page_cache_grow_once(void)
{
	unsigned int added = 0;
	gfp_t zone_gfp;
	while (added < GROW_BATCH && zone_with_room(&zone_gfp) >= 0) {
		uint64_t n = next_page++;
		/* No reclaim, no kswapd: growing must never push anything
		 * else out. */
		if (filecache_read(&page_cache, n / GROW_FILE_PAGES,
				   n % GROW_FILE_PAGES, NULL,
				   zone_gfp | __GFP_MOVABLE | __GFP_NOWARN))
			break;
		added++;
	}
	/* New reclaimable pages: a kswapd that had given up may work again. */
	if (added)
		__atomic_store_n(&contig_page_data.kswapd_failures, 0,
				 __ATOMIC_RELAXED);
	return added;
}

static void cachegrow(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&grower_stop, __ATOMIC_ACQUIRE)) {
		page_cache_grow_once();
		msleep(GROW_PERIOD_MS);
	}
}

void page_cache_start_growing(void)
{
	if (grower || !page_cache.hash)
		return;
	grower_stop = false;
	/* On the boot CPU: whoever stops the world there (the soak's
	 * checkpoint, with interrupts off) stops the grower too. */
	grower = kthread_create_on_cpu(cachegrow, NULL, 0, "cachegrow");
}

void page_cache_stop_growing(void)
{
	if (!grower)
		return;
	__atomic_store_n(&grower_stop, true, __ATOMIC_RELEASE);
	kthread_join(grower);
	grower = NULL;
}

uint64_t page_cache_fill_now(void)
{
	uint64_t before = page_cache.nr_pages;
	while (page_cache_grow_once())
		;
	return page_cache.nr_pages - before;
}

void page_cache_drop(void)
{
	while (filecache_shrink(&page_cache, ~0UL))
		;
}
