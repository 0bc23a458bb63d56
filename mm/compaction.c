/*
 * Compaction (Linux's mm/compaction.c): the migrate scanner walks a zone up
 * from the bottom isolating movable pages, at most 32 at a time; the free
 * scanner (mm/compaction_free.c) walks down from the top isolating free
 * blocks and splitting them into single frames for those pages to move
 * to; mm/migrate.c moves them, and the frames they leave behind merge into
 * large blocks. The scanners meet in the middle.
 * docs/10-fragmentation-and-compaction.md ("Compaction").
 */
#include "mm/compaction_internal.h"
#include "mm/memalloc.h"
#include "mm/pcp.h"

#include "kernel/lib/printk.h"

/* ---------------------------------------------------------------- migrate scanner */

/* May the migrate scanner take pages from this pageblock? */
static bool suitable_migration_source(const struct compact_control *cc,
				      uint8_t flags)
{
	int type = flags & PB_MIGRATETYPE_MASK;
	/* The hints only spare the cheap async runs a second look; a
	 * synchronous run looks at everything (Linux clears them as often
	 * as kswapd sleeps, so its sync runs rarely see stale ones). */
	if ((flags & PB_COMPACT_SKIP) && cc->prio == COMPACT_PRIO_ASYNC)
		return false;
	if (type == MIGRATE_ISOLATE || type == MIGRATE_HIGHATOMIC)
		return false;
	if (cc->prio != COMPACT_PRIO_ASYNC)
		return true;
	/* The cheap async try of a request that is not movable takes pages
	 * only from pageblocks of its own kind, which movable pages fell
	 * back into, so that its block is made there instead of claiming a
	 * movable pageblock (Linux's rule for direct async runs). */
	if (cc->direct && cc->migratetype != MIGRATE_MOVABLE)
		return type == cc->migratetype;
	return type == MIGRATE_MOVABLE;
}

/*
 * For a block of a pageblock or more, a pageblock with one page that
 * cannot move can never become the block: moving its other pages would
 * only spend free frames. Asks the owners about every allocated page (each
 * isolated and at once put back); false at the first that is not
 * movable, or busy, or bigger than a single page. A spill after a
 * whole-zone run also needs the zone below to take all of them (a read
 * without the lock: a guess, as the spill itself stops at the floor),
 * else it would move them for nothing.
 */
bool pageblock_can_be_emptied(struct compact_control *cc, uint64_t pb)
{
	struct migrate_list probe;
	bool ok = true;
	uint64_t used = 0;
	migrate_list_init(&probe);
	for (uint64_t pfn = pb; ok && pfn < pb + PAGEBLOCK_PAGES;) {
		const uint8_t *st = pfn_state(cc->p, pfn);
		uint8_t s = st ? frame_state_read(st) : 0;
		if (s & PFS_ALLOC) {
			ok = !(s & PFS_ORDER_MASK) &&
			     migrate_list_isolate(cc->p, &probe, pfn);
			used++;
			if (probe.nr == MIGRATE_BATCH_MAX)
				putback_movable_pages(cc->p, &probe);
		}
		pfn += (s & PFS_HEAD) ? 1ULL << (s & PFS_ORDER_MASK) : 1;
	}
	putback_movable_pages(cc->p, &probe);
	if (ok && cc->spill_after_run)
		ok = __atomic_load_n(&cc->tz->free_pages, __ATOMIC_RELAXED) +
			 cc->nr_freepages >
		     cc->spill_floor + used;
	return ok;
}

/* Isolates up to MIGRATE_BATCH_MAX movable pages from migrate_pfn up,
 * below the free scanner. A pageblock scanned to its end without one
 * page taken is marked skip. */
