/*
 * Two page allocators written only to be measured against Labyrinth's buddy
 * allocator (`make bench`), over the same host memory, with the same lock:
 *
 *   freelist  xv6's kalloc: free pages chained through their first word;
 *             alloc pops, free pushes. Order 0 only. The lower bound.
 *   bitmap    one bit per frame and a next-fit cursor, what most hobby
 *             kernels start with: a word-at-a-time scan for a clear bit
 *             (order 0) or an aligned run of 2^order clear bits (order <= 6).
 *
 * docs/08-measuring.md compares them with the buddy allocator.
 */
#ifndef LABYRINTH_TOOLS_BENCH_BASELINES_H
#define LABYRINTH_TOOLS_BENCH_BASELINES_H

#include <stdint.h>

#include "kernel/core/spinlock.h"

struct run {
	struct run *next;
};

struct freelist {
	spinlock_t lock;
	struct run *head;
	uint64_t nfree;
};

/* Pushes every page of [mem, mem + bytes), writing into each one. */
void freelist_init(struct freelist *fl, void *mem, uint64_t bytes);
/* kalloc/kfree: spin_lock_irqsave around a pop or a push. */
void *freelist_alloc(struct freelist *fl);
void freelist_free(struct freelist *fl, void *page);
/* The same without the lock: the floor for any allocator. */
void *freelist_alloc_nolock(struct freelist *fl);
void freelist_free_nolock(struct freelist *fl, void *page);

#define BITMAP_MAX_ORDER 6 /* a run of 2^6 bits fills one 64-bit word */

struct bitmap_alloc {
	spinlock_t lock;
	uint64_t *bits; /* 1 = in use */
	uint64_t phys, nwords, cursor, nfree;
};

/* Frames of [phys, phys + bytes) at virtual mem; the bitmap itself takes the
 * first frames (marked in use). */
void bitmap_init(struct bitmap_alloc *b, void *mem, uint64_t phys,
		 uint64_t bytes);
/* Physical address of 2^order naturally aligned frames, or 0. */
uint64_t bitmap_alloc(struct bitmap_alloc *b, unsigned int order);
/* Returns 0, or -1 if the frames were not all in use (nothing changed). */
int bitmap_free(struct bitmap_alloc *b, uint64_t phys, unsigned int order);

#endif
