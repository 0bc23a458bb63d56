/*
 * `make bench`: the page allocator measured on the host, built with -O2 and
 * no sanitizers (tools/bench/bench.mk), next to two baselines written for
 * the comparison (baselines.h: an xv6 free list and a next-fit bitmap) over
 * the same 128 MiB of memory in the same process. Every figure is the median
 * of several runs, the contenders interleaved run by run so that a noisy
 * neighbour hurts them alike. Writes results.tsv, spread.tsv, results.md
 * and init.tsv into the directory named on the command line.
 * docs/08-measuring.md explains the figures; docs/03-buddy-and-gfp.md the
 * allocator. Usage: mm-bench [OUTDIR [--quick]]; BENCH_VERBOSE=1 in the
 * environment prints every run.
 *
 *   order0_pair  alloc + free of one page (buddy: its buddy is in use, so
 *                no split or merge)
 *   mixed_0_4    random orders 0..4 at ~50% occupancy; per operation, an
 *                operation being one alloc or one free
 *   init, metadata, random_*, split10_pair  init_sweep.c, random_bench.c
 *                and split_bench.c (the peers)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "tools/bench/baselines.h"
#include "tools/bench/bench.h"

#ifndef BENCH_OLD_REV_STR
#define BENCH_OLD_REV_STR "BENCH_OLD_REV"
#endif

void console_write(const char *s, size_t n)
{
	fwrite(s, 1, n, stderr);
}

#define ARENA_PHYS (1ULL << 32) /* the arena plays RAM at 4 GiB */
#define ARENA_BYTES (128ULL << 20)

static struct pglist_data node;
static struct freelist fl;
static struct bitmap_alloc bm;
static char *arena;

static void buddy_setup(uint64_t bytes)
{
	bench_node_init(&node, arena, ARENA_PHYS, bytes);
}

/* ---------------------------------------------------------- order-0 pair */

#define PAIRS (5000000 / bench_scale)

/* Take pages until one came from a split, so that its buddy sits alone on
 * the order-0 list: each pair then takes that buddy and gives it back
 * without splitting or merging. */
static void buddy_pair_setup(void)
{
	buddy_setup(ARENA_BYTES);
	for (int n = 0; n < 64; n++) {
		uint64_t p = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
		if (*pfn_state(&node, (p >> PAGE_SHIFT) ^ 1) == (PFS_FREE | 0))
			break;
	}
}

static double buddy_pair(void)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < PAIRS; i++) {
		uint64_t p = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
		pgdat_free_pages(&node, p, 0);
	}
	return (bench_now_ns() - t0) / PAIRS;
}

/* The same with the per-CPU page lists on (mm/pcp.c, one CPU): order-0
 * frames come from this CPU's list without the zone lock. */
static void buddy_pcp_setup(void)
{
	buddy_pair_setup();
	pgdat_pcp_enable(&node, 1);
}

static void freelist_setup(void)
{
	freelist_init(&fl, arena, ARENA_BYTES);
}

static double freelist_pair(void)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < PAIRS; i++)
		freelist_free(&fl, freelist_alloc(&fl));
	return (bench_now_ns() - t0) / PAIRS;
}

static double freelist_pair_nolock(void)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < PAIRS; i++)
		freelist_free_nolock(&fl, freelist_alloc_nolock(&fl));
	return (bench_now_ns() - t0) / PAIRS;
}

static void bitmap_setup(void)
{
	bitmap_init(&bm, arena, ARENA_PHYS, ARENA_BYTES);
}

static double bitmap_pair(void)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < PAIRS; i++)
		bitmap_free(&bm, bitmap_alloc(&bm, 0), 0);
	return (bench_now_ns() - t0) / PAIRS;
}

/* ------------------------------------------------------------- mixed 0-4 */

static uint64_t rng;
static inline uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define MIXED_SLOTS 2560 /* x 6.2 pages on average = ~48% of 128 MiB */
#define MIXED_OPS (10000000 / bench_scale)
static struct {
	uint64_t phys;
	unsigned int order;
} slots[MIXED_SLOTS];
static uint64_t mixed_failed;

static uint64_t mixed_alloc(int bitmap, unsigned int order)
{
	uint64_t p = bitmap ? bitmap_alloc(&bm, order)
			    : pgdat_alloc_pages(&node, GFP_KERNEL, order);
	mixed_failed += !p;
	return p;
}

