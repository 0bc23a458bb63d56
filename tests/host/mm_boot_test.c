/*
 * mm_init(), the kernel's entry point, run on the host: the real OVMF 256 MiB
 * map (as raw 48-byte descriptors, plus one descriptor of a loader-defined
 * type) over host memory that plays physical RAM from address 0. Checks the
 * kernel-facing API end to end: boot log, alloc_pages and friends, the
 * direct map, releasing loader memory, test arenas taken from the kernel's
 * allocator, and the boot-stopping errors. Host only (it maps 256 MiB and
 * owns contig_page_data). docs/03-buddy-and-gfp.md ("Bring-up").
 */
#include "tests/ktest.h"

#include <string.h>
#include <sys/mman.h>

#include "kernel/lib/printk.h"
#include "mm/node.h"
#include "tests/support/test_arena.h"

struct desc {
	uint32_t type;
	uint64_t start, pages, attr;
};

static const struct desc ovmf_q35_256m[] = {
#include "tests/fixtures/ovmf-q35-256m.inc"
	/* What our loader adds: boot info inside conventional memory. */
	{ 0x80000002u, 0x2000000, 0x20, 0xf },
};

#define NDESC (sizeof(ovmf_q35_256m) / sizeof(ovmf_q35_256m[0]))
#define SPAN (256UL << 20)

static unsigned char raw[NDESC * 48];
static char log[16384];

static uint64_t build_raw(void)
{
	memset(raw, 0x5a, sizeof(raw));
	for (unsigned int i = 0; i < NDESC; i++) {
		unsigned char *p = raw + i * 48;
		memcpy(p + 0, &ovmf_q35_256m[i].type, 4);
		memcpy(p + 8, &ovmf_q35_256m[i].start, 8);
		memcpy(p + 24, &ovmf_q35_256m[i].pages, 8);
		memcpy(p + 32, &ovmf_q35_256m[i].attr, 8);
	}
	return sizeof(raw);
}

/* All of [0, 256 MiB) as readable host memory: the kernel's direct map
 * would map RAM; mapping the holes too keeps this test simple. */
static char *boot(struct ktest *t, int *err)
{
	char *ram = mmap(NULL, SPAN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED) {
		ktest_fail(t, __FILE__, __LINE__, "cannot map 256 MiB");
		return NULL;
	}
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	*err = mm_init(raw, build_raw(), 48, 1, 39, (uint64_t)(uintptr_t)ram);
	printk_capture_stop();
	console_loglevel = saved;
	return ram;
}

static void shutdown(char *ram)
{
	memset(&contig_page_data, 0, sizeof(contig_page_data));
	munmap(ram, SPAN);
}

