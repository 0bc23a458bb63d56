/*
 * The reference model behind tests/fuzz/fuzz_alloc.c: which pages of the
 * node the fuzzer holds (and which the mempool's reserve and bookkeeping
 * hold), which free pages it has scribbled on (page_poison must report
 * them), and the checks every operation's result goes through. Kept
 * apart from the operations so that both stay short.
 * docs/07b-soak-stress-and-fuzzing.md ("Fuzzing the allocator").
 */
#ifndef LABYRINTH_TESTS_FUZZ_FUZZ_ALLOC_MODEL_H
#define LABYRINTH_TESTS_FUZZ_FUZZ_ALLOC_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/mempool.h"
#include "tests/support/test_arena.h"

#define FZ_MAX_BYTES (12UL << 20) /* the larger of the two nodes */
#define FZ_MAX_HELD 1024

enum fz_owner { FZ_FREE, FZ_OURS, FZ_POOL, FZ_META }; /* a byte a page */
/* FZ_CONTIG: a run of alloc_contig_pages, 4 MiB blocks (fuzz_alloc_compact.c) */
enum fz_kind { FZ_PAGES, FZ_EXACT, FZ_ELEMENT, FZ_CONTIG };

struct fz_held {
	uint64_t phys;
	uint32_t pages; /* FZ_EXACT: frames still held; FZ_CONTIG: the run's
			   frames; else 2^order */
	uint8_t order;	/* of the block (FZ_EXACT: the block it came in) */
	uint8_t kind;
	uint8_t movable;  /* FZ_PAGES with __GFP_MOVABLE: the fuzzer's owner */
	uint8_t isolated; /* isolated by it (only inside a migration step) */
};

struct fz_model {
	struct mm_test_node *tn;
	struct pglist_data *pg;
	uint64_t bytes, dma, dma32; /* arena size, zone limits (offsets) */
	uint64_t managed;
	struct fz_held held[FZ_MAX_HELD];
	unsigned int nheld;
	uint64_t taken; /* pages out of the node: ours, pool reserve, pool */
	mempool_t *pool;
	unsigned int pool_order;
	uint8_t owner[FZ_MAX_BYTES >> 12];
	uint8_t dirty[FZ_MAX_BYTES >> 12]; /* free pages written after free */
	/* Scribbled frames handed out other than by an allocation call:
	 * taken by compaction for the pages it moves, or in an
	 * alloc_contig_pages range. page_poison reports each. */
	uint64_t taken_dirty;
};

extern struct fz_model fz;

__attribute__((noreturn)) void fz_fail(const char *what, uint64_t a,
				       uint64_t b);
/* Empties the model for a fresh node. */
void fz_reset(struct mm_test_node *tn, uint64_t dma, uint64_t dma32);
/* The per-CPU caches' own pages (mm/pcp.c takes them from the node when
 * they are enabled): the allocator's, like its metadata. */
void fz_note_pcp_storage(void);

/* Free on the buddy lists plus parked on per-CPU lists. */
uint64_t fz_node_free(void);
/* free + parked + taken == managed, and no per-CPU list above high. */
void fz_check_counts(void);

/* Highest zone gfp may use, and the lowest free count a request with gfp
 * may leave in zone zi (min, lowered by __GFP_HIGH and by not blocking,
 * plus the zone's protection from higher requests; 0 for
 * __GFP_MEMALLOC). Written from the rules in docs/06, not from mm/. */
int fz_highest(gfp_t gfp);
uint64_t fz_floor(gfp_t gfp, int zi, int highest);

/* A block just handed out for gfp: aligned, inside the arena and the
 * zones gfp allows, no zone left below its floor, overlapping nothing
 * taken, zeroed if asked. Returns 1 if it held a page the fuzzer had
 * scribbled on (page_poison must have said so), clearing the marks. */
unsigned int fz_check_block(uint64_t p, unsigned int order, gfp_t gfp);
/* Frames that leave the free memory without an allocation call
 * (compaction's free frames, an alloc_contig_pages range): each scribbled
 * one counts in taken_dirty, its mark cleared. */
void fz_take_free(uint64_t phys, uint64_t pages);
/* A request (gfp, order) that was not failed on purpose failed: no zone
 * it may use had a block that big above its floor, and nothing is left
 * parked on per-CPU lists (it drains before failing). */
void fz_check_failure(gfp_t gfp, unsigned int order);

/* Records a block as taken (held by us: kind; or FZ_POOL owner). */
void fz_mark(uint64_t phys, uint64_t pages, uint8_t owner);
void fz_hold(uint64_t phys, uint32_t pages, unsigned int order, int kind);
void fz_unhold(unsigned int idx);

/* The arena address of a page of the node. */
void *fz_virt(uint64_t phys);
/* Gives back held[idx] (fuzz_alloc.c): an exact run whole, or only its
 * last frame when how is odd; a mempool element through the pool. */
void fz_free_held(unsigned int idx, unsigned int how);

/* What a call that must change nothing may not change. */
struct fz_snap {
	uint64_t free, parked;
	uint64_t counts[MAX_NR_ZONES][NR_PAGE_ORDERS];
};
void fz_snap(struct fz_snap *s);
void fz_same(const struct fz_snap *s, const char *what, uint64_t a);

#endif
