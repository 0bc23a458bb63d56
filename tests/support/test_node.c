/*
 * Helpers for the allocator suites (tests/shared/mm_*_test.c): a small node
 * over memory from mm_test_arena(), and snapshots of its free lists. Shared
 * by the host and the kernel. docs/03-buddy-and-gfp.md ("Tests").
 */
#include "tests/support/test_arena.h"

#include "kernel/lib/string.h"

/*
 * Default arenas, for the kernel: `bytes` of consecutive 4 MiB blocks taken
 * from the kernel's own allocator (contig_page_data). Early after boot free
 * memory is hardly fragmented, so a run of a few blocks turns up among the
 * first dozens. The platform may provide its own (the host does, in
 * tests/support/test_arena_host.c); without an initialised allocator, suites skip.
 */
#define ARENA_BLOCK (PAGE_SIZE << MAX_ORDER)
#define ARENA_TRIES 64

void *mm_test_arena_from_buddy(size_t bytes, uint64_t *phys_base)
{
	static uint64_t got[ARENA_TRIES];
	unsigned int n = 0, want = (unsigned int)(bytes / ARENA_BLOCK);
	uint64_t run = 0;

	*phys_base = 0;
	if (!contig_page_data.initialised || !want || bytes % ARENA_BLOCK ||
	    want > ARENA_TRIES)
		return NULL;
	while (n < ARENA_TRIES && !run) {
		uint64_t phys =
		    alloc_pages(GFP_KERNEL | __GFP_NOWARN, MAX_ORDER);
		if (!phys)
			break;
		/* Keep the list sorted, then look for `want` in a row. */
		unsigned int i = n++;
		while (i > 0 && got[i - 1] > phys) {
			got[i] = got[i - 1];
			i--;
		}
		got[i] = phys;
		for (unsigned int s = 0; s + want <= n && !run; s++)
			if (got[s + want - 1] - got[s] ==
			    (want - 1) * ARENA_BLOCK)
				run = got[s];
	}
	for (unsigned int i = 0; i < n; i++)
		if (!run || got[i] < run || got[i] >= run + bytes)
			__free_pages(got[i], MAX_ORDER);
	if (!run)
		return NULL;
	*phys_base = run;
	return phys_to_virt(run);
}

void mm_test_arena_free_to_buddy(void *arena, size_t bytes)
{
	if (!arena)
		return;
	for (size_t off = 0; off < bytes; off += ARENA_BLOCK)
		__free_pages(virt_to_phys(arena) + off, MAX_ORDER);
}

__attribute__((weak)) void *mm_test_arena(size_t bytes, uint64_t *phys_base)
{
	return mm_test_arena_from_buddy(bytes, phys_base);
}

__attribute__((weak)) void mm_test_arena_free(void *arena, size_t bytes)
{
	mm_test_arena_free_to_buddy(arena, bytes);
}

/* Every page can be taken: no watermarks, and no zone protection either
 * (ratio 0, so a recomputation keeps it off). */
void mm_test_zero_watermarks(struct pglist_data *pgdat)
{
	for (int z = 0; z < MAX_NR_ZONES; z++) {
		for (int w = 0; w < NR_WMARK; w++)
			pgdat->node_zones[z].watermark[w] = 0;
		for (int j = 0; j < MAX_NR_ZONES; j++)
			pgdat->node_zones[z].lowmem_reserve[j] = 0;
		pgdat->lowmem_reserve_ratio[z] = 0;
	}
}

int mm_test_pgdat_over(struct pglist_data *node, void *arena, uint64_t base,
		       const struct memmap_range *usable, unsigned int nr,
		       uint64_t dma_limit, uint64_t dma32_limit)
{
	struct pgdat_config cfg = {
		.usable = usable,
		.nr_usable = nr,
		.dma_limit = dma_limit,
		.dma32_limit = dma32_limit,
		.direct_map_offset = (uint64_t)(uintptr_t)arena - base,
	};
	memset(node, 0, sizeof(*node));
	if (pgdat_init(node, &cfg))
		return -1;
	mm_test_zero_watermarks(node);
	return 0;
}

int mm_test_node_init(struct mm_test_node *tn, size_t bytes, uint64_t dma_bytes,
		      uint64_t dma32_bytes, bool no_watermarks)
{
	memset(tn, 0, sizeof(*tn));
	tn->arena = mm_test_arena(bytes, &tn->phys_base);
	if (!tn->arena)
		return -1;
	tn->bytes = bytes;
	return mm_test_node_reinit(tn, dma_bytes, dma32_bytes, no_watermarks);
}

