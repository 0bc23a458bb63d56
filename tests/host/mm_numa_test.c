/*
 * The allocator on several nodes (mm/node.c, mm/node_init.c) over host
 * memory: three (or four) nodes side by side in one arena, each with its
 * own pglist_data, and this thread playing a CPU of one node or another
 * (host_set_numa_node). The fallback order by distance, a node without
 * memory, the node of a frame, alloc_pages_node's passes and counters,
 * __GFP_THISNODE, bad tables, and the split of a memory map by node
 * ranges. Host only: the target suite numa_alloc does the same on QEMU's
 * NUMA machines. docs/11-numa.md ("The allocator on many nodes").
 */
#include "mm/node.h"
#include "mm/internal.h"
#include "mm/pcp.h"

#include <stdlib.h>
#include <sys/mman.h>

#include "kernel/lib/printk.h"
#include "kernel/lib/string.h"
#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define NODE_BYTES (8UL << 20)
#define MAX_TEST_NODES 4
#define QUIET (__GFP_NOWARN)

static struct pglist_data nodes[MAX_TEST_NODES];
static struct memmap_range ranges[MAX_TEST_NODES];
static char *arena;
static uint64_t arena_phys;

/* Node i over [arena + i * NODE_BYTES, ...); a NULL slot in `with` is a
 * node without memory. Distances as given. */
static bool setup(struct ktest *t, unsigned int nr, const bool *memory,
		  const uint8_t distance[][MM_MAX_NODES])
{
	struct pglist_data *pgdat[MM_MAX_NODES] = { NULL };
	arena = mm_test_arena(NODE_BYTES * MAX_TEST_NODES, &arena_phys);
	if (!arena) {
		ktest_skip(t, "no test arena on this platform");
		return false;
	}
	for (unsigned int i = 0; i < nr; i++) {
		if (!memory[i])
			continue;
		ranges[i] =
		    (struct memmap_range){ arena_phys + i * NODE_BYTES,
					   arena_phys + (i + 1) * NODE_BYTES, 7,
					   0 };
		struct pgdat_config cfg = {
			.usable = &ranges[i],
			.nr_usable = 1,
			.direct_map_offset =
			    (uint64_t)(uintptr_t)arena - arena_phys,
		};
		memset(&nodes[i], 0, sizeof(nodes[i]));
		if (pgdat_init(&nodes[i], &cfg)) {
			ktest_fail(t, __FILE__, __LINE__, "pgdat_init failed");
			return false;
		}
		pgdat[i] = &nodes[i];
	}
	if (mm_nodes_setup(nr, pgdat, distance)) {
		ktest_fail(t, __FILE__, __LINE__, "mm_nodes_setup failed");
		return false;
	}
	return true;
}

static void teardown(struct ktest *t)
{
	for (unsigned int i = 0; i < mm_nodes.nr_nodes; i++)
		if (NODE_DATA(i))
			KTEST_EXPECT_EQ(t, pgdat_check(NODE_DATA(i)), 0);
	mm_nodes_reset();
	host_set_numa_node(0);
	mm_test_arena_free(arena, NODE_BYTES * MAX_TEST_NODES);
}

/* Four nodes; the nearest to 2 is 3, not the lowest id; 3 to 0 differs
 * from 0 to 3 (QEMU's numa-4node-dist line has the same table). */
static const uint8_t four[MM_MAX_NODES][MM_MAX_NODES] = {
	{ 10, 15, 20, 25 },
	{ 15, 10, 30, 35 },
	{ 20, 30, 10, 12 },
	{ 26, 35, 12, 10 },
};

static void test_fallback_order_by_distance(struct ktest *t)
{
	static const bool all[4] = { true, true, true, true };
	if (!setup(t, 4, all, four))
		return;
	static const uint8_t want[4][4] = {
		{ 0, 1, 2, 3 }, { 1, 0, 2, 3 }, { 2, 3, 0, 1 }, { 3, 2, 0, 1 }
	};
	for (unsigned int n = 0; n < 4; n++) {
		KTEST_EXPECT_EQ(t, mm_nodes.nr_order[n], 4);
		for (unsigned int k = 0; k < 4; k++)
			KTEST_EXPECT_EQ(t, mm_nodes.order[n][k], want[n][k]);
		KTEST_EXPECT_EQ(t, NODE_DATA(n)->node_id, (int)n);
	}
	teardown(t);
}

