/*
 * Issue 16's random workloads (`make bench`): an untimed warm-up to half of
 * the pages in use, then RANDOM_OPS timed operations, each a fair coin
 * between allocating a block of a uniformly random order (0..4, or 0 only)
 * and freeing a uniformly random live block, forced to allocate at <= 45 %
 * of the pages in use and to free at >= 55 %. Every contender gets the
 * same precomputed stream: Labyrinth with and without its per-CPU lists,
 * the two peer buddies of peers.h, and for order 0 the unlocked xv6 free
 * list. Over 1 GiB and 16 GiB of host memory on 2 MiB pages (16 GiB only
 * where the host has the memory free). docs/08-measuring.md ("Against the
 * peers").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mm/page_alloc.h"
#include "mm/pcp.h"
#include "tools/bench/baselines.h"
#include "tools/bench/bench.h"
#include "tools/bench/peers.h"

#ifndef BENCH_OLD_REV_STR
#define BENCH_OLD_REV_STR "BENCH_OLD_REV"
#endif

#define RANDOM_PHYS (1ULL << 40) /* the arena plays RAM at 1 TiB */
#define RANDOM_OPS (1000000 / bench_scale)

static struct {
	char *arena;
	uint64_t bytes, pages, max_order;
	uint64_t *stream; /* RANDOM_OPS precomputed random words */
	struct {
		uint64_t h;
		unsigned int order;
	} * live;
	uint64_t nlive, used;
	/* the contender being timed */
	uint64_t (*alloc)(unsigned int order); /* 0: failed */
	void (*free)(uint64_t h, unsigned int order);
	bool (*check)(void); /* after freeing everything: all whole again */
	uint64_t lab_free;   /* Labyrinth's free pages before the warm-up */
	uint64_t failed;
} rw;

static struct pglist_data rw_node;
static struct peer_buddy rw_peer;
static uint64_t *rw_peer_bits;
static struct freelist rw_fl;

static uint64_t lab_alloc(unsigned int order)
{
	return pgdat_alloc_pages(&rw_node, GFP_KERNEL | __GFP_NOWARN, order);
}
static void lab_free(uint64_t h, unsigned int order)
{
	pgdat_free_pages(&rw_node, h, order);
}
static uint64_t peer_alloc_h(unsigned int order)
{
	int64_t p = peer_alloc(&rw_peer, order);
	return p < 0 ? 0 : (uint64_t)p + 1;
}
static void peer_free_h(uint64_t h, unsigned int order)
{
	peer_free(&rw_peer, h - 1, order);
}
static uint64_t fl_alloc(unsigned int order)
{
	(void)order;
	return (uint64_t)(uintptr_t)freelist_alloc_nolock(&rw_fl);
}
static void fl_free(uint64_t h, unsigned int order)
{
	(void)order;
	freelist_free_nolock(&rw_fl, (void *)(uintptr_t)h);
}

static bool lab_check(void)
{
	return pgdat_check(&rw_node) == 0 &&
	       pgdat_nr_free_pages(&rw_node) + pcp_parked_pages(&rw_node) ==
		   rw.lab_free;
}
static bool peer_check(void)
{
	uint64_t whole = 0;
	for (struct peer_block *e = rw_peer.free_list[PEER_MAX_ORDER].next;
	     e != &rw_peer.free_list[PEER_MAX_ORDER]; e = e->next)
		whole++;
	return whole == rw.pages >> PEER_MAX_ORDER;
}
static bool fl_check(void)
{
	return rw_fl.nfree == rw.pages;
}

static void one_alloc(uint64_t r)
{
	unsigned int order = (unsigned int)((r >> 1) % (rw.max_order + 1));
	uint64_t h = rw.alloc(order);
	if (!h) {
		rw.failed++;
		return;
	}
	rw.live[rw.nlive].h = h;
	rw.live[rw.nlive++].order = order;
	rw.used += 1ULL << order;
}

static void one_free(uint64_t r)
{
	uint64_t k = (r >> 8) % rw.nlive;
	rw.free(rw.live[k].h, rw.live[k].order);
	rw.used -= 1ULL << rw.live[k].order;
	rw.live[k] = rw.live[--rw.nlive];
}

/* The warm-up: the same seed for every run and contender. */
static void warm_up(void)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	rw.nlive = rw.used = rw.failed = 0;
	while (rw.used * 2 < rw.pages && !rw.failed) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		one_alloc(x);
	}
}

