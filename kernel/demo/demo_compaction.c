/*
 * The boot demo's third part: fragmentation and compaction. The page cache
 * reads a synthetic file into most of free memory (its pages are movable),
 * then every other page of it is dropped, as truncating half a file's
 * pages would: half the memory is free, in single frames. The 2 MiB
 * blocks still whole are taken; a request that does not compact then
 * fails; compaction moves the cache's pages together, and the same
 * request succeeds. One line per step,
 * then the counters. With demo_pageblocks=1 it also prints the zones'
 * pageblock maps after the drop and after compacting all of memory
 * (compact_node), which `make plots` draws
 * (tools/plots/pageblocks.sh). docs/10-fragmentation-and-compaction.md
 * ("See it run").
 */
#include "kernel/demo/demo.h"
#include "kernel/lib/cmdline.h"
#include "kernel/lib/printk.h"
#include "kernel/mm/page_cache.h"
#include "mm/compaction.h"
#include "mm/page_alloc.h"
#include "mm/pcp.h"

#define DEMO_FILE 900 /* a file number no other reader uses */
#define FILE_PAGES (1ULL << 20)

/* demo_pageblocks=1: the pageblock maps before and after compaction. */
static bool demo_pageblocks;

static int set_demo_pageblocks(const char *value)
{
	if ((value[0] != '0' && value[0] != '1') || value[1] != '\0')
		return -1;
	demo_pageblocks = value[0] == '1';
	return 0;
}
CMDLINE_PARAM(
    "demo_pageblocks", set_demo_pageblocks,
    "1: print the pageblock maps before and after compacting (for plots), 0: not");

/* Free pages the zones may go down to without waking kswapd. */
static uint64_t node_high(void)
{
	uint64_t high = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		high += contig_page_data.node_zones[z].watermark[WMARK_HIGH];
	return high;
}

void demo_compaction_run(void)
{
	struct pglist_data *p = &contig_page_data;
	const gfp_t gfp = GFP_MOVABLE | __GFP_NORETRY | __GFP_NOWARN;
	uint64_t n = 0, margin = node_high() + 1024;

	while (n < FILE_PAGES && pgdat_nr_free_pages(p) > margin &&
	       filecache_read(&page_cache, DEMO_FILE, n, NULL, gfp) == 0)
		n++;
	uint64_t dropped = 0;
	for (uint64_t i = 1; i < n; i += 2)
		dropped += filecache_drop(&page_cache, DEMO_FILE, i);
	drain_all_pages(p);
	pr_info("demo: compaction: the page cache read %llu pages, then every other one was dropped: %llu pages free, fragmentation score %u, order-9 fragmentation index %d\n",
		(unsigned long long)n,
		(unsigned long long)pgdat_nr_free_pages(p),
		fragmentation_score_node(p),
		fragmentation_index(&p->node_zones[ZONE_DMA32], 9));
	if (demo_pageblocks)
		pageblock_map_show(p, "before");

	/* The 2 MiB blocks still whole (memory the cache did not reach) are
	 * taken first, so that what follows can only come from compaction. */
	uint64_t whole = 0, chain = 0, block;
	while (whole < 64 &&
	       (block = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 9))) {
		*(uint64_t *)phys_to_virt(block) = chain;
		chain = block;
		whole++;
	}
	if (block)
		pr_info("demo: compaction: %llu 2 MiB blocks were still whole (held now); the demo stops at 64, so a GFP_NOWAIT request may still find one\n",
			(unsigned long long)whole);
	else
		pr_info("demo: compaction: %llu 2 MiB blocks were still whole (held now); the next GFP_NOWAIT request, which never compacts, failed\n",
			(unsigned long long)whole);
	/* Compaction, as kcompactd or a sleeping request would run it. */
	uint64_t moved = p->migrate.pgmigrate_success;
	enum compact_result r =
	    try_to_compact_pages(p, GFP_KERNEL, 9, ZONE_NORMAL,
				 COMPACT_PRIO_SYNC_LIGHT);
	moved = p->migrate.pgmigrate_success - moved;
	block = alloc_pages(GFP_NOWAIT | __GFP_NOWARN, 9);
	pr_info("demo: compaction: compaction moved %llu of the cache's pages (%s; kcompactd's moves meanwhile count too); the same GFP_NOWAIT request then %s a 2 MiB block (0x%llx)\n",
		(unsigned long long)moved,
		r == COMPACT_SUCCESS ? "a block was made" : "no block made",
		block ? "got" : "did NOT get", (unsigned long long)block);
	if (block)
		__free_pages(block, 9);
	while (chain) {
		uint64_t next = *(uint64_t *)phys_to_virt(chain);
		__free_pages(chain, 9);
		chain = next;
	}
	if (demo_pageblocks) {
		/* What compacting all of memory makes of the same state
		 * (compact_memory): the pictures' "after". */
		uint64_t before = p->migrate.pgmigrate_success;
		compact_node(p);
		drain_all_pages(p);
		pr_info("demo: compaction: compacting every zone (compact_node) moved %llu pages more; fragmentation score %u\n",
			(unsigned long long)(p->migrate.pgmigrate_success -
					     before),
			fragmentation_score_node(p));
		pageblock_map_show(p, "after");
	}
	for (uint64_t i = 0; i < n; i += 2)
		filecache_drop(&page_cache, DEMO_FILE, i);
	pr_info("demo: compaction: compact_stall %llu compact_success %llu compact_fail %llu pgmigrate_success %llu kcompactd_wake %llu; filecache_check: %d problems\n",
		(unsigned long long)p->compact.compact_stall,
		(unsigned long long)p->compact.compact_success,
		(unsigned long long)p->compact.compact_fail,
		(unsigned long long)p->migrate.pgmigrate_success,
		(unsigned long long)p->compact.kcompactd_wake,
		filecache_check(&page_cache));
}
