/*
 * The order-0 per-CPU pair and the mixed workload of `make bench`, as a
 * driver that bench.mk compiles twice: against this tree, and against the
 * tree before the last change to the hot paths (BENCH_OLD_REV), whose
 * objects get every symbol prefixed old_. mm_bench.c then runs both in one process, interleaved
 * run by run, and callgrind can count each (--toggle-collect=pair_run or
 * old_pair_run). Undefined symbols (bench_now_ns, bench_scale) come from
 * this tree in both copies. docs/08-measuring.md ("Before and after").
 */
#include <stdio.h>
#include <stdlib.h>

#include "mm/page_alloc.h"
#include "mm/pcp.h"

#include "tools/bench/bench.h"

/* A tree from before migrate types (BENCH_OLD_REV=baeae77 or older) has
 * no movable requests: there, every request is the kernel's own kind. */
#ifndef GFP_MOVABLE
#define GFP_MOVABLE GFP_KERNEL
#endif

void pair_run(int n);
void mixed_run(int n);
void split_run(int n);

/*
 * Where a node's struct lands within a page moves what its hot fields
 * share a first-level cache set with (bits 6-11 of the address), and two
 * builds of one driver place it differently: the split pair's time moved
 * 1.5x with the struct's offset alone (docs/08b, "Where the struct lands").
 * So each setup puts the node somewhere else, 9 cache lines on each time:
 * the k-th run of this copy and of the old tree's copy share a placement,
 * and the median of the runs is over placements, not one lucky or unlucky
 * spot.
 */
struct placed_node {
	char space[sizeof(struct pglist_data) + 4096]
	    __attribute__((aligned(4096)));
	unsigned int runs;
};

static struct pglist_data *node_place(struct placed_node *n)
{
	unsigned int line = (n->runs++ * 9) % 64;
	return (struct pglist_data *)(n->space + line * 64);
}

static struct placed_node pair_place;
static struct pglist_data *pair_nodep = (struct pglist_data *)pair_place.space;
#define pair_node (*pair_nodep)
static void *pair_arena;
static uint64_t pair_phys, pair_bytes;

void pair_use_arena(void *arena, uint64_t phys, uint64_t bytes)
{
	pair_arena = arena;
	pair_phys = phys;
	pair_bytes = bytes;
}

/* node over `bytes` of arena at phys, with watermarks 0 and no zone
 * protection (random_bench.c's bench_node_init, which this copy may not
 * call: it belongs to the tree being measured). */
static void node_init_over(struct pglist_data *node, void *arena, uint64_t phys,
			   uint64_t bytes)
{
	static struct memmap_range r;
	r = (struct memmap_range){ phys, phys + bytes, 7, 0 };
	struct pgdat_config cfg = {
		.usable = &r,
		.nr_usable = 1,
		.direct_map_offset = (uint64_t)(uintptr_t)arena - phys,
	};
	if (pgdat_init(node, &cfg)) {
		fprintf(stderr, "mm-bench: driver: pgdat_init failed\n");
		exit(1);
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int w = 0; w < NR_WMARK; w++)
			node->node_zones[z].watermark[w] = 0;
	static const unsigned int no_protection[MAX_NR_ZONES];
	pgdat_set_lowmem_reserve_ratio(node, no_protection);
}

/* The driver's node over the arena's first `bytes`. */
static void node_over(uint64_t bytes)
{
	pair_nodep = node_place(&pair_place);
	node_init_over(&pair_node, pair_arena, pair_phys, bytes);
}

/* The whole arena, one frame taken whose buddy is free, and (lists) the
 * per-CPU lists on for one CPU. */
static void pair_setup_lists(bool lists)
{
	node_over(pair_bytes);
	for (int n = 0; n < 64; n++) {
		uint64_t p = pgdat_alloc_pages(&pair_node, GFP_KERNEL, 0);
		if (*pfn_state(&pair_node, (p >> PAGE_SHIFT) ^ 1) ==
		    (PFS_FREE | 0))
			break;
	}
	if (lists)
		pgdat_pcp_enable(&pair_node, 1);
}