static void test_node_without_memory(struct ktest *t)
{
	static const bool mem[3] = { true, false, true };
	static const uint8_t d[MM_MAX_NODES][MM_MAX_NODES] = { { 10, 30, 20 },
							       { 30, 10, 15 },
							       { 20, 15, 10 } };
	if (!setup(t, 3, mem, d))
		return;
	/* Node 1's requests go to 2 (15), then 0; it is in no order. */
	KTEST_EXPECT_EQ(t, mm_nodes.nr_order[1], 2);
	KTEST_EXPECT_EQ(t, mm_nodes.order[1][0], 2);
	KTEST_EXPECT_EQ(t, mm_nodes.order[1][1], 0);
	KTEST_EXPECT_EQ(t, mm_nodes.nr_order[0], 2);
	host_set_numa_node(1);
	uint64_t phys = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 0);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT), NODE_DATA(2));
	/* Its numa_hit: node 2 was the preferred one; other_node: this
	 * "CPU" is not on node 2. */
	KTEST_EXPECT_EQ(t, NODE_DATA(2)->numa.numa_hit, 1);
	KTEST_EXPECT_EQ(t, NODE_DATA(2)->numa.other_node, 1);
	KTEST_EXPECT_EQ(t, NODE_DATA(2)->numa.local_node, 0);
	/* meminfo and zoneinfo show them, node by node. */
	static char log[8192];
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	meminfo_show(NODE_DATA(2));
	zoneinfo_show(NODE_DATA(2));
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(
		log,
		"Node 2: numa_hit 1 numa_miss 0 numa_foreign 0 local_node 0 other_node 1"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log,
					    "Node 2, numa_hit 1 numa_miss 0"));
	/* A node without memory has none to give with __GFP_THISNODE. */
	KTEST_EXPECT_EQ(t, alloc_pages_node(1, GFP_KERNEL | __GFP_THISNODE, 0),
			0);
	pgdat_free_pages(NODE_DATA(2), phys, 0);
	teardown(t);
}

static void test_frame_to_node(struct ktest *t)
{
	static const bool all[4] = { true, true, true, true };
	if (!setup(t, 4, all, four))
		return;
	for (unsigned int n = 0; n < 4; n++) {
		uint64_t first = ranges[n].start >> PAGE_SHIFT;
		uint64_t last = (ranges[n].end >> PAGE_SHIFT) - 1;
		KTEST_EXPECT_EQ(t, pfn_to_pgdat(first), NODE_DATA(n));
		KTEST_EXPECT_EQ(t, pfn_to_pgdat(last), NODE_DATA(n));
	}
	KTEST_EXPECT_EQ(t, pfn_to_pgdat((ranges[3].end >> PAGE_SHIFT) + 1),
			NULL);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(1), NULL);
	teardown(t);
}

/* Takes node n's pages with __GFP_THISNODE (no kswapd) until it says no,
 * chained through their first word; returns the chain. */
static uint64_t take_node(unsigned int n, uint64_t *count)
{
	uint64_t chain = 0, phys;
	*count = 0;
	while ((phys = alloc_pages_node((int)n, QUIET | __GFP_THISNODE, 0))) {
		*(uint64_t *)(arena + (phys - arena_phys)) = chain;
		chain = phys;
		(*count)++;
	}
	return chain;
}

static void give_back(uint64_t chain)
{
	while (chain) {
		uint64_t next = *(uint64_t *)(arena + (chain - arena_phys));
		pgdat_free_pages(pfn_to_pgdat(chain >> PAGE_SHIFT), chain, 0);
		chain = next;
	}
}

