/*
 * The highatomic reserve: when memory is short, an order > 0 request that
 * cannot block claims the whole 2 MiB pageblock its block came from, so later
 * high-order atomic requests still find contiguous memory however fragmented
 * the rest becomes. Ordinary requests leave those pageblocks alone until they
 * would otherwise fail; then the pageblocks are given back. Linux's
 * reserve_highatomic_pageblock / unreserve_highatomic_pageblock.
 * docs/03-buddy-and-gfp.md ("Highatomic pageblocks").
 */
#include "mm/internal.h"

void reserve_highatomic_pageblock(struct pglist_data *p, struct zone *z,
				  uint64_t pfn, unsigned int order)
{
	lockdep_assert_held(&z->lock);
	/* At most about 1% of the zone, plus one pageblock (Linux's cap). */
	uint64_t cap = z->managed_pages / 100 + PAGEBLOCK_PAGES;
	uint64_t start = pfn & ~(PAGEBLOCK_PAGES - 1);
	/* A block above PAGEBLOCK_ORDER spans several pageblocks: claim them
	 * all, or its free halves would later be listed as highatomic in an
	 * ordinary pageblock (Linux: change_pageblock_range). */
	uint64_t pages =
	    order > PAGEBLOCK_ORDER ? 1ULL << order : PAGEBLOCK_PAGES;
	struct mem_section *sec = pfn_to_section(p, pfn);

	/* (Room for one more pageblock, as before; a block spanning two may
	 * go one over, as Linux's check before adding 1 << order.) */
	int old = pageblock_migratetype(sec, pfn);
	if (z->nr_reserved_highatomic + PAGEBLOCK_PAGES > cap ||
	    old == MIGRATE_HIGHATOMIC || old == MIGRATE_ISOLATE ||
	    start < z->window_start_pfn || start + pages > z->window_end_pfn)
		return;
	change_pageblock_range(sec, pfn, order, MIGRATE_HIGHATOMIC);
	/* Stored whole: unreserve_highatomic_pageblocks peeks without the
	 * lock (mm/internal.h, above zone_free_pages_add). */
	__atomic_store_n(&z->nr_reserved_highatomic,
			 z->nr_reserved_highatomic + pages, __ATOMIC_RELAXED);
	/* A bigger block is allocated whole: nothing free inside to move. */
	if (order <= PAGEBLOCK_ORDER)
		move_freepages_block(p, z, sec, start, MIGRATE_HIGHATOMIC);
}

/*
 * Gives every highatomic pageblock of the zones up to `highest` back to
 * ordinary use, as pageblocks of `type`. Their free blocks are freed again
 * so that they merge with neighbours they were kept apart from. Returns
 * true if any was.
 */
bool unreserve_highatomic_pageblocks(struct pglist_data *p, int highest,
				     int type)
{
	if (type >= MIGRATE_PCPTYPES)
		type = MIGRATE_UNMOVABLE;
	bool any = false;
	for (int zi = highest; zi >= 0; zi--) {
		struct zone *z = &p->node_zones[zi];
		unsigned long flags;
		if (!__atomic_load_n(&z->nr_reserved_highatomic,
				     __ATOMIC_RELAXED))
			continue;
		spin_lock_irqsave(&z->lock, flags);
		for (uint64_t i = 0; i < (1ULL << p->hash_bits); i++) {
			struct mem_section *sec = &p->sections[i];
			for (unsigned int b = 0;
			     sec->key && b < PAGEBLOCKS_PER_SECTION; b++) {
				uint64_t start =
				    ((sec->key - 1) << PFN_SECTION_SHIFT) +
				    ((uint64_t)b << PAGEBLOCK_ORDER);
				if (pageblock_migratetype(sec, start) !=
					MIGRATE_HIGHATOMIC ||
				    start < z->window_start_pfn ||
				    start >= z->window_end_pfn)
					continue;
				set_pageblock_migratetype(sec, start, type);
				__atomic_store_n(&z->nr_reserved_highatomic,
						 z->nr_reserved_highatomic -
						     PAGEBLOCK_PAGES,
						 __ATOMIC_RELAXED);
				any = true;
				uint64_t first = start > sec->first_pfn
						     ? start
						     : sec->first_pfn;
				uint64_t end = start + PAGEBLOCK_PAGES;
				if (end > sec->first_pfn + sec->nr_frames)
					end = sec->first_pfn + sec->nr_frames;
				for (uint64_t pfn = first; pfn < end;) {
					uint8_t *st =
					    &sec->frame_state[pfn -
							      sec->first_pfn];
					if (!(frame_state_read(st) &
					      PFS_FREE)) {
						pfn++;
						continue;
					}
					unsigned int o = *st & PFS_ORDER_MASK;
					unlink_block(p, pfn_entry(p, pfn));
					z->free_area[o].nr_free--;
					zone_free_pages_add(z,
							    -(int64_t)(1ULL
								       << o));
					*st = PFS_ALLOC | o;
					__free_one_page(p, z, sec, pfn, o);
					pfn += 1ULL << o;
				}
			}
		}
		spin_unlock_irqrestore(&z->lock, flags);
	}
	return any;
}
