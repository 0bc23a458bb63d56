/*
 * What the per-CPU fast paths (mm/pcp.c) rely on since they stopped asking
 * the section hash: the direct section map (pfn_to_section) agrees with the
 * hash on a node with a hole, a free into the hole or past either end of
 * the map is still reported as a bad free and changes nothing, a node too
 * sparse for a map keeps its lists off and still works; and an interrupt
 * that arrives while a fast path has interrupts off runs when they come
 * back on (local_irq_restore_nocall), and a request that may sleep made
 * with interrupts off is refused by the fast path too. Host only: the nodes span up to
 * 64 GiB of reserved, mostly unbacked address space, and interrupts are
 * the host's. docs/05-smp-and-per-cpu-lists.md ("The fast path").
 */
#include "tests/ktest.h"

#include <sys/mman.h>

#include "kernel/lib/printk.h"
#include "mm/pcp.h"
#include "tests/support/test_arena.h"

#define SEC (1ULL << SECTION_SHIFT) /* 128 MiB */
#define PIECE (8ULL << 20)

static struct pglist_data node;
static char log[1024];

/* Address space for [0, span) of physical memory, with only the pieces
 * [start, start + PIECE) of `starts` readable and writable: a node over
 * them costs what it touches. Returns the base, or NULL. */
static char *reserve(uint64_t span, const uint64_t *starts, int n)
{
	char *base = mmap(NULL, span, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	for (int i = 0; i < n; i++)
		if (mprotect(base + starts[i], PIECE, PROT_READ | PROT_WRITE)) {
			munmap(base, span);
			return NULL;
		}
	return base;
}

/* A node over the pieces (sorted), one zone (Normal) of them all. */
static int build(char *base, const uint64_t *starts, int n)
{
	static struct memmap_range r[4];
	for (int i = 0; i < n; i++)
		r[i] =
		    (struct memmap_range){ starts[i], starts[i] + PIECE, 7, 0 };
	struct pgdat_config cfg = {
		.usable = r,
		.nr_usable = (unsigned int)n,
		.dma_limit = PAGE_SIZE,
		.dma32_limit = PAGE_SIZE,
		.direct_map_offset = (uint64_t)(uintptr_t)base,
	};
	return pgdat_init(&node, &cfg);
}

/* Frees phys with the console captured; the return value of the free. */
static int free_captured(uint64_t phys)
{
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	int r = pgdat_free_pages(&node, phys, 0);
	printk_capture_stop();
	console_loglevel = saved;
	return r;
}

/* Sections 1 and 3 hold RAM, section 2 is a hole: the map has three
 * entries, the middle one empty, and both ways find the same sections. A
 * free into the hole, below the map or above it is reported. */
static void test_map_with_a_hole(struct ktest *t)
{
	const uint64_t starts[] = { SEC, 3 * SEC };
	char *base = reserve(4 * SEC, starts, 2);
	if (!base) {
		ktest_skip(t, "cannot reserve 512 MiB of address space");
		return;
	}
	KTEST_ASSERT_TRUE(t, build(base, starts, 2) == 0);
	KTEST_EXPECT_EQ(t, node.section_map_first, 1);
	KTEST_EXPECT_EQ(t, node.section_map_nr, 3);
	KTEST_EXPECT_TRUE(t, node.section_map[1] == NULL);
	for (uint64_t s = 0; s < 5; s++) {
		uint64_t pfn = (s << PFN_SECTION_SHIFT) + 5;
		KTEST_EXPECT_TRUE(t, pfn_to_section(&node, pfn) ==
					 pfn_to_section_hashed(&node, pfn));
	}
	KTEST_EXPECT_TRUE(t, pfn_to_section(&node, SEC >> PAGE_SHIFT) != NULL);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);

	pgdat_pcp_enable(&node, mm_this_cpu() + 1);
	KTEST_ASSERT_TRUE(t, node.pcp_enabled);
	uint64_t a = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	uint64_t free_before = pgdat_nr_free_pages(&node);
	uint64_t bad_before = node.bad_frees;
	const uint64_t wrong[] = { 2 * SEC + PAGE_SIZE, PAGE_SIZE,
				   5 * SEC + PAGE_SIZE, SEC + PIECE };
	for (int i = 0; i < 4; i++) {
		KTEST_EXPECT_EQ(t, free_captured(wrong[i]), -1);
		KTEST_EXPECT_TRUE(t, ktest_contains(log, "bad page free"));
	}
	KTEST_EXPECT_EQ(t, node.bad_frees, bad_before + 4);
	KTEST_EXPECT_EQ(t, pgdat_nr_free_pages(&node), free_before);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&node, a, 0), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	munmap(base, 4 * SEC);
}

/* RAM at 128 MiB and at 64 GiB: a map would be 4 KiB for 16 MiB of RAM
 * (more than its share), so there is none, the hash answers, and the
 * per-CPU lists stay off, with allocation and free working as ever. */
