/*
 * Issue 14's 16-socket, 12 TiB machine at full size on the host: 16 nodes
 * of 768 GiB side by side, each its own pglist_data over its own range, as
 * mm_init_nodes() builds them on a NUMA boot. The span is reserved
 * PROT_NONE and committed lazily, so the host pays for what init writes
 * (one state byte per frame: 3 GiB in all) and not for 12 TiB. Every node
 * gets the same metadata, about one byte per frame, manages the rest, and
 * serves a request on its own node. mm_numa.test_sixteen_sockets has the
 * same shape with 1 GiB per node and the fallback orders; `make bench`
 * times this init (docs/11-numa.md, "The allocator on many nodes").
 */
#include "mm/node.h"
#include "mm/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "tests/support/test_arena.h"
#include "tests/ktest.h"

#define SOCKETS 16
#define NODE_BYTES (768ULL << 30)
#define BASE (1ULL << 40)

/* MemAvailable in bytes, or 0 if /proc/meminfo says nothing. */
static uint64_t mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kb = 0;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kb << 10;
}

static void test_twelve_tib_sixteen_sockets(struct ktest *t)
{
	const uint64_t frames = NODE_BYTES >> PAGE_SHIFT;
	if (mem_available() < (6ULL << 30)) {
		ktest_skip(t, "the 3 GiB of state bytes need 6 GiB available");
		return;
	}
	char *span = mmap(NULL, SOCKETS * NODE_BYTES, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (span == MAP_FAILED) {
		ktest_skip(t, "cannot reserve 12 TiB of address space");
		return;
	}
	struct pglist_data *p = calloc(SOCKETS, sizeof(*p));
	KTEST_ASSERT_TRUE(t, p != NULL);
	static struct memmap_range r[SOCKETS];
	static uint8_t d[MM_MAX_NODES][MM_MAX_NODES];
	struct pglist_data *pgdat[MM_MAX_NODES] = { NULL };
	uint64_t slowest = 0, t0 = mm_now_ns();
	for (unsigned int i = 0; i < SOCKETS; i++) {
		mprotect(span + i * NODE_BYTES, NODE_BYTES,
			 PROT_READ | PROT_WRITE);
		r[i] =
		    (struct memmap_range){ BASE + i * NODE_BYTES,
					   BASE + (i + 1) * NODE_BYTES, 7, 0 };
		for (unsigned int j = 0; j < SOCKETS; j++)
			d[i][j] = i == j ? 10 : i / 2 == j / 2 ? 16 : 32;
		struct pgdat_config cfg = {
			.usable = &r[i],
			.nr_usable = 1,
			.direct_map_offset = (uint64_t)(uintptr_t)span - BASE,
		};
		uint64_t n0 = mm_now_ns();
		KTEST_ASSERT_TRUE(t, pgdat_init(&p[i], &cfg) == 0);
		if (mm_now_ns() - n0 > slowest)
			slowest = mm_now_ns() - n0;
		pgdat[i] = &p[i];
	}
	uint64_t all_ms = (mm_now_ns() - t0) / 1000000;
	uint64_t meta = p[0].metadata_pages, managed = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		managed += p[0].node_zones[z].managed_pages;
	ktest_diag(
	    t,
	    "16 nodes of 768 GiB: %llu pages of metadata each (%llu.%04llu %% of RAM), %llu ms to init all, %llu ms the slowest",
	    (unsigned long long)meta, (unsigned long long)(meta * 100 / frames),
	    (unsigned long long)(meta * 1000000 / frames % 10000),
	    (unsigned long long)all_ms,
	    (unsigned long long)(slowest / 1000000));
	/* One state byte per frame, and under 1 % more for the rest. */
	KTEST_EXPECT_GE(t, meta * PAGE_SIZE, frames);
	KTEST_EXPECT_LE(t, meta * PAGE_SIZE, frames + frames / 100);
	for (unsigned int i = 0; i < SOCKETS; i++) {
		uint64_t m = 0;
		for (int z = 0; z < MAX_NR_ZONES; z++)
			m += p[i].node_zones[z].managed_pages;
		KTEST_EXPECT_EQ(t, p[i].metadata_pages, meta);
		KTEST_EXPECT_EQ(t, m, managed);
		KTEST_EXPECT_EQ(t, m + meta, frames);
	}
	KTEST_EXPECT_EQ(t, mm_nodes_setup(SOCKETS, pgdat, d), 0);
	host_set_numa_node(15);
	uint64_t phys =
	    alloc_pages_node(NUMA_NO_NODE, GFP_KERNEL | __GFP_THISNODE, 3);
	KTEST_EXPECT_TRUE(t, phys >= BASE + 15 * NODE_BYTES);
	KTEST_EXPECT_EQ(t, pfn_to_pgdat(phys >> PAGE_SHIFT), &p[15]);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&p[15], phys, 3), 0);
	/* One node walked whole (200 million state bytes). */
	KTEST_EXPECT_EQ(t, pgdat_check(&p[15]), 0);
	mm_nodes_reset();
	host_set_numa_node(0);
	free(p);
	munmap(span, SOCKETS * NODE_BYTES);
}

static const struct ktest_case numa_12tib_cases[] = {
	KTEST_CASE(test_twelve_tib_sixteen_sockets),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_numa_12tib, numa_12tib_cases, KTEST_HOST_ONLY);
