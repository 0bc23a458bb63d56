/*
 * Grouping by mobility: which free lists a request takes from, and what it
 * does when its own migrate type has nothing (Linux's __rmqueue and
 * __rmqueue_fallback in mm/page_alloc.c). A request falls back to the
 * other types in a fixed order, taking the largest free block there is, and
 * claims the whole pageblock for its own type when it would take much of it
 * anyway, so the next requests of its kind come from the same pageblock.
 * Also pagetypeinfo, the report of all this, and the pageblock map that
 * `make plots` draws (tools/plots/pageblocks.sh).
 * docs/10-fragmentation-and-compaction.md ("Migrate types") explains it.
 */
#include "mm/internal.h"
#include "mm/page_owner.h"
#include "kernel/lib/format.h"
#include "kernel/lib/printk.h"

const char *const migratetype_names[MIGRATE_TYPES] = {
	"Unmovable", "Movable", "Reclaimable", "HighAtomic", "Isolate",
};

/* Where each type looks when its own lists are empty, nearest first
 * (Linux's fallbacks[]): the kernel's own kinds prefer each other, and
 * movable pages go into unmovable pageblocks last. HIGHATOMIC and ISOLATE
 * pageblocks are never borrowed from. */
static const int fallbacks[MIGRATE_PCPTYPES][MIGRATE_PCPTYPES - 1] = {
	[MIGRATE_UNMOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_MOVABLE },
	[MIGRATE_MOVABLE] = { MIGRATE_RECLAIMABLE, MIGRATE_UNMOVABLE },
	[MIGRATE_RECLAIMABLE] = { MIGRATE_UNMOVABLE, MIGRATE_MOVABLE },
};

uint64_t move_freepages_block(struct pglist_data *p, struct zone *z,
			      struct mem_section *sec, uint64_t start, int type)
{
	uint64_t first = start > sec->first_pfn ? start : sec->first_pfn;
	uint64_t end = start + PAGEBLOCK_PAGES, moved = 0;
	uint64_t span_end = sec->first_pfn + sec->nr_frames;

	lockdep_assert_held(&z->lock);
	if (end > span_end)
		end = span_end;
	for (uint64_t pfn = first; pfn < end;) {
		/* (a frame on a per-CPU list changes without the lock) */
		uint8_t s =
		    frame_state_read(&sec->frame_state[pfn - sec->first_pfn]);
		if (!(s & PFS_FREE)) {
			pfn++;
			continue;
		}
		unsigned int o = s & PFS_ORDER_MASK;
		struct list_head *e = pfn_entry(p, pfn);
		list_del(e);
		list_add(e, &z->free_area[o].free_list[type]);
		moved += 1ULL << o;
		pfn += 1ULL << o;
	}
	return moved;
}

void change_pageblock_range(struct mem_section *sec, uint64_t pfn,
			    unsigned int order, int type)
{
	uint64_t pages =
	    order > PAGEBLOCK_ORDER ? 1ULL << order : PAGEBLOCK_PAGES;
	uint64_t start = pfn & ~(PAGEBLOCK_PAGES - 1);
	for (uint64_t pb = start; pb < start + pages; pb += PAGEBLOCK_PAGES)
		set_pageblock_migratetype(sec, pb, type);
}

/* May a request of start_type that found a free block of `order` in
 * another type's list claim that pageblock? Whole pageblocks always; big
 * pieces too; and the kernel's own kinds always try, since they are the
 * ones that must not spread (Linux's can_steal_fallback). */
static bool can_claim_fallback(unsigned int order, int start_type)
{
	return order >= PAGEBLOCK_ORDER / 2 ||
	       start_type == MIGRATE_UNMOVABLE ||
	       start_type == MIGRATE_RECLAIMABLE;
}

/* The first fallback type with a free block of `order` (boot's unlinked
 * blocks included), or -1. */
static int find_suitable_fallback(const struct pglist_data *p,
				  const struct zone *z, unsigned int order,
				  int start_type)
{
	for (int i = 0; i < MIGRATE_PCPTYPES - 1; i++) {
		int type = fallbacks[start_type][i];
		if (free_list_has(p, z, order, type))
			return type;
	}
	return -1;
}

/*
 * The free block at pfn (order `order`, in a pageblock of another type):
 * claims its pageblock for `type` when the block is a pageblock or more, or
 * when at least half the pageblock is free (then its free blocks all move
 * to `type`'s lists). Linux also counts the pageblock's allocated pages of
 * the new type as on its side; with one state byte per frame we do not
 * know them, so only free pages count, which claims a little less often.
 * Returns true if the pageblock is now `type`'s.
 */
