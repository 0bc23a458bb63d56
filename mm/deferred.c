/*
 * Free memory untouched at boot: a free MAX_ORDER block is counted but not
 * linked (PFS_DEFERRED) until a request needs it, because linking writes
 * into the block and under QEMU each such write commits 2 MiB of host
 * memory. __free_pages_core() puts blocks off at init; the release
 * functions link them, highest first, where an eager boot's lists would
 * hold them. docs/03b-free-memory-untouched-at-boot.md.
 */
#include "mm/internal.h"

#include "mm/debug_pagealloc.h"

/*
 * Used by mm_init.c to put initial blocks (state already PFS_ALLOC|order).
 * A whole MAX_ORDER block is only counted, not linked: linking writes into
 * the block, and under QEMU each such write makes the host commit 2 MiB
 * of the guest's RAM (a 16 GiB guest had 8.5 GB resident after boot).
 * release_deferred_block links it when a request needs it.
 */
void __free_pages_core(struct pglist_data *p, uint64_t pfn, unsigned int order)
{
	struct zone *z = pfn_to_zone(p, pfn);
	unsigned long flags;
	spin_lock_irqsave(&z->lock, flags);
	if (order == MAX_ORDER && !p->eager_free_lists &&
	    !debug_pagealloc_on(p)) {
		*pfn_state_managed(p, pfn) = PFS_DEFERRED | MAX_ORDER;
		z->deferred_blocks++;
		z->free_area[MAX_ORDER].nr_free++;
		zone_free_pages_add(z, 1LL << MAX_ORDER);
		if (pfn + (1ULL << MAX_ORDER) > z->deferred_cursor)
			z->deferred_cursor = pfn + (1ULL << MAX_ORDER);
	} else {
		poison_block(p, pfn, order);
		__free_one_page(p, z, pfn_to_section(p, pfn), pfn, order);
	}
	spin_unlock_irqrestore(&z->lock, flags);
}

/*
 * Links the highest deferred block: the free boot put off, done now, so
 * blocks come out in the order an eager boot's lists would give them
 * (highest first). Zone lock held. Returns the migrate type of the list it
 * went to, or -1 if the zone has none left.
 */
int release_deferred_block(struct pglist_data *p, struct zone *z)
{
	lockdep_assert_held(&z->lock);
	while (z->deferred_blocks) {
		if (WARN_ON_ONCE(z->deferred_cursor <
				 z->zone_start_pfn + (1ULL << MAX_ORDER))) {
			z->deferred_blocks = 0; /* lost: mm_check says so */
			return -1;
		}
		z->deferred_cursor -= 1ULL << MAX_ORDER;
		uint64_t pfn = z->deferred_cursor;
		uint8_t *st = pfn_state(p, pfn);
		if (!st || *st != (PFS_DEFERRED | MAX_ORDER))
			continue;
		z->deferred_blocks--;
		z->free_area[MAX_ORDER].nr_free--;
		zone_free_pages_add(z, -(1LL << MAX_ORDER));
		*st = PFS_ALLOC | MAX_ORDER;
		poison_block(p, pfn, MAX_ORDER);
		struct mem_section *sec = pfn_to_section(p, pfn);
		__free_one_page(p, z, sec, pfn, MAX_ORDER);
		int type = pageblock_migratetype(sec, pfn);
		/* free_list_has() counts it on this type's list */
		WARN_ON_ONCE(type != deferred_migratetype(p));
		return type;
	}
	return -1;
}

/* Links them all, each after the ones listed before it: highest first
 * after the blocks already listed, as an eager boot's list holds them. */
void release_deferred_blocks_locked(struct pglist_data *p, struct zone *z)
{
	int type;
	while ((type = release_deferred_block(p, z)) >= 0) {
		struct list_head *e = pfn_entry(p, z->deferred_cursor);
		list_del(e);
		list_add_tail(e, &z->free_area[MAX_ORDER].free_list[type]);
	}
}

void release_deferred_blocks(struct pglist_data *p, struct zone *z)
{
	unsigned long flags;
	spin_lock_irqsave(&z->lock, flags);
	release_deferred_blocks_locked(p, z);
	spin_unlock_irqrestore(&z->lock, flags);
}
