/*
 * Between the two halves of compaction: mm/compaction.c (the migrate
 * scanner and the run) and mm/compaction_free.c (the free scanner, which
 * finds the frames the pages move to). Not for use outside them.
 * docs/10-fragmentation-and-compaction.md ("Compaction").
 */
#ifndef LABYRINTH_MM_COMPACTION_INTERNAL_H
#define LABYRINTH_MM_COMPACTION_INTERNAL_H

#include "mm/compaction.h"
#include "mm/internal.h"
#include "mm/migrate.h"

#define COMPACT_STUCK_MAX 8

struct compact_control {
	struct pglist_data *p;
	struct zone *z;
	int order; /* -1: the whole zone */
	int highest;
	enum compact_priority prio;
	bool proactive;	      /* stop at the score's low mark */
	bool direct;	      /* for a request (the slow path), not kcompactd */
	int migratetype;      /* the request's (gfp_migratetype) */
	uint64_t zone_start;  /* first pageblock of the zone */
	uint64_t migrate_pfn; /* next frame the migrate scanner looks at */
	uint64_t free_pfn;    /* pageblock the free scanner looks at next */
	uint64_t hopeless_pfn; /* pageblock pageblock_hopeless() looks at next */
	bool block_isolated;   /* the migrate scanner took a page here */
	/* Pageblocks below the migrate scanner that it passed in this run
	 * because a page in them cannot move now, with free frames the free
	 * scanner may take: its first choice after pageblock_hopeless()
	 * ones. A stack; one found while it is full is not kept. Those below
	 * where the run started are looked at from stuck_pfn up to
	 * stuck_end when the stack is empty. */
	uint64_t stuck[COMPACT_STUCK_MAX];
	unsigned int nr_stuck;
	uint64_t stuck_pfn, stuck_end;
	/* Where the pages moved go: z, or in a spill a zone below it, whose
	 * free frames isolate_spill_freepages() takes while the zone stays
	 * above spill_floor. spill_dry: it could take no more. */
	struct zone *tz;
	uint64_t spill_floor;
	bool spill_dry;
	/* A spill after a whole-zone run without the block: it empties
	 * only pageblocks the zone below can take whole
	 * (pageblock_can_be_emptied). */
	bool spill_after_run;
	struct migrate_list migrate;
	/* Free frames taken for the pages to move to: runs of frames, each
	 * marked allocated (PFS_ALLOC, order 0) while compaction holds it. */
	uint64_t run_start[MIGRATE_BATCH_MAX], run_end[MIGRATE_BATCH_MAX];
	unsigned int nr_runs;
	uint64_t nr_freepages;
	uint64_t migrate_scanned, free_scanned, isolated, moved;
};

static inline bool in_zone(const struct compact_control *cc, uint64_t pfn)
{
	return pfn >= cc->z->window_start_pfn && pfn < cc->z->window_end_pfn;
}

/* Is pfn in the zone the pages move to (cc->tz)? */
static inline bool in_target_zone(const struct compact_control *cc,
				  uint64_t pfn)
{
	return pfn >= cc->tz->window_start_pfn && pfn < cc->tz->window_end_pfn;
}

/* A pageblock that can never be a free block: a frame of it is not RAM of
 * the run's zone. */
bool pageblock_hopeless(const struct compact_control *cc, uint64_t pb);
/* For a block of a pageblock or more: may every allocated page of the
 * pageblock move now? (Each is isolated and at once put back.) */
bool pageblock_can_be_emptied(struct compact_control *cc, uint64_t pb);
/* A pageblock that cannot be emptied goes on cc's stack of stuck ones if
 * the free scanner may take free frames of it, and there is room. */
void note_stuck_pageblock(struct compact_control *cc, uint64_t pb);
/* migrate_pages' new_page_t and free_page_t for a run (private: its cc):
 * a free frame from the free scanner's runs (the spill scanner's in a
 * spill), and one given back. */
uint64_t compaction_alloc(void *private, uint64_t src_pfn, unsigned int order);
void compaction_free(void *private, uint64_t pfn, unsigned int order);
/* The free frames a run still holds, back to the zone. */
void release_freepages(struct compact_control *cc);

#endif
