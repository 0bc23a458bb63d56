/*
 * Compaction's free scanner (mm/compaction.c has the migrate scanner and
 * the run): the free frames the pages moved go to. It walks the zone down
 * from the top, isolating free blocks and splitting them into single
 * frames, and stops above the pageblock the migrate scanner is emptying.
 * For a request of a pageblock or more it first takes the free frames of
 * pageblocks that can never be a block, wherever they are, then of those
 * below the migrate scanner that cannot be the block now. A zone-lock
 * hold covers at most 32 frames, so interrupts are never off for long; it
 * is timed, and the longest is in meminfo.
 * docs/10-fragmentation-and-compaction.md ("Compaction").
 */
#include "mm/compaction_internal.h"
#include "mm/debug_pagealloc.h"

void compaction_note_irqoff(struct pglist_data *p, uint64_t ns)
{
	if (ns > p->compact.max_irqoff_ns)
		__atomic_store_n(&p->compact.max_irqoff_ns, ns,
				 __ATOMIC_RELAXED);
	unsigned int bucket = 63 - (unsigned int)__builtin_clzll(ns | 1);
	__atomic_fetch_add(&p->compact.irqoff_hist[bucket < 40 ? bucket : 39],
			   1, __ATOMIC_RELAXED);
}

/* May the free scanner take frames from this pageblock? Movable ones only
 * (moving pages into an unmovable one would undo the grouping), except in
 * the hardest run for a request (sync full, as Linux's
 * ignore_block_suitable at MIN_COMPACT_PRIORITY): there the last block
 * matters more, and any pageblock of the ordinary types will do. */
static bool suitable_migration_target(const struct compact_control *cc,
				      uint8_t flags)
{
	int type = flags & PB_MIGRATETYPE_MASK;
	if (type == MIGRATE_MOVABLE)
		return true;
	return cc->prio == COMPACT_PRIO_SYNC_FULL && cc->order >= 0 &&
	       type < MIGRATE_PCPTYPES;
}

/* Takes the free blocks of the pageblock at pb into cc's runs, until it
 * has `want` frames. The zone lock is dropped every SWAP_CLUSTER_MAX
 * frames looked at, and each hold is timed. Returns true if the pageblock
 * was scanned to its end. */
static bool isolate_freepages_block(struct compact_control *cc, uint64_t pb,
				    uint64_t want)
{
	struct pglist_data *p = cc->p;
	struct zone *z = cc->z;
	struct mem_section *sec = pfn_to_section(p, pb);
	uint64_t pfn = pb, end = pb + PAGEBLOCK_PAGES;

	if (!sec)
		return true;
	while (pfn < end && cc->nr_freepages < want &&
	       cc->nr_runs < MIGRATE_BATCH_MAX) {
		unsigned long flags;
		unsigned int looked = 0;
		spin_lock_irqsave(&z->lock, flags);
		uint64_t t0 = mm_now_ns();
		/* Read again under the lock: alloc_contig_pages may have
		 * isolated the pageblock since (its free frames then serve
		 * nobody and are not in free_pages), or a claim changed it. */
		if (!suitable_migration_target(cc, *pageblock_flags_byte(sec,
									 pb))) {
			spin_unlock_irqrestore(&z->lock, flags);
			return true;
		}
		for (;
		     pfn < end && looked < SWAP_CLUSTER_MAX &&
		     cc->nr_freepages < want && cc->nr_runs < MIGRATE_BATCH_MAX;
		     looked++) {
			const uint8_t *st = pfn_state(p, pfn);
			uint8_t s = st ? frame_state_read(st) : 0;
			if (!(s & PFS_FREE) || !in_zone(cc, pfn)) {
				pfn++;
				continue;
			}
			unsigned int o = s & PFS_ORDER_MASK;
			/* Never below min: the pages are for moving others. */
			if (z->free_pages <
			    z->watermark[WMARK_MIN] + (1ULL << o))
				break;
			unlink_block(p, pfn_entry(p, pfn));
			z->free_area[o].nr_free--;
			zone_free_pages_add(z, -(int64_t)(1ULL << o));
			uint8_t *base = sec->frame_state - sec->first_pfn;
			for (uint64_t f = pfn; f < pfn + (1ULL << o); f++)
				base[f] = PFS_ALLOC | 0;
			debug_pagealloc_map_pages(p, pfn + 1, (1ULL << o) - 1);
			cc->run_start[cc->nr_runs] = pfn;
			cc->run_end[cc->nr_runs++] = pfn + (1ULL << o);
			cc->nr_freepages += 1ULL << o;
			cc->isolated += 1ULL << o;
			pfn += 1ULL << o;
		}
		uint64_t held = mm_now_ns() - t0;
		spin_unlock_irqrestore(&z->lock, flags);
		cc->free_scanned += looked;
		compaction_note_irqoff(p, held);
		if (looked < SWAP_CLUSTER_MAX && pfn < end &&
		    cc->nr_freepages < want && cc->nr_runs < MIGRATE_BATCH_MAX)
			return false; /* stopped at the watermark */
	}
	return pfn >= end;
}

