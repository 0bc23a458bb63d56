/*
 * Memory pools (Linux's include/linux/mempool.h): a reserve of min_nr
 * preallocated elements that guarantees forward progress to a user who
 * must not fail, such as a driver's receive path or the I/O that writes
 * memory out. An allocation tries the underlying allocator first, without
 * waiting and without touching the system's reserves; only when that fails
 * does it take an element from the pool. A caller that may sleep then
 * waits for an element to come back and never fails; one that may not
 * (GFP_ATOMIC in an interrupt handler) gets NULL at once. A freed element
 * refills the pool before anything goes back to the allocator.
 *
 * Labyrinth has no slab allocator: a pool's own bookkeeping (the struct and
 * its array of elements) is taken from a node's pages, and the page pools
 * hand out direct-map addresses of blocks of one order. Every entry point
 * is safe from interrupt handlers on every CPU (one spinlock, irqsave) but
 * create, resize and destroy, which may sleep.
 * docs/09-emergency-memory.md ("Memory pools").
 */
#ifndef LABYRINTH_MM_MEMPOOL_H
#define LABYRINTH_MM_MEMPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gfp.h"
#include "mm/mmzone.h"

typedef void *(mempool_alloc_t)(gfp_t gfp, void *pool_data);
typedef void(mempool_free_t)(void *element, void *pool_data);

#define MEMPOOL_MAX_NR 65536 /* elements in one pool's reserve, at most */

/* A page pool's pool_data: blocks of 2^order pages of one node. */
struct mempool_pages {
	struct pglist_data *pgdat;
	unsigned int order;
};

struct mempool_stats {
	uint64_t alloc_hits;	/* served by the underlying allocator */
	uint64_t reserve_takes; /* served from the reserve */
	uint64_t failures;	/* NULL returned (could not wait) */
	uint64_t waits;		/* sleeps until an element came back */
	uint64_t wait_timeouts; /* sleeps that ended with no element */
	uint64_t refills;	/* frees that went into the reserve */
	uint64_t bad_frees;	/* frees refused (reported) */
	int min_curr_nr;	/* the lowest the reserve went */
};

typedef struct mempool {
	spinlock_t lock;
	uint32_t magic;	 /* MEMPOOL_MAGIC while the pool lives */
	int min_nr;	 /* elements kept in reserve */
	int curr_nr;	 /* elements in the reserve now */
	void **elements; /* the reserve: elements[0..curr_nr) */
	uint64_t out;	 /* handed out and not yet freed */
	unsigned int waiters;
	mempool_alloc_t *alloc;
	mempool_free_t *free;
	void *pool_data;
	struct mempool_pages pages; /* a page pool's pool_data */
	bool is_page_pool;
	/* Where this struct and the array live (pages of meta_node). */
	struct pglist_data *meta_node;
	uint64_t self_phys, array_phys; /* array_phys 0: inline after us */
	unsigned int self_order, array_order;
	struct mempool_stats stats;
} mempool_t;

/* Pools over a caller's allocator; the struct and the array come from
 * `meta` (NULL: the kernel's node). NULL (reported) on bad arguments or
 * when the min_nr elements cannot all be had. May sleep. */
mempool_t *mempool_create_node(int min_nr, mempool_alloc_t *alloc_fn,
			       mempool_free_t *free_fn, void *pool_data,
			       gfp_t gfp, struct pglist_data *meta);
mempool_t *mempool_create(int min_nr, mempool_alloc_t *alloc_fn,
			  mempool_free_t *free_fn, void *pool_data);
/* min_nr blocks of 2^order pages of pgdat (the kernel's node for the
 * plain version), handed out as direct-map addresses. */
mempool_t *mempool_create_page_pool_node(struct pglist_data *pgdat, int min_nr,
					 unsigned int order);
mempool_t *mempool_create_page_pool(int min_nr, unsigned int order);

/* An element, or NULL: never NULL for a caller that may sleep. */
void *mempool_alloc(mempool_t *pool, gfp_t gfp);
/* Gives an element back (NULL is ignored). A free the pool can tell is
 * wrong (NULL pool, an element that is not an allocated block of the
 * pool's order and node, more frees than allocations, an element already
 * in a reserve of at most 256) is reported and changes nothing. A wrong
 * free it cannot tell (another owner's block of the same order and node)
 * is taken as one of the pool's: the count of elements out then runs
 * short, and a later right free is refused instead. */
void mempool_free(void *element, mempool_t *pool);
/* Changes min_nr, filling or emptying the reserve; 0 or -1 (reported;
 * the pool keeps working with what it has). May sleep. */
int mempool_resize(mempool_t *pool, int new_min_nr);
/* Frees the reserve and the pool; elements still out are reported. As in
 * Linux, the caller makes sure nobody uses the pool any more (no sleeper
 * in mempool_alloc, no free to come): a later call reads freed memory. */
void mempool_destroy(mempool_t *pool);

/* The page pools' allocator pair, pool_data a struct mempool_pages. */
void *mempool_alloc_pages(gfp_t gfp, void *pool_data);
void mempool_free_pages(void *element, void *pool_data);

#endif