static void test_local_then_nearest(struct ktest *t)
{
	static const bool all[4] = { true, true, true, true };
	if (!setup(t, 4, all, four))
		return;
	host_set_numa_node(2);
	/* Local while node 2 has memory above low. */
	uint64_t phys = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 0);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT), NODE_DATA(2));
	KTEST_EXPECT_EQ(t, NODE_DATA(2)->numa.numa_hit, 1);
	KTEST_EXPECT_EQ(t, NODE_DATA(2)->numa.local_node, 1);
	pgdat_free_pages(NODE_DATA(2), phys, 0);
	/* Node 2 taken down to its min: node 3 next (12), not 0 (20). */
	uint64_t n2;
	uint64_t held = take_node(2, &n2);
	ktest_diag(t, "node 2 gave %llu pages with __GFP_THISNODE",
		   (unsigned long long)n2);
	KTEST_EXPECT_GT(t, n2, NODE_DATA(2)->totalram_pages * 9 / 10);
	for (int order = 0; order <= 3; order += 3) {
		phys = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, order);
		KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT),
				NODE_DATA(3));
		pgdat_free_pages(NODE_DATA(3), phys, order);
	}
	KTEST_EXPECT_EQ(t, NODE_DATA(3)->numa.numa_miss, 2);
	KTEST_EXPECT_EQ(t, NODE_DATA(3)->numa.other_node, 2);
	KTEST_EXPECT_EQ(t, NODE_DATA(2)->numa.numa_foreign, 2);
	/* __GFP_THISNODE fails rather than go there. */
	KTEST_EXPECT_EQ(t,
			alloc_pages_node(2, GFP_KERNEL | __GFP_THISNODE | QUIET,
					 0),
			0);
	/* Node 3 taken too: node 0 (20), then 1 (30). */
	uint64_t n3, n0;
	uint64_t held3 = take_node(3, &n3);
	phys = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 0);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT), NODE_DATA(0));
	pgdat_free_pages(NODE_DATA(0), phys, 0);
	uint64_t held0 = take_node(0, &n0);
	phys = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 0);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT), NODE_DATA(1));
	pgdat_free_pages(NODE_DATA(1), phys, 0);
	give_back(held);
	give_back(held3);
	give_back(held0);
	teardown(t);
}

/* GFP_ATOMIC may go below min on each node in turn: with every node at
 * its min, it still gets pages, from the nearest node first. */
static void test_atomic_uses_the_nearest_reserve(struct ktest *t)
{
	static const bool all[4] = { true, true, true, true };
	if (!setup(t, 4, all, four))
		return;
	uint64_t n, held[4];
	for (unsigned int i = 0; i < 4; i++)
		held[i] = take_node(i, &n);
	host_set_numa_node(3);
	KTEST_EXPECT_EQ(t, alloc_pages_node(NUMA_NO_NODE, QUIET, 0), 0);
	uint64_t phys = alloc_pages_node(NUMA_NO_NODE, GFP_ATOMIC, 0);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT), NODE_DATA(3));
	pgdat_free_pages(NODE_DATA(3), phys, 0);
	for (unsigned int i = 0; i < 4; i++)
		give_back(held[i]);
	teardown(t);
}

static void test_bad_tables_are_refused(struct ktest *t)
{
	struct pglist_data *none[MM_MAX_NODES] = { NULL };
	struct pglist_data *one[MM_MAX_NODES] = { &nodes[0] };
	static const uint8_t d[MM_MAX_NODES][MM_MAX_NODES] = { { 10 } };
	static const uint8_t bad[MM_MAX_NODES][MM_MAX_NODES] = { { 20 } };
	static const uint8_t tie[MM_MAX_NODES][MM_MAX_NODES] = { { 10, 10 },
								 { 10, 10 } };
	struct pglist_data *two[MM_MAX_NODES] = { &nodes[0], &nodes[1] };
	int saved = console_loglevel;
	console_loglevel = 0;
	KTEST_EXPECT_EQ(t, mm_nodes_setup(0, one, d), -1);
	KTEST_EXPECT_EQ(t, mm_nodes_setup(MM_MAX_NODES + 1, one, d), -1);
	KTEST_EXPECT_EQ(t, mm_nodes_setup(1, none, d), -1);
	KTEST_EXPECT_EQ(t, mm_nodes_setup(1, one, bad), -1);
	KTEST_EXPECT_EQ(t, mm_nodes_setup(2, two, tie), -1);
	console_loglevel = saved;
	/* Nothing was registered. */
	KTEST_EXPECT_EQ(t, mm_nodes.nr_nodes, 0);
	KTEST_EXPECT_FALSE(t, mm_numa_on());
	/* A request for a node that does not exist is refused. */
	console_loglevel = 0;
	KTEST_EXPECT_EQ(t, alloc_pages_node(5, GFP_KERNEL, 0), 0);
	console_loglevel = saved;
}