/*
 * A pageblock that can never be a free block: some frame of it is not RAM
 * of this zone (a hole, firmware, the kernel, the allocator's metadata, or
 * another zone). For a request of a pageblock or more, its allocated pages
 * are not worth moving out, and its free frames are the best place for the
 * pages moved out of others. (A frame the loader held may be released
 * later: a run that saw the pageblock before only misjudges it once.)
 */
bool pageblock_hopeless(const struct compact_control *cc, uint64_t pb)
{
	const struct mem_section *sec = pfn_to_section(cc->p, pb);
	if (!sec || pb < sec->first_pfn ||
	    pb + PAGEBLOCK_PAGES > sec->first_pfn + sec->nr_frames ||
	    !in_zone(cc, pb) || !in_zone(cc, pb + PAGEBLOCK_PAGES - 1))
		return true;
	const uint8_t *st = &sec->frame_state[pb - sec->first_pfn];
	/* PFS_RESERVED is a byte of 0: eight state bytes at a time. The
	 * arrays are placed so that a pageblock's bytes start a cache line
	 * (state_array_pad, mm/mm_init.c). */
	typedef uint64_t __attribute__((may_alias)) state_word;
	BUG_ON((uintptr_t)st & 7);
	for (unsigned int i = 0; i < PAGEBLOCK_PAGES; i += 8) {
		uint64_t w = __atomic_load_n((const state_word *)(st + i),
					     __ATOMIC_RELAXED);
		if ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL)
			return true;
	}
	return false;
}

/* May the free scanner take free frames of the pageblock at pb (a
 * section holds it, and the rule of types allows it)? */
static bool pageblock_may_take_from(const struct compact_control *cc,
				    uint64_t pb)
{
	struct mem_section *sec = pfn_to_section(cc->p, pb);
	if (!sec)
		return false;
	uint8_t flags =
	    __atomic_load_n(pageblock_flags_byte(sec, pb), __ATOMIC_RELAXED);
	return suitable_migration_target(cc, flags);
}

/* Free frames from the pageblock at pb, if the free scanner may take
 * them, until cc has `want`. True when the pageblock is done with:
 * scanned to its end, or not one to take from. */
static bool take_from_pageblock(struct compact_control *cc, uint64_t pb,
				uint64_t want)
{
	return !pageblock_may_take_from(cc, pb) ||
	       isolate_freepages_block(cc, pb, want);
}

/* For a request of a pageblock or more: free frames from the pageblocks
 * that can never be a block, from the bottom of the zone up to the free
 * scanner, below the migrate scanner too (the two scanners alone leave
 * the free frames below the migrate scanner unused). Returns false when it
 * stopped at the watermark. */
static bool isolate_hopeless_freepages(struct compact_control *cc,
				       uint64_t want)
{
	while (cc->nr_freepages < want && cc->hopeless_pfn < cc->free_pfn &&
	       cc->nr_runs < MIGRATE_BATCH_MAX) {
		uint64_t pb = cc->hopeless_pfn;
		bool done = !pageblock_hopeless(cc, pb) ||
			    take_from_pageblock(cc, pb, want);
		if (!done && cc->nr_freepages < want)
			return false;
		if (done)
			cc->hopeless_pfn = pb + PAGEBLOCK_PAGES;
	}
	return true;
}

/* Does the pageblock hold a free block (on the buddy lists) of the run's
 * zone? */
static bool pageblock_has_free(const struct compact_control *cc, uint64_t pb)
{
	for (uint64_t pfn = pb; pfn < pb + PAGEBLOCK_PAGES;) {
		const uint8_t *st = pfn_state(cc->p, pfn);
		uint8_t s = st ? frame_state_read(st) : 0;
		if ((s & PFS_FREE) && in_zone(cc, pfn))
			return true;
		pfn += (s & PFS_HEAD) ? 1ULL << (s & PFS_ORDER_MASK) : 1;
	}
	return false;
}