static bool try_to_claim_block(struct pglist_data *p, struct zone *z,
			       uint64_t pfn, unsigned int order, int type)
{
	struct mem_section *sec = pfn_to_section(p, pfn);
	uint64_t start = pfn & ~(PAGEBLOCK_PAGES - 1);

	if (order >= PAGEBLOCK_ORDER) {
		change_pageblock_range(sec, pfn, order, type);
		list_del(pfn_entry(p, pfn));
		list_add(pfn_entry(p, pfn),
			 &z->free_area[order].free_list[type]);
		return true;
	}
	/* A pageblock that straddles the zone's edge stays as it is: its
	 * other part is another zone's, under another lock. */
	if (start < z->window_start_pfn ||
	    start + PAGEBLOCK_PAGES > z->window_end_pfn)
		return false;
	uint64_t free = 0, end = start + PAGEBLOCK_PAGES;
	for (uint64_t f = start; f < end;) {
		const uint8_t *st = pfn_state(p, f);
		uint8_t s = st ? frame_state_read(st) : 0;
		if (s & PFS_FREE) {
			free += 1ULL << (s & PFS_ORDER_MASK);
			f += 1ULL << (s & PFS_ORDER_MASK);
		} else {
			f++;
		}
	}
	if (free < PAGEBLOCK_PAGES / 2)
		return false;
	set_pageblock_migratetype(sec, start, type);
	move_freepages_block(p, z, sec, start, type);
	return true;
}

/*
 * Nothing of `type` at `order` or above: take from another type. The
 * largest block first, so that a claim gets as much as it can; a movable
 * request that may not claim takes the smallest block instead, leaving the
 * big ones for requests that will claim them (Linux's find_smallest).
 * Zone lock held. Returns a pfn (state PFS_ALLOC | order) or 0.
 */
uint64_t rmqueue_fallback(struct pglist_data *p, struct zone *z,
			  unsigned int order, int type)
{
	int fallback = -1;
	unsigned int o;

	for (o = MAX_ORDER + 1; o-- > order;) {
		fallback = find_suitable_fallback(p, z, o, type);
		if (fallback < 0)
			continue;
		if (!can_claim_fallback(o, type) && o > order) {
			/* take the smallest there is instead */
			for (o = order; o <= MAX_ORDER; o++)
				if ((fallback = find_suitable_fallback(p, z, o,
								       type)) >=
				    0)
					break;
		}
		break;
	}
	/* Only unlinked blocks there: the first in line is linked. */
	if (fallback < 0 || (list_empty(&z->free_area[o].free_list[fallback]) &&
			     release_deferred_block(p, z) != fallback))
		return 0;
	__atomic_fetch_add(&p->extfrag_events, 1, __ATOMIC_RELAXED);
	uint64_t pfn = block_pfn(p, z->free_area[o].free_list[fallback].next);
	if (can_claim_fallback(o, type) &&
	    try_to_claim_block(p, z, pfn, o, type)) {
		__atomic_fetch_add(&p->pageblock_claims, 1, __ATOMIC_RELAXED);
		return rmqueue_smallest(p, z, order, type);
	}
	/* Borrow without claiming: the rest of the block stays listed under
	 * its pageblock's type. */
	return rmqueue_smallest(p, z, order, fallback);
}

uint64_t __rmqueue(struct pglist_data *p, struct zone *z, unsigned int order,
		   int type)
{
	/* (rmqueue_smallest asserts the zone lock: one report per bug) */
	uint64_t pfn = rmqueue_smallest(p, z, order, type);
	if (!pfn && type < MIGRATE_PCPTYPES)
		pfn = rmqueue_fallback(p, z, order, type);
	return pfn;
}

/* ---------------------------------------------------------------- report */

/* The mobility an allocated block was asked for, from its page_owner
 * record (the GFP bits themselves, so that it means the same with
 * grouping off); -1 if the record is missing (allocated before page_owner
 * was on). */
static int allocation_type(struct pglist_data *p, uint64_t pfn)
{
	struct page_owner po;
	uint64_t head;
	if (!page_owner_lookup(p, pfn, &po, &head) || head != pfn)
		return -1;
	return (po.gfp & GFP_MOVABLE_MASK) >> 3;
}

/* Is the pageblock at pb mixed: holding allocations of two mobilities, or,
 * with grouping on, of one that is not its own (HIGHATOMIC pageblocks
 * hold unmovable ones by design)? */
static bool pageblock_mixed(struct pglist_data *p, uint64_t pb, int type)
{
	unsigned int seen = 0;
	for (uint64_t f = pb; f < pb + PAGEBLOCK_PAGES; f++) {
		const uint8_t *st = pfn_state(p, f);
		uint8_t s = st ? frame_state_read(st) : 0;
		int at;
		if (!(s & PFS_ALLOC) || (at = allocation_type(p, f)) < 0)
			continue;
		seen |= 1U << at;
	}
	if (seen & (seen - 1))
		return true;
	if (!seen || !p->migratetype_gfp_mask)
		return false;
	if (type == MIGRATE_HIGHATOMIC)
		return seen != 1U << MIGRATE_UNMOVABLE;
	return type < MIGRATE_PCPTYPES && seen != 1U << type;
}