static void test_mm_init_over_ovmf_map(struct ktest *t)
{
	int err;
	char *ram = boot(t, &err);
	KTEST_ASSERT_TRUE(t, ram != NULL);
	KTEST_EXPECT_EQ(t, err, 0);
	/* The boot log: sanitised ranges, totals, the three dumps. */
	KTEST_EXPECT_TRUE(
	    t, ktest_contains(log, "memmap: DMA32  [mem 0x0000000001000000-"));
	KTEST_EXPECT_TRUE(
	    t,
	    ktest_contains(log,
			   "usable_pages=63852 dma=3591 dma32=60261 normal=0"));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "Node 0, zone    DMA32 "));
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "        min      476"));
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log, "MemMetadata:          64 kB"));
	KTEST_EXPECT_EQ(t, mm_boot_memmap()->usable_pages, 63852);
	KTEST_EXPECT_EQ(t, mm_check(), 0);

	/* The API, physical and virtual. */
	uint64_t p = alloc_pages(GFP_KERNEL, 3);
	KTEST_ASSERT_TRUE(t, p != 0); /* the rest writes to it */
	KTEST_EXPECT_EQ(t, p & (8 * PAGE_SIZE - 1), 0);
	KTEST_EXPECT_EQ(t, (uint64_t)(uintptr_t)phys_to_virt(p),
			(uint64_t)(uintptr_t)(ram + p));
	KTEST_EXPECT_EQ(t, virt_to_phys(ram + p), p);
	memset(phys_to_virt(p), 1, 8 * PAGE_SIZE);
	__free_pages(p, 3);
	uint64_t d = alloc_pages(GFP_KERNEL | __GFP_DMA, 0);
	KTEST_EXPECT_TRUE(t, d >= 0x100000 && d < 0x1000000);
	__free_pages(d, 0);
	unsigned long z = get_zeroed_page(GFP_KERNEL);
	KTEST_ASSERT_TRUE(t, z != 0);
	KTEST_EXPECT_EQ(t, ((unsigned char *)z)[123], 0);
	free_page(z);
	unsigned long v = __get_free_pages(GFP_ATOMIC, 2);
	KTEST_EXPECT_TRUE(t, v >= (unsigned long)ram &&
				 v < (unsigned long)ram + SPAN);
	free_pages(v, 2);
	free_pages(0, 0); /* a no-op, as in Linux */
	KTEST_EXPECT_EQ(t, contig_page_data.bad_frees, 0);
	KTEST_EXPECT_EQ(t, mm_check(), 0);

	/* Loader memory comes back when the kernel says so. */
	uint64_t before = contig_page_data.node_zones[ZONE_DMA32].managed_pages;
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	long got = mm_release_os_type(0x80000002u);
	long again = mm_release_os_type(0x80000002u);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, got, 0x20);
	KTEST_EXPECT_EQ(t, again, 0);
	KTEST_EXPECT_EQ(t,
			contig_page_data.node_zones[ZONE_DMA32].managed_pages,
			before + 0x20);
	KTEST_EXPECT_EQ(t, mm_boot_memmap()->usable_pages, 63884);
	KTEST_EXPECT_EQ(t, mm_check(), 0);

	/* The kernel's default test arena: 12 MiB from this allocator. */
	uint64_t free_before =
	    contig_page_data.node_zones[ZONE_DMA32].free_pages;
	uint64_t base;
	void *arena = mm_test_arena_from_buddy(12UL << 20, &base);
	KTEST_ASSERT_TRUE(t, arena != NULL);
	KTEST_EXPECT_EQ(t, base & ((4UL << 20) - 1), 0);
	KTEST_EXPECT_EQ(t, (uint64_t)(uintptr_t)arena,
			(uint64_t)(uintptr_t)(ram + base));
	KTEST_EXPECT_EQ(t, contig_page_data.node_zones[ZONE_DMA32].free_pages,
			free_before - 3 * 1024);
	memset(arena, 0x77, 12UL << 20);
	mm_test_arena_free_to_buddy(arena, 12UL << 20);
	KTEST_EXPECT_EQ(t, contig_page_data.node_zones[ZONE_DMA32].free_pages,
			free_before);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
	shutdown(ram);
}

/*
 * The same map on two nodes, as an SRAT could split it: node 1 is
 * [16 MiB, 128 MiB), node 0 the rest (below 16 MiB and from 128 MiB).
 * Each node gets its own pglist_data with its own memory and metadata,
 * requests on a CPU of node 1 come from node 1, a free finds the node of
 * its frame, and the loader's memory (at 32 MiB) goes back to node 1.
 */