static void mixed_free(int bitmap, uint64_t p, unsigned int order)
{
	if (bitmap)
		bitmap_free(&bm, p, order);
	else
		pgdat_free_pages(&node, p, order);
}

/* Same seed for every run and contender: identical work each time. */
static void mixed_fill(int bitmap)
{
	rng = 0x243F6A8885A308D3ULL;
	for (int k = 0; k < MIXED_SLOTS; k++) {
		slots[k].order = rnd() % 5;
		slots[k].phys = mixed_alloc(bitmap, slots[k].order);
	}
}

static double mixed_run(int bitmap)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < MIXED_OPS / 2; i++) {
		unsigned int k = rnd() % MIXED_SLOTS;
		if (slots[k].phys)
			mixed_free(bitmap, slots[k].phys, slots[k].order);
		slots[k].order = rnd() % 5;
		slots[k].phys = mixed_alloc(bitmap, slots[k].order);
	}
	return (bench_now_ns() - t0) / MIXED_OPS;
}

static void buddy_mixed_setup(void)
{
	buddy_setup(ARENA_BYTES);
	mixed_fill(0);
}
static double buddy_mixed(void)
{
	double ns = mixed_run(0);
	if (pgdat_check(&node))
		bench_note("(mm_check failed after the mixed run!)");
	return ns;
}
static void bitmap_mixed_setup(void)
{
	bitmap_setup();
	mixed_fill(1);
}
static double bitmap_mixed(void)
{
	return mixed_run(1);
}

/* ---------------------------------------------------------- nearly full */

/* Every page in use but two, one at each end of the 128 MiB. Each step takes
 * both and gives both back. The buddy allocator finds them on its order-0
 * list; the bitmap's next-fit cursor, sitting at one of them, must scan half
 * the bitmap to reach the other: a cost that grows with memory. */
static uint64_t ends[2];

static void buddy_full_setup(void)
{
	uint64_t lo = ~0ULL, hi = 0, p;
	buddy_setup(ARENA_BYTES);
	while ((p = pgdat_alloc_pages(&node, GFP_KERNEL | __GFP_NOWARN, 0))) {
		lo = p < lo ? p : lo;
		hi = p > hi ? p : hi;
	}
	pgdat_free_pages(&node, ends[0] = lo, 0);
	pgdat_free_pages(&node, ends[1] = hi, 0);
}

static double buddy_full(void)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < PAIRS / 20; i++) {
		uint64_t a = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
		uint64_t b = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
		pgdat_free_pages(&node, a, 0);
		pgdat_free_pages(&node, b, 0);
	}
	return (bench_now_ns() - t0) / (PAIRS / 20 * 2);
}

static void bitmap_full_setup(void)
{
	uint64_t lo = ~0ULL, hi = 0, p;
	bitmap_setup();
	while ((p = bitmap_alloc(&bm, 0))) {
		lo = p < lo ? p : lo;
		hi = p > hi ? p : hi;
	}
	bitmap_free(&bm, ends[0] = lo, 0);
	bitmap_free(&bm, ends[1] = hi, 0);
}

static double bitmap_full(void)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < PAIRS / 20; i++) {
		uint64_t a = bitmap_alloc(&bm, 0);
		uint64_t b = bitmap_alloc(&bm, 0);
		bitmap_free(&bm, a, 0);
		bitmap_free(&bm, b, 0);
	}
	return (bench_now_ns() - t0) / (PAIRS / 20 * 2);
}

/* ------------------------------------------------------------ bulk */

/* 64 order-0 pages in one alloc_pages_bulk (one zone-lock hold), or in 64
 * calls; both give them back one by one. ns per page. */
#define BULK 64
static uint64_t bulk_pages[BULK];

static double bulk_run(bool bulk)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < PAIRS / BULK; i++) {
		if (bulk)
			pgdat_alloc_pages_bulk(&node, GFP_KERNEL, BULK,
					       bulk_pages, NULL);
		else
			for (int k = 0; k < BULK; k++)
				bulk_pages[k] =
				    pgdat_alloc_pages(&node, GFP_KERNEL, 0);
		for (int k = 0; k < BULK; k++) {
			pgdat_free_pages(&node, bulk_pages[k], 0);
			bulk_pages[k] = 0;
		}
	}
	return (bench_now_ns() - t0) / (PAIRS / BULK * BULK);
}
static double bulk_bulk(void)
{
	return bulk_run(true);
}
static double bulk_singles(void)
{
	return bulk_run(false);
}

