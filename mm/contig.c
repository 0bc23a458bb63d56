/*
 * Contiguous runs larger than MAX_ORDER (Linux's alloc_contig_range and
 * its page isolation): a device that wants 64 MiB in one piece gets it by
 * isolating the pageblocks of a range (MIGRATE_ISOLATE: nobody allocates
 * from them any more, and frees into them stay there), moving every page
 * of the range elsewhere, and taking the then free range whole.
 * docs/10-fragmentation-and-compaction.md ("Contiguous runs").
 */
#include "mm/contig.h"
#include "mm/compaction.h"
#include "mm/internal.h"
#include "mm/migrate.h"
#include "mm/pcp.h"

#include "kernel/lib/printk.h"

#define RUN_PAGES (1ULL << MAX_ORDER) /* ranges are whole 4 MiB blocks */
#define MIGRATE_TRIES 5		      /* passes over a range's busy pages */

/* Could [start, end) of zone z be emptied? Every frame RAM of the zone,
 * every pageblock ordinary, nothing allocated but single pages (the only
 * kind owners move). A quick test without the lock; isolation decides. */
static bool range_candidate(struct pglist_data *p, struct zone *z,
			    uint64_t start, uint64_t end)
{
	if (start < z->window_start_pfn || end > z->window_end_pfn)
		return false;
	for (uint64_t pfn = start; pfn < end;) {
		const uint8_t *st = pfn_state(p, pfn);
		if (!st)
			return false;
		struct mem_section *sec = pfn_to_section(p, pfn);
		if (pfn % PAGEBLOCK_PAGES == 0 &&
		    pageblock_migratetype(sec, pfn) != MIGRATE_MOVABLE)
			return false;
		uint8_t s = frame_state_read(st);
		if (s == PFS_RESERVED ||
		    ((s & PFS_ALLOC) && (s & PFS_ORDER_MASK)))
			return false;
		pfn += (s & PFS_FREE) ? 1ULL << (s & PFS_ORDER_MASK) : 1;
	}
	return true;
}

/* Sets every pageblock of [start, end) to `type`, moving its free blocks
 * along (Linux's set_migratetype_isolate and its undo). */
static void set_range_type(struct pglist_data *p, struct zone *z,
			   uint64_t start, uint64_t end, int type)
{
	/* One pageblock per lock hold (as Linux's, which isolates them one
	 * at a time): 32 pageblocks of 512 frames in one would keep
	 * interrupts off for the whole of a 64 MiB range. */
	for (uint64_t pb = start; pb < end; pb += PAGEBLOCK_PAGES) {
		unsigned long flags;
		struct mem_section *sec = pfn_to_section(p, pb);
		spin_lock_irqsave(&z->lock, flags);
		uint64_t t0 = mm_now_ns();
		int old = pageblock_migratetype(sec, pb);
		set_pageblock_migratetype(sec, pb, type);
		int64_t moved =
		    (int64_t)move_freepages_block(p, z, sec, pb, type);
		/* An isolated pageblock's free frames leave the zone's free
		 * count while it is isolated (mm/page_free.c, the end of
		 * free_one_page_inline), and come back with it. */
		if (type == MIGRATE_ISOLATE && old != MIGRATE_ISOLATE)
			zone_free_pages_add(z, -moved);
		else if (old == MIGRATE_ISOLATE && type != MIGRATE_ISOLATE)
			zone_free_pages_add(z, moved);
		uint64_t held = mm_now_ns() - t0;
		spin_unlock_irqrestore(&z->lock, flags);
		compaction_note_irqoff(p, held);
	}
}

struct contig_target {
	struct pglist_data *p;
	gfp_t gfp;
};

/* migrate_pages' new_page_t: a frame anywhere but the range (isolated
 * pageblocks serve nobody, so the allocator cannot pick one there). */
static uint64_t contig_new_page(void *private, uint64_t src, unsigned int order)
{
	struct contig_target *t = private;
	(void)src;
	return pgdat_alloc_pages(t->p, t->gfp | __GFP_MOVABLE | __GFP_NOWARN,
				 order) >>
	       PAGE_SHIFT;
}

static void contig_put_page(void *private, uint64_t pfn, unsigned int order)
{
	struct contig_target *t = private;
	pgdat_free_pages(t->p, pfn << PAGE_SHIFT, order);
}