static void test_mm_init_on_two_nodes(struct ktest *t)
{
	static const struct mm_node_range r[] = {
		{ 0, 16UL << 20, 0 },
		{ 16UL << 20, 128UL << 20, 1 },
		{ 128UL << 20, 256UL << 20, 0 },
	};
	static const uint8_t d[MM_MAX_NODES][MM_MAX_NODES] = { { 10, 21 },
							       { 21, 10 } };
	const uint64_t lo = (16UL << 20) >> PAGE_SHIFT;
	const uint64_t hi = (128UL << 20) >> PAGE_SHIFT;
	KTEST_ASSERT_TRUE(t, mm_set_boot_nodes(2, r, 3, d) == 0);
	int err;
	char *ram = boot(t, &err);
	KTEST_ASSERT_TRUE(t, ram != NULL);
	KTEST_EXPECT_EQ(t, err, 0);
	KTEST_EXPECT_EQ(t, mm_nodes.nr_nodes, 2);
	KTEST_EXPECT_EQ(t, NODE_DATA(0), &contig_page_data);
	struct pglist_data *n1 = NODE_DATA(1);
	KTEST_ASSERT_TRUE(t, n1 != NULL);
	KTEST_EXPECT_EQ(t, n1->node_id, 1);
	/* Its metadata is carved from its own memory. */
	KTEST_EXPECT_TRUE(t,
			  n1->metadata_start >= lo && n1->metadata_start < hi);
	/* Together they have what one node had (63852 usable pages, the
	 * loader's 32 not yet) less node 1's metadata and pglist_data. */
	uint64_t both = contig_page_data.totalram_pages + n1->totalram_pages;
	ktest_diag(t, "node 0: %llu pages, node 1: %llu pages",
		   (unsigned long long)contig_page_data.totalram_pages,
		   (unsigned long long)n1->totalram_pages);
	KTEST_EXPECT_GT(t, both, 63852 - 64);
	KTEST_EXPECT_LE(t, both, 63852);
	KTEST_EXPECT_EQ(t, n1->machine_pages, both);

	host_set_numa_node(1);
	uint64_t p = alloc_pages(GFP_KERNEL, 2);
	KTEST_EXPECT_TRUE(t, p >> PAGE_SHIFT >= lo && p >> PAGE_SHIFT < hi);
	KTEST_EXPECT_EQ(t, kernel_pgdat_of(p), n1);
	KTEST_EXPECT_EQ(t, n1->numa.local_node, 1);
	__free_pages(p, 2);
	host_set_numa_node(0);
	p = alloc_pages(GFP_KERNEL, 0);
	KTEST_EXPECT_TRUE(t, p >> PAGE_SHIFT < lo || p >> PAGE_SHIFT >= hi);
	__free_pages(p, 0);
	KTEST_EXPECT_EQ(t, contig_page_data.bad_frees + n1->bad_frees, 0);
	/* The loader's boot info (at 32 MiB) goes back to node 1. */
	uint64_t before = n1->node_zones[ZONE_DMA32].managed_pages;
	int saved = console_loglevel;
	console_loglevel = 0;
	KTEST_EXPECT_EQ(t, mm_release_os_type(0x80000002u), 0x20);
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, n1->node_zones[ZONE_DMA32].managed_pages,
			before + 0x20);
	KTEST_EXPECT_EQ(t, mm_check(), 0);
	mm_nodes_reset();
	KTEST_EXPECT_EQ(t, mm_set_boot_nodes(0, NULL, 0, d), 0);
	shutdown(ram);
}

static void test_mm_init_refuses_hopeless_maps(struct ktest *t)
{
	int saved = console_loglevel;
	static unsigned char one[48];
	struct desc low = { 7, 0x1000, 0x9f, 0xf }; /* RAM only below 1 MiB */
	memcpy(one + 0, &low.type, 4);
	memcpy(one + 8, &low.start, 8);
	memcpy(one + 24, &low.pages, 8);
	memcpy(one + 32, &low.attr, 8);
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int empty = mm_init(one, 0, 48, 1, 39, 0);
	bool said_empty = ktest_contains(log, "empty");
	int lowonly = mm_init(one, 48, 48, 1, 39, 0);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, empty, MEMMAP_ERR_EMPTY);
	KTEST_EXPECT_TRUE(t, said_empty);
	KTEST_EXPECT_EQ(t, lowonly, MEMMAP_ERR_NO_USABLE);
	KTEST_EXPECT_TRUE(t,
			  ktest_contains(log, "no usable memory above 1 MiB"));
	KTEST_EXPECT_FALSE(t, contig_page_data.initialised);
	KTEST_EXPECT_EQ(t, alloc_pages(GFP_KERNEL, 0), 0);
}

static const struct ktest_case boot_cases[] = {
	KTEST_CASE(test_mm_init_over_ovmf_map),
	KTEST_CASE(test_mm_init_on_two_nodes),
	KTEST_CASE(test_mm_init_refuses_hopeless_maps),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_boot, boot_cases, KTEST_HOST_ONLY);
