/*
 * The order-0 per-CPU pair of `make bench`, as a driver that bench.mk
 * compiles twice: against this tree, and against the tree before the
 * order-0 fast path (BENCH_OLD_REV), whose objects get every symbol
 * prefixed old_. mm_bench.c then runs both in one process, interleaved
 * run by run, and callgrind can count each (--toggle-collect=pair_run or
 * old_pair_run). Undefined symbols (bench_now_ns, bench_scale) come from
 * this tree in both copies. docs/08-measuring.md ("Before and after").
 */
#include <stdio.h>
#include <stdlib.h>

#include "mm/page_alloc.h"
#include "mm/pcp.h"

#include "tools/bench/bench.h"

void pair_run(int n);

static struct pglist_data pair_node;
static void *pair_arena;
static uint64_t pair_phys, pair_bytes;

void pair_use_arena(void *arena, uint64_t phys, uint64_t bytes)
{
	pair_arena = arena;
	pair_phys = phys;
	pair_bytes = bytes;
}

/* A node over the arena with watermarks 0 and no zone protection, one
 * frame taken whose buddy is free, and per-CPU lists on for one CPU. */
void pair_setup(void)
{
	static struct memmap_range r;
	r = (struct memmap_range){ pair_phys, pair_phys + pair_bytes, 7, 0 };
	struct pgdat_config cfg = { &r,
				    1,
				    NULL,
				    0,
				    0,
				    0,
				    (uint64_t)(uintptr_t)pair_arena - pair_phys,
				    false };
	if (pgdat_init(&pair_node, &cfg)) {
		fprintf(stderr, "mm-bench: pair_setup: pgdat_init failed\n");
		exit(1);
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int w = 0; w < NR_WMARK; w++)
			pair_node.node_zones[z].watermark[w] = 0;
	static const unsigned int no_protection[MAX_NR_ZONES];
	pgdat_set_lowmem_reserve_ratio(&pair_node, no_protection);
	for (int n = 0; n < 64; n++) {
		uint64_t p = pgdat_alloc_pages(&pair_node, GFP_KERNEL, 0);
		if (*pfn_state(&pair_node, (p >> PAGE_SHIFT) ^ 1) ==
		    (PFS_FREE | 0))
			break;
	}
	pgdat_pcp_enable(&pair_node, 1);
}

/* n order-0 pairs: alloc_pages(GFP_KERNEL, 0) and its free. */
__attribute__((noinline)) void pair_run(int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t p = pgdat_alloc_pages(&pair_node, GFP_KERNEL, 0);
		pgdat_free_pages(&pair_node, p, 0);
	}
}

/* As mm_bench.c's pairs: 5,000,000 (5,000 with --quick), ns per pair. */
double pair_time(void)
{
	int n = 5000000 / bench_scale;
	double t0 = bench_now_ns();
	pair_run(n);
	return (bench_now_ns() - t0) / n;
}