static void isolate_migratepages(struct compact_control *cc)
{
	struct pglist_data *p = cc->p;
	uint64_t limit = cc->free_pfn;

	while (cc->migrate_pfn < limit && cc->migrate.nr < MIGRATE_BATCH_MAX) {
		uint64_t pfn = cc->migrate_pfn;
		uint64_t pb = pfn & ~(PAGEBLOCK_PAGES - 1);
		uint64_t end = pb + PAGEBLOCK_PAGES;
		struct mem_section *sec = pfn_to_section(p, pb);
		if (!sec) {
			cc->migrate_pfn = end;
			continue;
		}
		uint8_t *flags = pageblock_flags_byte(sec, pb);
		if (pfn == pb) {
			if (!suitable_migration_source(
				cc, __atomic_load_n(flags, __ATOMIC_RELAXED)) ||
			    (cc->order >= PAGEBLOCK_ORDER &&
			     pageblock_hopeless(cc, pb))) {
				cc->migrate_pfn = end;
				continue;
			}
			if (cc->order >= PAGEBLOCK_ORDER &&
			    !pageblock_can_be_emptied(cc, pb)) {
				/* Its free frames can take the pages moved
				 * out of the pageblocks above. */
				note_stuck_pageblock(cc, pb);
				cc->migrate_pfn = end;
				continue;
			}
			cc->block_isolated = false;
		}
		while (pfn < end && cc->migrate.nr < MIGRATE_BATCH_MAX) {
			const uint8_t *st = pfn_state(p, pfn);
			uint8_t s = st ? frame_state_read(st) : 0;
			cc->migrate_scanned++;
			if ((s & PFS_HEAD) && in_zone(cc, pfn)) {
				if ((s & PFS_ALLOC) && !(s & PFS_ORDER_MASK) &&
				    migrate_list_isolate(p, &cc->migrate,
							 pfn)) {
					cc->block_isolated = true;
					cc->isolated++;
				}
				pfn += 1ULL << (s & PFS_ORDER_MASK);
			} else {
				pfn++;
			}
		}
		cc->migrate_pfn = pfn;
		if (pfn >= end && !cc->block_isolated)
			__atomic_fetch_or(flags, (uint8_t)PB_COMPACT_SKIP,
					  __ATOMIC_RELAXED);
	}
}

/* ---------------------------------------------------------------- the run */

/* Has the run done its job (a free block of the order, the score's mark)
 * or gone through the zone? */
static enum compact_result compact_goal(struct compact_control *cc)
{
	struct zone *z = cc->z;
	if (cc->migrate_pfn >= cc->free_pfn)
		return COMPACT_COMPLETE;
	if (cc->proactive)
		return fragmentation_score_node(cc->p) <=
			       fragmentation_score_wmark(cc->p, true)
			   ? COMPACT_SUCCESS
			   : COMPACT_CONTINUE;
	if (cc->order < 0)
		return COMPACT_CONTINUE;
	/* A spill has made its block only once the zone is no longer short;
	 * it is over when the zone below gives no more frames and it holds
	 * none. */
	bool spill_over = cc->tz != z && cc->spill_dry && !cc->nr_freepages;
	if (cc->tz != z &&
	    compaction_shortfall(z, (unsigned int)cc->order, cc->highest))
		return spill_over ? COMPACT_COMPLETE : COMPACT_CONTINUE;
	/* A block of the order is free on a list any request may use. */
	for (unsigned int o = (unsigned int)cc->order; o <= MAX_ORDER; o++)
		for (int t = 0; t < MIGRATE_PCPTYPES; t++) {
			/* a peek without the lock: either answer is safe */
			const struct list_head *h =
			    &z->free_area[o].free_list[t];
			if (__atomic_load_n(&h->next, __ATOMIC_RELAXED) != h)
				return COMPACT_SUCCESS;
		}
	return spill_over ? COMPACT_COMPLETE : COMPACT_CONTINUE;
}

/* Between batches, when it holds no page isolated, a background run that
 * has not done its job gives way to a request's run (compaction_enter). */
