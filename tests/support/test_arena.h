/*
 * Memory for allocator tests: a physically contiguous, direct-mapped piece
 * of RAM that a test builds its own small node (struct pglist_data) over, so
 * the same suites run on the host and inside the kernel without disturbing
 * the kernel's own node beyond taking the arena from it. The host
 * implements it in tests/support/test_arena_host.c (anonymous memory
 * playing RAM at a made-up physical address); for the kernel,
 * tests/support/test_node.c has a weak default that takes consecutive
 * 4 MiB blocks from the kernel's allocator once mm_init() has run. The
 * suites ask for 12 MiB each.
 * docs/03-buddy-and-gfp.md ("Tests").
 */
#ifndef LABYRINTH_TESTS_SUPPORT_TEST_ARENA_H
#define LABYRINTH_TESTS_SUPPORT_TEST_ARENA_H

#include <stddef.h>
#include <stdint.h>

/*
 * Returns the virtual address of `bytes` (a multiple of 4 MiB) of writable
 * memory whose physical address *phys_base is aligned to 4 MiB, or NULL if
 * none is available (the test then skips). The memory's contents are
 * undefined. virtual = physical + ((uintptr_t)result - *phys_base).
 */
void *mm_test_arena(size_t bytes, uint64_t *phys_base);

/* Gives an arena back (same bytes as asked for). */
void mm_test_arena_free(void *arena, size_t bytes);

/* The kernel's default implementation of the two above, over the kernel's
 * allocator (alloc_pages of MAX_ORDER blocks); NULL if it has no run. */
void *mm_test_arena_from_buddy(size_t bytes, uint64_t *phys_base);
void mm_test_arena_free_to_buddy(void *arena, size_t bytes);

/* ------------------------------------------------------------------------
 * A small node over an arena, for the allocator suites (tests/support/test_node.c).
 * Zones: DMA = [base, base + dma_bytes), DMA32 up to base + dma32_bytes,
 * Normal the rest, so three zones fit in a few MiB.
 */
#include <stdbool.h>

#include "mm/page_alloc.h"

struct mm_test_node {
	struct pglist_data pgdat;
	void *arena;
	size_t bytes;
	uint64_t phys_base;
	struct memmap_range usable[1];
};

/* Returns 0, or -1 when no arena is available (the caller skips). With
 * no_watermarks the zones' watermarks are 0, so every page can be taken. */
int mm_test_node_init(struct mm_test_node *tn, size_t bytes, uint64_t dma_bytes,
		      uint64_t dma32_bytes, bool no_watermarks);
/* A fresh node over the arena tn already has (all of it free again): for
 * callers that build many nodes in a row, such as the fuzzers. */
int mm_test_node_reinit(struct mm_test_node *tn, uint64_t dma_bytes,
			uint64_t dma32_bytes, bool no_watermarks);
/* One zone (Normal), no watermarks, grouping by mobility on or off
 * (page_grouping=off); 0 or -1 as mm_test_node_init. */
int mm_test_node_init_grouping(struct mm_test_node *tn, size_t bytes,
			       bool grouping);
void mm_test_node_destroy(struct mm_test_node *tn);
void mm_test_zero_watermarks(struct pglist_data *pgdat);
/* A node over `usable` (nr ranges) of an arena at phys `base`, with the
 * given zone limits and watermarks and protection 0 (every frame can be
 * taken): tests of unusual layouts. 0, or -1 if pgdat_init refused. */
int mm_test_pgdat_over(struct pglist_data *node, void *arena, uint64_t base,
		       const struct memmap_range *usable, unsigned int nr,
		       uint64_t dma_limit, uint64_t dma32_limit);
/* Free blocks per zone and order, for comparing before and after. */
void mm_test_snapshot(const struct pglist_data *pgdat,
		      uint64_t counts[MAX_NR_ZONES][NR_PAGE_ORDERS]);
bool mm_test_snapshot_equal(const struct pglist_data *pgdat,
			    uint64_t counts[MAX_NR_ZONES][NR_PAGE_ORDERS]);
uint64_t mm_test_free_pages(const struct pglist_data *pgdat);
/* The first head of a free 4 MiB block boot left unlinked (PFS_DEFERRED,
 * docs/03b) in the test node, or 0 if it has none. */
uint64_t mm_test_first_unlinked(const struct mm_test_node *tn);
/* One zone (Normal) with Linux's watermarks for min_free_kbytes; 0 or -1
 * as mm_test_node_init. */
int mm_test_node_init_one_zone(struct mm_test_node *tn, size_t bytes,
			       uint64_t min_free_kbytes);
/* Takes order-0 pages with gfp until the node says no, chaining them
 * through their first word onto *chain; returns how many. give_back
 * frees such a chain. */
uint64_t mm_test_take_all(struct pglist_data *pgdat, gfp_t gfp,
			  uint64_t *chain);
void mm_test_give_back(struct pglist_data *pgdat, uint64_t chain);

#ifdef LABYRINTH_HOST
/* The node mm_numa_node_id() answers on this host thread (mm/node.c's
 * tests play CPUs of several nodes with it). */
void host_set_numa_node(unsigned int nid);
#endif

#endif
