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
#include "mm/debug_pagealloc.h"
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

/* Sets both pageblocks of the 4 MiB block at b to `type`, moving their
 * free blocks along; only if both are `from` now (read under the lock:
 * range_candidate looked without it, and another caller may have isolated
 * them or a claim changed them since). An isolated pageblock's free frames
 * leave the zone's free count while it is isolated (a free into it is not
 * counted either: free_one_page_inline), and come back with it. */
static bool set_block_type(struct pglist_data *p, struct zone *z, uint64_t b,
			   int from, int type)
{
	unsigned long flags;
	bool all = true;
	spin_lock_irqsave(&z->lock, flags);
	uint64_t t0 = mm_now_ns();
	for (uint64_t pb = b; pb < b + RUN_PAGES; pb += PAGEBLOCK_PAGES)
		all &= pageblock_migratetype(pfn_to_section(p, pb), pb) == from;
	for (uint64_t pb = b; all && pb < b + RUN_PAGES;
	     pb += PAGEBLOCK_PAGES) {
		struct mem_section *sec = pfn_to_section(p, pb);
		set_pageblock_migratetype(sec, pb, type);
		int64_t moved =
		    (int64_t)move_freepages_block(p, z, sec, pb, type);
		zone_free_pages_add(z,
				    type == MIGRATE_ISOLATE ? -moved : moved);
	}
	uint64_t held = mm_now_ns() - t0;
	spin_unlock_irqrestore(&z->lock, flags);
	compaction_note_irqoff(p, held);
	return all;
}

/* Isolates [start, end) (as Linux's of that name): one 4 MiB
 * block per lock hold, so that interrupts are not off for the whole of a
 * 64 MiB range (133,368 instructions in one hold; docs/10b), and no free
 * block ever lies across a pageblock of another type between two holds.
 * Returns where it stopped: end, or the first block that was not movable
 * any more (the caller gives back what was isolated, and skips the
 * range, as Linux's -EBUSY). */
uint64_t start_isolate_page_range(struct pglist_data *p, struct zone *z,
				  uint64_t start, uint64_t end)
{
	for (uint64_t b = start; b < end; b += RUN_PAGES)
		if (!set_block_type(p, z, b, MIGRATE_MOVABLE, MIGRATE_ISOLATE))
			return b;
	return end;
}

/* Gives [start, end), all isolated by start_isolate_page_range, back. */
void undo_isolate_page_range(struct pglist_data *p, struct zone *z,
			     uint64_t start, uint64_t end)
{
	for (uint64_t b = start; b < end; b += RUN_PAGES)
		WARN_ON_ONCE(
		    !set_block_type(p, z, b, MIGRATE_ISOLATE, MIGRATE_MOVABLE));
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
			uint64_t isolated =
			    start_isolate_page_range(p, z, s, s + len);
			bool ok = isolated == s + len;
			if (ok) {
				drain_all_pages(p); /* parked frames back */
				ok = empty_range(p, s, s + len, gfp,
						 &st.moved) &&
				     take_range(p, z, s, s + len);
			}
			undo_isolate_page_range(p, z, s, isolated);
			if (!ok)
				continue;
			/* debug_pagealloc: the free blocks taken had their
			 * tails unmapped; the range is the caller's now (the
			 * normal path maps in prep_new_page). page_poison:
			 * every frame of it was free, and must read so. */
			debug_pagealloc_map_pages(p, s, len);
			for (uint64_t b = s; b < s + len; b += RUN_PAGES)
				kernel_unpoison_pages(p, b, MAX_ORDER);
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