static enum compact_result compact_finished(struct compact_control *cc)
{
	enum compact_result r = compact_goal(cc);
	if (r == COMPACT_CONTINUE && !cc->direct &&
	    __atomic_load_n(&cc->z->compact_direct_runs, __ATOMIC_SEQ_CST))
		return COMPACT_CONTENDED;
	return r;
}

/* The run's loop: batches of pages isolated and moved until the goal; then
 * the frames it still holds go back and the node's counters grow. */
static enum compact_result compact_scan(struct compact_control *cc)
{
	struct pglist_data *p = cc->p;
	enum compact_result ret;
	migrate_list_init(&cc->migrate);
	while ((ret = compact_finished(cc)) == COMPACT_CONTINUE) {
		isolate_migratepages(cc);
		if (!cc->migrate.nr)
			continue;
		unsigned int moved = 0;
		migrate_pages(p, &cc->migrate, compaction_alloc,
			      compaction_free, cc, MR_COMPACTION, &moved);
		cc->moved += moved;
		/* The old frames went to this CPU's list: merge them now,
		 * a chunk per interrupts-off stretch, each counted among
		 * compaction's. */
		pcp_drain_local_timed(p, compaction_note_irqoff);
	}
	release_freepages(cc);
	__atomic_fetch_add(&p->compact.compact_migrate_scanned,
			   cc->migrate_scanned, __ATOMIC_RELAXED);
	__atomic_fetch_add(&p->compact.compact_free_scanned, cc->free_scanned,
			   __ATOMIC_RELAXED);
	__atomic_fetch_add(&p->compact.compact_isolated, cc->isolated,
			   __ATOMIC_RELAXED);
	cc->migrate_scanned = cc->free_scanned = cc->isolated = 0; /* added */
	return ret;
}

/*
 * A spill (docs/10b, "Spilling into the zone below"): the zone has too few
 * free frames for the block above min, however they lay (`need` is the
 * shortfall), or its own run met its scanners without the block (need 1:
 * its free frames lie where that run may not put pages). A zone below
 * must spare `need` above its floor. The migrate scanner walks the whole
 * zone from the bottom, and the pages it takes move to the zone below, so
 * that each one moved leaves the zone a free frame more, until it has its
 * block above min or the zone below reaches its floor. The zone's scanner
 * positions stay for its ordinary runs.
 */
static enum compact_result compact_zone_spill(struct compact_control *cc,
					      uint64_t zone_end, uint64_t need)
{
	struct pglist_data *p = cc->p;
	uint64_t moved = cc->moved;
	cc->tz = compaction_spill_target(p, cc->z, need, &cc->spill_floor);
	if (!cc->tz) {
		cc->tz = cc->z;
		return COMPACT_SKIPPED; /* the zone below gave its frames away */
	}
	cc->spill_dry = false;
	cc->migrate_pfn = cc->zone_start;
	cc->free_pfn = zone_end; /* no free scanner: the migrate one goes on */
	cc->hopeless_pfn = zone_end;
	cc->nr_stuck = 0;
	cc->stuck_pfn = cc->stuck_end = cc->zone_start;
	enum compact_result ret = compact_scan(cc);
	if (ret == COMPACT_COMPLETE)
		cc->z->compact_blockskip_flush = true; /* as any whole run */
	if (cc->moved > moved) {
		__atomic_fetch_add(&p->compact.compact_spills, 1,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&p->compact.compact_spill_moved,
				   cc->moved - moved, __ATOMIC_RELAXED);
	}
	return ret;
}

static enum compact_result compact_zone(struct compact_control *cc)
{
	struct pglist_data *p = cc->p;
	struct zone *z = cc->z;
	enum compact_result ret;
	/* Rounded up: the free scanner starts at the pageblock holding the
	 * zone's last frame, even where the zone ends inside it. */
	uint64_t zone_end =
	    (z->zone_start_pfn + z->spanned_pages + PAGEBLOCK_PAGES - 1) &
	    ~(PAGEBLOCK_PAGES - 1);