/* Room on the stack, and free frames of pb the free scanner may take. */
static bool stuck_worth_noting(const struct compact_control *cc, uint64_t pb)
{
	return cc->nr_stuck < COMPACT_STUCK_MAX &&
	       pageblock_may_take_from(cc, pb) && pageblock_has_free(cc, pb);
}

void note_stuck_pageblock(struct compact_control *cc, uint64_t pb)
{
	if (stuck_worth_noting(cc, pb))
		cc->stuck[cc->nr_stuck++] = pb;
}

/* For a request of a pageblock or more: free frames from the pageblocks
 * below the migrate scanner that cannot be the block now because a page
 * in them cannot move (or another run holds it isolated). The free
 * scanner never goes there: without this, a zone whose free frames are
 * there meets its scanners with the block unmade. First those the
 * migrate scanner passed in this run, then, one at a time, those below
 * where the run started (an earlier run passed them). Returns false when
 * it stopped at the watermark. */
static bool isolate_stuck_freepages(struct compact_control *cc, uint64_t want)
{
	while (cc->nr_freepages < want && cc->nr_runs < MIGRATE_BATCH_MAX) {
		if (!cc->nr_stuck) {
			if (cc->stuck_pfn >= cc->stuck_end)
				break;
			uint64_t pb = cc->stuck_pfn;
			cc->stuck_pfn += PAGEBLOCK_PAGES;
			/* The owners are asked last: it costs the most. */
			if (!pageblock_hopeless(cc, pb) &&
			    stuck_worth_noting(cc, pb) &&
			    !pageblock_can_be_emptied(cc, pb))
				cc->stuck[cc->nr_stuck++] = pb;
			continue;
		}
		bool done =
		    take_from_pageblock(cc, cc->stuck[cc->nr_stuck - 1], want);
		if (!done && cc->nr_freepages < want)
			return false;
		if (done)
			cc->nr_stuck--;
	}
	return true;
}

/* Free frames for the pages isolated now: for a request of a pageblock or
 * more, first from the pageblocks that can never be one, then from those
 * that cannot be one now; then from the pageblocks above the migrate
 * scanner, top down (suitable_migration_target says which). */
static void isolate_freepages(struct compact_control *cc)
{
	uint64_t want = cc->migrate.nr;
	if (cc->order >= PAGEBLOCK_ORDER &&
	    (!isolate_hopeless_freepages(cc, want) ||
	     !isolate_stuck_freepages(cc, want)))
		return;
	/* Above the pageblock the pages being moved came from: the one
	 * holding the frame before migrate_pfn. (From migrate_pfn itself, a
	 * scanner that had just finished a pageblock would put the next one
	 * out of reach with the last of its pages still to move.) */
	uint64_t last = cc->migrate_pfn > cc->zone_start ? cc->migrate_pfn - 1
							 : cc->zone_start;
	uint64_t floor = (last & ~(PAGEBLOCK_PAGES - 1)) + PAGEBLOCK_PAGES;
	while (cc->nr_freepages < want && cc->free_pfn >= floor &&
	       cc->nr_runs < MIGRATE_BATCH_MAX) {
		uint64_t pb = cc->free_pfn;
		/* (The skip hint is the migrate scanner's: a pageblock with
		 * nothing to move may be full of free frames.) */
		bool done = take_from_pageblock(cc, pb, want);
		if (!done && cc->nr_freepages < want)
			break; /* the watermark: no more free frames */
		if (done)
			cc->free_pfn = pb - PAGEBLOCK_PAGES;
	}
}

/* The frames of a block a spill took: each one marked allocated, order
 * 0, as the free scanner marks the frames it takes, and one run. */
static void take_spill_block(struct compact_control *cc, uint64_t pfn,
			     unsigned int order)
{
	struct mem_section *sec = pfn_to_section(cc->p, pfn);
	uint8_t *base = sec->frame_state - sec->first_pfn;
	for (uint64_t f = pfn; f < pfn + (1ULL << order); f++)
		base[f] = PFS_ALLOC | 0;
	debug_pagealloc_map_pages(cc->p, pfn + 1, (1ULL << order) - 1);
	cc->run_start[cc->nr_runs] = pfn;
	cc->run_end[cc->nr_runs++] = pfn + (1ULL << order);
	cc->nr_freepages += 1ULL << order;
	cc->isolated += 1ULL << order;
}

