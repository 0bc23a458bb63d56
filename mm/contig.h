/*
 * Physically contiguous runs larger than MAX_ORDER (mm/contig.c), Linux's
 * alloc_contig_pages and free_contig_range.
 * docs/10-fragmentation-and-compaction.md ("Contiguous runs").
 */
#ifndef LABYRINTH_MM_CONTIG_H
#define LABYRINTH_MM_CONTIG_H

#include <stdint.h>

#include "mm/gfp.h"
#include "mm/mmzone.h"

struct contig_stats {
	uint64_t ranges_tried; /* candidate ranges isolated */
	uint64_t moved;	       /* pages migrated out of them */
};

/*
 * nr pages in one physically contiguous run, rounded up to whole 4 MiB
 * blocks and aligned to 4 MiB, from the highest zone gfp allows down: a
 * range of movable pageblocks is isolated, its pages are moved elsewhere
 * (migrate_pages, MR_CONTIG_RANGE) and the range is taken. The caller must
 * be able to sleep. Returns the physical address, or 0 (reported when the
 * request itself is bad); stats (may be NULL) says what it took.
 */
uint64_t pgdat_alloc_contig_pages(struct pglist_data *p, uint64_t nr, gfp_t gfp,
				  struct contig_stats *stats);
/* Frees a run from pgdat_alloc_contig_pages (the same nr). */
void pgdat_free_contig_range(struct pglist_data *p, uint64_t phys, uint64_t nr);

/* Its first and last step, for tests (Linux's start_isolate_page_range
 * and undo_isolate_page_range): [start, end), whole 4 MiB blocks of zone
 * z, made MIGRATE_ISOLATE one block per lock hold while each is still
 * movable; returns where it stopped (end when all were). Undo takes a
 * range that start_isolate_page_range isolated back to movable. */
uint64_t start_isolate_page_range(struct pglist_data *p, struct zone *z,
				  uint64_t start, uint64_t end);
void undo_isolate_page_range(struct pglist_data *p, struct zone *z,
			     uint64_t start, uint64_t end);

#endif