	cc->tz = z;
	if (cc->order >= 0 && !cc->proactive) {
		ret = compaction_suitable(p, z, (unsigned int)cc->order,
					  cc->highest);
		if (ret != COMPACT_CONTINUE)
			return ret;
	}
	cc->zone_start = z->zone_start_pfn & ~(PAGEBLOCK_PAGES - 1);
	uint64_t shortfall =
	    cc->order > 0 && !cc->proactive
		? compaction_shortfall(z, (unsigned int)cc->order, cc->highest)
		: 0;
	if (shortfall)
		return compact_zone_spill(cc, zone_end, shortfall);
	if (compaction_restarting(z, cc->order) ||
	    cc->prio == COMPACT_PRIO_SYNC_FULL)
		z->compact_cached_migrate_pfn = z->compact_cached_free_pfn =
		    z->compact_cached_hopeless_pfn = 0;
	/* Linux forgets the hints whenever kswapd goes to sleep after a run
	 * that went through the whole zone (compact_blockskip_flush); here
	 * the next sync light run after such a run forgets them. Only async
	 * runs use them (synchronous ones look inside marked pageblocks
	 * anyway), so an async run must leave the flag for that sync run:
	 * the slow path runs one first. */
	if (compaction_restarting(z, cc->order) ||
	    (cc->prio == COMPACT_PRIO_SYNC_LIGHT &&
	     z->compact_blockskip_flush)) {
		reset_skip_hints(p, z);
		z->compact_blockskip_flush = false;
	}
	/* Go on where the last run stopped, or start at both ends. */
	cc->migrate_pfn = z->compact_cached_migrate_pfn
			      ? z->compact_cached_migrate_pfn
			      : cc->zone_start;
	cc->free_pfn = z->compact_cached_free_pfn ? z->compact_cached_free_pfn
						  : zone_end - PAGEBLOCK_PAGES;
	cc->hopeless_pfn = z->compact_cached_hopeless_pfn
			       ? z->compact_cached_hopeless_pfn
			       : cc->zone_start;
	/* A run that made its block with the scanners all but met (less
	 * than a pageblock between them) left nearly nothing: starting
	 * there, this run would "complete" having looked at a frame or two,
	 * and its request fail and defer compaction untried (48 MiB, 3 of
	 * 20 two-CPU boots; docs/10b, "Scanners that had met"). Start over
	 * at both ends instead. */
	if (cc->migrate_pfn + PAGEBLOCK_PAGES > cc->free_pfn) {
		cc->migrate_pfn = cc->hopeless_pfn = cc->zone_start;
		cc->free_pfn = zone_end - PAGEBLOCK_PAGES;
	}
	/* A run of a smaller order may have stopped inside a pageblock that
	 * can never be a block: one for a block of a pageblock or more goes
	 * on from the next, as it passes such pageblocks by at their start
	 * (isolate_migratepages), and their free frames may be taken. */
	if (cc->order >= PAGEBLOCK_ORDER &&
	    (cc->migrate_pfn & (PAGEBLOCK_PAGES - 1)) &&
	    pageblock_hopeless(cc, cc->migrate_pfn & ~(PAGEBLOCK_PAGES - 1)))
		cc->migrate_pfn = (cc->migrate_pfn | (PAGEBLOCK_PAGES - 1)) + 1;
	if (zone_end < cc->zone_start + 2 * PAGEBLOCK_PAGES)
		return COMPACT_COMPLETE; /* nothing to move anywhere */
	/* The pageblocks an earlier run passed, below where this one
	 * starts: isolate_stuck_freepages() looks at them when it needs to. */
	cc->nr_stuck = 0;
	cc->stuck_pfn = cc->zone_start;
	cc->stuck_end = cc->migrate_pfn & ~(PAGEBLOCK_PAGES - 1);
	ret = compact_scan(cc);
	/* (A run that gave the zone up keeps its place, like any that
	 * stopped before the scanners met.) */
	if (ret == COMPACT_COMPLETE) {
		z->compact_cached_migrate_pfn = z->compact_cached_free_pfn =
		    z->compact_cached_hopeless_pfn = 0;
		z->compact_blockskip_flush = true;
		/* The whole zone without the block: its free frames are where
		 * its own run may not put pages (an unmovable pageblock below
		 * sync full, the very pageblock being emptied). A zone below
		 * with frames to spare may take the pages (48 MiB: a
		 * background spill that gave way left 35 pages in the
		 * pageblock; docs/10b, "Scanners that had met"). Not for the
		 * cheap async try. It may make the block, or give way. */
		if (cc->order > 0 && !cc->proactive &&
		    cc->prio != COMPACT_PRIO_ASYNC) {
			cc->spill_after_run = true;
			enum compact_result r =
			    compact_zone_spill(cc, zone_end, 1);
			if (r == COMPACT_SUCCESS || r == COMPACT_CONTENDED)
				ret = r;
		}
	} else {
		z->compact_cached_migrate_pfn = cc->migrate_pfn;
		z->compact_cached_free_pfn = cc->free_pfn;
		z->compact_cached_hopeless_pfn = cc->hopeless_pfn;
	}
	return ret;
}