static void test_map_split_by_node(struct ktest *t)
{
	/* Node 0: [0, 32 MiB) and [64, 96 MiB); node 1: [32, 64 MiB) and
	 * [96 MiB + 6 KiB, 128 MiB) (not page-aligned: rounded inward). */
	static const struct mm_node_range r[] = {
		{ 0, 32 << 20, 0 },
		{ 32 << 20, 64 << 20, 1 },
		{ 64 << 20, 96 << 20, 0 },
		{ (96 << 20) + 6144, 128 << 20, 1 },
	};
	static const uint8_t d[MM_MAX_NODES][MM_MAX_NODES] = { { 10, 20 },
							       { 20, 10 } };
	KTEST_ASSERT_TRUE(t, mm_set_boot_nodes(2, r, 4, d) == 0);
	static const struct memmap_range in[] = {
		{ 1 << 20, 40 << 20, 7, 1 },
		{ 90 << 20, 100 << 20, 7, 1 },
		{ 130 << 20, 132 << 20, 7, 1 }, /* in no node: home's */
	};
	struct memmap_range out[8];
	unsigned int n = mm_node_split(in, 3, 0, 0, out, 8);
	KTEST_ASSERT_TRUE(t, n == 4);
	KTEST_EXPECT_EQ(t, out[0].start, 1 << 20);
	KTEST_EXPECT_EQ(t, out[0].end, 32 << 20);
	KTEST_EXPECT_EQ(t, out[1].start, 90 << 20);
	KTEST_EXPECT_EQ(t, out[1].end, 96 << 20);
	/* [96 MiB, 96 MiB + 6 KiB) is in no node: home's, rounded in. */
	KTEST_EXPECT_EQ(t, out[2].start, 96 << 20);
	KTEST_EXPECT_EQ(t, out[2].end, (96 << 20) + 4096);
	KTEST_EXPECT_EQ(t, out[3].start, 130 << 20);
	KTEST_EXPECT_EQ(t, out[3].zone, 1);
	n = mm_node_split(in, 3, 1, 0, out, 8);
	KTEST_ASSERT_TRUE(t, n == 2);
	KTEST_EXPECT_EQ(t, out[0].start, 32 << 20);
	KTEST_EXPECT_EQ(t, out[0].end, 40 << 20);
	KTEST_EXPECT_EQ(t, out[1].start, (96 << 20) + 8192);
	KTEST_EXPECT_EQ(t, out[1].end, 100 << 20);
	/* A range of a node that does not exist is refused, named. */
	static const struct mm_node_range wrong[] = { { 0, 1 << 20, 2 } };
	int saved = console_loglevel;
	console_loglevel = 0;
	KTEST_EXPECT_EQ(t, mm_set_boot_nodes(2, wrong, 1, d), -1);
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, mm_set_boot_nodes(0, NULL, 0, d), 0);
}

/*
 * The shape of a 16-socket, 12 TiB machine: node i's range starts at
 * i * 768 GiB. Here each node has 1 GiB of RAM at the start of its range
 * and the rest is a hole (host memory allows no more in a test; `make
 * bench` inits the full 12 TiB). Every node's metadata is what one node of
 * 1 GiB at the bottom of memory needs: the holes cost nothing. The
 * distances are a two-level SLIT (10 local, 16 the other socket of the
 * board, 32 elsewhere).
 */