int mm_test_node_reinit(struct mm_test_node *tn, uint64_t dma_bytes,
			uint64_t dma32_bytes, bool no_watermarks)
{
	size_t bytes = tn->bytes;
	tn->usable[0] =
	    (struct memmap_range){ tn->phys_base, tn->phys_base + bytes, 7, 0 };
	struct pgdat_config cfg = {
		.usable = tn->usable,
		.nr_usable = 1,
		.dma_limit = tn->phys_base + dma_bytes,
		.dma32_limit = tn->phys_base + dma32_bytes,
		.direct_map_offset =
		    (uint64_t)(uintptr_t)tn->arena - tn->phys_base,
	};
	if (pgdat_init(&tn->pgdat, &cfg)) {
		mm_test_arena_free(tn->arena, bytes);
		tn->arena = NULL;
		return -1;
	}
	if (no_watermarks)
		mm_test_zero_watermarks(&tn->pgdat);
	return 0;
}

int mm_test_node_init_grouping(struct mm_test_node *tn, size_t bytes,
			       bool grouping)
{
	memset(tn, 0, sizeof(*tn));
	tn->arena = mm_test_arena(bytes, &tn->phys_base);
	if (!tn->arena)
		return -1;
	tn->bytes = bytes;
	tn->usable[0] =
	    (struct memmap_range){ tn->phys_base, tn->phys_base + bytes, 7, 0 };
	struct pgdat_config cfg = {
		.usable = tn->usable,
		.nr_usable = 1,
		.dma_limit = tn->phys_base,
		.dma32_limit = tn->phys_base,
		.direct_map_offset =
		    (uint64_t)(uintptr_t)tn->arena - tn->phys_base,
		.page_grouping_off = !grouping,
	};
	if (pgdat_init(&tn->pgdat, &cfg)) {
		mm_test_arena_free(tn->arena, bytes);
		tn->arena = NULL;
		return -1;
	}
	mm_test_zero_watermarks(&tn->pgdat);
	return 0;
}

void mm_test_node_destroy(struct mm_test_node *tn)
{
	mm_test_arena_free(tn->arena, tn->bytes);
	tn->arena = NULL;
}

void mm_test_snapshot(const struct pglist_data *pgdat,
		      uint64_t counts[MAX_NR_ZONES][NR_PAGE_ORDERS])
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			counts[z][o] =
			    pgdat->node_zones[z].free_area[o].nr_free;
}

bool mm_test_snapshot_equal(const struct pglist_data *pgdat,
			    uint64_t counts[MAX_NR_ZONES][NR_PAGE_ORDERS])
{
	for (int z = 0; z < MAX_NR_ZONES; z++)
		for (int o = 0; o < NR_PAGE_ORDERS; o++)
			if (counts[z][o] !=
			    pgdat->node_zones[z].free_area[o].nr_free)
				return false;
	return true;
}

uint64_t mm_test_first_unlinked(const struct mm_test_node *tn)
{
	uint64_t first = tn->phys_base >> PAGE_SHIFT;
	for (uint64_t pfn = first; pfn < first + tn->bytes / PAGE_SIZE; pfn++) {
		const uint8_t *st = pfn_state(&tn->pgdat, pfn);
		if (st && *st == (PFS_DEFERRED | MAX_ORDER))
			return pfn;
	}
	return 0;
}

uint64_t mm_test_free_pages(const struct pglist_data *pgdat)
{
	uint64_t n = 0;
	for (int z = 0; z < MAX_NR_ZONES; z++)
		n += pgdat->node_zones[z].free_pages;
	return n;
}

int mm_test_node_init_one_zone(struct mm_test_node *tn, size_t bytes,
			       uint64_t min_free_kbytes)
{
	if (mm_test_node_init(tn, bytes, 0, 0, false))
		return -1;
	tn->pgdat.user_min_free_kbytes = min_free_kbytes;
	setup_per_zone_wmarks(&tn->pgdat);
	return 0;
}

uint64_t mm_test_take_all(struct pglist_data *pgdat, gfp_t gfp, uint64_t *chain)
{
	uint64_t n = 0, p;
	while ((p = pgdat_alloc_pages(pgdat, gfp | __GFP_NOWARN, 0))) {
		*(uint64_t *)pgdat_phys_to_virt(pgdat, p) = *chain;
		*chain = p;
		n++;
	}
	return n;
}

void mm_test_give_back(struct pglist_data *pgdat, uint64_t chain)
{
	while (chain) {
		uint64_t next = *(uint64_t *)pgdat_phys_to_virt(pgdat, chain);
		pgdat_free_pages(pgdat, chain, 0);
		chain = next;
	}
}
