/*
 * Compaction steps for tests/fuzz/fuzz_alloc.c: compaction runs over the
 * fuzz node's zones and alloc_contig_pages runs, checked against the
 * model (fuzz_alloc_model.h) with the fuzzer's movable owner
 * (fuzz_alloc_migrate.h) moving the held __GFP_MOVABLE blocks.
 * docs/07b-soak-stress-and-fuzzing.md ("Fuzzing the allocator").
 */
#ifndef LABYRINTH_TESTS_FUZZ_FUZZ_ALLOC_COMPACT_H
#define LABYRINTH_TESTS_FUZZ_FUZZ_ALLOC_COMPACT_H

/*
 * One step; a % 8 says which:
 *   0-2  compact_zone_order on zone (b & 3) % 3 (async, sync light, sync full),
 *        for order (b >> 3) % 11, or with b & 4 for the whole zone (-1);
 *   3    compact_node (every zone, as compact_memory);
 *   4-5  alloc_contig_pages of 1 to 4 pageblocks' worth of pages, held as
 *        one FZ_CONTIG run (b & 0x80: no higher than ZONE_DMA32);
 *   6    a request alloc_contig_pages must refuse, changing nothing;
 *   7    free_contig_range of a held run (or an async run if none).
 * a & 8 makes the first held movable block busy for the step.
 */
void fz_compact(unsigned int a, unsigned int b);
/* Gives back held[idx], an FZ_CONTIG run, with free_contig_range. */
void fz_contig_free(unsigned int idx);

#endif