/* ---------------------------------------------------------------- one run at a time */

/*
 * Two runs in one zone at once defeat each other: each sees the pages and
 * free frames the other holds isolated as pages that cannot move, so a
 * pageblock about to become a block looks stuck, and the free frames a
 * request's run counted on are gone for the moment. A request's run
 * (direct) therefore has the zone to itself: a background run stops at
 * its next batch boundary while one is on (COMPACT_CONTENDED, its place
 * kept; at once if it had not begun), and a sync request's run waits for
 * that, at most COMPACT_YIELD_WAIT_MS, where the caller can sleep.
 * Requests' runs may share a zone, as in Linux (which lets kcompactd and
 * direct compaction overlap; docs/10b, "One run per zone").
 */
#define COMPACT_YIELD_WAIT_MS 100

static bool no_background_run(void *arg)
{
	struct zone *z = arg;
	return !__atomic_load_n(&z->compact_background_runs, __ATOMIC_SEQ_CST);
}

/* Each side announces itself, then looks at the other (sequentially
 * consistent): at least one of the two sees the other. A background run
 * looks between its batches (compact_finished). */
static void compaction_enter(struct compact_control *cc)
{
	struct zone *z = cc->z;
	if (!cc->direct) {
		__atomic_fetch_add(&z->compact_background_runs, 1,
				   __ATOMIC_SEQ_CST);
		return;
	}
	__atomic_fetch_add(&z->compact_direct_runs, 1, __ATOMIC_SEQ_CST);
	/* The cheap async try does not sleep (nor does Linux's): the
	 * background run still stops at its next batch. */
	if (cc->prio != COMPACT_PRIO_ASYNC && !no_background_run(z) &&
	    mm_can_wait(cc->p))
		mm_wait_var_event_timeout(&z->compact_background_runs,
					  no_background_run, z,
					  COMPACT_YIELD_WAIT_MS);
}

static void compaction_leave(struct compact_control *cc,
			     enum compact_result ret)
{
	struct zone *z = cc->z;
	if (cc->direct) {
		__atomic_fetch_sub(&z->compact_direct_runs, 1,
				   __ATOMIC_SEQ_CST);
		return;
	}
	if (ret == COMPACT_CONTENDED)
		__atomic_fetch_add(&cc->p->compact.compact_yields, 1,
				   __ATOMIC_RELAXED);
	__atomic_fetch_sub(&z->compact_background_runs, 1, __ATOMIC_SEQ_CST);
	mm_wake_up_var(&z->compact_background_runs);
}

/* A run, one of a zone's runs at a time as above. Compaction frees memory:
 * what it needs may come from below the watermarks, and it never reclaims
 * (as Linux). */