#define SOCKETS 16
static void test_sixteen_sockets(struct ktest *t)
{
	const uint64_t stride = 768ULL << 30, ram = 1ULL << 30;
	const uint64_t base = 1ULL << 40,
		       span_bytes = stride * (SOCKETS - 1) + ram;
	char *span = mmap(NULL, span_bytes, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (span == MAP_FAILED) {
		ktest_skip(t, "cannot reserve 11.25 TiB of address space");
		return;
	}
	struct pglist_data *p = calloc(SOCKETS + 1, sizeof(*p));
	KTEST_ASSERT_TRUE(t, p != NULL);
	static struct memmap_range r[SOCKETS];
	static uint8_t d[MM_MAX_NODES][MM_MAX_NODES];
	struct pglist_data *pgdat[MM_MAX_NODES] = { NULL };
	for (unsigned int i = 0; i < SOCKETS; i++) {
		mprotect(span + i * stride, ram, PROT_READ | PROT_WRITE);
		r[i] = (struct memmap_range){ base + i * stride,
					      base + i * stride + ram, 7, 0 };
		for (unsigned int j = 0; j < SOCKETS; j++)
			d[i][j] = i == j ? 10 : i / 2 == j / 2 ? 16 : 32;
	}
	struct pgdat_config cfg = {
		.nr_usable = 1,
		.direct_map_offset = (uint64_t)(uintptr_t)span - base,
	};
	/* First node 0's RAM alone: what 1 GiB needs. */
	cfg.usable = &r[0];
	KTEST_EXPECT_EQ(t, pgdat_init(&p[SOCKETS], &cfg), 0);
	uint64_t meta = p[SOCKETS].metadata_pages;
	uint64_t t0 = mm_now_ns();
	for (unsigned int i = 0; i < SOCKETS; i++) {
		cfg.usable = &r[i];
		KTEST_EXPECT_EQ(t, pgdat_init(&p[i], &cfg), 0);
		pgdat[i] = &p[i];
	}
	uint64_t ms = (mm_now_ns() - t0) / 1000000;
	ktest_diag(
	    t,
	    "16 nodes of 1 GiB, 768 GiB apart: %llu pages of metadata each (1 GiB alone: %llu), %llu ms to init all",
	    (unsigned long long)p[15].metadata_pages, (unsigned long long)meta,
	    (unsigned long long)ms);
	for (unsigned int i = 0; i < SOCKETS; i++)
		KTEST_EXPECT_EQ(t, p[i].metadata_pages, meta);
	/* About one byte per frame: 256 KiB for 1 GiB, and a little more. */
	KTEST_EXPECT_LE(t, meta * PAGE_SIZE, (ram >> PAGE_SHIFT) * 5 / 4);
	KTEST_EXPECT_EQ(t, mm_nodes_setup(SOCKETS, pgdat, d), 0);
	static const uint8_t want5[SOCKETS] = { 5, 4, 0,  1,  2,  3,  6,  7,
						8, 9, 10, 11, 12, 13, 14, 15 };
	for (unsigned int k = 0; k < SOCKETS; k++)
		KTEST_EXPECT_EQ(t, mm_nodes.order[5][k], want5[k]);
	host_set_numa_node(15);
	uint64_t phys = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 0);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT), &p[15]);
	pgdat_free_pages(&p[15], phys, 0);
	for (unsigned int i = 0; i < SOCKETS; i++)
		KTEST_EXPECT_EQ(t, pgdat_check(&p[i]), 0);
	mm_nodes_reset();
	host_set_numa_node(0);
	free(p);
	munmap(span, span_bytes);
}

/* Bad input is refused once, by name, and gets nothing: on one node
 * GFP_ATOMIC | __GFP_NOFAIL is refused, and so it is on four (the
 * passes used to drop __GFP_NOFAIL and serve it, after four reports). */
static void test_bad_request_refused_once(struct ktest *t)
{
	static const bool all[4] = { true, true, true, true };
	if (!setup(t, 4, all, four))
		return;
	static char log[4096];
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	uint64_t phys =
	    alloc_pages_node(NUMA_NO_NODE, GFP_ATOMIC | __GFP_NOFAIL, 0);
	uint64_t big = alloc_pages_node(1, GFP_KERNEL, MAX_ORDER + 1);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, phys, 0);
	KTEST_EXPECT_EQ(t, big, 0);
	unsigned int refusals = 0;
	for (const char *at = log; *at; at++)
		refusals += !memcmp(at, "refusing", 8);
	KTEST_EXPECT_EQ(t, refusals, 2);
	teardown(t);
}