/* ------------------------------------------------------------ driver */

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : NULL;
	if (argc > 2 && !strncmp(argv[2], "--scale=", 8)) { /* profiling */
		bench_scale = atoi(argv[2] + 8) > 0 ? atoi(argv[2] + 8) : 1;
		bench_runs = 1;
	} else if (argc > 2 && !strcmp(argv[2], "--quick"))
		bench_scale = 1000, bench_runs = 1;
	if (bench_open(dir))
		return 1;
	bench_pin();
	printf("Labyrinth page allocator, host benchmark (-O2, no sanitizers; "
	       "median of %d runs, min..max, spread)\n",
	       bench_runs);
	arena = mmap(NULL, ARENA_BYTES, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		perror("mm-bench: mmap");
		return 1;
	}
	memset(arena, 0, ARENA_BYTES); /* no page faults while timing */
	pair_use_arena(arena, ARENA_PHYS, ARENA_BYTES);
	old_pair_use_arena(arena, ARENA_PHYS, ARENA_BYTES);

	struct contender pair[] = {
		{ "host.order0_pair.buddy",
		  "Labyrinth: alloc_pages(0) + __free_pages, buddy in use",
		  buddy_pair_setup,
		  buddy_pair,
		  { 0 } },
		{ "host.order0_pair.pcp",
		  "Labyrinth with per-CPU page lists: no zone lock",
		  buddy_pcp_setup,
		  buddy_pair,
		  { 0 } },
		{ "host.order0_pair.pcp_driver",
		  "the same, pair_driver.c built against this tree",
		  pair_setup,
		  pair_time,
		  { 0 } },
		{ "host.order0_pair.pcp_before",
		  "the same, pair_driver.c built against the tree before the "
		  "last hot-path change (" BENCH_OLD_REV_STR ")",
		  old_pair_setup,
		  old_pair_time,
		  { 0 } },
		{ "host.order0_pair.freelist",
		  "xv6 free list: pop + push under the same lock",
		  freelist_setup,
		  freelist_pair,
		  { 0 } },
		{ "host.order0_pair.freelist_nolock",
		  "the same pop + push without a lock: the floor",
		  freelist_setup,
		  freelist_pair_nolock,
		  { 0 } },
		{ "host.order0_pair.bitmap",
		  "bitmap, next fit: find a clear bit, set it, clear it",
		  bitmap_setup,
		  bitmap_pair,
		  { 0 } },
	};
	bench_section("One page allocated and freed (order-0 pair)",
		      "Nearly empty 128 MiB; the best case for every "
		      "allocator. ns per alloc + free pair.");
	bench_interleave(pair, 7);
	bench_ratio("host.order0_pair.buddy_vs_freelist",
		    "buddy time / free list time, run by run", &pair[0],
		    &pair[4]);
	bench_ratio("host.order0_pair.pcp_vs_freelist",
		    "the same with per-CPU lists, run by run", &pair[1],
		    &pair[4]);
	bench_ratio("host.order0_pair.pcp_vs_before",
		    "per-CPU pair now / before (" BENCH_OLD_REV_STR
		    "), same driver, run by run",
		    &pair[2], &pair[3]);
	bench_ratio("host.order0_pair.pcp_vs_freelist_nolock",
		    "per-CPU pair / unlocked free list, run by run", &pair[2],
		    &pair[5]);
	bench_ratio("host.order0_pair.buddy_vs_pcp",
		    "zone-locked buddy time / per-CPU list time, run by run",
		    &pair[0], &pair[1]);

	bench_two_threads(&node, arena, ARENA_PHYS, ARENA_BYTES, PAIRS / 2,
			  buddy_pair_setup);
	bench_ratio("host.order0_pair.bitmap_vs_freelist",
		    "bitmap time / free list time, run by run", &pair[6],
		    &pair[4]);

	struct contender mixed[] = {
		{ "host.mixed_0_4.buddy",
		  "Labyrinth: random orders 0..4, ~50% full, per alloc or free",
		  buddy_mixed_setup,
		  buddy_mixed,
		  { 0 } },
		{ "host.mixed_0_4.bitmap",
		  "bitmap: aligned runs of 1..16 clear bits, next fit",
		  bitmap_mixed_setup,
		  bitmap_mixed,
		  { 0 } },
		{ "host.mixed_0_4.driver",
		  "Labyrinth, per-CPU lists on: pair_driver.c's mixed stream, "
		  "per free + alloc",
		  mixed_driver_setup,
		  mixed_driver_time,
		  { 0 } },
		{ "host.mixed_0_4.driver_before",
		  "the same built against the tree before the last hot-path "
		  "change (" BENCH_OLD_REV_STR ")",
		  old_mixed_driver_setup,
		  old_mixed_driver_time,
		  { 0 } },
		{ "host.mixed_0_4.driver_zone",
		  "the driver's stream with per-CPU lists off: the zone path",
		  mixed_zone_driver_setup,
		  mixed_driver_time,
		  { 0 } },
		{ "host.mixed_0_4.driver_zone_before",
		  "the same, before (" BENCH_OLD_REV_STR ")",
		  old_mixed_zone_driver_setup,
		  old_mixed_driver_time,
		  { 0 } },
	};
	bench_section("Mixed sizes (orders 0..4, 4..64 KiB)",
		      "2560 slots, each holding a block of a random order "
		      "0..4 (about 48 % of the 128 MiB); each step frees one "
		      "slot's block and allocates a new random order. ns per "
		      "operation (one alloc or one free). The free list cannot "
		      "hand out contiguous blocks, so it has no figure here.");
	mixed_failed = 0;
	bench_interleave(mixed, 6);
	bench_ratio("host.mixed_0_4.buddy_vs_bitmap",
		    "buddy time / bitmap time, run by run", &mixed[0],
		    &mixed[1]);
	bench_ratio("host.mixed_0_4.driver_vs_before",
		    "mixed stream now / before (" BENCH_OLD_REV_STR
		    "), same driver, run by run",
		    &mixed[2], &mixed[3]);
	bench_ratio("host.mixed_0_4.driver_zone_vs_before",
		    "zone path now / before (" BENCH_OLD_REV_STR
		    "), same driver, run by run",
		    &mixed[4], &mixed[5]);
	if (mixed_failed)
		bench_note("%llu mixed allocations failed (counted in the "
			   "time; a failure is an answer too)",
			   (unsigned long long)mixed_failed);

	struct contender full[] = {
		{ "host.nearly_full_pair.buddy",
		  "Labyrinth: two free pages left, at opposite ends",
		  buddy_full_setup,
		  buddy_full,
		  { 0 } },
		{ "host.nearly_full_pair.bitmap",
		  "bitmap: the same; each alloc scans half of a 4 KiB bitmap",
		  bitmap_full_setup,
		  bitmap_full,
		  { 0 } },
	};
	bench_section("Nearly full (order-0 pair)",
		      "All of the 128 MiB in use but two pages, one at each "
		      "end. ns per alloc + free pair. The bitmap's scan is "
		      "proportional to memory size: 512 times longer at 64 GiB.");
	bench_interleave(full, 2);
	bench_ratio("host.nearly_full_pair.bitmap_vs_buddy",
		    "bitmap time / buddy time, run by run", &full[1], &full[0]);

	bench_split10();

	struct contender bulk[] = {
		{ "host.bulk64.bulk",
		  "alloc_pages_bulk of 64, freed one by one",
		  buddy_pair_setup,
		  bulk_bulk,
		  { 0 } },
		{ "host.bulk64.singles",
		  "64 alloc_pages(0), freed one by one",
		  buddy_pair_setup,
		  bulk_singles,
		  { 0 } },
	};
	bench_section("Many pages at once (alloc_pages_bulk)",
		      "64 order-0 pages per round, no per-CPU lists; ns per "
		      "page, alloc + free.");
	bench_interleave(bulk, 2);
	bench_ratio("host.bulk64.bulk_vs_singles",
		    "bulk time / single calls time, run by run", &bulk[0],
		    &bulk[1]);
	munmap(arena, ARENA_BYTES);
	bench_random();
	if (!getenv("BENCH_ONLY")) { /* not contenders: all or nothing */
		bench_compact();
		bench_init_sweep(dir);
	}
	bench_close();
	return 0;
}