static enum compact_result run_compact_zone(struct compact_control *cc)
{
	/* A request's run that would not run does not stop the background
	 * one, unless that one is on: the frames it holds may be why the
	 * zone looks short, and compact_zone() asks again. */
	if (cc->direct && no_background_run(cc->z)) {
		enum compact_result r =
		    compaction_suitable(cc->p, cc->z, (unsigned int)cc->order,
					cc->highest);
		if (r != COMPACT_CONTINUE)
			return r;
	}
	compaction_enter(cc);
	unsigned int scope = memalloc_noreclaim_save();
	enum compact_result ret = compact_zone(cc);
	memalloc_noreclaim_restore(scope);
	compaction_leave(cc, ret);
	return ret;
}

static enum compact_result
compact_zone_for(struct pglist_data *p, struct zone *z, int order, gfp_t gfp,
		 int highest, enum compact_priority prio, bool direct)
{
	struct compact_control cc = {
		.p = p,
		.z = z,
		.order = order,
		.highest = highest,
		.prio = prio,
		.direct = direct,
		.migratetype = gfp_migratetype(p, gfp),
	};
	if (p->compaction_off || !z->managed_pages)
		return COMPACT_SKIPPED;
	return run_compact_zone(&cc);
}

enum compact_result compact_zone_order(struct pglist_data *p, struct zone *z,
				       int order, gfp_t gfp, int highest,
				       enum compact_priority prio)
{
	return compact_zone_for(p, z, order, gfp, highest, prio, false);
}

enum compact_result try_to_compact_pages(struct pglist_data *p, gfp_t gfp,
					 unsigned int order, int highest,
					 enum compact_priority prio)
{
	enum compact_result best = COMPACT_SKIPPED;
	if (!order || p->compaction_off)
		return COMPACT_SKIPPED;
	for (int zi = highest; zi >= 0; zi--) {
		struct zone *z = &p->node_zones[zi];
		if (!z->managed_pages)
			continue;
		if (prio > COMPACT_PRIO_SYNC_FULL &&
		    compaction_deferred(z, order)) {
			__atomic_fetch_add(&p->compact.compact_deferred, 1,
					   __ATOMIC_RELAXED);
			if (best < COMPACT_DEFERRED)
				best = COMPACT_DEFERRED;
			continue;
		}
		enum compact_result r = compact_zone_for(p, z, (int)order, gfp,
							 highest, prio, true);
		if (r > best)
			best = r;
		if (r == COMPACT_SUCCESS) {
			compaction_defer_reset(z, order, false);
			break;
		}
		/* A whole-zone run that could not make the block: wait a
		 * while before trying this order there again. */
		if (prio != COMPACT_PRIO_ASYNC && r == COMPACT_COMPLETE)
			defer_compaction(z, order);
	}
	return best;
}

void compact_node(struct pglist_data *p)
{
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		compact_zone_order(p, &p->node_zones[zi], -1, GFP_KERNEL, zi,
				   COMPACT_PRIO_SYNC_FULL);
}

unsigned int proactive_compact_node(struct pglist_data *p)
{
	unsigned int score = fragmentation_score_node(p);
	if (!p->compaction_proactiveness || p->compaction_off ||
	    score <= fragmentation_score_wmark(p, false))
		return score;
	__atomic_fetch_add(&p->compact.proactive_runs, 1, __ATOMIC_RELAXED);
	for (int zi = 0; zi < MAX_NR_ZONES; zi++) {
		struct zone *z = &p->node_zones[zi];
		struct compact_control cc = {
			.p = p,
			.z = z,
			.order = -1,
			.highest = zi,
			.prio = COMPACT_PRIO_SYNC_LIGHT,
			.proactive = true,
		};
		if (!z->managed_pages)
			continue;
		run_compact_zone(&cc);
		if (fragmentation_score_node(p) <=
		    fragmentation_score_wmark(p, true))
			break;
	}
	return fragmentation_score_node(p);
}
