/*
 * Compaction's policy (Linux's, in its compaction and vmstat code): when to
 * compact (the fragmentation index against extfrag_threshold, the free
 * memory a run needs), when not to try again so soon (deferral), the
 * node's fragmentation score that proactive compaction keeps low, and the
 * skip hints a restart forgets. mm/compaction.c does the work.
 * docs/10-fragmentation-and-compaction.md ("When to compact").
 */
#include "mm/compaction.h"
#include "mm/internal.h"
#include "mm/vmscan.h"

/* ---------------------------------------------------------------- indexes */

int fragmentation_index(const struct zone *z, unsigned int order)
{
	uint64_t total = 0, suitable = 0, free = 0;
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		uint64_t n = z->free_area[o].nr_free;
		total += n;
		free += n << o;
		if (o >= order)
			suitable += n << (o - order);
	}
	if (!total)
		return 0;
	if (suitable)
		return -1000;
	/* 1000 - (1000 + free * 1000 / requested) / blocks: many small free
	 * blocks (fragmentation) give nearly 1000, few (no memory) nearly 0. */
	return 1000 - (int)((1000 + free * 1000 / (1ULL << order)) / total);
}

enum compact_result compaction_suitable(struct pglist_data *p, struct zone *z,
					unsigned int order, int highest)
{
	uint64_t free = __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED);
	/* Already there? */
	if (zone_watermark_ok(z, order, z->watermark[WMARK_MIN], highest, 0,
			      free))
		return COMPACT_SUCCESS;
	/* Moving pages needs free frames to move them to: a block's worth
	 * above min. (Linux asks for twice that, compact_gap(); but every
	 * page moved here takes one free frame and gives one back, and on a
	 * 64 MiB machine the second block cost a third of what could be
	 * made: 8 of 12 blocks instead of 11.) Linux also measures a costly
	 * order from `low`, "to increase its chances"; but the free scanner
	 * here takes frames down to min, and the slow path that asked takes
	 * its block at min, so a zone between the two could serve the
	 * request and was left uncompacted: 48 MiB boots got 6 of their 7
	 * reachable blocks in 4 of 8 runs, and 7 in 8 of 8 with min. */
	uint64_t mark = z->watermark[WMARK_MIN];
	if (!zone_watermark_ok(z, 0, mark + (1ULL << order), highest, 0, free))
		/* Short of free frames: a zone below may take the pages
		 * moved (a spill); no index then, the shortage is the
		 * whole problem and the spill its remedy. */
		return compaction_spill_zone(p, z, order, highest, NULL)
			   ? COMPACT_CONTINUE
			   : COMPACT_SKIPPED;
	if (order > PAGE_ALLOC_COSTLY_ORDER) {
		int index = fragmentation_index(z, order);
		if (index >= 0 && index <= (int)p->extfrag_threshold)
			return COMPACT_NOT_SUITABLE;
	}
	return COMPACT_CONTINUE;
}

uint64_t compaction_shortfall(const struct zone *z, unsigned int order,
			      int highest)
{
	uint64_t free = __atomic_load_n(&z->free_pages, __ATOMIC_RELAXED);
	uint64_t want = z->watermark[WMARK_MIN] + (1ULL << order) +
			z->lowmem_reserve[highest] + 1;
	return free >= want ? 0 : want - free;
}

/*
 * Where a spill goes: the first zone below z with `need` free frames to
 * spare above its floor. A page of zone z may move to any zone below it:
 * a lower zone lies at lower addresses, within every limit the page's
 * allocation had. The zone below keeps its min and the protection it
 * keeps from requests that may use every zone (lowmem_reserve of the
 * highest), as the movable pages' own requests usually could. The floor
 * (the free count the spill must stay above) goes to *floor.
 */
struct zone *compaction_spill_target(struct pglist_data *p,
				     const struct zone *z, uint64_t need,
				     uint64_t *floor)
{
	int zi = (int)(z - p->node_zones);
	if (p->compaction_spill_off || !need)
		return NULL;
	for (int ti = zi - 1; ti >= 0; ti--) {
		struct zone *t = &p->node_zones[ti];
		uint64_t f = t->watermark[WMARK_MIN] +
			     t->lowmem_reserve[MAX_NR_ZONES - 1];
		if (!t->managed_pages ||
		    __atomic_load_n(&t->free_pages, __ATOMIC_RELAXED) <=
			f + need)
			continue;
		if (floor)
			*floor = f;
		return t;
	}
	return NULL;
}

