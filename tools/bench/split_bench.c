/*
 * The buddy allocator's worst case in `make bench`: one page from a lone
 * free 4 MiB block and back, ten splits and ten merges per pair, on
 * Labyrinth's zone path (per-CPU lists off) and on the two peers of
 * peers.h, and pair_driver.c's copy of it built against this tree and
 * against BENCH_OLD_REV. Ratios run by run. docs/08b-the-zone-path.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/page_alloc.h"
#include "tools/bench/bench.h"
#include "tools/bench/peers.h"

#ifndef BENCH_OLD_REV_STR
#define BENCH_OLD_REV_STR "BENCH_OLD_REV"
#endif

#define SPLIT_PHYS (1ULL << 36) /* the arena plays RAM at 64 GiB */
#define SPLIT_BYTES (8ULL << 20)
#define SPLIT_PAIRS (500000 / bench_scale)

/*
 * Where a struct lands moves what its hot fields share a first-level cache
 * set with (docs/08b, "Where the struct lands"): each setup puts the node,
 * or the peer's struct, 9 cache lines on from where that contender's last
 * run had it, as pair_driver.c's node_place() does. The k-th runs of all
 * contenders share a placement, and every median is over placements.
 */
struct placed {
	char space[sizeof(struct pglist_data) + 4096]
	    __attribute__((aligned(4096)));
	unsigned int runs;
};
_Static_assert(sizeof(struct peer_buddy) <= sizeof(struct pglist_data),
	       "a peer's struct fits a node's space");
static struct placed lab_place, bbuddy_place, tagbuddy_place;

static void *place(struct placed *pl)
{
	unsigned int line = (pl->runs++ * 9) % 64;
	return pl->space + line * 64;
}

static struct pglist_data *split_nodep;
#define split_node (*split_nodep)
static struct peer_buddy *split_peerp;
#define split_peer (*split_peerp)
static uint64_t split_peer_bits[(SPLIT_BYTES >> 12) / 64];
static char *split_arena;

/* 8 MiB; the lower 4 MiB stays one free block, the rest is taken (movable:
 * unmovable requests would claim that block, docs/10), so every pair
 * splits ten times and merges ten times. */
static void lab_split_setup(void)
{
	split_nodep = place(&lab_place);
	bench_node_init(&split_node, split_arena, SPLIT_PHYS, SPLIT_BYTES);
	for (int o = MAX_ORDER - 1; o >= 0; o--)
		while (split_node.node_zones[ZONE_NORMAL].free_area[o].nr_free)
			pgdat_alloc_pages(&split_node, GFP_MOVABLE,
					  (unsigned int)o);
}

static double lab_split_pair(void)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < SPLIT_PAIRS; i++) {
		uint64_t p = pgdat_alloc_pages(&split_node, GFP_KERNEL, 0);
		pgdat_free_pages(&split_node, p, 0);
	}
	return (bench_now_ns() - t0) / SPLIT_PAIRS;
}

/* A peer over 4 MiB: one block of order 10, the only one. */
static void peer_split_setup(bool per_page)
{
	split_peerp = place(per_page ? &bbuddy_place : &tagbuddy_place);
	memset(split_peer_bits, 0, sizeof split_peer_bits);
	peer_init(&split_peer, per_page, split_arena, 4 << 20, split_peer_bits);
}
static void bbuddy_split_setup(void)
{
	peer_split_setup(true);
}
static void tagbuddy_split_setup(void)
{
	peer_split_setup(false);
}

static double peer_split_pair(void)
{
	double t0 = bench_now_ns();
	for (int i = 0; i < SPLIT_PAIRS; i++) {
		int64_t p = peer_alloc(&split_peer, 0);
		peer_free(&split_peer, (uint64_t)p, 0);
	}
	double ns = (bench_now_ns() - t0) / SPLIT_PAIRS;
	if (split_peer.free_list[PEER_MAX_ORDER].next ==
	    &split_peer.free_list[PEER_MAX_ORDER])
		bench_note("(the peer's 4 MiB block did not merge back!)");
	return ns;
}

void bench_split10(void)
{
	split_arena = mmap(NULL, SPLIT_BYTES, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (split_arena == MAP_FAILED) {
		perror("mm-bench: split10: mmap");
		exit(1);
	}
	memset(split_arena, 0, SPLIT_BYTES); /* no page faults while timing */
	struct contender split[] = {
		{ "host.split10_pair.buddy",
		  "one page from a lone 4 MiB block and back: 10 splits, 10 "
		  "merges (zone lock, per-CPU lists off)",
		  lab_split_setup,
		  lab_split_pair,
		  { 0 } },
		{ "host.split10_pair.bbuddy",
		  "the same on bbuddy (Unikraft-style, a bit per page)",
		  bbuddy_split_setup,
		  peer_split_pair,
		  { 0 } },
		{ "host.split10_pair.tagbuddy",
		  "the same on tagbuddy (Nautilus-style, a tag bit per head)",
		  tagbuddy_split_setup,
		  peer_split_pair,
		  { 0 } },
		{ "host.split10_pair.driver",
		  "the same, pair_driver.c built against this tree",
		  split_driver_setup,
		  split_driver_time,
		  { 0 } },
		{ "host.split10_pair.driver_before",
		  "the same, pair_driver.c built against the tree before the "
		  "last hot-path change (" BENCH_OLD_REV_STR ")",
		  old_split_driver_setup,
		  old_split_driver_time,
		  { 0 } },
	};
	bench_section("The buddy allocator's worst case",
		      "ns per alloc + free pair of one page from a lone 4 MiB "
		      "block.");
	bench_interleave(split, 5);
	bench_ratio("host.split10_pair.buddy_vs_bbuddy",
		    "Labyrinth time / bbuddy's, run by run", &split[0],
		    &split[1]);
	bench_ratio("host.split10_pair.buddy_vs_tagbuddy",
		    "Labyrinth time / tagbuddy's, run by run", &split[0],
		    &split[2]);
	bench_ratio("host.split10_pair.driver_vs_before",
		    "now / before (" BENCH_OLD_REV_STR "), same driver, run "
		    "by run",
		    &split[3], &split[4]);
	munmap(split_arena, SPLIT_BYTES);
}