/* Counts a zone's pageblocks by type (out[]) and, when page_owner knows
 * the allocations, the mixed ones. Returns mixed, or -1 without
 * page_owner. */
long zone_pageblock_counts(struct pglist_data *p, struct zone *z,
			   uint64_t out[MIGRATE_TYPES])
{
	bool owner = __atomic_load_n(&page_owner_nodes, __ATOMIC_RELAXED);
	long mixed = 0;
	for (int t = 0; t < MIGRATE_TYPES; t++)
		out[t] = 0;
	if (!z->managed_pages)
		return owner ? 0 : -1;
	uint64_t first = z->zone_start_pfn & ~(PAGEBLOCK_PAGES - 1);
	uint64_t end = z->zone_start_pfn + z->spanned_pages;
	for (uint64_t pb = first; pb < end; pb += PAGEBLOCK_PAGES) {
		struct mem_section *sec = pfn_to_section(p, pb);
		if (!sec || pb + PAGEBLOCK_PAGES <= sec->first_pfn ||
		    pb >= sec->first_pfn + sec->nr_frames)
			continue;
		int type = pageblock_migratetype(sec, pb);
		out[type]++;
		if (owner && pageblock_mixed(p, pb, type))
			mixed++;
	}
	return owner ? mixed : -1;
}

/* ------------------------------------------------------- pageblock map */

/* The block holding pfn whose state byte is s: its head and order. A
 * tail's head is the nearest aligned frame below with a head byte of an
 * order that reaches pfn. Returns the head's byte (0 if none is found). */
static uint8_t block_of(const struct pglist_data *p, uint64_t pfn, uint8_t s,
			uint64_t *head)
{
	*head = pfn;
	if (s != PFS_TAIL)
		return s;
	for (unsigned int o = 1; o <= MAX_ORDER; o++) {
		uint64_t h = pfn & ~((1ULL << o) - 1);
		const uint8_t *st = pfn_state(p, h);
		uint8_t hs = st ? pfs_as_listed(frame_state_read(st)) : 0;
		if ((hs & PFS_HEAD) && (hs & PFS_ORDER_MASK) >= o) {
			*head = h;
			return hs;
		}
	}
	return 0;
}

/* Frames of [lo, hi) that are the allocator's (present) and free (in a
 * free block or parked in a per-CPU cache). Zone lock held. */
static void count_frames(const struct pglist_data *p, uint64_t lo, uint64_t hi,
			 uint64_t *present, uint64_t *free)
{
	*present = *free = 0;
	for (uint64_t f = lo; f < hi;) {
		const uint8_t *st = pfn_state(p, f);
		uint8_t s =
		    st ? pfs_as_listed(frame_state_read(st)) : PFS_RESERVED;
		uint64_t head, n = 1;
		if (s == PFS_RESERVED) {
			f++;
			continue;
		}
		s = block_of(p, f, s, &head);
		if (s & PFS_HEAD)
			n = head + (1ULL << (s & PFS_ORDER_MASK)) - f;
		/* a tail without a head is a broken state byte: count it
		 * used, one frame (pgdat_check reports such frames) */
		WARN_ON_ONCE(!(s & PFS_HEAD));
		if (n > hi - f)
			n = hi - f;
		*present += n;
		if (s & (PFS_FREE | PFS_PCP))
			*free += n;
		f += n;
	}
}

unsigned int zone_pageblock_map_row(struct pglist_data *p, struct zone *z,
				    unsigned int row,
				    char types[PAGEBLOCK_MAP_ROW + 1],
				    char fills[PAGEBLOCK_MAP_ROW + 1])
{
	static const char letter[MIGRATE_TYPES] = { 'U', 'M', 'R', 'H', 'I' };
	uint64_t first = z->zone_start_pfn & ~(PAGEBLOCK_PAGES - 1);
	uint64_t end = z->zone_start_pfn + z->spanned_pages;
	uint64_t pb =
	    first + (uint64_t)row * PAGEBLOCK_MAP_ROW * PAGEBLOCK_PAGES;
	unsigned int n = 0;
	unsigned long flags;

	types[0] = fills[0] = '\0';
	if (!z->spanned_pages || pb >= end)
		return 0;
	spin_lock_irqsave(&z->lock, flags);
	for (; n < PAGEBLOCK_MAP_ROW && pb < end; n++, pb += PAGEBLOCK_PAGES) {
		/* Only the zone's part of a pageblock at its edge. */
		uint64_t lo =
		    pb > z->window_start_pfn ? pb : z->window_start_pfn;
		uint64_t hi = pb + PAGEBLOCK_PAGES < z->window_end_pfn
				  ? pb + PAGEBLOCK_PAGES
				  : z->window_end_pfn;
		uint64_t present = 0, free = 0;
		if (lo < hi)
			count_frames(p, lo, hi, &present, &free);
		struct mem_section *sec = pfn_to_section(p, pb);
		if (!present || !sec) {
			types[n] = fills[n] = '.';
			continue;
		}
		int t = pageblock_migratetype(sec, pb);
		/* (the type bits hold more values than there are types) */
		char c = WARN_ON_ONCE(t >= MIGRATE_TYPES) ? '?' : letter[t];
		types[n] =
		    present < PAGEBLOCK_PAGES ? (char)(c - 'A' + 'a') : c;
		uint64_t used = present - free;
		fills[n] = used == 0	     ? '0'
			   : used == present ? '8'
					     : (char)('1' + used * 7 / present);
	}
	spin_unlock_irqrestore(&z->lock, flags);
	types[n] = fills[n] = '\0';
	return n;
}