struct zone *compaction_spill_zone(struct pglist_data *p, const struct zone *z,
				   unsigned int order, int highest,
				   uint64_t *floor)
{
	if (!order)
		return NULL;
	return compaction_spill_target(p, z,
				       compaction_shortfall(z, order, highest),
				       floor);
}

unsigned int extfrag_for_order(const struct zone *z, unsigned int order)
{
	uint64_t free = 0, suitable = 0;
	for (unsigned int o = 0; o <= MAX_ORDER; o++) {
		free += z->free_area[o].nr_free << o;
		if (o >= order)
			suitable += z->free_area[o].nr_free << o;
	}
	return free ? (unsigned int)((free - suitable) * 100 / free) : 0;
}

/* A zone's share of the node's score, weighted by its size. */
static unsigned int fragmentation_score_zone(const struct pglist_data *p,
					     const struct zone *z)
{
	uint64_t node = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		node += p->node_zones[zi].present_pages;
	return (unsigned int)(z->present_pages *
			      extfrag_for_order(z, PAGEBLOCK_ORDER) /
			      (node + 1));
}

unsigned int fragmentation_score_node(const struct pglist_data *p)
{
	unsigned int score = 0;
	for (int zi = 0; zi < MAX_NR_ZONES; zi++)
		if (p->node_zones[zi].managed_pages)
			score +=
			    fragmentation_score_zone(p, &p->node_zones[zi]);
	return score;
}

uint64_t compaction_irqoff_median_ns(const struct pglist_data *p)
{
	uint64_t total = 0, seen = 0;
	for (int i = 0; i < 40; i++)
		total += p->compact.irqoff_hist[i];
	for (int i = 0; i < 40; i++) {
		seen += p->compact.irqoff_hist[i];
		if (total && seen * 2 >= total)
			return 1ULL << i; /* the bucket's lower bound */
	}
	return 0;
}

unsigned int fragmentation_score_wmark(const struct pglist_data *p, bool low)
{
	unsigned int mark = 100 - p->compaction_proactiveness;
	return low ? mark : (mark + 10 > 100 ? 100 : mark + 10);
}

/* ---------------------------------------------------------------- deferral */

bool compaction_deferred(struct zone *z, unsigned int order)
{
	unsigned long limit = 1UL << z->compact_defer_shift;
	if ((int)order < z->compact_order_failed)
		return false;
	if (++z->compact_considered >= limit) {
		z->compact_considered = (unsigned int)limit;
		return false;
	}
	return true;
}

void defer_compaction(struct zone *z, unsigned int order)
{
	z->compact_considered = 0;
	if (z->compact_defer_shift < COMPACT_MAX_DEFER_SHIFT)
		z->compact_defer_shift++;
	if ((int)order < z->compact_order_failed)
		z->compact_order_failed = (int)order;
}

void compaction_defer_reset(struct zone *z, unsigned int order,
			    bool alloc_success)
{
	if (alloc_success) {
		z->compact_considered = 0;
		z->compact_defer_shift = 0;
	}
	if ((int)order >= z->compact_order_failed)
		z->compact_order_failed = (int)order + 1;
}

/* Deferred as long as it may be: start over, skip hints forgotten. */
bool compaction_restarting(const struct zone *z, int order)
{
	return order >= z->compact_order_failed &&
	       z->compact_defer_shift == COMPACT_MAX_DEFER_SHIFT &&
	       z->compact_considered >= 1UL << z->compact_defer_shift;
}

void reset_skip_hints(struct pglist_data *p, struct zone *z)
{
	uint64_t end = z->zone_start_pfn + z->spanned_pages;
	for (uint64_t pb = z->zone_start_pfn & ~(PAGEBLOCK_PAGES - 1); pb < end;
	     pb += PAGEBLOCK_PAGES) {
		struct mem_section *sec = pfn_to_section(p, pb);
		if (sec)
			__atomic_fetch_and(pageblock_flags_byte(sec, pb),
					   (uint8_t)~PB_COMPACT_SKIP,
					   __ATOMIC_RELAXED);
	}
}
