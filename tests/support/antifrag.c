/*
 * The anti-fragmentation experiment (tests/support/antifrag.h): one churn
 * for the test that checks what grouping by mobility buys and for the
 * tool that draws it over time. Shared by the host and the kernel.
 * docs/10-fragmentation-and-compaction.md ("Migrate types").
 */
#include "tests/support/antifrag.h"

#include "kernel/lib/string.h"
#include "mm/internal.h"
#include "mm/page_owner.h"
#include "tests/support/test_arena.h"

#define QUIET_KERNEL (GFP_KERNEL | __GFP_NOWARN)
#define QUIET_MOVABLE (GFP_MOVABLE | __GFP_NOWARN)
/* Slots 0..7167: the cache (7168 pages, 28 MiB of 32); 7168..8191: the
 * kernel's blocks. A step frees a slot's block or fills the slot. */
#define CACHE_SLOTS 7168
#define SLOTS 8192
#define PAGEBLOCKS (ANTIFRAG_ARENA >> (PAGE_SHIFT + PAGEBLOCK_ORDER))

static struct mm_test_node node;
static uint64_t slot_phys[SLOTS];
static uint8_t slot_order[SLOTS];
/* Per pageblock: not wholly free before the churn. */
static bool unmanaged[PAGEBLOCKS];

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static unsigned int pageblock_index(uint64_t phys)
{
	return (unsigned int)((phys - node.phys_base) >>
			      (PAGE_SHIFT + PAGEBLOCK_ORDER));
}

/* Free pages in blocks of order >= 9. */
static uint64_t free_in_pageblocks(const struct zone *z)
{
	uint64_t n = 0;
	for (unsigned int o = PAGEBLOCK_ORDER; o <= MAX_ORDER; o++)
		n += z->free_area[o].nr_free << o;
	return n;
}

static void look(const struct zone *z, unsigned long step,
		 struct antifrag_point *pt)
{
	bool kernel[PAGEBLOCKS] = { false };
	pt->step = step;
	pt->free = z->free_pages;
	pt->whole_now = free_in_pageblocks(z);
	pt->cache = 0;
	for (int i = 0; i < SLOTS; i++) {
		if (!slot_phys[i])
			continue;
		if (i < CACHE_SLOTS)
			pt->cache++;
		else
			kernel[pageblock_index(slot_phys[i])] = true;
	}
	pt->whole_if_dropped = 0;
	for (unsigned int b = 0; b < PAGEBLOCKS; b++)
		if (!kernel[b] && !unmanaged[b])
			pt->whole_if_dropped += PAGEBLOCK_PAGES;
}

int antifrag_churn(bool grouping, unsigned long every,
		   antifrag_sample_fn *sample, void *arg,
		   struct antifrag_result *out)
{
	uint64_t blocks[MIGRATE_TYPES], seed = 0x9e3779b97f4a7c15ULL;
	struct antifrag_point pt;

	memset(out, 0, sizeof(*out));
	if (mm_test_node_init_grouping(&node, ANTIFRAG_ARENA, grouping))
		return -1;
	struct pglist_data *p = &node.pgdat;
	struct zone *z = &p->node_zones[ZONE_NORMAL];
	if (page_owner_init(p)) {
		mm_test_node_destroy(&node);
		return -1;
	}
	/* The pageblocks not wholly free now (metadata, page_owner's table)
	 * never come back whole: the pageblock map says which. */
	char types[PAGEBLOCK_MAP_ROW + 1], fills[PAGEBLOCK_MAP_ROW + 1];
	_Static_assert(PAGEBLOCKS <= PAGEBLOCK_MAP_ROW, "one row of the map");
	zone_pageblock_map_row(p, z, 0, types, fills);
	for (unsigned int b = 0; b < PAGEBLOCKS; b++)
		unmanaged[b] =
		    types[b] < 'A' || types[b] > 'Z' || fills[b] != '0';
	for (int i = 0; i < SLOTS; i++)
		slot_phys[i] = 0;
	for (unsigned long step = 0; step < ANTIFRAG_STEPS; step++) {
		if (sample && every && step % every == 0) {
			look(z, step, &pt);
			sample(arg, &pt);
		}
		uint64_t r = rng_next(&seed);
		bool kernel = (r & 15) == 0;
		int i = kernel ? CACHE_SLOTS +
				     (int)((r >> 8) % (SLOTS - CACHE_SLOTS))
			       : (int)((r >> 8) % CACHE_SLOTS);
		if (slot_phys[i]) {
			pgdat_free_pages(p, slot_phys[i], slot_order[i]);
			slot_phys[i] = 0;
			continue;
		}
		unsigned int order = kernel ? (unsigned int)((r >> 40) % 4) : 0;
		slot_phys[i] =
		    pgdat_alloc_pages(p, kernel ? QUIET_KERNEL : QUIET_MOVABLE,
				      order);
		slot_order[i] = (uint8_t)order;
	}
	look(z, ANTIFRAG_STEPS, &pt);
	out->predicted = pt.whole_if_dropped;
	out->mixed = zone_pageblock_counts(p, z, blocks);
	for (int i = 0; i < CACHE_SLOTS; i++)
		if (slot_phys[i]) {
			pgdat_free_pages(p, slot_phys[i], 0);
			slot_phys[i] = 0;
		}
	look(z, ANTIFRAG_STEPS, &pt);
	if (sample)
		sample(arg, &pt);
	out->free = pt.free;
	out->whole = pt.whole_now;
	out->share = (int)(out->whole * 100 / (out->free ? out->free : 1));
	out->fallbacks = p->extfrag_events;
	out->pageblocks = PAGEBLOCKS;
	out->problems = pgdat_check(p);
	for (int i = CACHE_SLOTS; i < SLOTS; i++)
		if (slot_phys[i]) {
			pgdat_free_pages(p, slot_phys[i], slot_order[i]);
			slot_phys[i] = 0;
		}
	page_owner_exit(p);
	mm_test_node_destroy(&node);
	return 0;
}