/* The timed operations alone, out of line so that callgrind can count
 * them (--toggle-collect=random_ops; BENCH_ONLY picks the contender). */
static __attribute__((noinline)) void random_ops(void)
{
	for (uint64_t i = 0; i < (uint64_t)RANDOM_OPS; i++) {
		uint64_t r = rw.stream[i];
		if (rw.used * 100 <= rw.pages * 45 ||
		    (rw.used * 100 < rw.pages * 55 && (r & 1)))
			one_alloc(r);
		else
			one_free(r);
	}
}

static double timed_ops(void)
{
	double t0 = bench_now_ns();
	random_ops();
	double ns = (bench_now_ns() - t0) / RANDOM_OPS;
	if (rw.failed)
		bench_note("(%llu requests failed in that run)",
			   (unsigned long long)rw.failed);
	/* Untimed: everything back, and every block merged again. */
	while (rw.nlive)
		one_free(0);
	if (!rw.check())
		bench_note("(the contender's state is wrong after the run!)");
	return ns;
}

/* A node over `bytes` of arena at phys: one range, watermarks 0, no
 * protection (mm_bench.c's contenders use it too). */
void bench_node_init(struct pglist_data *node, void *arena, uint64_t phys,
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
		fprintf(stderr, "mm-bench: pgdat_init failed\n");
		exit(1);
	}
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int w = 0; w < NR_WMARK; w++)
			node->node_zones[z].watermark[w] = 0;
	static const unsigned int no_protection[MAX_NR_ZONES];
	pgdat_set_lowmem_reserve_ratio(node, no_protection);
}

static void lab_setup(bool pcp, bool groups)
{
	bench_node_init(&rw_node, rw.arena, RANDOM_PHYS, rw.bytes);
	if (pcp)
		pgdat_pcp_enable(&rw_node, 1);
	for (int z = 0; pcp && !groups && z < MAX_NR_ZONES; z++) {
		struct per_cpu_pages *c = rw_node.node_zones[z].pcp;
		if (c)
			pcp_set_sizes(c, c->batch, c->high, false);
	}
	pgdat_pcp_orders_update(&rw_node);
	rw.lab_free = pgdat_nr_free_pages(&rw_node);
	rw.alloc = lab_alloc, rw.free = lab_free, rw.check = lab_check;
	warm_up();
}
static void lab_pcp_setup(void)
{
	lab_setup(true, true);
}
static void lab_zone_setup(void)
{
	lab_setup(false, false);
}
/* The caches as before groups (docs/08c, "Two CPUs, one cache line"):
 * every refill a batch, frame by frame. */
static void lab_batches_setup(void)
{
	lab_setup(true, false);
}
/* The same Labyrinth contender through pair_driver.c, built against this
 * tree and against the tree before the last hot-path change (bench.mk,
 * BENCH_OLD_REV): before and after from one run. */
static void driver_setup(void)
{
	random_driver_setup(rw.arena, RANDOM_PHYS, rw.bytes);
	rw.alloc = random_driver_alloc, rw.free = random_driver_free;
	rw.check = random_driver_check;
	warm_up();
}
static void old_driver_setup(void)
{
	old_random_driver_setup(rw.arena, RANDOM_PHYS, rw.bytes);
	rw.alloc = old_random_driver_alloc, rw.free = old_random_driver_free;
	rw.check = old_random_driver_check;
	warm_up();
}
static void peer_setup(bool per_page)
{
	memset(rw_peer_bits, 0, rw.pages / 8);
	peer_init(&rw_peer, per_page, rw.arena, rw.bytes, rw_peer_bits);
	rw.alloc = peer_alloc_h, rw.free = peer_free_h, rw.check = peer_check;
	warm_up();
}
static void bbuddy_setup(void)
{
	peer_setup(true);
}
static void tagbuddy_setup(void)
{
	peer_setup(false);
}
static void freelist_setup(void)
{
	freelist_init(&rw_fl, rw.arena, rw.bytes);
	rw.alloc = fl_alloc, rw.free = fl_free, rw.check = fl_check;
	warm_up();
}

uint64_t bench_mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kib << 10;
}