void pair_setup(void)
{
	pair_setup_lists(true);
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

/* The mixed workload (mm_bench.c's mixed_0_4) on the driver's node: 2560
 * slots each holding a block of a random order 0..4, about half the node;
 * an operation frees a random slot's block and allocates a new random
 * order. The same seed in both copies: the same stream of requests. */
#define MIX_SLOTS 2560
static uint64_t mix_phys[MIX_SLOTS], mix_rng;
static unsigned char mix_order[MIX_SLOTS];

static uint64_t mix_next(void)
{
	mix_rng ^= mix_rng << 13;
	mix_rng ^= mix_rng >> 7;
	mix_rng ^= mix_rng << 17;
	return mix_rng;
}

static void mixed_setup_lists(bool lists)
{
	pair_setup_lists(lists);
	mix_rng = 0x2545f4914f6cdd1dULL;
	for (int i = 0; i < MIX_SLOTS; i++) {
		mix_order[i] = (unsigned char)(mix_next() % 5);
		mix_phys[i] =
		    pgdat_alloc_pages(&pair_node, GFP_KERNEL, mix_order[i]);
	}
}

void mixed_driver_setup(void)
{
	mixed_setup_lists(true);
}

/* The same stream on the zone path alone: per-CPU lists off. */
void mixed_zone_driver_setup(void)
{
	mixed_setup_lists(false);
}

__attribute__((noinline)) void mixed_run(int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t r = mix_next();
		int s = (int)(r % MIX_SLOTS);
		if (mix_phys[s])
			pgdat_free_pages(&pair_node, mix_phys[s], mix_order[s]);
		mix_order[s] = (unsigned char)((r >> 32) % 5);
		mix_phys[s] =
		    pgdat_alloc_pages(&pair_node, GFP_KERNEL, mix_order[s]);
	}
}

/* 1,000,000 operations (1,000 with --quick), ns per free + alloc. */
double mixed_driver_time(void)
{
	int n = 1000000 / bench_scale;
	double t0 = bench_now_ns();
	mixed_run(n);
	return (bench_now_ns() - t0) / n;
}

/* split10_pair (split_bench.c) on the driver's node: 8 MiB, the lower
 * 4 MiB one free block, the rest taken (movable), lists off; each pair
 * splits it ten times and merges it ten times. */
void split_driver_setup(void)
{
	node_over(8 << 20);
	for (int o = MAX_ORDER - 1; o >= 0; o--)
		while (pair_node.node_zones[ZONE_NORMAL].free_area[o].nr_free)
			pgdat_alloc_pages(&pair_node, GFP_MOVABLE,
					  (unsigned int)o);
}

__attribute__((noinline)) void split_run(int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t p = pgdat_alloc_pages(&pair_node, GFP_KERNEL, 0);
		pgdat_free_pages(&pair_node, p, 0);
	}
}

/* 500,000 pairs (500 with --quick), ns per pair. */
double split_driver_time(void)
{
	int n = 500000 / bench_scale;
	double t0 = bench_now_ns();
	split_run(n);
	return (bench_now_ns() - t0) / n;
}

/* Issue 16's random stream (random_bench.c drives it: the warm-up, the
 * timed operations, the check) on a node of its own over random_bench.c's
 * arena, per-CPU lists on for one CPU: the same stream through this tree
 * and through BENCH_OLD_REV, one call deeper than random_bench.c's own
 * Labyrinth contender for both. */
static struct placed_node random_place;
static struct pglist_data *random_nodep =
    (struct pglist_data *)random_place.space;
#define random_node (*random_nodep)
static uint64_t random_node_free;

void random_driver_setup(void *arena, uint64_t phys, uint64_t bytes)
{
	random_nodep = node_place(&random_place);
	node_init_over(&random_node, arena, phys, bytes);
	pgdat_pcp_enable(&random_node, 1);
	random_node_free = pgdat_nr_free_pages(&random_node);
}

uint64_t random_driver_alloc(unsigned int order)
{
	return pgdat_alloc_pages(&random_node, GFP_KERNEL | __GFP_NOWARN,
				 order);
}

void random_driver_free(uint64_t phys, unsigned int order)
{
	pgdat_free_pages(&random_node, phys, order);
}

/* After everything was freed: consistent, and every page back. */
bool random_driver_check(void)
{
	return pgdat_check(&random_node) == 0 &&
	       pgdat_nr_free_pages(&random_node) +
		       pcp_parked_pages(&random_node) ==
		   random_node_free;
}