void pageblock_map_show(struct pglist_data *p, const char *label)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		char types[PAGEBLOCK_MAP_ROW + 1], fills[PAGEBLOCK_MAP_ROW + 1];
		if (!z->managed_pages)
			continue;
		uint64_t first = z->zone_start_pfn & ~(PAGEBLOCK_PAGES - 1);
		uint64_t end = z->zone_start_pfn + z->spanned_pages;
		pr_info("pageblocks: %s %s %llu pageblocks from pfn 0x%llx, %d a row: type U M R H I (lowercase: partly not RAM or another zone's; '.': none of it), used eighths 0 (all free) .. 8 (full)\n",
			label, z->name,
			(unsigned long long)((end - first + PAGEBLOCK_PAGES -
					      1) /
					     PAGEBLOCK_PAGES),
			(unsigned long long)first, PAGEBLOCK_MAP_ROW);
		for (unsigned int r = 0;
		     zone_pageblock_map_row(p, z, r, types, fills); r++)
			pr_info("pageblocks: %s %s 0x%llx %s %s\n", label,
				z->name,
				(unsigned long long)(first +
						     (uint64_t)r *
							 PAGEBLOCK_MAP_ROW *
							 PAGEBLOCK_PAGES),
				types, fills);
	}
}

void pagetypeinfo_show(struct pglist_data *p)
{
	pr_info("pagetypeinfo: free blocks per order, by migrate type (order 0 .. %d)\n",
		MAX_ORDER);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		if (!z->managed_pages)
			continue;
		for (int t = 0; t < MIGRATE_TYPES; t++) {
			char line[160];
			unsigned int n = 0;
			unsigned long flags;
			spin_lock_irqsave(&z->lock, flags);
			for (unsigned int o = 0; o <= MAX_ORDER; o++) {
				uint64_t c = 0;
				const struct list_head *h =
				    &z->free_area[o].free_list[t];
				for (const struct list_head *e = h->next;
				     e != h; e = e->next)
					c++;
				/* Boot's unlinked blocks: every pageblock
				 * starts as the node's first kind. */
				if (o == MAX_ORDER &&
				    t == deferred_migratetype(p))
					c += z->deferred_blocks;
				n += (unsigned int)
				    ksnprintf(line + n, sizeof(line) - n,
					      " %6llu", (unsigned long long)c);
			}
			spin_unlock_irqrestore(&z->lock, flags);
			pr_info("pagetypeinfo: node %d zone %-6s type %-11s%s\n",
				p->node_id, z->name, migratetype_names[t],
				line);
		}
	}
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		uint64_t blocks[MIGRATE_TYPES];
		if (!z->managed_pages)
			continue;
		long mixed = zone_pageblock_counts(p, z, blocks);
		char m[32];
		if (mixed >= 0)
			ksnprintf(m, sizeof(m), "%ld", mixed);
		else
			ksnprintf(m, sizeof(m), "? (page_owner=on counts)");
		pr_info("pagetypeinfo: node %d zone %-6s pageblocks: Unmovable %llu Movable %llu Reclaimable %llu HighAtomic %llu Isolate %llu; mixed %s\n",
			p->node_id, z->name, (unsigned long long)blocks[0],
			(unsigned long long)blocks[1],
			(unsigned long long)blocks[2],
			(unsigned long long)blocks[3],
			(unsigned long long)blocks[4], m);
	}
	pr_info("pagetypeinfo: node %d fallbacks %llu (pageblocks claimed %llu), grouping %s\n",
		p->node_id, (unsigned long long)p->extfrag_events,
		(unsigned long long)p->pageblock_claims,
		p->migratetype_gfp_mask ? "on" : "off");
}
