/*
 * The anti-fragmentation experiment, shared by its test
 * (tests/shared/mm_migratetype_test.c) and the tool that draws it
 * (tools/antifrag-tool.c, `make plots`): a page cache (movable order-0
 * pages) fills and churns most of a 32 MiB node while the kernel allocates
 * and frees blocks of orders 0..3 (unmovable) among it; then the cache is
 * dropped, as reclaim would. With grouping by mobility on, the kernel's
 * blocks stay in few pageblocks and most of the memory comes back as whole
 * 2 MiB blocks; with page_grouping=off, it does not.
 * docs/10-fragmentation-and-compaction.md ("Migrate types").
 */
#ifndef LABYRINTH_TESTS_SUPPORT_ANTIFRAG_H
#define LABYRINTH_TESTS_SUPPORT_ANTIFRAG_H

#include <stdbool.h>
#include <stdint.h>

#define ANTIFRAG_ARENA (32UL << 20)
#define ANTIFRAG_STEPS 200000UL

/* One look at the node during the churn (every `every` steps) or at its
 * end (step == ANTIFRAG_STEPS, taken after the drop). Pages: free ones;
 * free ones in blocks of order >= 9 (what a 2 MiB request gets without
 * compaction, now); and what that would be if the cache were dropped now
 * (the pageblocks that hold no kernel block and no frame the allocator
 * does not manage, counted whole). */
struct antifrag_point {
	unsigned long step;
	uint64_t free, whole_now, whole_if_dropped, cache;
};

struct antifrag_result {
	long mixed;	     /* mixed pageblocks before the drop */
	uint64_t free;	     /* free pages after the drop */
	uint64_t whole;	     /* ... of them in blocks of order >= 9 */
	uint64_t predicted;  /* whole_if_dropped just before the drop */
	uint64_t fallbacks;  /* the node's extfrag events */
	uint64_t pageblocks; /* the node's pageblocks */
	int share;	     /* whole * 100 / free */
	int problems;	     /* pgdat_check after the drop */
};

typedef void antifrag_sample_fn(void *arg, const struct antifrag_point *pt);

/* Runs the experiment once on a node of its own; sample (may be NULL) is
 * called every `every` steps (0: never) and once after the drop. Returns
 * 0, or -1 without a 32 MiB arena or page_owner (nothing to report). */
int antifrag_churn(bool grouping, unsigned long every,
		   antifrag_sample_fn *sample, void *arg,
		   struct antifrag_result *out);

#endif