/* Pass 1 takes a node only through its fast path: node 2 looks above
 * `low`, but its only free memory is a highatomic pageblock that a
 * GFP_KERNEL request may not use. The request goes on to node 3, nearest
 * and above low, without reclaiming or compacting node 2 (it used to run
 * node 2's whole slow path, and take the highatomic block apart). */
static void test_first_pass_never_reclaims(struct ktest *t)
{
	static const bool all[4] = { true, true, true, true };
	if (!setup(t, 4, all, four))
		return;
	struct pglist_data *p2 = NODE_DATA(2);
	struct zone *z = NULL;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		if (p2->node_zones[zi].managed_pages)
			z = &p2->node_zones[zi];
	uint64_t pb = ((ranges[2].start >> PAGE_SHIFT) + PAGEBLOCK_PAGES) &
		      ~(PAGEBLOCK_PAGES - 1);
	uint64_t n2, all_held, held = 0, ph;
	all_held = take_node(2, &n2);
	while ((ph = alloc_pages_node(2,
				      GFP_ATOMIC | __GFP_MEMALLOC | QUIET |
					  __GFP_THISNODE,
				      0))) {
		*(uint64_t *)(arena + (ph - arena_phys)) = all_held;
		all_held = ph;
	}
	/* High-order blocks GFP_ATOMIC may still take, too. */
	static uint64_t big[64];
	static unsigned int big_order[64];
	unsigned int nbig = 0;
	for (int o = MAX_ORDER; o >= 3; o--)
		while (nbig < 64 && (ph = alloc_pages_node(2,
							   GFP_ATOMIC | QUIET |
							       __GFP_THISNODE,
							   (unsigned int)o))) {
			big_order[nbig] = (unsigned int)o;
			big[nbig++] = ph;
		}
	/* Every page of one pageblock back: it merges, and is reserved. */
	while (all_held) {
		uint64_t next = *(uint64_t *)(arena + (all_held - arena_phys));
		uint64_t pfn = all_held >> PAGE_SHIFT;
		if (pfn >= pb && pfn < pb + PAGEBLOCK_PAGES) {
			pgdat_free_pages(p2, all_held, 0);
		} else {
			*(uint64_t *)(arena + (all_held - arena_phys)) = held;
			held = all_held;
		}
		all_held = next;
	}
	drain_all_pages(p2);
	unsigned long flags;
	spin_lock_irqsave(&z->lock, flags);
	reserve_highatomic_pageblock(p2, z, pb, 3);
	spin_unlock_irqrestore(&z->lock, flags);
	KTEST_EXPECT_GT(t, z->nr_reserved_highatomic, 0);
	KTEST_EXPECT_GT(t, z->free_pages, z->watermark[WMARK_LOW]);
	uint64_t stall = p2->reclaim.allocstall, cs = p2->compact.compact_stall;
	uint64_t reserved = z->nr_reserved_highatomic;
	host_set_numa_node(2);
	uint64_t phys = alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL, 3);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT), NODE_DATA(3));
	KTEST_EXPECT_EQ(t, p2->reclaim.allocstall, stall);
	KTEST_EXPECT_EQ(t, p2->compact.compact_stall, cs);
	KTEST_EXPECT_EQ(t, z->nr_reserved_highatomic, reserved);
	if (phys)
		pgdat_free_pages(pfn_to_pgdat(phys >> PAGE_SHIFT), phys, 3);
	give_back(held);
	for (unsigned int i = 0; i < nbig; i++)
		pgdat_free_pages(p2, big[i], big_order[i]);
	teardown(t);
}

static struct ktest_case numa_cases[] = {
	KTEST_CASE(test_fallback_order_by_distance),
	KTEST_CASE(test_node_without_memory),
	KTEST_CASE(test_frame_to_node),
	KTEST_CASE(test_local_then_nearest),
	KTEST_CASE(test_atomic_uses_the_nearest_reserve),
	KTEST_CASE(test_bad_tables_are_refused),
	KTEST_CASE(test_map_split_by_node),
	KTEST_CASE(test_sixteen_sockets),
	KTEST_CASE(test_bad_request_refused_once),
	KTEST_CASE(test_first_pass_never_reclaims),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_numa, numa_cases, KTEST_HOST_ONLY);