/* Moves every allocated page out of [start, end). True if none is left. */
static bool empty_range(struct pglist_data *p, uint64_t start, uint64_t end,
			gfp_t gfp, uint64_t *moved)
{
	struct contig_target target = { p, gfp };
	struct migrate_list list;
	for (int pass = 0; pass < MIGRATE_TRIES; pass++) {
		bool left = false;
		migrate_list_init(&list);
		for (uint64_t pfn = start; pfn < end;) {
			uint8_t s = frame_state_read(pfn_state(p, pfn));
			if (s & PFS_ALLOC) {
				left = true;
				migrate_list_isolate(p, &list, pfn);
			}
			if (list.nr == MIGRATE_BATCH_MAX ||
			    (pfn + 1 == end && list.nr)) {
				unsigned int ok = 0;
				migrate_pages(p, &list, contig_new_page,
					      contig_put_page, &target,
					      MR_CONTIG_RANGE, &ok);
				*moved += ok;
			}
			pfn +=
			    (s & PFS_FREE) ? 1ULL << (s & PFS_ORDER_MASK) : 1;
		}
		if (list.nr) {
			unsigned int ok = 0;
			migrate_pages(p, &list, contig_new_page,
				      contig_put_page, &target, MR_CONTIG_RANGE,
				      &ok);
			*moved += ok;
		}
		/* Frames freed meanwhile may sit on per-CPU lists: no, a
		 * free in an isolated pageblock goes to the zone; but frames
		 * parked before the isolation do. Bring them back. */
		drain_all_pages(p);
		if (!left)
			return true;
	}
	for (uint64_t pfn = start; pfn < end; pfn++)
		if (frame_state_read(pfn_state(p, pfn)) & (PFS_ALLOC | PFS_PCP))
			return false;
	return true;
}

/* Takes the free blocks of the isolated range off their lists and hands
 * the range out as allocated 4 MiB blocks. False if a frame is not free
 * (something was allocated or parked meanwhile): nothing taken then. */
static bool take_range(struct pglist_data *p, struct zone *z, uint64_t start,
		       uint64_t end)
{
	unsigned long flags;
	bool ok = true;
	spin_lock_irqsave(&z->lock, flags);
	uint64_t t0 = mm_now_ns();
	for (uint64_t pfn = start; pfn < end && ok;) {
		uint8_t s = frame_state_read(pfn_state(p, pfn));
		ok = (s & PFS_FREE) != 0;
		pfn += ok ? 1ULL << (s & PFS_ORDER_MASK) : 1;
	}
	for (uint64_t pfn = start; pfn < end && ok;) {
		uint8_t *st = pfn_state(p, pfn);
		unsigned int o = *st & PFS_ORDER_MASK;
		unlink_block(p, pfn_entry(p, pfn));
		z->free_area[o].nr_free--; /* (isolated: not in free_pages) */
		*st = PFS_TAIL;
		pfn += 1ULL << o;
	}
	for (uint64_t pfn = start; pfn < end && ok; pfn += RUN_PAGES)
		*pfn_state(p, pfn) = PFS_ALLOC | MAX_ORDER;
	uint64_t held = mm_now_ns() - t0;
	spin_unlock_irqrestore(&z->lock, flags);
	compaction_note_irqoff(p, held);
	return ok;
}

uint64_t pgdat_alloc_contig_pages(struct pglist_data *p, uint64_t nr, gfp_t gfp,
				  struct contig_stats *stats)
{
	uint64_t len = (nr + RUN_PAGES - 1) & ~(RUN_PAGES - 1);
	struct contig_stats st = { 0 };
	if (!nr || nr > p->totalram_pages || (gfp & ~__GFP_BITS_MASK) ||
	    !gfpflags_allow_blocking(gfp)) {
		pr_warn(
		    "alloc_contig_pages: refusing %llu pages, mode 0x%x: %s\n",
		    (unsigned long long)nr, gfp,
		    !gfpflags_allow_blocking(gfp)
			? "moving pages needs a caller that may sleep"
			: "no pages, more than the node has, or unknown flags");
		return 0;
	}
	for (int zi = gfp_zone(gfp); zi >= 0; zi--) {
		struct zone *z = &p->node_zones[zi];
		if (!z->managed_pages)
			continue;
		/* Isolation moves listed free blocks: boot's unlinked ones
		 * must be on the lists first. */
		release_deferred_blocks(p, z);
		uint64_t first =
		    (z->zone_start_pfn + RUN_PAGES - 1) & ~(RUN_PAGES - 1);
		uint64_t zend = z->zone_start_pfn + z->spanned_pages;
		for (uint64_t s = first; s + len <= zend; s += len) {
			if (!range_candidate(p, z, s, s + len))
				continue;
			st.ranges_tried++;
			set_range_type(p, z, s, s + len, MIGRATE_ISOLATE);
			drain_all_pages(p); /* parked frames come back */
			bool ok = empty_range(p, s, s + len, gfp, &st.moved) &&
				  take_range(p, z, s, s + len);
			set_range_type(p, z, s, s + len, MIGRATE_MOVABLE);
			if (!ok)
				continue;
			if (stats)
				*stats = st;
			return s << PAGE_SHIFT;
		}
	}
	if (stats)
		*stats = st;
	return 0;
}

void pgdat_free_contig_range(struct pglist_data *p, uint64_t phys, uint64_t nr)
{
	uint64_t len = (nr + RUN_PAGES - 1) & ~(RUN_PAGES - 1);
	for (uint64_t off = 0; off < len; off += RUN_PAGES)
		pgdat_free_pages(p, phys + (off << PAGE_SHIFT), MAX_ORDER);
}