/*
 * A spill's free frames, from the zone below (cc->tz): the allocator's own
 * choice of block (rmqueue_smallest: the smallest free block big enough,
 * split, the rest back on the lists), of the largest order that neither
 * overshoots the batch nor takes the zone to its floor; movable free lists
 * first, and at sync full the other ordinary ones too (the free scanner's
 * rule of types). One zone-lock hold, timed, for at most a batch of 32
 * frames. Dry when the floor or the lists allow no single frame more.
 */
static void isolate_spill_freepages(struct compact_control *cc)
{
	static const int types[MIGRATE_PCPTYPES] = { MIGRATE_MOVABLE,
						     MIGRATE_UNMOVABLE,
						     MIGRATE_RECLAIMABLE };
	struct zone *tz = cc->tz;
	int nr_types =
	    cc->prio == COMPACT_PRIO_SYNC_FULL ? MIGRATE_PCPTYPES : 1;
	unsigned long flags;
	if (cc->spill_dry)
		return; /* no lock taken for nothing */
	spin_lock_irqsave(&tz->lock, flags);
	uint64_t t0 = mm_now_ns();
	while (!cc->spill_dry && cc->nr_freepages < cc->migrate.nr &&
	       cc->nr_runs < MIGRATE_BATCH_MAX) {
		uint64_t spare = tz->free_pages > cc->spill_floor + 1
				     ? tz->free_pages - cc->spill_floor - 1
				     : 0;
		uint64_t n = cc->migrate.nr - cc->nr_freepages;
		if (n > spare)
			n = spare;
		/* Each type down from the largest order 2^k <= n (n <= 32):
		 * every movable list before any other type's. */
		uint64_t pfn = 0;
		int top = n ? 63 - __builtin_clzll(n) : -1;
		unsigned int got = 0;
		for (int t = 0; t < nr_types && !pfn; t++)
			for (int k = top; k >= 0 && !pfn; k--) {
				got = (unsigned int)k;
				pfn =
				    rmqueue_smallest(cc->p, tz, got, types[t]);
			}
		if (!pfn) {
			cc->spill_dry = true;
			break;
		}
		take_spill_block(cc, pfn, got);
	}
	uint64_t held = mm_now_ns() - t0;
	spin_unlock_irqrestore(&tz->lock, flags);
	compaction_note_irqoff(cc->p, held);
}

/* migrate_pages' new_page_t: a free frame from the runs. */
uint64_t compaction_alloc(void *private, uint64_t src_pfn, unsigned int order)
{
	struct compact_control *cc = private;
	(void)src_pfn;
	if (order)
		return 0; /* the scanner isolates single pages only */
	if (!cc->nr_freepages)
		(cc->tz == cc->z ? isolate_freepages
				 : isolate_spill_freepages)(cc);
	if (!cc->nr_freepages)
		return 0;
	unsigned int r = cc->nr_runs - 1;
	uint64_t pfn = cc->run_start[r]++;
	if (cc->run_start[r] == cc->run_end[r])
		cc->nr_runs--;
	cc->nr_freepages--;
	/* Handed out now: a write to it while it was free must be reported
	 * before the page moved in covers it (Linux's post_alloc_hook for
	 * compaction's free pages). */
	kernel_unpoison_pages(cc->p, pfn, 0);
	return pfn;
}

/* Gives one frame compaction holds back to its zone (cc->tz). */
static void release_frame(struct compact_control *cc, uint64_t pfn)
{
	unsigned long flags;
	struct mem_section *sec = pfn_to_section(cc->p, pfn);
	spin_lock_irqsave(&cc->tz->lock, flags);
	WARN_ON_ONCE(sec->frame_state[pfn - sec->first_pfn] != (PFS_ALLOC | 0));
	WARN_ON_ONCE(!in_target_zone(cc, pfn));
	__free_one_page(cc->p, cc->tz, sec, pfn, 0);
	spin_unlock_irqrestore(&cc->tz->lock, flags);
}

/* migrate_pages' free_page_t: a frame it did not use. It was handed out
 * (compaction_alloc checked its poison), so it goes back as a freed
 * block does: poisoned again. */
void compaction_free(void *private, uint64_t pfn, unsigned int order)
{
	struct compact_control *cc = private;
	(void)order;
	poison_block(cc->p, pfn, 0);
	release_frame(cc, pfn);
}

void release_freepages(struct compact_control *cc)
{
	for (unsigned int r = 0; r < cc->nr_runs; r++)
		for (uint64_t f = cc->run_start[r]; f < cc->run_end[r]; f++)
			release_frame(cc, f);
	cc->nr_runs = 0;
	cc->nr_freepages = 0;
}
