/*
 * Compaction: making high-order free blocks out of scattered free pages by
 * moving movable pages out of the way (Linux's mm/compaction.c). Two
 * scanners walk a zone towards each other: the migrate scanner from the
 * bottom isolates movable pages, the free scanner from the top isolates
 * free pages for them to move to; pages move (mm/migrate.h) and the bottom
 * frees up in whole pageblocks. docs/10-fragmentation-and-compaction.md
 * ("Compaction").
 */
#ifndef LABYRINTH_MM_COMPACTION_H
#define LABYRINTH_MM_COMPACTION_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/mmzone.h"

/* What a compaction run found or did (Linux's enum compact_result, the
 * values we use). */
enum compact_result {
	COMPACT_NOT_SUITABLE, /* the failure is lack of memory: reclaim */
	COMPACT_SKIPPED,      /* too little free memory to compact with */
	COMPACT_DEFERRED,     /* failed recently: not tried this time */
	COMPACT_CONTENDED,    /* a background run gave the zone to a request */
	COMPACT_CONTINUE,     /* (internal) keep going */
	COMPACT_COMPLETE,     /* the scanners met: the whole zone was done */
	COMPACT_SUCCESS,      /* a free block of the order asked exists */
};

/* How hard a run tries (Linux's compact_priority): async skips pageblocks
 * that are not movable and ones marked skip; sync light does not skip by
 * type; sync full ignores the skip hints too. Lower is harder. */
enum compact_priority {
	COMPACT_PRIO_SYNC_FULL,
	COMPACT_PRIO_SYNC_LIGHT,
	COMPACT_PRIO_ASYNC,
};

/* Linux's defaults. */
#define EXTFRAG_THRESHOLD_DEFAULT 500
#define COMPACTION_PROACTIVENESS_DEFAULT 20
#define COMPACT_MAX_DEFER_SHIFT 6

/*
 * Linux's fragmentation_index for a request of `order` in zone z, in
 * thousandths: towards 0 the failure would be lack of memory, towards 1000
 * fragmentation; -1000 when a free block of the order exists already.
 */
int fragmentation_index(const struct zone *z, unsigned int order);
/* Is compacting z worth it for a request of `order`? COMPACT_CONTINUE,
 * COMPACT_SUCCESS (the block is there), COMPACT_SKIPPED (too little free
 * memory, and no zone below to spill into: reclaim first),
 * COMPACT_NOT_SUITABLE (index below the threshold). */
enum compact_result compaction_suitable(struct pglist_data *p, struct zone *z,
					unsigned int order, int highest);
/*
 * A spill (docs/10b, "Spilling into the zone below"): a zone with too few
 * free frames for a block of `order` above min, however they lay, may still
 * make one by moving pages into a zone below it that has frames to spare.
 * compaction_shortfall: the free frames z lacks for that (0: none).
 * compaction_spill_zone: the zone below z that can take them all while
 * staying above its min and its protection from z's requests (written to
 * *floor unless NULL), or NULL (none; order 0; compaction_spill=off).
 * compaction_spill_target: the same for `need` frames.
 */
uint64_t compaction_shortfall(const struct zone *z, unsigned int order,
			      int highest);
struct zone *compaction_spill_zone(struct pglist_data *p, const struct zone *z,
				   unsigned int order, int highest,
				   uint64_t *floor);
struct zone *compaction_spill_target(struct pglist_data *p,
				     const struct zone *z, uint64_t need,
				     uint64_t *floor);
/* The share of free memory of z not in blocks of `order` or more, in
 * percent (Linux's extfrag_for_order). */
unsigned int extfrag_for_order(const struct zone *z, unsigned int order);
/* Linux's fragmentation score of the node, 0..100: how much of its free
 * memory is not in 2 MiB blocks, weighted by zone size. */
unsigned int fragmentation_score_node(const struct pglist_data *p);

/* One run over zone z for a request of `order` (-1: all of the zone, as
 * compact_memory does), in the background: COMPACT_CONTENDED if it gave
 * the zone up to a request's run. */
enum compact_result compact_zone_order(struct pglist_data *p, struct zone *z,
				       int order, gfp_t gfp, int highest,
				       enum compact_priority prio);
/*
 * Direct compaction for a request that failed (Linux's
 * try_to_compact_pages): every zone it may use, highest first, that is not
 * deferred and is suitable; stops at the first zone that succeeds.
 * Returns the best result.
 */
enum compact_result try_to_compact_pages(struct pglist_data *p, gfp_t gfp,
					 unsigned int order, int highest,
					 enum compact_priority prio);
/* Deferral (Linux's): after a failure at `order`, skip the next 2^shift
 * attempts at that order or above; success resets it. */
bool compaction_deferred(struct zone *z, unsigned int order);
void defer_compaction(struct zone *z, unsigned int order);
void compaction_defer_reset(struct zone *z, unsigned int order,
			    bool alloc_success);
/* compaction_policy.c for compaction.c: a zone deferred as long as it
 * may be starts over without its skip hints. */
bool compaction_restarting(const struct zone *z, int order);
void reset_skip_hints(struct pglist_data *p, struct zone *z);
/* Asks kcompactd for blocks of `order` at its next wake: kcompactd_max_order
 * keeps the largest asked (a compare-and-swap, so that two CPUs asking at
 * once, or kcompactd putting back an order it gave up, lose none). */
static inline void kcompactd_note_order(struct pglist_data *p,
					unsigned int order)
{
	unsigned int seen =
	    __atomic_load_n(&p->kcompactd_max_order, __ATOMIC_RELAXED);
	while (seen < order &&
	       !__atomic_compare_exchange_n(&p->kcompactd_max_order, &seen,
					    order, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}
/* Compacts every zone of the node completely (Linux's compact_memory),
 * except a zone a request's run wants meanwhile: that zone's run stops
 * there (compaction.c, "one run at a time"). */
void compact_node(struct pglist_data *p);
/* An interrupts-off stretch of compaction or of alloc_contig_pages, ns:
 * into the longest and the histogram (compact_stats). */
void compaction_note_irqoff(struct pglist_data *p, uint64_t ns);
/* The median interrupts-off stretch of compaction so far (the lower
 * bound of its power-of-two bucket, ns); 0 before any. */
uint64_t compaction_irqoff_median_ns(const struct pglist_data *p);
/* Proactive compaction's goal: the score it brings the node down to, and
 * the score above which it starts (Linux: 100 - proactiveness, +10). */
unsigned int fragmentation_score_wmark(const struct pglist_data *p, bool low);
/* One round of proactive compaction (kcompactd's timer): while the
 * score is above the high mark, compacts zones until it is at or below
 * the low one or a round makes no progress. Returns the score after. */
unsigned int proactive_compact_node(struct pglist_data *p);

#endif