static void test_sparse_node_goes_without(struct ktest *t)
{
	const uint64_t starts[] = { SEC, 512 * SEC };
	char *base = reserve(513 * SEC, starts, 2);
	if (!base) {
		ktest_skip(t, "cannot reserve 64 GiB of address space");
		return;
	}
	KTEST_ASSERT_TRUE(t, build(base, starts, 2) == 0);
	KTEST_EXPECT_EQ(t, node.section_map_nr, 0);
	KTEST_EXPECT_TRUE(t, pfn_to_section(&node, (512 * SEC) >> PAGE_SHIFT) !=
				 NULL);
	KTEST_EXPECT_TRUE(t, pfn_to_section(&node, (2 * SEC) >> PAGE_SHIFT) ==
				 NULL);
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	pgdat_pcp_enable(&node, mm_this_cpu() + 1);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_FALSE(t, node.pcp_enabled);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "too sparse"));
	uint64_t free_before = pgdat_nr_free_pages(&node);
	uint64_t a = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
	KTEST_ASSERT_TRUE(t, a != 0);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&node, a, 0), 0);
	KTEST_EXPECT_EQ(t, free_captured(a), -1); /* a double free */
	KTEST_EXPECT_EQ(t, pgdat_nr_free_pages(&node), free_before);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	munmap(base, 513 * SEC);
}

static unsigned int irqs_seen;
static void count_irq(void)
{
	irqs_seen++;
}

/* An interrupt marked pending while a fast path has IF off (as a signal
 * would mark it) must run as the path turns IF back on: the paths restore
 * the flags without a call and replay out of line. */
static void test_interrupt_replayed_after_fast_paths(struct ktest *t)
{
	const uint64_t starts[] = { SEC };
	char *base = reserve(2 * SEC, starts, 1);
	if (!base) {
		ktest_skip(t, "cannot reserve 256 MiB of address space");
		return;
	}
	KTEST_ASSERT_TRUE(t, build(base, starts, 1) == 0);
	pgdat_pcp_enable(&node, mm_this_cpu() + 1);
	mm_test_zero_watermarks(&node);
	/* Fill this CPU's list first: the next pair is all fast path. */
	pgdat_free_pages(&node, pgdat_alloc_pages(&node, GFP_KERNEL, 0), 0);
	KTEST_ASSERT_TRUE(t, node.node_zones[ZONE_NORMAL]
				     .pcp[mm_this_cpu()]
				     .count >= 1);
	host_irq_set_handler(count_irq);
	irqs_seen = 0;
	host_irq_pending = 1;
	uint64_t a = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
	KTEST_EXPECT_EQ(t, irqs_seen, 1);
	KTEST_EXPECT_EQ(t, host_irq_pending, 0);
	host_irq_pending = 1;
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&node, a, 0), 0);
	KTEST_EXPECT_EQ(t, irqs_seen, 2);
	KTEST_EXPECT_EQ(t, host_irq_pending, 0);
	host_irq_set_handler(NULL);
	KTEST_EXPECT_FALSE(t, irqs_disabled());
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	munmap(base, 2 * SEC);
}

/* The fast path reads "may this request sleep?" from the flags it saved:
 * a GFP_KERNEL request with interrupts off is still refused and reported,
 * though this CPU's list holds a frame, and GFP_ATOMIC is served. */
static void test_sleeping_request_irqs_off_refused(struct ktest *t)
{
	const uint64_t starts[] = { SEC };
	char *base = reserve(2 * SEC, starts, 1);
	unsigned long flags;
	if (!base) {
		ktest_skip(t, "cannot reserve 256 MiB of address space");
		return;
	}
	KTEST_ASSERT_TRUE(t, build(base, starts, 1) == 0);
	pgdat_pcp_enable(&node, mm_this_cpu() + 1);
	mm_test_zero_watermarks(&node);
	pgdat_free_pages(&node, pgdat_alloc_pages(&node, GFP_KERNEL, 0), 0);
	struct per_cpu_pages *pcp =
	    &node.node_zones[ZONE_NORMAL].pcp[mm_this_cpu()];
	KTEST_ASSERT_TRUE(t, pcp->count >= 1);
	unsigned int parked = pcp->count;
	int saved = console_loglevel;
	console_loglevel = 0;
	printk_capture_start(log, sizeof(log));
	local_irq_save(flags);
	uint64_t a = pgdat_alloc_pages(&node, GFP_KERNEL, 0);
	uint64_t b = pgdat_alloc_pages(&node, GFP_ATOMIC, 0);
	local_irq_restore(flags);
	printk_capture_stop();
	console_loglevel = saved;
	KTEST_EXPECT_EQ(t, a, 0);
	KTEST_EXPECT_TRUE(t, ktest_contains(log, "sleeping function"));
	KTEST_EXPECT_NE(t, b, 0);
	KTEST_EXPECT_EQ(t, pcp->count, parked - 1);
	KTEST_EXPECT_EQ(t, pgdat_free_pages(&node, b, 0), 0);
	KTEST_EXPECT_EQ(t, pgdat_check(&node), 0);
	munmap(base, 2 * SEC);
}

static const struct ktest_case pcp_fast_cases[] = {
	KTEST_CASE(test_map_with_a_hole),
	KTEST_CASE(test_sparse_node_goes_without),
	KTEST_CASE(test_interrupt_replayed_after_fast_paths),
	KTEST_CASE(test_sleeping_request_irqs_off_refused),
	{ 0 },
};
KTEST_SUITE_WHERE(mm_pcp_fast, pcp_fast_cases, KTEST_HOST_ONLY);