static void random_at(uint64_t bytes, unsigned int max_order)
{
	char name[8][48];
	struct contender c[8];
	int n = 0;
	const char *size = bytes >> 30 == 1 ? "1g" : "16g";
	rw.bytes = bytes, rw.pages = bytes >> 12, rw.max_order = max_order;
	/* Adds a contender; its index. */
#define CONTENDER(tag, what, setup)                                           \
	(snprintf(name[n], sizeof name[n], "host.random%s_%s.%s",             \
		  max_order ? "0_4" : "0", size, tag),                        \
	 c[n] = (struct contender){ name[n], what, setup, timed_ops, { 0 } }, \
	 n++)
	int pcp =
	    CONTENDER("pcp", "Labyrinth, per-CPU lists on", lab_pcp_setup);
	CONTENDER("zone", "Labyrinth, zone lock (per-CPU lists off)",
		  lab_zone_setup);
	CONTENDER("bbuddy", "bbuddy: Unikraft-style, a bit per page",
		  bbuddy_setup);
	int tag =
	    CONTENDER("tagbuddy",
		      "tagbuddy: Nautilus-style, a tag bit per block head",
		      tagbuddy_setup);
	int batches =
	    CONTENDER("pcp_batches",
		      "per-CPU lists on, refills a batch frame by frame (no groups)",
		      lab_batches_setup);
	/* Order 0 too: a change to the caches' sizes moves it (docs/08c,
	 * "Order 4 too"). */
	int now = CONTENDER("driver", "per-CPU lists on, through pair_driver.c",
			    driver_setup);
	int before = CONTENDER("driver_before",
			       "the same, before the last hot-path change "
			       "(" BENCH_OLD_REV_STR ")",
			       old_driver_setup);
	int fl = -1;
	if (!max_order)
		fl = CONTENDER("freelist_nolock",
			       "xv6 free list, no lock (order 0 only)",
			       freelist_setup);
#undef CONTENDER
	bench_interleave(c, n);
	char rname[512];
	for (int i = 0; i < n; i++) {
		if (i == tag || i == now || i == before)
			continue;
		snprintf(rname, sizeof rname, "%s_vs_tagbuddy", name[i]);
		bench_ratio(rname, "its time / tagbuddy's, run by run", &c[i],
			    &c[tag]);
	}
	snprintf(rname, sizeof rname, "%s_vs_batches", name[pcp]);
	bench_ratio(rname, "refills by groups / by batches, run by run",
		    &c[pcp], &c[batches]);
	snprintf(rname, sizeof rname, "%s_vs_before", name[now]);
	bench_ratio(rname,
		    "now / before (" BENCH_OLD_REV_STR
		    "), same driver, run by run",
		    &c[now], &c[before]);
	/* Issue 16's goal for order 0: at or below the unlocked free list. */
	if (fl >= 0) {
		snprintf(rname, sizeof rname, "%s_vs_freelist_nolock",
			 name[pcp]);
		bench_ratio(rname,
			    "per-CPU caches / unlocked free list, run by run",
			    &c[pcp], &c[fl]);
	}
}

void bench_random(void)
{
	static const uint64_t sizes[2] = { 1ULL << 30, 16ULL << 30 };
	bench_section("Random workloads against the peers (issue 16)",
		      "ns per operation; 45-55 % of pages in use; the same "
		      "stream for every contender.");
	rw.stream = malloc(RANDOM_OPS * sizeof *rw.stream);
	uint64_t x = 0x2545F4914F6CDD1DULL;
	for (uint64_t i = 0; i < (uint64_t)RANDOM_OPS; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		rw.stream[i] = x;
	}
	for (int s = 0; s < 2; s++) {
		uint64_t bytes = sizes[s];
		if (s && (bench_scale > 1 ||
			  bench_mem_available() < bytes + (4ULL << 30))) {
			bench_note("(16 GiB: skipped, %s)",
				   bench_scale > 1 ? "--quick"
						   : "less than 20 GiB free");
			continue;
		}
		rw.arena =
		    mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		rw.live = malloc((bytes >> 12) * sizeof *rw.live);
		rw_peer_bits = malloc((bytes >> 12) / 8);
		if (rw.arena == MAP_FAILED || !rw.live || !rw_peer_bits) {
			bench_note("(%llu GiB: no memory for the arena)",
				   (unsigned long long)(bytes >> 30));
			continue;
		}
		madvise(rw.arena, bytes, MADV_HUGEPAGE);
		memset(rw.arena, 0, bytes); /* no page faults while timing */
		random_at(bytes, 4);
		random_at(bytes, 0);
		munmap(rw.arena, bytes);
		free(rw.live);
		free(rw_peer_bits);
	}
	free(rw.stream);
}
